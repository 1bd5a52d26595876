"""Tests of the sandbox's Export API v3, its item generator and its receipt file host."""

import copy
import socket
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from pleo_sandbox import (
    ITEM_TYPES,
    REVERSAL_TYPES,
    ExportItemGenerator,
    PleoSandbox,
    SandboxError,
    generate_items,
)
from pleo_sandbox.generator import SUB_TYPES, receipt_bytes

TIMEOUT = 5
SPEC = Path(__file__).resolve().parent / "pleo-openapi" / "pleo-export-openapi.yml"
JOBS, EVENTS, ITEMS = "/v3/export-jobs", "/v3/export-job-events", "/v3/export-items"


@pytest.fixture
def company(sandbox):
    return sandbox.add_company("Acme ApS")


@pytest.fixture
def key(sandbox, company):
    return sandbox.mint_key(company)


def call(sandbox, method, path, key, **kwargs):
    kwargs.setdefault("timeout", TIMEOUT)
    return requests.request(method, sandbox.url() + path, auth=(key, ""), **kwargs)


def event(sandbox, key, job_id, name, **extra):
    return call(sandbox, "POST", EVENTS, key, json={"jobId": job_id, "event": name, **extra})


def error_type(response):
    return response.json()["type"]


# ---------------------------------------------------------------------- state machine
def test_happy_path(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=3)
    job = call(sandbox, "GET", f"{JOBS}/{job_id}", key).json()["data"]
    assert (job["status"], job["numberOfItems"], job["expiresIn"]) == ("pending", 3, 3600)
    assert event(sandbox, key, job_id, "started").status_code == 202
    assert sandbox.export_job(job_id)["status"] == "in_progress"
    entries = [i["accountingEntryId"] for i in sandbox.export_items(job_id)]
    updates = [
        {"accountingEntryId": entries[0], "status": "successful", "externalId": "MISC/1"},
        {
            "accountingEntryId": entries[1],
            "status": "failed",
            "failureReasonType": "account_unknown",
            "failureReason": "Account No. 6810 does not exist in Odoo. Check the category.",
        },
    ]
    response = call(sandbox, "PUT", f"{JOBS}/{job_id}/items", key, json=updates)
    assert response.status_code == 200 and response.json()["errors"] == []
    assert event(sandbox, key, job_id, "completed_with_errors").status_code == 202
    state = sandbox.export_job(job_id)
    assert state["status"] == "completed_with_errors" and state["completedAt"]
    by_entry = {item["accountingEntryId"]: item for item in state["items"]}
    assert by_entry[entries[0]]["externalId"] == "MISC/1"
    assert by_entry[entries[1]]["failureReasonType"] == "account_unknown"
    assert by_entry[entries[2]]["status"] == "abandoned"  # never reported
    assert [e["event"] for e in state["events"]] == ["started", "completed_with_errors"]


def test_second_started_is_422_or_a_noop(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=1)
    assert event(sandbox, key, job_id, "started").status_code == 202
    response = event(sandbox, key, job_id, "started")
    assert response.status_code == 422
    assert error_type(response) == "INVALID_EXPORT_JOB_STATUS_CHANGE"
    sandbox.behaviour.second_started = "accept"
    assert event(sandbox, key, job_id, "started").status_code == 202
    assert sandbox.export_job(job_id)["status"] == "in_progress"


@pytest.mark.parametrize("final", ["completed", "completed_with_errors", "failed"])
def test_final_event_twice(sandbox, key, company, final):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress")
    assert event(sandbox, key, job_id, final).status_code == 202
    assert event(sandbox, key, job_id, final).status_code == 422
    sandbox.behaviour.repeat_final_event = "accept"
    assert event(sandbox, key, job_id, final).status_code == 202
    other = "completed" if final != "completed" else "failed"
    assert event(sandbox, key, job_id, other).status_code == 422  # never another final status


def test_events_need_a_started_job(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=1)
    for name in ("completed", "completed_with_errors", "failed"):
        assert event(sandbox, key, job_id, name).status_code == 422


