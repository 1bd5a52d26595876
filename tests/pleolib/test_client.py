"""Tests of pleolib.client against the Pleo sandbox, over real HTTP on loopback.

A few transport failures the sandbox cannot produce (TLS errors, gzip bombs, a connection timing
out mid-body...) use :class:`ScriptedAdapter`, a ``requests`` transport adapter answering from a
script; nothing of pleolib is mocked.
"""

import base64
import gzip
import io
import json
import logging
import socket
import sys
import traceback
from datetime import datetime, timezone

import pytest
import requests
from pleo_sandbox import DEFAULT_SCOPES
from pleolib import (
    BASE_URLS,
    InvalidKeyError,
    KeyFormatError,
    MissingScopesError,
    NotAnApiKeyError,
    NotFoundError,
    PleoClient,
    PleoError,
    PleoTimeoutError,
    PleoUnavailableError,
    RateLimitedError,
    UnexpectedResponseError,
    WrongCompanyError,
    check_scopes,
    ensure_same_company,
)
from pleolib.answers import decode_json
from pleolib.client import USER_AGENT, parse_retry_after
from pleolib.connection_api import (
    ConnectionApi,
    parse_company,
    parse_installation,
    parse_introspection,
    parse_urn,
)
from pleolib.items import ItemError, Reader
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse

INVALID_KEY = (
    "Pleo rejected the API key (401): it is unknown, revoked, expired, or from another Pleo "
    "environment. Generate a new key in Pleo and paste it again."
)
NOT_JSON = "Pleo's answer could not be read (not JSON)."
REDIRECT = "Pleo answered with a redirect; not followed."
INTROSPECT = "/v1/introspect"
INSTALLATION = "/v1/installations/me"


# --------------------------------------------------------------------------- fixtures


# ``sandbox`` (emptied for each test) comes from tests/conftest.py


@pytest.fixture
def key(sandbox):
    return sandbox.mint_key()


@pytest.fixture
def sleeps():
    """The waits between retries, recorded instead of slept."""
    return []


@pytest.fixture
def make_client(sandbox, sleeps):
    clients = []

    def make(api_key, environment="production", **options):
        options.setdefault("sleep", sleeps.append)
        client = PleoClient(api_key, sandbox.url(environment), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client, key):
    return make_client(key)


def basic_form(key):
    return base64.b64encode(f"{key}:".encode()).decode()


def assert_no_secret(key, *texts):
    for text in texts:
        assert key not in text
        assert basic_form(key) not in text


def expect_error(error_class, key, call, *args, **kwargs):
    """Run ``call``, check it raised a clean ``error_class`` and return the error."""
    with pytest.raises(error_class) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert isinstance(error, PleoError)
    assert error.message
    assert str(error) == error.message
    shown = traceback.format_exception(type(error), error, error.__traceback__)
    assert_no_secret(key, error.message, str(error), repr(error), repr(error.args), *shown)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    return error


# --------------------------------------------------------------------------- happy paths


def test_base_urls():
    assert BASE_URLS == {
        "production": "https://external.pleo.io",
        "staging": "https://external.staging.pleo.io",
    }


def test_introspect_a_company_key(sandbox, make_client):
    company_id = sandbox.add_company("Acme ApS")
    introspection = ConnectionApi(make_client(sandbox.mint_key(company_id))).introspect()
    assert introspection.auth_method == "API_KEY"
    assert introspection.client_id
    assert introspection.scopes == frozenset(DEFAULT_SCOPES)
    assert introspection.application_name == "Odoo"
    assert introspection.subject_urn == f"urn:pleo:company:{company_id}"
    assert (introspection.subject_kind, introspection.subject_id) == ("company", company_id)
    assert introspection.company_id == company_id


def test_introspect_an_organization_key(sandbox, make_client):
    company_id = sandbox.add_company("Acme ApS")
    introspection = ConnectionApi(
        make_client(sandbox.mint_key(company_id, subject_kind="organization"))
    ).introspect()
    assert introspection.subject_kind == "organization"
    assert introspection.subject_id
    assert introspection.company_id is None


def test_introspect_a_staging_key(sandbox, make_client):
    key = sandbox.mint_key(environment="staging")
    assert ConnectionApi(make_client(key, "staging")).introspect().auth_method == "API_KEY"
    assert sandbox.requests[-1].environment == "staging"


