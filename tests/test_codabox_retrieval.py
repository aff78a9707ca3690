"""Retrieval from the sandbox: at-least-once, never twice, each company on its own."""

import base64
from datetime import date, datetime, timedelta
from unittest.mock import patch

import pytz
from lxml import etree

from odoo import fields
from odoo.tests.common import tagged
from odoo.tools import config as odoo_config
from odoo.tools.convert import convert_file

from ..codabox_client import CodaboxClient
from ..compat import GROUPS_FIELD
from ..dev.codagen import generate_statements, write_coda
from ..models.codabox_connection import LOCK_NAMESPACE
from ..models.codabox_document import MIN_IMPORT_PART
from .common import (
    PDF,
    TEST_OFFICE_PASSWORD,
    BelgianCompanyCase,
    SandboxMixin,
    coda_document,
)
from .parties import (
    CLIENT_COMPANIES,
    OFFICE2_LOGIN,
    OFFICE2_VAT,
    OFFICE_LOGIN,
    OFFICE_LOGIN_PASSWORD,
    OFFICE_VAT,
    seed_company,
)

# company key: (VAT, IBAN, office VAT); D is a client of the second office.
CLIENTS = {
    key: (vat, iban, OFFICE2_VAT if key == "d" else OFFICE_VAT)
    for key, (vat, iban) in CLIENT_COMPANIES.items()
}


def shown_fields(arch):
    """The names of the fields a view's arch shows (not invisible)."""
    return {
        node.get("name")
        for node in etree.fromstring(arch).iter("field")
        if node.get("invisible") != "1"
    }


