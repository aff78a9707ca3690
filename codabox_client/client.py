"""Client of CodaBox's API v2, of the Connect protocol and of the invoicing-software protocol
(docs/protocol.md): the project's one adapter, every path of the protocol is in this file.

Pure Python (requests only), so that it is tested against the sandbox over real HTTP
without Odoo. Every call returns validated data or raises ONE ``CodaboxError`` subclass.

Retries: idempotent calls (GET, PUT acknowledge, DELETE) are retried on connection errors,
timeouts, answers cut short, failing their digest or not valid JSON, 5xx and 429, at most
``max_retries`` times, after ``uniform(0, min(max_backoff, backoff * 2 ** (attempt - 1)))``
seconds (full jitter) or after the Retry-After of a 429 (capped by ``max_backoff``). POST
calls (token, connections, password, request-access-token) may change something at CodaBox:
they are retried only when the connection could not even be opened; so is the GET that
exchanges an invoicing software's single-use token for credentials. Sending a sales invoice is
a POST retried like the idempotent calls: its ``Idempotency-Key`` makes a replay safe.

Limits: ``timeout`` is per socket operation (connect, each read); ``deadline`` bounds a whole
call (every attempt, backoff and body read included): a server that drips its body one byte
at a time fails at the deadline (a watchdog shuts the socket), and no backoff sleeps past it
(the last error is raised instead, saying so). Until the headers are in, the socket timeouts
are clipped to the time left: each read ends by the deadline.
Bodies are read streamed and capped: ``max_body_bytes`` for downloads, ``max_json_bytes``
for every other answer; a larger answer is refused without being read whole. Redirects are
never followed: the body of a 307/308 would carry the office password to another host.

Secrets (passwords, the office password, authorization codes, delivery credentials, an
invoicing software's token) never reach a log record, an exception text or a repr: logs carry
method, path, status and attempt; any text quoted from CodaBox is scrubbed of the secrets sent
with the call. A secret in the path (the token of ``get-credentials``) is shown as ``***`` in
the client's logs and messages, scrubbed from urllib3's log records of that call, and the
transport exception (whose text holds the URL) is not chained to the client's.
"""

import base64
import binascii
import datetime
import decimal
import hashlib
import json
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode, urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError

from .exceptions import (
    AlreadyRegistered,
    CodaboxProtocolError,
    CodaboxRateLimited,
    CodaboxServerError,
    CodaboxUnreachable,
    ConsentNotValid,
    CredentialsRefused,
    DuplicateInvoice,
    IdempotencyKeyReused,
    InvalidAuthorizationCode,
    InvalidInvoiceDocument,
    InvalidOfficePassword,
    InvalidToken,
    NoAccountingOffice,
    NotAccountingOffice,
    NotClientOfOffice,
    UnknownEmail,
    UnknownEnterprise,
)

_logger = logging.getLogger(__name__)

CONSENT_STATUSES = ("allowed", "denied", "pending", "cancelled")
FORMATS = ("cod", "pdf", "xml")
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_JSON_BYTES = 4 * 1024 * 1024
DEADLINE = 120
_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
_DETAIL_MAX = 300
_CHUNK = 16384
_JSON_TYPES = {dict: "an object", list: "an array", str: "a text", bool: "a boolean"}
MOVE_TYPES = ("invoice", "credit_note")
SENT_STATUSES = (200, 201)
# The loggers of urllib3 that write a request's URL: scrubbed while a call with a secret in
# its path runs in the thread (see _UrlScrubber).
_URL_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager")


@dataclass(frozen=True)
class Connection:
    """A connected company's delivery credentials, as CodaBox answers them (repr hides them)."""

    consent_id: str
    status: str
    feed_client_id: str
    username: str = field(repr=False)
    password: str = field(repr=False)


@dataclass(frozen=True)
class Credentials:
    """An invoicing software's delivery credentials, as CodaBox answers them for a token
    (repr hides both)."""

    username: str = field(repr=False)
    password: str = field(repr=False)


@dataclass(frozen=True)
class SentInvoice:
    """CodaBox's receipt of a sales invoice. ``replayed`` is True when CodaBox answered an
    earlier request with the same idempotency key and content (HTTP 200), not a new one (201):
    either way the invoice is at CodaBox once, under ``id``."""

    id: str
    status: str
    received_at: str
    replayed: bool


