"""The demo's data: an accounting office, its Belgian client companies, and their CodaBox.

Run by dev/demo.sh with the virtualenv's Python, Odoo used as a library::

    python dev/demo_data.py -c .odoo/odoo.conf -d codabox_demo \\
        --sandbox-url http://127.0.0.1:8070 --odoo-url http://127.0.0.1:8069 \\
        --seed-out .odoo/demo-sandbox-seed.json [--further] \\
        [--sftp-root .odoo/demo-sftp --sftp-port 8022]
    python dev/demo_data.py -c .odoo/odoo.conf -d codabox_demo \\
        --sandbox-url http://127.0.0.1:8070 --invoicing   # once the sandbox runs

In the database: the main company becomes the accounting office "Fiduciaire Demo"; the client
companies (CLIENTS; FURTHER_CLIENTS with ``--further``, for a further database of the same
office) on the Belgian chart (be_comp) get the office as accounting firm, a bank journal named
after its bank (in every installed language) with an IBAN, customers with Belgian bank
accounts and posted open invoices with a Belgian structured communication; the admin user gets
every company, the full accounting features and the Invoicing dashboard as home; the addon's
system parameters point at the sandbox.

Out of the database: the sandbox seed, with the office's MyCodaBox user and, for each client,
one CODA file (and its PDF) per business day made by the project's generator. They pay some
of the demo invoices: exactly, partly or with a wrong amount with the invoice's structured
communication, or with its number in a free communication; one carries the structured
communication of another client's invoice. They hold globalisations and a bank's free
message too. One client has a second account, without a bank journal in Odoo: the statement
CodaBox delivers for it fails until the journal is made ("Create journal", then "Retry").

CodaBox's file delivery, with ``--sftp-root`` (the first database only; dev/demo.sh serves
that folder with its own SFTP server on ``--sftp-port``, started before this script): a small
business with a CodaBox contract of its own (SME), which receives its CODA by SFTP only, gets
its client code and a bank journal; two days of its CODA files and their PDFs are written in
the folder under ``<client code>/CODA/``, and one file under a client code no company has;
the delivery "CodaBox SFTP (demo)" (FTP at CodaBox, SFTP on 127.0.0.1) serves the SME. Then
the delivery is collected, as the daily job does, whenever its company's files wait in the
folder: its statements are imported, the files moved to ``archive/``, the server's host key
pinned.

Odoo as a small business's invoicing software (first database only): *Garage Martin SRL*, a
client of the office at CodaBox with an e-mail address there (GARAGE), is two companies here.
The office's client company "Garage Martin SRL" (the office's books of it, importing the sales
invoices CodaBox delivers) and the business's own books "Garage Martin SRL (own Odoo,
invoicing software)", with two customers and two draft invoices, whose CODA (GARAGE_DAYS days in
the seed) pays the first with its structured communication. With ``--invoicing``, once the
sandbox runs (dev/demo.sh, before Odoo serves): the office's client company is connected
through MyCodaBox's consent (the office password made for it is forgotten: the first client
company still creates the office's connection, step 1 of the demo), the business connects as
its invoicing software (token requested, read from the sandbox's outbox, typed in the
wizard), posts its two invoices, which the sending job sends to CodaBox, and the daily job
retrieves: the business's CODA pays its first invoice, and the office's client company gets
both as draft customer invoices from CodaBox's sales invoice documents.

Idempotent and reproducible: records are found by VAT number, code or reference before being
made, the dates are fixed when the database first gets its demo data, and the randomness is
seeded; a second run changes nothing in the database and writes the same seed (the files
already collected are in the SFTP folder's archive: they are not written again).
"""

import argparse
import base64
import io
import json
import os
import random
import sys
import uuid
from datetime import date, timedelta
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from coda_parser import FreeCommunication, parse  # noqa: E402
from coda_parser.parser import bban_to_iban  # noqa: E402
from coda_parser.structured import (  # noqa: E402
    enterprise_number_check_digits,
    ogm_check_digits,
)
from dev.codagen import (  # noqa: E402
    generate_purchase_invoice,
    generate_soda,
    generate_statements,
    write_coda,
    write_soda,
)

PARAM = "l10n_be_codabox_connect."
DATE_PARAM = "codabox_demo.date"  # the day the demo data was first made: all dates follow it
# "first" or "further": which clients the database holds, fixed when it first gets its data
# (dev/demo.sh reads it to know whether the database uses the first demo's sandbox).
ROLE_PARAM = "codabox_demo.database"
SOFTWARE_ID = "d3e0c0da-b0c5-4a1d-9e2f-0de40c0dab0c"
STATEMENT_DAYS = 5

# The demo's CodaBox file delivery (see the module's docstring): its login on dev/demo.sh's
# SFTP server, its name in Odoo, how many days of the SME's statements it delivers, and the
# client code of the file that no company has.
SFTP_USERNAME = "fleurs-martin"
SFTP_PASSWORD = "sftp-demo"
SFTP_SOURCE = "CodaBox SFTP (demo)"
SFTP_DAYS = 2
UNKNOWN_CLIENT_CODE = "40999"
SFTP_ARCHIVE = "archive"  # where a collection moves the files it imported


def belgian_vat(seven_digits):
    """BE + enterprise number: 0, seven digits and their check digits."""
    base = f"0{seven_digits}"
    return f"BE{base}{enterprise_number_check_digits(base)}"


def belgian_iban(account):
    """The IBAN of Belgian account "BBB-NNNNNNN" (and its check digits)."""
    ten = account.replace("-", "")
    return bban_to_iban(f"{ten}{ogm_check_digits(ten)}")


BANKS = {
    # bank code prefix of the Belgian account number: (BIC, name)
    "001": ("GEBABEBB", "BNP Paribas Fortis"),
    "363": ("BBRUBEBB", "ING Belgique"),
    "734": ("KREDBEBB", "KBC Bank"),
    "068": ("GKCCBEBB", "Belfius Banque"),
    "751": ("AXABBE22", "Crelan"),
    "523": ("TRIOBEBB", "Triodos Bank"),
}

OFFICE = {
    "name": "Fiduciaire Demo",
    "vat": belgian_vat("4470161"),
    "street": "Avenue Louise 54",
    "zip": "1050",
    "city": "Bruxelles",
    "email": "contact@fiduciaire.example",
    "phone": "+32 2 555 01 23",
    "login": "demo@fiduciaire.example",
    "password": "demo",
}

# Each client: its bank account, customers (with their bank accounts) and open invoices.
# Invoice "paid": the statement day (1 is the first) whose CODA file pays it, and how: "ogm"
# (its amount with the invoice's structured communication: reconciled, paid), "partial" (a
# part of it with the communication: reconciled, partly paid), "wrong" (more than its amount
# with the communication: left open, with a note), or "free" (its number in a free
# communication: never matched, left open). "foreign": the statement day whose CODA file
# has a payment with the structured communication of another client's invoice (client code,
# invoice number from 1): left open, since it is not an invoice of this company.
# "account_without_journal": a second account of the client (bank account, opening balance,
# statement day, amount moved to it from the first account) that has no bank journal in Odoo:
# CodaBox delivers its statement, which fails until the journal is made.
# The client whose statement of the third day CodaBox delivered before the company was
# connected: its first retrieval leaves a gap, named on its journal's card, filled by "Fetch
# again from CodaBox" on the statement after it.
GAP_CLIENT, GAP_DAY = "JANSSENS", 2

