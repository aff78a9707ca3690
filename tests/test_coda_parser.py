"""The CODA parser on hand-made fixtures (tests/data/coda): every record, field and error."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ..coda_parser import (
    CodaError,
    Movement,
    Statement,
    TransactionCode,
    bban_to_iban,
    decode_text,
    is_coda,
    parse,
)
from ..coda_parser.messages import ERRORS, english

DATA = Path(__file__).parent / "data" / "coda"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def lines(name: str) -> list[str]:
    return read(name).decode("cp1252").splitlines()


def join(records: list[str], eol: str = "\r\n") -> bytes:
    return (eol.join(records) + eol).encode("cp1252")


def put(line: str, start: int, value: str) -> str:
    """``line`` with ``value`` written from the 0-based position ``start`` (length kept)."""
    changed = line[:start] + value + line[start + len(value) :]
    assert len(changed) == len(line)
    return changed


def parse_changed(name: str, index: int, start: int, value: str) -> list[Statement]:
    records = lines(name)
    records[index] = put(records[index], start, value)
    return parse(join(records))


@pytest.fixture(scope="module")
def full() -> Statement:
    (statement,) = parse(read("full.cod"))
    return statement


# -- records 0, 1, 8, 4, 9 ----------------------------------------------------------------------


def test_header_record(full):
    assert full.version == 2
    assert full.creation_date == date(2024, 3, 5)
    assert full.bank_id == "300"
    assert full.duplicate is False
    assert full.file_reference == "FILEREF001"
    assert full.addressee_name == "ACME TRADING SRL"
    assert full.bic == "BBRUBEBB"
    assert full.company_number == "0123456749"
    assert full.separate_application == "00000"
    assert full.transaction_reference == "TRXREF0000000001"
    assert full.related_reference == "RELREF0000000001"
    assert (full.first_line, full.last_line) == (1, 30)


def test_duplicate_flag():
    (statement,) = parse_changed("full.cod", 0, 16, "D")
    assert statement.duplicate is True


def test_old_balance_record(full):
    assert full.account_structure == 2
    assert full.account_number == "BE68539007547034"
    assert full.iban == "BE68539007547034"
    assert full.currency == "EUR"
    assert full.old_balance == Decimal("1234.56")
    assert full.old_balance_date == date(2024, 3, 4)
    assert full.holder_name == "ACME TRADING SRL"
    assert full.account_description == "Business account"
    assert full.paper_sequence == 12
    assert full.coda_sequence == 12


def test_new_balance_record_negative(full):
    assert full.new_balance == Decimal("-3173.53")
    assert full.new_balance_date == date(2024, 3, 5)


def test_free_communications_join_lines_of_a_sequence(full):
    assert [(f.sequence, f.text) for f in full.free_communications] == [
        (1, "Your account will be charged quarterly from April\n2024 onwards."),
        (2, "Interest rates: see www.example.be"),
    ]


def test_consistent_file_has_no_warnings(full):
    assert full.warnings == []
    assert full.old_balance + sum(m.amount for m in full.balance_movements) == full.new_balance


# -- movements ------------------------------------------------------------------------------------


def test_movement_with_structured_communication_and_counterparty(full):
    mv = full.movements[0]
    assert isinstance(mv, Movement)
    assert (mv.sequence, mv.detail, mv.line_number) == (1, 0, 3)
    assert mv.bank_reference == "EBA0000000000001"
    assert mv.amount == Decimal("150.00")
    assert mv.value_date == mv.entry_date == date(2024, 3, 5)
    assert mv.transaction_code == TransactionCode(0, "01", "50", "000")
    assert mv.transaction_code.code == "00150000"
    assert mv.transaction_code.label == "Domestic or SEPA credit transfer: transfer in your favour"
    assert (mv.globalisation_code, mv.depth, mv.has_details) == (0, 0, False)
    assert mv.communication == "+++123/4567/89002+++"
    sc = mv.structured_communication
    assert (sc.type, sc.raw, sc.fields, sc.is_valid) == (
        "101",
        "123456789002",
        {"reference": "123456789002"},
        True,
    )
    assert mv.customer_reference == "E2E-INV-2024-0001"
    assert mv.counterparty_bic == "GEBABEBB"
    assert (mv.category_purpose, mv.purpose) == ("SUPP", "GDDS")
    assert (mv.r_transaction_type, mv.reason_code) == ("", "")
    assert mv.counterparty_account == "BE71096123456769"
    assert mv.counterparty_currency == "EUR"
    assert mv.counterparty_name == "DUPONT & FILS SA"
    assert mv.counterparty_address == "RUE DE LA LOI 16, 1000 BRUXELLES"
    assert mv.record_text == "".join(lines("full.cod")[2:5])


def test_information_record_001_with_continuation(full):
    (info,) = full.movements[0].information
    assert (info.sequence, info.detail, info.line_number) == (1, 1, 6)
    assert info.transaction_code.code == "00150000"
    assert info.communication == "DUPONT & FILS SA, RUE DE LA LOI 16, 1000 BRUXELLES"
    assert info.structured_communication.type == "001"
    assert info.structured_communication.fields == {
        "name": "DUPONT & FILS SA",
        "street": "RUE DE LA LOI 16",
        "locality": "1000 BRUXELLES",
        "identification": "",
    }


def test_free_communication_joined_over_three_records(full):
    mv = full.movements[1]
    assert mv.communication == (
        "Invoice 2024/0042 office furniture and installation works at our Brussels office, "
        "order PO-7781, delivery on 1 March 2024 as agreed"
    )
    assert mv.structured_communication is None
    assert mv.value_date == date(2024, 3, 4)
    assert mv.customer_reference == ""  # NOTPROVIDED
    assert mv.counterparty_account == "734012345681"  # BBAN layout of record 2.3
    assert mv.counterparty_currency == "EUR"
    assert mv.counterparty_name == "MEUBLES LEFEVRE"
    assert mv.transaction_code.label == (
        "Domestic or SEPA credit transfer: individual transfer order"
    )


def test_customer_globalisation(full):
    total, first, last = full.movements[2:5]
    assert (total.sequence, total.detail, total.depth, total.has_details) == (3, 0, 0, True)
    assert total.transaction_code.type == 1
    assert total.globalisation_code == last.globalisation_code == 1
    assert total.customer_reference == "SALARIES-2024-03"
    assert total.category_purpose == "SALA"
    assert [(m.detail, m.depth, m.has_details) for m in (first, last)] == [
        (1, 1, False),
        (2, 1, False),
    ]
    assert first.amount + last.amount == total.amount == Decimal("-3000")
    assert (first.counterparty_name, last.counterparty_name) == ("JAN PEETERS", "SOFIE MAES")


def test_globalisation_details_count_information_records(full):
    total, net, vat = full.movements[5:8]
    assert [(m.sequence, m.detail, m.depth) for m in (total, net, vat)] == [
        (4, 0, 0),
        (4, 2, 1),
        (4, 3, 1),
    ]
    (info,) = total.information
    assert (info.sequence, info.detail) == (4, 1)
    assert info.structured_communication.fields["amount"] == Decimal("-12.10")
    assert info.communication == "ACCOUNT FEE FEBRUARY: -12.10 EUR"
    assert vat.transaction_code.category == "011"
    assert vat.transaction_code.label == "Closing: costs (VAT)"
    assert vat.structured_communication.type == "106"  # spread over records 2.1 and 2.2
    assert vat.structured_communication.fields["percent"] == Decimal("21")
    assert vat.communication == "Calculation: 2.10 = 21 % of 10.00"


def test_sepa_direct_debit_over_three_records(full):
    mv = full.movements[8]
    sc = mv.structured_communication
    assert sc.type == "127"
    assert sc.fields["settlement_date"] == date(2024, 3, 5)
    assert sc.fields["creditor_id"] == "BE12ZZZ0123456789"
    assert sc.fields["mandate_reference"] == "MANDATE-0001"
    assert sc.fields["communication"] == "ELECTRICITY MARCH 2024"
    assert mv.communication == (
        "SEPA direct debit, mandate MANDATE-0001, creditor BE12ZZZ0123456789: "
        "ELECTRICITY MARCH 2024"
    )
    assert mv.customer_reference == "DD-REF-778899"
    assert mv.counterparty_name == "ENERGY SUPPLIER NV"


def test_creditor_reference(full):
    mv = full.movements[9]
    assert mv.communication == "RF18 5390 0754 7034"
    assert mv.structured_communication.is_valid


def test_free_information_over_records_31_32_33():
    text = (
        "Transfer from abroad: ordering customer MUELLER GMBH, BAHNSTRASSE 38, 44793 BOCHUM, "
        "GERMANY; ultimate debtor MUELLER HOLDING AG; remittance information INVOICE 2024/0042 "
        "AND 2024/0043; charges SHA; exchange rate 1.0000; value date 05/03/2024"
    )
    assert len(text) > 73 + 105
    chunks = (text[:73], text[73:178], text[178:268])
    records = lines("full.cod")
    records[24] = put(records[24], 127, "1")
    records[25:25] = [
        f"3100060001{'EBA0000000000006':21}001500000{chunks[0]:73}{'':12}1 0",
        f"3200060001{chunks[1]:105}{'':10}1 0",
        f"3300060001{chunks[2]:90}{'':25}0 0",
    ]
    records[-1] = put(records[-1], 16, "000028")
    (statement,) = parse(join(records))
    (info,) = statement.movements[9].information
    assert (info.sequence, info.detail, info.line_number) == (6, 1, 26)
    assert info.structured_communication is None
    assert info.communication == text
    assert statement.warnings == []


def test_balance_and_detail_movements(full):
    assert [(m.sequence, m.detail) for m in full.balance_movements] == [
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 0),
    ]
    assert [(m.sequence, m.detail) for m in full.detail_movements] == [
        (1, 0),
        (2, 0),
        (3, 1),
        (3, 2),
        (4, 2),
        (4, 3),
        (5, 0),
        (6, 0),
    ]


# -- several statements, structures, versions, encodings, line endings ----------------------------


def test_several_statements_and_accounts_lf_blank_lines_no_final_eol():
    data = read("multi.cod")
    assert b"\r" not in data and b"\n\n\n" in data and not data.endswith(b"\n")
    bban, foreign = parse(data)
    assert (bban.account_structure, bban.account_number, bban.iban) == (
        0,
        "539007547034",
        "BE68539007547034",
    )
    assert (bban.first_line, bban.last_line) == (1, 6)
    assert bban.old_balance + sum(m.amount for m in bban.movements) == bban.new_balance
    assert (foreign.account_structure, foreign.account_number, foreign.iban) == (
        3,
        "FR7630006000011234567890189",
        "FR7630006000011234567890189",
    )
    assert (foreign.first_line, foreign.last_line) == (9, 15)
    assert foreign.old_balance == Decimal("-200")
    assert foreign.bic == "AGRIFRPP"
    assert foreign.movements[0].transaction_code.label == (
        "International or non-SEPA credit transfer"
    )
    assert foreign.movements[0].counterparty_account == "DE89370400440532013000"
    assert foreign.free_communications[0].text == "CLOSING AVAILABLE BALANCE 500,00 EUR"
    assert bban.warnings == foreign.warnings == []


def test_foreign_bban_structure_has_no_iban():
    records = lines("multi.cod")[8:]
    records[1] = put(records[1], 1, "1")  # same 37 positions as structure 3
    (statement,) = parse(join(records))
    assert statement.account_structure == 1
    assert statement.account_number == "FR7630006000011234567890189"
    assert statement.iban is None


def test_empty_statement_records_0_1_9_and_trailing_blank_lines():
    data = read("empty.cod")
    assert data.endswith(b"\r\n\r\n\r\n")
    (statement,) = parse(data)
    assert statement.movements == []
    assert statement.new_balance == statement.old_balance == Decimal("999.99")
    assert statement.warnings == []


def test_version_1_file():
    (statement,) = parse(read("v1.cod"))
    assert statement.version == 1
    assert statement.creation_date == date(1999, 3, 15)
    assert (statement.account_number, statement.currency) == ("539007547034", "EUR")
    assert statement.iban == "BE68539007547034"
    mv = statement.movements[0]
    assert (mv.counterparty_account, mv.counterparty_name) == ("001123456727", "LANDLORD BVBA")
    assert mv.counterparty_address == "KERKSTRAAT 1 2000 ANTWERPEN"
    assert statement.warnings == []


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "latin-1", "cp850"])
def test_encodings(encoding):
    text = read("accents_cp1252.cod").decode("cp1252")
    data = text.encode(encoding)
    if encoding == "utf-8":
        assert max(len(line) for line in data.splitlines()) > 128  # counted in characters
    (statement,) = parse(data)
    assert statement.holder_name == "Café Noël à Liège SRL"
    assert statement.account_description == "Compte à vue"
    mv = statement.movements[0]
    assert mv.counterparty_name == "Zoë Lefèvre-Müller"
    assert mv.communication == "Facture n° 12, été 2024, reçu"


def test_decode_text_prefers_the_code_page_giving_letters():
    assert decode_text("é à ë".encode("cp850")) == "é à ë"
    assert decode_text("é à ë".encode("cp1252")) == "é à ë"
    assert decode_text(b"\xef\xbb\xbfabc") == "abc"  # UTF-8 byte order mark


def test_undefined_cp1252_bytes_fall_back_to_latin_1():
    assert decode_text("été à Liège".encode("latin-1") + b"\x81") == "été à Liège\x81"


def test_mojibake_does_not_crash():
    text = read("accents_cp1252.cod").decode("cp1252").replace("é", "\ufffd")
    (statement,) = parse(text.encode("utf-8"))
    assert statement.holder_name == "Caf\ufffd Noël à Liège SRL"


@pytest.mark.parametrize(
    "transform",
    [
        lambda text: text.replace("\r\n", "\n"),
        lambda text: text.replace("\r\n", "\r"),
        lambda text: text.rstrip("\r\n"),
        lambda text: text + "\r\n   \r\n\r\n",
        lambda text: text.replace("\r\n2100020000", "\r\n\r\n  \r\n2100020000"),
        lambda text: "\r\n\r\n" + text,
    ],
    ids=["lf", "cr", "no-final-eol", "trailing-blank-lines", "blank-lines-inside", "leading"],
)
def test_line_endings_and_blank_lines(full, transform):
    (statement,) = parse(transform(read("full.cod").decode("cp1252")).encode("cp1252"))
    assert [(m.amount, m.communication) for m in statement.movements] == [
        (m.amount, m.communication) for m in full.movements
    ]
    assert statement.warnings == []


def test_accepts_bytearray_and_memoryview(full):
    assert parse(bytearray(read("full.cod")))[0].movements == full.movements
    assert parse(memoryview(read("full.cod")))[0].movements == full.movements


def test_is_coda():
    assert is_coda(read("full.cod"))
    assert is_coda(b"\r\n" + read("multi.cod"))
    assert not is_coda(b"")
    assert not is_coda(b"# a comment\n" + read("full.cod"))
    assert not is_coda(b"0000005032430006" + b" " * 112)  # application code is not 05


def test_date_zeros_mean_unknown():
    (statement,) = parse_changed("full.cod", 2, 47, "000000")
    assert statement.movements[0].value_date is None


def test_short_trailer_is_tolerated():
    records = lines("full.cod")
    records[-1] = records[-1][:57]
    (statement,) = parse(join(records))
    assert statement.warnings == []


def test_bban_to_iban():
    assert bban_to_iban("539007547034") == "BE68539007547034"


# -- globalisations -------------------------------------------------------------------------------


def movement(sequence: int, detail: int, code: str, cents: int, glob: int) -> str:
    """A 2.1 record (no 2.2/2.3) of our own."""
    sign = "1" if cents < 0 else "0"
    return (
        f"21{sequence:04d}{detail:04d}{'REF':21}{sign}{abs(cents) * 10:015d}050324{code}0"
        f"{'TEST':53}050324012{glob}0 0"
    )


def statement_with(movements: list[str], old_cents: int = 0, header: str = "00000") -> bytes:
    """full.cod's records 0 and 1 around our own movements, with a consistent 8 and 9."""
    head = lines("full.cod")[:2]
    head[0] = put(head[0], 83, header)
    head[1] = put(head[1], 42, f"0{old_cents * 10:015d}")
    totals = [  # first movement of each sequence number: what the balance is made of
        r for i, r in enumerate(movements) if i == 0 or r[2:6] != movements[i - 1][2:6]
    ]
    debit = sum(int(r[32:47]) for r in totals if r[31] == "1" and r[6:10] == "0000")
    credit = sum(int(r[32:47]) for r in totals if r[31] == "0" and r[6:10] == "0000")
    total = old_cents * 10 + credit - debit
    sign = "1" if total < 0 else "0"
    new = f"8012{'BE68539007547034':31}   EUR{sign}{abs(total):015d}050324{' ' * 64}0"
    trailer = f"9{' ' * 15}{len(movements) + 2:06d}{debit:015d}{credit:015d}{' ' * 75}2"
    return join([*head, *movements, new, trailer])


