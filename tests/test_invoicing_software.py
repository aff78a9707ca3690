"""Odoo as an SME's invoicing software (issue #17): connected with the token CodaBox e-mails,
its own CODA pays its invoices, and its sales invoices go to its accounting office through
CodaBox, at least once and never twice. Against the sandbox over real HTTP."""

import base64

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests.common import new_test_user, tagged

from ..codabox_client import CodaboxClient, CredentialsRefused
from .common import SandboxMixin
from .parties import (
    CLIENT_A_VAT,
    CLIENT_B_VAT,
    CLIENT_C_VAT,
    OFFICE_LOGIN,
    OFFICE_VAT,
    seed_company,
)
from .reconcile_common import BANK_IBAN, ReconcileCase

SME_EMAIL = "compta@client-a.example"
UNKNOWN_VAT = "BE0477472701"  # a valid number CodaBox does not know in these tests
UBL_NS = "urn:oasis:names:specification:ubl:schema:xsd"


@tagged("post_install", "-at_install")
class TestInvoicingSoftware(SandboxMixin, ReconcileCase):
    sandbox_companies = (
        # The SME: a client of the office, with the e-mail address CodaBox knows.
        seed_company(CLIENT_A_VAT, "Client A", "A", ibans=[BANK_IBAN], email=SME_EMAIL),
        seed_company(CLIENT_B_VAT, "Client B", "B"),  # no e-mail address at CodaBox
        seed_company(CLIENT_C_VAT, "Client C", "C", office_vat=None, email="c@c.example"),
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        cls.company.write(
            {"vat": CLIENT_A_VAT, "street": "Rue Haute 1", "zip": "1000", "city": "Bruxelles"}
        )
        cls.customer.write(
            {
                "vat": "BE0477472701",
                "street": "Grote Markt 1",
                "zip": "9000",
                "city": "Gent",
                "country_id": cls.env.ref("base.be").id,
            }
        )
        cls.customer_bank = cls.env["res.partner.bank"].create(
            {"acc_number": "BE48001123456727", "partner_id": cls.customer.id}
        )

    # -- helpers --------------------------------------------------------------------------------

    def open_wizard(self, company=None):
        settings = self.env["res.config.settings"].with_company(company or self.company).create({})
        action = settings.action_codabox_connect_invoicing_software()
        return self.env[action["res_model"]].browse(action["res_id"])

    def token_for(self, vat):
        messages = [m for m in self.sandbox.outbox() if m["vat"] == vat]
        self.assertTrue(messages, f"no token e-mailed for {vat}")
        return messages[-1]["token"]

    def connect(self):
        wizard = self.open_wizard()
        wizard.action_request_token()
        wizard.token = self.token_for(CLIENT_A_VAT)
        wizard.action_activate()
        connection = self.company._codabox_connection()
        self.assertEqual(connection.kind, "invoicing_software")
        return connection

    def invoice(self, price, move_type="out_invoice"):
        """A customer invoice (credit note) of one line at 21% VAT, posted: Peppol BIS 3
        wants a tax on every line."""
        move = self._document(price, move_type=move_type, post=False)
        move.invoice_line_ids.tax_ids = self.company.account_sale_tax_id
        if move_type == "out_refund":  # paid back to the customer's account
            move.partner_bank_id = self.customer_bank
        move.action_post()
        return move

    def sales_documents(self):
        company = next(c for c in self.sandbox.state()["companies"] if c["vat"] == CLIENT_A_VAT)
        return [d for d in company["documents"] if d["document_model"] == "sales_invoice"]

    # -- connecting -----------------------------------------------------------------------------

    def test_the_token_emailed_connects_the_company(self):
        wizard = self.open_wizard()
        self.assertEqual(wizard.step, "request")
        wizard.action_request_token()
        self.assertFalse(wizard.error_message)
        self.assertEqual(wizard.step, "token")
        self.assertEqual(wizard.token_email, "c***@client-a.example")
        waiting = self.company._codabox_waiting_for_token()
        self.assertEqual(waiting.state, "token_requested")
        # Closed and opened again: straight to the token.
        self.assertEqual(self.open_wizard().step, "token")

        token = self.token_for(CLIENT_A_VAT)
        wizard.token = token
        # The typed token is kept encrypted only, and never read back.
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT token_encrypted FROM codabox_invoicing_software_wizard WHERE id = %s",
            [wizard.id],
        )
        stored = self.env.cr.fetchone()[0]
        self.assertTrue(stored)
        self.assertNotIn(token, stored)
        wizard.invalidate_recordset()
        self.assertFalse(wizard.token)

        action = wizard.action_activate()
        self.assertEqual(action["params"]["type"], "success")
        connection = self.company._codabox_connection()
        self.assertEqual((connection.kind, connection.state), ("invoicing_software", "connected"))
        self.assertFalse(connection.office_id)
        self.assertFalse(wizard.sudo().token_encrypted)
        # The credentials work: the status check asks CodaBox.
        connection.action_refresh_status()
        self.assertTrue(connection.checked_at)

        # The token is used once.
        other = self.open_wizard()
        other.write({"step": "token"})
        other.token = token
        other.action_activate()
        self.assertIn("already used", other.error_message)

    def test_codabox_refusals_are_shown_as_codabox_gives_them(self):
        cases = {
            UNKNOWN_VAT: "does not know the enterprise number",
            CLIENT_B_VAT: "no e-mail address",
            CLIENT_C_VAT: "not as the client of an accounting office",
        }
        for vat, words in cases.items():
            with self.subTest(vat=vat):
                self.company.vat = vat
                wizard = self.open_wizard()
                wizard.action_request_token()
                self.assertEqual(wizard.step, "request")
                self.assertIn(words, wizard.error_message)
                self.assertFalse(self.company._codabox_waiting_for_token())
        self.company.vat = CLIENT_A_VAT

    def test_codabox_refusal_in_the_users_language(self):
        expected = {
            "nl_BE": "kent het ondernemingsnummer van",
            "fr_BE": "ne connaît pas le numéro d'entreprise de",
        }
        self.company.vat = UNKNOWN_VAT
        for lang, words in expected.items():
            with self.subTest(lang=lang):
                self.env["res.lang"]._activate_lang(lang)
                self.env["ir.module.module"]._load_module_terms(["l10n_be_codabox_connect"], [lang])
                wizard = self.open_wizard().with_context(lang=lang)
                wizard.action_request_token()
                self.assertIn(words, wizard.error_message)
        self.company.vat = CLIENT_A_VAT

    def test_only_accounting_administrators_connect(self):
        billing = new_test_user(
            self.env,
            login="billing-sme",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        settings = self.env["res.config.settings"].create({}).with_user(billing)
        with self.assertRaises(AccessError):
            settings.action_codabox_connect_invoicing_software()
        wizard = self.open_wizard().with_user(billing)
        for action in ("action_request_token", "action_activate"):
            with self.assertRaises(AccessError):
                getattr(wizard, action)()
        with self.assertRaises(AccessError):
            self.env["codabox.invoicing.software.wizard"].with_user(billing)._open_for(self.company)
        self.assertFalse(self.sandbox.outbox())

    def test_revoke_ends_the_connection_at_codabox_too(self):
        connection = self.connect()
        credentials = (connection.sudo().username, connection.sudo().password)
        client = CodaboxClient(self.sandbox.url, self.sandbox.software_id, credentials=credentials)
        client.pod_client()  # they open the company's feed until revoked
        wizard_action = (
            self.env["res.config.settings"].create({}).action_codabox_manage_connection()
        )
        wizard = self.env[wizard_action["res_model"]].browse(wizard_action["res_id"])
        self.assertEqual((wizard.step, wizard.connection_kind), ("manage", "invoicing_software"))
        wizard.action_revoke()
        self.assertEqual(connection.state, "revoked")
        self.assertFalse(connection.sudo().password)
        software = [
            c for c in self.sandbox.state()["connections"] if c["kind"] == "invoicing_software"
        ]
        self.assertEqual([c["revoked"] for c in software], [True])
        # Those credentials no longer open anything at CodaBox.
        with self.assertRaises(CredentialsRefused):
            client.pod_client()

    # -- its own CODA ---------------------------------------------------------------------------

    def test_its_coda_marks_its_invoices_paid(self):
        connection = self.connect()
        invoice = self.invoice(250.0)
        self.sandbox.add_documents(
            CLIENT_A_VAT,
            [
                {
                    "document_model": "coda",
                    "metadata": {"iban": BANK_IBAN, "currency": "EUR"},
                    "cod": base64.b64encode(
                        self._coda(
                            self._movement(f"{invoice.amount_total:.2f}", invoice.payment_reference)
                        )
                    ).decode(),
                }
            ],
        )
        result = connection.with_company(self.company)._retrieve(with_commit=False)
        self.assertFalse(result["error"])
        document = result["documents"]
        self.assertEqual(document.state, "imported", document.error_message)
        self.assertTrue(document.acknowledged)
        line = document.statement_ids.line_ids
        self.assertReconciledWith(line, invoice)

    # -- its sales invoices ------------------------------------------------------------------------

    def test_posted_invoices_go_to_the_accounting_office_by_the_job(self):
        self.connect()
        invoice = self.invoice(100.0)
        refund = self.invoice(40.0, move_type="out_refund")
        ledger = self.env["codabox.sent.invoice"].search([("company_id", "=", self.company.id)])
        self.assertEqual(set(ledger.mapped("state")), {"to_send"})
        self.assertEqual(ledger.move_id, invoice | refund)
        # Bills are not sent.
        self._document(30.0, move_type="in_invoice", reference="BILL-1")
        self.assertEqual(len(ledger.search([("company_id", "=", self.company.id)])), 2)

        self.env["codabox.sent.invoice"]._cron_send(with_commit=False)
        self.assertEqual(set(ledger.mapped("state")), {"sent"}, ledger.mapped("last_error"))
        self.assertEqual(invoice.codabox_send_state, "sent")
        self.assertIn("Sent to CodaBox", invoice.message_ids[0].body)

        documents = {d["metadata"]["invoice_number"]: d for d in self.sales_documents()}
        self.assertEqual(set(documents), {invoice.name, refund.name})
        self.assertEqual(documents[invoice.name]["metadata"]["move_type"], "invoice")
        self.assertEqual(documents[refund.name]["metadata"]["move_type"], "credit_note")
        self.assertEqual(documents[invoice.name]["metadata"]["amount_total"], "121.00")
        self.assertEqual(sorted(documents[invoice.name]["formats"]), ["pdf", "xml"])
        # The invoice's report, rendered by Odoo (as HTML in Odoo's test mode, a PDF else:
        # check-demo checks the PDF).
        pdf = invoice.codabox_sent_invoice_ids.pdf_attachment_id
        self.assertEqual(pdf.name, f"{invoice._get_report_base_filename()}.pdf")
        self.assertIn(invoice.name.encode(), pdf.raw)
        # The XML is Odoo's own UBL (Peppol BIS 3) of the invoice: what the ledger sent.
        builder = self.env["account.edi.xml.ubl_bis3"]
        xml = etree.fromstring(builder._export_invoice(refund)[0])
        self.assertEqual(xml.tag, f"{{{UBL_NS}:CreditNote-2}}CreditNote")
        # Again: nothing more is sent.
        self.env["codabox.sent.invoice"]._cron_send(with_commit=False)
        self.assertEqual(len(self.sales_documents()), 2)

    def test_a_lost_answer_is_sent_again_and_received_once(self):
        self.connect()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("l10n_be_codabox_connect.max_retries", "0")
        invoice = self.invoice(75.0)
        entry = invoice.codabox_sent_invoice_ids
        # CodaBox receives the invoice, and its answer is lost on the way.
        self.sandbox.add_fault("lost_answer", method="POST", path="/v2/invoicing-software/")
        entry._send(with_commit=False)
        self.assertEqual(entry.state, "failed")
        self.assertEqual(len(self.sales_documents()), 1)
        self.assertIn("Not sent to CodaBox", invoice.message_ids[0].body)
        key = entry.idempotency_key
        # The next run sends it again with the same key: CodaBox answers as the first time.
        self.env["codabox.sent.invoice"]._cron_send(with_commit=False)
        self.assertEqual(
            (entry.state, entry.attempt_count, entry.idempotency_key), ("sent", 2, key)
        )
        self.assertEqual(len(self.sales_documents()), 1)
        self.assertEqual(entry.codabox_id, self.sales_documents()[0]["feed_index"])

    def test_a_failure_is_said_on_the_invoice_and_retried(self):
        self.connect()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("l10n_be_codabox_connect.max_retries", "0")
        invoice = self.invoice(60.0)
        self.sandbox.add_fault("status", status=503, method="POST", path="/v2/invoicing-software/")
        self.env["codabox.sent.invoice"]._cron_send(with_commit=False)
        entry = invoice.codabox_sent_invoice_ids
        self.assertEqual(entry.state, "failed")
        self.assertIn("CodaBox answered with an error", entry.last_error)
        self.assertIn(entry.last_error, invoice.message_ids[0].body)
        self.assertFalse(self.sales_documents())
        # Sent from the invoice, on demand.
        action = invoice.action_codabox_send_invoice(with_commit=False)
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(entry.state, "sent")
        self.assertEqual(len(self.sales_documents()), 1)

    def test_an_invoice_sent_again_after_the_ledger_was_lost_is_not_received_twice(self):
        """A database restored from a backup taken before the invoice was sent: a new key,
        and CodaBox answers that it has the invoice number already."""
        self.connect()
        invoice = self.invoice(90.0)
        entry = invoice.codabox_sent_invoice_ids
        entry._send(with_commit=False)
        first_id = entry.codabox_id
        entry.sudo().write({"state": "to_send", "idempotency_key": "another-key"})
        entry._send(with_commit=False)
        self.assertEqual((entry.state, entry.codabox_id), ("sent", first_id))
        self.assertEqual(len(self.sales_documents()), 1)
        self.assertIn("already had this invoice", invoice.message_ids[0].body)

    def test_the_same_files_are_sent_again_and_an_invoice_posted_anew_gets_new_ones(self):
        self.connect()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("l10n_be_codabox_connect.max_retries", "0")
        invoice = self.invoice(80.0)
        entry = invoice.codabox_sent_invoice_ids
        self.sandbox.add_fault("status", status=503, method="POST", path="/v2/invoicing-software/")
        entry._send(with_commit=False)
        self.assertEqual(entry.state, "failed")
        kept = entry.xml_attachment_id
        self.assertTrue(kept.raw.startswith(b"<?xml"))
        # Reset, changed and posted again before CodaBox had it: new files, the same key.
        key = entry.idempotency_key
        invoice.button_draft()
        invoice.invoice_line_ids.price_unit = 85.0
        invoice.action_post()
        self.assertEqual((entry.state, entry.idempotency_key), ("to_send", key))
        self.assertFalse(kept.exists())
        entry._send(with_commit=False)
        self.assertEqual(entry.state, "sent")
        self.assertIn(b"102.85", entry.xml_attachment_id.raw)
        self.assertEqual(self.sales_documents()[0]["metadata"]["amount_total"], "102.85")

    def test_sending_is_for_billing_users_of_the_company(self):
        self.connect()
        invoice = self.invoice(10.0)
        other = self._create_belgian_company("Elsewhere", chart=False)
        stranger = new_test_user(
            self.env,
            login="billing-elsewhere",
            groups="account.group_account_invoice",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        with self.assertRaises(AccessError):
            invoice.with_user(stranger).action_codabox_send_invoice(with_commit=False)
        portal = new_test_user(
            self.env, login="nobody-sme", groups="base.group_user", company_id=self.company.id
        )
        with self.assertRaises(AccessError):
            invoice.with_user(portal).action_codabox_send_invoice(with_commit=False)
        self.assertFalse(self.sales_documents())

    def test_a_company_of_an_office_sends_nothing(self):
        """Invoices of a company connected by its accounting office (CodaBox Connect) are
        not the office's to receive back: nothing is queued."""
        self.connect_with_consent(self.company, OFFICE_VAT, OFFICE_LOGIN)
        invoice = self.invoice(20.0)
        self.assertFalse(invoice.codabox_sent_invoice_ids)
        self.assertFalse(invoice.codabox_sendable)

    def test_the_office_receives_the_invoice_in_its_client_company(self):
        """The office's own Odoo (here another company with the same VAT number, connected by
        CodaBox Connect) receives the SME's invoice as a customer invoice of its client."""
        self.connect()
        invoice = self.invoice(121.0)
        self.env["codabox.sent.invoice"]._cron_send(with_commit=False)
        books = self._create_belgian_company(
            "Client A (office's books)", vat=CLIENT_A_VAT, codabox_office_vat=OFFICE_VAT
        )
        self.env.user.company_ids |= books
        books.codabox_import_sales_invoices = True
        _office, office_connection = self.connect_with_consent(books, OFFICE_VAT, OFFICE_LOGIN)
        result = office_connection.with_company(books)._retrieve(with_commit=False)
        document = result["documents"].filtered(lambda d: d.kind == "sales_invoice")
        self.assertEqual(document.state, "imported", document.error_message)
        move = document.move_ids
        self.assertEqual((move.move_type, move.company_id), ("out_invoice", books))
        self.assertAlmostEqual(move.amount_total, invoice.amount_total)
        self.assertEqual(move.partner_id.vat, self.customer.vat)
