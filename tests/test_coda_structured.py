"""Structured communications: positional fields of every type, check digits, display."""

from datetime import date
from decimal import Decimal

import pytest

from ..coda_parser import parse
from ..coda_parser.structured import (
    LAYOUTS,
    decode,
    decode_fields,
    encode,
    encode_fields,
    enterprise_number_check_digits,
    format_amount,
    format_ogm,
    iso_check_digits,
    mod97_is_valid,
    ogm_check_digits,
    ogm_is_valid,
    parse_date,
)


def amount(text: str) -> str:
    """15 positions, 3 implied decimals: amount("12.5") == "000000000012500"."""
    return f"{int(Decimal(text) * 1000):015d}"


def rate(text: str) -> str:
    """12 positions, 8 implied decimals."""
    return f"{int(Decimal(text) * 10**8):012d}"


def test_101_valid_and_displayed_with_plus_signs():
    sc = decode("101", "090933755493" + " " * 38)
    assert (sc.type, sc.raw, sc.display, sc.is_valid) == (
        "101",
        "090933755493",
        "+++090/9337/55493+++",
        True,
    )
    assert sc.fields == {"reference": "090933755493"}


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("123456789002", True),
        ("000000009797", True),  # remainder 0 is written 97
        ("000000009700", False),
        ("123456789003", False),
        ("12345678900", False),
        ("12345678900A", False),
    ],
)
def test_ogm_check_digits(digits, valid):
    assert ogm_is_valid(digits) is valid
    assert decode("102", digits).is_valid is valid


def test_ogm_helpers():
    assert ogm_check_digits("1234567890") == "02"
    assert ogm_check_digits("0000000097") == "97"
    assert ogm_check_digits("5390075470") == "34"  # account 539-0075470-34
    assert format_ogm("123456789002") == "+++123/4567/89002+++"
    assert enterprise_number_check_digits("01234567") == "49"
    assert enterprise_number_check_digits("04774727") == "01"
    assert enterprise_number_check_digits("00000097") == "97"


def test_100_iso_creditor_reference():
    sc = decode("100", "RF18539007547034")
    assert sc.fields == {"reference": "RF18539007547034"}
    assert sc.display == "RF18 5390 0754 7034"
    assert sc.is_valid
    assert not decode("100", "RF19539007547034").is_valid
    assert not decode("100", "XX18539007547034").is_valid


def test_mod97_helpers():
    assert mod97_is_valid("BE68539007547034")
    assert mod97_is_valid("be68539007547034")
    assert not mod97_is_valid("BE68539007547035")
    assert not mod97_is_valid("BE68-5390")
    assert not mod97_is_valid("BE6")
    assert iso_check_digits("539007547034", "BE") == "68"
    assert iso_check_digits("539007547034", "RF") == "18"


def test_103_number():
    sc = decode("103", "000123456789")
    assert sc.fields == {"number": "000123456789"}
    assert sc.display == "Number 000123456789"


def test_105_original_amount():
    content = (
        amount("110.5")
        + amount("120.25")
        + rate("1.08823529")
        + "USD"
        + "123456789002"
        + "US"
        + amount("110.5")
    )
    sc = decode("105", content)
    assert sc.fields == {
        "gross_amount": Decimal("110.5"),
        "gross_amount_original_currency": Decimal("120.25"),
        "rate": Decimal("1.08823529"),
        "currency": "USD",
        "structured_communication": "123456789002",
        "country": "US",
        "amount_eur": Decimal("110.5"),
    }
    assert sc.display == "Original amount 120.25 USD, rate 1.08823529, +++123/4567/89002+++"


def test_106_calculation():
    content = amount("2.1") + amount("10") + rate("21") + "1" + amount("2.1")
    sc = decode("106", content)
    assert sc.fields["minimum"] == "1"
    assert sc.fields["percent"] == Decimal("21")
    assert sc.display == "Calculation: 2.10 = 21 % of 10.00"


def test_107_domestic_direct_debit():
    content = "000012345678" + "150324" + "CONTRACT 42".ljust(30) + "0" + "04567890123"
    sc = decode("107", content)
    assert sc.fields == {
        "direct_debit_number": "000012345678",
        "pivot_date": date(2024, 3, 15),
        "communication": "CONTRACT 42",
        "paid_or_refused": "0",
        "creditor_number": "04567890123",
    }
    assert sc.display == "Direct debit 000012345678: CONTRACT 42"


