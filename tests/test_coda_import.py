"""Import of CODA files as bank statements: journals, lines, partners, globalisation,
attachments, idempotency, all-or-nothing and multi-company isolation."""

from datetime import date

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests.common import new_test_user, tagged
from odoo.tools import file_open, mute_logger

from ..coda_parser import parse
from ..dev.codagen import generate_statements, write_coda
from ..exceptions import CodaImportError, CodaUnknownAccountError
from .common import BelgianCompanyCase

MAIN_IBAN = "BE68 5390 0754 7034"
SAVINGS_IBAN = "BE71 0961 2345 6769"


class CodaImportCase(BelgianCompanyCase):
    """The Belgian company with two bank journals and partners known by their accounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        Journal = cls.env["account.journal"]
        cls.journal = Journal.create(
            {"name": "Current", "code": "CUR", "type": "bank", "bank_acc_number": MAIN_IBAN}
        )
        cls.savings = Journal.create(
            {"name": "Savings", "code": "SAV", "type": "bank", "bank_acc_number": SAVINGS_IBAN}
        )
        Partner = cls.env["res.partner"]
        cls.peeters = Partner.create(
            {
                "name": "Peeters SRL",
                "is_company": True,
                "bank_ids": [Command.create({"acc_number": "BE48 0011 2345 6727"})],
            }
        )
        cls.maes = Partner.create(
            {"name": "Maes NV", "bank_ids": [Command.create({"acc_number": "BE56068999988888"})]}
        )
        cls.claes_company = Partner.create({"name": "Claes & Co", "is_company": True})
        cls.claes = Partner.create(
            {
                "name": "Claes",
                "parent_id": cls.claes_company.id,
                "bank_ids": [Command.create({"acc_number": "BE87096111111194"})],
            }
        )
        cls.jacobs = Partner.create(
            [
                {"name": name, "bank_ids": [Command.create({"acc_number": "BE83363012345615"})]}
                for name in ("Jacobs A", "Jacobs B")
            ]
        )
        cls.proximus = Partner.create(
            {
                "name": "Proximus SA",
                "bank_ids": [Command.create({"acc_number": "BE96001777777705"})],
            }
        )

    @classmethod
    def _file(cls, name):
        with file_open(f"l10n_be_codabox_connect/tests/data/import/{name}", "rb") as file:
            return file.read()

    def _import(self, name, company=None, **kwargs):
        return self.env["account.bank.statement"]._codabox_import_coda(
            self._file(name), company=company or self.company, filename=name, **kwargs
        )

    def _statement_count(self):
        return self.env["account.bank.statement"].sudo().search_count([])


@tagged("post_install", "-at_install")
class TestCodaImport(CodaImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company2 = cls._create_belgian_company("Other Client")
        cls.journal2 = (
            cls.env["account.journal"]
            .with_company(cls.company2)
            .create(
                {
                    "name": "Current (other client)",
                    "code": "OCUR",
                    "type": "bank",
                    "bank_acc_number": MAIN_IBAN,
                    "company_id": cls.company2.id,
                }
            )
        )
        # The same account on a partner of the other company: not a candidate here.
        cls.env["res.partner"].create(
            {
                "name": "Other company's partner",
                "company_id": cls.company2.id,
                "bank_ids": [Command.create({"acc_number": "BE96001777777705"})],
            }
        )

    def _lines(self, statement):
        return statement.line_ids.sorted(lambda line: line.unique_import_id)

    def test_statement_balances_and_journal(self):
        result = self._import("statement.cod")
        statement = result["statements"]
        self.assertEqual(len(statement), 1)
        self.assertEqual(statement.journal_id, self.journal)
        self.assertEqual(statement.company_id, self.company)
        self.assertEqual(statement.name, "CUR Statement 2024/012")
        self.assertEqual(statement.reference, "statement.cod")
        self.assertEqual(statement.balance_start, 1000.0)
        self.assertEqual(statement.balance_end_real, 1032.0)
        self.assertEqual(statement.balance_end, 1032.0)
        self.assertTrue(statement.is_complete)
        self.assertEqual(result["skipped"], [])
        self.assertEqual(result["warnings"], [])

    def test_lines(self):
        statement = self._import("statement.cod")["statements"]
        lines = self._lines(statement)
        self.assertEqual(lines.mapped("amount"), [150.0, -45.5, 200.0, -100.0, -200.0, -2.5, 30.0])
        transfer, supplies, rent, salary_maes, salary_claes, costs, returned = lines

        self.assertEqual(transfer.date, date(2024, 3, 15))  # entry date, not value date
        self.assertEqual(transfer.payment_ref, "Peeters SRL - +++090/9337/55493+++")
        self.assertEqual(transfer.partner_id, self.peeters)
        self.assertEqual(transfer.partner_name, "Peeters SRL")
        self.assertEqual(transfer.account_number, "BE48001123456727")
        self.assertEqual(
            transfer.transaction_type, "Domestic or SEPA credit transfer: transfer in your favour"
        )
        # Found by account only: neither name nor account is known here.
        self.assertFalse(supplies.partner_id)
        self.assertEqual(supplies.partner_name, "Unknown Supplies BV")
        self.assertEqual(supplies.payment_ref, "Unknown Supplies BV - Order 4471 office supplies")
        # Two partners have the account: none is chosen.
        self.assertFalse(rent.partner_id)
        self.assertEqual(rent.partner_name, "Jacobs")
        # A Belgian account number of 12 digits finds the partner's IBAN.
        self.assertEqual(salary_maes.partner_id, self.maes)
        self.assertEqual(salary_maes.account_number, "068999988888")
        # The account of a contact gives its company.
        self.assertEqual(salary_claes.partner_id, self.claes_company)
        # Without communication nor counterparty, the transaction says what it is.
        self.assertEqual(costs.payment_ref, costs.transaction_type)
        self.assertFalse(costs.partner_id)
        # Another company's partner with the same account does not make it ambiguous.
        self.assertEqual(returned.partner_id, self.proximus)

    def test_narration(self):
        statement = self._import("statement.cod")["statements"]
        transfer, supplies, *_others, returned = self._lines(statement)
        narration = str(transfer.narration)
        for text in (
            "Transaction: Domestic or SEPA credit transfer: transfer in your favour (00150000)",
            "Counterparty: Peeters SRL, BE48001123456727, GEBABEBB",
            "Rue de la Station 12",
            "1000 Bruxelles",
            "Bank reference: REF0001",
            "Customer reference: E2E-INV-2024-0042",
            "Value date: 03/14/2024",
            "Bank message: Our tariffs change on 1 April 2024. See the conditions in your branch.",
        ):
            self.assertIn(text, narration)
        self.assertNotIn("2100010000", narration, "the raw records are not dumped")
        self.assertNotIn("Bank message", str(supplies.narration), "on the first line only")
        narration = str(returned.narration)
        for text in (
            "Returned payment: return, reason MD06",
            "Category purpose: SUPP",
            "Purpose: GDDS",
        ):
            self.assertIn(text, narration)

    def test_globalisation_details(self):
        self.assertEqual(self.journal.coda_globalisation, "details")
        statement = self._import("statement.cod")["statements"]
        details = statement.line_ids.filtered(lambda line: "0004." in line.unique_import_id)
        self.assertEqual(sorted(details.mapped("amount")), [-200.0, -100.0])
        self.assertIn("Detail of a grouped movement", str(details[0].narration))
        self.assertAlmostEqual(sum(statement.line_ids.mapped("amount")), 32.0)
        self.assertTrue(statement.is_complete)

    def test_globalisation_totals(self):
        self.journal.coda_globalisation = "totals"
        statement = self._import("statement.cod")["statements"]
        self.assertEqual(len(statement.line_ids), 6)
        total = statement.line_ids.filtered(lambda line: line.amount == -300.0)
        self.assertEqual(total.payment_ref, "Collective transfer 5521: 2 payments")
        self.assertIn("Total of several movements", str(total.narration))
        self.assertAlmostEqual(sum(statement.line_ids.mapped("amount")), 32.0)
        self.assertTrue(statement.is_complete)

    def test_globalisation_details_not_adding_up(self):
        result = self._import("globalisation_mismatch.cod")
        statement = result["statements"]
        self.assertEqual(sorted(statement.line_ids.mapped("amount")), [10.0, 80.0])
        self.assertEqual(statement.balance_end_real, 1122.0)
        self.assertTrue(statement.is_complete)
        self.assertTrue(
            any(
                "do not add up" in warning and "total is imported instead" in warning
                for warning in result["warnings"]
            ),
            result["warnings"],
        )
        self.assertTrue(all(w.startswith("globalisation_mismatch.cod") for w in result["warnings"]))

    def test_attachments(self):
        pdf = b"%PDF-1.4 statement 12"
        statement = self._import("statement.cod", pdf=pdf)["statements"]
        attachments = statement.attachment_ids.sorted("name")
        self.assertEqual(attachments.mapped("name"), ["statement.cod", "statement.pdf"])
        self.assertEqual(attachments[0].raw, self._file("statement.cod"))
        self.assertEqual(attachments[1].raw, pdf)
        self.assertEqual(set(attachments.mapped("res_model")), {"account.bank.statement"})
        self.assertEqual(set(attachments.mapped("res_id")), {statement.id})

    def test_attachments_pdf_name_and_no_pdf(self):
        statement = self._import("two_accounts.cod", pdf=b"%PDF", pdf_filename="day.pdf")[
            "statements"
        ]
        self.assertEqual(len(statement), 2)
        for each in statement:
            self.assertEqual(
                sorted(each.attachment_ids.mapped("name")), ["day.pdf", "two_accounts.cod"]
            )
        statement = self._import("bban_account.cod", pdf=b"")["statements"]
        self.assertEqual(statement.attachment_ids.mapped("name"), ["bban_account.cod"])

    def test_same_file_twice(self):
        first = self._import("statement.cod")
        line_count = self.env["account.bank.statement.line"].search_count([])
        statement_count = self._statement_count()
        attachment_count = self.env["ir.attachment"].search_count([])
        second = self._import("statement.cod")
        self.assertFalse(second["statements"])
        self.assertEqual(len(second["skipped"]), 1)
        self.assertIn("statement 12 of BE68539007547034 EUR", second["skipped"][0])
        self.assertIn("already imported in Current", second["skipped"][0])
        self.assertEqual(self._statement_count(), statement_count)
        self.assertEqual(self.env["account.bank.statement.line"].search_count([]), line_count)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachment_count)
        # Still recognised after a switch to totals, whose lines have other ids.
        self.journal.coda_globalisation = "totals"
        self.assertFalse(self._import("statement.cod")["statements"])
        self.assertTrue(first["statements"].exists())

    def test_file_with_one_statement_imported_before(self):
        current, savings = parse(self._file("two_accounts.cod"))
        Statement = self.env["account.bank.statement"]
        Statement._codabox_import_coda(
            write_coda([current]), company=self.company, filename="current.cod"
        )
        result = self._import("two_accounts.cod")
        self.assertEqual(result["statements"].journal_id, self.savings)
        self.assertEqual(len(result["skipped"]), 1)
        self.assertIn("statement 14 of BE68539007547034 EUR", result["skipped"][0])

    def test_two_statements_two_accounts(self):
        statements = self._import("two_accounts.cod")["statements"]
        self.assertEqual(len(statements), 2)
        self.assertEqual(statements.journal_id, self.journal | self.savings)
        by_journal = {statement.journal_id: statement for statement in statements}
        self.assertEqual(by_journal[self.journal].balance_end_real, 1147.0)
        self.assertEqual(by_journal[self.savings].balance_end_real, 490.0)
        self.assertEqual(by_journal[self.savings].name, "SAV Statement 2024/003")

    def test_belgian_account_number_finds_the_iban_journal(self):
        statement = self._import("bban_account.cod")["statements"]
        self.assertEqual(statement.journal_id, self.journal)

    def test_journal_with_a_belgian_account_number(self):
        self.env["account.journal"].with_company(self.company2).create(
            {
                "name": "Savings (other client)",
                "code": "OSAV",
                "type": "bank",
                "bank_acc_number": "096-1234567-69",
                "company_id": self.company2.id,
            }
        )
        statements = self._import("two_accounts.cod", company=self.company2)["statements"]
        self.assertEqual(statements.journal_id.mapped("code"), ["OCUR", "OSAV"])

    def test_other_company_journal_never_used(self):
        statement = self._import("statement.cod", company=self.company)["statements"]
        self.assertEqual(statement.journal_id, self.journal)
        other = self._import("statement.cod", company=self.company2)["statements"]
        self.assertEqual(other.journal_id, self.journal2)
        self.assertEqual(other.company_id, self.company2)
        self.assertEqual(other.line_ids.company_id, self.company2)
        # There, the shared partner and the other company's own one both have this account:
        # the counterparty's name finds the one of them so named.
        returned = other.line_ids.filtered(lambda line: line.amount == 30.0)
        self.assertEqual(returned.partner_name, "Proximus SA")
        self.assertEqual(returned.partner_id, self.proximus)
        # The savings account has a journal in the main company only: the whole file is refused
        # for the other company, its current account statement included.
        count = self._statement_count()
        with self.assertRaises(CodaUnknownAccountError) as caught:
            self._import("two_accounts.cod", company=self.company2)
        self.assertEqual(caught.exception.account_number, "BE71096123456769")
        self.assertEqual(self._statement_count(), count)

    def test_upload_goes_to_the_users_current_company(self):
        user = new_test_user(
            self.env,
            login="accountant",
            groups="account.group_account_user",
            company_id=self.company2.id,
            company_ids=[Command.set((self.company | self.company2).ids)],
        )
        env = self.env(
            user=user, context={"allowed_company_ids": [self.company2.id, self.company.id]}
        )
        attachment = env["ir.attachment"].create(
            {"name": "statement.cod", "raw": self._file("statement.cod")}
        )
        wizard = env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(attachment.ids)]}
        )
        self.assertEqual(wizard.company_id, self.company2)
        wizard.action_import()
        self.assertEqual(wizard.statement_ids.journal_id, self.journal2)

    def test_broken_file_imports_nothing(self):
        count = self._statement_count()
        attachments = self.env["ir.attachment"].search_count([])
        with self.assertRaises(CodaImportError) as caught:
            self._import("broken.cod")
        message = str(caught.exception)
        self.assertIn("broken.cod", message)
        self.assertIn("line 8, record 21", message)
        self.assertNotIsInstance(caught.exception, CodaUnknownAccountError)
        self.assertEqual(self._statement_count(), count)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)

    def test_unknown_account_imports_nothing(self):
        count = self._statement_count()
        with self.assertRaises(CodaUnknownAccountError) as caught:
            self._import("unknown_account.cod")
        error = caught.exception
        self.assertEqual(error.account_number, "BE68539007547034")
        self.assertEqual(error.currency, "USD")
        self.assertIn("BE68539007547034", str(error))
        self.assertIn("USD", str(error))
        self.assertIn("unknown_account.cod", str(error))
        self.assertEqual(self._statement_count(), count, "the EUR statement is not imported either")

    def test_failure_while_creating_rolls_back_the_file(self):
        """A refusal while creating the lines leaves nothing of the file behind."""
        self.savings.suspense_account_id = False  # the second statement's journal
        count = self._statement_count()
        attachments = self.env["ir.attachment"].search_count([])
        with self.assertRaisesRegex(UserError, "suspense account"):
            self._import("two_accounts.cod", pdf=b"%PDF")
        self.assertEqual(self._statement_count(), count)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)

    def test_unique_import_id(self):
        statements = parse(self._file("statement.cod"))
        again = parse(self._file("statement.cod"))
        Line = self.env["account.bank.statement.line"]
        key = Line._coda_statement_import_key(statements[0])
        ids = [Line._coda_unique_import_id(key, m) for m in statements[0].movements]
        self.assertEqual(len(set(ids)), len(ids), "two lines never collide")
        self.assertEqual(
            ids,
            [Line._coda_unique_import_id(key, m) for m in again[0].movements],
            "the same line always gets the same id",
        )
        self.assertTrue(ids[0].startswith("coda-BE68539007547034-EUR-20240315-012-0001.0000-"))
        # Another statement number gives other ids to lines numbered alike.
        other = parse(self._file("globalisation_mismatch.cod"))[0]
        self.assertNotEqual(Line._coda_statement_import_key(other), key)

    def test_unique_import_id_unique_per_journal(self):
        values = {"payment_ref": "x", "amount": 1.0, "unique_import_id": "same-id"}
        Line = self.env["account.bank.statement.line"]
        Line.create({**values, "journal_id": self.journal.id})
        Line.create({**values, "journal_id": self.savings.id})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            Line.create({**values, "journal_id": self.journal.id})
        self.assertFalse(Line._fields["unique_import_id"].copy)

    def _queries(self, function):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        function()
        self.env.flush_all()
        return self.cr.sql_log_count - before

    def _import_and_create_queries(self, movements, seed):
        """Queries to import a generated file, and to create the same statement directly.

        The difference is the import's own work: parsing, journals, known ids, partners.
        """
        data = write_coda(
            generate_statements(
                iban=MAIN_IBAN,
                holder_name="YOUR COMPANY",
                start_date=date(2024, seed, 1),
                movements_per_statement=movements,
                seed=seed,
                globalisation_ratio=0,
                first_coda_sequence=seed,
            )
        )
        Statement = self.env["account.bank.statement"]
        coda_statement = parse(data)[0]
        key = self.env["account.bank.statement.line"]._coda_statement_import_key(coda_statement)
        vals_list = Statement._coda_statement_vals_list(
            [(coda_statement, self.journal, key, coda_statement.movements)],
            "q.cod",
            self.env["ir.attachment"],
        )
        savepoint = self.cr.savepoint()
        create = self._queries(lambda: Statement.create(vals_list))
        savepoint.close(rollback=True)

        def run_import():
            result = Statement._codabox_import_coda(data, company=self.company, filename="q.cod")
            self.assertEqual(len(result["statements"].line_ids), movements)

        return self._queries(run_import), create

    def test_queries_per_line_are_bounded(self):
        import_10, create_10 = self._import_and_create_queries(10, 1)
        import_100, create_100 = self._import_and_create_queries(100, 2)
        counts = f"import {import_10}/{import_100}, create {create_10}/{create_100} (10/100 lines)"
        # The import's own queries do not grow with the number of lines...
        self.assertLess((import_100 - create_100) - (import_10 - create_10), 90 / 2, counts)
        # ... and a line costs about half of Odoo's own creation of a statement line (some
        # twenty queries), its journal items being created with the whole statement's.
        self.assertLess((import_100 - import_10) / 90, 13, counts)
