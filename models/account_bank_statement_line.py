import hashlib
import logging
from collections import defaultdict
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.addons.base.models.res_bank import sanitize_account_number
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from ..compat import sql_constraints
from ..matching import (
    MORE,
    NO_CANDIDATE,
    OPEN,
    OTHER_CURRENCY,
    PARTIAL,
    SEVERAL,
    WRONG_DIRECTION,
    decide,
    normalise_reference,
    paid,
)

_logger = logging.getLogger(__name__)

# What Odoo's _prepare_move_line_default_vals reads of a statement line.
DRAFT_FIELDS = ("journal_id", "date", "amount", "payment_ref", "partner_id")


@sql_constraints(
    (
        "unique_import_id",
        "unique (journal_id, unique_import_id)",
        "A bank transaction can only be imported once in a journal.",
    ),
)
class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    unique_import_id = fields.Char(
        string="Import ID",
        readonly=True,
        copy=False,
        index=True,
        help="Identifies the bank transaction this line was imported from, so that a file "
        "imported twice does not create it twice.",
    )

    codabox_reconcile_note = fields.Text(
        string="Reconciliation notes",
        readonly=True,
        copy=False,
        help="Why a line whose communication is a structured reference was left open, or "
        "what is left to pay after a partial payment.",
    )
    codabox_reconciled_move_ids = fields.Many2many(
        "account.move",
        string="Reconciled with",
        compute="_compute_codabox_reconciled_move_ids",
        help="The invoices, bills, credit notes or entries this line is reconciled with.",
    )

    @api.model
    def _coda_statement_import_key(self, statement):
        """The part of the import ids shared by every line of a CODA statement.

        A bank numbers its CODA statements per account from 1 each year: the account, its
        currency, the year-bearing new balance date and that number name one statement,
        whatever file or channel (CodaBox, SFTP, manual download) brought it.
        """
        balance_date = statement.new_balance_date or statement.creation_date
        account = sanitize_account_number(statement.iban or statement.account_number)
        number = f"{statement.coda_sequence:03d}"
        return f"coda-{account}-{statement.currency}-{balance_date:%Y%m%d}-{number}"

    @api.model
    def _coda_unique_import_id(self, statement_key, movement):
        """The import id of a movement: its statement's key, then its place in it.

        The sequence and detail numbers place a movement within its statement, totals and
        details alike, so two lines never collide; they come from the file, so the same line
        always gets the same id. Every movement of a statement has an id, imported or not, so
        a statement is recognised as imported whichever globalisation mode imported it. The
        short hash of the raw records (trailing blanks dropped) keeps apart two different
        movements that a faulty file numbers alike.
        """
        text = "\n".join(line.rstrip() for line in movement.record_text.splitlines())
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        return f"{statement_key}-{movement.sequence:04d}.{movement.detail:04d}-{digest}"

    @api.model
    def _coda_journal_items(self, vals):
        """The journal items of a new statement line, as Odoo makes them, given up front.

        Odoo creates a line's journal entry first and then writes its two items on it, one
        line at a time; given with the values, the items of a whole statement are created in
        one batch, which makes a large statement several times faster to import.
        """
        draft = self.new({field: vals[field] for field in DRAFT_FIELDS if field in vals})
        items = draft._prepare_move_line_default_vals()
        for item in items:
            item.pop("move_id", None)  # the entry they are created with
        return [Command.create(item) for item in items]

    @api.model
    def _coda_book_on_invoice(self, vals, account, partner):
        """Change the values of a new line (with its items, :meth:`_coda_journal_items`) so
        that it is created as Odoo's reconciliation leaves a line paying an invoice: the
        counterpart item on the invoice's receivable or payable ``account`` and commercial
        ``partner`` instead of the suspense account, the line and its liquidity item on that
        partner when they have none (a line of another payer keeps its own)."""
        liquidity, counterpart = (command[2] for command in vals["line_ids"])  # Odoo's order
        if not vals.get("partner_id"):
            vals["partner_id"] = liquidity["partner_id"] = partner.id
        counterpart.update(account_id=account.id, partner_id=partner.id)

    # -- reconciliation with invoices by structured communication ----------------------------
    # The rules are in ..matching (pure Python); what follows finds the candidates and
    # reconciles the Odoo way: the line's suspense item becomes the partner's receivable or
    # payable item, reconciled with the invoice's (account.partial.reconcile), so that
    # "undo reconciliation" and every report see it as any other reconciliation.

    @api.depends("move_id.line_ids.matched_debit_ids", "move_id.line_ids.matched_credit_ids")
    def _compute_codabox_reconciled_move_ids(self):
        for line in self:
            _liquidity, _suspense, other = line._seek_for_lines()
            partials = other.matched_debit_ids | other.matched_credit_ids
            moves = (partials.debit_move_id | partials.credit_move_id).move_id
            line.codabox_reconciled_move_ids = moves - line.move_id - partials.exchange_move_id

    def action_codabox_reconcile_invoices(self):
        """ "Reconcile with invoices": match these lines again (e.g. after new invoices were
        posted), whatever the company's setting for imports; a notification says what."""
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        result = self._codabox_reconcile_invoices()
        return self._codabox_reconcile_notification(result)

    def _codabox_reconcile_invoices(self):
        """Reconcile the lines whose communication is a structured reference with the open
        invoice, bill or credit note of their company that has it (``matching.decide``).

        The candidates of all the lines of a company are read in one query; lines are taken
        in the order of the statements, and what a line paid is deducted before the next
        one looks (two partial payments of one invoice). The reconciliations are then made
        together, in a savepoint; when Odoo refuses one (a lock date), each is made on its
        own and the refused ones stay open with the reason. Lines already reconciled, even
        partly or by hand, are left alone.

        :return: ``{"reconciled": lines reconciled (fully or partly), "open": lines with a
            structured reference left open, each with a note saying why}``
        """
        result = {"reconciled": self.browse(), "open": self.browse()}
        for company, lines in self._codabox_reconcilable().grouped("company_id").items():
            # In the bank's order: Odoo's chronological index (date, then the file's order).
            matches, left_open = lines.sorted("internal_index")._codabox_decide(company)
            reconciled, refused = self._codabox_apply_matches(matches)
            result["reconciled"] |= reconciled
            result["open"] |= left_open | refused
        return result

    def _codabox_decide(self, company):
        """Decide for these lines of ``company``, in their order (the bank's): the candidates
        of all of them read in one query, what a line pays deducted before the next one looks
        (two partial payments of one invoice). Lines left open get their note.

        Used on the lines of a statement ("Reconcile with invoices") and on the lines an
        import is about to create (:meth:`_codabox_match_line_vals`, new records).

        :return: ``([(line, document, its open items, note)], lines left open with a note)``
        """
        references = {line: line._codabox_structured_reference() for line in self}
        wanted = set(references.values()) - {None}
        if not wanted:
            return [], self.browse()
        candidates = self.env["account.move"]._codabox_reconcile_candidates(company, wanted)
        matches, left_open = [], []
        for line in self:
            if references[line]:
                match = line._codabox_match(references[line], candidates)
                if match:
                    matches.append(match)
                elif line.codabox_reconcile_note:
                    left_open.append(line)
        return matches, self.browse().concat(*left_open)

    # -- reconciliation of the lines an import creates ----------------------------------------
    # The import decides before it creates the lines (the same rules, on new records) and
    # creates each line that pays an invoice with its counterpart item already on the
    # invoice's receivable or payable account and partner, then reconciles them: the same
    # entries as the reconciliation of lines already there (:meth:`_codabox_reconcile_matches`),
    # without rewriting the items of entries just posted, which Odoo checks and logs item by
    # item in the entry's chatter (a third of what reconciling cost at import).

    @api.model
    def _codabox_match_line_vals(self, company, vals_list):
        """Decide for the lines of the statements ``vals_list`` (values of
        ``account.bank.statement._coda_statement_vals_list``) of ``company`` before they are
        created, in the bank's order (Odoo's chronological index: date, then the file's
        order), and write the outcome into their values: the partner, the counterpart item
        on the invoice's account and partner (:meth:`_coda_book_on_invoice`), the note.

        Override to exclude lines from the matching at import (e.g. those of a payment
        provider's journal), or to book more (e.g. bank costs deducted from a payment),
        keeping each entry balanced.

        :return: ``{unique_import_id: (document, its open items)}`` to reconcile once the
            lines exist (:meth:`_codabox_reconcile_new_lines`)
        """
        line_vals = [
            command[2] for statement_vals in vals_list for command in statement_vals["line_ids"]
        ]
        # internal_index: the date, then the sequence backwards, then the order of creation
        order = sorted(
            range(len(line_vals)),
            key=lambda index: (line_vals[index]["date"], -line_vals[index]["sequence"], index),
        )
        by_import_id = {vals["unique_import_id"]: vals for vals in line_vals}
        journals = self.env["account.journal"].browse({vals["journal_id"] for vals in line_vals})
        currencies = {
            journal.id: journal.currency_id or company.currency_id for journal in journals
        }
        read = (*DRAFT_FIELDS, "partner_name", "unique_import_id")
        lines = []
        for index in order:
            vals = line_vals[index]
            currency = currencies[vals["journal_id"]]
            if not currency.is_zero(vals["amount"]):
                lines.append(
                    self.new(
                        {**{field: vals.get(field) for field in read}, "currency_id": currency.id}
                    )
                )
        matches, left_open = self.browse().concat(*lines)._codabox_decide(company)
        for line in left_open:
            vals = by_import_id[line.unique_import_id]
            vals["codabox_reconcile_note"] = line.codabox_reconcile_note
        to_reconcile = {}
        for line, move, items, note in matches:
            vals = by_import_id[line.unique_import_id]
            self._coda_book_on_invoice(vals, items.account_id, move.commercial_partner_id)
            vals["codabox_reconcile_note"] = note or False
            to_reconcile[vals["unique_import_id"]] = move, items
        return to_reconcile

    def _codabox_reconcilable(self):
        """The lines matching may touch: posted, not zero, and untouched since the import
        (their only counterpart the suspense item).

        Override to exclude more, e.g. in a module that leaves the lines of a payment
        provider's journal to its own matching, or lines marked "to check"."""
        lines = self.filtered(
            lambda line: line.state == "posted"
            and not line.is_reconciled
            and not line.currency_id.is_zero(line.amount)
        )
        untouched = []
        for line in lines:
            _liquidity, suspense, other = line._seek_for_lines()
            if len(suspense) == 1 and not other:
                untouched.append(line.id)
        return self.browse(dict.fromkeys(untouched))  # the lines once each, in their order

    def _codabox_structured_reference(self):
        """The line's structured reference, normalised (``matching.normalise_reference``), or
        None: the whole communication must be one, the whole label or what follows the
        counterparty's name in the label the import gave it ("Proximus SA -
        +++557/1076/64582+++", see ``account.bank.statement._coda_line_label``).

        Override to read it elsewhere (e.g. from a field another import fills)."""
        self.ensure_one()
        label = self.payment_ref or ""
        prefix = f"{self.partner_name} - "
        if self.partner_name and label.startswith(prefix):
            return normalise_reference(label[len(prefix) :]) or normalise_reference(label)
        return normalise_reference(label)

    def _codabox_transaction_amount(self):
        """The amount the bank moved and its currency: the foreign currency's when the line
        has one, else the journal's. This is what is compared with the documents' residual
        in their currency; override only if an import stores the bank's amount elsewhere."""
        self.ensure_one()
        if self.foreign_currency_id:
            return self.amount_currency, self.foreign_currency_id
        return self.amount, self.currency_id

    def _codabox_match(self, reference, candidates):
        """Decide for one line; ``candidates`` (``{reference: [Candidate]}``) is updated with
        what it pays. A line left open gets its note here.

        :return: ``(line, document, its open items, note)`` to reconcile, or None
        """
        self.ensure_one()
        amount, currency = self._codabox_transaction_amount()
        decimals = currency.decimal_places
        decision = decide(amount, currency.name, candidates.get(reference, ()), decimals)
        if decision.outcome == OPEN:
            self._codabox_set_note(self._codabox_open_note(decision, amount, currency))
            return None
        move, invoice_lines = decision.candidate.key
        left = paid(decision.candidate, Decimal(str(amount)), decimals)
        candidates[reference] = [
            candidate for candidate in candidates[reference] if candidate is not decision.candidate
        ] + ([left] if left else [])
        note = False
        if decision.outcome == PARTIAL:
            note = _(
                "Partial payment of %(document)s: %(left)s left to pay.",
                document=move.display_name,
                left=formatLang(self.env, abs(float(left.residual)), currency_obj=currency),
            )
        return self, move, invoice_lines, note

    def _codabox_reconcile_new_lines(self, to_reconcile):
        """Reconcile the counterpart items of these lines, just created with the values
        :meth:`_codabox_match_line_vals` gave them, with the open items of the documents
        they pay (``account.partial.reconcile``, one reconciliation plan), and give their
        partners the counterparties' accounts. Odoo's refusal is raised: the import then
        creates the lines again without it and reconciles them one by one
        (``account.bank.statement._codabox_import_coda``).

        :param to_reconcile: ``{unique_import_id: (document, its open items)}``
        :return: the lines reconciled
        """
        reconciled = self.filtered(lambda line: line.unique_import_id in to_reconcile)
        plan, learn = [], []
        for line in reconciled:
            move, items = to_reconcile[line.unique_import_id]
            _liquidity, _suspense, counterpart = line._seek_for_lines()
            plan.append(counterpart | items)
            partner = move.commercial_partner_id
            if line.partner_id == partner:  # not another payer's
                learn.append((line, partner))
        self.env["account.move.line"]._reconcile_plan(plan)
        self._codabox_learn_bank_accounts(learn)
        return reconciled

    @api.model
    def _codabox_apply_matches(self, matches):
        """Reconcile ``matches`` (see :meth:`_codabox_match`) all together in a savepoint,
        else each on its own, a refused one left open with Odoo's reason in its note.

        :return: ``(lines reconciled, lines refused)``
        """
        reconciled = refused = self.browse()
        if not matches:
            return reconciled, refused
        try:
            with self.env.cr.savepoint():
                self._codabox_reconcile_matches(matches)
        except (UserError, ValidationError):
            if len(matches) == 1:
                return self._codabox_apply_one(matches[0])
            for match in matches:
                done, failed = self._codabox_apply_one(match)
                reconciled |= done
                refused |= failed
            return reconciled, refused
        for line, _move, _items, note in matches:
            line._codabox_set_note(note)
        return self.browse(dict.fromkeys(line.id for line, *_rest in matches)), refused

    @api.model
    def _codabox_apply_one(self, match):
        """One match of :meth:`_codabox_apply_matches`, in a savepoint of its own."""
        line, move, _items, note = match
        try:
            with self.env.cr.savepoint():
                self._codabox_reconcile_matches([match])
        except (UserError, ValidationError) as error:
            line._codabox_set_note(
                _(
                    "%(document)s has this structured communication, but Odoo refused the "
                    "reconciliation: %(error)s",
                    document=move.display_name,
                    error=error.args[0] if error.args else error,
                )
            )
            return self.browse(), line
        line._codabox_set_note(note)
        return line, self.browse()

    @api.model
    def _codabox_reconcile_matches(self, matches):
        """Reconcile each line of ``matches`` whole with the open items of its document, as
        Odoo's reconciliation does: the line's suspense item becomes an item of the
        document's receivable or payable account and partner, reconciled with the
        document's (``account.partial.reconcile``; partly when the line pays less). A line
        without partner gets the document's, and that partner, the line's own or given so,
        the counterparty's account.

        All the lines in a few writes and one reconciliation plan. Override to book more
        (e.g. bank costs deducted from a payment), keeping each entry balanced.

        :param matches: ``[(line, document, its open receivable/payable items, note)]``
        """
        counterparts = defaultdict(list)  # (account, partner): ids of suspense items
        liquidities = defaultdict(list)  # partner: ids of items of lines without partner
        plan, learn = [], []
        for line, move, items, _note in matches:
            partner = move.commercial_partner_id
            liquidity, suspense, _other = line._seek_for_lines()
            counterparts[items.account_id, partner] += suspense.ids
            if not line.partner_id:
                liquidities[partner] += liquidity.ids
            if not line.partner_id or line.partner_id == partner:  # not another payer's
                learn.append((line, partner))
            plan.append(suspense | items)
        # As Odoo's own "undo reconciliation" writes the items of a posted statement entry.
        Item = self.env["account.move.line"].with_context(skip_readonly_check=True)
        for partner, ids in liquidities.items():
            Item.browse(ids).write({"partner_id": partner.id})  # the line follows
        for (account, partner), ids in counterparts.items():
            Item.browse(ids).write({"account_id": account.id, "partner_id": partner.id})
        Item._reconcile_plan(plan)
        self._codabox_learn_bank_accounts(learn)

    @api.model
    def _codabox_learn_bank_accounts(self, pairs):
        """Give each partner of ``pairs`` (``[(line, partner)]``) the line's counterparty
        account when it does not have it yet, so that the next statements find the partner
        by it (the import's partner lookup). Accounts Odoo refuses (not a valid IBAN) are
        left out: they never stop a reconciliation."""
        Statement = self.env["account.bank.statement"]
        wanted = {}
        for line, partner in pairs:
            number = Statement._coda_sanitized_counterparty(line.account_number)
            if number:
                wanted[number, partner] = True
        if not wanted:
            return
        # sudo: the account is the one the bank reports for a payment that a structured
        # communication tied to this partner; accountants reconcile without the right to
        # edit contacts. Accounts are only ever added to that partner, never changed.
        Bank = self.env["res.partner.bank"].sudo().with_context(active_test=False)
        known = Bank.search_fetch(
            [
                ("sanitized_acc_number", "in", [number for number, _partner in wanted]),
                ("partner_id", "in", list({partner.id for _number, partner in wanted})),
            ],
            ["sanitized_acc_number", "partner_id"],
        )
        for bank in known:
            wanted.pop((bank.sanitized_acc_number, bank.partner_id), None)
        vals_list = [{"acc_number": number, "partner_id": partner.id} for number, partner in wanted]
        try:
            with self.env.cr.savepoint():
                Bank.create(vals_list)
        except (UserError, ValidationError):
            for vals in vals_list:
                try:
                    with self.env.cr.savepoint():
                        Bank.create(vals)
                except (UserError, ValidationError):
                    _logger.info("Account %(acc_number)s not added to partner %(partner_id)s", vals)

    def _codabox_open_note(self, decision, amount, currency):
        """Why the line is left open, to the accountant (False: nothing worth saying).

        Overridable, e.g. to add the company's own instructions."""
        self.ensure_one()
        documents = ", ".join(
            candidate.key[0].display_name for candidate in decision.candidates
        ) or (decision.candidate.key[0].display_name if decision.candidate else "")
        if decision.reason == NO_CANDIDATE:
            return _(
                "No open invoice, bill or credit note of this company has this structured "
                "communication."
            )
        if decision.reason == WRONG_DIRECTION:
            if amount > 0:
                return _(
                    "Money received cannot pay %(documents)s, which has this structured "
                    "communication: reconcile the line by hand.",
                    documents=documents,
                )
            return _(
                "Money paid out cannot pay %(documents)s, which has this structured "
                "communication: reconcile the line by hand.",
                documents=documents,
            )
        if decision.reason == SEVERAL:
            return _(
                "Several open documents have this structured communication (%(documents)s): "
                "reconcile the line by hand.",
                documents=documents,
            )
        move = decision.candidate.key[0] if decision.candidate else None
        if decision.reason == OTHER_CURRENCY:
            return _(
                "%(document)s has this structured communication, but it is in %(currency)s "
                "and the payment in %(payment_currency)s: reconcile the line by hand.",
                document=move.display_name,
                currency=decision.candidate.currency,
                payment_currency=currency.name,
            )
        if decision.reason == MORE:
            return _(
                "The payment (%(amount)s) is more than what is left to pay on %(document)s "
                "(%(residual)s): reconcile the line by hand.",
                amount=formatLang(self.env, abs(amount), currency_obj=currency),
                document=move.display_name,
                residual=formatLang(
                    self.env, abs(float(decision.candidate.residual)), currency_obj=currency
                ),
            )
        return False

    def _codabox_set_note(self, note):
        """Write the line's reconciliation note, only when it changes."""
        if (self.codabox_reconcile_note or False) != (note or False):
            self.codabox_reconcile_note = note or False

    @api.model
    def _codabox_reconcile_summary(self, reconciled, left_open):
        """What an import or a "Reconcile with invoices" did, in a sentence or two for the
        notification: how many lines were reconciled with which documents, how many with a
        structured communication were left open. Empty when there is nothing to say."""
        parts = []
        if reconciled:
            names = []
            for move in reconciled.codabox_reconciled_move_ids.sorted("name"):
                if move.payment_state == "partial":
                    names.append(_("%(document)s (partly paid)", document=move.display_name))
                else:
                    names.append(move.display_name)
            parts.append(
                _(
                    "%(count)s line(s) reconciled with %(documents)s.",
                    count=len(reconciled),
                    documents=", ".join(names),
                )
            )
        if left_open:
            parts.append(
                _(
                    "%(count)s line(s) with a structured communication left open: the notes "
                    "on their statement say why.",
                    count=len(left_open),
                )
            )
        return " ".join(parts)

    def _codabox_reconcile_notification(self, result):
        """The notification of "Reconcile with invoices" for ``result`` (see
        :meth:`_codabox_reconcile_invoices`)."""
        message = self._codabox_reconcile_summary(result["reconciled"], result["open"])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Reconcile with invoices"),
                "message": message
                or _("No line to reconcile: none is open with a structured communication."),
                "type": "success" if result["reconciled"] else "warning",
                "sticky": bool(result["open"]),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
