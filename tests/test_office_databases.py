"""One accounting office, several Odoo databases, one CodaBox: each database connects its
client companies with the office password made in the first one.

Two real databases (copies of the template dev/test.sh leaves), each with its own Odoo
registry in this process and its own committed transactions, against one sandbox, as two
databases of an office meet one CodaBox.
"""

import contextlib
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import pytest

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

from ..compat import GROUPS_FIELD, database_under_test
from ..sandbox.testing import running_sandbox
from .common import coda_document
from .crash_harness import create_database, database_exists, drop_database
from .parties import (
    CLIENT_COMPANIES,
    OFFICE_LOGIN,
    OFFICE_LOGIN_PASSWORD,
    OFFICE_VAT,
    office_clients_seed,
)

PARAM = "l10n_be_codabox_connect."
# company key: (name, VAT, IBAN, database)
COMPANIES = {
    "a1": ("Office DB A first", *CLIENT_COMPANIES["a"], "a"),
    "b1": ("Office DB B first", *CLIENT_COMPANIES["b"], "b"),
    "b2": ("Office DB B second", *CLIENT_COMPANIES["c"], "b"),
    "a2": ("Office DB A second", *CLIENT_COMPANIES["d"], "a"),
}


class Database:
    """One Odoo database of the office, used as its administrator would."""

    def __init__(self, name):
        self.name = name
        # Loading a registry with tests enabled would run the addon's tests in it.
        with patch.dict(config.options, {"test_enable": False}):
            self.registry = Registry(name)

    @contextlib.contextmanager
    def env(self, uid=SUPERUSER_ID):
        with self.registry.cursor() as cr:  # commits at the end, as a request does
            yield api.Environment(cr, uid, {})

    def company(self, env, key):
        return env["res.company"].search([("vat", "=", COMPANIES[key][1])])


@pytest.fixture(scope="module")
def office():
    """Databases A and B, and the sandbox: CodaBox knows the office and its four clients."""
    template = f"{database_under_test()}_template"
    if not database_exists(template):
        pytest.fail(f"{template} is missing: run the tests through dev/test.sh")
    seed = office_clients_seed(COMPANIES)
    names = {key: f"{template.removesuffix('_template')}_office_{key}" for key in ("a", "b")}
    with running_sandbox(seed) as sandbox:
        databases = {}
        try:
            for key, name in names.items():
                create_database(name, template)
                databases[key] = database = Database(name)
                _prepare(database, key, sandbox)
            yield sandbox, databases
        finally:
            for name in names.values():
                Registry.delete(name)
                drop_database(name)


def _prepare(database, key, sandbox):
    """The sandbox's parameters, an administrator, and the database's client companies with a
    bank journal for their account (the Belgian chart of the template's main company)."""
    with database.env() as env:
        params = env["ir.config_parameter"]
        for param, value in {
            "api_url": sandbox.url,
            "mycodabox_url": sandbox.url,
            "software_id": sandbox.software_id,
            "backoff": "0.01",
            "max_retries": "1",
            "timeout": "2",
        }.items():
            params.set_param(PARAM + param, value)
        admin = env.ref("base.user_admin")
        admin[GROUPS_FIELD] |= env.ref("account.group_account_manager")
        main = env.ref("base.main_company")
        for company_key, (name, vat, iban, db) in COMPANIES.items():
            if db != key:
                continue
            company = (
                main if company_key.endswith("1") else env["res.company"].create({"name": name})
            )
            company.write({"name": name, "vat": vat, "codabox_office_vat": OFFICE_VAT})
            admin.company_ids |= company
            if company == main:
                env["account.journal"].create(
                    {
                        "name": f"Bank {iban[-4:]}",
                        "code": f"O{iban[-3:]}",
                        "type": "bank",
                        "bank_acc_number": iban,
                        "company_id": company.id,
                    }
                )


def _wizard(env, company):
    Wizard = env["codabox.connection.wizard"].with_company(company)
    return Wizard.browse(Wizard._open_for(company)["res_id"])


def _create_connection(database, key, sandbox, password_holder):
    """The office's very first connection, anywhere: Create connection and the consent."""
    with database.env(uid=2) as env:
        company = database.company(env, key)
        wizard = _wizard(env, company)
        assert wizard.step == "start"
        wizard.action_create_connection()
        password = wizard.new_password
        wizard.password_saved = True
        url = wizard.action_go_to_mycodabox()["url"]
    back = sandbox.authorize_in_browser(url, OFFICE_LOGIN, OFFICE_LOGIN_PASSWORD, password)
    query = parse_qs(urlsplit(back).query)
    with database.env(uid=2) as env:
        states = env["codabox.connect.state"]
        claim = states._claim(query["state"][0])
        claim = states._exchange(claim, query["code"][0], query["state"][0])
        states._complete(claim)
    password_holder.append(password)
    return password


