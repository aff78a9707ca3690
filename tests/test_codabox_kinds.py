"""Everything CodaBox delivers becomes accounting: SODA payroll entries and invoices, retrieved
from the sandbox into PostgreSQL; a kind turned off is kept "Not imported" and imported once
turned on."""

import base64
from dataclasses import replace
from decimal import Decimal

from odoo.tests.common import tagged

from ..dev.codagen import generate_purchase_invoice, generate_soda, write_soda
from ..soda import ERRORS
from .common import PDF, BelgianCompanyCase, SandboxMixin
from .parties import CLIENT_A_VAT, OFFICE_LOGIN, OFFICE_VAT, seed_company

# An invoice Odoo's importer cannot make a bill of: a number and an amount, no party, no line.
UBL = "urn:oasis:names:specification:ubl:schema:xsd"
UNREADABLE_UBL = (
    f'<Invoice xmlns="{UBL}:Invoice-2" xmlns:cbc="{UBL}:CommonBasicComponents-2" '
    f'xmlns:cac="{UBL}:CommonAggregateComponents-2"><cbc:ID>X-1</cbc:ID>'
    "<cac:LegalMonetaryTotal><cbc:PayableAmount>121.00</cbc:PayableAmount>"
    "</cac:LegalMonetaryTotal></Invoice>"
).encode()


def soda_document(soda, pdf=PDF):
    return {
        "document_model": "soda",
        "metadata": {"period": soda.accounting_period},
        "xml": base64.b64encode(write_soda(soda)).decode(),
        "pdf": base64.b64encode(pdf).decode(),
    }


