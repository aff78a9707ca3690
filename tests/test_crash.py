"""No delivered document is ever lost or imported twice: proved with real Odoo processes.

Each test runs the retrieval in Odoo processes of their own (tests/crash_runner.py, or
``odoo-bin``) against a throwaway copy of the test database, with the CodaBox sandbox
serving real HTTP from this process. Processes are killed with SIGKILL at the boundaries
of the retrieval's steps and at random; several retrieve at once; CodaBox's faults hit them;
a production server (workers, time limits) works through a backlog. Then what the database
holds is compared with what the sandbox delivered (see World.check_all_delivered).

The seeds are fixed (CRASH_SEED overrides them) so that a failure can be replayed.
"""

import base64
import contextlib
import json
import os
import random
import threading
import time
from collections import Counter
from datetime import date

import pytest
import requests

from ..compat import database_under_test
from ..dev.codagen import write_coda
from ..sandbox.faults import KINDS
from ..sandbox.testing import SandboxAdminError
from .crash_harness import (
    ACCOUNTANT,
    COMPANIES,
    FINAL_STATES,
    MANUAL_DAY,
    SERIES_A,
    World,
    drop_database,
    pg_connect,
    prepared_database,
    query,
    sessions,
    statements_of,
    wait_for,
    wait_sessions_gone,
)
from .parties import OFFICE_VAT, SME_SENDER_EMAIL, SME_SENDER_VAT, seed_company

SEED = int(os.environ.get("CRASH_SEED", "20261203"))
ACK_PATH = "/v2/delivery/feed/"
SALES_PATH = "/v2/invoicing-software/sales-invoices/"
DOWNLOAD_PATH = "/v2/delivery/download/"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("crash-prepared")
    try:
        prepared = prepared_database(work_dir)
        yield prepared
    finally:
        drop_database(f"{database_under_test()}_crash")


def add_fault(world, **spec):
    """Queues a fault through the admin endpoint, with whatever fields this sandbox knows."""
    response = requests.post(f"{world.sandbox.url}/_admin/faults", json=spec, timeout=10)
    if response.status_code >= 400:
        raise SandboxAdminError(response.text)


def logged(world, since, method, fault, path=""):
    """Position and entry of the first request since ``since`` with that fault."""
    for position, entry in enumerate(world.requests_log()[since:], since):
        if entry["method"] == method and entry["fault"] == fault and path in entry["path"]:
            return position, entry
    return None


class Runs:
    """Runs one after the other, each loading Odoo while the one before works, so that the
    next run starts right after a kill, as a restarted worker would."""

    def __init__(self, world, *plan):
        self.world, self.plan = world, list(plan)
        self.loaded = world.preload(*self.plan.pop(0))

    def next(self):
        process = self.world.go(self.loaded)
        self.loaded = self.world.preload(*self.plan.pop(0)) if self.plan else None
        return process


def series(company, start, days, seed, movements=6):
    return statements_of(
        COMPANIES[company][2], start=start, days=days, seed=seed, movements=movements
    )


# --- 2. kills at each step boundary, then at random ------------------------------------------


def deliver_crash_backlog(world):
    """23 feed entries over three companies: files of one or several statements, a file
    delivered twice, and in A a file whose first statement was uploaded by hand."""
    a = statements_of(COMPANIES["a"][2], **SERIES_A)
    assert MANUAL_DAY == 6
    for number, (first, last, copies) in enumerate(
        [(0, 1, 1), (1, 3, 1), (3, 4, 1), (4, 5, 2), (5, 6, 1), (6, 8, 1), (8, 11, 1), (11, 12, 1)]
    ):
        world.deliver("a", a[first:last], f"A{number}", copies)
    b = series("b", date(2026, 3, 2), 10, 8008, movements=7)
    for number, (first, last, copies) in enumerate(
        [(0, 2, 1), (2, 3, 1), (3, 4, 2), (4, 7, 1), (7, 8, 1), (8, 9, 1), (9, 10, 1)]
    ):
        world.deliver("b", b[first:last], f"B{number}", copies)
    c = series("c", date(2026, 3, 9), 8, 9009, movements=8)
    for number, (first, last) in enumerate([(0, 1), (1, 2), (2, 4), (4, 5), (5, 6), (6, 8)]):
        world.deliver("c", c[first:last], f"C{number}")
    assert len(world.delivered) == 23


