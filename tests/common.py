"""What the Odoo tests share: a running CodaBox sandbox and the addon pointed at it."""

from ..sandbox.testing import running_sandbox

OFFICE_VAT = "BE0400000196"
OFFICE_LOGIN = "office@fiduciaire.example"
OFFICE_LOGIN_PASSWORD = "sign-in-secret"
SME_VAT = "BE0500000293"


def sandbox_seed(companies, offices=()):
    """A seed with an accounting office (and the given ones), an SME and client companies."""
    return {
        "software_id": "7f3c1c1e-4a86-4f5e-9d2b-0c8d7c0c0001",
        "offices": [
            {
                "vat": OFFICE_VAT,
                "name": "Fiduciaire Demo",
                "users": [{"login": OFFICE_LOGIN, "password": OFFICE_LOGIN_PASSWORD}],
            },
            *offices,
        ],
        "companies": [
            {"vat": SME_VAT, "name": "SME Direct", "client_code": "SME", "office_vat": None},
            *companies,
        ],
    }


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
