#!/usr/bin/env bash
# One of the module-wide linters of .pre-commit-config.yaml over the addon, read under its
# module name through the addons-path link (the checkout's folder may be named otherwise).
#   bash dev/lint_module.sh pylint | oca-checks-odoo-module
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
cd "$(dirname "$ADDON_LINK")"
case "${1:?which linter}" in
    pylint) exec "${LINT_VENV:-$STATE/lint-venv}/bin/pylint" --rcfile="$ROOT/.pylintrc" "$(basename "$ADDON_LINK")" ;;
    oca-checks-odoo-module) exec "${LINT_VENV:-$STATE/lint-venv}/bin/oca-checks-odoo-module" --no-verbose \
        "$ADDON_LINK/__manifest__.py" ;;
    *) echo "lint: unknown linter $1" >&2; exit 2 ;;
esac
