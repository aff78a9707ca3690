"""One CODA import in an Odoo process of its own, for tests/test_import_concurrency.py.

    python import_runner.py CONFIG DATABASE journal IBAN
    python import_runner.py CONFIG DATABASE import FILE [--go FILE] [--snapshot-then FILE]

Actions:

- ``journal IBAN``: a bank journal of the database's main company for that account (the
  template's Belgian company on the l10n_be chart).
- ``import FILE``: ``account.bank.statement._codabox_import_coda`` of that CODA file, as the
  upload and the daily job call it, then a commit.

The process writes ``ready`` once Odoo is loaded (then, with ``--go FILE``, waits for FILE to
exist, so that two processes start at the same moment), ``start`` when the work begins and
``done <json>`` once it is committed. With ``--snapshot-then FILE`` the import's transaction
first reads the database (PostgreSQL takes its snapshot then: everything committed later is
invisible to it), writes ``snapshot`` and waits for FILE before it imports: another import can
commit in between, as when two imports overlap.
"""

import argparse
import json
import os
import sys
import time


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def wait_file(path):
    while not os.path.exists(path):
        time.sleep(0.01)


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


ACTIONS = {"journal": journal, "import": import_file}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("config")
    parser.add_argument("database")
    parser.add_argument("action", choices=sorted(ACTIONS))
    parser.add_argument("argument")
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
