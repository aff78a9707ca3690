"""The addon speaks Belgium's languages: every translatable term of the code (Python, models,
views, actions, menus) is in i18n/l10n_be_codabox_connect.pot and translated in i18n/nl.po and
i18n/fr.po, with the same placeholders and HTML tags, and the translations load into Odoo.

The terms are read from the code as it is now, with Odoo's own exporter (what
``odoo-bin --i18n-export`` writes), so a new or changed string fails here until
``bash dev/i18n.sh`` has merged it and someone has translated it.
"""

import logging
import re
import tempfile
from collections import Counter
from pathlib import Path
from unittest.mock import patch

import polib

import odoo
from odoo.tests.common import tagged
from odoo.tools.translate import TranslationModuleReader

from ..compat import ODOO_19
from .common import BelgianCompanyCase

MODULE = "l10n_be_codabox_connect"
ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "i18n"
POT = I18N / f"{MODULE}.pot"
LANGS = ("nl", "fr")
# %(name)s, %s (and %d...), {name}; "%%" is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{[^{}]*\}")
TAG = re.compile(r"<\s*(/?)\s*([\w.-]+)")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def code_terms(cr):
    """The source terms Odoo's exporter finds for the addon: {msgid: [where, ...]}, and the
    problems it logged while reading the code (a file it cannot read loses its terms).

    The exporter walks every addons path, links followed. Seen through the usual link
    (.odoo/addons), the addon holds .venv/ (other libraries' _() calls) and .odoo/ (that link
    again, a loop), so it reads the addon through a directory of links to its entries, hidden
    ones left out: what dev/i18n.sh does too."""
    with tempfile.TemporaryDirectory() as addons:
        (Path(addons) / MODULE).mkdir()
        for entry in ROOT.iterdir():
            if not entry.name.startswith(".") and entry.name != "__pycache__":
                (Path(addons) / MODULE / entry.name).symlink_to(entry)
        logger = logging.getLogger("odoo.tools.translate")
        collect = _Collect()
        logger.addHandler(collect)
        try:
            # 19.0's exporter opens the data files by their path as the addon was loaded,
            # which must then be on the path: dev/setup.sh links the addon for 19.0 in a
            # directory of links to its entries, hidden ones left out, as here.
            with patch.object(
                odoo.addons, "__path__", odoo.addons.__path__ if ODOO_19 else [addons]
            ):
                reader = TranslationModuleReader(cr, modules=[MODULE])
        finally:
            logger.removeHandler(collect)
    terms = {}
    for module, _type, name, res_id, source, _value, _comments in reader:
        if module == MODULE:
            terms.setdefault(source, []).append(name if _type == "code" else f"{name}:{res_id}")
    problems = []
    for record in collect.records:
        text = record.getMessage()
        if record.exc_info:
            text += f" ({record.exc_info[0].__name__}: {record.exc_info[1]})"
        problems.append(text.replace(f"{addons}/{MODULE}/", ""))
    return terms, problems


def entries(path):
    return {e.msgid: e for e in polib.pofile(str(path)) if not e.obsolete and e.msgid}


def show(terms, limit=40):
    lines = [f"  {term!r}" for term in sorted(terms)[:limit]]
    if len(terms) > limit:
        lines.append(f"  ... and {len(terms) - limit} more")
    return "\n".join(lines)