CLIENTS = [
    {
        "code": "PEETERS",
        "name": "Boulangerie Peeters SRL",
        "vat": belgian_vat("6614285"),
        "street": "Bondgenotenlaan 112",
        "zip": "3000",
        "city": "Leuven",
        "bank": "734-0123456",
        "opening_balance": "18342.57",
        "customers": [
            ("Hotel De Vleugel NV", "4217730", "068-2231874", "Naamsestraat 20, 3000 Leuven"),
            ("Café Central BV", "5520911", "001-6612099", "Grote Markt 7, 3000 Leuven"),
            ("Traiteur Van Damme", "7003182", "363-0458821", "Kerkstraat 3, 3010 Kessel-Lo"),
        ],
        "invoices": [
            (0, "Pains et viennoiseries, semaine 1", 42, "18.50", 2, "ogm"),
            (1, "Pâtisseries pour réception", 1, "645.00", 3, "ogm"),
            (2, "Sandwiches, livraison mensuelle", 120, "4.20", 5, "free"),
            (0, "Gâteaux d'anniversaire", 3, "58.00", None, None),
        ],
        "foreign": [],
    },
    {
        "code": "JANSSENS",
        "name": "Garage Janssens BV",
        "vat": belgian_vat("7342019"),
        "street": "Turnhoutsebaan 240",
        "zip": "2140",
        "city": "Antwerpen",
        "bank": "001-7045512",
        "opening_balance": "42715.03",
        "customers": [
            ("Transport Mertens NV", "4871236", "734-5510247", "Haven 17, 2030 Antwerpen"),
            ("Taxi Willems", "6110457", "751-0098834", "Nieuwstraat 9, 2800 Mechelen"),
            ("Bouwbedrijf Claes BV", "8235560", "363-3382011", "Dorpsstraat 41, 2590 Berlaar"),
        ],
        "invoices": [
            (0, "Entretien camion 1-ABC-123", 1, "1240.00", 1, "ogm"),
            (1, "Pneus hiver (4)", 4, "165.00", 4, "ogm"),
            (2, "Réparation carrosserie", 1, "2310.50", 5, "partial"),
            (0, "Contrôle technique, préparation", 2, "95.00", 2, "wrong"),
            (1, "Vidange et filtres", 1, "189.90", None, None),
        ],
        # A customer of the bakery pays it with the garage's bank details.
        "foreign": [(3, "PEETERS", 4)],
        "account_without_journal": ("068-3315072", "25000.00", 3, "5000.00"),
    },
    {
        "code": "LAMBERT",
        "name": "Imprimerie Lambert SA",
        "vat": belgian_vat("5189902"),
        "street": "Rue de Fer 25",
        "zip": "5000",
        "city": "Namur",
        "bank": "363-2287764",
        "opening_balance": "9876.40",
        "customers": [
            ("Librairie Dupont SRL", "4392217", "068-7760143", "Rue de l'Ange 12, 5000 Namur"),
            ("Université Populaire ASBL", "8811042", "523-0451276", "Rue Haute 3, 5100 Jambes"),
            (
                "Éditions Renard SC",
                "6624480",
                "001-3309915",
                "Chaussée de Louvain 88, 5310 Éghezée",
            ),
        ],
        "invoices": [
            (0, "Dépliants A5 quadri (5000 ex.)", 1, "780.00", 2, "ogm"),
            (1, "Affiches A2, conférence", 150, "3.80", 3, "free"),
            (2, "Catalogue 48 pages (1000 ex.)", 1, "3450.00", 4, "ogm"),
            (2, "Cartes de visite", 10, "24.50", None, None),
        ],
        "foreign": [],
    },
]

# A further Odoo database of the same office (DEMO_DB=codabox_demo_2 make demo, next to the
# first one): other clients, known to the same CodaBox.
FURTHER_CLIENTS = [
    {
        "code": "DUBOIS",
        "name": "Brasserie Dubois SRL",
        "vat": belgian_vat("6208815"),
        "street": "Rue Saint-Gilles 58",
        "zip": "4000",
        "city": "Liège",
        "bank": "068-2105537",
        "opening_balance": "12480.90",
        "customers": [
            ("Restaurant Le Thier SRL", "4518823", "001-5520318", "Rue du Thier 14, 4000 Liège"),
            ("Hôtel de la Couronne SA", "7730154", "734-2209816", "Place Verte 15, 4800 Verviers"),
            ("Comité des Fêtes de Spa ASBL", "8402267", "363-6612408", "Rue Royale 41, 4900 Spa"),
        ],
        "invoices": [
            (0, "Bières en fût, livraison mensuelle", 12, "86.00", 2, "ogm"),
            (1, "Bières en bouteilles (casiers de 24)", 40, "31.20", 4, "partial"),
            (2, "Fête de la bière, location du bar", 1, "950.00", 3, "free"),
            (0, "Verres gravés", 120, "3.90", None, None),
        ],
        "foreign": [],
    },
    {
        "code": "WOUTERS",
        "name": "Schrijnwerkerij Wouters BV",
        "vat": belgian_vat("7815530"),
        "street": "Kempischesteenweg 311",
        "zip": "3500",
        "city": "Hasselt",
        "bank": "751-2044318",
        "opening_balance": "27310.45",
        "customers": [
            ("Bouwgroep Vanhoof NV", "4630925", "068-4417720", "Industrieweg 8, 3550 Zolder"),
            ("Kinderopvang Speelboom", "8850031", "523-7782104", "Schoolstraat 5, 3500 Hasselt"),
            ("Architect Stevens BV", "5129846", "734-3390172", "Grote Markt 9, 3500 Hasselt"),
        ],
        "invoices": [
            (0, "Maatwerk trap, werf Zolder", 1, "4860.00", 1, "ogm"),
            (1, "Kasten speelruimte", 1, "2375.00", 3, "ogm"),
            (2, "Plaatsing binnendeuren", 6, "315.00", 5, "wrong"),
            (0, "Onderhoud ramen", 1, "420.00", None, None),
        ],
        "foreign": [],
    },
]


