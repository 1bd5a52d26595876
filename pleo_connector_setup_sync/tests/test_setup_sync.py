# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Keep Pleo in step with Odoo: the setup sync (accounts, tax codes, tags, vendors) against the
sandbox, on company A's generic chart plus the export tests' accounts, taxes and plans."""

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.pleo_connector_export.tests.common import ExportCase
from odoo.addons.pleo_connector_export.tests.test_vat_return import DanishExportCase

SETUP_LOGGERS = ("odoo.addons.pleo_connector_setup_sync.models.pleo_connection",)
WRITE_SCOPES = ("tax-codes:write", "tag-groups:write")
#: the accounts the sync sends by default (less those kept out: salaries and taxes)
EXPENSE_TYPES = ("expense", "expense_direct_cost")


def _is_read(request):
    return request.method == "GET" or request.path.endswith(":search")


@tagged("post_install", "-at_install", "pleo_setup")
class TestSetupSync(ExportCase):
    def setUp(self):
        super().setUp()
        scopes = self.sandbox.key_info(self.key)["scopes"]
        self.sandbox.set_scopes(self.key, [*scopes, *WRITE_SCOPES])
        self.conn_a.write(
            {"sync_accounts": True, "sync_taxes": True, "sync_tags": True, "sync_vendors": True}
        )
        Partner = self.env["res.partner"]
        self.vendors = Partner.create(
            [
                {"name": "Office Supplies A/S", "ref": "V100", "supplier_rank": 1},
                {"name": "Taxi Company", "supplier_rank": 1},
                {"name": "Airline", "ref": "V300", "supplier_rank": 1, "vat": "DK12345678"},
            ]
        )

    def sync(self, connection=None, user=None):
        """Press "Sync setup to Pleo" (it runs the setup-sync cron: see ``ExportCase.press``)."""
        connection = (connection or self.conn_a).with_user(user or self.manager_a)
        return self.press(connection.action_sync_setup, *SETUP_LOGGERS)

    def expense_accounts(self):
        Account = self.env["account.account"].with_company(self.company_a)
        return (
            Account.search(
                [
                    *Account._check_company_domain(self.company_a),
                    ("account_type", "in", EXPENSE_TYPES),
                ]
            )
            - self.conn_a.sync_excluded_account_ids
        )

    def writes(self):
        return [(r.method, r.path) for r in self.sandbox.requests if not _is_read(r)]

    def records(self, kind):
        return self.conn_a.setup_record_ids.filtered(lambda r: r.kind == kind)

    # ------------------------------------------------------------------ first and second sync

    def test_first_sync_of_the_generic_chart(self):
        self.assertEqual(self.company_a.chart_template, "generic_coa")
        action = self.sync()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        pleo = {a["externalId"]: a for a in self.sandbox.accounts(self.pleo_a)}
        accounts = self.expense_accounts()
        self.assertGreater(len(accounts), 12)
        self.assertEqual(set(pleo), {str(a.id) for a in accounts})
        for account in accounts:
            self.assertEqual(pleo[str(account.id)]["code"], account.code)
            self.assertEqual(pleo[str(account.id)]["name"], account.name)
            self.assertFalse(pleo[str(account.id)]["archived"])
        # one batch for every account
        self.assertEqual(self.sandbox.count("POST", "/v1/chart-of-accounts/batch"), 1)
        taxes = {t["code"]: t for t in self.sandbox.tax_codes(self.pleo_a)}
        self.assertEqual(taxes["RC25"]["type"], "reverse")
        self.assertEqual(taxes["RC25"]["outgoingTaxAccount"], "6330")
        # a card amount includes its VAT: every tax paid to the supplier is inclusive in Pleo
        self.assertEqual(taxes["I25"]["type"], "inclusive")
        self.assertEqual({t["type"] for t in taxes.values()}, {"inclusive", "reverse"})
        self.assertEqual(taxes["I25"]["rate"], 0.25)
        self.assertEqual(taxes["I25"]["ingoingTaxAccount"], "6320")
        self.assertIn("15%", taxes)
        groups = {g["code"]: g for g in self.sandbox.tag_groups(self.pleo_a)}
        self.assertLessEqual({"DEPT", "PROJ"}, set(groups))
        tags = {t["code"] for t in self.sandbox.tags(groups["DEPT"]["id"])}
        self.assertEqual(tags, {"SALES", "RND", "OPS"})
        vendors = {v["externalId"]: v for v in self.sandbox.vendors(self.pleo_a)}
        for partner in self.vendors:
            vendor = vendors[str(partner.id)]
            self.assertEqual(vendor["state"], "ACTIVE")
            self.assertEqual(vendor.get("code"), partner.ref or None)
        self.assertEqual(vendors[str(self.vendors[2].id)]["taxRegistrationNumber"], "DK12345678")
        # Odoo keeps each record's Pleo id and last sync
        rows = self.records("account")
        self.assertEqual(len(rows), len(accounts))
        self.assertTrue(all(r.pleo_uuid and r.last_sync and r.sync_hash for r in rows))
        self.assertIn("created", self.conn_a.setup_summary)
        self.assertFalse(self.conn_a.setup_missing_scopes)

    def test_first_sync_of_a_localized_chart(self):
        """The Danish chart (l10n_dk, when installed) on company B: many accounts and taxes."""
        if self.env["ir.module.module"]._get("l10n_dk").state != "installed":
            self.skipTest("l10n_dk is not installed (tests/run.sh installs it)")
        company = self.company_b
        self.env["account.chart.template"].try_loading("dk", company=company, install_demo=False)
        key = self.mint(self.pleo_b)
        self.sandbox.set_scopes(key, [*self.sandbox.key_info(key)["scopes"], *WRITE_SCOPES])
        self.connect(self.conn_b, key=key, user=self.manager_b)
        self.conn_b.write({"sync_accounts": True, "sync_taxes": True})
        action = self.sync(self.conn_b, self.manager_b)
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        Account = self.env["account.account"].with_company(company)
        accounts = (
            Account.search(
                [*Account._check_company_domain(company), ("account_type", "in", EXPENSE_TYPES)]
            )
            - self.conn_b.sync_excluded_account_ids
        )
        self.assertGreater(len(accounts), 50)
        pleo = {a["externalId"]: a["code"] for a in self.sandbox.accounts(self.pleo_b)}
        self.assertEqual(pleo, {str(a.id): a.code for a in accounts})
        Tax = self.env["account.tax"].with_company(company)
        taxes = Tax.search([*Tax._check_company_domain(company), ("type_tax_use", "=", "purchase")])
        self.assertEqual(len(self.sandbox.tax_codes(self.pleo_b)), len(taxes))
        self.assertIn("reverse", {t["type"] for t in self.sandbox.tax_codes(self.pleo_b)})
        self.sandbox.reset_requests()
        self.sync(self.conn_b, self.manager_b)
        self.assertEqual(self.writes(), [])

    def test_second_sync_makes_only_read_calls(self):
        self.sync()
        self.sandbox.reset_requests()
        action = self.sync()
        self.assertEqual(self.writes(), [])
        methods = {r.method for r in self.sandbox.requests}
        self.assertLessEqual(methods, {"GET", "POST"})
        self.assertIn("0 created, 0 updated, 0 archived, 0 failed", action["params"]["message"])

    # ------------------------------------------------------------------ incremental changes

    def test_each_change_updates_exactly_that_record(self):
        self.sync()
        renamed, deprecated = self.accounts["6820"], self.accounts["6830"]
        renamed.name = "Travel and transport"
        deprecated.active = False
        new_account = self.env["account.account"].create(
            {
                "code": "6850",
                "name": "Training",
                "account_type": "expense",
                "company_ids": [self.company_a.id],
            }
        )
        new_tax = self._make_tax("I6", 6.0, False)
        plan = self.analytics["SALES"].plan_id
        new_analytic = self.env["account.analytic.account"].create(
            {"name": "Marketing", "plan_id": plan.id}
        )
        self.vendors[1].active = False
        self.sandbox.reset_requests()
        self.sync()
        writes = self.writes()
        pleo = {a["externalId"]: a for a in self.sandbox.accounts(self.pleo_a)}
        row = {r.account_id: r for r in self.records("account")}
        self.assertEqual(pleo[str(renamed.id)]["name"], "Travel and transport")
        self.assertTrue(pleo[str(deprecated.id)]["archived"])
        self.assertEqual(pleo[str(new_account.id)]["code"], "6850")
        self.assertIn(("PUT", f"/v1/chart-of-accounts/{row[renamed].pleo_uuid}"), writes)
        self.assertTrue(self.records("account").filtered(lambda r: r.archived))
        self.assertIn(("POST", "/v1/chart-of-accounts/batch"), writes)
        self.assertIn("I6", {t["code"] for t in self.sandbox.tax_codes(self.pleo_a)})
        self.assertTrue(new_analytic.code, "a generated code is written back")
        group = next(g for g in self.sandbox.tag_groups(self.pleo_a) if g["code"] == "DEPT")
        self.assertIn(new_analytic.code, {t["code"] for t in self.sandbox.tags(group["id"])})
        vendor = next(
            v
            for v in self.sandbox.vendors(self.pleo_a)
            if v["externalId"] == str(self.vendors[1].id)
        )
        self.assertEqual(vendor["state"], "ARCHIVED")
        # exactly those: 2 account PUTs, 1 batch, 1 tax code, 1 tag, 1 archive
        self.assertEqual(len(writes), 6, writes)
        self.assertTrue(new_tax)

    def test_hand_made_records_are_matched_by_code(self):
        hand_account = self.sandbox.add_account(self.pleo_a, "6810", "Meals", "manual-6810")
        hand_tax = self.sandbox.add_tax_code(self.pleo_a, "I25", "I25", 0.25, "exclusive")
        group = self.sandbox.add_tag_group(self.pleo_a, "DEPT", "Departments")
        hand_tag = self.sandbox.add_tag(group, "SALES", "Sales")
        hand_vendor = self.sandbox.add_vendor(self.pleo_a, "Office Supplies", code="V100")
        self.sync()
        codes = [a["code"] for a in self.sandbox.accounts(self.pleo_a)]
        self.assertEqual(codes.count("6810"), 1)
        account_row = self.records("account").filtered(lambda r: r.code == "6810")
        self.assertEqual(account_row.pleo_uuid, hand_account)
        self.assertEqual(account_row.pleo_external_ref, "manual-6810")
        self.assertEqual(
            self.records("tax").filtered(lambda r: r.code == "I25").pleo_uuid, hand_tax
        )
        self.assertEqual(len(self.sandbox.tag_groups(self.pleo_a)), len(self.records("tag_group")))
        self.assertEqual([t["code"] for t in self.sandbox.tags(group)].count("SALES"), 1)
        self.assertEqual(
            self.records("tag").filtered(lambda r: r.code == "SALES").pleo_uuid, hand_tag
        )
        vendor = next(v for v in self.sandbox.vendors(self.pleo_a) if v["id"] == hand_vendor)
        self.assertEqual(vendor["externalId"], str(self.vendors[0].id))
        self.assertEqual(vendor["name"], "Office Supplies A/S")
        self.assertEqual(len(self.sandbox.vendors(self.pleo_a)), 3)

    # ------------------------------------------------------------------ scopes and failures

    def test_a_key_missing_one_scope_syncs_the_rest_and_names_the_scope(self):
        scopes = [s for s in self.sandbox.key_info(self.key)["scopes"] if s != "tag-groups:write"]
        self.sandbox.set_scopes(self.key, scopes)
        action = self.sync()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("tag-groups:write", action["params"]["message"])
        self.assertNotIn("..", action["params"]["message"])
        self.assertEqual(self.conn_a.setup_missing_scopes, "tag-groups:write")
        self.assertEqual(self.conn_a.state, "connected")
        self.assertFalse(self.sandbox.tag_groups(self.pleo_a))
        self.assertTrue(self.sandbox.accounts(self.pleo_a))
        self.assertTrue(self.sandbox.vendors(self.pleo_a))
        # once the key has it, the next run fills the gap and the warning goes
        self.sandbox.set_scopes(self.key, [*scopes, "tag-groups:write"])
        self.sync()
        self.assertTrue(self.sandbox.tag_groups(self.pleo_a))
        self.assertFalse(self.conn_a.setup_missing_scopes)

    def test_production_spelling_of_the_tag_scope(self):
        self.sandbox.behaviour.tag_scope = "tag-group"
        scopes = [s for s in self.sandbox.key_info(self.key)["scopes"] if "tag-group" not in s]
        self.sandbox.set_scopes(self.key, [*scopes, "tag-group:read", "tag-group:write"])
        try:
            self.sync()
        finally:
            self.sandbox.behaviour.tag_scope = "tag-groups"
        self.assertTrue(self.sandbox.tag_groups(self.pleo_a))

    def test_429_and_5xx_mid_sync_are_retried_or_resumed(self):
        self.sandbox.inject_fault(
            "/v1/chart-of-accounts/batch", "POST", kind="rate_limit", retry_after=0, times=1
        )
        self.sandbox.inject_fault("/v0/tax-codes:search", "POST", status=503, times=1)
        self.sandbox.inject_fault("/v1/vendors:search", "POST", status=500, times=10)
        action = self.sync()
        self.assertEqual(self.sandbox.count("POST", "/v1/chart-of-accounts/batch"), 2)
        self.assertTrue(self.sandbox.accounts(self.pleo_a))
        self.assertTrue(self.sandbox.tax_codes(self.pleo_a))
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("Vendors", action["params"]["message"])
        self.assertFalse(self.sandbox.vendors(self.pleo_a))
        self.assertEqual(self.conn_a.state, "connected")
        # the next run resumes: vendors are created, nothing is duplicated
        self.sandbox.clear_faults()
        count = len(self.sandbox.accounts(self.pleo_a))
        self.sync()
        self.assertEqual(len(self.sandbox.vendors(self.pleo_a)), 3)
        self.assertEqual(len(self.sandbox.accounts(self.pleo_a)), count)

    def test_a_refused_record_is_logged_on_the_chatter_once(self):
        self.sandbox.inject_fault("/v1/vendors", "POST", status=400, times=2)
        messages = self.conn_a.message_ids
        self.sync()
        first = self.conn_a.message_ids - messages
        self.assertEqual(len(first), 1)
        self.assertIn("could not be synced", first.body)
        self.assertIn("2 failed", self.conn_a.setup_summary)
        self.assertEqual(len(self.sandbox.vendors(self.pleo_a)), 1)
        self.sandbox.inject_fault("/v1/vendors", "POST", status=400, times=2)
        self.sync()
        self.assertEqual(self.conn_a.message_ids - messages, first, "not again on every run")
        self.sync()  # Pleo accepts them now
        self.assertEqual(len(self.sandbox.vendors(self.pleo_a)), 3)
        self.assertFalse(self.records("vendor").filtered("failure"))

    def test_cron_syncs_opted_in_connections(self):
        cron = self.env.ref("pleo_connector.ir_cron_pleo_setup_sync")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        with mute_logger(*SETUP_LOGGERS):
            self.env["pleo.connection"]._cron_pleo_setup_sync()
        self.assertTrue(self.sandbox.accounts(self.pleo_a))
        self.assertTrue(self.conn_a.setup_last_sync)

    def test_parts_are_off_by_default(self):
        connection = self.conn_b
        self.assertFalse(
            connection.sync_accounts
            or connection.sync_taxes
            or connection.sync_tags
            or connection.sync_vendors
        )

    # ------------------------------------------------------------------ the export uses it

    def test_export_after_sync_books_with_no_mapping_rows(self):
        self.sync()
        account = self.accounts["6810"]
        external = self.records("account").filtered(lambda r: r.account_id == account)
        self.assertEqual(external.pleo_external_ref, str(account.id))
        # Pleo categorised with the synced records; the Odoo account's code changed since.
        account.code = "6811"
        items = self.sandbox_module.generate_items(
            4,
            types=["card_purchase"],
            wallet_currency="USD",
            accounts={"expense": [("6810", account.name)]},
        )
        for item in items:
            item["files"] = []  # receipts are another test's business
            for line in item["accountingEntryLines"]:
                if line["account"]["code"] == "6810":
                    line["account"]["identifier"] = str(account.id)
        job = self.add_job(items=items)
        self.assertFalse(self.conn_a.export_mapping_ids)
        self.run_export()
        booked = self.job(job)
        self.assertEqual(booked.state, "completed", booked.item_ids.mapped("failure_reason"))
        lines = self.moves().line_ids
        self.assertIn(account, lines.account_id)


@tagged("post_install", "-at_install", "pleo_setup")
class TestCardSpendTaxCodes(DanishExportCase):
    """V5: the tax codes the sync pushes make Pleo compute a card purchase's VAT inside the card
    amount, whatever Pleo does with ``exclusive`` (the sandbox's ``exclusive_tax`` switch): the
    Danish company syncs its taxes, Pleo makes a card purchase of 125.00 DKK with a synced code,
    and Odoo books it (or refuses it, never over-deducting)."""

    def setUp(self):
        super().setUp()
        self.conn_dk.sync_taxes = True
        self.addCleanup(setattr, self.sandbox.behaviour, "exclusive_tax", "inside")

    def mint(self, pleo_company=None, **kwargs):
        """Keys that may write tax codes (the Danish company is connected with one)."""
        kwargs.setdefault("scopes", (*self.sandbox_module.DEFAULT_SCOPES, *WRITE_SCOPES))
        return super().mint(pleo_company, **kwargs)

    def sync(self):
        connection = self.conn_dk.with_user(self.manager_dk)
        action = self.press(connection.action_sync_setup, *SETUP_LOGGERS)
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        return action

    def pleo_code(self, code):
        return next(t for t in self.sandbox.tax_codes(self.pleo_dk) if t["code"] == code)

    def purchase(self, code="K_DK_FuldFradrag"):
        """A card purchase of 125.00 DKK on office supplies (2450), as Pleo exports it."""
        return self.sandbox.card_purchase(
            self.pleo_dk,
            code,
            12500,
            account=("2450", "Kontorartikler"),
            contra=("6485", "Pleo DKK wallet"),
            seed=code,
        )

    def assertVatInside(self, move):
        """125.00 paid by card: 100.00 expense, 25.00 input VAT (grid KM), 125.00 off the wallet."""
        self.assertEqual(self.by_account(move), {"2450": 10000, "7740": 2500, "6485": -12500})
        self.assertEqual(self.tax_lines(move).tax_tag_ids.mapped("name"), ["KM"])

    def test_the_sync_pushes_card_spend_codes_inclusive_and_reverse_charge_as_reverse(self):
        self.sync()
        codes = {t["code"]: t for t in self.sandbox.tax_codes(self.pleo_dk)}
        full = codes["K_DK_FuldFradrag"]
        self.assertEqual((full["type"], full["rate"]), ("inclusive", 0.25))
        self.assertEqual(codes["K_EU_Ydelser_FuldFradrag"]["type"], "reverse")
        self.assertEqual(codes["K_EU_Ydelser_FuldFradrag"]["outgoingTaxAccount"], "7720")
        self.assertNotIn("exclusive", {t["type"] for t in codes.values()})
        # a purchase with the pushed code: the VAT is inside the card amount, whatever the
        # sandbox's reading of exclusive codes
        for reading in ("inside", "on_top"):
            with self.subTest(reading=reading):
                self.sandbox.behaviour.exclusive_tax = reading
                item = self.purchase()
                tax = item["accountingEntryLines"][0]["tax"]
                self.assertEqual(
                    (tax["type"], tax["amount"]["inWalletCurrency"]["value"]), ("inclusive", 2500)
                )
                (move,) = self.book(item)
                self.assertVatInside(move)

    def test_an_old_exclusive_code_read_as_inside_books_the_vat_inside(self):
        self.sync()
        self.sandbox.edit_tax_code(self.pleo_code("K_DK_FuldFradrag")["id"], type="exclusive")
        self.sandbox.behaviour.exclusive_tax = "inside"
        (move,) = self.book(self.purchase())
        self.assertVatInside(move)

    def test_an_old_exclusive_code_read_as_on_top_is_refused_not_over_deducted(self):
        self.sync()
        self.sandbox.edit_tax_code(self.pleo_code("K_DK_FuldFradrag")["id"], type="exclusive")
        self.sandbox.behaviour.exclusive_tax = "on_top"
        item = self.purchase()
        self.assertEqual(
            item["accountingEntryLines"][0]["tax"]["amount"]["inWalletCurrency"],
            {"currency": "DKK", "value": 3125},
        )
        record = self.book_failing(item)
        self.assertIn(
            "its tax (3125) is more than a line of 12500 can contain at 25 % (2500",
            record.failure_reason,
        )
        self.assertFalse(record.move_id)
        self.assertFalse(self.vat_return("2025-01-01", "2025-12-31", ("draft", "posted")))

    def test_codes_pushed_as_exclusive_are_updated_to_inclusive_by_the_next_sync(self):
        self.sync()
        full = self.pleo_code("K_DK_FuldFradrag")
        # as the earlier sync left them: every code paid to the supplier exclusive
        old = [t for t in self.sandbox.tax_codes(self.pleo_dk) if t["type"] == "inclusive"]
        for tax in old:
            self.sandbox.edit_tax_code(tax["id"], type="exclusive")
        self.sandbox.reset_requests()
        action = self.sync()
        self.assertIn(f"0 created, {len(old)} updated", action["params"]["message"])
        self.assertEqual(self.pleo_code("K_DK_FuldFradrag")["type"], "inclusive")
        self.assertEqual(self.pleo_code("K_DK_FuldFradrag")["id"], full["id"], "updated in place")
        self.assertNotIn("exclusive", {t["type"] for t in self.sandbox.tax_codes(self.pleo_dk)})
        # and Pleo's next card purchase with it books the VAT inside, even read "on top"
        self.sandbox.behaviour.exclusive_tax = "on_top"
        (move,) = self.book(self.purchase())
        self.assertVatInside(move)
