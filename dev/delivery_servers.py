"""Real SFTP and FTPES servers on 127.0.0.1, in threads: for the tests (tests/test_delivery.py,
tests/test_delivery_source.py) and the demo's SFTP server (dev/scripts/sftp_server.py).

``SftpServer``: paramiko's own server side (``ServerInterface``, ``SFTPServer``) over a local
folder, with password (and optionally public key) logins. ``FtpesServer``: pyftpdlib's
``TLS_FTPHandler`` (explicit TLS required on control and data connections, passive mode)
with a certificate made by ``self_signed_certificate``. Both serve a folder (``root``); the
SFTP server listens on the given ``port`` (a free one by default), the FTPES server on a
free port. ``drop_after`` (file name -> bytes) makes either
server cut the connection once that many bytes of that file were sent, as a network
failure would: the socket is shut down, no error reply is sent.
"""

import datetime
import ipaddress
import os
import socket
import threading
from contextlib import suppress

import paramiko
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

HOST = "127.0.0.1"


# -- SFTP ------------------------------------------------------------------------------------
class _SshServer(paramiko.ServerInterface):
    def __init__(self, owner, sock):
        self.owner, self.sock = owner, sock

    def get_allowed_auths(self, username):
        return "password,publickey"

    def check_auth_password(self, username, password):
        self.owner.logins.append(username)
        ok = (username, password) == (self.owner.username, self.owner.password)
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        self.owner.logins.append(username)
        ok = username == self.owner.username and any(
            key.asbytes() == k.asbytes() for k in self.owner.authorized_keys
        )
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _SftpHandle(paramiko.SFTPHandle):
    def __init__(self, ssh, name, flags=0):
        super().__init__(flags)
        self.ssh, self.name = ssh, name

    def read(self, offset, length):
        limit = self.ssh.owner.drop_after.get(self.name)
        if limit is not None and offset + length > limit:
            # A network failure: the socket goes, nothing more is said.
            with suppress(OSError):
                self.ssh.sock.shutdown(socket.SHUT_RDWR)
            self.ssh.sock.close()
            return paramiko.SFTP_CONNECTION_LOST
        return super().read(offset, length)


class _SftpFolder(paramiko.SFTPServerInterface):
    def __init__(self, ssh, *args, **kwargs):
        super().__init__(ssh, *args, **kwargs)
        self.ssh = ssh
        self.root = ssh.owner.root

    def _real(self, path):
        return os.path.join(self.root, self.canonicalize(path).lstrip("/"))

    def list_folder(self, path):
        real = self._real(path)
        try:
            return [
                paramiko.SFTPAttributes.from_stat(os.lstat(os.path.join(real, n)), n)
                for n in os.listdir(real)
            ]
        except OSError as e:
            return paramiko.SFTPServer.convert_errno(e.errno)

    def stat(self, path):
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._real(path)))
        except OSError as e:
            return paramiko.SFTPServer.convert_errno(e.errno)

    lstat = stat

    def open(self, path, flags, attr):
        if flags & (os.O_WRONLY | os.O_RDWR):
            return paramiko.SFTP_PERMISSION_DENIED
        try:
            f = open(self._real(path), "rb")
        except OSError as e:
            return paramiko.SFTPServer.convert_errno(e.errno)
        handle = _SftpHandle(self.ssh, os.path.basename(path), flags)
        handle.filename = self._real(path)
        handle.readfile = f
        return handle

    def rename(self, oldpath, newpath):
        if os.path.lexists(self._real(newpath)):
            return paramiko.SFTP_FAILURE
        try:
            os.rename(self._real(oldpath), self._real(newpath))
        except OSError as e:
            return paramiko.SFTPServer.convert_errno(e.errno)
        return paramiko.SFTP_OK

    def mkdir(self, path, attr):
        try:
            os.mkdir(self._real(path))
        except OSError as e:
            return paramiko.SFTPServer.convert_errno(e.errno)
        return paramiko.SFTP_OK