# A small business with its own CodaBox contract (not a client of the office in CodaBox): its
# CODA comes by SFTP only ("FTP at CodaBox"), collected by the delivery of the first database.
# Like a client above; "client_code" is its folder in the delivery. Its statements pay the
# first invoice (day 1, structured communication); the second stays open.
SME = {
    "code": "MARTIN",
    "client_code": "40117",
    "name": "Fleurs Martin SRL (SME, SFTP)",
    "vat": belgian_vat("6371428"),
    "street": "Rue des Fripiers 17",
    "zip": "1000",
    "city": "Bruxelles",
    "bank": "523-0871346",
    "opening_balance": "6215.30",
    "customers": [
        ("Hôtel Métropole SA", "4120563", "001-8834120", "Place de Brouckère 31, 1000 Bruxelles"),
        ("Galerie Lemaire SRL", "5509317", "068-1190446", "Rue de Namur 80, 1000 Bruxelles"),
        ("Traiteur Simons", "7204418", "363-5512730", "Rue Haute 145, 1000 Bruxelles"),
    ],
    "invoices": [
        (0, "Compositions florales, hall d'entrée", 1, "385.00", 1, "ogm"),
        (1, "Bouquets de vernissage", 6, "42.50", None, None),
    ],
    "foreign": [],
}


# Odoo as an SME's invoicing software (issue #17): a client of the office at CodaBox, with an
# e-mail address there (where CodaBox sends the token), that invoices with its own Odoo. Two
# companies in the first database: the office's client company (name), connected by CodaBox
# Connect, which imports the sales invoices CodaBox delivers, and the business's own books
# (sme_name), connected as its invoicing software, with customers and invoices as a client
# above. Its first GARAGE_DAYS days of CODA (the same for both connections) pay the first
# invoice with its structured communication; the second stays open.
GARAGE = {
    "code": "GARAGE",
    "name": "Garage Martin SRL",
    "sme_name": "Garage Martin SRL (own Odoo, invoicing software)",
    "vat": belgian_vat("5846203"),
    "email": "compta@garage-martin.example",
    "street": "Chaussée d'Alsemberg 812",
    "zip": "1180",
    "city": "Uccle",
    "bank": "068-5521734",
    "opening_balance": "11840.65",
    "customers": [
        ("Taxis Verhaegen SRL", "4719365", "734-6021487", "Avenue Brugmann 250, 1180 Uccle"),
        ("Auto-École Lemoine SRL", "6038417", "363-7104452", "Rue Vanderkindere 120, 1180 Uccle"),
    ],
    "invoices": [
        (0, "Entretien et vidange, Skoda Octavia 1-TXV-412", 1, "318.40", 2, "ogm"),
        (1, "Plaquettes et disques de frein, véhicule école", 1, "486.00", None, None),
    ],
    "foreign": [],
}
GARAGE_DAYS = 2


def clients_of(role):
    """The client companies of a "first" or a "further" demo database."""
    return FURTHER_CLIENTS if role == "further" else CLIENTS


# Account numbers of the statements' other counterparties (suppliers, staff, landlord...)
SUPPLIERS = [
    ("Proximus SA", "001-4411210", "Boulevard du Roi Albert II 27", "1030 Bruxelles"),
    ("Engie Electrabel", "068-0914432", "Boulevard Simon Bolivar 34", "1000 Bruxelles"),
    ("Fluvius", "734-6650028", "Brusselsesteenweg 199", "9090 Melle"),
    ("Meunerie Dumont SA", "363-8801273", "Rue du Moulin 4", "1300 Wavre"),
    ("SD Worx", "001-2287410", "Brouwersvliet 2", "2000 Antwerpen"),
    ("Immo Goossens BV", "751-3370012", "Meir 60", "2000 Antwerpen"),
    ("Lefèvre Papier SRL", "523-1146629", "Rue de la Station 15", "4000 Liège"),
    ("Ethias SA", "068-5573019", "Rue des Croisiers 24", "4000 Liège"),
    ("Sofie Maes", "734-9021348", "Stationsstraat 8", "9000 Gent"),
    ("Marc Jacobs", "363-4470335", "Kerkstraat 51", "2800 Mechelen"),
]

BANK_MESSAGES = [
    "Vos frais de tenue de compte changent au 1er du mois prochain. Les nouveaux tarifs sont\n"
    "disponibles dans votre agence et sur le site de la banque.",
    "Nouveau : les virements instantanés sont gratuits pour les comptes professionnels.",
    "Uw rekeninguittreksels zijn voortaan ook beschikbaar in uw online bankieren.",
]


def _cents(value):
    return Decimal(value).quantize(Decimal("0.01"))


# What "Retrieve from CodaBox" makes of each demo invoice, by how the statements pay it (see
# CLIENTS): the addon reconciles exact and partial payments by structured communication.
PAYMENT_STATE = {"ogm": "paid", "partial": "partial"}


def expected_payment_state(how):
    """The invoice's payment state once its client's statements are retrieved."""
    return PAYMENT_STATE.get(how, "not_paid")


def _paid_amount(total, how):
    """What the customer pays: the total, half of it ("partial"), or 10.00 too much."""
    if how == "partial":
        return _cents(total / 2)
    if how == "wrong":
        return _cents(total + 10)
    return _cents(total)


