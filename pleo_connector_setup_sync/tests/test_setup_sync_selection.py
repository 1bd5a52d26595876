# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Which accounts the setup sync sends to Pleo (issue 23, m7): by type and tag, less the
accounts kept out, proposed as the chart's salaries and taxes.

The UX walk's sync sent all 134 expense accounts of a Danish company, salaries, CO2 tax and the
year's corporation tax among them, for employees to pick from. By default now only the expense
accounts a card pays go; receivable, payable, liquidity and tax accounts never go by the
selection. An account that leaves the selection is archived in Pleo, one that comes back is
unarchived, as the sync already does for removed accounts.
"""

from odoo import Command
from odoo.tests import tagged

from odoo.addons.pleo_connector_export.tests.common import ExportCase
from odoo.addons.pleo_connector_export.tests.test_vat_return import DanishExportCase

from .test_setup_sync import SETUP_LOGGERS, WRITE_SCOPES


class SelectionMixin:
    connection = None
    manager = None
    pleo_company = None

    def mint(self, pleo_company=None, **kwargs):
        """Keys that may write the setup (the companies are connected with one)."""
        kwargs.setdefault("scopes", (*self.sandbox_module.DEFAULT_SCOPES, *WRITE_SCOPES))
        return super().mint(pleo_company, **kwargs)

    def sync(self):
        action = self.press(
            self.connection.with_user(self.manager).action_sync_setup, *SETUP_LOGGERS
        )
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        return action

    def in_pleo(self):
        """{code: archived} of the accounts Pleo holds from Odoo."""
        return {a["code"]: a["archived"] for a in self.sandbox.accounts(self.pleo_company)}

    def active_in_pleo(self):
        return {code for code, archived in self.in_pleo().items() if not archived}

    def company_accounts(self, company, domain=()):
        Account = self.env["account.account"].with_company(company)
        return Account.search([*Account._check_company_domain(company), *domain])


@tagged("post_install", "-at_install", "pleo_setup")
class TestAccountSelection(SelectionMixin, ExportCase):
    """Company A: the generic chart and the export tests' accounts."""

    def setUp(self):
        super().setUp()
        self.connection, self.manager, self.pleo_company = self.conn_a, self.manager_a, self.pleo_a
        self.conn_a.sync_accounts = True

    def codes(self, domain):
        return set(self.company_accounts(self.company_a, domain).mapped("code"))

    def test_default_selection_pushes_expense_accounts_only(self):
        self.assertEqual(self.conn_a.sync_account_types, "expense")
        salary = self.company_accounts(self.company_a, [("name", "=", "Salary Expenses")])
        self.assertEqual(self.conn_a.sync_excluded_account_ids, salary, "proposed: salaries")
        self.sync()
        pushed = self.active_in_pleo()
        expected = self.codes([("account_type", "in", ("expense", "expense_direct_cost"))])
        self.assertEqual(pushed, expected - {salary.code})
        self.assertIn("6810", pushed)
        self.assertIn("500000", pushed, "cost of revenue")
        for kind in (
            "asset_receivable",
            "liability_payable",
            "asset_cash",
            "asset_current",
            "liability_current",
            "expense_depreciation",
            "income",
            "equity",
        ):
            with self.subTest(kind=kind):
                self.assertFalse(self.codes([("account_type", "=", kind)]) & pushed)
        self.assertNotIn("6320", pushed, "the ingoing VAT account")

    def test_changing_the_selection_adds_and_removes_accounts_in_pleo(self):
        self.sync()
        self.assertNotIn("151000", self.in_pleo())

        # fixed assets too: the equipment account is added
        self.conn_a.sync_account_types = "expense_assets"
        self.sync()
        self.assertIn("151000", self.active_in_pleo())

        # only the accounts tagged "Card spend": the others are archived in Pleo, not deleted
        card = self.env["account.account.tag"].create(
            {"name": "Card spend", "applicability": "accounts"}
        )
        self.accounts["6810"].tag_ids = [Command.link(card.id)]
        self.accounts["6820"].tag_ids = [Command.link(card.id)]
        self.accounts["5860"].tag_ids = [Command.link(card.id)]  # a receivable: any type
        before = len(self.in_pleo())
        self.conn_a.write(
            {"sync_account_types": "any", "sync_account_tag_ids": [Command.set(card.ids)]}
        )
        action = self.sync()
        self.assertEqual(self.active_in_pleo(), {"6810", "6820", "5860"})
        self.assertEqual(len(self.in_pleo()), before + 1, "archived, not deleted")
        self.assertIn("archived", action["params"]["message"])

        # an account kept out leaves Pleo; back in, it is unarchived
        self.conn_a.sync_excluded_account_ids = [Command.link(self.accounts["6820"].id)]
        self.sync()
        self.assertEqual(self.active_in_pleo(), {"6810", "5860"})
        self.conn_a.sync_excluded_account_ids = [Command.unlink(self.accounts["6820"].id)]
        self.sync()
        self.assertEqual(self.active_in_pleo(), {"6810", "6820", "5860"})

    def test_the_any_type_choice_never_sends_liquidity_or_tax_accounts(self):
        self.conn_a.sync_account_types = "any"
        self.sync()
        pushed = self.active_in_pleo()
        self.assertIn("6810", pushed)
        self.assertIn("151000", pushed)
        for code in ("5850", "5820", "6320", "6330"):  # the wallet, the bank, VAT
            with self.subTest(code=code):
                self.assertNotIn(code, pushed)
        # chosen one by one, the wallet does go
        self.conn_a.sync_extra_account_ids = [Command.link(self.accounts["5850"].id)]
        self.sync()
        self.assertIn("5850", self.active_in_pleo())

    def test_the_selection_is_in_the_settings_too(self):
        """Settings › Pleo › Sync to Pleo writes the connection's selection (a save)."""
        self.conn_a.sync_accounts = False
        self.conn_a.sync_excluded_account_ids = False
        tag = self.env["account.account.tag"].create(
            {"name": "Card spend", "applicability": "accounts"}
        )
        settings = (
            self.env["res.config.settings"]
            .with_user(self.admin_a)
            .create(
                {
                    "pleo_sync_accounts": True,
                    "pleo_sync_account_types": "expense_assets",
                    "pleo_sync_account_tag_ids": [Command.set(tag.ids)],
                }
            )
        )
        settings.execute()
        self.assertTrue(self.conn_a.sync_accounts)
        self.assertEqual(self.conn_a.sync_account_types, "expense_assets")
        self.assertEqual(self.conn_a.sync_account_tag_ids, tag)
        self.assertIn("Salary Expenses", self.conn_a.sync_excluded_account_ids.mapped("name"))

    def test_a_selection_made_by_hand_is_kept(self):
        self.conn_a.sync_excluded_account_ids = [Command.set(self.accounts["6840"].ids)]
        self.conn_a.sync_accounts = False
        self.conn_a.sync_accounts = True
        self.assertEqual(self.conn_a.sync_excluded_account_ids, self.accounts["6840"])


