# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The walls of the export and the setup sync, tried the way the red team broke them.

Each test is one attack of the red team's report, through the same door: the ORM as the
attacking user (``with_user``: access rights and record rules apply, as over RPC), ``/json/2``
with the user's API key, or the sandbox standing in for a hostile Pleo. It proves that:

* a mapping row stays in its company: its connection never changes, and every record it points
  at belongs to its company (accounts, taxes, analytic accounts, partners);
* only the export writes the Pleo origin of a journal entry (its Pleo id, fingerprint, link,
  type, invoice number), so "exactly once" cannot be undone or forged by hand;
* one item Odoo cannot read fails alone, with its reason, and the others book;
* amounts and dates Pleo could not mean fail their item;
* the setup records of a company are read only by its own people;
* the vendor-sync domain stays on the partners of the company and runs with its author's rights;
* the setup sync's results and the environment of a bound connection are not writable by hand;
* "Open in Pleo" links only to Pleo.
"""

import json
import uuid
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.pleo_connector.pleolib.posting import posting_from_item
from odoo.addons.pleo_connector.tests.common import PleoCase
from odoo.addons.pleo_connector.tests.pleo_sandbox.scripted import RawAnswer, Script

from ..tools.entry_booker import Booker
from .common import ExportCase
from .test_export import item_line, make_item

EXPORT_ITEMS = "/v3/export-items"
EXPORT_API_LOGGER = "odoo.addons.pleo_connector.pleolib.export_api"
SETUP_LOGGERS = ("odoo.addons.pleo_connector_setup_sync.models.pleo_connection",)


def _refused(test):
    """``assertRaises`` for a refusal: an access or a validation error (both are user errors:
    they reach the user as a message, never as a traceback)."""
    return test.assertRaises(UserError)


class WallsCase(ExportCase):
    """Company A books exports; company B has its own chart, analytics, partner and records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.account_b = env["account.account"].create(
            {
                "code": "5860",
                "name": "Employee receivables B",
                "account_type": "asset_current",
                "company_ids": [cls.company_b.id],
            }
        )
        group_b = env["account.tax.group"].create(
            {"name": "VAT B", "company_id": cls.company_b.id, "country_id": env.ref("base.dk").id}
        )
        cls.tax_b = env["account.tax"].create(
            {
                "name": "E25",
                "amount": 25.0,
                "type_tax_use": "purchase",
                "company_id": cls.company_b.id,
                "tax_group_id": group_b.id,
                "country_id": env.ref("base.dk").id,
            }
        )
        plan = env["account.analytic.plan"].create({"name": "DEPT B"})
        cls.analytic_b = env["account.analytic.account"].create(
            {"name": "Sales B", "code": "SALES", "plan_id": plan.id, "company_id": cls.company_b.id}
        )
        cls.partner_b = env["res.partner"].create(
            {"name": "Employee of B", "ref": "E001", "company_id": cls.company_b.id}
        )


