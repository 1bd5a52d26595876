"""Odoo-free tests: make ``import pleolib`` (the addon's pure-Python layer) and
``import pleo_sandbox`` (the fake Pleo, in the addon's tests) work without Odoo."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADDON_DIR = REPO / "pleo_connector"

for _path in (str(ADDON_DIR), str(ADDON_DIR / "tests"), str(REPO)):  # the repo ends up first
    if _path not in sys.path:
        sys.path.insert(0, _path)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "pleo_e2e: end-to-end test on a real odoo-bin server (tests/e2e; skipped without Odoo)",
    )
