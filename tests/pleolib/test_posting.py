"""Booking rules (pleolib.posting): Pleo export items (ExportItemV3 shapes) to balanced postings."""

import copy
import datetime
import uuid
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pleolib.currency import currency_exponent, spread, to_company_currency
from pleolib.items import ItemError
from pleolib.posting import (
    ITEM_TYPES,
    REVERSAL_TYPES,
    WALLET_TYPES,
    Posting,
    posting_from_item,
    wallet_on_lines,
)

ENTRY = "3f8e2f4c-1a2b-4c3d-9e8f-0123456789ab"
NORMAL_TYPES = sorted(ITEM_TYPES - REVERSAL_TYPES)


# --------------------------------------------------------------------------- builders


def money(value, currency="DKK"):
    return {"currency": currency, "value": value}


def amount(value, currency="DKK", supplier=None):
    return {
        "inSupplierCurrency": supplier or money(value, currency),
        "inWalletCurrency": money(value, currency),
    }


def account(code="6810", name="Meals", identifier=None):
    return {"id": str(uuid.uuid4()), "name": name, "code": code, "identifier": identifier}


def tax(
    value, rate=0.25, kind="inclusive", code="I25", currency="DKK", ingoing=None, outgoing=None
):
    result = {
        "id": str(uuid.uuid4()),
        "code": code,
        "rate": rate,
        "type": kind,
        "amount": amount(value, currency),
    }
    if ingoing is not None:
        result["ingoingTaxAccount"] = ingoing
    if outgoing is not None:
        result["outgoingTaxAccount"] = outgoing
    return result


def line(value, code="6810", tax_=None, tags=None, currency="DKK", acct=None):
    return {
        "accountingEntryLineId": str(uuid.uuid4()),
        "lineAmount": amount(value, currency),
        "netAmount": amount(value - (tax_["amount"]["inWalletCurrency"]["value"] if tax_ else 0)),
        "account": acct if acct is not None else account(code),
        "tags": tags,
        "tax": tax_,
    }


def tag(group="DEPT", code="SALES"):
    return {"id": str(uuid.uuid4()), "groupCode": group, "code": code}


def item(
    lines=None,
    *,
    type_="card_purchase",
    total=None,
    currency="DKK",
    contra="5820",
    date="2025-03-04T10:15:00Z",
    **extra,
):
    lines = [line(12500, currency=currency)] if lines is None else lines
    if total is None:
        total = sum(ln["lineAmount"]["inWalletCurrency"]["value"] for ln in lines)
    result = {
        "_links": {"web": {"exportItem": "https://app.pleo.io/export/x"}},
        "accountingEntryId": ENTRY,
        "accountingEntryLines": lines,
        "additionalInformation": {"reconciliationId": "BOOK-42", "attendees": ["Ann"]},
        "amount": amount(total, currency),
        "companyId": "00000000-0000-0000-0000-000000000001",
        "contraAccount": None if contra is None else account(contra, "Pleo wallet"),
        "date": date,
        "type": type_,
        "supplier": {"name": "Café Noir", "code": None},
        "user": {"id": str(uuid.uuid4()), "name": "Jo Smith", "code": "E7"},
        "note": "Team lunch",
        "files": [
            {
                "url": "https://files.example/r.pdf?X-Sig=secret",
                "type": "application/pdf",
                "size": 2084,
            }
        ],
        "bookkeeping": {"method": "journal"},
    }
    result.update(extra)
    return result


def amounts(posting, role=None):
    return [ln.amount for ln in posting.lines if role is None or ln.role == role]


def error_of(data):
    with pytest.raises(ItemError) as info:
        posting_from_item(data)
    return info.value


# --------------------------------------------------------------------------- examples


def test_card_purchase_with_inclusive_vat():
    posting = posting_from_item(item([line(12500, tax_=tax(2500))]))
    assert isinstance(posting, Posting)
    assert [(ln.role, ln.amount) for ln in posting.lines] == [
        ("expense", 10000),
        ("tax", 2500),
        ("contra", -12500),
    ]
    expense, tax_line, contra = posting.lines
    assert expense.account.code == "6810"
    assert expense.tax.code == "I25" and expense.tax.rate == Decimal("0.25")
    assert tax_line.account is None and tax_line.tax == expense.tax
    assert contra.account.code == "5820" and contra.account.name == "Pleo wallet"
    assert posting.total == 12500 and posting.currency == "DKK"
    assert posting.date == datetime.date(2025, 3, 4)
    assert posting.reference == "BOOK-42"
    assert posting.label == "Café Noir - Jo Smith - Team lunch"
    assert posting.user_code == "E7" and posting.user_name == "Jo Smith"
    assert posting.supplier_name == "Café Noir" and posting.note == "Team lunch"
    assert posting.web_url == "https://app.pleo.io/export/x"
    assert posting.bookkeeping_method == "journal"
    assert posting.files[0].size == 2084 and posting.files[0].mimetype == "application/pdf"
    assert "secret" not in repr(posting.files[0])
    assert posting.attendees == ("Ann",)
    assert not posting.reversal and posting.entry_uuid == ENTRY
    assert len(posting.fingerprint) == 64


