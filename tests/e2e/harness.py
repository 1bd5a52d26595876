"""A real ``odoo-bin`` server for the end-to-end suite, driven as the web client drives it.

Nothing here imports Odoo: the server is another process, on a fresh copy of a template
database (``createdb -T``), with its scheduler running, over JSON-RPC on loopback. Odoo and the
addon run unpatched; the only configuration is the server's (``odoo.conf``, its command line and
its environment), as in production.

* :class:`Settings`: where Odoo, its Python, the template database and PostgreSQL are, from the
  environment variables ``tests/run.sh`` sets (:data:`REQUIRED`).
* :class:`OdooServer`: start, wait for ``/web/health``, ``kill()`` (SIGKILL), ``restart()``,
  ``stop()``; its log goes to a file whose tail :meth:`OdooServer.log_tail` returns.
* :class:`Rpc`: a web-client session (``/web/session/authenticate``, then
  ``/web/dataset/call_kw`` and ``call_button``), every call bounded by a timeout.
* :class:`Database`: read the server's tables directly, for assertions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import getpass
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests
from cryptography.fernet import Fernet

#: What the suite needs to run; ``tests/run.sh`` sets them all.
REQUIRED = {
    "PLEO_E2E_ODOO_BIN": "odoo-bin of an Odoo 19 source tree (or '-m odoo')",
    "PLEO_E2E_PYTHON": "the Python that runs Odoo",
    "PLEO_E2E_TEMPLATE_DB": "a database where pleo_connector (so its export and setup-sync "
    "addons) and l10n_dk are installed",
    "PLEO_E2E_ADDONS_PATH": "the addons path (this repository first)",
}
#: Optional: the template's filestore (copied with the database), a prefix for database names,
#: a directory for the servers' files and logs (kept after the run when given).
OPTIONAL = ("PLEO_E2E_TEMPLATE_FILESTORE", "PLEO_E2E_DB_PREFIX", "PLEO_E2E_WORKDIR")

#: The calling shell's proxies and CA bundles are not passed on to a server: a test gives the
#: ones it means (compared in lower case).
NETWORK_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "requests_ca_bundle",
    "curl_ca_bundle",
    "ssl_cert_file",
)


_RECORD = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|=====)")


def without_gevent_failures(lines):
    """``(lines, n)``: the log lines without the ``n`` tracebacks of the gevent process (the
    websocket server that a ``--workers`` server spawns, and spawns again when it dies) failing
    to start in ``gevent.monkey.patch_all()``: a Python whose ``pkg_resources`` cannot resolve
    gevent's own requirements (``zope.interface``) cannot run it; the HTTP and cron workers
    the tests use are not affected."""
    kept, block, dropped = [], [], 0

    def flush():
        nonlocal dropped
        text = "\n".join(block)
        if block and block[0].startswith("Traceback") and "patch_evented" in text:
            dropped += 1
        else:
            kept.extend(block)
        block.clear()

    for line in lines:
        if _RECORD.match(line):
            flush()
            kept.append(line)
        elif line.startswith("Traceback") and block and not block[0].startswith("Traceback"):
            flush()
            block.append(line)
        else:
            block.append(line)
    flush()
    return kept, dropped


QUEUE_JOB_MISSING = (
    "!!! QUEUE_JOB MISSING: the end-to-end test of pleo_connector_queue did NOT run: no "
    "'queue_job' addon for {python} on the addons path ({path}) nor importable as "
    "odoo.addons.queue_job. tests/run.sh installs odoo-addon-queue-job (19.0) into a directory "
    "of its own and adds it; see README.md, 'Month-end on queue_job'. !!!"
)


def queue_job_found(settings):
    """Whether the suite's Odoo can load ``queue_job`` (on its addons path, or pip-installed
    into the ``odoo.addons`` namespace of its Python)."""
    for folder in settings.addons_path.split(","):
        if (Path(folder.strip()) / "queue_job" / "__manifest__.py").is_file():
            return True
    odoo_root = os.path.dirname(os.path.abspath(settings.odoo_bin.split()[-1]))
    probe = (
        "import importlib.util, sys; sys.path.insert(0, sys.argv[1]); "
        "sys.exit(0 if importlib.util.find_spec('odoo.addons.queue_job') else 1)"
    )
    done = subprocess.run([settings.python, "-c", probe, odoo_root], check=False, timeout=60)
    return done.returncode == 0


GEVENT_CHECK = "import gevent.monkey; gevent.monkey.patch_all()"


def gevent_problem(python):
    """Why Odoo's gevent process cannot start under ``python`` (the last line of its error),
    or ``None``. A ``--workers`` server spawns that process (its websocket server) at once and
    again each time it dies: one that dies on start is restarted several times a second, each
    start a new interpreter, which keeps about one core busy per server. Seen with a
    ``zope.interface`` whose ``dist-info`` folder is named ``zope_interface-*`` (7.0 and later)
    beside a ``setuptools`` whose ``pkg_resources`` does not match it to gevent's requirement:
    ``pip install --only-binary=:all: 'zope.interface==6.4.post2'`` in that Python mends it."""
    done = subprocess.run(
        [python, "-c", GEVENT_CHECK],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout or f"exit code {done.returncode}").strip().splitlines()
    return lines[-1]


def missing_settings():
    return [name for name in REQUIRED if not os.environ.get(name)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def utc_now_string(delta_seconds=0):
    """Odoo's datetime format, in UTC (what a Datetime field stores)."""
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delta_seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def wait_until(predicate, timeout, interval=0.5, what="the condition"):
    """Poll ``predicate`` until it returns a true value (returned) or ``timeout`` seconds pass
    (then ``TimeoutError`` naming ``what``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(interval)


@dataclass
class Settings:
    odoo_bin: str
    python: str
    template_db: str
    addons_path: str
    template_filestore: str | None
    db_prefix: str
    workdir: Path
    pg: dict = field(default_factory=dict)

    @classmethod
    def from_environment(cls):
        env = os.environ
        workdir = env.get("PLEO_E2E_WORKDIR") or tempfile.mkdtemp(prefix="pleo-e2e-")
        Path(workdir).mkdir(parents=True, exist_ok=True)
        return cls(
            odoo_bin=env["PLEO_E2E_ODOO_BIN"],
            python=env["PLEO_E2E_PYTHON"],
            template_db=env["PLEO_E2E_TEMPLATE_DB"],
            addons_path=env["PLEO_E2E_ADDONS_PATH"],
            template_filestore=env.get("PLEO_E2E_TEMPLATE_FILESTORE") or None,
            db_prefix=env.get("PLEO_E2E_DB_PREFIX") or "pleo_e2e",
            workdir=Path(workdir),
            pg={
                "host": env.get("PGHOST") or "127.0.0.1",
                "port": int(env.get("PGPORT") or 5432),
                "user": env.get("PGUSER") or getpass.getuser(),
                "password": env.get("PGPASSWORD") or "",
            },
        )

    def connect(self, dbname):
        pg = {k: v for k, v in self.pg.items() if v != ""}
        return psycopg2.connect(dbname=dbname, **pg)


_names = itertools.count(1)


class Database:
    """A fresh copy of the template, read directly by the tests (autocommit, short-lived)."""

    def __init__(self, settings, label):
        self.settings = settings
        self.name = f"{settings.db_prefix}_{label}_{os.getpid()}_{next(_names)}"[:63]

    def create(self):
        with contextlib.closing(self.settings.connect("postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                cr.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.settings.template_db}"')

    def drop(self):
        with contextlib.closing(self.settings.connect("postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                cr.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def rows(self, query, params=None):
        with contextlib.closing(self.settings.connect(self.name)) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall()

    def value(self, query, params=None):
        rows = self.rows(query, params)
        return rows[0][0] if rows else None

    def execute(self, query, params=None):
        with contextlib.closing(self.settings.connect(self.name)) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                cr.execute(query, params)


class ServerError(RuntimeError):
    pass


class OdooServer:
    """``odoo-bin`` on its own database, its scheduler on, http on a free loopback port.

    ``options`` are ``odoo.conf`` lines (the ``pleo_*`` server options), ``env`` variables
    added to the server's environment. ``ODOO_NOTIFY_CRON_CHANGES=1`` unless ``env`` sets it
    to "": a change of a scheduled action's next call then wakes the scheduler at once, instead
    of at its next round (60 to 120 s). Odoo then also wakes it after a run that was only
    partly done, which without the variable waits for the next round: a test of how soon a
    sliced job goes on in production runs its server without it.
    """

    def __init__(self, settings, label, *, options=None, env=None, workers=0, sections=None):
        self.settings = settings
        self.label = label
        self.db = Database(settings, label)
        self.options = dict(options or {})
        #: Other sections of ``odoo.conf``: ``{"queue_job": {"channels": "root:4"}}``.
        self.sections = dict(sections or {})
        self.env = dict(env or {})
        self.workers = workers
        self.port = free_port()
        self.gevent_port = free_port()
        self.dir = settings.workdir / self.db.name
        self.log_path = self.dir / "odoo.log"
        self.conf_path = self.dir / "odoo.conf"
        self.process = None
        self.starts = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout=120):
        self._prepare()
        self._spawn()
        self.wait_ready(timeout)
        return self

    def _prepare(self):
        """Its directory, its database (a copy of the template), filestore and ``odoo.conf``."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db.create()
        filestore = self.settings.template_filestore
        if filestore and Path(filestore).is_dir():
            shutil.copytree(filestore, self.dir / "data" / "filestore" / self.db.name)
        self._write_conf()

    def install(self, modules, timeout=900):
        """Install ``modules`` (``odoo-bin -i``, no server) on a fresh copy of the template;
        returns :class:`Settings` whose template is that copy, for a suite of its own. Raises
        :class:`ServerError` (with the log's tail) when the install fails."""
        self._prepare()
        self.run_once(("-i", ",".join(modules)), f"installing {', '.join(modules)}", timeout)
        return dataclasses.replace(
            self.settings,
            template_db=self.db.name,
            template_filestore=str(self.dir / "data" / "filestore" / self.db.name),
        )

    def run_once(self, arguments, what, timeout=900):
        """``odoo-bin`` with ``arguments`` (``-i``/``-u`` ...) on this server's database and
        ``odoo.conf``, ``--stop-after-init``, no server; returns what it added to the log.
        Raises :class:`ServerError` (with the log's tail) when it fails or logs an ERROR."""
        odoo = self.settings.odoo_bin
        command = [
            self.settings.python,
            *(odoo.split() if odoo.startswith("-m ") else [odoo]),
            *("-c", str(self.conf_path), "-d", self.db.name, *arguments),
            *("--stop-after-init", "--no-http"),
        ]
        env = {k: v for k, v in os.environ.items() if k.lower() not in NETWORK_VARIABLES}
        since = self.log_size()
        with open(self.log_path, "ab") as log:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout,
                check=False,
            )
        added = self.log_text()[since:]
        errors = [line for line in added.splitlines() if " ERROR " in line]
        if done.returncode or errors:
            raise ServerError(f"{what} failed\n" + self.log_tail())
        return added

    def _write_conf(self):
        pg = self.settings.pg
        lines = [
            "[options]",
            f"db_host = {pg['host']}",
            f"db_port = {pg['port']}",
            f"db_user = {pg['user']}",
            f"addons_path = {self.settings.addons_path}",
            f"data_dir = {self.dir / 'data'}",
            "http_interface = 127.0.0.1",
            "log_level = info",
            "list_db = False",
        ]
        if pg.get("password"):
            lines.append(f"db_password = {pg['password']}")
        lines += [f"{name} = {value}" for name, value in self.options.items()]
        for section, values in self.sections.items():
            lines += [f"[{section}]", *(f"{name} = {value}" for name, value in values.items())]
        self.conf_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _spawn(self):
        odoo = self.settings.odoo_bin  # a path to odoo-bin, or "-m odoo"
        command = [
            self.settings.python,
            *(odoo.split() if odoo.startswith("-m ") else [odoo]),
            "-c",
            str(self.conf_path),
            "-d",
            self.db.name,
            f"--db-filter=^{self.db.name}$",
            f"--http-port={self.port}",
            "--max-cron-threads=1",
            f"--workers={self.workers}",
        ]
        if self.workers:
            command.append(f"--gevent-port={self.gevent_port}")
        env = {k: v for k, v in os.environ.items() if k.lower() not in NETWORK_VARIABLES}
        env.update({"ODOO_NOTIFY_CRON_CHANGES": "1", **self.env})
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== e2e: start #{self.starts}: {' '.join(command)}\n".encode())
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: kill() reaches the workers
            )

    def wait_ready(self, timeout=120):
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise ServerError(
                    f"odoo-bin exited with {self.process.returncode} while starting\n"
                    + self.log_tail()
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/web/health", timeout=2).status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.3)
        raise ServerError(f"odoo-bin not ready within {timeout} s\n" + self.log_tail())

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL the server and its workers: no shutdown, no rollback, no cleanup."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def restart(self, timeout=120):
        self.kill()
        self._spawn()
        return self.wait_ready(timeout)

    def stop(self):
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        # A SIGTERM'd prefork master may leave a worker behind for a moment.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def destroy(self):
        self.stop()
        self.db.drop()
        shutil.rmtree(self.dir / "data", ignore_errors=True)

    # ------------------------------------------------------------------ its log

    def log_text(self):
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        """The log's last lines, without the failed starts of the gevent process (see
        :func:`without_gevent_failures`)."""
        kept, dropped = without_gevent_failures(self.log_text().splitlines())
        tail = kept[-lines:]
        note = f" ({dropped} failed starts of Odoo's gevent process left out)" if dropped else ""
        return f"----- last {len(tail)} lines of {self.log_path}{note}\n" + "\n".join(tail)

    def log_lines(self, *needles, since=0):
        """Lines of the log (after character offset ``since``) holding every needle."""
        return [
            line
            for line in self.log_text()[since:].splitlines()
            if all(needle in line for needle in needles)
        ]

    def log_size(self):
        return len(self.log_text())

    # ------------------------------------------------------------------ sessions

    def rpc(self, login="admin", password="admin", timeout=60):  # noqa: S107 (a test database)
        return Rpc(self.url, self.db.name, login, password, timeout=timeout).authenticate()


class RpcError(RuntimeError):
    """An error answer of Odoo: ``name`` is the exception's class (``odoo.exceptions.…``)."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class Rpc:
    """One user's web-client session: JSON-RPC as the browser sends it."""

    def __init__(self, url, db, login, password, timeout=60):
        self.url, self.db, self.login, self.password = url, db, login, password
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # the shell's proxies are not the web client's
        self.uid = None
        self.context = {}
        self._ids = itertools.count(1)

    def post(self, path, params, timeout=None):
        payload = {"jsonrpc": "2.0", "method": "call", "params": params, "id": next(self._ids)}
        response = self.session.post(self.url + path, json=payload, timeout=timeout or self.timeout)
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            data = body["error"].get("data") or {}
            raise RpcError(
                data.get("name") or "error", data.get("message") or body["error"].get("message")
            )
        return body.get("result")

    def authenticate(self):
        info = self.post(
            "/web/session/authenticate",
            {"db": self.db, "login": self.login, "password": self.password},
        )
        self.uid = info["uid"]
        self.context = dict(info.get("user_context") or {})
        return self

    def _context(self, company=None, extra=None):
        context = dict(self.context)
        if company:
            context["allowed_company_ids"] = [company]
        context.update(extra or {})
        return context

    def call(self, model, method, *args, company=None, context=None, timeout=None, **kwargs):
        """``call_kw``: ``model.method(*args, **kwargs)``, in ``company`` when given."""
        kwargs["context"] = self._context(company, context)
        return self.post(
            f"/web/dataset/call_kw/{model}.{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
            timeout=timeout,
        )

    def button(self, model, method, ids, *, company=None, context=None, timeout=None):
        """A button of a form (``call_button``): returns the action it answers."""
        return self.post(
            f"/web/dataset/call_button/{model}.{method}",
            {
                "model": model,
                "method": method,
                "args": [list(ids)],
                "kwargs": {"context": self._context(company, context)},
            },
            timeout=timeout,
        )

    def save(self, model, record_id, values, *, company=None, timeout=None):
        """The form's Save (``web_save``) of ``values`` on one record."""
        return self.call(
            model,
            "web_save",
            [record_id],
            values,
            company=company,
            specification={"display_name": {}},
            timeout=timeout,
        )

    def xmlid(self, xmlid):
        module, name = xmlid.split(".", 1)
        rows = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        if not rows:
            raise LookupError(xmlid)
        return rows[0]["res_id"]


def server_options(sandbox, **extra):
    """The ``pleo_*`` server options (README's table) pointing at ``sandbox``."""
    return {
        "pleo_api_url": sandbox.url("production"),
        "pleo_api_url_staging": sandbox.url("staging"),
        "pleo_encryption_keys": Fernet.generate_key().decode(),
        "pleo_receipts_allow_http": "True",
        # the sandbox's file host listens on loopback, which receipt downloads refuse otherwise
        "pleo_receipt_allowed_hosts": "127.0.0.1",
        "pleo_http_timeout": "10",
        "pleo_max_retry_wait": "2",
        **extra,
    }


@contextlib.contextmanager
def running_server(settings, label, sandbox, *, workers=0, env=None, options=None, sections=None):
    """A started :class:`OdooServer`; stopped and its database dropped afterwards."""
    server = OdooServer(
        settings,
        label,
        options=server_options(sandbox, **(options or {})),
        env=env,
        workers=workers,
        sections=sections,
    )
    try:
        server.start()
        yield server
    finally:
        server.destroy()


def watch(request, *servers):
    """On failure, the report of ``request``'s test shows the tail of each server's log."""
    request.node.e2e_servers = list(servers)
