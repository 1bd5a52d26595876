# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Each company's Pleo work as a job of OCA's queue_job, so that many companies run at once.

Without this addon one cron worker takes the companies one after another. With it, the export
cron, the setup-sync cron and their buttons only **enqueue**: one job per company with work due
(:meth:`PleoConnection._queue_enqueue`), on the channel ``root.pleo``, with an identity key per
company and kind of work. queue_job's runner hands the jobs to the HTTP workers of every Odoo
server, as many at a time as the channel's capacity allows.

A job does what the cron does for one company in one turn (``_export_poll``,
``_setup_turn``), in a :class:`~odoo.addons.pleo_connector.pleolib.slices.TimeSlice` of its own
(``pleo_queue_slice_seconds``, 30 s by default): the booking, its commits and its exactly-once
rules are pleo_connector's, untouched. When the slice ends with work left, the job enqueues the
company's next job and ends. Pleo's 429 and 5xx (told through the hook
``pleo.connection._pleo_paused``) become a ``RetryableJobError`` at Pleo's ``Retry-After``.

An unexpected error (a bug, a lock or serialization conflict with another company's job, a
database hiccup) is rolled back to the last commit and logged by pleo_connector, as in the
cron; the job then asks queue_job to run it again (a ``RetryableJobError`` at the job
function's retry pattern: 30 s, then 2 minutes; counted: after queue_job's five tries the job
fails with the message, the connection shows it, and the next cron round enqueues the company
again). The retry resumes from the committed pages, so nothing is booked twice, and a
postponed job frees its place on the channel for the other companies. The export's own bound
stays: after three unexpected errors on one Pleo export Odoo gives that export up at Pleo.

Never twice at once: a company has at most one job of a kind waiting or running (the identity
key, and :meth:`_queue_enqueue` looks at the running ones too), and a job holds a PostgreSQL
advisory lock of its company and kind while it runs (held by a connection of its own, so that
the job's commits do not release it, and released by PostgreSQL when a killed worker's
connection drops); a job that finds it taken waits 10 s and tries again, without counting a
retry.
"""

import contextlib
import contextvars
import logging
import math
import sys
import time
import zlib
from dataclasses import dataclass, field

from odoo import api, fields, models
from odoo.tools import config, format_datetime

from odoo.addons.pleo_connector.models.ir_cron import Tally
from odoo.addons.pleo_connector.pleolib.slices import SliceSpent, TimeSlice
from odoo.addons.pleo_connector_export.models.pleo_connection import POLL_ORDER
from odoo.addons.pleo_connector_setup_sync.models.pleo_connection import SETUP_ORDER
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import (
    CANCELLED,
    DONE,
    ENQUEUED,
    FAILED,
    PENDING,
    STARTED,
    WAIT_DEPENDENCIES,
)

_logger = logging.getLogger(__name__)

#: The channel of every Pleo job (its capacity: ``[queue_job] channels = root:4,root.pleo:4``).
CHANNEL = "root.pleo"
#: kind of work -> the job's method.
JOB_METHODS = {"export": "_queue_export", "setup": "_queue_setup_sync"}
#: States of a job that is waiting or running: the company has its job.
ACTIVE_STATES = (WAIT_DEPENDENCIES, PENDING, ENQUEUED, STARTED)
#: Seconds of work a job does before it hands over to the company's next job (server option
#: ``pleo_queue_slice_seconds``). Keep it well under the HTTP workers' ``limit_time_real``.
SLICE_SECONDS = 30.0
#: Priority of a job a person asked for ("Fetch exports now"): before the scheduler's (10).
PRESS_PRIORITY = 5
#: Seconds a job waits when another job of its company and kind holds the lock.
LOCK_RETRY_SECONDS = 10
#: The first key of the advisory locks, per kind (the second is the connection's id).
LOCK_SPACES = {
    kind: zlib.crc32(f"pleo_connector_queue.{kind}".encode()) >> 1 for kind in JOB_METHODS
}


@dataclass
class _Run:
    """What stopped the company's work in the job running in this thread."""

    #: Pleo's errors that paused it (``_pleo_paused``).
    paused: list = field(default_factory=list)
    #: The unexpected errors pleo_connector rolled back and logged.
    unexpected: list = field(default_factory=list)


_RUN = contextvars.ContextVar("pleo_connector_queue_run", default=None)


