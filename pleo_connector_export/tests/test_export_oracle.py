# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo as the oracle: for generated Pleo card purchases and refunds, the entry the addon books
equals, line for line, the entry Odoo's own tax engine computes from the same base lines with
the same taxes, as ``hr_expense`` computes a company-paid expense
(``account.tax._prepare_base_line_for_taxes_computation`` in ``total_included`` mode,
``_add_tax_details_in_base_lines``, ``_round_base_lines_tax_details``,
``_add_accounting_data_in_base_lines_tax_details``, ``_prepare_tax_lines``; the payment line is
the exact conversion of what was paid and the expense takes the rest).

Hypothesis draws the items (a fixed, derandomized set, so the run is repeatable): amounts in
minor units, a DKK, EUR or JPY wallet on a DKK company with the Danish chart (``l10n_dk``),
Danish purchase taxes (full 25 %, restaurant 25 % of it deductible over two repartition lines,
EU reverse charge on services and on goods, 0 %, no tax), one to three lines, purchases and
refunds, and Danish receipts paid from the EUR wallet (Pleo sends the receipt's DKK figures,
which are then the entry's: the VAT on the receipt, not a conversion). Each is exported from
the sandbox over HTTP and booked by the export cron, in a savepoint of its own.

Pleo's figures win where Pleo and Odoo round differently: Pleo's tax amount of a line (drawn at,
or one minor unit from, what Pleo computes) is what Pleo paid, so the oracle is Odoo's engine with
Pleo's wallet-currency tax and base forced (``manual_tax_amounts``), and Odoo converts them to
DKK. Odoo's unforced computation is then compared too: identical when the figures agree (on a
DKK wallet, the whole entry), and otherwise each difference is named and at most the rounding.
A Pleo tax of 0 on a taxed code books no tax on the line (so an edit adds none): also named.
"""

import logging
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .test_vat_return import DanishExportCase, pleo_item, pleo_line

_logger = logging.getLogger(__name__)

#: drawn tax -> (Odoo/Pleo tax code, rate, Pleo's type); ``none``: a line without tax
TAXES = {
    "full": ("K_DK_FuldFradrag", Fraction(1, 4), "inclusive"),
    "restaurant": ("K_DK_ReprFradragFuld", Fraction(1, 4), "inclusive"),
    "eu_services": ("K_EU_Ydelser_FuldFradrag", Fraction(1, 4), "reverse"),
    "eu_goods": ("K_EU_Varer_Fradrag", Fraction(1, 4), "reverse"),
    "zero": ("K_DK_IngenFradrag", Fraction(0), "inclusive"),
    "none": None,
}
#: Danish expense accounts (l10n_dk) the lines are booked on
EXPENSES = ("1910", "2310", "2450", "2470")
#: wallet currency -> (contra account: the Pleo wallet, minor units, largest line drawn)
WALLETS = {
    "DKK": ("6485", 2, 2_000_000),
    "EUR": ("6486", 2, 300_000),
    "JPY": ("6487", 0, 4_000_000),
}
#: one JPY in DKK on the booking date (EUR: 7.459, set by DanishExportCase)
JPY_IN_DKK = 0.0452
DATE = "2025-03-14T10:00:00Z"


def half_up(value):
    """A non-negative ``Fraction`` rounded to the nearest integer, halves up (Pleo's rounding)."""
    return int(value + Fraction(1, 2))


@dataclass(frozen=True)
class Line:
    """One drawn Pleo line: magnitudes in wallet minor units (the item's sign is applied later)."""

    tax: str
    account: str
    gross: int
    tax_amount: int
    pleo_type: str | None
    #: the line on a DKK receipt paid from the EUR wallet: its gross and tax in øre
    receipt_gross: int | None = None
    receipt_tax: int = 0

    @property
    def net(self):
        return self.gross if self.pleo_type in (None, "reverse") else self.gross - self.tax_amount

    @property
    def receipt_net(self):
        if self.pleo_type in (None, "reverse"):
            return self.receipt_gross
        return self.receipt_gross - self.receipt_tax


@dataclass(frozen=True)
class Purchase:
    """A drawn card purchase (or refund of one) in ``wallet`` currency."""

    wallet: str
    refund: bool
    lines: tuple
    #: "DKK": a Danish receipt paid from the EUR wallet (Pleo sends both currencies' figures)
    receipt: str | None = None

    @property
    def receipt_figures(self):
        """Whether the receipt's DKK figures are the entry's (V6): a DKK receipt whose lines
        carry a tax in both currencies or in neither (else the addon keeps to the wallet's)."""
        return self.receipt == "DKK" and all(
            bool(ln.receipt_tax) == bool(ln.pleo_type and ln.tax_amount) for ln in self.lines
        )

    def item(self):
        """The ``ExportItemV3`` Pleo sends: a refund's values negative."""
        sign = -1 if self.refund else 1
        lines = []
        for line in self.lines:
            tax = None
            if line.pleo_type:
                code, rate, _kind = TAXES[line.tax]
                tax = (code, float(rate), line.pleo_type, sign * line.tax_amount)
                if self.receipt:
                    tax = (*tax, sign * line.receipt_tax)
            receipt = (self.receipt, sign * line.receipt_gross) if self.receipt else None
            lines.append(
                pleo_line(
                    sign * line.gross, line.account, tax, wallet=self.wallet, supplier=receipt
                )
            )
        return pleo_item(
            lines,
            on=DATE,
            kind="refund" if self.refund else "card_purchase",
            contra=WALLETS[self.wallet][0],
            supplier="Oracle Merchant",
        )


def pleo_tax(gross, tax, nudge):
    """Pleo's tax of a line of ``gross`` minor units: VAT inside the amount for a tax paid to
    the supplier, on top of it for a reverse charge, rounded half up, then ``nudge`` minor units
    off (Pleo rounding otherwise than Odoo), within what the addon accepts (a tax paid to the
    supplier is at most one unit above ``gross x r / (1 + r)`` and below the line)."""
    _code, rate, kind = TAXES[tax]
    if not rate:
        return 0
    if kind == "reverse":
        return max(0, half_up(gross * rate) + nudge)
    inside = gross * rate / (1 + rate)
    return max(0, min(half_up(inside) + nudge, int(inside) + 1, gross - 1))


@st.composite
def lines(draw, wallet, receipt=None):
    tax = draw(st.sampled_from(tuple(TAXES)))
    largest = WALLETS[wallet][2]
    # mostly everyday amounts, sometimes a few minor units (where rounding is most of the tax)
    everyday, large = st.integers(100, 5_000), st.integers(5_000, largest)
    gross = draw(st.one_of(everyday, everyday, large, large, st.integers(2, 99)))
    nudge = draw(st.sampled_from((0, 0, 0, -1, 1)))
    receipt_gross, receipt_tax = None, 0
    if receipt:  # the receipt's øre; the euros at Pleo's rate of the day (7.46)
        receipt_gross = gross
        gross = max(2, half_up(Fraction(receipt_gross) / Fraction("7.46")))
        receipt_tax = pleo_tax(receipt_gross, tax, 0) if TAXES[tax] else 0
    kind = None
    if TAXES[tax]:
        kind = TAXES[tax][2]
        if kind == "inclusive":  # what Pleo means by "exclusive" on a card is unknown: both
            kind = draw(st.sampled_from(("inclusive", "exclusive")))
    return Line(
        tax=tax,
        account=draw(st.sampled_from(EXPENSES)),
        gross=gross,
        tax_amount=pleo_tax(gross, tax, nudge) if TAXES[tax] else 0,
        pleo_type=kind,
        receipt_gross=receipt_gross,
        receipt_tax=receipt_tax,
    )


@st.composite
def purchases(draw):
    wallet = draw(st.sampled_from(tuple(WALLETS)))
    receipt = draw(st.sampled_from((None, None, "DKK"))) if wallet == "EUR" else None
    return Purchase(
        wallet=wallet,
        refund=draw(st.booleans()),
        lines=tuple(draw(st.lists(lines(wallet, receipt), min_size=1, max_size=3))),
        receipt=receipt,
    )


def line(tax, account, gross, nudge=0, kind=None):
    """An explicit example's line."""
    pleo_type = (kind or TAXES[tax][2]) if TAXES[tax] else None
    return Line(tax, account, gross, pleo_tax(gross, tax, nudge) if TAXES[tax] else 0, pleo_type)


@tagged("post_install", "-at_install", "pleo_export")
class TestOdooAsTheOracle(DanishExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.jpy = env.ref("base.JPY")
        cls.jpy.active = True
        env["res.currency.rate"].create(
            {
                "name": "2025-01-01",
                "inverse_company_rate": JPY_IN_DKK,
                "currency_id": cls.jpy.id,
                "company_id": cls.dk.id,
            }
        )
        cls.jpy_wallet = env["account.account"].create(
            {
                "code": "6487",
                "name": "Pleo JPY wallet",
                "account_type": "asset_cash",
                "currency_id": cls.jpy.id,
                "company_ids": [cls.dk.id],
            }
        )

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(purchases())
    # restaurant VAT over its two repartition lines, with an odd øre
    @example(Purchase("DKK", False, (line("restaurant", "1910", 12501),)))
    # Pleo rounds one øre above Odoo (246.2 øre of VAT: Pleo 2.47, Odoo 2.46)
    @example(Purchase("DKK", False, (line("full", "2450", 1231, nudge=1),)))
    # 100.04 EUR incl. 20.01 at 7.459: 596.94 + 149.25 DKK, and the wallet pays exactly 746.20
    @example(Purchase("EUR", False, (line("full", "2450", 10004),)))
    # a refund of EU services and goods, in euros
    @example(
        Purchase("EUR", True, (line("eu_services", "2310", 10001), line("eu_goods", "2470", 333)))
    )
    # yen: no minor units; several lines of one tax (Odoo rounds per tax, Pleo per line)
    @example(
        Purchase(
            "JPY",
            False,
            (line("full", "2450", 999), line("full", "2450", 1001), line("zero", "2470", 500)),
        )
    )
    # the audit's Danish receipt from the EUR wallet: 125.00 DKK incl. 25.00 (16.76 EUR, 3.35)
    @example(
        Purchase("EUR", False, (Line("full", "2450", 1676, 335, "inclusive", 12500, 2500),), "DKK")
    )
    # a 25 % code with no VAT on the receipt (Pleo's tax 0), and a line without tax
    @example(Purchase("DKK", True, (line("full", "2450", 2, nudge=-1), line("none", "1910", 700))))
    def test_the_addon_books_what_odoo_computes(self, purchase):
        """Line for line: account, debit/credit, amount in the wallet currency, tax grids,
        repartition line and taxes, equal to Odoo's engine given Pleo's figures; and Pleo's
        figures differ from Odoo's own by rounding only, each difference named."""
        # Each example books in a savepoint of its own, rolled back after it; the export's
        # "commits" (see ExportCase) are savepoints inside it.
        with closing(self.env.cr.savepoint()):
            self.cr.execute("SAVEPOINT pleo_commit")
            self.check_against_odoo(purchase)
        self.env.invalidate_all()

    # ------------------------------------------------------------------ the check

    def check_against_odoo(self, purchase):
        (move,) = self.book(purchase.item())
        booked = self.entry_of_move(move, purchase)
        # A purchase in another currency than the wallet's shows the purchase's amounts on its
        # expense and VAT lines (issue 23, m8): a Danish receipt's lines are in DKK.
        shows_receipt = bool(purchase.receipt) and any(
            ml.currency_id.name == purchase.receipt
            for ml in move.line_ids
            if ml.account_id != self.account(WALLETS[purchase.wallet][0])
        )
        odoo, _taxes = self.odoo_entry(purchase, forced=True, shows_receipt=shows_receipt)
        shown = f"{purchase}\naddon: {booked}\nodoo:  {odoo}"
        if purchase.wallet == "DKK":
            self.assertEqual(booked, odoo, f"the addon's entry is Odoo's\n{shown}")
        else:
            self.check_foreign_wallet(booked, odoo, purchase.wallet, shown)
        # Pleo's totals exactly: what left (or came back to) the wallet, and each line's tax
        sign = -1 if purchase.refund else 1
        self.assertEqual(booked["contra"][1], -sign * sum(ln.gross for ln in purchase.lines))
        if not shows_receipt:
            self.assertEqual(
                sum(values[0] for key, values in booked["tax"] if key[1] in self.inputs),
                sign * sum(ln.tax_amount for ln in purchase.lines if ln.pleo_type),
            )
        # Odoo's own figures, unforced: the same, or differences named and of rounding size
        natural, odoo_taxes = self.odoo_entry(purchase, forced=False, shows_receipt=shows_receipt)
        differences = self.differences(purchase, odoo_taxes)
        if differences:
            _logger.info("Pleo's figures kept where Odoo's differ: %s", "; ".join(differences))
        elif purchase.wallet == "DKK":
            self.assertEqual(booked, natural, f"no difference: Odoo's own entry\n{shown}")
        elif not shows_receipt:  # Odoo converts its unrounded tax to DKK, the addon Pleo's
            # rounded one (a Danish receipt's lines are its own DKK figures, V6: no conversion)
            self.assertEqual(
                self.without_dkk(booked),
                self.without_dkk(natural),
                f"no difference: Odoo's own entry in {purchase.wallet}\n{shown}",
            )

    def check_foreign_wallet(self, booked, odoo, wallet, shown):
        """A EUR or JPY wallet: the same entry in the wallet currency, the same DKK on every tax
        line; each expense line within one øre of Odoo's conversion of its net, with the rest of
        the rounding; and the wallet line is the exact conversion of what was paid, as in
        ``hr_expense`` (Odoo books the rounding rest on the expense, not on the money)."""
        self.assertEqual(
            self.without_dkk(booked, keep_tax_balance=True),
            self.without_dkk(odoo, keep_tax_balance=True),
            f"the addon's entry is Odoo's (but where the DKK rounding rest is)\n{shown}",
        )
        for mine, its in zip(booked["base"], odoo["base"], strict=True):
            self.assertLessEqual(abs(mine[2] - its[2]), 1, f"expense line {mine}\n{shown}")
        for (_key, mine), (_key2, its) in zip(booked["tax"], odoo["tax"], strict=True):
            self.assertLessEqual(abs(mine[2] - its[2]), len(booked["base"]), shown)
        self.assertEqual(
            booked["contra"][2],
            odoo["contra"][2],
            f"the wallet line is {booked['contra'][2]} øre for {booked['contra'][1]} {wallet} "
            f"minor units, not their exact conversion {odoo['contra'][2]}: the rounding rest "
            "belongs on the expense (hr_expense), not on the money "
            f"\n{shown}",
        )

    def differences(self, purchase, odoo_taxes):
        """Where Pleo's tax of a line (kept) is not the tax Odoo computes by itself
        (``odoo_taxes``, per line): one text each, at most two minor units (Pleo rounds per
        line, Odoo per tax over the lines, plus the drawn one-unit deviation)."""
        named = []
        for number, (drawn, odoo) in enumerate(zip(purchase.lines, odoo_taxes, strict=True), 1):
            if not drawn.pleo_type:
                continue
            code = TAXES[drawn.tax][0]
            if TAXES[drawn.tax][1] and not drawn.tax_amount:
                named.append(
                    f"line {number}: Pleo's tax is 0 on {code}, so the line carries no tax "
                    "(an edit must not add VAT Pleo never had)"
                )
            elif drawn.tax_amount != odoo:
                named.append(
                    f"line {number}, {code}: Pleo's tax {drawn.tax_amount}, Odoo's {odoo} "
                    f"({purchase.wallet} minor units)"
                )
                self.assertLessEqual(abs(drawn.tax_amount - odoo), 2, named[-1])
        return named

    @staticmethod
    def without_dkk(entry, keep_tax_balance=False):
        """The entry without the DKK amounts of a foreign wallet's entry that depend on where the
        rounding rest is (and, unless ``keep_tax_balance``, those of its tax lines)."""
        return {
            "base": sorted((b[0], b[1], *b[3:]) for b in entry["base"]),
            "tax": sorted(
                (key, values[:2] if keep_tax_balance else values[:1])
                for key, values in entry["tax"]
            ),
            "contra": entry["contra"][:2],
        }

    # ------------------------------------------------------------------ the two entries

    @property
    def inputs(self):
        """``{tax repartition line id: tax name}`` of the drawn taxes' positive repartition
        lines: those whose sum is Pleo's tax (the deductible and the non-deductible share of
        restaurant VAT; not the outgoing side of a reverse charge)."""
        result = {}
        for code, _rate, _kind in filter(None, TAXES.values()):
            tax = self.tax(code)
            for rep in tax.invoice_repartition_line_ids | tax.refund_repartition_line_ids:
                if rep.repartition_type == "tax" and rep.factor > 0:
                    result[rep.id] = code
        return result

    def entry_of_move(self, move, purchase):
        """The booked move as ``{"base": [...], "tax": [...], "contra": (...)}``: base lines one
        by one, tax lines summed per Odoo's grouping (account, repartition line, grids, taxes:
        the addon keeps one per Pleo line, Odoo groups them), amounts in minor units."""
        exponent = WALLETS[purchase.wallet][1]
        contra = self.account(WALLETS[purchase.wallet][0])
        base, tax, wallet = [], defaultdict(lambda: [0, 0, 0]), []
        for ml in move.line_ids:
            amount = round(ml.amount_currency * 10**exponent)
            if ml.account_id != contra and ml.currency_id.name == purchase.receipt:
                self.assertEqual(ml.amount_currency, ml.balance, "a line in DKK, the company's")
                amount = round(ml.balance * 100)
            balance = round(ml.balance * 100)
            tags = tuple(sorted(ml.tax_tag_ids.mapped("name")))
            taxes = tuple(sorted(ml.tax_ids.mapped("name")))
            if ml.account_id == contra:
                wallet.append((ml.account_id.code, amount, balance))
            elif ml.tax_repartition_line_id:
                key = (ml.account_id.code, ml.tax_repartition_line_id.id, tags, taxes)
                tax[key][0] += amount
                tax[key][1] += balance
                tax[key][2] += round(ml.tax_base_amount * 100)
            else:
                base.append((ml.account_id.code, amount, balance, tags, taxes))
        self.assertEqual(len(wallet), 1, "one wallet line")
        return self.entry(base, tax, wallet[0])

    @staticmethod
    def entry(base, tax, contra):
        return {
            "base": sorted(base),
            "tax": sorted((key, tuple(values)) for key, values in tax.items()),
            "contra": contra,
        }

    def odoo_entry(self, purchase, forced, shows_receipt=False):
        """The entry Odoo computes for the drawn lines, as ``hr_expense`` does for an expense
        paid by the company: each Pleo line is a base line of its gross amount with all taxes
        included (``special_mode='total_included'``; a reverse charge is on top), its account
        and tax; the refund repartition and a credit for a refund. ``forced``: Pleo's tax and
        net in the wallet currency are given to Odoo (``manual_tax_amounts``), which converts
        them, or, from a DKK receipt, Pleo's DKK figures too. Returns the entry (see
        :meth:`entry_of_move`) and Odoo's tax of each line. The wallet line is the paid total
        converted; a single base line takes what rounding leaves (``hr_expense``: the base is
        the total minus the taxes), several keep their own conversion. ``shows_receipt``: the
        expense and VAT lines are in the receipt's currency, the company's (their amounts are
        their DKK)."""
        AccountTax = self.env["account.tax"].with_company(self.dk)
        company = self.dk
        currency = self.env.ref(f"base.{purchase.wallet}")
        exponent = WALLETS[purchase.wallet][1]
        rate = self.env["res.currency"]._get_conversion_rate(
            company.currency_id, currency, company, "2025-03-14"
        )
        sign = -1 if purchase.refund else 1
        base_lines = []
        for drawn in purchase.lines:
            tax = self.env["account.tax"]
            if drawn.pleo_type and (drawn.tax_amount or not TAXES[drawn.tax][1]):
                tax = self.tax(TAXES[drawn.tax][0])
            extra = {}
            if forced and tax:
                extra = {
                    "manual_tax_amounts": {
                        str(tax.id): {
                            "tax_amount_currency": drawn.tax_amount / 10**exponent,
                            "base_amount_currency": drawn.net / 10**exponent,
                        }
                    },
                    "manual_total_excluded_currency": drawn.net / 10**exponent,
                }
            if forced and purchase.receipt_figures:  # the receipt's DKK, not a conversion
                extra["manual_total_excluded_currency"] = drawn.net / 10**exponent
                extra["manual_total_excluded"] = drawn.receipt_net / 100
                for amounts in extra.get("manual_tax_amounts", {}).values():
                    amounts["tax_amount"] = drawn.receipt_tax / 100
                    amounts["base_amount"] = drawn.receipt_net / 100
            base_lines.append(
                AccountTax._prepare_base_line_for_taxes_computation(
                    None,
                    price_unit=drawn.gross / 10**exponent,
                    quantity=1.0,
                    tax_ids=tax,
                    currency_id=currency,
                    rate=rate,
                    special_mode="total_included",
                    is_refund=purchase.refund,
                    sign=sign,
                    account_id=self.account(drawn.account),
                    **extra,
                )
            )
        AccountTax._add_tax_details_in_base_lines(base_lines, company)
        AccountTax._round_base_lines_tax_details(base_lines, company)
        taxes = [  # Odoo's tax of each line (the ingoing side of a reverse charge)
            round(
                sum(
                    data["tax_amount_currency"]
                    for data in base_line["tax_details"]["taxes_data"]
                    if not data["is_reverse_charge"]
                )
                * 10**exponent
            )
            for base_line in base_lines
        ]
        AccountTax._add_accounting_data_in_base_lines_tax_details(base_lines, company)
        results = AccountTax._prepare_tax_lines(base_lines, company)
        Tag = self.env["account.account.tag"]

        def tags(command):
            return tuple(sorted(Tag.browse(command[0][2]).mapped("name")))

        base = []
        for base_line, values in results["base_lines_to_update"]:
            base.append(
                [
                    base_line["account_id"].code,
                    round(values["amount_currency"] * 10**exponent),
                    round(values["balance"] * 100),
                    tags(values["tax_tag_ids"]),
                    tuple(sorted(base_line["tax_ids"].mapped("name"))),
                ]
            )
        tax = defaultdict(lambda: [0, 0, 0])
        Account, Tax = self.env["account.account"], self.env["account.tax"]
        for values in results["tax_lines_to_add"]:
            key = (
                Account.browse(values["account_id"]).with_company(company).code,
                values["tax_repartition_line_id"],
                tags(values["tax_tag_ids"]),
                tuple(sorted(Tax.browse(values["tax_ids"][0][2]).mapped("name"))),
            )
            tax[key][0] += round(values["amount_currency"] * 10**exponent)
            tax[key][1] += round(values["balance"] * 100)
            tax[key][2] += round(values["tax_base_amount"] * 100)
        total = sum(drawn.gross for drawn in purchase.lines)
        paid = currency._convert(total / 10**exponent, company.currency_id, company, "2025-03-14")
        paid = round(paid * 100)
        if forced and purchase.receipt_figures:
            paid = sum(drawn.receipt_gross for drawn in purchase.lines)
        rest = sign * paid - sum(line[2] for line in base) - sum(v[1] for v in tax.values())
        if len(base) == 1:  # hr_expense: base = total - taxes (several: see check_foreign_wallet)
            base[0][2] += rest
        if shows_receipt:
            for line in base:
                line[1] = line[2]
            for values in tax.values():
                values[0] = values[1]
        contra = (WALLETS[purchase.wallet][0], -sign * total, -sign * paid)
        return self.entry([tuple(line) for line in base], tax, contra), taxes
