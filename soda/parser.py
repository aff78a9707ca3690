"""Read a SODA file (CodaBox's XML of a social secretariat's payroll entry) into a SodaDocument.

The structure is that of the public sample described in ``shared/codabox/notes.md`` (schema
``XMLFileSocial_V1.1c.xsd``, which is not public): root ``SocialDocument``, ``Source``,
``Version``, ``Social`` (``SeqNumber``, ``GenDate``, ``Enterprise/{EntNum, EntLabel}``,
``AccountPeriod``) and ``Transactions/TransactionLine`` (``SocialPeriod``,
``Accounting/{Account, Label, Amount/{Debit, Credit}}``). Since the schema is not public and
several social secretariats write these files, the reader is lenient where leniency cannot
change an amount (namespaces, three date formats, a decimal comma, an empty amount for zero,
whitespace, the enterprise number's dots and old 9 digits) and strict everywhere else: a
negative or unreadable amount, a missing account or an impossible date refuses the whole file,
because a payroll entry booked half right is worse than one not booked.

The file comes from outside: it is parsed without resolving entities, loading a DTD or
touching the network, a document type or entity declaration is refused outright (billion
laughs, external entities), and its size is bounded. Any bytes give a SodaDocument or a
SodaError, never another exception.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from .model import SodaDocument, SodaError, SodaLine

MAX_SIZE = 20 * 1024 * 1024
"""Bytes a SODA file may have: a monthly payroll entry is a few kilobytes, even for a large
employer; anything near this is not one, and is refused before lxml reads it."""

# A document type or entity declaration, in the encodings an XML file may start in.
_DECLARATIONS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_DATE_FORMATS = (
    (re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII), "%Y-%m-%d"),
    (re.compile(r"\d{2}/\d{2}/\d{4}", re.ASCII), "%d/%m/%Y"),
    (re.compile(r"\d{8}", re.ASCII), "%Y%m%d"),
)
_PERIOD = re.compile(r"(\d{4})(\d{2})", re.ASCII)
# Digits with a decimal '.' or ',' (a single separator is always the decimal one), or digits
# grouped by thousands with the other separator before the decimals ("1.234,56", "1,234.56").
_AMOUNT = re.compile(
    r"(?P<plain>\d+(?:[.,]\d+)?)"
    r"|(?P<comma>\d{1,3}(?:\.\d{3})+,\d+)"
    r"|(?P<point>\d{1,3}(?:,\d{3})+\.\d+)",
    re.ASCII,
)


def parse_soda(data: bytes) -> SodaDocument:
    """The SODA document in ``data``; a :class:`SodaError` if it is not one that reads cleanly.

    An unbalanced document (debit differs from credit) is returned: ``is_balanced`` says so.
    """
    root = _xml_root(data)
    if _local_name(root) != "SocialDocument":
        raise SodaError.of("notSoda", root=_local_name(root) or str(root.tag)[:100])
    source = _required_text(root, "", "Source")
    version = _optional_text(root, "Version")
    social = _required(root, "", "Social")
    sequence_number = _required_text(social, "Social", "SeqNumber")
    generated = _date("Social/GenDate", _required_text(social, "Social", "GenDate"))
    enterprise = _required(social, "Social", "Enterprise")
    enterprise_number = normalise_enterprise_number(
        _required_text(enterprise, "Social/Enterprise", "EntNum")
    )
    enterprise_label = _optional_text(enterprise, "EntLabel") or ""
    period = _period(_required_text(social, "Social", "AccountPeriod"))
    elements = _children(_child(root, "Transactions"), "TransactionLine")
    if not elements:
        raise SodaError.of("noLines")
    return SodaDocument(
        source=source,
        version=version,
        sequence_number=sequence_number,
        generated=generated,
        enterprise_number=enterprise_number,
        enterprise_label=enterprise_label,
        accounting_period=period,
        lines=tuple(_line(element, index) for index, element in enumerate(elements, start=1)),
    )


def normalise_enterprise_number(value: str) -> str:
    """``value`` as 10 digits: "BE 0123.456.789" and "123456789" (an old 9-digit number, from
    before the leading 0) both become "0123456789", as a company's VAT number does once its
    country prefix is dropped."""
    digits = re.sub(r"[\s.\-/]", "", value)
    if digits[:2].upper() == "BE":
        digits = digits[2:]
    if len(digits) == 9 and digits.isascii() and digits.isdigit():
        digits = "0" + digits
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        raise SodaError.of("badEnterpriseNumber", value=value)
    return digits


# -- XML ------------------------------------------------------------------------------------------


def _xml_root(data: bytes) -> etree._Element:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_soda takes bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_SIZE:
        raise SodaError.of("tooLarge", size=len(data), limit=MAX_SIZE)
    # Refused before parsing, whatever libxml2 would make of them: a SODA file has no DTD.
    if any(marker in data for marker in _DECLARATIONS):
        raise SodaError.of("doctype")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise SodaError.of("notXml", detail=str(error.msg or error)[:200]) from None
    except (etree.LxmlError, ValueError) as error:  # e.g. an unknown declared encoding
        raise SodaError.of("notXml", detail=str(error)[:200]) from None
    if root is None:
        raise SodaError.of("notXml", detail="the file is empty")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # in an encoding not scanned above
        raise SodaError.of("doctype")
    return root


def _local_name(element) -> str | None:
    """The element's name without its namespace; None for a comment, an entity..."""
    tag = element.tag
    if not isinstance(tag, str):
        return None
    return tag.rpartition("}")[2]


