"""FTPES: FTP with explicit TLS (AUTH TLS, then PROT P), passive mode (ftplib.FTP_TLS).

The certificate is checked before the login is sent: against the pinned fingerprint when
there is one (a self-signed certificate is then fine), else against the system's
certificate authorities, unless ``allow_unverified`` is set (a self-signed certificate
accepted without a pin, as CodaBox allows on the office's side; its fingerprint is still
returned, to be pinned). Every data connection must present the same certificate as the
control connection.
"""

import ftplib
import hashlib
import logging
import socket
import ssl
from datetime import UTC, datetime

from .exceptions import (
    CertificateChanged,
    CertificateUntrusted,
    ConnectionDropped,
    DeliveryError,
    LoginRefused,
    PathMissing,
    PermissionRefused,
    ServerUnreachable,
)
from .source import TIMEOUT, DeliverySource, RemoteSourceMixin

_logger = logging.getLogger(__name__)
_REPLY_MAX = 200


def certificate_fingerprint(der):
    """SHA-256 of a DER certificate as OpenSSL prints it: ``SHA256:AB:CD:...``."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


class _PinnedFTP(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session and must
    show its certificate."""

    control_fingerprint = None

    def ntransfercmd(self, cmd, rest=None):
        # FTP.ntransfercmd, then TLS resuming the control connection's session: quicker,
        # and required by servers such as vsftpd (require_ssl_reuse).
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = getattr(self.sock, "session", None)
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        if self.control_fingerprint and isinstance(conn, ssl.SSLSocket):
            offered = certificate_fingerprint(conn.getpeercert(binary_form=True))
            if offered != self.control_fingerprint:
                conn.close()
                raise ssl.SSLError("the data connection shows another certificate")
        return conn, size


