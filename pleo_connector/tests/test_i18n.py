# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Each addon ships complete translations for Pleo's markets: every term of its template
``i18n/<addon>.pot`` is translated in each language, placeholders and markup intact, and Odoo
serves them. (That the templates themselves are current is a repository check:
tests/repository/test_translation_template.py.) The export and the setup sync run the same
checks on their own templates (``TranslationChecks``).
"""

import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import get_translation

MODULE = "pleo_connector"
POT = Path(__file__).resolve().parents[1] / "i18n" / f"{MODULE}.pot"


# Pleo's markets: the languages the addon ships complete.
LANGUAGES = {
    "da": "da_DK",
    "sv": "sv_SE",
    "nb": "nb_NO",
    "de": "de_DE",
    "fr": "fr_FR",
    "es": "es_ES",
    "nl": "nl_NL",
}
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdi]|%[sdi]|\{[a-z_0-9]*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")


class TranslationChecks:
    """Every term of an addon's template is translated in each shipped language, keeps its
    placeholders and markup, and Odoo serves the translation to a user of that language.

    A mixin: each addon's test sets ``MODULE``, ``POT``, ``MIN_TERMS`` (the checks are not
    vacuous) and ``LABEL`` (a model and one of its fields the addon defines, whose label is read
    in Danish)."""

    MODULE = MODULE
    POT = POT
    MIN_TERMS = 200
    LABEL = ("pleo.connection", "state")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = [e for e in polib.pofile(str(cls.POT)) if not e.obsolete]

    def test_every_term_is_translated_in_every_language(self):
        self.assertGreater(len(self.template), self.MIN_TERMS)
        for lang in LANGUAGES:
            path = self.POT.with_name(f"{lang}.po")
            with self.subTest(lang=lang):
                self.assertTrue(path.is_file(), f"{path.name} is missing")
                po = polib.pofile(str(path))
                done = {e.msgid: e for e in po if not e.obsolete}
                missing = [e.msgid for e in self.template if not done.get(e.msgid, e).msgstr]
                self.assertFalse(
                    missing, f"{lang}: {len(missing)} term(s) untranslated: {missing[:5]}"
                )
                fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
                self.assertFalse(fuzzy, f"{lang}: fuzzy translations: {fuzzy[:5]}")

    def test_translations_keep_placeholders_and_markup(self):
        for lang in LANGUAGES:
            path = self.POT.with_name(f"{lang}.po")
            if not path.is_file():
                continue  # reported missing by the test above
            po = polib.pofile(str(path))
            for entry in po:
                if not entry.msgstr:
                    continue
                with self.subTest(lang=lang, msgid=entry.msgid[:60]):
                    self.assertEqual(
                        sorted(PLACEHOLDER.findall(entry.msgid)),
                        sorted(PLACEHOLDER.findall(entry.msgstr)),
                    )
                    self.assertEqual(
                        sorted(TAG.findall(entry.msgid)), sorted(TAG.findall(entry.msgstr))
                    )

    def test_a_danish_user_reads_danish(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms([self.MODULE], ["da_DK"], overwrite=True)
        danish = {
            e.msgid: e.msgstr
            for e in polib.pofile(str(self.POT.with_name("da.po")))
            if not e.obsolete
        }
        # A term of the views (a field's label) and a term of the code (a message).
        model, name = self.LABEL
        label = self.env[model]._fields[name].string
        field_da = self.env[model].with_context(lang="da_DK").fields_get([name])
        self.assertEqual(field_da[name]["string"], danish[label])
        self.assertNotEqual(danish[label], label)
        code_term = next(
            e.msgid
            for e in self.template
            if "odoo-python" in e.comment and not PLACEHOLDER.search(e.msgid)
        )
        # As ``env._`` does in the addon's code: the translations of the module that calls it.
        self.assertEqual(get_translation(self.MODULE, "da_DK", code_term, ()), danish[code_term])


@tagged("post_install", "-at_install")
class TestTranslations(TranslationChecks, TransactionCase):
    MIN_TERMS = 200
