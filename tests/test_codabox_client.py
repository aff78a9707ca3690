"""The CodaBox client against the sandbox over real HTTP on 127.0.0.1: no mock anywhere.

Backoffs are tiny so that retries cost nothing; attempts are counted in the sandbox's
request log, never with a clock.
"""

import base64
import hashlib
import json
import logging
import socket
import threading
import time
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
from ..sandbox.testing import MyCodaBoxRefused, running_sandbox
from .parties import EXAMPLE

REDIRECT = "https://odoo.example/codabox/connect/callback"
FEED = "/v2/delivery/feed/"
DOWNLOAD = "/v2/delivery/download/"
REDOWNLOAD = "/v2/delivery/redownload/"
MiB = 1024 * 1024


class Listener:
    """A second server on 127.0.0.1 that records every connection and byte reaching it (and
    answers ``{}``, so that a client that follows a redirect there gets an answer)."""

    def __init__(self):
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.connections = 0
        self.received = b""
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while self._running:
            try:
                conn, _address = self._server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.3)
                try:
                    while chunk := conn.recv(65536):
                        self.received += chunk
                except TimeoutError:
                    pass
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
                )

    def close(self):
        self._running = False
        self._thread.join()
        self._server.close()


@pytest.fixture
def listener():
    running = Listener()
    yield running
    running.close()


def make_client(sandbox, credentials=None, **options):
    options = {"backoff": 0.01, "max_backoff": 0.05, "timeout": (2, 5), **options}
    return CodaboxClient(sandbox.url, sandbox.software_id, credentials=credentials, **options)


def consent(
    sandbox, decision="allow", office_vat=EXAMPLE.office_vat, company_vat=EXAMPLE.company_a_vat
):
    """The browser's walk through MyCodaBox; returns the query it is sent back with."""
    url = CodaboxClient.authorize_url(
        sandbox.url,
        software_id=sandbox.software_id,
        office_vat=office_vat,
        company_vat=company_vat,
        redirect_uri=REDIRECT,
        state="state-123",
    )
    back = sandbox.authorize_in_browser(
        url, EXAMPLE.login, EXAMPLE.login_password, EXAMPLE.office_password, decision
    )
    assert back.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(back).query).items()}


def connect_first(sandbox):
    return make_client(sandbox).exchange_code(consent(sandbox)["code"], EXAMPLE.office_password)


def delivery(sandbox, connection, **options):
    return make_client(sandbox, (connection.username, connection.password), **options)


def consent_id(sandbox, office_vat=EXAMPLE.office_vat):
    office = next(o for o in sandbox.state()["offices"] if o["vat"] == office_vat)
    return office["consent"]["consent_id"]


# --- Connect ----------------------------------------------------------------------------


def test_first_connection_through_mycodabox(sandbox):
    query = consent(sandbox)
    assert query["state"] == "state-123"
    assert "error" not in query
    connection = make_client(sandbox).exchange_code(query["code"], EXAMPLE.office_password)
    assert connection.status == "allowed"
    assert connection.consent_id == consent_id(sandbox)
    assert EXAMPLE.office_password not in repr(connection) and connection.password not in repr(
        connection
    )
    assert make_client(sandbox).consent_status(connection.consent_id) == "allowed"
    pod_client = delivery(sandbox, connection).pod_client()
    assert pod_client["fetch_delay"] == 7200
    [feed_client] = pod_client["feed_clients"]
    assert feed_client["id"] == connection.feed_client_id
    assert feed_client["client_id"] == EXAMPLE.company_a_vat
    assert feed_client["fiduciary_id"] == EXAMPLE.office_vat


def test_denied_consent(sandbox):
    query = consent(sandbox, decision="deny")
    assert query == {"state": "state-123", "error": "access_denied"}
    assert make_client(sandbox).consent_status(consent_id(sandbox)) == "denied"
    with pytest.raises(ConsentNotValid):
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )


def test_wrong_sign_in_stays_on_the_sign_in_page(sandbox):
    url = CodaboxClient.authorize_url(
        sandbox.url,
        software_id=sandbox.software_id,
        office_vat=EXAMPLE.office_vat,
        company_vat=EXAMPLE.company_a_vat,
        redirect_uri=REDIRECT,
        state="s",
    )
    with pytest.raises(MyCodaBoxRefused, match="Wrong login or password") as refused:
        sandbox.authorize_in_browser(
            url, EXAMPLE.login, "not-the-password", EXAMPLE.office_password
        )
    assert refused.value.status == 401
    assert sandbox.state()["authorization_codes"] == []


