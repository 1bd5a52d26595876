"""Export jobs and their items as the sandbox holds them (Pleo's Export API v3), and the clock.

:class:`ExportState` is mixed into :class:`~pleo_sandbox.state.SandboxState`: it shares its lock,
companies, keys and behaviour switches. The Python methods (``add_export_job``, ``export_job``,
``advance_time``, ``add_file``...) are the test API; the ``api_*`` methods serve
``export_api.py`` and raise :class:`ExportError` for the answers Pleo gives as domain errors.

Job life cycle [spec]: ``pending`` -> (event ``started``) ``in_progress`` -> (event ``completed``,
``completed_with_errors`` or ``failed``) a final status. A job not acted on (event or item
update) for ``behaviour.export_job_expiry_seconds`` fails with ``job_expired``; the check is lazy
(on every access) and uses the sandbox clock, which :meth:`ExportState.advance_time` moves.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .demo_scenario import scenario_items
from .file_host import FileHost, FileRequest
from .generator import (
    JOB_OPTIONS,
    ExportItemGenerator,
    receipt_bytes,
    with_invoice_payment_currency,
    with_refund_sign,
)
from .models import SandboxError, UnknownEntityError, is_uuid, iso, now_utc

JOB_STATUSES = ("pending", "in_progress", "failed", "completed", "completed_with_errors")
OPEN_JOB_STATUSES = ("pending", "in_progress")
FINAL_JOB_STATUSES = ("failed", "completed", "completed_with_errors")
JOB_EVENTS = ("started", "failed", "completed", "completed_with_errors")
ITEM_STATUSES = ("pending", "in_progress", "failed", "successful", "abandoned")
JOB_FAILURE_TYPES = (
    "invalid_configuration",
    "missing_configuration",
    "authentication_failure",
    "accounting_system_authentication_failure",
    "pleo_rate_limit",
    "accounting_system_rate_limit",
    "service_unreachable",
    "accounting_system_unreachable",
    "validation_failure",
    "authorization_failure",
    "integration_unusable",
    "job_expired",
    "service_timeout",
    "accounting_system_timeout",
    "canceled_by_user",
)
ITEM_FAILURE_TYPES = (
    "receipt_upload_failure",
    "receipt_download_failure",
    "receipt_file_size_limit_exceeded",
    "receipt_conversion_failure",
    "unexpected_failure",
    "invalid_configuration",
    "missing_configuration",
    "accounting_system_authentication_failure",
    "accounting_system_rate_limit",
    "accounting_system_unreachable",
    "validation_failure",
    "accounting_system_validation_failure",
    "authorization_failure",
    "accounting_system_timeout",
    "vendor_unknown",
    "account_unknown",
    "tax_code_unknown",
    "tag_unknown",
)
MAX_ITEM_UPDATES = 100  # per PUT [spec]
EXPIRED_REASON = "Job not updated within expiry time limit."


class ExportError(Exception):
    """A domain error of the Export API: HTTP ``status``, Pleo error ``type``, ``message``."""

    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status, self.type, self.message = status, error_type, message


class BadRequest(ExportError):
    """A request Pleo answers with 400 ``BAD_REQUEST``; the message says what is wrong. Every
    route module raises this one (the API's answer is the same whichever module parses)."""

    def __init__(self, message: str):
        super().__init__(400, "BAD_REQUEST", message)


def _check_choice(name: str, value: object, choices: tuple) -> None:
    if value not in choices:
        raise SandboxError(f"{name} must be one of {choices}, not {value!r}")


@dataclass
class ControlItem:
    """One entry of a job's control list (``ExportJobItemV3``): what the integration reported."""

    accounting_entry_id: str
    status: str = "pending"
    exported_at: str | None = None
    external_id: str | None = None
    external_url: str | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None
    updates: int = 0  # how many PUTs touched it

    def to_api(self, job_id: str) -> dict:
        """The spec's ``ExportJobItemV3`` (``failureReasonType`` only when set: not nullable)."""
        body = {
            "accountingEntryId": self.accounting_entry_id,
            "exportJobId": job_id,
            "status": self.status,
            "exportedAt": self.exported_at,
            "externalId": self.external_id,
            "externalUrl": self.external_url,
            "failureReason": self.failure_reason,
        }
        if self.failure_reason_type is not None:
            body["failureReasonType"] = self.failure_reason_type
        return body


@dataclass
class Job:
    """An export job of one company, with its items (``ExportItemV3``) and control list."""

    id: str
    company_id: str
    created_at: dt.datetime
    is_interactive: bool
    vendor_based_bookkeeping: bool
    created_by: str | None
    items: dict[str, dict]
    control: dict[str, ControlItem]
    status: str = "pending"
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    last_updated_at: dt.datetime | None = None
    expired_at: dt.datetime | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None
    events: list[dict] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Whether the job is pending or in progress."""
        return self.status in OPEN_JOB_STATUSES

    def finish(self, status: str, moment: dt.datetime) -> None:
        """Move to a final status; items nobody reported become ``abandoned``."""
        self.status, self.completed_at, self.last_updated_at = status, moment, moment
        for entry in self.control.values():
            if entry.status in ("pending", "in_progress"):
                entry.status = "abandoned"

    def to_api(self, expiry: int, remaining: bool, now: dt.datetime) -> dict:
        """The spec's ``ExportJobV3`` (``failureReasonType`` only when set: not nullable)."""
        expires_in = expiry
        if remaining:
            expires_in = 0
            if self.open:
                deadline = (self.last_updated_at or self.created_at) + dt.timedelta(seconds=expiry)
                expires_in = max(0, int((deadline - now).total_seconds()))
        body = {
            "id": self.id,
            "companyId": self.company_id,
            "status": self.status,
            "numberOfItems": len(self.items),
            "isInteractive": self.is_interactive,
            "vendorBasedBookkeeping": self.vendor_based_bookkeeping,
            "createdAt": iso(self.created_at),
            "createdBy": self.created_by,
            "startedAt": iso(self.started_at) if self.started_at else None,
            "completedAt": iso(self.completed_at) if self.completed_at else None,
            "lastUpdatedAt": iso(self.last_updated_at) if self.last_updated_at else None,
            "expiredAt": iso(self.expired_at) if self.expired_at else None,
            "expiresIn": expires_in,
            "failureReason": self.failure_reason,
        }
        if self.failure_reason_type is not None:
            body["failureReasonType"] = self.failure_reason_type
        return body


class ExportState:
    """Export jobs, the controllable clock, contra-account switches and the file host."""

    # set by SandboxState
    _lock: object
    _companies: dict
    behaviour: object

    def _init_exports(self, file_host_name: str = "127.0.0.1") -> None:
        self._clock_offset = 0.0
        self.file_host = FileHost(lambda: self.now().timestamp(), file_host_name)

    def _reset_exports(self) -> None:
        """Forget jobs, files, file requests and contra switches; the clock is real again."""
        self._jobs: dict[str, Job] = {}
        self._missing_contra: set[str] = set()
        self._clock_offset = 0.0
        self._job_counter = 0
        self._added_files: dict[str, list[dict]] = {}
        self.file_host.reset()

    def _export_snapshot(self) -> list[dict]:
        with self._lock:
            self._expire_due()
            return [self._job_api(job) for job in self._jobs.values()]

    # ------------------------------------------------------------------ clock
    def now(self) -> dt.datetime:
        """The sandbox clock: real UTC time plus what :meth:`advance_time` added."""
        return now_utc() + dt.timedelta(seconds=self._clock_offset)

    def advance_time(self, seconds: float) -> None:
        """Move the sandbox clock forward (job expiry, file URL expiry)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise SandboxError("seconds must be a number >= 0")
        with self._lock:
            self._clock_offset += float(seconds)

    # ------------------------------------------------------------------ files
    def add_file(
        self,
        content: bytes,
        mimetype: str = "application/pdf",
        name: str = "receipt.pdf",
        **options,
    ) -> str:
        """Serve ``content`` on the file host; return its presigned URL (see ``file_host.py``).

        Options: ``fault`` (not_found, slow, truncated, too_big, wrong_type), ``latency``,
        ``size`` (too_big), ``served_type`` (wrong_type), ``declare_size``, ``expires_in``.
        """
        return self.file_host.add_file(content, mimetype, name, **options)

    def set_file_fault(self, url: str, fault: str | None, **options) -> None:
        """Change the fault of a served file (``None``: behave)."""
        self.file_host.set_file_fault(url, fault, **options)

    def file_entry(self, url: str) -> dict:
        """``{url, type, size}``: the ``files[]`` entry of an export item for that file."""
        return self.file_host.file_info(url)

    def file_url(self, path: str = "") -> str:
        """The file host's base URL (``http://127.0.0.1:<port>``) followed by ``path``."""
        return self.file_host.base_url() + path

    @property
    def file_requests(self) -> list[FileRequest]:
        """Requests the file host received: path, had_authorization (never the value), status."""
        return self.file_host.requests

    def reset_file_requests(self) -> None:
        """Forget the file host's recorded requests."""
        self.file_host.reset_requests()

    def _file_factory(self):
        host = self.file_host

        def make(rng: random.Random, item_type: str, index: int) -> list[dict]:
            mimetype = rng.choice(("application/pdf", "image/png"))
            name = f"receipt-{index}.{'pdf' if mimetype == 'application/pdf' else 'png'}"
            url = host.add_file(receipt_bytes(mimetype, f"{item_type} {index}"), mimetype, name)
            return [host.file_info(url)]

        return make

    # ------------------------------------------------------------------ receipts added later
    def add_receipt(
        self,
        accounting_entry_id: str,
        content: bytes,
        mimetype: str = "application/pdf",
        name: str = "receipt.pdf",
        **options,
    ) -> str:
        """An employee uploads a receipt to an expense in Pleo's app after it was exported.

        ``ExportItemV3.files`` are the "files that have been attached to this accounting
        entry" [spec]: the receipt belongs to the expense, and the jobs that export it from now
        on list it (:meth:`reexport`). Jobs made before keep the items they hold (whether an
        open job's items show a new file is [unknown]; here they do not). ``options`` as
        :meth:`add_file`. Returns the file's presigned URL.
        """
        with self._lock:
            if self._latest_item(accounting_entry_id) is None:
                raise UnknownEntityError("unknown accounting entry")
        url = self.file_host.add_file(content, mimetype, name, **options)
        entry = self.file_host.file_info(url)
        with self._lock:
            self._added_files.setdefault(accounting_entry_id, []).append(entry)
        return url

    def reexport(
        self,
        company_id: str,
        entry_ids: Sequence[str],
        *,
        is_interactive: bool = True,
        created_by: str | None = None,
        job_id: str | None = None,
    ) -> str:
        """Export expenses exported before again, as a bookkeeper does in Pleo: a pending job
        holding each expense as it is now, that is the item of the latest job holding it with
        the receipts added since (:meth:`add_receipt`). Returns the job id."""
        if isinstance(entry_ids, str) or not entry_ids:
            raise SandboxError("entry_ids is a non-empty list of accounting entry ids")
        with self._lock:
            items, vendor_based = [], False
            for entry in entry_ids:
                found = self._latest_item(entry, company_id, with_job=True)
                if found is None:
                    raise UnknownEntityError("unknown accounting entry")
                job, latest = found
                vendor_based = vendor_based or job.vendor_based_bookkeeping
                item = copy.deepcopy(latest)
                added = copy.deepcopy(self._added_files.get(entry, []))
                if added:
                    item["files"] = [*(item.get("files") or []), *added]
                items.append(item)
        made = self.add_export_job(
            company_id,
            items=items,
            is_interactive=is_interactive,
            vendor_based_bookkeeping=vendor_based,
            created_by=created_by,
            job_id=job_id,
        )
        with self._lock:
            for entry in entry_ids:
                self._added_files.pop(entry, None)  # the new job's item holds them now
        return made

    def _latest_item(self, entry_id: str, company_id: str | None = None, with_job=False):
        """The item of the latest job (of ``company_id``) holding the expense, or ``None``."""
        for job in reversed(self._jobs.values()):
            if entry_id in job.items and company_id in (None, job.company_id):
                return (job, job.items[entry_id]) if with_job else job.items[entry_id]
        return None

    # ------------------------------------------------------------------ Python API
    def set_missing_contra_accounts(self, company_id: str, missing: bool = True) -> None:
        """Make ``company_id``'s contra accounts unconfigured (400 ``MISSING_CONTRA_ACCOUNTS``)."""
        with self._lock:
            if company_id not in self._companies:
                raise UnknownEntityError("unknown company")
            if missing:
                self._missing_contra.add(company_id)
            else:
                self._missing_contra.discard(company_id)

    def add_export_job(
        self,
        company_id: str,
        items: Sequence[dict] | None = None,
        n: int | None = None,
        *,
        status: str = "pending",
        is_interactive: bool = True,
        vendor_based_bookkeeping: bool = False,
        created_by: str | None = None,
        entry_ids: Sequence[str] | None = None,
        with_files: bool | None = None,
        job_id: str | None = None,
        **generator_options,
    ) -> str:
        """Create a job as a bookkeeper's click in Pleo would; return its id.

        ``items`` are ``ExportItemV3`` dicts used as given (an ``accountingEntryId`` is added
        where missing); otherwise ``n`` items (default 5) come from :class:`ExportItemGenerator`
        with ``generator_options`` (``seed`` defaults to the job's number). ``with_files``
        (default: whether the file host runs) attaches real receipts on the file host. ``status``
        other than pending makes a job of the past (final statuses mark the items successful or
        abandoned); ``job_id`` chooses the job's id. At most one open job per company, as at Pleo.
        """
        _check_choice("status", status, JOB_STATUSES)
        unknown = sorted(set(generator_options) - set(JOB_OPTIONS))
        if unknown:
            raise SandboxError(f"unknown option(s): {', '.join(unknown)}")
        if items is not None and n is not None:
            raise SandboxError("give items or n, not both")
        if created_by is not None and not is_uuid(created_by):
            raise SandboxError("created_by must be a UUID")
        if job_id is not None and not is_uuid(job_id):
            raise SandboxError("job_id must be a UUID")
        with self._lock:
            if job_id is not None and job_id in self._jobs:
                raise SandboxError("an export job with this id exists already")
            if company_id not in self._companies:
                raise UnknownEntityError("unknown company")
            self._expire_due()
            if status in OPEN_JOB_STATUSES and self._open_job(company_id) is not None:
                raise SandboxError("this company has an open export job already")
            self._job_counter += 1
            number = self._job_counter
        if items is None:
            count = 5 if n is None else n
            overrides = generator_options.pop("overrides", None)
            generator_options.setdefault("seed", f"{company_id}:{number}")
            files = self.file_host.running if with_files is None else with_files
            generator = ExportItemGenerator(
                company_id,
                vendor_based_bookkeeping=vendor_based_bookkeeping,
                refund_sign="positive",
                file_factory=self._file_factory() if files else None,
                **generator_options,
            )
            made = generator.items(count, entry_ids=entry_ids, overrides=overrides)
        else:
            if generator_options or entry_ids is not None:
                raise SandboxError("generator options and entry_ids apply only without items")
            made = [dict(item) for item in items]
            for item in made:
                if not isinstance(item, dict):
                    raise SandboxError("items must be dicts")
                item.setdefault("accountingEntryId", str(uuid.uuid4()))
        job_id = self._store_job(
            company_id, made, status, is_interactive, vendor_based_bookkeeping, created_by, job_id
        )
        if status == "pending":  # a bookkeeper pressed Export: Pleo says so to subscribers
            self.emit_event(company_id, "v1.export-job.created", self._job_created_data(job_id))
        return job_id

    def _job_created_data(self, job_id: str) -> dict:
        """The ``data`` of ``v1.export-job.created`` [docs]: the job as it was created."""
        with self._lock:
            job = self._job_api(self._job(job_id))
        fields = ("id", "companyId", "createdAt", "createdBy", "expiresIn", "numberOfItems")
        return {**{name: job.get(name) for name in fields}, "status": "pending"}

    def add_scenario_job(
        self, name: str, company_id: str, *, with_files: bool | None = None
    ) -> str:
        """Create the pending export job of the named demo scenario (``demo_scenario.py``) for
        ``company_id``; return its id. Receipts go on the file host when it runs (or as
        ``with_files`` says)."""
        with self._lock:
            if company_id not in self._companies:
                raise UnknownEntityError("unknown company")
        files = self.file_host.running if with_files is None else with_files
        items = scenario_items(
            name,
            company_id,
            today=self.now().date(),
            file_factory=self._file_factory() if files else None,
        )
        return self.add_export_job(company_id, items)

    def export_again(
        self,
        job_id: str | None = None,
        *,
        company_id: str | None = None,
        statuses: Sequence[str] = ("failed",),
    ) -> str:
        """Export again, as a bookkeeper selects expenses in Pleo and presses Export: a new
        pending job with the same items (same accounting entries, fresh receipt links) as those
        of job ``job_id`` (default: the company's newest finished job) whose item status, as
        the integration reported it, is in ``statuses``. Returns the new job's id."""
        for status in statuses:
            _check_choice("statuses", status, ITEM_STATUSES)
        with self._lock:
            self._expire_due()
            if job_id is None:
                if company_id not in self._companies:
                    raise UnknownEntityError("unknown company")
                finished = [
                    j for j in self._jobs.values() if j.company_id == company_id and not j.open
                ]
                if not finished:
                    raise SandboxError("this company has no finished export job to export again")
                job = finished[-1]
            else:
                job = self._job(job_id)
            items = [
                copy.deepcopy(job.items[entry.accounting_entry_id])
                for entry in job.control.values()
                if entry.status in statuses
            ]
            if not items:
                raise SandboxError(f"the job has no item of status {', '.join(statuses)}")
            if self._open_job(job.company_id) is not None:
                raise SandboxError("this company has an open export job already")
            company = job.company_id
            interactive, vendor_based = job.is_interactive, job.vendor_based_bookkeeping
        return self._store_job(company, items, "pending", interactive, vendor_based, None)

    def _store_job(
        self,
        company_id: str,
        items: list[dict],
        status: str,
        is_interactive: bool,
        vendor_based_bookkeeping: bool,
        created_by: str | None,
        job_id: str | None = None,
    ) -> str:
        ids = [item["accountingEntryId"] for item in items]
        if len(set(ids)) != len(ids) or not all(is_uuid(i) for i in ids):
            raise SandboxError("accountingEntryIds must be distinct UUIDs")
        with self._lock:
            moment = self.now()
            job = Job(
                id=job_id or str(uuid.uuid4()),
                company_id=company_id,
                created_at=moment,
                is_interactive=bool(is_interactive),
                vendor_based_bookkeeping=bool(vendor_based_bookkeeping),
                created_by=created_by,
                items={item["accountingEntryId"]: item for item in items},
                control={entry: ControlItem(entry) for entry in ids},
                last_updated_at=moment,
            )
            if status != "pending":
                job.status, job.started_at = "in_progress", moment
            if status in FINAL_JOB_STATUSES:
                if status != "failed":
                    for entry in job.control.values():
                        entry.status, entry.exported_at = "successful", iso(moment)
                job.finish(status, moment)
            self._jobs[job.id] = job
            return job.id

    def _job(self, job_id: str) -> Job:
        job = self._jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise UnknownEntityError("unknown export job")
        return job

    def export_job(self, job_id: str) -> dict:
        """The job as Pleo holds it: ``ExportJobV3`` fields plus ``items`` (the control list,
        with each item's reported status, externalId, failure...) and ``events`` received."""
        with self._lock:
            self._expire_due()
            job = self._job(job_id)
            body = self._job_api(job)
            body["items"] = [
                {**entry.to_api(job.id), "updates": entry.updates} for entry in job.control.values()
            ]
            body["events"] = [dict(event) for event in job.events]
            return body

    def export_jobs(self, company_id: str | None = None) -> list[dict]:
        """Every job (of ``company_id`` if given), oldest first, as ``ExportJobV3``."""
        with self._lock:
            self._expire_due()
            return [
                self._job_api(job)
                for job in self._jobs.values()
                if company_id is None or job.company_id == company_id
            ]

    def export_items(self, job_id: str) -> list[dict]:
        """The job's ``ExportItemV3`` as ``GET /v3/export-items`` serves them now."""
        with self._lock:
            return self._served_items(self._job(job_id))

    def expire_job(self, job_id: str) -> None:
        """Expire an open job now, as if ``expiresIn`` had run out."""
        with self._lock:
            job = self._job(job_id)
            if not job.open:
                raise SandboxError("only a pending or in-progress job can expire")
            self._expire(job, self.now())

    # ------------------------------------------------------------------ internals
    def _job_api(self, job: Job) -> dict:
        behaviour = self.behaviour
        return job.to_api(
            behaviour.export_job_expiry_seconds,
            behaviour.expires_in_reports == "remaining",
            self.now(),
        )

    def _served_items(self, job: Job) -> list[dict]:
        items = []
        for item in job.items.values():
            served = with_refund_sign(item, self.behaviour.refund_sign)
            served = with_invoice_payment_currency(served, self.behaviour.invoice_payment_currency)
            for entry in served.get("files") or ():
                if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                    entry["url"] = self.file_host.refresh(entry["url"])
            items.append(served)
        return items

    def _open_job(self, company_id: str) -> Job | None:
        return next((j for j in self._jobs.values() if j.company_id == company_id and j.open), None)

    def _expire(self, job: Job, moment: dt.datetime) -> None:
        job.expired_at = moment
        job.failure_reason, job.failure_reason_type = EXPIRED_REASON, "job_expired"
        job.finish("failed", moment)

    def _expire_due(self) -> None:
        """Fail every open job whose expiry time has passed (call with the lock held)."""
        expiry = dt.timedelta(seconds=self.behaviour.export_job_expiry_seconds)
        now = self.now()
        for job in self._jobs.values():
            if job.status == "pending" and not self.behaviour.expire_pending_jobs:
                continue
            if job.open and now >= (job.last_updated_at or job.created_at) + expiry:
                self._expire(job, (job.last_updated_at or job.created_at) + expiry)

    def _visible_job(self, key, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or not key.can_see(self._companies[job.company_id]):
            raise ExportError(404, "EXPORT_NOT_FOUND", "Export job not found.")
        return job

    def _check_company(self, key, company_id: str) -> None:
        company = self._companies.get(company_id)
        if company is None or not key.can_see(company):
            raise ExportError(403, "FORBIDDEN", "this key may not access that company")

    # ------------------------------------------------------------------ API operations
    def api_list_jobs(
        self, key, company_id: str | None, statuses: Iterable[str] | None
    ) -> list[dict]:
        """Jobs the key covers (of ``company_id``), newest first, filtered by ``statuses``."""
        with self._lock:
            self._expire_due()
            if company_id is not None:
                self._check_company(key, company_id)
            wanted = set(statuses or ())
            jobs = [
                job
                for job in self._jobs.values()
                if key.can_see(self._companies[job.company_id])
                and (company_id is None or job.company_id == company_id)
                and (not wanted or job.status in wanted)
            ]
            jobs.sort(key=lambda j: (j.created_at, j.id), reverse=True)
            return [self._job_api(job) for job in jobs]

    def api_create_job(
        self,
        key,
        company_id: str,
        entry_ids: list[str],
        employee_id: str | None,
        is_interactive: bool,
        vendor_based_bookkeeping: bool,
    ) -> dict:
        """``POST /v3/export-jobs``: a pending job of generated items with these entry ids."""
        with self._lock:
            self._expire_due()
            self._check_company(key, company_id)
            if company_id in self._missing_contra:
                raise ExportError(
                    400,
                    "MISSING_CONTRA_ACCOUNTS",
                    "Contra accounts are not fully configured. Please map contra accounts in "
                    "the Accounting settings.",
                )
            if self._open_job(company_id) is not None:
                raise ExportError(
                    409,
                    "EXPORT_ALREADY_IN_PROGRESS",
                    "Export Job already in progress for this company.",
                )
            self._job_counter += 1
            seed = f"{company_id}:{self._job_counter}"
            known = self._exported_entries(company_id, entry_ids)
        new_ids = [entry for entry in entry_ids if entry not in known]
        generator = ExportItemGenerator(
            company_id,
            seed=seed,
            vendor_based_bookkeeping=vendor_based_bookkeeping,
            refund_sign="positive",
            file_factory=self._file_factory() if self.file_host.running else None,
        )
        generated = iter(generator.items(len(new_ids), entry_ids=new_ids) if new_ids else ())
        items = [known[entry] if entry in known else next(generated) for entry in entry_ids]
        with self._lock:
            if self._open_job(company_id) is not None:  # another request won the race
                raise ExportError(
                    409,
                    "EXPORT_ALREADY_IN_PROGRESS",
                    "Export Job already in progress for this company.",
                )
            job_id = self._store_job(
                company_id, items, "pending", is_interactive, vendor_based_bookkeeping, employee_id
            )
            return self._job_api(self._jobs[job_id])

    def _exported_entries(self, company_id: str, entry_ids: Iterable[str]) -> dict:
        """The accounting entries among ``entry_ids`` that an earlier job of the company held,
        as that job's newest one holds them (call with the lock held).

        Pleo lets users re-export entries already exported: the same ``accountingEntryId``
        arrives again in a later job [docs] (``pleo-export.md`` §1), and it is the same
        expense, so a re-export serves the entry's data again (its files' links renewed when
        served); only an entry the sandbox never exported is generated.
        """
        wanted, found = set(entry_ids), {}
        for job in sorted(self._jobs.values(), key=lambda j: j.created_at):
            if job.company_id != company_id:
                continue
            for entry in wanted & job.items.keys():
                found[entry] = copy.deepcopy(job.items[entry])
        return found

    def api_get_job(self, key, job_id: str) -> dict:
        """``GET /v3/export-jobs/{jobId}``."""
        with self._lock:
            self._expire_due()
            return self._job_api(self._visible_job(key, job_id))

    def api_job_event(
        self,
        key,
        job_id: str,
        event: str,
        failure_reason: str | None,
        failure_reason_type: str | None,
    ) -> None:
        """``POST /v3/export-job-events``: apply one event or raise 422."""
        with self._lock:
            self._expire_due()
            job = self._visible_job(key, job_id)
            moment = self.now()
            record = {"event": event, "at": iso(moment), "status_before": job.status}
            if failure_reason_type is not None:
                record["failureReasonType"] = failure_reason_type
            job.events.append(record)
            if event == "started":
                if job.status == "in_progress" and self.behaviour.second_started == "accept":
                    record["result"] = "ignored"
                    return
                if job.status != "pending":
                    record["result"] = "422"
                    raise self._invalid_change(job, event)
                job.status, job.started_at, job.last_updated_at = "in_progress", moment, moment
                record["result"] = "applied"
                return
            if job.status == event and self.behaviour.repeat_final_event == "accept":
                record["result"] = "ignored"
                return
            if job.status != "in_progress":
                record["result"] = "422"
                raise self._invalid_change(job, event)
            if event == "failed":
                job.failure_reason = failure_reason
                job.failure_reason_type = failure_reason_type
            job.finish(event, moment)
            record["result"] = "applied"

    @staticmethod
    def _invalid_change(job: Job, event: str) -> ExportError:
        return ExportError(
            422,
            "INVALID_EXPORT_JOB_STATUS_CHANGE",
            f"Export Job status change failed: event {event} on a job that is {job.status}.",
        )

    @staticmethod
    def _finished(job: Job) -> ExportError:
        return ExportError(
            422,
            "EXPORT_JOB_STATUS_UNPROCESSABLE",
            f"Export job is {job.status} and can no longer be processed.",
        )

    def api_job_items(self, key, job_id: str, status: str | None) -> list[dict]:
        """``GET /v3/export-jobs/{jobId}/items``: the control list, optionally one status."""
        with self._lock:
            self._expire_due()
            job = self._visible_job(key, job_id)
            return [
                entry.to_api(job.id)
                for entry in job.control.values()
                if status is None or entry.status == status
            ]

    def api_update_items(self, key, job_id: str, updates: list[dict]) -> tuple[list, list]:
        """``PUT /v3/export-jobs/{jobId}/items``: (updated items, per-item errors)."""
        with self._lock:
            self._expire_due()
            job = self._visible_job(key, job_id)
            if len(updates) > MAX_ITEM_UPDATES:
                raise ExportError(
                    413,
                    "EXPORT_JOB_ITEMS_UPDATE_LIMIT",
                    f"Number of items to update is more than {MAX_ITEM_UPDATES}.",
                )
            if job.status != "in_progress":
                raise (
                    self._finished(job)
                    if not job.open
                    else ExportError(
                        422,
                        "EXPORT_JOB_STATUS_UNPROCESSABLE",
                        "Export job is not in progress: send the started event first.",
                    )
                )
            data, errors = [], []
            for update in updates:
                entry = job.control.get(update["accountingEntryId"])
                if entry is None:
                    errors.append(
                        {
                            "accountingEntryId": update["accountingEntryId"],
                            "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
                            "message": "Accounting entry does not exist in this export job.",
                        }
                    )
                    continue
                entry.status = update["status"]
                entry.exported_at = update.get("exportedAt")
                entry.external_id = update.get("externalId")
                entry.external_url = update.get("externalUrl")
                entry.failure_reason = update.get("failureReason")
                entry.failure_reason_type = update.get("failureReasonType")
                entry.updates += 1
                data.append(entry.to_api(job.id))
            job.last_updated_at = self.now()
            return data, errors

    def api_export_items(self, key, job_id: str) -> list[dict]:
        """``GET /v3/export-items?job_id=``: the items of an open job."""
        with self._lock:
            self._expire_due()
            job = self._visible_job(key, job_id)
            if job.company_id in self._missing_contra:
                raise ExportError(
                    400,
                    "MISSING_CONTRA_ACCOUNTS",
                    "Contra accounts are not fully configured. Please map contra accounts in "
                    "the Accounting settings.",
                )
            if not job.open:
                raise self._finished(job)
            return self._served_items(job)


__all__ = [
    "FINAL_JOB_STATUSES",
    "ITEM_FAILURE_TYPES",
    "ITEM_STATUSES",
    "JOB_EVENTS",
    "JOB_FAILURE_TYPES",
    "JOB_STATUSES",
    "ExportError",
    "ExportState",
]