def test_installation_lifecycle(sandbox, client, key):
    company_id = ConnectionApi(client).introspect().company_id
    assert ConnectionApi(client).get_installation() is None

    created = ConnectionApi(client).create_installation(metadata={"odoo": {"database": "db-uuid"}})
    assert created.status == "ACTIVATED"
    assert created.company_id == company_id
    assert created.metadata == {"odoo": {"database": "db-uuid"}}
    assert created.created_at and created.updated_at and created.application_id
    assert sandbox.installation_for(key)["id"] == created.id
    assert ConnectionApi(client).get_installation(company_id=company_id) == created
    assert sandbox.requests[-1].query == {"company_id": company_id}

    updated = ConnectionApi(client).update_installation("ERROR", error_code="AUTH_ERROR")
    assert (updated.id, updated.status, updated.error_code) == (created.id, "ERROR", "AUTH_ERROR")
    assert updated.metadata == created.metadata

    assert ConnectionApi(client).delete_installation() is True
    assert ConnectionApi(client).delete_installation() is False
    assert ConnectionApi(client).get_installation() is None


def test_missing_installation_as_an_empty_answer(sandbox, client):
    sandbox.behaviour.missing_installation = "empty"
    assert ConnectionApi(client).get_installation() is None


def test_create_installation_when_pleo_returns_the_existing_one(sandbox, client):
    first = ConnectionApi(client).create_installation()
    assert ConnectionApi(client).create_installation().id == first.id


def test_create_installation_when_pleo_answers_409_updates_the_existing_one(sandbox, client):
    sandbox.behaviour.duplicate_installation = "409"
    first = ConnectionApi(client).create_installation(status="PENDING_INTEGRATION")
    again = ConnectionApi(client).create_installation(
        status="ACTIVATED", metadata={"odoo": {"company": 1}}
    )
    assert (again.id, again.status, again.metadata) == (
        first.id,
        "ACTIVATED",
        {"odoo": {"company": 1}},
    )
    assert [(r.method, r.status) for r in sandbox.requests] == [
        ("POST", 200),
        ("POST", 409),
        ("PUT", 200),
    ]


def test_get_company(sandbox, make_client):
    company_id = sandbox.add_company("Acme ApS", registration_number="DK1234")
    company = ConnectionApi(make_client(sandbox.mint_key(company_id))).get_company(company_id)
    assert (company.id, company.name, company.registration_number) == (
        company_id,
        "Acme ApS",
        "DK1234",
    )
    assert company.organization_id


def test_request_headers(key):
    adapter = ScriptedAdapter(json_answer(b'{"data": {"id": "c1", "name": "Acme"}}'))
    client = PleoClient(key, "https://pleo.test/", session=adapter.session())
    assert ConnectionApi(client).get_company("c1/../x").name == "Acme"
    request, options = adapter.sent[0]
    assert request.url == "https://pleo.test/v1/companies/c1%2F..%2Fx"
    assert request.headers["Authorization"] == f"Basic {basic_form(key)}"
    assert request.headers["User-Agent"] == USER_AGENT == "pleo-connector-odoo/19.0.1.0.0"
    assert request.headers["Accept"] == "application/json"
    assert options["timeout"] == (5.0, 20.0)
    assert options["stream"] is True


# --------------------------------------------------------------------------- the key


def test_bad_key_format_is_refused_before_any_request(sandbox):
    with pytest.raises(KeyFormatError):
        PleoClient("two words", sandbox.url())
    assert sandbox.requests == []


@pytest.mark.parametrize("body", ["json", "empty", "html"])
@pytest.mark.parametrize("problem", ["unknown", "revoked", "expired", "other environment"])
def test_rejected_key(sandbox, make_client, problem, body):
    sandbox.behaviour.unauthorized_body = body
    key = sandbox.mint_key(
        environment="staging" if problem == "other environment" else "production"
    )
    if problem == "unknown":
        key = key[::-1]
    elif problem == "revoked":
        sandbox.revoke_key(key)
    elif problem == "expired":
        sandbox.expire_key(key)
    error = expect_error(InvalidKeyError, key, ConnectionApi(make_client(key)).introspect)
    assert error.message == INVALID_KEY
    assert (error.status, error.retryable) == (401, False)
    assert [(r.status, r.auth_valid) for r in sandbox.requests] == [(401, False)]


