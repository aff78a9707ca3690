#!/usr/bin/env bash
# Sets up everything the addon needs to run and be tested: Odoo's source of the series
# ODOO_SERIES (18.0 by default, or 19.0: dev/series.sh), a Python 3.11 virtualenv with Odoo's
# requirements and ours, a reachable PostgreSQL and an Odoo config.
# Idempotent: a second run checks, finds everything in place, and changes nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/series.sh
source "$ROOT/dev/series.sh"
ODOO_CACHE="$HOME/.cache/odoo-src/$ODOO_SERIES"
PYTHON=${PYTHON:-python3.11}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-$(id -un)}

fail() { echo "setup: $*" >&2; exit 1; }
step() { echo "setup: $*"; }

# --- Odoo source of the series -------------------------------------------------------------
is_series() {
    [ -f "$1/odoo/release.py" ] && grep -q "^version_info = (${ODOO_SERIES%.*}, ${ODOO_SERIES#*.}," "$1/odoo/release.py"
}
if [ -n "${ODOO_SRC:-}" ]; then
    is_series "$ODOO_SRC" || fail "ODOO_SRC=$ODOO_SRC is not an Odoo $ODOO_SERIES source tree (no odoo/release.py with version $ODOO_SERIES)."
elif is_series "$ODOO_CACHE"; then
    ODOO_SRC=$ODOO_CACHE
else
    step "no Odoo $ODOO_SERIES source in $ODOO_CACHE: cloning upstream Odoo $ODOO_SERIES there"
    mkdir -p "$(dirname "$ODOO_CACHE")"
    git clone --quiet --depth 1 --branch "$ODOO_SERIES" https://github.com/odoo/odoo.git "$ODOO_CACHE.partial" 2>/dev/null \
        || { rm -rf "$ODOO_CACHE.partial"; fail "Odoo $ODOO_SERIES source missing: put it in $ODOO_CACHE or set ODOO_SRC=/path/to/odoo-$ODOO_SERIES (cloning github.com/odoo/odoo failed: no network?)."; }
    mv "$ODOO_CACHE.partial" "$ODOO_CACHE"
    ODOO_SRC=$ODOO_CACHE
fi
ODOO_SRC=$(cd "$ODOO_SRC" && pwd)

# --- Python 3.11 virtualenv ------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null || fail "Python 3.11 not found: install it (Debian: apt-get install python3.11 python3.11-venv) or set PYTHON=/path/to/python3.11."
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || fail "$PYTHON is Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); Odoo ${ODOO_SERIES%.0} here needs 3.11: set PYTHON=/path/to/python3.11."
    step "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || fail "$VENV is not Python 3.11: remove it and run make setup again."

# setuptools 75.x: recent enough that pkg_resources finds normalised metadata (Odoo's gevent
# process, run with --workers, dies on "The 'zope.interface' distribution was not found" with
# the 65.x a new venv starts with), old enough that Odoo's pinned sdists still build (< 81)
# and that pkg_resources warns with the DeprecationWarning Odoo silences.
SETUPTOOLS="==75.8.2"
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('setuptools') != '${SETUPTOOLS#==}')" 2>/dev/null; then
    step "installing setuptools$SETUPTOOLS into $VENV"
    PIP_CONSTRAINT="$ROOT/dev/constraints.txt" PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$VENV/bin/python" -m pip install --quiet "setuptools$SETUPTOOLS" \
        || fail "pip could not install setuptools$SETUPTOOLS (see above)."
fi

# Requirements are reinstalled only when Odoo's or ours change (a stamp holds their hash).
# python-ldap is left out: it only serves auth_ldap and needs libldap headers to build.
REQS="$STATE/requirements.txt"
mkdir -p "$STATE"
# dev/requirements-<series>.txt, when there is one, adds what that series needs besides.
{
    grep -v -i '^python-ldap' "$ODOO_SRC/requirements.txt"
    cat "$ROOT/dev/requirements.txt"
    [ ! -f "$ROOT/dev/requirements-$ODOO_SERIES.txt" ] || cat "$ROOT/dev/requirements-$ODOO_SERIES.txt"
} > "$REQS.new"
STAMP="$VENV/.requirements.sha256"
if [ ! -f "$STAMP" ] || [ "$(sha256sum < "$REQS.new")" != "$(cat "$STAMP")" ]; then
    step "installing Odoo's requirements and ours into $VENV (takes a few minutes the first time)"
    export PIP_CONSTRAINT="$ROOT/dev/constraints.txt" PIP_DISABLE_PIP_VERSION_CHECK=1
    "$VENV/bin/python" -m pip install --quiet "setuptools$SETUPTOOLS" wheel
    "$VENV/bin/python" -m pip install --quiet -r "$REQS.new" \
        || fail "pip could not install the requirements (see above); a package index must be reachable the first time."
    sha256sum < "$REQS.new" > "$STAMP"
