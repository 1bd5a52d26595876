"""One Pleo export item (``ExportItemV3``, a decoded JSON object) read and checked value by value.

A :class:`Reader` checks each value it is asked for (type, shape, currency, whole minor units
within a plausible bound, a calendar date within a plausible window) and raises
:class:`ItemError` naming the entry and line it is about; the
``read_*`` functions turn the item's parts into the small immutable references a posting is
made of (:class:`AccountRef`, :class:`TagRef`, :class:`TaxRef`, :class:`FileRef`,
:class:`VendorRef`). The booking rules themselves are in :mod:`.posting`.
"""

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from .reasons import render

TAX_TYPES = frozenset({"inclusive", "exclusive", "reverse"})

_MAX_EXACT_FLOAT = 2**53
#: The largest amount taken from Pleo, in minor units: 10^13 cents is a hundred billion, beyond
#: any expense, and small enough for every amount to stay exact to the minor unit where the ORM
#: handles it as a float and rounds it (its rounding is exact far below 2^53 only).
MAX_MINOR_UNITS = 10**13
#: The earliest date taken from Pleo (Pleo did not exist before), and how many years after the
#: current one the latest may be (an invoice's due date): outside, no lock date ever covers it.
EARLIEST_DATE = datetime.date(2000, 1, 1)
MAX_YEARS_AHEAD = 2
#: "Open in Pleo" links go to Pleo's web app: https on pleo.io or one of its sub-domains.
PLEO_WEB_DOMAIN = "pleo.io"
_MAX_URL = 2048
_MAX_TEXT = 64
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?", re.DOTALL)
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
#: :class:`VendorRef` field -> the key Pleo sends it under
_VENDOR_KEYS = {
    "id": "id",
    "name": "name",
    "code": "code",
    "external_id": "externalId",
    "country": "country",
    "default_currency": "defaultCurrency",
    "registration_number": "registrationNumber",
    "tax_registration_number": "taxRegistrationNumber",
}


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
        return f"FileRef(url={safe_url(self.url)!r}, mimetype={self.mimetype!r}, size={self.size})"


@dataclass(frozen=True)
class BankAccountRef:
    """The bank account Pleo pays a vendor to (``invoiceInformation.supplierBankAccount``):
    ``account`` and ``bic`` compacted (upper case, letters and digits only)."""

    account: str
    bic: str | None
    bank: str | None
    country: str | None


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


# --------------------------------------------------------------------------- reading values