def test_kill_at_each_step_then_at_random(prepared, tmp_path):
    """The daily job killed (SIGKILL) after a download, after the store (import held by a
    table lock), during the acknowledgement (never reaching CodaBox), after CodaBox applied
    the acknowledgement but before Odoo recorded it, then at random moments; then a clean
    run. After every kill nothing is acknowledged at CodaBox that is not final in the ledger,
    and nothing is imported twice; after the clean run every entry and statement is there
    exactly once."""
    rng = random.Random(SEED)
    seen = {}  # what each boundary found at the moment of its kill
    with World(prepared, tmp_path) as world:
        deliver_crash_backlog(world)
        runs = Runs(
            world,
            ("1-after-download", "cron"),
            ("2-before-import", "cron"),
            ("3-before-ack", "cron"),
            ("4-after-ack", "cron"),
            *((f"5-random-{number}", "cron") for number in range(3)),
            ("6-clean", "retrieve"),
        )

        # After a download: the PDF download is held; the CODA file was downloaded.
        since = len(world.requests_log())
        add_fault(
            world, kind="slow", method="GET", path=DOWNLOAD_PATH, path_regex="/pdf/$", delay=8
        )
        process = runs.next()
        _position, held = wait_for(
            lambda: logged(world, since, "GET", "slow", "/pdf/"), 60, "the held PDF download"
        )
        world.kill(process)
        index = held["path"].split("/")[4]
        seen["after a download"] = [
            row for row in world.ledger() if row["feed_index"] == index
        ] == [] and not world.sandbox_view()[index]
        world.check_nothing_lost_so_far("after the kill after a download")

        # After the store, before the import: the statements' table is locked, so the
        # import waits inside its transaction, after the document's store was committed.
        lock = pg_connect(world.database, autocommit=False)
        try:
            query(lock, "LOCK TABLE account_bank_statement IN EXCLUSIVE MODE")
            process = runs.next()

            def blocked(process=process):
                assert process.alive(), f"{process.name} ended:\n{process.tail()}"
                waiting = any(
                    app == process.app_name and waits
                    for _pid, app, waits in sessions(world.database)
                )
                unfinished = [r for r in world.ledger() if r["state"] not in FINAL_STATES]
                return waiting and unfinished

            unfinished = wait_for(blocked, 60, "the import to wait for the lock")
            process.kill()
        finally:
            lock.rollback()
            lock.close()
        wait_sessions_gone(world.database, {process.app_name})
        seen["after the store"] = bool(unfinished)
        world.check_nothing_lost_so_far("after the kill between store and import")

        # During the acknowledgement: the PUT is held; the process is killed; CodaBox refuses
        # the held request (consent not valid) so that it never applies it.
        since = len(world.requests_log())
        add_fault(world, kind="slow", method="PUT", path=ACK_PATH, delay=2.5)
        process = runs.next()
        position, _held = wait_for(
            lambda: logged(world, since, "PUT", "slow"), 60, "the held acknowledgement"
        )
        ledger = world.ledger()
        world.kill(process)
        world.sandbox.set_consent(OFFICE_VAT, "pending")
        try:
            status = wait_for(
                lambda: world.requests_log()[position]["status"], 15, "the held PUT's answer"
            )
        finally:
            world.sandbox.set_consent(OFFICE_VAT, "allowed")
        assert status == 403, f"the held acknowledgement was answered {status}: it was applied"
        acknowledged = world.sandbox_view()
        seen["before the acknowledgement"] = [
            row["feed_index"]
            for row in ledger
            if row["state"] in FINAL_STATES
            and not row["acknowledged"]
            and not acknowledged[row["feed_index"]]
        ]
        world.check_nothing_lost_so_far("after the kill during the acknowledgement")

        # After CodaBox applied the acknowledgement, before Odoo recorded it.
        seen["after the acknowledgement"] = kill_after_acknowledgement(world, runs)
        world.check_nothing_lost_so_far("after the kill after CodaBox's acknowledgement")

        # At random moments: after a random number of requests to CodaBox.
        for number in range(3):
            since = len(world.requests_log())
            requests_before_kill = rng.randint(2, 14)
            process = runs.next()
            wait_for(
                lambda process=process, since=since, count=requests_before_kill: (
                    not process.alive() or len(world.requests_log()) - since >= count
                ),
                90,
                "the random moment",
            )
            time.sleep(rng.uniform(0, 0.3))
            if process.alive():
                world.kill(process)
            else:
                process.check_clean_exit(5)
            world.check_nothing_lost_so_far(f"after random kill {number}")

        process = runs.next()
        process.check_clean_exit(120)
        world.check_all_delivered()
    assert all(seen.values()), f"a step boundary was not reached when killed: {seen}"


