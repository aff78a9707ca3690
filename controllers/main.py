import logging

import psycopg2

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..codabox_client import CodaboxError

_logger = logging.getLogger(__name__)
SETTINGS_URL = "/odoo/action-account.action_account_config"


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
                return self._result_page(self._denial_message(error), success=False)
            try:
                claim = states._exchange(claim, code, state)
            except CodaboxError as failure:
                return self._result_page(env["codabox.api"]._user_message(failure), success=False)
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

    def _denial_message(self, error):
        if error == "unknownAccountingOffice":
            return request.env["codabox.api"]._not_accounting_office_message()
        if error == "notFound":
            return _(
                "CodaBox does not know this company as a client of the accounting office: "
                "nothing was connected. Check the company's VAT number and the office's client "
                "list in MyCodaBox."
            )
        if error == "access_denied":
            return _(
                "The accounting office denied Odoo access in MyCodaBox: nothing was connected. "
                "Create the connection again to allow it."
            )
        return _(
            "MyCodaBox did not allow the connection (%(error)s): nothing was connected.",
            error=error or _("no authorization code"),
        )

    def _result_page(self, message, success):
        return request.render(
            "l10n_be_codabox_connect.connect_result",
            {"message": message, "success": success, "settings_url": SETTINGS_URL},
        )