@tagged("post_install", "-at_install", "pleo_export")
class TestMappingWalls(WallsCase):
    """A Pleo Manager of A cannot rewrite how company B books, nor book A on B's records."""

    def mapping(self, **values):
        return (
            self.env["pleo.export.mapping"]
            .with_user(self.manager_a)
            .create(
                {
                    "connection_id": self.conn_a.id,
                    "kind": "account",
                    "pleo_code": "6810",
                    "account_id": self.accounts["6840"].id,
                    **values,
                }
            )
        )

    def test_a_mapping_row_never_moves_to_another_companys_connection(self):
        row = self.mapping()
        for values in (
            {"connection_id": self.conn_b.id, "account_id": self.account_b.id},
            {"connection_id": self.conn_b.id},
        ):
            with self.subTest(values=values), _refused(self), self.env.cr.savepoint():
                row.write(values)
        self.env.invalidate_all()
        self.assertEqual(
            (row.connection_id, row.company_id, row.account_id),
            (self.conn_a, self.company_a, self.accounts["6840"]),
        )
        self.assertFalse(
            self.env["pleo.export.mapping"].search([("company_id", "=", self.company_b.id)])
        )

    def test_a_mapping_row_points_only_at_records_of_its_company(self):
        for values in (
            {"kind": "tag", "pleo_code": "DEPT/SALES", "analytic_account_id": self.analytic_b.id},
            {"kind": "user", "pleo_code": "E001", "partner_id": self.partner_b.id},
            {"kind": "account", "pleo_code": "6810", "account_id": self.account_b.id},
            {"kind": "tax", "pleo_code": "I25", "tax_id": self.tax_b.id},
        ):
            with self.subTest(values=values):
                with _refused(self), self.env.cr.savepoint():
                    self.mapping(**values)
                # nor by changing an existing row of A
                kind = values["kind"]
                own = {
                    "tag": {"analytic_account_id": self.analytics["SALES"].id},
                    "user": {"partner_id": self.partners["E001"].id},
                    "account": {"account_id": self.accounts["6840"].id},
                    "tax": {"tax_id": self.taxes["E25"].id},
                }[kind]
                row = self.mapping(**{**values, **own, "pleo_code": f"{kind}-own"})
                target = {k: v for k, v in values.items() if k not in ("kind", "pleo_code")}
                with _refused(self), self.env.cr.savepoint():
                    row.write(target)
        # shared partners (no company) stay allowed
        shared = self.env["res.partner"].create({"name": "Shared employee", "ref": "E009"})
        self.assertTrue(self.mapping(kind="user", pleo_code="E009", partner_id=shared.id))

    def test_a_mapping_of_a_foreign_record_is_refused_even_to_the_superuser(self):
        """The database's rule, not a view's: code running as superuser cannot mix companies
        in a mapping row either."""
        with _refused(self), self.env.cr.savepoint():
            self.env["pleo.export.mapping"].create(
                {
                    "connection_id": self.conn_a.id,
                    "kind": "tag",
                    "pleo_code": "DEPT/SALES",
                    "analytic_account_id": self.analytic_b.id,
                }
            )

    def test_as_export_books_only_on_its_own_records(self):
        """The red team's impact: A's entries carried B's partner and analytic account."""
        with _refused(self), self.env.cr.savepoint():
            self.mapping(kind="user", pleo_code="E001", partner_id=self.partner_b.id)
        job_uuid = self.add_job(items=[make_item(item_line(1000, tags=[("DEPT", "SALES")]))])
        self.run_export()
        move = self.job(job_uuid).item_ids.move_id
        self.assertEqual(move.line_ids.partner_id, self.partners["E001"])
        expense = move.line_ids.filtered(lambda line: line.analytic_distribution)
        self.assertEqual(expense.analytic_distribution, {str(self.analytics["SALES"].id): 100.0})


@tagged("post_install", "-at_install")
class TestMappingWallOverJson2(PleoCase, HttpCase):
    """The red team's exact call: ``/json/2/pleo.export.mapping/write`` with the API key of a
    Pleo Manager of A, moving A's row onto B's connection with B's account."""

    def test_json2_cannot_move_a_mapping_row_to_another_company(self):
        Account = self.env["account.account"]
        account_a, account_b = (
            Account.create(
                {
                    "code": "6810",
                    "name": f"Meals {company.name}",
                    "account_type": "expense",
                    "company_ids": [company.id],
                }
            )
            for company in (self.company_a, self.company_b)
        )
        row = (
            self.env["pleo.export.mapping"]
            .with_user(self.manager_a)
            .create(
                {
                    "connection_id": self.conn_a.id,
                    "kind": "account",
                    "pleo_code": "6810",
                    "account_id": account_a.id,
                }
            )
        )
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.manager_a)
            ._generate("rpc", "red team", datetime.now() + timedelta(days=1))
        )
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/json/2/pleo.export.mapping/write",
                json={
                    "ids": [row.id],
                    "vals": {"connection_id": self.conn_b.id, "account_id": account_b.id},
                    "context": {"allowed_company_ids": [self.company_a.id]},
                },
                headers={
                    "Authorization": f"Bearer {key}",
                    "X-Odoo-Database": self.env.cr.dbname,
                },
            )
        self.assertEqual(response.status_code, 403, response.text[:300])
        self.assertIn("stays with its Pleo connection", response.json()["message"])
        self.env.invalidate_all()
        self.assertEqual(
            (row.company_id, row.connection_id, row.account_id),
            (self.company_a, self.conn_a, account_a),
        )


