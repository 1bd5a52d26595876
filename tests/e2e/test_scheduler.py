"""The export, the health check and the setup sync under Odoo's real scheduler.

One ``odoo-bin`` (threaded, one cron thread; conftest's ``scheduler_site``) for the module; each
test has its own Odoo company connected to its own Pleo company, so the tests do not see each
other's jobs. Nothing is patched: the scheduled actions commit, time out and resume as they do in
production. A test that needs a run now sets the scheduled action's next execution to now, as an
administrator can; the first test uses the schedule alone.
"""

import time

import pytest
from pleo_sandbox import DEFAULT_SCOPES

from .flows import (
    EXPORT_CRON,
    HEALTH_CRON,
    SETUP_CRON,
    assert_booked_once_and_reported,
    cron_completions,
    cron_runs,
    export_by_the_scheduler,
    export_stall,
    export_state,
    schedule_now,
    wait_export,
)
from .harness import utc_now_string, wait_until, watch

pytestmark = pytest.mark.pleo_e2e


@pytest.fixture(scope="module")
def site(scheduler_site):
    return scheduler_site


@pytest.fixture(autouse=True)
def _watch(request, site):
    watch(request, site.server)
    site.sandbox.set_latency(0)
    yield
    site.sandbox.set_latency(0)


def test_the_scheduler_alone_books_a_pending_job_within_90_s(site, figures):
    """A job made at Pleo is booked and reported by the scheduled export alone (every minute),
    with no button, within 90 s. The job was made early in the session (conftest's
    ``_scheduler_alone_job``) and watched since."""
    assert site.alone, "the job of this test was not made at the start of the session"
    tenant, watch = site.alone
    state, seconds, _ = watch.result()
    figures("seconds_to_booked" if state.done else "seconds_waited_in_vain", round(seconds, 1))
    figures("items", state.items)
    runs = cron_completions(site.server, "Pleo: book exports", watch.since_log)
    figures("export_cron_runs", runs)
    assert state.done, (
        f"not booked {seconds:.0f} s after Pleo made the job (the export cron ran {runs} "
        f"times since): {state.describe()}"
    )
    assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, watch.job, state)


def test_a_thousand_items_over_many_pages_each_booked_once_and_reported(site, figures):
    """1,000 items (ten of Odoo's pages, receipts for the expenses that have them) are booked
    by the scheduled export in Odoo's own time slices, each once, and each reported."""
    tenant = site.tenant("Sched Thousand", manager=False)
    cron = site.admin.xmlid(EXPORT_CRON)
    job = site.sandbox.add_export_job(tenant.pleo, n=1000, wallet_currency="USD")
    since, since_log = utc_now_string(-1), site.server.log_size()
    state, seconds, stall = export_by_the_scheduler(site, tenant.id, job, 240, since_log)
    runs, _ = cron_runs(site.db, cron, since)
    figures("seconds_to_booked" if state.done else "seconds_waited_in_vain", round(seconds, 1))
    figures("items", state.items)
    figures("export_cron_runs", runs)
    assert state.done, f"{stall or f'not finished after {seconds:.0f} s'}: {state.describe()}"
    assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)


def test_the_health_cron_alone_flags_a_revoked_key_broken(site, figures):
    """A key revoked in Pleo is flagged Broken by the hourly health check, run by the
    scheduler: no button."""
    tenant = site.tenant("Health Revoked", export=False, manager=False)
    site.sandbox.revoke_key(tenant.key)
    # An hour after the last check (this is the only write to the database by a test: it
    # stands for the time that passes in production between two hourly checks).
    site.db.execute(
        "UPDATE pleo_connection SET last_check_date = now() at time zone 'utc' - interval "
        "'2 hours' WHERE id = %s",
        (tenant.company.connection_id,),
    )
    started = time.monotonic()
    schedule_now(site.admin, HEALTH_CRON)

    def broken():
        return site.db.rows(
            "SELECT state, last_error FROM pleo_connection WHERE id = %s AND state = 'broken'",
            (tenant.company.connection_id,),
        )

    try:
        rows = wait_until(broken, 60, what="the connection flagged Broken")
    except TimeoutError:
        state = site.db.value(
            "SELECT state FROM pleo_connection WHERE id = %s", (tenant.company.connection_id,)
        )
        pytest.fail(f"the health cron did not flag the revoked key in 60 s (state {state})")
    figures("seconds_to_broken", round(time.monotonic() - started, 1))
    assert "rejected" in rows[0][1], rows[0][1]
    assert tenant.key not in rows[0][1]


def _setup_expected(db, company_id):
    """What the setup sync must have put in Pleo for the company: account ids (externalId),
    purchase tax names, analytic account codes, vendor partner ids."""
    accounts = {
        str(row[0])
        for row in db.rows(
            "SELECT a.id FROM account_account a "
            "JOIN account_account_res_company_rel r ON r.account_account_id = a.id "
            "WHERE r.res_company_id = %s AND a.active "
            # the connection's default selection: what a card pays, less the accounts kept out
            "AND a.account_type IN ('expense', 'expense_direct_cost') "
            "AND a.id NOT IN (SELECT x.account_id FROM pleo_connection_sync_excluded_account_rel x "
            "JOIN pleo_connection c ON c.id = x.connection_id WHERE c.company_id = %s)",
            (company_id, company_id),
        )
    }
    taxes = {
        row[0]
        for row in db.rows(
            "SELECT name->>'en_US' FROM account_tax "
            "WHERE company_id = %s AND type_tax_use = 'purchase' AND active",
            (company_id,),
        )
    }
    tags = {
        row[0]
        for row in db.rows(
            "SELECT code FROM account_analytic_account WHERE company_id = %s AND active",
            (company_id,),
        )
    }
    vendors = {
        str(row[0])
        for row in db.rows(
            "SELECT id FROM res_partner WHERE company_id = %s AND supplier_rank > 0 AND active",
            (company_id,),
        )
    }
    return accounts, taxes, tags, vendors