@dataclass(frozen=True)
class FeedEntry:
    """A delivered document, as a feed lists it.

    ``problem`` is None for a readable entry. For an entry CodaBox listed but that cannot be
    read, it says what is wrong (English) and ``raw`` holds the entry as received (the dict,
    or the JSON text of what is not an object): the caller records it as failed and goes on.
    An entry without a usable ``feed_index`` (missing, not a text, blank) gets
    ``"unreadable-" + sha1(canonical JSON).hexdigest()`` (``json.dumps(entry, sort_keys=True,
    separators=(",", ":"))``), the same each time CodaBox lists it again. An unreadable
    ``document_model`` becomes "", unreadable ``metadata`` {} (null metadata is {}, no problem).
    """

    feed_index: str
    document_model: str
    metadata: dict
    problem: str | None = None
    raw: dict | str | None = None


@dataclass
class _Answer:
    """An answer read whole (within the size cap): what the client looks at."""

    status_code: int
    reason: str
    headers: dict
    content: bytes
    data: object = None  # the parsed JSON, when the call asked for it

    @property
    def ok(self):
        return self.status_code < 400


class _Damaged(Exception):
    """An answer that arrived cut short or corrupted: worth another attempt."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


class _UrlScrubber(logging.Filter):
    """Scrubs the secrets of the current thread's call from urllib3's records (its debug line
    of each request holds the URL, so the token of ``get-credentials``)."""

    def __init__(self):
        super().__init__()
        self._local = threading.local()

    def hiding(self, secrets):
        return _Hiding(self._local, tuple(secret for secret in secrets if secret))

    def filter(self, record):
        secrets = getattr(self._local, "secrets", ())
        if secrets:
            record.msg = _redact(record.getMessage(), secrets)
            record.args = None
        return True


class _Hiding:
    def __init__(self, local, secrets):
        self._local = local
        self._secrets = secrets

    def __enter__(self):
        self._saved = getattr(self._local, "secrets", ())
        self._local.secrets = self._saved + self._secrets

    def __exit__(self, *exc_info):
        self._local.secrets = self._saved


_URL_SCRUBBER = _UrlScrubber()
for _name in _URL_LOGGERS:
    logging.getLogger(_name).addFilter(_URL_SCRUBBER)


def _root(api_url):
    """``https://api.codabox.com``; the ``/v2`` of CodaBox's documented base URL is ours to add."""
    root = api_url.rstrip("/")
    return root[: -len("/v2")] if root.endswith("/v2") else root