def test_exclusive_vat_books_the_same_way():
    posting = posting_from_item(
        item([line(12500, tax_=tax(2500, kind="exclusive", ingoing="6300"))])
    )
    assert amounts(posting) == [10000, 2500, -12500]
    assert posting.lines[1].account.code == "6300"


def test_reverse_charge_books_both_sides_and_the_whole_line_as_expense():
    lines = [
        line(10000, tax_=tax(2500, kind="reverse", code="RC", ingoing="6300", outgoing="7300"))
    ]
    posting = posting_from_item(item(lines))
    assert [(ln.role, ln.amount) for ln in posting.lines] == [
        ("expense", 10000),
        ("tax", 2500),
        ("tax_reverse", -2500),
        ("contra", -10000),
    ]
    assert posting.lines[1].account.code == "6300"
    assert posting.lines[2].account.code == "7300"
    assert posting.total == 10000


def test_reverse_charge_without_tax_accounts_leaves_them_to_the_odoo_tax():
    posting = posting_from_item(item([line(10000, tax_=tax(2500, kind="reverse"))]))
    assert posting.lines[1].account is None and posting.lines[2].account is None


def test_split_lines_stay_separate_with_their_own_tax_lines():
    tags = [tag("DEPT", "SALES"), tag("PROJ", "P1")]
    lines = [
        line(8000, "6810", tax(1600), tags=tags),
        line(4500, "6810", tax(900), tags=tags),
        line(-500, "6890"),  # a discount line inside a purchase
    ]
    posting = posting_from_item(item(lines))
    assert [(ln.role, ln.amount) for ln in posting.lines] == [
        ("expense", 6400),
        ("tax", 1600),
        ("expense", 3600),
        ("tax", 900),
        ("expense", -500),
        ("contra", -12000),
    ]
    assert posting.lines[0].line_id == lines[0]["accountingEntryLineId"]
    assert posting.lines[1].line_id == lines[0]["accountingEntryLineId"]
    assert [(t.group_code, t.code) for t in posting.lines[0].tags] == [
        ("DEPT", "SALES"),
        ("PROJ", "P1"),
    ]


@pytest.mark.parametrize("kind", ["inclusive", "exclusive"])
@pytest.mark.parametrize(
    "value, tax_amount, rate, ok",
    [
        (12500, 2500, 0.25, True),  # 125.00 holds 25.00 of VAT at 25 %
        (12500, 2501, 0.25, True),  # Pleo's rounding: one minor unit more
        (12500, 2502, 0.25, False),
        (12500, 3125, 0.25, False),  # the tax put on top: 125.00 x 25 %
        (-12500, -3125, 0.25, False),  # a refund alike
        (10000, 1072, 0.12, True),  # 100 x 0.12 / 1.12 = 10.714…: 10.72 is within one unit
        (10000, 1073, 0.12, False),
        (10000, 1, 0, True),
        (10000, 2, 0, False),  # no VAT at 0 %
    ],
)
def test_a_tax_more_than_its_line_can_contain_fails(value, tax_amount, rate, ok, kind):
    data = item([line(value, tax_=tax(tax_amount, rate=rate, kind=kind))])
    if ok:
        assert amounts(posting_from_item(data), "tax") == [tax_amount]
        return
    error = error_of(data)
    assert error.code == "validation_failure"
    assert f"its tax ({abs(tax_amount)}) is more than a line of {abs(value)}" in str(error)
    assert error.data["ceiling"] == abs(value) * Decimal(str(rate)).as_integer_ratio()[0] // sum(
        Decimal(str(rate)).as_integer_ratio()
    )


def test_a_reverse_charge_is_on_top_of_its_line():
    posting = posting_from_item(item([line(10000, tax_=tax(2500, kind="reverse"))]))
    assert amounts(posting, "tax") == [2500]


def test_zero_tax_has_no_tax_line():
    posting = posting_from_item(item([line(10000, tax_=tax(0, rate=0, code="Z0"))]))
    assert [ln.role for ln in posting.lines] == ["expense", "contra"]
    assert posting.lines[0].tax.code == "Z0"


@pytest.mark.parametrize("type_", sorted(ITEM_TYPES))
def test_every_item_type_books_by_its_direction(type_):
    posting = posting_from_item(item([line(5000, tax_=tax(1000))], type_=type_))
    assert sum(amounts(posting)) == 0
    sign = -1 if type_ in REVERSAL_TYPES else 1
    assert amounts(posting) == [4000 * sign, 1000 * sign, -5000 * sign]
    assert posting.reversal is (type_ in REVERSAL_TYPES)
    assert posting.item_type == type_


