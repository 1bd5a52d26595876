# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Booking Pleo's exports: every item type as a balanced entry equal to Pleo's totals, VAT
through Odoo's taxes, mappings and their failures, re-exports, locked periods, receipts.

Jobs come from the sandbox (its generator, or items written here); the export cron runs as the
scheduler would, and what Pleo was told is read back from the sandbox.
"""

import base64
import uuid
from datetime import date
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.pleo_connector.pleolib.posting import ITEM_TYPES

from .common import ExportCase

TYPES = tuple(sorted(ITEM_TYPES))


def item_line(amount, account="6810", tax=None, tags=(), line_id="l1"):
    """One ``ExportItemLineV3`` in USD (``tax`` = (code, rate, type, tax amount))."""
    line = {
        "accountingEntryLineId": line_id,
        "lineAmount": {
            "inSupplierCurrency": {"currency": "USD", "value": amount},
            "inWalletCurrency": {"currency": "USD", "value": amount},
        },
        "netAmount": {
            "inSupplierCurrency": {"currency": "USD", "value": amount - (tax[3] if tax else 0)},
            "inWalletCurrency": {"currency": "USD", "value": amount - (tax[3] if tax else 0)},
        },
        "account": {"id": f"acc-{account}", "name": f"Account {account}", "code": account},
        "tags": [{"id": f"tag-{code}", "code": code, "groupCode": group} for group, code in tags],
    }
    if tax:
        code, rate, kind, tax_amount = tax
        line["tax"] = {
            "id": f"tax-{code}",
            "code": code,
            "rate": rate,
            "type": kind,
            "amount": {
                "inSupplierCurrency": {"currency": "USD", "value": tax_amount},
                "inWalletCurrency": {"currency": "USD", "value": tax_amount},
            },
            "ingoingTaxAccount": "6320",
            "outgoingTaxAccount": "6330",
        }
    return line


def make_item(*lines, kind="card_purchase", on="2025-03-04T10:00:00Z", contra="5850", **extra):
    total = sum(line["lineAmount"]["inWalletCurrency"]["value"] for line in lines)
    item = {
        "companyId": "ignored",
        "type": kind,
        "date": on,
        "amount": {
            "inSupplierCurrency": {"currency": "USD", "value": total},
            "inWalletCurrency": {"currency": "USD", "value": total},
        },
        "accountingEntryLines": list(lines),
        "contraAccount": {"id": "contra", "name": "Pleo wallet", "code": contra},
        "additionalInformation": {"reconciliationId": "BOOK-1"},
        "supplier": {"name": "Office Depot"},
        "user": {"id": "u1", "name": "Anna Jensen", "code": "E001"},
        "note": "Printer paper",
        "_links": {"web": {"href": "https://app.pleo.io/expenses/1"}},
    }
    item.update(extra)
    return item


@tagged("post_install", "-at_install", "pleo_export")
class TestExportBooking(ExportCase):
    def test_cron_record(self):
        cron = self.env.ref("pleo_connector.ir_cron_pleo_export")
        self.assertEqual((cron.interval_number, cron.interval_type), (10, "minutes"))
        self.assertEqual(cron.code.strip(), "model._cron_pleo_export()")

    def test_every_item_type_is_booked_balanced_and_reported(self):
        job_uuid = self.add_job(n=2 * len(TYPES), types=TYPES, seed="all-types")
        items = {item["accountingEntryId"]: item for item in self.sandbox.export_items(job_uuid)}
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.state, "completed", job.item_ids.mapped("failure_reason"))
        self.assertEqual(job.booked_count, len(items))
        self.assertEqual(set(job.item_ids.mapped("item_type")), set(TYPES))
        for record in job.item_ids:
            self.assertBalancedAsPleo(record.move_id, items[record.entry_uuid])
            self.assertEqual(record.move_id.pleo_entry_uuid, record.entry_uuid)
            self.assertEqual(record.move_id.state, "draft")  # export_auto_post is off
        pleo = self.pleo_job(job_uuid)
        self.assertEqual(pleo["status"], "completed")
        by_entry = {row["accountingEntryId"]: row for row in pleo["items"]}
        for record in job.item_ids:
            row = by_entry[record.entry_uuid]
            self.assertEqual(row["status"], "successful")
            self.assertEqual(row["externalId"], str(record.move_id.id))
            self.assertTrue(row["externalUrl"].endswith(f"/odoo/account.move/{record.move_id.id}"))
        self.assertEqual(
            [e["event"] for e in pleo["events"]], ["started", "completed"], pleo["events"]
        )

    def test_vat_goes_through_odoo_taxes(self):
        """Inclusive VAT: the expense line carries the tax, the tax line its repartition line
        and grid, and the amounts are Pleo's (125.00 = 100.00 + 25.00)."""
        item = make_item(item_line(12500, tax=("I25", 0.25, "inclusive", 2500)))
        job_uuid = self.add_job(items=[item])
        self.run_export()
        move = self.job(job_uuid).item_ids.move_id
        expense = move.line_ids.filtered(lambda line: line.account_id.code == "6810")
        tax_line = move.line_ids.filtered("tax_line_id")
        contra = move.line_ids.filtered(lambda line: line.account_id.code == "5850")
        self.assertEqual((expense.debit, tax_line.debit, contra.credit), (100.0, 25.0, 125.0))
        self.assertEqual(expense.tax_ids, self.taxes["I25"])
        self.assertEqual(tax_line.tax_line_id, self.taxes["I25"])
        self.assertEqual(tax_line.account_id, self.accounts["6320"])
        self.assertEqual(expense.tax_tag_ids, self.grid_base)
        self.assertEqual(tax_line.tax_tag_ids, self.grid_tax)
        self.assertEqual(tax_line.tax_base_amount, 100.0)
        self.assertEqual(move.ref, "BOOK-1")
        self.assertEqual(move.pleo_web_url, "https://app.pleo.io/expenses/1")
        self.assertIn("Office Depot", expense.name)
        self.assertEqual(expense.partner_id, self.partners["E001"])

    def test_reverse_charge_books_both_sides(self):
        item = make_item(item_line(10000, account="6830", tax=("RC25", 0.25, "reverse", 2500)))
        job_uuid = self.add_job(items=[item])
        self.run_export()
        move = self.job(job_uuid).item_ids.move_id
        tax_lines = move.line_ids.filtered("tax_line_id")
        self.assertEqual(sorted(tax_lines.mapped("balance")), [-25.0, 25.0])
        self.assertEqual(
            set(tax_lines.mapped("account_id.code")), {"6320", "6330"}, "ingoing and outgoing"
        )
        expense = move.line_ids.filtered(lambda line: line.account_id.code == "6830")
        self.assertEqual(expense.debit, 100.0)
        self.assertEqual(
            move.line_ids.filtered(lambda line: line.account_id.code == "5850").credit, 100.0
        )

    def test_split_lines_and_tags(self):
        item = make_item(
            item_line(3000, "6810", tags=[("DEPT", "SALES")], line_id="a"),
            item_line(
                4501,
                "6820",
                tax=("E25", 0.25, "exclusive", 900),
                tags=[("PROJ", "P100")],
                line_id="b",
            ),
        )
        job_uuid = self.add_job(items=[item])
        self.run_export()
        move = self.job(job_uuid).item_ids.move_id
        by_code = {line.account_id.code: line for line in move.line_ids}
        self.assertEqual(by_code["6810"].debit, 30.0)
        self.assertEqual(by_code["6820"].debit, 36.01)
        self.assertEqual(by_code["6320"].debit, 9.0)
        self.assertEqual(by_code["5850"].credit, 75.01)
        self.assertEqual(
            by_code["6810"].analytic_distribution, {str(self.analytics["SALES"].id): 100.0}
        )
        self.assertEqual(
            by_code["6820"].analytic_distribution, {str(self.analytics["P100"].id): 100.0}
        )

    def test_foreign_wallet_currency(self):
        """A DKK wallet in a USD company: amount_currency in DKK (in the merchant's currency on
        the lines of a purchase made in another), company amounts at Odoo's rate of the item's
        date, balanced to the cent."""
        dkk = self.env.ref("base.DKK")
        self.env["res.currency.rate"].create(
            {
                "name": "2025-01-01",
                "rate": 6.8,
                "currency_id": dkk.id,
                "company_id": self.company_a.id,
            }
        )
        job_uuid = self.add_job(
            n=12, wallet_currency="DKK", seed="dkk", types=["card_purchase", "refund"]
        )
        items = {i["accountingEntryId"]: i for i in self.sandbox.export_items(job_uuid)}
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.state, "completed", job.item_ids.mapped("failure_reason"))
        for record in job.item_ids:
            move = record.move_id
            self.assertEqual(move.currency_id, dkk)
            self.assertBalancedAsPleo(move, items[record.entry_uuid])
            self.assertEqual(sum(round(line.balance * 100) for line in move.line_ids), 0)
            supplier = items[record.entry_uuid]["amount"]["inSupplierCurrency"]["currency"]
            for line in move.line_ids:
                self.assertIn(line.currency_id.name, {"DKK", supplier})
                if line.currency_id == dkk:
                    self.assertAlmostEqual(line.balance, line.amount_currency / 6.8, delta=0.011)

    def test_refunds_run_the_other_way_whatever_the_sign(self):
        for sign in ("positive", "negative"):
            with self.subTest(sign=sign):
                self.sandbox.behaviour.refund_sign = sign
                purchase = make_item(item_line(5000, tax=("I25", 0.25, "inclusive", 1000)))
                refund = make_item(
                    item_line(5000, tax=("I25", 0.25, "inclusive", 1000)), kind="refund"
                )
                job_uuid = self.add_job(items=[purchase, refund])
                self.run_export()
                records = self.job(job_uuid).item_ids
                self.assertEqual(records.mapped("state"), ["booked", "booked"])
                by_type = {r.item_type: r.move_id for r in records}
                contra = {
                    kind: move.line_ids.filtered(
                        lambda line: line.account_id.code == "5850"
                    ).balance
                    for kind, move in by_type.items()
                }
                self.assertEqual(contra, {"card_purchase": -50.0, "refund": 50.0})
                refund_tax = by_type["refund"].line_ids.filtered("tax_line_id")
                self.assertEqual(refund_tax.balance, -10.0)
                self.assertEqual(refund_tax.tax_repartition_line_id.document_type, "refund")

    def test_unknown_codes_fail_their_item_with_a_reason_and_the_rest_books(self):
        good = make_item(item_line(1000))
        bad_account = make_item(item_line(1000, account="9999"))
        bad_tax = make_item(item_line(1000, tax=("X99", 0.25, "inclusive", 200)))
        bad_tag = make_item(item_line(1000, tags=[("DEPT", "NOPE")]))
        job_uuid = self.add_job(items=[good, bad_account, bad_tax, bad_tag])
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.state, "completed_with_errors")
        failed = {r.failure_type: r.failure_reason for r in job.item_ids if r.state == "failed"}
        self.assertEqual(set(failed), {"account_unknown", "tax_code_unknown", "tag_unknown"})
        self.assertIn(
            "Pleo account 9999 'Account 9999' has no Odoo account with code 9999 in "
            f"{self.company_a.name}: create it or map it in Pleo Connections › "
            f"{self.company_a.name} › Accounts.",
            failed["account_unknown"],
        )
        self.assertIn("X99", failed["tax_code_unknown"])
        self.assertIn("NOPE", failed["tag_unknown"])
        self.assertEqual(len(self.moves()), 1, "only the good item is booked")
        pleo = self.pleo_job(job_uuid)
        self.assertEqual(pleo["status"], "completed_with_errors")
        rows = {row["accountingEntryId"]: row for row in pleo["items"]}
        for record in job.item_ids.filtered(lambda r: r.state == "failed"):
            self.assertEqual(rows[record.entry_uuid]["status"], "failed")
            self.assertEqual(rows[record.entry_uuid]["failureReasonType"], record.failure_type)
            self.assertEqual(rows[record.entry_uuid]["failureReason"], record.failure_reason)
        activity = job.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("9999", activity.note)

    def test_mapping_rows_take_precedence(self):
        self.env["pleo.export.mapping"].create(
            [
                {
                    "connection_id": self.conn_a.id,
                    "kind": "account",
                    "pleo_code": "9999",
                    "account_id": self.accounts["6840"].id,
                },
                {
                    "connection_id": self.conn_a.id,
                    "kind": "tax",
                    "pleo_code": "X25",
                    "tax_id": self.taxes["E25"].id,
                },
                {
                    "connection_id": self.conn_a.id,
                    "kind": "tag",
                    "pleo_code": "DEPT/NOPE",
                    "analytic_account_id": self.analytics["OPS"].id,
                },
            ]
        )
        item = make_item(
            item_line(
                1000, account="9999", tax=("X25", 0.25, "exclusive", 200), tags=[("DEPT", "NOPE")]
            )
        )
        job_uuid = self.add_job(items=[item])
        self.run_export()
        move = self.job(job_uuid).item_ids.move_id
        expense = move.line_ids.filtered(lambda line: line.account_id == self.accounts["6840"])
        self.assertEqual(expense.tax_ids, self.taxes["E25"])
        self.assertEqual(expense.analytic_distribution, {str(self.analytics["OPS"].id): 100.0})

    def test_tax_rate_mismatch_is_a_configuration_failure(self):
        item = make_item(item_line(1000, tax=("I12", 0.25, "inclusive", 200)))
        job_uuid = self.add_job(items=[item])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.failure_type, "invalid_configuration")
        self.assertIn("25%", record.failure_reason)
        self.assertIn("12%", record.failure_reason)

    def test_auto_post(self):
        """A purchase with its receipt is posted (without one it stays in draft: see
        test_export_receipts)."""
        self.conn_a.export_auto_post = True
        url = self.sandbox.add_file(b"%PDF-1.4 r", "application/pdf", "r.pdf")
        job_uuid = self.add_job(
            items=[make_item(item_line(1000), files=[self.sandbox.file_entry(url)])]
        )
        self.run_export()
        self.assertEqual(self.job(job_uuid).item_ids.move_id.state, "posted")

    def test_locked_period_books_on_the_first_open_date(self):
        self.company_a.fiscalyear_lock_date = date(2025, 3, 31)
        job_uuid = self.add_job(items=[make_item(item_line(1000), on="2025-03-04T10:00:00Z")])
        self.run_export()
        move = self.job(job_uuid).item_ids.move_id
        self.assertEqual(move.date, date(2025, 4, 1))
        self.assertIn("2025-03-04", move.line_ids[0].name)

    def test_locked_period_can_fail_the_item(self):
        self.company_a.fiscalyear_lock_date = date(2025, 3, 31)
        self.conn_a.export_locked_period = "fail"
        job_uuid = self.add_job(items=[make_item(item_line(1000), on="2025-03-04T10:00:00Z")])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "failed")
        self.assertIn("locked in Odoo until 2025-03-31", record.failure_reason)
        self.assertFalse(self.moves())

    def test_re_export_of_draft_posted_unchanged_and_posted_changed(self):
        draft, posted, changed = (
            make_item(item_line(cents), accountingEntryId=str(uuid.uuid4()))
            for cents in (1000, 2000, 3000)
        )
        first = self.add_job(items=[draft, posted, changed])
        self.run_export()
        records = {r.entry_uuid: r for r in self.job(first).item_ids}
        moves = {entry: record.move_id for entry, record in records.items()}
        entries = [item["accountingEntryId"] for item in (draft, posted, changed)]
        moves[entries[1]].action_post()
        moves[entries[2]].action_post()
        # Pleo re-exports the three; the first and third changed in between.
        draft2 = make_item(item_line(1100), accountingEntryId=entries[0])
        changed2 = make_item(item_line(3300), accountingEntryId=entries[2])
        posted2 = {**posted, "accountingEntryId": entries[1]}
        second = self.add_job(items=[draft2, posted2, changed2])
        self.run_export()
        again = {r.entry_uuid: r for r in self.job(second).item_ids}
        self.assertEqual(len(self.moves()), 3, "nothing booked twice")
        self.assertEqual(again[entries[0]].move_id, moves[entries[0]], "draft updated in place")
        self.assertEqual(moves[entries[0]].amount_total, 11.0)
        self.assertEqual(again[entries[1]].state, "booked")
        self.assertEqual(again[entries[1]].move_id, moves[entries[1]])
        self.assertEqual(again[entries[2]].state, "failed")
        self.assertIn(
            f"Already booked as {moves[entries[2]].name} and posted",
            again[entries[2]].failure_reason,
        )
        self.assertIn("reset it to draft or reverse it", again[entries[2]].failure_reason)
        self.assertEqual(moves[entries[2]].amount_total, 30.0, "a posted entry is never changed")
        self.assertEqual(self.pleo_job(second)["status"], "completed_with_errors")

    def test_missing_journal_fails_the_job_with_its_reason(self):
        self.conn_a.export_journal_id = False
        self.conn_a.flush_recordset()
        job_uuid = self.add_job(items=[make_item(item_line(1000))])
        self.run_export()
        pleo = self.pleo_job(job_uuid)
        self.assertEqual(pleo["status"], "failed")
        self.assertEqual(pleo["failureReasonType"], "missing_configuration")
        self.assertIn("No journal is set", pleo["failureReason"])
        self.assertEqual(self.job(job_uuid).state, "failed")
        self.assertFalse(self.moves())


