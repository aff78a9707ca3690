"""One exception per way a delivery source can fail, as codabox_client/exceptions.py does.

Each carries a stable machine ``code`` that the Odoo glue words for the user with ``_()``,
once per code; ``server`` names the server (``sftp://host:port``, ``ftpes://host:port`` or
``folder /path``) and ``path`` what it refused, when the failure is about one path. The
English ``message`` names both. None ever holds a secret: messages are built from host
names, ports, user names, paths and fingerprints, never from a password or a private key.
"""


class DeliveryError(Exception):
    """Base of every failure of a delivery source."""

    code = "deliveryError"

    def __init__(self, message, *, server=None, path=None):
        super().__init__(message)
        self.message = message
        self.server = server
        self.path = path

    def __str__(self):
        return self.message

    def __repr__(self):
        name = type(self).__name__
        return f"{name}(code={self.code!r}, server={self.server!r}, message={self.message!r})"


class ServerUnreachable(DeliveryError):
    """The server could not be reached: name unknown, connection refused, timeout."""

    code = "unreachable"


class LoginRefused(DeliveryError):
    """The server refused the login (user name, password or private key)."""

    code = "loginRefused"

    def __init__(self, message, *, server=None, username=None):
        super().__init__(message, server=server)
        self.username = username


class HostKeyChanged(DeliveryError):
    """The SFTP server's host key is not the pinned one: nothing was sent to it."""

    code = "hostKeyChanged"

    def __init__(self, message, *, server=None, pinned=None, offered=None):
        super().__init__(message, server=server)
        self.pinned = pinned
        self.offered = offered


class CertificateChanged(DeliveryError):
    """The FTPES server's certificate is not the pinned one: nothing was sent to it."""

    code = "certificateChanged"

    def __init__(self, message, *, server=None, pinned=None, offered=None):
        super().__init__(message, server=server)
        self.pinned = pinned
        self.offered = offered


class CertificateUntrusted(DeliveryError):
    """The FTPES certificate fails verification (e.g. self-signed) and is neither pinned nor
    explicitly allowed; ``offered`` is its fingerprint, to be shown and pinned."""

    code = "certificateUntrusted"

    def __init__(self, message, *, server=None, offered=None):
        super().__init__(message, server=server)
        self.offered = offered


class ConnectionDropped(DeliveryError):
    """The connection was lost during a session (listing, download, move): whatever was being
    downloaded is not returned."""

    code = "connectionDropped"


class PathMissing(DeliveryError):
    """The root folder, or a file just listed, is not on the server (anymore)."""

    code = "pathMissing"


class PermissionRefused(DeliveryError):
    """The server refused to list or read a path."""

    code = "permissionRefused"


class FileChanged(DeliveryError):
    """The file's size differs from its listing: it is still being written; left for the next
    run, nothing of it is returned."""

    code = "fileChanged"


class FileTooLarge(DeliveryError):
    """The file is larger than the source's ``max_file_bytes``: not downloaded."""

    code = "fileTooLarge"


class ArchiveFailed(DeliveryError):
    """The file could not be moved to the archive folder. It stays where it is and comes again
    in the next listing, with the same identity: the caller's ledger keeps it from being
    imported twice (see the package's docstring)."""

    code = "archiveFailed"

    def __init__(self, message, *, server=None, path=None, target=None):
        super().__init__(message, server=server, path=path)
        self.target = target
