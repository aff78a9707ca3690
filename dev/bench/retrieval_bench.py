#!/usr/bin/env python3
"""Retrieval from the CodaBox sandbox: N client companies with 3 documents each.

Runs against a throwaway copy of the benchmark database (dev/bench/run.py makes and drops it):
the retrieval commits as it goes, as in production. The sandbox runs in this process; the
accounting office allows Odoo once in MyCodaBox (its pages, as a browser would), then its
companies are connected through the API, in stages (1, then up to 10, 50 and 200
connected companies). A first retrieval of one document warms Odoo up. At each stage, the
newly connected companies get 3 CODA files each (with their PDF) and
``codabox.connection._retrieve()`` runs for each of them in turn, as the daily job does:
timed, with the queries it runs and the HTTP requests the sandbox saw. A cost per document
that stays flat from stage to stage does not grow with the number of connected companies
(nor with the statements already imported).

Usage: retrieval_bench.py -c CONF -d DB [--stages 1,10,50,200]  (prints JSON lines)
"""

import argparse
import base64
import sys
import time
from datetime import date

from common import CLIENT_COUNT, OFFICE_VAT, CpuClock, emit, odoo_registry, sql_count

from codabox_client import CodaboxClient
from dev.codagen import generate_statements, write_coda
from sandbox.testing import running_sandbox

OFFICE_LOGIN = "office@fiduciaire.example"
OFFICE_LOGIN_PASSWORD = "sign-in-secret"
OFFICE_PASSWORD = "OFFICE-PASSW-ORD22-22222-22222"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCUMENTS = 3
MOVEMENTS = 10


def document(iban: str, holder: str, day: date, sequence: int) -> dict:
    """A delivered CODA file of one daily statement, with its PDF."""
    statements = generate_statements(
        iban=iban,
        holder_name=holder,
        start_date=day,
        movements_per_statement=MOVEMENTS,
        seed=int(iban[-7:]) * 1000 + sequence,
        first_coda_sequence=sequence,
    )
    return {
        "document_model": "coda",
        "metadata": {
            "iban": iban,
            "currency": "EUR",
            "new_balance_date": day.isoformat(),
            "movement_count": len(statements[0].movements),
        },
        "cod": base64.b64encode(write_coda(statements)).decode(),
        "pdf": base64.b64encode(PDF).decode(),
    }


def connect(env, sandbox, client, office, company, first):
    """The office allows Odoo once in MyCodaBox; its other companies connect through the API."""
    if first:
        back = sandbox.authorize_in_browser(
            client.authorize_url(
                sandbox.url,
                software_id=sandbox.software_id,
                office_vat=OFFICE_VAT,
                company_vat=company.vat,
                redirect_uri="http://odoo.invalid/codabox/connect/callback",
                state="bench",
            ),
            OFFICE_LOGIN,
            OFFICE_LOGIN_PASSWORD,
            OFFICE_PASSWORD,
        )
        answer = client.exchange_code(back.split("code=")[1].split("&")[0], OFFICE_PASSWORD)
    else:
        answer = client.connect_company(OFFICE_VAT, company.vat, OFFICE_PASSWORD)
    env["codabox.connection"]._connect(company, office, answer)


def office_seed(companies, ibans):
    """The sandbox's seed: the office, its login, and ``companies`` with their IBANs."""
    return {
        "software_id": "7f3c1c1e-4a86-4f5e-9d2b-0c8d7c0c0b0b",
        "offices": [
            {
                "vat": OFFICE_VAT,
                "name": "Fiduciaire Bench",
                "users": [{"login": OFFICE_LOGIN, "password": OFFICE_LOGIN_PASSWORD}],
            }
        ],
        "companies": [
            {
                "vat": company.vat,
                "name": company.name,
                "client_code": f"C{index:04d}",
                "office_vat": OFFICE_VAT,
                "ibans": [ibans[company]],
            }
            for index, company in enumerate(companies, 1)
        ],
    }


def client_companies(env, count):
    """The first ``count`` client companies (in the order setup_db.py made them) and the IBAN
    of each one's bank journal."""
    companies = env["res.company"].search([("name", "=like", "Bench Client %")], order="id")
    if len(companies) < count:
        raise SystemExit(f"{len(companies)} client companies in the database: run setup_db.py")
    companies = companies[:count]
    journals = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "in", companies.ids)], order="id"
    )
    ibans = {}
    for journal in journals:
        ibans.setdefault(journal.company_id, journal.bank_account_id.sanitized_acc_number)
    return companies, ibans


def office_in_sandbox(env, sandbox):
    """Odoo pointed at the sandbox, and the office with its password: (client, office)."""
    params = env["ir.config_parameter"]
    params.set_param("l10n_be_codabox_connect.api_url", sandbox.url)
    params.set_param("l10n_be_codabox_connect.mycodabox_url", sandbox.url)
    params.set_param("l10n_be_codabox_connect.software_id", sandbox.software_id)
    office = env["codabox.office"].create({"vat": OFFICE_VAT})
    office._set_password(OFFICE_PASSWORD)
    return CodaboxClient(sandbox.url, sandbox.software_id), office


def warm_up(sandbox, company, iban):
    """One document retrieved first, not measured: Odoo loads code and caches on first use."""
    sandbox.add_documents(company.vat, [document(iban, company.name, date(2026, 10, 30), 900)])
    result = company._codabox_connection().with_company(company)._retrieve()
    if result["error"] or result["documents"].mapped("state") != ["imported"]:
        raise SystemExit(f"the warm-up retrieval failed: {result['error']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument(
        "--stages",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 10, CLIENT_COUNT],
        help="numbers of connected companies, e.g. 1,10,50 (default)",
    )
    args = parser.parse_args(argv)

    from odoo import SUPERUSER_ID, api

    registry = odoo_registry(args.config, args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"lang": "en_US"})
        stages = sorted(set(args.stages))
        companies, ibans = client_companies(env, stages[-1])
        with running_sandbox(office_seed(companies, ibans)) as sandbox:
            client, office = office_in_sandbox(env, sandbox)
            connected = 0
            cpu_clock = CpuClock(cr)
            for stage in stages:
                group = companies[connected:stage]
                for company in group:
                    connect(env, sandbox, client, office, company, first=not connected)
                    connected += 1
                cr.commit()
                if stage == stages[0]:
                    warm_up(sandbox, companies[0], ibans[companies[0]])
                for company in group:
                    sandbox.add_documents(
                        company.vat,
                        [
                            document(ibans[company], company.name, date(2026, 11, day), day)
                            for day in range(2, 2 + DOCUMENTS)
                        ],
                    )
                emit(event="stage", connected=connected, companies=len(group))
                for company in group:
                    requests_before = len(sandbox.request_log())
                    queries = sql_count()
                    cpu = cpu_clock.read()
                    started = time.perf_counter()
                    result = company._codabox_connection().with_company(company)._retrieve()
                    seconds = time.perf_counter() - started
                    cpu = CpuClock.since(cpu, cpu_clock.read())
                    queries = sql_count() - queries
                    documents = result["documents"]
                    emit(
                        event="company",
                        connected=connected,
                        company=company.name,
                        seconds=seconds,
                        **cpu,
                        queries=queries,
                        requests=len(sandbox.request_log()) - requests_before,
                        documents=len(documents),
                        imported=documents.mapped("state").count("imported"),
                        statements=len(documents.statement_ids),
                        error=result["error"] or "",
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
