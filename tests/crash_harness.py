"""Real Odoo processes against a throwaway database, the CodaBox sandbox, and the invariants
that say no delivered document was lost or imported twice (for tests/test_crash.py).

Nothing here pretends: every retrieval runs in an Odoo process of its own
(tests/crash_runner.py, or ``odoo-bin`` itself), commits for real, and is killed with
SIGKILL. The test reads the database with its own PostgreSQL connection and CodaBox's view
through the sandbox's admin endpoint, as an outsider would.

Databases: ``dev/test.sh`` leaves ``<test database>_template`` (the addon installed, no
test data). :func:`prepared_database` copies it once per test module and adds the companies
(Belgian chart, bank journal per IBAN), their CodaBox connections, an accountant and a
statement uploaded by hand; :class:`World` copies that again for each test, with a sandbox
of its own that starts from the state in which the companies were connected.
"""

import base64
import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg2
import requests
from psycopg2 import sql

import odoo
from odoo.tools import config

from ..codabox_client import CodaboxClient
from ..compat import config_file, database_under_test
from ..dev.codagen import generate_statements, write_coda
from ..sandbox.testing import running_sandbox
from .parties import (
    CLIENT_COMPANIES,
    OFFICE_LOGIN,
    OFFICE_LOGIN_PASSWORD,
    OFFICE_VAT,
    office_clients_seed,
)

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().with_name("crash_runner.py")
ODOO_BIN = Path(odoo.release.__file__).resolve().parent.parent / "odoo-bin"
FINAL_STATES = ("imported", "ignored", "failed")
OFFICE_PASSWORD = "CRASH-PASSW-ORD33-33333-33333"
ACCOUNTANT = {"login": "accountant@crash.example", "password": "crash-accountant-secret"}
APP_NAME = "codabox-crash-test"  # this test's own PostgreSQL sessions
PARAM = "l10n_be_codabox_connect."
# company key: name, VAT, IBAN, journal code (all clients of one accounting office)
COMPANIES = {
    key: (f"Crash Client {key.upper()}", vat, iban, f"CB{key.upper()}")
    for key, (vat, iban) in CLIENT_COMPANIES.items()
}
# The statements of company A's account: the seventh is uploaded by hand when the database is
# prepared, and the crash test delivers it again inside a file with the eighth.
SERIES_A = {"start": date(2026, 3, 2), "days": 12, "seed": 7007, "movements": 6}
MANUAL_DAY = 6  # index in SERIES_A
# An error logged, or the last line of a traceback (the exception itself).
LOG_PROBLEM = re.compile(r" (ERROR|CRITICAL) |^[\w.]+(Error|Exception|Failure|Violation): ")


def conf_path():
    return config_file() or str(ROOT / ".odoo/odoo.conf")


def pg_connect(dbname, autocommit=True):
    """A connection of the test itself (application_name APP_NAME), never an Odoo cursor."""
    connection = psycopg2.connect(
        dbname=dbname,
        host=config["db_host"] or None,
        port=config["db_port"] or None,
        user=config["db_user"] or None,
        password=config["db_password"] or None,
        application_name=APP_NAME,
    )
    connection.autocommit = autocommit
    return connection


def query(connection, statement, params=None):
    with connection.cursor() as cr:
        cr.execute(statement, params)
        return cr.fetchall() if cr.description else None


def sessions(dbname):
    """Backends on ``dbname`` other than the test's own: (pid, application_name, waiting)."""
    with contextlib.closing(pg_connect("postgres")) as connection:
        return query(
            connection,
            "SELECT pid, application_name, wait_event_type = 'Lock' FROM pg_stat_activity "
            "WHERE datname = %s AND application_name <> %s AND pid <> pg_backend_pid()",
            [dbname, APP_NAME],
        )


def wait_sessions_gone(dbname, app_names=None, timeout=15):
    """Waits until the killed process's backends have noticed it is gone (PostgreSQL sees the
    closed socket; a backend blocked on a lock sees it once the lock is released). After
    ``timeout`` they are ended as PostgreSQL would end them, so that nothing they hold (an
    advisory lock) outlives the process; returns how many had to be ended."""
    deadline = time.monotonic() + timeout
    while True:
        left = [pid for pid, app, _ in sessions(dbname) if app_names is None or app in app_names]
        if not left:
            return 0
        if time.monotonic() > deadline:
            with contextlib.closing(pg_connect("postgres")) as connection:
                for pid in left:
                    query(connection, "SELECT pg_terminate_backend(%s)", [pid])
            return len(left)
        time.sleep(0.05)


