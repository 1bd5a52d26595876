"""The sandbox's demo scenario (``pleo_sandbox/demo_scenario.py``) and "export again".

The demo's ready export job is what ``docker/demo.sh`` and the Docker demo give a newcomer to
book: its items must follow Pleo's spec and the generator's exact invariants, use the codes of
a Danish company (one of them on purpose unknown to Odoo's Danish chart), carry receipts on the
file host, and keep their accounting entry ids across restarts, as the demo company its id.
"""

import datetime as dt
import subprocess
import sys
from collections import Counter

import pytest
import requests
from pleo_sandbox import DEMO_COMPANY_ID, PleoSandbox, SandboxError
from pleo_sandbox.demo_scenario import (
    UNMAPPED_ACCOUNT,
    WALLET_ACCOUNT,
    scenario_items,
)
from pleo_sandbox.generator import with_refund_sign
from test_sandbox import SANDBOX_PARENT, cli  # the command line, as its own tests run it
from test_sandbox_export import VALIDATOR, call, check_invariants, event

TIMEOUT = 5
TODAY = dt.date(2026, 12, 5)
#: The purchase taxes of Odoo's Danish chart (l10n_dk) the scenario uses, by name.
L10N_DK_TAXES = {"K_DK_FuldFradrag", "K_DK_ReprFradragFuld", "K_EU_Ydelser_FuldFradrag"}


@pytest.fixture
def sandbox():
    with PleoSandbox() as running:  # with its file host: the receipts are real
        yield running


def _lines(item):
    return item["accountingEntryLines"]


def test_the_danish_export_follows_the_spec_and_the_invariants():
    items = scenario_items("danish-export", DEMO_COMPANY_ID, today=TODAY)
    assert len(items) == 8
    for item in items:
        check_invariants(with_refund_sign(item, "negative"))  # stored unsigned, served signed
        if VALIDATOR is not None:
            VALIDATOR.validate(item)
        assert item["companyId"] == DEMO_COMPANY_ID
        assert item["amount"]["inWalletCurrency"]["currency"] == "DKK"
        assert item["contraAccount"]["code"] == WALLET_ACCOUNT[0]
        assert dt.date.fromisoformat(item["date"][:10]) < TODAY
    assert Counter(i["type"] for i in items) == {"card_purchase": 6, "refund": 1, "wallet_topup": 1}


def test_the_danish_export_is_what_a_danish_company_spends():
    items = {  # card purchases by supplier, the others by type
        i["supplier"]["name"] if i["type"] == "card_purchase" else i["type"]: i
        for i in scenario_items("danish-export", DEMO_COMPANY_ID, today=TODAY)
    }
    assert len(items) == 8
    taxes = {line["tax"]["code"] for i in items.values() for line in _lines(i) if line["tax"]}
    assert taxes == L10N_DK_TAXES
    # 25 % VAT inside a card purchase, exactly: 499.00 = 399.20 + 99.80
    office = _lines(items["Bog & Idé Nørreport"])[0]
    assert (office["netAmount"]["inWalletCurrency"]["value"], office["tax"]["amount"]) == (
        39_920,
        {
            "inSupplierCurrency": {"currency": "DKK", "value": 9_980},
            "inWalletCurrency": {"currency": "DKK", "value": 9_980},
        },
    )
    assert items["Bog & Idé Nørreport"]["files"], "a card purchase has its receipt"
    # the restaurant bill: representation VAT, with its attendees
    restaurant = items["Restaurant Kødbyens Fiskebar"]
    assert _lines(restaurant)[0]["tax"]["code"] == "K_DK_ReprFradragFuld"
    assert restaurant["additionalInformation"]["attendees"]
    # the EU software subscription: reverse charge on top of the price paid
    slack = _lines(items["Slack Technologies Ltd"])[0]
    assert slack["tax"]["type"] == "reverse" and slack["netAmount"] == slack["lineAmount"]
    assert slack["tax"]["amount"]["inWalletCurrency"]["value"] == 15_300  # 612.00 x 25 %
    # the EUR purchase, converted at the generator's fixed rate, without Danish VAT
    flight = items["Lufthansa"]
    assert flight["amount"]["inSupplierCurrency"] == {"currency": "EUR", "value": 28_950}
    assert flight["amount"]["inWalletCurrency"] == {"currency": "DKK", "value": 215_967}
    assert _lines(flight)[0]["tax"] is None
    # the wallet top-up: from the bank into the wallet (the contra), without receipt
    topup = items["wallet_topup"]
    assert _lines(topup)[0]["account"]["code"] == "6480" and not topup["files"]
    refund = items["refund"]  # of a part of the office purchase, with its VAT
    assert _lines(refund)[0]["tax"]["code"] == "K_DK_FuldFradrag" and refund["files"]
    # exactly one item on the account that Odoo's Danish chart lacks: it needs a mapping
    unmapped = [
        name
        for name, item in items.items()
        if any(line["account"]["code"] == UNMAPPED_ACCOUNT[0] for line in _lines(item))
    ]
    assert unmapped == ["Danske Konferencer ApS"]


def test_the_entries_keep_their_ids_across_restarts_and_days():
    first = scenario_items("danish-export", DEMO_COMPANY_ID, today=TODAY)
    later = scenario_items("danish-export", DEMO_COMPANY_ID, today=TODAY + dt.timedelta(days=3))
    ids = [i["accountingEntryId"] for i in first]
    assert ids == [i["accountingEntryId"] for i in later]
    assert len(set(ids)) == len(ids)
    other = scenario_items("danish-export", "00000000-0000-4000-8000-000000000001", today=TODAY)
    assert not set(ids) & {i["accountingEntryId"] for i in other}
    with pytest.raises(SandboxError, match="unknown scenario"):
        scenario_items("no-such-scenario", DEMO_COMPANY_ID)


