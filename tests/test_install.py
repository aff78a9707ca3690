"""The addon installs on a Belgian company with the l10n_be chart, and the README's commands
are what CI runs."""

import re
from pathlib import Path

from odoo.tests.common import TransactionCase

ROOT = Path(__file__).resolve().parent.parent


class TestInstall(TransactionCase):
    def test_installed_on_belgian_chart(self):
        module = self.env["ir.module.module"].search([("name", "=", "l10n_be_codabox_connect")])
        self.assertEqual(module.state, "installed")
        self.assertEqual(module.latest_version, "18.0.1.0.0")
        company = self.env.ref("base.main_company")
        self.assertEqual(company.country_id.code, "BE")
        self.assertEqual(company.chart_template, "be_comp")

    def test_every_model_has_access_rights(self):
        """Each model of the addon has its rights from security/ir.model.access.csv."""
        models = self.env["ir.model"].search([("modules", "ilike", "l10n_be_codabox_connect")])
        ours = models.filtered(
            lambda m: m.model.startswith("codabox.") and not self.env[m.model]._abstract
        )
        self.assertGreaterEqual(len(ours), 6)
        for model in ours:
            self.assertTrue(model.access_ids, f"{model.model} has no access rights")
        csv_rows = (ROOT / "security/ir.model.access.csv").read_text().splitlines()[1:]
        loaded = (
            self.env["ir.model.access"]
            .search([])
            .mapped(lambda a: a.get_external_id().get(a.id, ""))
        )
        for row in csv_rows:
            self.assertIn(f"l10n_be_codabox_connect.{row.split(',')[0]}", loaded)

    def test_readme_commands_are_what_ci_runs(self):
        readme = (ROOT / "README.rst").read_text()
        ci = (ROOT / ".ci/run").read_text()
        makefile = (ROOT / "Makefile").read_text()
        for command in ("make demo", "make test"):
            self.assertIn(command, readme)
        for target in ("setup", "lint", "test"):
            self.assertIn(f"make {target}", ci)
            self.assertRegex(makefile, rf"(?m)^{target}:")
        self.assertTrue(re.search(r"(?m)^test: setup$", makefile), "make test sets up first")
