# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Keep Pleo in step with Odoo: push a company's accounting setup to Pleo (opt-in per part).

* **Accounts**: the accounts the connection's selection chooses (by type: by default the
  expense accounts a card pays; by tag; less those kept out, proposed as the chart's salaries
  and taxes; plus those chosen one by one) go to Pleo's chart of accounts with ``externalId`` =
  the Odoo id, ``code``, ``name`` and the default tax's code; deprecated, removed or no longer
  selected accounts are archived (never deleted).
* **Tax codes**: the purchase taxes, with rate (a fraction, as in Pleo's exports), type
  (``reverse`` with a negative repartition line, else ``inclusive``: a card amount includes its
  VAT, whatever Odoo's ``price_include``) and the ingoing/outgoing tax accounts' codes.
* **Tags**: root analytic plans → tag groups, their analytic accounts → tags (code = the
  analytic account's ``code``, else a generated one written back).
* **Vendors**: suppliers (``sync_vendor_domain``) → ``POST /v1/vendors`` then ``:activate`` with
  ``externalId`` = the partner id and ``code`` = its ``ref``; archived partners are archived.

Every part first reads what Pleo has, then writes only the differences: a second run with
nothing changed makes read calls only. Records made in Pleo by hand are matched by code (or
``externalId``) and adopted, not duplicated. A part the key lacks a scope for is reported (which
scope to ask Pleo for) while the other parts run; a Pleo failure stops only its part. One summary
per run; a record's failure is posted on the chatter once, not on every run.

This file holds the settings, the run, the record keeping and the report; what each part sends
is in ``pleo_setup_sync_accounts_taxes.py`` and ``pleo_setup_sync_tags_vendors.py``.
"""

import hashlib
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from odoo.addons.pleo_connector.pleolib import errors
from odoo.addons.pleo_connector.pleolib.setup_api import DEFAULT_PER_MINUTE, ConflictError, Pacer, SetupApi
from odoo.addons.pleo_connector.pleolib.slices import SliceSpent, TimeSlice
from odoo.addons.pleo_connector.models.ir_cron import due_before, press_domain, run_due_connections
from .pleo_setup_record import TARGET_FIELDS

_logger = logging.getLogger(__name__)

SETUP_CRON_XMLID = "pleo_connector.ir_cron_pleo_setup_sync"
#: Due connections in the order they are synced: the one a slice left half-way first.
SETUP_ORDER = "setup_last_sync ASC NULLS FIRST, id"
DEFAULT_VENDOR_DOMAIN = "[('supplier_rank', '>', 0)]"
#: part -> (enabling field, scope to ask Pleo for)
PARTS = {
    "taxes": ("sync_taxes", "tax-codes:write"),
    "accounts": ("sync_accounts", "accounts:write"),
    "tags": ("sync_tags", "tag-groups:write"),
    "vendors": ("sync_vendors", "vendors:write"),
}
#: What Pleo may refuse one record with, without stopping the part.
RECORD_ERRORS = (ConflictError, errors.UnexpectedResponseError)


def _hash(values):
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def differs(remote, desired, keys):
    """Whether Pleo's ``remote`` row differs from the ``desired`` values in one of ``keys``."""
    for key in keys:
        mine, theirs = desired.get(key), remote.get(key)
        if isinstance(mine, float) or isinstance(theirs, float):
            if mine is None or theirs is None or abs(float(mine) - float(theirs)) > 1e-9:
                return True
        elif (mine or None) != (theirs or None):
            return True
    return False


def archived_in_pleo(row):
    """Whether Pleo holds ``row`` archived (an ``archived`` flag, or a vendor's state)."""
    return bool(row.get("archived")) or row.get("state") == "ARCHIVED"


class Remote:
    """What Pleo holds for one part, indexed by id and by the fields records are matched on."""

    def __init__(self, rows, *fields_):
        self.rows = rows
        self.by_id = {row["id"]: row for row in rows}
        self.index = {}
        for row in rows:
            for name in fields_:
                if row.get(name):
                    self.index.setdefault((name, row[name]), row)

    def match(self, record, *keys):
        """The row of ``record`` (by Pleo id), else the first found by ``(field, value)``."""
        if record and record.pleo_uuid in self.by_id:
            return self.by_id[record.pleo_uuid]
        for key in keys:
            if key[1] and key in self.index:
                return self.index[key]
        return None


class SyncStats:
    """Counts and failures of one part of one run, and the run's time slice."""

    def __init__(self, part, slice_=None):
        self.part = part
        self.slice_ = slice_
        self.created = self.updated = self.archived = 0
        self.failures = []  # (setup record or None, label, reason)
        self.problem = None  # why the part did not (fully) run

    def fail(self, record, label, reason):
        self.failures.append((record, label, reason))

    def step(self):
        """Before each record sent to Pleo: commit every few seconds, and stop (``SliceSpent``)
        where the cron's slice ends. The records kept so far are consistent with Pleo: each is
        written right after Pleo's answer."""
        if self.slice_ is not None:
            self.slice_.step()


class PleoConnection(models.Model):
    _inherit = "pleo.connection"

    sync_accounts = fields.Boolean(
        string="Sync accounts",
        help="Push the accounts chosen below to Pleo's chart of accounts, so that spend is "
        "categorised with Odoo's own accounts.",
    )
    sync_taxes = fields.Boolean(
        string="Sync tax codes", help="Push the purchase taxes to Pleo as tax codes."
    )
    sync_tags = fields.Boolean(
        string="Sync analytic tags",
        help="Push the analytic plans to Pleo as tag groups and their analytic accounts as tags.",
    )
    sync_vendors = fields.Boolean(
        string="Sync vendors", help="Push the suppliers to Pleo as active vendors."
    )
    sync_extra_account_ids = fields.Many2many(
        "account.account",
        "pleo_connection_sync_account_rel",
        "connection_id",
        "account_id",
        string="Other accounts to sync",
        check_company=True,
        help="Accounts to push besides those chosen by type and tag (any type, e.g. the "
        "employees' receivable for personal spend).",
    )
    sync_vendor_domain = fields.Char(
        string="Vendors to sync",
        default=DEFAULT_VENDOR_DOMAIN,
        help="Which partners are Pleo vendors (a domain; the company's and shared partners).",
    )
    setup_record_ids = fields.One2many("pleo.setup.record", "connection_id", readonly=True)
    setup_last_sync = fields.Datetime(string="Last setup sync", readonly=True, copy=False)
    setup_summary = fields.Text(string="Last sync summary", readonly=True, copy=False)
    setup_missing_scopes = fields.Char(
        readonly=True, copy=False, help="Scopes the setup sync needs and the key lacks."
    )

    # ------------------------------------------------------------------ entry points

    def action_sync_setup(self):
        """Sync setup to Pleo now, as the scheduler would (``ir.cron.method_direct_trigger``:
        its own cursor and time slice); one notification with each company's summary. What
        the slice does not hold goes on in the background."""
        self._check_manager()
        for connection in self:
            connection._check_enabled()
            if not connection._setup_parts():
                raise UserError(
                    self.env._(
                        "Choose what to sync to Pleo for %(company)s first (accounts, tax "
                        "codes, analytic tags, vendors).",
                        company=connection.company_id.name,
                    )
                )
        press = self.env.ref(SETUP_CRON_XMLID).sudo()._pleo_press(self.ids)
        tally = press.tally
        if not press.ran:
            message = self.env._(
                "Odoo is already syncing the setup to Pleo; %(companies)s follow in a minute.",
                companies=", ".join(self.mapped("company_id.name")),
            )
            return self._notification(self.env._("Sync setup to Pleo"), message, "info")
        lines = list(tally.lines)
        if tally["waiting"]:
            lines.append(
                self.env._(
                    "%(count)s companies: the sync goes on in the background (see the "
                    "connection's last sync summary).",
                    count=tally["waiting"],
                )
            )
        kind = "warning" if tally["errors"] or tally["waiting"] else "success"
        return self._notification(self.env._("Sync setup to Pleo"), "\n".join(lines), kind)

    @api.model
    def _cron_pleo_setup_sync(self):
        """Sync every connected company that opted in, in Odoo's time slices; never raises.

        A company is due when it was not synced in this round (a press: each pressed once). Its
        sync commits every few seconds and stops where the slice ends (``SliceSpent``): what
        it pushed is kept, and the next slice starts it again, which re-reads Pleo and sends
        only what is still missing. A company whose sync fails is rolled back to its last
        commit, logged, and not tried again before the next round.
        """
        run_due_connections(
            self,
            SETUP_CRON_XMLID,
            self._setup_due_domain,
            SETUP_ORDER,
            lambda connection, slice_, tally: connection._setup_turn(slice_, tally),
        )
        return True

    def _setup_turn(self, slice_, tally):
        """One company's sync in the cron: never raises; a sync the slice cut short is left due
        (no sync date) and one that failed waits for the next round."""
        self.ensure_one()
        connection = self
        try:
            with slice_.unit():
                text, ok = connection._setup_sync(slice_)
            tally.lines.append(text)
            if not ok:
                tally.fail(False)
        except SliceSpent:
            # What was pushed is kept; no sync date makes it due first in the next slice.
            connection.write(
                {
                    "setup_last_sync": False,
                    "setup_summary": self.env._(
                        "The sync is under way: it goes on in the background."
                    ),
                }
            )
            tally.add("waiting")
        except Exception:
            self.env.cr.rollback()
            self.env.invalidate_all()
            _logger.exception("Pleo setup sync of %s failed", connection.company_id.name)
            text = self.env._(
                "%(company)s: the sync stopped on an unexpected error (details in the "
                "server log); it runs again in the next round.",
                company=connection.company_id.name,
            )
            connection.write({"setup_last_sync": fields.Datetime.now(), "setup_summary": text})
            tally.lines.append(text)
            tally.fail(False)

    @api.model
    def _setup_due_domain(self, press=None):
        """The connections the setup sync has to sync now (see :meth:`_cron_pleo_setup_sync`)."""
        domain = [("state", "=", "connected")]
        domain += ["|", "|", "|"] + [(PARTS[p][0], "=", True) for p in PARTS]
        if press:
            return [*domain, *press_domain(press)]
        since = due_before(self.env.ref(SETUP_CRON_XMLID).sudo())
        return [*domain, "|", ("setup_last_sync", "=", False), ("setup_last_sync", "<", since)]

    # ------------------------------------------------------------------ one run

    def _setup_parts(self):
        self.ensure_one()
        return [part for part, (flag, _scope) in PARTS.items() if self[flag]]

    def _setup_pacer(self, client):
        raw = config.get("pleo_setup_requests_per_minute")
        try:
            per_minute = int(raw) if raw not in (None, "", False) else DEFAULT_PER_MINUTE
        except (TypeError, ValueError):
            per_minute = DEFAULT_PER_MINUTE
        return Pacer(per_minute, sleep=client._sleep)

    def _setup_sync(self, slice_=None):
        """Run the enabled parts; return ``(summary, everything went well)``.

        With a cron's ``slice_``, the parts commit every few seconds and raise ``SliceSpent``
        where it ends (see :meth:`SyncStats.step`); without, they run to the end.
        """
        self.ensure_one()
        slice_ = slice_ or TimeSlice()
        stats = []
        try:
            return self._setup_sync_parts(slice_, stats)
        except errors.PleoError as error:
            self._pleo_paused(error)
            text = f"{self.company_id.name}: {self._user_message(error)}"
            self.write({"setup_last_sync": fields.Datetime.now(), "setup_summary": text})
            return text, False

    def _setup_sync_parts(self, slice_, stats):
        with self._open_client() as client:
            setup = SetupApi(client, self.pleo_company_uuid, pacer=self._setup_pacer(client))
            for part in self._setup_parts():
                part_stats = SyncStats(part, slice_)
                stats.append(part_stats)
                try:
                    getattr(self, f"_setup_sync_{part}")(setup, part_stats)
                except errors.MissingScopesError:
                    part_stats.problem = ("scope", PARTS[part][1])
                except errors.PleoError as error:
                    part_stats.problem = ("error", self._user_message(error))
                    self._pleo_paused(error)
                self.env.flush_all()
        return self._setup_report(stats)

    def _setup_report(self, stats):
        labels = {
            "accounts": self.env._("Accounts"),
            "taxes": self.env._("Tax codes"),
            "tags": self.env._("Tags"),
            "vendors": self.env._("Vendors"),
        }
        lines, missing, ok, new_failures = [], [], True, []
        for part in stats:
            line = self.env._(
                "%(part)s: %(created)s created, %(updated)s updated, %(archived)s archived, "
                "%(failed)s failed",
                part=labels[part.part],
                created=part.created,
                updated=part.updated,
                archived=part.archived,
                failed=len(part.failures),
            )
            if part.failures:
                ok = False
                reasons = "; ".join(f"{label}: {reason}" for _r, label, reason in part.failures[:5])
                line += f" ({reasons}{'; …' if len(part.failures) > 5 else ''})"
            if part.problem:
                ok = False
                kind, detail = part.problem
                if kind == "scope":
                    missing.append(detail)
                    line += " – " + self.env._(
                        "not synced: the API key lacks the scope %(scope)s; ask Pleo for a key "
                        "with it.",
                        scope=detail,
                    )
                else:
                    line += " – " + self.env._("stopped: %(reason)s", reason=detail)
            lines.append(line if line.endswith(".") else line + ".")  # no "..": ux-walk m7
            for record, label, reason in part.failures:
                if record is None or record.failure != reason:
                    new_failures.append(f"{label}: {reason}")
                if record is not None:
                    record.failure = reason
        summary = "\n".join(lines)
        self.write(
            {
                "setup_last_sync": fields.Datetime.now(),
                "setup_summary": summary,
                "setup_missing_scopes": " ".join(missing) or False,
            }
        )
        if new_failures:
            self.message_post(
                body=self.env._(
                    "Pleo setup sync: these records could not be synced: %(list)s",
                    list="; ".join(new_failures),
                )
            )
        return summary, ok

    # ------------------------------------------------------------------ bookkeeping

    def _setup_records(self, kind):
        Record = self.env["pleo.setup.record"].sudo()
        return Record.search([("connection_id", "=", self.id), ("kind", "=", kind)])

    def _setup_failed(self, stats, record, kind, target, reason):
        """Note a record Pleo refused; its row (made if needed) keeps the reason."""
        if not record:
            record = (
                self.env["pleo.setup.record"]
                .sudo()
                .create({"connection_id": self.id, "kind": kind, TARGET_FIELDS[kind]: target.id})
            )
        stats.fail(record, target.display_name, reason)
        return record

    def _setup_keep(self, record, kind, target, remote, desired, changed):
        """Create or update the row of ``target`` after Pleo answered with ``remote``."""
        target_field = TARGET_FIELDS[kind]
        values = {
            "pleo_uuid": remote["id"],
            "pleo_external_ref": remote.get("externalId") or False,
            "code": remote.get("code") or False,
            "name": remote.get("name") or False,
            "archived": archived_in_pleo(remote),
            "sync_hash": _hash(desired),
        }
        if changed:
            values["last_sync"] = fields.Datetime.now()
            values["failure"] = False
        if record:
            if target:
                values[target_field] = target.id
            current = {k: record[k] for k in values if k != target_field}
            current_values = {k: v for k, v in values.items() if k != target_field}
            if current != current_values or record[target_field] != target:
                record.write(values)
            return record
        values.update({"connection_id": self.id, "kind": kind, "last_sync": fields.Datetime.now()})
        if target:
            values[target_field] = target.id
        return self.env["pleo.setup.record"].sudo().create(values)

    def _setup_push(
        self, stats, kind, target, record, row, desired, *, create, update, stale, finish=None
    ):
        """Send ``target`` to Pleo and keep its row: ``create()`` when Pleo has no ``row`` for
        it, else ``update(row)`` when ``stale(row)``; then ``finish(row)``, a last call some
        parts need, which returns the row it changed (an update) or ``None``.

        Returns ``(its setup record, the row Pleo now holds)``; the row is ``None`` when Pleo
        refused the record (the failure is noted and the part goes on).
        """
        stats.step()
        try:
            changed = True
            if row is None:
                row = create()
                stats.created += 1
            elif stale(row):
                row = update(row)
                stats.updated += 1
            else:
                changed = False
            finished = finish(row) if finish else None
            if finished is not None:
                row = finished
                if not changed:
                    stats.updated += 1
                changed = True
        except RECORD_ERRORS as error:
            return self._setup_failed(stats, record, kind, target, error.message), None
        return self._setup_keep(record, kind, target, row, desired, changed), row

    def _setup_archive_gone(self, stats, remote, records, archive):
        """Archive in Pleo (never delete) the rows of ``records`` Odoo no longer sends."""
        for record in records:
            row = remote.match(record)
            if row and not archived_in_pleo(row):
                stats.step()
                archive(row)
                stats.archived += 1
                record.write({"archived": True, "last_sync": fields.Datetime.now()})

    # ------------------------------------------------------------------ for the export

    def _setup_sync_lookup(self):
        """What the sync wrote, for the export's lookups: ``{("account", externalId): account,
        ("tax", code): tax, ("tag", group code, code): analytic account, ("vendor", externalId):
        partner}`` (rows whose Odoo record is gone are left out)."""
        self.ensure_one()
        lookup = {}
        records = self.env["pleo.setup.record"].sudo().search([("connection_id", "=", self.id)])
        for record in records:
            target = record._target()
            if not target:
                continue
            if record.kind in ("account", "vendor"):
                for ref in {record.pleo_external_ref, str(target.id)} - {False, None}:
                    lookup[(record.kind, ref)] = target
            elif record.kind == "tax" and record.code:
                lookup[("tax", record.code)] = target
            elif record.kind == "tag" and record.code:
                lookup[("tag", record.group_record_id.code, record.code)] = target
        return lookup
