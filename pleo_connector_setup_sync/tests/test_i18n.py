# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""pleo_connector_setup_sync ships complete translations for Pleo's markets (the checks of
``pleo_connector/tests/test_i18n.py``, on this addon's template)."""

from pathlib import Path

from odoo.tests import TransactionCase, tagged

from odoo.addons.pleo_connector.tests.test_i18n import TranslationChecks

MODULE = "pleo_connector_setup_sync"
POT = Path(__file__).resolve().parents[1] / "i18n" / f"{MODULE}.pot"


@tagged("post_install", "-at_install")
class TestTranslations(TranslationChecks, TransactionCase):
    MODULE = MODULE
    POT = POT
    MIN_TERMS = 60
    LABEL = ("pleo.setup.record", "kind")
