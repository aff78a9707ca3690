"""The client's invoicing-software part against the sandbox over real HTTP: no mock anywhere.

A company that invoices with its own software (Fleurs Dupont SRL of the example seed, a client
of Fiduciaire Lambert with an e-mail address at CodaBox) asks CodaBox for a token, exchanges it
once for credentials, reads its own CODA with them and sends its sales invoices, which reach
its accounting office's Connect feed. Attempts are counted in the sandbox's request log.
"""

import base64
import json
import logging
import traceback
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ..codabox_client import (
    CodaboxClient,
    CodaboxError,
    CodaboxProtocolError,
    CodaboxUnreachable,
    Credentials,
    CredentialsRefused,
    DuplicateInvoice,
    IdempotencyKeyReused,
    InvalidInvoiceDocument,
    InvalidToken,
    NoAccountingOffice,
    SentInvoice,
    UnknownEmail,
    UnknownEnterprise,
)
from ..sandbox.state import read_seed
from ..sandbox.testing import SandboxAdminError, last_token, outbox, running_sandbox
from .parties import EXAMPLE

REDIRECT = "https://odoo.example/codabox/connect/callback"
SME_VAT = "BE0123456749"  # Fleurs Dupont SRL: a client of Fiduciaire Lambert, with an e-mail
SME_EMAIL = "florence@fleurs.be"
SME = next(company for company in read_seed()["companies"] if company["vat"] == SME_VAT)
ACCESS = "/v2/request-access-token/invoicing-software/"
CREDENTIALS = "/v2/get-credentials/"
SALES = "/v2/invoicing-software/sales-invoices/"
REVOKE = "/v2/invoicing-software/credentials/"
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
PDF = b"%PDF-1.4\n% the invoice as printed\n%%EOF\n"


def ubl(number="INV/2025/00001", root="Invoice", namespace=UBL_INVOICE):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{namespace}" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        f"<cbc:ID>{number}</cbc:ID><cbc:IssueDate>2025-03-14</cbc:IssueDate>"
        f"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode></{root}>"
    ).encode()


def make_client(sandbox, credentials=None, **options):
    options = {"backoff": 0.01, "max_backoff": 0.05, "timeout": (2, 5), **options}
    if isinstance(credentials, Credentials):
        credentials = (credentials.username, credentials.password)
    return CodaboxClient(sandbox.url, sandbox.software_id, credentials=credentials, **options)


def software_credentials(sandbox, vat=SME_VAT):
    """The SME's way in: a token by e-mail, exchanged for credentials."""
    make_client(sandbox).request_invoicing_access(vat)
    return make_client(sandbox).get_credentials(sandbox.last_token(vat))


def software(sandbox, **options):
    """A client with fresh invoicing-software credentials of the SME."""
    return make_client(sandbox, software_credentials(sandbox), **options)


def office_connection(sandbox, company_vat=SME_VAT):
    """The accounting office's Connect connection of ``company_vat`` (consent given first)."""
    url = CodaboxClient.authorize_url(
        sandbox.url,
        software_id=sandbox.software_id,
        office_vat=EXAMPLE.office_vat,
        company_vat=company_vat,
        redirect_uri=REDIRECT,
        state="s",
    )
    back = sandbox.authorize_in_browser(
        url, EXAMPLE.login, EXAMPLE.login_password, EXAMPLE.office_password
    )
    code = parse_qs(urlsplit(back).query)["code"][0]
    return make_client(sandbox).exchange_code(code, EXAMPLE.office_password)


def office(sandbox, connection):
    return make_client(sandbox, (connection.username, connection.password))


def send(client, key="key-1", number="INV/2025/00001", move_type="invoice", **overrides):
    values = {
        "idempotency_key": key,
        "invoice_number": number,
        "move_type": move_type,
        "issue_date": date(2025, 3, 14),
        "currency": "EUR",
        "amount_total": Decimal("121.00"),
        "xml": ubl(number),
        "xml_filename": f"{number.replace('/', '_')}.xml",
        "pdf": PDF,
        "pdf_filename": f"{number.replace('/', '_')}.pdf",
        **overrides,
    }
    return client.send_sales_invoice(**values)


