"""Booking rules: one Pleo export item (``ExportItemV3``) becomes one balanced :class:`Posting`.

Everything is in integer minor units of the wallet currency (Pleo's ``value`` is "in cents",
e.g. 896.96 SEK is 89696) and ``Decimal``; no float is ever used for money. The rules:

* **Debit side** [docs]: each Pleo line debits its ``account`` with its *net* amount,
  ``lineAmount − tax.amount``, for ``inclusive`` and ``exclusive`` taxes alike. Pleo's pages
  disagree on what ``netAmount`` means for the two types, so it is never read: deriving the net
  from the line and Pleo's own tax amount makes the entry equal Pleo's totals to the cent.
* **Tax**: Pleo's tax amount is debited on a line of its own (role ``tax``), which keeps the
  tax's ``ingoingTaxAccount``. One tax line per Pleo line, never merged per tax: each keeps its
  Pleo line id and tags, so a line's tax can be traced back to it and the Odoo layer can still
  group them if it wants. The Odoo layer books it on the Odoo tax's repartition lines, spread by
  their percentages (partly deductible VAT), and on their accounts.
* **Supplier currency**: each line also keeps its amount in the supplier's (receipt's) currency
  when Pleo's figures there add up (``supplier_amount``, ``Posting.supplier_currency``): when
  that is the company's currency, the receipt's own VAT and base are the company amounts.
* **Reverse charge** (``reverse``, EU reverse charge [spec]): the supplier invoiced without VAT
  and the buyer self-assesses it, so the VAT is *not* part of what was paid: ``lineAmount`` is
  what left the wallet and is debited whole on the expense account (net = ``lineAmount``); the
  VAT is debited on the ingoing (deductible) tax account (``tax``) and credited on the outgoing
  (payable) tax account (``tax_reverse``). The two cancel, so the contra side still equals
  Pleo's total.
* **Credit side**: the item's ``contraAccount`` (wallet, out-of-pocket or transit account),
  credited with Pleo's total.
* **Direction**: refunds, chargebacks and cashback (and the sub-types that undo an earlier
  payment) run the other way. Whether Pleo sends their values negative is [unknown], so the sign
  Pleo sends is ignored for the direction: every value is multiplied by the sign of the total
  (the total becomes positive, the lines keep their signs relative to it, so a negative discount
  line inside a purchase still works) and the item's type decides the direction.
* **Wallet top-ups and unloads** move money between the company's bank and the Pleo wallet.
  Pleo's pages say the contra account *is* the wallet ("Contra Accounts: the accounts that
  represent the Pleo wallet", developers.pleo.io/docs/generic-terms-in-pleo; "your Contra Account
  represents the source of money", help.pleo.io "Configure Contra Accounts"), and the line the
  bank. So a top-up debits the contra (money into the wallet) and credits the line; an unload
  credits the contra. Another of Pleo's pages calls the contra a transit account for wallet
  loads, with the wallet on the line: when the Odoo layer finds the Pleo journal's account on the
  line instead, :func:`wallet_on_lines` turns the posting round. Pleo's sign can only confirm:
  a top-up is money into the wallet, so one sent negative contradicts its type and fails
  (an unload may come negative or positive: that sign is the [unknown] above).

Every rule a booking depends on is checked first; an item that breaks one raises
:class:`ItemError` with a Pleo failure type and a short message that names the item's data, and
the export goes on with the next item.
"""

import dataclasses
import datetime
import hashlib
import json
import re
import uuid
from dataclasses import dataclass

from . import timestamps
from .items import (
    AccountRef,
    BankAccountRef,
    FileRef,
    ItemError,
    Reader,
    TagRef,
    TaxRef,
    VendorRef,
    read_account,
    read_files,
    read_tags,
    read_tax,
    read_texts,
    read_vendor,
    read_web_url,
    short,
)

ITEM_TYPES = frozenset(
    {
        "card_purchase",
        "card_invoice",
        "out_of_pocket",
        "mileage",
        "per_diem",
        "external_reimbursement",
        "direct_reimbursement",
        "invoice",
        "invoice_payment",
        "chargeback",
        "refund",
        "cashback",
        "atm_withdrawal",
        "wallet_topup",
        "wallet_unload",
        "personal_spend",
        "fee",
    }
)
SUB_TYPES = frozenset(
    {
        "reimbursement_to_employee",
        "reimbursement_to_employee_refund",
        "reimbursement_to_company",
        "invoice_payment_sent",
        "invoice_payment_returned",
        "interest",
    }
)
# The contra account is debited and the line's account credited. Money flows back into the wallet:
# refunds, chargebacks, cashback, and top-ups, whose contra is the wallet [docs] (see the module
# docstring; an unload credits the wallet, the normal way).
REVERSAL_TYPES = frozenset({"refund", "chargeback", "cashback", "wallet_topup"})
#: Money between the company's bank and the wallet: which side is the wallet is checked.
WALLET_TYPES = frozenset({"wallet_topup", "wallet_unload"})
# Sub-types whose description in the spec is "reversing the original transaction" or a payment
# made to the company instead of by it.
REVERSAL_SUB_TYPES = frozenset(
    {"reimbursement_to_employee_refund", "reimbursement_to_company", "invoice_payment_returned"}
)
BOOKKEEPING_METHODS = frozenset({"none", "journal", "accounts_payable"})

