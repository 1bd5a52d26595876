"""Webhook subscriptions and the events Pleo sends to them, as the sandbox holds them.

:class:`WebhookState` is mixed into :class:`~pleo_sandbox.state.SandboxState` (its lock, keys and
behaviour switches). Spec: ``pleo-webhook-subscriptions-openapi.yml`` (the Subscriptions API,
served by ``webhooks_api.py``); events and their bodies: Pleo's "Webhooks" pages (beta), as
``shared/docs/pleo-webhooks.md`` quotes them; delivery: the Standard Webhooks specification,
whose headers and signature Pleo's pages show (``webhook_sender.py``).

A subscription belongs to the key that made it: it is listed, read and changed through keys of
the same subject and environment, and it receives the events of the companies that key covers
("events go to the entity the key was issued for" [docs]). Its secret (``whsec_`` and 24 random
bytes in base64) is made once, at creation.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
import uuid
from dataclasses import dataclass, field

from .export_state import ExportError
from .models import ApiKey, SandboxError, UnknownEntityError, iso, now_utc

#: [docs] The event types Pleo's pages document (the spec says only "see the EventType enum").
EVENT_TYPES = ("v1.export-job.created", "v1.vendor.created")
SUBSCRIPTION_STATUSES = ("INACTIVE", "ACTIVE")
AUTH_TYPES = ("NONE", "BASIC")


class SubscriptionError(ExportError):
    """The Subscriptions API's domain error: no such subscription for this key (404)."""

    def __init__(self, message: str = "subscription not found"):
        super().__init__(404, "NOT_FOUND", message)


