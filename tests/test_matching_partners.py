"""Counterparty names compared with partner names (matching.partners): pure Python."""

import re

import pytest

from ..matching.partners import LEGAL_FORMS, normalise_name, search_pattern


@pytest.mark.parametrize(
    ("bank", "partner"),
    [
        ("PROXIMUS", "Proximus SA"),
        ("Proximus S.A.", "PROXIMUS SA"),
        ("ENGIE ELECTRABEL SA/NV", "Engie Electrabel"),
        ("Engie-Electrabel", "ENGIE ELECTRABEL"),
        ("LEFEVRE PAPIER SRL", "Lefèvre Papier SRL"),
        ("SD WORX", "SD Worx"),
        ("IMMO GOOSSENS", "Immo Goossens BV"),
        ("NV BEKAERT", "Bekaert NV"),
        ("LOREAL BELGILUX", "L'Oréal Belgilux"),
        ("COEUR DE BOIS VZW", "Cœur de Bois"),
        ("CAFE CENTRAL BVBA", "Café Central BV"),
        ("  Meunerie   Dumont  ", "Meunerie Dumont SA"),
        ("ASBL Les Amis", "Les Amis asbl"),
    ],
)
def test_same_counterparty(bank, partner):
    assert normalise_name(bank) == normalise_name(partner)
    assert normalise_name(bank)


@pytest.mark.parametrize(
    ("bank", "partner"),
    [
        ("LEFEVRE", "Lefèvre Papier SRL"),  # a word left out
        ("LEFEVRE PAPIERS", "Lefèvre Papier SRL"),  # another word
        ("PROXIMUS BELGIUM", "Proximus SA"),
        ("L OREAL", "L'Oréal"),  # an apostrophe joins, a space separates
        ("SD", "SD Worx"),
    ],
)
def test_other_counterparty(bank, partner):
    assert normalise_name(bank) != normalise_name(partner)


def test_legal_forms_only_at_the_ends():
    assert normalise_name("Les SA Services BV") == "les sa services"
    assert normalise_name("SA/NV") == ""
    assert normalise_name("") == normalise_name(None) == ""


def test_legal_forms_are_words_as_normalised():
    """Written as normalise_name compares them: lower case, no dots."""
    assert all(re.fullmatch(r"[a-z]+", form) for form in LEGAL_FORMS)
    assert {"sa", "nv", "srl", "bv", "sprl", "bvba", "vzw", "asbl"} <= LEGAL_FORMS


@pytest.mark.parametrize(
    ("partner", "bank"),
    [
        ("Lefèvre Papier SRL", "LEFEVRE PAPIER"),
        ("Électricité Dupont", "ELECTRICITE DUPONT"),
        ("Engie Electrabel SA", "ENGIE ELECTRABEL"),
        ("Façades Müller", "FACADES MULLER"),
    ],
)
def test_search_pattern_finds_the_partner(partner, bank):
    """The database's preselection (LIKE, case ignored) holds every partner of the name."""
    pattern = search_pattern(normalise_name(bank))
    regex = "".join("." if char == "_" else re.escape(char) for char in pattern)
    assert re.search(regex, partner, re.IGNORECASE)


def test_search_pattern_of_nothing():
    assert search_pattern("") is None
    assert search_pattern("engie electrabel") == "_l__tr_b_l"
