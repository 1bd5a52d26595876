"""Pleo's Export API v3 as the sandbox serves it (spec: ``pleo-export-openapi.yml``, v3 paths).

``ROUTES`` is spliced into ``pleo_api``'s routing table (which does auth, rate limit and the
scopes given here per method); the state lives in ``export_state.py``. Choices for what Pleo
leaves undocumented are marked [unknown] and listed in README.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from .export_state import (
    ITEM_FAILURE_TYPES,
    ITEM_STATUSES,
    JOB_EVENTS,
    JOB_FAILURE_TYPES,
    JOB_STATUSES,
    BadRequest,
    ExportError,
)
from .models import ApiKey, Response, error_response, is_uuid, json_response
from .paging import one, paginate

Query = dict[str, list[str]]

READ, WRITE, ITEMS = "export-jobs:read", "export-jobs:write", "export-items:read"


# ---------------------------------------------------------------------- parsing
def _uuid_param(query: Query, name: str, required: bool = False) -> str | None:
    value = one(query, name)
    if value is None:
        if required:
            raise BadRequest(f"{name} is required")
        return None
    if not is_uuid(value):
        raise BadRequest(f"{name} must be a UUID")
    return value


def _list_param(query: Query, name: str, choices: tuple[str, ...]) -> list[str]:
    """``a=x&a=y`` (the spec's form/explode style), ``a=x,y`` and ``a[]=x`` all give [x, y]."""
    values = [
        part.strip()
        for raw in query.get(name, []) + query.get(name + "[]", [])
        for part in raw.split(",")
        if part.strip()
    ]
    for value in values:
        if value not in choices:
            raise BadRequest(f"{name} must be among {', '.join(choices)}")
    return values


def _json(body: bytes) -> object:
    if not body:
        raise BadRequest("a JSON request body is required")
    try:
        return json.loads(body)
    except ValueError:
        raise BadRequest("the request body is not valid JSON") from None


def _object(body: bytes) -> dict:
    payload = _json(body)
    if not isinstance(payload, dict):
        raise BadRequest("the request body must be a JSON object")
    return payload


def _optional(payload: dict, name: str, kind: type, label: str) -> object:
    value = payload.get(name)
    if value is not None and not isinstance(value, kind):
        raise BadRequest(f"{name} must be {label}")
    return value


def _choice(payload: dict, name: str, choices: tuple[str, ...], required: bool) -> str | None:
    value = payload.get(name)
    if value is None:
        if required:
            raise BadRequest(f"{name} is required")
        return None
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}")
    return value


def _date_time(payload: dict, name: str) -> str | None:
    value = _optional(payload, name, str, "an ISO 8601 date-time")
    if value is not None:
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(f"{name} must be an ISO 8601 date-time") from None
    return value


def _answer(func):
    """Turn an :class:`ExportError` raised by ``func`` into its domain-error answer."""

    def wrapper(*args, **kwargs) -> Response:
        try:
            return func(*args, **kwargs)
        except ExportError as exc:
            return error_response(exc.status, exc.type, exc.message)

    wrapper.__name__, wrapper.__doc__ = func.__name__, func.__doc__
    return wrapper


