import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import CodaboxClient, CodaboxError

# No 0/O, 1/I/L: the password is read off a screen and typed into MyCodaBox.
PASSWORD_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PASSWORD_GROUPS, PASSWORD_GROUP_SIZE = 5, 5  # 25 symbols of log2(31) bits: 123 bits


def generate_office_password():
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_SIZE))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


class CodaboxConnectionWizard(models.TransientModel):
    """ "Manage Connection": create, connect with the office password, refresh, revoke,
    change the office password."""

    _name = "codabox.connection.wizard"
    _description = "Manage the CodaBox connection"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    step = fields.Selection(
        [
            ("create", "Create connection"),
            ("connect", "Connect with the office password"),
            ("manage", "Connected"),
            ("change_password", "Change the office password"),
        ],
        required=True,
        readonly=True,
    )
    office_vat = fields.Char(string="Office VAT", readonly=True)
    connection_id = fields.Many2one("codabox.connection", readonly=True)
    consent_status = fields.Selection(related="connection_id.consent_status")
    consent_checked_at = fields.Datetime(related="connection_id.consent_checked_at")
    new_password = fields.Char(string="New office password", readonly=True)
    password_saved = fields.Boolean(string="I have saved this password in a safe place")
    office_password = fields.Char(string="Office password")

    @api.model
    def _open_for(self, company):
        """The wizard at the step that fits the company's situation."""
        connection = company._codabox_connection()
        values = {"company_id": company.id, "connection_id": connection.id}
        if connection:
            values.update(step="manage", office_vat=connection.office_id.vat)
        else:
            office_vat = company._codabox_office_vat()
            company._codabox_company_vat()
            office = self.env["codabox.office"]._for_vat(office_vat)
            values["office_vat"] = office_vat
            if office and office._has_password():
                values["step"] = "connect"
            else:
                values.update(step="create", new_password=generate_office_password())
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

    def _require_saved_password(self):
        if not self.password_saved:
            raise UserError(
                _(
                    "Save the office password first and tick the box: it is shown only once, "
                    "and every further company of the office is connected with it."
                )
            )

    def action_go_to_mycodabox(self):
        """First company of an office: off to MyCodaBox for the office's consent."""
        self.ensure_one()
        self._require_saved_password()
        api_model = self.env["codabox.api"]
        state = self.env["codabox.connect.state"]._issue(
            self.company_id, self.office_vat, self.new_password
        )
        base_url = self.company_id.get_base_url()
        url = CodaboxClient.authorize_url(
            api_model._mycodabox_url(),
            software_id=api_model._software_id(),
            office_vat=self.office_vat,
            company_vat=self.company_id._codabox_company_vat(),
            redirect_uri=f"{base_url}/codabox/connect/callback",
            state=state,
        )
        self.new_password = False  # the only readable copy left travels encrypted in the state
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def action_connect(self):
        """A further company of an office that already allowed Odoo: no new consent."""
        self.ensure_one()
        office = self.env["codabox.office"]._for_vat(self.office_vat)
        office._check_password(self.office_password)
        api_model = self.env["codabox.api"]
        try:
            answer = api_model._client().connect_company(
                self.office_vat,
                self.company_id._codabox_company_vat(),
                self.office_password.strip(),
            )
        except CodaboxError as error:
            raise api_model._user_error(error) from error
        self.env["codabox.connection"]._connect(self.company_id, office, answer)
        self.office_password = False
        return self._notify_and_reload(
            _("%(company)s is connected to CodaBox.", company=self.company_id.name)
        )

    def action_restart_consent(self):
        """The office password is lost: a new one, through a new consent in MyCodaBox."""
        self.ensure_one()
        self.write(
            {"step": "create", "new_password": generate_office_password(), "office_password": False}
        )
        return self._reopen()

    def action_refresh_status(self):
        self.ensure_one()
        self.connection_id.action_refresh_status()
        return self._reopen()

    def action_revoke(self):
        self.ensure_one()
        self.connection_id.action_revoke()
        return self._notify_and_reload(
            _("The CodaBox connection of %(company)s is revoked.", company=self.company_id.name)
        )

    def action_start_change_password(self):
        self.ensure_one()
        self.write(
            {
                "step": "change_password",
                "new_password": generate_office_password(),
                "password_saved": False,
                "office_password": False,
            }
        )
        return self._reopen()

    def action_change_password(self):
        self.ensure_one()
        self._require_saved_password()
        office = self.connection_id.office_id
        office._check_password(self.office_password)
        api_model = self.env["codabox.api"]
        try:
            api_model._client().change_password(
                office.vat, self.office_password.strip(), self.new_password
            )
        except CodaboxError as error:
            raise api_model._user_error(error) from error
        office._set_password(self.new_password)
        self.write({"new_password": False, "office_password": False})
        office.message_post(body=_("Office password changed by %(user)s.", user=self.env.user.name))
        return self._notify_and_reload(_("The office password is changed."))

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
