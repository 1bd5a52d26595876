"""Pleo's webhooks without Odoo: the Subscriptions API calls, and the check of a delivery.

Subscriptions [spec] ``pleo-webhook-subscriptions-openapi.yml``: a subscription sends the events
it names to an endpoint URL; its secret (``GET /v1/subscriptions/{id}/secret``, ``whsec_…``)
signs them. :class:`SubscriptionApi` makes the calls over a :class:`~.client.PleoClient` (the
connection's key), checking every answer's shape as :mod:`.export_api` does.

A delivery [docs, std] carries ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(Standard Webhooks). :func:`verify` checks it with the ``standardwebhooks`` package, the
specification's own reference library (constant-time comparison, several signatures, the
5-minute tolerance), rather than a hand-made HMAC: the sandbox signs by hand from the
specification's text, so that a misreading on either side shows. The package is imported when
a delivery is checked, so that the rest of the addon runs without it. What a receiver must still
do itself (remember ``webhook-id`` against replays, answer fast, work later) is the caller's.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from ._shapes import json_list, json_object, json_value
from .client import Endpoints
from .errors import PleoError, UnexpectedResponseError
from .export_api import cursor_pages

SUBSCRIPTIONS_PATH = "/v1/subscriptions"
EXPORT_JOB_CREATED = "v1.export-job.created"
VENDOR_CREATED = "v1.vendor.created"
STATUSES = ("ACTIVE", "INACTIVE")
#: [std] a timestamp further than this from now is refused (a replay, or a wrong clock).
TOLERANCE_SECONDS = 300
_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]+={0,2}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PAGE_SIZE = 100


@dataclass(frozen=True)
class Subscription:
    """A ``SubscriptionModel``: where Pleo sends which events, and whether it does."""

    id: str
    endpoint_url: str
    event_types: tuple
    status: str

    @property
    def active(self):
        return self.status == "ACTIVE"


def parse_subscription(data, where="data."):
    data = json_object(data, where.rstrip(".") or "the answer")
    status = json_value(data, "status", (str,), where)
    if status not in STATUSES:
        raise UnexpectedResponseError(f"Pleo's answer has an unknown {where}status.")
    event_types = tuple(json_list(data.get("eventTypes"), f"{where}eventTypes"))
    if not all(isinstance(event_type, str) for event_type in event_types):
        raise UnexpectedResponseError(f"Pleo's answer has a {where}eventTypes that is not text.")
    return Subscription(
        id=json_value(data, "id", (str,), where),
        endpoint_url=json_value(data, "endpointUrl", (str,), where),
        event_types=event_types,
        status=status,
    )


class SubscriptionApi(Endpoints):
    """The Subscriptions API calls, over one :class:`~.client.PleoClient`."""

    @staticmethod
    def _path(subscription_id, suffix=""):
        return f"{SUBSCRIPTIONS_PATH}/{quote(str(subscription_id), safe='')}{suffix}"

    def list(self, event_types=()):
        """Every subscription of the key (those to one of ``event_types``, when given)."""
        params = {"event_types": list(event_types)} if event_types else {}
        found = []
        pages = cursor_pages(
            self._call, SUBSCRIPTIONS_PATH, params, "listing the webhook subscriptions", PAGE_SIZE
        )
        for page in pages:
            found.extend(
                parse_subscription(item, f"data[{len(found) + i}].") for i, item in enumerate(page)
            )
        return found

    @staticmethod
    def _request_body(endpoint_url, event_types, active, custom_headers):
        body = {
            "endpointUrl": endpoint_url,
            "eventTypes": list(dict.fromkeys(event_types)),
            "status": "ACTIVE" if active else "INACTIVE",
        }
        if custom_headers:
            body["customHeaders"] = dict(custom_headers)
        return body

    def subscribe(self, endpoint_url, event_types, active=True, custom_headers=None):
        """Subscribe ``endpoint_url`` to ``event_types``; return the :class:`Subscription`."""
        body = self._request_body(endpoint_url, event_types, active, custom_headers)
        payload = self._call(
            "POST", SUBSCRIPTIONS_PATH, "creating the webhook subscription", json_body=body
        )
        return parse_subscription(json_object(payload, "the answer").get("data"))

    def replace(self, subscription_id, endpoint_url, event_types, active=True, custom_headers=None):
        """Replace the subscription (its secret stays); return it."""
        body = self._request_body(endpoint_url, event_types, active, custom_headers)
        payload = self._call(
            "PUT",
            self._path(subscription_id),
            "updating the webhook subscription",
            json_body=body,
        )
        return parse_subscription(json_object(payload, "the answer").get("data"))

    def fetch(self, subscription_id):
        """The subscription (:class:`~.errors.NotFoundError` when Pleo has none)."""
        payload = self._call("GET", self._path(subscription_id), "reading the webhook subscription")
        return parse_subscription(json_object(payload, "the answer").get("data"))

    def delete(self, subscription_id):
        self._call("DELETE", self._path(subscription_id), "deleting the webhook subscription")

    def secret(self, subscription_id):
        """The secret that signs the subscription's events (``whsec_…``): a secret like the
        key, for the vault only."""
        payload = self._call(
            "GET", self._path(subscription_id, "/secret"), "reading the webhook secret"
        )
        data = json_object(json_object(payload, "the answer").get("data"), "data")
        secret = data.get("secretKey")
        if not isinstance(secret, str) or not _SECRET.match(secret):
            raise UnexpectedResponseError("Pleo's answer has no valid data.secretKey.")
        return secret


class WebhookRejected(PleoError):
    """A delivery that is not Pleo's, or not now: ``reason`` says which check failed
    (``headers``, ``signature``, ``timestamp``, ``body``); never said to the sender."""

    code = "webhook_rejected"
    default_message = "The webhook delivery was refused."

    def __init__(self, reason):
        self.reason = reason
        super().__init__(f"The webhook delivery was refused ({reason}).", retryable=False)


@dataclass(frozen=True)
class Event:
    """A verified delivery: its ``webhook-id`` (for replays), type, company and data."""

    message_id: str
    event_type: str
    company_id: str
    data: dict

    @property
    def job_id(self):
        """The export job of a ``v1.export-job.created`` event."""
        return self.data.get("id") if self.event_type == EXPORT_JOB_CREATED else None


def verify(secret, body, headers):
    """Return the :class:`Event` of a delivery signed with ``secret``, or raise
    :class:`WebhookRejected`. ``headers`` is a mapping of the request's headers (any case)."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError  # noqa: PLC0415

    lowered = {str(name).lower(): value for name, value in dict(headers).items()}
    needed = ("webhook-id", "webhook-timestamp", "webhook-signature")
    if not all(isinstance(lowered.get(name), str) and lowered[name] for name in needed):
        raise WebhookRejected("headers")
    try:
        payload = Webhook(secret).verify(body, {name: lowered[name] for name in needed})
    except WebhookVerificationError as error:
        reason = "timestamp" if "timestamp" in str(error).lower() else "signature"
        raise WebhookRejected(reason) from None
    except ValueError:  # a body that is not JSON, though signed
        raise WebhookRejected("body") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise WebhookRejected("body")
    event_type, data = payload.get("eventType"), payload["data"]
    company_id = data.get("companyId")
    if not isinstance(event_type, str) or not (
        isinstance(company_id, str) and _UUID.match(company_id)
    ):
        raise WebhookRejected("body")
    return Event(lowered["webhook-id"], event_type, company_id, data)
