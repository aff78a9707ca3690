from odoo import _, fields, models


class AccountJournal(models.Model):
    _inherit = "account.journal"

    coda_globalisation = fields.Selection(
        [("details", "Detail lines"), ("totals", "Totals only")],
        string="CODA Globalisation",
        default="details",
        required=True,
        help="A bank groups some movements (a batch of payments, card settlements) under one "
        "total. Detail lines: import each movement of the group, which eases reconciliation. "
        "Totals only: import the total as a single line, as it appears on the paper statement.",
    )
    def action_open_coda_import_wizard(self):
        """The CODA upload, set for this journal's company."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Upload CODA"),
            "res_model": "codabox.coda.import.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_journal_id": self.id,
                "default_company_id": self.company_id.id,
            },
        }
