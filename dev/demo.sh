#!/usr/bin/env bash
# The demo: an accounting office and three Belgian client companies in Odoo, the CodaBox
# sandbox seeded with those clients and their CODA files, and the addon pointed at it.
#
# The database is made once and kept (DEMO_DB, default codabox_demo); when it exists with the
# addon, the addon is upgraded and the demo data completed (dev/demo_data.py changes nothing
# that is already there). The sandbox (DEMO_SANDBOX_PORT, default 8070) keeps its state in
# .odoo/, next to its seed, so connections made in Odoo survive a restart; both start again
# from scratch with the database. Odoo is served on 127.0.0.1:$DEMO_PORT (default 8069).
# Ctrl-C (or SIGINT/SIGTERM to make's process group) stops Odoo and the sandbox.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${DEMO_DB:-codabox_demo}
PORT=${DEMO_PORT:-8069}
SANDBOX_PORT=${DEMO_SANDBOX_PORT:-8070}
HOST=127.0.0.1
ODOO_URL="http://$HOST:$PORT"
SANDBOX_URL="http://$HOST:$SANDBOX_PORT"
# The default database's files keep the names the README gives; others get their own.
[ "$DB" = codabox_demo ] && suffix="" || suffix="-$DB"
SEED="$STATE/demo-sandbox-seed$suffix.json"
SANDBOX_STATE="$STATE/demo-sandbox-state$suffix.json"
SANDBOX_LOG="$STATE/demo-sandbox$suffix.log"
PY="$VENV/bin/python"

say() { echo "demo: $*"; }
fail() { echo "demo: $*" >&2; exit 1; }

# --- ports -----------------------------------------------------------------------------------
[[ "$PORT" =~ ^[0-9]+$ && "$SANDBOX_PORT" =~ ^[0-9]+$ ]] \
    || fail "DEMO_PORT ($PORT) and DEMO_SANDBOX_PORT ($SANDBOX_PORT) must be port numbers."
[ "$PORT" != "$SANDBOX_PORT" ] \
    || fail "DEMO_PORT and DEMO_SANDBOX_PORT are both $PORT: choose two ports."
# Taken when it cannot be bound the way the servers bind it (SO_REUSEADDR: a port left in
# TIME_WAIT by the previous demo is free).
port_taken() {
    "$PY" -c '
import socket, sys
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    sock.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$HOST" "$1"
}
check_port() {
    local port=$1 variable=$2 what=$3 user
    if port_taken "$port"; then
        user=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' \
            | head -n 1 | sed 's/users:(("\([^"]*\)",pid=\([0-9]*\)/ by \1, pid \2/' || true)
        fail "port $port on $HOST (for $what) is already in use${user}: stop what uses it," \
            "or choose another port with $variable=<port>."
    fi
}
check_port "$PORT" DEMO_PORT Odoo
check_port "$SANDBOX_PORT" DEMO_SANDBOX_PORT "the CodaBox sandbox"

# --- the database ----------------------------------------------------------------------------
installed="SELECT 1 FROM ir_module_module WHERE name = 'l10n_be_codabox_connect' AND state = 'installed'"
if psql -d "$DB" -Atc "$installed" 2>/dev/null | grep -q 1; then
    say "upgrading l10n_be_codabox_connect in database $DB"
    odoo_bin -d "$DB" -u l10n_be_codabox_connect --stop-after-init --log-level=warn
else
    say "creating database $DB (Belgian company, l10n_be, l10n_be_codabox_connect): a few minutes"
    rm -f "$SANDBOX_STATE"  # the sandbox's connections belong to the database made before
    create_belgian_db "$DB"
    odoo_bin -d "$DB" -i l10n_be_codabox_connect --stop-after-init --log-level=warn
fi
say "demo data: accounting office, client companies, invoices, CODA files for the sandbox"
"$PY" "$ROOT/dev/demo_data.py" -c "$CONF" -d "$DB" --sandbox-url "$SANDBOX_URL" \
    --odoo-url "$ODOO_URL" --seed-out "$SEED"