def kill_after_acknowledgement(world, runs):
    """Kills the retrieval once CodaBox has applied an acknowledgement whose answer it holds
    (a ``slow`` fault ``when: after``); with a sandbox that cannot, the ledger's rows are
    locked during a held PUT so that Odoo cannot record the answer. Returns the entries
    acknowledged at CodaBox and not in Odoo at the kill."""
    since = len(world.requests_log())
    before = {index for index, acknowledged in world.sandbox_view().items() if acknowledged}
    try:
        add_fault(world, kind="slow", when="after", method="PUT", path=ACK_PATH, delay=6)
        answer_held = True
    except SandboxAdminError:
        add_fault(world, kind="slow", method="PUT", path=ACK_PATH, delay=3)
        answer_held = False
    process = runs.next()
    _position, held = wait_for(
        lambda: logged(world, since, "PUT", "slow"), 60, "the acknowledgement"
    )
    lock = None
    try:
        if not answer_held:
            lock = pg_connect(world.database, autocommit=False)
            query(
                lock,
                "SELECT id FROM codabox_document WHERE feed_id = %s FOR UPDATE",
                [held["path"].split("/")[4]],
            )
        applied = wait_for(
            lambda: {i for i, ack in world.sandbox_view().items() if ack} - before,
            15,
            "CodaBox to apply the acknowledgement",
        )
        ledger = {row["feed_index"]: row for row in world.ledger()}
        process.kill()
    finally:
        if lock is not None:
            lock.rollback()
            lock.close()
    wait_sessions_gone(world.database, {process.app_name})
    return [index for index in applied if not ledger[index]["acknowledged"]]


# --- 3. concurrency ----------------------------------------------------------------------------


def deliver_concurrency_backlog(world, start, seed):
    """Five files of two or three statements of twelve lines per company A, B, C."""
    for offset, company in enumerate("abc"):
        statements = series(company, start, 12, seed + offset, movements=12)
        for number, (first, last) in enumerate([(0, 2), (2, 5), (5, 7), (7, 10), (10, 12)]):
            world.deliver(company, statements[first:last], f"{company}{seed}-{number}")


def concurrency_verdict(world, when, processes, timeout, errors=()):
    """How the processes ended and what the invariants say, reported together."""
    errors = list(errors)
    for process in processes:
        status = process.wait(timeout)
        if status != 0 or process.problems():
            errors.append(
                f"{process.name} ended with status {status}, logging:\n"
                + "\n".join(process.problems()[:12])
            )
    wait_sessions_gone(world.database)
    try:
        world.check_nothing_lost_so_far(when)
    except AssertionError as error:
        errors.insert(0, str(error))
    assert not errors, "\n\n".join(errors)


def test_two_daily_jobs_at_once(prepared, tmp_path):
    """Two processes run the daily job over the same companies, started at the same moment,
    twice: neither fails, and nothing is lost or imported twice."""
    with World(prepared, tmp_path) as world:
        for round_number, start in enumerate([date(2026, 5, 4), date(2026, 6, 1)]):
            deliver_concurrency_backlog(world, start, SEED + 10 * round_number)
            go = tmp_path / f"go-{round_number}"
            processes = [
                world.start(f"daily-job-{round_number}-{n}", "cron", go=go) for n in (1, 2)
            ]
            wait_for(
                lambda processes=processes: all(p.said("ready") for p in processes),
                90,
                "both processes to load Odoo",
            )
            go.touch()
            concurrency_verdict(
                world, f"after two daily jobs at once (round {round_number})", processes, 180
            )
        world.run("clean", "retrieve")
        world.check_all_delivered()


