from collections import defaultdict
from decimal import Decimal

from odoo import api, models
from odoo.tools import SQL, create_index

from ..matching import PRESELECT_STRIP, Candidate, normalise_reference

# The payment reference reduced to digits and capitals, as the candidates are preselected on
# (and indexed by): see matching.PRESELECT_STRIP. A constant, written out so that the query's
# expression is the index's, which PostgreSQL then uses.
REFERENCE_KEY = "regexp_replace(upper({move}payment_reference), '" + PRESELECT_STRIP + "', '', 'g')"
# What may be paid: posted invoices, bills and credit notes, not fully paid yet.
OPEN_DOCUMENT = "{move}state = 'posted' AND {move}payment_state IN ('not_paid', 'partial')"
MATCHED_TYPES = ("out_invoice", "out_refund", "in_invoice", "in_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    def init(self):
        result = super().init()
        # The open documents by payment reference: the candidates of a statement are found
        # in one index lookup, however many invoices the company has.
        create_index(
            self.env.cr,
            indexname="account_move_codabox_reference_idx",
            tablename="account_move",
            expressions=["company_id", REFERENCE_KEY.format(move="")],
            where=f"payment_reference IS NOT NULL AND {OPEN_DOCUMENT.format(move='')}",
        )
        return result

    @api.model
    def _codabox_reconcile_candidates(self, company, references):
        """The open documents of ``company`` whose payment reference is one of
        ``references`` (normalised, see ``matching.normalise_reference``), in one query.

        A candidate is a posted customer invoice, vendor bill or credit note, not fully
        paid, whose receivable or payable items are not all reconciled; its residual is
        their sum in the document's currency, signed as the movement that pays it.

        Override to widen the candidates (e.g. also the ``ref`` of vendor bills, for a
        company that keeps the supplier's structured communication there) or to narrow
        them (e.g. leave out some journals); keep the one query per call.

        :return: ``{reference: [matching.Candidate]}``; a candidate's ``key`` is
            ``(document, its open receivable/payable items)``
        """
        if not references:
            return {}
        self.env["account.move"].flush_model(
            ["company_id", "state", "move_type", "payment_state", "payment_reference"]
        )
        self.env["account.move.line"].flush_model(
            ["move_id", "account_id", "reconciled", "amount_residual_currency", "currency_id"]
        )
        rows = self.env.execute_query(
            SQL(
                f"""
                SELECT move.id, move.payment_reference, ARRAY_AGG(DISTINCT line.currency_id),
                       ARRAY_AGG(line.id ORDER BY line.date_maturity, line.id),
                       SUM(line.amount_residual_currency)
                  FROM account_move move
                  JOIN account_move_line line ON line.move_id = move.id
                  JOIN account_account account ON account.id = line.account_id
                 WHERE move.company_id = %s
                   AND {REFERENCE_KEY.format(move="move.")} = ANY(%s)
                   AND move.payment_reference IS NOT NULL
                   AND {OPEN_DOCUMENT.format(move="move.")}
                   AND move.move_type IN %s
                   AND account.account_type IN ('asset_receivable', 'liability_payable')
                   AND NOT line.reconciled
              GROUP BY move.id, move.payment_reference
                """,
                company.id,
                sorted(references),
                MATCHED_TYPES,
            )
        )
        moves = self.browse(row[0] for row in rows)
        currencies = self.env["res.currency"].browse({row[2][0] for row in rows if row[2]})
        names = {currency.id: currency.name for currency in currencies}
        candidates = defaultdict(list)
        for move, (_id, payment_reference, currency_ids, line_ids, residual) in zip(
            moves, rows, strict=True
        ):
            reference = normalise_reference(payment_reference)
            if reference not in references or len(currency_ids) != 1 or not residual:
                continue  # written otherwise than a reference, or nothing to pay
            key = (move, self.env["account.move.line"].browse(line_ids))
            amount = Decimal(str(residual))
            candidates[reference].append(Candidate(key, amount, names[currency_ids[0]]))
        return dict(candidates)
