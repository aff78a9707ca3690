#!/usr/bin/env python3
"""Serve a folder by SFTP on 127.0.0.1 until SIGINT or SIGTERM: the demo's CodaBox delivery.

Usage: sftp_server.py --root DIR --port N --username U --password P --host-key FILE

The server is dev/delivery_servers.py's ``SftpServer`` (paramiko's server side), the one the
tests use: password logins, files read, renamed and folders made (the archive), no writes.
Its host key is FILE: made once (ECDSA, OpenSSH's PEM form, readable by the user only), read
at each later start, so that the key Odoo pinned at its first connection stays the server's
from one demo to the next. Prints one line, ``listening on 127.0.0.1:N, host key SHA256:...``,
once it accepts connections.
"""

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

import paramiko

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the addon's root

from dev.delivery_servers import HOST, SftpServer


def host_key(path):
    """The key in ``path``, or a new ECDSA key written there (0600) and returned."""
    path = Path(path)
    if path.exists():
        return paramiko.ECDSAKey.from_private_key_file(str(path))
    key = paramiko.ECDSAKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        key.write_private_key(file)
    os.replace(tmp, path)
    return key


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the folder served (made if missing)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument(
        "--host-key", required=True, help="the server's private key: made once, then reused"
    )
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    os.makedirs(args.root, exist_ok=True)
    server = SftpServer(
        args.root,
        username=args.username,
        password=args.password,
        host_key=host_key(args.host_key),
        port=args.port,
    )
    try:
        server.__enter__()
    except OSError as error:
        print(f"sftp_server: cannot listen on {HOST}:{args.port}: {error}", file=sys.stderr)
        return 1
    try:
        print(
            f"sftp_server: listening on {HOST}:{server.port}, host key {server.fingerprint}, "
            f"serving {os.path.abspath(args.root)}",
            flush=True,
        )
        while not stop.wait(1):
            pass
    finally:
        server.__exit__(None, None, None)
    print("sftp_server: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
