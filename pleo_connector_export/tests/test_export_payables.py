# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pleo invoices in Odoo's payables: bills, credit notes, payments reconciled with their bill,
returned payments, vendor matching, the supplier's bank account, re-exports, totals to the cent,
the invoice's currency and its exchange difference (a Danish company, DKK wallet, EUR invoices),
and the warning when Odoo recomputes the taxes of an edited draft away from Pleo's.

Jobs come from the sandbox with items written here (accounts-payable items of vendor-based
bookkeeping); the export cron runs as the scheduler would.
"""

import base64
import copy
import uuid
from datetime import date

from odoo.tests import Form, tagged

from .common import ExportCase
from .test_export import item_line, make_item
from .test_vat_return import DanishExportCase, pleo_item, pleo_line

VENDOR = {
    "id": "7b1e3c52-8a2b-4b8e-9d43-1f0f4a1c0001",
    "name": "Office Depot A/S",
    "code": "V1001",
    "externalId": "V1001",
    "country": "DK",
    "defaultCurrency": "USD",
    "registrationNumber": "12345678",
    "taxRegistrationNumber": "DK12345678",
}


def ap_item(*lines, kind="invoice", number="INV-1", vendor=None, bank=None, **extra):
    """An accounts-payable item: a bill (``invoice``), a credit note or an invoice payment."""
    info = {
        "invoiceNumber": number,
        "invoiceDate": "2025-03-01T00:00:00Z",
        "dueDate": "2025-03-31T00:00:00Z",
        "status": "paid" if kind == "invoice_payment" else "ready",
    }
    if bank:
        info["supplierBankAccount"] = {"bankName": "Danske Bank", "country": "DK", **bank}
    contra = "5850" if kind == "invoice_payment" else "6800"
    extra.setdefault("accountingEntryId", str(uuid.uuid4()))
    return make_item(
        *lines,
        kind=kind,
        contra=contra,
        bookkeeping={"method": "accounts_payable"},
        vendor=vendor or VENDOR,
        additionalInformation={"reconciliationId": f"BOOK-{number}", "invoiceInformation": info},
        **extra,
    )


def payment(cents, number="INV-1", returned=False, **extra):
    sub_type = "invoice_payment_returned" if returned else "invoice_payment_sent"
    return ap_item(
        item_line(cents, account="6800"),
        kind="invoice_payment",
        number=number,
        subType=sub_type,
        **extra,
    )


@tagged("post_install", "-at_install", "pleo_export")
class TestExportPayables(ExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env["res.partner"].create(
            {
                "name": "Office Depot",
                "is_company": True,
                "ref": "V1001",
                "bank_ids": [(0, 0, {"acc_number": "DK50 0040 0440 1162 43"})],
            }
        )

    def setUp(self):
        super().setUp()
        self.conn_a.export_auto_post = True

    def book(self, *items):
        job_uuid = self.add_job(items=list(items))
        self.run_export()
        records = self.job(job_uuid).item_ids
        return {record.entry_uuid: record for record in records}, job_uuid

    def assertBooked(self, record):
        self.assertEqual(record.state, "booked", record.failure_reason)
        return record.move_id

    # ------------------------------------------------------------------ bills and payments

    def test_bill_then_payment_in_one_job(self):
        bill_item = ap_item(item_line(12500, tax=("I25", 0.25, "inclusive", 2500)))
        pay_item = payment(12500)
        records, job_uuid = self.book(bill_item, pay_item)
        bill = self.assertBooked(records[bill_item["accountingEntryId"]])
        paid = self.assertBooked(records[pay_item["accountingEntryId"]])
        self.assertEqual(bill.move_type, "in_invoice")
        self.assertEqual(bill.partner_id, self.vendor)
        self.assertEqual(bill.ref, "INV-1")
        self.assertEqual(str(bill.invoice_date), "2025-03-01")
        self.assertEqual(str(bill.invoice_date_due), "2025-03-31")
        self.assertEqual(str(bill.date), "2025-03-04", "Pleo's bookkeeping date")
        self.assertEqual(bill.state, "posted")
        self.assertEqual(bill.amount_total, 125.0)
        self.assertEqual(bill.amount_tax, 25.0)
        self.assertEqual(bill.invoice_line_ids.tax_ids, self.taxes["I25"])
        self.assertEqual(bill.invoice_line_ids.account_id, self.accounts["6810"])
        self.assertEqual(bill.line_ids.filtered("tax_line_id").tax_tag_ids, self.grid_tax)
        self.assertEqual(bill.payment_state, "paid")
        pay = paid.origin_payment_id
        self.assertEqual(pay.journal_id, self.journal)
        self.assertEqual(pay.payment_type, "outbound")
        self.assertEqual(pay.amount, 125.0)
        self.assertEqual(pay.state, "paid")
        self.assertIn(bill, pay.reconciled_bill_ids)
        self.assertEqual(pay.memo, f"{self.vendor.name} INV-1", "the vendor names the payment")
        wallet = paid.line_ids.filtered(lambda line: line.account_id == self.accounts["5850"])
        self.assertEqual(wallet.credit, 125.0)
        self.assertEqual(paid.pleo_entry_uuid, pay_item["accountingEntryId"])
        self.assertEqual(self.pleo_job(job_uuid)["status"], "completed")

    def test_payment_listed_before_its_bill_in_the_same_job(self):
        bill_item = ap_item(item_line(10000), bank={"accountNumber": "DK95 2000 0123 4567 89"})
        pay_item = payment(10000)
        records, _job = self.book(pay_item, bill_item)
        self.assertBooked(records[pay_item["accountingEntryId"]])
        bill = self.assertBooked(records[bill_item["accountingEntryId"]])
        self.assertEqual(bill.payment_state, "paid", "reconciled when the bill was posted")
        self.assertEqual(len(bill.activity_ids), 1, "the bank account is flagged once")

    def test_bill_then_payment_in_two_jobs_with_a_draft_bill(self):
        self.conn_a.export_auto_post = False
        bill_item = ap_item(item_line(10000))
        records, _job = self.book(bill_item)
        bill = self.assertBooked(records[bill_item["accountingEntryId"]])
        self.assertEqual(bill.state, "draft")
        pay_item = payment(10000)
        records, _job = self.book(pay_item)
        paid = self.assertBooked(records[pay_item["accountingEntryId"]])
        self.assertEqual(paid.state, "posted", "a payment records money that left the wallet")
        self.assertEqual(bill.payment_state, "not_paid")
        bill.action_post()
        self.assertEqual(bill.payment_state, "paid", "reconciled when the bill is posted")

    def test_payment_of_a_posted_bill_in_a_later_job(self):
        bill_item = ap_item(item_line(10000))
        self.book(bill_item)
        records, _job = self.book(payment(10000))
        self.assertBooked(next(iter(records.values())))
        bill = self.moves().filtered(lambda move: move.move_type == "in_invoice")
        self.assertEqual(bill.payment_state, "paid")

    def test_payment_without_its_bill_fails_and_books_on_re_export(self):
        pay_item = payment(10000, number="INV-404")
        records, job_uuid = self.book(pay_item)
        record = records[pay_item["accountingEntryId"]]
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.failure_type, "accounting_system_validation_failure")
        self.assertIn("invoice INV-404 of Office Depot", record.failure_reason)
        self.assertIn("export the invoice from Pleo", record.failure_reason)
        self.assertEqual(self.pleo_job(job_uuid)["status"], "completed_with_errors")
        records, _job = self.book(ap_item(item_line(10000), number="INV-404"), pay_item)
        self.assertTrue(all(record.state == "booked" for record in records.values()))

    def test_card_invoice_paid_from_the_wallet_is_a_paid_bill(self):
        """A card invoice's contra account is the wallet: the bill is paid as it is booked."""
        card = ap_item(item_line(5000, tax=("I25", 0.25, "inclusive", 1000)), kind="card_invoice")
        card["contraAccount"]["code"] = "5850"
        records, _job = self.book(card)
        bill = self.assertBooked(records[card["accountingEntryId"]])
        self.assertEqual(bill.move_type, "in_invoice")
        self.assertEqual(bill.payment_state, "paid")
        paid = self.moves().filtered(lambda move: move.origin_payment_id)
        self.assertEqual(paid.pleo_entry_uuid, f"{card['accountingEntryId']}:payment")
        self.assertEqual(paid.origin_payment_id.journal_id, self.journal)
        self.book(dict(card))  # re-export: nothing booked twice
        self.assertEqual(len(self.moves()), 2)

    def test_card_invoice_paid_from_the_wallet_the_setup_sync_pushed(self):
        """Pleo names the wallet by the ``identifier`` the setup sync gave it, under a code Odoo
        does not have: the bill's payment takes it from that account, as an entry's contra line
        finds it (one lookup for both), instead of leaving the paid card invoice open."""
        wallet = self.accounts["5850"]
        self.env["pleo.setup.record"].create(
            {
                "connection_id": self.conn_a.id,
                "kind": "account",
                "account_id": wallet.id,
                "code": "PLEO-W",
                "name": "Pleo wallet",
                "pleo_uuid": str(uuid.uuid4()),
                "pleo_external_ref": str(wallet.id),
            }
        )
        card = ap_item(item_line(5000, tax=("I25", 0.25, "inclusive", 1000)), kind="card_invoice")
        card["contraAccount"] = {
            "name": "Pleo wallet",
            "code": "PLEO-W",
            "identifier": str(wallet.id),
        }
        self.assertFalse(self.env["account.account"].search([("code", "=", "PLEO-W")]))
        records, _job = self.book(card)
        bill = self.assertBooked(records[card["accountingEntryId"]])
        self.assertEqual(bill.payment_state, "paid")
        paid = self.moves().filtered(lambda move: move.origin_payment_id)
        self.assertEqual(paid.pleo_entry_uuid, f"{card['accountingEntryId']}:payment")
        self.assertIn(wallet, paid.line_ids.account_id)

    def test_card_refund_to_the_wallet_of_a_draft_credit_note(self):
        self.conn_a.export_auto_post = False
        refund = ap_item(item_line(2000), kind="refund")
        refund["contraAccount"]["code"] = "5850"
        records, _job = self.book(refund)
        note = self.assertBooked(records[refund["accountingEntryId"]])
        self.assertEqual((note.move_type, note.state), ("in_refund", "draft"))
        back = self.moves().filtered(lambda move: move.origin_payment_id)
        self.assertEqual(back.origin_payment_id.payment_type, "inbound")
        note.action_post()
        self.assertEqual(note.payment_state, "paid", "reconciled when it is posted")

    def test_credit_note(self):
        refund = ap_item(item_line(5000, tax=("I25", 0.25, "inclusive", 1000)), kind="refund")
        records, _job = self.book(refund)
        note = self.assertBooked(records[refund["accountingEntryId"]])
        self.assertEqual(note.move_type, "in_refund")
        self.assertEqual(note.amount_total, 50.0)
        self.assertEqual(note.amount_tax, 10.0)
        tax_line = note.line_ids.filtered("tax_line_id")
        self.assertEqual(tax_line.tax_repartition_line_id.document_type, "refund")
        self.assertEqual(tax_line.balance, -10.0)

    def test_returned_payment_reopens_the_bill(self):
        bill_item = ap_item(item_line(10000))
        sent, back = payment(10000), payment(10000, returned=True)
        records, _job = self.book(bill_item, sent, back)
        bill = self.assertBooked(records[bill_item["accountingEntryId"]])
        returned = self.assertBooked(records[back["accountingEntryId"]])
        self.assertEqual(returned.origin_payment_id.payment_type, "inbound")
        wallet = returned.line_ids.filtered(lambda line: line.account_id == self.accounts["5850"])
        self.assertEqual(wallet.debit, 100.0)
        self.assertEqual(bill.payment_state, "not_paid")
        self.assertEqual(bill.amount_residual, 100.0)

    def test_return_of_a_payment_not_in_odoo_fails(self):
        self.book(ap_item(item_line(10000)))
        back = payment(10000, returned=True)
        records, _job = self.book(back)
        record = records[back["accountingEntryId"]]
        self.assertEqual(record.state, "failed")
        self.assertIn("that payment is not in Odoo", record.failure_reason)

    def test_foreign_currency_bill_paid_from_the_wallet_with_exchange_difference(self):
        """A EUR wallet in a USD company: the bill at the invoice date's rate, the payment at
        the payment's; Odoo's reconciliation books the exchange difference."""
        eur = self.env.ref("base.EUR")
        self.env["res.currency.rate"].create(
            [
                {"name": "2025-03-01", "rate": 0.5, "currency_id": eur.id},
                {"name": "2025-03-10", "rate": 0.4, "currency_id": eur.id},
            ]
        )

        def in_eur(item):
            for money in _money_nodes(item):
                money["currency"] = "EUR"
            return item

        bill_item = in_eur(ap_item(item_line(10000), on="2025-03-01T10:00:00Z"))
        pay_item = in_eur(payment(10000, on="2025-03-10T10:00:00Z"))
        records, _job = self.book(bill_item, pay_item)
        bill = self.assertBooked(records[bill_item["accountingEntryId"]])
        paid = self.assertBooked(records[pay_item["accountingEntryId"]])
        self.assertEqual(bill.currency_id, eur)
        self.assertEqual(bill.amount_total, 100.0)
        self.assertEqual(bill.amount_total_signed, -200.0)
        self.assertEqual(paid.line_ids.filtered(lambda line: line.credit).credit, 250.0)
        self.assertEqual(bill.payment_state, "paid")
        partials = bill.line_ids.matched_debit_ids | bill.line_ids.matched_credit_ids
        exchange = partials.exchange_move_id
        self.assertTrue(exchange, "Odoo booked the exchange difference")
        self.assertAlmostEqual(abs(sum(exchange.line_ids.mapped("debit"))), 50.0)

    def test_generated_vendor_based_jobs_book_bills_equal_to_pleo(self):
        """The sandbox's vendor-based bookkeeping: every invoice a bill of its vendor, split
        lines, tags, all tax types, receipts; each in the invoice's currency with Pleo's total
        to the cent, and Pleo's wallet amount (the company's currency) as its balance."""
        for code in ("V1002", "V1003"):
            self.env["res.partner"].create({"name": code, "ref": code, "is_company": True})
        job_uuid = self.add_job(
            n=12, types=["invoice"], vendor_based_bookkeeping=True, seed="vendor-bills"
        )
        items = {item["accountingEntryId"]: item for item in self.sandbox.export_items(job_uuid)}
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.state, "completed", job.item_ids.mapped("failure_reason"))
        for record in job.item_ids:
            item, bill = items[record.entry_uuid], record.move_id
            self.assertEqual(bill.move_type, "in_invoice")
            self.assertEqual(bill.partner_id.ref, item["vendor"]["code"])
            invoiced, paid = (
                item["amount"]["inSupplierCurrency"],
                item["amount"]["inWalletCurrency"],
            )
            self.assertEqual(bill.currency_id.name, invoiced["currency"])
            self.assertEqual(round(bill.amount_total * 100), invoiced["value"])
            self.assertEqual(round(-bill.amount_total_signed * 100), paid["value"])
            info = item["additionalInformation"]["invoiceInformation"]
            self.assertEqual(bill.ref, info["invoiceNumber"])
            self.assertEqual(record.receipt_count, len(item["files"] or []))

    # ------------------------------------------------------------------ vendors

    def test_vendor_matched_by_each_rule(self):
        id_1, id_2, id_3 = (str(uuid.uuid4()) for _n in range(3))
        by_id = self.env["res.partner"].create({"name": "Matched by id", "is_company": True})
        by_vat = self.env["res.partner"].create(
            {"name": "Matched by VAT", "is_company": True, "vat": "SE 5560-1234 5601"}
        )
        cases = {  # three vendors of Pleo (each its own id), each matched by another rule
            "id": ({**VENDOR, "id": id_1, "externalId": str(by_id.id), "code": "V1001"}, by_id),
            "code": ({**VENDOR, "id": id_2, "externalId": "V1001", "code": "V1001"}, self.vendor),
            "vat": (
                {
                    **VENDOR,
                    "id": id_3,
                    "externalId": "X-1",
                    "code": None,
                    "taxRegistrationNumber": "SE556012345601",
                },
                by_vat,
            ),
        }
        for rule, (vendor, partner) in cases.items():
            with self.subTest(rule=rule):
                item = ap_item(item_line(1000), vendor=vendor, number=f"INV-{rule}")
                records, _job = self.book(item)
                bill = self.assertBooked(records[item["accountingEntryId"]])
                self.assertEqual(bill.partner_id, partner)

    def test_a_matched_vendor_is_found_again_by_its_pleo_id_in_its_company(self):
        """The vendor's Pleo id is kept on the partner a bill matched (in this company): the
        next bill finds it though Pleo's vendor no longer has its reference or VAT number; in
        another company the partner stands for no vendor yet."""
        first = ap_item(item_line(1000), number="INV-A")
        records, _job = self.book(first)
        self.assertEqual(
            self.assertBooked(records[first["accountingEntryId"]]).partner_id, self.vendor
        )
        self.assertEqual(self.vendor.with_company(self.company_a).pleo_vendor_id, VENDOR["id"])
        self.assertFalse(self.vendor.with_company(self.company_b).pleo_vendor_id)
        bare = {**VENDOR, "externalId": None, "code": None, "taxRegistrationNumber": None}
        second = ap_item(item_line(2000), vendor=bare, number="INV-B")
        records, _job = self.book(second)
        self.assertEqual(
            self.assertBooked(records[second["accountingEntryId"]]).partner_id, self.vendor
        )
        # Two partners claiming one vendor: named, never guessed.
        twin = self.env["res.partner"].create({"name": "Office Depot (old)", "is_company": True})
        twin.with_company(self.company_a).pleo_vendor_id = VENDOR["id"]
        third = ap_item(item_line(3000), vendor=bare, number="INV-C")
        records, _job = self.book(third)
        record = records[third["accountingEntryId"]]
        self.assertEqual((record.state, record.failure_type), ("failed", "vendor_unknown"))
        self.assertIn("Office Depot (old)", record.failure_reason)

    def test_vendor_not_matched_fails_and_is_never_guessed_by_name(self):
        self.env["res.partner"].create({"name": "Unknown Supplier ApS", "is_company": True})
        vendor = {
            **VENDOR,
            "name": "Unknown Supplier ApS",
            "externalId": "V9",
            "code": "V9",
            "taxRegistrationNumber": "DK99999999",
        }
        item = ap_item(item_line(1000), vendor=vendor)
        records, job_uuid = self.book(item)
        record = records[item["accountingEntryId"]]
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.failure_type, "vendor_unknown")
        self.assertIn("Pleo vendor Unknown Supplier ApS", record.failure_reason)
        self.assertIn("code V9", record.failure_reason)
        self.assertIn("Create missing vendors", record.failure_reason)
        self.assertFalse(self.moves())
        rows = self.pleo_job(job_uuid)["items"]
        self.assertEqual(rows[0]["failureReasonType"], "vendor_unknown")

    def test_missing_vendor_created_when_the_option_is_on(self):
        self.conn_a.export_create_vendors = True
        vendor = {**VENDOR, "name": "New Vendor GmbH", "externalId": "V7", "code": "V7"}
        vendor["country"], vendor["taxRegistrationNumber"] = "DE", "DE123456789"
        iban = "DE89370400440532013000"
        first = ap_item(item_line(1000), vendor=vendor, bank={"accountNumber": iban})
        second = ap_item(item_line(2000), vendor=vendor, number="INV-2")
        records, _job = self.book(first, second)
        bills = [self.assertBooked(record) for record in records.values()]
        partner = bills[0].partner_id
        self.assertEqual(bills[1].partner_id, partner, "created once")
        self.assertEqual(
            (partner.name, partner.ref, partner.vat, partner.country_id.code),
            ("New Vendor GmbH", "V7", "DE123456789", "DE"),
        )
        self.assertEqual(partner.bank_ids.sanitized_acc_number, "DE89370400440532013000")

    def test_bank_account_mismatch_is_flagged_on_the_bill(self):
        good = ap_item(item_line(1000), bank={"accountNumber": "DK5000400440116243"})
        bad = ap_item(item_line(1000), number="INV-2", bank={"accountNumber": "DK9520000123456789"})
        records, _job = self.book(good, bad)
        good_bill = self.assertBooked(records[good["accountingEntryId"]])
        bad_bill = self.assertBooked(records[bad["accountingEntryId"]])
        self.assertFalse(good_bill.activity_ids)
        activity = bad_bill.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_warning"))
        self.assertIn("DK9520000123456789", activity.note)
        self.assertIn("DK50 0040 0440 1162 43", activity.note)

    # ------------------------------------------------------------ re-exports, totals, receipts

    def test_re_export_of_a_paid_bill(self):
        bill_item = ap_item(item_line(10000))
        self.book(bill_item, payment(10000))
        bill = self.moves().filtered(lambda move: move.move_type == "in_invoice")
        self.assertEqual(bill.payment_state, "paid")
        records, _job = self.book(dict(bill_item))
        self.assertEqual(self.assertBooked(next(iter(records.values()))), bill, "kept as it is")
        changed = ap_item(item_line(11000), accountingEntryId=bill_item["accountingEntryId"])
        records, _job = self.book(changed)
        record = next(iter(records.values()))
        self.assertEqual(record.state, "failed")
        self.assertIn(f"Already booked as {bill.name} and posted", record.failure_reason)
        self.assertEqual(bill.amount_total, 100.0)
        later = copy.deepcopy(bill_item)
        later["additionalInformation"]["invoiceInformation"]["dueDate"] = "2025-04-30T00:00:00Z"
        records, _job = self.book(later)
        self.assertEqual(next(iter(records.values())).state, "failed", "a new due date is a change")
        self.assertEqual(len(self.moves().filtered(lambda m: m.move_type == "in_invoice")), 1)

    def test_re_export_updates_a_draft_bill(self):
        self.conn_a.export_auto_post = False
        bill_item = ap_item(item_line(10000))
        self.book(bill_item)
        changed = ap_item(
            item_line(12500, tax=("I25", 0.25, "inclusive", 2500)),
            accountingEntryId=bill_item["accountingEntryId"],
        )
        records, _job = self.book(changed)
        bill = self.assertBooked(next(iter(records.values())))
        self.assertEqual(bill.amount_total, 125.0)
        self.assertEqual(len(bill.invoice_line_ids), 1)

    def test_totals_equal_pleo_to_the_cent_where_odoo_rounds_otherwise(self):
        """Odoo's 25 % of 8.03 is 2.01; Pleo says 2.00 on each line: the bill keeps Pleo's."""
        item = ap_item(
            item_line(1003, tax=("E25", 0.25, "exclusive", 200), line_id="a"),
            item_line(1003, "6820", tax=("E25", 0.25, "exclusive", 200), line_id="b"),
            item_line(1000, "6830", tax=("RC25", 0.25, "reverse", 250), line_id="c"),
            item_line(-100, "6840", line_id="d"),
        )
        records, _job = self.book(item)
        bill = self.assertBooked(records[item["accountingEntryId"]])
        self.assertEqual(round(bill.amount_total * 100), 2906)
        self.assertEqual(round(bill.amount_untaxed * 100), 2506)
        tax_lines = bill.line_ids.filtered("tax_line_id")
        by_tax = {}
        for line in tax_lines:
            by_tax.setdefault(line.tax_line_id.name, []).append(round(line.balance * 100))
        self.assertEqual(sorted(by_tax["E25"]), [400])
        self.assertEqual(sorted(by_tax["RC25"]), [-250, 250])
        term = bill.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertEqual(round(sum(term.mapped("credit")) * 100), 2906)

    def edited_three_line_bill(self):
        """3 x 10.01 with Pleo's tax 3 x 2.00 (Odoo's global rounding: 6.01), posted, reset
        to draft and its first label edited, as a bookkeeper does."""
        item = ap_item(
            *(
                item_line(1001, tax=("E25", 0.25, "exclusive", 200), line_id=f"l{n}")
                for n in range(3)
            )
        )
        records, _job = self.book(item)
        bill = self.assertBooked(records[item["accountingEntryId"]])
        self.assertEqual((bill.state, bill.amount_total, bill.amount_tax), ("posted", 30.03, 6.0))
        self.assertFalse(bill.pleo_tax_mismatch)
        bill.button_draft()
        with Form(bill) as form:
            with form.invoice_line_ids.edit(0) as line:
                line.name = "Toner, edited"
            self.shown_alerts = form.alerts or {}  # what the form shows before it is saved
        return bill

    def test_edited_draft_bill_warns_when_odoo_recomputes_pleos_tax(self):
        """V7: Odoo's global rounding makes the edited bill 30.04; Pleo pays 30.03."""
        self.assertEqual(self.company_a.tax_calculation_rounding_method, "round_globally")
        bill = self.edited_three_line_bill()
        self.assertEqual(bill.amount_total, 30.04, "Odoo recomputed the tax: 6.01")
        self.assertEqual(bill.pleo_amount_total, 30.03)
        self.assertTrue(bill.pleo_tax_mismatch)
        self.assertEqual(bill.alerts["pleo_tax_mismatch"], self.shown_alerts["pleo_tax_mismatch"])
        alert = bill.alerts["pleo_tax_mismatch"]
        self.assertEqual(alert["level"], "warning")
        message = alert["message"].replace("\xa0", " ")
        self.assertIn("its total is $ 30.04, Pleo's is $ 30.03", message)
        self.assertIn("Per-line tax rounding", message)
        self.assertEqual(
            self.company_a.tax_calculation_rounding_method, "round_globally", "left as it was"
        )

    def test_edited_draft_bill_keeps_pleos_tax_with_per_line_rounding(self):
        self.company_a.tax_calculation_rounding_method = "round_per_line"
        bill = self.edited_three_line_bill()
        self.assertEqual((bill.amount_total, bill.amount_tax), (30.03, 6.0))
        self.assertFalse(bill.pleo_tax_mismatch)
        self.assertNotIn("pleo_tax_mismatch", bill.alerts or {})
        self.assertNotIn("pleo_tax_mismatch", self.shown_alerts)

    def test_purchase_lock_date_of_the_bills_journal(self):
        """A bill is booked in the purchase journal: its lock date applies, as Odoo's own."""
        self.company_a.purchase_lock_date = date(2025, 3, 31)
        item = ap_item(item_line(10000), on="2025-03-04T10:00:00Z")
        records, _job = self.book(item)
        bill = self.assertBooked(records[item["accountingEntryId"]])
        self.assertEqual(bill.date, date(2025, 4, 1), "the first open date, not Odoo's month end")
        self.assertIn("(2025-03-04)", bill.invoice_line_ids.name)
        self.conn_a.export_locked_period = "fail"
        item = ap_item(item_line(10000), number="INV-2", on="2025-03-04T10:00:00Z")
        records, _job = self.book(item)
        record = records[item["accountingEntryId"]]
        self.assertEqual(record.state, "failed")
        self.assertIn("locked in Odoo until 2025-03-31", record.failure_reason)

    def test_journal_method_invoice_has_the_vendor_on_the_payable_line(self):
        """Without vendor-based bookkeeping an invoice is a journal entry: the payable line is
        the vendor's (aged payables, reconciliation), and so are the expense and VAT lines (the
        merchant Pleo names); the employee stays on the wallet and out-of-pocket lines."""
        payable = self.env["account.account"].create(
            {
                "code": "2410",
                "name": "Trade payables",
                "account_type": "liability_payable",
                "company_ids": [self.company_a.id],
            }
        )
        employee = self.partners["E001"]

        def journal():
            return {
                "bookkeeping": {"method": "journal"},
                "vendor": VENDOR,
                "accountingEntryId": str(uuid.uuid4()),
            }

        bill = make_item(
            item_line(12500, tax=("I25", 0.25, "inclusive", 2500)),
            kind="invoice",
            contra="2410",
            **journal(),
        )
        paid = make_item(
            item_line(12500, account="2410"),
            kind="invoice_payment",
            subType="invoice_payment_sent",
            **journal(),
        )
        own_money = make_item(item_line(3000), kind="out_of_pocket", contra="2410", **journal())
        records, _job = self.book(bill, paid, own_money)
        moves = {
            item["accountingEntryId"]: self.assertBooked(records[item["accountingEntryId"]])
            for item in (bill, paid, own_money)
        }
        lines = moves[bill["accountingEntryId"]].line_ids
        self.assertEqual(lines.partner_id, self.vendor, "payable, expense and VAT lines")
        lines = moves[paid["accountingEntryId"]].line_ids
        on_payable = lines.filtered(lambda line: line.account_id == payable)
        self.assertEqual(on_payable.partner_id, self.vendor)
        self.assertEqual((lines - on_payable).partner_id, employee, "the wallet line")
        lines = moves[own_money["accountingEntryId"]].line_ids
        on_payable = lines.filtered(lambda line: line.account_id == payable)
        self.assertEqual(on_payable.partner_id, employee, "out of pocket: the employee's liability")
        self.assertEqual((lines - on_payable).partner_id, self.vendor, "the merchant")
        # Invoice and payment meet on the vendor's payable: they can be reconciled.
        (moves[bill["accountingEntryId"]] | moves[paid["accountingEntryId"]]).line_ids.filtered(
            lambda line: line.account_id == payable
        ).reconcile()
        self.assertEqual(
            moves[bill["accountingEntryId"]]
            .line_ids.filtered(lambda line: line.account_id == payable)
            .amount_residual,
            0.0,
        )

    def test_receipt_is_the_bills_main_attachment(self):
        pdf = b"%PDF-1.4 the supplier's invoice"
        files = [self.sandbox.file_entry(self.sandbox.add_file(pdf, "application/pdf", "inv.pdf"))]
        item = ap_item(item_line(1000), files=files)
        records, _job = self.book(item)
        record = records[item["accountingEntryId"]]
        bill = self.assertBooked(record)
        self.assertEqual(record.receipt_count, 1)
        main = bill.message_main_attachment_id
        self.assertEqual((main.name, base64.b64decode(main.datas)), ("inv.pdf", pdf))


