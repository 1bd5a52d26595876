# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The public address Pleo sends webhook events to (one per database)."""

from odoo import fields, models

from .pleo_connection import PUBLIC_URL_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pleo_webhook_public_url = fields.Char(
        string="Public URL for Pleo's webhooks",
        config_parameter=PUBLIC_URL_PARAM,
        help="The https address at which Pleo reaches this Odoo (the reverse proxy's public "
        "address). Empty: the web.base.url of the database. Saving a new address points the "
        "companies' subscriptions at it.",
    )

    def set_values(self):
        """A new public URL: the subscriptions are pointed at it at once (the health check
        never repoints one to another address by itself: it could be a copy's)."""
        params = self.env["ir.config_parameter"].sudo()
        before = params.get_param(PUBLIC_URL_PARAM) or False
        result = super().set_values()
        if (params.get_param(PUBLIC_URL_PARAM) or False) != before:
            subscribed = (
                self.env["pleo.connection"]
                .sudo()
                .search([("webhook_subscription_uuid", "!=", False)])
            )
            subscribed._webhook_sync(person=True)
        return result
