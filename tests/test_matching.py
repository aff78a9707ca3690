"""The matching rules (pure Python): what a structured reference is, and what a movement does
with the open invoices that have its reference."""

from decimal import Decimal

import pytest

from ..coda_parser.structured import iso_check_digits, ogm_check_digits
from ..matching import (
    EXACT,
    FULL,
    LESS,
    MORE,
    NO_AMOUNT,
    NO_CANDIDATE,
    OPEN,
    OTHER_CURRENCY,
    PARTIAL,
    PRESELECT_STRIP,
    SEVERAL,
    WRONG_DIRECTION,
    Candidate,
    decide,
    is_ogm,
    normalise_reference,
    paid,
)

OGM = "090933755493"  # +++090/9337/55493+++
RF = "RF18539007547034"


def test_fixtures_have_valid_check_digits():
    assert ogm_check_digits(OGM[:10]) == OGM[10:]
    assert iso_check_digits(RF[4:], "RF") == RF[2:4]


@pytest.mark.parametrize(
    "text",
    [
        "+++090/9337/55493+++",
        "***090/9337/55493***",
        "090/9337/55493",
        "090933755493",
        " +++ 090 / 9337 / 55493 +++ ",
        "090-9337-55493",
        "090.9337.55493",
    ],
)
def test_belgian_structured_communication_written_any_usual_way(text):
    assert normalise_reference(text) == OGM
    assert is_ogm(normalise_reference(text))


@pytest.mark.parametrize(
    "text", ["RF18 5390 0754 7034", "rf18539007547034", "RF18  5390 0754  7034 "]
)
def test_creditor_reference(text):
    assert normalise_reference(text) == RF
    assert not is_ogm(RF)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "+++090/9337/55494+++",  # wrong check digits
        "+++090/9337/55493***",  # frames that do not go together
        "+++090/9337/55493",  # a frame opened and never closed
        "Facture +++090/9337/55493+++",  # a reference inside a longer text
        "+++090/9337/55493+++ et 2 autres",
        "Invoice 090933755493",
        "09093375549",  # 11 digits
        "0909337554930",  # 13 digits
        "RF19539007547034",  # wrong check digits
        "RF18 5390 0754 7034 X",
        "RF18" + "1" * 22,  # longer than ISO 11649 allows
        "INV/2024/00042",
        "090/9337/55493/",
    ],
)
def test_not_a_reference(text):
    assert normalise_reference(text) is None


def test_preselection_form_is_broader_and_agrees():
    """A normalised reference is its own preselection form: the database's candidates, whose
    reference stripped of all but digits and capitals equals it, are then confirmed."""
    import re

    for text in ("+++090/9337/55493+++", "RF18 5390 0754 7034"):
        reference = normalise_reference(text)
        assert re.sub(PRESELECT_STRIP, "", text.upper()) == reference
    # Preselected but not confirmed: the confirmation is what decides.
    assert re.sub(PRESELECT_STRIP, "", "Ref: 090933755493".upper()) != OGM
    assert normalise_reference("090 9337 55493+++") is None


def invoice(residual, currency="EUR", key="INV1"):
    return Candidate(key, Decimal(residual), currency)


def test_exact_amount_pays_fully():
    decision = decide(Decimal("121.00"), "EUR", [invoice("121")])
    assert (decision.outcome, decision.reason) == (FULL, EXACT)
    assert decision.candidate.key == "INV1"


def test_float_amounts_are_compared_in_cents():
    decision = decide(0.1 + 0.2, "EUR", [invoice("0.30")])
    assert decision.outcome == FULL
    assert decide(100.004, "EUR", [invoice("100.00")]).outcome == FULL
    assert decide(100.006, "EUR", [invoice("100.00")]).outcome == OPEN


def test_less_pays_partially_more_stays_open():
    decision = decide(50, "EUR", [invoice("121")])
    assert (decision.outcome, decision.reason) == (PARTIAL, LESS)
    decision = decide(150, "EUR", [invoice("121")])
    assert (decision.outcome, decision.reason) == (OPEN, MORE)
    assert decision.candidate.key == "INV1"


def test_money_out_pays_bills_and_customer_credit_notes():
    bill = invoice("-300", key="BILL")
    assert decide(-300, "EUR", [bill]).outcome == FULL
    assert decide(-100, "EUR", [bill]).outcome == PARTIAL
    assert decide(-301, "EUR", [bill]).reason == MORE
    decision = decide(300, "EUR", [bill])
    assert (decision.outcome, decision.reason) == (OPEN, WRONG_DIRECTION)
    assert decide(-121, "EUR", [invoice("121")]).reason == WRONG_DIRECTION


def test_only_candidates_of_the_movements_direction_count():
    """An invoice and a bill share the reference: money in can only pay the invoice."""
    decision = decide(121, "EUR", [invoice("121"), invoice("-121", key="BILL")])
    assert decision.outcome == FULL
    assert decision.candidate.key == "INV1"


def test_several_candidates_stay_open():
    decision = decide(121, "EUR", [invoice("121"), invoice("121", key="INV2")])
    assert (decision.outcome, decision.reason) == (OPEN, SEVERAL)
    assert {c.key for c in decision.candidates} == {"INV1", "INV2"}
    assert decision.candidate is None


def test_candidate_in_another_currency_stays_open():
    decision = decide(121, "EUR", [invoice("121", currency="USD")])
    assert (decision.outcome, decision.reason) == (OPEN, OTHER_CURRENCY)
    assert decide(121, "USD", [invoice("121", currency="USD")]).outcome == FULL


def test_no_candidate_and_zero_amount():
    assert decide(121, "EUR", []).reason == NO_CANDIDATE
    assert decide(0, "EUR", [invoice("121")]).reason == NO_AMOUNT
    assert decide(Decimal("0.001"), "EUR", [invoice("121")]).reason == NO_AMOUNT


def test_currency_decimals():
    yen = invoice("1500", currency="JPY")
    assert decide(1500, "JPY", [yen], decimals=0).outcome == FULL
    assert decide(Decimal("1.234"), "KWD", [invoice("1.234", "KWD")], decimals=3).outcome == FULL
    assert decide(Decimal("1.233"), "KWD", [invoice("1.234", "KWD")], decimals=3).reason == LESS


def test_what_is_left_after_a_payment():
    left = paid(invoice("121"), Decimal("100"))
    assert left == Candidate("INV1", Decimal("21.00"), "EUR")
    assert paid(invoice("121"), Decimal("121")) is None
    assert paid(invoice("-300", key="BILL"), Decimal("-299.99")).residual == Decimal("-0.01")
    # Two partial payments of the same invoice in one statement: the second one sees the rest.
    assert decide(21, "EUR", [left]).outcome == FULL
