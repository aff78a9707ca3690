#!/usr/bin/env bash
# Checks that `make demo` brings a working system: runs it in the background on a throwaway
# database and its own ports, waits until Odoo answers, then over HTTP (dev/check_demo.py
# first) logs in, finds the CodaBox connection settings and the demo data, asks the sandbox for
# its companies and their documents, goes through the connection flow (MyCodaBox consent for
# the first client company, the office password for the second), retrieves their statements
# and imports the failed one once its journal is made, and checks CodaBox's file delivery: the
# SME's statements collected from the demo's SFTP server at its start, the host key pinned,
# the files archived on the server, the unknown client code reported; and Garage Martin, which
# invoices with Odoo: its own books connected as invoicing software (the token mail on the
# sandbox's /mailbox page), its invoices sent to CodaBox and one paid by its CODA, the office's
# client company holding them as customer invoices. Then a further database of the office:
# `make demo` again with another database while the first runs, which must use the first's
# sandbox and start no SFTP server, and over HTTP (dev/check_demo.py further) its first client
# company connects with the office password of the first database and retrieves its own
# statements only. Then it
# stops each demo with SIGINT to its process group, as Ctrl-C does (the further one first: the
# sandbox must outlive it), checks that no process is left and that the ports are free, and
# drops the databases. One line per check; exit 0 only if all passed.
#
# CHECK_DEMO_DB (default codabox_demo_check, made afresh; the further database is
# <CHECK_DEMO_DB>_2, both copied from <CHECK_DEMO_DB>_template), CHECK_DEMO_PORT (8169),
# CHECK_DEMO_SANDBOX_PORT (8170), CHECK_DEMO_PORT_2 (the further database's Odoo, 8171),
# CHECK_DEMO_SFTP_PORT (the first demo's SFTP server, 8172),
# CHECK_DEMO_TIMEOUT (seconds until Odoo answers, 600), CHECK_DEMO_KEEP=1 keeps the
# databases. The demos' output is kept in .odoo/check-demo.log and .odoo/check-demo-2.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
make -s -C "$ROOT" setup >/dev/null
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${CHECK_DEMO_DB:-codabox_demo_check$DB_SUFFIX}
DB2="${DB}_2"
TEMPLATE="${DB}_template"
PORT=${CHECK_DEMO_PORT:-8169}
SANDBOX_PORT=${CHECK_DEMO_SANDBOX_PORT:-8170}
PORT2=${CHECK_DEMO_PORT_2:-8171}
SFTP_PORT=${CHECK_DEMO_SFTP_PORT:-8172}
TIMEOUT=${CHECK_DEMO_TIMEOUT:-600}
PY="$VENV/bin/python"
LOG="$STATE/check-demo.log"
LOG2="$STATE/check-demo-2.log"
# The first database's office password, for the further one (as the user notes it).
PASSWORD_FILE="$STATE/check-demo-office-password"
if [ "$DB" = "codabox_demo$DB_SUFFIX" ] || [ "$DB2" = "codabox_demo$DB_SUFFIX" ]; then
    echo "check-demo: CHECK_DEMO_DB must not be the demo's own database (it is dropped)" >&2
    exit 2
fi

failures=0
ok() { echo "check-demo: ok    $*"; }
bad() { echo "check-demo: FAIL  $*"; failures=$((failures + 1)); }

port_taken() {
    "$PY" -c '
import socket, sys
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    sock.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$1"
}
group_alive() { kill -0 -- "-$1" 2>/dev/null; }
# The databases, their filestores and the demo's own files for them (see dev/demo.sh).
drop_dbs() {
    local db
    for db in "$DB2" "$DB" "$TEMPLATE"; do
        dropdb --if-exists --force "$db" 2>/dev/null || true
        rm -rf "$STATE/data/filestore/$db" "$STATE/demo-sandbox-seed-$db.json" \
            "$STATE/demo-sandbox-state-$db.json" "$STATE/demo-sandbox-$db.log" \
            "$STATE/demo-sftp-$db" "$STATE/demo-sftp-$db.log" "$STATE/demo-sftp-host-key-$db"
    done
    rm -f "$PASSWORD_FILE"
}

