"""Who may do what with CodaBox, asked the way RPC asks it: a method called on records
browsed by id, as a portal user, a Billing user, an accountant and an accounting
administrator of company A, and an accounting administrator of company B only.

Whatever is refused must be refused before anything reaches CodaBox: the sandbox's request
log must stay empty.
"""

import io
import struct
import tracemalloc
import zipfile
import zlib
from urllib.parse import urlsplit

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import new_test_user, tagged
from odoo.tools import mute_logger

from ..compat import GROUPS_FIELD
from .common import BelgianCompanyCase, BelgianCompanyHttpCase, OfficeClientsMixin
from .parties import OFFICE_LOGIN, OFFICE_LOGIN_PASSWORD, OFFICE_VAT

GIB = 1024**3
ACCOUNTANT = "account.group_account_user"
MANAGER = "account.group_account_manager,account.group_account_user"


class AccessSetup(OfficeClientsMixin):
    """Companies A and B, a connection of A (at the sandbox), a document, and the users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def user(login, groups, company=cls.company_a):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.portal = user("portal_a", "base.group_portal")
        cls.billing = user("billing_a", "account.group_account_invoice")
        cls.accountant = user("accountant_a", ACCOUNTANT)
        cls.manager_a = user("manager_a", MANAGER)
        cls.manager_a2 = user("manager_a2", MANAGER)
        cls.manager_b = user("manager_b", MANAGER, cls.company_b)
        cls.users = cls.portal | cls.billing | cls.accountant | cls.manager_a | cls.manager_b

    @classmethod
    def _connect_company_a(cls):
        """Company A's connection and office as the callback stores them (the credentials
        are not CodaBox's: a request that got through would show in the log all the same)."""
        office = cls.env["codabox.office"].create({"vat": OFFICE_VAT, "consent_id": "consent-a"})
        office._set_password("OFFICE-PASSW-ORD22-22222-22222")
        return cls.env["codabox.connection"].create(
            {
                "company_id": cls.company_a.id,
                "office_id": office.id,
                "feed_client_id": "feed-client-a",
                "username": "cbx-a",
                "password": "delivery-secret",
            }
        )

    def assertNothingSent(self, what=""):
        log = self.sandbox.request_log()
        self.assertFalse(log, f"{what}: requests reached CodaBox: {log}")

    def assertRefused(self, call, user, what):
        """``call(env)`` as ``user`` raises AccessError, and CodaBox heard nothing."""
        self.env.invalidate_all()  # a new request: nothing read by someone else is cached
        with self.assertRaises(AccessError, msg=f"{what} as {user.login}"):
            call(self.env(user=user))
        self.assertNothingSent(f"{what} as {user.login}")


