# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Real-time export: a connection's webhook subscription at Pleo, and what its events start.

A company that books Pleo's exports subscribes to ``v1.export-job.created`` (and
``v1.vendor.created`` when vendors are synced or created) at an endpoint of its own,
``<public URL>/pleo/webhook/<token>``. The subscription is created or repaired on Save & Test,
Rotate Key, Enable, when booking exports is switched on, and by the hourly health check (which
also finds it missing, inactive or pointed elsewhere); it is deleted when booking is switched
off and on Disconnect. Its secret and the path token are encrypted by the API key's vault
(``pleo.webhook.secret``).

The route (``controllers/main.py``) records a verified event and wakes the export cron; the cron
claims the announced job by its id (no job list first) and matches a new vendor to a partner.
While the subscription is healthy the cron polls the company once an hour instead of every round
(10 minutes): polling stays the safety net for a webhook that never comes.

A copy of the database never receives production's events: ``data/neutralize.sql`` forgets the
subscription, and a copy made otherwise (a new ``database.uuid``) forgets it at its first check
without calling Pleo, so that it can neither repoint nor delete production's subscription.
"""

import contextlib
import importlib.util
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import config, mute_logger

from odoo.addons.pleo_connector.pleolib import errors, webhooks
from odoo.addons.pleo_connector.pleolib.items import ItemError, Reader, read_vendor
from odoo.addons.pleo_connector.pleolib.webhooks import (
    EXPORT_JOB_CREATED,
    VENDOR_CREATED,
    SubscriptionApi,
)
from odoo.addons.pleo_connector_export.tools.payables_booker import PayablesBooker

from .pleo_webhook_secret import token_digest

_logger = logging.getLogger(__name__)

#: The route's path, before the connection's token.
ROUTE = "/pleo/webhook/"
#: ir.config_parameter: the address Pleo reaches this Odoo at (default ``web.base.url``).
PUBLIC_URL_PARAM = "pleo_connector_webhook.public_url"
#: The export cron (its xml id is an interface: it stays when the export moves to an addon of
#: its own).
EXPORT_CRON_XMLID = "pleo_connector.ir_cron_pleo_export"
#: How often the export cron still polls a company whose subscription is healthy.
HEALTHY_POLL = timedelta(hours=1)
TRUE_WORDS = ("1", "true", "yes", "on")
#: A path token as Odoo makes them (``secrets.token_urlsafe(32)``: 43 characters).
#: The subscription was not read in the health check's pool: :meth:`_webhook_sync_one` reads it.
_NOT_READ = object()

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class _CheckedWithSubscription:
    """A health check's answer (``result``) and the subscription it read (``None``: none)."""

    result: Any
    subscription: Any


def allow_http():
    """The server option ``pleo_webhook_allow_http``: accept an http public URL (a sandbox on
    loopback, a test server); off by default, for Pleo sends events to https only."""
    return str(config.get("pleo_webhook_allow_http") or "").lower() in TRUE_WORDS


def verifier_available():
    """Whether the ``standardwebhooks`` package the deliveries are verified with imports."""
    return importlib.util.find_spec("standardwebhooks") is not None


