from odoo import api, fields, models

from ..compat import ACCOUNT_IN_USE, sql_constraints


@sql_constraints(
    (
        "code_unique",
        "unique(company_id, code)",
        "A social account code is mapped once per company.",
    ),
)
class CodaboxSodaMapping(models.Model):
    """Which account of the company each social account code of its SODA books to.

    A SODA line names the social secretariat's account (often a Belgian PCMN code such as
    620200). A row is made for each code at the first SODA that uses it: with the company's
    account of the same code when its chart has one, else empty, for the accountant to fill
    in; the entry then books that code on the suspense account until "Apply mapping".
    """

    _name = "codabox.soda.mapping"
    _description = "CodaBox SODA account mapping"
    _order = "company_id, code"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    code = fields.Char(string="Social account", required=True)
    label = fields.Char(help="The label the social secretariat gives the account.")
    account_id = fields.Many2one(
        "account.account",
        string="Account",
        check_company=True,
        domain=ACCOUNT_IN_USE,
        help="Where this social account is booked; empty: on the suspense account.",
    )

    @api.model
    def _accounts_for(self, company, codes_labels):
        """{code: account or an empty recordset} for the codes of a SODA (``{code: label}``);
        rows are made for the codes not seen before, prefilled from the chart."""
        # sudo: the mapping rows are the addon's to make, whoever imports the SODA.
        Mapping = self.sudo().with_company(company)
        rows = Mapping.search([("company_id", "=", company.id), ("code", "in", list(codes_labels))])
        known = {row.code: row for row in rows}
        for code, label in codes_labels.items():
            if code not in known:
                known[code] = Mapping.create(
                    {
                        "company_id": company.id,
                        "code": code,
                        "label": label,
                        "account_id": self._chart_account(company, code).id,
                    }
                )
        return {code: row.account_id for code, row in known.items()}

    @api.model
    def _chart_account(self, company, code):
        """The company's account whose code is the social code (Belgian PCMN codes, padded
        to the chart's length), or an empty recordset. Overridable for other charts."""
        # sudo: the chart is read to prefill the mapping, whoever imports the SODA.
        Account = self.env["account.account"].sudo().with_company(company)
        digits = "".join(ch for ch in code if ch.isdigit())
        if not digits:
            return Account.browse()
        domain = [*Account._check_company_domain(company), *ACCOUNT_IN_USE]
        for candidate in dict.fromkeys((code, digits, digits.ljust(6, "0"))):
            account = Account.search([*domain, ("code", "=", candidate)], limit=1)
            if account:
                return account
        return Account.browse()

    def action_apply(self):
        """Apply the mapping to the company's draft SODA entries that book a code on the
        suspense account."""
        self.env["codabox.api"]._check_rights(self.company_id)
        return self.env["account.move"]._codabox_apply_soda_mapping(self.company_id)

    @api.depends("code", "label")
    def _compute_display_name(self):
        for row in self:
            row.display_name = f"{row.code} {row.label}" if row.label else row.code