def depths(statement: Statement) -> list[tuple[int, int, bool]]:
    return [(m.detail, m.depth, m.has_details) for m in statement.movements]


def test_nested_globalisation_by_codes():
    (statement,) = parse(
        statement_with(
            [
                movement(1, 0, "20150000", 600, 1),
                movement(1, 1, "60150000", 100, 0),
                movement(1, 2, "70150000", 300, 2),
                movement(1, 3, "90150000", 100, 0),
                movement(1, 4, "90150000", 200, 2),
                movement(1, 5, "60150000", 200, 1),
                movement(2, 0, "00150000", 50, 0),
            ]
        )
    )
    assert depths(statement) == [
        (0, 0, True),
        (1, 1, False),
        (2, 1, True),
        (3, 2, False),
        (4, 2, False),
        (5, 1, False),
        (0, 0, False),
    ]
    assert statement.warnings == []


def test_type_7_opens_a_level_for_type_9_details_without_codes():
    (statement,) = parse(
        statement_with(
            [
                movement(1, 0, "20150000", 600, 1),
                movement(1, 1, "70150000", 400, 0),
                movement(1, 2, "90150000", 150, 0),
                movement(1, 3, "90150000", 250, 0),
                movement(1, 4, "60150000", 200, 1),
            ]
        )
    )
    assert depths(statement) == [
        (0, 0, True),
        (1, 1, True),
        (2, 2, False),
        (3, 2, False),
        (4, 1, False),
    ]
    assert statement.warnings == []


