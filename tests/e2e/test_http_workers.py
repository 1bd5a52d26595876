"""The people's buttons on a multi-process server (``--workers=2``), as in production.

Each request runs in an HTTP worker process with Odoo's time limits, the scheduler in a cron
worker. Connect (Save & Test), "Fetch exports now" (journal entries and vendor bills) and "Run
manually" on the health check, each by the user who has the button, over JSON-RPC.
"""

import re
import time

import pytest
import requests

from .company import Site, connect
from .flows import (
    EXPORT_CRON,
    HEALTH_CRON,
    assert_booked_once_and_reported,
    export_state,
    fetch_now,
    write_cron,
)
from .harness import RpcError, running_server, utc_now_string, watch

pytestmark = pytest.mark.pleo_e2e

#: Receipt-bearing item types that book as journal entries.
RECEIPT_TYPES = ("card_purchase", "card_invoice", "out_of_pocket", "per_diem", "refund")


@pytest.fixture(scope="module")
def site(settings, sandbox):
    with running_server(settings, "workers", sandbox, workers=2) as server:
        site = Site(server, sandbox)
        # Only the buttons fetch exports here: the scheduled export waits a day.
        assert write_cron(site.admin, EXPORT_CRON, {"nextcall": utc_now_string(86400)})
        yield site


@pytest.fixture(autouse=True)
def _watch(request, site):
    watch(request, site.server)


def test_connect_save_and_test(site, figures):
    company = site.company("Connect Flow", chart=False)
    manager = site.manager
    pleo = site.sandbox.add_company("Nordlys Trading ApS")
    with pytest.raises(RpcError, match="Pleo rejected the API key"):
        connect(manager, company, "not-a-key-pleo-knows-" + "x" * 20)
    key = site.sandbox.mint_key(pleo)
    started = time.monotonic()
    action = connect(manager, company, key)
    figures("seconds_save_and_test", round(time.monotonic() - started, 2))
    assert action["params"]["title"] == "Connected to Pleo", action
    assert "Nordlys Trading ApS" in action["params"]["message"]
    state, pleo_company, hint = site.db.rows(
        "SELECT state, pleo_company_uuid, key_hint FROM pleo_connection WHERE id = %s",
        (company.connection_id,),
    )[0]
    # the ciphertext is in a table of its own, never in a row of pleo_connection
    ((token,),) = site.db.rows(
        "SELECT key_token FROM pleo_connection_key WHERE connection_id = %s",
        (company.connection_id,),
    )
    assert (state, pleo_company) == ("connected", pleo)
    assert hint.endswith(key[-4:]) and key not in hint, hint
    assert token and key not in token
    assert site.sandbox.installation_for(key)["status"] == "ACTIVATED"
    assert key not in site.server.log_text(), "the key is in the server's log"


def test_fetch_exports_now_books_50_items_with_receipts_before_it_returns(site, figures):
    tenant = site.tenant("Fetch Now")
    site.sandbox.reset_file_requests()
    job = site.sandbox.add_export_job(tenant.pleo, n=50, wallet_currency="USD", types=RECEIPT_TYPES)
    message, seconds = fetch_now(tenant)
    state = export_state(site.db, site.sandbox, tenant.id, job)
    figures("seconds_fetch_now", round(seconds, 1))
    figures("items", state.items)
    figures("message", message)
    assert state.done, f"the button returned ({message!r}) before the job was done: " + (
        state.describe()
    )
    assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)
    assert re.search(r"\b50 booked\b", message), message
    assert re.search(r"\b0 failed\b", message), message
    receipts = dict(
        site.db.rows(
            "SELECT m.pleo_entry_uuid, count(a.id) FROM account_move m "
            "LEFT JOIN ir_attachment a ON a.res_model = 'account.move' AND a.res_id = m.id "
            "WHERE m.company_id = %s AND m.pleo_entry_uuid IS NOT NULL "
            "GROUP BY m.pleo_entry_uuid",
            (tenant.id,),
        )
    )
    assert len(receipts) == 50 and min(receipts.values()) >= 1, receipts
    files = site.sandbox.file_requests
    assert files and not any(request.had_authorization for request in files)


