from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    account_representative_id = fields.Many2one(
        related="company_id.account_representative_id", readonly=False
    )
    codabox_office_vat = fields.Char(related="company_id.codabox_office_vat", readonly=False)
    codabox_auto_reconcile = fields.Boolean(
        related="company_id.codabox_auto_reconcile", readonly=False
    )
    codabox_client_code = fields.Char(related="company_id.codabox_client_code", readonly=False)
    codabox_import_soda = fields.Boolean(related="company_id.codabox_import_soda", readonly=False)
    codabox_import_purchase_invoices = fields.Boolean(
        related="company_id.codabox_import_purchase_invoices", readonly=False
    )
    codabox_import_sales_invoices = fields.Boolean(
        related="company_id.codabox_import_sales_invoices", readonly=False
    )
    codabox_soda_journal_id = fields.Many2one(
        related="company_id.codabox_soda_journal_id", readonly=False
    )
    codabox_delivery_count = fields.Integer(compute="_compute_codabox_connection_id")
    codabox_connection_id = fields.Many2one(
        "codabox.connection", string="CodaBox connection", compute="_compute_codabox_connection_id"
    )
    codabox_connection_state = fields.Selection(related="codabox_connection_id.state")
    codabox_consent_status = fields.Selection(related="codabox_connection_id.consent_status")
    codabox_consent_checked_at = fields.Datetime(related="codabox_connection_id.consent_checked_at")
    codabox_last_error = fields.Text(related="codabox_connection_id.last_error")
    codabox_connection_kind = fields.Selection(related="codabox_connection_id.kind")
    codabox_checked_at = fields.Datetime(related="codabox_connection_id.checked_at")
    codabox_waiting_for_token = fields.Boolean(compute="_compute_codabox_connection_id")

    @api.depends("company_id")
    def _compute_codabox_connection_id(self):
        Source = self.env["codabox.delivery.source"]
        for settings in self:
            settings.codabox_connection_id = settings.company_id._codabox_connection()
            settings.codabox_delivery_count = len(Source._companies_served(settings.company_id))
            settings.codabox_waiting_for_token = bool(
                settings.company_id._codabox_waiting_for_token()
            )

    def action_codabox_manage_connection(self):
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id)
        return self.env["codabox.connection.wizard"]._open_for(self.company_id)

    def action_codabox_connect_invoicing_software(self):
        """ "Connect as invoicing software": the SME's own connection (token by e-mail)."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id)
        return self.env["codabox.invoicing.software.wizard"]._open_for(self.company_id)

    def action_codabox_sent_invoices(self):
        """The ledger of the sales invoices sent to CodaBox."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_invoice")
        return self.env["ir.actions.act_window"]._for_xml_id(
            "l10n_be_codabox_connect.codabox_sent_invoice_action"
        )

    def action_codabox_refresh_status(self):
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        self.codabox_connection_id.action_refresh_status()
        return {"type": "ir.actions.client", "tag": "reload"}

    def action_codabox_retrieve(self, with_commit=True):
        """See codabox.connection.action_retrieve for ``with_commit``."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        return self.company_id._codabox_retrieve_now(with_commit=with_commit)

    def action_codabox_delivery_sources(self):
        """The file deliveries (SFTP, FTPES, folder): administrators only."""
        self.ensure_one()
        self.env["codabox.delivery.source"]._check_admin()
        return self.env["ir.actions.act_window"]._for_xml_id(
            "l10n_be_codabox_connect.codabox_delivery_source_action"
        )
