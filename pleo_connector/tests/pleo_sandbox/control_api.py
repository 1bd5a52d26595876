"""The sandbox's control API under ``/_sandbox/``: a JSON front of the Python API.

Every route calls the same :class:`~pleo_sandbox.state.SandboxState` method a test would.
Bad input answers 400, an unknown key or company 404; the answers are JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable

from .models import (
    Response,
    SandboxError,
    UnknownEntityError,
    error_response,
    json_response,
    method_not_allowed,
)
from .state import SandboxState

ControlHandler = Callable[[SandboxState, dict], object]


def _fields(body: dict, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    """Return the body's fields, rejecting unknown ones and requiring ``required``."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise SandboxError(f"unknown field(s): {', '.join(unknown)}")
    missing = [name for name in required if name not in body]
    if missing:
        raise SandboxError(f"missing field(s): {', '.join(missing)}")
    return body


def _add_company(state: SandboxState, body: dict) -> dict:
    fields = _fields(
        body, ("name", "company_id", "organization_id", "registration_number", "address"), ("name",)
    )
    return {"company_id": state.add_company(**fields)}


def _mint_key(state: SandboxState, body: dict) -> dict:
    fields = dict(
        _fields(
            body,
            (
                "company_id",
                "environment",
                "scopes",
                "application_name",
                "auth_method",
                "subject_kind",
                "expires_at",
                "key",
            ),
        )
    )
    if fields.get("expires_at") is not None:
        try:
            # Python 3.10's fromisoformat does not read the "Z" suffix
            fields["expires_at"] = dt.datetime.fromisoformat(
                fields["expires_at"].replace("Z", "+00:00")
            )
        except (AttributeError, TypeError, ValueError):
            raise SandboxError("expires_at must be an ISO 8601 date-time") from None
    key = state.mint_key(**fields)
    return {"key": key, "company_id": state.key_info(key)["company_id"]}


def _key_action(method: Callable[[SandboxState, str], None]) -> ControlHandler:
    def handler(state: SandboxState, body: dict) -> dict:
        method(state, _fields(body, ("key",), ("key",))["key"])
        return {}

    return handler


def _set_scopes(state: SandboxState, body: dict) -> dict:
    fields = _fields(body, ("key", "scopes"), ("key", "scopes"))
    state.set_scopes(fields["key"], fields["scopes"])
    return {}


def _inject_fault(state: SandboxState, body: dict) -> dict:
    state.inject_fault(
        **_fields(
            body, ("path", "method", "kind", "status", "retry_after", "latency", "times"), ("path",)
        )
    )
    return {}


def _clear_faults(state: SandboxState, body: dict) -> dict:
    state.clear_faults()
    return {}


def _requests(state: SandboxState, body: dict) -> dict:
    return {"requests": [dataclasses.asdict(r) for r in state.requests]}


def _reset_requests(state: SandboxState, body: dict) -> dict:
    state.reset_requests()
    return {}


def _set_behaviour(state: SandboxState, body: dict) -> dict:
    try:
        state.behaviour = dataclasses.replace(state.behaviour, **body)
    except TypeError as exc:  # an unknown field name
        raise SandboxError(str(exc)) from None
    return dataclasses.asdict(state.behaviour)


def _state(state: SandboxState, body: dict) -> dict:
    return state.snapshot()


def _reset(state: SandboxState, body: dict) -> dict:
    state.reset()
    return {}


ROUTES: dict[str, dict[str, ControlHandler]] = {
    "/_sandbox/companies": {"POST": _add_company},
    "/_sandbox/keys": {"POST": _mint_key},
    "/_sandbox/keys/revoke": {"POST": _key_action(SandboxState.revoke_key)},
    "/_sandbox/keys/expire": {"POST": _key_action(SandboxState.expire_key)},
    "/_sandbox/keys/scopes": {"POST": _set_scopes},
    "/_sandbox/faults": {"POST": _inject_fault, "DELETE": _clear_faults},
    "/_sandbox/requests": {"GET": _requests, "DELETE": _reset_requests},
    "/_sandbox/behaviour": {"PUT": _set_behaviour},
    "/_sandbox/state": {"GET": _state},
    "/_sandbox/reset": {"POST": _reset},
}


def handle(state: SandboxState, method: str, path: str, body: bytes) -> Response:
    """Answer one control request."""
    handlers = ROUTES.get(path.rstrip("/"))
    if handlers is None:
        return error_response(404, "NOT_FOUND", "no such control endpoint")
    handler = handlers.get(method)
    if handler is None:
        return method_not_allowed(method, handlers)
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        return error_response(400, "BAD_REQUEST", "the request body is not valid JSON")
    if not isinstance(payload, dict):
        return error_response(400, "BAD_REQUEST", "the request body must be a JSON object")
    try:
        return json_response(200, handler(state, payload))
    except UnknownEntityError as exc:
        return error_response(404, "NOT_FOUND", str(exc))
    except SandboxError as exc:
        return error_response(400, "BAD_REQUEST", str(exc))