def test_fetch_exports_now_books_vendor_bills(site, figures):
    tenant = site.tenant("Payables", vendors=True)
    job = site.sandbox.add_export_job(
        tenant.pleo,
        n=6,
        wallet_currency="USD",
        vendor_based_bookkeeping=True,
        types=("invoice",),
    )
    message, seconds = fetch_now(tenant)
    state = export_state(site.db, site.sandbox, tenant.id, job)
    figures("seconds_fetch_now", round(seconds, 1))
    figures("message", message)
    assert state.done, f"{message!r}: {state.describe()}"
    assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)
    bills = site.db.rows(
        "SELECT m.move_type, p.ref FROM account_move m JOIN res_partner p ON p.id = m.partner_id "
        "WHERE m.company_id = %s AND m.pleo_entry_uuid IS NOT NULL",
        (tenant.id,),
    )
    assert len(bills) == 6, bills
    assert {kind for kind, _ref in bills} == {"in_invoice"}, bills
    assert {ref for _kind, ref in bills} <= {"V1001", "V1002", "V1003"}, bills


def test_fetch_exports_now_links_its_failures_to_why(site):
    """Three expenses on a Pleo account Odoo lacks: the press says so and links "see why" to
    the failed expenses (the item list with its Failed filter), where their reasons are."""
    tenant = site.tenant("Failures")
    job = site.sandbox.add_export_job(
        tenant.pleo,
        n=3,
        wallet_currency="USD",
        accounts={"expense": [("9999", "Conferences")]},
        types=("card_purchase",),
    )
    action = tenant.user.button(
        "pleo.connection",
        "action_fetch_exports",
        [tenant.company.connection_id],
        company=tenant.id,
        timeout=120,
    )
    params = action["params"]
    assert "0 booked, 3 failed (%s); nothing else waiting in Pleo." in params["message"], params
    url = "/odoo/action-pleo_connector_export.pleo_export_item_action_failed"
    assert params["links"] == [{"label": "see why", "url": url}], params
    # what the web client loads when the link is followed
    action = tenant.user.post("/web/action/load", {"action_id": url.split("action-")[1]})
    assert (action["res_model"], action["name"]) == ("pleo.export.item", "Failed Pleo Expenses")
    assert "'search_default_failed': 1" in action["context"], action
    reasons = tenant.user.call(
        "pleo.export.item",
        "search_read",
        [("state", "=", "failed"), ("job_id.pleo_job_uuid", "=", job)],
        ["failure_reason"],
        company=tenant.id,
    )
    assert len(reasons) == 3 and all("9999" in r["failure_reason"] for r in reasons), reasons


def test_run_manually_twice_in_a_row_returns_promptly_and_checks(site, figures):
    """ "Run manually" on the health check, twice in a row, by a Settings administrator: each
    press returns promptly and checks the connection with Pleo (this one was checked when it
    connected, a moment ago: a person's run checks it all the same)."""
    tenant = site.tenant("Run Manually", export=False, manager=False)
    cron = site.admin.xmlid(HEALTH_CRON)
    problems = []
    for press in (1, 2):
        time.sleep(1.1)  # a person's two presses are a second apart at least
        before = site.sandbox.count()
        started = time.monotonic()
        try:
            site.admin.call("ir.cron", "method_direct_trigger", [cron], timeout=30)
        except requests.Timeout:
            problems.append(f"press {press} did not return within 30 s")
            figures(f"seconds_press_{press}", "> 30")
            continue
        seconds = time.monotonic() - started
        figures(f"seconds_press_{press}", round(seconds, 2))
        if seconds > 20:
            problems.append(f"press {press} took {seconds:.0f} s")
        if site.sandbox.count() == before:
            problems.append(f"press {press} checked no connection with Pleo")
    assert not problems, "; ".join(problems)
    state = site.db.value(
        "SELECT state FROM pleo_connection WHERE id = %s", (tenant.company.connection_id,)
    )
    assert state == "connected"
