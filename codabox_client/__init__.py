"""CodaBox API v2 and Connect client: pure Python (requests), no Odoo."""

from .client import CONSENT_STATUSES, FORMATS, CodaboxClient, Connection, FeedEntry
from .exceptions import (
    AlreadyRegistered,
    CodaboxError,
    CodaboxProtocolError,
    CodaboxRateLimited,
    CodaboxServerError,
    CodaboxUnreachable,
    ConsentNotValid,
    CredentialsRefused,
    InvalidAuthorizationCode,
    InvalidOfficePassword,
    NotAccountingOffice,
    NotClientOfOffice,
)