FINGERPRINT_VERSION = "posting-v1"
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class PostingLine:
    """One journal line; ``amount`` in signed minor units: > 0 debit, < 0 credit.

    ``role`` is ``expense`` (the Pleo line's account, its net amount), ``tax`` (Pleo's tax amount;
    ``account`` is the ingoing tax account, ``None`` for the Odoo tax's own), ``tax_reverse`` (the
    credit side of a reverse charge, on the outgoing tax account) or ``contra``.
    """

    role: str
    account: AccountRef | None
    amount: int
    tax: TaxRef | None
    tags: tuple[TagRef, ...]
    line_id: str | None
    label: str
    #: the same amount in minor units of ``Posting.supplier_currency`` (None: not known)
    supplier_amount: int | None = None


@dataclass(frozen=True)
class Posting:
    """A balanced booking of one Pleo item: ``sum(line.amount for line in lines) == 0``.

    ``total`` is Pleo's total (always >= 0) in minor units of ``currency`` (the wallet currency);
    ``reversal`` says the item runs the other way (contra debited). ``fingerprint`` is equal for
    two postings iff they book the same thing (see :func:`fingerprint`).
    """

    entry_uuid: str
    item_type: str
    sub_type: str | None
    reversal: bool
    date: datetime.date
    currency: str
    total: int
    lines: tuple[PostingLine, ...]
    reference: str | None
    label: str
    note: str | None
    supplier_name: str | None
    user_code: str | None
    user_name: str | None
    web_url: str | None
    bookkeeping_method: str | None
    files: tuple[FileRef, ...]
    fingerprint: str
    # What the Odoo layer's placement rules need [docs]: vendor bills, payments, labels.
    vendor: VendorRef | None = None
    supplier_code: str | None = None
    supplier_account: str | None = None
    supplier_tax_id: str | None = None
    #: Pleo's id of the user (a UUID) and e-mail ([unknown]): the employee's partner
    user_id: str | None = None
    user_email: str | None = None
    attendees: tuple[str, ...] = ()
    reconciled_entries: tuple[str, ...] = ()
    invoice_number: str | None = None
    invoice_date: datetime.date | None = None
    due_date: datetime.date | None = None
    #: where Pleo pays the vendor (a bill's check of the vendor's bank accounts)
    supplier_bank: BankAccountRef | None = None
    team_name: str | None = None
    team_code: str | None = None
    #: Pleo's date-time as an aware UTC datetime (None when Pleo sent a date only); the Odoo
    #: layer books its date in the company's time zone (``date`` is the date part as written).
    moment: datetime.datetime | None = None
    #: the receipt's currency, when every line's amount in it is known (``supplier_amount``)
    supplier_currency: str | None = None
    #: the wallet is on the lines and the contra a transit account (see :func:`wallet_on_lines`)
    wallet_on_lines: bool = False

    @property
    def contra_lines(self):
        """The contra line(s) of the posting."""
        return tuple(line for line in self.lines if line.role == "contra")


# --------------------------------------------------------------------------- the rules


def posting_from_item(item):
    """Return the :class:`Posting` of one ``ExportItemV3`` (a decoded JSON object).

    Raises :class:`ItemError` when the item cannot be booked, and no other exception whatever
    ``item`` holds.
    """
    try:
        return _posting_from_item(item)
    except ItemError:
        raise
    except Exception as exc:  # a shape no check foresaw: still one failed item, not a crash
        entry = item.get("accountingEntryId") if isinstance(item, dict) else None
        entry = short(entry) if isinstance(entry, str) else "(unknown)"
        raise ItemError(
            "validation_failure",
            data={"entry": entry, "error": type(exc).__name__},
            reason="item_unreadable",
        ) from None