fi
mv "$REQS.new" "$REQS"
# Odoo is used from its source tree, not installed: a .pth file puts it on the path.
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
[ "$(cat "$SITE/odoo-src.pth" 2>/dev/null)" = "$ODOO_SRC" ] || echo "$ODOO_SRC" > "$SITE/odoo-src.pth"

# --- PostgreSQL ------------------------------------------------------------------------------
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        step "starting the local PostgreSQL $version cluster"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
            || sudo -n pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
    fi
    pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null \
        || fail "PostgreSQL does not answer on $PGHOST:$PGPORT: install and start it (Debian: apt-get install postgresql), or set PGHOST/PGPORT/PGUSER."
fi
psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atc "select 1" >/dev/null 2>&1 \
    || fail "PostgreSQL on $PGHOST:$PGPORT refuses role '$PGUSER': create it (createuser -s $PGUSER) or set PGUSER."

# --- Chromium, for Odoo's browser tests (tours) -----------------------------------------------
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
    step "installing Debian's chromium for the browser tests"
    if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo -n apt-get); fi
    { "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq chromium; } >/dev/null \
        || fail "Chromium is missing for the browser tests: install it (Debian: apt-get install chromium)."
fi

# --- wkhtmltopdf, Odoo's PDF renderer (an invoice sent to CodaBox goes with its PDF) ---------
if ! command -v wkhtmltopdf >/dev/null; then
    step "installing Debian's wkhtmltopdf, Odoo's PDF renderer"
    if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo -n apt-get); fi
    { "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq wkhtmltopdf; } >/dev/null \
        || fail "wkhtmltopdf is missing, Odoo's PDF renderer: install it (Debian: apt-get install wkhtmltopdf)."
fi

# --- Odoo configuration ----------------------------------------------------------------------
# The addons path needs this repository under its module name, whatever the checkout is called.
mkdir -p "$STATE/addons" "$STATE/data"
LINK="$STATE/addons/l10n_be_codabox_connect"
MANIFEST_SERIES=$(grep -oE '"version": "[0-9]+\.[0-9]+' "$ROOT/__manifest__.py" | grep -oE '[0-9]+\.[0-9]+$')
if [ "$MANIFEST_SERIES" = "$ODOO_SERIES" ]; then
    # The manifest's own series: a link to the repository.
    [ -L "$LINK" ] || rm -rf "$LINK"
    [ "$(readlink "$LINK" 2>/dev/null)" = "$ROOT" ] || ln -sfn "$ROOT" "$LINK"
else
    # Another series (19.0 on the 18.0 branch): Odoo refuses a module whose version names
    # another series, so the module is a directory of links to the repository's entries, the
    # same code, with a __manifest__.py of its own whose version only says this series, as the
    # series' release branch will (README: releasing for 19.0).
    [ ! -L "$LINK" ] || rm "$LINK"
    mkdir -p "$LINK"
    find "$LINK" -maxdepth 1 -type l \( -name ".*" -o ! -exec test -e {} \; \) -delete
    # Hidden entries (.venv, .odoo: that link again) left out, as Odoo's exporter reads the
    # addon (dev/i18n.sh).
    for entry in "$ROOT"/*; do
        name=$(basename "$entry")
        [ "$name" = __manifest__.py ] || [ "$name" = __pycache__ ] \
            || [ "$(readlink "$LINK/$name" 2>/dev/null)" = "$entry" ] || ln -sfn "$entry" "$LINK/$name"
    done
    sed "s/\"version\": \"$MANIFEST_SERIES\./\"version\": \"$ODOO_SERIES./" "$ROOT/__manifest__.py" > "$LINK/__manifest__.py.new"
    if cmp -s "$LINK/__manifest__.py.new" "$LINK/__manifest__.py"; then rm "$LINK/__manifest__.py.new"
    else mv "$LINK/__manifest__.py.new" "$LINK/__manifest__.py"; fi
fi
CONF="$STATE/odoo.conf"
cat > "$CONF.new" <<EOF
[options]
addons_path = $ODOO_SRC/odoo/addons,$ODOO_SRC/addons,$STATE/addons
data_dir = $STATE/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
http_interface = 127.0.0.1
http_port = 8069
list_db = True
without_demo = $WITHOUT_DEMO
EOF
if cmp -s "$CONF.new" "$CONF"; then rm "$CONF.new"; else mv "$CONF.new" "$CONF"; step "wrote $CONF"; fi
echo "$ODOO_SRC" > "$STATE/odoo-src"
step "ready (Odoo source: $ODOO_SRC, PostgreSQL: $PGUSER@$PGHOST:$PGPORT)"