def test_daily_job_while_an_accountant_retrieves(prepared, tmp_path):
    """The daily job in one process while an accountant clicks "Retrieve from CodaBox" for
    company A again and again through JSON-RPC on an ``odoo-bin`` server: no server error
    (a notification that a retrieval is running is an answer), nothing lost or twice."""
    with World(prepared, tmp_path) as world:
        deliver_concurrency_backlog(world, date(2026, 5, 4), SEED + 20)
        go = tmp_path / "go"
        daily_job = world.start("daily-job", "cron", go=go)
        server, url = world.start_server("http-server", "--workers=0", "--max-cron-threads=0")
        session = accountant_session(world, url)
        wait_for(lambda: daily_job.said("ready"), 90, "the daily job to load Odoo")
        answers, failures, stop = [], [], threading.Event()

        def click():
            try:
                clicks()
            except Exception as error:  # said by the test below
                failures.append(repr(error))

        def clicks():
            journal, company = world.ids["journals"]["a"], world.ids["companies"]["a"]
            for number in range(1000):
                if stop.is_set() and len(answers) >= 3:
                    return
                response = session.post(
                    f"{url}/web/dataset/call_kw/account.journal/action_codabox_retrieve",
                    json={
                        "jsonrpc": "2.0",
                        "method": "call",
                        "id": number,
                        "params": {
                            "model": "account.journal",
                            "method": "action_codabox_retrieve",
                            "args": [[journal]],
                            "kwargs": {"context": {"allowed_company_ids": [company]}},
                        },
                    },
                    timeout=120,
                )
                answers.append((response.status_code, response.json()))

        clicker = threading.Thread(target=click, name="accountant")
        go.touch()
        clicker.start()
        try:
            daily_job.wait(180)
        finally:
            stop.set()
            clicker.join(240)
        wrong = [
            answer
            for status, answer in answers
            if status != 200
            or "error" in answer
            or answer.get("result", {}).get("tag") != "display_notification"
        ]
        errors = [f"the clicks failed: {failures}"] if failures or len(answers) < 3 else []
        if wrong:
            errors.append(f"{len(wrong)} of {len(answers)} clicks were answered: {wrong[:3]}")
        if server.problems():
            errors.append("the server logged:\n" + "\n".join(server.problems()[:12]))
        world.kill(server, server=True)
        concurrency_verdict(world, "after the daily job and the clicks", [daily_job], 5, errors)
        world.run("clean", "retrieve")
        world.check_all_delivered()


# --- 4. faults -----------------------------------------------------------------------------------

FAULT_TARGETS = [
    ("GET", "/v2/connect/consents/"),
    ("GET", "/v2/delivery/pod-client/"),
    ("GET", ACK_PATH),
    ("PUT", ACK_PATH),
    ("GET", DOWNLOAD_PATH),
]


def random_fault(rng, timeout):
    """A fault of a kind this sandbox knows, where it makes sense, quick to go through."""
    kind = rng.choice(sorted(KINDS))
    method, path = rng.choice(FAULT_TARGETS)
    spec = {"kind": kind, "method": method, "path": path, "count": rng.randint(1, 2)}
    if kind in ("duplicate_entry", "malformed_entry"):
        spec.update(method="GET", path=ACK_PATH)
    elif kind == "oversize":  # a JSON answer far over the client's cap
        spec.update(method="GET", path=rng.choice([ACK_PATH, "/v2/delivery/pod-client/"]))
        spec["size"] = 6 * 1024 * 1024
    if kind == "status":
        spec["status"] = rng.choice([500, 502, 503, 504])
    elif kind == "rate_limit":
        spec["retry_after"] = rng.randint(0, 1)
    elif kind == "slow":
        spec["delay"] = round(rng.uniform(0.2, timeout * 2), 2)
        spec["when"] = rng.choice(["before", "after"])
    elif kind == "drip":  # slower than the client's read timeout: it gives up at once
        spec["delay"] = timeout + 0.5
    elif kind == "redirect":
        spec["location"] = "http://127.0.0.1:9/elsewhere/"
    elif kind == "malformed_entry":
        spec["variant"] = rng.choice(
            ["metadata_text", "no_document_model", "no_feed_index", "not_an_object"]
        )
    return spec


