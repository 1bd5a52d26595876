"""Tests of the Pleo sandbox (pleo_connector/tests/pleo_sandbox): real HTTP, in-process."""

import base64
import datetime as dt
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
import requests
from pleo_sandbox import (
    DEFAULT_SCOPES,
    DEMO_COMPANY_NAME,
    REDIRECT_TARGET,
    PleoSandbox,
    RecordedRequest,
    SandboxError,
    UnknownEntityError,
)
from pleo_sandbox.__main__ import BANNER_END

JSON_TYPE = "application/json;charset=UTF-8"
TIMEOUT = 5


def call(sandbox, method, path, key=None, environment="production", password="", **kwargs):
    """Send one request to the sandbox, as Pleo expects: Basic auth, key as user, no password."""
    kwargs.setdefault("timeout", TIMEOUT)
    auth = (key, password) if key is not None else None
    return requests.request(
        method, sandbox.url(environment) + path, auth=auth, allow_redirects=False, **kwargs
    )


def company_of(sandbox, key):
    return sandbox.key_info(key)["company_id"]


def assert_domain_error(response, status, code=None):
    assert response.status_code == status
    assert response.headers["Content-Type"] == JSON_TYPE
    body = response.json()
    assert set(body) == {"type", "message"}
    assert isinstance(body["message"], str) and body["message"]
    if code:
        assert body["type"] == code


# ---------------------------------------------------------------------- authentication
def test_valid_key_is_accepted_with_pleo_content_type(sandbox):
    response = call(sandbox, "GET", "/v1/introspect", sandbox.mint_key())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_TYPE


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer {key}",
        "Basic not-base64!",
        "Basic {b64_no_colon}",
        "Basic {b64_password}",
        "Basic {b64_unknown}",
    ],
    ids=["missing", "bearer", "malformed", "no-colon", "password", "unknown"],
)
def test_bad_credentials_get_401(sandbox, authorization):
    key = sandbox.mint_key()
    values = {
        "key": key,
        "b64_no_colon": base64.b64encode(key.encode()).decode(),
        "b64_password": base64.b64encode(f"{key}:secret".encode()).decode(),
        "b64_unknown": base64.b64encode(b"no-such-key-0123456789:").decode(),
    }
    headers = {"Authorization": authorization.format(**values)} if authorization else {}
    response = call(sandbox, "GET", "/v1/introspect", headers=headers)
    assert_domain_error(response, 401, "UNAUTHORIZED")


def test_non_empty_password_gets_401(sandbox):
    key = sandbox.mint_key()
    assert call(sandbox, "GET", "/v1/introspect", key, password="x").status_code == 401
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200


def test_revoked_key_gets_401(sandbox):
    key = sandbox.mint_key()
    sandbox.revoke_key(key)
    assert_domain_error(call(sandbox, "GET", "/v1/introspect", key), 401)


def test_expired_keys_get_401(sandbox):
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    future = dt.datetime.now() + dt.timedelta(hours=1)  # naive: taken as UTC
    expired, valid = sandbox.mint_key(expires_at=past), sandbox.mint_key(expires_at=future)
    assert call(sandbox, "GET", "/v1/introspect", expired).status_code == 401
    assert call(sandbox, "GET", "/v1/introspect", valid).status_code == 200
    sandbox.expire_key(valid)
    assert call(sandbox, "GET", "/v1/introspect", valid).status_code == 401


def test_key_only_works_in_its_environment(sandbox):
    production, staging = sandbox.mint_key(), sandbox.mint_key(environment="staging")
    assert call(sandbox, "GET", "/v1/introspect", production, "staging").status_code == 401
    assert call(sandbox, "GET", "/v1/introspect", staging, "production").status_code == 401
    assert call(sandbox, "GET", "/v1/introspect", staging, "staging").status_code == 200
    assert sandbox.url("production") != sandbox.url("staging")


def test_missing_scope_gets_403_only_on_companies(sandbox):
    scopes = [s for s in DEFAULT_SCOPES if s != "companies:read"]
    key = sandbox.mint_key(scopes=scopes)
    company = company_of(sandbox, key)
    assert_domain_error(call(sandbox, "GET", f"/v1/companies/{company}", key), 403, "FORBIDDEN")
    assert_domain_error(call(sandbox, "GET", "/v1/companies", key), 403)
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200
    assert call(sandbox, "POST", "/v1/installations/me", key, json={}).status_code == 200
    sandbox.set_scopes(key, "companies:read")
    assert call(sandbox, "GET", f"/v1/companies/{company}", key).status_code == 200


def test_401_comes_before_403(sandbox):
    key = sandbox.mint_key(scopes=[])
    sandbox.revoke_key(key)
    assert call(sandbox, "GET", "/v1/companies", key).status_code == 401


