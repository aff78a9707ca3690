"""The parser's errors and warnings carry a code and their values (coda_parser.messages), for
an application to word them in its user's language; their str() stays the English text."""

import copy
import pickle
import re
from pathlib import Path

import pytest

from ..coda_parser import ERRORS, WARNINGS, CodaError, CodaWarning, parse

DATA = Path(__file__).parent / "data" / "coda"
PARSER = Path(__file__).parent.parent / "coda_parser" / "parser.py"


def test_warnings_have_codes_and_values():
    (statement,) = parse((DATA / "warnings.cod").read_bytes())
    codes = [(warning.code, warning.params["line"]) for warning in statement.warnings]
    assert codes == [
        ("iban_check_digits", 2),
        ("communication_check_digits", 3),
        ("counterparty_check_digits", 3),
        ("details_total", 5),
        ("globalisation_open", 8),
        ("orphan_detail", 10),
        ("free_communication_early", 11),
        ("balance_account", 12),
        ("balance", 12),
        ("record_count", 13),
        ("total_debit", 13),
        ("total_credit", 13),
    ]
    details = statement.warnings[3]
    assert details.params == {
        "line": 5,
        "sequence": "0002",
        "detail": "0000",
        "total": "-90.00",
        "amount": "-100.00",
    }
    assert (
        details
        == "line 5: the details of movement 0002/0000 add up to -90.00, its amount is -100.00"
    )
    assert statement.warnings[9].params == {"line": 13, "stated": 99, "counted": 10}


def test_warning_is_its_english_text():
    warning = CodaWarning("iban_check_digits", 2, iban="BE00539007547034")
    assert isinstance(warning, str)
    assert warning == "line 2: IBAN BE00539007547034 has wrong check digits"
    assert (
        f"file.cod: {warning}" == "file.cod: line 2: IBAN BE00539007547034 has wrong check digits"
    )
    for again in (copy.deepcopy(warning), pickle.loads(pickle.dumps(warning))):
        assert again == warning
        assert (again.code, again.params) == (warning.code, warning.params)


def test_error_code_and_values():
    data = (DATA / "full.cod").read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    data[3] = data[3][:14]
    with pytest.raises(CodaError) as caught:
        parse(b"\n".join(data))
    error = caught.value
    assert (error.code, error.params) == ("line_length", {"length": 14})
    assert error.line_number == 4
    assert str(error).endswith(": line is 14 characters long, a record has 128")


def test_a_choice_is_worded_with_or():
    error = CodaError.of("continuation_first", 7, "23", type="23", expected=("21", "22"))
    assert error.params["expected"] == ("21", "22")
    assert str(error) == "line 7, record 23: record 23 must follow a record 21 or 22, not no record"


def test_plain_error_has_no_code():
    """Errors of other code than the parser's keep working, without a code."""
    error = CodaError("bad", 3)
    assert (error.code, error.params) == (None, {})


def test_every_code_is_given_by_the_parser():
    """A code of the tables that the parser never gives would be worded for nothing (a code
    it gives that the tables lack fails at once: its English text is made from them)."""
    source = PARSER.read_text()
    quoted = set(re.findall(r'"([a-z]+(?:_[a-z]+)*)"', source))
    assert set(ERRORS) | set(WARNINGS) <= quoted
    assert not set(ERRORS) & set(WARNINGS)