def test_failed_event_keeps_the_reason(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress")
    response = event(
        sandbox,
        key,
        job_id,
        "failed",
        failureReason="The Odoo journal Pleo is missing.",
        failureReasonType="missing_configuration",
    )
    assert response.status_code == 202 and response.content == b""
    job = sandbox.export_job(job_id)
    assert (job["failureReasonType"], job["failureReason"]) == (
        "missing_configuration",
        "The Odoo journal Pleo is missing.",
    )


def test_event_body_key_is_job_id(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=1)
    response = call(sandbox, "POST", EVENTS, key, json={"exportJobId": job_id, "event": "started"})
    assert response.status_code == 400


def test_create_job_and_409(sandbox, key, company):
    body = {"companyId": company, "accountingEntryIds": [str(uuid.uuid4()) for _ in range(2)]}
    response = call(sandbox, "POST", JOBS, key, json=body)
    assert response.status_code == 201
    job = response.json()["data"]
    assert job["status"] == "pending" and job["isInteractive"] is True
    items = sandbox.export_items(job["id"])
    assert [i["accountingEntryId"] for i in items] == body["accountingEntryIds"]
    conflict = call(sandbox, "POST", JOBS, key, json=body)
    assert conflict.status_code == 409 and error_type(conflict) == "EXPORT_ALREADY_IN_PROGRESS"
    with pytest.raises(SandboxError):
        sandbox.add_export_job(company, n=1)
    event(sandbox, key, job["id"], "started")
    event(sandbox, key, job["id"], "completed")
    assert call(sandbox, "POST", JOBS, key, json=body).status_code == 201  # re-export allowed


def test_a_reexport_serves_the_entry_again(sandbox, key, company):
    """Pleo re-exports an entry already exported as the same expense (pleo-export.md §1): a
    job made for its id serves its data again; an id never exported is generated."""
    job_id = sandbox.add_export_job(company, n=2, with_files=False, seed="re")
    first = sandbox.export_items(job_id)
    event(sandbox, key, job_id, "started")
    event(sandbox, key, job_id, "completed_with_errors")
    new = str(uuid.uuid4())
    body = {"companyId": company, "accountingEntryIds": [first[1]["accountingEntryId"], new]}
    response = call(sandbox, "POST", JOBS, key, json=body)
    assert response.status_code == 201
    again = sandbox.export_items(response.json()["data"]["id"])
    assert again[0] == first[1]
    assert again[1]["accountingEntryId"] == new and again[1] != first[0]
    other = sandbox.add_company("Other ApS")
    body = {"companyId": other, "accountingEntryIds": [first[0]["accountingEntryId"]]}
    response = call(sandbox, "POST", JOBS, sandbox.mint_key(other), json=body)
    served = sandbox.export_items(response.json()["data"]["id"])[0]
    assert served["companyId"] != first[0]["companyId"], "another company's entries stay its own"


def test_missing_contra_accounts(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=1)
    sandbox.set_missing_contra_accounts(company)
    response = call(sandbox, "GET", ITEMS, key, params={"job_id": job_id})
    assert response.status_code == 400 and error_type(response) == "MISSING_CONTRA_ACCOUNTS"
    body = {"companyId": company, "accountingEntryIds": [str(uuid.uuid4())]}
    assert error_type(call(sandbox, "POST", JOBS, key, json=body)) == "MISSING_CONTRA_ACCOUNTS"
    sandbox.set_missing_contra_accounts(company, False)
    assert call(sandbox, "GET", ITEMS, key, params={"job_id": job_id}).status_code == 200


def test_put_items_limits_and_errors(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=2)
    entries = [i["accountingEntryId"] for i in sandbox.export_items(job_id)]
    one = [{"accountingEntryId": entries[0], "status": "successful"}]
    path = f"{JOBS}/{job_id}/items"
    pending = call(sandbox, "PUT", path, key, json=one)
    assert pending.status_code == 422  # not started yet
    event(sandbox, key, job_id, "started")
    too_many = call(sandbox, "PUT", path, key, json=one * 101)
    assert too_many.status_code == 413 and error_type(too_many) == "EXPORT_JOB_ITEMS_UPDATE_LIMIT"
    assert call(sandbox, "PUT", path, key, json=one * 100).status_code == 200
    stranger = str(uuid.uuid4())
    response = call(
        sandbox, "PUT", path, key, json=[*one, {"accountingEntryId": stranger, "status": "failed"}]
    )
    body = response.json()
    assert len(body["data"]) == 1
    assert body["errors"] == [
        {
            "accountingEntryId": stranger,
            "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
            "message": body["errors"][0]["message"],
        }
    ]
    bad = call(sandbox, "PUT", path, key, json=[{"accountingEntryId": entries[0], "status": "ok"}])
    assert bad.status_code == 400
    event(sandbox, key, job_id, "completed")
    finished = call(sandbox, "PUT", path, key, json=one)
    assert finished.status_code == 422 and error_type(finished) == "EXPORT_JOB_STATUS_UNPROCESSABLE"
    assert sandbox.export_job(job_id)["items"][0]["updates"] == 101


def test_export_items_422_once_finished(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress")
    assert call(sandbox, "GET", ITEMS, key, params={"job_id": job_id}).status_code == 200
    event(sandbox, key, job_id, "completed")
    response = call(sandbox, "GET", ITEMS, key, params={"job_id": job_id})
    assert response.status_code == 422


def test_control_list_status_filter(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=3, status="in_progress")
    entry = sandbox.export_items(job_id)[0]["accountingEntryId"]
    call(
        sandbox,
        "PUT",
        f"{JOBS}/{job_id}/items",
        key,
        json=[{"accountingEntryId": entry, "status": "successful"}],
    )
    path = f"{JOBS}/{job_id}/items"
    done = call(sandbox, "GET", path, key, params={"status": "successful"}).json()["data"]
    assert [i["accountingEntryId"] for i in done] == [entry]
    assert len(call(sandbox, "GET", path, key, params={"status": "pending"}).json()["data"]) == 2


def test_list_jobs_filters(sandbox, key, company):
    done = sandbox.add_export_job(company, n=1, status="completed")
    failed = sandbox.add_export_job(company, n=1, status="failed")
    pending = sandbox.add_export_job(company, n=1)

    def ids(query):
        response = call(sandbox, "GET", JOBS + query, key)
        assert response.status_code == 200
        return {job["id"] for job in response.json()["data"]}

    assert ids(f"?company_id={company}&statuses=pending") == {pending}
    assert ids("?statuses=completed&statuses=failed") == {done, failed}
    assert ids("?statuses=completed,failed") == {done, failed}
    assert ids("?statuses[]=pending") == {pending}
    assert ids("") == {done, failed, pending}
    assert call(sandbox, "GET", JOBS + "?statuses=nope", key).status_code == 400


# ---------------------------------------------------------------------- pagination
def _walk(sandbox, key, path, params, style):
    """Read every page with cursors or offsets (bounded); return the items in order."""
    seen, params = [], dict(params, limit=100)
    for _ in range(10):
        body = call(sandbox, "GET", path, key, params=params).json()
        seen.extend(body["data"])
        pagination = body["pagination"]
        assert pagination["total"] == 250
        if not pagination["hasNextPage"]:
            return seen
        if style == "cursor":
            params = dict(params, after=pagination["endCursor"])
        else:
            params = dict(params, offset=len(seen))
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("style", ["cursor", "offset"])
def test_pagination_over_250_items(sandbox, key, company, style):
    job_id = sandbox.add_export_job(company, n=250, with_files=False)
    expected = [i["accountingEntryId"] for i in sandbox.export_items(job_id)]
    items = _walk(sandbox, key, ITEMS, {"job_id": job_id}, style)
    assert [i["accountingEntryId"] for i in items] == expected
    control = _walk(sandbox, key, f"{JOBS}/{job_id}/items", {}, style)
    assert [i["accountingEntryId"] for i in control] == expected


def test_before_cursor_and_page_flags(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=250, with_files=False)
    first = call(sandbox, "GET", ITEMS, key, params={"job_id": job_id, "limit": 100}).json()
    assert first["pagination"]["hasNextPage"] and not first["pagination"]["hasPreviousPage"]
    second = call(
        sandbox,
        "GET",
        ITEMS,
        key,
        params={"job_id": job_id, "limit": 100, "after": first["pagination"]["endCursor"]},
    ).json()
    back = call(
        sandbox,
        "GET",
        ITEMS,
        key,
        params={"job_id": job_id, "limit": 100, "before": second["pagination"]["startCursor"]},
    ).json()
    assert back["data"] == first["data"]
    both = {"job_id": job_id, "after": "GA======", "offset": 3}
    assert call(sandbox, "GET", ITEMS, key, params=both).status_code == 400


# ---------------------------------------------------------------------- expiry
def test_job_expires_after_the_window(sandbox, key, company):
    job_id = sandbox.add_export_job(company, n=2, status="in_progress")
    sandbox.advance_time(3599)
    assert sandbox.export_job(job_id)["status"] == "in_progress"
    sandbox.advance_time(1)
    job = call(sandbox, "GET", f"{JOBS}/{job_id}", key).json()["data"]
    assert (job["status"], job["failureReasonType"]) == ("failed", "job_expired")
    assert job["expiredAt"]
    assert {i["status"] for i in sandbox.export_job(job_id)["items"]} == {"abandoned"}
    assert event(sandbox, key, job_id, "completed").status_code == 422
    assert call(sandbox, "GET", ITEMS, key, params={"job_id": job_id}).status_code == 422


def test_actions_refresh_the_expiry(sandbox, key, company):
    sandbox.behaviour.export_job_expiry_seconds = 100
    job_id = sandbox.add_export_job(company, n=1)
    sandbox.advance_time(90)
    event(sandbox, key, job_id, "started")
    sandbox.advance_time(90)
    entry = sandbox.export_items(job_id)[0]["accountingEntryId"]
    call(
        sandbox,
        "PUT",
        f"{JOBS}/{job_id}/items",
        key,
        json=[{"accountingEntryId": entry, "status": "successful"}],
    )
    sandbox.advance_time(90)
    assert sandbox.export_job(job_id)["status"] == "in_progress"
    sandbox.advance_time(10)
    assert sandbox.export_job(job_id)["status"] == "failed"


def test_expires_in_remaining_and_pending_switch(sandbox, key, company):
    sandbox.behaviour.expires_in_reports = "remaining"
    sandbox.behaviour.expire_pending_jobs = False
    job_id = sandbox.add_export_job(company, n=1)
    sandbox.advance_time(600)
    job = call(sandbox, "GET", f"{JOBS}/{job_id}", key).json()["data"]
    assert job["expiresIn"] <= 3000
    sandbox.advance_time(7200)
    assert sandbox.export_job(job_id)["status"] == "pending"  # pending jobs do not expire


def test_behaviour_validation(sandbox):
    with pytest.raises(SandboxError):
        sandbox.behaviour.refund_sign = "zero"
    with pytest.raises(SandboxError):
        sandbox.behaviour.export_job_expiry_seconds = 0
    with pytest.raises(SandboxError):
        sandbox.advance_time(-1)


# ---------------------------------------------------------------------- scopes, isolation
@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", JOBS, "export-jobs:read"),
        ("POST", JOBS, "export-jobs:write"),
        ("GET", JOBS + "/{job}", "export-jobs:read"),
        ("POST", EVENTS, "export-jobs:write"),
        ("GET", JOBS + "/{job}/items", "export-jobs:read"),
        ("PUT", JOBS + "/{job}/items", "export-jobs:write"),
        ("GET", ITEMS + "?job_id={job}", "export-items:read"),
    ],
)
def test_scopes(sandbox, company, method, path, scope):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress")
    all_export = ["export-jobs:read", "export-jobs:write", "export-items:read"]
    without = sandbox.mint_key(company, scopes=[s for s in all_export if s != scope])
    with_it = sandbox.mint_key(company, scopes=[scope])
    bodies = {
        "POST" + JOBS: {"companyId": company, "accountingEntryIds": [str(uuid.uuid4())]},
        "POST" + EVENTS: {"jobId": job_id, "event": "completed"},
    }
    body = bodies.get(method + path, [])
    url = path.replace("{job}", job_id)
    denied = call(sandbox, method, url, without, json=body)
    assert denied.status_code == 403
    allowed = call(sandbox, method, url, with_it, json=body)
    assert allowed.status_code not in (401, 403), allowed.text