# ---------------------------------------------------------------------- keys
def test_minted_keys_are_random_and_explicit_keys_are_checked(sandbox):
    first, second = sandbox.mint_key(), sandbox.mint_key()
    assert first != second and len(first) >= 40
    assert sandbox.mint_key(key="my-demo-key-0001") == "my-demo-key-0001"
    for bad in ("", "has space", "has:colon", "é" * 20, "x" * 513):
        with pytest.raises(SandboxError):
            sandbox.mint_key(key=bad)
    with pytest.raises(SandboxError, match="taken"):
        sandbox.mint_key(key="my-demo-key-0001")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"environment": "test"},
        {"auth_method": "PASSWORD"},
        {"subject_kind": "user"},
        {"application_name": ""},
        {"scopes": ["ok:read", "two words"]},
        {"expires_at": "tomorrow"},
    ],
)
def test_mint_key_rejects_bad_arguments(sandbox, kwargs):
    with pytest.raises(SandboxError):
        sandbox.mint_key(**kwargs)


def test_unknown_key_or_company_raises(sandbox):
    with pytest.raises(UnknownEntityError):
        sandbox.mint_key(company_id=str(uuid.uuid4()))
    for method in (sandbox.revoke_key, sandbox.expire_key, sandbox.installation_for):
        with pytest.raises(UnknownEntityError):
            method("no-such-key")


def test_logs_show_key_prefix_only(sandbox, caplog):
    caplog.set_level(logging.DEBUG, logger="pleo_sandbox")
    key = sandbox.mint_key()
    call(sandbox, "GET", "/v1/introspect", key)
    sandbox.revoke_key(key)
    assert key[:4] + "…" in caplog.text
    assert key not in caplog.text
    assert "GET /v1/introspect" in caplog.text  # the access log goes to the logger too

    other = sandbox.mint_key()
    result = sandbox.authenticate(
        "Basic " + base64.b64encode(f"{other}:".encode()).decode(), "production"
    )
    assert result.key is not None and other not in repr(result)  # the ApiKey repr hides it


# ---------------------------------------------------------------------- introspect
def test_introspect_describes_the_key(sandbox):
    company = sandbox.add_company("Acme ApS")
    key = sandbox.mint_key(company, scopes="accounts:read users:read", application_name="Odoo")
    data = call(sandbox, "GET", "/v1/introspect", key).json()["data"]
    assert data["authMethod"] == "API_KEY"
    assert data["scope"] == "accounts:read users:read"
    assert data["applicationName"] == "Odoo"
    assert data["subjectURN"] == f"urn:pleo:company:{company}"
    assert uuid.UUID(data["clientId"])


def test_introspect_default_scopes_and_other_subjects(sandbox):
    organization = str(uuid.uuid4())
    company = sandbox.add_company("Org Co", organization_id=organization)
    key = sandbox.mint_key(company, subject_kind="organization", auth_method="OAUTH2")
    data = call(sandbox, "GET", "/v1/introspect", key).json()["data"]
    assert data["subjectURN"] == f"urn:pleo:organization:{organization}"
    assert data["authMethod"] == "OAUTH2"
    assert data["scope"].split() == list(DEFAULT_SCOPES)


# ---------------------------------------------------------------------- installations
def test_installation_lifecycle(sandbox):
    key = sandbox.mint_key()
    company = company_of(sandbox, key)
    assert_domain_error(call(sandbox, "GET", "/v1/installations/me", key), 404)
    metadata = {"odoo": {"database_uuid": "abc", "company_id": 1}}
    created = call(sandbox, "POST", "/v1/installations/me", key, json={"metadata": metadata})
    assert created.status_code == 200
    body = created.json()
    assert body["resource"] == f"urn:pleo:company:{company}"
    assert body["status"] == "ACTIVATED"
    assert body["metadata"] == metadata
    assert "errorCode" not in body and "data" not in body
    assert call(sandbox, "GET", "/v1/installations/me", key).json() == body
    assert sandbox.installation_for(key) == body

    updated = call(
        sandbox,
        "PUT",
        "/v1/installations/me",
        key,
        json={"status": "ERROR", "errorCode": "AUTH_ERROR"},
    ).json()
    assert (updated["id"], updated["status"], updated["errorCode"]) == (
        body["id"],
        "ERROR",
        "AUTH_ERROR",
    )
    assert updated["metadata"] == metadata  # kept when the PUT has none
    assert updated["createdAt"] == body["createdAt"]

    activated = call(sandbox, "POST", "/v1/installations/me:activate", key).json()
    assert activated["status"] == "ACTIVATED" and "errorCode" not in activated

    deleted = call(sandbox, "DELETE", "/v1/installations/me", key)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_domain_error(call(sandbox, "DELETE", "/v1/installations/me", key), 404)
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200  # key not revoked


def test_post_keeps_one_installation_per_application_and_subject(sandbox):
    key = sandbox.mint_key()
    first = call(
        sandbox, "POST", "/v1/installations/me", key, json={"status": "PENDING_INTEGRATION"}
    )
    again = call(sandbox, "POST", "/v1/installations/me", key, json={"status": "INACTIVE"})
    assert first.json()["status"] == "PENDING_INTEGRATION"
    assert again.status_code == 200 and again.json() == first.json()
    other_app = sandbox.mint_key(company_of(sandbox, key), application_name="Other")
    assert call(sandbox, "GET", "/v1/installations/me", other_app).status_code == 404
    staging = sandbox.mint_key(company_of(sandbox, key), environment="staging")
    assert call(sandbox, "GET", "/v1/installations/me", staging, "staging").status_code == 404