class DemoData:
    """Makes (or finds) the demo records; ``run`` returns the sandbox seed."""

    def __init__(
        self,
        env,
        sandbox_url,
        odoo_url,
        role="first",
        software_id=SOFTWARE_ID,
        sftp_root=None,
        sftp_port=None,
    ):
        self.env = env
        self.sftp_root = sftp_root if role == "first" else None
        self.sftp_port = sftp_port
        self.sftp_source = env["codabox.delivery.source"]
        self.sandbox_url = sandbox_url.rstrip("/")
        self.odoo_url = odoo_url.rstrip("/")
        self.role = role
        self.software_id = software_id
        self.be = env.ref("base.be")
        self.eur = env.ref("base.EUR")

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _ensure(record, vals):
        """Write only the values that differ, so that a second run changes nothing."""
        changed = {}
        for name, value in vals.items():
            current = record[name]
            if record._fields[name].type == "many2one":
                current = current.id
            if current != value:
                changed[name] = value
        if changed:
            record.write(changed)
        return record

    def _param(self, key, value):
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(key) != value:
            params.set_param(key, value)

    def _bank(self, code):
        bic, name = BANKS[code]
        bank = self.env["res.bank"].search([("bic", "=", bic)], limit=1)
        return bank or self.env["res.bank"].create(
            {"name": name, "bic": bic, "country": self.be.id}
        )

    def _demo_date(self):
        params = self.env["ir.config_parameter"].sudo()
        value = params.get_param(DATE_PARAM)
        if not value:
            value = date.today().isoformat()
            params.set_param(DATE_PARAM, value)
        return date.fromisoformat(value)

    @staticmethod
    def _business_days_before(day, count):
        days = []
        while len(days) < count:
            day -= timedelta(days=1)
            if day.weekday() < 5:
                days.append(day)
        return days[::-1]

    # --- the records --------------------------------------------------------------------

    def _check_role(self):
        """A database keeps the clients it was made with: the other set would add the other
        database's companies, which CodaBox knows already, connected from there."""
        params = self.env["ir.config_parameter"].sudo()
        role = params.get_param(ROLE_PARAM)
        if not role:
            params.set_param(ROLE_PARAM, self.role)
        elif role != self.role:
            raise SystemExit(
                f"demo data: database {self.env.cr.dbname} is a {role} database of the office, "
                f"not a {self.role} one"
            )

    def run(self):
        self._check_role()
        self.today = self._demo_date()
        self.days = self._business_days_before(self.today, STATEMENT_DAYS)
        office = self._office()
        # Copies, to which _client adds their records.
        self.clients = [dict(client) for client in clients_of(self.role)]
        companies = [self._client(office, client) for client in self.clients]
        sme = self._sme() if self.sftp_root else self.env["res.company"]
        garage = self._garage(office) if self.role == "first" else self.env["res.company"]
        admin = self.env.ref("base.user_admin")
        missing = (
            office | sme | garage | self.env["res.company"].union(*companies)
        ) - admin.company_ids
        if missing:
            admin.company_ids = [(4, company.id) for company in missing]
        # The admin starts in the first client company, where "Create connection" is.
        self._ensure(admin, {"company_id": companies[0].id})
        # "Show Full Accounting Features": bank statements, reconciliation and the settings'
        # accounting blocks (CodaBox's among them) are hidden from Community users without it.
        from compat import GROUPS_FIELD

        full_accounting = self.env.ref("account.group_account_user")
        if full_accounting not in admin[GROUPS_FIELD]:
            admin[GROUPS_FIELD] = [(4, full_accounting.id)]
        # Signing in lands on the Invoicing dashboard (bank journals, "Retrieve from CodaBox"),
        # not on Discuss, the first app of the menu.
        dashboard = self.env.ref("account.open_account_journal_dashboard_kanban")
        self._ensure(admin, {"action_id": dashboard.id})
        # The demo talks to the sandbox only: no weekly call home to Odoo's servers.
        update_notification = self.env.ref(
            "mail.ir_cron_module_update_notification", raise_if_not_found=False
        )
        if update_notification and update_notification.active:
            update_notification.active = False
        self._param(PARAM + "api_url", self.sandbox_url)
        self._param(PARAM + "mycodabox_url", self.sandbox_url)
        self._param(PARAM + "software_id", self.software_id)
        self._param("web.base.url", self.odoo_url)
        return self._seed(companies)

    def _office(self):
        office = self.env.ref("base.main_company")
        self._ensure(
            office,
            {
                "name": OFFICE["name"],
                "vat": OFFICE["vat"],
                "street": OFFICE["street"],
                "zip": OFFICE["zip"],
                "city": OFFICE["city"],
                "country_id": self.be.id,
                "email": OFFICE["email"],
                "phone": OFFICE["phone"],
            },
        )
        return office

    def _client(self, office, client, post=True):
        """The client company of ``office`` (None: a company of its own, the SME), named
        ``client["company_name"]`` if given (two companies share Garage Martin's VAT number);
        its invoices posted, or left in draft (``post=False``)."""
        Company = self.env["res.company"]
        name = client.get("company_name", client["name"])
        company = Company.search([("vat", "=", client["vat"]), ("name", "=", name)], limit=1)
        if not company:
            vals = {
                "name": name,
                "vat": client["vat"],
                "street": client["street"],
                "zip": client["zip"],
                "city": client["city"],
                "country_id": self.be.id,
                "currency_id": self.eur.id,
                "email": client.get("email") or f"info@{client['code'].lower()}.example",
            }
            if "iap_enrich_auto_done" in Company._fields:
                vals["iap_enrich_auto_done"] = True  # partner_autocomplete: no call to Odoo's IAP
            company = Company.create(vals)
        if office:
            self._ensure(company, {"account_representative_id": office.partner_id.id})
        if not company.chart_template:
            self.env["account.chart.template"].try_loading("be_comp", company, install_demo=False)
        env = self.env(context={"allowed_company_ids": [company.id]})
        company = company.with_env(env)
        client["company"] = company
        client["iban"] = belgian_iban(client["bank"])
        client["journal"] = self._bank_journal(company, client)
        sale_journal = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        )
        self._ensure(
            sale_journal, {"invoice_reference_model": "be", "invoice_reference_type": "invoice"}
        )
        customers = [
            self._customer(company, client, index) for index in range(len(client["customers"]))
        ]
        client["invoices"] = [
            (self._invoice(company, sale_journal, customers, client, index, spec, post), spec)
            for index, spec in enumerate(client["invoices"])
        ]
        return company

    def _bank_journal(self, company, client):
        iban = client["iban"]
        bank = self._bank(client["bank"][:3])
        journals = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], order="id"
        )
        journal = journals.filtered(
            lambda j: j.bank_account_id.sanitized_acc_number == iban
        ) or journals.filtered(lambda j: not j.bank_account_id)
        journal = journal[:1]
        if not journal:
            journal = self.env["account.journal"].create(
                {"name": bank.name, "type": "bank", "code": "BNK9", "company_id": company.id}
            )
        if not journal.bank_account_id:
            journal.set_bank_account(iban, bank.id)
        # The journal is the chart's "Bank" one: its translations (Bank, Banque) are loaded
        # with the chart and with each language installed later, and outlive a write in
        # English. So the bank's name goes in every installed language; a language added
        # afterwards gets it at the next run.
        names = {
            code: bank.name
            for code, _name in self.env["res.lang"].get_installed()
            if journal.with_context(lang=code).name != bank.name
        }
        if names:
            journal.update_field_translations("name", names)
        return journal

    def _customer(self, company, client, index):
        name, vat_digits, account, address = client["customers"][index]
        ref = f"{client['code'][:3]}-C{index + 1:03d}"
        Partner = self.env["res.partner"]
        partner = Partner.search([("ref", "=", ref), ("company_id", "=", company.id)], limit=1)
        if not partner:
            street, locality = address.split(", ")
            zip_code, city = locality.split(" ", 1)
            partner = Partner.create(
                {
                    "name": name,
                    "ref": ref,
                    "company_id": company.id,
                    "is_company": True,
                    "vat": belgian_vat(vat_digits),
                    "street": street,
                    "zip": zip_code,
                    "city": city,
                    "country_id": self.be.id,
                    "bank_ids": [
                        (
                            0,
                            0,
                            {
                                "acc_number": belgian_iban(account),
                                "bank_id": self._bank(account[:3]).id,
                            },
                        )
                    ],
                }
            )
        return partner

    def _invoice(self, company, sale_journal, customers, client, index, spec, post=True):
        customer, label, quantity, price, _day, _how = spec
        ref = f"DEMO-{client['code']}-{index + 1}"
        Move = self.env["account.move"].with_company(company)
        move = Move.search(
            [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("ref", "=", ref)],
            limit=1,
        )
        if move:
            return move
        invoice_date = self.today - timedelta(days=45 - 7 * index)
        term = self.env.ref("account.account_payment_term_30days", raise_if_not_found=False)
        move = Move.create(
            {
                "move_type": "out_invoice",
                "journal_id": sale_journal.id,
                "partner_id": customers[customer].id,
                "ref": ref,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": term.id if term else False,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": label,
                            "quantity": quantity,
                            "price_unit": float(price),
                            "tax_ids": [(6, 0, company.account_sale_tax_id.ids)],
                        },
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    # --- CodaBox's file delivery (SFTP) ---------------------------------------------------

    def _sme(self):
        """The SME, its files in the SFTP folder, and the delivery that serves it."""
        self.sme = dict(SME)
        company = self._client(None, self.sme)
        self._ensure(company, {"codabox_client_code": SME["client_code"]})
        self._write_sftp_files()
        Source = self.env["codabox.delivery.source"].with_context(active_test=False)
        source = Source.search([("name", "=", SFTP_SOURCE)], limit=1)
        values = {
            "location": "codabox",
            "protocol": "sftp",
            "host": "127.0.0.1",
            "port": self.sftp_port,
            "username": SFTP_USERNAME,
            "root_path": False,
            "archive_folder": SFTP_ARCHIVE,
        }
        if not source:
            source = Source.create(
                {
                    "name": SFTP_SOURCE,
                    "password": SFTP_PASSWORD,
                    "company_ids": [(6, 0, company.ids)],
                    **values,
                }
            )
        else:
            self._ensure(source, {**values, "password": SFTP_PASSWORD, "active": True})
            if source.company_ids != company:
                source.company_ids = [(6, 0, company.ids)]
        self.sftp_source = source
        return company

    def _sftp_write(self, path, content):
        """Writes a file of the SFTP folder as CodaBox does (under a temporary name, then
        renamed), unless it is there already or was archived by a collection. True if
        written."""
        root = os.path.abspath(self.sftp_root)
        target = os.path.join(root, path)
        archived = os.path.join(root, SFTP_ARCHIVE, path)
        if os.path.exists(target) or os.path.exists(archived):
            return False
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(f"{target}.part", "wb") as file:
            file.write(content)
        os.replace(f"{target}.part", target)
        return True

    def _write_sftp_files(self):
        """The SME's first SFTP_DAYS CODA files with their PDFs, and a file under a client
        code no company has (a client of the delivery's login that Odoo does not keep)."""
        for document in self._documents(self.sme)[:SFTP_DAYS]:
            metadata = document["metadata"]
            stem = f"{metadata['iban']}_{metadata['new_balance_date'].replace('-', '')}"
            folder = f"{SME['client_code']}/CODA"
            self._sftp_write(f"{folder}/{stem}.cod", base64.b64decode(document["cod"]))
            self._sftp_write(f"{folder}/{stem}.pdf", base64.b64decode(document["pdf"]))
        iban = belgian_iban("751-0442187")
        day = self.days[-1]
        cod = write_coda(
            generate_statements(
                iban=iban,
                holder_name="Boucherie Lemaire",
                start_date=day,
                movements_per_statement=3,
                seed=40999,
                first_coda_sequence=self._statement_number(day),
            )
        )
        self._sftp_write(f"{UNKNOWN_CLIENT_CODE}/CODA/{iban}_{day:%Y%m%d}.cod", cod)

    def collect(self):
        """Collects the delivery as the daily job does, when files of its companies wait in
        the SFTP folder (or its host key is not pinned yet): a line saying what came, or
        None when there was nothing to collect."""
        source = self.sftp_source
        if not source:
            return None
        waiting = os.path.join(self.sftp_root, SME["client_code"])
        files = [name for _dirs, _sub, names in os.walk(waiting) for name in names]
        if not files and source.host_key_fingerprint:
            return None
        result = source._collect()
        documents = result["documents"]
        statements = documents.statement_ids
        text = (
            f"demo data: {SFTP_SOURCE} collected on 127.0.0.1:{self.sftp_port}: "
            f"{len(documents)} file(s), {len(statements)} statement(s) imported into "
            f"{SME['name']}"
        )
        if result["error"]:
            text += f"; ERROR: {result['error']}"
        return text

    # --- Odoo as the SME's invoicing software ---------------------------------------------

    def _garage(self, office):
        """Garage Martin's two companies (see GARAGE): the office's client company, ready to
        import the sales invoices CodaBox delivers, and the business's own books, with its
        invoices in draft until it is connected as invoicing software (``invoicing``)."""
        self.garage_office = dict(GARAGE, customers=[], invoices=[])
        company = self._client(office, self.garage_office)
        self._ensure(company, {"codabox_import_sales_invoices": True})
        self.garage = dict(GARAGE, company_name=GARAGE["sme_name"])
        own_books = self._client(None, self.garage, post=False)
        return company | own_books

    def _garage_seed(self):
        """Garage Martin at CodaBox: a client of the office with its e-mail address, and its
        first GARAGE_DAYS days of CODA."""
        return {
            "vat": GARAGE["vat"],
            "name": GARAGE["name"],
            "client_code": GARAGE["code"],
            "office_vat": OFFICE["vat"],
            "email": GARAGE["email"],
            "ibans": [self.garage["iban"]],
            "documents": self._documents(self.garage)[:GARAGE_DAYS],
        }

    def invoicing(self):
        """With the sandbox running (after ``run``): connects Garage Martin's two companies
        through the real protocol, as the admin would click, posts the business's invoices,
        runs the job sending them and the daily job. Returns what it did, in a line."""
        Company = self.env["res.company"]
        office_client = Company.search(
            [("vat", "=", GARAGE["vat"]), ("name", "=", GARAGE["name"])], limit=1
        )
        own_books = Company.search(
            [("vat", "=", GARAGE["vat"]), ("name", "=", GARAGE["sme_name"])], limit=1
        )
        if not office_client or not own_books:
            raise SystemExit("demo data: run without --invoicing first (Garage Martin missing)")
        admin = self.env.ref("base.user_admin")
        notes = []
        if not office_client._codabox_connection():
            notes.append(self._connect_office_client(admin, office_client))
        if not own_books._codabox_connection():
            notes.append(self._connect_invoicing_software(admin, own_books))
        # Its invoices, posted now that it is connected: each goes to the sending job's queue.
        Move = self.env["account.move"].with_user(admin).with_company(own_books)
        drafts = Move.search(
            [
                ("company_id", "=", own_books.id),
                ("ref", "=like", f"DEMO-{GARAGE['code']}-%"),
                ("state", "=", "draft"),
            ],
            order="ref",
        )
        for move in drafts:
            expected = move._get_invoice_computed_reference()
            move.action_post()
            # The CODA in the seed pays it with the reference computed before posting.
            assert move.payment_reference == expected, (move.payment_reference, expected)
        self.env.cr.commit()
        # The jobs, as Odoo's cron runs them (superuser): sending first, so that the daily
        # job's retrieval brings the office's client company what its client sent.
        self.env["codabox.sent.invoice"]._cron_send()
        self.env["codabox.connection"]._cron_retrieve()
        self.env.invalidate_all()
        ledger = self.env["codabox.sent.invoice"].search([("company_id", "=", own_books.id)])
        invoices = Move.search(
            [("company_id", "=", own_books.id), ("ref", "=like", f"DEMO-{GARAGE['code']}-%")]
        )
        imported = self.env["codabox.document"].search(
            [("company_id", "=", office_client.id), ("kind", "=", "sales_invoice")]
        )
        notes.append(
            f"{len(ledger.filtered(lambda e: e.state == 'sent'))} of {len(invoices)} invoices "
            f"of {own_books.name} sent to CodaBox, "
            f"{len(invoices.filtered(lambda m: m.payment_state == 'paid'))} paid by its CODA; "
            f"{len(imported.move_ids)} customer invoice(s) from CodaBox in {office_client.name}"
        )
        problems = [
            f"{entry.move_id.name}: {entry.last_error}" for entry in ledger if entry.state != "sent"
        ]
        problems += [
            f"{document.display_name}: {document.error_message}"
            for document in imported
            if document.state != "imported"
        ]
        if problems:
            notes.append("ERROR: " + "; ".join(problems))
        return "demo data: " + "; ".join(notes)

    def _connect_office_client(self, admin, company):
        """The office's client company, connected by CodaBox Connect as the admin does it:
        "Create connection", MyCodaBox's pages walked as a browser would (sign in, office
        password, Allow), and what Odoo's callback does with CodaBox's answer. The office
        password made for it is then forgotten (the demo keeps no copy), so that the first
        client company still starts from "Create connection" (the demo's step 1)."""
        from urllib.parse import parse_qsl, urlsplit

        from sandbox.testing import RunningSandbox  # the project's MyCodaBox walker

        env = self.env(user=admin.id, context={"allowed_company_ids": company.ids})
        Wizard = env["codabox.connection.wizard"]
        wizard = Wizard.browse(Wizard._open_for(company.with_env(env))["res_id"])
        if wizard.step != "start":
            return (
                f"{company.name} not connected: this database knows the office password "
                "(Manage Connection connects it with it)"
            )
        wizard.action_create_connection()
        office_password = wizard.new_password
        wizard.password_saved = True
        url = wizard.action_go_to_mycodabox()["url"]
        self.env.cr.commit()  # the callback claims the consent request in a cursor of its own
        back = RunningSandbox({}).authorize_in_browser(
            url, OFFICE["login"], OFFICE["password"], office_password
        )
        answer = dict(parse_qsl(urlsplit(back).query))
        if "code" not in answer:
            raise SystemExit(f"demo data: MyCodaBox did not allow {company.name}: {back}")
        States = env["codabox.connect.state"]
        claim = States._claim(answer["state"])
        claim = States._exchange(claim, answer["code"], answer["state"])
        connection = States._complete(claim)
        # sudo: the office's password hash is readable and writable by the system only.
        connection.office_id.sudo().password_hash = False
        self.env.cr.commit()
        return f"{company.name} connected by CodaBox Connect (MyCodaBox's consent)"

    def _connect_invoicing_software(self, admin, company):
        """The business's own books, connected as its invoicing software as the admin does it:
        the wizard requests the token, CodaBox e-mails it (the sandbox's outbox, read over
        HTTP as the mailbox page shows it), the token is typed, and activated."""
        from sandbox.testing import last_token

        env = self.env(user=admin.id, context={"allowed_company_ids": company.ids})
        Wizard = env["codabox.invoicing.software.wizard"]
        wizard = Wizard.browse(Wizard._open_for(company.with_env(env))["res_id"])
        if wizard.step == "request":
            wizard.action_request_token()
            if wizard.error_message:
                raise SystemExit(f"demo data: {company.name}: {wizard.error_message}")
        self.env.cr.commit()  # the token is on its way: a failure below keeps the request
        wizard.token = last_token(self.sandbox_url, GARAGE["vat"])
        wizard.action_activate()
        connection = company._codabox_connection()
        if wizard.error_message or connection.kind != "invoicing_software":
            raise SystemExit(f"demo data: {company.name}: {wizard.error_message}")
        self.env.cr.commit()
        return (
            f"{company.name} connected as invoicing software (token e-mailed to "
            f"{wizard.token_email}, in {self.sandbox_url}/mailbox)"
        )

    # --- the sandbox seed ---------------------------------------------------------------

    def _seed(self, companies):
        return {
            "software_id": self.software_id,
            "offices": [
                {
                    "vat": OFFICE["vat"],
                    "name": OFFICE["name"],
                    "users": [{"login": OFFICE["login"], "password": OFFICE["password"]}],
                }
            ],
            "companies": [
                {
                    "vat": client["vat"],
                    "name": client["name"],
                    "client_code": client["code"],
                    "office_vat": OFFICE["vat"],
                    "ibans": [client["iban"], *self._other_account(client)[:1]],
                    "documents": self._documents(client)
                    + self._other_account_documents(client)
                    + self._other_kind_documents(client),
                }
                for client in self.clients
            ]
            + ([self._garage_seed()] if self.role == "first" else []),
        }

    def _other_kind_documents(self, client):
        """What CodaBox delivers besides CODA: last month's SODA (the payroll entry of the
        client's social secretariat) and two purchase invoices (Peppol UBL with their PDF)."""
        month = self.today.replace(day=1) - timedelta(days=1)
        soda = generate_soda(
            client["vat"][2:],
            f"{month:%Y%m}",
            employees=3,
            seed=client["code"],
            enterprise_label=client["name"],
        )
        documents = [
            {
                "feed_index": str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"codabox-demo:soda:{client['vat']}")
                ),
                "document_model": "soda",
                "metadata": {"period": soda.accounting_period},
                "xml": base64.b64encode(write_soda(soda)).decode(),
                "pdf": base64.b64encode(_soda_pdf(soda)).decode(),
            }
        ]
        customer = {"name": client["name"], "vat": client["vat"]}
        for index, supplier in enumerate(("proximus", "office")):
            xml, pdf, metadata = generate_purchase_invoice(
                f"{client['code']}-{index}",
                supplier=supplier,
                customer=customer,
                issue_date=self.today - timedelta(days=10 + 7 * index),
            )
            documents.append(
                {
                    "feed_index": str(
                        uuid.uuid5(uuid.NAMESPACE_URL, f"codabox-demo:bill:{client['vat']}:{index}")
                    ),
                    "document_model": "purchase_invoice",
                    "metadata": metadata,
                    "xml": base64.b64encode(xml).decode(),
                    "pdf": base64.b64encode(pdf).decode(),
                }
            )
        return documents

    @staticmethod
    def _other_account(client):
        """(IBAN, bank code, opening balance, statement day, amount moved to it) of the
        client's account without a bank journal, or ()."""
        spec = client.get("account_without_journal")
        if not spec:
            return ()
        account, opening_balance, day, amount = spec
        return (belgian_iban(account), account[:3], Decimal(opening_balance), day, _cents(amount))

    def _payments(self, client):
        """The movements paying the demo invoices, by statement day."""
        payments = {}
        paying = [(invoice, day, how) for invoice, (*_spec, day, how) in client["invoices"]]
        clients = {other["code"]: other for other in self.clients}
        for day, code, number in client.get("foreign", ()):
            invoice, _spec = clients[code]["invoices"][number - 1]
            paying.append((invoice, day, "ogm"))
        for invoice, day, how in paying:
            if day is None:
                continue
            partner = invoice.partner_id
            account = partner.bank_ids[:1]
            locality = f"{partner.zip} {partner.city}"
            values = {
                "amount": str(_paid_amount(Decimal(str(invoice.amount_total)), how)),
                "counterparty_name": partner.name,
                "counterparty_account": account.sanitized_acc_number or "",
                "counterparty_bic": account.bank_id.bic or "",
                "counterparty_street": partner.street or "",
                "counterparty_locality": locality,
                "customer_reference": f"E2E{invoice.id:09d}",
                "date": self.days[day - 1],
            }
            if how in ("ogm", "partial", "wrong"):
                # A draft has none yet: the one posting gives it (l10n_be's, from its id).
                values["structured_communication"] = (
                    invoice.payment_reference or invoice._get_invoice_computed_reference()
                )
            else:
                values["communication"] = f"Facture {invoice.name}"
            payments.setdefault(day - 1, []).append(values)
        return payments

    def _transfers(self, client):
        """The movements between the client's two accounts, by account and statement day."""
        other = self._other_account(client)
        if not other:
            return {}
        other_iban, other_bank, _balance, day, amount = other
        values = {
            "counterparty_name": client["name"],
            "communication": "Mise en réserve / Reserve",
            "date": self.days[day - 1],
        }
        return {
            client["iban"]: {
                day - 1: {
                    **values,
                    "amount": str(-amount),
                    "counterparty_account": other_iban,
                    "counterparty_bic": BANKS[other_bank][0],
                }
            },
            other_iban: {
                day - 1: {
                    **values,
                    "amount": str(amount),
                    "counterparty_account": client["iban"],
                    "counterparty_bic": BANKS[client["bank"][:3]][0],
                }
            },
        }

    def _documents(self, client):
        rng = random.Random(f"codabox-demo/{client['code']}")
        counterparties = [
            {
                "name": name,
                "account": belgian_iban(account),
                "bic": BANKS[account[:3]][0],
                "street": street,
                "locality": locality,
            }
            for name, account, street, locality in SUPPLIERS
            + [
                (name, account, *address.split(", "))
                for name, _vat, account, address in client["customers"]
            ]
        ]
        payments = self._payments(client)
        transfers = self._transfers(client).get(client["iban"], {})
        balance = Decimal(client["opening_balance"])
        documents = []
        for index, day in enumerate(self.days):
            extra = payments.get(index, []) + ([transfers[index]] if index in transfers else [])
            statements = generate_statements(
                iban=client["iban"],
                holder_name=client["name"],
                start_date=day,
                movements_per_statement=rng.randint(5, 9),
                seed=rng.randrange(2**31),
                globalisation_ratio=0.15,
                structured_ratio=0.5,
                counterparties=counterparties,
                extra_movements=extra,
                first_coda_sequence=self._statement_number(day),
                old_balance=balance,
            )
            if index in (1, 3):  # the bank's free message (record 4)
                statement = statements[-1]
                sequence = max((mv.sequence for mv in statement.movements), default=0) + 1
                statement.free_communications.append(
                    FreeCommunication(sequence, rng.choice(BANK_MESSAGES))
                )
            document, balance = self._document(client, client["bank"][:3], statements)
            if client["code"] == GAP_CLIENT and index == GAP_DAY:
                # Delivered before the company was connected to Odoo: CodaBox's feed no longer
                # lists it, its re-download feed does ("Fetch again from CodaBox").
                document["acknowledged"] = True
            documents.append(document)
        return documents

    def _other_account_documents(self, client):
        """The statement of the account without a bank journal: the day money moved to it."""
        other = self._other_account(client)
        if not other:
            return []
        iban, bank_code, balance, day, _amount = other
        statements = generate_statements(
            iban=iban,
            holder_name=client["name"],
            start_date=self.days[day - 1],
            movements_per_statement=0,
            extra_movements=[self._transfers(client)[iban][day - 1]],
            first_coda_sequence=self._statement_number(self.days[day - 1]),
            old_balance=balance,
        )
        return [self._document(client, bank_code, statements)[0]]

    @staticmethod
    def _statement_number(day):
        """Statements are numbered from the first of the year, one per business day."""
        return sum(
            1
            for offset in range(day.timetuple().tm_yday)
            if (date(day.year, 1, 1) + timedelta(days=offset)).weekday() < 5
        )

    @staticmethod
    def _document(client, bank_code, statements):
        """The sandbox document of one day's CODA file (and its PDF), and its new balance."""
        for statement in statements:  # the client's enterprise number, not a random one
            statement.company_number = client["vat"][2:]
        cod = write_coda(statements)
        statements = parse(cod)  # what the file says, line numbers included
        statement = statements[-1]
        iban = statement.iban
        day = statement.new_balance_date
        document = {
            "feed_index": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codabox-demo:{iban}:{day}")),
            "document_model": "coda",
            "metadata": {
                "iban": iban,
                "currency": statement.currency,
                "new_balance_date": day.isoformat(),
                "first_statement_number": statements[0].paper_sequence,
                "last_statement_number": statement.paper_sequence,
                "movement_count": sum(len(st.movements) for st in statements),
                "bank_id": statement.bic,
            },
            "cod": base64.b64encode(cod).decode(),
            "pdf": base64.b64encode(statement_pdf(statements, BANKS[bank_code][1])).decode(),
        }
        return document, statement.new_balance


