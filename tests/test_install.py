"""The addon installs with l10n_be, its tests run in a Belgian company on the l10n_be chart under
Odoo's runner as under pytest, and the README's commands are what CI runs."""

import ast
import re
from pathlib import Path

from odoo import release
from odoo.tests.common import tagged

from .common import BelgianCompanyCase

ROOT = Path(__file__).resolve().parent.parent


@tagged("post_install", "-at_install")
class TestInstall(BelgianCompanyCase):
    def test_installed_on_belgian_chart(self):
        modules = self.env["ir.module.module"].search(
            [("name", "in", ["l10n_be_codabox_connect", "l10n_be"])]
        )
        self.assertEqual(modules.mapped("state"), ["installed", "installed"])
        module = modules.filtered(lambda m: m.name == "l10n_be_codabox_connect")
        # 18.0.1.0.0 on 18.0; on 19.0, its release branch's 19.0.1.0.0 (dev/setup.sh).
        self.assertEqual(module.latest_version, f"{release.major_version}.1.0.0")
        self.assertEqual(self.env.company, self.company)
        self.assertEqual(self.env.ref("base.user_admin").company_id, self.company)
        self.assertEqual(self.company.country_id.code, "BE")
        self.assertEqual(self.company.chart_template, "be_comp")

    def test_odoo_tests_are_seen_by_odoos_runner(self):
        """Odoo's runner (make test-odoo) runs the test modules tests/__init__.py imports:
        every one with an Odoo test class (Test...) is among them."""
        init = ast.parse((ROOT / "tests/__init__.py").read_text())
        imported = {
            alias.name
            for node in init.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        odoo_modules = {
            path.stem
            for path in (ROOT / "tests").glob("test_*.py")
            if any(
                isinstance(node, ast.ClassDef) and node.name.startswith("Test")
                for node in ast.parse(path.read_text()).body
            )
        }
        self.assertIn("test_install", odoo_modules)
        self.assertFalse(odoo_modules - imported, "missing from tests/__init__.py")
        self.assertFalse(imported - odoo_modules, "no Odoo test class in these")

    def test_every_model_has_access_rights(self):
        """Each model of the addon has its rights from security/ir.model.access.csv."""
        # ir.model's modules is not stored (searching it logs an error and finds every model).
        xmlids = self.env["ir.model.data"].search(
            [("module", "=", "l10n_be_codabox_connect"), ("model", "=", "ir.model")]
        )
        models = self.env["ir.model"].browse(xmlids.mapped("res_id"))
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
        for target in ("setup", "lint", "test", "test-odoo"):
            self.assertIn(f"make {target}", ci)
            self.assertRegex(makefile, rf"(?m)^{target}:")
        self.assertTrue(re.search(r"(?m)^test: setup$", makefile), "make test sets up first")
