# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The screens as an accountant meets them: the person stays at the Pleo block after an action,
a broken connection says why once (short elsewhere) with advice that fits the screen, readable
statuses and no raw ids, one connection per company with a menu for every Pleo Manager, no
silent saves, and help where Odoo's own blocks have it."""

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import ConnectedCase, PleoCase

CLOSE = {"type": "ir.actions.act_window_close"}


def arch(model, view_type, user, view_ref=None):
    views = model.with_user(user).get_views([(view_ref, view_type)])
    return etree.fromstring(views["views"][view_type]["arch"])


@tagged("post_install", "-at_install")
class TestStayAtThePleoBlock(PleoCase):
    """An action's answer reloads the record in place (the form keeps its scroll position),
    instead of restoring the whole settings action, which scrolls back to the top."""

    def settings(self, values=None, user=None):
        return self.env["res.config.settings"].with_user(user or self.admin_a).create(values or {})

    def test_save_and_test_disconnect_and_rotate_reload_in_place(self):
        settings = self.settings({"pleo_api_key": self.mint()})
        self.assertEqual(settings.action_pleo_save_and_test()["params"]["next"], CLOSE)
        rotate = self.env["pleo.rotate.key"].with_user(self.manager_a)
        wizard = rotate.create({"connection_id": self.conn_a.id, "new_api_key": self.mint()})
        self.assertEqual(wizard.action_rotate()["params"]["next"], CLOSE)
        self.assertEqual(self.settings().action_pleo_disconnect()["params"]["next"], CLOSE)

    def test_a_second_press_on_the_same_record_tests_again(self):
        # The record stays on screen after the first press: the next press must ask Pleo.
        key = self.mint()
        settings = self.settings({"pleo_api_key": key})
        settings.action_pleo_save_and_test()
        self.sandbox.revoke_key(key)
        self.sandbox.reset_requests()
        result = settings.action_pleo_save_and_test()
        self.assertGreater(self.sandbox.count(), 0)
        self.assertEqual(result["params"]["type"], "danger")
        self.assertEqual(self.conn_a.state, "broken")


@tagged("post_install", "-at_install")
class TestBrokenSaysWhyOnce(ConnectedCase):
    def break_a(self):
        self.sandbox.revoke_key(self.key_a)
        self.age(self.conn_a)
        self.run_cron()

    def test_settings_badge_is_short_and_the_reason_sits_in_an_alert(self):
        root = arch(self.env["res.config.settings"], "form", self.admin_a)
        (badge,) = root.xpath("//div[@name='pleo_status']/span[contains(., 'Broken')]")
        self.assertEqual(badge.xpath(".//field"), [], "no text of the error in the badge")
        alert_path = "//div[contains(@class, 'alert-danger')][field[@name='pleo_last_error']]"
        (alert,) = root.xpath(alert_path)
        self.assertEqual(alert.get("invisible"), "pleo_state != 'broken'")

    def test_the_reason_is_written_once_and_not_repeated_on_closing(self):
        self.break_a()
        reason = self.conn_a.last_error
        self.assertTrue(reason)
        (activity,) = self.conn_a.activity_ids
        self.assertEqual(activity.summary, "Pleo connection broken")
        self.assertNotIn(reason[:40], str(activity.note or ""))
        self.conn_a.with_user(self.manager_a).write({"api_key": self.mint()})
        bodies = [str(m.body) for m in self.conn_a.message_ids]
        self.assertEqual(sum(reason[:40] in body for body in bodies), 1, bodies)

    def test_advice_names_rotate_key_where_there_is_no_key_field(self):
        self.break_a()
        self.assertIn("Rotate Key", self.conn_a.last_error)
        self.assertNotIn("paste it again", self.conn_a.last_error)

    def test_advice_for_a_typed_key_says_paste(self):
        # The rotation dialog has a key field: a rejected new key is pasted again there.
        key = self.mint()
        self.sandbox.revoke_key(key)
        rotate = self.env["pleo.rotate.key"].with_user(self.manager_a)
        with self.assertRaisesRegex(UserError, "paste it again"):
            rotate.create({"connection_id": self.conn_a.id, "new_api_key": key})

    def test_broken_shows_its_failed_checks_and_a_readable_installation(self):
        self.assertEqual(self.conn_a.installation_status, "ACTIVATED")
        self.assertEqual(self.conn_a.installation_status_label, "Active")
        self.break_a()
        self.assertEqual(self.conn_a.failure_streak, 1)
        form = arch(self.Connection, "form", self.manager_a)
        shown = {f.get("name") for f in form.xpath("//sheet//field")}
        self.assertIn("installation_status_label", shown)
        self.assertNotIn("installation_status", shown)
        settings = arch(self.env["res.config.settings"], "form", self.admin_a)
        self.assertTrue(settings.xpath("//field[@name='pleo_failure_streak']"))
        self.assertTrue(settings.xpath("//field[@name='pleo_installation_status_label']"))

    def test_the_chatter_shows_no_raw_ids(self):
        tracked = self.conn_a.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertNotIn("pleo_company_uuid", tracked)
        for message in self.conn_a.message_ids:
            self.assertNotIn(self.pleo_a, str(message.body))


