"""Realistic, deterministic Pleo export items (``ExportItemV3`` of the Export API v3).

:class:`ExportItemGenerator` makes items that conform to ``pleo-export-openapi.yml`` and keep the
invariants an ERP relies on, **exactly, in integer minor units** ("cents"):

* ``amount`` = the sum of the ``lineAmount`` of the ``accountingEntryLines``, in the supplier's
  and in the wallet's currency (split lines take the rounding remainder on the last line);
* ``inclusive`` and ``exclusive`` tax: ``netAmount`` = ``lineAmount`` − ``tax.amount``
  (inclusive: tax = line × r / (1 + r); exclusive: net = line / (1 + r), tax = line − net);
* ``reverse`` charge: ``netAmount`` = ``lineAmount`` (nothing was paid to the supplier for VAT)
  and ``tax.amount`` = line × r, to be booked on both ``ingoingTaxAccount`` and
  ``outgoingTaxAccount``;
* a line without tax has ``tax: null`` and ``netAmount`` = ``lineAmount``;
* the wallet amounts are converted with fixed rates and rounded half up; their tax is computed on
  the wallet amounts with the same rules, so the wallet figures add up on their own too.

Refunds, chargebacks, cashback and wallet unloads have every value negative or positive as
``refund_sign`` says (Pleo's sign is [unknown]; the sandbox switch ``behaviour.refund_sign``
re-signs them when served). Every other item is positive.

Wallet top-ups and unloads follow Pleo's pages (see the README): the contra account is the Pleo
wallet, the line the company's bank account; a top-up is money from the bank into the wallet
(the contra is debited), an unload money back to the bank.

The same ``seed`` and options give the same items. Callers choose the codes an ERP knows: the
accounts (``accounts``, ``contra_account_code``), tax codes and rates (``tax_codes``), tax
accounts (``tax_accounts``), tag groups and tags (``tags``), vendor codes, users, currencies; and
may replace any top-level field of any item (``overrides``). ``user_email`` adds an ``email`` to
each user: not in ``ExportItemUserV3`` [spec], so whether Pleo sends one is [unknown].
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import struct
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction

from .models import SandboxError

ITEM_TYPES = (
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
)
SUB_TYPES = (
    "reimbursement_to_employee_refund",
    "reimbursement_to_company",
    "reimbursement_to_employee",
    "invoice_payment_returned",
    "invoice_payment_sent",
    "interest",
)
#: The generator's options an export job may be given, by ``add_export_job`` or the control API
#: (they go to :class:`ExportItemGenerator`, ``overrides`` to its ``items()``).
JOB_OPTIONS = (
    "seed",
    "types",
    "wallet_currency",
    "supplier_currency",
    "accounts",
    "contra_account_code",
    "tax_codes",
    "tax_types",
    "tax_accounts",
    "tags",
    "users",
    "vendor_codes",
    "max_lines",
    "start_date",
    "notes",
    "user_email",
    "overrides",
)
#: Types whose money flows back to the company: their sign follows ``refund_sign``.
REVERSAL_TYPES = ("refund", "chargeback", "cashback", "wallet_unload")
TAX_TYPES = ("inclusive", "exclusive", "reverse")
REFUND_SIGNS = ("negative", "positive")
#: Types that carry VAT (the others are transfers, allowances or fees without VAT).
TAXED_TYPES = ("card_purchase", "card_invoice", "out_of_pocket", "invoice", "refund", "chargeback")
#: Types with a receipt or invoice document attached.
FILE_TYPES = ("card_purchase", "card_invoice", "out_of_pocket", "invoice", "refund", "per_diem")
#: Types whose lines are expenses, and may be split over several expense accounts.
EXPENSE_TYPES = (
    "card_purchase",
    "card_invoice",
    "out_of_pocket",
    "invoice",
    "refund",
    "chargeback",
)

#: role -> (code, name). ``expense`` lists several accounts (split lines use different ones).
DEFAULT_ACCOUNTS: dict[str, object] = {
    "expense": (
        ("6810", "Meals and entertainment"),
        ("6820", "Travel"),
        ("6830", "Software and subscriptions"),
        ("6840", "Office supplies"),
    ),
    "mileage": ("7220", "Mileage allowance"),
    "per_diem": ("7230", "Per diem allowance"),
    "out_of_pocket": ("6910", "Employee out-of-pocket"),
    "wallet": ("5850", "Pleo DKK Account"),
    "cash": ("5810", "Petty cash"),
    "bank": ("5820", "Bank account"),
    "bank_fees": ("7770", "Bank fees"),
    "cashback": ("3900", "Other income"),
    "employee_receivable": ("5860", "Employee receivables"),
    "payables": ("6800", "Accounts payable"),
}
#: tax type -> ((code, rate), ...); the rate as a decimal string (0.25 = 25 %).
DEFAULT_TAX_CODES: dict[str, tuple[tuple[str, str], ...]] = {
    "inclusive": (("I25", "0.25"), ("I12", "0.12")),
    "exclusive": (("E25", "0.25"),),
    "reverse": (("RC25", "0.25"),),
}
DEFAULT_TAX_ACCOUNTS = {"ingoing": "6320", "outgoing": "6330"}
DEFAULT_TAGS: dict[str, tuple[str, ...]] = {
    "DEPT": ("SALES", "RND", "OPS"),
    "PROJ": ("P100", "P200"),
}
DEFAULT_USERS = (("Anna Jensen", "E001"), ("Bo Nielsen", "E002"), ("Carla Schmidt", None))
DEFAULT_TEAMS = (("Marketing", "T10"), ("Engineering", "T20"))
#: name, country, merchant category code, currency
SUPPLIERS = (
    ("Restaurant Noma", "DK", "5812", "DKK"),
    ("Lufthansa", "DE", "3008", "EUR"),
    ("GOOGLE*ADS8693645259", "IE", "7311", "EUR"),
    ("Amazon Web Services", "US", "7372", "USD"),
    ("SJ AB", "SE", "4112", "SEK"),
    ("Pret A Manger", "GB", "5814", "GBP"),
    ("Office Depot", "DK", "5943", "DKK"),
)
DEFAULT_VENDOR_CODES = ("V1001", "V1002", "V1003")
#: value of one euro, exactly
EUR_RATES = {
    "EUR": Fraction(1),
    "DKK": Fraction("7.46"),
    "SEK": Fraction("11.20"),
    "NOK": Fraction("11.50"),
    "GBP": Fraction("0.85"),
    "USD": Fraction("1.08"),
}
WEB_BASE = "https://app.pleo.io"
_NAMESPACE = uuid.UUID("2b6b8d4e-6f0e-4a5f-9d1a-0c7e5e8b9a10")

FileFactory = Callable[[random.Random, str, int], list[dict]]


# ---------------------------------------------------------------------- amounts
def round_half_up(value: Fraction) -> int:
    """Round a non-negative fraction to the nearest integer, halves up."""
    return int((value + Fraction(1, 2)) // 1)


def convert(cents: int, from_currency: str, to_currency: str) -> int:
    """Convert non-negative minor units between currencies with the fixed rates."""
    return round_half_up(Fraction(cents) * EUR_RATES[to_currency] / EUR_RATES[from_currency])


def split_amount(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split non-negative ``total`` into ``parts`` positive parts (fewer if total is too small)."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def proportional(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the last part takes the remainder."""
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // whole for w in weights[:-1]]
    return [*shares, total - sum(shares)]


