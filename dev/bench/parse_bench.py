#!/usr/bin/env python3
"""Parse throughput: our coda_parser against pycoda 1.1.0, on the same generated files.

Each file holds statements of 1 000 movements (totals and details, with globalisations,
structured communications and counterparties). The two parsers run in turn, each run
timed in CPU time (the machine is shared: time spent waiting for a core is not the
parser's), and the median is kept. Before timing, both outputs are checked against what the
generator put in the file: statements, movements, balances and every amount.

Usage: parse_bench.py [--runs N] [COUNT...]  (prints JSON lines)
"""

import argparse
import gc
import statistics
import sys
import time
from decimal import Decimal

from coda.parser import Parser
from coda.statement import AmountSign
from common import amounts_digest, coda_file, emit

from coda_parser import parse


def check_ours(data: bytes, info: dict) -> str:
    """'' when our parser finds exactly what the file holds, else what differs."""
    statements = parse(data)
    movements = [mv for st in statements for mv in st.movements]
    problems = []
    if len(statements) != info["statements"] or len(movements) != info["movements"]:
        problems.append(f"{len(statements)} statements, {len(movements)} movements")
    balances = [[str(st.old_balance), str(st.new_balance)] for st in statements]
    if balances != info["balances"]:
        problems.append("balances differ")
    if amounts_digest(mv.amount for mv in movements) != info["amounts"]:
        problems.append("amounts differ")
    for st in statements:
        if st.old_balance + sum(mv.amount for mv in st.balance_movements) != st.new_balance:
            problems.append(f"statement {st.paper_sequence} does not add up")
        if st.warnings:
            problems.append(f"warning: {st.warnings[0]}")
    return "; ".join(problems[:3])


def _signed(value: float, sign: str) -> float:
    return -value if sign == AmountSign.DEBIT else value


def check_pycoda(data: bytes, info: dict) -> str:
    statements = Parser().parse(data)
    movements = [mv for st in statements for mv in st.movements]
    problems = []
    if len(statements) != info["statements"] or len(movements) != info["movements"]:
        problems.append(f"{len(statements)} statements, {len(movements)} movements")
    balances = [
        [
            str(Decimal(f"{_signed(st.old_balance, st.old_balance_amount_sign):.3f}")),
            str(Decimal(f"{_signed(st.new_balance, st.new_balance_amount_sign):.3f}")),
        ]
        for st in statements
    ]
    if balances != info["balances"]:
        problems.append("balances differ")
    amounts = (_signed(mv.transaction_amount, mv.transaction_amount_sign) for mv in movements)
    if amounts_digest(amounts) != info["amounts"]:
        problems.append("amounts differ")
    return "; ".join(problems)


def cpu_seconds(function, data: bytes) -> float:
    gc.collect()
    started = time.process_time()
    function(data)
    return time.process_time() - started


def bench(count: int, runs: int) -> dict:
    path, info = coda_file(f"parse-{count}", count, per_statement=1000, leaves=False, seed=count)
    data = path.read_bytes()
    pycoda = Parser()
    times = {"ours": [], "pycoda": []}
    for _ in range(runs):  # in turn, so that both see the same noise
        times["ours"].append(cpu_seconds(parse, data))
        times["pycoda"].append(cpu_seconds(pycoda.parse, data))
    result = {"movements": info["movements"], "statements": info["statements"], "bytes": len(data)}
    for name, check in (("ours", check_ours), ("pycoda", check_pycoda)):
        seconds = statistics.median(times[name])
        result[name] = {
            "seconds": seconds,
            "runs": times[name],
            "movements_per_second": info["movements"] / seconds,
            "mb_per_second": len(data) / 1e6 / seconds,
            "problem": check(data, info),
        }
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("counts", nargs="*", type=int, default=[1000, 10000, 100000])
    args = parser.parse_args(argv)
    for count in args.counts:
        emit(event="parse", **bench(count, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
