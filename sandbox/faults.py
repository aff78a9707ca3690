"""Queued network and server faults, so that tests can see the client survive them.

A fault spec (JSON, ``POST /_admin/faults``, one object or ``{"faults": [...]}``)::

    {"kind": "status",          # see KINDS
     "method": "GET",           # or "*" (default): any method
     "path": "/v2/delivery/",   # path prefix (default "/": every non-admin path)
     "path_regex": null,        # optional, re.search on the path; both must match if given
     "count": 1,                # how many matching requests it hits
     "status": 503,             # kind "status": the 5xx answered
     "retry_after": 1,          # kind "rate_limit": the Retry-After header, in seconds
     "delay": 2.0}              # kind "slow": seconds to sleep before answering

The first queued fault that matches a request applies to it and is used up after ``count``
requests. Faults are not persisted.
"""

import re
import threading
from dataclasses import asdict, dataclass

KINDS = {
    "status": "answer with a 5xx JSON error",
    "rate_limit": "answer 429 with Retry-After",
    "slow": "sleep before answering",
    "drop": "close the connection without answering",
    "truncate": "announce a longer Content-Length than sent, then close",
    "corrupt": "invalid JSON, or garbled bytes for downloads",
    "duplicate_entry": "the feed listing repeats its first entry",
}


@dataclass
class Fault:
    kind: str
    method: str = "*"
    path: str = "/"
    path_regex: str | None = None
    count: int = 1
    status: int = 503
    retry_after: int = 1
    delay: float = 1.0

    @classmethod
    def from_spec(cls, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if spec.get("kind") not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        fault = cls(**spec)
        fault.method = str(fault.method).upper()
        fault.count = int(fault.count)
        fault.status = int(fault.status)
        fault.retry_after = int(fault.retry_after)
        fault.delay = float(fault.delay)
        if fault.kind == "status" and not 500 <= fault.status <= 599:
            raise ValueError("a status fault answers a 5xx")
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