@tagged("post_install", "-at_install", "pleo_setup")
class TestDanishAccountSelection(SelectionMixin, DanishExportCase):
    """The Danish chart (l10n_dk): no salaries and no taxes for employees to pick from."""

    def setUp(self):
        super().setUp()
        self.connection, self.manager, self.pleo_company = (
            self.conn_dk,
            self.manager_dk,
            self.pleo_dk,
        )

    def test_the_default_keeps_salaries_and_taxes_out(self):
        self.conn_dk.with_user(self.manager_dk).sync_accounts = True
        kept_out = set(self.conn_dk.sync_excluded_account_ids.with_company(self.dk).mapped("code"))
        self.assertLessEqual({"2860", "2946", "2130", "3740", "2898"}, kept_out)
        self.sync()
        pushed = self.active_in_pleo()
        self.assertLessEqual({"1910", "2450", "2470", "2310", "2895", "2896"}, pushed)
        for code in ("2860", "2946", "2130", "3740", "2898", "7740", "6485"):
            with self.subTest(code=code):
                self.assertNotIn(code, pushed)
        expense = self.company_accounts(
            self.dk, [("account_type", "in", ("expense", "expense_direct_cost"))]
        )
        self.assertEqual(pushed, set(expense.mapped("code")) - kept_out)
