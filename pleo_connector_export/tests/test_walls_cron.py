# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The export cron's walls between companies, tried the way the red team broke them.

* "Fetch exports now" runs the companies of the connections pressed, which the user manages:
  a Pleo Manager of A does not start B's export run (with B's key and B's Pleo rate limit).
* One company's database error (an aborted transaction) is rolled back before anything else
  reads the database, so the cron's error handler cannot crash and the next company still runs.
"""

from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ACCOUNTS, ExportCase
from .test_export import item_line, make_item


@tagged("post_install", "-at_install", "pleo_export")
class TestExportCronWalls(ExportCase):
    def setUp(self):
        super().setUp()
        # Company B books its exports too: its chart, its Pleo journal, its key.
        env = self.env
        accounts_b = {
            code: env["account.account"].create(
                {
                    "code": code,
                    "name": f"{name} B",
                    "account_type": kind,
                    "company_ids": [self.company_b.id],
                }
            )
            for code, (name, kind) in ACCOUNTS.items()
        }
        journal_b = env["account.journal"].create(
            {
                "name": "Pleo B",
                "code": "PLEOB",
                "type": "bank",
                "company_id": self.company_b.id,
                "default_account_id": accounts_b["5850"].id,
            }
        )
        self.connect(self.conn_b, key=self.mint(self.pleo_b), user=self.manager_b)
        self.conn_b.write({"export_enabled": True, "export_journal_id": journal_b.id})
        self.sandbox.reset_requests()

    def jobs_of_both(self):
        job_a = self.add_job(items=[make_item(item_line(1000))])
        job_b = self.add_job(pleo_company=self.pleo_b, items=[make_item(item_line(2000))])
        self.new_round()  # both companies are due
        return job_a, job_b

    def test_fetch_now_runs_only_the_pressed_company(self):
        job_a, job_b = self.jobs_of_both()
        action = self.press(self.conn_a.with_user(self.manager_a).action_fetch_exports)
        self.assertIn("1 booked, 0 failed", action["params"]["message"])
        self.assertEqual(self.pleo_job(job_a)["status"], "completed")
        self.assertEqual(self.job(job_a).state, "completed")
        # B's export was not touched: still pending at Pleo, never started, unknown to Odoo.
        self.assertEqual(self.pleo_job(job_b)["status"], "pending")
        self.assertFalse(self.pleo_job(job_b)["events"])
        self.assertFalse(self.job(job_b))
        # B is still due for the scheduler, which books it in its own run.
        self.assertFalse(self.conn_b.export_polled_at)
        self.run_export()
        self.assertEqual(self.pleo_job(job_b)["status"], "completed")

    def test_a_database_error_of_one_company_does_not_stop_the_next(self):
        job_a, job_b = self.jobs_of_both()
        Connection = type(self.env["pleo.connection"])
        real = Connection._export_run
        conn_a = self.conn_a

        def broken_sql_for_a(connection, slice_, tally):
            if connection == conn_a:
                connection.env.invalidate_all()  # the handler must read from the database
                connection.env.cr.execute("SELECT no_such_column FROM pleo_connection")
            return real(connection, slice_, tally)

        with (
            patch.object(Connection, "_export_run", broken_sql_for_a),
            mute_logger("odoo.sql_db"),
        ):
            self.run_export()  # raises if the handler crashed
        self.assertEqual(self.pleo_job(job_b)["status"], "completed")
        job = self.job(job_b)
        self.assertEqual(job.state, "completed")
        self.assertEqual(job.item_ids.mapped("state"), ["booked"])
        self.assertEqual(self.pleo_job(job_a)["status"], "pending")
