"""Benchmark of month-end at an accounting firm (not a test: it prints figures).

C companies each export N items with one receipt each; every Pleo call and every receipt
download waits L (the sandbox's latency switch and its file host's ``slow`` files). The same
exports are booked three ways, each on its own copy of one seeded database:

* **(a) the cron alone**: the export cron, in this process, takes the companies one after
  another (pleo_connector without the glue);
* **(b) queue_job, one server**: ``odoo-bin --workers=W`` with ``queue_job`` loaded and
  ``pleo_connector_queue`` installed, ``[queue_job] channels = root:W,root.pleo:W``; the export
  cron (run once by "Run manually") enqueues one job per company;
* **(c) queue_job, two servers** on the same database, W/2 workers each, behind a
  least-connections TCP load balancer of this script that the job runner sends the jobs to
  (:class:`Balancer`; mode ``r`` is (c) behind a round-robin one, for comparison).

For each: wall time (first enqueue or cron start to the last Pleo job completed), items per
second, SQL queries per item (the cron's thread; the servers' ``/queue_job/runjob`` requests,
from the query count Odoo logs with each request), peak memory (the cron: RSS growth of this
process; the servers: the largest RSS of any of their processes, sampled), Pleo calls per
company, and two floors: the **ORM floor** (one company's N entries and receipts made by one
batched create, per item, times C x N, over min(workers, cores)) and the **network floor**
((Pleo calls x L + downloads x L / pleo_http_workers) / workers). It counts what was booked:
every Pleo item booked once (one entry per Pleo id and company), reported, every job completed.
For (b) and (c) it also prints what explains a difference between them on a machine shared
with other work, where wall times do not compare: the CPU time per item of the servers and of
their PostgreSQL backends, each server's jobs and busy time, and how long a job the runner sent
waited for a free worker (from the servers' logs). ``--repeat R`` runs (b) and (c) R times in
turn, and prints (c) / (b) run by run.

    python3 tests/benchmarks/bench_month_end.py --companies 10 --items 10      # a quick check
    python3 tests/benchmarks/bench_month_end.py                                # C=200, N=50
    python3 tests/benchmarks/bench_month_end.py -c 40 -n 10 --modes bcr --repeat 2  # (b) vs (c)

Targets (issue "Month-end at an accounting firm"): (b) <= 1/2 (a); (b) and (c) <= 1.5 x the
larger floor; nothing booked twice, nothing lost. It needs Odoo 19 (ODOO_PATH or an importable
``odoo``), PostgreSQL (PG*), and OCA's queue_job for (b) and (c): ``--queue-job-dir`` (default:
``$QUEUE_JOB_DIR``, else the directory tests/run.sh installs it into). Databases are dropped
afterwards unless ``--keep``.
"""

import argparse
import contextlib
import datetime as dt
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
    gevent_problem,
    server_options,
)

CURRENCY = "USD"
RECEIPT = None  # one small PDF shared by every item (the file host serves it per URL)
#: Odoo's request log line: ``"GET /queue_job/runjob?... HTTP/1.1" 200 - <queries> <s> <s>``.
_RUNJOB = re.compile(r'"GET /queue_job/runjob\?[^"]*" \d+ - (\d+) ([\d.]+) ([\d.]+)')
#: When the runner sent a job, and when a worker ended it (its log line) and after how long.
_STAMP = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) "
_SENT = re.compile(_STAMP + r".*asking Odoo to run job ([0-9a-f-]+) ", re.M)
_ENDED = re.compile(
    _STAMP + r'.*"GET /queue_job/runjob\?job_uuid=([0-9a-f-]+) [^"]*" \d+ - \d+ ([\d.]+) ([\d.]+)',
    re.M,
)


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


@contextlib.contextmanager
def pg_cursor(settings_pg, database):
    """A cursor on ``database`` (committed when the block ends well)."""
    import psycopg2

    pg = {k: v for k, v in settings_pg.items() if v not in ("", None)}
    with contextlib.closing(psycopg2.connect(dbname=database, **pg)) as conn:
        with conn.cursor() as cr:
            yield cr
        conn.commit()


def check_booked(settings_pg, database, sandbox, jobs):
    """What was booked, counted: ``(completed jobs, items, entries, distinct, twice, lost)``."""
    completed = sum(1 for job in jobs if sandbox.export_job(job)["status"] == "completed")
    entries = [row["accountingEntryId"] for job in jobs for row in sandbox.export_job(job)["items"]]
    with pg_cursor(settings_pg, database) as cr:
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


