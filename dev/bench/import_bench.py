#!/usr/bin/env python3
"""Imports CODA files into the benchmark database with one importer and measures each import.

Run by dev/bench/run.py, one process per measurement (clean peaks, a budget enforced by killing
it); prints JSON lines: ``{"event": "ready"}`` once Odoo is loaded and warmed up, then one
``{"event": "import", ...}`` per import. Nothing stays in the database: every import is
rolled back, or with --accumulate all of them at the end.

- ours: ``account.bank.statement._codabox_import_coda`` (what the CodaBox retrieval and
  the upload wizard call), the company's reconciliation with invoices off: the import alone;
- ours-reconcile: the same with the reconciliation on, open invoices and bills waiting for
  half of the file's lines with a structured communication (made before each measured
  import, not measured): 3 in 4 paid exactly, 1 in 4 partly;
- oca: OCA's ``account.statement.import`` wizard, ``import_file_button``, as its tests do
  (it reconciles nothing).

Both run as the admin user in the main company, on the same journal (BENCH_IBAN).

Usage: import_bench.py -c CONF -d DB --importer ours|ours-reconcile|oca [--runs N] [--accumulate]
       [--tracemalloc] [--warmup FILE] [--profile OUT] FILE...
"""

import argparse
import base64
import cProfile
import gc
import os
import sys
import time
import tracemalloc
from pathlib import Path

from common import CpuClock, emit, odoo_env, peak_rss, reset_peak, rss, sql_count

from coda_parser import parse


def prepare_ours(env, data):
    """The import alone: the company's reconciliation with invoices off."""
    env.company.codabox_auto_reconcile = False
    return {}


def prepare_reconcile(env, data):
    """The reconciliation on, and an open invoice (money in) or bill (money out) for every
    other line of the file with a structured communication: 3 in 4 of the amount of the
    line (paid exactly), 1 in 4 of twice that amount (paid partly)."""
    from odoo import Command
    from odoo.addons.l10n_be_codabox_connect.matching import normalise_reference

    company = env.company
    company.codabox_auto_reconcile = True
    partner = env["res.partner"].search([("name", "=", "Bench Customer")], limit=1)
    if not partner:
        partner = env["res.partner"].create({"name": "Bench Customer", "is_company": True})
    referenced = [
        movement
        for statement in parse(data)
        for movement in statement.detail_movements
        if movement.amount and normalise_reference(movement.communication)
    ]
    vals_list = []
    for index, movement in enumerate(referenced[::2]):
        amount = abs(float(movement.amount)) * (2 if index % 4 == 3 else 1)
        vals_list.append(
            {
                "move_type": "out_invoice" if movement.amount > 0 else "in_invoice",
                "partner_id": partner.id,
                "invoice_date": movement.entry_date or movement.value_date,
                "payment_reference": movement.communication,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Bench", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
    moves = env["account.move"].create(vals_list)
    moves.action_post()
    # Odoo's own work on the new invoices, up to what it does when committing them (their
    # chatter's tracking messages, made by the precommit hooks): done here, not in the
    # import's first savepoint, which runs those hooks.
    env.cr.flush()
    return {"invoices": len(moves), "referenced": len(referenced)}


def prepare_oca(env, data):
    return {}


def import_ours(env, data, filename):
    result = env["account.bank.statement"]._codabox_import_coda(
        data, company=env.company, filename=filename
    )
    return result["statements"]


def import_oca(env, data, filename):
    wizard = env["account.statement.import"].create(
        {"statement_file": base64.b64encode(data), "statement_filename": filename}
    )
    action = wizard.import_file_button()
    action = action.get("params", {}).get("next", action)
    ((_field, _operator, ids),) = action["domain"]
    return env["account.bank.statement"].browse(ids)


IMPORTERS = {
    "ours": (prepare_ours, import_ours),
    "ours-reconcile": (prepare_reconcile, import_ours),
    "oca": (prepare_oca, import_oca),
}


def measure(env, importer, path, cpu_clock, profiler=None, prepare=None):
    """Import one file: wall and CPU time, queries and peak memory of the import alone.

    Peak memory is the growth of the resident size (VmHWM) during the import; with
    tracemalloc running, also the peak of the memory Python allocated during it.
    """
    data = path.read_bytes()
    prepared = prepare(env, data) if prepare else {}
    gc.collect()
    reset_peak()
    before = rss()
    traced = tracemalloc.is_tracing()
    if traced:
        tracemalloc.reset_peak()
        traced_before = tracemalloc.get_traced_memory()[0]
    queries = sql_count()
    cpu = cpu_clock.read()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    statements = importer(env, data, path.name)
    env.flush_all()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu = CpuClock.since(cpu, cpu_clock.read())
    queries = sql_count() - queries
    result = {"peak_bytes": peak_rss() - before, "rss_before": before}
    if traced:
        result["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1] - traced_before
        result["traced_before"] = traced_before
    Line = env["account.bank.statement.line"]
    lines = Line.search_count([("statement_id", "in", statements.ids)])
    reconciled = Line.search_count(
        [("statement_id", "in", statements.ids), ("is_reconciled", "=", True)]
    )
    return {
        "file": path.name,
        "statements": len(statements),
        "lines": lines,
        "reconciled": reconciled,
        "seconds": seconds,
        **cpu,
        "queries": queries,
        **result,
        "balanced": all(st.balance_end == st.balance_end_real for st in statements),
        **prepared,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--importer", choices=sorted(IMPORTERS), required=True)
    parser.add_argument("--runs", type=int, default=1, help="imports of each file (rolled back)")
    parser.add_argument(
        "--accumulate",
        action="store_true",
        help="keep each import for the next ones (statements already imported), "
        "rolled back at the end only",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python's allocations (slower: for memory, not for time)",
    )
    parser.add_argument("--warmup", type=Path, help="a small file imported first, not measured")
    parser.add_argument("--profile", help="write a cProfile of the measured imports there")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    prepare, importer = IMPORTERS[args.importer]
    profiler = cProfile.Profile() if args.profile else None

    with odoo_env(args.config, args.database) as env:
        cr = env.cr
        if args.warmup:  # first calls load code, templates and caches: not what is measured
            prepare(env, args.warmup.read_bytes())
            importer(env, args.warmup.read_bytes(), args.warmup.name)
            env.flush_all()
            cr.rollback()
        cpu_clock = CpuClock(cr)
        if args.tracemalloc:
            tracemalloc.start()
        emit(event="ready", pid=os.getpid())
        for path in args.files:
            for run in range(args.runs):
                result = measure(env, importer, path, cpu_clock, profiler, prepare)
                if args.accumulate:
                    # What a commit does between two retrievals: the cache starts afresh.
                    env.invalidate_all()
                    env.transaction.clear()
                    gc.collect()
                    if tracemalloc.is_tracing():
                        retained = tracemalloc.get_traced_memory()[0] - result["traced_before"]
                        result["traced_retained_bytes"] = retained
                else:
                    cr.rollback()
                emit(event="import", importer=args.importer, run=run, **result)
        cr.rollback()
    if profiler:
        profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
