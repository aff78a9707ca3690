"""One exception per way a CodaBox call can fail.

Each carries a stable machine ``code``, which the Odoo glue words for the user, once per
code: CodaBox's own error code where CodaBox answers one for this failure
(``unknownAccountingOffice``, ``consentNotValid``, ``invalidPassword``,
``alreadyRegistered``, ``notFound`` for a company that is not a client of the office,
``invalidCode``; MyCodaBox sends the first and ``notFound`` back to the software too; for an
invoicing software: ``unknownEnterpriseNumber``, ``noAccountingOffice``, ``unknownEmail``,
``invalidToken``, ``invalidDocument``, ``duplicateInvoice``, ``idempotencyKeyReused``), else
the client's own. Each has an English ``message`` that names what is wrong, and, when the
call was about them, the ``office_vat`` and ``company_vat`` it was for. None ever holds a
secret: messages are built from VAT numbers, ids, host names and statuses, and any text from
CodaBox is scrubbed of the secrets sent with the call before it is quoted.
"""


class CodaboxError(Exception):
    """Base of every failure of the client."""

    code = "codaboxError"

    def __init__(self, message, *, status=None, office_vat=None, company_vat=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.office_vat = office_vat
        self.company_vat = company_vat

    def __str__(self):
        return self.message

    def __repr__(self):
        name = type(self).__name__
        return f"{name}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class CodaboxUnreachable(CodaboxError):
    """No answer: connection refused or dropped, timeout, answer cut short."""

    code = "unreachable"


class CodaboxServerError(CodaboxError):
    """CodaBox kept answering 5xx, retries included."""

    code = "serverError"


class CodaboxRateLimited(CodaboxError):
    """CodaBox kept answering 429; ``retry_after`` is its last Retry-After in seconds."""

    code = "rateLimited"

    def __init__(self, message, *, retry_after=None, status=429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class CredentialsRefused(CodaboxError):
    """CodaBox refused the delivery credentials (revoked, wrong) or the software id."""

    code = "credentialsRefused"


class ConsentNotValid(CodaboxError):
    """The office's consent in MyCodaBox is not allowed (denied, cancelled, undecided)."""

    code = "consentNotValid"


class NotAccountingOffice(CodaboxError):
    """The VAT number is not an accounting office: the SME case, Connect is not for it."""

    code = "unknownAccountingOffice"


class InvalidOfficePassword(CodaboxError):
    """CodaBox refused the office password."""

    code = "invalidPassword"


class AlreadyRegistered(CodaboxError):
    """The company is already connected through this software."""

    code = "alreadyRegistered"


class NotClientOfOffice(CodaboxError):
    """CodaBox does not know the company as a client of the accounting office."""

    code = "notFound"


class InvalidAuthorizationCode(CodaboxError):
    """The authorization code from MyCodaBox is unknown, already used or expired."""

    code = "invalidCode"


class UnknownEnterprise(CodaboxError):
    """An invoicing software asked for access: CodaBox does not know the enterprise number."""

    code = "unknownEnterpriseNumber"


class NoAccountingOffice(CodaboxError):
    """CodaBox knows the company, but not linked to an accounting office that is its client."""

    code = "noAccountingOffice"


class UnknownEmail(CodaboxError):
    """CodaBox has no e-mail address for the company: it cannot send the token."""

    code = "unknownEmail"


class InvalidToken(CodaboxError):
    """The token from CodaBox's e-mail is unknown, already used or expired (24 hours)."""

    code = "invalidToken"


class _InvoiceError(CodaboxError):
    """A refusal of a sales invoice; ``invoice_number`` is the invoice's number."""

    def __init__(self, message, *, invoice_number=None, status=None):
        super().__init__(message, status=status)
        self.invoice_number = invoice_number


class InvalidInvoiceDocument(_InvoiceError):
    """CodaBox refused the sales invoice: not a UBL Invoice/CreditNote, or a field is wrong."""

    code = "invalidDocument"


class DuplicateInvoice(_InvoiceError):
    """CodaBox already received this invoice number (and kind) under another idempotency key;
    ``existing_id`` is the id CodaBox gave it then."""

    code = "duplicateInvoice"

    def __init__(self, message, *, existing_id=None, invoice_number=None, status=None):
        super().__init__(message, invoice_number=invoice_number, status=status)
        self.existing_id = existing_id


class IdempotencyKeyReused(_InvoiceError):
    """The idempotency key was used before for other content: a protocol error on our side."""

    code = "idempotencyKeyReused"


class CodaboxProtocolError(CodaboxError):
    """An answer the client does not understand (invalid JSON, missing keys, odd status)."""

    code = "protocolError"
