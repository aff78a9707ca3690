"""Plain data classes produced by the SODA parser and consumed by the writer (dev/codagen)."""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .messages import ERRORS, english


class SodaError(ValueError):
    """The bytes are not a SODA file that can be read reliably; nothing of them may be used.

    ``code`` and ``params`` say what is wrong (see :mod:`.messages`), for an application to
    word it in its user's language; ``message`` and ``str()`` are its English wording.
    """

    def __init__(self, message: str, *, code: str, params: dict | None = None):
        self.message = message
        self.code = code
        self.params = params or {}
        super().__init__(message)

    @classmethod
    def of(cls, code: str, **params):
        """The error ``code`` of :data:`.messages.ERRORS`, worded in English from ``params``."""
        assert code in ERRORS, code
        return cls(english(code, params), code=code, params=params)


@dataclass(slots=True, frozen=True)
class SodaLine:
    """One TransactionLine: an amount on a social account code (not yet an Odoo account:
    the caller maps the code). ``debit`` and ``credit`` are never negative; a line may have
    both, or neither."""

    account: str
    label: str
    debit: Decimal
    credit: Decimal
    social_period: str | None = None


@dataclass(slots=True, frozen=True)
class SodaDocument:
    """One SODA file: the social secretariat's payroll entry of a company for one month.

    ``source``, ``sequence_number`` and ``accounting_period`` together name the document
    (what recognises one delivered twice); ``enterprise_number`` is normalised to 10 digits so
    that it compares with a company's.
    """

    source: str
    version: str | None
    sequence_number: str
    generated: date
    enterprise_number: str
    enterprise_label: str
    accounting_period: str  # "YYYYMM"
    lines: tuple[SodaLine, ...]

    @property
    def period_start(self) -> date:
        """The first day of the accounting period."""
        return date(int(self.accounting_period[:4]), int(self.accounting_period[4:]), 1)

    @property
    def period_end(self) -> date:
        """The last day of the accounting period: the natural date of a payroll entry."""
        year, month = int(self.accounting_period[:4]), int(self.accounting_period[4:])
        return date(year, month, calendar.monthrange(year, month)[1])

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal(0))

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), Decimal(0))

    @property
    def is_balanced(self) -> bool:
        """Debit equals credit exactly: the only kind of entry an accounting may book."""
        return self.total_debit == self.total_credit
