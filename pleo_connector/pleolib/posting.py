"""Booking rules: one Pleo export item (``ExportItemV3``) becomes one balanced :class:`Posting`.

Everything is in integer minor units of the wallet currency (Pleo's ``value`` is "in cents",
e.g. 896.96 SEK is 89696) and ``Decimal``; no float is ever used for money. The rules:

* **Debit side** [docs]: each Pleo line debits its ``account`` with its *net* amount,
  ``lineAmount − tax.amount``, for ``inclusive`` and ``exclusive`` taxes alike. Pleo's pages
  disagree on what ``netAmount`` means for the two types, so it is never read: deriving the net
  from the line and Pleo's own tax amount makes the entry equal Pleo's totals to the cent.
* **Tax**: Pleo's tax amount is debited on a line of its own (role ``tax``), on the tax's
  ``ingoingTaxAccount`` when Pleo names one (else the Odoo tax's own account). One tax line per
  Pleo line, never merged per tax: each keeps its Pleo line id and tags, so a line's tax can be
  traced back to it and the Odoo layer can still group them if it wants.
* **Reverse charge** (``reverse``, EU reverse charge [spec]): the supplier invoiced without VAT
  and the buyer self-assesses it, so the VAT is *not* part of what was paid: ``lineAmount`` is
  what left the wallet and is debited whole on the expense account (net = ``lineAmount``); the
  VAT is debited on the ingoing (deductible) tax account (``tax``) and credited on the outgoing
  (payable) tax account (``tax_reverse``). The two cancel, so the contra side still equals
  Pleo's total.
* **Credit side**: the item's ``contraAccount`` (wallet, out-of-pocket or transit account),
  credited with Pleo's total.
* **Direction**: refunds, chargebacks, cashback and wallet unloads (and the sub-types that undo
  an earlier payment) run the other way. Whether Pleo sends their values negative is [unknown],
  so the sign Pleo sends is ignored for the direction: every value is multiplied by the sign of
  the total (the total becomes positive, the lines keep their signs relative to it, so a
  negative discount line inside a purchase still works) and the item's type decides the
  direction.

Every rule a booking depends on is checked first; an item that breaks one raises
:class:`ItemError` with a Pleo failure type and a short message that names the item's data, and
the export goes on with the next item.
"""

import calendar
import datetime
import hashlib
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from urllib.parse import urlsplit

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
# Money flows back into the wallet (or the transit account gives it back): the line's account is
# credited and the contra account debited. Wallet top-ups are *not* here: their lines carry the
# wallet account and the contra is the transit account [docs], so they book the normal way.
REVERSAL_TYPES = frozenset({"refund", "chargeback", "cashback", "wallet_unload"})
# Sub-types whose description in the spec is "reversing the original transaction" or a payment
# made to the company instead of by it.
REVERSAL_SUB_TYPES = frozenset(
    {"reimbursement_to_employee_refund", "reimbursement_to_company", "invoice_payment_returned"}
)
TAX_TYPES = frozenset({"inclusive", "exclusive", "reverse"})
BOOKKEEPING_METHODS = frozenset({"none", "journal", "accounts_payable"})

FINGERPRINT_VERSION = "posting-v1"
_MAX_EXACT_FLOAT = 2**53
_MAX_TEXT = 64
_CURRENCY = re.compile(r"[A-Z]{3}")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?", re.DOTALL)
_SPACES = re.compile(r"\s+")

# ISO 4217 minor units of the currencies that do not have two.
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


class ItemError(Exception):
    """One item cannot be booked; the export goes on with the others.

    ``code`` is a Pleo ``ExportJobItemFailureReasonType`` (``validation_failure``,
    ``missing_configuration``...), ``message`` an English sentence a bookkeeper can act on, and
    ``data`` the values it was built from, so the Odoo layer can word it in the user's language.
    """

    def __init__(self, code, message, data=None):
        self.code = code
        self.message = message
        self.data = dict(data or {})
        super().__init__(message)

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"ItemError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class AccountRef:
    """A Pleo account: ``code`` (its number), ``name`` (as in Pleo), ``identifier`` (the ERP's)."""

    code: str | None
    name: str | None
    identifier: str | None


@dataclass(frozen=True)
class TagRef:
    """A Pleo tag (cost centre): its group's code and its own code."""

    group_code: str
    code: str


