"""What the addon's jobs share: their deadlines, and the PostgreSQL advisory locks that keep
two processes from doing the same work at once (retrievals, file collections, uploads
imported in parts, invoices sent)."""

import time
from contextlib import contextmanager

from ..compat import registry_in_test_mode


def _past(deadline):
    return deadline is not None and time.monotonic() > deadline


#: database -> seconds per statement line that this process's imports took (see import_pace)
_IMPORT_PACE = {}


def record_import_pace(dbname, seconds, lines):
    """Remember how long an import of ``lines`` statement lines took in this process: the
    machine's own pace, which the next parts of long statements are sized by
    (``codabox.document._lines_within``). Averaged with the pace measured before, so that one
    import slowed down by another process does not halve the next part."""
    if lines:
        pace = seconds / lines
        previous = _IMPORT_PACE.get(dbname)
        _IMPORT_PACE[dbname] = pace if previous is None else (previous + pace) / 2


def import_pace(dbname):
    """Seconds per statement line this process measured for ``dbname``, or None."""
    return _IMPORT_PACE.get(dbname)


@contextmanager
def advisory_lock(env, namespace, key):
    """Hold a PostgreSQL advisory lock for the block; yields False when another process
    holds it. Transaction-level, in a cursor of its own: the work under it commits its
    progress many times, and a killed process releases it with its connection."""
    query = "SELECT pg_try_advisory_xact_lock(%s, %s)"
    if registry_in_test_mode(env.registry):
        # Odoo's HTTP tests serve every request from one transaction, through savepoints
        # that a cursor of our own would break: the lock goes with that transaction.
        env.cr.execute(query, (namespace, key))
        yield env.cr.fetchone()[0]
        return
    with env.registry.cursor() as lock_cr:
        lock_cr.execute(query, (namespace, key))
        yield lock_cr.fetchone()[0]