def test_sme_is_sent_back_by_mycodabox(sandbox):
    query = consent(sandbox, office_vat=EXAMPLE.sme_vat, company_vat=EXAMPLE.sme_vat)
    assert query == {"state": "state-123", "error": "unknownAccountingOffice"}


def test_sme_connecting_is_told_connect_is_for_offices(sandbox):
    with pytest.raises(NotAccountingOffice) as refused:
        make_client(sandbox).connect_company(
            EXAMPLE.sme_vat, EXAMPLE.sme_vat, EXAMPLE.office_password
        )
    assert refused.value.code == "unknownAccountingOffice"
    assert "accounting offices only" in refused.value.message
    assert "SFTP" in refused.value.message


def test_second_company_with_the_office_password(sandbox):
    first = connect_first(sandbox)
    second = make_client(sandbox).connect_company(
        EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
    )
    assert second.consent_id == first.consent_id
    assert second.feed_client_id != first.feed_client_id
    entries = delivery(sandbox, second).feed(second.feed_client_id)
    assert [entry.metadata["iban"] for entry in entries] == ["BE48001123456727"]


def test_wrong_office_password(sandbox):
    connect_first(sandbox)
    with pytest.raises(InvalidOfficePassword, match=EXAMPLE.office_vat) as refused:
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, "wrong-office-password"
        )
    assert refused.value.status == 403


def test_company_not_client_of_the_office(sandbox):
    connect_first(sandbox)
    with pytest.raises(NotClientOfOffice, match=EXAMPLE.other_office_client_vat) as refused:
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.other_office_client_vat, EXAMPLE.office_password
        )
    # CodaBox's code, the one MyCodaBox sends back too; the VATs the Odoo side names.
    assert refused.value.code == "notFound"
    assert (refused.value.office_vat, refused.value.company_vat) == (
        EXAMPLE.office_vat,
        EXAMPLE.other_office_client_vat,
    )


def test_company_already_registered(sandbox):
    connect_first(sandbox)
    with pytest.raises(AlreadyRegistered, match=EXAMPLE.company_a_vat):
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_a_vat, EXAMPLE.office_password
        )


def test_authorization_code_is_single_use(sandbox):
    code = consent(sandbox)["code"]
    client = make_client(sandbox)
    with pytest.raises(InvalidOfficePassword):
        client.exchange_code(code, "wrong-office-password")
    client.exchange_code(code, EXAMPLE.office_password)
    with pytest.raises(InvalidAuthorizationCode, match="10 minutes"):
        client.exchange_code(code, EXAMPLE.office_password)


def test_authorization_code_expires(sandbox):
    code = consent(sandbox)["code"]
    sandbox.advance_clock(601)
    with pytest.raises(InvalidAuthorizationCode):
        make_client(sandbox).exchange_code(code, EXAMPLE.office_password)


