"""The sandbox's webhooks: the Subscriptions API, and events delivered as Pleo sends them.

A receiver on loopback records what arrives and checks it with the ``standardwebhooks`` package
(the Standard Webhooks reference library, the one the addon verifies with), while the sandbox
signs by hand from the specification's text: the two must agree for a delivery to verify. Spec
conformance of every answer is proven in test_sandbox_spec.py.
"""

import base64
import json
import time

import pytest
import requests

standardwebhooks = pytest.importorskip("standardwebhooks", reason="in tests/requirements.txt")

TIMEOUT = 5
SUBSCRIPTIONS = "/v1/subscriptions"
CREATED = "v1.export-job.created"


@pytest.fixture
def sandbox(sandbox):
    """tests/conftest.py's emptied sandbox, retrying webhook deliveries at once."""
    sandbox.behaviour.webhook_retry_seconds = (0.05, 0.05, 0.05)
    return sandbox


def call(sandbox, method, path, key, **kwargs):
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    return requests.request(
        method, sandbox.url() + path, headers={"Authorization": auth}, timeout=TIMEOUT, **kwargs
    )


def subscribe(sandbox, key, url, types=(CREATED,), **extra):
    answer = call(
        sandbox,
        "POST",
        SUBSCRIPTIONS,
        key,
        json={"endpointUrl": url, "eventTypes": list(types), **extra},
    )
    assert answer.status_code == 200, answer.text
    subscription = answer.json()["data"]
    secret = call(sandbox, "GET", f"{SUBSCRIPTIONS}/{subscription['id']}/secret", key)
    assert secret.status_code == 200
    return subscription, secret.json()["data"]["secretKey"]


def verify(secret, delivery):
    headers, body = delivery
    return standardwebhooks.Webhook(secret).verify(body, headers)


def test_a_job_created_in_pleo_is_delivered_signed(sandbox, receiver):
    company, key = sandbox.seed_demo()
    subscription, secret = subscribe(sandbox, key, receiver.url)
    assert secret.startswith("whsec_")
    assert subscription["status"] == "ACTIVE"
    job_id = sandbox.add_export_job(company, n=2)
    [delivery] = receiver.wait(1)
    payload = verify(secret, delivery)
    assert payload["eventType"] == CREATED
    assert payload["data"]["id"] == job_id
    assert payload["data"]["companyId"] == company
    assert payload["data"]["status"] == "pending"
    assert payload["data"]["numberOfItems"] == 2
    headers = delivery[0]
    assert headers["webhook-id"].startswith("msg_")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60


def test_custom_headers_and_basic_auth_go_with_every_event(sandbox, receiver):
    company, key = sandbox.seed_demo()
    auth = {"type": "BASIC", "credentials": {"username": "odoo", "password": "s3cret"}}
    subscription, _secret = subscribe(
        sandbox, key, receiver.url, customHeaders={"X-Pleo-Token": "abc"}, endpointAuth=auth
    )
    assert subscription["endpointAuth"] == {"type": "BASIC"}  # no credentials read back
    sandbox.add_export_job(company, n=1)
    headers = receiver.wait(1)[0][0]
    assert headers["x-pleo-token"] == "abc"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"odoo:s3cret").decode()


def test_a_failed_delivery_is_retried_with_the_same_id(sandbox, receiver):
    company, key = sandbox.seed_demo()
    _subscription, secret = subscribe(sandbox, key, receiver.url)
    receiver.answers = [500, 503]
    sandbox.add_export_job(company, n=1)
    deliveries = receiver.wait(3)
    assert len(deliveries) == 3
    assert len({headers["webhook-id"] for headers, _body in deliveries}) == 1
    for delivery in deliveries:
        verify(secret, delivery)
    assert sandbox.webhook_sender.flush()
    outcomes = [a["outcome"] for a in sandbox.webhook_sender.attempts]
    assert outcomes == ["failed", "failed", "delivered"]


def test_a_dead_endpoint_is_given_up_after_the_schedule(sandbox, receiver):
    company, key = sandbox.seed_demo()
    subscribe(sandbox, key, receiver.url)
    receiver.close()
    sandbox.add_export_job(company, n=1)
    assert sandbox.webhook_sender.flush()
    attempts = sandbox.webhook_sender.attempts
    assert [a["attempt"] for a in attempts] == [0, 1, 2, 3]
    assert {a["outcome"] for a in attempts} == {"failed"}
    assert {a["status"] for a in attempts} == {None}


def test_switches_duplicates_order_signature_timestamp_and_silence(sandbox, receiver):
    company, key = sandbox.seed_demo()
    _subscription, secret = subscribe(sandbox, key, receiver.url)
    sandbox.behaviour.webhook_duplicates = True
    sandbox.add_export_job(company, n=1)
    first, second = receiver.wait(2)
    assert first[0]["webhook-id"] == second[0]["webhook-id"]
    assert first[1] == second[1]

    receiver.deliveries.clear()
    sandbox.behaviour.webhook_duplicates = False
    sandbox.behaviour.webhook_signature = "wrong"
    # One open job per company at Pleo: the next events are made directly.
    sandbox.emit_event(company, CREATED, {"id": "x"})
    [forged] = receiver.wait(1)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        verify(secret, forged)

    receiver.deliveries.clear()
    sandbox.behaviour.webhook_signature = "valid"
    sandbox.behaviour.webhook_timestamp = "stale"
    sandbox.emit_event(company, CREATED, {"id": "y"})
    [stale] = receiver.wait(1)
    assert time.time() - int(stale[0]["webhook-timestamp"]) >= 590
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        verify(secret, stale)

    receiver.deliveries.clear()
    sandbox.behaviour.webhook_timestamp = "now"
    sandbox.behaviour.webhook_order = "swapped"
    sandbox.emit_event(company, CREATED, {"id": "first"})
    sandbox.emit_event(company, CREATED, {"id": "second"})
    ids = [json.loads(body)["data"]["id"] for _headers, body in receiver.wait(2)]
    assert ids == ["second", "first"]

    receiver.deliveries.clear()
    sandbox.behaviour.webhook_order = "in_order"
    sandbox.behaviour.webhook_delivery = "off"
    sandbox.emit_event(company, CREATED, {"id": "never"})
    assert sandbox.webhook_sender.flush()
    time.sleep(0.2)
    assert receiver.deliveries == []
    assert sandbox.webhook_sender.attempts[-1]["outcome"] == "not sent"