@tagged("post_install", "-at_install")
class TestOneSpellingOfApiKey(PleoCase):
    def test_api_key_is_spelled_one_way(self):
        # "Integrated API Key" is Pleo's product name; everywhere else: "API key".
        texts = []
        for model in ("pleo.connection", "res.config.settings", "pleo.rotate.key"):
            fields_info = self.env[model].fields_get(attributes=["string", "help"])
            ours = [
                info
                for name, info in fields_info.items()
                if self.env[model]._fields[name]._module == "pleo_connector"
            ]
            texts += [info.get("string", "") for info in ours]
            texts += [info.get("help", "") for info in ours]
            texts.append(self.env["ir.model"]._get(model).name)
        views = self.env["ir.ui.view"].search([("model_data_id.module", "=", "pleo_connector")])
        texts += views.mapped("arch_db")
        actions = self.env["ir.actions.server"].search([("model_id.model", "=", "pleo.connection")])
        texts += actions.mapped("name")
        offenders = [t for t in texts if "API Key" in t.replace("Integrated API Key", "")]
        self.assertEqual(offenders, [])


@tagged("post_install", "-at_install")
class TestOneConnectionPerCompanyScreens(PleoCase):
    def test_list_gives_the_company_its_width_and_a_card_view_exists(self):
        root = arch(self.Connection, "list", self.manager_a)
        (company,) = root.xpath("//field[@name='company_id']")
        self.assertIsNone(company.get("width"))
        kanban = arch(self.Connection, "kanban", self.manager_a)
        self.assertIn("o_kanban_mobile", kanban.get("class"))
        self.assertEqual((kanban.get("create"), kanban.get("delete")), ("false", "false"))
        action = self.env.ref("pleo_connector.pleo_connection_action")
        self.assertIn("kanban", action.view_mode.split(","))

    def test_the_menu_is_a_section_of_configuration(self):
        menu = self.env.ref("pleo_connector.pleo_connection_menu")
        self.assertEqual(menu.parent_id, self.env.ref("pleo_connector.pleo_configuration_menu"))
        configuration = self.env.ref("account.menu_finance_configuration")
        self.assertEqual(menu.parent_id.parent_id, configuration)

    def test_a_pleo_manager_alone_has_a_menu(self):
        user = new_test_user(
            self.env,
            "pleo_manager_only",
            groups="base.group_user,pleo_connector.group_pleo_manager",
            company_id=self.company_a.id,
            company_ids=[self.company_a.id],
        )
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
        xmlids = {m.get("xmlid") for m in menus.values() if isinstance(m, dict)}
        self.assertNotIn("account.menu_finance", xmlids, "not an accountant")
        self.assertIn("pleo_connector.pleo_app_connection_menu", xmlids)


@tagged("post_install", "-at_install")
class TestNoSilentSaves(PleoCase):
    def bus_messages(self):
        self.env.flush_all()
        self.env.cr.precommit.run()  # what a commit does first: it writes the bus's rows
        notices = self.env["bus.bus"].sudo().search([], order="id desc", limit=20)
        return [n.message for n in notices if "simple_notification" in n.message]

    def test_the_top_save_says_what_it_connected(self):
        before = self.bus_messages()
        settings = self.env["res.config.settings"].with_user(self.admin_a)
        settings.create({"pleo_api_key": self.mint()}).execute()
        self.assertEqual(self.conn_a.state, "connected")
        new = [m for m in self.bus_messages() if m not in before]
        self.assertEqual(len(new), 1, new)
        self.assertIn("Pleo Alpha ApS", new[0])

    def test_save_and_test_says_which_other_settings_it_saved(self):
        param = self.env["ir.config_parameter"].sudo()
        was = bool(param.get_param("account.show_sale_receipts"))
        settings = self.env["res.config.settings"].with_user(self.admin_a)
        record = settings.create({"pleo_api_key": self.mint(), "show_sale_receipts": not was})
        result = record.action_pleo_save_and_test()
        self.assertEqual(result["params"]["type"], "success")
        label = record._fields["show_sale_receipts"].string
        self.assertIn(label, result["params"]["message"])
        self.assertEqual(bool(param.get_param("account.show_sale_receipts")), not was)

    def test_save_and_test_alone_mentions_nothing_else(self):
        settings = self.env["res.config.settings"].with_user(self.admin_a)
        result = settings.create({"pleo_api_key": self.mint()}).action_pleo_save_and_test()
        self.assertNotIn("saved too", result["params"]["message"])


@tagged("post_install", "-at_install")
class TestHelpWhereOdooHasIt(PleoCase):
    def test_documentation_key_link_environments_and_next_check(self):
        root = arch(self.env["res.config.settings"], "form", self.admin_a)
        (setting,) = root.xpath("//setting[@id='pleo_connection']")
        self.assertTrue(setting.get("documentation", "").startswith("https://"))
        self.assertTrue(setting.xpath(".//a[starts-with(@href, 'https://app.pleo.io')]"))
        text = " ".join(setting.itertext())
        self.assertIn("Staging is Pleo's partner", text)
        self.assertTrue(setting.xpath(".//field[@name='pleo_next_check_date']"))
        cron = self.env.ref("pleo_connector.ir_cron_pleo_health_check")
        settings = self.env["res.config.settings"].with_user(self.admin_a).create({})
        self.assertEqual(settings.pleo_next_check_date, cron.nextcall)
