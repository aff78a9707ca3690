"""Statements that pay invoices: CODA lines reconciled with the open invoices, bills and credit
notes of their company by structured communication, at import and on demand, the way Odoo's
reconciliation does it. Real imports, real reconciliations, in PostgreSQL."""

import logging

from odoo import Command
from odoo.addons.account.tools.structured_reference import format_structured_reference_iso
from odoo.exceptions import AccessError
from odoo.tests.common import new_test_user, tagged

from ..compat import ACCOUNT_IN_USE
from .parties import OFFICE_VAT
from .reconcile_common import CUSTOMER_IBAN, SUPPLIER_IBAN, ReconcileCase, ogm


@tagged("post_install", "-at_install")
class TestReconcile(ReconcileCase):
    # -- what is matched ----------------------------------------------------------------------

    def test_exact_amount_pays_the_invoice(self):
        invoice = self._document(121.0)
        self.assertRegex(invoice.payment_reference, r"^\+\+\+\d{3}/\d{4}/\d{5}\+\+\+$")
        result, (line,) = self._pay(self._movement("121.00", invoice.payment_reference))
        self.assertReconciledWith(line, invoice)
        self.assertEqual(result["reconciled"], line)
        self.assertFalse(result["left_open"])
        self.assertFalse(line.codabox_reconcile_note)
        # The statement line belongs to the bank journal; its entry balances as before.
        self.assertTrue(line.move_id.state == "posted")
        self.assertAlmostEqual(sum(line.move_id.line_ids.mapped("balance")), 0.0)

    def test_partial_payment_then_the_rest(self):
        invoice = self._document(500.0)
        reference = invoice.payment_reference
        _result, (line,) = self._pay(self._movement("200.00", reference))
        self.assertReconciledWith(line, invoice, amount_residual=300.0)
        self.assertIn("Partial payment of", line.codabox_reconcile_note)
        self.assertIn("300.00", line.codabox_reconcile_note)
        _result, (rest,) = self._pay(self._movement("300.00", reference))
        self.assertReconciledWith(rest, invoice)

    def test_two_partial_payments_in_one_statement(self):
        """The second line of the statement sees what the first one paid."""
        invoice = self._document(100.0)
        reference = invoice.payment_reference
        result, lines = self._pay(
            self._movement("60.00", reference), self._movement("40.00", reference)
        )
        self.assertEqual(result["reconciled"], lines)
        self.assertReconciledWith(lines[1], invoice)
        self.assertEqual(invoice.payment_state, "paid")

    def test_overpayment_stays_open(self):
        invoice = self._document(100.0)
        result, (line,) = self._pay(self._movement("150.00", invoice.payment_reference))
        self.assertOpen(line, "more than what is left to pay")
        self.assertIn(invoice.name, line.codabox_reconcile_note)
        self.assertEqual(result["left_open"], line)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(result["reconciled"])

    def test_two_invoices_with_the_same_reference(self):
        first = self._document(80.0)
        second = self._document(80.0, partner=self.customer2, reference=first.payment_reference)
        _result, (line,) = self._pay(self._movement("80.00", first.payment_reference))
        self.assertOpen(line, "Several open documents")
        self.assertIn(first.name, line.codabox_reconcile_note)
        self.assertIn(second.name, line.codabox_reconcile_note)
        self.assertEqual((first | second).mapped("payment_state"), ["not_paid", "not_paid"])

    def test_customer_credit_note_paid_back(self):
        refund = self._document(50.0, move_type="out_refund", reference=ogm(7000000001))
        # Money coming in cannot pay a credit note the company owes.
        _result, (wrong,) = self._pay(self._movement("50.00", refund.payment_reference))
        self.assertOpen(wrong, "Money received cannot pay")
        _result, (line,) = self._pay(self._movement("-50.00", refund.payment_reference))
        self.assertReconciledWith(line, refund)
        self.assertEqual(line._seek_for_lines()[2].account_id.account_type, "asset_receivable")

    def test_vendor_refund_paid_to_the_company(self):
        refund = self._document(30.0, move_type="in_refund", reference=ogm(7000000002))
        _result, (line,) = self._pay(
            self._movement("30.00", refund.payment_reference, account=SUPPLIER_IBAN)
        )
        self.assertReconciledWith(line, refund)

    def test_vendor_bill_paid_with_the_suppliers_communication(self):
        # The supplier's communication as typed from its bill: no +++ frame.
        reference = ogm(1234567890)
        bill = self._document(300.0, move_type="in_invoice", reference=reference.strip("+"))
        result, (line,) = self._pay(
            self._movement("-300.00", reference, account=SUPPLIER_IBAN, name="Meunerie Dumont")
        )
        self.assertReconciledWith(line, bill)
        self.assertEqual(line._seek_for_lines()[2].account_id.account_type, "liability_payable")
        self.assertEqual(line.partner_id, self.supplier)
        # Money coming in with the bill's communication does not pay it.
        other = self._document(70.0, move_type="in_invoice", reference=ogm(1234567891))
        _result, (line,) = self._pay(self._movement("70.00", other.payment_reference))
        self.assertOpen(line, "Money received cannot pay")

    def test_iso_creditor_reference(self):
        reference = format_structured_reference_iso("5390075470")
        invoice = self._document(99.0, reference=reference)
        _result, (line,) = self._pay(self._movement("99.00", reference.replace(" ", "")))
        self.assertReconciledWith(line, invoice)

    def test_foreign_currency(self):
        """A line with a foreign currency pays an invoice in that currency; Odoo books the
        exchange difference. A line in euros does not pay an invoice in dollars."""
        invoice = self._document(200.0, currency=self.usd)
        statement = self.env["account.bank.statement"].create(
            {"name": "USD payments", "journal_id": self.journal.id}
        )
        Line = self.env["account.bank.statement.line"]
        line = Line.create(
            {
                "statement_id": statement.id,
                "journal_id": self.journal.id,
                "date": "2026-11-02",
                "payment_ref": invoice.payment_reference,
                "amount": 150.0,  # the bank's rate, not the company's
                "foreign_currency_id": self.usd.id,
                "amount_currency": 200.0,
            }
        )
        in_euros = Line.create(
            {
                "statement_id": statement.id,
                "journal_id": self.journal.id,
                "date": "2026-11-02",
                "payment_ref": self._document(60.0, currency=self.usd).payment_reference,
                "amount": 60.0,
            }
        )
        result = statement.line_ids._codabox_reconcile_invoices()
        self.assertEqual(result["reconciled"], line)
        self.assertReconciledWith(line, invoice)
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        self.assertEqual(line._seek_for_lines()[2].currency_id, self.usd)
        self.assertOpen(in_euros, "is in USD and the payment in EUR")

    def test_free_communication_with_a_reference_inside_is_not_matched(self):
        invoice = self._document(45.0)
        result, (line,) = self._pay(
            self._movement("45.00", f"Facture {invoice.name} {invoice.payment_reference}")
        )
        self.assertOpen(line)
        self.assertFalse(line.codabox_reconcile_note)
        self.assertFalse(result["left_open"], "not a structured reference: nothing to say")

    # -- what never is ------------------------------------------------------------------------

    def test_invoice_of_another_company_never_matched(self):
        other = self._create_belgian_company("Other Client")
        self.env.user.company_ids |= other
        env = self.env(context={"allowed_company_ids": [other.id, self.company.id]})
        customer = env["res.partner"].create({"name": "Their customer", "company_id": other.id})
        theirs = self._document(75.0, partner=customer, company=other, reference=ogm(5550000001))
        _result, (line,) = self._pay(self._movement("75.00", theirs.payment_reference))
        self.assertOpen(line, "No open invoice, bill or credit note of this company")
        self.assertEqual(theirs.payment_state, "not_paid")
        # Their statement with the same communication does pay it.
        env["account.journal"].create(
            {
                "name": "Their bank",
                "code": "THB",
                "type": "bank",
                "bank_acc_number": "BE71096123456769",
                "company_id": other.id,
            }
        )
        data = self._coda(
            self._movement("75.00", theirs.payment_reference), iban="BE71096123456769"
        )
        result = self._import(data, company=other)
        self.assertReconciledWith(result["statements"].line_ids, theirs)

    def test_draft_and_cancelled_invoices_never_matched(self):
        draft = self._document(10.0, reference=ogm(6660000001), post=False)
        cancelled = self._document(20.0, reference=ogm(6660000002), post=False)
        cancelled.button_cancel()
        self.assertEqual((draft | cancelled).mapped("state"), ["draft", "cancel"])
        result, lines = self._pay(
            self._movement("10.00", draft.payment_reference),
            self._movement("20.00", cancelled.payment_reference),
        )
        for line in lines:
            self.assertOpen(line, "No open invoice")
        self.assertEqual(result["left_open"], lines)

    def test_paid_invoice_never_matched_again(self):
        invoice = self._document(33.0)
        self._pay(self._movement("33.00", invoice.payment_reference))
        _result, (second,) = self._pay(self._movement("33.00", invoice.payment_reference))
        self.assertOpen(second, "No open invoice")

    # -- what is left alone, undone, done again --------------------------------------------

    def test_line_reconciled_by_hand_is_left_alone(self):
        invoice = self._document(40.0)
        self.company.codabox_auto_reconcile = False
        _result, (line,) = self._pay(self._movement("40.00", invoice.payment_reference))
        self.assertOpen(line)
        # The accountant books it elsewhere (a misc income), as Odoo's widget would.
        _liquidity, suspense, _other = line._seek_for_lines()
        income = self.sale_journal.default_account_id
        line.move_id.with_context(skip_readonly_check=True).write(
            {"line_ids": [Command.update(suspense.id, {"account_id": income.id})]}
        )
        self.assertTrue(line.is_reconciled)
        items = line.move_id.line_ids
        result = line.statement_id.action_codabox_reconcile_invoices()
        self.assertEqual(line.move_id.line_ids, items)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertIn("No line to reconcile", result["params"]["message"])

    def test_reconciled_line_left_alone_by_a_second_run(self):
        invoice = self._document(55.0)
        _result, (line,) = self._pay(self._movement("55.00", invoice.payment_reference))
        partials = self.env["account.partial.reconcile"].search_count([])
        items = line.move_id.line_ids
        result = line._codabox_reconcile_invoices()
        self.assertFalse(result["reconciled"] or result["open"])
        self.assertEqual(line.move_id.line_ids, items)
        self.assertEqual(self.env["account.partial.reconcile"].search_count([]), partials)

    def test_undo_reconciliation_then_match_again(self):
        invoice = self._document(121.0)
        _result, (line,) = self._pay(self._movement("121.00", invoice.payment_reference))
        self.assertReconciledWith(line, invoice)
        line.action_undo_reconciliation()  # Odoo's own undo
        self.assertOpen(line)
        self.assertEqual(invoice.payment_state, "not_paid")
        notification = line.statement_id.action_codabox_reconcile_invoices()
        self.assertReconciledWith(line, invoice)
        self.assertEqual(notification["params"]["type"], "success")
        self.assertIn(
            f"1 line(s) reconciled with {invoice.name}", notification["params"]["message"]
        )

    def _invoice_on_an_old_receivable(self, amount):
        """A receivable account of its own for customer2, and an invoice of ``amount`` on it."""
        old_receivable = self.env["account.account"].create(
            {
                "code": "400900",
                "name": "Old receivable",
                "account_type": "asset_receivable",
                "reconcile": True,
            }
        )
        self.customer2.property_account_receivable_id = old_receivable
        return old_receivable, self._document(amount, partner=self.customer2)

    @staticmethod
    def _put_out_of_use(account):
        field, _operator, in_use = ACCOUNT_IN_USE[0]  # 18.0 deprecates, 19.0 archives
        account[field] = not in_use

    def test_a_refused_reconciliation_leaves_its_line_open_only(self):
        """Odoo refuses one of the reconciliations of a run (the customer's receivable
        account was deprecated since): that line stays open with Odoo's reason, the others
        of the same run are reconciled."""
        self.company.codabox_auto_reconcile = False
        old_receivable, refused_invoice = self._invoice_on_an_old_receivable(70.0)
        invoice = self._document(80.0)
        _result, lines = self._pay(
            self._movement("70.00", refused_invoice.payment_reference),
            self._movement("80.00", invoice.payment_reference),
        )
        self._put_out_of_use(old_receivable)
        result = lines._codabox_reconcile_invoices()
        refused, line = lines
        self.assertEqual(result["reconciled"], line)
        self.assertEqual(result["open"], refused)
        self.assertReconciledWith(line, invoice)
        # "You cannot use a deprecated account" (18.0), "You cannot use an archived account" (19.0)
        self.assertOpen(refused, "Odoo refused the reconciliation: You cannot use a")
        self.assertEqual(refused_invoice.payment_state, "not_paid")

    def test_refused_at_import_leaves_its_line_open_only(self):
        """The import books a paying line straight on the invoice's account; when Odoo
        refuses that (the customer's receivable deprecated since the invoice), the import
        still goes through: that line stays open with Odoo's reason, the others of the same
        statement are reconciled."""
        old_receivable, refused_invoice = self._invoice_on_an_old_receivable(71.0)
        invoice = self._document(81.0)
        self._put_out_of_use(old_receivable)
        result, lines = self._pay(
            self._movement("71.00", refused_invoice.payment_reference),
            self._movement("81.00", invoice.payment_reference),
            self._movement("5.00", "No reference"),
        )
        refused, line, _other = lines
        self.assertEqual(len(result["statements"]), 1)
        self.assertEqual(result["reconciled"], line)
        self.assertEqual(result["left_open"], refused)
        self.assertReconciledWith(line, invoice)
        self.assertOpen(refused, "Odoo refused the reconciliation: You cannot use a")
        self.assertEqual(refused_invoice.payment_state, "not_paid")
        self.assertEqual(
            self.env["account.bank.statement"].search_count([("journal_id", "=", self.journal.id)]),
            1,
            "the import's first try left nothing behind",
        )

    def test_import_books_the_entries_as_reconcile_with_invoices(self):
        """The import decides before it creates the lines and creates each paying line on
        the invoice's account: the same entries, partials, partners and notes as importing
        with the reconciliation off, then "Reconcile with invoices" on the statement; the
        entries' items are not rewritten after they were posted (no "Journal Item updated"
        in their chatter)."""
        payer = self.env["res.partner"].create(
            {"name": "Parent NV", "bank_ids": [Command.create({"acc_number": SUPPLIER_IBAN})]}
        )

        def documents_and_movements(offset):
            exact = self._document(100.0 + offset)
            partly = self._document(300.0 + offset)
            twice = self._document(90.0 + offset)
            other_payer = self._document(40.0 + offset, partner=self.customer2)
            bill = self._document(55.0 + offset, move_type="in_invoice", reference=ogm(offset))
            movements = [
                self._movement(f"{100 + offset}.00", exact.payment_reference),
                self._movement(f"{100 + offset}.00", partly.payment_reference),
                self._movement(f"{50 + offset}.00", twice.payment_reference),
                self._movement("40.00", twice.payment_reference),
                self._movement(f"{40 + offset}.00", other_payer.payment_reference, SUPPLIER_IBAN),
                self._movement(f"-{55 + offset}.00", bill.payment_reference, SUPPLIER_IBAN),
                self._movement("999.00", exact.payment_reference),  # paid before: open
                self._movement("7.00", ogm(9990000007)),  # no such invoice: open
                self._movement("3.00", "Free text"),
            ]
            return [exact, partly, twice, other_payer, bill], movements

        def described(lines, documents):
            rank = {move: index for index, move in enumerate(documents)}
            items = []
            for line in lines:
                note = line.codabox_reconcile_note or ""
                for move, index in rank.items():
                    note = note.replace(move.name, f"<document {index}>")
                items.append(
                    (
                        line.partner_id,
                        line.is_reconciled,
                        note,
                        sorted(
                            (item.account_id.id, item.partner_id.id, item.balance)
                            for item in line.move_id.line_ids
                        ),
                        sorted(rank[move] for move in line.codabox_reconciled_move_ids),
                    )
                )
            return items, [(move.payment_state, move.amount_residual) for move in documents]

        documents, movements = documents_and_movements(1)
        _result, at_import = self._pay(*movements)
        self.assertEqual(self.customer.bank_ids.sanitized_acc_number, CUSTOMER_IBAN)
        self.customer.bank_ids.unlink()  # learnt: the second import would find the partner by it
        self.company.codabox_auto_reconcile = False
        documents_after, movements = documents_and_movements(1)
        _result, afterwards = self._pay(*movements)
        afterwards.statement_id.action_codabox_reconcile_invoices()

        self.assertEqual(at_import.mapped("is_reconciled").count(True), 6)
        self.assertEqual(described(at_import, documents), described(afterwards, documents_after))
        self.assertEqual(at_import[4].partner_id, payer, "a line keeps the payer its account names")
        updated = "Journal Item"
        self.assertFalse(
            at_import.move_id.message_ids.filtered(lambda message: updated in message.body),
            "the import rewrote the items of posted entries",
        )
        self.assertTrue(
            afterwards.move_id.message_ids.filtered(lambda message: updated in message.body),
            "the check above can fail: Odoo logs each rewritten item",
        )

    def test_same_statement_imported_twice(self):
        invoice = self._document(64.0)
        data = self._coda(self._movement("64.00", invoice.payment_reference))
        first = self._import(data)
        partials = self.env["account.partial.reconcile"].search_count([])
        second = self._import(data)
        self.assertFalse(second["statements"])
        self.assertFalse(second["reconciled"] or second["left_open"])
        self.assertEqual(self.env["account.partial.reconcile"].search_count([]), partials)
        self.assertReconciledWith(first["statements"].line_ids, invoice)

    def test_new_invoice_posted_after_the_import(self):
        """ "Reconcile with invoices" on the statement lines, e.g. once the bill is encoded."""
        reference = ogm(4440000001)
        _result, (line,) = self._pay(self._movement("-90.00", reference, account=SUPPLIER_IBAN))
        self.assertOpen(line, "No open invoice")
        bill = self._document(90.0, move_type="in_invoice", reference=reference)
        notification = line.action_codabox_reconcile_invoices()
        self.assertReconciledWith(line, bill)
        self.assertFalse(line.codabox_reconcile_note)
        self.assertIn(bill.name, notification["params"]["message"])

    # -- partners and their accounts ----------------------------------------------------------

    def test_line_gets_the_partner_and_the_partner_the_account(self):
        invoice = self._document(18.0)
        self.assertFalse(self.customer.bank_ids)
        _result, (line,) = self._pay(self._movement("18.00", invoice.payment_reference))
        self.assertReconciledWith(line, invoice)
        self.assertEqual(line.partner_id, self.customer)
        self.assertEqual(self.customer.bank_ids.sanitized_acc_number, CUSTOMER_IBAN)
        # The next statement finds the partner by the account, whatever its communication.
        _result, (next_line,) = self._pay(self._movement("5.00", "Tip"))
        self.assertEqual(next_line.partner_id, self.customer)

    def test_line_keeps_its_partner(self):
        """A line whose account names another partner (the payer) keeps it; the receivable
        item is the invoice's partner's."""
        payer = self.env["res.partner"].create(
            {"name": "Parent NV", "bank_ids": [Command.create({"acc_number": CUSTOMER_IBAN})]}
        )
        invoice = self._document(27.0)
        _result, (line,) = self._pay(self._movement("27.00", invoice.payment_reference))
        self.assertEqual(line.partner_id, payer)
        self.assertReconciledWith(line, invoice)
        self.assertFalse(self.customer.bank_ids, "the payer's account is not the customer's")

    # -- the setting, the upload, the retrieval -----------------------------------------------

    def test_setting(self):
        self.assertTrue(self.env["res.company"].create({"name": "New"}).codabox_auto_reconcile)
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.codabox_auto_reconcile)
        settings.codabox_auto_reconcile = False
        settings.execute()
        self.assertFalse(self.company.codabox_auto_reconcile)
        invoice = self._document(12.0)
        result, (line,) = self._pay(self._movement("12.00", invoice.payment_reference))
        self.assertOpen(line)
        self.assertFalse(result["reconciled"] or result["left_open"])
        line.statement_id.action_codabox_reconcile_invoices()  # on demand, whatever the setting
        self.assertReconciledWith(line, invoice)

    def test_upload_says_what_was_reconciled(self):
        paid = self._document(100.0)
        partly = self._document(300.0)
        over = self._document(10.0)
        data = self._coda(
            self._movement("100.00", paid.payment_reference),
            self._movement("120.00", partly.payment_reference),
            self._movement("11.00", over.payment_reference),
        )
        attachment = self.env["ir.attachment"].create({"name": "day.cod", "raw": data})
        wizard = self.env["codabox.coda.import.wizard"].create(
            {"attachment_ids": [Command.set(attachment.ids)]}
        )
        wizard.action_import()
        (summary,) = wizard.line_ids.filtered(lambda result: result.status == "reconciled")
        self.assertEqual(summary.filename, "day.cod")
        self.assertIn("2 line(s) reconciled with", summary.message)
        self.assertIn(paid.name, summary.message)
        self.assertIn(f"{partly.name} (partly paid)", summary.message)
        self.assertNotIn(over.name, summary.message)
        self.assertIn("1 line(s) with a structured communication left open", summary.message)

    def test_codabox_document_carries_what_was_reconciled(self):
        """The retrieval's import of a stored document records the reconciled lines, and
        says what they paid (for the retrieval's notification)."""
        invoice = self._document(250.0)
        other = self._document(30.0)
        data = self._coda(
            self._movement("250.00", invoice.payment_reference),
            self._movement("31.00", other.payment_reference),
        )
        office = self.env["codabox.office"].create({"vat": OFFICE_VAT})
        connection = (
            self.env["codabox.connection"]
            .sudo()
            .create({"company_id": self.company.id, "office_id": office.id})
        )
        document = (
            self.env["codabox.document"]
            .sudo()
            .create(
                {
                    "connection_id": connection.id,
                    "feed_id": "feed",
                    "feed_index": "entry-1",
                    "kind": "coda",
                }
            )
        )
        document._attach_files({"cod": data})
        document._import()
        self.assertEqual(document.state, "imported")
        line = document.statement_ids.line_ids.filtered(lambda item: item.amount == 250.0)
        self.assertEqual(document.reconciled_line_ids, line)
        self.assertReconciledWith(line, invoice)
        self.assertEqual(len(document.left_open_line_ids), 1)
        message = document._reconciliation_message()
        self.assertIn(f"1 line(s) reconciled with {invoice.name}.", message)
        self.assertIn("1 line(s) with a structured communication left open", message)
        self.assertFalse(self.env["codabox.document"].browse()._reconciliation_message())

    def test_rights(self):
        """ "Reconcile with invoices" is for accountants of the statement's company."""
        invoice = self._document(9.0)
        self.company.codabox_auto_reconcile = False
        _result, (line,) = self._pay(self._movement("9.00", invoice.payment_reference))
        clerk = new_test_user(self.env, login="clerk", groups="account.group_account_invoice")
        with self.assertRaises(AccessError):
            line.statement_id.with_user(clerk).action_codabox_reconcile_invoices()
        accountant = new_test_user(
            self.env, login="accountant_r", groups="account.group_account_user"
        )
        line.statement_id.with_user(accountant).action_codabox_reconcile_invoices()
        self.assertReconciledWith(line, invoice)
        # The accountant may not edit contacts: the account is added to the partner anyway.
        self.assertFalse(accountant.has_group("base.group_partner_manager"))
        self.assertEqual(self.customer.bank_ids.sanitized_acc_number, CUSTOMER_IBAN)

    # -- batch work ---------------------------------------------------------------------------

    def test_one_query_for_the_candidates_of_a_statement(self):
        invoices = [self._document(10.0 + index) for index in range(12)]
        movements = [
            self._movement(f"{10 + index}.00", invoice.payment_reference)
            for index, invoice in enumerate(invoices)
        ]
        movements.append(self._movement("1.00", ogm(9990000001)))
        data = self._coda(*movements)
        self.env.flush_all()
        with self.assertLogs("odoo.sql_db", level=logging.DEBUG) as logs:
            result = self._import(data)
        self.assertEqual(len(result["reconciled"]), 12)
        candidate_queries = [
            record for record in logs.output if "upper(move.payment_reference)" in record
        ]
        # One to find the lines' partners (the invoices' partners), one to reconcile.
        self.assertEqual(len(candidate_queries), 2, candidate_queries)
        for invoice in invoices:
            self.assertEqual(invoice.payment_state, "paid")

    def test_candidate_index(self):
        """The open documents are indexed by the candidates' query expression."""
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'account_move_codabox_reference_idx'"
        )
        (definition,) = self.env.cr.fetchone()
        self.assertIn("regexp_replace(upper((payment_reference)::text), '[^0-9A-Z]'", definition)
        self.assertIn("payment_state", definition)

    def test_statement_form_shows_open_lines(self):
        invoice = self._document(21.0)
        _result, lines = self._pay(
            self._movement("21.00", invoice.payment_reference),
            self._movement("22.00", ogm(8880000001)),
        )
        accountant = new_test_user(
            self.env, login="accountant_f", groups="account.group_account_user"
        )
        Statement = self.env["account.bank.statement"].with_user(accountant)
        # The addon's form (OCA's account_statement_base, when installed, puts its own first).
        view = self.env.ref("l10n_be_codabox_connect.view_bank_statement_form")
        arch = Statement.get_views([(view.id, "form")])["views"]["form"]["arch"]
        for text in (
            "action_codabox_reconcile_invoices",
            "codabox_reconcile_note",
            "codabox_reconciled_move_ids",
            "action_undo_reconciliation",
            'decoration-bf="not is_reconciled"',
        ):
            self.assertIn(text, arch)
        # "Reconcile with invoices" in the Actions menu of statements and of their lines,
        # whichever form shows them.
        for model in ("account.bank.statement", "account.bank.statement.line"):
            bindings = self.env["ir.actions.actions"].with_user(accountant).get_bindings(model)
            names = [action["name"] for action in bindings.get("action", [])]
            self.assertIn("Reconcile with invoices", names, model)
        self.assertEqual(lines.mapped("is_reconciled"), [True, False])
        self.assertFalse(lines[0].codabox_reconcile_note)
        self.assertIn("No open invoice", lines[1].codabox_reconcile_note)
