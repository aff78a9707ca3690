"""Serialise Statement objects back to CODA v2 bytes (cp1252, CRLF).

The writer trusts the sequence and detail numbers of the objects (so that a parsed file
comes back unchanged) and computes what a bank computes: next and link codes, the record 9
count and debit/credit totals, and the multiple-file code. Text longer than its zone is cut;
amounts with more than three decimals are refused rather than rounded.
"""

from datetime import date
from decimal import Decimal

from . import coda_parser

Information = coda_parser.Information
Movement = coda_parser.Movement
Statement = coda_parser.Statement


def write_coda(statements: list[Statement]) -> bytes:
    """One physical file holding ``statements`` as consecutive logical files."""
    lines: list[str] = []
    for index, statement in enumerate(statements):
        lines.extend(_statement(statement, last=index == len(statements) - 1))
    return "".join(line + "\r\n" for line in lines).encode("cp1252", errors="replace")


def _text(value: str | None, length: int) -> str:
    return (value or "")[:length].ljust(length)


def _number(value: int, length: int) -> str:
    return f"{value % 10**length:0{length}d}"


def _date(value: date | None) -> str:
    return value.strftime("%d%m%y") if value else "000000"


def _amount(value: Decimal) -> str:
    """Sign digit (0 credit, 1 debit) and 15 digits with 3 implied decimals."""
    thousandths = abs(value).scaleb(3)
    if thousandths != thousandths.to_integral_value():
        raise ValueError(f"amount {value} has more than 3 decimals")
    if thousandths >= 10**15:
        raise ValueError(f"amount {value} does not fit in 15 digits")
    return f"{1 if value < 0 else 0}{int(thousandths):015d}"


def _account_zone(structure: int, account: str, currency: str) -> str:
    """The 37 positions holding the account number and currency in records 1 and 8."""
    if structure == 0:
        return f"{_text(account, 12)} {_text(currency, 3)}0BE" + " " * 18
    if structure == 2:
        return f"{_text(account, 31)}   {_text(currency, 3)}"
    return f"{_text(account, 34)}{_text(currency, 3)}"


def _statement(st: Statement, last: bool) -> list[str]:
    company = st.company_number or ""
    if len(company) == 10:
        company = "0" + company
    lines = [
        "00000"
        + _date(st.creation_date)
        + (st.bank_id or "000")[:3].rjust(3, "0")
        + "05"
        + ("D" if st.duplicate else " ")
        + " " * 7
        + _text(st.file_reference, 10)
        + _text(st.addressee_name, 26)
        + _text(st.bic, 11)
        + _text(company, 11)
        + " "
        + _text(st.separate_application or "00000", 5)
        + _text(st.transaction_reference, 16)
        + _text(st.related_reference, 16)
        + " " * 7
        + "2"
    ]
    zone = _account_zone(st.account_structure, st.account_number, st.currency)
    lines.append(
        "1"
        + str(st.account_structure)
        + _number(st.paper_sequence, 3)
        + zone
        + _amount(st.old_balance)
        + _date(st.old_balance_date)
        + _text(st.holder_name, 26)
        + _text(st.account_description, 35)
        + _number(st.coda_sequence, 3)
    )
    debit = credit = Decimal(0)
    for mv in st.movements:
        lines.extend(_movement(mv, st.paper_sequence))
        if mv.detail == 0:
            if mv.amount < 0:
                debit -= mv.amount
            else:
                credit += mv.amount
    free_lines = []
    for free in st.free_communications:
        texts = [
            line[i : i + 80]
            for line in free.text.split("\n")
            for i in range(0, max(len(line), 1), 80)
        ]
        free_lines.extend((free.sequence, detail, text) for detail, text in enumerate(texts))
    lines.append(
        "8"
        + _number(st.paper_sequence, 3)
        + zone
        + _amount(st.new_balance)
        + _date(st.new_balance_date)
        + " " * 64
        + ("1" if free_lines else "0")
    )
    record_count = len(lines) - 1  # records 1, 2x, 3x and 8
    for index, (sequence, detail, text) in enumerate(free_lines):
        more = "1" if index < len(free_lines) - 1 else "0"
        lines.append(
            f"4 {_number(sequence, 4)}{_number(detail, 4)}{' ' * 22}{_text(text, 80)}"
            f"{' ' * 15}{more}"
        )
    lines.append(
        "9"
        + " " * 15
        + _number(record_count, 6)
        + _amount(debit)[1:]
        + _amount(credit)[1:]
        + " " * 75
        + ("2" if last else "1")
    )
    return lines


