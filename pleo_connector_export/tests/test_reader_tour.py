# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A Danish bookkeeper reads, in a real browser, what an English cron wrote; and a press of
"Fetch exports now" reports that press only (tour ``pleo_reader_tour``).

Before the tour, the scheduler's run (the export cron, called as the scheduler calls it, by the
English superuser) books an export in which Pleo's account 9999 fails. The company's Pleo
managers read Danish. The tour logs in as one of them (Bodil), opens the failed item (Danish
label and reason), and presses "Fetch exports now" for a second export waiting in Pleo: the
press runs the cron through ``method_direct_trigger`` in the browser's request, unpatched, and
its notification says "1 bogført, 0 mislykket" although the earlier export has a failure.

As in test_export_tour, the run before the tour happens in ``setUpClass``, where the cron's
commits may not commit the test's class transaction: there, and only there, they flush.
"""

import uuid

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.pleo_connector.tests.common import PleoSandboxMixin

from .common import ACCOUNTS, EXPORT_LOGGERS, run_export_in_class_setup
from .test_export import item_line, make_item

MANAGER_GROUPS = "base.group_user,pleo_connector.group_pleo_manager,account.group_account_user"


@tagged("post_install", "-at_install", "pleo_browser")
class TestReaderTour(PleoSandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("da_DK")
        env["ir.module.module"]._load_module_terms(
            ["pleo_connector", "pleo_connector_export"], ["da_DK"], overwrite=True
        )
        cls.company = env.company
        Account = env["account.account"]
        accounts = {}
        for code in ("6840", "5850"):
            name, kind = ACCOUNTS[code]
            accounts[code] = Account.search(
                [*Account._check_company_domain(cls.company), ("code", "=", code)], limit=1
            ) or Account.create(
                {"code": code, "name": name, "account_type": kind, "company_ids": cls.company.ids}
            )
        journal = env["account.journal"].create(
            {
                "name": "Pleo",
                "code": "PLEOR",
                "type": "bank",
                "company_id": cls.company.id,
                "default_account_id": accounts["5850"].id,
            }
        )
        # The company's Pleo managers read Danish (more of them than the English admin).
        cls.bodil, cls.bo = (
            new_test_user(
                env,
                login,
                groups=MANAGER_GROUPS,
                lang="da_DK",
                company_id=cls.company.id,
                company_ids=cls.company.ids,
            )
            for login in ("pleo_bodil", "pleo_bo")
        )
        cls.connect_server_side(cls.company)
        cls.connection.write({"export_enabled": True, "export_journal_id": journal.id})

        first = cls.sandbox.add_export_job(
            cls.pleo_company,
            items=[
                make_item(item_line(4200, account="6840"), accountingEntryId=str(uuid.uuid4())),
                make_item(item_line(4200, account="9999"), accountingEntryId=str(uuid.uuid4())),
            ],
        )
        run_export_in_class_setup(env(context=dict(env.context, lang="en_US")))
        cls.first = env["pleo.export.job"].search([("pleo_job_uuid", "=", first)])
        cls.failed = cls.first.item_ids.filtered(lambda item: item.state == "failed")
        # The second export waits in Pleo for Bodil's press.
        cls.second = cls.sandbox.add_export_job(
            cls.pleo_company,
            items=[make_item(item_line(990, account="6840"), accountingEntryId=str(uuid.uuid4()))],
        )

    def test_a_danish_bookkeeper_reads_danish_and_one_press_is_counted(self):
        self.assertEqual(self.connection._readers_lang(), "da_DK")
        self.assertEqual(self.first.state, "completed_with_errors")
        self.assertEqual(self.failed.failure_type, "account_unknown")
        self.assertTrue(self.failed.failure_reason.startswith("Pleo-kontoen 9999"))
        with mute_logger(*EXPORT_LOGGERS):
            self.start_tour(
                f"/odoo/pleo.export.item/{self.failed.id}",
                "pleo_reader_tour",
                login=self.bodil.login,
                timeout=180,
            )
        second = self.env["pleo.export.job"].search([("pleo_job_uuid", "=", self.second)])
        self.assertEqual(
            (second.state, second.booked_count, second.failed_count), ("completed", 1, 0)
        )
        self.assertEqual(self.sandbox.export_job(self.second)["status"], "completed")
