"""The connection flow in Odoo against the CodaBox sandbox, over real HTTP both ways."""

import json
from urllib.parse import urlsplit

from odoo.exceptions import AccessError, UserError
from odoo.tests.common import new_test_user, tagged

from ..compat import GROUPS_FIELD
from .common import BelgianCompanyHttpCase, OfficeClientsMixin
from .parties import CLIENT_C_VAT, OFFICE_LOGIN, OFFICE_LOGIN_PASSWORD, OFFICE_VAT, SME_VAT


@tagged("post_install", "-at_install")
class TestCodaboxConnection(OfficeClientsMixin, BelgianCompanyHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Not a client of the office at the sandbox.
        cls.company_c = cls._create_belgian_company(
            "Client C", chart=False, vat=CLIENT_C_VAT, codabox_office_vat=OFFICE_VAT
        )
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids |= cls.company_b | cls.company_c
        # An accounting administrator who keeps the books: refreshing and retrieving are for
        # accountants (Show Full Accounting Features), which Community's administrator is not.
        cls.admin[GROUPS_FIELD] |= cls.env.ref("account.group_account_user")

    # -- helpers ---------------------------------------------------------------------------

    def _wizard(self, company, user=None):
        action = (
            self.env["codabox.connection.wizard"]
            .with_user(user or self.admin)
            .with_company(company)
            ._open_for(company)
        )
        return (
            self.env["codabox.connection.wizard"]
            .with_user(user or self.admin)
            .browse(action["res_id"])
        )

    def _consent(self, company, decision="allow", office_password=None):
        """Manage Connection → Create connection → MyCodaBox (sign in, consent) → the
        callback URL CodaBox sends the browser back to."""
        wizard = self._wizard(company)
        self.assertEqual(wizard.step, "start")
        wizard.action_create_connection()
        self.assertEqual(wizard.step, "create")
        password = wizard.new_password
        self.assertGreaterEqual(len(password.replace("-", "")), 20)
        wizard.password_saved = True
        action = wizard.action_go_to_mycodabox()
        self.assertFalse(wizard.new_password, "the password is not kept in the wizard")
        back = self.sandbox.authorize_in_browser(
            action["url"],
            OFFICE_LOGIN,
            OFFICE_LOGIN_PASSWORD,
            office_password or password,
            decision=decision,
        )
        return password, back

    def _firm(self, name, vat):
        """An accounting firm, as the company's Accounting Firm names the office (the
        sandbox's VAT numbers have no valid check digits: base_vat is told not to check)."""
        partners = self.env["res.partner"].with_context(no_vat_validation=True)
        return partners.create({"name": name, "vat": vat, "is_company": True})

    def _open_callback(self, callback_url):
        self.authenticate("admin", "admin")
        parts = urlsplit(callback_url)
        self.assertEqual(parts.path, "/codabox/connect/callback")
        response = self.url_open(f"{parts.path}?{parts.query}")
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()  # the request wrote behind this environment's cache
        return response.text

    def _connect_first_company(self):
        password, back = self._consent(self.company_a)
        page = self._open_callback(back)
        self.assertIn("is connected to CodaBox", page)
        # "Back to the CodaBox settings" opens them at the CodaBox setting, not at their top.
        self.assertIn('href="/odoo/action-account.action_account_config#codabox_connection"', page)
        return password

    # -- the first connection --------------------------------------------------------------

    def test_first_connection(self):
        password = self._connect_first_company()
        connection = self.company_a._codabox_connection()
        self.assertEqual(connection.state, "connected")
        self.assertEqual(connection.consent_status, "allowed")
        self.assertTrue(connection.consent_checked_at)
        self.assertTrue(connection.sudo().username)
        self.assertTrue(connection.sudo().password)
        office = connection.office_id
        self.assertEqual(office.vat, OFFICE_VAT)
        stored_hash = office.sudo().password_hash
        self.assertNotIn(password, stored_hash)
        self.assertTrue(self.env["res.users"]._crypt_context().verify(password, stored_hash))
        # The credentials work at CodaBox: the delivery API answers for this company.
        pod_client = connection._client().pod_client()
        self.assertTrue(pod_client["feed_clients"])
        # Nothing readable of the password is left in the consent request.
        consent_request = self.env["codabox.connect.state"].sudo().search([])
        self.assertTrue(all(r.used and not r.encrypted_password for r in consent_request))

    def test_create_connection_makes_the_password_once(self):
        """Opening "Manage Connection" generates nothing; "Create connection" generates the
        office password once: clicked again, or the dialog opened again, it is not replaced
        behind the user's back."""
        wizard = self._wizard(self.company_a)
        self.assertEqual(wizard.step, "start")
        self.assertFalse(wizard.new_password)
        self.assertFalse(wizard.sudo().new_password_encrypted)
        self.assertFalse(wizard.office_known)
        wizard.action_create_connection()
        password = wizard.new_password
        self.assertRegex(password, r"^([2-9A-Z]{5}-){4}[2-9A-Z]{5}$")
        self.assertNotIn(password, wizard.sudo().new_password_encrypted)
        wizard.action_create_connection()
        self.assertEqual(wizard.new_password, password, "created once")
        again = self._wizard(self.company_a)
        self.assertEqual(again.step, "start", "a dialog opened again shows no other password")
        self.assertFalse(again.new_password)

    def test_unknown_office_offers_the_office_password(self):
        """In a database that does not know the office yet: "Create connection" or "Connect
        with the office password" (the office allowed Odoo from another database)."""
        wizard = self._wizard(self.company_a)
        self.assertEqual(wizard.step, "start")
        arch = wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="action_create_connection"', arch)
        self.assertIn('name="action_use_office_password"', arch)
        wizard.action_use_office_password()
        self.assertEqual(wizard.step, "connect")
        self.assertFalse(wizard.new_password)

    def test_settings_show_status(self):
        self._connect_first_company()
        # What the web client asks when it opens the settings: an onchange on a new record.
        settings_model = self.env["res.config.settings"].with_user(self.admin)
        spec = {
            "company_id": {},
            "codabox_connection_id": {},
            "codabox_connection_state": {},
            "codabox_consent_status": {},
        }
        values = settings_model.onchange({}, [], spec)["value"]
        self.assertEqual(values["codabox_connection_state"], "connected")
        self.assertEqual(values["codabox_consent_status"], "allowed")
        action = settings_model.create({}).action_codabox_manage_connection()
        wizard = self.env["codabox.connection.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.step, "manage")

    def test_denied_consent_stores_nothing(self):
        _password, back = self._consent(self.company_a, decision="deny")
        self.assertIn("error=access_denied", back)
        page = self._open_callback(back)
        self.assertIn("denied Odoo access", page)
        self.assertFalse(self.company_a._codabox_connection())
        self.assertFalse(self.env["codabox.office"]._for_vat(OFFICE_VAT))

    def test_sme_gets_told_connect_is_for_offices(self):
        self.company_a.account_representative_id = self._firm("SME Direct", SME_VAT)
        _password, back = self._consent(self.company_a)
        page = self._open_callback(back)
        self.assertIn("for accounting offices only", page)
        self.assertIn(f"does not know SME Direct ({SME_VAT}) as an accounting office", page)
        self.assertIn("SFTP", page)
        self.assertFalse(self.company_a._codabox_connection())

    def test_forged_state_is_refused(self):
        _password, back = self._consent(self.company_a)
        forged = back.replace("state=", "state=x")
        page = self._open_callback(forged)
        self.assertIn("does not belong to a connection you started", page)
        self.assertFalse(self.company_a._codabox_connection())

    def test_replayed_state(self):
        """Opened again, the callback says the company is connected (the request may have
        been retried); once the connection is revoked, it connects nothing again."""
        _password, back = self._consent(self.company_a)
        self.assertIn("is connected to CodaBox", self._open_callback(back))
        connection = self.company_a._codabox_connection()
        self.assertIn("is connected to CodaBox", self._open_callback(back))
        self.assertEqual(self.env["codabox.connection"].search([]), connection)
        self.assertEqual(len(self.sandbox.request_log("POST", "/v2/connect/token/")), 1)
        self._wizard(self.company_a).action_revoke()
        page = self._open_callback(back)
        self.assertIn("already used", page)
        self.assertEqual(connection.state, "revoked")
        self.assertFalse(self.company_a._codabox_connection())
        self.assertEqual(len(self.sandbox.request_log("POST", "/v2/connect/token/")), 1)

    def test_expired_state_is_refused(self):
        _password, back = self._consent(self.company_a)
        self.env["codabox.connect.state"].sudo().search([]).write(
            {"expires_at": "2020-01-01 00:00:00"}
        )
        page = self._open_callback(back)
        self.assertIn("expired", page)
        self.assertFalse(self.company_a._codabox_connection())

    def test_state_of_another_user_is_refused(self):
        _password, back = self._consent(self.company_a)
        new_test_user(
            self.env, "other_admin", groups="base.group_system,account.group_account_manager"
        )
        self.authenticate("other_admin", "other_admin")
        parts = urlsplit(back)
        page = self.url_open(f"{parts.path}?{parts.query}").text
        self.assertIn("does not belong to a connection you started", page)
        self.assertFalse(self.company_a._codabox_connection())

    def test_codabox_error_at_code_exchange_stores_nothing(self):
        _password, back = self._consent(self.company_a)
        self.sandbox.add_fault(
            method="POST", path="/v2/connect/token/", kind="status", status=503, count=1
        )
        page = self._open_callback(back)
        self.assertIn("CodaBox answered with an error", page)
        self.assertIn("503", page)
        self.assertFalse(self.company_a._codabox_connection())
        self.assertFalse(self.env["codabox.office"]._for_vat(OFFICE_VAT))

    # -- further companies -----------------------------------------------------------------

    def test_second_company_with_the_office_password(self):
        password = self._connect_first_company()
        wizard = self._wizard(self.company_b)
        self.assertEqual(wizard.step, "connect")
        wizard.office_password = password
        wizard.action_connect()
        connection = self.company_b._codabox_connection()
        self.assertEqual(connection.state, "connected")
        self.assertEqual(connection.office_id, self.company_a._codabox_connection().office_id)
        self.assertTrue(connection._client().pod_client()["feed_clients"])
        self.assertFalse(wizard.office_password)

    def test_second_company_wrong_password(self):
        self._connect_first_company()
        wizard = self._wizard(self.company_b)
        wizard.office_password = "WRONG-PASSW-ORD00-00000-00000"
        action = wizard.action_connect()
        self.assertEqual(action["res_id"], wizard.id, "the wizard stays open, saying why")
        # CodaBox is the authority on the office password (it may have been changed from
        # another database): it is asked once, refuses, and the refusal is counted.
        self.assertIn("refused the accounting office password", wizard.error_message)
        self.assertFalse(wizard.sudo().office_password_encrypted)
        self.assertFalse(self.company_b._codabox_connection())
        self.assertEqual(len(self.sandbox.request_log("POST", "/v2/connect/connections/")), 1)
        self.assertEqual(self.env["codabox.password.attempt"].sudo().search_count([]), 1)

    def test_lost_office_password_new_consent(self):
        old_password = self._connect_first_company()
        wizard = self._wizard(self.company_b)
        self.assertEqual(wizard.step, "connect")
        wizard.action_restart_consent()
        self.assertEqual(wizard.step, "create")
        new_password = wizard.new_password
        self.assertNotEqual(new_password, old_password)
        wizard.password_saved = True
        back = self.sandbox.authorize_in_browser(
            wizard.action_go_to_mycodabox()["url"],
            OFFICE_LOGIN,
            OFFICE_LOGIN_PASSWORD,
            new_password,
        )
        self.assertIn("is connected to CodaBox", self._open_callback(back))
        self.assertTrue(self.company_b._codabox_connection())
        office = self.company_b._codabox_connection().office_id
        crypt = self.env["res.users"]._crypt_context()
        self.assertTrue(crypt.verify(new_password, office.sudo().password_hash))
        self.assertFalse(crypt.verify(old_password, office.sudo().password_hash))

    def test_company_not_client_of_the_office(self):
        password = self._connect_first_company()
        self.company_c.account_representative_id = self._firm("Fiduciaire Demo", OFFICE_VAT)
        wizard = self._wizard(self.company_c)
        wizard.office_password = password
        wizard.action_connect()
        self.assertIn(
            f"does not know Client C ({CLIENT_C_VAT}) as a client of the accounting office "
            f"Fiduciaire Demo ({OFFICE_VAT})",
            wizard.error_message,
        )
        self.assertFalse(self.company_c._codabox_connection())

    def test_company_not_client_at_consent(self):
        self.company_c.codabox_office_vat = OFFICE_VAT
        _password, back = self._consent(self.company_c)
        page = self._open_callback(back)
        # Only the office VAT is in the settings: the office is named by it.
        self.assertIn(
            f"does not know Client C ({CLIENT_C_VAT}) as a client of the accounting office "
            f"{OFFICE_VAT}",
            page,
        )
        self.assertFalse(self.company_c._codabox_connection())

    def test_company_without_vat_is_told(self):
        self.company_c.vat = False
        with self.assertRaisesRegex(UserError, "has no VAT number"):
            self._wizard(self.company_c)

    # -- status, revoke, password ----------------------------------------------------------

    def test_cancelled_consent_shows_after_refresh(self):
        self._connect_first_company()
        connection = self.company_a._codabox_connection()
        self.sandbox.set_consent(OFFICE_VAT, "cancelled")
        self.assertEqual(connection.consent_status, "allowed", "no check without a click")
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        settings.action_codabox_refresh_status()
        self.assertEqual(connection.consent_status, "cancelled")
        self.assertEqual(
            dict(connection._fields["consent_status"]._description_selection(self.env))[
                "cancelled"
            ],
            "Cancelled",
        )

    def test_revoke(self):
        self._connect_first_company()
        connection = self.company_a._codabox_connection()
        feed_client_id = connection.feed_client_id
        wizard = self._wizard(self.company_a)
        self.assertEqual(wizard.step, "manage")
        wizard.action_revoke()
        self.assertEqual(connection.state, "revoked")
        self.assertFalse(connection.sudo().password)
        self.assertFalse(self.company_a._codabox_connection())
        state = self.sandbox.state()
        revoked = [c for c in state["connections"] if c["feed_client_id"] == feed_client_id]
        self.assertTrue(revoked and revoked[0].get("revoked"), state["connections"])

    def test_change_password(self):
        old_password = self._connect_first_company()
        wizard = self._wizard(self.company_a)
        wizard.action_start_change_password()
        new_password = wizard.new_password
        self.assertNotEqual(new_password, old_password)
        wizard.write({"password_saved": True, "office_password": "WRONG"})
        wizard.action_change_password()
        self.assertIn("refused the accounting office password", wizard.error_message)
        self.assertEqual(wizard.new_password, new_password, "still there for another try")
        wizard.office_password = old_password
        wizard.action_change_password()
        self.assertFalse(wizard.new_password)
        office = self.company_a._codabox_connection().office_id
        self.assertTrue(
            self.env["res.users"]._crypt_context().verify(new_password, office.sudo().password_hash)
        )
        # CodaBox knows the new password too: a further company connects with it.
        wizard_b = self._wizard(self.company_b)
        wizard_b.office_password = new_password
        wizard_b.action_connect()
        self.assertTrue(self.company_b._codabox_connection())

    # -- security --------------------------------------------------------------------------

    def test_accountant_cannot_read_secrets(self):
        self._connect_first_company()
        accountant = new_test_user(
            self.env,
            "accountant",
            groups="account.group_account_manager",
            company_id=self.company_a.id,
        )
        connection = self.company_a._codabox_connection().with_user(accountant)
        self.assertEqual(connection.state, "connected")
        for field in ("username", "password"):
            with self.assertRaises(AccessError):
                connection.read([field])
        with self.assertRaises(AccessError):
            connection.office_id.read(["password_hash"])
        with self.assertRaises(AccessError):
            self.env["codabox.connect.state"].with_user(accountant).search([])
        # Through RPC, as the web client or an external script would ask.
        self.authenticate("accountant", "accountant")
        for model, field in (
            ("codabox.connection", "password"),
            ("codabox.office", "password_hash"),
        ):
            payload = {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "model": model,
                    "method": "search_read",
                    "args": [[], [field]],
                    "kwargs": {},
                },
            }
            response = self.url_open(
                "/web/dataset/call_kw",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            ).json()
            self.assertIn("error", response, response)
            self.assertNotIn(field, str(response.get("result", "")))

    def test_other_company_connection_invisible(self):
        self._connect_first_company()
        user_b = new_test_user(
            self.env, "user_b", groups="account.group_account_manager", company_id=self.company_b.id
        )
        self.assertFalse(self.env["codabox.connection"].with_user(user_b).search([]))
