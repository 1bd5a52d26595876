"""What the tests read and do around the scheduled actions and the export, by RPC and SQL."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .harness import RpcError, utc_now_string

EXPORT_CRON = "pleo_connector.ir_cron_pleo_export"
HEALTH_CRON = "pleo_connector.ir_cron_pleo_health_check"
SETUP_CRON = "pleo_connector.ir_cron_pleo_setup_sync"


def write_cron(admin, xmlid, values, timeout=90):
    """An administrator's edit of a scheduled action. Odoo refuses it while the action runs
    ("cannot be modified right now"); the administrator tries again, as here. Returns the
    action's id, or None if it was running all along."""
    cron = admin.xmlid(xmlid)
    deadline = time.monotonic() + timeout
    while True:
        try:
            admin.call("ir.cron", "write", [cron], values)
            return cron
        except RpcError as error:
            if "modified right now" not in error.message:
                raise
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)


def schedule_now(admin, xmlid, **values):
    """Set the scheduled action's next execution to now (its form's "Next Execution Date"):
    the scheduler runs it at once (a change of ``nextcall`` wakes it, see ``OdooServer``). If
    it is running for 20 s in a row, it is left alone: it runs anyway."""
    done = write_cron(admin, xmlid, {"nextcall": utc_now_string(-1), **values}, timeout=20)
    if done is None:
        print(f"[e2e] {xmlid} ran for 20 s in a row: not rescheduled, it is running anyway")
    return done


def cron_runs(db, cron_id, since):
    """``(runs, last run's start)`` of a scheduled action since ``since`` (UTC string): each run
    of its server action is one ``ir_cron_progress`` row."""
    rows = db.rows(
        "SELECT count(*), max(create_date) FROM ir_cron_progress "
        "WHERE cron_id = %s AND create_date >= %s",
        (cron_id, since),
    )
    return rows[0]


@dataclass
class ExportState:
    """One export job as Odoo and Pleo (the sandbox) see it."""

    items: int
    odoo_job: str | None  # state of Odoo's pleo.export.job, None if Odoo never saw it
    booked: int  # export items booked in Odoo
    failed: int
    reported: int  # export items Odoo marked reported
    moves: int  # account.move of this company carrying one of the job's Pleo entry ids
    distinct_moves: int  # distinct Pleo entry ids among them
    pleo_status: str  # the job's status at Pleo
    pleo_results: dict  # item status at Pleo -> count
    events: list

    @property
    def done(self):
        return self.pleo_status in ("completed", "completed_with_errors", "failed")

    def describe(self):
        return (
            f"Pleo: job {self.pleo_status}, items {self.pleo_results}, events {self.events}; "
            f"Odoo: job {self.odoo_job or 'never recorded'}, {self.booked} booked, "
            f"{self.failed} failed, {self.reported} reported, {self.moves} entries "
            f"({self.distinct_moves} distinct Pleo ids) of {self.items} items"
        )


def export_state(db, sandbox, company_id, job_id):
    pleo = sandbox.export_job(job_id)
    entries = [row["accountingEntryId"] for row in pleo["items"]]
    results = {}
    for row in pleo["items"]:
        results[row["status"]] = results.get(row["status"], 0) + 1
    job = db.rows(
        "SELECT j.state, "
        "  count(i.id) FILTER (WHERE i.state = 'booked'), "
        "  count(i.id) FILTER (WHERE i.state = 'failed'), "
        "  count(i.id) FILTER (WHERE i.reported) "
        "FROM pleo_export_job j LEFT JOIN pleo_export_item i ON i.job_id = j.id "
        "WHERE j.pleo_job_uuid = %s GROUP BY j.id",
        (job_id,),
    )
    moves = db.rows(
        "SELECT count(*), count(DISTINCT pleo_entry_uuid) FROM account_move "
        "WHERE company_id = %s AND pleo_entry_uuid = ANY(%s)",
        (company_id, entries),
    )[0]
    state, booked, failed, reported = job[0] if job else (None, 0, 0, 0)
    return ExportState(
        items=len(entries),
        odoo_job=state,
        booked=booked,
        failed=failed,
        reported=reported,
        moves=moves[0],
        distinct_moves=moves[1],
        pleo_status=pleo["status"],
        pleo_results=results,
        events=[event["event"] for event in pleo["events"]],
    )


def cron_completions(server, cron_name, since):
    """Runs of the scheduled action ``cron_name`` that ended after log offset ``since`` (Odoo
    logs "Job '<name>' (<id>) fully done|partially done|failed (#loop …)" at each end)."""
    return len(server.log_lines(f"Job '{cron_name}' (", "(#loop", since=since))


def wait_export(db, sandbox, company_id, job_id, timeout, *, until=None, stalled=None):
    """Poll until Pleo's job is finished (or ``until(state)``), ``stalled(state)`` names a
    reason to stop waiting, or ``timeout`` s pass; return ``(state, seconds, stall reason)``."""
    started = time.monotonic()
    until = until or (lambda state: state.done)
    while True:
        state = export_state(db, sandbox, company_id, job_id)
        elapsed = time.monotonic() - started
        reason = stalled(state) if stalled else None
        if until(state) or reason or elapsed > timeout:
            return state, elapsed, reason
        time.sleep(0.25)


