# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Many connections at once: the batch runner, what Pleo's answers change, the server actions
and the health-check cron.

:meth:`_run_jobs` reads the keys of a whole recordset in one query and runs one check per
connection in a bounded pool of threads (no ORM object leaves the caller's thread);
:meth:`_apply_outcomes` stores the answers and tells the company's Pleo managers when a
connection breaks or works again.
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import (
    BOUND_STATES,
    CRON_XMLID,
    HEALTH_BATCH_PER_WORKER,
    MAX_FAILURE_STREAK,
    RECHECK_AFTER,
    read_option,
)
from ..pleolib import checks, errors
from ..pleolib.auth import PleoAuth
from ..pleolib.client import PleoClient
from ..pleolib.slices import TimeSlice
from .ir_cron import pressed
from .pleo_connection_vault import KEY_TABLE

#: ir.config_parameter: when a person pressed "Run manually" on the health check. Written and
#: cleared only by the health cron's own job (never by the request: see ``ir_cron.py``).
MANUAL_RUN_PARAM = "pleo_connector.health_check_manual_run"
#: ir.config_parameter remembering that system administrators were told of undecryptable keys.
CONFIG_FAULT_PARAM = "pleo_connector.encryption_fault_notified"
#: How many stored keys are tried to tell a configuration fault from one bad key.
CONFIG_FAULT_SAMPLE = 20

_logger = logging.getLogger(__name__)


@dataclass
class _Job:
    """One connection's call to Pleo, run in a worker thread. Holds no ORM object."""

    connection_id: int
    base_url: str
    pleo_company_uuid: str | None
    auth: PleoAuth = field(repr=False)
    scope_check: bool = False
    #: What an addon's part of the health check needs of the connection, as plain values
    #: (:meth:`PleoConnection._health_job_extra`).
    extra: dict = field(default_factory=dict)


@dataclass
class _Outcome:
    """What a job's answer means for its connection."""

    result: Any = None
    error: Exception | None = None

    @property
    def ok(self):
        return self.error is None

    #: The server's encryption configuration decrypts no stored key: not this connection's fault.
    config_fault: bool = False

    @property
    def definitive(self):
        return getattr(self.error, "definitive", False)


# One file per concern of the model, on purpose (see pleo_connection.py).
class PleoConnection(models.Model):
    _inherit = "pleo.connection"  # pylint: disable=consider-merging-classes-inherited

    def _run_jobs(self, check, scope_check=False, interactive=False):
        """Run ``check(client, job)`` for each connection in a bounded pool of threads.

        All database work happens here, in the caller's thread: one query reads the encrypted
        keys of the whole recordset; keys are decrypted just before the pool starts and live
        only in the jobs. Returns ``{connection: _Outcome}``.
        """
        outcomes = {}
        tokens = self._read_tokens()
        config_fault = None  # asked only when a key does not decrypt (no query otherwise)
        client_options = self._client_options(interactive=interactive)
        scope_due = fields.Datetime.now() - timedelta(hours=read_option("pleo_scope_check_hours"))
        jobs = []
        vault = None
        for connection in self:
            token = tokens.get(connection.id)
            if connection.state == "disabled":
                outcomes[connection] = _Outcome(error=UserError(connection._disabled_message()))
                continue
            if not token:
                outcomes[connection] = _Outcome(
                    error=UserError(connection._not_connected_message())
                )
                continue
            try:
                vault = vault or self._vault()
                auth = PleoAuth(vault.decrypt(token))
            except (errors.PleoError, UserError) as exc:
                if config_fault is None:
                    config_fault = self._encryption_fault() or False
                outcomes[connection] = _Outcome(
                    error=config_fault or exc, config_fault=bool(config_fault)
                )
                continue
            jobs.append(
                _Job(
                    connection_id=connection.id,
                    base_url=connection._base_url(),
                    pleo_company_uuid=connection.pleo_company_uuid,
                    auth=auth,
                    scope_check=scope_check
                    or connection.state == "broken"
                    or not connection.last_scope_check_date
                    or connection.last_scope_check_date < scope_due,
                    extra=connection._health_job_extra(),
                )
            )

        def run(job):
            with PleoClient(job.auth, job.base_url, **client_options) as client:
                try:
                    return check(client, job)
                except errors.PleoError:
                    raise
                except Exception:
                    # Logged while the key is still masked: the traceback may quote it.
                    _logger.exception(
                        "Pleo connection %s: unexpected error during a check", job.connection_id
                    )
                    raise

        workers = read_option("pleo_http_workers")
        for job, result, error in checks.run_concurrently(run, jobs, workers):
            outcomes[self.browse(job.connection_id)] = _Outcome(result=result, error=error)
        return outcomes

    def _write_grouped(self, values_by_connection):
        """Write each connection's values, one ``write`` per distinct set of values.

        All groups are written in one savepoint. If the database refuses any value, each
        connection is written again alone; one whose own values still fail is recorded as broken
        with the reason, so that one poisoned answer never stops the others. Returns the
        connections recorded that way (``{connection: reason}``).
        """
        groups = defaultdict(list)
        for connection, values in values_by_connection.items():
            groups[tuple(sorted(values.items()))].append(connection.id)
        batch = [(self.browse(ids), dict(values)) for values, ids in groups.items()]
        if self._try_writes(batch):
            return {}
        poisoned = {}
        for connection, values in values_by_connection.items():
            if self._try_writes([(connection, values)]):
                continue
            reason = self.env._(
                "Pleo sent an answer Odoo cannot store for this connection (details in the "
                "server log). Try again later; if it persists, contact Pleo support."
            )
            broken = {
                "state": "broken",
                "last_error": reason,
                "last_check_date": fields.Datetime.now(),
            }
            self._try_writes([(connection, broken)])
            poisoned[connection] = reason
        return poisoned

    def _try_writes(self, batch):
        """Write each ``(connections, values)`` of ``batch`` as superuser, in one savepoint.

        Returns ``False`` (nothing written) if the database refused any of them.
        """
        self.env.flush_all()  # what else is pending must not roll back with these values
        try:
            with self.env.cr.savepoint():
                for connections, values in batch:
                    connections.sudo().with_context(tracking_disable=True).write(values)
                self.env.flush_all()
        except Exception as exc:  # any refusal of these values: isolate the connection at fault
            # Only the error's type: some database errors quote the whole row, encrypted key too.
            _logger.error(
                "Pleo connections %s: the check's answer could not be stored (%s)",
                [connection.id for connections, _values in batch for connection in connections],
                type(exc).__name__,
            )
            self.env.invalidate_all()
            return False
        return True

    @api.model
    def _encryption_fault(self):
        """The error when this server's encryption keys decrypt no stored key, else ``None``.

        A missing or changed encryption key makes every stored key undecryptable: that is one
        fault of the server's configuration, not a broken connection each. Up to
        ``CONFIG_FAULT_SAMPLE`` stored keys are tried; one that decrypts clears the fault.
        """
        rows = self.env.execute_query(
            SQL(
                "SELECT key_token FROM %s ORDER BY connection_id LIMIT %s",
                SQL.identifier(KEY_TABLE),
                CONFIG_FAULT_SAMPLE,
            )
        )
        if not rows:
            return None
        try:
            vault = self._vault()
        except UserError as exc:
            return exc
        for (token,) in rows:
            try:
                vault.decrypt(token)
            except errors.UndecryptableKeyError:
                continue
            return None
        return errors.UndecryptableKeyError()

    @api.model
    def _notify_encryption_fault(self, error):
        """Tell the system administrators once (until fixed) that no stored key decrypts."""
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(CONFIG_FAULT_PARAM):
            return
        params.set_param(CONFIG_FAULT_PARAM, fields.Datetime.to_string(fields.Datetime.now()))
        admins = (
            self.env.ref("base.group_system")
            .sudo()
            .all_user_ids.filtered(lambda user: user.active and not user.share)
        )
        body = self.env._(
            "The Pleo health check cannot decrypt any stored Pleo API key with this server's "
            "encryption keys (option pleo_encryption_keys, environment variable "
            "PLEO_ENCRYPTION_KEYS or the generated key file): %s The connections were left as "
            "they are; restore the encryption key, and the next check runs normally.",
            str(error),
        )
        _logger.error("Pleo health check: no stored API key can be decrypted; nothing changed")
        if admins:
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=admins.partner_id.ids,
                subject=self.env._("Pleo: the encryption key of this server is missing or changed"),
                body=body,
            )

    def _health_job_extra(self):
        """What an addon's part of this connection's health check needs, as plain values (the
        check runs in a worker thread, without the ORM): see :meth:`_health_call`."""
        self.ensure_one()
        return {}

    @api.model
    def _health_call(self, required):
        """The health check's call for one connection, ``call(client, job)``, run in a worker
        thread with the connection's client: no ORM, no ``self`` inside. An addon that checks
        something more at Pleo wraps it (``super()._health_call(required)``), so that its call
        runs in the same pool, on the same client, instead of one connection after another in
        :meth:`_apply_outcomes`, which then reads what it brought."""

        def health(client, job):
            scopes = required if job.scope_check else None
            return checks.check_health(client, job.pleo_company_uuid, scopes)

        return health

    def _apply_outcomes(self, outcomes):
        """Store what Pleo answered; flag and notify transitions to and from ``broken``.

        A definitive answer (key rejected, installation gone, scopes missing, other company)
        breaks the connection at once; a transient one (timeout, 5xx, 429, garbage) only after
        ``pleo_failure_threshold`` consecutive failures.
        """
        threshold = max(read_option("pleo_failure_threshold"), 1)
        now = fields.Datetime.now()
        values = {}
        broken, recovered = [], []
        for connection, outcome in outcomes.items():
            if connection.state not in BOUND_STATES or outcome.config_fault:
                continue
            if outcome.ok:
                result = outcome.result
                values[connection] = self._connected_values(
                    getattr(result, "introspection", None), getattr(result, "installation", None)
                )
                if connection.state == "broken":
                    recovered.append(connection)
                continue
            reason = connection.with_context(lang=connection._readers_lang())._user_message(
                outcome.error
            )
            streak = min(connection.failure_streak + 1, MAX_FAILURE_STREAK)
            is_broken = outcome.definitive or streak >= threshold
            vals = {"last_check_date": now, "last_error": reason, "failure_streak": streak}
            if isinstance(outcome.error, errors.MissingScopesError) and outcome.error.missing:
                vals["missing_scopes"] = " ".join(outcome.error.missing)
            if is_broken:
                vals["state"] = "broken"
                if connection.state != "broken":
                    broken.append((connection, reason))
            values[connection] = vals
        poisoned = self._write_grouped(values)
        recovered = [connection for connection in recovered if connection not in poisoned]
        broken = [(c, r) for c, r in broken if c not in poisoned]
        broken += [(c, r) for c, r in poisoned.items() if c.state == "broken"]
        for connection, reason in broken:
            connection.with_context(lang=connection._readers_lang())._notify_broken(reason)
        for connection in recovered:
            connection.with_context(lang=connection._readers_lang())._notify_recovered()

    def _pleo_managers(self):
        """The active internal users who manage this company's Pleo connection."""
        self.ensure_one()
        group = self.env.ref("pleo_connector.group_pleo_manager")
        return group.sudo().all_user_ids.filtered(
            lambda user: user.active and not user.share and self.company_id in user.company_ids
        )

    def _readers_lang(self):
        """The language in which what the crons store for this company is worded: failure
        reasons, activities, chatter and summaries (they are stored once, and sent to Pleo as
        they are). The readers are the company's Pleo managers: their most common language (the
        one of who connected the company on a tie), else the company's. Never the cron's own
        user (OdooBot, in the database's first language), who reads none of it.
        """
        self.ensure_one()
        managers = self._pleo_managers()
        langs = Counter(user.lang for user in managers if user.lang)
        if not langs:
            return self.company_id.partner_id.lang or self.env.lang
        first = self.connected_by_id.lang
        return min(langs, key=lambda lang: (-langs[lang], lang != first, lang))

    def _notify_broken(self, reason):
        """One chatter message to the company's Pleo managers and one activity.

        The reason is said once in full, in the message (it is e-mailed to the managers and
        stays in the history; the form's alert shows the current one): the activity only
        points to it, so that closing it does not repeat the reason a third time.
        """
        self.ensure_one()
        managers = self._pleo_managers()
        responsible = self.connected_by_id & managers or managers[:1]
        self.message_post(
            body=self.env._("The Pleo connection is broken: %s", reason),
            partner_ids=managers.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )
        if responsible:
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=self.env._("Pleo connection broken"),
                user_id=responsible.id,
            )

    def _broken_activities(self):
        warning = self.env.ref("mail.mail_activity_data_warning")
        return self.activity_ids.filtered(lambda a: a.activity_type_id == warning)

    def _close_broken_activities(self, feedback=None):
        activities = self.sudo()._broken_activities()
        if activities:
            activities.action_feedback(feedback=feedback or self.env._("The key was replaced."))

    def _notify_recovered(self):
        self.ensure_one()
        feedback = self.env._("The Pleo connection works again.")
        if self._broken_activities():
            self._close_broken_activities(feedback)
        else:
            self.message_post(body=feedback)

    def _summary(self, title, outcomes):
        """One notification for a batch action: how many succeeded, and why the others failed."""
        failed = {c: o for c, o in outcomes.items() if not o.ok}
        lines = [
            self.env._(
                "%(ok)s succeeded, %(failed)s failed.",
                ok=len(outcomes) - len(failed),
                failed=len(failed),
            )
        ]
        lines += [
            f"{connection.company_id.name}: {connection._user_message(outcome.error)}"
            for connection, outcome in failed.items()
        ]
        return self._notification(title, "\n".join(lines), "warning" if failed else "success")

    def action_validate_keys(self):
        """Server action: validate the stored keys of the selected connections with Pleo."""
        self._check_manager()
        required = self._required_scopes()

        def validate(client, job):
            # The installation too: only what was checked may be declared healthy.
            return checks.check_health(client, job.pleo_company_uuid, required)

        outcomes = self._run_jobs(validate, scope_check=True)
        self._apply_outcomes(outcomes)
        return self._summary(self.env._("Pleo API keys validated"), outcomes)

    def _record_rejection(self, error):
        """Record a definitive answer about this connection's stored key (broken, with reason)."""
        self.ensure_one()
        self._apply_outcomes({self: _Outcome(error=error)})

    def action_create_installations(self):
        """Server action: create (or re-activate) the Pleo installation of each connection."""
        self._check_manager()
        metadata = {connection.id: connection._installation_metadata() for connection in self}

        def install(client, job):
            installation = checks.ensure_installation(client, metadata[job.connection_id])
            return checks.CheckResult(installation=installation)

        outcomes = self._run_jobs(install)
        self._apply_outcomes(outcomes)
        return self._summary(self.env._("Pleo installations"), outcomes)

    # ------------------------------------------------------------------ the health-check cron

    @api.model
    def _cron_health_check(self, batch_size=None):
        """Check every connected and broken connection, longest-unchecked first.

        Works in Odoo's time slices (:class:`~..pleolib.slices.TimeSlice`): a batch of checks is
        one unit, committed once stored; the first batch of a slice always runs, and the cron
        reports the connections still due so that Odoo's runner calls it again. Never raises:
        one connection's error never stops the others, and a failing batch is rolled back to
        its savepoint and logged.

        A run a person started ("Run manually") checks every connection checked before the
        press; the scheduler's own runs skip those checked in the last ``RECHECK_AFTER`` (a
        continuation after a crash or a time-out). The press time is kept, committed by the
        job itself, until its checks are done, so that the runs continuing it check the same.
        """
        cron_model = self.env["ir.cron"]
        workers = read_option("pleo_http_workers")
        batch_size = batch_size or HEALTH_BATCH_PER_WORKER * max(workers, 1)

        health = self._health_call(self._required_scopes())
        params = self.env["ir.config_parameter"].sudo()
        press = pressed(CRON_XMLID)
        if press:
            params.set_param(MANUAL_RUN_PARAM, fields.Datetime.to_string(press.started))
        manual_start = params.get_param(MANUAL_RUN_PARAM)
        fault = self._encryption_fault()
        if fault:
            self._notify_encryption_fault(fault)
            params.set_param(MANUAL_RUN_PARAM, False)
            cron_model._commit_progress(remaining=0)
            return True
        params.set_param(CONFIG_FAULT_PARAM, False)
        busy = []  # connections a person is checking right now: skipped this run
        before = (
            fields.Datetime.to_datetime(manual_start)
            if manual_start
            else fields.Datetime.now() - RECHECK_AFTER
        )

        def due():
            return [
                ("state", "in", BOUND_STATES),
                ("id", "not in", busy),
                "|",
                ("last_check_date", "=", False),
                ("last_check_date", "<", before),
            ]

        connections = self.sudo().with_context(active_test=False)
        remaining = connections.search_count(due())
        slice_ = TimeSlice(cron_model._commit_progress, remaining=remaining)
        while remaining and not slice_.spent():
            batch = connections.search(
                due(), order="last_check_date ASC NULLS FIRST, id", limit=batch_size
            )
            try:
                with slice_.unit(), self.env.cr.savepoint():
                    locked = batch.try_lock_for_update(allow_referencing=True)
                    busy += (batch - locked).ids
                    locked._apply_outcomes(locked._run_jobs(health))
            except Exception:
                _logger.exception("Pleo health check: a batch of %s connections failed", len(batch))
                busy += batch.ids  # not again in this run
            remaining = connections.search_count(due())
            slice_.commit(len(batch), remaining=remaining)
        _logger.info("Pleo health check: %s; %s connections still due", slice_.report(), remaining)
        if not remaining and manual_start:
            params.set_param(MANUAL_RUN_PARAM, False)
            slice_.commit()
        elif remaining:
            self.env.ref(CRON_XMLID)._trigger()  # wake the scheduler for the next slice
            slice_.commit()
        return True
