"""Peppol BIS Billing 3.0 invoices (UBL 2.1) made to order, with their PDF, for the sandbox, the
demo and the tests (development only).

Where the structure comes from: OpenPEPPOL's public example ``base-example.xml`` of the Peppol
BIS Billing 3.0 specification (https://github.com/OpenPEPPOL/peppol-bis-invoice-3, folder
``rules/examples``; https://docs.peppol.eu/poacc/billing/3.0/), its elements in its order:
CustomizationID, ProfileID, ID, IssueDate, DueDate, InvoiceTypeCode, DocumentCurrencyCode,
BuyerReference, OrderReference, AdditionalDocumentReference, AccountingSupplierParty and
AccountingCustomerParty (EndpointID, PartyName, PostalAddress, PartyTaxScheme,
PartyLegalEntity), PaymentMeans, PaymentTerms, TaxTotal (a TaxSubtotal per VAT category and
rate), LegalMonetaryTotal and the InvoiceLines (InvoicedQuantity with its unitCode,
LineExtensionAmount, Item/Name, ClassifiedTaxCategory, Price). What is Belgian is the
specification's Belgian usage: the parties' endpoint is their enterprise number (EAS 0208),
their VAT number BE0 + that number, the payment is a credit transfer (code 30) to the
supplier's IBAN with a Belgian structured communication (+++123/4567/89012+++) as PaymentID.
A credit note is the CreditNote of the same specification (``base-creditnote-correction.xml``):
CreditNoteTypeCode 381, the due date in PaymentMeans/PaymentDueDate, CreditNoteLine with
CreditedQuantity, the credited invoice in BillingReference.

The amounts follow the specification's calculation rules: amounts have two decimals, a line's
net amount is quantity x price rounded (PEPPOL-EN16931-R120), the lines' sum is the
document's LineExtensionAmount (BR-CO-10), the VAT of a category is its taxable amount x its
rate rounded (BR-S-09, BR-CO-17), the VAT total is their sum (BR-CO-14), and the payable amount
is the total including VAT (BR-CO-15, BR-CO-16). There are no allowances, charges nor prepaid
amounts.

Checked on 2026-12-03, by hand (the rule sets are not reachable from CI): an invoice of each
supplier and a credit note validated with ``eu-einvoice validate`` (eu-einvoice 1.0.0, in a
virtualenv of its own: it needs a newer lxml than Odoo's) against the UBL 2.1 XSD, CEN's
EN 16931 UBL rules (ConnectingEurope/eInvoicing-EN16931, ubl/xslt) and OpenPEPPOL's
PEPPOL-EN16931-UBL.sch (compiled with SchXslt): valid, 0 errors, 0 warnings; the same
invoice with a wrong PayableAmount is refused (BR-CO-16).

The suppliers of ``generate_purchase_invoice`` are well-known Belgian companies, so that a
generated bill looks like one an accounting office receives; Proximus' and Engie Electrabel's
enterprise numbers are their public ones, the others' (and every IBAN) are made up but pass
their check digits. Addresses and prices are illustrative.
"""

import base64
import io
import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from . import coda_parser

# Check digits are coda_parser.structured's, the one place that computes them.
bban_to_iban = coda_parser.bban_to_iban
enterprise_number_check_digits = coda_parser.structured.enterprise_number_check_digits
format_ogm = coda_parser.structured.format_ogm
ogm_check_digits = coda_parser.structured.ogm_check_digits

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
BELGIAN_ENTERPRISE_SCHEME = "0208"  # EAS code of the Belgian enterprise number (Crossroads Bank)

CENT = Decimal("0.01")


def _money(value):
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _amount_text(value):
    return f"{_money(value):.2f}"


def _number_text(value):
    """A quantity, a price or a rate without trailing zeros (7, 1.5, 21)."""
    value = Decimal(str(value))
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Belgian identifiers -----------------------------------------------------------------


def enterprise_number(vat):
    """The 10 digits of a Belgian enterprise number from a VAT number (BE0202239951,
    BE 0202.239.951)."""
    digits = "".join(ch for ch in vat if ch.isdigit())
    return digits.rjust(10, "0")


