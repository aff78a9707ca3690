"""The exceptions the addon's Odoo side raises, in one place for the modules that catch them.

The pure packages keep theirs: ``coda_parser.CodaError`` (a file that is not CODA) and
``codabox_client.exceptions`` (a CodaBox call that failed, each with a stable ``code``).
"""

from odoo.exceptions import UserError


class CodaboxUserError(UserError):
    """A CodaBox failure, translated for the user, keeping the client's exception."""

    def __init__(self, message, error):
        super().__init__(message)
        self.codabox_error = error


class CodaImportError(UserError):
    """A CODA file that cannot be imported; nothing of it was imported."""


class CodaUnknownAccountError(CodaImportError):
    """A statement of the file is for an account that no bank journal of the company holds.

    ``account_number`` and ``currency`` let the caller offer to create that journal.
    """

    def __init__(self, message, account_number, currency):
        super().__init__(message)
        self.account_number = account_number
        self.currency = currency


class ZipRefused(Exception):
    """An uploaded archive refused whole, with the translated message that says why."""
