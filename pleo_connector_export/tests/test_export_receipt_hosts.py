# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Receipt links reach public addresses only, except the hosts of ``pleo_receipt_allowed_hosts``.

A hostile Pleo could send a receipt link to the server's own loopback, its network or the cloud
metadata service (``169.254.169.254``) and have the answer stored as a receipt. The export's
downloads refuse such addresses, whatever the scheme, unless the server option lets the host
through (the sandbox's file host on loopback: ExportCase sets it).
"""

from unittest.mock import patch
from urllib.parse import urlsplit

from odoo.tests import tagged
from odoo.tools import config

from .common import ExportCase
from .test_export import item_line, make_item


@tagged("post_install", "-at_install", "pleo_export")
class TestExportReceiptHosts(ExportCase):
    def export_with(self, url, allowed):
        entry = {"url": url, "type": "application/pdf", "size": 10}
        with patch.dict(config.options, {"pleo_receipt_allowed_hosts": allowed}):
            job_uuid = self.add_job(items=[make_item(item_line(1000), files=[entry])])
            self.run_export()
        return self.job(job_uuid).item_ids

    def test_the_sandbox_file_host_needs_the_option(self):
        url = self.sandbox.add_file(b"%PDF-1.4 a", "application/pdf", "a.pdf")
        record = self.export_with(url, "")
        self.assertEqual(record.failure_type, "receipt_download_failure")
        self.assertIn("its host 127.0.0.1 is a loopback address", record.failure_reason)
        self.assertIn("pleo_receipt_allowed_hosts", record.failure_reason)
        self.assertNotIn("?", record.failure_reason, "no presigned query string in a reason")
        self.assertFalse(self.sandbox.file_requests, "nothing was fetched")

    def test_only_the_listed_host_and_port(self):
        url = self.sandbox.add_file(b"%PDF-1.4 b", "application/pdf", "b.pdf")
        port = urlsplit(url).port
        record = self.export_with(url, f"127.0.0.1:{port + 1}")
        self.assertEqual(record.failure_type, "receipt_download_failure")
        self.assertFalse(self.sandbox.file_requests)
        record = self.export_with(url, f"files.example, 127.0.0.1:{port}")
        self.assertEqual(record.state, "booked", record.failure_reason)
        self.assertEqual(record.receipt_count, 1)

    def test_internal_addresses_are_refused(self):
        for url, words in (
            ("http://169.254.169.254/latest/meta-data/?X-Amz-Signature=s", "link-local"),
            ("https://10.0.0.8/receipt.pdf?X-Amz-Signature=s", "private"),
            ("https://[::1]/receipt.pdf?X-Amz-Signature=s", "loopback"),
        ):
            record = self.export_with(url, "127.0.0.1")
            self.assertEqual(record.failure_type, "receipt_download_failure", url)
            self.assertIn(words, record.failure_reason)
            self.assertNotIn("X-Amz-Signature", record.failure_reason)