@pytest.mark.parametrize("type_", sorted(REVERSAL_TYPES - {"wallet_topup"}))
@pytest.mark.parametrize("sign", [1, -1])
def test_refunds_run_the_other_way_whatever_sign_pleo_sends(type_, sign):
    lines = [line(sign * 12500, tax_=tax(sign * 2500))]
    posting = posting_from_item(item(lines, type_=type_))
    assert amounts(posting) == [-10000, -2500, 12500]
    assert posting.total == 12500


def test_tax_sign_follows_its_line():
    lines = [line(-12500, tax_=tax(2500))]  # Pleo might send the tax unsigned
    posting = posting_from_item(item(lines, type_="refund"))
    assert amounts(posting) == [-10000, -2500, 12500]


def test_negative_purchase_books_like_a_positive_one():
    positive = posting_from_item(item([line(12500, tax_=tax(2500))]))
    negative = posting_from_item(item([line(-12500, tax_=tax(-2500))]))
    assert amounts(positive) == amounts(negative)
    assert positive.fingerprint == negative.fingerprint


@pytest.mark.parametrize(
    "sub_type, reversal",
    [
        ("reimbursement_to_employee", False),
        ("reimbursement_to_employee_refund", True),
        ("reimbursement_to_company", True),
        ("invoice_payment_sent", False),
        ("invoice_payment_returned", True),
        ("interest", False),
    ],
)
def test_sub_types_that_undo_a_payment_reverse(sub_type, reversal):
    posting = posting_from_item(item(type_="direct_reimbursement", subType=sub_type))
    assert posting.reversal is reversal
    assert posting.sub_type == sub_type
    assert amounts(posting, "contra") == [12500 if reversal else -12500]


def test_foreign_wallet_currency():
    data = item([line(9999, tax_=tax(2000, currency="EUR"), currency="EUR")], currency="EUR")
    data["amount"]["inSupplierCurrency"] = money(1080, "GBP")
    posting = posting_from_item(data)
    assert posting.currency == "EUR" and posting.total == 9999
    assert amounts(posting) == [7999, 2000, -9999]


def test_zero_amount_item_books_zero_lines():
    posting = posting_from_item(item([line(0)]))
    assert amounts(posting) == [0, 0]


def test_float_integral_amounts_are_accepted():
    data = item([line(1250)])
    data["amount"]["inWalletCurrency"]["value"] = 1250.0
    assert posting_from_item(data).total == 1250


def test_label_falls_back_to_the_type_and_strips_control_characters():
    data = item(supplier=None, user=None, note=None, type_="wallet_topup")
    assert posting_from_item(data).label == "Pleo wallet topup"
    data = item(note="Dinner\n\twith\x00 clients ")
    assert posting_from_item(data).label == "Café Noir - Jo Smith - Dinner with clients"


def test_account_by_identifier_only():
    posting = posting_from_item(item([line(100, acct=account(code=None, identifier="ERP-9"))]))
    assert posting.lines[0].account.identifier == "ERP-9" and posting.lines[0].account.code is None


def test_date_is_the_date_as_written():
    assert posting_from_item(item(date="2025-12-31T23:30:00-05:00")).date == datetime.date(
        2025, 12, 31
    )
    assert posting_from_item(item(date="2024-02-29")).date == datetime.date(2024, 2, 29)


def test_vendor_bill_needs_a_vendor():
    data = item(bookkeeping={"method": "accounts_payable"})
    assert error_of(data).code == "missing_configuration"
    data["vendor"] = {
        "id": str(uuid.uuid4()),
        "name": "ACME",
        "defaultCurrency": "DKK",
        "code": "V1",
    }
    posting = posting_from_item(data)
    assert posting.vendor.code == "V1" and posting.bookkeeping_method == "accounts_payable"


# --------------------------------------------------------------------------- fingerprints


def test_fingerprint_is_stable_and_changes_with_what_is_booked():
    base = item([line(8000, tax_=tax(1600), tags=[tag()]), line(4500)])
    first = posting_from_item(base)
    again = copy.deepcopy(base)
    again["accountingEntryLines"].reverse()  # order and ids book nothing differently
    for ln in again["accountingEntryLines"]:
        ln["accountingEntryLineId"] = str(uuid.uuid4())
        ln["account"]["name"] = "renamed"
    again["files"] = []
    assert posting_from_item(again).fingerprint == first.fingerprint

    changes = [
        lambda d: d["accountingEntryLines"][0]["account"].update(code="6820"),
        lambda d: d["accountingEntryLines"][0]["tax"].update(code="I12"),
        lambda d: d["accountingEntryLines"][0].update(tags=[tag(code="OPS")]),
        lambda d: d.update(date="2025-03-05T10:15:00Z"),
        lambda d: d.update(note="other"),
        lambda d: d["additionalInformation"].update(reconciliationId="BOOK-43"),
        lambda d: d.update(type="out_of_pocket"),
        lambda d: d["contraAccount"].update(code="5821"),
    ]
    for change in changes:
        changed = copy.deepcopy(base)
        change(changed)
        assert posting_from_item(changed).fingerprint != first.fingerprint


