"""A statement too long for a server's time limits is imported in parts, each call going on
where the last stopped, until it is whole: the same statement, lines, order, balances and
entry names as an import at once."""

import time
from datetime import date

from odoo.tests.common import tagged

from ..dev.codagen import generate_statements, write_coda
from ..models.codabox_document import MIN_IMPORT_PART
from .common import BelgianCompanyCase

IBAN = "BE62510007547061"


@tagged("post_install", "-at_install")
class TestImportParts(BelgianCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.env["account.journal"].create(
            {
                "name": "Long Bank",
                "code": "LNG",
                "type": "bank",
                "bank_acc_number": IBAN,
                "company_id": cls.company.id,
            }
        )
        cls.statements = generate_statements(
            iban=IBAN,
            holder_name="Web shop",
            start_date=date(2026, 11, 2),
            days=2,
            movements_per_statement=60,
            globalisation_ratio=0,
            seed=21,
            first_coda_sequence=5,
        )
        cls.data = write_coda(cls.statements)

    def import_file(self, max_lines=None):
        return self.env["account.bank.statement"]._codabox_import_coda(
            self.data, company=self.company, filename="long.cod", max_lines=max_lines
        )

    def journal_statements(self):
        return self.env["account.bank.statement"].search(
            [("journal_id", "=", self.journal.id)], order="date"
        )

    def test_a_long_file_is_imported_in_parts_as_at_once(self):
        sizes = []
        for _call in range(10):
            result = self.import_file(max_lines=50)
            sizes.append(len(self.journal_statements().line_ids))
            if not result["incomplete"]:
                break
        self.assertEqual(sizes, [50, 100, 120])
        first, second = self.journal_statements()
        self.assertFalse(first.codabox_import_incomplete or second.codabox_import_incomplete)
        # Whole: every movement once, in the bank's order, the balances those of the file.
        for statement, coda in zip((first, second), self.statements, strict=True):
            lines = statement.line_ids.sorted("internal_index")
            self.assertEqual(len(lines), len(coda.movements))
            self.assertEqual(
                lines.mapped("amount"), [float(movement.amount) for movement in coda.movements]
            )
            self.assertTrue(statement.is_complete and statement.is_valid)
            self.assertAlmostEqual(statement.balance_end, float(coda.new_balance), 2)
        # The entries named without gap nor duplicate, in the journal's sequence.
        names = (
            self.journal_statements()
            .line_ids.move_id.sorted("sequence_number")
            .mapped("sequence_number")
        )
        self.assertEqual(names, list(range(names[0], names[0] + 120)))
        self.assertFalse(self.journal.codabox_gap_count)
        # Imported: a further call finds nothing to do.
        again = self.import_file(max_lines=50)
        self.assertFalse(again["statements"] or again["incomplete"])
        self.assertEqual(len(again["skipped"]), 2)

    def test_the_statement_in_progress_says_so(self):
        result = self.import_file(max_lines=70)
        self.assertTrue(result["incomplete"])
        first, second = self.journal_statements()
        self.assertFalse(first.codabox_import_incomplete)
        self.assertTrue(second.codabox_import_incomplete)
        self.assertEqual(len(second.line_ids), 10)
        self.assertFalse(second.is_complete)  # Odoo's own check: not whole yet

    def test_a_delivered_document_is_imported_in_parts_by_the_daily_job(self):
        document = (
            self.env["codabox.document"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "source_id": self.env["codabox.delivery.source"]
                    .create({"name": "F", "protocol": "folder", "root_path": "/nonexistent"})
                    .id,
                    "kind": "coda",
                    "file_name": "long.cod",
                }
            )
        )
        document._attach_files({"cod": self.data})
        calls = 0
        while document.state == "received" and calls < 10:
            calls += 1
            # A deadline already past, as a call of the daily job at the end of its budget.
            document._import(deadline=time.monotonic() - 1)
            self.assertLessEqual(document.attempt_count, 1)
            if document.state == "received":
                self.assertIn("Imported in parts", document.error_message)
        self.assertEqual(calls, -(-120 // MIN_IMPORT_PART))
        self.assertEqual(document.state, "imported", document.error_message)
        self.assertEqual(len(document.statement_ids), 2)
        self.assertEqual(len(document.statement_ids.line_ids), 120)