def test_108_closing():
    content = amount("5.25") + amount("1000") + rate("2.1") + "010124" + "310324"
    sc = decode("108", content)
    assert sc.fields["interest_rate"] == Decimal("2.1")
    assert (sc.fields["period_start"], sc.fields["period_end"]) == (
        date(2024, 1, 1),
        date(2024, 3, 31),
    )
    assert sc.display == "Closing: 5.25 for 2024-01-01 to 2024-03-31"


def test_111_pos_credit_globalisation():
    content = (
        "1"
        + "123456"
        + "042"
        + "000101"
        + "010324"
        + "000187"
        + "030324"
        + "5"
        + "BAKERY JANSSENS".ljust(16)
        + "LEUVEN".ljust(10)
    )
    sc = decode("111", content)
    assert sc.fields["first_date"] == date(2024, 3, 1)
    assert sc.fields["last_sequence"] == "000187"
    assert sc.fields["terminal_locality"] == "LEUVEN"
    assert sc.display == "Card payments received at BAKERY JANSSENS LEUVEN"


def test_113_card_payment_over_three_records():
    content = (
        "4871040000001234"
        + "2"
        + "654321"
        + "000042"
        + "050324"
        + "1732"
        + "9"
        + "TOTAL STATION".ljust(16)
        + "NAMUR".ljust(10)
        + amount("61.2")
        + rate("1")
        + "EUR"
        + "03825"
        + "01"
        + "01599"
    )
    sc = decode("113", content)
    assert sc.fields["card_number"] == "4871040000001234"
    assert sc.fields["transaction_time"] == "1732"
    assert sc.fields["volume"] == Decimal("38.25")
    assert sc.fields["unit_price"] == Decimal("1.599")
    assert sc.display == "Maestro 4871040000001234 at TOTAL STATION NAMUR on 2024-03-05"


def test_114_pos_credit_individual():
    content = (
        "1"
        + "123456"
        + "042"
        + "000101"
        + "010324"
        + "0930"
        + "5"
        + "BAKERY JANSSENS".ljust(16)
        + "LEUVEN".ljust(10)
        + "TXREF00000000001"
    )
    sc = decode("114", content)
    assert sc.fields["transaction_reference"] == "TXREF00000000001"
    assert sc.display == "Card payment received at BAKERY JANSSENS LEUVEN"


def test_115_terminal_cash_deposit():
    content = (
        "4871040000001234"
        + "9"
        + "654321"
        + "000042"
        + "050324"
        + "1200"
        + "060324"
        + "000007"
        + amount("500")
        + "A"
        + "DEPOSIT BOX".ljust(16)
        + "GENT".ljust(10)
        + "OK".ljust(12)
    )
    sc = decode("115", content)
    assert sc.fields["validation_date"] == date(2024, 3, 6)
    assert sc.fields["original_amount"] == Decimal("500")
    assert sc.fields["message"] == "OK"
    assert sc.display == "Other 4871040000001234 at DEPOSIT BOX GENT on 2024-03-05"


def test_121_commercial_bill():
    content = (
        amount("1500")
        + "300424"
        + "300424"
        + "010324"
        + "00123456749"
        + "EUR"
        + "   "
        + "BILL-0000042".ljust(13)
        + rate("1")
    )
    sc = decode("121", content)
    assert sc.fields["maturity_date"] == date(2024, 4, 30)
    assert sc.fields["company_number"] == "00123456749"
    assert sc.fields["bill_number"] == "BILL-0000042"
    assert sc.fields["exchange_rate"] == Decimal("1")


def test_122_bill_interest():
    content = "0060" + rate("4.5") + amount("1500") + "1" + "BILL-0000042".ljust(13) + "300424"
    sc = decode("122", content)
    assert sc.fields["days"] == 60
    assert sc.fields["interest_rate"] == Decimal("4.5")


def test_123_fees_open_ended_guarantee():
    content = "010324" + "999999" + amount("10000") + rate("0.5") + "0365" + "2" + "GAR-1".ljust(13)
    sc = decode("123", content)
    assert sc.fields["maturity_date"] is None  # 999999: open-ended guarantee
    assert sc.fields["term_days"] == 365
    assert sc.fields["guarantee_number"] == "GAR-1"


def test_124_credit_card():
    content = "5412750000001234".ljust(20) + "1" + "INV000000042" + "ID0000000000001" + "290224"
    sc = decode("124", content)
    assert sc.fields["issuer"] == "1"
    assert sc.fields["date"] == date(2024, 2, 29)
    assert sc.display == "Credit card 5412750000001234, invoice INV000000042"


