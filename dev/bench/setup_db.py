#!/usr/bin/env python3
"""The benchmark database's fixtures, made once and kept (idempotent, committed as it goes).

- the admin user as an accountant (Show Full Accounting Features, Administrator);
- the main company's bank journal for BENCH_IBAN, which both importers match, with a
  history (statements of January 2024) so that the database is like one in use;
- CLIENT_COUNT client companies of an accounting office (Belgian VAT, a bank journal for
  their own IBAN), for the retrieval benchmark and the simulated office. The first
  BELGIAN_CHARTS have the Belgian chart of accounts; the others only the three accounts a
  bank journal and its statements need (bank, suspense, internal transfers). In Odoo 18 a
  new chart's account searches read the accounts of every company, so that a Belgian chart
  took 2 s to load with 30 companies and 6.5 s with 270 (measured here): 1 000 of them
  would take hours to make. The retrieval reads no other company's accounts (no such
  search runs in it once warm, counted), so the rest of the office costs it the same.
  This is why the database is kept between runs: the charts take about 10 minutes.

Usage: setup_db.py -c .bench/odoo-bench.conf -d codabox_bench
"""

import argparse
import sys
import time
from datetime import date

from common import BENCH_IBAN, CLIENT_COUNT, coda_file, odoo_registry

from coda_parser import bban_to_iban
from coda_parser.structured import enterprise_number_check_digits, ogm_check_digits

# Lines of January 2024 in the bench journal: the measured files come after them. As many as
# the largest measured import: the linearity target is on a journal holding 10 000.
HISTORY_LINES = 10000
# Client companies on the Belgian chart (the retrieval benchmark's stages); the rest of the
# CLIENT_COUNT on Odoo's generic chart (45 accounts instead of about 360).
BELGIAN_CHARTS = 200


def client_vat(index: int) -> str:
    """A valid Belgian company number: 0, 7 digits and their check digits."""
    eight = f"0{5100000 + index:07d}"
    return f"BE{eight}{enterprise_number_check_digits(eight)}"


def client_iban(index: int) -> str:
    ten = f"363{4200000 + index:07d}"
    return bban_to_iban(ten + ogm_check_digits(ten))


def bank_journal(env, company, iban, name, code):
    """The company's bank journal holding ``iban``: the chart's bank journal, given the
    account, or a new one."""
    journal = env["account.journal"].search(
        [
            ("type", "=", "bank"),
            ("company_id", "=", company.id),
            ("bank_account_id.sanitized_acc_number", "=", iban),
        ]
    )
    if not journal:
        journal = env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", company.id),
                ("bank_account_id", "=", False),
            ],
            limit=1,
        )
        if journal:
            journal.bank_acc_number = iban
    if not journal:
        journal = env["account.journal"].create(
            {
                "name": name,
                "code": code,
                "type": "bank",
                "bank_acc_number": iban,
                "company_id": company.id,
            }
        )
    return journal


def history(env, journal):
    """The bench journal's January 2024, HISTORY_LINES lines imported and committed once
    (topped up when an older database holds fewer).

    A database in use has entries in its bank journals and statistics that say so. On an
    empty account_move, PostgreSQL plans Odoo's search for the last entry number (two per
    statement line, for either importer) as a scan and sort of every entry of the journal
    and year, and an import of N lines costs N squared.
    """
    Line = env["account.bank.statement.line"]
    have = Line.search_count([("journal_id", "=", journal.id)])
    if have >= HISTORY_LINES:
        return
    # Statements of 500 lines, one a day: the history stays in January. A top-up comes after
    # what is there (a first history of 100-line statements ended on 2024-01-21).
    path, info = coda_file(
        "history-more" if have else "history",
        HISTORY_LINES - have,
        per_statement=500,
        leaves=True,
        seed=2024 + have,
        start=date(2024, 1, 22) if have else date(2024, 1, 2),
        first_sequence=400 if have else 1,
    )
    print(f"bench: importing the bench journal's history ({info['lines']} lines)", flush=True)
    started = time.monotonic()
    env["account.bank.statement"]._codabox_import_coda(
        path.read_bytes(), company=env.company, filename=path.name
    )
    env.cr.commit()
    print(
        f"bench: imported the bench journal's history ({info['lines']} lines) "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )


def belgian_client(env, index, name):
    """A client company on the Belgian chart of accounts, with its bank journal."""
    company = env["res.company"].create(
        {"name": name, "vat": client_vat(index), "country_id": env.ref("base.be").id}
    )
    env["account.chart.template"].try_loading("be_comp", company, install_demo=False)
    bank_journal(env, company, client_iban(index), "Bank", "BNK1")
    return company


def office_client(env, index, name):
    """A client company with only what its bank statements need: a bank journal, its bank
    account, the suspense account and the internal transfers account."""
    # chart_template_load: Odoo's own key that keeps it from loading the country's chart
    # when the company is committed, as it does for a new company of a country.
    company = (
        env["res.company"]
        .with_context(chart_template_load=True)
        .create({"name": name, "vat": client_vat(index), "country_id": env.ref("base.be").id})
    )
    own = [(6, 0, company.ids)]
    bank, suspense, transfer = (
        env["account.account"]
        .with_company(company)
        .create(
            [
                {
                    "name": "Bank",
                    "code": "550000",
                    "account_type": "asset_cash",
                    "company_ids": own,
                },
                {
                    "name": "Bank Suspense Account",
                    "code": "499000",
                    "account_type": "asset_current",
                    "reconcile": True,
                    "company_ids": own,
                },
                {
                    "name": "Internal Transfers",
                    "code": "580000",
                    "account_type": "asset_current",
                    "reconcile": True,
                    "company_ids": own,
                },
            ]
        )
    )
    company.write(
        {"account_journal_suspense_account_id": suspense.id, "transfer_account_id": transfer.id}
    )
    env["account.journal"].create(
        {
            "name": "Bank",
            "code": "BNK1",
            "type": "bank",
            "company_id": company.id,
            "default_account_id": bank.id,
            "bank_acc_number": client_iban(index),
        }
    )
    return company


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    args = parser.parse_args(argv)

    from odoo import SUPERUSER_ID, api

    registry = odoo_registry(args.config, args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"lang": "en_US"})
        # The admin user as an accountant: what both importers expect of their user.
        admin = env.ref("base.user_admin")
        accountant = env.ref("account.group_account_user")
        accountant |= env.ref("account.group_account_manager")
        if accountant - admin.groups_id:
            admin.groups_id |= accountant
        main_company = env.ref("base.main_company")
        journal = bank_journal(env, main_company, BENCH_IBAN, "Bench Bank", "BNCH")
        cr.commit()
        history(env(user=admin), journal)
        made, started = 0, time.monotonic()
        for index in range(1, CLIENT_COUNT + 1):
            name = f"Bench Client {index:02d}"
            company = env["res.company"].search([("name", "=", name)])
            if company:  # made by an earlier run; its bank journal checked
                bank_journal(env, company, client_iban(index), "Bank", "BNK1")
                continue
            if index <= BELGIAN_CHARTS:
                company = belgian_client(env, index, name)
            else:
                company = office_client(env, index, name)
            admin.company_ids |= company
            cr.commit()
            made += 1
            if index <= BELGIAN_CHARTS or index % 50 == 0 or index == CLIENT_COUNT:
                # the first run only: the charts take most of the set-up's time
                elapsed = time.monotonic() - started
                left = elapsed / made * (BELGIAN_CHARTS - index) if index < BELGIAN_CHARTS else 0
                print(
                    f"bench: client company {index}/{CLIENT_COUNT} ready ({elapsed:.0f} s"
                    + (f", about {left / 60:.0f} min left for the charts)" if left else ")"),
                    flush=True,
                )
        if made:
            print(f"bench: made {made} client companies in {time.monotonic() - started:.0f} s")
        # PostgreSQL's statistics, as autovacuum keeps them on a database in use.
        cr.execute("ANALYZE")
        cr.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
