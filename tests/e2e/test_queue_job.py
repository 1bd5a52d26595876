"""Month-end on OCA's queue_job: a real job runner books two companies' exports, each once.

The server is ``odoo-bin --workers=2`` with ``queue_job`` loaded server-wide (``--load`` as
``server_wide_modules = web,queue_job`` in its ``odoo.conf``) and ``[queue_job] channels =
root:4,root.pleo:4``: its job runner (a process of its own) hands the jobs to the HTTP workers,
its scheduler runs the export cron, which only enqueues. On a copy of the suite's template where
``pleo_connector_queue`` (and so ``queue_job``) was installed first. Nothing is patched.

When queue_job is not installed for the Odoo that runs the suite, the test is skipped with a
loud reason (``tests/run.sh`` installs it: see README.md, "Month-end on queue_job").
"""

import os
import shutil
import signal
import time

import pytest

from .company import Site
from .flows import EXPORT_CRON, assert_booked_once_and_reported, export_state, schedule_now
from .harness import (
    QUEUE_JOB_MISSING,
    OdooServer,
    missing_settings,
    queue_job_found,
    running_server,
    wait_until,
    watch,
)

pytestmark = pytest.mark.pleo_e2e

CHANNELS = "root:4,root.pleo:4"


@pytest.fixture(scope="module")
def queue_settings(settings):
    """The suite's settings, with a template where pleo_connector_queue is installed."""
    if missing_settings():
        pytest.skip("no Odoo")
    if not queue_job_found(settings):
        message = QUEUE_JOB_MISSING.format(python=settings.python, path=settings.addons_path)
        print("\n" + message)
        pytest.skip(message)
    template = OdooServer(settings, "queue_tpl")
    try:
        yield template.install(["pleo_connector_queue"])
    finally:
        template.db.drop()
        shutil.rmtree(template.dir / "data", ignore_errors=True)


@pytest.fixture(scope="module")
def site(queue_settings, sandbox):
    options = {"server_wide_modules": "web,queue_job", "pleo_queue_slice_seconds": "8"}
    with running_server(
        queue_settings,
        "queue",
        sandbox,
        workers=2,
        options=options,
        sections={"queue_job": {"channels": CHANNELS}},
    ) as server:
        yield Site(server, sandbox)


def queue_jobs(db, connection_id):
    """``[(uuid, state, retry, worker_pid)]`` of a company's export jobs, oldest first."""
    return db.rows(
        "SELECT uuid, state, retry, worker_pid FROM queue_job WHERE identity_key = %s ORDER BY id",
        (f"pleo_connector_queue.export.{connection_id}",),
    )


def queue_state(tenant):
    """What the company's Pleo Manager reads on the connection: its export's queue job."""
    rows = tenant.user.call(
        "pleo.connection",
        "search_read",
        [("company_id", "=", tenant.id)],
        ["export_queue_state"],
        company=tenant.id,
    )
    return rows[0]["export_queue_state"]


