"""Benchmark of the real-time export (not a test: it prints figures).

On real ``odoo-bin`` servers with their scheduler (the end-to-end harness, tests/e2e) and the
sandbox delivering Pleo's webhooks over loopback:

* **latency**: the time from a job's creation at Pleo to "completed" sent back, p50 and p95
  over ``--jobs`` jobs made one after another (Pleo allows one open job per company), with
  webhooks (the event wakes the export cron), and by polling alone (the sandbox sends no
  event; the export cron runs on its schedule, every ``--poll-minutes``: Odoo's default is 10);
* **idle calls**: the Pleo calls of one company with nothing to export during one hour of the
  scheduler, before (pleo_connector alone) and after (pleo_connector_webhook, a healthy
  subscription). The hour is six rounds of the export cron 10 minutes apart and one health
  check, run now: before each round the company's last fetch and check are moved 10 minutes
  back in the database, so that the crons' own rules decide what is due.

    "$TOOLS_PY" tests/benchmarks/bench_webhooks.py --jobs 50 --polling-jobs 50
    "$TOOLS_PY" tests/benchmarks/bench_webhooks.py --jobs 10 --polling-jobs 3 --poll-minutes 1

It reads the end-to-end suite's settings (``PLEO_E2E_*``, see tests/run.sh) and runs Odoo with
this Python (which must import ``standardwebhooks``). Targets (issue 25): p95 <= 5 s with
webhooks; idle calls <= 1 per company per hour from the export.
"""

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the e2e harness (no Odoo import)
sys.path.insert(0, str(REPO / "pleo_connector" / "tests"))  # the pleo_sandbox package

from e2e.company import Site  # noqa: E402
from e2e.flows import EXPORT_CRON, HEALTH_CRON, cron_completions, schedule_now, write_cron  # noqa: E402
from e2e.harness import OdooServer, Settings, running_server, utc_now_string, wait_until  # noqa: E402
from pleo_sandbox import PleoSandbox  # noqa: E402

ADDON = "pleo_connector_webhook"
PUBLIC_URL_PARAM = "pleo_connector_webhook.public_url"
EXPORT_NAME, HEALTH_NAME = "Pleo: book exports", "Pleo: check connections"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latencies(site, tenant, jobs, items, timeout, spread=0.0):
    """Seconds from each job's creation at Pleo to its "completed", one job after another;
    with ``spread``, each job is made after a random wait of up to that many seconds (a
    bookkeeper presses Export at any moment of the cron's schedule)."""
    found = []
    rng = random.Random(25)
    for _ in range(jobs):
        time.sleep(rng.uniform(0, spread))
        started = time.monotonic()
        job = site.sandbox.add_export_job(tenant.pleo, n=items, wallet_currency="USD")
        wait_until(
            lambda job=job: site.sandbox.export_job(job)["status"] == "completed",
            timeout,
            interval=0.05,
            what=f"job {job} completed",
        )
        found.append(time.monotonic() - started)
    return found


def run_round(site, xmlid, name):
    """Run a scheduled action now and wait for its end (the scheduler's own run)."""
    since = site.server.log_size()
    schedule_now(site.admin, xmlid)
    wait_until(lambda: cron_completions(site.server, name, since) >= 1, 120, what=f"{name} ran")


def idle_hour(site, tenant):
    """Pleo calls of one idle company in one simulated hour of the scheduler."""
    rounds = 6  # the export cron every 10 minutes
    site.sandbox.reset_requests()
    for number in range(rounds):
        site.db.execute(
            "UPDATE pleo_connection SET export_polled_at = export_polled_at - interval "
            "'10 minutes', last_check_date = last_check_date - interval '10 minutes' "
            "WHERE company_id = %s",
            (tenant.id,),
        )
        if number == 0:
            site.db.execute(
                "UPDATE pleo_connection SET last_check_date = now() at time zone 'utc' "
                "- interval '2 hours' WHERE company_id = %s",
                (tenant.id,),
            )
            run_round(site, HEALTH_CRON, HEALTH_NAME)
        run_round(site, EXPORT_CRON, EXPORT_NAME)
    calls = site.sandbox.requests
    export = [r for r in calls if r.path.startswith("/v3/export-jobs")]
    return len(calls), len(export)


def server(settings, sandbox, label):
    options = {"pleo_webhook_allow_http": "True"}
    return running_server(settings, label, sandbox, options=options)


def prepare(running, sandbox, name, poll_minutes):
    site = Site(running, sandbox)
    site.admin.call("ir.config_parameter", "set_param", PUBLIC_URL_PARAM, running.url)
    write_cron(
        site.admin,
        EXPORT_CRON,
        {"interval_number": poll_minutes, "interval_type": "minutes", "nextcall": utc_now_string()},
    )
    tenant = site.tenant(name)
    return site, tenant


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=50, help="jobs with webhooks (50)")
    parser.add_argument("--polling-jobs", type=int, default=50, help="jobs by polling (50)")
    parser.add_argument("--poll-minutes", type=int, default=10, help="export cron interval (10)")
    parser.add_argument("--items", type=int, default=3, help="items per job (3)")
    args = parser.parse_args()
    settings = dataclasses.replace(Settings.from_environment(), python=sys.executable)
    template = OdooServer(settings, "bench_hook_tpl")
    hooked = template.install([ADDON])
    figures = {}
    try:
        with PleoSandbox() as sandbox, server(hooked, sandbox, "bench_hook") as running:
            site, tenant = prepare(running, sandbox, "Bench Realtime", 10)
            figures["webhook"] = latencies(site, tenant, args.jobs, args.items, 120)
            figures["idle_after"] = idle_hour(site, site.tenant("Bench Idle After"))
        # pleo_connector alone: the export polls every company on the cron's schedule
        with PleoSandbox() as sandbox, server(settings, sandbox, "bench_plain") as running:
            site, tenant = prepare(running, sandbox, "Bench Idle Before", 10)
            figures["idle_before"] = idle_hour(site, tenant)
            interval = 60 * args.poll_minutes
            write_cron(
                site.admin,
                EXPORT_CRON,
                {"interval_number": args.poll_minutes, "nextcall": utc_now_string(interval)},
            )
            polled = site.tenant("Bench Polling")
            figures["polling"] = latencies(
                site, polled, args.polling_jobs, args.items, interval + 120, spread=interval
            )
    finally:
        template.db.drop()
    report(args, figures)


def report(args, figures):
    print(
        f"\nReal-time export benchmark: {args.items} items per job, export cron every "
        f"{args.poll_minutes} min for the polling figures"
    )
    for mode in ("webhook", "polling"):
        values = figures.get(mode) or []
        if values:
            print(
                f"  {mode:8} {len(values):3} jobs: p50 {percentile(values, 0.5):7.2f} s   "
                f"p95 {percentile(values, 0.95):7.2f} s   mean {statistics.mean(values):7.2f} s   "
                f"max {max(values):7.2f} s"
            )
    for label, key in (
        ("before (polling only)", "idle_before"),
        ("after (webhooks)", "idle_after"),
    ):
        total, export = figures[key]
        print(f"  idle company, one hour, {label}: {total} Pleo calls ({export} of the export)")


if __name__ == "__main__":
    main()