def test_the_demo_company_has_the_same_id_at_every_start():
    with PleoSandbox() as one, PleoSandbox() as two:
        assert one.seed_demo()[0] == two.seed_demo()[0] == DEMO_COMPANY_ID


def test_the_scenario_job_is_served_with_its_receipts(sandbox):
    company, key = sandbox.seed_demo()
    job_id = sandbox.add_scenario_job("danish-export", company)
    listed = call(sandbox, "GET", "/v3/export-jobs", key, params={"company_id": company})
    assert [(j["id"], j["status"]) for j in listed.json()["data"]] == [(job_id, "pending")]
    assert event(sandbox, key, job_id, "started").status_code == 202
    served = call(sandbox, "GET", "/v3/export-items", key, params={"job_id": job_id}).json()
    items = served["data"]
    assert len(items) == 8
    refund = next(i for i in items if i["type"] == "refund")
    assert refund["amount"]["inWalletCurrency"]["value"] == -12_500  # Pleo's sign switch
    receipts = [f for i in items for f in i["files"] or ()]
    assert len(receipts) == 7  # every card purchase and the refund
    for receipt in receipts:
        answer = requests.get(receipt["url"], timeout=TIMEOUT)
        assert answer.status_code == 200 and len(answer.content) == receipt["size"]


def test_export_again_makes_a_job_of_the_failed_items(sandbox):
    company, key = sandbox.seed_demo()
    job_id = sandbox.add_scenario_job("danish-export", company)
    entries = [i["accountingEntryId"] for i in sandbox.export_items(job_id)]
    assert event(sandbox, key, job_id, "started").status_code == 202
    updates = [
        {"accountingEntryId": entry, "status": "successful", "externalId": f"MISC/{n}"}
        for n, entry in enumerate(entries[:-1])
    ] + [
        {
            "accountingEntryId": entries[-1],
            "status": "failed",
            "failureReasonType": "account_unknown",
            "failureReason": "Pleo account 2525 has no Odoo account",
        }
    ]
    answer = call(sandbox, "PUT", f"/v3/export-jobs/{job_id}/items", key, json=updates)
    assert answer.status_code == 200, answer.text
    # while the job runs, it cannot be exported again: Pleo has one open job per company
    again = requests.post(
        sandbox.url() + "/_sandbox/export-jobs/again", json={"company_id": company}, timeout=5
    )
    assert again.status_code == 400 and "finished" in again.json()["message"]
    assert event(sandbox, key, job_id, "completed_with_errors").status_code == 202

    again = requests.post(
        sandbox.url() + "/_sandbox/export-jobs/again", json={"company_id": company}, timeout=5
    )
    assert again.status_code == 200, again.text
    new_job = again.json()["job_id"]
    assert new_job != job_id and sandbox.export_job(new_job)["status"] == "pending"
    (item,) = sandbox.export_items(new_job)
    (old,) = [i for i in sandbox.export_items(job_id) if i["accountingEntryId"] == entries[-1]]
    assert item["accountingEntryId"] == entries[-1]
    assert {k: v for k, v in item.items() if k != "files"} == {
        k: v for k, v in old.items() if k != "files"
    }
    assert requests.get(item["files"][0]["url"], timeout=TIMEOUT).status_code == 200
    # by job id and status; a second open job is refused
    with pytest.raises(SandboxError, match="open export job"):
        sandbox.export_again(job_id, statuses=("successful",))


def test_export_again_refuses_what_it_cannot_do(sandbox):
    company, _key = sandbox.seed_demo()
    with pytest.raises(SandboxError, match="no finished export job"):
        sandbox.export_again(company_id=company)
    answer = requests.post(sandbox.url() + "/_sandbox/export-jobs/again", json={}, timeout=5)
    assert answer.status_code == 400
    answer = requests.post(
        sandbox.url() + "/_sandbox/export-jobs/again",
        json={"company_id": company, "statuses": ["lost"]},
        timeout=5,
    )
    assert answer.status_code == 400


def test_the_control_api_makes_a_scenario_job(sandbox):
    company, _key = sandbox.seed_demo()
    answer = requests.post(
        sandbox.url() + "/_sandbox/export-jobs/scenario",
        json={"scenario": "danish-export", "company_id": company},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert len(sandbox.export_items(answer.json()["job_id"])) == 8


def test_cli_scenario_gives_the_demo_company_a_ready_job():
    with cli(
        "--seed", "demo", "--scenario", "danish-export", "--demo-key", "cli-demo-0123456789"
    ) as (
        _process,
        banner,
        _lines,
    ):
        line = next(line for line in banner if "ready export job" in line)
        assert "8 items (danish-export" in line
        url = next(line.split(": ", 1)[1] for line in banner if "production base URL" in line)
        jobs = requests.get(
            url + "/v3/export-jobs",
            params={"company_id": DEMO_COMPANY_ID},
            auth=("cli-demo-0123456789", ""),
            timeout=TIMEOUT,
        ).json()["data"]
        assert [job["status"] for job in jobs] == ["pending"]
        state = requests.get(url + "/_sandbox/state", timeout=TIMEOUT).json()
        assert state["behaviour"]["expire_pending_jobs"] is False  # it waits for the newcomer


def test_cli_scenario_needs_the_demo_seed():
    command = ("--port", "0", "--seed", "none", "--scenario", "danish-export")
    result = subprocess.run(
        [sys.executable, "-m", "pleo_sandbox", *command],
        cwd=SANDBOX_PARENT,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 2 and "--scenario needs --seed demo" in result.stderr
