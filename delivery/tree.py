"""The delivered tree: its layout, the files in it, and which of them are complete.

A listing is made of ``DeliveredFile``; ``scan`` sorts them into files ready to fetch,
files still being written, files under client codes no company has, and files the layout
does not recognise.
"""

import fnmatch
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

# A path's depth below the root in the default tree: client code / file type / file.
TREE_DEPTH = 3


@dataclass(frozen=True)
class KindRule:
    """Files of one ``kind``: in a file-type folder named like one of ``folders``, with a name
    like one of ``names`` (shell patterns, both matched without regard to case)."""

    kind: str
    folders: tuple[str, ...]
    names: tuple[str, ...]

    def matches(self, folder, name):
        folder, name = folder.lower(), name.lower()
        return any(fnmatch.fnmatchcase(folder, f.lower()) for f in self.folders) and any(
            fnmatch.fnmatchcase(name, n.lower()) for n in self.names
        )


DEFAULT_RULES = (
    KindRule("coda", ("CODA",), ("*.cod", "*.coda")),
    KindRule("coda_pdf", ("CODA", "PDF", "CODA_PDF"), ("*.pdf",)),
    KindRule("coda_xml", ("CODA", "XML", "CODA_XML", "CAMT"), ("*.xml",)),
    KindRule("soda", ("SODA",), ("*.xml", "*.pdf")),
    KindRule("purchase_invoice", ("PURCHASE*", "INVOICES*"), ("*.xml", "*.pdf")),
    KindRule("sales_invoice", ("SALES*",), ("*.xml", "*.pdf")),
)

# Names a writer gives a file before it is complete (and hidden files): never fetched.
TEMPORARY_NAMES = (".*", "*.part", "*.partial", "*.filepart", "*.tmp", "*.temp", "*~", "*.lock")


@dataclass(frozen=True)
class Layout:
    """Where things are below the source's root.

    ``rules`` give each file its kind from its file-type folder and its name (the first rule
    that matches wins); ``archive`` is the folder (relative to the root, ``/``-separated)
    where imported files are moved, mirroring their path (``archive/1234/CODA/x.cod``); it is
    never read as a client code. ``temporary`` are the names of files still being written.
    """

    rules: tuple[KindRule, ...] = DEFAULT_RULES
    archive: str = "archive"
    temporary: tuple[str, ...] = TEMPORARY_NAMES

    def kind_of(self, folder, name):
        return next((r.kind for r in self.rules if r.matches(folder, name)), None)

    def is_temporary(self, name):
        name = name.lower()
        return any(fnmatch.fnmatchcase(name, p.lower()) for p in self.temporary)

    def archive_path(self, path):
        return f"{self.archive.strip('/')}/{path}"

    def is_archive(self, top_name):
        return top_name == self.archive.strip("/").split("/")[0]


DEFAULT_LAYOUT = Layout()


@dataclass(frozen=True)
class RemoteEntry:
    """A regular file as a source lists it: ``path`` relative to the root, ``/``-separated;
    ``mtime`` in seconds since the epoch (UTC), as precise as the server tells."""

    path: str
    size: int
    mtime: float


@dataclass(frozen=True)
class DeliveredFile:
    """A file of the tree: ``kind`` from the layout, ``digest`` (SHA-256, hex) once fetched."""

    client_code: str
    kind: str
    path: str
    size: int
    mtime: float
    digest: str | None = None

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]

    @property
    def stem(self):
        """The name without its extension, lower case: a CODA file and its PDF share it."""
        return self.name.rsplit(".", 1)[0].lower()

    @property
    def identity(self):
        """What the caller's ledger stores once the file is stored: client code, kind, name,
        size and digest. The same file listed again (its archive move failed, or CodaBox
        delivered it again) has the same identity. Only known once fetched."""
        if self.digest is None:
            raise ValueError(f"{self.path}: the identity of a file is known once it is fetched")
        return f"{self.client_code}/{self.kind}/{self.name}/{self.size}/{self.digest}"

    @property
    def content_key(self):
        """Client code, kind and digest: the same content delivered again under another name
        has the same content key (the ledger may refuse it too)."""
        if self.digest is None:
            raise ValueError(f"{self.path}: the content of a file is known once it is fetched")
        return f"{self.client_code}/{self.kind}/{self.digest}"

    def with_content(self, content):
        return replace(self, digest=hashlib.sha256(content).hexdigest())


@dataclass(frozen=True)
class FetchedFile:
    """A file downloaded whole: ``file`` has its digest, ``content`` is all its bytes."""

    file: DeliveredFile
    content: bytes = field(repr=False)


@dataclass
class ScanState:
    """The last listing, kept by the caller between runs (``to_json``/``from_json``): a file
    unchanged since then is ready without waiting."""

    files: dict[str, tuple[int, float]] = field(default_factory=dict)

    def to_json(self):
        return {path: [size, mtime] for path, (size, mtime) in sorted(self.files.items())}

    @classmethod
    def from_json(cls, data):
        return cls(
            {path: (int(size), float(mtime)) for path, (size, mtime) in (data or {}).items()}
        )


@dataclass
class Scan:
    """A listing sorted out.

    ``ready``: complete files under the known client codes (all codes when none were given),
    grouped by client code, each list sorted by path. ``pending``: files still being written
    (temporary name, or size or time changed between two listings), left for the next run.
    ``unknown``: files under client codes no company has, grouped by code (ready or not), to
    be reported. ``unrecognised``: paths the layout gives no kind (a stray file, an unknown
    file-type folder). ``state``: to store and pass back at the next run.
    """

    ready: dict[str, list[DeliveredFile]]
    pending: list[DeliveredFile]
    unknown: dict[str, list[DeliveredFile]]
    unrecognised: list[str]
    state: ScanState

    def ready_files(self):
        return [f for code in sorted(self.ready) for f in self.ready[code]]

    def pdf_for(self, coda):
        """The PDF delivered with a CODA file (same client code and name but the extension),
        among the ready files, or None."""
        return next(
            (
                f
                for f in self.ready.get(coda.client_code, ())
                if f.kind == "coda_pdf" and f.stem == coda.stem
            ),
            None,
        )


def classify(entries: Iterable[RemoteEntry], layout=DEFAULT_LAYOUT):
    """(files, unrecognised paths) of a listing."""
    files, unrecognised = [], []
    for entry in entries:
        parts = entry.path.split("/")
        if layout.is_archive(parts[0]):
            continue
        temporary = layout.is_temporary(parts[-1])
        kind = None
        if len(parts) == TREE_DEPTH:
            # A file being written keeps its kind when its final name shows through
            # (.x.cod.part is a CODA file), for the caller to say what is on its way.
            name = _final_name(parts[2], layout) if temporary else parts[2]
            kind = layout.kind_of(parts[1], name) or ("temporary" if temporary else None)
        if kind is None:
            if not temporary:
                unrecognised.append(entry.path)
            continue
        files.append(DeliveredFile(parts[0], kind, entry.path, entry.size, entry.mtime))
    return files, sorted(unrecognised)


def _final_name(name, layout):
    name = name.lstrip(".")
    for pattern in layout.temporary:
        suffix = pattern.lstrip("*")
        if pattern.startswith("*") and not any(c in suffix for c in "*?[") and suffix:
            if name.lower().endswith(suffix.lower()):
                return name[: -len(suffix)]
    return name


def scan(
    source,
    layout=DEFAULT_LAYOUT,
    *,
    previous: ScanState | None = None,
    known_codes: Iterable[str] | None = None,
    settle: float | Callable[[], None] = 2.0,
) -> Scan:
    """List the source's tree and sort it out (see ``Scan``).

    A file is complete when it has no temporary name and its size and modification time are
    the same in two listings: the ``previous`` one (from the last run) when it has the file,
    else a second listing made ``settle`` seconds after the first (``settle`` may also be a
    callable run between the two, e.g. a test writing more bytes). The second listing is
    skipped when every file is unchanged since ``previous``.
    """
    previous = previous or ScanState()
    files, unrecognised = classify(source.walk(), layout)
    fresh = [
        f
        for f in files
        if not layout.is_temporary(f.name) and previous.files.get(f.path) != (f.size, f.mtime)
    ]
    if fresh:
        settle() if callable(settle) else time.sleep(settle)
        files, unrecognised = classify(source.walk(), layout)
        fresh_before = {f.path: (f.size, f.mtime) for f in fresh}
    else:
        fresh_before = {}
    known = None if known_codes is None else set(known_codes)
    ready, pending, unknown = {}, [], {}
    for f in sorted(files, key=lambda f: f.path):
        if known is not None and f.client_code not in known:
            unknown.setdefault(f.client_code, []).append(f)
            continue
        seen = fresh_before.get(f.path) or previous.files.get(f.path)
        if layout.is_temporary(f.name) or seen != (f.size, f.mtime):
            pending.append(f)
        else:
            ready.setdefault(f.client_code, []).append(f)
    state = ScanState({f.path: (f.size, f.mtime) for f in files})
    return Scan(ready, pending, unknown, unrecognised, state)
