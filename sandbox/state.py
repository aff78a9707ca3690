"""The sandbox's CodaBox: offices, companies, consents, connections and deliveries.

Thread-safe (one re-entrant lock) and, when given a path, saved as JSON (atomic write) after
every change so that a restarted sandbox remembers connections and acknowledgements.
Secrets are kept only as salted hashes (users' and office passwords, delivery passwords) or
as SHA-256 (authorization codes): neither the state file nor the admin view holds one
(the state file keeps delivery usernames, which it looks up; the admin view does not).

Relations the API relies on:

- one consent per accounting office; its id stays the same when the office allows, denies
  or cancels again. The office password is registered (replaced) on each "Allow".
- every company has one feed client id, fixed when it is seeded. It is the
  ``feed_client_id`` of its connections, the ``id`` of the only ``feed_clients`` entry of
  ``/v2/delivery/pod-client/`` and THE ``feed_id`` of ``/v2/delivery/feed/{feed_id}/``.
  Acknowledgements belong to that feed, so they survive a revoke and a new connection.
- a connection is one pair of delivery credentials for one company (pod-client ``id`` is the
  connection's id); a company has at most one connection not revoked. Exchanging a new code
  for a connected company replaces its connection; ``/v2/connect/connections/`` refuses
  (``alreadyRegistered``). ``DELETE /v2/connect/connections/{feed_client_id}/`` revokes the
  company's connection (its credentials stop working); like the other Connect calls it needs
  only the X-Software-Company header, and revoking again is a no-op.

The invoicing-software part (docs/protocol.md), for a company that invoices with its own
software:

- ``request_invoicing_access`` checks that CodaBox knows the company (else
  ``unknownEnterpriseNumber``), that it has an accounting office among the offices (its
  ``office_vat`` names one; else ``noAccountingOffice``) and an ``email`` (else
  ``unknownEmail``), then issues a token (``CBX-XXXX-XXXX-XXXX-XXXX``), valid 24 hours on the
  sandbox's clock, single use; it voids the company's earlier tokens. The token is kept as
  SHA-256 only; the e-mail carrying it goes to the outbox (``outbox()``), the sandbox's
  stand-in for the company's mailbox, which does hold it.
- ``get_credentials`` turns a token into a connection of ``kind`` ``invoicing_software``
  (the Connect ones have no ``kind``: "connect"), stored with the others. It has its own
  ``feed_id`` (the ``id`` of its only feed client) and its own ``acknowledged`` list of feed
  indexes: its feed is the company's ``coda`` documents, acknowledged by offset over that
  list, independently of the office's Connect feed. A new connection of the company revokes
  its earlier invoicing-software connection (not its Connect one), and starts with nothing
  acknowledged. Connect's revoke and re-connection leave invoicing-software connections alone.
- ``send_sales_invoice`` appends a ``sales_invoice`` document to the company's documents (the
  office's Connect feed lists it); answers are remembered per company and idempotency key
  with the SHA-256 of the request's canonical JSON (``idempotency``): the same key and content
  answer the first receipt again (200), other content under the key is refused. Refused
  requests use no key.
"""

import base64
import binascii
import copy
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from xml.parsers import expat

EXAMPLE_SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_example.json")
CONSENT_STATUSES = ("allowed", "denied", "pending", "cancelled")
CODE_TTL = 600
CONTENT_TYPES = {"cod": "application/vnd.coda", "pdf": "application/pdf", "xml": "application/xml"}
MIN_PASSWORD_LENGTH = 8
TOKEN_TTL = 24 * 3600
# No 0/O, 1/I/L: a token is read in an e-mail and typed.
TOKEN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVOICING_SOFTWARE = "invoicing_software"
MOVE_TYPES = ("invoice", "credit_note")
UBL_ROOTS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2 CreditNote",
}
MAX_IDEMPOTENCY_KEY = 255
# Cheap on purpose: every delivery call verifies a hash, and this is a test double.
_HASH_ROUNDS = 1000


