"""The rules that match a bank movement with an open invoice by its structured reference.

Pure Python (standard library and the project's ``coda_parser``): no Odoo. The Odoo side
finds the candidates and reconciles; what is a structured reference, and what a movement
does with the candidates it finds, is decided here.

Two kinds of references are recognised, compared on their normalised form only:

- the Belgian structured communication (OGM/VCS): 12 digits whose last two are the first
  ten modulo 97 (97 for 0), written ``+++123/4567/89002+++``, ``***...***``, with or
  without the slashes; normalised to the 12 digits;
- the ISO 11649 creditor reference: ``RF``, two check digits (ISO 7064 mod 97-10) and up
  to 21 letters or digits, often printed in groups of four; normalised to its characters
  in capitals, without spaces.

A text is a reference only when the whole of it is one: a reference inside a longer text
(``Invoice +++123/4567/89002+++ and 2 others``), or one with wrong check digits, is not.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from ..coda_parser.structured import mod97_is_valid, ogm_is_valid

# What may surround or separate the digits of a Belgian structured communication, as people
# and banks write it: the +++ or *** frame, slashes, spaces, dashes and dots.
_OGM = re.compile(r"(\+{3}|\*{3})?(\d{3})[/.\-]?(\d{4})[/.\-]?(\d{5})(\+{3}|\*{3})?")
_RF = re.compile(r"RF\d{2}[0-9A-Z]{1,21}")

# What a decision says of a movement: reconcile it fully, partially, or leave it open.
FULL = "full"
PARTIAL = "partial"
OPEN = "open"

# Why (Decision.reason).
EXACT = "exact"  # FULL: the amount is the candidate's residual
LESS = "less"  # PARTIAL: the amount is less than the residual
NO_REFERENCE = "no_reference"  # the communication is not a structured reference
NO_AMOUNT = "no_amount"  # a movement of zero
NO_CANDIDATE = "no_candidate"  # no open invoice has the reference
WRONG_DIRECTION = "wrong_direction"  # only invoices this movement's direction cannot pay
SEVERAL = "several"  # more than one open invoice has the reference
OTHER_CURRENCY = "other_currency"  # the one invoice is in another currency
MORE = "more"  # the amount is more than the residual


def normalise_reference(text):
    """The structured reference that ``text`` is, normalised, or None.

    >>> normalise_reference("+++090/9337/55493+++")
    '090933755493'
    >>> normalise_reference("rf18 5390 0754 7034")
    'RF18539007547034'
    >>> normalise_reference("Invoice +++090/9337/55493+++") is None
    True
    """
    if not text:
        return None
    compact = "".join(text.split()).upper()
    match = _OGM.fullmatch(compact)
    if match:
        opening, *groups, closing = match.groups()
        digits = "".join(groups)
        return digits if opening == closing and ogm_is_valid(digits) else None
    if _RF.fullmatch(compact) and mod97_is_valid(compact):
        return compact
    return None


def is_ogm(reference):
    """Whether a normalised reference is a Belgian structured communication (not RF)."""
    return bool(reference) and reference.isdecimal()


# The database preselects candidates on their payment reference stripped of everything but
# digits and capitals (``regexp_replace(upper(ref), PRESELECT_STRIP, '', 'g')``), which an
# index can serve; it is a broader form than normalise_reference's, which then confirms
# each candidate. A normalised reference is its own preselection form.
PRESELECT_STRIP = "[^0-9A-Z]"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open invoice, bill or credit note the movement may pay.

    ``residual`` is signed as the movement that pays it: positive when money coming in pays
    it (a customer invoice, a vendor credit note), negative when money going out does (a
    vendor bill, a customer credit note); in ``currency``, the invoice's.
    """

    key: object
    residual: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a movement: ``outcome`` FULL, PARTIAL or OPEN, and ``reason``.

    ``candidate`` is the invoice to reconcile with (FULL, PARTIAL) or the one invoice that
    could not be (OTHER_CURRENCY, MORE); ``candidates`` are all those of the reference.
    """

    outcome: str
    reason: str
    candidate: Candidate | None = None
    candidates: tuple = ()


def _sign(value):
    return (value > 0) - (value < 0)


def decide(amount, currency, candidates, decimals=2):
    """Decide what a movement of ``amount`` in ``currency`` does with the open invoices of
    its reference (``candidates``, already restricted to its company).

    - only the candidates in the movement's direction count: money in pays customer
      invoices and vendor credit notes, money out vendor bills and customer credit notes;
    - exactly one, in the movement's currency: reconcile fully when the amount is its
      residual, partially when less; more, several candidates, or another currency: open.

    Amounts are compared rounded to ``decimals`` (the currency's).
    """
    quantum = Decimal(1).scaleb(-decimals)
    amount = Decimal(str(amount)).quantize(quantum)
    candidates = tuple(candidates)
    if not amount:
        return Decision(OPEN, NO_AMOUNT, candidates=candidates)
    if not candidates:
        return Decision(OPEN, NO_CANDIDATE)
    payable = [c for c in candidates if _sign(c.residual) == _sign(amount)]
    if not payable:
        return Decision(OPEN, WRONG_DIRECTION, candidates=candidates)
    if len(payable) > 1:
        return Decision(OPEN, SEVERAL, candidates=tuple(payable))
    (candidate,) = payable
    if candidate.currency != currency:
        return Decision(OPEN, OTHER_CURRENCY, candidate, candidates)
    residual = Decimal(str(candidate.residual)).quantize(quantum)
    if abs(amount) == abs(residual):
        return Decision(FULL, EXACT, candidate, candidates)
    if abs(amount) < abs(residual):
        return Decision(PARTIAL, LESS, candidate, candidates)
    return Decision(OPEN, MORE, candidate, candidates)


def paid(candidate, amount, decimals=2):
    """The candidate once ``amount`` (signed like its residual) is reconciled with it, or
    None when nothing is left to pay: what the next movements of the same batch see."""
    quantum = Decimal(1).scaleb(-decimals)
    left = (Decimal(str(candidate.residual)) - Decimal(str(amount))).quantize(quantum)
    if not left or _sign(left) != _sign(candidate.residual):
        return None
    return Candidate(candidate.key, left, candidate.currency)
