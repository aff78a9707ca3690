"""No statement goes missing unseen: the chain of each bank journal's CODA statements checked at
every import (upload, CodaBox, file delivery), the gap named on the statement after it and on
the journal's card, one to-do per gap, done once the gap is filled; a corrected statement with
the same number kept apart, never dropped as a duplicate."""

from datetime import date
from decimal import Decimal

from odoo import Command
from odoo.tests.common import tagged

from ..dev.codagen import generate_statements, write_coda
from .common import BelgianCompanyCase

IBAN = "BE62510007547061"
OTHER_IBAN = "BE35310123456737"


@tagged("post_install", "-at_install")
class TestStatementContinuity(BelgianCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Journal = cls.env["account.journal"]
        cls.journal = Journal.create(
            {
                "name": "Chain Bank",
                "code": "CHN",
                "type": "bank",
                "bank_acc_number": IBAN,
                "company_id": cls.company.id,
            }
        )
        cls.other_journal = Journal.create(
            {
                "name": "Other Bank",
                "code": "CHO",
                "type": "bank",
                "bank_acc_number": OTHER_IBAN,
                "company_id": cls.company.id,
            }
        )
        # Six statements of March-April 2026, numbered 43 to 48, balances chained.
        cls.chain = generate_statements(
            iban=IBAN,
            holder_name="Client",
            start_date=date(2026, 3, 30),
            days=6,
            movements_per_statement=2,
            seed=3,
            first_coda_sequence=43,
        )

    def upload(self, *statements, name="file.cod"):
        return self.env["account.bank.statement"]._codabox_import_coda(
            write_coda(list(statements)), company=self.company, filename=name
        )

    def statements(self, journal=None):
        return self.env["account.bank.statement"].search(
            [("journal_id", "=", (journal or self.journal).id)], order="date"
        )

    def gap_todos(self, journal=None):
        return (journal or self.journal).activity_ids.filtered("codabox_gap_statement_id")

    def test_a_whole_chain_names_nothing(self):
        self.upload(*self.chain)
        self.assertEqual(len(self.statements()), 6)
        self.assertFalse(any(self.statements().mapped("codabox_after_gap")))
        self.assertFalse(self.journal.codabox_gap_count)
        self.assertFalse(self.gap_todos())

    def test_a_gap_is_named_then_filled_by_an_upload(self):
        first, second, third = self.chain[:3]
        self.upload(first)
        self.upload(third)  # 44 never came
        after = self.statements()[-1]
        self.assertTrue(after.codabox_after_gap)
        balance_from = f"{first.new_balance:,.2f}"
        balance_to = f"{third.old_balance:,.2f}"
        self.assertIn(
            "Statement 2026/044 missing between 2026/043 (30/03) and 2026/045 (01/04)",
            after.codabox_gap,
        )
        self.assertIn(balance_from, after.codabox_gap)
        self.assertIn(balance_to, after.codabox_gap)
        # On the journal's card and in the filter.
        self.assertEqual(self.journal.codabox_gap_count, 1)
        self.assertEqual(self.journal.codabox_gap_summary, after.codabox_gap)
        action = self.journal.action_codabox_open_gaps()
        self.assertEqual(
            self.env["account.bank.statement"].search(
                action["domain"] + [("codabox_after_gap", "=", True)]
            ),
            after,
        )
        # One to-do for an accounting administrator, however many imports see the gap.
        todo = self.gap_todos()
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.codabox_gap_statement_id, after)
        self.upload(self.chain[3])
        self.assertEqual(len(self.gap_todos()), 1)
        # The missing statement arrives (after later ones): in its place, the chain whole,
        # the to-do done, and Odoo's own validity check green.
        self.upload(second)
        self.assertFalse(any(self.statements().mapped("codabox_after_gap")))
        self.assertFalse(self.gap_todos())
        self.assertTrue(all(self.statements().mapped("is_valid")))
        self.assertEqual(self.statements().mapped("codabox_sequence"), [43, 44, 45, 46])

    def test_a_gap_filled_by_a_delivered_document(self):
        first, second, third = self.chain[:3]
        self.upload(first, third)
        self.assertEqual(len(self.gap_todos()), 1)
        document = self.deliver_file("044.cod", second)
        self.assertEqual(document.state, "imported")
        self.assertFalse(self.gap_todos())
        self.assertFalse(self.journal.codabox_gap_count)

    def deliver_file(self, name, statement):
        """A CODA file of ``statement`` that a file delivery brought, imported."""
        document = (
            self.env["codabox.document"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "source_id": self._source().id,
                    "kind": "coda",
                    "file_name": name,
                }
            )
        )
        document._attach_files({"cod": write_coda([statement])})
        document._import()
        return document

    def _source(self):
        return self.env["codabox.delivery.source"].create(
            {"name": "Folder", "protocol": "folder", "root_path": "/nonexistent"}
        )

    def test_statements_arriving_out_of_order(self):
        for statement in reversed(self.chain):
            self.upload(statement)
        self.assertEqual(len(self.statements()), 6)
        self.assertFalse(any(self.statements().mapped("codabox_after_gap")))
        self.assertFalse(self.gap_todos())

    def test_a_new_year_restarting_at_one_and_a_missing_first_statement(self):
        december = generate_statements(
            iban=IBAN,
            holder_name="Client",
            start_date=date(2025, 12, 30),
            days=2,
            movements_per_statement=2,
            seed=4,
            first_coda_sequence=250,
        )
        january = generate_statements(
            iban=IBAN,
            holder_name="Client",
            start_date=date(2026, 1, 2),
            days=3,
            movements_per_statement=2,
            seed=5,
            first_coda_sequence=1,
            old_balance=december[-1].new_balance,
        )
        self.upload(*december, january[0], january[2])
        gaps = self.statements().filtered("codabox_after_gap")
        self.assertEqual(gaps.mapped("codabox_sequence"), [3])
        self.assertIn("Statement 2026/002 missing", gaps.codabox_gap)

    def test_a_balance_break_without_a_number_gap(self):
        first = self.chain[0]
        second = generate_statements(
            iban=IBAN,
            holder_name="Client",
            start_date=date(2026, 3, 31),
            days=1,
            movements_per_statement=2,
            seed=6,
            first_coda_sequence=44,
            old_balance=first.new_balance + Decimal("10.00"),
        )[0]
        self.upload(first, second)
        after = self.statements()[-1]
        self.assertIn(
            "Balance break between 2026/043 (30/03) and 2026/044 (31/03)", after.codabox_gap
        )
        self.assertEqual(len(self.gap_todos()), 1)
        self.assertFalse(after.is_valid)  # Odoo's own check agrees

    def test_a_corrected_statement_with_the_same_number_is_kept_apart(self):
        original = self.chain[0]
        corrected = generate_statements(
            iban=IBAN,
            holder_name="Client",
            start_date=date(2026, 3, 30),
            days=1,
            movements_per_statement=3,
            seed=99,
            first_coda_sequence=43,
        )[0]
        self.upload(original)
        result = self.upload(corrected, name="corrected.cod")
        self.assertFalse(result["statements"])
        self.assertEqual(len(result["corrections"]), 1)
        self.assertIn("imported before with other movements", result["corrections"][0])
        self.assertEqual(len(self.statements()), 1)
        # The same file again is still "already imported", not a correction.
        again = self.upload(original)
        self.assertFalse(again["corrections"])
        self.assertEqual(len(again["skipped"]), 1)
        # Delivered by CodaBox: the document keeps it, failed, with a to-do, for a person.
        document = self.deliver_file("corrected.cod", corrected)
        self.assertEqual(document.state, "failed")
        self.assertIn("correction by the bank", document.error_message)
        self.assertTrue(document.activity_ids)
        # Uploaded by hand: the upload's result says so.
        attachment = self.env["ir.attachment"].create(
            {"name": "corrected.cod", "raw": write_coda([corrected])}
        )
        wizard = self.env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(attachment.ids)]}
        )
        wizard.action_import()
        self.assertIn("correction by the bank", "\n".join(wizard.line_ids.mapped("message")))
        # The accountant decides the corrected one replaces it: deleted with its
        # transactions, the corrected statement goes in its place.
        self.statements().action_codabox_delete_with_lines()
        self.assertFalse(self.statements())
        document.action_retry()
        self.assertEqual(document.state, "imported")
        self.assertEqual(len(self.statements().line_ids), len(corrected.movements))

    def test_two_accounts_in_one_file_each_their_own_chain(self):
        other = generate_statements(
            iban=OTHER_IBAN,
            holder_name="Client",
            start_date=date(2026, 3, 30),
            days=3,
            movements_per_statement=2,
            seed=7,
            first_coda_sequence=10,
        )
        self.upload(self.chain[0], other[0], self.chain[1], other[2])
        self.assertFalse(self.statements().filtered("codabox_after_gap"))
        gaps = self.statements(self.other_journal).filtered("codabox_after_gap")
        self.assertEqual(gaps.mapped("codabox_sequence"), [12])
        self.assertEqual(len(self.gap_todos(self.other_journal)), 1)
        self.assertFalse(self.gap_todos())

    def test_two_companies_with_the_same_account_number(self):
        company_b = self._create_belgian_company("Chain B")
        self.env.user.company_ids |= company_b
        journal_b = self.env["account.journal"].create(
            {
                "name": "Chain Bank B",
                "code": "CHB",
                "type": "bank",
                "bank_acc_number": IBAN,
                "company_id": company_b.id,
            }
        )
        self.upload(self.chain[0], self.chain[1])
        self.env["account.bank.statement"]._codabox_import_coda(
            write_coda([self.chain[3]]), company=company_b, filename="b.cod"
        )
        self.assertFalse(self.statements().filtered("codabox_after_gap"))
        self.assertFalse(self.statements(journal_b).filtered("codabox_after_gap"))

    def test_deleting_a_statement_opens_the_gap(self):
        self.upload(*self.chain[:3])
        middle = self.statements()[1]
        middle.unlink()  # its lines stay in the journal, out of any statement
        self.assertEqual(self.statements()[-1].codabox_after_gap, True)
        self.assertEqual(len(self.gap_todos()), 1)
