"""Pure-Python CODA (Belgian coded bank statement) parser, standard library only.

The writer and the statement generator that tests, the demo and the benchmarks use are in
``dev/codagen`` (development only).
"""

from .model import (
    CodaError,
    CodaWarning,
    FreeCommunication,
    Information,
    Movement,
    Statement,
    StructuredCommunication,
    TransactionCode,
)
from .messages import ERRORS, WARNINGS
from .parser import bban_to_iban, decode_text, is_coda, parse
from .structured import format_amount

__all__ = [
    "ERRORS",
    "WARNINGS",
    "CodaError",
    "CodaWarning",
    "FreeCommunication",
    "Information",
    "Movement",
    "Statement",
    "StructuredCommunication",
    "TransactionCode",
    "bban_to_iban",
    "decode_text",
    "format_amount",
    "is_coda",
    "parse",
]
