# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Journal entries booked from Pleo: their Pleo origin, and the guarantee of "exactly once".

``pleo_entry_uuid`` is Pleo's ``accountingEntryId``. A unique index per company (not a search
before create) makes a second booking of the same Pleo expense impossible, even from two
workers at once; re-exports find the move by that column and update or keep it. A move that was
cancelled, or reversed in full, books nothing: the export marks it ``pleo_superseded`` (it keeps
its Pleo id, the link to the expense) and books the expense on a new move. The index covers the
moves not superseded, so one live move per Pleo expense; marking the old move is a write to its
row, so two workers replacing it at once conflict and one of them is rolled back.

The Pleo fields are written by the export only, which books as superuser: ``readonly=True`` is a
view attribute, and an accountant clearing ``pleo_entry_uuid`` over RPC would have the expense
booked twice, or a decoy entry carrying an expense's id and fingerprint would have Pleo told it
was booked.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError

from . import export_payables

#: The fields of a move that say which Pleo expense it books: the export's alone.
PLEO_ORIGIN_FIELDS = (
    "pleo_entry_uuid",
    "pleo_fingerprint",
    "pleo_web_url",
    "pleo_item_type",
    "pleo_invoice_number",
    "pleo_superseded",
)


class AccountMove(models.Model):
    _inherit = "account.move"

    pleo_entry_uuid = fields.Char(
        string="Pleo Entry ID",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Pleo's identifier of the expense this entry books (its accountingEntryId).",
    )
    pleo_fingerprint = fields.Char(
        copy=False,
        readonly=True,
        help="A hash of what Pleo sent: tells a re-export that changed the entry from one that "
        "did not.",
    )
    pleo_web_url = fields.Char(string="Open in Pleo", copy=False, readonly=True)
    pleo_item_type = fields.Char(string="Pleo Type", copy=False, readonly=True)
    pleo_export_item_ids = fields.One2many(
        "pleo.export.item", "move_id", string="Pleo Export Items", readonly=True
    )

    pleo_invoice_number = fields.Char(
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The invoice number Pleo sent: links a Pleo payment to its bill.",
    )

    pleo_superseded = fields.Boolean(
        string="Pleo Entry Replaced",
        copy=False,
        readonly=True,
        help="Cancelled or reversed in full: the Pleo export booked this expense again on a new "
        "entry, which carries the same Pleo Entry ID.",
    )

    pleo_attendees = fields.Text(
        string="Attendees",
        copy=False,
        readonly=True,
        help="Who took part, as written in Pleo (one a line): a representation cost is only "
        "deductible with the participants and the occasion documented.",
    )
    pleo_reconciled_entries = fields.Char(
        string="Settles Pleo Expenses",
        copy=False,
        readonly=True,
        help="The book IDs of the out-of-pocket expenses this Pleo reimbursement pays back: "
        "their lines on the employee's account are reconciled with it once all are posted.",
    )

    _pleo_entry_once = models.UniqueIndex(
        "(company_id, pleo_entry_uuid) WHERE pleo_entry_uuid IS NOT NULL "
        "AND pleo_superseded IS NOT TRUE",
        "This Pleo expense is already booked in this company.",
    )

    def _check_pleo_origin(self, vals_list, create=False):
        """Refuse a user's create or change of the Pleo fields (the export runs as superuser).

        Writing back a value a move already holds is no change (a form or an import may)."""
        if self.env.su:
            return
        for vals in vals_list:
            names = [name for name in PLEO_ORIGIN_FIELDS if name in vals]
            if create:
                changed = [name for name in names if vals[name]]
            else:
                changed = [
                    name
                    for name in names
                    if any((move[name] or False) != (vals[name] or False) for move in self)
                ]
            if changed:
                raise AccessError(
                    self.env._(
                        "Only the Pleo export sets the Pleo origin of an entry (%s): it keeps "
                        "each Pleo expense booked exactly once. Export the expense again from "
                        "Pleo to update an entry still in draft.",
                        ", ".join(
                            self._fields[name]._description_string(self.env) for name in changed
                        ),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_pleo_origin(vals_list, create=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_pleo_origin([vals])
        return super().write(vals)

    def _post(self, soft=True):
        """Reconcile a Pleo bill, once posted, with the Pleo payments booked before it."""
        posted = super()._post(soft=soft)
        for bill in posted.filtered(
            lambda move: move.pleo_entry_uuid and move.move_type in ("in_invoice", "in_refund")
        ):
            domain = [("pleo_entry_uuid", "=", f"{bill.pleo_entry_uuid}:payment")]
            if bill.pleo_invoice_number and bill.move_type == "in_invoice":
                domain = [
                    "|",
                    *domain,
                    "&",
                    "&",
                    ("pleo_invoice_number", "=", bill.pleo_invoice_number),
                    ("pleo_item_type", "=", "invoice_payment"),
                    ("origin_payment_id.payment_type", "=", "outbound"),
                ]
            payments = self.env["account.move"].search(
                [
                    ("company_id", "=", bill.company_id.id),
                    ("commercial_partner_id", "=", bill.commercial_partner_id.id),
                    ("state", "=", "posted"),
                    *domain,
                ]
            )
            for line in payments.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "liability_payable" and not line.reconciled
                )
            ):
                export_payables.PayablesBooker._reconcile(bill, line)
        return posted