def test_total_without_details_is_a_plain_movement():
    (statement,) = parse(
        statement_with([movement(1, 0, "10107000", -1000, 1), movement(2, 0, "10107000", -500, 1)])
    )
    assert depths(statement) == [(0, 0, False), (0, 0, False)]
    assert statement.warnings == []


def test_details_sharing_the_sequence_number_with_plain_type():
    """Details are recognised by their detail number, even with a type 0 code."""
    (statement,) = parse(
        statement_with(
            [
                movement(1, 0, "10101000", -75, 1),
                movement(1, 2, "00101000", -25, 0),
                movement(1, 3, "00101000", -50, 1),
            ]
        )
    )
    assert depths(statement) == [(0, 0, True), (2, 1, False), (3, 1, False)]
    assert statement.warnings == []


def test_detail_number_wrapping_past_9999():
    details = [movement(1, n % 10000, "50101000", -1, 0) for n in range(1, 10001)]
    details.append(movement(1, 1, "50101000", -1, 1))
    (statement,) = parse(statement_with([movement(1, 0, "10101000", -10001, 1), *details]))
    assert len(statement.balance_movements) == 1
    assert statement.movements[10000].detail == 0
    assert statement.movements[10000].depth == 1
    assert statement.warnings == []


def test_sequence_number_wrapping_past_9999():
    records = [movement(n % 10000, 0, "00150000", 1, 0) for n in range(9998, 10002)]
    (statement,) = parse(statement_with(records))
    assert [m.sequence for m in statement.movements] == [9998, 9999, 0, 1]
    assert all(m.depth == 0 for m in statement.movements)
    assert statement.warnings == []


