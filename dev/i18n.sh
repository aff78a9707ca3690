#!/usr/bin/env bash
# Regenerates i18n/l10n_be_codabox_connect.pot from the code with Odoo's own exporter, then
# merges it into i18n/nl.po and i18n/fr.po (msgmerge), so that new terms show up there
# untranslated and changed ones as fuzzy (with their previous msgid), and prints how many terms
# each language still has to translate. tests/test_i18n.py fails until that count is 0.
#
#   bash dev/i18n.sh            # I18N_DB names the database (default codabox_i18n)
#
# The export runs on a database with the addon installed: made when missing (Belgian company,
# l10n_be chart), else upgraded to the code as it is now.
# The .pot is only rewritten when a term or a reference changed, so that a re-run without
# changes leaves the files as they are (Odoo stamps each export with the time).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/odoo-env.sh
source "$ROOT/dev/odoo-env.sh"
DB=${I18N_DB:-codabox_i18n}
MODULE=l10n_be_codabox_connect
I18N="$ROOT/i18n"
POT="$I18N/$MODULE.pot"
LANGS=(nl fr)

for tool in msgmerge msginit msgattrib; do
    command -v "$tool" >/dev/null || {
        echo "i18n: $tool is missing: apt-get install gettext" >&2
        exit 1
    }
done

# Odoo's exporter walks the whole addon directory, links followed. Through the usual addons-path
# link that would be .venv/ (other libraries' _() calls), .bench/ and .odoo/ too, and .odoo/
# holds that link again (a loop). So the export sees the addon through a directory of links to
# its entries, hidden ones left out; tests/test_i18n.py reads the code the same way.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/addons" "$TMP/addons/$MODULE"
for entry in "$ROOT"/*; do
    [ "$(basename "$entry")" = __pycache__ ] || ln -s "$entry" "$TMP/addons/$MODULE/"
done
ADDONS_PATH=$TMP/addons
while IFS= read -r dir; do  # the configured addons paths, but the one holding the addon
    dir=$(echo "$dir" | xargs)
    [ -z "$dir" ] || [ -e "$dir/$MODULE/__manifest__.py" ] || ADDONS_PATH="$dir,$ADDONS_PATH"
done < <(sed -n 's/^addons_path *= *//p' "$CONF" | tr ',' '\n' | tac)

# Like dev/test.sh: the install and the upgrade must be clean (no warning from Odoo).
odoo_clean() {
    local log
    log=$(odoo_bin --addons-path="$ADDONS_PATH" -d "$DB" "$@" --stop-after-init \
        --log-level=warn 2>&1) \
        && ! grep -E " (WARNING|ERROR|CRITICAL) " <<<"$log" \
        || { echo "$log" >&2; echo "i18n: 'odoo-bin $*' is not clean (above)" >&2; exit 1; }
}
if psql -d "$DB" -Atc "SELECT 1 FROM ir_module_module WHERE name = '$MODULE'
                       AND state = 'installed'" 2>/dev/null | grep -q 1; then
    echo "i18n: upgrading $MODULE in database $DB"
    odoo_clean -u "$MODULE"
else
    echo "i18n: creating database $DB (Belgian company, l10n_be chart, $MODULE)"
    create_belgian_db "$DB"
    odoo_clean -i "$MODULE"
fi

echo "i18n: exporting the terms of $MODULE"
odoo_clean --i18n-export="$TMP/$MODULE.pot" --modules="$MODULE"
[ -s "$TMP/$MODULE.pot" ] || { echo "i18n: the export wrote nothing" >&2; exit 1; }

# Only the creation and revision dates differ? Then the .pot is up to date: keep it.
mkdir -p "$I18N"
undated() { grep -vE '^"(POT-Creation-Date|PO-Revision-Date): ' "$1"; }
if [ -f "$POT" ] && cmp -s <(undated "$POT") <(undated "$TMP/$MODULE.pot"); then
    echo "i18n: $POT is up to date"
else
    cp "$TMP/$MODULE.pot" "$POT"
    echo "i18n: wrote $POT"
fi

for lang in "${LANGS[@]}"; do
    po="$I18N/$lang.po"
    if [ -f "$po" ]; then
        # --previous keeps the old msgid of a fuzzy (changed) term, for the translator.
        msgmerge --quiet --previous --output-file="$TMP/$lang.merged.po" "$po" "$POT"
        # Terms gone from the code are dropped, not kept as obsolete (git has them).
        msgattrib --no-obsolete --output-file="$TMP/$lang.po" "$TMP/$lang.merged.po"
    else
        msginit --no-translator --locale="$lang" --input="$POT" --output-file="$TMP/$lang.po" \
            2>/dev/null
    fi
    cmp -s "$TMP/$lang.po" "$po" || cp "$TMP/$lang.po" "$po"
done

# What is left to translate: empty or fuzzy msgstr (the test fails on either).
"$VENV/bin/python" - "$POT" "${LANGS[@]/#/$I18N/}" <<'EOF'
import sys

import polib

pot, pos = sys.argv[1], [f"{path}.po" for path in sys.argv[2:]]
print(f"i18n: {len(polib.pofile(pot))} terms in {pot.rsplit('/', 1)[-1]}")
for path in pos:
    po = polib.pofile(path)
    todo = [e for e in po if not e.obsolete and (not e.msgstr or "fuzzy" in e.flags)]
    fuzzy = sum("fuzzy" in e.flags for e in todo)
    print(f"i18n: {path.rsplit('/', 1)[-1]}: {len(todo)} untranslated ({fuzzy} of them fuzzy)")
    for entry in todo:
        print(f"    {'fuzzy' if 'fuzzy' in entry.flags else 'empty'}: {entry.msgid[:90]!r}")
EOF