def _in_pleo(sandbox, pleo):
    accounts = {a["externalId"] for a in sandbox.accounts(pleo) if not a.get("archived")}
    taxes = {t["code"] for t in sandbox.tax_codes(pleo) if not t.get("archived")}
    tags = {
        t["code"]
        for group in sandbox.tag_groups(pleo)
        for t in sandbox.tags(group["id"])
        if not t.get("archived")
    }
    vendors = {v.get("externalId") for v in sandbox.vendors(pleo) if v.get("state") == "ACTIVE"}
    return accounts, taxes, tags, vendors


def test_a_setup_sync_longer_than_a_slice_finishes_over_several_runs(site, figures):
    """With Pleo slow (0.5 s an answer), one company's setup sync takes longer than Odoo's 10 s
    slice: the scheduled sync stops within its slice and goes on in the next runs until every
    account, tax code, tag and vendor is in Pleo."""
    scopes = [*DEFAULT_SCOPES, "tax-codes:write", "tag-groups:write"]
    tenant = site.tenant("Setup Slow", vendors=True, scopes=scopes, export=False)
    tenant.user.save(
        "pleo.connection",
        tenant.company.connection_id,
        {"sync_accounts": True, "sync_taxes": True, "sync_tags": True, "sync_vendors": True},
        company=tenant.id,
    )
    expected = _setup_expected(site.db, tenant.id)
    site.sandbox.reset_requests()
    site.sandbox.set_latency(0.5)  # one company's sync: more than Odoo's 10 s slice
    cron = site.admin.xmlid(SETUP_CRON)
    since = utc_now_string(-1)
    started = time.monotonic()
    schedule_now(site.admin, SETUP_CRON)

    def synced():
        present = _in_pleo(site.sandbox, tenant.pleo)
        return all(want <= have for want, have in zip(expected, present, strict=True))

    done = True
    try:
        wait_until(synced, 150, interval=1, what="every record in Pleo")
    except TimeoutError:
        done = False
    seconds = time.monotonic() - started
    site.sandbox.set_latency(0)
    runs, _ = cron_runs(site.db, cron, since)
    calls = site.sandbox.count()
    figures("seconds_to_synced", round(seconds, 1))
    figures("setup_cron_runs", runs)
    figures("pleo_calls", calls)
    figures("records", sum(len(part) for part in expected))
    present = _in_pleo(site.sandbox, tenant.pleo)
    missing = {
        part: sorted(want - have)
        for part, want, have in zip(
            ("accounts", "taxes", "tags", "vendors"), expected, present, strict=True
        )
        if want - have
    }
    assert done, f"after {seconds:.0f} s and {runs} runs, missing in Pleo: {missing}"
    assert runs >= 2, (
        f"the sync took {seconds:.0f} s ({calls} Pleo calls at 0.5 s) in {runs} run of the "
        "setup-sync cron: beyond Odoo's 10 s slice"
    )


def test_kill_9_in_the_middle_of_a_job_then_restart_books_each_item_once(site, figures):
    """The server is killed (SIGKILL) once some but not all of a job's items are booked; after
    a restart the scheduled export finishes the job: every item booked once, and reported."""
    tenant = site.tenant("Sched Crash", manager=False)
    site.sandbox.set_latency(0.3)  # every Pleo call takes a while: the job lasts
    job = site.sandbox.add_export_job(tenant.pleo, n=400, wallet_currency="USD")
    since_log = site.server.log_size()  # runs that end after this may have seen the job
    schedule_now(site.admin, EXPORT_CRON)
    state, seconds, stall = wait_export(
        site.db,
        site.sandbox,
        tenant.id,
        job,
        timeout=120,
        until=lambda s: 0 < s.moves < s.items or s.done,
        stalled=export_stall(site.server, since_log),
    )
    assert 0 < state.moves < state.items, (
        f"{stall or 'no moment with some but not all items booked'}: {state.describe()}"
    )
    site.server.kill()
    killed = export_state(site.db, site.sandbox, tenant.id, job)
    figures("booked_when_killed", killed.moves)
    figures("reported_when_killed", killed.reported)
    site.sandbox.set_latency(0)
    figures("seconds_to_restart", round(site.server.restart(), 1))
    since_log = site.server.log_size()
    site.admin = site.server.rpc()
    state, seconds, stall = export_by_the_scheduler(site, tenant.id, job, 120, since_log)
    figures("seconds_to_finish_after_restart", round(seconds, 1))
    figures("items", state.items)
    assert state.done, (
        f"{stall or f'not finished {seconds:.0f} s after restart'}: {state.describe()}"
    )
    assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)
