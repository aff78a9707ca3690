#!/usr/bin/env python3
"""make bench: every measurement in one run, side by side, written to docs/benchmarks.md.

1. parsing: our coda_parser against pycoda 1.1.0 (dev/bench/parse_bench.py, in this process);
2. import into Odoo: ours against OCA's account_statement_import_coda, one subprocess per
   measurement, killed at the time budget ("over budget"), plus the memory of successive
   imports (dev/bench/import_bench.py);
3. retrieval from the CodaBox sandbox, on a throwaway copy of the database
   (dev/bench/retrieval_bench.py);
4. a simulated office: every client company retrieved by the daily job of a real odoo-bin
   with workers and Odoo's default limits, on another copy (dev/bench/office_bench.py).

The measuring keeps to a deadline (90 minutes from --started, when the database was ready,
10 in quick mode; --deadline in minutes), each import to a budget (300 s, 900 s at 5 000
lines and 600 s at 10 000; 120 s in quick mode; --budget in seconds for all sizes):
what would not fit is reported as over budget or not run. Ratios, not absolute numbers,
are what compares: both sides run on the same files, the same database and the same
machine, one after the other.

Usage: run.py -c .bench/odoo-bench.conf -d codabox_bench [--quick] [--output FILE]
              [--started EPOCH] [--deadline MINUTES] [--budget SECONDS]
"""

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import parse_bench
from common import BENCH_DIR, CLIENT_COUNT, ROOT, coda_file, machine

PYTHON = sys.executable
HERE = Path(__file__).resolve().parent

MODES = {
    "full": {
        "parse_counts": [1000, 10000, 100000],
        "parse_runs": 7,
        "import_sizes": [100, 1000, 5000, 10000],
        "import_runs": {100: 3, 1000: 1, 5000: 1, 10000: 1},
        # The importers take turns (see bench_imports): rounds of one process each
        "import_rounds": {100: 3, 1000: 2},
        "budget": 300,
        # OCA's import of 5 000 lines takes about 8 minutes: its ratio is a target.
        "budgets": {5000: 900, 10000: 900},
        # No target compares with OCA at 10 000 lines (about 20 minutes): ours only.
        "oca_sizes": [100, 1000, 5000],
        "memory": (6, 100),
        "stages": [1, 10, 50, 200],
        # 600 documents retrieved, about 1 s each
        "retrieval_budget": 1200,
        # the office: every client company (CLIENT_COUNT), 3 documents each
        "office_companies": CLIENT_COUNT,
        "deadline": 90 * 60,
    },
    "quick": {
        "parse_counts": [1000, 10000],
        "parse_runs": 5,
        "import_sizes": [100, 1000],
        "import_runs": {100: 3, 1000: 1},
        "import_rounds": {100: 2},
        "budget": 120,
        "budgets": {},
        "oca_sizes": [100, 1000],
        "memory": (4, 100),
        "stages": [1, 10],
        "retrieval_budget": 120,
        "office_companies": 20,
        "deadline": 10 * 60,
    },
}
# Targets of the issue (in the benchmark, not in the tests).
SPEEDUP = 3.0  # import: OCA's time per line / ours
LINEAR = 1.5  # import: our time per line at the largest size / at the smallest
QUERIES_PER_LINE = 8
MEMORY_GROWTH = 1.25  # peak memory of the last of successive imports / of the first
FLAT = 1.5  # retrieval: cost per document with the most companies / with one
RESERVE = 20  # seconds kept at the end to write the report


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# --- subprocesses with a budget -----------------------------------------------------------


class Clock:
    def __init__(self, started: float, deadline: float):
        self.deadline = started + deadline

    def left(self) -> float:
        return self.deadline - time.time() - RESERVE


def _terminate_backends(pid: int) -> None:
    """A killed Odoo leaves its query running in PostgreSQL until it notices: stop it now."""
    subprocess.run(
        [
            "psql",
            "-d",
            "postgres",
            "-qAtc",
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = 'odoo-{pid}'",
        ],
        check=False,
        capture_output=True,
    )