def company(sandbox, vat=SME_VAT):
    return next(c for c in sandbox.state()["companies"] if c["vat"] == vat)


def sales_invoices(sandbox, vat=SME_VAT):
    return [d for d in company(sandbox, vat)["documents"] if d["document_model"] == "sales_invoice"]


def add_coda(sandbox, count=1, vat=SME_VAT):
    """CODA documents delivered to the company (the example's statement, as bytes go)."""
    return sandbox.add_documents(
        vat,
        [
            {"cod": EXAMPLE.docs_a[0]["cod"], "metadata": {"iban": SME["ibans"][0]}}
            for _ in range(count)
        ],
    )


# --- the token ------------------------------------------------------------------------------


def test_the_seed_has_the_sme():
    assert (SME["email"], SME["office_vat"]) == (SME_EMAIL, EXAMPLE.office_vat)


def test_token_is_e_mailed_and_the_address_masked(sandbox):
    assert make_client(sandbox).request_invoicing_access(SME_VAT) == "f***@fleurs.be"
    [message] = sandbox.outbox()
    assert message == outbox(sandbox.url)[0]
    assert (message["to"], message["vat"]) == (SME_EMAIL, SME_VAT)
    assert message["token"] in message["body"]
    assert "Fleurs Dupont SRL" in message["subject"]
    assert "24 hours" in message["body"]
    token = message["token"]
    assert token.startswith("CBX-") and len(token) == 23
    assert last_token(sandbox.url, "be 0123.456.749") == sandbox.last_token(SME_VAT) == token
    [issued] = sandbox.state()["invoicing_tokens"]
    assert issued["vat"] == SME_VAT and not issued["used"] and token not in json.dumps(issued)
    with pytest.raises(SandboxAdminError, match="no token"):
        sandbox.last_token(EXAMPLE.company_a_vat)


@pytest.mark.parametrize(
    "vat, error, code, status, words",
    [
        (
            "BE0999999999",
            UnknownEnterprise,
            "unknownEnterpriseNumber",
            404,
            "contact your accounting office",
        ),
        (EXAMPLE.sme_vat, NoAccountingOffice, "noAccountingOffice", 409, "accounting office"),
        (EXAMPLE.company_a_vat, UnknownEmail, "unknownEmail", 409, "contact CodaBox"),
    ],
)
def test_access_refusals(sandbox, vat, error, code, status, words):
    with pytest.raises(error) as refused:
        make_client(sandbox).request_invoicing_access(vat)
    assert (refused.value.code, refused.value.status) == (code, status)
    assert refused.value.company_vat == vat
    assert vat in refused.value.message and words in refused.value.message
    assert sandbox.outbox() == []
    assert len(sandbox.request_log("POST", ACCESS)) == 1  # a POST: not tried again


def test_office_unknown_to_codabox_is_no_office(sandbox):
    sandbox.seed(
        {
            "companies": [
                {"vat": "BE0417497106", "office_vat": "BE0400000196", "email": "a@b.example"}
            ]
        },
        merge=True,
    )
    with pytest.raises(NoAccountingOffice, match="BE0417497106"):
        make_client(sandbox).request_invoicing_access("BE0417497106")


def test_token_is_single_use(sandbox):
    make_client(sandbox).request_invoicing_access(SME_VAT)
    token = sandbox.last_token(SME_VAT)
    credentials = make_client(sandbox).get_credentials(f"  {token}\n")  # pasted from the e-mail
    assert credentials.username and credentials.password
    assert credentials.username not in repr(credentials)
    assert credentials.password not in repr(credentials)
    make_client(sandbox, credentials).pod_client()
    with pytest.raises(InvalidToken, match="request a new one") as refused:
        make_client(sandbox).get_credentials(token)
    assert (refused.value.code, refused.value.status) == ("invalidToken", 404)
    assert token not in str(refused.value)
    with pytest.raises(ValueError):
        make_client(sandbox).get_credentials("  ")


