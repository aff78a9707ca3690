from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

MAX_REFUSED_PER_HOUR = 5


class CodaboxPasswordAttempt(models.Model):
    """An office password CodaBox refused, by whom and when.

    CodaBox is the authority on the office password (it may have been changed from another
    database of the office), so a password this database does not know is still tried
    there; these records cap how many refused ones a user may try in an hour, so that a
    database cannot be used to guess the office password at CodaBox.
    """

    _name = "codabox.password.attempt"
    _description = "Office password refused by CodaBox"
    _order = "id desc"

    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    office_vat = fields.Char(required=True, readonly=True)

    @api.model
    def _check_allowed(self, office_vat):
        """Refuse before CodaBox is asked when this user had too many refusals lately."""
        since = fields.Datetime.now() - timedelta(hours=1)
        # sudo: the attempts are the system's bookkeeping, read by no user.
        refused = self.sudo().search_count(
            [
                ("user_id", "=", self.env.uid),
                ("office_vat", "=", office_vat),
                ("create_date", ">=", since),
            ]
        )
        if refused >= MAX_REFUSED_PER_HOUR:
            raise UserError(
                _(
                    "CodaBox refused %(count)s office passwords of yours for the accounting "
                    "office %(office)s in the last hour: wait an hour before trying again.",
                    count=refused,
                    office=self.env["codabox.api"]._office_name(office_vat),
                )
            )

    @api.model
    def _record_refusal(self, office_vat):
        self.sudo().create({"user_id": self.env.uid, "office_vat": office_vat})  # sudo: idem

    @api.autovacuum
    def _gc_old_attempts(self):
        old = fields.Datetime.now() - timedelta(days=1)
        self.sudo().search([("create_date", "<", old)]).unlink()  # sudo: idem
