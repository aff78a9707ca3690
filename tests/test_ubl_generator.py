"""The Peppol BIS 3 invoices of dev/codagen/ubl.py, imported by Odoo's own importer
(account_edi_ubl_cii) the way a user's upload on a journal's card imports them
(account.journal._create_document_from_attachment): a purchase invoice becomes a draft vendor
bill, a sales invoice a draft customer invoice, a credit note a draft refund, with the XML's
partner, number, lines, taxes, totals and structured communication."""

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from odoo.tests import tagged

from ..compat import ODOO_19
from ..dev.codagen import generate_purchase_invoice, write_ubl_invoice
from ..dev.codagen.ubl import SUPPLIERS, Party, structured_communication
from .common import BelgianCompanyCase
from .parties import CLIENT_A_VAT

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def _xml_amounts(xml):
    """The XML's own totals and line count, read back from it."""
    root = ET.fromstring(xml)
    total = root.find("cac:LegalMonetaryTotal", NS)
    return {
        "payable": Decimal(total.findtext("cbc:PayableAmount", namespaces=NS)),
        "untaxed": Decimal(total.findtext("cbc:TaxExclusiveAmount", namespaces=NS)),
        "tax": Decimal(root.find("cac:TaxTotal", NS).findtext("cbc:TaxAmount", namespaces=NS)),
        "lines": len(root.findall("cac:InvoiceLine", NS) + root.findall("cac:CreditNoteLine", NS)),
        "rates": sorted(
            {
                Decimal(node.text)
                for node in root.iterfind(".//cac:ClassifiedTaxCategory/cbc:Percent", NS)
            }
        ),
    }


