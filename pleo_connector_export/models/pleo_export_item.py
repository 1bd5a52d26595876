# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One Pleo expense of an export job, and what Odoo made of it.

The item is Odoo's memory of the job: which expenses it held, the entry each became, why one
failed, and whether Pleo was told. ``reported`` is set only after Pleo accepted the result, and
the entry is committed before the report is sent, so a crash between the two re-sends the same
result next run and never books twice.
"""

import logging
from datetime import datetime, timezone

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.pleo_connector.pleolib.items import ItemError

from ..tools.entry_booker import book_error
from .pleo_export_mapping import MAPPING_KINDS

_logger = logging.getLogger(__name__)

#: Longest failure reason sent to Pleo (Pleo documents no limit; keep it readable).
MAX_REASON = 1000

ITEM_TYPES = [
    ("card_purchase", "Card purchase"),
    ("card_invoice", "Card invoice"),
    ("out_of_pocket", "Out of pocket"),
    ("mileage", "Mileage"),
    ("per_diem", "Per diem"),
    ("external_reimbursement", "External reimbursement"),
    ("direct_reimbursement", "Direct reimbursement"),
    ("invoice", "Invoice"),
    ("invoice_payment", "Invoice payment"),
    ("chargeback", "Chargeback"),
    ("refund", "Refund"),
    ("cashback", "Cashback"),
    ("atm_withdrawal", "ATM withdrawal"),
    ("wallet_topup", "Wallet top-up"),
    ("wallet_unload", "Wallet unload"),
    ("personal_spend", "Personal spend"),
    ("fee", "Fee"),
]

#: Pleo's ``ExportJobItemFailureReasonType`` (the spec's order), with the words a bookkeeper reads:
#: the item keeps Pleo's code, which it reports back to Pleo, and shows its label.
FAILURE_TYPES = [
    ("receipt_upload_failure", "Receipt not attached"),
    ("receipt_download_failure", "Receipt not downloaded"),
    ("receipt_file_size_limit_exceeded", "Receipt too large"),
    ("receipt_conversion_failure", "Receipt not converted"),
    ("unexpected_failure", "Unexpected error"),
    ("invalid_configuration", "Setup to correct"),
    ("missing_configuration", "Setup missing"),
    ("accounting_system_authentication_failure", "Odoo refused the login"),
    ("accounting_system_rate_limit", "Odoo too busy"),
    ("accounting_system_unreachable", "Odoo unreachable"),
    ("validation_failure", "Expense data to correct"),
    ("accounting_system_validation_failure", "Entry refused by Odoo"),
    ("authorization_failure", "Access refused"),
    ("accounting_system_timeout", "Odoo timed out"),
    ("vendor_unknown", "Unknown vendor"),
    ("account_unknown", "Unknown account"),
    ("tax_code_unknown", "Unknown tax code"),
    ("tag_unknown", "Unknown tag"),
]
FAILURE_CODES = frozenset(code for code, _label in FAILURE_TYPES)

ITEM_STATES = [
    ("pending", "To book"),
    ("booked", "Booked"),
    ("failed", "Failed"),
    ("resolved", "Booked later"),
]


def _now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class PleoExportItem(models.Model):
    _name = "pleo.export.item"
    _description = "Pleo Export Item"
    _order = "job_id desc, date, id"
    _rec_name = "entry_uuid"

    job_id = fields.Many2one(
        "pleo.export.job", string="Export", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="job_id.company_id", store=True, precompute=True)
    entry_uuid = fields.Char(string="Pleo Entry ID", required=True, readonly=True, index=True)
    item_type = fields.Selection(ITEM_TYPES, string="Type", readonly=True)
    date = fields.Date(readonly=True)
    label = fields.Char(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(readonly=True, help="Pleo's amount, in the wallet currency.")
    state = fields.Selection(ITEM_STATES, default="pending", required=True, readonly=True)
    reported = fields.Boolean(
        string="Reported to Pleo",
        readonly=True,
        help="Pleo accepted this item's result (booked or failed).",
    )
    move_id = fields.Many2one("account.move", string="Entry", readonly=True, index="btree_not_null")
    failure_type = fields.Selection(FAILURE_TYPES, readonly=True)
    failure_reason = fields.Text(readonly=True)
    receipt_count = fields.Integer(string="Receipts", readonly=True)
    missing_receipt = fields.Boolean(
        related="move_id.pleo_missing_receipt",
        string="Missing Receipt",
        help="Its entry is a purchase or an invoice without a receipt attached.",
    )
    missing_kind = fields.Selection(
        MAPPING_KINDS,
        string="Kind of code to map",
        readonly=True,
        help="The kind of the Pleo code this item failed on for want of a mapping.",
    )
    missing_code = fields.Char(
        string="Pleo code to map",
        readonly=True,
        help="The Pleo code (account, tax code, tag) no Odoo record was found for, or whose "
        "Odoo record did not fit.",
    )
    missing_details = fields.Json(
        string="Details from Pleo",
        readonly=True,
        help="What Pleo sent about the code: its name, a tax's rate and type.",
    )
    resolved_by_id = fields.Many2one(
        "pleo.export.item",
        string="Booked by",
        readonly=True,
        index="btree_not_null",
        help="The item of a later export that booked this expense after it had failed here.",
    )

    _entry_uniq = models.Constraint(
        "UNIQUE (job_id, entry_uuid)",
        "An expense appears only once in an export.",
    )

    @api.depends("entry_uuid", "label")
    def _compute_display_name(self):
        for item in self:
            item.display_name = item.label or item.entry_uuid

    def action_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ fixing a failure

    def action_map_and_reexport(self):
        """Map the Pleo code this item failed on (the wizard proposes the Odoo record), then
        have Pleo export the expense again and book it now."""
        self.ensure_one()
        if self.state != "failed" or not self.missing_code:
            raise UserError(
                self.env._("Only an item that failed for want of a mapping can be mapped here.")
            )
        return self.env["pleo.map.code"]._open(
            self.job_id.connection_id, self.missing_kind, self.missing_code, items=self
        )

    def action_reexport(self):
        """Have Pleo export these failed expenses again (once what made them fail is fixed in
        Odoo), and book them now: see ``pleo.connection._export_again``."""
        items = self.filtered(lambda item: item.state == "failed")
        if not items:
            raise UserError(self.env._("Only failed items can be exported again."))
        connection = items.job_id.connection_id
        if len(connection) != 1:
            raise UserError(self.env._("Export again the failed items of one company at a time."))
        return connection._export_again(items)

    # ------------------------------------------------------------------ booking and report

    def _book(self, booker, data, receipts):
        """Book one item (in its own savepoint): a failure fails this item, never the job.

        Whatever the item holds, the failure is recorded on the item: the list's summary of an
        item Odoo cannot read is left out rather than fail again outside the savepoint.
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                result = booker.book(data, receipts)
        except ItemError as error:  # a receipt that failed too (ReceiptError)
            # Pleo knows its own failure types only: a code it does not list is unexpected.
            code = error.code if error.code in FAILURE_CODES else "unexpected_failure"
            self.write(
                book_error(self._safe_summary(booker, data), code, error.message, error.data)
            )
            return
        except (UserError, ValidationError) as error:
            reason = self.env._(
                "Odoo refused the entry: %(reason)s", reason=error.args[0] if error.args else ""
            )
            self.write(
                book_error(
                    self._safe_summary(booker, data), "accounting_system_validation_failure", reason
                )
            )
            return
        except Exception:
            _logger.exception("Pleo export: booking entry %s failed", self.entry_uuid)
            reason = self.env._(
                "Odoo could not book this expense because of an unexpected error; the server "
                "log has the details. Export it again from Pleo once it is fixed."
            )
            self.write(book_error(self._safe_summary(booker, data), "unexpected_failure", reason))
            return
        self.write(result)

    def _safe_summary(self, booker, data):
        """What the item list shows of a failed item: its summary, or nothing when even that
        cannot be made (the failure itself must be recorded)."""
        try:
            with self.env.cr.savepoint():
                return booker.summary(data)
        except Exception:  # the item's failure is what matters here
            _logger.exception("Pleo export: no summary of entry %s", self.entry_uuid)
            return {}

    def _pleo_update(self):
        """This item's result as Pleo's ``UpdateExportJobItemV3``."""
        self.ensure_one()
        if self.state == "booked":
            return {
                "accountingEntryId": self.entry_uuid,
                "status": "successful",
                "exportedAt": _now_iso(),
                "externalId": str(self.move_id.id),
                "externalUrl": f"{self.move_id.get_base_url()}/odoo/account.move/{self.move_id.id}",
            }
        return {
            "accountingEntryId": self.entry_uuid,
            "status": "failed",
            "failureReasonType": self.failure_type or "unexpected_failure",
            "failureReason": (self.failure_reason or "")[:MAX_REASON],
        }
