"""The HTTP checks of dev/check_demo.sh, made against running demos as a user's browser would.

``first``: the first demo database and its sandbox. Logs in, finds the CodaBox settings and
the demo data, asks the sandbox for its companies and their documents, goes through the
connection flow (MyCodaBox's consent for the first client company, the office password for
the second), retrieves their statements, and makes the journal a failed document lacks, then
retries it. Writes the office password to PASSWORD_FILE for the next step. With
``--sftp-port``, CodaBox's file delivery too: the SME's statements collected from the demo's
SFTP server at its start (documents, statements with their PDF, the invoice they pay), the
server's host key pinned, the file of a client code no company has reported and left in
place, the imported files archived (as the SFTP server lists them). Then Garage Martin, which
invoices with Odoo, as make demo left it: its own books connected as its invoicing software
(at CodaBox too, the token used), the token mail on the sandbox's mailbox page, its two
invoices Sent in the ledger and at CodaBox as sales invoices, its CODA imported through its own
connection and paying the first, and the office's client company of the same VAT holding both
as draft customer invoices made from the sales_invoice documents the daily job retrieved.

``further``: a further database of the same office, made while the first demo runs. Checks
that it uses the first demo's sandbox with clients of its own, connects its first client
company with the office password from PASSWORD_FILE ("Connect with the office password", no
new consent) and retrieves: only that company's statements come.

One line per check; the exit status is the number of failed checks (at most 100)::

    python dev/check_demo.py first|further ODOO_URL SANDBOX_URL DB SEED_FILE PASSWORD_FILE \\
        [--sftp-port N]
"""

import argparse
import json
import os
import re
import sys

import paramiko
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from dev.demo_data import (  # noqa: E402
    BANKS,
    CLIENTS,
    GAP_CLIENT,
    GARAGE,
    GARAGE_DAYS,
    SFTP_ARCHIVE,
    SFTP_DAYS,
    SFTP_PASSWORD,
    SFTP_SOURCE,
    SFTP_USERNAME,
    SME,
    UNKNOWN_CLIENT_CODE,
    belgian_iban,
    clients_of,
    expected_payment_state,
)
from sandbox.testing import RunningSandbox  # noqa: E402  (the project's MyCodaBox walker)

# The client company whose first retrieval leaves a gap (demo_data.GAP_CLIENT).
GAP_CLIENT_NAME = next(client["name"] for client in CLIENTS if client["code"] == GAP_CLIENT)

OGM = re.compile(r"\+{3}\d{3}/\d{4}/\d{5}\+{3}")


