# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    pleo_connection_ids = fields.One2many("pleo.connection", "company_id")

    @api.model_create_multi
    def create(self, vals_list):
        """Every company has its Pleo connection (not connected) from the start."""
        companies = super().create(vals_list)
        companies._create_pleo_connections()
        return companies

    def _create_pleo_connections(self):
        """Create the missing (not connected) Pleo connections of these companies."""
        missing = self.filtered(lambda company: not company.sudo().pleo_connection_ids)
        self.env["pleo.connection"].sudo().create([{"company_id": c.id} for c in missing])