def _redact(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _retry_after(response):
    """Retry-After in seconds (delta or HTTP date), or None when absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return int(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _sha256_digest(header):
    """The SHA-256 of a ``Repr-Digest: sha-256=:<base64>:`` header, if there is one."""
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        if name == "sha-256" and len(value) > 2 and value[0] == value[-1] == ":":
            try:
                return base64.b64decode(value[1:-1], validate=True)
            except binascii.Error:
                return None
    return None


def _canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _json_type(value):
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "a number")


def _b64(content):
    if isinstance(content, str):
        content = content.encode()
    return base64.b64encode(content).decode("ascii")


def _iso_date(value):
    if isinstance(value, datetime.datetime):
        raise TypeError("issue_date is a date, not a datetime")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError("issue_date must be a date or a YYYY-MM-DD text")


def _decimal_text(value):
    """``"121.00"`` as given; a Decimal or an int written out (never in exponent notation)."""
    if isinstance(value, bool):
        raise TypeError("amount_total must be a Decimal, an int or a decimal text")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = decimal.Decimal(repr(value))
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    raise TypeError("amount_total must be a Decimal, an int or a decimal text")


def _feed_entry(entry):
    """One listed entry as a FeedEntry, its problems named rather than raised."""
    if not isinstance(entry, dict):
        text = _canonical_json(entry)
        return FeedEntry(
            _unreadable_index(text),
            "",
            {},
            problem=f"the entry is {_json_type(entry)}, not an object",
            raw=text,
        )
    problems = []
    feed_index = entry.get("feed_index")
    if not isinstance(feed_index, str) or not feed_index.strip():
        problems.append(
            "feed_index is missing"
            if feed_index is None
            else f"feed_index is {_json_type(feed_index)}, not a non-empty text"
        )
        feed_index = _unreadable_index(_canonical_json(entry))
    model = entry.get("document_model")
    if not isinstance(model, str) or not model.strip():
        problems.append(
            "document_model is missing"
            if model is None
            else f"document_model is {_json_type(model)}, not a non-empty text"
        )
        model = ""
    metadata = entry.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        problems.append(f"metadata is {_json_type(metadata)}, not an object")
        metadata = {}
    if not problems:
        return FeedEntry(feed_index, model, metadata)
    return FeedEntry(feed_index, model, metadata, problem="; ".join(problems), raw=entry)


def _unreadable_index(canonical):
    digest = hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()
    return f"unreadable-{digest}"


def _size(count):
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit} ({count} bytes)"
    return f"{count} bytes"


def _timed_out(exc):
    return isinstance(exc, requests.Timeout) or isinstance(_cause(exc), ReadTimeoutError)


class _Watchdog:
    """Shuts an answer's socket down at the deadline.

    A socket timeout bounds each read, not the body: a server sending one byte every few
    seconds never trips it. The shutdown wakes the read blocked in another thread.
    """

    def __init__(self, sock, seconds):
        self._sock = sock
        self._lock = threading.Lock()
        self._stopped = False
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    @classmethod
    def start(cls, response, end):
        """None when there is no deadline or no socket to watch (then reads are checked)."""
        sock = getattr(getattr(response.raw, "connection", None), "sock", None)
        if end is None or sock is None:
            return None
        return cls(sock, max(0.0, end - time.monotonic()))

    def _fire(self):
        with self._lock:
            if self._stopped:
                return
            self.fired = True
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        with self._lock:
            self._stopped = True
        self._timer.cancel()


def _cause(exc):
    """The urllib3 error under a requests exception (MaxRetryError unwrapped)."""
    reason = exc.args[0] if exc.args else None
    return getattr(reason, "reason", reason)


def _not_sent(exc):
    """True when the connection could not be opened, so the request never left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    # urllib3's NewConnectionError (refused, unreachable) is a ConnectTimeoutError.
    return isinstance(exc, requests.ConnectionError) and isinstance(
        _cause(exc), ConnectTimeoutError
    )


class CodaboxClient:
    """One CodaBox API endpoint for one software vendor, with or without delivery credentials.

    ``api_url`` is CodaBox's API root (``https://api.codabox.com``; a trailing ``/v2`` is
    accepted); ``credentials`` (username, password) serve the delivery calls.
    """

    def __init__(
        self,
        api_url: str,
        software_id: str,
        *,
        credentials: tuple[str, str] | None = None,
        timeout=(5, 30),
        max_retries=4,
        backoff=0.5,
        max_backoff=30,
        session: requests.Session | None = None,
        deadline: float | None = DEADLINE,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_json_bytes: int = MAX_JSON_BYTES,
    ):
        if deadline is not None and deadline <= 0:
            raise ValueError("deadline must be positive (or None for none)")
        if max_body_bytes < 1 or max_json_bytes < 1:
            raise ValueError("max_body_bytes and max_json_bytes must be positive")
        self.api_url = _root(api_url)
        self.software_id = software_id
        self._credentials = tuple(credentials) if credentials else None
        self.timeout = tuple(timeout) if isinstance(timeout, tuple | list) else (timeout, timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.session = session or requests.Session()
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.max_json_bytes = max_json_bytes
        self._host = urlsplit(self.api_url).netloc.rpartition("@")[2]

    def __repr__(self):
        return f"CodaboxClient({self.api_url!r})"

    # --- Connect ------------------------------------------------------------------------

    @staticmethod
    def authorize_url(mycodabox_url, *, software_id, office_vat, company_vat, redirect_uri, state):
        """Where to send the browser for the office's consent in MyCodaBox."""
        query = urlencode(
            {
                "software_id": software_id,
                "office_vat": office_vat,
                "company_vat": company_vat,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{mycodabox_url.rstrip('/')}/connect/authorize?{query}"

    def exchange_code(self, code, office_password) -> Connection:
        """The code MyCodaBox sent back -> the first company's connection."""
        data = self._json(
            "POST",
            "v2/connect/token/",
            payload={"code": code, "office_password": office_password},
            secrets=(code, office_password),
            errors=self._connect_errors(),
            required=Connection.__dataclass_fields__,
        )
        return self._connection(data)

    def connect_company(self, office_vat, company_vat, office_password) -> Connection:
        """A further client company of an office whose consent is allowed."""
        data = self._json(
            "POST",
            "v2/connect/connections/",
            payload={
                "office_vat": office_vat,
                "company_vat": company_vat,
                "office_password": office_password,
            },
            secrets=(office_password,),
            errors=self._connect_errors(office_vat, company_vat),
            required=Connection.__dataclass_fields__,
        )
        return self._connection(data)

    def consent_status(self, consent_id) -> str:
        """``allowed``, ``denied``, ``pending`` or ``cancelled``."""
        unknown = ConsentNotValid(f"CodaBox knows no consent {consent_id}.")
        data = self._json(
            "GET",
            f"v2/connect/consents/{quote(consent_id, safe='')}/",
            errors={"notFound": unknown},
            required=("status",),
        )
        if data["status"] not in CONSENT_STATUSES:
            raise CodaboxProtocolError(
                f"CodaBox answered an unknown consent status for {consent_id}."
            )
        return data["status"]

    def revoke(self, feed_client_id):
        """Ends a company's connection; one CodaBox does not know is as good as revoked."""
        path = f"v2/connect/connections/{quote(feed_client_id, safe='')}/"
        response = self._call("DELETE", path, accept=(404,))
        if response.status_code != 404:
            return
        if self._error_fields(response, ())[0] != "notFound":
            raise CodaboxProtocolError(f"CodaBox answered DELETE {path} with HTTP 404.", status=404)
        _logger.info("CodaBox does not know connection %s: nothing to revoke", feed_client_id)

    def change_password(self, office_vat, current_password, new_password):
        self._call(
            "POST",
            "v2/connect/password/",
            payload={
                "office_vat": office_vat,
                "current_password": current_password,
                "new_password": new_password,
            },
            secrets=(current_password, new_password),
            errors=self._connect_errors(office_vat),
        )

    # --- Invoicing software (an SME's own invoicing software) ------------------------------

    def request_invoicing_access(self, vat) -> str:
        """Asks CodaBox to e-mail the company a token for this software; returns the masked
        address CodaBox sent it to (``f***@fleurs.be``). Needs no credentials."""
        data = self._json(
            "POST",
            "v2/request-access-token/invoicing-software/",
            payload={"vat": vat},
            errors=self._access_errors(vat),
            required=("email",),
        )
        if not isinstance(data["email"], str) or not data["email"]:
            raise CodaboxProtocolError(
                "CodaBox's answer to the token request has no e-mail address."
            )
        return data["email"]

    def get_credentials(self, token) -> Credentials:
        """The token from CodaBox's e-mail -> this software's credentials for the company.

        The token is single use: the call is tried again only when the connection could not
        be opened (a lost answer would leave the token used and the credentials unknown)."""
        token = (token or "").strip()
        if not token:
            raise ValueError("the token is empty")
        quoted = quote(token, safe="")
        secrets = (token, quoted)
        data = self._json(
            "GET",
            f"v2/get-credentials/{quoted}/",
            secrets=secrets,
            path_secrets=secrets,
            idempotent=False,
            errors={
                "invalidToken": InvalidToken(
                    "CodaBox does not accept this token: it is unknown, already used or expired "
                    "(a token is valid for 24 hours and used once): request a new one."
                ),
            },
            required=("username", "password"),
        )
        values = {name: data[name] for name in ("username", "password")}
        if not all(isinstance(value, str) and value for value in values.values()):
            raise CodaboxProtocolError("CodaBox's credentials answer has empty or non-text fields.")
        return Credentials(**values)

    def revoke_invoicing_software(self):
        """Ends this software's access for the company (its credentials stop working).

        Credentials that CodaBox refuses already (401) are as good as revoked: a retry after a
        lost answer meets exactly that."""
        path = "v2/invoicing-software/credentials/"
        response = self._call("DELETE", path, auth=True, accept=(401,))
        if response.status_code == 401:
            _logger.info("CodaBox refuses these credentials already: nothing left to revoke")

    def send_sales_invoice(
        self,
        *,
        idempotency_key,
        invoice_number,
        move_type,
        issue_date,
        currency,
        amount_total,
        xml,
        xml_filename,
        pdf=None,
        pdf_filename=None,
    ) -> SentInvoice:
        """Delivers one sales invoice (or credit note) of the company to CodaBox, which hands it
        to the company's accounting office.

        ``xml`` (bytes) is the UBL Invoice or CreditNote, ``pdf`` (bytes) its PDF or None;
        ``issue_date`` a date or ``YYYY-MM-DD``; ``amount_total`` a decimal text (``"121.00"``),
        a Decimal or an int (a float is written as Python writes it, ``121.0``: prefer a text
        rounded to the currency). Retried like an idempotent call: the same
        ``idempotency_key`` with the same content is received once, and a replay answers the
        first receipt (``replayed``). Keep the key for the invoice until it is sent."""
        if not isinstance(idempotency_key, str) or not idempotency_key.strip():
            raise ValueError("idempotency_key must be a non-empty text")
        if move_type not in MOVE_TYPES:
            raise ValueError(f"move_type must be one of {', '.join(MOVE_TYPES)}")
        if not xml:
            raise ValueError("xml is empty")
        if pdf is not None and not pdf_filename:
            raise ValueError("a pdf needs its pdf_filename")
        payload = {
            "invoice_number": invoice_number,
            "move_type": move_type,
            "issue_date": _iso_date(issue_date),
            "currency": currency,
            "amount_total": _decimal_text(amount_total),
            "xml": _b64(xml),
            "xml_filename": xml_filename,
            "pdf": _b64(pdf) if pdf else None,
            "pdf_filename": pdf_filename if pdf else None,
        }
        response = self._json_answer(
            "POST",
            "v2/invoicing-software/sales-invoices/",
            payload=payload,
            auth=True,
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,
            errors=self._invoice_errors(invoice_number),
            required=("id", "status", "received_at"),
        )
        data = response.data
        if response.status_code not in SENT_STATUSES or not all(
            isinstance(data[key], str) and data[key] for key in ("id", "status", "received_at")
        ):
            raise CodaboxProtocolError(
                f"CodaBox's receipt of invoice {invoice_number} is not one the client knows "
                f"(HTTP {response.status_code}).",
                status=response.status_code,
            )
        return SentInvoice(
            data["id"], data["status"], data["received_at"], replayed=response.status_code == 200
        )

    @staticmethod
    def _access_errors(vat):
        about = {"company_vat": vat}
        return {
            "unknownEnterpriseNumber": UnknownEnterprise(
                f"CodaBox does not know the enterprise number {vat}: contact your accounting "
                "office (it must register the company at CodaBox).",
                **about,
            ),
            "noAccountingOffice": NoAccountingOffice(
                f"CodaBox knows the company {vat}, but not linked to an accounting office that "
                "is a client of CodaBox: contact your accounting office.",
                **about,
            ),
            "unknownEmail": UnknownEmail(
                f"CodaBox has no e-mail address for the company {vat}, so it cannot send the "
                "token: contact CodaBox.",
                **about,
            ),
        }

    @staticmethod
    def _invoice_errors(invoice_number):
        def invalid(detail, _data):
            return InvalidInvoiceDocument(
                f"CodaBox refused invoice {invoice_number}: {detail or 'no reason given'}",
                invoice_number=invoice_number,
            )

        def duplicate(_detail, data):
            existing = data.get("id")
            existing = str(existing) if existing not in (None, "") else None
            return DuplicateInvoice(
                f"CodaBox already received invoice {invoice_number}"
                + (f" (as {existing})" if existing else "")
                + " under another idempotency key: it is sent already.",
                existing_id=existing,
                invoice_number=invoice_number,
            )

        return {
            "invalidDocument": invalid,
            "duplicateInvoice": duplicate,
            "idempotencyKeyReused": IdempotencyKeyReused(
                f"CodaBox received other content under the idempotency key of invoice "
                f"{invoice_number}: the software reused a key (a protocol error of the software).",
                invoice_number=invoice_number,
            ),
            "notInvoicingSoftware": CredentialsRefused(
                "CodaBox refused to take sales invoices with these credentials: they are an "
                "accounting office's CodaBox Connect credentials, not an invoicing software's."
            ),
        }

    # --- Delivery -----------------------------------------------------------------------

    def pod_client(self) -> dict:
        """The connected company as CodaBox delivers to it: ``feed_clients`` and more."""
        data = self._json(
            "GET", "v2/delivery/pod-client/", auth=True, required=("id", "feed_clients")
        )
        if not isinstance(data["feed_clients"], list):
            raise CodaboxProtocolError("CodaBox's pod-client answer has no list of feed clients.")
        return data

    def feed(self, feed_id) -> list[FeedEntry]:
        """The documents delivered and not yet acknowledged, in delivery order.

        An entry that cannot be read does not stop the others: it comes with ``problem`` set
        (see FeedEntry). Only a listing that is not a list raises."""
        return self._listing(f"v2/delivery/feed/{quote(feed_id, safe='')}/", f"feed {feed_id}")

    def redownload_feed(self, feed_id) -> list[FeedEntry]:
        """The documents of the feed already acknowledged, for delivering them again; like
        ``feed()``."""
        return self._listing(
            f"v2/delivery/redownload-feed/{quote(feed_id, safe='')}/",
            f"the acknowledged documents of feed {feed_id}",
        )

    def download(self, feed_index, fmt) -> bytes:
        """One format (``cod``, ``pdf`` or ``xml``) of a document; b"" when it has none."""
        return self._file(
            "v2/delivery/download", feed_index, fmt, f"CodaBox knows no document {feed_index}."
        )

    def redownload(self, feed_index, fmt) -> bytes:
        """One format of an acknowledged document, again; b"" when it has none."""
        return self._file(
            "v2/delivery/redownload",
            feed_index,
            fmt,
            f"CodaBox has no acknowledged document {feed_index} to deliver again.",
        )

    def acknowledge(self, feed_id, feed_index):
        """Marks everything up to and including ``feed_index`` as safely stored."""
        self._call(
            "PUT",
            f"v2/delivery/feed/{quote(feed_id, safe='')}/",
            payload={"feed_offset": feed_index},
            auth=True,
        )

    # --- answers and errors -------------------------------------------------------------

    def _listing(self, path, what):
        data = self._json("GET", path, auth=True, required=("feed_entries",))
        entries = data["feed_entries"]
        if not isinstance(entries, list):
            raise CodaboxProtocolError(f"CodaBox's listing of {what} is not a list of entries.")
        listed = [_feed_entry(entry) for entry in entries]
        for entry in listed:
            if entry.problem:
                _logger.warning(
                    "CodaBox listed an unreadable entry %s in %s: %s",
                    entry.feed_index,
                    what,
                    entry.problem,
                )
        return listed

    def _file(self, prefix, feed_index, fmt, unknown):
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        path = f"{prefix}/{quote(feed_index, safe='')}/{fmt}/"
        response = self._call("GET", path, auth=True, accept=(404,), limit=self.max_body_bytes)
        if response.status_code == 404:
            if self._error_fields(response, ())[0] == "notFound":
                raise CodaboxProtocolError(unknown, status=404)
            return b""
        return response.content

    @staticmethod
    def _connect_errors(office_vat=None, company_vat=None):
        """The exception each Connect error code means, carrying the VAT numbers the call
        was for (the Odoo glue names the office and the company by them)."""
        office = office_vat or "the accounting office"
        company = company_vat or "the company"
        about = {"office_vat": office_vat, "company_vat": company_vat}
        return {
            "unknownAccountingOffice": NotAccountingOffice(
                f"CodaBox does not know {office_vat or 'this VAT number'} as an accounting office. "
                "CodaBox Connect is for accounting offices only: a company that is itself a "
                "CodaBox client (an SME) receives its CODA files by SFTP and imports them by hand.",
                **about,
            ),
            "consentNotValid": ConsentNotValid(
                f"The consent of {office} in MyCodaBox is not allowed (denied, cancelled or not "
                "decided yet): allow it in MyCodaBox > Administration > CodaBox Connect.",
                **about,
            ),
            "invalidPassword": InvalidOfficePassword(
                f"CodaBox refused the office password of {office}.", **about
            ),
            "alreadyRegistered": AlreadyRegistered(
                f"{company} is already connected to CodaBox through this software.", **about
            ),
            "notFound": NotClientOfOffice(
                f"CodaBox does not know {company} as a client of {office}.", **about
            ),
            "invalidCode": InvalidAuthorizationCode(
                "The authorization code from MyCodaBox is unknown, already used or expired (it "
                "is valid for 10 minutes): create the connection again.",
                **about,
            ),
        }

    @staticmethod
    def _connection(data):
        values = {name: data[name] for name in Connection.__dataclass_fields__}
        if not all(isinstance(value, str) and value for value in values.values()):
            raise CodaboxProtocolError("CodaBox's connection answer has empty or non-text fields.")
        if values["status"] not in CONSENT_STATUSES:
            raise CodaboxProtocolError("CodaBox's connection answer has an unknown consent status.")
        return Connection(**values)

    def _json(self, method, path, *, required=(), **kwargs):
        return self._json_answer(method, path, required=required, **kwargs).data

    def _json_answer(self, method, path, *, required=(), **kwargs):
        """The answer, its JSON in ``.data``, checked to be an object with ``required``."""
        response = self._call(method, path, parse_json=True, **kwargs)
        data = response.data
        missing = [key for key in required if not isinstance(data, dict) or key not in data]
        if missing:
            shown = _redact(path, kwargs.get("path_secrets", ()))
            raise CodaboxProtocolError(
                f"CodaBox's answer to {method} {shown} lacks {', '.join(missing)}.",
                status=response.status_code,
            )
        return response

    def _call(
        self,
        method,
        path,
        *,
        payload=None,
        auth=False,
        secrets=(),
        errors=None,
        accept=(),
        limit=None,
        parse_json=False,
        headers=None,
        idempotent=None,
        path_secrets=(),
    ):
        """A 2xx answer (or one with a status in ``accept``), or the exception it means.

        ``limit`` caps the body (default ``max_json_bytes``); with ``parse_json`` a 2xx
        answer's JSON is in ``.data`` (an answer that is not JSON is retried as damaged).
        ``idempotent`` overrides the method's retry rule (None: GET, PUT, DELETE are retried).
        ``errors`` maps CodaBox's error codes to the exception they mean, or to a function
        ``(detail, data) -> exception`` for the ones that quote the answer. ``path_secrets``
        are the secrets (also in ``secrets``) that the path holds: shown as ``***``."""
        if auth:
            if self._credentials is None:
                raise ValueError("delivery calls need the client's credentials")
            secrets = (*secrets, *self._credentials)
        response = self._send(
            method,
            path,
            payload,
            self._credentials if auth else None,
            secrets,
            limit=limit or self.max_json_bytes,
            parse_json=parse_json,
            headers=headers,
            idempotent=method in _IDEMPOTENT if idempotent is None else idempotent,
            path_secrets=path_secrets,
        )
        if response.ok or response.status_code in accept:
            return response
        raise self._refusal(response, method, _redact(path, path_secrets), secrets, errors or {})

    @staticmethod
    def _error_data(response):
        try:
            data = json.loads(response.content)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    @classmethod
    def _error_fields(cls, response, secrets):
        """(code, detail) of an error answer; the detail scrubbed and shortened."""
        data = cls._error_data(response)
        if data is not None:
            code, detail = str(data.get("code") or ""), str(data.get("detail") or "")
        else:
            code, detail = "", response.reason or ""
        return code, _redact(detail, secrets)[:_DETAIL_MAX]

    def _refusal(self, response, method, path, secrets, errors):
        status = response.status_code
        code, detail = self._error_fields(response, secrets)
        error = errors.get(code)
        if callable(error):
            error = error(detail, self._error_data(response) or {})
        if error is None and code == "unknownSoftware":
            error = CredentialsRefused(
                "CodaBox refused this software's identifier (X-Software-Company): check the "
                "software id CodaBox gave the vendor."
            )
        elif error is None and code == "consentNotValid":
            error = ConsentNotValid(
                "The accounting office's consent in MyCodaBox is no longer allowed (cancelled or "
                "denied): CodaBox does not deliver this company's documents any more."
            )
        elif error is None and status in (401, 403):
            error = CredentialsRefused(
                f"CodaBox refused the credentials of this connection (HTTP {status}): they are "
                "wrong or the connection was revoked."
            )
        elif error is None:
            error = CodaboxProtocolError(
                f"CodaBox answered {method} {path} with HTTP {status}: {detail}"
            )
        error.status = status
        return error

    # --- transport ----------------------------------------------------------------------

    def _send(
        self,
        method,
        path,
        payload,
        credentials,
        secrets,
        *,
        limit,
        parse_json,
        headers=None,
        idempotent=False,
        path_secrets=(),
    ):
        """The answer of the last attempt, after retries; transport failures raised.

        Logs and messages name the path with its secrets as ``***`` (``shown``)."""
        url = f"{self.api_url}/{path}"
        shown = _redact(path, path_secrets)
        hidden = shown != path  # a secret in the URL: scrub urllib3's records, chain nothing
        headers = {
            "X-Software-Company": self.software_id,
            "Accept": "application/json",
            **(headers or {}),
        }
        end = None if self.deadline is None else time.monotonic() + self.deadline
        attempt = 0
        while True:
            attempt += 1
            cause = None
            try:
                with _URL_SCRUBBER.hiding(path_secrets if hidden else ()):
                    answer = self._attempt(
                        method, url, shown, payload, headers, credentials, limit, end, parse_json
                    )
            except requests.RequestException as exc:
                _logger.debug(
                    "CodaBox %s %s: %s (attempt %d)", method, shown, type(exc).__name__, attempt
                )
                if end is not None and _timed_out(exc) and time.monotonic() >= end:
                    raise self._late(method, shown) from None
                error = self._transport_error(exc, method, shown)
                cause = None if hidden else exc
                retryable = idempotent or _not_sent(exc)
                reason, wait = type(exc).__name__, self._backoff(attempt)
            except _Damaged as exc:
                error, retryable = exc.error, idempotent
                reason, wait = "damaged answer", self._backoff(attempt)
            else:
                status = answer.status_code
                _logger.debug(
                    "CodaBox %s %s -> HTTP %s (attempt %d)", method, shown, status, attempt
                )
                if status != 429 and status < 500:
                    return answer
                error = self._overload(answer, method, shown, attempt, secrets)
                retryable = idempotent
                retry_after = error.retry_after if status == 429 else None
                wait = (
                    self._backoff(attempt)
                    if retry_after is None
                    else min(retry_after, self.max_backoff)
                )
                reason = f"HTTP {status}"
            if not (retryable and attempt <= self.max_retries):
                raise error from cause
            if end is not None and time.monotonic() + wait >= end:
                error.message += (
                    f" No time was left for another attempt within the {self.deadline:g} s "
                    "that a call may take."
                )
                error.args = (error.message,)
                raise error from cause
            _logger.warning(
                "CodaBox %s %s failed (%s), attempt %d of %d: retrying in %.2f s",
                method,
                shown,
                reason,
                attempt,
                self.max_retries + 1,
                wait,
            )
            time.sleep(wait)

    def _attempt(self, method, url, path, payload, headers, credentials, limit, end, parse_json):
        """One request, its body read within ``limit`` and the deadline."""
        timeout = self.timeout
        if end is not None:
            left = end - time.monotonic()
            if left <= 0:
                raise self._late(method, path)
            timeout = (min(timeout[0], left), min(timeout[1], left))
        response = self.session.request(
            method,
            url,
            json=payload,
            headers=headers,
            auth=credentials,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
        try:
            if 300 <= response.status_code < 400:
                raise self._redirected(response, method, path)
            content = self._read(response, method, path, limit, end)
        finally:
            response.close()
        answer = _Answer(response.status_code, response.reason or "", response.headers, content)
        self._check_body(answer, method, path)
        if parse_json and 200 <= answer.status_code < 300:
            try:
                answer.data = json.loads(content)
            except ValueError:
                raise _Damaged(
                    CodaboxProtocolError(
                        f"CodaBox's answer to {method} {path} is not valid JSON.",
                        status=answer.status_code,
                    )
                ) from None
        return answer

    def _read(self, response, method, path, limit, end):
        """The body, streamed: refused past ``limit`` bytes, cut at the deadline."""
        announced = response.headers.get("Content-Length", "")
        identity = response.headers.get("Content-Encoding", "identity") == "identity"
        if identity and announced.isdigit() and int(announced) > limit:
            raise self._too_large(
                method, path, limit, f" (it announced {int(announced)} bytes): it was not read"
            )
        watchdog = _Watchdog.start(response, end)
        body = bytearray()
        try:
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > limit:
                    raise self._too_large(method, path, limit, ": the client stopped reading it")
                if end is not None and time.monotonic() >= end:
                    raise self._late(method, path)
        except requests.RequestException:
            if watchdog is not None and watchdog.fired:
                raise self._late(method, path) from None
            raise
        finally:
            if watchdog is not None:
                watchdog.stop()
        if watchdog is not None and watchdog.fired:
            raise self._late(method, path)
        return bytes(body)

    def _late(self, method, path):
        return CodaboxUnreachable(
            f"CodaBox at {self._host} did not finish its answer within {self.deadline:g} s "
            f"({method} {path}, attempts and waits included)."
        )

    @staticmethod
    def _too_large(method, path, limit, announced):
        return CodaboxProtocolError(
            f"CodaBox's answer to {method} {path} is larger than the {_size(limit)} the client "
            f"accepts{announced}."
        )

    @staticmethod
    def _redirected(response, method, path):
        status = response.status_code
        target = urlsplit(response.headers.get("Location") or "").netloc.rpartition("@")[2]
        where = f" to {target}" if target else ""
        return CodaboxProtocolError(
            f"CodaBox redirected {method} {path}{where} (HTTP {status}). The client follows "
            "no redirect (the request, with its credentials, would go to another address): "
            "nothing was sent there.",
            status=status,
        )

    def _backoff(self, attempt):
        return random.uniform(0, min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))

    def _check_body(self, response, method, path):
        """Raises _Damaged when the body is shorter than announced or fails its digest."""
        if response.headers.get("Content-Encoding", "identity") != "identity":
            return  # requests decoded it: its length and digest are not the announced ones
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and len(response.content) < int(announced):
            raise _Damaged(
                CodaboxUnreachable(
                    f"CodaBox at {self._host} broke off its answer to {method} {path}: "
                    f"{len(response.content)} of {announced} bytes arrived."
                )
            )
        digest = _sha256_digest(response.headers.get("Repr-Digest"))
        if digest is not None and hashlib.sha256(response.content).digest() != digest:
            raise _Damaged(
                CodaboxProtocolError(
                    f"CodaBox's answer to {method} {path} does not match its digest: it was "
                    "corrupted on the way."
                )
            )

    def _transport_error(self, exc, method, path):
        host = self._host
        cause = _cause(exc)
        if isinstance(exc, requests.ConnectTimeout):
            message = (
                f"Could not connect to CodaBox at {host}: timed out after {self.timeout[0]} s."
            )
        elif isinstance(exc, requests.ReadTimeout) or isinstance(cause, ReadTimeoutError):
            message = (
                f"CodaBox at {host} did not answer {method} {path}: timed out after "
                f"{self.timeout[1]} s."
            )
        elif isinstance(exc, requests.exceptions.SSLError):
            message = f"The secure (TLS) connection to CodaBox at {host} failed."
        elif isinstance(
            exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
        ):
            message = f"CodaBox at {host} broke off its answer to {method} {path}."
        elif _not_sent(exc):
            message = (
                f"Could not connect to CodaBox at {host}: connection refused or host unreachable."
            )
        else:
            message = f"CodaBox at {host} closed the connection without answering {method} {path}."
        return CodaboxUnreachable(message)

    def _overload(self, response, method, path, attempts, secrets):
        status = response.status_code
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        if status == 429:
            retry_after = _retry_after(response)
            later = f" Retry after {retry_after:g} s." if retry_after is not None else ""
            return CodaboxRateLimited(
                f"CodaBox asks to slow down: it answered {method} {path} with HTTP 429 "
                f"(too many requests){tries}.{later}",
                retry_after=retry_after,
            )
        _code, detail = self._error_fields(response, secrets)
        return CodaboxServerError(
            f"CodaBox answered {method} {path} with HTTP {status} (server error){tries}: {detail}",
            status=status,
        )
