"""What the SODA parser says, keyed on a code: the English wording of each error.

As for the CODA parser (``coda_parser/messages.py``), every :class:`~.model.SodaError` has a
``code`` and the ``params`` it is worded with, so that an application words it in its user's
language; ``str()`` is the English text below, for the command line and the logs. A code, and
the names of its parameters, never change once published: add a new code rather than change
one.

An unbalanced document is not an error here: it parses (``SodaDocument.is_balanced`` is
False), and the caller, which refuses it, words that with the totals.
"""

ERRORS = {
    "tooLarge": "the file is {size} bytes long, more than the {limit} bytes a SODA file may have",
    "notXml": "not an XML file: {detail}",
    "doctype": (
        "the XML file declares a document type or entities (<!DOCTYPE>, <!ENTITY>), which a "
        "SODA file never has: refused, as it could be an attack on the reader"
    ),
    "notSoda": "not a SODA file: the XML's root element is <{root}>, not <SocialDocument>",
    "missingField": "the SODA file has no {field}",
    "badDate": "{field} {value!r} is not a date (YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD)",
    "badPeriod": "accounting period {value!r} is not a month (YYYYMM)",
    "badEnterpriseNumber": (
        "enterprise number {value!r} is not a Belgian enterprise number (10 digits)"
    ),
    "badAmount": (
        "{field} {value!r} of account {account} is not an amount (digits, '.' or ',' before "
        "the decimals, never negative)"
    ),
    "noLines": "the SODA file has no transaction line (Transactions/TransactionLine)",
}


def english(code: str, params: dict) -> str:
    """The English text of ``code`` with its ``params``."""
    return ERRORS[code].format(**params)
