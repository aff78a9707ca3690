from decimal import Decimal, InvalidOperation

from lxml import etree

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

# What the bill's check needs of a UBL or CII invoice, by local name (any namespace).
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
SALE_KINDS = ("sales_invoice",)


class CodaboxDocument(models.Model):
    """Invoices CodaBox delivers: draft vendor bills (purchase invoices, expenses) and draft
    customer invoices (sales invoices), read by Odoo's own UBL/CII importer
    (``account_edi_ubl_cii``) when CodaBox has the XML."""

    _inherit = "codabox.document"

    def _import_invoice(self):
        """The document as a draft bill or invoice of its company, its PDF the main
        attachment. With the XML, Odoo's importer fills partner, lines, taxes and totals,
        and the bill's total is compared with the XML's; without it, a draft with the PDF
        and what the metadata says. Recognised: the same invoice number of the same partner
        already in Odoo.

        :return: ``{"moves": the bill or invoice (or none), "warnings": [...]}``
        """
        self.ensure_one()
        move_type = "out_invoice" if self.kind in SALE_KINDS else "in_invoice"
        journal = self._invoice_journal(move_type)
        facts = self._invoice_xml_facts()
        duplicate = self._invoice_duplicate(move_type, facts.get("number"), facts.get("vat"))
        if duplicate:
            return {"moves": duplicate.browse(), "warnings": [self._duplicate_message(duplicate)]}
        if self.xml_attachment_id:
            move = self._invoice_from_xml(journal, move_type, facts)
        else:
            move = self._invoice_from_metadata(journal, move_type)
        duplicate = self._invoice_duplicate(
            move.move_type, move.ref, move.partner_id.vat, exclude=move
        )
        if duplicate:
            move.unlink()
            return {"moves": duplicate.browse(), "warnings": [self._duplicate_message(duplicate)]}
        self._invoice_attach_pdf(move)
        warnings = self._invoice_total_check(move, facts)
        for warning in warnings:
            move.message_post(body=warning)
        return {"moves": move, "warnings": warnings}

    def _invoice_journal(self, move_type):
        """The company's first purchase (bills) or sales (invoices) journal. Overridable to
        pick another, e.g. one per supplier."""
        journal_type = "sale" if move_type == "out_invoice" else "purchase"
        Journal = self.env["account.journal"].with_company(self.company_id)
        journal = Journal.search(
            [*Journal._check_company_domain(self.company_id), ("type", "=", journal_type)],
            limit=1,
        )
        if not journal:
            raise UserError(
                _(
                    "%(company)s has no %(type)s journal for this document.",
                    company=self.company_id.name,
                    type=_("sales") if journal_type == "sale" else _("purchase"),
                )
            )
        return journal

    def _invoice_from_xml(self, journal, move_type, facts):
        """A draft made by Odoo's own importer from a copy of the stored XML (the ledger
        keeps its own); refused when the importer made nothing of it."""
        # sudo: the ledger's attachment, copied for the bill the import makes.
        xml = self.xml_attachment_id.sudo().copy({"res_model": False, "res_id": 0})
        Journal = journal.with_company(self.company_id).with_context(
            default_move_type=move_type, default_journal_id=journal.id
        )
        move = Journal._create_document_from_attachment(xml.ids)
        if not move.invoice_line_ids and facts.get("total"):
            raise UserError(
                _(
                    "Odoo's UBL/CII importer could not read the invoice's XML (no line came "
                    "out of it): nothing was booked. The PDF and the XML are kept on this "
                    "document; enter the invoice by hand from the PDF, or ask its issuer for a "
                    "valid e-invoice."
                )
            )
        return move

    def _invoice_from_metadata(self, journal, move_type):
        """Without XML: a draft with the partner and invoice number the metadata gives."""
        metadata = self.metadata if isinstance(self.metadata, dict) else {}
        partner = self.env["res.partner"]
        vat = metadata.get("customer_vat" if self.kind in SALE_KINDS else "supplier_vat")
        if isinstance(vat, str) and vat:
            partner = partner.search(
                [
                    *partner._check_company_domain(self.company_id),
                    ("vat", "=", vat.replace(" ", "").upper()),
                ],
                limit=1,
            )
        return (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": move_type,
                    "journal_id": journal.id,
                    "partner_id": partner.id,
                    "ref": metadata.get("number") or False,
                    "invoice_date": metadata.get("issue_date") or False,
                    "invoice_date_due": metadata.get("due_date") or False,
                }
            )
        )

    def _invoice_attach_pdf(self, move):
        if not self.pdf_attachment_id:
            return
        # sudo: the ledger's attachment, copied onto the bill the import made.
        pdf = self.pdf_attachment_id.sudo().copy({"res_model": "account.move", "res_id": move.id})
        move.message_main_attachment_id = pdf

    def _invoice_duplicate(self, move_type, number, vat, exclude=None):
        """The bill or invoice of the company with that number from the same partner (by
        VAT number), if there is one already."""
        if not number:
            return self.env["account.move"]
        types = (
            ("out_invoice", "out_refund")
            if move_type.startswith("out_")
            else (
                "in_invoice",
                "in_refund",
            )
        )
        domain = [
            ("company_id", "=", self.company_id.id),
            ("move_type", "in", types),
            ("ref", "=", number),
            ("state", "!=", "cancel"),
        ]
        if vat:
            domain.append(("partner_id.vat", "=", vat))
        if exclude:
            domain.append(("id", "!=", exclude.id))
        return self.env["account.move"].search(domain, limit=1)

    @api.model
    def _duplicate_message(self, move):
        return _(
            "This invoice is in Odoo already: %(move)s (same number, same partner); it was not "
            "imported again.",
            move=move.display_name,
        )

    def _invoice_total_check(self, move, facts):
        """The bill's total against the XML's amount payable: a difference is said."""
        total = facts.get("total")
        if total is None:
            return []
        if not float_compare(float(total), move.amount_total, precision_digits=2):
            return []
        amounts = {"odoo": f"{move.amount_total:.2f}", "xml": f"{total:.2f}"}
        return [
            _(
                "The total of %(move)s (%(odoo)s) is not the invoice's amount payable in its XML "
                "(%(xml)s): check its lines and taxes against the PDF.",
                move=move.display_name,
                **amounts,
            )
        ]

    def _invoice_xml_facts(self):
        """The invoice number, the partner's VAT number (the supplier's for a purchase, the
        customer's for a sale) and the amount payable of the stored UBL or CII XML: ``{}``
        when there is none or it cannot be read (Odoo's importer then says why)."""
        data = self.xml_attachment_id.raw or b""
        if not data.strip():
            return {}
        try:
            root = etree.fromstring(data, XML_PARSER)
        except etree.XMLSyntaxError:
            return {}

        def first(path):
            found = root.xpath(path)
            return (found[0].text or "").strip() if found else None

        party = "AccountingCustomerParty" if self.kind in SALE_KINDS else "AccountingSupplierParty"
        facts = {
            "number": first("/*/*[local-name()='ID']"),
            "vat": first(
                f"/*/*[local-name()='{party}']//*[local-name()='PartyTaxScheme']"
                "/*[local-name()='CompanyID']"
            ),
        }
        total = first("//*[local-name()='LegalMonetaryTotal']/*[local-name()='PayableAmount']")
        try:
            facts["total"] = Decimal(total) if total else None
        except InvalidOperation:
            facts["total"] = None
        return facts
