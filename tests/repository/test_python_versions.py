"""The addon and pleolib run on every Python Odoo 19 supports (3.10 to 3.13).

Odoo 19 declares Python 3.10 as its minimum; a name that only a later Python has (``datetime.UTC``
arrived in 3.11) makes the addon fail to import there. ``vermin`` reads the code's syntax and its
use of the standard library against each Python's own history, which a hand-kept list of names
cannot do.
"""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: vermin's console script, run by the test's own Python (vermin has no ``__main__``).
RUN_VERMIN = "import sys; from vermin import main; sys.argv[0] = 'vermin'; sys.exit(main())"

vermin = pytest.importorskip("vermin", reason="vermin (tests/requirements.txt) is not installed")


#: Every addon of the repository (a folder with a manifest), so that a new one is read too.
ADDONS = sorted(path.parent.name for path in REPO.glob("*/__manifest__.py"))


def test_addon_runs_on_python_3_10_and_later():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_VERMIN,
            "--target=3.10-",
            "--violations",
            "--no-tips",
            *(str(REPO / addon) for addon in ADDONS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Target versions not met" not in result.stdout, result.stdout
