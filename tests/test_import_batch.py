"""What the import does once for a whole batch of entries instead of once per entry keeps
Odoo's outcome: Odoo's analytic distribution models still apply when the company has one,
and an unbalanced entry is still refused (issue #13)."""

from odoo.exceptions import UserError
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from ..coda_parser import parse
from .test_coda_import import CodaImportCase


@tagged("post_install", "-at_install")
class TestImportBatch(CodaImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls.env["account.analytic.plan"].create({"name": "Departments"})
        cls.department = cls.env["account.analytic.account"].create(
            {"name": "Treasury", "plan_id": cls.plan.id, "company_id": cls.company.id}
        )
        cls.shared_department = cls.env["account.analytic.account"].create(
            {"name": "Shared", "plan_id": cls.plan.id, "company_id": False}
        )
        cls.Model = cls.env["account.analytic.distribution.model"]
        cls.Model.sudo().search([]).unlink()  # whatever the charts of accounts brought

    def _distribution_model(self, account, company, analytic=None):
        return self.Model.create(
            {
                "account_prefix": account.code,
                "company_id": company.id if company else False,
                "analytic_distribution": {str((analytic or self.department).id): 100},
            }
        )

    def _suspense_items(self, statement):
        suspense = self.journal.suspense_account_id
        return statement.line_ids.move_id.line_ids.filtered(
            lambda item: item.account_id == suspense
        )

    def test_distribution_model_applies_to_imported_lines(self):
        """A distribution model for the journal's suspense account (the counterpart of every
        imported line) gives each counterpart item its distribution, as Odoo's own creation
        of a statement line does; the bank account's items keep none."""
        self._distribution_model(self.journal.suspense_account_id, self.company)
        statement = self._import("statement.cod")["statements"]
        items = self._suspense_items(statement)
        self.assertEqual(len(items), len(statement.line_ids))
        self.assertEqual(
            items.mapped("analytic_distribution"), [{str(self.department.id): 100}] * len(items)
        )
        bank_items = statement.line_ids.move_id.line_ids - items
        self.assertEqual(set(bank_items.mapped("analytic_distribution")), {False})

    def test_no_distribution_model_no_distribution(self):
        statement = self._import("statement.cod")["statements"]
        self.assertTrue(statement.line_ids)
        self.assertEqual(
            set(statement.line_ids.move_id.line_ids.mapped("analytic_distribution")), {False}
        )

    def test_which_distribution_models_could_apply(self):
        """Models of the company or of no company count; another company's do not."""
        Statement = self.env["account.bank.statement"]
        self.assertFalse(Statement._coda_distribution_models_apply(self.company))
        other = self._create_belgian_company("Other Client", chart=False)
        suspense = self.journal.suspense_account_id
        self._distribution_model(suspense, other, self.shared_department)
        self.assertFalse(Statement._coda_distribution_models_apply(self.company))
        self._distribution_model(suspense, None, self.shared_department)
        self.assertTrue(Statement._coda_distribution_models_apply(self.company))

    def test_unbalanced_entry_refused(self):
        """The balance check, run once after all the entries are created, refuses an
        unbalanced one and the import creates nothing."""
        Statement = self.env["account.bank.statement"]
        coda_statement = parse(self._file("statement.cod"))[0]
        key = self.env["account.bank.statement.line"]._coda_statement_import_key(coda_statement)
        vals_list = Statement._coda_statement_vals_list(
            [(coda_statement, self.journal, key, coda_statement.movements)],
            "statement.cod",
            self.env["ir.attachment"],
        )
        item = vals_list[0]["line_ids"][-1][2]["line_ids"][0][2]
        item["debit"], item["credit"] = item["debit"] + 1, item["credit"]
        item.pop("balance", None)
        item.pop("amount_currency", None)
        count = self._statement_count()
        with self.assertRaisesRegex(UserError, "is not balanced"), mute_logger("odoo.sql_db"):
            with self.cr.savepoint():
                Statement._coda_create_statements(vals_list)
        self.assertEqual(self._statement_count(), count)
