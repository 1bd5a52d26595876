# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The committed translation template ``i18n/pleo_connector.pot`` is current.

Odoo's exporter (``odoo-bin i18n export``) reads the terms from the module's code (every
``self.env._(...)``), its views, fields, selections, menus, actions and groups. This test runs
the same reader in memory and compares its terms with the committed file.
"""

from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

MODULE = "pleo_connector"
POT = Path(__file__).resolve().parents[1] / "i18n" / f"{MODULE}.pot"
REGENERATE = (
    f"regenerate it: odoo-bin i18n export -c <odoo.conf> -d <db with {MODULE} installed> {MODULE}"
)


@tagged("post_install", "-at_install")
class TestTranslationTemplate(TransactionCase):
    def fresh_terms(self):
        """The terms a fresh export of the module would hold: ``{msgid: {occurrence}}``."""
        terms = {}
        for module, ttype, name, res_id, source, _value, _comments in TranslationModuleReader(
            self.env.cr, modules=[MODULE]
        ):
            self.assertEqual(module, MODULE)
            terms.setdefault(source, set()).add(f"{ttype}:{name}:{res_id}")
        return terms

    def committed_terms(self):
        return {entry.msgid for entry in polib.pofile(str(POT)) if not entry.obsolete}

    def test_pot_exists_and_is_a_template(self):
        self.assertTrue(POT.is_file(), f"{POT} is missing; {REGENERATE}")
        pot = polib.pofile(str(POT))
        self.assertFalse([e.msgid for e in pot if e.msgstr], "a .pot has no translations")

    def test_every_term_of_a_fresh_export_is_in_the_pot(self):
        fresh = self.fresh_terms()
        # The reader sees the module's terms (the comparison below is not vacuous).
        for term in ("Save & Test", "Rotate Key", "Disconnect", "Not connected", "Pleo Manager"):
            self.assertIn(term, fresh)
        self.assertTrue(any("Pleo rejected the API key" in term for term in fresh))
        missing = sorted(set(fresh) - self.committed_terms())
        self.assertFalse(
            missing,
            f"{len(missing)} term(s) missing from {POT.name}: {missing[:10]}; {REGENERATE}",
        )

    def test_the_pot_holds_no_stale_term(self):
        stale = sorted(self.committed_terms() - set(self.fresh_terms()))
        self.assertFalse(
            stale, f"{len(stale)} term(s) of {POT.name} no longer exist: {stale[:10]}; {REGENERATE}"
        )
