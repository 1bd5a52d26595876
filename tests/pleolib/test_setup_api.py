"""pleolib.setup_api against the sandbox's setup endpoints (no Odoo): paging, batches of 1000,
conflicts, retries of POSTs on 429 and of repeatable POSTs on 5xx, pacing, scope switches."""

import pytest
from pleo_sandbox import DEFAULT_SCOPES, SandboxError
from pleolib import MissingScopesError, PleoClient, PleoUnavailableError
from pleolib.setup_api import ConflictError, Pacer, SetupApi

SCOPES = (*DEFAULT_SCOPES, "tax-codes:write", "tag-groups:write")


@pytest.fixture
def ctx(sandbox):
    company = sandbox.add_company("Setup ApS")
    key = sandbox.mint_key(company, scopes=SCOPES)
    client = PleoClient(key, sandbox.url(), sleep=lambda s: None, max_retry_wait=0)
    yield sandbox, company, key, SetupApi(client, company, pacer=Pacer(0))
    client.close()


def _accounts(n, start=0):
    return [
        {"externalId": str(i), "code": str(6000 + i), "name": f"Account {i}", "archived": False}
        for i in range(start, start + n)
    ]


def test_accounts_go_in_batches_of_1000_and_are_read_back_page_by_page(ctx):
    sandbox, _company, _key, api = ctx
    created, failed = api.create_accounts(_accounts(1500))
    assert (len(created), failed) == (1500, [])
    assert sandbox.count("POST", "/v1/chart-of-accounts/batch") == 2
    sandbox.reset_requests()
    rows = api.list_accounts()
    assert len(rows) == 1500 and len({r["id"] for r in rows}) == 1500
    assert sandbox.count("POST", "/v1/chart-of-accounts:search") == 15  # 100 a page
    assert api.calls["POST"] == 17


def test_batch_reports_failed_items_with_reasons(ctx):
    _sandbox, _company, _key, api = ctx
    api.create_accounts(_accounts(1))
    created, failed = api.create_accounts([*_accounts(1), *_accounts(1, start=1)])
    assert [a["externalId"] for a in created] == ["1"]
    assert failed[0]["reasons"] == ["EXTERNAL_ID_ALREADY_EXISTS"]


def test_used_account_is_not_deleted(ctx):
    sandbox, company, _key, api = ctx
    used = sandbox.add_account(company, "6810", "Meals", used=True)
    free = sandbox.add_account(company, "6820", "Travel")
    assert api.delete_account(used) is False
    assert api.delete_account(free) is True
    assert [a["id"] for a in sandbox.accounts(company)] == [used]
    archived = api.update_account(used, {"name": "Meals", "archived": True})
    assert archived["archived"] is True


def test_tax_codes_tags_and_vendors(ctx):
    sandbox, company, _key, api = ctx
    tax = api.create_tax_code(
        {"code": "RC25", "name": "RC", "rate": 0.25, "type": "reverse", "archived": False}
    )
    assert api.list_tax_codes() == [tax]
    group = api.create_tag_group(
        {"code": "DEPT", "name": "Departments", "archived": False, "metadata": {}}
    )
    tag = api.create_tag(group["id"], {"code": "SALES", "name": "Sales", "archived": False})
    api.update_tag(tag["id"], {"code": "SALES", "name": "Sales", "archived": True})
    assert [t["archived"] for t in api.list_tags(group["id"])] == [True]  # archived ones too
    vendor = api.create_vendor({"name": "Airline", "defaultCurrency": "DKK", "code": "V1"})
    assert vendor["state"] == "DRAFT"
    with pytest.raises(ConflictError):
        api.create_vendor({"name": "Other", "defaultCurrency": "DKK", "code": "V1"})
    api.activate_vendor(vendor["id"], 42, "V1")
    (row,) = api.list_vendors()
    assert (row["state"], row["externalId"], row["code"]) == ("ACTIVE", "42", "V1")
    api.archive_vendor(vendor["id"])
    assert sandbox.vendors(company)[0]["state"] == "ARCHIVED"


