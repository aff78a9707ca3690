"""A folder on the Odoo server, where CodaBox's push ("FTP at your side") lands."""

import errno
import os
import stat

from .exceptions import DeliveryError, PathMissing, PermissionRefused
from .source import DeliverySource


class LocalFolderSource(DeliverySource):
    """The tree below ``root``, an absolute folder. Symbolic links are not followed (a link
    cannot lead the collection out of the folder)."""

    def __init__(self, root, **kwargs):
        super().__init__(**kwargs)
        self.root = os.path.abspath(root)
        self.server = f"folder {self.root}"

    def _full(self, path):
        return os.path.join(self.root, *path.split("/")) if path else self.root

    def _error(self, error, path):
        what = path or "the root folder"
        if isinstance(error, FileNotFoundError):
            return PathMissing(
                f"{self.server}: {what} does not exist.", server=self.server, path=path
            )
        if isinstance(error, PermissionError):
            return PermissionRefused(
                f"{self.server}: {what}: permission denied.", server=self.server, path=path
            )
        reason = os.strerror(error.errno) if error.errno else type(error).__name__
        return DeliveryError(f"{self.server}: {what}: {reason}.", server=self.server, path=path)

    def connect(self):
        self._made_folders = set()  # a new session: archive folders are checked again
        if not os.path.isdir(self.root):
            raise PathMissing(
                f"{self.server}: the folder does not exist.", server=self.server, path=""
            )

    def _listdir(self, path):
        try:
            with os.scandir(self._full(path)) as it:
                found = []
                for entry in it:
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
                        found.append(
                            (entry.name, stat.S_ISDIR(st.st_mode), st.st_size, st.st_mtime)
                        )
                return found
        except OSError as error:
            raise self._error(error, path) from error

    def _read(self, path, size):
        try:
            fd = os.open(self._full(path), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                return f.read(size + 1)
        except OSError as error:
            raise self._error(error, path) from error

    def _rename(self, path, target):
        try:
            # link + unlink: never replaces a file already at target (rename would).
            os.link(self._full(path), self._full(target), follow_symlinks=False)
            os.unlink(self._full(path))
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP):
                raise self._error(error, path) from error
            try:
                if os.path.lexists(self._full(target)):
                    raise FileExistsError(errno.EEXIST, "exists")
                os.rename(self._full(path), self._full(target))
            except OSError as error2:
                raise self._error(error2, path) from error2

    def _makedirs(self, path):
        try:
            os.makedirs(self._full(path), exist_ok=True)
        except OSError as error:
            raise self._error(error, path) from error

    def _exists(self, path):
        return os.path.lexists(self._full(path))
