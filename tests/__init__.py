"""The addon's tests, run two ways.

Odoo's runner (``odoo-bin --test-enable``: ``make test-odoo``, OCA's CI, runboat, Odoo.sh) runs
the test classes of the modules imported here: the Odoo tests (TransactionCase, HttpCase, the
tour), each in a Belgian company on l10n_be's chart (tests/common.py).

pytest-odoo (``make test``) runs those and the pure pytest tests, which stay out of this list and
out of Odoo's runner: the CODA parser, its messages, writer and generator (test_coda_parser,
test_coda_structured, test_coda_messages, test_coda_corpus, test_coda_properties,
test_coda_generator, test_coda2json), the SODA parser, writer and generator (test_soda_parser), the
statements' chain (test_continuity), the matching rules (test_matching, test_matching_partners),
the CodaBox client and sandbox (test_codabox_client, test_invoicing_client, test_sandbox), the
(S)FTP delivery against real servers (test_delivery), ``make setup`` (test_setup), the tests with
real Odoo processes (test_crash, test_import_concurrency) and the office's two real databases
(test_office_databases). They share tests/conftest.py and tests/parties.py.
"""

from . import (
    test_access,
    test_coda_import,
    test_coda_import_wizard,
    test_coda_readable,
    test_codabox_connection,
    test_codabox_kinds,
    test_codabox_retrieval,
    test_delivery_source,
    test_i18n,
    test_import_batch,
    test_import_parts,
    test_install,
    test_invoicing_software,
    test_reconcile,
    test_statement_continuity,
    test_tour,
    test_ubl_generator,
)
