"""Benchmark of month-end at an accounting firm (not a test: it prints figures).

C companies each export N items with one receipt each; every Pleo call and every receipt
download waits L (the sandbox's latency switch and its file host's ``slow`` files). The same
exports are booked three ways, each on its own copy of one seeded database:

* **(a) the cron alone**: the export cron, in this process, takes the companies one after
  another (pleo_connector without the glue);
* **(b) queue_job, one server**: ``odoo-bin --workers=W`` with ``queue_job`` loaded and
  ``pleo_connector_queue`` installed, ``[queue_job] channels = root:W,root.pleo:W``; the export
  cron (run once by "Run manually") enqueues one job per company;
* **(c) queue_job, two servers** on the same database, W/2 workers each, behind a round-robin
  TCP load balancer of this script that the job runner sends the jobs to.

For each: wall time (first enqueue or cron start to the last Pleo job completed), items per
second, SQL queries per item (the cron's thread; the servers' ``/queue_job/runjob`` requests,
from the query count Odoo logs with each request), peak memory (the cron: RSS growth of this
process; the servers: the largest RSS of any of their processes, sampled), Pleo calls per
company, and two floors: the **ORM floor** (one company's N entries and receipts made by one
batched create, per item, times C x N, over min(workers, cores)) and the **network floor**
((Pleo calls x L + downloads x L / pleo_http_workers) / workers). It counts what was booked:
every Pleo item booked once (one entry per Pleo id and company), reported, every job completed.

    python3 tests/benchmarks/bench_month_end.py --companies 10 --items 10      # a quick check
    python3 tests/benchmarks/bench_month_end.py                                # C=200, N=50

Targets (issue "Month-end at an accounting firm"): (b) <= 1/2 (a); (b) and (c) <= 1.5 x the
larger floor; nothing booked twice, nothing lost. It needs Odoo 19 (ODOO_PATH or an importable
``odoo``), PostgreSQL (PG*), and OCA's queue_job for (b) and (c): ``--queue-job-dir`` (default:
``$QUEUE_JOB_DIR``, else the directory tests/run.sh installs it into). Databases are dropped
afterwards unless ``--keep``.
"""

import argparse
import contextlib
import glob
import logging
import os
import re
import select
import socket
import socketserver
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest.mock import patch

from bench_export import PeakMemory, QueryCounter, orm_floor, seed_company
from bench_health import REPO, _odoo_config

sys.path.insert(0, str(REPO / "tests"))  # the e2e harness (no Odoo import)

from e2e.harness import (
    OdooServer,
    Rpc,
    Settings,
    server_options,
)

CURRENCY = "USD"
RECEIPT = None  # one small PDF shared by every item (the file host serves it per URL)
#: Odoo's request log line: ``"GET /queue_job/runjob?... HTTP/1.1" 200 - <queries> <s> <s>``.
_RUNJOB = re.compile(r'"GET /queue_job/runjob\?[^"]*" \d+ - (\d+) ')


def default_queue_job_dir():
    if os.environ.get("QUEUE_JOB_DIR"):
        return os.environ["QUEUE_JOB_DIR"]
    cache = os.environ.get("PLEO_TOOLS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pleo_connector"
    )
    found = sorted(glob.glob(os.path.join(cache, "queue_job-*", "odoo", "addons", "queue_job")))
    return str(Path(found[-1]).parents[2]) if found else None


# ---------------------------------------------------------------------- the exports


def receipt():
    global RECEIPT
    if RECEIPT is None:
        from pleo_sandbox.generator import receipt_bytes

        RECEIPT = receipt_bytes("application/pdf", "Pleo month-end benchmark receipt")
    return RECEIPT


def make_items(sandbox, pleo_company, count, latency, round_):
    """``count`` generated items of ``pleo_company`` with one receipt each (waiting ``latency``)."""
    from pleo_sandbox import ExportItemGenerator
    from pleo_sandbox.generator import FILE_TYPES

    def one_receipt(rng, item_type, index):
        options = {"fault": "slow", "latency": latency} if latency else {}
        url = sandbox.add_file(receipt(), "application/pdf", f"receipt-{index}.pdf", **options)
        return [sandbox.file_entry(url)]

    generator = ExportItemGenerator(
        pleo_company,
        seed=f"month-end:{round_}:{pleo_company}",
        types=FILE_TYPES,
        wallet_currency=CURRENCY,
        refund_sign="positive",
        file_factory=one_receipt,
    )
    return generator.items(count)