def test_oauth_token_is_not_an_api_key(sandbox, make_client):
    key = sandbox.mint_key(auth_method="OAUTH2")
    error = expect_error(NotAnApiKeyError, key, ConnectionApi(make_client(key)).introspect)
    assert "not an integrated API key" in error.message


def test_missing_scope_403(sandbox, make_client):
    company_id = sandbox.add_company("Acme ApS")
    key = sandbox.mint_key(company_id, scopes=["export-jobs:read"])
    error = expect_error(
        MissingScopesError, key, ConnectionApi(make_client(key)).get_company, company_id
    )
    assert error.status == 403
    assert error.message.startswith("Pleo refused reading the company details (403)")
    assert error.missing == []


def test_check_scopes_lists_the_missing_ones_sorted(sandbox, make_client):
    key = sandbox.mint_key(scopes="export-jobs:read accounts:read")
    introspection = ConnectionApi(make_client(key)).introspect()
    required = {"vendors:read", "accounts:read", "export-jobs:read", "accounts:write"}
    missing = check_scopes(introspection, required)
    assert missing == ["accounts:write", "vendors:read"]
    assert check_scopes(introspection, ["accounts:read"]) == []
    error = MissingScopesError(missing=missing)
    assert "accounts:write, vendors:read" in error.message


def test_key_of_another_company(sandbox, make_client):
    connected = sandbox.add_company("Connected ApS")
    other_key = sandbox.mint_key(sandbox.add_company("Other ApS"))
    other = ConnectionApi(make_client(other_key)).introspect().company_id
    with pytest.raises(WrongCompanyError) as caught:
        ensure_same_company(other, connected)
    assert other in caught.value.message
    assert connected in caught.value.message
    ensure_same_company(connected.upper(), connected)
    ensure_same_company(other, None)
    with pytest.raises(WrongCompanyError):
        ensure_same_company(None, connected)


def test_unknown_company_is_not_found(client, key):
    error = expect_error(
        NotFoundError,
        key,
        ConnectionApi(client).get_company,
        "5d0f0000-0000-4000-8000-000000000000",
    )
    assert error.status == 404


def test_update_without_installation_is_not_found(client, key):
    expect_error(NotFoundError, key, ConnectionApi(client).update_installation, "ACTIVATED")


def test_request_pleo_rejects_shows_pleo_detail(sandbox, client, key):
    ConnectionApi(client).create_installation()
    error = expect_error(
        UnexpectedResponseError, key, ConnectionApi(client).update_installation, "BOGUS"
    )
    assert error.status == 400
    assert error.message.startswith(
        "Pleo rejected updating the installation (HTTP 400: BAD_REQUEST: status must be one of"
    )


def test_wrong_api_address_is_not_found(sandbox, key):
    client = PleoClient(key, sandbox.url() + "/wrong")
    error = expect_error(NotFoundError, key, ConnectionApi(client).introspect)
    assert error.message == "Pleo answered 'not found' (404) to the key check."


@pytest.mark.parametrize(
    "url",
    [
        "",
        None,
        "external.pleo.io",
        "ftp://external.pleo.io",
        "https://me:pw@pleo.test",
        "https://",
        "http://[::1",
        "https://pleo.test/?x=1",
    ],
)
def test_invalid_base_url(key, url):
    with pytest.raises(PleoError, match="not a valid http") as caught:
        PleoClient(key, url)
    assert "pw" not in caught.value.message


def test_repr_shows_only_a_hint(client, key):
    assert_no_secret(key, repr(client))
    assert key[-4:] in repr(client)


# --------------------------------------------------------------------------- retries


def test_rate_limited_with_retry_after_is_retried(sandbox, client, sleeps):
    sandbox.inject_fault(INTROSPECT, kind="rate_limit", retry_after=2, times=2)
    assert ConnectionApi(client).introspect().auth_method == "API_KEY"
    assert sleeps == [2.0, 2.0]
    assert [r.status for r in sandbox.requests] == [429, 429, 200]


