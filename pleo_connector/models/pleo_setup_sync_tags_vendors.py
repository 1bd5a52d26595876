# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The setup sync's analytic tags and vendors: which Odoo records go, and how they map.

Root analytic plans become tag groups and their analytic accounts tags; suppliers become
active vendors. The run itself, the record keeping and the report are in
``pleo_setup_sync.py``.
"""

import re

from odoo import models
from odoo.exceptions import UserError
from odoo.tools.safe_eval import safe_eval

from .pleo_setup_sync import DEFAULT_VENDOR_DOMAIN, Remote, differs

TAG_KEYS = ("code", "name", "archived")
VENDOR_KEYS = ("name", "defaultCurrency", "externalId", "code", "country", "taxRegistrationNumber")


class PleoConnection(models.Model):
    _inherit = "pleo.connection"  # pylint: disable=consider-merging-classes-inherited

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