def test_put_replaces_metadata_and_requires_an_installation(sandbox):
    key = sandbox.mint_key()
    payload = {"status": "INACTIVE", "metadata": {"a": {"b": 1}}}
    assert_domain_error(call(sandbox, "PUT", "/v1/installations/me", key, json=payload), 404)
    assert_domain_error(call(sandbox, "POST", "/v1/installations/me:activate", key), 404)
    call(sandbox, "POST", "/v1/installations/me", key, json={"metadata": {"x": {}}})
    assert call(sandbox, "PUT", "/v1/installations/me", key, json=payload).json()["metadata"] == {
        "a": {"b": 1}
    }


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("POST", None),
        ("POST", b"{not json"),
        ("POST", b"[]"),
        ("POST", b'{"status": "DONE"}'),
        ("POST", b'{"metadata": {"odoo_db": "a-string"}}'),
        ("POST", b'{"metadata": ["x"]}'),
        ("PUT", b"{}"),
        ("PUT", b'{"status": "ERROR", "errorCode": "BROKEN"}'),
    ],
)
def test_bad_installation_bodies_get_400(sandbox, method, body):
    key = sandbox.mint_key()
    sandbox.set_installation_status(key, "ACTIVATED")
    before = sandbox.installation_for(key)
    response = call(sandbox, method, "/v1/installations/me", key, data=body)
    assert_domain_error(response, 400, "BAD_REQUEST")
    assert sandbox.installation_for(key) == before


def test_get_installation_with_company_id(sandbox):
    key = sandbox.mint_key()
    company = company_of(sandbox, key)
    sandbox.set_installation_status(key, "ACTIVATED")
    own = call(sandbox, "GET", "/v1/installations/me", key, params={"company_id": company})
    assert own.status_code == 200
    other = sandbox.add_company("Other")
    assert (
        call(sandbox, "GET", "/v1/installations/me", key, params={"company_id": other}).status_code
        == 404
    )
    bad = call(sandbox, "GET", "/v1/installations/me", key, params={"company_id": "nope"})
    assert_domain_error(bad, 400)


def test_organization_key_installation_covers_its_companies(sandbox):
    organization = str(uuid.uuid4())
    first = sandbox.add_company("First", organization_id=organization)
    second = sandbox.add_company("Second", organization_id=organization)
    key = sandbox.mint_key(first, subject_kind="organization")
    created = call(sandbox, "POST", "/v1/installations/me", key, json={}).json()
    assert created["resource"] == f"urn:pleo:organization:{organization}"
    response = call(sandbox, "GET", "/v1/installations/me", key, params={"company_id": second})
    assert response.json()["id"] == created["id"]


def test_installation_python_api(sandbox):
    key = sandbox.mint_key()
    assert sandbox.installation_for(key) is None
    made = sandbox.set_installation_status(key, "ERROR", "NOT_ENTITLED")
    assert (made["status"], made["errorCode"]) == ("ERROR", "NOT_ENTITLED")
    changed = sandbox.set_installation_status(key, "INACTIVE")
    assert changed["id"] == made["id"] and "errorCode" not in changed
    assert call(sandbox, "GET", "/v1/installations/me", key).json()["status"] == "INACTIVE"
    with pytest.raises(SandboxError):
        sandbox.set_installation_status(key, "BROKEN")
    with pytest.raises(SandboxError):
        sandbox.set_installation_status(key, "ERROR", "OOPS")
    assert sandbox.delete_installation_for(key) is True
    assert sandbox.delete_installation_for(key) is False
    assert call(sandbox, "GET", "/v1/installations/me", key).status_code == 404


# ---------------------------------------------------------------------- companies
def test_get_company(sandbox):
    company = sandbox.add_company(
        "Acme ApS",
        registration_number="DK1234",
        address={"addressLine1": "Street 1", "country": "DK"},
    )
    key = sandbox.mint_key(company)
    response = call(sandbox, "GET", f"/v1/companies/{company}", key)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == company and data["name"] == "Acme ApS"
    assert data["registrationNumber"] == "DK1234"
    assert data["address"] == {"addressLine1": "Street 1", "country": "DK"}
    assert uuid.UUID(data["organizationId"])


def test_get_company_errors(sandbox):
    key = sandbox.mint_key()
    other = sandbox.add_company("Other")
    assert_domain_error(call(sandbox, "GET", f"/v1/companies/{uuid.uuid4()}", key), 404)
    assert_domain_error(call(sandbox, "GET", "/v1/companies/not-a-uuid", key), 404)
    assert_domain_error(call(sandbox, "GET", f"/v1/companies/{other}", key), 403)