class Checks:
    """An Odoo session over JSON-RPC, what the checks learnt, and how many failed."""

    def __init__(self, odoo_url, sandbox_url, db):
        self.odoo_url = odoo_url
        self.sandbox_url = sandbox_url
        self.db = db
        self.session = requests.Session()
        self.failures = 0
        self.state = {}

    def report(self, passed, text):
        print(f"check-demo: {'ok   ' if passed else 'FAIL '} {text}", flush=True)
        self.failures += not passed
        return passed

    def check(self, text):
        """Runs the decorated check at once; an exception is a failure with its message."""

        def run(function):
            try:
                self.report(function() is not False, text)
            except Exception as error:
                self.report(False, f"{text}: {type(error).__name__}: {error}")

        return run

    def rpc(self, path, params):
        answer = self.session.post(
            self.odoo_url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=300,
        ).json()
        if "error" in answer:
            data = answer["error"].get("data") or {}
            raise RuntimeError(data.get("message") or answer["error"].get("message"))
        return answer["result"]

    def call(self, model, method, *args, company=None, context=None, **kwargs):
        """``company``: the one to act in, or a list of them (the company switcher's)."""
        context = dict(context or {})
        if company:
            context["allowed_company_ids"] = company if isinstance(company, list) else [company]
        if context:
            kwargs["context"] = context
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self.rpc("/web/dataset/call_kw", params)

    def sandbox(self):
        return requests.get(f"{self.sandbox_url}/_admin/state", timeout=30).json()

    # --- shared by both databases ---------------------------------------------------------

    def login(self):
        result = self.rpc(
            "/web/session/authenticate", {"db": self.db, "login": "admin", "password": "admin"}
        )
        assert result.get("uid"), result
        self.state["home_action_id"] = result.get("home_action_id")

    def home_is_dashboard(self):
        action = self.state["home_action_id"]
        assert action, "no home action: the web client opens Discuss"
        (values,) = self.call("ir.actions.act_window", "read", [action], ["xml_id"])
        assert values["xml_id"] == "account.open_account_journal_dashboard_kanban", values

    def params_point_at(self, sandbox):
        def get(key):
            return self.call("ir.config_parameter", "get_param", f"l10n_be_codabox_connect.{key}")

        assert get("api_url") == self.sandbox_url and get("mycodabox_url") == self.sandbox_url
        assert get("software_id") == sandbox["software_id"], "software ids differ"

    def clients(self, specs):
        """The database's client companies (sorted by id), as the demo data made them: the
        office's clients, a bank journal with the IBAN, named after its bank in nl and fr."""
        fields = ["name", "vat", "partner_id", "account_representative_id"]
        companies = self.call("res.company", "search_read", [], fields=fields)
        office = next(c for c in companies if c["name"] == "Fiduciaire Demo")
        clients = sorted(
            (c for c in companies if c["account_representative_id"]), key=lambda c: c["id"]
        )
        assert sorted(c["name"] for c in clients) == sorted(s["name"] for s in specs), clients
        for client in clients:
            assert client["account_representative_id"][0] == office["partner_id"][0], client
            assert re.fullmatch(r"BE[01]\d{9}", client["vat"]), client
            spec = next(s for s in specs if s["name"] == client["name"])
            domain = [("company_id", "=", client["id"]), ("type", "=", "bank")]
            domain.append(("bank_acc_number", "=", belgian_iban(spec["bank"])))
            bank = BANKS[spec["bank"][:3]][1]
            for lang in ("nl_BE", "fr_BE"):
                journals = self.call(
                    "account.journal",
                    "search_read",
                    domain,
                    fields=["name"],
                    company=client["id"],
                    context={"lang": lang},
                )
                assert [journal["name"] for journal in journals] == [bank], (lang, journals)
        return clients

    def manage_connection(self, company):
        settings = self.call("res.config.settings", "create", {}, company=company)
        manage = "action_codabox_manage_connection"
        return self.call("res.config.settings", manage, [settings], company=company)["res_id"]

    def wizard(self, wizard, company, fields):
        (values,) = self.call(
            "codabox.connection.wizard", "read", [wizard], fields, company=company
        )
        return values

    def connect_with_password(self, wizard, company, password):
        Wizard = "codabox.connection.wizard"
        self.call(Wizard, "write", [wizard], {"office_password": password}, company=company)
        self.call(Wizard, "action_connect", [wizard], company=company)
        values = self.wizard(wizard, company, ["error_message"])
        assert not values["error_message"], values
        settings = self.call("res.config.settings", "create", {}, company=company)
        fields = ["codabox_connection_state"]
        (values,) = self.call("res.config.settings", "read", [settings], fields, company=company)
        assert values["codabox_connection_state"], values

    def retrieve(self, company, gap=False):
        """The dashboard's "Retrieve from CodaBox" on the company's bank journal; returns its
        statements, checked: each with its CODA file and PDF, balances chained (but for one
        gap, with ``gap``: a statement CodaBox delivered before the connection)."""
        domain = [("company_id", "=", company), ("type", "=", "bank")]
        journals = self.call(
            "account.journal", "search", [*domain, ("bank_account_id", "!=", False)]
        )
        assert len(journals) == 1, journals
        self.call("account.journal", "action_codabox_retrieve", journals, company=company)
        statements = self.call(
            "account.bank.statement",
            "search_read",
            [("company_id", "=", company)],
            fields=["attachment_ids", "line_ids", "is_valid", "is_complete", "journal_id"],
            company=company,
        )
        assert len(statements) >= 3, statements
        assert all(len(s["attachment_ids"]) == 2 for s in statements), "no CODA or PDF"
        invalid = [s for s in statements if not (s["is_valid"] and s["is_complete"])]
        assert len(invalid) == (1 if gap else 0), ("balances do not chain", invalid)
        return statements

    def check_reconciled(self, client, spec, checked):
        """The company's demo invoices are paid as its statements pay them (demo_data.py)."""
        invoices = self.call(
            "account.move",
            "search_read",
            [("company_id", "=", client["id"]), ("ref", "=like", "DEMO-%")],
            fields=["ref", "name", "payment_state"],
            company=client["id"],
        )
        assert invoices, client
        for invoice in invoices:
            number = int(invoice["ref"].rsplit("-", 1)[1])
            how = spec["invoices"][number - 1][5]
            expected = expected_payment_state(how)
            assert invoice["payment_state"] == expected, (invoice, how, expected)
            checked[expected] += 1
        lines = self.call(
            "account.bank.statement.line",
            "search_read",
            [("company_id", "=", client["id"]), ("codabox_reconcile_note", "!=", False)],
            fields=["is_reconciled", "codabox_reconcile_note"],
            company=client["id"],
        )
        open_notes = [line["codabox_reconcile_note"] for line in lines if not line["is_reconciled"]]
        if spec.get("foreign"):
            assert any("No open invoice" in note for note in open_notes), open_notes
        if any(invoice[5] == "wrong" for invoice in spec["invoices"]):
            assert any("more than what is left to pay" in note for note in open_notes), open_notes