def tax_split(line: int, rate: Fraction, tax_type: str) -> tuple[int, int]:
    """Return (net, tax) of a non-negative line amount under ``tax_type``."""
    if tax_type == "inclusive":
        tax = round_half_up(Fraction(line) * rate / (1 + rate))
        return line - tax, tax
    if tax_type == "exclusive":
        net = round_half_up(Fraction(line) / (1 + rate))
        return net, line - net
    if tax_type == "reverse":
        return line, round_half_up(Fraction(line) * rate)
    raise SandboxError(f"unknown tax type {tax_type!r}")


def money(currency: str, value: int) -> dict:
    """A ``MoneyModel``."""
    return {"currency": currency, "value": value}


def _money_values(node: object) -> Iterable[dict]:
    """Every ``MoneyModel`` (a dict with ``currency`` and an integer ``value``) inside ``node``."""
    if isinstance(node, dict):
        if set(node) == {"currency", "value"} and isinstance(node["value"], int):
            yield node
            return
        for value in node.values():
            yield from _money_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _money_values(value)


def with_refund_sign(item: dict, refund_sign: str) -> dict:
    """Return a copy of ``item`` whose values carry ``refund_sign`` if it is a reversal type."""
    if refund_sign not in REFUND_SIGNS:
        raise SandboxError(f"refund_sign must be one of {REFUND_SIGNS}")
    item = copy.deepcopy(item)
    if item.get("type") in REVERSAL_TYPES:
        for node in _money_values(item):
            node["value"] = -abs(node["value"]) if refund_sign == "negative" else abs(node["value"])
    return item