def test_125_loan():
    content = (
        "737123456789"
        + " " * 15
        + amount("100000")
        + amount("95000")
        + amount("5000")
        + "EUR"
        + "010120"
        + "010130"
        + rate("1.95")
        + "LOAN-REF-0001"
    )
    sc = decode("125", content)
    assert sc.fields["old_balance"] == Decimal("100000")
    assert sc.fields["new_balance"] == Decimal("95000")
    assert sc.fields["end_date"] == date(2030, 1, 1)
    assert sc.fields["nominal_rate"] == Decimal("1.95")


def test_126_term_investment():
    content = (
        "DEP-000000042".ljust(15)
        + amount("25000")
        + amount("25000")
        + "010124"
        + "010424"
        + rate("3.1")
        + amount("193.75")
        + "EUR"
        + rate("1")
    )
    sc = decode("126", content)
    assert sc.fields["deposit_number"] == "DEP-000000042"
    assert sc.fields["interest_amount"] == Decimal("193.75")


def test_127_sepa_direct_debit_with_r_transaction():
    content = (
        "050324"
        + "3"
        + "2"
        + "4"
        + "BE12ZZZ0123456789".ljust(35)
        + "MANDATE-0001".ljust(35)
        + "ELECTRICITY".ljust(62)
        + "2"
        + "AC04"
    )
    sc = decode("127", content)
    assert sc.fields["direct_debit_type"] == "3"
    assert sc.fields["scheme"] == "2"
    assert sc.fields["reason"] == "AC04"
    assert sc.display == (
        "SEPA direct debit, mandate MANDATE-0001, creditor BE12ZZZ0123456789: ELECTRICITY "
        "(return AC04)"
    )


def test_001_counterparty():
    content = "ACME".ljust(70) + "STATIONSSTRAAT 1".ljust(35) + "9000 GENT".ljust(35) + "X1"
    sc = decode("001", content)
    assert sc.fields == {
        "name": "ACME",
        "street": "STATIONSSTRAAT 1",
        "locality": "9000 GENT",
        "identification": "X1",
    }
    assert sc.display == "ACME, STATIONSSTRAAT 1, 9000 GENT, X1"


@pytest.mark.parametrize("type_code", ["002", "004", "005"])
def test_four_lines_of_35(type_code):
    content = "FIRST LINE".ljust(35) + "SECOND".ljust(35) + " " * 35 + "LAST"
    sc = decode(type_code, content)
    assert sc.fields == {"line1": "FIRST LINE", "line2": "SECOND", "line3": "", "line4": "LAST"}
    assert sc.display == "FIRST LINE SECOND LAST"


def test_006_detail_amount_signed():
    content = "POSTAGE".ljust(30) + "EUR" + amount("1.5") + "1" + "004"
    sc = decode("006", content)
    assert sc.fields["amount"] == Decimal("-1.5")
    assert sc.fields["category"] == "004"
    assert sc.display == "POSTAGE: -1.50 EUR"


def test_007_cash():
    sc = decode("007", "0000020" + "050000" + amount("1000"))
    assert sc.fields == {
        "count": 20,
        "denomination": Decimal("50"),
        "total": Decimal("1000"),
    }


@pytest.mark.parametrize("type_code", ["008", "009"])
def test_ultimate_party(type_code):
    sc = decode(type_code, "MOTHER COMPANY NV".ljust(70) + "BE0123456749")
    assert sc.fields == {"name": "MOTHER COMPANY NV", "identification": "BE0123456749"}
    assert sc.display == "MOTHER COMPANY NV BE0123456749"


def test_010_securities():
    content = (
        "ORDER-0000001"
        + "FILE-0000000001"
        + "CUST-00000001"
        + "02"
        + "BE0003565737".ljust(15)
        + "U"
        + "000000100000"
        + "EUR"
        + "0001"
        + "EUR"
        + "000000455000"
        + rate("1")
        + "KBC GROUP".ljust(40)
        + "BORD-00000001"
        + " " * 8
        + " " * 8
        + "EURONEXT BRUSSELS".ljust(30)
        + "05032024"
        + "PURCHASE".ljust(24)
        + amount("0")
    )
    sc = decode("010", content)
    assert sc.fields["quantity"] == Decimal("10")
    assert sc.fields["price"] == Decimal("45.5")
    assert sc.fields["security_name"] == "KBC GROUP"
    assert sc.fields["trade_date"] == date(2024, 3, 5)


