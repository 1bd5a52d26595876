# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A webhook delivery that passed every check, recorded by the route for the export cron.

The route does no Pleo call and books nothing: it records the event here and wakes the export
cron, which claims the announced job (``pleo.connection._export_next_job``) or matches the new
vendor. A ``webhook-id`` is kept for 24 hours, so that a replayed or re-delivered message is
recorded once (the unique constraint); older events are deleted by the export cron.
"""

from datetime import timedelta

from odoo import api, fields, models

#: How long a ``webhook-id`` is remembered against replays.
KEEP = timedelta(hours=24)


class PleoWebhookEvent(models.Model):
    _name = "pleo.webhook.event"
    _description = "Pleo Webhook Event"
    _order = "id desc"

    connection_id = fields.Many2one(
        "pleo.connection", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    message_id = fields.Char(string="Webhook ID", required=True, readonly=True)
    event_type = fields.Char(required=True, readonly=True)
    object_uuid = fields.Char(string="Pleo ID", readonly=True)
    data = fields.Json(readonly=True, groups="base.group_system")
    state = fields.Selection(
        [("pending", "Waiting"), ("done", "Done"), ("ignored", "Ignored")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    note = fields.Char(readonly=True)

    _message_uniq = models.Constraint(
        "UNIQUE (connection_id, message_id)", "A webhook message is recorded once."
    )

    @api.model
    def _gc_old_events(self):
        """Forget the events older than the replay window (their ``webhook-id`` with them)."""
        old = self.sudo().search([("create_date", "<", fields.Datetime.now() - KEEP)])
        old.unlink()
        return len(old)