def _posting_from_item(item):
    """The rules, in three readers: the item's header, each Pleo line, the bookkeeping."""
    header = _read_header(item)
    reader, entry = header["reader"], header["entry_uuid"]
    texts = read_texts(reader, item)
    label = texts.pop("label")
    lines, line_sum = [], 0
    for number, raw in enumerate(header["raw_lines"], 1):
        value, posted = _post_line(reader, raw, number, header, label)
        line_sum += value
        lines.extend(posted)
    total, currency, supplier = header["total"], header["currency"], header["supplier"]
    if line_sum != total:
        reader.fail("lines_unbalanced", line_sum=line_sum, total=total, currency=currency)
    total = total * header["sign"]
    if supplier and not all(line.supplier_amount is not None for line in lines):
        supplier = None  # a tax in one currency only: keep to the wallet's figures
    if supplier:
        s_contra = -sum(line.supplier_amount for line in lines)
    else:
        lines = [dataclasses.replace(line, supplier_amount=None) for line in lines]
        s_contra = None
    direction = header["direction"]
    contra = PostingLine("contra", header["contra"], -total * direction, None, (), None, label)
    lines = (*lines, dataclasses.replace(contra, supplier_amount=s_contra))
    if sum(line.amount for line in lines) != 0:  # pragma: no cover - guaranteed by the rules
        reader.fail("not_balanced")
    method, vendor = _read_bookkeeping(reader, item)
    posting = {
        "entry_uuid": entry,
        "item_type": header["item_type"],
        "sub_type": header["sub_type"],
        "reversal": header["reversal"],
        "date": header["date"],
        "currency": currency,
        "total": total,
        "lines": lines,
        "label": label,
        "web_url": read_web_url(item.get("_links")),
        "bookkeeping_method": method,
        "files": read_files(reader, item.get("files")),
        "vendor": vendor,
        **texts,
    }
    return Posting(
        fingerprint=fingerprint(posting),
        moment=timestamps.parse(item.get("date")),
        supplier_currency=supplier["currency"] if supplier else None,
        **posting,
    )


def _entry_id(item):
    """The item's ``accountingEntryId`` as a canonical UUID; an :class:`ItemError` if none."""
    if not isinstance(item, dict):
        raise ItemError("validation_failure", reason="item_not_object")
    entry = item.get("accountingEntryId")
    try:
        entry = str(uuid.UUID(entry)) if isinstance(entry, str) and len(entry) <= 64 else None
    except ValueError:
        entry = None
    if entry is None:
        raise ItemError(
            "validation_failure",
            data={"value": short(item.get("accountingEntryId"))},
            reason="entry_id_invalid",
        )
    return entry


def _read_header(item):
    """What the whole item says: entry, type, sub-type, direction, date, currency, total (and
    the supplier's figures), contra account and the raw lines."""
    entry = _entry_id(item)
    reader = Reader(entry)
    item_type = item.get("type")
    if item_type not in ITEM_TYPES:
        reader.fail("type_unknown", item_type=short(item_type))
    sub_type = item.get("subType")
    if sub_type is not None and sub_type not in SUB_TYPES:
        # A sub-type may change the direction: booking an unknown one could book it backwards.
        reader.fail("sub_type_unknown", sub_type=short(sub_type))
    reversal = item_type in REVERSAL_TYPES or sub_type in REVERSAL_SUB_TYPES
    date = reader.date(item.get("date"), "date")

    amount = reader.obj(item.get("amount"), "amount")
    wallet = reader.obj(amount.get("inWalletCurrency"), "amount_wallet")
    currency = wallet.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        reader.fail("currency_invalid", currency=short(currency))
    total = reader.money(wallet, "amount", currency)
    if item_type == "wallet_topup" and total < 0:
        reader.fail("topup_negative", total=total, currency=currency)

    contra = read_account(reader, item.get("contraAccount"), "contra_account")
    if contra is None:
        reader.fail("contra_missing", code="missing_configuration", field="contra_account")
    raw_lines = reader.listing(item.get("accountingEntryLines"), "accounting_entry_lines")
    if not raw_lines:
        reader.fail(
            "lines_missing",
            code="missing_configuration",
            field="accounting_entry_lines",
            item_type=item_type,
        )
    return {
        "reader": reader,
        "entry_uuid": entry,
        "item_type": item_type,
        "sub_type": sub_type,
        "reversal": reversal,
        "date": date,
        "currency": currency,
        "total": total,
        "supplier": _supplier_figures(item, amount, currency),
        "contra": contra,
        "raw_lines": raw_lines,
        # the total becomes positive, the lines keep their signs relative to it
        "sign": -1 if total < 0 else 1,
        "direction": -1 if reversal else 1,
    }


