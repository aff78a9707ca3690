"""CODA parser: bytes in, one Statement per logical file out.

Structural problems (the file cannot be read reliably) raise CodaError with the line and
record; consistency problems (balances, trailer totals, check digits, globalisations) become
readable warnings on the statement, because real bank and test files routinely have them.
The main loop is written for speed: fixed slices, one digit test per record, cached dates
and transaction codes, no exception on the normal path.
"""

import gc
import re
from datetime import date
from decimal import Decimal

from .model import (
    CodaError,
    CodaWarning,
    FreeCommunication,
    Information,
    Movement,
    Statement,
    TransactionCode,
)
from .structured import decode as decode_structured
from .structured import format_amount, iso_check_digits, mod97_is_valid, ogm_is_valid

_SNIFF = re.compile(rb"(?:\xef\xbb\xbf)?(?:[ \t]*\r?\n)*0{5}\d{9}05[ D] {7}")
_HEADER = re.compile(r"0{5}\d{9}05[ D] {7}")
_ASCII = bytes(range(128))
_ACCENTED = frozenset("àâäáãåçéèêëíìîïñóòôöõúùûüýÿæœßÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝÆŒ")
_MISSING = object()
_ZERO = Decimal("0.000")

# Numeric fields checked when a record's combined digit test fails: (name, start, end).
_NUMERIC = {
    "0": (("creation date", 5, 11),),
    "1": (
        ("paper statement number", 2, 5),
        ("old balance sign", 42, 43),
        ("old balance", 43, 58),
        ("old balance date", 58, 64),
        ("CODA sequence number", 125, 128),
    ),
    "21": (
        ("sequence number", 2, 6),
        ("detail number", 6, 10),
        ("sign", 31, 32),
        ("amount", 32, 47),
        ("value date", 47, 53),
        ("transaction code", 53, 61),
        ("communication type", 61, 62),
        ("entry date", 115, 121),
        ("paper statement number", 121, 124),
        ("globalisation code", 124, 125),
    ),
    "31": (
        ("sequence number", 2, 6),
        ("detail number", 6, 10),
        ("transaction code", 31, 39),
        ("communication type", 39, 40),
    ),
    "8": (
        ("paper statement number", 1, 4),
        ("new balance sign", 41, 42),
        ("new balance", 42, 57),
        ("new balance date", 57, 63),
    ),
    "4": (("sequence number", 2, 6), ("detail number", 6, 10)),
    "9": (("record count", 16, 22), ("total debit", 22, 37), ("total credit", 37, 52)),
}


def is_coda(data: bytes) -> bool:
    """Cheap sniff of the header record, as both reference parsers do."""
    return _SNIFF.match(data) is not None


