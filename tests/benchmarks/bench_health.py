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
import getpass
import logging
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "pleo_connector" / "tests"))  # the pleo_sandbox package
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])


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
    vault = env["pleo.connection"]._vault()
    for company in companies:
        pleo_company = sandbox.add_company(f"Pleo {company.name}")
        key = sandbox.mint_key(company_id=pleo_company)
        installation = sandbox.set_installation_status(key, "ACTIVATED")
        company.pleo_connection_ids.sudo().write(
            {
                "state": "connected",
                "pleo_company_uuid": pleo_company,
                "installation_uuid": installation["id"],
                "installation_status": "ACTIVATED",
                "key_token": vault.encrypt(key),
                "last_check_date": now - timedelta(hours=2),
                "last_scope_check_date": now,
            }
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


def _odoo_config(database, data_dir):
    import odoo.release
    from odoo.tools import config

    odoo_root = Path(odoo.release.__file__).resolve().parents[1]
    addons = [str(REPO)] + [
        str(path) for path in (odoo_root / "addons", odoo_root / "odoo" / "addons") if path.is_dir()
    ]
    config.parse_config(
        [
            f"--database={database}",
            f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
            f"--db_port={os.environ.get('PGPORT', '5432')}",
            f"--db_user={os.environ.get('PGUSER', getpass.getuser())}",
            f"--addons-path={','.join(addons)}",
            f"--data-dir={data_dir}",
            "--log-level=warn",
        ]
    )
    if os.environ.get("PGPASSWORD"):
        config["db_password"] = os.environ["PGPASSWORD"]
    return odoo.release.version, odoo_root


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="connections (default 200)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per call (0.1)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent calls (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the created database")
    args = parser.parse_args()

    from cryptography.fernet import Fernet
    from pleo_sandbox import PleoSandbox

    logging.getLogger("pleo_sandbox").setLevel(logging.WARNING)
    database = f"pleo_bench_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="pleo-bench-") as data_dir:
        version, odoo_root = _odoo_config(database, data_dir)
        from odoo.modules.registry import Registry
        from odoo.service import db as db_service
        from odoo.tools import config

        print(f"Odoo {version} from {odoo_root}; database {database}", flush=True)
        print("creating the database and installing pleo_connector ...", flush=True)
        db_service._create_empty_database(database)  # pylint: disable=protected-access
        registry = Registry.new(database, update_module=True, install_modules=["pleo_connector"])
        try:
            with PleoSandbox() as sandbox, registry.cursor() as cr:
                options = {
                    "pleo_api_url": sandbox.url("production"),
                    "pleo_encryption_keys": Fernet.generate_key().decode(),
                    "pleo_http_workers": str(args.workers),
                }
                with patch.dict(config.options, options):
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
        finally:
            if not args.keep:
                Registry.delete(database)
                db_service.exp_drop(database)

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