class FtpesSource(RemoteSourceMixin, DeliverySource):
    """An FTPES server; ``root`` is the folder of the tree ('' for the login folder).
    After ``connect``, ``certificate_fingerprint`` is the server's (to pin)."""

    def __init__(
        self,
        host,
        port=21,
        *,
        username,
        password,
        root="",
        certificate_fingerprint=None,
        allow_unverified=False,
        timeout=TIMEOUT,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.host, self.port, self.username = host, int(port), username
        self._password = password
        self.root = root.rstrip("/") if root not in ("", "/") else root
        self.pinned = certificate_fingerprint
        self.allow_unverified = allow_unverified
        self.timeout = timeout
        self.certificate_fingerprint = None
        self.server = f"ftpes://{host}:{self.port}"
        self._ftp = None

    def __repr__(self):
        return f"FtpesSource({self.server}, user={self.username!r}, root={self.root!r})"

    # -- session ---------------------------------------------------------------------------
    def _context(self, verify):
        if verify:
            return ssl.create_default_context()
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self, verify):
        ftp = _PinnedFTP(context=self._context(verify), timeout=self.timeout)
        try:
            ftp.connect(self.host, self.port, timeout=self.timeout)
        except (OSError, EOFError, ftplib.Error) as error:
            ftp.close()
            raise ServerUnreachable(
                f"{self.server} cannot be reached ({_reason(error)}).", server=self.server
            ) from error
        try:
            ftp.auth()
        except ssl.SSLCertVerificationError:
            ftp.close()
            raise
        except ftplib.error_perm as error:
            ftp.close()
            raise DeliveryError(
                f"{self.server} refused TLS (AUTH TLS: {_reply(error)}): FTPES is required.",
                server=self.server,
            ) from error
        except (OSError, EOFError, ftplib.Error) as error:
            ftp.close()
            raise ConnectionDropped(
                f"{self.server} dropped the connection while setting up TLS ({_reason(error)}).",
                server=self.server,
            ) from error
        return ftp

    def connect(self):
        self._made_folders = set()  # a new session: archive folders are checked again
        verify = not (self.pinned or self.allow_unverified)
        try:
            ftp = self._open(verify)
        except ssl.SSLCertVerificationError as error:
            # Read the fingerprint over an unverified connection that sends nothing else.
            offered = None
            try:
                probe = self._open(False)
                offered = certificate_fingerprint(probe.sock.getpeercert(binary_form=True))
                probe.close()
            except DeliveryError:
                pass
            raise CertificateUntrusted(
                f"{self.server} shows a certificate that cannot be verified "
                f"({error.verify_message}), fingerprint {offered}: pin it, or allow unverified "
                "certificates, if it is the server's.",
                server=self.server,
                offered=offered,
            ) from error
        offered = certificate_fingerprint(ftp.sock.getpeercert(binary_form=True))
        if self.pinned and offered.upper() != self.pinned.upper():
            ftp.close()
            raise CertificateChanged(
                f"{self.server} shows another certificate than the pinned one: pinned "
                f"{self.pinned}, now {offered}. Nothing was sent to it. If the server's "
                "certificate was really renewed, pin the new one.",
                server=self.server,
                pinned=self.pinned,
                offered=offered,
            )
        self.certificate_fingerprint = ftp.control_fingerprint = offered
        try:
            ftp.login(self.username, self._password)
        except ftplib.error_perm as error:
            ftp.close()
            raise LoginRefused(
                f"{self.server} refused the login of user {self.username!r} ({_reply(error)}).",
                server=self.server,
                username=self.username,
            ) from error
        except (OSError, EOFError, ftplib.Error) as error:
            ftp.close()
            raise ConnectionDropped(
                f"{self.server} dropped the connection at login ({_reason(error)}).",
                server=self.server,
            ) from error
        try:
            ftp.prot_p()
            ftp.set_pasv(True)
        except (OSError, EOFError, ftplib.Error) as error:
            ftp.close()
            raise ConnectionDropped(
                f"{self.server} refused to protect the data connections (PROT P: "
                f"{_reason(error)}).",
                server=self.server,
            ) from error
        self._ftp = ftp
        _logger.info("%s: logged in as %s", self.server, self.username)

    def close(self):
        if self._ftp is not None:
            try:
                self._ftp.quit()
            except (OSError, EOFError, ftplib.Error):
                self._ftp.close()
            self._ftp = None

    # -- primitives --------------------------------------------------------------------------
    def _call(self, what, path, method, *args):
        """``self._ftp.<method>(*args)`` (or ``method()`` when it is a function), its
        failures as ``DeliveryError``."""
        if self._ftp is None:
            raise ConnectionDropped(f"{self.server}: not connected.", server=self.server)
        try:
            return method() if callable(method) else getattr(self._ftp, method)(*args)
        except ftplib.error_perm as error:
            reply = _reply(error)
            what_path = path or "the root folder"
            if reply.startswith("550"):
                raise PathMissing(
                    f"{self.server}: {what} {what_path}: {reply}", server=self.server, path=path
                ) from error
            if reply.startswith("553") or reply.startswith("530"):
                raise PermissionRefused(
                    f"{self.server}: {what} {what_path}: {reply}", server=self.server, path=path
                ) from error
            raise DeliveryError(
                f"{self.server}: {what} {what_path}: {reply}", server=self.server, path=path
            ) from error
        except (OSError, EOFError, ftplib.error_temp, ftplib.error_proto, ftplib.error_reply) as e:
            self._ftp.close()
            self._ftp = None
            raise ConnectionDropped(
                f"{self.server} dropped the connection ({what} {path or 'the root folder'}: "
                f"{_reason(e)}).",
                server=self.server,
                path=path,
            ) from e

    def _listdir(self, path):
        try:
            facts = self._call(
                "listing",
                path,
                lambda: list(self._ftp.mlsd(self._full(path), ["type", "size", "modify"])),
            )
        except ConnectionDropped:
            raise
        except DeliveryError:
            # Servers answer a missing folder in more than one way (550, 501...).
            if not self._exists(path):
                raise PathMissing(
                    f"{self.server}: {path or 'the root folder'} does not exist.",
                    server=self.server,
                    path=path,
                ) from None
            raise
        found = []
        for name, fact in facts:
            kind = fact.get("type", "").lower()
            if kind not in ("file", "dir"):
                continue
            found.append(
                (
                    name.rsplit("/", 1)[-1],
                    kind == "dir",
                    int(fact.get("size", 0) or 0),
                    _mlsd_time(fact.get("modify")),
                )
            )
        return found

    def _read(self, path, size):
        chunks = []
        self._call("downloading", path, "retrbinary", f"RETR {self._full(path)}", chunks.append)
        return b"".join(chunks)

    def _rename(self, path, target):
        self._call("moving", path, "rename", self._full(path), self._full(target))

    def _makedirs(self, path):
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if not self._exists(sub):
                self._call("making the folder", sub, "mkd", self._full(sub))

    def _exists(self, path):
        try:
            self._call("looking for", path, "sendcmd", f"MLST {self._full(path)}")
        except PathMissing:
            return False
        return True


def _mlsd_time(value):
    if not value:
        return 0.0
    stamp = datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    fraction = float(f"0{value[14:]}") if value[14:].startswith(".") else 0.0
    return stamp.timestamp() + fraction


def _reply(error):
    return str(error).strip()[:_REPLY_MAX]


def _reason(error):
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, EOFError):
        return "connection closed"
    return (str(error).strip() or type(error).__name__)[:_REPLY_MAX]
