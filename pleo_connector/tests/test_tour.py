# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The connect screen in a real browser (headless Chromium), against the Pleo sandbox.

The tour ``pleo_connect_tour`` (static/tests/tours/pleo_connect_tour.js) connects the current
company, opens the list of all companies' connections, rotates the key, disconnects and sees a
bad key refused. This test prepares a multi-company database, hands the tour its keys and
checks afterwards, on the server side, what the clicks did.

The tour asks this test for things by logging ``pleo-test:{"what": ...}`` in the browser
console; the test answers through DevTools and marks ``<body data-pleo-...>`` so that the tour
goes on:

* ``keys``: the test sets the keys in ``window.pleoConnectTour`` with ``Runtime.evaluate``. So
  they are never in a URL (browser history, server logs), in the database (the tour checks that
  the page keeps no trace of them; this test checks that no table holds them in clear), in the
  tour's source, nor in the code that starts the tour (which Odoo logs and prints on failure).
  The keys are also registered with the connector's log redaction while the test runs.
* ``screenshot``: the test captures the page with ``Page.captureScreenshot``, clipped to what
  the tour names, into ``tests/artifacts/`` of the repository.

The HTTP server of the tests runs in a thread of this process: it sees the sandbox URLs and
the encryption key that ``PleoSandboxMixin`` patches into ``config.options``, and its requests
to the sandbox go through the mixin's ``_request_handler`` (Odoo patches ``Session.send``
process-wide), so its short timeouts hold there too.
"""

import secrets

from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, mute_logger

from ..pleolib import redaction
from .common import PleoSandboxMixin, stored_token
from .pleo_sandbox import INSTALLATIONS, INTROSPECT
from .tour_tools import BrowserTourMixin, png_size

SCREENSHOTS = (
    "settings_not_connected",
    "settings_connected",
    "connections_list",
    "rotate_wizard",
    "settings_refused_key",
)
#: The tour asks for "keys", gets them as window.pleoConnectTour, is told by data-pleo-keys.
TOUR_DATA = ("keys", "pleoConnectTour", "pleoKeys")


@tagged("post_install", "-at_install", "pleo_browser")
class TestConnectTour(BrowserTourMixin, PleoSandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Company = cls.env["res.company"]
        cls.company = cls.env.company
        cls.company.name = "Nordlys DK"
        cls.company_se = Company.create({"name": "Nordlys SE"})
        cls.company_de = Company.create({"name": "Nordlys DE"})
        cls.company_uk = Company.create({"name": "Nordlys UK"})
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids |= cls.company_se | cls.company_de | cls.company_uk
        cls.pleo_dk = cls.sandbox.add_company("Nordlys Trading ApS")
        cls.pleo_se = cls.sandbox.add_company("Nordlys Trading AB")
        cls.pleo_de = cls.sandbox.add_company("Nordlys GmbH")

        # The other companies of the group, for the list: one connected, one broken (its key
        # was revoked in Pleo and the check found out), one not connected yet.
        Connection = cls.env["pleo.connection"]
        cls.conn_se = Connection._get_for_company(cls.company_se)
        cls.conn_se._connect(cls.sandbox.mint_key(cls.pleo_se))
        cls.conn_de = Connection._get_for_company(cls.company_de)
        revoked = cls.sandbox.mint_key(cls.pleo_de)
        cls.conn_de._connect(revoked)
        cls.sandbox.revoke_key(revoked)
        with mute_logger("odoo.addons.pleo_connector"):
            cls.conn_de.action_validate_keys()
        cls.conn_uk = Connection._get_for_company(cls.company_uk)

        cls.keys = {
            "validKey": cls.sandbox.mint_key(cls.pleo_dk),
            "otherCompanyKey": cls.sandbox.mint_key(cls.pleo_se),
            "rotatedKey": cls.sandbox.mint_key(cls.pleo_dk),
            "badKey": secrets.token_urlsafe(32),
        }

    def setUp(self):
        super().setUp()
        for key in self.keys.values():
            redaction.register_secret(key)
            self.addCleanup(redaction.unregister_secret, key)

    # ------------------------------------------------------------------ helpers

    def _tables_holding(self, needles):
        """``{needle: ["table.column", ...]}`` for every text column of the database holding it."""
        columns = self.env.execute_query(
            SQL(
                """SELECT c.table_name, c.column_name
                     FROM information_schema.columns c
                     JOIN information_schema.tables t
                       ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                      AND c.data_type IN ('character varying', 'text', 'jsonb', 'json')"""
            )
        )
        by_table = {}
        for table, column in columns:
            by_table.setdefault(table, []).append(column)
        found = {}
        for table, cols in by_table.items():
            for needle in needles:
                condition = SQL(" OR ").join(
                    SQL("strpos(%s::text, %s) > 0", SQL.identifier(col), needle) for col in cols
                )
                hits = self.env.execute_query(
                    SQL(
                        "SELECT %s FROM %s WHERE %s LIMIT 1",
                        SQL(", ").join(
                            SQL("strpos(%s::text, %s) > 0", SQL.identifier(col), needle)
                            for col in cols
                        ),
                        SQL.identifier(table),
                        condition,
                    )
                )
                if hits:
                    found.setdefault(needle, []).extend(
                        f"{table}.{col}" for col, hit in zip(cols, hits[0], strict=True) if hit
                    )
        return found

    def stored_token(self, connection):
        return stored_token(self.env.cr, connection)

    # ------------------------------------------------------------------ the test

    def test_connect_rotate_disconnect_in_the_browser(self):
        companies = self.company | self.company_se | self.company_de | self.company_uk
        self.tour_data = {**self.keys, "pleoCompany": "Nordlys Trading ApS"}
        self.sandbox.reset_requests()
        self.run_tour(
            "/odoo/settings",
            "pleo_connect_tour",
            TOUR_DATA,
            SCREENSHOTS,
            timeout=80,
            cookies={"cids": "-".join(str(cid) for cid in companies.ids)},
        )
        conn = self.company.pleo_connection_ids
        keys = self.keys

        # The company went through connected and rotated, and ends disconnected.
        self.assertEqual(conn.state, "draft")
        self.assertFalse(self.stored_token(conn))
        self.assertFalse(conn.pleo_company_uuid or conn.installation_uuid or conn.key_hint)
        bodies = [message.body for message in conn.message_ids.sorted("id")]
        self.assertRegex(
            str(bodies),
            r"connected this company to Pleo company Nordlys Trading ApS.*"
            r"replaced the Pleo API key\..*"
            r"disconnected this company from Pleo",
        )

        # At Pleo: one installation created (the rotation kept it), then deleted.
        self.assertEqual(self.sandbox.count("POST", INSTALLATIONS), 1)
        self.assertEqual(self.sandbox.count("DELETE", INSTALLATIONS), 1)
        self.assertIsNone(self.sandbox.installation_for(keys["rotatedKey"]))
        self.assertIsNone(self.sandbox.installation_for(keys["validKey"]))
        # The bad key reached Pleo and was refused there (not a format error in the browser).
        self.assertTrue(
            any(
                r.path == INTROSPECT and not r.auth_valid and r.status == 401
                for r in self.sandbox.requests
            )
        )

        # The Swedish company, whose key was pasted by mistake, is untouched.
        self.assertEqual(self.conn_se.state, "connected")
        self.assertEqual(self.conn_se.pleo_company_uuid, self.pleo_se)

        # No key in clear anywhere in the database: chatter, tracking, settings, wizard rows...
        found = self._tables_holding(["Nordlys GmbH"])  # the scan finds what is there
        self.assertIn("pleo_connection.pleo_company_name", found["Nordlys GmbH"])
        self.assertEqual(self._tables_holding(list(keys.values())), {})
        for name, key in keys.items():
            self.assertFalse(
                self.env["mail.message"].sudo().search_count([("body", "ilike", key)]), name
            )

        # The screenshots for a reviewer (and the README).
        self.assertEqual(sorted(self.screenshots), sorted(SCREENSHOTS))
        for path in self.screenshots.values():
            width, height = png_size(path.read_bytes())
            self.assertGreater(width, 400, path)
            self.assertGreater(height, 150, path)
