"""The CodaBox client against the sandbox over real HTTP on 127.0.0.1: no mock anywhere.

Backoffs are tiny so that retries cost nothing; attempts are counted in the sandbox's
request log, never with a clock.
"""

import base64
import logging
import socket
import traceback
from urllib.parse import parse_qs, urlsplit

import pytest

from ..codabox_client import (
    AlreadyRegistered,
    CodaboxClient,
    CodaboxError,
    CodaboxProtocolError,
    CodaboxRateLimited,
    CodaboxServerError,
    CodaboxUnreachable,
    ConsentNotValid,
    CredentialsRefused,
    FeedEntry,
    InvalidAuthorizationCode,
    InvalidOfficePassword,
    NotAccountingOffice,
    NotClientOfOffice,
)
from ..sandbox.state import read_seed
from ..sandbox.testing import MyCodaBoxRefused, running_sandbox

SEED = read_seed()
OFFICE = "BE0477472701"
LOGIN, LOGIN_PASSWORD = "marie.lambert", "lambert-2025"
COMPANY_A = "BE0428759497"  # two statements, the second without PDF
COMPANY_B = "BE0202239951"  # a further client of the office
OTHER_OFFICE_CLIENT = "BE0403019261"
SME = "BE0897223670"
OFFICE_PASSWORD = "Kx7-office-Pw-2025"
REDIRECT = "https://odoo.example/codabox/connect/callback"
DOCS_A = next(c for c in SEED["companies"] if c["vat"] == COMPANY_A)["documents"]
FEED = "/v2/delivery/feed/"
DOWNLOAD = "/v2/delivery/download/"


@pytest.fixture(scope="module")
def sandbox():
    with running_sandbox() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_sandbox(sandbox):
    sandbox.reset()


def make_client(sandbox, credentials=None, **options):
    options = {"backoff": 0.01, "max_backoff": 0.05, "timeout": (2, 5), **options}
    return CodaboxClient(sandbox.url, sandbox.software_id, credentials=credentials, **options)


def consent(sandbox, decision="allow", office_vat=OFFICE, company_vat=COMPANY_A):
    """The browser's walk through MyCodaBox; returns the query it is sent back with."""
    url = CodaboxClient.authorize_url(
        sandbox.url,
        software_id=sandbox.software_id,
        office_vat=office_vat,
        company_vat=company_vat,
        redirect_uri=REDIRECT,
        state="state-123",
    )
    back = sandbox.authorize_in_browser(url, LOGIN, LOGIN_PASSWORD, OFFICE_PASSWORD, decision)
    assert back.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(back).query).items()}


def connect_first(sandbox):
    return make_client(sandbox).exchange_code(consent(sandbox)["code"], OFFICE_PASSWORD)


def delivery(sandbox, connection, **options):
    return make_client(sandbox, (connection.username, connection.password), **options)


def consent_id(sandbox, office_vat=OFFICE):
    office = next(o for o in sandbox.state()["offices"] if o["vat"] == office_vat)
    return office["consent"]["consent_id"]


# --- Connect ----------------------------------------------------------------------------


def test_first_connection_through_mycodabox(sandbox):
    query = consent(sandbox)
    assert query["state"] == "state-123"
    assert "error" not in query
    connection = make_client(sandbox).exchange_code(query["code"], OFFICE_PASSWORD)
    assert connection.status == "allowed"
    assert connection.consent_id == consent_id(sandbox)
    assert OFFICE_PASSWORD not in repr(connection) and connection.password not in repr(connection)
    assert make_client(sandbox).consent_status(connection.consent_id) == "allowed"
    pod_client = delivery(sandbox, connection).pod_client()
    assert pod_client["fetch_delay"] == 7200
    [feed_client] = pod_client["feed_clients"]
    assert feed_client["id"] == connection.feed_client_id
    assert feed_client["client_id"] == COMPANY_A
    assert feed_client["fiduciary_id"] == OFFICE


def test_denied_consent(sandbox):
    query = consent(sandbox, decision="deny")
    assert query == {"state": "state-123", "error": "access_denied"}
    assert make_client(sandbox).consent_status(consent_id(sandbox)) == "denied"
    with pytest.raises(ConsentNotValid):
        make_client(sandbox).connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)