def dispatch_waits(texts):
    """``(jobs, mean, max)`` seconds from the runner sending a job to ``/queue_job/runjob`` to a
    worker starting it (its request's log line, less the time Odoo logs it took), from the
    servers' log ``texts``: time a sent job waited for a free worker (queue_job's own
    ``date_enqueued`` and ``date_started`` are stored to the second)."""

    def stamp(text):
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()

    sent, waits = {}, []
    for text in texts:
        for when, uuid in _SENT.findall(text):
            sent.setdefault(uuid, []).append(stamp(when))
    for text in texts:
        for when, uuid, query_time, other_time in _ENDED.findall(text):
            started = stamp(when) - float(query_time) - float(other_time)
            before = [moment for moment in sent.get(uuid, ()) if moment <= started + 0.01]
            if before:
                waits.append(max(started - max(before), 0.0))
    if not waits:
        return 0, 0.0, 0.0
    return len(waits), sum(waits) / len(waits), max(waits)


def settle(settings_pg, database, timeout=30):
    """Wait until no Pleo queue job is waiting or running: Pleo sees an export completed before
    the worker's request ends and is logged (the logs are read next)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with pg_cursor(settings_pg, database) as cr:
            cr.execute(
                "SELECT count(*) FROM queue_job WHERE channel = 'root.pleo' "
                "AND state IN ('pending', 'enqueued', 'started')"
            )
            if not cr.fetchone()[0]:
                return
        time.sleep(0.25)


def hold_crons(settings_pg, database):
    """Pleo's scheduled actions wait a day in ``database``: a server's scheduler must not run
    the export cron by itself as it starts (the benchmark runs it once, at its clock's start)."""
    with pg_cursor(settings_pg, database) as cr:
        cr.execute(
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 day' "
            "WHERE id IN (SELECT res_id FROM ir_model_data "
            "WHERE module = 'pleo_connector' AND model = 'ir.cron')"
        )


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
    """A TCP load balancer on loopback in front of the Odoo servers.

    ``leastconn`` (the default) sends a connection to the server with the fewest open ones,
    and a connection stays open until the server has answered, even when the client left: the
    job runner asks ``/queue_job/runjob`` with a 1 s timeout and hangs up, while the worker
    runs the job for seconds. That is haproxy's ``balance leastconn`` (with its default,
    ``option abortonclose`` off). ``roundrobin`` takes the servers in turn whatever they are
    doing: a job can then wait in the backlog of a server whose workers are all busy while the
    other server's worker idles (what mode (c) measured before; ``--balancer roundrobin``).
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, backends, policy="leastconn"):
        self.backends = backends
        self.policy = policy
        self.turn = 0
        self.open = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Pipe)

    def acquire(self):
        with self.lock:
            self.turn += 1
            if self.policy == "roundrobin":
                backend = self.backends[self.turn % len(self.backends)]
            else:
                start = self.turn % len(self.backends)  # ties: in turn
                ordered = self.backends[start:] + self.backends[:start]
                backend = min(ordered, key=lambda port: self.open.get(port, 0))
            self.open[backend] = self.open.get(backend, 0) + 1
            return backend

    def release(self, backend):
        with self.lock:
            self.open[backend] -= 1


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self):
        backend = self.server.acquire()
        try:
            with socket.create_connection(("127.0.0.1", backend)) as upstream:
                self.pipe(upstream)
        finally:
            self.server.release(backend)

    def pipe(self, upstream):
        """Bytes both ways; when the client hangs up, the server's answer is still awaited
        (and dropped), so that the connection counts until the worker is done."""
        ends = [self.request, upstream]
        while ends:
            readable, _w, _x = select.select(ends, [], [], 900)
            if not readable:
                return
            for end in readable:
                try:
                    data = end.recv(65536)
                except OSError:
                    data = b""
                if end is upstream:
                    if not data:
                        return
                    if self.request in ends:
                        with contextlib.suppress(OSError):
                            self.request.sendall(data)
                elif data:
                    upstream.sendall(data)
                else:
                    ends.remove(self.request)  # the client left: wait for the answer


class MemorySampler(threading.Thread):
    """The largest RSS of each process of the servers' process groups, and the CPU time spent
    by them and by the PostgreSQL backends of their database, sampled.

    CPU time per item does not depend on what else the machine runs (other work only makes the
    wall time longer), so it compares (b) and (c) on a shared machine where wall times do not.
    """

    def __init__(self, servers, pg=None, database=None):
        super().__init__(daemon=True)
        self.groups = [server.process.pid for server in servers]
        self.peak = {}
        self.cpu = {"odoo": {}, "postgresql": {}}  # pid -> [first ticks, last ticks]
        self.pg, self.database = pg, database
        self.stop = threading.Event()

    def run(self):
        backends = self._backends()
        while True:
            self.sample(backends)
            if self.stop.wait(0.5):
                self.sample(backends)
                break
        if backends:
            backends.close()

    def _backends(self):
        if not self.pg:
            return None
        import psycopg2

        pg = {k: v for k, v in self.pg.items() if v not in ("", None)}
        conn = psycopg2.connect(dbname="postgres", **pg)
        conn.autocommit = True
        return conn

    def sample(self, backends):
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
                self._ticks("odoo", pid, children=int(pid) in self.groups)
        if backends:
            with backends.cursor() as cr:
                cr.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,))
                for (pid,) in cr.fetchall():
                    with contextlib.suppress(OSError, ValueError):
                        self._ticks("postgresql", str(pid))

    def _ticks(self, kind, pid, children=False):
        """``children``: also the CPU of its children that ended (cutime + cstime): a
        server's main process counts the workers it recycled and the gevent processes it
        restarted, which ended between two samples."""
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if children:
            ticks += int(fields[13]) + int(fields[14])
        self.cpu[kind].setdefault(pid, [ticks, ticks])[1] = ticks

    def cpu_seconds(self, kind):
        """CPU seconds of ``kind`` ("odoo", "postgresql") between the first and last sample
        (a process seen first mid-run counts from that sample: up to 0.5 s of it is lost)."""
        hertz = os.sysconf("SC_CLK_TCK")
        return sum(last - first for first, last in self.cpu[kind].values()) / hertz


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


def run_queue(settings, label, sandbox, options, jobs, workers, servers_count, timeout, policy):
    """(b) or (c): ``servers_count`` servers with ``workers`` HTTP workers in all (for (c),
    behind a :class:`Balancer` of ``policy``)."""
    per_server = max(workers // servers_count, 1)
    channels = f"root:{workers},root.pleo:{workers}"
    balancer = None
    sections = {"queue_job": {"channels": channels}}
    if servers_count > 1:
        balancer = Balancer([], policy)
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
        sampler = MemorySampler(servers, settings.pg, first.db.name)
        sampler.start()
        sandbox.reset_requests()
        sandbox.reset_file_requests()
        logs = [server.log_size() for server in servers]
        started = time.monotonic()
        admin.button("ir.cron", "method_direct_trigger", [cron])
        done = wait_jobs(sandbox, jobs, timeout)
        wall = time.monotonic() - started
        settle(settings.pg, first.db.name)
        sampler.stop.set()
        sampler.join()
        server_runs = [
            _RUNJOB.findall(server.log_text()[since:])
            for server, since in zip(servers, logs, strict=True)
        ]
        queries = sum(int(found[0]) for runs in server_runs for found in runs)
        runjobs = sum(len(runs) for runs in server_runs)
        booked = check_booked(settings.pg, first.db.name, sandbox, jobs)
        return {
            "wall": wall,
            "done": done,
            "queries": queries,
            "runjobs": runjobs,
            # per server: (jobs run, seconds its workers spent in them)
            "servers": [
                (len(runs), sum(float(f[1]) + float(f[2]) for f in runs)) for runs in server_runs
            ],
            "dispatch": dispatch_waits(
                [server.log_text()[since:] for server, since in zip(servers, logs, strict=True)]
            ),
            "memory": max(sampler.peak.values(), default=0),
            "cpu": (sampler.cpu_seconds("odoo"), sampler.cpu_seconds("postgresql")),
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
    parser.add_argument(
        "--modes",
        default="abc",
        help="which of a, b, c to run (abc); r: (c) behind a round-robin balancer (see Balancer)",
    )
    parser.add_argument("--queue-job-dir", default=default_queue_job_dir())
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per mode (3600)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run (b) and (c) this many times, in turn (1)"
    )
    parser.add_argument("--db-prefix", default="pleo_bench_month", help="database names' start")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    args = parser.parse_args()

    from cryptography.fernet import Fernet
    from pleo_sandbox import PleoSandbox

    logging.getLogger("pleo_sandbox").setLevel(logging.WARNING)
    if {"b", "c", "r"} & set(args.modes):
        problem = gevent_problem(sys.executable)
        if problem:
            sys.exit(
                "Odoo's gevent process cannot start with this Python, so each server would"
                f" restart it in a loop and spend a core on it: {problem}"
                " (see gevent_problem in tests/e2e/harness.py)"
            )
        if not args.queue_job_dir or not Path(args.queue_job_dir, "odoo/addons/queue_job").is_dir():
            sys.exit("no queue_job: give --queue-job-dir (tests/run.sh installs it; README.md)")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [args.queue_job_dir, os.environ.get("PYTHONPATH")])
        )
    base = f"{args.db_prefix}_{os.getpid()}"
    cores = os.cpu_count() or 1
    key = Fernet.generate_key().decode()
    results = {}
    with tempfile.TemporaryDirectory(prefix="pleo-bench-") as data_dir:
        version, odoo_root = _odoo_config(base, data_dir)
        from odoo import SUPERUSER_ID, api, sql_db
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
                sql_db.close_db(base)  # its copies need it without sessions
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
                if {"b", "c", "r"} & set(args.modes):
                    print("installing pleo_connector_queue (and queue_job) ...", flush=True)
                    template = OdooServer(
                        settings, "tpl", options=server_options(sandbox, **options)
                    )
                    queue_settings = template.install(["pleo_connector_queue"])
                    created.append(template.db.name)
                    hold_crons(pg, template.db.name)
                    server_opts = server_options(
                        sandbox,
                        **options,
                        limit_time_real="600",
                        pleo_http_timeout="30",
                        server_wide_modules="web,queue_job",
                    )
                    for round_ in range(1, args.repeat + 1):
                        for mode, servers_count in (("b", 1), ("c", 2), ("r", 2)):
                            if mode not in args.modes:
                                continue
                            run = mode if round_ == 1 else f"{mode}{round_}"
                            print(f"({run}) queue_job on {servers_count} server(s) ...", flush=True)
                            jobs = add_exports(
                                sandbox, pleo_companies, args.items, args.latency, run
                            )
                            results[run] = run_queue(
                                queue_settings,
                                run,
                                sandbox,
                                server_opts,
                                jobs,
                                args.workers,
                                servers_count,
                                args.timeout,
                                "roundrobin" if mode == "r" else "leastconn",
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
    names = {
        "a": "(a) cron alone",
        "b": "(b) queue_job, 1 server",
        "c": "(c) queue_job, 2 servers, least-connections balancer",
        "r": "(c) queue_job, 2 servers, round-robin balancer",
    }
    ok = True
    for run, result in results.items():
        mode = run[0]
        calls, downloads = result["calls"]
        workers = result["workers"]
        orm = orm_per_item * total / min(workers, cores)
        network = (calls * args.latency + downloads * args.latency / args.http_workers) / workers
        floor = max(orm, network)
        completed, items, moves, _distinct, twice, lost = result["booked"]
        print()
        again = f", run {run[1:]}" if run[1:] else ""
        print(f"{names[mode]}  ({workers} worker{'s' if workers > 1 else ''}{again})")
        print(f"  wall time              {result['wall']:.1f} s")
        print(f"  items per second       {total / result['wall']:.1f}")
        print(f"  SQL queries per item   {result['queries'] / total:.1f}")
        if result["runjobs"]:
            print(f"  queue jobs run         {result['runjobs']}")
            for number, (runs, busy) in enumerate(result["servers"], 1):
                share = busy / (result["wall"] * workers / len(result["servers"]))
                print(
                    f"  server {number}: jobs, busy  {runs} jobs, {busy:.1f} worker-s "
                    f"({share:.0%} of its workers' time)"
                )
            odoo_cpu, pg_cpu = result["cpu"]
            print(
                f"  CPU per item           {odoo_cpu / total * 1000:.0f} ms Odoo, "
                f"{pg_cpu / total * 1000:.0f} ms PostgreSQL (what other work cannot change)"
            )
            count, mean, longest = result["dispatch"]
            print(
                f"  sent -> started        mean {mean:.2f} s, max {longest:.1f} s over {count} "
                "jobs (waiting for a free worker)"
            )
        print(
            f"  peak memory            {result['memory'] / 2**20:.0f} MiB ({result['memory_kind']})"
        )
        average = calls / args.companies
        print(f"  Pleo calls per company {average:.1f}; {downloads / args.companies:.1f} downloads")
        print(f"  ORM floor              {orm:.1f} s  (per item x C x N / min(workers, cores))")
        print(f"  network floor          {network:.1f} s  ((calls x L + downloads x L / http) / w)")
        print(f"  wall / larger floor    {result['wall'] / floor:.2f}")
        if mode in "cr":
            print(
                f"  note                   both servers and PostgreSQL share this machine's "
                f"{cores} cores: the second server adds processes, not capacity, so (c)'s "
                "floors are (b)'s; on servers of their own (c) has twice the ORM capacity"
            )
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
    for mode, label in (("c", "(c) / (b)"), ("r", "(c, round-robin) / (b)")):
        runs = [run for run in results if run[0] == mode and "b" + run[1:] in results]
        if runs:
            walls = [results[run]["wall"] / results["b" + run[1:]]["wall"] for run in runs]
            cpus = [sum(results[run]["cpu"]) / sum(results["b" + run[1:]]["cpu"]) for run in runs]
            print()
            print(
                f"{label}, run by run: wall {', '.join(f'{ratio:.2f}' for ratio in walls)}; "
                f"CPU {', '.join(f'{ratio:.2f}' for ratio in cpus)}  (1.00 is no loss)"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