def valid_enterprise_number(digits):
    """Whether 10 digits are a Belgian enterprise number (with its check digits)."""
    return (
        len(digits) == 10
        and digits.isdigit()
        and enterprise_number_check_digits(digits[:8]) == digits[8:]
    )


def make_enterprise_number(first8):
    """The enterprise number whose first 8 digits are ``first8``, with its check digits."""
    first8 = str(first8).rjust(8, "0")
    return first8 + enterprise_number_check_digits(first8)


def structured_communication(base):
    """The Belgian structured communication +++123/4567/89012+++ of a number of at most 10
    digits."""
    ten = f"{int(base) % 10**10:010d}"
    return format_ogm(ten + ogm_check_digits(ten))


def belgian_iban(bank_code, account):
    """A Belgian IBAN with its check digits: bank code (3 digits), account (7 digits)."""
    ten = f"{int(bank_code):03d}{int(account):07d}"
    return bban_to_iban(ten + ogm_check_digits(ten))


# --- what a document is made of --------------------------------------------------------------


@dataclass
class Party:
    """A supplier or a customer. ``vat`` is a Belgian VAT number (BE0123456749): the endpoint
    and the legal entity's company ID are its enterprise number."""

    name: str
    vat: str
    street: str = ""
    city: str = ""
    zip_code: str = ""
    country: str = "BE"
    registration_name: str = ""
    iban: str = ""
    bic: str = ""
    email: str = ""

    @property
    def legal_name(self):
        return self.registration_name or self.name


@dataclass
class Line:
    """An invoice line: ``quantity`` x ``unit_price`` (excluding VAT) at ``vat_rate`` percent,
    VAT category S (standard rated, whatever its rate) or Z (zero rated) when the rate is 0.
    ``unit_code`` is UN/ECE rec. 20 (C62 one, LTR litre, KWH kilowatt hour, MON month)."""

    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal = Decimal("21")
    unit_code: str = "C62"
    description: str = ""
    amount: Decimal = field(init=False)

    def __post_init__(self):
        self.quantity = Decimal(str(self.quantity))
        self.unit_price = Decimal(str(self.unit_price))
        self.vat_rate = Decimal(str(self.vat_rate))
        self.amount = _money(self.quantity * self.unit_price)

    @property
    def vat_category(self):
        return "S" if self.vat_rate else "Z"


def _party(value):
    return value if isinstance(value, Party) else Party(**value)


def _line(value):
    return value if isinstance(value, Line) else Line(**value)


def ubl_totals(lines):
    """The document's totals by the specification's rules: ``lines`` (sum of the lines' net
    amounts), ``taxes`` [(category, rate, taxable, tax)] by category and rate, ``tax``,
    ``total`` (including VAT, the payable amount). All Decimal with two decimals."""
    lines = [_line(line) for line in lines]
    taxable = {}
    for line in lines:
        key = (line.vat_category, line.vat_rate)
        taxable[key] = taxable.get(key, Decimal("0")) + line.amount
    taxes = [
        (category, rate, base, _money(base * rate / 100))
        for (category, rate), base in sorted(taxable.items(), key=lambda item: -item[0][1])
    ]
    net = sum((line.amount for line in lines), Decimal("0.00"))
    tax = sum((subtotal[3] for subtotal in taxes), Decimal("0.00"))
    return {"lines": net, "taxes": taxes, "tax": tax, "total": net + tax}


# --- the XML -----------------------------------------------------------------------------------


def _sub(parent, ns, tag, text=None, **attrs):
    element = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        element.text = str(text)
    return element


def _cbc(parent, tag, text=None, **attrs):
    return _sub(parent, CBC, tag, text, **attrs)


def _cac(parent, tag):
    return _sub(parent, CAC, tag)


