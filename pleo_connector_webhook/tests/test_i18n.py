# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The addon's translations: its template is what Odoo's exporter reads from it, each of Pleo's
languages translates every term with the same placeholders, and a Danish reader reads the
real-time state in Danish."""

import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

I18N = Path(__file__).resolve().parents[1] / "i18n"
PLACEHOLDERS = re.compile(r"%\([a-z_0-9]+\)[sdi]|%[sdi]")


@tagged("post_install", "-at_install", "pleo_webhook")
class TestWebhookTranslations(TransactionCase):
    def test_template_and_languages(self):
        exported = {
            row[4] for row in TranslationModuleReader(self.env.cr, ["pleo_connector_webhook"])
        }
        template = {e.msgid for e in polib.pofile(str(I18N / "pleo_connector_webhook.pot"))}
        self.assertEqual(template, exported, "regenerate the .pot (odoo-bin i18n export)")
        for lang in ("da", "sv", "nb", "de", "fr", "es", "nl"):
            catalog = {e.msgid: e.msgstr for e in polib.pofile(str(I18N / f"{lang}.po"))}
            for msgid in template:
                translated = catalog.get(msgid)
                self.assertTrue(translated, f"{lang}: {msgid}")
                self.assertEqual(
                    sorted(PLACEHOLDERS.findall(msgid)),
                    sorted(PLACEHOLDERS.findall(translated)),
                    f"{lang}: {msgid}",
                )

    def test_a_danish_reader_reads_the_real_time_state_in_danish(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms(
            ["pleo_connector_webhook"], ["da_DK"], overwrite=True
        )
        connection = self.env.company.pleo_connection_ids
        connection.sudo().write({"webhook_state": "off", "webhook_reason": "not_connected"})
        danish = connection.with_context(lang="da_DK")
        self.assertEqual(danish.webhook_label, "Realtid: fra (ikke forbundet)")
        connection.sudo().webhook_state = "on"
        self.assertEqual(danish.webhook_label, "Realtid: til")
