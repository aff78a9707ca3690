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

EXAMPLE_SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_example.json")
CONSENT_STATUSES = ("allowed", "denied", "pending", "cancelled")
CODE_TTL = 600
CONTENT_TYPES = {"cod": "application/vnd.coda", "pdf": "application/pdf", "xml": "application/xml"}
MIN_PASSWORD_LENGTH = 8
# Cheap on purpose: every delivery call verifies a hash, and this is a test double.
_HASH_ROUNDS = 1000


class ApiError(Exception):
    """A refusal of the API: HTTP status, machine code and English detail."""

    def __init__(self, status, code, detail):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


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
                self._data = json.load(file)
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
        }
        self._merge(data, seed)
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
                "office_vat": None,
                "ibans": [],
                "feed_client_id": str(uuid.uuid4()),
                "documents": [],
                "acknowledged_offset": None,
            },
        )
        for key in ("name", "client_code"):
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
                        "office_vat": company["office_vat"],
                        "ibans": company["ibans"],
                        "feed_client_id": company["feed_client_id"],
                        "connected": any(
                            not conn["revoked"] and conn["company_vat"] == company["vat"]
                            for conn in data["connections"].values()
                        ),
                        "acknowledged_offset": company["acknowledged_offset"],
                        "documents": [
                            {
                                key: doc[key]
                                for key in ("feed_index", "document_model", "acknowledged")
                            }
                            for doc in company["documents"]
                        ],
                    }
                    for company in data["companies"].values()
                ],
                "connections": [
                    {
                        key: conn[key]
                        for key in (
                            "id",
                            "feed_client_id",
                            "company_vat",
                            "office_vat",
                            "revoked",
                            "created_at",
                        )
                    }
                    for conn in data["connections"].values()
                ],
                "authorization_codes": list(data["codes"].values()),
            }

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
                if conn["company_vat"] == company["vat"]:
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
                not conn["revoked"] and conn["company_vat"] == company["vat"]
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
                if conn["company_vat"] == company["vat"]:
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
        office = self._data["offices"].get(company["office_vat"] or "")
        if office is None:
            raise ApiError(403, "consentNotValid", "The company has no accounting office.")
        self._check_consent(office)
        return conn, company

    def pod_client(self, username, password):
        with self._lock:
            conn, company = self._delivery(username, password)
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

    def _own_feed(self, company, feed_id):
        if feed_id != company["feed_client_id"]:
            raise ApiError(404, "notFound", f"No feed {feed_id} for these credentials.")

    def feed(self, username, password, feed_id, acknowledged=False):
        """The entries not acknowledged yet; with ``acknowledged``, those acknowledged (the
        re-delivery feed). Delivery order either way."""
        with self._lock:
            _conn, company = self._delivery(username, password)
            self._own_feed(company, feed_id)
            return {
                "id": feed_id,
                "feed_entries": [
                    {key: doc[key] for key in ("feed_index", "document_model", "metadata")}
                    for doc in company["documents"]
                    if doc["acknowledged"] == acknowledged
                ],
            }

    def download(self, username, password, feed_index, fmt, redownload=False):
        """The bytes and content type of one format of one of the company's documents;
        ``redownload`` serves acknowledged documents only."""
        with self._lock:
            _conn, company = self._delivery(username, password)
            doc = next((d for d in company["documents"] if d["feed_index"] == feed_index), None)
            if doc is None:
                raise ApiError(404, "notFound", f"No document {feed_index}.")
            if redownload and not doc["acknowledged"]:
                raise ApiError(404, "notFound", f"No acknowledged document {feed_index}.")
            if fmt not in CONTENT_TYPES or not doc.get(fmt):
                raise ApiError(404, "formatNotAvailable", f"Document {feed_index} has no {fmt}.")
            return base64.b64decode(doc[fmt]), CONTENT_TYPES[fmt]

    def acknowledge(self, username, password, feed_id, feed_offset):
        with self._lock:
            _conn, company = self._delivery(username, password)
            self._own_feed(company, feed_id)
            indexes = [doc["feed_index"] for doc in company["documents"]]
            if feed_offset not in indexes:
                raise ApiError(400, "invalidFeedOffset", f"{feed_offset} is not in feed {feed_id}.")
            for doc in company["documents"][: indexes.index(feed_offset) + 1]:
                doc["acknowledged"] = True
            company["acknowledged_offset"] = next(
                doc["feed_index"] for doc in reversed(company["documents"]) if doc["acknowledged"]
            )
            self._save()
