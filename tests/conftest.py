"""The Odoo-free tests' common ground, in one place for ``tests/pleolib``, ``tests/sandbox`` and
``tests/repository``: ``import pleolib`` (the addon's pure-Python layer) and ``import pleo_sandbox``
(the fake Pleo, in the addon's tests) work without Odoo; and what the tests talk to: the sandbox,
one running per module (``running``: starting one per test would cost ~0.1 s each) and emptied
before each test that asks for ``sandbox``; and a webhook receiver on loopback (``receiver``)."""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ADDON_DIR = REPO / "pleo_connector"

for _path in (str(ADDON_DIR), str(ADDON_DIR / "tests"), str(REPO)):  # the repo ends up first
    if _path not in sys.path:
        sys.path.insert(0, _path)

from pleo_sandbox import PleoSandbox  # noqa: E402  (after the path is set)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "pleo_e2e: end-to-end test on a real odoo-bin server (tests/e2e; skipped without Odoo)",
    )


TIMEOUT = 5


@pytest.fixture(scope="module")
def running():
    with PleoSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running):
    running.reset()
    return running


class Receiver:
    """An HTTP endpoint on loopback: records each delivery, answers the next status queued
    (200 when none)."""

    def __init__(self):
        self.deliveries = []
        self.answers = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.deliveries.append((headers, body))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pleo/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.deliveries

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()
