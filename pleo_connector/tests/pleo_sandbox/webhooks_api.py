"""The Subscriptions API as the sandbox serves it (``pleo-webhook-subscriptions-openapi.yml``).

``ROUTES`` is spliced into ``pleo_api``'s routing table (auth, rate limit, scopes). The scope it
needs is [unknown] (the spec names none; Pleo's pages tie export events to the Export API's
scopes): the behaviour switch ``subscription_scope``. The state lives in ``webhook_state.py``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .export_api import _answer, _object
from .export_state import BadRequest
from .models import ApiKey, Response, json_response
from .paging import one, paginate
from .webhook_state import AUTH_TYPES, SUBSCRIPTION_STATUSES

Query = dict[str, list[str]]
_ID = r"(?P<id>[^/]+)"


def _request(body: bytes) -> dict:
    """A ``SubscriptionRequest``, checked as Pleo's validation would."""
    payload = _object(body)
    url = payload.get("endpointUrl")
    if (
        not isinstance(url, str)
        or urlsplit(url).scheme not in ("http", "https")
        or not urlsplit(url).netloc
    ):
        raise BadRequest("endpointUrl is required and must be an http(s) URL")
    types = payload.get("eventTypes")
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, str) and t for t in types)
        or len(set(types)) != len(types)
    ):
        raise BadRequest("eventTypes is required: a list of distinct event type names")
    status = payload.get("status") or "ACTIVE"
    if status not in SUBSCRIPTION_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(SUBSCRIPTION_STATUSES)}")
    headers = payload.get("customHeaders") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise BadRequest("customHeaders must be an object of strings")
    auth = payload.get("endpointAuth")
    if auth is not None:
        if not isinstance(auth, dict) or (auth.get("type") or "NONE") not in AUTH_TYPES:
            raise BadRequest(f"endpointAuth.type must be one of {', '.join(AUTH_TYPES)}")
        credentials = auth.get("credentials")
        if credentials is not None and not isinstance(credentials, dict):
            raise BadRequest("endpointAuth.credentials must be an object")
        auth = {"type": auth.get("type") or "NONE", "credentials": dict(credentials or {})}
    return {
        "endpoint_url": url,
        "event_types": list(types),
        "status": status,
        "custom_headers": dict(headers),
        "endpoint_auth": auth,
    }


def _list(query: Query, name: str) -> list[str]:
    return [v for value in query.get(name, []) for v in value.split(",") if v]


@_answer
def list_subscriptions(state, key: ApiKey, query: Query, body: bytes) -> Response:
    status = one(query, "status")
    if status is not None and status not in SUBSCRIPTION_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(SUBSCRIPTION_STATUSES)}")
    types = _list(query, "event_types")
    rows = state.api_list_subscriptions(key, status, types)
    parameters = {"status": [status] if status else [], "event_types": types}
    return json_response(200, paginate(rows, query, parameters))


@_answer
def create_subscription(state, key: ApiKey, query: Query, body: bytes) -> Response:
    return json_response(200, {"data": state.api_create_subscription(key, _request(body))})


@_answer
def get_subscription(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    return json_response(200, {"data": state.api_get_subscription(key, id)})


@_answer
def update_subscription(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    """PUT replaces the subscription with the request (the secret stays)."""
    values = _request(body)
    return json_response(200, {"data": state.api_update_subscription(key, id, values)})


@_answer
def delete_subscription(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    state.api_delete_subscription(key, id)
    return Response(204)


@_answer
def subscription_activities(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    operations = _list(query, "operation_types")
    rows = state.api_subscription_activities(key, id, operations)
    return json_response(200, paginate(rows, query, {"operation_types": operations}))


@_answer
def subscription_secret(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    return json_response(200, {"data": {"secretKey": state.api_subscription_secret(key, id)}})


def _scope(behaviour):
    return None if behaviour.subscription_scope == "none" else behaviour.subscription_scope


ROUTES = (
    (
        re.compile(r"/v1/subscriptions"),
        {"GET": list_subscriptions, "POST": create_subscription},
        _scope,
    ),
    (
        re.compile(rf"/v1/subscriptions/{_ID}"),
        {"GET": get_subscription, "PUT": update_subscription, "DELETE": delete_subscription},
        _scope,
    ),
    (re.compile(rf"/v1/subscriptions/{_ID}/activities"), {"GET": subscription_activities}, _scope),
    (re.compile(rf"/v1/subscriptions/{_ID}/secret"), {"GET": subscription_secret}, _scope),
)
