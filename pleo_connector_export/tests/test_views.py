# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The connection's screens: one connection per company, so no New, Delete or Duplicate, and
no empty counter shown on a healthy connection. The Pleo menu's "Pleo drafts": the entries
booked from Pleo that wait for review, which Odoo's Journal Entries hide behind "Posted"."""

from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.pleo_connector.tests.common import PleoCase

from .common import ExportCase


@tagged("post_install", "-at_install")
class TestConnectionScreens(PleoCase):
    def arch(self, view_type):
        views = self.Connection.with_user(self.manager_a).get_views([(False, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def test_no_new_delete_or_duplicate(self):
        for view_type, refused in (
            ("list", ("create", "delete")),
            ("form", ("create", "delete", "duplicate")),
        ):
            root = self.arch(view_type)
            for attribute in refused:
                with self.subTest(view=view_type, attribute=attribute):
                    self.assertEqual(root.get(attribute), "false")

    def test_failed_checks_hidden_when_none(self):
        (field,) = self.arch("form").xpath("//field[@name='failure_streak']")
        self.assertEqual(field.get("invisible"), "not failure_streak")


@tagged("post_install", "-at_install")
class TestPleoDrafts(ExportCase):
    def opened(self, xmlid, user):
        """The entries an action shows ``user`` when opened from its menu, as the web client
        opens it: the action's domain and the search filters its context switches on."""
        action = self.env.ref(xmlid)
        context = safe_eval(action.context or "{}")
        Move = self.env["account.move"].with_user(user)
        views = Move.get_views([(action.search_view_id.id, "search")])
        search = etree.fromstring(views["views"]["search"]["arch"])
        domain = safe_eval(action.domain or "[]")
        for key, value in context.items():
            if key.startswith("search_default_") and value:
                (found,) = search.xpath(f"//filter[@name='{key.removeprefix('search_default_')}']")
                domain += safe_eval(found.get("domain") or "[]")
        return Move.search(domain)

    def test_pleo_drafts_opens_the_entries_from_pleo_to_review(self):
        job = self.add_job(n=3, types=["card_purchase"], supplier_currency="USD", seed="drafts")
        self.run_export()
        booked = self.moves()
        self.assertEqual(len(booked), 3, self.job(job).item_ids.mapped("failure_reason"))
        self.assertEqual(set(booked.mapped("state")), {"draft"})  # the connection does not post
        posted = booked[0]
        posted.action_post()
        manual = self.env["account.move"].create(
            {"move_type": "entry", "journal_id": self.journal.id, "ref": "not from Pleo"}
        )
        drafts = booked - posted

        # the Pleo menu opens the drafts, and a bookkeeper may open it
        menu = self.env.ref("pleo_connector_export.pleo_draft_move_menu")
        self.assertEqual(menu.parent_id, self.env.ref("pleo_connector_export.pleo_menu_root"))
        self.assertEqual(menu.action, self.env.ref("pleo_connector_export.pleo_draft_move_action"))
        self.assertIn(self.accountant_a, menu.group_ids.all_user_ids)
        shown = self.opened("pleo_connector_export.pleo_draft_move_action", self.accountant_a)
        self.assertEqual(shown.filtered(lambda m: m.company_id == self.company_a), drafts)
        self.assertNotIn(manual, shown)

        # Odoo's Journal Entries open on "Posted": without the Pleo menu the drafts are hidden
        journal_entries = self.opened("account.action_move_journal_line", self.accountant_a)
        self.assertIn(posted, journal_entries)
        self.assertFalse(journal_entries & drafts)


@tagged("post_install", "-at_install")
class TestRealtimeSetting(ExportCase):
    def test_settings_offer_the_real_time_export_to_an_administrator(self):
        """The real-time export is not auto-installed (its Python package may be missing):
        Settings offers it once the export is on, as Odoo offers its optional addons."""
        module = self.env["ir.module.module"].search([("name", "=", "pleo_connector_webhook")])
        if module:  # not when the export is tested alone on the addons path (Odoo's own runner)
            self.assertFalse(module.auto_install)
        Settings = self.env["res.config.settings"]
        self.assertIn("module_pleo_connector_webhook", Settings._fields)
        arch = etree.fromstring(Settings.get_views([(False, "form")])["views"]["form"]["arch"])
        (setting,) = arch.xpath("//setting[@id='pleo_export_realtime']")
        self.assertEqual(setting.xpath(".//field/@name"), ["module_pleo_connector_webhook"])
        self.assertIn("not pleo_export_enabled", setting.get("invisible"))
        # Odoo gives no default for an addon missing from the addons path (the export alone).
        defaults = Settings.default_get(["module_pleo_connector_webhook"])
        self.assertEqual(
            defaults.get("module_pleo_connector_webhook", False), module.state == "installed"
        )
