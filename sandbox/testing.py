"""The sandbox inside a test process: ``with running_sandbox(seed) as sandbox: ...``.

Free of Odoo and of pytest, so that the pure-Python tests and Odoo's tests share it. The
helpers go through the admin endpoint over HTTP, as another process would, and
``authorize_in_browser`` walks the MyCodaBox pages like a browser (forms, cookie, redirects).
``outbox(sandbox_url)`` and ``last_token(sandbox_url, vat)`` read the e-mails CodaBox sent (an
invoicing software's tokens) from any sandbox, in this process or another.
"""

import threading
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

from .server import SandboxServer
from .state import State, normalize_vat, read_seed

_TIMEOUT = 10


class SandboxAdminError(RuntimeError):
    """The admin endpoint refused a helper's request (bad seed, unknown company...)."""


def outbox(sandbox_url):
    """The e-mails the sandbox's CodaBox sent, oldest first: each ``{"to", "subject", "body",
    "token", "vat", "sent_at"}``."""
    response = requests.get(f"{sandbox_url.rstrip('/')}/_admin/outbox", timeout=_TIMEOUT)
    if response.status_code >= 400:
        raise SandboxAdminError(f"GET /_admin/outbox: {response.text}")
    return response.json()["messages"]


def last_token(sandbox_url, vat):
    """The token of the newest e-mail sent for the company ``vat``."""
    wanted = normalize_vat(vat)
    for message in reversed(outbox(sandbox_url)):
        if normalize_vat(message["vat"]) == wanted:
            return message["token"]
    raise SandboxAdminError(f"CodaBox sent no token for {vat}")


class MyCodaBoxRefused(Exception):
    """A MyCodaBox page answered with an error instead of moving on (e.g. wrong sign-in)."""

    def __init__(self, status, message):
        super().__init__(f"MyCodaBox answered {status}: {message}")
        self.status = status
        self.message = message


class _PageParser(HTMLParser):
    """The first form of a page (action, hidden fields) and the error it shows, if any."""

    def __init__(self, html):
        super().__init__()
        self.action = None
        self.fields = {}
        self.error = ""
        self._in_form = self._in_error = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action") or ""
            self._in_form = True
        elif tag == "input" and self._in_form and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""
        if attrs.get("id") == "error":
            self._in_error = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "p":
            self._in_error = False

    def handle_data(self, data):
        if self._in_error:
            self.error += data


class RunningSandbox:
    """A sandbox served by a daemon thread on a free port of 127.0.0.1, and its helpers."""

    def __init__(self, seed=None, *, state_file=None):
        self._seed = read_seed() if seed is None else seed
        self._state_file = state_file
        self._server = None
        self._http = requests.Session()

    def __enter__(self):
        self._server = SandboxServer(State(self._seed, path=self._state_file))
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="codabox-sandbox",
            daemon=True,
        ).start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    @property
    def url(self):
        """Serves MyCodaBox and the API alike: the client's ``api_url`` and MyCodaBox URL."""
        return self._server.url

    @property
    def software_id(self):
        return self._server.state.software_id

    # --- admin endpoint -----------------------------------------------------------------

    def _admin(self, method, path, payload=None, params=None):
        response = self._http.request(
            method, f"{self.url}/_admin/{path}", json=payload, params=params, timeout=_TIMEOUT
        )
        if response.status_code >= 400:
            raise SandboxAdminError(f"{method} /_admin/{path}: {response.text}")
        return response.json() if response.content else None

    def reset(self):
        """Back to the seed the sandbox started with; no faults, empty request log."""
        self._admin("POST", "reset")

    def seed(self, seed, *, merge=False):
        self._admin("POST", "seed", seed, {"mode": "merge"} if merge else None)

    def add_documents(self, company_vat, documents):
        """Delivers documents to a company; returns their feed indexes."""
        payload = {"company_vat": company_vat, "documents": documents}
        return self._admin("POST", "documents", payload)["feed_indexes"]

    def set_consent(self, office_vat, status):
        """Mimics the office changing its consent in MyCodaBox (e.g. ``cancelled``)."""
        return self._admin("POST", "consent", {"office_vat": office_vat, "status": status})

    def advance_clock(self, seconds):
        self._admin("POST", "clock", {"advance_seconds": seconds})

    def add_fault(self, kind, *, method="*", path="/", path_regex=None, count=1, **options):
        """Queues a fault; returns the faults still queued.

        ``options`` are the kind's other fields (sandbox/faults.py): ``status``,
        ``retry_after``, ``delay``, ``when``, ``location``, ``size``, ``announce``,
        ``variant``; those not given keep the sandbox's defaults.
        """
        spec = {
            "kind": kind,
            "method": method,
            "path": path,
            "path_regex": path_regex,
            "count": count,
            **options,
        }
        return self._admin("POST", "faults", spec)["faults"]

    def clear_faults(self):
        self._admin("DELETE", "faults")

    def state(self):
        return self._admin("GET", "state")

    def outbox(self):
        """The e-mails sent (tokens), oldest first: see :func:`outbox`."""
        return outbox(self.url)

    def last_token(self, vat):
        """The token of the newest e-mail sent for the company: see :func:`last_token`."""
        return last_token(self.url, vat)

    def request_log(self, method=None, path=None):
        """The logged requests, filtered by method and path prefix: to count attempts."""
        return [
            entry
            for entry in self.state()["requests"]
            if method in (None, entry["method"]) and entry["path"].startswith(path or "")
        ]

    # --- browser ------------------------------------------------------------------------

    def authorize_in_browser(
        self,
        authorize_url,
        login,
        password,
        office_password,
        decision="allow",
        *,
        accept_terms=True,
    ):
        """Signs in and decides on MyCodaBox's pages; returns where MyCodaBox sends the browser
        back to (the redirect_uri with state and code or error), without going there."""
        browser = requests.Session()
        try:
            page = browser.get(authorize_url, allow_redirects=False, timeout=_TIMEOUT)
            if page.is_redirect:  # sent straight back, e.g. not an accounting office
                return page.headers["Location"]
            form = self._form(page)
            page = browser.post(
                urljoin(page.url, form.action),
                data={**form.fields, "login": login, "password": password},
                allow_redirects=False,
                timeout=_TIMEOUT,
            )
            if not page.is_redirect:
                raise MyCodaBoxRefused(page.status_code, _PageParser(page.text).error)
            page = browser.get(
                urljoin(page.url, page.headers["Location"]), allow_redirects=False, timeout=_TIMEOUT
            )
            form = self._form(page)
            data = {**form.fields, "office_password": office_password, "decision": decision}
            if accept_terms:
                data["accept_terms"] = "1"
            page = browser.post(
                urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=_TIMEOUT
            )
            if not page.is_redirect:
                raise MyCodaBoxRefused(page.status_code, _PageParser(page.text).error)
            return page.headers["Location"]
        finally:
            browser.close()

    @staticmethod
    def _form(page):
        parsed = _PageParser(page.text)
        if page.status_code != 200 or parsed.action is None:
            raise MyCodaBoxRefused(page.status_code, parsed.error or "no form on the page")
        return parsed


def running_sandbox(seed=None, *, state_file=None):
    """``with running_sandbox(seed) as sandbox:`` serves the sandbox for the block.

    ``seed`` None means sandbox/seed_example.json. With ``state_file``, the state is saved
    there after each change, and an existing file is loaded instead of the seed.
    """
    return RunningSandbox(seed, state_file=state_file)