@tagged("post_install", "-at_install", "pleo_export")
class TestMovePleoOriginWall(WallsCase):
    """Only the export writes a journal entry's Pleo origin: "exactly once" holds against an
    accountant."""

    def test_an_accountant_cannot_clear_or_forge_a_moves_pleo_fields(self):
        item = make_item(item_line(4200), accountingEntryId=str(uuid.uuid4()))
        self.add_job(items=[item])
        self.run_export()
        move = self.moves()
        self.assertEqual(len(move), 1)
        before = move.read(
            [
                "pleo_entry_uuid",
                "pleo_fingerprint",
                "pleo_web_url",
                "pleo_item_type",
                "pleo_invoice_number",
            ]
        )
        for values in (
            {"pleo_entry_uuid": False},
            {"pleo_entry_uuid": "22222222-2222-2222-2222-222222222222"},
            {"pleo_fingerprint": "0" * 64},
            {"pleo_web_url": "https://evil.example/login"},
            {"pleo_item_type": "fee"},
            {"pleo_invoice_number": "INV-FORGED"},
        ):
            with self.subTest(values=values), _refused(self), self.env.cr.savepoint():
                move.with_user(self.accountant_a).write(dict(values))
        self.env.invalidate_all()
        self.assertEqual(move.read(list(before[0]))[0], before[0])
        # An unchanged value is no change (a form or an import sending it back is fine).
        move.with_user(self.accountant_a).write({"pleo_entry_uuid": move.pleo_entry_uuid})
        # Pleo exports the same expense again: it is still booked once.
        self.add_job(items=[item])
        self.run_export()
        self.assertEqual(self.moves(), move)

    def test_a_decoy_entry_cannot_claim_a_pleo_expense(self):
        item = make_item(item_line(500000), accountingEntryId=str(uuid.uuid4()))
        posting = posting_from_item(item)
        decoy = {
            "move_type": "entry",
            "journal_id": self.journal.id,
            "ref": "decoy",
            "pleo_entry_uuid": posting.entry_uuid,
            "pleo_fingerprint": posting.fingerprint,
            "line_ids": [
                fields.Command.create(
                    {"account_id": self.accounts["6810"].id, "debit": 1.0, "name": "decoy"}
                ),
                fields.Command.create(
                    {"account_id": self.accounts["5850"].id, "credit": 1.0, "name": "decoy"}
                ),
            ],
        }
        Move = self.env["account.move"].with_user(self.accountant_a)
        with _refused(self), self.env.cr.savepoint():
            Move.create(decoy)
        # without the Pleo fields the entry is an ordinary one
        plain = Move.create({k: v for k, v in decoy.items() if not k.startswith("pleo_")})
        plain.action_post()
        job_uuid = self.add_job(items=[item])
        self.run_export()
        booked = self.job(job_uuid).item_ids.move_id
        self.assertNotEqual(booked, plain)
        self.assertEqual(booked.amount_total, 5000.0)
        row = self.pleo_job(job_uuid)["items"][0]
        self.assertEqual((row["status"], row["externalId"]), ("successful", str(booked.id)))


