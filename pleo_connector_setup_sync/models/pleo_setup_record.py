# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the setup sync pushed to Pleo: one row per Odoo record (account, tax, analytic plan,
analytic account, vendor) with Pleo's id, the code and ``externalId`` Pleo knows it by, a hash
of what was sent, when it was last pushed, and its last failure (logged on the chatter once)."""

from odoo import fields, models

#: kind, its label, and the field holding the Odoo record a row of that kind is about
KINDS = (
    ("account", "Account", "account_id"),
    ("tax", "Tax code", "tax_id"),
    ("tag_group", "Tag group", "plan_id"),
    ("tag", "Tag", "analytic_account_id"),
    ("vendor", "Vendor", "partner_id"),
)
TARGET_FIELDS = {kind: field for kind, _label, field in KINDS}


class PleoSetupRecord(models.Model):
    _name = "pleo.setup.record"
    _description = "Pleo setup record"
    _order = "connection_id, kind, code, id"

    connection_id = fields.Many2one(
        "pleo.connection", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    kind = fields.Selection(
        [(kind, label) for kind, label, _field in KINDS], required=True, readonly=True
    )
    account_id = fields.Many2one("account.account", ondelete="set null", index="btree_not_null")
    tax_id = fields.Many2one("account.tax", ondelete="set null", index="btree_not_null")
    plan_id = fields.Many2one("account.analytic.plan", ondelete="set null")
    analytic_account_id = fields.Many2one(
        "account.analytic.account", ondelete="set null", index="btree_not_null"
    )
    partner_id = fields.Many2one("res.partner", ondelete="set null", index="btree_not_null")
    group_record_id = fields.Many2one("pleo.setup.record", ondelete="cascade", string="Tag group")
    pleo_uuid = fields.Char(string="Pleo ID", index=True, readonly=True)
    pleo_external_ref = fields.Char(
        string="Pleo externalId", index=True, readonly=True, help="The externalId Pleo holds."
    )
    code = fields.Char(readonly=True, index=True)
    name = fields.Char(readonly=True)
    archived = fields.Boolean(string="Archived in Pleo", readonly=True)
    sync_hash = fields.Char(readonly=True)
    last_sync = fields.Datetime(string="Last pushed", readonly=True)
    failure = fields.Char(string="Last failure", readonly=True)

    def _target(self):
        """The Odoo record behind this row (empty when it was deleted)."""
        self.ensure_one()
        return self[TARGET_FIELDS[self.kind]]