def test_retry_after_is_capped(sandbox, make_client, key, sleeps):
    sandbox.inject_fault(INTROSPECT, kind="rate_limit", retry_after=100, times=1)
    ConnectionApi(make_client(key, max_retry_wait=1.5)).introspect()
    assert sleeps == [1.5]


def test_rate_limited_without_retry_after_backs_off_exponentially(sandbox, client, sleeps):
    sandbox.inject_fault(INTROSPECT, kind="rate_limit", times=3)
    ConnectionApi(client).introspect()
    assert sandbox.count("GET", INTROSPECT) == 4
    assert len(sleeps) == 3
    for wait, ceiling in zip(sleeps, (0.5, 1.0, 2.0), strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_rate_limited_until_retries_are_exhausted(sandbox, make_client, key, sleeps):
    sandbox.inject_fault(INTROSPECT, kind="rate_limit", retry_after=3)
    error = expect_error(
        RateLimitedError, key, ConnectionApi(make_client(key, max_retries=2)).introspect
    )
    assert (error.status, error.retry_after, error.retryable) == (429, 3.0, True)
    assert (
        error.message
        == "Pleo is limiting the number of requests (HTTP 429). Try again in 3 seconds."
    )
    assert sandbox.count("GET", INTROSPECT) == 3
    assert sleeps == [3.0, 3.0]


def test_sandbox_rate_limiter(sandbox, make_client, key, sleeps):
    sandbox.behaviour.rate_limit_per_minute = 1
    client = make_client(key, max_retries=1, max_retry_wait=0.01)
    ConnectionApi(client).introspect()
    error = expect_error(RateLimitedError, key, ConnectionApi(client).introspect)
    assert 55 <= error.retry_after <= 60
    assert sleeps == [0.01]
    sandbox.behaviour.retry_after_on_429 = False
    error = expect_error(RateLimitedError, key, ConnectionApi(client).introspect)
    assert error.retry_after is None
    assert error.message.endswith("Try again in a minute.")


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried(sandbox, client, sleeps, status):
    sandbox.inject_fault(INTROSPECT, status=status, times=1)
    ConnectionApi(client).introspect()
    assert [r.status for r in sandbox.requests] == [status, 200]
    assert len(sleeps) == 1


def test_unavailable_until_retries_are_exhausted(sandbox, make_client, key):
    sandbox.inject_fault(INTROSPECT, status=503)
    error = expect_error(
        PleoUnavailableError, key, ConnectionApi(make_client(key, max_retries=2)).introspect
    )
    assert error.message == "Pleo is unavailable (HTTP 503). Try again later."
    assert (error.status, error.retryable) == (503, True)
    assert sandbox.count("GET", INTROSPECT) == 3


def test_503_retry_after_is_honoured(sandbox, client, sleeps):
    sandbox.inject_fault(INTROSPECT, status=503, retry_after=7, times=1)
    ConnectionApi(client).introspect()
    assert sleeps == [7.0]


def test_500_is_not_retried(sandbox, client, key, sleeps):
    sandbox.inject_fault(INTROSPECT, status=500)
    error = expect_error(PleoUnavailableError, key, ConnectionApi(client).introspect)
    assert error.message == "Pleo is unavailable (HTTP 500). Try again later."
    assert sandbox.count() == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("PUT", lambda client: ConnectionApi(client).update_installation("INACTIVE")),
        ("DELETE", lambda client: ConnectionApi(client).delete_installation()),
    ],
)
def test_put_and_delete_are_retried(sandbox, client, method, call):
    ConnectionApi(client).create_installation()
    sandbox.inject_fault(INSTALLATION, method=method, status=503, times=1)
    assert call(client)
    assert sandbox.count(method, INSTALLATION) == 2


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        ({"kind": "rate_limit", "retry_after": 1}, RateLimitedError),
        ({"kind": "status", "status": 503}, PleoUnavailableError),
        ({"kind": "drop"}, PleoUnavailableError),
    ],
)
def test_post_is_never_retried(sandbox, client, key, sleeps, fault, error_class):
    sandbox.inject_fault(INSTALLATION, method="POST", **fault)
    expect_error(error_class, key, ConnectionApi(client).create_installation)
    assert sandbox.count("POST", INSTALLATION) == 1
    assert sleeps == []


