"""What the benchmark scripts share: paths, the files they measure on, Odoo as a library,
process counters and the machine's description.

Plain scripts, not part of the addon: the pure-Python packages of the repository
(coda_parser, sandbox, codabox_client) are imported from its root, Odoo from the venv.
"""

import contextlib
import hashlib
import json
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the addon's root
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coda_parser.structured import ogm_check_digits  # noqa: E402
from dev.codagen import generate_statements, write_coda  # noqa: E402

BENCH_DIR = ROOT / ".bench"
FILES_DIR = BENCH_DIR / "files"
# The main company's bank account in the benchmark database: both importers match it.
BENCH_IBAN = "BE68539007547034"
HOLDER = "Bench Company SRL"
OFFICE_VAT = "BE0400000196"
CLIENT_COUNT = 1000


# --- generated CODA files -----------------------------------------------------------------


def _extra(rng: random.Random, day: date) -> dict:
    """A plain transfer, to top a statement up to an exact number of movements."""
    amount = Decimal(rng.randint(-300000, 500000) or 1).scaleb(-2)
    ten = f"{rng.randrange(10**10):010d}"
    return {
        "amount": str(amount),
        "structured_communication": ten + ogm_check_digits(ten),
        "counterparty_name": f"Extra Counterparty {rng.randint(1, 40)}",
        "counterparty_account": "BE71096123456769",
        "counterparty_bic": "GKCCBEBB",
        "customer_reference": f"E2E{rng.randrange(10**9):09d}",
        "bank_reference": f"X{rng.randrange(10**12):012d}",
        "date": day,
    }


