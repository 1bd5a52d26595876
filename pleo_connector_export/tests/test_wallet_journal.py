# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Pleo journal books on the Pleo wallet account (accounting audit B5).

"Create a Pleo journal" makes the bank journal PLEO with the wallet account as its account, the
account Pleo pays card spend from (its contra account), instead of a new liquidity account: the
journal's balance is then the wallet balance, and Odoo's balancing lines land on the wallet.
The wallet account is asked for on the connection, proposed from what Odoo knows; a PLEO
journal that exists with another account is named, not changed. The Settings button is tested
in ``test_settings_journal_tour.py``.
"""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ExportCase


@tagged("post_install", "-at_install", "pleo_export")
class TestWalletJournal(ExportCase):
    def setUp(self):
        super().setUp()
        self.wallet = self.accounts["5850"]  # Pleo's contra account in the generated items
        self.conn_a.write({"export_journal_id": False, "export_wallet_account_id": False})

    def create_journal(self, connection=None, user=None):
        connection = (connection or self.conn_a).with_user(user or self.manager_a)
        return connection.action_create_export_journal()

    def liquidity_accounts(self):
        Account = self.env["account.account"]
        return Account.search(
            [
                *Account._check_company_domain(self.company_a),
                ("account_type", "=", "asset_cash"),
            ]
        )

    def test_the_journal_created_books_on_the_chosen_wallet_account(self):
        self.conn_a.export_wallet_account_id = self.wallet
        accounts = self.liquidity_accounts()
        action = self.create_journal()
        journal = self.conn_a.export_journal_id
        self.assertEqual((journal.code, journal.type), ("PLEO", "bank"))
        self.assertEqual(journal.default_account_id, self.wallet)
        self.assertEqual(self.liquidity_accounts(), accounts, "no new liquidity account")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"],
            "Pleo journal 'Pleo' created with account 5850 Pleo DKK Account.",
        )
        self.assertFalse(self.conn_a.export_journal_warning)

        # A wallet top-up booked in it shows in the wallet's balance, that is the journal's.
        job = self.add_job(n=1, types=["wallet_topup"], seed=7)
        self.run_export()
        item = self.job(job).item_ids
        self.assertEqual(item.state, "booked", item.failure_reason)
        pleo_item = self.sandbox.export_items(job)[0]
        topped_up = pleo_item["amount"]["inWalletCurrency"]["value"]
        lines = self.env["account.move.line"].search(
            [("journal_id", "=", journal.id), ("account_id", "=", self.wallet.id)]
        )
        self.assertEqual(round(sum(lines.mapped("amount_currency")) * 100), topped_up)
        self.assertEqual(item.move_id.journal_id, journal)

    def test_the_wallet_is_proposed_from_the_first_card_purchase(self):
        """Pleo's contra account on a booked card purchase wins over an account named Pleo."""
        petty_cash = self.accounts["5810"]
        self.conn_a.export_journal_id = self.journal
        job = self.add_job(n=2, types=["card_purchase"], contra_account_code="5810", seed=3)
        self.run_export()
        self.assertEqual(self.job(job).state, "completed")
        self.conn_a.write({"export_enabled": False, "export_journal_id": False})
        self.conn_a.export_wallet_account_id = False
        self.conn_a.export_enabled = True  # turning the export on proposes the wallet
        self.assertEqual(self.conn_a.export_wallet_account_id, petty_cash)
        self.create_journal()
        self.assertEqual(self.conn_a.export_journal_id.default_account_id, petty_cash)

    def test_without_a_booked_expense_the_journal_or_a_pleo_account_is_proposed(self):
        self.conn_a.export_enabled = False
        self.conn_a.export_journal_id = self.journal  # its account: 5850
        self.conn_a.export_enabled = True
        self.assertEqual(self.conn_a.export_wallet_account_id, self.wallet)
        self.conn_a.write({"export_journal_id": False, "export_wallet_account_id": False})
        self.assertEqual(self.conn_a._export_wallet_proposal(), self.wallet, "named Pleo")
        # a chosen wallet is kept when the export is turned off and on
        self.conn_a.export_wallet_account_id = self.accounts["5810"]
        self.conn_a.export_enabled = False
        self.conn_a.export_enabled = True
        self.assertEqual(self.conn_a.export_wallet_account_id, self.accounts["5810"])

    def test_no_wallet_known_asks_for_it(self):
        self.connect(self.conn_b, key=self.mint(self.pleo_b), user=self.manager_b)
        self.conn_b.export_enabled = True
        self.assertFalse(self.conn_b.export_wallet_account_id)
        with self.assertRaisesRegex(UserError, "Choose the Pleo wallet account of Odoo Company B"):
            self.create_journal(self.conn_b, self.manager_b)
        self.assertFalse(self.conn_b.export_journal_id)

    def test_an_existing_journal_with_another_account_is_named_not_changed(self):
        bank = self.accounts["5820"]
        existing = self.env["account.journal"].create(
            {
                "name": "Pleo old",
                "code": "PLEO",
                "type": "bank",
                "company_id": self.company_a.id,
                "default_account_id": bank.id,
            }
        )
        self.conn_a.export_wallet_account_id = self.wallet
        action = self.create_journal()
        self.assertEqual(self.conn_a.export_journal_id, existing)
        self.assertEqual(existing.default_account_id, bank, "not silently changed")
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(
            "with account 5820 Bank account, not the wallet account 5850",
            action["params"]["message"],
        )
        warning = self.conn_a.export_journal_warning
        self.assertIn("books on 5820 Bank account, not on the wallet account 5850", warning)
        # once the journal has the wallet account, the form says nothing more
        existing.default_account_id = self.wallet
        self.conn_a.invalidate_recordset(["export_journal_warning"])
        self.assertFalse(self.conn_a.export_journal_warning)

    def test_only_a_pleo_manager_creates_the_journal(self):
        self.conn_a.export_wallet_account_id = self.wallet
        with self.assertRaises(AccessError):
            self.create_journal(user=self.accountant_a)
        self.assertFalse(self.conn_a.export_journal_id)
