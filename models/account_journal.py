from decimal import Decimal

from odoo import _, api, fields, models
from odoo.addons.base.models.res_bank import sanitize_account_number
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date
from odoo.tools.misc import clean_context

from ..continuity import Link, find_breaks


class AccountJournal(models.Model):
    _inherit = "account.journal"

    coda_globalisation = fields.Selection(
        [("details", "Detail lines"), ("totals", "Totals only")],
        string="CODA Globalisation",
        default="details",
        required=True,
        help="A bank groups some movements (a batch of payments, card settlements) under one "
        "total. Detail lines: import each movement of the group, which eases reconciliation. "
        "Totals only: import the total as a single line, as it appears on the paper statement.",
    )
    codabox_connected = fields.Boolean(
        string="CodaBox connected", compute="_compute_codabox_status"
    )
    codabox_problem = fields.Char(
        string="CodaBox problem",
        compute="_compute_codabox_status",
        help="Why the company's CodaBox connection does not deliver statements right now.",
    )

    codabox_gap_count = fields.Integer(
        string="Statements after a gap",
        compute="_compute_codabox_gaps",
        help="Statements of the journal before which statements are missing, or whose "
        "opening balance is not the previous closing balance.",
    )
    codabox_gap_summary = fields.Text(string="Missing statements", compute="_compute_codabox_gaps")

    def _compute_codabox_gaps(self):
        Statement = self.env["account.bank.statement"]
        groups = Statement._read_group(
            [("journal_id", "in", self.ids), ("codabox_after_gap", "=", True)],
            ["journal_id"],
            ["__count"],
        )
        counts = {journal.id: count for journal, count in groups}
        for journal in self:
            journal.codabox_gap_count = counts.get(journal.id, 0)
            journal.codabox_gap_summary = (
                "\n".join(
                    Statement.search(
                        [("journal_id", "=", journal.id), ("codabox_after_gap", "=", True)],
                        order="date, codabox_sequence_year, codabox_sequence",
                        limit=3,
                    ).mapped("codabox_gap")
                )
                if journal.codabox_gap_count
                else False
            )

    @api.depends_context("company")
    def _compute_codabox_status(self):
        """From what the last check and retrieval recorded: no call to CodaBox here."""
        for journal in self:
            connection = (
                journal.company_id._codabox_connection() if journal.type == "bank" else None
            )
            sources = (
                self.env["codabox.delivery.source"]._companies_served(journal.company_id)
                if journal.type == "bank"
                else None
            )
            journal.codabox_connected = bool(connection or sources)
            problem = False
            if sources and any(sources.mapped("last_error")):
                problem = "\n".join(filter(None, sources.mapped("last_error")))
            if connection:
                if connection.consent_status != "allowed":
                    problem = _(
                        "MyCodaBox consent: %(status)s",
                        status=dict(
                            connection._fields["consent_status"]._description_selection(self.env)
                        ).get(connection.consent_status, connection.consent_status),
                    )
                elif connection.last_error:
                    problem = connection.last_error
            journal.codabox_problem = problem

    def action_codabox_retrieve(self, with_commit=True):
        """ "Retrieve from CodaBox": the company's new statements, now (see
        codabox.connection.action_retrieve for ``with_commit``)."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        return self.company_id._codabox_retrieve_now(with_commit=with_commit)

    @api.model
    def _coda_new_journal_action(self, company, account_number, currency_name):
        """A new bank journal form for an account CODA files arrive for and no journal holds."""
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", currency_name)], limit=1)
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("New Bank Journal"),
            "res_model": "account.journal",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_type": "bank",
                "default_name": account_number,
                "default_bank_acc_number": account_number,
                "default_currency_id": currency != company.currency_id and currency.id,
                "default_company_id": company.id,
            },
        }

    def action_codabox_import_again(self):
        """ "Save and import" in the journal form that "Create Journal" opens from a CODA
        import's results: the journal is saved; back to that import, whose files refused for
        want of a journal are imported again, without being uploaded again."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        # The journal form's default_* values must not become defaults of what the import
        # creates (statements, their moves and lines).
        Import = self.env(context=clean_context(self.env.context))["codabox.coda.import.wizard"]
        wizard = Import.browse(self.env.context.get("codabox_coda_import_wizard_id")).exists()
        if not wizard:
            raise UserError(
                _(
                    "The journal is saved, but the CODA import it was made for is no longer "
                    "open: import the CODA file again."
                )
            )
        return wizard._import_again()

    def action_open_coda_import_wizard(self):
        """The CODA import, set for this journal's company."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        return {
            "type": "ir.actions.act_window",
            "name": _("Import CODA"),
            "res_model": "codabox.coda.import.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_journal_id": self.id,
                "default_company_id": self.company_id.id,
            },
        }

    # -- the chain of the account's statements ----------------------------------------------

    def action_codabox_open_gaps(self):
        """The journal's statements after a gap (the filter "Statements after a gap")."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_bank_statement_tree")
        action["domain"] = [("journal_id", "=", self.id)]
        action["context"] = {"search_default_codabox_after_gap": 1}
        return action

    def _codabox_check_continuity(self):
        """Check the chain of each bank journal's CODA statements (numbers and balances, in
        the order of their dates and numbers, whatever the order of their imports), write on
        each statement what is missing before it, and keep one to-do per break for an
        accounting administrator, marked done when the break is mended.

        Called after each import (from CodaBox, an upload, a file delivery) and when a
        statement is deleted or its balances change. Overridable, e.g. to check other
        journals' statements too.
        """
        Statement = self.env["account.bank.statement"].sudo()  # sudo: see _codabox_breaks
        # sudo: the to-dos and the statements' gap are written whoever imported.
        for journal in self.sudo().filtered(lambda j: j.type == "bank"):
            statements, breaks = journal._codabox_breaks()
            currency = journal.currency_id or journal.company_id.currency_id
            waiting = journal._codabox_waiting_documents()
            messages = {}
            for gap in breaks:
                message = journal._codabox_gap_message(gap, currency)
                holders = journal._codabox_documents_holding(waiting, gap)
                if holders:
                    message += "\n" + _(
                        "CodaBox delivered it, not imported yet: %(documents)s.",
                        documents=", ".join(holders.mapped("display_name")),
                    )
                messages[gap.after.key] = message
            checking = statements.with_context(codabox_checking_continuity=True)
            for statement in checking:
                message = messages.get(statement.id, False)
                if statement.codabox_gap != message:
                    statement.write({"codabox_gap": message, "codabox_after_gap": bool(message)})
            journal._codabox_gap_activities(Statement.browse(messages), messages)

    def _codabox_breaks(self):
        """(the journal's CODA statements, the breaks of their chain: ``continuity.Break``
        whose ``key`` are statement ids)."""
        self.ensure_one()
        # sudo: the chain is the journal's whole, whatever statements the user may read.
        statements = (
            self.env["account.bank.statement"]
            .sudo()
            .search([("journal_id", "=", self.id), ("codabox_sequence_year", "!=", 0)])
        )
        currency = self.currency_id or self.company_id.currency_id
        breaks = find_breaks(
            Link(
                st.id,
                st.date,
                st.codabox_sequence_year,
                st.codabox_sequence,
                self._codabox_decimal(st.balance_start, currency),
                self._codabox_decimal(st.balance_end_real, currency),
            )
            for st in statements
        )
        return statements, breaks

    @api.model
    def _codabox_decimal(self, amount, currency):
        return Decimal(f"{currency.round(amount):.{currency.decimal_places}f}")

    def _codabox_gap_message(self, gap, currency):
        """The break in words: "Statement 2026/045 missing between 2026/044 (31/03) and
        2026/046 (02/04): balance 12,345.67 → 12,890.12", or the balance break alone."""
        self.ensure_one()

        def number(year, value):
            return f"{year}/{value:03d}"

        def place(link):
            return _(
                "%(number)s (%(date)s)",
                number=number(link.year, link.number),
                date=format_date(self.env, link.date, date_format="dd/MM"),
            )

        balances = _(
            "balance %(before)s → %(after)s",
            before=format_amount(self.env, float(gap.balance_from), currency),
            after=format_amount(self.env, float(gap.balance_to), currency),
        )
        if not gap.missing:
            return _(
                "Balance break between %(before)s and %(after)s: %(balances)s",
                before=place(gap.before),
                after=place(gap.after),
                balances=balances,
            )
        first, last = gap.missing[0], gap.missing[-1]
        if first == last:
            missing = _("Statement %(number)s missing", number=number(*first))
        else:
            missing = _(
                "Statements %(first)s to %(last)s missing",
                first=number(*first),
                last=number(*last),
            )
        return _(
            "%(missing)s between %(before)s and %(after)s: %(balances)s",
            missing=missing,
            before=place(gap.before),
            after=place(gap.after),
            balances=balances,
        )

    def _codabox_waiting_documents(self):
        """The company's CODA documents CodaBox delivered that are not imported (failed,
        or waiting) for this journal's account: they may hold what a gap misses."""
        self.ensure_one()
        account = self.bank_account_id.sanitized_acc_number
        if not account:
            return self.env["codabox.document"]
        # sudo: the ledger is read to name a gap, whatever documents the user may read.
        return (
            self.env["codabox.document"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("kind", "=", "coda"),
                    ("state", "in", ("failed", "received")),
                ]
            )
            .filtered(lambda d: sanitize_account_number(d.account_number or "") == account)
        )

    @api.model
    def _codabox_documents_holding(self, documents, gap):
        """Those of ``documents`` whose CodaBox metadata (first and last statement number,
        new balance date) say they hold a statement the gap misses: seen before their import."""

        def holds(document):
            metadata = document.metadata if isinstance(document.metadata, dict) else {}
            day = document.statement_date
            year = day.year if day else None
            try:
                first = int(metadata.get("first_statement_number"))
                last = int(metadata.get("last_statement_number", first))
            except (TypeError, ValueError):
                return bool(day) and gap.before.date <= day <= gap.after.date
            return any((year is None or y == year) and first <= n <= last for y, n in gap.missing)

        return documents.filtered(holds) if gap.missing else documents.browse()

    def _codabox_gap_activities(self, after_gap, messages):
        """One to-do per break on the journal, for an accounting administrator of the
        company; the to-dos of mended breaks are marked done."""
        self.ensure_one()
        journal = self.sudo()  # sudo: the to-dos are written by this code, for the chain
        open_todos = journal.activity_ids.filtered("codabox_gap_statement_id")
        for todo in open_todos:
            if messages.get(todo.codabox_gap_statement_id.id) != todo.codabox_gap_message:
                todo.action_feedback(feedback=_("The chain of statements is whole here again."))
        kept = open_todos.exists().mapped("codabox_gap_statement_id")
        user = self.company_id._codabox_accounting_administrator()
        for statement in after_gap - kept:
            journal.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Missing bank statement: %(journal)s", journal=self.name),
                note=messages[statement.id],
                user_id=user.id,
                codabox_gap_statement_id=statement.id,
                codabox_gap_message=messages[statement.id],
            )
