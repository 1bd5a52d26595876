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

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.pleo_connector.const import EXPORT_CRON_XMLID
from odoo.addons.pleo_connector.exceptions import menu_path
from odoo.addons.pleo_connector.models.ir_cron import due_before, press_domain, run_due_connections
from odoo.addons.pleo_connector.pleolib import errors, timestamps
from odoo.addons.pleo_connector.pleolib.export_api import (
    ExportAlreadyInProgressError,
    ExportApi,
    ExportJobStateError,
    MissingContraAccountsError,
)

from ..const import EXPORT_MANAGED_FIELDS, EXPORT_SCOPES, EXPORTS_MENU
from .pleo_export_job import FINAL_STATES, MAX_ATTEMPTS

_logger = logging.getLogger(__name__)

#: The order in which due connections are fetched: a connection left half-way first (it has
#: no fetch date), then the longest unfetched.
POLL_ORDER = "export_polled_at ASC NULLS FIRST, id"


def _account_label(account, company):
    """ "6485 Pleo wallet": an account as a bookkeeper names it (its code in ``company``)."""
    account = account.sudo().with_company(company)
    return " ".join(filter(None, [account.code, account.name]))


def _mapping_rows(kind, string):
    """The connection's mapping rows of one ``kind``, for the tab of that name."""
    return fields.One2many(
        "pleo.export.mapping",
        "connection_id",
        string=string,
        domain=[("kind", "=", kind)],
        context={"default_kind": kind},
    )


def _unmapped_codes(kind, string):
    """The Pleo codes of one ``kind`` still unmapped, shown above that kind's mapping rows."""
    return fields.One2many(
        "pleo.unmapped.code",
        "connection_id",
        string=string,
        compute="_compute_export_unmapped",
        help="Pleo codes no Odoo record was found for, from the failed items (with how many "
        "wait for each) and from the setup sync: press Map to choose the Odoo record.",
    )


