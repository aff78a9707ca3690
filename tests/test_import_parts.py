"""A statement too long for a server's time limits is imported in parts, each call going on
where the last stopped, until it is whole: the same statement, lines, order, balances and
entry names as an import at once; a file imported by hand whose statement is too long for
its request is finished by the daily job."""

import time
from datetime import date

import psycopg2

from odoo import Command
from odoo.tests.common import new_test_user, tagged
from odoo.tools import config

from ..dev.codagen import generate_statements, write_coda
from ..models import job_tools
from ..models.codabox_api import PARAM_PREFIX
from ..models.codabox_document import MIN_IMPORT_PART, UPLOAD_LOCK_NAMESPACE
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

    def assert_whole(self):
        """The journal holds the file's two statements whole, as an import at once makes
        them: every movement once, in the bank's order, the balances those of the file, the
        entries named without gap nor duplicate in the journal's sequence."""
        statements = self.journal_statements()
        self.assertEqual(len(statements), 2)
        for statement, coda in zip(statements, self.statements, strict=True):
            self.assertFalse(statement.codabox_import_incomplete)
            lines = statement.line_ids.sorted("internal_index")
            self.assertEqual(len(lines), len(coda.movements))
            self.assertEqual(
                lines.mapped("amount"), [float(movement.amount) for movement in coda.movements]
            )
            self.assertTrue(statement.is_complete and statement.is_valid)
            self.assertAlmostEqual(statement.balance_end, float(coda.new_balance), 2)
        names = statements.line_ids.move_id.sorted("sequence_number").mapped("sequence_number")
        self.assertEqual(names, list(range(names[0], names[0] + 120)))
        self.assertFalse(self.journal.codabox_gap_count)

    def test_parts_are_sized_by_the_pace_this_process_measured(self):
        """A part is sized by the seconds per line this process's imports took, never faster
        than the system parameter, twice that until something was measured: a machine
        several times slower than the one the parameter was measured on (seen: 4x) still
        keeps each call within its worker's limits."""
        Document = self.env["codabox.document"]
        dbname = self.env.cr.dbname
        saved = job_tools._IMPORT_PACE.pop(dbname, None)
        try:

            def within_a_minute():
                return Document._lines_within(time.monotonic() + 60.0)

            # Unmeasured: twice the parameter's 0.03 s a line (60 s / 0.06 s, the clock ticking).
            self.assertTrue(950 <= within_a_minute() <= 1000)
            self.import_file(max_lines=MIN_IMPORT_PART)
            measured = job_tools.import_pace(dbname)
            self.assertGreater(measured, 0)
            job_tools._IMPORT_PACE[dbname] = 0.2  # a slow machine: 300 lines in 60 s
            self.assertTrue(290 <= within_a_minute() <= 300)
            job_tools._IMPORT_PACE[dbname] = 0.001  # never faster than the parameter
            self.assertTrue(1950 <= within_a_minute() <= 2000)
            job_tools.record_import_pace(dbname, 10.0, 100)  # averaged: (0.001 + 0.1) / 2
            self.assertAlmostEqual(job_tools.import_pace(dbname), 0.0505)
        finally:
            job_tools._IMPORT_PACE.pop(dbname, None)
            if saved is not None:
                job_tools._IMPORT_PACE[dbname] = saved

    def test_a_long_file_is_imported_in_parts_as_at_once(self):
        sizes = []
        for _call in range(10):
            result = self.import_file(max_lines=50)
            sizes.append(len(self.journal_statements().line_ids))
            if not result["incomplete"]:
                break
        self.assertEqual(sizes, [50, 100, 120])
        self.assert_whole()
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

    def test_an_upload_too_long_for_its_request_is_finished_by_the_daily_job(self):
        """Import CODA with a request budget that fits less than the file: the first part is
        imported in the request and said to be in progress, the file kept as a document of
        the uploader, and the daily job's calls import the rest, part by part, into the same
        statements as an import at once."""
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param(f"{PARAM_PREFIX}request_time_budget", "0.1")
        Param.set_param(f"{PARAM_PREFIX}cron_time_budget", "0.1")
        user = new_test_user(
            self.env,
            login="long_upload_accountant",
            groups="account.group_account_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        env = self.env(user=user)
        upload = env["ir.attachment"].create({"name": "long.cod", "raw": self.data})
        wizard = env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(upload.ids)]}
        )
        wizard.action_import()
        statement_results = wizard.line_ids.filtered("statement_id")
        self.assertEqual(statement_results.mapped("status"), ["in_progress"])
        self.assertIn("rest in the background", statement_results.message)
        self.assertEqual(len(self.journal_statements().line_ids), MIN_IMPORT_PART)
        document = self.env["codabox.document"].search([("uploaded_by_id", "=", user.id)])
        self.assertEqual(document.state, "received")
        self.assertEqual(document.coda_attachment_id.raw, self.data)
        self.assertIn(user.partner_id, document.message_partner_ids)
        document.with_user(user).check_access("read")  # the uploader follows it
        calls = 0
        while document.state == "received" and calls < 10:
            calls += 1
            self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        self.assertEqual(calls, 2)  # 50 lines in the request, then 50 and 20
        self.assertEqual(document.state, "imported", document.error_message)
        self.assertEqual(document.statement_ids, self.journal_statements())
        self.assert_whole()
        # Had a part failed, the uploader would have been asked to look (a to-do of theirs).
        self.assertFalse(document.activity_ids)
        document._record_failure("The rest could not be imported.")
        self.assertEqual(document.activity_ids.user_id, user)

    def test_the_daily_job_leaves_an_upload_another_process_is_importing(self):
        """While another process holds a document's lock (an upload of the same file,
        importing it), the daily job neither imports it nor counts it as due, so that it
        does not call itself over and over; once the lock is released it finishes it."""
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param(f"{PARAM_PREFIX}request_time_budget", "0.1")
        upload = self.env["ir.attachment"].create({"name": "long.cod", "raw": self.data})
        wizard = self.env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(upload.ids)]}
        )
        wizard.action_import()
        Document = self.env["codabox.document"]
        document = Document.search([("uploaded_by_id", "=", self.env.user.id)])
        self.assertEqual(document.state, "received")
        lines = len(self.journal_statements().line_ids)
        # Another PostgreSQL session, as another Odoo process, holds the document's lock.
        other = psycopg2.connect(
            dbname=self.env.cr.dbname,
            host=config["db_host"] or None,
            port=config["db_port"] or None,
            user=config["db_user"] or None,
            password=config["db_password"] or None,
        )
        try:
            with other.cursor() as cr:
                cr.execute("SELECT pg_advisory_lock(%s, %s)", (UPLOAD_LOCK_NAMESPACE, document.id))
            deadline = time.monotonic() + 60
            self.assertEqual(Document._cron_import_uploads(deadline, with_commit=False), (0, 0))
            self.assertEqual(document.state, "received")
            self.assertEqual(len(self.journal_statements().line_ids), lines)
        finally:
            other.close()  # the lock goes with the session
        done, due = Document._cron_import_uploads(time.monotonic() + 60, with_commit=False)
        self.assertEqual((done, due), (1, 0))
        self.assertEqual(document.state, "imported", document.error_message)
        self.assert_whole()
