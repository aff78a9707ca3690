"""SODA files made to order: the XML CodaBox delivers for a social secretariat's payroll entry.

The structure is that of the public sample described in ``shared/codabox/notes.md`` (root
``SocialDocument``, schema ``XMLFileSocial_V1.1c.xsd``, which is not public, hence Version
"1.1c"): ``Source``, ``Version``, ``Social`` (``SeqNumber``, ``GenDate``,
``Enterprise/{EntNum, EntLabel}``, ``AccountPeriod``) and ``Transactions/TransactionLine``
(``SocialPeriod``, ``Accounting/{Account, Label, Amount/{Debit, Credit}}``). Element order,
the date format (YYYY-MM-DD) and the amounts' decimal point are what the sample shows; the
parser accepts more.

``generate_soda`` makes a Belgian monthly payroll entry for white-collar employees, booked
as social secretariats do on the Belgian PCMN (minimum chart of accounts):

- debit 620200 gross remuneration of employees (6202), 621000 employer's social security
  contributions (621, ONSS/RSZ, about 25% of the gross), 623000 other personnel costs (623:
  the employer's share of commuting, paid with the net and free of contributions);
- credit 453000 withholding tax (453, précompte professionnel/bedrijfsvoorheffing), 454000
  social security payable (454, ONSS/RSZ: the employee's 13.07%, the employer's share and the
  special social security contribution), 455000 net remuneration payable (455), one line per
  employee.

The withholding tax is an approximation of the scale (annual brackets, flat professional
expenses, tax-free allowance), not the official formula: the amounts look right to an
accountant, which is all a demo and a test need. Every amount is rounded to the cent before
it is added up, so debit equals credit exactly. As ``generate_statements`` does for CODA, the
document is written and parsed back: ``parse_soda(write_soda(document)) == document``.
"""

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from . import soda_parser

SodaDocument = soda_parser.SodaDocument
SodaLine = soda_parser.SodaLine
parse_soda = soda_parser.parse_soda

SOURCES = ("SD Worx", "Securex", "Partena", "Acerta", "Liantis", "Group S")
VERSION = "1.1c"
CENT = Decimal("0.01")

# What the social secretariats call each account, in the two languages of their clients.
_LABELS = {
    "fr": {
        "620200": "Rémunérations brutes employés",
        "621000": "Cotisations patronales ONSS",
        "623000": "Intervention employeur frais de déplacement",
        "453000": "Précompte professionnel retenu",
        "454000": "ONSS cotisations personnelles, patronales et CSSS",
        "455000": "Rémunération nette à payer {name}",
    },
    "nl": {
        "620200": "Brutobezoldigingen bedienden",
        "621000": "Werkgeversbijdragen RSZ",
        "623000": "Tussenkomst werkgever woon-werkverkeer",
        "453000": "Ingehouden bedrijfsvoorheffing",
        "454000": "RSZ persoonlijke bijdragen, werkgeversbijdragen en BBSZ",
        "455000": "Netto te betalen bezoldiging {name}",
    },
}
_FAMILY_NAMES = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
    "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Lefèvre", "Renard",
)  # fmt: skip
_FIRST_NAMES = ("Luc", "Anne", "Marc", "Sofie", "Élise", "Jan", "Chloé", "Pieter", "Zoë")
_COMPANY_NAMES = ("Brasserie", "Boulangerie", "Garage", "Drukkerij", "Transport", "Consult")
_LEGAL_FORMS = ("SRL", "BV", "SA", "NV")

EMPLOYEE_SOCIAL_SECURITY = Decimal("0.1307")  # the employee's ONSS/RSZ, on the full gross
EMPLOYER_SOCIAL_SECURITY = Decimal("0.25")  # about: basic rate and wage moderation, no rebate
# Income year 2024: tax brackets (upper bound, rate), flat professional expenses, allowance.
_BRACKETS = (
    (Decimal(15820), Decimal("0.25")),
    (Decimal(27920), Decimal("0.40")),
    (Decimal(48320), Decimal("0.45")),
    (None, Decimal("0.50")),
)
_EXPENSES_RATE, _EXPENSES_CAP = Decimal("0.30"), Decimal(5930)
_TAX_FREE_ALLOWANCE = Decimal(10570)


def write_soda(document: SodaDocument) -> bytes:
    """The XML file of ``document``, UTF-8, as CodaBox delivers it."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<SocialDocument>"]
    out.append(f"  <Source>{escape(document.source)}</Source>")
    if document.version is not None:
        out.append(f"  <Version>{escape(document.version)}</Version>")
    out += [
        "  <Social>",
        f"    <SeqNumber>{escape(document.sequence_number)}</SeqNumber>",
        f"    <GenDate>{document.generated.isoformat()}</GenDate>",
        "    <Enterprise>",
        f"      <EntNum>{document.enterprise_number}</EntNum>",
        f"      <EntLabel>{escape(document.enterprise_label)}</EntLabel>",
        "    </Enterprise>",
        f"    <AccountPeriod>{document.accounting_period}</AccountPeriod>",
        "  </Social>",
        "  <Transactions>",
    ]
    for line in document.lines:
        out.append("    <TransactionLine>")
        if line.social_period is not None:
            out.append(f"      <SocialPeriod>{escape(line.social_period)}</SocialPeriod>")
        out += [
            "      <Accounting>",
            f"        <Account>{escape(line.account)}</Account>",
            f"        <Label>{escape(line.label)}</Label>",
            "        <Amount>",
            f"          <Debit>{_amount(line.debit)}</Debit>",
            f"          <Credit>{_amount(line.credit)}</Credit>",
            "        </Amount>",
            "      </Accounting>",
            "    </TransactionLine>",
        ]
    out += ["  </Transactions>", "</SocialDocument>", ""]
    return "\n".join(out).encode("utf-8")


def _amount(value: Decimal) -> str:
    """Fixed point, at least two decimals; a negative amount is refused (a SODA has none)."""
    if value < 0:
        raise ValueError(f"a SODA amount is never negative: {value}")
    return format(value, "f" if value.as_tuple().exponent < -2 else ".2f")


def generate_soda(
    enterprise_number: str,
    period: str,
    employees: int = 3,
    seed: int = 0,
    source: str = "SD Worx",
    *,
    enterprise_label: str | None = None,
    language: str = "fr",
    sequence_number: str | None = None,
) -> SodaDocument:
    """A balanced payroll entry of ``employees`` white-collar employees for ``period``
    ("YYYYMM"), the same for the same arguments. ``enterprise_number`` is normalised as the
    parser does (a 9-digit number gets its leading 0)."""
    rng = random.Random(f"{seed}-{enterprise_number}-{period}")
    labels = _LABELS[language]
    year, month = int(period[:4]), int(period[4:])
    next_month = date(year + month // 12, month % 12 + 1, 1)
    gross_total = employer_total = transport_total = tax_total = social_total = Decimal(0)
    nets = []
    for _ in range(employees):
        name = f"{rng.choice(_FAMILY_NAMES)} {rng.choice(_FIRST_NAMES)}"
        gross = _cents(Decimal(rng.randrange(220000, 520000)) / 100)
        employee_social = _cents(gross * EMPLOYEE_SOCIAL_SECURITY)
        taxable = gross - employee_social
        tax = _withholding_tax(taxable)
        special = _special_contribution(gross)
        transport = _cents(Decimal(rng.choice((0, 0, 3550, 5420, 8740, 12360))) / 100)
        nets.append((name, gross - employee_social - tax - special + transport))
        gross_total += gross
        employer_total += _cents(gross * EMPLOYER_SOCIAL_SECURITY)
        transport_total += transport
        tax_total += tax
        social_total += employee_social + special
    social_total += employer_total
    lines = [
        _line("620200", labels["620200"], debit=gross_total, period=period),
        _line("621000", labels["621000"], debit=employer_total, period=period),
    ]
    if transport_total:
        lines.append(_line("623000", labels["623000"], debit=transport_total, period=period))
    lines += [
        _line("453000", labels["453000"], credit=tax_total, period=period),
        _line("454000", labels["454000"], credit=social_total, period=period),
    ]
    lines += [
        _line("455000", labels["455000"].format(name=name), credit=net, period=period)
        for name, net in nets
    ]
    document = SodaDocument(
        source=source,
        version=VERSION,
        sequence_number=sequence_number or f"{rng.randrange(1, 10**6):06d}",
        generated=next_month + timedelta(days=rng.randrange(0, 5)),
        enterprise_number=soda_parser.normalise_enterprise_number(enterprise_number),
        enterprise_label=enterprise_label
        or f"{rng.choice(_COMPANY_NAMES)} {rng.choice(_FAMILY_NAMES)} {rng.choice(_LEGAL_FORMS)}",
        accounting_period=period,
        lines=tuple(lines),
    )
    assert document.is_balanced, (document.total_debit, document.total_credit)
    return parse_soda(write_soda(document))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line(account, label, *, period, debit=Decimal(0), credit=Decimal(0)) -> SodaLine:
    return SodaLine(account, label, _cents(debit), _cents(credit), period)


def _withholding_tax(taxable: Decimal) -> Decimal:
    """The month's withholding tax on ``taxable`` (gross less the employee's contributions),
    from the annual tax of a single person without dependants: an approximation."""
    annual = taxable * 12
    income = annual - min(annual * _EXPENSES_RATE, _EXPENSES_CAP)
    tax = _tax(income) - _tax(_TAX_FREE_ALLOWANCE)
    return _cents(max(tax, Decimal(0)) / 12)


def _tax(income: Decimal) -> Decimal:
    tax, lower = Decimal(0), Decimal(0)
    for upper, rate in _BRACKETS:
        top = income if upper is None else min(income, upper)
        if top > lower:
            tax += (top - lower) * rate
        if upper is None or income <= upper:
            break
        lower = upper
    return tax


def _special_contribution(gross: Decimal) -> Decimal:
    """The special social security contribution withheld each month (CSSS/BBSZ), by steps of
    the month's pay as the social secretariats withhold it for a single earner (about)."""
    if gross < Decimal("1945.39"):
        return Decimal(0)
    if gross < Decimal("2190.19"):
        return Decimal("7.60")
    if gross < Decimal("6038.82"):
        return _cents(
            min(Decimal("9.30") + (gross - Decimal("2190.18")) * Decimal("0.011"), Decimal("51.64"))
        )
    return Decimal("51.64")