def test_add_company_rejects_bad_arguments(sandbox):
    company = sandbox.add_company("Acme")
    for kwargs in (
        {"name": " "},
        {"name": "A", "company_id": "x"},
        {"name": "A", "organization_id": "x"},
        {"name": "A", "company_id": company},
        {"name": "A", "address": {"street": "x"}},
        {"name": "A", "registration_number": 5},
    ):
        with pytest.raises(SandboxError):
            sandbox.add_company(**kwargs)


def _organization_with(sandbox, count):
    organization = str(uuid.uuid4())
    ids = [
        sandbox.add_company(f"Company {i:02d}", organization_id=organization) for i in range(count)
    ]
    sandbox.add_company("Elsewhere")  # another organisation: never listed
    return organization, ids, sandbox.mint_key(ids[0], subject_kind="organization")


def test_list_companies_paginates_with_offset(sandbox):
    organization, ids, key = _organization_with(sandbox, 5)
    page = call(sandbox, "GET", "/v1/companies", key, params={"limit": 2, "offset": 2}).json()
    assert [c["id"] for c in page["data"]] == ids[2:4]
    pagination = page["pagination"]
    assert pagination["hasNextPage"] and pagination["hasPreviousPage"]
    assert pagination["total"] == 5
    assert pagination["currentRequestPagination"] == {"parameters": {}, "limit": 2, "offset": 2}
    everything = call(
        sandbox, "GET", "/v1/companies", key, params={"organization_id": organization}
    )
    body = everything.json()
    assert [c["id"] for c in body["data"]] == ids
    assert not body["pagination"]["hasNextPage"]
    assert body["pagination"]["currentRequestPagination"]["parameters"] == {
        "organization_id": [organization]
    }
    beyond = call(sandbox, "GET", "/v1/companies", key, params={"offset": 10}).json()
    assert beyond["data"] == [] and "startCursor" not in beyond["pagination"]


def test_list_companies_paginates_with_cursors(sandbox):
    _, ids, key = _organization_with(sandbox, 5)
    first = call(sandbox, "GET", "/v1/companies", key, params={"limit": 2}).json()
    cursor = first["pagination"]["endCursor"]
    assert re.fullmatch(r"[A-Z2-7=~]+", cursor)
    second = call(sandbox, "GET", "/v1/companies", key, params={"limit": 2, "after": cursor}).json()
    assert [c["id"] for c in second["data"]] == ids[2:4]
    back = call(
        sandbox,
        "GET",
        "/v1/companies",
        key,
        params={"limit": 2, "before": second["pagination"]["startCursor"]},
    ).json()
    assert [c["id"] for c in back["data"]] == ids[0:2]
    assert not back["pagination"]["hasPreviousPage"]


def test_company_key_lists_only_its_company(sandbox):
    key = sandbox.mint_key()
    sandbox.add_company("Other")
    body = call(sandbox, "GET", "/v1/companies", key).json()
    assert [c["id"] for c in body["data"]] == [company_of(sandbox, key)]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "ten"}, 400),
        ({"limit": 0}, 400),
        ({"offset": -1}, 400),
        ({"offset": 1, "after": "GE======"}, 400),
        ({"after": "not a cursor"}, 400),
        ({"organization_id": "nope"}, 400),
        ({"organization_id": str(uuid.uuid4())}, 403),
    ],
)
def test_list_companies_rejects_bad_parameters(sandbox, params, status):
    key = sandbox.mint_key()
    assert_domain_error(call(sandbox, "GET", "/v1/companies", key, params=params), status)


def test_list_companies_caps_the_page_size(sandbox):
    key = sandbox.mint_key()
    body = call(sandbox, "GET", "/v1/companies", key, params={"limit": 5000}).json()
    assert body["pagination"]["currentRequestPagination"]["limit"] == 100


# ---------------------------------------------------------------------- routing
def test_unknown_path_and_method(sandbox):
    key = sandbox.mint_key()
    assert_domain_error(call(sandbox, "GET", "/v1/nothing", key), 404, "NOT_FOUND")
    response = call(sandbox, "DELETE", "/v1/introspect", key)
    assert_domain_error(response, 405)
    assert response.headers["Allow"] == "GET"


# ---------------------------------------------------------------------- faults
def test_status_fault(sandbox):
    key = sandbox.mint_key()
    sandbox.inject_fault("/v1/introspect")
    assert_domain_error(call(sandbox, "GET", "/v1/introspect", key), 500, "INTERNAL_SERVER_ERROR")
    sandbox.clear_faults()
    sandbox.inject_fault("/v1/introspect", status=503, retry_after=2)
    response = call(sandbox, "GET", "/v1/introspect", key)
    assert_domain_error(response, 503, "SERVICE_UNAVAILABLE")
    assert response.headers["Retry-After"] == "2"
    sandbox.clear_faults()
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200


def test_status_fault_fires_before_authentication(sandbox):
    sandbox.inject_fault("/v1/introspect", status=599)
    assert_domain_error(call(sandbox, "GET", "/v1/introspect"), 599, "HTTP_599")
    assert sandbox.requests[-1].auth_valid is False


