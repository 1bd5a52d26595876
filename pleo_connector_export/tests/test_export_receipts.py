# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The receipts' audit trail (the Danish bookkeeping act's "bilag"): a receipt an employee adds
in Pleo after the expense was exported reaches its entry on the next export, draft or posted,
once; an entry of a purchase or an invoice without a receipt is flagged ("Missing receipt" on
entries, export items and exports), the export's automatic posting leaves it in draft with the
reason, and a bookkeeper who posts it anyway leaves a note in its history.

The sandbox plays Pleo: ``add_receipt`` uploads a file to an expense already exported, and
``reexport`` exports the expense again as it is now (``files[]``: the files attached to the
accounting entry [spec]), with fresh presigned links.
"""

import base64
import uuid

from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from ..models.account_move import RECEIPT_TYPES
from .common import ExportCase
from .test_export import TYPES, item_line, make_item
from .test_export_payables import ap_item

PDF = b"%PDF-1.4 the restaurant's receipt, uploaded a week later"
PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 64


@tagged("post_install", "-at_install", "pleo_export")
class TestExportReceiptTrail(ExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bookkeeper = cls.env["res.users"].create(
            {
                "name": "Bookkeeper",
                "login": "receipts-bookkeeper",
                "company_id": cls.company_a.id,
                "company_ids": [(6, 0, cls.company_a.ids)],
                "group_ids": [(6, 0, [cls.env.ref("account.group_account_manager").id])],
            }
        )

    # ------------------------------------------------------------------ helpers

    def export(self, item):
        """A first export of ``item``: its record in the job."""
        job_uuid = self.add_job(items=[item])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "booked", record.failure_reason)
        return record

    def export_again(self, entry):
        """Pleo exports the expense again, as it is now (with the receipts added since)."""
        job_uuid = self.sandbox.reexport(self.pleo_a, [entry])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "booked", record.failure_reason)
        return record

    def attachments(self, move):
        return self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", move.id)]
        )

    def contents(self, move):
        return sorted(base64.b64decode(a.datas) for a in self.attachments(move))

    def notes(self, move, words):
        return move.message_ids.filtered(lambda m: words in (m.body or ""))

    def filter_domain(self, xmlid, name):
        """The domain of a search view's filter, as the web client applies it."""
        arch = etree.fromstring(self.env.ref(xmlid).get_combined_arch())
        (found,) = arch.xpath(f"//filter[@name='{name}']")
        return safe_eval(found.get("domain"))

    # ------------------------------------------------------------------ a receipt added later

    def test_receipt_added_later_reaches_the_draft_entry_once(self):
        item = make_item(item_line(1000), accountingEntryId=str(uuid.uuid4()))
        entry = item["accountingEntryId"]
        move = self.export(item).move_id
        self.assertEqual(move.state, "draft")
        self.assertFalse(self.attachments(move))
        self.assertTrue(move.pleo_missing_receipt)
        self.sandbox.add_receipt(entry, PDF, "application/pdf", "dinner.pdf")
        self.sandbox.reset_file_requests()
        record = self.export_again(entry)
        self.assertEqual(record.move_id, move, "the same entry, not a second one")
        self.assertEqual(record.receipt_count, 1)
        self.assertEqual(self.contents(move), [PDF])
        self.assertEqual(move.message_main_attachment_id, self.attachments(move))
        self.assertFalse(move.pleo_missing_receipt)
        self.assertTrue(self.notes(move, "dinner.pdf"), "the chatter says a receipt came")
        self.assertFalse(any(r.had_authorization for r in self.sandbox.file_requests))
        # A third export brings nothing new: nothing is attached again.
        record = self.export_again(entry)
        self.assertEqual(record.move_id, move)
        self.assertEqual(len(self.attachments(move)), 1)
        self.assertEqual(len(self.notes(move, "dinner.pdf")), 1)
        self.assertEqual(len(self.moves()), 1)

    def test_receipt_added_later_reaches_the_posted_entry_once(self):
        item = make_item(item_line(1000), accountingEntryId=str(uuid.uuid4()))
        entry = item["accountingEntryId"]
        move = self.export(item).move_id
        move.with_user(self.bookkeeper).action_post()
        lines = move.line_ids.read(["account_id", "debit", "credit"])
        self.sandbox.add_receipt(entry, PDF, "application/pdf", "dinner.pdf")
        record = self.export_again(entry)
        self.assertEqual(record.move_id, move)
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.line_ids.read(["account_id", "debit", "credit"]), lines)
        self.assertEqual(self.contents(move), [PDF])
        self.assertFalse(move.pleo_missing_receipt)
        self.assertFalse(record.failure_reason)
        self.assertTrue(
            self.pleo_job(record.job_id.pleo_job_uuid)["items"][0]["status"], "successful"
        )
        # A second receipt later: added next to the first; then nothing more.
        self.sandbox.add_receipt(entry, PNG, "image/png", "bill.png")
        self.export_again(entry)
        self.export_again(entry)
        self.assertEqual(self.contents(move), sorted([PDF, PNG]))

    def test_receipt_added_to_a_posted_bill(self):
        self.conn_a.export_auto_post = True
        self.env["res.partner"].create({"name": "Office Depot", "is_company": True, "ref": "V1001"})
        item = ap_item(item_line(12500, tax=("I25", 0.25, "inclusive", 2500)))
        entry = item["accountingEntryId"]
        bill = self.export(item).move_id
        self.assertEqual((bill.move_type, bill.state), ("in_invoice", "posted"))
        self.assertTrue(bill.pleo_missing_receipt)
        self.assertTrue(self.notes(bill, "Posted without a receipt"), "not silently posted")
        self.sandbox.add_receipt(entry, PDF, "application/pdf", "invoice.pdf")
        self.export_again(entry)
        self.export_again(entry)
        self.assertEqual(self.contents(bill), [PDF])
        self.assertFalse(bill.pleo_missing_receipt)

    def test_a_draft_bill_posted_by_the_re_export_that_brings_its_receipt_is_not_noted(self):
        """A bill left in draft, then exported again with its receipt while the connection
        posts: the receipt is attached before the bill is posted, so no 'posted without a
        receipt' note."""
        self.env["res.partner"].create({"name": "Office Depot", "is_company": True, "ref": "V1001"})
        item = ap_item(item_line(12500, tax=("I25", 0.25, "inclusive", 2500)))
        entry = item["accountingEntryId"]
        bill = self.export(item).move_id
        self.assertEqual(bill.state, "draft")
        self.conn_a.export_auto_post = True
        self.sandbox.add_receipt(entry, PDF, "application/pdf", "invoice.pdf")
        self.export_again(entry)
        self.assertEqual((bill.state, self.contents(bill)), ("posted", [PDF]))
        self.assertFalse(self.notes(bill, "Posted without a receipt"))

    def test_a_receipt_that_cannot_be_fetched_on_re_export_fails_the_item(self):
        """The entry stays as it is, and Pleo hears the receipt did not arrive (its own
        failure type), so a bookkeeper exports it again once the file is fixed."""
        item = make_item(item_line(1000), accountingEntryId=str(uuid.uuid4()))
        entry = item["accountingEntryId"]
        move = self.export(item).move_id
        move.action_post()
        self.sandbox.add_receipt(entry, PDF, "application/pdf", "gone.pdf", fault="not_found")
        job_uuid = self.sandbox.reexport(self.pleo_a, [entry])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.failure_type, "receipt_download_failure")
        self.assertIn("gone.pdf", record.failure_reason)
        self.assertNotIn("?", record.failure_reason, "no presigned query string in a reason")
        self.assertEqual(move.state, "posted")
        self.assertFalse(self.attachments(move))
        self.assertEqual(self.pleo_job(job_uuid)["items"][0]["status"], "failed")
        # Booked already: the failure says so, names the entry, and the item shows it.
        self.assertEqual(record.move_id, move)
        self.assertIn(f"Entry {move.name} books this expense already", record.failure_reason)
        self.assertIn(
            record.failure_reason[:200], self.pleo_job(job_uuid)["items"][0]["failureReason"]
        )

    def test_a_receipt_that_cannot_be_fetched_on_the_first_export_fails_the_item_alone(self):
        """No entry is made without its receipt: the item fails with the receipt's reason, no
        entry to name."""
        item = make_item(item_line(1000), accountingEntryId=str(uuid.uuid4()))
        url = self.sandbox.add_file(PDF, "application/pdf", "gone.pdf", fault="not_found")
        item["files"] = [self.sandbox.file_entry(url)]
        job_uuid = self.add_job(items=[item])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(
            (record.state, record.failure_type), ("failed", "receipt_download_failure")
        )
        self.assertFalse(record.move_id)
        self.assertNotIn("books this expense already", record.failure_reason)
        self.assertFalse(self.moves())

    def test_a_file_is_known_by_its_content_not_its_link(self):
        """Pleo lists a file twice, or under a new link: it is attached once."""
        first = self.sandbox.file_entry(self.sandbox.add_file(PDF, "application/pdf", "a.pdf"))
        twin = self.sandbox.file_entry(self.sandbox.add_file(PDF, "application/pdf", "b.pdf"))
        self.assertNotEqual(first["url"], twin["url"])
        item = make_item(item_line(1000), files=[first, twin])
        move = self.export(item).move_id
        self.assertEqual(self.contents(move), [PDF])

    # ------------------------------------------------------------------ missing receipts

    def test_the_flag_follows_the_kind_of_expense(self):
        job_uuid = self.add_job(n=2 * len(TYPES), types=TYPES, seed="no-files", with_files=False)
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.booked_count, len(job.item_ids), job.item_ids.mapped("failure_reason"))
        for record in job.item_ids:
            needs = record.item_type in RECEIPT_TYPES
            self.assertEqual(record.move_id.pleo_missing_receipt, needs, record.item_type)
            self.assertEqual(record.missing_receipt, needs, record.item_type)
        self.assertTrue({"card_purchase", "out_of_pocket"} <= RECEIPT_TYPES)
        self.assertFalse(
            {"wallet_topup", "wallet_unload", "direct_reimbursement", "invoice_payment"}
            & RECEIPT_TYPES
        )

    def test_the_missing_receipt_filters_find_the_entry(self):
        bare = self.export(make_item(item_line(1000), note="bare")).move_id
        url = self.sandbox.add_file(PDF, "application/pdf", "r.pdf")
        kept = self.export(
            make_item(item_line(2000), files=[self.sandbox.file_entry(url)], note="kept")
        )
        self.assertFalse(kept.move_id.pleo_missing_receipt)
        Move = self.env["account.move"]
        domain = self.filter_domain("account.view_account_move_filter", "pleo_missing_receipt")
        self.assertEqual(Move.search(domain), bare)
        domain = self.filter_domain(
            "pleo_connector_export.pleo_export_item_view_search", "missing_receipt"
        )
        self.assertEqual(self.env["pleo.export.item"].search(domain).move_id, bare)
        domain = self.filter_domain(
            "pleo_connector_export.pleo_export_job_view_search", "missing_receipt"
        )
        jobs = self.env["pleo.export.job"].search(domain)
        self.assertEqual(
            jobs, self.env["pleo.export.item"].search([("move_id", "=", bare.id)]).job_id
        )
        self.assertIn("pleo_missing_receipt", bare.alerts)
        self.assertNotIn("pleo_missing_receipt", kept.move_id.alerts or {})

    def test_attaching_the_receipt_clears_the_flag(self):
        move = self.export(make_item(item_line(1000))).move_id
        self.assertTrue(move.pleo_missing_receipt)
        receipt = (
            self.env["ir.attachment"]
            .with_user(self.bookkeeper)
            .create(
                {
                    "name": "scan.pdf",
                    "raw": PDF,
                    "res_model": "account.move",
                    "res_id": move.id,
                }
            )
        )
        self.assertFalse(move.pleo_missing_receipt)
        self.assertFalse(self.env["account.move"].search([("pleo_missing_receipt", "=", True)]))
        receipt.unlink()
        self.assertTrue(move.pleo_missing_receipt, "removed again: missing again")

    def test_a_bookkeeper_cannot_clear_the_flag_by_hand(self):
        move = self.export(make_item(item_line(1000))).move_id
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            move.with_user(self.bookkeeper).write({"pleo_missing_receipt": False})
        self.assertTrue(move.pleo_missing_receipt)

    # ------------------------------------------------------------------ posting

    def test_auto_post_leaves_an_expense_without_receipt_in_draft(self):
        self.conn_a.export_auto_post = True
        url = self.sandbox.add_file(PDF, "application/pdf", "r.pdf")
        with_receipt = make_item(
            item_line(2000),
            files=[self.sandbox.file_entry(url)],
            accountingEntryId=str(uuid.uuid4()),
        )
        without = make_item(item_line(1000), accountingEntryId=str(uuid.uuid4()))
        job_uuid = self.add_job(items=[with_receipt, without])
        self.run_export()
        records = {r.entry_uuid: r for r in self.job(job_uuid).item_ids}
        posted = records[with_receipt["accountingEntryId"]].move_id
        held = records[without["accountingEntryId"]].move_id
        self.assertEqual(posted.state, "posted")
        self.assertEqual(held.state, "draft")
        self.assertEqual(records[without["accountingEntryId"]].state, "booked")
        self.assertTrue(self.notes(held, "Left in draft by the Pleo export"))
        self.assertFalse(self.notes(posted, "receipt"))
        # Exported again unchanged, still without receipt: still a draft, said once.
        self.export_again(without["accountingEntryId"])
        self.assertEqual(held.state, "draft")
        self.assertEqual(len(self.notes(held, "Left in draft by the Pleo export")), 1)
        # The receipt comes with the next export: attached, and the entry is posted.
        self.sandbox.add_receipt(without["accountingEntryId"], PDF, "application/pdf", "r.pdf")
        record = self.export_again(without["accountingEntryId"])
        self.assertEqual(record.move_id, held)
        self.assertEqual((held.state, held.pleo_missing_receipt), ("posted", False))
        self.assertFalse(self.notes(held, "Posted without a receipt"))

    def test_posting_without_receipt_by_hand_is_noted(self):
        move = self.export(make_item(item_line(1000))).move_id
        move.with_user(self.bookkeeper).action_post()
        self.assertEqual(move.state, "posted")
        (note,) = self.notes(move, "Posted without a receipt")
        self.assertEqual(note.author_id, self.bookkeeper.partner_id)
        self.assertTrue(move.pleo_missing_receipt, "still on the to-do list")
        url = self.sandbox.add_file(PDF, "application/pdf", "r.pdf")
        other = self.export(make_item(item_line(2000), files=[self.sandbox.file_entry(url)]))
        other.move_id.with_user(self.bookkeeper).action_post()
        self.assertFalse(self.notes(other.move_id, "Posted without a receipt"))

    def test_the_post_button_asks_first(self):
        """From the form (the Post button's context), a Pleo entry without receipt opens Odoo's
        "Confirm Entries" dialog, which names it; confirming posts it, with the note."""
        move = self.export(make_item(item_line(1000))).move_id
        button = move.with_user(self.bookkeeper).with_context(
            validate_analytic=True, disable_abnormal_invoice_detection=False
        )
        action = button.action_post()
        self.assertEqual(move.state, "draft", "not posted before the bookkeeper confirms")
        self.assertEqual(action["res_model"], "validate.account.move")
        wizard = self.env["validate.account.move"].browse(action["res_id"])
        self.assertEqual(wizard.pleo_missing_receipt_move_ids, move)
        arch = etree.fromstring(wizard.get_views([(False, "form")])["views"]["form"]["arch"])
        self.assertTrue(arch.xpath("//field[@name='pleo_missing_receipt_move_ids']"))
        wizard.with_user(self.bookkeeper).validate_move()
        self.assertEqual(move.state, "posted")
        self.assertTrue(self.notes(move, "Posted without a receipt"))
        url = self.sandbox.add_file(PDF, "application/pdf", "r.pdf")
        other = self.export(make_item(item_line(2000), files=[self.sandbox.file_entry(url)]))
        self.assertFalse(
            other.move_id.with_user(self.bookkeeper)
            .with_context(disable_abnormal_invoice_detection=False)
            .action_post(),
            "with its receipt: posted at once",
        )
        self.assertEqual(other.move_id.state, "posted")

    def test_the_list_action_asks_first_for_those_without_receipt(self):
        """The list's "Confirm Entries" posts the entries with a receipt at once and asks for
        the others."""
        bare = self.export(make_item(item_line(1000), note="bare")).move_id
        url = self.sandbox.add_file(PDF, "application/pdf", "r.pdf")
        kept = self.export(
            make_item(item_line(2000), files=[self.sandbox.file_entry(url)], note="kept")
        ).move_id
        action = (bare | kept).with_user(self.bookkeeper).action_validate_moves_with_confirmation()
        self.assertEqual((kept.state, bare.state), ("posted", "draft"))
        wizard = self.env["validate.account.move"].browse(action["res_id"])
        self.assertEqual(wizard.move_ids, bare)
        self.assertEqual(wizard.pleo_missing_receipt_move_ids, bare)
