import base64
import io
import time
import zipfile
import zlib
from pathlib import PurePath

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..exceptions import CodaUnknownAccountError, ZipRefused

# What one upload may unpack: a year of daily CODA files and their PDFs for a few dozen
# accounts fits many times. Zip bombs (a few KB that unpack to gigabytes, or thousands of
# entries, or archives inside) are refused before anything is unpacked.
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_UNPACKED = 200 * 1024 * 1024
ZIP_READ_CHUNK = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
ARCHIVE_SUFFIXES = {".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz"}


class CodaImportWizardLine(models.TransientModel):
    """One outcome of an import: a statement imported or skipped, a warning, a refused file."""

    _name = "codabox.coda.import.wizard.line"
    _description = "CODA import result"
    _order = "id"

    wizard_id = fields.Many2one("codabox.coda.import.wizard", required=True, ondelete="cascade")
    filename = fields.Char(string="File", readonly=True)
    status = fields.Selection(
        [
            ("imported", "Imported"),
            ("in_progress", "Import in progress"),
            ("skipped", "Already imported"),
            ("warning", "Warning"),
            ("refused", "Refused"),
            ("reconciled", "Reconciled"),
        ],
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True)
    statement_id = fields.Many2one("account.bank.statement", readonly=True)
    account_number = fields.Char(readonly=True)
    currency = fields.Char(readonly=True)
    # A file refused for want of a bank journal is kept until the import is closed, to be
    # imported once the journal exists (CodaImportWizard._import_again).
    coda_data = fields.Binary(string="CODA file", attachment=False, readonly=True)
    pdf_data = fields.Binary(string="PDF", attachment=False, readonly=True)
    pdf_filename = fields.Char(readonly=True)

    def action_create_journal(self):
        """The bank journal of the unknown account, in a dialog above the import: once it is
        saved, the import's files refused for want of a journal go in (see
        account.journal.action_codabox_import_again)."""
        self.ensure_one()
        wizard = self.wizard_id
        self.env["codabox.api"]._check_rights(wizard.company_id, "account.group_account_user")
        action = self.env["account.journal"]._coda_new_journal_action(
            wizard.company_id, self.account_number, self.currency
        )
        view = self.env.ref("l10n_be_codabox_connect.view_account_journal_form_coda_import")
        action.update(target="new", views=[(view.id, "form")])
        action["context"]["codabox_coda_import_wizard_id"] = wizard.id
        return action