def test_token_expires_after_24_hours(sandbox):
    client = make_client(sandbox)
    client.request_invoicing_access(SME_VAT)
    sandbox.advance_clock(24 * 3600 - 60)
    client.get_credentials(sandbox.last_token(SME_VAT))  # still valid a minute before
    client.request_invoicing_access(SME_VAT)
    sandbox.advance_clock(24 * 3600 + 1)
    with pytest.raises(InvalidToken):
        client.get_credentials(sandbox.last_token(SME_VAT))


def test_new_request_voids_the_earlier_token(sandbox):
    client = make_client(sandbox)
    client.request_invoicing_access(SME_VAT)
    first = sandbox.last_token(SME_VAT)
    client.request_invoicing_access(SME_VAT)
    second = sandbox.last_token(SME_VAT)
    assert first != second and len(sandbox.outbox()) == 2
    with pytest.raises(InvalidToken):
        client.get_credentials(first)
    client.get_credentials(second)


def test_token_exchange_is_not_retried(sandbox):
    """A single-use token: the answer lost, the credentials are gone with it."""
    client = make_client(sandbox)
    client.request_invoicing_access(SME_VAT)
    token = sandbox.last_token(SME_VAT)
    sandbox.add_fault("lost_answer", method="GET", path=CREDENTIALS)
    with pytest.raises(CodaboxUnreachable, match=r"get-credentials/\*\*\*/"):
        client.get_credentials(token)
    [entry] = sandbox.request_log("GET", CREDENTIALS)
    assert (entry["path"], entry["fault"]) == ("/v2/get-credentials/***/", "lost_answer")
    with pytest.raises(InvalidToken):
        client.get_credentials(token)
    sandbox.add_fault("status", method="GET", path=CREDENTIALS, status=503)
    client.request_invoicing_access(SME_VAT)
    with pytest.raises(CodaboxError, match="HTTP 503"):
        client.get_credentials(sandbox.last_token(SME_VAT))
    assert len(sandbox.request_log("GET", CREDENTIALS)) == 3


def test_access_request_lost_is_not_retried(sandbox):
    sandbox.add_fault("drop", method="POST", path=ACCESS)
    with pytest.raises(CodaboxUnreachable, match="closed the connection"):
        make_client(sandbox).request_invoicing_access(SME_VAT)
    assert len(sandbox.request_log("POST", ACCESS)) == 1


# --- reading the company's CODA -------------------------------------------------------------


def test_software_reads_its_own_coda_only(sandbox):
    coda, later = add_coda(sandbox, 2)
    [soda] = sandbox.add_documents(
        SME_VAT,
        [{"document_model": "soda", "xml": base64.b64encode(b"<SocialDocument/>").decode()}],
    )
    client = software(sandbox)  # no consent of the office anywhere: none is needed
    pod = client.pod_client()
    assert pod["allowed_formats"] == {"coda": ["cod", "pdf", "xml"]}
    [feed_client] = pod["feed_clients"]
    feed_id = feed_client["id"]
    assert feed_id != company(sandbox)["feed_client_id"]
    assert (feed_client["client_id"], feed_client["client_code"]) == (SME_VAT, "FLEURS")
    assert (feed_client["client_name"], feed_client["fiduciary_id"]) == (
        "Fleurs Dupont SRL",
        EXAMPLE.office_vat,
    )
    assert [(e.feed_index, e.document_model) for e in client.feed(feed_id)] == [
        (coda, "coda"),
        (later, "coda"),
    ]
    assert client.download(coda, "cod") == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    with pytest.raises(CodaboxProtocolError, match="no document"):
        client.download(soda, "xml")
    client.acknowledge(feed_id, coda)
    assert [e.feed_index for e in client.feed(feed_id)] == [later]
    assert [e.feed_index for e in client.redownload_feed(feed_id)] == [coda]
    assert client.redownload(coda, "cod") == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    with pytest.raises(CodaboxProtocolError) as refused:
        client.acknowledge(feed_id, soda)  # not in its feed
    assert refused.value.status == 400
    with pytest.raises(CodaboxProtocolError) as refused:
        client.feed(company(sandbox)["feed_client_id"])  # the office's feed is not its own
    assert refused.value.status == 404