def decode_text(data: bytes) -> str:
    """UTF-8 when it decodes strictly, else the single-byte code page giving real letters.

    cp1252/latin-1 and cp850 disagree on every accented letter, so counting plausible
    accented letters (lower case weighs more) under each decoding tells them apart.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    high = data.translate(None, _ASCII)
    try:
        western_codec = "cp1252"
        western = high.decode(western_codec)
    except UnicodeDecodeError:
        western_codec = "latin-1"
        western = high.decode(western_codec)
    if _letter_score(high.decode("cp850")) > _letter_score(western):
        return data.decode("cp850")
    return data.decode(western_codec)


def _letter_score(text: str) -> int:
    return sum(2 if char.islower() else 1 for char in text if char in _ACCENTED)


def _record_id(line: str) -> str:
    return line[:2] if line[:1] in ("2", "3") else line[:1]


def _account(field: str, structure: int) -> tuple[str, str]:
    """Account number and currency from the 37-position account zone of record 1 or 8."""
    if structure == 0:
        return field[0:12].strip(), field[13:16].strip()
    if structure == 2:
        return field[0:31].strip(), field[34:37].strip()
    return field[0:34].strip(), field[34:37].strip()


def bban_to_iban(bban: str) -> str:
    """Belgian 12-digit account number to its IBAN."""
    return f"BE{iso_check_digits(bban, 'BE')}{bban}"


def parse(data: bytes) -> list[Statement]:
    """Parse a physical CODA file into its statements (one per logical file).

    The objects built hold no reference cycles, so the cyclic garbage collector is paused
    meanwhile: its passes over the growing result would cost more than the parsing.
    """
    text = decode_text(bytes(data))
    if not gc.isenabled():
        return _Parser(text).run()
    gc.disable()
    try:
        return _Parser(text).run()
    finally:
        gc.enable()


class _Parser:
    def __init__(self, text: str):
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        self.dates: dict[str, object] = {}
        self.codes: dict[str, TransactionCode] = {}
        self.ibans: dict[str, bool] = {}  # counterparty account -> check digits are right
        self.statements: list[Statement] = []

    # -- errors and small decoders (off the hot path) -------------------------------------------

    def _numeric_error(self, line: str, lineno: int, record: str) -> CodaError:
        for name, start, end in _NUMERIC[record]:
            value = line[start:end]
            if not value.isdecimal():
                return CodaError.of("not_numeric", lineno, record, field=name, value=value)
        raise AssertionError(record)  # only called after a failed digit test

    def _date(self, text: str, lineno: int, record: str, name: str) -> date | None:
        value = self.dates.get(text, _MISSING)
        if value is _MISSING:
            value = None
            if text != "000000":
                day, month, year = int(text[0:2]), int(text[2:4]), int(text[4:6])
                try:
                    value = date(year + (2000 if year < 70 else 1900), month, day)
                except ValueError:
                    raise CodaError.of(
                        "invalid_date", lineno, record, field=name, value=text
                    ) from None
            self.dates[text] = value
        return value

    def _code(self, text: str) -> TransactionCode:
        code = self.codes.get(text)
        if code is None:
            code = TransactionCode(int(text[0]), text[1:3], text[3:5], text[5:8])
            self.codes[text] = code
        return code

    def _sign(self, char: str, lineno: int, record: str, name: str) -> bool:
        if char not in ("0", "1"):
            raise CodaError.of("invalid_sign", lineno, record, field=name, value=char)
        return char == "1"

    # -- main loop -------------------------------------------------------------------------------

    def run(self) -> list[Statement]:
        lines = self.lines
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None or not _HEADER.match(lines[first]):
            raise CodaError.of("not_coda", (first or 0) + 1)
        dates_get = self.dates.get
        codes_get = self.codes.get
        stage = 0  # 0 outside a statement, 1 after record 0, 2 movements, 3 after record 8
        prev = ""
        mv = None  # the current movement, its key (sequence + detail) and its 2x records
        mv_key = ""
        mv_lines: list[str] = []
        info = None  # the current information record, its key and its 3x records
        info_key = ""
        info_lines: list[str] = []
        lineno = 0
        records = 0  # records 1, 2x, 3x and 8 of the current statement, checked by record 9
        for lineno, line in enumerate(lines, 1):
            if len(line) != 128:
                if not line.strip():
                    continue
                if line[0] == "9" and 52 <= len(line) < 128:
                    line = line.ljust(128)  # real files truncate the trailer's blank tail
                else:
                    raise CodaError.of("line_length", lineno, _record_id(line), length=len(line))
            rec = line[0]
            if rec == "2":
                kind = line[1]
                if kind == "1":
                    if stage != 2:
                        self._out_of_order(line, lineno, stage)
                    numbers = line[2:10] + line[31:62] + line[115:125]
                    if not numbers.isdecimal():
                        raise self._numeric_error(line, lineno, "21")
                    if info is not None:
                        self._finish_information(info, info_lines, mv)
                        info = None
                    if mv is not None:
                        self._finish_movement(mv, mv_lines)
                    sign = line[31]
                    if sign == "0":
                        amount = Decimal(line[32:44] + "." + line[44:47])
                    elif sign == "1":
                        amount = Decimal("-" + line[32:44] + "." + line[44:47])
                    else:
                        raise CodaError.of("invalid_sign", lineno, "21", field="sign", value=sign)
                    text = line[47:53]
                    value_date = dates_get(text, _MISSING)
                    if value_date is _MISSING:
                        value_date = self._date(text, lineno, "21", "value date")
                    text = line[115:121]
                    entry_date = dates_get(text, _MISSING)
                    if entry_date is _MISSING:
                        entry_date = self._date(text, lineno, "21", "entry date")
                    text = line[53:61]
                    mv_key = line[2:10]
                    mv = Movement(  # positional: noticeably faster than keywords here
                        int(line[2:6]),  # sequence
                        int(line[6:10]),  # detail
                        amount,
                        codes_get(text) or self._code(text),  # transaction_code
                        lineno,  # line_number
                        line[10:31].strip(),  # bank_reference
                        value_date,
                        entry_date,
                        int(line[124]),  # globalisation_code
                    )
                    mv_lines = [line]
                    self._place(mv, mv_key, lineno)
                    records += 1
                    prev = "21"
                elif kind == "2":
                    if prev != "21" or line[2:10] != mv_key:
                        self._bad_continuation(line, lineno, prev, ("21",), mv_key)
                    reference = line[63:98].strip()
                    mv.customer_reference = "" if reference == "NOTPROVIDED" else reference
                    mv.counterparty_bic = line[98:109].strip()
                    mv.r_transaction_type = line[112].strip()
                    mv.reason_code = line[113:117].strip()
                    mv.category_purpose = line[117:121].strip()
                    mv.purpose = line[121:125].strip()
                    mv_lines.append(line)
                    records += 1
                    prev = "22"
                elif kind == "3":
                    if (prev != "21" and prev != "22") or line[2:10] != mv_key:
                        self._bad_continuation(line, lineno, prev, ("21", "22"), mv_key)
                    if self.version == 1:
                        mv.counterparty_account = line[10:22].strip()
                        mv.counterparty_name = line[47:73].strip()
                        mv.counterparty_address = " ".join(line[73:125].split())
                    else:
                        if line[22] == " ":
                            mv.counterparty_account = line[10:22].strip()
                            currency = line[23:26].strip() or line[44:47].strip()
                        else:
                            mv.counterparty_account = line[10:44].strip()
                            currency = line[44:47].strip()
                        mv.counterparty_currency = currency
                        mv.counterparty_name = line[47:82].strip()
                    mv_lines.append(line)
                    records += 1
                    prev = "23"
                else:
                    raise CodaError.of("unknown_record", lineno, line[:2], type=line[:2])
            elif rec == "3":
                kind = line[1]
                if kind == "1":
                    if stage != 2 or not prev or prev == "1" or line[2:6] != mv_key[:4]:
                        self._bad_information(line, lineno, stage, prev, mv_key)
                    numbers = line[2:10] + line[31:40]
                    if not numbers.isdecimal():
                        raise self._numeric_error(line, lineno, "31")
                    if info is not None:
                        self._finish_information(info, info_lines, mv)
                    text = line[31:39]
                    info = Information(
                        sequence=int(line[2:6]),
                        detail=int(line[6:10]),
                        transaction_code=codes_get(text) or self._code(text),
                        communication="",
                        structured_communication=None,
                        line_number=lineno,
                    )
                    mv.information.append(info)
                    info_key = line[2:10]
                    info_lines = [line]
                    self.last_detail = info.detail
                    records += 1
                    prev = "31"
                elif kind == "2" or kind == "3":
                    expected = ("31",) if kind == "2" else ("31", "32")
                    if prev not in expected or line[2:10] != info_key:
                        key = info_key if prev in expected else ""
                        self._bad_continuation(line, lineno, prev, expected, key)
                    info_lines.append(line)
                    records += 1
                    prev = "3" + kind
                else:
                    raise CodaError.of("unknown_record", lineno, line[:2], type=line[:2])
            elif rec == "0":
                if stage != 0:
                    raise CodaError.of(
                        "no_trailer", lineno, "0", first_line=self.statement.first_line
                    )
                self._header(line, lineno)
                stage = 1
                prev = ""
                mv = None
                mv_key = ""
                records = 0
            elif rec == "1":
                if stage != 1:
                    self._out_of_order(line, lineno, stage)
                self._old_balance(line, lineno)
                stage = 2
                records += 1
                prev = "1"
            elif rec == "8":
                if stage != 2:
                    self._out_of_order(line, lineno, stage)
                if info is not None:
                    self._finish_information(info, info_lines, mv)
                    info = None
                if mv is not None:
                    self._finish_movement(mv, mv_lines)
                    mv = None
                self._new_balance(line, lineno)
                stage = 3
                records += 1
                prev = "8"
            elif rec == "4":
                if stage != 2 and stage != 3:
                    self._out_of_order(line, lineno, stage)
                self._free_communication(line, lineno, stage)
            elif rec == "9":
                if stage != 3 and not (stage == 2 and mv is None):
                    self._out_of_order(line, lineno, stage)
                self._trailer(line, lineno, stage, records)
                stage = 0
            else:
                raise CodaError.of("unknown_record", lineno, rec, type=rec)
        if stage != 0:
            while not lines[lineno - 1].strip():
                lineno -= 1
            raise CodaError.of("truncated", lineno, first_line=self.statement.first_line)
        return self.statements

    def _out_of_order(self, line: str, lineno: int, stage: int):
        record = _record_id(line)
        code = ("expected_header", "expected_old_balance", "expected_movement", "expected_trailer")
        raise CodaError.of(code[stage], lineno, record, type=record)

    def _bad_continuation(self, line, lineno, prev, expected, key):
        record = line[:2]
        if prev not in expected:
            code = "continuation_after" if prev else "continuation_first"
            params = {"previous": prev} if prev else {}
            raise CodaError.of(code, lineno, record, type=record, expected=expected, **params)
        raise CodaError.of(
            "continuation_number",
            lineno,
            record,
            sequence=line[2:6],
            detail=line[6:10],
            previous_type=f"{prev[0]}1",
            expected_sequence=key[:4],
            expected_detail=key[4:],
        )

    def _bad_information(self, line, lineno, stage, prev, mv_key):
        if stage != 2:
            self._out_of_order(line, lineno, stage)
        if not prev or prev == "1":
            raise CodaError.of("information_first", lineno, "31")
        raise CodaError.of(
            "information_number", lineno, "31", sequence=line[2:6], expected=mv_key[:4]
        )

    # -- records 0, 1, 8, 4, 9 -------------------------------------------------------------------

    def _header(self, line: str, lineno: int):
        if not line[5:11].isdecimal():
            raise self._numeric_error(line, lineno, "0")
        if line[14:16] != "05":
            raise CodaError.of("application_code", lineno, "0", value=line[14:16])
        version = line[127]
        if version not in ("1", "2"):
            raise CodaError.of("version", lineno, "0", value=version)
        creation_date = self._date(line[5:11], lineno, "0", "creation date")
        if creation_date is None:
            raise CodaError.of("no_creation_date", lineno, "0")
        company = line[71:82].strip()
        if len(company) == 11 and company[0] == "0":
            company = company[1:]
        self.version = int(version)
        self.last_detail = 0
        self.statement = Statement(
            creation_date=creation_date,
            account_number="",
            currency="",
            old_balance=_ZERO,
            new_balance=_ZERO,
            version=self.version,
            bank_id=line[11:14],
            duplicate=line[16] == "D",
            file_reference=line[24:34].strip(),
            addressee_name=line[34:60].strip(),
            bic=line[60:71].strip(),
            company_number=company,
            separate_application=line[83:88].strip(),
            transaction_reference=line[88:104].strip(),
            related_reference=line[104:120].strip(),
            first_line=lineno,
        )
        self.statements.append(self.statement)
        self.group_sequence = None
        self.root = None
        self.stack = []

    def _old_balance(self, line: str, lineno: int):
        st = self.statement
        numbers = line[2:5] + line[42:64] + line[125:128]
        if not numbers.isdecimal():
            raise self._numeric_error(line, lineno, "1")
        if self.version == 1:
            structure = 0
        elif line[1] in ("0", "1", "2", "3"):
            structure = int(line[1])
        else:
            raise CodaError.of("account_structure", lineno, "1", value=line[1])
        st.account_structure = structure
        st.account_number, st.currency = _account(line[5:42], structure)
        st.iban = self._iban(st.account_number, structure, lineno)
        negative = self._sign(line[42], lineno, "1", "old balance sign")
        st.old_balance = Decimal(("-" if negative else "") + line[43:55] + "." + line[55:58])
        st.old_balance_date = self._date(line[58:64], lineno, "1", "old balance date")
        st.holder_name = line[64:90].strip()
        st.account_description = line[90:125].strip()
        st.paper_sequence = int(line[2:5])
        st.coda_sequence = int(line[125:128])

    def _iban(self, account: str, structure: int, lineno: int) -> str | None:
        warnings = self.statement.warnings
        if structure == 1:
            return None
        if structure == 0:
            if len(account) != 12 or not account.isdecimal():
                warnings.append(CodaWarning("account_not_belgian", lineno, account=account))
                return None
            if not ogm_is_valid(account):
                warnings.append(CodaWarning("account_check_digits", lineno, account=account))
            return bban_to_iban(account)
        iban = account.replace(" ", "")
        if not mod97_is_valid(iban):
            warnings.append(CodaWarning("iban_check_digits", lineno, iban=iban))
        return iban

    def _new_balance(self, line: str, lineno: int):
        st = self.statement
        numbers = line[1:4] + line[41:63]
        if not numbers.isdecimal():
            raise self._numeric_error(line, lineno, "8")
        self._finish_group()
        negative = self._sign(line[41], lineno, "8", "new balance sign")
        st.new_balance = Decimal(("-" if negative else "") + line[42:54] + "." + line[54:57])
        st.new_balance_date = self._date(line[57:63], lineno, "8", "new balance date")
        self.new_balance_line = lineno
        account, currency = _account(line[4:41], st.account_structure)
        if (account, currency) != (st.account_number, st.currency):
            st.warnings.append(
                CodaWarning(
                    "balance_account",
                    lineno,
                    account=account,
                    currency=currency,
                    old_account=st.account_number,
                    old_currency=st.currency,
                )
            )

    def _free_communication(self, line: str, lineno: int, stage: int):
        if not (line[2:10]).isdecimal():
            raise self._numeric_error(line, lineno, "4")
        st = self.statement
        if stage == 2:
            st.warnings.append(CodaWarning("free_communication_early", lineno))
        sequence = int(line[2:6])
        text = line[32:112].rstrip()
        frees = st.free_communications
        if frees and frees[-1].sequence == sequence:
            frees[-1].text += "\n" + text
        else:
            frees.append(FreeCommunication(sequence=sequence, text=text))

    def _trailer(self, line: str, lineno: int, stage: int, records: int):
        st = self.statement
        if not line[16:52].isdecimal():
            raise self._numeric_error(line, lineno, "9")
        if stage == 2:  # empty file: records 0, 1, 9
            st.new_balance = st.old_balance
            st.new_balance_date = st.old_balance_date
        st.last_line = lineno
        warnings = st.warnings
        debit = credit = _ZERO
        for mv in st.movements:
            if mv.depth == 0:
                if mv.amount < 0:
                    debit -= mv.amount
                else:
                    credit += mv.amount
        balance = st.old_balance + credit - debit
        if stage == 3 and balance != st.new_balance:
            warnings.append(
                CodaWarning(
                    "balance",
                    self.new_balance_line,
                    old_balance=format_amount(st.old_balance),
                    movements=format_amount(credit - debit),
                    balance=format_amount(balance),
                    new_balance=format_amount(st.new_balance),
                )
            )
        stated_records = int(line[16:22])
        if stated_records != records:
            warnings.append(
                CodaWarning("record_count", lineno, stated=stated_records, counted=records)
            )
        for code, start, total in (("total_debit", 22, debit), ("total_credit", 37, credit)):
            stated = Decimal(line[start : start + 12] + "." + line[start + 12 : start + 15])
            if stated != total:
                warnings.append(
                    CodaWarning(
                        code,
                        lineno,
                        stated=format_amount(stated),
                        total=format_amount(total),
                    )
                )

    # -- movements, information records and globalisations --------------------------------------

    def _place(self, mv: Movement, key: str, lineno: int):
        """Set the depth of a new 2.1 movement and track the globalisation it belongs to.

        A detail shares the sequence number of its total and has a detail number above 0000
        (the trailer and balance rules rely on that too), so a type 1/2/3 total that no detail
        follows stays a plain movement. Inside a globalisation, a detail repeating an open
        level's globalisation code closes that level, a higher code opens a nested level, and
        a type 7 detail opens a level for the type 9 details that follow it.
        """
        self.statement.movements.append(mv)
        detail = mv.detail
        if key[:4] != self.group_sequence or (detail == 0 and self.last_detail != 9999):
            if self.stack:
                self._finish_group()
            self.group_sequence = key[:4]
            self.last_detail = detail
            self.root = mv
            if detail != 0:
                self._orphan(mv, lineno)
            return
        self.last_detail = detail
        stack = self.stack
        if not stack:
            if self.root is None:
                self._orphan(mv, lineno)
                return
            stack.append(_Level(self.root, self.root.globalisation_code))
        code = mv.globalisation_code
        kind = mv.transaction_code.type
        while len(stack) > 1 and (
            (stack[-1].code == 0 and kind != 9) or (code and code < stack[-1].code)
        ):
            self._check_level(stack.pop())
        level = stack[-1]
        level.movement.has_details = True
        level.total += mv.amount
        mv.depth = len(stack)
        if code and level.code:
            if code == level.code:
                level.closed = True
                if len(stack) > 1:
                    self._check_level(stack.pop())
            elif code > level.code:
                stack.append(_Level(mv, code))
        elif kind == 7:
            stack.append(_Level(mv, code))

    def _orphan(self, mv: Movement, lineno: int):
        mv.depth = 1
        self.root = None
        if self.statement.separate_application.strip("0"):
            return  # a separate application carries details whose total is in the main file
        self.statement.warnings.append(
            CodaWarning(
                "orphan_detail", lineno, sequence=f"{mv.sequence:04d}", detail=f"{mv.detail:04d}"
            )
        )

    def _check_level(self, level: "_Level"):
        mv = level.movement
        if not mv.has_details:
            return
        warnings = self.statement.warnings
        if level.total != mv.amount:
            warnings.append(
                CodaWarning(
                    "details_total",
                    mv.line_number,
                    sequence=f"{mv.sequence:04d}",
                    detail=f"{mv.detail:04d}",
                    total=format_amount(level.total),
                    amount=format_amount(mv.amount),
                )
            )
        if level.code and not level.closed:
            warnings.append(
                CodaWarning(
                    "globalisation_open",
                    mv.line_number,
                    sequence=f"{mv.sequence:04d}",
                    detail=f"{mv.detail:04d}",
                    globalisation_code=level.code,
                )
            )

    def _finish_group(self):
        for level in reversed(self.stack):
            self._check_level(level)
        self.stack = []

    def _finish_movement(self, mv: Movement, lines: list[str]):
        """Join the communication of the 2.1/2.2/2.3 records: positional, spaces kept."""
        first = lines[0]
        text = first[62:115]
        if len(lines) > 1:
            middle = end = ""
            for line in lines[1:]:
                if line[1] == "2":
                    middle = line[10:63]
                elif self.version != 1:
                    end = line[82:125]
            text += (middle or " " * 53) + end if end else middle
        mv.record_text = "".join(lines)
        if first[61] == "1":
            sc = decode_structured(text[:3], text[3:])
            mv.structured_communication = sc
            mv.communication = sc.display
            if not sc.is_valid:
                self._bad_check_digits(sc.display, mv.line_number)
        else:
            mv.communication = " ".join(text.split())
        account = mv.counterparty_account
        if account and account[0].isalpha():
            valid = self.ibans.get(account)
            if valid is None:
                valid = self.ibans[account] = not (
                    account[:2].isalpha() and account[2:4].isdecimal()
                ) or mod97_is_valid(account)
            if not valid:
                self.statement.warnings.append(
                    CodaWarning("counterparty_check_digits", mv.line_number, account=account)
                )

    def _finish_information(self, info: Information, lines: list[str], mv: Movement):
        first = lines[0]
        text = first[40:113]
        if len(lines) > 1:
            middle = end = ""
            for line in lines[1:]:
                if line[1] == "2":
                    middle = line[10:115]
                else:
                    end = line[10:100]
            text += (middle or " " * 105) + end if end else middle
        if first[39] != "1":
            info.communication = " ".join(text.split())
            return
        sc = decode_structured(text[:3], text[3:])
        info.structured_communication = sc
        info.communication = sc.display
        if not sc.is_valid:
            self._bad_check_digits(sc.display, info.line_number)
        if sc.type == "001":
            fields = sc.fields
            if not mv.counterparty_address:
                mv.counterparty_address = ", ".join(
                    filter(None, (fields["street"], fields["locality"]))
                )
            if not mv.counterparty_name:
                mv.counterparty_name = fields["name"]

    def _bad_check_digits(self, display: str, lineno: int):
        self.statement.warnings.append(
            CodaWarning("communication_check_digits", lineno, communication=display)
        )


class _Level:
    """An open globalisation level: its total, code and the running sum of its details."""

    __slots__ = ("closed", "code", "movement", "total")

    def __init__(self, movement: Movement, code: int):
        self.movement = movement
        self.code = code
        self.total = _ZERO
        self.closed = False