def test_company_isolation(sandbox, company, key):
    other = sandbox.add_company("Other ApS")
    other_key = sandbox.mint_key(other)
    theirs = sandbox.add_export_job(other, n=1, status="in_progress")
    mine = sandbox.add_export_job(company, n=1)
    listed = call(sandbox, "GET", JOBS, key).json()["data"]
    assert [job["id"] for job in listed] == [mine]
    assert call(sandbox, "GET", f"{JOBS}/{theirs}", key).status_code == 404
    assert call(sandbox, "GET", JOBS, key, params={"company_id": other}).status_code == 403
    assert event(sandbox, key, theirs, "completed").status_code == 404
    assert call(sandbox, "GET", ITEMS, key, params={"job_id": theirs}).status_code == 404
    assert call(sandbox, "GET", f"{JOBS}/{theirs}/items", key).status_code == 404
    assert call(sandbox, "PUT", f"{JOBS}/{theirs}/items", key, json=[]).status_code == 404
    body = {"companyId": other, "accountingEntryIds": [str(uuid.uuid4())]}
    assert call(sandbox, "POST", JOBS, key, json=body).status_code == 403
    assert sandbox.export_job(theirs)["status"] == "in_progress"
    assert call(sandbox, "GET", f"{JOBS}/{theirs}", other_key).status_code == 200


