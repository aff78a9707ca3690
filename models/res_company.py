import time

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..compat import group_users, sql_constraints


@sql_constraints(
    (
        "codabox_client_code_unique",
        "unique(codabox_client_code)",
        "Two companies cannot have the same CodaBox client code.",
    ),
)
class ResCompany(models.Model):
    _inherit = "res.company"

    # Same field as Odoo Enterprise's account_reports, so both modules share it when installed.
    account_representative_id = fields.Many2one(
        "res.partner",
        string="Accounting Firm",
        help="The accounting office that keeps this company's books.",
    )
    codabox_office_vat = fields.Char(
        string="Accounting office VAT",
        help="VAT number of the accounting office connected to CodaBox, used when the "
        "company has no accounting firm with a VAT number.",
    )
    codabox_auto_reconcile = fields.Boolean(
        string="Reconcile CodaBox statements with invoices automatically",
        default=True,
        help="At each import of CODA statements (from CodaBox or uploaded), reconcile the lines "
        "whose communication is the structured communication of one open invoice, bill or "
        "credit note of the company: fully when the amount is what is left to pay, partly "
        "when it is less. The others are left open with a note saying why.",
    )
    codabox_connection_ids = fields.One2many(
        "codabox.connection", "company_id", string="CodaBox connections"
    )
    # The kinds CodaBox delivers besides CODA, each imported unless turned off (kept in the
    # ledger as "Not imported" meanwhile, imported once turned on: _write below).
    codabox_import_soda = fields.Boolean(
        string="Import SODA payroll entries",
        default=True,
        help="CodaBox's social documents (SODA) become draft payroll entries.",
    )
    codabox_import_purchase_invoices = fields.Boolean(
        string="Import purchase invoices",
        default=True,
        help="Purchase invoices and expenses CodaBox delivers become draft vendor bills.",
    )
    codabox_import_sales_invoices = fields.Boolean(
        string="Import sales invoices",
        default=True,
        help="Sales invoices CodaBox delivers become draft customer invoices.",
    )
    codabox_soda_journal_id = fields.Many2one(
        "account.journal",
        string="Social documents journal",
        domain="[('type', '=', 'general'), ('company_id', '=', id)]",
        help="The miscellaneous journal of the payroll entries made from SODA (one named "
        "Social documents is made at the first SODA when none is set).",
    )
    codabox_client_code = fields.Char(
        string="CodaBox client code",
        help="The company's client code at CodaBox: the name of its folder in CodaBox's file "
        "delivery (SFTP, FTPES).",
    )

    def _codabox_office_vat(self):
        """The office VAT: the accounting firm's, else the setting, normalised (BE0123456789)."""
        self.ensure_one()
        vat = self.account_representative_id.vat or self.codabox_office_vat
        if not vat:
            raise UserError(
                _(
                    "Set the accounting office of %(company)s first: its Accounting Firm (with "
                    "a VAT number) or the accounting office VAT in the CodaBox settings.",
                    company=self.name,
                )
            )
        return _normalise_vat(vat)

    def _codabox_company_vat(self):
        self.ensure_one()
        if not self.vat:
            raise UserError(
                _(
                    "%(company)s has no VAT number: CodaBox knows client companies by theirs.",
                    company=self.name,
                )
            )
        return _normalise_vat(self.vat)

    def write(self, vals):
        """A kind whose import is turned on: the documents of it kept "Not imported" are
        imported at the next retrieval, woken now."""
        kinds = [
            kind
            for kind, (_method, setting) in self.env["codabox.document"]._importers().items()
            if setting and vals.get(setting)
        ]
        turned_on = self.filtered(
            lambda c: any(
                not c[setting]
                for _kind, (_method, setting) in self.env["codabox.document"]._importers().items()
                if setting and vals.get(setting)
            )
        )
        result = super().write(vals)
        if kinds and turned_on:
            self.env["codabox.document"]._kinds_turned_on(turned_on, kinds)
        return result

    def _codabox_retrieve_now(self, with_commit=True):
        """ "Retrieve from CodaBox" for the company: its CodaBox connection (API) and the file
        deliveries that bring its files, in one notification. The caller checked the rights.

        See codabox.connection.action_retrieve for ``with_commit``.
        """
        self.ensure_one()
        connection = self._codabox_connection().with_company(self)
        sources = self.env["codabox.delivery.source"]._companies_served(self)
        if not connection and not sources:
            raise UserError(
                _(
                    "%(company)s is not connected to CodaBox: connect it from Accounting "
                    "settings, CodaBox, Manage Connection, or give it its client code in a "
                    "CodaBox file delivery.",
                    company=self.name,
                )
            )
        # Within the request's limits: what does not fit (a long statement's rest, documents
        # not started) is left to the daily job, woken now.
        deadline = time.monotonic() + self.env["codabox.api"]._request_time_budget()
        result = {"documents": self.env["codabox.document"], "busy": False, "error": False}
        errors = []
        outcomes = [connection._retrieve(deadline, with_commit)] if connection else []
        outcomes += [source._collect(deadline, with_commit, companies=self) for source in sources]
        for outcome in outcomes:
            result["documents"] |= outcome["documents"]
            result["busy"] = result["busy"] or outcome["busy"]
            errors += [outcome["error"]] if outcome["error"] else []
        result["error"] = "\n".join(errors) or False
        Connection = self.env["codabox.connection"]
        result["left"] = Connection._leave_rest_to_daily_job(outcomes)
        return Connection._retrieval_notification(result, self)

    def _codabox_soda_journal(self):
        """The journal of the payroll entries made from SODA: the setting, else a
        miscellaneous journal "Social documents" (code SODA) made now and set."""
        self.ensure_one()
        if self.codabox_soda_journal_id:
            return self.codabox_soda_journal_id
        Journal = self.env["account.journal"].sudo()  # sudo: made once for the company
        journal = Journal.search(
            [("company_id", "=", self.id), ("type", "=", "general"), ("code", "=", "SODA")],
            limit=1,
        ) or Journal.create(
            {
                "name": _("Social documents"),
                "code": "SODA",
                "type": "general",
                "company_id": self.id,
            }
        )
        self.sudo().codabox_soda_journal_id = journal  # sudo: idem
        return journal

    def _codabox_accounting_administrator(self):
        """Who gets the company's CodaBox to-dos that belong to no connection (a gap in a
        journal's statements): its first accounting administrator, else the database's
        administrator. Overridable."""
        self.ensure_one()
        # sudo: reading the group's members
        managers = group_users(self.env.ref("account.group_account_manager").sudo()).filtered(
            lambda u: self in u.company_ids and not u.share
        )
        return managers.sorted("id")[:1] or self.env.ref("base.user_admin")

    def _codabox_connection(self):
        """The company's live connection (not revoked), or an empty recordset."""
        self.ensure_one()
        return self.codabox_connection_ids.filtered(lambda c: c.state == "connected")[:1]

    def _codabox_waiting_for_token(self):
        """The company's invoicing-software connection waiting for the token CodaBox
        e-mailed, or an empty recordset."""
        self.ensure_one()
        return self.codabox_connection_ids.filtered(lambda c: c.state == "token_requested")[:1]


def _normalise_vat(vat):
    return "".join(ch for ch in vat.upper() if ch.isalnum())
