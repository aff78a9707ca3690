"""One step of the CodaBox retrieval or one CODA import in an Odoo process of its own, for
tests/test_crash.py and tests/test_import_concurrency.py.

    python crash_runner.py CONFIG DATABASE ACTION [ARGUMENT] [--go FILE] [--snapshot-then FILE]

Actions:

- ``prepare SPEC.json``: companies on the Belgian chart with their bank journals, the accounting
  office and the companies' connections (credentials the sandbox gave), an accountant, the
  statements uploaded by hand, system parameters; the daily job made inactive so that no
  cron worker of another server runs it behind the test's back.
- ``cron``: the daily job, ``env["codabox.connection"]._cron_retrieve()``, as Odoo calls it.
- ``retrieve``: one ``connection._retrieve()`` for every connected company (the button's
  retrieval), whatever the daily job has scheduled: the tests' clean runs.
- ``journal IBAN``: a bank journal of the database's main company for that account (the
  template's Belgian company on the l10n_be chart).
- ``sme_invoices VAT``: a company connected as invoicing software (the token the sandbox e-mailed),
  with three customer invoices posted, queued for CodaBox.
- ``send``: the job sending sales invoices, ``env["codabox.sent.invoice"]._cron_send()``.
- ``import FILE``: ``account.bank.statement._codabox_import_coda`` of that CODA file, as the
  upload and the daily job call it, then a commit.
- ``upload FILE``: Import CODA of that file by the accountant (the wizard's ``action_import``,
  which keeps to the request's time budget), then a commit; the results' statuses.

The process is a real one: the test kills it with SIGKILL wherever it stands. It writes
``ready`` once Odoo is loaded (then, with ``--go FILE``, waits for FILE to exist, so that two
processes start at the same moment), ``start`` when the work begins and ``done <json>`` once
the work is committed. With ``--snapshot-then FILE`` an import's transaction first reads the
database (PostgreSQL takes its snapshot then: everything committed later is invisible to it),
writes ``snapshot`` and waits for FILE before it imports: another import can commit in
between, as when two imports overlap.
"""

import argparse
import base64
import json
import os
import sys
import time
from types import SimpleNamespace


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def wait_file(path):
    while not os.path.exists(path):
        time.sleep(0.01)


def prepare(env, spec_path, _args):
    with open(spec_path, encoding="utf-8") as file:
        spec = json.load(file)
    be = env.ref("base.be")
    companies, journals = {}, {}
    for item in spec["companies"]:
        company = env["res.company"].create(
            {"name": item["name"], "vat": item["vat"], "country_id": be.id}
        )
        env["account.chart.template"].try_loading("be_comp", company, install_demo=False)
        journal = env["account.journal"].create(
            {
                "name": f"Bank {item['name']}",
                "code": item["journal_code"],
                "type": "bank",
                "bank_acc_number": item["iban"],
                "company_id": company.id,
            }
        )
        companies[item["key"]], journals[item["key"]] = company, journal
    office_spec = spec["office"]
    office = env["codabox.office"].create({"vat": office_spec["vat"]})
    office._set_password(office_spec["password"])
    for item in spec["connections"]:
        env["codabox.connection"]._connect(
            companies[item["company"]], office, SimpleNamespace(**item["answer"])
        )
    from odoo.addons.l10n_be_codabox_connect.compat import GROUPS_FIELD

    accountant = spec["accountant"]
    user = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Accountant",
                "login": accountant["login"],
                "password": accountant["password"],
                "company_id": companies[spec["companies"][0]["key"]].id,
                "company_ids": [(6, 0, [c.id for c in companies.values()])],
                GROUPS_FIELD: [
                    (
                        6,
                        0,
                        [env.ref("base.group_user").id, env.ref("account.group_account_user").id],
                    )
                ],
            }
        )
    )
    for item in spec["manual"]:
        env["account.bank.statement"]._codabox_import_coda(
            base64.b64decode(item["cod"]),
            company=companies[item["company"]],
            filename=item["filename"],
            pdf=base64.b64decode(item["pdf"]),
            pdf_filename=item["filename"].replace(".cod", ".pdf"),
        )
    params = env["ir.config_parameter"].sudo()
    for key, value in spec["params"].items():
        params.set_param(key, value)
    cron = env.ref("l10n_be_codabox_connect.ir_cron_codabox_retrieve")
    cron.active = False
    return {
        "companies": {key: company.id for key, company in companies.items()},
        "journals": {key: journal.id for key, journal in journals.items()},
        "accountant": user.id,
        "cron": cron.id,
    }


def cron(env, _argument, _args):
    env["codabox.connection"]._cron_retrieve()
    return {}