def test_refund_sign_switch(sandbox, company):
    job_id = sandbox.add_export_job(company, n=len(REVERSAL_TYPES), types=list(REVERSAL_TYPES))
    values = [i["amount"]["inWalletCurrency"]["value"] for i in sandbox.export_items(job_id)]
    assert all(v < 0 for v in values)
    sandbox.behaviour.refund_sign = "positive"
    values = [i["amount"]["inWalletCurrency"]["value"] for i in sandbox.export_items(job_id)]
    assert all(v > 0 for v in values)


def test_invoice_payment_currency_switch(sandbox, company):
    """ "wallet": an invoice payment's supplier amounts are its wallet amounts, when served."""
    invoice = generate_items(1, seed=3, types=["invoice"], wallet_currency="DKK")[0]
    invoice["amount"]["inSupplierCurrency"] = {"currency": "EUR", "value": 100000}
    paid = {**copy.deepcopy(invoice), "type": "invoice_payment"}
    paid["accountingEntryId"] = str(uuid.uuid4())
    job_id = sandbox.add_export_job(company, items=[invoice, paid])

    def amounts(item):
        line = item["accountingEntryLines"][0]
        return [item["amount"], line["lineAmount"], line["netAmount"]]

    served = sandbox.export_items(job_id)
    assert served[1]["amount"]["inSupplierCurrency"]["currency"] == "EUR", "as written"
    sandbox.behaviour.invoice_payment_currency = "wallet"
    for before, item in zip(served, sandbox.export_items(job_id), strict=True):
        for old, amount in zip(amounts(before), amounts(item), strict=True):
            if item["type"] == "invoice_payment":
                assert amount["inSupplierCurrency"] == amount["inWalletCurrency"]
            else:
                assert amount == old, "only invoice payments"
    with pytest.raises(SandboxError):
        sandbox.behaviour.invoice_payment_currency = "supplier"


