#!/usr/bin/env bash
# The demo: a database with a Belgian company and the addon, served on 127.0.0.1:8069.
# The database is made once and kept (DEMO_DB, default codabox_demo); Ctrl-C stops Odoo.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/odoo-env.sh
source "$ROOT/tools/odoo-env.sh"
DB=${DEMO_DB:-codabox_demo}
PORT=${DEMO_PORT:-8069}

if ! psql -d "$DB" -Atc "SELECT 1 FROM ir_module_module WHERE name = 'l10n_be_codabox_connect' AND state = 'installed'" 2>/dev/null | grep -q 1; then
    echo "demo: creating database $DB"
    create_belgian_db "$DB"
    odoo_bin -d "$DB" -i l10n_be_codabox_connect --stop-after-init --log-level=warn
else
    odoo_bin -d "$DB" -u l10n_be_codabox_connect --stop-after-init --log-level=warn
fi

cat <<TXT

  CodaBox Connect demo on http://127.0.0.1:$PORT/odoo
  login: admin   password: admin   database: $DB
  Ctrl-C stops it.

TXT
exec "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --db-filter="^$DB\$" \
    --http-port="$PORT" --log-level=warn