def test_011_coupons():
    content = (
        "ORDER-0000001"
        + "FILE-0000000001"
        + "CUST-00000001"
        + "02"
        + "BE0003565737".ljust(15)
        + "000000100000"
        + "KBC GROUP".ljust(40)
        + "EUR"
        + "00000001000000"
        + "1"
        + amount("30")
        + "DIVIDEND".ljust(24)
        + "000042"
        + "030524"
        + rate("1")
        + "EUR"
        + amount("0")
    )
    sc = decode("011", content)
    assert sc.fields["coupon_amount"] == Decimal("1")
    assert sc.fields["coupon_date"] == date(2024, 5, 3)
    assert sc.fields["foreign_tax_rate"] == Decimal("30")


def test_unknown_type_keeps_the_text():
    sc = decode("999", "SOME   FREE   TEXT   ")
    assert (sc.fields, sc.display, sc.raw, sc.is_valid) == (
        {},
        "SOME FREE TEXT",
        "SOME   FREE   TEXT",
        True,
    )


def test_garbage_in_numeric_fields_becomes_none():
    sc = decode("105", "XXXXXXXXXXXXXXX" + "   " + "12")
    assert sc.fields["gross_amount"] is None
    assert sc.fields["gross_amount_original_currency"] is None
    assert sc.fields["amount_eur"] is None
    assert decode("127", "320224").fields["settlement_date"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("050324", date(2024, 3, 5)),
        ("311299", date(1999, 12, 31)),
        ("000000", None),
        ("      ", None),
        ("310424", None),
        ("001324", None),
        ("05032024", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_format_amount():
    assert format_amount(Decimal("12.300")) == "12.30"
    assert format_amount(Decimal("-0.125")) == "-0.125"
    assert format_amount(Decimal("100")) == "100.00"


@pytest.mark.parametrize("type_code", sorted(LAYOUTS))
def test_encode_fields_is_the_inverse_of_decode_fields(type_code):
    samples = {"s": "AB", "d": "050324", "D": "05032024"}
    content = "".join(
        samples.get(kind, "1".zfill(length))[:length].ljust(length)
        for _, length, kind in LAYOUTS[type_code]
    )
    assert len(content) == sum(length for _, length, _ in LAYOUTS[type_code])
    fields = decode_fields(type_code, content)
    assert encode_fields(type_code, fields) == content


def test_encode_builds_from_values():
    assert encode("101", reference="123456789002").display == "+++123/4567/89002+++"
    assert encode("006", description="FEE", currency="EUR", amount=Decimal("-2")).fields[
        "amount"
    ] == Decimal("-2")


def test_information_records_through_the_parser():
    """Type 002 in a 3.1 with its 3.2 continuation, on a movement of our own."""
    header = (
        "0000005032430005        " + " " * 10 + "ACME".ljust(26) + "BBRUBEBB   " + "00123456749"
    ).ljust(127) + "2"
    old = ("12012" + "BE68539007547034".ljust(31) + "   EUR" + "0" + amount("0") + "040324").ljust(
        125
    ) + "012"
    mv = ("2100010000" + "REF".ljust(21) + "1" + amount("2.5") + "050324" + "33537000" + "0").ljust(
        115
    ) + "05032401200 1"
    info = (
        "3100010001"
        + "REF".ljust(21)
        + "33537000"
        + "1"
        + "002"
        + "YOUR ACCOUNT COSTS FOR".ljust(35)
        + "FEBRUARY".ljust(35)
    ).ljust(125) + "1 0"
    more = ("3200010001" + "2024".ljust(35)).ljust(125) + "0 0"
    new = ("8012" + "BE68539007547034".ljust(31) + "   EUR" + "1" + amount("2.5") + "050324").ljust(
        127
    ) + "0"
    trailer = ("9" + " " * 15 + "000005" + amount("2.5") + amount("0")).ljust(127) + "2"
    records = [header, old, mv, info, more, new, trailer]
    assert all(len(record) == 128 for record in records)
    (statement,) = parse("\n".join(records).encode())
    (information,) = statement.movements[0].information
    assert information.structured_communication.fields == {
        "line1": "YOUR ACCOUNT COSTS FOR",
        "line2": "FEBRUARY",
        "line3": "2024",
        "line4": "",
    }
    assert information.communication == "YOUR ACCOUNT COSTS FOR FEBRUARY 2024"
    assert statement.warnings == []