@tagged("post_install", "-at_install", "pleo_export")
class TestHostileItems(WallsCase):
    """A hostile Pleo: one item Odoo cannot read fails alone, with its reason."""

    def run_job(self, bad_items, good=3):
        goods = [make_item(item_line(1000 + n)) for n in range(good)]
        job_uuid = self.add_job(items=[*goods[:1], *bad_items, *goods[1:]])
        self.run_export()
        job = self.job(job_uuid)
        return job, self.pleo_job(job_uuid)

    def assertFailedAlone(self, job, pleo, count, *reasons):
        self.assertEqual(job.state, "completed_with_errors", job.item_ids.mapped("failure_reason"))
        self.assertEqual((job.booked_count, job.failed_count), (3, count))
        failed = job.item_ids.filtered(lambda item: item.state == "failed")
        for reason, item in zip(reasons, failed.sorted("id"), strict=True):
            self.assertEqual(item.failure_type, "validation_failure")
            self.assertIn(reason, item.failure_reason)
            self.assertNotIn("Traceback", item.failure_reason)
        self.assertEqual(pleo["status"], "completed_with_errors")
        self.assertEqual(
            sorted(row["status"] for row in pleo["items"]),
            ["failed"] * count + ["successful"] * 3,
        )
        self.assertEqual(job.attempts, 0)

    def test_an_amount_beyond_any_float_fails_alone(self):
        huge = make_item(item_line(10**400))
        job, pleo = self.run_job([huge])
        self.assertFailedAlone(job, pleo, 1, "not a plausible amount")

    def test_one_amount_of_the_wrong_type_fails_alone_and_never_pauses_the_job(self):
        fractional = make_item(item_line(1000))
        fractional["amount"]["inWalletCurrency"]["value"] = 1000.5
        text = make_item(item_line(1000))
        text["amount"]["inWalletCurrency"]["value"] = "1000"
        odd_supplier = make_item(item_line(1000))  # Odoo books the wallet amount only
        odd_supplier["amount"]["inSupplierCurrency"]["value"] = 1000.5
        job, pleo = self.run_job([fractional, text, odd_supplier], good=2)
        self.assertEqual(job.state, "completed_with_errors", job.item_ids.mapped("failure_reason"))
        self.assertEqual((job.booked_count, job.failed_count), (3, 2))
        failed = job.item_ids.filtered(lambda item: item.state == "failed").sorted("id")
        self.assertIn("not a whole number of minor units", failed[0].failure_reason)
        self.assertIn("is not a number", failed[1].failure_reason)
        self.assertEqual(pleo["status"], "completed_with_errors")
        self.assertEqual(job.attempts, 0)

    def test_an_item_that_is_no_object_or_has_no_id_stalls_nothing(self):
        job_uuid = self.add_job(items=[make_item(item_line(1000)), make_item(item_line(2000))])
        served = self.sandbox.export_items(job_uuid)
        garbage = [served[0], 42, {"accountingEntryId": 7, "amount": None}, served[1]]
        with self._serving(garbage), mute_logger(EXPORT_API_LOGGER):
            self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.state, "completed", job.item_ids.mapped("failure_reason"))
        self.assertEqual(job.booked_count, 2)

    def test_an_item_whose_summary_breaks_fails_alone(self):
        """An error Odoo did not foresee while booking one item (here: making its summary for
        the list) fails that item with a reason; it never escapes the item's savepoint."""
        poisoned = make_item(item_line(1234))
        original = Booker.summary

        def summary(booker, data):
            if data["amount"]["inWalletCurrency"]["value"] == 1234:
                raise OverflowError("cannot convert float infinity to integer")
            return original(booker, data)

        with patch.object(Booker, "summary", summary):
            job, pleo = self.run_job([poisoned])
        self.assertEqual((job.booked_count, job.failed_count), (3, 1))
        failed = job.item_ids.filtered(lambda item: item.state == "failed")
        self.assertEqual(failed.failure_type, "unexpected_failure")
        self.assertNotIn("infinity", failed.failure_reason)
        self.assertEqual(pleo["status"], "completed_with_errors")
        self.assertEqual(job.attempts, 0)

    def _serving(self, items):
        """Pleo serves ``items`` as the job's export items (a page Pleo would never send)."""
        page = {"data": items, "pagination": {"hasNextPage": False, "endCursor": None}}
        return Script(self.sandbox, {EXPORT_ITEMS: RawAnswer(body=json.dumps(page).encode())})


@tagged("post_install", "-at_install", "pleo_export")
class TestPlausibleValues(WallsCase):
    """Amounts and dates Pleo could not mean fail their item."""

    def test_absurd_amounts_fail_their_item(self):
        items = [make_item(item_line(10**30)), make_item(item_line(2**63))]
        good = [make_item(item_line(1000 + n)) for n in range(3)]
        job_uuid = self.add_job(items=[*items, *good])
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual((job.booked_count, job.failed_count), (3, 2))
        for item in job.item_ids.filtered(lambda i: i.state == "failed"):
            self.assertEqual(item.failure_type, "validation_failure")
            self.assertIn("not a plausible amount", item.failure_reason)
        # the largest plausible amount still books to the cent
        top = make_item(item_line(10**13))
        job_uuid = self.add_job(items=[top])
        self.run_export()
        move = self.job(job_uuid).item_ids.move_id
        self.assertBalancedAsPleo(move, top)

    def test_dates_far_in_the_past_or_future_fail_their_item(self):
        far = [
            make_item(item_line(1000), on=day)
            for day in ("0001-01-01T00:00:00Z", "1900-01-01T00:00:00Z", "9999-12-31T00:00:00Z")
        ]
        good = [make_item(item_line(1000 + n)) for n in range(3)]
        job_uuid = self.add_job(items=[*far, *good])
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual((job.booked_count, job.failed_count), (3, 3))
        self.assertEqual(
            set(self.moves().mapped("date")), {fields.Date.to_date("2025-03-04")}, "no odd dates"
        )
        for item in job.item_ids.filtered(lambda i: i.state == "failed"):
            self.assertEqual(item.failure_type, "validation_failure")
            self.assertIn("not a plausible date", item.failure_reason)


