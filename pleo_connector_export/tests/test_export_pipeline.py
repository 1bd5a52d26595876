# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The export job pipeline: exactly once through crashes, Pleo's 409/422/expiry, pagination,
rate limits and outages mid-job, one company's trouble, neutralized copies, access rights, and
no key anywhere the export writes.
"""

from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from odoo.addons.pleo_connector.models.ir_cron import Press
from odoo.addons.pleo_connector.pleolib import export_api, slices
from odoo.addons.pleo_connector.pleolib.client import PleoClient
from odoo.addons.pleo_connector.tests.common import LeakHunter, capture_every_log, database_texts

from ..models.pleo_connection import EXPORT_CRON_XMLID
from .common import ExportCase
from .test_export import item_line, make_item

EXPORTS_URL = "/odoo/action-pleo_connector_export.pleo_export_job_action"

ITEMS = "/v3/export-items"
EVENTS = "/v3/export-job-events"


@tagged("post_install", "-at_install", "pleo_export")
class TestExportPipeline(ExportCase):
    def assertExactlyOnce(self, job_uuid, count):
        """Every item booked once, reported successful once booked, the job completed."""
        moves = self.moves()
        self.assertEqual(len(moves), count)
        self.assertEqual(len(set(moves.mapped("pleo_entry_uuid"))), count)
        pleo = self.pleo_job(job_uuid)
        self.assertEqual(pleo["status"], "completed", pleo["events"])
        for row in pleo["items"]:
            self.assertEqual(row["status"], "successful")
            move = moves.filtered(lambda m, e=row["accountingEntryId"]: m.pleo_entry_uuid == e)
            self.assertEqual(row["externalId"], str(move.id))
        finals = [e["event"] for e in pleo["events"] if e["event"] != "started"]
        self.assertEqual(finals, ["completed"], "the final event is sent once")
        self.assertEqual([e["event"] for e in pleo["events"]].count("started"), 1)

    def test_pagination_over_250_items(self):
        job_uuid = self.add_job(n=250, types=["card_purchase"], seed="many", with_files=False)
        self.run_export()
        self.assertExactlyOnce(job_uuid, 250)
        self.assertGreaterEqual(self.sandbox.count("GET", ITEMS), 3)
        puts = self.sandbox.count("PUT", f"/v3/export-jobs/{job_uuid}/items")
        self.assertEqual(puts, 3, "results sent in batches of at most 100")

    def test_crash_after_commit_before_report(self):
        """The page is committed, the process dies before Pleo hears of it: the next run reports
        the same moves and books nothing twice."""
        job_uuid = self.add_job(n=5, types=["card_purchase"], seed="crash1", with_files=False)
        job_model = type(self.env["pleo.export.job"])
        self.crash_run(job_model, "_book_page")  # dies right after booking (before the commit)
        self.assertFalse(self.moves(), "the uncommitted page is gone")
        # dies right after the page's commit, before Pleo is told
        self.crash_run(slices.TimeSlice, "commit")
        self.assertEqual(len(self.moves()), 5, "committed before Pleo was told")
        self.assertFalse(
            [row for row in self.pleo_job(job_uuid)["items"] if row["status"] == "successful"]
        )
        self.run_export()
        self.assertExactlyOnce(job_uuid, 5)

    def test_crash_after_report_before_finish(self):
        job_uuid = self.add_job(n=3, types=["card_purchase"], seed="crash2", with_files=False)
        self.crash_run(type(self.env["pleo.export.job"]), "_report")
        self.assertEqual(self.pleo_job(job_uuid)["status"], "in_progress")
        self.run_export()
        self.assertExactlyOnce(job_uuid, 3)
        self.assertEqual(self.job(job_uuid).state, "completed")

    def test_crash_after_the_final_event(self):
        job_uuid = self.add_job(n=2, types=["card_purchase"], seed="crash3", with_files=False)
        self.crash_run(export_api.ExportApi, "send_event")  # dies after "started" reached Pleo
        self.assertEqual(self.pleo_job(job_uuid)["status"], "in_progress")
        self.run_export()  # resumes the claimed job without sending "started" again
        self.assertExactlyOnce(job_uuid, 2)

    def test_rate_limit_and_outage_mid_job_resume_next_run(self):
        job_uuid = self.add_job(n=150, types=["card_purchase"], seed="flaky", with_files=False)
        self.sandbox.inject_fault(ITEMS, kind="status", status=503, times=20)
        self.run_export()
        self.assertEqual(self.job(job_uuid).state, "in_progress")
        self.sandbox.clear_faults()
        self.sandbox.inject_fault(
            f"/v3/export-jobs/{job_uuid}/items", method="PUT", kind="rate_limit", times=20
        )
        self.run_export()
        self.sandbox.clear_faults()
        self.run_export()
        self.assertExactlyOnce(job_uuid, 150)

    def test_a_job_claimed_by_another_integration_is_left_alone(self):
        job_uuid = self.add_job(n=2, types=["card_purchase"], with_files=False)
        # Another integration claims the job first.
        with PleoClient(self.key, self.sandbox.url()) as client:
            export_api.ExportApi(client).send_event(job_uuid, "started")
        self.run_export()
        self.assertFalse(self.moves())
        self.assertFalse(self.job(job_uuid).claimed)
        self.assertEqual(self.pleo_job(job_uuid)["status"], "in_progress")

    def test_expired_job(self):
        job_uuid = self.add_job(n=2, types=["card_purchase"], with_files=False)
        self.sandbox.expire_job(job_uuid)
        self.run_export()
        self.assertFalse(self.moves(), "an expired job is not booked")

    def test_one_company_trouble_never_stops_the_others(self):
        conn_b = self.conn_b
        self.connect(conn_b, self.mint(self.pleo_b), user=self.manager_b)
        journal_b = self.env["account.journal"].create(
            {"name": "Pleo B", "code": "PLEOB", "type": "general", "company_id": self.company_b.id}
        )
        conn_b.write({"export_enabled": True, "export_journal_id": journal_b.id})
        self.add_job(pleo_company=self.pleo_b, items=[make_item(item_line(1000))])
        job_a = self.add_job(items=[make_item(item_line(1000))])
        real = type(self.env["pleo.connection"])._export_run

        def broken_for_b(connection, slice_, tally):
            if connection == conn_b:
                raise RuntimeError("company B is broken")
            return real(connection, slice_, tally)

        with patch.object(type(self.env["pleo.connection"]), "_export_run", broken_for_b):
            self.run_export()
        self.assertExactlyOnce(job_a, 1)

    def test_neutralized_database_fetches_nothing(self):
        self.add_job(items=[make_item(item_line(1000))])
        self.env.flush_all()
        for query in get_neutralization_queries(["pleo_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.sandbox.reset_requests()
        self.run_export()
        self.assertEqual(self.sandbox.count(), 0)
        self.assertFalse(self.moves())

    def test_fetch_now_button(self):
        """The button books the pending job at once, as the cron would."""
        with self.assertRaises(AccessError):
            self.conn_a.with_user(self.accountant_a).action_fetch_exports()
        job_uuid = self.add_job(items=[make_item(item_line(1000))])
        action = self.press(self.conn_a.with_user(self.manager_a).action_fetch_exports)
        self.assertEqual(action["type"], "ir.actions.client")
        message = action["params"]["message"]
        self.assertIn("1 booked, 0 failed; nothing else waiting in Pleo", message)
        self.assertEqual(self.job(job_uuid).state, "completed")
        self.assertEqual(self.pleo_job(job_uuid)["status"], "completed")
        self.conn_a.export_journal_id = False
        with self.assertRaisesRegex(UserError, "No journal is set"):
            self.conn_a.with_user(self.manager_a).action_fetch_exports()

    def test_what_follows_in_the_background_links_to_the_exports(self):
        """A press that leaves work for the background says how much, with a link to the
        exports where the counters grow (the press's report, as the cron hands it back)."""
        press = Press(EXPORT_CRON_XMLID, self.conn_a.ids, ran=True)
        press.tally.add("booked", 100)
        press.tally.add("waiting", 250)
        with patch.object(type(self.env["ir.cron"]), "_pleo_press", lambda *a, **k: press):
            action = self.conn_a.with_user(self.manager_a).action_fetch_exports()
        params = action["params"]
        self.assertIn(
            "100 booked, 0 failed; 250 more follow in the background (%s).", params["message"]
        )
        self.assertEqual(params["links"], [{"label": "Pleo › Exports", "url": EXPORTS_URL}])

    def test_a_press_with_failures_links_to_why(self):
        """ "1 failed" says where to read why: a link to the failed expenses (the item list
        with its Failed filter on), before the link to what goes on in the background."""
        self.add_job(items=[make_item(item_line(1000)), make_item(item_line(900, account="9999"))])
        action = self.press(self.conn_a.with_user(self.manager_a).action_fetch_exports)
        params = action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("1 booked, 1 failed (%s); nothing else waiting in Pleo.", params["message"])
        url = "/odoo/action-pleo_connector_export.pleo_export_item_action_failed"
        self.assertEqual(params["links"], [{"label": "see why", "url": url}])
        failed = self.env["ir.actions.act_window"]._for_xml_id(url.split("action-")[1])
        self.assertEqual(failed["res_model"], "pleo.export.item")
        self.assertIn("'search_default_failed': 1", failed["context"])
        search = self.env["pleo.export.item"].with_user(self.manager_a)
        shown = search.search([("state", "=", "failed")])  # the view's Failed filter
        self.assertEqual(shown.failure_type, "account_unknown")
        self.assertIn("9999", shown.failure_reason)
        # With work left in the background too: both links, in the message's order.
        press = Press(EXPORT_CRON_XMLID, self.conn_a.ids, ran=True)
        press.tally.add("booked", 10)
        press.tally.add("failed", 2)
        press.tally.add("waiting", 5)
        with patch.object(type(self.env["ir.cron"]), "_pleo_press", lambda *a, **k: press):
            params = self.conn_a.with_user(self.manager_a).action_fetch_exports()["params"]
        self.assertIn(
            "10 booked, 2 failed (%s); 5 more follow in the background (%s).", params["message"]
        )
        self.assertEqual([link["url"] for link in params["links"]], [url, EXPORTS_URL])

    def test_create_pleo_journal(self):
        self.conn_a.export_journal_id = False
        self.conn_a.with_user(self.manager_a).action_create_export_journal()
        journal = self.conn_a.export_journal_id
        self.assertEqual((journal.name, journal.code, journal.type), ("Pleo", "PLEO", "bank"))
        self.assertEqual(journal.company_id, self.company_a)

    def test_access_rights(self):
        job_uuid = self.add_job(items=[make_item(item_line(1000))])
        self.run_export()
        job = self.job(job_uuid)
        # Accountants read the exports of their companies, and change nothing.
        self.assertEqual(job.with_user(self.accountant_a).item_ids.state, "booked")
        with self.assertRaises(AccessError):
            self.env["pleo.export.mapping"].with_user(self.accountant_a).create(
                {
                    "connection_id": self.conn_a.id,
                    "kind": "account",
                    "pleo_code": "1",
                    "account_id": self.accounts["6810"].id,
                }
            )
        with self.assertRaises(AccessError):
            self.conn_a.with_user(self.accountant_a).export_enabled = False
        # Managers of another company do not see them.
        self.assertFalse(
            self.env["pleo.export.job"].with_user(self.manager_b).search([("id", "=", job.id)])
        )
        with self.assertRaises(AccessError):
            job.with_user(self.manager_a).write({"state": "failed"})

    def test_no_key_in_what_the_export_writes(self):
        url = self.sandbox.add_file(b"%PDF-1.4 a", "application/pdf", "a.pdf")
        job_uuid = self.add_job(
            items=[
                make_item(item_line(1000), files=[self.sandbox.file_entry(url)]),
                make_item(item_line(1000, account="9999")),  # a failure, and its messages
            ]
        )
        hunter = LeakHunter(self.key)
        with capture_every_log(redact=False) as logs:
            self.run_export()
        self.assertFalse([hit for text in logs for hit in hunter.hits("log", text)])
        self.env.flush_all()
        hits = [
            hit
            for table, text in database_texts(self.env.cr)
            if table != "table pleo_connection"  # the encrypted token only
            for hit in hunter.hits(table, text)
        ]
        self.assertFalse(hits)
        move = self.job(job_uuid).item_ids.move_id.filtered(lambda m: m.pleo_entry_uuid)[:1]
        texts = [
            str(move.read()),
            str(move.line_ids.read()),
            str(self.job(job_uuid).read()),
            str(self.job(job_uuid).item_ids.read()),
            str(
                self.env["ir.attachment"]
                .search([("res_model", "=", "account.move"), ("res_id", "=", move.id)])
                .read(["name", "url", "description"])
            ),
        ]
        for text in texts:
            self.assertNotIn(self.key, text)
            self.assertNotIn(self.key[:12], text)
        self.assertFalse(any(r.had_authorization for r in self.sandbox.file_requests))

    def test_missing_contra_accounts_fail_the_job(self):
        job_uuid = self.add_job(items=[make_item(item_line(1000))])
        self.sandbox.set_missing_contra_accounts(self.pleo_a)
        self.run_export()
        pleo = self.pleo_job(job_uuid)
        self.assertEqual(pleo["status"], "failed")
        self.assertEqual(pleo["failureReasonType"], "missing_configuration")
        self.assertIn("contra accounts", pleo["failureReason"])
        self.assertEqual(self.job(job_uuid).state, "failed")

    def test_a_job_that_expires_mid_way_is_recorded_as_Pleo_ended_it(self):
        job_uuid = self.add_job(n=150, types=["card_purchase"], seed="expiring", with_files=False)
        self.sandbox.inject_fault(ITEMS, kind="status", status=503, times=50)
        self.run_export()  # claimed, then Pleo is down: the job waits for the next run
        self.sandbox.clear_faults()
        self.sandbox.expire_job(job_uuid)
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.state, "failed")
        self.assertTrue(job.failure_reason)
        self.assertEqual(len(job.activity_ids), 1)

    def test_unexpected_errors_give_the_job_up_after_three_runs(self):
        job_uuid = self.add_job(items=[make_item(item_line(1000))])
        job_model = type(self.env["pleo.export.job"])
        with patch.object(job_model, "_book_page", side_effect=RuntimeError("a bug")):
            for _run in range(3):
                self.run_export()
        job = self.job(job_uuid)
        self.assertEqual((job.state, job.attempts), ("failed", 3))
        pleo = self.pleo_job(job_uuid)
        self.assertEqual(pleo["status"], "failed")
        self.assertEqual(pleo["failureReasonType"], "integration_unusable")
        self.assertIn("3 unexpected errors", pleo["failureReason"])
        self.assertNotIn("a bug", pleo["failureReason"], "no raw Python error reaches a user")
