"""CodaBox's file delivery by (S)FTP: pure Python (paramiko, ftplib), no Odoo.

CodaBox delivers files in two ways besides its API (notes.md, "File delivery"): from its own
secured space (SFTP or FTPES, collected daily) or pushed to the office's side (its SFTP or
FTPES server, or a folder on the Odoo server where the push lands). Three sources read them:
``SftpSource``, ``FtpesSource``, ``LocalFolderSource``.

The tree (default ``Layout``), below the source's root::

    <client code>/            one folder per CodaBox client, named by its client code
        CODA/                 the CODA files (*.cod, *.coda) and their PDF (*.pdf)
        PDF/ or CODA_PDF/     CODA PDFs delivered apart (kind coda_pdf as well)
        XML/, CODA_XML/, CAMT/  the statements in XML (kind coda_xml)
        SODA/                 social documents (*.xml, *.pdf)
        PURCHASE*/, INVOICES*/  purchase invoices; SALES*/ sales invoices
    archive/                  where imported files are moved, under the same path

Folder names and file names are matched without regard to case, as shell patterns
(``KindRule``); ``Layout(rules=..., archive=..., temporary=...)`` adjusts all three. File
names are CodaBox's, untouched. A CODA file's PDF is the ``coda_pdf`` file of the same
client code whose name differs only by its extension (``Scan.pdf_for``).

One run::

    with SftpSource(host, port, username=..., password=..., root=...,
                    host_key_fingerprint=pinned) as source:
        pinned = pinned or source.host_key_fingerprint        # first connection: pin it
        result = scan(source, layout, previous=ScanState.from_json(stored_state),
                      known_codes=company_codes)
        stored_state = result.state.to_json()
        report(result.unknown)        # {client code: [files]}: no company has these codes
        for file in result.ready_files():
            fetched = source.fetch(file)                      # whole, with its digest
            if fetched.file.identity not in ledger:
                store_in_ledger(fetched)                      # committed before archiving
                import_it(fetched)
            source.archive(fetched.file, layout)              # may raise ArchiveFailed

Only complete files are ready: a temporary name (``.x``, ``*.part``, ``*.tmp``...), or a size
or modification time that changed between two listings (the caller's ``previous`` one, or
one made ``settle`` seconds later), leaves a file in ``pending`` for the next run; a file
whose download brings another size than listed raises ``FileChanged``, and a dropped
connection ``ConnectionDropped``: nothing half-fetched is ever returned.

The contract with the caller's ledger. ``DeliveredFile.identity`` (client code, kind, name,
size and SHA-256 digest) is stable: the same file listed again, because its move to the
archive failed or because CodaBox delivered it again, has the same identity
(``content_key`` leaves the name out, for the same content under another name). The caller
stores the identity in its ledger when it stores the file, in the same transaction, and
only then archives it. A file whose identity is in the ledger is never imported again: it is
archived again, or left in place when the archive move keeps failing (``ArchiveFailed``,
reported, never a reason to import). So the archive only keeps the tree short; the ledger
is what prevents double imports.

Security: an SFTP host key is returned at the first connection (``host_key_fingerprint``,
``SHA256:...`` as OpenSSH prints it) and pinned by the caller; another key raises
``HostKeyChanged`` before any credential is sent. An FTPES certificate is verified by the
system's authorities, or pinned by its SHA-256 fingerprint (a self-signed one then works),
or accepted unverified only when ``allow_unverified`` says so. Passwords and keys are never
logged nor put in an exception or a repr. Errors are ``DeliveryError`` subclasses with a
``code`` (delivery/exceptions.py) for the Odoo side to word.
"""

from .exceptions import (
    ArchiveFailed,
    CertificateChanged,
    CertificateUntrusted,
    ConnectionDropped,
    DeliveryError,
    FileChanged,
    FileTooLarge,
    HostKeyChanged,
    LoginRefused,
    PathMissing,
    PermissionRefused,
    ServerUnreachable,
)
from .ftpes import FtpesSource, certificate_fingerprint
from .local import LocalFolderSource
from .sftp import SftpSource, host_key_fingerprint
from .source import DeliverySource
from .tree import (
    DEFAULT_LAYOUT,
    DEFAULT_RULES,
    DeliveredFile,
    FetchedFile,
    KindRule,
    Layout,
    Scan,
    ScanState,
    scan,
)
