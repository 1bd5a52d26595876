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

A Pleo reimbursement reconciled with the out-of-pocket expenses it settles.

Pleo sends, with a reimbursement, the book IDs of the expenses it pays back
(``additionalInformation.reconciledEntries``: "reconciliation IDs for reimbursement expenses
that are settled by this reimbursement" [spec]); each of those expenses was booked with its book
ID as its reference. The money owed to the employee is on the out-of-pocket account with the
employee's partner; once the reimbursement and every expense it settles are posted, their lines
on the same account and partner are reconciled, as Odoo reconciles an employee's expense report
with its payment. Whichever is posted last does it, so the order of the exports does not matter.
Until then the lines stay open, and the export notes on the reimbursement what it waits for.
"""

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from odoo.addons.pleo_connector.exceptions import SETTINGS_MENU, menu_path

from ..tools import payables_booker as export_payables
from .pleo_export_item import ITEM_TYPES

#: The fields of a move that say which Pleo expense it books: the export's alone.
PLEO_ORIGIN_FIELDS = (
    "pleo_entry_uuid",
    "pleo_fingerprint",
    "pleo_web_url",
    "pleo_item_type",
    "pleo_invoice_number",
    "pleo_superseded",
    "pleo_amount_total",
    "pleo_missing_receipt",
)

#: Pleo item types whose entry needs a receipt (bilag): a purchase from a merchant, paid by card
#: or by the employee, and a supplier's invoice. Wallet top-ups and unloads, reimbursements,
#: payments, fees, mileage and per diem are documented by Pleo's own records; refunds,
#: chargebacks and cashback by the purchase they reverse.
RECEIPT_TYPES = frozenset({"card_purchase", "card_invoice", "out_of_pocket", "invoice"})


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
    pleo_item_type = fields.Selection(ITEM_TYPES, string="Pleo Type", copy=False, readonly=True)
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

    pleo_amount_total = fields.Monetary(
        string="Pleo Total",
        currency_field="currency_id",
        copy=False,
        readonly=True,
        help="A Pleo bill's total as Pleo booked it, in the bill's currency: what Pleo pays.",
    )
    pleo_tax_mismatch = fields.Boolean(
        string="Pleo Total Differs",
        compute="_compute_pleo_tax_mismatch",
        help="A draft Pleo bill whose total Odoo recomputed (its taxes, after an edit) away "
        "from Pleo's: Pleo's payment would leave the difference open.",
    )

    pleo_missing_receipt = fields.Boolean(
        string="Missing Receipt",
        compute="_compute_pleo_missing_receipt",
        store=True,
        readonly=True,
        help="A Pleo purchase or invoice without any attachment: the bookkeeping act wants its "
        "receipt. Attach it here, or add it in Pleo and export the expense again.",
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

    @api.depends("state", "move_type", "pleo_entry_uuid", "pleo_amount_total", "amount_total")
    def _compute_pleo_tax_mismatch(self):
        for move in self:
            move.pleo_tax_mismatch = bool(
                move.state == "draft"
                and move.pleo_entry_uuid
                and move.move_type in ("in_invoice", "in_refund")
                and move.pleo_amount_total
                and move.currency_id.compare_amounts(move.amount_total, move.pleo_amount_total)
            )

    @api.depends("pleo_entry_uuid", "pleo_item_type", "pleo_superseded", "state", "attachment_ids")
    def _compute_pleo_missing_receipt(self):
        """A live Pleo entry of a kind that needs a receipt (``RECEIPT_TYPES``) and has no
        attachment at all. Any attachment counts (a receipt added in the chatter too): Odoo cannot
        tell a receipt from another file, the bookkeeper can. A cancelled or replaced entry
        books nothing, so it needs nothing."""
        for move in self:
            move.pleo_missing_receipt = bool(
                move.pleo_entry_uuid
                and move.pleo_item_type in RECEIPT_TYPES
                and not move.pleo_superseded
                and move.state != "cancel"
                and not move.attachment_ids
            )

    @api.depends("pleo_tax_mismatch", "pleo_missing_receipt")
    def _compute_alerts(self):
        return super()._compute_alerts()

    def _get_alerts(self):
        """Odoo's alerts, and a Pleo entry's own warnings: a receipt missing (before and after
        posting), and a draft Pleo bill whose total is no longer Pleo's.

        Odoo recomputes the taxes of an edited draft bill with the company's tax rounding; with
        global rounding that can differ from Pleo's per-line tax by a cent, which Pleo's payment
        then leaves open. The bookkeeper decides: nothing is changed for them."""
        alerts = super()._get_alerts()
        if self.pleo_missing_receipt:
            alerts["pleo_missing_receipt"] = {
                "level": "warning",
                "message": self.env._(
                    "This Pleo expense has no receipt. Attach it here, or add it in Pleo and "
                    "export the expense again: the export attaches it to this entry."
                ),
            }
        if self.pleo_tax_mismatch:
            currency = self.currency_id
            alerts["pleo_tax_mismatch"] = {
                "level": "warning",
                "message": self.env._(
                    "Odoo recomputed the taxes of this Pleo bill: its total is %(odoo)s, "
                    "Pleo's is %(pleo)s. Pleo pays %(pleo)s, so the difference would stay "
                    "open. Set the tax amounts back to Pleo's in the tax totals before posting. "
                    "Per-line tax rounding (%(path)s › Taxes) "
                    "rounds as Pleo does and avoids this.",
                    odoo=currency.format(self.amount_total),
                    pleo=currency.format(self.pleo_amount_total),
                    path=menu_path(self.env, SETTINGS_MENU),
                ),
            }
        return alerts

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

    def action_post(self):
        """The form's Post button asks first when a Pleo entry has no receipt: Odoo's own
        "Confirm Entries" dialog (the one of abnormal invoices), which names the entries; the
        bookkeeper confirms and they are posted, with a note (see ``_post``)."""
        if not self.env.context.get("disable_abnormal_invoice_detection", True) and any(
            self.mapped("pleo_missing_receipt")
        ):
            wizard = self.env["validate.account.move"].create({"move_ids": [Command.set(self.ids)]})
            return {
                "name": self.env._("Confirm Entries"),
                "type": "ir.actions.act_window",
                "res_model": "validate.account.move",
                "res_id": wizard.id,
                "view_mode": "form",
                "target": "new",
            }
        return super().action_post()

    def _get_moves_requiring_confirmation(self):
        """The list's "Confirm Entries" asks too before posting Pleo entries without receipt."""
        return super()._get_moves_requiring_confirmation() | self.filtered("pleo_missing_receipt")

    def _post(self, soft=True):
        """Reconcile a Pleo bill, once posted, with the Pleo payments booked before it; note in
        the chatter of a Pleo entry posted without its receipt that it was.

        Posting without the receipt stays allowed (a bookkeeper may hold the receipt on paper,
        or post to close a period): the Post button and the list's Confirm Entries ask first
        (``action_post``, ``_get_moves_requiring_confirmation``), and posting anyway is no
        block. The note keeps who posted it and when in the entry's history; the form's banner
        and the "Missing receipt" filter keep it on the to-do list until a receipt is attached.
        The export's own automatic posting does not post such entries (``Booker._auto_post``);
        a bill the payables post without its file is noted here too. Last, the Pleo
        reimbursements this posting completes are reconciled with what they settle.
        """
        posted = super()._post(soft=soft)
        for move in posted.filtered("pleo_missing_receipt"):
            move._message_log(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Posted without a receipt. Attach the receipt here, or add it in Pleo and "
                    "export the expense again: the export attaches it to this entry."
                )
            )
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
        # Last, the Pleo reimbursements that this posting completes (see the module's docstring).
        pleo = posted.filtered("pleo_entry_uuid")
        if pleo:
            (
                pleo._pleo_reimbursements_settling() | pleo.filtered("pleo_reconciled_entries")
            )._pleo_settle()
        return posted

    # ------------------------------------------------------------------ reimbursements settled

    def _pleo_book_ids(self):
        """The book IDs this reimbursement settles."""
        self.ensure_one()
        return (self.pleo_reconciled_entries or "").split()

    def _pleo_reimbursements_settling(self):
        """The posted Pleo reimbursements that settle one of these expenses (by book ID)."""
        refs = {move.ref for move in self if move.ref and not move.pleo_reconciled_entries}
        if not refs:
            return self.browse()
        found = self.search(
            Domain.AND(
                [
                    [
                        ("company_id", "in", self.company_id.ids),
                        ("state", "=", "posted"),
                        ("pleo_reconciled_entries", "!=", False),
                    ],
                    Domain.OR([[("pleo_reconciled_entries", "ilike", ref)] for ref in refs]),
                ]
            )
        )
        return found.filtered(lambda move: refs & set(move._pleo_book_ids()))

    def _pleo_settled_moves(self):
        """The live Pleo entries booked with the book IDs this reimbursement settles."""
        self.ensure_one()
        return self.search(
            [
                ("company_id", "=", self.company_id.id),
                ("pleo_entry_uuid", "!=", False),
                ("pleo_superseded", "=", False),
                ("state", "!=", "cancel"),
                ("ref", "in", self._pleo_book_ids()),
                ("id", "!=", self.id),
            ]
        )

    def _pleo_settle(self):
        """Reconcile each reimbursement with the expenses it settles, when all are posted.

        Returns ``{move: reason}`` for the reimbursements left open (the reason a person reads;
        ``False`` when only the reimbursement itself waits to be posted)."""
        reasons = {}
        for move in self.filtered("pleo_reconciled_entries"):
            settled = move._pleo_settled_moves()
            missing = sorted(set(move._pleo_book_ids()) - set(settled.mapped("ref")))
            drafts = settled.filtered(lambda m: m.state != "posted")
            if missing or drafts:
                reasons[move] = move._pleo_waiting_reason(missing, drafts)
            elif move.state != "posted":
                reasons[move] = False
            else:
                reason = move._pleo_reconcile_with(settled)
                if reason:
                    reasons[move] = reason
        return reasons

    def _pleo_reconcile_with(self, settled):
        """Reconcile this posted reimbursement's open balance lines with those of the posted
        expenses on the same account and partner (the employee's liability); the reason when
        the account does not allow it, else ``None``."""
        self.ensure_one()

        def balance_lines(moves):
            return moves.line_ids.filtered(
                lambda line: (
                    line.partner_id
                    and not line.reconciled
                    and not line.tax_repartition_line_id
                    and line.account_id.internal_group in ("liability", "asset")
                )
            )

        theirs = balance_lines(settled)
        refused = self.env["account.account"]
        for account, partner in {(line.account_id, line.partner_id) for line in theirs}:
            mine = balance_lines(self).filtered(
                lambda line, a=account, p=partner: line.account_id == a and line.partner_id == p
            )
            group = theirs.filtered(
                lambda line, a=account, p=partner: line.account_id == a and line.partner_id == p
            )
            # a settlement runs the other way than what it settles
            if not mine or sum(mine.mapped("balance")) * sum(group.mapped("balance")) >= 0:
                continue
            if not account.reconcile:
                refused |= account
                continue
            (mine | group).reconcile()
        if not refused:
            return None
        return self.env._(
            "This Pleo reimbursement settles %(refs)s, but the account %(account)s does not "
            "allow reconciliation, so the employee's balance stays open: tick 'Allow "
            "Reconciliation' on the account, then reconcile the entries by hand.",
            refs=", ".join(self._pleo_book_ids()),
            account=", ".join(refused.mapped("display_name")),
        )

    def _pleo_waiting_reason(self, missing, drafts):
        """Why this reimbursement's lines stay open: expenses not booked yet, or drafts."""
        parts = []
        if missing:
            parts.append(self.env._("not booked in Odoo yet: %(refs)s", refs=", ".join(missing)))
        if drafts:
            parts.append(
                self.env._(
                    "not posted yet: %(moves)s",
                    moves=", ".join(f"{move.name} ({move.ref})" for move in drafts),
                )
            )
        return self.env._(
            "This Pleo reimbursement settles the expenses with book IDs %(refs)s; its lines stay "
            "open until they are all booked and posted, then they are reconciled with the "
            "employee's out-of-pocket lines. Still waiting for them: %(waiting)s.",
            refs=", ".join(self._pleo_book_ids()),
            waiting="; ".join(parts),
        )
