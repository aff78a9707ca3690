"""Real CODA files from public parsers (../shared/coda/samples, see its SOURCES.md).

Each file either parses, with balances that add up or a warning saying they do not, or
raises CodaError: never another exception. The samples stay outside the repository.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from .. import coda_parser
from ..coda_parser import CodaError, parse

SAMPLES = Path(coda_parser.__file__).resolve().parent.parent.parent / "shared/coda/samples"
FILES = (
    sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "SOURCES.md")
    if SAMPLES.is_dir()
    else []
)
INVALID = {
    "coda-demo-spring/coda_example_commented.txt": "line 1: not a CODA file",
    "pycoda/Coda_faulty_version.txt": "line 1, record 0: version code '5' is not supported",
    "coda-rs/CODA-bad.txt": "line 2, record 1: line is 137 characters long",
    "coda_standard/invalid.cod": "line 18, record 1: line is 14 characters long",
}

needs_samples = pytest.mark.skipif(not FILES, reason=f"no CODA samples in {SAMPLES}")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SAMPLES)) for p in FILES])
def test_parses_or_raises_coda_error(path):
    try:
        statements = parse(path.read_bytes())
    except CodaError as error:
        assert error.line_number is not None
        assert error.message
        assert str(path.relative_to(SAMPLES)) not in INVALID or str(error).startswith(
            INVALID[str(path.relative_to(SAMPLES))]
        )
        return
    assert str(path.relative_to(SAMPLES)) not in INVALID
    assert statements
    for statement in statements:
        total = statement.old_balance + sum(m.amount for m in statement.balance_movements)
        if total != statement.new_balance:
            assert any("old balance" in warning for warning in statement.warnings)
        assert all(isinstance(warning, str) for warning in statement.warnings)


@needs_samples
@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_samples_raise(name):
    with pytest.raises(CodaError) as caught:
        parse(sample(name))
    assert str(caught.value).startswith(INVALID[name])


@needs_samples
def test_pycoda_single_statement():
    (statement,) = parse(sample("pycoda/Coda_v2_3_single_statement.txt"))
    assert statement.iban == "BE86407051416150"
    assert statement.bic == "KREDBEBB"
    assert (statement.old_balance, statement.new_balance) == (Decimal(0), Decimal(0))
    assert (statement.old_balance_date, statement.new_balance_date) == (
        date(2009, 3, 4),
        date(2009, 3, 5),
    )
    assert statement.holder_name == "STORA ENSO LANGERBRUGGE NV"
    assert (len(statement.movements), len(statement.balance_movements)) == (32, 17)
    total = statement.movements[17]
    assert (total.sequence, total.amount, total.has_details) == (17, Decimal("-2608"), True)
    assert sum(m.amount for m in statement.movements[18:]) == total.amount
    assert statement.warnings == []


@needs_samples
def test_pycoda_multi_statements():
    first, second = parse(sample("pycoda/Coda_v2_3_multi_statements.txt"))
    assert (first.iban, len(first.movements)) == ("BE86407051416150", 32)
    assert (second.iban, len(second.movements)) == ("BE12341702625236", 11)
    assert (second.old_balance, second.new_balance) == (Decimal("19338.09"), Decimal("10807.81"))
    assert second.creation_date == date(2013, 12, 24)
    assert second.old_balance + sum(m.amount for m in second.movements) == second.new_balance


@needs_samples
def test_same_account_on_consecutive_days():
    first, second = parse(sample("l10n-belgium/Coda_iban_v2_3_multi_statements.txt"))
    assert first.iban == second.iban == "BE13001676096039"
    assert (first.old_balance, first.new_balance) == (Decimal("39698.09"), Decimal("39575.69"))
    assert (second.old_balance, second.new_balance) == (
        Decimal("39575.69"),
        Decimal("139575.69"),
    )
    assert (first.coda_sequence, second.coda_sequence) == (36, 37)


@needs_samples
def test_real_ing_file_in_latin_1():
    (statement,) = parse(sample("typescript-coda-parser/12298862.BC2"))
    assert statement.account_description == "Compte à vue"
    assert len(statement.movements) == 26
    assert statement.warnings == []
    assert {m.transaction_code.family for m in statement.movements} >= {"01", "02"}


@needs_samples
def test_utf8_file_with_129_byte_lines_and_bank_globalisation():
    (statement,) = parse(sample("coda-demo-spring/coda_example.txt"))
    assert statement.account_description == "Compte à vue"
    total, *details = statement.movements
    assert (total.transaction_code.type, total.has_details) == (2, True)
    assert [m.depth for m in details] == [1] * 6
    assert sum(m.amount for m in details) == total.amount
    assert statement.warnings == []


@needs_samples
def test_truncated_trailer_and_totals_without_details():
    (statement,) = parse(sample("pycoda/Coda_v2_3_faulty_globalisation_2.txt"))
    assert statement.duplicate
    assert [(m.depth, m.has_details) for m in statement.movements] == [(0, False), (0, False)]
    assert statement.old_balance + sum(m.amount for m in statement.movements) == (
        statement.new_balance
    )


@needs_samples
def test_kbc_dummy_with_all_families():
    (statement,) = parse(sample("decodar/exemple_coda2.coda"))
    assert (len(statement.movements), len(statement.balance_movements)) == (111, 59)
    assert statement.new_balance == Decimal("9405296.99")
    # the only warning: a customer globalisation whose last detail does not repeat its code
    assert statement.warnings == [
        "line 47: globalisation 0008/0000 (code 1) is never closed by a detail repeating its code"
    ]


@needs_samples
def test_same_movements_and_amounts_as_pycoda():
    from coda.parser import Parser

    compared = 0
    for path in FILES:
        data = path.read_bytes()
        try:
            theirs = Parser().parse(data)
        except Exception:  # pycoda fails in many ways: only its successes are compared
            continue
        try:
            ours = parse(data)
        except CodaError:
            assert path.name == "sample4.cod"  # its 3.1 records are shifted by one position
            continue
        assert len(ours) == len(theirs), path
        for mine, other in zip(ours, theirs, strict=True):
            assert len(mine.movements) == len(other.movements), path
            for mv, their in zip(mine.movements, other.movements, strict=True):
                sign = -1 if their.transaction_amount_sign == "1" else 1
                expected = Decimal(str(round(their.transaction_amount, 3))) * sign
                assert mv.amount == expected, (path, mv.sequence, mv.detail)
        compared += 1
    assert compared >= 30
