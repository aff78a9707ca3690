"""Plain data classes produced by the parser and consumed by the writer."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .codes import transaction_label
from .messages import ERRORS, WARNINGS, english


class CodaError(ValueError):
    """A structural error: the file is not CODA or cannot be read reliably.

    ``line_number`` and ``record`` locate the problem so that a user can open the file and see it.
    ``code`` and ``params`` say what it is (see :mod:`.messages`), for an application to word it
    in its user's language; ``message`` and ``str()`` are its English wording.
    """

    def __init__(
        self,
        message: str,
        line_number: int | None = None,
        record: str | None = None,
        *,
        code: str | None = None,
        params: dict | None = None,
    ):
        self.message = message
        self.line_number = line_number
        self.record = record
        self.code = code
        self.params = params or {}
        where = []
        if line_number is not None:
            where.append(f"line {line_number}")
        if record:
            where.append(f"record {record}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    @classmethod
    def of(cls, code: str, line_number: int | None = None, record: str | None = None, **params):
        """The error ``code`` of :data:`.messages.ERRORS`, worded in English from ``params``."""
        return cls(english(ERRORS, code, params), line_number, record, code=code, params=params)


class CodaWarning(str):
    """A consistency problem of a statement (``Statement.warnings``): a ``str``, its English
    wording ("line 12: ..."), that also carries its ``code`` (see :data:`.messages.WARNINGS`)
    and its ``params``, ``line`` among them, for an application to word it in its user's
    language."""

    code: str
    params: dict

    def __new__(cls, code: str, line: int, **params):
        params = {"line": line, **params}
        self = super().__new__(cls, f"line {line}: {english(WARNINGS, code, params)}")
        self.code = code
        self.params = params
        return self

    def __reduce__(self):
        params = dict(self.params)
        return _warning, (self.code, params.pop("line"), params)


def _warning(code, line, params):
    return CodaWarning(code, line, **params)


@dataclass(slots=True, frozen=True)
class TransactionCode:
    """The 8-digit transaction code: type, family, operation (transaction) and category."""

    type: int
    family: str
    operation: str
    category: str

    @property
    def code(self) -> str:
        return f"{self.type}{self.family}{self.operation}{self.category}"

    @property
    def label(self) -> str:
        return transaction_label(self.family, self.operation, self.category)


@dataclass(slots=True)
class StructuredCommunication:
    """A typed communication: ``fields`` decoded from the positional ``raw`` content."""

    type: str
    raw: str
    fields: dict
    display: str
    is_valid: bool = True


@dataclass(slots=True)
class Information:
    """One information record (3.1, with its 3.2/3.3 continuations)."""

    sequence: int
    detail: int
    transaction_code: TransactionCode
    communication: str
    structured_communication: StructuredCommunication | None
    line_number: int


@dataclass(slots=True)
class FreeCommunication:
    """Record 4 lines sharing a sequence number, joined with newlines."""

    sequence: int
    text: str


@dataclass(slots=True)
class Movement:
    """One 2.1 record with its 2.2/2.3 continuations and information records."""

    sequence: int
    detail: int
    amount: Decimal
    transaction_code: TransactionCode
    line_number: int = 0
    bank_reference: str = ""
    value_date: date | None = None
    entry_date: date | None = None
    globalisation_code: int = 0
    depth: int = 0
    has_details: bool = False
    communication: str = ""
    structured_communication: StructuredCommunication | None = None
    counterparty_name: str = ""
    counterparty_account: str = ""
    counterparty_currency: str = ""
    counterparty_bic: str = ""
    counterparty_address: str = ""
    customer_reference: str = ""
    category_purpose: str = ""
    purpose: str = ""
    r_transaction_type: str = ""
    reason_code: str = ""
    information: list[Information] = field(default_factory=list)
    record_text: str = ""


@dataclass(slots=True)
class Statement:
    """One logical CODA file: one account's statement, from record 0 to record 9."""

    creation_date: date
    account_number: str
    currency: str
    old_balance: Decimal
    new_balance: Decimal
    version: int = 2
    bank_id: str = ""
    duplicate: bool = False
    file_reference: str = ""
    addressee_name: str = ""
    bic: str = ""
    company_number: str = ""
    separate_application: str = ""
    transaction_reference: str = ""
    related_reference: str = ""
    account_structure: int = 2
    iban: str | None = None
    holder_name: str = ""
    account_description: str = ""
    old_balance_date: date | None = None
    new_balance_date: date | None = None
    paper_sequence: int = 0
    coda_sequence: int = 0
    movements: list[Movement] = field(default_factory=list)
    free_communications: list[FreeCommunication] = field(default_factory=list)
    warnings: list["CodaWarning"] = field(default_factory=list)
    first_line: int = 0
    last_line: int = 0

    @property
    def balance_movements(self) -> list[Movement]:
        """Movements that make up the balance (globalisation totals, not their details)."""
        return [m for m in self.movements if m.depth == 0]

    @property
    def detail_movements(self) -> list[Movement]:
        """The finest-grained movements: details instead of the totals that group them."""
        return [m for m in self.movements if not m.has_details]