def create_database(name, template):
    """``name`` as a copy of ``template`` (database and filestore)."""
    drop_database(name)
    with contextlib.closing(pg_connect("postgres")) as connection:
        for attempt in itertools.count():
            try:
                query(
                    connection,
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    ),
                )
                break
            except psycopg2.errors.ObjectInUse:
                # The template's last session (a process that just ended) is still closing.
                if attempt > 50:
                    raise
                time.sleep(0.2)
    source = Path(config.filestore(template))
    if source.is_dir():
        shutil.copytree(source, config.filestore(name))


def drop_database(name):
    with contextlib.closing(pg_connect("postgres")) as connection:
        query(
            connection,
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
        )
    shutil.rmtree(config.filestore(name), ignore_errors=True)


def database_exists(name):
    with contextlib.closing(pg_connect("postgres")) as connection:
        return bool(query(connection, "SELECT 1 FROM pg_database WHERE datname = %s", [name]))


def copy_of_template(suffix):
    """A new database ``<test database>_<suffix>``, a copy of ``<test database>_template``
    (made first when dev/test.sh left none); its name."""
    test_db = database_under_test()
    template = f"{test_db}_template"
    if not database_exists(template):
        build_template(test_db, template)
    database = f"{test_db}_{suffix}"
    create_database(database, template)
    return database


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls ``predicate`` until it returns something true, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- processes ------------------------------------------------------------------------------


class Process:
    """An Odoo process (crash_runner.py or odoo-bin) in a process group of its own; its
    output goes to a file, so that a full pipe never blocks it."""

    def __init__(self, name, argv, log_dir):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "wb")  # closed by wait() or kill()
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.pid = self.popen.pid
        self.killed = False

    @property
    def app_name(self):
        return f"odoo-{self.pid}"

    def output(self):
        return self.log_path.read_text(errors="replace")

    def said(self, word):
        return any(line.split(" ", 1)[0] == word for line in self.output().splitlines())

    def alive(self):
        return self.popen.poll() is None

    def wait(self, timeout):
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"{self.name} did not end within {timeout} s; its output:\n{self.tail()}"
            ) from None
        finally:
            self._log.close()
        return self.popen.returncode

    def kill(self):
        """SIGKILL to the whole group: no handler of Odoo or of ours runs."""
        if self.alive():
            self.killed = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait(30)
        self._log.close()

    def problems(self):
        return [line[:300] for line in self.output().splitlines() if LOG_PROBLEM.search(line)]

    def tail(self, lines=40):
        return "\n".join(self.output().splitlines()[-lines:])

    def check_clean_exit(self, timeout):
        """It ended by itself, with status 0, with no error in its log."""
        status = self.wait(timeout)
        assert status == 0 and not self.problems(), (
            f"{self.name} ended with status {status} and logged errors:\n{self.tail()}"
        )


# --- CODA documents and what they must become -----------------------------------------------

PDF_TEMPLATE = b"%%PDF-1.4\n%% %s\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n"


def pdf_for(label):
    return PDF_TEMPLATE % label.encode()


def statements_of(iban, *, start, days, seed, movements):
    statements = generate_statements(
        iban=iban,
        holder_name="Client",
        start_date=start,
        days=days,
        movements_per_statement=movements,
        seed=seed,
        globalisation_ratio=0,  # every movement a line of its own: lines = movements
        first_coda_sequence=start.timetuple().tm_yday,
    )
    for statement in statements:
        assert all(movement.depth == 0 for movement in statement.movements)
    return statements


def manual_upload():
    """The statement of company A uploaded by hand in every prepared database."""
    iban = COMPANIES["a"][2]
    statement = statements_of(iban, **SERIES_A)[MANUAL_DAY]
    return statement, write_coda([statement]), pdf_for("uploaded by hand")


