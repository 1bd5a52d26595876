# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Receipts behind a company proxy and a CA of the server's: the export books an expense whose
receipt comes over https from a file host that only the ``pleo_ca_bundle`` server option makes
trusted, through the proxy that ``HTTPS_PROXY`` names; without the option the expense fails with
the certificate reason. The Odoo-free ``tests/unit/test_network.py`` covers the settings one by
one (environment variables, ``NO_PROXY``, proxy credentials, the Pleo API client).
"""

import base64
import os
import shutil
import tempfile
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.pleo_connector.pleolib.network import CA_BUNDLE_VARIABLES, PROXY_VARIABLES
from odoo.addons.pleo_connector.tests.pleo_sandbox.proxy import ConnectProxy
from odoo.addons.pleo_connector.tests.tls_tools import make_pki

from .common import ExportCase
from .test_export import item_line, make_item

PDF = b"%PDF-1.4 receipt of the train ticket, fetched through the proxy"


@tagged("post_install", "-at_install", "pleo_export")
class TestExportNetwork(ExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        directory = tempfile.mkdtemp(prefix="pleo-network-")
        cls.addClassCleanup(shutil.rmtree, directory, True)
        cls.pki = make_pki(directory, "files")
        # This class's file host serves https, with a certificate of the test CA only.
        files = cls.sandbox.file_host
        files.stop()
        files.tls = cls.pki.server_pair
        files.start()
        cls.proxy = ConnectProxy().start()
        cls.addClassCleanup(cls.proxy.stop)

    def setUp(self):
        super().setUp()
        self.proxy.reset_requests()
        # The server's environment: the proxy for https, no CA bundle of its own (this machine
        # may name the system bundle), nothing that bypasses the proxy for 127.0.0.1.
        self.startPatcher(patch.dict(os.environ))
        for name in (*CA_BUNDLE_VARIABLES, *PROXY_VARIABLES):
            os.environ.pop(name, None)
            os.environ.pop(name.lower(), None)
        os.environ["HTTPS_PROXY"] = self.proxy.url

    def export_receipt(self):
        url = self.sandbox.add_file(PDF, "application/pdf", "train.pdf")
        self.assertTrue(url.startswith("https://127.0.0.1:"), url)
        job_uuid = self.add_job(
            items=[make_item(item_line(1000), files=[self.sandbox.file_entry(url)])]
        )
        self.run_export()
        return url, self.job(job_uuid).item_ids

    def test_a_receipt_from_a_host_trusted_by_the_option_comes_through_the_proxy(self):
        with patch.dict(config.options, {"pleo_ca_bundle": self.pki.ca_file}):
            url, record = self.export_receipt()
        self.assertEqual(record.state, "booked", record.failure_reason)
        self.assertEqual(record.receipt_count, 1)
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", record.move_id.id)]
        )
        self.assertEqual((attachment.name, base64.b64decode(attachment.datas)), ("train.pdf", PDF))
        # The receipt came through the proxy's tunnel to the file host, without credentials.
        self.assertEqual(self.proxy.connect_targets, [url.split("/")[2]])
        tunnel = self.proxy.requests[0]
        self.assertGreater(tunnel.bytes_down, len(PDF))
        self.assertNotIn(self.key, tunnel.text())
        seen = self.sandbox.file_requests
        self.assertEqual([request.status for request in seen], [200])
        self.assertFalse(seen[0].had_authorization)
        self.assertFalse(
            {"authorization", "proxy-authorization", "cookie"} & set(seen[0].header_names)
        )

    def test_without_the_option_the_file_host_is_not_trusted(self):
        with patch.dict(config.options, {"pleo_ca_bundle": ""}):
            url, record = self.export_receipt()
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.failure_type, "receipt_download_failure")
        self.assertIn("certificate could not be verified", record.failure_reason)
        self.assertIn("pleo_ca_bundle", record.failure_reason)
        self.assertEqual(self.proxy.connect_targets, [url.split("/")[2]])
        self.assertFalse(self.sandbox.file_requests, "the handshake failed: no request")
