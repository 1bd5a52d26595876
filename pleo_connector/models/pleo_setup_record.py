# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the setup sync pushed to Pleo: one row per Odoo record (account, tax, analytic plan,
analytic account, vendor) with Pleo's id, the code and ``externalId`` Pleo knows it by, a hash
of what was sent, when it was last pushed, and its last failure (logged on the chatter once)."""

from odoo import fields, models

KINDS = [
    ("account", "Account"),
    ("tax", "Tax code"),
    ("tag_group", "Tag group"),
    ("tag", "Tag"),
    ("vendor", "Vendor"),
]


class PleoSetupRecord(models.Model):
    _name = "pleo.setup.record"
    _description = "Pleo setup record"
    _order = "connection_id, kind, code, id"

    connection_id = fields.Many2one(
        "pleo.connection", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
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
        return {
            "account": self.account_id,
            "tax": self.tax_id,
            "tag_group": self.plan_id,
            "tag": self.analytic_account_id,
            "vendor": self.partner_id,
        }[self.kind]