def with_invoice_payment_currency(item: dict, reading: str) -> dict:
    """Return ``item``, or for an ``invoice_payment`` read as "wallet" a copy whose every
    ``inSupplierCurrency`` amount is its ``inWalletCurrency`` one (Pleo's pages do not say in
    which currency an invoice payment's supplier amounts are)."""
    if reading not in ("invoice", "wallet"):
        raise SandboxError("invoice_payment_currency must be invoice or wallet")
    if reading == "invoice" or item.get("type") != "invoice_payment":
        return item
    item = copy.deepcopy(item)
    # the spec's amounts in both currencies: the item's, and each line's (line, net, tax)
    amounts = [item.get("amount")]
    for line in item.get("accountingEntryLines") or ():
        tax = line.get("tax") or {}
        amounts += [line.get("lineAmount"), line.get("netAmount"), tax.get("amount")]
    for amount in amounts:
        if isinstance(amount, dict) and isinstance(amount.get("inWalletCurrency"), dict):
            amount["inSupplierCurrency"] = dict(amount["inWalletCurrency"])
    return item


# ---------------------------------------------------------------------- receipts
def receipt_pdf(*lines: str) -> bytes:
    """A small, valid one-page A4 PDF showing ``lines`` (the first as a title), which a browser
    renders in a preview."""
    text = " ".join(
        f"BT /F1 {18 if i == 0 else 12} Tf 56 {780 - 28 * i} Td ({line}) Tj ET"
        for i, line in enumerate(lines)
    ).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return pdf


def receipt_bytes(mimetype: str, text: str = "Receipt") -> bytes:
    """A small valid document of ``mimetype`` (PDF or PNG; other types get plain text)."""
    if mimetype == "application/pdf":
        return receipt_pdf(text[:60])
    if mimetype == "image/png":

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (
                struct.pack(">I", len(data))
                + kind
                + data
                + struct.pack(">I", zlib.crc32(kind + data))
            )

        header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
        pixels = zlib.compress(b"\x00\xff\xff\xff")
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b"")
        )
    return text.encode()


def placeholder_files(rng: random.Random, item_type: str, index: int) -> list[dict]:
    """``files[]`` pointing at a host that cannot resolve (``.invalid``), for offline use."""
    mimetype = rng.choice(("application/pdf", "image/png"))
    suffix = "pdf" if mimetype == "application/pdf" else "png"
    token = uuid.UUID(int=rng.getrandbits(128)).hex
    return [
        {
            "url": f"https://files.sandbox.invalid/receipts/{token}/receipt-{index}.{suffix}",
            "type": mimetype,
            "size": len(receipt_bytes(mimetype, f"Receipt {index}")),
        }
    ]


# ---------------------------------------------------------------------- generator
def _stable_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


def _account_table(accounts: Mapping[str, object] | None, contra: str | None) -> dict:
    """Merge caller accounts (a code, a (code, name) pair, or for ``expense`` a list) in."""
    table = dict(DEFAULT_ACCOUNTS)
    for role, value in (accounts or {}).items():
        if role not in DEFAULT_ACCOUNTS:
            raise SandboxError(f"unknown account role {role!r}; use {sorted(DEFAULT_ACCOUNTS)}")
        if role == "expense":
            values = [value] if isinstance(value, str | tuple) else list(value)
            table[role] = tuple(
                v if isinstance(v, tuple) else (v, f"Expense account {v}") for v in values
            )
        else:
            table[role] = value if isinstance(value, tuple) else (value, DEFAULT_ACCOUNTS[role][1])
    if contra is not None:
        table["wallet"] = (contra, table["wallet"][1])
    if not table["expense"]:
        raise SandboxError("at least one expense account is needed")
    return table


