# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up of the Odoo tests: the Pleo sandbox on loopback, companies, users, keys.

The sandbox is the ``pleo_sandbox`` package beside these tests (it is also the demo server), so
the addon runs its own tests when shipped alone. HTTP goes to 127.0.0.1 only, which Odoo's test
mode allows.
"""

import base64
import http.client
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from odoo import api, sql_db
from odoo.orm.environments import Transaction
from odoo.tests import TransactionCase, common, new_test_user
from odoo.tests.common import get_db_name
from odoo.tools import SQL, config

from ..pleolib import redaction
from . import pleo_sandbox


class PleoSandboxMixin:
    """Start one sandbox per test class and point every connection at it."""

    #: Server options for the tests: short timeouts and waits keep failure tests fast.
    pleo_options = {"pleo_http_timeout": "2", "pleo_max_retry_wait": "0.2"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox_module = pleo_sandbox
        cls.sandbox = pleo_sandbox.PleoSandbox()
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.encryption_key = Fernet.generate_key().decode()
        cls.startClassPatcher(
            patch.dict(
                config.options,
                {
                    "pleo_api_url": cls.sandbox.url("production"),
                    "pleo_api_url_staging": cls.sandbox.url("staging"),
                    "pleo_encryption_keys": cls.encryption_key,
                    **cls.pleo_options,
                },
            )
        )

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """Send loopback requests with the client's own (connect, read) timeouts.

        Odoo's test harness raises every timeout below 10 s to 10 s (and cannot compare the
        tuple timeouts the Pleo client uses); the sandbox is on loopback, so the timeout tests
        keep their short timeouts. Requests to any other host are still blocked by Odoo.
        """
        if urlsplit(r.url).hostname in ("127.0.0.1", "localhost"):
            return common._super_send(s, r, **kw)  # pylint: disable=protected-access
        return super()._request_handler(s, r, **kw)

    def setUp(self):
        super().setUp()
        self.sandbox.clear_faults()
        self.sandbox.set_latency(0)
        self.sandbox.reset_requests()


class PleoCase(PleoSandboxMixin, TransactionCase):
    """Two companies, their users, and a Pleo company with a valid key for each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_a.name = "Odoo Company A"
        cls.company_b = cls.env["res.company"].create({"name": "Odoo Company B"})
        manager = "base.group_user,pleo_connector.group_pleo_manager,account.group_account_manager"
        admin = "base.group_user,base.group_system,account.group_account_manager"
        for attribute, company, groups in (
            ("manager_a", cls.company_a, manager),
            ("manager_b", cls.company_b, manager),
            ("accountant_a", cls.company_a, "base.group_user,account.group_account_invoice"),
            ("employee_a", cls.company_a, "base.group_user"),
            ("portal_a", cls.company_a, "base.group_portal"),
            ("admin_a", cls.company_a, admin),
        ):
            user = new_test_user(
                cls.env,
                f"pleo_{attribute}",
                groups=groups,
                company_id=company.id,
                company_ids=[company.id],
            )
            setattr(cls, attribute, user)
        cls.Connection = cls.env["pleo.connection"]
        # Every company has its connection from the start (post-init hook, res.company.create).
        cls.conn_a = cls.company_a.pleo_connection_ids
        cls.conn_b = cls.company_b.pleo_connection_ids

    def setUp(self):
        super().setUp()
        # Fresh Pleo companies per test: the sandbox outlives each test's rolled-back transaction.
        self.pleo_a = self.sandbox.add_company("Pleo Alpha ApS")
        self.pleo_b = self.sandbox.add_company("Pleo Beta AB")

    def mint(self, pleo_company=None, **kwargs):
        """A fresh sandbox key (of Pleo company A by default)."""
        return self.sandbox.mint_key(company_id=pleo_company or self.pleo_a, **kwargs)

    def connect(self, connection=None, key=None, user=None):
        """Save & Test ``key`` on ``connection`` as ``user`` (manager A by default)."""
        connection = connection or self.conn_a
        key = self.mint() if key is None else key
        connection.with_user(user or self.manager_a).write({"api_key": key})
        return key

    def stored_token(self, connection):
        self.env.cr.execute("SELECT key_token FROM pleo_connection WHERE id = %s", [connection.id])
        return self.env.cr.fetchone()[0]


