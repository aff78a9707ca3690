import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.base.models.ir_cron import _intervalTypes
from odoo.addons.base.models.res_bank import sanitize_account_number
from odoo.exceptions import UserError
from odoo.tools import config as odoo_config

from ..codabox_client import (
    FORMATS,
    CodaboxError,
    CodaboxRateLimited,
    ConsentNotValid,
    CredentialsRefused,
)
from ..compat import (
    CRON_CALLS_IN_A_ROW,
    group_users,
    notify_cron_progress,
    sql_constraints,
)
from .codabox_document import FINAL_STATES
from .job_tools import _past, advisory_lock

_logger = logging.getLogger(__name__)
RATE_LIMIT_PAUSE = 600  # seconds a company waits after a 429 without Retry-After
BUSY_PAUSE = 60  # seconds before the daily job looks again at a company a click retrieves
OUTAGE_PAUSE = 900  # seconds before the daily job tries again a company CodaBox failed
DEFAULT_CRON_BUDGET = 900  # seconds, when the server sets no limit
CRON_SLEEP_MARGIN = 75  # seconds of a cron worker's sleep counted in its real-time limit
LOCK_NAMESPACE = 0x636F6478  # first key of the advisory locks: one retrieval per company


@sql_constraints(
    ("company_unique", "unique(company_id)", "A company has one CodaBox connection."),
    (
        "office_connection_has_office",
        "CHECK(kind != 'office' OR office_id IS NOT NULL)",
        "A CodaBox Connect connection belongs to an accounting office.",
    ),
)
class CodaboxConnection(models.Model):
    """A client company connected to CodaBox, with its delivery API credentials.

    The credentials are readable by system administrators only (field groups); everything
    that needs them reads them with sudo() here, never through the user's rights.
    """

    _name = "codabox.connection"
    _description = "CodaBox connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _rec_name = "company_id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    kind = fields.Selection(
        [
            ("office", "Accounting office (CodaBox Connect)"),
            ("invoicing_software", "Invoicing software (SME)"),
        ],
        default="office",
        required=True,
        readonly=True,
        help="CodaBox Connect: an accounting office's client company, with the office's consent "
        "in MyCodaBox. Invoicing software: a company (SME) that invoices with Odoo, connected "
        "with the token CodaBox e-mailed it; it receives its own CODA and sends its sales "
        "invoices to its accounting office through CodaBox.",
    )
    office_id = fields.Many2one("codabox.office", string="Accounting office", readonly=True)
    state = fields.Selection(
        [
            ("token_requested", "Waiting for the token"),
            ("connected", "Connected"),
            ("revoked", "Revoked"),
        ],
        default="connected",
        required=True,
        readonly=True,
        tracking=True,
    )
    consent_status = fields.Selection(related="office_id.consent_status")
    consent_checked_at = fields.Datetime(related="office_id.consent_checked_at")
    token_email = fields.Char(
        string="Token sent to",
        readonly=True,
        copy=False,
        help="The address CodaBox e-mailed the invoicing-software token to (as CodaBox masks it).",
    )
    token_requested_at = fields.Datetime(readonly=True, copy=False)
    checked_at = fields.Datetime(
        string="Last check",
        readonly=True,
        copy=False,
        help="When CodaBox last accepted the invoicing software's credentials.",
    )
    feed_client_id = fields.Char(string="CodaBox feed client", readonly=True, copy=False)
    username = fields.Char(groups="base.group_system", readonly=True, copy=False)
    password = fields.Char(groups="base.group_system", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_retrieval_at = fields.Datetime(readonly=True, copy=False)
    last_complete_retrieval_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="When a retrieval last went through the company's whole feed (or stopped on an "
        "error): the daily job retrieves each company once per run of it.",
    )
    retry_at = fields.Datetime(
        readonly=True, copy=False, help="CodaBox asked to wait until then (too many requests)."
    )
    document_ids = fields.One2many("codabox.document", "connection_id", string="Documents")

    @api.model
    def _connect(self, company, office, answer):
        """Store what CodaBox answered for a newly connected company (a `Connection`)."""
        values = {
            "kind": "office",
            "office_id": office.id,
            "state": "connected",
            "token_email": False,
            "feed_client_id": answer.feed_client_id,
            "username": answer.username,
            "password": answer.password,
            "last_error": False,
        }
        office.sudo().consent_id = answer.consent_id
        office._record_consent(answer.status, force=True)
        connection = self._upsert(company, values)
        connection.message_post(
            body=_("Connected to CodaBox by %(user)s.", user=self.env.user.name)
        )
        return connection.sudo(False)

    @api.model
    def _record_token_request(self, company, email):
        """CodaBox e-mailed ``company`` an invoicing-software token (to ``email``, masked):
        the company waits for it, with its connection in "Waiting for the token"."""
        values = {
            "kind": "invoicing_software",
            "state": "token_requested",
            "token_email": email,
            "token_requested_at": fields.Datetime.now(),
            "last_error": False,
        }
        return self._upsert(company, values)

    @api.model
    def _connect_invoicing_software(self, company, credentials):
        """Store the credentials CodaBox exchanged the token for (a ``Credentials``)."""
        values = {
            "kind": "invoicing_software",
            "office_id": False,
            "state": "connected",
            "feed_client_id": False,
            "username": credentials.username,
            "password": credentials.password,
            "token_email": False,
            "checked_at": fields.Datetime.now(),
            "last_error": False,
        }
        connection = self._upsert(company, values)
        connection.message_post(
            body=_(
                "Connected to CodaBox as the company's invoicing software by %(user)s.",
                user=self.env.user.name,
            )
        )
        return connection.sudo(False)

    @api.model
    def _upsert(self, company, values):
        # sudo: connections are read-only to users; the callers checked the rights.
        connection = (
            self.sudo().with_context(active_test=False).search([("company_id", "=", company.id)])
        )
        if connection:
            connection.write(values)
        else:
            connection = self.sudo().create({"company_id": company.id, **values})
        return connection

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
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        for connection in self:
            if connection.kind == "office":
                connection.office_id._refresh_consent()
            else:
                connection._check_credentials()
        return True

    def _check_credentials(self):
        """Invoicing software: ask CodaBox whether the credentials still work (its pod
        client); raises a translated UserError when they do not."""
        self.ensure_one()
        api_model = self.env["codabox.api"]
        try:
            self._client().pod_client()
        except CodaboxError as error:
            self.sudo().last_error = api_model._user_message(error)  # sudo: read-only model
            raise api_model._user_error(error) from error
        # sudo: read-only model; the caller's rights were checked by action_refresh_status.
        self.sudo().write({"checked_at": fields.Datetime.now(), "last_error": False})

    def action_revoke(self):
        """Ends the company's connection at CodaBox, then here."""
        self.env["codabox.api"]._check_rights(self.company_id)
        for connection in self:
            api_model = self.env["codabox.api"]
            try:
                if connection.kind == "invoicing_software":
                    if connection.state == "connected":
                        connection._client().revoke_invoicing_software()
                else:
                    api_model._client().revoke(connection.sudo().feed_client_id)
            except CodaboxError as error:
                raise api_model._user_error(error) from error
            # sudo: connections are read-only to users; the caller was checked above.
            connection.sudo().write(
                {"state": "revoked", "username": False, "password": False, "token_email": False}
            )
            connection.sudo().message_post(
                body=_("Connection revoked by %(user)s.", user=self.env.user.name)
            )
        return True

    # -- retrieval ----------------------------------------------------------------------------

    @contextmanager
    def _retrieval_lock(self):
        """Hold the company's retrieval lock for the block; yields False when another
        retrieval of the company (a click, the daily job, another worker) holds it."""
        self.ensure_one()
        with advisory_lock(self.env, LOCK_NAMESPACE, self.id) as locked:
            yield locked

    def _retrieve(self, deadline=None, with_commit=True):
        """Retrieve and import the company's new documents, one retrieval per company at a
        time; never raises: problems are recorded on the connection and the documents.

        :param deadline: ``time.monotonic()`` value after which no new document is started
        :param with_commit: commit after each step (store, outcome, acknowledgement), so that
            what is done stays done whatever happens next; tests running in one transaction
            pass False
        :return: ``{"documents", "complete", "error", "busy"}``
        """
        self.ensure_one()
        result = {
            "documents": self.env["codabox.document"],
            "complete": True,
            "error": False,
            "busy": False,
            "rate_limited": None,
        }
        with self._retrieval_lock() as locked:
            if not locked:
                result.update(busy=True, complete=False)
                return result
            if with_commit:
                # This transaction may be older than the lock (a request's, or the job's
                # previous company's): start afresh, so that what the previous holder
                # committed is read, and not overwritten (a serialization failure).
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
            try:
                self._retrieve_documents(result, deadline, with_commit)
                self._record_retrieval(False, complete=result["complete"])
            except CodaboxRateLimited as error:
                result["rate_limited"] = error
                result["complete"] = False
                pause = error.retry_after or RATE_LIMIT_PAUSE
                self._record_retrieval(
                    self.env["codabox.api"]._user_message(error),
                    retry_at=fields.Datetime.now() + timedelta(seconds=pause),
                )
            except CodaboxError as error:
                # A person must act (consent, credentials): done for this run of the job.
                # CodaBox out of order: tried again in a quarter of an hour.
                message = self.env["codabox.api"]._user_message(error)
                lasting = self._is_lasting_problem(error)
                result["complete"] = lasting
                retry_at = not lasting and fields.Datetime.now() + timedelta(seconds=OUTAGE_PAUSE)
                self._record_retrieval(message, error, complete=lasting, retry_at=retry_at)
            except UserError as error:
                self._record_retrieval(str(error), error, complete=True)
            except Exception:
                # A defect must not reach the user as a server error, nor hide behind a
                # failed transaction: what was committed stays, the rest is redone next time.
                _logger.exception("CodaBox retrieval failed for %s", self.company_id.name)
                if not with_commit:
                    raise
                self.env.cr.rollback()
                self._record_retrieval(
                    _(
                        "The retrieval stopped on an unexpected error; the server log has the "
                        "details. It is tried again at the next retrieval."
                    )
                )
            if with_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        result["error"] = self.last_error
        return result

    def _retrieve_documents(self, result, deadline, with_commit):
        """The retrieval itself; see _retrieve. Order for a feed entry: download, store
        (commit), import with its outcome recorded (commit), acknowledge (commit)."""
        documents = self.env["codabox.document"].sudo()  # sudo: the ledger, see its model
        # Stored before and never finished (the process died, a CPU limit): import them first.
        unfinished = documents.search([("connection_id", "=", self.id), ("state", "=", "received")])
        for document in unfinished:
            if result["documents"] and _past(deadline):
                result["complete"] = False
                return
            document._import(with_commit, deadline)
            result["documents"] |= document
            if document.state == "received":  # a long statement's part: the rest next call
                result["complete"] = False
                return
        self._check_consent_before_retrieval()
        self._retrieve_feed(result, deadline, with_commit, self._client())

    def _check_consent_before_retrieval(self):
        """CodaBox Connect delivers an office's client documents while the office's consent is
        allowed: asked at each retrieval. An invoicing software's credentials need none."""
        if self.kind != "office":
            return
        status = self.env["codabox.api"]._client().consent_status(self.office_id.consent_id)
        self.office_id._record_consent(status)
        if status != "allowed":
            raise UserError(
                _(
                    "The accounting office's consent in MyCodaBox is %(status)s: no document "
                    "can be retrieved. Allow Odoo again in MyCodaBox > Administration > "
                    "CodaBox Connect.",
                    status=dict(self._fields["consent_status"]._description_selection(self.env))[
                        self.consent_status
                    ],
                )
            )

    def _retrieve_feed(self, result, deadline, with_commit, client):
        """The feed's new entries, in order: download, store, import, acknowledge."""
        documents = self.env["codabox.document"].sudo()  # sudo: the ledger, see its model
        feed_id, allowed_formats = self._feed_and_formats(client)
        entries = client.feed(feed_id)
        self._record_lost_acknowledgements(feed_id, {entry.feed_index for entry in entries})
        processed = set()
        for entry in entries:
            if entry.feed_index in processed:
                continue  # the same entry listed twice
            if result["documents"] and _past(deadline):  # each call moves at least one on
                result["complete"] = False
                return
            processed.add(entry.feed_index)
            document = documents.search(
                [("feed_id", "=", feed_id), ("feed_index", "=", entry.feed_index)]
            )
            if not document:
                document = documents._store(
                    self, feed_id, entry, self._download(client, entry, allowed_formats)
                )
                if with_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            if document.state == "received":
                document._import(with_commit, deadline)
            result["documents"] |= document
            if document.state not in FINAL_STATES:
                # Acknowledging a later entry would acknowledge this one too (by offset).
                result["complete"] = False
                return
            if not document.acknowledged:
                # Everything up to this entry is acknowledged: the ones before are final too.
                client.acknowledge(feed_id, entry.feed_index)
                document.write({"acknowledged": True, "acknowledged_at": fields.Datetime.now()})
                if with_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit

    def _fetch_again(self, account, date_from, date_to):
        """Import again what was delivered for the account (sanitized) between those dates
        (a gap in its statements): the documents of the ledger that failed or wait, then the
        ones CodaBox lists in its re-download feed (delivered earlier, e.g. before the company
        was connected here), their files downloaded again. The caller checked the rights.

        :return: the documents imported again
        """
        self.ensure_one()
        Document = self.env["codabox.document"].sudo()  # sudo: the ledger, see its model
        documents = Document.search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "in", ("failed", "received")),
                ("kind", "=", "coda"),
            ]
        ).filtered(lambda d: sanitize_account_number(d.account_number or "") == account)
        documents._import()
        client = self._client()
        feed_id = self._feed_id(client)
        try:
            entries = client.redownload_feed(feed_id)
        except CodaboxError as error:
            raise self.env["codabox.api"]._user_error(error) from error
        for entry in entries:
            metadata = entry.metadata if isinstance(entry.metadata, dict) else {}
            if (
                entry.problem
                or entry.document_model != "coda"
                or not self._covers(metadata, account, date_from, date_to)
            ):
                continue
            try:
                files = {
                    fmt: client.redownload(entry.feed_index, fmt)
                    for fmt in Document._default_formats("coda")
                }
            except CodaboxError as error:
                raise self.env["codabox.api"]._user_error(error) from error
            document = Document.search(
                [("feed_id", "=", feed_id), ("feed_index", "=", entry.feed_index)]
            )
            if document:
                document._attach_files(files)
                document.write({"state": "received", "attempt_count": 0, "error_message": False})
            else:
                document = Document._store(self, feed_id, entry, files)
            document.write({"acknowledged": True})
            if document.state == "received":
                document._import()
            documents |= document
        return documents

    @api.model
    def _covers(self, metadata, account, date_from, date_to):
        """Whether a feed entry's metadata says it may hold a statement of the account
        between those dates (its new balance date within them)."""
        if sanitize_account_number(metadata.get("iban") or "") != account:
            return False
        try:
            day = fields.Date.to_date(metadata.get("new_balance_date"))
        except (TypeError, ValueError):
            return True  # no date to judge by: the import skips what is there already
        return day is None or date_from <= day <= date_to

    def _download(self, client, entry, allowed_formats=None):
        """Every format CodaBox offers for a feed entry's kind, downloaded, to be stored before
        the entry is acknowledged (nothing for unreadable entries): once acknowledged, CodaBox
        delivers it again only through its re-download service.

        :param allowed_formats: the pod client's ``allowed_formats`` (``{kind: [format]}``);
            a kind it does not list gets ``codabox.document._default_formats``
        """
        if entry.problem:
            return {}
        formats = (allowed_formats or {}).get(entry.document_model) or self.env[
            "codabox.document"
        ]._default_formats(entry.document_model)
        return {fmt: client.download(entry.feed_index, fmt) for fmt in formats if fmt in FORMATS}

    def _record_lost_acknowledgements(self, feed_id, listed):
        """Documents acknowledged at CodaBox whose answer never reached us: CodaBox lists only
        what is not acknowledged, so a final document it no longer lists was acknowledged."""
        lost = (
            self.env["codabox.document"]
            .sudo()  # sudo: the ledger, see its model
            .search(
                [
                    ("connection_id", "=", self.id),
                    ("feed_id", "=", feed_id),
                    ("acknowledged", "=", False),
                    ("state", "in", FINAL_STATES),
                ]
            )
            .filtered(lambda document: document.feed_index not in listed)
        )
        lost.write({"acknowledged": True, "acknowledged_at": fields.Datetime.now()})

    def _record_retrieval(self, error, problem=None, complete=False, retry_at=False):
        """Record how the retrieval ended, while it holds the company's lock (only the
        holder writes the connection: two processes writing it would fail each other).

        A lasting problem (consent withdrawn, credentials refused) gets one to-do for an
        accounting administrator until a retrieval succeeds.
        """
        now = fields.Datetime.now()
        values = {"last_error": error or False, "last_retrieval_at": now, "retry_at": retry_at}
        if complete:
            values["last_complete_retrieval_at"] = now
        self.sudo().write(values)  # sudo: users have read access only; the caller was checked
        if problem is not None and self._is_lasting_problem(problem):
            summary = _("CodaBox retrieval stopped: %(company)s", company=self.company_id.name)
            self._schedule_problem_activity(self, summary, error)
        elif not error:
            self.sudo().activity_feedback(  # sudo: idem
                ["mail.mail_activity_data_todo"], feedback=_("CodaBox retrieval works again.")
            )

    @api.model
    def _is_lasting_problem(self, problem):
        """Problems a person must solve (not a passing outage CodaBox recovers from).

        Overridden to widen or narrow what schedules a to-do."""
        return isinstance(problem, UserError | ConsentNotValid | CredentialsRefused)

    def _schedule_problem_activity(self, record, summary, note):
        """One open to-do on ``record`` for an accounting administrator of the company,
        however many runs meet the same problem."""
        self.ensure_one()
        record = record.sudo()  # sudo: the ledger and connections are written by this code
        todo = self.env.ref("mail.mail_activity_data_todo")
        if record.activity_ids.filtered(lambda a: a.activity_type_id == todo):
            return
        user = self._problem_user()
        if user:
            record.activity_schedule(
                "mail.mail_activity_data_todo", summary=summary, note=note, user_id=user.id
            )

    def _problem_user(self):
        """Who is asked to solve a CodaBox problem: who connected the company if still an
        accounting administrator of it, else the company's first one, else the database's
        administrator. Overridable."""
        self.ensure_one()
        company = self.company_id
        # sudo: reading the group's members
        managers = group_users(self.env.ref("account.group_account_manager").sudo()).filtered(
            lambda u: company in u.company_ids and not u.share
        )
        if self.create_uid in managers:
            return self.create_uid
        # No administrator works for the company (yet): the database's administrator.
        return managers.sorted("id")[:1] or self.env.ref(
            "base.user_admin", raise_if_not_found=False
        )

    def _feed_id(self, client):
        """The company's feed: CodaBox lists it as the feed client of its pod client."""
        return self._feed_and_formats(client)[0]

    def _feed_and_formats(self, client):
        """(the company's feed, the formats CodaBox offers per kind: ``{kind: [format]}``),
        from its pod client."""
        pod_client = client.pod_client()
        feed_clients = pod_client.get("feed_clients") or []
        if not feed_clients:
            raise UserError(
                _("CodaBox lists no feed for %(company)s.", company=self.company_id.name)
            )
        allowed = pod_client.get("allowed_formats")
        allowed = {
            str(kind): [str(fmt) for fmt in formats]
            for kind, formats in (allowed.items() if isinstance(allowed, dict) else ())
            if isinstance(formats, list)
        }
        return str(feed_clients[0]["id"]), allowed

    # -- the daily job ------------------------------------------------------------------------

    @api.model
    def _cron_time_budget(self):
        """Seconds one call of the daily job may work, derived from the server's limits.

        With workers, Odoo kills a cron worker whose unit of work (up to
        ``CRON_CALLS_IN_A_ROW`` calls in a row of a job that reports work remaining)
        outlasts ``limit_time_real_cron`` (else ``limit_time_real``), counted from before a
        sleep of up to ~70 s, or spends ``limit_time_cpu``: one call takes half of its share.
        Without workers only the real-time limit applies, and only by a restart once the job
        ends: one call takes half of it. The system parameter ``cron_time_budget`` caps it.
        """
        real = odoo_config.get("limit_time_real_cron") or 0
        if real < 0:
            real = odoo_config.get("limit_time_real") or 0
        cpu = odoo_config.get("limit_time_cpu") or 0
        if odoo_config.get("workers"):
            limits = [max(real - CRON_SLEEP_MARGIN, real / 4)] if real > 0 else []
            limits += [cpu] if cpu > 0 else []
            derived = min(limits) / CRON_CALLS_IN_A_ROW / 2 if limits else DEFAULT_CRON_BUDGET
        else:
            derived = real / 2 if real > 0 else DEFAULT_CRON_BUDGET
        cap = float(self.env["codabox.api"]._param("cron_time_budget", str(DEFAULT_CRON_BUDGET)))
        return max(min(derived, cap), 0.1)

    @api.model
    def _cron_retrieve(self, with_commit=True):
        """The daily job: every connected company once per run of the job, oldest retrieval
        first, each company isolated from the others, in calls that fit the server's limits.

        Each call works for ``_cron_time_budget()`` seconds, then reports its progress to
        Odoo (``notify_cron_progress``), which calls it again at once while companies are due
        (not retrieved through to the end since this run began, see ``_cron_due``). A company
        CodaBox asks to slow down (429) or fails for waits alone until its ``retry_at``; one
        another process retrieves right now is looked at again a minute later. Nothing here
        writes a connection: only its retrieval does, under its lock. The same calls collect
        the file deliveries and import the rest of the statements imported by hand that were
        too long for their request (``codabox.document._cron_import_uploads``).
        """
        budget = self._cron_time_budget()
        deadline = time.monotonic() + budget
        connected = self.sudo().search([("state", "=", "connected")])  # sudo: the system's job
        now = fields.Datetime.now()
        due = self._cron_due(connected).sorted(
            lambda c: (bool(c.last_retrieval_at), c.last_retrieval_at or now, c.id)
        )
        done, wake_at, busy = 0, None, self.browse()
        for connection in due:
            if connection.retry_at and connection.retry_at > now:
                wake_at = min(wake_at or connection.retry_at, connection.retry_at)
                continue
            if done and _past(deadline):  # each call moves at least one company on
                break
            result = connection.with_company(connection.company_id)._retrieve(deadline, with_commit)
            done += len(result["documents"])
            if result["busy"]:
                busy |= connection
                later = fields.Datetime.now() + timedelta(seconds=BUSY_PAUSE)
                wake_at = min(wake_at or later, later)
            elif connection.retry_at:  # too many requests, or CodaBox out of order
                wake_at = min(wake_at or connection.retry_at, connection.retry_at)
            elif result["complete"]:
                done += 1
        now = fields.Datetime.now()
        remaining = (self._cron_due(connected) - busy).filtered(
            lambda c: not (c.retry_at and c.retry_at > now)
        )
        # The file deliveries (SFTP, FTPES, folder), in the same calls and time budget.
        collected, sources_due = (0, 0)
        if not remaining or not _past(deadline):
            collected, sources_due = self.env["codabox.delivery.source"]._cron_collect(
                deadline, with_commit
            )
        done += collected
        # The rest of the statements too long for the request that imported them by hand.
        uploads_due = 0
        if not (remaining or sources_due) or not _past(deadline):
            moved, uploads_due = self.env["codabox.document"]._cron_import_uploads(
                deadline, with_commit
            )
            done += moved
        cron = self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")
        notify_cron_progress(
            cron, done, len(remaining) + sources_due + uploads_due, with_commit, budget
        )
        if remaining or sources_due or uploads_due:
            cron._trigger()  # wakes a sleeping cron worker too
        elif wake_at:
            cron._trigger(at=wake_at)
        return True

    @api.model
    def _cron_due(self, connections):
        """The connections the current run of the daily job has still to retrieve: not
        retrieved through to the end within the last three quarters of the job's interval
        (a day, unless an administrator changed it)."""
        since = self._cron_run_start()
        return connections.filtered(
            lambda c: not c.last_complete_retrieval_at or c.last_complete_retrieval_at < since
        )

    @api.model
    def _cron_run_start(self):
        """What counts as done in the current run of the daily job: what was done since three
        quarters of its interval ago (a day, unless an administrator changed it)."""
        # sudo: reading the job's interval, which only administrators may read.
        cron = self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve").sudo()
        now = fields.Datetime.now()
        previous_run = now - _intervalTypes[cron.interval_type](cron.interval_number)
        return now - (now - previous_run) * 3 / 4

    # -- the button ---------------------------------------------------------------------------

    def action_retrieve(self, with_commit=True):
        """ "Retrieve from CodaBox" now, with a notification saying what happened."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        deadline = time.monotonic() + self.env["codabox.api"]._request_time_budget()
        result = self._retrieve(deadline, with_commit)
        result["left"] = self._leave_rest_to_daily_job([result])
        return self._retrieval_notification(result)

    @api.model
    def _leave_rest_to_daily_job(self, outcomes):
        """Whether a click's ``outcomes`` (retrievals, file collections, each within the
        request's limits) left work undone: one neither complete, nor busy in another
        process, nor failed (a long statement's rest, documents not started). The daily job
        is then woken to do it now."""
        left = any(not (out["complete"] or out["busy"] or out["error"]) for out in outcomes)
        if left:
            self._wake_daily_job()
        return left

    @api.model
    def _wake_daily_job(self):
        """Run the daily job in the next minutes: it finishes what a click, an upload or a
        retry left to it. Any user's action may wake it: Odoo creates the trigger as
        superuser (``ir.cron._trigger``)."""
        self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")._trigger()

    def _retrieval_notification(self, result, company=None):
        """The notification of a retrieval's (or a file collection's) ``result``, titled with
        the connection's company, else ``company``."""
        company = self.company_id or company
        if result["busy"]:
            return self._notification(
                company,
                _(
                    "A retrieval for this company is already running (the daily job or another "
                    "user): its statements appear when it ends."
                ),
                "warning",
            )
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
        moves = imported.move_ids
        if moves:
            lines.append(
                _(
                    "%(count)s draft entry(ies) made, to check and post: %(entries)s.",
                    count=len(moves),
                    entries=", ".join(moves.mapped("display_name")),
                )
            )
        reconciliation = imported._reconciliation_message()
        if reconciliation:
            lines.append(reconciliation)
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
        if result.get("left"):
            lines.append(
                _(
                    "More is left than one click can import within the server's limits (a long "
                    "statement, many documents): the daily job imports it in the next minutes."
                )
            )
        if not lines:
            lines.append(_("No new document from CodaBox."))
        level = "danger" if result["error"] else "warning" if failed else "success"
        return self._notification(company, "\n".join(lines), level)

    @api.model
    def _notification(self, company, message, level):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("CodaBox: %(company)s", company=company.name),
                "message": message,
                "type": level,
                "sticky": level != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
