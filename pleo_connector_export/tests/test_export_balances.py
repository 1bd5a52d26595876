# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The balance sheet after Pleo's exports: what the accounts hold, not how each entry looks.

* A month of the sandbox's wallet movements (top-ups, unloads, card spend, refunds: the
  generator's items, their layout and signs as Pleo's pages describe them, see
  ``pleo_sandbox/README.md``): the Pleo wallet account's balance in Odoo equals
  top-ups - unloads - spend + refunds computed from the sandbox's own items, and the bank's the
  other side of the transfers. Both readings of Pleo's undocumented refund sign are tested.
* Corrections: a posted entry reversed in Odoo, or cancelled, and the expense exported again
  (corrected) books a new entry; the balances after the old entry, its reversal and the new
  entry are the corrected figures, as if only the corrected expense had ever been booked.
"""

import uuid
from collections import defaultdict
from contextlib import closing
from datetime import date

from odoo.tests import tagged

from .common import ExportCase
from .test_export import item_line, make_item

#: the generator's wallet (the contra account) and the company's bank (a transfer's line)
WALLET, BANK = "5850", "5820"
#: how each type moves the wallet, as Pleo's spec describes the type (ExportItemTypeV3):
#: money in (a top-up from the bank, a refund from a merchant), money out (spend, an unload)
WALLET_DIRECTION = {"wallet_topup": 1, "refund": 1, "wallet_unload": -1, "card_purchase": -1}


@tagged("post_install", "-at_install", "pleo_export")
class TestExportBalances(ExportCase):
    def setUp(self):
        super().setUp()
        self.conn_a.export_auto_post = True  # the balance sheet counts posted entries
        self.addCleanup(setattr, self.sandbox.behaviour, "refund_sign", "negative")

    def balances(self):
        """``{account code: balance in cents}`` of company A's posted lines, on the accounts of
        the test chart (made for these tests, so nothing else is on them)."""
        self.env.flush_all()
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company_a.id),
                ("parent_state", "=", "posted"),
                ("account_id", "in", [account.id for account in self.accounts.values()]),
            ]
        )
        result = defaultdict(int)
        for line in lines:
            result[line.account_id.with_company(self.company_a).code] += round(line.balance * 100)
        return {code: value for code, value in result.items() if value}

    def book(self, *items):
        """Export ``items`` from Pleo; return their posted entries (all booked)."""
        job_uuid = self.add_job(items=list(items))
        self.run_export()
        records = {r.entry_uuid: r for r in self.job(job_uuid).item_ids}
        failed = {r.label: r.failure_reason for r in records.values() if r.state != "booked"}
        self.assertFalse(failed, "every item is booked")
        moves = [records[item["accountingEntryId"]].move_id for item in items]
        self.post_the_rest(moves)
        return moves

    def post_the_rest(self, moves):
        """Post what the export left in draft (a purchase without its receipt, which the
        export's auto-post leaves to the bookkeeper), as the bookkeeper does before closing."""
        held = [move for move in moves if move.state == "draft"]
        for move in held:
            self.assertTrue(move.pleo_missing_receipt, "only an entry without receipt is held")
            move.action_post()
        self.assertEqual({move.state for move in moves}, {"posted"})

    # ------------------------------------------------------------------ a month of the wallet

    def test_the_wallet_balance_is_what_pleo_moved_over_a_month(self):
        """31 days of top-ups, unloads, card spend and refunds: wallet = top-ups - unloads -
        spend + refunds and bank = unloads - top-ups, to the cent, from the sandbox's items (as
        served, with Pleo's refund sign either way)."""
        for sign in ("negative", "positive"):
            with self.subTest(refund_sign=sign), closing(self.env.cr.savepoint()):
                self.cr.execute("SAVEPOINT pleo_commit")  # the export's commits, inside
                self.sandbox.behaviour.refund_sign = sign
                job_uuid = self.add_job(
                    n=31,
                    types=list(WALLET_DIRECTION),
                    seed=f"wallet-month-{sign}",
                    start_date=date(2025, 3, 1),
                )
                items = self.sandbox.export_items(job_uuid)
                self.run_export()
                job = self.job(job_uuid)
                self.assertEqual(job.state, "completed", job.item_ids.mapped("failure_reason"))
                self.assertEqual(set(job.item_ids.mapped("state")), {"booked"})
                self.post_the_rest(list(job.item_ids.move_id))
                moved = defaultdict(int)  # cents per type, from the sandbox's own figures
                for item in items:
                    moved[item["type"]] += abs(item["amount"]["inWalletCurrency"]["value"])
                    self.assertEqual(item["amount"]["inWalletCurrency"]["currency"], "USD")
                    self.assertEqual(item["contraAccount"]["code"], WALLET)
                self.assertEqual(set(moved), set(WALLET_DIRECTION), "a month of every kind")
                self.assertEqual(
                    {item["date"][:7] for item in items}, {"2025-03"}, "dated in March"
                )
                wallet = sum(WALLET_DIRECTION[kind] * cents for kind, cents in moved.items())
                balances = self.balances()
                self.assertEqual(
                    balances.get(WALLET, 0),
                    wallet,
                    f"wallet = top-ups {moved['wallet_topup']} - unloads "
                    f"{moved['wallet_unload']} - spend {moved['card_purchase']} + refunds "
                    f"{moved['refund']} (cents)",
                )
                self.assertEqual(
                    balances.get(BANK, 0), moved["wallet_unload"] - moved["wallet_topup"]
                )
                self.assertEqual(sum(balances.values()), 0, "the books balance")

    # ------------------------------------------------------------------ corrections

    def test_a_reversed_entry_and_its_corrected_export_leave_the_corrected_balances(self):
        """125.00 incl. 25.00 of VAT on office supplies, posted, then reversed in Odoo; Pleo
        exports the corrected expense (150.00 incl. 30.00, on software) to a new entry: the
        accounts hold the corrected expense only."""
        entry = str(uuid.uuid4())
        first = make_item(
            item_line(12500, "6840", tax=("I25", 0.25, "inclusive", 2500)),
            accountingEntryId=entry,
        )
        (old,) = self.book(first)
        self.assertEqual(self.balances(), {"6840": 10000, "6320": 2500, WALLET: -12500})
        reversal = old._reverse_moves(cancel=True)
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(self.balances(), {})
        corrected = make_item(
            item_line(15000, "6830", tax=("I25", 0.25, "inclusive", 3000)),
            accountingEntryId=entry,
        )
        (new,) = self.book(corrected)
        self.assertNotEqual(new, old)
        self.assertEqual(self.balances(), {"6830": 12000, "6320": 3000, WALLET: -15000})
        self.assertEqual((old.pleo_entry_uuid, old.pleo_superseded), (entry, True))
        # exported once more, unchanged: nothing moves
        self.book(dict(corrected))
        self.assertEqual(self.balances(), {"6830": 12000, "6320": 3000, WALLET: -15000})

    def test_a_cancelled_entry_and_its_export_again_leave_the_expense_booked_once(self):
        """A posted refund and a purchase cancelled in Odoo (the removal Danish law allows):
        exported again (the purchase corrected from 80.00 to 90.00), each is on the books once,
        with its new figures; the cancelled entries count for nothing."""
        purchase = make_item(item_line(8000, "6810"), accountingEntryId=str(uuid.uuid4()))
        refund = make_item(
            item_line(-2500, "6840", tax=("I25", 0.25, "inclusive", -500)),
            kind="refund",
            accountingEntryId=str(uuid.uuid4()),
        )
        moves = self.env["account.move"].union(*self.book(purchase, refund))
        self.assertEqual(
            self.balances(), {"6810": 8000, "6840": -2000, "6320": -500, WALLET: -5500}
        )
        for move in moves:
            move.button_draft()
            move.button_cancel()
        self.assertEqual(self.balances(), {})
        corrected = make_item(
            item_line(9000, "6810"), accountingEntryId=purchase["accountingEntryId"]
        )
        new = self.book(corrected, dict(refund))
        self.assertFalse(self.env["account.move"].union(*new) & moves, "new entries")
        self.assertEqual(
            self.balances(), {"6810": 9000, "6840": -2000, "6320": -500, WALLET: -6500}
        )
        self.assertEqual({move.state for move in moves}, {"cancel"})
        self.assertTrue(all(moves.mapped("pleo_superseded")))
