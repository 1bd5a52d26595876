# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
""" "Run manually" on the Pleo health check tells the run that a person started it.

The cron's own runs skip connections checked in the last minutes (a continuation after a crash or
a time-out); a run a person started checks every connection.
"""

from odoo import fields, models

from .const import CRON_XMLID
from .pleo_connection_health import MANUAL_RUN_PARAM


class IrCron(models.Model):
    _inherit = "ir.cron"

    def method_direct_trigger(self):
        """ "Run manually" on the Pleo health check: tell the run a person started it."""
        if self == self.env.ref(CRON_XMLID, raise_if_not_found=False):
            self.check_access("write")
            self.env["ir.config_parameter"].sudo().set_param(
                MANUAL_RUN_PARAM, fields.Datetime.to_string(fields.Datetime.now())
            )
        return super().method_direct_trigger()
