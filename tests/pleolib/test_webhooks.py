"""Tests of pleolib.webhooks against the sandbox over HTTP: the Subscriptions API calls, and
the check of what the sandbox delivers (its signature is made by hand from the Standard Webhooks
text; pleolib checks with the standardwebhooks package)."""

import json
import time

import pytest
from pleolib import NotFoundError, PleoClient, UnexpectedResponseError
from pleolib.errors import MissingScopesError
from pleolib.webhooks import (
    EXPORT_JOB_CREATED,
    VENDOR_CREATED,
    SubscriptionApi,
    WebhookRejected,
    verify,
)

pytest.importorskip("standardwebhooks", reason="in tests/requirements.txt")


@pytest.fixture
def company(sandbox):
    sandbox.behaviour.webhook_retry_seconds = ()
    return sandbox.add_company("Nordlys Trading ApS")


@pytest.fixture
def api(sandbox, company):
    client = PleoClient(sandbox.mint_key(company), sandbox.url(), sleep=lambda s: None)
    yield SubscriptionApi(client)
    client.close()


def test_subscribe_read_replace_delete(sandbox, api, receiver):
    made = api.subscribe(receiver.url, [EXPORT_JOB_CREATED, EXPORT_JOB_CREATED])
    assert made.active and made.event_types == (EXPORT_JOB_CREATED,)
    assert made.endpoint_url == receiver.url
    assert api.fetch(made.id) == made
    assert [s.id for s in api.list([EXPORT_JOB_CREATED])] == [made.id]
    assert api.list([VENDOR_CREATED]) == []
    secret = api.secret(made.id)
    assert secret.startswith("whsec_")
    off = api.replace(made.id, receiver.url, [EXPORT_JOB_CREATED, VENDOR_CREATED], active=False)
    assert (off.status, off.event_types) == ("INACTIVE", (EXPORT_JOB_CREATED, VENDOR_CREATED))
    assert api.secret(made.id) == secret, "the secret stays"
    api.delete(made.id)
    with pytest.raises(NotFoundError):
        api.fetch(made.id)


def test_many_subscriptions_are_read_over_pages(sandbox, api, receiver):
    made = {api.subscribe(f"{receiver.url}/{n}", [EXPORT_JOB_CREATED]).id for n in range(130)}
    assert {s.id for s in api.list()} == made


def test_a_key_without_the_scope_pleo_asks_for(sandbox, company, receiver):
    """[unknown] which scope Pleo asks for: with the switch on, a key without it gets 403."""
    sandbox.behaviour.subscription_scope = "export-jobs:read"
    client = PleoClient(sandbox.mint_key(company, scopes=["accounts:read"]), sandbox.url())
    with client, pytest.raises(MissingScopesError):
        SubscriptionApi(client).subscribe(receiver.url, [EXPORT_JOB_CREATED])


def test_a_bad_answer_is_an_unexpected_response(sandbox, api, receiver):
    made = api.subscribe(receiver.url, [EXPORT_JOB_CREATED])
    sandbox.inject_fault(f"/v1/subscriptions/{made.id}/secret", kind="garbage", status=200)
    with pytest.raises(UnexpectedResponseError):
        api.secret(made.id)


def test_a_delivery_verifies_into_its_event(sandbox, api, company, receiver):
    made = api.subscribe(receiver.url, [EXPORT_JOB_CREATED])
    secret = api.secret(made.id)
    job_id = sandbox.add_export_job(company, n=1)
    headers, body = receiver.wait(1)[0]
    event = verify(secret, body, headers)
    assert (event.event_type, event.company_id, event.job_id) == (
        EXPORT_JOB_CREATED,
        company,
        job_id,
    )
    assert event.message_id == headers["webhook-id"]
    # Header names in any case, as a WSGI server or a proxy may give them.
    assert verify(secret, body, {k.upper(): v for k, v in headers.items()}) == event


def test_what_is_not_pleos_or_not_now_is_refused(sandbox, api, company, receiver):
    made = api.subscribe(receiver.url, [EXPORT_JOB_CREATED])
    secret = api.secret(made.id)
    sandbox.emit_event(company, EXPORT_JOB_CREATED, {"id": "j1", "companyId": company})
    headers, body = receiver.wait(1)[0]

    def refused(reason, *args):
        with pytest.raises(WebhookRejected) as caught:
            verify(*args)
        assert caught.value.reason == reason
        assert secret not in str(caught.value)

    refused("signature", secret, body.replace(b"j1", b"j2"), headers)
    other_secret = "whsec_" + "A" * 32
    refused("signature", other_secret, body, headers)
    refused("headers", secret, body, {k: v for k, v in headers.items() if k != "webhook-id"})
    old = dict(headers, **{"webhook-timestamp": str(int(time.time()) - 600)})
    refused("timestamp", secret, body, old)  # the time is checked first (it is also signed)
    # A stale delivery signed as such by the sandbox: refused for its time.
    sandbox.behaviour.webhook_timestamp = "stale"
    receiver.deliveries.clear()
    sandbox.emit_event(company, EXPORT_JOB_CREATED, {"id": "j3", "companyId": company})
    refused("timestamp", secret, *reversed(receiver.wait(1)[0]))
    # Signed, but not an event of a company.
    sandbox.behaviour.webhook_timestamp = "now"
    receiver.deliveries.clear()
    sandbox.emit_event(company, EXPORT_JOB_CREATED, {"id": "j4"})
    refused("body", secret, *reversed(receiver.wait(1)[0]))
    assert json.loads(body)["data"]["id"] == "j1"