# --- the statement PDF ------------------------------------------------------------------


def _money(value):
    """Belgian style: 1.234,56"""
    text = f"{abs(value):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"-{text}" if value < 0 else text


def _grouped(account):
    """An IBAN as printed: BE68 5390 0754 7034."""
    return " ".join(account[i : i + 4] for i in range(0, len(account), 4))


def _day(value):
    return value.strftime("%d/%m/%Y") if value else ""


class _StatementPdf:
    """Draws statements page by page: a header on each page, one line per movement."""

    def __init__(self, bank_name):
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        self.buffer = io.BytesIO()
        self.pdf = canvas.Canvas(self.buffer, pagesize=A4, invariant=1)
        self.width, self.height = A4
        self.left, self.right = 40, self.width - 40
        self.bank_name = bank_name
        self.pdf.setAuthor(bank_name)
        self.st = None
        self.page = 0
        self.y = 0

    def statement(self, st):
        self.st, self.page = st, 0
        self.pdf.setTitle(f"Statement {st.paper_sequence:03d} {st.iban or st.account_number}")
        self._header()
        self._line(f"Previous balance on {_day(st.old_balance_date)}", st.old_balance, bold=True)
        for mv in st.movements:
            parts = [mv.transaction_code.label]
            if mv.counterparty_name or mv.counterparty_account:
                parts.append(f"{mv.counterparty_name} {_grouped(mv.counterparty_account)}".strip())
            if mv.communication:
                parts.append(mv.communication)
            self._line(
                "  |  ".join(part for part in parts if part),
                mv.amount,
                indent=12 * mv.depth,
                when=None if mv.depth else mv.entry_date,
                number="" if mv.depth else f"{mv.sequence:04d}",
            )
        self._line(f"New balance on {_day(st.new_balance_date)}", st.new_balance, bold=True)
        for free in st.free_communications:
            self._line("Message from your bank: " + free.text.replace("\n", " "))
        self.pdf.showPage()

    def _header(self):
        pdf, st, left, right, top = self.pdf, self.st, self.left, self.right, self.height
        self.page += 1
        account = st.iban or st.account_number
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(left, top - 50, self.bank_name)
        pdf.setFont("Helvetica", 9)
        pdf.drawRightString(right, top - 50, f"BIC {st.bic}  -  page {self.page}")
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(
            left,
            top - 75,
            f"Statement of account {st.paper_sequence:03d}  -  "
            f"{_day(st.new_balance_date or st.creation_date)}",
        )
        pdf.setFont("Helvetica", 9)
        pdf.drawString(left, top - 92, f"{st.holder_name}  -  {st.account_description}")
        pdf.drawString(left, top - 105, f"Account {_grouped(account)}  {st.currency}")
        pdf.line(left, top - 115, right, top - 115)
        pdf.setFont("Helvetica-Bold", 8)
        pdf.drawString(left, top - 128, "Date")
        pdf.drawString(left + 60, top - 128, "No.")
        pdf.drawString(left + 90, top - 128, "Description")
        pdf.drawRightString(right, top - 128, f"Amount {st.currency}")
        self.y = top - 145

    def _line(self, text, amount=None, bold=False, indent=0, when=None, number=""):
        from reportlab.lib.utils import simpleSplit

        pdf, left, right = self.pdf, self.left, self.right
        font = "Helvetica-Bold" if bold else "Helvetica"
        rows = simpleSplit(text, font, 8, right - left - 180 - indent) or [""]
        if self.y - 10 * len(rows) < 60:
            pdf.showPage()
            self._header()
        y = self.y
        pdf.setFont(font, 8)
        if when:
            pdf.drawString(left, y, _day(when))
        pdf.drawString(left + 60, y, number)
        for index, row in enumerate(rows):
            pdf.drawString(left + 90 + indent, y - 10 * index, row)
        if amount is not None:
            pdf.drawRightString(right - (40 if indent else 0), y, _money(amount))
        self.y = y - 10 * len(rows) - 4

    def bytes(self):
        self.pdf.save()
        return self.buffer.getvalue()


