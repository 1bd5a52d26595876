# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The setup sync's analytic tags and vendors: which Odoo records go, and how they map.

Root analytic plans become tag groups and their analytic accounts tags; suppliers become
active vendors. The run itself, the record keeping and the report are in
``pleo_setup_sync.py``.

The vendor domain is a Pleo Manager's text, run by the daily sync as superuser: it may compare
only the partner's own stored values (no path into related records, no sub-domain, no field a
group guards, links by record id only), and it runs with the rights of the person who saved it,
in the connection's company only. It is checked when saved and again at every sync.
"""

import re
from collections.abc import Collection

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools.safe_eval import safe_eval

from .pleo_connection import DEFAULT_VENDOR_DOMAIN, Remote, differs

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
    _inherit = "pleo.connection"  # pylint: disable=consider-merging-classes-inherited

    sync_vendor_domain_uid = fields.Many2one(
        "res.users",
        string="Vendors to sync, saved by",
        readonly=True,
        copy=False,
        help="The vendor domain runs with this person's rights, in this company only.",
    )

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