def test_cancelled_consent_stops_deliveries(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    sandbox.set_consent(EXAMPLE.office_vat, "cancelled")
    assert make_client(sandbox).consent_status(connection.consent_id) == "cancelled"
    with pytest.raises(ConsentNotValid) as refused:
        client.pod_client()
    assert refused.value.status == 403
    with pytest.raises(ConsentNotValid):
        client.feed(connection.feed_client_id)
    with pytest.raises(ConsentNotValid):
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    sandbox.set_consent(EXAMPLE.office_vat, "allowed")
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
    again = make_client(sandbox).connect_company(
        EXAMPLE.office_vat, EXAMPLE.company_a_vat, EXAMPLE.office_password
    )
    assert again.feed_client_id == connection.feed_client_id
    delivery(sandbox, again).pod_client()


def test_change_password(sandbox):
    connect_first(sandbox)
    client = make_client(sandbox)
    with pytest.raises(InvalidOfficePassword):
        client.change_password(EXAMPLE.office_vat, "not-the-current-one", "New-office-Pw-0001")
    client.change_password(EXAMPLE.office_vat, EXAMPLE.office_password, "New-office-Pw-0001")
    with pytest.raises(InvalidOfficePassword):
        client.connect_company(EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password)
    client.connect_company(EXAMPLE.office_vat, EXAMPLE.company_b_vat, "New-office-Pw-0001")


def test_wrong_software_id(sandbox):
    client = CodaboxClient(sandbox.url, "not-our-software", max_retries=0)
    with pytest.raises(CredentialsRefused, match="software") as refused:
        client.connect_company(EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password)
    assert refused.value.status == 403


def test_api_url_with_v2_suffix(sandbox):
    client = CodaboxClient(sandbox.url + "/v2/", sandbox.software_id)
    with pytest.raises(ConsentNotValid):
        client.connect_company(EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password)


def test_authorize_url():
    url = CodaboxClient.authorize_url(
        "https://my.codabox.example/",
        software_id="sw",
        office_vat=EXAMPLE.office_vat,
        company_vat=EXAMPLE.company_a_vat,
        redirect_uri=REDIRECT,
        state="a b&c",
    )
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("my.codabox.example", "/connect/authorize")
    assert parse_qs(parts.query) == {
        "software_id": ["sw"],
        "office_vat": [EXAMPLE.office_vat],
        "company_vat": [EXAMPLE.company_a_vat],
        "redirect_uri": [REDIRECT],
        "state": ["a b&c"],
    }


# --- Delivery ---------------------------------------------------------------------------


def test_feed_download_acknowledge(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    feed_id = connection.feed_client_id
    entries = client.feed(feed_id)
    assert entries == [FeedEntry(d["feed_index"], "coda", d["metadata"]) for d in EXAMPLE.docs_a]
    first, second = entries
    assert client.download(first.feed_index, "cod") == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    assert client.download(first.feed_index, "pdf").startswith(b"%PDF")
    assert client.download(second.feed_index, "pdf") == b""
    with pytest.raises(CodaboxProtocolError, match="no document"):
        client.download("00000000-0000-0000-0000-000000000000", "cod")
    assert client.download(first.feed_index, "xml") == b""  # a format it does not have
    with pytest.raises(ValueError, match="cod, pdf, xml"):
        client.download(first.feed_index, "txt")

    client.acknowledge(feed_id, first.feed_index)
    assert client.feed(feed_id) == [second]
    with pytest.raises(CodaboxProtocolError) as refused:
        client.acknowledge(feed_id, "00000000-0000-0000-0000-000000000000")
    assert refused.value.status == 400

    [new_index] = sandbox.add_documents(
        EXAMPLE.company_a_vat, [{"cod": EXAMPLE.docs_a[0]["cod"], "metadata": {}}]
    )
    assert [entry.feed_index for entry in client.feed(feed_id)] == [second.feed_index, new_index]
    client.acknowledge(feed_id, new_index)
    assert client.feed(feed_id) == []
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_a_vat)
    assert company["acknowledged_offset"] == new_index


def test_feed_of_another_company_is_not_found(sandbox):
    connection = connect_first(sandbox)
    other = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_b_vat)
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
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    assert len(sandbox.request_log("POST", "/v2/connect/connections/")) == 1


def test_server_error_on_post_is_not_retried(sandbox):
    connect_first(sandbox)
    sandbox.add_fault("status", method="POST", path="/v2/connect/connections/", status=500)
    with pytest.raises(CodaboxServerError) as failed:
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    assert failed.value.status == 500
    assert len(sandbox.request_log("POST", "/v2/connect/connections/")) == 1


def test_rate_limit_on_post_is_not_retried(sandbox):
    sandbox.add_fault("rate_limit", method="POST", path="/v2/connect/password/", retry_after=42)
    with pytest.raises(CodaboxRateLimited, match="Retry after 42 s") as failed:
        make_client(sandbox).change_password(
            EXAMPLE.office_vat, EXAMPLE.office_password, "New-office-Pw-0001"
        )
    assert failed.value.retry_after == 42
    assert len(sandbox.request_log("POST", "/v2/connect/password/")) == 1


@pytest.mark.parametrize("fault", ["truncate", "corrupt"])
def test_damaged_download_is_retried(sandbox, fault):
    connection = connect_first(sandbox)
    feed_index = EXAMPLE.docs_a[0]["feed_index"]
    sandbox.add_fault(fault, method="GET", path=DOWNLOAD)
    content = delivery(sandbox, connection).download(feed_index, "cod")
    assert content == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    assert len(sandbox.request_log("GET", DOWNLOAD)) == 2