def statement_pdf(statements, bank_name):
    """The PDF statement the bank sends with the CODA file: account, dates, balances,
    movements (globalisation details indented) and the bank's messages."""
    drawing = _StatementPdf(bank_name)
    for st in statements:
        drawing.statement(st)
    return drawing.bytes()


def _soda_pdf(soda):
    """The social secretariat's summary of a payroll entry (SODA): its lines and totals."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    width, height = A4
    pdf.setTitle(f"SODA {soda.sequence_number} {soda.accounting_period}")
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(40, height - 50, soda.source)
    pdf.setFont("Helvetica-Bold", 11)
    period = f"{soda.accounting_period[4:]}/{soda.accounting_period[:4]}"
    pdf.drawString(40, height - 75, f"Payroll accounting entry {soda.sequence_number} - {period}")
    pdf.setFont("Helvetica", 9)
    pdf.drawString(40, height - 92, f"{soda.enterprise_label} - {soda.enterprise_number}")
    y = height - 120
    for line in soda.lines:
        pdf.drawString(40, y, line.account)
        pdf.drawString(100, y, line.label[:70])
        if line.debit:
            pdf.drawRightString(width - 120, y, _money(line.debit))
        if line.credit:
            pdf.drawRightString(width - 40, y, _money(line.credit))
        y -= 12
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawRightString(width - 120, y - 6, _money(soda.total_debit))
    pdf.drawRightString(width - 40, y - 6, _money(soda.total_credit))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- entry point ------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--sandbox-url", default="http://127.0.0.1:8070")
    parser.add_argument("--odoo-url", default="http://127.0.0.1:8069")
    parser.add_argument("--seed-out", help="where to write the sandbox seed (required)")
    parser.add_argument(
        "--further",
        action="store_true",
        help="a further database of the office, next to the first one: its own client companies",
    )
    parser.add_argument(
        "--software-id", default=SOFTWARE_ID, help="the sandbox's (when it runs already)"
    )
    parser.add_argument(
        "--sftp-root",
        help="the folder dev/demo.sh's SFTP server serves: the SME's CODA files go there and "
        "the delivery collecting them is made and collected (first database only)",
    )
    parser.add_argument("--sftp-port", type=int, default=8022, help="that SFTP server's port")
    parser.add_argument(
        "--invoicing",
        action="store_true",
        help="once the sandbox runs with the seed (first database): connect Garage Martin's "
        "companies, post and send its invoices, run the daily job; no seed is written",
    )
    args = parser.parse_args(argv)
    if not args.invoicing and not args.seed_out:
        parser.error("--seed-out is required (but with --invoicing)")

    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        # paramiko's INFO lines (each SFTP login) are not the demo's business.
        [
            "-c",
            args.config,
            "-d",
            args.database,
            "--log-level=warn",
            "--log-handler=paramiko:WARNING",
            "--no-http",
        ]
    )
    registry = Registry(args.database)
    if args.invoicing:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            print(DemoData(env, args.sandbox_url, args.odoo_url).invoicing())
        return
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        role = "further" if args.further else "first"
        demo = DemoData(
            env,
            args.sandbox_url,
            args.odoo_url,
            role,
            args.software_id,
            sftp_root=args.sftp_root,
            sftp_port=args.sftp_port,
        )
        seed = demo.run()
        invoices = env["account.move"].search_count(
            [("ref", "=like", "DEMO-%"), ("move_type", "=", "out_invoice")]
        )
        collected = demo.collect()

    text = json.dumps(seed, indent=1, ensure_ascii=False) + "\n"
    try:
        with open(args.seed_out, encoding="utf-8") as file:
            unchanged = file.read() == text
    except FileNotFoundError:
        unchanged = False
    if not unchanged:
        tmp = f"{args.seed_out}.tmp"
        with open(tmp, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(tmp, args.seed_out)
    documents = sum(len(company["documents"]) for company in seed["companies"])
    print(
        f"demo data: office {OFFICE['name']} ({OFFICE['vat']}), "
        f"{len(seed['companies'])} client companies, {invoices} demo invoices, "
        f"{documents} CODA files in {args.seed_out}" + (" (unchanged)" if unchanged else "")
    )
    if collected:
        print(collected)


if __name__ == "__main__":
    main()
