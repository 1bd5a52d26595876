# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Set-up of the export tests: a chart that knows the sandbox's codes, a connected company,
and commits and crashes simulated with savepoints on the test's transaction.

The sandbox generator's default codes (accounts 6810…, taxes I25/E25/RC25, tags DEPT/PROJ,
users E001/E002) exist in company A, so generated jobs book without mapping rows. The export
commits through ``ir.cron._commit_progress``; here a "commit" is a savepoint and a "crash" a
rollback to the last one, which is what a real crash leaves in the database.
"""

import contextlib
from unittest.mock import patch
from urllib.parse import urlsplit

from odoo import Command
from odoo.tools import config, mute_logger

from odoo.addons.pleo_connector.tests.common import PleoCase

EXPORT_LOGGERS = (
    "odoo.addons.pleo_connector_export.models.pleo_connection",
    "odoo.addons.pleo_connector_export.models.pleo_export_job",
    "odoo.addons.pleo_connector_export.models.pleo_export_item",
)

ACCOUNTS = {
    "6810": ("Meals and entertainment", "expense"),
    "6820": ("Travel", "expense"),
    "6830": ("Software and subscriptions", "expense"),
    "6840": ("Office supplies", "expense"),
    "7220": ("Mileage allowance", "expense"),
    "7230": ("Per diem allowance", "expense"),
    "6910": ("Employee out-of-pocket", "liability_current"),
    "5850": ("Pleo DKK Account", "asset_cash"),
    "5810": ("Petty cash", "asset_cash"),
    "5820": ("Bank account", "asset_cash"),
    "7770": ("Bank fees", "expense"),
    "3900": ("Other income", "income_other"),
    "5860": ("Employee receivables", "asset_current"),
    "6800": ("Accounts payable", "liability_current"),
    "6320": ("Ingoing VAT", "asset_current"),
    "6330": ("Outgoing VAT", "liability_current"),
}
#: Odoo taxes named as the sandbox's tax codes: name -> (percent, reverse charge)
TAXES = {"I25": (25.0, False), "I12": (12.0, False), "E25": (25.0, False), "RC25": (25.0, True)}
TAGS = {"DEPT": ("SALES", "RND", "OPS"), "PROJ": ("P100", "P200")}
USERS = {"E001": "Anna Jensen", "E002": "Bo Nielsen"}


def run_export_in_class_setup(env, options=None):
    """Run the export cron in a test class's setup (before a browser tour), as the scheduler
    calls it. There the cron's commits may not commit the class's transaction: they flush,
    and the cron is not triggered again. ``options``: config options for the run."""
    cron = type(env["ir.cron"])

    def progress(self, processed=0, *, remaining=None, deactivate=False):
        self.env.flush_all()  # the cron would commit here
        return float("inf")

    with (
        patch.object(cron, "_commit_progress", progress),
        patch.object(cron, "_trigger", lambda *args, **kwargs: None),
        patch.dict(config.options, options or {}),
        mute_logger(*EXPORT_LOGGERS),
    ):
        env["pleo.connection"]._cron_pleo_export()
    env.invalidate_all()


class _Crash(BaseException):  # not an Exception: nothing in the export may catch it
    """Stands for the server process dying at some point of a job."""


class ExportCase(PleoCase):
    """Company A connected to the sandbox, with the chart, taxes, tags and users of its codes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = cls.company_a
        cls.accounts = {
            code: env["account.account"].create(
                {"code": code, "name": name, "account_type": kind, "company_ids": [company.id]}
            )
            for code, (name, kind) in ACCOUNTS.items()
        }
        cls.grid_base = env["account.account.tag"].create(
            {"name": "Pleo test base grid", "applicability": "taxes"}
        )
        cls.grid_tax = env["account.account.tag"].create(
            {"name": "Pleo test tax grid", "applicability": "taxes"}
        )
        cls.taxes = {name: cls._make_tax(name, *spec) for name, spec in TAXES.items()}
        plans = {}
        cls.analytics = {}
        for group, codes in TAGS.items():
            plans[group] = env["account.analytic.plan"].create({"name": group})
            for code in codes:
                cls.analytics[code] = env["account.analytic.account"].create(
                    {"name": f"{group} {code}", "code": code, "plan_id": plans[group].id}
                )
        cls.partners = {
            code: env["res.partner"].create({"name": name, "ref": code})
            for code, name in USERS.items()
        }
        for code in ("DKK", "EUR", "SEK"):
            currency = env.ref(f"base.{code}")
            currency.active = True
        cls.journal = env["account.journal"].create(
            {
                "name": "Pleo",
                "code": "PLEOT",
                "type": "bank",
                "company_id": company.id,
                "default_account_id": cls.accounts["5850"].id,
            }
        )

    @classmethod
    def _make_tax(cls, name, percent, reverse):
        company = cls.company_a
        tax_lines = [
            Command.create(
                {
                    "repartition_type": "tax",
                    "factor_percent": 100,
                    "account_id": cls.accounts["6320"].id,
                    "tag_ids": [Command.set(cls.grid_tax.ids)],
                }
            )
        ]
        if reverse:
            tax_lines.append(
                Command.create(
                    {
                        "repartition_type": "tax",
                        "factor_percent": -100,
                        "account_id": cls.accounts["6330"].id,
                    }
                )
            )

        def repartition():
            return [
                Command.create(
                    {"repartition_type": "base", "tag_ids": [Command.set(cls.grid_base.ids)]}
                ),
                *tax_lines,
            ]

        return cls.env["account.tax"].create(
            {
                "name": name,
                "amount": percent,
                "amount_type": "percent",
                "type_tax_use": "purchase",
                "company_id": company.id,
                "invoice_repartition_line_ids": repartition(),
                "refund_repartition_line_ids": repartition(),
            }
        )

    def setUp(self):
        super().setUp()
        self.sandbox.reset_file_requests()
        self.key = self.connect()
        self.conn_a.write({"export_enabled": True, "export_journal_id": self.journal.id})
        # The sandbox's file host: plain http, on loopback (let through by host:port only).
        files = urlsplit(self.sandbox.file_host.base_url()).netloc
        self.startPatcher(
            patch.dict(
                config.options,
                {"pleo_receipts_allow_http": "1", "pleo_receipt_allowed_hosts": files},
            )
        )
        # Commits are savepoints, a crash rolls back to the last one (see the module docstring).
        self.cr.execute("SAVEPOINT pleo_commit")
        self.commits = 0
        cron = type(self.env["ir.cron"])
        self.startPatcher(patch.object(cron, "_commit_progress", self._fake_commit))
        self.startPatcher(patch.object(cron, "_trigger", lambda *a, **k: None))
        self.startPatcher(patch.object(self.cr, "rollback", self._fake_rollback))

    def _fake_commit(self, processed=0, *, remaining=None, deactivate=False):
        self.env.flush_all()
        self.cr.execute("RELEASE SAVEPOINT pleo_commit")
        self.cr.execute("SAVEPOINT pleo_commit")
        self.commits += 1
        return float("inf")

    def _fake_rollback(self):
        self.env.transaction.clear()  # what Cursor.rollback does to the ORM's pending work
        self.cr.execute("ROLLBACK TO SAVEPOINT pleo_commit")
        self.env.invalidate_all(flush=False)

    # ------------------------------------------------------------------ helpers

    def add_job(self, items=None, n=None, pleo_company=None, **options):
        """A pending job at Pleo for company A (generated items unless ``items``)."""
        if items is None:
            options.setdefault("wallet_currency", "USD")
        return self.sandbox.add_export_job(pleo_company or self.pleo_a, items=items, n=n, **options)

    def new_round(self):
        """The export cron's next round: every connection is due to be fetched again."""
        self.env["pleo.connection"].search([]).sudo().write({"export_polled_at": False})

    def press(self, button, *loggers):
        """Press a button that runs a Pleo cron (``method_direct_trigger``): the job runs on a
        cursor of its own, as the scheduler's; here the test's (registry test mode), with its
        commits as no-ops. The end-to-end suite (tests/e2e) runs the same with real commits."""
        cron_class = type(self.env["ir.cron"])
        with (
            self.enter_registry_test_mode(),
            patch.object(cron_class, "_commit_progress", lambda *a, **k: float("inf")),
            mute_logger(*(loggers or EXPORT_LOGGERS)),
        ):
            result = button()
        self.env.invalidate_all()
        return result

    def run_export(self):
        self.new_round()
        with mute_logger(*EXPORT_LOGGERS):
            self.env["pleo.connection"]._cron_pleo_export()
        self.env.invalidate_all()

    def crash_run(self, target, method):
        """Run the export with ``target.method`` raising after it ran once, then "restart"."""
        original = getattr(target, method)

        def dying(*args, **kwargs):
            original(*args, **kwargs)
            raise _Crash(method)

        self.new_round()
        with (
            patch.object(target, method, dying),
            mute_logger(*EXPORT_LOGGERS),
            contextlib.suppress(_Crash),
        ):
            self.env["pleo.connection"]._cron_pleo_export()
        self._fake_rollback()

    def receipt(self, name="receipt.pdf"):
        """The ``files`` of an item with one receipt on the sandbox's file host."""
        url = self.sandbox.add_file(b"%PDF-1.4 a Pleo receipt", "application/pdf", name)
        return [self.sandbox.file_entry(url)]

    def book_moves(self, *items):
        """Book ``items`` in one job; each must be booked: their entries, in the items' order."""
        job_uuid = self.add_job(items=list(items))
        self.run_export()
        records = self.job(job_uuid).item_ids
        for record in records:
            self.assertEqual(record.state, "booked", record.failure_reason)
        by_entry = {record.entry_uuid: record.move_id for record in records}
        return [by_entry[item["accountingEntryId"]] for item in items]

    def job(self, job_uuid):
        return self.env["pleo.export.job"].search([("pleo_job_uuid", "=", job_uuid)])

    def pleo_job(self, job_uuid):
        return self.sandbox.export_job(job_uuid)

    def moves(self):
        return self.env["account.move"].search(
            [("company_id", "=", self.company_a.id), ("pleo_entry_uuid", "!=", False)]
        )

    def assertBalancedAsPleo(self, move, item):
        """The move balances and its contra side equals Pleo's total, to the cent; a purchase
        in another currency has Pleo's amounts in that currency on its other lines."""
        self.assertEqual(move.currency_id.name, item["amount"]["inWalletCurrency"]["currency"])
        sums = {}
        for line in move.line_ids:
            minor = round(line.amount_currency * 10**line.currency_id.decimal_places)
            sums[line.currency_id.name] = sums.get(line.currency_id.name, 0) + minor
        lines = move.line_ids.read(["account_id", "amount_currency", "currency_id"])
        if len(sums) == 1:
            self.assertEqual(sum(sums.values()), 0, lines)
        else:
            supplier = item["amount"]["inSupplierCurrency"]
            wallet = item["amount"]["inWalletCurrency"]
            self.assertEqual(set(sums), {supplier["currency"], wallet["currency"]}, lines)
            self.assertEqual(abs(sums[supplier["currency"]]), abs(supplier["value"]), lines)
            self.assertEqual(abs(sums[wallet["currency"]]), abs(wallet["value"]), lines)
        self.assertTrue(move.currency_id.is_zero(sum(move.line_ids.mapped("balance"))))
        contra = move.line_ids.filtered(
            lambda line: line.account_id.code == item["contraAccount"]["code"]
        )
        self.assertEqual(
            abs(sum(round(line.amount_currency * 100) for line in contra)),
            abs(item["amount"]["inWalletCurrency"]["value"]),
        )
