"""Who is who at CodaBox in the tests: the accounting offices and the companies, each VAT number
with one role. Plain data, without Odoo: the pure pytest tests use it as the Odoo ones do.

The tests meet two CodaBoxes:

- the sandbox's example seed, ``sandbox/seed_example.json`` (the demo's too): the tests of the
  client and of the sandbox itself run against it (``sandbox`` in tests/conftest.py);
- the tests' own seed, :func:`sandbox_seed`: the Odoo tests, the crash tests and the office's
  two databases, each with the client companies it needs.
"""

from types import SimpleNamespace

from ..sandbox.state import read_seed

# -- the example seed (sandbox/seed_example.json) -------------------------------------------

_EXAMPLE_SEED = read_seed()
_EXAMPLE_COMPANY_A_VAT = "BE0428759497"
EXAMPLE = SimpleNamespace(
    software_id=_EXAMPLE_SEED["software_id"],
    office_vat="BE0477472701",  # Fiduciaire Lambert, an accounting office
    login="marie.lambert",  # its MyCodaBox user
    login_password="lambert-2025",
    office_password="Kx7-office-Pw-2025",  # the office password the tests give it
    company_a_vat=_EXAMPLE_COMPANY_A_VAT,  # its client: two statements, the second without PDF
    docs_a=next(
        company
        for company in _EXAMPLE_SEED["companies"]
        if company["vat"] == _EXAMPLE_COMPANY_A_VAT
    )["documents"],
    company_b_vat="BE0202239951",  # a further client of the office
    other_office_client_vat="BE0403019261",  # a client of the other office only
    sme_vat="BE0897223670",  # a CodaBox client of its own, no accounting office
)

# -- the tests' own seed (sandbox_seed) ----------------------------------------------------

# These three have no valid check digits (base_vat refuses them on a company): CodaBox's only.
OFFICE_VAT = "BE0400000196"  # Fiduciaire Demo, the accounting office
OFFICE2_VAT = "BE0400000394"  # Second Office, in the seeds that add it
SME_VAT = "BE0500000293"  # SME Direct, a CodaBox client of its own
OFFICE_LOGIN = "office@fiduciaire.example"  # the office's MyCodaBox user
OFFICE_LOGIN_PASSWORD = "sign-in-secret"
OFFICE2_LOGIN = "boss@second-office.example"
# The client companies and their bank accounts. Whether CodaBox knows one as a client of the
# office (or of the second office) is up to each test's seed.
CLIENT_A_VAT, CLIENT_A_IBAN = "BE0411111140", "BE68539007547034"
CLIENT_B_VAT, CLIENT_B_IBAN = "BE0422222291", "BE71096123456769"
CLIENT_C_VAT, CLIENT_C_IBAN = "BE0433333345", "BE62510007547061"
CLIENT_D_VAT, CLIENT_D_IBAN = "BE0417497106", "BE43068999999501"
# A company invoicing with Odoo, connected as invoicing software in the crash tests.
SME_SENDER_VAT, SME_SENDER_EMAIL = "BE0123456749", "sme@sme-invoicing.example"
CLIENT_COMPANIES = {  # the same, by key
    "a": (CLIENT_A_VAT, CLIENT_A_IBAN),
    "b": (CLIENT_B_VAT, CLIENT_B_IBAN),
    "c": (CLIENT_C_VAT, CLIENT_C_IBAN),
    "d": (CLIENT_D_VAT, CLIENT_D_IBAN),
}


def seed_company(vat, name, code, office_vat=OFFICE_VAT, **values):
    """A client company in a seed of :func:`sandbox_seed` (its ``ibans`` in ``values``)."""
    return {"vat": vat, "name": name, "client_code": code, "office_vat": office_vat, **values}


def office_clients_seed(companies):
    """A seed whose office has ``companies`` ({client code: (name, VAT, IBAN, ...)}) as its
    clients, each with its bank account."""
    return sandbox_seed(
        [
            seed_company(vat, name, code, ibans=[iban])
            for code, (name, vat, iban, *_others) in companies.items()
        ]
    )


def sandbox_seed(companies, offices=()):
    """A seed with the accounting office (and the given ones), the SME and client companies."""
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
