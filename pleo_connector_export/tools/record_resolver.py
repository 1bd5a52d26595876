# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pleo's codes → the company's Odoo records, for both bookers of the export.

A Pleo item names its currency, accounts, tax codes, tags and employee by Pleo's codes; the
connection's mapping rows say which Odoo record a code stands for, then what the setup sync
pushed to Pleo (``_pleo_synced_lookup``: an account's ``identifier``, a tax code, a tag), then
the company's record of that code. Journal entries (:class:`~.entry_booker.Booker`) and the
payables (:class:`~.payables_booker.PayablesBooker`) find their records here, the same way, each
looked up once per run; a code that resolves to nothing raises the :class:`ItemError` that tells
the bookkeeper what to create or map.
"""

from decimal import Decimal

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from odoo.tools import SQL

from odoo.addons.pleo_connector.exceptions import (
    CURRENCIES_MENU,
    JOURNALS_MENU,
    TAXES_MENU,
    booking_error,
    menu_path,
)


def remember_on_partner(partner, field_name, value):
    """Keep Pleo's ``value`` (a user's or a vendor's id) in ``field_name`` of the partner the
    export matched, unless another partner holds it or the row is busy; ``True`` if kept.

    Remembering is a convenience for the next export, never worth waiting or failing for: a
    partner shared by several companies may be written at this moment by another company's
    export on another worker (queue_job), which would make this transaction wait for its lock
    and then fail to serialize. So the row is locked without waiting, and any of these
    conflicts leaves the value to be remembered by a later export."""
    env = partner.env
    try:
        with env.cr.savepoint():
            env.cr.execute(
                SQL("SELECT 1 FROM res_partner WHERE id = %s FOR NO KEY UPDATE NOWAIT", partner.id)
            )
            partner.write({field_name: value})
            partner.flush_recordset([field_name])
    except (
        psycopg2.IntegrityError,
        psycopg2.errors.LockNotAvailable,
        psycopg2.extensions.TransactionRollbackError,
    ):
        partner.invalidate_recordset([field_name])
        return False
    return True


class RecordResolver:
    """The Odoo records behind one connection's Pleo codes, cached for a run."""

    def __init__(self, connection):
        self.connection = connection.sudo()
        self.env = self.connection.env
        self.company = self.connection.company_id
        self.mappings = {
            (row.kind, row.pleo_code): row._target() for row in self.connection.export_mapping_ids
        }
        # What the setup sync pushed to Pleo (externalId, codes): after the mapping rows.
        self.synced = self.connection._pleo_synced_lookup()
        self._cache = {}

    def cached(self, key, find):
        """What ``find()`` gives for ``key``, looked up once per run."""
        if key not in self._cache:
            self._cache[key] = find()
        return self._cache[key]

    def currency(self, code, required=True, reason="currency_inactive"):
        """The Odoo currency of an ISO code; an inactive one fails when ``required``, with
        ``reason`` (an expense's or an invoice's currency)."""
        Currency = self.env["res.currency"].with_context(active_test=False)
        currency = self.cached(
            ("currency", code), lambda: Currency.search([("name", "=", code)], limit=1)
        )
        if required and not currency.active:
            raise booking_error(
                self.env,
                "invalid_configuration",
                reason,
                code=code,
                path=menu_path(self.env, CURRENCIES_MENU),
            )
        return currency

    def find_account(self, ref):
        """The account of a Pleo account reference: its mapping row, else the account the setup
        sync pushed with that ``identifier``, else the company's account of its code; an empty
        recordset if none (:meth:`account` says why)."""
        code = ref.code if ref else None
        found = self.mappings.get(("account", code)) if code else None
        if not found and ref and ref.identifier:
            found = self.synced.get(("account", ref.identifier))
        if not found and code:
            found = self._account_of_code(code)
        return found or self.env["account.account"]

    def account(self, ref, contra=False):
        """The account of a Pleo account reference (see :meth:`find_account`), else a failure
        that says what to choose, create, unarchive or map (``contra``: the item's contra
        account)."""
        account = self.find_account(ref)
        if account:
            return account
        if not (ref and ref.code):
            raise booking_error(
                self.env,
                "missing_configuration",
                "account_code_missing",
                side=self.env._("contra account") if contra else self.env._("category's account"),
            )
        code, name = ref.code, ref.name
        label = f"{code} '{name}'" if name else code
        data = {"mapping_kind": "account", "pleo_code": code, "pleo_name": name}
        if self._archived_account(code):
            raise booking_error(
                self.env,
                "account_unknown",
                "account_archived",
                data,
                account=label,
                code=code,
                company=self.company.name,
            )
        raise booking_error(
            self.env,
            "account_unknown",
            "account_no_code_match",
            data,
            account=label,
            code=code,
            company=self.company.name,
        )

    def _account_of_code(self, code):
        """The company's active account of ``code``, or an empty recordset."""
        Account = self.env["account.account"].with_company(self.company)
        return self.cached(
            ("account", code),
            lambda: Account.search(
                [*Account._check_company_domain(self.company), ("code", "=", code)], limit=1
            ),
        )

    def _archived_account(self, code):
        """The company's archived account of ``code``, if any (it takes no entries: a failure
        names it, so that the bookkeeper unarchives it rather than create a twin)."""
        Account = self.env["account.account"].with_company(self.company)
        return Account.with_context(active_test=False).search(
            [
                *Account._check_company_domain(self.company),
                ("code", "=", code),
                ("active", "=", False),
            ],
            limit=1,
        )

    def tax(self, ref):
        """The purchase tax of a Pleo tax reference, checked against Pleo's rate and type."""
        code = ref.code
        tax = self.cached(("tax", code), lambda: self.find_tax(code))
        # What a mapping of this code needs to know (the proposal's rate and type).
        data = {
            "mapping_kind": "tax",
            "pleo_code": code,
            "rate": None if ref.rate is None else str(ref.rate),
            "tax_type": ref.type,
        }
        if not tax:
            raise booking_error(
                self.env,
                "tax_code_unknown",
                "tax_code_no_tax",
                data if code else None,
                code=code or "?",
                company=self.company.name,
            )
        if tax.amount_type == "percent" and ref.rate is not None:
            pleo_percent = Decimal(ref.rate) * 100
            if abs(Decimal(repr(tax.amount)) - pleo_percent) > Decimal("0.0001"):
                raise booking_error(
                    self.env,
                    "invalid_configuration",
                    "tax_rate_differs",
                    data,
                    code=code,
                    pleo=f"{pleo_percent.normalize():f}",
                    tax=tax.name,
                    odoo=f"{tax.amount:g}",
                    company=self.company.name,
                )
        reverse = bool(
            tax.invoice_repartition_line_ids.filtered(
                lambda r: r.repartition_type == "tax" and r.factor < 0
            )
        )
        if (ref.type == "reverse") != reverse:
            raise booking_error(
                self.env,
                "invalid_configuration",
                "tax_reverse_unexpected" if reverse else "tax_reverse_missing",
                data,
                code=code,
                type=ref.type,
                tax=tax.name,
                company=self.company.name,
            )
        return tax

    def find_tax(self, code):
        """The mapped or synced tax of a Pleo tax code, else the purchase tax of that name."""
        tax = self.mappings.get(("tax", code)) or self.synced.get(("tax", code))
        if not tax and code:
            Tax = self.env["account.tax"].with_company(self.company)
            tax = Tax.search(
                [
                    *Tax._check_company_domain(self.company),
                    ("type_tax_use", "=", "purchase"),
                    ("name", "=", code),
                ],
                limit=1,
            )
        return tax or self.env["account.tax"]

    @staticmethod
    def repartition_lines(tax, refund):
        """The tax's invoice repartition, or its refund repartition."""
        return tax.refund_repartition_line_ids if refund else tax.invoice_repartition_line_ids

    def tax_repartitions(self, tax, refund, outgoing):
        """The tax repartition lines a Pleo tax amount is spread over: those of the ingoing side
        (factor >= 0), or of the outgoing side of a reverse charge (factor < 0), as Odoo's tax
        computation takes them."""
        lines = self.repartition_lines(tax, refund).filtered(
            lambda r: r.repartition_type == "tax" and (r.factor < 0) == outgoing
        )
        if not lines or not any(line.factor_percent for line in lines):
            raise booking_error(
                self.env,
                "invalid_configuration",
                "tax_no_repartition",
                tax=tax.name,
                path=menu_path(self.env, TAXES_MENU),
                company=self.company.name,
            )
        return lines

    def distribution(self, tags):
        """The analytic distribution of a line's Pleo tags (each at 100 %)."""
        distribution = {}
        for tag in tags:
            analytic = self.analytic(tag)
            distribution[str(analytic.id)] = 100.0
        return distribution

    def analytic(self, tag):
        """The analytic account of a Pleo tag, else a failure that says to create or map it."""
        analytic = self.cached(("tag", tag.group_code, tag.code), lambda: self._find_analytic(tag))
        if not analytic:
            raise booking_error(
                self.env,
                "tag_unknown",
                "tag_no_analytic",
                {
                    "mapping_kind": "tag",
                    "pleo_code": f"{tag.group_code}/{tag.code}" if tag.group_code else tag.code,
                    "pleo_name": tag.code,
                    "group": tag.group_code,
                },
                code=tag.code,
                group=tag.group_code,
                company=self.company.name,
            )
        return analytic

    def _find_analytic(self, tag):
        """The mapped or synced analytic account of a Pleo tag, else the one of its code (of
        the plan named like the tag's group when several have it), else ``None``."""
        analytic = (
            self.mappings.get(("tag", f"{tag.group_code}/{tag.code}"))
            or self.mappings.get(("tag", tag.code))
            or self.synced.get(("tag", tag.group_code, tag.code))
        )
        if analytic:
            return analytic
        found = self.env["account.analytic.account"].search(
            [("code", "=", tag.code), ("company_id", "in", (False, self.company.id))]
        )
        if len(found) > 1:
            found = found.filtered(lambda a: a.plan_id.name == tag.group_code)
        return found if len(found) == 1 else None

    def partner(self, code):
        """The partner of a Pleo employee code: its mapping row, else the partner of that
        Reference."""
        if not code:
            return self.env["res.partner"]
        return self.cached(
            ("user", code),
            lambda: (
                self.mappings.get(("user", code))
                or self.env["res.partner"].search(
                    [("ref", "=", code), ("company_id", "in", (False, self.company.id))], limit=1
                )
            ),
        )

    def purchase_journal(self):
        """The company's purchase journal, for Pleo's vendor bills."""
        Journal = self.env["account.journal"].with_company(self.company)
        journal = self.cached(
            ("purchase_journal",),
            lambda: Journal.search(
                [*Journal._check_company_domain(self.company), ("type", "=", "purchase")], limit=1
            ),
        )
        if not journal:
            raise booking_error(
                self.env,
                "missing_configuration",
                "purchase_journal_missing",
                company=self.company.name,
                path=menu_path(self.env, JOURNALS_MENU),
            )
        return journal