def first(checks, seed_file, password_file, sftp_port=None):
    call, state, check = checks.call, checks.state, checks.check
    specs = clients_of("first")

    @check("log in over HTTP as admin/admin (/web/session/authenticate)")
    def _login():
        checks.login()

    @check("the admin lands on the Invoicing dashboard (home action), not on Discuss")
    def _home():
        checks.home_is_dashboard()

    @check("res.config.settings has the CodaBox connection fields (codabox_connection_state, ...)")
    def _fields():
        fields = call("res.config.settings", "fields_get", attributes=["type"])
        missing = {
            "codabox_connection_state",
            "codabox_consent_status",
            "account_representative_id",
        }
        missing -= set(fields)
        assert not missing, f"missing {sorted(missing)}"

    @check('the settings form shows the CodaBox block with "Manage Connection"')
    def _form():
        views = call("res.config.settings", "get_views", [[False, "form"]])
        arch = views["views"]["form"]["arch"]
        assert "Manage Connection" in arch and "action_codabox_manage_connection" in arch

    @check("the addon points at the sandbox (api_url, mycodabox_url, software_id)")
    def _params():
        state["sandbox"] = checks.sandbox()
        checks.params_point_at(state["sandbox"])

    @check(
        "demo data: the office and four Belgian client companies (Garage Martin's among them) "
        "with a bank journal (IBAN), named after its bank in nl and fr"
    )
    def _companies():
        companies = checks.clients([*specs, GARAGE])
        # Garage Martin's is checked with its own books (invoicing); the others are the
        # connection flow's.
        (state["garage"],) = [c for c in companies if c["name"] == GARAGE["name"]]
        state["clients"] = [c for c in companies if c["name"] != GARAGE["name"]]

    @check("demo data: open customer invoices with Belgian structured communications")
    def _invoices():
        invoices = call(
            "account.move",
            "search_read",
            [("move_type", "=", "out_invoice"), ("state", "=", "posted")],
            fields=["company_id", "payment_reference", "payment_state", "amount_residual"],
        )
        structured = [i for i in invoices if OGM.fullmatch(i["payment_reference"] or "")]
        assert len(structured) >= 6, invoices
        sme = call("res.company", "search", [("codabox_client_code", "=", SME["client_code"])])
        sme += call("res.company", "search", [("name", "=", GARAGE["sme_name"])])
        companies = {i["company_id"][0] for i in structured} - set(sme)
        assert companies == {c["id"] for c in state["clients"]}, companies
        state["references"] = {i["payment_reference"] for i in structured}

    @check(
        "the sandbox (GET /_admin/state) lists the office and the three companies with documents"
    )
    def _sandbox():
        sandbox = state["sandbox"]
        (office,) = sandbox["offices"]
        assert office["users"], office
        companies = {c["vat"]: c for c in sandbox["companies"]}
        for client in state["clients"]:
            company = companies[client["vat"].replace(" ", "")]
            assert company["office_vat"] == office["vat"], company
            assert len(company["documents"]) >= 3, company
        with open(seed_file, encoding="utf-8") as file:
            (user,) = json.load(file)["offices"][0]["users"]
        assert user["login"] in office["users"], (user, office)
        state["user"] = user

    @check("connection flow: the first client company connects through MyCodaBox's consent")
    def _consent():
        first = state["clients"][0]["id"]
        wizard = checks.manage_connection(first)
        assert checks.wizard(wizard, first, ["step"])["step"] == "start"
        call("codabox.connection.wizard", "action_create_connection", [wizard], company=first)
        values = checks.wizard(wizard, first, ["step", "new_password"])
        assert values["step"] == "create" and values["new_password"], values
        call(
            "codabox.connection.wizard", "write", [wizard], {"password_saved": True}, company=first
        )
        action = call(
            "codabox.connection.wizard", "action_go_to_mycodabox", [wizard], company=first
        )
        url = action["url"]
        assert url.startswith(checks.sandbox_url), url
        user, password = state["user"], values["new_password"]
        back = RunningSandbox({}).authorize_in_browser(
            url, user["login"], user["password"], password
        )
        assert back.startswith(checks.odoo_url) and "code=" in back, back
        page = checks.session.get(back, timeout=120)
        assert page.status_code == 200 and "is connected" in page.text, page.text[:500]
        state["office_password"] = password
        # For the further database, as the user noted it.
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(password)

    @check("connection flow: the second client company connects with the office password")
    def _office_password():
        second = state["clients"][1]["id"]
        wizard = checks.manage_connection(second)
        values = checks.wizard(wizard, second, ["step"])
        assert values["step"] == "connect", values
        checks.connect_with_password(wizard, second, state["office_password"])

    @check('"Retrieve from CodaBox": statements with their PDF and the invoices\' communications')
    def _retrieve():
        payment_refs = set()
        for client in state["clients"][:2]:
            company = client["id"]
            checks.retrieve(company, gap=client["name"] == GAP_CLIENT_NAME)
            lines = call(
                "account.bank.statement.line",
                "search_read",
                [("company_id", "=", company)],
                fields=["payment_ref"],
                company=company,
            )
            payment_refs |= {line["payment_ref"] or "" for line in lines}
        assert any(
            reference in payment_ref
            for reference in state["references"]
            for payment_ref in payment_refs
        ), "no line has a demo invoice's communication"

    @check("a missing statement: named on the journal's card, filled by Fetch again from CodaBox")
    def _gap():
        (client,) = [c for c in state["clients"][:2] if c["name"] == GAP_CLIENT_NAME]
        company = client["id"]
        (journal,) = call(
            "account.journal",
            "search_read",
            [
                ("company_id", "=", company),
                ("type", "=", "bank"),
                ("bank_account_id", "!=", False),
            ],
            fields=["codabox_gap_count", "codabox_gap_summary"],
            company=company,
        )
        assert journal["codabox_gap_count"] == 1, journal
        assert "missing between" in journal["codabox_gap_summary"], journal
        (after,) = call(
            "account.bank.statement",
            "search",
            [("company_id", "=", company), ("codabox_after_gap", "=", True)],
            company=company,
        )
        todos = call(
            "mail.activity",
            "search_count",
            [("codabox_gap_statement_id", "=", after)],
            company=company,
        )
        assert todos == 1, todos
        domain = [("company_id", "=", company)]
        before = call("account.bank.statement", "search_count", domain, company=company)
        action = call(
            "account.bank.statement", "action_codabox_fetch_again", [after], company=company
        )
        assert action["params"]["type"] == "success", action
        statements = call(
            "account.bank.statement",
            "search_read",
            [("company_id", "=", company)],
            fields=["is_valid", "is_complete", "codabox_after_gap"],
            company=company,
        )
        assert len(statements) == before + 1, (before, statements)
        assert all(s["is_valid"] and not s["codabox_after_gap"] for s in statements), statements

    @check("the retrieval made a draft payroll entry (SODA) and draft vendor bills, with PDFs")
    def _other_kinds():
        for client in state["clients"][:2]:
            company = client["id"]
            documents = call(
                "codabox.document",
                "search_read",
                [("company_id", "=", company), ("kind", "in", ("soda", "purchase_invoice"))],
                fields=["kind", "state", "move_ids", "error_message"],
                company=company,
            )
            assert sorted(d["kind"] for d in documents) == [
                "purchase_invoice",
                "purchase_invoice",
                "soda",
            ], documents
            assert all(d["state"] == "imported" for d in documents), documents
            moves = call(
                "account.move",
                "search_read",
                [("id", "in", [m for d in documents for m in d["move_ids"]])],
                fields=["move_type", "state", "journal_id", "message_main_attachment_id"],
                company=company,
            )
            assert sorted(m["move_type"] for m in moves) == ["entry", "in_invoice", "in_invoice"]
            assert all(m["state"] == "draft" for m in moves), moves
            assert all(m["message_main_attachment_id"] for m in moves), "a PDF missing"

    @check("the retrieval reconciled the statements with the invoices they pay, the others open")
    def _reconciled():
        clients = {client["name"]: client for client in specs}
        checked = {"paid": 0, "partial": 0, "not_paid": 0}
        for client in state["clients"][:2]:
            checks.check_reconciled(client, clients[client["name"]], checked)
        assert all(checked.values()), checked
        print(
            f"check-demo:       {checked['paid']} invoices paid, {checked['partial']} partly "
            f"paid, {checked['not_paid']} open",
            flush=True,
        )

    @check(
        'one failed document, an account without a journal: "Create journal", then '
        '"Retry import" imports it'
    )
    def _failed_document():
        spec = next(spec for spec in specs if spec.get("account_without_journal"))
        company = next(c for c in state["clients"] if c["name"] == spec["name"])["id"]
        iban = belgian_iban(spec["account_without_journal"][0])
        Document = "codabox.document"
        documents = call(
            Document,
            "search_read",
            [("state", "=", "failed")],
            fields=["company_id", "account_number", "missing_journal"],
            company=[client["id"] for client in state["clients"]],
        )
        assert [
            (d["company_id"][0], d["account_number"], d["missing_journal"]) for d in documents
        ] == [(company, iban, True)], documents
        document = documents[0]["id"]
        action = call(Document, "action_create_journal", [document], company=company)
        # The form opens with the action's defaults, and Save sends them.
        context = action["context"]
        defaults = [key.removeprefix("default_") for key in context if key.startswith("default_")]
        values = call("account.journal", "default_get", defaults, context=context)
        journal = call("account.journal", "create", values, company=company, context=context)
        call(Document, "action_retry", [document], company=company)
        (values,) = call(Document, "read", [document], ["state", "statement_ids"], company=company)
        assert values["state"] == "imported" and values["statement_ids"], values
        statements = call(
            "account.bank.statement",
            "search_read",
            [("journal_id", "=", journal)],
            fields=["attachment_ids"],
            company=company,
        )
        assert [len(s["attachment_ids"]) for s in statements] == [2], statements

    if sftp_port:
        sftp(checks, sftp_port)
    invoicing(checks)