@tagged("post_install", "-at_install")
class TestAccessRights(AccessSetup, BelgianCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls._connect_company_a()
        cls.attachment = cls.env["ir.attachment"].create({"name": "a.cod", "raw": b"0000"})
        cls.document = (
            cls.env["codabox.document"]
            .sudo()
            .create(
                {
                    "connection_id": cls.connection.id,
                    "feed_id": "feed-client-a",
                    "feed_index": "1",
                    "kind": "coda",
                    "state": "failed",
                    "coda_attachment_id": cls.attachment.id,
                    "account_number": "BE68539007547034",
                    "currency_name": "EUR",
                }
            )
        )
        cls.journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company_a.id), ("type", "=", "bank")], limit=1
        )
        # Settings are for system administrators: one who keeps the books with Billing
        # rights only, and one of company B.
        cls.settings_billing = new_test_user(
            cls.env,
            login="settings_billing_a",
            groups="base.group_system,account.group_account_invoice",
            company_id=cls.company_a.id,
        )
        cls.settings_b = new_test_user(
            cls.env,
            login="settings_b",
            groups=f"base.group_system,{MANAGER}",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    # -- 1. buttons, called by RPC -----------------------------------------------------------

    def _record_calls(self):
        """{what: (call(env), the users allowed)}"""
        connection, document, journal = self.connection.id, self.document.id, self.journal.id
        accountants = self.accountant | self.manager_a
        return {
            "codabox.connection.action_revoke": (
                lambda env: env["codabox.connection"].browse(connection).action_revoke(),
                self.manager_a,
            ),
            "codabox.connection.action_refresh_status": (
                lambda env: env["codabox.connection"].browse(connection).action_refresh_status(),
                accountants,
            ),
            "codabox.connection.action_retrieve": (
                lambda env: env["codabox.connection"].browse(connection).action_retrieve(),
                accountants,
            ),
            "account.journal.action_codabox_retrieve": (
                lambda env: env["account.journal"].browse(journal).action_codabox_retrieve(),
                accountants,
            ),
            "codabox.document.action_retry": (
                lambda env: env["codabox.document"].browse(document).action_retry(),
                accountants,
            ),
            "codabox.document.action_redownload": (
                lambda env: env["codabox.document"].browse(document).action_redownload(),
                accountants,
            ),
            "codabox.document.action_create_journal": (
                lambda env: env["codabox.document"].browse(document).action_create_journal(),
                self.manager_a,
            ),
        }

    def test_buttons_refused_to_the_wrong_users(self):
        for what, (call, allowed) in self._record_calls().items():
            for user in self.users - allowed:
                self.assertRefused(call, user, what)

    def test_the_right_users_get_through(self):
        """The refusals above are the checks', not a broken fixture or a deaf sandbox."""
        calls = self._record_calls()
        connection = self.env(user=self.accountant)["codabox.connection"].browse(self.connection.id)
        connection.action_retrieve(with_commit=False)  # a test runs in one transaction
        self.assertTrue(self.sandbox.request_log("GET", "/v2/connect/consents/consent-a/"))
        action = calls["codabox.document.action_create_journal"][0](self.env(user=self.manager_a))
        self.assertEqual(action["context"]["default_bank_acc_number"], "BE68539007547034")
        calls["codabox.document.action_retry"][0](self.env(user=self.accountant))

    def test_settings_buttons(self):
        settings = self.env["res.config.settings"].create({"company_id": self.company_a.id})
        settings_b = (
            self.env["res.config.settings"]
            .with_user(self.settings_b)
            .create({"company_id": self.company_a.id})  # what an RPC create can say
        )
        for method in (
            "action_codabox_manage_connection",
            "action_codabox_refresh_status",
            "action_codabox_retrieve",
        ):

            def call(env, method=method, record=settings):
                return getattr(env["res.config.settings"].browse(record.id), method)()

            for user in self.users | self.settings_billing:
                self.assertRefused(call, user, f"res.config.settings.{method}")
            self.assertRefused(
                lambda env, method=method: getattr(
                    env["res.config.settings"].browse(settings_b.id), method
                )(),
                self.settings_b,
                f"res.config.settings.{method} for company A",
            )

    def test_connection_wizard_buttons(self):
        action = (
            self.env["codabox.connection.wizard"]
            .with_user(self.manager_a)
            ._open_for(self.company_a.with_user(self.manager_a))
        )
        wizard_id = action["res_id"]
        methods = [
            "action_create_connection",
            "action_use_office_password",
            "action_go_to_mycodabox",
            "action_connect",
            "action_restart_consent",
            "action_refresh_status",
            "action_revoke",
            "action_start_change_password",
            "action_change_password",
        ]
        for method in methods:
            for user in self.users - self.manager_a | self.manager_a2:
                self.assertRefused(
                    lambda env, method=method: getattr(
                        env["codabox.connection.wizard"].browse(wizard_id), method
                    )(),
                    user,
                    f"codabox.connection.wizard.{method}",
                )
        # Nor can anyone but an administrator of the company open one.
        for user in self.users - self.manager_a:
            self.assertRefused(
                lambda env: env["codabox.connection.wizard"]._open_for(
                    env["res.company"].browse(self.company_a.id)
                ),
                user,
                "codabox.connection.wizard._open_for",
            )
        # Its creator can: refreshing asks CodaBox.
        wizard = self.env["codabox.connection.wizard"].with_user(self.manager_a).browse(wizard_id)
        with self.assertRaises(UserError):  # CodaBox knows no consent-a
            wizard.action_refresh_status()
        self.assertTrue(self.sandbox.request_log("GET", "/v2/connect/consents/"))

    def test_upload_wizard_buttons(self):
        env = self.env(user=self.accountant)
        attachment = env["ir.attachment"].create({"name": "x.cod", "raw": b"not coda"})
        wizard = env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(attachment.ids)]}
        )
        for method in ("action_import", "action_open_statements"):
            for user in self.users - self.accountant | self.manager_a2:
                self.assertRefused(
                    lambda env, method=method: getattr(
                        env["codabox.coda.import.wizard"].browse(wizard.id), method
                    )(),
                    user,
                    f"codabox.coda.import.wizard.{method}",
                )
        # An accountant of company B cannot upload into company A's journals.
        accountant_b = new_test_user(
            self.env,
            login="accountant_b",
            groups=ACCOUNTANT,
            company_id=self.company_b.id,
            company_ids=[Command.set(self.company_b.ids)],
        )
        self.assertRefused(
            lambda env: env["codabox.coda.import.wizard"]
            .create({"company_id": self.company_a.id})
            .action_import(),
            accountant_b,
            "codabox.coda.import.wizard.action_import into company A",
        )
        wizard.action_import()
        line = wizard.line_ids
        self.assertEqual(line.status, "refused")
        for user in self.users - self.accountant | self.manager_a2:
            self.assertRefused(
                lambda env: env["codabox.coda.import.wizard.line"]
                .browse(line.id)
                .action_create_journal(),
                user,
                "codabox.coda.import.wizard.line.action_create_journal",
            )

    # -- 2. connections, offices and documents are read-only ---------------------------------

    def test_documents_connections_offices_are_read_only(self):
        admin_only = self.env["ir.attachment"].create({"name": "payroll.cod", "raw": b"secret"})
        other = self.env["codabox.connection"].create(
            {
                "company_id": self.company_b.id,
                "office_id": self.connection.office_id.id,
                "feed_client_id": "feed-client-b",
            }
        )
        writes = {
            "codabox.document": (
                self.document,
                [
                    {"coda_attachment_id": admin_only.id},
                    {"company_id": self.company_b.id},
                    {"connection_id": other.id},
                    {"state": "received"},
                ],
            ),
            "codabox.connection": (
                self.connection,
                [{"state": "revoked"}, {"company_id": self.company_b.id}, {"last_error": "x"}],
            ),
            "codabox.office": (
                self.connection.office_id,
                [{"vat": "BE0999999999"}, {"consent_status": "allowed"}],
            ),
        }
        for user in self.accountant | self.manager_a:
            for model, (record, values_list) in writes.items():
                for values in values_list:
                    self.assertRefused(
                        lambda env, model=model, record=record, values=values: env[model]
                        .browse(record.id)
                        .write(values),
                        user,
                        f"{model}.write({values})",
                    )
                self.assertRefused(
                    lambda env, model=model, record=record: env[model].browse(record.id).unlink(),
                    user,
                    f"{model}.unlink",
                )
            self.assertRefused(
                lambda env: env["codabox.document"].create(
                    {
                        "connection_id": self.connection.id,
                        "feed_id": "f",
                        "feed_index": "2",
                        "coda_attachment_id": admin_only.id,
                    }
                ),
                user,
                "codabox.document.create",
            )
        self.assertEqual(self.document.coda_attachment_id, self.attachment)
        self.assertEqual(self.document.state, "failed")

    def test_office_rule(self):
        office = self.connection.office_id
        self.assertEqual(self.env["codabox.office"].with_user(self.manager_a).search([]), office)
        self.assertFalse(self.env["codabox.office"].with_user(self.manager_b).search([]))
        self.assertRefused(
            lambda env: env["codabox.office"].browse(office.id).read(["vat"]),
            self.manager_b,
            "codabox.office.read",
        )

    # -- 3. the office passwords in the wizard -----------------------------------------------

    def _wizard_rows_hold(self, wizard, *passwords):
        """Whether any column of the wizard's row holds one of ``passwords`` as text."""
        self.env.flush_all()
        self.env.cr.execute("SELECT * FROM codabox_connection_wizard WHERE id = %s", [wizard.id])
        row = self.env.cr.fetchone()
        self.assertTrue(row)
        return [
            (column.name, password)
            for column, value in zip(self.env.cr.description, row, strict=True)
            for password in passwords
            if value is not None and password in str(value)
        ]

    def test_wizard_keeps_no_password_in_plain_text(self):
        # Company A is not connected, and no office is: "Create connection".
        office = self.connection.office_id
        self.document.unlink()
        self.connection.unlink()
        office.unlink()
        env = self.env(user=self.manager_a)
        action = env["codabox.connection.wizard"]._open_for(
            env["res.company"].browse(self.company_a.id)
        )
        wizard = env["codabox.connection.wizard"].browse(action["res_id"])
        wizard.action_create_connection()
        self.env.invalidate_all()
        new_password = wizard.web_read({"new_password": {}, "step": {}})[0]["new_password"]
        self.assertEqual(wizard.step, "create")
        self.assertRegex(new_password, r"^([2-9A-Z]{5}-){4}[2-9A-Z]{5}$")
        self.assertFalse(self._wizard_rows_hold(wizard, new_password))
        # Another administrator of company A reads neither the wizard nor its ciphertext.
        for field in ("new_password", "new_password_encrypted", "step"):
            self.assertRefused(
                lambda env, field=field: env["codabox.connection.wizard"]
                .browse(wizard.id)
                .read([field]),
                self.manager_a2,
                f"codabox.connection.wizard.read({field})",
            )
        self.assertFalse(
            self.env["codabox.connection.wizard"].with_user(self.manager_a2).search([])
        )
        self.assertRefused(
            lambda env: env["codabox.connection.wizard"].browse(wizard.id).read(["secret_salt"]),
            self.manager_a,
            "the creator reads the ciphertext's salt",
        )
        # Off to MyCodaBox: the new password leaves the wizard for good.
        wizard.web_save({"password_saved": True}, {})
        wizard.action_go_to_mycodabox()
        self.env.invalidate_all()
        self.assertFalse(wizard.new_password)
        self.assertFalse(self._wizard_rows_hold(wizard, new_password))

    def test_failed_connect_leaves_no_password(self):
        """Connect a further company with a password Odoo accepts and CodaBox refuses."""
        self.connection.sudo().write({"company_id": self.company_b.id})  # the office's first
        self.sandbox.set_consent(OFFICE_VAT, "allowed")
        typed = "OFFICE-PASSW-ORD22-22222-22222"  # the office's, here; not at CodaBox
        env = self.env(user=self.manager_a)
        action = env["codabox.connection.wizard"]._open_for(
            env["res.company"].browse(self.company_a.id)
        )
        wizard = env["codabox.connection.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.step, "connect")
        # What the web client does on "Connect": save the form, then call the button.
        saved = wizard.web_save({"office_password": typed}, {"office_password": {}})
        self.assertFalse(saved[0]["office_password"], "the typed password never goes back")
        self.assertFalse(self._wizard_rows_hold(wizard, typed, typed.replace("-", "")))
        self.assertTrue(wizard.sudo().office_password_encrypted)
        self.assertRefused(
            lambda env: env["codabox.connection.wizard"].browse(wizard.id).read(["step"]),
            self.manager_a2,
            "another administrator reads the wizard",
        )
        action = wizard.action_connect()
        self.assertEqual(action["res_id"], wizard.id, "the wizard shows what went wrong")
        self.assertIn("refused the accounting office password", wizard.error_message)
        self.assertEqual(len(self.sandbox.request_log("POST", "/v2/connect/connections/")), 1)
        self.assertFalse(self.company_a._codabox_connection())
        self.assertFalse(self._wizard_rows_hold(wizard, typed, typed.replace("-", "")))
        self.assertFalse(wizard.sudo().office_password_encrypted, "cleared on failure too")


# -- 4. zip bombs ----------------------------------------------------------------------------


def _zip(entries, kernel, size, crc, name=b"statement.cod", method=zipfile.ZIP_DEFLATED):
    """A zip of ``entries`` central directory entries that all point at one member: its
    ``kernel`` (compressed data), which declares ``size`` bytes of CRC ``crc``."""
    local = struct.pack(
        "<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(kernel), size, len(name), 0
    )
    member = local + name + kernel
    entry = struct.pack(
        "<4s6H3I5H2I",
        b"PK\x01\x02",
        20,
        20,
        0,
        method,
        0,
        0x21,
        crc,
        len(kernel),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    directory = (entry + name) * entries
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, entries, entries, len(directory), len(member), 0
    )
    return member + directory + end


def _deflated_zeros(size):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1024 * 1024)
    kernel, crc = b"", 0
    for _ in range(size // len(chunk)):
        kernel += compressor.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    return kernel + compressor.flush(), crc


@tagged("post_install", "-at_install")
class TestUploadZipBombs(BelgianCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(cls.env, login="zip_accountant", groups=ACCOUNTANT)

    def _upload(self, filename, data):
        env = self.env(user=self.accountant)
        attachment = env["ir.attachment"].create({"name": filename, "raw": data})
        wizard = env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(attachment.ids)]}
        )
        tracemalloc.start()
        try:
            wizard.action_import()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 64 * 1024**2, "the upload was unpacked")
        self.assertFalse(wizard.statement_ids)
        self.assertEqual(wizard.line_ids.mapped("filename"), [filename])
        self.assertEqual(wizard.line_ids.status, "refused")
        return wizard.line_ids.message

    def test_declares_gigabytes(self):
        """A few hundred bytes whose member claims 2 GiB: refused on what it declares, before
        any unpacking (unpacked, it would be a damaged file: 4 KB, a wrong CRC)."""
        kernel, crc = _deflated_zeros(1024 * 1024)
        data = _zip(1, kernel[:4096], 2 * GIB, crc)
        self.assertLess(len(data), 5000)
        message = self._upload("bomb.zip", data)
        self.assertIn("bomb.zip is refused: it unpacks to more than 200 MB", message)

    def test_unpacks_to_gigabytes(self):
        """20 KB whose 70 entries share one 16 MiB member: 1.1 GiB once unpacked."""
        kernel, crc = _deflated_zeros(16 * 1024 * 1024)
        data = _zip(70, kernel, 16 * 1024 * 1024, crc)
        self.assertLess(len(data), 25_000)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.assertGreater(sum(info.file_size for info in archive.infolist()), GIB)
        message = self._upload("overlap.zip", data)
        self.assertIn("overlap.zip is refused: it unpacks to more than 200 MB", message)

    def test_ten_thousand_entries(self):
        data = _zip(10_000, b"", 0, 0, method=zipfile.ZIP_STORED)
        message = self._upload("many.zip", data)
        self.assertIn("many.zip is refused: it holds 10000 files, more than 2000", message)

    def test_nested_archives(self):
        inner = _zip(1, b"", 0, 0, method=zipfile.ZIP_STORED)
        for member in ("inner.zip", "statement.cod"):  # by its name, or by its content
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr(member, inner)
            message = self._upload("nested.zip", buffer.getvalue())
            self.assertIn(f"nested.zip is refused: it holds another archive ({member})", message)

    def test_sizes_that_lie(self):
        """The member declares 1 KB and unpacks to 64 MiB: unpacking stops at 1 KB."""
        kernel, crc = _deflated_zeros(64 * 1024 * 1024)
        message = self._upload("liar.zip", _zip(1, kernel, 1024, crc))
        self.assertIn("liar.zip is refused", message)