def test_a_post_is_retried_on_429_but_a_create_never_on_5xx(ctx):
    sandbox, _company, _key, api = ctx
    sandbox.inject_fault("/v1/vendors", "POST", kind="rate_limit", retry_after=0, times=2)
    api.create_vendor({"name": "Airline", "defaultCurrency": "DKK"})
    assert sandbox.count("POST", "/v1/vendors") == 3
    sandbox.inject_fault("/v1/vendors", "POST", status=502, times=1)
    with pytest.raises(PleoUnavailableError):
        api.create_vendor({"name": "Taxi", "defaultCurrency": "DKK"})
    assert sandbox.count("POST", "/v1/vendors") == 4
    # a search is only a read: retried on 5xx
    sandbox.inject_fault("/v1/vendors:search", "POST", status=503, times=2)
    assert len(api.list_vendors()) == 1


def test_pacer_keeps_calls_under_the_budget():
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(3, sleep=sleep, clock=lambda: now[0])
    for _ in range(7):
        pacer.wait()
        now[0] += 1
    # 3 calls, wait for the minute to roll, 3 more, wait again, 1 more
    assert len(slept) == 2 and pacer.waited == pytest.approx(sum(slept))
    assert all(s > 50 for s in slept)


def test_scope_switches(ctx):
    sandbox, _company, key, api = ctx
    sandbox.behaviour.tag_scope = "tag-group"
    with pytest.raises(MissingScopesError):
        api.list_tag_groups()
    sandbox.set_scopes(key, [*SCOPES, "tag-group:read"])
    assert api.list_tag_groups() == []
    sandbox.set_scopes(key, DEFAULT_SCOPES)  # no tax-codes:write
    body = {"code": "I25", "name": "I25", "rate": 0.25, "type": "exclusive", "archived": False}
    with pytest.raises(MissingScopesError):
        api.create_tax_code(body)
    sandbox.behaviour.tax_code_scope = "none"
    assert api.create_tax_code(body)["code"] == "I25"


def test_a_card_purchase_gets_its_vat_from_the_tax_code_pushed(ctx):
    """``card_purchase``: Pleo computes the VAT of 125.00 from the code's type as the ERP pushed
    it; ``exclusive`` is [unknown] and follows the ``exclusive_tax`` switch."""
    sandbox, company, _key, setup = ctx
    setup.create_tax_code(
        {"code": "K25", "name": "K25", "rate": 0.25, "type": "inclusive", "archived": False}
    )
    reverse = sandbox.add_tax_code(company, "RC25", "RC25", 0.25, "reverse")

    def vat(code):
        item = sandbox.card_purchase(
            company, code, 12500, account=("2450", "Office"), contra=("6485", "Pleo wallet")
        )
        (line,) = item["accountingEntryLines"]
        assert item["amount"]["inWalletCurrency"] == {"currency": "DKK", "value": 12500}
        assert line["lineAmount"]["inWalletCurrency"]["value"] == 12500
        assert item["contraAccount"]["code"] == "6485"
        return line["tax"]["type"], line["tax"]["amount"]["inWalletCurrency"]["value"]

    assert vat("K25") == ("inclusive", 2500)
    assert vat("RC25") == ("reverse", 3125)
    (k25,) = [t for t in sandbox.tax_codes(company) if t["code"] == "K25"]
    sandbox.edit_tax_code(k25["id"], type="exclusive")
    try:
        assert sandbox.behaviour.exclusive_tax == "inside"
        assert vat("K25") == ("exclusive", 2500)
        sandbox.behaviour.exclusive_tax = "on_top"
        assert vat("K25") == ("exclusive", 3125)
    finally:
        sandbox.behaviour.exclusive_tax = "inside"
    with pytest.raises(SandboxError):
        sandbox.behaviour.exclusive_tax = "sideways"
    sandbox.edit_tax_code(reverse, archived=True)
    with pytest.raises(SandboxError, match="no active tax code"):
        vat("RC25")