def test_rate_limit_fault_with_and_without_retry_after(sandbox):
    key = sandbox.mint_key()
    sandbox.inject_fault("/v1/introspect", kind="rate_limit", retry_after=1.2, times=1)
    sandbox.inject_fault("/v1/introspect", kind="rate_limit", times=1)
    with_header = call(sandbox, "GET", "/v1/introspect", key)
    assert_domain_error(with_header, 429, "TOO_MANY_REQUESTS")
    assert with_header.headers["Retry-After"] == "2"  # whole seconds, rounded up
    without = call(sandbox, "GET", "/v1/introspect", key)
    assert without.status_code == 429 and "Retry-After" not in without.headers


def test_garbage_fault(sandbox):
    sandbox.inject_fault("/v1/introspect", kind="garbage")
    response = call(sandbox, "GET", "/v1/introspect", sandbox.mint_key())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_TYPE
    with pytest.raises(ValueError):
        response.json()


def test_truncated_fault_cuts_the_real_answer(sandbox):
    key = sandbox.mint_key()
    full = call(sandbox, "GET", "/v1/introspect", key).content
    sandbox.inject_fault("/v1/introspect", kind="truncated")
    response = call(sandbox, "GET", "/v1/introspect", key)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert 0 < len(response.content) < len(full) and full.startswith(response.content)
    with pytest.raises(ValueError):
        response.json()


def test_html_fault(sandbox):
    sandbox.inject_fault("/v1/introspect", kind="html")
    response = call(sandbox, "GET", "/v1/introspect", sandbox.mint_key())
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")
    sandbox.clear_faults()
    sandbox.inject_fault("/v1/introspect", kind="html", status=200)
    assert call(sandbox, "GET", "/v1/introspect", sandbox.mint_key()).status_code == 200


def test_drop_fault_closes_without_an_answer(sandbox):
    key = sandbox.mint_key()
    sandbox.inject_fault("/v1/introspect", kind="drop", times=1)
    with pytest.raises(requests.ConnectionError):
        call(sandbox, "GET", "/v1/introspect", key)
    assert sandbox.requests[-1].status is None
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200


def test_slow_fault_outlasts_the_client_timeout(sandbox):
    key = sandbox.mint_key()
    sandbox.inject_fault("/v1/introspect", kind="slow", latency=0.5, times=1)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        call(sandbox, "GET", "/v1/introspect", key, timeout=0.1)
    assert time.monotonic() - started < 0.45
    assert sandbox.count("GET", "/v1/introspect") == 1  # recorded on arrival
    assert sandbox.requests[-1].status is None  # not answered yet
    assert call(sandbox, "GET", "/v1/introspect", key, timeout=0.4).status_code == 200


def test_redirect_fault_points_to_another_host(sandbox):
    sandbox.inject_fault("/v1/installations/me", kind="redirect")
    response = call(sandbox, "GET", "/v1/installations/me", sandbox.mint_key(), params={"a": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{REDIRECT_TARGET}/v1/installations/me?a=1"
    assert REDIRECT_TARGET == "http://127.0.0.2:9"


def test_fault_times_method_and_pattern(sandbox):
    key = sandbox.mint_key()
    sandbox.inject_fault("/v1/*", method="post", times=2)
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200
    statuses = [
        call(sandbox, "POST", "/v1/installations/me", key, json={}).status_code for _ in range(3)
    ]
    assert statuses == [500, 500, 200]
    assert sandbox.snapshot()["faults"] == []


def test_faults_never_touch_the_control_api(sandbox):
    with pytest.raises(SandboxError):
        sandbox.inject_fault("/_sandbox/state")
    sandbox.inject_fault("/*")  # matches every path, /_sandbox/... included
    assert requests.get(sandbox.url() + "/_sandbox/state", timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "teapot"},
        {"path": "v1/introspect"},
        {"method": "G E T"},
        {"status": 200},
        {"status": True},
        {"kind": "redirect", "status": 500},
        {"kind": "drop", "status": 500},
        {"kind": "garbage", "retry_after": 1},
        {"retry_after": -1},
        {"kind": "slow"},
        {"latency": -1},
        {"times": 0},
        {"times": 1.5},
    ],
)
def test_inject_fault_rejects_bad_arguments(sandbox, kwargs):
    kwargs.setdefault("path", "/v1/introspect")
    with pytest.raises(SandboxError):
        sandbox.inject_fault(**kwargs)


def test_global_latency(sandbox):
    key = sandbox.mint_key()
    sandbox.set_latency(0.2)
    started = time.monotonic()
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200
    assert time.monotonic() - started >= 0.2
    assert sandbox.latency == 0.2
    with pytest.raises(SandboxError):
        sandbox.set_latency(-1)


# ---------------------------------------------------------------------- behaviour switches
def test_behaviour_defaults(sandbox):
    behaviour = sandbox.behaviour
    assert behaviour.unauthorized_body == "json"
    assert behaviour.missing_installation == "404"
    assert behaviour.duplicate_installation == "return_existing"
    assert behaviour.delete_revokes_key is False
    assert behaviour.retry_after_on_429 is True
    assert behaviour.rate_limit_per_minute is None


