#!/usr/bin/env bash
# Checks that `make demo` brings a working system: runs it in the background on a throwaway
# database and its own ports, waits until Odoo answers, then over HTTP logs in, finds the
# CodaBox connection settings and the demo data, asks the sandbox for its companies and their
# documents, goes through the connection flow (MyCodaBox consent for the first client company,
# the office password for the second) and retrieves their statements. Then it stops the demo
# with SIGINT to its process group, as Ctrl-C does, checks that no process is left and that
# the ports are free, and drops the database. One line per check; exit 0 only if all passed.
#
# CHECK_DEMO_DB (default codabox_demo_check, made afresh), CHECK_DEMO_PORT (8169),
# CHECK_DEMO_SANDBOX_PORT (8170), CHECK_DEMO_TIMEOUT (seconds until Odoo answers, 600),
# CHECK_DEMO_KEEP=1 keeps the database. The demo's output is kept in .odoo/check-demo.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
make -s -C "$ROOT" setup >/dev/null
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${CHECK_DEMO_DB:-codabox_demo_check}
PORT=${CHECK_DEMO_PORT:-8169}
SANDBOX_PORT=${CHECK_DEMO_SANDBOX_PORT:-8170}
TIMEOUT=${CHECK_DEMO_TIMEOUT:-600}
PY="$VENV/bin/python"
LOG="$STATE/check-demo.log"
# The demo's own files for a database other than the default one (see dev/demo.sh).
DEMO_FILES=("$STATE/demo-sandbox-seed-$DB.json" "$STATE/demo-sandbox-state-$DB.json"
    "$STATE/demo-sandbox-$DB.log")
if [ "$DB" = codabox_demo ]; then
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
drop_db() {
    dropdb --if-exists --force "$DB" 2>/dev/null || true
    rm -rf "$STATE/data/filestore/$DB" "${DEMO_FILES[@]}"
}

for port in "$PORT" "$SANDBOX_PORT"; do
    if port_taken "$port"; then
        echo "check-demo: port $port on 127.0.0.1 is in use: free it, or set CHECK_DEMO_PORT" \
            "and CHECK_DEMO_SANDBOX_PORT to free ports" >&2
        exit 2
    fi
done