@dataclass(frozen=True)
class TaxRef:
    """The tax Pleo applied to a line; ``type`` is ``inclusive``, ``exclusive`` or ``reverse``.

    ``rate`` is a fraction (0.25 for 25 %); the accounts are Pleo's account codes, or ``None``.
    """

    code: str | None
    rate: Decimal
    type: str
    ingoing_account: str | None
    outgoing_account: str | None


@dataclass(frozen=True)
class FileRef:
    """A receipt attached to the item: a presigned link (valid 24 h), its mime type and size."""

    url: str
    mimetype: str
    size: int

    def __repr__(self):  # the URL's query string is a credential: never print it
        return f"FileRef(url={_safe_url(self.url)!r}, mimetype={self.mimetype!r}, size={self.size})"


@dataclass(frozen=True)
class VendorRef:
    """The vendor of an accounts-payable item (vendor-based bookkeeping)."""

    id: str | None
    name: str | None
    code: str | None
    external_id: str | None
    country: str | None
    default_currency: str | None
    registration_number: str | None
    tax_registration_number: str | None


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
    # Added for the Odoo layer's placement rules [docs]; not part of the lead's first interface.
    vendor: VendorRef | None = None
    supplier_code: str | None = None
    supplier_account: str | None = None
    supplier_tax_id: str | None = None
    attendees: tuple[str, ...] = ()
    reconciled_entries: tuple[str, ...] = ()
    invoice_number: str | None = None
    invoice_date: datetime.date | None = None
    due_date: datetime.date | None = None
    team_name: str | None = None
    team_code: str | None = None

    @property
    def contra_lines(self):
        """The contra line(s) of the posting."""
        return tuple(line for line in self.lines if line.role == "contra")


# --------------------------------------------------------------------------- reading values


class _Reader:
    """Checks one item's values; every failure names the entry (and line) it is about."""

    def __init__(self, entry):
        self.entry = entry

    def fail(self, message, code="validation_failure", **data):
        data.setdefault("entry", self.entry)
        raise ItemError(code, message, data)

    def where(self, line):
        return f"Pleo line {line} of entry {self.entry}" if line else f"Pleo entry {self.entry}"

    def obj(self, value, what, line=None, *, required=True):
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            state = "is missing" if value is None else "is not an object"
            self.fail(f"{self.where(line)}: {what} {state}.", field=what, line=line)
        return value

    def text(self, value, what, line=None, *, required=False):
        if value is None:
            if required:
                self.fail(f"{self.where(line)}: {what} is missing.", field=what, line=line)
            return None
        if not isinstance(value, str):
            self.fail(f"{self.where(line)}: {what} is not a text.", field=what, line=line)
        return value

    def listing(self, value, what, line=None):
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{self.where(line)}: {what} is not a list.", field=what, line=line)
        return value

    def integer(self, value, what, line=None):
        """An exact integer: ``1250`` or ``1250.0``, never ``12.5``, ``True`` or ``"1250"``."""
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            self.fail(
                f"{self.where(line)}: {what} is not a number.",
                field=what,
                line=line,
                value=_short(value),
            )
        if isinstance(value, int):
            return value
        try:
            exact = Decimal(value)
        except (InvalidOperation, ValueError):  # pragma: no cover - Decimal(float) never fails
            exact = None
        if (
            exact is None
            or not exact.is_finite()
            or exact != exact.to_integral_value()
            or (isinstance(value, float) and abs(value) >= _MAX_EXACT_FLOAT)
        ):
            self.fail(
                f"{self.where(line)}: {what} is {_short(value)}, not a whole number of minor "
                "units (cents).",
                field=what,
                line=line,
                value=_short(value),
            )
        return int(exact)

    def money(self, value, what, currency, line=None):
        """``MoneyModel`` → integer minor units, checking its currency against ``currency``."""
        money = self.obj(value, what, line)
        cur = money.get("currency")
        if cur != currency:
            self.fail(
                f"{self.where(line)}: {what} is in {_short(cur)}, not in the wallet currency "
                f"{currency}.",
                field=what,
                line=line,
                currency=_short(cur),
                wallet_currency=currency,
            )
        return self.integer(money.get("value"), what, line)

    def date(self, value, what, *, required=True):
        """A date-time (or date) as written by Pleo, as a calendar date.

        The date part is taken as written, without converting to another time zone: it is the day
        the bookkeeper saw in Pleo.
        """
        if value is None and not required:
            return None
        match = _DATE.fullmatch(value) if isinstance(value, str) else None
        parts = [int(part) for part in match.groups()] if match else None
        if parts and 1 <= parts[1] <= 12 and 1 <= parts[2] <= calendar.monthrange(*parts[:2])[1]:
            return datetime.date(*parts)
        self.fail(
            f"{self.where(None)}: {what} {_short(value)} is not a valid date.",
            field=what,
            value=_short(value),
        )
        return None  # pragma: no cover - fail() raises


