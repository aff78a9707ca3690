"""SFTP (paramiko): CodaBox's secured space, or the office's own SFTP server.

The server's host key is checked before any credential is sent: at the first connection
(no pin) it is accepted and its fingerprint returned in ``host_key_fingerprint`` (SHA256 as
OpenSSH prints it, ``SHA256:base64``) for the caller to pin; afterwards another key raises
``HostKeyChanged`` with both fingerprints. Authentication is by password or private key
(OpenSSH or PEM text, with its passphrase if any).
"""

import base64
import errno
import hashlib
import io
import logging
import socket
import stat

import paramiko

from .exceptions import (
    ConnectionDropped,
    DeliveryError,
    HostKeyChanged,
    LoginRefused,
    PathMissing,
    PermissionRefused,
    ServerUnreachable,
)
from .source import TIMEOUT, DeliverySource, RemoteSourceMixin

_logger = logging.getLogger(__name__)
_KEY_TYPES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)
# Transport errors: whatever paramiko raises when the connection goes away mid-call.
_DROPS = (paramiko.SSHException, EOFError, socket.timeout, TimeoutError, ConnectionError)


def host_key_fingerprint(key):
    """``SHA256:...`` of a paramiko key, as ``ssh-keygen -l`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_private_key(text, passphrase=None):
    """A paramiko key from its text (OpenSSH or PEM), whatever its type."""
    for key_type in _KEY_TYPES:
        try:
            return key_type.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError):
            continue
    raise ValueError("the private key cannot be read (type unsupported or wrong passphrase)")


class SftpSource(RemoteSourceMixin, DeliverySource):
    """An SFTP server; ``root`` is the folder of the tree ('' for the login folder)."""

    def __init__(
        self,
        host,
        port=22,
        *,
        username,
        password=None,
        private_key=None,
        passphrase=None,
        root="",
        host_key_fingerprint=None,
        timeout=TIMEOUT,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.host, self.port, self.username = host, int(port), username
        self._password, self._private_key, self._passphrase = password, private_key, passphrase
        self.root = root.rstrip("/") if root not in ("", "/") else root
        self.pinned = host_key_fingerprint
        self.timeout = timeout
        self.host_key_fingerprint = None
        self.server = f"sftp://{host}:{self.port}"
        self._transport = None
        self._sftp = None

    def __repr__(self):
        return f"SftpSource({self.server}, user={self.username!r}, root={self.root!r})"

    # -- session ---------------------------------------------------------------------------
    def connect(self):
        self._made_folders = set()  # a new session: archive folders are checked again
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as error:
            raise ServerUnreachable(
                f"{self.server} cannot be reached ({_reason(error)}).", server=self.server
            ) from error
        transport = paramiko.Transport(sock)
        transport.banner_timeout = transport.handshake_timeout = self.timeout
        transport.auth_timeout = self.timeout
        try:
            try:
                transport.start_client(timeout=self.timeout)
            except (*_DROPS, OSError) as error:
                raise ConnectionDropped(
                    f"{self.server} closed the connection during the SSH handshake "
                    f"({_reason(error)}).",
                    server=self.server,
                ) from error
            offered = host_key_fingerprint(transport.get_remote_server_key())
            if self.pinned and offered != self.pinned:
                raise HostKeyChanged(
                    f"{self.server} shows another host key than the pinned one: pinned "
                    f"{self.pinned}, now {offered}. Nothing was sent to it. If the server's "
                    "key was really changed, pin the new one.",
                    server=self.server,
                    pinned=self.pinned,
                    offered=offered,
                )
            self.host_key_fingerprint = offered
            self._authenticate(transport)
            try:
                self._sftp = paramiko.SFTPClient.from_transport(transport)
                self._sftp.get_channel().settimeout(self.timeout)
            except (*_DROPS, OSError) as error:
                raise ConnectionDropped(
                    f"{self.server} refused the SFTP session ({_reason(error)}).",
                    server=self.server,
                ) from error
        except BaseException:
            transport.close()
            raise
        self._transport = transport
        _logger.info("%s: logged in as %s (host key %s)", self.server, self.username, offered)

    def _authenticate(self, transport):
        refused = LoginRefused(
            f"{self.server} refused the login of user {self.username!r}.",
            server=self.server,
            username=self.username,
        )
        try:
            if self._private_key:
                key = load_private_key(self._private_key, self._passphrase)
                transport.auth_publickey(self.username, key)
            else:
                transport.auth_password(self.username, self._password or "")
        except (paramiko.AuthenticationException, ValueError) as error:
            raise refused from error
        except (*_DROPS, OSError) as error:
            raise ConnectionDropped(
                f"{self.server} dropped the connection at login ({_reason(error)}).",
                server=self.server,
            ) from error
        if not transport.is_authenticated():
            raise refused

    def close(self):
        if self._sftp is not None:
            self._sftp.close()
            self._sftp = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # -- primitives --------------------------------------------------------------------------
    def _call(self, what, path, method, *args):
        """``self._sftp.<method>(*args)`` (or ``method()`` when it is a function), its
        failures as ``DeliveryError``."""
        if self._sftp is None:
            raise ConnectionDropped(f"{self.server}: not connected.", server=self.server)
        what_path = f"{what} {path or 'the root folder'}"
        try:
            return method() if callable(method) else getattr(self._sftp, method)(*args)
        except (*_DROPS, OSError) as error:
            alive = self._transport is not None and self._transport.is_active()
            if not alive or isinstance(error, _DROPS):
                self.close()
                raise ConnectionDropped(
                    f"{self.server} dropped the connection ({what_path}: {_reason(error)}).",
                    server=self.server,
                    path=path,
                ) from error
            if getattr(error, "errno", None) == errno.ENOENT:
                raise PathMissing(
                    f"{self.server}: {what_path}: no such file or folder.",
                    server=self.server,
                    path=path,
                ) from error
            if getattr(error, "errno", None) == errno.EACCES:
                raise PermissionRefused(
                    f"{self.server}: {what_path}: permission denied.",
                    server=self.server,
                    path=path,
                ) from error
            raise DeliveryError(
                f"{self.server}: {what_path}: {_reason(error)}.", server=self.server, path=path
            ) from error

    def _listdir(self, path):
        found = []
        for attr in self._call("listing", path, "listdir_attr", self._full(path)):
            mode = attr.st_mode or 0
            if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
                found.append(
                    (attr.filename, stat.S_ISDIR(mode), attr.st_size or 0, attr.st_mtime or 0)
                )
        return found

    def _read(self, path, size):
        def read():
            with self._sftp.open(self._full(path), "rb") as f:
                f.prefetch(size)
                return f.read(size + 1)

        content = self._call("downloading", path, read)
        if len(content) < size and not (self._transport and self._transport.is_active()):
            self.close()
            raise ConnectionDropped(
                f"{self.server} dropped the connection (downloading {path}: {len(content)} of "
                f"{size} bytes came).",
                server=self.server,
                path=path,
            )
        return content

    def _rename(self, path, target):
        self._call("moving", path, "rename", self._full(path), self._full(target))

    def _makedirs(self, path):
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if not self._exists(sub):
                self._call("making the folder", sub, "mkdir", self._full(sub))

    def _exists(self, path):
        try:
            self._call("looking for", path, "lstat", self._full(path))
        except PathMissing:
            return False
        return True


def _reason(error):
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, EOFError):
        return "connection closed"
    text = str(error).strip() or type(error).__name__
    return text[:200]
