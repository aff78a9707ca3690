import logging
import time
import uuid

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..codabox_client import CodaboxError, DuplicateInvoice, IdempotencyKeyReused
from ..compat import notify_cron_progress, sql_constraints
from .job_tools import advisory_lock

_logger = logging.getLogger(__name__)
SENT_TYPES = ("out_invoice", "out_refund")
# Refusals that the same files would meet again: tried again once the invoice is posted anew.
LASTING_FAILURES = frozenset({"invalidDocument"})
SEND_LOCK_NAMESPACE = 0x636F6473  # first key of the advisory locks: one sender per entry


@sql_constraints(
    ("move_unique", "unique(move_id)", "An invoice is sent to CodaBox once."),
)
class CodaboxSentInvoice(models.Model):
    """The ledger of the sales invoices and credit notes an SME sends to CodaBox (for its
    accounting office) through its invoicing-software connection.

    At least once, never twice. An invoice gets its entry, with its idempotency key, in the
    transaction that posts it. The files (UBL, PDF) are made and kept at the first attempt,
    committed with it before anything is sent, and every attempt sends those same bytes with
    that same key (``Idempotency-Key``): an attempt whose answer was lost (a killed process,
    a timeout) is answered again by CodaBox when it is repeated, not received twice. An
    invoice reset and posted again before CodaBox had it gets its files made anew; if an
    earlier version did reach CodaBox, CodaBox refuses the key for other files
    (``idempotencyKeyReused``) or the invoice number it has (``duplicateInvoice``, a ledger
    lost with a database restored from an older backup): both count as sent.

    Read-only to every group (ir.model.access.csv): this code writes it, as superuser, for
    callers whose rights were checked.
    """

    _name = "codabox.sent.invoice"
    _description = "Sales invoice sent to CodaBox"
    _order = "id desc"
    _rec_name = "move_id"
    _check_company_auto = True

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="move_id.partner_id", string="Customer")
    amount_total = fields.Monetary(related="move_id.amount_total")
    currency_id = fields.Many2one(related="move_id.currency_id")
    state = fields.Selection(
        [("to_send", "To send"), ("sent", "Sent"), ("failed", "Failed")],
        default="to_send",
        required=True,
        readonly=True,
        index=True,
    )
    idempotency_key = fields.Char(readonly=True, copy=False, default=lambda self: str(uuid.uuid4()))
    xml_attachment_id = fields.Many2one(
        "ir.attachment", string="UBL sent", readonly=True, copy=False, ondelete="set null"
    )
    pdf_attachment_id = fields.Many2one(
        "ir.attachment", string="PDF sent", readonly=True, copy=False, ondelete="set null"
    )
    attempt_count = fields.Integer(string="Attempts", readonly=True)
    last_attempt_at = fields.Datetime(readonly=True)
    sent_at = fields.Datetime(readonly=True)
    codabox_id = fields.Char(string="CodaBox identifier", readonly=True, copy=False)
    failure_code = fields.Char(readonly=True)
    last_error = fields.Text(readonly=True)

    # -- what is sent -------------------------------------------------------------------------

    @api.model
    def _sendable(self, moves):
        """The posted customer invoices and credit notes among ``moves`` whose company is
        connected to CodaBox as invoicing software."""
        moves = moves.filtered(lambda m: m.move_type in SENT_TYPES and m.state == "posted")
        if not moves:
            return moves
        # sudo: which companies are connected, to decide what to queue; nothing is read else.
        connected = (
            self.env["codabox.connection"]
            .sudo()
            .search(
                [
                    ("company_id", "in", moves.company_id.ids),
                    ("kind", "=", "invoicing_software"),
                    ("state", "=", "connected"),
                ]
            )
            .company_id
        )
        return moves.filtered(lambda m: m.company_id in connected)

    @api.model
    def _enqueue(self, moves, posted_anew=False):
        """The ledger entries of ``moves`` (those that are sent), made where missing.

        :param posted_anew: the moves were just posted: an entry they have already (reset to
            draft and posted again before CodaBox had them) drops the files it kept
        """
        moves = self._sendable(moves)
        ledger = self.sudo()  # sudo: the ledger is written by this code only (see the class)
        existing = ledger.search([("move_id", "in", moves.ids)])
        # Posted anew (reset to draft, maybe changed) before CodaBox had it: files made anew.
        if posted_anew:
            existing.filtered(lambda e: e.state != "sent")._forget_files()
        new = moves - existing.move_id
        created = ledger.create(
            [{"move_id": move.id, "company_id": move.company_id.id} for move in new]
        )
        return existing | created

    def _forget_files(self):
        """The files kept for sending, dropped: the next attempt makes them from the invoice
        as it is then."""
        attachments = self.xml_attachment_id | self.pdf_attachment_id
        self.write({"state": "to_send", "failure_code": False})
        attachments.unlink()

    def _files(self):
        """(xml, xml filename, pdf or None, pdf filename or None): the files kept at the first
        attempt, else made now (see :meth:`_ubl`, :meth:`_pdf`) and kept."""
        self.ensure_one()
        if self.xml_attachment_id:
            pdf = self.pdf_attachment_id
            return (
                self.xml_attachment_id.raw,
                self.xml_attachment_id.name,
                pdf.raw if pdf else None,
                pdf.name if pdf else None,
            )
        xml, xml_filename = self._ubl()
        pdf, pdf_filename = self._pdf()
        Attachment = self.env["ir.attachment"].sudo()  # sudo: the ledger's own files
        values = {"res_model": self._name, "res_id": self.id}
        self.xml_attachment_id = Attachment.create(
            {**values, "name": xml_filename, "raw": xml, "mimetype": "application/xml"}
        )
        if pdf:
            self.pdf_attachment_id = Attachment.create(
                {**values, "name": pdf_filename, "raw": pdf, "mimetype": "application/pdf"}
            )
        return xml, xml_filename, pdf, pdf_filename

    def _ubl(self):
        """(xml bytes, filename) of the invoice in Peppol BIS Billing 3.0, made by Odoo's own
        exporter (account_edi_ubl_cii); raises UserError naming what the UBL lacks.

        Override to send another of Odoo's UBL/CII formats."""
        self.ensure_one()
        builder = self.env["account.edi.xml.ubl_bis3"]
        xml, errors = builder._export_invoice(self.move_id)
        if errors:
            raise UserError(
                _(
                    "The UBL of %(invoice)s cannot be made: %(errors)s",
                    invoice=self.move_id.display_name,
                    errors=" ".join(sorted(errors)),
                )
            )
        return xml, builder._export_invoice_filename(self.move_id)

    def _pdf(self):
        """(pdf bytes, filename) of the invoice, or (None, None): the PDF Odoo keeps for it,
        else its invoice report rendered now; none when Odoo cannot render PDFs here
        (wkhtmltopdf missing): the UBL alone then goes. Overridable."""
        self.ensure_one()
        move = self.move_id
        if move.invoice_pdf_report_id:
            return move.invoice_pdf_report_id.raw, move.invoice_pdf_report_id.name
        try:
            # sudo: rendering the invoice report reads the company's layout and partners.
            # (In Odoo's test mode the report is rendered as HTML, as Odoo's tests do: the
            # PDF renderer would ask the server, which does not serve while Odoo's runner
            # installs and tests the module.)
            content, _type = (
                self.env["ir.actions.report"]
                .sudo()
                ._render_qweb_pdf("account.account_invoices", move.ids)
            )
        except UserError as error:
            _logger.info("CodaBox: %s sent without its PDF: %s", move.display_name, error)
            return None, None
        return content, f"{move._get_report_base_filename()}.pdf"

    # -- sending ------------------------------------------------------------------------------

    def _send(self, with_commit=True, deadline=None):
        """Send these entries (those not sent yet), each on its own: a failure is recorded
        on it and on its invoice's chatter, and the next one goes on.

        :param with_commit: commit the key before each attempt and the outcome after it, so
            that a process killed in between repeats the attempt with the same key; tests
            running in one transaction pass False
        :param deadline: ``time.monotonic()`` after which no new attempt starts
        :return: the entries sent now
        """
        sent = self.browse()
        for entry in self.sudo():  # sudo: the ledger, see the class
            if entry.state == "sent":
                continue
            if sent and deadline is not None and time.monotonic() > deadline:
                break
            with advisory_lock(self.env, SEND_LOCK_NAMESPACE, entry.id) as locked:
                if not locked:
                    continue  # another process sends it right now
                if with_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    entry.invalidate_recordset()
                if entry.state != "sent" and entry._attempt(with_commit):
                    sent |= entry
                if with_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        return sent

    def _attempt(self, with_commit):
        """One attempt at sending the entry; True when CodaBox has the invoice."""
        self.ensure_one()
        move = self.move_id
        connection = move.company_id._codabox_connection()
        if connection.kind != "invoicing_software":
            return self._record_failure(
                "notConnected",
                _(
                    "%(company)s is not connected to CodaBox as invoicing software.",
                    company=move.company_id.name,
                ),
            )
        if self.failure_code in LASTING_FAILURES:
            return False  # refused as it is: tried again once the invoice is posted anew
        try:
            xml, xml_filename, pdf, pdf_filename = self._files()
        except UserError as error:
            return self._record_failure("ublIncomplete", str(error))
        self.write(
            {"attempt_count": self.attempt_count + 1, "last_attempt_at": fields.Datetime.now()}
        )
        if with_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        try:
            answer = connection._client().send_sales_invoice(
                idempotency_key=self.idempotency_key,
                invoice_number=move.name,
                move_type="credit_note" if move.move_type == "out_refund" else "invoice",
                issue_date=fields.Date.to_string(move.invoice_date),
                currency=move.currency_id.name,
                amount_total=f"{move.amount_total:.{move.currency_id.decimal_places}f}",
                xml=xml,
                xml_filename=xml_filename,
                pdf=pdf,
                pdf_filename=pdf_filename,
            )
        except DuplicateInvoice as error:
            return self._record_sent(error.existing_id, already=True)
        except IdempotencyKeyReused:
            return self._record_sent(self.codabox_id, already=True)
        except CodaboxError as error:
            message = self.env["codabox.api"]._user_message(error)
            return self._record_failure(error.code, message)
        return self._record_sent(answer.id)

    def _record_sent(self, codabox_id, already=False):
        self.write(
            {
                "state": "sent",
                "sent_at": fields.Datetime.now(),
                "codabox_id": codabox_id,
                "failure_code": False,
                "last_error": False,
            }
        )
        if already:
            body = _(
                "CodaBox already had this invoice (%(id)s), as first sent: it is with your "
                "accounting office.",
                id=codabox_id or "-",
            )
        else:
            body = _(
                "Sent to CodaBox for your accounting office (CodaBox identifier %(id)s).",
                id=codabox_id,
            )
        self.move_id.message_post(body=body)
        return True

    def _record_failure(self, code, message):
        """The attempt failed: recorded, and said on the invoice when it is news (a new
        error, not the same one again at each run of the job)."""
        news = self.last_error != message
        self.write({"state": "failed", "failure_code": code, "last_error": message})
        if news:
            self.move_id.message_post(
                body=_("Not sent to CodaBox: %(error)s", error=message),
            )
        return False

    # -- the job and the buttons ---------------------------------------------------------------

    @api.model
    def _cron_send(self, with_commit=True):
        """The job sending sales invoices: every entry not sent yet, oldest first, within the
        time a cron call may take (see codabox.connection._cron_time_budget); triggered when
        an invoice is posted, and daily for the retries."""
        budget = self.env["codabox.connection"]._cron_time_budget()
        deadline = time.monotonic() + budget
        # sudo: the system's job.
        pending = self.sudo().search([("state", "!=", "sent")], order="id")
        sent = pending._send(with_commit=with_commit, deadline=deadline)
        # Entries never tried because the time was up: Odoo calls the job again at once.
        remaining = self.sudo().search_count([("state", "=", "to_send")])
        cron = self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_send_invoices")
        notify_cron_progress(cron, len(sent), remaining, with_commit, budget)
        return True

    @api.model
    def _wake_sender(self):
        """Send soon, in the background: posting an invoice does not wait for CodaBox."""
        # sudo: triggering the job, which only administrators may read.
        self.env.ref("l10n_be_codabox_connect.ir_cron_codabox_send_invoices").sudo()._trigger()

    def action_send_now(self, with_commit=True):
        """ "Send again" on entries of the ledger (billing users of their companies)."""
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_invoice")
        self._send(with_commit=with_commit)
        return True

    def action_open_invoice(self):
        self.ensure_one()
        self.env["codabox.api"]._check_rights(self.company_id, "account.group_account_invoice")
        self.check_access("read")
        return self.move_id._get_records_action()