# ---------------------------------------------------------------------- endpoints
@_answer
def list_jobs(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``GET /v3/export-jobs[?company_id=&statuses=]``, newest first, cursor-paginated."""
    company_id = _uuid_param(query, "company_id")
    statuses = _list_param(query, "statuses", JOB_STATUSES)
    parameters = {}
    if company_id is not None:
        parameters["company_id"] = [company_id]
    if statuses:
        parameters["statuses"] = statuses
    jobs = state.api_list_jobs(key, company_id, statuses)
    return json_response(200, paginate(jobs, query, parameters))


@_answer
def create_job(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v3/export-jobs``: 201; 400 ``MISSING_CONTRA_ACCOUNTS``; 409 when one is open."""
    payload = _object(body)
    company_id = payload.get("companyId")
    if not is_uuid(company_id):
        raise BadRequest("companyId is required and must be a UUID")
    entry_ids = payload.get("accountingEntryIds")
    if (
        not isinstance(entry_ids, list)
        or not entry_ids
        or not all(is_uuid(e) for e in entry_ids)
        or len(set(entry_ids)) != len(entry_ids)
    ):
        raise BadRequest("accountingEntryIds must be a non-empty list of distinct UUIDs")
    employee_id = payload.get("employeeId")
    if employee_id is not None and not is_uuid(employee_id):
        raise BadRequest("employeeId must be a UUID")
    interactive = _optional(payload, "isInteractive", bool, "true or false")
    options = _optional(payload, "options", dict, "an object") or {}
    vendor_based = _optional(options, "vendorBasedBookkeeping", bool, "true or false")
    job = state.api_create_job(
        key,
        company_id,
        entry_ids,
        employee_id,
        True if interactive is None else interactive,
        bool(vendor_based),
    )
    return json_response(201, {"data": job})


@_answer
def get_job(state, key: ApiKey, query: Query, body: bytes, job_id: str) -> Response:
    """``GET /v3/export-jobs/{jobId}``: 404 ``EXPORT_NOT_FOUND`` unknown or another company's."""
    return json_response(200, {"data": state.api_get_job(key, job_id)})


@_answer
def job_event(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v3/export-job-events``: 202 without a body; 422 on a wrong transition."""
    payload = _object(body)
    job_id = payload.get("jobId")
    if not is_uuid(job_id):
        raise BadRequest("jobId is required and must be a UUID")
    event = _choice(payload, "event", JOB_EVENTS, required=True)
    reason = _optional(payload, "failureReason", str, "a string")
    reason_type = _choice(payload, "failureReasonType", JOB_FAILURE_TYPES, required=False)
    state.api_job_event(key, job_id, event, reason, reason_type)
    return Response(202)


@_answer
def job_items(state, key: ApiKey, query: Query, body: bytes, job_id: str) -> Response:
    """``GET /v3/export-jobs/{jobId}/items[?status=]``: the control list."""
    status = one(query, "status")
    if status is not None and status not in ITEM_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(ITEM_STATUSES)}")
    rows = state.api_job_items(key, job_id, status)
    return json_response(200, paginate(rows, query, {"status": [status]} if status else {}))


def _item_update(update: object) -> dict:
    if not isinstance(update, dict):
        raise BadRequest("each item update must be an object")
    if not is_uuid(update.get("accountingEntryId")):
        raise BadRequest("accountingEntryId is required and must be a UUID")
    _choice(update, "status", ITEM_STATUSES, required=True)
    _date_time(update, "exportedAt")
    for name in ("externalId", "externalUrl", "failureReason"):
        _optional(update, name, str, "a string")
    _choice(update, "failureReasonType", ITEM_FAILURE_TYPES, required=False)
    return update


@_answer
def update_items(state, key: ApiKey, query: Query, body: bytes, job_id: str) -> Response:
    """``PUT /v3/export-jobs/{jobId}/items``: ≤100 updates; 413 beyond; 422 unless running."""
    payload = _json(body)
    if not isinstance(payload, list):
        raise BadRequest("the request body must be a JSON array of item updates")
    updates = [_item_update(update) for update in payload]
    data, errors = state.api_update_items(key, job_id, updates)
    return json_response(200, {"data": data, "errors": errors})


@_answer
def export_items(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``GET /v3/export-items?job_id=``: items of a pending or running job, paginated."""
    job_id = _uuid_param(query, "job_id", required=True)  # [unknown] optional in the spec
    rows = state.api_export_items(key, job_id)
    return json_response(200, paginate(rows, query, {"job_id": [job_id]}))


_JOB = r"(?P<job_id>[^/]+)"
#: (path pattern, handlers by method, scope by method), spliced into pleo_api's routes.
ROUTES = (
    (
        re.compile(r"/v3/export-jobs"),
        {"GET": list_jobs, "POST": create_job},
        {"GET": READ, "POST": WRITE},
    ),
    (re.compile(rf"/v3/export-jobs/{_JOB}"), {"GET": get_job}, {"GET": READ}),
    (re.compile(r"/v3/export-job-events"), {"POST": job_event}, {"POST": WRITE}),
    (
        re.compile(rf"/v3/export-jobs/{_JOB}/items"),
        {"GET": job_items, "PUT": update_items},
        {"GET": READ, "PUT": WRITE},
    ),
    (re.compile(r"/v3/export-items"), {"GET": export_items}, {"GET": ITEMS}),
)
