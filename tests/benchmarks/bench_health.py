"""Benchmark of the Pleo health check at scale (not a test: it prints figures).

Creates N companies with connected Pleo connections against the sandbox, adds a fixed latency L
to every sandbox answer, runs the health check once and prints N, L, workers, the wall time,
the sequential floor N x L, the ideal N x L / workers and the SQL queries per connection.

    python3 tests/benchmarks/bench_health.py [--n 200] [--latency 0.1] [--workers 8]

It needs Odoo 19 (ODOO_PATH or an importable ``odoo``) and PostgreSQL (PG* variables, default
127.0.0.1:5432). It creates a throw-away database with pleo_connector installed (about a
minute) and drops it afterwards (``--keep`` keeps it).
Target at N=200, L=100 ms, 8 workers: wall time within 1.5x of the ideal, at most 3 queries
per connection.
"""

import argparse
import os
import sys
import time
from datetime import timedelta

from common import REPO, _odoo_config, connect, odoo_env  # noqa: F401  (bench_month_end imports two)


def seed_connections(env, sandbox, count):
    """Create ``count`` companies with a connection each, connected to their own Pleo company.

    The keys are minted in the sandbox and stored encrypted exactly as Save & Test stores them;
    the connections are due for a health check, their scope check is not.
    """
    from odoo import fields

    now = fields.Datetime.now()
    companies = env["res.company"].create(
        [{"name": f"Benchmark Company {number}"} for number in range(count)]
    )
    for company in companies:
        connect(
            company,
            sandbox,
            last_check_date=now - timedelta(hours=2),
            last_scope_check_date=now,
        )
    return companies.pleo_connection_ids


def measure(env, connections, batch_size=None):
    """Run the health check once; return ``(wall seconds, SQL queries)``."""
    kwargs = {"batch_size": batch_size} if batch_size else {}
    env.flush_all()
    queries_before = env.cr.sql_log_count
    started = time.perf_counter()
    env["pleo.connection"]._cron_health_check(**kwargs)
    env.flush_all()
    return time.perf_counter() - started, env.cr.sql_log_count - queries_before


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="connections (default 200)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per call (0.1)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent calls (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the created database")
    args = parser.parse_args()

    database = f"pleo_bench_{os.getpid()}"
    options = {"pleo_http_workers": str(args.workers)}
    with odoo_env(database, options, args.keep) as (registry, sandbox), registry.cursor() as cr:
        from odoo import SUPERUSER_ID, api

        env = api.Environment(cr, SUPERUSER_ID, {})
        connections = seed_connections(env, sandbox, args.n)
        cr.commit()
        sandbox.set_latency(args.latency)
        sandbox.reset_requests()
        wall, queries = measure(env, connections)
        states = dict(env["pleo.connection"]._read_group([], ["state"], ["__count"]))
        calls = sandbox.count()
        cr.rollback()

    floor = args.n * args.latency
    ideal = floor / args.workers
    print()
    print(f"N (connections)          {args.n}")
    print(f"L (latency per call)     {args.latency * 1000:.0f} ms")
    print(f"workers                  {args.workers}")
    print(f"Pleo calls               {calls}")
    print(f"wall time                {wall:.2f} s")
    print(f"sequential floor N x L   {floor:.2f} s")
    print(f"ideal N x L / workers    {ideal:.2f} s")
    print(f"wall / ideal             {wall / ideal:.2f}  (target <= 1.5)")
    print(f"SQL queries              {queries}")
    print(f"queries per connection   {queries / args.n:.2f}  (target <= 3)")
    print(f"states after the run     {states}")
    return 0 if wall / ideal <= 1.5 and queries / args.n <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