# --------------------------------------------------------------------------- transport


def test_timeout(sandbox, make_client, key):
    sandbox.inject_fault(INTROSPECT, kind="slow", latency=0.5)
    client = make_client(key, timeout=(2, 0.2), max_retries=0)
    error = expect_error(PleoTimeoutError, key, ConnectionApi(client).introspect)
    assert error.message == "Pleo did not answer within 0.2 seconds."
    assert error.retryable is True
    assert sandbox.count("GET", INTROSPECT) == 1


def test_timeout_is_retried(sandbox, make_client, key, sleeps):
    sandbox.inject_fault(INTROSPECT, kind="slow", latency=0.5, times=1)
    ConnectionApi(make_client(key, timeout=(2, 0.2))).introspect()
    assert len(sleeps) == 1
    assert sandbox.count("GET", INTROSPECT) == 2


def test_dropped_connection_is_retried(sandbox, client, sleeps):
    sandbox.inject_fault(INTROSPECT, kind="drop", times=1)
    ConnectionApi(client).introspect()
    assert [r.status for r in sandbox.requests] == [None, 200]
    assert len(sleeps) == 1


def test_dropped_connection_until_retries_are_exhausted(sandbox, make_client, key):
    sandbox.inject_fault(INTROSPECT, kind="drop")
    client = make_client(key, max_retries=2)
    error = expect_error(PleoUnavailableError, key, ConnectionApi(client).introspect)
    assert error.message.startswith(f"The connection to Pleo ({sandbox.url()}) was refused, reset")
    assert error.status is None
    assert sandbox.count("GET", INTROSPECT) == 3


def test_connection_refused(key, sleeps):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # a port nobody listens on
        url = "http://127.0.0.1:%d" % closed.getsockname()[1]
        client = PleoClient(key, url, max_retries=2, sleep=sleeps.append)
        error = expect_error(PleoUnavailableError, key, ConnectionApi(client).introspect)
    assert "refused, reset or dropped" in error.message
    assert len(sleeps) == 2


def test_garbage_is_not_json(sandbox, client, key, sleeps):
    sandbox.inject_fault(INTROSPECT, kind="garbage")
    error = expect_error(UnexpectedResponseError, key, ConnectionApi(client).introspect)
    assert error.message == NOT_JSON
    assert sandbox.count() == 1
    assert sleeps == []


def test_truncated_json(sandbox, client, key):
    sandbox.inject_fault(INTROSPECT, kind="truncated")
    error = expect_error(UnexpectedResponseError, key, ConnectionApi(client).introspect)
    assert error.message == "Pleo's answer was cut off (incomplete JSON). Try again."


def test_html_page(sandbox, client, key):
    sandbox.inject_fault(INTROSPECT, kind="html", status=200)
    error = expect_error(UnexpectedResponseError, key, ConnectionApi(client).introspect)
    assert error.message.startswith("Pleo answered with a web page (HTML) instead of data")


def test_html_error_page_of_a_gateway_is_unavailable(sandbox, client, key):
    sandbox.inject_fault(INTROSPECT, kind="html")
    error = expect_error(PleoUnavailableError, key, ConnectionApi(client).introspect)
    assert error.status == 502


@pytest.mark.parametrize(
    ("status", "method", "call"),
    [
        (302, None, lambda client: ConnectionApi(client).introspect()),
        (301, None, lambda client: ConnectionApi(client).get_installation()),
        (307, "POST", lambda client: ConnectionApi(client).create_installation()),
        (308, "PUT", lambda client: ConnectionApi(client).update_installation("ACTIVATED")),
    ],
)
def test_redirect_is_not_followed(sandbox, client, key, sleeps, status, method, call):
    sandbox.inject_fault("/v1/*", method=method, kind="redirect", status=status)
    error = expect_error(UnexpectedResponseError, key, call, client)
    assert error.message == REDIRECT
    assert error.status == status
    assert [r.status for r in sandbox.requests] == [status]
    assert sleeps == []


def test_oversized_body_announced_by_content_length(key, make_client):
    error = expect_error(
        UnexpectedResponseError, key, ConnectionApi(make_client(key, max_body_bytes=100)).introspect
    )
    assert error.message == "Pleo's answer was larger than 100 bytes and was not read."


