"""Benchmark of the Pleo export at scale (not a test: it prints figures).

Creates one company with a connected Pleo connection, the chart, taxes, analytic accounts and
partners of the sandbox's codes (as ``export_common.py``), and a pending export job of N items
with one receipt of K KB each on the sandbox's file host. Every Pleo answer and every download
waits L. The export cron then books the whole job to ``completed`` in a real registry cursor,
committing page by page as in production. It prints:

* the wall time of the export, and two floors: the **ORM floor** (the same moves and
  attachments made by one batched ``create``, values built by the same ``Booker``, no Pleo; rolled
  back) and the **network floor** ((Pleo calls + downloads) x L / workers, counted from the
  sandbox's recorded requests and file requests);
* SQL queries per item (a query hook on the thread, every cursor) against the ORM floor's
  queries per move, with a breakdown by phase of the export and by table;
* peak memory of the export: the growth of the process's resident set (RSS) above its value
  when the export starts (``VmHWM`` reset through ``/proc/self/clear_refs``; ``--tracemalloc``
  reports Python's traced peak instead, and slows the run). Run two sizes to see it flat in N.

    python3 tests/benchmarks/bench_export.py [--n 1000] [--latency 0.05] [--workers 8]
        [--receipt-kb 100] [--quick] [--keep] [--profile] [--tracemalloc]

It needs Odoo 19 (ODOO_PATH or an importable ``odoo``) and PostgreSQL (PG* variables, default
127.0.0.1:5432). It creates a throw-away database with pleo_connector installed (about a
minute) and drops it afterwards (``--keep`` keeps it).
Targets at N=1000, K=100 KB, L=50 ms, 8 workers: wall <= 1.5 x (ORM floor + network floor),
queries per item <= the ORM floor's queries per move + 3, peak memory flat in N (N=250 vs 1000).
"""

import argparse
import base64
import cProfile
import os
import pstats
import re
import sys
import threading
import time
import tracemalloc
from collections import Counter
from contextlib import contextmanager
from functools import wraps
from unittest.mock import patch

from common import connect, odoo_env

#: Wallet and company currency of the generated items (no conversion: the company's is USD).
CURRENCY = "USD"
#: A statement's verb and first table: SELECT ... FROM "t", INSERT INTO "t", UPDATE "t", ...
_STATEMENT = re.compile(
    r'\s*(?:WITH\b.*?\)\s*)?(\w+)\b(?:(?:(?!\bFROM\b|\bINTO\b).)*?\b(?:FROM|INTO)\s+|\s+)?"?(\w+)?',
    re.IGNORECASE | re.DOTALL,
)
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _padded_pdf(text, size):
    """A valid small PDF padded with a trailing comment to ``size`` bytes."""
    from pleo_sandbox.generator import receipt_bytes

    body = receipt_bytes("application/pdf", text)
    if size > len(body) + 2:
        body += b"%" + b"0" * (size - len(body) - 2) + b"\n"
    return body