def _short(value):
    """``value`` for a message: short, printable, never a whole structure."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _clean(text):
    """A label part: printable, one line, no surrounding blanks."""
    if not text:
        return ""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


def _safe_url(url):
    """``scheme://host/path`` of ``url``: no user info, query string or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except (ValueError, TypeError, AttributeError):
        return "<invalid URL>"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _account(reader, value, what, line=None):
    """``AccountV3`` / ``ContraAccount`` → :class:`AccountRef`, ``None`` if Pleo sent none."""
    if value is None:
        return None
    account = reader.obj(value, what, line)
    ref = AccountRef(
        code=reader.text(account.get("code"), f"{what} code", line) or None,
        name=reader.text(account.get("name"), f"{what} name", line) or None,
        identifier=reader.text(account.get("identifier"), f"{what} identifier", line) or None,
    )
    if ref.code is None and ref.identifier is None:
        return None
    return ref


def _tags(reader, value, line):
    tags = []
    for index, raw in enumerate(reader.listing(value, "tags", line), 1):
        if raw is None:  # the spec allows null elements
            continue
        tag = reader.obj(raw, f"tag {index}", line)
        group = reader.text(tag.get("groupCode"), f"tag {index} group code", line, required=True)
        code = reader.text(tag.get("code"), f"tag {index} code", line, required=True)
        tags.append(TagRef(group_code=group, code=code))
    return tuple(tags)


def _tax(reader, value, line, currency):
    """``TaxV3`` → ``(TaxRef, amount)``, or ``(None, 0)`` when the line has no tax."""
    if value is None:
        return None, 0
    tax = reader.obj(value, "tax", line)
    kind = tax.get("type")
    if kind not in TAX_TYPES:
        reader.fail(
            f"{reader.where(line)}: the tax type {_short(kind)} is not inclusive, exclusive or "
            "reverse.",
            line=line,
            tax_type=_short(kind),
        )
    rate = tax.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, (int, float, Decimal)):
        reader.fail(f"{reader.where(line)}: the tax rate is not a number.", line=line)
    try:
        rate = Decimal(str(rate))  # the decimal text of the JSON number, not float arithmetic
    except InvalidOperation:  # pragma: no cover - str() of a number always parses
        rate = Decimal("NaN")
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
        reader.fail(
            f"{reader.where(line)}: the tax rate {_short(tax.get('rate'))} is not a fraction "
            "between 0 and 1 (0.25 is 25 %).",
            line=line,
            rate=_short(tax.get("rate")),
        )
    amount = reader.obj(tax.get("amount"), "tax amount", line)
    amount = reader.money(amount.get("inWalletCurrency"), "the tax amount", currency, line)
    ref = TaxRef(
        code=reader.text(tax.get("code"), "tax code", line) or None,
        rate=rate,
        type=kind,
        ingoing_account=reader.text(tax.get("ingoingTaxAccount"), "ingoing tax account", line)
        or None,
        outgoing_account=reader.text(tax.get("outgoingTaxAccount"), "outgoing tax account", line)
        or None,
    )
    return ref, amount


def _files(reader, value):
    files = []
    for index, raw in enumerate(reader.listing(value, "files"), 1):
        if raw is None:
            continue
        what = f"attachment {index}"
        file = reader.obj(raw, what)
        url = reader.text(file.get("url"), f"{what} URL", required=True)
        if not url.lower().startswith(("https://", "http://")):
            reader.fail(f"{reader.where(None)}: {what} has no web link.", field=what)
        mimetype = reader.text(file.get("type"), f"{what} type") or "application/octet-stream"
        size = file.get("size")
        size = 0 if size is None else reader.integer(size, f"{what} size")
        if size < 0:
            reader.fail(f"{reader.where(None)}: {what} has a negative size.", field=what)
        files.append(FileRef(url=url, mimetype=mimetype, size=size))
    return tuple(files)


