"""The sandbox's HTTP side: MyCodaBox pages, CodaBox API v2, admin endpoint and faults.

Routing, HTTP details and faults only: the rules live in state.py, whose docstring says how
feed ids relate to companies. Binds 127.0.0.1 only.

MyCodaBox: ``GET /connect/authorize`` -> sign-in page -> ``POST /connect/login`` -> 303 to
``GET /connect/consent`` ("Manage your consent") -> ``POST /connect/consent`` -> 303 to the
``redirect_uri`` with ``state`` and ``code`` or ``error``. Sign-in sessions and pending
authorization requests live in memory only.

API errors are JSON ``{"detail", "code"}``. Besides the Connect codes of notes.md:
``unknownSoftware`` (403, missing or wrong X-Software-Company), ``invalidCredentials``
(401), ``invalidCode`` (400), ``badRequest`` (400), ``invalidFeedOffset`` (400),
``formatNotAvailable`` (404, the document has no such format), ``notFound`` (404, no such
consent, feed, document or connection), ``unknownEndpoint`` (404, no such route),
``serverError`` and ``rateLimited`` (faults).

Invoicing software (docs/protocol.md; the rules in state.py)::

    POST   /v2/request-access-token/invoicing-software/  {"vat"} -> 201 {"email": masked};
           404 unknownEnterpriseNumber, 409 noAccountingOffice, 409 unknownEmail
    GET    /v2/get-credentials/{token}/                  -> 200 {"username", "password"};
           404 invalidToken (unknown, used, expired or voided)
    DELETE /v2/invoicing-software/credentials/           Basic auth -> 204 (revoked)
    POST   /v2/invoicing-software/sales-invoices/        Basic auth + Idempotency-Key ->
           201 (or 200: replay) {"id", "status": "received", "received_at"}; 400
           invalidDocument, 409 duplicateInvoice (with "id"), 422 idempotencyKeyReused,
           403 notInvoicingSoftware (Connect credentials)

and the delivery routes above with an invoicing software's credentials: its own feed of the
company's CODA. The request log and the sandbox's own log show a token in a path as ``***``.

Admin endpoint (JSON, no auth, loopback clients only; never faulted nor logged)::

    POST   /_admin/reset              back to the start seed; clears faults and the log
    POST   /_admin/seed[?mode=merge]  body: a seed; replaces the state (default) or merges
    POST   /_admin/documents          {"company_vat", "documents": [...]} -> {"feed_indexes"}
                                      (a document with "acknowledged": true was delivered
                                      before: only the re-download feed lists it)
    POST   /_admin/consent            {"office_vat", "status"} -> {"consent_id", "status"}
    POST   /_admin/clock              {"advance_seconds": 601} (to expire authorization codes
                                      and tokens)
    GET    /_admin/state              State.snapshot() + "requests" + "faults"
    GET    /_admin/outbox             {"messages": [...]}: the e-mails sent (tokens), newest
                                      last, each {"to", "subject", "body", "token", "vat",
                                      "sent_at"}

``GET /mailbox`` shows the same e-mails as a page, newest first (for the demo). Like the
admin endpoint, it is for loopback clients only and never faulted nor logged.
    POST   /_admin/faults             one fault spec or {"faults": [...]} (see faults.py)
    DELETE /_admin/faults

Re-delivery: ``GET /v2/delivery/redownload-feed/{feed_id}/`` lists the feed's ACKNOWLEDGED
entries (same shape as the feed), ``GET /v2/delivery/redownload/{feed_index}/{fmt}/`` serves
one format of an acknowledged document (``notFound`` for a document unknown or not yet
acknowledged, ``formatNotAvailable`` as for downloads). Formats: ``cod``, ``pdf``, ``xml``.

``requests`` lists every non-admin request as ``{"method", "path", "status", "fault",
"sent"}`` (path without query; status null when no answer was sent: ``drop``,
``lost_answer``; ``sent`` the body bytes written so far). With a ``slow`` fault ``when:
"after"`` the status is logged as soon as the request is carried out, before the sleep.
"""

import base64
import collections
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import socketserver
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from .faults import FaultQueue
from .pages import consent_page, mailbox_page, message_page, sign_in_page
from .state import MIN_PASSWORD_LENGTH, ApiError, SeedError

_logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
# A token in a path, as the request log and the sandbox's log show it.
_TOKEN_IN_PATH = re.compile(r"(/v2/get-credentials/)[^/ ?]+")
_MAILBOX = "/mailbox"
SESSION_COOKIE = "mycodabox_session"
CONSENT_LABELS = {
    "allowed": "Allowed",
    "denied": "Denied",
    "pending": "To be determined",
    "cancelled": "Cancelled",
}


# (method, path pattern, Handler method): MyCodaBox pages, API v2, admin endpoint.
_ROUTES = [
    (method, re.compile(pattern), name)
    for method, pattern, name in (
        ("GET", "/connect/authorize", "page_authorize"),
        ("POST", "/connect/login", "page_login"),
        ("GET", "/connect/consent", "page_consent"),
        ("POST", "/connect/consent", "page_decide"),
        ("POST", "/v2/connect/token/", "api_token"),
        ("POST", "/v2/connect/connections/", "api_connect"),
        ("DELETE", "/v2/connect/connections/(?P<feed_client_id>[^/]+)/", "api_revoke"),
        ("GET", "/v2/connect/consents/(?P<consent_id>[^/]+)/", "api_consent"),
        ("POST", "/v2/connect/password/", "api_password"),
        (
            "POST",
            "/v2/request-access-token/invoicing-software/",
            "api_request_invoicing_access",
        ),
        ("GET", "/v2/get-credentials/(?P<token>[^/]+)/", "api_get_credentials"),
        ("DELETE", "/v2/invoicing-software/credentials/", "api_revoke_invoicing_software"),
        ("POST", "/v2/invoicing-software/sales-invoices/", "api_send_sales_invoice"),
        ("GET", "/v2/delivery/pod-client/", "api_pod_client"),
        ("GET", "/v2/delivery/feed/(?P<feed_id>[^/]+)/", "api_feed"),
        ("PUT", "/v2/delivery/feed/(?P<feed_id>[^/]+)/", "api_acknowledge"),
        ("GET", "/v2/delivery/download/(?P<feed_index>[^/]+)/(?P<fmt>[^/]+)/", "api_download"),
        ("GET", "/v2/delivery/redownload-feed/(?P<feed_id>[^/]+)/", "api_redownload_feed"),
        (
            "GET",
            "/v2/delivery/redownload/(?P<feed_index>[^/]+)/(?P<fmt>[^/]+)/",
            "api_redownload",
        ),
        ("POST", "/_admin/reset", "admin_reset"),
        ("POST", "/_admin/seed", "admin_seed"),
        ("POST", "/_admin/documents", "admin_documents"),
        ("POST", "/_admin/consent", "admin_consent"),
        ("POST", "/_admin/clock", "admin_clock"),
        ("GET", "/_admin/state", "admin_state"),
        ("GET", "/_admin/outbox", "admin_outbox"),
        ("GET", _MAILBOX, "page_mailbox"),
        ("POST", "/_admin/faults", "admin_add_faults"),
        ("DELETE", "/_admin/faults", "admin_clear_faults"),
    )
]


class Reply:
    """An answer before it is written, so that faults can still rewrite it."""

    def __init__(self, status, body=b"", content_type=None, headers=None, data=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}
        self.data = data


def json_reply(status, data, headers=None):
    return Reply(status, json.dumps(data).encode(), "application/json", headers, data)


def error_reply(status, code, detail, headers=None, extra=None):
    return json_reply(status, {**(extra or {}), "detail": detail, "code": code}, headers)


def _hide_token(text):
    return _TOKEN_IN_PATH.sub(r"\1***", text)


def html_reply(status, page, headers=None):
    return Reply(status, page.encode(), "text/html; charset=utf-8", headers)


def redirect(location, status=303, headers=None):
    return Reply(status, headers={"Location": location, **(headers or {})})


