# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The health-check cron and the server actions, against the Pleo sandbox.

Proves that the hourly check costs one call per healthy connection; that a revoked key, a removed
scope or a deleted installation breaks the connection at once and tells the managers, while a
transient failure breaks it only after the threshold; that one connection's trouble never stops
the others; that progress is committed batch by batch, survives a crash and keeps to its time
budget; and that the server actions reach only the user's own companies.
"""

import uuid
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from ..pleolib import checks
from .common import HEALTH_LOGGER, ConnectedCase
from .pleo_sandbox import INSTALLATIONS, INTROSPECT


class HealthCase(ConnectedCase):
    def setUp(self):
        super().setUp()
        self.progress = []
        self.triggered = []
        self.startPatcher(
            patch.object(
                type(self.env["ir.cron"]),
                "_trigger",
                lambda cron, at=None: self.triggered.append(at),
            )
        )
        self.time_left = float("inf")
        self.age(scope_hours=1)
        self.sandbox.reset_requests()

    def fake_commit_progress(self, processed=0, *, remaining=None, deactivate=False):
        """Records each commit of progress; the time left is the test's to choose (a number,
        or a function called at each commit)."""
        self.progress.append((processed, remaining))
        self.env.flush_all()
        return self.time_left() if callable(self.time_left) else self.time_left

    def warnings(self, connection):
        warning = self.env.ref("mail.mail_activity_data_warning")
        return connection.activity_ids.filtered(lambda a: a.activity_type_id == warning)

    def broken_messages(self, connection):
        return connection.message_ids.filtered(
            lambda m: "The Pleo connection is broken" in (m.body or "")
        )


@tagged("post_install", "-at_install")
class TestHealthCheck(HealthCase):
    def test_cron_record_calls_the_health_check(self):
        cron = self.env.ref("pleo_connector.ir_cron_pleo_health_check")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "hours"))
        self.assertTrue(cron.active)
        # The scheduler runs jobs on a cursor of their own: share the test's.
        with self.enter_registry_test_mode(), mute_logger(HEALTH_LOGGER):
            cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(self.sandbox.count("GET", INSTALLATIONS), 2)

    def test_healthy_connections_cost_one_call_each(self):
        before = self.conn_a.last_check_date
        self.run_cron()
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(self.conn_b.state, "connected")
        self.assertGreater(self.conn_a.last_check_date, before)
        self.assertEqual(self.sandbox.count("GET", INSTALLATIONS), 2)
        self.assertEqual(self.sandbox.count(path=INTROSPECT), 0)
        self.assertEqual(self.progress[-1], (2, 0))

    def test_recently_checked_connections_are_skipped(self):
        self.run_cron()
        self.sandbox.reset_requests()
        self.run_cron()
        self.assertEqual(self.sandbox.count(), 0)

    def test_scope_check_when_due(self):
        self.age(scope_hours=48)
        self.run_cron()
        self.assertEqual(self.sandbox.count("GET", INTROSPECT), 2)
        self.assertEqual(self.conn_a.state, "connected")

    def test_revoked_key_breaks_at_once_and_tells_the_managers(self):
        self.sandbox.revoke_key(self.key_a)
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("Pleo rejected the stored API key", self.conn_a.last_error)
        self.assertEqual(self.conn_b.state, "connected")
        activity = self.warnings(self.conn_a)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager_a)
        self.assertEqual("Pleo connection broken", activity.summary)  # the reason: in the message
        message = self.broken_messages(self.conn_a)
        self.assertEqual(len(message), 1)
        self.assertIn(self.manager_a.partner_id, message.partner_ids)
        self.assertNotIn(self.manager_b.partner_id, message.partner_ids)
        # Still broken on the next runs: no new activity, no new message.
        for _run in range(2):
            self.age()
            self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertEqual(len(self.warnings(self.conn_a)), 1)
        self.assertEqual(len(self.broken_messages(self.conn_a)), 1)

    def test_a_broken_connection_is_told_in_the_managers_language(self):
        """The check runs as the cron's (English) user; company A's Pleo managers read Danish:
        the stored reason, the message and the activity are Danish."""
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms(["pleo_connector"], ["da_DK"], True)
        self.conn_a._pleo_managers().write({"lang": "da_DK"})
        self.assertIn(self.env.lang, (None, "en_US"))
        self.sandbox.revoke_key(self.key_a)
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertNotIn("Pleo rejected", self.conn_a.last_error)
        self.assertIn("Pleo", self.conn_a.last_error)
        danish = self.env(context={"lang": "da_DK"})
        self.assertEqual(self.warnings(self.conn_a).summary, danish._("Pleo connection broken"))
        self.assertNotEqual(danish._("Pleo connection broken"), "Pleo connection broken")

    def test_removed_scope(self):
        self.sandbox.set_scopes(self.key_a, ["export-jobs:read", "accounts:read"])
        self.run_cron()  # scope check not due yet: one call, nothing seen
        self.assertEqual(self.conn_a.state, "connected")
        self.age(scope_hours=48)
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("export-items:read", self.conn_a.last_error)
        self.assertEqual(self.conn_a.missing_scopes, "export-items:read export-jobs:write")
        # Pleo reissues the permissions: the next check (always full when broken) recovers.
        self.sandbox.set_scopes(self.key_a, list(self.sandbox_scopes()))
        self.age()
        self.run_cron()
        self.assertEqual(self.conn_a.state, "connected")
        self.assertFalse(self.conn_a.missing_scopes)
        self.assertFalse(self.warnings(self.conn_a))

    def sandbox_scopes(self):
        return self.sandbox.key_info(self.key_b)["scopes"]

    def test_installation_deleted_at_pleo(self):
        self.sandbox.delete_installation_for(self.key_a)
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("removed in Pleo", self.conn_a.last_error)

    def test_installation_not_activated(self):
        self.sandbox.set_installation_status(self.key_a, "ERROR", error_code="NOT_ENTITLED")
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("ERROR (NOT_ENTITLED)", self.conn_a.last_error)

    def test_subject_no_longer_matches(self):
        # Another Pleo company than the key's (not one bound elsewhere: the database refuses that).
        self.conn_a.sudo().pleo_company_uuid = str(uuid.uuid4())
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("belongs to Pleo company", self.conn_a.last_error)

    def test_undecryptable_key_is_a_broken_connection_not_a_crash(self):
        self.env.cr.execute(
            "UPDATE pleo_connection_key SET key_token = 'garbage' WHERE connection_id = %s",
            [self.conn_a.id],
        )
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("cannot be decrypted", self.conn_a.last_error)
        self.assertEqual(self.conn_b.state, "connected")

    def test_transient_failures_break_only_after_the_threshold(self):
        for fault in (
            {"kind": "slow", "latency": 3.0},
            {"kind": "status", "status": 500},
            {"kind": "rate_limit", "retry_after": 0},
            {"kind": "rate_limit"},
            {"kind": "garbage"},
        ):
            with self.subTest(**fault):
                self.conn_a.sudo().write({"state": "connected", "failure_streak": 0})
                self.sandbox.clear_faults()
                self.sandbox.inject_fault(INSTALLATIONS, **fault)
                for streak in (1, 2):
                    self.age(self.conn_a)
                    self.run_cron()
                    self.assertEqual(self.conn_a.state, "connected")
                    self.assertEqual(self.conn_a.failure_streak, streak)
                    self.assertTrue(self.conn_a.last_error)
                    self.assertFalse(self.warnings(self.conn_a))
                self.age(self.conn_a)
                self.run_cron()
                self.assertEqual(self.conn_a.state, "broken")
                self.assertEqual(self.conn_a.failure_streak, 3)
                self.assertEqual(len(self.warnings(self.conn_a)), 1)
                # Pleo is fine again: recovered by itself, activity closed.
                self.sandbox.clear_faults()
                self.age(self.conn_a)
                self.run_cron()
                self.assertEqual(self.conn_a.state, "connected")
                self.assertEqual(self.conn_a.failure_streak, 0)
                self.assertFalse(self.conn_a.last_error)
                self.assertFalse(self.warnings(self.conn_a))
                self.assertIn("works again", self.conn_a.message_ids[0].body)

    def test_threshold_is_a_server_option(self):
        self.sandbox.inject_fault(INSTALLATIONS, kind="status", status=503)
        with patch.dict(config.options, {"pleo_failure_threshold": "1"}):
            self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")

    def test_a_blip_is_retried_within_the_run(self):
        self.sandbox.inject_fault(INSTALLATIONS, kind="status", status=502, times=1)
        self.run_cron()
        self.assertEqual(self.conn_a.failure_streak + self.conn_b.failure_streak, 0)
        self.assertEqual(self.sandbox.count("GET", INSTALLATIONS), 3)

    def test_an_unexpected_exception_does_not_stop_the_others(self):
        original = checks.check_health

        def flaky(client, pleo_company_uuid, required_scopes=None):
            if pleo_company_uuid == self.pleo_a:
                raise RuntimeError("bug")
            return original(client, pleo_company_uuid, required_scopes)

        with patch.object(checks, "check_health", flaky):
            self.run_cron()
        self.assertEqual(self.conn_b.state, "connected")
        self.assertEqual(self.conn_a.failure_streak, 1)
        self.assertIn("Unexpected error", self.conn_a.last_error)
        self.assertEqual(self.progress[-1], (2, 0))


@tagged("post_install", "-at_install")
class TestHealthBatches(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.more_companies = cls.env["res.company"].create(
            [{"name": f"Odoo Company {n}"} for n in range(3)]
        )
        cls.more = cls.more_companies.pleo_connection_ids

    def setUp(self):
        super().setUp()
        for connection in self.more:
            pleo_company = self.sandbox.add_company("Pleo More")
            self.connect(connection, key=self.mint(pleo_company), user=self.env.user)
        self.all = self.conn_a | self.conn_b | self.more
        self.age(self.all)
        # Make the order explicit: conn_b is the longest unchecked, conn_a next.
        self.conn_b.sudo().last_check_date = fields.Datetime.now() - timedelta(days=3)
        self.conn_a.sudo().last_check_date = fields.Datetime.now() - timedelta(days=2)
        self.sandbox.reset_requests()

    def checked(self):
        recent = fields.Datetime.now() - timedelta(minutes=5)
        return self.all.filtered(lambda c: c.last_check_date >= recent)

    def test_progress_is_committed_batch_by_batch(self):
        self.run_cron(batch_size=2)
        self.assertEqual(self.progress, [(0, 5), (2, 3), (2, 1), (1, 0)])
        self.assertEqual(self.checked(), self.all)

    def test_a_crash_keeps_the_batches_done_and_a_rerun_continues(self):
        """A batch that crashes is rolled back alone: the other batches are checked in the same
        run, and the next run checks the crashed batch's connections."""
        original = type(self.Connection)._apply_outcomes
        calls = []

        def crash_on_second_batch(connections, outcomes):
            calls.append(connections)
            if len(calls) == 2:
                raise RuntimeError("simulated crash")
            return original(connections, outcomes)

        with patch.object(type(self.Connection), "_apply_outcomes", crash_on_second_batch):
            self.run_cron(batch_size=2)  # never raises
        crashed = calls[1]
        self.assertEqual(len(crashed), 2)
        self.assertEqual(self.checked(), self.all - crashed)
        self.assertEqual(self.progress, [(0, 5), (2, 3), (2, 1), (1, 0)])
        self.sandbox.reset_requests()
        self.run_cron(batch_size=2)
        self.assertEqual(self.checked(), self.all)
        self.assertEqual(self.sandbox.count("GET", INSTALLATIONS), 2)

    def test_database_work_does_not_grow_with_the_connections(self):
        def queries_for(connections):
            self.all.sudo().last_check_date = fields.Datetime.now()
            self.age(connections)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.run_cron()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        two = queries_for(self.conn_a | self.conn_b)
        five = queries_for(self.all)
        self.assertEqual(self.sandbox.count("GET", INSTALLATIONS), 7)
        self.assertLessEqual(five - two, 1, "no query per connection in a loop")

    def test_time_budget_reschedules_the_rest(self):
        """The first batch of a slice always runs; the next only if the slice can hold it.
        With work left, the cron reports it and wakes the scheduler for the next slice."""
        lefts = iter([5.0])  # a fresh slice, spent once the first batch is committed
        self.time_left = lambda: next(lefts, 0.0)
        self.run_cron(batch_size=2)
        self.assertEqual(len(self.checked()), 2)
        self.assertEqual(self.progress[-1][1], 3, "the connections still due are reported")
        self.assertEqual(self.triggered, [None])

    def test_a_spent_slice_starts_nothing(self):
        """Called again after its slice is spent (Odoo's runner does), the cron starts no
        batch: the next call, with a fresh slice, does."""
        self.time_left = 0
        self.run_cron(batch_size=2)
        self.assertFalse(self.checked())
        self.assertEqual(self.sandbox.count("GET", INSTALLATIONS), 0)
        self.assertEqual({done for done, _remaining in self.progress}, {0})
        self.assertEqual(self.progress[-1], (0, 5))
        self.assertEqual(self.triggered, [None])