def test_separate_application_details_without_total_give_no_warning():
    records = [movement(7, 1, "60150000", 100, 0), movement(7, 2, "60150000", 200, 1)]
    (statement,) = parse(statement_with(records, header="00001"))
    assert [m.depth for m in statement.movements] == [1, 1]
    assert statement.separate_application == "00001"
    assert statement.warnings == []


# -- warnings ----------------------------------------------------------------------------------


def test_warnings():
    (statement,) = parse(read("warnings.cod"))
    assert statement.warnings == [
        "line 2: IBAN BE00539007547034 has wrong check digits",
        "line 3: structured communication +++123/4567/89003+++ has wrong check digits",
        "line 3: counterparty IBAN BE00096123456769 has wrong check digits",
        "line 5: the details of movement 0002/0000 add up to -90.00, its amount is -100.00",
        "line 8: globalisation 0003/0000 (code 1) is never closed by a detail repeating its code",
        "line 10: movement 0004/0003 is a detail but its total (0004/0000) is not before it",
        "line 11: free communication (record 4) before the new balance (record 8)",
        "line 12: record 8 is for account BE71096123456769 EUR, record 1 for BE00539007547034 EUR",
        "line 12: old balance 1000.00 + movements -50.00 = 950.00, but the new balance is 900.00",
        "line 13: record 9 counts 99 records, the statement has 10",
        "line 13: record 9 total debit is 1.00, the movements add up to 150.00",
        "line 13: record 9 total credit is 2.00, the movements add up to 100.00",
    ]
    assert statement.movements[0].structured_communication.is_valid is False


