# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The setup sync's chart of accounts and tax codes: which Odoo records go, and how they map.

The run itself, the record keeping and the report are in ``pleo_setup_sync.py``.
"""

from odoo import api, fields, models

from odoo.addons.pleo_connector.pleolib import errors
from .pleo_connection import Remote, differs

#: What the account selection's types mean: the Odoo account types each choice sends.
ACCOUNT_SCOPES = {
    # what a card pays: expenses and the cost of what is sold (not depreciation)
    "expense": ("expense", "expense_direct_cost"),
    # ...and equipment bought by card, booked as an asset
    "expense_assets": ("expense", "expense_direct_cost", "asset_fixed", "asset_non_current"),
    "any": None,  # every type but NEVER_TYPES
}
#: Never in Pleo by the selection (only when chosen one by one in "Other accounts to sync"):
#: receivables, payables, liquidity (the wallet too), equity and off-balance accounts; so are
#: the accounts of the company's taxes.
NEVER_TYPES = (
    "asset_receivable",
    "liability_payable",
    "asset_cash",
    "liability_credit_card",
    "equity",
    "equity_unaffected",
    "off_balance",
)
#: Salaries and taxes that sit among the expense accounts, by chart template and the template's
#: account ids (``account.<company id>_<template id>``): proposed as accounts kept out of Pleo.
PAYROLL_AND_TAX_ACCOUNTS = {
    "generic_coa": ("expense_salary",),
    # l10n_dk: personnel costs (wages, holiday pay, pensions, ATP, payroll tax, staff
    # benefits; not the tax-free travel allowances 2895/2970 that mileage and per diem use, nor
    # course expenses 2896), energy and property taxes, and the company's income taxes.
    "dk": tuple(
        f"dk_coa_{code}"
        for code in (
            *(2845, 2846, 2847, 2850, 2860, 2865, 2866, 2870, 2880, 2885, 2887, 2888),
            *(2897, 2898, 2910, 2920, 2925, 2930, 2946, 2947, 2950, 2968, 2980),
            *(2060, 2090, 2100, 2110, 2120, 2130, 2140, 2190),
            *(3740, 3760, 3780, 3810),
        )
    ),
}
ACCOUNT_KEYS = ("code", "name", "archived", "taxCodeExternalId")
TAX_KEYS = ("code", "name", "rate", "type", "archived", "ingoingTaxAccount", "outgoingTaxAccount")


class PleoConnection(models.Model):
    _inherit = "pleo.connection"  # pylint: disable=consider-merging-classes-inherited

    sync_account_types = fields.Selection(
        [
            ("expense", "Expense accounts"),
            ("expense_assets", "Expense and fixed-asset accounts"),
            ("any", "Accounts of any type (with the tags below)"),
        ],
        string="Accounts to sync",
        default="expense",
        required=True,
        help="Which accounts go to Pleo for employees to categorise spend with: the expense "
        "accounts a card pays (expenses, cost of revenue), also the fixed-asset accounts, or "
        "any account with the tags below. Receivable, payable, bank and cash accounts and the "
        "accounts of taxes never go by this choice.",
    )
    sync_account_tag_ids = fields.Many2many(
        "account.account.tag",
        "pleo_connection_sync_account_tag_rel",
        "connection_id",
        "tag_id",
        string="Only accounts with these tags",
        domain="[('applicability', '=', 'accounts')]",
        help="When set, only the accounts chosen above that have one of these tags go to Pleo.",
    )
    sync_excluded_account_ids = fields.Many2many(
        "account.account",
        "pleo_connection_sync_excluded_account_rel",
        "connection_id",
        "account_id",
        string="Accounts kept out of Pleo",
        check_company=True,
        compute="_compute_sync_excluded_account_ids",
        store=True,
        readonly=False,
        help="Accounts never sent to Pleo, such as salaries and taxes (proposed when the sync "
        "of accounts is turned on). An account that leaves the selection is archived in Pleo.",
    )

    @api.depends("sync_accounts")
    def _compute_sync_excluded_account_ids(self):
        """Propose the chart's salary and tax accounts, once the sync of accounts is on (a
        selection made by hand is kept)."""
        for connection in self:
            connection.sync_excluded_account_ids = connection.sync_excluded_account_ids or (
                connection._setup_payroll_and_tax_accounts() if connection.sync_accounts else False
            )

    def _setup_payroll_and_tax_accounts(self):
        """The salary and tax accounts among the company's expense accounts, as far as its
        chart template tells them (``PAYROLL_AND_TAX_ACCOUNTS``)."""
        company = self.company_id
        names = PAYROLL_AND_TAX_ACCOUNTS.get(company.chart_template or "", ())
        ids = (
            self.env["ir.model.data"]
            .sudo()
            .search(
                [
                    ("module", "=", "account"),
                    ("model", "=", "account.account"),
                    ("name", "in", [f"{company.id}_{name}" for name in names]),
                ]
            )
            .mapped("res_id")
        )
        return self.env["account.account"].browse(ids).exists()

    # ------------------------------------------------------------------ taxes

    def _setup_taxes_wanted(self):
        Tax = self.env["account.tax"].with_company(self.company_id)
        return Tax.search(
            [*Tax._check_company_domain(self.company_id), ("type_tax_use", "=", "purchase")],
            order="sequence, id",
        )

    def _setup_tax_codes(self):
        """{tax id: the code it has (or gets) in Pleo}; a name two taxes share gets the id."""
        taxes = self._setup_taxes_wanted()
        kept = {r.tax_id.id: r.code for r in self._setup_records("tax") if r.tax_id and r.code}
        names = [t.name for t in taxes]
        return {
            tax.id: kept.get(tax.id)
            or (tax.name if names.count(tax.name) == 1 else f"{tax.name}-{tax.id}")
            for tax in taxes
        }

    def _setup_tax_values(self, tax, code):
        """What Pleo holds for ``tax``: its type is about the card amount, not Odoo's
        ``price_include``. A card or receipt amount always includes the VAT paid to the
        supplier, so every tax paid to the supplier goes as ``inclusive`` (Pleo computes the VAT
        inside the amount: 25.00 of a 125.00 purchase at 25 %); a tax with a negative
        repartition line is a reverse charge (``reverse``: self-assessed on top, nothing paid to
        the supplier). ``exclusive`` is never sent: what Pleo computes for it on a card purchase
        is not documented (``TaxTypeV3``), and read as VAT on top of the amount it would deduct
        VAT that was never paid. A code an earlier version pushed as ``exclusive`` differs in
        ``type`` and is updated by the next sync."""
        lines = tax.invoice_repartition_line_ids.filtered(lambda r: r.repartition_type == "tax")
        ingoing = lines.filtered(lambda r: r.factor_percent > 0)[:1].account_id
        outgoing = lines.filtered(lambda r: r.factor_percent < 0)[:1].account_id
        kind = "reverse" if lines.filtered(lambda r: r.factor_percent < 0) else "inclusive"
        rate = tax.amount / 100.0 if tax.amount_type in ("percent", "division") else 0.0
        return {
            "code": code,
            "name": tax.name,
            "rate": rate,
            "type": kind,
            "archived": not tax.active,
            "ingoingTaxAccount": ingoing.code or None,
            "outgoingTaxAccount": outgoing.code or None,
        }

    def _setup_sync_taxes(self, setup, stats):
        remote = Remote(setup.list_tax_codes(), "code")
        records = self._setup_records("tax")
        by_tax = {r.tax_id.id: r for r in records if r.tax_id}
        codes = self._setup_tax_codes()
        seen = self.env["pleo.setup.record"]
        for tax in self._setup_taxes_wanted():
            record = by_tax.get(tax.id)
            desired = self._setup_tax_values(tax, codes[tax.id])
            seen |= self._setup_push(
                stats,
                "tax",
                tax,
                record,
                remote.match(record, ("code", desired["code"])),
                desired,
                create=lambda desired=desired: setup.create_tax_code(desired),
                update=lambda row, desired=desired: setup.update_tax_code(row["id"], desired),
                stale=lambda row, desired=desired: differs(row, desired, TAX_KEYS),
            )[0]
        self._setup_archive_gone(
            stats,
            remote,
            records - seen,
            lambda row: setup.update_tax_code(
                row["id"], {**{k: row.get(k) for k in TAX_KEYS}, "archived": True}
            ),
        )

    # ------------------------------------------------------------------ accounts

    def _setup_accounts_wanted(self):
        """The accounts the selection chooses (types, tags, less those kept out), and the
        other accounts chosen one by one. The rest of what Pleo holds from Odoo is archived
        there (``_setup_archive_gone``)."""
        company = self.company_id
        Account = self.env["account.account"].with_company(company)
        types = ACCOUNT_SCOPES.get(self.sync_account_types) or None
        domain = [
            *Account._check_company_domain(company),
            ("account_type", "in", types) if types else ("account_type", "not in", NEVER_TYPES),
        ]
        if self.sync_account_tag_ids:
            domain.append(("tag_ids", "in", self.sync_account_tag_ids.ids))
        accounts = Account.search(domain, order="code, id")
        tax_accounts = (
            self.env["account.tax.repartition.line"]
            .sudo()
            .search([("company_id", "=", company.id), ("account_id", "!=", False)])
            .account_id
        )
        accounts -= self.sync_excluded_account_ids | tax_accounts
        return accounts | self.sync_extra_account_ids.filtered("active")

    def _setup_sync_accounts(self, setup, stats):
        """Accounts are created in batches (one call for all), so they do not go through
        ``_setup_push``; a refused update is noted and the part goes on."""
        remote = Remote(setup.list_accounts(), "externalId", "code")
        records = self._setup_records("account")
        by_account = {r.account_id.id: r for r in records if r.account_id}
        # the default tax's code, once the tax is in Pleo (Pleo may refuse an unknown one)
        tax_codes = {
            r.tax_id.id: r.code
            for r in self._setup_records("tax")
            if r.tax_id and r.code and r.pleo_uuid
        }
        seen = self.env["pleo.setup.record"]
        to_create = []
        for account in self._setup_accounts_wanted():
            record = by_account.get(account.id)
            default_tax = account.tax_ids.filtered(lambda t: t.type_tax_use == "purchase")[:1]
            desired = {
                "externalId": str(account.id),
                "code": account.code,
                "name": account.name,
                "archived": not account.active,
                "taxCodeExternalId": tax_codes.get(default_tax.id) if default_tax else None,
            }
            row = remote.match(
                record, ("externalId", desired["externalId"]), ("code", account.code)
            )
            if row is None:
                to_create.append((account, record, desired))
                continue
            changed = False
            if differs(row, desired, ACCOUNT_KEYS):
                update = {k: desired[k] for k in ACCOUNT_KEYS}
                stats.step()
                try:
                    row = setup.update_account(row["id"], update)
                except errors.UnexpectedResponseError as error:
                    seen |= self._setup_failed(stats, record, "account", account, error.message)
                    continue
                stats.updated += 1
                changed = True
            seen |= self._setup_keep(record, "account", account, row, desired, changed)
        if to_create:
            created, failed = setup.create_accounts([d for _a, _r, d in to_create])
            by_external = {row["externalId"]: row for row in created}
            failed_ids = {
                (f.get("request") or {}).get("externalId"): ", ".join(f.get("reasons") or ())
                for f in failed
            }
            for account, record, desired in to_create:
                row = by_external.get(desired["externalId"])
                if row is None:
                    reason = failed_ids.get(desired["externalId"]) or self.env._("not created")
                    seen |= self._setup_failed(stats, record, "account", account, reason)
                    continue
                stats.created += 1
                seen |= self._setup_keep(record, "account", account, row, desired, True)
        self._setup_archive_gone(
            stats,
            remote,
            records - seen,
            lambda row: setup.update_account(
                row["id"], {**{k: row.get(k) for k in ACCOUNT_KEYS}, "archived": True}
            ),
        )
