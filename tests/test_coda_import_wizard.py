"""The manual CODA upload: several files, zips, refusals and the journal to create."""

import io
import zipfile

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form
from odoo.tests.common import new_test_user, tagged

from .test_access import _zip
from .test_coda_import import CodaImportCase


@tagged("post_install", "-at_install")
class TestCodaImportWizard(CodaImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="coda_accountant",
            groups="account.group_account_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _wizard(self, files, **context):
        """The upload as the accountant does it: the files as attachments of the wizard."""
        env = self.env(user=self.user, context=dict(self.env.context, **context))
        attachments = env["ir.attachment"].create(
            [{"name": name, "raw": data} for name, data in files]
        )
        return env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(attachments.ids)]}
        )

    def _zip(self, files):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in files:
                archive.writestr(name, data)
        return buffer.getvalue()

    def _results(self, wizard, status):
        return wizard.line_ids.filtered(lambda line: line.status == status)

    def test_several_files(self):
        wizard = self._wizard(
            [
                ("statement.cod", self._file("statement.cod")),
                ("two_accounts.cod", self._file("two_accounts.cod")),
            ]
        )
        action = wizard.action_import()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.state, "done")
        self.assertEqual(len(wizard.statement_ids), 3)
        imported = self._results(wizard, "imported")
        self.assertEqual(imported.statement_id, wizard.statement_ids)
        self.assertEqual(
            sorted(imported.mapped("message")),
            [
                "CUR Statement 2024/012 imported in Current.",
                "CUR Statement 2024/014 imported in Current.",
                "SAV Statement 2024/003 imported in Savings.",
            ],
        )
        self.assertFalse(wizard.attachment_ids.exists(), "the uploads are not kept twice")
        action = wizard.action_open_statements()
        self.assertEqual(action["res_model"], "account.bank.statement")
        self.assertEqual(
            self.env["account.bank.statement"].search(action["domain"]), wizard.statement_ids
        )

    def test_zip_with_pdf(self):
        archive = self._zip(
            [
                ("march/statement.cod", self._file("statement.cod")),
                ("march/statement.pdf", b"%PDF-1.4 paper statement"),
                ("march/bban_account.cod", self._file("bban_account.cod")),
                ("__MACOSX/march/._statement.cod", b"\x00\x05\x16\x07"),
            ]
        )
        wizard = self._wizard([("march.zip", archive)])
        wizard.action_import()
        self.assertFalse(self._results(wizard, "refused"), wizard.line_ids.mapped("message"))
        self.assertEqual(len(wizard.statement_ids), 2)
        by_file = {statement.reference: statement for statement in wizard.statement_ids}
        self.assertEqual(
            sorted(by_file["statement.cod"].attachment_ids.mapped("name")),
            ["statement.cod", "statement.pdf"],
        )
        self.assertEqual(
            by_file["bban_account.cod"].attachment_ids.mapped("name"), ["bban_account.cod"]
        )

    def test_refused_file_does_not_stop_the_others(self):
        wizard = self._wizard(
            [
                ("broken.cod", self._file("broken.cod")),
                ("readme.txt", b"Not a CODA file"),
                ("statement.cod", self._file("statement.cod")),
            ]
        )
        wizard.action_import()
        self.assertEqual(len(wizard.statement_ids), 1)
        refused = self._results(wizard, "refused")
        self.assertEqual(sorted(refused.mapped("filename")), ["broken.cod", "readme.txt"])
        broken = refused.filtered(lambda line: line.filename == "broken.cod")
        self.assertIn("line 8, record 21", broken.message)
        self.assertFalse(broken.account_number)

    def test_refused_archive_does_not_stop_the_others(self):
        """A zip bomb is refused whole, by name; the other files still go in."""
        bomb = _zip(10_000, b"", 0, 0, method=zipfile.ZIP_STORED)
        wizard = self._wizard([("bomb.zip", bomb), ("statement.cod", self._file("statement.cod"))])
        wizard.action_import()
        self.assertEqual(len(wizard.statement_ids), 1)
        refused = self._results(wizard, "refused")
        self.assertEqual(refused.filename, "bomb.zip")
        self.assertIn("bomb.zip is refused: it holds 10000 files", refused.message)

    def test_upload_of_another_user_is_not_readable(self):
        wizard = self._wizard([("statement.cod", self._file("statement.cod"))])
        other = new_test_user(
            self.env,
            login="coda_accountant_2",
            groups="account.group_account_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertFalse(self.env["codabox.coda.import.wizard"].with_user(other).search([]))
        with self.assertRaises(AccessError):
            self.env["codabox.coda.import.wizard"].with_user(other).browse(wizard.id).read(
                ["attachment_ids"]
            )

    def test_same_files_again_are_skipped(self):
        self._wizard([("statement.cod", self._file("statement.cod"))]).action_import()
        wizard = self._wizard([("statement.cod", self._file("statement.cod"))])
        wizard.action_import()
        self.assertFalse(wizard.statement_ids)
        skipped = self._results(wizard, "skipped")
        self.assertEqual(len(skipped), 1)
        self.assertIn("already imported", skipped.message)

    def test_warnings_are_shown(self):
        wizard = self._wizard(
            [("globalisation_mismatch.cod", self._file("globalisation_mismatch.cod"))]
        )
        wizard.action_import()
        self.assertEqual(len(wizard.statement_ids), 1)
        self.assertTrue(self._results(wizard, "warning"))

    def test_unknown_account_offers_the_journal_to_create(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        wizard = self._wizard([("unknown_account.cod", self._file("unknown_account.cod"))])
        wizard.action_import()
        self.assertFalse(wizard.statement_ids)
        refused = self._results(wizard, "refused")
        self.assertEqual(refused.account_number, "BE68539007547034")
        self.assertEqual(refused.currency, "USD")
        self.assertIn("BE68539007547034", refused.message)
        self.assertIn("USD", refused.message)

        action = refused.action_create_journal()
        self.assertEqual(action["res_model"], "account.journal")
        context = action["context"]
        self.assertEqual(context["default_type"], "bank")
        self.assertEqual(context["default_currency_id"], usd.id)
        # The accountant saves the prefilled form (an administrator creates journals).
        with Form(self.env["account.journal"].with_context(**context)) as form:
            self.assertEqual(form.bank_acc_number, "BE68539007547034")
            form.code = "USD1"
        journal = form.record
        self.assertEqual(journal.type, "bank")
        self.assertEqual(journal.currency_id, usd)
        self.assertEqual(journal.bank_account_id.sanitized_acc_number, "BE68539007547034")

        wizard = self._wizard([("unknown_account.cod", self._file("unknown_account.cod"))])
        wizard.action_import()
        self.assertEqual(wizard.statement_ids.journal_id, self.journal | journal)

    def test_created_journal_imports_the_waiting_file(self):
        """ "Create Journal" opens the journal in a dialog above the import; "Save and
        import" goes back to the same import with the refused file imported, its PDF too,
        without asking for the file again."""
        self.env.ref("base.USD").active = True
        manager = new_test_user(
            self.env,
            login="coda_manager",
            groups="account.group_account_manager,account.group_account_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        env = self.env(user=manager)
        files = [
            ("unknown_account.cod", self._file("unknown_account.cod")),
            ("unknown_account.pdf", b"%PDF-1.4 paper statement"),
            ("statement.cod", self._file("statement.cod")),
        ]
        attachments = env["ir.attachment"].create([{"name": n, "raw": d} for n, d in files])
        wizard = env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(attachments.ids)]}
        )
        wizard.action_import()
        refused = self._results(wizard, "refused")
        self.assertEqual(refused.filename, "unknown_account.cod")
        self.assertEqual(len(wizard.statement_ids), 1)

        action = refused.action_create_journal()
        view = self.env.ref("l10n_be_codabox_connect.view_account_journal_form_coda_import")
        self.assertEqual(action["target"], "new", "a dialog, not a page replacing the import")
        self.assertEqual(action["views"], [(view.id, "form")])
        self.assertIn('name="action_codabox_import_again"', view.arch_db)
        with Form(env["account.journal"].with_context(**action["context"]), view=view) as form:
            self.assertEqual(form.bank_acc_number, "BE68539007547034")
            form.code = "USD1"
        journal = form.record.with_context(**action["context"])
        back = journal.action_codabox_import_again()

        self.assertEqual((back["res_model"], back["res_id"]), (wizard._name, wizard.id))
        self.assertEqual(back["target"], "new")
        self.assertFalse(self._results(wizard, "refused"))
        self.assertFalse(wizard.line_ids.filtered("coda_data"), "nothing kept once imported")
        self.assertEqual(wizard.statement_ids.journal_id, self.journal | journal)
        statement = wizard.statement_ids.filtered(lambda st: st.journal_id == journal)
        self.assertEqual(
            sorted(statement.attachment_ids.mapped("name")),
            ["unknown_account.cod", "unknown_account.pdf"],
        )
        self.assertIn(statement, self._results(wizard, "imported").statement_id)
        # The journal form's defaults (its name: the account number) stayed out of the import.
        self.assertNotIn("BE68539007547034", statement.line_ids.move_id.mapped("name"))

    def test_import_again_needs_its_import(self):
        journal = self.journal.with_context(codabox_coda_import_wizard_id=0)
        with self.assertRaisesRegex(UserError, "no longer open"):
            journal.action_codabox_import_again()
        billing = new_test_user(
            self.env,
            login="coda_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
        )
        wizard = self._wizard([("statement.cod", self._file("statement.cod"))])
        with self.assertRaises(AccessError):
            self.journal.with_user(billing).with_context(
                codabox_coda_import_wizard_id=wizard.id
            ).action_codabox_import_again()
        # Nor another accountant, with someone else's import.
        other = new_test_user(
            self.env,
            login="coda_accountant_3",
            groups="account.group_account_user",
            company_id=self.company.id,
        )
        with self.assertRaises(AccessError):
            self.journal.with_user(other).with_context(
                codabox_coda_import_wizard_id=wizard.id
            ).action_codabox_import_again()

    def test_one_name_for_the_import(self):
        """The menu, the dialog, the journal's button and its card say "Import CODA"."""
        action = self.env.ref("l10n_be_codabox_connect.action_codabox_coda_import_wizard")
        menu = self.env.ref("l10n_be_codabox_connect.menu_codabox_coda_import")
        self.assertEqual((action.name, menu.name), ("Import CODA", "Import CODA"))
        self.assertEqual(
            self.journal.with_user(self.user).action_open_coda_import_wizard()["name"],
            "Import CODA",
        )
        env = self.env(user=self.user)
        views = [
            env["codabox.coda.import.wizard"].get_view(view_type="form")["arch"],
            env["account.journal"].get_view(view_type="form")["arch"],
            env["account.journal"].get_view(
                self.env.ref("account.account_journal_dashboard_kanban_view").id, "kanban"
            )["arch"],
        ]
        for arch in views:
            self.assertIn("Import CODA", arch)
            self.assertNotIn("Upload CODA", arch)

    def test_nothing_to_import(self):
        with self.assertRaises(UserError):
            self._wizard([]).action_import()

    def test_opened_from_the_journal(self):
        action = self.journal.with_user(self.user).action_open_coda_import_wizard()
        self.assertEqual(action["res_model"], "codabox.coda.import.wizard")
        wizard = (
            self.env["codabox.coda.import.wizard"]
            .with_user(self.user)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.journal_id, self.journal)
        self.assertEqual(wizard.company_id, self.company)

    def test_menu_and_dashboard(self):
        menu = self.env.ref("l10n_be_codabox_connect.menu_codabox_coda_import")
        self.assertEqual(menu.parent_id, self.env.ref("account.menu_finance_entries"))
        self.assertEqual(
            menu.action, self.env.ref("l10n_be_codabox_connect.action_codabox_coda_import_wizard")
        )
        arch = (
            self.env["account.journal"]
            .with_user(self.user)
            .get_view(self.env.ref("account.account_journal_dashboard_kanban_view").id, "kanban")[
                "arch"
            ]
        )
        self.assertIn('name="action_open_coda_import_wizard"', arch)
        arch = self.env["account.journal"].with_user(self.user).get_view(view_type="form")["arch"]
        self.assertIn('name="action_open_coda_import_wizard"', arch)
        self.assertIn('name="coda_globalisation"', arch)

    def test_upload_form(self):
        env = self.env(user=self.user)
        with Form(env["codabox.coda.import.wizard"]) as form:
            self.assertEqual(form.state, "upload")
            form.attachment_ids.add(
                env["ir.attachment"].create(
                    {"name": "statement.cod", "raw": self._file("statement.cod")}
                )
            )
        wizard = form.record
        wizard.action_import()
        self.assertEqual(wizard.statement_ids.journal_id, self.journal)