# ---------------------------------------------------------------------- control API
def test_control_api_export_routes(sandbox, company, key):
    base = sandbox.url() + "/_sandbox"
    made = requests.post(
        base + "/export-jobs",
        json={
            "company_id": company,
            "n": 4,
            "seed": 7,
            "wallet_currency": "EUR",
            "accounts": {"expense": [["6000", "Meals"]], "wallet": ["5900", "Pleo EUR"]},
            "start_date": "2025-03-01",
        },
        timeout=TIMEOUT,
    )
    assert made.status_code == 200, made.text
    job_id = made.json()["job_id"]
    items = requests.post(base + "/export-jobs/items", json={"job_id": job_id}, timeout=TIMEOUT)
    assert len(items.json()["items"]) == 4
    assert {i["amount"]["inWalletCurrency"]["currency"] for i in items.json()["items"]} == {"EUR"}
    requests.post(base + "/clock", json={"advance": 4000}, timeout=TIMEOUT)
    state = requests.post(base + "/export-jobs/state", json={"job_id": job_id}, timeout=TIMEOUT)
    assert state.json()["status"] == "failed"
    url = requests.post(base + "/files", json={"text": "hello"}, timeout=TIMEOUT).json()["url"]
    assert requests.get(url, timeout=TIMEOUT).content == b"hello"
    logged = requests.get(base + "/file-requests", timeout=TIMEOUT).json()["requests"]
    assert logged[-1]["had_authorization"] is False
    bad = requests.post(base + "/export-jobs", json={"company_id": company, "colour": 1}, timeout=5)
    assert bad.status_code == 400
    unknown = requests.post(base + "/export-jobs/state", json={"job_id": "x"}, timeout=TIMEOUT)
    assert unknown.status_code == 404


