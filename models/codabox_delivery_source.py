import logging
from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..compat import group_users
from ..delivery import (
    DEFAULT_RULES,
    ArchiveFailed,
    CertificateChanged,
    DeliveryError,
    FtpesSource,
    HostKeyChanged,
    KindRule,
    Layout,
    LocalFolderSource,
    LoginRefused,
    ScanState,
    SftpSource,
    scan,
)
from ..delivery.sftp import load_private_key
from .job_tools import _past, advisory_lock

_logger = logging.getLogger(__name__)

# First key of the advisory locks: one collection per source at a time (see the
# connections' LOCK_NAMESPACE, "codx").
LOCK_NAMESPACE = 0x636F6466  # "codf"
DEFAULT_PORTS = {"sftp": 22, "ftpes": 21}


class CodaboxDeliverySource(models.Model):
    """Where CodaBox delivers files by (S)FTP for an accounting office (or an SME): its
    secured space, the office's own server, or a folder on the Odoo server.

    The pure work (connect, list, fetch whole, archive) is ``delivery/``; this model keeps
    the settings, the pinned host key or certificate and the last listing, and puts each
    complete file through the ledger (``codabox.document``): stored, imported, and only then
    archived. Managed by system administrators; the passwords and keys are readable by them
    only, like the API credentials.
    """

    _name = "codabox.delivery.source"
    _description = "CodaBox file delivery (SFTP, FTPES or folder)"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    location = fields.Selection(
        [
            ("codabox", "CodaBox's secured space (FTP at CodaBox)"),
            ("office", "Your own server (FTP at your side)"),
        ],
        default="codabox",
        required=True,
        help="FTP at CodaBox: Odoo collects the files from the space CodaBox gave you a login "
        "for, instead of CodaBox's SyncTool. FTP at your side: CodaBox pushes the files to "
        "your SFTP or FTPES server, or into a folder of the Odoo server.",
    )
    protocol = fields.Selection(
        [
            ("sftp", "SFTP"),
            ("ftpes", "FTPES (explicit TLS)"),
            ("folder", "Folder on the Odoo server"),
        ],
        default="sftp",
        required=True,
        tracking=True,
    )
    host = fields.Char(tracking=True)
    port = fields.Integer(help="22 for SFTP, 21 for FTPES when left empty.")
    username = fields.Char(string="User name", tracking=True)
    password = fields.Char(groups="base.group_system", copy=False)
    private_key = fields.Text(
        string="Private key",
        groups="base.group_system",
        copy=False,
        help="SFTP only: the private key (OpenSSH or PEM text) to log in with, instead of or "
        "besides the password.",
    )
    private_key_passphrase = fields.Char(groups="base.group_system", copy=False)
    root_path = fields.Char(
        string="Folder",
        help="The folder holding one folder per client code: on the server (empty for the "
        "login folder), or on the Odoo server for a folder delivery.",
    )
    host_key_fingerprint = fields.Char(
        string="Pinned host key",
        readonly=True,
        copy=False,
        tracking=True,
        help="SFTP: the server's host key, pinned at the first connection. Another key stops "
        "the collection before anything is sent to the server.",
    )
    certificate_fingerprint = fields.Char(
        string="Pinned certificate",
        readonly=True,
        copy=False,
        tracking=True,
        help="FTPES: the server's certificate (SHA-256), pinned at the first connection.",
    )
    allow_unverified_certificate = fields.Boolean(
        string="Accept a certificate no authority signed",
        help="FTPES: a self-signed certificate is accepted at the first connection and pinned. "
        "Without this, it must be signed by an authority the Odoo server trusts.",
    )
    coda_folders = fields.Char(
        string="CODA folders",
        default="CODA",
        required=True,
        help="Names of the file-type folders (below each client code's folder) holding the "
        "CODA files and their PDF, separated by commas; shell patterns, case ignored.",
    )
    archive_folder = fields.Char(
        default="archive",
        required=True,
        help="Folder (below the root) where imported files are moved, under the same path.",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        default=lambda self: self.env.company,
        help="The companies whose files this delivery brings, each known by its CodaBox "
        "client code (the name of its folder).",
    )
    scan_state = fields.Json(readonly=True, copy=False)
    last_collection_at = fields.Datetime(readonly=True, copy=False)
    last_complete_collection_at = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_report = fields.Text(
        readonly=True,
        copy=False,
        help="What the last collection left where it was, and why: files under client codes "
        "no company has, files still being written, archive moves that failed.",
    )
    document_ids = fields.One2many("codabox.document", "source_id", string="Documents")
    document_count = fields.Integer(compute="_compute_document_count")

    @api.depends("document_ids")
    def _compute_document_count(self):
        for source in self:
            source.document_count = len(source.document_ids)

    @api.onchange("protocol")
    def _onchange_protocol(self):
        if self.protocol == "folder":
            self.location = "office"

    # -- who may ------------------------------------------------------------------------------

    def _check_admin(self):
        """Settings, test connection and pinning: system administrators only (they hold the
        passwords). Code running as superuser (the daily job) has decided already."""
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                _("Only administrators can manage CodaBox's file delivery (SFTP, FTPES).")
            )

    # -- the pure source ----------------------------------------------------------------------

    def _layout(self):
        """The tree's layout: CodaBox's default, with this source's CODA and archive folders.
        Overridable to adjust it further (other folders, names)."""
        self.ensure_one()
        folders = tuple(f.strip() for f in (self.coda_folders or "CODA").split(",") if f.strip())
        rules = tuple(
            KindRule(rule.kind, folders, rule.names)
            if rule.kind == "coda"
            else KindRule(rule.kind, tuple(dict.fromkeys(folders + rule.folders)), rule.names)
            if rule.kind == "coda_pdf"
            else rule
            for rule in DEFAULT_RULES
        )
        return Layout(rules=rules, archive=(self.archive_folder or "archive").strip("/"))

    def _source(self):
        """The ``delivery`` source for these settings, secrets read as the system (the caller
        was checked)."""
        self.ensure_one()
        source = self.sudo()  # sudo: the secrets are readable by system administrators only
        if source.protocol == "folder":
            if not source.root_path:
                raise UserError(_("Set the folder of the Odoo server where CodaBox's files land."))
            return LocalFolderSource(source.root_path)
        if not source.host or not source.username:
            raise UserError(
                _(
                    "Set the server's address and the user name of %(delivery)s.",
                    delivery=source.name,
                )
            )
        port = source.port or DEFAULT_PORTS[source.protocol]
        root = source.root_path or ""
        if source.protocol == "sftp":
            key = None
            if source.private_key:
                try:
                    key = load_private_key(source.private_key, source.private_key_passphrase)
                except DeliveryError as error:
                    raise UserError(self._delivery_message(error)) from error
            return SftpSource(
                source.host,
                port,
                username=source.username,
                password=source.password or None,
                private_key=key,
                root=root,
                host_key_fingerprint=source.host_key_fingerprint or None,
            )
        return FtpesSource(
            source.host,
            port,
            username=source.username,
            password=source.password or "",
            root=root,
            certificate_fingerprint=source.certificate_fingerprint or None,
            allow_unverified=source.allow_unverified_certificate,
        )

    def _pin(self, remote):
        """Pin what the server showed at its first connection (trust on first use), with a
        message in the chatter naming it."""
        self.ensure_one()
        offered = getattr(remote, "host_key_fingerprint", None) or getattr(
            remote, "certificate_fingerprint", None
        )
        if not offered:
            return
        field = "host_key_fingerprint" if self.protocol == "sftp" else "certificate_fingerprint"
        if self[field] == offered:
            return
        self.sudo().write({field: offered})  # sudo: written by this code only, checked above
        self.sudo().message_post(  # sudo: idem
            body=_(
                "First connection to %(server)s: its key %(key)s is pinned.",
                server=remote.server,
                key=offered,
            )
        )

    @api.model
    def _delivery_messages(self):
        """The user's message for each ``delivery`` error code; a message may use
        ``%(server)s``, ``%(path)s``, ``%(username)s``, ``%(pinned)s``, ``%(offered)s`` and
        ``%(detail)s`` (the English words of the failure). Override to word a code otherwise."""
        return {
            "unreachable": _("%(server)s cannot be reached: %(detail)s"),
            "loginRefused": _(
                "%(server)s refused the login of user %(username)s: check the user name, the "
                "password or the private key of the delivery."
            ),
            "hostKeyChanged": _(
                "%(server)s shows another host key than the one pinned at the first connection "
                "(pinned %(pinned)s, now %(offered)s): nothing was sent to it and no file was "
                "collected. If the server's key was really changed, ask its administrator, then "
                "use Forget the pinned key and Test connection."
            ),
            "certificateChanged": _(
                "%(server)s shows another certificate than the one pinned at the first "
                "connection (pinned %(pinned)s, now %(offered)s): nothing was sent to it. If "
                "the certificate was really renewed, use Forget the pinned key and Test "
                "connection."
            ),
            "certificateUntrusted": _(
                "%(server)s shows a certificate no trusted authority signed (%(offered)s): "
                "nothing was sent to it. Tick Accept a certificate no authority signed to pin "
                "it, if it is your server's."
            ),
            "connectionDropped": _(
                "%(server)s closed the connection (%(detail)s): nothing half-downloaded was "
                "kept; the collection goes on at the next run."
            ),
            "pathMissing": _("%(server)s has no folder or file %(path)s: check the folder."),
            "permissionRefused": _("%(server)s refused access to %(path)s: %(detail)s"),
            "fileChanged": _(
                "%(server)s: %(path)s changed while it was downloaded: it is collected at the "
                "next run."
            ),
            "fileTooLarge": _("%(server)s: %(path)s is too large to be a CodaBox file: %(detail)s"),
            "archiveFailed": _(
                "%(server)s: %(path)s could not be moved to the archive (%(detail)s); it stays "
                "in place and is never imported twice."
            ),
            "deliveryError": _("%(server)s: %(detail)s"),
        }

    @api.model
    def _delivery_message(self, error):
        """A ``DeliveryError`` in the user's words (see ``_delivery_messages``)."""
        messages = self._delivery_messages()
        template = messages.get(error.code) or messages["deliveryError"]
        return template % {
            "server": error.server or "?",
            "path": error.path or "",
            "username": getattr(error, "username", None) or "",
            "pinned": getattr(error, "pinned", None) or "",
            "offered": getattr(error, "offered", None) or "",
            "detail": error.message,
        }

    # -- buttons ------------------------------------------------------------------------------

    def action_test_connection(self):
        """Log in, pin the host key or certificate at the first connection, list the tree:
        a notification says what is there, or what the server refused."""
        self.ensure_one()
        self._check_admin()
        try:
            with self._source() as remote:
                self._pin(remote)
                result = scan(remote, self._layout(), previous=self._scan_state(), settle=0)
        except DeliveryError as error:
            raise UserError(self._delivery_message(error)) from error
        codes = self._company_by_code()
        files = result.ready_files() + result.pending
        lines = [
            _(
                "%(server)s: connected, %(count)s file(s) waiting.",
                server=remote.server,
                count=len(files),
            )
        ]
        for code in sorted({f.client_code for f in files}):
            company = codes.get(code)
            lines.append(
                _("Client code %(code)s: %(company)s", code=code, company=company.name)
                if company
                else _("Client code %(code)s: no company has it", code=code)
            )
        return self._notification("\n".join(lines), "success")

    def action_forget_pinned_key(self):
        """After the server's key or certificate was really changed: the next connection pins
        the new one."""
        self._check_admin()
        # sudo: the pinned keys are written by this code only (the caller was checked).
        self.sudo().write({"host_key_fingerprint": False, "certificate_fingerprint": False})
        return True

    def action_collect(self):
        """Collect now, for every company of the delivery."""
        self.ensure_one()
        self._check_admin()
        result = self._collect()
        return self.env["codabox.connection"]._retrieval_notification(
            result, self.company_ids[:1] or self.env.company
        )

    def action_open_documents(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "l10n_be_codabox_connect.codabox_document_action"
        )
        action["domain"] = [("source_id", "=", self.id)]
        action["context"] = {}
        return action

    def _notification(self, message, level):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": message,
                "type": level,
                "sticky": level != "success",
            },
        }

    # -- collection ---------------------------------------------------------------------------

    @api.model
    def _settle_seconds(self):
        """How long a new file must keep its size and time to count as complete, when the
        previous run did not see it (system parameter ``delivery_settle``, 2 s by default)."""
        return float(self.env["codabox.api"]._param("delivery_settle", "2"))

    def _scan_state(self):
        return ScanState.from_json(self.scan_state or {})

    def _company_by_code(self):
        """{client code: company} of the delivery's companies."""
        self.ensure_one()
        return {
            company.codabox_client_code.strip(): company
            for company in self.sudo().company_ids  # sudo: the delivery's own companies
            if company.codabox_client_code
        }

    @contextmanager
    def _collection_lock(self):
        """One collection of the delivery at a time (the daily job, a click, another
        worker): see codabox.connection's advisory_lock."""
        self.ensure_one()
        with advisory_lock(self.env, LOCK_NAMESPACE, self.id) as locked:
            yield locked

    def _collect(self, deadline=None, with_commit=True, companies=None):
        """Collect and import the complete files the delivery holds; never raises: problems
        are recorded on the delivery and the documents.

        :param companies: only these companies' files (a click on a company's journal);
            all the delivery's companies when None
        :return: like ``codabox.connection._retrieve``: ``{"documents", "complete", "error",
            "busy"}``
        """
        self.ensure_one()
        result = {
            "documents": self.env["codabox.document"],
            "complete": True,
            "error": False,
            "busy": False,
        }
        with self._collection_lock() as locked:
            if not locked:
                result.update(busy=True, complete=False)
                return result
            if with_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
            report = []
            try:
                self._collect_files(result, report, deadline, with_commit, companies)
                self._record_collection(False, report, complete=result["complete"])
            except DeliveryError as error:
                message = self._delivery_message(error)
                result["complete"] = True  # done for this run: tried again at the next one
                self._record_collection(message, report, complete=True, problem=error)
            except UserError as error:
                self._record_collection(str(error), report, complete=True, problem=error)
            except Exception:
                _logger.exception("CodaBox delivery %s: collection failed", self.name)
                if not with_commit:
                    raise
                self.env.cr.rollback()
                self._record_collection(
                    _(
                        "The collection stopped on an unexpected error; the server log has the "
                        "details. It is tried again at the next run."
                    ),
                    report,
                )
            if with_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        result["error"] = self.last_error
        return result

    def _collect_files(self, result, report, deadline, with_commit, companies):
        """The collection itself; see _collect. For each complete file: fetch it whole (with
        its PDF), store it in the ledger (commit), import it with its outcome recorded
        (commit), then archive it. A file the ledger holds already (same content, whatever
        its name) is archived, never imported again."""
        codes = self._company_by_code()
        wanted = None if companies is None else {c for c, co in codes.items() if co in companies}
        # Stored before and never finished (the process died), or a kind turned on since.
        unfinished = (
            self.env["codabox.document"]
            .sudo()
            .search(  # sudo: the ledger
                [("source_id", "=", self.id), ("state", "=", "received")]
            )
        )
        for document in unfinished:
            if companies is not None and document.company_id not in companies:
                continue
            if result["documents"] and _past(deadline):
                result["complete"] = False
                return
            document._import(with_commit, deadline)
            result["documents"] |= document
            if document.state == "received":  # a long statement's part: the rest next call
                result["complete"] = False
                return
        layout = self._layout()
        with self._source() as remote:
            self._pin(remote)
            listing = scan(
                remote,
                layout,
                previous=self._scan_state(),
                known_codes=set(codes),
                settle=self._settle_seconds(),
            )
            self.sudo().scan_state = listing.state.to_json()  # sudo: written by this code
            for code, files in sorted(listing.unknown.items()):
                report.append(
                    _(
                        "Client code %(code)s: no company has it (%(count)s file(s) left in "
                        "place).",
                        code=code,
                        count=len(files),
                    )
                )
            if listing.pending:
                report.append(
                    _(
                        "%(count)s file(s) still being written, collected at the next run: "
                        "%(files)s",
                        count=len(listing.pending),
                        files=", ".join(f.path for f in listing.pending[:5]),
                    )
                )
            # Each file's PDF, found once: stored and archived with it, never on its own.
            companions = {f.path: self._companion_pdf(listing, f) for f in listing.ready_files()}
            paired = {pdf.path for pdf in companions.values() if pdf}
            for file in listing.ready_files():
                if file.path in paired or (wanted is not None and file.client_code not in wanted):
                    continue
                if result["documents"] and _past(deadline):
                    result["complete"] = False
                    return
                if file.kind == "coda_pdf":
                    self._attach_late_pdf(remote, file, layout)  # else it waits for its CODA
                    continue
                companion = companions[file.path]
                document = self._store_file(remote, file, companion, codes[file.client_code])
                if document is None:  # delivered before: archived, not imported again
                    self._archive(remote, layout, [file, companion], report)
                    continue
                if with_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                if document.state == "received":
                    document._import(with_commit, deadline)
                result["documents"] |= document
                self._archive(remote, layout, [file, companion], report)
                if with_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit

    def _store_file(self, remote, file, pdf, company):
        """Fetch a ready file (and ``pdf``, its companion PDF, or None) and store it in the
        ledger, or None when the ledger holds it already (the same content under any name)."""
        fetched = remote.fetch(file)
        Document = self.env["codabox.document"].sudo()  # sudo: the ledger, see its model
        if Document.search_count(
            [("source_id", "=", self.id), ("source_content_key", "=", fetched.file.content_key)],
            limit=1,
        ):
            return None
        files = {"cod" if file.kind == "coda" else "xml": fetched.content}
        if file.kind != "coda" and file.name.lower().endswith(".pdf"):
            files = {"pdf": fetched.content}
        if pdf:
            files["pdf"] = remote.fetch(pdf).content
        return Document._store_delivered_file(self, company, fetched.file, files)

    @api.model
    def _companion_pdf(self, listing, file):
        """The PDF delivered with a file, to store in the same document: a CODA file's
        (``Scan.pdf_for``), or an XML's (SODA, invoices) of the same kind, client code and
        name but the extension; None for a PDF or a file without one."""
        if file.kind == "coda":
            return listing.pdf_for(file)
        if not file.name.lower().endswith(".xml"):
            return None
        return next(
            (
                other
                for other in listing.ready.get(file.client_code, ())
                if other.kind == file.kind
                and other.stem == file.stem
                and other.name.lower().endswith(".pdf")
            ),
            None,
        )

    def _attach_late_pdf(self, remote, file, layout):
        """A CODA PDF whose CODA file came in an earlier run: attached to that document (and
        its statements). False when no document has its CODA file yet (it waits)."""
        Document = self.env["codabox.document"].sudo()  # sudo: the ledger, see its model
        for document in Document.search(
            [
                ("source_id", "=", self.id),
                ("source_client_code", "=", file.client_code),
                ("kind", "=", "coda"),
                ("pdf_attachment_id", "=", False),
            ]
        ):
            if (document.file_name or "").rsplit(".", 1)[0].lower() == file.stem:
                document._attach_files({"pdf": remote.fetch(file).content})
                if document.statement_ids:
                    document.statement_ids._codabox_attach_pdf(document.pdf_attachment_id)
                self._archive(remote, layout, [file], [])
                return True
        return False

    def _archive(self, remote, layout, files, report):
        for file in filter(None, files):
            try:
                remote.archive(file, layout)
            except ArchiveFailed as error:
                report.append(self._delivery_message(error))

    def _record_collection(self, error, report, complete=False, problem=None):
        """Record how the collection ended; a problem a person must solve (a changed key, a
        refused login) gets one to-do for an administrator until a collection works."""
        now = fields.Datetime.now()
        values = {
            "last_error": error or False,
            "last_report": "\n".join(report) or False,
            "last_collection_at": now,
        }
        if complete:
            values["last_complete_collection_at"] = now
        source = self.sudo()  # sudo: written by this code only; the caller was checked
        source.write(values)
        if isinstance(problem, HostKeyChanged | CertificateChanged | LoginRefused | UserError):
            summary = _("CodaBox file delivery stopped: %(delivery)s", delivery=self.name)
            self._schedule_problem_activity(self, summary, error)
        elif not error:
            source.activity_feedback(
                ["mail.mail_activity_data_todo"], feedback=_("The collection works again.")
            )

    def _schedule_problem_activity(self, record, summary, note):
        """One open to-do on ``record`` (the delivery, or one of its documents) for an
        administrator, however many runs meet the same problem."""
        self.ensure_one()
        record = record.sudo()  # sudo: the ledger and deliveries are written by this code
        todo = self.env.ref("mail.mail_activity_data_todo")
        if not record.activity_ids.filtered(lambda a: a.activity_type_id == todo):
            record.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=note,
                user_id=self._problem_user().id,
            )

    def _problem_user(self):
        """Who is asked to solve a delivery problem: who made the delivery, if still an
        administrator, else the database's administrator. Overridable."""
        self.ensure_one()
        admins = group_users(self.env.ref("base.group_system").sudo())  # sudo: reading the group
        if self.create_uid in admins:
            return self.create_uid
        return self.env.ref("base.user_admin")

    # -- the daily job --------------------------------------------------------------------------

    @api.model
    def _cron_collect(self, deadline, with_commit=True):
        """The daily job's part for file deliveries (called by codabox.connection's
        ``_cron_retrieve``): every active delivery once per run of the job.

        :return: (work done, deliveries still due)
        """
        sources = self.sudo().search([])  # sudo: the system's job
        due = self._cron_due(sources).sorted(
            lambda s: (bool(s.last_collection_at), s.last_collection_at or fields.Datetime.now())
        )
        done = 0
        busy = self.browse()
        for source in due:
            if _past(deadline):
                break
            result = source._collect(deadline, with_commit)
            done += len(result["documents"]) + int(result["complete"])
            if result["busy"]:
                busy |= source
        return done, len(self._cron_due(sources) - busy)

    @api.model
    def _cron_due(self, sources):
        """Deliveries not collected through to the end within the current run of the job
        (see codabox.connection._cron_due)."""
        since = self.env["codabox.connection"]._cron_run_start()
        return sources.filtered(
            lambda s: not s.last_complete_collection_at or s.last_complete_collection_at < since
        )

    @api.model
    def _companies_served(self, companies):
        """The active deliveries that bring files of ``companies`` (they have a client code)."""
        coded = companies.filtered("codabox_client_code")
        if not coded:
            return self.browse()
        # sudo: which deliveries serve a company is not a secret; their settings are.
        return self.sudo().search([("company_ids", "in", coded.ids)])