def _web_url(value):
    """``_links.web``: a ``{name: href}`` object [spec] (``exportItem``), or an ``href``."""
    links = value.get("web") if isinstance(value, dict) else None
    if isinstance(links, dict):
        candidates = [links.get("href"), links.get("exportItem"), *links.values()]
    else:
        candidates = [links]
    for href in candidates:
        if isinstance(href, str) and href.lower().startswith(("https://", "http://")):
            return href
    return None


def _vendor(reader, value):
    if value is None:
        return None
    vendor = reader.obj(value, "vendor")
    texts = {
        key: reader.text(vendor.get(key), f"vendor {key}") or None
        for key in (
            "id",
            "name",
            "code",
            "externalId",
            "country",
            "defaultCurrency",
            "registrationNumber",
            "taxRegistrationNumber",
        )
    }
    return VendorRef(
        id=texts["id"],
        name=texts["name"],
        code=texts["code"],
        external_id=texts["externalId"],
        country=texts["country"],
        default_currency=texts["defaultCurrency"],
        registration_number=texts["registrationNumber"],
        tax_registration_number=texts["taxRegistrationNumber"],
    )


def _strings(reader, value, what):
    return tuple(
        item for item in reader.listing(value, what) if isinstance(item, str) and item.strip()
    )


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
        entry = _short(entry) if isinstance(entry, str) else "(unknown)"
        raise ItemError(
            "validation_failure",
            f"Pleo entry {entry} could not be read ({type(exc).__name__}).",
            {"entry": entry, "error": type(exc).__name__},
        ) from None