@tagged("post_install", "-at_install")
class TestServerActions(HealthCase):
    def run_action(self, xmlid, connections, user):
        action = self.env.ref(xmlid).with_user(user)
        with mute_logger(HEALTH_LOGGER):
            return action.with_context(
                active_model="pleo.connection",
                active_ids=connections.ids,
                active_id=connections[:1].id,
            ).run()

    def test_validate_several_connections(self):
        admin = self.admin_a
        admin.company_ids |= self.company_b
        both = self.conn_a | self.conn_b
        result = self.run_action("pleo_connector.pleo_connection_action_validate_keys", both, admin)
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("2 succeeded, 0 failed", result["params"]["message"])
        self.assertEqual(self.sandbox.count("GET", INTROSPECT), 2)
        self.sandbox.revoke_key(self.key_b)
        result = self.run_action("pleo_connector.pleo_connection_action_validate_keys", both, admin)
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("1 succeeded, 1 failed", result["params"]["message"])
        message = result["params"]["message"]
        self.assertIn("Odoo Company B: Pleo rejected the stored API key", message)
        self.assertEqual(self.conn_b.state, "broken")
        self.assertEqual(len(self.warnings(self.conn_b)), 1)
        self.assertEqual(self.conn_a.state, "connected")

    def test_create_installations(self):
        self.sandbox.delete_installation_for(self.key_a)
        result = self.run_action(
            "pleo_connector.pleo_connection_action_create_installations",
            self.conn_a,
            self.manager_a,
        )
        self.assertEqual(result["params"]["type"], "success")
        installation = self.sandbox.installation_for(self.key_a)
        self.assertEqual(self.conn_a.installation_uuid, installation["id"])
        self.assertEqual(self.sandbox.count("POST", INSTALLATIONS), 1)

    def test_not_connected_connections_are_reported(self):
        self.conn_a.with_user(self.manager_a).action_disconnect()
        result = self.run_action(
            "pleo_connector.pleo_connection_action_validate_keys", self.conn_a, self.manager_a
        )
        self.assertIn("0 succeeded, 1 failed", result["params"]["message"])
        self.assertIn("paste an API key first", result["params"]["message"])

    def test_other_company_connection_is_out_of_reach(self):
        for xmlid in (
            "pleo_connector.pleo_connection_action_validate_keys",
            "pleo_connector.pleo_connection_action_create_installations",
        ):
            with self.subTest(xmlid=xmlid), self.assertRaises(AccessError):
                self.run_action(xmlid, self.conn_b, self.manager_a)
        self.assertEqual(self.sandbox.count(), 0)

    def test_only_pleo_managers(self):
        with self.assertRaises(AccessError):
            self.conn_a.with_user(self.accountant_a).action_validate_keys()
        for xmlid in (
            "pleo_connector.pleo_connection_action_validate_keys",
            "pleo_connector.pleo_connection_action_create_installations",
        ):
            with self.subTest(xmlid=xmlid), self.assertRaises(AccessError):
                self.run_action(xmlid, self.conn_a, self.accountant_a)
        bindings = self.env["ir.actions.actions"].with_user(self.accountant_a)
        names = [a["name"] for a in bindings.get_bindings("pleo.connection").get("action", [])]
        self.assertNotIn("Validate Pleo API key", names)
        bindings = bindings.with_user(self.manager_a)
        names = [a["name"] for a in bindings.get_bindings("pleo.connection")["action"]]
        self.assertIn("Validate Pleo API key", names)
        self.assertEqual(self.sandbox.count(), 0)
