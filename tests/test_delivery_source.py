"""CodaBox's file delivery in Odoo (codabox.delivery.source): the files of real SFTP and
FTPES servers and of a folder, on 127.0.0.1 (dev/delivery_servers.py), collected, put
through the ledger (codabox.document), imported as statements and archived.

The pure part (listing, complete files, fetching whole, archiving) is tested in
test_delivery; here is what Odoo adds: the companies by client code, the ledger that never
imports a file twice, the pinned key, the messages, the daily job and the button.
"""

import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import new_test_user, tagged

from ..dev.codagen import generate_soda, generate_statements, write_coda, write_soda
from ..dev.delivery_servers import FtpesServer, SftpServer, self_signed_certificate
from .common import PDF, BelgianCompanyCase
from .parties import CLIENT_A_VAT

IBAN_A = "BE62510007547061"
IBAN_B = "BE35310123456737"
PASSWORD = "s3cret-pw"


def coda(iban, day, seed=0):
    """A CODA file of one statement of ``iban`` on that day of November 2026."""
    return write_coda(
        generate_statements(
            iban=iban,
            holder_name="Client",
            start_date=date(2026, 11, day),
            movements_per_statement=3,
            seed=seed,
            first_coda_sequence=day,
        )
    )


@tagged("post_install", "-at_install")
class TestDeliverySource(BelgianCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls._create_belgian_company("Client B by file")
        cls.env.user.company_ids |= cls.company_b
        cls.company_a.codabox_client_code = "1111"
        cls.company_b.codabox_client_code = "2222"
        Journal = cls.env["account.journal"]
        cls.journal_a = Journal.create(
            {
                "name": "Bank A",
                "code": "FBKA",
                "type": "bank",
                "bank_acc_number": IBAN_A,
                "company_id": cls.company_a.id,
            }
        )
        cls.journal_b = Journal.create(
            {
                "name": "Bank B",
                "code": "FBKB",
                "type": "bank",
                "bank_acc_number": IBAN_B,
                "company_id": cls.company_b.id,
            }
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "l10n_be_codabox_connect.delivery_settle", "0"
        )

    def setUp(self):
        super().setUp()
        self.root = Path(tempfile.mkdtemp(prefix="codabox-delivery-"))
        self.addCleanup(shutil.rmtree, self.root, True)
        self.server = SftpServer(self.root, password=PASSWORD)
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.source = self.env["codabox.delivery.source"].create(
            {
                "name": "CodaBox SFTP",
                "protocol": "sftp",
                "host": "127.0.0.1",
                "port": self.server.port,
                "username": "office",
                "password": PASSWORD,
                "company_ids": [Command.set((self.company_a | self.company_b).ids)],
            }
        )

    def deliver(self, path, content):
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(content)
        return full

    def collect(self, source=None, **kwargs):
        return (source or self.source)._collect(with_commit=False, **kwargs)

    def files(self):
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def statement_count(self, journal):
        return self.env["account.bank.statement"].search_count([("journal_id", "=", journal.id)])

    def documents(self, source=None):
        return self.env["codabox.document"].search([("source_id", "=", (source or self.source).id)])

    # -- collecting ------------------------------------------------------------------------

    def test_first_collection_of_several_client_codes(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.deliver("1111/CODA/A_001.pdf", PDF)
        self.deliver("1111/CODA/A_002.cod", coda(IBAN_A, 3))
        self.deliver("2222/coda/B_001.COD", coda(IBAN_B, 2, seed=1))
        self.deliver("9999/CODA/X_001.cod", coda(IBAN_A, 4, seed=2))
        self.deliver("readme.txt", b"stray")

        result = self.collect()

        self.assertFalse(result["error"], self.source.last_error)
        documents = self.documents()
        self.assertEqual(len(documents), 3)
        self.assertEqual(set(documents.mapped("state")), {"imported"})
        by_name = {d.file_name: d for d in documents}
        self.assertEqual(
            {name: d.company_id for name, d in by_name.items()},
            {
                "A_001.cod": self.company_a,
                "A_002.cod": self.company_a,
                "B_001.COD": self.company_b,
            },
        )
        self.assertEqual(by_name["A_001.cod"].pdf_attachment_id.raw, PDF)
        self.assertIn(
            "application/pdf", by_name["A_001.cod"].statement_ids.attachment_ids.mapped("mimetype")
        )
        self.assertEqual(by_name["B_001.COD"].statement_ids.journal_id, self.journal_b)
        self.assertEqual(self.statement_count(self.journal_a), 2)
        # The first connection pinned the host key; archived what was imported; the unknown
        # client code left in place and named.
        self.assertEqual(self.source.host_key_fingerprint, self.server.fingerprint)
        self.assertEqual(
            self.files(),
            [
                "9999/CODA/X_001.cod",
                "archive/1111/CODA/A_001.cod",
                "archive/1111/CODA/A_001.pdf",
                "archive/1111/CODA/A_002.cod",
                "archive/2222/coda/B_001.COD",
                "readme.txt",
            ],
        )
        self.assertIn("Client code 9999: no company has it", self.source.last_report)
        # Nothing more the next time.
        self.assertFalse(self.collect()["documents"])
        self.assertEqual(len(self.documents()), 3)

    def test_a_file_still_being_written_waits_for_the_next_run(self):
        partial = self.deliver("1111/CODA/A_001.cod.part", coda(IBAN_A, 2))
        result = self.collect()
        self.assertFalse(result["documents"])
        self.assertIn("still being written", self.source.last_report)
        partial.rename(partial.with_suffix(""))  # CodaBox gives it its final name
        result = self.collect()
        self.assertEqual(result["documents"].mapped("state"), ["imported"])

    def test_a_pdf_arriving_after_its_coda_file_joins_it(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        document = self.collect()["documents"]
        self.assertFalse(document.pdf_attachment_id)
        self.deliver("1111/CODA/A_001.pdf", PDF)
        self.collect()
        self.assertEqual(document.pdf_attachment_id.raw, PDF)
        self.assertIn("application/pdf", document.statement_ids.attachment_ids.mapped("mimetype"))
        self.assertEqual(len(self.documents()), 1)
        self.assertIn("archive/1111/CODA/A_001.pdf", self.files())

    def test_the_same_file_delivered_again_under_another_name_is_not_imported_again(self):
        content = coda(IBAN_A, 2)
        self.deliver("1111/CODA/A_001.cod", content)
        self.collect()
        self.deliver("1111/CODA/A_001 (copy).cod", content)
        result = self.collect()
        self.assertFalse(result["documents"])
        self.assertEqual(len(self.documents()), 1)
        self.assertEqual(self.statement_count(self.journal_a), 1)
        self.assertIn("archive/1111/CODA/A_001 (copy).cod", self.files())

    def test_archive_move_failing_never_imports_twice(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.deliver("archive", b"a file where the archive folder should be")
        self.collect()
        self.assertEqual(self.documents().state, "imported")
        self.assertIn("could not be moved to the archive", self.source.last_report)
        self.assertIn("1111/CODA/A_001.cod", self.files())  # left in place, not lost
        # Listed again at each run: never imported again.
        self.collect()
        self.collect()
        self.assertEqual(len(self.documents()), 1)
        self.assertEqual(self.statement_count(self.journal_a), 1)
        # Once the archive can be made, the file goes there.
        (self.root / "archive").unlink()
        self.collect()
        self.assertEqual(self.files(), ["archive/1111/CODA/A_001.cod"])
        self.assertFalse(self.source.last_report)

    def test_a_backlog_is_collected_over_several_calls_each_file_once(self):
        for day in range(1, 13):
            self.deliver(f"1111/CODA/A_{day:03d}.cod", coda(IBAN_A, day))
        calls = 0
        while True:
            calls += 1
            # A deadline already past: each call moves one file on, as a short cron call.
            result = self.collect(deadline=time.monotonic() - 1)
            self.assertEqual(len(result["documents"]), 1)
            if result["complete"]:
                break
        self.assertEqual(calls, 12)
        self.assertEqual(len(self.documents()), 12)
        self.assertEqual(self.statement_count(self.journal_a), 12)

    def test_the_daily_job_collects_the_deliveries(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.deliver("2222/CODA/B_001.cod", coda(IBAN_B, 2, seed=1))
        self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        self.assertEqual(len(self.documents()), 2)
        self.assertTrue(self.source.last_complete_collection_at)
        # Collected for this run of the job: the next call leaves it.
        self.deliver("1111/CODA/A_002.cod", coda(IBAN_A, 3))
        self.env["codabox.connection"]._cron_retrieve(with_commit=False)
        self.assertEqual(len(self.documents()), 2)

    # -- the button, company by company ---------------------------------------------------------

    def test_retrieve_on_a_journal_collects_its_company_files_only(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.deliver("2222/CODA/B_001.cod", coda(IBAN_B, 2, seed=1))
        self.assertTrue(self.journal_a.codabox_connected)
        accountant = new_test_user(
            self.env,
            login="delivery_accountant",
            groups="account.group_account_user",
            company_id=self.company_a.id,
            company_ids=[Command.set(self.company_a.ids)],
        )
        journal = self.journal_a.with_user(accountant)
        notification = journal.action_codabox_retrieve(with_commit=False)
        self.assertEqual(notification["params"]["type"], "success")
        self.assertIn("1 statement(s) imported into Bank A", notification["params"]["message"])
        self.assertEqual(self.documents().company_id, self.company_a)
        self.assertIn("2222/CODA/B_001.cod", self.files())  # company B's, left for its turn
        # Company B's journal is not the accountant's.
        with self.assertRaises(AccessError):
            self.journal_b.with_user(accountant).action_codabox_retrieve(with_commit=False)

    def test_only_administrators_see_the_secrets_and_manage_deliveries(self):
        manager = new_test_user(
            self.env,
            login="delivery_manager",
            groups="account.group_account_manager",
            company_id=self.company_a.id,
            company_ids=[Command.set(self.company_a.ids)],
        )
        source = self.source.with_user(manager)
        self.assertEqual(source.name, "CodaBox SFTP")  # what it is, for the documents
        with self.assertRaises(AccessError):
            source.read(["password"])
        with self.assertRaises(AccessError):
            source.read(["private_key"])
        for action in ("action_test_connection", "action_collect", "action_forget_pinned_key"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(source, action)()
        with self.assertRaises(AccessError):
            source.write({"host": "evil.example"})
        self.assertFalse(self.server.logins)  # nothing was sent to the server

    # -- what the servers refuse ------------------------------------------------------------

    def test_test_connection_pins_the_key_and_names_the_client_codes(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.deliver("9999/CODA/X_001.cod", coda(IBAN_A, 3))
        notification = self.source.action_test_connection()
        message = notification["params"]["message"]
        self.assertIn("2 file(s) waiting", message)
        self.assertIn(f"Client code 1111: {self.company_a.name}", message)
        self.assertIn("Client code 9999: no company has it", message)
        self.assertEqual(self.source.host_key_fingerprint, self.server.fingerprint)
        self.assertIn(self.server.fingerprint, self.source.message_ids[0].body)
        self.assertEqual(self.files(), ["1111/CODA/A_001.cod", "9999/CODA/X_001.cod"])

    def test_wrong_password_says_which_server_refused_whom(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.source.password = "wrong"
        result = self.collect()
        self.assertFalse(result["documents"])
        self.assertIn(
            f"sftp://127.0.0.1:{self.server.port} refused the login of user office",
            self.source.last_error,
        )
        self.assertEqual(len(self.source.activity_ids), 1)
        with self.assertRaisesRegex(UserError, "refused the login of user office"):
            self.source.action_test_connection()
        # Right again: the collection works, the to-do is done.
        self.source.password = PASSWORD
        self.assertEqual(len(self.collect()["documents"]), 1)
        self.assertFalse(self.source.last_error)
        self.assertFalse(self.source.activity_ids)

    def test_a_changed_host_key_stops_the_collection_before_login(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.source.sudo().host_key_fingerprint = "SHA256:" + "A" * 43
        result = self.collect()
        self.assertFalse(result["documents"])
        self.assertIn("another host key than the one pinned", self.source.last_error)
        self.assertIn(self.server.fingerprint, self.source.last_error)
        self.assertFalse(self.server.logins)  # no password was sent
        self.assertEqual(len(self.source.activity_ids), 1)
        self.assertEqual(self.journal_a.codabox_problem, self.source.last_error)
        # The administrator checked with the server's: forget the key, pin the new one.
        self.source.action_forget_pinned_key()
        self.assertEqual(len(self.collect()["documents"]), 1)
        self.assertEqual(self.source.host_key_fingerprint, self.server.fingerprint)

    def test_a_dropped_connection_keeps_nothing_half_downloaded(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        self.deliver("1111/CODA/A_001.pdf", b"%PDF" + b"x" * 300_000)
        self.server.drop_after["A_001.pdf"] = 50_000
        result = self.collect()
        self.assertFalse(result["documents"])
        self.assertFalse(self.documents())
        self.assertIn("closed the connection", self.source.last_error)
        self.server.drop_after.clear()
        self.assertEqual(len(self.collect()["documents"]), 1)
        self.assertEqual(len(self.documents().pdf_attachment_id.raw), 300_004)

    # -- FTPES and a folder -----------------------------------------------------------------

    def test_ftpes_collection_pins_the_certificate(self):
        ftp_root, cert_folder = (Path(tempfile.mkdtemp(prefix="codabox-ftpes-")) for _ in "12")
        self.addCleanup(shutil.rmtree, ftp_root, True)
        self.addCleanup(shutil.rmtree, cert_folder, True)
        cert_path, key_path, _cert = self_signed_certificate(str(cert_folder))
        (ftp_root / "1111/CODA").mkdir(parents=True)
        (ftp_root / "1111/CODA/A_001.cod").write_bytes(coda(IBAN_A, 2))
        with FtpesServer(ftp_root, cert_path, key_path, password=PASSWORD) as server:
            source = self.source.copy(
                {"name": "FTPES", "protocol": "ftpes", "port": server.port, "password": PASSWORD}
            )
            refused = self.collect(source)
            self.assertIn("certificate no trusted authority signed", refused["error"])
            source.allow_unverified_certificate = True
            result = self.collect(source)
        self.assertFalse(result["error"], result["error"])
        self.assertEqual(result["documents"].mapped("state"), ["imported"])
        self.assertTrue(source.certificate_fingerprint)
        self.assertTrue((ftp_root / "archive/1111/CODA/A_001.cod").exists())

    def test_a_folder_on_the_odoo_server(self):
        self.deliver("1111/CODA/A_001.cod", coda(IBAN_A, 2))
        source = self.source.copy(
            {"name": "Pushed here", "protocol": "folder", "root_path": str(self.root)}
        )
        result = self.collect(source)
        self.assertEqual(result["documents"].mapped("state"), ["imported"])
        self.assertEqual(self.files(), ["archive/1111/CODA/A_001.cod"])

    def test_a_soda_and_its_pdf_make_one_document(self):
        self.company_a.vat = CLIENT_A_VAT  # the SODA is the company's
        soda = generate_soda(CLIENT_A_VAT[2:], "202611", seed=1)
        self.deliver("1111/SODA/payroll_202611.xml", write_soda(soda))
        self.deliver("1111/SODA/payroll_202611.pdf", PDF)
        result = self.collect()
        (document,) = result["documents"]
        self.assertEqual(
            (document.kind, document.state), ("soda", "imported"), document.error_message
        )
        self.assertEqual(document.pdf_attachment_id.raw, PDF)
        self.assertEqual(document.move_ids.message_main_attachment_id.raw, PDF)
        self.assertIn("archive/1111/SODA/payroll_202611.pdf", self.files())
