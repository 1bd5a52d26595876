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
        "address). Empty: the web.base.url of the database. The companies' subscriptions are "
        "repaired to it by the next health check, or at once by Save & Test.",
    )
