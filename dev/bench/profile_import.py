#!/usr/bin/env python3
"""Where an import's queries go: one generated statement of N lines imported into a bank
journal already holding M lines, then queries and CPU per line and the queries grouped by
their SQL (numbers and strings replaced by ?), the costliest first.

For development (issue #13), not part of make bench: run it on a database of your own (a
copy of a test database will do); the journal's history is imported and committed once
(--history lines in January 2024), the measured import is rolled back.

Usage: profile_import.py -c .odoo/odoo.conf -d DB [--lines N] [--history M] [--top K]
       [--reconcile] [--cprofile FILE]

With --cprofile, the measured import also runs under cProfile (its CPU per line is then
inflated: compare runs without it) and FILE receives the statistics, the 30 costliest functions
by their own time and by their cumulated time printed (python -m pstats FILE for more).
"""

import argparse
import cProfile
import pstats
import re
import sys
import time
from collections import defaultdict
from datetime import date

from common import BENCH_IBAN, CpuClock, coda_file, odoo_env
from setup_db import bank_journal

NUMBER = re.compile(r"\b\d+(\.\d+)?\b")
STRING = re.compile(r"'(?:[^']|'')*'")
LISTS = re.compile(r"\((?:\s*\?\s*,)+\s*\?\s*\)")
SAVEPOINT = re.compile(r'(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) "?[\w-]+"?')


def normalise(query) -> str:
    text = query if isinstance(query, str) else str(query)
    text = " ".join(text.split())
    text = SAVEPOINT.sub(r"\1 ?", text)
    text = STRING.sub("?", NUMBER.sub("?", text))
    return LISTS.sub("(?, ...)", text)


class QueryLog:
    """Every query this process runs while active, with the time it took."""

    def __init__(self):
        self.active = False
        self.count = defaultdict(int)
        self.seconds = defaultdict(float)

    def install(self):
        from odoo import sql_db

        execute = sql_db.Cursor.execute
        log = self

        def logged(cursor, query, params=None, log_exceptions=True):
            if not log.active:
                return execute(cursor, query, params, log_exceptions)
            started = time.perf_counter()
            try:
                return execute(cursor, query, params, log_exceptions)
            finally:
                key = normalise(query.code if hasattr(query, "code") else query)
                log.count[key] += 1
                log.seconds[key] += time.perf_counter() - started

        sql_db.Cursor.execute = logged


def history(env, journal, lines):
    """The journal holds at least ``lines`` statement lines, committed."""
    Line = env["account.bank.statement.line"]
    have = Line.search_count([("journal_id", "=", journal.id)])
    if have >= lines:
        return have
    path, _info = coda_file(
        f"profile-history-{lines}",
        lines,
        per_statement=100,
        leaves=True,
        seed=2024,
        start=date(2024, 1, 2),
    )
    env["account.bank.statement"]._codabox_import_coda(
        path.read_bytes(), company=env.company, filename=path.name
    )
    env.cr.commit()
    env.cr.execute("ANALYZE account_move, account_move_line, account_bank_statement_line")
    env.cr.commit()
    return Line.search_count([("journal_id", "=", journal.id)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--history", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--reconcile", action="store_true", help="reconciliation on")
    parser.add_argument("--cprofile", help="write cProfile's statistics of the import here")
    args = parser.parse_args(argv)
    path, _info = coda_file(
        f"profile-{args.lines}",
        args.lines,
        per_statement=args.lines,
        leaves=True,
        seed=args.lines,
        start=date(2024, 3, 1),
        first_sequence=100,
    )
    log = QueryLog()
    with odoo_env(args.config, args.database) as env:
        # sudo: the admin user made an accountant, as dev/bench/setup_db.py does
        accountant = env.ref("account.group_account_user") | env.ref(
            "account.group_account_manager"
        )
        env.user.sudo().groups_id |= accountant
        env.cr.commit()
        env.registry.clear_cache()
        env.invalidate_all()
        journal = bank_journal(env, env.company, BENCH_IBAN, "Bench Bank", "BNCH")
        env.cr.commit()
        held = history(env, journal, args.history)
        env.company.codabox_auto_reconcile = args.reconcile
        warmup, _ = coda_file(
            "profile-warmup", 20, per_statement=20, leaves=True, seed=7, start=date(2023, 6, 1)
        )
        env["account.bank.statement"]._codabox_import_coda(
            warmup.read_bytes(), company=env.company, filename=warmup.name
        )
        env.flush_all()
        env.cr.rollback()
        env.invalidate_all()
        clock = CpuClock(env.cr)
        log.install()
        log.active = True
        profiler = cProfile.Profile() if args.cprofile else None
        cpu = clock.read()
        if profiler:
            profiler.enable()
        result = env["account.bank.statement"]._codabox_import_coda(
            path.read_bytes(), company=env.company, filename=path.name
        )
        env.flush_all()
        if profiler:
            profiler.disable()
        cpu = CpuClock.since(cpu, clock.read())
        log.active = False
        lines = len(result["statements"].line_ids)
        names = result["statements"].line_ids.move_id.sorted("id").mapped("name")
        env.cr.rollback()
    total = sum(log.count.values())
    print(f"journal held {held} lines; imported {lines} lines ({names[0]} .. {names[-1]})")
    print(
        f"queries/line {total / lines:.2f}; CPU ms/line: Odoo {cpu['cpu_odoo'] / lines * 1000:.1f},"
        f" PostgreSQL {(cpu['cpu_database'] or 0) / lines * 1000:.1f}"
    )
    print(f"{'count':>7} {'/line':>6} {'ms':>8}  query")
    ranked = sorted(log.count, key=lambda key: -log.count[key])
    for key in ranked[: args.top]:
        print(
            f"{log.count[key]:7d} {log.count[key] / lines:6.2f} {log.seconds[key] * 1000:8.0f}"
            f"  {key[:220]}"
        )
    if profiler:
        profiler.dump_stats(args.cprofile)
        stats = pstats.Stats(args.cprofile)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
