from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request

from ..codabox_client import CodaboxError

SETTINGS_URL = "/odoo/action-account.action_account_config"


class CodaboxConnectController(http.Controller):
    @http.route("/codabox/connect/callback", type="http", auth="user", methods=["GET"])
    def codabox_callback(self, state=None, code=None, error=None, **_kwargs):
        """MyCodaBox sends the browser back here after the office allowed or denied Odoo.

        The connection is stored only when everything checked out; any other outcome stores
        nothing and says why.
        """
        env = request.env
        try:
            consent_request, office_password = env["codabox.connect.state"]._consume(state)
        except UserError as refusal:
            return self._result_page(str(refusal), success=False)
        company = consent_request.company_id
        if error or not code:
            return self._result_page(self._denial_message(error), success=False)
        api_model = env["codabox.api"]
        office = env["codabox.office"]._for_vat(consent_request.office_vat)
        try:
            with env.cr.savepoint():
                answer = api_model._client().exchange_code(code, office_password)
                if not office:
                    office = office.create({"vat": consent_request.office_vat})
                office._set_password(office_password)
                env["codabox.connection"]._connect(company, office, answer)
        except CodaboxError as failure:
            return self._result_page(api_model._user_message(failure), success=False)
        except UserError as failure:
            return self._result_page(str(failure), success=False)
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