class ItemError(Exception):
    """One item cannot be booked; the export goes on with the others.

    ``code`` is a Pleo ``ExportJobItemFailureReasonType`` (``validation_failure``,
    ``missing_configuration``...); ``reason`` a key of :data:`.reasons.REASONS` and ``data`` the
    values its message is made of, so that the Odoo layer words it in the user's language (its
    code → message table); ``message`` is the English rendering, for logs and tests. An error
    raised by the Odoo layer has no ``reason``: its ``message`` is worded there already.
    """

    def __init__(self, code, message=None, data=None, *, reason=None):
        self.code = code
        self.reason = reason
        self.data = dict(data or {})
        self.message = render(reason, self.data) if message is None else message
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class Reader:
    """Checks one item's values; every failure names the entry (and line) it is about."""

    def __init__(self, entry):
        self.entry = entry

    def fail(self, reason, code="validation_failure", **data):
        """Raise the :class:`ItemError` of ``reason`` (a key of :data:`.reasons.REASONS`)."""
        data.setdefault("entry", self.entry)
        if isinstance(data.get("field"), tuple):  # (key, index): "tag 2 code"
            data["field"], data["index"] = data["field"]
        if data.get("line") is None:
            data.pop("line", None)
        raise ItemError(code, data=data, reason=reason)

    def obj(self, value, what, line=None, *, required=True):
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            reason = "field_missing" if value is None else "field_not_object"
            self.fail(reason, field=what, line=line)
        return value

    def text(self, value, what, line=None, *, required=False):
        if value is None:
            if required:
                self.fail("field_missing", field=what, line=line)
            return None
        if not isinstance(value, str):
            self.fail("field_not_text", field=what, line=line)
        return value

    def listing(self, value, what, line=None):
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail("field_not_list", field=what, line=line)
        return value

    def integer(self, value, what, line=None):
        """An exact integer: ``1250`` or ``1250.0``, never ``12.5``, ``True`` or ``"1250"``."""
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            self.fail(
                "field_not_number",
                field=what,
                line=line,
                value=short(value),
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
                "amount_not_whole",
                field=what,
                line=line,
                value=short(value),
            )
        return int(exact)

    def money(self, value, what, currency, line=None):
        """``MoneyModel`` → integer minor units, checking its currency against ``currency``."""
        money = self.obj(value, what, line)
        cur = money.get("currency")
        if cur != currency:
            self.fail(
                "amount_wrong_currency",
                field=what,
                line=line,
                currency=short(cur),
                wallet_currency=currency,
            )
        value = self.integer(money.get("value"), what, line)
        if abs(value) > MAX_MINOR_UNITS:
            self.fail(
                "amount_implausible",
                field=what,
                line=line,
                value=short(value),
                maximum=f"{MAX_MINOR_UNITS:,}",
            )
        return value

    def date(self, value, what, *, required=True):
        """A date-time (or date) as written by Pleo, as a calendar date.

        The date part is taken as written, without converting to another time zone: it is the day
        the bookkeeper saw in Pleo. It must lie between :data:`EARLIEST_DATE` and the end of the
        year :data:`MAX_YEARS_AHEAD` years from now.
        """
        if value is None and not required:
            return None
        match = _DATE.fullmatch(value) if isinstance(value, str) else None
        parts = [int(part) for part in match.groups()] if match else None
        if (
            parts
            and parts[0] >= datetime.MINYEAR
            and 1 <= parts[1] <= 12
            and 1 <= parts[2] <= calendar.monthrange(*parts[:2])[1]
        ):
            day = datetime.date(*parts)
            latest = latest_date()
            if not EARLIEST_DATE <= day <= latest:
                self.fail(
                    "date_implausible",
                    field=what,
                    value=day.isoformat(),
                    earliest=EARLIEST_DATE.isoformat(),
                    latest=latest.isoformat(),
                )
            return day
        self.fail(
            "date_invalid",
            field=what,
            value=short(value),
        )
        return None  # pragma: no cover - fail() raises


def latest_date():
    """The latest date taken from Pleo: the end of the year :data:`MAX_YEARS_AHEAD` from now."""
    return datetime.date(datetime.date.today().year + MAX_YEARS_AHEAD, 12, 31)


def short(value):
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


