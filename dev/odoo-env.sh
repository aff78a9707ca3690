# Shared by the dev/ scripts (sourced, not run): where things are, and how to run Odoo.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# shellcheck source=dev/series.sh
source "$ROOT/dev/series.sh"
CONF="$STATE/odoo.conf"
ADDON_LINK="$STATE/addons/l10n_be_codabox_connect"
ADDON_PACKAGE=odoo.addons.l10n_be_codabox_connect
[ -f "$STATE/odoo-src" ] && [ -x "$VENV/bin/python" ] \
    || { echo "$(basename "$0"): run 'ODOO_SERIES=$ODOO_SERIES make setup' first" >&2; exit 1; }
ODOO_SRC=$(cat "$STATE/odoo-src")
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-$(id -un)}

odoo_bin() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$CONF" "$@"; }

# A new database whose main company is Belgian, with the Belgian chart of accounts loaded.
create_belgian_db() {
    local db=$1
    dropdb --if-exists --force "$db" 2>/dev/null || true
    rm -rf "$STATE/data/filestore/$db"
    odoo_bin -d "$db" -i base --stop-after-init --log-level=warn --without-demo=$WITHOUT_DEMO
    psql -q -d "$db" -c "UPDATE res_partner SET country_id = (SELECT id FROM res_country WHERE code = 'BE'),
                             city = 'Brussel', zip = '1000'
                         WHERE id = (SELECT partner_id FROM res_company WHERE id = 1)"
    odoo_bin -d "$db" -i l10n_be --stop-after-init --log-level=warn --without-demo=$WITHOUT_DEMO
}

# PYTEST_ARGS: the arguments of dev/test.sh and dev/test_oca.sh for pytest --pyargs, the addon's
# test paths (tests/test_x.py::TestY, tests_oca) named by module, as pytest-odoo imports them.
# Given paths, pytest would import tests/conftest.py before pytest-odoo has set Odoo up, under a
# name Odoo refuses (l10n_be_codabox_connect.tests.conftest, outside odoo.addons).
pytest_args() {
    local arg path
    PYTEST_ARGS=()
    for arg in "$@"; do
        case "$arg" in
            tests | tests/* | tests_oca | tests_oca/*)
                path=${arg%%::*}
                path=${path%/}
                path=${path%.py}
                PYTEST_ARGS+=("$ADDON_PACKAGE.${path//\//.}${arg#"${arg%%::*}"}")
                ;;
            *) PYTEST_ARGS+=("$arg") ;;
        esac
    done
}