def _write_party(parent, tag, party):
    party_node = _cac(_cac(parent, tag), "Party")
    number = enterprise_number(party.vat)
    _cbc(party_node, "EndpointID", number, schemeID=BELGIAN_ENTERPRISE_SCHEME)
    _cbc(_cac(party_node, "PartyName"), "Name", party.name)
    address = _cac(party_node, "PostalAddress")
    if party.street:
        _cbc(address, "StreetName", party.street)
    if party.city:
        _cbc(address, "CityName", party.city)
    if party.zip_code:
        _cbc(address, "PostalZone", party.zip_code)
    _cbc(_cac(address, "Country"), "IdentificationCode", party.country)
    tax_scheme = _cac(party_node, "PartyTaxScheme")
    _cbc(tax_scheme, "CompanyID", party.vat.replace(" ", "").replace(".", ""))
    _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    legal = _cac(party_node, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.legal_name)
    _cbc(legal, "CompanyID", number, schemeID=BELGIAN_ENTERPRISE_SCHEME)
    if party.email:
        _cbc(_cac(party_node, "Contact"), "ElectronicMail", party.email)


def _tax_category(parent, tag, category, rate):
    node = _cac(parent, tag)
    _cbc(node, "ID", category)
    _cbc(node, "Percent", _number_text(rate))
    _cbc(_cac(node, "TaxScheme"), "ID", "VAT")


