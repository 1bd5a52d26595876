"""Benchmark of the setup sync at scale (not a test: it prints figures).

Creates a throw-away database with pleo_connector installed, one company connected to the
sandbox, N accounts (expense accounts, besides the generic chart's) and M suppliers, then runs
the sync twice (accounts, tax codes, tags and vendors) and prints, per run, the Pleo calls by
method, the wall time and the time the calls would take paced at Pleo's 480 a minute.

    python3 tests/benchmarks/bench_setup_sync.py [--accounts 1000] [--vendors 2000]
        [--latency 0] [--per-minute 0]

``--per-minute 0`` (default) measures without the pacer; give 480 to run paced (slow: about
8 minutes for 4,000 calls). It needs Odoo 19 (ODOO_PATH or an importable ``odoo``) and
PostgreSQL (PG* variables, default 127.0.0.1:5432); the database is dropped afterwards
(``--keep`` keeps it).
"""

import argparse
import os
import sys
import time

from common import connect, odoo_env

SETUP_SCOPES = ("tax-codes:write", "tag-groups:write")


def seed(env, sandbox, n_accounts, n_vendors):
    """Connect the main company and give it the accounts and suppliers; return the connection."""
    company = env.company
    connection, _pleo_company = connect(
        company,
        sandbox,
        SETUP_SCOPES,
        sync_accounts=True,
        sync_taxes=True,
        sync_tags=True,
        sync_vendors=True,
    )
    env["account.account"].create(
        [
            {
                "code": f"9{number:05d}",
                "name": f"Benchmark expense {number}",
                "account_type": "expense",
                "company_ids": [company.id],
            }
            for number in range(n_accounts)
        ]
    )
    env["res.partner"].create(
        [
            {"name": f"Supplier {number}", "ref": f"S{number:05d}", "supplier_rank": 1}
            for number in range(n_vendors)
        ]
    )
    return connection


def run(env, sandbox, connection):
    sandbox.reset_requests()
    env.flush_all()
    started = time.perf_counter()
    summary, ok = connection._setup_sync()
    env.flush_all()
    wall = time.perf_counter() - started
    by_method = {}
    for request in sandbox.requests:
        by_method[request.method] = by_method.get(request.method, 0) + 1
    return wall, by_method, summary, ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--vendors", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per call")
    parser.add_argument("--per-minute", type=int, default=0, help="pacer budget (0: off)")
    parser.add_argument("--keep", action="store_true", help="keep the created database")
    args = parser.parse_args()

    database = f"pleo_bench_setup_{os.getpid()}"
    results = []
    options = {"pleo_setup_requests_per_minute": str(args.per_minute)}
    with odoo_env(database, options, args.keep) as (registry, sandbox), registry.cursor() as cr:
        from odoo import SUPERUSER_ID, api

        env = api.Environment(cr, SUPERUSER_ID, {})
        connection = seed(env, sandbox, args.accounts, args.vendors)
        cr.commit()
        sandbox.set_latency(args.latency)
        for label in ("first sync", "second sync (nothing changed)"):
            print(f"running the {label} ...", flush=True)
            results.append((label, *run(env, sandbox, connection)))
        pleo = {
            "accounts": len(sandbox.accounts()),
            "vendors": len(sandbox.vendors()),
            "tax codes": len(sandbox.tax_codes()),
            "tags": len(sandbox.tags()),
        }
        cr.rollback()

    print()
    print(f"accounts (besides the generic chart)  {args.accounts}")
    print(f"suppliers                              {args.vendors}")
    print(f"added latency per call                 {args.latency * 1000:.0f} ms")
    print(f"pacer                                  {args.per_minute or 'off'} per minute")
    print(f"in Pleo after the runs                 {pleo}")
    for label, wall, by_method, summary, ok in results:
        calls = sum(by_method.values())
        print(f"\n{label}:")
        print(f"  Pleo calls        {calls}  {dict(sorted(by_method.items()))}")
        print(f"  wall time         {wall:.2f} s")
        print(f"  paced at 480/min  {calls / 480 * 60:.0f} s at least")
        print(f"  ok                {ok}")
        print("  " + summary.replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