class ApiError(Exception):
    """A refusal of the API: HTTP status, machine code and English detail (``extra``: more
    keys of the JSON answer, e.g. the ``id`` of a duplicate invoice)."""

    def __init__(self, status, code, detail, extra=None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra or {}


class SeedError(ValueError):
    """A seed or admin payload that cannot be loaded."""


def read_seed(path=EXAMPLE_SEED):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def normalize_vat(value):
    """VAT numbers compare without spaces, dots or case: ``be 0477.472.701``."""
    return re.sub(r"[^0-9A-Z]", "", str(value or "").upper()) or None


def hash_secret(secret):
    salt = secrets.token_hex(8)
    return {"salt": salt, "hash": _digest(secret, salt)}


def check_secret(secret, stored):
    return (
        isinstance(secret, str)
        and bool(stored)
        and hmac.compare_digest(_digest(secret, stored["salt"]), stored["hash"])
    )


def _digest(secret, salt):
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), _HASH_ROUNDS).hex()


def _code_key(code):
    return hashlib.sha256(code.encode()).hexdigest()


def normalize_token(token):
    """Tokens compare without spaces and case, as a user may type them."""
    return re.sub(r"\s", "", str(token or "")).upper()


def mask_email(email):
    """``florence@fleurs.be`` -> ``f***@fleurs.be``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _iso(timestamp):
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _is_software(conn):
    return conn.get("kind") == INVOICING_SOFTWARE


def _canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _invalid(detail):
    return ApiError(400, "invalidDocument", detail)


def _decode(payload, name):
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(f"{name} is missing (base64 text).")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise _invalid(f"{name} is not base64.") from None


def check_ubl(content):
    """Raises ``invalidDocument`` unless ``content`` is well-formed XML whose root is a UBL
    Invoice or CreditNote. Parsed with expat, refusing any DOCTYPE (so no entity, internal
    or external, and nothing fetched): defusedxml's safety without defusedxml."""

    def refuse(*_args):
        raise _invalid("The XML has a DOCTYPE (or an entity declaration): refused.")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    roots = []

    def start(name, _attributes):
        if not roots:
            roots.append(name)

    parser.StartElementHandler = start
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise _invalid(
            f"The XML is not well-formed: {expat.ErrorString(exc.code)} "
            f"(line {exc.lineno}, column {exc.offset})."
        ) from None
    root = roots[0] if roots else ""
    if root not in UBL_ROOTS:
        namespace, _, name = root.rpartition(" ")
        shown = f"{{{namespace}}}{name}" if namespace else name
        raise _invalid(
            f"The XML's root is {shown}, not a UBL Invoice "
            "({urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice) or CreditNote "
            "({urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote)."
        )