@contextmanager
def capture_all_logs():
    """Capture every log record (DEBUG and up) of every logger, formatted with tracebacks."""
    records = []

    class _Collect(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = _Collect(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    # The connector's redaction filter sits on every root handler; ours gets it too.
    handler.addFilter(redaction.FILTER)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    touched = {}
    for name in ("requests", "urllib3", "odoo", "odoo.addons.pleo_connector"):
        logger = logging.getLogger(name)
        touched[name] = logger.level
        logger.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in touched.items():
            logging.getLogger(name).setLevel(level)


# ---------------------------------------------------------------------------------------------
# Evidence helpers (issue 5): leak hunting, a scriptable loopback "Pleo", real transactions.


class LeakHunter:
    """Finds a secret in text: the secret itself or any ``WINDOW`` consecutive characters of it.

    Each key is hunted in three forms: as typed, as the base64 of ``"<key>:"`` (what a Basic
    ``Authorization`` header carries) and as hexadecimal (how PostgreSQL prints ``bytea``). A
    manager may see ``key_hint`` (``••••`` + the last 4 characters): 4 < ``WINDOW``, so it never
    counts as a hit. Every occurrence of a secret of at least ``WINDOW`` characters contains one
    of the secret's aligned blocks of ``WINDOW // 2`` characters; the hunt looks for those
    blocks with ``str.find`` and measures each candidate, so a whole database is searched fast.
    """

    WINDOW = 8

    def __init__(self, *keys):
        self.forms = []
        for key in keys:
            self.add(key)

    def add(self, key):
        """Hunt ``key`` (and its Basic-auth and hexadecimal forms) too; return it."""
        basic = base64.b64encode(f"{key}:".encode()).decode("ascii")
        for label, text, window in (
            ("key", key, self.WINDOW),
            ("base64 key:", basic, self.WINDOW),
            ("hex key", key.encode().hex(), 2 * self.WINDOW),
        ):
            if (label, text, window) not in self.forms:
                self.forms.append((label, text, window))
        return key

    def find(self, text):
        """``[(label, start, length)]`` of every run of ``text`` long enough to reveal a secret."""
        found = {}
        for label, secret, window in self.forms:
            if len(secret) < window:
                if secret in text:
                    found[label, text.find(secret)] = len(secret)
                continue
            step = window // 2
            for start in range(0, len(secret) - step + 1, step):
                block = secret[start : start + step]
                position = text.find(block)
                while position != -1:
                    left = 0
                    while (
                        left < start
                        and left < position
                        and text[position - left - 1] == secret[start - left - 1]
                    ):
                        left += 1
                    right = 0
                    end = start + step
                    while (
                        end + right < len(secret)
                        and position + step + right < len(text)
                        and text[position + step + right] == secret[end + right]
                    ):
                        right += 1
                    if left + step + right >= window:
                        found[label, position - left] = left + step + right
                    position = text.find(block, position + 1)
        return [(label, start, length) for (label, start), length in sorted(found.items())]

    def hits(self, where, text):
        """Human-readable descriptions of the hits in ``text`` (found at ``where``)."""
        if not isinstance(text, str):
            text = repr(text)
        return [
            f"{where}: {label} ({length} chars) in {text[max(0, at - 80) : at + length + 80]!r}"
            for label, at, length in self.find(text)
        ]


class _EveryRecord(logging.Handler):
    """The handler of :func:`capture_every_log`: keeps each record's formatted text."""

    def __init__(self, records):
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record):
        try:
            self.records.append(self.format(record))
        except Exception as error:  # a broken record must not hide what it carried
            self.records.append(f"{record.name} UNFORMATTED {record.msg!r} {record.args!r} {error}")


@contextmanager
def capture_every_log(redact=True):
    """Capture every log record of every logger at DEBUG, formatted with its traceback.

    Unlike :func:`capture_all_logs`, every existing logger is lowered to DEBUG (Odoo's test
    settings raise ``odoo``, ``werkzeug`` and others), disabled loggers are re-enabled, and
    loggers that do not propagate get the handler too. With ``redact`` the handler carries the
    connector's redaction filter, as every production handler does (``redaction.install``);
    without it the handler shows what the code itself logs. Yields the list of texts.
    """
    records = []
    handler = _EveryRecord(records)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s [%(threadName)s] %(message)s"))
    if redact:
        handler.addFilter(redaction.FILTER)
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    saved = {logger: (logger.level, logger.disabled) for logger in loggers}
    disabled_level = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    isolated = [logger for logger in loggers if not logger.propagate]
    # The console and other handlers keep printing warnings and errors only.
    quieted = {other: other.level for other in root.handlers if not isinstance(other, _EveryRecord)}
    for other in quieted:
        other.setLevel(max(other.level, logging.WARNING))
    # First among the root's handlers: no other handler's filter has touched a record yet.
    root.handlers.insert(0, handler)
    for logger in isolated:
        logger.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        for other, level in quieted.items():
            other.setLevel(level)
        for logger in isolated:
            logger.removeHandler(handler)
        for logger, (level, disabled) in saved.items():
            logger.setLevel(level)
            logger.disabled = disabled
        logging.disable(disabled_level)


def database_tables(cr):
    """The names of every table of the database's public schema."""
    cr.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [name for (name,) in cr.fetchall()]


def database_texts(cr):
    """``(where, text)`` of every table: each row cast to text, every column of any type.

    Runs on ``cr``, so it sees that transaction's uncommitted rows (a TransactionCase's data is
    invisible to ``pg_dump``). ``row::text`` covers text, varchar, jsonb (translations, json
    fields, properties), html and bytea (printed in hexadecimal) columns alike.
    """
    for table in database_tables(cr):
        cr.execute(SQL("SELECT t::text FROM %s t", SQL.identifier(table)))
        yield f"table {table}", "\n".join(row for (row,) in cr.fetchall())


def table_counts(cr):
    """``{table: row count}`` of every table."""
    counts = {}
    for table in database_tables(cr):
        cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
        counts[table] = cr.fetchone()[0]
    return counts


def independent_cursor():
    """A cursor on a PostgreSQL connection of its own, committed when its ``with`` block ends.

    ``self.registry.cursor()`` is the test's own transaction in an ``HttpCase`` (registry test
    mode hands out ``TestCursor`` wrappers); ``sql_db.db_connect`` never is: each call is a
    separate connection and transaction, as two web workers and the cron would have.
    """
    return sql_db.db_connect(get_db_name()).cursor()


@contextmanager
def independent_env(registry, uid=None):
    """An environment on an :func:`independent_cursor`, committed when the block ends.

    The environment is bound to ``registry`` (the test's) instead of looking it up by database
    name: Odoo's own test runner (``odoo-bin --test-enable``) holds the registry lock while the
    post-install tests run, so ``Registry(dbname)`` from another thread would wait for the end
    of the whole run.
    """
    with independent_cursor() as cr:
        cr.transaction = Transaction(registry)
        yield api.Environment(cr, uid or api.SUPERUSER_ID, {})


# --------------------------------------------------------------------- a scriptable loopback Pleo


@dataclass
class Answer:
    """What :class:`LoopbackPleo` answers: a status, a body, headers; ``stream`` more bytes of
    spaces sent after the body without a ``Content-Length`` (an endless answer)."""

    status: int = 200
    body: bytes = b"{}"
    content_type: str | None = "application/json;charset=UTF-8"
    headers: dict = field(default_factory=dict)
    stream: int = 0


class _LoopbackHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):
        self.server.owner.answer(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, *args):
        """Quiet: the recorder keeps what arrived."""