class CodaImportWizard(models.TransientModel):
    """The import of CODA files received otherwise than from CodaBox, uploaded by hand."""

    _name = "codabox.coda.import.wizard"
    _description = "Import CODA files"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Journal",
        readonly=True,
        help="The journal the import was opened from; each statement still goes to the "
        "journal of its own account.",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        string="Files",
        help="CODA files (.cod, .txt), with their PDF of the same name if you have it, or zip "
        "archives of them.",
    )
    state = fields.Selection(
        [("upload", "Upload"), ("done", "Result")], default="upload", required=True
    )
    line_ids = fields.One2many(
        "codabox.coda.import.wizard.line", "wizard_id", string="Results", readonly=True
    )
    statement_ids = fields.Many2many("account.bank.statement", readonly=True)

    @api.model
    def _coda_files(self, attachments):
        """The CODA files uploaded, zips opened, and the uploads refused.

        A PDF goes with the CODA file of the same name (``x.cod`` and ``x.pdf``); PDFs
        without one are ignored, and so are the hidden files archivers add to zips.

        :return: ``(files, refused)``: ``(filename, data, pdf, pdf filename)`` for each CODA
            file, ``(filename, message)`` for each upload refused whole
        """
        files, refused = [], []
        budget = ZIP_MAX_UNPACKED
        for attachment in attachments:
            raw = attachment.raw or b""
            if not zipfile.is_zipfile(io.BytesIO(raw)):
                files.append((attachment.name, raw))
                continue
            try:
                members = self._unzip(attachment.name, raw, budget)
            except ZipRefused as refusal:
                refused.append((attachment.name, str(refusal)))
                continue
            budget -= sum(len(data) for _name, data in members)
            files += members
        pdfs, codas = {}, []
        for name, data in sorted(files, key=lambda file: file[0]):
            if PurePath(name).suffix.lower() == ".pdf":
                pdfs[PurePath(name).stem] = (name, data)
            else:
                codas.append((name, data))
        result = []
        for name, data in codas:
            pdf_name, pdf = pdfs.get(PurePath(name).stem, (None, b""))
            result.append((name, data, pdf, pdf_name))
        return result, refused

    @api.model
    def _unzip(self, filename, raw, budget):
        """``(name, data)`` of each file of the zip ``raw``, or :class:`ZipRefused`.

        Zip bombs are refused before anything is unpacked, from what the central directory
        declares: too many entries, more bytes than ``budget``, an archive inside. Since
        declared sizes can lie, the bytes actually unpacked are counted too, chunk by chunk,
        and unpacking stops as soon as a member gives more than it declared.
        """
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                infos = [
                    info
                    for info in archive.infolist()
                    if not info.is_dir()
                    and not any(p.startswith((".", "__")) for p in PurePath(info.filename).parts)
                ]
                if len(archive.infolist()) > ZIP_MAX_MEMBERS:
                    raise ZipRefused(
                        _(
                            "%(file)s is refused: it holds %(count)s files, more than "
                            "%(limit)s. Upload its CODA files in several smaller archives.",
                            file=filename,
                            count=len(archive.infolist()),
                            limit=ZIP_MAX_MEMBERS,
                        )
                    )
                for info in infos:
                    if PurePath(info.filename).suffix.lower() in ARCHIVE_SUFFIXES:
                        raise self._nested(filename, info.filename)
                if sum(info.file_size for info in infos) > budget:
                    raise self._too_big(filename)
                members = []
                for info in infos:
                    data = self._read_member(archive, info, filename, budget)
                    budget -= len(data)
                    members.append((PurePath(info.filename).name, data))
                return members
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as error:
            raise self._damaged(filename, error) from error
        except (NotImplementedError, RuntimeError) as error:
            # Encrypted members, or a compression method zipfile does not know.
            raise self._damaged(filename, error) from error

    @api.model
    def _read_member(self, archive, info, filename, budget):
        """One member, read by chunks: never more than it declared, nor than ``budget``."""
        limit = min(info.file_size, budget)
        chunks, size = [], 0
        with archive.open(info) as member:
            while chunk := member.read(min(ZIP_READ_CHUNK, limit - size + 1)):
                size += len(chunk)
                if size > limit:
                    if size > info.file_size:
                        raise ZipRefused(
                            _(
                                "%(file)s is refused: %(member)s unpacks to more than the "
                                "archive declares.",
                                file=filename,
                                member=info.filename,
                            )
                        )
                    raise self._too_big(filename)
                if not chunks and chunk.startswith(ZIP_MAGIC):
                    raise self._nested(filename, info.filename)
                chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, filename):
        return ZipRefused(
            _(
                "%(file)s is refused: it unpacks to more than %(limit)s MB. Upload its CODA "
                "files in several smaller archives.",
                file=filename,
                limit=ZIP_MAX_UNPACKED // (1024 * 1024),
            )
        )

    def _nested(self, filename, member):
        return ZipRefused(
            _(
                "%(file)s is refused: it holds another archive (%(member)s). Upload the CODA "
                "files themselves, or one archive of them.",
                file=filename,
                member=member,
            )
        )

    def _damaged(self, filename, error):
        return ZipRefused(
            _(
                "%(file)s is refused: the archive is damaged, encrypted or of an unknown kind "
                "(%(error)s).",
                file=filename,
                error=error,
            )
        )

    def action_import(self):
        """Import each file on its own: one file refused does not stop the others."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        files, refused = self._coda_files(self.attachment_ids)
        if not files and not refused:
            raise UserError(_("Add the CODA files to import (.cod, .txt, or a zip of them)."))
        lines = [
            {"filename": filename, "status": "refused", "message": message}
            for filename, message in refused
        ]
        statements, results = self._import_files(files)
        self.attachment_ids.unlink()
        self.write(
            {
                "state": "done",
                "line_ids": [Command.create(vals) for vals in lines + results],
                "statement_ids": [Command.set(statements.ids)],
            }
        )
        return self._reopen()

    def _import_again(self):
        """Import again the files refused for want of a bank journal (e.g. once "Create
        Journal" made it): their new results replace their refusals, and a file whose
        account still has no journal is refused again."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        waiting = self.line_ids.filtered("coda_data")
        files = [
            (
                line.filename,
                base64.b64decode(line.coda_data),
                base64.b64decode(line.pdf_data or b""),
                line.pdf_filename,
            )
            for line in waiting
        ]
        statements, results = self._import_files(files)
        # sudo: results are not deletable by users, so that they stay what the import said;
        # these are this user's own (read above, through the record rule), replaced by what
        # the import says now.
        waiting.sudo().unlink()
        self.write(
            {
                "line_ids": [Command.create(vals) for vals in results],
                "statement_ids": [Command.link(statement.id) for statement in statements],
            }
        )
        return self._reopen()

    def _import_files(self, files):
        """Import each of ``files`` (see ``_coda_files``) on its own, within the request's
        time budget (``codabox.api._request_time_budget``): a statement too long for it is
        imported in part, and its file kept as a CodaBox document "Received" whose rest the
        daily job imports in parts, at once (``codabox.document._store_upload``).

        :return: ``(statements, results)``: the statements created, and the values of one
            result line per outcome
        """
        Statement = self.env["account.bank.statement"]
        Document = self.env["codabox.document"]
        deadline = time.monotonic() + self.env["codabox.api"]._request_time_budget()
        statements, uploads = Statement, Document
        lines = []
        for filename, data, pdf, pdf_filename in files:
            try:
                result = Statement._codabox_import_coda(
                    data,
                    company=self.company_id,
                    filename=filename,
                    pdf=pdf,
                    pdf_filename=pdf_filename,
                    max_lines=Document._lines_within(deadline),
                )
            except CodaUnknownAccountError as error:
                lines.append(
                    {
                        "filename": filename,
                        "status": "refused",
                        "message": error.args[0],
                        "account_number": error.account_number,
                        "currency": error.currency,
                        "coda_data": base64.b64encode(data),
                        "pdf_data": base64.b64encode(pdf) if pdf else False,
                        "pdf_filename": pdf_filename,
                    }
                )
                continue
            except UserError as error:
                lines.append({"filename": filename, "status": "refused", "message": error.args[0]})
                continue
            statements |= result["statements"]
            if result.get("incomplete"):
                uploads |= Document._store_upload(
                    self.company_id, filename, data, pdf, pdf_filename, result
                )
            for statement in result["statements"]:
                lines.append(self._statement_result(filename, statement))
            lines += [
                {"filename": filename, "status": "skipped", "message": message}
                for message in result["skipped"]
            ]
            lines += [
                {"filename": filename, "status": "warning", "message": message}
                for message in result["corrections"] + result["warnings"]
            ]
            # What the import reconciled with invoices (the company's setting), per file.
            summary = self.env["account.bank.statement.line"]._codabox_reconcile_summary(
                result.get("reconciled"), result.get("left_open")
            )
            if summary:
                lines.append({"filename": filename, "status": "reconciled", "message": summary})
        if uploads:  # their rest, at once
            self.env["codabox.connection"]._wake_daily_job()
        return statements, lines

    @api.model
    def _statement_result(self, filename, statement):
        """The result line of a statement the upload created: imported, or in progress
        (imported in part, the rest following in the background)."""
        if statement.codabox_import_incomplete:
            message = _(
                "%(statement)s is long: %(count)s line(s) imported in %(journal)s so far, the "
                'rest in the background in the next minutes (job "CodaBox: retrieve and '
                'import new bank statements"; the file is kept in CodaBox Documents).',
                statement=statement.name,
                count=len(statement.line_ids),
                journal=statement.journal_id.display_name,
            )
            status = "in_progress"
        else:
            message = _(
                "%(statement)s imported in %(journal)s.",
                statement=statement.name,
                journal=statement.journal_id.display_name,
            )
            status = "imported"
        return {
            "filename": filename,
            "status": status,
            "statement_id": statement.id,
            "message": message,
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Import CODA"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_statements(self):
        """The statements this upload created."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_bank_statement_tree")
        action["domain"] = [("id", "in", self.statement_ids.ids)]
        return action
