"""Tests of pleolib.export_api (the Export API v3 calls) against the Pleo sandbox over HTTP."""

import uuid
from datetime import datetime, timezone

import pytest
from pleolib import NotFoundError, PleoClient, PleoError, UnexpectedResponseError
from pleolib.export_api import (
    ExportAlreadyInProgressError,
    ExportApi,
    ExportJob,
    ExportJobFinishedError,
    ExportJobStateError,
    InvalidStatusChangeError,
    MissingContraAccountsError,
    item_update,
    parse_job,
    pleo_error_type,
)

JOBS, EVENTS, ITEMS = "/v3/export-jobs", "/v3/export-job-events", "/v3/export-items"


@pytest.fixture
def company(sandbox):
    return sandbox.add_company("Acme ApS")


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def api(sandbox, company, sleeps):
    client = PleoClient(sandbox.mint_key(company), sandbox.url(), sleep=sleeps.append)
    yield ExportApi(client)
    client.close()


def test_full_flow(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=250, with_files=False)
    jobs = api.list_jobs(company, ["pending"])
    assert [job.id for job in jobs] == [job_id]
    assert isinstance(jobs[0], ExportJob) and jobs[0].is_open
    assert jobs[0].number_of_items == 250 and jobs[0].expires_in == 3600
    api.send_event(job_id, "started")
    assert api.get_job(job_id).status == "in_progress"
    control = api.job_items(job_id)
    assert len(control) == 250
    pages = list(api.iter_items(job_id))
    assert [len(page) for page in pages] == [100, 100, 50]
    items = [item for page in pages for item in page]
    assert [i["accountingEntryId"] for i in items] == [c["accountingEntryId"] for c in control]
    updates = [
        item_update(
            item["accountingEntryId"],
            "successful",
            external_id=f"MISC/{n}",
            exported_at="2025-01-31T10:00:00Z",
        )
        for n, item in enumerate(items)
    ]
    assert api.update_items(job_id, updates) == []
    assert sandbox.count("PUT", f"{JOBS}/{job_id}/items") == 3  # 100 + 100 + 50
    api.send_event(job_id, "completed")
    job = api.get_job(job_id)
    assert job.status == "completed" and not job.is_open
    assert {i["status"] for i in sandbox.export_job(job_id)["items"]} == {"successful"}
    assert api.job_items(job_id, status="successful")[0]["externalId"].startswith("MISC/")


def test_list_jobs_follows_pages_and_sends_exploded_statuses(sandbox, api, company):
    for _ in range(150):
        sandbox.add_export_job(company, n=1, status="completed", with_files=False)
    pending = sandbox.add_export_job(company, n=1, with_files=False)
    jobs = api.list_jobs(company, ("pending", "completed"))
    assert len(jobs) == 151 and pending in {job.id for job in jobs}
    requests_made = [r for r in sandbox.requests if r.path == JOBS]
    assert len(requests_made) == 2
    assert api.list_jobs(company, "pending")[0].id == pending
    assert len(api.list_jobs(company, None)) == 151


def test_iter_items_page_size(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=7, with_files=False)
    assert [len(p) for p in api.iter_items(job_id, page_size=3)] == [3, 3, 1]


def test_update_items_returns_per_item_errors(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=2, status="in_progress", with_files=False)
    entry = sandbox.export_items(job_id)[0]["accountingEntryId"]
    stranger = str(uuid.uuid4())
    errors = api.update_items(
        job_id,
        [
            item_update(
                entry, "failed", failure_reason="No account", failure_reason_type="account_unknown"
            ),
            item_update(stranger, "successful"),
        ],
    )
    assert [(e["accountingEntryId"], e["type"]) for e in errors] == [
        (stranger, "ACCOUNTING_ENTRY_DOES_NOT_EXIST")
    ]
    assert sandbox.export_job(job_id)["items"][0]["failureReasonType"] == "account_unknown"


def test_item_update_helper():
    body = item_update(
        "e", "successful", exported_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    )
    assert body == {
        "accountingEntryId": "e",
        "status": "successful",
        "exportedAt": "2025-01-02T03:04:05Z",
    }
    with pytest.raises(ValueError):
        item_update("e", "done")


# ---------------------------------------------------------------------- state errors
def test_second_started_raises_invalid_status_change(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=1, with_files=False)
    api.send_event(job_id, "started")
    with pytest.raises(InvalidStatusChangeError) as caught:
        api.send_event(job_id, "started")
    error = caught.value
    assert isinstance(error, ExportJobStateError) and isinstance(error, PleoError)
    assert (error.error_type, error.status, error.retryable) == (
        "INVALID_EXPORT_JOB_STATUS_CHANGE",
        422,
        False,
    )
    sandbox.behaviour.second_started = "accept"
    api.send_event(job_id, "started")  # the no-op reading