def test_fingerprint_of_a_vendor_bill_covers_its_invoice_data():
    base = item(
        bookkeeping={"method": "accounts_payable"},
        vendor={"id": str(uuid.uuid4()), "name": "ACME", "defaultCurrency": "DKK", "code": "V1"},
    )
    base["additionalInformation"]["invoiceInformation"] = {
        "invoiceNumber": "INV-1",
        "invoiceDate": "2025-03-01T00:00:00Z",
        "dueDate": "2025-03-31T00:00:00Z",
        "status": "ready",
    }
    first = posting_from_item(base)
    assert first.invoice_number == "INV-1"
    assert first.due_date == datetime.date(2025, 3, 31)
    changes = [
        lambda info: info.update(invoiceNumber="INV-2"),
        lambda info: info.update(invoiceDate="2025-03-02T00:00:00Z"),
        lambda info: info.update(dueDate=None),
    ]
    for change in changes:
        changed = copy.deepcopy(base)
        change(changed["additionalInformation"]["invoiceInformation"])
        assert posting_from_item(changed).fingerprint != first.fingerprint
    # a journal entry books none of it: its fingerprint ignores the invoice data
    journal = copy.deepcopy(base)
    journal["bookkeeping"] = {"method": "journal"}
    other = copy.deepcopy(journal)
    other["additionalInformation"]["invoiceInformation"]["invoiceNumber"] = "INV-2"
    assert posting_from_item(journal).fingerprint == posting_from_item(other).fingerprint


def test_fingerprint_changes_with_amounts():
    a = posting_from_item(item([line(8000, tax_=tax(1600))]))
    b = posting_from_item(item([line(8000, tax_=tax(1500))]))
    assert a.fingerprint != b.fingerprint


# --------------------------------------------------------------------------- validation