def test_truncated_download_exhausts_the_retries(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("truncate", method="GET", path=DOWNLOAD, count=3)
    with pytest.raises(CodaboxUnreachable, match="broke off"):
        delivery(sandbox, connection, max_retries=2).download(
            EXAMPLE.docs_a[0]["feed_index"], "pdf"
        )
    assert len(sandbox.request_log("GET", DOWNLOAD)) == 3


def test_truncated_listing_is_retried(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("truncate", method="GET", path=FEED)
    assert len(delivery(sandbox, connection).feed(connection.feed_client_id)) == 2
    assert len(sandbox.request_log("GET", FEED)) == 2


def test_corrupt_json_is_retried(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("corrupt", method="GET", path=FEED)
    assert len(delivery(sandbox, connection).feed(connection.feed_client_id)) == 2
    assert [entry["fault"] for entry in sandbox.request_log("GET", FEED)] == ["corrupt", None]
    sandbox.add_fault("corrupt", method="GET", path="/v2/connect/consents/", count=2)
    assert make_client(sandbox).consent_status(connection.consent_id) == "allowed"
    assert len(sandbox.request_log("GET", "/v2/connect/consents/")) == 3


def test_corrupt_json_exhausts_the_retries(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("corrupt", method="GET", path=FEED, count=3)
    with pytest.raises(CodaboxProtocolError, match="not valid JSON") as failed:
        delivery(sandbox, connection, max_retries=2).feed(connection.feed_client_id)
    assert failed.value.status == 200
    assert len(sandbox.request_log("GET", FEED)) == 3


def test_corrupt_json_on_post_is_not_retried(sandbox):
    connect_first(sandbox)
    sandbox.add_fault("corrupt", method="POST", path="/v2/connect/connections/")
    with pytest.raises(CodaboxProtocolError, match="not valid JSON"):
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    assert len(sandbox.request_log("POST", "/v2/connect/connections/")) == 1


def test_duplicate_feed_entry_is_visible(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("duplicate_entry", method="GET", path=FEED)
    entries = delivery(sandbox, connection).feed(connection.feed_client_id)
    assert [entry.feed_index for entry in entries] == [
        EXAMPLE.docs_a[0]["feed_index"],
        EXAMPLE.docs_a[0]["feed_index"],
        EXAMPLE.docs_a[1]["feed_index"],
    ]


def test_acknowledge_and_revoke_are_retried(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    sandbox.add_fault("status", method="PUT", path=FEED, status=503)
    client.acknowledge(connection.feed_client_id, EXAMPLE.docs_a[0]["feed_index"])
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
        client.connect_company(EXAMPLE.office_vat, EXAMPLE.company_a_vat, EXAMPLE.office_password)
    # The request never left: even a POST may try again.
    assert "POST v2/connect/connections/ failed (ConnectionError), attempt 1 of 2" in caplog.text


def test_limits_have_safe_defaults(sandbox):
    client = CodaboxClient(sandbox.url, sandbox.software_id)
    assert client.deadline == 120
    assert client.max_body_bytes == 64 * MiB
    assert client.max_json_bytes == 4 * MiB


# --- redirects --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
def test_redirect_of_a_post_is_not_followed(sandbox, listener, status):
    connect_first(sandbox)
    path = "/v2/connect/connections/"
    sandbox.add_fault("redirect", method="POST", path=path, status=status, location=listener.url)
    with pytest.raises(CodaboxError) as failed:
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    assert (listener.connections, listener.received) == (0, b"")  # the office password stayed
    assert isinstance(failed.value, CodaboxProtocolError)
    target = urlsplit(listener.url).netloc
    assert f"redirected POST v2/connect/connections/ to {target} (HTTP {status})" in str(
        failed.value
    )
    assert failed.value.status == status
    assert EXAMPLE.office_password not in str(failed.value)
    assert len(sandbox.request_log("POST", path)) == 1  # not retried
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_b_vat)
    assert not company["connected"]


def test_redirect_of_a_get_is_not_followed_nor_retried(sandbox, listener):
    connection = connect_first(sandbox)
    sandbox.add_fault("redirect", method="GET", path=FEED, status=308, location=listener.url)
    with pytest.raises(CodaboxError) as failed:
        delivery(sandbox, connection).feed(connection.feed_client_id)
    assert (listener.connections, listener.received) == (0, b"")
    assert isinstance(failed.value, CodaboxProtocolError)
    assert "redirected GET v2/delivery/feed/" in str(failed.value)
    assert failed.value.status == 308
    assert connection.password not in str(failed.value)
    assert len(sandbox.request_log("GET", FEED)) == 1


# --- size caps --------------------------------------------------------------------------


def test_json_answer_over_the_cap_is_refused_unread(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("oversize", method="GET", path=FEED, size=96 * MiB)
    with pytest.raises(CodaboxProtocolError, match=r"larger than the 4 MiB \(4194304 bytes\)"):
        delivery(sandbox, connection).feed(connection.feed_client_id)
    [entry] = sandbox.request_log("GET", FEED)  # not retried
    assert entry["sent"] < 48 * MiB


def test_download_over_the_cap_is_refused_unread(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("oversize", method="GET", path=DOWNLOAD, size=64 * MiB + 1)
    client = delivery(sandbox, connection)
    with pytest.raises(CodaboxProtocolError, match=r"larger than the 64 MiB .*announced 67108865"):
        client.download(EXAMPLE.docs_a[0]["feed_index"], "cod")
    assert sandbox.request_log("GET", DOWNLOAD)[0]["sent"] < 32 * MiB
    # The same client goes on: the refused answer's connection was not reused.
    assert client.download(EXAMPLE.docs_a[0]["feed_index"], "cod") == base64.b64decode(
        EXAMPLE.docs_a[0]["cod"]
    )


def test_unannounced_body_is_cut_at_the_cap(sandbox):
    connection = connect_first(sandbox)
    size = 96 * MiB
    sandbox.add_fault("oversize", method="GET", path=DOWNLOAD, size=size, announce=False)
    client = delivery(sandbox, connection, max_body_bytes=MiB)
    with pytest.raises(CodaboxProtocolError, match=r"larger than the 1 MiB \(1048576 bytes\)"):
        client.download(EXAMPLE.docs_a[0]["feed_index"], "pdf")
    assert sandbox.request_log("GET", DOWNLOAD)[0]["sent"] < size // 2


def test_cap_is_inclusive(sandbox):
    connection = connect_first(sandbox)
    cod = base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    exact = delivery(sandbox, connection, max_body_bytes=len(cod))
    assert exact.download(EXAMPLE.docs_a[0]["feed_index"], "cod") == cod
    short = delivery(sandbox, connection, max_body_bytes=len(cod) - 1)
    with pytest.raises(CodaboxProtocolError, match=f"larger than the {len(cod) - 1} bytes"):
        short.download(EXAMPLE.docs_a[0]["feed_index"], "cod")


# --- deadline ---------------------------------------------------------------------------


def test_dripping_answer_fails_at_the_deadline(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("drip", method="GET", path=FEED, delay=0.2)
    client = delivery(sandbox, connection, timeout=(2, 1), deadline=1.5)
    started = time.monotonic()
    with pytest.raises(CodaboxUnreachable, match="did not finish its answer within 1.5 s"):
        client.feed(connection.feed_client_id)
    assert 1.4 < time.monotonic() - started < 2.3
    [entry] = sandbox.request_log("GET", FEED)  # no time left for another attempt
    assert 0 < entry["sent"] < 20


def test_slow_headers_fail_at_the_deadline(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("slow", method="GET", path=FEED, delay=3)
    client = delivery(sandbox, connection, timeout=(2, 5), deadline=1)
    started = time.monotonic()
    with pytest.raises(CodaboxUnreachable, match="did not finish its answer within 1 s"):
        client.feed(connection.feed_client_id)
    assert time.monotonic() - started < 1.6


def test_backoff_never_sleeps_past_the_deadline(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("rate_limit", method="GET", path=FEED, retry_after=30, count=5)
    client = delivery(sandbox, connection, max_backoff=60, deadline=5)
    started = time.monotonic()
    with pytest.raises(CodaboxRateLimited, match="No time was left") as failed:
        client.feed(connection.feed_client_id)
    assert time.monotonic() - started < 1
    assert failed.value.retry_after == 30
    assert len(sandbox.request_log("GET", FEED)) == 1


def test_retries_stop_at_the_deadline(sandbox):
    """No retry is started that its wait would take past the deadline: the last 503 is
    the answer, before the deadline. On a loaded machine the last attempt's answer may be
    cut at the deadline instead (its own timeout): said so, and at the deadline."""
    connection = connect_first(sandbox)
    sandbox.add_fault("status", method="GET", path=FEED, status=503, count=1000)
    client = delivery(
        sandbox, connection, backoff=0.3, max_backoff=0.3, max_retries=1000, deadline=1.2
    )
    started = time.monotonic()
    with pytest.raises((CodaboxServerError, CodaboxUnreachable)) as failed:
        client.feed(connection.feed_client_id)
    elapsed = time.monotonic() - started
    if isinstance(failed.value, CodaboxUnreachable):
        assert "did not finish its answer within 1.2 s" in str(failed.value)
        assert elapsed < 1.2 + 0.5
    else:
        assert "HTTP 503" in str(failed.value)
        assert elapsed < 1.2
    assert len(sandbox.request_log("GET", FEED)) > 1


# --- feed entries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant, problem",
    [
        ("metadata_text", "metadata is a text, not an object"),
        ("no_document_model", "document_model is missing"),
    ],
)
def test_malformed_entry_does_not_block_the_others(sandbox, variant, problem):
    connection = connect_first(sandbox)
    sandbox.add_fault("malformed_entry", method="GET", path=FEED, variant=variant)
    first, second = delivery(sandbox, connection).feed(connection.feed_client_id)
    assert (first.feed_index, first.problem) == (EXAMPLE.docs_a[0]["feed_index"], problem)
    model = "" if variant == "no_document_model" else "coda"
    assert (first.document_model, first.metadata) == (
        model,
        {} if variant == "metadata_text" else EXAMPLE.docs_a[0]["metadata"],
    )
    assert (
        isinstance(first.raw, dict) and first.raw["feed_index"] == EXAMPLE.docs_a[0]["feed_index"]
    )
    assert second == FeedEntry(
        EXAMPLE.docs_a[1]["feed_index"], "coda", EXAMPLE.docs_a[1]["metadata"]
    )
    assert (second.problem, second.raw) == (None, None)


def test_entry_without_feed_index_has_a_stable_name(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    sandbox.add_fault("malformed_entry", method="GET", path=FEED, variant="no_feed_index", count=2)
    first = client.feed(connection.feed_client_id)
    again = client.feed(connection.feed_client_id)
    assert first == again
    entry = {key: EXAMPLE.docs_a[0][key] for key in ("document_model", "metadata")}
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    expected = "unreadable-" + hashlib.sha1(canonical.encode()).hexdigest()
    assert first[0].feed_index == expected
    assert first[0].problem == "feed_index is missing"
    assert first[0].raw == entry
    assert first[0].document_model == "coda" and first[0].metadata == EXAMPLE.docs_a[0]["metadata"]
    assert [e.feed_index for e in first[1:]] == [EXAMPLE.docs_a[1]["feed_index"]]


def test_entry_that_is_not_an_object(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("malformed_entry", method="GET", path=FEED, variant="not_an_object")
    first, second = delivery(sandbox, connection).feed(connection.feed_client_id)
    assert first.problem == "the entry is a text, not an object"
    assert isinstance(first.raw, str) and EXAMPLE.docs_a[0]["feed_index"] in first.raw
    assert first.feed_index.startswith("unreadable-") and len(first.feed_index) == 51
    assert second.feed_index == EXAMPLE.docs_a[1]["feed_index"] and second.problem is None


def test_listing_that_is_not_a_list_raises(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("malformed_entry", method="GET", path=FEED, variant="not_a_list")
    with pytest.raises(CodaboxProtocolError, match="not a list"):
        delivery(sandbox, connection).feed(connection.feed_client_id)


# --- re-delivery ------------------------------------------------------------------------


def test_redownload_of_acknowledged_documents(sandbox):
    connection = connect_first(sandbox)
    client = delivery(sandbox, connection)
    feed_id = connection.feed_client_id
    first_index = EXAMPLE.docs_a[0]["feed_index"]
    assert client.redownload_feed(feed_id) == []
    with pytest.raises(CodaboxProtocolError, match="no acknowledged document") as refused:
        client.redownload(first_index, "cod")  # delivered, not acknowledged yet
    assert refused.value.status == 404

    client.acknowledge(feed_id, first_index)
    assert client.redownload_feed(feed_id) == [
        FeedEntry(first_index, "coda", EXAMPLE.docs_a[0]["metadata"])
    ]
    assert client.redownload(first_index, "cod") == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    assert client.redownload(first_index, "pdf").startswith(b"%PDF")
    assert client.redownload(first_index, "xml") == b""
    with pytest.raises(CodaboxProtocolError, match="no acknowledged document"):
        client.redownload("00000000-0000-0000-0000-000000000000", "cod")
    with pytest.raises(ValueError):
        client.redownload(first_index, "txt")

    sandbox.add_fault("corrupt", method="GET", path=REDOWNLOAD)
    assert client.redownload(first_index, "cod") == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    assert [e["fault"] for e in sandbox.request_log("GET", REDOWNLOAD)][-2:] == ["corrupt", None]
    sandbox.add_fault("malformed_entry", path="/v2/delivery/redownload-feed/")
    [entry] = client.redownload_feed(feed_id)
    assert entry.problem == "metadata is a text, not an object"


def test_xml_format(sandbox):
    connection = connect_first(sandbox)
    xml = b"<?xml version='1.0'?><statement/>"
    [index] = sandbox.add_documents(
        EXAMPLE.company_a_vat,
        [{"cod": EXAMPLE.docs_a[0]["cod"], "xml": base64.b64encode(xml).decode()}],
    )
    assert delivery(sandbox, connection).download(index, "xml") == xml


# --- answers lost -----------------------------------------------------------------------


def test_lost_answer_to_an_acknowledgement_is_retried(sandbox):
    connection = connect_first(sandbox)
    sandbox.add_fault("lost_answer", method="PUT", path=FEED)
    delivery(sandbox, connection).acknowledge(
        connection.feed_client_id, EXAMPLE.docs_a[0]["feed_index"]
    )
    log = sandbox.request_log("PUT", FEED)
    assert [(e["status"], e["fault"]) for e in log] == [(None, "lost_answer"), (204, None)]
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_a_vat)
    assert company["acknowledged_offset"] == EXAMPLE.docs_a[0]["feed_index"]


def test_lost_answer_to_a_post_is_not_retried_but_took_effect(sandbox):
    connect_first(sandbox)
    sandbox.add_fault("lost_answer", method="POST", path="/v2/connect/connections/")
    with pytest.raises(CodaboxUnreachable, match="closed the connection"):
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    assert len(sandbox.request_log("POST", "/v2/connect/connections/")) == 1
    with pytest.raises(AlreadyRegistered):
        make_client(sandbox).connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )


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
    connection = client.exchange_code(code, EXAMPLE.office_password)
    failing(lambda: client.exchange_code(code, EXAMPLE.office_password))
    sandbox.add_fault("corrupt", method="POST", path="/v2/connect/connections/")
    failing(
        lambda: client.connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    )
    failing(
        lambda: client.connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, "Wrong-office-Pw-9"
        )
    )
    failing(
        lambda: client.connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    )
    sandbox.add_fault("drop", method="POST", path="/v2/connect/password/")
    failing(
        lambda: client.change_password(
            EXAMPLE.office_vat, EXAMPLE.office_password, "New-office-Pw-0001"
        )
    )
    sandbox.add_fault("redirect", method="POST", path="/v2/", location="http://127.0.0.1:9/")
    failing(
        lambda: client.change_password(
            EXAMPLE.office_vat, EXAMPLE.office_password, "New-office-Pw-0001"
        )
    )
    sandbox.add_fault("status", method="POST", path="/v2/connect/connections/", status=500)
    failing(
        lambda: client.connect_company(
            EXAMPLE.office_vat, EXAMPLE.company_b_vat, EXAMPLE.office_password
        )
    )

    owner = delivery(sandbox, connection, timeout=(2, 0.5), max_retries=1)
    owner.feed(connection.feed_client_id)
    sandbox.add_fault("slow", method="GET", path=FEED, delay=1.0, count=2)
    failing(lambda: owner.feed(connection.feed_client_id))
    sandbox.add_fault("truncate", method="GET", path=DOWNLOAD, count=2)
    failing(lambda: owner.download(EXAMPLE.docs_a[0]["feed_index"], "cod"))
    sandbox.set_consent(EXAMPLE.office_vat, "cancelled")
    failing(owner.pod_client)
    wrong = make_client(sandbox, (connection.username, "Wrong-delivery-Pw"))
    failing(wrong.pod_client)

    secrets = [
        EXAMPLE.office_password,
        EXAMPLE.login_password,
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