def export_stall(server, since):
    """A ``stalled`` check for :func:`wait_export`: two runs of the export cron ended since log
    offset ``since`` (so one began after the job came) and Pleo's job is still pending."""

    def check(state):
        runs = cron_completions(server, "Pleo: book exports", since)
        if runs >= 2 and state.pleo_status == "pending":
            return f"the export cron ran {runs} times since the job came and never claimed it"
        return None

    return check


def export_by_the_scheduler(site, company_id, job_id, timeout, since_log):
    """Make the export cron due now (its record, as an administrator would) and wait until the
    scheduler alone has finished Pleo's job: ``(state, seconds, stall reason)`` as
    :func:`wait_export`, with :func:`export_stall` from server-log offset ``since_log``."""
    schedule_now(site.admin, EXPORT_CRON)
    return wait_export(
        site.db,
        site.sandbox,
        company_id,
        job_id,
        timeout=timeout,
        stalled=export_stall(site.server, since_log),
    )


def assert_booked_once_and_reported(db, sandbox, company_id, job_id, state):
    """Every item of the job: one entry in Odoo, and Pleo told 'successful' with that entry."""
    assert state.pleo_status == "completed", state.describe()
    assert state.pleo_results == {"successful": state.items}, state.describe()
    pleo = sandbox.export_job(job_id)
    entries = [row["accountingEntryId"] for row in pleo["items"]]
    rows = db.rows(
        "SELECT pleo_entry_uuid, array_agg(id) FROM account_move "
        "WHERE company_id = %s AND pleo_entry_uuid = ANY(%s) GROUP BY pleo_entry_uuid",
        (company_id, entries),
    )
    by_entry = dict(rows)
    twice = {entry: ids for entry, ids in by_entry.items() if len(ids) != 1}
    assert not twice, f"Pleo entries booked more than once: {twice}"
    missing = set(entries) - set(by_entry)
    assert not missing, f"{len(missing)} Pleo entries have no entry in Odoo: {sorted(missing)[:5]}"
    wrong = [
        row["accountingEntryId"]
        for row in pleo["items"]
        if row.get("externalId") != str(by_entry[row["accountingEntryId"]][0])
    ]
    assert not wrong, f"{len(wrong)} items reported to Pleo with another entry than Odoo's"
    assert state.events == ["started", "completed"], state.events


def into_the_schedulers_minute(db, cron_id, since, offset=40.0, timeout=180):
    """Wait until ``offset`` s after the scheduled action's last run (one that began after
    ``since``, UTC string), e.g. to make a job then.

    Odoo's cron thread looks at every database once a minute, but a notification for another
    database (from any Odoo on the same PostgreSQL) restarts that minute: a scheduled action due
    every minute runs 60 to 120 s after its last run. A job made ``offset`` = 40 s into the
    minute is so run by the scheduler within 80 s, whatever other servers do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        age = db.value(
            "SELECT extract(epoch FROM (now() AT TIME ZONE 'UTC') - lastcall) FROM ir_cron "
            "WHERE id = %s AND lastcall >= %s",
            (cron_id, since),
        )
        if age is not None:
            time.sleep(max(offset - float(age), 0))
            return
        time.sleep(0.5)
    raise TimeoutError(f"scheduled action {cron_id} did not run within {timeout} s")


class JobWatch:
    """Makes an export job (``make_job()``, after ``before()``) and watches it from that
    moment, in a thread of its own, until Pleo's job is finished or ``timeout`` s have passed:
    :meth:`result` then gives what :func:`wait_export` returns, :attr:`job` the job's id and
    :attr:`since_log` the server log's size when it was made."""

    def __init__(self, server, sandbox, company_id, make_job, timeout, before=None):
        self.server, self.sandbox, self.company_id = server, sandbox, company_id
        self.make_job, self.before, self.timeout = make_job, before, timeout
        self.job = self.since_log = None
        self._result = self._error = None
        self.thread = threading.Thread(target=self._run, name="job watch", daemon=True)
        self.thread.start()

    def _run(self):
        try:
            if self.before:
                self.before()
            self.since_log = self.server.log_size()
            self.job = self.make_job()
            self._result = wait_export(
                self.server.db, self.sandbox, self.company_id, self.job, self.timeout
            )
        except Exception as error:  # re-raised by result()
            self._error = error

    def result(self):
        self.thread.join(self.timeout + 240)
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise TimeoutError("the watch of the export job did not end")
        return self._result


def fetch_now(tenant, timeout=120):
    """The connection's "Fetch exports now", as its Pleo Manager; (message, seconds)."""
    started = time.monotonic()
    action = tenant.user.button(
        "pleo.connection",
        "action_fetch_exports",
        [tenant.company.connection_id],
        company=tenant.id,
        timeout=timeout,
    )
    seconds = time.monotonic() - started
    assert action["tag"] == "display_notification", action
    return action["params"]["message"], seconds