def _movement(mv: Movement, paper_sequence: int) -> list[str]:
    sc = mv.structured_communication
    communication = sc.type + sc.raw if sc else mv.communication
    chunks = (communication[0:53], communication[53:106], communication[106:149])
    key = _number(mv.sequence, 4) + _number(mv.detail, 4)
    need_22 = bool(
        chunks[1].strip()
        or mv.customer_reference
        or mv.counterparty_bic
        or mv.r_transaction_type
        or mv.reason_code
        or mv.category_purpose
        or mv.purpose
    )
    need_23 = bool(
        chunks[2].strip()
        or mv.counterparty_account
        or mv.counterparty_name
        or mv.counterparty_currency
    )
    info = "1" if mv.information else "0"
    lines = [
        "21"
        + key
        + _text(mv.bank_reference, 21)
        + _amount(mv.amount)
        + _date(mv.value_date)
        + mv.transaction_code.code
        + ("1" if sc else "0")
        + _text(chunks[0], 53)
        + _date(mv.entry_date)
        + _number(paper_sequence, 3)
        + str(mv.globalisation_code)
        + ("1" if need_22 or need_23 else "0")
        + " "
        + (info if not (need_22 or need_23) else "0")
    ]
    if need_22:
        lines.append(
            "22"
            + key
            + _text(chunks[1], 53)
            + _text(mv.customer_reference, 35)
            + _text(mv.counterparty_bic, 11)
            + "   "
            + _text(mv.r_transaction_type, 1)
            + _text(mv.reason_code, 4)
            + _text(mv.category_purpose, 4)
            + _text(mv.purpose, 4)
            + ("1" if need_23 else "0")
            + " "
            + (info if not need_23 else "0")
        )
    if need_23:
        account, currency = mv.counterparty_account, mv.counterparty_currency
        if len(account) <= 12:
            zone = f"{_text(account, 12)} {_text(currency, 3)}" + " " * 21
        else:
            zone = _text(account, 34) + _text(currency, 3)
        lines.append(
            "23" + key + zone + _text(mv.counterparty_name, 35) + _text(chunks[2], 43) + "0 " + info
        )
    for index, information in enumerate(mv.information):
        more = "1" if index < len(mv.information) - 1 else "0"
        lines.extend(_information(information, mv.bank_reference, more))
    return lines


def _information(info: Information, bank_reference: str, more: str) -> list[str]:
    sc = info.structured_communication
    communication = sc.type + sc.raw if sc else info.communication
    chunks = (communication[0:73], communication[73:178], communication[178:268])
    key = _number(info.sequence, 4) + _number(info.detail, 4)
    need_33 = bool(chunks[2].strip())
    need_32 = need_33 or bool(chunks[1].strip())
    lines = [
        "31"
        + key
        + _text(bank_reference, 21)
        + info.transaction_code.code
        + ("1" if sc else "0")
        + _text(chunks[0], 73)
        + " " * 12
        + ("1" if need_32 else "0")
        + " "
        + ("0" if need_32 else more)
    ]
    if need_32:
        lines.append(
            "32"
            + key
            + _text(chunks[1], 105)
            + " " * 10
            + ("1" if need_33 else "0")
            + " "
            + ("0" if need_33 else more)
        )
    if need_33:
        lines.append("33" + key + _text(chunks[2], 90) + " " * 25 + "0 " + more)
    return lines
