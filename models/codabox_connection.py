from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import CodaboxError


class CodaboxConnection(models.Model):
    """A client company connected to CodaBox, with its delivery API credentials.

    The credentials are readable by system administrators only (field groups); everything
    that needs them reads them with sudo() here, never through the user's rights.
    """

    _name = "codabox.connection"
    _description = "CodaBox connection"
    _inherit = ["mail.thread"]
    _rec_name = "company_id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    office_id = fields.Many2one(
        "codabox.office", string="Accounting office", required=True, readonly=True
    )
    state = fields.Selection(
        [("connected", "Connected"), ("revoked", "Revoked")],
        default="connected",
        required=True,
        readonly=True,
        tracking=True,
    )
    consent_status = fields.Selection(related="office_id.consent_status")
    consent_checked_at = fields.Datetime(related="office_id.consent_checked_at")
    feed_client_id = fields.Char(string="CodaBox feed client", readonly=True, copy=False)
    username = fields.Char(groups="base.group_system", readonly=True, copy=False)
    password = fields.Char(groups="base.group_system", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)

    _sql_constraints = [
        ("company_unique", "unique(company_id)", "A company has one CodaBox connection."),
    ]

    @api.model
    def _connect(self, company, office, answer):
        """Store what CodaBox answered for a newly connected company (a `Connection`)."""
        values = {
            "office_id": office.id,
            "state": "connected",
            "feed_client_id": answer.feed_client_id,
            "username": answer.username,
            "password": answer.password,
            "last_error": False,
        }
        office.sudo().consent_id = answer.consent_id
        office._record_consent(answer.status)
        connection = (
            self.sudo().with_context(active_test=False).search([("company_id", "=", company.id)])
        )
        if connection:
            connection.write(values)
        else:
            connection = self.sudo().create({"company_id": company.id, **values})
        connection.message_post(
            body=_("Connected to CodaBox by %(user)s.", user=self.env.user.name)
        )
        return connection.sudo(False)

    def _client(self):
        self.ensure_one()
        connection = self.sudo()
        if connection.state != "connected":
            raise UserError(
                _("%(company)s is not connected to CodaBox.", company=self.company_id.name)
            )
        return self.env["codabox.api"]._client((connection.username, connection.password))

    def action_refresh_status(self):
        """Ask CodaBox for the consent status now (a button, never a stored compute)."""
        for connection in self:
            connection.office_id._refresh_consent()
        return True

    def action_revoke(self):
        for connection in self:
            api_model = self.env["codabox.api"]
            try:
                api_model._client().revoke(connection.sudo().feed_client_id)
            except CodaboxError as error:
                raise api_model._user_error(error) from error
            connection.sudo().write({"state": "revoked", "username": False, "password": False})
            connection.message_post(
                body=_("Connection revoked by %(user)s.", user=self.env.user.name)
            )
        return True