@tagged("post_install", "-at_install")
class TestI18n(BelgianCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.terms, cls.problems = code_terms(cls.env.cr)

    def test_exporter_reads_all_the_code(self):
        """A file Odoo's exporter cannot read loses its terms without a word in the .pot.

        Babel 2.10 (Odoo 18's pinned version) evaluates every string literal among the
        arguments of _(): an f-string there (even a keyword argument) stops the whole file."""
        if self.problems:
            self.fail(
                "Odoo's exporter could not read all of the code; its terms are missing from "
                "the export (an f-string among the arguments of _()?):\n" + "\n".join(self.problems)
            )
        # Sanity: the reader found the three kinds of terms.
        self.assertGreater(len(self.terms), 100)
        self.assertIn("To be determined", self.terms)  # a selection value
        self.assertIn("CodaBox delivered no CODA file.", self.terms)  # Python code
        self.assertIn("Retrieve from CodaBox", self.terms)  # a view

    def test_pot_holds_the_terms_of_the_code(self):
        pot = entries(POT)
        missing = set(self.terms) - set(pot)
        gone = set(pot) - set(self.terms)
        if missing or gone:
            self.fail(
                f"{POT.name} is stale: run 'bash dev/i18n.sh'.\n"
                f"In the code, not in the .pot ({len(missing)}):\n{show(missing)}\n"
                f"In the .pot, no longer in the code ({len(gone)}):\n{show(gone)}"
            )

    def test_every_term_is_translated(self):
        failures = []
        for lang in LANGS:
            po = entries(I18N / f"{lang}.po")
            empty = {t for t in self.terms if t not in po or not po[t].msgstr}
            fuzzy = {t for t in self.terms if t in po and po[t].msgstr and po[t].fuzzy}
            if empty:
                failures.append(f"{lang}.po: {len(empty)} untranslated:\n{show(empty)}")
            if fuzzy:
                failures.append(f"{lang}.po: {len(fuzzy)} fuzzy (to review):\n{show(fuzzy)}")
        if failures:
            self.fail("Run 'bash dev/i18n.sh', then translate:\n" + "\n".join(failures))

    def test_translations_keep_placeholders_and_tags(self):
        failures = []
        for lang in LANGS:
            for msgid, entry in entries(I18N / f"{lang}.po").items():
                if not entry.msgstr:
                    continue
                for what, pattern in (("placeholders", PLACEHOLDER), ("HTML tags", TAG)):
                    source = Counter(pattern.findall(msgid))
                    translated = Counter(pattern.findall(entry.msgstr))
                    if source != translated:
                        failures.append(
                            f"{lang}.po: {what} differ in {msgid!r}: "
                            f"{sorted(source.elements())} != {sorted(translated.elements())}"
                        )
        if failures:
            self.fail("\n".join(failures))

    def test_po_files_match_the_pot(self):
        """nl.po and fr.po are merged from the current .pot (dev/i18n.sh), nothing else."""
        pot = set(entries(POT))
        for lang in LANGS:
            po = polib.pofile(str(I18N / f"{lang}.po"))
            self.assertEqual(po.metadata.get("Language"), lang)
            extra = {e.msgid for e in po if not e.obsolete and e.msgid} - pot
            if extra:
                self.fail(
                    f"{lang}.po has terms the .pot has not: run 'bash dev/i18n.sh'.\n" + show(extra)
                )

    def test_translations_load_into_odoo(self):
        """Installing French or Dutch (Belgium) gives the addon's labels, selection values,
        views and messages in that language."""
        expected = {
            "fr_BE": ("Type de document", "À déterminer", "Réessayer l'import", "rejet"),
            "nl_BE": ("Documenttype", "Nog te bepalen", "Import opnieuw proberen", "afwijzing"),
        }
        for lang, (label, pending, button, reject) in expected.items():
            with self.subTest(lang=lang):
                self.assertTrue(self.env["res.lang"]._activate_lang(lang))
                self.env["ir.module.module"]._load_module_terms([MODULE], [lang])
                Document = self.env["codabox.document"].with_context(lang=lang)
                self.assertEqual(Document.fields_get(["kind_label"])["kind_label"]["string"], label)
                Office = self.env["codabox.office"].with_context(lang=lang)
                statuses = dict(
                    Office.fields_get(["consent_status"])["consent_status"]["selection"]
                )
                self.assertEqual(statuses["pending"], pending)
                view = self.env.ref(f"{MODULE}.codabox_document_view_form")
                self.assertIn(button, Document.get_view(view.id)["arch"])
                Statement = self.env["account.bank.statement"].with_context(lang=lang)
                self.assertEqual(Statement._coda_r_transaction_label("1"), reject)
