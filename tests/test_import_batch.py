"""What the import does once for a whole batch of entries instead of once per entry keeps
Odoo's outcome: every stored value of the statements, lines, entries, journal items and their
chatter is the one Odoo's own creation entry by entry gives, Odoo's analytic distribution
models still apply when the company has one, and an unbalanced entry is still refused (issue
#13)."""

from datetime import date

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from ..coda_parser import parse
from ..dev.codagen import generate_statements, write_coda
from .test_coda_import import MAIN_IBAN, CodaImportCase

# Columns whose values are the moment or the row's own number, not the import's outcome.
UNCOMPARED = {"create_date", "write_date"}
# The columns that refer to the import's own records, by table: compared by rank, not by id.
OWN_RECORDS = {
    "account_bank_statement": {"id": "statement"},
    "account_bank_statement_line": {"id": "line", "move_id": "move", "statement_id": "statement"},
    "account_move": {"id": "move", "statement_line_id": "line"},
    "account_move_line": {
        "id": "item",
        "move_id": "move",
        "statement_id": "statement",
        "statement_line_id": "line",
    },
}
# Odoo's chronological keys of the statement lines: date, sequence, then the line's id.
LINE_INDEXES = {"internal_index", "first_line_index"}


class Rollback(Exception):
    """Undoes a savepoint's work in a test."""


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

    def test_entries_checked_as_their_journal_says(self):
        """Posting marks an entry checked as its journal says (``autocheck_on_post``); the
        import gives that mark at creation, so a journal that does not check on posting
        leaves its entries unchecked, and no tracking message says otherwise."""
        self.journal.autocheck_on_post = False
        moves = self._import("statement.cod")["statements"].line_ids.move_id
        self.assertTrue(moves)
        self.assertEqual(set(moves.mapped("checked")), {False})
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.env.flush_all()
        self.assertFalse(
            moves.message_ids.tracking_value_ids.filtered(
                lambda value: value.field_id.name == "checked"
            )
        )

    def test_tax_country_given_and_checked_as_odoo_does(self):
        """The entries' tax country is computed as a computed field is, not written: the
        import's entries have their company's fiscal country, nothing of it is written, and
        Odoo's check of the taxes' country still refuses a tax of another country."""
        moves = self._import("statement.cod")["statements"].line_ids.move_id
        self.assertTrue(moves)
        fiscal_country = self.company.account_fiscal_country_id
        self.assertEqual(moves.tax_country_id, fiscal_country)
        self.assertEqual(set(moves.mapped("tax_country_code")), {fiscal_country.code})

        Move = self.env["account.move"].with_context(codabox_batch_post=True)
        written = []
        original_write = type(Move).write

        def spying_write(records, vals):
            written.append(set(vals))
            return original_write(records, vals)

        foreign = self.env.ref("base.fr")
        self.assertNotEqual(foreign, fiscal_country)
        group = self.env["account.tax.group"].create(
            {"name": "French taxes", "country_id": foreign.id, "company_id": self.company.id}
        )
        tax = self.env["account.tax"].create(
            {
                "name": "French VAT",
                "amount": 20.0,
                "country_id": foreign.id,
                "tax_group_id": group.id,
                "company_id": self.company.id,
            }
        )
        accounts = self.env["account.account"].search(
            [("company_ids", "in", self.company.id), ("account_type", "=", "income")], limit=2
        )
        self.patch(type(Move), "write", spying_write)
        with self.assertRaisesRegex(ValidationError, "fiscal country"), self.cr.savepoint():
            Move.create(
                {
                    "journal_id": self.journal.id,
                    "line_ids": [
                        Command.create(
                            {"account_id": accounts[0].id, "debit": 100.0, "tax_ids": tax.ids}
                        ),
                        Command.create({"account_id": accounts[1].id, "credit": 100.0}),
                    ],
                }
            )
        self.assertNotIn({"tax_country_id"}, written)

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

    def _stored(self, statements):
        """Every stored value of the statements, their lines, entries and journal items, and
        the entries' chatter, the import's own records named by their rank."""
        self.env.flush_all()
        lines = statements.line_ids
        ranks = {
            kind: {record.id: rank for rank, record in enumerate(records.sorted("id"))}
            for kind, records in (
                ("statement", statements),
                ("line", lines),
                ("move", lines.move_id),
                ("item", lines.move_id.line_ids),
            )
        }
        stored = {}
        for table, own in OWN_RECORDS.items():
            kind = own["id"]
            self.cr.execute(
                f"SELECT * FROM {table} WHERE id = ANY(%s) ORDER BY id",
                [list(ranks[kind])],
            )
            columns = [column.name for column in self.cr.description]
            stored[table] = [
                {
                    column: self._own(ranks, own.get(column), column, value)
                    for column, value in zip(columns, row, strict=True)
                    if column not in UNCOMPARED
                }
                for row in self.cr.fetchall()
            ]
        self.cr.execute(
            """SELECT message.res_id, message.message_type, message.body::text,
                      ARRAY_AGG(ROW(tracking.field_id, tracking.old_value_char,
                                    tracking.new_value_char)::text ORDER BY tracking.id)
                 FROM mail_message message
                 LEFT JOIN mail_tracking_value tracking ON tracking.mail_message_id = message.id
                WHERE message.model = 'account.move' AND message.res_id = ANY(%s)
             GROUP BY message.id ORDER BY message.id""",
            [list(ranks["move"])],
        )
        stored["chatter"] = [(ranks["move"][row[0]], *row[1:]) for row in self.cr.fetchall()]
        self.cr.execute(
            """SELECT follower.res_id, follower.partner_id,
                      ARRAY_AGG(rel.mail_message_subtype_id ORDER BY rel.mail_message_subtype_id)
                 FROM mail_followers follower
                 LEFT JOIN mail_followers_mail_message_subtype_rel rel
                        ON rel.mail_followers_id = follower.id
                WHERE follower.res_model = 'account.move' AND follower.res_id = ANY(%s)
             GROUP BY follower.id ORDER BY follower.res_id, follower.partner_id""",
            [list(ranks["move"])],
        )
        stored["followers"] = [(ranks["move"][row[0]], *row[1:]) for row in self.cr.fetchall()]
        return stored

    @staticmethod
    def _own(ranks, kind, column, value):
        """A stored value, the import's own records in it by rank."""
        if kind and value:
            return ranks[kind][value]
        if column in LINE_INDEXES and value:
            return value[:-10], ranks["line"][int(value[-10:])]
        return value

    def test_entries_are_those_of_odoos_own_creation(self):
        """The same files imported twice from the same state: through Odoo's own creation
        (its write per entry and its posting entry by entry, ``codabox_batch_link=False`` and
        ``codabox_batch_post=False``), then as the import does it. Every stored column (but the
        moments), the chatter and the followers are the same, partners, structured
        communications, globalisations and a foreign currency's lines included."""
        counterparties = [
            {"name": "Peeters SRL", "account": "BE48001123456727"},
            {"name": "Unknown BV", "account": "BE62510007547061"},
        ]
        generated = write_coda(
            generate_statements(
                iban=MAIN_IBAN,
                holder_name="Belgian Company",
                start_date=date(2024, 5, 2),
                days=2,
                movements_per_statement=15,
                seed=13,
                globalisation_ratio=0.3,
                counterparties=counterparties,
                first_coda_sequence=40,
            )
        )
        files = [("statement.cod", self._file("statement.cod")), ("generated.cod", generated)]
        Statement = self.env["account.bank.statement"]

        def import_all(env):
            statements = Statement.browse()
            for name, data in files:
                statements |= Statement.with_env(env)._codabox_import_coda(
                    data, company=self.company, filename=name
                )["statements"]
            return statements.with_env(self.env)

        with self.assertRaises(Rollback), self.cr.savepoint():
            entry_by_entry = self._stored(
                import_all(
                    self.env(
                        context=dict(
                            self.env.context, codabox_batch_link=False, codabox_batch_post=False
                        )
                    )
                )
            )
            raise Rollback
        self.env.invalidate_all()
        batch = self._stored(import_all(self.env))
        self.maxDiff = None
        self.assertGreater(len(batch["account_move"]), 20)
        # What the batch posting gives at once: a partner following its entries, all checked
        partner_followers = [
            row for row in batch["followers"] if row[1] != self.env.user.partner_id.id
        ]
        self.assertTrue(partner_followers)
        self.assertEqual({row["checked"] for row in batch["account_move"]}, {True})
        for table, rows in entry_by_entry.items():
            self.assertEqual(len(batch[table]), len(rows), table)
            for expected, got in zip(rows, batch[table], strict=True):
                self.assertEqual(got, expected, table)