def run_child(args: list, budget: float, total: float, startup: float = 300) -> tuple[list, str]:
    """Run a measuring script; its JSON events, and '' or why it stopped early.

    ``budget`` seconds are allowed between two events once the script is ready (one
    measurement each), ``startup`` until the first event, ``total`` in all.
    """
    end = time.monotonic() + total
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            [PYTHON, *map(str, args)],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
        events, buffer, status = [], b"", ""
        last = time.monotonic()
        deadline = last + startup
        try:
            while True:
                left = min(deadline, end) - time.monotonic()
                if left <= 0:
                    status = f"over budget (> {time.monotonic() - last:.0f} s)"
                    break
                ready, _, _ = select.select([process.stdout], [], [], left)
                if not ready:
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    events.append(json.loads(line))
                    last = time.monotonic()
                    deadline = last + budget
        finally:
            if process.poll() is None and status:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                _terminate_backends(process.pid)
            process.wait()
            process.stdout.close()
        if not status and process.returncode:
            stderr.seek(0)
            tail = [line for line in stderr.read().strip().splitlines() if line.strip()]
            status = f"failed: {tail[-1] if tail else f'exit {process.returncode}'}"
            say(f"{args[0]} failed:\n" + "\n".join(tail[-20:]))
    return events, status


# --- the measurements ---------------------------------------------------------------------


def import_files(sizes):
    files = {}
    for index, size in enumerate(sizes):
        path, info = coda_file(
            f"import-{size}",
            size,
            per_statement=size,
            leaves=True,
            seed=size,
            start=date(2024, 3, 1 + index),
            first_sequence=100 + index,
        )
        files[size] = path
    warmup, _ = coda_file(
        "import-warmup", 20, per_statement=20, leaves=True, seed=7, start=date(2023, 6, 1)
    )
    return files, warmup


def bench_imports(options, mode, sizes, clock, files, warmup, over):
    """{size: {"ours": result, "oca": result}}; a result is the median run or a status.

    At each size the importers take turns, one process each, for the size's rounds
    (``import_rounds``): the speed of a shared machine drifts from one minute to the next
    (the same 100-line import took 1.8 s to 3.2 s of CPU here), and turns let the drift
    weigh on every importer alike instead of on the one that ran at the wrong moment. The
    median of all the runs of an importer is its result.

    ``over``: the importers over budget at a smaller size, not run again."""
    results = {}
    importers = ("ours", "ours-reconcile", "oca")
    for size in sizes:
        runs = mode["import_runs"][size]
        rounds = mode["import_rounds"].get(size, 1)
        imports = {importer: [] for importer in importers}
        statuses = {}
        for turn in range(rounds):
            for importer in importers:
                if importer == "oca" and size not in mode["oca_sizes"]:
                    statuses[importer] = "not run (no target at this size)"
                    continue
                if importer in over:
                    statuses.setdefault(importer, "not run (over budget at a smaller size)")
                    continue
                budget = min(mode["budgets"].get(size, mode["budget"]), clock.left())
                if budget < 30:
                    statuses.setdefault(importer, "not run (no time left)")
                    continue
                say(
                    f"import of {size} lines, {importer}, round {turn + 1} of {rounds} "
                    f"(budget {budget:.0f} s)"
                )
                events, status = run_child(
                    [
                        "import_bench.py",
                        "-c",
                        options.config,
                        "-d",
                        options.database,
                        "--importer",
                        importer,
                        "--runs",
                        runs,
                        "--warmup",
                        warmup,
                        files[size],
                    ],
                    budget,
                    clock.left(),
                )
                done = [event for event in events if event["event"] == "import"]
                imports[importer] += done
                if status.startswith("over budget"):
                    over.add(importer)
                if len(done) < runs:
                    statuses[importer] = status
        results[size] = {}
        for importer in importers:
            done = imports[importer]
            if done:
                result = sorted(done, key=lambda event: event["cpu"])[len(done) // 2]
                result["runs"] = [event["cpu"] for event in done]
                result["peak_bytes"] = max(event["peak_bytes"] for event in done)
                result["status"] = statuses.get(importer, "")
            else:
                result = {"status": statuses.get(importer, "not run")}
            results[size][importer] = result
    return results


def bench_memory(options, mode, clock):
    count, lines = mode["memory"]
    files = [
        coda_file(
            f"memory-{index}",
            lines,
            per_statement=lines,
            leaves=True,
            seed=500 + index,
            start=date(2024, 5, 1 + index),
            first_sequence=200 + index,
        )[0]
        for index in range(count)
    ]
    warmup, _ = coda_file(
        "import-warmup", 20, per_statement=20, leaves=True, seed=7, start=date(2023, 6, 1)
    )
    budget = min(mode["budget"], clock.left())
    if budget < 30:
        return [], "not run (no time left)"
    say(f"memory: {count} successive imports of {lines} lines (ours)")
    args = ["import_bench.py", "-c", options.config, "-d", options.database]
    args += ["--importer", "ours", "--accumulate", "--tracemalloc", "--warmup", warmup, *files]
    events, status = run_child(args, budget, clock.left())
    return [event for event in events if event["event"] == "import"], status


def on_copy(options, suffix, script, args, budget, clock, startup=300):
    """Run a measuring script on a throwaway copy of the database (it commits), dropped
    after it with its filestore."""
    copy = f"{options.database}_{suffix}"
    filestore = Path(_data_dir(options.config)) / "filestore"
    _dropdb(copy, filestore)
    subprocess.run(["createdb", "-T", options.database, copy], check=True)
    try:
        return run_child(
            [script, "-c", options.config, "-d", copy, *args], budget, clock.left(), startup
        )
    finally:
        _dropdb(copy, filestore)


def bench_retrieval(options, mode, clock):
    if clock.left() < 60:
        return [], "not run (no time left)"
    say(f"retrieval: {mode['stages'][-1]} companies, 3 documents each (on a copy)")
    stages = ",".join(map(str, mode["stages"]))
    budget = min(mode["retrieval_budget"], clock.left())
    return on_copy(options, "retrieval", "retrieval_bench.py", ["--stages", stages], budget, clock)


def bench_office(options, mode, clock):
    """The simulated office (office_bench.py) on a copy of the database of its own."""
    if clock.left() < 120:
        return [], "not run (no time left)"
    companies = mode["office_companies"]
    say(
        f"office: {companies} companies, 3 documents each, retrieved by the daily job of "
        "odoo-bin with workers (on a copy)"
    )
    # Progress every 10 s: 300 s without any means the job stalled.
    events, status = on_copy(
        options,
        "office",
        "office_bench.py",
        ["--companies", companies],
        300,
        clock,
        startup=clock.left(),
    )
    for event in events:
        if event["event"] == "connected":
            say(f"office: {event['companies']} companies connected in {event['seconds']:.0f} s")
    return events, status


def _data_dir(config_file):
    for line in Path(config_file).read_text(encoding="utf-8").splitlines():
        if line.startswith("data_dir"):
            return line.split("=", 1)[1].strip()
    return str(ROOT / ".odoo" / "data")


def _dropdb(name, filestore):
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=True, capture_output=True)
    target = filestore / name
    if target.is_dir():
        subprocess.run(["rm", "-rf", str(target)], check=True)