def _money_nodes(node):
    if isinstance(node, dict):
        if "currency" in node and "value" in node:
            yield node
        for value in node.values():
            yield from _money_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _money_nodes(value)


def dk_ap_item(lines, kind="invoice", number="F-1", on="2025-03-10T08:00:00Z", contra="7440"):
    """An accounts-payable item of the Danish company's vendor V1001 (see ``ap_item``)."""
    item = pleo_item(lines, kind=kind, on=on, contra=contra, supplier="Google Ireland")
    item["bookkeeping"] = {"method": "accounts_payable"}
    item["vendor"] = {**VENDOR, "name": "Google Ireland Ltd", "country": "IE"}
    item["additionalInformation"]["invoiceInformation"] = {
        "invoiceNumber": number,
        "invoiceDate": "2025-03-03T00:00:00Z",
        "dueDate": "2025-03-31T00:00:00Z",
        "status": "paid" if kind == "invoice_payment" else "ready",
    }
    if kind == "invoice_payment":
        item["subType"] = "invoice_payment_sent"
    return item


@tagged("post_install", "-at_install", "pleo_export")
class TestPayablesInvoiceCurrency(DanishExportCase):
    """A Danish company (DKK) paying invoices in euros from its DKK wallet.

    Pleo converts the 1,000.00 EUR invoice at 7.46 when it exports it (7,460.00 DKK) and takes
    7,461.20 DKK from the wallet when it pays; Odoo's own rate is 7.459. The bill is in euros,
    its company balances Pleo's; the payment pays 1,000.00 EUR with 7,461.20 DKK, and Odoo
    books the 1.20 DKK exchange loss when it reconciles them: nothing stays open.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor_dk = cls.env["res.partner"].create(
            {"name": "Google Ireland", "is_company": True, "ref": "V1001"}
        )

    def setUp(self):
        super().setUp()
        self.conn_dk.export_auto_post = True

    def payable_lines(self, partner=None):
        """The posted lines on the vendor's payable account (bills, payments, exchange)."""
        payable = (partner or self.vendor_dk).with_company(self.dk).property_account_payable_id
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", self.dk.id),
                ("account_id", "=", payable.id),
                ("partner_id", "=", (partner or self.vendor_dk).id),
                ("parent_state", "=", "posted"),
            ]
        )

    def assertNothingOpen(self, partner=None):
        lines = self.payable_lines(partner)
        self.assertTrue(lines)
        self.assertEqual(sum(round(line.amount_residual * 100) for line in lines), 0)
        self.assertEqual(sum(round(line.amount_residual_currency * 100) for line in lines), 0)
        self.assertEqual(
            sum(round(line.balance * 100) for line in lines), 0, "the vendor's balance in DKK"
        )

    def eu_service(self, eur, dkk, tax_eur, tax_dkk):
        return pleo_line(
            dkk,
            "1850",
            ("K_EU_Ydelser_FuldFradrag", 0.25, "reverse", tax_dkk, tax_eur),
            supplier=("EUR", eur),
        )

    def test_eur_invoice_on_the_dkk_wallet_is_a_eur_bill_paid_with_exchange_difference(self):
        invoice = dk_ap_item([self.eu_service(100000, 746000, 25000, 186500)])
        paid = dk_ap_item(
            [pleo_line(746120, "7440", supplier=("EUR", 100000))],
            kind="invoice_payment",
            on="2025-03-20T08:00:00Z",
            contra="6485",
        )
        bill, payment = self.book(invoice, paid)
        eur = self.eur
        self.assertEqual((bill.move_type, bill.currency_id), ("in_invoice", eur))
        self.assertEqual(bill.amount_total, 1000.0, "Pleo's total in euros")
        self.assertEqual(bill.amount_total_signed, -7460.0, "Pleo's wallet amount, not 7,459.00")
        self.assertEqual(bill.pleo_amount_total, 1000.0)
        expense = bill.line_ids.filtered(lambda line: line.display_type == "product")
        self.assertEqual((expense.amount_currency, expense.balance), (1000.0, 7460.0))
        rc = sorted((t.amount_currency, t.balance) for t in self.tax_lines(bill))
        self.assertEqual(rc, [(-250.0, -1865.0), (250.0, 1865.0)], "Pleo's VAT, both currencies")
        wallet = payment.line_ids.filtered(lambda line: line.account_id == self.wallet)
        self.assertEqual((wallet.amount_currency, wallet.balance), (-1000.0, -7461.2))
        self.assertEqual(payment.origin_payment_id.journal_id, self.journal_dk)
        self.assertEqual(bill.payment_state, "paid")
        self.assertNothingOpen()
        partials = bill.line_ids.matched_debit_ids | bill.line_ids.matched_credit_ids
        exchange = partials.exchange_move_id
        self.assertTrue(exchange, "Odoo booked the exchange difference")
        loss = exchange.line_ids.filtered(
            lambda line: line.account_id == self.dk.expense_currency_exchange_account_id
        )
        self.assertEqual(loss.balance, 1.2, "the 1.20 DKK exchange loss")

    def test_returned_payment_of_a_eur_bill_opens_it_again_in_euros(self):
        invoice = dk_ap_item([self.eu_service(100000, 746000, 25000, 186500)])
        sent, back = (
            dk_ap_item(
                [pleo_line(746120, "7440", supplier=("EUR", 100000))],
                kind="invoice_payment",
                on=on,
                contra="6485",
            )
            for on in ("2025-03-20T08:00:00Z", "2025-03-21T08:00:00Z")
        )
        back["subType"] = "invoice_payment_returned"
        bill, _sent, returned = self.book(invoice, sent, back)
        wallet = returned.line_ids.filtered(lambda line: line.account_id == self.wallet)
        self.assertEqual((wallet.amount_currency, wallet.balance), (1000.0, 7461.2))
        self.assertEqual(bill.payment_state, "not_paid")
        self.assertEqual((bill.amount_residual, bill.amount_residual_signed), (1000.0, -7460.0))
        balance = sum(round(line.balance * 100) for line in self.payable_lines())
        self.assertEqual(balance, -746000, "owed as billed: the exchange loss is undone")

    def test_draft_eur_bill_posted_after_its_payment_has_nothing_open(self):
        """A draft bill is reconciled when it is posted: the payment's euros still match."""
        self.conn_dk.export_auto_post = False
        invoice = dk_ap_item([self.eu_service(100000, 746000, 25000, 186500)])
        (bill,) = self.book(invoice)
        paid = dk_ap_item(
            [pleo_line(746120, "7440", supplier=("EUR", 100000))],
            kind="invoice_payment",
            on="2025-03-20T08:00:00Z",
            contra="6485",
        )
        self.book(paid)
        self.assertEqual(bill.state, "draft")
        bill.action_post()
        self.assertEqual(bill.payment_state, "paid")
        self.assertNothingOpen()

    def test_payment_with_the_wallet_figures_only_pays_the_eur_bill(self):
        """Whether Pleo sends an invoice payment's supplier amount in the invoice's currency is
        unknown (sandbox switch ``invoice_payment_currency``): with the wallet's figures only,
        Pleo's payment still pays the invoice, and the difference is an exchange loss; also
        when the payment comes before its bill in the job."""
        self.sandbox.behaviour.invoice_payment_currency = "wallet"
        for number, payment_first in (("F-1", False), ("F-2", True)):
            with self.subTest(payment_first=payment_first):
                partner = self.env["res.partner"].create(
                    {"name": f"Google {number}", "is_company": True, "ref": number}
                )
                invoice = dk_ap_item(
                    [self.eu_service(100000, 746000, 25000, 186500)], number=number
                )
                paid = dk_ap_item(
                    [pleo_line(746120, "7440", supplier=("EUR", 100000))],
                    kind="invoice_payment",
                    number=number,
                    on="2025-03-20T08:00:00Z",
                    contra="6485",
                )
                vendor_id = str(uuid.uuid5(uuid.NAMESPACE_URL, number))  # a vendor of its own
                for item in (invoice, paid):
                    item["vendor"] = {
                        **item["vendor"],
                        "id": vendor_id,
                        "code": number,
                        "externalId": number,
                    }
                items = [paid, invoice] if payment_first else [invoice, paid]
                job_uuid = self.add_job(items=items, pleo_company=self.pleo_dk)
                served = next(
                    item
                    for item in self.sandbox.export_items(job_uuid)
                    if item["type"] == "invoice_payment"
                )
                self.assertEqual(
                    served["amount"]["inSupplierCurrency"],
                    {"currency": "DKK", "value": 746120},
                    "the switch applies",
                )
                self.run_export()
                records = {r.entry_uuid: r for r in self.job(job_uuid).item_ids}
                bill = records[invoice["accountingEntryId"]].move_id
                payment = records[paid["accountingEntryId"]].move_id
                wallet = payment.line_ids.filtered(lambda line: line.account_id == self.wallet)
                self.assertEqual((wallet.amount_currency, wallet.balance), (-1000.0, -7461.2))
                self.assertEqual(bill.payment_state, "paid")
                self.assertNothingOpen(partner)

    def test_eur_credit_note_back_to_the_dkk_wallet(self):
        refund = dk_ap_item(
            [self.eu_service(-20000, -149200, -5000, -37300)], kind="refund", contra="6485"
        )
        (note,) = self.book(refund)
        self.assertEqual((note.move_type, note.currency_id), ("in_refund", self.eur))
        self.assertEqual(note.amount_total, 200.0)
        self.assertEqual(note.amount_total_signed, 1492.0)
        rc = sorted((t.amount_currency, t.balance) for t in self.tax_lines(note))
        self.assertEqual(rc, [(-50.0, -373.0), (50.0, 373.0)])
        self.assertEqual(note.payment_state, "paid")
        back = self.env["account.move"].search(
            [("pleo_entry_uuid", "=", f"{refund['accountingEntryId']}:payment")]
        )
        wallet = back.line_ids.filtered(lambda line: line.account_id == self.wallet)
        self.assertEqual((wallet.amount_currency, wallet.balance), (200.0, 1492.0))
        self.assertNothingOpen()

    def test_dkk_invoice_on_the_dkk_wallet_is_unchanged(self):
        full = ("K_DK_FuldFradrag", 0.25, "inclusive")
        invoice = dk_ap_item([pleo_line(125000, "2450", (*full, 25000))])
        paid = dk_ap_item([pleo_line(125000, "7440")], kind="invoice_payment", contra="6485")
        bill, payment = self.book(invoice, paid)
        self.assertEqual(bill.currency_id, self.dkk)
        self.assertEqual((bill.amount_total, bill.amount_tax), (1250.0, 250.0))
        self.assertEqual(bill.amount_total_signed, -1250.0)
        self.assertEqual(payment.origin_payment_id.currency_id, self.dkk)
        self.assertEqual(payment.origin_payment_id.amount, 1250.0)
        self.assertEqual(bill.payment_state, "paid")
        partials = bill.line_ids.matched_debit_ids | bill.line_ids.matched_credit_ids
        self.assertFalse(partials.exchange_move_id)
        self.assertNothingOpen()

    def test_dkk_card_invoice_paid_from_the_eur_wallet(self):
        """A Danish invoice of 1,250.00 incl. 250.00 VAT paid by card from the EUR wallet
        (167.56 EUR): a DKK bill with the invoice's own figures; the payment takes 167.56 EUR
        from the wallet, worth the 1,250.00 DKK it paid."""
        full = ("K_DK_FuldFradrag", 0.25, "inclusive")
        card = dk_ap_item(
            [
                pleo_line(
                    16756, "2450", (*full, 3351, 25000), wallet="EUR", supplier=("DKK", 125000)
                )
            ],
            kind="card_invoice",
            contra="6486",
        )
        (bill,) = self.book(card)
        self.assertEqual(bill.currency_id, self.dkk)
        self.assertEqual((bill.amount_total, bill.amount_tax), (1250.0, 250.0))
        self.assertEqual(bill.payment_state, "paid")
        paid = self.env["account.move"].search(
            [("pleo_entry_uuid", "=", f"{card['accountingEntryId']}:payment")]
        )
        wallet = paid.line_ids.filtered(lambda line: line.account_id == self.eur_wallet)
        self.assertEqual((wallet.currency_id, wallet.amount_currency), (self.eur, -167.56))
        self.assertEqual(wallet.balance, -1250.0)
        self.assertNothingOpen()

    def test_invoice_in_an_inactive_currency_fails_with_what_to_do(self):
        nok = self.env.ref("base.NOK")
        nok.active = False
        invoice = dk_ap_item([pleo_line(680000, "1850", supplier=("NOK", 1000000))], number="NO-1")
        record = self.book_failing(invoice)
        self.assertEqual(record.failure_type, "invalid_configuration")
        self.assertIn("This Pleo invoice is in NOK", record.failure_reason)
        self.assertIn(
            "activate NOK in Invoicing › Configuration › Currencies", record.failure_reason
        )
        nok.active = True
        (bill,) = self.book(invoice)
        self.assertEqual((bill.currency_id, bill.amount_total), (nok, 10000.0))
        self.assertEqual(bill.amount_total_signed, -6800.0)
