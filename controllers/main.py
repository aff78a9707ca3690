import logging

import psycopg2

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..codabox_client import CodaboxError

_logger = logging.getLogger(__name__)
# The Accounting settings at the CodaBox setting: the web client opens the settings' tab that
# holds the setting the anchor names and highlights it, as Odoo's own links (/odoo/settings#id).
SETTINGS_URL = "/odoo/action-account.action_account_config#codabox_connection"
# What MyCodaBox sends back instead of an authorization code (our protocol, as the sandbox
# speaks it): codabox.api words them, the first two as CodaBox's API errors of that code.
MYCODABOX_REFUSALS = ("unknownAccountingOffice", "notFound", "access_denied")


class CodaboxConnectController(http.Controller):
    @http.route("/codabox/connect/callback", type="http", auth="user", methods=["GET"])
    def codabox_callback(self, state=None, code=None, error=None, **_kwargs):
        """MyCodaBox sends the browser back here after the office allowed or denied Odoo.

        The user must be the one who started the connection and an accounting administrator
        of its company. The connection is stored only when everything checked out; any
        other outcome stores nothing and says why.

        An authorization code can be exchanged once only. So the state is claimed, and
        CodaBox's answer kept on it, in transactions of their own (see codabox.connect.state):
        when storing the connection fails after CodaBox answered, the same request retried
        by Odoo (serialization failure) or opened again finishes with the kept answer,
        without asking CodaBox again.
        """
        env = request.env
        states = env["codabox.connect.state"]
        try:
            claim = states._claim(state)
        except UserError as refusal:
            return self._result_page(str(refusal), success=False)
        company = env["res.company"].browse(claim.company_id)
        if claim.answer is None:
            if error or not code:
                return self._result_page(self._denial_message(error, claim), success=False)
            try:
                claim = states._exchange(claim, code, state)
            except CodaboxError as failure:
                message = env["codabox.api"]._user_message(
                    failure, office_vat=claim.office_vat, company=company
                )
                return self._result_page(message, success=False)
        try:
            with env.cr.savepoint():
                states._complete(claim)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise  # Odoo retries the whole request, which finds CodaBox's answer kept
        except UserError as failure:
            return self._result_page(str(failure), success=False)
        except psycopg2.Error:
            _logger.exception("CodaBox: the connection of %s could not be stored", company.name)
            return self._result_page(
                _(
                    "CodaBox connected %(company)s, but Odoo could not store the connection. "
                    "Open this page again (reload it) to finish: CodaBox is not asked again.",
                    company=company.name,
                ),
                success=False,
            )
        return self._result_page(
            _(
                "%(company)s is connected to CodaBox. Further companies of this accounting "
                "office connect with the same office password.",
                company=company.name,
            ),
            success=True,
        )

    def _denial_message(self, error, claim):
        """Why MyCodaBox sent the browser back without an authorization code."""
        env = request.env
        message = error in MYCODABOX_REFUSALS and env["codabox.api"]._code_message(
            error,
            office_vat=claim.office_vat,
            company=env["res.company"].browse(claim.company_id),
        )
        return message or _(
            "MyCodaBox did not allow the connection (%(error)s): nothing was connected.",
            error=error or _("no authorization code"),
        )

    def _result_page(self, message, success):
        return request.render(
            "l10n_be_codabox_connect.connect_result",
            {"message": message, "success": success, "settings_url": SETTINGS_URL},
        )
