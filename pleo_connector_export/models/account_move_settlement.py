# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A Pleo reimbursement reconciled with the out-of-pocket expenses it settles.

Pleo sends, with a reimbursement, the book IDs of the expenses it pays back
(``additionalInformation.reconciledEntries``: "reconciliation IDs for reimbursement expenses
that are settled by this reimbursement" [spec]); each of those expenses was booked with its book
ID as its reference. The money owed to the employee is on the out-of-pocket account with the
employee's partner; once the reimbursement and every expense it settles are posted, their lines
on the same account and partner are reconciled, as Odoo reconciles an employee's expense report
with its payment. Whichever is posted last does it, so the order of the exports does not matter.
Until then the lines stay open, and the export notes on the reimbursement what it waits for.
"""

from odoo import models
from odoo.fields import Domain


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _post(self, soft=True):
        """Reconcile the Pleo reimbursements that this posting completes."""
        posted = super()._post(soft=soft)
        pleo = posted.filtered("pleo_entry_uuid")
        if pleo:
            (
                pleo._pleo_reimbursements_settling() | pleo.filtered("pleo_reconciled_entries")
            )._pleo_settle()
        return posted

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
