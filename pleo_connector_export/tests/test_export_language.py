# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Words a person reads, in their language (issue "The bookkeeper's month-end, on screen").

The export and the health check store what they found (failure reasons, the job's activity,
chatter) and send the reasons to Pleo as they are. They are worded for the people who read them:
the company's Pleo managers when the scheduler runs, the person who pressed when a person
presses, never the cron's own user (OdooBot, in the database's first language). Codes are shown
by their labels, and menu paths are the menus' own names in the reader's language ("Invoicing"
in Odoo Community, "Accounting" where Odoo's full accounting renames the app).
"""

import json
from pathlib import Path

import polib

from odoo.tests import tagged

import odoo.addons.pleo_connector
from odoo.addons.pleo_connector.exceptions import CURRENCIES_MENU, menu_path
from odoo.addons.pleo_connector.pleolib.reasons import PHRASES, REASONS, WHERE

from .common import ExportCase
from .test_export import item_line, make_item
from .test_i18n import MODULE, POT


def danish(msgid):
    """The Danish translation shipped for ``msgid``: by the export, or by pleo_connector, whose
    ``exceptions.py`` words every failure reason pleolib reads."""
    base = Path(odoo.addons.pleo_connector.__file__).parent / "i18n" / "da.po"
    return next(
        e.msgstr
        for path in (POT.with_name("da.po"), base)
        for e in polib.pofile(str(path))
        if e.msgid == msgid
    )


TAX_UNKNOWN = (
    "Pleo tax code %(code)s has no purchase tax of that name in %(company)s: "
    "create it or map it in Pleo Connections › %(company)s › Taxes."
)
FIX_WHAT_FAILED = "Pleo export: fix what failed, then export again from Pleo"


@tagged("post_install", "-at_install")
class TestReadersLanguage(ExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("da_DK")
        cls.env["ir.module.module"]._load_module_terms([MODULE], ["da_DK"], overwrite=True)
        cls.env.user.lang = "en_US"  # the cron's user, and the one who runs the scheduler here

    def setUp(self):
        super().setUp()
        self.managers = self.conn_a._pleo_managers()
        self.managers.write({"lang": "da_DK"})
        self.manager_a.lang = "en_US"  # the one who presses, below; the others are Danish
        self.assertGreater(len(self.managers - self.manager_a), 0)

    def failed_item(self, job_uuid):
        return self.job(job_uuid).item_ids.filtered(lambda item: item.state == "failed")

    def test_the_scheduler_words_for_the_companys_pleo_managers(self):
        self.assertIn(self.env.lang, (None, "en_US"))
        job_uuid = self.add_job(
            items=[make_item(item_line(1000, tax=("X99", 0.25, "inclusive", 200)))]
        )
        self.run_export()
        item = self.failed_item(job_uuid)
        self.assertEqual(item.failure_type, "tax_code_unknown")
        prefix = danish(TAX_UNKNOWN).split("%(code)s")[0]
        self.assertTrue(prefix.strip())
        self.assertTrue(item.failure_reason.startswith(prefix), item.failure_reason)
        self.assertNotIn("has no purchase tax", item.failure_reason)
        # Pleo gets the same words; the job's activity is Danish too.
        row = self.pleo_job(job_uuid)["items"][0]
        self.assertEqual(row["failureReason"], item.failure_reason)
        self.assertEqual(row["failureReasonType"], "tax_code_unknown")
        self.assertEqual(self.job(job_uuid).activity_ids.summary, danish(FIX_WHAT_FAILED))
        # The code is shown by its label, in the reader's language.
        labels = dict(
            item.with_context(lang="da_DK")
            ._fields["failure_type"]
            ._description_selection(item.with_context(lang="da_DK").env)
        )
        self.assertEqual(labels["tax_code_unknown"], danish("Unknown tax code"))
        self.assertEqual(labels["tax_code_unknown"], "Ukendt momskode")

    def test_a_reason_read_in_pleolib_is_worded_in_the_readers_language(self):
        """pleolib's failures carry a reason and its data: the addon words them from the same
        table as its own, so a Danish manager reads Danish, the value's name too."""
        job_uuid = self.add_job(items=[make_item(item_line(1000), on="2025-13-45")])
        self.run_export()
        item = self.failed_item(job_uuid)
        self.assertEqual(item.failure_type, "validation_failure")
        where = danish(WHERE["entry"]) % {"entry": item.entry_uuid}
        expected = danish(REASONS["date_invalid"]) % {
            "where": where,
            "field": danish(PHRASES["date"]),
            "value": "2025-13-45",
        }
        self.assertEqual(item.failure_reason, expected)
        self.assertNotIn("is not a valid date", item.failure_reason)
        row = self.pleo_job(job_uuid)["items"][0]
        self.assertEqual(row["failureReason"], item.failure_reason)

    def test_a_press_words_for_who_pressed(self):
        job_uuid = self.add_job(
            items=[make_item(item_line(1000, tax=("X99", 0.25, "inclusive", 200)))]
        )
        connection = self.conn_a.with_user(self.manager_a)
        self.assertIn(connection.env.lang, (None, "en_US"))
        self.press(connection.action_fetch_exports)
        item = self.failed_item(job_uuid)
        self.assertIn("has no purchase tax of that name", item.failure_reason)

    def test_the_readers_are_the_most_managers(self):
        self.assertEqual(self.conn_a._readers_lang(), "da_DK")
        self.managers.write({"lang": "en_US"})
        self.assertEqual(self.conn_a._readers_lang(), "en_US")

    def test_a_menu_path_is_the_menus_own_names(self):
        """Odoo Community calls the app Invoicing: the message says so, and in Danish the
        Danish names of the same menus."""
        self.env.ref("base.ISK").active = False
        item = json.loads(json.dumps(make_item(item_line(1000))).replace('"USD"', '"ISK"'))
        job_uuid = self.add_job(items=[item])
        self.run_export()
        reason = self.failed_item(job_uuid).failure_reason
        english = menu_path(self.env, CURRENCIES_MENU)
        self.assertEqual(english, "Invoicing › Configuration › Currencies")
        path = menu_path(self.env(context={"lang": "da_DK"}), CURRENCIES_MENU)
        self.assertIn(path, reason)
        self.assertIn("ISK", reason)
        self.assertNotIn("Accounting ›", reason)
        self.assertNotIn("%(path)s", reason)