@tagged("post_install", "-at_install", "pleo_export")
class TestExportReceipts(ExportCase):
    def test_receipts_are_attached_and_never_get_the_key(self):
        pdf = b"%PDF-1.4 receipt of the printer paper"
        png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
        files = [
            self.sandbox.file_entry(self.sandbox.add_file(pdf, "application/pdf", "paper.pdf")),
            self.sandbox.file_entry(self.sandbox.add_file(png, "image/png", "photo.png")),
        ]
        job_uuid = self.add_job(items=[make_item(item_line(1000), files=files)])
        self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.state, "booked", record.failure_reason)
        self.assertEqual(record.receipt_count, 2)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", record.move_id.id)]
        )
        self.assertEqual(
            sorted((a.name, a.mimetype, base64.b64decode(a.datas)) for a in attachments),
            [("paper.pdf", "application/pdf", pdf), ("photo.png", "image/png", png)],
        )
        self.assertIn(record.move_id.message_main_attachment_id, attachments)
        seen = self.sandbox.file_requests
        self.assertEqual(len(seen), 2, seen)
        self.assertFalse(any(request.had_authorization for request in seen))

    def test_bad_receipts_fail_their_item(self):
        cases = {
            "not_found": "receipt_download_failure",
            "wrong_type": "receipt_conversion_failure",
            "too_big": "receipt_file_size_limit_exceeded",
        }
        items = []
        for fault in cases:
            url = self.sandbox.add_file(
                b"%PDF-1.4 x", "application/pdf", f"{fault}.pdf", fault=fault
            )
            items.append(
                make_item(item_line(1000), files=[self.sandbox.file_entry(url)], note=fault)
            )
        items.append(make_item(item_line(1000)))
        job_uuid = self.add_job(items=items)
        self.run_export()
        job = self.job(job_uuid)
        failures = {
            r.label.split()[-1]: r.failure_type for r in job.item_ids if r.state == "failed"
        }
        self.assertEqual(failures, cases, job.item_ids.mapped("failure_reason"))
        self.assertEqual(job.booked_count, 1)
        self.assertEqual(len(self.moves()), 1)
        for reason in job.item_ids.mapped("failure_reason"):
            self.assertNotIn("?", reason or "", "no presigned query string in a reason")

    def test_receipts_over_plain_http_need_the_server_option(self):
        url = self.sandbox.add_file(b"%PDF-1.4 a", "application/pdf", "a.pdf")
        with patch.dict(config.options, {"pleo_receipts_allow_http": ""}):
            job_uuid = self.add_job(
                items=[make_item(item_line(1000), files=[self.sandbox.file_entry(url)])]
            )
            self.run_export()
        record = self.job(job_uuid).item_ids
        self.assertEqual(record.failure_type, "receipt_download_failure")
        self.assertIn("https", record.failure_reason)
        self.assertFalse(self.sandbox.file_requests, "nothing was fetched")

    def test_an_entry_odoo_refuses_fails_alone(self):
        """A page's new entries are created together; when Odoo refuses one, the page is booked
        one by one and only that expense fails, with Odoo's reason."""
        self.conn_a.export_auto_post = True
        url = self.sandbox.add_file(b"%PDF-1.4 r", "application/pdf", "r.pdf")
        good = make_item(item_line(1000), files=[self.sandbox.file_entry(url)])
        bad = make_item(
            item_line(2000),
            files=[self.sandbox.file_entry(url)],
            additionalInformation={"reconciliationId": "REFUSED"},
        )
        move_class = type(self.env["account.move"])
        original = move_class._post

        def refusing(moves, soft=True):
            if "REFUSED" in moves.mapped("ref"):
                raise UserError("The fiscal position forbids this entry.")  # pylint: disable=translation-required
            return original(moves, soft=soft)

        job_uuid = self.add_job(items=[good, bad])
        with patch.object(move_class, "_post", refusing):
            self.run_export()
        records = {r.move_id.ref or r.failure_type: r for r in self.job(job_uuid).item_ids}
        self.assertEqual(records["BOOK-1"].move_id.state, "posted")
        failed = records["accounting_system_validation_failure"]
        self.assertEqual(
            failed.failure_reason, "Odoo refused the entry: The fiscal position forbids this entry."
        )
        self.assertEqual(len(self.moves()), 1, "the refused entry is not kept")