def test_unauthorized_body_shapes(sandbox):
    sandbox.behaviour.unauthorized_body = "empty"
    empty = call(sandbox, "GET", "/v1/introspect", "nope-nope-nope-nope")
    assert (empty.status_code, empty.content) == (401, b"")
    assert "Content-Type" not in empty.headers
    sandbox.behaviour.unauthorized_body = "html"
    html = call(sandbox, "GET", "/v1/introspect")
    assert html.status_code == 401 and html.headers["Content-Type"].startswith("text/html")
    assert "<h1>401 Unauthorized</h1>" in html.text


def test_missing_installation_empty(sandbox):
    sandbox.behaviour.missing_installation = "empty"
    response = call(sandbox, "GET", "/v1/installations/me", sandbox.mint_key())
    assert (response.status_code, response.content) == (204, b"")


def test_duplicate_installation_409(sandbox):
    sandbox.behaviour.duplicate_installation = "409"
    key = sandbox.mint_key()
    first = call(sandbox, "POST", "/v1/installations/me", key, json={"status": "INACTIVE"}).json()
    again = call(sandbox, "POST", "/v1/installations/me", key, json={"status": "ACTIVATED"})
    assert_domain_error(again, 409, "INSTALLATION_ALREADY_EXISTS")
    assert sandbox.installation_for(key) == first


def test_delete_revokes_key(sandbox):
    sandbox.behaviour.delete_revokes_key = True
    key = sandbox.mint_key()
    same_subject = sandbox.mint_key(company_of(sandbox, key))
    other_app = sandbox.mint_key(company_of(sandbox, key), application_name="Other")
    sandbox.set_installation_status(key, "ACTIVATED")
    assert call(sandbox, "DELETE", "/v1/installations/me", key).status_code == 204
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 401
    assert call(sandbox, "GET", "/v1/introspect", same_subject).status_code == 401
    assert call(sandbox, "GET", "/v1/introspect", other_app).status_code == 200


def test_rate_limit_per_key(sandbox):
    sandbox.behaviour.rate_limit_per_minute = 2
    key, other = sandbox.mint_key(), sandbox.mint_key()
    statuses = [call(sandbox, "GET", "/v1/introspect", key).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = call(sandbox, "GET", "/v1/introspect", key)
    assert_domain_error(limited, 429, "TOO_MANY_REQUESTS")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert call(sandbox, "GET", "/v1/introspect", other).status_code == 200
    sandbox.behaviour.retry_after_on_429 = False
    assert "Retry-After" not in call(sandbox, "GET", "/v1/introspect", key).headers


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("unauthorized_body", "xml"),
        ("missing_installation", 404),
        ("duplicate_installation", "replace"),
        ("delete_revokes_key", "yes"),
        ("retry_after_on_429", 1),
        ("rate_limit_per_minute", 0),
        ("rate_limit_per_minute", True),
        ("no_such_switch", True),
    ],
)
def test_behaviour_rejects_bad_values(sandbox, name, value):
    with pytest.raises(SandboxError):
        setattr(sandbox.behaviour, name, value)


# ---------------------------------------------------------------------- recorded requests
def test_recorded_requests(sandbox):
    key = sandbox.mint_key()
    staging = sandbox.mint_key(environment="staging")
    call(sandbox, "GET", "/v1/introspect", key)
    call(sandbox, "GET", "/v1/installations/me", key, params={"company_id": "x", "b": ""})
    call(sandbox, "GET", "/v1/introspect", staging, "staging")
    call(sandbox, "GET", "/v1/introspect", "wrong-key-wrong-key")
    requests.get(sandbox.url() + "/_sandbox/state", timeout=TIMEOUT)  # never recorded
    assert sandbox.requests == [
        RecordedRequest("GET", "/v1/introspect", {}, "production", True, 200),
        RecordedRequest(
            "GET", "/v1/installations/me", {"company_id": "x", "b": ""}, "production", True, 400
        ),
        RecordedRequest("GET", "/v1/introspect", {}, "staging", True, 200),
        RecordedRequest("GET", "/v1/introspect", {}, "production", False, 401),
    ]
    assert sandbox.count() == 4
    assert sandbox.count("get", "/v1/introspect") == 3
    assert sandbox.count(path="/v1/installations/me") == 1
    assert sandbox.count("POST") == 0
    assert key not in repr(sandbox.requests)
    sandbox.reset_requests()
    assert sandbox.requests == [] and sandbox.count() == 0


def test_recorded_requests_are_copies(sandbox):
    call(sandbox, "GET", "/v1/introspect", sandbox.mint_key())
    sandbox.requests[0].query["x"] = "1"
    assert sandbox.requests[0].query == {}


# ---------------------------------------------------------------------- control API
def control(sandbox, method, path, json=None):
    return requests.request(method, sandbox.url() + path, json=json, timeout=TIMEOUT)