def test_wrong_sign_in_stays_on_the_sign_in_page(sandbox):
    url = CodaboxClient.authorize_url(
        sandbox.url,
        software_id=sandbox.software_id,
        office_vat=OFFICE,
        company_vat=COMPANY_A,
        redirect_uri=REDIRECT,
        state="s",
    )
    with pytest.raises(MyCodaBoxRefused, match="Wrong login or password") as refused:
        sandbox.authorize_in_browser(url, LOGIN, "not-the-password", OFFICE_PASSWORD)
    assert refused.value.status == 401
    assert sandbox.state()["authorization_codes"] == []


def test_sme_is_sent_back_by_mycodabox(sandbox):
    query = consent(sandbox, office_vat=SME, company_vat=SME)
    assert query == {"state": "state-123", "error": "unknownAccountingOffice"}


def test_sme_connecting_is_told_connect_is_for_offices(sandbox):
    with pytest.raises(NotAccountingOffice) as refused:
        make_client(sandbox).connect_company(SME, SME, OFFICE_PASSWORD)
    assert refused.value.code == "unknownAccountingOffice"
    assert "accounting offices only" in refused.value.message
    assert "SFTP" in refused.value.message


def test_second_company_with_the_office_password(sandbox):
    first = connect_first(sandbox)
    second = make_client(sandbox).connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)
    assert second.consent_id == first.consent_id
    assert second.feed_client_id != first.feed_client_id
    entries = delivery(sandbox, second).feed(second.feed_client_id)
    assert [entry.metadata["iban"] for entry in entries] == ["BE48001123456727"]


def test_wrong_office_password(sandbox):
    connect_first(sandbox)
    with pytest.raises(InvalidOfficePassword, match=OFFICE) as refused:
        make_client(sandbox).connect_company(OFFICE, COMPANY_B, "wrong-office-password")
    assert refused.value.status == 403


def test_company_not_client_of_the_office(sandbox):
    connect_first(sandbox)
    with pytest.raises(NotClientOfOffice, match=OTHER_OFFICE_CLIENT):
        make_client(sandbox).connect_company(OFFICE, OTHER_OFFICE_CLIENT, OFFICE_PASSWORD)


def test_company_already_registered(sandbox):
    connect_first(sandbox)
    with pytest.raises(AlreadyRegistered, match=COMPANY_A):
        make_client(sandbox).connect_company(OFFICE, COMPANY_A, OFFICE_PASSWORD)


def test_authorization_code_is_single_use(sandbox):
    code = consent(sandbox)["code"]
    client = make_client(sandbox)
    with pytest.raises(InvalidOfficePassword):
        client.exchange_code(code, "wrong-office-password")
    client.exchange_code(code, OFFICE_PASSWORD)
    with pytest.raises(InvalidAuthorizationCode, match="10 minutes"):
        client.exchange_code(code, OFFICE_PASSWORD)


def test_authorization_code_expires(sandbox):
    code = consent(sandbox)["code"]
    sandbox.advance_clock(601)
    with pytest.raises(InvalidAuthorizationCode):
        make_client(sandbox).exchange_code(code, OFFICE_PASSWORD)


def test_cancelled_consent_stops_deliveries(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    sandbox.set_consent(OFFICE, "cancelled")
    assert make_client(sandbox).consent_status(connection.consent_id) == "cancelled"
    with pytest.raises(ConsentNotValid) as refused:
        client.pod_client()
    assert refused.value.status == 403
    with pytest.raises(ConsentNotValid):
        client.feed(connection.feed_client_id)
    with pytest.raises(ConsentNotValid):
        make_client(sandbox).connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)
    sandbox.set_consent(OFFICE, "allowed")
    assert client.pod_client()["feed_clients"]


def test_unknown_consent(sandbox):
    with pytest.raises(ConsentNotValid, match="no consent"):
        make_client(sandbox).consent_status("00000000-0000-0000-0000-000000000000")


def test_revoke_stops_the_credentials(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    client.pod_client()
    make_client(sandbox).revoke(connection.feed_client_id)
    with pytest.raises(CredentialsRefused) as refused:
        client.pod_client()
    assert refused.value.status == 401
    make_client(sandbox).revoke(connection.feed_client_id)  # again: nothing left to do
    make_client(sandbox).revoke("00000000-0000-0000-0000-000000000000")
    [record] = sandbox.state()["connections"]
    assert record["revoked"]
    again = make_client(sandbox).connect_company(OFFICE, COMPANY_A, OFFICE_PASSWORD)
    assert again.feed_client_id == connection.feed_client_id
    delivery(sandbox, again).pod_client()


def test_change_password(sandbox):
    connect_first(sandbox)
    client = make_client(sandbox)
    with pytest.raises(InvalidOfficePassword):
        client.change_password(OFFICE, "not-the-current-one", "New-office-Pw-0001")
    client.change_password(OFFICE, OFFICE_PASSWORD, "New-office-Pw-0001")
    with pytest.raises(InvalidOfficePassword):
        client.connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)
    client.connect_company(OFFICE, COMPANY_B, "New-office-Pw-0001")


