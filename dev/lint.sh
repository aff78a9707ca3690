#!/usr/bin/env bash
# ruff (lint and format) over everything, then pylint-odoo's checks that matter over the addon.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
cd "$ROOT"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
# pylint-odoo reads the addon under its module name, through the addons-path link.
cd "$STATE/addons"
"$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" l10n_be_codabox_connect
echo "lint: clean"