@tagged("post_install", "-at_install", "pleo_export")
class TestFailuresThatClear(ExportCase):
    def test_a_failure_booked_by_a_later_export_clears(self):
        """A bookkeeper maps the unknown account and exports again: the failed item of the
        first export is marked booked later, with the entry; that export leaves the Failed
        filter, shows completed and its 'fix what failed' activity is closed."""
        failing = make_item(item_line(1000, account="9999"))
        failing["accountingEntryId"] = "0a5d7a52-53c8-4a4e-9a7c-0b9cbd6f7e01"
        first = self.add_job(items=[failing, make_item(item_line(500))])
        self.run_export()
        job = self.job(first)
        self.assertEqual((job.state, job.failed_count), ("completed_with_errors", 1))
        self.assertEqual(len(job.activity_ids), 1)
        Item = self.env["pleo.export.item"]
        self.assertEqual(Item.search_count([("state", "=", "failed")]), 1)
        self.env["pleo.export.mapping"].create(
            {
                "connection_id": self.conn_a.id,
                "kind": "account",
                "pleo_code": "9999",
                "account_id": self.accounts["6840"].id,
            }
        )
        second = self.add_job(items=[dict(failing)])
        self.run_export()
        later = self.job(second).item_ids
        self.assertEqual(later.state, "booked")
        old = job.item_ids.filtered(lambda i: i.entry_uuid == failing["accountingEntryId"])
        self.assertEqual(old.state, "resolved")
        self.assertEqual(old.move_id, later.move_id)
        self.assertEqual(old.resolved_by_id, later)
        self.assertEqual(Item.search_count([("state", "=", "failed")]), 0, "the Failed filter")
        self.assertEqual((job.state, job.failed_count), ("completed", 0))
        # Its counters add up: 1 booked here, 1 booked later, 0 failed, of 2.
        self.assertEqual(
            (job.item_count, job.booked_count, job.resolved_count, job.failed_count), (2, 1, 1, 0)
        )
        self.assertFalse(job.activity_ids, "the activity is closed")
        self.assertIn("booked by a later export", job.message_ids[0].body)

    def test_a_failure_still_open_keeps_its_activity(self):
        one = make_item(item_line(1000, account="9999"))
        one["accountingEntryId"] = "3c1f6f0e-2d1b-4a9e-8f57-6c2b4d0e9a11"
        two = make_item(item_line(700, account="9998"))
        first = self.add_job(items=[one, two])
        self.run_export()
        job = self.job(first)
        self.env["pleo.export.mapping"].create(
            {
                "connection_id": self.conn_a.id,
                "kind": "account",
                "pleo_code": "9999",
                "account_id": self.accounts["6840"].id,
            }
        )
        self.add_job(items=[dict(one)])
        self.run_export()
        self.assertEqual(
            sorted(job.item_ids.mapped("state")), ["failed", "resolved"], "9998 is still open"
        )
        self.assertEqual((job.state, job.failed_count), ("completed_with_errors", 1))
        self.assertEqual(len(job.activity_ids), 1)
        self.assertIn("9998", job.activity_ids.note, "the activity lists what is still open")
        self.assertNotIn("9999", job.activity_ids.note)

    def test_the_activity_lists_each_fix_once(self):
        """Three expenses on one unknown account are one fix (with its count), not three
        bullets; a different fix is its own bullet."""
        items = [make_item(item_line(100 + n, account="9999")) for n in range(3)]
        items.append(make_item(item_line(700, account="9998")))
        job_uuid = self.add_job(items=items)
        self.run_export()
        note = self.job(job_uuid).activity_ids.note
        self.assertEqual(note.count("<li>"), 2, note)
        self.assertEqual(note.count("9999 'Account 9999'"), 1)
        self.assertIn("(3 expenses)", note)
        self.assertIn("9998", note)

    def test_an_export_is_named_in_the_readers_time_zone(self):
        job = self.env["pleo.export.job"].create(
            {
                "connection_id": self.conn_a.id,
                "pleo_job_uuid": "8c7c1f8e-7d0a-4e53-9b1d-2f7f7f7f7f7f",
                "pleo_created_at": "2026-03-31 22:30:00",
            }
        )
        copenhagen = job.with_context(tz="Europe/Copenhagen", lang="en_US").display_name
        self.assertIn("4/1/26", copenhagen)  # 00:30 on 1 April in Copenhagen
        self.assertIn("12:30", copenhagen)
        self.assertIn("3/31/26", job.with_context(tz="UTC", lang="en_US").display_name)