# --- make demo, in its own process group (SIGINT as in a terminal) ------------------------
drop_db
DEMO_PID=""
cleanup() {
    if [ -n "$DEMO_PID" ] && group_alive "$DEMO_PID"; then
        kill -TERM -- "-$DEMO_PID" 2>/dev/null || true
        for _ in $(seq 1 20); do group_alive "$DEMO_PID" || break; sleep 1; done
        kill -KILL -- "-$DEMO_PID" 2>/dev/null || true
    fi
    [ "${CHECK_DEMO_KEEP:-}" = 1 ] || drop_db
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "check-demo: make demo with DEMO_DB=$DB DEMO_PORT=$PORT" \
    "DEMO_SANDBOX_PORT=$SANDBOX_PORT (log: $LOG)"
started=$SECONDS
# A new session makes the demo's process group; SIGINT is reset in case it is ignored here
# (a background job of a script ignores it, a terminal's Ctrl-C does not).
DEMO_DB=$DB DEMO_PORT=$PORT DEMO_SANDBOX_PORT=$SANDBOX_PORT "$PY" -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' make -C "$ROOT" demo >"$LOG" 2>&1 </dev/null &
DEMO_PID=$!

# Odoo answers once everything before it is done: database, demo data, sandbox.
ready=""
while [ $((SECONDS - started)) -lt "$TIMEOUT" ]; do
    if grep -q "Ctrl-C stops Odoo and the sandbox" "$LOG" 2>/dev/null \
        && "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' \
            "http://127.0.0.1:$PORT/web/login" 2>/dev/null; then
        ready=1
        break
    fi
    kill -0 "$DEMO_PID" 2>/dev/null || break
    sleep 2
done
if [ -z "$ready" ]; then
    tail -n 40 "$LOG" | sed 's/^/    | /'
    if kill -0 "$DEMO_PID" 2>/dev/null; then
        bad "make demo: Odoo did not answer on http://127.0.0.1:$PORT within ${TIMEOUT}s (log above)"
    else
        bad "make demo stopped before Odoo answered (log above)"
    fi
    exit 1
fi
ok "make demo: Odoo answers on http://127.0.0.1:$PORT after $((SECONDS - started))s"
if grep -q "http://127.0.0.1:$PORT/odoo" "$LOG" && grep -q "admin / admin" "$LOG" \
    && grep -q "MyCodaBox sign-in: .* / " "$LOG" && grep -q "Manage Connection" "$LOG"; then
    ok "make demo printed the URL, the Odoo login, the MyCodaBox sign-in and what to click"
else
    bad "make demo did not print the URL, the logins and what to click"
fi

# --- over HTTP: Odoo and the sandbox ---------------------------------------------------------
set +e
"$PY" - "$ROOT" "http://127.0.0.1:$PORT" "http://127.0.0.1:$SANDBOX_PORT" "$DB" \
    "${DEMO_FILES[0]}" <<'PY'
import json
import re
import sys

import requests

root, odoo_url, sandbox_url, db, seed_file = sys.argv[1:6]
sys.path.insert(0, root)
from sandbox.testing import RunningSandbox  # noqa: E402  (the project's MyCodaBox walker)

failures = 0
session = requests.Session()


def report(passed, text):
    global failures
    print(f"check-demo: {'ok   ' if passed else 'FAIL '} {text}", flush=True)
    failures += not passed
    return passed


def rpc(path, params):
    answer = session.post(
        odoo_url + path, json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=300
    ).json()
    if "error" in answer:
        data = answer["error"].get("data") or {}
        raise RuntimeError(data.get("message") or answer["error"].get("message"))
    return answer["result"]


def call(model, method, *args, company=None, **kwargs):
    if company:
        kwargs["context"] = {"allowed_company_ids": [company]}
    params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
    return rpc("/web/dataset/call_kw", params)


def check(text):
    """Runs the decorated check at once; an exception is a failure with its message."""

    def run(function):
        try:
            report(function() is not False, text)
        except Exception as error:
            report(False, f"{text}: {type(error).__name__}: {error}")

    return run


state = {}


@check("log in over HTTP as admin/admin (/web/session/authenticate)")
def _login():
    result = rpc("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})
    assert result.get("uid"), result


@check("res.config.settings has the CodaBox connection fields (codabox_connection_state, ...)")
def _fields():
    fields = call("res.config.settings", "fields_get", attributes=["type"])
    missing = {"codabox_connection_state", "codabox_consent_status", "account_representative_id"}
    missing -= set(fields)
    assert not missing, f"missing {sorted(missing)}"


@check('the settings form shows the CodaBox block with "Manage Connection"')
def _form():
    views = call("res.config.settings", "get_views", [[False, "form"]])
    arch = views["views"]["form"]["arch"]
    assert "Manage Connection" in arch and "action_codabox_manage_connection" in arch


@check("the addon points at the sandbox (api_url, mycodabox_url, software_id)")
def _params():
    def get(key):
        return call("ir.config_parameter", "get_param", f"l10n_be_codabox_connect.{key}")

    sandbox = requests.get(f"{sandbox_url}/_admin/state", timeout=30).json()
    state["sandbox"] = sandbox
    assert get("api_url") == sandbox_url and get("mycodabox_url") == sandbox_url
    assert get("software_id") == sandbox["software_id"], "software ids differ"


@check("demo data: the office and three Belgian client companies with a bank journal (IBAN)")
def _companies():
    fields = ["name", "vat", "partner_id", "account_representative_id"]
    companies = call("res.company", "search_read", [], fields=fields)
    office = next(c for c in companies if c["name"] == "Fiduciaire Demo")
    clients = [c for c in companies if c["account_representative_id"]]
    assert len(clients) == 3, clients
    for client in clients:
        assert client["account_representative_id"][0] == office["partner_id"][0], client
    for client in clients:
        assert re.fullmatch(r"BE[01]\d{9}", client["vat"]), client
        journals = call(
            "account.journal",
            "search_read",
            [("company_id", "=", client["id"]), ("type", "=", "bank")],
            fields=["bank_acc_number"],
            company=client["id"],
        )
        assert any((j["bank_acc_number"] or "").startswith("BE") for j in journals), journals
    state["clients"] = sorted(clients, key=lambda c: c["id"])


@check("demo data: open customer invoices with Belgian structured communications")
def _invoices():
    invoices = call(
        "account.move",
        "search_read",
        [("move_type", "=", "out_invoice"), ("state", "=", "posted")],
        fields=["company_id", "payment_reference", "payment_state", "amount_residual"],
    )
    ogm = re.compile(r"\+{3}\d{3}/\d{4}/\d{5}\+{3}")
    structured = [i for i in invoices if ogm.fullmatch(i["payment_reference"] or "")]
    assert len(structured) >= 6, invoices
    assert {i["company_id"][0] for i in structured} == {c["id"] for c in state["clients"]}
    state["references"] = {i["payment_reference"] for i in structured}


@check("the sandbox (GET /_admin/state) lists the office and the three companies with documents")
def _sandbox():
    sandbox = state["sandbox"]
    (office,) = sandbox["offices"]
    assert office["users"], office
    companies = {c["vat"]: c for c in sandbox["companies"]}
    for client in state["clients"]:
        company = companies[client["vat"].replace(" ", "")]
        assert company["office_vat"] == office["vat"], company
        assert len(company["documents"]) >= 3, company
    with open(seed_file, encoding="utf-8") as file:
        (user,) = json.load(file)["offices"][0]["users"]
    assert user["login"] in office["users"], (user, office)
    state["user"] = user


@check("connection flow: the first client company connects through MyCodaBox's consent")
def _consent():
    first = state["clients"][0]["id"]
    settings = call("res.config.settings", "create", {}, company=first)
    manage = "action_codabox_manage_connection"
    wizard = call("res.config.settings", manage, [settings], company=first)["res_id"]
    call("codabox.connection.wizard", "action_create_connection", [wizard], company=first)
    fields = ["step", "new_password"]
    (values,) = call("codabox.connection.wizard", "read", [wizard], fields, company=first)
    assert values["step"] == "create", values
    call("codabox.connection.wizard", "write", [wizard], {"password_saved": True}, company=first)
    action = call("codabox.connection.wizard", "action_go_to_mycodabox", [wizard], company=first)
    url = action["url"]
    assert url.startswith(sandbox_url), url
    user, password = state["user"], values["new_password"]
    back = RunningSandbox({}).authorize_in_browser(url, user["login"], user["password"], password)
    assert back.startswith(odoo_url) and "code=" in back, back
    page = session.get(back, timeout=120)
    assert page.status_code == 200 and "is connected" in page.text, page.text[:500]
    state["office_password"] = values["new_password"]


@check("connection flow: the second client company connects with the office password")
def _office_password():
    second = state["clients"][1]["id"]
    settings = call("res.config.settings", "create", {}, company=second)
    manage = "action_codabox_manage_connection"
    wizard = call("res.config.settings", manage, [settings], company=second)["res_id"]
    (values,) = call("codabox.connection.wizard", "read", [wizard], ["step"], company=second)
    assert values["step"] == "connect", values
    password = {"office_password": state["office_password"]}
    call("codabox.connection.wizard", "write", [wizard], password, company=second)
    call("codabox.connection.wizard", "action_connect", [wizard], company=second)
    settings = call("res.config.settings", "create", {}, company=second)
    fields = ["codabox_connection_state"]
    (values,) = call("res.config.settings", "read", [settings], fields, company=second)
    assert values["codabox_connection_state"], values


@check('"Retrieve from CodaBox": statements with their PDF and the invoices\' communications')
def _retrieve():
    payment_refs = set()
    for client in state["clients"][:2]:
        company = client["id"]
        # The dashboard's "Retrieve from CodaBox" on the company's bank journal.
        domain = [("company_id", "=", company), ("type", "=", "bank")]
        journals = call("account.journal", "search", [*domain, ("bank_account_id", "!=", False)])
        assert len(journals) == 1, journals
        call("account.journal", "action_codabox_retrieve", journals, company=company)
        statements = call(
            "account.bank.statement",
            "search_read",
            [("company_id", "=", company)],
            fields=["attachment_ids", "line_ids", "is_valid", "is_complete"],
            company=company,
        )
        assert len(statements) >= 3, statements
        assert all(len(s["attachment_ids"]) == 2 for s in statements), "no CODA or PDF"
        assert all(s["is_valid"] and s["is_complete"] for s in statements), "balances do not chain"
        lines = call(
            "account.bank.statement.line",
            "search_read",
            [("company_id", "=", company)],
            fields=["payment_ref"],
            company=company,
        )
        payment_refs |= {line["payment_ref"] for line in lines}
    assert payment_refs & state["references"], "no line has a demo invoice's communication"


@check("the retrieval reconciled the statements with the invoices they pay, the others open")
def _reconciled():
    sys.path.insert(0, f"{root}/dev")
    from demo_data import CLIENTS, expected_payment_state

    clients = {client["name"]: client for client in CLIENTS}
    checked = {"paid": 0, "partial": 0, "not_paid": 0}
    for client in state["clients"][:2]:
        spec = clients[client["name"]]
        invoices = call(
            "account.move",
            "search_read",
            [("company_id", "=", client["id"]), ("ref", "=like", "DEMO-%")],
            fields=["ref", "name", "payment_state"],
            company=client["id"],
        )
        for invoice in invoices:
            number = int(invoice["ref"].rsplit("-", 1)[1])
            how = spec["invoices"][number - 1][5]
            expected = expected_payment_state(how)
            assert invoice["payment_state"] == expected, (invoice, how, expected)
            checked[expected] += 1
        lines = call(
            "account.bank.statement.line",
            "search_read",
            [("company_id", "=", client["id"]), ("codabox_reconcile_note", "!=", False)],
            fields=["is_reconciled", "codabox_reconcile_note"],
            company=client["id"],
        )
        open_notes = [line["codabox_reconcile_note"] for line in lines if not line["is_reconciled"]]
        if spec.get("foreign"):
            assert any("No open invoice" in note for note in open_notes), open_notes
        if any(invoice[5] == "wrong" for invoice in spec["invoices"]):
            assert any("more than what is left to pay" in note for note in open_notes), open_notes
    assert all(checked.values()), checked
    print(
        f"check-demo:       {checked['paid']} invoices paid, {checked['partial']} partly paid, "
        f"{checked['not_paid']} open",
        flush=True,
    )


sys.exit(min(failures, 100))
PY
failures=$((failures + $?))
set -e

# --- Ctrl-C: everything stops ------------------------------------------------------------
kill -INT -- "-$DEMO_PID" 2>/dev/null || true
stopped=""
for _ in $(seq 1 60); do
    group_alive "$DEMO_PID" || { stopped=1; break; }
    sleep 1
done
wait "$DEMO_PID" 2>/dev/null || true
if [ -n "$stopped" ]; then
    ok "SIGINT to make demo's process group stopped every process it started"
else
    bad "processes left after SIGINT: $(ps -o pid=,args= -g "$DEMO_PID" | cut -c1-100 | tr '\n' ';')"
fi
left=""
for port in "$PORT" "$SANDBOX_PORT"; do port_taken "$port" && left+=" $port"; done
if [ -z "$left" ]; then
    ok "nothing listens on ports $PORT and $SANDBOX_PORT any more"
else
    bad "still listening on port(s)$left"
fi
[ -z "$stopped" ] || DEMO_PID=""  # else the exit trap kills what is left

if [ "${CHECK_DEMO_KEEP:-}" = 1 ]; then
    echo "check-demo: database $DB kept (CHECK_DEMO_KEEP=1)"
else
    drop_db
    if psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        bad "database $DB could not be dropped"
    else
        ok "database $DB dropped"
    fi
fi

if [ "$failures" -eq 0 ]; then
    echo "check-demo: all checks passed"
else
    echo "check-demo: $failures check(s) failed"
    exit 1
fi
