# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One round per click, an honest badge after a rejection, and a manual health run that checks.

The settings form saves its record before it calls a button: a click of Save & Test is a
``create`` (the key's inverse tests it) then ``action_pleo_save_and_test``. Counted here: at most
4 requests to Pleo on a first connect (introspect, installation read, installation create,
company) and at most 3 on a re-test.
"""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..const import CRON_XMLID
from .common import PleoCase

HEALTH_LOGGER = "odoo.addons.pleo_connector.models.pleo_connection_health"


@tagged("post_install", "-at_install")
class TestOneRoundPerClick(PleoCase):
    def click_save_and_test(self, values):
        """What the web client does: save the settings record, then call the button on it."""
        settings = self.env["res.config.settings"].with_user(self.admin_a).create(values)
        return settings.action_pleo_save_and_test()

    def test_first_connect_makes_at_most_four_calls(self):
        self.sandbox.reset_requests()
        result = self.click_save_and_test({"pleo_api_key": self.mint()})
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(self.conn_a.state, "connected")
        self.assertLessEqual(self.sandbox.count(), 4, [r.path for r in self.sandbox.requests])

    def test_retest_makes_at_most_three_calls(self):
        self.click_save_and_test({"pleo_api_key": self.mint()})
        self.sandbox.reset_requests()
        result = self.click_save_and_test({})
        self.assertEqual(result["params"]["type"], "success")
        self.assertLessEqual(self.sandbox.count(), 3, [r.path for r in self.sandbox.requests])
        self.assertGreater(self.sandbox.count(), 0, "a re-test asks Pleo")

    def test_a_second_click_on_a_saved_record_tests_again(self):
        key = self.mint()
        settings = (
            self.env["res.config.settings"].with_user(self.admin_a).create({"pleo_api_key": key})
        )
        settings.action_pleo_save_and_test()
        self.sandbox.revoke_key(key)
        self.env["res.config.settings"].with_user(self.admin_a).create(
            {}
        ).action_pleo_save_and_test()
        self.assertEqual(self.conn_a.state, "broken")


@tagged("post_install", "-at_install")
class TestHonestAfterRejection(PleoCase):
    def test_stored_key_rejected_leaves_the_connection_broken(self):
        key = self.connect(self.conn_a)
        checked = self.conn_a.last_check_date
        self.sandbox.revoke_key(key)
        result = self.conn_a.with_user(self.manager_a).action_save_and_test()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("rejected", result["params"]["message"])
        self.env.invalidate_all()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("rejected", self.conn_a.last_error)
        self.assertGreaterEqual(self.conn_a.last_check_date, checked)
        self.assertTrue(
            self.env["mail.activity"].search(
                [("res_model", "=", "pleo.connection"), ("res_id", "=", self.conn_a.id)]
            ),
            "flagged as the health check would",
        )

    def test_a_transient_failure_keeps_the_state(self):
        self.connect(self.conn_a)
        self.sandbox.inject_fault("/v1/*", kind="status", status=503)
        with self.assertRaises(Exception):  # noqa: B017 - the UserError of Save & Test
            self.conn_a.with_user(self.manager_a).action_save_and_test()
        self.env.invalidate_all()
        self.assertEqual(self.conn_a.state, "connected")


@tagged("post_install", "-at_install")
class TestRunManuallyChecks(PleoCase):
    def test_run_manually_checks_connections_checked_minutes_ago(self):
        key = self.connect(self.conn_a)
        self.conn_a.sudo().last_check_date = fields.Datetime.now() - timedelta(minutes=5)
        self.sandbox.revoke_key(key)
        cron = self.env.ref(CRON_XMLID)
        cron_class = type(cron)
        with (
            self.enter_registry_test_mode(),
            patch.object(cron_class, "_commit_progress", lambda *a, **k: float("inf")),
            mute_logger(HEALTH_LOGGER),
        ):
            cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(self.conn_a.state, "broken")

    def test_the_crons_own_run_keeps_its_skip_window(self):
        key = self.connect(self.conn_a)
        self.conn_a.sudo().last_check_date = fields.Datetime.now() - timedelta(minutes=5)
        self.sandbox.revoke_key(key)
        cron_class = type(self.env["ir.cron"])
        with (
            patch.object(cron_class, "_commit_progress", lambda *a, **k: float("inf")),
            mute_logger(HEALTH_LOGGER),
        ):
            self.env["pleo.connection"]._cron_health_check()
        self.env.invalidate_all()
        self.assertEqual(self.conn_a.state, "connected")