def write_ubl_invoice(
    *,
    number,
    issue_date,
    supplier,
    customer,
    lines,
    due_date=None,
    credit_note=False,
    currency="EUR",
    buyer_reference=None,
    order_reference=None,
    billing_reference=None,
    payment_reference=None,
    payment_terms=None,
    note=None,
    pdf=None,
    pdf_name=None,
):
    """A Peppol BIS Billing 3.0 Invoice (``credit_note``: CreditNote) as UTF-8 XML bytes.

    ``supplier`` and ``customer`` are Party (or its fields as a dict), ``lines`` Line (or
    dicts). ``due_date`` defaults to 30 days after ``issue_date``. The buyer reference (BT-10)
    or the order reference (BT-13) is required by Peppol: the buyer reference defaults to the
    customer's enterprise number when neither is given. ``billing_reference`` is the invoice a
    credit note credits. ``payment_reference`` (the PaymentID, a structured communication)
    defaults to one made from the document number's digits. ``pdf``: the invoice's PDF,
    embedded as AdditionalDocumentReference named ``pdf_name`` (default ``<number>.pdf``).
    """
    supplier, customer = _party(supplier), _party(customer)
    lines = [_line(line) for line in lines]
    if not lines:
        raise ValueError("a Peppol invoice has at least one line (BR-16)")
    if isinstance(issue_date, str):
        issue_date = date.fromisoformat(issue_date)
    due_date = due_date or issue_date + timedelta(days=30)
    if isinstance(due_date, str):
        due_date = date.fromisoformat(due_date)
    if not buyer_reference and not order_reference:
        buyer_reference = enterprise_number(customer.vat)
    if payment_reference is None:
        payment_reference = structured_communication(
            "".join(ch for ch in str(number) if ch.isdigit()) or "0"
        )
    totals = ubl_totals(lines)

    root_name, ns = ("CreditNote", CREDIT_NOTE_NS) if credit_note else ("Invoice", INVOICE_NS)
    # The root in the document's namespace as default one (a literal xmlns: ElementTree's
    # default_namespace refuses the unqualified attributes schemeID, currencyID, unitCode).
    root = ET.Element(root_name, {"xmlns": ns})
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", number)
    _cbc(root, "IssueDate", issue_date.isoformat())
    if not credit_note:
        _cbc(root, "DueDate", due_date.isoformat())
    _cbc(
        root,
        "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode",
        381 if credit_note else 380,
    )
    if note:
        _cbc(root, "Note", note)
    _cbc(root, "DocumentCurrencyCode", currency)
    if buyer_reference:
        _cbc(root, "BuyerReference", buyer_reference)
    if order_reference:
        _cbc(_cac(root, "OrderReference"), "ID", order_reference)
    if billing_reference:
        _cbc(
            _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference"),
            "ID",
            billing_reference,
        )
    if pdf:
        pdf_name = pdf_name or f"{number}.pdf"
        reference = _cac(root, "AdditionalDocumentReference")
        _cbc(reference, "ID", pdf_name)
        _cbc(reference, "DocumentDescription", "Credit note" if credit_note else "Invoice")
        _cbc(
            _cac(reference, "Attachment"),
            "EmbeddedDocumentBinaryObject",
            base64.b64encode(pdf).decode(),
            mimeCode="application/pdf",
            filename=pdf_name,
        )
    _write_party(root, "AccountingSupplierParty", supplier)
    _write_party(root, "AccountingCustomerParty", customer)

    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", 30, name="Credit transfer")
    if credit_note:
        _cbc(means, "PaymentDueDate", due_date.isoformat())
    if payment_reference:
        _cbc(means, "PaymentID", payment_reference)
    if supplier.iban:
        account = _cac(means, "PayeeFinancialAccount")
        _cbc(account, "ID", supplier.iban.replace(" ", ""))
        _cbc(account, "Name", supplier.legal_name)
        if supplier.bic:
            _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", supplier.bic)
    if payment_terms:
        _cbc(_cac(root, "PaymentTerms"), "Note", payment_terms)

    tax_total = _cac(root, "TaxTotal")
    _cbc(tax_total, "TaxAmount", _amount_text(totals["tax"]), currencyID=currency)
    for category, rate, taxable, tax in totals["taxes"]:
        subtotal = _cac(tax_total, "TaxSubtotal")
        _cbc(subtotal, "TaxableAmount", _amount_text(taxable), currencyID=currency)
        _cbc(subtotal, "TaxAmount", _amount_text(tax), currencyID=currency)
        _tax_category(subtotal, "TaxCategory", category, rate)

    monetary = _cac(root, "LegalMonetaryTotal")
    _cbc(monetary, "LineExtensionAmount", _amount_text(totals["lines"]), currencyID=currency)
    _cbc(monetary, "TaxExclusiveAmount", _amount_text(totals["lines"]), currencyID=currency)
    _cbc(monetary, "TaxInclusiveAmount", _amount_text(totals["total"]), currencyID=currency)
    _cbc(monetary, "PayableAmount", _amount_text(totals["total"]), currencyID=currency)

    line_tag, quantity_tag = (
        ("CreditNoteLine", "CreditedQuantity")
        if credit_note
        else ("InvoiceLine", "InvoicedQuantity")
    )
    for index, line in enumerate(lines, start=1):
        node = _cac(root, line_tag)
        _cbc(node, "ID", index)
        _cbc(node, quantity_tag, _number_text(line.quantity), unitCode=line.unit_code)
        _cbc(node, "LineExtensionAmount", _amount_text(line.amount), currencyID=currency)
        item = _cac(node, "Item")
        if line.description:
            _cbc(item, "Description", line.description)
        _cbc(item, "Name", line.name)
        _tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        _cbc(_cac(node, "Price"), "PriceAmount", _number_text(line.unit_price), currencyID=currency)

    ET.indent(root, space="    ")
    # The document's namespace as default one, cac and cbc with the examples' prefixes.
    ET.register_namespace("cac", CAC)
    ET.register_namespace("cbc", CBC)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode()


# --- the PDF -----------------------------------------------------------------------------------


