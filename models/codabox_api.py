from odoo import _, api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import config as odoo_config

from ..codabox_client import CodaboxClient, CodaboxError
from ..exceptions import CodaboxUserError

PARAM_PREFIX = "l10n_be_codabox_connect."
# CodaBox's production services; the demo and the tests point these system parameters at
# the sandbox.
# Seconds a click or an upload imports for in its request when the server sets no CPU limit.
DEFAULT_REQUEST_BUDGET = 30
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
    def _request_time_budget(self):
        """Seconds an upload (*Import CODA*) or a click on *Retrieve from CodaBox* imports
        for in its request: half of the server's CPU limit per request (``limit_time_cpu``,
        60 s by default), capped by the system parameter ``request_time_budget``. A
        statement too long for it is imported in parts, the rest by the daily job."""
        cpu = odoo_config.get("limit_time_cpu") or 0
        derived = cpu / 2 if cpu > 0 else DEFAULT_REQUEST_BUDGET
        cap = float(self._param("request_time_budget", str(DEFAULT_REQUEST_BUDGET)))
        return max(min(derived, cap), 0.1)

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
    def _code_messages(self):
        """The user's message for each error code: the client exceptions' ``code`` (CodaBox's
        own where it answers one) and the refusals MyCodaBox sends back to the consent
        callback (``unknownAccountingOffice``, ``notFound``, ``access_denied``).

        A message may use ``%(detail)s`` (the client's English words on the failure),
        ``%(office)s`` and ``%(company)s`` (:meth:`_office_name`, :meth:`_company_name`).
        Override to word a code otherwise, or to add the codes of a newer client.
        """
        return {
            "unreachable": _("CodaBox cannot be reached: %(detail)s. Try again later."),
            "serverError": _("CodaBox answered with an error: %(detail)s. Try again later."),
            "rateLimited": _(
                "CodaBox received too many requests and asks to wait: try again in a few minutes."
            ),
            "credentialsRefused": _(
                "CodaBox refused the credentials: %(detail)s. If CodaBox does not know the "
                "software, check the system parameter l10n_be_codabox_connect.software_id; if "
                "the company's connection was revoked, connect the company again."
            ),
            "consentNotValid": _(
                "The accounting office's consent in MyCodaBox is not valid (denied, cancelled "
                "or not decided yet): %(detail)s. Allow Odoo again in MyCodaBox > Administration > "
                "CodaBox Connect, or create the connection again."
            ),
            "unknownAccountingOffice": _(
                "CodaBox Connect is for accounting offices only, and CodaBox does not know "
                "%(office)s as an accounting office. A company (SME) that is a CodaBox client "
                "itself connects Odoo as its invoicing software instead (Connect as invoicing "
                "software, in the CodaBox settings), or receives its CODA files by SFTP or FTPES "
                "(CodaBox file delivery in the same settings)."
            ),
            "invalidPassword": _(
                "CodaBox refused the accounting office password of %(office)s: type the one "
                "shown when the office's first company was connected, or the last one set with "
                "Change password."
            ),
            "alreadyRegistered": _("This company is already connected to CodaBox: %(detail)s."),
            "notFound": _(
                "CodaBox does not know %(company)s as a client of the accounting office "
                "%(office)s. Check the company's VAT number and the office's client list in "
                "MyCodaBox."
            ),
            "invalidCode": _(
                "CodaBox refused the authorization (used or expired): %(detail)s. Create the "
                "connection again."
            ),
            "protocolError": _("CodaBox sent an answer Odoo does not understand: %(detail)s."),
            # The invoicing-software connection of an SME (docs/protocol.md).
            "unknownEnterpriseNumber": _(
                "CodaBox does not know the enterprise number of %(company)s: contact your "
                "accounting office, which registers the company at CodaBox."
            ),
            "noAccountingOffice": _(
                "CodaBox knows %(company)s but not as the client of an accounting office that "
                "uses CodaBox: contact your accounting office."
            ),
            "unknownEmail": _(
                "CodaBox has no e-mail address for %(company)s and cannot send it the token: "
                "contact CodaBox."
            ),
            "invalidToken": _(
                "CodaBox does not accept this token: it is mistyped, already used or more than "
                "24 hours old. Request a new token."
            ),
            "invalidDocument": _("CodaBox refused the invoice: %(detail)s."),
            "idempotencyKeyReused": _(
                "CodaBox refused the invoice as a changed copy of one sent before: %(detail)s."
            ),
            "access_denied": _(
                "The accounting office denied Odoo access in MyCodaBox: nothing was connected. "
                "Create the connection again to allow it."
            ),
        }

    @api.model
    def _code_message(self, code, detail="", *, office_vat=None, company_vat=None, company=None):
        """The message of ``code`` (:meth:`_code_messages`), or None for a code it does not
        know (the caller says so in its own words).

        :param detail: the client's English words on the failure
        :param office_vat: the office VAT the call was for (normalised, BE0123456789)
        :param company_vat: the company VAT the call was for, when ``company`` is not known
        :param company: the client company the call was for
        """
        message = self._code_messages().get(code)
        if message is None:
            return None
        return message % {
            "detail": detail,
            "office": self._office_name(office_vat, company),
            "company": self._company_name(company, company_vat),
        }

    @api.model
    def _user_message(self, error, *, office_vat=None, company=None):
        """The translated message for a client exception, by its ``code``.

        The exception names the office and the company the call was for when the client knew
        them; a caller that knows them better (the code exchange names neither) passes them.
        """
        detail = error.message.rstrip(".")
        message = self._code_message(
            error.code,
            detail,
            office_vat=office_vat or error.office_vat,
            company_vat=error.company_vat,
            company=company,
        )
        return message or _("CodaBox error: %(detail)s", detail=detail)

    @api.model
    def _office_name(self, office_vat, company=None):
        """How messages name the accounting office of VAT ``office_vat``: the name of the
        Accounting Firm with this VAT of ``company`` or of a company of the user, with the
        VAT; the VAT alone when no company has it as its Accounting Firm (only its VAT was
        typed in the settings).

        Override to name offices from elsewhere, e.g. a module keeping a directory of them.
        """
        if not office_vat:
            return _("the accounting office")
        for client in (company or self.env["res.company"]) | self.env.user.company_ids:
            firm = client.account_representative_id
            if firm.vat and client._codabox_office_vat() == office_vat:
                return _("%(name)s (%(vat)s)", name=firm.name, vat=office_vat)
        return office_vat

    @api.model
    def _company_name(self, company=None, company_vat=None):
        """How messages name the client company: ``company``, else the user's company with
        VAT ``company_vat``, by name and VAT; the VAT alone when no company of the user has
        it."""
        if not company and company_vat:
            company = self.env.user.company_ids.filtered(
                lambda c: c.vat and c._codabox_company_vat() == company_vat
            )[:1]
        if not company:
            return company_vat or _("this company")
        if not company.vat:
            return company.name
        return _("%(name)s (%(vat)s)", name=company.name, vat=company._codabox_company_vat())

    @api.model
    def _user_error(self, error: CodaboxError):
        return CodaboxUserError(self._user_message(error), error)
