# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Wallet top-ups and unloads: money between the company's bank and the Pleo wallet.

The wallet is debited on a top-up and credited on an unload. Which account is the wallet: the
contra account, as Pleo's pages say and the sandbox sends (contra 5850 = the wallet, the Pleo
journal's account; line 5820 = the bank), or the line's account when the Pleo journal's account
is there and the contra is a transit account. Pleo's sign can only contradict: a negative top-up
fails, with its reason, and so does a transfer with the wallet on both sides.
"""

import uuid

from odoo.tests import tagged

from .common import ExportCase


def transfer(kind, value, line_account, contra, currency="DKK"):
    """A wallet top-up or unload of ``value`` minor units, as Pleo sends it (no tax)."""
    amount = {
        "inSupplierCurrency": {"currency": currency, "value": value},
        "inWalletCurrency": {"currency": currency, "value": value},
    }
    return {
        "accountingEntryId": str(uuid.uuid4()),
        "companyId": "ignored",
        "type": kind,
        "date": "2025-03-04T10:00:00Z",
        "amount": amount,
        "accountingEntryLines": [
            {
                "accountingEntryLineId": "l1",
                "lineAmount": amount,
                "account": {"id": "line", "name": "line", "code": line_account},
                "tags": [],
                "tax": None,
            }
        ],
        "contraAccount": {"id": "contra", "name": "contra", "code": contra},
        "additionalInformation": {"reconciliationId": "TOPUP-1"},
        "bookkeeping": {"method": "journal"},
    }


@tagged("post_install", "-at_install", "pleo_export")
class TestWalletTransfers(ExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.transit = cls.env["account.account"].create(
            {
                "code": "5830",
                "name": "Pleo transit",
                "account_type": "asset_current",
                "company_ids": [cls.company_a.id],
            }
        )

    def booked(self, job_uuid):
        """``{entry: {account code: balance in cents}}`` of a job's items (all booked)."""
        records = self.job(job_uuid).item_ids
        self.assertEqual(set(records.mapped("state")), {"booked"}, records.mapped("failure_reason"))
        result = {}
        for record in records:
            lines = record.move_id.with_company(self.company_a).line_ids
            result[record.entry_uuid] = {
                line.account_id.code: round(line.balance * 100) for line in lines
            }
        return result

    def test_a_top_up_debits_the_wallet(self):
        """The sandbox's top-up, as Pleo's pages describe it (contra = the wallet 5850, line =
        the bank 5820, a positive amount): Dr wallet, Cr bank (it was booked the other way)."""
        job_uuid = self.add_job(n=3, types=["wallet_topup"], wallet_currency="DKK", seed="in")
        items = self.sandbox.export_items(job_uuid)
        self.run_export()
        booked = self.booked(job_uuid)
        for item in items:
            value = item["amount"]["inWalletCurrency"]["value"]
            self.assertGreater(value, 0)
            self.assertEqual(item["contraAccount"]["code"], "5850")
            self.assertEqual(booked[item["accountingEntryId"]], {"5850": value, "5820": -value})
        record = self.job(job_uuid).item_ids[:1]
        self.assertGreater(record.amount, 0, "the item list shows a top-up as Pleo does")

    def test_an_unload_credits_the_wallet_whatever_its_sign(self):
        """Money back to the bank: Cr wallet 5850, Dr bank 5820, whether Pleo sends the unload
        negative or positive (its sign is not documented: a sandbox switch)."""
        for sign in ("negative", "positive"):
            with self.subTest(sign=sign):
                self.sandbox.behaviour.refund_sign = sign
                job_uuid = self.add_job(
                    n=2, types=["wallet_unload"], wallet_currency="DKK", seed=f"out-{sign}"
                )
                items = self.sandbox.export_items(job_uuid)
                self.run_export()
                booked = self.booked(job_uuid)
                for item in items:
                    value = abs(item["amount"]["inWalletCurrency"]["value"])
                    self.assertEqual(
                        booked[item["accountingEntryId"]], {"5850": -value, "5820": value}
                    )

    def test_the_wallet_on_the_lines_is_debited_on_a_top_up(self):
        """Pleo's other layout: the line carries the wallet (the Pleo journal's account 5850)
        and the contra is a transit account: still Dr wallet on a top-up, Cr on an unload."""
        top_up = transfer("wallet_topup", 2747391, "5850", "5830")
        unload = transfer("wallet_unload", -1011848, "5850", "5830")
        job_uuid = self.add_job(items=[top_up, unload])
        self.run_export()
        booked = self.booked(job_uuid)
        self.assertEqual(booked[top_up["accountingEntryId"]], {"5850": 2747391, "5830": -2747391})
        self.assertEqual(booked[unload["accountingEntryId"]], {"5850": -1011848, "5830": 1011848})

    def test_a_top_up_pleo_sends_negative_fails_with_its_reason(self):
        job_uuid = self.add_job(items=[transfer("wallet_topup", -50000, "5820", "5850")])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.failure_type, "validation_failure")
        self.assertIn("wallet top-up", record.failure_reason)
        self.assertIn("negative", record.failure_reason)
        self.assertFalse(self.moves())

    def test_the_wallet_on_both_sides_fails_with_its_reason(self):
        job_uuid = self.add_job(items=[transfer("wallet_topup", 50000, "5850", "5850")])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "failed")
        self.assertIn("5850", record.failure_reason)
        self.assertIn("both sides", record.failure_reason)
        self.assertFalse(self.moves())
