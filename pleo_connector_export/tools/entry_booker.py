# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""From a Pleo export item to an Odoo journal entry, for one company.

``pleolib.posting`` decides the posting (which side, how much, in integer minor units); this
module finds the Odoo records behind Pleo's codes (the connection's mapping rows first, then the
defaults) and writes the move. Taxes go through Odoo's taxes, with the lines Odoo's own tax
computation makes (``account.move._sync_tax_lines``): each expense line carries its
``account.tax`` and its base grids, and Pleo's tax amount is spread over the tax's repartition
lines (partly deductible VAT: the share without an account on the expense account) on real tax
lines (``display_type`` ``tax``, with repartition line, grids and base), so the tax report counts
Pleo spend and a bookkeeper's edit of a draft keeps its VAT. The amounts stay Pleo's, so the entry
equals Pleo's totals to the cent.
"""

import base64
from datetime import timedelta
from decimal import Decimal

import pytz
from markupsafe import Markup

from odoo import fields
from odoo.tools import email_normalize

from odoo.addons.pleo_connector.const import read_option
from odoo.addons.pleo_connector.exceptions import booking_error, item_message
from odoo.addons.pleo_connector.pleolib.currency import (
    currency_exponent,
    minor_to_float,
    spread,
    to_company_currency,
)
from odoo.addons.pleo_connector.pleolib.items import ItemError
from odoo.addons.pleo_connector.pleolib.posting import (
    WALLET_TYPES,
    posting_from_item,
    wallet_on_lines,
)
from odoo.addons.pleo_connector.pleolib.receipts import ReceiptError

from .payables_booker import (
    BILL_TYPES,
    CREDIT_NOTE_TYPES,
    PAYMENT_TYPES,
    PayablesBooker,
    is_payable,
)
from .record_resolver import RecordResolver, remember_on_partner

#: What Pleo said of a code to map, kept with a failure for the mapping's proposal (the rest of
#: an error's data are the values of its message).
MAPPING_DETAILS = ("pleo_name", "rate", "tax_type", "group")


def book_error(summary, code, message, data=None):
    """The item values that record a failure; a failure for want of a mapping (an unknown or
    mismatched account, tax code or tag) also records the Pleo code to map and what Pleo said
    of it (:data:`MAPPING_DETAILS` of the :class:`ItemError`'s ``data``), for the mapping tabs
    and "Map and re-export"."""
    data = data or {}
    values = {**summary, "state": "failed", "failure_type": code, "failure_reason": message}
    if data.get("move_id"):  # booked already, by an earlier export: the item shows its entry
        values["move_id"] = data["move_id"]
    if data.get("mapping_kind") and data.get("pleo_code"):
        values.update(
            {
                "missing_kind": data["mapping_kind"],
                "missing_code": data["pleo_code"],
                "missing_details": {
                    key: value
                    for key, value in data.items()
                    if key in MAPPING_DETAILS and value is not None
                },
            }
        )
    return values


class Booker:
    """Books the items of one connection's jobs; caches what it looked up for a run."""

    def __init__(self, connection):
        self.connection = connection.sudo()
        self.env = self.connection.env
        self.company = self.connection.company_id
        self.journal = self.connection.export_journal_id
        self.workers = read_option("pleo_http_workers")
        # Receipts come over https only, unless the server allows plain http (the sandbox).
        self.allow_http = read_option("pleo_receipts_allow_http")
        self.ca_bundle = read_option(
            "pleo_ca_bundle"
        )  # as the Pleo client's (network.py: proxies too)
        self.allowed_hosts = read_option(
            "pleo_receipt_allowed_hosts"
        )  # through the public-address check
        # Pleo's codes → Odoo records, shared with the payables' booker.
        self.resolver = RecordResolver(self.connection)
        self._cache = {}
        self._postings = {}
        self._notes = {}  # entry uuid -> notes for its move's chatter (see _note)

    # ------------------------------------------------------------------ item → posting

    def posting(self, data):
        """The posting of an item (parsed once per run)."""
        entry = data.get("accountingEntryId")
        if entry not in self._postings:
            try:
                self._postings[entry] = posting_from_item(data)
            except ItemError as error:
                self._postings[entry] = error
        result = self._postings[entry]
        if isinstance(result, ItemError):
            raise result
        return result

    def receipt_refs(self, data):
        """The receipts to download for an item: all its files, new item or booked already;
        none if it cannot be booked.

        A receipt uploaded in Pleo after the first export comes with the expense's next export.
        Pleo gives a file no id, and its link is presigned and changes with every fetch
        (``ExportItemFile``: ``url`` valid 24 hours, ``type``, ``size`` [spec]), so which files
        an entry holds already is only known from their content: a re-export downloads them
        again and :meth:`_attach_all` adds those the entry lacks.
        """
        try:
            posting = self.posting(data)
        except ItemError:
            return []
        return list(posting.files)

    def summary(self, data):
        """What the item list shows of an item, even one that cannot be booked."""
        values = {}
        try:
            posting = self.posting(data)
        except ItemError:
            kind = data.get("type")
            return {"item_type": kind} if kind in self._item_types() else {}
        currency = self.resolver.currency(posting.currency, required=False)
        values["item_type"] = (
            posting.item_type if posting.item_type in self._item_types() else False
        )
        values["date"] = self.booking_date(posting)
        values["label"] = (posting.label or "")[:256]
        if currency:
            exponent = currency_exponent(posting.currency)
            sign = -1 if posting.reversal else 1
            if posting.item_type in WALLET_TYPES:  # as Pleo shows them: a top-up adds money
                sign = 1 if posting.item_type == "wallet_topup" else -1
            values["currency_id"] = currency.id
            values["amount"] = sign * minor_to_float(posting.total, exponent)
        return values

    def _item_types(self):
        return dict(self.env["pleo.export.item"]._fields["item_type"].selection)

    # ------------------------------------------------------------------ booking

    def book(self, data, receipts):
        """Book one item; return the item's values. Raises ItemError (ReceiptError too)."""
        posting = self.posting(data)
        for receipt in receipts:
            if isinstance(receipt, ReceiptError):
                raise self._receipt_failure(posting, receipt)
        summary = self.summary(data)
        if is_payable(posting):  # vendor bills, credit notes and their payments
            values = PayablesBooker(self).book(posting, receipts, summary)
            if posting.item_type not in PAYMENT_TYPES:  # receipts added in Pleo since
                move = self.env["account.move"].browse(values["move_id"])
                self.attach(move, receipts, note=True)
            return values
        posting = self._oriented(posting)
        move = self.live_move(posting.entry_uuid)
        if move and self.check_posted(move, posting):
            self.attach(move, receipts, note=True)  # it changes nothing in the accounting
            return {
                **summary,
                "state": "booked",
                "move_id": move.id,
                "receipt_count": len(receipts),
            }
        values = self._move_values(posting)
        new = self.env["account.move"]
        if move and move.pleo_fingerprint == posting.fingerprint:
            self._notes.pop(posting.entry_uuid, None)  # noted when it was written
        elif move:
            move.line_ids.with_context(dynamic_unlink=True).unlink()
            move.with_context(skip_invoice_sync=True).write(values)
        else:
            move = new = (
                self.env["account.move"]
                .with_company(self.company)
                .with_context(skip_invoice_sync=True)
                .create(values)
            )
        self.attach(move, receipts, note=not new)
        self._auto_post(move, new)
        self._cache[("move", posting.entry_uuid)] = move
        self._after_writing(move)
        return {
            **summary,
            "state": "booked",
            "move_id": move.id,
            "receipt_count": len(receipts),
            "failure_type": False,
            "failure_reason": False,
        }

    def _receipt_failure(self, posting, error):
        """The failure of an item whose receipt could not be fetched (``error``): the item
        fails, so that Pleo knows the receipt did not arrive and a bookkeeper exports it again
        once the file is fixed. An expense that an earlier export booked is left as it is (a
        changed draft is not rewritten either): the failure names its entry, which the item
        then shows."""
        move = self.existing_move(posting.entry_uuid)
        if not move:
            return error
        return booking_error(
            self.env,
            error.code,
            "booked_receipt_failed",
            move=move.name,
            move_id=move.id,
            receipt=item_message(self.env, error),
        )

    def plan_new(self, data, receipts):
        """The values of a new journal entry for this item, or None to book it one by one.

        A page's new entries are created together (one ``create`` for the page, which is what
        makes the export fast); anything else (a failure, a re-export, a bill) goes through
        :meth:`book`, which records failures with their reasons.
        """
        try:
            posting = self.posting(data)
            if (
                any(isinstance(receipt, ReceiptError) for receipt in receipts)
                or is_payable(posting)
                or self.existing_move(posting.entry_uuid)
            ):
                return None
            return self._move_values(self._oriented(posting))
        except ItemError:
            return None

    def create_new(self, plans):
        """Create the planned entries of a page at once: ``[(values, receipts)]`` -> moves."""
        moves = (
            self.env["account.move"]
            .with_company(self.company)
            .with_context(skip_invoice_sync=True)
            .create([values for values, _receipts in plans])
        )
        for move in moves:
            self._cache[("move", move.pleo_entry_uuid)] = move
        self._attach_all(list(zip(moves, (receipts for _values, receipts in plans), strict=True)))
        self._auto_post(moves, moves)
        for move in moves:
            self._after_writing(move)
        return moves

    def _after_writing(self, move):
        """The notes of a move just written, and whether the reimbursement it books waits for
        the expenses it settles (reconciled at once when it and they are posted)."""
        self._post_notes(move)
        reason = move._pleo_settle().get(move)
        if reason:
            move.message_post(body=reason, subtype_xmlid="mail.mt_note")

    def prefetch_moves(self, entry_uuids):
        """Find the entries already booked for these Pleo ids with one search."""
        wanted = [uuid for uuid in entry_uuids if ("move", uuid) not in self._cache]
        if not wanted:
            return
        Move = self.env["account.move"]
        found = {
            move.pleo_entry_uuid: move
            for move in Move.search(
                [
                    ("company_id", "=", self.company.id),
                    ("pleo_entry_uuid", "in", wanted),
                    ("pleo_superseded", "=", False),
                ]
            )
        }
        for uuid in wanted:
            self._cache[("move", uuid)] = found.get(uuid, Move)

    def end_page(self):
        """Forget what one page parsed and found: memory stays flat however long the job."""
        self._postings.clear()
        self._notes.clear()
        for key in [key for key in self._cache if key[0] == "move"]:
            del self._cache[key]

    def remember_move(self, entry_uuid, move):
        """Keep the move just written for a Pleo expense (until the page ends)."""
        self._cache[("move", entry_uuid)] = move

    def parsed_postings(self):
        """The postings this page parsed (not the items that failed to parse)."""
        return [result for result in self._postings.values() if not isinstance(result, ItemError)]

    def forget_moves(self, entry_uuids):
        """Drop cached entries a rolled-back batch created."""
        for uuid in entry_uuids:
            self._cache.pop(("move", uuid), None)

    def _oriented(self, posting):
        """A wallet top-up or unload turned so that the *wallet* is debited on a top-up and
        credited on an unload.

        The wallet is the contra account (Pleo's pages), unless the Pleo journal's account is on
        the lines instead (then the contra is a transit account): see ``pleolib.posting``.
        """
        if posting.item_type not in WALLET_TYPES:
            return posting
        wallet = self.journal.default_account_id
        contra = self.resolver.account(posting.contra_lines[0].account, contra=True)
        sides = {
            self.resolver.account(line.account) for line in posting.lines if line.role == "expense"
        }
        if contra in sides:
            raise booking_error(
                self.env,
                "validation_failure",
                "transfer_both_sides",
                type=dict(
                    self.env["pleo.export.item"]
                    ._fields["item_type"]
                    ._description_selection(self.env)
                ).get(posting.item_type, posting.item_type),
                account=f"{contra.with_company(self.company).code} {contra.name}",
            )
        if wallet and wallet != contra and wallet in sides:
            return wallet_on_lines(posting)
        return posting

    def check_posted(self, move, posting):
        """Re-export rules: ``None`` to (re)write a draft, the move to keep it as it is."""
        if move.state == "draft":
            return None
        if move.pleo_fingerprint != posting.fingerprint:
            raise booking_error(
                self.env,
                "accounting_system_validation_failure",
                "posted_and_changed",
                move=move.name,
            )
        return move

    def _cached(self, key, find):
        """What ``find()`` gives for ``key``, looked up once per run (moves: once per page)."""
        if key not in self._cache:
            self._cache[key] = find()
        return self._cache[key]

    def existing_move(self, entry_uuid):
        """The move of a Pleo expense that the export has not replaced (see ``live_move``)."""
        return self._cached(
            ("move", entry_uuid),
            lambda: self.env["account.move"].search(
                [
                    ("company_id", "=", self.company.id),
                    ("pleo_entry_uuid", "=", entry_uuid),
                    ("pleo_superseded", "=", False),
                ],
                limit=1,
            ),
        )

    def live_move(self, entry_uuid, supersede=True):
        """The move that books a Pleo expense, or an empty recordset if it books nothing.

        A cancelled move, or a posted move whose posted reversals cancel it on every account,
        is no booking (as Odoo's own reports read it): the expense is booked again on a new
        move. The old move keeps its Pleo id (the link to the expense) and is marked
        ``pleo_superseded``, which takes it out of the exactly-once index (``supersede``: do it;
        else only say there is no live move).
        """
        move = self.existing_move(entry_uuid)
        if not move or not self._books_nothing(move):
            return move
        if supersede:
            move.write({"pleo_superseded": True})
            move.flush_recordset(["pleo_superseded"])  # out of the index before the new move
            self._cache[("move", entry_uuid)] = move.browse()
        return move.browse()

    @staticmethod
    def _books_nothing(move):
        """Cancelled, or posted and reversed in full by posted reversal entries."""
        if move.state == "cancel":
            return True
        reversals = move.reversal_move_ids.filtered(lambda m: m.state == "posted")
        if move.state != "posted" or not reversals:
            return False
        totals = {}
        for line in move.line_ids | reversals.line_ids:
            key = (line.account_id, line.partner_id, line.currency_id)
            balance, amount = totals.get(key, (0.0, 0.0))
            totals[key] = (balance + line.balance, amount + line.amount_currency)
        company_currency = move.company_id.currency_id
        return all(
            company_currency.is_zero(balance) and currency.is_zero(amount)
            for (_account, _partner, currency), (balance, amount) in totals.items()
        )

    def attach(self, move, receipts, note=False):
        self._attach_all([(move, receipts)], note=note)

    def _attach_all(self, moves_receipts, note=False):
        """Attach to each move the receipts it does not hold yet (one create for all); the first
        is its main attachment when it has none.

        A file is known by its content (``ir.attachment.checksum``): Pleo's links change with
        every fetch and its files have no id (see :meth:`receipt_refs`). So a file is never
        attached twice, whether Pleo lists it twice or exports the expense again. A receipt
        added to an entry already booked (a posted one too: a receipt changes nothing in the
        accounting, and the fingerprint leaves files out) is said in the entry's chatter
        (``note``: the moves were booked before).
        """
        Attachment = self.env["ir.attachment"]
        ids = [move.id for move, receipts in moves_receipts if receipts]
        held = {}
        for row in Attachment.search_read(
            [("res_model", "=", "account.move"), ("res_id", "in", ids)], ["res_id", "checksum"]
        ):
            held.setdefault(row["res_id"], set()).add(row["checksum"])
        values, counts = [], []
        for move, receipts in moves_receipts:
            seen = held.setdefault(move.id, set())
            count = 0
            for receipt in receipts:
                checksum = Attachment._compute_checksum(receipt.content)
                if checksum in seen:
                    continue
                seen.add(checksum)
                count += 1
                values.append(
                    {
                        "name": receipt.name,
                        "mimetype": receipt.mimetype,
                        "datas": base64.b64encode(receipt.content),
                        "res_model": "account.move",
                        "res_id": move.id,
                    }
                )
            counts.append(count)
        attachments = iter(Attachment.create(values)) if values else iter(())
        for (move, _receipts), count in zip(moves_receipts, counts, strict=True):
            mine = Attachment.concat(*(next(attachments) for _i in range(count)))
            if not mine:
                continue
            if not move.message_main_attachment_id:
                move.message_main_attachment_id = mine[0]
            if note:
                move._message_log(
                    body=Markup("<p>%s</p>")
                    % self.env._(
                        "Receipt added from Pleo's latest export: %(files)s",
                        files=", ".join(mine.mapped("name")),
                    ),
                    attachment_ids=mine.ids,
                )

    def _auto_post(self, moves, new):
        """Post the export's entries when the connection says so, except those that miss their
        receipt (``pleo_missing_receipt``): they stay in draft, and the ``new`` ones say why
        in their chatter.

        Under the Danish bookkeeping act an entry needs its documentation, and input VAT is
        deducted only with the supplier's invoice; a posted entry is in the VAT return. So the
        automatic posting, which no one reviews, leaves a purchase without a receipt for a
        bookkeeper: the re-export that brings the receipt posts it, or a bookkeeper posts it
        by hand (noted in the chatter, see ``account.move._post``).
        """
        if not self.connection.export_auto_post:
            return
        drafts = moves.filtered(lambda move: move.state == "draft")
        held = drafts.filtered("pleo_missing_receipt")
        (drafts - held).action_post()
        for move in held & new:
            move._message_log(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Left in draft by the Pleo export, which posts entries: this expense has no "
                    "receipt, and the bookkeeping act wants one (its VAT is deducted only with "
                    "the invoice). Add the receipt in Pleo and export the expense again: the "
                    "export attaches it and posts the entry. Or attach it here and post."
                )
            )

    def _move_values(self, posting):
        currency = self.resolver.currency(posting.currency)
        date, suffix = self.accounting_date(posting)
        balances, company_exponent = self._company_balances(posting, currency, date)
        employee = self._employee(posting)
        merchant = self._merchant(posting)  # None: Pleo names no vendor
        foreign = self._foreign_currency(posting, balances)
        vendor = None  # looked up when a line is on a payable or receivable account
        lines = []
        expense = None  # the values of the expense line the next tax lines belong to
        for line, balance in zip(posting.lines, balances, strict=True):
            partner = employee if merchant is None or line.role == "contra" else merchant
            # the purchase's own currency and amount on its lines, as on a statement line's
            # counterpart; the contra line stays in the wallet's
            in_foreign = foreign and line.role != "contra"
            amount = line.supplier_amount if in_foreign else line.amount
            line_currency = foreign if in_foreign else currency
            common = {
                "name": (line.label or posting.label) + suffix,
                "currency_id": line_currency.id,
                "partner_id": partner.id,
            }
            if line.role in ("tax", "tax_reverse"):
                lines += self._tax_lines(
                    posting,
                    line,
                    (amount, currency_exponent(line_currency.name)),
                    (balance, company_exponent),
                    expense,
                    common,
                )
                continue
            values = {
                **common,
                "amount_currency": minor_to_float(amount, currency_exponent(line_currency.name)),
                "balance": minor_to_float(balance, company_exponent),
                **self.line_accounting(posting, line),
            }
            if self._vendor_side(posting, values["account_id"]):
                if vendor is None:
                    vendor = PayablesBooker(self).vendor(posting)
                values["partner_id"] = vendor.id
            if line.role == "expense":
                expense = {**values, "_amount": line.amount, "_balance": balance}
            lines.append(values)
        return {
            "move_type": "entry",
            "journal_id": self.journal.id,
            "company_id": self.company.id,
            "date": date,
            "ref": posting.reference or False,
            "currency_id": currency.id,
            **self.pleo_values(posting),
            "pleo_attendees": "\n".join(posting.attendees) or False,
            "pleo_reconciled_entries": " ".join(posting.reconciled_entries) or False,
            "line_ids": [fields.Command.create(values) for values in lines],
        }

    def _foreign_currency(self, posting, balances):
        """The purchase's own currency when its lines are booked in it, else ``None``.

        As Odoo's bank statement lines keep a foreign amount (``foreign_currency_id``) on the
        counterpart line of their entry, a purchase in another currency than the wallet's shows
        Pleo's amounts in that currency on its expense and tax lines (``amount_currency`` and
        ``currency_id``); the balances stay the same, exact. Only when Pleo's figures in that
        currency are complete (``supplier_amount`` on every line), the currency is active in
        Odoo, and each amount has the sign of its balance (Odoo's rule for a line)."""
        code = posting.supplier_currency
        if not code or code == posting.currency:
            return None
        currency = self.resolver.currency(code, required=False)
        if not currency.active:
            return None
        for line, balance in zip(posting.lines, balances, strict=True):
            if line.role == "contra":
                continue
            if line.supplier_amount is None or line.supplier_amount * balance < 0:
                return None
        return currency

    def _vendor_side(self, posting, account_id):
        """Whether a line of an invoice or its payment is on a payable or receivable account:
        the vendor's, as in Odoo's payables (the employee stays on the other lines, the
        out-of-pocket liability included)."""
        if not posting.vendor or posting.item_type not in (
            BILL_TYPES | CREDIT_NOTE_TYPES | PAYMENT_TYPES
        ):
            return False
        account = self.env["account.account"].browse(account_id)
        return account.account_type in ("liability_payable", "asset_receivable")

    def _company_balances(self, posting, currency, date):
        """Each line's balance in company minor units, and the company currency's exponent.

        In the wallet currency's own amounts when it is the company's; in the receipt's own
        amounts when the supplier's currency is the company's (its VAT and base to the cent, as
        on the receipt); else converted at Odoo's rate of the accounting date.
        """
        company_currency = self.company.currency_id
        exponent = currency_exponent(posting.currency)
        if currency == company_currency:
            return [line.amount for line in posting.lines], exponent
        company_exponent = currency_exponent(company_currency.name)
        if posting.supplier_currency == company_currency.name and all(
            line.supplier_amount is not None for line in posting.lines
        ):
            return [line.supplier_amount for line in posting.lines], company_exponent
        rate = self.env["res.currency"]._get_conversion_rate(
            currency, company_currency, self.company, date
        )
        balances = to_company_currency(posting, Decimal(repr(rate)), exponent, company_exponent)
        return list(balances), company_exponent

    def _tax_lines(self, posting, line, money, company, expense, common):
        """The tax lines of one Pleo tax amount, as ``_sync_tax_lines`` makes them.

        Pleo's amount (``money``: minor units and exponent of the line's currency) and its
        company balance (``company``: minor units and exponent) are spread over the repartition
        lines of the mapped tax by their percentages; a repartition line without an account
        books its share on the expense line's account, with its analytic distribution (the
        non-deductible part of partly deductible VAT). ``tax_base_amount`` is the expense
        line's balance, signed.
        """
        amount, exponent = money
        balance, company_exponent = company
        tax = self.resolver.tax(line.tax)
        expense = expense or {}
        refund = self._is_refund(tax, expense.get("_amount", line.amount))
        repartitions = self.resolver.tax_repartitions(
            tax, refund, outgoing=line.role == "tax_reverse"
        )
        weights = [abs(Decimal(repr(rep.factor_percent))) for rep in repartitions]
        amounts = spread(amount, weights)
        balances = spread(balance, weights)
        lines = []
        for rep, amount, share in zip(repartitions, amounts, balances, strict=True):
            if not amount and not share:
                continue
            values = {
                **common,
                "display_type": "tax",
                "amount_currency": minor_to_float(amount, exponent),
                "balance": minor_to_float(share, company_exponent),
                "account_id": rep.account_id.id or expense.get("account_id"),
                "tax_repartition_line_id": rep.id,
                "tax_tag_ids": [fields.Command.set(rep.tag_ids.ids)],
                "tax_base_amount": minor_to_float(expense.get("_balance", 0), company_exponent),
            }
            if (tax.analytic or not rep.use_in_tax_closing) and expense.get(
                "analytic_distribution"
            ):
                values["analytic_distribution"] = expense["analytic_distribution"]
            lines.append(values)
        return lines

    @staticmethod
    def pleo_values(posting, entry_uuid=None):
        """The Pleo fields of a move that books ``posting`` (``entry_uuid``: the item's)."""
        return {
            "pleo_entry_uuid": entry_uuid or posting.entry_uuid,
            "pleo_fingerprint": posting.fingerprint,
            "pleo_web_url": posting.web_url or False,
            "pleo_item_type": posting.item_type,
        }

    def line_accounting(self, posting, line):
        """The account, taxes and analytics of an expense or contra line.

        An expense line carries its tax and the tax's base grids, unless Pleo's tax amount is 0
        while the tax's rate is not (a receipt without VAT): then it carries no tax, so that
        Odoo does not add VAT Pleo never had when the line is edited.
        """
        if line.role == "contra":
            return {"account_id": self.resolver.account(line.account, contra=True).id}
        values = {"account_id": self.resolver.account(line.account).id}
        if line.tax:
            tax = self.resolver.tax(line.tax)
            if self._pleo_tax_amount(posting, line) or not tax.amount:
                base = self.resolver.repartition_lines(
                    tax, self._is_refund(tax, line.amount)
                ).filtered(lambda r: r.repartition_type == "base")
                values["tax_ids"] = [fields.Command.set(tax.ids)]
                values["tax_tag_ids"] = [fields.Command.set(base.tag_ids.ids)]
        if line.tags:
            values["analytic_distribution"] = self.resolver.distribution(line.tags)
        return values

    @staticmethod
    def _pleo_tax_amount(posting, line):
        """Pleo's tax amount of an expense line: the tax line that follows it, else 0."""
        index = posting.lines.index(line)
        following = posting.lines[index + 1 : index + 2]
        return following[0].amount if following and following[0].role == "tax" else 0

    @staticmethod
    def _is_refund(tax, amount):
        """Odoo's rule for a journal entry's line (``account.move.line._compute_is_refund``):
        a purchase tax on a line without debit (a sale tax: without credit) takes the refund
        repartition."""
        if tax.type_tax_use == "sale":
            return amount >= 0
        if tax.type_tax_use == "purchase":
            return amount <= 0
        return False

    def booking_date(self, posting):
        """The day of Pleo's date-time in the company's time zone.

        Pleo's ``date`` is a UTC date-time: a purchase at 00:30 in Copenhagen on 1 April is
        ``…-03-31T22:30:00Z``, and belongs to April. The company's time zone is its partner's
        ``tz``, else that of the first internal user of the company who has one (by id), else
        UTC; a date without a time is taken as written.
        """
        if posting.moment is None:
            return posting.date
        return posting.moment.astimezone(self._company_tz()).date()

    def _company_tz(self):
        def find():
            name = self.company.partner_id.tz
            if not name:
                user = (
                    self.env["res.users"]
                    .sudo()
                    .search(
                        [
                            ("share", "=", False),
                            ("company_ids", "in", self.company.id),
                            ("tz", "!=", False),
                        ],
                        order="id",
                        limit=1,
                    )
                )
                name = user.tz
            try:
                return pytz.timezone(name) if name else pytz.utc
            except pytz.UnknownTimeZoneError:
                return pytz.utc

        return self._cached(("tz",), find)

    def accounting_date(self, posting, journal=None):
        """The move's date and the lines' label suffix: the item's date, or the first open date
        after a lock (and then the item's own date in the labels).

        ``journal`` is the journal the move is booked in (the Pleo journal unless given): its
        type decides which lock dates apply, as in Odoo (a bill's purchase lock date)."""
        day = self.booking_date(posting)
        has_tax = any(line.tax for line in posting.lines)
        violated = self.company._get_violated_lock_dates(day, has_tax, journal or self.journal)
        if not violated:
            return day, ""
        lock = violated[-1][0]
        if self.connection.export_locked_period == "fail":
            raise booking_error(
                self.env,
                "validation_failure",
                "period_locked",
                date=day,
                lock=lock,
            )
        return lock + timedelta(days=1), f" ({day})"

    # ------------------------------------------------------------------ who the lines are with

    def _employee(self, posting):
        """The partner of the Pleo user of an item, or an empty recordset.

        By employee code (a mapping row, else the partner's Reference), else by Pleo's user id
        kept on the partner once matched (``pleo_user_id``), else by e-mail (the partner's, case
        and display name aside; Pleo sends one only perhaps). A match by code or e-mail keeps
        the user id on the partner, so the user's next expense finds it even when the e-mail
        changed. Several partners with the e-mail match nobody: the entry says so.
        """
        partner = self.resolver.partner(posting.user_code)
        if not partner and posting.user_id:
            partner = self._user_partner(posting.user_id)
        if not partner and posting.user_email:
            partner = self._cached(
                ("email", posting.user_email.lower()),
                lambda: self._partner_of_email(posting),
            )
            if len(partner) > 1:
                self._note(
                    posting,
                    self.env._(
                        "Several partners have the e-mail %(email)s of the Pleo user %(user)s "
                        "(%(partners)s): none of them is set on the employee's lines. Keep the "
                        "e-mail on one partner only, or give the user's employee code as the "
                        "Reference of their partner, then export again.",
                        email=posting.user_email,
                        user=posting.user_name or posting.user_id or "?",
                        partners=", ".join(partner[:5].mapped("display_name")),
                    ),
                )
                return self.env["res.partner"]
        if partner and posting.user_id and not partner.pleo_user_id:
            self._remember_user(partner, posting.user_id)
        return partner

    def _scope(self):
        """The partners an item of this company may be booked on."""
        return [("company_id", "in", (False, self.company.id))]

    def _user_partner(self, user_id):
        """The partner that stands for a Pleo user: the company's own before a shared one."""

        def find():
            found = self.env["res.partner"].search(
                [*self._scope(), ("pleo_user_id", "=", user_id)], order="company_id, id"
            )
            return found.filtered("company_id")[:1] or found[:1]

        return self._cached(("pleo_user", user_id), find)

    def _partner_of_email(self, posting):
        """The partners with the user's e-mail that stand for no other Pleo user (several:
        ambiguous, the caller matches nobody)."""
        email = email_normalize(posting.user_email)
        if not email:
            return self.env["res.partner"]
        return self.env["res.partner"].search(
            [
                *self._scope(),
                ("email_normalized", "=", email),
                ("pleo_user_id", "in", (False, posting.user_id or False)),
            ],
            limit=5,
        )

    def _remember_user(self, partner, user_id):
        """Keep Pleo's user id on the partner matched, unless another partner has it (or gets
        it at the same moment in another export: then that one keeps it); see
        :func:`~.record_resolver.remember_on_partner`."""
        if self._user_partner(user_id):
            return
        if remember_on_partner(partner, "pleo_user_id", user_id):
            self._cache[("pleo_user", user_id)] = partner

    def _merchant(self, posting):
        """The partner of the vendor Pleo names, or ``None`` when it names none.

        Found as the payables find a vendor (``PayablesBooker.find_vendor``: external id,
        reference, VAT number; never by name). A card purchase creates no partner: without a
        match, or with several, the expense and tax lines have none, and the merchant stays in
        their labels (the entry says why)."""
        vendor = posting.vendor
        if vendor is None:
            return None
        key = (
            "merchant",
            vendor.id,
            vendor.external_id,
            vendor.code,
            vendor.tax_registration_number,
        )

        def find():
            try:
                return PayablesBooker(self).find_vendor(vendor), None
            except ItemError as error:  # several partners: none, and say so
                return self.env["res.partner"], error.message

        partner, reason = self._cached(key, find)
        if reason:
            self._note(posting, reason)
        return partner

    # ------------------------------------------------------------------ notes on the entry

    def _note(self, posting, text):
        """A note for the entry of ``posting``, posted in its chatter once it is written."""
        notes = self._notes.setdefault(posting.entry_uuid, [])
        if text not in notes:
            notes.append(text)

    def _post_notes(self, move):
        """Post the notes gathered for ``move``'s item in its chatter."""
        for text in self._notes.pop(move.pleo_entry_uuid, ()):
            move.message_post(body=text, subtype_xmlid="mail.mt_note")
