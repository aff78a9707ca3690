"""delivery/ against real servers on 127.0.0.1 (dev/delivery_servers.py): paramiko's SFTP
server, pyftpdlib's FTPES server, and a local folder. No mock anywhere.

Most tests run on the three sources (the ``served`` fixture). ``collect`` below is the
caller's side of the contract the package's docstring documents (ledger first, archive
after), written here as the Odoo glue is to follow it.
"""

import hashlib
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from ..delivery import (
    ArchiveFailed,
    CertificateChanged,
    CertificateUntrusted,
    ConnectionDropped,
    FileChanged,
    FtpesSource,
    HostKeyChanged,
    Layout,
    LocalFolderSource,
    LoginRefused,
    PathMissing,
    ScanState,
    SftpSource,
    scan,
)
from ..dev.delivery_servers import (
    HOST,
    FtpesServer,
    SftpServer,
    certificate_sha256,
    self_signed_certificate,
)

PASSWORD = "s3cret-pw"
LAYOUT = Layout()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write(root, path, content):
    full = Path(root, path)
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(content)
    return full


def tree(root):
    """{path: bytes} of every file below root."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(Path(root).rglob("*"))
        if p.is_file()
    }


def collect(source, ledger, imported, *, known_codes=None, previous=None):
    """The caller's run: store (ledger) and import what is new, then archive; a file whose
    identity is in the ledger is archived again, never imported again."""
    result = scan(source, LAYOUT, previous=previous, known_codes=known_codes, settle=0)
    failures = []
    for file in result.ready_files():
        fetched = source.fetch(file)
        if fetched.file.identity not in ledger:
            ledger[fetched.file.identity] = fetched.content
            imported.append(fetched.file.identity)
        try:
            source.archive(fetched.file, LAYOUT)
        except ArchiveFailed as error:
            failures.append(error)
    return result, failures


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(str(tmp_path_factory.mktemp("certificate")))


@dataclass
class Served:
    kind: str
    root: Path
    server: object
    fingerprint: str | None

    def source(self, **overrides):
        if self.kind == "sftp":
            options = {"username": "office", "password": PASSWORD, "timeout": 10}
            options.update(overrides)
            return SftpSource(HOST, self.server.port, **options)
        if self.kind == "ftpes":
            options = {
                "username": "office",
                "password": PASSWORD,
                "certificate_fingerprint": self.fingerprint,
                "timeout": 10,
            }
            options.update(overrides)
            return FtpesSource(HOST, self.server.port, **options)
        return LocalFolderSource(self.root, **overrides)


def _served(kind, tmp_path, certificate):
    root = tmp_path / "delivery"
    root.mkdir()
    if kind == "sftp":
        with SftpServer(root, password=PASSWORD) as server:
            yield Served(kind, root, server, server.fingerprint)
    elif kind == "ftpes":
        cert_path, key_path, cert = certificate
        with FtpesServer(root, cert_path, key_path, password=PASSWORD) as server:
            yield Served(kind, root, server, certificate_sha256(cert))
    else:
        yield Served(kind, root, None, None)


@pytest.fixture(params=["sftp", "ftpes", "local"])
def served(request, tmp_path, certificate):
    yield from _served(request.param, tmp_path, certificate)


@pytest.fixture(params=["sftp", "ftpes"])
def remote(request, tmp_path, certificate):
    yield from _served(request.param, tmp_path, certificate)


CODA_A = b"0000001012500005        0000000000000000000000 BE0428759497 00000\n" * 3
CODA_B = b"0000002012500005        0000000000000000000000 BE0428759497 00000\n" * 5
PDF_A = b"%PDF-1.4 statement A\n" + os.urandom(200_000)
CODA_C = b"0000003012500005        0000000000000000000000 BE0202239951 00000\n" * 4
PDF_C = b"%PDF-1.4 statement C\n"
SODA = b"<SocialDocument/>"


def deliver_tree(root):
    write(root, "1234/CODA/BE68539007547034_2025_001.cod", CODA_A)
    write(root, "1234/CODA/BE68539007547034_2025_001.pdf", PDF_A)
    write(root, "1234/CODA/BE68539007547034_2025_002.cod", CODA_B)  # no PDF
    write(root, "5678/coda/ST_0003.COD", CODA_C)
    write(root, "5678/PDF/ST_0003.pdf", PDF_C)  # its PDF apart, paired by name
    write(root, "5678/SODA/social_0001.xml", SODA)
    write(root, "5678/OTHER/notes.txt", b"?")  # a file-type folder the layout does not know
    write(root, "readme.txt", b"stray")


def test_first_collection_of_several_client_codes(served):
    deliver_tree(served.root)
    with served.source() as source:
        if served.kind == "sftp":
            assert source.host_key_fingerprint == served.fingerprint
        if served.kind == "ftpes":
            assert source.certificate_fingerprint == served.fingerprint
        result = scan(source, LAYOUT, known_codes={"1234", "5678"}, settle=0)
        assert sorted(result.ready) == ["1234", "5678"]
        assert [(f.path, f.kind, f.size) for f in result.ready["1234"]] == [
            ("1234/CODA/BE68539007547034_2025_001.cod", "coda", len(CODA_A)),
            ("1234/CODA/BE68539007547034_2025_001.pdf", "coda_pdf", len(PDF_A)),
            ("1234/CODA/BE68539007547034_2025_002.cod", "coda", len(CODA_B)),
        ]
        assert [(f.path, f.kind) for f in result.ready["5678"]] == [
            ("5678/PDF/ST_0003.pdf", "coda_pdf"),
            ("5678/SODA/social_0001.xml", "soda"),
            ("5678/coda/ST_0003.COD", "coda"),
        ]
        assert result.unrecognised == ["5678/OTHER/notes.txt", "readme.txt"]
        assert result.pending == [] and result.unknown == {}
        assert all(f.mtime > 0 and f.digest is None for f in result.ready_files())
        a1, _, a2 = result.ready["1234"]
        assert result.pdf_for(a1).name == "BE68539007547034_2025_001.pdf"
        assert result.pdf_for(a2) is None
        assert result.pdf_for(result.ready["5678"][2]).path == "5678/PDF/ST_0003.pdf"

        fetched = source.fetch(a1)
        assert fetched.content == CODA_A and fetched.file.digest == sha256(CODA_A)
        assert fetched.file.identity == f"1234/coda/{a1.name}/{len(CODA_A)}/{sha256(CODA_A)}"
        assert source.fetch(result.pdf_for(a1)).content == PDF_A

        ledger, imported = {}, []
        _, failures = collect(source, ledger, imported, known_codes={"1234", "5678"})
        assert failures == [] and len(imported) == 6
        # Archived under the same path; only what the layout does not know stays.
        assert tree(served.root) == {
            "archive/1234/CODA/BE68539007547034_2025_001.cod": CODA_A,
            "archive/1234/CODA/BE68539007547034_2025_001.pdf": PDF_A,
            "archive/1234/CODA/BE68539007547034_2025_002.cod": CODA_B,
            "archive/5678/coda/ST_0003.COD": CODA_C,
            "archive/5678/PDF/ST_0003.pdf": PDF_C,
            "archive/5678/SODA/social_0001.xml": SODA,
            "5678/OTHER/notes.txt": b"?",
            "readme.txt": b"stray",
        }
        again = scan(source, LAYOUT, settle=0)
        assert again.ready == {} and again.pending == []


def test_a_file_still_being_written_waits_for_the_next_run(served):
    write(served.root, "1234/CODA/done.cod", CODA_A)
    write(served.root, "1234/CODA/.hidden.cod", CODA_B)  # a leading dot: being written
    write(served.root, "1234/CODA/next.cod.part", CODA_B[:10])
    write(served.root, "1234/CODA/next.pdf.tmp", b"%PDF")
    growing = write(served.root, "1234/CODA/growing.cod", CODA_C[:50])

    def more_bytes():  # CodaBox writing between the two listings of the run
        with growing.open("ab") as f:
            f.write(CODA_C[50:])

    with served.source() as source:
        result = scan(source, LAYOUT, settle=more_bytes)
        assert [f.path for f in result.ready_files()] == ["1234/CODA/done.cod"]
        assert sorted((f.path, f.kind) for f in result.pending) == [
            ("1234/CODA/.hidden.cod", "coda"),
            ("1234/CODA/growing.cod", "coda"),
            ("1234/CODA/next.cod.part", "coda"),
            ("1234/CODA/next.pdf.tmp", "coda_pdf"),
        ]
        # The next run: growing.cod did not change since the stored listing, it is ready
        # without a second listing; the temporary names still wait.
        state = ScanState.from_json(result.state.to_json())

        def not_called():
            raise AssertionError("no second listing: nothing changed")

        Path(served.root, "1234/CODA/done.cod").unlink()
        result = scan(source, LAYOUT, previous=state, settle=not_called)
        assert [f.path for f in result.ready_files()] == ["1234/CODA/growing.cod"]
        assert len(result.pending) == 3
        # A file that grows after its listing is refused whole at download.
        listed = result.ready_files()[0]
        with growing.open("ab") as f:
            f.write(b"more")
        with pytest.raises(FileChanged) as caught:
            source.fetch(listed)
        assert caught.value.code == "fileChanged" and caught.value.path == listed.path


def test_unknown_client_codes_are_reported_grouped(served):
    write(served.root, "1234/CODA/a.cod", CODA_A)
    write(served.root, "4321/CODA/x.cod", CODA_B)
    write(served.root, "4321/CODA/x.pdf", PDF_C)
    write(served.root, "9999/SODA/s.xml", SODA)
    with served.source() as source:
        result = scan(source, LAYOUT, known_codes=["1234"], settle=0)
    assert [f.path for f in result.ready_files()] == ["1234/CODA/a.cod"]
    assert {code: [f.name for f in files] for code, files in result.unknown.items()} == {
        "4321": ["x.cod", "x.pdf"],
        "9999": ["s.xml"],
    }
    assert tree(served.root)["4321/CODA/x.cod"] == CODA_B  # left in place


def test_wrong_password_is_refused_by_the_server(remote, caplog):
    caplog.set_level(logging.DEBUG)
    source = remote.source(password="not-the-password")
    with pytest.raises(LoginRefused) as caught:
        source.connect()
    error = caught.value
    assert error.code == "loginRefused" and error.username == "office"
    assert error.server == f"{remote.kind}://{HOST}:{remote.server.port}"
    assert "refused the login of user 'office'" in error.message
    assert remote.server.logins == ["office"]  # the server did refuse it
    for text in (str(error), repr(error), repr(source), caplog.text):
        assert "not-the-password" not in text and PASSWORD not in text
    with remote.source() as source:  # the right one is accepted
        assert scan(source, LAYOUT, settle=0).ready == {}


def test_private_key_login(tmp_path, certificate):
    for served in _served("sftp", tmp_path, certificate):
        key = paramiko.RSAKey.generate(2048)
        served.server.authorized_keys.append(key)
        other = paramiko.RSAKey.generate(2048)
        write(served.root, "1234/CODA/a.cod", CODA_A)
        for k, ok in ((key, True), (other, False)):
            text = _key_text(k)
            source = served.source(password=None, private_key=text)
            if ok:
                with source:
                    assert len(scan(source, LAYOUT, settle=0).ready_files()) == 1
            else:
                with pytest.raises(LoginRefused):
                    source.connect()


def _key_text(key):
    out = io.StringIO()
    key.write_private_key(out)
    return out.getvalue()


def test_changed_host_key_stops_before_login(tmp_path, certificate, caplog):
    for first in _served("sftp", tmp_path, certificate):
        with first.source() as source:
            pinned = source.host_key_fingerprint
        assert pinned == first.server.fingerprint
        # Same place, the server now shows another key (reinstalled, or someone in between).
        with SftpServer(first.root, password=PASSWORD) as impostor:
            assert impostor.fingerprint != pinned
            source = SftpSource(
                HOST, impostor.port, username="office", password=PASSWORD,
                host_key_fingerprint=pinned, timeout=10,
            )  # fmt: skip
            with pytest.raises(HostKeyChanged) as caught:
                source.connect()
            error = caught.value
            assert error.code == "hostKeyChanged"
            assert (error.pinned, error.offered) == (pinned, impostor.fingerprint)
            assert pinned in error.message and impostor.fingerprint in error.message
            assert impostor.logins == []  # no credential was sent
            assert PASSWORD not in caplog.text
        # The pinned key is accepted again.
        pinned_source = first.source(host_key_fingerprint=pinned)
        with pinned_source:
            assert pinned_source.host_key_fingerprint == pinned


def test_ftpes_certificate_pinned_untrusted_or_allowed(tmp_path, certificate):
    for served in _served("ftpes", tmp_path, certificate):
        # Self-signed, neither pinned nor allowed: refused, its fingerprint offered to pin.
        with pytest.raises(CertificateUntrusted) as caught:
            served.source(certificate_fingerprint=None).connect()
        assert caught.value.code == "certificateUntrusted"
        assert caught.value.offered == served.fingerprint
        # Explicitly allowed: accepted, fingerprint returned.
        with served.source(certificate_fingerprint=None, allow_unverified=True) as source:
            assert source.certificate_fingerprint == served.fingerprint
        assert served.server.logins == ["office"]  # only the allowed one logged in
        # Another certificate than the pinned one: refused before the login.
        cert_path, key_path, other = self_signed_certificate(str(tmp_path))
        with FtpesServer(served.root, cert_path, key_path, password=PASSWORD) as impostor:
            source = FtpesSource(
                HOST, impostor.port, username="office", password=PASSWORD,
                certificate_fingerprint=served.fingerprint, timeout=10,
            )  # fmt: skip
            with pytest.raises(CertificateChanged) as caught:
                source.connect()
            error = caught.value
            assert error.code == "certificateChanged"
            assert (error.pinned, error.offered) == (served.fingerprint, certificate_sha256(other))
            assert served.fingerprint in error.message and error.offered in error.message
            assert impostor.logins == []


def test_dropped_connection_mid_download_returns_nothing(remote):
    big = os.urandom(600_000)
    write(remote.root, "1234/CODA/big.pdf", big)
    write(remote.root, "1234/CODA/big.cod", CODA_A)
    remote.server.drop_after["big.pdf"] = 100_000
    with remote.source() as source:
        result = scan(source, LAYOUT, settle=0)
        pdf = result.pdf_for(result.ready["1234"][0])
        with pytest.raises(ConnectionDropped) as caught:
            source.fetch(pdf)
        assert caught.value.code == "connectionDropped" and caught.value.path == pdf.path
        with pytest.raises(ConnectionDropped):  # the session is over, it says so
            source.fetch(result.ready["1234"][0])
    # Next run: the file is still there, whole, and comes whole.
    remote.server.drop_after.clear()
    with remote.source() as source:
        result = scan(source, LAYOUT, previous=result.state, settle=0)
        fetched = source.fetch(result.pdf_for(result.ready["1234"][0]))
        assert fetched.content == big and fetched.file.digest == sha256(big)


def test_archive_move_failing_never_imports_twice(served):
    write(served.root, "1234/CODA/a.cod", CODA_A)
    write(served.root, "1234/CODA/b.cod", CODA_B)
    write(served.root, "archive", b"a file where the archive folder should be")
    ledger, imported = {}, []
    with served.source() as source:
        _, failures = collect(source, ledger, imported)
    assert len(imported) == 2
    assert [(e.code, e.path, e.target) for e in failures] == [
        ("archiveFailed", "1234/CODA/a.cod", "archive/1234/CODA/a.cod"),
        ("archiveFailed", "1234/CODA/b.cod", "archive/1234/CODA/b.cod"),
    ]
    assert "it stays in place" in failures[0].message
    assert tree(served.root)["1234/CODA/a.cod"] == CODA_A  # not moved, not lost
    # The next run lists them again, with the same identities: not imported again.
    with served.source() as source:
        _, failures = collect(source, ledger, imported)
    assert len(imported) == 2 and len(failures) == 2
    # Once the archive can be made, they go there, still imported once.
    Path(served.root, "archive").unlink()
    with served.source() as source:
        _, failures = collect(source, ledger, imported)
    assert failures == [] and len(imported) == 2
    assert sorted(tree(served.root)) == ["archive/1234/CODA/a.cod", "archive/1234/CODA/b.cod"]


def test_same_file_delivered_twice_has_the_same_identity(served):
    write(served.root, "1234/CODA/a.cod", CODA_A)
    ledger, imported = {}, []
    with served.source() as source:
        collect(source, ledger, imported)
    (first,) = imported
    # CodaBox delivers it again: same name, same bytes; then under another name.
    write(served.root, "1234/CODA/a.cod", CODA_A)
    with served.source() as source:
        result = scan(source, LAYOUT, settle=0)
        again = source.fetch(result.ready_files()[0]).file
        assert again.identity == first
        collect(source, ledger, imported)
    assert imported == [first]
    # Archived beside the first copy, which stays untouched.
    assert tree(served.root) == {
        "archive/1234/CODA/a.cod": CODA_A,
        "archive/1234/CODA/a.1.cod": CODA_A,
    }
    write(served.root, "1234/CODA/a-copy.cod", CODA_A)
    with served.source() as source:
        renamed = source.fetch(scan(source, LAYOUT, settle=0).ready_files()[0]).file
    assert renamed.identity != first and renamed.content_key == again.content_key
    # A different file under the first name is another identity.
    write(served.root, "1234/CODA/a.cod", CODA_B)
    with served.source() as source:
        listed = scan(source, LAYOUT, settle=0).ready["1234"]
        other = source.fetch(next(f for f in listed if f.name == "a.cod")).file
    assert other.name == "a.cod" and other.identity != first


def test_missing_root_folder(served):
    if served.kind == "local":
        with pytest.raises(PathMissing) as caught:
            LocalFolderSource(served.root / "nowhere").connect()
    else:
        with served.source(root="nowhere") as source, pytest.raises(PathMissing) as caught:
            scan(source, LAYOUT, settle=0)
    assert caught.value.code == "pathMissing"


def test_a_backlog_of_2000_files(remote):
    contents = {}
    for i in range(2000):
        code = ("1234", "5678", "0042", "7777")[i % 4]
        path = f"{code}/CODA/ST_{i:05d}.cod"
        contents[path] = f"{i:05d}".encode() * (1 + i % 7)
        write(remote.root, path, contents[path])
    with remote.source() as source:
        result = scan(source, LAYOUT, settle=0)
        assert len(result.ready_files()) == 2000 and sorted(result.ready) == [
            "0042", "1234", "5678", "7777",
        ]  # fmt: skip
        digests = {f.path: source.fetch(f).file.digest for f in result.ready_files()}
    assert digests == {path: sha256(content) for path, content in contents.items()}