# --- the servers, stopped on exit ------------------------------------------------------------
SANDBOX_PID="" ODOO_PID="" SIGNALLED=""
# Stops what this script started: TERM, then KILL if still there 15 s later. After Ctrl-C (or
# a signal to the process group) Odoo got the signal too and is shutting down: it gets a few
# seconds first, since a second signal would force it down.
stop() {
    local pid=$1 grace=$2 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    trap '' INT TERM
    if [ -n "$ODOO_PID$SANDBOX_PID" ]; then
        say "stopping Odoo and the sandbox"
        stop "$ODOO_PID" "$([ -n "$SIGNALLED" ] && echo 5 || echo 0)"
        stop "$SANDBOX_PID" 0
        wait 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'SIGNALLED=1; exit 130' INT
trap 'SIGNALLED=1; exit 143' TERM

# Waits (bounded) until URL answers, while the process PID lives.
wait_for() {
    local url=$1 pid=$2 seconds=$3
    "$PY" -c '
import os, signal, sys, time, urllib.error, urllib.request
signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
url, pid, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(url, timeout=5).close()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answers
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(2)  # it died
    time.sleep(0.5)
sys.exit(1)' "$url" "$pid" "$seconds"
}

if [ -f "$SANDBOX_STATE" ]; then
    say "starting the CodaBox sandbox on $SANDBOX_URL (state kept in $SANDBOX_STATE)"
else
    say "starting the CodaBox sandbox on $SANDBOX_URL"
fi
had_state=$([ -f "$SANDBOX_STATE" ] && echo 1 || true)
(cd "$ROOT" && exec "$PY" -m sandbox --port "$SANDBOX_PORT" --seed "$SEED" \
    --state "$SANDBOX_STATE") >"$SANDBOX_LOG" 2>&1 </dev/null &
SANDBOX_PID=$!
wait_for "$SANDBOX_URL/_admin/state" "$SANDBOX_PID" 30 \
    || { cat "$SANDBOX_LOG" >&2; fail "the sandbox did not start (log above, in $SANDBOX_LOG)."; }
if [ -n "$had_state" ]; then
    # A kept state loads instead of the seed: merge the seed in for documents it lacks.
    "$PY" -c '
import sys, urllib.request
with open(sys.argv[2], "rb") as seed:
    request = urllib.request.Request(sys.argv[1] + "/_admin/seed?mode=merge", data=seed.read(),
                                     headers={"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=30).close()' "$SANDBOX_URL" "$SEED" \
        || fail "the sandbox refused the seed $SEED (see $SANDBOX_LOG)."
fi

say "starting Odoo on $ODOO_URL"
"$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --db-filter="^$DB\$" --http-interface="$HOST" \
    --http-port="$PORT" --log-level=warn </dev/null &
ODOO_PID=$!
wait_for "$ODOO_URL/web/login" "$ODOO_PID" 180 \
    || fail "Odoo did not answer on $ODOO_URL (see its log above)."

# What to show, from the seed: the office, its MyCodaBox user and the client companies.
read -r -d '' INFO < <("$PY" -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as file:
    seed = json.load(file)
office = seed["offices"][0]
names = [company["name"] for company in seed["companies"]]
print(office["name"], office["users"][0]["login"], office["users"][0]["password"], *names,
      sep="\n")' "$SEED") || true
{ read -r OFFICE; read -r LOGIN; read -r PASSWORD; read -r FIRST; read -r SECOND; } <<<"$INFO"

cat <<TXT

  CodaBox Connect demo: $ODOO_URL/odoo
    Odoo login:        admin / admin                  (database $DB)
    MyCodaBox sign-in: $LOGIN / $PASSWORD   (the sandbox, $SANDBOX_URL)

  1. You are in $FIRST, a client of the accounting office $OFFICE.
     Invoicing (Odoo Community's accounting app) > Configuration > Settings > CodaBox >
     Manage Connection > Create connection: note the office password shown, tick the box,
     Continue to MyCodaBox, sign in as above, type the office password, accept the terms
     and Allow: back in Odoo, the company is connected.
  2. Switch to $SECOND (company switcher, top right): Settings > CodaBox >
     Manage Connection, type the same office password and Connect (no new consent).
  3. Invoicing > Dashboard, on the bank journal: "Retrieve from CodaBox" imports five days
     of statements with their PDF and reconciles the payments that carry an open invoice's
     structured communication: those invoices are paid (one partly); a payment of a wrong
     amount and one with another company's invoice stay open, with a note saying why.

  Ctrl-C stops Odoo and the sandbox.

TXT

# Until Ctrl-C, or until one of the servers stops by itself.
status=0
wait -n "$ODOO_PID" "$SANDBOX_PID" || status=$?
if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
    say "the sandbox stopped (exit $status; log: $SANDBOX_LOG)"
else
    say "Odoo stopped (exit $status)"
fi
exit "$status"
