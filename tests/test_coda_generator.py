"""The CODA writer and the random statement generator (and its command line)."""

import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from ..coda_parser import Movement, Statement, TransactionCode, parse
from ..coda_parser.structured import mod97_is_valid
from ..dev.codagen import generate_statements, write_coda

DATA = Path(__file__).parent / "data" / "coda"
ROOT = Path(__file__).resolve().parent.parent
IBAN = "BE68539007547034"


def generate(**overrides) -> list[Statement]:
    arguments = {
        "iban": IBAN,
        "holder_name": "Café Noël SRL",
        "start_date": date(2024, 3, 1),
        "days": 3,
        "movements_per_statement": 12,
        "seed": 7,
    }
    arguments.update(overrides)
    return generate_statements(**arguments)


def test_writer_reproduces_a_hand_made_file():
    data = (DATA / "accents_cp1252.cod").read_bytes()
    assert write_coda(parse(data)) == data


def test_writer_reproduces_the_full_fixture_except_notprovided():
    data = (DATA / "full.cod").read_bytes()
    assert write_coda(parse(data)) == data.replace(b"NOTPROVIDED", b"           ")


def test_writer_output_is_valid_coda():
    data = write_coda(generate())
    text = data.decode("cp1252")
    assert text.endswith("\r\n")
    records = text.split("\r\n")[:-1]
    assert all(len(record) == 128 for record in records)
    assert [r[0] for r in records].count("0") == 3
    trailers = [r for r in records if r[0] == "9"]
    assert [t[127] for t in trailers] == ["1", "1", "2"]


def test_writer_computes_trailer_and_codes_from_objects():
    statement = parse((DATA / "full.cod").read_bytes())[0]
    statement.movements = statement.movements[:1]
    statement.free_communications = []
    statement.new_balance = statement.old_balance + statement.movements[0].amount
    records = write_coda([statement]).decode("cp1252").split("\r\n")
    assert records[-2] == "9" + " " * 15 + "000007" + "0" * 15 + "000000000150000" + " " * 75 + "2"
    assert records[-3][127] == "0"  # record 8: no free communication follows
    assert parse(write_coda([statement]))[0].warnings == []


def test_writer_refuses_amounts_it_cannot_write():
    statement = generate(days=1)[0]
    statement.movements[0].amount = Decimal("0.0001")
    with pytest.raises(ValueError, match="more than 3 decimals"):
        write_coda([statement])
    statement.movements[0].amount = Decimal("1e15")
    with pytest.raises(ValueError, match="does not fit"):
        write_coda([statement])


def test_writer_for_hand_built_objects():
    code = TransactionCode(0, "01", "50", "000")
    statement = Statement(
        creation_date=date(2024, 3, 5),
        account_number="539007547034",
        account_structure=0,
        currency="EUR",
        old_balance=Decimal("10"),
        new_balance=Decimal("22.5"),
        movements=[
            Movement(1, 0, Decimal("12.5"), code, communication="Thank you", counterparty_name="X")
        ],
    )
    (again,) = parse(write_coda([statement]))
    assert again.iban == "BE68539007547034"
    assert again.movements[0].communication == "Thank you"
    assert again.movements[0].counterparty_name == "X"
    assert again.separate_application == "00000"
    assert again.warnings == []


def test_round_trip_and_no_warnings():
    statements = generate()
    assert parse(write_coda(statements)) == statements
    assert all(st.warnings == [] for st in statements)


def test_statements_are_chained_day_by_day():
    statements = generate(old_balance=Decimal("1000.00"), first_coda_sequence=998)
    assert [st.new_balance_date for st in statements] == [
        date(2024, 3, 1) + timedelta(days=n) for n in range(3)
    ]
    assert statements[0].old_balance == Decimal("1000")
    assert statements[0].old_balance_date == date(2024, 2, 29)
    for before, after in pairwise(statements):
        assert after.old_balance == before.new_balance
        assert after.old_balance_date == before.new_balance_date
    assert [st.coda_sequence for st in statements] == [998, 999, 0]
    for st in statements:
        assert st.iban == IBAN
        assert st.holder_name == "Café Noël SRL"
        assert st.currency == "EUR"
        assert len(st.balance_movements) == 12
        assert st.old_balance + sum(m.amount for m in st.balance_movements) == st.new_balance


def test_same_seed_same_statements():
    assert generate() == generate()
    assert generate() != generate(seed=8)