class LoopbackPleo:
    """A tiny HTTP server on 127.0.0.1 for answers the Pleo sandbox cannot give, and a recorder.

    ``script`` maps a path, or a ``(method, path)`` pair, to an :class:`Answer` or to a function
    ``(handler) -> Answer``; other requests are forwarded to ``forward_to`` (a base URL, e.g. the
    sandbox's) or answered 404. ``received`` lists ``(method, path, headers)`` of every request.
    """

    def __init__(self, script=None, forward_to=None):
        self.script = dict(script or {})
        self.forward_to = forward_to
        self.received = []
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _LoopbackHandler)
        self._server.daemon_threads = True
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, handler):
        path = urlsplit(handler.path).path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        self.received.append((handler.command, path, dict(handler.headers.items())))
        answer = self.script.get((handler.command, path), self.script.get(path))
        if callable(answer):
            answer = answer(handler)
        if answer is None:
            answer = self._forward(handler, body) if self.forward_to else Answer(404)
        try:
            handler.send_response(answer.status)
            if answer.content_type:
                handler.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            if answer.stream:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            else:
                handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
            chunk = b" " * 65536
            for _sent in range(0, answer.stream, len(chunk)):
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading: good
            handler.close_connection = True

    def _forward(self, handler, body):
        target = urlsplit(self.forward_to)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        try:
            headers = {
                name: value
                for name, value in handler.headers.items()
                if name.lower() in ("authorization", "content-type", "accept")
            }
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return Answer(
                response.status,
                response.read(),
                response.getheader("Content-Type"),
                {
                    name: value
                    for name, value in response.getheaders()
                    if name.lower() in ("retry-after", "location")
                },
            )
        finally:
            connection.close()