def invoice_fields(payload):
    """The sales invoice's fields, checked; ``invalidDocument`` naming what is wrong."""
    if not isinstance(payload, dict):
        raise _invalid("The body is not a JSON object.")
    for name in ("invoice_number", "xml_filename", "currency"):
        if not isinstance(payload.get(name), str) or not payload[name].strip():
            raise _invalid(f"{name} is missing (a non-empty text).")
    if payload.get("move_type") not in MOVE_TYPES:
        raise _invalid(f"move_type must be one of {', '.join(MOVE_TYPES)}.")
    issue_date = payload.get("issue_date")
    try:
        # (fromisoformat alone would take a week date, 2025-W11-5)
        if not isinstance(issue_date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", issue_date):
            raise ValueError
        date.fromisoformat(issue_date)
    except ValueError:
        raise _invalid("issue_date must be a date as YYYY-MM-DD.") from None
    if not re.fullmatch(r"[A-Z]{3}", payload["currency"]):
        raise _invalid("currency must be an ISO 4217 code (three capital letters).")
    amount = payload.get("amount_total")
    if not isinstance(amount, str) or not re.fullmatch(r"\d{1,15}(\.\d{1,6})?", amount):
        raise _invalid('amount_total must be a decimal number in a text, e.g. "121.00".')
    xml = _decode(payload, "xml")
    pdf = None
    if payload.get("pdf") is not None:
        pdf = _decode(payload, "pdf")
        if not isinstance(payload.get("pdf_filename"), str) or not payload["pdf_filename"]:
            raise _invalid("pdf_filename is missing (the pdf is given).")
    check_ubl(xml)
    return {
        "invoice_number": payload["invoice_number"],
        "move_type": payload["move_type"],
        "issue_date": issue_date,
        "currency": payload["currency"],
        "amount_total": amount,
        "xml_filename": payload["xml_filename"],
        "pdf_filename": payload["pdf_filename"] if pdf is not None else None,
        "xml": xml,
        "pdf": pdf,
    }


def _base64(value, what):
    try:
        base64.b64decode(value or "", validate=True)
    except (binascii.Error, TypeError) as exc:
        raise SeedError(f"{what} is not base64") from exc
    return value or ""


class State:
    """All of the sandbox's data, behind one lock; every method is one atomic step."""

    def __init__(self, seed=None, path=None):
        self._lock = threading.RLock()
        self._path = path
        self._seed = copy.deepcopy(seed or {})
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as file:
                self._data = self._upgrade(json.load(file))
        else:
            self._data = self._fresh(self._seed)
            self._save()

    # --- persistence and seeding --------------------------------------------------------

    def _save(self):
        if not self._path:
            return
        directory = os.path.dirname(os.path.abspath(self._path))
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-state-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(self._data, file)
            os.replace(tmp, self._path)
        except BaseException:
            os.unlink(tmp)
            raise

    def _fresh(self, seed):
        data = {
            "software_id": str(uuid.uuid4()),
            "clock_offset": 0,
            "offices": {},
            "companies": {},
            "connections": {},
            "codes": {},
            "tokens": {},
            "outbox": [],
            "idempotency": {},
        }
        self._merge(data, seed)
        return data

    @staticmethod
    def _upgrade(data):
        """A state file saved before the invoicing-software part: its new tables, empty."""
        for key, empty in (("tokens", {}), ("outbox", []), ("idempotency", {})):
            data.setdefault(key, empty)
        return data

    def _merge(self, data, seed):
        if not isinstance(seed, dict):
            raise SeedError("a seed is a JSON object")
        try:
            if seed.get("software_id"):
                data["software_id"] = str(seed["software_id"])
            for office in seed.get("offices") or []:
                self._merge_office(data, office)
            for company in seed.get("companies") or []:
                self._merge_company(data, company)
        except (KeyError, TypeError, AttributeError) as exc:
            raise SeedError(f"invalid seed: {exc!r}") from exc

    @staticmethod
    def _merge_office(data, office):
        vat = normalize_vat(office["vat"])
        current = data["offices"].setdefault(
            vat, {"vat": vat, "name": vat, "users": {}, "password": None, "consent": None}
        )
        if "name" in office:
            current["name"] = str(office["name"])
        if "users" in office:
            current["users"] = {
                str(user["login"]): hash_secret(str(user["password"])) for user in office["users"]
            }

    def _merge_company(self, data, company):
        vat = normalize_vat(company["vat"])
        current = data["companies"].setdefault(
            vat,
            {
                "vat": vat,
                "name": vat,
                "client_code": "",
                "email": "",
                "office_vat": None,
                "ibans": [],
                "feed_client_id": str(uuid.uuid4()),
                "documents": [],
                "acknowledged_offset": None,
            },
        )
        for key in ("name", "client_code", "email"):
            if key in company:
                current[key] = str(company[key] or "")
        if "office_vat" in company:
            current["office_vat"] = normalize_vat(company["office_vat"])
        if "ibans" in company:
            current["ibans"] = [re.sub(r"\s", "", iban).upper() for iban in company["ibans"]]
        known = {doc["feed_index"] for doc in current["documents"]}
        new = [doc for doc in company.get("documents") or [] if doc.get("feed_index") not in known]
        self._append_documents(data, current, new)

    @staticmethod
    def _append_documents(data, company, documents):
        taken = {doc["feed_index"] for c in data["companies"].values() for doc in c["documents"]}
        added = []
        for doc in documents:
            feed_index = str(doc.get("feed_index") or uuid.uuid4())
            if feed_index in taken:
                raise SeedError(f"feed_index {feed_index} is already delivered")
            model = str(doc.get("document_model") or "coda")
            if model == "coda" and not doc.get("cod"):
                raise SeedError(f"document {feed_index} has no cod")
            taken.add(feed_index)
            added.append(
                {
                    "feed_index": feed_index,
                    "document_model": model,
                    "metadata": dict(doc.get("metadata") or {}),
                    "cod": _base64(doc.get("cod"), f"cod of {feed_index}"),
                    "pdf": _base64(doc.get("pdf"), f"pdf of {feed_index}"),
                    "xml": _base64(doc.get("xml"), f"xml of {feed_index}"),
                    # Acknowledged already: delivered before the company was connected to
                    # this software (to CodaBox's SyncTool, another software): only the
                    # re-download feed lists it.
                    "acknowledged": bool(doc.get("acknowledged")),
                }
            )
        company["documents"].extend(added)
        return [doc["feed_index"] for doc in added]

    # --- admin --------------------------------------------------------------------------

    @property
    def software_id(self):
        with self._lock:
            return self._data["software_id"]

    def reset(self):
        """Back to the seed the sandbox started with."""
        with self._lock:
            self._data = self._fresh(self._seed)
            self._save()

    def load_seed(self, seed, merge=False):
        with self._lock:
            if merge:
                data = copy.deepcopy(self._data)
                self._merge(data, seed)
            else:
                data = self._fresh(seed)
            self._data = data
            self._save()

    def add_documents(self, company_vat, documents):
        with self._lock:
            company = self._data["companies"].get(normalize_vat(company_vat))
            if company is None:
                raise SeedError(f"unknown company {company_vat}")
            if not isinstance(documents, list):
                raise SeedError("documents is a list")
            data = copy.deepcopy(self._data)
            indexes = self._append_documents(data, data["companies"][company["vat"]], documents)
            self._data = data
            self._save()
            return indexes

    def set_consent(self, office_vat, status):
        """What the office does in MyCodaBox > Administration > CodaBox Connect."""
        if status not in CONSENT_STATUSES:
            raise SeedError(f"status must be one of {', '.join(CONSENT_STATUSES)}")
        with self._lock:
            office = self._data["offices"].get(normalize_vat(office_vat))
            if office is None:
                raise SeedError(f"unknown accounting office {office_vat}")
            consent = self._consent_of(office)
            consent["status"] = status
            self._save()
            return dict(consent)

    def advance_clock(self, seconds):
        """Lets tests expire authorization codes without waiting."""
        with self._lock:
            self._data["clock_offset"] += float(seconds)
            self._save()

    def snapshot(self):
        """Everything a test wants to assert on, without a single secret."""
        with self._lock:
            data = self._data
            return {
                "software_id": data["software_id"],
                "clock_offset": data["clock_offset"],
                "offices": [
                    {
                        "vat": office["vat"],
                        "name": office["name"],
                        "users": sorted(office["users"]),
                        "has_password": office["password"] is not None,
                        "consent": office["consent"],
                    }
                    for office in data["offices"].values()
                ],
                "companies": [
                    {
                        "vat": company["vat"],
                        "name": company["name"],
                        "client_code": company["client_code"],
                        "email": company.get("email") or "",
                        "office_vat": company["office_vat"],
                        "ibans": company["ibans"],
                        "feed_client_id": company["feed_client_id"],
                        "connected": any(
                            not conn["revoked"]
                            and not _is_software(conn)
                            and conn["company_vat"] == company["vat"]
                            for conn in data["connections"].values()
                        ),
                        "invoicing_software_connected": any(
                            not conn["revoked"]
                            and _is_software(conn)
                            and conn["company_vat"] == company["vat"]
                            for conn in data["connections"].values()
                        ),
                        "acknowledged_offset": company["acknowledged_offset"],
                        "documents": [self._shown_document(doc) for doc in company["documents"]],
                    }
                    for company in data["companies"].values()
                ],
                "connections": [
                    self._shown_connection(conn) for conn in data["connections"].values()
                ],
                "authorization_codes": list(data["codes"].values()),
                "invoicing_tokens": [
                    {key: token[key] for key in ("vat", "expires_at", "used")}
                    for token in data["tokens"].values()
                ],
            }

    @staticmethod
    def _shown_document(doc):
        shown = {key: doc[key] for key in ("feed_index", "document_model", "acknowledged")}
        if doc["document_model"] == "sales_invoice":
            # What the software sent, for the admin view of received sales invoices.
            shown["metadata"] = doc["metadata"]
            shown["formats"] = [fmt for fmt in ("pdf", "xml") if doc.get(fmt)]
        return shown

    @staticmethod
    def _shown_connection(conn):
        keys = ("id", "feed_client_id", "company_vat", "office_vat", "revoked", "created_at")
        shown = {key: conn[key] for key in keys}
        shown["kind"] = conn.get("kind", "connect")
        if _is_software(conn):
            shown["feed_id"] = conn["feed_id"]
            shown["acknowledged"] = list(conn["acknowledged"])
        return shown

    def outbox(self):
        """The e-mails CodaBox sent (the tokens), oldest first."""
        with self._lock:
            return copy.deepcopy(self._data["outbox"])

    # --- MyCodaBox ----------------------------------------------------------------------

    def _now(self):
        return time.time() + self._data["clock_offset"]

    def office(self, vat):
        with self._lock:
            office = self._data["offices"].get(normalize_vat(vat))
            return office and {"vat": office["vat"], "name": office["name"]}

    def company(self, vat):
        with self._lock:
            company = self._data["companies"].get(normalize_vat(vat))
            return company and {key: company[key] for key in ("vat", "name", "office_vat")}

    def sign_in(self, office_vat, login, password):
        with self._lock:
            office = self._data["offices"].get(normalize_vat(office_vat)) or {"users": {}}
            return check_secret(password, office["users"].get(login))

    def open_consent(self, office_vat):
        """The consent page shows the office's consent, created "To be determined"."""
        with self._lock:
            office = self._data["offices"][normalize_vat(office_vat)]
            had_consent = office["consent"] is not None
            consent = self._consent_of(office)
            if not had_consent:
                self._save()
            return dict(consent)

    def decide(self, office_vat, company_vat, redirect_uri, allow, office_password=None):
        """Allow (registers the office password, returns a code) or deny (returns None)."""
        with self._lock:
            office = self._data["offices"][normalize_vat(office_vat)]
            consent = self._consent_of(office)
            if not allow:
                consent["status"] = "denied"
                self._save()
                return None
            consent["status"] = "allowed"
            office["password"] = hash_secret(office_password)
            now = self._now()
            self._data["codes"] = {
                key: code
                for key, code in self._data["codes"].items()
                if not code["used"] and code["expires_at"] > now
            }
            code = secrets.token_urlsafe(24)
            self._data["codes"][_code_key(code)] = {
                "office_vat": office["vat"],
                "company_vat": normalize_vat(company_vat),
                "redirect_uri": redirect_uri,
                "expires_at": now + CODE_TTL,
                "used": False,
            }
            self._save()
            return code

    @staticmethod
    def _consent_of(office):
        if office["consent"] is None:
            office["consent"] = {"consent_id": str(uuid.uuid4()), "status": "pending"}
        return office["consent"]

    # --- Connect API --------------------------------------------------------------------

    def exchange_code(self, code, office_password):
        with self._lock:
            grant = self._data["codes"].get(_code_key(str(code)))
            if grant is None or grant["used"] or grant["expires_at"] <= self._now():
                raise ApiError(400, "invalidCode", "Unknown, used or expired authorization code.")
            office = self._data["offices"].get(grant["office_vat"])
            if office is None:
                raise ApiError(404, "unknownAccountingOffice", "Not an accounting office.")
            self._check_office_password(office, office_password)
            self._check_consent(office)
            company = self._client_of(office, grant["company_vat"])
            grant["used"] = True
            for conn in self._data["connections"].values():
                if conn["company_vat"] == company["vat"] and not _is_software(conn):
                    conn["revoked"] = True
            return self._connect(office, company)

    def connect_company(self, office_vat, company_vat, office_password):
        with self._lock:
            office = self._data["offices"].get(normalize_vat(office_vat))
            if office is None:
                raise ApiError(
                    404,
                    "unknownAccountingOffice",
                    f"{office_vat} is not an accounting office: CodaBox Connect is for "
                    "accounting offices only.",
                )
            self._check_consent(office)
            self._check_office_password(office, office_password)
            company = self._client_of(office, normalize_vat(company_vat))
            if any(
                not conn["revoked"]
                and not _is_software(conn)
                and conn["company_vat"] == company["vat"]
                for conn in self._data["connections"].values()
            ):
                raise ApiError(409, "alreadyRegistered", f"{company['vat']} is already connected.")
            return self._connect(office, company)

    def consent(self, consent_id):
        with self._lock:
            for office in self._data["offices"].values():
                if office["consent"] and office["consent"]["consent_id"] == consent_id:
                    return dict(office["consent"])
            raise ApiError(404, "notFound", f"No consent {consent_id}.")

    def revoke(self, feed_client_id):
        """Revokes the company's connection; revoking again is a no-op (DELETE is idempotent)."""
        with self._lock:
            company = next(
                (
                    c
                    for c in self._data["companies"].values()
                    if c["feed_client_id"] == feed_client_id
                ),
                None,
            )
            if company is None:
                raise ApiError(404, "notFound", f"No connection {feed_client_id}.")
            for conn in self._data["connections"].values():
                if conn["company_vat"] == company["vat"] and not _is_software(conn):
                    conn["revoked"] = True
            self._save()

    def change_password(self, office_vat, current_password, new_password):
        with self._lock:
            office = self._data["offices"].get(normalize_vat(office_vat))
            if office is None:
                raise ApiError(
                    404, "unknownAccountingOffice", f"{office_vat} is not an accounting office."
                )
            self._check_office_password(office, current_password)
            if not isinstance(new_password, str) or len(new_password) < MIN_PASSWORD_LENGTH:
                raise ApiError(
                    400,
                    "badRequest",
                    f"The new password needs {MIN_PASSWORD_LENGTH} characters or more.",
                )
            office["password"] = hash_secret(new_password)
            self._save()

    @staticmethod
    def _check_office_password(office, office_password):
        if not check_secret(office_password, office["password"]):
            raise ApiError(403, "invalidPassword", "Wrong office password.")

    @staticmethod
    def _check_consent(office):
        consent = office["consent"]
        if consent is None or consent["status"] != "allowed":
            status = consent["status"] if consent else "none"
            raise ApiError(
                403, "consentNotValid", f"The office's consent is not allowed ({status})."
            )

    def _client_of(self, office, company_vat):
        company = self._data["companies"].get(company_vat)
        if company is None or company["office_vat"] != office["vat"]:
            raise ApiError(404, "notFound", f"{company_vat} is not a client of {office['vat']}.")
        return company

    def _connect(self, office, company):
        username = "cbx-" + secrets.token_hex(8)
        password = secrets.token_urlsafe(24)
        self._data["connections"][username] = {
            "id": str(uuid.uuid4()),
            "password": hash_secret(password),
            "feed_client_id": company["feed_client_id"],
            "company_vat": company["vat"],
            "office_vat": office["vat"],
            "revoked": False,
            "created_at": self._now(),
        }
        self._save()
        return {
            "consent_id": office["consent"]["consent_id"],
            "status": office["consent"]["status"],
            "feed_client_id": company["feed_client_id"],
            "username": username,
            "password": password,
        }

    # --- Delivery API -------------------------------------------------------------------

    def _delivery(self, username, password):
        conn = self._data["connections"].get(username or "")
        if conn is None or conn["revoked"] or not check_secret(password, conn["password"]):
            raise ApiError(401, "invalidCredentials", "Invalid username or password.")
        company = self._data["companies"][conn["company_vat"]]
        if _is_software(conn):
            return conn, company  # the company's own software: no office's consent involved
        office = self._data["offices"].get(company["office_vat"] or "")
        if office is None:
            raise ApiError(403, "consentNotValid", "The company has no accounting office.")
        self._check_consent(office)
        return conn, company

    def pod_client(self, username, password):
        with self._lock:
            conn, company = self._delivery(username, password)
            if _is_software(conn):
                return {
                    "id": conn["id"],
                    "fetch_delay": 7200,
                    "allowed_formats": {"coda": ["cod", "pdf", "xml"]},
                    "feed_clients": [
                        {
                            "id": conn["feed_id"],
                            "client_id": company["vat"],
                            "client_name": company["name"],
                            "client_code": company["client_code"],
                            "fiduciary_id": self._office_vat(company),
                        }
                    ],
                }
            return {
                "id": conn["id"],
                "fetch_delay": 7200,
                # As CodaBox's pod clients list them (notes.md).
                "allowed_formats": {
                    "coda": ["cod", "pdf", "xml"],
                    "soda": ["pdf", "xml"],
                    "purchase_invoice": ["pdf", "xml"],
                    "sales_invoice": ["pdf", "xml"],
                    "expense": ["pdf", "xml"],
                },
                "feed_clients": [
                    {
                        "id": company["feed_client_id"],
                        "client_id": company["vat"],
                        "client_name": company["name"],
                        "client_code": company["client_code"],
                        "fiduciary_id": company["office_vat"],
                    }
                ],
            }

    @staticmethod
    def _own_feed(conn, company, feed_id):
        own = conn["feed_id"] if _is_software(conn) else company["feed_client_id"]
        if feed_id != own:
            raise ApiError(404, "notFound", f"No feed {feed_id} for these credentials.")

    @staticmethod
    def _documents(conn, company):
        """The documents of a connection's feed: all of the company's for the office's Connect,
        its CODA for its invoicing software."""
        if _is_software(conn):
            return [doc for doc in company["documents"] if doc["document_model"] == "coda"]
        return company["documents"]

    @staticmethod
    def _acknowledged(conn, doc):
        if _is_software(conn):
            return doc["feed_index"] in conn["acknowledged"]
        return doc["acknowledged"]

    def _office_vat(self, company):
        """The company's accounting office, if it is one CodaBox knows (else None)."""
        office_vat = company.get("office_vat")
        return office_vat if office_vat and office_vat in self._data["offices"] else None

    def feed(self, username, password, feed_id, acknowledged=False):
        """The entries not acknowledged yet; with ``acknowledged``, those acknowledged (the
        re-delivery feed). Delivery order either way."""
        with self._lock:
            conn, company = self._delivery(username, password)
            self._own_feed(conn, company, feed_id)
            return {
                "id": feed_id,
                "feed_entries": [
                    {key: doc[key] for key in ("feed_index", "document_model", "metadata")}
                    for doc in self._documents(conn, company)
                    if self._acknowledged(conn, doc) == acknowledged
                ],
            }

    def download(self, username, password, feed_index, fmt, redownload=False):
        """The bytes and content type of one format of one of the company's documents;
        ``redownload`` serves acknowledged documents only."""
        with self._lock:
            conn, company = self._delivery(username, password)
            doc = next(
                (d for d in self._documents(conn, company) if d["feed_index"] == feed_index), None
            )
            if doc is None:
                raise ApiError(404, "notFound", f"No document {feed_index}.")
            if redownload and not self._acknowledged(conn, doc):
                raise ApiError(404, "notFound", f"No acknowledged document {feed_index}.")
            if fmt not in CONTENT_TYPES or not doc.get(fmt):
                raise ApiError(404, "formatNotAvailable", f"Document {feed_index} has no {fmt}.")
            return base64.b64decode(doc[fmt]), CONTENT_TYPES[fmt]

    def acknowledge(self, username, password, feed_id, feed_offset):
        with self._lock:
            conn, company = self._delivery(username, password)
            self._own_feed(conn, company, feed_id)
            documents = self._documents(conn, company)
            indexes = [doc["feed_index"] for doc in documents]
            if feed_offset not in indexes:
                raise ApiError(400, "invalidFeedOffset", f"{feed_offset} is not in feed {feed_id}.")
            if _is_software(conn):
                done = set(conn["acknowledged"]) | set(indexes[: indexes.index(feed_offset) + 1])
                conn["acknowledged"] = [index for index in indexes if index in done]
                self._save()
                return
            for doc in company["documents"][: indexes.index(feed_offset) + 1]:
                doc["acknowledged"] = True
            company["acknowledged_offset"] = next(
                doc["feed_index"] for doc in reversed(company["documents"]) if doc["acknowledged"]
            )
            self._save()

    # --- Invoicing software -------------------------------------------------------------

    def request_invoicing_access(self, vat):
        """E-mails the company a token for its invoicing software; ``{"email": masked}``."""
        with self._lock:
            company = self._data["companies"].get(normalize_vat(vat))
            if company is None:
                raise ApiError(
                    404,
                    "unknownEnterpriseNumber",
                    f"CodaBox does not know the enterprise number {vat}.",
                )
            if self._office_vat(company) is None:
                raise ApiError(
                    409,
                    "noAccountingOffice",
                    f"{company['vat']} is not linked to an accounting office that is a client of "
                    "CodaBox.",
                )
            email = company.get("email")
            if not email:
                raise ApiError(
                    409, "unknownEmail", f"CodaBox has no e-mail address for {company['vat']}."
                )
            now = self._now()
            # A new token voids the company's earlier ones; expired ones are forgotten.
            self._data["tokens"] = {
                key: token
                for key, token in self._data["tokens"].items()
                if token["vat"] != company["vat"] and token["expires_at"] > now
            }
            token = "CBX-" + "-".join(
                "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(4)) for _ in range(4)
            )
            expires_at = now + TOKEN_TTL
            self._data["tokens"][_code_key(token)] = {
                "vat": company["vat"],
                "expires_at": expires_at,
                "used": False,
            }
            self._data["outbox"].append(
                {
                    "to": email,
                    "subject": (
                        f"Your CodaBox token for the invoicing software of {company['name']}"
                    ),
                    "body": (
                        "Hello,\n\n"
                        f"Your invoicing software asked CodaBox to connect {company['name']} "
                        f"({company['vat']}).\n\n"
                        f"Your token: {token}\n\n"
                        "Type it in your invoicing software within 24 hours (until "
                        f"{_iso(expires_at)}). It can be used once; a new request makes it "
                        "void.\n\n"
                        "If you did not ask for it, ignore this message.\n\n"
                        "CodaBox"
                    ),
                    "token": token,
                    "vat": company["vat"],
                    "sent_at": _iso(now),
                }
            )
            self._save()
            return {"email": mask_email(email)}

    def get_credentials(self, token):
        """The token, once -> an invoicing-software connection's ``{username, password}``."""
        with self._lock:
            grant = self._data["tokens"].get(_code_key(normalize_token(token)))
            company = grant and self._data["companies"].get(grant["vat"])
            if company is None or grant["used"] or grant["expires_at"] <= self._now():
                raise ApiError(404, "invalidToken", "Unknown, used or expired token.")
            grant["used"] = True
            for conn in self._data["connections"].values():
                if conn["company_vat"] == company["vat"] and _is_software(conn):
                    conn["revoked"] = True
            username = "cbx-is-" + secrets.token_hex(8)
            password = secrets.token_urlsafe(24)
            feed_id = str(uuid.uuid4())
            self._data["connections"][username] = {
                "id": str(uuid.uuid4()),
                "kind": INVOICING_SOFTWARE,
                "password": hash_secret(password),
                "feed_client_id": feed_id,
                "feed_id": feed_id,
                "company_vat": company["vat"],
                "office_vat": self._office_vat(company),
                "revoked": False,
                "created_at": self._now(),
                "acknowledged": [],
            }
            self._save()
            return {"username": username, "password": password}

    def _software(self, username, password):
        conn, company = self._delivery(username, password)
        if not _is_software(conn):
            raise ApiError(
                403,
                "notInvoicingSoftware",
                "These are an accounting office's CodaBox Connect credentials: this call is for "
                "an invoicing software's credentials.",
            )
        return conn, company

    def revoke_invoicing_software(self, username, password):
        with self._lock:
            conn, _company = self._software(username, password)
            conn["revoked"] = True
            self._save()

    def send_sales_invoice(self, username, password, idempotency_key, payload):
        """(status, answer): 201 for a new invoice, 200 for a replay of its key and content."""
        with self._lock:
            _conn, company = self._software(username, password)
            key = (idempotency_key or "").strip()
            if not key or len(key) > MAX_IDEMPOTENCY_KEY:
                raise _invalid(
                    "The Idempotency-Key header is missing (or longer than "
                    f"{MAX_IDEMPOTENCY_KEY} characters): each sales invoice is sent with one."
                )
            fields = invoice_fields(payload)
            digest = hashlib.sha256(_canonical(payload).encode()).hexdigest()
            keys = self._data["idempotency"].setdefault(company["vat"], {})
            previous = keys.get(key)
            if previous is not None:
                if previous["hash"] != digest:
                    raise ApiError(
                        422,
                        "idempotencyKeyReused",
                        "This Idempotency-Key was used for other content.",
                    )
                return 200, dict(previous["answer"])
            for doc in company["documents"]:
                meta = doc["metadata"]
                if (
                    doc["document_model"] == "sales_invoice"
                    and meta.get("sent_by") == INVOICING_SOFTWARE
                    and meta.get("invoice_number") == fields["invoice_number"]
                    and meta.get("move_type") == fields["move_type"]
                ):
                    kind = "credit note" if fields["move_type"] == "credit_note" else "invoice"
                    raise ApiError(
                        409,
                        "duplicateInvoice",
                        f"The {kind} {fields['invoice_number']} was received already, under "
                        "another Idempotency-Key.",
                        {"id": doc["feed_index"]},
                    )
            now = self._now()
            feed_index = str(uuid.uuid4())
            company["documents"].append(
                {
                    "feed_index": feed_index,
                    "document_model": "sales_invoice",
                    "metadata": {
                        **{
                            name: fields[name]
                            for name in (
                                "invoice_number",
                                "move_type",
                                "issue_date",
                                "currency",
                                "amount_total",
                                "xml_filename",
                                "pdf_filename",
                            )
                        },
                        "sent_by": INVOICING_SOFTWARE,
                    },
                    "cod": "",
                    "pdf": base64.b64encode(fields["pdf"]).decode() if fields["pdf"] else "",
                    "xml": base64.b64encode(fields["xml"]).decode(),
                    "acknowledged": False,
                }
            )
            answer = {"id": feed_index, "status": "received", "received_at": _iso(now)}
            keys[key] = {"hash": digest, "answer": answer, "created_at": now}
            self._save()
            return 201, dict(answer)
