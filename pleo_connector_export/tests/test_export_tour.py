# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The export screens in a real browser (headless Chromium), and the README's screenshots.

The test books a Pleo export job from the sandbox before the tour starts: one expense with a
PDF receipt is booked, one fails because Pleo's account 9999 has no Odoo account. The tour
``pleo_export_tour`` (static/tests/tours/pleo_export_tour.js) then walks through what an
accountant sees: the job in Pleo › Pleo Exports, its items, the booked entry (its Pleo page and
its receipt), the entry in Journal Entries with the "From Pleo" filter, the company's Pleo
connection (the Export tab, and the Accounts tab where it maps Pleo's 9999 to an Odoo
account), and the "Book Pleo exports" setting. Afterwards the test checks on the server that
the mapping row was saved, and that the screenshots were taken.

The browser's requests run in this test's cursor (``HttpCase``), so the export runs there too,
in ``setUpClass``: ``ir.cron._commit_progress`` only flushes (the cron would commit) and the
cron is never triggered for real. The tour needs no API key: the connection is made on the
server side, and the key never reaches the browser.

The tour talks to the test as ``pleo_connect_tour`` does (see tour_tools.py): it logs
``pleo-test:{"what": ...}`` in the console and waits for ``<body data-pleo-...>``:

* ``data``: the test sets ``window.pleoExportTour`` (the names and ids the tour checks);
* ``screenshot``: the test captures the page with ``Page.captureScreenshot`` into
  ``tests/artifacts/pleo_<name>.png`` of the repository.