def _set(path, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


LINE0 = ("accountingEntryLines", 0)


@pytest.mark.parametrize(
    "change, code, words",
    [
        (_set(("amount", "inWalletCurrency", "value"), 12.5), "validation_failure", "whole number"),
        (
            _set((*LINE0, "lineAmount", "inWalletCurrency", "value"), 12500.5),
            "validation_failure",
            "line 1",
        ),
        (
            _set(("amount", "inWalletCurrency", "value"), "12500"),
            "validation_failure",
            "not a number",
        ),
        (_set(("amount", "inWalletCurrency", "value"), True), "validation_failure", "not a number"),
        (
            _set(("amount", "inWalletCurrency", "value"), float("nan")),
            "validation_failure",
            "whole",
        ),
        (_set(("amount", "inWalletCurrency", "value"), 1e300), "validation_failure", "whole"),
        (
            _set((*LINE0, "lineAmount", "inWalletCurrency", "currency"), "EUR"),
            "validation_failure",
            "EUR",
        ),
        (_set(("amount", "inWalletCurrency", "value"), 12501), "validation_failure", "add up"),
        (
            _set((*LINE0, "tax", "amount", "inWalletCurrency", "value"), 12501),
            "validation_failure",
            "larger",
        ),
        (
            _set((*LINE0, "tax", "amount", "inWalletCurrency", "currency"), "SEK"),
            "validation_failure",
            "SEK",
        ),
        (_set((*LINE0, "tax", "type"), "gross"), "validation_failure", "tax type"),
        (_set((*LINE0, "tax", "rate"), 25), "validation_failure", "rate"),
        (_set((*LINE0, "tax", "rate"), None), "validation_failure", "rate"),
        (_set(("contraAccount",), None), "missing_configuration", "no contra account"),
        (_set(("contraAccount", "code"), None), "missing_configuration", "no contra account"),
        (_drop(("contraAccount",)), "missing_configuration", "out-of-pocket"),
        (_set((*LINE0, "account"), None), "missing_configuration", "line 1"),
        (_set((*LINE0, "account", "code"), None), "missing_configuration", "has no account"),
        (_set(("accountingEntryLines",), []), "missing_configuration", "no accounting lines"),
        (_drop(("accountingEntryLines",)), "missing_configuration", "no accounting lines"),
        (_set(("type",), "gift"), "validation_failure", "unknown type"),
        (_set(("subType",), "mystery"), "validation_failure", "sub-type"),
        (_set(("date",), "yesterday"), "validation_failure", "date"),
        (_set(("date",), "2025-02-30T00:00:00Z"), "validation_failure", "date"),
        (_drop(("date",)), "validation_failure", "date"),
        (
            _set(("amount", "inWalletCurrency", "currency"), "UNDEFINED"),
            "validation_failure",
            "currency",
        ),
        (_set(("accountingEntryId",), "not-a-uuid"), "validation_failure", "accountingEntryId"),
        (_set(("bookkeeping",), {"method": "cash"}), "validation_failure", "bookkeeping"),
        (
            _set(("files",), [{"url": "ftp://x/y", "type": "application/pdf", "size": 1}]),
            "validation_failure",
            "attachment 1",
        ),
        (_set((*LINE0, "tags"), [{"id": "x", "code": "A"}]), "validation_failure", "tag 1"),
        (_set(("note",), 42), "validation_failure", "note"),
    ],
)
def test_validation_errors(change, code, words):
    data = item([line(12500, tax_=tax(2500))])
    change(data)
    error = error_of(data)
    assert error.code == code
    assert words.lower() in error.message.lower()
    assert "secret" not in error.message
    assert error.data.get("entry") in (ENTRY, None)


def test_missing_account_message_names_the_line_and_entry():
    data = item([line(100), line(200, acct={"id": "x", "name": "Nothing"})])
    error = error_of(data)
    assert error.code == "missing_configuration"
    assert error.message.startswith(f"Pleo line 2 of entry {ENTRY} has no account")
    assert error.data == {"entry": ENTRY, "line": 2, "field": "account"}


def test_contra_message_is_actionable():
    error = error_of(item(contra=None))
    assert (
        "the item has no contra account: set the Pleo wallet/out-of-pocket account in Pleo's"
        in (error.message)
    )


@pytest.mark.parametrize("data", [None, [], "x", 3, {}, {"accountingEntryId": ENTRY}])
def test_garbage_raises_item_error(data):
    assert error_of(data).code == "validation_failure"


# --------------------------------------------------------------------------- currencies


def test_currency_exponent():
    assert currency_exponent("JPY") == 0
    assert currency_exponent("ISK") == 0
    assert [currency_exponent(c) for c in ("KWD", "BHD", "OMR", "JOD", "TND", "LYD", "IQD")] == [
        3
    ] * 7
    assert currency_exponent("EUR") == 2 and currency_exponent("dkk") == 2
    assert currency_exponent("CLF") == 4


def test_to_company_currency_example():
    posting = posting_from_item(item([line(12500, tax_=tax(2500))]))
    assert to_company_currency(posting, Decimal("0.1341"), 2, 2) == (1341, 335, -1676)
    assert to_company_currency(posting, Decimal("21.5"), 2, 0) == (2150, 538, -2688)
    assert to_company_currency(posting, Decimal("1"), 2, 3) == (100000, 25000, -125000)


def test_to_company_currency_puts_the_residue_on_the_expense():
    """As Odoo's expenses: the wallet is the exact conversion of the money that moved, the cost
    takes the øre."""
    posting = posting_from_item(item([line(1300, tax_=tax(250))]))
    # 10.50 and 2.50 round half-up to 11 and 3; the contra is -13 exactly: the expense gives one
    assert to_company_currency(posting, Decimal("0.01"), 2, 2) == (10, 3, -13)
    posting = posting_from_item(item([line(1), line(1)]))
    assert to_company_currency(posting, Decimal("0.5"), 2, 2) == (0, 1, -1)


def test_to_company_currency_keeps_every_line_within_one_unit():
    posting = posting_from_item(item([line(1), line(1), line(1)]))
    # 0.5 each rounds to 1 and the contra -1.5 to -2: one expense line gives a unit back
    assert to_company_currency(posting, Decimal("0.5"), 2, 2) == (0, 1, 1, -2)


def test_to_company_currency_refuses_floats():
    posting = posting_from_item(item())
    with pytest.raises(TypeError):
        to_company_currency(posting, 0.1341, 2, 2)
    with pytest.raises(ValueError):
        to_company_currency(posting, Decimal(0), 2, 2)


# --------------------------------------------------------------------------- properties

CURRENCIES = st.sampled_from(["DKK", "EUR", "SEK", "JPY", "KWD", "GBP"])
TAX_KINDS = st.sampled_from([None, "inclusive", "exclusive", "reverse"])
CODES = st.sampled_from(["6810", "6820", "6890", "7000"])


@st.composite
def line_specs(draw, max_value=10**9):
    """``(value, tax_amount | None, kind, code, tags)`` with the tax within its line (25 %)."""
    value = draw(st.integers(-max_value, max_value))
    kind = draw(TAX_KINDS)
    tax_amount = None
    if kind is not None:
        tax_amount = draw(st.integers(0, tax_room(abs(value), kind)))
        tax_amount = -tax_amount if value < 0 and draw(st.booleans()) else tax_amount
    tags = draw(
        st.lists(st.sampled_from([("DEPT", "A"), ("DEPT", "B"), ("PROJ", "P")]), max_size=2)
    )
    return value, tax_amount, kind, draw(CODES), tags


def tax_room(magnitude, kind):
    """The largest tax of a line at 25 %: a reverse charge is on top (up to the line here), a
    tax paid to the supplier is inside it (a fifth, and Pleo's rounding of one minor unit)."""
    return magnitude if kind == "reverse" else min(magnitude, magnitude // 5 + 1)


def build(specs, type_="card_purchase", currency="DKK", flip=1):
    if type_ == "wallet_topup" and flip * sum(spec[0] for spec in specs) < 0:
        flip = -flip  # a top-up is money into the wallet: Pleo never sends it negative
    lines = []
    for value, tax_amount, kind, code, tags in specs:
        tax_ = None
        if kind is not None:
            tax_ = tax(
                flip * tax_amount, kind=kind, currency=currency, ingoing="6300", outgoing="7300"
            )
        lines.append(
            line(flip * value, code, tax_, tags=[tag(g, c) for g, c in tags], currency=currency)
        )
    return item(lines, type_=type_, currency=currency)


ITEMS = st.builds(
    build,
    st.lists(line_specs(), min_size=1, max_size=6),
    st.sampled_from(sorted(ITEM_TYPES)),
    CURRENCIES,
    st.sampled_from([1, -1]),
)


@settings(max_examples=300, deadline=None)
@given(ITEMS)
def test_property_every_posting_balances_and_the_contra_is_the_total(data):
    posting = posting_from_item(data)
    assert sum(amounts(posting)) == 0
    total = data["amount"]["inWalletCurrency"]["value"]
    assert posting.total == abs(total) >= 0
    contra = amounts(posting, "contra")
    assert contra == [posting.total if posting.reversal else -posting.total]
    assert len(amounts(posting, "expense")) == len(data["accountingEntryLines"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(line_specs(), min_size=1, max_size=5),
    st.sampled_from(sorted(REVERSAL_TYPES)),
    st.sampled_from(NORMAL_TYPES),
    st.sampled_from([1, -1]),
)
def test_property_a_refund_mirrors_its_purchase(specs, refund_type, purchase_type, flip):
    purchase = posting_from_item(build(specs, purchase_type))
    refund = posting_from_item(build(specs, refund_type, flip=flip))
    assert [(ln.role, ln.account, ln.tax, ln.tags) for ln in purchase.lines] == [
        (ln.role, ln.account, ln.tax, ln.tags) for ln in refund.lines
    ]
    assert amounts(refund) == [-a for a in amounts(purchase)]
    assert refund.total == purchase.total


def per_account(posting):
    totals = Counter()
    for ln in posting.lines:
        totals[(ln.role, ln.account.code if ln.account else None)] += ln.amount
    return {key: value for key, value in totals.items() if value}


@settings(max_examples=300, deadline=None)
@given(st.lists(line_specs(), min_size=1, max_size=4), st.data())
def test_property_splitting_a_line_keeps_the_totals_per_account(specs, draw):
    index = draw.draw(st.integers(0, len(specs) - 1))
    value, tax_amount, kind, code, tags = specs[index]
    sign = -1 if value < 0 else 1
    magnitude, tax_magnitude = abs(value), abs(tax_amount or 0)
    first = draw.draw(st.integers(0, magnitude))
    # the first part's tax keeps both parts' taxes within their lines
    room = tax_room(magnitude - first, kind), tax_room(first, kind)
    low, high = max(0, tax_magnitude - room[0]), min(tax_magnitude, room[1])
    first_tax = draw.draw(st.integers(low, high))
    parts = [
        (sign * first, None if kind is None else sign * first_tax, kind, code, tags),
        (
            sign * (magnitude - first),
            None if kind is None else sign * (tax_magnitude - first_tax),
            kind,
            code,
            tags,
        ),
    ]
    split = [*specs[:index], *parts, *specs[index + 1 :]]
    whole, halves = posting_from_item(build(specs)), posting_from_item(build(split))
    assert per_account(whole) == per_account(halves)
    assert whole.total == halves.total


RATES = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("100000"), places=6)


@settings(max_examples=300, deadline=None)
@given(ITEMS, RATES, st.integers(0, 3), st.integers(0, 3))
def test_property_company_currency_balances_and_stays_close(data, rate, exp_from, exp_to):
    posting = posting_from_item(data)
    converted = to_company_currency(posting, rate, exp_from, exp_to)
    assert len(converted) == len(posting.lines)
    assert sum(converted) == 0
    factor = rate.scaleb(exp_to - exp_from)
    for ln, value in zip(posting.lines, converted, strict=True):
        exact = Decimal(ln.amount) * factor
        assert abs(Decimal(value) - exact) <= 1, (ln.role, value, exact)
        if ln.role != "contra":
            assert abs(Decimal(value) - exact) < 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=40), RATES)
