# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The export side of a Pleo connection: its settings, and the cron that finds and runs jobs.

Per company: whether Odoo books Pleo's exports, in which journal, draft or posted, what to do
with expenses of a locked period, and the mapping rows for the codes the defaults do not
cover. The cron takes one job at a time per company (Pleo allows one in progress), resumes a
job it had claimed without sending ``started`` again, and never lets one company's trouble
stop the others.
"""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..pleolib import errors
from ..pleolib.export_api import ExportApi, ExportJobStateError, MissingContraAccountsError
from .pleo_export_job import FINAL_STATES, MAX_ATTEMPTS, TRANSIENT_ERRORS, _pleo_datetime

_logger = logging.getLogger(__name__)

EXPORT_CRON_XMLID = "pleo_connector.ir_cron_pleo_export"
#: Seconds of the cron's budget kept in reserve: a page takes at most this long.
PAGE_RESERVE = 60


def _mapping_rows(kind, string):
    """The connection's mapping rows of one ``kind``, for the tab of that name."""
    return fields.One2many(
        "pleo.export.mapping",
        "connection_id",
        string=string,
        domain=[("kind", "=", kind)],
        context={"default_kind": kind},
    )


class PleoConnection(models.Model):
    _inherit = "pleo.connection"  # pylint: disable=consider-merging-classes-inherited

    export_enabled = fields.Boolean(
        string="Book Pleo exports",
        help="Fetch the exports started in Pleo and book them in Odoo as journal entries.",
    )
    export_journal_id = fields.Many2one(
        "account.journal",
        string="Pleo Journal",
        check_company=True,
        domain="[('type', 'in', ('bank', 'general'))]",
        help="The journal Pleo's entries are booked in (a bank journal whose account is the "
        "Pleo wallet account).",
    )
    export_auto_post = fields.Boolean(
        string="Post entries",
        help="Post the entries at once. Off: they stay in draft for a bookkeeper to review, as "
        "Pleo's own integration does.",
    )
    export_locked_period = fields.Selection(
        [("next_open", "Book on the first open date"), ("fail", "Fail the expense")],
        string="Expenses of a locked period",
        default="next_open",
        required=True,
        help="An expense dated before the lock date is booked on the first open date (with "
        "its own date in the label), or fails with a reason.",
    )
    export_create_vendors = fields.Boolean(
        string="Create missing vendors",
        help="A Pleo vendor that no partner matches (by id, reference or VAT number) becomes a "
        "new partner, from the name, country, VAT number and bank account Pleo sends. Off: "
        "its bills fail with 'vendor unknown' until the partner is created or linked.",
    )
    export_mapping_ids = fields.One2many("pleo.export.mapping", "connection_id")
    export_account_mapping_ids = _mapping_rows("account", "Accounts")
    export_tax_mapping_ids = _mapping_rows("tax", "Taxes")
    export_tag_mapping_ids = _mapping_rows("tag", "Tags")
    export_user_mapping_ids = _mapping_rows("user", "Users")
    export_job_ids = fields.One2many("pleo.export.job", "connection_id", string="Exports")
    export_job_count = fields.Integer(compute="_compute_export_job_count", string="Exports count")
    is_pleo_manager = fields.Boolean(compute="_compute_is_pleo_manager")

    @api.depends_context("uid")
    def _compute_is_pleo_manager(self):
        is_manager = self.env.user.has_group("pleo_connector.group_pleo_manager")
        for connection in self:
            connection.is_pleo_manager = is_manager

    def _compute_export_job_count(self):
        counts = dict(
            self.env["pleo.export.job"]._read_group(
                [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
            )
        )
        for connection in self:
            connection.export_job_count = counts.get(connection, 0)

    # ------------------------------------------------------------------ buttons

    def action_create_export_journal(self):
        """Create the "Pleo" bank journal (code PLEO) and use it for the exports."""
        self._check_manager()
        for connection in self:
            company = connection.company_id
            Journal = self.env["account.journal"].sudo().with_company(company)
            journal = Journal.search(
                [*Journal._check_company_domain(company), ("code", "=", "PLEO")], limit=1
            )
            if not journal:
                journal = Journal.create(
                    {"name": "Pleo", "code": "PLEO", "type": "bank", "company_id": company.id}
                )
            connection.sudo().export_journal_id = journal
        return True

    def action_fetch_exports(self):
        """Fetch and book the exports now: the export cron runs in this request, as the
        scheduler would run it (on its own terms: it commits page by page before telling Pleo).
        If the cron is running already, it is asked to run again as soon as it is done."""
        self._check_manager()
        for connection in self:
            connection._check_enabled()
            problems = connection._export_configuration_problems()
            if problems:
                raise UserError(problems[0][1])
        cron = self.env.ref(EXPORT_CRON_XMLID).sudo()
        companies = ", ".join(self.mapped("company_id.name"))
        try:
            cron.method_direct_trigger()
        except UserError:  # the scheduler is running it right now
            cron._trigger()
            message = self.env._(
                "Odoo is already fetching Pleo exports; those of %(companies)s follow in a "
                "minute in Accounting › Pleo › Pleo Exports.",
                companies=companies,
            )
            kind = "info"
        else:
            jobs = self.env["pleo.export.job"].search([("connection_id", "in", self.ids)])
            message = self.env._(
                "Pleo exports of %(companies)s fetched: %(booked)s expenses booked, %(failed)s "
                "failed (Accounting › Pleo › Pleo Exports).",
                companies=companies,
                booked=sum(jobs.mapped("booked_count")),
                failed=sum(jobs.mapped("failed_count")),
            )
            kind = "warning" if any(jobs.mapped("failed_count")) else "success"
        return self._notification(self.env._("Pleo exports"), message, kind)

    def action_open_export_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pleo_connector.pleo_export_job_action"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------ checks

    def _export_configuration_problems(self):
        """What keeps this company from booking exports: [(failure type, reason)]."""
        self.ensure_one()
        problems = []
        journal = self.export_journal_id
        company = self.company_id.name
        if not self.export_enabled:
            problems.append(
                (
                    "missing_configuration",
                    self.env._("Booking Pleo exports is off for %(company)s.", company=company),
                )
            )
        if not journal:
            problems.append(
                (
                    "missing_configuration",
                    self.env._(
                        "No journal is set for Pleo's entries in %(company)s: choose one in "
                        "Pleo Connections › %(company)s › Export.",
                        company=company,
                    ),
                )
            )
        elif journal.company_id != self.company_id or not journal.active:
            problems.append(
                (
                    "invalid_configuration",
                    self.env._(
                        "The journal %(journal)s cannot take Pleo's entries of %(company)s: "
                        "choose an active journal of this company.",
                        journal=journal.display_name,
                        company=company,
                    ),
                )
            )
        return problems

    # ------------------------------------------------------------------ the cron

    @api.model
    def _cron_pleo_export(self):
        """Find and run the exports of every company that books them.

        Never raises. Progress is committed page by page (``_commit_progress``), so an error
        rolls back only the unfinished page of one company, and the next company runs. When
        the cron's time is nearly up it reschedules itself.
        """
        cron_model = self.env["ir.cron"]
        connections = self.sudo().search(
            [("export_enabled", "=", True), ("state", "=", "connected")], order="id"
        )
        started = time.monotonic()
        budget = [cron_model._commit_progress(remaining=len(connections))]

        def deadline():
            return budget[0] - (time.monotonic() - started) < PAGE_RESERVE

        for connection in connections:
            try:
                connection._export_run(deadline)
            except Exception:
                _logger.exception(
                    "Pleo export: the exports of %s failed", connection.company_id.name
                )
                self._export_rollback()
            budget[0] = cron_model._commit_progress(1) + (time.monotonic() - started)
            if deadline():
                self.env.ref(EXPORT_CRON_XMLID)._trigger()
                break
        return True

    def _export_rollback(self):
        """Undo the work since the last commit (the page an error interrupted)."""
        self.env.cr.rollback()
        self.env.invalidate_all()

    def _export_run(self, deadline):
        """This connection's turn: resume its claimed job, else claim the oldest pending one."""
        self.ensure_one()
        try:
            with self._open_client() as client:
                api = ExportApi(client)
                while not deadline():
                    job = self._export_next_job(api)
                    if not job or not self._export_run_job(api, job, deadline):
                        return
        except UserError as error:
            _logger.info("Pleo export skipped for %s: %s", self.company_id.name, error.args[0])
        except errors.PleoError as error:
            _logger.info(
                "Pleo export skipped for %s: %s", self.company_id.name, self._user_message(error)
            )

    def _export_run_job(self, api, job, deadline):
        """Run one job; True when it finished. Pleo errors pause it, other errors count."""
        try:
            return job._run(api, deadline)
        except MissingContraAccountsError as error:
            job._finish(api, "failed", "missing_configuration", error.message)
            return True
        except ExportJobStateError as error:
            # The job ended at Pleo meanwhile (expired, or finished by someone else).
            return job._sync_from_pleo(api, error)
        except TRANSIENT_ERRORS as error:
            _logger.info("Pleo export %s paused: %s", job.pleo_job_uuid, error.message)
            return False
        except errors.PleoError:
            raise
        except Exception:
            _logger.exception("Pleo export %s: unexpected error", job.pleo_job_uuid)
            self._export_rollback()
            job.attempts += 1
            if job.attempts >= MAX_ATTEMPTS:
                job._finish(
                    api,
                    "failed",
                    "integration_unusable",  # Pleo's job failure types have no "unexpected"
                    self.env._(
                        "Odoo stopped this export after %(count)s unexpected errors; the "
                        "server log has the details. Export again from Pleo once it is fixed.",
                        count=job.attempts,
                    ),
                )
            job._commit()
            return False

    def _export_next_job(self, api):
        """The job to work on now (claimed), or None."""
        Job = self.env["pleo.export.job"].sudo()
        remote = api.list_jobs(self.pleo_company_uuid, ["in_progress", "pending"])
        local = {
            job.pleo_job_uuid: job
            for job in Job.search(
                [("connection_id", "=", self.id), ("pleo_job_uuid", "in", [j.id for j in remote])]
            )
        }
        # A job Odoo was working on that Pleo no longer lists as open ended there (it expired,
        # or someone finished it): record how.
        for job in Job.search(
            [("connection_id", "=", self.id), ("state", "=", "in_progress")]
        ) - Job.browse([job.id for job in local.values()]):
            job._sync_from_pleo(api)
        for remote_job in remote:
            job = local.get(remote_job.id)
            if remote_job.status == "in_progress" and job and job.state not in FINAL_STATES:
                # Odoo's: claimed, or recorded and "started" sent before a crash (a job whose
                # claim Pleo refused is not kept, see below).
                if not job.claimed:
                    job.write({"claimed": True, "state": "in_progress"})
                return job
        if any(j.status == "in_progress" for j in remote):
            in_progress = [j.id for j in remote if j.status == "in_progress"]
            _logger.info(
                "Pleo export: %s has a job in progress that Odoo did not claim (%s): waiting",
                self.company_id.name,
                ", ".join(in_progress),
            )
            return None
        pending = sorted(
            (j for j in remote if j.status == "pending"), key=lambda j: (j.created_at or "", j.id)
        )
        for remote_job in pending:
            job = local.get(remote_job.id) or Job.create(
                {
                    "connection_id": self.id,
                    "pleo_job_uuid": remote_job.id,
                    "number_of_items": remote_job.number_of_items or 0,
                    "pleo_created_at": _pleo_datetime(remote_job.created_at),
                }
            )
            job._commit()
            try:
                api.send_event(job.pleo_job_uuid, "started")
            except ExportJobStateError as error:
                _logger.info(
                    "Pleo export %s could not be claimed (%s)", job.pleo_job_uuid, error.error_type
                )
                job.unlink()  # not Odoo's: never resume it
                job._commit()
                continue
            job.write(
                {"claimed": True, "state": "in_progress", "started_at": fields.Datetime.now()}
            )
            job._commit()
            return job
        return None
