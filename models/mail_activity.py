from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # The to-do of a break in a bank journal's chain of statements
    # (account.journal._codabox_gap_activities): done when the break is mended.
    codabox_gap_statement_id = fields.Many2one(
        "account.bank.statement",
        string="Statement after the gap",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
    )
    codabox_gap_message = fields.Char(readonly=True)
