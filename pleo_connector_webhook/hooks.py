# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def uninstall_hook(env):
    """Delete the subscriptions at Pleo: without the addon nothing answers their events (Pleo
    would retry each for hours). A copy's or a disabled connection's is left alone."""
    connections = env["pleo.connection"].sudo().search([("webhook_subscription_uuid", "!=", False)])
    for connection in connections:
        connection._webhook_remove("not_connected")