def sftp(checks, port):
    """CodaBox's file delivery: what the demo collected from its SFTP server at its start."""
    call, state, check = checks.call, checks.state, checks.check

    @check(
        f"SFTP delivery: {SME['name']} has its client code, and {SFTP_SOURCE!r} "
        f"(SFTP on 127.0.0.1:{port}) serves it, its host key pinned, no error"
    )
    def _source():
        (company,) = call(
            "res.company",
            "search_read",
            [("codabox_client_code", "=", SME["client_code"])],
            fields=["name"],
        )
        assert company["name"] == SME["name"], company
        (source,) = call(
            "codabox.delivery.source",
            "search_read",
            [("name", "=", SFTP_SOURCE)],
            fields=[
                "location",
                "protocol",
                "host",
                "port",
                "username",
                "company_ids",
                "host_key_fingerprint",
                "last_error",
                "last_report",
                "last_collection_at",
            ],
        )
        assert (source["location"], source["protocol"], source["host"], source["port"]) == (
            "codabox",
            "sftp",
            "127.0.0.1",
            port,
        ), source
        assert source["username"] == SFTP_USERNAME and source["company_ids"] == [company["id"]]
        assert source["last_collection_at"] and not source["last_error"], source
        assert (source["host_key_fingerprint"] or "").startswith("SHA256:"), source
        state["sme"], state["source"] = company, source

    @check(
        f"SFTP delivery: {SFTP_DAYS} CODA files collected at the demo's start, imported as "
        "statements with their PDF into the SME's bank journal, the invoice they pay paid"
    )
    def _imported():
        company, source = state["sme"]["id"], state["source"]
        documents = call(
            "codabox.document",
            "search_read",
            [("source_id", "=", source["id"])],
            fields=["state", "company_id", "source_client_code", "statement_ids", "kind"],
            company=company,
        )
        assert len(documents) == SFTP_DAYS, documents
        for document in documents:
            assert document["state"] == "imported" and document["statement_ids"], document
            assert document["company_id"][0] == company and document["kind"] == "coda", document
            assert document["source_client_code"] == SME["client_code"], document
        statements = call(
            "account.bank.statement",
            "search_read",
            [("company_id", "=", company)],
            fields=["attachment_ids", "is_valid", "is_complete", "journal_id"],
            company=company,
        )
        assert len(statements) == SFTP_DAYS, statements
        journals = call(
            "account.journal",
            "search",
            [("company_id", "=", company), ("bank_acc_number", "=", belgian_iban(SME["bank"]))],
            company=company,
        )
        assert {s["journal_id"][0] for s in statements} == set(journals), (statements, journals)
        assert all(len(s["attachment_ids"]) == 2 for s in statements), "no CODA or PDF"
        assert all(s["is_valid"] and s["is_complete"] for s in statements), "balances"
        checked = {"paid": 0, "partial": 0, "not_paid": 0}
        checks.check_reconciled(state["sme"], SME, checked)
        assert checked["paid"], checked

    @check(
        f"SFTP delivery: the server shows the pinned host key; the imported files are in "
        f"{SFTP_ARCHIVE}/, the file of client code {UNKNOWN_CLIENT_CODE} is left in place and "
        "named in the delivery's report"
    )
    def _server():
        source = state["source"]
        code = SME["client_code"]
        assert f"Client code {UNKNOWN_CLIENT_CODE}: no company has it" in (
            source["last_report"] or ""
        ), source["last_report"]
        transport = paramiko.Transport(("127.0.0.1", port))
        try:
            transport.connect(username=SFTP_USERNAME, password=SFTP_PASSWORD)
            offered = transport.get_remote_server_key().fingerprint
            assert offered == source["host_key_fingerprint"], (offered, source)
            client = paramiko.SFTPClient.from_transport(transport)
            archived = client.listdir(f"{SFTP_ARCHIVE}/{code}/CODA")
            extensions = sorted(name.rsplit(".", 1)[-1] for name in archived)
            assert extensions == ["cod"] * SFTP_DAYS + ["pdf"] * SFTP_DAYS, archived
            assert client.listdir(f"{code}/CODA") == [], "files left in the client's folder"
            assert len(client.listdir(f"{UNKNOWN_CLIENT_CODE}/CODA")) == 1
        finally:
            transport.close()


