from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

from ..codabox_client import (
    AlreadyRegistered,
    CodaboxClient,
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
from ..exceptions import CodaboxUserError

PARAM_PREFIX = "l10n_be_codabox_connect."
# CodaBox's production services; the demo and the tests point these system parameters at
# the sandbox.
DEFAULT_API_URL = "https://api.codabox.com"
DEFAULT_MYCODABOX_URL = "https://mycodabox.com"


# Accounting administrators may do what accountants may: Odoo's groups do not imply it
# (Community's administrators lack "Show Full Accounting Features").
ALSO_ALLOWED = {"account.group_account_user": ("account.group_account_manager",)}


class CodaboxApi(models.AbstractModel):
    """The one place where Odoo meets the CodaBox client: configuration and messages."""

    _name = "codabox.api"
    _description = "CodaBox API access"

    @api.model
    def _check_rights(self, companies, group="account.group_account_manager"):
        """Refuse a caller who is not in ``group`` or does not work for each of ``companies``.

        Every public method of the addon (buttons, the consent callback) calls this first,
        before it reads a secret or sends anything to CodaBox, because buttons are also
        reachable by RPC with any record id. ``account.group_account_manager`` (accounting
        administrators) manage connections; ``account.group_account_user`` (accountants,
        and administrators: ``ALSO_ALLOWED``) retrieve and retry. Code running as superuser
        (the daily job) has decided already.
        """
        if self.env.su:
            return
        user = self.env.user
        groups = (group, *ALSO_ALLOWED.get(group, ()))
        if not any(user.has_group(name) for name in groups):
            names = self.env["res.groups"].browse(self.env.ref(name).id for name in groups)
            raise AccessError(
                _(
                    "Only users in the group %(group)s can do this for CodaBox.",
                    # sudo: only to name the groups
                    group=_(" or ").join(names.sudo().mapped("full_name")),
                )
            )
        foreign = companies.sudo() - user.company_ids  # sudo: only to read the names
        if foreign:
            raise AccessError(
                _(
                    "You do not work for %(companies)s: its CodaBox connection is not yours "
                    "to use.",
                    companies=", ".join(foreign.mapped("name")),
                )
            )

    @api.model
    def _param(self, key, default=""):
        return self.env["ir.config_parameter"].sudo().get_param(PARAM_PREFIX + key, default)

    @api.model
    def _software_id(self):
        software_id = self._param("software_id")
        if not software_id:
            raise UserError(
                _(
                    "The CodaBox software identifier is not configured: set the system "
                    "parameter %(param)s to the identifier CodaBox gave your software vendor.",
                    param=PARAM_PREFIX + "software_id",
                )
            )
        return software_id

    @api.model
    def _mycodabox_url(self):
        return self._param("mycodabox_url", DEFAULT_MYCODABOX_URL).rstrip("/")

    @api.model
    def _client(self, credentials=None):
        """A client configured by the system parameters (URLs, software id, timeout of a
        socket read and deadline of a whole call with its retries, in seconds; retries of
        idempotent calls). The deadline keeps a slow CodaBox from holding a worker until
        Odoo kills it."""
        return CodaboxClient(
            self._param("api_url", DEFAULT_API_URL).rstrip("/"),
            self._software_id(),
            credentials=credentials,
            timeout=(5, float(self._param("timeout", "30"))),
            deadline=float(self._param("deadline", "60")),
            max_retries=int(self._param("max_retries", "4")),
            backoff=float(self._param("backoff", "0.5")),
        )

    @api.model
    def _user_message(self, error):
        """The translated message for a client exception, naming what went wrong."""
        if isinstance(error, NotAccountingOffice):
            return self._not_accounting_office_message()
        messages = {
            CodaboxUnreachable: _("CodaBox cannot be reached: %(detail)s. Try again later."),
            CodaboxServerError: _("CodaBox answered with an error: %(detail)s. Try again later."),
            CodaboxRateLimited: _(
                "CodaBox received too many requests and asks to wait: try again in a few minutes."
            ),
            CredentialsRefused: _(
                "CodaBox refused the credentials: %(detail)s. If CodaBox does not know the "
                "software, check the system parameter l10n_be_codabox_connect.software_id; if "
                "the company's connection was revoked, connect the company again."
            ),
            ConsentNotValid: _(
                "The accounting office's consent in MyCodaBox is not valid (denied, cancelled "
                "or not decided yet): %(detail)s. Allow Odoo again in MyCodaBox > Administration > "
                "CodaBox Connect, or create the connection again."
            ),
            InvalidOfficePassword: _(
                "CodaBox refused the accounting office password: type the one shown when the "
                "office's first company was connected, or the last one set with Change password."
            ),
            AlreadyRegistered: _("This company is already connected to CodaBox: %(detail)s."),
            NotClientOfOffice: _(
                "CodaBox does not know this company as a client of the accounting office: "
                "%(detail)s. Check the company's VAT number and the office's client list in "
                "MyCodaBox."
            ),
            InvalidAuthorizationCode: _(
                "CodaBox refused the authorization (used or expired): %(detail)s. Create the "
                "connection again."
            ),
            CodaboxProtocolError: _("CodaBox sent an answer Odoo does not understand: %(detail)s."),
        }
        for error_class, message in messages.items():
            if isinstance(error, error_class):
                return (
                    message % {"detail": error.message.rstrip(".")}
                    if "%(detail)s" in message
                    else message
                )
        return _("CodaBox error: %(detail)s", detail=error.message.rstrip("."))

    @api.model
    def _not_accounting_office_message(self):
        return _(
            "CodaBox Connect is for accounting offices only, and CodaBox does not know this "
            "VAT number as an accounting office. A company (SME) that is a CodaBox client "
            "itself receives its CODA files by SFTP: import them by hand with the Import CODA "
            "menu of Invoicing > Accounting."
        )

    @api.model
    def _user_error(self, error: CodaboxError):
        return CodaboxUserError(self._user_message(error), error)
