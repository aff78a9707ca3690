#!/usr/bin/env bash
# The demo: an accounting office and its Belgian client companies in Odoo, the CodaBox sandbox
# seeded with those clients and their CODA files, and the addon pointed at it.
#
# The database is made once and kept (DEMO_DB, default codabox_demo); when it exists with the
# addon, the addon is upgraded and the demo data completed (dev/demo_data.py changes nothing
# that is already there). A new database is a copy of DEMO_TEMPLATE_DB (default
# codabox_demo_template: a Belgian company on l10n_be, Dutch and French, the addon), made by
# the first demo database and kept for the next ones. The sandbox (DEMO_SANDBOX_PORT, default
# 8070) keeps its state in .odoo/, next to its seed, so connections made in Odoo survive a
# restart; both start again from scratch with the database. Odoo is served on
# 127.0.0.1:$DEMO_PORT (default 8069). CodaBox's file delivery: an SFTP server
# (dev/scripts/sftp_server.py) on 127.0.0.1:$DEMO_SFTP_PORT (default 8022) serves
# .odoo/demo-sftp/, where dev/demo_data.py writes the CODA files of a small business (SME)
# that receives them by SFTP, and collects them; its host key (.odoo/demo-sftp-host-key) is
# made once and kept, so that the key Odoo pinned stays the server's. Once the sandbox runs,
# before Odoo serves, dev/demo_data.py --invoicing connects Garage Martin, which invoices with
# Odoo (its own books as invoicing software, with the token the sandbox e-mails to its outbox;
# the office's client company through MyCodaBox), sends its invoices to CodaBox and runs the
# daily job (first database only). Ctrl-C (or SIGINT/SIGTERM to make's process group) stops
# Odoo, the sandbox and the SFTP server.
#
# A further database of the same office: run the demo again with another DEMO_DB while the
# first one runs. Its sandbox answering on DEMO_SANDBOX_PORT (or the one SANDBOX_URL names) is
# then used instead of a sandbox of its own, with the database's own client companies merged
# into it; Odoo is served on the first free port from 8071 (or DEMO_PORT) and shown as
# http://localhost:<port>, another host name than the first database's, so that the browser
# keeps a session in each. Ctrl-C stops that Odoo only. The database remembers that it is a
# further one: it needs a running sandbox at each start. It has no SFTP server: the first
# database's delivery shows it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${DEMO_DB:-codabox_demo$DB_SUFFIX}
TEMPLATE=${DEMO_TEMPLATE_DB:-codabox_demo_template$DB_SUFFIX}
SANDBOX_PORT=${DEMO_SANDBOX_PORT:-8070}
SFTP_PORT=${DEMO_SFTP_PORT:-8022}
HOST=127.0.0.1
# The default database's files keep the names the README gives; others get their own.
[ "$DB" = "codabox_demo$DB_SUFFIX" ] && suffix="" || suffix="-$DB"
SEED="$STATE/demo-sandbox-seed$suffix.json"
SANDBOX_STATE="$STATE/demo-sandbox-state$suffix.json"
SANDBOX_LOG="$STATE/demo-sandbox$suffix.log"
SFTP_ROOT="$STATE/demo-sftp$suffix"
SFTP_LOG="$STATE/demo-sftp$suffix.log"
SFTP_HOST_KEY="$STATE/demo-sftp-host-key$suffix"
PY="$VENV/bin/python"

say() { echo "demo: $*"; }
fail() { echo "demo: $*" >&2; exit 1; }

[ "$DB" != "$TEMPLATE" ] || fail "DEMO_DB and DEMO_TEMPLATE_DB are both $DB: choose two names."

# --- ports -----------------------------------------------------------------------------------
[[ "$SANDBOX_PORT" =~ ^[0-9]+$ && "${DEMO_PORT:-0}" =~ ^[0-9]+$ && "$SFTP_PORT" =~ ^[0-9]+$ ]] \
    || fail "DEMO_PORT (${DEMO_PORT:-}), DEMO_SANDBOX_PORT ($SANDBOX_PORT) and DEMO_SFTP_PORT" \
        "($SFTP_PORT) must be port numbers."
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
# The software identifier of the CodaBox sandbox answering at $1; fails when none answers.
sandbox_software_id() {
    "$PY" -c '
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_admin/state", timeout=10) as answer:
    print(json.load(answer)["software_id"])' "$1" 2>/dev/null
}