def test_oversized_body_without_content_length(key):
    adapter = ScriptedAdapter(json_answer(b" " * (1024 * 1024) + b"{}", content_length=False))
    client = PleoClient(key, "https://pleo.test", session=adapter.session())
    error = expect_error(UnexpectedResponseError, key, ConnectionApi(client).introspect)
    assert error.message == "Pleo's answer was larger than 1 MiB and was not read."


def test_decompressed_size_is_capped(key):
    bomb = gzip.compress(b"[" + b" " * (20 * 1024 * 1024) + b"]")
    assert len(bomb) < 100_000
    adapter = ScriptedAdapter(json_answer(bomb, **{"Content-Encoding": "gzip"}))
    client = PleoClient(key, "https://pleo.test", session=adapter.session())
    error = expect_error(UnexpectedResponseError, key, ConnectionApi(client).introspect)
    assert "larger than 1 MiB" in error.message


def test_gzip_answer_is_decoded(key):
    body = gzip.compress(b'{"data": {"authMethod": "API_KEY", "clientId": "c", "scope": "a:b"}}')
    adapter = ScriptedAdapter(json_answer(body, **{"Content-Encoding": "gzip"}))
    client = PleoClient(key, "https://pleo.test", session=adapter.session())
    assert ConnectionApi(client).introspect().scopes == {"a:b"}


@pytest.mark.parametrize(
    ("outcome", "error_class", "message"),
    [
        (
            requests.exceptions.SSLError("certificate verify failed"),
            PleoUnavailableError,
            "The secure (TLS) connection to Pleo failed",
        ),
        (
            requests.exceptions.ConnectTimeout("connect timed out"),
            PleoTimeoutError,
            "Pleo could not be reached within 5 seconds.",
        ),
        (
            requests.exceptions.InvalidHeader("bad header"),
            PleoUnavailableError,
            "The request to Pleo failed (InvalidHeader).",
        ),
        (
            lambda: json_answer(b"not gzip", **{"Content-Encoding": "gzip"}),
            UnexpectedResponseError,
            "Pleo's compressed answer could not be decompressed.",
        ),
        (
            lambda: json_answer(b'{"data": {', **{"Content-Length": "1000"}),
            PleoUnavailableError,
            "The connection to Pleo (https://pleo.test) was refused, reset or dropped.",
        ),
        (
            lambda: json_answer(TimingOutBody(), content_length=False),
            PleoTimeoutError,
            "Pleo did not answer within 20 seconds.",
        ),
    ],
)
def test_transport_failures_the_sandbox_cannot_produce(key, outcome, error_class, message):
    adapter = ScriptedAdapter(outcome() if callable(outcome) else outcome)
    client = PleoClient(key, "https://pleo.test", max_retries=0, session=adapter.session())
    error = expect_error(error_class, key, ConnectionApi(client).introspect)
    assert error.message.startswith(message)


@pytest.mark.parametrize(
    "failure", [requests.exceptions.SSLError("x"), requests.exceptions.InvalidHeader("x")]
)
def test_permanent_transport_failures_are_not_retried(key, sleeps, failure):
    adapter = ScriptedAdapter(failure, failure)
    client = PleoClient(key, "https://pleo.test", session=adapter.session(), sleep=sleeps.append)
    error = expect_error(PleoUnavailableError, key, ConnectionApi(client).introspect)
    assert error.retryable is False
    assert len(adapter.sent) == 1
    assert sleeps == []


def test_dropped_mid_answer_is_retried(key, sleeps):
    adapter = ScriptedAdapter(
        json_answer(b'{"data": {', **{"Content-Length": "1000"}),
        json_answer(b'{"data": {"authMethod": "API_KEY", "clientId": "c", "scope": ""}}'),
    )
    client = PleoClient(key, "https://pleo.test", session=adapter.session(), sleep=sleeps.append)
    assert ConnectionApi(client).introspect().scopes == frozenset()
    assert len(sleeps) == 1


# --------------------------------------------------------------------------- secrets and logs


