import secrets

from cryptography.fernet import InvalidToken

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import CodaboxError
from ..models.codabox_connect_state import database_secret, derive_fernet


class CodaboxInvoicingSoftwareWizard(models.TransientModel):
    """ "Connect as invoicing software": a company (SME) that invoices with Odoo connects
    itself to CodaBox, without an accounting office's consent (docs/protocol.md).

    Odoo sends the company's enterprise number; CodaBox e-mails the company a token, which the
    user types here; Odoo exchanges it, once, for the credentials of the connection. CodaBox's
    reason when it refuses (enterprise number or e-mail address unknown) is shown as it
    gives it, in the user's language.

    The typed token is a secret: the database keeps only its ciphertext (as the connection
    wizard's passwords), in a column readable by system administrators only, cleared as soon
    as used; a record rule keeps each wizard to the user who opened it.
    """

    _name = "codabox.invoicing.software.wizard"
    _description = "Connect to CodaBox as invoicing software"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    company_vat = fields.Char(string="Enterprise number", readonly=True)
    step = fields.Selection(
        [("request", "Request the token"), ("token", "Enter the token")],
        required=True,
        readonly=True,
        default="request",
    )
    token_email = fields.Char(string="Token sent to", readonly=True)
    token = fields.Char(
        string="Token",
        compute="_compute_token",
        inverse="_inverse_token",
        readonly=False,
        help="The token CodaBox e-mailed to the company (valid 24 hours, used once).",
    )
    error_message = fields.Text(readonly=True)
    secret_salt = fields.Char(
        groups="base.group_system",
        readonly=True,
        copy=False,
        default=lambda self: secrets.token_urlsafe(16),
    )
    token_encrypted = fields.Char(groups="base.group_system", readonly=True, copy=False)

    # -- the token, encrypted ------------------------------------------------------------------

    def _cipher(self):
        self.ensure_one()
        salt = self.sudo().secret_salt  # sudo: readable by system administrators only
        return derive_fernet(database_secret(self.env), salt.encode(), b"codabox-invoicing-token")

    def _compute_token(self):
        """What the user typed never goes back to the browser."""
        self.token = False

    def _inverse_token(self):
        for wizard in self:
            value = (wizard.token or "").strip()
            encrypted = value and wizard._cipher().encrypt(value.encode()).decode()
            wizard.sudo().token_encrypted = encrypted or False  # sudo: system-only column

    def _take_token(self):
        """The typed token, cleared from the record as it is read."""
        self.ensure_one()
        encrypted = self.sudo().token_encrypted  # sudo: system-only column
        self.sudo().token_encrypted = False
        if not encrypted:
            return ""
        try:
            return self._cipher().decrypt(encrypted.encode()).decode()
        except InvalidToken:
            return ""  # the database secret changed since: as if nothing was typed

    # -- opening ---------------------------------------------------------------------------------

    @api.model
    def _open_for(self, company):
        """The wizard at the step that fits: the token field when one was requested."""
        self.env["codabox.api"]._check_rights(company)
        waiting = company._codabox_waiting_for_token()
        values = {
            "company_id": company.id,
            "company_vat": company._codabox_company_vat(),
            "step": "token" if waiting else "request",
            "token_email": waiting.token_email,
        }
        return self.create(values)._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Connect to CodaBox as invoicing software"),
        }

    def _check_rights(self):
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id)
        connection = self.company_id._codabox_connection()
        if connection.kind == "office":
            raise UserError(
                _(
                    "%(company)s is connected to CodaBox through its accounting office "
                    "(CodaBox Connect): its documents already come that way.",
                    company=self.company_id.name,
                )
            )

    def _failed(self, message):
        """Say what went wrong in the wizard itself: a raised error would roll back the
        clearing of the typed token."""
        self.error_message = message
        return self._reopen()

    # -- buttons -----------------------------------------------------------------------------

    def action_request_token(self):
        """Ask CodaBox to e-mail the company its token."""
        self.ensure_one()
        self._check_rights()
        company = self.company_id
        api_model = self.env["codabox.api"]
        try:
            email = api_model._client().request_invoicing_access(company._codabox_company_vat())
        except CodaboxError as error:
            return self._failed(api_model._user_message(error, company=company))
        connection = self.env["codabox.connection"]._record_token_request(company, email)
        connection.message_post(
            body=_(
                "Invoicing-software token requested by %(user)s, sent by CodaBox to %(email)s.",
                user=self.env.user.name,
                email=email,
            )
        )
        self.write({"step": "token", "token_email": email, "error_message": False})
        return self._reopen()

    def action_activate(self):
        """Exchange the token for the connection's credentials: connected."""
        self.ensure_one()
        self._check_rights()
        token = self._take_token()
        company = self.company_id
        if not token:
            return self._failed(_("Type the token CodaBox e-mailed to the company first."))
        api_model = self.env["codabox.api"]
        try:
            credentials = api_model._client().get_credentials(token)
        except CodaboxError as error:
            return self._failed(api_model._user_message(error, company=company))
        self.env["codabox.connection"]._connect_invoicing_software(company, credentials)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(company)s is connected to CodaBox as invoicing software: its CODA "
                    "arrives every day, and its sales invoices go to its accounting office.",
                    company=company.name,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_request_again(self):
        """The token did not arrive or is too old: back to the request."""
        self.ensure_one()
        self._check_rights()
        self.write({"step": "request", "error_message": False})
        return self._reopen()