# --- the first database of the office, or a further one ----------------------------------
# A first database has a sandbox of its own; a further one (made while another demo runs)
# uses that demo's, so that CodaBox knows the office's consent and password from the first.
installed="SELECT 1 FROM ir_module_module WHERE name = 'l10n_be_codabox_connect' AND state = 'installed'"
role=""
if psql -d "$DB" -Atc "$installed" 2>/dev/null | grep -q 1; then
    role=$(psql -d "$DB" -Atc "SELECT value FROM ir_config_parameter
                                WHERE key = 'codabox_demo.database'")
    role=${role:-first}  # made before further databases existed
fi
# The demo data's constants: the sandbox's software id; the SFTP login, the SME it serves and
# the client code no company has; Garage Martin's two companies and its e-mail address (see
# dev/demo_data.py).
{
    read -r DEMO_SOFTWARE_ID; read -r SFTP_USERNAME; read -r SFTP_PASSWORD
    read -r SME; read -r SME_CODE; read -r UNKNOWN_CODE
    read -r GARAGE; read -r GARAGE_SME; read -r GARAGE_EMAIL
} < <(cd "$ROOT" && "$PY" -c 'from dev.demo_data import *
print(SOFTWARE_ID, SFTP_USERNAME, SFTP_PASSWORD, SME["name"], SME["client_code"],
      UNKNOWN_CLIENT_CODE, GARAGE["name"], GARAGE["sme_name"], GARAGE["email"], sep="\n")')
SHARED="" SOFTWARE_ID=$DEMO_SOFTWARE_ID
if [ -n "${SANDBOX_URL:-}" ]; then
    SANDBOX_URL=${SANDBOX_URL%/}
    SOFTWARE_ID=$(sandbox_software_id "$SANDBOX_URL") \
        || fail "no CodaBox sandbox answers on SANDBOX_URL=$SANDBOX_URL (GET /_admin/state)."
    SHARED=1
elif [ "$role" != first ] && port_taken "$SANDBOX_PORT" \
    && [ "$(sandbox_software_id "http://$HOST:$SANDBOX_PORT")" = "$DEMO_SOFTWARE_ID" ]; then
    SANDBOX_URL="http://$HOST:$SANDBOX_PORT"
    SHARED=1
elif [ "$role" = further ]; then
    fail "database $DB is a further database of the office: it works with the first demo's" \
        "sandbox, and none answers on http://$HOST:$SANDBOX_PORT. Start the first demo" \
        "(make demo) first, or name a running sandbox with SANDBOX_URL=<url>."
else
    SANDBOX_URL="http://$HOST:$SANDBOX_PORT"
    check_port "$SANDBOX_PORT" DEMO_SANDBOX_PORT "the CodaBox sandbox"
fi
ROLE=${role:-$([ -n "$SHARED" ] && echo further || echo first)}
# The first database of the office runs the SFTP server of its file delivery.
if [ "$ROLE" = first ]; then
    [ "$SFTP_PORT" != "$SANDBOX_PORT" ] \
        || fail "DEMO_SFTP_PORT and DEMO_SANDBOX_PORT are both $SFTP_PORT: choose two ports."
    check_port "$SFTP_PORT" DEMO_SFTP_PORT "the demo's SFTP server"
fi

# Odoo's port; a further database's address names localhost, not 127.0.0.1: a browser keeps
# one session cookie per host name, and the first database's would log this one out.
if [ -n "${DEMO_PORT:-}" ]; then
    PORT=$DEMO_PORT
    check_port "$PORT" DEMO_PORT Odoo
elif [ "$ROLE" = first ]; then
    PORT=8069
    check_port "$PORT" DEMO_PORT Odoo
else
    PORT=8071
    # Not the first demo's SFTP port either, even while that demo is not running.
    while [ "$PORT" = "$SANDBOX_PORT" ] || [ "$PORT" = "$SFTP_PORT" ] || port_taken "$PORT"; do
        PORT=$((PORT + 1))
    done
fi
[ "$PORT" != "$SANDBOX_PORT" ] \
    || fail "DEMO_PORT and DEMO_SANDBOX_PORT are both $PORT: choose two ports."
[ "$ROLE" != first ] || [ "$PORT" != "$SFTP_PORT" ] \
    || fail "DEMO_PORT and DEMO_SFTP_PORT are both $PORT: choose two ports."
LOCAL_URL="http://$HOST:$PORT"
ODOO_URL=$([ "$ROLE" = first ] && echo "$LOCAL_URL" || echo "http://localhost:$PORT")

# --- the database ----------------------------------------------------------------------------
# A copy of database $1 as $2, with its filestore (createdb -T: nothing may be connected to
# $1), and a secret and an identifier of its own, as Odoo's "Duplicate" gives it.
copy_db() {
    dropdb --if-exists --force "$2" 2>/dev/null || true  # createdb says why when it is still there
    rm -rf "$STATE/data/filestore/$2"
    createdb -T "$1" "$2"
    [ ! -d "$STATE/data/filestore/$1" ] || cp -a "$STATE/data/filestore/$1" "$STATE/data/filestore/$2"
    psql -q -d "$2" -c "UPDATE ir_config_parameter SET value = gen_random_uuid()::text
                        WHERE key IN ('database.secret', 'database.uuid')"
}
# Dutch and French, as Belgian offices work, once the registry is up: the main company's chart
# of accounts gets its translations too (with odoo-bin --load-language, it stays in English).
load_languages() {
    "$PY" "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "$1" --no-http --log-level=warn <<'PY'
Lang = env["res.lang"].with_context(active_test=False)
languages = Lang.search([("code", "in", ["nl_BE", "fr_BE"])])
env["base.language.install"].create({"lang_ids": [(6, 0, languages.ids)]}).lang_install()
env.cr.commit()
PY
}
if [ -n "$role" ]; then
    say "upgrading l10n_be_codabox_connect in database $DB"
    odoo_bin -d "$DB" -u l10n_be_codabox_connect --stop-after-init --log-level=warn
else
    # A sandbox of its own starts afresh: its connections belong to the database made before.
    [ -n "$SHARED" ] || rm -f "$SANDBOX_STATE"
    # So does the SFTP folder: its archive holds what the database made before collected.
    [ "$ROLE" != first ] || rm -rf "$SFTP_ROOT"
    if psql -d "$TEMPLATE" -Atc "$installed" 2>/dev/null | grep -q 1; then
        say "creating database $DB as a copy of $TEMPLATE, upgrading l10n_be_codabox_connect"
        copy_db "$TEMPLATE" "$DB"
        odoo_bin -d "$DB" -u l10n_be_codabox_connect --stop-after-init --log-level=warn
    else
        say "creating database $DB (Belgian company, l10n_be, Dutch and French," \
            "l10n_be_codabox_connect): a few minutes"
        create_belgian_db "$DB"
        odoo_bin -d "$DB" -i l10n_be_codabox_connect --stop-after-init --log-level=warn
        load_languages "$DB"
        say "keeping a copy as $TEMPLATE, for the next demo databases"
        copy_db "$DB" "$TEMPLATE"
    fi
fi
# --- the servers, stopped on exit ------------------------------------------------------------
SANDBOX_PID="" ODOO_PID="" SFTP_PID="" SIGNALLED=""
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
    if [ -n "$ODOO_PID$SANDBOX_PID$SFTP_PID" ]; then
        local what=""
        [ -z "$ODOO_PID" ] || what="Odoo"
        [ -z "$SANDBOX_PID" ] || what+="${what:+, }the sandbox"
        [ -z "$SFTP_PID" ] || what+="${what:+, }the SFTP server"
        say "stopping $what"
        stop "$ODOO_PID" "$([ -n "$SIGNALLED" ] && echo 5 || echo 0)"
        stop "$SANDBOX_PID" 0
        stop "$SFTP_PID" "$([ -n "$SIGNALLED" ] && echo 2 || echo 0)"
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

# The demo's SFTP server (first database only), before the demo data: they write the files it
# serves and collect them through it.
if [ "$ROLE" = first ]; then
    say "starting the SFTP server of the file delivery on $HOST:$SFTP_PORT (folder $SFTP_ROOT)"
    (cd "$ROOT" && exec "$PY" dev/scripts/sftp_server.py --root "$SFTP_ROOT" --port "$SFTP_PORT" \
        --username "$SFTP_USERNAME" --password "$SFTP_PASSWORD" --host-key "$SFTP_HOST_KEY") \
        >"$SFTP_LOG" 2>&1 </dev/null &
    SFTP_PID=$!
    for ((i = 0; i < 300; i++)); do
        grep -q "listening on" "$SFTP_LOG" 2>/dev/null && break
        kill -0 "$SFTP_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q "listening on" "$SFTP_LOG" 2>/dev/null \
        || { cat "$SFTP_LOG" >&2; fail "the SFTP server did not start (log above, in $SFTP_LOG)."; }
fi

say "demo data: accounting office, client companies, invoices, CODA files for the sandbox"
data_args=()
if [ "$ROLE" = first ]; then
    data_args=(--sftp-root "$SFTP_ROOT" --sftp-port "$SFTP_PORT")
else
    data_args=(--further)
fi
"$PY" "$ROOT/dev/demo_data.py" -c "$CONF" -d "$DB" --sandbox-url "$SANDBOX_URL" \
    --odoo-url "$ODOO_URL" --seed-out "$SEED" --software-id "$SOFTWARE_ID" "${data_args[@]}"

# The seed into the running sandbox: the documents (and companies) it lacks.
merge_seed() {
    "$PY" -c '
import sys, urllib.request
with open(sys.argv[2], "rb") as seed:
    request = urllib.request.Request(sys.argv[1] + "/_admin/seed?mode=merge", data=seed.read(),
                                     headers={"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=30).close()' "$SANDBOX_URL" "$SEED"
}

if [ -n "$SHARED" ]; then
    say "using the CodaBox sandbox on $SANDBOX_URL: this database's clients join its own"
    merge_seed || fail "the sandbox on $SANDBOX_URL refused the seed $SEED."
else
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
    # A kept state loads instead of the seed: merge the seed in for documents it lacks.
    [ -z "$had_state" ] || merge_seed || fail "the sandbox refused the seed $SEED (see $SANDBOX_LOG)."
fi

# Garage Martin, which invoices with Odoo (first database only): the sandbox must run. Its
# companies connect, its invoices are posted and sent, the daily job retrieves.
if [ "$ROLE" = first ]; then
    say "$GARAGE_SME: connecting it as invoicing software, sending its invoices to CodaBox;" \
        "the daily job"
    "$PY" "$ROOT/dev/demo_data.py" -c "$CONF" -d "$DB" --sandbox-url "$SANDBOX_URL" \
        --odoo-url "$ODOO_URL" --invoicing
fi

say "starting Odoo on $ODOO_URL"
"$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --db-filter="^$DB\$" --http-interface="$HOST" \
    --http-port="$PORT" --log-level=warn --log-handler=paramiko:WARNING </dev/null &
ODOO_PID=$!
wait_for "$LOCAL_URL/web/login" "$ODOO_PID" 180 \
    || fail "Odoo did not answer on $LOCAL_URL (see its log above)."

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

if [ -z "$SHARED" ]; then
    CTRL_C="Ctrl-C stops Odoo, the sandbox and the SFTP server."
elif [ "$ROLE" = first ]; then
    CTRL_C="Ctrl-C stops this Odoo and the SFTP server; the sandbox is another demo's."
else
    CTRL_C="Ctrl-C stops this Odoo; the sandbox is another demo's."
fi
if [ "$ROLE" = first ]; then
    if [ -n "$SHARED" ]; then
        SANDBOX_HINT=" SANDBOX_URL=$SANDBOX_URL"
    else
        SANDBOX_HINT=$([ "$SANDBOX_PORT" = 8070 ] || echo " DEMO_SANDBOX_PORT=$SANDBOX_PORT")
    fi
    cat <<TXT

  CodaBox Connect demo: $ODOO_URL/odoo
    Odoo login:        admin / admin                  (database $DB)
    MyCodaBox sign-in: $LOGIN / $PASSWORD   (the sandbox, $SANDBOX_URL)
    SFTP delivery:     sftp://$HOST:$SFTP_PORT, $SFTP_USERNAME / $SFTP_PASSWORD   (folder $SFTP_ROOT)

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
  4. In $SECOND, the statement of a second account, which has no bank
     journal, failed: Invoicing > Accounting > CodaBox Documents, the Failed one: Create
     journal, save it, then Retry import.
  5. $SME receives its CODA by SFTP (client code $SME_CODE):
     the demo collected them already from its SFTP server, as the daily job does. Switch to
     it: Invoicing > Dashboard, the bank journal's statements, with their PDF. Invoicing >
     Configuration > Banks > CodaBox File Deliveries, "CodaBox SFTP (demo)": the host key
     pinned, the file of client code $UNKNOWN_CODE that no company has; the imported files
     are in $SFTP_ROOT/archive.
  6. $GARAGE invoices with Odoo, its own books being
     "$GARAGE_SME". Switch to it:
     Settings > CodaBox: Connected as the company's invoicing software, with the token
     CodaBox e-mailed to $GARAGE_EMAIL (the sandbox's mailbox:
     $SANDBOX_URL/mailbox). Invoicing > Customers > Sent to CodaBox: its two
     invoices, Sent; Customers > Invoices: its CODA paid the first one. Its accounting
     office has them: switch to "$GARAGE", the office's client company,
     Customers > Invoices: two draft invoices made from CodaBox's sales invoices
     (Accounting > CodaBox Documents), as the daily job retrieved them.

  A further database of the same office, next to this one: while this demo runs, in
  another terminal, DEMO_DB=codabox_demo_2${SANDBOX_HINT} make demo; it is connected
  with the office password of step 1.

  $CTRL_C

TXT
else
    cat <<TXT

  CodaBox Connect demo, a further database of the office: $ODOO_URL/odoo
    Odoo login:        admin / admin                  (database $DB)
    CodaBox sandbox:   $SANDBOX_URL (another demo's: keep it running)

  1. You are in $FIRST, a client of the accounting office $OFFICE, which
     allowed Odoo in MyCodaBox from its first database (make demo, step 1).
     Invoicing > Configuration > Settings > CodaBox > Manage Connection: not "Create
     connection" (a new office password for every database, and a new consent), but
     "Connect with the office password": type the office password noted in the first
     database and Connect.
  2. Switch to $SECOND: Manage Connection asks for the office password; Connect.
  3. Invoicing > Dashboard, "Retrieve from CodaBox": this database's statements, and only
     those: CodaBox delivers each company's to the database that connected it.

  $CTRL_C

TXT
fi

# Until Ctrl-C, or until one of the servers stops by itself.
status=0
if [ -n "$SHARED" ]; then
    wait "$ODOO_PID" || status=$?
    ODOO_PID=""
    say "Odoo stopped (exit $status)"
    exit "$status"
fi
wait -n "$ODOO_PID" "$SANDBOX_PID" "$SFTP_PID" || status=$?
if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
    say "the sandbox stopped (exit $status; log: $SANDBOX_LOG)"
elif ! kill -0 "$SFTP_PID" 2>/dev/null; then
    say "the SFTP server stopped (exit $status; log: $SFTP_LOG)"
else
    say "Odoo stopped (exit $status)"
fi
exit "$status"
