#!/usr/bin/env bash
# Runs the whole test suite: a fresh database with a Belgian company on the l10n_be chart,
# the addon installed into it, then pytest-odoo over every test (Odoo ones included, with
# Odoo's HTTP server for the controller and browser tests).
# Arguments are pytest arguments; test paths are given from the repository root
# (tests/test_x.py::TestY). TEST_DB names the database (default codabox_test, codabox_test_19 on 19.0); with
# TEST_REUSE_DB=1 an existing one is upgraded instead of made again (for quick iterations).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${TEST_DB:-codabox_test$DB_SUFFIX}

# Install, then upgrade: both must run without an error or a warning from Odoo.
odoo_clean() {
    local log
    log=$(odoo_bin -d "$DB" "$@" --stop-after-init --log-level=warn 2>&1) \
        && ! grep -E " (WARNING|ERROR|CRITICAL) " <<<"$log" \
        || { echo "$log" >&2; echo "test: 'odoo-bin $*' is not clean (above)" >&2; exit 1; }
}
if [ "${TEST_REUSE_DB:-}" = 1 ] && psql -d "$DB" -Atc "SELECT 1" >/dev/null 2>&1; then
    odoo_clean -u l10n_be_codabox_connect
else
    echo "test: creating database $DB (Belgian company, l10n_be chart, l10n_be_codabox_connect)"
    create_belgian_db "$DB"
    odoo_clean -i l10n_be_codabox_connect
    odoo_clean -u l10n_be_codabox_connect
fi
# The crash tests (tests/test_crash.py) copy ${DB}_template for each throwaway database they
# run real Odoo processes against: the addon as just installed or upgraded, made while nothing
# is connected to $DB (createdb -T needs that), with its filestore.
dropdb --if-exists --force "${DB}_template"
createdb -T "$DB" "${DB}_template"
rm -rf "$STATE/data/filestore/${DB}_template"
[ ! -d "$STATE/data/filestore/$DB" ] \
    || cp -a "$STATE/data/filestore/$DB" "$STATE/data/filestore/${DB}_template"

# pytest must see the tests under the addon's module name: by module (pytest_args, --pyargs).
pytest_args "$@"
args=("${PYTEST_ARGS[@]}")
printf '%s\n' "${args[@]}" | grep -q "^$ADDON_PACKAGE.tests" || args+=("$ADDON_PACKAGE.tests")

cd "$STATE"
set +e
"$VENV/bin/python" -m pytest -p no:cacheprovider --rootdir="$ADDON_LINK" \
    --odoo-config="$CONF" --odoo-database="$DB" --odoo-http --odoo-log-level=warn -rs \
    --odoo-extra=log-handler=odoo.tests.common:CRITICAL --pyargs "${args[@]}"
status=$?
set -e
# pytest's exit code 5 means it collected nothing: that is a failure here, not a pass.
[ $status -eq 5 ] && echo "test: no test was collected" >&2
exit $status
