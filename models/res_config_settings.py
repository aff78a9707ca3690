from odoo import _, api, fields, models
from odoo.exceptions import UserError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    account_representative_id = fields.Many2one(
        related="company_id.account_representative_id", readonly=False
    )
    codabox_office_vat = fields.Char(related="company_id.codabox_office_vat", readonly=False)
    codabox_auto_reconcile = fields.Boolean(
        related="company_id.codabox_auto_reconcile", readonly=False
    )
    codabox_connection_id = fields.Many2one(
        "codabox.connection", string="CodaBox connection", compute="_compute_codabox_connection_id"
    )
    codabox_connection_state = fields.Selection(related="codabox_connection_id.state")
    codabox_consent_status = fields.Selection(related="codabox_connection_id.consent_status")
    codabox_consent_checked_at = fields.Datetime(related="codabox_connection_id.consent_checked_at")
    codabox_last_error = fields.Text(related="codabox_connection_id.last_error")

    @api.depends("company_id")
    def _compute_codabox_connection_id(self):
        for settings in self:
            settings.codabox_connection_id = settings.company_id._codabox_connection()

    def action_codabox_manage_connection(self):
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id)
        return self.env["codabox.connection.wizard"]._open_for(self.company_id)

    def action_codabox_refresh_status(self):
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        self.codabox_connection_id.action_refresh_status()
        return {"type": "ir.actions.client", "tag": "reload"}

    def action_codabox_retrieve(self, with_commit=True):
        """See codabox.connection.action_retrieve for ``with_commit``."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        connection = self.codabox_connection_id
        if not connection:
            raise UserError(
                _("%(company)s is not connected to CodaBox.", company=self.company_id.name)
            )
        return connection.action_retrieve(with_commit=with_commit)