def exact_statements(
    count: int,
    *,
    per_statement: int,
    leaves: bool,
    seed: int = 1,
    iban: str = BENCH_IBAN,
    start: date = date(2024, 1, 2),
    first_sequence: int = 1,
):
    """Statements (one per day, ``per_statement`` movements each) holding exactly ``count``
    movements: every movement record (totals and details) or, with ``leaves``, the
    movements that become statement lines (details instead of their totals).

    The generator counts balance movements (a globalisation adds its details): it is asked
    for a little fewer, and plain transfers top each statement up to the exact count.
    """
    days = max(1, -(-count // per_statement))
    targets = [per_statement] * (days - 1) + [count - per_statement * (days - 1)]

    def counted(statement):
        return len(statement.detail_movements if leaves else statement.movements)

    def make(balance_movements, extras):
        return generate_statements(
            iban=iban,
            holder_name=HOLDER,
            start_date=start,
            days=days,
            movements_per_statement=balance_movements,
            seed=seed,
            first_coda_sequence=first_sequence,
            extra_movements=extras,
        )

    # The statements of one call share movements_per_statement: the smallest target sets
    # it; each statement then gets its own top-up.
    # About one balance movement in ten is a globalisation of 2 to 5 details: 1.35 movement
    # records or 1.25 lines per balance movement on average. Asking for a little fewer than
    # that makes the first try fit, in general.
    smallest = min(targets)
    balance_movements = max(1, int(smallest / (1.35 if leaves else 1.45)))
    while True:
        statements = make(balance_movements, [])
        if all(counted(st) <= target for st, target in zip(statements, targets, strict=True)):
            break
        worst = max(counted(st) / target for st, target in zip(statements, targets, strict=True))
        balance_movements = max(1, min(balance_movements - 1, int(balance_movements / worst)))
    rng = random.Random(seed)
    extras = []
    for index, (st, target) in enumerate(zip(statements, targets, strict=True)):
        day = start + timedelta(days=index)
        extras += [_extra(rng, day) for _ in range(target - counted(st))]
    statements = make(balance_movements, extras)
    got = sum(counted(st) for st in statements)
    if got != count:
        raise RuntimeError(f"generator: asked for {count} movements, got {got}")
    return statements


def amounts_digest(amounts) -> str:
    """One fingerprint of every amount of a file, in order, to compare parsers exactly."""
    digest = hashlib.sha256()
    for amount in amounts:
        digest.update(f"{amount:.3f}\n".encode())
    return digest.hexdigest()


def summary(statements) -> dict:
    """What a parser must find in the file: counts, balances and every amount."""
    return {
        "statements": len(statements),
        "movements": sum(len(st.movements) for st in statements),
        "lines": sum(len(st.detail_movements) for st in statements),
        "balances": [[str(st.old_balance), str(st.new_balance)] for st in statements],
        "amounts": amounts_digest(mv.amount for st in statements for mv in st.movements),
    }


def coda_file(name: str, count: int, **options) -> tuple[Path, dict]:
    """A generated file of ``count`` movements (see exact_statements) and its summary.

    Kept in .bench/files and made again only when its parameters or the code making it
    (generator, writer, parser, this module) change: large files take a while to make.
    """
    sources = [
        folder / module
        for folder in (ROOT / "coda_parser", ROOT / "dev" / "codagen")
        for module in sorted(os.listdir(folder))
    ]
    key = hashlib.sha256(repr((name, count, sorted(options.items()))).encode())
    for source in [*sources, Path(__file__)]:
        if source.suffix == ".py":
            key.update(source.read_bytes())
    stem = f"{name}-{key.hexdigest()[:12]}"
    path, meta = FILES_DIR / f"{stem}.cod", FILES_DIR / f"{stem}.json"
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text(encoding="utf-8"))
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    for old in FILES_DIR.glob(f"{name}-*"):
        old.unlink()
    statements = exact_statements(count, **options)
    info = summary(statements)
    path.write_bytes(write_coda(statements))
    meta.write_text(json.dumps(info), encoding="utf-8")
    return path, info


# --- Odoo as a library -------------------------------------------------------------------


def odoo_registry(config_file: str, database: str):
    """Odoo's registry of ``database``, configured by ``config_file``, logging warnings only."""
    import odoo
    from odoo.tools import config

    config.parse_config(["-c", config_file, "-d", database, "--log-level=warn"])
    odoo.service.server.load_server_wide_modules()
    return odoo.modules.registry.Registry(database)


@contextlib.contextmanager
def odoo_env(config_file: str, database: str):
    """An environment of the admin user in the main company, rolled back at the end."""
    from odoo import SUPERUSER_ID, api

    registry = odoo_registry(config_file, database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        try:
            yield api.Environment(cr, admin.id, {"lang": "en_US", "tz": "Europe/Brussels"})
        finally:
            cr.rollback()


def sql_count() -> int:
    """Queries run by this process so far (Odoo's process-wide counter)."""
    from odoo import sql_db

    return sql_db.sql_counter


# --- CPU time: this process and its PostgreSQL backend -------------------------------------


class CpuClock:
    """CPU seconds spent by this process and by the PostgreSQL backend serving ``cr``.

    On a shared machine, time spent waiting for a core is noise, not cost: CPU time of both
    sides of the connection is what an import costs. The backend's comes from /proc, so
    only for a local PostgreSQL (None otherwise).
    """

    def __init__(self, cr):
        cr.execute("SELECT pg_backend_pid()")
        self._stat = f"/proc/{cr.fetchone()[0]}/stat"
        self._tick = os.sysconf("SC_CLK_TCK")

    def backend(self) -> float | None:
        try:
            with open(self._stat, encoding="ascii") as stat:
                text = stat.read()
        except OSError:
            return None
        fields = text[text.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / self._tick

    def read(self) -> tuple[float, float | None]:
        return time.process_time(), self.backend()

    @staticmethod
    def since(start: tuple, end: tuple) -> dict:
        odoo = end[0] - start[0]
        database = None if start[1] is None or end[1] is None else end[1] - start[1]
        return {
            "cpu_odoo": odoo,
            "cpu_database": database,
            "cpu": odoo + (database or 0.0),
        }


# --- process memory ----------------------------------------------------------------------


def _status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def rss() -> int:
    return _status("VmRSS")


def reset_peak() -> None:
    """From now on, the peak resident size (VmHWM) is measured afresh."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")


def peak_rss() -> int:
    return _status("VmHWM")


def emit(**values) -> None:
    """One JSON line on stdout, what the orchestrator reads from a measuring subprocess."""
    sys.stdout.write(json.dumps(values, default=str) + "\n")
    sys.stdout.flush()


# --- the machine -------------------------------------------------------------------------


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    try:
        from odoo import release

        odoo_version = release.version
    except ImportError:
        odoo_version = "?"
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "odoo": odoo_version,
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }
