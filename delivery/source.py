"""What every delivery source does: walk the tree, fetch a file whole, archive it.

A source is a context manager: ``with SftpSource(...) as source:`` connects (checking the
pinned host key or certificate before any credential is sent) and closes. Subclasses give
the primitives (``_listdir``, ``_read``, ``_rename``, ``_makedirs``, ``_exists``), each raising
only ``DeliveryError`` subclasses.
"""

import logging
import posixpath

from .exceptions import ArchiveFailed, ConnectionDropped, DeliveryError, FileChanged, FileTooLarge
from .tree import TREE_DEPTH, FetchedFile, RemoteEntry

_logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 * 1024 * 1024
TIMEOUT = 30


def check_name(name):
    """A name the server lists, as a path segment: never '.', '..' or a path."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\0" not in name


class DeliverySource:
    """Base of the sources; ``server`` names it in messages and errors."""

    server = "?"

    def __init__(self, *, max_file_bytes=MAX_FILE_BYTES):
        self.max_file_bytes = max_file_bytes
        self._made_folders = set()  # archive folders made (or found) in this session

    # -- session ---------------------------------------------------------------------------
    def connect(self):
        self._made_folders = set()

    def close(self):
        pass

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    # -- primitives, by the subclasses -------------------------------------------------------
    def _listdir(self, path):
        """[(name, is_dir, size, mtime)] of a folder ('' is the root)."""
        raise NotImplementedError

    def _read(self, path, size):
        """All the bytes of a file whose listing gave ``size`` (the download may stop once
        more than ``size`` bytes came: the caller refuses the file anyway)."""
        raise NotImplementedError

    def _rename(self, path, target):
        raise NotImplementedError

    def _makedirs(self, path):
        raise NotImplementedError

    def _exists(self, path):
        raise NotImplementedError

    # -- the tree ----------------------------------------------------------------------------
    def walk(self, depth=TREE_DEPTH):
        """Every regular file down to ``depth`` levels below the root, as ``RemoteEntry``."""
        entries, folders = [], [("", 0)]
        while folders:
            folder, level = folders.pop()
            for name, is_dir, size, mtime in self._listdir(folder):
                if not check_name(name):
                    continue
                path = f"{folder}/{name}" if folder else name
                if is_dir:
                    if level + 1 < depth:
                        folders.append((path, level + 1))
                else:
                    entries.append(RemoteEntry(path, size, mtime))
        return sorted(entries, key=lambda e: e.path)

    def fetch(self, file):
        """The file downloaded whole, with its digest, or a ``DeliveryError``: a file whose
        size is not the listed one (``FileChanged``), larger than ``max_file_bytes``
        (``FileTooLarge``), or cut by a dropped connection (``ConnectionDropped``) is never
        returned, not even in part."""
        if file.size > self.max_file_bytes:
            raise FileTooLarge(
                f"{self.server}: {file.path} has {file.size} bytes, more than the "
                f"{self.max_file_bytes} accepted: not downloaded.",
                server=self.server,
                path=file.path,
            )
        content = self._read(file.path, file.size)
        if len(content) != file.size:
            raise FileChanged(
                f"{self.server}: {file.path} has {len(content)} bytes instead of the "
                f"{file.size} listed: it is still being written, left for the next run.",
                server=self.server,
                path=file.path,
            )
        return FetchedFile(file.with_content(content), content)

    def archive(self, file, layout):
        """Move the file to the layout's archive folder, under the same path (a free name
        beside it when that one is taken: the same file archived before). Returns the path it
        now has; raises ``ArchiveFailed`` (the file stays where it is) or
        ``ConnectionDropped``."""
        target = layout.archive_path(file.path)
        try:
            folder = posixpath.dirname(target)
            if folder not in self._made_folders:
                self._makedirs(folder)
                self._made_folders.add(folder)
            base, dot, ext = target.rpartition(".")
            base, ext = (base, f".{ext}") if dot and "/" not in ext else (target, "")
            number = 0
            while self._exists(target):
                number += 1
                target = f"{base}.{number}{ext}"
            self._rename(file.path, target)
        except ConnectionDropped:
            raise
        except DeliveryError as error:
            raise ArchiveFailed(
                f"{self.server}: could not move {file.path} to {target} ({error.message}); it "
                "stays in place and will not be imported again.",
                server=self.server,
                path=file.path,
                target=target,
            ) from error
        _logger.info("%s: archived %s to %s", self.server, file.path, target)
        return target


class RemoteSourceMixin:
    """What the SFTP and FTPES sources share: paths on the server below their root."""

    root = ""

    def _full(self, path):
        """The server's path of ``path`` (relative to the root; "" is the root itself)."""
        if not path:
            return self.root or "."
        return posixpath.join(self.root, path) if self.root else path