def _eu(value):
    """1234.5 as 1.234,50 (the Belgian way)."""
    text = f"{_money(value):,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def invoice_pdf(
    *,
    number,
    issue_date,
    due_date,
    supplier,
    customer,
    lines,
    credit_note=False,
    payment_reference="",
):
    """A one-page PDF of the document, as its supplier would send it (reportlab, Odoo's own
    dependency, as dev/demo_data.py's statement PDFs)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    supplier, customer = _party(supplier), _party(customer)
    lines = [_line(line) for line in lines]
    totals = ubl_totals(lines)
    title = "Credit note" if credit_note else "Invoice"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    width, height = A4
    left, right = 40, width - 40
    pdf.setTitle(f"{title} {number}")
    pdf.setAuthor(supplier.legal_name)

    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(left, height - 55, supplier.name)
    pdf.setFont("Helvetica", 8)
    for index, text in enumerate(
        [
            supplier.legal_name,
            supplier.street,
            f"{supplier.zip_code} {supplier.city}".strip(),
            f"VAT {supplier.vat}",
        ]
    ):
        pdf.drawString(left, height - 70 - 10 * index, text)

    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(330, height - 120, customer.legal_name)
    pdf.setFont("Helvetica", 9)
    for index, text in enumerate(
        [customer.street, f"{customer.zip_code} {customer.city}".strip(), f"VAT {customer.vat}"]
    ):
        pdf.drawString(330, height - 132 - 11 * index, text)

    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(left, height - 190, f"{title} {number}")
    pdf.setFont("Helvetica", 9)
    pdf.drawString(left, height - 206, f"Date: {issue_date:%d/%m/%Y}")
    pdf.drawString(left + 150, height - 206, f"Due date: {due_date:%d/%m/%Y}")

    y = height - 235
    pdf.line(left, y + 12, right, y + 12)
    pdf.setFont("Helvetica-Bold", 8)
    for x, text in ((left, "Description"), (right - 180, "Quantity"), (right - 120, "Unit price")):
        pdf.drawRightString(x + 50, y, text) if x != left else pdf.drawString(x, y, text)
    pdf.drawRightString(right - 50, y, "VAT")
    pdf.drawRightString(right, y, "Amount EUR")
    pdf.line(left, y - 4, right, y - 4)
    pdf.setFont("Helvetica", 8)
    for line in lines:
        y -= 14
        pdf.drawString(left, y, line.name[:70])
        pdf.drawRightString(right - 130, y, f"{_number_text(line.quantity)} {line.unit_code}")
        pdf.drawRightString(right - 70, y, _eu(line.unit_price))
        pdf.drawRightString(right - 50, y, f"{_number_text(line.vat_rate)}%")
        pdf.drawRightString(right, y, _eu(line.amount))
    y -= 10
    pdf.line(left, y, right, y)

    y -= 18
    rows = [("Total excluding VAT", totals["lines"])]
    rows += [
        (f"VAT {_number_text(rate)}% on {_eu(base)}", tax)
        for _c, rate, base, tax in totals["taxes"]
    ]
    rows += [("Total to pay" if not credit_note else "Total credited", totals["total"])]
    for index, (label, amount) in enumerate(rows):
        pdf.setFont("Helvetica-Bold" if index == len(rows) - 1 else "Helvetica", 9)
        pdf.drawRightString(right - 100, y, label)
        pdf.drawRightString(right, y, _eu(amount))
        y -= 13

    y -= 20
    pdf.setFont("Helvetica", 9)
    if not credit_note and supplier.iban:
        pdf.drawString(
            left,
            y,
            f"Please pay {_eu(totals['total'])} EUR by {due_date:%d/%m/%Y} to "
            f"{supplier.iban} ({supplier.bic})",
        )
        y -= 12
        pdf.drawString(left, y, f"with the structured communication {payment_reference}")
    elif credit_note:
        pdf.drawString(left, y, f"This amount will be refunded. Reference {payment_reference}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- realistic purchase invoices -------------------------------------------------------------

SUPPLIERS = {
    "proximus": Party(
        name="Proximus",
        registration_name="Proximus NV",
        vat="BE0202239951",
        street="Koning Albert II-laan 27",
        city="Brussel",
        zip_code="1030",
        iban=belgian_iban(0, 1234567),
        bic="BPOTBEB1",
        email="invoices@proximus.example",
    ),
    "engie": Party(
        name="Engie Electrabel",
        registration_name="Electrabel NV",
        vat="BE0403170701",
        street="Simon Bolivarlaan 36",
        city="Brussel",
        zip_code="1000",
        iban=belgian_iban(210, 4563218),
        bic="GEBABEBB",
    ),
    "office": Party(
        name="Bureau Direct",
        registration_name="Bureau Direct BV",
        vat="BE" + make_enterprise_number("04567812"),
        street="Industrieweg 12",
        city="Mechelen",
        zip_code="2800",
        iban=belgian_iban(68, 2147483),
        bic="GKCCBEBB",
    ),
    "fuel": Party(
        name="FuelCard Benelux",
        registration_name="FuelCard Benelux NV",
        vat="BE" + make_enterprise_number("04789123"),
        street="Noorderlaan 147",
        city="Antwerpen",
        zip_code="2030",
        iban=belgian_iban(310, 1845276),
        bic="BBRUBEBB",
    ),
}

DEFAULT_CUSTOMER = Party(
    name="Boulangerie Dupont",
    registration_name="Boulangerie Dupont SRL",
    vat="BE" + make_enterprise_number("07123456"),
    street="Rue de la Station 5",
    city="Namur",
    zip_code="5000",
)


def _supplier_lines(kind, rng, issue_date):
    """Realistic lines of a supplier's invoice: Line arguments as dicts."""
    month = f"{issue_date:%m/%Y}"
    if kind == "proximus":
        lines = [
            {
                "name": f"Internet Business Flex - {month}",
                "quantity": 1,
                "unit_price": rng.choice(["59.50", "71.07", "88.43"]),
                "unit_code": "MON",
            },
            {
                "name": f"Mobile Business Unlimited - {month}",
                "quantity": rng.randint(1, 4),
                "unit_price": "30.58",
                "unit_code": "MON",
            },
        ]
        if rng.random() < 0.5:
            lines.append(
                {
                    "name": "Calls outside the plan",
                    "quantity": 1,
                    "unit_price": f"{rng.randint(150, 1800) / 100:.2f}",
                }
            )
        return lines
    if kind == "engie":
        kwh = rng.randint(600, 2400)
        return [
            {
                "name": f"Electricity - energy {month}",
                "quantity": kwh,
                "unit_price": "0.14",
                "unit_code": "KWH",
            },
            {
                "name": f"Electricity - distribution {month}",
                "quantity": kwh,
                "unit_price": "0.09",
                "unit_code": "KWH",
            },
            {"name": "Fixed fee", "quantity": 1, "unit_price": "8.26", "unit_code": "MON"},
            {
                "name": "Federal contribution and levies",
                "quantity": 1,
                "unit_price": f"{kwh * 0.0035:.2f}",
            },
        ]
    if kind == "office":
        catalogue = [
            ("Copy paper A4 80 g, box of 5 reams", "24.95"),
            ("Ballpoint pens blue, box of 50", "12.40"),
            ("Lever arch files 80 mm, pack of 10", "31.90"),
            ("Toner cartridge black", "89.00"),
            ("Sticky notes 76 x 76 mm, pack of 12", "9.85"),
        ]
        lines = [
            {"name": name, "quantity": rng.randint(1, 6), "unit_price": price}
            for name, price in rng.sample(catalogue, rng.randint(2, 4))
        ]
        # Books are at 6% in Belgium: one on the invoice gives it a second VAT rate.
        lines.append(
            {
                "name": "Belgian accounting law handbook 2026",
                "quantity": 1,
                "unit_price": "45.28",
                "vat_rate": 6,
            }
        )
        return lines
    if kind == "fuel":
        lines = []
        for index in range(rng.randint(2, 5)):
            day = issue_date - timedelta(days=rng.randint(1, 28))
            product, price = rng.choice([("Diesel B7", "1.79"), ("Euro 95 E10", "1.72")])
            lines.append(
                {
                    "name": f"{product} - {day:%d/%m} - station {100 + index * 17}",
                    "quantity": f"{rng.randint(3000, 6500) / 100:.2f}",
                    "unit_price": price,
                    "unit_code": "LTR",
                }
            )
        lines.append({"name": "Card fee", "quantity": 1, "unit_price": "2.50", "unit_code": "MON"})
        return lines
    return [
        {"name": "Services", "quantity": 1, "unit_price": f"{rng.randint(5000, 90000) / 100:.2f}"}
    ]