def _post_line(reader, raw, number, header, label):
    """One Pleo line → ``(its amount as Pleo sent it, its 1 to 3 posting lines)``: the net
    on its account, its tax and, for a reverse charge, the self-assessed side."""
    currency = header["currency"]
    line = reader.obj(raw, "line", number)
    line_id = reader.text(line.get("accountingEntryLineId"), "line_id", number)
    line_amount = reader.obj(line.get("lineAmount"), "line_amount", number)
    value = reader.money(line_amount.get("inWalletCurrency"), "line_amount", currency, number)
    account = read_account(reader, line.get("account"), "account", number)
    if account is None:
        reader.fail(
            "line_account_missing", code="missing_configuration", line=number, field="account"
        )
    tags = read_tags(reader, line.get("tags"), number)
    tax, tax_amount = read_tax(reader, line.get("tax"), number, currency)
    if abs(tax_amount) > abs(value):
        reader.fail("tax_above_line", line=number, tax_amount=tax_amount, line_amount=value)
    if tax is not None and tax.type != "reverse":
        _check_tax_ceiling(reader, number, value, tax_amount, tax.rate)
    # Whether Pleo signs a tax like its line is [unknown]: a tax always has its line's sign.
    tax_amount = abs(tax_amount) if value >= 0 else -abs(tax_amount)
    factor = header["sign"] * header["direction"]
    signed, tax_amount = value * factor, tax_amount * factor
    reverse = tax is not None and tax.type == "reverse"
    net = signed if reverse else signed - tax_amount
    s_net, s_tax = _supplier_line(header, number, tax is not None and tax_amount, reverse)
    posted = [PostingLine("expense", account, net, tax, tags, line_id, label, s_net)]
    if tax is not None and tax_amount:
        tax_name = tax.code or f"{_percent(tax.rate)} %"
        ingoing = AccountRef(tax.ingoing_account, None, None) if tax.ingoing_account else None
        posted.append(
            PostingLine(
                "tax", ingoing, tax_amount, tax, tags, line_id, f"{label} ({tax_name})", s_tax
            )
        )
        if reverse:
            outgoing = (
                AccountRef(tax.outgoing_account, None, None) if tax.outgoing_account else None
            )
            posted.append(
                PostingLine(
                    "tax_reverse",
                    outgoing,
                    -tax_amount,
                    tax,
                    tags,
                    line_id,
                    f"{label} ({tax_name}, reverse charge)",
                    None if s_tax is None else -s_tax,
                )
            )
    return value, posted


def _supplier_line(header, number, has_tax, reverse):
    """``(net, tax)`` of line ``number`` in the supplier's currency, ``(None, None)`` when not
    known or when a tax shows in one currency only (then the posting keeps to the wallet's)."""
    supplier = header["supplier"]
    if not supplier:
        return None, None
    s_value, s_tax = supplier["lines"][number - 1]
    s_value, s_tax = s_value * header["direction"], s_tax * header["direction"]
    if bool(s_tax) != bool(has_tax):
        return None, None
    return (s_value if reverse else s_value - s_tax), s_tax


def _read_bookkeeping(reader, item):
    """``(bookkeeping method, vendor)``: a vendor bill needs its vendor."""
    method = None
    bookkeeping = reader.obj(item.get("bookkeeping"), "bookkeeping", required=False)
    if bookkeeping is not None:
        method = bookkeeping.get("method")
        if method is not None and method not in BOOKKEEPING_METHODS:
            reader.fail("bookkeeping_method_unknown", method=short(method))
    vendor = read_vendor(reader, item.get("vendor"))
    if method == "accounts_payable" and vendor is None:
        reader.fail("vendor_missing", code="missing_configuration", field="vendor")
    return method, vendor


def wallet_on_lines(posting):
    """The posting of a wallet top-up or unload whose *lines* carry the wallet account (and
    whose contra is a transit account): the same lines, the other way round.

    The Odoo layer calls it when the Pleo journal's account is on the lines, not the contra (see
    the module docstring). The fingerprint is recomputed: it books the other way.
    """
    if posting.item_type not in WALLET_TYPES or posting.wallet_on_lines:
        return posting
    lines = tuple(
        dataclasses.replace(
            line,
            amount=-line.amount,
            supplier_amount=None if line.supplier_amount is None else -line.supplier_amount,
        )
        for line in posting.lines
    )
    turned = dataclasses.replace(
        posting, lines=lines, reversal=not posting.reversal, wallet_on_lines=True
    )
    return dataclasses.replace(turned, fingerprint=fingerprint(turned))