def invoicing(checks):
    """Garage Martin, which invoices with Odoo: what make demo did with its two companies (the
    invoicing-software connection, the invoices sent, the CODA, the office's import)."""
    call, state, check = checks.call, checks.state, checks.check
    own_name, office_name = GARAGE["sme_name"], GARAGE["name"]

    @check(
        f"invoicing software: {own_name!r} (same VAT) is connected as the company's invoicing "
        "software, at CodaBox too, and its settings say so"
    )
    def _connected():
        (company,) = call("res.company", "search_read", [("name", "=", own_name)], fields=["vat"])
        assert company["vat"] == GARAGE["vat"] == state["garage"]["vat"], company
        state["own_books"] = own = company["id"]
        (connection,) = call(
            "codabox.connection",
            "search_read",
            [("company_id", "=", own)],
            fields=["kind", "state", "office_id", "username", "last_error"],
            company=own,
        )
        assert (connection["kind"], connection["state"]) == ("invoicing_software", "connected")
        assert not connection["office_id"] and not connection["last_error"], connection
        settings = call("res.config.settings", "create", {}, company=own)
        fields = [
            "codabox_connection_state",
            "codabox_connection_kind",
            "codabox_waiting_for_token",
        ]
        (values,) = call("res.config.settings", "read", [settings], fields, company=own)
        assert values["codabox_connection_kind"] == "invoicing_software", values
        assert values["codabox_connection_state"] and not values["codabox_waiting_for_token"]
        views = call("res.config.settings", "get_views", [[False, "form"]])
        assert "as the company's invoicing software" in views["views"]["form"]["arch"]
        sandbox = state["invoicing_sandbox"] = checks.sandbox()
        (garage,) = [c for c in sandbox["companies"] if c["vat"] == GARAGE["vat"]]
        assert garage["invoicing_software_connected"] and garage["connected"], garage
        assert garage["email"] == GARAGE["email"], garage
        tokens = [t for t in sandbox["invoicing_tokens"] if t["vat"] == GARAGE["vat"]]
        assert [t["used"] for t in tokens] == [True], tokens

    @check(
        f"invoicing software: the sandbox's mailbox page (/mailbox) shows the token mail to "
        f"{GARAGE['email']}"
    )
    def _mailbox():
        outbox = requests.get(f"{checks.sandbox_url}/_admin/outbox", timeout=30).json()
        mails = [m for m in outbox["messages"] if m["vat"] == GARAGE["vat"]]
        assert [m["to"] for m in mails] == [GARAGE["email"]], mails
        page = requests.get(f"{checks.sandbox_url}/mailbox", timeout=30)
        assert page.status_code == 200, page.status_code
        assert "text/html" in page.headers.get("Content-Type", ""), page.headers
        for text in (GARAGE["email"], GARAGE["name"], f'class="token">{mails[0]["token"]}<'):
            assert text in page.text, (text, page.text[:1000])

    @check(
        "invoicing software: its two invoices (Belgian structured communication) are Sent in "
        "the ledger (Customers > Sent to CodaBox), CodaBox has them as sales invoices"
    )
    def _sent():
        own = state["own_books"]
        invoices = call(
            "account.move",
            "search_read",
            [("company_id", "=", own), ("move_type", "=", "out_invoice")],
            fields=["name", "ref", "state", "payment_reference", "amount_total"],
            company=own,
        )
        assert len(invoices) == len(GARAGE["invoices"]), invoices
        assert all(i["state"] == "posted" for i in invoices), invoices
        assert all(OGM.fullmatch(i["payment_reference"] or "") for i in invoices), invoices
        ledger = call(
            "codabox.sent.invoice",
            "search_read",
            [("company_id", "=", own)],
            fields=["move_id", "state", "codabox_id", "attempt_count", "last_error"],
            company=own,
        )
        assert sorted(e["move_id"][0] for e in ledger) == sorted(i["id"] for i in invoices)
        assert all(e["state"] == "sent" and e["codabox_id"] for e in ledger), ledger
        (garage,) = [
            c for c in state["invoicing_sandbox"]["companies"] if c["vat"] == GARAGE["vat"]
        ]
        sales = [d for d in garage["documents"] if d["document_model"] == "sales_invoice"]
        assert sorted(d["feed_index"] for d in sales) == sorted(e["codabox_id"] for e in ledger)
        numbers = sorted(d["metadata"]["invoice_number"] for d in sales)
        assert numbers == sorted(i["name"] for i in invoices), (numbers, invoices)
        # Each with Odoo's UBL and its PDF (wkhtmltopdf, installed by make setup).
        assert all(sorted(d["formats"]) == ["pdf", "xml"] for d in sales), sales
        state["own_invoices"] = invoices

    @check(
        f"invoicing software: its CODA ({GARAGE_DAYS} days, through its own connection) "
        "imported with the PDF, the first invoice paid with its structured communication"
    )
    def _paid():
        own = state["own_books"]
        documents = call(
            "codabox.document",
            "search_read",
            [("company_id", "=", own)],
            fields=["kind", "state", "statement_ids", "connection_id"],
            company=own,
        )
        assert len(documents) == GARAGE_DAYS, documents
        assert all(d["kind"] == "coda" and d["state"] == "imported" for d in documents)
        statements = call(
            "account.bank.statement",
            "search_read",
            [("company_id", "=", own)],
            fields=["attachment_ids", "is_valid", "is_complete"],
            company=own,
        )
        assert len(statements) == GARAGE_DAYS, statements
        assert all(len(s["attachment_ids"]) == 2 for s in statements), "no CODA or PDF"
        checked = {"paid": 0, "partial": 0, "not_paid": 0}
        checks.check_reconciled({"id": own}, GARAGE, checked)
        assert checked == {"paid": 1, "partial": 0, "not_paid": 1}, checked

    @check(
        f"invoicing software: the office's client company {office_name!r} (CodaBox Connect, "
        "importing sales invoices) has both as draft customer invoices from sales_invoice "
        "documents, the daily job having retrieved them"
    )
    def _office():
        office = state["garage"]["id"]
        (connection,) = call(
            "codabox.connection",
            "search_read",
            [("company_id", "=", office)],
            fields=["kind", "state", "consent_status", "last_complete_retrieval_at"],
            company=office,
        )
        assert (connection["kind"], connection["state"]) == ("office", "connected"), connection
        assert connection["last_complete_retrieval_at"], connection
        (values,) = call(
            "res.company", "read", [office], ["codabox_import_sales_invoices"], company=office
        )
        assert values["codabox_import_sales_invoices"], values
        documents = call(
            "codabox.document",
            "search_read",
            [("company_id", "=", office)],
            fields=["kind", "state", "move_ids", "error_message"],
            company=office,
        )
        kinds = sorted(d["kind"] for d in documents)
        assert kinds == ["coda"] * GARAGE_DAYS + ["sales_invoice"] * 2, documents
        assert all(d["state"] == "imported" for d in documents), documents
        moves = call(
            "account.move",
            "search_read",
            [("id", "in", [m for d in documents for m in d["move_ids"]])],
            fields=["move_type", "state", "ref", "amount_total", "partner_id", "company_id"],
            company=office,
        )
        assert all(m["move_type"] == "out_invoice" and m["state"] == "draft" for m in moves), moves
        assert {m["company_id"][0] for m in moves} == {office}, moves
        sent = {i["name"]: i["amount_total"] for i in state["own_invoices"]}
        got = {m["ref"]: m["amount_total"] for m in moves}
        assert got == sent, (got, sent)
        assert all(m["partner_id"] for m in moves), moves


