"""Structured communications (Febelfin annex III): positional fields decoded by type code.

Real files carry masked, anonymised or simply wrong content in these fields, so decoding
never fails: a field that cannot be read becomes None and only check digits set ``is_valid``.
"""

from datetime import date
from decimal import Decimal

from .model import StructuredCommunication

# Field kinds: an int is a decimal scale (Decimal with that many decimals), "s" a stripped
# string, "n" a number kept as its digit string, "i" an int, "d" a DDMMYY date, "D" DDMMYYYY.
_S, _N, _I, _D, _D8 = "s", "n", "i", "d", "D"

LAYOUTS: dict[str, tuple[tuple[str, int, object], ...]] = {
    "100": (("reference", 25, _S),),
    "101": (("reference", 12, _N),),
    "102": (("reference", 12, _N),),
    "103": (("number", 12, _N),),
    "105": (
        ("gross_amount", 15, 3),
        ("gross_amount_original_currency", 15, 3),
        ("rate", 12, 8),
        ("currency", 3, _S),
        ("structured_communication", 12, _N),
        ("country", 2, _S),
        ("amount_eur", 15, 3),
    ),
    "106": (
        ("equivalent_amount", 15, 3),
        ("base_amount", 15, 3),
        ("percent", 12, 8),
        ("minimum", 1, _S),
        ("equivalent_eur", 15, 3),
    ),
    "107": (
        ("direct_debit_number", 12, _N),
        ("pivot_date", 6, _D),
        ("communication", 30, _S),
        ("paid_or_refused", 1, _S),
        ("creditor_number", 11, _N),
    ),
    "108": (
        ("equivalent_amount", 15, 3),
        ("basis_amount", 15, 3),
        ("interest_rate", 12, 8),
        ("period_start", 6, _D),
        ("period_end", 6, _D),
    ),
    "111": (
        ("card_scheme", 1, _S),
        ("pos_number", 6, _S),
        ("period_number", 3, _N),
        ("first_sequence", 6, _N),
        ("first_date", 6, _D),
        ("last_sequence", 6, _N),
        ("last_date", 6, _D),
        ("transaction_type", 1, _S),
        ("terminal_name", 16, _S),
        ("terminal_locality", 10, _S),
    ),
    "113": (
        ("card_number", 16, _S),
        ("card_scheme", 1, _S),
        ("terminal_number", 6, _S),
        ("transaction_sequence", 6, _N),
        ("transaction_date", 6, _D),
        ("transaction_time", 4, _N),
        ("transaction_type", 1, _S),
        ("terminal_name", 16, _S),
        ("terminal_locality", 10, _S),
        ("original_amount", 15, 3),
        ("rate", 12, 8),
        ("currency", 3, _S),
        ("volume", 5, 2),
        ("product_code", 2, _S),
        ("unit_price", 5, 3),
    ),
    "114": (
        ("card_scheme", 1, _S),
        ("pos_number", 6, _S),
        ("period_number", 3, _N),
        ("transaction_sequence", 6, _N),
        ("transaction_date", 6, _D),
        ("transaction_time", 4, _N),
        ("transaction_type", 1, _S),
        ("terminal_name", 16, _S),
        ("terminal_locality", 10, _S),
        ("transaction_reference", 16, _S),
    ),
    "115": (
        ("card_number", 16, _S),
        ("card_scheme", 1, _S),
        ("terminal_number", 6, _S),
        ("transaction_sequence", 6, _N),
        ("payment_date", 6, _D),
        ("payment_time", 4, _N),
        ("validation_date", 6, _D),
        ("validation_sequence", 6, _N),
        ("original_amount", 15, 3),
        ("conformity_code", 1, _S),
        ("terminal_name", 16, _S),
        ("terminal_locality", 10, _S),
        ("message", 12, _S),
    ),
    "121": (
        ("bill_amount", 15, 3),
        ("maturity_date", 6, _D),
        ("conventional_maturity_date", 6, _D),
        ("issue_date", 6, _D),
        ("company_number", 11, _N),
        ("currency", 3, _S),
        ("blank", 3, _S),
        ("bill_number", 13, _S),
        ("exchange_rate", 12, 8),
    ),
    "122": (
        ("days", 4, _I),
        ("interest_rate", 12, 8),
        ("basic_amount", 15, 3),
        ("minimum_rate", 1, _S),
        ("bill_number", 13, _S),
        ("maturity_date", 6, _D),
    ),
    "123": (
        ("start_date", 6, _D),
        ("maturity_date", 6, _D),
        ("basic_amount", 15, 3),
        ("percent", 12, 8),
        ("term_days", 4, _I),
        ("minimum_rate", 1, _S),
        ("guarantee_number", 13, _S),
    ),
    "124": (
        ("card_number", 20, _S),
        ("issuer", 1, _S),
        ("invoice_number", 12, _S),
        ("identification_number", 15, _S),
        ("date", 6, _D),
    ),
    "125": (
        ("credit_account", 12, _S),
        ("extension", 15, _S),
        ("old_balance", 15, 3),
        ("new_balance", 15, 3),
        ("amount", 15, 3),
        ("currency", 3, _S),
        ("start_date", 6, _D),
        ("end_date", 6, _D),
        ("nominal_rate", 12, 8),
        ("transaction_reference", 13, _S),
    ),
    "126": (
        ("deposit_number", 15, _S),
        ("deposit_amount", 15, 3),
        ("equivalent_amount", 15, 3),
        ("start_date", 6, _D),
        ("end_date", 6, _D),
        ("interest_rate", 12, 8),
        ("interest_amount", 15, 3),
        ("currency", 3, _S),
        ("rate", 12, 8),
    ),
    "127": (
        ("settlement_date", 6, _D),
        ("direct_debit_type", 1, _S),
        ("scheme", 1, _S),
        ("paid_or_refusal_reason", 1, _S),
        ("creditor_id", 35, _S),
        ("mandate_reference", 35, _S),
        ("communication", 62, _S),
        ("r_transaction_type", 1, _S),
        ("reason", 4, _S),
    ),
    # Information records (3.x).
    "001": (
        ("name", 70, _S),
        ("street", 35, _S),
        ("locality", 35, _S),
        ("identification", 35, _S),
    ),
    "002": (("line1", 35, _S), ("line2", 35, _S), ("line3", 35, _S), ("line4", 35, _S)),
    "004": (("line1", 35, _S), ("line2", 35, _S), ("line3", 35, _S), ("line4", 35, _S)),
    "005": (("line1", 35, _S), ("line2", 35, _S), ("line3", 35, _S), ("line4", 35, _S)),
    "006": (
        ("description", 30, _S),
        ("currency", 3, _S),
        ("amount", 15, 3),
        ("sign", 1, _S),
        ("category", 3, _S),
    ),
    "007": (("count", 7, _I), ("denomination", 6, 3), ("total", 15, 3)),
    "008": (("name", 70, _S), ("identification", 35, _S)),
    "009": (("name", 70, _S), ("identification", 35, _S)),
    "010": (
        ("order_number", 13, _S),
        ("file_reference", 15, _S),
        ("customer_reference", 13, _S),
        ("security_code_type", 2, _S),
        ("security_code", 15, _S),
        ("entry_method", 1, _S),
        ("quantity", 12, 4),
        ("issue_currency", 3, _S),
        ("securities_per_unit", 4, _I),
        ("quotation_currency", 3, _S),
        ("price", 12, 4),
        ("exchange_rate", 12, 8),
        ("security_name", 40, _S),
        ("bordereau_number", 13, _S),
        ("coupon_attached", 8, _S),
        ("coupon_payment_date", 8, _S),
        ("market", 30, _S),
        ("trade_date", 8, _D8),
        ("nature", 24, _S),
        ("nominal_value", 15, 3),
    ),
    "011": (
        ("order_number", 13, _S),
        ("file_reference", 15, _S),
        ("customer_reference", 13, _S),
        ("security_code_type", 2, _S),
        ("security_code", 15, _S),
        ("quantity", 12, 4),
        ("security_name", 40, _S),
        ("issue_currency", 3, _S),
        ("coupon_amount", 14, 6),
        ("amount_type", 1, _S),
        ("foreign_tax_rate", 15, 3),
        ("nature", 24, _S),
        ("coupon_number", 6, _S),
        ("coupon_date", 6, _D),
        ("exchange_rate", 12, 8),
        ("payment_currency", 3, _S),
        ("nominal_value", 15, 3),
    ),
}