def test_faults_at_random_then_a_clean_run(prepared, tmp_path):
    """Three retrievals of every company, each with new documents and CodaBox's faults queued
    at random (every kind the sandbox knows); the first two are also killed a random time
    after a download went through, as a worker is at its time limit while CodaBox is slow;
    then a clean run: nothing lost, nothing twice."""
    rng = random.Random(SEED + 1)
    timeout = 1.5
    params = {"timeout": timeout, "max_retries": 2, "deadline": 8}
    with World(prepared, tmp_path, params=params) as world:
        faults = []
        runs = Runs(world, *((f"faults-{n}", "retrieve") for n in range(3)), ("clean", "retrieve"))
        for round_number in range(3):
            for company in "abcd":
                statements = series(
                    company, date(2026, 8 + round_number, 3), 3, rng.randrange(10**6)
                )
                for number, (first, last) in enumerate([(0, 2), (2, 3)]):
                    world.deliver(
                        company, statements[first:last], f"{company}{round_number}-{number}"
                    )
            for _ in range(8):
                spec = random_fault(rng, timeout)
                with contextlib.suppress(SandboxAdminError):  # a field this sandbox lacks
                    add_fault(world, **spec)
                    faults.append(spec)
            since = len(world.requests_log())
            process = runs.next()
            if round_number < 2:
                downloads = rng.randint(2, 5)
                wait_for(
                    lambda process=process, since=since, count=downloads: (
                        not process.alive() or pdf_downloads(world, since) >= count
                    ),
                    120,
                    f"{downloads} PDF downloads",
                )
                time.sleep(rng.uniform(0.05, 0.5))
                if process.alive():
                    world.kill(process)
            if not process.killed:
                assert process.wait(240) == 0, process.tail()
                wait_sessions_gone(world.database, {process.app_name})
            world.sandbox.clear_faults()
            world.check_nothing_lost_so_far(f"after retrieval {round_number} with faults")
        hit = {entry["fault"] for entry in world.requests_log() if entry["fault"]}
        assert len(hit) >= 5, f"too few faults hit the runs: {hit} of {faults}"
        runs.next().check_clean_exit(120)
        world.check_all_delivered()


def pdf_downloads(world, since):
    """PDF downloads answered in full since ``since``."""
    return sum(
        1
        for entry in world.requests_log()[since:]
        if entry["method"] == "GET"
        and "/pdf/" in entry["path"]
        and entry["status"] == 200
        and not entry["fault"]
    )


# --- 5. production mode ----------------------------------------------------------------------


def test_production_server_works_through_a_backlog(prepared, tmp_path):
    """``odoo-bin --workers=2 --max-cron-threads=1`` with tight time limits and a backlog of
    120 documents over four companies, more than one call of the daily job may do: the job
    goes on in several calls, no cron worker is killed, the job never counts as failed or
    timed out, and every document is imported and acknowledged."""
    with World(prepared, tmp_path, params={"cron_time_budget": 2}) as world:
        for offset, company in enumerate("abcd"):
            statements = series(company, date(2026, 9, 1), 30, SEED + 30 + offset, movements=4)
            for number, statement in enumerate(statements):
                world.deliver(company, [statement], f"{company}-prod-{number}")
        assert len(world.delivered) == 120
        run_production_server(world)


def test_production_server_imports_a_long_statement_in_parts(prepared, tmp_path):
    """The same production server and limits (15 s of CPU per unit of work), and a statement
    of 1 500 lines, about 40 s of CPU to import: it goes in in parts over several calls of
    the daily job, no worker is killed, and the statement is whole."""
    with World(prepared, tmp_path, params={"cron_time_budget": 2}) as world:
        (statement,) = series("a", date(2026, 10, 1), 1, SEED + 40, movements=1500)
        world.deliver("a", [statement], "a-long")
        run_production_server(world)
        ((statements, lines, incomplete, gap),) = query(
            world.db,
            "SELECT count(DISTINCT s.id), count(l.id), bool_or(s.codabox_import_incomplete), "
            "round((max(s.balance_start) + sum(l.amount) - max(s.balance_end_real))::numeric, 2) "
            "FROM account_bank_statement s JOIN account_bank_statement_line l "
            "ON l.statement_id = s.id WHERE s.date = '2026-10-01'",
        )
        assert (statements, incomplete, gap) == (1, False, 0), (statements, incomplete, gap)
        assert lines >= 1500, lines  # every movement (the details of the grouped ones too)


