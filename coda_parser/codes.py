"""English labels for CODA transaction codes (family, operation, category).

Our own compact wording of the Febelfin tables; operations not listed here fall back to the
family label alone, so an unknown code never hides the movement.
"""

FAMILIES = {
    "01": "Domestic or SEPA credit transfer",
    "02": "Instant SEPA credit transfer",
    "03": "Cheque",
    "04": "Card",
    "05": "Direct debit",
    "07": "Domestic commercial paper",
    "09": "Counter transaction",
    "11": "Securities",
    "13": "Credit",
    "30": "Miscellaneous",
    "35": "Closing",
    "41": "International or non-SEPA credit transfer",
    "43": "Foreign cheque",
    "47": "Foreign commercial paper",
    "80": "Separately charged costs and provisions",
}

_TRANSFERS = {
    "01": "individual transfer order",
    "02": "individual transfer order initiated by the bank",
    "03": "standing order",
    "05": "payment of wages",
    "07": "collective transfer",
    "13": "transfer from your account",
    "17": "financial centralisation (debit)",
    "39": "issued circular cheque",
    "50": "transfer in your favour",
    "51": "transfer in your favour initiated by the bank",
    "52": "payment in your favour",
    "54": "unexecutable transfer order",
    "60": "non-presented circular cheque",
    "62": "unpaid postal order",
    "64": "transfer to your account",
    "66": "financial centralisation (credit)",
}

OPERATIONS = {
    "01": _TRANSFERS,
    "02": _TRANSFERS,
    "03": {
        "01": "payment of your cheque",
        "05": "payment of voucher",
        "09": "unpaid voucher",
        "11": "department store cheque",
        "15": "purchase of a bank cheque",
        "17": "certified cheque",
        "38": "provisionally unpaid",
        "52": "remittance of cheques",
        "58": "remittance of cheques",
        "60": "reversal of voucher",
        "62": "reversal of cheque",
        "63": "second credit of unpaid cheque",
        "66": "remittance of cheques",
    },
    "04": {
        "01": "loading of a GSM card",
        "02": "card payment in the euro zone",
        "03": "settlement of credit cards",
        "04": "cash withdrawal from an ATM",
        "05": "loading of a Proton card",
        "06": "payment with a tank card",
        "07": "payment by GSM",
        "08": "card payment outside the euro zone",
        "09": "upload of a prepaid card",
        "10": "correction of a prepaid card upload",
        "50": "credit after a payment at a terminal",
        "51": "unloading of a Proton card",
        "52": "loading of a GSM card (provider)",
        "53": "cash deposit at an ATM",
        "54": "download of a prepaid card",
        "55": "income from payments by GSM",
        "56": "correction of a prepaid card download",
        "68": "credit after Proton payments",
    },
    "05": {
        "01": "payment",
        "03": "unpaid debt",
        "05": "reimbursement",
        "50": "credit after collection",
        "52": "credit under usual reserve",
        "54": "reimbursement",
        "56": "unexecutable reimbursement",
        "58": "reversal",
    },
    "30": {"39": "undefined transaction", "89": "undefined transaction"},
    "35": {"01": "closing", "50": "closing"},
}

# Operation codes with the same meaning in (almost) every family.
GENERIC_OPERATIONS = {
    "37": "costs",
    "49": "cancellation or correction",
    "87": "reimbursement of costs",
    "99": "cancellation or correction",
}

CATEGORIES = {
    "000": "net amount",
    "001": "interest received",
    "002": "interest paid",
    "003": "credit commission",
    "004": "postage",
    "006": "various fees",
    "011": "VAT",
    "012": "exchange commission",
    "013": "payment commission",
    "014": "collection commission",
    "015": "correspondent charges",
    "037": "commission for handling charges",
    "049": "fiscal stamps",
    "051": "withholding tax",
    "055": "repayment of loan capital",
    "059": "default interest",
    "068": "countervalue of an entry",
    "100": "gross amount",
}


def operation_label(family: str, operation: str) -> str:
    """The operation's label, or "" when the code has no label of its own."""
    label = OPERATIONS.get(family, {}).get(operation)
    if label is None:
        label = GENERIC_OPERATIONS.get(operation, "")
    return label


def category_label(category: str) -> str:
    """Label of a cost category; 700-999 are free for each bank."""
    label = CATEGORIES.get(category)
    if label is None and category.isdecimal() and int(category) >= 700:
        return "bank-specific category"
    return label or ""


def transaction_label(family: str, operation: str, category: str) -> str:
    """Readable label such as "Domestic or SEPA credit transfer: transfer in your favour"."""
    label = FAMILIES.get(family) or f"Family {family}"
    operation_text = operation_label(family, operation)
    if operation_text:
        label = f"{label}: {operation_text}"
    if category != "000":
        category_text = category_label(category)
        if category_text:
            label = f"{label} ({category_text})"
    return label