def test_belgian_account_warnings():
    records = lines("multi.cod")[:6]
    bad = put(records[1], 5, "539007547035")
    masked = put(records[1], 5, "539XXXXXXXXX")
    records[4] = put(records[4], 4, "539007547035")
    (statement,) = parse(join([records[0], bad, *records[2:]]))
    assert statement.warnings == ["line 2: account 539007547035 has wrong check digits"]
    (statement,) = parse(join([records[0], masked, *records[2:]]))
    assert statement.iban is None
    assert statement.warnings[0] == (
        "line 2: account '539XXXXXXXXX' is not a Belgian account number (12 digits), so it has "
        "no IBAN"
    )


# -- errors -------------------------------------------------------------------------------------


def assert_error(data: bytes, line: int | None, record: str | None, message: str):
    with pytest.raises(CodaError) as caught:
        parse(data)
    error = caught.value
    assert (error.line_number, error.record) == (line, record)
    where = ", ".join(
        part for part in (line and f"line {line}", record and f"record {record}") if part
    )
    assert str(error) == f"{where}: {message}"
    # Every error has a code, for an application to word it in its user's language.
    assert error.code in ERRORS
    assert error.message == english(ERRORS, error.code, error.params)


def changed(index: int, start: int, value: str, name: str = "full.cod") -> bytes:
    records = lines(name)
    records[index] = put(records[index], start, value)
    return join(records)


