# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Corrections of posted Pleo entries in Odoo: a cancelled entry, or one reversed in full, books
nothing, so Pleo's next export books the expense again on a new entry; the old entry keeps its
Pleo id. Exactly once still holds among the live entries, and the migration replaces the former
constraint by the partial index.
"""

import importlib.util
import uuid
from pathlib import Path

import psycopg2

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger, sql

from .common import ExportCase
from .test_export import item_line, make_item
from .test_export_payables import ap_item

# The migration of 19.0.1.3.0 is pleo_connector's (it predates the split into three addons).
SCRIPT = (
    Path(__file__).resolve().parents[2]
    / "pleo_connector"
    / "migrations"
    / "19.0.1.3.0"
    / "pre-migration.py"
)


@tagged("post_install", "-at_install", "pleo_export")
class TestExportCorrections(ExportCase):
    def setUp(self):
        super().setUp()
        self.conn_a.export_auto_post = True

    def book(self, item):
        """Export ``item`` with a receipt (the export posts only what has one)."""
        if not item.get("files"):
            url = self.sandbox.add_file(b"%PDF-1.4 receipt", "application/pdf", "receipt.pdf")
            item["files"] = [self.sandbox.file_entry(url)]
        job_uuid = self.add_job(items=[item])
        self.run_export()
        return self.job(job_uuid).item_ids

    def assertBooked(self, record):
        self.assertEqual(record.state, "booked", record.failure_reason)
        return record.move_id

    def test_reversed_entry_then_corrected_expense_is_booked_again(self):
        item = make_item(item_line(3000), accountingEntryId=str(uuid.uuid4()))
        old = self.assertBooked(self.book(item))
        reversal = old._reverse_moves(cancel=True)
        self.assertEqual(reversal.state, "posted")
        corrected = make_item(item_line(3300), accountingEntryId=item["accountingEntryId"])
        record = self.book(corrected)
        new = self.assertBooked(record)
        self.assertNotEqual(new, old)
        self.assertEqual((new.state, new.amount_total), ("posted", 33.0))
        self.assertEqual(new.pleo_entry_uuid, item["accountingEntryId"])
        self.assertEqual(old.pleo_entry_uuid, item["accountingEntryId"], "the link stays")
        self.assertTrue(old.pleo_superseded)
        self.assertFalse(new.pleo_superseded)
        # Pleo exports it again unchanged: the new entry is kept, nothing booked a third time.
        again = self.assertBooked(self.book(dict(corrected)))
        self.assertEqual(again, new)
        self.assertEqual(len(self.moves()), 2, "the old entry and the new one")

    def test_partly_reversed_entry_is_still_a_booking(self):
        item = make_item(item_line(3000), accountingEntryId=str(uuid.uuid4()))
        old = self.assertBooked(self.book(item))
        reversal = old._reverse_moves()  # a draft: a third of it is reversed
        reversal.write(
            {
                "line_ids": [
                    Command.update(
                        line.id,
                        {"balance": line.balance / 3, "amount_currency": line.amount_currency / 3},
                    )
                    for line in reversal.line_ids
                ]
            }
        )
        reversal.action_post()
        record = self.book(make_item(item_line(3300), accountingEntryId=item["accountingEntryId"]))
        self.assertEqual(record.state, "failed")
        self.assertIn(f"Already booked as {old.name} and posted", record.failure_reason)
        self.assertFalse(old.pleo_superseded)

    def test_cancelled_entry_is_booked_again_not_reported_as_booked(self):
        item = make_item(item_line(2000), accountingEntryId=str(uuid.uuid4()))
        old = self.assertBooked(self.book(item))
        old.button_draft()
        old.button_cancel()
        record = self.book(dict(item))
        new = self.assertBooked(record)
        self.assertNotEqual(new, old)
        self.assertEqual((new.state, new.amount_total), ("posted", 20.0))
        self.assertEqual((old.state, old.pleo_entry_uuid), ("cancel", item["accountingEntryId"]))
        self.assertTrue(old.pleo_superseded)
        self.assertEqual(self.pleo_job(record.job_id.pleo_job_uuid)["status"], "completed")

    def test_reversed_bill_is_booked_again(self):
        vendor = self.env["res.partner"].create({"name": "Office Depot", "ref": "V1001"})
        item = ap_item(item_line(10000))
        bill = self.assertBooked(self.book(item))
        self.assertEqual(bill.partner_id, vendor)
        credit_note = bill._reverse_moves([{"invoice_date": bill.invoice_date}], cancel=True)
        self.assertEqual(credit_note.move_type, "in_refund")
        corrected = ap_item(item_line(12000), accountingEntryId=item["accountingEntryId"])
        new = self.assertBooked(self.book(corrected))
        self.assertNotEqual(new, bill)
        self.assertEqual((new.move_type, new.amount_total), ("in_invoice", 120.0))
        self.assertTrue(bill.pleo_superseded)

    def test_one_live_entry_per_pleo_expense(self):
        item = make_item(item_line(1000), accountingEntryId=str(uuid.uuid4()))
        old = self.assertBooked(self.book(item))
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            old.copy({"pleo_entry_uuid": old.pleo_entry_uuid})
            self.env.flush_all()
        old.button_draft()
        old.button_cancel()
        old.pleo_superseded = True
        self.env.flush_all()
        twin = old.copy({"pleo_entry_uuid": old.pleo_entry_uuid})
        self.env.flush_all()
        self.assertEqual(twin.pleo_entry_uuid, old.pleo_entry_uuid)

    def test_an_accountant_cannot_mark_an_entry_replaced(self):
        item = make_item(item_line(1000), accountingEntryId=str(uuid.uuid4()))
        move = self.assertBooked(self.book(item))
        accountant = self.env["res.users"].create(
            {
                "name": "Accountant",
                "login": "h8-accountant",
                "company_id": self.company_a.id,
                "company_ids": [(6, 0, self.company_a.ids)],
                "group_ids": [(6, 0, [self.env.ref("account.group_account_manager").id])],
            }
        )
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            move.with_user(accountant).write({"pleo_superseded": True})
        self.assertFalse(move.pleo_superseded)

    def test_migration_replaces_the_constraint_by_the_partial_index(self):
        cr = self.env.cr
        cr.execute("DROP INDEX account_move_pleo_entry_once")
        sql.add_constraint(
            cr,
            "account_move",
            "account_move_pleo_entry_uniq",
            "UNIQUE (company_id, pleo_entry_uuid)",
        )
        spec = importlib.util.spec_from_file_location("pleo_pre_migration_19_0_1_3_0", SCRIPT)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(cr, "19.0.1.2.0")
        self.assertFalse(
            sql.constraint_definition(cr, "account_move", "account_move_pleo_entry_uniq")
        )