def seed_company(env, sandbox, company=None, shared=True):
    """A company whose connection is connected to a fresh Pleo company and books exports.

    The chart, taxes, tags and users are those of ``export_common.ExportCase`` (the sandbox
    generator's default codes), so every generated item books without mapping rows. ``company``
    defaults to the main company (as the tests' company A: its tax groups, lock dates);
    ``shared``: also the analytic plans and accounts and the partners, which every company
    shares (seed them once for several companies).
    """
    from odoo import Command, fields

    from odoo.addons.pleo_connector_export.tests.common import ACCOUNTS, TAGS, TAXES, USERS

    company = company or env.ref("base.main_company")
    accounts = {
        code: env["account.account"].create(
            {"code": code, "name": name, "account_type": kind, "company_ids": [company.id]}
        )
        for code, (name, kind) in ACCOUNTS.items()
    }
    grid_base, grid_tax = env["account.account.tag"].create(
        [
            {"name": f"Pleo bench base grid {company.id}", "applicability": "taxes"},
            {"name": f"Pleo bench tax grid {company.id}", "applicability": "taxes"},
        ]
    )
    for name, (percent, reverse) in TAXES.items():
        tax_lines = [
            {
                "repartition_type": "tax",
                "factor_percent": 100,
                "account_id": accounts["6320"].id,
                "tag_ids": [Command.set(grid_tax.ids)],
            }
        ]
        if reverse:
            tax_lines.append(
                {
                    "repartition_type": "tax",
                    "factor_percent": -100,
                    "account_id": accounts["6330"].id,
                }
            )
        repartition = [{"repartition_type": "base", "tag_ids": [Command.set(grid_base.ids)]}]
        repartition += tax_lines
        env["account.tax"].create(
            {
                "name": name,
                "amount": percent,
                "amount_type": "percent",
                "type_tax_use": "purchase",
                "company_id": company.id,
                "invoice_repartition_line_ids": [Command.create(dict(r)) for r in repartition],
                "refund_repartition_line_ids": [Command.create(dict(r)) for r in repartition],
            }
        )
    if shared:
        for group, codes in TAGS.items():
            plan = env["account.analytic.plan"].create({"name": group})
            env["account.analytic.account"].create(
                [
                    {
                        "name": f"{group} {code}",
                        "code": code,
                        "plan_id": plan.id,
                        "company_id": False,
                    }
                    for code in codes
                ]
            )
        env["res.partner"].create([{"name": name, "ref": code} for code, name in USERS.items()])
        for code in ("DKK", "EUR", "SEK", CURRENCY):
            env.ref(f"base.{code}").active = True
    journal = env["account.journal"].create(
        {
            "name": "Pleo",
            "code": "PLEOB",
            "type": "bank",
            "company_id": company.id,
            "default_account_id": accounts["5850"].id,
        }
    )
    now = fields.Datetime.now()
    return connect(
        company,
        sandbox,
        last_check_date=now,
        last_scope_check_date=now,
        export_enabled=True,
        export_journal_id=journal.id,
    )


def make_items(sandbox, pleo_company, count, receipt_kb, latency):
    """``count`` generated items of the receipt-bearing types, one K KB receipt each.

    Returns ``(items, receipts)``: ``receipts`` maps each file URL to ``(name, content)``, what
    the ORM floor attaches without downloading. A receipt waits ``latency`` before its answer
    (the file host's ``slow`` fault: ``set_latency`` covers the Pleo paths only).
    """
    from pleo_sandbox import ExportItemGenerator
    from pleo_sandbox.generator import FILE_TYPES

    receipts = {}

    def one_receipt(rng, item_type, index):
        name = f"receipt-{index}.pdf"
        content = _padded_pdf(f"{item_type} {index}", receipt_kb * 1024)
        options = {"fault": "slow", "latency": latency} if latency else {}
        url = sandbox.add_file(content, "application/pdf", name, **options)
        receipts[url] = (name, content)
        return [sandbox.file_entry(url)]

    generator = ExportItemGenerator(
        pleo_company,
        seed="bench-export",
        types=FILE_TYPES,
        wallet_currency=CURRENCY,
        refund_sign="positive",  # what add_export_job generates
        file_factory=one_receipt,
    )
    return generator.items(count), receipts


# ---------------------------------------------------------------------- measuring


class QueryCounter:
    """Counts the SQL queries of this thread (every cursor), by phase and by table."""

    def __init__(self):
        self.total = 0
        self.by_phase = Counter()
        self.by_table = Counter()
        self.phases = ["other"]

    def __call__(self, cr, query, params, start, delay):
        self.total += 1
        self.by_phase[self.phases[-1]] += 1
        if not isinstance(query, str):
            query = query.decode() if isinstance(query, bytes) else str(query)
        match = _STATEMENT.match(query)
        verb, table = match.groups() if match else ("?", None)
        verb = verb.upper()
        if verb == "UPDATE":  # UPDATE "t" SET ... FROM (VALUES ...): the table is the first name
            table = query.split(None, 2)[1].strip('"') if len(query.split(None, 2)) > 1 else None
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            table = None  # the savepoint's name
        self.by_table[f"{verb} {table}" if table else verb] += 1

    @contextmanager
    def installed(self):
        thread = threading.current_thread()
        hooks = getattr(thread, "query_hooks", None)
        if hooks is None:
            hooks = thread.query_hooks = []
        hooks.append(self)
        try:
            yield self
        finally:
            hooks.remove(self)

    def phase(self, name, function):
        @wraps(function)
        def wrapper(*args, **kwargs):
            self.phases.append(name)
            try:
                return function(*args, **kwargs)
            finally:
                self.phases.pop()

        return wrapper


