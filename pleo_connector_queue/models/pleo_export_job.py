# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An export shows the state of its company's queue job while it is open."""

from odoo import fields, models


class PleoExportJob(models.Model):
    _inherit = "pleo.export.job"

    #: Its label and help are the connection's field's.
    queue_state = fields.Char(related="connection_id.export_queue_state")
