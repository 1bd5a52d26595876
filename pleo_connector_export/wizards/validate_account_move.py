# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo's "Confirm Entries" dialog names the Pleo entries that have no receipt.

Odoo asks before posting from the form when an invoice looks abnormal (its amount or date), with
this dialog; the Post button of a Pleo entry without its receipt opens it too (see
``account.move.action_post``), and so does the list's "Post entries". The bookkeeper confirms
and the entries are posted, each with the note "Posted without a receipt": a warning, not a
block (the receipt may be on paper, the period may have to close).
"""

from odoo import api, fields, models


class ValidateAccountMove(models.TransientModel):
    _inherit = "validate.account.move"

    pleo_missing_receipt_move_ids = fields.Many2many(
        "account.move",
        string="Pleo Entries Without Receipt",
        compute="_compute_pleo_missing_receipt_move_ids",
    )

    @api.depends("move_ids")
    def _compute_pleo_missing_receipt_move_ids(self):
        for wizard in self:
            wizard.pleo_missing_receipt_move_ids = wizard.move_ids.filtered("pleo_missing_receipt")