def money(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass
class ExpectedStatement:
    company: str
    iban: str
    day: date
    amounts: list
    balance_start: Decimal
    balance_end: Decimal
    pdfs: set = field(default_factory=set)


@dataclass
class Delivered:
    company: str
    cod_sha1: str
    pdf_sha1: str
    statements: list


# --- the prepared database of a test module --------------------------------------------------


@dataclass
class Prepared:
    database: str
    state_file: Path
    seed: dict
    ids: dict
    feed_ids: dict  # company key -> feed id


def prepared_database(work_dir):
    """Copies the template, connects the companies at a sandbox (whose state is kept in a
    file for each test's sandbox to start from) and records them in the database."""
    database = copy_of_template("crash")
    seed = office_clients_seed(COMPANIES)
    state_file = Path(work_dir) / "sandbox-connected.json"
    answers = {}
    with running_sandbox(seed, state_file=str(state_file)) as sandbox:
        client = CodaboxClient(sandbox.url, sandbox.software_id)
        keys = list(COMPANIES)
        back = sandbox.authorize_in_browser(
            client.authorize_url(
                sandbox.url,
                software_id=sandbox.software_id,
                office_vat=OFFICE_VAT,
                company_vat=COMPANIES[keys[0]][1],
                redirect_uri="http://odoo.invalid/codabox/connect/callback",
                state="crash",
            ),
            OFFICE_LOGIN,
            OFFICE_LOGIN_PASSWORD,
            OFFICE_PASSWORD,
        )
        code = parse_qs(urlsplit(back).query)["code"][0]
        answers[keys[0]] = client.exchange_code(code, OFFICE_PASSWORD)
        for key in keys[1:]:
            answers[key] = client.connect_company(OFFICE_VAT, COMPANIES[key][1], OFFICE_PASSWORD)
        software_id = sandbox.software_id
    _statement, coda, pdf = manual_upload()
    spec = {
        "companies": [
            {"key": key, "name": name, "vat": vat, "iban": iban, "journal_code": code}
            for key, (name, vat, iban, code) in COMPANIES.items()
        ],
        "office": {"vat": OFFICE_VAT, "password": OFFICE_PASSWORD},
        "connections": [
            {
                "company": key,
                "answer": {
                    "consent_id": answer.consent_id,
                    "status": answer.status,
                    "feed_client_id": answer.feed_client_id,
                    "username": answer.username,
                    "password": answer.password,
                },
            }
            for key, answer in answers.items()
        ],
        "accountant": ACCOUNTANT,
        "manual": [
            {
                "company": "a",
                "filename": "uploaded-by-hand.cod",
                "cod": base64.b64encode(coda).decode(),
                "pdf": base64.b64encode(pdf).decode(),
            }
        ],
        "params": {PARAM + "software_id": software_id},
    }
    spec_path = Path(work_dir) / "prepare.json"
    spec_path.write_text(json.dumps(spec))
    process = Process(
        "prepare",
        [sys.executable, str(RUNNER), conf_path(), database, "prepare", str(spec_path)],
        work_dir,
    )
    process.check_clean_exit(240)
    done = [line for line in process.output().splitlines() if line.startswith("done ")]
    ids = json.loads(done[-1][5:])
    wait_sessions_gone(database)
    return Prepared(
        database=database,
        state_file=state_file,
        seed=seed,
        ids=ids,
        feed_ids={key: answer.feed_client_id for key, answer in answers.items()},
    )


def build_template(test_db, template):
    """No template left by dev/test.sh (pytest run by hand): the slow way, from scratch."""
    script = (
        f'source "{ROOT}/dev/odoo-env.sh" && create_belgian_db "{template}" && '
        f'odoo_bin -d "{template}" -i l10n_be_codabox_connect --stop-after-init --log-level=warn'
    )
    subprocess.run(["bash", "-c", script], check=True, timeout=900, env=os.environ)


# --- one test's world -------------------------------------------------------------------------


class World:
    """A test's database (a copy of the prepared one), its sandbox, the Odoo processes it
    starts and what was delivered; ``with World(...) as world:`` cleans all of it up."""

    _numbers = itertools.count(1)

    def __init__(self, prepared, work_dir, params=None):
        self.prepared = prepared
        self.work_dir = Path(work_dir)
        self.database = f"{prepared.database}_{next(self._numbers)}"
        self.params = params or {}
        self.processes = []
        self.delivered = {}  # feed index -> Delivered
        self.expected = {}  # (iban, day) -> ExpectedStatement
        self.ids = prepared.ids
        statement, _coda, pdf = manual_upload()
        self._expect("a", statement, sha1(pdf))
        self._exit = contextlib.ExitStack()

    def __enter__(self):
        try:
            create_database(self.database, self.prepared.database)
            self._exit.callback(drop_database, self.database)
            state_file = self.work_dir / "sandbox-state.json"
            shutil.copy(self.prepared.state_file, state_file)
            self.sandbox = self._exit.enter_context(
                running_sandbox(self.prepared.seed, state_file=str(state_file))
            )
            self._exit.callback(self._stop_processes)
            self.db = pg_connect(self.database)
            self._exit.callback(self.db.close)
            self.set_params(
                {
                    "api_url": self.sandbox.url,
                    "mycodabox_url": self.sandbox.url,
                    "backoff": "0.01",
                    "max_retries": "2",
                    "timeout": "20",
                    **self.params,
                }
            )
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc_info):
        self._exit.close()

    def _stop_processes(self):
        for process in self.processes:
            process.kill()
        wait_sessions_gone(self.database, timeout=10)

    def set_params(self, params):
        for key, value in params.items():
            query(
                self.db,
                "INSERT INTO ir_config_parameter (key, value, create_uid, create_date, "
                "write_uid, write_date) VALUES (%s, %s, 1, now(), 1, now()) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [PARAM + key, str(value)],
            )

    # --- deliveries -------------------------------------------------------------------------

    def _expect(self, company, statement, pdf_sha1):
        key = (statement.account_number, statement.new_balance_date)
        expected = self.expected.get(key)
        if expected is None:
            expected = self.expected[key] = ExpectedStatement(
                company=company,
                iban=statement.account_number,
                day=statement.new_balance_date,
                amounts=sorted(money(m.amount) for m in statement.movements),
                balance_start=money(statement.old_balance),
                balance_end=money(statement.new_balance),
            )
        expected.pdfs.add(pdf_sha1)
        return key

    def deliver(self, company, statements, label, copies=1):
        """One CODA file with these statements (and its PDF) delivered to ``company``, under
        ``copies`` feed entries (CodaBox delivering the same file again); their indexes."""
        iban = COMPANIES[company][2]
        coda, pdf = write_coda(statements), pdf_for(label)
        document = {
            "document_model": "coda",
            "metadata": {
                "iban": iban,
                "currency": "EUR",
                "new_balance_date": statements[-1].new_balance_date.isoformat(),
                "movement_count": sum(len(s.movements) for s in statements),
            },
            "cod": base64.b64encode(coda).decode(),
            "pdf": base64.b64encode(pdf).decode(),
        }
        indexes = self.sandbox.add_documents(COMPANIES[company][1], [document] * copies)
        keys = [self._expect(company, statement, sha1(pdf)) for statement in statements]
        for index in indexes:
            self.delivered[index] = Delivered(company, sha1(coda), sha1(pdf), keys)
        return indexes

    # --- processes --------------------------------------------------------------------------

    def start(self, name, action, go=None, argument=None):
        argv = [sys.executable, str(RUNNER), conf_path(), self.database, action]
        argv += [argument] if argument else []
        if go:
            argv += ["--go", str(go)]
        process = Process(name, argv, self.work_dir)
        self.processes.append(process)
        return process

    def preload(self, name, action):
        """A process that loads Odoo now and starts its work at :meth:`go`."""
        process = self.start(name, action, go=self.work_dir / f"go-{name}")
        process.go_file = self.work_dir / f"go-{name}"
        return process

    def go(self, process):
        wait_for(
            lambda: process.said("ready") or not process.alive(), 90, f"{process.name} to load"
        )
        process.go_file.touch()
        wait_for(
            lambda: process.said("start") or not process.alive(), 10, f"{process.name} to start"
        )
        return process

    def run(self, name, action, timeout=120, argument=None):
        """A run that must end by itself, cleanly."""
        process = self.start(name, action, argument=argument)
        process.check_clean_exit(timeout)
        wait_sessions_gone(self.database, {process.app_name})
        return process

    def kill(self, process, server=False):
        """SIGKILL, then until PostgreSQL has closed its sessions (a server's workers have
        sessions of their own: all of the database's then)."""
        process.kill()
        return wait_sessions_gone(self.database, None if server else {process.app_name})

    def start_server(self, name, *options, log_level="warn"):
        """``odoo-bin`` serving this database only, on free ports; the HTTP URL."""
        port = free_port()
        argv = [
            sys.executable,
            str(ODOO_BIN),
            "-c",
            conf_path(),
            "-d",
            self.database,
            f"--db-filter=^{re.escape(self.database)}$",
            f"--http-port={port}",
            f"--gevent-port={free_port()}",
            f"--log-level={log_level}",
            *options,
        ]
        process = Process(name, argv, self.work_dir)
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"

        def healthy():
            assert process.alive(), f"{name} ended at start:\n{process.tail()}"
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"{url}/web/health", timeout=2).status_code == 200
            return False

        wait_for(healthy, 90, f"{name} to answer on {url}", interval=0.2)
        return process, url

    # --- what the sandbox and the database say ----------------------------------------------

    def sandbox_view(self):
        """feed index -> acknowledged, for every entry the sandbox delivered."""
        return {
            document["feed_index"]: document["acknowledged"]
            for company in self.sandbox.state()["companies"]
            for document in company["documents"]
        }

    def requests_log(self):
        return self.sandbox.state()["requests"]

    def ledger(self):
        rows = query(
            self.db,
            """SELECT d.feed_id, d.feed_index, d.state, d.acknowledged, d.company_id,
                      d.error_message, coda.checksum, pdf.checksum
                 FROM codabox_document d
            LEFT JOIN ir_attachment coda ON coda.id = d.coda_attachment_id
            LEFT JOIN ir_attachment pdf ON pdf.id = d.pdf_attachment_id""",
        )
        keys = ("feed_id", "feed_index", "state", "acknowledged", "company_id", "error")
        return [dict(zip((*keys, "coda_sha1", "pdf_sha1"), row, strict=True)) for row in rows]

    def _relation(self, model, name):
        ((table, column1, column2),) = query(
            self.db,
            "SELECT relation_table, column1, column2 FROM ir_model_fields "
            "WHERE model = %s AND name = %s",
            [model, name],
        )
        return table, column1, column2

    def statements(self):
        """Every statement: journal, company, balances, line amounts and dates, PDF sums."""
        table, column1, column2 = self._relation("account.bank.statement", "attachment_ids")
        rows = query(
            self.db,
            sql.SQL(
                """SELECT s.id, s.journal_id, j.company_id, s.balance_start, s.balance_end_real,
                      ARRAY(SELECT l.amount FROM account_bank_statement_line l
                             WHERE l.statement_id = s.id ORDER BY l.amount),
                      ARRAY(SELECT DISTINCT m.date FROM account_bank_statement_line l
                              JOIN account_move m ON m.id = l.move_id
                             WHERE l.statement_id = s.id),
                      ARRAY(SELECT a.checksum FROM {table} rel
                              JOIN ir_attachment a ON a.id = rel.{column2}
                             WHERE rel.{column1} = s.id AND a.mimetype = 'application/pdf')
                 FROM account_bank_statement s
                 JOIN account_journal j ON j.id = s.journal_id
                ORDER BY s.id"""
            ).format(
                table=sql.Identifier(table),
                column1=sql.Identifier(column1),
                column2=sql.Identifier(column2),
            ),
        )
        keys = ("id", "journal", "company", "start", "end", "amounts", "days", "pdfs")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def duplicate_import_ids(self):
        return query(
            self.db,
            "SELECT unique_import_id, count(*) FROM account_bank_statement_line "
            "WHERE unique_import_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1 LIMIT 10",
        )

    # --- invariants -------------------------------------------------------------------------

    def check_nothing_lost_so_far(self, when):
        """What must hold at any moment, even right after a kill: CodaBox considers nothing
        acknowledged that the ledger does not hold in a final state, and nothing is imported
        twice."""
        errors = []
        ledger = {row["feed_index"]: row for row in self.ledger()}
        for index, acknowledged in self.sandbox_view().items():
            row = ledger.get(index)
            if acknowledged and (row is None or row["state"] not in FINAL_STATES):
                what = "not in the ledger" if row is None else f"'{row['state']}' in the ledger"
                errors.append(
                    f"entry {index} of company {self.delivered[index].company.upper()} is "
                    f"acknowledged at CodaBox but {what}: CodaBox will never deliver it again, "
                    "and it is not imported (lost)"
                )
        errors += self._duplicates()
        assert not errors, f"{when}:\n" + "\n".join(errors)

    def _duplicates(self):
        errors = [
            f"statement line {uid} imported {count} times"
            for uid, count in self.duplicate_import_ids()
        ]
        journals = {self.ids["journals"][key]: key for key in COMPANIES}
        seen = Counter(
            (row["journal"], day) for row in self.statements() for day in row["days"][:1]
        )
        errors += [
            f"{count} statements of {day} in the journal of company {journals.get(journal)}"
            for (journal, day), count in seen.items()
            if count > 1
        ]
        return errors

    def check_all_delivered(self):
        """After a clean run: every delivered entry exactly once in the ledger, final,
        acknowledged in Odoo and at CodaBox, with the files delivered; every statement exactly
        once in the right journal, as the CODA file says, with its PDF."""
        errors = []
        sandbox = self.sandbox_view()
        ledger = self.ledger()
        count = Counter(row["feed_index"] for row in ledger)
        by_index = {row["feed_index"]: row for row in ledger}
        company_ids = self.ids["companies"]
        for index, delivered in self.delivered.items():
            key = delivered.company
            row = by_index.get(index)
            name = f"entry {index} of company {key.upper()}"
            if row is None:
                errors.append(f"{name} is not in the ledger")
                continue
            if count[index] > 1:
                errors.append(f"{name} is {count[index]} times in the ledger")
            if row["state"] not in FINAL_STATES:
                errors.append(f"{name} is '{row['state']}' after a clean run, not final")
            if row["state"] == "failed":
                errors.append(f"{name} failed (every file delivered is valid): {row['error']}")
            if not row["acknowledged"]:
                errors.append(f"{name} is not marked acknowledged in Odoo")
            if not sandbox.get(index):
                errors.append(f"{name} is not acknowledged at CodaBox")
            if row["company_id"] != company_ids[key]:
                errors.append(f"{name} is in company {row['company_id']}")
            if row["feed_id"] != self.prepared.feed_ids[key]:
                errors.append(f"{name} is recorded under feed {row['feed_id']}")
            if row["coda_sha1"] != delivered.cod_sha1 or row["pdf_sha1"] != delivered.pdf_sha1:
                errors.append(f"{name}: the files stored are not the files delivered")
        errors += [
            f"the ledger holds {index}, which CodaBox never delivered"
            for index in count
            if index not in self.delivered
        ]
        errors += self._statement_errors()
        errors += self._duplicates()
        assert not errors, "after a clean run:\n" + "\n".join(errors[:60])

    def _statement_errors(self):
        errors = []
        journals = self.ids["journals"]
        found = defaultdict(list)
        for row in self.statements():
            if len(row["days"]) != 1:
                errors.append(f"statement {row['id']} has lines of days {row['days']}")
                continue
            found[(row["journal"], row["days"][0])].append(row)
        expected_keys = set()
        for expected in self.expected.values():
            journal = journals[expected.company]
            expected_keys.add((journal, expected.day))
            rows = found.get((journal, expected.day), [])
            name = (
                f"statement of {expected.day} of company {expected.company.upper()} "
                f"({expected.iban})"
            )
            if not rows:
                errors.append(f"{name} was never imported")
                continue
            if len(rows) > 1:
                continue  # said by _duplicates
            (row,) = rows
            amounts = [money(amount) for amount in row["amounts"]]
            if amounts != expected.amounts:
                errors.append(
                    f"{name}: {len(amounts)} lines {amounts}, the CODA file has "
                    f"{len(expected.amounts)}: {expected.amounts}"
                )
            if (money(row["start"]), money(row["end"])) != (
                expected.balance_start,
                expected.balance_end,
            ):
                errors.append(f"{name}: balances {row['start']} -> {row['end']}")
            if not set(row["pdfs"]) & expected.pdfs:
                errors.append(f"{name} has no PDF attachment of the file delivered")
        errors += [
            f"statement of {day} in journal {journal} was never delivered"
            for (journal, day) in found
            if (journal, day) not in expected_keys
        ]
        return errors
