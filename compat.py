"""Where Odoo 18.0 and 19.0 differ for this addon, and only that: the one place of the Python
code that looks at Odoo's version. The XML data cannot import it: there, the eval context's
``version`` chooses the groups field of two server actions
(views/account_bank_statement_views.xml) and the parent of two menus (Configuration > Banks
on 18.0, which 19.0 no longer has), each with a comment.

The same code runs on both series (README: "Odoo 19.0"); every name here does on the running
series what the other does on the other one.
"""

import resource
import time

from odoo import release
from odoo.addons.base.models import ir_cron
from odoo.tools import config

ODOO_19 = release.version_info[0] >= 19

if ODOO_19:
    from odoo.fields import Domain
    from odoo.models import Constraint

    #: Odoo calls a cron job that reports work remaining again at once, at least this many
    #: times in a row, all within one worker's time limits.
    CRON_CALLS_IN_A_ROW = ir_cron.MIN_RUNS_PER_JOB
    #: The groups of a user, a server action, a menu (``res.users.group_ids`` since 19.0).
    GROUPS_FIELD = "group_ids"
    #: The accounts still in use: 19.0 archives an account where 18.0 deprecates it.
    ACCOUNT_IN_USE = [("active", "=", True)]
else:
    from odoo.osv import expression as Domain

    CRON_CALLS_IN_A_ROW = ir_cron.MAX_BATCH_PER_CRON_JOB
    GROUPS_FIELD = "groups_id"
    ACCOUNT_IN_USE = [("deprecated", "=", False)]

__all__ = [
    "ACCOUNT_IN_USE",
    "CRON_CALLS_IN_A_ROW",
    "GROUPS_FIELD",
    "ODOO_19",
    "Domain",
    "config_file",
    "database_under_test",
    "group_users",
    "notify_cron_progress",
    "registry_in_test_mode",
    "sql_constraints",
]


def sql_constraints(*constraints):
    """Class decorator: the model's SQL constraints, each ``(name, definition, message)``.

    18.0 reads them from ``_sql_constraints``; 19.0 warns about that attribute and wants a
    ``models.Constraint`` attribute ``_<name>`` each, made into the same database constraint
    (``<table>_<name>``) with the same translated message.
    """

    def decorate(cls):
        if not ODOO_19:
            cls._sql_constraints = list(constraints)
            return cls
        for name, definition, message in constraints:
            constraint = Constraint(definition, message)
            setattr(cls, f"_{name}", constraint)
            # Python names a class attribute's descriptor only when the class is made.
            constraint.__set_name__(cls, f"_{name}")
        return cls

    return decorate


def notify_cron_progress(cron, done, remaining, with_commit=True, budget=None):
    """Tell Odoo how far a call of the cron job got, so that it calls it again at once while
    ``remaining`` is not 0 (out of a cron run, nothing to tell).

    19.0 deprecates ``_notify_progress`` for ``_commit_progress``, which also commits: the
    callers have committed their work already when they run as the cron job
    (``with_commit``); without, the progress is only written, as 18.0 does.

    Odoo calls a job with work remaining again in the same unit of work of its worker, which
    must fit in the worker's limits: 18.0 at most ``CRON_CALLS_IN_A_ROW`` times, the calls'
    ``budget`` (seconds) being sized for that; 19.0 at least that many times and for at least
    ``MIN_TIME_PER_JOB`` seconds. A call that works longer than its budget (a slow machine,
    a fixed cost per call) would add up to more. So once the unit of work has spent half of
    the worker's CPU limit, or (19.0, which tells when it began) lasted
    ``CRON_CALLS_IN_A_ROW`` budgets (:func:`_unit_of_work_spent`), a call ends it (nothing
    remaining for it) and triggers the job at once, in a new one.
    """
    progress_id = cron.env.context.get("ir_cron_progress_id")
    if remaining and budget and progress_id and _unit_of_work_spent(cron, budget):
        cron._trigger()
        remaining = 0
    if not ODOO_19:
        cron._notify_progress(done=done, remaining=remaining)
        return
    if not progress_id:
        return
    if with_commit:
        cron._commit_progress(done, remaining=remaining)
    else:
        progress = cron.env["ir.cron.progress"].sudo().browse(progress_id)
        progress.write({"done": done, "remaining": remaining})


def _unit_of_work_spent(cron, budget):
    """Whether the unit of work running this call of ``cron`` has less than half of the
    worker's CPU limit left (the limit Odoo arms for each unit of work, ``RLIMIT_CPU``, with
    ``--workers``: it counts every call, whatever each one took), or, on 19.0, has lasted
    ``CRON_CALLS_IN_A_ROW`` calls' ``budget``."""
    if ODOO_19:
        started = cron.env.context.get("cron_end_time", float("inf")) - ir_cron.MIN_TIME_PER_JOB
        if time.monotonic() - started > CRON_CALLS_IN_A_ROW * budget:
            return True
    soft, _hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = config.get("limit_time_cpu") or 0
    if soft == resource.RLIM_INFINITY or limit <= 0:
        return False
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return soft - (usage.ru_utime + usage.ru_stime) < limit / 2


def database_under_test():
    """The database the tests run in, the first of Odoo's ``-d``: 19.0 holds ``db_name`` as a
    list, 18.0 as a comma-separated string."""
    names = config["db_name"]
    return (names if ODOO_19 else names.split(","))[0]


def config_file():
    """The path of the configuration file Odoo was started with: 19.0 holds it in
    ``config["config"]`` (its ``config.rcfile`` warns), 18.0 in ``config.rcfile``."""
    return config["config"] if ODOO_19 else config.rcfile


def group_users(group):
    """The group's users, those of the groups that imply it included (18.0's ``users``;
    19.0 keeps only the users put in the group itself in ``user_ids``)."""
    return group.all_user_ids if ODOO_19 else group.users


def registry_in_test_mode(registry):
    """Whether Odoo's HTTP tests hold the registry: every request then runs in the test's
    transaction, and a new cursor is a savepoint in it. 19.0 no longer says so itself: its
    tests replace the registry's ``cursor`` method by one of their own."""
    if not ODOO_19:
        return registry.in_test_mode()
    return "cursor" in vars(registry)
