"""The accounting setup endpoints as the sandbox serves them: chart of accounts
(``pleo-chart-of-accounts-openapi.yml``), tax codes (``pleo-tax-code-openapi.yml``), tag groups
and tags (``pleo-tags-openapi.yml``) and vendors (``pleo-vendors-openapi.yml``).

``ROUTES`` is spliced into ``pleo_api``'s routing table (auth, rate limit, scopes); a scope may be
a function of the behaviour switches (``tag_scope``, ``tax_code_scope``: the spelling Pleo uses
is [unknown]). The state lives in ``setup_state.py``. Choices for what Pleo leaves undocumented
are marked [unknown] and listed in README.md.
"""

from __future__ import annotations

import re

from .export_api import _answer, _object, _uuid_param
from .export_state import BadRequest
from .models import ApiKey, Response, is_uuid, json_response
from .paging import one, paginate
from .setup_state import MAX_BATCH, TAX_TYPES, VENDOR_STATES

Query = dict[str, list[str]]
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


# ---------------------------------------------------------------------- parsing
def _text(payload: dict, name: str, required: bool = False, max_length: int | None = None):
    value = payload.get(name)
    if value is None:
        if required:
            raise BadRequest(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    if max_length is not None and len(value) > max_length:
        raise BadRequest(f"{name} is longer than {max_length} characters")
    return value


def _flag(payload: dict, name: str, required: bool = False):
    value = payload.get(name)
    if value is None:
        if required:
            raise BadRequest(f"{name} is required")
        return None
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be true or false")
    return value


def _company(payload: dict) -> str:
    company_id = payload.get("companyId")
    if not is_uuid(company_id):
        raise BadRequest("companyId is required and must be a UUID")
    return company_id


def _strings(payload: dict, name: str, limit: int | None = None) -> list | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{name} must be a list of strings")
    if limit is not None and len(value) > limit:
        raise BadRequest(f"{name} takes at most {limit} values")
    return value


def _account_fields(payload: dict, with_external: bool) -> dict:
    fields = {
        "name": _text(payload, "name", required=True, max_length=255),
        "code": _text(payload, "code", max_length=255),
        "archived": _flag(payload, "archived", required=True),
        "taxCodeExternalId": _text(payload, "taxCodeExternalId"),
    }
    if with_external:
        fields["externalId"] = _text(payload, "externalId", required=True, max_length=255)
        if not fields["externalId"]:
            raise BadRequest("externalId must not be empty")
    metadata = payload.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
            v is None or isinstance(v, dict) for v in metadata.values()
        ):
            raise BadRequest("metadata must be an object whose values are objects")
        fields["metadata"] = metadata
    return fields


def _tax_fields(payload: dict) -> dict:
    rate = payload.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        raise BadRequest("rate is required and must be a number")
    kind = payload.get("type")
    if kind not in TAX_TYPES:
        raise BadRequest(f"type is required and must be one of {', '.join(TAX_TYPES)}")
    return {
        "companyId": _company(payload),
        "name": _text(payload, "name", required=True),
        "code": _text(payload, "code"),
        "rate": rate,
        "type": kind,
        "archived": _flag(payload, "archived", required=True),
        "ingoingTaxAccount": _text(payload, "ingoingTaxAccount"),
        "outgoingTaxAccount": _text(payload, "outgoingTaxAccount"),
    }


def _group_fields(payload: dict, update: bool) -> dict:
    metadata = payload.get("metadata")
    if metadata is None and update:
        raise BadRequest("metadata is required")
    if metadata is not None and (
        not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values())
    ):
        raise BadRequest("metadata must be an object of strings")
    return {
        "code": _text(payload, "code", required=True),
        "name": _text(payload, "name", required=True),
        "archived": _flag(payload, "archived", required=True),
        "metadata": metadata or {},
    }


def _tag_fields(payload: dict) -> dict:
    return {
        "code": _text(payload, "code", required=True),
        "name": _text(payload, "name"),
        "archived": _flag(payload, "archived", required=True),
    }


def _vendor_fields(payload: dict, update: bool) -> dict:
    fields = {
        "companyId": _company(payload),
        "name": _text(payload, "name", required=True),
        "defaultCurrency": _text(payload, "defaultCurrency", required=True),
        "code": _text(payload, "code"),
        "externalId": _text(payload, "externalId", required=update),
        "country": _text(payload, "country"),
        "registrationNumber": _text(payload, "registrationNumber"),
        "taxRegistrationNumber": _text(payload, "taxRegistrationNumber"),
    }
    if not _CURRENCY.match(fields["defaultCurrency"]):
        raise BadRequest("defaultCurrency must be an ISO 4217 code")
    if fields["country"] is not None and not _COUNTRY.match(fields["country"]):
        raise BadRequest("country must be an ISO 3166 alpha-2 code")
    if update:
        state = payload.get("state")
        if state not in VENDOR_STATES:
            raise BadRequest(f"state is required and must be one of {', '.join(VENDOR_STATES)}")
        fields["state"] = state
    return fields


