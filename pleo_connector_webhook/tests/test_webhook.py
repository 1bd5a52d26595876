# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The subscription's life at Pleo, the check of a delivery, and what an event makes the export
cron do: the announced job booked without any job list, a new vendor matched or created, the
hourly poll of a healthy company.

The deliveries are handed to the route's check (``_webhook_receive``) here; the route over HTTP
is ``test_route.py``, and a real server with its scheduler and the sandbox delivering is
``tests/e2e/test_webhooks.py``.
"""

import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

import requests
from cryptography.fernet import Fernet

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from odoo.addons.pleo_connector.pleolib.items import Reader, read_vendor
from odoo.addons.pleo_connector.tests.common import (
    HEALTH_LOGGER,
    LeakHunter,
    capture_every_log,
    database_texts,
)
from odoo.addons.pleo_connector_export.tools.payables_booker import PayablesBooker

from ..hooks import uninstall_hook
from ..models.pleo_connection import PUBLIC_URL_PARAM, ROUTE
from .common import PUBLIC_URL, VENDOR_CREATED, WebhookCase

MODEL_LOGGER = "odoo.addons.pleo_connector_webhook.models.pleo_connection"
NEUTRALIZE = Path(__file__).resolve().parents[1] / "data" / "neutralize.sql"


@tagged("post_install", "-at_install", "pleo_webhook")
class TestSubscription(WebhookCase):
    def pleo(self, method, path, **kwargs):
        """Call the sandbox with company A's key, as someone changing things at Pleo."""
        return requests.request(
            method,
            self.sandbox.url("production") + path,
            auth=(self.key, ""),
            timeout=5,
            **kwargs,
        )

    def health_check(self):
        self.conn_a.sudo().last_check_date = fields.Datetime.now() - timedelta(hours=2)
        self.env.flush_all()
        with mute_logger(HEALTH_LOGGER, MODEL_LOGGER):
            self.env["pleo.connection"]._cron_health_check()
        self.env.invalidate_all()

    def test_booking_exports_subscribes_and_keeps_the_secret_encrypted(self):
        subscription = self.subscription()
        self.assertEqual(self.conn_a.webhook_state, "on")
        self.assertEqual(self.conn_a.webhook_label, "Real-time: on")
        self.assertEqual(subscription["endpointUrl"], self.endpoint())
        self.assertEqual(subscription["eventTypes"], ["v1.export-job.created"])
        self.assertEqual(subscription["status"], "ACTIVE")
        hunter = LeakHunter(self.secret(), self.token())
        self.env.flush_all()
        for where, text in database_texts(self.env.cr):
            self.assertFalse(hunter.find(text), f"a webhook secret in clear in {where}")
        # no user reads them through the ORM, not even a Pleo manager or an administrator
        row = self.conn_a._webhook_secret_row()
        for user in (self.manager_a, self.admin_a):
            with self.assertRaises(AccessError):
                row.with_user(user).read(["secret_token"])
        # nor on the connection's form
        mine = self.conn_a.with_user(self.manager_a)
        readable = [
            name
            for name, field in mine._fields.items()
            if field.type not in ("one2many", "many2many") and mine._has_field_access(field, "read")
        ]
        form = mine.web_read({name: {} for name in readable})
        self.assertFalse(hunter.find(repr(form)))

    def test_vendors_are_subscribed_when_the_connection_creates_them(self):
        self.conn_a.export_create_vendors = True
        self.assertEqual(
            sorted(self.subscription()["eventTypes"]), ["v1.export-job.created", VENDOR_CREATED]
        )

    def test_switching_booking_off_and_disconnecting_delete_the_subscription(self):
        first = self.conn_a.webhook_subscription_uuid
        self.conn_a.export_enabled = False
        self.assertFalse(self.sandbox.subscriptions(self.pleo_a))
        self.assertEqual(self.conn_a.webhook_reason, "export_off")
        self.assertFalse(self.conn_a._webhook_secret_row())
        self.conn_a.export_enabled = True
        self.assertNotEqual(self.conn_a.webhook_subscription_uuid, first)
        self.assertEqual(len(self.sandbox.subscriptions(self.pleo_a)), 1)
        with mute_logger("odoo.addons.pleo_connector.models.pleo_connection"):
            self.conn_a.with_user(self.manager_a).action_disconnect()
        self.assertFalse(self.sandbox.subscriptions(self.pleo_a))
        self.assertEqual(self.conn_a.webhook_state, "off")

    def test_uninstalling_the_addon_deletes_the_subscriptions(self):
        uninstall_hook(self.env)
        self.assertFalse(self.sandbox.subscriptions(self.pleo_a))

    def test_the_health_check_repairs_a_missing_inactive_or_misdirected_subscription(self):
        endpoint = self.endpoint()
        for change, problem in (
            ({"status": "INACTIVE"}, "inactive"),
            ({"endpointUrl": PUBLIC_URL + ROUTE + "x" * 43}, "pointed elsewhere"),
            (None, "missing"),
        ):
            with self.subTest(problem=problem):
                sub_id = self.conn_a.webhook_subscription_uuid
                if change is None:
                    self.assertEqual(
                        self.pleo("DELETE", f"/v1/subscriptions/{sub_id}").status_code, 204
                    )
                else:
                    body = {"endpointUrl": endpoint, "eventTypes": ["v1.export-job.created"]}
                    answer = self.pleo(
                        "PUT", f"/v1/subscriptions/{sub_id}", json={**body, **change}
                    )
                    self.assertEqual(answer.status_code, 200, answer.text)
                self.health_check()
                subscription = self.subscription()
                self.assertEqual(subscription["endpointUrl"], endpoint)
                self.assertEqual(subscription["status"], "ACTIVE")
                self.assertEqual(self.conn_a.webhook_state, "on")
                self.assertIn(problem, self.conn_a.message_ids[:1].body)
                status, _reason = self.deliver(self.job_created(str(uuid.uuid4())))
                self.assertEqual(status, 202)

    def test_another_address_is_only_repointed_by_a_person(self):
        """The health check never points the subscription at this database when Pleo sends
        the events to another address (a restored copy must not take production's): it says
        so; Save & Test, or saving a new public URL, points it here."""
        sub_id = self.conn_a.webhook_subscription_uuid
        body = {"endpointUrl": "https://odoo.example.com/pleo/webhook/" + "p" * 43}
        body["eventTypes"] = ["v1.export-job.created"]
        self.assertEqual(
            self.pleo("PUT", f"/v1/subscriptions/{sub_id}", json=body).status_code, 200
        )
        self.health_check()
        self.assertEqual(self.subscription()["endpointUrl"], body["endpointUrl"])
        self.assertEqual(self.conn_a.webhook_reason, "elsewhere")
        self.assertIn("https://odoo.example.com", self.conn_a.webhook_label)
        with mute_logger(MODEL_LOGGER):
            self.conn_a.with_user(self.manager_a).action_save_and_test()
        self.assertEqual(self.subscription()["endpointUrl"], self.endpoint())
        self.assertEqual(self.conn_a.webhook_state, "on")
        settings = self.env["res.config.settings"].create(
            {"pleo_webhook_public_url": "http://localhost:9"}
        )
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param(PUBLIC_URL_PARAM), "http://localhost:9"
        )
        self.assertTrue(self.subscription()["endpointUrl"].startswith("http://localhost:9" + ROUTE))

    def test_a_key_pleo_refuses_subscriptions_stays_connected_and_keeps_polling(self):
        self.conn_a.export_enabled = False
        self.sandbox.inject_fault("/v1/subscriptions*", status=403)
        self.conn_a.export_enabled = True
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(self.conn_a.webhook_reason, "scope")
        self.assertIn("lacks", self.conn_a.webhook_label)
        self.conn_a.export_polled_at = fields.Datetime.now() - timedelta(minutes=11)
        due = self.env["pleo.connection"].search(self.env["pleo.connection"]._export_due_domain())
        self.assertIn(self.conn_a, due)

    def test_the_health_check_reads_a_sound_subscription_in_its_pool_and_calls_no_more(self):
        """At hundreds of companies the subscription is read beside the key's check, in the
        check's threads: a sound one costs no client nor call of its own afterwards."""
        sub_id = self.conn_a.webhook_subscription_uuid
        checked_before = self.conn_a.webhook_checked_at
        self.sandbox.reset_requests()
        Connection = type(self.env["pleo.connection"])
        with patch.object(Connection, "_open_client", side_effect=AssertionError("a client")):
            self.health_check()
        calls = [(r.method, r.path) for r in self.sandbox.requests]
        self.assertEqual(calls.count(("GET", f"/v1/subscriptions/{sub_id}")), 1, calls)
        self.assertEqual([c for c in calls if c[0] != "GET"], [], "nothing changed at Pleo")
        self.assertEqual(self.conn_a.webhook_state, "on")
        self.assertGreaterEqual(self.conn_a.webhook_checked_at, checked_before)
        # One that needs repair is still repaired, by a call of its own.
        self.assertEqual(self.pleo("DELETE", f"/v1/subscriptions/{sub_id}").status_code, 204)
        self.health_check()
        self.assertEqual(self.conn_a.webhook_state, "on")
        self.assertNotEqual(self.conn_a.webhook_subscription_uuid, sub_id)
        self.assertEqual(self.subscription()["status"], "ACTIVE")

    def test_a_healthy_subscription_is_polled_hourly_an_announced_job_at_once(self):
        Connection = self.env["pleo.connection"]
        self.conn_a.export_polled_at = fields.Datetime.now() - timedelta(minutes=11)
        self.assertNotIn(self.conn_a, Connection.search(Connection._export_due_domain()))
        self.conn_a.export_polled_at = fields.Datetime.now() - timedelta(minutes=61)
        self.assertIn(self.conn_a, Connection.search(Connection._export_due_domain()))
        self.conn_a.export_polled_at = fields.Datetime.now()
        self.assertEqual(self.deliver(self.job_created(str(uuid.uuid4())))[0], 202)
        self.assertIn(self.conn_a, Connection.search(Connection._export_due_domain()))

    def test_an_https_address_is_required_unless_the_server_allows_http(self):
        with patch.dict(config.options, {"pleo_webhook_allow_http": ""}):
            self.conn_a.export_enabled = False
            self.conn_a.export_enabled = True
        self.assertEqual(self.conn_a.webhook_reason, "public_url")
        self.assertIn("https", self.conn_a.webhook_label)
        self.assertFalse(self.sandbox.subscriptions(self.pleo_a))

    def test_a_copy_forgets_the_subscription_without_touching_it_at_pleo(self):
        subscription = self.subscription()
        token = self.token()
        self.env["ir.config_parameter"].sudo().set_param("database.uuid", str(uuid.uuid4()))
        self.sandbox.reset_requests()
        self.health_check()
        self.assertEqual(self.sandbox.subscriptions(self.pleo_a), [subscription])
        self.assertFalse(
            [r for r in self.sandbox.requests if r.path.startswith("/v1/subscriptions")]
        )
        self.assertEqual(self.conn_a.webhook_reason, "neutralized")
        self.assertFalse(self.conn_a.webhook_subscription_uuid)
        status, _reason = self.env["pleo.connection"]._webhook_receive(token, b"{}", {})
        self.assertEqual(status, 400)

    def test_a_neutralized_copy_refuses_production_events(self):
        secret, token = self.secret(), self.token()
        self.env.flush_all()
        self.env.cr.execute(NEUTRALIZE.read_text())
        self.env.invalidate_all()
        self.assertFalse(self.conn_a.webhook_subscription_uuid)
        self.assertEqual(self.conn_a.webhook_state, "off")
        status, _reason = self.deliver(
            self.job_created(str(uuid.uuid4())), secret=secret, token=token
        )
        self.assertEqual(status, 400)
        self.assertFalse(self.events())

    def test_master_key_rotation_re_encrypts_the_webhook_secrets(self):
        old = config["pleo_encryption_keys"]
        new = Fernet.generate_key().decode()
        secret = self.secret()
        with patch.dict(config.options, {"pleo_encryption_keys": f"{new},{old}"}):
            report = self.env["pleo.connection"].sudo()._rotate_encryption_keys()
        self.assertFalse(report["undecryptable"])
        with patch.dict(config.options, {"pleo_encryption_keys": new}):
            self.assertEqual(
                self.deliver(self.job_created(str(uuid.uuid4())), secret=secret)[0], 202
            )

    def test_save_and_test_repairs_and_rotation_keeps_one_subscription(self):
        self.conn_a.webhook_subscription_uuid = False  # lost here: a new one replaces the orphan
        with mute_logger(MODEL_LOGGER):
            self.conn_a.with_user(self.manager_a).action_save_and_test()
        self.assertEqual(len(self.sandbox.subscriptions(self.pleo_a)), 1)
        new_key = self.mint()
        self.env["pleo.rotate.key"].with_user(self.manager_a).create(
            {"connection_id": self.conn_a.id, "new_api_key": new_key}
        ).action_rotate()
        self.assertEqual(len(self.sandbox.subscriptions(self.pleo_a)), 1)
        self.assertEqual(self.deliver(self.job_created(str(uuid.uuid4())))[0], 202)

    def test_the_secrets_never_reach_the_logs(self):
        with capture_every_log(redact=False) as records:
            self.conn_a.export_enabled = False
            self.conn_a.export_enabled = True
            self.deliver(self.job_created(str(uuid.uuid4())))
            self.deliver(self.job_created(str(uuid.uuid4())), secret=self.secret()[:-4] + "AAA=")
        hunter = LeakHunter(self.secret(), self.token())
        self.assertTrue(any("subscribed to Pleo's webhooks" in text for text in records))
        for text in records:
            self.assertFalse(hunter.find(text), text)


