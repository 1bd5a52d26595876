"""Delivery of webhook events as a Standard Webhooks sender, with Pleo's unknowns as switches.

[std] (standardwebhooks.com, whose headers Pleo's pages show): a POST of the event's JSON with
``webhook-id`` (the message id, the same on every retry), ``webhook-timestamp`` (Unix seconds of
this attempt) and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``"{id}.{timestamp}.{body}"`` keyed with the secret's bytes, the base64 part after ``whsec_``).
A non-2xx answer, a time-out or a refused connection is retried with back-off; deliveries may
repeat and arrive out of order. The signature is computed here by hand from that text, not with
the ``standardwebhooks`` package the addon verifies with, so that the two can disagree.

[docs] the subscription's custom headers go with every event, and ``endpointAuth`` BASIC sends
its credentials. [unknown] Pleo's retry schedule, time-out, ordering and duplicates: the
behaviour switches ``webhook_*`` (see the sandbox README), with the reference implementation's
schedule as default.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

_logger = logging.getLogger("pleo_sandbox")

#: How old a timestamp the "stale" switch sends (the receiver's tolerance is 5 minutes [std]).
STALE_SECONDS = 600
#: How long the "swapped" switch holds a message for the next one to overtake it.
HOLD_SECONDS = 1.0


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header [std]."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    message_id: str
    event_type: str
    body: bytes = field(repr=False)
    subscription_id: str
    url: str
    secret: str = field(repr=False)
    headers: dict = field(repr=False)
    auth: dict | None = field(repr=False)
    attempt: int = 0


class WebhookSender:
    """One background thread that delivers, retries and records every attempt.

    ``behaviour()`` gives the switches at the moment of sending. :meth:`flush` waits until
    nothing is due (tests); :attr:`attempts` is the log the control API shows.
    """

    def __init__(self, behaviour):
        self._behaviour = behaviour
        self._cond = threading.Condition()
        self._queue: list = []
        self._order = itertools.count()
        self._held: tuple[float, Delivery] | None = None
        self._busy = 0
        self._closed = False
        self.attempts: list[dict] = []
        self._thread = threading.Thread(target=self._run, name="pleo-webhooks", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ queueing
    def send(self, event, subscription) -> None:
        behaviour = self._behaviour()
        delivery = Delivery(
            message_id=event.message_id,
            event_type=event.event_type,
            body=event.body,
            subscription_id=subscription.id,
            url=subscription.endpoint_url,
            secret=subscription.secret,
            headers=dict(subscription.custom_headers),
            auth=copy.deepcopy(subscription.endpoint_auth),
        )
        with self._cond:
            if behaviour.webhook_delivery == "off":
                self._record(delivery, "not sent", None)
                return
            if behaviour.webhook_order == "swapped" and self._held is None:
                self._held = (time.monotonic() + HOLD_SECONDS, delivery)
                self._cond.notify_all()
                return
            self._push(time.monotonic(), delivery)
            if self._held is not None:  # the held message comes after this one
                self._push(time.monotonic(), self._held[1])
                self._held = None
            if behaviour.webhook_duplicates:
                self._push(time.monotonic() + 0.05, dataclasses.replace(delivery))
            self._cond.notify_all()

    def _push(self, due: float, delivery: Delivery) -> None:
        heapq.heappush(self._queue, (due, next(self._order), delivery))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is due, held or in flight (retries scheduled later than
        ``timeout`` count as pending); return whether that happened in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._held or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def forget(self) -> None:
        with self._cond:
            self._queue.clear()
            self._held = None
            self.attempts.clear()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------------ delivering
    def _next(self) -> Delivery | None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                if self._held and self._held[0] <= now:
                    self._push(now, self._held[1])
                    self._held = None
                if self._queue and self._queue[0][0] <= now:
                    self._busy += 1
                    return heapq.heappop(self._queue)[2]
                waits = [self._queue[0][0] - now] if self._queue else []
                waits += [self._held[0] - now] if self._held else []
                self._cond.wait(min(waits, default=0.5))
            return None

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            try:
                self._attempt(delivery)
            except Exception:  # the sender must outlive anything one delivery does
                _logger.exception("webhook delivery %s failed", delivery.message_id)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        behaviour = self._behaviour()
        timestamp = int(time.time())
        if behaviour.webhook_timestamp == "stale":
            timestamp -= STALE_SECONDS
        secret = delivery.secret
        if behaviour.webhook_signature == "wrong":
            secret = "whsec_" + base64.b64encode(b"not the subscription's secret!!").decode()
        headers = {
            **delivery.headers,
            "Content-Type": "application/json",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, delivery.message_id, timestamp, delivery.body),
        }
        if delivery.auth and delivery.auth.get("type") == "BASIC":
            credentials = delivery.auth.get("credentials") or {}
            pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        # The subscription's URL is http(s): webhooks_api checks it at subscription.
        request = urllib.request.Request(  # noqa: S310
            delivery.url, data=delivery.body, headers=headers, method="POST"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=behaviour.webhook_timeout_seconds) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (OSError, ValueError) as error:
            status = None
            _logger.info("webhook %s to %s: %s", delivery.message_id, delivery.url, error)
        ok = status is not None and 200 <= status < 300
        with self._cond:
            self._record(delivery, "delivered" if ok else "failed", status)
            delays = behaviour.webhook_retry_seconds
            if not ok and delivery.attempt < len(delays):
                retry = dataclasses.replace(delivery, attempt=delivery.attempt + 1)
                self._push(time.monotonic() + delays[delivery.attempt], retry)
                self._cond.notify_all()

    def _record(self, delivery: Delivery, outcome: str, status: int | None) -> None:
        self.attempts.append(
            {
                "message_id": delivery.message_id,
                "event_type": delivery.event_type,
                "subscription_id": delivery.subscription_id,
                "url": delivery.url,
                "attempt": delivery.attempt,
                "outcome": outcome,
                "status": status,
            }
        )
