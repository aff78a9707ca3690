#!/usr/bin/env bash
# make test-oca: the reconciliation tests again, next to OCA's reconciliation screen.
#
# OCA's account_reconcile_oca 18.0 (with account_statement_base and
# account_reconcile_model_oca, the addons it needs beyond Odoo's own) is installed from its
# PyPI wheels, pinned and --no-deps, into .odoo/oca-reconcile/ (git-ignored, never
# committed), and put on the addons path of a second test database only, through a config
# of its own: `make test` and its database never see it. That database gets a Belgian
# company, this addon and OCA's; then pytest-odoo runs tests/test_reconcile.py (the
# addon's reconciliation, unchanged by OCA's addon being there) and tests_oca/ (OCA's screen
# reconciles what the addon left open, and shows and undoes what it reconciled).
#
# TEST_OCA_DB names the database (default codabox_test_oca); TEST_REUSE_DB=1 upgrades an
# existing one instead of making it again. Arguments are pytest arguments.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${TEST_OCA_DB:-codabox_test_oca}
OCA="$STATE/oca-reconcile"
PY="$VENV/bin/python"
LOG="$OCA/setup.log"
STARTED=$SECONDS
say() { echo "test-oca: $*"; }
fail() { echo "test-oca: $*" >&2; exit 1; }
[ "$DB" != "${TEST_DB:-codabox_test}" ] || fail "TEST_OCA_DB must not be make test's database."
[ "$ODOO_SERIES" = 18.0 ] || fail "OCA's addons below are pinned for Odoo 18.0: make test-oca runs on 18.0 only."
mkdir -p "$OCA"

# --- OCA's addons, from PyPI (pinned; what they require beyond Odoo is listed here) ---------
# account_reconcile_oca depends on account_statement_base, account_reconcile_model_oca and
# base_sparse_field (Odoo's own); the two OCA ones depend on account only.
OCA_WHEELS=(
    "odoo-addon-account-reconcile-oca==18.0.1.3.0.1"
    "odoo-addon-account-statement-base==18.0.1.3.1"
    "odoo-addon-account-reconcile-model-oca==18.0.1.2.0"
)
OCA_ADDONS="$OCA/target/odoo/addons"
STAMP="$OCA/.wheels"
if [ "$(cat "$STAMP" 2>/dev/null)" != "${OCA_WHEELS[*]}" ]; then
    say "downloading OCA's account_reconcile_oca 18.0 and the addons it needs from PyPI"
    "$PY" -m pip download --quiet --no-deps --dest "$OCA/wheels" "${OCA_WHEELS[@]}" >"$LOG" 2>&1 \
        || { cat "$LOG" >&2; fail "pip could not download OCA's wheels (above): PyPI must be reachable the first time."; }
    rm -rf "$OCA/target"
    wheels=()
    for spec in "${OCA_WHEELS[@]}"; do
        name=${spec%%==*} version=${spec##*==}
        wheels+=("$OCA/wheels/${name//-/_}-${version}-py3-none-any.whl")
    done
    "$PY" -m pip install --quiet --no-deps --no-compile --target "$OCA/target" "${wheels[@]}" \
        >"$LOG" 2>&1 || { cat "$LOG" >&2; fail "pip could not unpack OCA's wheels into $OCA/target (above)."; }
    echo "${OCA_WHEELS[*]}" >"$STAMP"
fi
for addon in account_reconcile_oca account_statement_base account_reconcile_model_oca; do
    [ -f "$OCA_ADDONS/$addon/__manifest__.py" ] \
        || fail "$OCA_ADDONS/$addon is missing: rm -rf $OCA and run again."
done

# --- the second database's Odoo config: the project's, plus OCA's addons ------------------
OCA_CONF="$OCA/odoo-oca.conf"
sed "s|^addons_path = .*|&,$OCA_ADDONS|" "$CONF" >"$OCA_CONF.new"
grep -q "^addons_path = .*$OCA_ADDONS" "$OCA_CONF.new" || fail "no addons_path in $CONF: run make setup."
mv "$OCA_CONF.new" "$OCA_CONF"
CONF=$OCA_CONF  # odoo_bin and create_belgian_db use it from here on

# Install, then upgrade: our addon's part must be free of errors and warnings (OCA's own
# deprecation warnings are theirs: they are shown, not fatal).
odoo_clean() {
    local log
    log=$(odoo_bin -d "$DB" "$@" --stop-after-init --log-level=warn 2>&1) \
        || { echo "$log" >&2; fail "'odoo-bin -d $DB $*' failed (above)."; }
    if grep -E " (ERROR|CRITICAL) " <<<"$log" \
        || grep -E " WARNING .*l10n_be_codabox_connect" <<<"$log"; then
        echo "$log" >&2
        fail "'odoo-bin -d $DB $*' is not clean (above)."
    fi
    grep -E " WARNING " <<<"$log" | sed 's/^/test-oca: (OCA) /' || true
}
installed() {
    psql -d "$DB" -Atc "SELECT count(*) FROM ir_module_module WHERE state = 'installed'
        AND name IN ('l10n_be_codabox_connect', 'account_reconcile_oca')" 2>/dev/null || true
}
if [ "${TEST_REUSE_DB:-}" = 1 ] && [ "$(installed)" = 2 ]; then
    say "upgrading l10n_be_codabox_connect in $DB"
    odoo_clean -u l10n_be_codabox_connect
else
    say "creating database $DB (Belgian company, l10n_be, l10n_be_codabox_connect, account_reconcile_oca)"
    create_belgian_db "$DB" >"$LOG" 2>&1 || { cat "$LOG" >&2; fail "could not create $DB (above)."; }
    odoo_clean -i l10n_be_codabox_connect,account_reconcile_oca
fi
say "database ready in $((SECONDS - STARTED)) s"

# --- the tests ---------------------------------------------------------------------------
pytest_args "$@"
args=("${PYTEST_ARGS[@]}")
[ ${#args[@]} -gt 0 ] && printf '%s\n' "${args[@]}" | grep -q "^$ADDON_PACKAGE.tests" \
    || args+=("$ADDON_PACKAGE.tests.test_reconcile" "$ADDON_PACKAGE.tests_oca")
cd "$STATE"
set +e
"$PY" -m pytest -p no:cacheprovider --rootdir="$ADDON_LINK" --odoo-config="$OCA_CONF" \
    --odoo-database="$DB" --odoo-log-level=warn -rs \
    --odoo-extra=log-handler=odoo.tests.common:CRITICAL --pyargs "${args[@]}"
status=$?
set -e
[ $status -eq 5 ] && echo "test-oca: no test was collected" >&2
say "done in $((SECONDS - STARTED)) s"
exit $status