def _posting_from_item(item):
    if not isinstance(item, dict):
        raise ItemError("validation_failure", "The Pleo export item is not an object.", {})
    entry = item.get("accountingEntryId")
    try:
        entry = str(uuid.UUID(entry)) if isinstance(entry, str) and len(entry) <= 64 else None
    except ValueError:
        entry = None
    if entry is None:
        raise ItemError(
            "validation_failure",
            "The Pleo export item has no valid accountingEntryId (a UUID).",
            {"value": _short(item.get("accountingEntryId"))},
        )
    reader = _Reader(entry)

    item_type = item.get("type")
    if item_type not in ITEM_TYPES:
        reader.fail(
            f"Pleo entry {entry} has the unknown type {_short(item_type)}.",
            item_type=_short(item_type),
        )
    sub_type = item.get("subType")
    if sub_type is not None and sub_type not in SUB_TYPES:
        # A sub-type may change the direction: booking an unknown one could book it backwards.
        reader.fail(
            f"Pleo entry {entry} has the unknown sub-type {_short(sub_type)}.",
            sub_type=_short(sub_type),
        )
    reversal = item_type in REVERSAL_TYPES or sub_type in REVERSAL_SUB_TYPES
    date = reader.date(item.get("date"), "the date")

    amount = reader.obj(item.get("amount"), "the amount")
    wallet = reader.obj(amount.get("inWalletCurrency"), "the amount in wallet currency")
    currency = wallet.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        reader.fail(
            f"Pleo entry {entry} has no valid wallet currency ({_short(currency)}).",
            currency=_short(currency),
        )
    total = reader.money(wallet, "the amount", currency)

    contra = _account(reader, item.get("contraAccount"), "contra account")
    if contra is None:
        reader.fail(
            f"Pleo entry {entry}: the item has no contra account: set the Pleo wallet/"
            "out-of-pocket account in Pleo's accounting settings.",
            code="missing_configuration",
            field="contraAccount",
        )

    raw_lines = reader.listing(item.get("accountingEntryLines"), "accountingEntryLines")
    if not raw_lines:
        reader.fail(
            f"Pleo entry {entry} ({item_type}) has no accounting lines, so there is no account "
            "to book it against: set the account for this kind of entry in Pleo's accounting "
            "settings and export it again.",
            code="missing_configuration",
            field="accountingEntryLines",
            item_type=item_type,
        )

    # sign: the total becomes positive, the lines keep their signs relative to it
    sign = -1 if total < 0 else 1
    direction = -1 if reversal else 1

    texts = _texts(reader, item)
    label = texts.pop("label")
    lines, line_sum = [], 0
    for number, raw in enumerate(raw_lines, 1):
        line = reader.obj(raw, "the line", number)
        line_id = reader.text(line.get("accountingEntryLineId"), "the line id", number)
        line_amount = reader.obj(line.get("lineAmount"), "the line amount", number)
        value = reader.money(
            line_amount.get("inWalletCurrency"), "the line amount", currency, number
        )
        line_sum += value
        account = _account(reader, line.get("account"), "account", number)
        if account is None:
            reader.fail(
                f"Pleo line {number} of entry {entry} has no account: choose a category with an "
                "account for it in Pleo, or set the account in Pleo's accounting settings.",
                code="missing_configuration",
                line=number,
                field="account",
            )
        tags = _tags(reader, line.get("tags"), number)
        tax, tax_amount = _tax(reader, line.get("tax"), number, currency)
        if abs(tax_amount) > abs(value):
            reader.fail(
                f"Pleo line {number} of entry {entry}: its tax ({tax_amount}) is larger than the "
                f"line ({value}).",
                line=number,
                tax_amount=tax_amount,
                line_amount=value,
            )
        # Whether Pleo signs a tax like its line is [unknown]: a tax always has its line's sign.
        tax_amount = abs(tax_amount) if value >= 0 else -abs(tax_amount)
        value, tax_amount = value * sign * direction, tax_amount * sign * direction
        net = value if tax is not None and tax.type == "reverse" else value - tax_amount
        lines.append(PostingLine("expense", account, net, tax, tags, line_id, label))
        if tax is not None and tax_amount:
            tax_name = tax.code or f"{_percent(tax.rate)} %"
            ingoing = AccountRef(tax.ingoing_account, None, None) if tax.ingoing_account else None
            lines.append(
                PostingLine("tax", ingoing, tax_amount, tax, tags, line_id, f"{label} ({tax_name})")
            )
            if tax.type == "reverse":
                outgoing = (
                    AccountRef(tax.outgoing_account, None, None) if tax.outgoing_account else None
                )
                lines.append(
                    PostingLine(
                        "tax_reverse",
                        outgoing,
                        -tax_amount,
                        tax,
                        tags,
                        line_id,
                        f"{label} ({tax_name}, reverse charge)",
                    )
                )
    if line_sum != total:
        reader.fail(
            f"Pleo entry {entry}: its lines add up to {line_sum}, not to its amount {total} "
            f"({currency} minor units).",
            line_sum=line_sum,
            total=total,
            currency=currency,
        )
    total = total * sign
    lines.append(PostingLine("contra", contra, -total * direction, None, (), None, label))
    lines = tuple(lines)
    if sum(line.amount for line in lines) != 0:  # pragma: no cover - guaranteed by the rules
        reader.fail(f"Pleo entry {entry} does not balance.")

    method = None
    bookkeeping = reader.obj(item.get("bookkeeping"), "bookkeeping", required=False)
    if bookkeeping is not None:
        method = bookkeeping.get("method")
        if method is not None and method not in BOOKKEEPING_METHODS:
            reader.fail(
                f"Pleo entry {entry} has the unknown bookkeeping method {_short(method)}.",
                method=_short(method),
            )
    vendor = _vendor(reader, item.get("vendor"))
    if method == "accounts_payable" and vendor is None:
        reader.fail(
            f"Pleo entry {entry} is to be booked as a vendor bill but has no vendor: choose its "
            "vendor in Pleo and export it again.",
            code="missing_configuration",
            field="vendor",
        )

    posting = {
        "entry_uuid": entry,
        "item_type": item_type,
        "sub_type": sub_type,
        "reversal": reversal,
        "date": date,
        "currency": currency,
        "total": total,
        "lines": lines,
        "label": label,
        "web_url": _web_url(item.get("_links")),
        "bookkeeping_method": method,
        "files": _files(reader, item.get("files")),
        "vendor": vendor,
        **texts,
    }
    return Posting(fingerprint=fingerprint(posting), **posting)


