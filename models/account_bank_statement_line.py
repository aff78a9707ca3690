import hashlib

from odoo import Command, api, fields, models
from odoo.addons.base.models.res_bank import sanitize_account_number

# What Odoo's _prepare_move_line_default_vals reads of a statement line.
DRAFT_FIELDS = ("journal_id", "date", "amount", "payment_ref", "partner_id")


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    unique_import_id = fields.Char(
        string="Import ID",
        readonly=True,
        copy=False,
        index=True,
        help="Identifies the bank transaction this line was imported from, so that a file "
        "imported twice does not create it twice.",
    )

    _sql_constraints = [
        (
            "unique_import_id",
            "unique (journal_id, unique_import_id)",
            "A bank transaction can only be imported once in a journal.",
        ),
    ]

    @api.model
    def _coda_statement_import_key(self, statement):
        """The part of the import ids shared by every line of a CODA statement.

        A bank numbers its CODA statements per account from 1 each year: the account, its
        currency, the year-bearing new balance date and that number name one statement,
        whatever file or channel (CodaBox, SFTP, manual download) brought it.
        """
        balance_date = statement.new_balance_date or statement.creation_date
        account = sanitize_account_number(statement.iban or statement.account_number)
        number = f"{statement.coda_sequence:03d}"
        return f"coda-{account}-{statement.currency}-{balance_date:%Y%m%d}-{number}"

    @api.model
    def _coda_unique_import_id(self, statement_key, movement):
        """The import id of a movement: its statement's key, then its place in it.

        The sequence and detail numbers place a movement within its statement, totals and
        details alike, so two lines never collide; they come from the file, so the same line
        always gets the same id. Every movement of a statement has an id, imported or not, so
        a statement is recognised as imported whichever globalisation mode imported it. The
        short hash of the raw records (trailing blanks dropped) keeps apart two different
        movements that a faulty file numbers alike.
        """
        text = "\n".join(line.rstrip() for line in movement.record_text.splitlines())
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        return f"{statement_key}-{movement.sequence:04d}.{movement.detail:04d}-{digest}"

    @api.model
    def _coda_journal_items(self, vals):
        """The journal items of a new statement line, as Odoo makes them, given up front.

        Odoo creates a line's journal entry first and then writes its two items on it, one
        line at a time; given with the values, the items of a whole statement are created in
        one batch, which makes a large statement several times faster to import.
        """
        draft = self.new({field: vals[field] for field in DRAFT_FIELDS if field in vals})
        items = draft._prepare_move_line_default_vals()
        for item in items:
            item.pop("move_id", None)  # the entry they are created with
        return [Command.create(item) for item in items]
