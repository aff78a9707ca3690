from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from psycopg2 import errors as pgerrors

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index, mute_logger

from ..matching import PRESELECT_STRIP, Candidate, normalise_reference

# The payment reference reduced to digits and capitals, as the candidates are preselected on
# (and indexed by): see matching.PRESELECT_STRIP. A constant, written out so that the query's
# expression is the index's, which PostgreSQL then uses.
REFERENCE_KEY = "regexp_replace(upper({move}payment_reference), '" + PRESELECT_STRIP + "', '', 'g')"
# What Odoo's account.bank.statement.line.create writes on each new entry, one write per entry.
STATEMENT_LINK = frozenset({"statement_line_id", "narration", "name"})
# Where the links of a CODA import wait for their batch write (the cursor's cache: the
# context cannot hold them, and they must not outlive the transaction's cursor).
PENDING_LINKS = "codabox_pending_statement_links"
# The marks Odoo writes on the entries of an import, one write for all of them, that then
# change nothing: "checked", given at creation (_codabox_checked_at_creation), and
# is_manually_modified, which account.move.create resets to False on the entries it has just
# created with False. Such a write only runs account.move.write's business logic again (the
# journal items' debit and credit computed once more, to the same values): write skips it
# for the entries of an import (context key codabox_batch_post).
UNCHANGED_MARKS = frozenset({"checked", "is_manually_modified"})
# What may be paid: posted invoices, bills and credit notes, not fully paid yet.
OPEN_DOCUMENT = "{move}state = 'posted' AND {move}payment_state IN ('not_paid', 'partial')"
MATCHED_TYPES = ("out_invoice", "out_refund", "in_invoice", "in_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    codabox_soda_key = fields.Char(
        string="SODA",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The SODA this payroll entry was made from (source/sequence number/period).",
    )
    codabox_soda_unmapped = fields.Boolean(
        string="Unmapped social accounts",
        compute="_compute_codabox_soda_unmapped",
        help="Lines of this SODA entry book a social account on the suspense account.",
    )

    codabox_sent_invoice_ids = fields.One2many(
        "codabox.sent.invoice", "move_id", string="Sent to CodaBox", readonly=True
    )
    codabox_send_state = fields.Selection(
        [("to_send", "To send"), ("sent", "Sent"), ("failed", "Failed")],
        string="CodaBox",
        compute="_compute_codabox_send",
        help="Sending to CodaBox, for the accounting office (invoicing-software connection).",
    )
    codabox_sendable = fields.Boolean(compute="_compute_codabox_send")

    @api.depends("state", "move_type", "codabox_sent_invoice_ids.state")
    def _compute_codabox_send(self):
        # sudo: the ledger is read-only, and billing users see their own invoices' entries.
        sendable = self.env["codabox.sent.invoice"].sudo()._sendable(self)
        for move in self:
            move.codabox_send_state = move.sudo().codabox_sent_invoice_ids[:1].state
            move.codabox_sendable = move in sendable

    def _post(self, soft=True):
        """A customer invoice or credit note of a company connected to CodaBox as invoicing
        software is queued for CodaBox in the transaction that posts it, then sent in the
        background (codabox.sent.invoice). The entries of a CODA import get their statement
        line links first (:meth:`_codabox_write_statement_links`), and their partners as
        followers all at once (:meth:`_codabox_subscribe_partners`)."""
        self._codabox_write_statement_links()
        if self.env.context.get("codabox_batch_post"):
            self._codabox_subscribe_partners(soft)
        posted = super()._post(soft=soft)
        if any(move.move_type in ("out_invoice", "out_refund") for move in posted):
            Ledger = self.env["codabox.sent.invoice"]
            if Ledger._enqueue(posted, posted_anew=True).filtered(lambda e: e.state == "to_send"):
                Ledger._wake_sender()
        return posted

    def action_codabox_send_invoice(self, with_commit=True):
        """ "Send to CodaBox" now (billing users of the invoice's company)."""
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_invoice")
        self.check_access("read")
        Ledger = self.env["codabox.sent.invoice"]
        unsendable = self - Ledger._sendable(self)
        if unsendable:
            raise UserError(
                _(
                    "Only posted customer invoices and credit notes of a company connected to "
                    "CodaBox as invoicing software are sent to CodaBox: %(invoices)s.",
                    invoices=", ".join(unsendable.mapped("display_name")),
                )
            )
        entries = Ledger._enqueue(self)
        entries._send(with_commit=with_commit)
        failed = entries.filtered(lambda e: e.state != "sent")
        message = (
            "\n".join(failed.mapped("last_error"))
            if failed
            else _("Sent to CodaBox, for your accounting office.")
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("CodaBox"),
                "message": message,
                "type": "warning" if failed else "success",
                "sticky": bool(failed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.depends("line_ids.codabox_soda_code", "line_ids.account_id")
    def _compute_codabox_soda_unmapped(self):
        for move in self:
            suspense = move.company_id.account_journal_suspense_account_id
            move.codabox_soda_unmapped = bool(move.codabox_soda_key) and any(
                line.codabox_soda_code and line.account_id == suspense for line in move.line_ids
            )

    def action_codabox_apply_soda_mapping(self):
        """Apply the SODA account mapping to these draft payroll entries."""
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        for company in self.company_id:
            self.filtered(lambda m, c=company: m.company_id == c)._codabox_remap_soda()
        return True

    @api.model
    def _codabox_apply_soda_mapping(self, company):
        """Apply the mapping to every draft SODA entry of the company still booking a
        social account on the suspense account."""
        moves = self.search(
            [
                ("company_id", "=", company.id),
                ("codabox_soda_key", "!=", False),
                ("state", "=", "draft"),
            ]
        ).filtered("codabox_soda_unmapped")
        moves._codabox_remap_soda()
        return True

    def _codabox_remap_soda(self):
        """Book each line on the account the mapping now gives its social account (draft
        entries only: a posted entry is the accountant's)."""
        Mapping = self.env["codabox.soda.mapping"]
        for move in self.filtered(lambda m: m.state == "draft" and m.codabox_soda_key):
            lines = move.line_ids.filtered("codabox_soda_code")
            accounts = Mapping._accounts_for(
                move.company_id, {line.codabox_soda_code: line.name for line in lines}
            )
            changes = [
                Command.update(line.id, {"account_id": accounts[line.codabox_soda_code].id})
                for line in lines
                if accounts[line.codabox_soda_code]
                and accounts[line.codabox_soda_code] != line.account_id
            ]
            if changes:
                move.write({"line_ids": changes})

    @api.model_create_multi
    def create(self, vals_list):
        """Entries of a CODA import's statement lines get their partner from their items.

        The import gives each statement line's journal items up front
        (``account.bank.statement.line._coda_journal_items``), so Odoo never writes them on
        the draft entry and never copies the liquidity item's partner onto the entry
        (``_synchronize_from_moves``), as it does for a line created bare. Without it the
        posted entry's partner would differ from its items', and the first synchronisation
        after posting (a reconciliation, e.g. OCA's automatic one) would be refused."""
        if self.env.context.get("codabox_batch_sequence"):
            for vals in vals_list:
                if "partner_id" not in vals:
                    vals["partner_id"] = self._codabox_items_partner(vals.get("line_ids", ()))
        if self.env.context.get("codabox_batch_post"):
            self._codabox_checked_at_creation(vals_list)
        return super().create(vals_list)

    @api.model
    def _codabox_items_partner(self, line_commands):
        """The one partner of the items created by ``line_commands``, else False."""
        partners = {
            command[2].get("partner_id") or False
            for command in line_commands
            if command[0] == Command.CREATE
        }
        return partners.pop() if len(partners) == 1 else False

    # -- the balance check of a CODA import, run once for the whole batch ----------------------

    @contextmanager
    def _check_balanced(self, container):
        """Odoo's check that the entries are balanced, left out while an import creates its
        entries (context key ``codabox_batch_balance``): the import then runs it once for all
        of them (``account.bank.statement._coda_create_statements``).

        Odoo's own way to leave it out, ``check_move_validity=False`` in the context, is not
        used: Odoo's ``_disable_recursion`` takes that key out of every environment made
        while an entry is written, so that each statement line's entry leaves environments
        behind that every later one goes through (CPU time per line growing with the
        statement's size, twice that of the import without the batch)."""
        if self.env.context.get("codabox_batch_balance"):
            yield
            return
        with super()._check_balanced(container):
            yield

    # -- the statement line links of a CODA import, written for the whole batch ---------------
    # Odoo's account.bank.statement.line.create writes each new entry's link to its statement
    # line (statement_line_id, narration, name) with one write per entry: a quarter of the
    # import's time, most of it in write()'s dependency walk (modified), done once per entry.
    # The entries of an import (context key codabox_batch_link) keep those values aside and
    # get them all at once before they are posted, as write() would give them: the same
    # protected fields, the fields written, modified() on all the entries at once, the
    # constraints, the company check, and the is_manually_modified mark and sequence gap flag
    # that account.move.write adds.

    def write(self, vals):
        if (
            self.env.context.get("codabox_batch_link")
            and len(self) == 1
            and vals.keys() == STATEMENT_LINK
            and not self.statement_line_id
        ):
            self._codabox_keep_statement_link(vals)
            return True
        if (
            self.env.context.get("codabox_batch_post")
            and vals.keys() <= UNCHANGED_MARKS
            and all(move[name] == value for move in self for name, value in vals.items())
        ):
            return True  # nothing changes: see UNCHANGED_MARKS
        return super().write(vals)

    def _codabox_keep_statement_link(self, vals):
        """Keep the link Odoo writes on this new entry, with the fields Odoo protects while
        it writes it, for :meth:`_codabox_write_statement_links`."""
        protected = self.env._protected
        fields_protected = frozenset(field for field in protected if self.id in protected[field])
        self.env.cr.cache.setdefault(PENDING_LINKS, []).append((self.id, vals, fields_protected))

    def _codabox_write_statement_links(self):
        """Write the statement line links kept by :meth:`write` during a CODA import, for all
        the entries at once, as ``account.move.write`` would have written each of them.

        Called before posting (Odoo's statement line creation posts the entries right after
        writing their links) and by the import after creating its lines."""
        pending = self.env.cr.cache.pop(PENDING_LINKS, None)
        if not pending:
            return
        Move = self.env["account.move"].with_context(codabox_batch_link=False)
        moves = Move.browse([move_id for move_id, _vals, _fields in pending])
        written = [*STATEMENT_LINK, "is_manually_modified"]
        moves._set_next_made_sequence_gap(True)
        # Posting reads the entries' invoice lines (_affect_tax_report), a search that would
        # first write their items' names, emptied here (name False) until posting names them:
        # read now, the items' names are written once, when posting has named them.
        moves.fetch(["invoice_line_ids"])
        protection = [(fields_, Move.browse(move_id)) for move_id, _vals, fields_ in pending]
        protection += moves._get_protected_vals(written, moves)
        with self.env.protecting(protection):
            ordered = sorted(
                (Move._fields[name] for name in STATEMENT_LINK), key=lambda f: f.write_sequence
            )
            narration = Move._fields["narration"]
            for move_id, vals, _fields in pending:
                move = Move.browse(move_id)
                for field in ordered:
                    # The narration Odoo writes back is the entry's own (the statement line
                    # reads it from the entry), sanitized when it was given: the same value,
                    # which Field.write would sanitize again to find it unchanged.
                    if field is narration and vals["narration"] == move.narration:
                        continue
                    field.write(move, vals[field.name])
            Move._fields["is_manually_modified"].write(moves, True)
            moves.modified(written)
            moves._validate_fields(written)
        moves._check_company(["statement_line_id"])
        moves._synchronize_business_models(set(written))
        # As account.bank.statement.line.create does after each write.
        self.env.add_to_compute(Move._fields["name"], moves)
        self.env.remove_to_compute(Move._fields["narration"], moves)

    # -- the posting of a CODA import's entries: Odoo's work per entry done for the batch ------
    # Odoo's _post writes each entry's "checked" (its journal's autocheck_on_post) and makes
    # each entry's partner a follower of it (message_subscribe), entry by entry: a write with
    # account.move.write's business logic, then a search, a query and an insert, per entry.
    # The entries of an import (context key codabox_batch_post) are created with "checked"
    # as posting sets it, which makes that write change nothing (write skips it), and get
    # their partners as followers in one batch before Odoo's loop, which then finds them
    # following: the same entries and followers, without the work per entry.

    @api.model
    def _codabox_checked_at_creation(self, vals_list):
        """Give new entries the ``checked`` that Odoo's ``_post`` writes on each entry: its
        journal's ``autocheck_on_post``. Creation does not track it (mail.thread discards the
        tracking of new records), so the entries and their chatter are those of Odoo's write."""
        journal_ids = {vals["journal_id"] for vals in vals_list if vals.get("journal_id")}
        autocheck = {
            journal.id: journal.autocheck_on_post
            for journal in self.env["account.journal"].browse(journal_ids)
        }
        for vals in vals_list:
            if vals.get("journal_id") in autocheck:
                vals.setdefault("checked", autocheck[vals["journal_id"]])

    def _codabox_subscribe_partners(self, soft):
        """Make each entry's partner a follower of it, as Odoo's ``_post`` does entry by
        entry (``message_subscribe``), for all the entries at once: the same rights checked,
        the same partners left out (archived), the same default subtypes (a portal or public
        partner's external ones), existing followers kept. Only the entries ``_post`` posts
        now (``soft``: not those dated in the future, posted later by Odoo's own job).

        Override to return without subscribing to leave it to Odoo's ``message_subscribe``,
        entry by entry, e.g. in a module that changes how entries are followed."""
        today = fields.Date.context_today(self)
        moves = self.filtered(lambda move: move.partner_id and not (soft and move.date > today))
        if not moves:
            return
        moves.check_access("write")
        # sudo: as message_subscribe, which reads the partners whatever the user may read
        partners = (
            self.env["res.partner"]
            .sudo()
            .search([("id", "in", moves.partner_id.ids), ("active", "=", True)])
        )
        if not partners:
            return
        Followers = self.env["mail.followers"]
        following = {
            (res_id, partner_id)
            for _id, res_id, partner_id, _subtypes in Followers._get_subscription_data(
                [(self._name, moves.ids)], partners.ids
            )
        }
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes(self._name)
        subtypes = {
            partner.id: (external if partner.partner_share else default).ids for partner in partners
        }
        vals_list = []
        for move in moves:
            partner_id = move.partner_id.id
            if partner_id in subtypes and (move.id, partner_id) not in following:
                new, _update = Followers._add_followers(
                    self._name, [move.id], [partner_id], subtypes
                )
                vals_list += [dict(vals, res_id=move.id) for vals in new[move.id]]
        # sudo: as mail.followers._insert_followers, which message_subscribe calls
        Followers.sudo().with_context(default_partner_id=False).create(vals_list)
        moves.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    # -- the tax country of a CODA import's entries, computed as the ORM computes it ------------
    # Odoo's constraint _validate_taxes_country calls _compute_tax_country_id directly, outside
    # of a computation, to be sure the field is computed before it checks the taxes. Its
    # assignment then is a write(): for a field that is neither stored nor inverted, the whole
    # of account.move.write's business logic (tracking, dynamic lines, statement line sync) on
    # every entry of the batch, and nothing written to the database. For the entries of an
    # import (context key codabox_batch_post), the same method gives the same value the way
    # the ORM gives a computed field's: into the cache, the fields depending on it invalidated.

    def _compute_tax_country_id(self):
        field = self._fields["tax_country_id"]
        outside = self - self.env.protected(field)
        if not (self.env.context.get("codabox_batch_post") and outside):
            return super()._compute_tax_country_id()
        with self.env.protecting([field], outside):
            result = super()._compute_tax_country_id()
        outside.modified(["tax_country_id"])
        return result

    # -- entry names of a CODA import, given for the whole batch -------------------------------
    # Odoo names each new entry on its own (_set_next_sequence): two searches for the
    # journal's last name when the entry is created and two more when it is posted, then two
    # UPDATEs, per entry. The entries of an import (context key codabox_batch_sequence) are
    # named together: the last name read once per journal and period, the next numbers given
    # in date order as _set_next_sequence gives them, written in one savepoint that Odoo's own
    # unique index on posted names guards. When another transaction took one of those names
    # meanwhile, Odoo's own naming, with its retries, names the batch instead.

    def _compute_name(self):
        batch = self._codabox_batch_to_name()
        if not batch:
            return super()._compute_name()
        drafts = batch.filtered(lambda move: move.state == "draft")
        named = drafts._codabox_leave_drafts_unnamed() | (batch - drafts)._codabox_name_batch()
        super(AccountMove, self - named)._compute_name()
        named._inverse_name()
        return None

    def _codabox_batch_to_name(self):
        """The entries of ``self`` that the import names as a batch: without a name yet,
        posted or new drafts, of a CODA import (context key ``codabox_batch_sequence``).

        Override to leave more entries to Odoo's naming one by one, e.g. a journal whose
        sequence another module makes on its own."""
        if not self.env.context.get("codabox_batch_sequence") or len(self) < 2:
            return self.browse()
        return self.filtered(
            lambda move: (
                move.state == "posted" or (move.state == "draft" and not move.posted_before)
            )
            and move.name in (False, "/")
            and move.date
            and move.journal_id
            and move.move_type == "entry"
            and not move.quick_edit_mode
        )

    def _codabox_leave_drafts_unnamed(self):
        """New draft entries of the import, left without a name (``/``) until they are
        posted, a moment later in the same transaction, where they are named as a batch
        (:meth:`_codabox_name_batch`).

        Odoo would name the first draft of a period at once and keep that name at posting:
        when another import committed that name after this transaction started, Odoo's unique
        index on posted names would then refuse the whole import. Named at posting, the
        first entry of a period is named by ``_set_next_sequence``, which takes the next free
        name; and no search for the journal's last name is made here.

        :return: the entries named ``/`` here
        """
        self.name = "/"
        return self

    def _codabox_name_batch(self):
        """Name new posted entries the way ``_set_next_sequence`` does, in date order, the
        journal's last name read once per journal and period (the first entry of a period
        is named by ``_set_next_sequence`` itself).

        :return: the entries named here (none when another transaction took a name first:
            then Odoo names them one by one, retrying)
        """
        if not self:
            return self.browse()
        ordered = self.sorted(lambda move: (move.journal_id.id, move.date, move.ref or "", move.id))
        self._codabox_prepare_naming()
        named_ids = []
        try:
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                period = None  # (journal, first day, last day, format, its values)
                for move in ordered:
                    if (
                        period
                        and period[0] == move.journal_id
                        and period[1] <= move.date <= period[2]
                    ):
                        _journal, _start, _end, format_string, values = period
                        values["seq"] += 1
                        move.name = format_string.format(**values)
                        named_ids.append(move.id)
                        continue
                    self.browse(named_ids).flush_recordset(["name"])
                    last = move._get_last_sequence()
                    if not last:  # the first entry of its period: Odoo names it
                        move._set_next_sequence()
                        last = move.name
                    period = move._codabox_sequence_period(last)
                    if move.name in (False, "/"):
                        values = period[4]
                        values["seq"] += 1
                        move.name = period[3].format(**values)
                        named_ids.append(move.id)
                named = self.browse(named_ids)
                named._compute_split_sequence()
                named.flush_recordset(["name", "sequence_prefix", "sequence_number"])
        except (pgerrors.ExclusionViolation, pgerrors.UniqueViolation):
            self.name = False  # Odoo's _compute_name names them again, one by one
            return self.browse()
        return named

    def _codabox_prepare_naming(self):
        """What ``_set_next_sequence`` does before it writes a name: the entries' other
        fields written first, and the fields depending on the name to be computed again
        (the ORM protects them while the name is computed). The split of the name
        (``sequence_prefix``, ``sequence_number``) is left out: :meth:`_codabox_name_batch`
        computes it once the entries are named (``_set_next_sequence`` reads the journal's
        last name before it marks it; marked here, reading the last name would compute and
        write it for the unnamed entries first, one more UPDATE of them all)."""
        self.flush_recordset()
        registry = self.env.registry
        split = {self._fields["sequence_prefix"], self._fields["sequence_number"]}
        triggers = registry._field_triggers[self._fields["name"]]
        for inverse_field, triggered_fields in triggers.items():
            for triggered_field in triggered_fields:
                if not triggered_field.store or not triggered_field.compute:
                    continue
                if triggered_field in split and not inverse_field:
                    continue
                for field in registry.field_inverses[inverse_field[0]] if inverse_field else [None]:
                    self.env.add_to_compute(triggered_field, self[field.name] if field else self)

    def _codabox_sequence_period(self, last):
        """The journal's last name ``last`` in this entry's period, parsed as
        ``_set_next_sequence`` parses it: ``(journal, first day, last day, format, values)``."""
        self.ensure_one()
        format_string, values = self._get_sequence_format_param(last)
        start, end, _year_start, _year_end = self._get_sequence_date_range(
            self._deduce_sequence_number_reset(last)
        )
        return self.journal_id, start, end, format_string, values

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


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.depends("account_id", "partner_id", "product_id")
    def _compute_analytic_distribution(self):
        """Odoo's analytic distribution models, left out of the journal items of a CODA import
        when the company has none that could apply (context key
        ``codabox_no_distribution_model``, set by
        ``account.bank.statement._coda_create_statements`` after one search): Odoo then
        searches the models twice per statement line (its entries are written one by one, so
        that Odoo's cache of the search serves one item) to find none, and keeps the item's
        distribution as it is, as this does."""
        if self.env.context.get("codabox_no_distribution_model"):
            for line in self:
                line.analytic_distribution = line.analytic_distribution
            return
        super()._compute_analytic_distribution()