def _texts(reader, item):
    """The descriptive fields: label, reference, note, supplier, user, team, invoice data."""
    note = reader.text(item.get("note"), "the note")
    supplier = reader.obj(item.get("supplier"), "the supplier", required=False) or {}
    user = reader.obj(item.get("user"), "the user", required=False) or {}
    team = reader.obj(item.get("team"), "the team", required=False) or {}
    info = reader.obj(item.get("additionalInformation"), "additionalInformation", required=False)
    info = info or {}
    invoice = reader.obj(info.get("invoiceInformation"), "invoiceInformation", required=False)
    invoice = invoice or {}
    supplier_name = reader.text(supplier.get("name"), "the supplier name") or None
    user_name = reader.text(user.get("name"), "the user name") or None
    parts = [_clean(part) for part in (supplier_name, user_name, note)]
    label = " - ".join(part for part in parts if part)
    if not label:
        label = f"Pleo {item['type'].replace('_', ' ')}"
    return {
        "label": label,
        "reference": reader.text(info.get("reconciliationId"), "the book ID") or None,
        "note": note,
        "supplier_name": supplier_name,
        "supplier_code": reader.text(supplier.get("code"), "the supplier code") or None,
        "supplier_account": reader.text(supplier.get("account"), "the supplier account") or None,
        "supplier_tax_id": reader.text(supplier.get("taxIdentifier"), "the supplier tax id")
        or None,
        "user_code": reader.text(user.get("code"), "the user code") or None,
        "user_name": user_name,
        "team_name": reader.text(team.get("name"), "the team name") or None,
        "team_code": reader.text(team.get("code"), "the team code") or None,
        "attendees": _strings(reader, info.get("attendees"), "attendees"),
        "reconciled_entries": _strings(reader, info.get("reconciledEntries"), "reconciledEntries"),
        "invoice_number": reader.text(invoice.get("invoiceNumber"), "the invoice number") or None,
        "invoice_date": reader.date(invoice.get("invoiceDate"), "the invoice date", required=False),
        "due_date": reader.date(invoice.get("dueDate"), "the due date", required=False),
    }


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


# --------------------------------------------------------------------------- currencies


def currency_exponent(code):
    """ISO 4217 minor units of ``code``: 0 for JPY, ISK, KRW..., 3 for KWD, BHD..., else 2."""
    return _EXPONENTS.get(code.upper() if isinstance(code, str) else code, 2)


def to_company_currency(posting, rate, posting_exponent, company_exponent):
    """Each line's amount in company minor units; the result sums to exactly 0.

    ``rate`` (a ``Decimal``) is company currency units per one posting-currency unit. Each line is
    converted exactly and rounded half-up (away from zero on a tie, so a refund mirrors its
    purchase). The residue left by rounding goes to the contra line(s); should the contra line
    then stray a minor unit or more from its exact value (only possible with many lines), the rest
    of the residue goes one unit each to the lines whose exact value is nearest the other way,
    so that every line stays within one minor unit of its exact conversion.
    """
    if isinstance(rate, bool) or not isinstance(rate, (Decimal, int)):
        raise TypeError("rate must be a Decimal (never a float)")
    rate = Decimal(rate)
    if not rate.is_finite() or rate <= 0:
        raise ValueError("rate must be a positive, finite Decimal")
    for exponent in (posting_exponent, company_exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, int) or not 0 <= exponent <= 8:
            raise ValueError("currency exponents are whole numbers between 0 and 8")
    amounts = [line.amount for line in posting.lines]
    if sum(amounts) != 0:
        raise ValueError("the posting does not balance")
    with localcontext() as ctx:
        ctx.prec = 200  # exact: no product of these operands has more digits
        factor = rate.scaleb(company_exponent - posting_exponent)
        exact = [Decimal(amount) * factor for amount in amounts]
        result = [int(value.to_integral_value(rounding=ROUND_HALF_UP)) for value in exact]
        floors = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
        contra = {i for i, line in enumerate(posting.lines) if line.role == "contra"}
        if not contra:  # no contra line: the largest line takes the residue
            contra = {max(range(len(amounts)), key=lambda i: (abs(amounts[i]), -i), default=0)}

        def allowed(i, value):
            if i in contra:  # the contra line takes the residue, up to one unit off its value
                return abs(value - exact[i]) <= 1
            return floors[i] <= value <= floors[i] + (exact[i] != floors[i])

        residue = -sum(result)
        while residue:
            step = 1 if residue > 0 else -1
            movable = [i for i in range(len(amounts)) if allowed(i, result[i] + step)]
            if not movable:  # pragma: no cover - impossible: the exact values sum to 0
                raise ArithmeticError("cannot balance the converted posting")
            best = min(
                movable, key=lambda i: (i not in contra, abs(exact[i] - result[i] - step), i)
            )
            result[best] += step
            residue -= step
    return tuple(result)
