"""What the parser says, keyed on a code: the English wording of each error and warning.

The parser gives every :class:`~.model.CodaError` and every warning a ``code`` and the
``params`` it is worded with, so that an application can word it in its user's language
(the Odoo side has its own table keyed on these codes); ``str()`` of both is the English
text below, for the command line and the logs. A code, and the names of its parameters,
never change once published: add a new code rather than change one.
"""

# Structural errors (CodaError). Parameters are plain values: texts and numbers, or a tuple
# for a choice (``expected``: the record types that may come there), worded "a or b".
ERRORS = {
    "not_coda": (
        "not a CODA file: the first record must be a header ('0000' + date + bank code + '05')"
    ),
    "line_length": "line is {length} characters long, a record has 128",
    "not_numeric": "{field} field {value!r} is not numeric",
    "invalid_date": "{field} field {value!r} is not a valid date (DDMMYY)",
    "invalid_sign": "{field} field {value!r} must be 0 or 1",
    "unknown_record": "unknown record type '{type}'",
    "no_trailer": (
        "record 0 starts a new statement but the statement started on line {first_line} has "
        "no record 9"
    ),
    "truncated": (
        "the file ends without record 9 (statement started on line {first_line}): truncated file?"
    ),
    "expected_header": "record {type} is out of order: expected a record 0 (header)",
    "expected_old_balance": "record {type} is out of order: expected a record 1 (old balance)",
    "expected_movement": (
        "record {type} is out of order: expected a movement (2x, 3x), a record 8 (new balance) "
        "or a record 9 if there are no movements"
    ),
    "expected_trailer": (
        "record {type} is out of order: expected a record 4 (free communication) or a record 9 "
        "(trailer)"
    ),
    "continuation_first": "record {type} must follow a record {expected}, not no record",
    "continuation_after": ("record {type} must follow a record {expected}, not record {previous}"),
    "continuation_number": (
        "sequence/detail number {sequence}/{detail} differs from the record {previous_type} "
        "before it ({expected_sequence}/{expected_detail})"
    ),
    "information_first": "record 31 must follow a movement (record 21)",
    "information_number": (
        "sequence number {sequence} differs from that of the movement before it ({expected})"
    ),
    "application_code": "application code {value!r} is not '05'",
    "version": "version code {value!r} is not supported (expected 2, or 1 for old files)",
    "no_creation_date": "creation date is missing ('000000')",
    "account_structure": "account structure {value!r} is not 0, 1, 2 or 3",
}

# Consistency warnings (a statement's ``warnings``): each also has the parameter ``line``,
# the line it is about, which the English text starts with.
WARNINGS = {
    "account_not_belgian": (
        "account {account!r} is not a Belgian account number (12 digits), so it has no IBAN"
    ),
    "account_check_digits": "account {account} has wrong check digits",
    "iban_check_digits": "IBAN {iban} has wrong check digits",
    "balance_account": (
        "record 8 is for account {account} {currency}, record 1 for {old_account} {old_currency}"
    ),
    "free_communication_early": ("free communication (record 4) before the new balance (record 8)"),
    "balance": (
        "old balance {old_balance} + movements {movements} = {balance}, but the new balance is "
        "{new_balance}"
    ),
    "record_count": "record 9 counts {stated} records, the statement has {counted}",
    "total_debit": "record 9 total debit is {stated}, the movements add up to {total}",
    "total_credit": "record 9 total credit is {stated}, the movements add up to {total}",
    "orphan_detail": (
        "movement {sequence}/{detail} is a detail but its total ({sequence}/0000) is not before it"
    ),
    "details_total": (
        "the details of movement {sequence}/{detail} add up to {total}, its amount is {amount}"
    ),
    "globalisation_open": (
        "globalisation {sequence}/{detail} (code {globalisation_code}) is never closed by a "
        "detail repeating its code"
    ),
    "counterparty_check_digits": "counterparty IBAN {account} has wrong check digits",
    "communication_check_digits": (
        "structured communication {communication} has wrong check digits"
    ),
}


def english(table, code, params):
    """The English text of ``code`` in ``table`` (ERRORS or WARNINGS) with its ``params``."""
    values = {
        name: " or ".join(value) if isinstance(value, tuple) else value
        for name, value in params.items()
    }
    return table[code].format(**values)
