# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Browser tours that talk to their test (headless Chromium, Odoo's ``start_tour``).

A tour asks its test for things by logging ``pleo-test:{"what": ...}`` in the browser console;
the test answers through DevTools (``Runtime.evaluate``) and marks ``<body data-pleo-...>`` so
that the tour goes on:

* the tour's data (as the test's :meth:`~BrowserTourMixin.run_tour` names it): the test sets
  ``window.<name>`` to ``self.tour_data``, so that what the tour needs (keys too) is never in a
  URL, in the tour's source or in the code that starts the tour (which Odoo logs);
* ``screenshot``: the test captures the page with ``Page.captureScreenshot``, clipped to what the
  tour names, into ``tests/artifacts/pleo_<name>.png`` of the repository (``ARTIFACTS``).
"""

import base64
import json
import logging
import os
import struct
from pathlib import Path
from unittest import SkipTest
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)

ARTIFACTS = Path(
    os.environ.get("PLEO_ARTIFACTS_DIR")
    or Path(__file__).resolve().parents[2] / "tests" / "artifacts"
)
TOUR_SIGNAL = "pleo-test:"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    """``(width, height)`` of a PNG image (from its IHDR chunk)."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", data[16:24])


class BrowserTourMixin:
    """Runs a tour (:meth:`run_tour`) and answers its console requests; for an ``HttpCase``."""

    browser_size = "1440x900"  # the screenshots' size

    def run_tour(self, url, tour, data, screenshots, **kwargs):
        """Run ``tour`` from ``url`` as admin and answer its requests (``kwargs`` go to
        ``start_tour``). ``data``: what the tour asks for its data, the ``window`` variable
        that receives ``self.tour_data`` and the ``<body data-...>`` flag that tells the tour
        it is there; ``screenshots``: the names it may ask for. ``self.screenshots`` maps the
        names taken to their files."""
        self.screenshots = {}
        original = ChromeBrowser._handle_console
        handler = self._handle_console(original, data, screenshots)
        with patch.object(ChromeBrowser, "_handle_console", handler):
            try:
                self.start_tour(url, tour, login="admin", **kwargs)
            except SkipTest as exc:
                # Odoo skips browser tests without a browser; these must not pass unseen.
                self.fail(
                    f"The browser tour could not run ({exc}): install Debian's chromium "
                    "package and websocket-client (tests/run.sh does it when it can)."
                )
        self.env.invalidate_all()

    def _handle_console(self, original, data, screenshots):
        """Wrap ``ChromeBrowser._handle_console``: answer the tour's ``pleo-test:`` requests."""
        test = self
        data_request, data_global, data_flag = data

        def handle_console(browser, type=None, args=None, **kw):  # pylint: disable=redefined-builtin
            first = (args or [{}])[0].get("value")
            if type == "log" and isinstance(first, str) and first.startswith(TOUR_SIGNAL):
                request = json.loads(first[len(TOUR_SIGNAL) :])
                if request["what"] == data_request:
                    test._evaluate(
                        browser,
                        f"window.{data_global} = {json.dumps(test.tour_data)};"
                        f" document.body.dataset.{data_flag} = 'ready';",
                    )
                elif request["what"] == "screenshot" and request.get("name") in screenshots:
                    test._capture(browser, request["name"], request.get("clip"))
                elif request["what"] == "screenshot":
                    test._evaluate(
                        browser, f"console.error('unknown screenshot {request.get('name')!r}')"
                    )
                else:
                    test._evaluate(browser, f"console.error({json.dumps(first)})")
            return original(browser, type=type, args=args, **kw)

        return handle_console

    def _evaluate(self, browser, expression):
        """Run ``expression`` in the page, without waiting (we are in the browser's thread)."""
        browser._websocket_send(  # pylint: disable=protected-access
            "Runtime.evaluate", params={"expression": expression}
        )

    def _capture(self, browser, name, clip=None):
        """Capture the page (clipped to ``clip``), save it as ``name``, then tell the tour.

        This runs in the browser's websocket thread, which also delivers the answers: it must
        not wait for them, so the rest happens in the callback of the capture.
        """
        params = {"format": "png"}
        if clip:
            params["clip"] = {**clip, "scale": 1}

        def done(future):
            try:
                data = base64.b64decode(future.result()["data"])
                png_size(data)
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                path = ARTIFACTS / f"pleo_{name}.png"
                path.write_bytes(data)
                self.screenshots[name] = path
                expression = f"document.body.dataset.pleoScreenshot = {json.dumps(name)}"
            except Exception as exc:  # the tour must fail, not hang
                _logger.exception("Screenshot %s failed", name)
                expression = f"console.error({json.dumps(f'screenshot {name} failed: {exc}')})"
            self._evaluate(browser, expression)

        future = browser._websocket_send(  # pylint: disable=protected-access
            "Page.captureScreenshot", params=params, with_future=True
        )
        future.add_done_callback(done)