def test_property_many_small_lines_still_within_one_unit(values, rate):
    posting = posting_from_item(item([line(v) for v in values]))
    converted = to_company_currency(posting, rate, 2, 2)
    assert sum(converted) == 0
    for ln, value in zip(posting.lines, converted, strict=True):
        assert abs(Decimal(value) - Decimal(ln.amount) * rate) <= 1
    # lines that need no residue are rounded half-up on their own
    first = Decimal(posting.lines[0].amount) * rate
    assert abs(converted[0] - int(first.to_integral_value(ROUND_HALF_UP))) <= 1


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_property_arbitrary_json_raises_only_item_error(data):
    try:
        posting_from_item(data)
    except ItemError as error:
        assert error.code and isinstance(error.message, str)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ITEMS, st.data(), JSON)
def test_property_mutated_items_raise_only_item_error(data, draw, replacement):
    paths = [p for p in _paths(data) if p]
    path = draw.draw(st.sampled_from(paths))
    _set(path, replacement)(data)
    try:
        posting = posting_from_item(data)
    except ItemError as error:
        assert error.code in {"validation_failure", "missing_configuration"}
        return
    assert sum(amounts(posting)) == 0


# --------------------------------------------------------------------------- spread


def test_spread_shares_by_percent_and_keeps_the_total():
    assert spread(2500, [25, 75]) == [625, 1875]
    assert spread(1001, [Decimal("33.33"), Decimal("66.67")]) == [334, 667]
    assert spread(-2500, [25, 75]) == [-625, -1875]
    assert spread(1, [50, 50]) == [0, 1]  # 1 and 1, the largest (the first) gives one back
    assert spread(12345, [100]) == [12345]
    with pytest.raises(ValueError):
        spread(100, [0, 0])
    with pytest.raises(TypeError):
        spread(1.5, [100])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-(10**12), 10**12),
    st.lists(st.decimals(0, 100, places=2), min_size=1, max_size=5).filter(lambda w: sum(w) > 0),
)
def test_property_spread_adds_up_and_each_share_is_its_part(amount, weights):
    shares = spread(amount, weights)
    assert sum(shares) == amount
    whole = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(Decimal(share) - Decimal(amount) * weight / whole) <= len(weights)
        assert share * amount >= 0  # a share never has the other sign