def test_control_companies_and_keys(sandbox):
    company = control(
        sandbox, "POST", "/_sandbox/companies", {"name": "Acme", "registration_number": "1"}
    ).json()["company_id"]
    minted = control(
        sandbox,
        "POST",
        "/_sandbox/keys",
        {"company_id": company, "environment": "staging", "scopes": "companies:read"},
    ).json()
    assert minted["company_id"] == company
    key = minted["key"]
    response = call(sandbox, "GET", f"/v1/companies/{company}", key, "staging")
    assert response.json()["data"]["name"] == "Acme"
    assert control(sandbox, "POST", "/_sandbox/keys/scopes", {"key": key, "scopes": []}).ok
    assert call(sandbox, "GET", f"/v1/companies/{company}", key, "staging").status_code == 403
    assert control(sandbox, "POST", "/_sandbox/keys/revoke", {"key": key}).ok
    assert call(sandbox, "GET", "/v1/introspect", key, "staging").status_code == 401


def test_control_key_expiry_and_new_company(sandbox):
    minted = control(sandbox, "POST", "/_sandbox/keys", {}).json()
    assert uuid.UUID(minted["company_id"])
    assert call(sandbox, "GET", "/v1/introspect", minted["key"]).status_code == 200
    assert control(sandbox, "POST", "/_sandbox/keys/expire", {"key": minted["key"]}).ok
    assert call(sandbox, "GET", "/v1/introspect", minted["key"]).status_code == 401
    expired = control(
        sandbox, "POST", "/_sandbox/keys", {"expires_at": "2020-01-01T00:00:00Z"}
    ).json()
    assert call(sandbox, "GET", "/v1/introspect", expired["key"]).status_code == 401


def test_control_faults_requests_behaviour(sandbox):
    key = sandbox.mint_key()
    fault = {"path": "/v1/introspect", "kind": "status", "status": 502, "times": 1}
    assert control(sandbox, "POST", "/_sandbox/faults", fault).ok
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 502
    control(sandbox, "POST", "/_sandbox/faults", {"path": "/v1/introspect"})
    assert control(sandbox, "DELETE", "/_sandbox/faults").ok
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 200

    recorded = control(sandbox, "GET", "/_sandbox/requests").json()["requests"]
    assert [r["status"] for r in recorded] == [502, 200]
    assert recorded[0] == {
        "method": "GET",
        "path": "/v1/introspect",
        "query": {},
        "environment": "production",
        "auth_valid": True,
        "status": 502,
    }
    assert control(sandbox, "DELETE", "/_sandbox/requests").ok
    assert sandbox.count() == 0

    changed = control(sandbox, "PUT", "/_sandbox/behaviour", {"duplicate_installation": "409"})
    assert changed.json()["duplicate_installation"] == "409"
    assert sandbox.behaviour.duplicate_installation == "409"
    bad = control(
        sandbox,
        "PUT",
        "/_sandbox/behaviour",
        {"missing_installation": "empty", "unauthorized_body": "xml"},
    )
    assert_domain_error(bad, 400)
    assert sandbox.behaviour.missing_installation == "404"  # nothing applied
    assert_domain_error(control(sandbox, "PUT", "/_sandbox/behaviour", {"nope": 1}), 400)


def test_control_state_hides_keys_and_reset(sandbox):
    key = sandbox.mint_key()
    sandbox.set_installation_status(key, "ACTIVATED")
    sandbox.inject_fault("/v1/introspect", kind="drop")
    response = control(sandbox, "GET", "/_sandbox/state")
    assert key not in response.text
    state = response.json()
    assert state["keys"][0]["prefix"] == key[:4] + "…"
    assert state["keys"][0]["subject"] == f"urn:pleo:company:{company_of(sandbox, key)}"
    assert state["installations"][0]["status"] == "ACTIVATED"
    assert state["faults"][0]["kind"] == "drop"
    assert state["behaviour"]["unauthorized_body"] == "json"
    assert control(sandbox, "POST", "/_sandbox/reset").ok
    assert call(sandbox, "GET", "/v1/introspect", key).status_code == 401
    assert sandbox.snapshot()["companies"] == []


@pytest.mark.parametrize(
    ("method", "path", "json", "status"),
    [
        ("GET", "/_sandbox/nothing", None, 404),
        ("GET", "/_sandbox/keys", None, 405),
        ("POST", "/_sandbox/companies", {}, 400),
        ("POST", "/_sandbox/companies", {"name": "A", "colour": "red"}, 400),
        ("POST", "/_sandbox/companies", ["A"], 400),
        ("POST", "/_sandbox/keys", {"expires_at": "soon"}, 400),
        ("POST", "/_sandbox/keys", {"company_id": str(uuid.uuid4())}, 404),
        ("POST", "/_sandbox/keys/revoke", {"key": "unknown"}, 404),
        ("POST", "/_sandbox/faults", {"path": "/v1/introspect", "kind": "teapot"}, 400),
    ],
)
def test_control_errors(sandbox, method, path, json, status):
    assert_domain_error(control(sandbox, method, path, json), status)