def test_software_and_office_acknowledge_apart(sandbox):
    coda, later = add_coda(sandbox, 2)
    sme = software(sandbox)
    sme_feed = sme.pod_client()["feed_clients"][0]["id"]
    connection = office_connection(sandbox)
    office_client = office(sandbox, connection)
    sme.acknowledge(sme_feed, later)
    assert sme.feed(sme_feed) == []
    assert [e.feed_index for e in office_client.feed(connection.feed_client_id)] == [coda, later]
    office_client.acknowledge(connection.feed_client_id, coda)
    [newest] = add_coda(sandbox)
    assert [e.feed_index for e in sme.feed(sme_feed)] == [newest]
    assert [e.feed_index for e in office_client.feed(connection.feed_client_id)] == [later, newest]
    office_client.acknowledge(connection.feed_client_id, newest)
    assert [e.feed_index for e in sme.feed(sme_feed)] == [newest]
    assert company(sandbox)["acknowledged_offset"] == newest
    with pytest.raises(CodaboxProtocolError) as refused:
        office_client.feed(sme_feed)
    assert refused.value.status == 404


def test_office_consent_does_not_stop_the_software(sandbox):
    add_coda(sandbox)
    sme = software(sandbox)
    office_connection(sandbox)
    sandbox.set_consent(EXAMPLE.office_vat, "cancelled")
    feed_id = sme.pod_client()["feed_clients"][0]["id"]
    assert len(sme.feed(feed_id)) == 1
    send(sme)


def test_connect_and_software_connections_leave_each_other_alone(sandbox):
    credentials = software_credentials(sandbox)
    connection = office_connection(sandbox)
    make_client(sandbox).revoke(connection.feed_client_id)  # the office's Connect revoked
    make_client(sandbox, credentials).pod_client()
    office_connection(sandbox)  # connected again through a new consent
    make_client(sandbox, credentials).pod_client()
    state = company(sandbox)
    assert state["connected"] and state["invoicing_software_connected"]
    newer = software_credentials(sandbox)  # a new token: the software's earlier access ends
    with pytest.raises(CredentialsRefused):
        make_client(sandbox, credentials).pod_client()
    make_client(sandbox, newer).pod_client()
    kinds = sorted(c["kind"] for c in sandbox.state()["connections"] if not c["revoked"])
    assert kinds == ["connect", "invoicing_software"]


def test_revoke(sandbox):
    credentials = software_credentials(sandbox)
    client = make_client(sandbox, credentials)
    client.pod_client()
    client.revoke_invoicing_software()
    with pytest.raises(CredentialsRefused) as refused:
        client.pod_client()
    assert refused.value.status == 401
    with pytest.raises(CredentialsRefused):
        send(client)
    client.revoke_invoicing_software()  # refused already: as good as revoked
    [record] = sandbox.state()["connections"]
    assert (record["kind"], record["revoked"], record["company_vat"]) == (
        "invoicing_software",
        True,
        SME_VAT,
    )
    assert not company(sandbox)["invoicing_software_connected"]


def test_revoke_answer_lost_is_retried(sandbox):
    client = software(sandbox)
    sandbox.add_fault("lost_answer", method="DELETE", path=REVOKE)
    client.revoke_invoicing_software()
    log = sandbox.request_log("DELETE", REVOKE)
    assert [(e["status"], e["fault"]) for e in log] == [(None, "lost_answer"), (401, None)]
    with pytest.raises(CredentialsRefused):
        client.pod_client()


# --- sending sales invoices -----------------------------------------------------------------


