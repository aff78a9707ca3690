"""The addon installs on a Belgian company with the l10n_be chart."""

from odoo.tests.common import TransactionCase


class TestInstall(TransactionCase):
    def test_installed_on_belgian_chart(self):
        module = self.env["ir.module.module"].search([("name", "=", "l10n_be_codabox_connect")])
        self.assertEqual(module.state, "installed")
        self.assertEqual(module.latest_version, "18.0.1.0.0")
        company = self.env.ref("base.main_company")
        self.assertEqual(company.country_id.code, "BE")
        self.assertEqual(company.chart_template, "be_comp")
