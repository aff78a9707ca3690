# Which Odoo series the dev/ scripts run (sourced, not run): ODOO_SERIES, 18.0 by default, or
# 19.0. Each series has its own Odoo source, virtualenv, state directory (configuration,
# filestore, logs) and databases, so that both can live side by side in one checkout:
#
#   series  source                      venv          state         databases
#   18.0    ~/.cache/odoo-src/18.0      .venv         .odoo         codabox_test, ...
#   19.0    ~/.cache/odoo-src/19.0      .venv-19.0    .odoo-19.0    codabox_test_19, ...
#
# ODOO_SRC, when set, names the source instead; dev/setup.sh checks that it is of the series.
# WITHOUT_DEMO: the value of Odoo's --without-demo (18.0: modules or "all"; 19.0: a boolean).
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
ODOO_SERIES=${ODOO_SERIES:-18.0}
case "$ODOO_SERIES" in
    18.0) SERIES_SUFFIX="" DB_SUFFIX="" WITHOUT_DEMO=all ;;
    19.0) SERIES_SUFFIX="-19.0" DB_SUFFIX="_19" WITHOUT_DEMO=True ;;
    *) echo "$(basename "$0"): ODOO_SERIES=$ODOO_SERIES: this addon runs on 18.0 (the default) or 19.0" >&2; exit 1 ;;
esac
VENV="$ROOT/.venv$SERIES_SUFFIX"
STATE="$ROOT/.odoo$SERIES_SUFFIX"
