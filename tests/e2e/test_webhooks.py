"""Real-time export: the sandbox delivers Pleo's webhooks over loopback to a real ``odoo-bin``.

On a copy of the suite's template where ``pleo_connector_webhook`` was installed first, by the
Python that runs this suite (``$TOOLS_PY``: the test tools' venv, which sees Odoo's packages and
has ``standardwebhooks``; nothing is installed into Odoo's own Python). One threaded server
with its scheduler; ``pleo_webhook_allow_http`` lets it take the sandbox's plain-http
deliveries. Nothing is patched.

* A job made at Pleo is booked and reported by the scheduler woken by the event, with the
  export cron's schedule a day away, and without any export-job list call of that company
  before "completed" (the sandbox's request log).
* A neutralized copy of the database (``odoo-bin neutralize``), started with the same
  encryption keys, receives nothing: Pleo's events still go to production, which books them;
  the copy records and books nothing, and its health check leaves the subscription alone.
"""

import dataclasses
import shutil
import subprocess
import sys
import time

import pytest

from .company import Site
from .flows import (
    EXPORT_CRON,
    HEALTH_CRON,
    assert_booked_once_and_reported,
    schedule_now,
    wait_export,
    write_cron,
)
from .harness import OdooServer, missing_settings, running_server, utc_now_string, watch

pytestmark = pytest.mark.pleo_e2e

ADDON = "pleo_connector_webhook"
PUBLIC_URL_PARAM = "pleo_connector_webhook.public_url"
JOBS_LIST = ("GET", "/v3/export-jobs")


@pytest.fixture(scope="module")
def webhook_settings(settings):
    """The suite's settings run by this Python, with a template where the addon is installed."""
    if missing_settings():
        pytest.skip("no Odoo")
    pytest.importorskip("standardwebhooks", reason="in tests/requirements.txt")
    ours = dataclasses.replace(settings, python=sys.executable)
    template = OdooServer(ours, "hook_tpl")
    try:
        yield template.install([ADDON])
    finally:
        template.db.drop()
        shutil.rmtree(template.dir / "data", ignore_errors=True)


def webhook_site(settings, sandbox, label):
    """A running server whose public URL is its own loopback address."""
    options = {"pleo_webhook_allow_http": "True"}
    context = running_server(settings, label, sandbox, options=options)
    server = context.__enter__()
    site = Site(server, sandbox)
    site.admin.call("ir.config_parameter", "set_param", PUBLIC_URL_PARAM, server.url)
    # The export's own schedule a day away: only an event wakes it.
    write_cron(site.admin, EXPORT_CRON, {"nextcall": utc_now_string(86400)})
    return context, site


@pytest.fixture(scope="module")
def site(webhook_settings, sandbox):
    sandbox.behaviour.webhook_retry_seconds = (1, 2, 5)
    context, site = webhook_site(webhook_settings, sandbox, "hook")
    try:
        yield site
    finally:
        context.__exit__(None, None, None)


def subscription_of(site, tenant):
    connection = site.db.value(
        "SELECT webhook_subscription_uuid FROM pleo_connection WHERE company_id = %s",
        (tenant.id,),
    )
    found = [s for s in site.sandbox.subscriptions(tenant.pleo) if s["id"] == connection]
    return found[0] if found else None


def lists_before(requests, tenant, until):
    """The tenant's export-job list calls among ``requests[:until]``."""
    return [
        r
        for r in requests[:until]
        if (r.method, r.path) == JOBS_LIST and r.query.get("company_id") == tenant.pleo
    ]


def test_a_job_is_booked_on_its_webhook_without_any_poll(site, request, figures):
    watch(request, site.server)
    tenant = site.tenant("Hook Realtime")
    subscription = subscription_of(site, tenant)
    assert subscription and subscription["status"] == "ACTIVE"
    assert subscription["endpointUrl"].startswith(site.server.url + "/pleo/webhook/")
    site.sandbox.reset_requests()
    started = time.monotonic()
    job = site.sandbox.add_export_job(tenant.pleo, n=3, wallet_currency="USD")
    state, seconds, _ = wait_export(site.db, site.sandbox, tenant.id, job, timeout=120)
    figures("seconds_from_export_to_completed", round(time.monotonic() - started, 2))
    assert state.done, f"not booked {seconds:.0f} s after Pleo sent the event: {state.describe()}"
    assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)
    calls = site.sandbox.requests
    completed = max(
        i for i, r in enumerate(calls) if (r.method, r.path) == ("POST", "/v3/export-job-events")
    )
    assert not lists_before(calls, tenant, completed), "the company's jobs were listed first"
    attempts = [
        a
        for a in site.sandbox.webhook_sender.attempts
        if a["subscription_id"] == subscription["id"]
    ]
    assert [(a["outcome"], a["status"]) for a in attempts] == [("delivered", 202)]
    events = site.db.rows(
        "SELECT e.state, e.object_uuid FROM pleo_webhook_event e "
        "JOIN pleo_connection c ON c.id = e.connection_id WHERE c.company_id = %s",
        (tenant.id,),
    )
    assert events == [("done", job)]


