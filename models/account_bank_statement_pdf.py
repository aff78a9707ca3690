from odoo import api, fields, models


class AccountBankStatement(models.Model):
    """The bank's PDF of a statement, in Odoo's PDF viewer on the statement's form.

    The PDF stays an attachment of the statement (see ``_coda_attachments``); this field only
    hands it to the ``pdf_viewer`` widget, which reads a binary field of the record it shows.
    """

    _inherit = "account.bank.statement"

    codabox_pdf = fields.Binary(
        string="Bank's PDF",
        compute="_compute_codabox_pdf",
        attachment=False,
        help="The statement as the bank prints it, delivered with its CODA file.",
    )

    @api.depends("attachment_ids")
    def _compute_codabox_pdf(self):
        for statement in self:
            statement.codabox_pdf = statement._codabox_pdf_attachment().datas

    def _codabox_pdf_attachment(self):
        """The attachment the viewer shows: the statement's first PDF.

        Overridden by modules that attach further PDFs to statements (e.g. scanned
        documents), to keep showing the bank's own.
        """
        self.ensure_one()
        return self.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf")[:1]
