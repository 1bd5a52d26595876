# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Tests on real, separate transactions: committed cursors and the clean-up after them.

Concurrency and ``pg_dump`` tests need what a ``TransactionCase`` cannot give: transactions of
their own, committed. :class:`CommittedDataMixin` removes what they committed and fails the test
if any table's row count differs afterwards.
"""

from contextlib import contextmanager

from odoo import api, sql_db
from odoo.orm.environments import Transaction
from odoo.tests.common import get_db_name

from .leak_tools import table_counts


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
