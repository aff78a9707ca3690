import base64
import hashlib
import secrets
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken

from odoo import _, api, fields, models
from odoo.exceptions import UserError

STATE_LIFETIME = timedelta(minutes=15)


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _cipher(token):
    """A key that only the browser's `state` can rebuild: the database alone cannot."""
    digest = hashlib.sha256(b"codabox-office-password:" + token.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class CodaboxConnectState(models.Model):
    """The `state` of one trip to MyCodaBox: random, bound to user and company, single-use,
    expiring.

    Only its hash is stored. The new office password travels with it, encrypted with a key
    derived from the state itself, because the code exchange at the callback needs it while
    the database must keep no readable copy.
    """

    _name = "codabox.connect.state"
    _description = "CodaBox consent request"

    token_hash = fields.Char(required=True, index=True, readonly=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    office_vat = fields.Char(required=True, readonly=True)
    encrypted_password = fields.Char(readonly=True)
    expires_at = fields.Datetime(required=True, readonly=True)
    used = fields.Boolean(readonly=True)

    @api.model
    def _issue(self, company, office_vat, office_password):
        token = secrets.token_urlsafe(32)
        self.sudo().create(
            {
                "token_hash": _token_hash(token),
                "user_id": self.env.user.id,
                "company_id": company.id,
                "office_vat": office_vat,
                "encrypted_password": _cipher(token).encrypt(office_password.encode()).decode(),
                "expires_at": fields.Datetime.now() + STATE_LIFETIME,
            }
        )
        return token

    @api.model
    def _consume(self, token):
        """The request a callback answers, and its office password; refuses forged, replayed,
        expired or someone else's states. The state is spent whatever happens next."""
        request = self.sudo().search([("token_hash", "=", _token_hash(token or ""))], limit=1)
        if not request or request.user_id != self.env.user:
            raise UserError(
                _("This CodaBox answer does not belong to a connection you started: ignored.")
            )
        if request.used:
            raise UserError(_("This CodaBox answer was already used: ignored."))
        encrypted_password = request.encrypted_password
        request.write({"used": True, "encrypted_password": False})
        if request.expires_at < fields.Datetime.now():
            raise UserError(
                _("The connection request expired: start again from the CodaBox settings.")
            )
        try:
            password = _cipher(token).decrypt(encrypted_password.encode()).decode()
        except InvalidToken as error:
            raise UserError(_("This CodaBox answer cannot be verified: ignored.")) from error
        return request, password

    @api.autovacuum
    def _gc_expired(self):
        self.sudo().search([("expires_at", "<", fields.Datetime.now())]).unlink()
