"""Calls of Pleo's Export API v3 over a :class:`~.client.PleoClient` (no Odoo import).

The flow Pleo prescribes [docs]: find ``pending`` jobs (:meth:`ExportApi.list_jobs`), claim one
with the ``started`` event (:meth:`ExportApi.send_event`), read the control list
(:meth:`ExportApi.job_items`) and the items (:meth:`ExportApi.iter_items`), report every item
(:meth:`ExportApi.update_items`, at most 100 per request) and finish with ``completed``,
``completed_with_errors`` or ``failed``.

Every answer's shape is checked (:class:`~.errors.UnexpectedResponseError` otherwise), except
the content of the export items: an item Odoo cannot read is that item's failure, never the
page's (:mod:`.items` reads it, value by value, when it is booked). The
refusals that depend on the job's state become :class:`ExportJobStateError` subclasses carrying
Pleo's error ``type`` (``error_type``), so that the caller can react to them:

* 409 ``EXPORT_ALREADY_IN_PROGRESS`` -> :class:`ExportAlreadyInProgressError`;
* 422 ``INVALID_EXPORT_JOB_STATUS_CHANGE`` -> :class:`InvalidStatusChangeError`;
* 422 ``EXPORT_JOB_STATUS_UNPROCESSABLE`` (reading or reporting items of a finished job)
  -> :class:`ExportJobFinishedError`;
* 400 ``MISSING_CONTRA_ACCOUNTS`` -> :class:`MissingContraAccountsError`.

A 404 stays the client's :class:`~.errors.NotFoundError`. Retries are the client's: GET and PUT
are retried on 429/5xx, POST (job creation, events) never is.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from . import timestamps
from ._shapes import json_list, json_object, json_value
from .client import Endpoints
from .errors import PleoError, UnexpectedResponseError

_logger = logging.getLogger(__name__)

JOBS_PATH = "/v3/export-jobs"
EVENTS_PATH = "/v3/export-job-events"
ITEMS_PATH = "/v3/export-items"

JOB_STATUSES = ("pending", "in_progress", "failed", "completed", "completed_with_errors")
OPEN_JOB_STATUSES = ("pending", "in_progress")
JOB_EVENTS = ("started", "failed", "completed", "completed_with_errors")
ITEM_STATUSES = ("pending", "in_progress", "failed", "successful", "abandoned")
PAGE_SIZE = 100
MAX_UPDATES_PER_REQUEST = 100  # [spec] PUT .../items takes at most 100
MAX_PAGES = 100_000  # a bound on pagination loops (10 million items at 100 a page)

#: The Pleo error type in the message of an error raised by ``client._interpret`` for a 4xx
#: (``"Pleo rejected <action> (HTTP 409: EXPORT_ALREADY_IN_PROGRESS: <message>)."``).
_PLEO_TYPE = re.compile(r"\(HTTP (?P<status>\d{3}): (?P<type>[A-Z][A-Z0-9_]*)(?=[:)])")


class ExportJobStateError(PleoError):
    """Pleo refused an export call because of the state of the job (or of the company's jobs).

    ``error_type`` is Pleo's error type (e.g. ``INVALID_EXPORT_JOB_STATUS_CHANGE``), or ``None``
    if Pleo's answer did not say.
    """

    default_message = "Pleo refused the export operation in the job's current state."

    def __init__(self, message=None, *, error_type=None, status=None):
        self.error_type = error_type
        super().__init__(message, status=status, retryable=False)


class ExportAlreadyInProgressError(ExportJobStateError):
    """409 ``EXPORT_ALREADY_IN_PROGRESS``: the company has an unfinished export job."""

    default_message = (
        "An export is already running for this Pleo company; a new one can start once it has "
        "finished."
    )


class InvalidStatusChangeError(ExportJobStateError):
    """422 ``INVALID_EXPORT_JOB_STATUS_CHANGE``: the event does not fit the job's status."""

    default_message = (
        "Pleo refused the export job status change: the job is not in a state that allows it "
        "(already started, finished or expired)."
    )


class ExportJobFinishedError(ExportJobStateError):
    """422 ``EXPORT_JOB_STATUS_UNPROCESSABLE``: the job has finished (or expired), or has not
    been started, so its items can no longer be read or reported."""

    default_message = (
        "The Pleo export job is finished (or expired) and its items can no longer be read or "
        "reported. Export again from Pleo."
    )


class MissingContraAccountsError(ExportJobStateError):
    """400 ``MISSING_CONTRA_ACCOUNTS``: contra accounts are not mapped in Pleo's settings."""

    default_message = (
        "Pleo's contra accounts are not fully configured. Map them in Pleo's Accounting "
        "settings, then export again."
    )


@dataclass(frozen=True)
class ExportJob:
    """An export job (``ExportJobV3``); dates are Pleo's ISO 8601 strings."""

    id: str
    company_id: str
    status: str
    number_of_items: int
    expires_in: int
    is_interactive: bool
    vendor_based_bookkeeping: bool
    created_at: str
    created_by: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    last_updated_at: str | None = None
    expired_at: str | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None

    @property
    def is_open(self):
        """Whether the job is ``pending`` or ``in_progress``."""
        return self.status in OPEN_JOB_STATUSES


# --------------------------------------------------------------------------- shapes


def parse_job(data, where="data."):
    """Return the :class:`ExportJob` of an ``ExportJobV3`` object."""
    data = json_object(data, where.rstrip(".") or "the answer")
    text, optional = (str,), {"required": False}
    return ExportJob(
        id=json_value(data, "id", text, where),
        company_id=json_value(data, "companyId", text, where),
        status=json_value(data, "status", text, where),
        number_of_items=json_value(data, "numberOfItems", (int,), where),
        expires_in=json_value(data, "expiresIn", (int,), where),
        is_interactive=json_value(data, "isInteractive", (bool,), where),
        vendor_based_bookkeeping=json_value(data, "vendorBasedBookkeeping", (bool,), where),
        created_at=json_value(data, "createdAt", text, where),
        created_by=json_value(data, "createdBy", text, where, **optional),
        started_at=json_value(data, "startedAt", text, where, **optional),
        completed_at=json_value(data, "completedAt", text, where, **optional),
        last_updated_at=json_value(data, "lastUpdatedAt", text, where, **optional),
        expired_at=json_value(data, "expiredAt", text, where, **optional),
        failure_reason=json_value(data, "failureReason", text, where, **optional),
        failure_reason_type=json_value(data, "failureReasonType", text, where, **optional),
    )


def _check_job_item(item, where):
    """Check an ``ExportJobItemV3`` (control list entry) and return it."""
    item = json_object(item, where)
    json_value(item, "accountingEntryId", (str,), where + ".")
    json_value(item, "status", (str,), where + ".")
    for name in ("exportJobId", "externalId", "externalUrl", "exportedAt", "failureReason"):
        json_value(item, name, (str,), where + ".", required=False)
    return item


def _is_export_item(item):
    """Whether an element of an export-items page is an item Odoo can tell apart: an object
    with a text ``accountingEntryId``. Its other values are checked when it is booked
    (:mod:`.items`), so that an item Odoo cannot read fails alone, with its reason, and the
    others book; an element without an id cannot be reported, so it is left out (Pleo marks it
    abandoned when the job ends)."""
    return isinstance(item, dict) and isinstance(item.get("accountingEntryId"), str)


def _check_update_error(error, where):
    error = json_object(error, where)
    for name in ("accountingEntryId", "type"):
        json_value(error, name, (str,), where + ".")
    json_value(error, "message", (str,), where + ".", required=False)
    return error


def pleo_error_type(error):
    """Return Pleo's error ``type`` from an error the client raised for a 4xx, or ``None``."""
    match = _PLEO_TYPE.search(getattr(error, "message", "") or "")
    return match.group("type") if match else None


def item_update(
    accounting_entry_id,
    status,
    *,
    external_id=None,
    external_url=None,
    exported_at=None,
    failure_reason=None,
    failure_reason_type=None,
):
    """Return one ``UpdateExportJobItemV3`` body (``exported_at`` may be a datetime)."""
    if status not in ITEM_STATUSES:
        raise ValueError(f"status must be one of {ITEM_STATUSES}")
    if isinstance(exported_at, datetime):
        exported_at = timestamps.format_utc(exported_at)
    fields = {
        "accountingEntryId": accounting_entry_id,
        "status": status,
        "exportedAt": exported_at,
        "externalId": external_id,
        "externalUrl": external_url,
        "failureReason": failure_reason,
        "failureReasonType": failure_reason_type,
    }
    return {name: value for name, value in fields.items() if value is not None}


# --------------------------------------------------------------------------- calls


def cursor_pages(call, path, params, action, page_size):
    """Yield the ``data`` list of each page of a GET of Pleo's cursor pages (``call(method,
    path, action, params=...)``), following ``pagination.endCursor``."""
    params = dict(params, limit=page_size)
    seen = set()
    for _ in range(MAX_PAGES):
        payload = json_object(call("GET", path, action, params=params), "the answer")
        data = json_list(payload.get("data"), "data")
        pagination = json_object(payload.get("pagination"), "pagination")
        has_next = json_value(pagination, "hasNextPage", (bool,), "pagination.")
        yield data
        if not has_next:
            return
        cursor = json_value(pagination, "endCursor", (str,), "pagination.")
        if cursor in seen or not data:
            raise UnexpectedResponseError(
                "Pleo's pages did not advance (the same page came twice); stopped reading."
            )
        seen.add(cursor)
        params = dict(params, after=cursor)
        params.pop("offset", None)
    raise UnexpectedResponseError(f"Pleo's answer had more than {MAX_PAGES} pages.")


class ExportApi(Endpoints):
    """The Export API v3 calls, over one :class:`~.client.PleoClient`."""

    def _refusal(self, error, on_422=None):
        """The state refusals as :class:`ExportJobStateError` (``on_422``: the class of a 422)."""
        return _state_error(error, on_422)

    def _pages(self, path, params, action, page_size):
        return cursor_pages(self._call, path, params, action, page_size)

    def list_jobs(self, company_id, statuses=("pending",)):
        """Return every :class:`ExportJob` of ``company_id`` in ``statuses`` (all pages)."""
        params = {"company_id": company_id}
        statuses = [statuses] if isinstance(statuses, str) else list(statuses or ())
        if statuses:
            params["statuses"] = statuses  # sent as statuses=a&statuses=b (form, exploded)
        jobs = []
        for page in self._pages(JOBS_PATH, params, "listing the export jobs", PAGE_SIZE):
            jobs.extend(parse_job(job, f"data[{len(jobs) + i}].") for i, job in enumerate(page))
        return jobs

    def create_job(self, company_id, entry_ids, is_interactive=True):
        """Ask Pleo for a new ``pending`` export job of these accounting entries (a re-export
        of expenses that failed, started from Odoo) and return it as an :class:`ExportJob`.

        Raises :class:`ExportAlreadyInProgressError` (409: the company has an open job) and
        :class:`MissingContraAccountsError` (400). Never retried (a POST): a timeout leaves the
        job to be found by the next fetch, if Pleo made it.
        """
        body = {
            "companyId": str(company_id),
            "accountingEntryIds": [str(entry) for entry in entry_ids],
            "isInteractive": bool(is_interactive),
        }
        payload = self._call("POST", JOBS_PATH, "creating an export job", json_body=body)
        return parse_job(json_object(payload, "the answer").get("data"))

    def get_job(self, job_id):
        """Return the :class:`ExportJob` ``job_id`` (:class:`NotFoundError` if Pleo has none)."""
        payload = self._call(
            "GET", f"{JOBS_PATH}/{quote(str(job_id), safe='')}", "reading the export job"
        )
        return parse_job(json_object(payload, "the answer").get("data"))

    def send_event(self, job_id, event, failure_reason=None, failure_reason_type=None):
        """Send a job event (``started``, ``completed``, ``completed_with_errors``, ``failed``).

        Raises :class:`InvalidStatusChangeError` when the job's status does not allow it.
        Never retried (a POST): after a timeout, read the job to learn whether it arrived.
        """
        if event not in JOB_EVENTS:
            raise ValueError(f"event must be one of {JOB_EVENTS}")
        body = {"jobId": str(job_id), "event": event}
        if failure_reason is not None:
            body["failureReason"] = failure_reason
        if failure_reason_type is not None:
            body["failureReasonType"] = failure_reason_type
        self._call(
            "POST",
            EVENTS_PATH,
            f"the export job event '{event}'",
            json_body=body,
            on_422=InvalidStatusChangeError,
        )

    def job_items(self, job_id, status=None):
        """Return the job's control list (``ExportJobItemV3`` dicts), all pages."""
        params = {"status": status} if status else {}
        path = f"{JOBS_PATH}/{quote(str(job_id), safe='')}/items"
        items = []
        for page in self._pages(path, params, "reading the export job items", PAGE_SIZE):
            items.extend(
                _check_job_item(item, f"data[{len(items) + i}]") for i, item in enumerate(page)
            )
        return items

    def iter_items(self, job_id, page_size=PAGE_SIZE):
        """Yield the job's export items (``ExportItemV3`` dicts) page by page.

        Only the page's shape is checked here, and that each item has an id; the rest of an
        item is checked when it is booked (an odd item fails alone). Elements without an id
        are left out and logged. Raises :class:`ExportJobFinishedError` once the job has
        finished or expired.
        """
        for page in self._pages(
            ITEMS_PATH, {"job_id": str(job_id)}, "reading the export items", page_size
        ):
            items = [item for item in page if _is_export_item(item)]
            if len(items) != len(page):
                _logger.warning(
                    "Pleo export %s: left out %s element(s) of a page that are not items with "
                    "an accountingEntryId",
                    job_id,
                    len(page) - len(items),
                )
            yield items

    def update_items(self, job_id, updates):
        """Report items (``item_update`` dicts) in PUTs of at most 100; return Pleo's per-item
        errors (``{accountingEntryId, type, message}``), an empty list when all were taken."""
        updates = list(updates)
        path = f"{JOBS_PATH}/{quote(str(job_id), safe='')}/items"
        errors = []
        for start in range(0, len(updates), MAX_UPDATES_PER_REQUEST):
            payload = json_object(
                self._call(
                    "PUT",
                    path,
                    "reporting the exported items",
                    json_body=updates[start : start + MAX_UPDATES_PER_REQUEST],
                    on_422=ExportJobFinishedError,
                ),
                "the answer",
            )
            json_list(payload.get("data"), "data")
            errors.extend(
                _check_update_error(error, f"errors[{len(errors) + i}]")
                for i, error in enumerate(json_list(payload.get("errors"), "errors"))
            )
        return errors


_BY_TYPE = {
    "EXPORT_ALREADY_IN_PROGRESS": ExportAlreadyInProgressError,
    "INVALID_EXPORT_JOB_STATUS_CHANGE": InvalidStatusChangeError,
    "EXPORT_JOB_STATUS_UNPROCESSABLE": ExportJobFinishedError,
    "MISSING_CONTRA_ACCOUNTS": MissingContraAccountsError,
}


def _state_error(error, on_422):
    """Return the :class:`ExportJobStateError` for a refused call, or ``None`` to keep ``error``."""
    error_type = pleo_error_type(error)
    cls = _BY_TYPE.get(error_type)
    if cls is None and error.status == 409:
        cls = ExportAlreadyInProgressError
    if cls is None and error.status == 422:
        cls = on_422 or ExportJobStateError
    if cls is None:
        return None
    return cls(error_type=error_type, status=error.status)
