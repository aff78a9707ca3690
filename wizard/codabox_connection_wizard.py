import secrets

from cryptography.fernet import InvalidToken

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import CodaboxClient, CodaboxError, InvalidOfficePassword
from ..models.codabox_connect_state import database_secret, derive_fernet

# No 0/O, 1/I/L: the password is read off a screen and typed into MyCodaBox.
PASSWORD_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PASSWORD_GROUPS, PASSWORD_GROUP_SIZE = 5, 5  # 25 symbols of log2(31) bits: 123 bits
# The passwords the wizard holds: shown field -> column of its ciphertext.
SECRET_COLUMNS = {
    "new_password": "new_password_encrypted",
    "office_password": "office_password_encrypted",
}


def generate_office_password():
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_SIZE))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


class CodaboxConnectionWizard(models.TransientModel):
    """ "Manage Connection": create, connect with the office password, refresh, revoke,
    change the office password.

    As CodaBox's help pages tell accountants: "Manage Connection" explains, then "Create
    connection" generates the office password, once, and shows it, once. Opening the dialog
    generates nothing: a password copied from a dialog closed before MyCodaBox was never in
    use, and a dialog opened again says so instead of showing another one.

    The wizard holds passwords between two clicks: the office password it generated (shown
    once) and the one the user types. The database keeps only their ciphertext (Fernet, key
    derived with HKDF-SHA256 from ``database.secret`` and the record's own random salt), in
    columns readable by system administrators only; the typed password is never sent back
    to the browser, and both are cleared as soon as used, on failure too. A record rule
    keeps each wizard to the user who opened it.
    """

    _name = "codabox.connection.wizard"
    _description = "Manage the CodaBox connection"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    step = fields.Selection(
        [
            ("start", "Not connected"),
            ("create", "Create connection"),
            ("connect", "Connect with the office password"),
            ("manage", "Connected"),
            ("change_password", "Change the office password"),
        ],
        required=True,
        readonly=True,
    )
    office_vat = fields.Char(string="Office VAT", readonly=True)
    office_known = fields.Boolean(
        readonly=True, help="This database already connected a company of the office."
    )
    connection_id = fields.Many2one("codabox.connection", readonly=True)
    connection_kind = fields.Selection(related="connection_id.kind")
    consent_status = fields.Selection(related="connection_id.consent_status")
    checked_at = fields.Datetime(related="connection_id.checked_at")
    consent_checked_at = fields.Datetime(related="connection_id.consent_checked_at")
    new_password = fields.Char(
        string="New office password",
        compute="_compute_new_password",
        inverse="_inverse_new_password",
        readonly=True,
    )
    password_saved = fields.Boolean(string="I have saved this password in a safe place")
    office_password = fields.Char(
        string="Office password",
        compute="_compute_office_password",
        inverse="_inverse_office_password",
        readonly=False,
    )
    error_message = fields.Text(readonly=True)
    secret_salt = fields.Char(
        groups="base.group_system",
        readonly=True,
        copy=False,
        default=lambda self: secrets.token_urlsafe(16),
    )
    new_password_encrypted = fields.Char(groups="base.group_system", readonly=True, copy=False)
    office_password_encrypted = fields.Char(groups="base.group_system", readonly=True, copy=False)

    def init(self):
        # These two were plain stored fields: Odoo keeps the columns (and what they hold) of
        # fields that are no longer stored.
        self.env.cr.execute(
            "ALTER TABLE codabox_connection_wizard "
            "DROP COLUMN IF EXISTS new_password, DROP COLUMN IF EXISTS office_password"
        )

    # -- the passwords, encrypted ------------------------------------------------------------

    def _cipher(self):
        self.ensure_one()
        # sudo: the salt is readable by system administrators only; it is not a secret alone.
        salt = self.sudo().secret_salt
        if not salt:
            salt = self.sudo().secret_salt = secrets.token_urlsafe(16)
        return derive_fernet(database_secret(self.env), salt.encode(), b"codabox-connection-wizard")

    def _get_secret(self, name):
        """The plain text of the password ``name`` (a key of SECRET_COLUMNS), or ``False``."""
        self.ensure_one()
        # sudo: the ciphertext columns are readable by system administrators only.
        encrypted = self.sudo()[SECRET_COLUMNS[name]]
        if not encrypted:
            return False
        try:
            return self._cipher().decrypt(encrypted.encode()).decode()
        except InvalidToken:
            return False  # the database secret changed since: as if nothing was kept

    def _set_secret(self, name, value):
        for wizard in self:
            encrypted = value and wizard._cipher().encrypt(value.encode()).decode()
            # sudo: the ciphertext columns are writable by the system only.
            wizard.sudo()[SECRET_COLUMNS[name]] = encrypted or False
        self.invalidate_recordset([name])

    @api.depends("new_password_encrypted")
    def _compute_new_password(self):
        """Decrypted for display: shown until used, so that it can be saved."""
        for wizard in self:
            origin = wizard._origin
            wizard.new_password = origin._get_secret("new_password") if origin.id else False

    def _compute_office_password(self):
        """What the user typed never goes back to the browser."""
        self.office_password = False

    def _inverse_new_password(self):
        for wizard in self:
            wizard._set_secret("new_password", wizard.new_password)

    def _inverse_office_password(self):
        for wizard in self:
            wizard._set_secret("office_password", wizard.office_password)

    def _take_office_password(self):
        """The typed office password, cleared from the record as it is read."""
        self.ensure_one()
        password = self._get_secret("office_password")
        self._set_secret("office_password", False)
        return (password or "").strip()

    # -- opening -----------------------------------------------------------------------------

    def _check_rights(self):
        """Accounting administrators of the wizard's company only, as for the connection."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id)

    def _connection(self):
        """The company's live connection: never the stored one, which RPC could rewrite."""
        return self.company_id._codabox_connection()

    @api.model
    def _open_for(self, company):
        """The wizard at the step that fits the company's situation."""
        self.env["codabox.api"]._check_rights(company)
        connection = company._codabox_connection()
        values = {"company_id": company.id, "connection_id": connection.id}
        if connection:
            values.update(step="manage", office_vat=connection.office_id.vat)
        else:
            office_vat = company._codabox_office_vat()
            company._codabox_company_vat()
            office = self.env["codabox.office"]._for_vat(office_vat)
            values.update(office_vat=office_vat, office_known=bool(office))
            values["step"] = "connect" if office and office._has_password() else "start"
        return self.create(values)._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("CodaBox Connection"),
        }

    def _failed(self, message):
        """Say what went wrong in the wizard itself: a raised error would roll back the
        transaction, and with it the clearing of the typed password."""
        self.error_message = message
        return self._reopen()

    def _require_saved_password(self):
        if not self.password_saved:
            raise UserError(
                _(
                    "Save the office password first and tick the box: it is shown only once, "
                    "and every further company of the office is connected with it."
                )
            )

    # -- buttons -----------------------------------------------------------------------------

    def action_create_connection(self):
        """ "Create connection": the office password, generated once and shown once, on the
        way to the office's consent in MyCodaBox."""
        self.ensure_one()
        self._check_rights()
        if self.step == "start":
            self.write({"step": "create", "password_saved": False, "error_message": False})
            self._set_secret("new_password", generate_office_password())
        return self._reopen()

    def action_go_to_mycodabox(self):
        """First company of an office: off to MyCodaBox for the office's consent."""
        self.ensure_one()
        self._check_rights()
        self._require_saved_password()
        new_password = self._get_secret("new_password")
        if not new_password:
            raise UserError(_("The office password is no longer here: close and start again."))
        api_model = self.env["codabox.api"]
        company = self.company_id
        office_vat = company._codabox_office_vat()
        state = self.env["codabox.connect.state"]._issue(company, office_vat, new_password)
        base_url = company.get_base_url()
        url = CodaboxClient.authorize_url(
            api_model._mycodabox_url(),
            software_id=api_model._software_id(),
            office_vat=office_vat,
            company_vat=company._codabox_company_vat(),
            redirect_uri=f"{base_url}/codabox/connect/callback",
            state=state,
        )
        # The only copy left travels encrypted in the state, with a key the browser holds.
        self._set_secret("new_password", False)
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def action_connect(self):
        """A further company of an office that already allowed Odoo, from this database or
        another one: no new consent. CodaBox decides whether the office password is right."""
        self.ensure_one()
        self._check_rights()
        password = self._take_office_password()
        company = self.company_id
        api_model = self.env["codabox.api"]
        attempts = self.env["codabox.password.attempt"]
        try:
            office_vat = company._codabox_office_vat()
            if not password:
                raise UserError(_("Type the office password first."))
            attempts._check_allowed(office_vat)
            answer = api_model._client().connect_company(
                office_vat, company._codabox_company_vat(), password
            )
        except InvalidOfficePassword as error:
            attempts._record_refusal(office_vat)
            return self._failed(api_model._user_message(error))
        except CodaboxError as error:
            return self._failed(api_model._user_message(error))
        except UserError as error:
            return self._failed(str(error))
        office = self.env["codabox.office"]._record_office_password(office_vat, password)
        self.env["codabox.connection"]._connect(company, office, answer)
        self.error_message = False
        return self._notify_and_reload(
            _("%(company)s is connected to CodaBox.", company=company.name)
        )

    def action_use_office_password(self):
        """The office allowed Odoo from another database: connect with its office password
        instead of creating a new one (which would replace it for every database)."""
        self.ensure_one()
        self._check_rights()
        self.write({"step": "connect", "password_saved": False, "error_message": False})
        self._set_secret("new_password", False)
        return self._reopen()

    def action_restart_consent(self):
        """The office password is lost: a new one, through a new consent in MyCodaBox."""
        self.ensure_one()
        self._check_rights()
        self.write({"step": "create", "password_saved": False, "error_message": False})
        self._set_secret("office_password", False)
        self._set_secret("new_password", generate_office_password())
        return self._reopen()

    def action_refresh_status(self):
        self.ensure_one()
        self._check_rights()
        # sudo: the rights were checked above (accounting administrator of the company),
        # which is who manages a connection; the connection's own check asks for an
        # accountant, which an administrator of Odoo Community is not by default.
        self._connection().sudo().action_refresh_status()
        return self._reopen()

    def action_revoke(self):
        self.ensure_one()
        self._check_rights()
        connection = self._connection()
        if not connection:
            raise UserError(
                _("%(company)s is not connected to CodaBox.", company=self.company_id.name)
            )
        # sudo: the rights were checked above; codabox.connection is read-only to every group,
        # and revoking posts on its chatter (still in the name of this user).
        connection.sudo().action_revoke()
        return self._notify_and_reload(
            _("The CodaBox connection of %(company)s is revoked.", company=self.company_id.name)
        )

    def action_start_change_password(self):
        self.ensure_one()
        self._check_rights()
        self.write({"step": "change_password", "password_saved": False, "error_message": False})
        self._set_secret("office_password", False)
        self._set_secret("new_password", generate_office_password())
        return self._reopen()

    def action_change_password(self):
        self.ensure_one()
        self._check_rights()
        current = self._take_office_password()
        new_password = self._get_secret("new_password")
        connection = self._connection()
        api_model = self.env["codabox.api"]
        try:
            self._require_saved_password()
            if not connection:
                raise UserError(
                    _("%(company)s is not connected to CodaBox.", company=self.company_id.name)
                )
            if not new_password:
                raise UserError(
                    _("The new office password is no longer here: close and start again.")
                )
            office = connection.office_id
            if not current:
                raise UserError(_("Type the current office password first."))
            self.env["codabox.password.attempt"]._check_allowed(office.vat)
            api_model._client().change_password(office.vat, current, new_password)
        except InvalidOfficePassword as error:
            self.env["codabox.password.attempt"]._record_refusal(connection.office_id.vat)
            return self._failed(api_model._user_message(error))
        except CodaboxError as error:
            return self._failed(api_model._user_message(error))
        except UserError as error:
            return self._failed(str(error))
        office._set_password(new_password)
        self._set_secret("new_password", False)
        self.error_message = False
        # sudo: codabox.office is read-only to every group; the message is still this user's.
        office.sudo().message_post(
            body=_("Office password changed by %(user)s.", user=self.env.user.name)
        )
        return self._notify_and_reload(
            _(
                "The office password is changed. Every Odoo database of the office connects "
                "further companies with the new one from now on."
            )
        )

    def _notify_and_reload(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