def test_key_never_in_logs(sandbox, make_client, key, caplog):
    client = make_client(key, max_retries=1)
    raw = io.StringIO()
    raw_handler = logging.StreamHandler(raw)  # no redaction filter: what the code itself logs
    loggers = [logging.getLogger(name) for name in ("pleolib", "urllib3", "requests")]
    for logger in loggers:
        logger.addHandler(raw_handler)
    try:
        with caplog.at_level(logging.DEBUG):
            ConnectionApi(client).introspect()
            for fault in ({"kind": "drop"}, {"kind": "garbage"}, {"status": 503}):
                sandbox.inject_fault(INTROSPECT, **fault)
                with pytest.raises(PleoError):
                    ConnectionApi(client).introspect()
                sandbox.clear_faults()
            sandbox.revoke_key(key)
            with pytest.raises(InvalidKeyError):
                ConnectionApi(client).introspect()
    finally:
        for logger in loggers:
            logger.removeHandler(raw_handler)
    assert "GET /v1/introspect -> 200 in " in caplog.text
    assert "connectionpool" in " ".join(record.name for record in caplog.records)
    assert_no_secret(key, caplog.text, raw.getvalue())


def test_key_is_masked_in_logs_while_a_call_is_in_flight(key, caplog):
    """Even a library logging the request headers during a call shows no key."""
    session = requests.Session()
    session.hooks["response"].append(
        lambda response, **_: logging.getLogger("urllib3.verbose").debug(
            "sent %s", response.request.headers
        )
    )
    adapter = ScriptedAdapter(json_answer(b'{"data": {"id": "c1", "name": "Acme"}}'))
    session.mount("https://", adapter)
    client = PleoClient(key, "https://pleo.test", session=session)
    with caplog.at_level(logging.DEBUG):
        ConnectionApi(client).get_company("c1")
    assert "'Authorization': 'Basic ********'" in caplog.text
    assert_no_secret(key, caplog.text)


# --------------------------------------------------------------------------- answer shapes

INTROSPECTION_DATA = {"authMethod": "API_KEY", "clientId": "c", "scope": "a:read"}
INSTALLATION_BODY = {"id": "i", "resource": "urn:pleo:company:c1", "status": "ACTIVATED"}


@pytest.mark.parametrize(
    ("parser", "payload", "where"),
    [
        (parse_introspection, [], "the answer"),
        (parse_introspection, {"data": None}, "data"),
        (parse_introspection, {"data": ["x"]}, "data"),
        (parse_introspection, {"data": {"authMethod": "API_KEY", "clientId": "c"}}, "data.scope"),
        (parse_introspection, {"data": {**INTROSPECTION_DATA, "scope": ["a"]}}, "data.scope"),
        (parse_introspection, {"data": {**INTROSPECTION_DATA, "subjectURN": 5}}, "data.subjectURN"),
        (parse_installation, {"data": INSTALLATION_BODY}, "id"),
        (parse_installation, {**INSTALLATION_BODY, "metadata": []}, "metadata"),
        (parse_installation, {**INSTALLATION_BODY, "status": None}, "status"),
        (parse_company, {"data": {"id": "c"}}, "data.name"),
        (parse_company, {"id": "c", "name": "Acme"}, "data"),
    ],
)
def test_wrong_shape(parser, payload, where):
    with pytest.raises(UnexpectedResponseError) as caught:
        parser(payload)
    assert f"({where} is missing or not " in caught.value.message


def test_optional_fields_may_be_absent():
    introspection = parse_introspection({"data": INTROSPECTION_DATA})
    assert (introspection.application_name, introspection.subject_kind) == (None, None)
    installation = parse_installation(INSTALLATION_BODY)
    assert (installation.metadata, installation.error_code, installation.company_id) == (
        {},
        None,
        "c1",
    )


def test_wrong_shape_over_http(key):
    adapter = ScriptedAdapter(json_answer(b'{"data": []}'))
    client = PleoClient(key, "https://pleo.test", session=adapter.session())
    error = expect_error(UnexpectedResponseError, key, ConnectionApi(client).introspect)
    assert "(data is missing or not an object)" in error.message


