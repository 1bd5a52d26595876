# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up of the Odoo tests: the Pleo sandbox on loopback, companies, users, keys.

The sandbox is the ``pleo_sandbox`` package beside these tests (it is also the demo server), so
the addon runs its own tests when shipped alone. HTTP goes to 127.0.0.1 only, which Odoo's test
mode allows.
"""

from datetime import timedelta
from unittest.mock import patch
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from odoo import fields
from odoo.tests import TransactionCase, common, new_test_user
from odoo.tools import config, mute_logger

from ..pleolib import redaction
from . import pleo_sandbox

# Re-exported: tests import these from ``.common``.
from .committed import CommittedDataMixin, independent_cursor, independent_env
from .leak_tools import (
    LeakHunter,
    capture_every_log,
    database_tables,
    database_texts,
    table_counts,
)
from .pleo_sandbox.scripted import basic_auth_user

__all__ = [
    "HEALTH_LOGGER",
    "CommittedDataMixin",
    "ConnectedCase",
    "HealthCronMixin",
    "LeakHunter",
    "PleoCase",
    "PleoSandboxMixin",
    "basic_auth_user",
    "capture_every_log",
    "database_tables",
    "database_texts",
    "independent_cursor",
    "independent_env",
    "stored_token",
    "table_counts",
]

HEALTH_LOGGER = "odoo.addons.pleo_connector.models.pleo_connection_health"


def stored_token(cr, connection):
    """The encrypted key stored for ``connection`` (None when it holds none), read in SQL."""
    cr.execute(
        "SELECT key_token FROM pleo_connection_key WHERE connection_id = %s", [connection.id]
    )
    row = cr.fetchone()
    return row[0] if row else None


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
    def connect_server_side(cls, company, pleo_name="Nordlys Trading ApS"):
        """Connect ``company`` to a new sandbox company on the server side (a browser tour
        never sees a key): sets ``cls.pleo_company``, ``cls.key`` (masked in the logs until
        the class ends) and ``cls.connection``."""
        cls.pleo_company = cls.sandbox.add_company(pleo_name)
        cls.key = cls.sandbox.mint_key(cls.pleo_company)
        redaction.register_secret(cls.key)
        cls.addClassCleanup(redaction.unregister_secret, cls.key)
        cls.connection = cls.env["pleo.connection"]._get_for_company(company)
        cls.connection._connect(cls.key)
        return cls.connection

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
        return stored_token(self.env.cr, connection)


class HealthCronMixin:
    """The health-check cron run in the test's transaction, on connections made due for it."""

    #: Loggers muted while the cron runs (it logs the failures the tests provoke).
    cron_muted_loggers = (HEALTH_LOGGER,)

    def fake_commit_progress(self, processed=0, *, remaining=None, deactivate=False):
        """``ir.cron._commit_progress`` in a test: outside a real cron run it commits, which a
        test's transaction must not; no commit here, and all the time in the world."""
        return float("inf")

    def patch_commit_progress(self):
        """Until the test ends, ``ir.cron._commit_progress`` is :meth:`fake_commit_progress`."""
        self.startPatcher(
            patch.object(type(self.env["ir.cron"]), "_commit_progress", self.fake_commit_progress)
        )

    def age(self, connections=None, hours=2, scope_hours=None):
        """Make ``connections`` (both companies' by default) due for a check: last checked
        ``hours`` ago; with ``scope_hours``, their scopes last checked that many hours ago."""
        now = fields.Datetime.now()
        values = {"last_check_date": now - timedelta(hours=hours)}
        if scope_hours is not None:
            values["last_scope_check_date"] = now - timedelta(hours=scope_hours)
        (connections or self.conn_a | self.conn_b).sudo().write(values)

    def run_cron(self, **kwargs):
        """Run the health cron (``kwargs`` are its arguments) and return what it returns."""
        self.env.flush_all()
        with mute_logger(*self.cron_muted_loggers):
            result = self.env["pleo.connection"]._cron_health_check(**kwargs)
        self.env.invalidate_all()
        return result


class ConnectedCase(HealthCronMixin, PleoCase):
    """Both companies connected (``key_a``, ``key_b``); ``_commit_progress`` faked throughout."""

    def setUp(self):
        super().setUp()
        self.key_a = self.connect(self.conn_a, user=self.manager_a)
        self.key_b = self.connect(self.conn_b, key=self.mint(self.pleo_b), user=self.manager_b)
        self.patch_commit_progress()
        self.sandbox.reset_requests()
