"""What the Odoo tests share: a Belgian company on l10n_be's chart, the CodaBox sandbox with the
addon pointed at it, the accounting office's client companies, and CODA documents to deliver.
Who is who at CodaBox is in tests/parties.py."""

import base64
from datetime import date
from urllib.parse import urlsplit

from odoo import Command
from odoo.tests import common as odoo_tests_common
from odoo.tests.common import HOST, HttpCase, TransactionCase

from ..codabox_client import CodaboxClient
from ..compat import ODOO_19
from ..dev.codagen import generate_statements, write_coda
from ..sandbox.testing import running_sandbox
from .parties import (
    CLIENT_A_VAT,
    CLIENT_B_VAT,
    OFFICE_LOGIN_PASSWORD,
    OFFICE_VAT,
    sandbox_seed,
    seed_company,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TEST_OFFICE_PASSWORD = "OFFICE-PASSW-ORD22-22222-22222"  # the office password tests set


class BelgianCompanyCase(TransactionCase):
    """Every Odoo test class of the addon: ``company``, a Belgian company on l10n_be's chart,
    is the environment's company and the administrator's (HttpCase and the tour log in as
    admin).

    ``make test``'s database has one as main company (dev/odoo-env.sh): it is used as it is.
    Odoo's runner finds a database made by ``odoo-bin -i l10n_be_codabox_connect`` alone (no
    country, Odoo's generic chart): one is made here. ``country_code`` and ``chart_template``
    are named as in Odoo's AccountTestInvoicingCommon.
    """

    country_code = "BE"
    chart_template = "be_comp"

    if ODOO_19:

        @classmethod
        def _request_handler(cls, s, r, /, **kw):
            """Odoo 19.0's tests let HTTP requests through to 127.0.0.1 only, after reading
            their timeout as one number: the CodaBox client's is a (connect, read) pair, and
            its requests go to the sandbox on 127.0.0.1, let through as Odoo would."""
            if isinstance(kw.get("timeout"), tuple) and urlsplit(r.url).hostname in (
                HOST,
                "localhost",
            ):
                return odoo_tests_common._super_send(s, r, **kw)
            return super()._request_handler(s, r, **kw)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._belgian_company()

    @classmethod
    def _belgian_company(cls):
        """The database's company when it is Belgian on the chart, else a new one made the
        environment's and the administrator's. A test class would override this to run in
        another company of its own."""
        company = cls.env.user.company_id
        if company.country_id.code == cls.country_code and (
            company.chart_template == cls.chart_template
        ):
            return company
        company = cls._create_belgian_company("Belgian Company")
        users = cls.env.user | cls.env.ref("base.user_admin")
        users.write({"company_ids": [Command.link(company.id)], "company_id": company.id})
        return company

    @classmethod
    def _create_belgian_company(cls, name, chart=True, **values):
        """A further Belgian company, on the chart unless ``chart`` is False (a company whose
        accounting the test does not touch is quicker to make without)."""
        country = cls.env["res.country"].search([("code", "=", cls.country_code)])
        company = cls.env["res.company"].create(
            {"name": name, "country_id": country.id, "currency_id": country.currency_id.id} | values
        )
        if chart:
            cls.env["account.chart.template"].try_loading(
                cls.chart_template, company=company, install_demo=False
            )
        return company


class BelgianCompanyHttpCase(BelgianCompanyCase, HttpCase):
    """The same, for the tests that go through Odoo's HTTP server or a browser."""


class SandboxMixin:
    """Starts the sandbox for a test class and points the addon's parameters at it."""

    sandbox_companies = ()
    sandbox_offices = ()

    @classmethod
    def start_sandbox(cls):
        context = running_sandbox(
            sandbox_seed(list(cls.sandbox_companies), list(cls.sandbox_offices))
        )
        cls.sandbox = context.__enter__()
        cls.addClassCleanup(context.__exit__, None, None, None)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("l10n_be_codabox_connect.api_url", cls.sandbox.url)
        params.set_param("l10n_be_codabox_connect.mycodabox_url", cls.sandbox.url)
        params.set_param("l10n_be_codabox_connect.software_id", cls.sandbox.software_id)
        # Faults are retried quickly, and a slow answer times out after one second.
        params.set_param("l10n_be_codabox_connect.backoff", "0.01")
        params.set_param("l10n_be_codabox_connect.max_retries", "2")
        params.set_param("l10n_be_codabox_connect.timeout", "1")

    def setUp(self):
        super().setUp()
        # Each test starts from the seed: the database is rolled back, so must CodaBox be.
        self.sandbox.reset()

    def connect_with_consent(self, company, office_vat, login, password=TEST_OFFICE_PASSWORD):
        """``company`` connected as an accounting office does it: the office (made here, its
        password set) allows Odoo in MyCodaBox, signed in as ``login``; then the connection
        Odoo stores. Returns (office, connection)."""
        sandbox = self.sandbox
        client = CodaboxClient(sandbox.url, sandbox.software_id)
        office = self.env["codabox.office"].create({"vat": office_vat})
        office._set_password(password)
        back = sandbox.authorize_in_browser(
            client.authorize_url(
                sandbox.url,
                software_id=sandbox.software_id,
                office_vat=office_vat,
                company_vat=company.vat,
                redirect_uri="http://odoo.invalid/codabox/connect/callback",
                state="s",
            ),
            login,
            OFFICE_LOGIN_PASSWORD,
            password,
        )
        answer = client.exchange_code(back.split("code=")[1].split("&")[0], password)
        return office, self.env["codabox.connection"]._connect(company, office, answer)


class OfficeClientsMixin(SandboxMixin):
    """Companies A and B, clients of the accounting office at the sandbox, both with the
    office's VAT in their CodaBox settings: A is ``company``, B a new company, on the chart
    when ``company_b_chart`` says so. Mixed into a BelgianCompanyCase or
    BelgianCompanyHttpCase."""

    sandbox_companies = (
        seed_company(CLIENT_A_VAT, "Client A", "A"),
        seed_company(CLIENT_B_VAT, "Client B", "B"),
    )
    company_b_chart = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        cls.company_a = cls.company
        cls.company_a.write({"vat": CLIENT_A_VAT, "codabox_office_vat": OFFICE_VAT})
        cls.company_b = cls._create_belgian_company(
            "Client B", chart=cls.company_b_chart, vat=CLIENT_B_VAT, codabox_office_vat=OFFICE_VAT
        )


def coda_document(iban, day, seed=0, movements=5):
    """A CODA document as CodaBox delivers it: one statement of ``iban`` on that day of
    November 2026, with its PDF."""
    statements = generate_statements(
        iban=iban,
        holder_name="Client",
        start_date=date(2026, 11, day),
        movements_per_statement=movements,
        seed=seed,
        first_coda_sequence=day,
    )
    return {
        "document_model": "coda",
        "metadata": {
            "iban": iban,
            "currency": "EUR",
            "new_balance_date": f"2026-11-{day:02d}",
            "movement_count": movements,
        },
        "cod": base64.b64encode(write_coda(statements)).decode(),
        "pdf": base64.b64encode(PDF).decode(),
    }
