"""Queued network and server faults, so that tests can see the client survive them.

A fault spec (JSON, ``POST /_admin/faults``, one object or ``{"faults": [...]}``)::

    {"kind": "status",          # see KINDS and below
     "method": "GET",           # or "*" (default): any method
     "path": "/v2/delivery/",   # path prefix (default "/": every non-admin path)
     "path_regex": null,        # optional, re.search on the path; both must match if given
     "count": 1,                # how many matching requests it hits
     "status": 503,             # kind "status": the 5xx; kind "redirect": 307 (default) or 308
     "retry_after": 1,          # kind "rate_limit": the Retry-After header, in seconds
     "delay": 1.0,              # kinds "slow" and "drip": seconds (see below)
     "when": "before",          # kind "slow": "before" or "after" carrying out the request
     "location": null,          # kind "redirect": the Location header (required)
     "size": 134217728,         # kind "oversize": body bytes (default 128 MiB)
     "announce": true,          # kind "oversize": send a Content-Length (else close-delimited)
     "variant": null}           # kind "malformed_entry": see below

The first queued fault that matches a request applies to it and is used up after ``count``
requests. Faults are not persisted. Fields that a kind does not use are ignored.

What each kind does ("carried out" = the request is routed, so a PUT acknowledgement or a
POST connection IS applied to the state; the other kinds answer instead of the API):

- ``status``: not carried out; answers the 5xx ``status`` as JSON ``serverError``.
- ``rate_limit``: not carried out; answers 429 ``rateLimited`` with ``Retry-After``.
- ``slow``: sleeps ``delay`` seconds. ``when`` "before" (default): before carrying out the
  request. ``when`` "after": carries it out, logs its status (so a test polling
  ``/_admin/state`` sees it applied), THEN sleeps holding the answer, then answers: a test
  can kill the client process while the sandbox holds the answer to, say, an
  acknowledgement it already applied.
- ``drop``: not carried out; closes the connection without answering.
- ``lost_answer``: carried out, then the connection is closed without an answer (logged
  status null): the client cannot know that its PUT/POST took effect.
- ``truncate``: carried out; announces a longer Content-Length than it sends, then closes.
- ``corrupt``: carried out; invalid JSON, or garbled bytes (same length) for downloads.
- ``duplicate_entry``: carried out; the feed listing repeats its first entry.
- ``malformed_entry``: carried out; the feed listing's first entry is damaged, by
  ``variant``: ``metadata_text`` (default: ``metadata`` becomes a JSON string),
  ``no_document_model`` (the key is removed), ``no_feed_index`` (the key is removed),
  ``not_an_object`` (the entry becomes a JSON string), or ``not_a_list`` (the whole
  ``feed_entries`` becomes an object keyed by feed index). A listing without entries is
  unchanged.
- ``redirect``: not carried out; answers ``status`` 307 or 308 with ``Location: location``
  (e.g. a second listener on 127.0.0.1, to prove that the client sends it nothing).
- ``oversize``: not carried out; answers 200 with ``size`` bytes of ``application/json``
  filler, generated lazily in 64 KiB pieces; with ``announce`` false, without a
  Content-Length (the body ends when the connection closes). The request log's ``sent``
  says how many body bytes were written before the client hung up.
- ``drip``: carried out; announces the full Content-Length, then sends the body one byte
  every ``delay`` seconds (a server that never times out a socket read but never finishes).
- ``html``: not carried out; answers 200 ``text/html`` with a MyCodaBox sign-in page (what a
  proxy or an expired SSO session returns instead of a CODA file).
- ``empty``: carried out; answers 200 with an empty body and the content type the request
  would have had (an empty CODA file or PDF). Use ``path_regex`` (a feed index, ``/cod/$``)
  and a large ``count`` to make one document's download stay empty or HTML.
"""

import re
import threading
from dataclasses import asdict, dataclass

KINDS = {
    "status": "answer with a 5xx JSON error (not carried out)",
    "rate_limit": "answer 429 with Retry-After (not carried out)",
    "slow": "sleep `delay` s before (when=before) or after (when=after) carrying out the request",
    "drop": "close the connection without answering (not carried out)",
    "lost_answer": "carry out the request, then close the connection without answering",
    "truncate": "announce a longer Content-Length than sent, then close",
    "corrupt": "invalid JSON, or garbled bytes for downloads",
    "duplicate_entry": "the feed listing repeats its first entry",
    "malformed_entry": "the feed listing's first entry is damaged (see `variant`)",
    "redirect": "answer 307/308 to `location` (not carried out)",
    "oversize": "answer 200 with a lazily generated body of `size` bytes (not carried out)",
    "drip": "carry out the request, then send its body one byte every `delay` s",
    "html": "answer 200 text/html with a sign-in page (not carried out)",
    "empty": "carry out the request, answer 200 with an empty body",
}
VARIANTS = ("metadata_text", "no_document_model", "no_feed_index", "not_an_object", "not_a_list")
WHEN = ("before", "after")
REDIRECT_STATUSES = (307, 308)


@dataclass
class Fault:
    kind: str
    method: str = "*"
    path: str = "/"
    path_regex: str | None = None
    count: int = 1
    status: int | None = None
    retry_after: int = 1
    delay: float = 1.0
    when: str = "before"
    location: str | None = None
    size: int = 128 * 1024 * 1024
    announce: bool = True
    variant: str | None = None

    @classmethod
    def from_spec(cls, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if spec.get("kind") not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        # null means "the default", so that helpers may send every field.
        fault = cls(**{key: value for key, value in spec.items() if value is not None})
        fault.method = str(fault.method).upper()
        fault.count = int(fault.count)
        if fault.status is None:
            fault.status = 307 if fault.kind == "redirect" else 503
        fault.status = int(fault.status)
        fault.retry_after = int(fault.retry_after)
        fault.delay = float(fault.delay)
        fault.size = int(fault.size)
        if not isinstance(fault.announce, bool):
            raise ValueError("announce is true or false")
        fault.variant = fault.variant or VARIANTS[0]
        if fault.kind == "status" and not 500 <= fault.status <= 599:
            raise ValueError("a status fault answers a 5xx")
        if fault.kind == "redirect":
            if fault.status not in REDIRECT_STATUSES:
                raise ValueError("a redirect fault answers 307 or 308")
            if not fault.location:
                raise ValueError("a redirect fault needs a location")
        if fault.when not in WHEN:
            raise ValueError(f"when must be one of {', '.join(WHEN)}")
        if fault.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
        if fault.size < 0 or fault.delay < 0:
            raise ValueError("size and delay cannot be negative")
        if fault.count < 1:
            raise ValueError("count must be 1 or more")
        if fault.path_regex is not None:
            re.compile(fault.path_regex)
        return fault

    def matches(self, method, path):
        return (
            self.method in ("*", method)
            and path.startswith(self.path)
            and (self.path_regex is None or re.search(self.path_regex, path) is not None)
        )


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, specs):
        faults = [Fault.from_spec(spec) for spec in specs]
        with self._lock:
            self._faults.extend(faults)

    def clear(self):
        with self._lock:
            self._faults.clear()

    def take(self, method, path):
        """The fault that applies to this request, if any, counting it as used once."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self):
        with self._lock:
            return [asdict(fault) for fault in self._faults]