def test_final_event_twice(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress", with_files=False)
    api.send_event(job_id, "failed", "Journal Pleo missing in Odoo.", "missing_configuration")
    assert api.get_job(job_id).failure_reason_type == "missing_configuration"
    with pytest.raises(InvalidStatusChangeError):
        api.send_event(job_id, "failed")


def test_already_in_progress(sandbox, api, company):
    sandbox.add_export_job(company, n=1, with_files=False)
    with pytest.raises(ExportAlreadyInProgressError) as caught:
        api._call(
            "POST",
            JOBS,
            "creating an export job",
            json_body={"companyId": company, "accountingEntryIds": [str(uuid.uuid4())]},
        )
    assert caught.value.error_type == "EXPORT_ALREADY_IN_PROGRESS"
    assert caught.value.status == 409


def test_create_job(sandbox, api, company):
    entry = str(uuid.uuid4())
    job = api.create_job(company, [entry])
    assert isinstance(job, ExportJob) and job.status == "pending" and job.number_of_items == 1
    assert job.is_interactive
    assert [item["accountingEntryId"] for item in sandbox.export_items(job.id)] == [entry]
    with pytest.raises(ExportAlreadyInProgressError):
        api.create_job(company, [str(uuid.uuid4())])
    api.send_event(job.id, "started")
    api.send_event(job.id, "completed")
    sandbox.set_missing_contra_accounts(company)
    with pytest.raises(MissingContraAccountsError):
        api.create_job(company, [entry])


def test_items_after_the_end(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress", with_files=False)
    entry = sandbox.export_items(job_id)[0]["accountingEntryId"]
    api.send_event(job_id, "completed")
    with pytest.raises(ExportJobFinishedError) as caught:
        list(api.iter_items(job_id))
    assert caught.value.error_type == "EXPORT_JOB_STATUS_UNPROCESSABLE"
    with pytest.raises(ExportJobFinishedError):
        api.update_items(job_id, [item_update(entry, "successful")])


def test_expired_job(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress", with_files=False)
    sandbox.advance_time(3600)
    job = api.get_job(job_id)
    assert (job.status, job.failure_reason_type) == ("failed", "job_expired")
    assert job.expired_at
    with pytest.raises(InvalidStatusChangeError):
        api.send_event(job_id, "completed")


def test_missing_contra_accounts(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=1, with_files=False)
    sandbox.set_missing_contra_accounts(company)
    with pytest.raises(MissingContraAccountsError) as caught:
        list(api.iter_items(job_id))
    assert caught.value.error_type == "MISSING_CONTRA_ACCOUNTS"


def test_unknown_job_is_not_found(api):
    with pytest.raises(NotFoundError):
        api.get_job(str(uuid.uuid4()))


def test_pleo_error_type_parsing():
    error = UnexpectedResponseError("Pleo rejected x (HTTP 409: EXPORT_ALREADY_IN_PROGRESS: busy).")
    assert pleo_error_type(error) == "EXPORT_ALREADY_IN_PROGRESS"
    assert pleo_error_type(UnexpectedResponseError("Pleo rejected x (HTTP 409).")) is None


def test_422_without_a_type_still_maps(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=1, with_files=False)
    sandbox.inject_fault(EVENTS, kind="status", status=422, times=1)
    with pytest.raises(InvalidStatusChangeError) as caught:
        api.send_event(job_id, "started")
    assert caught.value.error_type == "UNPROCESSABLE_ENTITY"  # the fault's generic code
    sandbox.inject_fault(JOBS, kind="html", status=409, times=1)
    with pytest.raises(ExportAlreadyInProgressError) as caught:
        api.list_jobs(company)
    assert caught.value.error_type is None


# ---------------------------------------------------------------------- retries
@pytest.mark.parametrize("kind", ["rate_limit", "status"])
def test_get_is_retried(sandbox, api, company, sleeps, kind):
    job_id = sandbox.add_export_job(company, n=1, with_files=False)
    options = {"retry_after": 0} if kind == "rate_limit" else {"status": 503}
    sandbox.inject_fault(ITEMS, kind=kind, times=2, **options)
    assert len(next(api.iter_items(job_id))) == 1
    assert sandbox.count("GET", ITEMS) == 3
    assert len(sleeps) == 2


def test_put_is_retried(sandbox, api, company, sleeps):
    job_id = sandbox.add_export_job(company, n=1, status="in_progress", with_files=False)
    entry = sandbox.export_items(job_id)[0]["accountingEntryId"]
    path = f"{JOBS}/{job_id}/items"
    sandbox.inject_fault(path, method="PUT", kind="status", status=502, times=1)
    assert api.update_items(job_id, [item_update(entry, "successful")]) == []
    assert sandbox.count("PUT", path) == 2
    assert sandbox.export_job(job_id)["items"][0]["status"] == "successful"


@pytest.mark.parametrize("kind", ["rate_limit", "status"])
def test_event_post_is_never_retried(sandbox, api, company, sleeps, kind):
    job_id = sandbox.add_export_job(company, n=1, with_files=False)
    options = {"retry_after": 0} if kind == "rate_limit" else {"status": 503}
    sandbox.inject_fault(EVENTS, kind=kind, times=1, **options)
    with pytest.raises(PleoError) as caught:
        api.send_event(job_id, "started")
    assert not isinstance(caught.value, ExportJobStateError)
    assert sandbox.count("POST", EVENTS) == 1 and sleeps == []
    assert sandbox.export_job(job_id)["status"] == "pending"


# ---------------------------------------------------------------------- shapes
def test_wrong_shapes_are_refused(sandbox, api, company):
    job_id = sandbox.add_export_job(company, n=1, with_files=False)
    sandbox.inject_fault(f"{JOBS}/{job_id}", kind="garbage", times=1)
    with pytest.raises(UnexpectedResponseError):
        api.get_job(job_id)
    with pytest.raises(UnexpectedResponseError, match="numberOfItems"):
        parse_job({"id": "x", "companyId": "c", "status": "pending", "numberOfItems": "3"})
    with pytest.raises(UnexpectedResponseError, match="isInteractive"):
        parse_job(
            {
                "id": "x",
                "companyId": "c",
                "status": "pending",
                "numberOfItems": 3,
                "expiresIn": 1,
                "isInteractive": "yes",
            }
        )
    with pytest.raises(UnexpectedResponseError):
        parse_job([])


class _ScriptedClient:
    """Answers ``request`` from a list: for the shape checks of paginated answers."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, path, *, action, params=None, json_body=None):
        self.calls.append((method, path, dict(params or {})))
        return self.answers.pop(0)


def _page(data, has_next, cursor=None):
    pagination = {"hasNextPage": has_next, "hasPreviousPage": False, "currentRequestPagination": {}}
    if cursor:
        pagination["endCursor"] = cursor
    return {"data": data, "pagination": pagination}


def test_pagination_shape_checks():
    item = {"accountingEntryId": "e", "status": "pending"}
    stuck = _ScriptedClient([_page([item], True, "GA"), _page([item], True, "GA")])
    with pytest.raises(UnexpectedResponseError, match="did not advance"):
        ExportApi(stuck).job_items("j")
    no_cursor = _ScriptedClient([_page([item], True)])
    with pytest.raises(UnexpectedResponseError, match="endCursor"):
        ExportApi(no_cursor).job_items("j")
    no_pagination = _ScriptedClient([{"data": []}])
    with pytest.raises(UnexpectedResponseError, match="pagination"):
        ExportApi(no_pagination).job_items("j")
    bad_item = _ScriptedClient([_page([{"accountingEntryId": 3}], False)])
    with pytest.raises(UnexpectedResponseError, match="accountingEntryId"):
        ExportApi(bad_item).job_items("j")
    odd_money = {
        "accountingEntryId": "e",
        "type": "refund",
        "date": "2025-01-01T00:00:00Z",
        "amount": {
            "inSupplierCurrency": {"currency": "DKK", "value": "1.00"},
            "inWalletCurrency": {"currency": "DKK", "value": 100},
        },
        "accountingEntryLines": [],
    }
    # An item's content is the item's problem, not the page's: it is booked (and fails) alone;
    # an element that is no item with an id is left out.
    odd = [odd_money, 42, {"accountingEntryId": 7}, None, {"type": "refund"}]
    assert list(ExportApi(_ScriptedClient([_page(odd, False)])).iter_items("j")) == [[odd_money]]
    follows = _ScriptedClient([_page([item], True, "GA"), _page([item], False, "GE")])
    assert len(ExportApi(follows).job_items("j")) == 2
    assert follows.calls[1][2]["after"] == "GA"
    bad_errors = _ScriptedClient([{"data": [], "errors": [{"type": "X"}]}])
    with pytest.raises(UnexpectedResponseError, match="accountingEntryId"):
        ExportApi(bad_errors).update_items("j", [item_update("e", "successful")])


def test_send_event_validates_the_event(api):
    with pytest.raises(ValueError):
        api.send_event(str(uuid.uuid4()), "finished")