def test_control_rejects_invalid_json(sandbox):
    response = requests.post(sandbox.url() + "/_sandbox/keys", data=b"{", timeout=TIMEOUT)
    assert_domain_error(response, 400)


# ---------------------------------------------------------------------- lifecycle
def test_lifecycle():
    sandbox = PleoSandbox()
    with pytest.raises(SandboxError):
        sandbox.url()
    session = requests.Session()  # keeps its connection alive across requests
    with sandbox:
        url = sandbox.url()
        with pytest.raises(SandboxError):
            sandbox.start()
        assert session.get(url + "/_sandbox/state", timeout=TIMEOUT).ok
    with pytest.raises(requests.ConnectionError):
        session.get(url + "/_sandbox/state", timeout=TIMEOUT)
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/_sandbox/state", timeout=TIMEOUT)
    with sandbox:  # a stopped sandbox can start again, with its state
        assert requests.get(sandbox.url() + "/_sandbox/state", timeout=TIMEOUT).ok


def test_stop_cuts_slow_answers_short():
    with PleoSandbox() as sandbox:
        key = sandbox.mint_key()
        sandbox.inject_fault("/v1/introspect", kind="slow", latency=30)
        with pytest.raises(requests.Timeout):
            call(sandbox, "GET", "/v1/introspect", key, timeout=0.1)
        started = time.monotonic()
    assert time.monotonic() - started < 2


def test_seed_demo(sandbox):
    company, key = sandbox.seed_demo()
    response = call(sandbox, "GET", f"/v1/companies/{company}", key)
    assert response.json()["data"]["name"] == DEMO_COMPANY_NAME
    scope = call(sandbox, "GET", "/v1/introspect", key).json()["data"]["scope"]
    assert scope.split() == list(DEFAULT_SCOPES)


# ---------------------------------------------------------------------- command line
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANDBOX_PARENT = os.path.join(REPO, "pleo_connector", "tests")  # holds the pleo_sandbox package


@contextmanager
def cli(*args, env=None):
    """Run ``python -m pleo_sandbox``; yield (process, banner, queue of later stdout lines).

    The process is always stopped (SIGTERM, then SIGKILL) on the way out.
    """
    with subprocess.Popen(
        [sys.executable, "-m", "pleo_sandbox", "--port", "0", *args],
        cwd=SANDBOX_PARENT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:  # closes the pipe and reaps the process on the way out
        lines = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(line) for line in process.stdout], daemon=True
        ).start()
        banner = []
        try:
            while not banner or banner[-1] != BANNER_END:
                banner.append(lines.get(timeout=10).rstrip("\n"))
            yield process, banner, lines
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def _banner_value(banner, label):
    return next(line.split(": ", 1)[1].strip() for line in banner if line.strip().startswith(label))


def test_cli_demo_seed_and_sigterm():
    args = ("--seed", "demo", "--demo-key", "cli-demo-key-0123456789")
    with cli(*args) as (process, banner, lines):
        production = _banner_value(banner, "production base URL")
        staging = _banner_value(banner, "staging base URL")
        assert _banner_value(banner, "demo key (production)") == "cli-demo-key-0123456789"
        introspect = requests.get(
            production + "/v1/introspect", auth=("cli-demo-key-0123456789", ""), timeout=TIMEOUT
        ).json()["data"]
        company = introspect["subjectURN"].rsplit(":", 1)[1]
        assert f"{DEMO_COMPANY_NAME} ({company})" in "\n".join(banner)
        assert introspect["scope"].split() == list(DEFAULT_SCOPES)
        refused = requests.get(
            staging + "/v1/introspect", auth=("cli-demo-key-0123456789", ""), timeout=TIMEOUT
        )
        assert refused.status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        assert lines.get(timeout=5) == "Pleo sandbox stopped.\n"


def test_cli_demo_key_from_environment():
    env = {"PLEO_SANDBOX_DEMO_KEY": "env-demo-key-0123456789"}
    with cli(env=env) as (_, banner, _lines):
        assert _banner_value(banner, "demo key (production)") == "env-demo-key-0123456789"
        url = _banner_value(banner, "production base URL")
        response = requests.get(
            url + "/v1/introspect", auth=("env-demo-key-0123456789", ""), timeout=TIMEOUT
        )
        assert response.status_code == 200


def test_cli_without_seed():
    with cli("--seed", "none", "--staging-port", "0") as (_, banner, _lines):
        assert not any("demo key" in line for line in banner)
        url = _banner_value(banner, "production base URL")
        state = requests.get(url + "/_sandbox/state", timeout=TIMEOUT).json()
        assert state["companies"] == [] and state["keys"] == []


def test_cli_rejects_a_bad_demo_key():
    result = subprocess.run(
        [sys.executable, "-m", "pleo_sandbox", "--port", "0", "--demo-key", "bad key"],
        cwd=SANDBOX_PARENT,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 2
    assert "printable ASCII" in result.stderr