def test_production_server_imports_a_long_upload_within_its_limits(prepared, tmp_path):
    """Import CODA of a 1 500-line statement (about 40 s of CPU) through JSON-RPC on the same
    production server (15 s of CPU per request): the request imports what fits in its
    budget and answers, the daily job imports the rest in parts, no worker is killed, and
    the statement is whole."""
    with World(prepared, tmp_path, params={"cron_time_budget": 2}) as world:
        (statement,) = series("a", date(2026, 10, 5), 1, SEED + 41, movements=1500)
        cron = world.ids["cron"]
        query(world.db, "UPDATE ir_cron SET active = true, failure_count = 0 WHERE id = %s", [cron])
        server, url = production_server(world)
        session = accountant_session(world, url)
        context = {"allowed_company_ids": [world.ids["companies"]["a"]]}

        def call(model, method, *args):
            answer = session.post(
                f"{url}/web/dataset/call_kw/{model}/{method}",
                json={
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": model,
                        "method": method,
                        "args": list(args),
                        "kwargs": {"context": context},
                    },
                },
                timeout=120,
            )
            assert answer.status_code == 200, (answer.status_code, server.tail(20))
            assert "error" not in answer.json(), answer.json()["error"]
            return answer.json()["result"]

        data = base64.b64encode(write_coda([statement])).decode()
        upload = call("ir.attachment", "create", {"name": "long-upload.cod", "datas": data})
        wizard = call(
            "codabox.coda.import.wizard", "create", {"attachment_ids": [[6, 0, [upload]]]}
        )
        call("codabox.coda.import.wizard", "action_import", [wizard])
        results = call(
            "codabox.coda.import.wizard.line",
            "search_read",
            [("wizard_id", "=", wizard), ("statement_id", "!=", False)],
            ["status"],
        )
        assert [result["status"] for result in results] == ["in_progress"], results

        def imported():
            assert server.alive(), f"the server died:\n{server.tail()}"
            rows = query(
                world.db,
                "SELECT state FROM codabox_document WHERE uploaded_by_id = %s",
                [world.ids["accountant"]],
            )
            return rows and rows[0][0] != "received"

        wait_for(imported, 300, "the daily job to import the rest of the upload", interval=1)
        killed = killed_workers(server)
        world.kill(server, server=True)
        assert not killed, "workers were killed:\n" + "\n".join(killed)
        assert not server.problems(), "the server logged errors:\n" + "\n".join(
            server.problems()[:20]
        )
        ((state,),) = query(
            world.db,
            "SELECT state FROM codabox_document WHERE uploaded_by_id = %s",
            [world.ids["accountant"]],
        )
        ((statements, lines, incomplete, gap),) = query(
            world.db,
            "SELECT count(DISTINCT s.id), count(l.id), bool_or(s.codabox_import_incomplete), "
            "round((max(s.balance_start) + sum(l.amount) - max(s.balance_end_real))::numeric, 2) "
            "FROM account_bank_statement s JOIN account_bank_statement_line l "
            "ON l.statement_id = s.id WHERE s.date = '2026-10-05'",
        )
        assert (state, statements, incomplete, gap) == ("imported", 1, False, 0), (
            state,
            statements,
            incomplete,
            gap,
        )
        assert lines >= 1500, lines


def upload_lines(world, day):
    """The statement lines of the day's statement committed so far, and how many of them
    have an import id of their own."""
    ((lines, import_ids),) = query(
        world.db,
        "SELECT count(l.id), count(DISTINCT l.unique_import_id) FROM account_bank_statement s "
        "JOIN account_bank_statement_line l ON l.statement_id = s.id WHERE s.date = %s",
        [day],
    )
    assert lines == import_ids, f"{lines} lines but {import_ids} import ids"
    return lines