for port in "$PORT" "$SANDBOX_PORT" "$PORT2" "$SFTP_PORT"; do
    if port_taken "$port"; then
        echo "check-demo: port $port on 127.0.0.1 is in use: free it, or set CHECK_DEMO_PORT," \
            "CHECK_DEMO_SANDBOX_PORT, CHECK_DEMO_PORT_2 and CHECK_DEMO_SFTP_PORT to free ports" >&2
        exit 2
    fi
done

# --- make demo, in its own process group (SIGINT as in a terminal) ------------------------
drop_dbs
DEMO_PID="" DEMO2_PID=""
cleanup() {
    local pid
    for pid in "$DEMO2_PID" "$DEMO_PID"; do
        if [ -n "$pid" ] && group_alive "$pid"; then
            kill -TERM -- "-$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do group_alive "$pid" || break; sleep 1; done
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    if [ "${CHECK_DEMO_KEEP:-}" = 1 ]; then rm -f "$PASSWORD_FILE"; else drop_dbs; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# make demo with the environment given ($1: its log); its pid in STARTED.
# A new session makes the demo's process group; SIGINT is reset in case it is ignored here
# (a background job of a script ignores it, a terminal's Ctrl-C does not).
start_demo() {
    local log=$1
    shift
    env DEMO_TEMPLATE_DB="$TEMPLATE" DEMO_SFTP_PORT="$SFTP_PORT" "$@" "$PY" -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' make -C "$ROOT" demo >"$log" 2>&1 </dev/null &
    STARTED=$!
}
# Waits until the demo ($1, log $2) printed what to do and its Odoo answers on port $3; says
# how long it took since $4 (SECONDS).
wait_ready() {
    local pid=$1 log=$2 port=$3 started=$4 what=$5
    while [ $((SECONDS - started)) -lt "$TIMEOUT" ]; do
        if grep -q "Ctrl-C stops" "$log" 2>/dev/null \
            && "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' \
                "http://127.0.0.1:$port/web/login" 2>/dev/null; then
            ok "$what: Odoo answers on http://127.0.0.1:$port after $((SECONDS - started))s"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 2
    done
    tail -n 40 "$log" | sed 's/^/    | /'
    if kill -0 "$pid" 2>/dev/null; then
        bad "$what: Odoo did not answer on http://127.0.0.1:$port within ${TIMEOUT}s (log above)"
    else
        bad "$what stopped before Odoo answered (log above)"
    fi
    return 1
}
# SIGINT to the demo's process group ($1), as Ctrl-C does: everything it started stops.
interrupt() {
    local pid=$1 what=$2 stopped=""
    kill -INT -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
        group_alive "$pid" || { stopped=1; break; }
        sleep 1
    done
    wait "$pid" 2>/dev/null || true
    if [ -n "$stopped" ]; then
        ok "SIGINT to $what's process group stopped every process it started"
    else
        bad "processes left after SIGINT: $(ps -o pid=,args= -g "$pid" | cut -c1-100 | tr '\n' ';')"
    fi
    [ -n "$stopped" ]  # else the exit trap kills what is left
}
# The ports ($@) nothing listens on any more.
ports_free() {
    local left="" port
    for port in "$@"; do port_taken "$port" && left+=" $port"; done
    if [ -z "$left" ]; then
        ok "nothing listens on ports $* any more"
    else
        bad "still listening on port(s)$left"
    fi
}

echo "check-demo: make demo with DEMO_DB=$DB DEMO_PORT=$PORT" \
    "DEMO_SANDBOX_PORT=$SANDBOX_PORT DEMO_SFTP_PORT=$SFTP_PORT (log: $LOG)"
started=$SECONDS
start_demo "$LOG" DEMO_DB="$DB" DEMO_PORT="$PORT" DEMO_SANDBOX_PORT="$SANDBOX_PORT"
DEMO_PID=$STARTED
# Odoo answers once everything before it is done: database, demo data, sandbox.
wait_ready "$DEMO_PID" "$LOG" "$PORT" "$started" "make demo" || exit 1
if grep -q "http://127.0.0.1:$PORT/odoo" "$LOG" && grep -q "admin / admin" "$LOG" \
    && grep -q "MyCodaBox sign-in: .* / " "$LOG" && grep -q "Manage Connection" "$LOG" \
    && grep -q "SFTP delivery: *sftp://127.0.0.1:$SFTP_PORT, .* / " "$LOG" \
    && grep -q "http://127.0.0.1:$SANDBOX_PORT/mailbox" "$LOG" \
    && grep -q "Sent to" "$LOG"; then
    ok "make demo printed the URL, the Odoo login, the MyCodaBox sign-in, the SFTP server's" \
        "address and login, the sandbox's mailbox, and what to click"
else
    bad "make demo did not print the URL, the logins, the SFTP server and what to click"
fi

# --- over HTTP: Odoo and the sandbox ---------------------------------------------------------
set +e
"$PY" "$ROOT/dev/check_demo.py" first "http://127.0.0.1:$PORT" "http://127.0.0.1:$SANDBOX_PORT" \
    "$DB" "$STATE/demo-sandbox-seed-$DB.json" "$PASSWORD_FILE" --sftp-port "$SFTP_PORT"
failures=$((failures + $?))
set -e

# --- a further database of the office, next to the first ----------------------------------
echo "check-demo: make demo with DEMO_DB=$DB2 DEMO_PORT=$PORT2" \
    "DEMO_SANDBOX_PORT=$SANDBOX_PORT, the first demo running (log: $LOG2)"
started=$SECONDS
start_demo "$LOG2" DEMO_DB="$DB2" DEMO_PORT="$PORT2" DEMO_SANDBOX_PORT="$SANDBOX_PORT"
DEMO2_PID=$STARTED
if wait_ready "$DEMO2_PID" "$LOG2" "$PORT2" "$started" "make demo (further database)"; then
    if grep -q "as a copy of $TEMPLATE" "$LOG2" \
        && grep -q "using the CodaBox sandbox on http://127.0.0.1:$SANDBOX_PORT" "$LOG2" \
        && ! grep -q "starting the CodaBox sandbox" "$LOG2" \
        && ! grep -q "starting the SFTP server" "$LOG2" \
        && grep -q "http://localhost:$PORT2/odoo" "$LOG2" \
        && grep -q "Connect with the office password" "$LOG2"; then
        ok "make demo (further database) copied the first one's template, used its sandbox" \
            "(and no SFTP server) and printed its URL and what to click"
    else
        bad "make demo (further database) did not copy the template, use the running sandbox" \
            "and print its URL and what to click"
    fi
    set +e
    "$PY" "$ROOT/dev/check_demo.py" further "http://127.0.0.1:$PORT2" \
        "http://127.0.0.1:$SANDBOX_PORT" "$DB2" "$STATE/demo-sandbox-seed-$DB2.json" \
        "$PASSWORD_FILE"
    failures=$((failures + $?))
    set -e
fi

# --- Ctrl-C: everything stops ------------------------------------------------------------
if interrupt "$DEMO2_PID" "the further database's make demo"; then DEMO2_PID=""; fi
if "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' \
    "http://127.0.0.1:$SANDBOX_PORT/_admin/state" 2>/dev/null; then
    ok "the first demo's sandbox still answers: the further database's Ctrl-C left it running"
else
    bad "the first demo's sandbox stopped with the further database's make demo"
fi
if interrupt "$DEMO_PID" "make demo"; then DEMO_PID=""; fi
ports_free "$PORT" "$SANDBOX_PORT" "$PORT2" "$SFTP_PORT"

if [ "${CHECK_DEMO_KEEP:-}" = 1 ]; then
    echo "check-demo: databases $DB, $DB2 and $TEMPLATE kept (CHECK_DEMO_KEEP=1)"
else
    drop_dbs
    left=$(psql -d postgres -Atc "SELECT string_agg(datname, ', ') FROM pg_database
                                  WHERE datname IN ('$DB', '$DB2', '$TEMPLATE')")
    if [ -n "$left" ]; then
        bad "database(s) $left could not be dropped"
    else
        ok "databases $DB, $DB2 and $TEMPLATE dropped"
    fi
fi

if [ "$failures" -eq 0 ]; then
    echo "check-demo: all checks passed"
else
    echo "check-demo: $failures check(s) failed"
    exit 1
fi
