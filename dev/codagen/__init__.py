"""CODA and SODA files made to order, for tests, the demo and the benchmarks (development only).

``write_coda`` writes parsed statements back as CODA bytes; ``generate_statements`` makes
random but realistic ones. ``write_soda`` and ``generate_soda`` do the same for SODA, the
social secretariat's payroll entries. All work on the addon's own parsers' dataclasses: the
parsers are those of the addon when this package is imported inside it (the tests,
``odoo.addons.l10n_be_codabox_connect.dev.codagen``), the top-level ``coda_parser`` and
``soda`` when a development program has put the addon's root on ``sys.path`` (demo,
benchmarks, scripts).
"""

try:  # inside the addon: one parser, so generated and parsed dataclasses compare equal
    from ... import coda_parser
    from ... import soda as soda_parser
except ImportError:  # a development program with the addon's root on sys.path
    import coda_parser
    import soda as soda_parser

from .generator import generate_statements
from .soda import generate_soda, write_soda
from .ubl import generate_purchase_invoice, write_ubl_invoice
from .writer import write_coda

__all__ = [
    "coda_parser",
    "generate_purchase_invoice",
    "generate_soda",
    "generate_statements",
    "soda_parser",
    "write_coda",
    "write_soda",
    "write_ubl_invoice",
]
