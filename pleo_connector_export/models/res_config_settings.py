# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The export's settings in Settings › Accounting › Pleo: the connection's
fields, for the current company (saving the settings writes them to the connection)."""

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pleo_export_enabled = fields.Boolean(
        related="pleo_connection_id.export_enabled", readonly=False
    )
    pleo_export_journal_id = fields.Many2one(
        related="pleo_connection_id.export_journal_id", readonly=False
    )
    pleo_export_wallet_account_id = fields.Many2one(
        related="pleo_connection_id.export_wallet_account_id", readonly=False
    )
    pleo_export_journal_warning = fields.Char(related="pleo_connection_id.export_journal_warning")
    pleo_export_auto_post = fields.Boolean(
        related="pleo_connection_id.export_auto_post", readonly=False
    )
    pleo_export_locked_period = fields.Selection(
        related="pleo_connection_id.export_locked_period", readonly=False
    )

    def action_pleo_create_export_journal(self):
        """Create the Pleo journal from the settings, on the first press.

        The button skips Odoo's "save your changes?" dialog (``noSaveDialog``), whose Save
        reloads the page without running the button: the form saves this record first, which
        writes the Pleo fields (export on, the wallet account) to the connection. The other
        settings changed on the page are applied too (``execute``), as Save & Test does, and
        the notification says so."""
        connection = self._pleo_connection()
        other_changes = self._pleo_other_changes()
        if other_changes:
            self.with_context(pleo_from_button=True).execute()
        action = connection.action_create_export_journal()
        if other_changes:
            action["params"]["message"] += "\n" + self.env._(
                "Your other changes on this page were saved too: %s.", ", ".join(other_changes)
            )
        return action

    def action_pleo_fetch_exports(self):
        return self._pleo_connection().action_fetch_exports()
