#!/usr/bin/env bash
# make lint: every hook of .pre-commit-config.yaml over every file (ruff, pylint-odoo, OCA's
# module and .po checks). A hook that changes a file (ruff's fixes, its formatting) fails the
# run and leaves the change in the working tree to review.
# The linters live in a venv of their own, .odoo/lint-venv (dev/lint-requirements.txt: OCA's
# hooks and Odoo's requirements pin different polib versions), made again when the pins change.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
cd "$ROOT"
git rev-parse --git-dir >/dev/null 2>&1 \
    || { echo "lint: pre-commit needs a git checkout; $ROOT is not one" >&2; exit 1; }

LINT_VENV="$STATE/lint-venv"
STAMP="$LINT_VENV/.requirements.sha256"
if [ ! -f "$STAMP" ] || [ "$(sha256sum < dev/lint-requirements.txt)" != "$(cat "$STAMP")" ]; then
    echo "lint: installing the linters into $LINT_VENV"
    rm -rf "$LINT_VENV"
    "$(readlink -f "$VENV/bin/python")" -m venv "$LINT_VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$LINT_VENV/bin/python" -m pip install --quiet \
        -r dev/lint-requirements.txt \
        || { echo "lint: pip could not install dev/lint-requirements.txt (see above)" >&2; exit 1; }
    sha256sum < dev/lint-requirements.txt > "$STAMP"
fi
export LINT_VENV
PATH="$LINT_VENV/bin:$PATH" PRE_COMMIT_HOME="$STATE/pre-commit" \
    pre-commit run --all-files --show-diff-on-failure
echo "lint: clean"