def add_exports(sandbox, pleo_companies, count, latency, round_):
    """A pending export of ``count`` items for every Pleo company: ``{job: Pleo company}``."""
    return {
        sandbox.add_export_job(
            company, items=make_items(sandbox, company, count, latency, round_)
        ): company
        for company in pleo_companies
    }


def check_booked(settings_pg, database, sandbox, jobs):
    """What was booked, counted: ``(completed jobs, items, entries, distinct, twice, lost)``."""
    import psycopg2

    completed = sum(1 for job in jobs if sandbox.export_job(job)["status"] == "completed")
    entries = [row["accountingEntryId"] for job in jobs for row in sandbox.export_job(job)["items"]]
    pg = {k: v for k, v in settings_pg.items() if v not in ("", None)}
    with contextlib.closing(psycopg2.connect(dbname=database, **pg)) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT count(*), count(DISTINCT (company_id, pleo_entry_uuid)) FROM account_move "
            "WHERE pleo_entry_uuid = ANY(%s)",
            (entries,),
        )
        moves, distinct = cr.fetchone()
        cr.execute(
            "SELECT count(DISTINCT pleo_entry_uuid) FROM account_move "
            "WHERE pleo_entry_uuid = ANY(%s)",
            (entries,),
        )
        found = cr.fetchone()[0]
    return completed, len(entries), moves, distinct, moves - distinct, len(entries) - found


