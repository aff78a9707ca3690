"""Who is who at CodaBox in the tests: the accounting offices and the companies, each VAT number
with one role. Plain data, without Odoo: the pure pytest tests use it as the Odoo ones do.

The tests meet two CodaBoxes:

- the sandbox's example seed, ``sandbox/seed_example.json`` (the demo's too): the tests of the
  client and of the sandbox itself run against it (``sandbox`` in tests/conftest.py);
- the tests' own seed, :func:`sandbox_seed`: the Odoo tests, the crash tests and the office's
  two databases, each with the client companies it needs.
"""

from ..sandbox.state import read_seed

# -- the example seed (sandbox/seed_example.json) -------------------------------------------

_EXAMPLE_SEED = read_seed()
EXAMPLE_SOFTWARE_ID = _EXAMPLE_SEED["software_id"]
EXAMPLE_OFFICE_VAT = "BE0477472701"  # Fiduciaire Lambert, an accounting office
EXAMPLE_LOGIN, EXAMPLE_LOGIN_PASSWORD = "marie.lambert", "lambert-2025"  # its MyCodaBox user
EXAMPLE_OFFICE_PASSWORD = "Kx7-office-Pw-2025"  # the office password the tests give it
EXAMPLE_COMPANY_A_VAT = "BE0428759497"  # its client: two statements, the second without PDF
EXAMPLE_COMPANY_B_VAT = "BE0202239951"  # a further client of the office
EXAMPLE_OTHER_OFFICE_CLIENT_VAT = "BE0403019261"  # a client of the other office only
EXAMPLE_SME_VAT = "BE0897223670"  # a CodaBox client of its own, no accounting office
EXAMPLE_DOCS_A = next(
    company for company in _EXAMPLE_SEED["companies"] if company["vat"] == EXAMPLE_COMPANY_A_VAT
)["documents"]

# -- the tests' own seed (sandbox_seed) ----------------------------------------------------

# The offices' VAT numbers have no valid check digits: never a company's, only CodaBox's.
OFFICE_VAT = "BE0400000196"  # Fiduciaire Demo, the accounting office
OFFICE_LOGIN = "office@fiduciaire.example"  # its MyCodaBox user
OFFICE_LOGIN_PASSWORD = "sign-in-secret"
OFFICE2_VAT = "BE0400000394"  # Second Office, in the seeds that add it
OFFICE2_LOGIN = "boss@second-office.example"
SME_VAT = "BE0500000293"  # SME Direct, a CodaBox client of its own
# The client companies and their bank accounts. Whether CodaBox knows one as a client of the
# office (or of the second office) is up to each test's seed.
CLIENT_A_VAT, CLIENT_A_IBAN = "BE0411111140", "BE68539007547034"
CLIENT_B_VAT, CLIENT_B_IBAN = "BE0422222291", "BE71096123456769"
CLIENT_C_VAT, CLIENT_C_IBAN = "BE0433333345", "BE62510007547061"
CLIENT_D_VAT, CLIENT_D_IBAN = "BE0417497106", "BE43068999999501"


def client(vat, name, code, office_vat=OFFICE_VAT, **values):
    """A client company in a seed of :func:`sandbox_seed` (its ``ibans`` in ``values``)."""
    return {"vat": vat, "name": name, "client_code": code, "office_vat": office_vat, **values}


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