@dataclass
class Subscription:
    id: str
    key: ApiKey = field(repr=False)  # whose subscription it is, and which companies it hears
    endpoint_url: str
    event_types: list[str]
    status: str
    custom_headers: dict[str, str]
    endpoint_auth: dict | None = field(repr=False)
    secret: str = field(repr=False)
    created_at: str = ""
    updated_at: str = ""

    def owned_by(self, key: ApiKey) -> bool:
        return (self.key.environment, self.key.subject_urn) == (key.environment, key.subject_urn)

    def to_api(self) -> dict:
        """``SubscriptionModel`` (credentials are never read back: the spec marks nothing so,
        and a third party should not get a password back from Pleo)."""
        data = {
            "id": self.id,
            "endpointUrl": self.endpoint_url,
            "eventTypes": list(self.event_types),
            "status": self.status,
            "customHeaders": dict(self.custom_headers),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
        if self.endpoint_auth:
            data["endpointAuth"] = {"type": self.endpoint_auth["type"]}
        return data


@dataclass
class Event:
    """One event, as generated: Pleo's body, and the subscriptions it goes to."""

    message_id: str
    event_type: str
    company_id: str
    body: bytes
    subscription_ids: list[str]
    created_at: str


def new_secret() -> str:
    """A signing secret as Pleo shows it: ``whsec_`` and the key's bytes in base64 [std]."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookState:
    """Subscriptions, their change history, and the events generated for them."""

    def _reset_webhooks(self) -> None:
        self._subscriptions: dict[str, Subscription] = {}
        self._subscription_activities: list[dict] = []
        self._events: list[Event] = []
        sender = getattr(self, "webhook_sender", None)
        if sender is not None:
            sender.forget()

    def _webhook_snapshot(self) -> dict:
        return {
            "subscriptions": [s.to_api() for s in self._subscriptions.values()],
            "events": [
                {"id": e.message_id, "type": e.event_type, "subscriptions": e.subscription_ids}
                for e in self._events
            ],
        }

    # ------------------------------------------------------------------ the API's operations
    def _own_subscription(self, key: ApiKey, subscription_id: str) -> Subscription:
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None or not subscription.owned_by(key):
            raise SubscriptionError()
        return subscription

    def _activity(self, key: ApiKey, subscription: Subscription, operation: str, text: str):
        self._subscription_activities.append(
            {
                "id": str(uuid.uuid4()),
                "subscriptionId": subscription.id,
                "operationType": operation,
                "description": text,
                "actorUrn": key.subject_urn,
                "createdAt": iso(now_utc()),
            }
        )

    def api_list_subscriptions(
        self, key: ApiKey, status: str | None, event_types: list[str]
    ) -> list[dict]:
        with self._lock:
            return [
                s.to_api()
                for s in self._subscriptions.values()
                if s.owned_by(key)
                and (status is None or s.status == status)
                and (not event_types or set(event_types) & set(s.event_types))
            ]

    def api_create_subscription(self, key: ApiKey, values: dict) -> dict:
        with self._lock:
            now = iso(now_utc())
            subscription = Subscription(
                id=str(uuid.uuid4()),
                key=dataclasses.replace(key),
                secret=new_secret(),
                created_at=now,
                updated_at=now,
                **values,
            )
            self._subscriptions[subscription.id] = subscription
            self._activity(key, subscription, "CREATE", "Subscription created")
            return subscription.to_api()

    def api_get_subscription(self, key: ApiKey, subscription_id: str) -> dict:
        with self._lock:
            return self._own_subscription(key, subscription_id).to_api()

    def api_update_subscription(self, key: ApiKey, subscription_id: str, values: dict) -> dict:
        with self._lock:
            subscription = self._own_subscription(key, subscription_id)
            for name, value in values.items():
                setattr(subscription, name, value)
            subscription.updated_at = iso(now_utc())
            self._activity(key, subscription, "UPDATE", "Subscription updated")
            return subscription.to_api()

    def api_delete_subscription(self, key: ApiKey, subscription_id: str) -> None:
        with self._lock:
            subscription = self._own_subscription(key, subscription_id)
            self._activity(key, subscription, "DELETE", "Subscription deleted")
            del self._subscriptions[subscription_id]

    def api_subscription_activities(
        self, key: ApiKey, subscription_id: str, operations: list[str]
    ) -> list[dict]:
        with self._lock:
            activities = [
                a for a in self._subscription_activities if a["subscriptionId"] == subscription_id
            ]
            if subscription_id in self._subscriptions:
                self._own_subscription(key, subscription_id)
            elif not activities or activities[0]["actorUrn"] != key.subject_urn:
                raise SubscriptionError()
            return [a for a in activities if not operations or a["operationType"] in operations]

    def api_subscription_secret(self, key: ApiKey, subscription_id: str) -> str:
        with self._lock:
            return self._own_subscription(key, subscription_id).secret

    # ------------------------------------------------------------------ the test API
    def subscriptions(self, company_id: str | None = None) -> list[dict]:
        """Every subscription (with the company it hears, when given), as the API shows it."""
        with self._lock:
            return [
                s.to_api()
                for s in self._subscriptions.values()
                if company_id is None or self._hears(s, company_id)
            ]

    def subscription_secret(self, subscription_id: str) -> str:
        with self._lock:
            subscription = self._subscriptions.get(subscription_id)
            if subscription is None:
                raise UnknownEntityError(f"unknown subscription {subscription_id}")
            return subscription.secret

    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def _hears(self, subscription: Subscription, company_id: str) -> bool:
        company = self._companies.get(company_id)
        return company is not None and subscription.key.can_see(company)

    def emit_event(self, company_id: str, event_type: str, data: dict) -> Event:
        """Generate ``event_type`` for ``company_id`` as Pleo does when it happens: one
        message (one ``webhook-id``) for every ACTIVE subscription to it that hears the
        company, handed to the sender. Body [docs]: ``{"data", "eventId", "eventType"}``."""
        if event_type not in EVENT_TYPES:
            raise SandboxError(f"event_type must be one of {EVENT_TYPES}")
        with self._lock:
            targets = [
                s
                for s in self._subscriptions.values()
                if s.status == "ACTIVE"
                and event_type in s.event_types
                and self._hears(s, company_id)
            ]
            message_id = "msg_" + secrets.token_urlsafe(18)
            body = {"data": data, "eventId": str(uuid.uuid4()), "eventType": event_type}
            event = Event(
                message_id=message_id,
                event_type=event_type,
                company_id=company_id,
                body=json.dumps(body, separators=(",", ":")).encode(),
                subscription_ids=[s.id for s in targets],
                created_at=iso(now_utc()),
            )
            self._events.append(event)
            deliveries = [dataclasses.replace(s) for s in targets]
        sender = getattr(self, "webhook_sender", None)
        if sender is not None:
            for subscription in deliveries:
                sender.send(event, subscription)
        return event
