"""Two CODA imports into the same bank journal at once, proved with real Odoo processes.

The import names its journal entries as a batch (``account.move._codabox_name_batch``: the
journal's last name read once, the next numbers given in one go) and checks them balanced
once for all (``account.bank.statement._coda_create_statements``). Two imports of different
statements of the same account, each in an Odoo process of its own (tests/crash_runner.py)
that commits for real, run against a throwaway copy of ``<test database>_template``; then the
test reads the journal with its own PostgreSQL connection: every entry posted, the names
distinct and gapless in the journal's sequence, every entry balanced.
"""

import contextlib
import json
import sys
from datetime import date
from pathlib import Path

import pytest

from ..dev.codagen import write_coda
from .crash_harness import (
    RUNNER,
    Process,
    conf_path,
    copy_of_template,
    drop_database,
    pg_connect,
    query,
    statements_of,
    wait_for,
    wait_sessions_gone,
)

IBAN = "BE68539007547034"
MOVEMENTS = 40  # lines of each statement (no globalisation: one line per movement)


@pytest.fixture
def database():
    """A throwaway copy of the test database's template (the addon installed, no test
    data), dropped after the test."""
    name = copy_of_template("concurrency")
    try:
        yield name
    finally:
        wait_sessions_gone(name, timeout=5)
        drop_database(name)


def runner(work_dir, database, name, action, argument, *options):
    return Process(
        name,
        [sys.executable, str(RUNNER), conf_path(), database, action, str(argument), *options],
        work_dir,
    )


def done(process):
    """What the process said it committed."""
    lines = [line for line in process.output().splitlines() if line.startswith("done ")]
    assert lines, f"{process.name} did not say done:\n{process.tail()}"
    return json.loads(lines[-1][5:])


def two_files(work_dir):
    """Two consecutive statements of IBAN, in the same month (one sequence period), a file
    each."""
    statements = statements_of(IBAN, start=date(2026, 3, 2), days=2, seed=1313, movements=MOVEMENTS)
    paths = []
    for number, statement in enumerate(statements):
        path = Path(work_dir) / f"statement-{number}.cod"
        path.write_bytes(write_coda([statement]))
        paths.append(path)
    return paths


def make_journal(work_dir, database):
    process = runner(work_dir, database, "journal", "journal", IBAN)
    process.check_clean_exit(180)
    wait_sessions_gone(database, {process.app_name})
    return done(process)["journal"]


def check_journal(database, journal_id, said):
    """Every entry of the journal posted, named distinctly and without gaps in one sequence,
    balanced; the names those the processes committed."""
    with contextlib.closing(pg_connect(database)) as connection:
        moves = query(
            connection,
            "SELECT m.name, m.state, m.sequence_prefix, m.sequence_number"
            "  FROM account_bank_statement_line l JOIN account_move m ON m.id = l.move_id"
            " WHERE l.journal_id = %s",
            [journal_id],
        )
        unbalanced = query(
            connection,
            "SELECT m.name, sum(l.debit), sum(l.credit), count(l.id)"
            "  FROM account_move m LEFT JOIN account_move_line l ON l.move_id = m.id"
            " WHERE m.journal_id = %s GROUP BY m.id"
            " HAVING count(l.id) < 2 OR sum(l.debit) <> sum(l.credit)",
            [journal_id],
        )
    assert len(moves) == 2 * MOVEMENTS
    assert {state for _name, state, _prefix, _number in moves} == {"posted"}
    names = [name for name, _state, _prefix, _number in moves]
    assert len(set(names)) == len(names), sorted(names)
    assert len({prefix for _name, _state, prefix, _number in moves}) == 1, sorted(names)
    numbers = sorted(number for _name, _state, _prefix, number in moves)
    assert numbers == list(range(1, len(moves) + 1)), sorted(names)
    assert not unbalanced
    assert sorted(name for result in said for name in result["names"]) == sorted(names)
    assert [result["lines"] for result in said] == [MOVEMENTS, MOVEMENTS]


def test_overlapping_imports(database, tmp_path):
    """The second import's transaction starts (its snapshot taken) before the first commits,
    and imports after: the journal's last name it reads is older than what is committed, so
    the names it would give are taken. It names its entries after the first import's,
    without a gap."""
    journal_id = make_journal(tmp_path, database)
    first_file, second_file = two_files(tmp_path)
    first = runner(tmp_path, database, "first", "import", first_file, "--go", tmp_path / "go-1")
    second = runner(
        tmp_path,
        database,
        "second",
        "import",
        second_file,
        "--go",
        tmp_path / "go-2",
        "--snapshot-then",
        tmp_path / "then-2",
    )
    try:
        for process in (first, second):
            wait_for(lambda p=process: p.said("ready") or not p.alive(), 120, f"{process.name}")
        (tmp_path / "go-2").touch()
        wait_for(lambda: second.said("snapshot") or not second.alive(), 30, "the snapshot")
        (tmp_path / "go-1").touch()
        first.check_clean_exit(180)
        (tmp_path / "then-2").touch()
        second.check_clean_exit(180)
    finally:
        first.kill()
        second.kill()
    said = [done(first), done(second)]
    check_journal(database, journal_id, said)
    # the second import's names come after the first's: it did not reuse the stale last name
    assert max(said[0]["names"]) < min(said[1]["names"])


def test_simultaneous_imports(database, tmp_path):
    """Both imports start at the same moment: whichever names first, the journal's names stay
    distinct and gapless, and both imports commit."""
    journal_id = make_journal(tmp_path, database)
    files = two_files(tmp_path)
    processes = [
        runner(tmp_path, database, f"import-{number}", "import", path, "--go", tmp_path / "go")
        for number, path in enumerate(files)
    ]
    try:
        for process in processes:
            wait_for(lambda p=process: p.said("ready") or not p.alive(), 120, f"{process.name}")
        (tmp_path / "go").touch()
        for process in processes:
            process.check_clean_exit(180)
    finally:
        for process in processes:
            process.kill()
    check_journal(database, journal_id, [done(process) for process in processes])