# -- 5. the consent callback -----------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestConsentCallback(AccessSetup, BelgianCompanyHttpCase):
    def _open_callback(self, user, url):
        self.authenticate(user.login, user.login)
        parts = urlsplit(url)
        response = self.url_open(f"{parts.path}?{parts.query}")
        self.env.invalidate_all()  # the request wrote behind this environment's cache
        return response

    def _consent(self, user):
        """Create connection as ``user``, then the office allows Odoo on MyCodaBox."""
        wizards = self.env["codabox.connection.wizard"].with_user(user)
        wizard = wizards.browse(wizards._open_for(self.company_a.with_user(user))["res_id"])
        wizard.action_create_connection()
        password = wizard.new_password
        wizard.password_saved = True
        url = wizard.action_go_to_mycodabox()["url"]
        self.env.invalidate_all()
        return self.sandbox.authorize_in_browser(url, OFFICE_LOGIN, OFFICE_LOGIN_PASSWORD, password)

    def test_callback_needs_an_administrator_of_the_company(self):
        """A state issued to someone who is not (or no longer) an accounting administrator
        of its company is refused before the code is exchanged."""
        for user in (self.accountant, self.manager_b):
            token = (
                self.env["codabox.connect.state"]
                .with_user(user)
                ._issue(self.company_a, OFFICE_VAT, "OFFICE-PASSW-ORD22-22222-22222")
            )
            url = f"/codabox/connect/callback?state={token}&code=authorization-code"
            page = self._open_callback(user, url).text
            self.assertRegex(page, "Only users in the group|You do not work for")
            self.assertNothingSent(f"the callback as {user.login}")
        # The same, for an administrator demoted between "Create connection" and the callback.
        back = self._consent(self.manager_a)
        self.manager_a[GROUPS_FIELD] -= self.env.ref("account.group_account_manager")
        page = self._open_callback(self.manager_a, back).text
        self.assertIn("Only users in the group", page)
        self.assertFalse(self.sandbox.request_log("POST", "/v2/connect/token/"))
        self.assertFalse(self.company_a._codabox_connection())

    def test_storing_fails_after_codabox_answered(self):
        """CodaBox exchanged the code, then storing the connection fails: opened again, the
        callback finishes with the answer kept, and CodaBox is asked once only."""
        back = self._consent(self.manager_a)
        # The connection's first write fails, as a constraint or a lock would make it fail.
        self.env.cr.execute("""
            CREATE SEQUENCE codabox_test_fail_once;
            CREATE FUNCTION codabox_test_fail_once() RETURNS trigger AS $$
            BEGIN
                IF nextval('codabox_test_fail_once') = 1 THEN
                    RAISE EXCEPTION 'codabox test: storing the connection fails once';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER codabox_test_fail_once BEFORE INSERT OR UPDATE ON codabox_connection
                FOR EACH ROW EXECUTE FUNCTION codabox_test_fail_once();
        """)
        with mute_logger("odoo.sql_db", "odoo.addons.l10n_be_codabox_connect.controllers.main"):
            response = self._open_callback(self.manager_a, back)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Open this page again", response.text)
        self.assertFalse(self.company_a._codabox_connection())
        self.assertEqual(len(self.sandbox.request_log("POST", "/v2/connect/token/")), 1)
        state = self.env["codabox.connect.state"].sudo().search([])
        self.assertTrue(state.used and state.encrypted_answer and not state.encrypted_password)

        page = self._open_callback(self.manager_a, back).text
        self.assertIn("is connected to CodaBox", page)
        connection = self.company_a._codabox_connection()
        self.assertEqual(connection.state, "connected")
        self.assertEqual(connection.office_id.vat, OFFICE_VAT)
        self.assertTrue(connection._client().pod_client()["feed_clients"])
        # Completing twice is harmless: the same page, the same connection.
        page = self._open_callback(self.manager_a, back).text
        self.assertIn("is connected to CodaBox", page)
        self.assertEqual(self.env["codabox.connection"].search([]), connection)
        self.assertEqual(len(self.sandbox.request_log("POST", "/v2/connect/token/")), 1)
        # Nothing in the state is readable without the browser's `state`.
        self.env.cr.execute("SELECT * FROM codabox_connect_state")
        rows = str(self.env.cr.fetchall())
        self.assertNotIn(connection.sudo().password, rows)
        self.assertNotIn(connection.sudo().username, rows)

    def test_buttons_of_gaps_soda_and_deliveries(self):
        """Fetch again, Delete with its transactions, Apply mapping and the file deliveries:
        each refuses who may not, before anything is read or sent."""
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.company_a.id), ("type", "=", "bank")], limit=1
        )
        statement = self.env["account.bank.statement"].create(
            {
                "name": "St 1",
                "line_ids": [
                    Command.create({"journal_id": journal.id, "payment_ref": "x", "amount": 10.0})
                ],
            }
        )
        misc = self.env["account.journal"].search(
            [("company_id", "=", self.company_a.id), ("type", "=", "general")], limit=1
        )
        move = self.env["account.move"].create(
            {"move_type": "entry", "journal_id": misc.id, "codabox_soda_key": "SD/1/202611"}
        )
        mapping = self.env["codabox.soda.mapping"].create(
            {"company_id": self.company_a.id, "code": "620200"}
        )
        accountants = self.accountant | self.manager_a
        calls = {
            "account.bank.statement.action_codabox_fetch_again": (
                lambda env: env["account.bank.statement"]
                .browse(statement.id)
                .action_codabox_fetch_again(),
                accountants,
            ),
            "account.bank.statement.action_codabox_delete_with_lines": (
                lambda env: env["account.bank.statement"]
                .browse(statement.id)
                .action_codabox_delete_with_lines(),
                self.manager_a,
            ),
            "account.move.action_codabox_apply_soda_mapping": (
                lambda env: env["account.move"].browse(move.id).action_codabox_apply_soda_mapping(),
                accountants,
            ),
            "codabox.soda.mapping.action_apply": (
                lambda env: env["codabox.soda.mapping"].browse(mapping.id).action_apply(),
                self.manager_a,
            ),
        }
        for what, (call, allowed) in calls.items():
            for user in self.users - allowed:
                self.assertRefused(call, user, what)
        # The file deliveries are the system administrators' only.
        settings = self.env["res.config.settings"].create({"company_id": self.company_a.id})
        for user in self.users:
            self.assertRefused(
                lambda env: env["res.config.settings"]
                .browse(settings.id)
                .action_codabox_delivery_sources(),
                user,
                "res.config.settings.action_codabox_delivery_sources",
            )
        # The allowed get through (nothing missing: a notification; the mapping applied).
        self.assertEqual(
            calls["account.bank.statement.action_codabox_fetch_again"][0](
                self.env(user=self.accountant)
            )["params"]["type"],
            "success",
        )
        self.assertTrue(
            calls["codabox.soda.mapping.action_apply"][0](self.env(user=self.manager_a))
        )
