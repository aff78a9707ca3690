from odoo import _, api, fields, models

from .account_bank_statement import CodaImportError, CodaUnknownAccountError


class CodaboxDocument(models.Model):
    """One document CodaBox delivered: the ledger that makes retrieval at-least-once and
    never twice.

    A feed entry is stored here (with its files) before it is imported, imported in a
    savepoint of its own, and acknowledged at CodaBox only once its outcome is recorded. An
    entry found here again (re-delivered, or not acknowledged because the run died) is
    acknowledged, never imported again.
    """

    _name = "codabox.document"
    _description = "CodaBox delivered document"
    _inherit = ["mail.thread"]
    _order = "received_at desc, id desc"
    _rec_name = "display_name"
    _check_company_auto = True

    connection_id = fields.Many2one(
        "codabox.connection", required=True, readonly=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    feed_id = fields.Char(required=True, readonly=True)
    feed_index = fields.Char(required=True, readonly=True)
    kind = fields.Char(string="Document type", readonly=True, help="CodaBox's document model")
    metadata = fields.Json(readonly=True)
    account_number = fields.Char(string="Account", readonly=True)
    currency_name = fields.Char(string="Currency", readonly=True)
    statement_date = fields.Date(readonly=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("imported", "Imported"),
            ("failed", "Failed"),
            ("ignored", "Ignored"),
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
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    acknowledged = fields.Boolean(readonly=True, help="CodaBox was told the document arrived.")
    coda_attachment_id = fields.Many2one("ir.attachment", string="CODA file", readonly=True)
    pdf_attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True)
    statement_ids = fields.Many2many("account.bank.statement", string="Statements", readonly=True)
    statement_count = fields.Integer(compute="_compute_statement_count")

    _sql_constraints = [
        (
            "feed_index_unique",
            "unique(feed_id, feed_index)",
            "A CodaBox feed entry is recorded once.",
        ),
    ]

    @api.depends("kind", "account_number", "statement_date", "feed_index")
    def _compute_display_name(self):
        for document in self:
            parts = [document.kind and document.kind.upper(), document.account_number]
            if document.statement_date:
                parts.append(fields.Date.to_string(document.statement_date))
            document.display_name = " ".join(p for p in parts if p) or document.feed_index

    @api.depends("statement_ids")
    def _compute_statement_count(self):
        for document in self:
            document.statement_count = len(document.statement_ids)

    @api.model
    def _store(self, connection, feed_id, entry, coda, pdf):
        """Record a delivered entry with its files, before anything else happens to it."""
        metadata = entry.metadata or {}
        document = self.sudo().create(
            {
                "connection_id": connection.id,
                "feed_id": feed_id,
                "feed_index": entry.feed_index,
                "kind": entry.document_model,
                "metadata": metadata,
                "account_number": metadata.get("iban"),
                "currency_name": metadata.get("currency"),
                "statement_date": metadata.get("new_balance_date") or False,
                "state": "received" if entry.document_model == "coda" else "ignored",
            }
        )
        name = (
            f"{metadata.get('iban') or entry.feed_index}-{metadata.get('new_balance_date') or ''}"
        )
        attachments = {}
        for field, data, extension, mimetype in (
            ("coda_attachment_id", coda, "cod", "application/octet-stream"),
            ("pdf_attachment_id", pdf, "pdf", "application/pdf"),
        ):
            if data:
                attachments[field] = (
                    self.env["ir.attachment"]
                    .sudo()
                    .create(
                        {
                            "name": f"{name}.{extension}",
                            "raw": data,
                            "mimetype": mimetype,
                            "res_model": self._name,
                            "res_id": document.id,
                            "company_id": connection.company_id.id,
                        }
                    )
                    .id
                )
        document.write(attachments)
        return document

    def _import(self):
        """Import the stored CODA file as statements; the outcome is recorded, never raised."""
        for document in self.sudo().filtered(lambda d: d.state in ("received", "failed")):
            if not document.coda_attachment_id:
                document.write(
                    {"state": "failed", "error_message": _("CodaBox delivered no CODA file.")}
                )
                continue
            try:
                with self.env.cr.savepoint():
                    # As the system, like the daily job: whoever clicks only asks for it.
                    result = document.env["account.bank.statement"]._codabox_import_coda(
                        document.coda_attachment_id.raw,
                        company=document.company_id,
                        filename=document.coda_attachment_id.name,
                        pdf=document.pdf_attachment_id.raw or b"",
                        pdf_filename=document.pdf_attachment_id.name,
                    )
            except CodaUnknownAccountError as error:
                document.write(
                    {
                        "state": "failed",
                        "error_message": str(error),
                        "missing_journal": True,
                        "account_number": error.account_number,
                        "currency_name": error.currency,
                    }
                )
                continue
            except CodaImportError as error:
                document.write({"state": "failed", "error_message": str(error)})
                continue
            statements = result["statements"]
            document.write(
                {
                    # Every statement was already there (a file delivered again): nothing new.
                    "state": "imported" if statements or not result["skipped"] else "ignored",
                    "missing_journal": False,
                    "error_message": "\n".join(result["skipped"] + result["warnings"]) or False,
                    "statement_ids": [fields.Command.set(statements.ids)],
                }
            )

    def action_retry(self):
        """Import failed documents again, e.g. once the missing bank journal exists."""
        self._import()
        return True

    def action_create_journal(self):
        """The bank journal the statement needs, prefilled; then "Retry import"."""
        self.ensure_one()
        return self.env["account.journal"]._coda_new_journal_action(
            self.company_id, self.account_number, self.currency_name
        )

    def action_open_statements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_bank_statement_tree")
        action["domain"] = [("id", "in", self.statement_ids.ids)]
        return action
