#!/usr/bin/env bash
# make test-odoo: the addon's Odoo tests run by Odoo's own test runner, as OCA's CI, runboat
# and Odoo.sh run them. A fresh database is made by this one command alone:
#
#   odoo-bin -d <db> -i l10n_be_codabox_connect --test-enable --stop-after-init
#
# so it has no Belgian main company and Odoo's generic chart: the tests make their Belgian
# company themselves (tests/common.py). --test-tags keeps to this addon's tests (without it,
# Odoo would also run those of base, account, l10n_be... that it installs on the way), and
# Odoo's HTTP server listens on a free port of its own for the HttpCase and tour tests. The
# pure pytest tests (parser, client, sandbox, crash tests, ...) are make test's only.
#
# Fails when a test fails or errors, or when no test ran; the last line gives the count.
# TEST_ODOO_DB names the database (default codabox_test_odoo, codabox_test_odoo_19 on 19.0), dropped and made again each
# time; Odoo's log of the run is kept in .odoo/test-odoo-<db>.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${TEST_ODOO_DB:-codabox_test_odoo$DB_SUFFIX}
LOG="$STATE/test-odoo-$DB.log"
STARTED=$SECONDS
say() { echo "test-odoo: $*"; }
fail() { echo "test-odoo: $*" >&2; exit 1; }
[ "$DB" != "${TEST_DB:-codabox_test$DB_SUFFIX}" ] || fail "TEST_ODOO_DB must not be make test's database."

dropdb --if-exists --force "$DB" 2>/dev/null || true
! psql -d "$DB" -Atc "SELECT 1" >/dev/null 2>&1 || fail "could not drop the database $DB."
rm -rf "$STATE/data/filestore/$DB"
# A free port, as pytest-odoo takes one for make test: the configuration's 8069 may be taken.
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "installing l10n_be_codabox_connect into a new database $DB and running its tests (HTTP on port $PORT)"
# Warnings and errors, the tests that fail, and the runner's summary lines.
set +e
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" -i l10n_be_codabox_connect \
    --test-enable --test-tags /l10n_be_codabox_connect --stop-after-init --http-port "$PORT" \
    --log-level=warn --log-handler=odoo.tests.result:INFO --log-handler=odoo.tests.stats:INFO \
    >"$LOG" 2>&1 &
odoo_pid=$!
tail -n +1 --pid="$odoo_pid" -f "$LOG" &
# Odoo's runner exits once it has printed its summary; a thread a test left behind (a browser
# it could not stop) would keep it waiting for ever, as long as CI allows: it gets a minute.
SUMMARY="tests when loading database"
hung=
while kill -0 "$odoo_pid" 2>/dev/null; do
    if grep -q "$SUMMARY" "$LOG"; then
        for _ in $(seq 60); do kill -0 "$odoo_pid" 2>/dev/null && sleep 1; done
        if kill -0 "$odoo_pid" 2>/dev/null; then
            hung=1
            kill -KILL "$odoo_pid"
        fi
        break
    fi
    sleep 2
done
wait "$odoo_pid"
status=$?
wait
set -e
[ -z "$hung" ] || fail "odoo-bin had not exited a minute after its summary (a thread left running: see $LOG): killed."

# Odoo's last word: "odoo.tests.result: 0 failed, 0 error(s) of 123 tests when loading database".
summary=$(grep -oE "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database" "$LOG" \
    | tail -n 1 || true)
[ -n "$summary" ] || fail "Odoo gave no test summary (exit status $status): see $LOG."
read -r failed errors total < <(sed -E 's/^([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) .*/\1 \2 \3/' <<<"$summary")
elapsed=$((SECONDS - STARTED))
[ "$total" -gt 0 ] || fail "no test ran (odoo-bin exit status $status; database $DB, ${elapsed} s)."
[ "$failed" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$status" -eq 0 ] \
    || fail "$failed failed, $errors error(s) of $total tests (odoo-bin exit status $status; database $DB, ${elapsed} s)."
say "$total tests ran, all passed (database $DB, ${elapsed} s)."
