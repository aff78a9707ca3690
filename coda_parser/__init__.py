"""Pure-Python CODA (Belgian coded bank statement) parser and writer, standard library only."""

from .model import (
    CodaError,
    FreeCommunication,
    Information,
    Movement,
    Statement,
    StructuredCommunication,
    TransactionCode,
)
from .parser import bban_to_iban, decode_text, is_coda, parse
from .structured import format_amount
from .writer import write_coda

__all__ = [
    "CodaError",
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
    "write_coda",
]