def without(*indexes: int, name: str = "full.cod") -> bytes:
    return join([r for i, r in enumerate(lines(name)) if i not in indexes])


def moved(index: int, to: int, name: str = "full.cod") -> bytes:
    records = lines(name)
    records.insert(to, records.pop(index))
    return join(records)


NOT_CODA = "not a CODA file: the first record must be a header ('0000' + date + bank code + '05')"


@pytest.mark.parametrize(
    ("data", "line", "record", "message"),
    [
        (b"", 1, None, NOT_CODA),
        (b"hello world\n", 1, None, NOT_CODA),
        (b"\n\n# comment\n", 3, None, NOT_CODA),
        (
            changed(0, 127, "5"),
            1,
            "0",
            "version code '5' is not supported (expected 2, or 1 for old files)",
        ),
        (
            changed(8, 14, "06", name="multi.cod"),
            9,
            "0",
            "application code '06' is not '05'",
        ),
        (changed(0, 5, "000000"), 1, "0", "creation date is missing ('000000')"),
        (
            changed(0, 5, "300224"),
            1,
            "0",
            "creation date field '300224' is not a valid date (DDMMYY)",
        ),
        (
            changed(2, 32, "00000A000000000"),
            3,
            "21",
            "amount field '00000A000000000' is not numeric",
        ),
        (changed(2, 2, "00 1"), 3, "21", "sequence number field '00 1' is not numeric"),
        (changed(2, 31, "2"), 3, "21", "sign field '2' must be 0 or 1"),
        (
            changed(2, 47, "310224"),
            3,
            "21",
            "value date field '310224' is not a valid date (DDMMYY)",
        ),
        (
            changed(2, 115, "051324"),
            3,
            "21",
            "entry date field '051324' is not a valid date (DDMMYY)",
        ),
        (changed(2, 53, "0015000X"), 3, "21", "transaction code field '0015000X' is not numeric"),
        (changed(2, 124, "G"), 3, "21", "globalisation code field 'G' is not numeric"),
        (
            changed(1, 43, "0000000012345.6"),
            2,
            "1",
            "old balance field '0000000012345.6' is not numeric",
        ),
        (changed(1, 42, "3"), 2, "1", "old balance sign field '3' must be 0 or 1"),
        (changed(1, 1, "5"), 2, "1", "account structure '5' is not 0, 1, 2 or 3"),
        (
            changed(1, 58, "000024"),
            2,
            "1",
            "old balance date field '000024' is not a valid date (DDMMYY)",
        ),
        (
            changed(25, 57, "423132"),
            26,
            "8",
            "new balance date field '423132' is not a valid date (DDMMYY)",
        ),
        (
            changed(25, 42, "             1A"),
            26,
            "8",
            "new balance field '             1A' is not numeric",
        ),
        (changed(29, 16, "00002X"), 30, "9", "record count field '00002X' is not numeric"),
        (changed(26, 2, "000A"), 27, "4", "sequence number field '000A' is not numeric"),
        (changed(5, 31, "0015000X"), 6, "31", "transaction code field '0015000X' is not numeric"),
        (changed(5, 39, "E"), 6, "31", "communication type field 'E' is not numeric"),
        (changed(2, 0, "5"), 3, "5", "unknown record type '5'"),
        (changed(3, 0, "24"), 4, "24", "unknown record type '24'"),
        (changed(5, 0, "34"), 6, "34", "unknown record type '34'"),
        (
            join([*lines("full.cod")[:2], lines("full.cod")[2] + " "]),
            3,
            "21",
            "line is 129 characters long, a record has 128",
        ),
        (
            join([*lines("full.cod")[:2], lines("full.cod")[2][:100]]),
            3,
            "21",
            "line is 100 characters long, a record has 128",
        ),
        (
            join([*lines("full.cod")[:-1], lines("full.cod")[-1][:51]]),
            30,
            "9",
            "line is 51 characters long, a record has 128",
        ),
        (
            moved(2, 1),
            2,
            "21",
            "record 21 is out of order: expected a record 1 (old balance)",
        ),
        (
            moved(26, 1),
            2,
            "4",
            "record 4 is out of order: expected a record 1 (old balance)",
        ),
        (
            join([*lines("full.cod")[:2], lines("full.cod")[1]]),
            3,
            "1",
            "record 1 is out of order: expected a movement (2x, 3x), a record 8 (new balance) or "
            "a record 9 if there are no movements",
        ),
        (
            without(25),
            29,
            "9",
            "record 9 is out of order: expected a movement (2x, 3x), a record 8 (new balance) or "
            "a record 9 if there are no movements",
        ),
        (
            join([*lines("full.cod")[:26], lines("full.cod")[2]]),
            27,
            "21",
            "record 21 is out of order: expected a record 4 (free communication) or a record 9 "
            "(trailer)",
        ),
        (without(2), 3, "22", "record 22 must follow a record 21, not record 1"),
        (moved(3, 4), 5, "22", "record 22 must follow a record 21, not record 23"),
        (moved(4, 5), 6, "23", "record 23 must follow a record 21 or 22, not record 31"),
        (without(2, 3, 4), 3, "31", "record 31 must follow a movement (record 21)"),
        (
            changed(3, 2, "0009"),
            4,
            "22",
            "sequence/detail number 0009/0000 differs from the record 21 before it (0001/0000)",
        ),
        (
            changed(4, 6, "0001"),
            5,
            "23",
            "sequence/detail number 0001/0001 differs from the record 21 before it (0001/0000)",
        ),
        (
            changed(5, 2, "0002"),
            6,
            "31",
            "sequence number 0002 differs from that of the movement before it (0001)",
        ),
        (
            changed(6, 6, "0002"),
            7,
            "32",
            "sequence/detail number 0001/0002 differs from the record 31 before it (0001/0001)",
        ),
        (without(5), 6, "32", "record 32 must follow a record 31, not record 23"),
        (
            without(29),
            29,
            None,
            "the file ends without record 9 (statement started on line 1): truncated file?",
        ),
        (
            join(lines("full.cod")[:20]),
            20,
            None,
            "the file ends without record 9 (statement started on line 1): truncated file?",
        ),
        (
            join([*lines("full.cod")[:-1], *lines("full.cod")]),
            30,
            "0",
            "record 0 starts a new statement but the statement started on line 1 has no record 9",
        ),
        (
            join([*lines("full.cod"), lines("full.cod")[1]]),
            31,
            "1",
            "record 1 is out of order: expected a record 0 (header)",
        ),
    ],
)
def test_structural_errors(data, line, record, message):
    """Each structural problem names its line, its record and what is wrong."""
    assert_error(data, line, record, message)


