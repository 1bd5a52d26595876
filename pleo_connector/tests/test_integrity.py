# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a hostile or careless writer cannot do to a connection, and what Pleo cannot break.

Proves: the rotate dialog reads no other company's connection; the addon-managed fields are
refused to users over the ORM; one Pleo company cannot be bound to two Odoo companies even when
the read-time check is raced; one connection whose answer the database refuses never stops the
health check for the others; refused rows never print the encrypted key; local checks run before
the first request to Pleo and Pleo's text is stored cleaned; Validate checks the installation too;
the chatter never shows the key's hint.
"""

from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, config, mute_logger

from .common import ConnectedCase, capture_every_log
from .pleo_sandbox import INSTALLATIONS


@tagged("post_install", "-at_install")
class TestRotateDialogReadsOnlyOwnConnection(ConnectedCase):
    SPEC = {"connection_id": {}, "key_hint": {}, "pleo_company_name": {}, "pleo_company_ref": {}}

    def wizard(self, user):
        return self.env["pleo.rotate.key"].with_user(user)

    def test_onchange_with_another_companys_connection_is_refused(self):
        for context, values in (
            ({"default_connection_id": self.conn_b.id}, {}),
            ({}, {"connection_id": self.conn_b.id}),
        ):
            with self.subTest(context=context, values=values), self.assertRaises(AccessError):
                self.wizard(self.manager_a).with_context(**context).onchange(values, [], self.SPEC)
        with self.assertRaises(AccessError):
            self.wizard(self.manager_a).with_context(
                default_connection_id=self.conn_b.id
            ).default_get(list(self.SPEC))
        with self.assertRaises(AccessError):
            self.wizard(self.manager_a).create({"connection_id": self.conn_b.id})

    def test_onchange_of_own_connection_shows_its_hint(self):
        result = (
            self.wizard(self.manager_a)
            .with_context(default_connection_id=self.conn_a.id)
            .onchange({}, [], self.SPEC)
        )
        self.assertEqual(result["value"]["key_hint"], self.conn_a.sudo().key_hint)
        self.assertEqual(result["value"]["pleo_company_name"], "Pleo Alpha ApS")


@tagged("post_install", "-at_install")
class TestManagedFields(ConnectedCase):
    def test_a_manager_cannot_write_any_managed_field(self):
        # The connection's own, the export's and the setup sync's (their addons add them).
        managed = self.env["pleo.connection"]._managed_fields()
        before = self.conn_a.sudo().read(managed)[0]
        values = {
            "state": "connected",
            "key_hint": "••••zzzz",
            "pleo_company_uuid": self.pleo_b,
            "pleo_company_name": "Forged",
            "installation_uuid": "forged",
            "installation_status": "ACTIVATED",
            "granted_scopes": "all",
            "missing_scopes": False,
            "connected_by_id": self.employee_a.id,
            "last_check_date": "2099-01-01 00:00:00",
            "last_scope_check_date": "2099-01-01 00:00:00",
            "last_error": "forged",
            "failure_streak": 2147483647,
            "key_token": "forged",
            "company_id": self.company_b.id,
            "setup_last_sync": "2099-01-01 00:00:00",
            "setup_summary": "forged",
            "setup_missing_scopes": "forged:scope",
            "sync_vendor_domain_uid": self.employee_a.id,
            "export_polled_at": "2099-01-01 00:00:00",
        }
        self.assertEqual(set(values), set(managed))
        for name, value in values.items():
            with self.subTest(field=name), self.assertRaises(AccessError) as caught:
                self.conn_a.with_user(self.manager_a).write({name: value})
            self.assertIn("managed by the connector", str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(self.conn_a.sudo().read(managed)[0], before)

    def test_a_user_cannot_create_a_connection_with_managed_values(self):
        company = self.env["res.company"].create({"name": "Odoo Company C"})
        company.pleo_connection_ids.sudo().unlink()
        self.manager_a.company_ids |= company
        with self.assertRaises(AccessError):
            self.Connection.with_user(self.manager_a).with_company(company).create(
                {"company_id": company.id, "state": "connected", "pleo_company_uuid": self.pleo_a}
            )

    def test_the_addon_itself_still_writes_them(self):
        self.conn_a.sudo().write({"failure_streak": 3, "last_error": "x"})
        self.assertEqual(self.conn_a.failure_streak, 3)

    def test_out_of_range_counter_is_refused_even_to_the_superuser(self):
        with self.assertRaises(ValidationError):
            self.conn_a.sudo().write({"failure_streak": 2147483647})


@tagged("post_install", "-at_install")
class TestOnePleoCompanyOneOdooCompany(ConnectedCase):
    def test_the_database_refuses_a_second_binding(self):
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.conn_b.sudo().write({"pleo_company_uuid": self.pleo_a})
            self.env.flush_all()

    def test_a_raced_check_ends_in_the_same_clear_message(self):
        """Two Save & Test at once both pass the read-time check; the index stops the second."""
        self.conn_b.sudo().action_disconnect()
        key = self.mint(self.pleo_a)
        connection_class = type(self.Connection)
        with (
            patch.object(connection_class, "_check_not_bound_elsewhere", lambda *a: None),
            self.assertRaises(UserError) as caught,
        ):
            self.connect(self.conn_b, key=key, user=self.manager_b)
        self.assertIn("already connected to another Odoo company", str(caught.exception))
        self.env.invalidate_all()
        self.assertNotEqual(self.conn_b.state, "connected")
        self.assertEqual(self.conn_a.state, "connected")


@tagged("post_install", "-at_install")
class TestOneBadConnectionNeverStopsTheOthers(ConnectedCase):
    def refuse_connected_writes_of(self, connection):
        """A database that refuses to store this connection as checked (a poisoned answer)."""
        self.env.cr.execute(
            """
            CREATE FUNCTION pleo_test_refuse() RETURNS trigger AS $$
            BEGIN
                IF NEW.id = %s AND NEW.state = 'connected'
                   AND NEW.last_check_date > OLD.last_check_date THEN
                    RAISE EXCEPTION 'refused by the test';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER pleo_test_refuse BEFORE UPDATE ON pleo_connection
                FOR EACH ROW EXECUTE FUNCTION pleo_test_refuse();
            """,
            [connection.id],
        )

    def test_a_refused_write_breaks_only_that_connection(self):
        self.refuse_connected_writes_of(self.conn_a)
        with mute_logger("odoo.sql_db"):
            self.age()
            self.run_cron()
        self.assertEqual(self.conn_a.state, "broken")
        self.assertIn("cannot store", self.conn_a.last_error)
        self.assertEqual(self.conn_b.state, "connected")
        self.assertGreater(
            self.conn_b.last_check_date, fields.Datetime.now() - timedelta(hours=1), "checked"
        )

    def test_a_nul_byte_or_lone_surrogate_from_pleo_is_stored_cleaned(self):
        self.sandbox.set_scopes(self.key_a, "ok\x00bad \ud800x " + " ".join(self.required()))
        self.conn_a.sudo().last_scope_check_date = False
        self.age()
        self.run_cron()
        self.assertEqual(self.conn_a.state, "connected")
        self.assertIn("okbad", self.conn_a.granted_scopes)
        self.assertNotIn("\x00", self.conn_a.granted_scopes)
        result = self.conn_a.with_user(self.manager_a).action_validate_keys()
        self.assertEqual(result["params"]["type"], "success")

    def required(self):
        return self.Connection._required_scopes()

    def test_the_failure_counter_stops_at_its_ceiling(self):
        self.conn_a.sudo().failure_streak = 1000
        self.sandbox.inject_fault(INSTALLATIONS, kind="status", status=500, times=50)
        self.age(self.conn_a)
        self.run_cron()
        self.assertEqual(self.conn_a.failure_streak, 1000)
        self.assertEqual(self.conn_a.state, "broken")


@tagged("post_install", "-at_install")
class TestRefusedRowsNeverPrintTheKey(ConnectedCase):
    def test_empty_required_values_are_refused_before_sql(self):
        token = self.stored_token(self.conn_a)
        for values in ({"environment": False}, {"state": False}, {"company_id": False}):
            for env_user in (self.manager_a, None):
                record = self.conn_a.with_user(env_user) if env_user else self.conn_a.sudo()
                with (
                    self.subTest(values=values, user=env_user and env_user.login),
                    capture_every_log(redact=False) as logs,
                    self.assertRaises(UserError) as caught,
                ):
                    record.write(values)
                    self.env.flush_all()
                self.assertNotIn("Failing row", str(caught.exception))
                for fragment in (token[:16], token[-16:]):
                    self.assertNotIn(fragment, str(caught.exception))
                    self.assertNotIn(fragment, "\n".join(logs))

    def test_every_required_and_selection_field_is_checked_before_sql(self):
        """The red team's payload: the export's required selection emptied over RPC printed
        PostgreSQL's "Failing row contains (...)" with the key's hint and ciphertext."""
        for values in (
            {"export_locked_period": False},
            {"export_locked_period": "evil"},
            {"environment": None},
        ):
            with (
                self.subTest(values=values),
                capture_every_log(redact=False) as logs,
                self.assertRaises(ValidationError) as caught,
            ):
                self.conn_a.with_user(self.manager_a).write(values)
                self.env.flush_all()
            self.assertNotIn("Failing row", str(caught.exception) + "\n".join(logs))

    def test_a_row_the_database_refuses_never_holds_the_key(self):
        """Whatever PostgreSQL refuses in a connection's row and prints, the encrypted key is
        not in it: the ciphertext lives in a table of its own (pleo.connection.key)."""
        token = self.stored_token(self.conn_a)
        self.assertTrue(token)
        self.env.flush_all()
        self.env.cr.execute(
            "ALTER TABLE pleo_connection ADD CONSTRAINT pleo_test_refuse "
            "CHECK (last_error IS DISTINCT FROM 'refuse me') NOT VALID"
        )
        with (
            capture_every_log(redact=False) as logs,
            self.assertRaises(psycopg2.errors.CheckViolation) as caught,
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.conn_a.sudo().write({"last_error": "refuse me"})
            self.env.flush_all()
        printed = str(caught.exception) + "\n".join(logs)
        self.assertIn("Failing row contains", printed)
        for fragment in (token[:16], token[-16:]):
            self.assertNotIn(fragment, printed)
        columns = self.env.execute_query(
            SQL(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                "pleo_connection",
            )
        )
        self.assertNotIn(("key_token",), columns)

    def test_an_unknown_environment_is_refused(self):
        with self.assertRaises(ValidationError):
            self.conn_a.with_user(self.manager_a).write({"environment": "evil"})


@tagged("post_install", "-at_install")
class TestLocalChecksFirst(ConnectedCase):
    def test_unknown_environment_calls_pleo_never(self):
        self.conn_a.sudo().action_disconnect()
        self.sandbox.reset_requests()
        with self.assertRaises(UserError) as caught:
            self.conn_a.with_user(self.manager_a)._connect(self.mint(), "evil")
        self.assertIn("Production or Staging", str(caught.exception))
        settings = self.env["res.config.settings"].with_user(self.admin_a)
        with self.assertRaises(UserError):
            settings.create({"pleo_environment": "evil", "pleo_api_key": self.mint()})
        self.assertEqual(self.sandbox.count(), 0)

    def test_broken_encryption_configuration_calls_pleo_never(self):
        self.conn_a.sudo().action_disconnect()
        self.sandbox.reset_requests()
        with (
            patch.dict(config.options, {"pleo_encryption_keys": "not-a-fernet-key"}),
            self.assertRaises(UserError),
        ):
            self.connect(self.conn_a, key=self.mint())
        self.assertEqual(self.sandbox.count(), 0)

    def test_a_company_name_with_nul_and_lone_surrogate_is_stored_cleaned(self):
        pleo = self.sandbox.add_company("Nord\x00lys \ud800ApS")
        self.conn_a.sudo().action_disconnect()
        self.connect(self.conn_a, key=self.mint(pleo))
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(self.conn_a.pleo_company_name, "Nordlys ?ApS")


@tagged("post_install", "-at_install")
class TestValidateChecksWhatItDeclares(ConnectedCase):
    def test_validate_breaks_a_connection_whose_installation_was_deleted(self):
        self.sandbox.delete_installation_for(self.key_a)
        result = self.conn_a.with_user(self.manager_a).action_validate_keys()
        self.env.invalidate_all()
        self.assertIn("0 succeeded, 1 failed", result["params"]["message"])
        self.assertNotEqual(self.conn_a.state, "connected")


@tagged("post_install", "-at_install")
class TestChatterHoldsNoHint(ConnectedCase):
    def test_rotation_message_has_no_hint(self):
        new_key = self.mint()
        self.env["pleo.rotate.key"].with_user(self.manager_a).create(
            {"connection_id": self.conn_a.id, "new_api_key": new_key}
        )
        bodies = " ".join(self.conn_a.message_ids.mapped("body"))
        self.assertIn("replaced the Pleo API key", bodies)
        for key in (new_key, self.key_a):
            self.assertNotIn(key[-4:], bodies)
