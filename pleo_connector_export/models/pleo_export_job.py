# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A Pleo export job as Odoo processes it: claim, check, book, report, finish.

The order of a job is Pleo's prescribed flow (``pleo-export.md`` §1), arranged so that a crash
at any point loses nothing and books nothing twice:

1. the job is recorded in Odoo and committed, then claimed at Pleo with ``started``
   (``claimed`` is set once Pleo accepted; a job Odoo never claimed is not resumed);
2. each page of items is booked and committed, **then** its results are sent to Pleo and the
   items marked ``reported`` (a crash in between re-sends the same results next run);
3. when every item is reported, the final event is sent, once.

Commits happen only in the cron (``ir.cron._commit_progress``, through the run's
:class:`~..pleolib.slices.TimeSlice`); a person's "Fetch exports now" runs the cron too
(``ir.cron.method_direct_trigger``).
"""

import logging
from collections import Counter

from odoo import api, fields, models
from odoo.tools import format_datetime, html_escape

from odoo.addons.pleo_connector.pleolib.export_api import ExportJobStateError
from odoo.addons.pleo_connector.pleolib.receipts import download_all

from ..tools.entry_booker import Booker
from .pleo_export_item import MAX_REASON

_logger = logging.getLogger(__name__)

JOB_STATES = [
    ("pending", "Pending"),
    ("in_progress", "In progress"),
    ("completed", "Completed"),
    ("completed_with_errors", "Completed with errors"),
    ("failed", "Failed"),
]
FINAL_STATES = ("completed", "completed_with_errors", "failed")
#: Items per page read from Pleo, and so per commit and per report (Pleo takes ≤ 100 a PUT).
PAGE_SIZE = 100
#: Runs of a job that ended in an unexpected error before Odoo gives the job up as failed.
MAX_ATTEMPTS = 3
#: Distinct reasons listed in a job's "fix what failed" activity (the rest are counted).
MAX_FIXES = 20


class PleoExportJob(models.Model):
    _name = "pleo.export.job"
    _description = "Pleo Export"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "pleo_created_at desc, id desc"
    _rec_name = "pleo_job_uuid"

    connection_id = fields.Many2one(
        "pleo.connection", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, precompute=True)
    pleo_job_uuid = fields.Char(string="Pleo Export ID", required=True, readonly=True)
    state = fields.Selection(JOB_STATES, default="pending", required=True, readonly=True)
    claimed = fields.Boolean(
        readonly=True, help="Odoo sent 'started' and Pleo accepted: this job is Odoo's to finish."
    )
    number_of_items = fields.Integer(string="Items at Pleo", readonly=True)
    pleo_created_at = fields.Datetime(string="Exported in Pleo", readonly=True)
    started_at = fields.Datetime(string="Started", readonly=True)
    finished_at = fields.Datetime(string="Finished", readonly=True)
    attempts = fields.Integer(readonly=True, help="Runs that ended in an unexpected error.")
    failure_reason_type = fields.Char(readonly=True)
    failure_reason = fields.Text(readonly=True)
    item_ids = fields.One2many("pleo.export.item", "job_id", readonly=True)
    item_count = fields.Integer(compute="_compute_counts", store=True)
    booked_count = fields.Integer(string="Booked", compute="_compute_counts", store=True)
    failed_count = fields.Integer(string="Failed", compute="_compute_counts", store=True)
    resolved_count = fields.Integer(
        string="Booked Later",
        compute="_compute_resolved_count",
        help="Expenses that failed here and were booked by a later export.",
    )

    _job_uniq = models.Constraint(
        "UNIQUE (connection_id, pleo_job_uuid)", "Each Pleo export is recorded once."
    )

    @api.depends("item_ids.state")
    def _compute_counts(self):
        for job in self:
            states = job.item_ids.mapped("state")
            job.item_count = len(states)
            job.booked_count = states.count("booked")
            job.failed_count = states.count("failed")

    @api.depends("item_ids.state")
    def _compute_resolved_count(self):
        """Not stored: an upgrade then writes no job (a new stored field is computed for every
        row, which changes each one's write_date)."""
        for job in self:
            job.resolved_count = job.item_ids.mapped("state").count("resolved")

    @api.depends("pleo_created_at", "company_id")
    @api.depends_context("tz", "lang")
    def _compute_display_name(self):
        """The moment Pleo made the export, in the reader's time zone (the columns show local
        time: a title in UTC was one or two hours off for a Danish bookkeeper)."""
        for job in self:
            when = (
                format_datetime(
                    self.env, job.pleo_created_at, tz=self.env.context.get("tz"), dt_format="short"
                )
                if job.pleo_created_at
                else ""
            )
            job.display_name = self.env._(
                "Pleo export %(when)s (%(company)s)", when=when, company=job.company_id.name
            )

    # ------------------------------------------------------------------ the pipeline

    def _run(self, api, slice_, tally):
        """Process this claimed job until it is finished or the slice is spent.

        Each page with items not booked yet is one unit of ``slice_``: booked and committed,
        then reported to Pleo and committed again. Pages already booked (a job resumed in a
        later slice) are passed over without a commit. Returns ``"finished"`` (a final state),
        ``"more"`` (the slice is spent) or ``"paused"`` (Pleo refused some results: the next
        round sends them again). Raises Pleo errors (transient ones leave the job to resume).
        """
        self.ensure_one()
        connection = self.connection_id
        problems = connection._export_configuration_problems()
        if problems:
            kind, reason = problems[0]
            self._finish(api, "failed", failure_type=kind, failure_reason=reason)
            return "finished"
        booker = Booker(connection)
        control = {row["accountingEntryId"]: row for row in api.job_items(self.pleo_job_uuid)}
        known = {item.entry_uuid: item for item in self.item_ids}
        for page in api.iter_items(self.pleo_job_uuid, page_size=PAGE_SIZE):
            page = [item for item in page if self._in_job(item, control)]
            if not self._page_has_work(page, known):
                continue
            if slice_.spent():
                return "more"
            with slice_.unit():
                with self.env.cr.savepoint():
                    items = self._book_page(booker, page, known)
                booker.end_page()
                slice_.commit(1)
                self._report(api, items)
                slice_.commit()
            tally.add("booked", sum(1 for item in items if item.state == "booked"))
            tally.add("failed", sum(1 for item in items if item.state == "failed"))
            self._resolve_earlier_failures(items)
            slice_.commit()
        self._report(api, self.item_ids.filtered(lambda i: not i.reported and i.state != "pending"))
        self._commit()
        if self.item_ids.filtered(lambda i: not i.reported):
            return "paused"  # Pleo refused some results: try again next round
        self._finish(api, "completed_with_errors" if self.failed_count else "completed")
        return "finished"

    @staticmethod
    def _page_has_work(page, known):
        """Whether a page holds an item this job has not booked (or failed) yet."""
        return any(
            data["accountingEntryId"] not in known
            or known[data["accountingEntryId"]].state == "pending"
            for data in page
        )

    def _in_job(self, data, control):
        """Whether an item Pleo sent belongs to this job's control list (and has an id)."""
        entry = data.get("accountingEntryId") if isinstance(data, dict) else None
        if not entry or (control and entry not in control):
            _logger.warning("Pleo export %s: skipped an item outside its list", self.pleo_job_uuid)
            return False
        return True

    def _book_page(self, booker, page, known):
        """Book the items of one page that Odoo has not booked in this job yet."""
        todo = []
        for data in page:
            item = known.get(data["accountingEntryId"])
            if item and item.state != "pending":
                continue
            if not item:
                item = self.env["pleo.export.item"].create(
                    {"job_id": self.id, "entry_uuid": data["accountingEntryId"]}
                )
                known[item.entry_uuid] = item
            todo.append((item, data))
        booker.prefetch_moves([data["accountingEntryId"] for _item, data in todo])
        receipts = self._download_receipts(booker, [data for _item, data in todo])
        one_by_one = self._book_new_together(booker, todo, receipts)
        for item, data, files in one_by_one:
            item._book(booker, data, files)
        return self.env["pleo.export.item"].browse([item.id for item, _data in todo])

    def _book_new_together(self, booker, todo, receipts):
        """Create the page's new entries with one ``create``; return what to book one by one.

        If the batch fails (one entry Odoo refuses), it is rolled back and every item of it is
        booked one by one, so that the bad one fails alone with its reason.
        """
        new, rest = [], []
        for (item, data), files in zip(todo, receipts, strict=True):
            values = booker.plan_new(data, files)
            (new if values else rest).append((item, data, files, values))
        if not new:
            return [(item, data, files) for item, data, files, _values in rest]
        try:
            with self.env.cr.savepoint():
                moves = booker.create_new([(values, files) for _i, _d, files, values in new])
                for (item, data, files, _values), move in zip(new, moves, strict=True):
                    item.write(
                        {
                            **booker.summary(data),
                            "state": "booked",
                            "move_id": move.id,
                            "receipt_count": len(files),
                        }
                    )
        except Exception:  # one by one says which item and why
            _logger.info("Pleo export %s: booking a page one by one", self.pleo_job_uuid)
            booker.forget_moves([values["pleo_entry_uuid"] for _i, _d, _f, values in new])
            rest = new + rest
        return [(item, data, files) for item, data, files, _values in rest]

    def _download_receipts(self, booker, datas):
        """Every receipt of the page's new items, fetched concurrently (no ORM in the pool)."""
        wanted = [booker.receipt_refs(data) for data in datas]
        flat = [ref for refs in wanted for ref in refs]
        results = iter(
            download_all(
                flat,
                workers=booker.workers,
                allow_http=booker.allow_http,
                ca_bundle=booker.ca_bundle,
                allowed_hosts=booker.allowed_hosts,
            )
            if flat
            else []
        )
        return [[next(results) for _ref in refs] for refs in wanted]

    def _report(self, api, items):
        """Tell Pleo each item's result; mark those Pleo accepted as reported."""
        items = items.filtered(lambda i: not i.reported and i.state in ("booked", "failed"))
        if not items:
            return
        updates = [item._pleo_update() for item in items]
        refused = api.update_items(self.pleo_job_uuid, updates)
        refused_ids = {error.get("accountingEntryId") for error in refused or ()}
        for error in refused or ():
            _logger.warning(
                "Pleo export %s: Pleo refused the result of %s (%s)",
                self.pleo_job_uuid,
                error.get("accountingEntryId"),
                error.get("type"),
            )
        items.filtered(lambda i: i.entry_uuid not in refused_ids).write({"reported": True})

    def _finish(self, api, state, failure_type=None, failure_reason=None):
        """Send the final event (once) and record it."""
        try:
            api.send_event(
                self.pleo_job_uuid,
                state,
                failure_reason=(failure_reason or "")[:MAX_REASON] or None,
                failure_reason_type=failure_type,
            )
        except ExportJobStateError as error:
            # The job already ended at Pleo (a crash after the event, or it expired).
            _logger.info(
                "Pleo export %s: final event refused (%s)", self.pleo_job_uuid, error.error_type
            )
        self.write(
            {
                "state": state,
                "finished_at": fields.Datetime.now(),
                "failure_reason_type": failure_type or False,
                "failure_reason": failure_reason or False,
            }
        )
        if state != "completed":
            self._notify_errors()
        self._commit()

    def _sync_from_pleo(self, api, error=None):
        """The job ended at Pleo, or Pleo refused a call for its state: record how it ended.

        Returns True when the job is over (Odoo moves on), False to try again next run.
        """
        remote = api.get_job(self.pleo_job_uuid)
        if remote.status not in FINAL_STATES:
            _logger.info("Pleo export %s: %s", self.pleo_job_uuid, error and error.message)
            return False
        self.write(
            {
                "state": remote.status,
                "finished_at": fields.Datetime.now(),
                "failure_reason_type": remote.failure_reason_type or False,
                "failure_reason": remote.failure_reason
                or self.env._("The export ended in Pleo before Odoo finished it: export again."),
            }
        )
        self._notify_errors()
        self._commit()
        return True

    def _resolve_earlier_failures(self, items):
        """A failure that is fixed, clears: the items of earlier exports that failed for the
        expenses these ``items`` booked are marked booked later, with the entry, and an export
        left with no failure says so and closes its "fix what failed" activity."""
        booked = {item.entry_uuid: item for item in items if item.state == "booked"}
        if not booked:
            return
        earlier = (
            self.env["pleo.export.item"]
            .sudo()
            .search(
                [
                    ("job_id.connection_id", "=", self.connection_id.id),
                    ("job_id", "!=", self.id),
                    ("entry_uuid", "in", list(booked)),
                    ("state", "=", "failed"),
                ]
            )
        )
        for item in earlier:
            later = booked[item.entry_uuid]
            item.write(
                {"state": "resolved", "move_id": later.move_id.id, "resolved_by_id": later.id}
            )
        for job in earlier.job_id:
            job._after_failures_fixed()

    def _after_failures_fixed(self):
        """What an export shows once later exports booked some of what failed in it."""
        self.ensure_one()
        todo = self.env.ref("mail.mail_activity_data_todo")
        activities = self.activity_ids.filtered(lambda a: a.activity_type_id == todo)
        if self.failed_count:
            activities.write({"note": self._what_to_fix()})  # what is still open
            return
        if self.state == "completed_with_errors":
            self.state = "completed"
        feedback = self.env._("Every expense that failed here was booked by a later export.")
        if activities:
            activities.action_feedback(feedback=feedback)
        else:
            self.message_post(body=feedback)

    def _notify_errors(self):
        """One activity for the company's Pleo managers listing what to fix."""
        self.ensure_one()
        managers = self.connection_id._pleo_managers()
        if not managers:
            return
        for user in managers[:1]:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Pleo export: fix what failed, then export again from Pleo"),
                note=self._what_to_fix(),
                user_id=user.id,
            )

    def _what_to_fix(self):
        """The "fix what failed" list: each distinct reason once, with how many expenses it
        holds up, most first. Three expenses on one unmapped tax code are one fix, not three
        bullets; the job's own failure, if any, comes first."""
        reasons = Counter(
            item.failure_reason or "" for item in self.item_ids if item.state == "failed"
        )
        lines = [self.failure_reason] if self.failure_reason else []
        for reason, count in reasons.most_common(MAX_FIXES):
            if count > 1:
                reason = self.env._("%(reason)s (%(count)s expenses)", reason=reason, count=count)
            lines.append(reason)
        if len(reasons) > MAX_FIXES:
            lines.append(self.env._("… and %s more", len(reasons) - MAX_FIXES))
        return "<ul>%s</ul>" % "".join(f"<li>{html_escape(line)}</li>" for line in lines)

    def _commit(self):
        """Commit the progress so far (only in the cron; see ``ir.cron._commit_progress``)."""
        self.env["ir.cron"]._commit_progress()

    def action_open_items(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.display_name,
            "res_model": "pleo.export.item",
            "view_mode": "list,form",
            "domain": [("job_id", "=", self.id)],
        }