def drop_database(pg, name):
    """Drop ``name`` (its connections closed); Odoo's ``exp_drop`` only sees ``db_name``."""
    import psycopg2

    params = {k: v for k, v in pg.items() if v not in ("", None)}
    with contextlib.closing(psycopg2.connect(dbname="postgres", **params)) as conn:
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_jobs(sandbox, jobs, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(sandbox.export_job(job)["status"] in ("completed", "failed") for job in jobs):
            return True
        time.sleep(0.25)
    return False


def pleo_calls(sandbox):
    """``(Pleo calls, receipt downloads)`` recorded since the last reset."""
    return len(sandbox.requests), len(sandbox.file_requests)


# ---------------------------------------------------------------------- the servers


class Balancer(socketserver.ThreadingTCPServer):
    """A round-robin TCP load balancer on loopback in front of the Odoo servers."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, backends):
        self.backends = backends
        self.turn = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Pipe)

    def next_backend(self):
        with self.lock:
            self.turn += 1
            return self.backends[self.turn % len(self.backends)]


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self):
        with socket.create_connection(("127.0.0.1", self.server.next_backend())) as upstream:
            ends = [self.request, upstream]
            while True:
                readable, _w, _x = select.select(ends, [], [], 60)
                if not readable:
                    return
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.request else self.request).sendall(data)


class MemorySampler(threading.Thread):
    """The largest RSS of each process of the servers' process groups, sampled."""

    def __init__(self, servers):
        super().__init__(daemon=True)
        self.groups = [server.process.pid for server in servers]
        self.peak = {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                with contextlib.suppress(OSError, ValueError):
                    if os.getpgid(int(pid)) not in self.groups:
                        continue
                    with open(f"/proc/{pid}/status", encoding="ascii") as status:
                        for line in status:
                            if line.startswith("VmRSS:"):
                                rss = int(line.split()[1]) * 1024
                                self.peak[pid] = max(self.peak.get(pid, 0), rss)


def warm_up(servers, per_server):
    """Every HTTP worker loads the registry before the clock starts (its first request would):
    concurrent requests, several per worker."""

    def touch(server):
        Rpc(server.url, server.db.name, "admin", "admin", timeout=300).authenticate().call(
            "res.partner", "search_count", []
        )

    threads = [
        threading.Thread(target=touch, args=(server,))
        for server in servers
        for _ in range(3 * per_server)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_queue(settings, label, sandbox, options, jobs, workers, servers_count, timeout):
    """(b) or (c): ``servers_count`` servers with ``workers`` HTTP workers in all."""
    per_server = max(workers // servers_count, 1)
    channels = f"root:{workers},root.pleo:{workers}"
    balancer = None
    sections = {"queue_job": {"channels": channels}}
    if servers_count > 1:
        balancer = Balancer([])
        sections["queue_job"]["port"] = str(balancer.server_address[1])
    first = OdooServer(settings, label, options=options, workers=per_server, sections=sections)
    servers = [first]
    try:
        first.start(timeout=300)
        for number in range(2, servers_count + 1):
            other = OdooServer(
                settings, f"{label}{number}", options=options, workers=per_server, sections=sections
            )
            other.db = first.db  # the same database ...
            other.dir.mkdir(parents=True, exist_ok=True)
            (other.dir / "data").symlink_to(first.dir / "data")  # ... and the same filestore
            other._write_conf()  # pylint: disable=protected-access
            other._spawn()  # pylint: disable=protected-access
            other.wait_ready(300)
            servers.append(other)
        if balancer:
            balancer.backends[:] = [server.port for server in servers]
            threading.Thread(target=balancer.serve_forever, daemon=True).start()
        admin = Rpc(first.url, first.db.name, "admin", "admin", timeout=120).authenticate()
        warm_up(servers, per_server)
        cron = admin.xmlid("pleo_connector.ir_cron_pleo_export")
        sampler = MemorySampler(servers)
        sampler.start()
        sandbox.reset_requests()
        sandbox.reset_file_requests()
        logs = [server.log_size() for server in servers]
        started = time.monotonic()
        admin.button("ir.cron", "method_direct_trigger", [cron])
        done = wait_jobs(sandbox, jobs, timeout)
        wall = time.monotonic() - started
        sampler.stop.set()
        queries = sum(
            int(match.group(1))
            for server, since in zip(servers, logs, strict=True)
            for match in _RUNJOB.finditer(server.log_text()[since:])
        )
        runjobs = sum(
            len(_RUNJOB.findall(server.log_text()[since:]))
            for server, since in zip(servers, logs, strict=True)
        )
        booked = check_booked(settings.pg, first.db.name, sandbox, jobs)
        return {
            "wall": wall,
            "done": done,
            "queries": queries,
            "runjobs": runjobs,
            "memory": max(sampler.peak.values(), default=0),
            "memory_kind": "largest RSS of any server process",
            "workers": per_server * servers_count,
            "booked": booked,
            "calls": pleo_calls(sandbox),
        }
    finally:
        for server in reversed(servers[1:]):
            server.stop()
        first.destroy()
        if balancer:
            balancer.shutdown()


def run_cron(database, sandbox, jobs, timeout):
    """(a): the export cron in this process, on ``database`` (without the glue)."""
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    registry = Registry(database)
    sandbox.reset_requests()
    sandbox.reset_file_requests()
    memory, counter = PeakMemory(False), QueryCounter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        with counter.installed(), memory.measured():
            started = time.monotonic()
            env["pleo.connection"]._cron_pleo_export()  # pylint: disable=protected-access
            wait_jobs(sandbox, jobs, timeout)
            wall = time.monotonic() - started
        cr.commit()
    return {
        "wall": wall,
        "done": True,
        "queries": counter.total,
        "runjobs": 0,
        "memory": memory.peak or 0,
        "memory_kind": "RSS growth of the cron's process",
        "workers": 1,
        "calls": pleo_calls(sandbox),
    }


# ---------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", "-c", type=int, default=200, help="companies (200)")
    parser.add_argument("--items", "-n", type=int, default=50, help="items per company (50)")
    parser.add_argument("--latency", "-l", type=float, default=0.05, help="seconds per call (0.05)")
    parser.add_argument("--workers", "-w", type=int, default=4, help="queue_job workers (4)")
    parser.add_argument("--http-workers", type=int, default=8, help="pleo_http_workers (8)")
    parser.add_argument("--modes", default="abc", help="which of a, b, c to run (abc)")
    parser.add_argument("--queue-job-dir", default=default_queue_job_dir())
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per mode (3600)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    args = parser.parse_args()

    from cryptography.fernet import Fernet
    from pleo_sandbox import PleoSandbox

    logging.getLogger("pleo_sandbox").setLevel(logging.WARNING)
    if {"b", "c"} & set(args.modes):
        if not args.queue_job_dir or not Path(args.queue_job_dir, "odoo/addons/queue_job").is_dir():
            sys.exit("no queue_job: give --queue-job-dir (tests/run.sh installs it; README.md)")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [args.queue_job_dir, os.environ.get("PYTHONPATH")])
        )
    base = f"pleo_bench_month_{os.getpid()}"
    cores = os.cpu_count() or 1
    key = Fernet.generate_key().decode()
    results = {}
    with tempfile.TemporaryDirectory(prefix="pleo-bench-") as data_dir:
        version, odoo_root = _odoo_config(base, data_dir)
        from odoo import SUPERUSER_ID, api
        from odoo.modules.registry import Registry
        from odoo.service import db as db_service
        from odoo.tools import config

        pg = {
            "host": config["db_host"],
            "port": int(config["db_port"] or 5432),
            "user": config["db_user"],
            "password": config.get("db_password") or "",
        }
        print(f"Odoo {version} from {odoo_root}; database {base}", flush=True)
        print("creating the database and installing pleo_connector ...", flush=True)
        db_service._create_empty_database(base)  # pylint: disable=protected-access
        registry = Registry.new(base, update_module=True, install_modules=["pleo_connector"])
        options = {
            "pleo_encryption_keys": key,
            "pleo_http_workers": str(args.http_workers),
            "pleo_receipts_allow_http": "1",
            "pleo_receipt_allowed_hosts": "127.0.0.1",
        }
        created = [base]
        try:
            with PleoSandbox() as sandbox, patch.dict(config.options, options):
                config["pleo_api_url"] = sandbox.url("production")
                print(f"seeding {args.companies} companies ...", flush=True)
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    pleo_companies, connection_ids = [], []
                    for number in range(args.companies):
                        company = env["res.company"].create({"name": f"Client {number:04d} ApS"})
                        env.user.company_ids |= company
                        # Odoo's generic chart, as Settings › Accounting › Fiscal localization
                        # loads it (tax groups, journals), then the sandbox's codes.
                        env["account.chart.template"].try_loading("generic_coa", company)
                        connection, pleo_company = seed_company(
                            env, sandbox, company, shared=number == 0
                        )
                        pleo_companies.append(pleo_company)
                        connection_ids.append(connection.id)
                    cr.commit()
                print("ORM floor (one company's items, one batched create, rolled back) ...")
                floor_items = make_items(sandbox, pleo_companies[0], args.items, 0, "floor")
                receipts = {
                    ref["url"]: ("receipt.pdf", receipt())
                    for item in floor_items
                    for ref in item.get("files") or ()
                }
                floor_seconds, floor_queries = orm_floor(
                    registry, connection_ids[0], floor_items, receipts
                )
                orm_per_item = floor_seconds / args.items
                settings = Settings(
                    odoo_bin=str(Path(odoo_root) / "odoo-bin"),
                    python=sys.executable,
                    template_db=base,
                    addons_path=",".join(
                        [str(REPO)]
                        + ([f"{args.queue_job_dir}/odoo/addons"] if args.queue_job_dir else [])
                        + [str(Path(odoo_root) / "addons"), str(Path(odoo_root) / "odoo/addons")]
                    ),
                    template_filestore=str(Path(data_dir) / "filestore" / base),
                    db_prefix=base,
                    workdir=Path(data_dir) / "servers",
                    pg=pg,
                )
                registry = None
                Registry.delete(base)
                sandbox.set_latency(args.latency)
                if "a" in args.modes:
                    print("(a) the cron alone ...", flush=True)
                    copy = f"{base}_a"
                    db_service.exp_duplicate_database(base, copy)
                    created.append(copy)
                    jobs = add_exports(sandbox, pleo_companies, args.items, args.latency, "a")
                    results["a"] = run_cron(copy, sandbox, jobs, args.timeout)
                    results["a"]["booked"] = check_booked(pg, copy, sandbox, jobs)
                    Registry.delete(copy)
                if {"b", "c"} & set(args.modes):
                    print("installing pleo_connector_queue (and queue_job) ...", flush=True)
                    template = OdooServer(
                        settings, "tpl", options=server_options(sandbox, **options)
                    )
                    queue_settings = template.install(["pleo_connector_queue"])
                    created.append(template.db.name)
                    server_opts = server_options(
                        sandbox,
                        **options,
                        limit_time_real="600",
                        pleo_http_timeout="30",
                        server_wide_modules="web,queue_job",
                    )
                    for mode, servers_count in (("b", 1), ("c", 2)):
                        if mode not in args.modes:
                            continue
                        print(f"({mode}) queue_job on {servers_count} server(s) ...", flush=True)
                        jobs = add_exports(sandbox, pleo_companies, args.items, args.latency, mode)
                        results[mode] = run_queue(
                            queue_settings,
                            mode,
                            sandbox,
                            server_opts,
                            jobs,
                            args.workers,
                            servers_count,
                            args.timeout,
                        )
        finally:
            if not args.keep:
                for database in created:
                    with contextlib.suppress(Exception):
                        Registry.delete(database)
                    drop_database(pg, database)
    return report(args, results, orm_per_item, floor_queries / args.items, cores)


def report(args, results, orm_per_item, floor_queries, cores):
    total = args.companies * args.items
    print()
    print(f"C (companies)            {args.companies}")
    print(f"N (items per company)    {args.items}, one receipt each ({total} items)")
    print(f"L (latency)              {args.latency * 1000:.0f} ms per Pleo call and download")
    print(f"cores                    {cores}")
    print(f"ORM floor per item       {orm_per_item * 1000:.1f} ms, {floor_queries:.1f} queries")
    names = {"a": "(a) cron alone", "b": "(b) queue_job, 1 server", "c": "(c) queue_job, 2 servers"}
    ok = True
    for mode, result in results.items():
        calls, downloads = result["calls"]
        workers = result["workers"]
        orm = orm_per_item * total / min(workers, cores)
        network = (calls * args.latency + downloads * args.latency / args.http_workers) / workers
        floor = max(orm, network)
        completed, items, moves, _distinct, twice, lost = result["booked"]
        print()
        print(f"{names[mode]}  ({workers} worker{'s' if workers > 1 else ''})")
        print(f"  wall time              {result['wall']:.1f} s")
        print(f"  items per second       {total / result['wall']:.1f}")
        print(f"  SQL queries per item   {result['queries'] / total:.1f}")
        if result["runjobs"]:
            print(f"  queue jobs run         {result['runjobs']}")
        print(
            f"  peak memory            {result['memory'] / 2**20:.0f} MiB ({result['memory_kind']})"
        )
        average = calls / args.companies
        print(f"  Pleo calls per company {average:.1f}; {downloads / args.companies:.1f} downloads")
        print(f"  ORM floor              {orm:.1f} s  (per item x C x N / min(workers, cores))")
        print(f"  network floor          {network:.1f} s  ((calls x L + downloads x L / http) / w)")
        print(f"  wall / larger floor    {result['wall'] / floor:.2f}")
        print(
            f"  booked                 {completed}/{args.companies} jobs completed, {moves} "
            f"entries for {items} items, {twice} booked twice, {lost} lost"
        )
        ok = ok and completed == args.companies and not twice and not lost
        if mode in "bc":
            ok = ok and result["wall"] <= 1.5 * floor
    if "a" in results and "b" in results:
        ratio = results["b"]["wall"] / results["a"]["wall"]
        print()
        verdict = "met" if ratio <= 0.5 else "MISSED"
        print(f"(b) / (a)                {ratio:.2f}  (target <= 0.5: {verdict})")
        ok = ok and ratio <= 0.5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