def _supplier_figures(item, amount, wallet_currency):
    """Pleo's amounts in the supplier's currency: ``{"currency", "lines": [(line, tax)]}``.

    Every value is checked as the wallet's are, and the lines must add up to the total; ``None``
    when the supplier's currency is the wallet's, or anything is missing or does not add up (the
    wallet figures are then the only ones). Never raises.
    """
    try:
        reader = Reader("-")
        total_money = amount.get("inSupplierCurrency")
        currency = total_money.get("currency") if isinstance(total_money, dict) else None
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            return None
        if currency == wallet_currency:
            return None
        total = reader.money(total_money, "amount_supplier", currency)
        figures = []
        for raw in item.get("accountingEntryLines") or ():
            value = reader.money(raw["lineAmount"]["inSupplierCurrency"], "line_amount", currency)
            tax = raw.get("tax")
            tax_value = 0
            if tax is not None:
                tax_value = reader.money(
                    tax["amount"]["inSupplierCurrency"], "tax_amount", currency
                )
            if abs(tax_value) > abs(value):
                return None
            tax_value = abs(tax_value) if value >= 0 else -abs(tax_value)
            figures.append((value, tax_value))
    except (ItemError, KeyError, TypeError, AttributeError):
        return None
    if not figures or sum(value for value, _tax in figures) != total:
        return None
    sign = -1 if total < 0 else 1
    return {"currency": currency, "lines": [(v * sign, t * sign) for v, t in figures]}


def _check_tax_ceiling(reader, number, value, tax_amount, rate):
    """Fail a line whose VAT is more than its amount can contain.

    A tax paid to the supplier (``inclusive``, ``exclusive``) is part of the line amount, which
    holds at most ``amount x r / (1 + r)`` of VAT at rate ``r``. More than one minor unit above
    that (Pleo's rounding) means the tax was put on top of the amount, or is wrong: booked, it
    would deduct VAT that was never paid. Integer arithmetic on ``r = p / q``: the tax is too
    large when ``(|tax| - 1) x (p + q) > |amount| x p``.
    """
    p, q = rate.as_integer_ratio()
    if (abs(tax_amount) - 1) * (p + q) <= abs(value) * p:
        return
    reader.fail(
        "tax_above_ceiling",
        line=number,
        tax_amount=abs(tax_amount),
        line_amount=abs(value),
        rate=str(rate),
        percent=_percent(rate),
        ceiling=abs(value) * p // (p + q),
    )


def _percent(rate):
    """``Decimal('0.25')`` → ``'25'``."""
    text = format((rate * 100).normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fingerprint(posting):
    """A stable hash of what a posting books (a :class:`Posting` or its field dict).

    It covers the type, date, currency, total, label, reference, bookkeeping method, vendor code
    and every line's role, account code and identifier, amount, tax and tags (sorted: their order
    in Pleo books nothing differently); for accounts-payable items also the sub-type, invoice
    number, invoice and due dates and the vendor's VAT number, which a vendor bill books. Account
    names, Pleo line ids, receipts and the web link are left out: they change nothing in the
    books. Equal fingerprints mean "posted and unchanged" on a re-export.
    """
    get = posting.get if isinstance(posting, dict) else lambda name: getattr(posting, name)

    def account(ref):
        return None if ref is None else [ref.code, ref.identifier]

    def tax(ref):
        if ref is None:
            return None
        rate = str(ref.rate.normalize()) if ref.rate else "0"
        return [ref.code, rate, ref.type, ref.ingoing_account, ref.outgoing_account]

    lines = sorted(
        (
            [
                line.role,
                account(line.account),
                line.amount,
                tax(line.tax),
                sorted([tag.group_code, tag.code] for tag in line.tags),
                line.label,
            ]
            for line in get("lines")
        ),
        key=lambda row: json.dumps(row, sort_keys=True),
    )
    vendor = get("vendor")
    canonical = [
        FINGERPRINT_VERSION,
        get("item_type"),
        get("date").isoformat(),
        get("currency"),
        get("total"),
        get("label"),
        get("reference"),
        get("bookkeeping_method"),
        None if vendor is None else [vendor.code, vendor.external_id],
        lines,
    ]
    if get("bookkeeping_method") == "accounts_payable":
        # A vendor bill books these too (its reference and dates); a journal entry does not,
        # so the fingerprints of journal entries stay what they were.
        canonical.append(
            [
                get("sub_type"),
                get("invoice_number"),
                *(
                    None if day is None else day.isoformat()
                    for day in (get("invoice_date"), get("due_date"))
                ),
                None if vendor is None else vendor.tax_registration_number,
            ]
        )
    text = json.dumps(canonical, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