def test_a_receipt_added_after_the_export_comes_with_the_next_one(sandbox, company, key):
    """``files[]`` are the files attached to the accounting entry [spec]: a receipt uploaded
    after an export is in the expense's next export (``reexport``), with a fresh link; the job
    made before keeps its item."""
    first = sandbox.add_export_job(company, n=1, types=["card_purchase"], with_files=False)
    (item,) = sandbox.export_items(first)
    entry = item["accountingEntryId"]
    assert not item.get("files")
    event(sandbox, key, first, "started")
    event(sandbox, key, first, "completed")
    url = sandbox.add_receipt(entry, b"%PDF-1.4 late", "application/pdf", "late.pdf")
    assert not sandbox.export_items(first)[0].get("files")
    again = sandbox.reexport(company, [entry])
    (served,) = call(sandbox, "GET", ITEMS, key, params={"job_id": again}).json()["data"]
    assert served["accountingEntryId"] == entry
    assert served["accountingEntryLines"] == item["accountingEntryLines"]
    (file,) = served["files"]
    assert (file["type"], file["size"]) == ("application/pdf", len(b"%PDF-1.4 late"))
    assert file["url"].split("?")[0] == url.split("?")[0]
    assert requests.get(file["url"], timeout=TIMEOUT).content == b"%PDF-1.4 late"
    event(sandbox, key, again, "started")
    event(sandbox, key, again, "completed")
    third = sandbox.reexport(company, [entry])
    assert len(sandbox.export_items(third)[0]["files"]) == 1, "the same receipt, once"
    with pytest.raises(SandboxError):
        sandbox.add_receipt(str(uuid.uuid4()), b"x")
    base = sandbox.url() + "/_sandbox"
    event(sandbox, key, third, "started")
    event(sandbox, key, third, "completed")
    added = requests.post(
        base + "/receipts", json={"accounting_entry_id": entry, "text": "scan"}, timeout=TIMEOUT
    )
    assert added.status_code == 200, added.text
    made = requests.post(
        base + "/export-jobs/reexport",
        json={"company_id": company, "entry_ids": [entry]},
        timeout=TIMEOUT,
    )
    assert made.status_code == 200, made.text
    files = sandbox.export_items(made.json()["job_id"])[0]["files"]
    assert [requests.get(f["url"], timeout=TIMEOUT).content for f in files][-1] == b"scan"
    assert len(files) == 2
    unknown = requests.post(
        base + "/export-jobs/reexport",
        json={"company_id": company, "entry_ids": [str(uuid.uuid4())]},
        timeout=TIMEOUT,
    )
    assert unknown.status_code == 404


# ---------------------------------------------------------------------- file host
def test_file_host_serves_and_records_authorization(sandbox):
    content = receipt_bytes("application/pdf", "Lunch")
    url = sandbox.add_file(content, "application/pdf", "lunch.pdf")
    assert url.startswith(sandbox.file_url("/receipts/"))
    assert not url.startswith(sandbox.url())  # another port than the API
    plain = requests.get(url, timeout=TIMEOUT)
    assert plain.status_code == 200 and plain.content == content
    assert plain.headers["Content-Type"] == "application/pdf"
    with_auth = requests.get(url, auth=("a-secret-pleo-key-value", ""), timeout=TIMEOUT)
    assert with_auth.status_code == 200
    records = sandbox.file_requests
    assert [r.had_authorization for r in records] == [False, True]
    assert all(r.status == 200 and "?" not in r.path for r in records)
    assert "a-secret" not in repr(records) and "YS1zZWNyZXQ" not in repr(records)
    assert sandbox.file_entry(url) == {"url": url, "type": "application/pdf", "size": len(content)}


def test_file_url_expiry_and_signature(sandbox):
    url = sandbox.add_file(b"x", "text/plain", "a.txt", expires_in=60)
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    assert requests.get(url.replace("Signature=", "Signature=0"), timeout=5).status_code == 403
    sandbox.advance_time(61)
    expired = requests.get(url, timeout=TIMEOUT)
    assert expired.status_code == 403 and b"expired" in expired.content
    assert [r.status for r in sandbox.file_requests] == [200, 403, 403]


def test_items_get_fresh_file_urls(sandbox, company, key):
    job_id = sandbox.add_export_job(company, n=20, types=["card_purchase"])
    first = call(sandbox, "GET", ITEMS, key, params={"job_id": job_id}).json()["data"][0]
    url = first["files"][0]["url"]
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    sandbox.advance_time(24 * 3600 + 1)
    assert requests.get(url, timeout=TIMEOUT).status_code == 403
    sandbox.behaviour.export_job_expiry_seconds = 10**6
    again = sandbox.export_items(job_id)[0]["files"][0]
    fetched = requests.get(again["url"], timeout=TIMEOUT)
    assert fetched.status_code == 200 and len(fetched.content) == again["size"]


def test_file_not_found(sandbox):
    url = sandbox.add_file(b"x", "image/png", "a.png", fault="not_found")
    assert requests.get(url, timeout=TIMEOUT).status_code == 404
    assert requests.get(sandbox.file_url("/receipts/nothing"), timeout=TIMEOUT).status_code == 404


