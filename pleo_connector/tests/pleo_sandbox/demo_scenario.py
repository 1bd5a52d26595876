"""Named demo scenarios: a ready export job the demo's newcomer can book at once.

``docker/demo.sh`` and the Docker demo start the sandbox with ``--scenario danish-export``: the
demo company (``state.DEMO_COMPANY_ID``, the same at every start) then has one pending export
job of eight realistic items of a Danish company, as a bookkeeper's "Export" in Pleo makes them.
The items come from :class:`~.generator.ExportItemGenerator` (one generator per item, with the
item's supplier, account, tax code and amount), so they follow Pleo's spec
(``pleo-export-openapi.yml``) and the generator's exact invariants; receipts are real files on
the sandbox's file host.

The codes are those a Danish company synced to Pleo has (the addon's setup sync sends Odoo's
purchase taxes under their names and the accounts under their codes): the ``l10n_dk`` chart's
accounts (2450 office supplies, 1910 representation, 2310 IT and software, 2470 travel, 6480
bank) and purchase taxes (``K_DK_FuldFradrag`` 25 %, ``K_DK_ReprFradragFuld`` the restaurant's
25 %-deductible VAT, ``K_EU_Ydelser_FuldFradrag`` the EU reverse charge on services). Pleo's
wallet (the contra account) is :data:`WALLET_ACCOUNT`, the account of the demo's Pleo journal.
One item needs a mapping on purpose: a conference ticket on Pleo account 2525 "Conferences",
which the Danish chart does not have (map it to 2896 "Course expenses").
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from .generator import ExportItemGenerator
from .models import SandboxError

#: The Pleo wallet account of the demo (the contra account of card items): the account of the
#: demo's "Pleo" journal in Odoo (docker/demo_odoo.py creates it with this code).
WALLET_ACCOUNT = ("6485", "Pleo DKK wallet")
#: The company's bank account a wallet top-up comes from (l10n_dk 6480 "Bank account").
BANK_ACCOUNT = ("6480", "Bank account")
#: Pleo's account that Odoo's Danish chart lacks: the item on it fails until it is mapped.
UNMAPPED_ACCOUNT = ("2525", "Conferences")
#: Where the README tells the bookkeeper to map it (l10n_dk 2896 "Course expenses").
UNMAPPED_ACCOUNT_TARGET = "2896"
#: Employees: name and Pleo employee code (partners of that reference in the demo's Odoo).
EMPLOYEES = {"anna": ("Anna Jensen", "E001"), "bo": ("Bo Nielsen", "E002")}
_TAX_ACCOUNTS = {"ingoing": "7740", "outgoing": "7720"}  # l10n_dk VAT on purchases / abroad
_NAMESPACE = uuid.UUID("0c3b4f9e-2f55-4d7e-9a43-6a1d5e2c8b71")


@dataclass(frozen=True)
class DemoItem:
    """One item of a scenario: what the bookkeeper sees in Pleo."""

    type: str
    supplier: tuple[str, str, str, str] | None  # name, country, merchant category, currency
    total: int  # minor units of the supplier's currency (the wallet's without a supplier)
    account: tuple[str, str]
    tax: tuple[str, str, str] | None  # code, rate, type (inclusive / exclusive / reverse)
    note: str
    employee: str | None
    days_ago: int
    attendees: tuple[str, ...] = ()


DANISH_EXPORT = (
    DemoItem(
        "card_purchase",
        ("Bog & Idé Nørreport", "DK", "5943", "DKK"),
        49_900,
        ("2450", "Office supplies"),
        ("K_DK_FuldFradrag", "0.25", "inclusive"),
        "Notebooks and pens for the team",
        "anna",
        12,
    ),
    DemoItem(
        "card_purchase",
        ("Restaurant Kødbyens Fiskebar", "DK", "5812", "DKK"),
        125_000,
        ("1910", "Representation expenses"),
        ("K_DK_ReprFradragFuld", "0.25", "inclusive"),
        "Dinner with a client",
        "bo",
        10,
        ("Bo Nielsen", "Client: Ole Hansen, Nordic Retail A/S"),
    ),
    DemoItem(
        "card_purchase",
        ("Slack Technologies Ltd", "IE", "5734", "DKK"),
        61_200,
        ("2310", "IT equipment and software"),
        ("K_EU_Ydelser_FuldFradrag", "0.25", "reverse"),
        "Slack subscription, monthly",
        "anna",
        9,
    ),
    DemoItem(
        "card_purchase",
        ("Lufthansa", "DE", "3008", "EUR"),
        28_950,
        ("2470", "Travel expenses"),
        None,  # a flight: no Danish VAT to deduct
        "Flight Copenhagen - Frankfurt, customer visit",
        "bo",
        8,
    ),
    DemoItem(
        "card_purchase",
        ("Fona Strøget", "DK", "5732", "DKK"),
        31_250,
        ("2450", "Office supplies"),
        ("K_DK_FuldFradrag", "0.25", "inclusive"),
        "Headset for video meetings",
        "anna",
        7,
    ),
    DemoItem(
        "refund",
        ("Bog & Idé Nørreport", "DK", "5943", "DKK"),
        12_500,
        ("2450", "Office supplies"),
        ("K_DK_FuldFradrag", "0.25", "inclusive"),
        "Returned a notebook",
        "anna",
        5,
    ),
    DemoItem(
        "wallet_topup",
        None,
        2_500_000,
        BANK_ACCOUNT,
        None,
        "Top-up of the Pleo wallet",
        None,
        4,
    ),
    DemoItem(
        "card_purchase",
        ("Danske Konferencer ApS", "DK", "7399", "DKK"),
        249_500,
        UNMAPPED_ACCOUNT,
        ("K_DK_FuldFradrag", "0.25", "inclusive"),
        "Conference ticket, Digital Finance Day",
        "bo",
        3,
    ),
)
SCENARIOS: dict[str, tuple[DemoItem, ...]] = {"danish-export": DANISH_EXPORT}


def scenario_items(
    name: str,
    company_id: str,
    *,
    today: dt.date | None = None,
    file_factory: Callable | None = None,
) -> list[dict]:
    """The ``ExportItemV3`` dicts of scenario ``name`` for ``company_id``.

    The accounting entry ids depend on the company and the item only, so a restarted demo
    exports the same entries again (Odoo books each once). Dates are ``days_ago`` before
    ``today`` (default: today, UTC). ``file_factory`` makes the receipts (the sandbox's file
    host); None leaves placeholder links.
    """
    if name not in SCENARIOS:
        raise SandboxError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    today = today or dt.datetime.now(dt.timezone.utc).date()
    items = []
    for index, spec in enumerate(SCENARIOS[name]):
        items.append(_item(name, company_id, index, spec, today, file_factory))
    return items


def _item(name, company_id, index, spec, today, file_factory):
    options = {
        "seed": f"{name}:{index}",
        "types": (spec.type,),
        "max_lines": 1,
        "notes": False,
        "tags": {"DEPT": ()},  # no tags: the demo company has no analytic accounts
        "tax_accounts": _TAX_ACCOUNTS,
        "contra_account_code": WALLET_ACCOUNT[0],
        "start_date": today - dt.timedelta(days=spec.days_ago),
    }
    if spec.type == "wallet_topup":
        options["accounts"] = {"bank": spec.account, "wallet": WALLET_ACCOUNT}
    else:
        options["accounts"] = {"expense": [spec.account], "wallet": WALLET_ACCOUNT}
    if spec.supplier:
        options["suppliers"] = (spec.supplier,)
    if spec.tax:
        code, rate, kind = spec.tax
        options["tax_codes"] = {kind: ((code, rate),)}
        options["tax_types"] = (kind,)
    if spec.employee:
        options["users"] = (EMPLOYEES[spec.employee],)
    if file_factory is not None:
        options["file_factory"] = file_factory
    generator = ExportItemGenerator(company_id, refund_sign="positive", **options)
    entry_id = str(uuid.uuid5(_NAMESPACE, f"{company_id}:{name}:{index}"))
    item = generator.item(spec.type, index=0, entry_id=entry_id, total=spec.total)
    item["note"] = spec.note
    if spec.tax is None:
        for line in item["accountingEntryLines"]:  # no VAT: the net is the whole line
            line["tax"] = None
            line["netAmount"] = copy.deepcopy(line["lineAmount"])
    info = item["additionalInformation"]
    info["attendees"] = list(spec.attendees) or None
    return item
