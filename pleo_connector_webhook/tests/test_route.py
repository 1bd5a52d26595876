# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The route over HTTP, on the test server: the sandbox delivers a job's event to it; forged,
stale, oversized, wrong-company, unknown-token and non-POST requests get a bare 4xx and record
nothing; an address sending a flood of bad requests is answered 429."""

import uuid
from unittest.mock import patch

from odoo.http import Request
from odoo.tests import HttpCase, tagged
from odoo.tests.common import release_test_lock
from odoo.tools import mute_logger

from ..controllers.main import FLOOD_LIMIT, MAX_BODY, REFUSALS
from ..models.pleo_connection import PUBLIC_URL_PARAM, ROUTE
from .common import WebhookCase, signed

CONTROLLER_LOGGER = "odoo.addons.pleo_connector_webhook.controllers.main"


@tagged("post_install", "-at_install", "pleo_webhook")
class TestRoute(WebhookCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(PUBLIC_URL_PARAM, cls.base_url())

    def setUp(self):
        super().setUp()
        REFUSALS.reset()
        self.addCleanup(REFUSALS.reset)

    def post(self, token=None, body=b"{}", headers=None):
        path = ROUTE + (token or self.token())
        with mute_logger(CONTROLLER_LOGGER, "werkzeug"):
            return self.url_open(path, data=body, headers=headers or {}, allow_redirects=False)

    def test_the_sandbox_delivers_a_job_event_over_http(self):
        # The sandbox's sender has no test-cursor cookie: the test server lets it in.
        self.http_request_allow_all = True
        self.sandbox.behaviour.webhook_delivery = "on"
        job_uuid = self.add_job(n=1)
        with release_test_lock():  # the test server takes the test cursor meanwhile
            flushed = self.sandbox.webhook_sender.flush(timeout=20)
        self.assertTrue(flushed, self.sandbox.webhook_sender.attempts)
        attempts = [
            a
            for a in self.sandbox.webhook_sender.attempts
            if a["subscription_id"] == self.conn_a.webhook_subscription_uuid
        ]
        self.assertEqual([(a["outcome"], a["status"]) for a in attempts], [("delivered", 202)])
        self.assertEqual(self.events().object_uuid, job_uuid)
        self.assertEqual(self.events().state, "pending")

    def test_bad_requests_get_a_bare_4xx_and_record_nothing(self):
        payload = self.job_created(str(uuid.uuid4()))
        body, headers = signed(self.secret(), payload)
        forged_body, forged_headers = signed("whsec_" + "QUJD" * 8, payload)
        stale_body, stale_headers = signed(self.secret(), payload, timestamp=1_700_000_000)
        other = self.job_created(str(uuid.uuid4()), company=self.sandbox.add_company("Other ApS"))
        other_body, other_headers = signed(self.secret(), other)
        big = b" " * (MAX_BODY + 1)
        big_body, big_headers = signed(self.secret(), payload)
        for what, token, data, sent, status in (
            ("forged", None, forged_body, forged_headers, 400),
            ("stale", None, stale_body, stale_headers, 400),
            ("wrong company", None, other_body, other_headers, 400),
            ("unknown token", "A" * 43, body, headers, 400),
            ("oversized", None, big_body + big, big_headers, 413),
        ):
            with self.subTest(what=what):
                answer = self.post(token, data, sent)
                self.assertEqual(answer.status_code, status)
                self.assertEqual(answer.content, b"")
        with mute_logger("werkzeug", "odoo.http"):
            self.assertEqual(self.url_open(ROUTE + self.token()).status_code, 405)
        self.assertFalse(self.events())
        self.assertEqual(self.post(None, body, headers).status_code, 202)
        self.assertEqual(len(self.events()), 1)

    def test_a_flood_of_bad_requests_is_answered_429(self):
        for _ in range(FLOOD_LIMIT):
            self.assertEqual(self.post("B" * 43).status_code, 400)
        self.assertEqual(self.post("B" * 43).status_code, 429)
        body, headers = signed(self.secret(), self.job_created(str(uuid.uuid4())))
        self.assertEqual(self.post(None, body, headers).status_code, 429)  # the same address
        self.assertFalse(self.events())
        # Fault injection: with Odoo's database path broken, the flood is still answered 429,
        # so a flooded request never reaches the database (no cursor, no query).
        with patch.object(Request, "_serve_db", side_effect=AssertionError("database touched")):
            self.assertEqual(self.post("B" * 43).status_code, 429)