def retrieve(env, _argument, _args):
    outcome = {}
    connections = env["codabox.connection"].search([("state", "=", "connected")], order="id")
    for connection in connections:
        result = connection.with_company(connection.company_id)._retrieve()
        env.cr.commit()  # pylint: disable=invalid-commit
        outcome[connection.company_id.name] = {
            key: value if isinstance(value, bool | int | float | str | None) else repr(value)
            for key, value in result.items()
            if key != "documents"
        }
    return outcome


def journal(env, iban, _args):
    created = env["account.journal"].create(
        {"name": "Concurrent Bank", "code": "CONC", "type": "bank", "bank_acc_number": iban}
    )
    return {"journal": created.id}


def import_file(env, path, args):
    if args.snapshot_then:
        env.cr.execute("SELECT count(*) FROM account_move")
        say("snapshot")
        wait_file(args.snapshot_then)
    with open(path, "rb") as file:
        data = file.read()
    result = env["account.bank.statement"]._codabox_import_coda(
        data, company=env.company, filename=os.path.basename(path)
    )
    moves = result["statements"].line_ids.move_id
    return {"lines": len(result["statements"].line_ids), "names": sorted(moves.mapped("name"))}


def upload(env, path, _args):
    user = env["res.users"].search([("name", "=", "Accountant")], limit=1)
    env = env(user=user, context={"allowed_company_ids": user.company_id.ids})
    with open(path, "rb") as file:
        attachment = env["ir.attachment"].create(
            {"name": os.path.basename(path), "raw": file.read()}
        )
    wizard = env["codabox.coda.import.wizard"].create({"attachment_ids": [(6, 0, attachment.ids)]})
    wizard.action_import()
    return {"statuses": wizard.line_ids.filtered("statement_id").mapped("status")}


def sme_invoices(env, vat, _args):
    """A company (SME) of VAT ``vat`` connected to CodaBox as invoicing software with the
    token the sandbox e-mailed, and three customer invoices posted: queued for CodaBox."""
    from odoo import Command
    from odoo.addons.l10n_be_codabox_connect.sandbox.testing import last_token

    be = env.ref("base.be")
    company = env["res.company"].create(
        {
            "name": "SME Invoicing",
            "vat": vat,
            "country_id": be.id,
            "street": "Rue Haute 1",
            "zip": "1000",
            "city": "Bruxelles",
        }
    )
    env["account.chart.template"].try_loading("be_comp", company, install_demo=False)
    env.user.company_ids |= company
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    # Its bank account: where the invoices ask to be paid (Peppol BIS 3 requires it).
    env["account.journal"].create(
        {"name": "Bank", "code": "BSME", "type": "bank", "bank_acc_number": "BE46068552173436"}
    )
    Wizard = env["codabox.invoicing.software.wizard"]
    wizard = Wizard.browse(Wizard._open_for(company)["res_id"])
    wizard.action_request_token()
    api_url = env["ir.config_parameter"].get_param("l10n_be_codabox_connect.api_url")
    wizard.token = last_token(api_url, vat)
    wizard.action_activate()
    customer = env["res.partner"].create(
        {
            "name": "Hotel De Vleugel NV",
            "is_company": True,
            "vat": "BE0477472701",
            "street": "Grote Markt 1",
            "zip": "9000",
            "city": "Gent",
            "country_id": be.id,
        }
    )
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": f"2026-11-0{day}",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Goods",
                            "quantity": 1,
                            "price_unit": 100 * day,
                            "tax_ids": company.account_sale_tax_id.ids,
                        }
                    )
                ],
            }
            for day in (1, 2, 3)
        ]
    )
    invoices.action_post()
    return {"company": company.id, "invoices": invoices.mapped("name")}


def send(env, _argument, _args):
    env["codabox.sent.invoice"]._cron_send()
    return {}


ACTIONS = {
    "prepare": prepare,
    "sme_invoices": sme_invoices,
    "send": send,
    "cron": cron,
    "retrieve": retrieve,
    "journal": journal,
    "import": import_file,
    "upload": upload,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("config")
    parser.add_argument("database")
    parser.add_argument("action", choices=sorted(ACTIONS))
    parser.add_argument("argument", nargs="?")
    parser.add_argument("--go", help="wait for this file to exist before starting")
    parser.add_argument("--snapshot-then", help="take the snapshot, then wait for this file")
    args = parser.parse_args()

    import odoo  # only once the arguments are known to be right
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn", "--max-cron-threads=0"],
        setup_logging=True,
    )
    registry = Registry(args.database)
    say("ready")
    if args.go:
        wait_file(args.go)
    say("start")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        result = ACTIONS[args.action](env, args.argument, args)
        cr.commit()  # pylint: disable=invalid-commit
    say("done " + json.dumps(result))


if __name__ == "__main__":
    main()