def test_wrong_software_id(sandbox):
    client = CodaboxClient(sandbox.url, "not-our-software", max_retries=0)
    with pytest.raises(CredentialsRefused, match="software") as refused:
        client.connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)
    assert refused.value.status == 403


def test_api_url_with_v2_suffix(sandbox):
    client = CodaboxClient(sandbox.url + "/v2/", sandbox.software_id)
    with pytest.raises(ConsentNotValid):
        client.connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)


def test_authorize_url():
    url = CodaboxClient.authorize_url(
        "https://my.codabox.example/",
        software_id="sw",
        office_vat=OFFICE,
        company_vat=COMPANY_A,
        redirect_uri=REDIRECT,
        state="a b&c",
    )
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("my.codabox.example", "/connect/authorize")
    assert parse_qs(parts.query) == {
        "software_id": ["sw"],
        "office_vat": [OFFICE],
        "company_vat": [COMPANY_A],
        "redirect_uri": [REDIRECT],
        "state": ["a b&c"],
    }


# --- Delivery ---------------------------------------------------------------------------


def test_feed_download_acknowledge(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    feed_id = connection.feed_client_id
    entries = client.feed(feed_id)
    assert entries == [FeedEntry(d["feed_index"], "coda", d["metadata"]) for d in DOCS_A]
    first, second = entries
    assert client.download(first.feed_index, "cod") == base64.b64decode(DOCS_A[0]["cod"])
    assert client.download(first.feed_index, "pdf").startswith(b"%PDF")
    assert client.download(second.feed_index, "pdf") == b""
    with pytest.raises(CodaboxProtocolError, match="no document"):
        client.download("00000000-0000-0000-0000-000000000000", "cod")
    with pytest.raises(ValueError):
        client.download(first.feed_index, "xml")

    client.acknowledge(feed_id, first.feed_index)
    assert client.feed(feed_id) == [second]
    with pytest.raises(CodaboxProtocolError) as refused:
        client.acknowledge(feed_id, "00000000-0000-0000-0000-000000000000")
    assert refused.value.status == 400

    [new_index] = sandbox.add_documents(COMPANY_A, [{"cod": DOCS_A[0]["cod"], "metadata": {}}])
    assert [entry.feed_index for entry in client.feed(feed_id)] == [second.feed_index, new_index]
    client.acknowledge(feed_id, new_index)
    assert client.feed(feed_id) == []
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == COMPANY_A)
    assert company["acknowledged_offset"] == new_index


def test_feed_of_another_company_is_not_found(sandbox):
    connection = connect_first(sandbox)
    other = next(c for c in sandbox.state()["companies"] if c["vat"] == COMPANY_B)
    with pytest.raises(CodaboxProtocolError) as refused:
        delivery(sandbox, connection).feed(other["feed_client_id"])
    assert refused.value.status == 404


def test_delivery_needs_credentials(sandbox):
    with pytest.raises(ValueError, match="credentials"):
        make_client(sandbox).pod_client()
    with pytest.raises(CredentialsRefused):
        make_client(sandbox, ("cbx-unknown", "nope")).pod_client()


# --- faults -----------------------------------------------------------------------------


