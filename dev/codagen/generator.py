"""Random but realistic CODA statements, for demos, tests and benchmarks.

The statements are built, written with write_coda and parsed back, so what a caller gets is
exactly what the parser makes of the generated file (line numbers and record texts
included): ``parse(write_coda(statements)) == statements``.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from . import coda_parser
from .writer import write_coda

Information = coda_parser.Information
Movement = coda_parser.Movement
Statement = coda_parser.Statement
StructuredCommunication = coda_parser.StructuredCommunication
TransactionCode = coda_parser.TransactionCode
bban_to_iban = coda_parser.bban_to_iban
parse = coda_parser.parse
encode = coda_parser.structured.encode
ogm_check_digits = coda_parser.structured.ogm_check_digits
enterprise_number_check_digits = coda_parser.structured.enterprise_number_check_digits

# (bank code prefix of the Belgian account number, BIC)
_BANKS = (
    ("001", "GEBABEBB"),
    ("210", "GEBABEBB"),
    ("363", "BBRUBEBB"),
    ("310", "BBRUBEBB"),
    ("734", "KREDBEBB"),
    ("737", "KREDBEBB"),
    ("068", "GKCCBEBB"),
    ("751", "AXABBE22"),
    ("979", "ARSPBE22"),
    ("523", "TRIOBEBB"),
    ("103", "NICABEBB"),
    ("732", "CREGBEBB"),
)
_BIC_BY_CODE = dict(_BANKS)
_COMPANY_NAMES = (
    "Brasserie", "Boulangerie", "Garage", "Imprimerie", "Menuiserie", "Pharmacie",
    "Bouwbedrijf", "Drukkerij", "Schrijnwerkerij", "Transport", "Consult", "Electro",
)  # fmt: skip
_FAMILY_NAMES = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
    "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Lefèvre", "Renard",
    "Wouters", "De Smet", "Van den Broeck", "Müller", "Gérard", "Noël",
)  # fmt: skip
_FIRST_NAMES = ("Luc", "Anne", "Marc", "Sofie", "Élise", "Jan", "Chloé", "Pieter", "Zoë")
_LEGAL_FORMS = ("SRL", "BV", "SA", "NV", "SC", "CV")
_STREETS = (
    "Rue de la Station", "Stationsstraat", "Kerkstraat", "Rue Haute", "Chaussée de Louvain",
    "Grote Markt", "Avenue Louise", "Dorpsstraat", "Rue du Marché", "Nieuwstraat",
)  # fmt: skip
_LOCALITIES = (
    "1000 Bruxelles", "2000 Antwerpen", "9000 Gent", "4000 Liège", "8000 Brugge",
    "3000 Leuven", "5000 Namur", "6000 Charleroi", "2800 Mechelen", "1300 Wavre",
)  # fmt: skip
_SHOPS = ("DELHAIZE", "COLRUYT", "TOTAL", "IKEA", "FNAC", "BRICO", "SNCB", "PROXIMUS")


def _code(text: str) -> TransactionCode:
    return TransactionCode(int(text[0]), text[1:3], text[3:5], text[5:8])


_TRANSFER_IN = _code("00150000")
_TRANSFER_OUT = _code("00101000")
_CARD = _code("00402000")
_DIRECT_DEBIT = _code("00501000")
_COSTS = _code("03537000")
_COLLECTIVE_TOTAL = _code("10107000")
_COLLECTIVE_DETAIL = _code("50107000")
_BANK_TOTAL = _code("20150000")
_BANK_DETAIL = _code("60150000")


class _Builder:
    def __init__(self, rng: random.Random, counterparties: list[dict] | None):
        self.rng = rng
        self.counterparties = counterparties or [self._counterparty() for _ in range(20)]

    def _counterparty(self) -> dict:
        rng = self.rng
        if rng.random() < 0.6:
            name = f"{rng.choice(_COMPANY_NAMES)} {rng.choice(_FAMILY_NAMES)} "
            name += rng.choice(_LEGAL_FORMS)
        else:
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_FAMILY_NAMES)}"
        code, bic = rng.choice(_BANKS)
        ten = f"{code}{rng.randrange(10**7):07d}"
        return {
            "name": name,
            "account": bban_to_iban(ten + ogm_check_digits(ten)),
            "bic": bic,
            "street": f"{rng.choice(_STREETS)} {rng.randint(1, 250)}",
            "locality": rng.choice(_LOCALITIES),
        }

    def amount(self, low: int, high: int) -> Decimal:
        """Between low and high euros, in cents."""
        return Decimal(self.rng.randint(low * 100, high * 100)).scaleb(-2)

    def reference(self) -> str:
        rng = self.rng
        return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(16))

    def ogm(self) -> StructuredCommunication:
        ten = f"{self.rng.randrange(10**10):010d}"
        return encode("101", reference=ten + ogm_check_digits(ten))


def _movement(code, amount, day, counterparty=None, **values) -> Movement:
    mv = Movement(
        sequence=0,
        detail=0,
        amount=amount,
        transaction_code=code,
        value_date=day,
        entry_date=day,
        **values,
    )
    if counterparty:
        mv.counterparty_name = counterparty["name"]
        mv.counterparty_account = counterparty.get("account", "")
        mv.counterparty_bic = counterparty.get("bic", "")
        if counterparty.get("account"):
            mv.counterparty_currency = "EUR"
        if counterparty.get("street") or counterparty.get("locality"):
            sc = encode(
                "001",
                name=counterparty["name"],
                street=counterparty.get("street", ""),
                locality=counterparty.get("locality", ""),
            )
            mv.information.append(Information(0, 0, code, sc.display, sc, 0))
    return mv


def _random_movements(builder: _Builder, day: date, globalisation_ratio, structured_ratio):
    """One balance movement, followed by its details when it is a globalisation."""
    rng = builder.rng
    counterparty = rng.choice(builder.counterparties)
    reference = builder.reference()
    if rng.random() < globalisation_ratio:
        count = rng.randint(2, 5)
        if rng.random() < 0.5:  # salaries or supplier payments sent as one file
            total_code, detail_code = _COLLECTIVE_TOTAL, _COLLECTIVE_DETAIL
            amounts = [-builder.amount(800, 4000) for _ in range(count)]
            text = f"Collective transfer {rng.randint(1000, 9999)}: {count} payments"
        else:  # the bank groups incoming transfers with a structured communication
            total_code, detail_code = _BANK_TOTAL, _BANK_DETAIL
            amounts = [builder.amount(10, 2000) for _ in range(count)]
            text = f"Grouping of {count} transfers with structured communication"
        total = _movement(total_code, sum(amounts), day, communication=text, globalisation_code=1)
        total.bank_reference = reference
        movements = [total]
        for index, amount in enumerate(amounts):
            detail = _movement(
                detail_code,
                amount,
                day,
                rng.choice(builder.counterparties),
                structured_communication=builder.ogm(),
                globalisation_code=1 if index == count - 1 else 0,
            )
            detail.bank_reference = reference
            movements.append(detail)
        return movements
    kind = rng.random()
    if kind < 0.45:
        values = {"customer_reference": f"E2E{rng.randrange(10**9):09d}"}
        if rng.random() < structured_ratio:
            values["structured_communication"] = builder.ogm()
        else:
            values["communication"] = f"Invoice {day.year}/{rng.randint(1, 9999):04d}"
        mv = _movement(_TRANSFER_IN, builder.amount(20, 5000), day, counterparty, **values)
    elif kind < 0.7:
        values = {}
        if rng.random() < structured_ratio:
            values["structured_communication"] = builder.ogm()
        else:
            values["communication"] = f"Order {rng.randint(10000, 99999)} {counterparty['name']}"
        mv = _movement(_TRANSFER_OUT, -builder.amount(20, 3000), day, counterparty, **values)
    elif kind < 0.85:
        shop = rng.choice(_SHOPS)
        text = (
            f"Payment with card 4871 04XX XXXX {rng.randint(1000, 9999)} at {shop} "
            f"{rng.choice(_LOCALITIES)[5:].upper()} on {day.isoformat()}"
        )
        mv = _movement(_CARD, -builder.amount(3, 250), day, communication=text)
    elif kind < 0.97:
        mandate = f"MDT{rng.randrange(10**8):08d}"
        creditor = f"BE{rng.randint(10, 99)}ZZZ0{rng.randrange(10**9):09d}"
        sc = encode(
            "127",
            settlement_date=day,
            direct_debit_type="1",
            scheme="1",
            paid_or_refusal_reason="0",
            creditor_id=creditor,
            mandate_reference=mandate,
            communication=f"Contract {rng.randint(100000, 999999)}",
            r_transaction_type="0",
        )
        mv = _movement(
            _DIRECT_DEBIT,
            -builder.amount(10, 400),
            day,
            counterparty,
            structured_communication=sc,
            category_purpose="SUPP",
        )
    else:
        mv = _movement(_COSTS, -builder.amount(1, 30), day, communication="Account costs")
    mv.bank_reference = reference
    return [mv]


def _extra_movement(values: dict, day: date) -> Movement:
    """A movement forced by the caller: amount, communication and counterparty."""
    amount = Decimal(values["amount"])
    reference = values.get("structured_communication", "").replace(" ", "").upper()
    counterparty = {
        "name": values.get("counterparty_name", ""),
        "account": values.get("counterparty_account", ""),
        "bic": values.get("counterparty_bic", ""),
        "street": values.get("counterparty_street", ""),
        "locality": values.get("counterparty_locality", ""),
    }
    extra = {"communication": values.get("communication", "")}
    if reference.startswith("RF"):  # ISO 11649 creditor reference
        extra = {"structured_communication": encode("100", reference=reference)}
    elif reference:  # Belgian structured communication, +++/ punctuation or not
        digits = "".join(char for char in reference if char.isdigit())
        extra = {"structured_communication": encode("101", reference=digits)}
    code = _TRANSFER_IN if amount >= 0 else _TRANSFER_OUT
    mv = _movement(code, amount, day, counterparty if counterparty["name"] else None, **extra)
    mv.bank_reference = values.get("bank_reference", "")
    mv.customer_reference = values.get("customer_reference", "")
    return mv


def _number(movements: list[Movement]):
    """Sequence and detail numbers as a bank assigns them (details and 3.1 share the count)."""
    sequence = 0
    for mv in movements:
        if mv.transaction_code.type < 5:
            sequence += 1
            detail = 0
        else:
            detail += 1
        mv.sequence, mv.detail = sequence % 10000, detail % 10000
        for info in mv.information:
            detail += 1
            info.sequence, info.detail = mv.sequence, detail % 10000


def generate_statements(
    *,
    iban: str,
    currency: str = "EUR",
    holder_name: str,
    start_date: date,
    days: int = 1,
    movements_per_statement: int = 10,
    seed: int = 0,
    globalisation_ratio: float = 0.1,
    structured_ratio: float = 0.5,
    counterparties: list[dict] | None = None,
    extra_movements: list[dict] | None = None,
    first_coda_sequence: int = 1,
    old_balance: Decimal = Decimal("0"),
) -> list[Statement]:
    """One statement per day with chained balances.

    ``counterparties``: dicts with name, account (IBAN), bic, street, locality (random
    Belgian ones by default). ``extra_movements``: dicts with amount (signed) and optionally
    structured_communication (a Belgian one, punctuation ignored, or an RF reference) or
    communication,
    counterparty_name, counterparty_account, counterparty_bic, counterparty_street,
    counterparty_locality, customer_reference, bank_reference and date (the day whose
    statement gets it; the first day by default).
    """
    rng = random.Random(seed)
    builder = _Builder(rng, counterparties)
    iban = iban.replace(" ", "").upper()
    bank_bic = _BIC_BY_CODE.get(iban[4:7], "GEBABEBB") if iban.startswith("BE") else ""
    company = f"0{rng.randrange(10**7):07d}"
    company += enterprise_number_check_digits(company)
    extras: dict[date, list[dict]] = {}
    for values in extra_movements or ():
        day = values.get("date", start_date)
        if not 0 <= (day - start_date).days < days:
            raise ValueError(f"extra movement dated {day} is outside the generated days")
        extras.setdefault(day, []).append(values)
    statements = []
    balance = Decimal(old_balance)
    previous_day = start_date - timedelta(days=1)
    for index in range(days):
        day = start_date + timedelta(days=index)
        movements: list[Movement] = []
        for _ in range(movements_per_statement):
            movements.extend(_random_movements(builder, day, globalisation_ratio, structured_ratio))
        movements.extend(_extra_movement(values, day) for values in extras.get(day, ()))
        _number(movements)
        new_balance = balance + sum(m.amount for m in movements if m.transaction_code.type < 5)
        sequence = (first_coda_sequence + index) % 1000
        statements.append(
            Statement(
                creation_date=day,
                account_number=iban,
                currency=currency,
                old_balance=balance,
                new_balance=new_balance,
                bank_id="000",
                addressee_name=holder_name,
                bic=bank_bic,
                company_number=company,
                separate_application="00000",
                account_structure=2 if iban.startswith("BE") else 3,
                holder_name=holder_name,
                account_description="Current account",
                old_balance_date=previous_day,
                new_balance_date=day,
                paper_sequence=sequence,
                coda_sequence=sequence,
                movements=movements,
            )
        )
        balance = new_balance
        previous_day = day
    return parse(write_coda(statements))