def test_an_upload_killed_inside_its_parts_is_imported_once(prepared, tmp_path):
    """Import CODA of a 400-line statement in parts of 50 lines (the cost per line set to
    1 s): the daily job that imports the second part is killed (SIGKILL) inside it, its new
    entries written and its statement lines waiting for a table lock; another is killed at a
    random moment of a later part. Clean runs of the job then finish it: nothing of a killed
    part stays, and the statement is whole, each line once, its entries named in sequence
    without gap or duplicate."""
    rng = random.Random(SEED + 44)
    day = date(2026, 10, 5)
    with World(prepared, tmp_path, params={"import_seconds_per_line": "1"}) as world:
        (statement,) = series("a", day, 1, SEED + 44, movements=400)
        path = tmp_path / "long-upload.cod"
        path.write_bytes(write_coda([statement]))
        upload = world.run("upload", "upload", argument=str(path))
        (done,) = [line for line in upload.output().splitlines() if line.startswith("done ")]
        assert json.loads(done[5:])["statuses"] == ["in_progress"], done
        assert upload_lines(world, day) == 50

        # Inside the second part: its statement lines wait for the lock, its entries written.
        lock = pg_connect(world.database, autocommit=False)
        try:
            query(lock, "LOCK TABLE account_bank_statement_line IN EXCLUSIVE MODE")
            process = world.start("cron-killed-in-a-part", "cron")

            def blocked():
                assert process.alive(), f"{process.name} ended:\n{process.tail()}"
                return any(
                    app == process.app_name and waits
                    for _pid, app, waits in sessions(world.database)
                )

            wait_for(blocked, 90, "the second part to wait for the lock")
            process.kill()
        finally:
            lock.rollback()
            lock.close()
        wait_sessions_gone(world.database, {process.app_name})
        assert upload_lines(world, day) == 50

        # At a random moment of a later part.
        world.run("cron-part", "cron")
        before = upload_lines(world, day)
        assert before > 50
        process = world.start("cron-killed-at-random", "cron")
        wait_for(lambda: process.said("start") or not process.alive(), 90, "the job to start")
        time.sleep(rng.uniform(0, 1.5))
        if process.alive():
            world.kill(process)
        else:
            process.check_clean_exit(5)
        assert upload_lines(world, day) >= before

        for number in range(10):
            ((state,),) = query(
                world.db,
                "SELECT state FROM codabox_document WHERE uploaded_by_id = %s",
                [world.ids["accountant"]],
            )
            if state != "received":
                break
            world.run(f"cron-clean-{number}", "cron")
        assert state == "imported"
        assert upload_lines(world, day) == 400
        ((statements, incomplete, gap),) = query(
            world.db,
            "SELECT count(DISTINCT s.id), bool_or(s.codabox_import_incomplete), "
            "round((max(s.balance_start) + sum(l.amount) - max(s.balance_end_real))::numeric, 2) "
            "FROM account_bank_statement s JOIN account_bank_statement_line l "
            "ON l.statement_id = s.id WHERE s.date = %s",
            [day],
        )
        assert (statements, incomplete, gap) == (1, False, 0)
        names = [
            name
            for (name,) in query(
                world.db,
                "SELECT m.name FROM account_bank_statement s "
                "JOIN account_bank_statement_line l ON l.statement_id = s.id "
                "JOIN account_move m ON m.id = l.move_id WHERE s.date = %s",
                [day],
            )
        ]
        numbers = sorted(int(name.rsplit("/", 1)[1]) for name in names)
        assert numbers == list(range(numbers[0], numbers[0] + 400)), numbers[:5]


def production_server(world):
    """``odoo-bin`` as in production, with a tight CPU limit: two HTTP workers and a cron
    worker, 15 s of CPU per request or unit of work (Odoo's default: 60 s), Odoo's default of
    120 s of real time (a cron worker sleeps up to 70 s of it before a job it was not woken
    for: with less, a slow machine's job has too little left)."""
    return world.start_server(
        "production-server",
        "--workers=2",
        "--max-cron-threads=1",
        "--limit-time-real=120",
        "--limit-time-real-cron=120",
        "--limit-time-cpu=15",
        log_level="info",
    )


def accountant_session(world, url):
    """An HTTP session of the accountant, logged in on the server at ``url``."""
    session = requests.Session()
    login = session.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "method": "call", "params": {"db": world.database, **ACCOUNTANT}},
        timeout=60,
    ).json()
    assert login.get("result", {}).get("uid") == world.ids["accountant"], login
    return session


def killed_workers(server):
    """The lines of the server's log that say a worker was killed at a limit."""
    return [
        line
        for line in server.output().splitlines()
        if "timeout after" in line or "CPU time limit" in line or "timed out" in line
    ]