def _key_company(state, key: ApiKey, query: Query, required: bool = False) -> str:
    """``company_id`` of the query, else [unknown] the key's own company."""
    company_id = _uuid_param(query, "company_id", required=required)
    return company_id or key.company_id


# ---------------------------------------------------------------------- chart of accounts
@_answer
def create_account(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v1/chart-of-accounts``: 201; 200 when the same account exists; 409 duplicate."""
    payload = _object(body)
    fields = {"companyId": _company(payload), **_account_fields(payload, with_external=True)}
    account, created = state.setup_create_account(key, fields)
    return json_response(201 if created else 200, {"data": account})


@_answer
def batch_accounts(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v1/chart-of-accounts/batch``: ≤1000 items; 201 ``{created, failed}``."""
    payload = _object(body)
    company_id = _company(payload)
    items = payload.get("items")
    if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
        raise BadRequest(f"items must be a list of 1 to {MAX_BATCH} accounts")
    checked = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRequest("each item must be an object")
        if not isinstance(item.get("archived"), bool):
            raise BadRequest("archived is required in each item")
        for name in ("externalId", "name"):
            if not isinstance(item.get(name), str):
                raise BadRequest(f"{name} is required in each item")
        checked.append({k: item.get(k) for k in _BATCH_KEYS if k in item})
    return json_response(201, {"data": state.setup_batch_accounts(key, company_id, checked)})


_BATCH_KEYS = ("externalId", "code", "name", "archived", "taxCodeExternalId", "metadata")


@_answer
def get_account(state, key: ApiKey, query: Query, body: bytes, account_id: str) -> Response:
    """``GET /v1/chart-of-accounts/{accountId}``: 200; unknown: 404."""
    return json_response(200, {"data": state.setup_get_account(key, account_id)})


@_answer
def update_account(state, key: ApiKey, query: Query, body: bytes, account_id: str) -> Response:
    """``PUT /v1/chart-of-accounts/{accountId}``: 200; bad body: 400; unknown: 404."""
    fields = _account_fields(_object(body), with_external=False)
    return json_response(200, {"data": state.setup_update_account(key, account_id, fields)})


@_answer
def delete_account(state, key: ApiKey, query: Query, body: bytes, account_id: str) -> Response:
    """``DELETE /v1/chart-of-accounts/{accountId}``: 204; used by expenses: 409; unknown: 404."""
    state.setup_delete_account(key, account_id)
    return Response(204)


@_answer
def search_accounts(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v1/chart-of-accounts:search``: the company's accounts, cursor-paginated."""
    payload = _object(body)
    company_id = _company(payload)
    filters = {
        "archived": _flag(payload, "archived"),
        "code": _text(payload, "code"),
        "codes": _strings(payload, "codes"),
        "ids": _strings(payload, "ids"),
        "externalId": _text(payload, "externalId"),
        "name": _text(payload, "name"),
    }
    rows = state.setup_search_accounts(key, company_id, filters)
    return json_response(200, paginate(rows, query, {}))


# ---------------------------------------------------------------------- tax codes
@_answer
def create_tax_code(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v0/tax-codes``: [unknown] 200 (the spec has only ``default``); same code: 409."""
    return json_response(
        200, {"data": state.setup_create_tax_code(key, _tax_fields(_object(body)))}
    )


@_answer
def get_tax_code(state, key: ApiKey, query: Query, body: bytes, tax_code_id: str) -> Response:
    """``GET /v0/tax-codes/{taxCodeId}``: 200; unknown: 404."""
    return json_response(200, {"data": state.setup_get_tax_code(key, tax_code_id)})


@_answer
def update_tax_code(state, key: ApiKey, query: Query, body: bytes, tax_code_id: str) -> Response:
    """``PUT /v0/tax-codes/{taxCodeId}``: the whole model; 200; unknown: 404."""
    fields = _tax_fields(_object(body))
    return json_response(200, {"data": state.setup_update_tax_code(key, tax_code_id, fields)})


@_answer
def delete_tax_code(state, key: ApiKey, query: Query, body: bytes, tax_code_id: str) -> Response:
    """``DELETE /v0/tax-codes/{taxCodeId}``: [unknown] 200 ``true`` (the spec's default has a
    JSON body without a schema; ``true`` as for tag groups); unknown: 404."""
    state.setup_delete_tax_code(key, tax_code_id)
    return json_response(200, True)


@_answer
def search_tax_codes(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v0/tax-codes:search[?company_id=]``: cursor-paginated."""
    company_id = _key_company(state, key, query)
    payload = _object(body) if body else {}
    kind = payload.get("type")
    if kind is not None and kind not in TAX_TYPES:
        raise BadRequest(f"type must be one of {', '.join(TAX_TYPES)}")
    filters = {
        "archived": _flag(payload, "archived"),
        "type": kind,
        "taxCodeIds": _strings(payload, "taxCodeIds"),
    }
    rows = state.setup_search_tax_codes(key, company_id, filters)
    return json_response(200, paginate(rows, query, {"company_id": [company_id]}))


# ---------------------------------------------------------------------- tag groups and tags
@_answer
def list_groups(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``GET /v0/tag-groups[?company_id=]``: every group of the company (no paging)."""
    company_id = _key_company(state, key, query)
    return json_response(200, {"data": state.setup_list_groups(key, company_id)})


@_answer
def create_group(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v0/tag-groups[?company_id=]``: 200; same code: 409 [unknown]."""
    company_id = _key_company(state, key, query)
    fields = _group_fields(_object(body), update=False)
    return json_response(200, {"data": state.setup_create_group(key, company_id, fields)})


@_answer
def get_group(state, key: ApiKey, query: Query, body: bytes, group_id: str) -> Response:
    """``GET /v0/tag-groups/{groupId}``: 200; unknown: 404."""
    return json_response(200, {"data": state.setup_get_group(key, group_id)})


@_answer
def update_group(state, key: ApiKey, query: Query, body: bytes, group_id: str) -> Response:
    """``PUT /v0/tag-groups/{groupId}``: 200; unknown: 404."""
    fields = _group_fields(_object(body), update=True)
    return json_response(200, {"data": state.setup_update_group(key, group_id, fields)})


@_answer
def delete_group(state, key: ApiKey, query: Query, body: bytes, group_id: str) -> Response:
    """``DELETE /v0/tag-groups/{groupId}``: 200 ``true`` (the spec's boolean); unknown: 404."""
    state.setup_delete_group(key, group_id)
    return json_response(200, True)


@_answer
def list_tags(state, key: ApiKey, query: Query, body: bytes, group_id: str) -> Response:
    """``GET /v0/tag-groups/{groupId}/tags[?include_archived=]``: [unknown] archived ones only
    with ``include_archived=true``; cursor-paginated."""
    raw = (one(query, "include_archived") or "false").lower()
    if raw not in ("true", "false"):
        raise BadRequest("include_archived must be true or false")
    rows = state.setup_list_tags(key, group_id, raw == "true")
    return json_response(200, paginate(rows, query, {"include_archived": [raw]}))


@_answer
def create_tag(state, key: ApiKey, query: Query, body: bytes, group_id: str) -> Response:
    """``POST /v0/tag-groups/{groupId}/tags``: 200; same code in the group: 409 [unknown]."""
    fields = _tag_fields(_object(body))
    return json_response(200, {"data": state.setup_create_tag(key, group_id, fields)})


@_answer
def update_tag(state, key: ApiKey, query: Query, body: bytes, tag_id: str) -> Response:
    """``PUT /v0/tags/{tagId}``: rename or archive a tag; 200; unknown: 404."""
    fields = _tag_fields(_object(body))
    return json_response(200, {"data": state.setup_update_tag(key, tag_id, fields)})


# ---------------------------------------------------------------------- vendors
@_answer
def create_vendor(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v1/vendors``: 201 (state DRAFT); same externalId or code: 409 [unknown]."""
    fields = _vendor_fields(_object(body), update=False)
    return json_response(201, {"data": state.setup_create_vendor(key, fields)})


@_answer
def get_vendor(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    """``GET /v1/vendors/{id}``: 200; unknown: 404."""
    return json_response(200, {"data": state.setup_get_vendor(key, id)})


@_answer
def update_vendor(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    """``PUT /v1/vendors/{id}``: 200; bad body: 400; unknown: 404; clash: 409."""
    fields = _vendor_fields(_object(body), update=True)
    return json_response(200, {"data": state.setup_update_vendor(key, id, fields)})


@_answer
def activate_vendor(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    """``POST /v1/vendors/{id}:activate {externalId, code?}``: 204; unknown: 404."""
    payload = _object(body)
    fields = {"externalId": _text(payload, "externalId", required=True), "code": None}
    fields["code"] = _text(payload, "code")
    state.setup_vendor_state(key, id, "ACTIVE", fields)
    return Response(204)


@_answer
def archive_vendor(state, key: ApiKey, query: Query, body: bytes, id: str) -> Response:
    """``POST /v1/vendors/{id}:archive``: 204; unknown: 404."""
    state.setup_vendor_state(key, id, "ARCHIVED", {})
    return Response(204)


@_answer
def search_vendors(state, key: ApiKey, query: Query, body: bytes) -> Response:
    """``POST /v1/vendors:search?company_id=``: cursor-paginated."""
    company_id = _uuid_param(query, "company_id", required=True)
    payload = _object(body) if body else {}
    states = _strings(payload, "states", 4)
    if states and any(s not in VENDOR_STATES for s in states):
        raise BadRequest(f"states must be among {', '.join(VENDOR_STATES)}")
    filters = {
        name: _strings(payload, name, 100)
        for name in ("codes", "externalIds", "ids", "countries", "taxRegistrationNumbers")
    }
    filters["states"] = states
    filters["name"] = _text(payload, "name")
    rows = state.setup_search_vendors(key, company_id, filters)
    return json_response(200, paginate(rows, query, {"company_id": [company_id]}))


# ---------------------------------------------------------------------- routes and scopes
def _tag_scope(access: str):
    """``tag-groups:<access>`` or, with ``behaviour.tag_scope = "tag-group"``, ``tag-group:…``."""
    return lambda behaviour: f"{behaviour.tag_scope}:{access}"


def _tax_scope(access: str):
    """``tax-codes:<access>``, ``tax-code:<access>``, or none (``tax_code_scope="none"``)."""
    return lambda behaviour: (
        None if behaviour.tax_code_scope == "none" else f"{behaviour.tax_code_scope}:{access}"
    )


A_READ, A_WRITE, V_READ, V_WRITE = (
    "accounts:read",
    "accounts:write",
    "vendors:read",
    "vendors:write",
)
T_READ, T_WRITE, G_READ, G_WRITE = (
    _tax_scope("read"),
    _tax_scope("write"),
    _tag_scope("read"),
    _tag_scope("write"),
)
_ID = "(?P<account_id>[^/:]+)"
_TAX = "(?P<tax_code_id>[^/:]+)"
_GROUP = "(?P<group_id>[^/:]+)"
_VENDOR = "(?P<id>[^/:]+)"
#: (path pattern, handlers by method, scope by method), spliced into pleo_api's routes.
ROUTES = (
    (re.compile(r"/v1/chart-of-accounts"), {"POST": create_account}, {"POST": A_WRITE}),
    (re.compile(r"/v1/chart-of-accounts/batch"), {"POST": batch_accounts}, {"POST": A_WRITE}),
    (re.compile(r"/v1/chart-of-accounts:search"), {"POST": search_accounts}, {"POST": A_READ}),
    (
        re.compile(rf"/v1/chart-of-accounts/{_ID}"),
        {"GET": get_account, "PUT": update_account, "DELETE": delete_account},
        {"GET": A_READ, "PUT": A_WRITE, "DELETE": A_WRITE},
    ),
    (re.compile(r"/v0/tax-codes"), {"POST": create_tax_code}, {"POST": T_WRITE}),
    (re.compile(r"/v0/tax-codes:search"), {"POST": search_tax_codes}, {"POST": T_READ}),
    (
        re.compile(rf"/v0/tax-codes/{_TAX}"),
        {"GET": get_tax_code, "PUT": update_tax_code, "DELETE": delete_tax_code},
        {"GET": T_READ, "PUT": T_WRITE, "DELETE": T_WRITE},
    ),
    (
        re.compile(r"/v0/tag-groups"),
        {"GET": list_groups, "POST": create_group},
        {"GET": G_READ, "POST": G_WRITE},
    ),
    (
        re.compile(rf"/v0/tag-groups/{_GROUP}"),
        {"GET": get_group, "PUT": update_group, "DELETE": delete_group},
        {"GET": G_READ, "PUT": G_WRITE, "DELETE": G_WRITE},
    ),
    (
        re.compile(rf"/v0/tag-groups/{_GROUP}/tags"),
        {"GET": list_tags, "POST": create_tag},
        {"GET": G_READ, "POST": G_WRITE},
    ),
    (re.compile(r"/v0/tags/(?P<tag_id>[^/:]+)"), {"PUT": update_tag}, {"PUT": G_WRITE}),
    (re.compile(r"/v1/vendors"), {"POST": create_vendor}, {"POST": V_WRITE}),
    (re.compile(r"/v1/vendors:search"), {"POST": search_vendors}, {"POST": V_READ}),
    (
        re.compile(rf"/v1/vendors/{_VENDOR}"),
        {"GET": get_vendor, "PUT": update_vendor},
        {"GET": V_READ, "PUT": V_WRITE},
    ),
    (re.compile(rf"/v1/vendors/{_VENDOR}:activate"), {"POST": activate_vendor}, {"POST": V_WRITE}),
    (re.compile(rf"/v1/vendors/{_VENDOR}:archive"), {"POST": archive_vendor}, {"POST": V_WRITE}),
)