def test_realistic_content():
    movements = [m for st in generate(days=5) for m in st.movements]
    structured = [m for m in movements if m.structured_communication]
    assert structured and all(m.structured_communication.is_valid for m in structured)
    assert {m.structured_communication.type for m in structured} >= {"101", "127"}
    with_counterparty = [m for m in movements if m.counterparty_account]
    assert with_counterparty
    for mv in with_counterparty:
        assert mv.counterparty_account.startswith("BE")
        assert mod97_is_valid(mv.counterparty_account)
        assert mv.counterparty_name
        assert mv.counterparty_bic
    assert any(m.counterparty_address for m in movements)
    assert any(m.amount > 0 for m in movements) and any(m.amount < 0 for m in movements)


def test_globalisations_add_up():
    statements = generate(globalisation_ratio=1.0)
    for st in statements:
        totals = st.balance_movements
        assert all(total.has_details for total in totals)
        for total in totals:
            details = [m for m in st.movements if m.sequence == total.sequence and m.depth == 1]
            assert len(details) >= 2
            assert sum(m.amount for m in details) == total.amount
            assert details[-1].globalisation_code == total.globalisation_code == 1
        assert st.warnings == []


@pytest.mark.parametrize("ratio", [0.0, 1.0])
def test_structured_ratio(ratio):
    statements = generate(structured_ratio=ratio, globalisation_ratio=0)
    transfers = [m for st in statements for m in st.movements if m.transaction_code.family == "01"]
    structured = [m for m in transfers if m.structured_communication]
    assert len(structured) == (len(transfers) if ratio else 0)


def test_counterparties_and_extra_movements():
    counterparty = {
        "name": "Only Customer SA",
        "account": "BE71096123456769",
        "bic": "GKCCBEBB",
        "street": "Rue Haute 1",
        "locality": "1000 Bruxelles",
    }
    statements = generate(
        counterparties=[counterparty],
        globalisation_ratio=0,
        extra_movements=[
            {
                "amount": Decimal("121.00"),
                "structured_communication": "+++090/9337/55493+++",
                "counterparty_name": "Demo Customer",
                "counterparty_account": "BE14063123456783",
                "date": date(2024, 3, 2),
            },
            {"amount": "-15.5", "communication": "Refund", "counterparty_name": "Shop"},
            {"amount": "60", "structured_communication": "RF18 5390 0754 7034"},
        ],
    )
    names = {m.counterparty_name for st in statements for m in st.movements}
    assert names <= {"Only Customer SA", "Demo Customer", "Shop", ""}
    paid = [m for m in statements[1].movements if m.counterparty_name == "Demo Customer"]
    assert [(m.amount, m.communication, m.counterparty_account) for m in paid] == [
        (Decimal("121"), "+++090/9337/55493+++", "BE14063123456783")
    ]
    refund = [m for m in statements[0].movements if m.counterparty_name == "Shop"]
    assert [(m.amount, m.communication) for m in refund] == [(Decimal("-15.5"), "Refund")]
    (creditor_reference,) = [m for m in statements[0].movements if m.amount == Decimal(60)]
    assert creditor_reference.communication == "RF18 5390 0754 7034"
    assert creditor_reference.structured_communication.is_valid
    assert len(statements[1].balance_movements) == 13
    assert all(st.warnings == [] for st in statements)


def test_extra_movement_outside_the_days_is_refused():
    with pytest.raises(ValueError, match="outside the generated days"):
        generate(extra_movements=[{"amount": "1", "date": date(2024, 4, 1)}])


def test_foreign_iban_uses_structure_3():
    (statement,) = generate(iban="FR7630006000011234567890189", days=1)
    assert statement.account_structure == 3
    assert statement.iban == "FR7630006000011234567890189"


def test_command_line(tmp_path):
    output = tmp_path / "demo.cod"
    command = [
        sys.executable,
        str(ROOT / "dev" / "scripts" / "generate_coda.py"),
        "--iban",
        IBAN,
        "--statements",
        "2",
        "--movements",
        "5",
        "--seed",
        "3",
        "-o",
        str(output),
    ]
    subprocess.run(command, check=True, capture_output=True)
    statements = parse(output.read_bytes())
    assert len(statements) == 2
    assert all(len(st.balance_movements) == 5 and not st.warnings for st in statements)
    first = output.read_bytes()
    subprocess.run(command, check=True, capture_output=True)
    assert output.read_bytes() == first
