# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..models.pleo_key_input import key_input


class PleoRotateKey(models.TransientModel):
    """Replace a connection's key by a new key of the same Pleo company.

    The new key is a write-only input: its inverse validates it with Pleo and, only when it
    belongs to the same Pleo company and grants the required scopes, replaces the stored key
    in the same transaction. Nothing of it is stored in this wizard's table.
    """

    _name = "pleo.rotate.key"
    _description = "Rotate Pleo API key"
    _inherit = ["pleo.key.input"]
    _pleo_key_inputs = {"new_api_key": "_rotate_key"}

    connection_id = fields.Many2one("pleo.connection", required=True, ondelete="cascade")
    # Read as the user (compute_sudo=False): record rules and field groups apply, also in
    # onchange, which a caller may run for any connection id.
    company_id = fields.Many2one(related="connection_id.company_id", compute_sudo=False)
    pleo_company_name = fields.Char(related="connection_id.pleo_company_name", compute_sudo=False)
    pleo_company_ref = fields.Char(related="connection_id.pleo_company_uuid", compute_sudo=False)
    key_hint = fields.Char(related="connection_id.key_hint", compute_sudo=False)
    new_api_key = key_input(
        string="New API key",
        help="The new Integrated API Key generated in Pleo for the same Pleo company.",
    )
    rotated = fields.Boolean(readonly=True)

    def _check_connection_ids(self, ids):
        """The user must manage every connection named: access rights and record rules."""
        connections = self.env["pleo.connection"].browse([i for i in ids if isinstance(i, int)])
        if connections:
            connections._check_manager()

    @api.model
    def default_get(self, fields_list):
        self._check_connection_ids([self.env.context.get("default_connection_id")])
        return super().default_get(fields_list)

    def onchange(self, values, field_names, fields_spec):
        self._check_connection_ids(
            [values.get("connection_id"), self.env.context.get("default_connection_id")]
        )
        return super().onchange(values, field_names, fields_spec)

    @api.model_create_multi
    def create(self, vals_list):
        self._check_connection_ids([vals.get("connection_id") for vals in vals_list])
        return super().create(vals_list)

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
