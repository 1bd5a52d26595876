# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Safe copies of the database and master-key rotation.

Proves that a neutralized copy never calls Pleo until a person enables it on purpose; that a
database restored without its encryption key says so once to system administrators and leaves
the connections as they are, while one undecryptable key among good ones breaks only that
connection; and that only system administrators rotate the master key, from A to B with nothing
lost (a key it cannot decrypt is reported, never dropped).
"""

from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.exceptions import AccessError, UserError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged
from odoo.tools import config

from .common import ConnectedCase


@tagged("post_install", "-at_install")
class TestNeutralization(ConnectedCase):
    def neutralize(self):
        self.env.flush_all()
        for query in get_neutralization_queries(["pleo_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()

    def test_neutralized_copy_never_calls_pleo(self):
        self.neutralize()
        self.assertEqual((self.conn_a | self.conn_b).mapped("state"), ["disabled", "disabled"])
        self.assertIn("neutralization", self.conn_a.last_error)
        manager = self.conn_a.with_user(self.manager_a)
        for act in (
            manager.action_save_and_test,
            lambda: manager.write({"api_key": self.mint()}),
            lambda: (
                self.env["pleo.rotate.key"]
                .with_user(self.manager_a)
                .create({"connection_id": self.conn_a.id, "new_api_key": self.mint()})
            ),
        ):
            with self.assertRaises(UserError) as caught:
                act()
            self.assertIn("disabled", str(caught.exception))
            self.assertIn("neutralized copy", str(caught.exception))
        self.age()
        self.run_cron()
        result = manager.action_validate_keys()
        self.assertIn("0 succeeded, 1 failed", result["params"]["message"])
        self.assertIn("disabled", result["params"]["message"])
        result = manager.action_create_installations()
        self.assertIn("0 succeeded, 1 failed", result["params"]["message"])
        self.assertEqual(self.conn_a.state, "disabled")
        # Disconnecting a disabled connection wipes the key without calling Pleo.
        manager.action_disconnect()
        self.assertFalse(self.stored_token(self.conn_a))
        self.assertEqual(self.sandbox.count(), 0)

    def test_enable_on_purpose(self):
        self.neutralize()
        with self.assertRaises(AccessError):
            self.conn_a.with_user(self.accountant_a).action_enable()
        self.conn_a.with_user(self.manager_a).action_enable()
        self.assertEqual(self.conn_a.state, "connected")
        self.assertFalse(self.conn_a.last_check_date)
        self.assertIn("enabled the Pleo connection", self.conn_a.message_ids[0].body)
        self.age()
        self.run_cron()
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(self.conn_b.state, "disabled")
        self.assertEqual(self.sandbox.count(), 1)


@tagged("post_install", "-at_install")
class TestEncryptionKeys(ConnectedCase):
    def with_keys(self, *keys):
        return patch.dict(config.options, {"pleo_encryption_keys": ",".join(keys)})

    def rotate(self, user=None):
        return self.env["pleo.connection"].with_user(user or self.admin_a)._rotate_encryption_keys()

    def fault_notices(self):
        return self.env["mail.message"].search(
            [("subject", "=", "Pleo: the encryption key of this server is missing or changed")]
        )

    def test_restored_without_its_encryption_key(self):
        """No stored key decrypts: one configuration fault told to system administrators once,
        not every connection flagged broken."""
        before = {c: (c.state, c.last_error) for c in (self.conn_a, self.conn_b)}
        with self.with_keys(Fernet.generate_key().decode()):
            settings = self.env["res.config.settings"].with_user(self.admin_a).create({})
            self.assertEqual(settings.pleo_state, "connected")
            with self.assertRaises(UserError) as caught:
                self.conn_a.with_user(self.manager_a).action_save_and_test()
            self.assertIn("cannot be decrypted", str(caught.exception))
            self.age()
            self.run_cron()
            self.age()
            self.run_cron()
        for connection, (state, last_error) in before.items():
            self.assertEqual((connection.state, connection.last_error), (state, last_error))
        notices = self.fault_notices()
        self.assertEqual(len(notices), 1, "said once, not once per connection nor per run")
        admins = self.env.ref("base.group_system").all_user_ids.filtered("active")
        self.assertTrue(notices.partner_ids)
        self.assertLessEqual(notices.partner_ids, admins.partner_id)
        self.assertIn("left as they are", notices.body)
        self.assertFalse(self.env["mail.activity"].search([("res_model", "=", "pleo.connection")]))
        self.assertEqual(self.sandbox.count(), 0)
        # With the encryption key back, the next run checks normally and a new fault is told again.
        self.age()
        self.run_cron()
        self.assertFalse(
            self.env["ir.config_parameter"].get_param("pleo_connector.encryption_fault_notified")
        )

    def test_one_undecryptable_key_among_good_ones_is_that_connection_broken(self):
        self.env.cr.execute(
            "UPDATE pleo_connection_key SET key_token = 'garbage' WHERE connection_id = %s",
            [self.conn_a.id],
        )
        self.age()
        self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("press Rotate Key", self.conn_a.last_error)
        self.assertEqual(self.conn_b.state, "connected")
        self.assertFalse(self.fault_notices())
        # Re-entering the key (Rotate Key with the same key) repairs the connection.
        self.env["pleo.rotate.key"].with_user(self.manager_a).create(
            {"connection_id": self.conn_a.id, "new_api_key": self.key_a}
        )
        self.assertEqual(self.conn_a.state, "connected")

    def test_rotate_a_to_b_then_drop_a(self):
        old = self.encryption_key
        new = Fernet.generate_key().decode()
        tokens = {c: self.stored_token(c) for c in (self.conn_a, self.conn_b)}
        with self.with_keys(new, old):
            report = self.rotate()
        self.assertEqual(
            {k: report[k] for k in ("rotated", "undecryptable", "total", "done")},
            {"rotated": 2, "undecryptable": [], "total": 2, "done": True},
        )
        for connection, token in tokens.items():
            self.assertNotEqual(self.stored_token(connection), token)
        with self.with_keys(new):
            for connection, manager in (
                (self.conn_a, self.manager_a),
                (self.conn_b, self.manager_b),
            ):
                connection.with_user(manager).action_save_and_test()
                self.assertEqual(connection.state, "connected")
            # Idempotent: rotating again changes nothing that matters.
            self.assertEqual(self.rotate()["rotated"], 2)
            self.conn_a.with_user(self.manager_a).action_save_and_test()
        with self.with_keys(old), self.assertRaises(UserError):
            self.conn_a.with_user(self.manager_a).action_save_and_test()

    def test_undecryptable_keys_are_reported_not_lost(self):
        self.env.cr.execute(
            "UPDATE pleo_connection_key SET key_token = 'not-a-token' WHERE connection_id = %s",
            [self.conn_b.id],
        )
        # The server action runs the re-encryption cron on a cursor of its own, as the
        # scheduler would: here the test's (registry test mode).
        with (
            self.with_keys(Fernet.generate_key().decode(), self.encryption_key),
            self.enter_registry_test_mode(),
        ):
            action = (
                self.env.ref("pleo_connector.pleo_connection_action_rotate_encryption_keys")
                .with_user(self.admin_a)
                .with_context(active_model="pleo.connection")
                .run()
            )
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("1 of 2 stored keys re-encrypted", action["params"]["message"])
        self.assertIn("Odoo Company B", action["params"]["message"])
        self.assertEqual(self.stored_token(self.conn_b), "not-a-token")

    def test_only_system_administrators(self):
        with self.assertRaises(AccessError):
            self.rotate(self.manager_a)
