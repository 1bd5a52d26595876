# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Danish VAT return (momsangivelse) of a month of Pleo spend, as an auditor checks it.

A company with the Danish chart and taxes (``l10n_dk``) books a month of realistic Pleo items
through the sandbox, over HTTP, as the export cron does: domestic purchases at 25 %, a
restaurant bill (25 % of its VAT deductible), a landline (50 %), an EU service and EU goods with
reverse charge, purchases without VAT, a refund, purchases in euros on the DKK wallet, a Danish
receipt paid from the EUR wallet, and purchases on both sides of a month's end in Copenhagen.
The VAT return is the balance per tax grid (the tags of ``account.move.line.tax_tag_ids``,
summed as Odoo's ``tax_tags`` report engine sums them), compared with figures computed here by
hand: posted as booked, and posted after a bookkeeper edited the drafts (account, partner,
amount), which must not change it. The figures are logged (INFO) and added to
``tests/artifacts/vat_return.txt``. For a few items, the entry also equals line for line the
entry Odoo computes itself from the same base lines and taxes.

Each finding of the accounting audit that these tests cover has a test of its own below.
"""

import logging
import os
import unittest
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import ExportCase

_logger = logging.getLogger(__name__)

CPH = "Europe/Copenhagen"
#: where the per-grid figures of the month are written (``vat_return.txt``), as the screenshots
ARTIFACTS = Path(
    os.environ.get("PLEO_ARTIFACTS_DIR")
    or Path(__file__).resolve().parents[2] / "tests" / "artifacts"
)

#: Danish tax grids (tag names of l10n_dk's tax report) shown in the printed return
GRIDS = ("KM", "MYUOB", "MVU", "R-A-Y", "R-A-V", "UM")


def money(value, currency):
    return {"currency": currency, "value": value}


def pleo_line(value, account, tax=None, *, wallet="DKK", supplier=None, tags=()):
    """One ``ExportItemLineV3``: ``value`` in wallet minor units; ``tax`` =
    (code, rate, type, wallet tax[, supplier tax]); ``supplier`` = (currency, value)."""
    supplier_currency, supplier_value = supplier or (wallet, value)
    line = {
        "accountingEntryLineId": str(uuid.uuid4()),
        "lineAmount": {
            "inSupplierCurrency": money(supplier_value, supplier_currency),
            "inWalletCurrency": money(value, wallet),
        },
        "account": {"id": f"acc-{account}", "name": f"Account {account}", "code": account},
        "tags": [{"id": f"tag-{code}", "code": code, "groupCode": group} for group, code in tags],
        "tax": None,
    }
    if tax:
        code, rate, kind, tax_value, *supplier_tax = tax
        line["tax"] = {
            "id": f"tax-{code}",
            "code": code,
            "rate": rate,
            "type": kind,
            "amount": {
                "inSupplierCurrency": money(
                    supplier_tax[0] if supplier_tax else tax_value, supplier_currency
                ),
                "inWalletCurrency": money(tax_value, wallet),
            },
        }
    return line


def pleo_item(lines, *, on, supplier="Merchant", kind="card_purchase", contra="6485", note=None):
    """One ``ExportItemV3`` of the Danish company (amounts add up from the lines)."""
    wallet = lines[0]["lineAmount"]["inWalletCurrency"]["currency"]
    bought = lines[0]["lineAmount"]["inSupplierCurrency"]["currency"]
    return {
        "accountingEntryId": str(uuid.uuid4()),
        "companyId": "ignored",
        "type": kind,
        "date": on,
        "amount": {
            "inSupplierCurrency": money(
                sum(ln["lineAmount"]["inSupplierCurrency"]["value"] for ln in lines), bought
            ),
            "inWalletCurrency": money(
                sum(ln["lineAmount"]["inWalletCurrency"]["value"] for ln in lines), wallet
            ),
        },
        "accountingEntryLines": lines,
        "contraAccount": {"id": f"contra-{contra}", "name": "Pleo wallet", "code": contra},
        "additionalInformation": {"reconciliationId": uuid.uuid4().hex[:8].upper()},
        "supplier": {"name": supplier},
        "user": {"id": "u-mette", "name": "Mette Hansen", "code": None},
        "note": note,
        "bookkeeping": {"method": "journal"},
    }


def month_of_items():
    """March 2025 of a Danish company, with the VAT return computed by hand (øre).

    ``expected`` is the balance per grid of the items dated in March in Copenhagen; ``april``
    that of the purchase made at 00:30 on 1 April (22:30 UTC on 31 March).
    """
    full = ("K_DK_FuldFradrag", 0.25, "inclusive")
    items = {
        # 1,250.00 incl. 250.00 VAT: KM 250.00
        "office": pleo_item(
            [pleo_line(125000, "2450", (*full, 25000))],
            on="2025-03-04T09:12:00Z",
            supplier="Office Depot DK",
        ),
        # 1,000.00 incl. 200.00, representation: 25 % deductible, KM 50.00, 150.00 expense
        "restaurant": pleo_item(
            [pleo_line(100000, "1910", ("K_DK_ReprFradragFuld", 0.25, "inclusive", 20000))],
            on="2025-03-06T18:40:00Z",
            supplier="Restaurant Noma",
            note="Client dinner",
        ),
        # 400.00 incl. 80.00, landline: 50 % deductible, KM 40.00
        "landline": pleo_item(
            [pleo_line(40000, "2410", ("K_DK_FastnettelefonFuld", 0.25, "inclusive", 8000))],
            on="2025-03-07T07:00:00Z",
            supplier="TDC Erhverv",
        ),
        # 100.00 EUR = 746.00 DKK, EU service, reverse charge 186.50: R-A-Y, KM, MYUOB
        "ads": pleo_item(
            [
                pleo_line(
                    74600,
                    "1850",
                    ("K_EU_Ydelser_FuldFradrag", 0.25, "reverse", 18650, 2500),
                    supplier=("EUR", 10000),
                )
            ],
            on="2025-03-10T08:00:00Z",
            supplier="GOOGLE*ADS8693645259",
        ),
        # 300.00, passenger transport, no VAT (0 %): nothing on the return
        "train": pleo_item(
            [pleo_line(30000, "2470", ("K_DK_IngenFradrag", 0, "inclusive", 0))],
            on="2025-03-12T06:30:00Z",
            supplier="DSB",
        ),
        # 80.00 on a 25 % code, but the receipt shows no VAT (Pleo's tax 0): nothing
        "kiosk": pleo_item(
            [pleo_line(8000, "2450", (*full, 0))],
            on="2025-03-13T12:00:00Z",
            supplier="Kiosk",
        ),
        # refund of 250.00 incl. 50.00 (Pleo's values negative): KM -50.00
        "refund": pleo_item(
            [pleo_line(-25000, "2450", (*full, -5000))],
            kind="refund",
            on="2025-03-18T10:00:00Z",
            supplier="Office Depot DK",
        ),
        # 50.00 EUR = 373.00 DKK, EU goods, reverse charge 93.25: R-A-V, KM, MVU
        "eu_goods": pleo_item(
            [
                pleo_line(
                    37300,
                    "1630",
                    ("K_EU_Varer_Fradrag", 0.25, "reverse", 9325, 1250),
                    supplier=("EUR", 5000),
                )
            ],
            on="2025-03-20T14:00:00Z",
            supplier="Conrad Electronic SE",
        ),
        # a Danish receipt of 125.00 incl. 25.00 paid from the EUR wallet (16.76 EUR, tax 3.35)
        "eur_wallet": pleo_item(
            [
                pleo_line(
                    1676,
                    "2450",
                    (*full, 335, 2500),
                    wallet="EUR",
                    supplier=("DKK", 12500),
                )
            ],
            on="2025-03-24T11:00:00Z",
            supplier="Bog & Ide",
            contra="6486",
        ),
        # 00:30 on 1 March in Copenhagen: March. 100.00 incl. 20.00: KM 20.00
        "first_of_march": pleo_item(
            [pleo_line(10000, "2450", (*full, 2000))],
            on="2025-02-28T23:30:00Z",
            supplier="7-Eleven",
        ),
        # 00:30 on 1 April in Copenhagen (summer time): April. 500.00 incl. 100.00
        "april": pleo_item(
            [pleo_line(50000, "2450", (*full, 10000))],
            on="2025-03-31T22:30:00Z",
            supplier="Office Depot DK",
        ),
    }
    expected = {
        "KM": 25000 + 5000 + 4000 + 18650 - 5000 + 9325 + 2500 + 2000,
        "MYUOB": -18650,
        "MVU": -9325,
        "R-A-Y": 74600,
        "R-A-V": 37300,
    }
    april = {"KM": 10000}
    return items, expected, april


class DanishExportCase(ExportCase):
    """A new company with the Danish chart and taxes, connected to the sandbox, booking Pleo's
    exports into a Pleo journal whose account is the DKK wallet (6485); 6486 is the EUR wallet."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        if env["ir.module.module"]._get("l10n_dk").state != "installed":
            raise unittest.SkipTest("l10n_dk is not installed (tests/run.sh installs it)")
        cls.dkk, cls.eur = env.ref("base.DKK"), env.ref("base.EUR")
        cls.dk = env["res.company"].create(
            {
                "name": "DK Pleo ApS",
                "country_id": env.ref("base.dk").id,
                "currency_id": cls.dkk.id,
            }
        )
        env["account.chart.template"].try_loading("dk", company=cls.dk, install_demo=False)
        cls.dk.partner_id.tz = CPH
        Account = env["account.account"]
        cls.wallet = Account.create(
            {
                "code": "6485",
                "name": "Pleo DKK wallet",
                "account_type": "asset_cash",
                "company_ids": [cls.dk.id],
            }
        )
        cls.eur_wallet = Account.create(
            {
                "code": "6486",
                "name": "Pleo EUR wallet",
                "account_type": "asset_cash",
                "currency_id": cls.eur.id,
                "company_ids": [cls.dk.id],
            }
        )
        cls.journal_dk = env["account.journal"].create(
            {
                "name": "Pleo",
                "code": "PLEO",
                "type": "bank",
                "company_id": cls.dk.id,
                "default_account_id": cls.wallet.id,
            }
        )
        env["res.currency.rate"].create(
            {
                "name": "2025-01-01",
                "inverse_company_rate": 7.459,
                "currency_id": cls.eur.id,
                "company_id": cls.dk.id,
            }
        )
        cls.manager_dk = new_test_user(
            env,
            "pleo_manager_dk",
            groups="base.group_user,pleo_connector.group_pleo_manager,"
            "account.group_account_manager",
            company_id=cls.dk.id,
            company_ids=[cls.dk.id],
        )
        cls.conn_dk = cls.dk.pleo_connection_ids
        plan = env["account.analytic.plan"].search([("name", "=", "DEPT")], limit=1)
        cls.sales_dk = env["account.analytic.account"].create(
            {"name": "Salg", "code": "SALES", "plan_id": plan.id, "company_id": cls.dk.id}
        )

    def setUp(self):
        super().setUp()
        self.pleo_dk = self.sandbox.add_company("Pleo Danmark ApS")
        self.connect(self.conn_dk, key=self.mint(self.pleo_dk), user=self.manager_dk)
        self.conn_dk.write({"export_enabled": True, "export_journal_id": self.journal_dk.id})

    # ------------------------------------------------------------------ helpers

    def book(self, *items):
        """Export ``items`` from Pleo; return their entries, in order (all booked)."""
        job_uuid = self.add_job(items=list(items), pleo_company=self.pleo_dk)
        self.run_export()
        records = {r.entry_uuid: r for r in self.job(job_uuid).item_ids}
        failed = {r.label: r.failure_reason for r in records.values() if r.state != "booked"}
        self.assertFalse(failed, "every item is booked")
        # as the bookkeeper sees them: in the Danish company
        return [records[item["accountingEntryId"]].move_id.with_company(self.dk) for item in items]

    def book_failing(self, item):
        """Export ``item``; return its export item record (expected to have failed)."""
        job_uuid = self.add_job(items=[item], pleo_company=self.pleo_dk)
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "failed")
        return record

    def account(self, code):
        Account = self.env["account.account"].with_company(self.dk)
        return Account.search([*Account._check_company_domain(self.dk), ("code", "=", code)])

    def tax(self, name):
        Tax = self.env["account.tax"].with_company(self.dk)
        return Tax.search(
            [
                *Tax._check_company_domain(self.dk),
                ("name", "=", name),
                ("type_tax_use", "=", "purchase"),
            ]
        )

    def vat_return(self, date_from, date_to, states=("posted",)):
        """The balance in øre per tax grid (tag) of the company's lines in the period, as
        Odoo's ``tax_tags`` report engine sums it (the report line's sign applies after)."""
        self.env.flush_all()
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", self.dk.id),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
                ("parent_state", "in", list(states)),
                ("tax_tag_ids", "!=", False),
            ]
        )
        figures = defaultdict(int)
        for line in lines:
            for tag in line.tax_tag_ids:
                figures[tag.name] += round(line.balance * 100)
        return {name: value for name, value in figures.items() if value}

    def report_return(self, title, figures):
        """Log the per-grid figures and add them to ``tests/artifacts/vat_return.txt``."""
        shown = ", ".join(
            f"{name} {figures.get(name, 0) / 100:,.2f}" for name in GRIDS if name in figures
        )
        _logger.info("VAT return %s: %s", title, shown)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with (ARTIFACTS / "vat_return.txt").open("a", encoding="utf-8") as report:
            report.write(f"{self.dk.name}, {title}: {shown}\n")

    def by_account(self, move):
        """``{account code: balance in øre}`` of a move's lines."""
        result = defaultdict(int)
        for line in move.line_ids:
            result[line.account_id.code] += round(line.balance * 100)
        return dict(result)

    @staticmethod
    def tax_lines(move):
        return move.line_ids.filtered("tax_repartition_line_id")

    @staticmethod
    def expense_line(move, code=None):
        lines = move.line_ids.filtered(lambda line: line.tax_ids or line.display_type == "product")
        lines = lines.filtered(lambda line: not line.tax_repartition_line_id)
        if code:
            lines = lines.filtered(lambda line: line.account_id.code == code)
        return lines.filtered(lambda line: line.tax_ids)[:1] or lines[:1]

    def edit(self, move, *commands):
        """Edit a draft as the bookkeeper's form does: ``line_ids`` commands, synced by Odoo."""
        move.write({"line_ids": list(commands)})
        self.env.flush_all()


