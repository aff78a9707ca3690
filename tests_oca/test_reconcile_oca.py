"""With OCA's account_reconcile_oca installed (dev/test_oca.sh, a database of its own): the
lines the addon leaves open are reconciled in OCA's screen through its model methods, and
OCA's screen shows and undoes the addon's reconciliations. Not part of ``make test``: the
main test database has no OCA addon."""

from odoo.tests.common import tagged

from ..tests.reconcile_common import ReconcileCase


@tagged("post_install", "-at_install")
class TestWithAccountReconcileOca(ReconcileCase):
    def test_oca_reconciliation_installed(self):
        """These tests mean something only next to OCA's addon: fail, never skip, without."""
        modules = self.env["ir.module.module"].search(
            [
                ("name", "in", ["account_reconcile_oca", "account_statement_base"]),
                ("state", "=", "installed"),
            ]
        )
        self.assertEqual(len(modules), 2, "run through dev/test_oca.sh")
        self.assertIn("reconcile_data_info", self.env["account.bank.statement.line"]._fields)

    def test_left_over_line_reconciled_in_oca(self):
        """Two invoices share a communication: the addon leaves the line open, the accountant
        picks the invoice in OCA's screen (its model methods, as the screen calls them)."""
        first = self._document(80.0)
        second = self._document(80.0, partner=self.customer2, reference=first.payment_reference)
        _result, (line,) = self._pay(self._movement("80.00", first.payment_reference))
        self.assertOpen(line, "Several open documents")
        self.assertFalse(line.can_reconcile)
        line._add_account_move_line(self._open_items(first))
        self.assertTrue(line.can_reconcile)
        line.reconcile_bank_line()
        self.assertReconciledWith(line, first)
        self.assertEqual(second.payment_state, "not_paid")
        # The addon leaves a line reconciled in OCA's screen alone.
        items = line.move_id.line_ids
        result = line.statement_id._codabox_reconcile_invoices()
        self.assertFalse(result["reconciled"] or result["open"])
        self.assertEqual(line.move_id.line_ids, items)

    def test_oca_screen_shows_and_undoes_the_addons_reconciliation(self):
        invoice = self._document(121.0)
        _result, (line,) = self._pay(self._movement("121.00", invoice.payment_reference))
        self.assertReconciledWith(line, invoice)
        shown = [item.get("move_id") for item in line.reconcile_data_info["data"]]
        self.assertIn(invoice.id, shown, line.reconcile_data_info)
        line.unreconcile_bank_line()
        self.assertOpen(line)
        self.assertEqual(invoice.payment_state, "not_paid")
        line.statement_id.action_codabox_reconcile_invoices()
        self.assertReconciledWith(line, invoice)

    def test_oca_statement_line_creation_then_ours(self):
        """OCA's automatic reconciliation runs when lines are created (outside tests); ours
        runs after it on what is still open, so a line is never reconciled twice."""
        invoice = self._document(42.0)
        data = self._coda(self._movement("42.00", invoice.payment_reference))
        result = (
            self.env["account.bank.statement"]
            .with_context(_test_account_reconcile_oca=True)
            ._codabox_import_coda(data, company=self.company, filename="oca.cod")
        )
        line = result["statements"].line_ids
        self.assertReconciledWith(line, invoice)
        self.assertEqual(len(line.codabox_reconciled_move_ids), 1)