def _with_query(url, **params):
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _corrupt(reply):
    if not reply.body:
        return reply
    if reply.content_type == "application/json":
        reply.body = reply.body[: len(reply.body) // 2] + b"\xff<garbled"
    else:
        reply.body = bytes(byte ^ 0x5A for byte in reply.body)
    return reply


def _duplicate_first_entry(reply):
    entries = isinstance(reply.data, dict) and reply.data.get("feed_entries")
    if not entries:
        return reply
    return json_reply(reply.status, {**reply.data, "feed_entries": [entries[0], *entries]})


def _malformed_first_entry(reply, variant):
    entries = isinstance(reply.data, dict) and reply.data.get("feed_entries")
    if not entries:
        return reply
    if variant == "not_a_list":
        listing = {entry["feed_index"]: entry for entry in entries}
        return json_reply(reply.status, {**reply.data, "feed_entries": listing})
    entry = dict(entries[0])
    if variant == "metadata_text":
        entry["metadata"] = json.dumps(entry.get("metadata"))
    elif variant == "no_document_model":
        entry.pop("document_model", None)
    elif variant == "no_feed_index":
        entry.pop("feed_index", None)
    else:  # not_an_object
        entry = json.dumps(entry)
    return json_reply(reply.status, {**reply.data, "feed_entries": [entry, *entries[1:]]})


def _empty(reply):
    headers = {key: value for key, value in reply.headers.items() if key != "Repr-Digest"}
    return Reply(200, b"", reply.content_type, headers)


def _sign_in_instead():
    """What a proxy or an expired single sign-on answers instead of the API: a login page."""
    page = sign_in_page("session-expired", "your accounting office", "Your session has expired.")
    return html_reply(200, page)


class SandboxServer(ThreadingHTTPServer):
    """The HTTP server; holds the state, the fault queue, the request log and sessions."""

    daemon_threads = True

    def __init__(self, state, port=0):
        self.state = state
        self.faults = FaultQueue()
        self._lock = threading.Lock()
        self._requests = collections.deque(maxlen=10000)
        self._authorizations = {}
        super().__init__((HOST, port), Handler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name (getfqdn): pointless and slow here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def url(self):
        return f"http://{HOST}:{self.server_port}"

    def log_entry(self, method, path):
        entry = {
            "time": time.time(),
            "method": method,
            "path": path,
            "status": None,
            "fault": None,
            "sent": 0,
        }
        with self._lock:
            self._requests.append(entry)
        return entry

    def request_log(self):
        with self._lock:
            return [dict(entry) for entry in self._requests]

    def forget(self):
        """Drops faults, the request log and sign-in sessions (reset, new seed)."""
        self.faults.clear()
        with self._lock:
            self._requests.clear()
            self._authorizations.clear()

    def open_authorization(self, request):
        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self._authorizations[request_id] = {**request, "session": None}
        return request_id

    def authorization(self, request_id):
        with self._lock:
            return self._authorizations.get(request_id or "")

    def close_authorization(self, request_id):
        with self._lock:
            self._authorizations.pop(request_id, None)


class Handler(BaseHTTPRequestHandler):
    """One request: admin, or logged and possibly faulted, then routed."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle holds the body back
    # until the client's delayed ACK (about 40 ms a response on Linux), which real servers
    # do not cost.
    disable_nagle_algorithm = True
    server_version = "CodaBoxSandbox/1.0"
    timeout = 60

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def log_message(self, fmt, *args):
        _logger.debug("%s %s", self.address_string(), _hide_token(fmt % args))

    # --- plumbing -----------------------------------------------------------------------

    def _handle(self, method):
        url = urlsplit(self.path)
        path = url.path
        self.query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        if path.startswith("/_admin/") or path == _MAILBOX:
            if not ipaddress.ip_address(self.client_address[0]).is_loopback:
                self._send(
                    error_reply(403, "forbidden", "The admin endpoint is for loopback only.")
                )
            else:
                self._send(self._route(method, path))
            return
        entry = self.server.log_entry(method, _hide_token(path))
        fault = self.server.faults.take(method, path)
        kind = entry["fault"] = fault.kind if fault else None
        if kind == "slow" and fault.when == "before":
            time.sleep(fault.delay)
        if kind == "drop":
            self.close_connection = True
            return
        if kind == "oversize":
            entry["status"] = 200
            self._send_oversize(fault, entry)
            return
        if kind == "status":
            reply = error_reply(fault.status, "serverError", f"Sandbox fault: HTTP {fault.status}.")
        elif kind == "rate_limit":
            reply = error_reply(
                429, "rateLimited", "Too many requests.", {"Retry-After": str(fault.retry_after)}
            )
        elif kind == "redirect":
            reply = error_reply(fault.status, "redirected", "Moved.", {"Location": fault.location})
        elif kind == "html":
            reply = _sign_in_instead()
        else:
            reply = self._route(method, path)  # the request is carried out
        if kind == "lost_answer":
            self.close_connection = True
            return
        if kind == "slow" and fault.when == "after":
            entry["status"] = reply.status
            time.sleep(fault.delay)
        if kind == "duplicate_entry":
            reply = _duplicate_first_entry(reply)
        elif kind == "malformed_entry":
            reply = _malformed_first_entry(reply, fault.variant)
        elif kind == "corrupt":
            reply = _corrupt(reply)
        elif kind == "empty":
            reply = _empty(reply)
        entry["status"] = reply.status
        self._send(
            reply,
            truncate=kind == "truncate",
            drip=fault.delay if kind == "drip" else None,
            entry=entry,
        )

    def _route(self, method, path):
        api = path.startswith("/v2/")
        if api and self.headers.get("X-Software-Company") != self.server.state.software_id:
            return error_reply(403, "unknownSoftware", "Missing or unknown X-Software-Company.")
        known_path = False
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            known_path = True
            if route_method == method:
                try:
                    return getattr(self, name)(**match.groupdict())
                except ApiError as exc:
                    headers = (
                        {"WWW-Authenticate": 'Basic realm="CodaBox"'} if exc.status == 401 else None
                    )
                    return error_reply(exc.status, exc.code, exc.detail, headers, exc.extra)
                except (SeedError, ValueError, TypeError, re.error) as exc:
                    return error_reply(400, "badRequest", str(exc))
                except Exception:
                    # A sandbox bug: answer it plainly rather than drop the connection.
                    _logger.exception("sandbox error on %s %s", method, path)
                    return error_reply(500, "sandboxError", "The sandbox failed; see its log.")
        status, text = (405, "Method not allowed.") if known_path else (404, "Not found.")
        if api or path.startswith("/_admin/"):
            return error_reply(
                status, "unknownEndpoint" if status == 404 else "methodNotAllowed", text
            )
        return html_reply(status, message_page(text, f"{method} {path}"))

    def _send(self, reply, truncate=False, drip=None, entry=None):
        body = reply.body
        try:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(max(len(body), 1) if truncate else len(body)))
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            if drip is not None:
                for offset in range(len(body)):
                    time.sleep(drip)
                    self._write(body[offset : offset + 1], entry)
            else:
                self._write(body[: len(body) // 2] if truncate else body, entry)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if truncate:
            self.close_connection = True

    def _write(self, data, entry):
        self.wfile.write(data)
        self.wfile.flush()
        if entry is not None:
            entry["sent"] += len(data)

    def _send_oversize(self, fault, entry):
        """``size`` bytes of filler, made 64 KiB at a time: never the whole body in memory."""
        piece = b" " * 65536
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if fault.announce:
                self.send_header("Content-Length", str(fault.size))
            self.send_header("Connection", "close")
            self.end_headers()
            left = fault.size
            while left > 0:
                self._write(piece[: min(left, len(piece))], entry)
                left -= len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self):
        try:
            payload = json.loads(self.body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise ApiError(400, "badRequest", "The body is not a JSON object.")
        return payload

    def _fields(self, *names):
        payload = self._json()
        for name in names:
            if not isinstance(payload.get(name), str) or not payload[name]:
                raise ApiError(400, "badRequest", f"Missing field: {name}.")
        return [payload[name] for name in names]

    def _basic_auth(self):
        scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None, None
        try:
            username, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None, None
        return username, password

    def _form(self):
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    # --- MyCodaBox ----------------------------------------------------------------------

    def page_authorize(self):
        state = self.server.state
        query = self.query
        if query.get("software_id") != state.software_id:
            return html_reply(
                400,
                message_page("Unknown software", "This link does not come from a CodaBox partner."),
            )
        redirect_uri = query.get("redirect_uri", "")
        target = urlsplit(redirect_uri)
        if target.scheme not in ("http", "https") or not target.netloc:
            return html_reply(
                400, message_page("Invalid link", "The link has no valid redirect_uri.")
            )
        office = state.office(query.get("office_vat"))
        if office is None:
            location = _with_query(
                redirect_uri, state=query.get("state"), error="unknownAccountingOffice"
            )
            return redirect(location, 302)
        company = state.company(query.get("company_vat"))
        if company is None or company["office_vat"] != office["vat"]:
            return redirect(
                _with_query(redirect_uri, state=query.get("state"), error="notFound"), 302
            )
        request_id = self.server.open_authorization(
            {
                "office_vat": office["vat"],
                "office_name": office["name"],
                "company_vat": company["vat"],
                "company_name": company["name"],
                "redirect_uri": redirect_uri,
                "state": query.get("state"),
            }
        )
        return html_reply(200, sign_in_page(request_id, office["name"]))

    def page_login(self):
        form = self._form()
        request_id = form.get("request")
        request = self.server.authorization(request_id)
        if request is None:
            return html_reply(
                400, message_page("Link expired", "Start again from your accounting software.")
            )
        if not self.server.state.sign_in(
            request["office_vat"], form.get("login", ""), form.get("password", "")
        ):
            error = f"Wrong login or password for a user of {request['office_name']}."
            return html_reply(401, sign_in_page(request_id, request["office_name"], error))
        request["session"] = secrets.token_urlsafe(24)
        cookie = f"{SESSION_COOKIE}={request['session']}; Path=/connect; HttpOnly; SameSite=Lax"
        return redirect(
            f"/connect/consent?{urlencode({'request': request_id})}", 303, {"Set-Cookie": cookie}
        )

    def _signed_in(self, request_id):
        request = self.server.authorization(request_id)
        session = SimpleCookie(self.headers.get("Cookie") or "").get(SESSION_COOKIE)
        if request is None or request["session"] is None or session is None:
            return None
        return request if hmac.compare_digest(session.value, request["session"]) else None

    def _consent(self, request_id, request, status=200, error=None):
        consent = self.server.state.open_consent(request["office_vat"])
        page = consent_page(
            request_id,
            request["office_name"],
            request["company_name"],
            CONSENT_LABELS[consent["status"]],
            error,
        )
        return html_reply(status, page)

    def _session_expired(self):
        return html_reply(
            403,
            message_page(
                "Sign in first",
                "Your MyCodaBox session has expired: start again from your accounting software.",
            ),
        )

    def page_consent(self):
        request_id = self.query.get("request")
        request = self._signed_in(request_id)
        if request is None:
            return self._session_expired()
        return self._consent(request_id, request)

    def page_decide(self):
        form = self._form()
        request_id = form.get("request")
        request = self._signed_in(request_id)
        if request is None:
            return self._session_expired()
        state = self.server.state
        decision = form.get("decision")
        if decision == "deny":
            state.decide(
                request["office_vat"], request["company_vat"], request["redirect_uri"], False
            )
            self.server.close_authorization(request_id)
            return redirect(
                _with_query(request["redirect_uri"], state=request["state"], error="access_denied")
            )
        if decision != "allow":
            return self._consent(request_id, request, 400, "Choose Allow or Deny.")
        if not form.get("accept_terms"):
            return self._consent(request_id, request, 400, "Accept the terms of use to allow.")
        office_password = form.get("office_password", "")
        if len(office_password) < MIN_PASSWORD_LENGTH:
            error = (
                "Type the office password shown by your accounting software "
                f"({MIN_PASSWORD_LENGTH} characters or more)."
            )
            return self._consent(request_id, request, 400, error)
        code = state.decide(
            request["office_vat"],
            request["company_vat"],
            request["redirect_uri"],
            True,
            office_password,
        )
        self.server.close_authorization(request_id)
        return redirect(_with_query(request["redirect_uri"], state=request["state"], code=code))

    # --- Connect API --------------------------------------------------------------------

    def api_token(self):
        code, office_password = self._fields("code", "office_password")
        return json_reply(200, self.server.state.exchange_code(code, office_password))

    def api_connect(self):
        office_vat, company_vat, office_password = self._fields(
            "office_vat", "company_vat", "office_password"
        )
        return json_reply(
            201, self.server.state.connect_company(office_vat, company_vat, office_password)
        )

    def api_consent(self, consent_id):
        return json_reply(200, self.server.state.consent(consent_id))

    def api_revoke(self, feed_client_id):
        self.server.state.revoke(feed_client_id)
        return Reply(204)

    def api_password(self):
        office_vat, current, new = self._fields("office_vat", "current_password", "new_password")
        self.server.state.change_password(office_vat, current, new)
        return Reply(204)

    # --- Invoicing software -------------------------------------------------------------

    def api_request_invoicing_access(self):
        (vat,) = self._fields("vat")
        return json_reply(201, self.server.state.request_invoicing_access(vat))

    def api_get_credentials(self, token):
        return json_reply(200, self.server.state.get_credentials(unquote(token)))

    def api_revoke_invoicing_software(self):
        self.server.state.revoke_invoicing_software(*self._basic_auth())
        return Reply(204)

    def api_send_sales_invoice(self):
        try:
            payload = json.loads(self.body or b"null")
        except ValueError:
            payload = None
        status, answer = self.server.state.send_sales_invoice(
            *self._basic_auth(), self.headers.get("Idempotency-Key"), payload
        )
        return json_reply(status, answer)

    # --- Delivery API -------------------------------------------------------------------

    def api_pod_client(self):
        return json_reply(200, self.server.state.pod_client(*self._basic_auth()))

    def api_feed(self, feed_id):
        return json_reply(200, self.server.state.feed(*self._basic_auth(), feed_id))

    def api_acknowledge(self, feed_id):
        (feed_offset,) = self._fields("feed_offset")
        self.server.state.acknowledge(*self._basic_auth(), feed_id, feed_offset)
        return Reply(204)

    def api_download(self, feed_index, fmt, redownload=False):
        content, content_type = self.server.state.download(
            *self._basic_auth(), feed_index, fmt, redownload=redownload
        )
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        headers = {
            "Content-Disposition": f'attachment; filename="{feed_index}.{fmt}"',
            "Repr-Digest": f"sha-256=:{digest}:",
        }
        return Reply(200, content, content_type, headers)

    def api_redownload_feed(self, feed_id):
        return json_reply(
            200, self.server.state.feed(*self._basic_auth(), feed_id, acknowledged=True)
        )

    def api_redownload(self, feed_index, fmt):
        return self.api_download(feed_index, fmt, redownload=True)

    # --- admin --------------------------------------------------------------------------

    def admin_reset(self):
        self.server.state.reset()
        self.server.forget()
        return Reply(204)

    def admin_seed(self):
        merge = self.query.get("mode") == "merge"
        self.server.state.load_seed(self._json(), merge=merge)
        if not merge:
            self.server.forget()
        return Reply(204)

    def admin_documents(self):
        payload = self._json()
        indexes = self.server.state.add_documents(
            payload.get("company_vat"), payload.get("documents")
        )
        return json_reply(200, {"feed_indexes": indexes})

    def admin_consent(self):
        office_vat, status = self._fields("office_vat", "status")
        return json_reply(200, self.server.state.set_consent(office_vat, status))

    def admin_clock(self):
        self.server.state.advance_clock(self._json().get("advance_seconds", 0))
        return Reply(204)

    def admin_state(self):
        snapshot = self.server.state.snapshot()
        snapshot["requests"] = self.server.request_log()
        snapshot["faults"] = self.server.faults.pending()
        return json_reply(200, snapshot)

    def admin_outbox(self):
        return json_reply(200, {"messages": self.server.state.outbox()})

    def page_mailbox(self):
        return html_reply(200, mailbox_page(list(reversed(self.server.state.outbox()))))

    def admin_add_faults(self):
        payload = self._json()
        self.server.faults.add(payload["faults"] if "faults" in payload else [payload])
        return json_reply(200, {"faults": self.server.faults.pending()})

    def admin_clear_faults(self):
        self.server.faults.clear()
        return Reply(204)