@tagged("post_install", "-at_install", "pleo_export")
class TestVatReturn(DanishExportCase):
    """A month of Danish Pleo spend in the VAT return: as booked, after edits, and as Odoo."""

    def book_month(self):
        items, expected, april = month_of_items()
        moves = dict(zip(items, self.book(*items.values()), strict=True))
        self.assertEqual({move.state for move in moves.values()}, {"draft"})
        return moves, expected, april

    def test_a_month_posted_as_booked(self):
        moves, expected, april = self.book_month()
        self.assertEqual(moves["first_of_march"].date, date(2025, 3, 1))
        self.assertEqual(moves["april"].date, date(2025, 4, 1))
        for move in moves.values():
            move.action_post()
        march = self.vat_return(date(2025, 3, 1), date(2025, 3, 31))
        self.report_return("March 2025, posted as booked", march)
        self.assertEqual(march, expected)
        self.assertEqual(self.vat_return(date(2025, 4, 1), date(2025, 4, 30)), april)
        # The grids agree with the VAT accounts: købsmoms 7740, moms af ydelseskøb 7720, moms
        # af varekøb 7700 (what an auditor reconciles before filing).
        balances = defaultdict(int)
        for move in moves.values():
            if move.date.month == 3:
                for code, value in self.by_account(move).items():
                    balances[code] += value
        self.assertEqual(balances["7740"], expected["KM"])
        self.assertEqual(balances["7720"], expected["MYUOB"])
        self.assertEqual(balances["7700"], expected["MVU"])

    def test_edits_of_the_drafts_keep_the_month_s_vat(self):
        """A bookkeeper corrects the drafts before posting them: another account, another
        partner, an amount split over two lines. The VAT return does not move."""
        moves, expected, april = self.book_month()
        drafts = self.vat_return(date(2025, 3, 1), date(2025, 3, 31), states=("draft",))
        self.report_return("March 2025, drafts before the edits", drafts)
        self.assertEqual(drafts, expected)
        supplier = self.env["res.partner"].create({"name": "Restaurant Noma ApS"})
        # another account
        office = self.expense_line(moves["office"])
        self.edit(
            moves["office"], Command.update(office.id, {"account_id": self.account("2230").id})
        )
        landline = self.expense_line(moves["landline"])
        self.edit(
            moves["landline"], Command.update(landline.id, {"account_id": self.account("2810").id})
        )
        # another partner
        for name in ("restaurant", "eu_goods"):
            line = self.expense_line(moves[name])
            self.edit(moves[name], Command.update(line.id, {"partner_id": supplier.id}))
        # an amount: 746.00 of ads split into 500.00 on 1850 and 246.00 on 2310, same tax
        ads = self.expense_line(moves["ads"])
        self.edit(
            moves["ads"],
            Command.update(ads.id, {"amount_currency": 500.0, "balance": 500.0}),
            Command.create(
                {
                    "name": "Google Ads, the tools part",
                    "account_id": self.account("2310").id,
                    "amount_currency": 246.0,
                    "balance": 246.0,
                    "currency_id": self.dkk.id,
                    "tax_ids": [Command.set(ads.tax_ids.ids)],
                    "partner_id": ads.partner_id.id,
                }
            ),
        )
        for move in moves.values():
            move.action_post()
        march = self.vat_return(date(2025, 3, 1), date(2025, 3, 31))
        self.report_return("March 2025, posted after the edits", march)
        self.assertEqual(march, expected)
        self.assertEqual(self.vat_return(date(2025, 4, 1), date(2025, 4, 30)), april)
        # the edits happened: the account, the partner, the split
        self.assertEqual(self.expense_line(moves["office"]).account_id.code, "2230")
        self.assertEqual(self.expense_line(moves["restaurant"]).partner_id, supplier)
        self.assertEqual(
            sorted(round(x.balance * 100) for x in moves["ads"].line_ids.filtered("tax_ids")),
            [24600, 50000],
        )
        # the non-deductible 75 % of the restaurant's VAT is an expense, as Odoo books it
        self.assertEqual(self.by_account(moves["restaurant"])["1910"], 80000 + 15000)
        for move in moves.values():
            self.assertEqual(sum(round(x.balance * 100) for x in move.line_ids), 0)
            self.assertFalse(
                move.line_ids.filtered(lambda x: "Balancing" in (x.name or "")),
                "no automatic balancing line",
            )

    def test_odoo_books_the_same_entry_from_the_same_base_lines(self):
        """Odoo as the oracle: the entry Odoo makes itself from the addon's base lines (account,
        amount, taxes, partner, analytics) and contra line equals the addon's, line for line:
        accounts, amounts, tax repartition lines, grids and bases."""
        items, _expected, _april = month_of_items()
        names = ("office", "restaurant", "landline", "ads", "refund", "eu_goods", "eur_wallet")
        moves = self.book(*(items[name] for name in names))
        for name, move in zip(names, moves, strict=True):
            with self.subTest(item=name):
                base = move.line_ids.filtered(lambda x: not x.tax_repartition_line_id)
                odoo = (
                    self.env["account.move"]
                    .with_company(self.dk)
                    .create(
                        {
                            "move_type": "entry",
                            "journal_id": move.journal_id.id,
                            "company_id": self.dk.id,
                            "date": move.date,
                            "currency_id": move.currency_id.id,
                            "line_ids": [
                                Command.create(
                                    {
                                        "name": line.name,
                                        "account_id": line.account_id.id,
                                        "partner_id": line.partner_id.id,
                                        "currency_id": line.currency_id.id,
                                        "amount_currency": line.amount_currency,
                                        "balance": line.balance,
                                        "tax_ids": [Command.set(line.tax_ids.ids)],
                                        "analytic_distribution": line.analytic_distribution,
                                    }
                                )
                                for line in base
                            ],
                        }
                    )
                )
                self.assertEqual(self.signature(move), self.signature(odoo))

    @staticmethod
    def signature(move):
        return sorted(
            (
                line.account_id.code,
                line.display_type,
                round(line.balance * 100),
                round(line.amount_currency * 100),
                line.tax_repartition_line_id.id,
                tuple(sorted(line.tax_tag_ids.mapped("name"))),
                tuple(line.tax_ids.ids),
                round(line.tax_base_amount * 100),
                line.partner_id.id,
            )
            for line in move.line_ids
        )


