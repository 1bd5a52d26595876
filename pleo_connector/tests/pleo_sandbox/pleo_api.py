"""Pleo's External API as the sandbox serves it: routing, auth, rate limit, scopes, endpoints.

Spec sources: ``app-marketplace.yml`` (introspect, installations), ``companies.yml`` and, for the
Export API v3 (served by ``export_api.py``), ``pleo-export-openapi.yml``.
Choices for what Pleo leaves undocumented are marked [unknown] and listed in README.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

from . import export_api, setup_api, webhooks_api
from .export_state import BadRequest
from .models import (
    HTML_CONTENT_TYPE,
    INSTALLATION_ERROR_CODES,
    INSTALLATION_STATUSES,
    ApiKey,
    Behaviour,
    Response,
    application_ids,
    error_response,
    is_uuid,
    json_response,
    method_not_allowed,
)
from .paging import one, paginate
from .state import AuthResult, SandboxState

Query = dict[str, list[str]]
Handler = Callable[..., Response]

DEFAULT_INSTALLATION_STATUS = "ACTIVATED"  # [unknown] status of a POST without one


# ---------------------------------------------------------------------- parsing helpers
def _json_object(body: bytes) -> dict:
    if not body:
        raise BadRequest("a JSON request body is required")
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("the request body must be a JSON object")
    return payload


def _enum(payload: dict, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    value = payload.get(name)
    if value is None:  # absent or null: Pleo's Kotlin/Jackson stack treats both as missing
        return default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}")
    return value


def _metadata(payload: dict) -> dict | None:
    value = payload.get("metadata")
    if value is None:
        return None
    # spec: metadata.additionalProperties is {type: object}, so every value must be an object
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise BadRequest("metadata must be an object whose values are objects")
    return value


# ---------------------------------------------------------------------- endpoints
def introspect(state: SandboxState, key: ApiKey, query: Query, body: bytes) -> Response:
    """``GET /v1/introspect``: who the credentials belong to, and their scopes."""
    return json_response(
        200,
        {
            "data": {
                "authMethod": key.auth_method,
                "clientId": application_ids(key.application_name)[1],
                "scope": " ".join(key.scopes),
                "applicationName": key.application_name,
                "subjectURN": key.subject_urn,
            }
        },
    )


def _missing_installation(behaviour: Behaviour) -> Response:
    if behaviour.missing_installation == "empty":
        return Response(204)
    return error_response(404, "INSTALLATION_NOT_FOUND", "no installation for this client")


def get_installation(state: SandboxState, key: ApiKey, query: Query, body: bytes) -> Response:
    """``GET /v1/installations/me[?company_id=]``."""
    company_id = one(query, "company_id")
    if company_id is not None and not is_uuid(company_id):
        raise BadRequest("company_id must be a UUID")
    installation = state.find_installation(key, company_id)
    if installation is None:
        return _missing_installation(state.behaviour)
    return json_response(200, installation)


def create_installation(state: SandboxState, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v1/installations/me``: one installation per application and subject."""
    payload = _json_object(body)
    status = _enum(payload, "status", INSTALLATION_STATUSES, DEFAULT_INSTALLATION_STATUS)
    metadata = _metadata(payload) or {}
    installation, created = state.create_installation(key, status, metadata)
    if not created and state.behaviour.duplicate_installation == "409":
        return error_response(
            409, "INSTALLATION_ALREADY_EXISTS", "an installation exists already for this client"
        )
    return json_response(200, installation)


def update_installation(state: SandboxState, key: ApiKey, query: Query, body: bytes) -> Response:
    """``PUT /v1/installations/me``: status required, errorCode and metadata optional."""
    payload = _json_object(body)
    status = _enum(payload, "status", INSTALLATION_STATUSES, None)
    if status is None:
        raise BadRequest("status is required")
    error_code = _enum(payload, "errorCode", INSTALLATION_ERROR_CODES, None)
    installation = state.update_installation(key, status, error_code, _metadata(payload))
    if installation is None:
        return error_response(404, "INSTALLATION_NOT_FOUND", "no installation for this client")
    return json_response(200, installation)


def delete_installation(state: SandboxState, key: ApiKey, query: Query, body: bytes) -> Response:
    """``DELETE /v1/installations/me``: 204, or 404 when there is none (both per spec)."""
    if state.delete_installation(key):
        return Response(204)
    return error_response(404, "INSTALLATION_NOT_FOUND", "no installation for this client")


