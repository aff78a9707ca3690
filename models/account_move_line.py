from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    codabox_soda_code = fields.Char(
        string="Social account",
        readonly=True,
        copy=False,
        help="The social secretariat's account of this SODA line (see the SODA mapping).",
    )