def test_send_then_replay_one_document_in_the_office_feed(sandbox):
    client = software(sandbox)
    first = send(client)
    assert isinstance(first, SentInvoice)
    assert (first.status, first.replayed) == ("received", False)
    assert datetime.fromisoformat(first.received_at).tzinfo is not None
    again = send(client)
    assert again.replayed
    assert (again.id, again.status, again.received_at) == (
        first.id,
        first.status,
        first.received_at,
    )
    [document] = sales_invoices(sandbox)
    assert document["feed_index"] == first.id
    assert document["formats"] == ["pdf", "xml"]
    assert [e["status"] for e in sandbox.request_log("POST", SALES)] == [201, 200]

    connection = office_connection(sandbox)
    office_client = office(sandbox, connection)
    [entry] = office_client.feed(connection.feed_client_id)
    assert (entry.feed_index, entry.document_model) == (first.id, "sales_invoice")
    assert entry.metadata == {
        "invoice_number": "INV/2025/00001",
        "move_type": "invoice",
        "issue_date": "2025-03-14",
        "currency": "EUR",
        "amount_total": "121.00",
        "xml_filename": "INV_2025_00001.xml",
        "pdf_filename": "INV_2025_00001.pdf",
        "sent_by": "invoicing_software",
    }
    assert office_client.download(first.id, "xml") == ubl()
    assert office_client.download(first.id, "pdf") == PDF
    assert office_client.download(first.id, "cod") == b""
    office_client.acknowledge(connection.feed_client_id, first.id)
    assert office_client.redownload(first.id, "xml") == ubl()
    # The software's own feed is CODA only: its invoices are not delivered back to it.
    feed_id = client.pod_client()["feed_clients"][0]["id"]
    assert client.feed(feed_id) == []
    with pytest.raises(CodaboxProtocolError, match="no document"):
        client.download(first.id, "xml")


def test_send_without_pdf_and_a_credit_note(sandbox):
    client = software(sandbox)
    invoice = send(client, pdf=None, pdf_filename=None, amount_total="99.5")
    credit_note = send(
        client,
        key="key-2",
        move_type="credit_note",
        xml=ubl(root="CreditNote", namespace=UBL_CREDIT_NOTE),
        issue_date="2025-03-20",
        amount_total=12,
    )
    assert invoice.id != credit_note.id and not credit_note.replayed
    first, second = sales_invoices(sandbox)
    assert (first["formats"], first["metadata"]["pdf_filename"]) == (["xml"], None)
    assert first["metadata"]["amount_total"] == "99.5"
    assert (second["metadata"]["move_type"], second["metadata"]["amount_total"]) == (
        "credit_note",
        "12",
    )


def test_lost_answer_is_retried_and_received_once(sandbox):
    client = software(sandbox)
    sandbox.add_fault("lost_answer", method="POST", path=SALES)
    sent = send(client)
    assert sent.replayed  # the first attempt was received; the retry answers its receipt
    log = sandbox.request_log("POST", SALES)
    assert [(e["status"], e["fault"]) for e in log] == [(None, "lost_answer"), (200, None)]
    [document] = sales_invoices(sandbox)
    assert document["feed_index"] == sent.id


@pytest.mark.parametrize(
    "fault, options, statuses",
    [
        ("status", {"status": 503}, [503, 201]),
        ("rate_limit", {"retry_after": 0}, [429, 201]),
        ("corrupt", {}, [201, 200]),
        ("truncate", {}, [201, 200]),
    ],
)
def test_send_is_retried_like_an_idempotent_call(sandbox, fault, options, statuses):
    client = software(sandbox)
    sandbox.add_fault(fault, method="POST", path=SALES, **options)
    sent = send(client)
    assert [e["status"] for e in sandbox.request_log("POST", SALES)] == statuses
    assert sent.replayed == (statuses[-1] == 200)
    assert [d["feed_index"] for d in sales_invoices(sandbox)] == [sent.id]


def test_slow_answer_is_retried_and_received_once(sandbox):
    client = software(sandbox, timeout=(2, 0.5))
    sandbox.add_fault("slow", method="POST", path=SALES, delay=1.0, when="after")
    sent = send(client)
    assert sent.replayed
    assert len(sales_invoices(sandbox)) == 1