class PleoConnection(models.Model):
    _inherit = "pleo.connection"

    export_queue_state = fields.Char(
        string="Export queue",
        compute="_compute_queue_state",
        help="The state of this company's export job in Odoo's job queue.",
    )
    setup_queue_state = fields.Char(
        string="Setup sync queue",
        compute="_compute_queue_state",
        help="The state of this company's setup-sync job in Odoo's job queue.",
    )

    # ------------------------------------------------------------------ enqueueing

    def _queue_identity(self, kind):
        """The identity key of this company's jobs of ``kind`` ("export", "setup")."""
        self.ensure_one()
        return f"pleo_connector_queue.{kind}.{self.id}"

    def _queue_jobs(self, kind, states=None):
        """The queue jobs of these companies of ``kind`` (in ``states``), newest first."""
        domain = [("identity_key", "in", [c._queue_identity(kind) for c in self])]
        if states:
            domain.append(("state", "in", list(states)))
        return self.env["queue.job"].sudo().search(domain, order="date_created desc, id desc")

    def _queue_enqueue(self, kind, priority=None, lang=None):
        """Enqueue a job of ``kind`` for each of these companies that has none waiting or
        running (the job calling this, to hand over, does not count). Returns the companies
        whose job was made now."""
        running_now = self.env.context.get("job_uuid")
        busy = {
            job.identity_key
            for job in self._queue_jobs(kind, ACTIVE_STATES)
            if job.uuid != running_now
        }
        queued = self.browse()
        for connection in self:
            key = connection._queue_identity(kind)
            if key in busy:
                continue
            delayed = connection.with_delay(
                channel=CHANNEL,
                identity_key=key,
                priority=priority,
                description=connection._queue_description(kind),
            )
            getattr(delayed, JOB_METHODS[kind])(lang=lang)
            queued |= connection
        return queued

    def _queue_description(self, kind):
        company = self.company_id.name
        if kind == "export":
            return self.env._("Pleo: book the exports of %(company)s", company=company)
        return self.env._("Pleo: sync the setup of %(company)s to Pleo", company=company)

    # ------------------------------------------------------------------ the crons

    @api.model
    def _cron_pleo_export(self):
        """With the job queue, the export cron only enqueues one job per company due."""
        return self._queue_enqueue_due("export", self._export_due_domain(), POLL_ORDER)

    @api.model
    def _cron_pleo_setup_sync(self):
        """With the job queue, the setup-sync cron only enqueues one job per company due."""
        return self._queue_enqueue_due("setup", self._setup_due_domain(), SETUP_ORDER)

    @api.model
    def _queue_enqueue_due(self, kind, due_domain, order):
        due = self.sudo().search(due_domain, order=order)
        queued = due._queue_enqueue(kind)
        _logger.info("Pleo %s: %s companies due, %s jobs queued", kind, len(due), len(queued))
        return True

    def _press_message(self, press):
        """ "Fetch exports now" with the job queue: what the press queued."""
        if "queued" not in press.result:
            return super()._press_message(press)
        message = self._queue_press_message(press, "export")
        return message, "info", [self._exports_link()] if "%s" in message else []

    def _queue_press_message(self, press, kind):
        """What a press queued: these companies' jobs, made now or already there."""
        queued = self.filtered(lambda c: c.id in press.result["queued"])
        waiting = self - queued
        parts = []
        if queued:
            names = ", ".join(queued.mapped("company_id.name"))
            if kind == "export":
                parts.append(
                    self.env._(
                        "Queued: the Pleo exports of %(companies)s are booked in the "
                        "background; follow them in %(path)s.",
                        companies=names,
                        path="%s",  # the link to the exports (see action_fetch_exports)
                    )
                )
            else:
                parts.append(
                    self.env._(
                        "Queued: the setup of %(companies)s is synced to Pleo in the "
                        "background; the connection shows its last sync summary.",
                        companies=names,
                    )
                )
        if waiting:
            parts.append(
                self.env._(
                    "%(companies)s: a job is already queued or running.",
                    companies=", ".join(waiting.mapped("company_id.name")),
                )
            )
        return " ".join(parts)

    # ------------------------------------------------------------------ the jobs

    def _queue_export(self, lang=None):
        """The queue job of one company's exports: the export cron's turn for it.

        Returns what it did, as the job's result; raises ``RetryableJobError`` when Pleo asked
        to wait (429, 5xx)."""
        self.ensure_one()

        def turn(connection, slice_, tally):
            finished = connection._export_poll(slice_, tally)
            connection.export_polled_at = fields.Datetime.now() if finished else False
            return finished

        return self.sudo()._queue_run("export", turn, lang)

    def _queue_setup_sync(self, lang=None):
        """The queue job of one company's setup sync: the setup-sync cron's turn for it."""
        self.ensure_one()

        def turn(connection, slice_, tally):
            connection._setup_turn(slice_, tally)
            return not tally["waiting"]

        return self.sudo()._queue_run("setup", turn, lang)

    def _queue_run(self, kind, turn, lang=None):
        """Run ``turn(connection, slice_, tally)`` (True when the company's work is done)
        under the company's lock, commit, then retry on Pleo's word, or hand over to the
        company's next job when the slice ended with work left."""
        run = _Run()
        with self._queue_lock(kind):
            token = _RUN.set(run)
            try:
                slice_ = self._queue_slice()
                tally = Tally()
                connection = self.with_context(lang=lang or self._readers_lang())
                finished = turn(connection, slice_, tally)
                slice_.commit(1)
            finally:
                _RUN.reset(token)
        retryable = [error for error in run.paused if error.retryable]
        if retryable:
            raise self._queue_retry(retryable)
        if run.unexpected:
            raise self._queue_retry_unexpected(kind)
        if not finished:
            self._queue_enqueue(kind, lang=lang)
        return self._queue_result(tally, finished)

    @contextlib.contextmanager
    def _queue_lock(self, kind):
        """Hold this company's lock of ``kind`` for the block (see the module docstring)."""
        self.ensure_one()
        with self.env.registry.cursor() as lock_cr:
            lock_cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_SPACES[kind], self.id)
            )
            if not lock_cr.fetchone()[0]:
                raise RetryableJobError(
                    self.env._(
                        "Another job of %(company)s is running: trying again in a moment.",
                        company=self.company_id.name,
                    ),
                    seconds=LOCK_RETRY_SECONDS,
                    ignore_retry=True,
                )
            yield

    def _queue_slice(self):
        """The job's time slice: commits through ``ir.cron._commit_progress`` (outside a
        cron: a commit), ``pleo_queue_slice_seconds`` long."""
        try:
            seconds = float(config.get("pleo_queue_slice_seconds") or SLICE_SECONDS)
        except (TypeError, ValueError):
            seconds = SLICE_SECONDS
        end = time.monotonic() + seconds
        cron = self.env["ir.cron"]

        def commit(processed=0, remaining=None):
            cron._commit_progress(processed, remaining=remaining)
            return max(end - time.monotonic(), 0.0)

        return TimeSlice(commit)

    def _queue_retry(self, errors_):
        """The ``RetryableJobError`` of Pleo's transient ``errors_``: at the longest
        ``Retry-After`` Pleo sent, else at the job function's retry pattern."""
        waits = [e.retry_after for e in errors_ if getattr(e, "retry_after", None) is not None]
        seconds = max(1, math.ceil(max(waits))) if waits else None
        return RetryableJobError(self._user_message(errors_[-1]), seconds=seconds)

    def _queue_retry_unexpected(self, kind):
        """The ``RetryableJobError`` of an unexpected error: at the job function's retry
        pattern, counted (see the module docstring). The message names no Python error: the
        server log has it."""
        company = self.company_id.name
        if kind == "export":
            message = self.env._(
                "An unexpected error stopped the export of %(company)s (details in the server "
                "log); what was booked is kept and the job tries again.",
                company=company,
            )
        else:
            message = self.env._(
                "An unexpected error stopped the setup sync of %(company)s (details in the "
                "server log); the job tries again.",
                company=company,
            )
        return RetryableJobError(message)

    def _queue_result(self, tally, finished):
        """The job's result, as queue_job shows it."""
        result = self.env._(
            "%(booked)s booked, %(failed)s failed, %(errors)s errors",
            booked=tally["booked"],
            failed=tally["failed"],
            errors=tally["errors"],
        )
        if tally.reasons:
            result += ": " + "; ".join(tally.reasons)
        if not finished:
            result += " " + self.env._("(more in the company's next job)")
        return result

    def _pleo_paused(self, error):
        """In a queue job, Pleo's error is kept to retry the job (see :meth:`_queue_run`)."""
        run = _RUN.get()
        if run is not None:
            run.paused.append(error)
        return super()._pleo_paused(error)

    def _export_rollback(self):
        """pleo_connector rolls an unexpected error of the export back (and logs it); in a
        queue job it is kept to retry the job (see :meth:`_queue_run`)."""
        run = _RUN.get()
        if run is not None:
            run.unexpected.append(sys.exc_info()[1])
        return super()._export_rollback()

    def _setup_sync(self, slice_=None):
        """pleo_connector's setup turn rolls an unexpected error back (and logs it); in a
        queue job it is kept to retry the job (see :meth:`_queue_run`)."""
        try:
            return super()._setup_sync(slice_)
        except SliceSpent:
            raise
        except Exception as error:
            run = _RUN.get()
            if run is not None:
                run.unexpected.append(error)
            raise

    # ------------------------------------------------------------------ what people see

    @api.depends_context("lang", "tz")
    def _compute_queue_state(self):
        for kind, name in (("export", "export_queue_state"), ("setup", "setup_queue_state")):
            latest = {}
            for job in self._queue_jobs(kind):
                latest.setdefault(job.identity_key, job)
            for connection in self:
                job = latest.get(connection._queue_identity(kind)) if connection.id else None
                connection[name] = connection._queue_state_text(job) if job else False

    def _queue_state_text(self, job):
        """One line on a queue job: queued, running, retrying at …, failed, done."""

        def when(value):
            return format_datetime(self.env, value, dt_format="short") if value else ""

        now = fields.Datetime.now()
        if job.state == PENDING and job.eta and job.eta > now:
            text = self.env._("Retrying at %(when)s", when=when(job.eta))
            return f"{text}: {job.result}" if job.result else text
        if job.state in (WAIT_DEPENDENCIES, PENDING, ENQUEUED):
            return self.env._("Queued since %(when)s", when=when(job.date_created))
        if job.state == STARTED:
            return self.env._("Running since %(when)s", when=when(job.date_started))
        if job.state == FAILED:
            return self.env._(
                "Failed at %(when)s: %(reason)s",
                when=when(job.date_done or job.write_date),
                reason=job.exc_message or job.exc_name or "",
            )
        if job.state == CANCELLED:
            return self.env._("Cancelled")
        if job.state == DONE:
            return self.env._("Done at %(when)s", when=when(job.date_done))
        return job.state