_CENT = Decimal("0.01")

_CARD_SCHEMES_113 = {"1": "Bancontact/Mister Cash", "2": "Maestro", "3": "private", "9": "other"}
_R_TYPES = {"1": "reject", "2": "return", "3": "refund", "4": "reversal", "5": "cancellation"}


def parse_date(text: str, long_year: bool = False) -> date | None:
    """DDMMYY (or DDMMYYYY) to a date; None for zeros, blanks or an impossible date."""
    if len(text) != (8 if long_year else 6) or not text.isdecimal() or int(text) == 0:
        return None
    day, month = int(text[0:2]), int(text[2:4])
    year = int(text[4:])
    if not long_year:
        year += 2000 if year < 70 else 1900
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 31 April and the like
        return None


def _decode_field(text: str, kind: object):
    if kind == _S:
        return " ".join(text.split())
    if kind == _N:
        return text.strip()
    if not text.isdecimal():
        return None
    if kind == _I:
        return int(text)
    if kind == _D:
        return parse_date(text)
    if kind == _D8:
        return parse_date(text, long_year=True)
    return Decimal(text).scaleb(-kind)


def decode_fields(type_code: str, content: str) -> dict:
    """Decode ``content`` (after the type code) by the layout of ``type_code``."""
    fields = {}
    position = 0
    for name, length, kind in LAYOUTS.get(type_code, ()):
        fields[name] = _decode_field(content[position : position + length], kind)
        position += length
    return fields


