"""What the reconciliation tests share (tests/test_reconcile.py, and the tests run with OCA's
account_reconcile_oca installed, tests_oca/): a Belgian company with a bank journal, customers
and suppliers, invoices with structured communications, and CODA files paying them, imported
through the addon's own import."""

import itertools
from datetime import date, timedelta

from odoo import Command

from ..coda_parser.structured import format_ogm, ogm_check_digits
from ..dev.codagen import generate_statements, write_coda
from .common import BelgianCompanyCase

BANK_IBAN = "BE68539007547034"
# Accounts the counterparties pay from (valid Belgian IBANs no partner has yet).
CUSTOMER_IBAN = "BE48001123456727"
SUPPLIER_IBAN = "BE56068999988888"
INVOICE_DATE = date(2026, 10, 1)
FIRST_DAY = date(2026, 11, 2)
_sequence = itertools.count(1)


def ogm(ten_digits):
    """The Belgian structured communication of 10 digits, +++xxx/xxxx/xxxxx+++."""
    ten = f"{ten_digits:010d}"
    return format_ogm(ten + ogm_check_digits(ten))


class ReconcileCase(BelgianCompanyCase):
    """The Belgian company (l10n_be) with a bank journal and invoices to pay."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.company.codabox_auto_reconcile = True
        cls.journal = cls.env["account.journal"].create(
            {"name": "Bank CODA", "code": "BCODA", "type": "bank", "bank_acc_number": BANK_IBAN}
        )
        cls.sale_journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "sale")], limit=1
        )
        # l10n_be's Belgian structured communication, made from the invoice's id.
        cls.sale_journal.write(
            {"invoice_reference_model": "be", "invoice_reference_type": "invoice"}
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Hotel De Vleugel NV", "is_company": True})
        cls.customer2 = Partner.create({"name": "Café Central BV", "is_company": True})
        cls.supplier = Partner.create({"name": "Meunerie Dumont SA", "is_company": True})
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.usd.id, "name": "2026-01-01", "rate": 1.25}
        )

    # -- documents ----------------------------------------------------------------------------

    @classmethod
    def _document(
        cls,
        amount,
        move_type="out_invoice",
        partner=None,
        reference=None,
        currency=None,
        company=None,
        post=True,
    ):
        """An invoice (bill, credit note) of one untaxed line of ``amount``, posted; customer
        invoices get l10n_be's structured communication, the others ``reference``."""
        company = company or cls.company
        partner = partner or (cls.supplier if move_type.startswith("in_") else cls.customer)
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": INVOICE_DATE,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
            )
        )
        if reference:
            move.payment_reference = reference
        if post:
            move.action_post()
        return move

    # -- statements ---------------------------------------------------------------------------

    @staticmethod
    def _movement(amount, communication, account=CUSTOMER_IBAN, name="Counterparty"):
        """A movement of a CODA file: a structured communication when ``communication`` is
        one (+++...+++ or RF...), else a free communication."""
        values = {
            "amount": str(amount),
            "counterparty_name": name,
            "counterparty_account": account,
            "counterparty_bic": "GEBABEBB",
        }
        text = communication.strip()
        if text.startswith(("+++", "RF")):
            values["structured_communication"] = text
        else:
            values["communication"] = text
        return values

    @classmethod
    def _coda(cls, *movements, iban=BANK_IBAN):
        """A CODA file of one statement holding ``movements``, each file of another day."""
        day = FIRST_DAY + timedelta(days=next(_sequence))
        return write_coda(
            generate_statements(
                iban=iban,
                holder_name="Client",
                start_date=day,
                movements_per_statement=0,
                extra_movements=list(movements),
                first_coda_sequence=next(_sequence),
            )
        )

    def _import(self, data, company=None, filename="statement.cod"):
        return self.env["account.bank.statement"]._codabox_import_coda(
            data, company=company or self.company, filename=filename
        )

    def _pay(self, *movements, **kwargs):
        """Import one statement with ``movements``; its lines in their order."""
        result = self._import(self._coda(*movements), **kwargs)
        return result, result["statements"].line_ids.sorted("internal_index")

    # -- assertions ---------------------------------------------------------------------------

    @staticmethod
    def _open_items(move):
        return move.line_ids.filtered(
            lambda item: item.account_id.account_type in ("asset_receivable", "liability_payable")
        )

    def assertReconciledWith(self, line, move, amount_residual=0.0):
        """``line`` is reconciled the way Odoo's reconciliation does it: no suspense item
        left, its counterpart on the document's receivable/payable account and partner,
        matched with the document's items by account.partial.reconcile."""
        self.assertTrue(line.is_reconciled, line.codabox_reconcile_note)
        _liquidity, suspense, other = line._seek_for_lines()
        self.assertFalse(suspense)
        items = self._open_items(move)
        self.assertEqual(other.account_id, items.account_id)
        self.assertEqual(other.partner_id, move.commercial_partner_id)
        partials = self.env["account.partial.reconcile"].search(
            [
                "|",
                "&",
                ("debit_move_id", "in", items.ids),
                ("credit_move_id", "in", other.ids),
                "&",
                ("credit_move_id", "in", items.ids),
                ("debit_move_id", "in", other.ids),
            ]
        )
        self.assertTrue(partials, "no account.partial.reconcile between the line and the document")
        self.assertIn(move, line.codabox_reconciled_move_ids)
        self.assertAlmostEqual(move.amount_residual, amount_residual)
        self.assertEqual(move.payment_state, "paid" if not amount_residual else "partial")

    def assertOpen(self, line, note=None):
        """``line`` is as imported: its suspense item only, nothing reconciled."""
        self.assertFalse(line.is_reconciled)
        _liquidity, suspense, other = line._seek_for_lines()
        self.assertEqual(len(suspense), 1)
        self.assertFalse(other)
        self.assertFalse(line.codabox_reconciled_move_ids)
        if note:
            self.assertIn(note, line.codabox_reconcile_note or "")
