# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Mapping that guides: the Pleo codes still unmapped, the proposals, the mapping wizard, and
"Map and re-export" of a failed item.

Failures come from real exports of sandbox jobs; the re-export asks the sandbox for a new export
job of the failed expense (``POST /v3/export-jobs``, which serves the same entry again, as Pleo
re-exports it) and books it through "Fetch exports now"'s press.
"""

import uuid

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ExportCase
from .test_export import item_line, make_item


@tagged("post_install", "-at_install", "pleo_export")
class TestUnmappedCodes(ExportCase):
    def failed_items(self, *items):
        job_uuid = self.add_job(items=list(items))
        self.run_export()
        return self.job(job_uuid)

    def codes(self, connection=None):
        connection = (connection or self.conn_a).with_user(self.manager_a)
        connection.invalidate_recordset()
        return {
            kind: {row.pleo_code: row.waiting_count for row in connection[field]}
            for kind, field in (
                ("account", "export_unmapped_account_ids"),
                ("tax", "export_unmapped_tax_ids"),
                ("tag", "export_unmapped_tag_ids"),
            )
        }

    def test_failed_items_list_their_codes_once_with_how_many_wait(self):
        job = self.failed_items(
            make_item(item_line(1000, account="9999")),
            make_item(item_line(2000, account="9999")),
            make_item(item_line(1000, tax=("X7", 0.07, "exclusive", 65))),
            make_item(item_line(1000, tags=[("DEPT", "NOPE")])),
            make_item(item_line(500)),  # booked
        )
        self.assertEqual(job.failed_count, 4)
        by_code = {item.missing_code: item for item in job.item_ids if item.state == "failed"}
        self.assertEqual(by_code["9999"].missing_kind, "account")
        self.assertEqual(by_code["9999"].missing_details, {"pleo_name": "Account 9999"})
        self.assertEqual(by_code["X7"].missing_details, {"rate": "0.07", "tax_type": "exclusive"})
        self.assertEqual(by_code["DEPT/NOPE"].missing_kind, "tag")
        self.assertEqual(
            self.codes(),
            {"account": {"9999": 2}, "tax": {"X7": 1}, "tag": {"DEPT/NOPE": 1}},
        )
        # A code mapped is no longer listed (its items still wait to be exported again).
        self.env["pleo.export.mapping"].create(
            {
                "connection_id": self.conn_a.id,
                "kind": "tag",
                "pleo_code": "NOPE",  # the tag's code alone maps it too
                "analytic_account_id": self.analytics["OPS"].id,
            }
        )
        self.assertEqual(self.codes(), {"account": {"9999": 2}, "tax": {"X7": 1}, "tag": {}})
        # Another company sees none of them.
        self.assertFalse(self.env["pleo.unmapped.code"].with_user(self.manager_b).search([]))

    def test_a_code_that_now_resolves_by_itself_is_not_listed(self):
        self.failed_items(make_item(item_line(1000, account="4711")))
        self.assertEqual(self.codes()["account"], {"4711": 1})
        self.env["account.account"].create(
            {"code": "4711", "name": "Postage", "account_type": "expense"}
        )
        self.assertEqual(self.codes()["account"], {})

    def test_a_mismatched_tax_is_listed_until_mapped(self):
        """I12 exists but is 12 %: an item at 25 % fails, and I12 stays to map."""
        job = self.failed_items(make_item(item_line(1000, tax=("I12", 0.25, "inclusive", 200))))
        self.assertEqual(job.item_ids.failure_type, "invalid_configuration")
        self.assertEqual(self.codes()["tax"], {"I12": 1})

    def test_setup_sync_rows_whose_odoo_record_is_gone(self):
        Record = self.env["pleo.setup.record"]
        group = Record.create({"connection_id": self.conn_a.id, "kind": "tag_group", "code": "CC"})
        Record.create(
            [
                {"connection_id": self.conn_a.id, "kind": "account", "code": "4242"},
                {"connection_id": self.conn_a.id, "kind": "account", "code": "4243",
                 "archived": True},
                {"connection_id": self.conn_a.id, "kind": "account", "code": "6840",
                 "account_id": self.accounts["6840"].id},
                {"connection_id": self.conn_a.id, "kind": "tax", "code": "Z0"},
                {"connection_id": self.conn_a.id, "kind": "tag", "code": "LAB",
                 "group_record_id": group.id},
                # also a failure's code: listed once, with its failed item
                {"connection_id": self.conn_a.id, "kind": "account", "code": "9999"},
            ]
        )  # fmt: skip
        self.failed_items(make_item(item_line(1000, account="9999")))
        self.assertEqual(
            self.codes(),
            {"account": {"4242": 0, "9999": 1}, "tax": {"Z0": 0}, "tag": {"CC/LAB": 0}},
        )


@tagged("post_install", "-at_install", "pleo_export")
class TestProposals(ExportCase):
    def propose(self, kind, code, **details):
        return self.env["pleo.export.mapping"]._propose(self.conn_a, kind, code, details)

    def test_an_account_of_the_same_code(self):
        record, note = self.propose("account", "6840")
        self.assertEqual(record, self.accounts["6840"])
        self.assertIn("same code", note)

    def test_an_archived_account_is_named_as_archived(self):
        archived = self.env["account.account"].create(
            {"code": "2970", "name": "Travel allowance", "account_type": "expense"}
        )
        archived.active = False
        record, note = self.propose("account", "2970", pleo_name="Travel allowance")
        self.assertFalse(record)
        self.assertEqual(note, "Account 2970 exists but is archived: unarchive it or map it.")
        # The export's failure says so too.
        job_uuid = self.add_job(items=[make_item(item_line(1000, account="2970"))])
        self.run_export()
        job = self.job(job_uuid)
        self.assertIn("exists in Odoo Company A but is archived", job.item_ids.failure_reason)
        self.assertEqual(job.item_ids.missing_code, "2970")

    def test_an_account_of_the_same_name(self):
        record, _note = self.propose("account", "9999", pleo_name="Office supplies")
        self.assertEqual(record, self.accounts["6840"])

    def test_a_tax_of_the_same_rate_and_type(self):
        record, note = self.propose("tax", "RCX", rate="0.25", tax_type="reverse")
        self.assertEqual(record, self.taxes["RC25"], note)
        self.assertIn("the only purchase tax of 25% (reverse charge)", note)
        record, _note = self.propose("tax", "IX", rate="0.12", tax_type="inclusive")
        self.assertEqual(record, self.taxes["I12"])
        # Two taxes of 25 % without reverse charge: one is proposed, to check.
        record, note = self.propose("tax", "K25", rate="0.25", tax_type="exclusive")
        self.assertIn(record, self.taxes["I25"] | self.taxes["E25"])
        self.assertIn("one of 2 purchase taxes of 25% (VAT on top)", note)

    def test_a_tax_of_the_same_name_first(self):
        record, note = self.propose("tax", "E25", rate="0.25", tax_type="exclusive")
        self.assertEqual(record, self.taxes["E25"])
        self.assertIn("same name, rate and type", note)
        # Same name, other type: not that one.
        record, _note = self.propose("tax", "RC25", rate="0.25", tax_type="exclusive")
        self.assertNotEqual(record, self.taxes["RC25"])

    def test_no_proposal_when_nothing_fits(self):
        for kind, code, details in (
            ("account", "9999", {}),
            ("tax", "X7", {"rate": "0.07", "tax_type": "exclusive"}),
            ("tax", "X25R", {"rate": "0.06", "tax_type": "reverse"}),
            ("tax", "NONAME", {}),
            ("tag", "DEPT/NOPE", {}),
        ):
            record, note = self.propose(kind, code, **details)
            self.assertFalse(record, (kind, code))
            self.assertTrue(note)
        _record, note = self.propose("tax", "X7", rate="0.07", tax_type="exclusive")
        self.assertIn("No purchase tax of 7% (VAT on top)", note)

    def test_a_tag_of_the_same_code_or_name(self):
        record, _note = self.propose("tag", "DEPT/OPS")
        self.assertEqual(record, self.analytics["OPS"])
        record, _note = self.propose("tag", "PROJ P100")  # no group: by name
        self.assertEqual(record, self.analytics["P100"])


@tagged("post_install", "-at_install", "pleo_export")
class TestMapWizard(ExportCase):
    def wizard(self, action, user=None):
        Wizard = self.env["pleo.map.code"].with_user(user or self.manager_a)
        return Wizard.with_context(**action["context"]).create({})

    def fail(self, *items):
        job_uuid = self.add_job(items=list(items))
        self.run_export()
        return self.job(job_uuid)

    def test_map_from_the_list_creates_the_mapping_row(self):
        self.fail(make_item(item_line(1000, tax=("RCX", 0.25, "reverse", 250))))
        row = self.conn_a.with_user(self.manager_a).export_unmapped_tax_ids
        self.assertEqual(row.pleo_code, "RCX")
        self.assertIn("the only purchase tax of 25% (reverse charge)", row.note)
        wizard = self.wizard(row.action_map())
        self.assertEqual(wizard.tax_id, self.taxes["RC25"])
        self.assertTrue(wizard.reexport, "the failed item waits for it")
        wizard.reexport = False
        action = wizard.action_confirm()
        self.assertEqual(action["tag"], "display_notification")
        mapping = self.conn_a.export_tax_mapping_ids
        self.assertEqual([(m.pleo_code, m.tax_id) for m in mapping], [("RCX", self.taxes["RC25"])])
        self.conn_a.invalidate_recordset()
        self.assertFalse(self.conn_a.export_unmapped_tax_ids)

    def test_the_person_picks_another_record_and_remaps(self):
        mapping = self.env["pleo.export.mapping"].create(
            {
                "connection_id": self.conn_a.id,
                "kind": "account",
                "pleo_code": "9999",
                "account_id": self.accounts["6810"].id,
            }
        )
        action = (
            self.env["pleo.map.code"]
            .with_user(self.manager_a)
            ._open(self.conn_a, "account", "9999")
        )
        wizard = self.wizard(action)
        self.assertEqual(wizard.current_mapping_id, mapping)
        self.assertFalse(wizard.account_id, "nothing of code 9999")
        with self.assertRaises(UserError):
            wizard.action_confirm()
        wizard.account_id = self.accounts["6840"]
        wizard.action_confirm()
        self.assertEqual(mapping.account_id, self.accounts["6840"])
        self.assertEqual(len(self.conn_a.export_account_mapping_ids), 1)

    def test_only_a_pleo_manager_maps(self):
        self.fail(make_item(item_line(1000, account="9999")))
        item = self.env["pleo.export.item"].search([("missing_code", "=", "9999")])
        with self.assertRaises(AccessError):
            item.with_user(self.accountant_a).action_map_and_reexport()
        with self.assertRaises(AccessError):
            self.env["pleo.map.code"].with_user(self.accountant_a).create(
                {"connection_id": self.conn_a.id, "kind": "account", "pleo_code": "9999"}
            )

    def test_an_item_without_a_code_to_map(self):
        job = self.fail(make_item(item_line(500)))
        with self.assertRaises(UserError):
            job.item_ids.with_user(self.manager_a).action_map_and_reexport()


@tagged("post_install", "-at_install", "pleo_export")
class TestMapAndReexport(ExportCase):
    def test_map_and_reexport_books_the_item_and_clears_the_failure(self):
        entry = str(uuid.uuid4())
        first = self.add_job(
            items=[
                make_item(item_line(4200, account="9999"), accountingEntryId=entry),
                make_item(item_line(500)),
            ]
        )
        self.run_export()
        job = self.job(first)
        failed = job.item_ids.filtered(lambda item: item.entry_uuid == entry)
        self.assertEqual((job.state, failed.state), ("completed_with_errors", "failed"))
        self.assertEqual(len(job.activity_ids), 1)

        # The bookkeeper presses "Map and re-export" and picks the account.
        action = failed.with_user(self.manager_a).action_map_and_reexport()
        wizard = self.env["pleo.map.code"].with_user(self.manager_a)
        wizard = wizard.with_context(**action["context"]).create({})
        self.assertEqual((wizard.kind, wizard.pleo_code), ("account", "9999"))
        self.assertEqual(wizard.item_ids, failed)
        self.assertTrue(wizard.reexport)
        wizard.account_id = self.accounts["6840"]
        chained = wizard.action_confirm()
        self.assertEqual(chained["type"], "ir.actions.server")
        self.assertEqual(chained["context"]["active_ids"], failed.ids)

        # The second request: Pleo exports the expense again, and the export books it now.
        server_action = self.env["ir.actions.server"].with_user(self.manager_a)
        server_action = server_action.browse(chained["id"]).with_context(**chained["context"])
        result = self.press(server_action.run)
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertIn("1 booked, 0 failed", result["params"]["message"])

        jobs = self.sandbox.export_jobs(self.pleo_a)
        self.assertEqual(len(jobs), 2)
        again = self.pleo_job(jobs[-1]["id"])
        self.assertEqual([row["accountingEntryId"] for row in again["items"]], [entry])
        self.assertEqual(again["status"], "completed")
        self.assertEqual(again["items"][0]["status"], "successful")

        later = self.job(again["id"]).item_ids
        self.assertEqual(later.state, "booked")
        moves = self.moves().filtered(lambda move: move.pleo_entry_uuid == entry)
        self.assertEqual(len(moves), 1, "booked exactly once")
        self.assertEqual(moves, later.move_id)
        self.assertIn(self.accounts["6840"], moves.line_ids.account_id, "through the mapping")
        self.assertEqual(
            (failed.state, failed.move_id, failed.resolved_by_id), ("resolved", moves, later)
        )
        self.assertEqual((job.state, job.failed_count), ("completed", 0))
        self.assertFalse(job.activity_ids, "the activity is closed")
        self.conn_a.invalidate_recordset()
        self.assertFalse(self.conn_a.export_unmapped_account_ids)

    def test_export_again_while_pleo_has_an_export_open(self):
        job_uuid = self.add_job(items=[make_item(item_line(4200, account="9999"))])
        self.run_export()
        job = self.job(job_uuid)
        self.env["pleo.export.mapping"].create(
            {
                "connection_id": self.conn_a.id,
                "kind": "account",
                "pleo_code": "9999",
                "account_id": self.accounts["6840"].id,
            }
        )
        self.add_job(n=1)  # waiting at Pleo
        result = self.press(job.item_ids.with_user(self.manager_a).action_reexport)
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("under way already", result["params"]["message"])
        self.assertEqual(len(self.sandbox.export_jobs(self.pleo_a)), 2, "no job added")
        self.assertEqual(job.item_ids.state, "failed")

    def test_export_again_an_item_failed_on_an_inactive_currency(self):
        """A failure without a code to map: "Export again" once it is fixed in Odoo."""
        currency = self.env.ref("base.NOK")
        currency.active = False
        line = item_line(1000)
        for amount in ("lineAmount", "netAmount"):
            for side in ("inSupplierCurrency", "inWalletCurrency"):
                line[amount][side]["currency"] = "NOK"
        item = make_item(line)
        for side in ("inSupplierCurrency", "inWalletCurrency"):
            item["amount"][side]["currency"] = "NOK"
        job_uuid = self.add_job(items=[item])
        self.run_export()
        job = self.job(job_uuid)
        self.assertEqual(job.item_ids.state, "failed", job.item_ids.failure_reason)
        self.assertFalse(job.item_ids.missing_code)
        currency.active = True
        result = self.press(job.item_ids.with_user(self.manager_a).action_reexport)
        self.assertIn("1 booked, 0 failed", result["params"]["message"])
        self.assertEqual(job.item_ids.state, "resolved")
