# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who a Pleo entry's lines are with, and what it keeps for the audit trail.

* the employee of an out-of-pocket expense without an employee code: found by Pleo's user id
  (kept on the partner once matched) or by e-mail (an [unknown] field: both readings), never one
  of several at random;
* a reimbursement reconciled with the expenses it settles (``reconciledEntries``), or booked and
  left open while they are not posted;
* the merchant, not the employee, on the expense and VAT lines when Pleo names a vendor;
* the attendees of a representation cost; a purchase in another currency shown in it.

Jobs come from the sandbox (items written here, or its generator); the export cron runs as the
scheduler would.
"""

import uuid
from unittest.mock import patch

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.pleo_connector.tests.pleo_sandbox.generator import user_email

from .common import ExportCase
from .test_export import item_line, make_item
from .test_export_payables import VENDOR

CARLA_ID = "3f1c2b7e-5d4a-4c3b-9e2f-0a1b2c3d4e5f"


def carla(email=None, user_id=CARLA_ID):
    """A Pleo user without an employee code (Pleo's own example has ``"code": null``)."""
    user = {"id": user_id, "name": "Carla Schmidt", "code": None}
    if email:
        user["email"] = email
    return user


def out_of_pocket(cents, book_id, user=None, tax=None, files=()):
    """An out-of-pocket expense owed to the employee on 6910, with its book ID (and
    ``files``: its receipts, without which the export's auto-post leaves it in draft)."""
    item = make_item(
        item_line(cents, tax=tax),
        kind="out_of_pocket",
        contra="6910",
        accountingEntryId=str(uuid.uuid4()),
        additionalInformation={"reconciliationId": book_id},
        files=list(files),
    )
    if user is not None:
        item["user"] = user
    return item


def reimbursement(cents, book_ids, user=None):
    """Pleo paying the employee back from the wallet: Dr 6910 / Cr 5850, settling ``book_ids``."""
    item = make_item(
        item_line(cents, account="6910"),
        kind="direct_reimbursement",
        subType="reimbursement_to_employee",
        accountingEntryId=str(uuid.uuid4()),
        additionalInformation={"reconciliationId": "BOOK-R", "reconciledEntries": book_ids},
    )
    item["supplier"] = None
    if user is not None:
        item["user"] = user
    return item


@tagged("post_install", "-at_install", "pleo_export")
class TestExportPartners(ExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carla = cls.env["res.partner"].create(
            {"name": "Carla Schmidt", "email": "Carla.Schmidt@Example.com"}
        )
        cls.accounts["6910"].reconcile = True

    def setUp(self):
        super().setUp()
        self.conn_a.export_auto_post = True

    @staticmethod
    def on(move, code):
        return move.line_ids.filtered(lambda line: line.account_id.code == code)

    def notes(self, move):
        return " ".join(move.message_ids.mapped("body"))

    # ------------------------------------------------------------------ the employee

    def test_employee_without_code_found_by_email_then_by_user_id(self):
        (move,) = self.book_moves(
            out_of_pocket(30000, "BOOK-1", carla("carla.schmidt@example.com"))
        )
        self.assertEqual(self.on(move, "6910").partner_id, self.carla)
        self.assertEqual(self.carla.pleo_user_id, CARLA_ID, "remembered once matched")
        # Her e-mail changed in Pleo (and no partner has the new one): her user id finds her.
        (again,) = self.book_moves(out_of_pocket(12000, "BOOK-2", carla("carla@newco.example")))
        self.assertEqual(self.on(again, "6910").partner_id, self.carla)
        # Pleo's documented reading (ExportItemUserV3: no e-mail): the user id is enough.
        (third,) = self.book_moves(out_of_pocket(5000, "BOOK-3", carla()))
        self.assertEqual(self.on(third, "6910").partner_id, self.carla)

    def test_a_partner_another_export_is_writing_is_matched_without_remembering(self):
        """Another company's export (another worker, queue_job) writing the same shared partner
        at this moment: the item books with the partner; its Pleo user id is remembered by a
        later export, never waited or failed for (fault injection: the write conflicts)."""
        partners = type(self.env["res.partner"])
        write = partners.write

        def conflicting(records, vals):
            if "pleo_user_id" in vals:
                raise psycopg2.errors.SerializationFailure("could not serialize access")
            return write(records, vals)

        with patch.object(partners, "write", conflicting):
            (move,) = self.book_moves(
                out_of_pocket(30000, "BOOK-1", carla("carla.schmidt@example.com"))
            )
        self.assertEqual(self.on(move, "6910").partner_id, self.carla)
        self.assertFalse(self.carla.pleo_user_id, "left for a later export")
        (again,) = self.book_moves(
            out_of_pocket(12000, "BOOK-2", carla("carla.schmidt@example.com"))
        )
        self.assertEqual(self.on(again, "6910").partner_id, self.carla)
        self.assertEqual(self.carla.pleo_user_id, CARLA_ID)

    def test_without_email_or_code_an_unknown_user_has_no_partner(self):
        """Pleo's documented item (no e-mail): a user never matched has no partner, and no
        partner is taken by name."""
        (move,) = self.book_moves(out_of_pocket(30000, "BOOK-1", carla()))
        self.assertFalse(move.line_ids.partner_id)
        self.assertFalse(self.carla.pleo_user_id)

    def test_the_generator_switch_gives_emails_that_find_the_employee(self):
        """The sandbox's ``user_email`` switch (Pleo's [unknown]): users without a code are
        found by e-mail; without the switch they are not."""
        for switch in (True, False):
            with self.subTest(user_email=switch):
                self.carla.pleo_user_id = False
                job_uuid = self.add_job(
                    n=3,
                    types=["out_of_pocket"],
                    users=[("Carla Schmidt", None)],
                    user_email=switch,
                    seed=f"email-{switch}",
                )
                items = self.sandbox.export_items(job_uuid)
                self.assertEqual(
                    "email" in items[0]["user"], switch, "the switch adds the [unknown] e-mail"
                )
                self.assertEqual(user_email("Carla Schmidt"), self.carla.email.lower())
                self.run_export()
                moves = self.job(job_uuid).item_ids.move_id
                self.assertEqual(len(moves), 3)
                liability = moves.line_ids.filtered(lambda line: line.account_id.code == "6910")
                self.assertEqual(
                    liability.partner_id, self.carla if switch else self.env["res.partner"]
                )

    def test_an_email_on_several_partners_matches_nobody_and_says_so(self):
        twin = self.env["res.partner"].create(
            {"name": "Carla Schmidt (old)", "email": "carla.schmidt@example.com"}
        )
        (move,) = self.book_moves(
            out_of_pocket(30000, "BOOK-1", carla("CARLA.SCHMIDT@example.com"))
        )
        self.assertFalse(move.line_ids.partner_id)
        self.assertFalse(any((self.carla | twin).mapped("pleo_user_id")))
        self.assertIn("Several partners have the e-mail", self.notes(move))
        self.assertIn("Carla Schmidt (old)", self.notes(move))

    def test_a_partner_of_another_pleo_user_is_not_taken_by_email(self):
        self.carla.pleo_user_id = str(uuid.uuid4())
        (move,) = self.book_moves(
            out_of_pocket(30000, "BOOK-1", carla("carla.schmidt@example.com"))
        )
        self.assertFalse(move.line_ids.partner_id)

    def test_the_pleo_user_id_is_one_partner_per_company_and_not_copied(self):
        self.carla.pleo_user_id = CARLA_ID
        self.assertFalse(self.carla.copy().pleo_user_id)
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env["res.partner"].create({"name": "Carla again", "pleo_user_id": CARLA_ID})
            self.env.flush_all()
        other = self.env["res.company"].create({"name": "Other company"})
        twin = self.env["res.partner"].create(
            {"name": "Carla (other company)", "pleo_user_id": CARLA_ID, "company_id": other.id}
        )
        self.assertEqual(twin.pleo_user_id, CARLA_ID, "another company's partner may have it")
        # The export keeps the id it matched; company A's entry takes A's partner.
        (move,) = self.book_moves(out_of_pocket(30000, "BOOK-1", carla()))
        self.assertEqual(self.on(move, "6910").partner_id, self.carla)

    # ------------------------------------------------------------------ reimbursements

    def test_reimbursement_reconciles_the_expenses_it_settles(self):
        anna = self.partners["E001"]
        first, second = self.book_moves(
            out_of_pocket(
                30000, "BOOK-A", tax=("I25", 0.25, "inclusive", 6000), files=self.receipt()
            ),
            out_of_pocket(12000, "BOOK-B", files=self.receipt()),
        )
        (paid,) = self.book_moves(reimbursement(42000, ["BOOK-A", "BOOK-B"]))
        liability = self.on(first | second | paid, "6910")
        self.assertEqual(len(liability), 3)
        self.assertEqual(liability.partner_id, anna)
        self.assertTrue(all(liability.mapped("reconciled")), liability.read(["amount_residual"]))
        self.assertEqual(liability.mapped("amount_residual"), [0.0, 0.0, 0.0])
        self.assertEqual(paid.pleo_reconciled_entries, "BOOK-A BOOK-B")

    def test_reimbursement_before_its_expenses_is_booked_open_then_reconciled(self):
        (paid,) = self.book_moves(reimbursement(42000, ["BOOK-A", "BOOK-B"]))
        self.assertEqual(paid.state, "posted")
        self.assertFalse(self.on(paid, "6910").reconciled)
        self.assertIn("not booked in Odoo yet: BOOK-A, BOOK-B", self.notes(paid))
        # One expense comes as a draft (posting off): still open, and the entry says why.
        self.conn_a.export_auto_post = False
        (first,) = self.book_moves(out_of_pocket(30000, "BOOK-A"))
        self.assertEqual(first.state, "draft")
        self.assertFalse(self.on(paid, "6910").reconciled)
        self.conn_a.export_auto_post = True
        (second,) = self.book_moves(out_of_pocket(12000, "BOOK-B", files=self.receipt()))
        self.assertFalse(self.on(paid, "6910").reconciled, "BOOK-A is a draft")
        # The bookkeeper posts the last draft: the reimbursement is reconciled then.
        first.action_post()
        liability = self.on(first | second | paid, "6910")
        self.assertTrue(all(liability.mapped("reconciled")))
        self.assertEqual(sum(liability.mapped("amount_residual")), 0.0)

    def test_reimbursement_on_an_account_without_reconciliation_says_so(self):
        self.accounts["6910"].reconcile = False
        self.book_moves(out_of_pocket(30000, "BOOK-A", files=self.receipt()))
        (paid,) = self.book_moves(reimbursement(30000, ["BOOK-A"]))
        self.assertFalse(self.on(paid, "6910").reconciled)
        self.assertIn("does not allow reconciliation", self.notes(paid))

    # ------------------------------------------------------------------ the merchant

    def card_purchase_of(self, vendor):
        return make_item(
            item_line(12500, tax=("I25", 0.25, "inclusive", 2500)),
            accountingEntryId=str(uuid.uuid4()),
            bookkeeping={"method": "journal"},
            vendor=vendor,
        )

    def test_the_merchant_is_the_partner_of_the_expense_and_vat_lines(self):
        merchant = self.env["res.partner"].create(
            {"name": "Office Depot A/S", "ref": "V1001", "is_company": True}
        )
        (move,) = self.book_moves(self.card_purchase_of(VENDOR))
        expense, tax, wallet = self.on(move, "6810"), self.on(move, "6320"), self.on(move, "5850")
        self.assertEqual(expense.partner_id, merchant)
        self.assertEqual(tax.partner_id, merchant, "the counterparty of the input VAT")
        self.assertEqual(wallet.partner_id, self.partners["E001"], "the wallet line as before")
        # Without a vendor named, the employee stays (nothing else is known).
        (plain,) = self.book_moves(make_item(item_line(5000), accountingEntryId=str(uuid.uuid4())))
        self.assertEqual(plain.line_ids.partner_id, self.partners["E001"])

    def test_out_of_pocket_merchant_on_expense_employee_on_liability(self):
        merchant = self.env["res.partner"].create({"name": "Office Depot A/S", "ref": "V1001"})
        item = out_of_pocket(30000, "BOOK-1", tax=("I25", 0.25, "inclusive", 6000))
        item.update(bookkeeping={"method": "journal"}, vendor=VENDOR)
        (move,) = self.book_moves(item)
        self.assertEqual((self.on(move, "6810") | self.on(move, "6320")).partner_id, merchant)
        self.assertEqual(self.on(move, "6910").partner_id, self.partners["E001"])

    def test_an_unknown_merchant_is_not_created_for_a_card_purchase(self):
        self.conn_a.export_create_vendors = True  # bills only: a card purchase creates none
        partners = self.env["res.partner"].search_count([])
        (move,) = self.book_moves(self.card_purchase_of(VENDOR))
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        lines = self.on(move, "6810") | self.on(move, "6320")
        self.assertFalse(lines.partner_id)
        self.assertIn("Office Depot", self.on(move, "6810").name, "the merchant in the label")

    def test_several_partners_of_the_merchant_match_none_and_say_so(self):
        for name in ("Office Depot A/S", "Office Depot Norge"):
            self.env["res.partner"].create({"name": name, "ref": "V1001", "is_company": True})
        (move,) = self.book_moves(self.card_purchase_of(VENDOR))
        self.assertFalse((self.on(move, "6810") | self.on(move, "6320")).partner_id)
        self.assertIn("Office Depot Norge", self.notes(move))

    # ------------------------------------------------------------------ audit trail

    def test_attendees_are_kept_on_the_entry(self):
        item = make_item(
            item_line(80000, tax=("I25", 0.25, "inclusive", 16000)),
            accountingEntryId=str(uuid.uuid4()),
            additionalInformation={
                "reconciliationId": "BOOK-9",
                "attendees": ["Anna Jensen", "Client: Ole Hansen", None, "  "],
            },
        )
        (move,) = self.book_moves(item)
        self.assertEqual(move.pleo_attendees, "Anna Jensen\nClient: Ole Hansen")
        arch = self.env["account.move"].get_view(view_type="form")["arch"]
        self.assertIn('name="pleo_attendees"', arch)
        self.assertTrue(self.env["account.move"]._fields["pleo_attendees"].readonly)

    def test_a_foreign_purchase_shows_its_own_currency(self):
        """A EUR receipt paid from the USD wallet: the expense and VAT lines carry the EUR
        amounts (as a statement line's counterpart does), the wallet line USD; balances are
        exact and the entry balances."""
        item = make_item(
            item_line(1375, tax=("I25", 0.25, "inclusive", 275)),
            accountingEntryId=str(uuid.uuid4()),
        )
        line = item["accountingEntryLines"][0]
        line["lineAmount"]["inSupplierCurrency"] = {"currency": "EUR", "value": 1250}
        line["tax"]["amount"]["inSupplierCurrency"] = {"currency": "EUR", "value": 250}
        item["amount"]["inSupplierCurrency"] = {"currency": "EUR", "value": 1250}
        (move,) = self.book_moves(item)
        eur = self.env.ref("base.EUR")
        expense, tax, wallet = self.on(move, "6810"), self.on(move, "6320"), self.on(move, "5850")
        self.assertEqual((expense.currency_id, expense.amount_currency), (eur, 10.0))
        self.assertEqual((tax.currency_id, tax.amount_currency), (eur, 2.5))
        self.assertEqual((wallet.currency_id.name, wallet.amount_currency), ("USD", -13.75))
        self.assertEqual((expense.balance, tax.balance, wallet.balance), (11.0, 2.75, -13.75))
        self.assertEqual(move.currency_id.name, "USD")
        self.assertBalancedAsPleo(move, item)
