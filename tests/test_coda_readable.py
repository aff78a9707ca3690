"""Statements a person can read: partners found by account, by the invoice a structured
communication pays and by name; labels with the counterparty's name and communication; the
bank's order of the lines; the parser's errors and warnings worded in the user's language."""

from odoo import Command
from odoo.tests.common import tagged

from ..coda_parser import ERRORS, WARNINGS, CodaError, CodaWarning, parse
from ..exceptions import CodaImportError
from .reconcile_common import CUSTOMER_IBAN, ReconcileCase, ogm
from .test_i18n import code_terms

MODULE = "l10n_be_codabox_connect"
# Accounts no partner has.
UNKNOWN_IBAN = "BE62510007547061"
OTHER_IBAN = "BE43068999999501"


@tagged("post_install", "-at_install")
class TestCodaReadable(ReconcileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.codabox_auto_reconcile = False
        Partner = cls.env["res.partner"]
        cls.lefevre = Partner.create({"name": "Lefèvre Papier SRL", "is_company": True})
        cls.proximus = Partner.create({"name": "Proximus S.A.", "is_company": True})
        cls.dubois = Partner.create(
            [{"name": "Dubois SA", "is_company": True}, {"name": "DUBOIS", "is_company": True}]
        )
        # A contact is not a counterparty of its own: its company is, by its own name.
        cls.contact = Partner.create({"name": "Sofie Maes", "parent_id": cls.lefevre.id})

    def _line(self, amount, communication, name, account=UNKNOWN_IBAN):
        _result, (line,) = self._pay(self._movement(amount, communication, account, name))
        return line

    # -- partners ----------------------------------------------------------------------------

    def test_partner_by_name(self):
        """Case, accents, punctuation and legal forms do not matter."""
        self.assertEqual(self._line("10.00", "Paper", "LEFEVRE PAPIER").partner_id, self.lefevre)
        self.assertEqual(self._line("11.00", "Paper", "lefevre papier bv").partner_id, self.lefevre)
        self.assertEqual(self._line("-12.00", "Phone", "PROXIMUS SA").partner_id, self.proximus)
        self.assertEqual(self._line("-13.00", "Phone", "Proximus").partner_id, self.proximus)

    def test_entry_has_the_partner_of_its_items(self):
        """As Odoo gives a statement line's entry its liquidity item's partner: the posted
        entry can then be synchronised (reconciled) without a change of partner refused."""
        line = self._line("14.00", "Paper", "LEFEVRE PAPIER")
        self.assertEqual(line.move_id.state, "posted")
        self.assertEqual(line.move_id.partner_id, self.lefevre)
        self.assertEqual(line.move_id.line_ids.partner_id, self.lefevre)

    def test_no_partner_by_a_guess(self):
        # Two partners are "Dubois": none.
        self.assertFalse(self._line("14.00", "Stock", "Dubois NV").partner_id)
        # Another word, a word less: none.
        self.assertFalse(self._line("15.00", "Paper", "Lefevre Papiers").partner_id)
        self.assertFalse(self._line("16.00", "Paper", "Lefevre").partner_id)
        # A contact's name: neither the contact nor its company.
        self.assertFalse(self._line("17.00", "Salary", "SOFIE MAES").partner_id)
        # Nothing left of a name once its legal form is dropped.
        self.assertFalse(self._line("18.00", "?", "SA").partner_id)

    def test_partner_of_another_company_not_found_by_name(self):
        other = self.env["res.company"].create({"name": "Other"})
        self.env["res.partner"].create({"name": "Boulangerie Janssens", "company_id": other.id})
        self.assertFalse(self._line("19.00", "Bread", "BOULANGERIE JANSSENS").partner_id)
        shared = self.env["res.partner"].create({"name": "Boulangerie Peeters"})
        self.assertEqual(self._line("20.00", "Bread", "Boulangerie Peeters").partner_id, shared)

    def test_partner_by_the_invoice_a_structured_communication_pays(self):
        invoice = self._document(21.0)
        line = self._line("21.00", invoice.payment_reference, "Somebody Else", OTHER_IBAN)
        self.assertEqual(line.partner_id, self.customer)
        self.assertFalse(line.is_reconciled, "found, not reconciled: the company's setting")

    def test_no_partner_when_the_invoices_of_a_reference_are_of_two_partners(self):
        reference = ogm(5550000001)
        self._document(22.0, partner=self.customer, reference=reference)
        self._document(23.0, partner=self.customer2, reference=reference)
        self.assertFalse(self._line("22.00", reference, "Somebody Else", OTHER_IBAN).partner_id)

    def test_the_account_comes_first(self):
        """The partner holding the account (the payer) before the invoice's and the name's."""
        payer = self.env["res.partner"].create(
            {"name": "Parent NV", "bank_ids": [Command.create({"acc_number": CUSTOMER_IBAN})]}
        )
        invoice = self._document(24.0)
        line = self._line("24.00", invoice.payment_reference, "Lefevre Papier", CUSTOMER_IBAN)
        self.assertEqual(line.partner_id, payer)
        # The invoice's before the name's.
        line = self._line("24.00", invoice.payment_reference, "Lefevre Papier", OTHER_IBAN)
        self.assertEqual(line.partner_id, self.customer)

    def test_partners_in_a_fixed_number_of_queries(self):
        """The searches are per file, whatever the number of lines."""
        Statement = self.env["account.bank.statement"].with_company(self.company)

        def queries(count):
            movements = [
                self._movement("1.00", ogm(6660000000 + n), OTHER_IBAN, f"Name {n} SA")
                for n in range(count)
            ]
            (coda_statement,) = parse(self._coda(*movements))
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Statement._coda_partners(coda_statement.movements)
            return self.cr.sql_log_count - before

        self.assertEqual(queries(2), queries(20))

    # -- labels --------------------------------------------------------------------------------

    def test_label_has_the_name_and_the_communication(self):
        invoice = self._document(30.0)
        self.company.codabox_auto_reconcile = True
        result, lines = self._pay(
            self._movement("30.00", invoice.payment_reference, OTHER_IBAN, "Hotel De Vleugel"),
            self._movement("-31.00", "Invoice 2024-17", OTHER_IBAN, "Proximus SA"),
            self._movement("32.00", "Refund", OTHER_IBAN, ""),
        )
        paid, phone, refund = lines.sorted("internal_index")
        self.assertEqual(paid.payment_ref, f"Hotel De Vleugel - {invoice.payment_reference}")
        self.assertEqual(phone.payment_ref, "Proximus SA - Invoice 2024-17")
        self.assertEqual(refund.payment_ref, "Refund")
        # The reconciliation still finds the structured communication after the name.
        self.assertEqual(result["reconciled"], paid)
        self.assertReconciledWith(paid, invoice)

    # -- order ---------------------------------------------------------------------------------

    def test_lines_in_the_banks_order(self):
        amounts = ["1.00", "-2.00", "3.00", "-4.00", "5.00"]
        result, _lines = self._pay(*(self._movement(a, "x", OTHER_IBAN, "A") for a in amounts))
        statement = result["statements"]
        statement.invalidate_recordset()
        # Odoo's chronological order (internal_index: date, then its backwards sequence) is
        # the file's, so running balances follow the bank's.
        lines = statement.line_ids.sorted("internal_index")
        self.assertEqual(lines.mapped("amount"), [float(a) for a in amounts])
        balance = statement.balance_start
        for line, amount in zip(lines, amounts, strict=True):
            balance += float(amount)
            self.assertAlmostEqual(line.running_balance, balance)
        # The statement's form lists them so, as the bank's PDF does (Odoo's own lists show
        # the newest first).
        arch = self.env["account.bank.statement"].get_views([(False, "form")])["views"]["form"]
        self.assertIn('default_order="internal_index"', arch["arch"])

    # -- the parser's words in the user's language ---------------------------------------------

    def _broken(self):
        """A CODA file with a line cut short (14 characters)."""
        records = self._coda(self._movement("1.00", "x")).decode("latin-1").splitlines()
        records[2] = records[2][:14]  # the movement's record 21
        return "\n".join(records).encode("latin-1")

    def test_parser_error_is_worded_through_translations(self):
        """The parser's error reaches a French-speaking user in French, from fr.po."""
        self.env["res.lang"]._activate_lang("fr_BE")
        Statement = self.env["account.bank.statement"].with_context(lang="fr_BE")
        with self.assertRaises(CodaImportError) as caught:
            Statement._codabox_import_coda(self._broken(), company=self.company, filename="b.cod")
        self.assertEqual(
            str(caught.exception),
            "b.cod n'est pas un fichier CODA valide : ligne 3, enregistrement 21 : la ligne fait "
            "14 caractères, un enregistrement en compte 128",
        )
        # In English, the parser's own words are not what the user reads either.
        with self.assertRaises(CodaImportError) as caught:
            self.env["account.bank.statement"]._codabox_import_coda(
                self._broken(), company=self.company, filename="b.cod"
            )
        self.assertIn("the line is 14 characters long, a record has 128", str(caught.exception))

    def test_parser_warning_is_worded_in_the_users_language(self):
        warning = CodaWarning("iban_check_digits", 2, iban="BE00539007547034")
        Statement = self.env["account.bank.statement"]
        self.assertEqual(
            Statement._coda_parser_message(warning),
            "line 2: the IBAN BE00539007547034 has wrong check digits",
        )
        error = CodaError.of("continuation_first", 7, "23", type="23", expected=("21", "22"))
        self.assertEqual(
            Statement._coda_parser_message(error),
            "line 7, record 23: record 23 must follow a record 21 or 22",
        )
        error = CodaError.of("not_numeric", 5, "21", field="value date", value="31A224")
        self.assertEqual(
            Statement._coda_parser_message(error),
            "line 5, record 21: the value date ('31A224') is not a number",
        )
        # A code the table does not know (a newer parser): its English text.
        unknown = CodaError("something new", 9, "21", code="new_code")
        self.assertEqual(
            Statement._coda_parser_message(unknown), "line 9, record 21: something new"
        )

    def test_every_parser_code_is_worded_and_exported(self):
        Statement = self.env["account.bank.statement"]
        self.assertEqual(set(Statement._coda_parser_wordings()), set(ERRORS) | set(WARNINGS))
        terms, _problems = code_terms(self.cr)
        for term in (
            "the line is %(length)s characters long, a record has 128",
            "line %(line)s, record %(record)s: %(message)s",
            "the IBAN %(iban)s has wrong check digits",
            "%(first)s or %(second)s",
            "sign of the new balance",
        ):
            self.assertIn(term, terms)
