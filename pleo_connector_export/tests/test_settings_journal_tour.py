# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Settings › Pleo: "Create a Pleo journal" works on the first press, in a real browser.

The UX walk (issue 23, m6) ticked *Book Pleo exports* and pressed *Create a Pleo journal*: Odoo's
settings form asked "save your changes?" first, and its Save reloaded the page without creating
the journal, so the button needed a second press, and gave no word. The tour
``pleo_settings_journal_tour`` (static/tests/tours/pleo_settings_journal_tour.js) does the same
once: ticks the setting, chooses the wallet account, presses the button; no dialog, a
notification names the journal and its account, the block shows the journal. This test checks
on the server side what the press made: the journal PLEO on the wallet account, and the export
turned on.

The company is connected on the server side (the tour needs no key). The tour talks to the test
as ``pleo_connect_tour`` does (see tour_tools.py).
"""

from odoo.tests import HttpCase, tagged

from odoo.addons.pleo_connector.tests.common import PleoSandboxMixin
from odoo.addons.pleo_connector.tests.tour_tools import BrowserTourMixin, png_size

SCREENSHOTS = ("settings_journal_created",)
#: The tour asks for "data", gets it as window.pleoJournalTour, is told by data-pleo-data.
TOUR_DATA = ("data", "pleoJournalTour", "pleoData")


@tagged("post_install", "-at_install", "pleo_browser")
class TestSettingsJournalTour(BrowserTourMixin, PleoSandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.admin = env.ref("base.user_admin")
        cls.admin.group_ids |= env.ref("pleo_connector.group_pleo_manager")
        cls.wallet = env["account.account"].create(
            {
                "code": "6485",
                "name": "Pleo wallet",
                "account_type": "asset_cash",
                "company_ids": cls.company.ids,
            }
        )
        Journal = env["account.journal"]
        cls.old_pleo = Journal.search(
            [*Journal._check_company_domain(cls.company), ("code", "=", "PLEO")]
        )
        cls.old_pleo.code = "PLEOX"  # the press must create the journal PLEO
        cls.connect_server_side(cls.company)
        cls.connection.write(
            {"export_enabled": False, "export_journal_id": False, "export_wallet_account_id": False}
        )

    def test_create_the_journal_from_settings_on_the_first_press(self):
        self.tour_data = {"walletCode": "6485", "walletName": "Pleo wallet"}
        self.run_tour(
            "/odoo/settings", "pleo_settings_journal_tour", TOUR_DATA, SCREENSHOTS, timeout=120
        )
        connection = self.connection
        self.assertTrue(connection.export_enabled)
        journal = connection.export_journal_id
        self.assertEqual((journal.code, journal.name, journal.type), ("PLEO", "Pleo", "bank"))
        self.assertEqual(journal.default_account_id, self.wallet)
        self.assertEqual(connection.export_wallet_account_id, self.wallet)
        # one press, one journal
        Journal = self.env["account.journal"]
        self.assertEqual(
            Journal.search_count(
                [*Journal._check_company_domain(self.company), ("code", "=", "PLEO")]
            ),
            1,
        )
        self.assertEqual(sorted(self.screenshots), sorted(SCREENSHOTS))
        width, height = png_size(self.screenshots["settings_journal_created"].read_bytes())
        self.assertGreater(width, 300)
        self.assertGreater(height, 100)