def test_who_hears_what(sandbox, receiver):
    """A company's key hears its company only; an inactive or deleted subscription hears
    nothing; a subscription to vendors hears a vendor made in Pleo, not export jobs."""
    company, key = sandbox.seed_demo()
    other = sandbox.add_company("Other ApS")
    active, _secret = subscribe(sandbox, key, receiver.url)
    vendors, vendor_secret = subscribe(sandbox, key, receiver.url, types=["v1.vendor.created"])
    sandbox.add_export_job(other, n=1)
    sandbox.add_vendor(company, "Kontorland A/S", code="V1001")
    [delivery] = receiver.wait(1)
    payload = verify(vendor_secret, delivery)
    assert payload["eventType"] == "v1.vendor.created"
    assert payload["data"]["name"] == "Kontorland A/S"
    assert payload["data"]["companyId"] == company

    receiver.deliveries.clear()
    body = {"endpointUrl": receiver.url, "eventTypes": [CREATED], "status": "INACTIVE"}
    answer = call(sandbox, "PUT", f"{SUBSCRIPTIONS}/{active['id']}", key, json=body)
    assert answer.status_code == 200 and answer.json()["data"]["status"] == "INACTIVE"
    assert call(sandbox, "DELETE", f"{SUBSCRIPTIONS}/{vendors['id']}", key).status_code == 204
    sandbox.add_export_job(company, n=1)
    sandbox.add_vendor(company, "Papirhuset ApS")
    assert sandbox.webhook_sender.flush()
    time.sleep(0.2)
    assert receiver.deliveries == []
    activities = call(sandbox, "GET", f"{SUBSCRIPTIONS}/{vendors['id']}/activities", key).json()
    assert [a["operationType"] for a in activities["data"]] == ["CREATE", "DELETE"]


def test_a_subscription_is_its_keys(sandbox, receiver):
    _company, key = sandbox.seed_demo()
    other_key = sandbox.mint_key(sandbox.add_company("Other ApS"))
    subscription, _secret = subscribe(sandbox, key, receiver.url)
    path = f"{SUBSCRIPTIONS}/{subscription['id']}"
    for suffix in ("", "/secret", "/activities"):
        assert call(sandbox, "GET", path + suffix, other_key).status_code == 404
    assert call(sandbox, "GET", SUBSCRIPTIONS, other_key).json()["data"] == []
    listed = call(sandbox, "GET", SUBSCRIPTIONS, key, params={"event_types": CREATED}).json()
    assert [s["id"] for s in listed["data"]] == [subscription["id"]]
    assert listed["pagination"]["total"] == 1


def test_bad_requests_and_the_scope_switch(sandbox, receiver):
    _company, key = sandbox.seed_demo()
    for body in (
        {"eventTypes": [CREATED]},
        {"endpointUrl": "ftp://example.com/x", "eventTypes": [CREATED]},
        {"endpointUrl": receiver.url, "eventTypes": []},
        {"endpointUrl": receiver.url, "eventTypes": [CREATED, CREATED]},
        {"endpointUrl": receiver.url, "eventTypes": [CREATED], "status": "ON"},
        {"endpointUrl": receiver.url, "eventTypes": [CREATED], "endpointAuth": {"type": "JWT"}},
    ):
        assert call(sandbox, "POST", SUBSCRIPTIONS, key, json=body).status_code == 400, body
    sandbox.behaviour.subscription_scope = "export-jobs:read"
    narrow = sandbox.mint_key(_company, scopes=["accounts:read"])
    body = {"endpointUrl": receiver.url, "eventTypes": [CREATED]}
    assert call(sandbox, "POST", SUBSCRIPTIONS, narrow, json=body).status_code == 403
    assert call(sandbox, "POST", SUBSCRIPTIONS, key, json=body).status_code == 200


def test_the_control_api_emits_and_lists(sandbox, receiver):
    company, key = sandbox.seed_demo()
    subscription, secret = subscribe(sandbox, key, receiver.url)
    body = {"company_id": company, "event_type": CREATED, "data": {"id": "by-hand"}}
    made = requests.post(sandbox.url() + "/_sandbox/webhooks", json=body, timeout=TIMEOUT)
    assert made.status_code == 200 and made.json()["subscriptions"] == [subscription["id"]]
    assert verify(secret, receiver.wait(1)[0])["data"] == {"id": "by-hand"}
    assert sandbox.webhook_sender.flush()
    listed = requests.get(sandbox.url() + "/_sandbox/webhooks", timeout=TIMEOUT).json()
    assert [a["outcome"] for a in listed["attempts"]] == ["delivered"]
    assert listed["events"][0]["id"] == made.json()["id"]
    assert secret not in json.dumps(listed)
    bad = {"company_id": company, "event_type": "v1.nothing"}
    assert (
        requests.post(sandbox.url() + "/_sandbox/webhooks", json=bad, timeout=TIMEOUT).status_code
        == 400
    )