"""

import uuid
from urllib.parse import urlsplit

from odoo.tests import HttpCase, tagged

from odoo.addons.pleo_connector.tests.common import PleoSandboxMixin
from odoo.addons.pleo_connector.tests.tour_tools import BrowserTourMixin, png_size

from .common import ACCOUNTS, run_export_in_class_setup
from .test_export import item_line, make_item

SCREENSHOTS = ("export_job", "export_entry", "export_settings")
#: The tour asks for "data", gets it as window.pleoExportTour, is told by data-pleo-data.
TOUR_DATA = ("data", "pleoExportTour", "pleoData")


def receipt_pdf(*lines):
    """A small, valid one-page PDF showing ``lines`` (the browser renders it in the preview)."""
    text = " ".join(
        f"BT /F1 {18 if i == 0 else 12} Tf 56 {780 - 28 * i} Td ({line}) Tj ET"
        for i, line in enumerate(lines)
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return pdf


RECEIPT = receipt_pdf(
    "Office Depot", "Printer paper, 5 reams", "Total USD 125.00", "Paid with Pleo card"
)


class ExportTourSetup:
    """The company of an export tour (for a ``PleoSandboxMixin`` ``HttpCase``): named, with the
    admin seeing the full accounting menus, the accounts of ``codes``, the employee E001, a
    Pleo journal, and connected to a sandbox Pleo company on the server side (the tour never
    sees a key), with exports on; and the export run before the tour (:meth:`_book_exports`).
    """

    @classmethod
    def _setup_export_company(cls, codes):
        env = cls.env
        cls.company = env.company
        cls.company.name = "Nordlys DK"
        cls.admin = env.ref("base.user_admin")
        # "Show full accounting features": the Accounting menu with Journal Entries.
        cls.admin.group_ids |= env.ref("account.group_account_user")
        Account = env["account.account"]
        cls.accounts = {}
        for code in codes:
            name, kind = ACCOUNTS[code]
            cls.accounts[code] = Account.search(
                [*Account._check_company_domain(cls.company), ("code", "=", code)], limit=1
            ) or Account.create(
                {"code": code, "name": name, "account_type": kind, "company_ids": cls.company.ids}
            )
        env["res.partner"].create({"name": "Anna Jensen", "ref": "E001"})
        cls.journal = env["account.journal"].create(
            {
                "name": "Pleo",
                "code": "PLEOT",
                "type": "bank",
                "company_id": cls.company.id,
                "default_account_id": cls.accounts["5850"].id,
            }
        )
        cls.connect_server_side(cls.company)
        cls.connection.write({"export_enabled": True, "export_journal_id": cls.journal.id})

    @classmethod
    def _book_exports(cls, options=None):
        """Run the export cron in ``setUpClass`` (server ``options`` set meanwhile): the
        browser's requests share this cursor, so ``_commit_progress`` only flushes (the cron
        would commit) and the cron is never triggered for real."""
        run_export_in_class_setup(cls.env, options)


@tagged("post_install", "-at_install", "pleo_browser")
class TestExportTour(ExportTourSetup, BrowserTourMixin, PleoSandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_export_company(("6810", "6840", "5850", "6320", "6330"))

        # The job: printer paper with its receipt (booked), a 9999 expense (failed).
        cls.booked_uuid, cls.failed_uuid = str(uuid.uuid4()), str(uuid.uuid4())
        receipt = cls.sandbox.file_entry(
            cls.sandbox.add_file(RECEIPT, "application/pdf", "printer_paper.pdf")
        )
        cls.job_uuid = cls.sandbox.add_export_job(
            cls.pleo_company,
            items=[
                make_item(
                    item_line(12500, account="6840"),
                    accountingEntryId=cls.booked_uuid,
                    files=[receipt],
                ),
                make_item(
                    item_line(4200, account="9999"),
                    accountingEntryId=cls.failed_uuid,
                    supplier={"name": "Cafe Nord"},
                    note="Team lunch",
                ),
            ],
        )
        cls._book_exports(
            {
                "pleo_receipts_allow_http": "1",
                "pleo_receipt_allowed_hosts": urlsplit(receipt["url"]).netloc,
            }
        )
        cls.job = cls.env["pleo.export.job"].search([("pleo_job_uuid", "=", cls.job_uuid)])
        cls.booked = cls.job.item_ids.filtered(lambda item: item.entry_uuid == cls.booked_uuid)
        cls.failed = cls.job.item_ids - cls.booked

    # ------------------------------------------------------------------ the test

    def test_export_screens_in_the_browser(self):
        # What the export booked, before the browser looks at it.
        self.assertEqual(self.job.state, "completed_with_errors")
        self.assertEqual(self.booked.state, "booked", self.booked.failure_reason)
        self.assertEqual(self.booked.receipt_count, 1)
        self.assertEqual(self.failed.failure_type, "account_unknown")
        move = self.booked.move_id

        self.tour_data = {
            "company": self.company.name,
            "bookedEntry": self.booked_uuid,
            "bookedLabel": self.booked.label,
            "moveId": move.id,
            "moveName": move.display_name,
            "moveRef": move.ref,
            "failedReason": "Pleo account 9999 'Account 9999' has no Odoo account",
            "receipt": "printer_paper.pdf",
            "journal": self.journal.name,
            "mapCode": "9999",
            "mapAccountCode": "6810",
            "mapAccountName": self.accounts["6810"].name,
        }
        self.run_tour("/odoo", "pleo_export_tour", TOUR_DATA, SCREENSHOTS, timeout=180)

        # The mapping row the tour added and saved.
        mapping = self.connection.export_account_mapping_ids
        self.assertEqual(
            [(m.kind, m.pleo_code, m.account_id) for m in mapping],
            [("account", "9999", self.accounts["6810"])],
        )
        self.assertEqual(mapping.company_id, self.company)
        # Nothing else changed: the export settings are as they were.
        self.assertTrue(self.connection.export_enabled)
        self.assertEqual(self.connection.export_journal_id, self.journal)

        # The screenshots, for a reviewer and the README.
        self.assertEqual(sorted(self.screenshots), sorted(SCREENSHOTS))
        for path in self.screenshots.values():
            width, height = png_size(path.read_bytes())
            self.assertGreater(width, 800, path)
            self.assertGreater(height, 400, path)