def run_production_server(world):
    """Run the daily job in ``odoo-bin --workers=2 --max-cron-threads=1`` with tight limits
    until every delivered document is imported and acknowledged; then check that no worker
    was killed, that the job took several calls and never failed nor timed out, and that
    everything was delivered once."""
    cron = world.ids["cron"]
    query(
        world.db,
        "UPDATE ir_cron SET active = true, failure_count = 0, "
        "nextcall = (now() at time zone 'UTC') - interval '1 minute' WHERE id = %s",
        [cron],
    )
    server, _url = production_server(world)
    started = time.monotonic()
    with contextlib.closing(pg_connect("postgres")) as postgres:

        def job_started():
            # The cron worker sleeps up to 70 s first: wake it as a trigger would.
            query(postgres, "SELECT pg_notify('cron_trigger', %s)", [world.database])
            return query(
                world.db, "SELECT count(*) FROM ir_cron_progress WHERE cron_id = %s", [cron]
            )[0][0]

        wait_for(job_started, 90, "the cron worker to start the job", interval=1)

    def backlog_done():
        assert server.alive(), f"the server died:\n{server.tail()}"
        ledger = world.ledger()
        return len(ledger) == len(world.delivered) and all(
            row["state"] in FINAL_STATES and row["acknowledged"] for row in ledger
        )

    try:
        wait_for(backlog_done, 300, "the backlog to be imported and acknowledged", interval=1)
    except AssertionError as error:
        states = Counter(
            (row["state"], row["acknowledged"]) for row in world.ledger()
        ).most_common()
        raise AssertionError(
            f"{error}; the ledger (state, acknowledged): {states}; the server's log ends:\n"
            + server.tail(30)
        ) from None
    duration = time.monotonic() - started

    def job_idle():
        with contextlib.closing(pg_connect(world.database, autocommit=False)) as probe:
            rows = query(
                probe,
                "SELECT id FROM ir_cron WHERE id = %s "
                "AND nextcall > (now() at time zone 'UTC') + interval '1 hour' "
                "AND NOT EXISTS (SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s "
                "                AND call_at <= (now() at time zone 'UTC')) "
                "FOR NO KEY UPDATE SKIP LOCKED",
                [cron, cron],
            )
            probe.rollback()
            return bool(rows)

    wait_for(job_idle, 120, "the job to end its last call", interval=0.5)
    ((active, failures),) = query(
        world.db, "SELECT active, failure_count FROM ir_cron WHERE id = %s", [cron]
    )
    calls, timed_out = query(
        world.db,
        "SELECT count(*), count(*) FILTER (WHERE timed_out_counter > 0) "
        "FROM ir_cron_progress WHERE cron_id = %s",
        [cron],
    )[0]
    killed = killed_workers(server)
    world.kill(server, server=True)
    assert not killed, "cron workers were killed:\n" + "\n".join(killed)
    assert (active, failures, timed_out) == (True, 0, 0), (
        f"the job: active {active}, failure_count {failures}, {timed_out} of {calls} "
        "calls timed out"
    )
    assert calls > 1, f"one call did the whole backlog in {duration:.0f} s"
    assert not server.problems(), "the server logged errors:\n" + "\n".join(server.problems()[:20])
    world.check_all_delivered()


# --- 7. an SME's sales invoice: a send killed after CodaBox received it -----------------------


def test_a_send_killed_after_codabox_received_it_is_received_once(prepared, tmp_path):
    """The sending process is killed while CodaBox holds its answer to an invoice it has
    received: the next run sends it again with the key committed before the attempt, and
    CodaBox has each invoice once."""

    def received():
        company = next(c for c in world.sandbox.state()["companies"] if c["vat"] == SME_SENDER_VAT)
        return [
            d["metadata"]["invoice_number"]
            for d in company["documents"]
            if d["document_model"] == "sales_invoice"
        ]

    def ledger():
        return query(
            world.db,
            "SELECT state, COALESCE(attempt_count, 0), idempotency_key, last_error"
            " FROM codabox_sent_invoice ORDER BY id",
        )

    with World(prepared, tmp_path) as world:
        world.sandbox.seed(
            {
                "companies": [
                    seed_company(SME_SENDER_VAT, "SME Invoicing", "SMEI", email=SME_SENDER_EMAIL)
                ]
            },
            merge=True,
        )
        world.run("sme", "sme_invoices", timeout=240, argument=SME_SENDER_VAT)
        assert [row[0] for row in ledger()] == ["to_send"] * 3, ledger()
        since = len(world.requests_log())
        add_fault(world, kind="slow", when="after", method="POST", path=SALES_PATH, delay=30)
        process = world.start("send-killed", "send")
        wait_for(
            lambda: logged(world, since, "POST", "slow", SALES_PATH) or not process.alive(),
            90,
            "the first send",
        )
        assert logged(world, since, "POST", "slow", SALES_PATH), (ledger(), process.tail())
        wait_for(lambda: len(received()) == 1, 15, "CodaBox to receive the first invoice")
        world.kill(process)
        rows = ledger()
        # Odoo never heard CodaBox's answer: the attempt and its key are committed, not sent.
        assert [row[:2] for row in rows] == [("to_send", 1), ("to_send", 0), ("to_send", 0)]
        world.run("send", "send", timeout=120)
        after = ledger()
        assert [row[0] for row in after] == ["sent"] * 3
        assert after[0][1:3] == (2, rows[0][2])  # sent again, with the same key
        numbers = received()
        assert len(numbers) == 3 and len(set(numbers)) == 3, numbers