def test_server_errors_are_retried(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("status", method="GET", path=FEED, status=503, count=2)
    assert len(delivery(sandbox, connection).feed(connection.feed_client_id)) == 2
    assert [entry["status"] for entry in sandbox.request_log("GET", FEED)] == [503, 503, 200]


def test_server_errors_exhaust_the_retries(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("status", method="GET", path=FEED, status=502, count=10)
    with pytest.raises(CodaboxServerError, match="HTTP 502") as failed:
        delivery(sandbox, connection, max_retries=2).feed(connection.feed_client_id)
    assert failed.value.status == 502
    assert failed.value.code == "serverError"
    assert "3 attempts" in failed.value.message
    assert len(sandbox.request_log("GET", FEED)) == 3


def test_rate_limit_honours_retry_after(sandbox, caplog):
    connection = connect_first(sandbox)
    sandbox.add_fault("rate_limit", method="GET", path=FEED, retry_after=1)
    client = delivery(sandbox, connection, max_backoff=5)
    assert len(client.feed(connection.feed_client_id)) == 2
    assert [entry["status"] for entry in sandbox.request_log("GET", FEED)] == [429, 200]
    assert "(HTTP 429), attempt 1 of 5: retrying in 1.00 s" in caplog.text


def test_rate_limit_exhausts_the_retries(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("rate_limit", method="GET", path=FEED, retry_after=1, count=5)
    with pytest.raises(CodaboxRateLimited) as failed:
        delivery(sandbox, connection, max_retries=1, max_backoff=5).feed(connection.feed_client_id)
    assert failed.value.retry_after == 1
    assert failed.value.status == 429
    assert len(sandbox.request_log("GET", FEED)) == 2


def test_slow_answer_times_out(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("slow", method="GET", path=FEED, delay=1.5)
    client = delivery(sandbox, connection, timeout=(2, 0.5), max_retries=0)
    with pytest.raises(CodaboxUnreachable) as failed:
        client.feed(connection.feed_client_id)
    assert "timed out after 0.5 s" in failed.value.message
    assert urlsplit(sandbox.url).netloc in failed.value.message


def test_slow_answer_is_retried(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("slow", method="GET", path=FEED, delay=1.0)
    client = delivery(sandbox, connection, timeout=(2, 0.5))
    assert len(client.feed(connection.feed_client_id)) == 2
    assert len(sandbox.request_log("GET", FEED)) == 2


def test_dropped_connection_is_retried_for_get(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("drop", method="GET", path=FEED)
    assert len(delivery(sandbox, connection).feed(connection.feed_client_id)) == 2
    assert [entry["status"] for entry in sandbox.request_log("GET", FEED)] == [None, 200]


def test_dropped_connection_is_not_retried_for_post(sandbox):
    connect_first(sandbox)
    sandbox.add_fault("drop", method="POST", path="/v2/connect/connections/")
    with pytest.raises(CodaboxUnreachable, match="closed the connection"):
        make_client(sandbox).connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)
    assert len(sandbox.request_log("POST", "/v2/connect/connections/")) == 1


def test_server_error_on_post_is_not_retried(sandbox):
    connect_first(sandbox)
    sandbox.add_fault("status", method="POST", path="/v2/connect/connections/", status=500)
    with pytest.raises(CodaboxServerError) as failed:
        make_client(sandbox).connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD)
    assert failed.value.status == 500
    assert len(sandbox.request_log("POST", "/v2/connect/connections/")) == 1


def test_rate_limit_on_post_is_not_retried(sandbox):
    sandbox.add_fault("rate_limit", method="POST", path="/v2/connect/password/", retry_after=1)
    with pytest.raises(CodaboxRateLimited):
        make_client(sandbox).change_password(OFFICE, OFFICE_PASSWORD, "New-office-Pw-0001")
    assert len(sandbox.request_log("POST", "/v2/connect/password/")) == 1


@pytest.mark.parametrize("fault", ["truncate", "corrupt"])
def test_damaged_download_is_retried(sandbox, fault):
    connection = connect_first(sandbox)
    feed_index = DOCS_A[0]["feed_index"]
    sandbox.add_fault(fault, method="GET", path=DOWNLOAD)
    content = delivery(sandbox, connection).download(feed_index, "cod")
    assert content == base64.b64decode(DOCS_A[0]["cod"])
    assert len(sandbox.request_log("GET", DOWNLOAD)) == 2


def test_truncated_download_exhausts_the_retries(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("truncate", method="GET", path=DOWNLOAD, count=3)
    with pytest.raises(CodaboxUnreachable, match="broke off"):
        delivery(sandbox, connection, max_retries=2).download(DOCS_A[0]["feed_index"], "pdf")
    assert len(sandbox.request_log("GET", DOWNLOAD)) == 3


def test_truncated_listing_is_retried(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("truncate", method="GET", path=FEED)
    assert len(delivery(sandbox, connection).feed(connection.feed_client_id)) == 2
    assert len(sandbox.request_log("GET", FEED)) == 2


def test_corrupt_json_is_a_protocol_error(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("corrupt", method="GET", path=FEED)
    with pytest.raises(CodaboxProtocolError, match="not valid JSON"):
        delivery(sandbox, connection).feed(connection.feed_client_id)
    assert len(sandbox.request_log("GET", FEED)) == 1


def test_duplicate_feed_entry_is_visible(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("duplicate_entry", method="GET", path=FEED)
    entries = delivery(sandbox, connection).feed(connection.feed_client_id)
    assert [entry.feed_index for entry in entries] == [
        DOCS_A[0]["feed_index"],
        DOCS_A[0]["feed_index"],
        DOCS_A[1]["feed_index"],
    ]


def test_acknowledge_and_revoke_are_retried(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    sandbox.add_fault("status", method="PUT", path=FEED, status=503)
    client.acknowledge(connection.feed_client_id, DOCS_A[0]["feed_index"])
    assert [entry["status"] for entry in sandbox.request_log("PUT", FEED)] == [503, 204]
    sandbox.add_fault("drop", method="DELETE", path="/v2/connect/connections/")
    make_client(sandbox).revoke(connection.feed_client_id)
    assert len(sandbox.request_log("DELETE")) == 2
    assert sandbox.state()["connections"][0]["revoked"]


def test_nobody_listening(caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CodaboxClient(
        f"http://127.0.0.1:{port}", "sw", credentials=("u", "p"), max_retries=1, backoff=0.01
    )
    refused = f"127.0.0.1:{port}: connection refused"
    with pytest.raises(CodaboxUnreachable, match=refused):
        client.pod_client()
    with pytest.raises(CodaboxUnreachable, match=refused):
        client.connect_company(OFFICE, COMPANY_A, OFFICE_PASSWORD)
    # The request never left: even a POST may try again.
    assert "POST v2/connect/connections/ failed (ConnectionError), attempt 1 of 2" in caplog.text


# --- secrets ----------------------------------------------------------------------------


def test_no_secret_in_logs_exceptions_or_reprs(sandbox, caplog):
    # Named loggers too: under Odoo, the "odoo" logger's level would hide the client's.
    sandbox_package = running_sandbox.__module__.rpartition(".")[0]
    for logger in (None, "urllib3", "requests", CodaboxClient.__module__, sandbox_package):
        caplog.set_level(logging.DEBUG, logger=logger)
    errors = []

    def failing(call):
        with pytest.raises(CodaboxError) as failed:
            call()
        errors.append(failed.value)

    code = consent(sandbox)["code"]
    client = make_client(sandbox, max_retries=1)
    failing(lambda: client.exchange_code(code, "Wrong-office-Pw-9"))
    connection = client.exchange_code(code, OFFICE_PASSWORD)
    failing(lambda: client.exchange_code(code, OFFICE_PASSWORD))
    sandbox.add_fault("corrupt", method="POST", path="/v2/connect/connections/")
    failing(lambda: client.connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD))
    failing(lambda: client.connect_company(OFFICE, COMPANY_B, "Wrong-office-Pw-9"))
    failing(lambda: client.connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD))
    sandbox.add_fault("drop", method="POST", path="/v2/connect/password/")
    failing(lambda: client.change_password(OFFICE, OFFICE_PASSWORD, "New-office-Pw-0001"))
    sandbox.add_fault("status", method="POST", path="/v2/connect/connections/", status=500)
    failing(lambda: client.connect_company(OFFICE, COMPANY_B, OFFICE_PASSWORD))

    owner = delivery(sandbox, connection, timeout=(2, 0.5), max_retries=1)
    owner.feed(connection.feed_client_id)
    sandbox.add_fault("slow", method="GET", path=FEED, delay=1.0, count=2)
    failing(lambda: owner.feed(connection.feed_client_id))
    sandbox.add_fault("truncate", method="GET", path=DOWNLOAD, count=2)
    failing(lambda: owner.download(DOCS_A[0]["feed_index"], "cod"))
    sandbox.set_consent(OFFICE, "cancelled")
    failing(owner.pod_client)
    wrong = make_client(sandbox, (connection.username, "Wrong-delivery-Pw"))
    failing(wrong.pod_client)

    secrets = [
        OFFICE_PASSWORD,
        LOGIN_PASSWORD,
        "Wrong-office-Pw-9",
        "New-office-Pw-0001",
        "Wrong-delivery-Pw",
        code,
        connection.username,
        connection.password,
    ]
    texts = [caplog.text, repr(connection), repr(owner)]
    for error in errors:
        while error is not None:  # the exception and those it was raised from
            texts += [str(error), repr(error), *traceback.format_exception_only(error)]
            error = error.__cause__ or error.__context__
    assert len({type(error) for error in errors}) == 8
    assert "CodaBox GET v2/delivery/feed/" in caplog.text  # the client does log its calls
    for text in texts:
        for secret in secrets:
            assert secret not in text