def test_a_real_job_runner_books_two_companies_once_each_and_survives_a_killed_worker(
    site, figures, request
):
    watch(request, site.server)
    one, two = site.tenant("Queue One"), site.tenant("Queue Two")
    job_one = site.sandbox.add_export_job(one.pleo, n=150, wallet_currency="USD")
    job_two = site.sandbox.add_export_job(two.pleo, n=40, wallet_currency="USD")
    # Company One's first report to Pleo takes 4 s: the worker is killed while it waits,
    # after its page was committed in Odoo and before Pleo was told.
    report_one = f"/v3/export-jobs/{job_one}/items"
    site.sandbox.inject_fault(report_one, method="PUT", kind="slow", latency=4, times=1)
    site.sandbox.reset_requests()
    started = time.monotonic()
    assert schedule_now(site.admin, EXPORT_CRON), "the export cron stayed busy"

    def reporting():
        waiting = [r for r in site.sandbox.requests if r.method == "PUT" and r.path == report_one]
        return waiting and waiting[0].status is None

    wait_until(reporting, 120, 0.1, what="company One's first report to Pleo")
    running = [row for row in queue_jobs(site.db, one.company.connection_id) if row[1] == "started"]
    assert len(running) == 1, queue_jobs(site.db, one.company.connection_id)
    worker = running[0][3]
    assert queue_state(one).startswith("Running since"), queue_state(one)
    booked_before_kill = export_state(site.db, site.sandbox, one.id, job_one).booked
    os.kill(worker, signal.SIGKILL)
    killed_at = time.monotonic() - started

    states = {}
    for tenant, job in ((one, job_one), (two, job_two)):
        states[tenant.id] = wait_until(
            lambda tenant=tenant, job=job: (
                (state := export_state(site.db, site.sandbox, tenant.id, job)).done and state
            ),
            240,
            0.5,
            what=f"Pleo's job of {tenant.company.name} finished",
        )
    seconds = time.monotonic() - started
    for tenant, job in ((one, job_one), (two, job_two)):
        assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, states[tenant.id])
    # The killed job was found dead by the runner and run again: it reported the page it had
    # booked before the kill without booking it again (one entry per Pleo expense, above).
    rows_one = queue_jobs(site.db, one.company.connection_id)
    # queue_job counts each run in ``retry`` (a job done at its first run has 1; the runner's
    # re-queue of a dead job adds one, its new run another).
    assert any(row[2] >= 2 for row in rows_one), rows_one
    assert site.server.log_lines("Re-queued dead job"), "the runner did not requeue the job"
    assert 0 < booked_before_kill < 150, booked_before_kill

    # Both companies' jobs ran on the channel, and each job ended well.
    def all_done():
        rows = site.db.rows(
            "SELECT identity_key, state, channel FROM queue_job WHERE identity_key LIKE "
            "'pleo_connector_queue.export.%%'"
        )
        return rows if all(row[1] == "done" for row in rows) else None

    jobs = wait_until(all_done, 60, 0.5, what="every queue job done")
    assert {row[2] for row in jobs} == {"root.pleo"}, jobs
    assert {row[1] for row in jobs} == {"done"}, jobs
    assert queue_state(one).startswith("Done at"), queue_state(one)
    figures("seconds", round(seconds, 1))
    figures("killed_after_seconds", round(killed_at, 1))
    figures("queue_jobs_company_one", len(rows_one))
    figures("queue_jobs_company_two", len(queue_jobs(site.db, two.company.connection_id)))


def test_the_connection_and_the_open_export_show_the_retry_at_pleos_retry_after(site, request):
    """Pleo answers 503 with Retry-After while a company's export is open: the connection and
    the export say when the job tries again, and the runner's retry books it, once."""
    watch(request, site.server)
    three = site.tenant("Queue Three")
    job = site.sandbox.add_export_job(three.pleo, n=5, wallet_currency="USD")
    # Twice: pleo_connector's client tries a 503 once more by itself before it gives up.
    site.sandbox.inject_fault(
        "/v3/export-items", method="GET", kind="status", status=503, retry_after=20, times=2
    )
    assert schedule_now(site.admin, EXPORT_CRON), "the export cron stayed busy"
    retrying = wait_until(
        lambda: (state := queue_state(three) or "").startswith("Retrying at") and state,
        120,
        0.3,
        what="the connection showing the retry",
    )
    export = three.user.call(
        "pleo.export.job",
        "search_read",
        [("pleo_job_uuid", "=", job)],
        ["state", "queue_state"],
        company=three.id,
    )
    assert [(row["state"], row["queue_state"]) for row in export] == [("in_progress", retrying)]
    final = wait_until(
        lambda: (state := export_state(site.db, site.sandbox, three.id, job)).done and state,
        120,
        0.5,
        what="the retried job finished",
    )
    assert_booked_once_and_reported(site.db, site.sandbox, three.id, job, final)
    done = wait_until(
        lambda: (state := queue_state(three) or "").startswith("Done at") and state,
        60,
        0.5,
        what="the connection showing the job done",
    )
    rows = queue_jobs(site.db, three.company.connection_id)
    assert {row[1] for row in rows} == {"done"}, (rows, done)
    # queue_job counts each run in ``retry`` (a job done at its first run has 1).
    assert rows[0][2] == 2, f"the first job ran twice, the second after Pleo's wait: {rows}"