def safe_url(url):
    """``scheme://host[:port]/path`` of ``url``: no user info, query string or fragment.

    A presigned link's query string is its credential: messages and reprs show this instead.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except (ValueError, TypeError, AttributeError):
        return "(an invalid link)"
    path = parts.path if len(parts.path) <= 120 else parts.path[:119] + "…"
    return f"{parts.scheme}://{host}{port}{path}"


def read_account(reader, value, what, line=None):
    """``AccountV3`` / ``ContraAccount`` → :class:`AccountRef`, ``None`` if Pleo sent none."""
    if value is None:
        return None
    account = reader.obj(value, what, line)
    ref = AccountRef(
        code=reader.text(account.get("code"), f"{what}_code", line) or None,
        name=reader.text(account.get("name"), f"{what}_name", line) or None,
        identifier=reader.text(account.get("identifier"), f"{what}_identifier", line) or None,
    )
    if ref.code is None and ref.identifier is None:
        return None
    return ref


def read_tags(reader, value, line):
    tags = []
    for index, raw in enumerate(reader.listing(value, "tags", line), 1):
        if raw is None:  # the spec allows null elements
            continue
        tag = reader.obj(raw, ("tag", index), line)
        group = reader.text(tag.get("groupCode"), ("tag_group_code", index), line, required=True)
        code = reader.text(tag.get("code"), ("tag_code", index), line, required=True)
        tags.append(TagRef(group_code=group, code=code))
    return tuple(tags)


def read_tax(reader, value, line, currency):
    """``TaxV3`` → ``(TaxRef, amount)``, or ``(None, 0)`` when the line has no tax."""
    if value is None:
        return None, 0
    tax = reader.obj(value, "tax", line)
    kind = tax.get("type")
    if kind not in TAX_TYPES:
        reader.fail(
            "tax_type_unknown",
            line=line,
            tax_type=short(kind),
        )
    rate = tax.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, (int, float, Decimal)):
        reader.fail("tax_rate_not_number", line=line)
    try:
        rate = Decimal(str(rate))  # the decimal text of the JSON number, not float arithmetic
    except InvalidOperation:  # pragma: no cover - str() of a number always parses
        rate = Decimal("NaN")
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
        reader.fail(
            "tax_rate_range",
            line=line,
            rate=short(tax.get("rate")),
        )
    amount = reader.obj(tax.get("amount"), "tax_amounts", line)
    amount = reader.money(amount.get("inWalletCurrency"), "tax_amount", currency, line)
    ref = TaxRef(
        code=reader.text(tax.get("code"), "tax_code", line) or None,
        rate=rate,
        type=kind,
        ingoing_account=reader.text(tax.get("ingoingTaxAccount"), "ingoing_tax_account", line)
        or None,
        outgoing_account=reader.text(tax.get("outgoingTaxAccount"), "outgoing_tax_account", line)
        or None,
    )
    return ref, amount


def read_files(reader, value):
    files = []
    for index, raw in enumerate(reader.listing(value, "files"), 1):
        if raw is None:
            continue
        what = ("attachment", index)
        file = reader.obj(raw, what)
        url = reader.text(file.get("url"), ("attachment_url", index), required=True)
        if not url.lower().startswith(("https://", "http://")):
            reader.fail("file_no_link", field=what)
        mimetype = (
            reader.text(file.get("type"), ("attachment_type", index)) or "application/octet-stream"
        )
        size = file.get("size")
        size = 0 if size is None else reader.integer(size, ("attachment_size", index))
        if size < 0:
            reader.fail("file_negative_size", field=what)
        files.append(FileRef(url=url, mimetype=mimetype, size=size))
    return tuple(files)


def is_pleo_web_link(url, extra_hosts=()):
    """Whether ``url`` is a link into Pleo's web app: https, on ``pleo.io`` or a sub-domain,
    the default port, no user info, nothing unprintable. ``extra_hosts`` (``host`` or
    ``host:port``) are accepted too, over http as well: a sandbox standing in for Pleo."""
    if not isinstance(url, str) or len(url) > _MAX_URL:
        return False
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return False
    if not host or "@" in parts.netloc:
        return False
    scheme = parts.scheme.lower()
    if extra_hosts and (host in extra_hosts or f"{host}:{port}" in extra_hosts):
        return scheme in ("https", "http")
    on_pleo = host == PLEO_WEB_DOMAIN or host.endswith("." + PLEO_WEB_DOMAIN)
    return scheme == "https" and port in (None, 443) and on_pleo


def read_web_url(value, extra_hosts=()):
    """``_links.web``: a ``{name: href}`` object [spec] (``exportItem``), or an ``href``; the
    first link into Pleo's web app (:func:`is_pleo_web_link`), else ``None``."""
    links = value.get("web") if isinstance(value, dict) else None
    if isinstance(links, dict):
        candidates = [links.get("href"), links.get("exportItem"), *links.values()]
    else:
        candidates = [links]
    for href in candidates:
        if is_pleo_web_link(href, extra_hosts):
            return href
    return None


def read_vendor(reader, value):
    """The item's ``vendor`` → :class:`VendorRef`, ``None`` if it has none."""
    if value is None:
        return None
    vendor = reader.obj(value, "vendor")
    return VendorRef(
        **{
            name: reader.text(vendor.get(key), f"vendor_{name}") or None
            for name, key in _VENDOR_KEYS.items()
        }
    )


