# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pleo's accounts-payable exports in Odoo's payables: vendor bills, credit notes, payments.

Items with ``bookkeeping.method = accounts_payable`` (vendor-based bookkeeping) book here
instead of as journal entries:

* ``invoice`` / ``card_invoice`` → a vendor bill (``in_invoice``) of the matched vendor;
  ``refund`` / ``chargeback`` → a credit note (``in_refund``). Lines carry the mapped accounts,
  Odoo's taxes and the analytic distribution; Odoo computes the tax lines, and any tax line that
  differs from Pleo's tax amount by rounding is set to Pleo's amount (as a bookkeeper does in the
  bill's tax totals), so ``amount_total`` equals Pleo's amount to the cent (checked).
* ``invoice_payment`` (``invoice_payment_sent``) → a posted vendor payment from the Pleo journal,
  on the wallet account Pleo names (the item's contra account), reconciled with the bill of the
  same vendor and invoice number, booked in this job or earlier. A draft bill is reconciled when
  it is posted. ``invoice_payment_returned`` → an inbound payment that undoes the payment: the
  bill is open again.
* The vendor is matched by ``vendor.externalId`` (the partner's id), then ``vendor.code`` (its
  reference), then ``vendor.taxRegistrationNumber`` (its VAT, normalised); never by name. The
  connection may create the missing vendors (off by default).
* ``supplierBankAccount`` is checked against the vendor's bank accounts: a mismatch puts a
  warning activity on the bill.

**Currency.** A bill or credit note is in the invoice's currency: Pleo's supplier-currency
figures (``Posting.supplier_currency``, the ``inSupplierCurrency`` amounts), else the wallet's.
When the wallet is in the company's currency, Pleo's wallet amounts are the bill's company
balances, line by line (its rate is Pleo's). A payment pays the bill in the bill's currency and
takes from the wallet what Pleo's wallet amount says, so Odoo books the exchange difference when
it reconciles them (as its own "Register Payment" does): nothing stays open on the vendor.

Amounts are Pleo's integer minor units; floats only at the ORM.
Exactly once as for entries: the bill's and the payment's move carry ``pleo_entry_uuid``.
"""

import json
from decimal import Decimal
from typing import NamedTuple

from odoo import Command
from odoo.tools import SQL, html_escape

from odoo.addons.pleo_connector.exceptions import booking_error
from odoo.addons.pleo_connector.pleolib.currency import currency_exponent, minor_to_float, spread
from odoo.addons.pleo_connector.pleolib.items import compact as normalise  # as Pleo reads

from .record_resolver import remember_on_partner

BILL_TYPES = frozenset({"invoice", "card_invoice"})
CREDIT_NOTE_TYPES = frozenset({"refund", "chargeback"})
PAYMENT_TYPES = frozenset({"invoice_payment"})


class Document(NamedTuple):
    """The currency a bill or credit note is booked in, and which of Pleo's figures it takes."""

    #: ISO code of the bill's currency
    code: str
    #: its minor units' exponent
    exponent: int
    #: the amounts are Pleo's supplier-currency figures (else the wallet's)
    supplier: bool
    #: the wallet's figures are the company balances (the wallet is in the company's currency)
    company: bool

    def amount(self, line):
        """A posting line's amount in the bill's currency (minor units)."""
        return line.supplier_amount if self.supplier else line.amount

    def total(self, posting):
        """Pleo's total in the bill's currency (minor units, >= 0)."""
        if not self.supplier:
            return posting.total
        return abs(sum(line.supplier_amount for line in posting.contra_lines))


def is_payable(posting):
    """Whether ``posting`` books in the payables (a bill, credit note or invoice payment)."""
    return posting.bookkeeping_method == "accounts_payable" and posting.item_type in (
        BILL_TYPES | CREDIT_NOTE_TYPES | PAYMENT_TYPES
    )


def _minor(value, exponent):
    """An ORM float amount in integer minor units."""
    return int(Decimal(repr(value)).scaleb(exponent).to_integral_value())


class PayablesBooker:
    """Books one accounts-payable item with the lookups of a :class:`Booker`."""

    def __init__(self, booker):
        self.booker = booker
        self.env = booker.env
        self.company = booker.company
        self.connection = booker.connection

    # ------------------------------------------------------------------ entry point

    def book(self, posting, receipts, summary):
        partner = self.vendor(posting)
        if posting.item_type in PAYMENT_TYPES:
            move = self._book_payment(posting, partner)
            receipt_count = 0
        else:
            move, receipt_count = self._book_bill(posting, partner, receipts)
        self.booker.remember_move(posting.entry_uuid, move)
        return {
            **summary,
            "state": "booked",
            "move_id": move.id,
            "receipt_count": receipt_count,
            "failure_type": False,
            "failure_reason": False,
        }

    def vendor(self, posting):
        """The partner of Pleo's vendor (the issue's order), created if the option says so."""
        vendor = posting.vendor
        key = ("vendor", vendor.id, vendor.external_id, vendor.code, vendor.tax_registration_number)

        def find():
            partner = self.find_vendor(vendor)
            if not partner and self.connection.export_create_vendors:
                partner = self._create_vendor(vendor, posting.supplier_bank)
            self.remember_vendor(partner, vendor)
            return partner

        partner = self.booker.resolver.cached(key, find)
        if partner:
            return partner
        name = vendor.name or vendor.id or "?"
        keys = ", ".join(
            f"{label} {value}"
            for label, value in (
                (self.env._("external ID"), vendor.external_id),
                (self.env._("code"), vendor.code),
                (self.env._("VAT"), vendor.tax_registration_number),
            )
            if value
        )
        raise booking_error(
            self.env,
            "vendor_unknown",
            "vendor_no_partner",
            vendor=name,
            keys=keys or self.env._("nothing to match it by"),
            company=self.company.name,
        )

    def _partners(self):
        Partner = self.env["res.partner"].with_company(self.company)
        return Partner, [("company_id", "in", (False, self.company.id))]

    def find_vendor(self, vendor):
        """The partner of Pleo's ``vendor``: the one that stands for it already
        (``pleo_vendor_id``), else by external id, reference, then VAT number (never by name);
        an empty recordset if none, a failure if several."""
        Partner, scope = self._partners()
        if vendor.id:
            # Containment, which the field's GIN index serves (the ORM's domain on a
            # company-dependent field reads every partner's value).
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM res_partner WHERE active AND pleo_vendor_id @> %s::jsonb"
                    " AND (company_id IS NULL OR company_id = %s) LIMIT 10",
                    json.dumps({str(self.company.id): vendor.id}),
                    self.company.id,
                )
            )
            partner = self._unique(
                Partner.browse([row[0] for row in self.env.cr.fetchall()]),
                self.env._("Pleo vendor ID %s", vendor.id),
            )
            if partner:
                return partner
        external = (vendor.external_id or "").strip()
        if external.isdigit() and len(external) < 10:
            partner = Partner.search([*scope, ("id", "=", int(external))])
            if partner:
                return partner.commercial_partner_id
        if vendor.code:
            partner = self._unique(
                Partner.search([*scope, ("ref", "=", vendor.code)], limit=10),
                self.env._("reference %s", vendor.code),
            )
            if partner:
                return partner
        vat = normalise(vendor.tax_registration_number)
        if vat:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM res_partner WHERE active AND vat IS NOT NULL"
                    " AND (company_id IS NULL OR company_id = %s)"
                    " AND regexp_replace(upper(vat), '[^0-9A-Z]', '', 'g') = %s LIMIT 10",
                    self.company.id,
                    vat,
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            return self._unique(Partner.browse(ids), self.env._("VAT %s", vat))
        return Partner

    def remember_vendor(self, partner, vendor):
        """Keep Pleo's vendor id on the partner matched, in this company (see
        :func:`~.record_resolver.remember_on_partner`)."""
        if len(partner) == 1 and vendor.id:
            partner = partner.with_company(self.company)
            if partner.pleo_vendor_id != vendor.id:
                remember_on_partner(partner, "pleo_vendor_id", vendor.id)

    def _unique(self, partners, what):
        partners = partners.commercial_partner_id
        if len(partners) > 1:
            raise booking_error(
                self.env,
                "vendor_unknown",
                "vendor_several_partners",
                company=self.company.name,
                what=what,
                partners=", ".join(partners[:5].mapped("display_name")),
            )
        return partners

    def _create_vendor(self, vendor, bank):
        if not vendor.name or not (vendor.code or vendor.tax_registration_number):
            return self.env["res.partner"]
        country = self.env["res.country"]
        if vendor.country:
            country = country.search([("code", "=", vendor.country.upper())], limit=1)
        values = {
            "name": vendor.name,
            "is_company": True,
            "company_id": self.company.id,
            "ref": vendor.code or False,
            "vat": vendor.tax_registration_number or False,
            "country_id": country.id,
            "supplier_rank": 1,
        }
        if bank:
            values["bank_ids"] = [Command.create({"acc_number": bank.account})]
        return self.env["res.partner"].with_context(no_vat_validation=True).create(values)

    def _check_bank_account(self, move, partner, posting):
        """A warning activity on the bill when Pleo's bank account is not the vendor's."""
        bank = posting.supplier_bank
        if not bank:
            return
        banks = partner.commercial_partner_id.bank_ids
        known = banks.filtered(lambda b: normalise(b.acc_number) == bank.account)
        bic = known.bank_id.mapped("bic") if known else []
        if known and (not bank.bic or not bic or bank.bic in map(normalise, bic)):
            return
        summary = self.env._("Pleo: check the vendor's bank account")
        note = self.env._(
            "Pleo pays %(vendor)s to bank account %(account)s%(bic)s, which is not one of its "
            "bank accounts in Odoo (%(known)s). Check it with the vendor before trusting it, "
            "then add it to the partner or correct it in Pleo.",
            vendor=partner.display_name,
            account=bank.account,
            bic=f" (BIC {bank.bic})" if bank.bic else "",
            known=", ".join(banks.mapped("acc_number")) or self.env._("none"),
        )
        for activity in move.activity_ids:
            if activity.summary == summary and bank.account in (activity.note or ""):
                return
        managers = self.connection._pleo_managers()
        move.activity_schedule(
            "mail.mail_activity_data_warning",
            summary=summary,
            note=f"<p>{html_escape(note)}</p>",
            user_id=(managers[:1] or self.env.user).id,
        )

    # ------------------------------------------------------------------ bills and credit notes

    def _book_bill(self, posting, partner, receipts):
        booker = self.booker
        move = booker.live_move(posting.entry_uuid)
        if move and self.booker.check_posted(move, posting):
            return move, 0
        values = self._bill_values(posting, partner)
        Move = self.env["account.move"].with_company(self.company)
        known = bool(move)
        if move and move.pleo_fingerprint == posting.fingerprint:
            pass  # a draft Pleo did not change: keep it as the bookkeeper left it
        elif move:
            values["invoice_line_ids"] = [Command.clear(), *values["invoice_line_ids"]]
            move.write(values)
            self._fix_taxes(move, posting)
        else:
            move = Move.create(values)
            self._fix_taxes(move, posting)
        # Before posting: a receipt Pleo has now is the bill's when it is posted (not noted
        # as missing); one added since the first export is said in the chatter.
        booker.attach(move, receipts, note=known)
        self._check_bank_account(move, partner, posting)
        if self.connection.export_auto_post and move.state == "draft":
            move.action_post()
        self._pay_at_once(move, posting, partner)
        return move, len(receipts)

    def _bill_values(self, posting, partner):
        booker = self.booker
        document = self._document(posting)
        currency = self._document_currency(document.code)
        date, suffix = booker.accounting_date(posting, booker.resolver.purchase_journal())
        exponent = document.exponent
        sign = -1 if posting.reversal else 1
        lines = []
        for line in posting.lines:
            if line.role != "expense":
                continue
            values = booker.line_accounting(posting, line)
            tax_ids = values.get("tax_ids")
            price = document.amount(line) * sign
            if line.tax is not None and tax_ids:
                tax = booker.resolver.tax(line.tax)
                if tax.price_include and line.tax.type != "reverse":
                    price += sum(
                        document.amount(other) * sign
                        for other in posting.lines
                        if other.role == "tax" and other.line_id == line.line_id
                    )
            values.pop("tax_tag_ids", None)
            lines.append(
                Command.create(
                    {
                        **values,
                        "name": (line.label or posting.label) + suffix,
                        "quantity": 1,
                        "price_unit": minor_to_float(price, exponent),
                        "tax_ids": tax_ids or [Command.clear()],
                    }
                )
            )
        self._payable_account(partner)
        return {
            "move_type": "in_refund" if posting.reversal else "in_invoice",
            "journal_id": booker.resolver.purchase_journal().id,
            "company_id": self.company.id,
            "partner_id": partner.id,
            "invoice_date": posting.invoice_date or booker.booking_date(posting),
            "date": date,
            "invoice_date_due": posting.due_date
            or posting.invoice_date
            or booker.booking_date(posting),
            "invoice_payment_term_id": False,
            "ref": posting.invoice_number or posting.reference or False,
            "payment_reference": posting.reference or False,
            "currency_id": currency.id,
            **self._rate_values(posting, document),
            **self._pleo_values(posting),
            "pleo_amount_total": minor_to_float(document.total(posting), exponent),
            "invoice_line_ids": lines,
        }

    def _document(self, posting):
        """The bill's currency: the invoice's when Pleo gives its figures, else the wallet's."""
        code = posting.supplier_currency or posting.currency
        supplier = bool(posting.supplier_currency)
        company = supplier and posting.currency == self.company.currency_id.name
        return Document(code, currency_exponent(code), supplier, company)

    def _document_currency(self, code):
        """The Odoo currency of a bill or payment, which must be active."""
        return self.booker.resolver.currency(code, reason="invoice_currency_inactive")

    def _rate_values(self, posting, document):
        """The bill's rate when Pleo's wallet amounts are its company balances: Pleo's own
        (invoice amount / wallet amount), so that Odoo's recomputations of an edited draft stay
        at Pleo's conversion; ``_fix_taxes`` then sets each line's balance to Pleo's."""
        if not document.company or not posting.total:
            return {}
        wallet = Decimal(posting.total).scaleb(-currency_exponent(posting.currency))
        invoice = Decimal(document.total(posting)).scaleb(-document.exponent)
        return {"invoice_currency_rate": float(invoice / wallet)}

    def _pleo_values(self, posting, entry_uuid=None):
        """The Pleo fields of a bill or payment: an entry's, and the invoice number."""
        return {
            **self.booker.pleo_values(posting, entry_uuid),
            "pleo_invoice_number": posting.invoice_number or False,
        }

    def _payable_account(self, partner):
        """The vendor's payable account (the one Odoo gives the bill's payment term line)."""
        account = partner.with_company(self.company).property_account_payable_id
        if not account:
            raise booking_error(
                self.env,
                "missing_configuration",
                "vendor_no_payable_account",
                vendor=partner.display_name,
                company=self.company.name,
            )
        return account

    def _fix_taxes(self, move, posting):
        """Set Odoo's tax lines to Pleo's tax amounts, then check the total to the cent.

        In the bill's currency; when Pleo's wallet amounts are the company balances (see
        :class:`Document`), every line's balance is set to Pleo's too."""
        document = self._document(posting)
        exponent = document.exponent
        booker = self.booker
        # Pleo's tax amount of each line, spread over its tax's repartition lines as for an
        # entry; Odoo's tax lines are keyed by repartition line and account (a share without an
        # account is on the expense line's account). Each: (bill currency, wallet currency).
        wanted = {}
        expenses = []
        account = None
        for line in posting.lines:
            if line.role == "expense":
                account = booker.resolver.account(line.account)
                expenses.append(line.amount)
            if line.role not in ("tax", "tax_reverse"):
                continue
            tax = booker.resolver.tax(line.tax)
            repartitions = booker.resolver.tax_repartitions(
                tax, posting.reversal, outgoing=line.role == "tax_reverse"
            )
            weights = [abs(Decimal(repr(rep.factor_percent))) for rep in repartitions]
            shares = zip(
                spread(document.amount(line), weights), spread(line.amount, weights), strict=True
            )
            for rep, (share, wallet_share) in zip(repartitions, shares, strict=True):
                key = (rep.id, (rep.account_id or account).id)
                have = wanted.get(key, (0, 0))
                wanted[key] = (have[0] + share, have[1] + wallet_share)
        wallet_exponent = currency_exponent(posting.currency)
        updates = []
        done = set()
        for tax_line in move.line_ids.filtered("tax_repartition_line_id"):
            rep = (tax_line.tax_repartition_line_id.id, tax_line.account_id.id)
            target, balance = wanted.get(rep, (0, 0)) if rep not in done else (0, 0)
            done.add(rep)
            values = {}
            if _minor(tax_line.amount_currency, exponent) != target:
                values["amount_currency"] = minor_to_float(target, exponent)
            if document.company and _minor(tax_line.balance, wallet_exponent) != balance:
                values["balance"] = minor_to_float(balance, wallet_exponent)
            if values:
                updates.append(Command.update(tax_line.id, values))
        missing = set(wanted) - done
        if missing and any(any(wanted[rep]) for rep in missing):
            raise booking_error(
                self.env,
                "invalid_configuration",
                "bill_tax_line_missing",
                company=self.company.name,
            )
        if document.company:
            products = move.line_ids.filtered(lambda line: line.display_type == "product")
            for product, balance in zip(products.sorted("id"), expenses, strict=True):
                if _minor(product.balance, wallet_exponent) != balance:
                    updates.append(
                        Command.update(
                            product.id, {"balance": minor_to_float(balance, wallet_exponent)}
                        )
                    )
        if updates:
            move.write({"line_ids": updates})
        total = _minor(move.amount_total, exponent)
        if total != document.total(posting):
            raise booking_error(
                self.env,
                "accounting_system_validation_failure",
                "bill_total_differs",
                odoo=move.amount_total,
                pleo=minor_to_float(document.total(posting), exponent),
            )

    # ------------------------------------------------------------------ payments

    def _book_payment(self, posting, partner):
        booker = self.booker
        move = booker.live_move(posting.entry_uuid)
        if move:  # a draft was reset by a bookkeeper: theirs to finish
            return self.booker.check_posted(move, posting) or move
        if not posting.invoice_number:
            raise booking_error(
                self.env,
                "validation_failure",
                "payment_no_invoice_number",
            )
        bill = self._find_bill(posting, partner)
        returned = posting.sub_type == "invoice_payment_returned"
        original = self.env["account.payment"]
        if returned:
            original = self._find_payment(posting, partner)
        wallet = booker.resolver.account(posting.contra_lines[0].account, contra=True)
        payable = bill.line_ids.filtered(lambda line: line.display_type == "payment_term")[
            :1
        ].account_id or self._payable_account(partner)
        move = self._payment(
            posting,
            (bill or partner).commercial_partner_id,
            wallet,
            payable,
            inbound=returned,
            entry_uuid=posting.entry_uuid,
            settles=self._settled(original if returned else bill, posting),
        )
        counterpart = move.line_ids.filtered(lambda line: line.account_id == payable)
        if returned:
            paid = original.move_id.line_ids.filtered(lambda line: line.account_id == payable)
            paid.remove_move_reconcile()
            (paid | counterpart).reconcile()
        elif bill.state == "posted":
            self._reconcile(bill, counterpart)
        # else the bill is a draft, or comes later in this job: reconciled when it is posted
        if bill:
            self._check_bank_account(bill, partner, posting)
        return move

    def _payment(self, posting, partner, wallet, payable, *, inbound, entry_uuid, settles=None):
        """A posted vendor payment of Pleo's total from the Pleo journal; returns its move.

        It pays in the bill's currency (see :meth:`_payment_money`) and takes Pleo's wallet
        amount from the wallet: its outstanding account is Pleo's wallet account, as Odoo itself
        sets it when it needs a journal entry at once (the money has left the wallet, so the
        payment is paid, not waiting for a statement)."""
        booker = self.booker
        code, amount, balance = self._payment_money(posting, settles)
        date, _suffix = booker.accounting_date(posting)
        values = {
            "payment_type": "inbound" if inbound else "outbound",
            "partner_type": "supplier",
            "partner_id": partner.id,
            "amount": minor_to_float(amount, currency_exponent(code)),
            "currency_id": self._document_currency(code).id,
            "journal_id": booker.journal.id,
            "company_id": self.company.id,
            "date": date,
            # The vendor and its invoice number, as the bookkeeper finds the payment.
            "memo": " ".join(
                filter(None, [partner.name, posting.invoice_number or posting.reference])
            )
            or False,
            "destination_account_id": payable.id,
        }
        payment = self.env["account.payment"].with_company(self.company).create(values)
        payment.outstanding_account_id = wallet
        if balance is not None:
            # Odoo's own way to pay a foreign-currency bill with a known company amount (the
            # register-payment wizard's ``force_balance``): the wallet's line is Pleo's amount.
            company_exponent = currency_exponent(self.company.currency_id.name)
            payment._generate_journal_entry(force_balance=minor_to_float(balance, company_exponent))
        payment.action_post()
        move = payment.move_id
        move.write(
            {
                **self._pleo_values(posting, entry_uuid),
                "ref": posting.reference or posting.invoice_number or False,
            }
        )
        return move

    def _payment_money(self, posting, settles=None):
        """``(currency, amount, company balance or None)`` of a payment, in minor units.

        ``settles`` is ``(currency, amount)`` of what it settles (see :meth:`_settled`); the
        payment is in its currency, as Odoo's "Register Payment" pays:

        * The wallet is in the company's currency: the bill's currency, with the wallet's
          amount as company balance. The amount is Pleo's in that currency; when Pleo gives
          only the wallet's figures, the settled amount (Pleo pays an invoice in full). Odoo
          books the difference to the bill's balance as an exchange difference.
        * The wallet is in another currency (its account's): the wallet's amount, with the
          invoice's as company balance when the invoice is in the company's currency, else at
          Odoo's rate.
        """
        company = self.company.currency_id.name
        wallet = (posting.currency, posting.total)
        invoice = None
        if posting.supplier_currency:
            supplier = abs(sum(line.supplier_amount for line in posting.contra_lines))
            invoice = (posting.supplier_currency, supplier)
        if posting.currency != company:
            return *wallet, invoice[1] if invoice and invoice[0] == company else None
        target = (settles or invoice or wallet)[0]
        if invoice and invoice[0] == target:
            return *invoice, posting.total
        if target != posting.currency:
            return *settles, posting.total
        return *wallet, None

    def _settled(self, record, posting):
        """``(currency, amount in minor units)`` of the bill or payment a payment settles: the
        record's, or for a payment booked before its bill in this job, the bill's Pleo total."""
        if record:
            code = record.currency_id.name
            amount = record.amount if record._name == "account.payment" else record.amount_total
            return code, _minor(amount, currency_exponent(code))
        bill = self._bill_in_this_job(posting)
        if bill:
            document = self._document(bill)
            return document.code, document.total(bill)
        return None

    def _pay_at_once(self, bill, posting, partner):
        """A bill Pleo paid as it exported it (its contra account is the wallet or a card, as
        for a card invoice): a payment from the Pleo journal, reconciled once the bill is
        posted. Its move's ``pleo_entry_uuid`` is the bill's with ``:payment``: made once."""
        contra = posting.contra_lines[0].account if posting.contra_lines else None
        wallet = self.booker.resolver.find_account(contra)  # as the entries find it
        if not wallet or wallet.account_type not in ("asset_cash", "liability_credit_card"):
            return  # Pleo's accounts-payable account: the payment is an item of its own
        entry_uuid = f"{posting.entry_uuid}:payment"
        if self.env["account.move"].search_count(
            [("company_id", "=", self.company.id), ("pleo_entry_uuid", "=", entry_uuid)], limit=1
        ):
            return
        payable = bill.line_ids.filtered(lambda line: line.display_type == "payment_term")[
            :1
        ].account_id
        move = self._payment(
            posting,
            partner,
            wallet,
            payable,
            inbound=posting.reversal,
            entry_uuid=entry_uuid,
            settles=self._settled(bill, posting),
        )
        if bill.state == "posted":
            self._reconcile(bill, move.line_ids.filtered(lambda line: line.account_id == payable))

    def _find_bill(self, posting, partner):
        bill = self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("move_type", "=", "in_invoice"),
                ("pleo_invoice_number", "=", posting.invoice_number),
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("state", "!=", "cancel"),
            ],
            order="id desc",
            limit=1,
        )
        if not bill and not self._bill_in_this_job(posting):
            raise booking_error(
                self.env,
                "accounting_system_validation_failure",
                "payment_bill_missing",
                number=posting.invoice_number,
                vendor=partner.display_name,
            )
        return bill

    def _bill_in_this_job(self, posting):
        """The posting of the payment's bill when this run read it, to be booked after it."""
        return next(
            (
                other
                for other in self.booker.parsed_postings()
                if getattr(other, "item_type", None) in BILL_TYPES
                and is_payable(other)
                and not other.reversal
                and other.invoice_number == posting.invoice_number
                and other.vendor.id == posting.vendor.id
                and not self.booker.existing_move(other.entry_uuid)
            ),
            None,
        )

    def _find_payment(self, posting, partner):
        payment = self.env["account.payment"].search(
            [
                ("company_id", "=", self.company.id),
                ("payment_type", "=", "outbound"),
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("move_id.pleo_invoice_number", "=", posting.invoice_number),
                ("move_id.pleo_entry_uuid", "!=", False),
                ("state", "in", ("in_process", "paid")),
            ],
            order="id desc",
            limit=1,
        )
        if not payment:
            raise booking_error(
                self.env,
                "accounting_system_validation_failure",
                "returned_payment_missing",
                number=posting.invoice_number,
                vendor=partner.display_name,
            )
        return payment

    @staticmethod
    def _reconcile(bill, counterpart):
        open_lines = bill.line_ids.filtered(
            lambda line: line.account_id == counterpart.account_id and not line.reconciled
        )
        if open_lines and not counterpart.reconciled:
            (open_lines | counterpart).reconcile()
