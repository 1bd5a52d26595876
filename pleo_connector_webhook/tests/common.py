# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up: company A books exports and its subscription reaches a loopback address."""

import json
import time
import uuid
from datetime import datetime, timezone
from unittest.mock import patch

from standardwebhooks.webhooks import Webhook

from odoo.tools import config

from odoo.addons.pleo_connector.pleolib.webhooks import EXPORT_JOB_CREATED, VENDOR_CREATED
from odoo.addons.pleo_connector_export.tests.common import ExportCase

from ..models.pleo_connection import PUBLIC_URL_PARAM, ROUTE

__all__ = ["EXPORT_JOB_CREATED", "VENDOR_CREATED", "WebhookCase", "signed"]

#: The address the tests' subscriptions point at (nothing listens: the sandbox's sender is
#: switched off in these tests, which hand the deliveries to the route themselves).
PUBLIC_URL = "http://127.0.0.1:9"


def signed(secret, payload, message_id=None, timestamp=None):
    """``(body, headers)`` of a delivery signed with ``secret``, as the reference library signs."""
    body = json.dumps(payload).encode()
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time() if timestamp is None else timestamp)
    signature = Webhook(secret).sign(
        message_id, datetime.fromtimestamp(timestamp, tz=timezone.utc), body
    )
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }
    return body, headers


class WebhookCase(ExportCase):
    """Company A connected and booking exports, its subscription made at the sandbox."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(patch.dict(config.options, {"pleo_webhook_allow_http": "True"}))
        cls.env["ir.config_parameter"].sudo().set_param(PUBLIC_URL_PARAM, PUBLIC_URL)

    def setUp(self):
        self.sandbox.behaviour.webhook_delivery = "off"
        self.addCleanup(setattr, self.sandbox.behaviour, "webhook_delivery", "on")
        self.addCleanup(self.sandbox.clear_faults)
        super().setUp()
        self.sandbox.reset_requests()

    # ------------------------------------------------------------------ helpers

    def subscription(self, connection=None):
        """The connection's subscription as the sandbox holds it (None without one)."""
        connection = connection or self.conn_a
        found = [
            s
            for s in self.sandbox.subscriptions(self.pleo_a)
            if s["id"] == connection.webhook_subscription_uuid
        ]
        return found[0] if found else None

    def secret(self, connection=None):
        return self.sandbox.subscription_secret(
            (connection or self.conn_a).webhook_subscription_uuid
        )

    def token(self, connection=None):
        return (connection or self.conn_a)._webhook_path_token()

    def deliver(self, payload, connection=None, secret=None, token=None, **kwargs):
        """Hand a signed delivery to the route's check: ``(status, reason)``."""
        body, headers = signed(secret or self.secret(connection), payload, **kwargs)
        return self.env["pleo.connection"]._webhook_receive(
            token or self.token(connection), body, headers
        )

    def job_created(self, job_uuid, company=None):
        return {
            "data": {
                "id": job_uuid,
                "companyId": company or self.pleo_a,
                "status": "pending",
                "numberOfItems": 1,
            },
            "eventId": str(uuid.uuid4()),
            "eventType": EXPORT_JOB_CREATED,
        }

    def endpoint(self, connection=None):
        return PUBLIC_URL + ROUTE + self.token(connection)

    def events(self, connection=None):
        return self.env["pleo.webhook.event"].search(
            [("connection_id", "=", (connection or self.conn_a).id)], order="id"
        )