def test_forged_and_stale_deliveries_book_nothing(site, request):
    watch(request, site.server)
    behaviour = site.sandbox.behaviour
    for switch, value in (("webhook_signature", "wrong"), ("webhook_timestamp", "stale")):
        tenant = site.tenant(f"Hook {switch}")
        setattr(behaviour, switch, value)
        try:
            job = site.sandbox.add_export_job(tenant.pleo, n=1, wallet_currency="USD")
            assert site.sandbox.webhook_sender.flush(timeout=30)
        finally:
            behaviour.webhook_signature, behaviour.webhook_timestamp = "valid", "now"
        assert site.sandbox.export_job(job)["status"] == "pending", switch
        subscription = subscription_of(site, tenant)
        outcomes = [
            (a["outcome"], a["status"])
            for a in site.sandbox.webhook_sender.attempts
            if a["subscription_id"] == subscription["id"]
        ]
        assert outcomes == [("failed", 400)] * 4, (switch, outcomes)  # the first and 3 retries
        assert not site.db.value(
            "SELECT count(*) FROM pleo_webhook_event e JOIN pleo_connection c "
            "ON c.id = e.connection_id WHERE c.company_id = %s",
            (tenant.id,),
        ), switch


def test_a_neutralized_copy_receives_nothing(webhook_settings, site, request, figures):
    watch(request, site.server)
    tenant = site.tenant("Hook Copy")
    subscription = subscription_of(site, tenant)
    # The copy, as a hosting service makes it: production stopped, its database copied, the
    # copy neutralized before its first start, then both running with the same encryption keys.
    site.server.stop()
    copied = dataclasses.replace(
        webhook_settings,
        template_db=site.db.name,
        template_filestore=str(site.server.dir / "data" / "filestore" / site.db.name),
    )
    copy = OdooServer(copied, "hook_copy", options=site.server.options)
    try:
        copy._prepare()
        odoo = copy.settings.odoo_bin
        neutralize = [
            copy.settings.python,
            *(odoo.split() if odoo.startswith("-m ") else [odoo]),
            "neutralize",
            *("-c", str(copy.conf_path), "-d", copy.db.name),
        ]
        done = subprocess.run(neutralize, capture_output=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        copy._spawn()
        copy.wait_ready()
        site.server._spawn()
        site.server.wait_ready()
        watch(request, site.server, copy)
        copy_admin = copy.rpc()
        schedule_now(copy_admin, HEALTH_CRON)
        job = site.sandbox.add_export_job(tenant.pleo, n=2, wallet_currency="USD")
        state, _seconds, _ = wait_export(site.db, site.sandbox, tenant.id, job, timeout=120)
        assert state.done, state.describe()
        assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)
        urls = {
            a["url"]
            for a in site.sandbox.webhook_sender.attempts
            if a["subscription_id"] == subscription["id"]
        }
        assert urls == {subscription["endpointUrl"]}
        assert subscription_of(site, tenant) == subscription  # the copy left it alone
        assert copy.db.value("SELECT count(*) FROM pleo_webhook_event") == 0
        assert copy.db.value("SELECT count(*) FROM pleo_webhook_secret") == 0
        assert (
            copy.db.value("SELECT count(*) FROM pleo_export_job WHERE pleo_job_uuid = %s", (job,))
            == 0
        )
        figures(
            "copy_connections_disabled",
            copy.db.value("SELECT count(*) FROM pleo_connection WHERE state = 'disabled'"),
        )
    finally:
        copy.destroy()
        if not site.server.alive():
            site.server._spawn()
            site.server.wait_ready()