@tagged("post_install", "-at_install", "pleo_webhook")
class TestDelivery(WebhookCase):
    def test_refused_deliveries_record_nothing(self):
        job = str(uuid.uuid4())
        good = self.job_created(job)
        other = self.sandbox.add_company("Other ApS")
        forged_secret = "whsec_" + "QUJD" * 8
        cases = {
            "signature": {"secret": forged_secret},
            "timestamp": {"timestamp": fields.Datetime.now().timestamp() - 400},
            "token": {"token": "x" * 43},
        }
        for reason, kwargs in cases.items():
            with self.subTest(reason=reason):
                self.assertEqual(self.deliver(good, **kwargs), (400, reason))
        self.assertEqual(self.deliver(self.job_created(job, company=other)), (400, "company"))
        self.assertEqual(
            self.env["pleo.connection"]._webhook_receive(self.token(), b"{}", {}),
            (400, "headers"),
        )
        self.assertFalse(self.events())

    def test_a_replayed_message_is_recorded_once(self):
        payload = self.job_created(str(uuid.uuid4()))
        self.assertEqual(self.deliver(payload, message_id="msg_once"), (202, "accepted"))
        self.assertEqual(self.deliver(payload, message_id="msg_once"), (200, "duplicate"))
        self.assertEqual(len(self.events()), 1)
        self.assertTrue(self.conn_a.webhook_last_event_at)

    def test_an_announced_job_is_booked_without_listing_the_jobs(self):
        job_uuid = self.add_job(n=2)
        self.assertEqual(self.deliver(self.job_created(job_uuid)), (202, "accepted"))
        self.conn_a.export_polled_at = fields.Datetime.now()  # not due but for the event
        self.sandbox.reset_requests()
        with mute_logger(MODEL_LOGGER):
            self.env["pleo.connection"]._cron_pleo_export()
        self.env.invalidate_all()
        self.assertEqual(self.pleo_job(job_uuid)["status"], "completed")
        self.assertEqual(self.job(job_uuid).state, "completed")
        calls = [(r.method, r.path) for r in self.sandbox.requests]
        completed = max(i for i, call in enumerate(calls) if call[1] == "/v3/export-job-events")
        self.assertNotIn(("GET", "/v3/export-jobs"), calls[:completed], calls)
        self.assertEqual(self.events().state, "done")

    def test_an_event_for_a_job_already_gone_books_nothing(self):
        self.assertEqual(self.deliver(self.job_created(str(uuid.uuid4()))), (202, "accepted"))
        with mute_logger(MODEL_LOGGER, "odoo.addons.pleo_connector.pleolib.client"):
            self.env["pleo.connection"]._cron_pleo_export()
        self.assertEqual(self.events().state, "ignored")
        self.assertFalse(
            self.env["pleo.export.job"].search([("connection_id", "=", self.conn_a.id)])
        )

    def vendor_created(self, **vendor):
        data = {"id": str(uuid.uuid4()), "companyId": self.pleo_a, "state": "DRAFT", **vendor}
        return {"data": data, "eventId": str(uuid.uuid4()), "eventType": VENDOR_CREATED}

    def test_a_new_vendor_is_matched_or_created(self):
        Partner = self.env["res.partner"]
        by_vat = Partner.create({"name": "Kontorland A/S", "vat": "DK12345678", "is_company": True})
        by_name = Partner.create(
            {"name": "Café Nord", "country_id": self.env.ref("base.dk").id, "is_company": True}
        )
        self.conn_a.export_create_vendors = True
        for payload in (
            self.vendor_created(name="Kontor Land", taxRegistrationNumber="DK 12 34 56 78"),
            self.vendor_created(name="café nord", country="DK", code="V-77"),
            self.vendor_created(name="Nyt Firma ApS", country="DK", code="V-78"),
        ):
            self.assertEqual(self.deliver(payload), (202, "accepted"))
        with mute_logger(MODEL_LOGGER):
            self.env["pleo.connection"]._cron_pleo_export()
        self.assertEqual(self.events().mapped("state"), ["done"] * 3)
        self.assertEqual(by_name.ref, "V-77")
        created = Partner.search([("ref", "=", "V-78")])
        self.assertEqual(created.name, "Nyt Firma ApS")
        self.assertEqual(self.events()[0].note, by_vat.display_name)
        # Each partner keeps its vendor's id in this company: the export finds it by that id.
        vendors = {event.data["name"]: event.data["id"] for event in self.events()}
        mine = Partner.with_company(self.conn_a.company_id)
        for name, partner in (
            ("Kontor Land", by_vat),
            ("café nord", by_name),
            ("Nyt Firma ApS", created),
        ):
            self.assertEqual(mine.browse(partner.id).pleo_vendor_id, vendors[name], name)

    def test_a_vendor_matched_by_name_alone_is_found_by_the_export(self):
        """Neither code nor VAT number: Pleo's announcement matched it by name and country,
        and the vendor's bill is booked on that partner (it would fail 'nothing to match it
        by' otherwise)."""
        partner = self.env["res.partner"].create(
            {"name": "Bager Hansen", "country_id": self.env.ref("base.dk").id, "is_company": True}
        )
        payload = self.vendor_created(name="Bager Hansen", country="DK")
        self.assertEqual(self.deliver(payload), (202, "accepted"))
        with mute_logger(MODEL_LOGGER):
            self.env["pleo.connection"]._cron_pleo_export()
        vendor = payload["data"]
        payables = PayablesBooker(
            SimpleNamespace(env=self.env, company=self.conn_a.company_id, connection=self.conn_a)
        )
        found = payables.find_vendor(read_vendor(Reader("vendor"), vendor))
        self.assertEqual(found, partner)
