"""SODA: the payroll accounting entries a social secretariat delivers through CodaBox (XML).

Pure Python on lxml, no ORM: bytes in, frozen dataclasses or a :class:`SodaError` with a
stable code out, like ``coda_parser``. The writer and the generator that tests and the demo
use are in ``dev/codagen/soda.py`` (development only).
"""

from .messages import ERRORS
from .model import SodaDocument, SodaError, SodaLine
from .parser import MAX_SIZE, normalise_enterprise_number, parse_soda

__all__ = [
    "ERRORS",
    "MAX_SIZE",
    "SodaDocument",
    "SodaError",
    "SodaLine",
    "normalise_enterprise_number",
    "parse_soda",
]