class SftpServer:
    """``with SftpServer(root) as server:`` serves ``root`` on ``server.port``; its host key's
    fingerprint (OpenSSH's SHA256 form, by paramiko) is ``server.fingerprint``; ``logins``
    records each login attempt's user name.

    ``host_key``: a paramiko private key, e.g. read from a file so that the fingerprint stays
    the same from one start to the next (a new ECDSA key by default); ``port``: the port to
    listen on (0, the default: a free one).
    """

    def __init__(self, root, *, username="office", password="s3cret-pw", host_key=None, port=0):
        self.root, self.username, self.password = str(root), username, password
        self.port = port
        self.host_key = host_key or paramiko.ECDSAKey.generate()
        self.fingerprint = self.host_key.fingerprint
        self.authorized_keys = []
        self.logins = []  # user names of the login attempts, in order
        self.drop_after = {}
        self._stop = threading.Event()
        self._transports = []

    def __enter__(self):
        self._listener = socket.create_server((HOST, self.port))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="test-sftp", daemon=True)
        self._thread.start()
        return self

    def _serve(self):
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            transport = paramiko.Transport(sock)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _SftpFolder)
            self._transports.append(transport)
            with suppress(paramiko.SSHException, EOFError, OSError):
                transport.start_server(server=_SshServer(self, sock))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        for transport in self._transports:
            transport.close()


# -- FTPES -----------------------------------------------------------------------------------
def self_signed_certificate(folder, common_name=HOST):
    """(certificate path, key path, certificate) of a new self-signed certificate for
    127.0.0.1, written in ``folder``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(folder, f"{common_name}-{cert.serial_number}.crt")
    key_path = cert_path[:-4] + ".key"
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path, cert


def certificate_sha256(cert):
    """``SHA256:AB:CD:...`` of a certificate, computed by cryptography (not by delivery/)."""
    return "SHA256:" + cert.fingerprint(hashes.SHA256()).hex(":").upper()


class _DroppingFile:
    """A file that cuts its FTP session once ``limit`` bytes of it were read."""

    def __init__(self, f, limit, handler):
        self._f, self._limit, self._handler, self._sent = f, limit, handler, 0
        self.name = f.name
        self.closed = False

    def read(self, size=-1):  # pylint: disable=method-required-super
        if self._sent >= self._limit:
            for channel in (self._handler.data_channel, self._handler):
                sock = getattr(channel, "socket", None)
                # pyOpenSSL's Connection: sock_shutdown is the socket's own shutdown.
                with suppress(Exception):
                    (getattr(sock, "sock_shutdown", None) or sock.shutdown)(socket.SHUT_RDWR)
            return b""
        data = self._f.read(min(size if size > 0 else self._limit, self._limit - self._sent))
        self._sent += len(data)
        return data

    def close(self):
        self.closed = True
        self._f.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


class FtpesServer:
    """``with FtpesServer(root, cert_path, key_path) as server:`` serves ``root`` by FTPES
    (TLS required on control and data connections) on ``server.port``."""

    def __init__(self, root, cert_path, key_path, *, username="office", password="s3cret-pw"):
        self.root, self.username, self.password = str(root), username, password
        self.drop_after = {}
        owner = self

        class _FS(AbstractedFS):
            def open(self, filename, mode):
                f = super().open(filename, mode)
                limit = owner.drop_after.get(os.path.basename(filename))
                return (
                    f
                    if limit is None or "r" not in mode
                    else _DroppingFile(f, limit, self.cmd_channel)
                )

        self.logins = []  # user names of the login attempts, in order

        class _Authorizer(DummyAuthorizer):
            def validate_authentication(self, username, password, handler):
                owner.logins.append(username)
                return super().validate_authentication(username, password, handler)

        authorizer = _Authorizer()
        authorizer.add_user(username, password, self.root, perm="elradfmwMT")
        self._handler = type(
            "TestTLSHandler",
            (TLS_FTPHandler,),
            {
                "certfile": cert_path,
                "keyfile": key_path,
                "authorizer": authorizer,
                "abstracted_fs": _FS,
                "tls_control_required": True,
                "tls_data_required": True,
                "use_sendfile": False,
                "auth_failed_timeout": 0,
                "log_prefix": "test-ftpes %(username)s",
            },
        )
        self._stop = threading.Event()

    def __enter__(self):
        # An IO loop of its own: pyftpdlib's default one is shared by every server.
        self._server = FTPServer((HOST, 0), self._handler, ioloop=IOLoop())
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="test-ftpes", daemon=True)
        self._thread.start()
        return self

    def _serve(self):
        # The server's own loop, one turn at a time (serve_forever would log at each call).
        while not self._stop.is_set():
            self._server.ioloop.loop(timeout=0.05, blocking=False)
        self._server.close_all()

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
