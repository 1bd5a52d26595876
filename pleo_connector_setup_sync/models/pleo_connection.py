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

The vendor domain is a Pleo Manager's text, run by the daily sync as superuser: it may compare
only the partner's own stored values (no path into related records, no sub-domain, no field a
group guards, links by record id only), and it runs with the rights of the person who saved it,
in the connection's company only. It is checked when saved and again at every sync.

The comparison with what Pleo holds (``Remote``, ``differs``, ``SyncStats``) is plain Python, in
``tools/setup_diff.py``.
"""

import logging
import re
from collections.abc import Collection

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.pleo_connector.const import SETUP_CRON_XMLID, read_option
from odoo.addons.pleo_connector.models.ir_cron import due_before, press_domain, run_due_connections
from odoo.addons.pleo_connector.pleolib import errors
from odoo.addons.pleo_connector.pleolib.setup_api import (
    ConflictError,
    Pacer,
    SetupApi,
)
from odoo.addons.pleo_connector.pleolib.slices import SliceSpent, TimeSlice

from ..tools.setup_diff import Remote, SyncStats, archived_in_pleo, differs, sync_hash
from .pleo_setup_record import TARGET_FIELDS

_logger = logging.getLogger(__name__)

#: The connection fields only the sync's own code sets (as superuser): its report, and who last
#: saved the vendor domain it runs with.
SETUP_MANAGED_FIELDS = (
    "setup_last_sync",
    "setup_summary",
    "setup_missing_scopes",
    "sync_vendor_domain_uid",
)
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
#: What the account selection's types mean: the Odoo account types each choice sends.
ACCOUNT_SCOPES = {
    # what a card pays: expenses and the cost of what is sold (not depreciation)
    "expense": ("expense", "expense_direct_cost"),
    # ...and equipment bought by card, booked as an asset
    "expense_assets": ("expense", "expense_direct_cost", "asset_fixed", "asset_non_current"),
    "any": None,  # every type but NEVER_TYPES
}
#: Never in Pleo by the selection (only when chosen one by one in "Other accounts to sync"):
#: receivables, payables, liquidity (the wallet too), equity and off-balance accounts; so are
#: the accounts of the company's taxes.
NEVER_TYPES = (
    "asset_receivable",
    "liability_payable",
    "asset_cash",
    "liability_credit_card",
    "equity",
    "equity_unaffected",
    "off_balance",
)
#: Salaries and taxes that sit among the expense accounts, by chart template and the template's
#: account ids (``account.<company id>_<template id>``): proposed as accounts kept out of Pleo.
PAYROLL_AND_TAX_ACCOUNTS = {
    "generic_coa": ("expense_salary",),
    # l10n_dk: personnel costs (wages, holiday pay, pensions, ATP, payroll tax, staff
    # benefits; not the tax-free travel allowances 2895/2970 that mileage and per diem use, nor
    # course expenses 2896), energy and property taxes, and the company's income taxes.
    "dk": tuple(
        f"dk_coa_{code}"
        for code in (
            *(2845, 2846, 2847, 2850, 2860, 2865, 2866, 2870, 2880, 2885, 2887, 2888),
            *(2897, 2898, 2910, 2920, 2925, 2930, 2946, 2947, 2950, 2968, 2980),
            *(2060, 2090, 2100, 2110, 2120, 2130, 2140, 2190),
            *(3740, 3760, 3780, 3810),
        )
    ),
}
ACCOUNT_KEYS = ("code", "name", "archived", "taxCodeExternalId")
TAX_KEYS = ("code", "name", "rate", "type", "archived", "ingoingTaxAccount", "outgoingTaxAccount")
TAG_KEYS = ("code", "name", "archived")
VENDOR_KEYS = ("name", "defaultCurrency", "externalId", "code", "country", "taxRegistrationNumber")
#: What a vendor domain may compare a partner's own value with.
VENDOR_DOMAIN_OPERATORS = frozenset(
    {
        "=",
        "!=",
        "in",
        "not in",
        "<",
        ">",
        "<=",
        ">=",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "not =like",
        "=ilike",
        "not =ilike",
    }
)


def _record_ids_only(value):
    """Whether ``value`` names records by id only (ids, ``False``), not by name."""
    values = value if isinstance(value, Collection) and not isinstance(value, str) else [value]
    return all(
        item is False or item is None or (isinstance(item, int) and not isinstance(item, bool))
        for item in values
    )


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

    sync_account_types = fields.Selection(
        [
            ("expense", "Expense accounts"),
            ("expense_assets", "Expense and fixed-asset accounts"),
            ("any", "Accounts of any type (with the tags below)"),
        ],
        string="Accounts to sync",
        default="expense",
        required=True,
        help="Which accounts go to Pleo for employees to categorise spend with: the expense "
        "accounts a card pays (expenses, cost of revenue), also the fixed-asset accounts, or "
        "any account with the tags below. Receivable, payable, bank and cash accounts and the "
        "accounts of taxes never go by this choice.",
    )
    sync_account_tag_ids = fields.Many2many(
        "account.account.tag",
        "pleo_connection_sync_account_tag_rel",
        "connection_id",
        "tag_id",
        string="Only accounts with these tags",
        domain="[('applicability', '=', 'accounts')]",
        help="When set, only the accounts chosen above that have one of these tags go to Pleo.",
    )
    sync_excluded_account_ids = fields.Many2many(
        "account.account",
        "pleo_connection_sync_excluded_account_rel",
        "connection_id",
        "account_id",
        string="Accounts kept out of Pleo",
        check_company=True,
        compute="_compute_sync_excluded_account_ids",
        store=True,
        readonly=False,
        help="Accounts never sent to Pleo, such as salaries and taxes (proposed when the sync "
        "of accounts is turned on). An account that leaves the selection is archived in Pleo.",
    )

    sync_vendor_domain_uid = fields.Many2one(
        "res.users",
        string="Vendors to sync, saved by",
        readonly=True,
        copy=False,
        help="The vendor domain runs with this person's rights, in this company only.",
    )

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
    def _pleo_synced_unmapped_query(self):
        """The synced rows whose Odoo record is gone while Pleo still uses the code: the export
        lists them among the codes to map."""
        return SQL(
            """
            SELECT rec.connection_id, rec.kind,
                   CASE WHEN rec.kind = 'tag' AND grp.code IS NOT NULL
                        THEN grp.code || '/' || rec.code ELSE rec.code END,
                   jsonb_build_object('pleo_name', rec.name), NULL, rec.id * 2 + 1
              FROM pleo_setup_record rec
              LEFT JOIN pleo_setup_record grp ON grp.id = rec.group_record_id
             WHERE rec.kind IN ('account', 'tax', 'tag') AND rec.code IS NOT NULL
               AND rec.archived IS NOT TRUE AND rec.account_id IS NULL
               AND rec.tax_id IS NULL AND rec.analytic_account_id IS NULL
            """
        )

    @api.model
    def _managed_fields(self):
        """The sync's report, and who last saved the vendor domain it runs with."""
        return [*super()._managed_fields(), *SETUP_MANAGED_FIELDS]

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
        return Pacer(read_option("pleo_setup_requests_per_minute"), sleep=client._sleep)

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
            "sync_hash": sync_hash(desired),
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

    def _pleo_synced_lookup(self):
        """What the sync wrote, for the export's lookups: ``{("account", externalId): account,
        ("tax", code): tax, ("tag", group code, code): analytic account, ("vendor", externalId):
        partner}`` (rows whose Odoo record is gone are left out)."""
        self.ensure_one()
        lookup = super()._pleo_synced_lookup()
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

    # ------------------------------------------------------------------ accounts and tax codes

    @api.depends("sync_accounts")
    def _compute_sync_excluded_account_ids(self):
        """Propose the chart's salary and tax accounts, once the sync of accounts is on (a
        selection made by hand is kept)."""
        for connection in self:
            connection.sync_excluded_account_ids = connection.sync_excluded_account_ids or (
                connection._setup_payroll_and_tax_accounts() if connection.sync_accounts else False
            )

    def _setup_payroll_and_tax_accounts(self):
        """The salary and tax accounts among the company's expense accounts, as far as its
        chart template tells them (``PAYROLL_AND_TAX_ACCOUNTS``)."""
        company = self.company_id
        names = PAYROLL_AND_TAX_ACCOUNTS.get(company.chart_template or "", ())
        ids = (
            self.env["ir.model.data"]
            .sudo()
            .search(
                [
                    ("module", "=", "account"),
                    ("model", "=", "account.account"),
                    ("name", "in", [f"{company.id}_{name}" for name in names]),
                ]
            )
            .mapped("res_id")
        )
        return self.env["account.account"].browse(ids).exists()

    # ------------------------------------------------------------------ taxes

    def _setup_taxes_wanted(self):
        Tax = self.env["account.tax"].with_company(self.company_id)
        return Tax.search(
            [*Tax._check_company_domain(self.company_id), ("type_tax_use", "=", "purchase")],
            order="sequence, id",
        )

    def _setup_tax_codes(self):
        """{tax id: the code it has (or gets) in Pleo}; a name two taxes share gets the id."""
        taxes = self._setup_taxes_wanted()
        kept = {r.tax_id.id: r.code for r in self._setup_records("tax") if r.tax_id and r.code}
        names = [t.name for t in taxes]
        return {
            tax.id: kept.get(tax.id)
            or (tax.name if names.count(tax.name) == 1 else f"{tax.name}-{tax.id}")
            for tax in taxes
        }

    def _setup_tax_values(self, tax, code):
        """What Pleo holds for ``tax``: its type is about the card amount, not Odoo's
        ``price_include``. A card or receipt amount always includes the VAT paid to the
        supplier, so every tax paid to the supplier goes as ``inclusive`` (Pleo computes the VAT
        inside the amount: 25.00 of a 125.00 purchase at 25 %); a tax with a negative
        repartition line is a reverse charge (``reverse``: self-assessed on top, nothing paid to
        the supplier). ``exclusive`` is never sent: what Pleo computes for it on a card purchase
        is not documented (``TaxTypeV3``), and read as VAT on top of the amount it would deduct
        VAT that was never paid. A code an earlier version pushed as ``exclusive`` differs in
        ``type`` and is updated by the next sync."""
        lines = tax.invoice_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax")
        ingoing = lines.filtered(lambda r: r.factor_percent > 0)[:1].account_id
        outgoing = lines.filtered(lambda r: r.factor_percent < 0)[:1].account_id
        kind = "reverse" if lines.filtered(lambda r: r.factor_percent < 0) else "inclusive"
        rate = tax.amount / 100.0 if tax.amount_type in ("percent", "division") else 0.0
        return {
            "code": code,
            "name": tax.name,
            "rate": rate,
            "type": kind,
            "archived": not tax.active,
            "ingoingTaxAccount": ingoing.code or None,
            "outgoingTaxAccount": outgoing.code or None,
        }

    def _setup_sync_taxes(self, setup, stats):
        remote = Remote(setup.list_tax_codes(), "code")
        records = self._setup_records("tax")
        by_tax = {r.tax_id.id: r for r in records if r.tax_id}
        codes = self._setup_tax_codes()
        seen = self.env["pleo.setup.record"]
        for tax in self._setup_taxes_wanted():
            record = by_tax.get(tax.id)
            desired = self._setup_tax_values(tax, codes[tax.id])
            seen |= self._setup_push(
                stats,
                "tax",
                tax,
                record,
                remote.match(record, ("code", desired["code"])),
                desired,
                create=lambda desired=desired: setup.create_tax_code(desired),
                update=lambda row, desired=desired: setup.update_tax_code(row["id"], desired),
                stale=lambda row, desired=desired: differs(row, desired, TAX_KEYS),
            )[0]
        self._setup_archive_gone(
            stats,
            remote,
            records - seen,
            lambda row: setup.update_tax_code(
                row["id"], {**{k: row.get(k) for k in TAX_KEYS}, "archived": True}
            ),
        )

    # ------------------------------------------------------------------ accounts

    def _setup_accounts_wanted(self):
        """The accounts the selection chooses (types, tags, less those kept out), and the
        other accounts chosen one by one. The rest of what Pleo holds from Odoo is archived
        there (``_setup_archive_gone``)."""
        company = self.company_id
        Account = self.env["account.account"].with_company(company)
        types = ACCOUNT_SCOPES.get(self.sync_account_types) or None
        domain = [
            *Account._check_company_domain(company),
            ("account_type", "in", types) if types else ("account_type", "not in", NEVER_TYPES),
        ]
        if self.sync_account_tag_ids:
            domain.append(("tag_ids", "in", self.sync_account_tag_ids.ids))
        accounts = Account.search(domain, order="code, id")
        tax_accounts = (
            self.env["account.tax.repartition.line"]
            .sudo()
            .search([("company_id", "=", company.id), ("account_id", "!=", False)])
            .account_id
        )
        accounts -= self.sync_excluded_account_ids | tax_accounts
        return accounts | self.sync_extra_account_ids.filtered("active")

    def _setup_sync_accounts(self, setup, stats):
        """Accounts are created in batches (one call for all), so they do not go through
        ``_setup_push``; a refused update is noted and the part goes on."""
        remote = Remote(setup.list_accounts(), "externalId", "code")
        records = self._setup_records("account")
        by_account = {r.account_id.id: r for r in records if r.account_id}
        # the default tax's code, once the tax is in Pleo (Pleo may refuse an unknown one)
        tax_codes = {
            r.tax_id.id: r.code
            for r in self._setup_records("tax")
            if r.tax_id and r.code and r.pleo_uuid
        }
        seen = self.env["pleo.setup.record"]
        to_create = []
        for account in self._setup_accounts_wanted():
            record = by_account.get(account.id)
            default_tax = account.tax_ids.filtered(lambda t: t.type_tax_use == "purchase")[:1]
            desired = {
                "externalId": str(account.id),
                "code": account.code,
                "name": account.name,
                "archived": not account.active,
                "taxCodeExternalId": tax_codes.get(default_tax.id) if default_tax else None,
            }
            row = remote.match(
                record, ("externalId", desired["externalId"]), ("code", account.code)
            )
            if row is None:
                to_create.append((account, record, desired))
                continue
            changed = False
            if differs(row, desired, ACCOUNT_KEYS):
                update = {k: desired[k] for k in ACCOUNT_KEYS}
                stats.step()
                try:
                    row = setup.update_account(row["id"], update)
                except errors.UnexpectedResponseError as error:
                    seen |= self._setup_failed(stats, record, "account", account, error.message)
                    continue
                stats.updated += 1
                changed = True
            seen |= self._setup_keep(record, "account", account, row, desired, changed)
        if to_create:
            created, failed = setup.create_accounts([d for _a, _r, d in to_create])
            by_external = {row["externalId"]: row for row in created}
            failed_ids = {
                (f.get("request") or {}).get("externalId"): ", ".join(f.get("reasons") or ())
                for f in failed
            }
            for account, record, desired in to_create:
                row = by_external.get(desired["externalId"])
                if row is None:
                    reason = failed_ids.get(desired["externalId"]) or self.env._("not created")
                    seen |= self._setup_failed(stats, record, "account", account, reason)
                    continue
                stats.created += 1
                seen |= self._setup_keep(record, "account", account, row, desired, True)
        self._setup_archive_gone(
            stats,
            remote,
            records - seen,
            lambda row: setup.update_account(
                row["id"], {**{k: row.get(k) for k in ACCOUNT_KEYS}, "archived": True}
            ),
        )

    # ------------------------------------------------------------------ tags and vendors

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "sync_vendor_domain" in vals:
                company = self.env["res.company"].browse(vals.get("company_id"))
                self._check_vendor_domain(vals["sync_vendor_domain"], company or self.env.company)
        connections = super().create(vals_list)
        for connection, vals in zip(connections, vals_list, strict=True):
            if "sync_vendor_domain" in vals:
                connection._note_vendor_domain_author()
        return connections

    def write(self, vals):
        if "sync_vendor_domain" in vals:
            for connection in self:
                self._check_vendor_domain(vals["sync_vendor_domain"], connection.company_id)
        result = super().write(vals)
        if "sync_vendor_domain" in vals:
            self._note_vendor_domain_author()
        return result

    def _note_vendor_domain_author(self):
        """Who saved the vendor domain: the sync runs it with that person's rights (none when
        the addon's own code, as superuser, set it)."""
        author = self.env.uid if self.env.uid != SUPERUSER_ID else False
        self.sudo().write({"sync_vendor_domain_uid": author})

    # ------------------------------------------------------------------ tags

    def _setup_plans(self):
        return self.env["account.analytic.plan"].search([("parent_id", "=", False)], order="id")

    @staticmethod
    def _setup_plan_ref(group):
        """The Odoo plan a Pleo tag group names in its metadata (as the sync writes it)."""
        return {"odoo_plan_id": (group.get("metadata") or {}).get("odoo_plan_id")}

    @staticmethod
    def _setup_slug(name, fallback):
        slug = re.sub(r"[^A-Z0-9]+", "_", (name or "").upper()).strip("_")[:30]
        return slug or fallback

    def _setup_sync_tags(self, setup, stats):
        remote_groups = Remote(setup.list_tag_groups(), "code")
        group_records = self._setup_records("tag_group")
        by_plan = {r.plan_id.id: r for r in group_records if r.plan_id}
        seen_groups = self.env["pleo.setup.record"]
        for plan in self._setup_plans():
            record = by_plan.get(plan.id)
            code = (
                record.code
                if record and record.code
                else self._setup_slug(plan.name, f"PLAN{plan.id}")
            )
            plan_ref = {"odoo_plan_id": str(plan.id)}
            desired = {"code": code, "name": plan.name, "archived": False, "metadata": plan_ref}
            row = remote_groups.match(record, ("code", code))
            if row is None:  # else the group whose metadata names this plan
                row = next(
                    (g for g in remote_groups.rows if self._setup_plan_ref(g) == plan_ref), None
                )
            group_record, row = self._setup_push(
                stats,
                "tag_group",
                plan,
                record,
                row,
                desired,
                create=lambda desired=desired: setup.create_tag_group(desired),
                update=lambda row, desired=desired: setup.update_tag_group(
                    row["id"],
                    {**desired, "metadata": {**(row.get("metadata") or {}), **desired["metadata"]}},
                ),
                stale=lambda row, desired=desired: (
                    differs(row, desired, TAG_KEYS)
                    or self._setup_plan_ref(row) != desired["metadata"]
                ),
            )
            seen_groups |= group_record
            if row is not None:
                self._setup_sync_plan_tags(setup, stats, plan, group_record)
        self._setup_archive_gone(
            stats,
            remote_groups,
            group_records - seen_groups,
            lambda row: setup.update_tag_group(
                row["id"],
                {
                    "code": row["code"],
                    "name": row["name"],
                    "archived": True,
                    "metadata": row.get("metadata") or {},
                },
            ),
        )

    def _setup_sync_plan_tags(self, setup, stats, plan, group_record):
        remote = Remote(setup.list_tags(group_record.pleo_uuid), "code")
        Record = self.env["pleo.setup.record"].sudo()
        records = Record.search([("kind", "=", "tag"), ("group_record_id", "=", group_record.id)])
        by_analytic = {r.analytic_account_id.id: r for r in records if r.analytic_account_id}
        analytics = self.env["account.analytic.account"].search(
            [("root_plan_id", "=", plan.id), ("company_id", "in", (False, self.company_id.id))],
            order="code, id",
        )
        seen = Record
        for analytic in analytics:
            if not analytic.code:
                analytic.code = f"A{analytic.id:05d}"  # stable, and written back
            record = by_analytic.get(analytic.id)
            desired = {"code": analytic.code, "name": analytic.name, "archived": False}
            tag_record, _row = self._setup_push(
                stats,
                "tag",
                analytic,
                record,
                remote.match(record, ("code", analytic.code)),
                desired,
                create=lambda desired=desired: setup.create_tag(group_record.pleo_uuid, desired),
                update=lambda row, desired=desired: setup.update_tag(row["id"], desired),
                stale=lambda row, desired=desired: differs(row, desired, TAG_KEYS),
            )
            if tag_record.group_record_id != group_record:
                tag_record.group_record_id = group_record
            seen |= tag_record
        self._setup_archive_gone(
            stats,
            remote,
            records - seen,
            lambda row: setup.update_tag(
                row["id"], {"code": row["code"], "name": row.get("name"), "archived": True}
            ),
        )

    # ------------------------------------------------------------------ vendors

    @api.model
    def _vendor_domain(self, text):
        """The :class:`Domain` of a vendor domain's ``text``; raises ValidationError when it is
        not a domain or leaves the partner's own values (see the module docstring)."""
        try:
            domain = Domain(safe_eval(text or DEFAULT_VENDOR_DOMAIN))
        except Exception as error:  # a bookkeeper's typo: say so, do not crash the run
            raise ValidationError(
                self.env._("The vendor domain of the Pleo connection is invalid: %s", error)
            ) from None
        Partner = self.env["res.partner"]
        for condition in domain.iter_conditions():
            problem = self._vendor_condition_problem(Partner, condition)
            if problem:
                raise ValidationError(
                    self.env._(
                        "The vendor domain of the Pleo connection is refused: %(problem)s It may "
                        "compare only a partner's own values, such as [('supplier_rank', '>', 0)] "
                        "or [('country_id', 'in', [58])].",
                        problem=problem,
                    )
                )
        return domain

    def _vendor_condition_problem(self, Partner, condition):
        """Why one condition of a vendor domain is refused, or ``None``."""
        name, operator = condition.field_expr, condition.operator
        field = Partner._fields.get(name)
        if field is None:
            return self.env._("%s is not a field of the partner itself.", name)
        if not field.store or field.groups:
            return self.env._("the field %s cannot choose vendors.", name)
        if operator not in VENDOR_DOMAIN_OPERATORS:
            return self.env._("the operator %s cannot choose vendors.", operator)
        if field.relational and not _record_ids_only(condition.value):
            return self.env._("%s links to other records: compare it with record ids.", name)
        return None

    @api.model
    def _check_vendor_domain(self, text, company):
        """Check a vendor domain as it is saved: its shape, then one search with the rights of
        the person saving it, in ``company``, so that a domain they may not run is refused now
        rather than at every sync."""
        domain = self._vendor_domain(text)
        if self.env.uid == SUPERUSER_ID:
            return
        Partner = (
            self.env["res.partner"]
            .with_user(self.env.uid)
            .with_context(allowed_company_ids=company.ids)
        )
        try:
            Partner.search_count(
                Domain.AND([domain, Domain("company_id", "in", [False, *company.ids])]), limit=1
            )
        except (AccessError, UserError, ValueError) as error:
            raise ValidationError(
                self.env._(
                    "The vendor domain of the Pleo connection cannot be used: %s",
                    error.args[0] if error.args else error,
                )
            ) from None

    def _setup_vendors_wanted(self):
        """The partners the vendor domain chooses: run as the person who saved it (else as the
        addon), in this company only. Raises UserError with what to do when it cannot run."""
        self.ensure_one()
        domain = self._vendor_domain(self.sync_vendor_domain)
        company = self.company_id
        Partner = self.env["res.partner"]
        author = self.sync_vendor_domain_uid.sudo()
        if author:
            if not author.active or company not in author.company_ids:
                raise UserError(
                    self.env._(
                        "The vendor domain was saved by %(user)s, who can no longer choose the "
                        "partners of %(company)s: a Pleo Manager of %(company)s must save the "
                        "vendor domain again.",
                        user=author.name,
                        company=company.name,
                    )
                )
            Partner = Partner.with_user(author).with_context(allowed_company_ids=company.ids)
        try:
            partners = Partner.search(
                Domain.AND([domain, Domain("company_id", "in", [False, company.id])]), order="id"
            )
        except (AccessError, ValueError) as error:
            raise UserError(
                self.env._(
                    "The vendor domain of the Pleo connection cannot be used: %s",
                    error.args[0] if error.args else error,
                )
            ) from None
        return partners.with_env(self.env)

    def _setup_sync_vendors(self, setup, stats):
        try:
            wanted = self._setup_vendors_wanted()
        except UserError as error:  # nothing is pushed nor archived on a domain it cannot run
            stats.problem = ("error", error.args[0])
            return
        remote = Remote(setup.list_vendors(), "externalId", "code")
        records = self._setup_records("vendor")
        by_partner = {r.partner_id.id: r for r in records if r.partner_id}
        currency = self.company_id.currency_id.name
        seen = self.env["pleo.setup.record"]
        for partner in wanted:
            record = by_partner.get(partner.id)
            desired = {
                "name": partner.name,
                "defaultCurrency": currency,
                "externalId": str(partner.id),
                "code": partner.ref or None,
                "country": partner.country_id.code or None,
                "taxRegistrationNumber": partner.vat or None,
            }
            body = {k: v for k, v in desired.items() if v is not None}
            seen |= self._setup_push(
                stats,
                "vendor",
                partner,
                record,
                remote.match(
                    record, ("externalId", desired["externalId"]), ("code", desired["code"])
                ),
                desired,
                create=lambda body=body: setup.create_vendor(body),
                update=lambda row, body=body: setup.update_vendor(
                    row["id"], {**body, "state": row.get("state") or "DRAFT"}
                ),
                stale=lambda row, desired=desired: differs(row, desired, VENDOR_KEYS),
                finish=lambda row, partner=partner: self._setup_activate_vendor(
                    setup, row, partner
                ),
            )[0]
        self._setup_archive_gone(
            stats, remote, records - seen, lambda row: setup.archive_vendor(row["id"])
        )

    @staticmethod
    def _setup_activate_vendor(setup, row, partner):
        """Activate a vendor Pleo holds as a draft; return the row as it is then, or ``None``
        when it was active already."""
        if row.get("state") == "ACTIVE":
            return None
        setup.activate_vendor(row["id"], partner.id, partner.ref or None)
        return {**row, "state": "ACTIVE", "externalId": str(partner.id)}