# --------------------------------------------------------------------------- receipt currency


def supplier_item(wallet_lines, supplier_lines, supplier_currency="DKK", currency="EUR"):
    """Lines as ``(value, tax)`` in the wallet and the supplier currency."""
    lines = []
    for (value, tax_value), (s_value, s_tax) in zip(wallet_lines, supplier_lines, strict=True):
        raw = line(value, tax_=tax(tax_value, currency=currency), currency=currency)
        raw["lineAmount"]["inSupplierCurrency"] = money(s_value, supplier_currency)
        raw["tax"]["amount"]["inSupplierCurrency"] = money(s_tax, supplier_currency)
        lines.append(raw)
    data = item(lines, currency=currency)
    data["amount"]["inSupplierCurrency"] = money(
        sum(v for v, _t in supplier_lines), supplier_currency
    )
    return data


def test_the_receipt_s_own_figures_are_kept():
    """A DKK receipt of 125.00 incl. 25.00 paid from a EUR wallet (16.76, tax 3.35)."""
    posting = posting_from_item(supplier_item([(1676, 335)], [(12500, 2500)]))
    assert posting.supplier_currency == "DKK"
    assert [ln.supplier_amount for ln in posting.lines] == [10000, 2500, -12500]
    assert amounts(posting) == [1341, 335, -1676]
    refund = supplier_item([(-1676, -335)], [(-12500, -2500)])
    refund["type"] = "refund"
    assert [ln.supplier_amount for ln in posting_from_item(refund).lines] == [
        -10000,
        -2500,
        12500,
    ]


@pytest.mark.parametrize(
    "supplier_lines, supplier_total",
    [
        ([(12500, 2500)], 12600),  # the lines do not add up to the total
        ([(12500, 0)], 12500),  # a tax in one currency only
        ([(12500, 13000)], 12500),  # a tax larger than its line
    ],
)
def test_receipt_figures_that_do_not_hold_are_ignored(supplier_lines, supplier_total):
    data = supplier_item([(1676, 335)], supplier_lines)
    data["amount"]["inSupplierCurrency"]["value"] = supplier_total
    posting = posting_from_item(data)
    assert posting.supplier_currency is None
    assert {ln.supplier_amount for ln in posting.lines} == {None}
    assert amounts(posting) == [1341, 335, -1676]


def test_no_receipt_figures_in_the_wallet_currency():
    posting = posting_from_item(item([line(12500, tax_=tax(2500))]))
    assert posting.supplier_currency is None


# --------------------------------------------------------------------------- date-time