def test_file_slow(sandbox):
    url = sandbox.add_file(b"x", "image/png", "a.png", fault="slow", latency=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, timeout=(2, 0.3))
    assert time.monotonic() - started < 1.0
    sandbox.set_file_fault(url, None)
    assert requests.get(url, timeout=TIMEOUT).status_code == 200


def test_file_truncated(sandbox):
    content = b"0123456789" * 100
    url = sandbox.add_file(content, "application/pdf", "cut.pdf", fault="truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, timeout=TIMEOUT).content  # noqa: B018


@pytest.mark.parametrize("declare_size", [True, False])
def test_file_too_big_is_streamed(sandbox, declare_size):
    size = 31 * 1024 * 1024
    url = sandbox.add_file(
        b"%PDF-1.4", "application/pdf", "big.pdf", fault="too_big", declare_size=declare_size
    )
    assert sandbox.file_entry(url)["size"] == size
    with requests.get(url, stream=True, timeout=TIMEOUT) as response:
        declared = response.headers.get("Content-Length")
        assert declared == (str(size) if declare_size else None)
        received = 0
        for chunk in response.iter_content(1024 * 1024):
            received += len(chunk)
            if received > 30 * 1024 * 1024:
                break
    assert received > 30 * 1024 * 1024


def test_file_too_big_size_option(sandbox):
    url = sandbox.add_file(b"", "application/pdf", "b.pdf", fault="too_big", size=2048)
    assert len(requests.get(url, timeout=TIMEOUT).content) == 2048


def test_file_wrong_type(sandbox):
    url = sandbox.add_file(b"%PDF", "application/pdf", "x.pdf", fault="wrong_type")
    assert requests.get(url, timeout=TIMEOUT).headers["Content-Type"].startswith("text/html")
    sandbox.set_file_fault(url, "wrong_type", served_type="application/x-msdownload")
    assert requests.get(url, timeout=TIMEOUT).headers["Content-Type"] == "application/x-msdownload"


def test_file_host_bad_arguments(sandbox):
    with pytest.raises(SandboxError):
        sandbox.add_file("text", "text/plain", "a.txt")
    with pytest.raises(SandboxError):
        sandbox.add_file(b"x", "text/plain", "a.txt", fault="exploding")
    with pytest.raises(SandboxError):
        sandbox.add_file(b"x", "text/plain", "a.txt", fault="slow")


def test_file_host_stops_with_the_sandbox():
    sandbox = PleoSandbox().start()
    url = sandbox.add_file(b"x", "text/plain", "a.txt")
    port = int(url.split(":")[2].split("/")[0])
    sandbox.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


# ---------------------------------------------------------------------- generator
def _item_validator():
    spec = yaml.safe_load(SPEC.read_text())

    def drop(node):  # the spec's date "patterns" are format descriptions (see the spec test)
        if isinstance(node, dict):
            if node.get("format") in ("date-time", "date"):
                node.pop("pattern", None)
            for value in node.values():
                drop(value)
        elif isinstance(node, list):
            for value in node:
                drop(value)

    drop(spec)
    return OAS30Validator(
        {"$ref": "#/components/schemas/ExportItemV3", "components": spec["components"]}
    )


VALIDATOR = _item_validator()


def _values(money_pair):
    return money_pair["inSupplierCurrency"]["value"], money_pair["inWalletCurrency"]["value"]


def check_invariants(item):
    """Lines add up to the total; net + tax = line (reverse: net = line); integers only."""
    total = _values(item["amount"])
    lines = item["accountingEntryLines"]
    assert lines
    for index in (0, 1):
        assert sum(_values(line["lineAmount"])[index] for line in lines) == total[index]
    for line in lines:
        amounts = [_values(line["lineAmount"]), _values(line["netAmount"])]
        tax = line["tax"]
        if tax is None:
            assert amounts[0] == amounts[1]
            continue
        tax_values = _values(tax["amount"])
        amounts.append(tax_values)
        assert 0 < tax["rate"] < 1
        for index in (0, 1):
            if tax["type"] == "reverse":
                assert amounts[1][index] == amounts[0][index]
            else:
                assert amounts[1][index] + tax_values[index] == amounts[0][index]
        for pair in amounts:
            assert all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
    sign = -1 if item["type"] in REVERSAL_TYPES else 1
    assert all(v * sign >= 0 for v in total)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(1, 40),
    wallet=st.sampled_from(["DKK", "EUR", "SEK", "GBP"]),
    max_lines=st.integers(1, 5),
    vendor_based=st.booleans(),
)
def test_generator_invariants(seed, n, wallet, max_lines, vendor_based):
    items = generate_items(
        n,
        seed=seed,
        wallet_currency=wallet,
        max_lines=max_lines,
        vendor_based_bookkeeping=vendor_based,
    )
    assert len({i["accountingEntryId"] for i in items}) == n
    for item in items:
        check_invariants(item)
        assert item["amount"]["inWalletCurrency"]["currency"] == wallet
        VALIDATOR.validate(item)


