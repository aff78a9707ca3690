"""The chain of a bank account's statements: pure Python, no Odoo.

Each CODA statement of an account has its number (the paper statement number, per account
and year, from 1) and an old balance that must equal the previous statement's new balance.
``find_breaks`` orders the statements by date and number (never by import order) and names
each place where the chain breaks: numbers missing between two statements, or a balance
that does not follow on.
"""

from .chain import Break, Link, find_breaks

__all__ = ["Break", "Link", "find_breaks"]
