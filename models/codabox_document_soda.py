from odoo import Command, _, api, models
from odoo.exceptions import UserError

from ..soda import SodaError, normalise_enterprise_number, parse_soda


class CodaboxDocument(models.Model):
    """SODA documents: one draft payroll entry per file (see ``_import_soda``)."""

    _inherit = "codabox.document"

    def _import_soda(self):
        """The SODA XML as one draft entry in the company's social documents journal, dated
        by its accounting period, with its PDF; the social account codes booked through the
        company's mapping (``codabox.soda.mapping``), the unmapped ones on the suspense
        account, said in the entry. Refused: another enterprise's file, an unbalanced one;
        recognised: the same SODA again (source, sequence number, period).

        :return: ``{"moves": the entry (or none when imported before), "warnings": [...]}``
        """
        self.ensure_one()
        company = self.company_id
        try:
            soda = parse_soda(self.xml_attachment_id.raw or b"")
        except SodaError as error:
            raise UserError(
                _("The SODA file cannot be read: %(error)s", error=self._soda_message(error))
            ) from error
        self._soda_check_enterprise(soda)
        if not soda.is_balanced:
            raise UserError(
                _(
                    "The SODA %(number)s is not balanced: debit %(debit)s, credit %(credit)s. "
                    "Nothing was booked; ask the social secretariat for a corrected file.",
                    number=soda.sequence_number,
                    debit=soda.total_debit,
                    credit=soda.total_credit,
                )
            )
        Move = self.env["account.move"].with_company(company)
        key = self._soda_key(soda)
        existing = Move.search([("company_id", "=", company.id), ("codabox_soda_key", "=", key)])
        if existing:
            return {
                "moves": Move.browse(),
                "warnings": [
                    _(
                        "This SODA (%(key)s) is imported already: %(entry)s.",
                        key=key,
                        entry=existing[:1].display_name,
                    )
                ],
            }
        accounts = self.env["codabox.soda.mapping"]._accounts_for(
            company, {line.account: line.label for line in soda.lines}
        )
        suspense = self._soda_suspense_account()
        unmapped = sorted(code for code, account in accounts.items() if not account)
        period = f"{soda.accounting_period[4:]}/{soda.accounting_period[:4]}"
        move = Move.create(
            {
                "move_type": "entry",
                "journal_id": company._codabox_soda_journal().id,
                "date": soda.period_end,
                "ref": _(
                    "SODA %(secretariat)s %(number)s, period %(period)s",
                    secretariat=soda.source,
                    number=soda.sequence_number,
                    period=period,
                ),
                "codabox_soda_key": key,
                "line_ids": [
                    Command.create(
                        {
                            "name": line.label or line.account,
                            "account_id": (accounts[line.account] or suspense).id,
                            "debit": float(line.debit),
                            "credit": float(line.credit),
                            "codabox_soda_code": line.account,
                        }
                    )
                    for line in soda.lines
                ],
            }
        )
        self._soda_attach_pdf(move)
        warnings = []
        if unmapped:
            warnings.append(
                _(
                    "Social accounts without an account in the SODA mapping, booked on the "
                    "suspense account: %(codes)s. Map them (Configuration > Accounting > SODA "
                    "Account Mapping), then Apply mapping on the entry.",
                    codes=", ".join(unmapped),
                )
            )
            move.message_post(body=warnings[-1])
        return {"moves": move, "warnings": warnings}

    @api.model
    def _soda_key(self, soda):
        """What recognises the same SODA delivered again: its source, sequence number and
        accounting period."""
        return f"{soda.source}/{soda.sequence_number}/{soda.accounting_period}"

    def _soda_check_enterprise(self, soda):
        """The file must be the company's: its enterprise number is the company's VAT
        number's digits."""
        company = self.company_id
        own = normalise_enterprise_number("".join(ch for ch in company.vat or "" if ch.isdigit()))
        if own != soda.enterprise_number:
            raise UserError(
                _(
                    "This SODA is for the enterprise %(number)s (%(label)s), not for "
                    "%(company)s (%(vat)s): nothing was booked. Check with the social "
                    "secretariat and CodaBox which company it belongs to.",
                    number=soda.enterprise_number,
                    label=soda.enterprise_label or "?",
                    company=company.name,
                    vat=company.vat or "-",
                )
            )

    def _soda_suspense_account(self):
        company = self.company_id
        account = company.account_journal_suspense_account_id
        if not account:
            raise UserError(
                _(
                    "%(company)s has no bank suspense account (Accounting settings): the "
                    "unmapped social accounts of the SODA cannot be booked.",
                    company=company.name,
                )
            )
        return account

    def _soda_attach_pdf(self, move):
        """The PDF of the SODA, as the entry's main attachment."""
        if not self.pdf_attachment_id:
            return
        # sudo: the ledger's attachment, copied onto the entry the import made.
        pdf = self.pdf_attachment_id.sudo().copy({"res_model": "account.move", "res_id": move.id})
        move.message_main_attachment_id = pdf

    @api.model
    def _soda_message(self, error):
        """A ``SodaError`` in the user's words (see ``_soda_messages``)."""
        template = self._soda_messages().get(error.code)
        return template % error.params if template else str(error)

    @api.model
    def _soda_messages(self):
        """The user's words for each SODA parser error code (soda/messages.py)."""
        return {
            "tooLarge": _(
                "the file is %(size)s bytes long, more than the %(limit)s bytes a SODA file "
                "may have"
            ),
            "notXml": _("not an XML file: %(detail)s"),
            "doctype": _(
                "the XML file declares a document type or entities, which a SODA file never "
                "has: refused, as it could be an attack"
            ),
            "notSoda": _("not a SODA file: the XML's root element is <%(root)s>"),
            "missingField": _("the SODA file has no %(field)s"),
            "badDate": _("%(field)s %(value)s is not a date (YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD)"),
            "badPeriod": _("accounting period %(value)s is not a month (YYYYMM)"),
            "badEnterpriseNumber": _(
                "enterprise number %(value)s is not a Belgian enterprise number"
            ),
            "badAmount": _("%(field)s %(value)s of account %(account)s is not an amount"),
            "noLines": _("the SODA file has no transaction line"),
        }
