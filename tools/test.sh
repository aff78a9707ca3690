#!/usr/bin/env bash
# Runs the whole test suite: a fresh database with a Belgian company on the l10n_be chart,
# the addon installed into it, then pytest-odoo over every test (Odoo ones included, with
# Odoo's HTTP server for the controller and browser tests). Extra arguments go to pytest.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/odoo-env.sh
source "$ROOT/tools/odoo-env.sh"
DB=${TEST_DB:-codabox_test}

echo "test: creating database $DB (Belgian company, l10n_be chart, l10n_be_codabox_connect)"
create_belgian_db "$DB"
# Install, then upgrade: both must run without an error or a warning from Odoo.
for action in -i -u; do
    log=$(odoo_bin -d "$DB" "$action" l10n_be_codabox_connect --stop-after-init --log-level=warn 2>&1) \
        && ! grep -E " (WARNING|ERROR|CRITICAL) " <<<"$log" | grep -v "Running as user 'root'" \
        || { echo "$log" >&2; echo "test: 'odoo-bin $action l10n_be_codabox_connect' is not clean (above)" >&2; exit 1; }
done

cd "$STATE"
set +e
"$VENV/bin/python" -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$DB" \
    --odoo-http --odoo-log-level=warn --odoo-extra=log-handler=odoo.tests.common:CRITICAL --rootdir="$ADDON_LINK" "$ADDON_LINK/tests" "$@"
status=$?
set -e
# pytest's exit code 5 means it collected nothing: that is a failure here, not a pass.
[ $status -eq 5 ] && echo "test: no test was collected" >&2
exit $status