# --- the report ---------------------------------------------------------------------------


def _n(value, digits=0):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}".replace(",", " ")


def _mb(value):
    return f"{value / 2**20:.1f}" if value is not None else "-"


def _verdict(ok):
    return "met" if ok else "**MISSED**"


def parse_section(parse_results, targets):
    rows = [
        "| File (movements) | Size (MB) | Ours: movements/s | Ours: MB/s "
        "| pycoda: movements/s | pycoda: MB/s | Speed ratio (ours / pycoda) | Exact "
        "| Target (>= 1.0x, exact) |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for result in parse_results:
        ours, pycoda = result["ours"], result["pycoda"]
        ratio = pycoda["seconds"] / ours["seconds"]
        exact = "ours: " + (ours["problem"] or "yes") + "; pycoda: " + (pycoda["problem"] or "yes")
        ok = ratio >= 1.0 and not ours["problem"]
        targets.append(
            (
                f"Parsing {_n(result['movements'])} movements at least as fast as pycoda, exact",
                f"{ratio:.2f}x, {'exact' if not ours['problem'] else ours['problem']}",
                ok,
            )
        )
        plural = "s" if result["statements"] > 1 else ""
        rows.append(
            f"| {_n(result['movements'])} ({result['statements']} statement{plural}) "
            f"| {result['bytes'] / 1e6:.1f} "
            f"| {_n(ours['movements_per_second'])} | {ours['mb_per_second']:.1f} "
            f"| {_n(pycoda['movements_per_second'])} | {pycoda['mb_per_second']:.1f} "
            f"| {ratio:.2f}x | {exact} | {_verdict(ok)} |"
        )
    return rows


def _per_line(result):
    """CPU seconds per line (Odoo and PostgreSQL), the cost the ratios compare."""
    return result["cpu"] / result["lines"]


def _budgets(mode):
    """The import budgets in words: "300 s (900 s at 5 000 lines)"."""
    special = ", ".join(
        f"{seconds} s at {_n(size)} lines" for size, seconds in mode["budgets"].items()
    )
    return f"{mode['budget']} s" + (f" ({special})" if special else "")


def _turns(mode):
    """How the importers took turns and how many runs the medians are of, in words."""
    rounds = mode["import_rounds"]
    most = max(runs * rounds.get(size, 1) for size, runs in mode["import_runs"].items())
    turns = " and ".join(
        f"at {_n(size)} lines the importers take turns, {count} processes each"
        for size, count in rounds.items()
    )
    return (
        f"{turns}, as the speed of a shared machine drifts from one minute to the next (the "
        "same import took 1.8 s to 3.2 s of CPU here) and turns let the drift weigh on all of "
        f"them alike; the median of all the runs (up to {most})"
    )


def _import_cells(result):
    if "seconds" not in result:
        return [result["status"], "-", "-", "-", "-"]
    note = f" ({result['status']})" if result["status"] else ""
    return [
        f"{result['seconds']:.1f}{note}",
        f"{result['cpu']:.1f}",
        _n(1 / _per_line(result), 1),
        f"{result['queries'] / result['lines']:.1f}",
        _mb(result["peak_bytes"]),
    ]


def import_section(import_results, targets):
    rows = [
        "| Lines | Ours: wall s | Ours: CPU s | Ours: lines per CPU s | Ours: queries/line "
        "| Ours: peak MB | OCA: wall s | OCA: CPU s | OCA: lines per CPU s | OCA: queries/line "
        f"| OCA: peak MB | Speed ratio (OCA / ours, CPU per line) | Target (>= {SPEEDUP:g}x, "
        f"<= {QUERIES_PER_LINE} queries/line) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    speed, query_rates = {}, []
    for size, pair in import_results.items():
        ours, oca = pair["ours"], pair["oca"]
        ratio_text, ok = "-", False
        if "seconds" in ours:
            queries = ours["queries"] / ours["lines"]
            query_rates.append((size, queries))
            if "seconds" in oca and oca["lines"] == ours["lines"]:
                ratio = _per_line(oca) / _per_line(ours)
                ratio_text, ok = f"{ratio:.2f}x", ratio >= SPEEDUP
            elif oca.get("status", "").startswith("over budget ("):
                # OCA did not finish in that wall time: compared with ours in wall time.
                ratio = _waited(oca) / ours["seconds"]
                ratio_text = f">= {ratio:.2f}x (OCA over budget; wall time)"
                ok = ratio >= SPEEDUP
            elif "seconds" in oca:
                ratio_text = f"OCA made {oca['lines']} lines, ours {ours['lines']}"
            elif _no_target(oca):
                ratio_text, ok = "no ratio target at this size", True
            else:
                ratio_text = "OCA not measured"
            if ratio_text != "-" and "not measured" not in ratio_text:
                speed[size] = (ratio_text, ok)
            ok = ok and queries <= QUERIES_PER_LINE
        verdict = _verdict(ok) if "seconds" in ours else "**MISSED** (not measured)"
        rows.append(
            f"| {_n(size)} | "
            + " | ".join(_import_cells(ours) + _import_cells(oca))
            + f" | {ratio_text} | {verdict} |"
        )
    for size, pair in import_results.items():
        if _no_target(pair["oca"]):
            continue
        status = pair["ours"].get("status") or pair["oca"].get("status")
        text, ok = speed.get(size, (f"not measured: {status}", False))
        targets.append((f"Import of {_n(size)} lines {SPEEDUP:g}x faster than OCA's", text, ok))
    if query_rates:
        worst = max(rate for _size, rate in query_rates)
        targets.append(
            (
                f"At most {QUERIES_PER_LINE} queries per line, whatever the size",
                ", ".join(f"{rate:.1f} at {_n(size)} lines" for size, rate in query_rates),
                worst <= QUERIES_PER_LINE and len(query_rates) == len(import_results),
            )
        )
    sizes = list(import_results)
    small = import_results[sizes[0]]["ours"]
    label = (
        f"Import linear: per-line cost at {_n(sizes[-1])} lines <= {LINEAR:g}x "
        f"that at {_n(sizes[0])}"
    )
    measured = [size for size in sizes if "seconds" in import_results[size]["ours"]]
    if "seconds" in small and measured[-1] == sizes[-1]:
        growth = _per_line(import_results[sizes[-1]]["ours"]) / _per_line(small)
        targets.append((label, f"{growth:.2f}x (CPU per line)", growth <= LINEAR))
    else:
        status = import_results[sizes[-1]]["ours"].get("status")
        text = f"not measured at {_n(sizes[-1])}: {status}"
        if "seconds" in small and measured[-1] != sizes[0]:
            growth = _per_line(import_results[measured[-1]]["ours"]) / _per_line(small)
            text += f"; {growth:.2f}x at {_n(measured[-1])}"
        over = [size for size in sizes if "> " in import_results[size]["ours"].get("status", "")]
        if "seconds" in small and over:
            # Did not finish in that wall time: at least that much per line.
            status = import_results[over[0]]["ours"]["status"]
            waited = float(status.split("> ")[1].split(" s")[0])
            growth = (waited / over[0]) / (small["seconds"] / small["lines"])
            text += f"; over budget at {_n(over[0])}: >= {growth:.2f}x (wall time per line)"
        targets.append((label, text, False))
    return rows


def _waited(result):
    """The wall time a measurement over budget was given: "over budget (> 900 s)"."""
    return float(result["status"].split("> ")[1].split(" s")[0])


def _no_target(result):
    """Whether this measurement of OCA's import was left out: no target at its size."""
    return result.get("status", "").startswith("not run (no target")


def reconcile_section(import_results, targets):
    """Ours with the reconciliation with invoices, next to ours alone and OCA's import (which
    reconciles nothing): what matching and reconciling add to an import, and the issue's
    target that ours with it stays 3x faster than OCA's import alone."""
    rows = [
        "| Lines | With a structured communication | Open invoices and bills for them "
        "| Lines reconciled | Ours, import alone: CPU s | Ours, import + reconciliation: wall s "
        "| CPU s | queries/line | Reconciliation's share of the CPU | OCA's import: CPU s "
        "| Ratio (OCA's import / ours with reconciliation, CPU per line) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, results in import_results.items():
        alone, both, oca = results["ours"], results.get("ours-reconcile", {}), results["oca"]
        label = (
            f"Import and reconciliation of {_n(size)} lines {SPEEDUP:g}x faster than OCA's import"
        )
        if "seconds" not in both:
            status = both.get("status", "not run")
            rows.append(f"| {_n(size)} | " + " | ".join([status] + ["-"] * 9) + " |")
            if not _no_target(oca):
                targets.append((label, f"not measured: {status}", False))
            continue
        share, ratio = "-", "-"
        if "seconds" in alone:
            share = f"{(both['cpu'] - alone['cpu']) / both['cpu']:.0%}"
        if "seconds" in oca and oca["lines"] == both["lines"]:
            value = _per_line(oca) / _per_line(both)
            ratio = f"{value:.2f}x"
            targets.append((label, ratio, value >= SPEEDUP))
        elif oca.get("status", "").startswith("over budget ("):
            # OCA did not finish in that wall time: compared with ours in wall time.
            value = _waited(oca) / both["seconds"]
            ratio = f">= {value:.2f}x (OCA over budget; wall time)"
            targets.append((label, ratio, value >= SPEEDUP))
        elif not _no_target(oca):
            targets.append((label, f"not measured: OCA {oca.get('status', 'not run')}", False))
        note = f" ({both['status']})" if both["status"] else ""
        cells = [
            _n(size),
            _n(both.get("referenced")),
            _n(both.get("invoices")),
            _n(both["reconciled"]),
            f"{alone['cpu']:.1f}" if "seconds" in alone else alone.get("status", "-"),
            f"{both['seconds']:.1f}{note}",
            f"{both['cpu']:.1f}",
            f"{both['queries'] / both['lines']:.1f}",
            share,
            f"{oca['cpu']:.1f}" if "seconds" in oca else oca.get("status", "-"),
            ratio,
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def memory_section(memory_results, status, targets):
    rows = [
        "| Import | Statements already imported | Lines | CPU s | queries/line "
        "| Python peak MB | Python MB kept after | Resident peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for index, result in enumerate(memory_results):
        rows.append(
            f"| {index + 1} | {index} | {result['lines']} | {result['cpu']:.1f} "
            f"| {result['queries'] / result['lines']:.1f} "
            f"| {_mb(result.get('traced_peak_bytes'))} "
            f"| {_mb(result.get('traced_retained_bytes'))} | {_mb(result['peak_bytes'])} |"
        )
    label = "Memory does not grow with the statements already imported"
    if len(memory_results) >= 2 and "traced_peak_bytes" in memory_results[0]:
        first = memory_results[0]["traced_peak_bytes"]
        last = memory_results[-1]["traced_peak_bytes"]
        growth = last / first
        targets.append(
            (
                label,
                f"Python peak {_mb(last)} MB for import {len(memory_results)} vs "
                f"{_mb(first)} MB for the first ({growth:.2f}x, target <= {MEMORY_GROWTH:g}x)",
                growth <= MEMORY_GROWTH,
            )
        )
    else:
        targets.append((label, f"not measured: {status}", False))
    if status:
        rows.append(f"\n{status}")
    return rows


def retrieval_section(events, status, targets):
    companies = [event for event in events if event["event"] == "company"]
    rows = [
        "| Connected companies | Companies retrieved | Documents | Wall s | Wall s/document "
        "| CPU s/document | queries/document | HTTP requests/document | Errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    stages = {}
    for event in companies:
        stages.setdefault(event["connected"], []).append(event)
    stages["**all**"] = companies
    per_document = {}
    for connected, group in stages.items():
        documents = max(sum(event["documents"] for event in group), 1)
        seconds = sum(event["seconds"] for event in group)
        cpu = sum(event["cpu"] for event in group)
        queries = sum(event["queries"] for event in group)
        requests = sum(event["requests"] for event in group)
        errors = sorted({event["error"] for event in group if event["error"]})
        wrong = [e for e in group if e["imported"] != e["documents"] or e["documents"] != 3]
        if wrong:
            errors.append(f"{len(wrong)} companies without their 3 documents imported")
        if isinstance(connected, int):
            per_document[connected] = (cpu / documents, queries / documents)
        rows.append(
            f"| {connected} | {len(group)} | {documents} | {seconds:.1f} "
            f"| {seconds / documents:.2f} | {cpu / documents:.2f} | {queries / documents:.0f} "
            f"| {requests / documents:.1f} | {'; '.join(errors) or '-'} |"
        )
    label = "Retrieval cost per document flat from 1 to the most companies"
    if len(per_document) >= 2:
        first, last = min(per_document), max(per_document)
        time_growth = per_document[last][0] / per_document[first][0]
        query_growth = per_document[last][1] / per_document[first][1]
        targets.append(
            (
                label.replace("the most", str(last)),
                f"CPU time/document {time_growth:.2f}x, queries/document {query_growth:.2f}x "
                f"(target <= {FLAT:g}x)",
                time_growth <= FLAT and query_growth <= FLAT,
            )
        )
    else:
        targets.append((label, f"not measured: {status}", False))
    if status:
        rows.append(f"\n{status}")
    return rows


def office_section(events, status, targets):
    connected = next((e for e in events if e["event"] == "connected"), None)
    office = next((e for e in events if e["event"] == "office"), None)
    label = "A simulated office's documents retrieved by the daily job within Odoo's default limits"
    if not office:
        targets.append((label, f"not measured: {status or 'no result'}", False))
        return [f"Not measured: {status or 'no result'}."]
    documents = office["documents"]
    ok = (
        office["imported"] == documents
        and not office["killed"]
        and not office["timed_out"]
        and not office["failures"]
    )
    label = label.replace("A simulated office's", f"{_n(office['companies'])} companies x 3")
    targets.append(
        (
            label,
            f"{office['imported']} of {documents} documents in {office['seconds'] / 60:.1f} min, "
            f"{office['calls']} calls of the job, the longest {office['longest_call'] or 0:.0f} s; "
            f"{len(office['killed'])} workers killed, {office['timed_out']} calls timed out",
            ok,
        )
    )
    rows = [
        "| Companies | Connected in (s) | Documents | Imported | Total wall time (min) "
        "| Wall s/document | Calls of the job | Longest call (s) | Odoo CPU s/document "
        "| HTTP requests/document | Workers killed | Calls timed out |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {_n(office['companies'])} | {connected['seconds']:.0f} | {_n(documents)} "
        f"| {_n(office['imported'])} | {office['seconds'] / 60:.1f} "
        f"| {office['seconds'] / documents:.2f} | {office['calls']} "
        f"| {office['longest_call'] or 0:.0f} | {office['cpu_odoo'] / documents:.2f} "
        f"| {office['requests'] / documents:.1f} | {len(office['killed'])} "
        f"| {office['timed_out']} |",
    ]
    for line in office["killed"]:
        rows.append(f"\n    {line}")
    if status:
        rows.append(f"\n{status}")
    return rows


def report(info, mode_name, mode, parse_results, imports, memory, retrieval, office, seconds):
    targets = []
    parse_rows = parse_section(parse_results, targets)
    import_rows = import_section(imports, targets)
    reconcile_rows = reconcile_section(imports, targets)
    memory_rows = memory_section(*memory, targets)
    retrieval_rows = retrieval_section(*retrieval, targets)
    office_rows = office_section(*office, targets)
    missed = sum(1 for _label, _value, ok in targets if not ok)
    memory_count, memory_lines = mode["memory"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`dev/bench.sh`, scripts in `dev/bench/`): do not edit by hand.",
        "Every number below comes from the same run, on the same generated files and the same",
        "database; compare the ratios, not the absolute numbers (the machine is shared). Costs",
        "are CPU time (of Odoo's process and of its PostgreSQL backend) unless said otherwise:",
        "time spent waiting for a core on a busy machine is not the code's.",
        "",
        f"- Date: {info['date']}, {mode_name} mode, {seconds / 60:.1f} minutes of measuring"
        " (the database built or upgraded before)",
        f"- Machine: {info['cpu']}, {info['cpus']} CPUs, {info['memory']}, {info['platform']}"
        f" (load average at the start: {info['load']})",
        f"- Odoo {info['odoo']}, Python {info['python']}, PostgreSQL {info['postgres']}",
        f"- Compared with: pycoda {info['pycoda']} (PyPI); OCA's account_statement_import_coda"
        f" {info['oca']} (PyPI wheels, installed with `--no-deps` into the benchmark database"
        " only)",
        "",
        "## Targets",
        "",
        "| Target | Measured | Result |",
        "|---|---|---|",
        *(f"| {label} | {value} | {_verdict(ok)} |" for label, value, ok in targets),
        "",
        f"{len(targets) - missed} of {len(targets)} targets met.",
        "",
        "## 1. Parsing: ours vs pycoda",
        "",
        "Same files (statements of 1 000 movements with globalisations, structured",
        "communications and counterparties, from `dev/codagen/generator.py`), both parsers in",
        f"turn, median of {mode['parse_runs']} runs in CPU time. Exact: statements, movements,",
        "balances and every amount as generated (ours also: each statement adds up, no warning).",
        "",
        *parse_rows,
        "",
        "## 2. Import into Odoo: ours vs OCA's account_statement_import_coda",
        "",
        "One statement of N lines, the same file for both, the same database (each import",
        "rolled back), the same bank journal (which holds 10 000 lines of January, the database",
        "analysed, as one in use), as the admin user (an accountant): ours is",
        "`account.bank.statement._codabox_import_coda`, OCA's its wizard's",
        "`import_file_button`, as its tests call it. Each importer runs in processes of its",
        f"own, after a warm-up import; {_turns(mode)}.",
        "Peak MB: growth of the resident memory during the import. Queries: every SQL",
        "statement of the import. None of ours runs once per",
        "line: Odoo writes the new rows 100 at a time (INSERTs of the entries, of their two",
        "journal items each, of the statement lines and of the entries' chatter messages and",
        "followers; UPDATEs of the entries, of their items and of the statement lines with",
        "what Odoo computes once they are inserted: the entries' totals, then their names and",
        "sequence numbers, the items' residual amounts, then their entry's name, state and",
        "statement: 0.14 queries per line together). The rest is per import, whatever its size:",
        "the file's journals,",
        "the import ids already there and the partners (one search each), the journal's last",
        "entry name (once per journal and period: the entries are named as a batch), the",
        "entries' links to their statement lines (written for all the entries at once), the",
        "analytic distribution models (one search, none per item when none could apply), the",
        "balance check (once for all the entries) and the reconciliation's candidates. OCA's",
        "wizard creates the lines through Odoo's own statement line creation, entry by entry",
        "(its queries/line column). Budget: "
        f"{_budgets(mode)} (wall) per import, less when the run's deadline is nearer, then",
        "the process is killed.",
        "",
        *import_rows,
        "",
        "### Import and reconciliation with invoices (ours) next to OCA's import",
        "",
        "The same files, ours with the company's reconciliation with invoices on, an open",
        "invoice (money in) or bill (money out) waiting for every other line with a structured",
        "communication (3 in 4 of its amount, paid exactly; 1 in 4 of twice its amount, paid",
        "partly), made before each import and not measured. The table above measures ours",
        "with the reconciliation off (the import alone); OCA's importer reconciles nothing.",
        "",
        *reconcile_rows,
        "",
        "### Successive imports (ours): memory against statements already imported",
        "",
        f"One process imports {memory_count} statements of {memory_lines} lines one after the",
        "other, each kept (the cache cleared in between, as a commit does), all rolled back at",
        "the end; Python's allocations traced (tracemalloc, which slows it down).",
        "",
        *memory_rows,
        "",
        "## 3. Retrieval from the CodaBox sandbox",
        "",
        "On a throwaway copy of the database, the sandbox in the same process (its CPU time is",
        "counted). Companies are connected in stages; each newly connected company gets 3 CODA",
        "files of 10 movements (with a PDF) and `codabox.connection._retrieve()` runs for it",
        "(consent check, feed, download, store, import, acknowledge, with its commits).",
        "",
        *retrieval_rows,
        "",
        "## 4. A simulated office: the daily job in production mode",
        "",
        "Another throwaway copy of the database: every client company of the office (the",
        "first 200 on the Belgian chart of accounts, the others with only the accounts their",
        "bank statements need, see `dev/bench/setup_db.py`; each with its bank journal)",
        "connected to the sandbox, 3 CODA files of 10 movements with their PDF waiting for",
        "each. `odoo-bin --workers=2",
        "--max-cron-threads=1` runs with Odoo's default limits (60 s of CPU and 120 s of real",
        "time for each unit of work of the cron worker) and its daily job retrieves everything,",
        "in as many calls as it takes. Total wall time: from the job's first call to the last",
        "document imported. Odoo CPU: the server's processes (its HTTP workers idle), not",
        "PostgreSQL's. A killed worker or a call timed out would be in the server's log and in",
        "Odoo's cron progress records.",
        "",
        *office_rows,
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and runs")
    parser.add_argument("--output", type=Path, help="where to write the Markdown report")
    parser.add_argument(
        "--started",
        type=float,
        default=time.time(),
        help="start of the measuring (epoch): the database was ready then",
    )
    parser.add_argument("--deadline", type=float, help="minutes of measuring")
    parser.add_argument("--budget", type=float, help="seconds allowed to one import")
    options = parser.parse_args(argv)
    mode_name = "quick" if options.quick else "full"
    mode = dict(MODES[mode_name])
    if options.deadline:
        mode["deadline"] = options.deadline * 60
    if options.budget:
        mode["budget"], mode["budgets"] = options.budget, {}
    clock = Clock(options.started, mode["deadline"])
    BENCH_DIR.mkdir(exist_ok=True)

    info = machine()
    info["date"] = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    info["postgres"] = subprocess.run(
        ["psql", "-d", options.database, "-Atc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    info["pycoda"] = _distribution_version("pycoda")
    info["oca"] = _oca_version()

    say("files: generating what is not in .bench/files yet")
    files, warmup = import_files(mode["import_sizes"])
    say(f"parsing: {', '.join(map(str, mode['parse_counts']))} movements")
    parse_results = [parse_bench.bench(count, mode["parse_runs"]) for count in mode["parse_counts"]]

    # The smaller imports first, then memory and retrieval, the largest imports last: what
    # would not fit in the deadline is what takes longest.
    small = [size for size in mode["import_sizes"] if size <= 1000]
    large = [size for size in mode["import_sizes"] if size > 1000]
    over = set()
    imports = bench_imports(options, mode, small, clock, files, warmup, over)
    memory = bench_memory(options, mode, clock)
    retrieval = bench_retrieval(options, mode, clock)
    imports.update(bench_imports(options, mode, large, clock, files, warmup, over))
    office = bench_office(options, mode, clock)

    seconds = time.time() - options.started
    text = report(info, mode_name, mode, parse_results, imports, memory, retrieval, office, seconds)
    if options.output:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(text, encoding="utf-8")
        say(f"written to {options.output.relative_to(ROOT)} in {seconds / 60:.1f} minutes")
    print(text)
    return 0


def _distribution_version(name):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def _oca_version():
    wheels = sorted((BENCH_DIR / "wheels").glob("odoo_addon_account_statement_import_coda-*.whl"))
    return wheels[-1].name.split("-")[1] if wheels else "?"


if __name__ == "__main__":
    sys.exit(main())
