# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Save & Test, rotation and disconnection against the Pleo sandbox over loopback.

Proves that a valid key connects with exactly one installation (re-used or reactivated later);
that every kind of refused key (unknown, revoked, expired, other environment, OAuth token,
missing scopes, malformed, another Pleo company) gets its own actionable message and stores
nothing; that Pleo's faults during Save & Test and Rotate keep what was there; and that rotate and
disconnect change the key and the installation only when Pleo agrees.
"""

import os
import shutil
import tempfile
from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from ..models.pleo_connection import PleoConnection
from ..models.pleo_connection_vault import _get_vault
from ..pleolib.network import CA_BUNDLE_VARIABLES, PROXY_VARIABLES
from .common import PleoCase
from .pleo_sandbox import INSTALLATIONS, INTROSPECT
from .pleo_sandbox.proxy import ConnectProxy
from .tls_tools import TlsFront, make_pki


@tagged("post_install", "-at_install")
class TestSaveAndTest(PleoCase):
    def test_valid_key_connects_and_creates_one_installation(self):
        key = self.connect()
        conn = self.conn_a
        self.assertEqual(conn.state, "connected")
        self.assertEqual(conn.pleo_company_uuid, self.pleo_a)
        self.assertEqual(conn.pleo_company_name, "Pleo Alpha ApS")
        self.assertEqual(conn.installation_status, "ACTIVATED")
        installation = self.sandbox.installation_for(key)
        self.assertEqual(conn.installation_uuid, installation["id"])
        self.assertEqual(installation["metadata"]["odoo"]["companyId"], self.company_a.id)
        self.assertEqual(self.sandbox.count("POST", INSTALLATIONS), 1)
        self.assertEqual(conn.with_user(self.manager_a).key_hint, "••••" + key[-4:])
        self.assertIn("export-jobs:read", conn.granted_scopes.split())
        self.assertFalse(conn.missing_scopes)
        self.assertTrue(conn.last_check_date)
        self.assertFalse(conn.last_error)
        token = self.stored_token(conn)
        self.assertNotIn(key, token)
        self.assertEqual(_get_vault()[0].decrypt(token), key)
        self.assertIn(
            "connected this company to Pleo company Pleo Alpha ApS", conn.message_ids[0].body
        )

    def test_retest_reuses_the_installation(self):
        key = self.connect()
        first = self.conn_a.installation_uuid
        messages = self.conn_a.message_ids
        token = self.stored_token(self.conn_a)
        action = self.conn_a.with_user(self.manager_a).action_save_and_test()
        # Testing the same key again says nothing new in the chatter and keeps the stored key.
        self.assertEqual(self.conn_a.message_ids, messages)
        self.assertEqual(self.stored_token(self.conn_a), token)
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Pleo Alpha ApS", action["params"]["message"])
        self.connect(key=key)
        self.assertEqual(self.conn_a.installation_uuid, first)
        self.assertEqual(self.sandbox.count("POST", INSTALLATIONS), 1)
        self.assertGreaterEqual(self.sandbox.count("GET", INSTALLATIONS), 3)

    def test_existing_inactive_installation_is_reactivated(self):
        key = self.connect()
        self.sandbox.set_installation_status(key, "INACTIVE")
        self.conn_a.with_user(self.manager_a).action_save_and_test()
        self.assertEqual(self.conn_a.installation_status, "ACTIVATED")
        self.assertEqual(self.sandbox.installation_for(key)["status"], "ACTIVATED")
        self.assertEqual(self.sandbox.count("PUT", INSTALLATIONS), 1)

    def test_key_is_trimmed(self):
        key = self.mint()
        self.connect(key=f"  {key}\n")
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(_get_vault()[0].decrypt(self.stored_token(self.conn_a)), key)

    def test_company_name_needs_no_scope(self):
        scopes = [s for s in self.sandbox_default_scopes() if s != "companies:read"]
        self.connect(key=self.mint(scopes=scopes))
        self.assertEqual(self.conn_a.state, "connected")
        self.assertFalse(self.conn_a.pleo_company_name)
        self.assertEqual(self.conn_a.pleo_company_uuid, self.pleo_a)

    def sandbox_default_scopes(self):
        return list(self.sandbox_module.DEFAULT_SCOPES)

    def test_settings_screen_connects_the_current_company(self):
        key = self.mint()
        settings = (
            self.env["res.config.settings"]
            .with_user(self.admin_a)
            .create({"pleo_api_key": key, "pleo_environment": "production"})
        )
        self.assertEqual(settings.pleo_state, "connected")
        self.assertEqual(settings.pleo_company_name, "Pleo Alpha ApS")
        self.assertEqual(self.conn_a.state, "connected")
        action = settings.action_pleo_save_and_test()
        self.assertEqual(action["params"]["type"], "success")
        self.env.cr.execute("SELECT * FROM res_config_settings WHERE id = %s", [settings.id])
        self.assertNotIn(key, repr(self.env.cr.fetchall()))

    def test_every_company_has_its_connection(self):
        company = self.env["res.company"].create({"name": "Odoo Company C"})
        self.assertEqual(company.pleo_connection_ids.state, "draft")
        self.assertEqual(
            self.env["pleo.connection"].search_count([]),
            self.env["res.company"].search_count([]),
        )
        self.env.user.company_ids |= company
        settings = self.env["res.config.settings"].with_company(company).create({})
        self.assertEqual(settings.pleo_connection_id, company.pleo_connection_ids)
        self.assertEqual(settings.pleo_state, "draft")
        settings.pleo_api_key = self.mint(self.sandbox.add_company("Pleo Gamma"))
        self.assertEqual(settings.pleo_state, "connected")
        self.assertEqual(company.pleo_connection_ids.state, "connected")

    def test_settings_create_a_missing_connection(self):
        self.conn_a.unlink()
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.pleo_connection_id)
        settings.pleo_api_key = self.mint()
        self.assertEqual(self.company_a.pleo_connection_ids.state, "connected")


@tagged("post_install", "-at_install")
class TestRefusedKeys(PleoCase):
    """Every refused key: a clear message, nothing stored, the previous state untouched."""

    def assertRefused(self, key, message, connection=None):
        connection = connection or self.conn_a
        before = connection.read(
            ["state", "pleo_company_uuid", "installation_uuid", "last_error", "last_check_date"]
        )
        token = self.stored_token(connection)
        with self.assertRaises(UserError) as caught, mute_logger("odoo.addons.pleo_connector"):
            self.connect(connection=connection, key=key)
        self.assertIn(message, str(caught.exception))
        connection.invalidate_recordset()
        self.assertEqual(connection.read(list(before[0]))[0], before[0])
        self.assertEqual(self.stored_token(connection), token)
        if isinstance(key, str) and len(key) > 8:
            self.assertNotIn(key.strip(), str(caught.exception))
        return caught.exception

    def test_unknown_key(self):
        self.assertRefused("x" * 40, "Pleo rejected the API key")
        self.assertEqual(self.sandbox.count("POST", INSTALLATIONS), 0)

    def test_revoked_key(self):
        key = self.mint()
        self.sandbox.revoke_key(key)
        self.assertRefused(key, "revoked")

    def test_expired_key(self):
        key = self.mint()
        self.sandbox.expire_key(key)
        self.assertRefused(key, "expired")

    def test_key_of_the_other_environment(self):
        self.assertRefused(self.mint(environment="staging"), "another Pleo environment")

    def test_staging_key_on_a_staging_connection(self):
        self.conn_a.environment = "staging"
        self.connect(key=self.mint(environment="staging"))
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(self.sandbox.count(path=INTROSPECT), 1)
        self.assertEqual(self.sandbox.requests[0].environment, "staging")

    def test_oauth_token_instead_of_an_api_key(self):
        self.assertRefused(self.mint(auth_method="OAUTH2"), "not an Integrated API Key")
        self.assertEqual(self.sandbox.count("POST", INSTALLATIONS), 0)

    def test_missing_scopes_are_named(self):
        key = self.mint(scopes=["export-jobs:read", "accounts:read"])
        exc = self.assertRefused(key, "lacks the permissions")
        self.assertIn("export-items:read", str(exc))
        self.assertIn("export-jobs:write", str(exc))
        self.assertEqual(self.sandbox.count("POST", INSTALLATIONS), 0)

    def test_required_scopes_are_extensible(self):
        key = self.mint()
        original = PleoConnection._required_scopes

        def more_scopes(model):
            return [*original(model), "tax-codes:write"]

        with patch.object(PleoConnection, "_required_scopes", more_scopes):
            exc = self.assertRefused(key, "lacks the permissions")
        self.assertIn("tax-codes:write", str(exc))

    def test_organization_key(self):
        self.assertRefused(self.mint(subject_kind="organization"), "not to a single Pleo company")

    def test_malformed_keys_never_reach_pleo(self):
        for key, message in [
            ("   ", ""),
            ("abc def ghi jkl", "spaces or line breaks"),
            ("abcdefgh\r\nX-Injected: 1", "spaces or line breaks"),
            ("clé-non-ascii-éèà", ""),
            ("k" * 10_000, ""),
            ("https://external.pleo.io/v1/introspect", ""),
            ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", ""),
        ]:
            with self.subTest(key=key[:20]):
                self.assertRefused(key, message)
        # An empty input is no key at all: saving the form changes nothing.
        self.conn_a.with_user(self.manager_a).write({"api_key": ""})
        self.assertEqual(self.conn_a.state, "draft")
        self.assertEqual(self.sandbox.count(), 0)

    def test_key_of_another_pleo_company_while_bound(self):
        self.connect()
        exc = self.assertRefused(self.mint(self.pleo_b), "belongs to Pleo company Pleo Beta AB")
        self.assertIn("connected to Pleo Alpha ApS", str(exc))
        self.assertIn("disconnect first", str(exc))

    def test_another_pleo_company_of_the_same_name_is_told_apart_by_its_id(self):
        """A demo's fake Pleo restarted with a new company of the same name: the refusal
        names both ids, not "Pleo Alpha ApS, but ... connected to Pleo Alpha ApS"."""
        self.connect()
        twin = self.sandbox.add_company("Pleo Alpha ApS")
        exc = self.assertRefused(self.mint(twin), "belongs to Pleo company Pleo Alpha ApS")
        self.assertIn(f"Pleo Alpha ApS ({twin})", str(exc))
        self.assertIn(f"connected to Pleo Alpha ApS ({self.pleo_a})", str(exc))

    def test_same_pleo_company_on_two_odoo_companies(self):
        self.connect()
        with self.assertRaises(UserError) as caught:
            self.connect(connection=self.conn_b, key=self.mint(), user=self.manager_b)
        self.assertIn("already connected to the Odoo company Odoo Company A", str(caught.exception))
        self.assertEqual(self.conn_b.state, "draft")

    def test_only_managers_connect(self):
        with self.assertRaises(AccessError):
            self.connect(user=self.accountant_a)
        self.assertEqual(self.conn_a.state, "draft")


@tagged("post_install", "-at_install")
class TestPleoTrouble(PleoCase):
    """Pleo down, slow, rate limiting or answering garbage during Save & Test and Rotate."""

    FAULTS = [
        ({"kind": "drop"}, "cannot be reached"),
        ({"kind": "slow", "latency": 3.0}, "did not answer in time"),
        ({"kind": "rate_limit", "retry_after": 0}, "too many requests"),
        ({"kind": "rate_limit"}, "too many requests"),
        ({"kind": "status", "status": 500}, "unavailable"),
        ({"kind": "status", "status": 503}, "unavailable"),
        ({"kind": "garbage"}, "cannot read"),
        ({"kind": "truncated"}, "cannot read"),
        ({"kind": "html", "status": 502}, "unavailable"),
        ({"kind": "html", "status": 200}, "cannot read"),
        ({"kind": "redirect"}, "cannot read"),
    ]

    def _check_each_fault(self, path, act):
        for fault, message in self.FAULTS:
            with self.subTest(path=path, **fault):
                self.sandbox.clear_faults()
                self.sandbox.inject_fault(path, **fault)
                with (
                    self.assertRaises(UserError) as caught,
                    mute_logger("odoo.addons.pleo_connector"),
                ):
                    act()
                self.assertIn(message, str(caught.exception))

    def test_save_and_test_faults_store_nothing(self):
        key = self.mint()
        for path in (INTROSPECT, INSTALLATIONS):
            self._check_each_fault(path, lambda: self.connect(key=key))
            self.assertEqual(self.conn_a.state, "draft")
            self.assertFalse(self.stored_token(self.conn_a))

    def test_pleo_stopped(self):
        key = self.mint()
        with (
            patch.dict(config.options, {"pleo_api_url": "http://127.0.0.1:9"}),
            self.assertRaises(UserError) as caught,
        ):
            self.connect(key=key)
        self.assertIn("cannot be reached", str(caught.exception))

    def test_rotate_faults_keep_the_old_key(self):
        self.connect()
        token = self.stored_token(self.conn_a)
        new_key = self.mint()
        for path in (INTROSPECT, INSTALLATIONS):
            self._check_each_fault(path, lambda: self.rotate(new_key))
            self.assertEqual(self.stored_token(self.conn_a), token)
            self.assertEqual(self.conn_a.state, "connected")

    def rotate(self, key):
        wizard = (
            self.env["pleo.rotate.key"]
            .with_user(self.manager_a)
            .create({"connection_id": self.conn_a.id, "new_api_key": key})
        )
        return wizard.action_rotate()


@tagged("post_install", "-at_install")
class TestRotateAndDisconnect(PleoCase):
    def rotate(self, key):
        action = self.conn_a.with_user(self.manager_a).action_open_rotate_wizard()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager_a)
            .with_context(**action["context"])
            .create({"new_api_key": key})
        )
        return wizard.action_rotate()

    def test_rotate_to_a_new_key_of_the_same_company(self):
        old = self.connect()
        old_token = self.stored_token(self.conn_a)
        new = self.mint()
        action = self.rotate(new)
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(_get_vault()[0].decrypt(self.stored_token(self.conn_a)), new)
        self.assertNotEqual(self.stored_token(self.conn_a), old_token)
        self.assertEqual(self.conn_a.with_user(self.manager_a).key_hint, "••••" + new[-4:])
        self.assertIn("replaced the Pleo API key", self.conn_a.message_ids[0].body)
        self.assertIn(self.manager_a.name, self.conn_a.message_ids[0].body)
        self.assertNotIn(old, self.conn_a.message_ids[0].body)
        self.assertNotIn(new, self.conn_a.message_ids[0].body)
        self.assertTrue(self.sandbox.installation_for(new))

    def test_rotate_to_another_company_is_refused(self):
        self.connect()
        token = self.stored_token(self.conn_a)
        with self.assertRaises(UserError) as caught:
            self.rotate(self.mint(self.pleo_b))
        self.assertIn("belongs to Pleo company Pleo Beta AB", str(caught.exception))
        self.assertEqual(self.stored_token(self.conn_a), token)

    def test_rotate_needs_a_bound_connection(self):
        with self.assertRaises(UserError):
            self.rotate(self.mint())

    def test_rotate_without_a_key_warns(self):
        self.connect()
        wizard = self.env["pleo.rotate.key"].create({"connection_id": self.conn_a.id})
        self.assertEqual(wizard.action_rotate()["params"]["type"], "warning")

    def test_disconnect_deletes_the_installation(self):
        key = self.connect()
        action = self.conn_a.with_user(self.manager_a).action_disconnect()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIsNone(self.sandbox.installation_for(key))
        self.assertEqual(self.conn_a.state, "draft")
        self.assertFalse(self.stored_token(self.conn_a))
        self.assertFalse(self.conn_a.pleo_company_uuid)
        self.assertIn("disconnected this company from Pleo", self.conn_a.message_ids[0].body)
        # Now another Pleo company may be connected.
        self.connect(key=self.mint(self.pleo_b))
        self.assertEqual(self.conn_a.pleo_company_uuid, self.pleo_b)

    def test_disconnect_when_installation_already_gone(self):
        key = self.connect()
        self.sandbox.delete_installation_for(key)
        action = self.conn_a.with_user(self.manager_a).action_disconnect()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.conn_a.state, "draft")

    def test_disconnect_when_pleo_is_down(self):
        self.connect()
        self.sandbox.inject_fault(INSTALLATIONS, method="DELETE", kind="drop")
        with mute_logger("odoo.addons.pleo_connector.models.pleo_connection"):
            action = self.conn_a.with_user(self.manager_a).action_disconnect()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("could not be deleted at Pleo", action["params"]["message"])
        self.assertEqual(self.conn_a.state, "draft")
        self.assertFalse(self.stored_token(self.conn_a))

    def test_undecryptable_key_asks_for_reentry(self):
        self.connect()
        with patch.dict(config.options, {"pleo_encryption_keys": Fernet.generate_key().decode()}):
            with self.assertRaises(UserError) as caught:
                self.conn_a.with_user(self.manager_a).action_save_and_test()
            self.assertIn("cannot be decrypted", str(caught.exception))
            self.assertIn("press Rotate Key", str(caught.exception))  # no key field here
            # Disconnecting still works: the key is wiped locally.
            with mute_logger("odoo.addons.pleo_connector.models.pleo_connection"):
                self.conn_a.with_user(self.manager_a).action_disconnect()
        self.assertEqual(self.conn_a.state, "draft")

    def test_save_and_test_without_a_key(self):
        with self.assertRaises(UserError) as caught:
            self.conn_a.with_user(self.manager_a).action_save_and_test()
        self.assertIn("Paste the Pleo API key first", str(caught.exception))

    def test_connected_connection_cannot_be_deleted(self):
        self.connect()
        with self.assertRaises(UserError):
            self.conn_a.with_user(self.manager_a).unlink()


@tagged("post_install", "-at_install")
class TestSaveAndTestNetwork(PleoCase):
    """Save & Test where this server's side of the connection fails: a CA bundle that does not
    trust Pleo's certificate, a proxy that cannot be reached. Each gets its own message, which
    says what to check on the server (not "Pleo is unavailable, try later"), and nothing is
    stored."""

    def setUp(self):
        super().setUp()
        # The server's environment without a CA bundle or a proxy of this machine's.
        self.startPatcher(patch.dict(os.environ))
        for name in (*CA_BUNDLE_VARIABLES, *PROXY_VARIABLES):
            os.environ.pop(name, None)
            os.environ.pop(name.lower(), None)

    def save_and_test_fails(self, **options):
        key = self.mint()
        with (
            patch.dict(config.options, options),
            self.assertRaises(UserError) as caught,
            mute_logger("odoo.addons.pleo_connector"),
        ):
            self.connect(key=key)
        self.assertEqual(self.conn_a.state, "draft")
        self.assertFalse(self.stored_token(self.conn_a))
        message = str(caught.exception)
        self.assertNotIn(key, message)
        self.assertNotIn("Try later", message)
        self.assertNotIn("Pleo cannot be reached", message)
        return message

    def test_pleo_behind_a_certificate_the_server_does_not_trust(self):
        directory = tempfile.mkdtemp(prefix="pleo-connect-tls-")
        self.addCleanup(shutil.rmtree, directory, True)
        pki = make_pki(directory, "pleo-api")
        port = int(self.sandbox.url("production").rsplit(":", 1)[1])
        front = TlsFront(port, pki.server_pair).start()
        self.addCleanup(front.stop)
        message = self.save_and_test_fails(pleo_api_url=front.url, pleo_ca_bundle="")
        self.assertIn("could not verify Pleo's certificate", message)
        self.assertIn("pleo_ca_bundle", message)
        self.assertFalse(self.sandbox.requests, "the handshake failed: Pleo saw no request")
        # The same server trusts it with the option: the key connects.
        with patch.dict(config.options, {"pleo_api_url": front.url, "pleo_ca_bundle": pki.ca_file}):
            self.connect()
        self.assertEqual(self.conn_a.state, "connected")

    def test_a_proxy_that_cannot_be_reached_is_named(self):
        with ConnectProxy() as proxy:
            address = proxy.url  # a port nobody listens on once the proxy is gone
        os.environ["HTTP_PROXY"] = address
        message = self.save_and_test_fails()
        self.assertIn(f"through the proxy {address}", message)
        self.assertIn("HTTPS_PROXY, HTTP_PROXY and NO_PROXY", message)
        self.assertFalse(self.sandbox.requests)
