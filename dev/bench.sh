#!/usr/bin/env bash
# make bench: our CODA parser, importer and retrieval measured side by side with the existing
# tools (pycoda 1.1.0, OCA's account_statement_import_coda 18.0) in one run, on the same files
# and the same database; prints the table and writes it to docs/benchmarks.md.
#
# Set-up (kept between runs, under the git-ignored .bench/ folder and in the database):
# - OCA's wheels from PyPI (--no-deps) in .bench/wheels, unpacked into .bench/oca; they are
#   AGPL/LGPL and never committed. Only the benchmark database sees them, through its own
#   config .bench/odoo-bench.conf (the project's .odoo/odoo.conf + .bench/oca/odoo/addons).
# - the database $BENCH_DB (codabox_bench): Belgian company, l10n_be, our addon and OCA's,
#   the bank journal of the benchmark's IBAN, and the 1 000 client companies of the
#   retrieval benchmark and the simulated office (made once: the charts of accounts of the
#   first 200 take minutes). An existing one is upgraded to the current code of the addon.
#
# Building the database the first time takes about 25 minutes (its steps are shown as they go);
# later runs upgrade it in a minute. The deadline counts the measuring only, from the moment the
# database is ready.
#
# BENCH_QUICK=1 (or --quick): fewer sizes and runs, smaller time budget, a few minutes.
# BENCH_DEADLINE (minutes of measuring: 90, quick 10) and BENCH_BUDGET (seconds per
# import: 300, quick 120) trade completeness for time. BENCH_REBUILD=1 makes the database
# again. Other arguments go to dev/bench/run.py.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
BENCH="$ROOT/.bench"
DB=${BENCH_DB:-codabox_bench}
PY="$VENV/bin/python"
LOG="$BENCH/setup.log"
mkdir -p "$BENCH"
say() { echo "bench: $*"; }
fail() { echo "bench: $*" >&2; exit 1; }
[[ "$DB" == codabox_bench* ]] || fail "BENCH_DB must start with codabox_bench (it is dropped and made again)."

args=()
for arg in "$@"; do
    case "$arg" in --quick) BENCH_QUICK=1 ;; *) args+=("$arg") ;; esac
done
[ "${BENCH_QUICK:-}" = 1 ] && args+=(--quick)
[ -n "${BENCH_DEADLINE:-}" ] && args+=(--deadline "$BENCH_DEADLINE")
[ -n "${BENCH_BUDGET:-}" ] && args+=(--budget "$BENCH_BUDGET")

# --- OCA's addons, from PyPI -----------------------------------------------------------------
# account_statement_import_coda 18.0 and what its wheels require (Requires-Dist), pinned to
# what was measured; pycoda itself is in the venv (dev/requirements.txt).
OCA_WHEELS=(
    "odoo-addon-account-statement-import-coda==18.0.1.0.0.2"
    "odoo-addon-account_statement_import_file==18.0.1.0.3.2"
    "odoo-addon-account_statement_import_base==18.0.1.0.2.4"
    "odoo-addon-account_statement_base==18.0.1.3.1"
)
OCA_ADDONS="$BENCH/oca/odoo/addons"
STAMP="$BENCH/oca/.wheels"
if [ "$(cat "$STAMP" 2>/dev/null)" != "${OCA_WHEELS[*]}" ]; then
    say "downloading OCA's account_statement_import_coda 18.0 and its addons from PyPI"
    mkdir -p "$BENCH/wheels"
    "$PY" -m pip download --quiet --no-deps --dest "$BENCH/wheels" "${OCA_WHEELS[@]}" >"$LOG" 2>&1 \
        || { cat "$LOG" >&2; fail "pip could not download OCA's wheels (above): PyPI must be reachable the first time."; }
    rm -rf "$BENCH/oca"
    wheels=()
    for spec in "${OCA_WHEELS[@]}"; do
        name=${spec%%==*} version=${spec##*==}
        name=${name//-/_}
        wheels+=("$BENCH/wheels/${name}-${version}-py3-none-any.whl")
    done
    "$PY" -m pip install --quiet --no-deps --no-compile --target "$BENCH/oca" "${wheels[@]}" >"$LOG" 2>&1 \
        || { cat "$LOG" >&2; fail "pip could not unpack OCA's wheels into $BENCH/oca (above)."; }
    echo "${OCA_WHEELS[*]}" >"$STAMP"
fi
for addon in account_statement_base account_statement_import_base account_statement_import_file \
    account_statement_import_coda; do
    [ -f "$OCA_ADDONS/$addon/__manifest__.py" ] || fail "$OCA_ADDONS/$addon is missing: rm -rf $BENCH/oca and run again."
done

# --- the benchmark's Odoo config: the project's, plus OCA's addons ---------------------------
BENCH_CONF="$BENCH/odoo-bench.conf"
sed "s|^addons_path = .*|&,$OCA_ADDONS|" "$CONF" >"$BENCH_CONF.new"
grep -q "^addons_path = .*$OCA_ADDONS" "$BENCH_CONF.new" || fail "no addons_path in $CONF: run make setup."
mv "$BENCH_CONF.new" "$BENCH_CONF"
CONF=$BENCH_CONF  # odoo_bin and create_belgian_db use it from here on

# --- the benchmark database ------------------------------------------------------------------
installed() {
    psql -d "$DB" -Atc "SELECT count(*) FROM ir_module_module WHERE state = 'installed'
        AND name IN ('l10n_be_codabox_connect', 'account_statement_import_coda')" 2>/dev/null || true
}
odoo_quiet() {
    local log
    log=$(odoo_bin -d "$DB" "$@" --stop-after-init --log-level=warn 2>&1) \
        || { echo "$log" >&2; fail "'odoo-bin -d $DB $*' failed (above)."; }
}
started=$SECONDS
if [ "${BENCH_REBUILD:-}" != 1 ] && [ "$(installed)" = 2 ]; then
    say "upgrading l10n_be_codabox_connect in $DB"
    odoo_quiet -u l10n_be_codabox_connect
else
    say "creating database $DB, once: about 25 minutes, the measuring starts after it"
    say "  1/3 Belgian company and l10n_be (about 2 minutes)"
    create_belgian_db "$DB" >"$LOG" 2>&1 || { cat "$LOG" >&2; fail "could not create $DB (above)."; }
    say "  2/3 our addon and OCA's (about a minute)"
    odoo_quiet -i l10n_be_codabox_connect,account_statement_import_coda
    say "  3/3 the bench journal's history, 200 client companies on the Belgian chart and 800 more (about 20 minutes)"
fi
# The fixtures: bank journal, client companies with their charts and journals (idempotent).
"$PY" "$ROOT/dev/bench/setup_db.py" -c "$BENCH_CONF" -d "$DB"
say "database ready in $((SECONDS - started)) s; measuring from now on"
STARTED=$(date +%s)  # the deadline counts the measuring only

# --- the measurements ------------------------------------------------------------------------
cd "$ROOT"
exec "$PY" "$ROOT/dev/bench/run.py" -c "$BENCH_CONF" -d "$DB" --output "$ROOT/docs/benchmarks.md" \
    --started "$STARTED" \
    ${args[@]+"${args[@]}"}
