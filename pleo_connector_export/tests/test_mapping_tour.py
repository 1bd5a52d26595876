# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Mapping that guides, in a real browser (headless Chromium): a failed item mapped and exported
again, its failure cleared and its activity closed.

Before the tour, the test books a Pleo export job from the sandbox in which one expense fails:
Pleo's tax code I25 (25 %, VAT included) is no Odoo tax's name, and the company has one
purchase tax of 25 %. The tour ``pleo_mapping_tour`` (static/tests/tours/pleo_mapping_tour.js)
then walks as the bookkeeper: the connection's Taxes tab lists I25 as still unmapped (one
failed item waits) with the proposal; the Export tab states the wallet rule; in Export Items she
opens the failed item, presses "Map and re-export", sees the proposed tax and confirms it; the
notification says what the re-export booked, and the item reads "Booked later". Afterwards the
test checks on the server: the mapping row, the expense booked exactly once with the tax, Pleo
told of it in a second export job, the first job completed and its activity closed.

The export of the re-export runs as a person's press does (``ir.cron.method_direct_trigger``,
in the browser's request, on this test's cursor as ``HttpCase`` runs requests): nothing of it is
patched. The company and the first export, before the tour, are set up as ``test_export_tour``
sets them up (``ExportTourSetup``). The tour talks to the test as ``pleo_export_tour`` does
(tour_tools.py).
"""

import uuid

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.pleo_connector.tests.common import PleoSandboxMixin
from odoo.addons.pleo_connector.tests.tour_tools import BrowserTourMixin, png_size

from .common import EXPORT_LOGGERS
from .test_export import item_line, make_item
from .test_export_tour import ExportTourSetup

SCREENSHOTS = ("mapping_unmapped", "mapping_wizard", "mapping_reexported")
TOUR_DATA = ("data", "pleoMappingTour", "pleoData")


@tagged("post_install", "-at_install", "pleo_browser")
class TestMappingTour(ExportTourSetup, BrowserTourMixin, PleoSandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_export_company(("6810", "5850", "6320"))
        cls.admin.group_ids |= cls.env.ref("pleo_connector.group_pleo_manager")

        def repartition():
            return [
                Command.create({"repartition_type": "base"}),
                Command.create(
                    {
                        "repartition_type": "tax",
                        "factor_percent": 100,
                        "account_id": cls.accounts["6320"].id,
                    }
                ),
            ]

        cls.tax = cls.env["account.tax"].create(
            {
                "name": "Købsmoms 25%",
                "amount": 25.0,
                "amount_type": "percent",
                "type_tax_use": "purchase",
                "company_id": cls.company.id,
                "invoice_repartition_line_ids": repartition(),
                "refund_repartition_line_ids": repartition(),
            }
        )
        cls.entry = str(uuid.uuid4())
        cls.job_uuid = cls.sandbox.add_export_job(
            cls.pleo_company,
            items=[
                make_item(
                    item_line(12500, tax=("I25", 0.25, "inclusive", 2500)),
                    accountingEntryId=cls.entry,
                    supplier={"name": "Bog & Idé"},
                    note="Notebooks",
                )
            ],
        )
        cls._book_exports()
        cls.job = cls.env["pleo.export.job"].search([("pleo_job_uuid", "=", cls.job_uuid)])
        cls.item = cls.job.item_ids

    def test_map_and_reexport_in_the_browser(self):
        self.assertEqual(self.item.state, "failed")
        self.assertEqual((self.item.missing_kind, self.item.missing_code), ("tax", "I25"))
        self.assertEqual(len(self.job.activity_ids), 1)

        self.tour_data = {
            "company": self.company.name,
            "code": "I25",
            "label": self.item.label,
            "tax": self.tax.name,
            "proposal": "the only purchase tax of 25% (VAT included)",
        }
        with mute_logger(*EXPORT_LOGGERS):
            self.run_tour("/odoo", "pleo_mapping_tour", TOUR_DATA, SCREENSHOTS, timeout=180)

        mapping = self.connection.export_tax_mapping_ids
        self.assertEqual([(m.pleo_code, m.tax_id) for m in mapping], [("I25", self.tax)])
        jobs = self.sandbox.export_jobs(self.pleo_company)
        self.assertEqual(len(jobs), 2, "Pleo exported the expense again")
        again = self.sandbox.export_job(jobs[-1]["id"])
        self.assertEqual(again["status"], "completed")
        self.assertEqual(
            [(row["accountingEntryId"], row["status"]) for row in again["items"]],
            [(self.entry, "successful")],
        )
        moves = self.env["account.move"].search([("pleo_entry_uuid", "=", self.entry)])
        self.assertEqual(len(moves), 1, "booked exactly once")
        self.assertEqual(moves.line_ids.tax_ids, self.tax)
        self.assertEqual(self.item.state, "resolved")
        self.assertEqual(self.item.move_id, moves)
        self.assertEqual((self.job.state, self.job.failed_count), ("completed", 0))
        self.assertFalse(self.job.activity_ids, "the activity is closed")

        self.assertEqual(sorted(self.screenshots), sorted(SCREENSHOTS))
        for path in self.screenshots.values():
            width, height = png_size(path.read_bytes())
            self.assertGreater(width, 800, path)
            self.assertGreater(height, 400, path)
