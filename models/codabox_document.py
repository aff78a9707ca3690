import logging
import time

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.addons.base.models.res_bank import sanitize_account_number
from odoo.exceptions import UserError

from ..codabox_client import CodaboxError, FeedEntry
from ..compat import sql_constraints
from .account_bank_statement import CodaImportError, CodaUnknownAccountError
from .job_tools import _past, advisory_lock, import_pace

_logger = logging.getLogger(__name__)

# A document whose import was started this many times without an outcome being recorded (the
# server killed the process: time or memory limits) is failed instead of tried forever.
MAX_IMPORT_ATTEMPTS = 3
# The fewest statement lines an import in parts creates per call (see _lines_within).
MIN_IMPORT_PART = 50
FINAL_STATES = ("imported", "ignored", "failed")
# First key of the advisory lock of a file imported by hand while the daily job imports it.
UPLOAD_LOCK_NAMESPACE = 0x636F6475


@sql_constraints(
    (
        "feed_index_unique",
        "unique(feed_id, feed_index)",
        "A CodaBox feed entry is recorded once.",
    ),
    (
        "source_content_unique",
        "unique(source_id, source_content_key)",
        "A delivered file is recorded once, whatever its name.",
    ),
    (
        "delivered_by",
        "CHECK(connection_id IS NOT NULL OR source_id IS NOT NULL OR uploaded_by_id IS NOT NULL)",
        "A CodaBox document comes from a connection, a file delivery or an upload.",
    ),
)
class CodaboxDocument(models.Model):
    """One document CodaBox delivered: the ledger that makes retrieval at-least-once and
    never twice.

    A feed entry is stored here (with its files) before anything else happens to it, then
    imported in a savepoint of its own with its outcome recorded, and only then acknowledged
    at CodaBox. A document is acknowledged only in a final state (``FINAL_STATES``); every
    document still "Received" is imported by the next retrieval, whatever happened before.
    Only the addon's own code writes documents (users have read access only).
    """

    _name = "codabox.document"
    _description = "CodaBox delivered document"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "received_at desc, id desc"
    _rec_names_search = ["account_number", "kind", "feed_index"]
    _check_company_auto = True

    connection_id = fields.Many2one(
        "codabox.connection",
        readonly=True,
        ondelete="restrict",
        index=True,
        help="The CodaBox connection (API) that delivered it.",
    )
    source_id = fields.Many2one(
        "codabox.delivery.source",
        string="File delivery",
        readonly=True,
        ondelete="restrict",
        index=True,
        help="The file delivery (SFTP, FTPES or folder) that delivered it.",
    )
    uploaded_by_id = fields.Many2one(
        "res.users",
        string="Uploaded by",
        readonly=True,
        index="btree_not_null",
        help="Who imported the file by hand (Import CODA): a statement too long for one "
        "request, whose rest the daily job imports in parts.",
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        readonly=False,  # set by the file delivery; users have read access only
        precompute=True,
        required=True,
        index=True,
    )
    feed_id = fields.Char(readonly=True)
    feed_index = fields.Char(readonly=True)
    file_name = fields.Char(readonly=True, help="The delivered file's name (file delivery).")
    source_path = fields.Char(string="Path", readonly=True, help="Where the file was delivered.")
    source_client_code = fields.Char(string="Client code", readonly=True)
    source_identity = fields.Char(readonly=True, copy=False, index=True)
    source_content_key = fields.Char(readonly=True, copy=False, index=True)
    kind = fields.Char(
        string="CodaBox document model", readonly=True, help="CodaBox's name for the kind."
    )
    kind_label = fields.Char(string="Document type", compute="_compute_kind_label")
    metadata = fields.Json(readonly=True)
    account_number = fields.Char(string="Account", readonly=True)
    currency_name = fields.Char(string="Currency", readonly=True)
    statement_date = fields.Date(readonly=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("imported", "Imported"),
            ("failed", "Failed"),
            ("ignored", "Not imported"),
        ],
        default="received",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    error_message = fields.Text(readonly=True)
    missing_journal = fields.Boolean(
        readonly=True, help="The statement's account has no bank journal in the company."
    )
    journal_ready = fields.Boolean(
        compute="_compute_journal_ready",
        help="The import failed for want of a bank journal, and the company has one for the "
        "account now: the import can be retried.",
    )
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    imported_at = fields.Datetime(
        string="Outcome recorded at", readonly=True, help="When the import's outcome was recorded."
    )
    acknowledged = fields.Boolean(readonly=True, help="CodaBox was told the document arrived.")
    acknowledged_at = fields.Datetime(readonly=True)
    attempt_count = fields.Integer(
        string="Import attempts", readonly=True, help="How many times the import was started."
    )
    coda_attachment_id = fields.Many2one("ir.attachment", string="CODA file", readonly=True)
    pdf_attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True)
    xml_attachment_id = fields.Many2one("ir.attachment", string="XML", readonly=True)
    statement_ids = fields.Many2many("account.bank.statement", string="Statements", readonly=True)
    statement_count = fields.Integer(compute="_compute_statement_count")
    move_ids = fields.Many2many(
        "account.move",
        "codabox_document_move_rel",
        string="Entries",
        readonly=True,
        help="The payroll entry, bills or invoices made from the document.",
    )
    move_count = fields.Integer(string="Entry Count", compute="_compute_move_count")
    kind_turned_off = fields.Boolean(
        readonly=True,
        help="Not imported because its company does not import its kind: imported once the "
        "kind is turned on.",
    )
    redownload_offered = fields.Boolean(
        string="Download again offered",
        compute="_compute_redownload_offered",
        help="Download again: a failed document (not for want of a journal), or a kind not "
        "imported that was stored without its XML.",
    )

    @api.depends("kind", "account_number", "statement_date", "feed_index", "file_name")
    def _compute_display_name(self):
        for document in self:
            parts = [document.kind and document.kind.upper(), document.account_number]
            if document.statement_date:
                parts.append(fields.Date.to_string(document.statement_date))
            document.display_name = (
                " ".join(p for p in parts if p) or document.feed_index or document.file_name
            )

    @api.depends("connection_id.company_id")
    def _compute_company_id(self):
        """The connection's company; a file delivery's documents get theirs at creation (by
        their client code)."""
        for document in self:
            if document.connection_id:
                document.company_id = document.connection_id.company_id

    @api.depends("kind")
    @api.depends_context("lang")
    def _compute_kind_label(self):
        labels = self._kind_labels()
        for document in self:
            document.kind_label = labels.get(document.kind, document.kind)

    @api.model
    def _kind_labels(self):
        """What people call each of CodaBox's document models; the others show as CodaBox
        names them. Extended by modules that import further kinds (SODA, invoices)."""
        return {
            "coda": _("Bank statement (CODA)"),
            "soda": _("Payroll entry (SODA)"),
            "purchase_invoice": _("Purchase invoice"),
            "expense": _("Expense"),
            "sales_invoice": _("Sales invoice"),
        }

    @api.model
    def _importers(self):
        """The method importing each kind, and the company setting that turns it on (None:
        always on). Extended by modules that import further kinds."""
        return {
            "coda": ("_import_coda", None),
            "soda": ("_import_soda", "codabox_import_soda"),
            "purchase_invoice": ("_import_invoice", "codabox_import_purchase_invoices"),
            "expense": ("_import_invoice", "codabox_import_purchase_invoices"),
            "sales_invoice": ("_import_invoice", "codabox_import_sales_invoices"),
        }

    def _is_imported_kind(self):
        """Whether the document's company imports documents of its kind."""
        self.ensure_one()
        importer = self._importers().get(self.kind)
        return bool(importer) and (not importer[1] or bool(self.company_id[importer[1]]))

    def _not_imported_message(self):
        if self.kind in self._importers():
            return _(
                "%(kind)s: the company does not import this kind (CodaBox settings); the "
                "document is kept here with its files, and imported once the kind is turned on.",
                kind=self.kind_label,
            )
        return _(
            "Documents of type %(kind)s are kept here with their files but not imported.",
            kind=self.kind,
        )

    @api.model
    def get_empty_list_help(self, help_message):
        """The action's help ("No document received from CodaBox yet") while there is none;
        once documents arrived, an empty list means the filters match none of them."""
        if self.search_count([], limit=1):
            return Markup("<p class='o_view_nocontent_empty_folder'>%s</p><p>%s</p>") % (
                _("No CodaBox document matches these filters"),
                _("Remove a filter to see the other documents."),
            )
        return super().get_empty_list_help(help_message)

    @api.depends("missing_journal", "account_number", "company_id")
    def _compute_journal_ready(self):
        """Whether "Create journal" made the journal the failed import needed (any bank journal
        of the company holding the account: "Retry import" says whether it fits)."""
        Journal = self.env["account.journal"]
        for document in self:
            number = document.missing_journal and sanitize_account_number(document.account_number)
            document.journal_ready = bool(number) and bool(
                Journal.search_count(
                    [
                        ("type", "=", "bank"),
                        ("company_id", "=", document.company_id.id),
                        ("bank_account_id.sanitized_acc_number", "=", number),
                    ],
                    limit=1,
                )
            )

    @api.depends("connection_id", "state", "missing_journal", "kind", "xml_attachment_id")
    def _compute_redownload_offered(self):
        for document in self:
            document.redownload_offered = bool(document.connection_id) and (
                (document.state == "failed" and not document.missing_journal)
                or (
                    document.state == "ignored"
                    and document.kind != "coda"
                    and not document.xml_attachment_id
                )
            )

    @api.depends("move_ids")
    def _compute_move_count(self):
        for document in self:
            document.move_count = len(document.move_ids)

    @api.depends("statement_ids")
    def _compute_statement_count(self):
        for document in self:
            document.statement_count = len(document.statement_ids)

    # -- storing what CodaBox delivered -----------------------------------------------------

    @api.model
    def _store(self, connection, feed_id, entry, files):
        """Record a delivered entry with its files, before anything else happens to it.

        :param files: ``{"cod": bytes, "pdf": bytes, "xml": bytes}`` as downloaded (missing
            or empty formats are not stored)
        :return: the document, "Received" when it is to be imported, "Not imported" for kinds
            this addon does not import, "Failed" when what arrived cannot be a document
        """
        metadata = entry.metadata if isinstance(entry.metadata, dict) else {}
        values = {
            "connection_id": connection.id,
            "feed_id": feed_id,
            "feed_index": entry.feed_index,
            "kind": entry.document_model if isinstance(entry.document_model, str) else False,
            "metadata": metadata or (entry.raw if entry.problem else {}),
            "account_number": metadata.get("iban") or False,
            "currency_name": metadata.get("currency") or False,
            "statement_date": metadata.get("new_balance_date") or False,
        }
        return self._create_stored(values, entry, files)

    @api.model
    def _create_stored(self, values, entry, files):
        """Create the document with its files: "Failed" when what arrived cannot be a
        document of its kind, "Not imported" for a kind its company does not import, else
        "Received", to be imported."""
        problem = self._delivery_problem(entry, files)
        # sudo: the ledger is written by this code only; users have read access.
        document = self.sudo().create(values)
        document._attach_files(files)
        if problem:
            document._record_failure(problem)
        elif not document._is_imported_kind():
            document._record_kind_turned_off()
        return document

    def _record_kind_turned_off(self):
        self.write(
            {
                "state": "ignored",
                "imported_at": fields.Datetime.now(),
                "error_message": self._not_imported_message(),
                "kind_turned_off": self.kind in self._importers(),
            }
        )

    @api.model
    def _store_delivered_file(self, source, company, file, files):
        """Record a file a delivery source fetched (a ``delivery.DeliveredFile`` with its
        digest) with its formats, before anything else happens to it: like ``_store``."""
        values = {
            "source_id": source.id,
            "company_id": company.id,
            "kind": file.kind,
            "file_name": file.name,
            "source_path": file.path,
            "source_client_code": file.client_code,
            "source_identity": file.identity,
            "source_content_key": file.content_key,
        }
        return self._create_stored(values, FeedEntry(file.name, file.kind, {}), files)

    @api.model
    def _store_upload(self, company, filename, data, pdf, pdf_filename, result):
        """Keep a file imported by hand whose import stopped part way (``result``, of an
        import with ``max_lines``), for the daily job to import the rest in parts
        (:meth:`_cron_import_uploads`): "Received", its statements so far linked. Its
        uploader follows it and gets its problems to solve."""
        # sudo: the ledger is written by this code only; the uploader's rights were checked
        # by the upload (an accountant of the company).
        document = self.sudo().create(
            {
                "uploaded_by_id": self.env.uid,
                "company_id": company.id,
                "kind": "coda",
                "file_name": filename,
            }
        )
        document._attach_files({"cod": data, "pdf": pdf})
        if pdf and pdf_filename:
            document.pdf_attachment_id.name = pdf_filename
        document.message_subscribe(partner_ids=self.env.user.partner_id.ids)
        document._record_part(result)
        return document

    @api.model
    def _cron_import_uploads(self, deadline, with_commit=True):
        """The daily job's share for files imported by hand: the rest of each statement too
        long for its request, in parts (``_import`` with the job's deadline), oldest first.

        A document another process is importing right now (an upload of the same file) is
        not counted as still to import: that process finishes it or wakes the job again, so
        the job does not call itself over and over while it waits.

        :return: ``(documents moved on, documents still to import)``
        """
        # sudo: the system's job, over every company
        waiting = self.sudo().search(
            [("uploaded_by_id", "!=", False), ("state", "=", "received")], order="id"
        )
        done = 0
        busy = self.browse()
        for document in waiting:
            if done and _past(deadline):  # each call moves at least one document on
                break
            with advisory_lock(self.env, UPLOAD_LOCK_NAMESPACE, document.id) as locked:
                if not locked:  # an upload of the same file is importing it right now
                    busy |= document
                    continue
                document._import(with_commit, deadline)
            done += 1
        return done, len((waiting - busy).filtered(lambda d: d.state == "received"))

    @api.model
    def _delivery_problem(self, entry, files):
        """Why what CodaBox delivered for ``entry`` cannot be imported, or False.

        Overridden by modules that import further kinds, to accept what they expect.
        """
        if entry.problem:
            return _(
                "CodaBox listed an entry Odoo cannot read (%(problem)s); what was received is "
                "kept in the document's metadata.",
                problem=entry.problem,
            )
        if entry.document_model == "soda" and not (files.get("xml") or b"").strip():
            return _("CodaBox delivered no XML for this SODA: use Download again.")
        if entry.document_model != "coda":
            return False
        coda = files.get("cod") or b""
        if not coda.strip():
            return _("CodaBox delivered an empty file instead of the CODA file.")
        head = coda.lstrip()[:200].lower()
        if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")) or b"<html" in head:
            return _(
                "CodaBox delivered a web page instead of the CODA file (kept as received). "
                "Use Download again, or ask CodaBox to deliver it again."
            )
        return False

    def _attach_files(self, files):
        """Attach the delivered formats, replacing the ones attached before."""
        self.ensure_one()
        metadata = self.metadata if isinstance(self.metadata, dict) else {}
        name = self.file_name and self.file_name.rsplit(".", 1)[0]
        if not name:
            iban = metadata.get("iban") or self.feed_index
            name = f"{iban}-{metadata.get('new_balance_date') or ''}"
        values = {}
        for fmt, field, mimetype in (
            ("cod", "coda_attachment_id", "application/octet-stream"),
            ("pdf", "pdf_attachment_id", "application/pdf"),
            ("xml", "xml_attachment_id", "application/xml"),
        ):
            data = files.get(fmt)
            if not data:
                continue
            # sudo: the attachment belongs to the ledger, written by this code only.
            values[field] = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": f"{name}.{fmt}",
                        "raw": data,
                        "mimetype": mimetype,
                        "res_model": self._name,
                        "res_id": self.id,
                        "company_id": self.company_id.id,
                    }
                )
                .id
            )
        if values:
            self.sudo().write(values)  # sudo: see _attach_files' callers

    # -- importing ----------------------------------------------------------------------------

    def _import(self, with_commit=False, deadline=None):
        """Import the stored CODA files as statements; each outcome is recorded, never raised.

        The attempt is counted (and committed with ``with_commit``) before the import starts,
        so that an import the server kills every time (time or memory limits) ends as
        "Failed" after ``MAX_IMPORT_ATTEMPTS`` instead of stalling the retrieval for ever.

        :param deadline: ``time.monotonic()`` value by which the import should be done (the
            daily job's): a statement too long for it is imported in parts, one per call,
            the document staying "Received" until its last part is in
        """
        # sudo: the import runs with the system's rights, like the daily job; who asked for
        # it was checked by the caller (action_retry, the retrieval).
        for document in self.sudo().filtered(lambda d: d.state in ("received", "failed")):
            if document.attempt_count >= MAX_IMPORT_ATTEMPTS and document.state == "received":
                document._record_failure(
                    _(
                        "The import was interrupted %(count)s times before it could finish (the "
                        "server stopped it, perhaps at its time or memory limit). Retry it when "
                        "the server is less busy, or import the CODA file by hand (Import CODA).",
                        count=document.attempt_count,
                    )
                )
                continue
            document.attempt_count += 1
            if with_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            document._import_one(deadline)
            if with_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _import_one(self, deadline=None):
        """Import one document in a savepoint and record the outcome."""
        self.ensure_one()
        if not self._is_imported_kind():
            self._record_kind_turned_off()
            return
        if self.kind != "coda":
            self._import_other_kind()
            return
        if not self.coda_attachment_id:
            self._record_failure(_("CodaBox delivered no CODA file."))
            return
        try:
            with self.env.cr.savepoint():
                result = self._import_coda(self._lines_within(deadline))
        except CodaUnknownAccountError as error:
            self._record_failure(
                str(error),
                missing_journal=True,
                account_number=error.account_number,
                currency_name=error.currency,
            )
            return
        except (CodaImportError, UserError) as error:
            self._record_failure(str(error))
            return
        except Exception as error:
            self._record_unexpected_failure(error)
            return
        if result.get("incomplete"):
            self._record_part(result)
            return
        self._record_import(result)

    def _record_unexpected_failure(self, error):
        """Anything else than a refusal (a database error, memory) must not leave the
        document "Received" for ever: it is recorded, with a way out (Retry)."""
        _logger.exception("CodaBox document %s: import failed", self.id)
        self._record_failure(
            _(
                "The import failed on an unexpected error (%(error)s); the server log has "
                "the details. Retry the import; if it fails again, report it.",
                error=type(error).__name__,
            )
        )

    def _import_other_kind(self):
        """Import a document of another kind than CODA with its importer (``_importers``),
        in a savepoint, and record the outcome: the entries it made, or why it failed."""
        method = self._importers()[self.kind][0]
        try:
            with self.env.cr.savepoint():
                result = getattr(self, method)()
        except (CodaImportError, UserError) as error:
            self._record_failure(str(error))
            return
        except Exception as error:
            self._record_unexpected_failure(error)
            return
        moves = result["moves"]
        self.write(
            {
                "state": "imported" if moves else "ignored",
                "imported_at": fields.Datetime.now(),
                "error_message": "\n".join(result.get("warnings", ())) or False,
                "move_ids": [fields.Command.set(moves.ids)],
            }
        )
        self._close_problem_activities()

    @api.model
    def _lines_within(self, deadline):
        """How many statement lines an import may create before ``deadline`` (None: all),
        at the cost per line this process measured (``job_tools.import_pace``: machines
        differ several times over), never below the system parameter
        ``import_seconds_per_line`` (0.03 s, measured by ``make bench``) and twice that as
        long as nothing was measured; at least ``MIN_IMPORT_PART`` lines, so that each call
        moves on."""
        if deadline is None:
            return None
        per_line = float(self.env["codabox.api"]._param("import_seconds_per_line", "0.03"))
        measured = import_pace(self.env.cr.dbname)
        per_line = max(per_line, measured if measured is not None else 2 * per_line)
        return max(MIN_IMPORT_PART, int((deadline - time.monotonic()) / max(per_line, 0.001)))

    def _record_part(self, result):
        """A part of a long statement is in: the document stays "Received" (the next call
        goes on), its attempts counted anew since the import moves on."""
        statements = result["statements"]
        self.write(
            {
                "attempt_count": 0,
                "statement_ids": [fields.Command.link(st.id) for st in statements],
                "error_message": _(
                    "Imported in parts, the statement being long: %(count)s line(s) in so far; "
                    "the rest follows at the next run of the daily job.",
                    count=len(statements.line_ids),
                ),
            }
        )

    def _import_coda(self, max_lines=None):
        """Call the CODA importer on the stored files (overridable: e.g. to pick journals)."""
        return self.env["account.bank.statement"]._codabox_import_coda(
            self.coda_attachment_id.raw,
            company=self.company_id,
            filename=self.coda_attachment_id.name,
            pdf=self.pdf_attachment_id.raw or b"",
            pdf_filename=self.pdf_attachment_id.name,
            max_lines=max_lines,
        )

    def _record_import(self, result):
        """The import went through: new statements, or all of them imported before (by hand,
        or from another feed entry), which then get CodaBox's PDF if they lack one."""
        statements = result["statements"]
        existing = result.get("existing", self.env["account.bank.statement"])
        if existing and self.pdf_attachment_id:
            existing._codabox_attach_pdf(self.pdf_attachment_id)
        self.write(
            {
                "state": "imported" if statements or not existing else "ignored",
                "missing_journal": False,
                "imported_at": fields.Datetime.now(),
                "error_message": "\n".join(result["skipped"] + result["warnings"]) or False,
                "statement_ids": [fields.Command.set((statements | existing).ids)],
            }
        )
        self._record_reconciliation(result)
        if result.get("corrections"):
            # Kept apart with its file, for the accountant to decide (see the message).
            self._record_failure("\n".join(result["corrections"]))
        else:
            self._close_problem_activities()

    def _record_failure(self, message, **values):
        self.write(
            {
                "state": "failed",
                "error_message": message,
                "imported_at": fields.Datetime.now(),
                **values,
            }
        )
        self._schedule_problem_activity()
        self._account_journals()._codabox_check_continuity()  # a gap it holds is named so

    def _account_journals(self):
        """The bank journals of the documents' companies holding their accounts."""
        accounts = {sanitize_account_number(d.account_number) for d in self if d.account_number}
        if not accounts:
            return self.env["account.journal"]
        return (
            self.env["account.journal"]
            .sudo()  # sudo: the journals' chains are checked whoever records the outcome
            .search(
                [
                    ("type", "=", "bank"),
                    ("company_id", "in", self.company_id.ids),
                    ("bank_account_id.sanitized_acc_number", "in", list(accounts)),
                ]
            )
        )

    # -- reconciliation with invoices at import ----------------------------------------------
    # What the import reconciled, for the retrieval's notification (and the document's form).

    reconciled_line_ids = fields.Many2many(
        "account.bank.statement.line",
        "codabox_document_reconciled_line_rel",
        string="Lines reconciled at import",
        readonly=True,
        help="Statement lines this import reconciled with invoices by their structured "
        "communication.",
    )
    left_open_line_ids = fields.Many2many(
        "account.bank.statement.line",
        "codabox_document_left_open_line_rel",
        string="Lines left open at import",
        readonly=True,
        help="Statement lines with a structured communication this import could not "
        "reconcile; each has a note saying why.",
    )

    def _record_reconciliation(self, result):
        """Keep what the import reconciled (see ``_codabox_import_coda``'s result)."""
        Line = self.env["account.bank.statement.line"]
        self.write(
            {
                "reconciled_line_ids": [fields.Command.set(result.get("reconciled", Line).ids)],
                "left_open_line_ids": [fields.Command.set(result.get("left_open", Line).ids)],
            }
        )

    def _reconciliation_message(self):
        """What the imports of these documents reconciled, for a notification: "3 line(s)
        reconciled with INV/2026/00001, ... 1 line(s) with a structured communication left
        open: ...", or an empty string."""
        return self.env["account.bank.statement.line"]._codabox_reconcile_summary(
            self.reconciled_line_ids, self.left_open_line_ids
        )

    # -- problems seen by people --------------------------------------------------------------

    def _schedule_problem_activity(self):
        """One to-do for an accounting administrator of the company per failed document
        (for a file imported by hand, for who imported it)."""
        for document in self:
            if document.uploaded_by_id and not (document.connection_id or document.source_id):
                document._schedule_upload_activity()
                continue
            (document.connection_id or document.source_id)._schedule_problem_activity(
                document,
                _("CodaBox document to check: %(document)s", document=document.display_name),
                document.error_message,
            )

    def _schedule_upload_activity(self):
        """The to-do of a failed file imported by hand, for who imported it (else the
        database's administrator), once."""
        document = self.sudo()  # sudo: the ledger is written by this code only
        todo = self.env.ref("mail.mail_activity_data_todo")
        if document.activity_ids.filtered(lambda a: a.activity_type_id == todo):
            return
        user = document.uploaded_by_id
        if not user.active:
            user = self.env.ref("base.user_admin", raise_if_not_found=False)
        document.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("CODA file to check: %(document)s", document=document.display_name),
            note=document.error_message,
            user_id=user.id if user else self.env.uid,
        )

    def _close_problem_activities(self):
        self.activity_feedback(["mail.mail_activity_data_todo"], feedback=_("Imported."))

    # -- buttons ------------------------------------------------------------------------------

    def action_retry(self):
        """Import failed documents again, e.g. once the missing bank journal exists."""
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        self._import()
        return True

    def action_redownload(self):
        """Fetch the files of a document again from CodaBox (its re-download service), then
        import them: the way out when what CodaBox delivered was damaged."""
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        api_model = self.env["codabox.api"]
        for document in self.sudo():  # sudo: the credentials are the system's (checked above)
            if document.state == "imported" or not document.connection_id:
                continue  # a file delivery's files are stored whole: Retry imports them
            if document.state == "ignored" and document.kind != "coda":
                # Stored before with its PDF only: its every format, then imported when the
                # company imports its kind.
                document._fetch_files_again()
                if document._is_imported_kind():
                    document.write(
                        {"state": "received", "attempt_count": 0, "error_message": False}
                    )
                    document._import()
                continue
            client = document.connection_id._client()
            # Still in the feed: an ordinary download; acknowledged: CodaBox's re-download.
            fetch = client.redownload if document.acknowledged else client.download
            try:
                files = {fmt: fetch(document.feed_index, fmt) for fmt in document._formats()}
            except CodaboxError as error:
                raise api_model._user_error(error) from error
            document._attach_files(files)
            problem = document._delivery_problem(document._feed_entry(), document._stored_files())
            if problem:
                document._record_failure(problem)
                continue
            document.write({"state": "received", "attempt_count": 0, "error_message": False})
            document._import()
        return True

    def _stored_files(self):
        """``{"cod", "pdf", "xml"}``: the bytes stored of each format (b"" when none)."""
        self.ensure_one()
        return {
            "cod": self.coda_attachment_id.raw or b"",
            "pdf": self.pdf_attachment_id.raw or b"",
            "xml": self.xml_attachment_id.raw or b"",
        }

    def _fetch_files_again(self):
        """The document's every format fetched again (CodaBox's re-download service once it
        is acknowledged), replacing what is stored; its state unchanged."""
        self.ensure_one()
        client = self.connection_id._client()
        fetch = client.redownload if self.acknowledged else client.download
        try:
            files = {fmt: fetch(self.feed_index, fmt) for fmt in self._formats()}
        except CodaboxError as error:
            raise self.env["codabox.api"]._user_error(error) from error
        self._attach_files(files)
        self.message_post(
            body=_(
                "Fetched again from CodaBox: %(formats)s.",
                formats=", ".join(fmt.upper() for fmt, data in files.items() if data) or "-",
            )
        )

    def _formats(self):
        """The formats fetched again for this document (see ``_default_formats``)."""
        self.ensure_one()
        return self._default_formats(self.kind)

    @api.model
    def _default_formats(self, kind):
        """The formats CodaBox offers for a kind, when its pod client does not list them
        (notes.md: CODA as a file, its PDF and its XML; the others as PDF and XML)."""
        return ("cod", "pdf", "xml") if kind == "coda" else ("pdf", "xml")

    def _feed_entry(self):
        return FeedEntry(self.feed_index, self.kind or "", self.metadata or {})

    def action_create_journal(self):
        """The bank journal the statement needs, prefilled, in a dialog above the document:
        once it is saved, the document is shown again, with "Retry import" to import it."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_manager")
        action = self.env["account.journal"]._coda_new_journal_action(
            self.company_id, self.account_number, self.currency_name
        )
        view = self.env.ref("l10n_be_codabox_connect.view_account_journal_form_codabox_document")
        action.update(target="new", views=[(view.id, "form")])
        return action

    def action_open_moves(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_journal_line")
        action.update(domain=[("id", "in", self.move_ids.ids)], context={})
        if len(self.move_ids) == 1:
            action.update(res_id=self.move_ids.id, view_mode="form", views=[(False, "form")])
        return action

    @api.model
    def _kinds_turned_on(self, companies, kinds):
        """A company turned the import of these kinds on: its documents of them kept "Not
        imported" wait for the next retrieval (the daily job, woken now), to be imported."""
        waiting = (
            self.sudo()
            .search(  # sudo: the ledger, see its model
                [
                    ("company_id", "in", companies.ids),
                    ("kind", "in", kinds),
                    ("state", "=", "ignored"),
                    ("kind_turned_off", "=", True),
                ]
            )
            .filtered(lambda d: d._is_imported_kind())
        )
        waiting.write(
            {
                "state": "received",
                "attempt_count": 0,
                "error_message": False,
                "kind_turned_off": False,
            }
        )
        if waiting:
            self.env["codabox.connection"]._wake_daily_job()
        return waiting

    def action_open_statements(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_bank_statement_tree")
        action["domain"] = [("id", "in", self.statement_ids.ids)]
        return action