class ExportItemGenerator:
    """Makes ``ExportItemV3`` dicts; see the module docstring for the invariants and options."""

    def __init__(
        self,
        company_id: str | None = None,
        *,
        seed: int | str = 0,
        types: Sequence[str] | None = None,
        wallet_currency: str = "DKK",
        supplier_currency: str | None = None,
        accounts: Mapping[str, object] | None = None,
        contra_account_code: str | None = None,
        tax_codes: Mapping[str, Sequence[tuple[str, object]]] | None = None,
        tax_types: Sequence[str] | None = None,
        tax_accounts: Mapping[str, str] | None = None,
        tags: Mapping[str, Sequence[str]] | None = None,
        users: Sequence[tuple[str, str | None]] | None = None,
        vendor_codes: Sequence[str] | None = None,
        vendor_based_bookkeeping: bool = False,
        max_lines: int = 3,
        refund_sign: str = "negative",
        start_date: dt.date = dt.date(2025, 1, 6),
        file_factory: FileFactory | None = placeholder_files,
        notes: bool = True,
        suppliers: Sequence[tuple[str, str, str, str]] | None = None,
        user_email: bool = False,
    ) -> None:
        self.company_id = company_id or _stable_id("company", seed)
        self.seed = seed
        self.types = tuple(types or ITEM_TYPES)
        for name in self.types:
            if name not in ITEM_TYPES:
                raise SandboxError(f"unknown item type {name!r}")
        for currency in (wallet_currency, supplier_currency or wallet_currency):
            if currency not in EUR_RATES:
                raise SandboxError(f"currency must be one of {sorted(EUR_RATES)}")
        self.wallet_currency = wallet_currency
        self.supplier_currency = supplier_currency
        self.accounts = _account_table(accounts, contra_account_code)
        self.tax_codes = {
            kind: tuple((code, Fraction(str(rate))) for code, rate in codes)
            for kind, codes in {**DEFAULT_TAX_CODES, **(tax_codes or {})}.items()
        }
        self.tax_types = tuple(tax_types or TAX_TYPES)
        for kind in self.tax_types:
            if kind not in TAX_TYPES or not self.tax_codes.get(kind):
                raise SandboxError(f"tax type {kind!r} is unknown or has no codes")
        self.tax_accounts = {**DEFAULT_TAX_ACCOUNTS, **(tax_accounts or {})}
        self.tags = {group: tuple(codes) for group, codes in (tags or DEFAULT_TAGS).items()}
        self.users = tuple(users or DEFAULT_USERS)
        self.vendor_codes = tuple(vendor_codes or DEFAULT_VENDOR_CODES)
        self.vendor_based_bookkeeping = vendor_based_bookkeeping
        if isinstance(max_lines, bool) or not isinstance(max_lines, int) or max_lines < 1:
            raise SandboxError("max_lines must be a positive integer")
        self.max_lines = max_lines
        if refund_sign not in REFUND_SIGNS:
            raise SandboxError(f"refund_sign must be one of {REFUND_SIGNS}")
        self.refund_sign = refund_sign
        self.start_date = start_date
        self.file_factory = file_factory
        self.notes = notes
        self.suppliers = tuple(suppliers or SUPPLIERS)
        for _name, _country, _category, currency in self.suppliers:
            if currency not in EUR_RATES:
                raise SandboxError(f"a supplier's currency must be one of {sorted(EUR_RATES)}")
        self.user_email = user_email
        self._rng = random.Random(f"pleo-sandbox:{seed}")

    # ------------------------------------------------------------------ public
    def items(
        self,
        n: int,
        *,
        entry_ids: Sequence[str] | None = None,
        overrides: Mapping[int, dict] | Sequence[dict | None] | None = None,
    ) -> list[dict]:
        """``n`` items; the first ``len(types)`` cover every type once, in a shuffled order.

        ``entry_ids`` gives the ``accountingEntryId`` of each item; ``overrides[i]`` replaces
        top-level fields of item ``i`` (e.g. ``{3: {"note": None}}``).
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise SandboxError("n must be an integer >= 0")
        if entry_ids is not None and len(entry_ids) != n:
            raise SandboxError("entry_ids must give one id per item")
        rotation = list(self.types)
        self._rng.shuffle(rotation)
        kinds = [
            rotation[i] if i < len(rotation) else self._rng.choice(self.types) for i in range(n)
        ]
        if isinstance(overrides, Mapping):
            changes = dict(overrides)
        else:
            changes = dict(enumerate(overrides or ()))
        return [
            self.item(
                kinds[i],
                index=i,
                entry_id=entry_ids[i] if entry_ids is not None else None,
                **(changes.get(i) or {}),
            )
            for i in range(n)
        ]

    def item(
        self,
        item_type: str | None = None,
        *,
        index: int = 0,
        entry_id: str | None = None,
        total: int | None = None,
        **fields,
    ) -> dict:
        """One item of ``item_type`` (random if None); ``fields`` replace top-level fields.

        ``total`` fixes the amount in the supplier's currency, in minor units (a magnitude: a
        reversal type's sign follows ``refund_sign``); the lines, taxes and wallet figures are
        derived from it with the same invariants as a random one.
        """
        rng = self._rng
        item_type = item_type or rng.choice(self.types)
        if item_type not in ITEM_TYPES:
            raise SandboxError(f"unknown item type {item_type!r}")
        if total is not None and (
            isinstance(total, bool) or not isinstance(total, int) or total < 1
        ):
            raise SandboxError("total must be a positive integer (minor units)")
        entry_id = entry_id or str(uuid.UUID(int=rng.getrandbits(128), version=4))
        builder = _Builder(self, rng, item_type, index, entry_id, total)
        item = builder.build()
        if item_type in REVERSAL_TYPES and self.refund_sign == "negative":
            item = with_refund_sign(item, "negative")
        item.update(copy.deepcopy(fields))
        return item


class _Builder:
    """Builds one item (all amounts as magnitudes; the sign is applied afterwards)."""

    def __init__(
        self,
        gen: ExportItemGenerator,
        rng: random.Random,
        item_type: str,
        index: int,
        entry_id: str,
        fixed_total: int | None = None,
    ):
        self.gen, self.rng, self.type, self.index, self.entry_id = (
            gen,
            rng,
            item_type,
            index,
            entry_id,
        )
        self.fixed_total = fixed_total

    def account(self, role: str, code_name: tuple[str, str] | None = None) -> dict:
        code, name = code_name or self.gen.accounts[role]
        return {"id": _stable_id("account", code), "name": name, "code": code, "identifier": code}

    def contra(self) -> dict | None:
        role = {
            "out_of_pocket": "out_of_pocket",
            "mileage": "out_of_pocket",
            "per_diem": "out_of_pocket",
            "external_reimbursement": "bank",
        }.get(self.type, "wallet")
        if self.type == "invoice" and self.gen.vendor_based_bookkeeping:
            role = "payables"
        return self.account(role)

    def build(self) -> dict:
        gen, rng, kind = self.gen, self.rng, self.type
        supplier_row = rng.choice(gen.suppliers)
        card_like = kind in ("card_purchase", "card_invoice", "refund", "chargeback", "invoice")
        if card_like:
            supplier_currency = gen.supplier_currency or supplier_row[3]
        else:
            supplier_currency = gen.wallet_currency
        total = self.total()
        wallet_total = convert(total, supplier_currency, gen.wallet_currency)
        lines = self.lines(total, wallet_total, supplier_currency)
        moment = dt.datetime.combine(
            gen.start_date + dt.timedelta(days=self.index % 60),
            dt.time(8 + rng.randrange(10), rng.randrange(60), rng.randrange(60)),
        )
        user = rng.choice(gen.users)
        has_user = kind not in ("wallet_topup", "wallet_unload", "cashback", "fee")
        item = {
            "accountingEntryId": self.entry_id,
            "companyId": gen.company_id,
            "type": kind,
            "date": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "amount": {
                "inSupplierCurrency": money(supplier_currency, total),
                "inWalletCurrency": money(gen.wallet_currency, wallet_total),
            },
            "accountingEntryLines": lines,
            "contraAccount": self.contra(),
            "bookkeeping": {"method": self.method()},
            "supplier": self.supplier(supplier_row) if card_like else None,
            "vendor": self.vendor(supplier_row) if self.has_vendor() else None,
            "user": {
                "id": _stable_id("user", user[0]),
                "name": user[0],
                "code": user[1],
                # [unknown]: ExportItemUserV3 [spec] has no e-mail; the switch adds one.
                **({"email": user_email(user[0])} if gen.user_email else {}),
            }
            if has_user
            else None,
            "team": self.team() if has_user and rng.random() < 0.5 else None,
            "note": self.note() if gen.notes else None,
            "servicePeriod": self.service_period(moment) if kind == "invoice" else None,
            "additionalInformation": self.additional(moment),
            "files": self.files(),
            "_links": {"web": {"exportItem": f"{WEB_BASE}/expenses/{self.entry_id}"}},
        }
        sub_type = self.sub_type()
        if sub_type is not None:
            item["subType"] = sub_type
        return item

    def total(self) -> int:
        ranges = {
            "mileage": (5_000, 120_000),
            "per_diem": (25_000, 150_000),
            "wallet_topup": (1_000_000, 10_000_000),
            "wallet_unload": (100_000, 2_000_000),
            "fee": (500, 20_000),
            "cashback": (1_000, 50_000),
            "atm_withdrawal": (20_000, 200_000),
        }
        low, high = ranges.get(self.type, (1_000, 900_000))
        drawn = self.rng.randint(low, high)  # drawn anyway: a fixed total keeps the sequence
        return drawn if self.fixed_total is None else self.fixed_total

    def lines(self, total: int, wallet_total: int, supplier_currency: str) -> list[dict]:
        gen, rng = self.gen, self.rng
        count = rng.randint(1, gen.max_lines) if self.type in EXPENSE_TYPES else 1
        parts = split_amount(total, count, rng)
        wallet_parts = proportional(wallet_total, parts)
        tax_type = rng.choice(gen.tax_types) if self.type in TAXED_TYPES else None
        lines = []
        for number, (part, wallet_part) in enumerate(zip(parts, wallet_parts, strict=True)):
            account = self.line_account(number)
            tax = None
            net, wallet_net = part, wallet_part
            if tax_type is not None:
                code, rate = rng.choice(gen.tax_codes[tax_type])
                net, tax_value = tax_split(part, rate, tax_type)
                wallet_net, wallet_tax = tax_split(wallet_part, rate, tax_type)
                tax = {
                    "id": _stable_id("tax", code),
                    "code": code,
                    "rate": float(rate),
                    "type": tax_type,
                    "amount": {
                        "inSupplierCurrency": money(supplier_currency, tax_value),
                        "inWalletCurrency": money(gen.wallet_currency, wallet_tax),
                    },
                    "ingoingTaxAccount": gen.tax_accounts["ingoing"],
                    "outgoingTaxAccount": gen.tax_accounts["outgoing"],
                }
            lines.append(
                {
                    "accountingEntryLineId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "lineAmount": {
                        "inSupplierCurrency": money(supplier_currency, part),
                        "inWalletCurrency": money(gen.wallet_currency, wallet_part),
                    },
                    "netAmount": {
                        "inSupplierCurrency": money(supplier_currency, net),
                        "inWalletCurrency": money(gen.wallet_currency, wallet_net),
                    },
                    "account": account,
                    "tags": self.line_tags(),
                    "tax": tax,
                }
            )
        return lines

    def line_account(self, number: int) -> dict:
        gen = self.gen
        role = {
            "mileage": "mileage",
            "per_diem": "per_diem",
            "external_reimbursement": "out_of_pocket",
            "direct_reimbursement": "out_of_pocket",
            "invoice_payment": "payables",
            "cashback": "cashback",
            "atm_withdrawal": "cash",
            # the bank the money comes from or goes to; the contra is the wallet [docs]
            "wallet_topup": "bank",
            "wallet_unload": "bank",
            "personal_spend": "employee_receivable",
            "fee": "bank_fees",
        }.get(self.type)
        if role is not None:
            return self.account(role)
        expenses = gen.accounts["expense"]
        start = self.rng.randrange(len(expenses))
        return self.account("expense", expenses[(start + number) % len(expenses)])

    def line_tags(self) -> list[dict] | None:
        if self.type not in (*EXPENSE_TYPES, "mileage", "per_diem") or not self.gen.tags:
            return None
        chosen = []
        for group, codes in self.gen.tags.items():
            if codes and self.rng.random() < 0.7:
                code = self.rng.choice(codes)
                chosen.append(
                    {"id": _stable_id("tag", group, code), "code": code, "groupCode": group}
                )
        return chosen

    def method(self) -> str:
        if self.type in ("invoice", "invoice_payment") and self.gen.vendor_based_bookkeeping:
            return "accounts_payable"
        return "journal"

    def has_vendor(self) -> bool:
        return self.gen.vendor_based_bookkeeping and self.type in (
            "invoice",
            "invoice_payment",
            "card_invoice",
        )

    def supplier(self, row: tuple[str, str, str, str]) -> dict:
        name, country, category, _ = row
        return {
            "name": name,
            "code": None,
            "account": None,
            "categoryCode": category,
            "country": country,
            "taxIdentifier": f"{country}{self.rng.randrange(10**7, 10**8)}",
        }

    def vendor(self, row: tuple[str, str, str, str]) -> dict:
        name, country, _, currency = row
        code = self.rng.choice(self.gen.vendor_codes)
        return {
            "id": _stable_id("vendor", code),
            "name": name,
            "code": code,
            "externalId": code,
            "country": country,
            "defaultCurrency": currency,
            "registrationNumber": f"{self.rng.randrange(10**7, 10**8)}",
            "taxRegistrationNumber": f"{country}{self.rng.randrange(10**7, 10**8)}",
        }

    def team(self) -> dict:
        name, code = self.rng.choice(DEFAULT_TEAMS)
        return {"id": _stable_id("team", name), "name": name, "code": code}

    def note(self) -> str | None:
        notes = {
            "mileage": f"Client visit Copenhagen - Aarhus, {self.rng.randint(20, 400)} km",
            "per_diem": f"Per diem, Berlin, {self.rng.randint(1, 5)} days",
            "card_purchase": "Team lunch with a client",
            "out_of_pocket": "Taxi from the airport, paid privately",
            "refund": "Refund of a cancelled order",
            "chargeback": "Disputed double charge",
            "personal_spend": "Personal purchase by mistake, to be paid back",
        }
        if self.rng.random() < 0.2:
            return None
        return notes.get(self.type, f"{self.type.replace('_', ' ').capitalize()} {self.index}")

    def sub_type(self) -> str | None:
        if self.type == "external_reimbursement":
            return "reimbursement_to_employee"
        if self.type == "direct_reimbursement":
            return self.rng.choice(
                (
                    "reimbursement_to_employee",
                    "reimbursement_to_employee_refund",
                    "reimbursement_to_company",
                )
            )
        if self.type == "invoice_payment":
            return self.rng.choice(("invoice_payment_sent", "invoice_payment_returned"))
        if self.type == "fee" and self.rng.random() < 0.5:
            return "interest"
        return None

    def service_period(self, moment: dt.datetime) -> dict:
        first = moment.date().replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return {"from": f"{first}T00:00:00Z", "to": f"{last}T00:00:00Z"}

    def additional(self, moment: dt.datetime) -> dict:
        rng = self.rng
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        info: dict = {
            "reconciliationId": "".join(rng.choice(alphabet) for _ in range(8)),
            "attendees": ["Anna Jensen", "Client: Ole Hansen"]
            if self.type == "card_purchase" and rng.random() < 0.3
            else None,
            "reconciledEntries": sorted(
                {"".join(rng.choice(alphabet) for _ in range(8)) for _ in range(rng.randint(1, 3))}
            )
            if self.type in ("external_reimbursement", "direct_reimbursement")
            else None,
            "invoiceInformation": None,
        }
        if self.type in ("invoice", "invoice_payment", "card_invoice"):
            day = moment.date()
            paid = self.type != "invoice"
            info["invoiceInformation"] = {
                "invoiceNumber": f"INV-{day.year}-{rng.randrange(1000, 9999)}",
                "invoiceDate": f"{day - dt.timedelta(days=14)}T00:00:00Z",
                "dueDate": f"{day + dt.timedelta(days=16)}T00:00:00Z",
                "paymentDate": f"{day}T00:00:00Z" if paid else None,
                "status": "paid" if paid else "ready",
            }
        return info

    def files(self) -> list[dict] | None:
        if self.type not in FILE_TYPES or self.gen.file_factory is None:
            return None
        return self.gen.file_factory(self.rng, self.type, self.index)


def user_email(name: str) -> str:
    """The e-mail the ``user_email`` switch gives a user: ``anna.jensen@example.com``."""
    return ".".join(name.lower().split()) + "@example.com"


def generate_items(n: int, company_id: str | None = None, **options) -> list[dict]:
    """``n`` items of a fresh :class:`ExportItemGenerator` (``overrides``/``entry_ids`` apply)."""
    item_options = {
        name: options.pop(name) for name in ("overrides", "entry_ids") if name in options
    }
    return ExportItemGenerator(company_id, **options).items(n, **item_options)