def test_key_reused_for_other_content(sandbox):
    client = software(sandbox)
    send(client)
    with pytest.raises(IdempotencyKeyReused) as refused:
        send(client, amount_total="122.00")
    assert (refused.value.code, refused.value.status) == ("idempotencyKeyReused", 422)
    assert refused.value.invoice_number == "INV/2025/00001"
    assert len(sandbox.request_log("POST", SALES)) == 2  # not tried again
    assert len(sales_invoices(sandbox)) == 1


def test_same_number_under_another_key(sandbox):
    client = software(sandbox)
    first = send(client)
    with pytest.raises(DuplicateInvoice) as refused:
        send(client, key="key-2")
    assert (refused.value.code, refused.value.status) == ("duplicateInvoice", 409)
    assert refused.value.existing_id == first.id
    assert first.id in refused.value.message and "INV/2025/00001" in refused.value.message
    # A credit note may carry the number of an invoice: another kind, not a duplicate.
    send(
        client,
        key="key-3",
        move_type="credit_note",
        xml=ubl(root="CreditNote", namespace=UBL_CREDIT_NOTE),
    )
    assert len(sales_invoices(sandbox)) == 2


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&secret;</Invoice>"""


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"xml": b"<Statement><Line/></Statement>"}, "root is Statement, not a UBL Invoice"),
        (
            {"xml": ubl(namespace="urn:example:not-ubl")},
            "root is {urn:example:not-ubl}Invoice",
        ),
        ({"xml": b"<Invoice><unclosed></Invoice>"}, "not well-formed: mismatched tag"),
        ({"xml": BILLION_LAUGHS}, "DOCTYPE"),
        ({"xml": EXTERNAL_ENTITY}, "DOCTYPE"),
        ({"issue_date": "14/03/2025"}, "issue_date must be a date as YYYY-MM-DD"),
        ({"issue_date": "2025-W11-5"}, "issue_date must be a date as YYYY-MM-DD"),
        ({"currency": "eur"}, "currency must be an ISO 4217 code"),
        ({"amount_total": "121,00"}, "amount_total must be a decimal number"),
        ({"invoice_number": ""}, "invoice_number is missing"),
        ({"xml_filename": None}, "xml_filename is missing"),
    ],
)
def test_invalid_documents(sandbox, overrides, words):
    client = software(sandbox)
    with pytest.raises(InvalidInvoiceDocument) as refused:
        send(client, **overrides)
    assert (refused.value.code, refused.value.status) == ("invalidDocument", 400)
    assert words in refused.value.message
    assert refused.value.message.startswith("CodaBox refused invoice ")
    assert sales_invoices(sandbox) == []
    assert len(sandbox.request_log("POST", SALES)) == 1
    send(client)  # a refusal uses no key


def test_client_checks_its_arguments(sandbox):
    client = software(sandbox)
    for overrides in (
        {"key": ""},
        {"move_type": "out_invoice"},
        {"xml": b""},
        {"pdf_filename": None},
    ):
        with pytest.raises(ValueError):
            send(client, **overrides)
    with pytest.raises(TypeError):
        send(client, amount_total=True)
    assert sandbox.request_log("POST", SALES) == []


def test_connect_credentials_cannot_send(sandbox):
    connection = office_connection(sandbox, EXAMPLE.company_a_vat)
    client = office(sandbox, connection)
    with pytest.raises(CredentialsRefused, match="Connect credentials") as refused:
        send(client)
    assert refused.value.status == 403
    with pytest.raises(CredentialsRefused) as refused:
        client.revoke_invoicing_software()
    assert refused.value.status == 403
    client.pod_client()  # still the office's, untouched
    assert sales_invoices(sandbox, EXAMPLE.company_a_vat) == []


def test_send_needs_credentials(sandbox):
    with pytest.raises(ValueError, match="credentials"):
        send(make_client(sandbox))
    with pytest.raises(CredentialsRefused):
        send(make_client(sandbox, ("cbx-is-nobody", "nope")))


def test_missing_idempotency_key_is_refused(sandbox):
    credentials = software_credentials(sandbox)
    payload = {
        "invoice_number": "INV/2025/00001",
        "move_type": "invoice",
        "issue_date": "2025-03-14",
        "currency": "EUR",
        "amount_total": "121.00",
        "xml": base64.b64encode(ubl()).decode(),
        "xml_filename": "INV_2025_00001.xml",
        "pdf": None,
        "pdf_filename": None,
    }
    answer = requests.post(
        sandbox.url + SALES,
        json=payload,
        headers={"X-Software-Company": sandbox.software_id},
        auth=(credentials.username, credentials.password),
        timeout=5,
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalidDocument")
    assert "Idempotency-Key" in answer.json()["detail"]
    assert sales_invoices(sandbox) == []


# --- state and secrets ----------------------------------------------------------------------


def test_state_file_keeps_the_software_and_its_receipts(tmp_path):
    state_file = str(tmp_path / "state.json")
    with running_sandbox(state_file=state_file) as sandbox:
        add_coda(sandbox)
        credentials = software_credentials(sandbox)
        client = make_client(sandbox, credentials)
        feed_id = client.pod_client()["feed_clients"][0]["id"]
        [coda] = client.feed(feed_id)
        client.acknowledge(feed_id, coda.feed_index)
        first = send(client)
        make_client(sandbox).request_invoicing_access(SME_VAT)
        token = sandbox.last_token(SME_VAT)
    with running_sandbox(state_file=state_file) as sandbox:
        client = make_client(sandbox, credentials)
        assert client.feed(feed_id) == []
        again = send(client)
        assert (again.id, again.replayed) == (first.id, True)
        assert sandbox.last_token(SME_VAT) == token
        make_client(sandbox).get_credentials(token)


def test_no_secret_in_logs_errors_reprs_or_admin_view(sandbox, caplog):
    sandbox_package = running_sandbox.__module__.rpartition(".")[0]
    for logger in (None, "urllib3", "requests", CodaboxClient.__module__, sandbox_package):
        caplog.set_level(logging.DEBUG, logger=logger)
    errors = []

    def failing(call):
        with pytest.raises(CodaboxError) as failed:
            call()
        errors.append(failed.value)

    client = make_client(sandbox, max_retries=1)
    client.request_invoicing_access(SME_VAT)
    lost = sandbox.last_token(SME_VAT)
    sandbox.add_fault("lost_answer", method="GET", path=CREDENTIALS)
    failing(lambda: client.get_credentials(lost))
    failing(lambda: client.get_credentials(lost))
    client.request_invoicing_access(SME_VAT)
    token = sandbox.last_token(SME_VAT)
    sandbox.add_fault("corrupt", method="GET", path=CREDENTIALS)
    failing(lambda: client.get_credentials(token))
    client.request_invoicing_access(SME_VAT)
    token2 = sandbox.last_token(SME_VAT)
    sandbox.add_fault("redirect", method="GET", path=CREDENTIALS, location="http://127.0.0.1:9/")
    failing(lambda: client.get_credentials(token2))
    client.request_invoicing_access(SME_VAT)
    token3 = sandbox.last_token(SME_VAT)
    credentials = client.get_credentials(token3)
    sme = make_client(sandbox, credentials, max_retries=1)
    send(sme)
    failing(lambda: send(sme, amount_total="1.00"))
    failing(lambda: send(sme, xml=b"<nope/>"))
    wrong = make_client(sandbox, (credentials.username, "Wrong-delivery-Pw"))
    failing(lambda: send(wrong))

    secrets = [lost, token, token2, token3, credentials.username, credentials.password]
    texts = [caplog.text, repr(credentials), repr(sme), json.dumps(sandbox.state()["requests"])]
    for error in errors:
        while error is not None:
            texts += [str(error), repr(error), *traceback.format_exception_only(error)]
            error = error.__cause__ or error.__context__
    assert "CodaBox GET v2/get-credentials/***/" in caplog.text
    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/v2/get-credentials/***/" in line for line in urllib3_lines)  # scrubbed
    for text in texts:
        for secret in secrets:
            assert secret not in text
    state = json.dumps(sandbox.state())  # the outbox (the mailbox) is not in it
    for secret in [*secrets, credentials.username, credentials.password]:
        assert secret not in state