def _encode_field(value, length: int, kind: object) -> str:
    if value is None:
        return " " * length if kind in (_S, _N) else "0" * length
    if kind == _S:
        return str(value)[:length].ljust(length)
    if kind == _N:
        return str(value)[:length].rjust(length, "0")
    if kind == _I:
        return f"{value:0{length}d}"
    if kind == _D:
        return value.strftime("%d%m%y")
    if kind == _D8:
        return value.strftime("%d%m%Y")
    return f"{int(abs(value).scaleb(kind)):0{length}d}"


def encode_fields(type_code: str, fields: dict) -> str:
    """Inverse of decode_fields: positional content from field values (missing = empty)."""
    fields = dict(fields)
    if type_code == "006" and fields.get("amount") is not None and fields["amount"] < 0:
        fields["sign"] = "1"
    return "".join(
        _encode_field(fields.get(name), length, kind) for name, length, kind in LAYOUTS[type_code]
    )


def ogm_is_valid(digits: str) -> bool:
    """Belgian structured communication: the last 2 digits are the first 10 mod 97 (0 → 97)."""
    if len(digits) != 12 or not digits.isdecimal():
        return False
    return int(ogm_check_digits(digits[:10])) == int(digits[10:])


def ogm_check_digits(ten_digits: str) -> str:
    """The 2 check digits completing a 10-digit Belgian structured communication, or a
    Belgian bank account number (the bank code and the account's 7 digits): the 10 digits
    modulo 97, 0 written 97."""
    return f"{int(ten_digits) % 97 or 97:02d}"


def enterprise_number_check_digits(eight_digits: str) -> str:
    """The 2 check digits completing a Belgian enterprise number (the VAT number without
    ``BE``, as record 0 gives the holder's): 97 minus its first 8 digits modulo 97."""
    return f"{97 - int(eight_digits) % 97:02d}"


def format_ogm(digits: str) -> str:
    return f"+++{digits[0:3]}/{digits[3:7]}/{digits[7:12]}+++"


# ISO 7064 mod 97-10 conversion shared by IBAN and RF references: letters A-Z become 10-35.
_LETTER_DIGITS = str.maketrans({chr(code): str(code - 55) for code in range(65, 91)})


def mod97_is_valid(text: str) -> bool:
    """ISO 7064 mod 97-10 over an IBAN or ISO 11649 reference (first 4 chars moved last)."""
    digits = (text[4:] + text[:4]).upper().translate(_LETTER_DIGITS)
    return len(text) > 4 and digits.isascii() and digits.isdigit() and int(digits) % 97 == 1


def iso_check_digits(body: str, prefix: str) -> str:
    """Check digits for ``prefix`` + ?? + ``body`` (IBAN: country code; RF reference: "RF")."""
    digits = (body + prefix + "00").upper().translate(_LETTER_DIGITS)
    return f"{98 - int(digits) % 97:02d}"


def format_rf(reference: str) -> str:
    """ISO 11649 print format: groups of four characters."""
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


def format_amount(value: Decimal) -> str:
    """Two decimals, or more when they are significant: "12.30", "0.125"."""
    rounded = value.quantize(_CENT)
    return str(rounded) if rounded == value else f"{value.normalize():f}"


def _amount(value: Decimal | None) -> str:
    return "" if value is None else format_amount(value)


