"""make setup on broken prerequisites: one clear line saying what is missing and how to fix
it, and nothing else done."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The series under test (dev/series.sh), and its state directory.
SERIES = os.environ.get("ODOO_SERIES", "18.0")
STATE = ROOT / (".odoo" if SERIES == "18.0" else f".odoo-{SERIES}")


def run_setup(**env):
    return subprocess.run(
        ["bash", str(ROOT / "dev/setup.sh")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_odoo_source_missing(tmp_path):
    result = run_setup(ODOO_SRC=str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"setup: ODOO_SRC={tmp_path / 'nowhere'} is not an Odoo {SERIES} source tree "
        f"(no odoo/release.py with version {SERIES})."
    ]


def test_postgresql_not_answering():
    result = run_setup(PGPORT="1")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("setup: PostgreSQL does not answer on 127.0.0.1:1: install and start it")
    )


def test_wrong_python(tmp_path):
    """A fresh checkout (no .venv yet) with a Python that is not 3.11."""
    checkout = tmp_path / "checkout"
    (checkout / "dev").mkdir(parents=True)
    for name in ("setup.sh", "series.sh", "requirements.txt", "constraints.txt"):
        (checkout / "dev" / name).write_bytes((ROOT / "dev" / name).read_bytes())
    fake_python = tmp_path / "python3.12"
    fake_python.write_text('#!/bin/sh\ncase "$*" in *platform*) echo 3.12.1 ;; *) exit 1 ;; esac\n')
    fake_python.chmod(0o755)
    result = subprocess.run(
        ["bash", str(checkout / "dev/setup.sh")],
        env={**os.environ, "PYTHON": str(fake_python)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"setup: {fake_python} is Python 3.12.1; Odoo {SERIES.removesuffix('.0')} here needs 3.11: "
        "set PYTHON=/path/to/python3.11."
    ]
    assert not (checkout / (STATE.name.replace(".odoo", ".venv"))).exists()


def test_second_run_changes_nothing():
    config = STATE / "odoo.conf"
    before = config.stat().st_mtime_ns
    result = run_setup()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("setup: ready")
    assert "installing" not in result.stdout
    assert config.stat().st_mtime_ns == before
