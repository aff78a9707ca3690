"""Names of counterparties compared with names of partners: pure Python (no Odoo).

A bank writes a counterparty's name its own way: in capitals, without accents, with or
without the legal form ("PROXIMUS", "Proximus SA", "Proximus S.A."). Two names are the same
counterparty when their normalised forms (:func:`normalise_name`) are equal: the words in
lower case without accents, punctuation or the legal forms before or after them. Nothing
looser is ever taken for a match: no spelling mistakes, no words left out, no abbreviations.
"""

import re
import unicodedata

# Belgian (and a few neighbouring) legal forms, as written once dots are removed: the French,
# Dutch and German abbreviations, old and new (the 2019 Code of companies and associations).
LEGAL_FORMS = frozenset(
    """
    sa nv ag srl bv bvba sprl sprlu eenmanszaak sc cv cvba scrl scri cvoa scs commv gcv snc vof
    sca commva asbl vzw aisbl ivzw fup sep se gie esv ltd gmbh sarl
    """.split()
)

# Letters that decomposition does not split into a letter and an accent.
_LIGATURES = str.maketrans({"æ": "ae", "œ": "oe", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})
# Removed without a space: "S.A." is "sa", "L'Oréal" is "loreal".
_JOINING = re.compile("[.'`\u2019\u00b4]")  # the dot and the apostrophes
_SEPARATOR = re.compile(r"[\W_]+")
# Letters a partner's name may carry with an accent where a bank's has none: a wildcard in
# the database's preselection (see search_pattern).
_ACCENTABLE = frozenset("aceinouy")


def _words(name):
    text = unicodedata.normalize("NFKD", name.casefold()).translate(_LIGATURES)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _SEPARATOR.sub(" ", _JOINING.sub("", text)).split()


def normalise_name(name):
    """The normalised form of a name, or "" when nothing is left of it.

    >>> normalise_name("Engie Electrabel S.A./N.V.")
    'engie electrabel'
    >>> normalise_name("LEFEVRE PAPIER srl") == normalise_name("Lefèvre Papier SRL")
    True
    >>> normalise_name("SA")
    ''
    """
    words = _words(name or "")
    while words and words[-1] in LEGAL_FORMS:
        words.pop()
    while words and words[0] in LEGAL_FORMS:
        words.pop(0)
    return " ".join(words)


def search_pattern(normalised):
    """A ``LIKE`` pattern (without the surrounding ``%``) that the partner names whose
    normalised form is ``normalised`` contain, up to case: its longest word, each letter
    that may carry an accent there replaced by ``_``. For a database to preselect the
    partners to compare, in one search, before :func:`normalise_name` decides; None for "".

    A name whose longest word is written with a ligature, a dot or an apostrophe inside
    (``Cœur``, ``Sté.Générale``) does not contain it: such a partner is not found by name.

    >>> search_pattern("engie electrabel")
    '_l__tr_b_l'
    """
    words = normalised.split()
    if not words:
        return None
    longest = max(words, key=len)
    return "".join("_" if char in _ACCENTABLE else char for char in longest)
