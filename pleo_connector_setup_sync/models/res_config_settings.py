# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The setup sync's settings in Settings › Accounting › Pleo: the connection's own fields."""

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pleo_sync_accounts = fields.Boolean(related="pleo_connection_id.sync_accounts", readonly=False)
    pleo_sync_account_types = fields.Selection(
        related="pleo_connection_id.sync_account_types", readonly=False
    )
    pleo_sync_account_tag_ids = fields.Many2many(
        related="pleo_connection_id.sync_account_tag_ids", readonly=False
    )
    pleo_sync_excluded_account_ids = fields.Many2many(
        related="pleo_connection_id.sync_excluded_account_ids", readonly=False
    )
    pleo_sync_taxes = fields.Boolean(related="pleo_connection_id.sync_taxes", readonly=False)
    pleo_sync_tags = fields.Boolean(related="pleo_connection_id.sync_tags", readonly=False)
    pleo_sync_vendors = fields.Boolean(related="pleo_connection_id.sync_vendors", readonly=False)
