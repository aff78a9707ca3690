from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import clean_context


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
