# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from ..models.pleo_key_input import key_input


class PleoRotateKey(models.TransientModel):
    """Replace a connection's key by a new key of the same Pleo company.

    The new key is a write-only input: its inverse validates it with Pleo and, only when it
    belongs to the same Pleo company and grants the required scopes, replaces the stored key
    in the same transaction. Nothing of it is stored in this wizard's table.
    """

    _name = "pleo.rotate.key"
    _description = "Rotate Pleo API Key"
    _inherit = ["pleo.key.input"]
    _pleo_key_inputs = {"new_api_key": "_rotate_key"}

    connection_id = fields.Many2one("pleo.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id")
    pleo_company_name = fields.Char(related="connection_id.pleo_company_name")
    pleo_company_ref = fields.Char(related="connection_id.pleo_company_uuid")
    key_hint = fields.Char(related="connection_id.key_hint")
    new_api_key = key_input(
        string="New API Key",
        help="The new Integrated API Key generated in Pleo for the same Pleo company.",
    )
    rotated = fields.Boolean(readonly=True)

    def _rotate_key(self, key):
        self.connection_id._rotate(key)
        self.rotated = True

    def action_rotate(self):
        self.ensure_one()
        if not self.rotated:
            # Saving the wizard rotates the key; reaching here without it means no key was typed.
            return self.connection_id._notification(
                self.env._("No new key"),
                self.env._("Paste the new API key generated in Pleo, then press Rotate Key."),
                "warning",
            )
        return self.connection_id._notification(
            self.env._("Pleo API key rotated"),
            self.env._(
                "The new key of %(company)s is tested and stored; the old key is no longer used. "
                "You can now delete the old key in Pleo.",
                company=self.company_id.name,
            ),
        )