def _join(*parts: str, separator: str = " ") -> str:
    return separator.join(part for part in parts if part)


def _display_105(get) -> str:
    text = _join(
        f"Original amount {_amount(get('gross_amount_original_currency'))}", get("currency")
    )
    if get("rate"):
        text += f", rate {get('rate').normalize():f}"
    if ogm_is_valid(get("structured_communication")):
        text += f", {format_ogm(get('structured_communication'))}"
    return text


def _display_106(get) -> str:
    text = f"Calculation: {_amount(get('equivalent_amount'))}"
    if get("percent") is not None:
        text += f" = {get('percent').normalize():f} % of {_amount(get('base_amount'))}"
    return text


def _display_108(get) -> str:
    start, end = get("period_start"), get("period_end")
    text = f"Closing: {_amount(get('equivalent_amount'))}"
    if start and end:
        text += f" for {start.isoformat()} to {end.isoformat()}"
    return text


def _display_card(get) -> str:
    scheme = _CARD_SCHEMES_113.get(get("card_scheme"), "card")
    text = _join(scheme[0].upper() + scheme[1:], get("card_number"))
    where = _join(get("terminal_name"), get("terminal_locality"))
    if where:
        text += f" at {where}"
    when = get("transaction_date") or get("payment_date")
    if when:
        text += f" on {when.isoformat()}"
    return text


def _display_127(get) -> str:
    text = (
        f"SEPA direct debit, mandate {get('mandate_reference')}, "
        f"creditor {get('creditor_id')}: {get('communication')}"
    ).rstrip(": ")
    r_type = _R_TYPES.get(get("r_transaction_type"))
    if r_type:
        text += f" ({_join(r_type, get('reason'))})"
    return text


_DISPLAY = {
    "100": lambda get: format_rf(get("reference")),
    "101": lambda get: format_ogm(get("reference")),
    "102": lambda get: format_ogm(get("reference")),
    "103": lambda get: f"Number {get('number')}",
    "105": _display_105,
    "106": _display_106,
    "107": lambda get: _join(
        f"Direct debit {get('direct_debit_number')}", get("communication"), separator=": "
    ),
    "108": _display_108,
    "111": lambda get: _join(
        "Card payments received at", get("terminal_name"), get("terminal_locality")
    ),
    "113": _display_card,
    "114": lambda get: _join(
        "Card payment received at", get("terminal_name"), get("terminal_locality")
    ),
    "115": _display_card,
    "124": lambda get: f"Credit card {get('card_number')}, invoice {get('invoice_number')}",
    "127": _display_127,
    "006": lambda get: _join(f"{get('description')}:", _amount(get("amount")), get("currency")),
    "008": lambda get: _join(get("name"), get("identification")),
    "009": lambda get: _join(get("name"), get("identification")),
}


def encode(type_code: str, **fields) -> StructuredCommunication:
    """Build a structured communication from field values, e.g. ``encode("101", reference=...)``."""
    return decode(type_code, encode_fields(type_code, fields))


def decode(type_code: str, content: str) -> StructuredCommunication:
    """Decode a structured communication; ``content`` is everything after the type code."""
    if type_code == "101" or type_code == "102":  # by far the most frequent: fast path
        reference = content[:12].strip()
        return StructuredCommunication(
            type_code, content.rstrip(), {"reference": reference}, format_ogm(reference),
            ogm_is_valid(reference),
        )  # fmt: skip
    if type_code == "001":  # counterparty name and address, on most incoming transfers
        fields = {
            "name": " ".join(content[0:70].split()),
            "street": " ".join(content[70:105].split()),
            "locality": " ".join(content[105:140].split()),
            "identification": " ".join(content[140:175].split()),
        }
        display = ", ".join([value for value in fields.values() if value])
        return StructuredCommunication(type_code, content.rstrip(), fields, display, True)
    fields = decode_fields(type_code, content)
    is_valid = True
    if type_code == "100":
        reference = fields["reference"] = fields["reference"].replace(" ", "")
        is_valid = reference.startswith("RF") and mod97_is_valid(reference)
    elif type_code == "006" and fields["sign"] == "1" and fields["amount"] is not None:
        fields["amount"] = -fields["amount"]
    display = _DISPLAY.get(type_code)
    return StructuredCommunication(
        type=type_code,
        raw=content.rstrip(),
        fields=fields,
        display=display(fields.get) if display else " ".join(content.split()),
        is_valid=is_valid,
    )
