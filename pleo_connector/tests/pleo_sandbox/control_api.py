"""The sandbox's control API under ``/_sandbox/``: a JSON front of the Python API.

Every route calls the same :class:`~pleo_sandbox.state.SandboxState` method a test would.
Bad input answers 400, an unknown key or company 404; the answers are JSON.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
from collections.abc import Callable

from .generator import JOB_OPTIONS
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


_JOB_FIELDS = (
    "company_id",
    "items",
    "n",
    "status",
    "is_interactive",
    "vendor_based_bookkeeping",
    "created_by",
    "entry_ids",
    "with_files",
    "job_id",
    *JOB_OPTIONS,
)


def _add_export_job(state: SandboxState, body: dict) -> dict:
    fields = dict(_fields(body, _JOB_FIELDS, ("company_id",)))
    if isinstance(fields.get("accounts"), dict):  # JSON has lists where Python uses pairs
        fields["accounts"] = {
            role: [tuple(v) if isinstance(v, list) else v for v in value]
            if role == "expense" and isinstance(value, list)
            else tuple(value)
            if isinstance(value, list)
            else value
            for role, value in fields["accounts"].items()
        }
    if isinstance(fields.get("overrides"), dict):  # JSON object keys are strings
        try:
            fields["overrides"] = {int(i): v for i, v in fields["overrides"].items()}
        except ValueError:
            raise SandboxError("overrides keys are item indexes") from None
    if fields.get("start_date") is not None:
        try:
            fields["start_date"] = dt.date.fromisoformat(fields["start_date"])
        except (TypeError, ValueError):
            raise SandboxError("start_date must be an ISO 8601 date") from None
    company_id = fields.pop("company_id")
    try:
        return {"job_id": state.add_export_job(company_id, **fields)}
    except TypeError as exc:  # e.g. a list where a mapping is expected
        raise SandboxError(f"bad generator option: {exc}") from None


def _job_id(body: dict) -> str:
    return _fields(body, ("job_id",), ("job_id",))["job_id"]


def _export_job(state: SandboxState, body: dict) -> dict:
    return state.export_job(_job_id(body))


def _export_items(state: SandboxState, body: dict) -> dict:
    return {"items": state.export_items(_job_id(body))}


def _expire_job(state: SandboxState, body: dict) -> dict:
    state.expire_job(_job_id(body))
    return {}


def _export_again(state: SandboxState, body: dict) -> dict:
    fields = _fields(body, ("job_id", "company_id", "statuses"))
    if not (fields.get("job_id") or fields.get("company_id")):
        raise SandboxError("give job_id, or company_id (its newest finished job)")
    statuses = fields.get("statuses", ["failed"])
    if not isinstance(statuses, list) or not statuses:
        raise SandboxError("statuses must be a non-empty list of item statuses")
    job_id = state.export_again(
        fields.get("job_id"), company_id=fields.get("company_id"), statuses=tuple(statuses)
    )
    return {"job_id": job_id}


def _add_scenario_job(state: SandboxState, body: dict) -> dict:
    fields = _fields(body, ("scenario", "company_id"), ("scenario", "company_id"))
    return {"job_id": state.add_scenario_job(fields["scenario"], fields["company_id"])}


def _clock(state: SandboxState, body: dict) -> dict:
    state.advance_time(_fields(body, ("advance",), ("advance",))["advance"])
    return {"now": state.now().isoformat()}


def _contra_accounts(state: SandboxState, body: dict) -> dict:
    fields = _fields(body, ("company_id", "missing"), ("company_id",))
    state.set_missing_contra_accounts(fields["company_id"], bool(fields.get("missing", True)))
    return {}


_FILE_OPTIONS = (
    "content_base64",
    "text",
    "fault",
    "latency",
    "size",
    "served_type",
    "declare_size",
    "expires_in",
    "mimetype",
    "name",
)


def _file_content(fields: dict) -> bytes:
    """The file's bytes from ``content_base64`` or ``text`` (popped from ``fields``)."""
    if "content_base64" in fields:
        try:
            return base64.b64decode(fields.pop("content_base64"), validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise SandboxError("content_base64 is not valid base64") from None
    return str(fields.pop("text", "Receipt")).encode()


def _add_file(state: SandboxState, body: dict) -> dict:
    fields = dict(_fields(body, _FILE_OPTIONS))
    content = _file_content(fields)
    return {"url": state.add_file(content, **fields)}


def _add_receipt(state: SandboxState, body: dict) -> dict:
    fields = dict(_fields(body, ("accounting_entry_id", *_FILE_OPTIONS), ("accounting_entry_id",)))
    entry = fields.pop("accounting_entry_id")
    content = _file_content(fields)
    return {"url": state.add_receipt(entry, content, **fields)}


def _reexport(state: SandboxState, body: dict) -> dict:
    fields = dict(
        _fields(
            body,
            ("company_id", "entry_ids", "is_interactive", "created_by", "job_id"),
            ("company_id", "entry_ids"),
        )
    )
    if not isinstance(fields["entry_ids"], list):
        raise SandboxError("entry_ids is a list of accounting entry ids")
    return {"job_id": state.reexport(fields.pop("company_id"), fields.pop("entry_ids"), **fields)}


def _file_requests(state: SandboxState, body: dict) -> dict:
    return {"requests": [dataclasses.asdict(r) for r in state.file_requests]}


def _reset_file_requests(state: SandboxState, body: dict) -> dict:
    state.reset_file_requests()
    return {}


def _webhooks(state: SandboxState, body: dict) -> dict:
    """The subscriptions, the events generated and every delivery attempt (secrets left out)."""
    return {**state.snapshot()["webhooks"], "attempts": list(state.webhook_sender.attempts)}


def _emit(state: SandboxState, body: dict) -> dict:
    event = state.emit_event(body.get("company_id"), body.get("event_type"), body.get("data") or {})
    return {"id": event.message_id, "subscriptions": event.subscription_ids}


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
    "/_sandbox/export-jobs": {"POST": _add_export_job},
    "/_sandbox/export-jobs/state": {"POST": _export_job},
    "/_sandbox/export-jobs/items": {"POST": _export_items},
    "/_sandbox/export-jobs/expire": {"POST": _expire_job},
    "/_sandbox/export-jobs/again": {"POST": _export_again},
    "/_sandbox/export-jobs/scenario": {"POST": _add_scenario_job},
    "/_sandbox/clock": {"POST": _clock},
    "/_sandbox/contra-accounts": {"POST": _contra_accounts},
    "/_sandbox/export-jobs/reexport": {"POST": _reexport},
    "/_sandbox/files": {"POST": _add_file},
    "/_sandbox/receipts": {"POST": _add_receipt},
    "/_sandbox/file-requests": {"GET": _file_requests, "DELETE": _reset_file_requests},
    "/_sandbox/webhooks": {"GET": _webhooks, "POST": _emit},
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