@tagged("post_install", "-at_install", "pleo_export")
class TestSetupRecordWall(WallsCase):
    """Company B's setup records (its accounts' ids, vendors, Pleo ids) stay B's."""

    def test_another_companys_setup_records_are_not_readable(self):
        Record = self.env["pleo.setup.record"]
        records_b = Record.create(
            [
                {
                    "connection_id": self.conn_b.id,
                    "kind": "account",
                    "account_id": self.account_b.id,
                    "code": "5860",
                    "name": "Employee receivables B",
                    "pleo_uuid": str(uuid.uuid4()),
                    "pleo_external_ref": str(self.account_b.id),
                },
                {
                    "connection_id": self.conn_b.id,
                    "kind": "vendor",
                    "partner_id": self.partner_b.id,
                    "name": "Employee of B",
                },
            ]
        )
        record_a = Record.create(
            {
                "connection_id": self.conn_a.id,
                "kind": "account",
                "account_id": self.journal.default_account_id.id,
            }
        )
        for user in (self.accountant_a, self.manager_a):
            with self.subTest(user=user.login):
                mine = Record.with_user(user)
                self.assertFalse(mine.search([("company_id", "=", self.company_b.id)]))
                self.assertEqual(mine.search_count([("company_id", "=", self.company_b.id)]), 0)
                self.assertEqual(mine.search([]), record_a)
                with self.assertRaises(AccessError):
                    mine.browse(records_b.ids).read(["code", "account_id", "pleo_uuid"])
        # B's own manager still reads them
        self.assertEqual(
            Record.with_user(self.manager_b).search([("company_id", "=", self.company_b.id)]),
            records_b,
        )