def _strings(reader, value, what):
    return tuple(
        item for item in reader.listing(value, what) if isinstance(item, str) and item.strip()
    )


def _email(text):
    """An e-mail address as Pleo sent it, stripped; ``None`` when it is no address at all (an
    [unknown] field never fails an item)."""
    text = text.strip() if isinstance(text, str) else ""
    return text if "@" in text and len(text) <= 254 and not _SPACES.search(text) else None


def _plain(value):
    """A text Pleo sent, stripped; ``None`` for anything else (never fails an item)."""
    return (value.strip() or None) if isinstance(value, str) else None


def compact(text):
    """A VAT number, IBAN or BIC for comparing: upper case, letters and digits only."""
    return _NOT_ALNUM.sub("", (text or "").upper())


def read_bank_account(invoice):
    """``supplierBankAccount`` of the invoice information as a :class:`BankAccountRef`, or
    ``None``. Checked by the Odoo layer against the vendor's accounts only, so a malformed one
    is no account at all, never an item's failure."""
    bank = invoice.get("supplierBankAccount")
    if not isinstance(bank, dict):
        return None
    account = compact(_plain(bank.get("accountNumber")))
    if not account:
        return None
    return BankAccountRef(
        account=account,
        bic=compact(_plain(bank.get("bic"))) or None,
        bank=_plain(bank.get("bankName")),
        country=_plain(bank.get("country")),
    )


def read_texts(reader, item):
    """The descriptive fields: label, reference, note, supplier, user, team, invoice data."""
    note = reader.text(item.get("note"), "note")
    supplier = reader.obj(item.get("supplier"), "supplier", required=False) or {}
    user = reader.obj(item.get("user"), "user", required=False) or {}
    team = item.get("team") if isinstance(item.get("team"), dict) else {}
    info = reader.obj(item.get("additionalInformation"), "additional_information", required=False)
    info = info or {}
    invoice = reader.obj(info.get("invoiceInformation"), "invoice_information", required=False)
    invoice = invoice or {}
    supplier_name = reader.text(supplier.get("name"), "supplier_name") or None
    user_name = reader.text(user.get("name"), "user_name") or None
    parts = [_clean(part) for part in (supplier_name, user_name, note)]
    label = " - ".join(part for part in parts if part)
    if not label:
        label = f"Pleo {item['type'].replace('_', ' ')}"
    return {
        "label": label,
        "reference": reader.text(info.get("reconciliationId"), "book_id") or None,
        "note": note,
        "supplier_name": supplier_name,
        # Kept for placement rules but booked nowhere yet: an odd value is no value, never the
        # item's failure (the team's too).
        "supplier_code": _plain(supplier.get("code")),
        "supplier_account": _plain(supplier.get("account")),
        "supplier_tax_id": _plain(supplier.get("taxIdentifier")),
        "user_code": reader.text(user.get("code"), "user_code") or None,
        "user_name": user_name,
        "user_id": reader.text(user.get("id"), "user_id") or None,
        # Not in ``ExportItemUserV3`` [spec] (id, name, code): whether Pleo sends the user's
        # e-mail is [unknown]; read when present (the sandbox's ``user_email`` switch).
        "user_email": _email(user.get("email")),
        "team_name": _plain(team.get("name")),
        "team_code": _plain(team.get("code")),
        "attendees": _strings(reader, info.get("attendees"), "attendees"),
        "reconciled_entries": _strings(reader, info.get("reconciledEntries"), "reconciled_entries"),
        "invoice_number": reader.text(invoice.get("invoiceNumber"), "invoice_number") or None,
        "invoice_date": reader.date(invoice.get("invoiceDate"), "invoice_date", required=False),
        "due_date": reader.date(invoice.get("dueDate"), "due_date", required=False),
        "supplier_bank": read_bank_account(invoice),
    }
