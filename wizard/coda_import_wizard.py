import io
import zipfile
from pathlib import PurePath

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..models.account_bank_statement import CodaUnknownAccountError


class CodaImportWizardLine(models.TransientModel):
    """One outcome of an upload: a statement imported or skipped, a warning, a refused file."""

    _name = "codabox.coda.import.wizard.line"
    _description = "CODA upload result"
    _order = "id"

    wizard_id = fields.Many2one("codabox.coda.import.wizard", required=True, ondelete="cascade")
    filename = fields.Char(string="File", readonly=True)
    status = fields.Selection(
        [
            ("imported", "Imported"),
            ("skipped", "Already imported"),
            ("warning", "Warning"),
            ("refused", "Refused"),
        ],
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True)
    statement_id = fields.Many2one("account.bank.statement", readonly=True)
    account_number = fields.Char(readonly=True)
    currency = fields.Char(readonly=True)

    def action_create_journal(self):
        """A new bank journal form for the unknown account, so that the file can then go in."""
        self.ensure_one()
        return self.env["account.journal"]._coda_new_journal_action(
            self.wizard_id.company_id, self.account_number, self.currency
        )


class CodaImportWizard(models.TransientModel):
    """The manual upload of CODA files: files received otherwise than from CodaBox."""

    _name = "codabox.coda.import.wizard"
    _description = "Upload CODA files"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Journal",
        readonly=True,
        help="The journal the upload was opened from; each statement still goes to the "
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
        """``(filename, data, pdf, pdf filename)`` for each CODA file uploaded, zips opened.

        A PDF goes with the CODA file of the same name (``x.cod`` and ``x.pdf``); PDFs
        without one are ignored, and so are the hidden files archivers add to zips.
        """
        files = []
        for attachment in attachments:
            raw = attachment.raw or b""
            if not zipfile.is_zipfile(io.BytesIO(raw)):
                files.append((attachment.name, raw))
                continue
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                for info in archive.infolist():
                    path = PurePath(info.filename)
                    if not info.is_dir() and not any(p.startswith((".", "__")) for p in path.parts):
                        files.append((path.name, archive.read(info)))
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
        return result

    def action_import(self):
        """Import each file on its own: one file refused does not stop the others."""
        self.ensure_one()
        files = self._coda_files(self.attachment_ids)
        if not files:
            raise UserError(_("Add the CODA files to import (.cod, .txt, or a zip of them)."))
        Statement = self.env["account.bank.statement"]
        lines, statements = [], Statement
        for filename, data, pdf, pdf_filename in files:
            try:
                result = Statement._codabox_import_coda(
                    data,
                    company=self.company_id,
                    filename=filename,
                    pdf=pdf,
                    pdf_filename=pdf_filename,
                )
            except CodaUnknownAccountError as error:
                lines.append(
                    {
                        "filename": filename,
                        "status": "refused",
                        "message": error.args[0],
                        "account_number": error.account_number,
                        "currency": error.currency,
                    }
                )
                continue
            except UserError as error:
                lines.append({"filename": filename, "status": "refused", "message": error.args[0]})
                continue
            statements |= result["statements"]
            for statement in result["statements"]:
                message = _(
                    "%(statement)s imported in %(journal)s.",
                    statement=statement.name,
                    journal=statement.journal_id.display_name,
                )
                lines.append(
                    {
                        "filename": filename,
                        "status": "imported",
                        "statement_id": statement.id,
                        "message": message,
                    }
                )
            lines += [
                {"filename": filename, "status": "skipped", "message": message}
                for message in result["skipped"]
            ]
            lines += [
                {"filename": filename, "status": "warning", "message": message}
                for message in result["warnings"]
            ]
        self.attachment_ids.unlink()
        self.write(
            {
                "state": "done",
                "line_ids": [Command.create(vals) for vals in lines],
                "statement_ids": [Command.set(statements.ids)],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Upload CODA"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_statements(self):
        """The statements this upload created."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_bank_statement_tree")
        action["domain"] = [("id", "in", self.statement_ids.ids)]
        return action
