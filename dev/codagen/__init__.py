"""CODA files made to order, for tests, the demo and the benchmarks (development only).

``write_coda`` writes parsed statements back as CODA bytes; ``generate_statements`` makes
random but realistic ones. Both work on the addon's own parser's dataclasses: the parser is
the one of the addon when this package is imported inside it (the tests,
``odoo.addons.l10n_be_codabox_connect.dev.codagen``), the top-level ``coda_parser`` when a
development program has put the addon's root on ``sys.path`` (demo, benchmarks, scripts).
"""

try:  # inside the addon: one parser, so generated and parsed dataclasses compare equal
    from ... import coda_parser
except ImportError:  # a development program with the addon's root on sys.path
    import coda_parser

from .generator import generate_statements
from .writer import write_coda

__all__ = ["coda_parser", "generate_statements", "write_coda"]