@tagged("post_install", "-at_install")
class TestCodaboxKinds(SandboxMixin, BelgianCompanyCase):
    sandbox_companies = (seed_company(CLIENT_A_VAT, "Client A", "A"),)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        cls.company.write({"vat": CLIENT_A_VAT, "codabox_office_vat": OFFICE_VAT})
        cls.enterprise = CLIENT_A_VAT[2:]

    def setUp(self):
        super().setUp()
        _office, self.connection = self.connect_with_consent(self.company, OFFICE_VAT, OFFICE_LOGIN)

    def deliver(self, *documents):
        return self.sandbox.add_documents(CLIENT_A_VAT, list(documents))

    def retrieve(self):
        return self.connection.with_company(self.company)._retrieve(with_commit=False)

    def documents(self, kind=None):
        domain = [("company_id", "=", self.company.id)]
        return self.env["codabox.document"].search(domain + ([("kind", "=", kind)] if kind else []))

    # -- SODA ------------------------------------------------------------------------------------

    def test_a_soda_becomes_a_draft_payroll_entry_with_its_pdf(self):
        soda = generate_soda(self.enterprise, "202611", employees=3, seed=1)
        self.deliver(soda_document(soda))
        self.retrieve()
        document = self.documents("soda")
        self.assertEqual(document.state, "imported", document.error_message)
        move = document.move_ids
        self.assertEqual(len(move), 1)
        self.assertEqual(move.state, "draft")
        self.assertEqual(move.journal_id.code, "SODA")
        self.assertEqual(move.journal_id, self.company.codabox_soda_journal_id)
        self.assertEqual(str(move.date), "2026-11-30")
        self.assertEqual(move.message_main_attachment_id.raw, PDF)
        self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), float(soda.total_debit), 2)
        self.assertEqual(len(move.line_ids), len(soda.lines))
        # The Belgian PCMN codes of the payroll are the chart's accounts: mapped at once.
        self.assertFalse(move.codabox_soda_unmapped)
        by_code = {line.codabox_soda_code: line.account_id.code for line in move.line_ids}
        self.assertTrue(all(account.startswith(code[:4]) for code, account in by_code.items()))
        # The same SODA delivered again: recognised, nothing booked twice.
        self.deliver(soda_document(soda))
        self.retrieve()
        again = self.documents("soda") - document
        self.assertEqual(again.state, "ignored")
        self.assertIn("imported already", again.error_message)
        self.assertEqual(
            self.env["account.move"].search_count(
                [("codabox_soda_key", "=", move.codabox_soda_key)]
            ),
            1,
        )

    def test_unmapped_social_accounts_go_to_suspense_until_mapped(self):
        soda = generate_soda(self.enterprise, "202610", seed=2)
        first = soda.lines[0]
        soda = replace(soda, lines=(replace(first, account="SAL-77"), *soda.lines[1:]))
        self.deliver(soda_document(soda))
        self.retrieve()
        document = self.documents("soda")
        move = document.move_ids
        suspense = self.company.account_journal_suspense_account_id
        line = move.line_ids.filtered(lambda item: item.codabox_soda_code == "SAL-77")
        self.assertEqual(line.account_id, suspense)
        self.assertTrue(move.codabox_soda_unmapped)
        self.assertIn("SAL-77", document.error_message)
        mapping = self.env["codabox.soda.mapping"].search(
            [("company_id", "=", self.company.id), ("code", "=", "SAL-77")]
        )
        self.assertFalse(mapping.account_id)
        salaries = self.env["account.account"].search(
            [
                *self.env["account.account"]._check_company_domain(self.company),
                ("code", "=like", "6202%"),
            ],
            limit=1,
        )
        mapping.account_id = salaries
        move.action_codabox_apply_soda_mapping()
        self.assertEqual(line.account_id, salaries)
        self.assertFalse(move.codabox_soda_unmapped)

    def test_a_soda_of_another_enterprise_fails_and_books_nothing(self):
        soda = generate_soda("0403170701", "202611", seed=3, enterprise_label="Other SA")
        self.deliver(soda_document(soda))
        self.retrieve()
        document = self.documents("soda")
        self.assertEqual(document.state, "failed")
        self.assertIn("0403170701 (Other SA)", document.error_message)
        self.assertFalse(self.env["account.move"].search([("codabox_soda_key", "!=", False)]))
        self.assertTrue(document.activity_ids)

    def test_an_unbalanced_soda_fails_with_its_totals(self):
        soda = generate_soda(self.enterprise, "202611", seed=4)
        first = soda.lines[0]
        soda = replace(
            soda, lines=(replace(first, debit=first.debit + Decimal("0.01")), *soda.lines[1:])
        )
        self.deliver(soda_document(soda))
        self.retrieve()
        document = self.documents("soda")
        self.assertEqual(document.state, "failed")
        self.assertIn(
            f"debit {soda.total_debit}, credit {soda.total_credit}", document.error_message
        )

    def test_an_unreadable_soda_fails_naming_what_is_wrong(self):
        self.deliver(
            {
                "document_model": "soda",
                "metadata": {},
                "xml": base64.b64encode(b"<Invoice/>").decode(),
                "pdf": base64.b64encode(PDF).decode(),
            }
        )
        self.retrieve()
        document = self.documents("soda")
        self.assertEqual(document.state, "failed")
        self.assertIn("not a SODA file", document.error_message)
        self.assertEqual(document.pdf_attachment_id.raw, PDF)  # nothing lost

    def test_every_soda_error_code_has_its_words(self):
        self.assertEqual(set(self.env["codabox.document"]._soda_messages()), set(ERRORS))

    # -- a kind turned off, then on ---------------------------------------------------------------

    def test_a_kind_turned_off_is_kept_then_imported_once_turned_on(self):
        self.company.codabox_import_soda = False
        soda = generate_soda(self.enterprise, "202609", seed=5)
        (index,) = self.deliver(soda_document(soda))
        self.retrieve()
        document = self.documents("soda")
        self.assertEqual(document.state, "ignored")
        self.assertIn("does not import this kind", document.error_message)
        self.assertTrue(document.xml_attachment_id and document.pdf_attachment_id)
        self.assertTrue(self.sandbox.request_log("PUT", "/v2/delivery/feed/"))  # acknowledged
        self.company.codabox_import_soda = True
        self.assertEqual(document.state, "received")
        self.retrieve()  # the next retrieval (the daily job, woken) imports what is stored
        self.assertEqual(document.state, "imported")
        self.assertEqual(len(document.move_ids), 1)
        self.assertFalse(self.sandbox.request_log("GET", f"/v2/delivery/download/{index}/xml/")[1:])

    # -- invoices ---------------------------------------------------------------------------------

    def invoice_document(self, kind="purchase_invoice", seed=1, xml=True, **options):
        customer = {"name": self.company.name, "vat": CLIENT_A_VAT}
        xml_bytes, pdf, metadata = generate_purchase_invoice(seed, customer=customer, **options)
        return {
            "document_model": kind,
            "metadata": metadata,
            "xml": base64.b64encode(xml_bytes).decode() if xml else "",
            "pdf": base64.b64encode(pdf).decode(),
        }, metadata

    def test_a_purchase_invoice_becomes_a_draft_vendor_bill_by_odoos_importer(self):
        document_values, metadata = self.invoice_document(supplier="proximus")
        self.deliver(document_values)
        self.retrieve()
        document = self.documents("purchase_invoice")
        self.assertEqual(document.state, "imported", document.error_message)
        bill = document.move_ids
        self.assertEqual((bill.move_type, bill.state), ("in_invoice", "draft"))
        self.assertEqual(bill.ref, metadata["number"])
        self.assertEqual(bill.partner_id.vat, metadata["supplier_vat"])
        self.assertAlmostEqual(bill.amount_total, float(metadata["total_incl_vat"]), 2)
        self.assertEqual(len(bill.invoice_line_ids), metadata["line_count"])
        self.assertEqual(bill.message_main_attachment_id.mimetype, "application/pdf")
        self.assertFalse(document.error_message)  # the totals agree
        # Delivered again (another CodaBox entry): the same number of the same supplier.
        self.deliver(document_values)
        self.retrieve()
        again = self.documents("purchase_invoice") - document
        self.assertEqual(again.state, "ignored")
        self.assertIn("in Odoo already", again.error_message)

    def test_a_sales_invoice_becomes_a_draft_customer_invoice(self):
        customer = {"name": "Customer SRL", "vat": "BE0403170701"}
        supplier = {"name": self.company.name, "vat": CLIENT_A_VAT}
        xml_bytes, pdf, metadata = generate_purchase_invoice(
            7, supplier=supplier, customer=customer
        )
        self.deliver(
            {
                "document_model": "sales_invoice",
                "metadata": metadata,
                "xml": base64.b64encode(xml_bytes).decode(),
                "pdf": base64.b64encode(pdf).decode(),
            }
        )
        self.retrieve()
        invoice = self.documents("sales_invoice").move_ids
        self.assertEqual((invoice.move_type, invoice.state), ("out_invoice", "draft"))
        self.assertAlmostEqual(invoice.amount_total, float(metadata["total_incl_vat"]), 2)

    def test_a_credit_note_and_an_expense(self):
        credit, _meta = self.invoice_document(seed=3, credit_note=True)
        expense, _meta = self.invoice_document(kind="expense", seed=4, supplier="fuel")
        self.deliver(credit, expense)
        self.retrieve()
        self.assertEqual(self.documents("purchase_invoice").move_ids.move_type, "in_refund")
        self.assertEqual(self.documents("expense").move_ids.move_type, "in_invoice")

    def test_without_xml_a_draft_with_the_pdf_and_the_metadata(self):
        document_values, metadata = self.invoice_document(seed=5, xml=False)
        self.deliver(document_values)
        self.retrieve()
        bill = self.documents("purchase_invoice").move_ids
        self.assertEqual(bill.ref, metadata["number"])
        self.assertEqual(bill.message_main_attachment_id.mimetype, "application/pdf")

    def test_an_xml_odoo_cannot_read_fails_and_keeps_the_pdf(self):
        document_values, _metadata = self.invoice_document(seed=6)
        document_values["xml"] = base64.b64encode(UNREADABLE_UBL).decode()
        self.deliver(document_values)
        self.retrieve()
        document = self.documents("purchase_invoice")
        self.assertEqual(document.state, "failed")
        self.assertIn("could not read the invoice's XML", document.error_message)
        self.assertTrue(document.pdf_attachment_id.raw.startswith(b"%PDF"))
        self.assertFalse(self.env["account.move"].search([("ref", "=", "X-1")]))

    def test_a_soda_delivered_without_its_xml_is_fetched_again(self):
        soda = generate_soda(self.enterprise, "202608", seed=8)
        (index,) = self.deliver(soda_document(soda))
        # The XML's download answers an empty body: stored without it, the document fails.
        self.sandbox.add_fault("empty", method="GET", path=f"/v2/delivery/download/{index}/xml/")
        self.retrieve()
        document = self.documents("soda")
        self.assertEqual(document.state, "failed")
        self.assertIn("no XML", document.error_message)
        # Download again (CodaBox's re-download service, the document being acknowledged).
        self.assertTrue(document.redownload_offered)
        document.action_redownload()
        self.assertEqual(document.state, "imported", document.error_message)

    def test_a_document_stored_before_with_its_pdf_only_is_imported_after_download_again(self):
        soda = generate_soda(self.enterprise, "202607", seed=9)
        self.deliver(soda_document(soda))
        self.company.codabox_import_soda = False
        self.retrieve()
        document = self.documents("soda")
        # As an earlier version left it: "Not imported", its PDF only, the kind now imported.
        document.xml_attachment_id.unlink()
        document.write({"kind_turned_off": False})
        self.company.codabox_import_soda = True
        self.assertEqual(document.state, "ignored")
        self.assertTrue(document.redownload_offered)
        document.action_redownload()
        self.assertEqual(document.state, "imported", document.error_message)

    def test_the_retrieval_says_which_draft_entries_it_made(self):
        self.deliver(soda_document(generate_soda(self.enterprise, "202606", seed=10)))
        notification = self.connection.with_company(self.company)._retrieval_notification(
            self.retrieve()
        )
        self.assertIn(
            "1 draft entry(ies) made, to check and post", notification["params"]["message"]
        )

    def test_a_total_other_than_the_xmls_is_said_on_the_bill(self):
        document_values, metadata = self.invoice_document(seed=11, supplier="proximus")
        payable = metadata["total_incl_vat"]
        xml = base64.b64decode(document_values["xml"]).replace(
            f">{payable}</cbc:PayableAmount>".encode(), b">9999.99</cbc:PayableAmount>"
        )
        self.assertIn(b">9999.99</cbc:PayableAmount>", xml)
        self.deliver(dict(document_values, xml=base64.b64encode(xml).decode()))
        self.retrieve()
        document = self.documents("purchase_invoice")
        bill = document.move_ids
        self.assertEqual(document.state, "imported")
        self.assertIn(
            "is not the invoice's amount payable in its XML (9999.99)", document.error_message
        )
        self.assertIn("9999.99", bill.message_ids[0].body)
