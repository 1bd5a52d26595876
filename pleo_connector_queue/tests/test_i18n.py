# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The addon ships its own complete translations, as pleo_connector does: the template
``i18n/pleo_connector_queue.pot`` holds exactly what Odoo's exporter reads from the addon, every
term is translated in each of Pleo's languages with its placeholders intact, and Odoo serves
them."""

import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

MODULE = "pleo_connector_queue"
POT = Path(__file__).resolve().parents[1] / "i18n" / f"{MODULE}.pot"
LANGUAGES = ("da", "sv", "nb", "de", "fr", "es", "nl")
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdi]|%[sdi]|\{[a-z_0-9]*\}")
REGENERATE = f"regenerate it: odoo-bin i18n export -c <odoo.conf> -d <db> {MODULE}"


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = [e for e in polib.pofile(str(POT)) if not e.obsolete]

    def test_the_template_is_what_odoos_exporter_reads(self):
        fresh = {
            source
            for _module, _type, _name, _id, source, _value, _comments in TranslationModuleReader(
                self.env.cr, modules=[MODULE]
            )
        }
        self.assertIn("Export queue", fresh)
        committed = {e.msgid for e in self.template}
        self.assertFalse(sorted(fresh - committed), f"terms missing from the .pot; {REGENERATE}")
        self.assertFalse(sorted(committed - fresh), f"stale terms in the .pot; {REGENERATE}")

    def test_every_term_is_translated_with_its_placeholders(self):
        for lang in LANGUAGES:
            path = POT.with_name(f"{lang}.po")
            with self.subTest(lang=lang):
                self.assertTrue(path.is_file(), f"{path.name} is missing")
                done = {e.msgid: e for e in polib.pofile(str(path)) if not e.obsolete}
                missing = [e.msgid for e in self.template if not done.get(e.msgid, e).msgstr]
                self.assertFalse(missing, f"{lang}: untranslated: {missing[:5]}")
                for entry in done.values():
                    self.assertEqual(
                        sorted(PLACEHOLDER.findall(entry.msgid)),
                        sorted(PLACEHOLDER.findall(entry.msgstr)),
                        f"{lang}: {entry.msgid}",
                    )
                    self.assertNotIn("fuzzy", entry.flags)

    def test_a_danish_pleo_manager_reads_danish(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["da_DK"], overwrite=True)
        fields = (
            self.env["pleo.connection"]
            .with_context(lang="da_DK")
            .fields_get(["export_queue_state"])
        )
        self.assertEqual(fields["export_queue_state"]["string"], "Eksportkø")
        env_da = self.env(context=dict(self.env.context, lang="da_DK"))
        self.assertEqual(env_da._("Running since %(when)s", when="1/12"), "Kører siden 1/12")