def test_wrong_content_type(key):
    adapter = ScriptedAdapter(json_answer(b"{}", **{"Content-Type": "text/plain"}))
    client = PleoClient(key, "https://pleo.test", session=adapter.session())
    error = expect_error(UnexpectedResponseError, key, ConnectionApi(client).introspect)
    assert error.message == "Pleo's answer could not be read (content type 'text/plain', not JSON)."


@pytest.mark.parametrize(
    ("urn", "parsed"),
    [
        ("urn:pleo:company:c1", ("company", "c1")),
        ("urn:pleo:Company:c1", ("company", "c1")),
        ("urn:pleo:organization:o1", ("organization", "o1")),
        ("urn:pleo:organisation:o1", ("organization", "o1")),
        ("urn:pleo:team:t1", ("team", "t1")),
        ("urn:other:company:c1", (None, None)),
        ("urn:pleo:company:", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_urn(urn, parsed):
    assert parse_urn(urn) == parsed


# --------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("1" * 400, 86400.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 86400.0),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, seconds):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert parse_retry_after(value, now=now) == seconds


# --------------------------------------------------------------------------- test double


class TimingOutBody(io.BytesIO):
    """A socket-like body whose reads time out (a server stalling mid-answer)."""

    def read(self, *args):
        raise TimeoutError("timed out")

    read1 = readinto = read


def json_answer(body, content_length=True, **headers):
    """Return a raw urllib3 response with a JSON content type."""
    fp = body if isinstance(body, io.IOBase) else io.BytesIO(body)
    headers = {"Content-Type": "application/json;charset=UTF-8", **headers}
    if content_length and not isinstance(body, io.IOBase):
        headers.setdefault("Content-Length", str(len(body)))
    return HTTPResponse(body=fp, headers=headers, status=200, preload_content=False)


class ScriptedAdapter(BaseAdapter):
    """A ``requests`` transport that answers from a script of raw responses or exceptions."""

    def __init__(self, *outcomes):
        super().__init__()
        self.outcomes = list(outcomes)
        self.sent = []

    def session(self):
        """Return a real ``requests.Session`` using this adapter for https."""
        session = requests.Session()
        session.mount("https://", self)
        return session

    def send(self, request, **options):
        self.sent.append((request, options))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return HTTPAdapter().build_response(request, outcome)

    def close(self):
        """Nothing to release."""


def test_any_other_error_of_the_http_stack_is_sanitised(key):
    basic = base64.b64encode(f"{key}:".encode()).decode()
    leaky = ValueError(f"Invalid header value b'Basic {basic}'")
    client = PleoClient(key, "https://pleo.test", session=ScriptedAdapter(leaky).session())
    error = expect_error(PleoUnavailableError, key, ConnectionApi(client).introspect)
    assert error.message == "The request to Pleo failed (ValueError)."
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_decoded_answers_hold_only_storable_text():
    """NUL bytes and lone surrogates (valid JSON escapes) never reach the database."""
    body = b'{"data": {"scope": "a\\u0000b \\ud800c", "\\u0000k": ["x\\u0000"]}, "n": 1}'
    value = decode_json(body, "application/json")
    assert value == {"data": {"scope": "ab ?c", "k": ["x"]}, "n": 1}
    assert decode_json('{"name": "Ærø ApS"}'.encode(), "application/json") == {"name": "Ærø ApS"}


def test_an_overlong_integer_fails_its_item_not_the_page():
    """An integer of thousands of digits (Python refuses to convert one of more than 4,300)
    leaves the rest of the answer readable: it is read as a text, which the item's reader
    refuses as "not a number", so only that expense fails."""
    page = {"items": [{"value": 1000}, {"value": 1}]}
    body = json.dumps(page).replace('"value": 1}', '"value": ' + "9" * 5000 + "}").encode()
    items = decode_json(body, "application/json")["items"]
    assert items[0] == {"value": 1000}
    assert isinstance(items[1]["value"], str) and "5000 characters" in items[1]["value"]
    longest = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300
    limit = "1" * longest  # the longest Python converts: a number
    assert decode_json(b'{"n": -' + limit.encode() + b"}", "application/json")["n"] == -int(limit)
    with pytest.raises(ItemError) as info:  # the item's reader: that expense fails alone
        Reader("e1").integer(items[1]["value"], "the amount")
    assert info.value.reason == "field_not_number"