@tagged("post_install", "-at_install")
class TestCodaboxRetrieval(SandboxMixin, BelgianCompanyCase):
    sandbox_companies = tuple(
        seed_company(vat, f"Client {key.upper()}", key, office, ibans=[iban])
        for key, (vat, iban, office) in CLIENTS.items()
    )
    sandbox_offices = (
        {
            "vat": OFFICE2_VAT,
            "name": "Second Office",
            "users": [{"login": OFFICE2_LOGIN, "password": OFFICE_LOGIN_PASSWORD}],
        },
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        cls.companies, cls.journals = {}, {}
        for key, (vat, iban, _office) in CLIENTS.items():
            company = cls._create_belgian_company(f"Client {key.upper()}", vat=vat)
            cls.companies[key] = company
            if key != "c":  # company C has no journal for its IBAN yet
                cls.journals[key] = cls._bank_journal(company, iban)

    def setUp(self):
        super().setUp()
        self._connect_all()

    @classmethod
    def _bank_journal(cls, company, iban):
        return cls.env["account.journal"].create(
            {
                "name": f"Bank {iban[-4:]}",
                "code": f"B{iban[-3:]}",
                "type": "bank",
                "bank_acc_number": iban,
                "company_id": company.id,
            }
        )

    def _connect_all(self):
        """Each office allows Odoo in MyCodaBox once; their companies connect through the API."""
        client = CodaboxClient(self.sandbox.url, self.sandbox.software_id)
        offices = {}
        for key, (vat, _iban, office_vat) in CLIENTS.items():
            office = offices.get(office_vat)
            if office is None:
                login = OFFICE_LOGIN if office_vat == OFFICE_VAT else OFFICE2_LOGIN
                offices[office_vat], _connection = self.connect_with_consent(
                    self.companies[key], office_vat, login
                )
                continue
            answer = client.connect_company(office_vat, vat, TEST_OFFICE_PASSWORD)
            self.env["codabox.connection"]._connect(self.companies[key], office, answer)

    # -- helpers ---------------------------------------------------------------------------

    def _deliver(self, key, *documents):
        return self.sandbox.add_documents(CLIENTS[key][0], list(documents))

    def _statements(self, key):
        return self.env["account.bank.statement"].search(
            [("company_id", "=", self.companies[key].id)]
        )

    def _documents(self, key):
        return self.env["codabox.document"].search([("company_id", "=", self.companies[key].id)])

    def _acknowledged(self, key):
        """Feed indexes CodaBox considers acknowledged for a company (the sandbox's view)."""
        vat = CLIENTS[key][0]
        (company,) = [c for c in self.sandbox.state()["companies"] if c["vat"] == vat]
        return {d["feed_index"] for d in company["documents"] if d["acknowledged"]}

    def _faults_hit(self, kind):
        """How many requests a queued fault of that kind really hit."""
        return sum(1 for entry in self.sandbox.request_log() if entry["fault"] == kind)

    def _retrieve(self, key):
        """ "Retrieve from CodaBox" on the journal card (the settings' one for company C,
        which has no journal yet)."""
        company = self.companies[key]
        if key in self.journals:
            return (
                self.journals[key].with_company(company).action_codabox_retrieve(with_commit=False)
            )
        return (
            company._codabox_connection().with_company(company).action_retrieve(with_commit=False)
        )

    # -- tests -----------------------------------------------------------------------------

    def test_first_retrieval_imports_statements_with_pdf(self):
        indexes = self._deliver(
            "a",
            coda_document(CLIENTS["a"][1], 2, seed=1),
            coda_document(CLIENTS["a"][1], 3, seed=2),
        )
        notification = self._retrieve("a")
        statements = self._statements("a")
        self.assertEqual(len(statements), 2)
        self.assertEqual(statements.journal_id, self.journals["a"])
        self.assertIn("2 statement(s) imported into", notification["params"]["message"])
        self.assertIn(self.journals["a"].name, notification["params"]["message"])
        documents = self._documents("a")
        self.assertEqual(documents.mapped("state"), ["imported", "imported"])
        self.assertTrue(all(documents.mapped("acknowledged")))
        self.assertEqual(self._acknowledged("a"), set(indexes))
        for statement in statements:
            names = statement.attachment_ids.mapped("name")
            self.assertTrue(any(n.endswith(".pdf") for n in names), names)
            self.assertEqual(statement.balance_end_real, statement.balance_end)

    def test_statement_pdf_in_the_viewer(self):
        """The bank's PDF reaches Odoo's PDF viewer on the statement's form, and statements
        are found from a menu of their own and from the journal card."""
        self._deliver("a", coda_document(CLIENTS["a"][1], 2, seed=1))
        self._retrieve("a")
        statement = self._statements("a")
        self.assertEqual(base64.b64decode(statement.codabox_pdf), PDF)
        # What the viewer loads: /web/content on the statement's field (the web client
        # reads the form with bin_size, which only says whether there is one).
        sized = statement.with_context(bin_size=True).web_read({"codabox_pdf": {}})
        self.assertTrue(sized[0]["codabox_pdf"])
        arch = statement.get_view(
            self.env.ref("l10n_be_codabox_connect.view_bank_statement_form").id, "form"
        )["arch"]
        self.assertIn('widget="pdf_viewer"', arch)
        statement.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf").unlink()
        self.assertFalse(statement.codabox_pdf)

        menu = self.env.ref("l10n_be_codabox_connect.menu_codabox_bank_statements")
        self.assertEqual(menu.action, self.env.ref("account.action_bank_statement_tree"))
        self.assertEqual(menu.parent_id, self.env.ref("account.menu_finance_entries"))
        accountant = self.env["res.users"].create(
            {
                "name": "Accountant A",
                "login": "accountant_a",
                "company_id": self.companies["a"].id,
                "company_ids": [fields.Command.set(self.companies["a"].ids)],
                GROUPS_FIELD: [fields.Command.set(self.env.ref("account.group_account_user").ids)],
            }
        )
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(accountant)._visible_menu_ids())
        kanban = self.env["account.journal"].get_view(
            self.env.ref("account.account_journal_dashboard_kanban_view").id, "kanban"
        )["arch"]
        self.assertIn("o_codabox_statements", kanban)
        journal = self.journals["a"].with_company(self.companies["a"])
        action = journal.with_context(
            action_name="action_bank_statement_tree", search_default_journal=True
        ).open_action_with_context()
        self.assertEqual(action["context"]["search_default_journal_id"], journal.id)

    def test_documents_read_plainly(self):
        """The document type as people name it, CodaBox's feed index in debug mode only, and
        an empty list that says why it is empty."""
        action = self.env.ref("l10n_be_codabox_connect.codabox_document_action")
        # As the web client loads the action: its help through get_empty_list_help.
        self.assertIn("No document received from CodaBox yet", action._get_action_dict()["help"])
        self._deliver("a", coda_document(CLIENTS["a"][1], 2, seed=1))
        payslip = {  # a kind this addon does not import: shown as CodaBox names it
            "document_model": "payslip",
            "metadata": {},
            "pdf": base64.b64encode(PDF).decode(),
        }
        self._deliver("a", payslip)
        self._retrieve("a")
        labels = {d.kind: d.kind_label for d in self._documents("a")}
        self.assertEqual(labels, {"coda": "Bank statement (CODA)", "payslip": "payslip"})
        # Documents exist: the "Failed" filter finding none no longer says none arrived.
        help_text = action._get_action_dict()["help"]
        self.assertNotIn("No document received", help_text)
        self.assertIn("No CodaBox document matches these filters", help_text)
        Document = self.env["codabox.document"]
        form = Document.get_view(view_type="form")["arch"]
        listing = Document.get_view(view_type="list")["arch"]
        self.assertIn('name="kind_label"', form + listing)
        self.assertNotIn("kind", shown_fields(listing))
        # Not in debug mode (no request here): the technical fields are not shown (left out
        # on 18.0, kept invisible on 19.0).
        self.assertNotIn("feed_index", shown_fields(form))
        self.assertNotIn("kind", shown_fields(form))

    def test_daily_job_runs_at_night(self):
        """Installed, the daily job first runs the next morning at 06:00 Brussels time (not
        24 hours after the install), then every day."""
        cron = self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")
        cron.nextcall = fields.Datetime.now()
        # What the install does: the data file loaded afresh.
        convert_file(self.env, "l10n_be_codabox_connect", "data/ir_cron_data.xml", {}, mode="init")
        brussels = pytz.timezone("Europe/Brussels")
        first = pytz.utc.localize(cron.nextcall).astimezone(brussels)
        tomorrow = datetime.now(brussels).date() + timedelta(days=1)
        self.assertEqual((first.date(), first.hour, first.minute), (tomorrow, 6, 0))
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))

    def test_second_retrieval_imports_nothing(self):
        self._deliver("a", coda_document(CLIENTS["a"][1], 4, seed=3))
        self._retrieve("a")
        # The second time from the CodaBox settings.
        settings = self.env["res.config.settings"].with_company(self.companies["a"]).create({})
        notification = settings.action_codabox_retrieve(with_commit=False)
        self.assertIn("No new document", notification["params"]["message"])
        self.assertEqual(len(self._statements("a")), 1)
        self.assertEqual(len(self._documents("a")), 1)

    def test_same_entry_delivered_twice(self):
        self._deliver("a", coda_document(CLIENTS["a"][1], 5, seed=4))
        self.sandbox.add_fault("duplicate_entry", method="GET", path="/v2/delivery/feed/")
        self._retrieve("a")
        self.assertEqual(self._faults_hit("duplicate_entry"), 1)
        self.assertEqual(len(self._documents("a")), 1)
        self.assertEqual(len(self._statements("a")), 1)

    def test_same_document_in_a_new_entry_is_not_imported_twice(self):
        document = coda_document(CLIENTS["a"][1], 6, seed=5)
        self._deliver("a", document)
        self._retrieve("a")
        self._deliver("a", document)  # CodaBox re-delivers the same file under a new index
        self._retrieve("a")
        self.assertEqual(len(self._statements("a")), 1)
        self.assertEqual(sorted(self._documents("a").mapped("state")), ["ignored", "imported"])

    def test_other_kinds_are_kept_not_imported(self):
        payslip = {
            "document_model": "payslip",
            "metadata": {},
            "pdf": base64.b64encode(PDF).decode(),
        }
        (index,) = self._deliver("a", payslip)
        self._retrieve("a")
        document = self._documents("a")
        self.assertEqual(document.state, "ignored")
        self.assertEqual(document.pdf_attachment_id.raw, PDF)
        self.assertIn(index, self._acknowledged("a"))
        self.assertFalse(self._statements("a"))

    def test_every_format_is_stored_before_the_acknowledgement(self):
        """The XML too, for CODA and for the kinds not imported: once acknowledged, CodaBox
        delivers it again only through its re-download service."""
        self.companies["a"].codabox_import_soda = False  # kept, not imported
        soda_xml = b"<SocialDocument><Social><SeqNumber>1</SeqNumber></Social></SocialDocument>"
        coda = dict(
            coda_document(CLIENTS["a"][1], 8, seed=7),
            xml=base64.b64encode(b"<Document>camt.053</Document>").decode(),
        )
        soda = {
            "document_model": "soda",
            "metadata": {},
            "pdf": base64.b64encode(PDF).decode(),
            "xml": base64.b64encode(soda_xml).decode(),
        }
        indexes = self._deliver("a", coda, soda)
        self._retrieve("a")
        by_kind = {d.kind: d for d in self._documents("a")}
        self.assertEqual(by_kind["coda"].xml_attachment_id.raw, b"<Document>camt.053</Document>")
        self.assertEqual(by_kind["soda"].xml_attachment_id.raw, soda_xml)
        self.assertEqual(by_kind["soda"].pdf_attachment_id.raw, PDF)
        self.assertEqual(by_kind["soda"].state, "ignored")
        self.assertTrue(set(indexes) <= self._acknowledged("a"))

    def test_download_again_fetches_the_xml_of_a_document_stored_with_its_pdf_only(self):
        self.companies["a"].codabox_import_soda = False  # kept, not imported
        soda_xml = b"<SocialDocument/>"
        (index,) = self._deliver(
            "a",
            {
                "document_model": "soda",
                "metadata": {},
                "pdf": base64.b64encode(PDF).decode(),
                "xml": base64.b64encode(soda_xml).decode(),
            },
        )
        self._retrieve("a")
        document = self._documents("a")
        document.xml_attachment_id.unlink()  # as an earlier version stored it: the PDF only
        self.assertFalse(document.xml_attachment_id)
        self.assertIn(index, self._acknowledged("a"))
        document.action_redownload()
        self.assertEqual(document.xml_attachment_id.raw, soda_xml)
        self.assertEqual(document.state, "ignored")
        self.assertTrue(self.sandbox.request_log("GET", f"/v2/delivery/redownload/{index}/xml/"))

    def test_crash_after_import_before_acknowledgement(self):
        (index,) = self._deliver("a", coda_document(CLIENTS["a"][1], 7, seed=6))
        # Every acknowledgement attempt fails: the run ends after the import.
        self.sandbox.add_fault("drop", method="PUT", path="/v2/delivery/feed/", count=10)
        self._retrieve("a")
        self.assertEqual(self._faults_hit("drop"), 3, "the first attempt and two retries")
        document = self._documents("a")
        self.assertEqual(document.state, "imported")
        self.assertFalse(document.acknowledged)
        self.assertNotIn(index, self._acknowledged("a"))
        self.assertTrue(self.companies["a"]._codabox_connection().last_error)
        self.assertEqual(len(self._statements("a")), 1)
        # The next run acknowledges what is stored, and imports nothing again.
        self.sandbox.clear_faults()
        self._retrieve("a")
        self.assertTrue(document.acknowledged)
        self.assertIn(index, self._acknowledged("a"))
        self.assertEqual(len(self._statements("a")), 1)
        self.assertEqual(len(self._documents("a")), 1)
        self.assertFalse(self.companies["a"]._codabox_connection().last_error)

    def test_failures_of_one_company_do_not_stop_the_others(self):
        self._deliver("a", coda_document(CLIENTS["a"][1], 9, seed=7))
        self._deliver("b", coda_document(CLIENTS["b"][1], 9, seed=8))
        broken = coda_document(CLIENTS["d"][1], 9, seed=9)
        broken["cod"] = base64.b64encode(b"0000002111172500005  not a coda file").decode()
        self._deliver("d", broken)
        feed_a = self.companies["a"]._codabox_connection().feed_client_id
        # A: CodaBox keeps failing on its feed; B: one 429 then one slow answer, retried.
        self.sandbox.add_fault("status", path=f"/v2/delivery/feed/{feed_a}/", status=500, count=10)
        self.sandbox.add_fault("rate_limit", path="/v2/delivery/download/", retry_after=0, count=1)
        self.sandbox.add_fault("slow", path="/v2/delivery/download/", delay=2.5, count=1)
        self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        for kind, hits in (("status", 3), ("rate_limit", 1), ("slow", 1)):
            self.assertEqual(self._faults_hit(kind), hits, kind)
        connection_a = self.companies["a"]._codabox_connection()
        self.assertIn("500", connection_a.last_error)
        self.assertFalse(self._documents("a"))
        self.assertEqual(len(self._statements("b")), 1)
        self.assertEqual(self._documents("b").state, "imported")
        document_d = self._documents("d")
        self.assertEqual(document_d.state, "failed")
        self.assertIn("line 1", document_d.error_message)
        self.assertTrue(document_d.acknowledged, "stored, so acknowledged: nothing is lost")
        self.assertTrue(document_d.coda_attachment_id.raw.startswith(b"0000002111172500005"))
        self.assertFalse(self._statements("d"))
        # A is tried again a quarter of an hour later, and comes through.
        self.assertTrue(connection_a.retry_at)
        self.assertFalse(connection_a.last_complete_retrieval_at)
        self.sandbox.clear_faults()
        connection_a.sudo().retry_at = fields.Datetime.now()
        self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        self.assertEqual(len(self._statements("a")), 1)
        self.assertFalse(connection_a.last_error)

    def test_consent_cancelled_for_one_office(self):
        self._deliver("a", coda_document(CLIENTS["a"][1], 10, seed=10))
        self._deliver("d", coda_document(CLIENTS["d"][1], 10, seed=11))
        self.sandbox.set_consent(OFFICE2_VAT, "cancelled")
        self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        connection_d = self.companies["d"]._codabox_connection()
        self.assertEqual(connection_d.consent_status, "cancelled")
        self.assertIn("Cancelled", connection_d.last_error)
        journal_d = self.journals["d"].with_company(self.companies["d"])
        self.assertTrue(journal_d.codabox_connected)
        self.assertIn("Cancelled", journal_d.codabox_problem)
        self.assertFalse(self.journals["a"].with_company(self.companies["a"]).codabox_problem)
        self.assertFalse(self._documents("d"))
        self.assertEqual(len(self._statements("a")), 1)

    def test_unknown_iban_then_retry_once_the_journal_exists(self):
        iban = CLIENTS["c"][1]
        (index,) = self._deliver("c", coda_document(iban, 11, seed=12))
        notification = self._retrieve("c")
        document = self._documents("c")
        self.assertEqual(document.state, "failed")
        self.assertIn(iban, document.error_message)
        self.assertIn("EUR", document.error_message)
        self.assertIn("failed", notification["params"]["message"])
        self.assertIn(index, self._acknowledged("c"))
        self.assertTrue(document.missing_journal)
        context = document.action_create_journal()["context"]
        self.assertEqual(context["default_bank_acc_number"], iban)
        self.assertEqual(context["default_company_id"], self.companies["c"].id)
        self._bank_journal(self.companies["c"], iban)
        document.action_retry()
        self.assertEqual(document.state, "imported")
        self.assertEqual(len(self._statements("c")), 1)
        self.assertEqual(document.statement_ids, self._statements("c"))
        self.assertFalse(document.missing_journal)

    # -- nothing lost (issue: stored documents, other errors, lost answers, locks) -----------

    def _store_only(self, key, document):
        """A document stored in the ledger whose import never ran: what a process killed
        right after the store leaves behind (the crash itself is in test_crash.py)."""
        (index,) = self._deliver(key, document)
        connection = self.companies[key]._codabox_connection()
        client = connection._client()
        feed_id = connection._feed_id(client)
        (entry,) = [e for e in client.feed(feed_id) if e.feed_index == index]
        files = {fmt: client.download(index, fmt) for fmt in ("cod", "pdf")}
        return self.env["codabox.document"]._store(connection, feed_id, entry, files), index

    def test_stored_but_not_imported_is_imported_before_acknowledgement(self):
        document, index = self._store_only("a", coda_document(CLIENTS["a"][1], 12, seed=13))
        self.assertEqual(document.state, "received")
        self._retrieve("a")
        self.assertEqual(document.state, "imported")
        self.assertEqual(len(self._statements("a")), 1)
        self.assertTrue(document.acknowledged)
        self.assertIn(index, self._acknowledged("a"))
        self.assertEqual(document.attempt_count, 1)
        self.assertTrue(document.imported_at)
        self.assertTrue(document.acknowledged_at)

    def test_interrupted_imports_end_failed_not_stalled(self):
        document, index = self._store_only("a", coda_document(CLIENTS["a"][1], 13, seed=14))
        # Three imports started and killed by the server before their outcome was recorded.
        document.sudo().attempt_count = 3
        self._retrieve("a")
        self.assertEqual(document.state, "failed")
        self.assertIn("interrupted 3 times", document.error_message)
        self.assertIn(index, self._acknowledged("a"))
        self.assertTrue(document.activity_ids, "an administrator is asked to look at it")
        document.action_retry()
        self.assertEqual(document.state, "imported")
        self.assertFalse(document.activity_ids, "the to-do is done once imported")

    def test_any_import_error_is_recorded_with_a_way_out(self):
        # A journal without suspense account: Odoo refuses the statement lines (UserError).
        journal = self.journals["a"]
        suspense = journal.suspense_account_id
        journal.suspense_account_id = False
        (index,) = self._deliver("a", coda_document(CLIENTS["a"][1], 14, seed=15))
        notification = self._retrieve("a")
        document = self._documents("a")
        self.assertEqual(document.state, "failed")
        self.assertTrue(document.error_message)
        self.assertIn("failed", notification["params"]["message"])
        self.assertIn(index, self._acknowledged("a"))
        self.assertEqual(len(document.activity_ids), 1)
        self._retrieve("a")  # a second run does not ask twice
        self.assertEqual(len(document.activity_ids), 1)
        journal.suspense_account_id = suspense
        document.action_retry()
        self.assertEqual(document.state, "imported")
        self.assertEqual(len(self._statements("a")), 1)

    def test_lost_acknowledgement_answer_is_recorded_next_time(self):
        (index,) = self._deliver("a", coda_document(CLIENTS["a"][1], 15, seed=16))
        # CodaBox applies the acknowledgement, but its answer never arrives (3 attempts).
        self.sandbox.add_fault("lost_answer", method="PUT", path="/v2/delivery/feed/", count=3)
        self._retrieve("a")
        document = self._documents("a")
        self.assertIn(index, self._acknowledged("a"))
        self.assertFalse(document.acknowledged)
        self.sandbox.clear_faults()
        self._retrieve("a")
        self.assertTrue(document.acknowledged)
        self.assertEqual(len(self._statements("a")), 1)

    def test_statement_uploaded_by_hand_gets_the_pdf_codabox_delivers(self):
        delivered = coda_document(CLIENTS["a"][1], 16, seed=17)
        coda = base64.b64decode(delivered["cod"])
        result = self.env["account.bank.statement"]._codabox_import_coda(
            coda, company=self.companies["a"], filename="by-hand.cod"
        )
        (statement,) = result["statements"]
        self.assertNotIn("application/pdf", statement.attachment_ids.mapped("mimetype"))
        self._deliver("a", delivered)
        self._retrieve("a")
        document = self._documents("a")
        self.assertEqual(document.state, "ignored")
        self.assertEqual(document.statement_ids, statement)
        self.assertEqual(len(self._statements("a")), 1)
        pdfs = statement.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf")
        self.assertEqual(pdfs.raw, PDF)

    def test_bad_entries_do_not_block_the_ones_after(self):
        first, second, third = self._deliver(
            "a",
            coda_document(CLIENTS["a"][1], 17, seed=18),
            coda_document(CLIENTS["a"][1], 18, seed=19),
            coda_document(CLIENTS["a"][1], 19, seed=20),
        )
        # The first "CODA" download is a web page, the second is empty.
        self.sandbox.add_fault("html", method="GET", path=f"/v2/delivery/download/{first}/cod/")
        self.sandbox.add_fault("empty", method="GET", path=f"/v2/delivery/download/{second}/cod/")
        self._retrieve("a")
        documents = {d.feed_index: d for d in self._documents("a")}
        self.assertEqual(documents[first].state, "failed")
        self.assertIn("web page", documents[first].error_message)
        self.assertIn(b"<", documents[first].coda_attachment_id.raw, "kept as received")
        self.assertEqual(documents[second].state, "failed")
        self.assertIn("empty", documents[second].error_message)
        self.assertEqual(documents[third].state, "imported")
        self.assertEqual(self._acknowledged("a"), {first, second, third})
        # The way out: CodaBox's re-download service.
        documents[first].action_redownload()
        self.assertEqual(documents[first].state, "imported")
        self.assertEqual(len(self._statements("a")), 2)

    def test_unreadable_feed_entry_is_recorded_failed(self):
        first, second = self._deliver(
            "a",
            coda_document(CLIENTS["a"][1], 20, seed=21),
            coda_document(CLIENTS["a"][1], 21, seed=22),
        )
        self.sandbox.add_fault("malformed_entry", method="GET", path="/v2/delivery/feed/")
        self._retrieve("a")
        documents = {d.feed_index: d for d in self._documents("a")}
        self.assertEqual(documents[first].state, "failed")
        self.assertIn("cannot read", documents[first].error_message)
        self.assertEqual(documents[second].state, "imported")
        self.assertEqual(self._acknowledged("a"), {first, second})

    def test_second_retrieval_of_a_company_is_told_one_is_running(self):
        self._deliver("a", coda_document(CLIENTS["a"][1], 22, seed=23))
        connection = self.companies["a"]._codabox_connection()
        # Another process holds the company's retrieval: a real second connection.
        with self.registry.cursor() as other_cr:
            other_cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, connection.id)
            )
            self.assertTrue(other_cr.fetchone()[0])
            requests_before = len(self.sandbox.request_log())
            notification = self._retrieve("a")
            self.assertIn("already running", notification["params"]["message"])
            self.assertEqual(len(self.sandbox.request_log()), requests_before)
            self.env["codabox.connection"]._cron_retrieve(with_commit=False)
            self.assertFalse(self._documents("a"))
            self.assertFalse(connection.last_complete_retrieval_at, "left for the job's next call")
        self._retrieve("a")
        self.assertEqual(len(self._statements("a")), 1)

    def test_rate_limit_of_one_company_does_not_stop_the_others(self):
        self._deliver("a", coda_document(CLIENTS["a"][1], 23, seed=24))
        self._deliver("b", coda_document(CLIENTS["b"][1], 23, seed=25))
        feed_a = self.companies["a"]._codabox_connection().feed_client_id
        self.sandbox.add_fault(
            "rate_limit", path=f"/v2/delivery/feed/{feed_a}/", retry_after=120, count=10
        )
        self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        connection_a = self.companies["a"]._codabox_connection()
        self.assertTrue(connection_a.retry_at)
        self.assertFalse(connection_a.last_complete_retrieval_at)
        self.assertEqual(len(self._statements("b")), 1)
        self.assertTrue(self.companies["b"]._codabox_connection().last_complete_retrieval_at)
        self.assertFalse(self._statements("a"))

    def test_daily_job_works_in_calls_and_reports_progress(self):
        for day in (24, 25, 26):
            self._deliver("a", coda_document(CLIENTS["a"][1], day, seed=day))
        self._deliver("b", coda_document(CLIENTS["b"][1], 24, seed=30))
        # The smallest budget: each call starts one document, then hands over.
        self.env["ir.config_parameter"].sudo().set_param(
            "l10n_be_codabox_connect.cron_time_budget", "0.1"
        )
        cron = self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")
        calls = []
        for _call in range(20):
            cron, progress = cron._add_progress()
            self.env["codabox.connection"].with_context(
                ir_cron_progress_id=progress.id
            )._cron_retrieve(with_commit=False)
            calls.append((progress.done, progress.remaining))
            if not progress.remaining:
                break
        self.assertGreater(len(calls), 2, calls)
        self.assertEqual(calls[-1][1], 0, calls)
        self.assertTrue(all(done for done, _remaining in calls), calls)
        self.assertEqual(len(self._statements("a")), 3)
        self.assertEqual(len(self._statements("b")), 1)

    def test_time_budget_follows_the_server_limits(self):
        Connection = self.env["codabox.connection"]
        limits = {
            "workers": 2,
            "limit_time_real": 120,
            "limit_time_real_cron": -1,
            "limit_time_cpu": 60,
        }
        with patch.dict(odoo_config.options, limits):
            # (120 s - 75 s of sleep) shared by 10 calls, half of it each.
            self.assertAlmostEqual(Connection._cron_time_budget(), 2.25)
        with patch.dict(odoo_config.options, {**limits, "limit_time_cpu": 20}):
            self.assertAlmostEqual(Connection._cron_time_budget(), 1.0)
        with patch.dict(odoo_config.options, {**limits, "limit_time_real_cron": 600}):
            self.assertAlmostEqual(Connection._cron_time_budget(), 3.0)
        with patch.dict(odoo_config.options, {**limits, "workers": 0}):
            self.assertAlmostEqual(Connection._cron_time_budget(), 60)

    def test_a_click_leaves_what_does_not_fit_to_the_daily_job(self):
        """A click with less time than a long statement needs (a request budget of 0.1 s):
        it imports a first part, says that the daily job imports the rest, wakes the job,
        and the job's calls finish the statement; CodaBox is told once it is whole."""
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param("l10n_be_codabox_connect.request_time_budget", "0.1")
        Param.set_param("l10n_be_codabox_connect.cron_time_budget", "0.1")
        iban = CLIENTS["a"][1]
        (statement,) = generate_statements(
            iban=iban,
            holder_name="Web shop",
            start_date=date(2026, 11, 2),
            movements_per_statement=120,
            globalisation_ratio=0,
            seed=5,
            first_coda_sequence=2,
        )
        (index,) = self._deliver(
            "a",
            {
                "document_model": "coda",
                "metadata": {
                    "iban": iban,
                    "currency": "EUR",
                    "new_balance_date": statement.new_balance_date.isoformat(),
                },
                "cod": base64.b64encode(write_coda([statement])).decode(),
                "pdf": base64.b64encode(PDF).decode(),
            },
        )
        cron = self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

        notification = self._retrieve("a")

        self.assertIn("the daily job imports it", notification["params"]["message"])
        (document,) = self._documents("a")
        self.assertEqual(document.state, "received")
        self.assertEqual(len(self._statements("a").line_ids), MIN_IMPORT_PART)
        self.assertNotIn(index, self._acknowledged("a"))
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )
        for _call in range(6):
            if index in self._acknowledged("a"):
                break
            self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        self.assertEqual(document.state, "imported", document.error_message)
        self.assertEqual(len(self._statements("a").line_ids), 120)
        self.assertFalse(self._statements("a").codabox_import_incomplete)
        self.assertIn(index, self._acknowledged("a"))
        self.assertEqual(len(self._documents("a")), 1)

    def test_lasting_problem_schedules_one_todo(self):
        self.sandbox.set_consent(OFFICE2_VAT, "cancelled")
        connection_d = self.companies["d"]._codabox_connection()
        for _run in range(3):
            self.env["codabox.connection"]._cron_retrieve(with_commit=False)
            connection_d.sudo().last_complete_retrieval_at = False
        self.assertEqual(len(connection_d.activity_ids), 1)
        self.assertIn("Client D", connection_d.activity_ids.summary)
        self.sandbox.set_consent(OFFICE2_VAT, "allowed")
        self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        self.assertFalse(connection_d.last_error)
        self.assertFalse(connection_d.activity_ids)

    # -- a gap in the statements, fetched again (the continuity of each account) ---------------

    def _chained_documents(self, key, days):
        """CodaBox documents of one statement each, on consecutive days of November 2026,
        numbered from the first day, their balances chained."""
        iban = CLIENTS[key][1]
        statements = generate_statements(
            iban=iban,
            holder_name="Client",
            start_date=date(2026, 11, 2),
            days=days,
            movements_per_statement=2,
            seed=11,
            first_coda_sequence=2,
        )
        return [
            {
                "document_model": "coda",
                "metadata": {
                    "iban": iban,
                    "currency": "EUR",
                    "new_balance_date": st.new_balance_date.isoformat(),
                    "first_statement_number": st.paper_sequence,
                    "last_statement_number": st.paper_sequence,
                },
                "cod": base64.b64encode(write_coda([st])).decode(),
                "pdf": base64.b64encode(PDF).decode(),
            }
            for st in statements
        ]

    def test_a_gap_is_fetched_again_from_codabox(self):
        first, missing, last = self._chained_documents("a", 3)
        # The middle one was delivered before the company was connected here: CodaBox lists
        # it in its re-download feed only.
        self._deliver("a", first, dict(missing, acknowledged=True), last)
        self._retrieve("a")
        statements = self._statements("a").sorted("date")
        self.assertEqual(statements.mapped("codabox_sequence"), [2, 4])
        after = statements[-1]
        self.assertIn("Statement 2026/003 missing", after.codabox_gap)
        self.assertEqual(self.journals["a"].codabox_gap_count, 1)

        notification = after.action_codabox_fetch_again()

        self.assertEqual(notification["params"]["type"], "success", notification)
        self.assertEqual(self._statements("a").sorted("date").mapped("codabox_sequence"), [2, 3, 4])
        self.assertFalse(after.codabox_after_gap)
        # Read again, as the dashboard does after the action (19.0 keeps the count read above).
        self.journals["a"].invalidate_recordset(["codabox_gap_count"])
        self.assertFalse(self.journals["a"].codabox_gap_count)
        fetched = self._documents("a").filtered(lambda d: d.statement_ids.codabox_sequence == 3)
        self.assertEqual((fetched.state, fetched.acknowledged), ("imported", True))
        self.assertTrue(self.sandbox.request_log("GET", "/v2/delivery/redownload-feed/"))

    def test_a_gap_codabox_cannot_fill_says_to_upload(self):
        first, _missing, last = self._chained_documents("a", 3)
        self._deliver("a", first, last)
        self._retrieve("a")
        after = self._statements("a").sorted("date")[-1]
        notification = after.action_codabox_fetch_again()
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertIn(
            "Import the missing statement with Import CODA", notification["params"]["message"]
        )
        self.assertTrue(after.codabox_after_gap)

    def test_a_gap_names_the_delivered_document_that_holds_it(self):
        first, missing, last = self._chained_documents("a", 3)
        broken = dict(missing, cod=base64.b64encode(b"<html>maintenance</html>").decode())
        self._deliver("a", first, broken, last)
        self._retrieve("a")
        failed = self._documents("a").filtered(lambda d: d.state == "failed")
        self.assertEqual(len(failed), 1)
        after = self._statements("a").sorted("date")[-1]
        self.assertIn("Statement 2026/003 missing", after.codabox_gap)
        self.assertIn(
            f"CodaBox delivered it, not imported yet: {failed.display_name}", after.codabox_gap
        )
