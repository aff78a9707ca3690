from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import CodaboxError

CONSENT_STATUSES = [
    ("allowed", "Allowed"),
    ("denied", "Denied"),
    ("pending", "To be determined"),
    ("cancelled", "Cancelled"),
]


class CodaboxOffice(models.Model):
    """An accounting office that allowed Odoo in MyCodaBox: its consent and office password.

    The office password itself is never stored, only its hash (Odoo's own password hashing),
    so that further client companies can be connected with it.

    Read-only to every group (ir.model.access.csv): this code writes it, as superuser, for
    callers whose rights codabox.api._check_rights checked. A user sees the offices of the
    connections of their companies only (record rule).
    """

    _name = "codabox.office"
    _description = "CodaBox accounting office"
    _inherit = ["mail.thread"]
    _rec_name = "vat"

    vat = fields.Char(string="Office VAT", required=True, readonly=True)
    password_hash = fields.Char(groups="base.group_system", copy=False, readonly=True)
    consent_id = fields.Char(string="Consent identifier", readonly=True, copy=False)
    consent_status = fields.Selection(CONSENT_STATUSES, readonly=True, tracking=True, copy=False)
    consent_checked_at = fields.Datetime(string="Last status check", readonly=True, copy=False)
    connection_ids = fields.One2many("codabox.connection", "office_id", string="Connections")

    _sql_constraints = [
        ("vat_unique", "unique(vat)", "An accounting office is connected to CodaBox only once."),
    ]

    @api.model
    def _for_vat(self, vat):
        return self.sudo().search([("vat", "=", vat)], limit=1)

    def _has_password(self):
        self.ensure_one()
        return bool(self.sudo().password_hash)

    def _set_password(self, password):
        self.ensure_one()
        self.sudo().password_hash = self.env["res.users"]._crypt_context().hash(password)

    def _check_password(self, password):
        """Refuse a password that is not the office's, before CodaBox is even asked."""
        self.ensure_one()
        stored = self.sudo().password_hash
        if not (
            stored
            and password
            and self.env["res.users"]._crypt_context().verify(password.strip(), stored)
        ):
            raise UserError(
                _(
                    "This is not the office password of accounting office %(vat)s. It was "
                    "shown once when the office's first company was connected.",
                    vat=self.vat,
                )
            )

    def _record_consent(self, status):
        self.ensure_one()
        self.sudo().write({"consent_status": status, "consent_checked_at": fields.Datetime.now()})

    def _refresh_consent(self):
        """Ask CodaBox for the consent status now; raises a translated UserError on failure."""
        self.ensure_one()
        api_model = self.env["codabox.api"]
        try:
            status = api_model._client().consent_status(self.consent_id)
        except CodaboxError as error:
            raise api_model._user_error(error) from error
        self._record_consent(status)
        return status
