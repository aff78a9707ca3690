"""Breaks in the chain of one account's statements (see the package's docstring)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any


@dataclass(frozen=True)
class Link:
    """One statement of the account, as the caller knows it.

    ``key`` is the caller's (a record id); ``number`` the statement's number within its
    ``year`` (a bank restarts at 1 each year, or goes on numbering: both are understood).
    """

    key: Any
    date: date
    year: int
    number: int
    old_balance: Decimal
    new_balance: Decimal

    @property
    def order(self):
        return (self.date, self.year, self.number)


@dataclass(frozen=True)
class Break:
    """Where the chain breaks, between ``before`` and ``after`` (consecutive statements).

    ``missing``: the numbers of the statements missing in between, as (year, number), empty
    for a balance break alone; ``balance_from``/``balance_to``: the previous statement's new
    balance and the next one's old balance (equal when only numbers are missing).
    """

    before: Link
    after: Link
    missing: tuple[tuple[int, int], ...]

    @property
    def balance_from(self):
        return self.before.new_balance

    @property
    def balance_to(self):
        return self.after.old_balance

    @property
    def balance_breaks(self):
        return self.balance_from != self.balance_to

    @property
    def kind(self):
        """``missing`` (statements missing) or ``balance`` (the balances do not follow on)."""
        return "missing" if self.missing else "balance"


# A bank that restarts its numbers in a new year gives the year's first statement a small
# number; one that goes on numbering gives the next one. Anything else is a gap.
def _missing_between(before, after):
    """The (year, number) pairs missing between two consecutive statements."""
    if after.year == before.year:
        return tuple((after.year, n) for n in range(before.number + 1, after.number))
    if after.number == before.number + 1:  # numbered on across the new year
        return ()
    # Restarted at 1 in the new year: the numbers before the new one are missing. Whether
    # the old year had statements after ``before`` cannot be known from numbers alone: the
    # balances tell (a balance break is named apart).
    return tuple((after.year, n) for n in range(1, after.number))


def find_breaks(links, max_missing=366):
    """The breaks of the chain, in the order of the chain.

    :param links: the account's statements (``Link``), in any order; statements with the
        same year and number (a corrected statement kept apart) must not be given twice
    :param max_missing: more missing numbers than this between two statements is a bank
        that numbers otherwise (not one statement a day): only their balances are compared
    """
    chain = sorted(links, key=lambda link: link.order)
    breaks = []
    for before, after in pairwise(chain):
        missing = _missing_between(before, after)
        if len(missing) > max_missing:
            missing = ()
        if missing or before.new_balance != after.old_balance:
            breaks.append(Break(before, after, missing))
    return breaks