def generate_purchase_invoice(
    seed,
    supplier=None,
    customer=None,
    number=None,
    issue_date=None,
    lines=None,
    credit_note=False,
    embed_pdf=False,
):
    """A realistic purchase invoice of a Belgian supplier to ``customer``: its Peppol BIS 3
    UBL XML, its PDF, and what CodaBox's metadata would say of it. The same seed makes the
    same document.

    ``supplier``: a key of SUPPLIERS ("proximus", "engie", "office", "fuel"), a Party or a
    dict, chosen by the seed when None. ``customer``: Party or dict (default DEFAULT_CUSTOMER).
    ``lines``: Line or dicts, the supplier's usual ones when None. ``embed_pdf`` embeds the PDF
    in the XML too (as many Peppol senders do).

    Returns ``(xml_bytes, pdf_bytes, metadata)``; metadata has ``number``, ``issue_date``,
    ``due_date`` (ISO dates), ``document_type`` ("invoice" or "credit_note"), ``supplier_name``,
    ``supplier_vat``, ``supplier_iban``, ``customer_name``, ``customer_vat``, ``currency``,
    ``total_excl_vat``, ``total_vat``, ``total_incl_vat`` (the payable amount; amounts as
    strings with two decimals), ``vat`` ([{"rate", "taxable", "tax"}] per rate, strings),
    ``payment_reference`` (the structured communication), ``line_count``, ``pdf_name`` and
    ``xml_name``.
    """
    rng = random.Random(seed)
    kind = None
    if supplier is None:
        kind = rng.choice(sorted(SUPPLIERS))
        supplier = SUPPLIERS[kind]
    elif isinstance(supplier, str):
        kind, supplier = supplier, SUPPLIERS[supplier]
    supplier = _party(supplier)
    customer = _party(customer or DEFAULT_CUSTOMER)
    if isinstance(issue_date, str):
        issue_date = date.fromisoformat(issue_date)
    issue_date = issue_date or date(2026, 11, 1) + timedelta(days=rng.randint(0, 27))
    due_date = issue_date + timedelta(days=rng.choice([14, 30, 30, 45]))
    if number is None:
        prefix = "CN" if credit_note else "INV"
        number = f"{prefix}-{issue_date.year}-{rng.randint(10000, 999999):06d}"
    lines = [_line(line) for line in (lines or _supplier_lines(kind, rng, issue_date))]
    payment_reference = structured_communication(rng.randint(1, 10**10 - 1))
    pdf = invoice_pdf(
        number=number,
        issue_date=issue_date,
        due_date=due_date,
        supplier=supplier,
        customer=customer,
        lines=lines,
        credit_note=credit_note,
        payment_reference=payment_reference,
    )
    safe_number = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(number))
    pdf_name = f"{safe_number}.pdf"
    xml = write_ubl_invoice(
        number=number,
        issue_date=issue_date,
        due_date=due_date,
        supplier=supplier,
        customer=customer,
        lines=lines,
        credit_note=credit_note,
        payment_reference=payment_reference,
        payment_terms=f"Payment within {(due_date - issue_date).days} days",
        billing_reference=(
            f"INV-{issue_date.year}-{rng.randint(10000, 999999):06d}" if credit_note else None
        ),
        pdf=pdf if embed_pdf else None,
        pdf_name=pdf_name,
    )
    totals = ubl_totals(lines)
    metadata = {
        "number": str(number),
        "issue_date": issue_date.isoformat(),
        "due_date": due_date.isoformat(),
        "document_type": "credit_note" if credit_note else "invoice",
        "supplier_name": supplier.legal_name,
        "supplier_vat": supplier.vat,
        "supplier_iban": supplier.iban,
        "customer_name": customer.legal_name,
        "customer_vat": customer.vat,
        "currency": "EUR",
        "total_excl_vat": _amount_text(totals["lines"]),
        "total_vat": _amount_text(totals["tax"]),
        "total_incl_vat": _amount_text(totals["total"]),
        "vat": [
            {"rate": _number_text(rate), "taxable": _amount_text(base), "tax": _amount_text(tax)}
            for _category, rate, base, tax in totals["taxes"]
        ],
        "payment_reference": payment_reference,
        "line_count": len(lines),
        "pdf_name": pdf_name,
        "xml_name": f"{safe_number}.xml",
    }
    return xml, pdf, metadata
