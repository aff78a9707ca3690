#!/usr/bin/env python3
"""A simulated accounting office: every client company of the benchmark database connected
to the CodaBox sandbox with 3 documents waiting each, retrieved by the daily job of a real
``odoo-bin`` in production mode, with Odoo's default limits.

Runs against a throwaway copy of the benchmark database (dev/bench/run.py makes and drops it).
The sandbox runs in this process. The office allows Odoo once in MyCodaBox; its companies are
then connected through the API, as a client database of the office would connect them. The
documents are put in the sandbox, the daily job is made due, and ``odoo-bin --workers=2
--max-cron-threads=1`` is started with Odoo's defaults (60 s of CPU and 120 s of real time
for each unit of work of its cron worker): the job runs in as many calls as it takes, each
within those limits, until every document is imported. Measured: the wall time from the
job's first call to the last document imported, the calls it took, the longest call, the CPU
of the Odoo processes, and whether any worker was killed at a limit.

Prints JSON lines: ``{"event": "connected", ...}``, ``{"event": "progress", ...}`` every
10 s or so, and ``{"event": "office", ...}`` at the end.

Usage: office_bench.py -c CONF -d DB [--companies N] [--documents 3]
"""

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date

from common import CLIENT_COUNT, emit, odoo_registry
from retrieval_bench import client_companies, connect, document, office_in_sandbox, office_seed

from sandbox.testing import running_sandbox

CRON_XMLID = "l10n_be_codabox_connect.ir_cron_codabox_retrieve"
# Odoo 18's defaults, said out loud: what "within Odoo's default cron limits" means.
PRODUCTION = (
    "--workers=2",
    "--max-cron-threads=1",
    "--limit-time-cpu=60",
    "--limit-time-real=120",
    "--limit-time-real-cron=-1",
)
KILLED = re.compile(r"timeout after|CPU time limit|virtual real time limit|Worker \(\d+\) killed")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and of the children it has waited for (Odoo's master reaps its
    recycled workers), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def server_cpu(master: int) -> float:
    """CPU seconds of the Odoo server: its master, its live workers and the dead ones."""
    children = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True, check=False
    ).stdout.split()
    return process_cpu(master) + sum(process_cpu(int(pid)) for pid in children)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--companies", type=int, default=CLIENT_COUNT)
    parser.add_argument("--documents", type=int, default=3)
    args = parser.parse_args(argv)

    import odoo
    from odoo import SUPERUSER_ID, api

    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.release.__file__)), "odoo-bin")
    registry = odoo_registry(args.config, args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"lang": "en_US"})
        companies, ibans = client_companies(env, args.companies)
        with running_sandbox(office_seed(companies, ibans)) as sandbox:
            client, office = office_in_sandbox(env, sandbox)
            started = time.perf_counter()
            for index, company in enumerate(companies):
                connect(env, sandbox, client, office, company, first=not index)
            cr.commit()
            emit(
                event="connected",
                companies=len(companies),
                seconds=time.perf_counter() - started,
            )
            for company in companies:
                sandbox.add_documents(
                    company.vat,
                    [
                        document(ibans[company], company.name, date(2026, 11, day), day)
                        for day in range(2, 2 + args.documents)
                    ],
                )
            expected = len(companies) * args.documents
            cron = env.ref(CRON_XMLID)
            cron.write({"active": True, "nextcall": odoo.fields.Datetime.now()})
            cr.execute("DELETE FROM ir_cron_progress WHERE cron_id = %s", [cron.id])
            cr.commit()
            emit(event="documents", documents=expected)
            with tempfile.TemporaryFile(mode="w+") as log:
                server = subprocess.Popen(
                    [
                        sys.executable,
                        odoo_bin,
                        "-c",
                        args.config,
                        "-d",
                        args.database,
                        f"--db-filter=^{re.escape(args.database)}$",
                        f"--http-port={free_port()}",
                        f"--gevent-port={free_port()}",
                        "--log-level=info",
                        *PRODUCTION,
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                try:
                    result = watch(cr, server, log, cron.id, expected)
                finally:
                    cpu = server_cpu(server.pid)
                    os.killpg(server.pid, signal.SIGTERM)
                    try:
                        server.wait(30)
                    except subprocess.TimeoutExpired:
                        os.killpg(server.pid, signal.SIGKILL)
                        server.wait()
                requests = sandbox.request_log()
            emit(
                event="office",
                companies=len(companies),
                documents=expected,
                cpu_odoo=cpu,
                requests=len(requests),
                **result,
            )
    return 0


def watch(cr, server, log, cron_id, expected):
    """Wake the cron worker and wait for every document to be imported; what it took.

    Odoo marks a call's progress record as possibly timed out when the call starts
    (``timed_out_counter`` 1 and more) and clears the mark when it returns: a mark left on a
    call that is not the last one is a call killed at a limit. Its ``write_date`` is the
    call's end."""
    last_report = 0
    while True:
        if server.poll() is not None:
            log.seek(0)
            raise SystemExit("odoo-bin ended:\n" + "".join(log.readlines()[-30:]))
        cr.execute("SELECT pg_notify('cron_trigger', current_database())")
        cr.execute("SELECT state, count(*) FROM codabox_document GROUP BY state")
        states = dict(cr.fetchall())
        cr.execute("SELECT count(*) FROM ir_cron_progress WHERE cron_id = %s", [cron_id])
        (calls,) = cr.fetchone()
        cr.commit()
        done = states.get("imported", 0)
        log.seek(0)
        killed = [line for line in log if KILLED.search(line)]
        finished = done >= expected or states.get("failed") or killed
        if finished or time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            emit(event="progress", calls=calls, imported=done, states=states)
        if finished:
            break
        time.sleep(2)
    cr.execute(
        "SELECT extract(epoch FROM (SELECT max(imported_at) FROM codabox_document)"
        " - min(create_date)), count(*) FROM ir_cron_progress WHERE cron_id = %s",
        [cron_id],
    )
    seconds, calls = cr.fetchone()
    cr.execute(
        "SELECT max(extract(epoch FROM write_date - create_date)),"
        " count(*) FILTER (WHERE timed_out_counter > 0)"
        " FROM ir_cron_progress WHERE cron_id = %s"
        " AND id < (SELECT max(id) FROM ir_cron_progress WHERE cron_id = %s)",
        [cron_id, cron_id],
    )
    longest, timed_out = cr.fetchone()
    cr.execute("SELECT failure_count FROM ir_cron WHERE id = %s", [cron_id])
    (failures,) = cr.fetchone()
    cr.commit()
    return {
        "seconds": float(seconds or 0),
        "calls": calls,
        "longest_call": float(longest or 0),
        "imported": done,
        "states": states,
        "killed": [line.strip()[-200:] for line in killed],
        "timed_out": timed_out,
        "failures": failures,
    }


if __name__ == "__main__":
    sys.exit(main())