def _children(parent, name: str) -> list:
    if parent is None:
        return []
    return [child for child in parent if _local_name(child) == name]


def _child(parent, name: str):
    found = _children(parent, name)
    return found[0] if found else None


def _required(parent, path: str, name: str):
    element = _child(parent, name)
    if element is None:
        raise SodaError.of("missingField", field=f"{path}/{name}" if path else name)
    return element


def _text(element) -> str:
    """The element's text, comments and processing instructions left out, stripped."""
    return "".join(element.itertext()).strip()


def _required_text(parent, path: str, name: str) -> str:
    text = _text(_required(parent, path, name))
    if not text:
        raise SodaError.of("missingField", field=f"{path}/{name}" if path else name)
    return text


def _optional_text(parent, name: str) -> str | None:
    element = _child(parent, name)
    return (_text(element) or None) if element is not None else None


# -- fields ---------------------------------------------------------------------------------------


def _date(field: str, value: str) -> date:
    text = value[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.+\-Z]*", value, re.ASCII) else value
    for pattern, form in _DATE_FORMATS:
        if pattern.fullmatch(text):
            try:
                return datetime.strptime(text, form).date()
            except ValueError:
                break
    raise SodaError.of("badDate", field=field, value=value)


def _period(value: str) -> str:
    match = _PERIOD.fullmatch(value)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise SodaError.of("badPeriod", value=value)
    return value


def _amount(field: str, account: str, value: str) -> Decimal:
    text = re.sub(r"\s", "", value)
    if not text:
        return Decimal(0)
    match = _AMOUNT.fullmatch(text)
    if not match or len(text) > 30:
        raise SodaError.of("badAmount", field=field, account=account, value=value)
    if match["comma"]:
        text = text.replace(".", "").replace(",", ".")
    elif match["point"]:
        text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:  # not reached: the pattern only lets decimals through
        raise SodaError.of("badAmount", field=field, account=account, value=value) from None


def _line(element, index: int) -> SodaLine:
    path = f"Transactions/TransactionLine[{index}]"
    accounting = _required(element, path, "Accounting")
    account = _required_text(accounting, f"{path}/Accounting", "Account")
    amount = _child(accounting, "Amount")
    debit = _child(amount, "Debit")
    credit = _child(amount, "Credit")
    return SodaLine(
        account=account,
        label=_optional_text(accounting, "Label") or "",
        debit=_amount("Debit", account, _text(debit)) if debit is not None else Decimal(0),
        credit=_amount("Credit", account, _text(credit)) if credit is not None else Decimal(0),
        social_period=_optional_text(element, "SocialPeriod"),
    )
