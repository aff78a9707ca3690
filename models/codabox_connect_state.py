import base64
import dataclasses
import hashlib
import json
import logging
import secrets
from datetime import timedelta

import psycopg2
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import Connection

_logger = logging.getLogger(__name__)
STATE_LIFETIME = timedelta(minutes=15)


def database_secret(env):
    """The database's own secret (``database.secret``), which never leaves the server."""
    # sudo: the secret is readable by system administrators only; it is used, never shown.
    return env["ir.config_parameter"].sudo().get_param("database.secret").encode()


def derive_fernet(key_material, salt, purpose):
    """A Fernet cipher whose key is HKDF-SHA256 of ``key_material`` with ``salt``, for one
    ``purpose`` only (so that the same material never gives the same key twice)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=purpose).derive(key_material)
    return Fernet(base64.urlsafe_b64encode(key))


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _cipher(env, token):
    """A key that needs both the browser's `state` and the database's secret: the database
    alone (a dump, a backup) cannot rebuild it, nor can someone who only saw the URL."""
    return derive_fernet(token.encode(), database_secret(env), b"codabox-connect-state")


@dataclasses.dataclass(frozen=True)
class Claim:
    """What a callback works with once its state is claimed."""

    state_id: int
    company_id: int
    office_vat: str
    office_password: str = dataclasses.field(repr=False)
    # CodaBox's answer to the code exchange, once there is one (kept for a retried request).
    answer: Connection | None = dataclasses.field(default=None, repr=False)


class CodaboxConnectState(models.Model):
    """The `state` of one trip to MyCodaBox: random, bound to user and company, single-use,
    expiring.

    Only its hash is stored. The new office password travels with it, encrypted with a key
    derived from the state itself (and the database's secret), because the code exchange at
    the callback needs it while the database must keep no readable copy. CodaBox's answer to
    the code exchange is kept the same way: a code can be exchanged only once, so a request
    that Odoo retries (a serialization failure while storing the connection) must find it
    here instead of asking CodaBox again.

    The callback claims the state and keeps the answer through a cursor of its own that
    commits at once: both must survive a rollback of the request's transaction. That
    transaction never writes this table (in REPEATABLE READ, writing a row another
    transaction changed since the snapshot is a serialization failure).
    """

    _name = "codabox.connect.state"
    _description = "CodaBox consent request"

    token_hash = fields.Char(required=True, index=True, readonly=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    office_vat = fields.Char(required=True, readonly=True)
    encrypted_password = fields.Char(readonly=True)
    encrypted_answer = fields.Text(readonly=True, help="CodaBox's answer to the code exchange")
    expires_at = fields.Datetime(required=True, readonly=True)
    used = fields.Boolean(readonly=True)

    @api.model
    def _issue(self, company, office_vat, office_password):
        token = secrets.token_urlsafe(32)
        # sudo: the state is the system's record (readable by system administrators only);
        # the caller (the connection wizard) checked the user's rights for the company.
        self.sudo().create(
            {
                "token_hash": _token_hash(token),
                "user_id": self.env.user.id,
                "company_id": company.id,
                "office_vat": office_vat,
                "encrypted_password": _cipher(self.env, token)
                .encrypt(office_password.encode())
                .decode(),
                "expires_at": fields.Datetime.now() + STATE_LIFETIME,
            }
        )
        return token

    @api.model
    def _claim(self, token):
        """The request a callback answers: refuses forged, replayed, expired or someone
        else's states, and users who may not connect the company; the state is spent from
        here on, whatever happens next. A state whose code CodaBox already exchanged comes
        back with CodaBox's answer, to finish what a failed request started.

        :rtype: Claim
        """
        # sudo: the state table is readable by system administrators only; the checks below
        # (owner, rights, single use, expiry) are what decides. Reading it here, in the
        # request's transaction, is fine: only writing it is not.
        request = self.sudo().search([("token_hash", "=", _token_hash(token or ""))], limit=1)
        if not request or request.user_id != self.env.user:
            raise UserError(
                _("This CodaBox answer does not belong to a connection you started: ignored.")
            )
        company = self.env["res.company"].browse(request.company_id.id)
        self.env["codabox.api"]._check_rights(company)
        # A cursor of its own, committed at once: the claim stands even if the request's
        # transaction is rolled back (and retried) later. It also reads the row as committed
        # now, which a retried request's snapshot may predate.
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT used, encrypted_password, encrypted_answer, expires_at "
                "FROM codabox_connect_state WHERE id = %s FOR UPDATE",
                [request.id],
            )
            used, encrypted_password, encrypted_answer, expires_at = cr.fetchone()
            if not used:
                cr.execute(
                    "UPDATE codabox_connect_state SET used = TRUE, encrypted_password = NULL "
                    "WHERE id = %s",
                    [request.id],
                )
        cipher = _cipher(self.env, token)
        claim = {
            "state_id": request.id,
            "company_id": company.id,
            "office_vat": request.office_vat,
        }
        try:
            if encrypted_answer:
                kept = json.loads(cipher.decrypt(encrypted_answer.encode()))
                office_password = kept.pop("office_password")
                return Claim(**claim, office_password=office_password, answer=Connection(**kept))
            if used:
                raise UserError(_("This CodaBox answer was already used: ignored."))
            if expires_at < fields.Datetime.now():
                raise UserError(
                    _("The connection request expired: start again from the CodaBox settings.")
                )
            office_password = cipher.decrypt((encrypted_password or "").encode()).decode()
        except (InvalidToken, ValueError, TypeError) as error:
            raise UserError(_("This CodaBox answer cannot be verified: ignored.")) from error
        return Claim(**claim, office_password=office_password)

    @api.model
    def _exchange(self, claim, code, token):
        """Exchange the authorization code at CodaBox (once: CodaBox refuses a used code)
        and keep the answer on the state at once, encrypted with the browser's `state`, in a
        transaction of its own, for a retried request.

        :raises CodaboxError: as the client raises it
        :rtype: Claim
        """
        answer = self.env["codabox.api"]._client().exchange_code(code, claim.office_password)
        claim = dataclasses.replace(claim, answer=answer)
        kept = {**dataclasses.asdict(answer), "office_password": claim.office_password}
        encrypted = _cipher(self.env, token).encrypt(json.dumps(kept).encode()).decode()
        try:
            with self.env.registry.cursor() as cr:
                cr.execute(
                    "UPDATE codabox_connect_state SET encrypted_answer = %s WHERE id = %s",
                    [encrypted, claim.state_id],
                )
        except psycopg2.Error:
            # The request can still store the connection: only a retry would miss the answer.
            _logger.exception("CodaBox: the answer to the code exchange could not be kept")
        return claim

    @api.model
    def _complete(self, claim):
        """Store the connection CodaBox answered; a second time for the same answer changes
        nothing (the request was retried, or the page opened again).

        :return: the company's connection
        """
        company = self.env["res.company"].browse(claim.company_id)
        answer = claim.answer
        # sudo: connections and offices are read-only to every group; _claim checked that the
        # user is an accounting administrator of the company.
        connection = (
            self.env["codabox.connection"]
            .sudo()
            .with_context(active_test=False)
            .search([("company_id", "=", company.id)], limit=1)
        )
        if connection and connection.feed_client_id == answer.feed_client_id:
            if connection.state == "connected":
                return connection.sudo(False)
            # Revoked since: an old answer does not connect the company again.
            raise UserError(_("This CodaBox answer was already used: ignored."))
        office = self.env["codabox.office"]._for_vat(claim.office_vat)
        if not office:
            office = office.create({"vat": claim.office_vat})
        office._set_password(claim.office_password)
        return self.env["codabox.connection"]._connect(company, office, answer)

    @api.autovacuum
    def _gc_expired(self):
        self.sudo().search([("expires_at", "<", fields.Datetime.now())]).unlink()