class PleoConnection(models.Model):
    _inherit = "pleo.connection"

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
    export_wallet_account_id = fields.Many2one(
        "account.account",
        string="Pleo wallet account",
        check_company=True,
        domain="[('account_type', '=', 'asset_cash')]",
        compute="_compute_export_wallet_account_id",
        store=True,
        readonly=False,
        help="The account Pleo pays card spend from: the wallet, Pleo's contra account in "
        "Pleo's accounting settings. The Pleo journal's account: the journal's balance is then "
        "the wallet balance, and Odoo's balancing lines land on the wallet. Proposed from the "
        "first card purchase booked, else from the accounts Odoo knows for the wallet.",
    )
    export_journal_warning = fields.Char(
        string="Journal warning", compute="_compute_export_journal_warning"
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
    export_unmapped_account_ids = _unmapped_codes("account", "Pleo accounts to map")
    export_unmapped_tax_ids = _unmapped_codes("tax", "Pleo tax codes to map")
    export_unmapped_tag_ids = _unmapped_codes("tag", "Pleo tags to map")
    export_job_ids = fields.One2many("pleo.export.job", "connection_id", string="Exports")
    export_job_count = fields.Integer(compute="_compute_export_job_count", string="Exports count")
    is_pleo_manager = fields.Boolean(compute="_compute_is_pleo_manager")
    export_polled_at = fields.Datetime(
        string="Last fetched from Pleo",
        readonly=True,
        copy=False,
        help="When Odoo last fetched this company's exports from Pleo to the end. Empty while "
        "an export is being booked over several runs of the scheduler.",
    )

    @api.depends_context("uid")
    def _compute_is_pleo_manager(self):
        is_manager = self.env.user.has_group("pleo_connector.group_pleo_manager")
        for connection in self:
            connection.is_pleo_manager = is_manager

    @api.depends("export_mapping_ids")
    def _compute_export_unmapped(self):
        """Each connection's unmapped Pleo codes by kind (see ``pleo.unmapped.code``), without
        the codes the export now finds a fitting record for by itself."""
        rows = self.env["pleo.unmapped.code"].search(
            [("connection_id", "in", [c._origin.id for c in self if c._origin.id])]
        )
        rows = rows.filtered(lambda row: not row._resolved_by_default())
        for connection in self:
            mine = rows.filtered(lambda row, c=connection: row.connection_id.id == c._origin.id)
            connection.export_unmapped_account_ids = mine.filtered(lambda r: r.kind == "account")
            connection.export_unmapped_tax_ids = mine.filtered(lambda r: r.kind == "tax")
            connection.export_unmapped_tag_ids = mine.filtered(lambda r: r.kind == "tag")

    def _compute_export_job_count(self):
        counts = dict(
            self.env["pleo.export.job"]._read_group(
                [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
            )
        )
        for connection in self:
            connection.export_job_count = counts.get(connection, 0)

    @api.depends("export_enabled", "export_journal_id")
    def _compute_export_wallet_account_id(self):
        """Propose the wallet account once the export is on (a chosen one is kept)."""
        for connection in self:
            connection.export_wallet_account_id = connection.export_wallet_account_id or (
                connection._export_wallet_proposal() if connection.export_enabled else False
            )

    @api.depends("export_journal_id", "export_wallet_account_id")
    def _compute_export_journal_warning(self):
        for connection in self:
            journal = connection.export_journal_id.sudo()
            wallet = connection.export_wallet_account_id.sudo()
            warning = False
            if journal and wallet and journal.default_account_id != wallet:
                warning = self.env._(
                    "The journal %(journal)s books on %(account)s, not on the wallet account "
                    "%(wallet)s: its balance is not the wallet's, and Odoo's balancing lines "
                    "land on %(account)s. Give the journal the wallet account (Invoicing › "
                    "Configuration › Journals), or choose another journal.",
                    journal=journal.display_name,
                    account=_account_label(journal.default_account_id, connection.company_id)
                    or self.env._("no account"),
                    wallet=_account_label(wallet, connection.company_id),
                )
            connection.export_journal_warning = warning

    def _export_wallet_proposal(self):
        """The wallet account as far as Odoo knows it: the liquidity account credited by the
        first card purchase booked from Pleo (Pleo's contra account), else the Pleo journal's
        liquidity account, else a liquidity account among those synced to Pleo, else one of the
        company named Pleo. Empty when none is known: the person chooses."""
        self.ensure_one()
        company = self.company_id
        Account = self.env["account.account"].sudo().with_company(company)
        cash = [*Account._check_company_domain(company), ("account_type", "=", "asset_cash")]
        line = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("move_id.pleo_item_type", "=", "card_purchase"),
                    ("credit", ">", 0),
                    ("account_id.account_type", "=", "asset_cash"),
                ],
                order="id",
                limit=1,
            )
        )
        journal_account = self.export_journal_id.sudo().default_account_id
        candidates = (
            line.account_id,
            journal_account.filtered_domain(cash),
            self.sudo().sync_extra_account_ids.filtered_domain(cash)[:1],
            Account.search([*cash, ("name", "ilike", "pleo")], order="code, id", limit=1),
        )
        return next((account for account in candidates if account), Account)

    # ------------------------------------------------------------------ buttons

    def action_create_export_journal(self):
        """Create the "Pleo" bank journal (code PLEO) on the Pleo wallet account and use it for
        the exports: the journal's balance is then the wallet balance, and Odoo's balancing
        lines land on the wallet. A PLEO journal that exists already is used as it is; when its
        account is another one, the notification (and the form) say so."""
        self._check_manager()
        messages, kind = [], "success"
        for connection in self:
            company = connection.company_id
            wallet = (
                connection.export_wallet_account_id or connection._export_wallet_proposal()
            ).sudo()
            if not wallet:
                raise UserError(
                    self.env._(
                        "Choose the Pleo wallet account of %(company)s first: the account Pleo "
                        "pays card spend from (its contra account in Pleo's accounting "
                        "settings). The Pleo journal books on it.",
                        company=company.name,
                    )
                )
            Journal = self.env["account.journal"].sudo().with_company(company)
            journal = Journal.search(
                [*Journal._check_company_domain(company), ("code", "=", "PLEO")], limit=1
            )
            if not journal:
                journal = Journal.create(
                    {
                        "name": "Pleo",
                        "code": "PLEO",
                        "type": "bank",
                        "company_id": company.id,
                        "default_account_id": wallet.id,
                        # a wallet in another currency: the journal's currency (Odoo's rule)
                        "currency_id": (wallet.currency_id - company.currency_id).id,
                    }
                )
                messages.append(
                    self.env._(
                        "Pleo journal '%(journal)s' created with account %(account)s.",
                        journal=journal.name,
                        account=_account_label(wallet, company),
                    )
                )
            elif journal.default_account_id != wallet:
                kind = "warning"
                messages.append(
                    self.env._(
                        "The journal '%(journal)s' (PLEO) exists already, with account "
                        "%(account)s, not the wallet account %(wallet)s: Odoo uses it as it is. "
                        "Give it the wallet account if Pleo pays from it.",
                        journal=journal.name,
                        account=_account_label(journal.default_account_id, company)
                        or self.env._("no account"),
                        wallet=_account_label(wallet, company),
                    )
                )
            else:
                messages.append(
                    self.env._(
                        "Pleo journal '%(journal)s' with account %(account)s is used for Pleo's "
                        "entries.",
                        journal=journal.name,
                        account=_account_label(wallet, company),
                    )
                )
            connection.sudo().write(
                {"export_journal_id": journal.id, "export_wallet_account_id": wallet.id}
            )
        return self._notification(self.env._("Pleo journal"), "\n".join(messages), kind)

    def action_fetch_exports(self):
        """Fetch and book the exports of these companies now, in this request, exactly as the
        scheduler would (``ir.cron.method_direct_trigger``: the job's own cursor, commits page
        by page before telling Pleo, and the scheduler's time slice). What the slice does not
        hold goes on in the background, and the notification says what this press did."""
        self._check_manager()
        for connection in self:
            connection._check_enabled()
            problems = connection._export_configuration_problems()
            if problems:
                raise UserError(problems[0][1])
        cron = self.env.ref(EXPORT_CRON_XMLID).sudo()
        return self._press_notification(self.env._("Pleo exports"), cron._pleo_press(self.ids))

    def _press_notification(self, title, press):
        """The notification of a press (its message, with its links in place of ``%s``)."""
        message, kind, links = self._press_message(press)
        notification = self._notification(title, message, kind)
        if links:
            notification["params"]["links"] = links
        return notification

    def _exports_link(self):
        """The link to Pleo's exports in Odoo, for a notification's ``links``."""
        return {
            "label": menu_path(self.env, EXPORTS_MENU),
            "url": "/odoo/action-pleo_connector_export.pleo_export_job_action",
        }

    def _press_message(self, press):
        """The notification of one press of "Fetch exports now": ``(message, kind, links)``,
        ``links`` the ``{label, url}`` that the web client shows in place of the message's
        ``%s``, in order: the failed expenses, the exports that go on in the background."""
        companies = ", ".join(self.mapped("company_id.name"))
        tally = press.tally
        if not press.ran:
            return (
                self.env._(
                    "Odoo is already fetching Pleo exports; those of %(companies)s follow in a "
                    "minute in %(path)s.",
                    companies=companies,
                    path=menu_path(self.env, EXPORTS_MENU),
                ),
                "info",
                [],
            )
        if tally["errors"]:
            return (
                self.env._(
                    "Pleo exports of %(companies)s could not be fetched now: %(reason)s",
                    companies=companies,
                    reason="; ".join(tally.reasons),
                ),
                "warning",
                [],
            )
        if not (tally["booked"] or tally["failed"] or tally["waiting"] or tally["jobs"]):
            return (
                self.env._("%(companies)s: nothing waiting in Pleo.", companies=companies),
                "success",
                [],
            )
        message = self.env._(
            "%(companies)s: %(booked)s booked, %(failed)s failed",
            companies=companies,
            booked=tally["booked"],
            failed=tally["failed"],
        )
        links = []
        if tally["failed"]:  # where to read why, and fix it
            message += " (%s)"
            links.append(
                {
                    "label": self.env._("see why"),
                    "url": "/odoo/action-pleo_connector_export.pleo_export_item_action_failed",
                }
            )
        if tally["waiting"]:
            message += self.env._(
                "; %(waiting)s more follow in the background (%(path)s).",
                waiting=tally["waiting"],
                path="%s",
            )
            links.append(self._exports_link())
        else:
            message += self.env._("; nothing else waiting in Pleo.")
        return message, "warning" if tally["failed"] else "success", links

    def _export_again(self, items):
        """Have Pleo export the expenses of these failed ``items`` again, then fetch and book
        them now, as "Fetch exports now" does.

        Pleo's items of a finished job can no longer be read nor reported (422 [spec]), so a
        failed expense is booked again the way Pleo re-exports it: a new export job of its
        accounting entry (``POST /v3/export-jobs``), which the export claims, books (exactly
        once: the expense's id is the key), reports to Pleo and finishes; the earlier failure
        is then marked booked later and its activity closed (``_resolve_earlier_failures``).
        The request must not have written anything the export needs: the export runs in the
        scheduler's cursor, which sees only what is committed (the mapping wizard calls this in
        a request of its own).
        """
        self.ensure_one()
        self._check_manager()
        self._check_enabled()
        problems = self._export_configuration_problems()
        if problems:
            raise UserError(problems[0][1])
        title = self.env._("Export again")
        entries = list(dict.fromkeys(items.mapped("entry_uuid")))
        try:
            with self._open_client() as client:
                ExportApi(client).create_job(self.pleo_company_uuid, entries)
        except ExportAlreadyInProgressError:
            message = self.env._(
                "Pleo has an export of %(company)s under way already, so the expenses were not "
                "sent again: press Fetch exports now, then export them again.",
                company=self.company_id.name,
            )
            return self._notification(title, message, "warning")
        except MissingContraAccountsError:
            message = self.env._(
                "Pleo refused to export again: its contra accounts are not fully set. Set "
                "them in Pleo's accounting settings, then export again."
            )
            return self._notification(title, message, "warning")
        except errors.PleoError as error:
            return self._notification(title, self._user_message(error), "warning")
        press = self.env.ref(EXPORT_CRON_XMLID).sudo()._pleo_press(self.ids)
        return self._press_notification(title, press)

    def action_open_export_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pleo_connector_export.pleo_export_job_action"
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

    # ------------------------------------------------------------------ the base's hooks

    @api.model
    def _required_scopes(self):
        scopes = super()._required_scopes()
        return scopes + [scope for scope in EXPORT_SCOPES if scope not in scopes]

    @api.model
    def _managed_fields(self):
        return [*super()._managed_fields(), *EXPORT_MANAGED_FIELDS]

    # ------------------------------------------------------------------ the cron

    @api.model
    def _cron_pleo_export(self):
        """Fetch and book the exports of every company that books them, in Odoo's time slices.

        A company is due when it was not fetched in this round of the cron (see
        :meth:`_export_due_domain`); one with work left when a slice ends stays first in line.
        The work goes in units (fetching a company's job list, booking a page of items) measured
        by a :class:`~..pleolib.slices.TimeSlice`: each unit is committed, the first unit of a
        slice always runs, and the cron reports the companies still due so that Odoo's runner
        calls it again. Never raises: one company's trouble is rolled back to its last commit,
        logged, and the next company runs.
        """

        def turn(connection, slice_, tally):
            finished = connection._export_poll(slice_, tally)
            connection.export_polled_at = fields.Datetime.now() if finished else False

        press, tally, _remaining = run_due_connections(
            self, EXPORT_CRON_XMLID, self._export_due_domain, POLL_ORDER, turn
        )
        if press:
            tally.add("waiting", self._export_waiting(press.connection_ids))
        return True

    @api.model
    def _export_due_domain(self, press=None):
        """The connections that the export cron has to fetch now.

        A person's press: the pressed connections, each once. The
        scheduler: every connection not fetched in this round (:func:`~.ir_cron.due_before`;
        a connection left half-way by a slice has no fetch date, so it is always due).
        """
        domain = [("export_enabled", "=", True), ("state", "=", "connected")]
        if press:
            return [*domain, *press_domain(press)]
        since = due_before(self.env.ref(EXPORT_CRON_XMLID).sudo())
        return [*domain, "|", ("export_polled_at", "=", False), ("export_polled_at", "<", since)]

    def _export_waiting(self, connection_ids):
        """Items of these companies' open jobs that are not booked yet (as far as Odoo knows)."""
        jobs = (
            self.env["pleo.export.job"]
            .sudo()
            .search(
                [
                    ("connection_id", "in", connection_ids),
                    ("state", "in", ("pending", "in_progress")),
                ]
            )
        )
        return sum(
            max(job.number_of_items - job.booked_count - job.failed_count, 0) for job in jobs
        )

    def _export_poll(self, slice_, tally):
        """This connection's turn in the cron: returns True when it has no open work left
        (or cannot go on now), False when the slice ended with work left.

        Never raises: an unexpected error rolls back to the last commit and is logged (after the
        rollback: the aborted transaction could not even read the company's name).
        """
        self.ensure_one()
        try:
            return self._export_run(slice_, tally)
        except Exception:
            self._export_rollback()
            _logger.exception("Pleo export: the exports of %s failed", self.company_id.name)
            tally.fail(
                self.env._(
                    "an unexpected error stopped the export of %(company)s (details in the "
                    "server log)",
                    company=self.company_id.name,
                )
            )
            return True

    def _export_rollback(self):
        """Undo the work since the last commit (the page an error interrupted)."""
        self.env.cr.rollback()
        self.env.invalidate_all()

    def _export_run(self, slice_, tally):
        """Resume this connection's claimed job, else claim the oldest pending one, while the
        slice lasts. Returns True when nothing is left to do now (see :meth:`_export_poll`)."""
        self.ensure_one()
        try:
            with self._open_client() as client:
                api = ExportApi(client)
                while not slice_.spent():
                    with slice_.unit():
                        job = self._export_next_job(api)
                    if not job:
                        return True
                    tally.add("jobs")
                    outcome = self._export_run_job(api, job, slice_, tally)
                    if outcome != "finished":
                        return outcome != "more"
                    slice_.commit(1)
                return False
        except UserError as error:
            reason = error.args[0]
        except errors.PleoError as error:
            reason = self._user_message(error)
            self._pleo_paused(error)
        _logger.info("Pleo export skipped for %s: %s", self.company_id.name, reason)
        tally.fail(reason)
        return True

    def _export_run_job(self, api, job, slice_, tally):
        """Run one job: ``"finished"``, ``"more"`` (the slice ended first) or ``"paused"``
        (Pleo asks to wait, or an error: the next round tries again). Pleo's transient errors
        pause it, unexpected errors count towards giving the job up."""
        try:
            return job._run(api, slice_, tally)
        except MissingContraAccountsError as error:
            job._finish(api, "failed", "missing_configuration", error.message)
            return "finished"
        except ExportJobStateError as error:
            # The job ended at Pleo meanwhile (expired, or finished by someone else).
            return "finished" if job._sync_from_pleo(api, error) else "paused"
        except errors.PleoError:
            raise  # Pleo's bad moment or refusal: the connection's run pauses (_export_run)
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
            tally.fail(
                self.env._(
                    "an unexpected error stopped the export of %(company)s (details in the "
                    "server log)",
                    company=self.company_id.name,
                )
            )
            return "paused"

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
            job = self._export_claim(api, remote_job, local.get(remote_job.id))
            if job:
                return job
        return None

    def _export_claim(self, api, remote_job, job=None):
        """Claim Pleo's pending ``remote_job`` (an :class:`~..pleolib.export_api.ExportJob`):
        recorded and committed first, then ``started`` sent; the claimed job, or None when
        Pleo refused the claim (the job is then not Odoo's: its record is dropped). ``job``:
        its record, when Odoo has one. Also the way in of a job that Pleo announced otherwise
        than in the job list (``pleo_connector_webhook``)."""
        Job = self.env["pleo.export.job"].sudo()
        job = job or Job.create(
            {
                "connection_id": self.id,
                "pleo_job_uuid": remote_job.id,
                "number_of_items": remote_job.number_of_items or 0,
                "pleo_created_at": timestamps.to_odoo(remote_job.created_at) or False,
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
            return None
        job.write({"claimed": True, "state": "in_progress", "started_at": fields.Datetime.now()})
        job._commit()
        return job
