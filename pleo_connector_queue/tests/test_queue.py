# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Pleo work on the job queue: what the crons and the buttons enqueue, what a job does, how
Pleo's 429 and 5xx become a retry at Pleo's Retry-After, the company's lock, what people see.

The jobs run here as queue_job's runner runs them (the job's record marked started, its method
called on its records with its arguments), in the test's transaction: pleo_connector's commits
are savepoints (``ExportCase``). The real runner, with real commits and a killed worker, is the
end-to-end test ``tests/e2e/test_queue_job.py``.
"""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from odoo.addons.pleo_connector_export.tests.common import EXPORT_LOGGERS, ExportCase
from odoo.addons.queue_job.exception import RetryableJobError

from ..models.pleo_connection import CHANNEL, LOCK_RETRY_SECONDS, LOCK_SPACES, PRESS_PRIORITY

LOGGERS = (*EXPORT_LOGGERS, "odoo.addons.pleo_connector_queue.models.pleo_connection")


@tagged("post_install", "-at_install", "pleo_queue")
class TestQueue(ExportCase):
    def setUp(self):
        super().setUp()
        self.Job = self.env["queue.job"].sudo()
        self.key_b = self.connect(self.conn_b, self.mint(self.pleo_b), self.manager_b)
        journal_b = self.env["account.journal"].create(
            {"name": "Pleo B", "code": "PLEOB", "type": "general", "company_id": self.company_b.id}
        )
        self.conn_b.write({"export_enabled": True, "export_journal_id": journal_b.id})
        self.new_round()
        self.sandbox.reset_requests()

    # ------------------------------------------------------------------ helpers

    def jobs(self, method="_queue_export"):
        return self.Job.search([("method_name", "=", method)], order="id")

    def perform(self, job):
        """Run ``job`` as the runner does: marked started, its method called (may raise)."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE queue_job SET state = 'started' WHERE id = %s", [job.id])
        self.env.invalidate_all()
        records = job.records.with_context(job_uuid=job.uuid)
        with mute_logger(*LOGGERS):
            result = getattr(records, job.method_name)(*job.args, **job.kwargs)
        self.env.cr.execute("UPDATE queue_job SET state = 'done' WHERE id = %s", [job.id])
        self.env.invalidate_all()
        return result

    def records(self, jobs):
        """The connections ``jobs`` run on."""
        return self.env["pleo.connection"].union(*(job.records for job in jobs))

    def job_of(self, jobs, connection):
        return jobs.filtered(lambda job: job.records == connection)

    def raised(self, job):
        """The ``RetryableJobError`` ``job`` raises (Odoo's ``assertRaises`` would roll back to
        a savepoint that the export's commits, savepoints here, have released)."""
        try:
            self.perform(job)
        except RetryableJobError as error:
            return error
        self.fail(f"{job.name} did not ask to be retried")

    def run_cron(self):
        with mute_logger(*LOGGERS):
            self.env["pleo.connection"]._cron_pleo_export()
        return self.jobs()

    # ------------------------------------------------------------------ enqueueing

    def test_the_cron_enqueues_one_job_per_company_with_work_due(self):
        company_c = self.env["res.company"].create({"name": "Odoo Company C"})  # not connected
        jobs = self.run_cron()
        self.assertEqual(self.records(jobs), self.conn_a | self.conn_b)
        for job in jobs:
            connection = job.records
            self.assertEqual(job.identity_key, f"pleo_connector_queue.export.{connection.id}")
            self.assertEqual(job.channel, CHANNEL)
            self.assertEqual(job.state, "pending")
            self.assertEqual(job.priority, 10)
            self.assertIn(connection.company_id.name, job.name)
        self.assertNotIn(company_c.pleo_connection_ids, self.records(jobs))
        # Nothing was booked, nothing asked of Pleo: the jobs do that.
        self.assertFalse(self.sandbox.requests)
        # The next round, while the jobs wait: no second job for a company.
        self.assertEqual(self.run_cron(), jobs)
        # A running job counts as the company's job too.
        self.env.cr.execute("UPDATE queue_job SET state = 'started' WHERE id = %s", [jobs[0].id])
        self.env.invalidate_all()
        self.assertEqual(self.run_cron(), jobs)

    def test_no_job_for_a_company_without_work_due(self):
        self.conn_b.export_enabled = False  # B does not book exports
        self.conn_a.export_polled_at = "2099-01-01 00:00:00"  # A was fetched in this round
        self.assertFalse(self.run_cron())
        self.conn_a.export_polled_at = False
        self.assertEqual(self.records(self.run_cron()), self.conn_a)

    def test_the_setup_sync_cron_enqueues_per_company_that_syncs(self):
        self.conn_a.sync_taxes = True
        with mute_logger(*LOGGERS):
            self.env["pleo.connection"]._cron_pleo_setup_sync()
        jobs = self.jobs("_queue_setup_sync")
        self.assertEqual(jobs.records, self.conn_a)
        self.assertEqual(jobs.identity_key, f"pleo_connector_queue.setup.{self.conn_a.id}")
        self.assertEqual(jobs.channel, CHANNEL)
        self.assertFalse(self.jobs(), "the setup cron enqueues no export")

    def test_fetch_exports_now_queues_and_says_what_it_queued(self):
        button = self.conn_a.with_user(self.manager_a).action_fetch_exports
        action = self.press(button, *LOGGERS)
        jobs = self.jobs()
        self.assertEqual(jobs.records, self.conn_a)
        self.assertEqual(jobs.priority, PRESS_PRIORITY, "a person's press goes first")
        self.assertEqual(jobs.channel, CHANNEL)
        self.assertEqual(jobs.kwargs, {"lang": self.manager_a.lang})
        message = action["params"]["message"]
        self.assertIn("Queued", message)
        self.assertIn("Odoo Company A", message)
        self.assertEqual(
            action["params"]["links"][0]["url"],
            "/odoo/action-pleo_connector_export.pleo_export_job_action",
        )
        self.assertFalse(self.sandbox.requests, "the press asks nothing of Pleo itself")
        again = self.press(button, *LOGGERS)
        self.assertEqual(self.jobs(), jobs)
        self.assertIn("already queued or running", again["params"]["message"])
        # The scheduler's round enqueues nothing more for A.
        self.assertEqual(self.records(self.run_cron()), self.conn_a | self.conn_b)

    def test_sync_setup_to_pleo_queues_and_says_so(self):
        self.conn_a.sync_taxes = True
        action = self.press(self.conn_a.with_user(self.manager_a).action_sync_setup, *LOGGERS)
        job = self.jobs("_queue_setup_sync")
        self.assertEqual(self.records(job), self.conn_a)
        self.assertEqual(job.priority, PRESS_PRIORITY)
        self.assertIn("Queued: the setup of Odoo Company A", action["params"]["message"])
        self.assertFalse(self.sandbox.requests, "the press asks nothing of Pleo itself")

    # ------------------------------------------------------------------ the jobs

    def test_a_job_books_the_export_as_the_cron_does(self):
        pleo_job = self.add_job(n=5)
        job = self.job_of(self.run_cron(), self.conn_a)
        result = self.perform(job)
        state = self.pleo_job(pleo_job)
        self.assertEqual(state["status"], "completed")
        self.assertEqual(len(self.moves()), 5)
        self.assertEqual(self.job(pleo_job).booked_count, 5)
        self.assertTrue(self.conn_a.export_polled_at, "fetched to the end in this round")
        self.assertIn("5 booked", result)
        self.assertFalse(
            self.jobs().filtered(lambda j: j.state == "pending" and j.records == self.conn_a),
            "no hand-over: nothing left",
        )

    def test_a_job_whose_slice_ends_hands_over_to_the_companys_next_job(self):
        # 150 items are two pages; reporting a page to Pleo takes 1.5 s, the slice 2 s: the
        # first job books one page and hands over, the next one books the second.
        pleo_job = self.add_job(n=150)
        self.sandbox.inject_fault("/v3/export-jobs/*/items", method="PUT", kind="slow", latency=1.5)
        job = self.job_of(self.run_cron(), self.conn_a)
        with self.patch_config(pleo_queue_slice_seconds="2"):
            result = self.perform(job)
            self.assertIn("next job", result)
            self.assertEqual(self.job(pleo_job).booked_count, 100)
            self.assertFalse(self.conn_a.export_polled_at, "left half-way")
            follow = self.jobs().filtered(
                lambda j: j.state == "pending" and j.records == self.conn_a
            )
            self.assertEqual(len(follow), 1)
            self.assertEqual(follow.identity_key, job.identity_key)
            self.perform(follow)
        self.assertEqual(self.pleo_job(pleo_job)["status"], "completed")
        self.assertEqual(len(self.moves()), 150)

    def test_a_setup_sync_job_syncs_as_the_cron_does(self):
        self.conn_a.sync_taxes = True
        with mute_logger(*LOGGERS):
            self.env["pleo.connection"]._cron_pleo_setup_sync()
        self.perform(self.jobs("_queue_setup_sync"))
        self.assertTrue(self.conn_a.setup_last_sync)
        self.assertIn("Tax codes", self.conn_a.setup_summary)
        self.assertTrue(self.sandbox.count("POST"), "the taxes went to Pleo")

    # ------------------------------------------------------------------ Pleo says wait

    def assertRetriesAt(self, job, seconds):
        error = self.raised(job)
        self.assertEqual(error.seconds, seconds)
        self.assertFalse(error.ignore_retry, "Pleo's refusals count as retries")
        return error

    def test_pleo_429_retries_the_job_at_pleos_retry_after(self):
        pleo_job = self.add_job(n=3)
        jobs = self.run_cron()
        self.sandbox.inject_fault("/v3/export-jobs", method="GET", kind="rate_limit", retry_after=7)
        error = self.assertRetriesAt(self.job_of(jobs, self.conn_a), 7)
        self.assertIn("too many requests", str(error))
        self.assertFalse(self.moves())
        # Company B's job is not held up by A's: it runs to its end at Pleo.
        self.sandbox.clear_faults()
        job_b = self.sandbox.add_export_job(self.pleo_b, n=2, wallet_currency="USD")
        self.perform(self.job_of(jobs, self.conn_b))
        self.assertIn(self.pleo_job(job_b)["status"], ("completed", "completed_with_errors"))
        # A's job, run again when Pleo lets it, books its export.
        self.perform(self.job_of(jobs, self.conn_a))
        self.assertEqual(self.pleo_job(pleo_job)["status"], "completed")

    def test_pleo_503_mid_job_retries_at_pleos_retry_after(self):
        pleo_job = self.add_job(n=3)
        job = self.job_of(self.run_cron(), self.conn_a)
        self.sandbox.inject_fault(
            "/v3/export-items", method="GET", kind="status", status=503, retry_after=4
        )
        self.assertRetriesAt(job, 4)
        self.assertEqual(self.job(pleo_job).state, "in_progress", "claimed, resumed by the retry")
        self.sandbox.clear_faults()
        self.perform(job)
        self.assertEqual(self.pleo_job(pleo_job)["status"], "completed")
        self.assertEqual(self.pleo_job(pleo_job)["events"][0]["event"], "started")
        self.assertEqual(
            [e["event"] for e in self.pleo_job(pleo_job)["events"]], ["started", "completed"]
        )

    def test_pleo_500_without_retry_after_retries_at_the_job_functions_pattern(self):
        self.add_job(n=1)
        job = self.job_of(self.run_cron(), self.conn_a)
        self.sandbox.inject_fault("/v3/export-jobs", method="GET", kind="status", status=500)
        self.assertRetriesAt(job, None)
        function = self.env.ref("pleo_connector_queue.queue_job_function_pleo_export")
        self.assertTrue(function.allow_commit)
        self.assertEqual(function._parse_retry_pattern(), {1: 30, 3: 120, 5: 600})

    def test_a_refusal_that_waiting_cannot_cure_is_no_retry(self):
        self.add_job(n=1)
        job = self.job_of(self.run_cron(), self.conn_a)
        self.sandbox.revoke_key(self.key)
        result = self.perform(job)  # no RetryableJobError: the next round tries again
        self.assertIn("1 errors", result)

    # ------------------------------------------------------------------ an unexpected error

    def test_an_unexpected_error_retries_the_job_and_books_nothing_twice(self):
        # A's export is two pages; its first report to Pleo, after the page was committed in
        # Odoo, meets a bug (fault injection). B's export is not held up by A's.
        pleo_job = self.add_job(n=150)
        pleo_job_b = self.sandbox.add_export_job(self.pleo_b, n=2, wallet_currency="USD")
        jobs = self.run_cron()
        job_model = type(self.env["pleo.export.job"])
        report = job_model._report
        bugs = []

        def report_once_with_a_bug(job, api, items):
            if not bugs:
                bugs.append(job.pleo_job_uuid)
                raise RuntimeError("a bug")
            return report(job, api, items)

        with patch.object(job_model, "_report", report_once_with_a_bug):
            error = self.raised(self.job_of(jobs, self.conn_a))
        self.assertEqual(bugs, [pleo_job])
        self.assertIsNone(error.seconds, "the job function's retry pattern")
        self.assertFalse(error.ignore_retry, "counted: queue_job gives up after its retries")
        self.assertIn("unexpected error stopped the export of Odoo Company A", str(error))
        self.assertNotIn("a bug", str(error), "no raw Python error reaches a user")
        self.assertEqual(len(self.moves()), 100, "the committed page is kept")
        self.assertEqual(self.job(pleo_job).attempts, 1)
        self.assertFalse(
            [row for row in self.pleo_job(pleo_job)["items"] if row["updates"]],
            "Pleo was not told yet",
        )
        # B runs meanwhile, to its end.
        self.perform(self.job_of(jobs, self.conn_b))
        self.assertIn(self.pleo_job(pleo_job_b)["status"], ("completed", "completed_with_errors"))
        # A's retry reports the page booked before the bug without booking it again.
        self.perform(self.job_of(jobs, self.conn_a))
        self.assertEqual(self.pleo_job(pleo_job)["status"], "completed")
        moves = self.moves()
        self.assertEqual(len(moves), 150)
        self.assertEqual(len(set(moves.mapped("pleo_entry_uuid"))), 150, "each item once")
        updates = {
            row["accountingEntryId"]: row["updates"] for row in self.pleo_job(pleo_job)["items"]
        }
        self.assertEqual(set(updates), set(moves.mapped("pleo_entry_uuid")))
        self.assertEqual(set(updates.values()), {1}, "each item reported to Pleo once")

    def test_a_job_that_failed_its_retries_is_enqueued_again_by_the_next_round(self):
        self.add_job(n=1)
        job = self.job_of(self.run_cron(), self.conn_a)
        job_model = type(self.env["pleo.export.job"])
        with patch.object(job_model, "_book_page", side_effect=RuntimeError("a bug")):
            error = self.raised(job)
        # What queue_job does when the last retry raises it again (Job.perform).
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'failed', exc_name = 'FailedJobError', "
            "exc_message = %s, date_done = now() AT TIME ZONE 'UTC' WHERE id = %s",
            [f"Max. retries (5) reached: {error}", job.id],
        )
        self.env.invalidate_all()
        self.assertIn("Failed at", self.conn_a.export_queue_state)
        self.assertIn("unexpected error stopped the export", self.conn_a.export_queue_state)
        self.new_round()
        again = self.job_of(self.run_cron(), self.conn_a) - job
        self.assertEqual(len(again), 1, "the failed job does not hold the company's place")
        self.perform(again)
        self.assertEqual(len(self.moves()), 1)

    def test_an_unexpected_error_in_the_setup_sync_retries_its_job(self):
        self.conn_a.sync_taxes = True
        with mute_logger(*LOGGERS):
            self.env["pleo.connection"]._cron_pleo_setup_sync()
        job = self.jobs("_queue_setup_sync")
        connection_model = type(self.env["pleo.connection"])
        with patch.object(connection_model, "_setup_sync_taxes", side_effect=RuntimeError("bug")):
            error = self.raised(job)
        self.assertIsNone(error.seconds)
        self.assertIn("unexpected error stopped the setup sync of Odoo Company A", str(error))
        self.assertIn("unexpected error", self.conn_a.setup_summary)
        self.perform(job)
        self.assertIn("Tax codes", self.conn_a.setup_summary)

    # ------------------------------------------------------------------ never twice at once

    def test_a_job_waits_while_another_holds_its_companys_lock(self):
        self.add_job(n=1)
        job = self.job_of(self.run_cron(), self.conn_a)
        with self.registry.cursor() as other:  # another worker, running A's export
            other.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_SPACES["export"], self.conn_a.id)
            )
            error = self.raised(job)
            self.assertEqual(error.seconds, LOCK_RETRY_SECONDS)
            self.assertTrue(error.ignore_retry, "waiting for the lock is no retry")
        self.assertFalse(self.moves())
        self.perform(job)
        self.assertEqual(len(self.moves()), 1)

    # ------------------------------------------------------------------ what people see

    def test_the_connection_and_the_export_show_the_queue_jobs_state(self):
        self.assertFalse(self.conn_a.export_queue_state)
        pleo_job = self.add_job(n=1)
        job = self.job_of(self.run_cron(), self.conn_a)
        self.conn_a.invalidate_recordset()
        self.assertIn("Queued since", self.conn_a.export_queue_state)
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'started', date_started = now() AT TIME ZONE 'UTC' "
            "WHERE id = %s",
            [job.id],
        )
        self.env.invalidate_all()
        self.assertIn("Running since", self.conn_a.export_queue_state)
        self.sandbox.inject_fault(
            "/v3/export-jobs", method="GET", kind="rate_limit", retry_after=60
        )
        error = self.raised(job)
        # Python's clock, not PostgreSQL's now(): that is the test transaction's start.
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'pending', result = %s, eta = %s WHERE id = %s",
            [str(error), fields.Datetime.now() + timedelta(seconds=60), job.id],
        )
        self.env.invalidate_all()
        self.assertIn("Retrying at", self.conn_a.export_queue_state)
        self.assertIn("too many requests", self.conn_a.export_queue_state)
        self.sandbox.clear_faults()
        self.perform(job)
        self.env.cr.execute(
            "UPDATE queue_job SET date_done = now() AT TIME ZONE 'UTC' WHERE id = %s", [job.id]
        )
        self.env.invalidate_all()
        self.assertIn("Done at", self.conn_a.export_queue_state)
        self.assertEqual(self.job(pleo_job).queue_state, self.conn_a.export_queue_state)
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'failed', exc_message = 'boom' WHERE id = %s", [job.id]
        )
        self.env.invalidate_all()
        self.assertIn("Failed at", self.conn_a.export_queue_state)
        self.assertIn("boom", self.conn_a.export_queue_state)

    def test_the_forms_show_the_queue_states(self):
        form = self.env["pleo.connection"].get_view(view_type="form")["arch"]
        self.assertIn('name="export_queue_state"', form)
        self.assertIn('name="setup_queue_state"', form)
        job_form = self.env["pleo.export.job"].get_view(view_type="form")["arch"]
        self.assertIn('name="queue_state"', job_form)

    def patch_config(self, **options):
        return patch.dict(config.options, options)
