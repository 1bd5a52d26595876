# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared set-up of the Odoo tests: the Pleo sandbox on loopback, companies, users, keys.

The sandbox lives in the repository's ``tests/pleo_sandbox`` (it is also the demo server);
these tests need that checkout. HTTP goes to 127.0.0.1 only, which Odoo's test mode allows.
"""

import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from odoo.tests import TransactionCase, common, new_test_user
from odoo.tools import config

_REPO = Path(__file__).resolve().parents[2]
if (_REPO / "tests" / "pleo_sandbox").is_dir() and str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from tests import pleo_sandbox  # noqa: E402  pylint: disable=wrong-import-position

from ..pleolib import redaction  # noqa: E402


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
        cls.manager_a = new_test_user(
            cls.env,
            "pleo_manager_a",
            groups="base.group_user,pleo_connector.group_pleo_manager,account.group_account_manager",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.manager_b = new_test_user(
            cls.env,
            "pleo_manager_b",
            groups="base.group_user,pleo_connector.group_pleo_manager,account.group_account_manager",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.accountant_a = new_test_user(
            cls.env,
            "pleo_accountant_a",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.employee_a = new_test_user(
            cls.env,
            "pleo_employee_a",
            groups="base.group_user",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.portal_a = new_test_user(
            cls.env,
            "pleo_portal_a",
            groups="base.group_portal",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.admin_a = new_test_user(
            cls.env,
            "pleo_admin_a",
            groups="base.group_user,base.group_system,account.group_account_manager",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.Connection = cls.env["pleo.connection"]
        cls.conn_a = cls.Connection.create({"company_id": cls.company_a.id})
        cls.conn_b = cls.Connection.create({"company_id": cls.company_b.id})

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