@contextmanager
def phases(env, counter):
    """Label the export's queries with the step of the pipeline they come from."""
    from odoo.addons.pleo_connector_export.tools.entry_booker import Booker

    job_class = type(env["pleo.export.job"])
    item_class = type(env["pleo.export.item"])
    cron_class = type(env["ir.cron"])
    targets = [
        (job_class, "_book_page", "page: items, searches"),
        (job_class, "_download_receipts", "downloads"),
        (item_class, "_book", "item: savepoint, write"),
        (Booker, "book", "booker: move"),
        (Booker, "_move_values", "booker: values"),
        (Booker, "attach", "booker: attachments"),
        (Booker, "existing_move", "booker: existing move search"),
        (job_class, "_report", "report to Pleo"),
        (cron_class, "_commit_progress", "commit (flush)"),
    ]
    patches = [
        patch.object(cls, name, counter.phase(label, getattr(cls, name)))
        for cls, name, label in targets
    ]
    for item in patches:
        item.start()
    try:
        yield
    finally:
        for item in reversed(patches):
            item.stop()


class PeakMemory:
    """Peak memory of a block: RSS high-water mark above the start, or tracemalloc's peak."""

    def __init__(self, use_tracemalloc):
        self.use_tracemalloc = use_tracemalloc
        self.peak = None
        self.start_rss = None

    @staticmethod
    def _status(field):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        return None

    @property
    def kind(self):
        if self.use_tracemalloc:
            return "tracemalloc peak of the export"
        return "RSS high-water mark above the RSS at the export's start"

    @contextmanager
    def measured(self):
        if self.use_tracemalloc:
            tracemalloc.start()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            try:
                yield self
            finally:
                self.peak = tracemalloc.get_traced_memory()[1] - base
                tracemalloc.stop()
            return
        self.start_rss = self._status("VmRSS")
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
                clear.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        except OSError:
            self.start_rss = None
        try:
            yield self
        finally:
            if self.start_rss is not None:
                self.peak = self._status("VmHWM") - self.start_rss


def orm_floor(registry, connection_id, items, receipts):
    """The same moves and attachments in one batched ``create`` each, no Pleo; rolled back.

    Returns ``(seconds, queries)``; the values are built by the export's ``Booker``.
    """
    from odoo import SUPERUSER_ID, api

    from odoo.addons.pleo_connector.pleolib.receipts import Receipt, safe_filename
    from odoo.addons.pleo_connector_export.tools.entry_booker import Booker

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        connection = env["pleo.connection"].browse(connection_id)
        counter = QueryCounter()
        with counter.installed():
            started = time.perf_counter()
            booker = Booker(connection)
            values = [booker._move_values(booker.posting(data)) for data in items]
            moves = (
                env["account.move"]
                .with_company(booker.company)
                .with_context(skip_invoice_sync=True)
                .create(values)
            )
            files = []
            for data in items:
                for ref in data.get("files") or ():
                    name, content = receipts[ref["url"]]
                    files.append(Receipt(safe_filename(name, ref["type"]), ref["type"], content))
            attachments = env["ir.attachment"].create(
                [
                    {
                        "name": receipt.name,
                        "mimetype": receipt.mimetype,
                        "datas": base64.b64encode(receipt.content),
                        "res_model": "account.move",
                        "res_id": move.id,
                    }
                    for move, receipt in zip(moves, files, strict=True)
                ]
            )
            for move, attachment in zip(moves, attachments, strict=True):
                move.message_main_attachment_id = attachment
            env.flush_all()
            seconds = time.perf_counter() - started
        cr.rollback()
    return seconds, counter.total