def _connect(database, key, password):
    """Manage Connection, then Connect with the office password; returns the wizard's error
    (False when connected) and the step it opened at."""
    with database.env(uid=2) as env:
        company = database.company(env, key)
        wizard = _wizard(env, company)
        opened_at = wizard.step
        if wizard.step == "start":
            wizard.action_use_office_password()
        wizard.office_password = password
        wizard.action_connect()
        return wizard.error_message, opened_at


def _office_consent(sandbox):
    (office,) = [o for o in sandbox.state()["offices"] if o["vat"] == OFFICE_VAT]
    return office["consent"]


def _connection(database, key):
    with database.env() as env:
        connection = database.company(env, key)._codabox_connection()
        return connection.state if connection else None


def _statements(database, key):
    with database.env() as env:
        company = database.company(env, key)
        return env["account.bank.statement"].search_count([("company_id", "=", company.id)])


def test_second_database_connects_with_the_office_password(office):
    sandbox, databases = office
    a, b = databases["a"], databases["b"]
    passwords = []
    first_password = _create_connection(a, "a1", sandbox, passwords)
    assert _connection(a, "a1") == "connected"
    consent_before = _office_consent(sandbox)

    # Database B does not know the office: it offers both ways; the office password wins.
    error, opened_at = _connect(b, "b1", first_password)
    assert opened_at == "start"
    assert error is False
    assert _connection(b, "b1") == "connected"
    assert _office_consent(sandbox) == consent_before, "no new consent"
    with b.env() as env:
        office_b = env["codabox.office"]._for_vat(OFFICE_VAT)
        assert office_b._password_matches(first_password)
        assert office_b.consent_status == "allowed"

    # The office password is changed from database B.
    with b.env(uid=2) as env:
        company = b.company(env, "b1")
        wizard = _wizard(env, company)
        wizard.action_start_change_password()
        new_password = wizard.new_password
        wizard.write({"password_saved": True, "office_password": first_password})
        notification = wizard.action_change_password()
        assert not wizard.error_message, wizard.error_message
        assert "Every Odoo database" in notification["params"]["message"]

    # Database A still knows the old one, but CodaBox says the new one is right.
    error, opened_at = _connect(a, "a2", new_password)
    assert opened_at == "connect"
    assert error is False
    assert _connection(a, "a2") == "connected"
    with a.env() as env:
        assert env["codabox.office"]._for_vat(OFFICE_VAT)._password_matches(new_password)

    # The old password, or a wrong one, is refused by CodaBox, in CodaBox's words.
    requests_before = len(sandbox.request_log(method="POST"))
    error, _step = _connect(b, "b2", first_password)
    assert "refused the accounting office password" in error
    assert _connection(b, "b2") is None
    assert len(sandbox.request_log(method="POST")) == requests_before + 1

    # Each database retrieves its own companies only.
    for key, day in (("a1", 2), ("b1", 3)):
        sandbox.add_documents(
            COMPANIES[key][1], [coda_document(COMPANIES[key][2], day, seed=day, movements=3)]
        )
    for database in (a, b):
        with database.env() as env:
            env["codabox.connection"]._cron_retrieve()
    assert _statements(a, "a1") == 1
    assert _statements(b, "b1") == 1
    with a.env() as env:
        assert not env["codabox.document"].search([("company_id.vat", "=", COMPANIES["b1"][1])])

    # Revoking in B touches none of A's connections.
    with b.env(uid=2) as env:
        company = b.company(env, "b1")
        wizard = _wizard(env, company)
        wizard.action_revoke()
    assert _connection(b, "b1") is None
    connected = {c["vat"]: c["connected"] for c in sandbox.state()["companies"]}
    assert not connected[COMPANIES["b1"][1]]
    assert connected[COMPANIES["a1"][1]] and connected[COMPANIES["a2"][1]]
    sandbox.add_documents(
        COMPANIES["a1"][1], [coda_document(COMPANIES["a1"][2], 4, seed=4, movements=3)]
    )
    with a.env() as env:
        connections = env["codabox.connection"].search([])
        for connection in connections:
            connection._retrieve()
        assert not connections.filtered("last_error")
    assert _statements(a, "a1") == 2


def test_refused_office_passwords_are_capped_per_user_and_hour(office):
    sandbox, databases = office
    b = databases["b"]
    with b.env() as env:
        env["codabox.password.attempt"].search([]).unlink()
    posts = len(sandbox.request_log(method="POST", path="/v2/connect/connections/"))
    for attempt in range(5):
        error, _step = _connect(b, "b2", f"WRONG-{attempt}")
        assert "refused the accounting office password" in error
    # The sixth is refused here: CodaBox is not asked.
    error, _step = _connect(b, "b2", "WRONG-6")
    assert "wait an hour" in error
    assert len(sandbox.request_log(method="POST", path="/v2/connect/connections/")) == posts + 5
    assert _connection(b, "b2") is None
