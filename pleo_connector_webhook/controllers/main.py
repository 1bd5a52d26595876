# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The endpoint Pleo delivers webhook events to: ``POST /pleo/webhook/<token>``.

Public (``auth='none'``, no CSRF token: Pleo is no browser), POST only, a small body. The
token of the path finds the connection (by its digest); the signature is checked with the
``standardwebhooks`` package (``pleolib.webhooks.verify``: the connection's secret, a timestamp
at most 5 minutes away); the event's company must be the connection's. A good event is recorded
once per ``webhook-id`` and wakes the export cron: no Pleo call and no booking here, so the
answer is fast. A re-delivered ``webhook-id`` is answered 200 and recorded no second time (the
sender then stops retrying it).

Whatever is wrong with a request, the answer is the same bare 400 (413 for a body over the
limit): nothing tells a sender which check failed. The refusals are counted per reason and
per address in this process; an address with ``FLOOD_LIMIT`` refusals in the last minute is
answered 429 by a guard in front of Odoo's WSGI application (``_guarded_call``), before Odoo
picks a database, opens a cursor or matches a route: a flood costs no database work at all.

The path's token is a credential: the werkzeug request log prints it masked.
"""

import logging
import re
import threading
import time
from collections import Counter, OrderedDict, deque

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import SUPERUSER_ID, http
from odoo.http import request
from odoo.tools import config

from ..models.pleo_connection import ROUTE

_logger = logging.getLogger(__name__)

#: Bodies above this size are refused (Pleo's events are a few hundred bytes).
MAX_BODY = 64 * 1024
#: Refusals per address and minute after which the address is answered 429.
FLOOD_LIMIT = 100
FLOOD_WINDOW = 60.0
#: Addresses remembered at most (the oldest are forgotten first).
FLOOD_ADDRESSES = 10000
_TOKEN_IN_PATH = re.compile(re.escape(ROUTE) + r"[^ ?\"]+")


class _Refusals:
    """Refusals per address in the last minute, and per reason since the start (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_address = OrderedDict()
        self.reasons = Counter()

    def flooding(self, address, now=None):
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._by_address.get(address)
            while times and times[0] < now - FLOOD_WINDOW:
                times.popleft()
            return bool(times) and len(times) >= FLOOD_LIMIT

    def add(self, address, reason, now=None):
        now = time.monotonic() if now is None else now
        with self._lock:
            self.reasons[reason] += 1
            times = self._by_address.pop(address, None) or deque(maxlen=FLOOD_LIMIT)
            times.append(now)
            self._by_address[address] = times
            while len(self._by_address) > FLOOD_ADDRESSES:
                self._by_address.popitem(last=False)

    def reset(self):
        with self._lock:
            self._by_address.clear()
            self.reasons.clear()


REFUSALS = _Refusals()


class _MaskToken(logging.Filter):
    """Mask the path token in werkzeug's request lines."""

    def filter(self, record):
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and ROUTE in arg for arg in record.args
        ):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(ROUTE + "***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


if not any(isinstance(f, _MaskToken) for f in logging.getLogger("werkzeug").filters):
    logging.getLogger("werkzeug").addFilter(_MaskToken())


def _address(environ):
    """The sender's address as Odoo's request will see it: behind a proxy (``proxy_mode``,
    ``X-Forwarded-Host`` set) the last ``X-Forwarded-For`` hop, as Odoo's ProxyFix reads it."""
    if config["proxy_mode"] and environ.get("HTTP_X_FORWARDED_HOST"):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return environ.get("REMOTE_ADDR") or "?"


_odoo_application_call = http.Application.__call__


def _guarded_call(self, environ, start_response):
    """Odoo's WSGI entry point, with a flood of bad webhook deliveries answered 429 first.

    Odoo opens a database cursor for every request before it matches the route (to check the
    registry), so a check inside the route would still cost each flooded request a cursor and
    queries. This guard only reads the path and the in-memory refusal counts."""
    if environ.get("PATH_INFO", "").startswith(ROUTE) and REFUSALS.flooding(_address(environ)):
        start_response(
            "429 Too Many Requests", [("Content-Type", "text/plain"), ("Content-Length", "0")]
        )
        return [b""]
    return _odoo_application_call(self, environ, start_response)


if not getattr(http.Application.__call__, "pleo_webhook_guard", False):
    _guarded_call.pleo_webhook_guard = True
    http.Application.__call__ = _guarded_call


def _answer(status):
    return request.make_response("", status=status, headers=[("Content-Type", "text/plain")])


class PleoWebhookController(http.Controller):
    @http.route(
        ROUTE + "<string:token>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def pleo_webhook(self, token, **_kwargs):
        address = request.httprequest.remote_addr or "?"  # a flood never gets here: _guarded_call
        length = request.httprequest.content_length
        if length is not None and length > MAX_BODY:
            REFUSALS.add(address, "size")
            return _answer(413)
        request.httprequest.max_content_length = MAX_BODY  # also a chunked body's
        try:
            body = request.httprequest.get_data(cache=False)
        except RequestEntityTooLarge:
            REFUSALS.add(address, "size")
            return _answer(413)
        request.update_env(user=SUPERUSER_ID)
        status, reason = request.env["pleo.connection"]._webhook_receive(
            token, body, request.httprequest.headers
        )
        if status >= 400:
            REFUSALS.add(address, reason)
            _logger.info("Pleo webhook refused from %s (%s)", address, reason)
        return _answer(status)
