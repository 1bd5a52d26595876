# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The export's settings in Settings › Accounting › Pleo: the connection's fields, for the
current company (saving the settings writes them to the connection)."""

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pleo_export_enabled = fields.Boolean(
        related="pleo_connection_id.export_enabled", readonly=False
    )
    pleo_export_journal_id = fields.Many2one(
        related="pleo_connection_id.export_journal_id", readonly=False
    )
    pleo_export_auto_post = fields.Boolean(
        related="pleo_connection_id.export_auto_post", readonly=False
    )
    pleo_export_locked_period = fields.Selection(
        related="pleo_connection_id.export_locked_period", readonly=False
    )

    def action_pleo_create_export_journal(self):
        return self._pleo_connection().action_create_export_journal()

    def action_pleo_fetch_exports(self):
        return self._pleo_connection().action_fetch_exports()