@pytest.mark.parametrize(
    "value, moment",
    [
        ("2025-03-31T22:30:00Z", datetime.datetime(2025, 3, 31, 22, 30)),
        ("2025-03-31T22:30:00", datetime.datetime(2025, 3, 31, 22, 30)),
        ("2025-04-01T00:30:00+02:00", datetime.datetime(2025, 3, 31, 22, 30)),
        ("2025-03-31T22:30:00.123456Z", datetime.datetime(2025, 3, 31, 22, 30, 0, 123456)),
        ("2025-04-01T00:30+0200", datetime.datetime(2025, 3, 31, 22, 30)),
        ("2025-03-31 22:30:00.5Z", datetime.datetime(2025, 3, 31, 22, 30, 0, 500000)),
        ("2025-03-31", None),
        ("2025-03-31T25:00:00Z", None),  # not a time: the date as written
        ("2025-03-31Tmidnight", None),
    ],
)
def test_the_moment_is_pleo_s_date_time_in_utc(value, moment):
    posting = posting_from_item(item(date=value))
    expected = moment and moment.replace(tzinfo=datetime.timezone.utc)
    assert posting.moment == expected
    assert posting.date == datetime.date(*map(int, value[:10].split("-")))


# --------------------------------------------------------------------------- wallet transfers


def test_a_top_up_debits_the_contra_the_wallet_and_an_unload_credits_it():
    """Pleo's contra account is the wallet (5850), the line the bank (5820): a top-up debits
    the wallet, an unload credits it, whatever sign the unload comes with."""
    top_up = posting_from_item(item([line(2747391, "5820")], type_="wallet_topup", contra="5850"))
    assert [(ln.role, ln.account.code, ln.amount) for ln in top_up.lines] == [
        ("expense", "5820", -2747391),
        ("contra", "5850", 2747391),
    ]
    assert top_up.reversal
    for value in (1011848, -1011848):  # an unload's sign is not documented
        unload = posting_from_item(item([line(value, "5820")], type_="wallet_unload"))
        assert amounts(unload) == [1011848, -1011848]
        assert not unload.reversal


def test_a_negative_top_up_fails():
    error = error_of(item([line(-50000, "5820")], type_="wallet_topup"))
    assert error.code == "validation_failure"
    assert "wallet top-up" in error.message and "negative" in error.message


@pytest.mark.parametrize("type_", sorted(WALLET_TYPES))
def test_wallet_on_lines_turns_a_transfer_round(type_):
    posting = posting_from_item(item([line(50000, "5850")], type_=type_, contra="5830"))
    turned = wallet_on_lines(posting)
    assert amounts(turned) == [-a for a in amounts(posting)]
    assert turned.reversal is not posting.reversal and turned.wallet_on_lines
    assert turned.fingerprint != posting.fingerprint
    assert wallet_on_lines(turned) is turned
    # the wallet (5850 on the line) is debited on a top-up, credited on an unload
    assert amounts(turned, "expense") == [50000 if type_ == "wallet_topup" else -50000]


def test_wallet_on_lines_leaves_other_items_alone():
    posting = posting_from_item(item())
    assert wallet_on_lines(posting) is posting


# --------------------------------------------------------------------------- read once, here


def test_the_supplier_bank_account_is_read_compacted_with_the_posting():
    data = item(
        additionalInformation={
            "invoiceInformation": {
                "invoiceNumber": "INV-1",
                "supplierBankAccount": {
                    "accountNumber": " dk50 0040 0440 1162 43 ",
                    "bic": "nda sdk kk",
                    "bankName": " Nordea ",
                    "country": "DK",
                },
            }
        }
    )
    bank = posting_from_item(data).supplier_bank
    assert (bank.account, bank.bic, bank.bank, bank.country) == (
        "DK5000400440116243",
        "NDASDKKK",
        "Nordea",
        "DK",
    )


@pytest.mark.parametrize(
    "bank",
    [None, "DK50", [], {"accountNumber": None}, {"accountNumber": 7}, {"accountNumber": " - "}],
)
def test_an_odd_supplier_bank_account_is_none_never_a_failure(bank):
    data = item(additionalInformation={"invoiceInformation": {"supplierBankAccount": bank}})
    assert posting_from_item(data).supplier_bank is None


@pytest.mark.parametrize(
    "extra",
    [
        {"team": "Sales"},
        {"team": {"name": 5, "code": ["x"]}},
        {"supplier": {"name": "Café Noir", "code": 7, "account": {}, "taxIdentifier": 1.5}},
    ],
)
def test_values_booked_nowhere_never_fail_an_item(extra):
    posting = posting_from_item(item(**extra))
    assert posting.team_name is None and posting.supplier_code is None
    assert posting.label.startswith("Café Noir")


def test_a_value_booked_fails_the_item_with_its_reason_and_field():
    error = error_of(item(note=5))
    assert (error.code, error.reason, error.data["field"]) == (
        "validation_failure",
        "field_not_text",
        "note",
    )
    assert error.message == f"Pleo entry {ENTRY}: the note is not a text."
