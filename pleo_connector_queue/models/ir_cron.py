# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A person's press of "Fetch exports now" or "Sync setup to Pleo" enqueues, with the job queue.

pleo_connector runs the cron at once for the pressed companies (``ir.cron._pleo_press``) and
words what the run did. With the job queue the press enqueues the pressed companies' jobs,
before the scheduler's, and the :class:`~odoo.addons.pleo_connector.models.ir_cron.Press` it
returns says so (``result["queued"]``: the companies whose job was made now); the buttons'
messages are worded from it (``pleo.connection._press_message``, and the setup sync's summary
lines).
"""

from odoo import models

from odoo.addons.pleo_connector.const import EXPORT_CRON_XMLID, SETUP_CRON_XMLID
from odoo.addons.pleo_connector.models.ir_cron import Press

from .pleo_connection import PRESS_PRIORITY

#: The crons whose presses enqueue, and the kind of their jobs.
QUEUED_CRONS = {EXPORT_CRON_XMLID: "export", SETUP_CRON_XMLID: "setup"}


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _pleo_press(self, connection_ids):
        self.ensure_one()
        xmlid = self.get_external_id()[self.id]
        kind = QUEUED_CRONS.get(xmlid)
        if not kind:
            return super()._pleo_press(connection_ids)
        lang = self.env.lang or self.env.user.lang
        press = Press(xmlid, list(connection_ids), lang=lang, ran=True)
        connections = self.env["pleo.connection"].browse(press.connection_ids)
        queued = connections._queue_enqueue(kind, priority=PRESS_PRIORITY, lang=lang)
        press.result["queued"] = queued.ids
        if kind == "setup":
            press.tally.lines.append(connections._queue_press_message(press, kind))
        return press
