# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Keep Pleo in step with Odoo: push a company's accounting setup to Pleo (opt-in per part).

* **Accounts**: the expense-side accounts (and those ticked on the connection) go to Pleo's
  chart of accounts with ``externalId`` = the Odoo id, ``code``, ``name`` and the default tax's
  code; deprecated, removed or no longer selected accounts are archived (never deleted).
* **Tax codes**: the purchase taxes, with rate (a fraction, as in Pleo's exports), type
  (``reverse`` with a -100 % repartition line, ``inclusive`` when price-included, else
  ``exclusive``) and the ingoing/outgoing tax accounts' codes.
* **Tags**: root analytic plans → tag groups, their analytic accounts → tags (code = the
  analytic account's ``code``, else a generated one written back).
* **Vendors**: suppliers (``sync_vendor_domain``) → ``POST /v1/vendors`` then ``:activate`` with
  ``externalId`` = the partner id and ``code`` = its ``ref``; archived partners are archived.

Every part first reads what Pleo has, then writes only the differences: a second run with
nothing changed makes read calls only. Records made in Pleo by hand are matched by code (or
``externalId``) and adopted, not duplicated. A part the key lacks a scope for is reported (which
scope to ask Pleo for) while the other parts run; a Pleo failure stops only its part. One summary
per run; a record's failure is posted on the chatter once, not on every run.
"""

import hashlib
import json
import logging
import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config
from odoo.tools.safe_eval import safe_eval

from ..pleolib import errors
from ..pleolib.setup_api import DEFAULT_PER_MINUTE, ConflictError, Pacer, SetupApi

_logger = logging.getLogger(__name__)

SETUP_CRON_XMLID = "pleo_connector.ir_cron_pleo_setup_sync"
EXPENSE_TYPES = ("expense", "expense_depreciation", "expense_direct_cost")
DEFAULT_VENDOR_DOMAIN = "[('supplier_rank', '>', 0)]"
#: part -> (enabling field, scope to ask Pleo for)
PARTS = {
    "taxes": ("sync_taxes", "tax-codes:write"),
    "accounts": ("sync_accounts", "accounts:write"),
    "tags": ("sync_tags", "tag-groups:write"),
    "vendors": ("sync_vendors", "vendors:write"),
}
ACCOUNT_KEYS = ("code", "name", "archived", "taxCodeExternalId")
TAX_KEYS = ("code", "name", "rate", "type", "archived", "ingoingTaxAccount", "outgoingTaxAccount")
VENDOR_KEYS = ("name", "defaultCurrency", "externalId", "code", "country", "taxRegistrationNumber")


def _hash(values):
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _differs(remote, desired, keys):
    for key in keys:
        mine, theirs = desired.get(key), remote.get(key)
        if isinstance(mine, float) or isinstance(theirs, float):
            if mine is None or theirs is None or abs(float(mine) - float(theirs)) > 1e-9:
                return True
        elif (mine or None) != (theirs or None):
            return True
    return False


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
    """Counts and failures of one part of one run."""

    def __init__(self, part):
        self.part = part
        self.created = self.updated = self.archived = 0
        self.failures = []  # (setup record or None, label, reason)
        self.problem = None  # why the part did not (fully) run

    def fail(self, record, label, reason):
        self.failures.append((record, label, reason))


class PleoConnection(models.Model):
    _inherit = "pleo.connection"

    sync_accounts = fields.Boolean(
        string="Sync accounts",
        help="Push the expense accounts (and the accounts chosen below) to Pleo's chart of "
        "accounts, so that spend is categorised with Odoo's own accounts.",
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
        help="Accounts to push besides the expense accounts.",
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
        """Sync setup to Pleo now; one notification summing up every connection's run."""
        self._check_manager()
        summaries, kind = [], "success"
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
            try:
                text, ok = connection.sudo()._setup_sync()
            except errors.PleoError as error:
                text, ok = connection._user_message(error), False
            summaries.append(text)
            kind = kind if ok else "warning"
        return self._notification(self.env._("Sync setup to Pleo"), "\n".join(summaries), kind)

    @api.model
    def _cron_pleo_setup_sync(self):
        """The daily sync of every connected company that opted in; never raises."""
        cron = self.env["ir.cron"]
        domain = [("state", "=", "connected")]
        domain += ["|", "|", "|"] + [(PARTS[p][0], "=", True) for p in PARTS]
        connections = self.sudo().search(domain, order="id")
        cron._commit_progress(remaining=len(connections))
        for connection in connections:
            try:
                connection._setup_sync()
            except Exception:
                _logger.exception("Pleo setup sync of %s failed", connection.company_id.name)
                self.env.cr.rollback()
                self.env.invalidate_all()
            cron._commit_progress(1)
        return True

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

    def _setup_sync(self):
        """Run the enabled parts; return ``(summary, everything went well)``."""
        self.ensure_one()
        stats = []
        with self._open_client() as client:
            setup = SetupApi(client, self.pleo_company_uuid, pacer=self._setup_pacer(client))
            for part in self._setup_parts():
                part_stats = SyncStats(part)
                stats.append(part_stats)
                try:
                    getattr(self, f"_setup_sync_{part}")(setup, part_stats)
                except errors.MissingScopesError:
                    part_stats.problem = ("scope", PARTS[part][1])
                except errors.PleoError as error:
                    part_stats.problem = ("error", self._user_message(error))
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
            lines.append(line + ".")
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

    def _setup_failed(self, stats, record, kind, target_field, target, reason):
        """Note a record Pleo refused; its row (made if needed) keeps the reason."""
        if not record:
            record = (
                self.env["pleo.setup.record"]
                .sudo()
                .create({"connection_id": self.id, "kind": kind, target_field: target.id})
            )
        stats.fail(record, target.display_name, reason)
        return record

    def _setup_keep(self, record, kind, target_field, target, remote, desired, changed):
        """Create or update the row of ``target`` after Pleo answered with ``remote``."""
        values = {
            "pleo_uuid": remote["id"],
            "pleo_external_ref": remote.get("externalId") or False,
            "code": remote.get("code") or False,
            "name": remote.get("name") or False,
            "archived": bool(remote.get("archived")) or remote.get("state") == "ARCHIVED",
            "sync_hash": _hash(desired),
        }
        if changed:
            values["last_sync"] = fields.Datetime.now()
            values["failure"] = False
        if record:
            if target_field and target:
                values[target_field] = target.id
            current = {k: record[k] for k in values if k != target_field}
            current_values = {k: v for k, v in values.items() if k != target_field}
            if current != current_values or (target_field and record[target_field] != target):
                record.write(values)
            return record
        values.update({"connection_id": self.id, "kind": kind, "last_sync": fields.Datetime.now()})
        if target_field and target:
            values[target_field] = target.id
        return self.env["pleo.setup.record"].sudo().create(values)

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
        lines = tax.invoice_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax")
        ingoing = lines.filtered(lambda r: r.factor_percent > 0)[:1].account_id
        outgoing = lines.filtered(lambda r: r.factor_percent < 0)[:1].account_id
        if outgoing:
            kind = "reverse"
        elif tax.price_include:
            kind = "inclusive"
        else:
            kind = "exclusive"
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
            row = remote.match(record, ("code", desired["code"]))
            try:
                if row is None:
                    row = setup.create_tax_code(desired)
                    stats.created += 1
                    changed = True
                elif _differs(row, desired, TAX_KEYS):
                    row = setup.update_tax_code(row["id"], desired)
                    stats.updated += 1
                    changed = True
                else:
                    changed = False
            except (ConflictError, errors.UnexpectedResponseError) as error:
                seen |= self._setup_failed(stats, record, "tax", "tax_id", tax, error.message)
                continue
            seen |= self._setup_keep(record, "tax", "tax_id", tax, row, desired, changed)
        for record in records - seen:
            row = remote.match(record)
            if row and not row.get("archived"):
                setup.update_tax_code(
                    row["id"], {**{k: row.get(k) for k in TAX_KEYS}, "archived": True}
                )
                stats.archived += 1
                record.write({"archived": True, "last_sync": fields.Datetime.now()})

    # ------------------------------------------------------------------ accounts

    def _setup_accounts_wanted(self):
        Account = self.env["account.account"].with_company(self.company_id)
        accounts = Account.search(
            [
                *Account._check_company_domain(self.company_id),
                ("account_type", "in", EXPENSE_TYPES),
            ],
            order="code, id",
        )
        return accounts | self.sync_extra_account_ids.filtered("active")

    def _setup_sync_accounts(self, setup, stats):
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
            if _differs(row, desired, ACCOUNT_KEYS):
                update = {k: desired[k] for k in ACCOUNT_KEYS}
                try:
                    row = setup.update_account(row["id"], update)
                except errors.UnexpectedResponseError as error:
                    seen |= self._setup_failed(
                        stats, record, "account", "account_id", account, error.message
                    )
                    continue
                stats.updated += 1
                changed = True
            seen |= self._setup_keep(
                record, "account", "account_id", account, row, desired, changed
            )
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
                    seen |= self._setup_failed(
                        stats, record, "account", "account_id", account, reason
                    )
                    continue
                stats.created += 1
                seen |= self._setup_keep(
                    record, "account", "account_id", account, row, desired, True
                )
        for record in records - seen:
            row = remote.match(record)
            if row and not row.get("archived"):
                update = {k: row.get(k) for k in ACCOUNT_KEYS}
                setup.update_account(row["id"], {**update, "archived": True})
                stats.archived += 1
                record.write({"archived": True, "last_sync": fields.Datetime.now()})

    # ------------------------------------------------------------------ tags

    def _setup_plans(self):
        return self.env["account.analytic.plan"].search([("parent_id", "=", False)], order="id")

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
            desired = {
                "code": code,
                "name": plan.name,
                "archived": False,
                "metadata": {"odoo_plan_id": str(plan.id)},
            }
            row = remote_groups.match(record, ("code", code))
            if row is None:
                row = next(
                    (
                        g
                        for g in remote_groups.rows
                        if (g.get("metadata") or {}).get("odoo_plan_id") == str(plan.id)
                    ),
                    None,
                )
            try:
                changed = False
                if row is None:
                    row = setup.create_tag_group(desired)
                    stats.created += 1
                    changed = True
                elif _differs(row, desired, ("code", "name", "archived")) or (
                    row.get("metadata") or {}
                ).get("odoo_plan_id") != str(plan.id):
                    row = setup.update_tag_group(
                        row["id"],
                        {
                            **desired,
                            "metadata": {**(row.get("metadata") or {}), **desired["metadata"]},
                        },
                    )
                    stats.updated += 1
                    changed = True
            except (ConflictError, errors.UnexpectedResponseError) as error:
                seen_groups |= self._setup_failed(
                    stats, record, "tag_group", "plan_id", plan, error.message
                )
                continue
            group_record = self._setup_keep(
                record, "tag_group", "plan_id", plan, row, desired, changed
            )
            seen_groups |= group_record
            self._setup_sync_plan_tags(setup, stats, plan, group_record)
        for record in group_records - seen_groups:
            row = remote_groups.match(record)
            if row and not row.get("archived"):
                setup.update_tag_group(
                    row["id"],
                    {
                        "code": row["code"],
                        "name": row["name"],
                        "archived": True,
                        "metadata": row.get("metadata") or {},
                    },
                )
                stats.archived += 1
                record.write({"archived": True, "last_sync": fields.Datetime.now()})

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
            row = remote.match(record, ("code", analytic.code))
            try:
                changed = False
                if row is None:
                    row = setup.create_tag(group_record.pleo_uuid, desired)
                    stats.created += 1
                    changed = True
                elif _differs(row, desired, ("code", "name", "archived")):
                    row = setup.update_tag(row["id"], desired)
                    stats.updated += 1
                    changed = True
            except (ConflictError, errors.UnexpectedResponseError) as error:
                failed = self._setup_failed(
                    stats, record, "tag", "analytic_account_id", analytic, error.message
                )
                failed.group_record_id = group_record
                seen |= failed
                continue
            tag_record = self._setup_keep(
                record, "tag", "analytic_account_id", analytic, row, desired, changed
            )
            if not record:
                tag_record.group_record_id = group_record
            seen |= tag_record
        for record in records - seen:
            row = remote.match(record)
            if row and not row.get("archived"):
                setup.update_tag(
                    row["id"], {"code": row["code"], "name": row.get("name"), "archived": True}
                )
                stats.archived += 1
                record.write({"archived": True, "last_sync": fields.Datetime.now()})

    # ------------------------------------------------------------------ vendors

    def _setup_vendors_wanted(self):
        try:
            domain = safe_eval(self.sync_vendor_domain or DEFAULT_VENDOR_DOMAIN)
        except Exception as error:  # a bookkeeper's typo: say so, do not crash the run
            raise UserError(
                self.env._("The vendor domain of the Pleo connection is invalid: %s", error)
            ) from error
        return self.env["res.partner"].search(
            [*domain, ("company_id", "in", (False, self.company_id.id))], order="id"
        )

    def _setup_sync_vendors(self, setup, stats):
        remote = Remote(setup.list_vendors(), "externalId", "code")
        records = self._setup_records("vendor")
        by_partner = {r.partner_id.id: r for r in records if r.partner_id}
        currency = self.company_id.currency_id.name
        seen = self.env["pleo.setup.record"]
        for partner in self._setup_vendors_wanted():
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
            row = remote.match(
                record, ("externalId", desired["externalId"]), ("code", desired["code"])
            )
            changed = False
            try:
                if row is None:
                    row = setup.create_vendor(body)
                    stats.created += 1
                    changed = True
                elif _differs(row, desired, VENDOR_KEYS):
                    row = setup.update_vendor(
                        row["id"], {**body, "state": row.get("state") or "DRAFT"}
                    )
                    stats.updated += 1
                    changed = True
                if row.get("state") != "ACTIVE":
                    setup.activate_vendor(row["id"], partner.id, partner.ref or None)
                    row = {**row, "state": "ACTIVE", "externalId": str(partner.id)}
                    if not changed:
                        stats.updated += 1
                    changed = True
            except (ConflictError, errors.UnexpectedResponseError) as error:
                seen |= self._setup_failed(
                    stats, record, "vendor", "partner_id", partner, error.message
                )
                continue
            seen |= self._setup_keep(record, "vendor", "partner_id", partner, row, desired, changed)
        for record in records - seen:
            row = remote.match(record)
            if row and row.get("state") != "ARCHIVED":
                setup.archive_vendor(row["id"])
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
