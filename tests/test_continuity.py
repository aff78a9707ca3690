"""continuity/: the breaks in one account's chain of statements, pure Python."""

from datetime import date
from decimal import Decimal

from ..continuity import Link, find_breaks


def link(key, day, number, old, new, year=None):
    return Link(key, day, year or day.year, number, Decimal(old), Decimal(new))


def test_a_whole_chain_has_no_break():
    chain = [
        link("a", date(2026, 3, 30), 43, "0", "10"),
        link("b", date(2026, 3, 31), 44, "10", "25.50"),
        link("c", date(2026, 4, 1), 45, "25.50", "20"),
    ]
    assert find_breaks(chain) == []


def test_a_missing_number_is_named_with_the_balances_around_it():
    before = link("a", date(2026, 3, 31), 44, "0", "12345.67")
    after = link("c", date(2026, 4, 2), 46, "12890.12", "13000")
    (gap,) = find_breaks([after, before])  # in any order: the chain is by date and number
    assert (gap.before, gap.after, gap.missing, gap.kind) == (
        before,
        after,
        ((2026, 45),),
        "missing",
    )
    assert (gap.balance_from, gap.balance_to) == (Decimal("12345.67"), Decimal("12890.12"))


def test_several_missing_numbers_and_two_gaps():
    chain = [
        link(1, date(2026, 1, 5), 1, "0", "1"),
        link(2, date(2026, 1, 9), 4, "3", "4"),
        link(3, date(2026, 1, 10), 5, "4", "5"),
        link(4, date(2026, 1, 12), 7, "6", "7"),
    ]
    gaps = find_breaks(chain)
    assert [(g.before.key, g.after.key, g.missing) for g in gaps] == [
        (1, 2, ((2026, 2), (2026, 3))),
        (3, 4, ((2026, 6),)),
    ]


def test_a_new_year_restarting_at_one_is_no_gap():
    chain = [
        link("dec", date(2025, 12, 31), 250, "0", "100"),
        link("jan", date(2026, 1, 2), 1, "100", "90"),
    ]
    assert find_breaks(chain) == []


def test_a_bank_numbering_on_across_the_year_is_no_gap():
    chain = [
        link("dec", date(2025, 12, 31), 250, "0", "100"),
        link("jan", date(2026, 1, 2), 251, "100", "90"),
    ]
    assert find_breaks(chain) == []


def test_the_first_statements_of_a_new_year_missing():
    chain = [
        link("dec", date(2025, 12, 31), 250, "0", "100"),
        link("jan", date(2026, 1, 6), 3, "80", "90"),
    ]
    (gap,) = find_breaks(chain)
    assert gap.missing == ((2026, 1), (2026, 2))


def test_a_balance_break_without_a_number_gap():
    chain = [
        link("a", date(2026, 3, 31), 44, "0", "100"),
        link("b", date(2026, 4, 1), 45, "99.99", "120"),
    ]
    (gap,) = find_breaks(chain)
    assert (gap.kind, gap.missing, gap.balance_breaks) == ("balance", (), True)


def test_statements_arriving_out_of_order_are_chained_by_date_and_number():
    links = [
        link("c", date(2026, 4, 2), 46, "30", "40"),
        link("a", date(2026, 3, 31), 44, "0", "10"),
        link("b", date(2026, 4, 1), 45, "10", "30"),
    ]
    assert find_breaks(links) == []
    assert [gap.after.key for gap in find_breaks(links[:2])] == ["c"]


def test_a_number_jump_too_large_to_be_statements_compares_balances_only():
    chain = [
        link("a", date(2026, 3, 31), 44, "0", "10"),
        link("b", date(2026, 4, 1), 900, "10", "20"),
    ]
    assert find_breaks(chain, max_missing=366) == []