def activate_installation(state: SandboxState, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v1/installations/me:activate``."""
    installation = state.activate_installation(key)
    if installation is None:
        return error_response(404, "INSTALLATION_NOT_FOUND", "no installation for this client")
    return json_response(200, installation)


def get_company(
    state: SandboxState, key: ApiKey, query: Query, body: bytes, company_id: str
) -> Response:
    """``GET /v1/companies/{companyId}``: 404 unknown, 403 [unknown] outside the key's subject."""
    company, visible = (
        state.company_as_seen_by(key, company_id) if is_uuid(company_id) else (None, False)
    )
    if company is None:
        return error_response(404, "COMPANY_NOT_FOUND", "company not found")
    if not visible:
        return error_response(403, "FORBIDDEN", "this key may not read that company")
    return json_response(200, {"data": company})


def list_companies(state: SandboxState, key: ApiKey, query: Query, body: bytes) -> Response:
    """``GET /v1/companies``: the companies the key covers, cursor-paginated per spec.

    ``sorting_keys``/``sorting_order`` are accepted and ignored (always name, then id).
    """
    organization_id = one(query, "organization_id")
    if organization_id is not None and not is_uuid(organization_id):
        raise BadRequest("organization_id must be a UUID")
    companies = state.visible_companies(key)
    parameters = {} if organization_id is None else {"organization_id": [organization_id]}
    page = paginate(companies, query, parameters, min_limit=1)  # its 400s come before the 403
    if organization_id is not None and organization_id != state.organization_of(key):
        return error_response(403, "FORBIDDEN", "this key may not search that organization")
    return json_response(200, page)


# ---------------------------------------------------------------------- routing
#: The paths of the connection's calls (tests name them to inject faults or count requests).
INTROSPECT = "/v1/introspect"
INSTALLATIONS = "/v1/installations/me"
COMPANIES = "/v1/companies"
#: Any one company (a fault pattern, as :meth:`PleoSandbox.inject_fault` takes it).
ANY_COMPANY = f"{COMPANIES}/*"

#: (path pattern, handlers by method, scope: one for every method, a dict by method, or None)
_ROUTES: tuple[tuple[re.Pattern[str], dict[str, Handler], str | dict[str, str] | None], ...] = (
    (re.compile(INTROSPECT), {"GET": introspect}, None),
    (
        re.compile(INSTALLATIONS),
        {
            "GET": get_installation,
            "POST": create_installation,
            "PUT": update_installation,
            "DELETE": delete_installation,
        },
        None,
    ),
    (re.compile(INSTALLATIONS + ":activate"), {"POST": activate_installation}, None),
    (re.compile(COMPANIES), {"GET": list_companies}, "companies:read"),
    (re.compile(COMPANIES + r"/(?P<company_id>[^/]+)"), {"GET": get_company}, "companies:read"),
    *export_api.ROUTES,
    *setup_api.ROUTES,
    *webhooks_api.ROUTES,
)


def _template(pattern: str) -> str:
    """``/v1/companies/(?P<company_id>[^/]+)`` -> ``/v1/companies/{companyId}``."""
    return re.sub(
        r"\(\?P<(\w+)>[^)]*\)",
        lambda m: "{" + re.sub(r"_(\w)", lambda c: c[1].upper(), m[1]) + "}",
        pattern,
    )


#: (method, path template) of every endpoint the sandbox serves.
ENDPOINTS = tuple(
    (method, _template(pattern.pattern)) for pattern, handlers, _ in _ROUTES for method in handlers
)


def unauthorized(behaviour: Behaviour, reason: str) -> Response:
    """Answer 401 with the body shape ``behaviour.unauthorized_body`` selects."""
    if behaviour.unauthorized_body == "empty":
        return Response(401)
    if behaviour.unauthorized_body == "html":
        page = f"<html><body><h1>401 Unauthorized</h1><p>{reason}</p></body></html>"
        return Response(401, page.encode(), HTML_CONTENT_TYPE)
    return error_response(401, "UNAUTHORIZED", reason)


def dispatch(
    state: SandboxState, method: str, path: str, query: Query, auth: AuthResult, body: bytes
) -> Response:
    """Answer one request to a Pleo path (faults and latency are applied by the server)."""
    route = next(
        ((m, handlers, scope) for p, handlers, scope in _ROUTES if (m := p.fullmatch(path))), None
    )
    if route is None:
        return error_response(404, "NOT_FOUND", "no such endpoint")
    match, handlers, scope = route
    handler = handlers.get(method)
    if handler is None:
        return method_not_allowed(method, handlers)
    if auth.key is None:
        return unauthorized(state.behaviour, auth.reason)
    wait = state.rate_limited(auth.key)
    if wait is not None:
        headers = (
            {"Retry-After": str(math.ceil(wait))} if state.behaviour.retry_after_on_429 else {}
        )
        return error_response(429, "TOO_MANY_REQUESTS", "rate limit exceeded", headers)
    if isinstance(scope, dict):
        scope = scope.get(method)
    if callable(scope):  # a scope whose spelling is a behaviour switch (setup_api)
        scope = scope(state.behaviour)
    if scope is not None and scope not in auth.key.scopes:
        return error_response(403, "FORBIDDEN", f"the key lacks the scope {scope}")
    try:
        return handler(state, auth.key, query, body, **match.groupdict())
    except BadRequest as exc:
        return error_response(400, "BAD_REQUEST", str(exc))