def further(checks, seed_file, password_file):
    call, state, check = checks.call, checks.state, checks.check
    specs = clients_of("further")
    with open(seed_file, encoding="utf-8") as file:
        seed = json.load(file)
    own = {company["vat"] for company in seed["companies"]}

    @check("further database: log in, land on the Invoicing dashboard")
    def _login():
        checks.login()
        checks.home_is_dashboard()

    @check("further database: it uses the first demo's sandbox, which now has its clients too")
    def _sandbox():
        sandbox = state["sandbox"] = checks.sandbox()
        checks.params_point_at(sandbox)
        (office,) = sandbox["offices"]
        assert office["has_password"] and office["consent"]["status"] == "allowed", office
        vats = {company["vat"] for company in sandbox["companies"]}
        assert own <= vats and vats - own, "not the first demo's companies and its own"
        for company in sandbox["companies"]:
            if company["vat"] in own:
                assert not company["connected"] and company["office_vat"] == office["vat"]

    @check(
        "further database: its own client companies, each with a bank journal named after its bank"
    )
    def _companies():
        state["clients"] = checks.clients(specs)
        assert {client["vat"] for client in state["clients"]} == own

    @check('further database: "Connect with the office password" of the first database connects')
    def _connect():
        company = state["clients"][0]["id"]
        wizard = checks.manage_connection(company)
        values = checks.wizard(wizard, company, ["step", "office_known"])
        assert values == {"id": wizard, "step": "start", "office_known": False}, values
        action = call(
            "codabox.connection.wizard", "action_use_office_password", [wizard], company=company
        )
        assert action["res_id"] == wizard, action
        assert checks.wizard(wizard, company, ["step"])["step"] == "connect"
        with open(password_file, encoding="utf-8") as file:
            checks.connect_with_password(wizard, company, file.read())
        (office,) = checks.sandbox()["offices"]
        assert office["consent"] == state["sandbox"]["offices"][0]["consent"], "a new consent"
        settings = call("res.config.settings", "create", {}, company=company)
        fields = ["codabox_consent_status"]
        (values,) = call("res.config.settings", "read", [settings], fields, company=company)
        assert values["codabox_consent_status"] == "allowed", values

    @check("further database: the retrieval brings its own company's statements, and only those")
    def _retrieve():
        client = state["clients"][0]
        statements = checks.retrieve(client["id"])
        sandbox = {company["vat"]: company for company in checks.sandbox()["companies"]}
        documents = sandbox[client["vat"]]["documents"]
        coda = [d for d in documents if d["document_model"] == "coda"]
        assert len(statements) == len(coda), (statements, documents)
        assert all(document["acknowledged"] for document in documents), documents
        for vat, company in sandbox.items():
            if vat in own and vat != client["vat"]:
                assert not any(d["acknowledged"] for d in company["documents"]), company
        everywhere = call(
            "account.bank.statement",
            "search_read",
            [],
            fields=["company_id"],
            company=[client["id"] for client in state["clients"]],
        )
        assert {s["company_id"][0] for s in everywhere} == {client["id"]}, everywhere
        checked = {"paid": 0, "partial": 0, "not_paid": 0}
        checks.check_reconciled(
            client, next(s for s in specs if s["name"] == client["name"]), checked
        )
        assert checked["paid"], checked


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("database", choices=["first", "further"])
    for name in ("odoo_url", "sandbox_url", "db", "seed_file", "password_file"):
        parser.add_argument(name)
    parser.add_argument(
        "--sftp-port", type=int, help="first: the demo's SFTP server, to check its delivery"
    )
    args = parser.parse_args(argv)
    checks = Checks(args.odoo_url, args.sandbox_url, args.db)
    if args.database == "first":
        first(checks, args.seed_file, args.password_file, args.sftp_port)
    else:
        further(checks, args.seed_file, args.password_file)
    return min(checks.failures, 100)


if __name__ == "__main__":
    sys.exit(main())
