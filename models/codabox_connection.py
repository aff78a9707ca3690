import logging
import threading
import time
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import CodaboxError, CodaboxRateLimited

_logger = logging.getLogger(__name__)
RATE_LIMIT_PAUSE = 600  # seconds before the daily job tries again after a 429


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
    last_retrieval_at = fields.Datetime(readonly=True, copy=False)
    document_ids = fields.One2many("codabox.document", "connection_id", string="Documents")

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

    # -- retrieval --------------------------------------------------------------------------

    def _commit(self):
        """Make progress durable: a document stored, imported, acknowledged stays so, whatever
        happens next (as Odoo's own crons do). Tests run in one transaction, never committed."""
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _retrieve(self, deadline=None):
        """Retrieve and import the company's new documents; never raises for CodaBox or
        file problems: they are recorded on the connection and the documents.

        Order of a feed entry: download, store (commit), import in a savepoint, record the
        outcome (commit), acknowledge (commit). A run that dies anywhere resumes next time
        without loss or duplicate, since a stored entry is only acknowledged again.
        """
        self.ensure_one()
        documents = self.env["codabox.document"].sudo()
        new_documents = documents
        complete = True
        try:
            status = self.env["codabox.api"]._client().consent_status(self.office_id.consent_id)
            self.office_id._record_consent(status)
            if status != "allowed":
                raise UserError(
                    _(
                        "The accounting office's consent in MyCodaBox is %(status)s: no document "
                        "can be retrieved. Allow Odoo again in MyCodaBox > Administration > "
                        "CodaBox Connect.",
                        status=dict(
                            self._fields["consent_status"]._description_selection(self.env)
                        )[self.consent_status],
                    )
                )
            client = self._client()
            feed_id = self._feed_id(client)
            processed = set()
            for entry in client.feed(feed_id):
                if entry.feed_index in processed:
                    continue  # the same entry listed twice
                if deadline and time.monotonic() > deadline:
                    complete = False
                    break
                processed.add(entry.feed_index)
                document = documents.search(
                    [("feed_id", "=", feed_id), ("feed_index", "=", entry.feed_index)]
                )
                if not document:
                    # Other kinds (SODA...) are not imported, but their PDF is kept: once
                    # acknowledged, CodaBox will not deliver them again.
                    coda = b""
                    if entry.document_model == "coda":
                        coda = client.download(entry.feed_index, "cod")
                    pdf = client.download(entry.feed_index, "pdf")
                    document = documents._store(self, feed_id, entry, coda, pdf)
                    self._commit()
                    document._import()
                    self._commit()
                    new_documents |= document
                if not document.acknowledged:
                    client.acknowledge(feed_id, entry.feed_index)
                    document.acknowledged = True
                    self._commit()
            self.sudo().last_error = False
        except CodaboxError as error:
            self.sudo().last_error = self.env["codabox.api"]._user_message(error)
            if isinstance(error, CodaboxRateLimited):
                raise
        except UserError as error:
            self.sudo().last_error = str(error)
        finally:
            self.sudo().last_retrieval_at = fields.Datetime.now()
            self._commit()
        return {"documents": new_documents, "complete": complete, "error": self.last_error}

    def _feed_id(self, client):
        """The company's feed: CodaBox lists it as the feed client of its pod client."""
        pod_client = client.pod_client()
        feed_clients = pod_client.get("feed_clients") or []
        if not feed_clients:
            raise UserError(
                _("CodaBox lists no feed for %(company)s.", company=self.company_id.name)
            )
        return str(feed_clients[0]["id"])

    @api.model
    def _cron_retrieve(self):
        """The daily job: every connected company in turn, each one isolated from the others,
        oldest retrieval first, within a time budget; what is left waits for the next run."""
        budget = float(self.env["codabox.api"]._param("cron_time_budget", "900"))
        deadline = time.monotonic() + budget
        connections = self.sudo().search(
            [("state", "=", "connected")], order="last_retrieval_at asc nulls first, id"
        )
        for connection in connections:
            if time.monotonic() > deadline:
                self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")._trigger()
                break
            try:
                result = connection.with_company(connection.company_id)._retrieve(deadline)
            except CodaboxRateLimited as error:
                # The others wait until CodaBox accepts requests again, not until tomorrow.
                delay = max(error.retry_after or 0, RATE_LIMIT_PAUSE)
                _logger.info("CodaBox asks to slow down: the retrieval goes on in %s s.", delay)
                self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")._trigger(
                    at=fields.Datetime.now() + timedelta(seconds=delay)
                )
                break
            except Exception:
                # A defect for one company must not stop the others: record it and go on.
                _logger.exception("CodaBox retrieval failed for %s", connection.company_id.name)
                if not getattr(threading.current_thread(), "testing", False):
                    self.env.cr.rollback()
                connection.last_error = _(
                    "The retrieval stopped on an unexpected error; the server log has the details."
                )
                self._commit()
                continue
            if not result["complete"]:
                self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")._trigger()
                break
        return True

    def action_retrieve(self):
        """ "Retrieve from CodaBox" now, with a notification saying what happened."""
        self.ensure_one()
        try:
            result = self._retrieve()
        except CodaboxRateLimited:
            result = {"documents": self.env["codabox.document"], "error": self.last_error}
        return self._retrieval_notification(result)

    def _retrieval_notification(self, result):
        documents = result["documents"]
        imported = documents.filtered(lambda d: d.state == "imported")
        failed = documents.filtered(lambda d: d.state == "failed")
        statements = imported.statement_ids
        lines = []
        if statements:
            journals = ", ".join(statements.journal_id.mapped("name"))
            lines.append(
                _(
                    "%(count)s statement(s) imported into %(journals)s.",
                    count=len(statements),
                    journals=journals,
                )
            )
        for document in failed:
            lines.append(
                _(
                    "%(document)s failed: %(error)s",
                    document=document.display_name,
                    error=document.error_message,
                )
            )
        if result["error"]:
            lines.append(result["error"])
        if not lines:
            lines.append(_("No new document from CodaBox."))
        level = "danger" if result["error"] else "warning" if failed else "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("CodaBox: %(company)s", company=self.company_id.name),
                "message": "\n".join(lines),
                "type": level,
                "sticky": level != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