def test_generator_covers_every_type_and_feature():
    items = generate_items(400, seed=1, vendor_based_bookkeeping=True)
    assert {i["type"] for i in items[: len(ITEM_TYPES)]} == set(ITEM_TYPES)
    assert {i.get("subType") for i in items} - {None} == set(SUB_TYPES)
    lines = [line for item in items for line in item["accountingEntryLines"]]
    assert {line["tax"]["type"] for line in lines if line["tax"]} == {
        "inclusive",
        "exclusive",
        "reverse",
    }
    assert any(len(i["accountingEntryLines"]) > 1 for i in items)
    assert any(
        i["amount"]["inSupplierCurrency"]["currency"] != i["amount"]["inWalletCurrency"]["currency"]
        for i in items
    )
    assert any(line["tags"] for line in lines)
    assert any(i["vendor"] for i in items) and any(i["files"] for i in items)
    assert {i["bookkeeping"]["method"] for i in items} == {"journal", "accounts_payable"}
    assert all(i["additionalInformation"]["reconciliationId"] for i in items)
    assert all(i["_links"]["web"]["exportItem"].startswith("https://") for i in items)
    assert any(i["note"] for i in items) and any(i["user"] and i["user"]["code"] for i in items)


def test_generator_is_deterministic_and_takes_codes():
    options = {
        "seed": "abc",
        "accounts": {"expense": ["6001", "6002"], "mileage": "7001"},
        "contra_account_code": "5999",
        "tax_codes": {"inclusive": [("DK-IN25", "0.25")], "reverse": [("DK-RC", "0.25")]},
        "tax_types": ["inclusive", "reverse"],
        "tax_accounts": {"ingoing": "6320X", "outgoing": "6330X"},
        "tags": {"CC": ["C1"]},
    }
    first = generate_items(60, "00000000-0000-4000-8000-000000000001", **options)
    assert first == generate_items(60, "00000000-0000-4000-8000-000000000001", **options)
    lines = [line for item in first for line in item["accountingEntryLines"]]
    codes = {line["account"]["code"] for line in lines}
    assert {"6001", "6002", "7001"} <= codes
    assert "5999" in {i["contraAccount"]["code"] for i in first if i["contraAccount"]}
    taxes = [line["tax"] for line in lines if line["tax"]]
    assert {t["code"] for t in taxes} == {"DK-IN25", "DK-RC"}
    assert {(t["ingoingTaxAccount"], t["outgoingTaxAccount"]) for t in taxes} == {
        ("6320X", "6330X")
    }
    assert {(tag["groupCode"], tag["code"]) for line in lines for tag in line["tags"] or []} == {
        ("CC", "C1")
    }


def test_generator_overrides_and_errors():
    gen = ExportItemGenerator(seed=3)
    items = gen.items(3, overrides={1: {"note": "Overridden", "user": None}})
    assert items[1]["note"] == "Overridden" and items[1]["user"] is None
    item = gen.item("mileage", supplier={"name": "X"})
    assert item["supplier"] == {"name": "X"}
    for bad in ({"types": ["teleport"]}, {"wallet_currency": "XXX"}, {"max_lines": 0}):
        with pytest.raises(SandboxError):
            ExportItemGenerator(**bad)
    with pytest.raises(SandboxError):
        gen.items(2, entry_ids=["only-one"])


def test_generator_refund_sign_option():
    negative = generate_items(20, seed=5, types=["refund", "card_purchase"])
    positive = generate_items(20, seed=5, types=["refund", "card_purchase"], refund_sign="positive")
    for neg, pos in zip(negative, positive, strict=True):
        check_invariants(pos) if pos["type"] != "refund" else None
        expected = -1 if neg["type"] == "refund" else 1
        assert neg["amount"]["inWalletCurrency"]["value"] == expected * abs(
            pos["amount"]["inWalletCurrency"]["value"]
        )
    assert copy.deepcopy(negative) == negative
