"""The sandbox itself, in raw HTTP: MyCodaBox pages, API rules, admin, faults, state file."""

import base64
import hashlib
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from ..sandbox import faults
from ..sandbox.state import EXAMPLE_SEED
from ..sandbox.testing import MyCodaBoxRefused, SandboxAdminError, running_sandbox
from .parties import EXAMPLE

REDIRECT = "https://odoo.example/codabox/connect/callback?db=demo"
ADDON_ROOT = Path(__file__).resolve().parents[1]


def authorize_url(
    sandbox, office_vat=EXAMPLE.office_vat, company_vat=EXAMPLE.company_a_vat, **overrides
):
    query = {
        "software_id": sandbox.software_id,
        "office_vat": office_vat,
        "company_vat": company_vat,
        "redirect_uri": REDIRECT,
        "state": "st",
        **overrides,
    }
    return f"{sandbox.url}/connect/authorize?{urlencode(query)}"


def api(sandbox, method, path, *, auth=None, software_id=None, **kwargs):
    headers = {"X-Software-Company": software_id or sandbox.software_id}
    return requests.request(
        method, f"{sandbox.url}{path}", headers=headers, auth=auth, timeout=5, **kwargs
    )


def connect(sandbox, company_vat=EXAMPLE.company_a_vat):
    """Consent in MyCodaBox, then the code exchange: the company's connection answer."""
    back = sandbox.authorize_in_browser(
        authorize_url(sandbox, company_vat=company_vat),
        EXAMPLE.login,
        EXAMPLE.login_password,
        EXAMPLE.office_password,
    )
    code = parse_qs(urlsplit(back).query)["code"][0]
    answer = api(
        sandbox,
        "POST",
        "/v2/connect/token/",
        json={"code": code, "office_password": EXAMPLE.office_password},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def credentials(answer):
    return answer["username"], answer["password"]


# --- MyCodaBox pages --------------------------------------------------------------------


def test_pages_have_the_ids_a_tour_clicks(sandbox):
    browser = requests.Session()
    page = browser.get(authorize_url(sandbox), timeout=5)
    assert page.status_code == 200
    for element in ('id="login"', 'id="password"', 'name="login"', 'name="password"'):
        assert element in page.text
    assert "Fiduciaire Lambert SRL" in page.text
    request_id = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
    form = {"request": request_id, "login": EXAMPLE.login, "password": EXAMPLE.login_password}
    page = browser.post(f"{sandbox.url}/connect/login", data=form, timeout=5)
    assert page.status_code == 200
    assert page.url.startswith(f"{sandbox.url}/connect/consent?")
    for element in (
        'id="office_password"',
        'name="office_password"',
        'id="accept_terms"',
        'name="accept_terms"',
        'name="decision" value="allow"',
        'name="decision" value="deny"',
    ):
        assert element in page.text
    assert "Manage your consent" in page.text
    assert "Boulangerie Peeters SA" in page.text
    assert "To be determined" in page.text
    [office] = [o for o in sandbox.state()["offices"] if o["vat"] == EXAMPLE.office_vat]
    assert office["consent"]["status"] == "pending"


def test_allow_needs_the_terms_and_an_office_password(sandbox):
    url = authorize_url(sandbox)
    with pytest.raises(MyCodaBoxRefused, match="Accept the terms") as refused:
        sandbox.authorize_in_browser(
            url, EXAMPLE.login, EXAMPLE.login_password, EXAMPLE.office_password, accept_terms=False
        )
    assert refused.value.status == 400
    with pytest.raises(MyCodaBoxRefused, match="office password"):
        sandbox.authorize_in_browser(url, EXAMPLE.login, EXAMPLE.login_password, "short")


def test_user_of_another_office_cannot_sign_in(sandbox):
    with pytest.raises(MyCodaBoxRefused, match="Wrong login or password"):
        sandbox.authorize_in_browser(
            authorize_url(sandbox), "paul.dubois", "dubois-2025", EXAMPLE.office_password
        )


def test_redirect_keeps_the_redirect_uri_query(sandbox):
    back = sandbox.authorize_in_browser(
        authorize_url(sandbox), EXAMPLE.login, EXAMPLE.login_password, EXAMPLE.office_password
    )
    query = parse_qs(urlsplit(back).query)
    assert back.startswith("https://odoo.example/codabox/connect/callback?")
    assert query["db"] == ["demo"] and query["state"] == ["st"] and query["code"]


def test_authorize_refuses_bad_links(sandbox):
    for url in (
        authorize_url(sandbox, software_id="someone-else"),
        authorize_url(sandbox, redirect_uri="javascript:alert(1)"),
    ):
        page = requests.get(url, allow_redirects=False, timeout=5)
        assert page.status_code == 400
        assert 'id="error"' in page.text


def test_authorize_sends_back_unknown_office_and_stranger_company(sandbox):
    for office_vat, company_vat, error in (
        (EXAMPLE.sme_vat, EXAMPLE.sme_vat, "unknownAccountingOffice"),
        (EXAMPLE.office_vat, EXAMPLE.other_office_client_vat, "notFound"),
    ):
        page = requests.get(
            authorize_url(sandbox, office_vat, company_vat), allow_redirects=False, timeout=5
        )
        assert page.status_code == 302
        assert parse_qs(urlsplit(page.headers["Location"]).query)["error"] == [error]


def test_consent_page_needs_the_sign_in_cookie(sandbox):
    browser = requests.Session()
    page = browser.get(authorize_url(sandbox), timeout=5)
    request_id = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
    form = {"request": request_id, "login": EXAMPLE.login, "password": EXAMPLE.login_password}
    browser.post(f"{sandbox.url}/connect/login", data=form, allow_redirects=False, timeout=5)
    stranger = requests.post(
        f"{sandbox.url}/connect/consent",
        data={
            "request": request_id,
            "decision": "allow",
            "accept_terms": "1",
            "office_password": EXAMPLE.office_password,
        },
        allow_redirects=False,
        timeout=5,
    )
    assert stranger.status_code == 403
    assert sandbox.state()["authorization_codes"] == []


# --- API rules --------------------------------------------------------------------------


def test_software_header_is_required(sandbox):
    for software_id in ("", "not-ours"):
        answer = requests.get(
            f"{sandbox.url}/v2/connect/consents/x/",
            headers={"X-Software-Company": software_id},
            timeout=5,
        )
        assert answer.status_code == 403
        assert answer.json()["code"] == "unknownSoftware"
    assert requests.post(f"{sandbox.url}/v2/connect/token/", json={}, timeout=5).status_code == 403


def test_delivery_needs_basic_credentials(sandbox):
    answer = connect(sandbox)
    for auth in (None, (answer["username"], "wrong"), ("cbx-nobody", answer["password"])):
        refused = api(sandbox, "GET", "/v2/delivery/pod-client/", auth=auth)
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalidCredentials"
        assert refused.headers["WWW-Authenticate"].startswith("Basic")
    assert (
        api(sandbox, "GET", "/v2/delivery/pod-client/", auth=credentials(answer)).status_code == 200
    )


def test_connect_errors(sandbox):
    def connections(office_vat, company_vat, office_password=EXAMPLE.office_password):
        payload = {
            "office_vat": office_vat,
            "company_vat": company_vat,
            "office_password": office_password,
        }
        answer = api(sandbox, "POST", "/v2/connect/connections/", json=payload)
        return answer.status_code, answer.json()["code"]

    assert connections(EXAMPLE.office_vat, EXAMPLE.company_b_vat) == (403, "consentNotValid")
    connect(sandbox)
    assert connections(EXAMPLE.sme_vat, EXAMPLE.company_b_vat) == (404, "unknownAccountingOffice")
    assert connections(EXAMPLE.office_vat, EXAMPLE.company_b_vat, "wrong-password") == (
        403,
        "invalidPassword",
    )
    assert connections(EXAMPLE.office_vat, EXAMPLE.other_office_client_vat) == (404, "notFound")
    assert connections(EXAMPLE.office_vat, EXAMPLE.company_a_vat) == (409, "alreadyRegistered")
    missing = api(
        sandbox, "POST", "/v2/connect/connections/", json={"office_vat": EXAMPLE.office_vat}
    )
    assert (missing.status_code, missing.json()["code"]) == (400, "badRequest")
    answer = api(
        sandbox, "POST", "/v2/connect/token/", json={"code": "made-up", "office_password": "x"}
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalidCode")


def test_vat_numbers_compare_loosely(sandbox):
    connect(sandbox)
    payload = {
        "office_vat": "be 0477.472.701",
        "company_vat": "BE 0202 239 951",
        "office_password": EXAMPLE.office_password,
    }
    assert api(sandbox, "POST", "/v2/connect/connections/", json=payload).status_code == 201


def test_a_new_code_replaces_the_connection(sandbox):
    first = connect(sandbox)
    second = connect(sandbox)
    assert second["feed_client_id"] == first["feed_client_id"]
    assert (
        api(sandbox, "GET", "/v2/delivery/pod-client/", auth=credentials(first)).status_code == 401
    )
    assert (
        api(sandbox, "GET", "/v2/delivery/pod-client/", auth=credentials(second)).status_code == 200
    )


def test_revoke(sandbox):
    answer = connect(sandbox)
    path = f"/v2/connect/connections/{answer['feed_client_id']}/"
    assert api(sandbox, "DELETE", path).status_code == 204
    assert api(sandbox, "DELETE", path).status_code == 204
    assert (
        api(sandbox, "GET", "/v2/delivery/pod-client/", auth=credentials(answer)).status_code == 401
    )
    unknown = api(sandbox, "DELETE", "/v2/connect/connections/nope/")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "notFound")


def test_password_change(sandbox):
    connect(sandbox)

    def change(current, new):
        payload = {
            "office_vat": EXAMPLE.office_vat,
            "current_password": current,
            "new_password": new,
        }
        return api(sandbox, "POST", "/v2/connect/password/", json=payload)

    assert change("wrong-password", "New-office-Pw-0001").json()["code"] == "invalidPassword"
    assert change(EXAMPLE.office_password, "short").status_code == 400
    assert change(EXAMPLE.office_password, "New-office-Pw-0001").status_code == 204
    assert change(EXAMPLE.office_password, "Other-office-Pw-02").status_code == 403


def test_delivery_feed_download_acknowledge(sandbox):
    answer = connect(sandbox)
    auth = credentials(answer)
    feed = f"/v2/delivery/feed/{answer['feed_client_id']}/"
    listing = api(sandbox, "GET", feed, auth=auth).json()
    assert listing["id"] == answer["feed_client_id"]
    assert [e["feed_index"] for e in listing["feed_entries"]] == [
        d["feed_index"] for d in EXAMPLE.docs_a
    ]
    assert listing["feed_entries"][0]["metadata"] == EXAMPLE.docs_a[0]["metadata"]

    cod = api(
        sandbox, "GET", f"/v2/delivery/download/{EXAMPLE.docs_a[0]['feed_index']}/cod/", auth=auth
    )
    assert cod.headers["Content-Type"] == "application/vnd.coda"
    assert cod.content == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    digest = base64.b64encode(hashlib.sha256(cod.content).digest()).decode()
    assert cod.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    pdf = api(
        sandbox, "GET", f"/v2/delivery/download/{EXAMPLE.docs_a[0]['feed_index']}/pdf/", auth=auth
    )
    assert pdf.headers["Content-Type"] == "application/pdf"
    no_pdf = api(
        sandbox, "GET", f"/v2/delivery/download/{EXAMPLE.docs_a[1]['feed_index']}/pdf/", auth=auth
    )
    assert (no_pdf.status_code, no_pdf.json()["code"]) == (404, "formatNotAvailable")

    unknown = api(sandbox, "PUT", feed, auth=auth, json={"feed_offset": "nope"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalidFeedOffset")
    assert (
        api(
            sandbox, "PUT", feed, auth=auth, json={"feed_offset": EXAMPLE.docs_a[1]["feed_index"]}
        ).status_code
        == 204
    )
    assert api(sandbox, "GET", feed, auth=auth).json()["feed_entries"] == []

    other = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_b_vat)
    stranger = api(sandbox, "GET", f"/v2/delivery/feed/{other['feed_client_id']}/", auth=auth)
    assert stranger.status_code == 404
    other_doc = other["documents"][0]["feed_index"]
    assert (
        api(sandbox, "GET", f"/v2/delivery/download/{other_doc}/cod/", auth=auth).status_code == 404
    )


def test_cancelled_consent_blocks_delivery(sandbox):
    answer = connect(sandbox)
    sandbox.set_consent(EXAMPLE.office_vat, "cancelled")
    refused = api(sandbox, "GET", "/v2/delivery/pod-client/", auth=credentials(answer))
    assert (refused.status_code, refused.json()["code"]) == (403, "consentNotValid")
    consent = api(sandbox, "GET", f"/v2/connect/consents/{answer['consent_id']}/").json()
    assert consent == {"consent_id": answer["consent_id"], "status": "cancelled"}


def test_unknown_route(sandbox):
    answer = api(sandbox, "GET", "/v2/delivery/nothing-here/")
    assert (answer.status_code, answer.json()["code"]) == (404, "unknownEndpoint")
    assert api(sandbox, "PATCH", "/v2/delivery/pod-client/").status_code == 501
    assert api(sandbox, "POST", "/v2/delivery/pod-client/").status_code == 405


# --- admin endpoint ---------------------------------------------------------------------


def test_admin_seed_merge_and_replace(sandbox):
    sandbox.seed(
        {
            "companies": [
                {"vat": "BE0999999999", "name": "New SRL", "office_vat": EXAMPLE.office_vat}
            ]
        },
        merge=True,
    )
    state = sandbox.state()
    assert {c["vat"] for c in state["companies"]} >= {EXAMPLE.company_a_vat, "BE0999999999"}
    sandbox.seed({"software_id": "other-software", "offices": [], "companies": []})
    state = sandbox.state()
    assert (state["software_id"], state["companies"]) == ("other-software", [])
    assert sandbox.software_id == "other-software"
    sandbox.reset()
    assert sandbox.software_id == EXAMPLE.software_id


def test_admin_documents_are_appended_in_order(sandbox):
    indexes = sandbox.add_documents(
        EXAMPLE.company_b_vat,
        [
            {"cod": EXAMPLE.docs_a[0]["cod"], "metadata": {"iban": "x"}},
            {"feed_index": "fixed-1", "cod": EXAMPLE.docs_a[1]["cod"]},
        ],
    )
    assert indexes[1] == "fixed-1" and len(indexes) == 2
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_b_vat)
    assert [d["feed_index"] for d in company["documents"]][-2:] == indexes
    with pytest.raises(SandboxAdminError, match="already delivered"):
        sandbox.add_documents(
            EXAMPLE.company_b_vat, [{"feed_index": "fixed-1", "cod": EXAMPLE.docs_a[1]["cod"]}]
        )
    with pytest.raises(SandboxAdminError, match="unknown company"):
        sandbox.add_documents("BE0000000000", [])
    with pytest.raises(SandboxAdminError, match="base64"):
        sandbox.add_documents(EXAMPLE.company_b_vat, [{"cod": "not base64!"}])


def test_admin_refuses_bad_faults(sandbox):
    for kind, options in (("explode", {}), ("status", {"status": 404}), ("drop", {"count": 0})):
        with pytest.raises(SandboxAdminError):
            sandbox.add_fault(kind, **options)
    unknown_field = requests.post(
        f"{sandbox.url}/_admin/faults", json={"kind": "drop", "colour": "red"}, timeout=5
    )
    assert (unknown_field.status_code, unknown_field.json()["code"]) == (400, "badRequest")
    with pytest.raises(SandboxAdminError):
        sandbox.set_consent(EXAMPLE.office_vat, "maybe")


def test_admin_view_and_state_file_hold_no_secret(tmp_path):
    state_file = tmp_path / "state.json"
    with running_sandbox(state_file=str(state_file)) as sandbox:
        back = sandbox.authorize_in_browser(
            authorize_url(sandbox), EXAMPLE.login, EXAMPLE.login_password, EXAMPLE.office_password
        )
        code = parse_qs(urlsplit(back).query)["code"][0]
        answer = connect(sandbox, EXAMPLE.company_b_vat)
        secrets = [EXAMPLE.login_password, EXAMPLE.office_password, code, answer["password"]]
        for secret in [*secrets, answer["username"]]:
            assert secret not in json.dumps(sandbox.state())
        # The state file knows usernames (it looks them up), only hashes of the rest.
        for secret in secrets:
            assert secret not in state_file.read_text()


# --- faults -----------------------------------------------------------------------------


def test_fault_matching_and_count(sandbox):
    answer = connect(sandbox)
    auth = credentials(answer)
    sandbox.add_fault(
        "status", method="GET", path="/v2/delivery/", path_regex=r"/pdf/$", status=502, count=2
    )
    cod = f"/v2/delivery/download/{EXAMPLE.docs_a[0]['feed_index']}/cod/"
    pdf = f"/v2/delivery/download/{EXAMPLE.docs_a[0]['feed_index']}/pdf/"
    assert api(sandbox, "GET", cod, auth=auth).status_code == 200
    assert api(sandbox, "PUT", pdf, auth=auth).status_code == 405  # method does not match
    statuses = [api(sandbox, "GET", pdf, auth=auth).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert sandbox.state()["faults"] == []
    sandbox.add_fault("status", path="/v2/", count=5)
    sandbox.clear_faults()
    assert api(sandbox, "GET", cod, auth=auth).status_code == 200
    log = sandbox.request_log("GET", "/v2/delivery/download/")
    assert [(entry["status"], entry["fault"]) for entry in log][-3:] == [
        (502, "status"),
        (200, None),
        (200, None),
    ]


def test_rate_limit_fault(sandbox):
    sandbox.add_fault("rate_limit", path="/v2/connect/consents/", retry_after=7)
    answer = api(sandbox, "GET", "/v2/connect/consents/x/")
    assert (answer.status_code, answer.headers["Retry-After"], answer.json()["code"]) == (
        429,
        "7",
        "rateLimited",
    )


def test_drop_fault(sandbox):
    sandbox.add_fault("drop", path="/v2/connect/consents/")
    with pytest.raises(requests.ConnectionError):
        api(sandbox, "GET", "/v2/connect/consents/x/")
    assert sandbox.request_log()[-1]["status"] is None


def test_truncate_fault_announces_more_than_it_sends(sandbox):
    sandbox.add_fault("truncate", path="/v2/connect/consents/")
    port = urlsplit(sandbox.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(
            f"GET /v2/connect/consents/x/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-Software-Company: {sandbox.software_id}\r\n\r\n".encode()
        )
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    announced = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert 0 < len(body) < announced


def test_corrupt_fault(sandbox):
    answer = connect(sandbox)
    auth = credentials(answer)
    sandbox.add_fault("corrupt", path="/v2/connect/consents/")
    with pytest.raises(ValueError):
        api(sandbox, "GET", f"/v2/connect/consents/{answer['consent_id']}/").json()
    sandbox.add_fault("corrupt", path="/v2/delivery/download/")
    garbled = api(
        sandbox, "GET", f"/v2/delivery/download/{EXAMPLE.docs_a[0]['feed_index']}/cod/", auth=auth
    )
    original = base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    assert len(garbled.content) == len(original) and garbled.content != original


def test_slow_fault(sandbox):
    sandbox.add_fault("slow", path="/v2/connect/consents/", delay=1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.get(
            f"{sandbox.url}/v2/connect/consents/x/",
            headers={"X-Software-Company": sandbox.software_id},
            timeout=(2, 0.3),
        )


def test_duplicate_entry_fault(sandbox):
    answer = connect(sandbox)
    sandbox.add_fault("duplicate_entry", path="/v2/delivery/feed/")
    feed = f"/v2/delivery/feed/{answer['feed_client_id']}/"
    entries = api(sandbox, "GET", feed, auth=credentials(answer)).json()["feed_entries"]
    assert [e["feed_index"] for e in entries] == [
        EXAMPLE.docs_a[0]["feed_index"],
        *(d["feed_index"] for d in EXAMPLE.docs_a),
    ]
    assert len(api(sandbox, "GET", feed, auth=credentials(answer)).json()["feed_entries"]) == 2


def test_every_fault_kind_is_documented():
    for kind in faults.KINDS:
        assert f"``{kind}``" in faults.__doc__


def test_admin_refuses_bad_new_faults(sandbox):
    for kind, options in (
        ("redirect", {}),  # no location
        ("redirect", {"location": "http://127.0.0.1:9/", "status": 302}),
        ("slow", {"when": "later"}),
        ("malformed_entry", {"variant": "broken"}),
        ("oversize", {"announce": "yes"}),
        ("oversize", {"size": -1}),
    ):
        with pytest.raises(SandboxAdminError):
            sandbox.add_fault(kind, **options)
    assert sandbox.state()["faults"] == []


def test_redirect_fault_is_not_carried_out(sandbox):
    connect(sandbox)
    sandbox.add_fault("redirect", path="/v2/connect/connections/", location="http://elsewhere/x")
    payload = {
        "office_vat": EXAMPLE.office_vat,
        "company_vat": EXAMPLE.company_b_vat,
        "office_password": EXAMPLE.office_password,
    }
    answer = api(sandbox, "POST", "/v2/connect/connections/", json=payload, allow_redirects=False)
    assert (answer.status_code, answer.headers["Location"]) == (307, "http://elsewhere/x")
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_b_vat)
    assert not company["connected"]
    sandbox.add_fault("redirect", path="/v2/connect/consents/", status=308, location="/v2/")
    assert api(sandbox, "GET", "/v2/connect/consents/x/", allow_redirects=False).status_code == 308


def test_oversize_fault_is_generated_lazily(sandbox):
    sandbox.add_fault("oversize", path="/v2/connect/consents/", size=2**40)  # 1 TiB
    with api(sandbox, "GET", "/v2/connect/consents/x/", stream=True) as answer:
        assert answer.status_code == 200
        assert answer.headers["Content-Length"] == str(2**40)
        assert len(answer.raw.read(1000)) == 1000
    [entry] = sandbox.request_log()
    assert (entry["status"], entry["fault"]) == (200, "oversize")
    assert 1000 <= entry["sent"] < 2**30
    sandbox.add_fault("oversize", path="/v2/connect/consents/", size=200_000, announce=False)
    answer = api(sandbox, "GET", "/v2/connect/consents/x/")
    assert "Content-Length" not in answer.headers
    assert len(answer.content) == 200_000


def test_drip_fault_sends_one_byte_at_a_time(sandbox):
    sandbox.add_fault("drip", path="/v2/connect/consents/", delay=0.1)
    started = time.monotonic()
    with api(sandbox, "GET", "/v2/connect/consents/x/", stream=True) as answer:
        assert answer.status_code == 404  # carried out: the real answer, slowly
        announced = int(answer.headers["Content-Length"])
        assert [len(answer.raw.read(1)) for _ in range(4)] == [1, 1, 1, 1]
        assert time.monotonic() - started >= 0.35
    assert announced > 4
    assert sandbox.request_log()[0]["sent"] < announced


def test_lost_answer_fault_carries_out_the_request(sandbox):
    answer = connect(sandbox)
    feed = f"/v2/delivery/feed/{answer['feed_client_id']}/"
    sandbox.add_fault("lost_answer", method="PUT", path="/v2/delivery/feed/")
    with pytest.raises(requests.ConnectionError):
        api(
            sandbox,
            "PUT",
            feed,
            auth=credentials(answer),
            json={"feed_offset": EXAMPLE.docs_a[0]["feed_index"]},
        )
    [entry] = sandbox.request_log("PUT")
    assert (entry["status"], entry["fault"]) == (None, "lost_answer")
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_a_vat)
    assert company["acknowledged_offset"] == EXAMPLE.docs_a[0]["feed_index"]


def test_slow_after_holds_the_answer_of_a_request_carried_out(sandbox):
    answer = connect(sandbox)
    feed = f"/v2/delivery/feed/{answer['feed_client_id']}/"
    sandbox.add_fault("slow", method="PUT", path="/v2/delivery/feed/", delay=1.0, when="after")
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        requests.put(
            f"{sandbox.url}{feed}",
            headers={"X-Software-Company": sandbox.software_id},
            auth=credentials(answer),
            json={"feed_offset": EXAMPLE.docs_a[0]["feed_index"]},
            timeout=(2, 0.3),
        )
    # While the sandbox still holds the answer, the acknowledgement is applied and logged.
    state = sandbox.state()
    assert time.monotonic() - started < 1.0
    company = next(c for c in state["companies"] if c["vat"] == EXAMPLE.company_a_vat)
    assert company["acknowledged_offset"] == EXAMPLE.docs_a[0]["feed_index"]
    assert [(e["status"], e["fault"]) for e in state["requests"] if e["method"] == "PUT"] == [
        (204, "slow")
    ]


def test_slow_before_is_not_carried_out_yet(sandbox):
    answer = connect(sandbox)
    feed = f"/v2/delivery/feed/{answer['feed_client_id']}/"
    sandbox.add_fault("slow", method="PUT", path="/v2/delivery/feed/", delay=1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.put(
            f"{sandbox.url}{feed}",
            headers={"X-Software-Company": sandbox.software_id},
            auth=credentials(answer),
            json={"feed_offset": EXAMPLE.docs_a[0]["feed_index"]},
            timeout=(2, 0.3),
        )
    company = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_a_vat)
    assert company["acknowledged_offset"] is None


@pytest.mark.parametrize(
    "variant", ["metadata_text", "no_document_model", "no_feed_index", "not_an_object"]
)
def test_malformed_entry_fault(sandbox, variant):
    answer = connect(sandbox)
    feed = f"/v2/delivery/feed/{answer['feed_client_id']}/"
    sandbox.add_fault("malformed_entry", path="/v2/delivery/feed/", variant=variant)
    first, second = api(sandbox, "GET", feed, auth=credentials(answer)).json()["feed_entries"]
    original = {key: EXAMPLE.docs_a[0][key] for key in ("feed_index", "document_model", "metadata")}
    expected = {
        "metadata_text": {**original, "metadata": json.dumps(EXAMPLE.docs_a[0]["metadata"])},
        "no_document_model": {k: v for k, v in original.items() if k != "document_model"},
        "no_feed_index": {k: v for k, v in original.items() if k != "feed_index"},
    }.get(variant)
    if variant == "not_an_object":
        assert json.loads(first) == original
    else:
        assert first == expected
    assert second["feed_index"] == EXAMPLE.docs_a[1]["feed_index"]
    sandbox.add_fault("malformed_entry", path="/v2/delivery/feed/", variant="not_a_list")
    listing = api(sandbox, "GET", feed, auth=credentials(answer)).json()["feed_entries"]
    assert sorted(listing) == sorted(d["feed_index"] for d in EXAMPLE.docs_a)


def test_html_and_empty_faults(sandbox):
    answer = connect(sandbox)
    cod = f"/v2/delivery/download/{EXAMPLE.docs_a[0]['feed_index']}/cod/"
    sandbox.add_fault("html", path="/v2/delivery/download/", path_regex="/cod/$", count=2)
    for _ in range(2):
        page = api(sandbox, "GET", cod, auth=credentials(answer))
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Sign in to MyCodaBox" in page.text
    sandbox.add_fault("empty", path=cod)
    empty = api(sandbox, "GET", cod, auth=credentials(answer))
    assert (empty.status_code, empty.content) == (200, b"")
    assert empty.headers["Content-Type"] == "application/vnd.coda"
    assert "Repr-Digest" not in empty.headers
    assert api(sandbox, "GET", cod, auth=credentials(answer)).content == base64.b64decode(
        EXAMPLE.docs_a[0]["cod"]
    )


def test_redownload_routes(sandbox):
    answer = connect(sandbox)
    auth = credentials(answer)
    feed_id = answer["feed_client_id"]
    again = f"/v2/delivery/redownload-feed/{feed_id}/"
    first = EXAMPLE.docs_a[0]["feed_index"]
    assert api(sandbox, "GET", again, auth=auth).json() == {"id": feed_id, "feed_entries": []}
    early = api(sandbox, "GET", f"/v2/delivery/redownload/{first}/cod/", auth=auth)
    assert (early.status_code, early.json()["code"]) == (404, "notFound")
    payload = {"feed_offset": first}
    assert api(sandbox, "PUT", f"/v2/delivery/feed/{feed_id}/", auth=auth, json=payload).ok
    listing = api(sandbox, "GET", again, auth=auth).json()["feed_entries"]
    assert listing == [
        {k: EXAMPLE.docs_a[0][k] for k in ("feed_index", "document_model", "metadata")}
    ]
    cod = api(sandbox, "GET", f"/v2/delivery/redownload/{first}/cod/", auth=auth)
    assert cod.content == base64.b64decode(EXAMPLE.docs_a[0]["cod"])
    assert cod.headers["Content-Type"] == "application/vnd.coda"
    xml = api(sandbox, "GET", f"/v2/delivery/redownload/{first}/xml/", auth=auth)
    assert (xml.status_code, xml.json()["code"]) == (404, "formatNotAvailable")
    unknown = api(sandbox, "GET", "/v2/delivery/redownload/nope/cod/", auth=auth)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "notFound")
    other = next(c for c in sandbox.state()["companies"] if c["vat"] == EXAMPLE.company_b_vat)
    stranger = api(
        sandbox, "GET", f"/v2/delivery/redownload-feed/{other['feed_client_id']}/", auth=auth
    )
    assert stranger.status_code == 404
    assert api(sandbox, "GET", again).status_code == 401


def test_xml_documents(sandbox):
    answer = connect(sandbox)
    xml = b"<?xml version='1.0'?><statement/>"
    [index] = sandbox.add_documents(
        EXAMPLE.company_a_vat,
        [{"cod": EXAMPLE.docs_a[0]["cod"], "xml": base64.b64encode(xml).decode()}],
    )
    got = api(sandbox, "GET", f"/v2/delivery/download/{index}/xml/", auth=credentials(answer))
    assert (got.content, got.headers["Content-Type"]) == (xml, "application/xml")
    with pytest.raises(SandboxAdminError, match="base64"):
        sandbox.add_documents(
            EXAMPLE.company_a_vat, [{"cod": EXAMPLE.docs_a[0]["cod"], "xml": "<not base64>"}]
        )


# --- the mailbox ---------------------------------------------------------------------------


def test_mailbox_page_and_outbox(sandbox):
    fleurs = "BE0123456749"  # the example's company with an e-mail address at CodaBox
    empty = requests.get(f"{sandbox.url}/mailbox", timeout=5)
    assert (empty.status_code, "No e-mail yet" in empty.text) == (200, True)
    for _ in range(2):
        answer = api(
            sandbox, "POST", "/v2/request-access-token/invoicing-software/", json={"vat": fleurs}
        )
        assert (answer.status_code, answer.json()) == (201, {"email": "f***@fleurs.be"})
    messages = requests.get(f"{sandbox.url}/_admin/outbox", timeout=5).json()["messages"]
    assert [m["token"] for m in messages] == [m["token"] for m in sandbox.outbox()]
    older, newer = messages
    assert older["sent_at"] <= newer["sent_at"] and older["token"] != newer["token"]
    sandbox.add_fault("status", path="/", count=5)  # the mailbox is no API: never faulted
    page = requests.get(f"{sandbox.url}/mailbox", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    tokens = re.findall(r'<strong class="token">([^<]+)</strong>', page.text)
    assert tokens == [newer["token"], older["token"]]  # newest first
    assert page.text.count('class="message"') == 2
    assert 'class="to">florence@fleurs.be<' in page.text
    assert f'class="sent_at">{newer["sent_at"]}<' in page.text
    assert "Fleurs Dupont SRL" in page.text
    assert len(sandbox.state()["faults"]) == 1
    assert [e["path"] for e in sandbox.request_log()] == [
        "/v2/request-access-token/invoicing-software/"
    ] * 2


# --- persistence and command line --------------------------------------------------------


def test_state_file_survives_a_restart(tmp_path):
    state_file = str(tmp_path / "state.json")
    with running_sandbox(state_file=state_file) as sandbox:
        answer = connect(sandbox)
        feed = f"/v2/delivery/feed/{answer['feed_client_id']}/"
        payload = {"feed_offset": EXAMPLE.docs_a[0]["feed_index"]}
        assert api(sandbox, "PUT", feed, auth=credentials(answer), json=payload).status_code == 204
    with running_sandbox(
        {"software_id": "ignored: the state file wins"}, state_file=state_file
    ) as sandbox:
        assert sandbox.software_id == EXAMPLE.software_id
        listing = api(sandbox, "GET", feed, auth=credentials(answer))
        assert [e["feed_index"] for e in listing.json()["feed_entries"]] == [
            EXAMPLE.docs_a[1]["feed_index"]
        ]
        consent = api(sandbox, "GET", f"/v2/connect/consents/{answer['consent_id']}/").json()
        assert consent["status"] == "allowed"
        payload = {
            "office_vat": EXAMPLE.office_vat,
            "company_vat": EXAMPLE.company_b_vat,
            "office_password": EXAMPLE.office_password,
        }
        assert api(sandbox, "POST", "/v2/connect/connections/", json=payload).status_code == 201


def test_command_line(tmp_path):
    state_file = tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--seed",
            EXAMPLE_SEED,
            "--state",
            str(state_file),
        ],
        cwd=ADDON_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        state = requests.get(f"{url}/_admin/state", timeout=5).json()
        assert state["software_id"] == EXAMPLE.software_id in line
        assert state_file.exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