class PleoConnection(models.Model):
    _inherit = "pleo.connection"

    webhook_state = fields.Selection(
        [("on", "On"), ("off", "Off")],
        string="Real-time status",
        default="off",
        required=True,
        readonly=True,
        copy=False,
    )
    webhook_reason = fields.Selection(
        [
            ("export_off", "booking Pleo exports is off"),
            ("not_connected", "not connected"),
            (
                "neutralized",
                "this database is a copy: Enable or Save & Test subscribes it on purpose",
            ),
            ("public_url", "no public https address"),
            (
                "scope",
                "the key lacks the permission to receive Pleo's webhooks; Odoo keeps fetching "
                "the exports every 10 minutes",
            ),
            ("elsewhere", "Pleo sends the events to another address"),
            ("library", "the standardwebhooks Python package is missing on this server"),
            ("pleo", "Pleo refused or failed; Odoo keeps fetching the exports every 10 minutes"),
        ],
        string="Real-time off because",
        readonly=True,
        copy=False,
    )
    webhook_detail = fields.Char(string="Real-time problem", readonly=True, copy=False)
    webhook_label = fields.Char(string="Real-time", compute="_compute_webhook_label")
    webhook_subscription_uuid = fields.Char(
        string="Pleo Subscription ID", readonly=True, copy=False
    )
    webhook_database_uuid = fields.Char(
        string="Subscribed from database",
        readonly=True,
        copy=False,
        help="The database the subscription was made from: a copy has another one.",
    )
    webhook_checked_at = fields.Datetime(string="Subscription checked", readonly=True, copy=False)
    # Pleo Managers only: the events' access rights are theirs, and an accountant who reads the
    # connection must not be refused for a field of this addon.
    webhook_event_ids = fields.One2many(
        "pleo.webhook.event",
        "connection_id",
        readonly=True,
        groups="pleo_connector.group_pleo_manager",
    )
    webhook_last_event_at = fields.Datetime(
        string="Last event received", compute="_compute_webhook_last_event"
    )
    webhook_last_event_type = fields.Char(
        string="Last event", compute="_compute_webhook_last_event"
    )

    # ------------------------------------------------------------------ computes

    @api.depends("webhook_state", "webhook_reason", "webhook_detail")
    def _compute_webhook_label(self):
        reasons = dict(self._fields["webhook_reason"]._description_selection(self.env))
        for connection in self:
            if connection.webhook_state == "on":
                connection.webhook_label = self.env._("Real-time: on")
                continue
            why = connection.webhook_detail or reasons.get(connection.webhook_reason) or ""
            connection.webhook_label = (
                self.env._("Real-time: off (%s)", why) if why else self.env._("Real-time: off")
            )

    def _compute_webhook_last_event(self):
        """The last event received, read from the events (the route never writes the
        connection's row: the export cron may hold its lock for a while)."""
        rows = (
            self.env["pleo.webhook.event"]
            .sudo()
            ._read_group([("connection_id", "in", self.ids)], ["connection_id"], ["id:max"])
        )
        last = self.env["pleo.webhook.event"].sudo().browse([i for _c, i in rows])
        by_connection = {event.connection_id.id: event for event in last}
        for connection in self:
            event = by_connection.get(connection.id)
            connection.webhook_last_event_at = event.create_date if event else False
            connection.webhook_last_event_type = event.event_type if event else False

    # ------------------------------------------------------------------ the secrets

    def _webhook_secret_row(self):
        self.ensure_one()
        return self.env["pleo.webhook.secret"].sudo().search([("connection_id", "=", self.id)])

    def _webhook_path_token(self):
        """The decrypted path token, or None."""
        row = self._webhook_secret_row()
        return self._vault().decrypt(row.path_token) if row.path_token else None

    def _webhook_store(self, path_token, secret):
        vault = self._vault()
        values = {
            "secret_token": vault.encrypt(secret),
            "path_token": vault.encrypt(path_token),
            "path_digest": token_digest(path_token),
        }
        row = self._webhook_secret_row()
        if row:
            row.write(values)
        else:
            row.create({"connection_id": self.id, **values})

    def _webhook_forget(self, reason, detail=False):
        """Forget the subscription here (its secret and token with it), at Pleo untouched."""
        self._webhook_secret_row().unlink()
        self.sudo().write(
            {
                "webhook_subscription_uuid": False,
                "webhook_database_uuid": False,
                "webhook_state": "off",
                "webhook_reason": reason,
                "webhook_detail": detail,
            }
        )

    def _webhook_off(self, reason, detail=False):
        values = {"webhook_state": "off", "webhook_reason": reason, "webhook_detail": detail}
        values["webhook_checked_at"] = fields.Datetime.now()
        self.sudo().write(values)

    # ------------------------------------------------------------------ the subscription

    def _webhook_wanted(self):
        """Why this connection must not be subscribed (a ``webhook_reason``), else None."""
        self.ensure_one()
        if self.state != "connected":
            return "not_connected"
        if not self.export_enabled:
            return "export_off"
        return None

    def _webhook_event_types(self):
        types = [EXPORT_JOB_CREATED]
        if self.sync_vendors or self.export_create_vendors:
            types.append(VENDOR_CREATED)
        return types

    @api.model
    def _webhook_public_base(self):
        params = self.env["ir.config_parameter"].sudo()
        base = params.get_param(PUBLIC_URL_PARAM) or params.get_param("web.base.url") or ""
        return base.strip().rstrip("/")

    @api.model
    def _webhook_url_problem(self, base):
        """Why Pleo could not send events to ``base`` (translated), else None."""
        parts = urlsplit(base)
        if parts.hostname and (
            parts.scheme == "https" or (parts.scheme == "http" and allow_http())
        ):
            return None
        return self.env._(
            "the public address of Odoo (%(url)s) is not an https address: set the address "
            "Pleo can reach in Settings › Pleo › Public URL for Pleo's webhooks",
            url=base or "?",
        )

    def _database_uuid(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.uuid")

    def _webhook_is_copy(self):
        """Whether the subscription was made from another database (this one is a copy)."""
        made_in = self.webhook_database_uuid
        return bool(made_in) and made_in != self._database_uuid()

    def _webhook_sync(self, person=False, fetched=None):
        """Create, repair or delete each connection's subscription as its settings want it.

        Never raises: a failure turns real-time off with the reason (and the export goes on
        polling every round). ``person``: a person's action (Save & Test, Rotate Key, Enable,
        the export switch), which may subscribe a copy of the database anew; the health check
        only forgets a copy's subscription. ``fetched``: ``{connection id: subscription}`` read
        by the health check's pool (``None``: Pleo has none)."""
        fetched = fetched or {}
        for connection in self:
            try:
                connection._webhook_sync_one(person, fetched.get(connection.id, _NOT_READ))
            except errors.MissingScopesError:
                connection._webhook_off("scope")
            except errors.PleoError as error:
                connection._webhook_off("pleo", connection._user_message(error))
            except UserError as error:
                connection._webhook_off("pleo", error.args[0])

    def _webhook_sync_one(self, person, fetched=_NOT_READ):
        self.ensure_one()
        if self._webhook_is_copy():
            self._webhook_forget("neutralized")
            if not person:
                return
        unwanted = self._webhook_wanted()
        if unwanted:
            if self.webhook_subscription_uuid:
                self._webhook_remove(unwanted)
            elif self.webhook_state != "off" or self.webhook_reason != unwanted:
                self._webhook_off(unwanted)
            return
        if not person and self.webhook_reason == "neutralized":
            return  # a copy's connection: only a person subscribes it
        if not verifier_available():
            self._webhook_off("library")
            return
        base = self._webhook_public_base()
        problem = self._webhook_url_problem(base)
        if problem:
            self._webhook_off("public_url", problem)
            return
        path_token = self._webhook_path_token() or secrets.token_urlsafe(32)
        endpoint = base + ROUTE + path_token
        types = self._webhook_event_types()
        stored = self._webhook_secret_row()
        if (
            fetched is not _NOT_READ
            and fetched is not None
            and fetched.id == self.webhook_subscription_uuid
            and stored
            and stored.secret_token
            and not self._webhook_problem(fetched, endpoint, types)
        ):
            # As it should be, read by the health check's pool: no call of its own.
            self._webhook_on(fetched)
            return
        with self._open_client() as client:
            api = SubscriptionApi(client)
            current = self._webhook_fetch(api)
            problem = self._webhook_problem(current, endpoint, types)
            if current is None:
                self._webhook_drop_orphans(api, base)
                current = api.subscribe(endpoint, types)
                stored = None  # a new subscription: a new secret
                _logger.info(
                    "Pleo connection %s: subscribed to Pleo's webhooks (%s)", self.id, current.id
                )
            elif not person and not current.endpoint_url.startswith(base + ROUTE):
                # Another address: this database's own web.base.url changed, or it is a restored
                # copy that kept the database's uuid. Only a person points it here.
                self._webhook_off("elsewhere", self._webhook_elsewhere(current.endpoint_url))
                return
            elif problem:
                current = api.replace(current.id, endpoint, types)
            secret = None if stored and stored.secret_token else api.secret(current.id)
        if secret:
            self._webhook_store(path_token, secret)
        if problem and self.webhook_subscription_uuid:
            _logger.info("Pleo connection %s: webhook subscription repaired (%s)", self.id, problem)
            self.message_post(
                body=self.env._(
                    "The webhook subscription at Pleo was %s: Odoo repaired it.", problem
                )
            )
        self._webhook_on(current)

    def _webhook_on(self, current):
        """Record that the subscription ``current`` at Pleo is as it should be."""
        self.sudo().write(
            {
                "webhook_subscription_uuid": current.id,
                "webhook_database_uuid": self._database_uuid(),
                "webhook_state": "on",
                "webhook_reason": False,
                "webhook_detail": False,
                "webhook_checked_at": fields.Datetime.now(),
            }
        )

    def _webhook_elsewhere(self, url):
        parts = urlsplit(url)
        return self.env._(
            "Pleo sends this company's events to another address (%(address)s): press Save & "
            "Test to send them to this database",
            address=f"{parts.scheme}://{parts.netloc}",
        )

    def _webhook_problem(self, current, endpoint, types):
        """What is wrong with the subscription at Pleo (translated), None when nothing."""
        if current is None:
            return self.env._("missing")
        if current.endpoint_url != endpoint:
            return self.env._("pointed elsewhere")
        if not current.active:
            return self.env._("inactive")
        if set(current.event_types) != set(types):
            return self.env._("subscribed to other events")
        return None

    def _webhook_fetch(self, api):
        """The connection's subscription at Pleo, None when it has none (or Pleo lost it)."""
        if not self.webhook_subscription_uuid:
            return None
        try:
            return api.fetch(self.webhook_subscription_uuid)
        except errors.NotFoundError:
            return None

    def _webhook_drop_orphans(self, api, base):
        """Delete the key's subscriptions to this Odoo's webhook path but another token (one
        made before a rolled-back transaction lost it): they would only be refused."""
        for subscription in api.list():
            if subscription.endpoint_url.startswith(base + ROUTE):
                with contextlib.suppress(errors.NotFoundError):
                    api.delete(subscription.id)

    def _webhook_remove(self, reason):
        """Delete the subscription at Pleo (when this database made it) and forget it here;
        returns a message when Pleo could not be told."""
        self.ensure_one()
        problem = None
        subscription = self.webhook_subscription_uuid
        if subscription and self.state != "disabled" and not self._webhook_is_copy():
            try:
                key = self._stored_key()
                if key is not None:
                    with (
                        self._open_client() as client,
                        contextlib.suppress(errors.NotFoundError),
                    ):
                        SubscriptionApi(client).delete(subscription)
            except (errors.PleoError, UserError) as error:
                message = (
                    self._user_message(error)
                    if isinstance(error, errors.PleoError)
                    else error.args[0]
                )
                _logger.warning(
                    "Pleo connection %s: webhook subscription not deleted at Pleo: %s",
                    self.id,
                    message,
                )
                problem = self.env._(
                    "The webhook subscription could not be deleted at Pleo (%s); Pleo's events "
                    "for it are refused by Odoo.",
                    message,
                )
        self._webhook_forget(reason)
        return problem

    # ------------------------------------------------------------------ the lifecycle hooks

    def _connect(self, raw_key, environment=None, retest=False):
        """Save & Test and Rotate Key: the subscription is made or repaired with the key."""
        result = super()._connect(raw_key, environment=environment, retest=retest)
        self._webhook_sync(person=True)
        return result

    def action_enable(self):
        result = super().action_enable()
        self._webhook_sync(person=True)
        return result

    def action_disconnect(self):
        """Delete the subscription at Pleo before the key is wiped."""
        self._check_manager()
        for connection in self:
            problem = connection._webhook_remove("not_connected")
            if problem:
                connection.message_post(body=problem)
        return super().action_disconnect()

    def write(self, vals):
        result = super().write(vals)
        if {"export_enabled", "sync_vendors", "export_create_vendors"} & set(vals):
            self._webhook_sync(person=True)
        return result

    def _health_job_extra(self):
        extra = super()._health_job_extra()
        if self.webhook_subscription_uuid and not self._webhook_is_copy():  # a copy never asks
            extra["webhook_subscription_uuid"] = self.webhook_subscription_uuid
        return extra

    @api.model
    def _health_call(self, required):
        """The health check also reads the connection's subscription, in the check's pool of
        threads on the same client: at hundreds of companies, one after another in
        :meth:`_apply_outcomes` would take a Pleo call (and a TLS handshake) each."""
        health = super()._health_call(required)

        def call(client, job):
            result = health(client, job)
            uuid = job.extra.get("webhook_subscription_uuid")
            if not uuid:
                return result
            try:
                subscription = SubscriptionApi(client).fetch(uuid)
            except errors.NotFoundError:
                subscription = None
            except errors.PleoError:  # read again where its failure is handled
                return result
            return _CheckedWithSubscription(result, subscription)

        return call

    def _apply_outcomes(self, outcomes):
        """The health check: a connection Pleo answered well for has its subscription
        checked (missing, inactive, pointed elsewhere: repaired) with what the check's pool
        read of it; only one that needs repair calls Pleo again."""
        fetched = {}
        for connection, outcome in outcomes.items():
            if isinstance(outcome.result, _CheckedWithSubscription):
                fetched[connection.id] = outcome.result.subscription
                outcome.result = outcome.result.result
        result = super()._apply_outcomes(outcomes)
        healthy = self.browse([c.id for c, outcome in outcomes.items() if outcome.ok])
        healthy.filtered(lambda c: c.webhook_subscription_uuid or c.export_enabled)._webhook_sync(
            fetched=fetched
        )
        return result

    def _rotate_batch(self, vault, batch, report):
        """Master-key rotation: the webhook secrets and tokens are re-encrypted with the keys."""
        result = super()._rotate_batch(vault, batch, report)
        rows = self.env["pleo.webhook.secret"].sudo().search([("connection_id", "in", batch.ids)])
        for row in rows:
            try:
                row.write(
                    {
                        "secret_token": row.secret_token and vault.rotate(row.secret_token),
                        "path_token": row.path_token and vault.rotate(row.path_token),
                    }
                )
            except errors.UndecryptableKeyError:
                if row.connection_id.id not in report["undecryptable"]:
                    report["undecryptable"].append(row.connection_id.id)
        return result

    # ------------------------------------------------------------------ a delivery

    @api.model
    def _webhook_receive(self, token, body, headers):
        """Check one delivery and record its event: ``(HTTP status, reason)``.

        The reason is for the count and the log only, never for the sender. No Pleo call, no
        booking: a recorded event wakes the export cron. Runs as the superuser (the route is
        public); reads the connection's row, never writes it."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return 400, "token"
        row = (
            self.env["pleo.webhook.secret"]
            .sudo()
            .search([("path_digest", "=", token_digest(token))], limit=1)
        )
        connection = row.connection_id
        if not row.secret_token or connection.state != "connected":
            return 400, "token"
        try:
            secret = self._vault().decrypt(row.secret_token)
        except (UserError, errors.PleoError):
            return 503, "vault"  # this server cannot read its secrets: Pleo retries later
        try:
            event = webhooks.verify(secret, body, headers)
        except webhooks.WebhookRejected as rejected:
            return 400, rejected.reason
        except ImportError:
            return 503, "library"
        if event.company_id != connection.pleo_company_uuid:
            return 400, "company"
        if event.event_type not in (EXPORT_JOB_CREATED, VENDOR_CREATED):
            return 200, "ignored"
        object_uuid = event.data.get("id")
        if not isinstance(object_uuid, str) or not _UUID.match(object_uuid):
            return 400, "body"
        Event = self.env["pleo.webhook.event"].sudo()
        mine = [("connection_id", "=", connection.id), ("message_id", "=", event.message_id)]
        if len(event.message_id) > 200:
            return 400, "headers"
        if Event.search_count(mine):
            return 200, "duplicate"
        values = {
            "connection_id": connection.id,
            "message_id": event.message_id,
            "event_type": event.event_type,
            "object_uuid": object_uuid,
        }
        if event.event_type == VENDOR_CREATED:
            values["data"] = event.data
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                Event.create(values)
                self.env.flush_all()
        except psycopg2.errors.UniqueViolation:
            return 200, "duplicate"  # the same message, delivered twice at once
        self.env.ref(EXPORT_CRON_XMLID).sudo()._trigger()
        return 202, "accepted"

    # ------------------------------------------------------------------ the export cron

    @api.model
    def _export_due_domain(self, press=None):
        """A company with a healthy subscription is polled once an hour; one whose event
        announced a job is due at once."""
        domain = super()._export_due_domain(press)
        if press:
            return domain
        hourly = fields.Datetime.now() - 0.9 * HEALTHY_POLL
        polled = Domain(domain) & (
            Domain("webhook_state", "!=", "on")
            | Domain("export_polled_at", "=", False)
            | Domain("export_polled_at", "<", hourly)
        )
        announced = Domain(
            [
                ("export_enabled", "=", True),
                ("state", "=", "connected"),
                ("webhook_event_ids", "any", [("state", "=", "pending")]),
            ]
        )
        return list(polled | announced)

    @api.model
    def _cron_pleo_export(self):
        result = super()._cron_pleo_export()
        self.env["pleo.webhook.event"]._gc_old_events()
        return result

    def _export_next_job(self, api):
        """The job an event announced, claimed by its id without listing the jobs, when
        Odoo has no job of this company under way; else the job list as usual."""
        self._webhook_match_vendors()
        return self._webhook_next_job(api) or super()._export_next_job(api)

    def _webhook_next_job(self, api):
        Event = self.env["pleo.webhook.event"].sudo()
        events = Event.search(
            [
                ("connection_id", "=", self.id),
                ("state", "=", "pending"),
                ("event_type", "=", EXPORT_JOB_CREATED),
            ],
            order="id",
        )
        if not events:
            return None
        Job = self.env["pleo.export.job"].sudo()
        mine = [("connection_id", "=", self.id)]
        if Job.search_count([*mine, ("state", "=", "in_progress")]):
            return None  # resumed through the job list first (Pleo allows one at a time)
        for event in events:
            event.state = "done"
            if not event.object_uuid or Job.search_count(
                [*mine, ("pleo_job_uuid", "=", event.object_uuid)]
            ):
                continue
            try:
                remote = api.get_job(event.object_uuid)
            except errors.NotFoundError:
                event.write({"state": "ignored", "note": "not found at Pleo"})
                continue
            if remote.company_id != self.pleo_company_uuid or remote.status != "pending":
                event.write({"state": "ignored", "note": remote.status})
                continue
            job = self._export_claim(api, remote)
            if job:
                return job
        return None

    # ------------------------------------------------------------------ new vendors

    def _webhook_match_vendors(self):
        """Match each new Pleo vendor an event announced to a partner, or create it when the
        connection creates vendors, so that its first bill books without a failure."""
        events = (
            self.env["pleo.webhook.event"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.id),
                    ("state", "=", "pending"),
                    ("event_type", "=", VENDOR_CREATED),
                ],
                order="id",
            )
        )
        for event in events:
            try:
                vendor = read_vendor(Reader(f"vendor {event.object_uuid}"), event.data or {})
                partner = self._webhook_vendor_partner(vendor)
            except ItemError as error:
                event.write({"state": "ignored", "note": str(error)[:200]})
                continue
            event.write(
                {
                    "state": "done" if partner else "ignored",
                    "note": partner.display_name if partner else "no partner",
                }
            )

    def _webhook_vendor_partner(self, vendor):
        """The partner of Pleo's new ``vendor`` (a :class:`VendorRef`): the export's own
        matching (id, reference, VAT), then name and country, else created if the connection
        creates vendors. The partner keeps the vendor's id (and, matched by name, its code as
        its reference when it has none), so that the export finds it."""
        payables = PayablesBooker(
            SimpleNamespace(env=self.env, company=self.company_id, connection=self)
        )
        partner = payables.find_vendor(vendor)
        if not partner and vendor.name:
            Partner, scope = payables._partners()
            domain = [*scope, ("parent_id", "=", False), ("name", "=ilike", vendor.name.strip())]
            if vendor.country:
                domain.append(("country_id.code", "=", vendor.country.upper()))
            found = Partner.search(domain, limit=2)
            if len(found) == 1:
                partner = found
                if vendor.code and not partner.ref:
                    partner.ref = vendor.code
        if not partner and self.export_create_vendors:
            partner = payables._create_vendor(vendor, {})
        payables.remember_vendor(partner, vendor)  # the export finds it by the vendor's id
        return partner
