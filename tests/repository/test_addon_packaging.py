"""Every addon is a pip-installable distribution built by OCA's ``whool``.

``pip install ./pleo_connector ./pleo_connector_export ...`` into an Odoo venv needs, in each
addon directory, a ``pyproject.toml`` whose build backend is whool (which reads the manifest for
the name, version and dependencies). tests/run.sh builds the wheels and installs a database from
them (tests/addon_wheels.sh); this check names the addon that would be missing from that build.
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ADDONS = [path.parent for path in sorted(REPO.glob("*/__manifest__.py"))]


def test_the_addons_are_found():
    assert {"pleo_connector", "pleo_connector_queue"} <= {addon.name for addon in ADDONS}


@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_addon_builds_with_whool(addon):
    pyproject = addon / "pyproject.toml"
    assert pyproject.is_file(), f"{addon.name} has no pyproject.toml: run `whool init` at the root"
    text = pyproject.read_text(encoding="utf-8")  # (tomllib is Python 3.11+; Odoo 19 runs 3.10)
    assert re.search(r'^build-backend = "whool\.buildapi"$', text, re.MULTILINE), text
    assert re.search(r'^requires = \["whool[^"]*"\]$', text, re.MULTILINE), text