def basic_auth_user(headers):
    """The user name (the API key) of a Basic ``Authorization`` header in ``headers``, or ``""``."""
    scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(encoded).decode().partition(":")[0]
    except ValueError:
        return ""


# ------------------------------------------------------------------ committed data, cleaned up


class CommittedDataMixin:
    """Tests that need real, separate transactions (concurrency, ``pg_dump``) commit their data.

    Records created through :meth:`committed_env` and registered with :meth:`to_remove` are
    removed after the test, and the test fails if any table then holds more or fewer rows than
    before it: nothing committed is left behind.
    """

    @contextmanager
    def committed_env(self, uid=None):
        """An environment on an independent cursor, committed when the block ends."""
        with independent_env(self.registry, uid) as env:
            yield env

    def setUp(self):
        super().setUp()
        self._to_remove = []
        self._restore_connections = []
        with independent_cursor() as cr:
            self._counts_before = table_counts(cr)
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM bus_bus")
            self._bus_watermark = cr.fetchone()[0]
        self.addCleanup(self._remove_committed_data)

    def fresh_committed_connection(self, env, company):
        """A new draft connection of ``company`` on a committed cursor, removed after the test.

        The company's own connection is replaced for the test and a plain draft one is put back
        afterwards, so the database ends as it started.
        """
        env["pleo.connection"].search([("company_id", "=", company.id)]).unlink()
        self._restore_connections.append(company.id)
        return self.to_remove(env["pleo.connection"].create({"company_id": company.id}))

    def to_remove(self, records):
        """Remove ``records`` (committed) after the test; returns them."""
        self._to_remove.append((records._name, records.ids))
        return records

    def _remove_committed_data(self):
        with self.committed_env() as env:
            for model, ids in reversed(self._to_remove):
                records = env[model].browse(ids).exists()
                if model == "pleo.connection" and records:
                    # Bound connections refuse deletion (by design); the test is over.
                    env.cr.execute(
                        "UPDATE pleo_connection SET state = 'draft' WHERE id IN %s",
                        [tuple(records.ids)],
                    )
                    records.invalidate_recordset()
                partners = records.partner_id if model == "res.users" else None
                records.unlink()
                if partners:
                    partners.unlink()
            env["res.company"].browse(self._restore_connections)._create_pleo_connections()
            # Notifications (bus.bus) of the committed transactions: nothing refers to them.
            env.cr.execute("DELETE FROM bus_bus WHERE id > %s", [self._bus_watermark])
        with independent_cursor() as cr:
            after = table_counts(cr)
        changed = {
            table: (self._counts_before.get(table), count)
            for table, count in after.items()
            if count != self._counts_before.get(table)
        }
        self.assertFalse(changed, f"committed data left behind (rows before, after): {changed}")