def run_export(registry, args, memory, counter):
    """Run the export cron once in a real cursor (it commits page by page)."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        profiler = cProfile.Profile() if args.profile else None
        with counter.installed(), phases(env, counter), memory.measured():
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            env["pleo.connection"]._cron_pleo_export()
            if profiler:
                profiler.disable()
            wall = time.perf_counter() - started
        cr.commit()
    if profiler:
        print("\ncProfile of the export (top 30 by cumulative time):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    return wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="items in the job (default 1000)")
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds per Pleo call and download (0.05)"
    )
    parser.add_argument("--workers", type=int, default=8, help="concurrent downloads (default 8)")
    parser.add_argument("--receipt-kb", type=int, default=100, help="KB per receipt (100)")
    parser.add_argument("--quick", action="store_true", help="a fast check: N=50")
    parser.add_argument("--keep", action="store_true", help="keep the created database")
    parser.add_argument("--profile", action="store_true", help="cProfile the export (slower)")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="peak memory by tracemalloc (slower), not RSS"
    )
    args = parser.parse_args()
    if args.quick:
        args.n = 50

    database = f"pleo_bench_export_{os.getpid()}"
    options = {
        "pleo_http_workers": str(args.workers),
        "pleo_receipts_allow_http": "1",  # the sandbox's file host is plain http
        "pleo_receipt_allowed_hosts": "127.0.0.1",  # ... and listens on loopback
    }
    with odoo_env(database, options, args.keep) as (registry, sandbox):
        from odoo import SUPERUSER_ID, api

        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            connection, pleo_company = seed_company(env, sandbox)
            connection_id = connection.id
            cr.commit()
        print(f"generating {args.n} items and receipts ...", flush=True)
        items, receipts = make_items(sandbox, pleo_company, args.n, args.receipt_kb, args.latency)
        job_uuid = sandbox.add_export_job(pleo_company, items=items)

        print("ORM floor (one batched create, rolled back) ...", flush=True)
        floor_orm, floor_queries = orm_floor(registry, connection_id, items, receipts)

        print("the export ...", flush=True)
        sandbox.set_latency(args.latency)
        sandbox.reset_requests()
        sandbox.reset_file_requests()
        memory = PeakMemory(args.tracemalloc)
        counter = QueryCounter()
        wall = run_export(registry, args, memory, counter)
        calls = Counter(f"{r.method} {_ID.sub('{id}', r.path)}" for r in sandbox.requests)
        pleo_calls = sum(calls.values())
        downloads = len(sandbox.file_requests)
        pleo_state = sandbox.export_job(job_uuid)["status"]
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = env["pleo.export.job"].search([("pleo_job_uuid", "=", job_uuid)])
            job_state, booked, failed = job.state, job.booked_count, job.failed_count
            attachments = env["ir.attachment"].search_count(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", job.item_ids.move_id.ids),
                ]
            )

    n = args.n
    network = (pleo_calls + downloads) * args.latency / args.workers
    sequential_calls = pleo_calls * args.latency + downloads * args.latency / args.workers
    target_wall = 1.5 * (floor_orm + network)
    per_item = counter.total / n
    floor_per_move = floor_queries / n
    print()
    print(f"N (items)                 {n}, one {args.receipt_kb} KB receipt each")
    print(f"L (latency)               {args.latency * 1000:.0f} ms per Pleo call and download")
    print(f"workers                   {args.workers}")
    print(f"job                       Odoo {job_state}, Pleo {pleo_state}; {booked} booked,")
    print(f"                          {failed} failed, {attachments} receipts attached")
    print(f"Pleo calls                {pleo_calls}  {dict(sorted(calls.items()))}")
    print(f"downloads                 {downloads}")
    print(f"wall time of the export   {wall:.2f} s  ({wall / n * 1000:.1f} ms per item)")
    print(f"ORM floor                 {floor_orm:.2f} s  (one create of {n} moves + receipts)")
    print(f"network floor             {network:.2f} s  ((calls + downloads) x L / workers)")
    print(f"  Pleo calls in sequence  {sequential_calls:.2f} s  (calls x L + downloads x L / w)")
    print(
        f"wall / (ORM + network)    {wall / (floor_orm + network):.2f}  (target <= 1.5: "
        f"{'met' if wall <= target_wall else 'MISSED'})"
    )
    print(f"SQL queries               {counter.total}")
    print(
        f"queries per item          {per_item:.1f}  (target <= {floor_per_move:.1f} + 3 = "
        f"{floor_per_move + 3:.1f}: {'met' if per_item <= floor_per_move + 3 else 'MISSED'})"
    )
    print(f"ORM floor queries / move  {floor_per_move:.2f}  ({floor_queries} queries)")
    if memory.peak is not None:
        print(f"peak memory               {memory.peak / 2**20:.1f} MiB  ({memory.kind};")
        print("                          target: flat in N, compare runs at two sizes)")
    print("queries per item by phase of the export:")
    for phase, count in counter.by_phase.most_common():
        print(f"  {phase:32} {count / n:6.2f}")
    print("queries per item by statement and table (top 15):")
    for what, count in counter.by_table.most_common(15):
        print(f"  {what:32} {count / n:6.2f}")
    met = wall <= target_wall and per_item <= floor_per_move + 3 and job_state == "completed"
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
