import time
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.addons.base.models.res_bank import sanitize_account_number
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..coda_parser import CodaError, bban_to_iban, parse
from ..compat import Domain
from ..exceptions import CodaImportError, CodaUnknownAccountError
from ..matching import normalise_reference
from ..matching.partners import normalise_name, search_pattern
from .account_move import PENDING_LINKS
from .job_tools import record_import_pace


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    # The chain of the account's statements (see account.journal._codabox_check_continuity).
    codabox_sequence_year = fields.Integer(
        string="CODA statement year",
        readonly=True,
        help="The year the bank numbers the statement in (of its new balance date).",
    )
    codabox_sequence = fields.Integer(
        string="CODA statement number",
        readonly=True,
        help="The bank's number of the statement within its year (the paper statement number).",
    )
    codabox_gap = fields.Text(
        string="Before this statement",
        readonly=True,
        help="The statements missing before this one, or the balance that does not follow "
        "on from the previous statement's.",
    )
    codabox_after_gap = fields.Boolean(
        string="After a gap",
        readonly=True,
        index=True,
        help="Statements are missing before this one, or its opening balance is not the "
        "previous statement's closing balance.",
    )

    codabox_import_incomplete = fields.Boolean(
        string="Import in progress",
        readonly=True,
        copy=False,
        help="The statement is too long to be imported within the server's time limits at "
        "once: its lines are being imported in parts, by the daily job, until all are in.",
    )

    def write(self, vals):
        """The chain is checked again when what it is made of changes."""
        result = super().write(vals)
        if {"balance_start", "balance_end_real", "date", "journal_id"} & vals.keys() and not (
            self.env.context.get("codabox_checking_continuity")
        ):
            self.journal_id._codabox_check_continuity()
        return result

    def unlink(self):
        """A deleted statement may open a gap in its journal's chain."""
        journals = self.journal_id
        result = super().unlink()
        journals.exists()._codabox_check_continuity()
        return result

    def action_codabox_fetch_again(self):
        """ "Fetch again from CodaBox" on a statement after a gap: the documents of the
        account CodaBox delivered earlier (its re-download service), and those of the ledger
        that failed, imported again; the notification says whether the gap is filled, or how
        to fill it (an upload)."""
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        Connection = self.env["codabox.connection"]
        gap = next(
            (g for g in self.journal_id._codabox_breaks()[1] if g.after.key == self.id), None
        )
        if not gap:
            return Connection._notification(
                self.company_id,
                _("No statement is missing before %(statement)s.", statement=self.name),
                "success",
            )
        connection = self.company_id._codabox_connection()
        if not connection:
            raise UserError(
                _(
                    "%(gap)s. %(company)s is not connected to CodaBox: import the missing "
                    "statement with Import CODA (from the bank's website or MyCodaBox).",
                    gap=self.codabox_gap,
                    company=self.company_id.name,
                )
            )
        account = self.journal_id.bank_account_id.sanitized_acc_number
        connection._fetch_again(account, gap.before.date, gap.after.date)
        self.invalidate_recordset(["codabox_gap", "codabox_after_gap"])
        if self.codabox_after_gap:
            return Connection._notification(
                self.company_id,
                _(
                    "CodaBox has no earlier delivery of what is missing: %(gap)s. Import the "
                    "missing statement with Import CODA (from the bank's website or "
                    "MyCodaBox).",
                    gap=self.codabox_gap,
                ),
                "warning",
            )
        return Connection._notification(
            self.company_id,
            _(
                "Fetched again from CodaBox: no statement is missing before %(statement)s any "
                "more.",
                statement=self.name,
            ),
            "success",
        )

    def action_codabox_delete_with_lines(self):
        """Delete the statement with its transactions (their entries), e.g. to import the
        bank's corrected statement in its place; refused while a transaction is reconciled
        (undo its reconciliation first). Odoo's own deletion keeps the transactions, whose
        import ids would keep the corrected statement apart."""
        self.env["codabox.api"]._check_rights(self.company_id)
        reconciled = self.line_ids.filtered("is_reconciled")
        if reconciled:
            raise UserError(
                _(
                    "%(count)s transaction(s) of %(statements)s are reconciled: undo their "
                    "reconciliation first.",
                    count=len(reconciled),
                    statements=", ".join(self.mapped("name")),
                )
            )
        journals, lines = self.journal_id, self.line_ids
        # The statement first: Odoo (19.0) refuses to delete a valid statement's transactions.
        self.unlink()
        lines.unlink()
        journals._codabox_check_continuity()
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _codabox_import_coda(
        self, data, *, company, filename, pdf=b"", pdf_filename=None, max_lines=None
    ):
        """Import the statements of a CODA file into the bank journals of ``company``.

        All the file's statements are imported, or none: a broken file raises
        :class:`CodaImportError`, a statement for an account without journal raises
        :class:`CodaUnknownAccountError`. Statements imported before are skipped, so a file
        can be imported again safely.

        With the company's "Reconcile CodaBox statements with invoices automatically"
        (``codabox_auto_reconcile``), the new lines are then matched with the open invoices
        by their structured communication (see :meth:`_codabox_reconcile_invoices`).

        With ``max_lines``, at most that many lines are created: a longer statement is
        imported in parts, each call going on where the previous one stopped (the statement
        "Import in progress" meanwhile, see ``codabox_import_incomplete``), so that each part
        fits in a server's time limits; ``"incomplete"`` in the result says more is to come.

        :return: ``{"statements": <created statements>, "existing": <statements of this
            file imported before>, "skipped": [message, ...], "warnings": [message, ...],
            "reconciled": <lines reconciled with invoices>, "left_open": <lines with a
            structured communication left open, each with its note>}``
        """
        started = time.monotonic()
        try:
            coda_statements = parse(data)
        except CodaError as error:
            raise CodaImportError(
                _(
                    "%(file)s is not a valid CODA file: %(error)s",
                    file=filename,
                    error=self._coda_parser_message(error),
                )
            ) from error

        Statement = self.with_company(company)
        Line = Statement.env["account.bank.statement.line"]
        journals = Statement._coda_journals(coda_statements, company, filename)
        keys = [Line._coda_statement_import_key(st) for st in coda_statements]
        ids_by_statement = [
            {Line._coda_unique_import_id(key, movement) for movement in st.movements}
            for key, st in zip(keys, coda_statements, strict=True)
        ]
        existing = Statement._coda_existing_import_ids(journals, ids_by_statement)
        imported_keys = Statement._coda_imported_keys(journals, keys)
        existing_statements = Statement.browse()

        skipped, warnings, to_import, corrections = [], [], [], []
        seen = set()
        for st, journal, key, import_ids in zip(
            coda_statements, journals, keys, ids_by_statement, strict=True
        ):
            label = Statement._coda_statement_label(st)
            if len(import_ids) < len(st.movements):
                raise CodaImportError(
                    _(
                        "%(file)s, %(statement)s: a movement is repeated with the same numbers.",
                        file=filename,
                        statement=label,
                    )
                )
            other_content = imported_keys.get(key, set()) - import_ids
            if other_content:
                # The same statement (account, date, number) imported before with other
                # movements: a correction by the bank, never dropped as a duplicate.
                corrections.append(
                    _(
                        "%(file)s: %(statement)s was imported before with other movements (a "
                        "correction by the bank?): this one is not imported. Compare the two; if "
                        "this one replaces it, open the statement imported before, use Delete "
                        "with its transactions, and import this file again.",
                        file=filename,
                        statement=label,
                    )
                )
            elif import_ids & existing.keys() and Statement.browse(
                {existing[import_id] for import_id in import_ids & existing.keys()}
            ).filtered("codabox_import_incomplete"):
                # A long statement imported in parts: on from where the last part stopped.
                statement = Statement.browse(
                    {existing[import_id] for import_id in import_ids & existing.keys()}
                )
                movements = Statement._coda_select_movements(st, journal.coda_globalisation, [])
                done = {
                    position
                    for position, movement in enumerate(movements)
                    if Line._coda_unique_import_id(key, movement) in existing
                }
                to_import.append((st, journal, key, movements, len(done), statement))
            elif import_ids & existing.keys():
                existing_statements |= Statement.browse(
                    existing[import_id] for import_id in import_ids & existing.keys()
                )
                skipped.append(
                    _(
                        "%(file)s: %(statement)s is already imported in %(journal)s.",
                        file=filename,
                        statement=label,
                        journal=journal.display_name,
                    )
                )
            elif key in seen:
                skipped.append(
                    _(
                        "%(file)s: %(statement)s appears twice in the file; imported once.",
                        file=filename,
                        statement=label,
                    )
                )
            elif not st.movements:
                warnings.append(
                    _(
                        "%(file)s: %(statement)s has no movement; there is nothing to import.",
                        file=filename,
                        statement=label,
                    )
                )
            else:
                notes = [Statement._coda_parser_message(warning) for warning in st.warnings]
                movements = Statement._coda_select_movements(st, journal.coda_globalisation, notes)
                warnings += [f"{filename}, {label}: {note}" for note in notes]
                to_import.append((st, journal, key, movements, 0, Statement.browse()))
            seen.add(key)

        to_import, incomplete = Statement._coda_parts(to_import, max_lines)
        statements = Statement.browse()
        reconciliation = {"reconciled": Line, "open": Line}
        files = (data, filename, pdf, pdf_filename)
        if to_import and company.codabox_auto_reconcile:
            try:
                statements, reconciliation = Statement._coda_create_reconciled(
                    to_import, files, company
                )
            except (UserError, ValidationError):
                # Odoo refused a line booked on an invoice's account or its reconciliation
                # (e.g. an account deprecated since): the lines as they come, then each
                # reconciliation on its own, a refused one left open with Odoo's reason.
                statements = Statement._coda_create(to_import, files)
                reconciliation = statements._codabox_reconcile_invoices()
        elif to_import:
            statements = Statement._coda_create(to_import, files)
        if statements:
            lines = sum(len(part[3]) for part in to_import)
            record_import_pace(self.env.cr.dbname, time.monotonic() - started, lines)
        return {
            "statements": statements,
            "existing": existing_statements,
            "skipped": skipped,
            "warnings": warnings,
            "corrections": corrections,
            "incomplete": incomplete,
            "reconciled": reconciliation["reconciled"],
            "left_open": reconciliation["open"],
        }

    @api.model
    def _coda_create(self, to_import, files, line_vals_hook=None):
        """Create the statements (or parts) of ``to_import`` (see :meth:`_coda_parts`) with
        the file and its PDF attached, all or none (a savepoint), and check the continuity
        of their journals. ``line_vals_hook(vals_list)`` may change the values first.

        :param files: ``(data, filename, pdf, pdf_filename)``
        :return: the statements"""
        data, filename, pdf, pdf_filename = files
        with self.env.cr.savepoint():
            attachments = self._coda_attachments(data, filename, pdf, pdf_filename)
            vals_list = self._coda_statement_vals_list(to_import, filename, attachments)
            if line_vals_hook:
                line_vals_hook(vals_list)
            statements = self._coda_create_statements(vals_list)
            statements.journal_id._codabox_check_continuity()
        return statements

    @api.model
    def _coda_create_reconciled(self, to_import, files, company):
        """:meth:`_coda_create` with the reconciliation with invoices: the lines decided
        before they are created, those paying an invoice booked on its account and
        reconciled with it (``account.bank.statement.line._codabox_match_line_vals``). The
        earlier lines of statements imported in parts are matched first, as "Reconcile with
        invoices" does. All or nothing: Odoo's refusal is raised.

        :return: ``(statements, {"reconciled": lines, "open": lines left open with a note})``
        """
        Line = self.env["account.bank.statement.line"]
        to_reconcile = {}
        with self.env.cr.savepoint():
            earlier = self.browse().union(*(part[-1] for part in to_import)).line_ids
            result = earlier._codabox_reconcile_invoices()

            def match(vals_list):
                to_reconcile.update(Line._codabox_match_line_vals(company, vals_list))

            statements = self._coda_create(to_import, files, match)
            lines = statements.line_ids - earlier
            reconciled = lines._codabox_reconcile_new_lines(to_reconcile)
        left_open = lines.filtered(lambda line: line.codabox_reconcile_note) - reconciled
        return statements, {
            "reconciled": result["reconciled"] | reconciled,
            "open": result["open"] | left_open,
        }

    def _codabox_reconcile_invoices(self):
        """Match the statements' lines with the open invoices by structured communication
        (see ``account.bank.statement.line._codabox_reconcile_invoices``).

        Called by "Reconcile with invoices" (the import decides before it creates the lines:
        ``account.bank.statement.line._codabox_match_line_vals``); override to choose which
        statements are matched (e.g. none for a journal of a payment provider)."""
        return self.line_ids._codabox_reconcile_invoices()

    def action_codabox_reconcile_invoices(self):
        """ "Reconcile with invoices" on statements: match their open lines again, e.g. after
        new invoices were posted; a notification says what was reconciled."""
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_user")
        result = self._codabox_reconcile_invoices()
        return self.env["account.bank.statement.line"]._codabox_reconcile_notification(result)

    @api.model
    def _coda_statement_label(self, coda_statement):
        """How a CODA statement is named to the user: its number, account and date."""
        return _(
            "statement %(number)s of %(account)s %(currency)s (%(date)s)",
            number=coda_statement.paper_sequence,
            account=coda_statement.iban or coda_statement.account_number,
            currency=coda_statement.currency,
            date=format_date(
                self.env, coda_statement.new_balance_date or coda_statement.creation_date
            ),
        )

    @api.model
    def _coda_parser_message(self, problem):
        """A problem the parser found, worded in the user's language: a ``CodaError`` (the
        file cannot be read) or a warning of a statement (``CodaWarning``), from its code and
        its values (``coda_parser.messages``), with the line (and the record) it is on.

        Used for every message the import, the upload and the CodaBox documents show about
        a CODA file. A code this table does not know (a newer parser) keeps the parser's
        English text. Override to word a code otherwise, e.g. with a bank's own advice.
        """
        params = dict(problem.params)
        wording = self._coda_parser_wordings().get(problem.code)
        if wording is None:
            return str(problem)
        if isinstance(problem, CodaError):
            message = wording(params)
            if problem.line_number is not None and problem.record:
                return _(
                    "line %(line)s, record %(record)s: %(message)s",
                    line=problem.line_number,
                    record=problem.record,
                    message=message,
                )
            if problem.line_number is not None:
                return _("line %(line)s: %(message)s", line=problem.line_number, message=message)
            return message
        line = params.pop("line")
        return _("line %(line)s: %(message)s", line=line, message=wording(params))

    @api.model
    def _coda_parser_wordings(self):
        """``{code: function of the params giving the message}`` for
        :meth:`_coda_parser_message`, one per code of ``coda_parser.messages``."""

        def field(params):
            return self._coda_field_label(params["field"])

        def either(records):
            if len(records) == 1:
                return records[0]
            return self.env._("%(first)s or %(second)s", first=records[0], second=records[1])

        return {
            # errors: the file cannot be read
            "not_coda": lambda p: self.env._(
                "not a CODA file: the first record must be a header ('0000' + date + bank "
                "code + '05')"
            ),
            "line_length": lambda p: self.env._(
                "the line is %(length)s characters long, a record has 128", length=p["length"]
            ),
            "not_numeric": lambda p: self.env._(
                "the %(field)s ('%(value)s') is not a number", field=field(p), value=p["value"]
            ),
            "invalid_date": lambda p: self.env._(
                "the %(field)s ('%(value)s') is not a valid date (DDMMYY)",
                field=field(p),
                value=p["value"],
            ),
            "invalid_sign": lambda p: self.env._(
                "the %(field)s ('%(value)s') must be 0 or 1", field=field(p), value=p["value"]
            ),
            "unknown_record": lambda p: self.env._(
                "unknown record type '%(type)s'", type=p["type"]
            ),
            "no_trailer": lambda p: self.env._(
                "record 0 starts a new statement, but the statement started on line "
                "%(first_line)s has no record 9",
                first_line=p["first_line"],
            ),
            "truncated": lambda p: self.env._(
                "the file ends without record 9 (the statement started on line "
                "%(first_line)s): is the file truncated?",
                first_line=p["first_line"],
            ),
            "expected_header": lambda p: self.env._(
                "record %(type)s is out of order: a record 0 (header) was expected",
                type=p["type"],
            ),
            "expected_old_balance": lambda p: self.env._(
                "record %(type)s is out of order: a record 1 (old balance) was expected",
                type=p["type"],
            ),
            "expected_movement": lambda p: self.env._(
                "record %(type)s is out of order: a movement (2x, 3x), a record 8 (new "
                "balance), or a record 9 when there is no movement, was expected",
                type=p["type"],
            ),
            "expected_trailer": lambda p: self.env._(
                "record %(type)s is out of order: a record 4 (free communication) or a record "
                "9 (trailer) was expected",
                type=p["type"],
            ),
            "continuation_first": lambda p: self.env._(
                "record %(type)s must follow a record %(expected)s",
                type=p["type"],
                expected=either(p["expected"]),
            ),
            "continuation_after": lambda p: self.env._(
                "record %(type)s must follow a record %(expected)s, not a record %(previous)s",
                type=p["type"],
                expected=either(p["expected"]),
                previous=p["previous"],
            ),
            "continuation_number": lambda p: self.env._(
                "the sequence and detail numbers %(sequence)s/%(detail)s differ from those of "
                "the record %(previous_type)s before it (%(expected_sequence)s/"
                "%(expected_detail)s)",
                **p,
            ),
            "information_first": lambda p: self.env._(
                "record 31 must follow a movement (record 21)"
            ),
            "information_number": lambda p: self.env._(
                "the sequence number %(sequence)s differs from that of the movement before it "
                "(%(expected)s)",
                sequence=p["sequence"],
                expected=p["expected"],
            ),
            "application_code": lambda p: self.env._(
                "the application code '%(value)s' is not '05'", value=p["value"]
            ),
            "version": lambda p: self.env._(
                "the version code '%(value)s' is not supported (2 is, and 1 for old files)",
                value=p["value"],
            ),
            "no_creation_date": lambda p: self.env._("the creation date is missing ('000000')"),
            "account_structure": lambda p: self.env._(
                "the account structure '%(value)s' is not 0, 1, 2 or 3", value=p["value"]
            ),
            # warnings: the file is read, something in it does not add up
            "account_not_belgian": lambda p: self.env._(
                "the account '%(account)s' is not a Belgian account number (12 digits), so it "
                "has no IBAN",
                account=p["account"],
            ),
            "account_check_digits": lambda p: self.env._(
                "the account %(account)s has wrong check digits", account=p["account"]
            ),
            "iban_check_digits": lambda p: self.env._(
                "the IBAN %(iban)s has wrong check digits", iban=p["iban"]
            ),
            "balance_account": lambda p: self.env._(
                "record 8 is for the account %(account)s %(currency)s, record 1 for "
                "%(old_account)s %(old_currency)s",
                **p,
            ),
            "free_communication_early": lambda p: self.env._(
                "a free communication (record 4) comes before the new balance (record 8)"
            ),
            "balance": lambda p: self.env._(
                "old balance %(old_balance)s + movements %(movements)s = %(balance)s, but the "
                "new balance is %(new_balance)s",
                **p,
            ),
            "record_count": lambda p: self.env._(
                "record 9 counts %(stated)s records, the statement has %(counted)s", **p
            ),
            "total_debit": lambda p: self.env._(
                "the total debit of record 9 is %(stated)s, the movements add up to %(total)s",
                **p,
            ),
            "total_credit": lambda p: self.env._(
                "the total credit of record 9 is %(stated)s, the movements add up to %(total)s",
                **p,
            ),
            "orphan_detail": lambda p: self.env._(
                "movement %(sequence)s/%(detail)s is a detail, but its total "
                "(%(sequence)s/0000) is not before it",
                **p,
            ),
            "details_total": lambda p: self.env._(
                "the details of movement %(sequence)s/%(detail)s add up to %(total)s, its "
                "amount is %(amount)s",
                **p,
            ),
            "globalisation_open": lambda p: self.env._(
                "the globalisation %(sequence)s/%(detail)s (code %(globalisation_code)s) is "
                "never closed by a detail repeating its code",
                **p,
            ),
            "counterparty_check_digits": lambda p: self.env._(
                "the counterparty's IBAN %(account)s has wrong check digits", account=p["account"]
            ),
            "communication_check_digits": lambda p: self.env._(
                "the structured communication %(communication)s has wrong check digits",
                communication=p["communication"],
            ),
        }

    @api.model
    def _coda_field_label(self, name):
        """A field of a CODA record, as the parser names it in its errors (``field``)."""
        labels = {
            "creation date": _("creation date"),
            "paper statement number": _("paper statement number"),
            "old balance sign": _("sign of the old balance"),
            "old balance": _("old balance"),
            "old balance date": _("date of the old balance"),
            "CODA sequence number": _("CODA sequence number"),
            "sequence number": _("sequence number"),
            "detail number": _("detail number"),
            "sign": _("sign of the amount"),
            "amount": _("amount"),
            "value date": _("value date"),
            "transaction code": _("transaction code"),
            "communication type": _("communication type"),
            "entry date": _("entry date"),
            "globalisation code": _("globalisation code"),
            "new balance sign": _("sign of the new balance"),
            "new balance": _("new balance"),
            "new balance date": _("date of the new balance"),
            "record count": _("record count"),
            "total debit": _("total debit"),
            "total credit": _("total credit"),
        }
        return labels.get(name, name)

    @api.model
    def _coda_journals(self, coda_statements, company, filename):
        """The bank journal of each statement, in one search over the company's journals.

        A journal matches on its currency and its account number, sanitized: the IBAN (the
        parser converts the Belgian account number of older files to it), or for Belgian
        accounts the 12-digit number that older journals hold. Only ``company``'s own
        journals count: the file was sent for that company, and another company holding the
        same account (a branch, a copy for tests) must never receive its statements.
        """
        journals_by_key = defaultdict(lambda: self.env["account.journal"])
        for journal in self.env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", company.id),
                ("bank_account_id", "!=", False),
            ]
        ):
            currency = journal.currency_id or company.currency_id
            key = (journal.bank_account_id.sanitized_acc_number, currency.name)
            journals_by_key[key] |= journal

        result = []
        for st in coda_statements:
            numbers = {
                sanitize_account_number(number) for number in (st.iban, st.account_number)
            } - {False}
            if st.iban and st.iban.startswith("BE"):
                numbers.add(st.iban[4:])
            journals = self.env["account.journal"].union(
                *(journals_by_key[number, st.currency] for number in numbers)
            )
            account = st.iban or st.account_number
            if not journals:
                raise CodaUnknownAccountError(
                    _(
                        "%(file)s: no bank journal of %(company)s has the account %(account)s "
                        "in %(currency)s. Create it, then import the file again.",
                        file=filename,
                        company=company.display_name,
                        account=account,
                        currency=st.currency,
                    ),
                    account_number=account,
                    currency=st.currency,
                )
            if len(journals) > 1:
                raise CodaImportError(
                    _(
                        "%(file)s: several bank journals of %(company)s have the account "
                        "%(account)s in %(currency)s (%(journals)s). Keep one, then import "
                        "the file again.",
                        file=filename,
                        company=company.display_name,
                        account=account,
                        currency=st.currency,
                        journals=", ".join(journals.mapped("display_name")),
                    )
                )
            result.append(journals)
        return result

    @api.model
    def _coda_imported_keys(self, journals, keys):
        """The import ids the journals hold for each of these statement keys (whatever the
        movements): ``{key: {unique import id, ...}}``, in one search."""
        if not keys:
            return {}
        domain = Domain.OR([[("unique_import_id", "=like", f"{key}-%")] for key in set(keys)])
        lines = self.env["account.bank.statement.line"].search_fetch(
            Domain.AND(
                [[("journal_id", "in", self.env["account.journal"].union(*journals).ids)], domain]
            ),
            ["unique_import_id"],
        )
        found = {}
        for line in lines:
            key = line.unique_import_id.rsplit("-", 2)[0]
            found.setdefault(key, set()).add(line.unique_import_id)
        return found

    @api.model
    def _coda_existing_import_ids(self, journals, ids_by_statement):
        """Which of these import ids the journals already hold, in one search.

        :return: ``{unique import id: id of the statement holding it}``
        """
        all_ids = set().union(*ids_by_statement)
        if not all_ids:
            return {}
        lines = self.env["account.bank.statement.line"].search_fetch(
            [
                ("journal_id", "in", self.env["account.journal"].union(*journals).ids),
                ("unique_import_id", "in", list(all_ids)),
            ],
            ["unique_import_id", "statement_id"],
        )
        return {line.unique_import_id: line.statement_id.id for line in lines}

    def _codabox_attach_pdf(self, pdf_attachment):
        """Give CodaBox's PDF to statements that have none (imported by hand before CodaBox
        delivered them)."""
        for statement in self:
            if not any(a.mimetype == "application/pdf" for a in statement.attachment_ids):
                pdf = pdf_attachment.copy({"res_model": False, "res_id": False})
                statement.attachment_ids = [Command.link(pdf.id)]

    @api.model
    def _coda_attachments(self, data, filename, pdf, pdf_filename):
        """The CODA file, and its PDF when there is one, for the statements to show."""
        vals_list = [{"name": filename, "raw": data, "mimetype": "text/plain"}]
        if pdf:
            name = pdf_filename or f"{filename.rsplit('.', 1)[0]}.pdf"
            vals_list.append({"name": name, "raw": pdf, "mimetype": "application/pdf"})
        return self.env["ir.attachment"].create(vals_list)

    @api.model
    def _coda_create_statements(self, vals_list):
        """Create the statements with their lines and posted entries, Odoo's per-entry work
        done once for the whole batch through Odoo's own APIs: the entries named together
        (``account.move._codabox_batch_to_name``), checked balanced together
        (``account.move._check_balanced``, one query for all instead of two per entry; the
        check is Odoo's, only its timing changes), and Odoo's analytic distribution models
        searched for once (:meth:`_coda_distribution_models_apply`) instead of twice per
        line, and posted with their "checked" mark given at creation and their partners made
        followers together (``account.move._codabox_subscribe_partners``).

        Override to create them otherwise, e.g. entry by entry in a module that needs
        each one's own events."""
        journal_ids = {
            command[2]["journal_id"] for vals in vals_list for command in vals["line_ids"]
        }
        companies = self.env["account.journal"].browse(journal_ids).company_id
        batch = self.with_context(
            codabox_batch_balance=True,
            # False keeps Odoo's write per entry (a module that needs each one's own write)
            codabox_batch_link=self.env.context.get("codabox_batch_link", True),
            codabox_batch_sequence=True,
            # False keeps Odoo's work per entry at posting (account.move._post)
            codabox_batch_post=self.env.context.get("codabox_batch_post", True),
            codabox_no_distribution_model=not self._coda_distribution_models_apply(companies),
        )
        new_vals = [vals for vals in vals_list if not vals.get("codabox_resume_id")]
        try:
            statements, lines = batch._coda_create_lines(vals_list, new_vals)
        finally:
            # Links kept for a batch that failed must not reach a later one.
            self.env.cr.cache.pop(PENDING_LINKS, None)
        statements, moves = statements.with_env(self.env), lines.move_id.with_env(self.env)
        with moves._check_balanced({"records": moves}):
            pass
        return statements

    @api.model
    def _coda_create_lines(self, vals_list, new_vals):
        """The new statements (``new_vals``) and the new parts of statements imported in
        parts (``vals_list``'s with ``codabox_resume_id``): the statements and their new
        lines."""
        statements = self.create(new_vals) if new_vals else self.browse()
        lines = statements.line_ids
        # The parts of long statements imported in parts: their new lines, then the
        # statement marked complete when its last part is in.
        for vals in vals_list:
            if not vals.get("codabox_resume_id"):
                continue
            statement = self.browse(vals["codabox_resume_id"])
            lines |= self.env["account.bank.statement.line"].create(
                [{**command[2], "statement_id": statement.id} for command in vals["line_ids"]]
            )
            statement.codabox_import_incomplete = vals["codabox_import_incomplete"]
            statements |= statement
        self.env["account.move"]._codabox_write_statement_links()
        return statements, lines

    @api.model
    def _coda_distribution_models_apply(self, companies):
        """Whether an analytic distribution model could give the journal items of these
        companies a distribution (one of theirs or one of no company, whatever the user may
        read): when none can, the import leaves Odoo's search for them out
        (``account.move.line._compute_analytic_distribution``).

        Override to return True to keep Odoo's search per journal item in any case, e.g. for
        a module that gives distributions otherwise than by these models."""
        Model = self.env["account.analytic.distribution.model"].sudo()
        return bool(Model.search_count([("company_id", "in", [*companies.ids, False])], limit=1))

    @api.model
    def _coda_parts(self, to_import, max_lines):
        """The part of each statement this import creates, at most ``max_lines`` lines in
        all (None: everything): ``(CODA statement, journal, import key, the movements of the
        part, their position in the statement's, the statement's number of movements, the
        statement being completed or an empty recordset)`` tuples, and whether some are left
        for a next import."""
        parts, budget, incomplete = [], max_lines, False
        for st, journal, key, movements, done, statement in to_import:
            left = movements[done:]
            if budget is not None:
                if budget <= 0:
                    incomplete = True
                    break
                incomplete = incomplete or len(left) > budget
                left = left[:budget]
                budget -= len(left)
            parts.append((st, journal, key, left, done, len(movements), statement))
        return parts, incomplete

    def _coda_statement_vals_list(self, to_import, filename, attachments):
        """Values to create the statements with their lines, partners found in one search.

        :param to_import: ``(CODA statement, journal, import key, movements)`` tuples, or
            the parts ``_coda_parts`` gives (the values of a statement being completed hold
            its ``codabox_resume_id`` and its new lines only)
        """
        partners = self._coda_partners(
            [
                movement
                for _st, _journal, _key, movements, *_part in to_import
                for movement in movements
            ]
        )
        Line = self.env["account.bank.statement.line"]
        vals_list = []
        for st, journal, key, movements, *part in to_import:
            first, total, statement = part or (0, len(movements), self.browse())
            line_vals = [
                self._coda_prepare_line_vals(st, journal, key, movement, first + index, partners)
                for index, movement in enumerate(movements)
            ]
            for position, vals in enumerate(line_vals, first):
                # The bank's order. Odoo's sequence counts backwards within a day (the
                # lowest comes last: account.bank.statement.line._compute_internal_index),
                # so the file's first movement gets the highest: internal_index then runs
                # in the file's order, running balances included.
                vals["sequence"] = total - position
                vals["line_ids"] = Line._coda_journal_items(vals)
            complete = first + len(movements) >= total
            if statement:
                statement_vals = {"codabox_resume_id": statement.id}
            else:
                statement_vals = self._coda_prepare_statement_vals(
                    st, journal, filename, attachments
                )
            statement_vals["codabox_import_incomplete"] = not complete
            statement_vals["line_ids"] = [Command.create(vals) for vals in line_vals]
            vals_list.append(statement_vals)
        return vals_list

    @api.model
    def _coda_prepare_statement_vals(self, coda_statement, journal, filename, attachments):
        """Values of one statement, without its lines.

        Override to add fields of your own (e.g. a reference your bank prints, an analytic
        tag per journal) or to name statements otherwise; the lines come from
        :meth:`_coda_prepare_line_vals`.
        """
        statement_date = coda_statement.new_balance_date or coda_statement.creation_date
        number = coda_statement.paper_sequence or coda_statement.coda_sequence
        return {
            "name": _(
                "%(journal_code)s Statement %(year)s/%(number)s",
                journal_code=journal.code,
                year=statement_date.year,
                number=str(number).zfill(3),
            ),
            "codabox_sequence_year": statement_date.year,
            "codabox_sequence": number,
            "reference": filename,
            "balance_start": float(coda_statement.old_balance),
            "balance_end_real": float(coda_statement.new_balance),
            "attachment_ids": [Command.set(attachments.ids)],
        }

    @api.model
    def _coda_prepare_line_vals(self, coda_statement, journal, key, movement, index, partners):
        """Values of one statement line for a CODA movement (its journal items are added
        after, from these values).

        Override to fill fields of your own from the movement (e.g. the bank's reference,
        the counterparty's BIC or address); the label and the partner have hooks of their
        own (:meth:`_coda_line_label`, :meth:`_coda_line_partner`). Keep
        ``unique_import_id``, which makes a second import of the same file a no-op.

        :param index: the movement's position in the statement (the first carries the
            statement's free communications in its narration)
        :param partners: the partners found for the whole file (:meth:`_coda_partners`)
        """
        statement_date = coda_statement.new_balance_date or coda_statement.creation_date
        return {
            "journal_id": journal.id,
            "date": movement.entry_date or movement.value_date or statement_date,
            "amount": float(movement.amount),
            "payment_ref": self._coda_line_label(movement),
            "partner_id": self._coda_line_partner(movement, partners).id,
            "partner_name": movement.counterparty_name or False,
            "account_number": movement.counterparty_account or False,
            "transaction_type": movement.transaction_code.label,
            "narration": self._coda_narration(coda_statement, movement, index == 0),
            "unique_import_id": self.env["account.bank.statement.line"]._coda_unique_import_id(
                key, movement
            ),
        }

    @api.model
    def _coda_line_label(self, movement):
        """The label of a statement line (``payment_ref``), as the bank's statement reads:
        the counterparty's name and the movement's communication ("Proximus SA -
        +++557/1076/64582+++"), or the one of them there is, else the kind of transaction.

        The reconciliation finds a structured communication in the label, alone or after the
        counterparty's name (``account.bank.statement.line._codabox_structured_reference``):
        an override that words it otherwise overrides that too. Override for a bank-specific
        label, e.g. a bank that puts its own reference in the communication of card payments.
        """
        name, communication = movement.counterparty_name, movement.communication
        if name and communication:
            return f"{name} - {communication}"
        return communication or name or movement.transaction_code.label

    @api.model
    def _coda_line_partner(self, movement, partners):
        """The partner of a statement line, from what :meth:`_coda_partners` found for the
        file, or an empty recordset: the one partner holding the movement's counterparty
        account, else the one partner of the open invoices its structured communication
        pays, else the one partner with the counterparty's name (normalised, see
        ``matching.partners``). Never a guess: where several partners fit, none.

        Called for every movement from values found for the whole file: an override must
        not search per line. Override to find partners otherwise, e.g. a payment provider's
        settlements booked on the provider, whatever account they come from."""
        keys = (
            ("account", self._coda_sanitized_counterparty(movement.counterparty_account)),
            ("reference", normalise_reference(movement.communication)),
            ("name", normalise_name(movement.counterparty_name)),
        )
        return next((partners[key] for key in keys if key in partners), self.env["res.partner"])

    @api.model
    def _coda_select_movements(self, coda_statement, globalisation, notes):
        """The movements to import as lines, so that they always add up to the balance.

        The balance is made of the movements of depth 0. With ``globalisation ==
        "details"``, a total is replaced by its details, level after level, when they add up
        to it; a total whose details do not add up is kept, with a note added to ``notes``.
        Details whose total is not in this statement (a separate application) are not part of
        its balance.
        """
        children = defaultdict(list)
        roots, open_totals = [], []
        for movement in coda_statement.movements:
            while open_totals and open_totals[-1].depth >= movement.depth:
                open_totals.pop()
            if movement.depth == 0:
                roots.append(movement)
            elif open_totals and open_totals[-1].depth == movement.depth - 1:
                children[id(open_totals[-1])].append(movement)
            else:
                notes.append(
                    _(
                        "movement %(sequence)s/%(detail)s is a detail whose total is not in "
                        "the statement; it is not imported.",
                        sequence=str(movement.sequence).zfill(4),
                        detail=str(movement.detail).zfill(4),
                    )
                )
            if movement.has_details:
                open_totals.append(movement)
        if globalisation != "details":
            return roots
        return [line for root in roots for line in self._coda_expand(root, children, notes)]

    @api.model
    def _coda_expand(self, total, children, notes):
        """``total`` replaced by its details (``children`` by ``id``) when they add up to it."""
        details = children[id(total)]
        if not details:
            return [total]
        if sum(detail.amount for detail in details) != total.amount:
            notes.append(
                _(
                    "the details of movement %(sequence)s/%(detail)s do not add up to its "
                    "amount; its total is imported instead.",
                    sequence=str(total.sequence).zfill(4),
                    detail=str(total.detail).zfill(4),
                )
            )
            return [total]
        lines = []
        for detail in details:
            lines += self._coda_expand(detail, children, notes)
        return lines

    @api.model
    def _coda_sanitized_counterparty(self, account_number):
        """A counterparty account as ``res.partner.bank`` stores it sanitized.

        Old files give Belgian accounts as 12 digits where partners have their IBAN.
        """
        number = sanitize_account_number(account_number)
        if number and len(number) == 12 and number.isdecimal():
            return bban_to_iban(number)
        return number

    @api.model
    def _coda_partners(self, movements):
        """The partners the lines of ``movements`` (a whole file) may get, in three searches
        whatever the number of lines: by counterparty account, by the structured
        communication of an open invoice, by counterparty name; each only where exactly one
        partner fits. Override to add a way of your own, keeping it one search per file.

        :return: ``{("account", sanitized account number): partner, ("reference",
            normalised structured reference): partner, ("name", normalised name): partner}``
        """
        found = {
            "account": self._coda_partners_by_account(movements),
            "reference": self._coda_partners_by_reference(movements),
            "name": self._coda_partners_by_name(movements),
        }
        return {(kind, key): partner for kind, by in found.items() for key, partner in by.items()}

    @api.model
    def _coda_partners_by_reference(self, movements):
        """The partner of each structured communication that open invoices, bills or credit
        notes of the company have, when they are all of one partner: the documents the
        reconciliation looks for (``account.move._codabox_reconcile_candidates``), in one
        query for the whole file.

        :return: ``{normalised reference: commercial partner}``
        """
        references = {normalise_reference(movement.communication) for movement in movements}
        references.discard(None)
        candidates = self.env["account.move"]._codabox_reconcile_candidates(
            self.env.company, references
        )
        partners = {}
        for reference, documents in candidates.items():
            partner = self.env["res.partner"].union(
                *(candidate.key[0].commercial_partner_id for candidate in documents)
            )
            if len(partner) == 1:
                partners[reference] = partner
        return partners

    @api.model
    def _coda_partners_by_name(self, movements):
        """The partner of each counterparty name, when exactly one partner of the company
        (or shared) that is its own commercial partner has it, both names normalised
        (``matching.partners.normalise_name``: case, accents, punctuation, legal forms).
        One search for the whole file, preselecting on each name's longest word.

        :return: ``{normalised name: partner}``
        """
        names = {normalise_name(movement.counterparty_name) for movement in movements}
        names.discard("")
        if not names:
            return {}
        patterns = sorted({search_pattern(name) for name in names})
        found = self.env["res.partner"].search_fetch(
            Domain.AND(
                [
                    [("company_id", "in", [False, self.env.company.id])],
                    Domain.OR([[("name", "=ilike", f"%{p}%")] for p in patterns]),
                ]
            ),
            ["name", "commercial_partner_id"],
        )
        partners = defaultdict(lambda: self.env["res.partner"])
        for partner in found:
            name = normalise_name(partner.name)
            if name in names and partner == partner.commercial_partner_id:
                partners[name] |= partner
        return {name: partner for name, partner in partners.items() if len(partner) == 1}

    @api.model
    def _coda_partners_by_account(self, movements):
        """The partner of each counterparty account, when exactly one partner has it.

        Bank accounts of the company and shared ones count; an account several partners
        share names no one, since guessing would post a payment to the wrong partner.
        One search for the whole file; override to look further in it (e.g. the accounts a
        module keeps elsewhere), keeping it one search.

        :return: ``{sanitized account number: partner}``
        """
        numbers = {self._coda_sanitized_counterparty(m.counterparty_account) for m in movements}
        numbers.discard(False)
        if not numbers:
            return {}
        banks = self.env["res.partner.bank"].search(
            [
                ("sanitized_acc_number", "in", list(numbers)),
                ("company_id", "in", [False, self.env.company.id]),
            ]
        )
        partners = defaultdict(lambda: self.env["res.partner"])
        for bank in banks:
            partners[bank.sanitized_acc_number] |= bank.partner_id.commercial_partner_id
        return {number: partner for number, partner in partners.items() if len(partner) == 1}

    @api.model
    def _coda_narration(self, coda_statement, movement, free_communications):
        """A few readable lines on what the bank says of the movement, for the accountant.

        The statement's free communications (record 4) are not tied to a movement: they go
        on the statement's first line only, when ``free_communications`` is set.
        """
        parts = [
            _(
                "Transaction: %(label)s (%(code)s)",
                label=movement.transaction_code.label,
                code=movement.transaction_code.code,
            )
        ]
        counterparty = ", ".join(
            filter(
                None,
                (
                    movement.counterparty_name,
                    movement.counterparty_account,
                    movement.counterparty_bic,
                ),
            )
        )
        if counterparty:
            parts.append(_("Counterparty: %(counterparty)s", counterparty=counterparty))
        if movement.counterparty_address:
            parts.append(_("Address: %(address)s", address=movement.counterparty_address))
        if movement.bank_reference:
            parts.append(_("Bank reference: %(reference)s", reference=movement.bank_reference))
        if movement.customer_reference:
            parts.append(
                _("Customer reference: %(reference)s", reference=movement.customer_reference)
            )
        if movement.category_purpose:
            parts.append(_("Category purpose: %(purpose)s", purpose=movement.category_purpose))
        if movement.purpose:
            parts.append(_("Purpose: %(purpose)s", purpose=movement.purpose))
        if movement.r_transaction_type or movement.reason_code:
            parts.append(
                _(
                    "Returned payment: %(type)s, reason %(reason)s",
                    type=self._coda_r_transaction_label(movement.r_transaction_type),
                    reason=movement.reason_code or "-",
                )
            )
        if (
            movement.entry_date
            and movement.value_date
            and movement.value_date != movement.entry_date
        ):
            parts.append(_("Value date: %(date)s", date=format_date(self.env, movement.value_date)))
        if movement.has_details:
            parts.append(_("Total of several movements, detailed on the bank statement."))
        elif movement.depth:
            parts.append(_("Detail of a grouped movement on the bank statement."))
        for info in movement.information:
            if info.communication:
                parts.append(_("Information: %(text)s", text=info.communication))
        if free_communications:
            for free in coda_statement.free_communications:
                if free.text.strip():
                    parts.append(_("Bank message: %(text)s", text=" ".join(free.text.split())))
        return Markup("<p>%s</p>") % Markup("<br/>").join(parts)

    @api.model
    def _coda_r_transaction_label(self, code):
        """The kind of a returned SEPA payment (R-transaction), as code 1 to 5 gives it."""
        labels = {
            "1": _("reject"),
            "2": _("return"),
            "3": _("refund"),
            "4": _("reversal"),
            "5": _("cancellation"),
        }
        return labels.get(code, code or "-")