def test_error_after_trailer_of_invalid_file():
    records = [*lines("full.cod"), "", "100/0000/00135"]
    assert_error(join(records, "\n"), 32, "1", "line is 14 characters long, a record has 128")


def test_coda_error_is_a_value_error():
    assert issubclass(CodaError, ValueError)
    assert str(CodaError("bad")) == "bad"
    assert str(CodaError("bad", 3)) == "line 3: bad"
    assert str(CodaError("bad", 3, "21")) == "line 3, record 21: bad"


# -- transaction codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("00150000", "Domestic or SEPA credit transfer: transfer in your favour"),
        ("00250000", "Instant SEPA credit transfer: transfer in your favour"),
        ("00304000", "Cheque"),  # unknown operation: the family alone
        ("00404000", "Card: cash withdrawal from an ATM"),
        ("00501000", "Direct debit: payment"),
        ("13001002", "Miscellaneous (interest paid)"),
        ("08037000", "Separately charged costs and provisions: costs"),
        ("03537801", "Closing: costs (bank-specific category)"),
        ("09999000", "Family 99: cancellation or correction"),
    ],
)
def test_transaction_code_labels(code, label):
    transaction = TransactionCode(int(code[0]), code[1:3], code[3:5], code[5:8])
    assert transaction.code == code
    assert transaction.label == label
