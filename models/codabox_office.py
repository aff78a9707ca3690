import logging
from datetime import timedelta

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields, models

from ..codabox_client import CodaboxError
from ..compat import sql_constraints

_logger = logging.getLogger(__name__)
CONSENT_RECHECK = timedelta(minutes=10)  # an unchanged status is not written more often

CONSENT_STATUSES = [
    ("allowed", "Allowed"),
    ("denied", "Denied"),
    ("pending", "To be determined"),
    ("cancelled", "Cancelled"),
]


@sql_constraints(
    ("vat_unique", "unique(vat)", "An accounting office is connected to CodaBox only once."),
)
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

    @api.model
    def _for_vat(self, vat):
        return self.sudo().search([("vat", "=", vat)], limit=1)

    def _has_password(self):
        self.ensure_one()
        return bool(self.sudo().password_hash)

    def _set_password(self, password):
        self.ensure_one()
        self.sudo().password_hash = self.env["res.users"]._crypt_context().hash(password)

    @api.model
    def _record_office_password(self, vat, password):
        """The office, recorded in this database if it was not (its first company here was
        connected with the password made from another database), with ``password``, which
        CodaBox has just accepted, as its known password."""
        office = self._for_vat(vat) or self.sudo().create({"vat": vat})  # sudo: read-only model
        if not office._password_matches(password):
            office._set_password(password)
        return office

    def _password_matches(self, password):
        """Whether ``password`` is the one this database last knew for the office.

        A convenience, not the authority: the password may have been changed from another
        database of the office, so callers still ask CodaBox when it does not match."""
        self.ensure_one()
        stored = self.sudo().password_hash  # sudo: the hash is readable by the system only
        return bool(
            stored
            and password
            and self.env["res.users"]._crypt_context().verify(password.strip(), stored)
        )

    def _record_consent(self, status, force=False):
        """Record the consent status CodaBox gave. Every retrieval of every company of the
        office asks for it: an unchanged status checked in the last minutes is not written
        again, and a write that collides with another process's is left to that one (it
        records the same answer), so that two companies of one office retrieved at once do
        not fail each other."""
        self.ensure_one()
        office = self.sudo()  # sudo: offices are read-only to users; CodaBox's answer
        now = fields.Datetime.now()
        recent = office.consent_checked_at and now - office.consent_checked_at < CONSENT_RECHECK
        if office.consent_status == status and recent and not force:
            return
        try:
            with self.env.cr.savepoint():
                office.write({"consent_status": status, "consent_checked_at": now})
        except (SerializationFailure, LockNotAvailable):
            _logger.info("CodaBox: another process records the consent of %s", self.vat)

    def _refresh_consent(self):
        """Ask CodaBox for the consent status now; raises a translated UserError on failure."""
        self.ensure_one()
        api_model = self.env["codabox.api"]
        try:
            status = api_model._client().consent_status(self.consent_id)
        except CodaboxError as error:
            raise api_model._user_error(error) from error
        self._record_consent(status, force=True)
        return status