@tagged("post_install", "-at_install", "pleo_export")
class TestVatFindings(DanishExportCase):
    """One test per finding of the accounting audit on VAT, each of which failed before."""

    def test_tax_lines_are_odoo_tax_lines_and_keep_their_grids_through_edits(self):
        """The VAT is on real tax lines (display_type 'tax', as Odoo's ``_sync_tax_lines``
        makes them), so a change of account, partner or amount of the draft keeps it in the
        return; before, the first edit stripped the KM grid (25.00 of købsmoms lost)."""
        full = ("K_DK_FuldFradrag", 0.25, "inclusive", 2500)
        items = [
            pleo_item([pleo_line(12500, "2450", full)], on=f"2025-03-0{day}T10:00:00Z")
            for day in (3, 4, 5)
        ]
        reverse = pleo_item(
            [
                pleo_line(
                    74600,
                    "2310",
                    ("K_EU_Ydelser_FuldFradrag", 0.25, "reverse", 18650),
                    supplier=("EUR", 10000),
                )
            ],
            on="2025-03-06T10:00:00Z",
        )
        by_account, by_partner, by_amount, eu = self.book(*items, reverse)
        tax = by_account.line_ids.filtered("tax_repartition_line_id")
        self.assertEqual(tax.display_type, "tax")
        self.assertEqual(tax.tax_tag_ids.mapped("name"), ["KM"])
        self.assertEqual(tax.tax_base_amount, 100.0)
        self.assertEqual(tax.tax_line_id, self.tax("K_DK_FuldFradrag"))
        employee = self.env["res.partner"].create({"name": "Mette Hansen"})
        self.edit(
            by_account,
            Command.update(
                self.expense_line(by_account).id, {"account_id": self.account("2470").id}
            ),
        )
        self.edit(
            by_partner,
            Command.update(self.expense_line(by_partner).id, {"partner_id": employee.id}),
        )
        # the receipt said 125.40: the bookkeeper corrects the net and the wallet line
        contra = by_amount.line_ids.filtered(lambda x: x.account_id == self.wallet)
        self.edit(
            by_amount,
            Command.update(
                self.expense_line(by_amount).id, {"amount_currency": 100.32, "balance": 100.32}
            ),
            Command.update(contra.id, {"amount_currency": -125.40, "balance": -125.40}),
        )
        self.edit(
            eu,
            Command.update(self.expense_line(eu).id, {"account_id": self.account("2470").id}),
        )
        figures = self.vat_return(date(2025, 3, 1), date(2025, 3, 31), states=("draft",))
        self.assertEqual(
            figures,
            {"KM": 2500 + 2500 + 2508 + 18650, "MYUOB": -18650, "R-A-Y": 74600},
        )
        self.assertEqual(self.by_account(by_amount)["7740"], 2508)
        for move in (by_account, by_partner, by_amount, eu):
            self.assertEqual(sum(round(x.balance * 100) for x in move.line_ids), 0)

    def test_partly_deductible_vat_is_spread_over_the_repartition_lines(self):
        """Restaurant VAT is 25 % deductible: of Pleo's 25.00, 6.25 is købsmoms and 18.75 is an
        expense on the line's account, with its analytic account (before: the item failed, and
        the advice given led to deducting all 25.00)."""
        restaurant = pleo_item(
            [
                pleo_line(
                    12500,
                    "1910",
                    ("K_DK_ReprFradragFuld", 0.25, "inclusive", 2500),
                    tags=[("DEPT", "SALES")],
                )
            ],
            on="2025-03-06T19:00:00Z",
        )
        # a yellow-plate car (1/3 deductible, 33.33 %) with an odd amount: 10.01 of VAT is
        # 3.34 + 6.67, to the øre Pleo's
        car = pleo_item(
            [
                pleo_line(
                    5005,
                    "2470",
                    ("K_DK_GulpladebilFradragPrivat", 0.25, "inclusive", 1001),
                )
            ],
            on="2025-03-07T10:00:00Z",
        )
        refund = pleo_item(
            [pleo_line(-12500, "1910", ("K_DK_ReprFradragFuld", 0.25, "inclusive", -2500))],
            kind="refund",
            on="2025-03-08T10:00:00Z",
        )
        dinner, driving, returned = self.book(restaurant, car, refund)
        self.assertEqual(
            self.by_account(dinner), {"1910": 10000 + 1875, "7740": 625, "6485": -12500}
        )
        shares = self.tax_lines(dinner)
        self.assertEqual(len(shares), 2)
        self.assertEqual(set(shares.mapped("display_type")), {"tax"})
        expense_share = shares.filtered(lambda x: x.account_id.code == "1910")
        self.assertEqual(expense_share.balance, 18.75)
        self.assertEqual(expense_share.analytic_distribution, {str(self.sales_dk.id): 100.0})
        self.assertEqual(
            shares.filtered(lambda x: x.account_id.code == "7740").tax_tag_ids.mapped("name"),
            ["KM"],
        )
        self.assertEqual(self.by_account(driving), {"2470": 4004 + 667, "7740": 334, "6485": -5005})
        self.assertEqual(self.by_account(returned), {"1910": -11875, "7740": -625, "6485": 12500})
        self.assertEqual(
            self.tax_lines(returned).tax_repartition_line_id.mapped("document_type"), ["refund"] * 2
        )

    def test_pleo_tax_type_must_match_the_odoo_tax(self):
        """'reverse' exactly when the Odoo tax has a negative repartition line; else the item
        fails, naming both (before: an inclusive code on an EU reverse-charge tax deducted 20.00
        of VAT that nobody self-assessed)."""
        on_reverse = self.book_failing(
            pleo_item(
                [pleo_line(10000, "2310", ("K_EU_Ydelser_FuldFradrag", 0.25, "inclusive", 2000))],
                on="2025-03-06T10:00:00Z",
            )
        )
        self.assertEqual(on_reverse.failure_type, "invalid_configuration")
        self.assertIn("K_EU_Ydelser_FuldFradrag", on_reverse.failure_reason)
        self.assertIn("inclusive", on_reverse.failure_reason)
        self.assertIn("reverse-charge", on_reverse.failure_reason)
        on_domestic = self.book_failing(
            pleo_item(
                [pleo_line(10000, "2310", ("K_DK_FuldFradrag", 0.25, "reverse", 2500))],
                on="2025-03-06T10:00:00Z",
            )
        )
        self.assertEqual(on_domestic.failure_type, "invalid_configuration")
        self.assertIn("K_DK_FuldFradrag", on_domestic.failure_reason)
        self.assertIn("reverse", on_domestic.failure_reason)
        self.assertFalse(
            self.env["account.move"]
            .search([("company_id", "=", self.dk.id)])
            .filtered("pleo_entry_uuid")
        )

    def test_a_tax_code_without_vat_puts_no_tax_on_the_line(self):
        """Pleo's tax 0 on a 25 % code (a receipt without VAT): the line carries no tax, so an
        edit does not add VAT Pleo never had (before: KM 2.50 appeared after an edit)."""
        (move,) = self.book(
            pleo_item(
                [pleo_line(1000, "2450", ("K_DK_FuldFradrag", 0.25, "inclusive", 0))],
                on="2025-03-06T10:00:00Z",
            )
        )
        line = self.expense_line(move)
        self.assertFalse(line.tax_ids)
        self.edit(move, Command.update(line.id, {"account_id": self.account("2470").id}))
        self.assertEqual(self.by_account(move), {"2470": 1000, "6485": -1000})
        self.assertEqual(self.vat_return(date(2025, 3, 1), date(2025, 3, 31), ("draft",)), {})

    def test_a_danish_receipt_from_the_eur_wallet_has_the_receipt_s_vat(self):
        """125.00 DKK incl. 25.00 paid from the EUR wallet (16.76 EUR, tax 3.35 EUR): the VAT is
        25.00 DKK and the base 100.00, as on the receipt (before: 24.99 from the euros)."""
        (move,) = self.book(
            pleo_item(
                [
                    pleo_line(
                        1676,
                        "2450",
                        ("K_DK_FuldFradrag", 0.25, "inclusive", 335, 2500),
                        wallet="EUR",
                        supplier=("DKK", 12500),
                    )
                ],
                on="2025-03-24T11:00:00Z",
                contra="6486",
            )
        )
        self.assertEqual(move.currency_id, self.eur)
        self.assertEqual(self.by_account(move), {"2450": 10000, "7740": 2500, "6486": -12500})
        wallet = move.line_ids.filtered(lambda x: x.account_id == self.eur_wallet)
        self.assertEqual(wallet.amount_currency, -16.76)
        self.assertEqual(self.tax_lines(move).tax_base_amount, 100.0)

    def test_the_date_is_the_day_in_the_company_s_time_zone(self):
        """Pleo's date is UTC: 22:30 UTC on 31 March is 00:30 on 1 April in Copenhagen, so the
        purchase is April's (before: March's, a cut-off error)."""
        late, evening, winter = self.book(
            pleo_item([pleo_line(10000, "2450")], on="2025-03-31T22:30:00Z"),
            pleo_item([pleo_line(10000, "2450")], on="2025-03-31T21:30:00Z"),
            pleo_item([pleo_line(10000, "2450")], on="2025-02-28T23:30:00Z"),
        )
        self.assertEqual(
            (late.date, evening.date, winter.date),
            (date(2025, 4, 1), date(2025, 3, 31), date(2025, 3, 1)),
        )
        items = self.env["pleo.export.item"].search([("move_id", "=", late.id)])
        self.assertEqual(items.date, date(2025, 4, 1))

    def test_without_a_company_time_zone_the_first_internal_user_s_is_used(self):
        self.dk.partner_id.tz = False
        users = self.env["res.users"].search(
            [("share", "=", False), ("company_ids", "in", self.dk.id)]
        )
        users.write({"tz": False})
        new_test_user(
            self.env,
            "pleo_bookkeeper_ny",
            groups="base.group_user",
            company_id=self.dk.id,
            company_ids=[self.dk.id],
            tz="America/New_York",
        )
        (move,) = self.book(pleo_item([pleo_line(10000, "2450")], on="2025-04-01T02:30:00Z"))
        self.assertEqual(move.date, date(2025, 3, 31))
