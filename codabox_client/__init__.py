"""CodaBox API v2, Connect and invoicing-software client: pure Python (requests), no Odoo."""

from .client import (
    CONSENT_STATUSES,
    FORMATS,
    MOVE_TYPES,
    CodaboxClient,
    Connection,
    Credentials,
    FeedEntry,
    SentInvoice,
)
from .exceptions import (
    AlreadyRegistered,
    CodaboxError,
    CodaboxProtocolError,
    CodaboxRateLimited,
    CodaboxServerError,
    CodaboxUnreachable,
    ConsentNotValid,
    CredentialsRefused,
    DuplicateInvoice,
    IdempotencyKeyReused,
    InvalidAuthorizationCode,
    InvalidInvoiceDocument,
    InvalidOfficePassword,
    InvalidToken,
    NoAccountingOffice,
    NotAccountingOffice,
    NotClientOfOffice,
    UnknownEmail,
    UnknownEnterprise,
)