@tagged("post_install", "-at_install", "pleo_setup")
class TestVendorDomainWall(WallsCase):
    """The vendor-sync domain cannot reach beyond the company's partners."""

    def setUp(self):
        super().setUp()
        self.connect(self.conn_b, key=self.mint(self.pleo_b), user=self.manager_b)
        self.conn_a.write({"sync_vendors": True})
        self.vendor_a = self.env["res.partner"].create(
            {"name": "Office Supplies A/S", "ref": "V100", "supplier_rank": 1}
        )

    def sync(self):
        """One sync of company A, as the scheduler (and a press of the button) runs it: as
        superuser; returns its summary."""
        with mute_logger(*SETUP_LOGGERS):
            summary, _ok = self.conn_a.sudo()._setup_sync()
        self.env.invalidate_all()
        return summary

    def spy_domain(self):
        """The red team's oracle: one bit of B's key hint per sync."""
        hint = self.conn_b.sudo().key_hint[-4:]
        return (
            f"[('id', '=', {self.company_b.partner_id.id}), "
            f"('ref_company_ids.pleo_connection_ids.key_hint', '=like', '%{hint}')]"
        )

    def store(self, domain):
        """A domain stored without the ORM's checks (an older database, or a script)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE pleo_connection SET sync_vendor_domain = %s WHERE id = %s",
            [domain, self.conn_a.id],
        )
        self.env.invalidate_all()

    def test_a_domain_leaving_the_partners_is_refused_on_write(self):
        for domain in (
            self.spy_domain(),
            "[('company_id.name', '=', 'Odoo Company B')]",
            "[('user_ids', 'any', [('login', '=like', 'admin%')])]",
            "[('ref_company_ids', 'ilike', 'Company B')]",
            "[('no_such_field', '=', 1)]",
            "[(lambda: 1)()]",
            "not a domain",
        ):
            with self.subTest(domain=domain), _refused(self) as caught, self.env.cr.savepoint():
                self.conn_a.with_user(self.manager_a).write({"sync_vendor_domain": domain})
            self.assertIn("vendor", str(caught.exception).lower())
        # an ordinary domain on the partner's own fields is kept
        own = "[('supplier_rank', '>', 0), ('ref', '=like', 'V%')]"
        self.conn_a.with_user(self.manager_a).write({"sync_vendor_domain": own})
        self.assertEqual(self.conn_a.sync_vendor_domain, own)

    def test_the_sync_never_evaluates_a_domain_leaving_the_partners(self):
        self.store(self.spy_domain())
        message = self.sync()
        self.assertIn("vendor", message.lower())
        records = self.conn_a.setup_record_ids.filtered(lambda r: r.kind == "vendor")
        self.assertNotIn(self.company_b.partner_id, records.partner_id)
        pushed = {vendor.get("externalId") for vendor in self.sandbox.vendors(self.pleo_a)}
        self.assertNotIn(str(self.company_b.partner_id.id), pushed)

    def test_the_domain_runs_with_its_authors_rights_in_the_company(self):
        """Written by manager A, the domain is evaluated as manager A, in company A only: B's
        partners stay out even when the domain names them."""
        partner_b = self.partner_b.sudo()
        partner_b.supplier_rank = 1
        domain = f"[('id', 'in', [{partner_b.id}, {self.vendor_a.id}])]"
        self.conn_a.with_user(self.manager_a).write({"sync_vendor_domain": domain})
        self.assertIn("Vendors: 1 created", self.sync())
        pushed = {vendor.get("externalId") for vendor in self.sandbox.vendors(self.pleo_a)}
        self.assertEqual(pushed, {str(self.vendor_a.id)})
        # once its author has left company A, the domain is no longer run: a Pleo Manager of
        # A must save it again
        self.manager_a.sudo().write({"company_ids": self.company_b, "company_id": self.company_b})
        summary = self.sync()
        self.assertIn(self.manager_a.name, summary)
        self.assertIn("vendor domain", summary.lower())


@tagged("post_install", "-at_install", "pleo_setup")
class TestManagedSyncFields(WallsCase):
    """The sync's results are the sync's; a bound connection keeps its environment."""

    def test_sync_results_are_not_writable_by_hand(self):
        for values in (
            {"setup_summary": "Accounts: 0 created <b>forged</b>"},
            {"setup_last_sync": "2030-01-01 00:00:00"},
            {"setup_missing_scopes": "forged:scope"},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError) as caught:
                self.conn_a.with_user(self.manager_a).write(values)
            self.assertIn("managed by the connector", str(caught.exception))
        self.assertFalse(self.conn_a.setup_summary)

    def test_a_bound_connection_keeps_its_environment(self):
        self.assertEqual(self.conn_a.state, "connected")
        with _refused(self) as caught, self.env.cr.savepoint():
            self.conn_a.with_user(self.manager_a).write({"environment": "staging"})
        self.assertIn("Disconnect", str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(self.conn_a.environment, "production")
        # the same value is no change; a connection without a key chooses freely
        self.conn_a.with_user(self.manager_a).write({"environment": "production"})
        self.conn_b.with_user(self.manager_b).write({"environment": "staging"})
        self.assertEqual(self.conn_b.environment, "staging")


@tagged("post_install", "-at_install", "pleo_export")
class TestOpenInPleoLinks(WallsCase):
    """A hostile Pleo cannot make "Open in Pleo" a phishing link."""

    def test_open_in_pleo_links_only_to_pleo(self):
        links = {
            "https://app.pleo.io/expenses/1": "https://app.pleo.io/expenses/1",
            "https://app.staging.pleo.io/expenses/2": "https://app.staging.pleo.io/expenses/2",
            "https://evil.example/pleo-login": False,
            "https://app.pleo.io.evil.example/expenses/3": False,
            "https://evil.example/?next=https://app.pleo.io": False,
            "https://app.pleo.io@evil.example/expenses/4": False,
            "http://app.pleo.io/expenses/5": False,
            "javascript:alert(1)//pleo.io": False,
        }
        items = {
            href: make_item(item_line(1000 + n), _links={"web": {"href": href}})
            for n, href in enumerate(links)
        }
        job_uuid = self.add_job(items=list(items.values()))
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.booked_count, len(links))
        by_amount = {round(item.amount * 100): item.move_id for item in job.item_ids}
        for n, (href, expected) in enumerate(links.items()):
            with self.subTest(href=href):
                self.assertEqual(by_amount[1000 + n].pleo_web_url, expected)