@tagged("post_install", "-at_install")
class TestUblGenerator(BelgianCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.company.vat:
            cls.company.vat = CLIENT_A_VAT
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        journals = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "in", ("purchase", "sale"))]
        )
        cls.purchase_journal = journals.filtered(lambda j: j.type == "purchase")[:1]
        cls.sale_journal = journals.filtered(lambda j: j.type == "sale")[:1]
        company = cls.company
        cls.company_party = Party(
            name=company.name,
            vat=company.vat,
            street=company.street or "Rue Haute 1",
            city=company.city or "Bruxelles",
            zip_code=company.zip or "1000",
        )

    def _import(self, xml, journal, move_type, name="invoice.xml"):
        """Odoo's own import of an XML file dropped on a journal, as its upload button does."""
        attachment = self.env["ir.attachment"].create(
            {"name": name, "raw": xml, "mimetype": "application/xml"}
        )
        moves = journal.with_context(default_move_type=move_type)._create_document_from_attachment(
            attachment.ids
        )
        self.assertEqual(len(moves), 1)
        return moves

    def _assert_matches_xml(self, move, xml, metadata=None):
        amounts = _xml_amounts(xml)
        self.assertEqual(move.state, "draft")
        self.assertEqual(move.company_id, self.company)
        self.assertEqual(len(move.invoice_line_ids), amounts["lines"])
        self.assertEqual(
            Decimal(str(move.amount_total)).quantize(Decimal("0.01")), amounts["payable"]
        )
        self.assertEqual(Decimal(str(move.amount_tax)).quantize(Decimal("0.01")), amounts["tax"])
        self.assertEqual(
            Decimal(str(move.amount_untaxed)).quantize(Decimal("0.01")), amounts["untaxed"]
        )
        tax_use = "sale" if move.is_sale_document() else "purchase"
        for line in move.invoice_line_ids:
            self.assertEqual(len(line.tax_ids), 1, line.name)
            self.assertEqual(line.tax_ids.type_tax_use, tax_use)
            self.assertEqual(line.tax_ids.company_id, self.company)
            self.assertFalse(line.tax_ids.price_include)
        self.assertEqual(
            sorted({Decimal(str(tax.amount)) for tax in move.invoice_line_ids.tax_ids}),
            amounts["rates"],
        )
        # Odoo's importer says in the chatter a tax it could not find: none here.
        logs = " ".join(move.message_ids.mapped("body"))
        self.assertNotIn("Could not retrieve the tax", logs)
        if metadata:
            self.assertEqual(move.ref, metadata["number"])
            self.assertEqual(move.payment_reference, metadata["payment_reference"])
            self.assertEqual(move.invoice_date, date.fromisoformat(metadata["issue_date"]))
            self.assertEqual(str(amounts["payable"]), metadata["total_incl_vat"])

    def test_purchase_invoice_new_supplier_with_pdf(self):
        """An office supplier's invoice at 21% and 6%, its PDF embedded: a draft vendor bill of
        a supplier Odoo creates with its VAT, its PDF attached."""
        xml, pdf, metadata = generate_purchase_invoice(
            1, supplier="office", customer=self.company_party, embed_pdf=True
        )
        self.assertFalse(
            self.env["res.partner"].search([("vat", "=", SUPPLIERS["office"].vat)]),
        )
        bill = self._import(xml, self.purchase_journal, "in_invoice")
        self.assertEqual(bill.move_type, "in_invoice")
        self.assertEqual(bill.journal_id, self.purchase_journal)
        self._assert_matches_xml(bill, xml, metadata)
        self.assertEqual(bill.invoice_date_due, date.fromisoformat(metadata["due_date"]))
        self.assertEqual([v["rate"] for v in metadata["vat"]], ["21", "6"])
        # The supplier, created from the XML: its VAT, its Peppol endpoint, its IBAN.
        self.assertEqual(bill.partner_id.vat, SUPPLIERS["office"].vat)
        # Odoo 18.0 names it by the party's name, 19.0 by its legal (registration) name.
        self.assertEqual(bill.partner_id.name, "Bureau Direct BV" if ODOO_19 else "Bureau Direct")
        self.assertEqual(bill.partner_id.peppol_eas, "0208")
        self.assertEqual(bill.partner_id.peppol_endpoint, SUPPLIERS["office"].vat[2:])
        self.assertEqual(bill.partner_bank_id.sanitized_acc_number, metadata["supplier_iban"])
        self.assertEqual(bill.partner_bank_id.partner_id, bill.partner_id)
        # The embedded PDF, attached to the bill as its main attachment; the XML too.
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", bill.id)]
        )
        pdfs = attachments.filtered(lambda a: a.mimetype == "application/pdf")
        self.assertEqual(pdfs.mapped("name"), [metadata["pdf_name"]])
        self.assertEqual(pdfs.raw, pdf)
        self.assertEqual(bill.message_main_attachment_id, pdfs)
        self.assertIn("invoice.xml", attachments.mapped("name"))

    def test_purchase_invoice_known_supplier(self):
        """Proximus, already a partner with its VAT: the bill is on it, at the company's 21%
        purchase tax."""
        proximus = self.env["res.partner"].create(
            {"name": "Proximus NV", "vat": SUPPLIERS["proximus"].vat, "is_company": True}
        )
        xml, _pdf, metadata = generate_purchase_invoice(
            2, supplier="proximus", customer=self.company_party
        )
        bill = self._import(xml, self.purchase_journal, "in_invoice")
        self.assertEqual(bill.partner_id, proximus)
        self._assert_matches_xml(bill, xml, metadata)
        # Odoo's importer takes the first 21% purchase tax not included in price: on be_comp,
        # "21% M" (goods), the company's default purchase tax.
        self.assertEqual(bill.invoice_line_ids.tax_ids, self.company.account_purchase_tax_id)
        self.assertEqual(bill.invoice_line_ids.tax_ids.amount, 21.0)

    def test_purchase_credit_note(self):
        """A fuel card's credit note: a draft vendor refund."""
        xml, _pdf, metadata = generate_purchase_invoice(
            3, supplier="fuel", customer=self.company_party, credit_note=True
        )
        self.assertIn(b"<CreditNote ", xml)
        refund = self._import(xml, self.purchase_journal, "in_invoice")
        self.assertEqual(refund.move_type, "in_refund")
        self._assert_matches_xml(refund, xml, metadata)
        self.assertEqual(refund.partner_id.vat, SUPPLIERS["fuel"].vat)

    def test_every_supplier(self):
        """Each supplier's usual invoice imports with Odoo's totals equal to the XML's."""
        for seed, kind in enumerate(sorted(SUPPLIERS)):
            with self.subTest(supplier=kind):
                xml, _pdf, metadata = generate_purchase_invoice(
                    10 + seed, supplier=kind, customer=self.company_party
                )
                bill = self._import(xml, self.purchase_journal, "in_invoice")
                self._assert_matches_xml(bill, xml, metadata)

    def test_sales_invoice(self):
        """The company's own invoice to a customer, imported in a sales journal: a draft
        customer invoice to the customer the XML names."""
        customer = Party(
            name="Garage Janssens",
            registration_name="Garage Janssens BV",
            vat="BE0417497106",
            street="Stationsstraat 10",
            city="Leuven",
            zip_code="3000",
        )
        reference = structured_communication(260001)
        xml = write_ubl_invoice(
            number="2026/0042",
            issue_date=date(2026, 11, 5),
            supplier=self.company_party,
            customer=customer,
            lines=[
                {"name": "Accounting services November", "quantity": 6, "unit_price": "85.00"},
                {"name": "Annual accounts filing", "quantity": 1, "unit_price": "350.00"},
            ],
            payment_reference=reference,
            order_reference="PO-778",
        )
        invoice = self._import(xml, self.sale_journal, "out_invoice")
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.partner_id.vat, "BE0417497106")
        self._assert_matches_xml(invoice, xml)
        self.assertEqual(invoice.ref, "2026/0042")
        self.assertEqual(invoice.payment_reference, reference)
        self.assertEqual(invoice.invoice_origin, "PO-778")
        self.assertEqual(invoice.amount_total, 1040.60)  # (6 x 85 + 350) x 1.21 = 860 + 180.60
