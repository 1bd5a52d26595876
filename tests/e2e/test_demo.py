"""The demo, as a newcomer runs it: ``docker/demo.sh --book-and-exit`` from a fresh database.

One command does what the README's "Try it" and "Try an export" do by hand: it starts the
sandbox with its ready Danish export, creates the database, installs the addon, makes the
company the Danish company of the fake Pleo (DKK, ``l10n_dk``), connects it with the demo key
(Save & Test) and presses "Fetch exports now". The test runs the script itself, with this
suite's Odoo and PostgreSQL, on free ports, then reads the database it made: seven entries in
draft with their receipts, the conference ticket failed on the account Odoo's Danish chart
lacks. A second run, on the same database, is the demo restarted: the sandbox starts afresh
with the same company id, so the stored connection still fits the key and the same export
books nothing twice.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .harness import Database, free_port

pytestmark = pytest.mark.pleo_e2e

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "docker" / "demo.sh"
BASH = shutil.which("bash") or "/bin/bash"
#: The demo's install, setup and booking on 2 shared cores take about 2.5 minutes.
TIMEOUT = 900


def _odoo_path(settings):
    """``ODOO_PATH`` for demo.sh: the tree of the suite's odoo-bin (none for ``-m odoo``)."""
    if settings.odoo_bin.startswith("-m "):
        return None
    return str(Path(settings.odoo_bin).resolve().parent)


@pytest.fixture
def demo(settings):
    """Runs demo.sh with ``--book-and-exit`` on its own database and directory; cleans up."""
    db = Database(settings, "demo")
    folder = settings.workdir / db.name
    env = {k: v for k, v in os.environ.items() if k not in ("ODOO_PATH", "PYTHONPATH")}
    env.update(
        ODOO_PYTHON=settings.python,
        PGHOST=settings.pg["host"],
        PGPORT=str(settings.pg["port"]),
        PGUSER=settings.pg["user"],
        PLEO_DEMO_DB=db.name,
        PLEO_DEMO_DIR=str(folder),
        PLEO_DEMO_HTTP_PORT=str(free_port()),
        PLEO_SANDBOX_PORT=str(free_port()),
        PLEO_SANDBOX_STAGING_PORT=str(free_port()),
        PLEO_SANDBOX_FILE_PORT=str(free_port()),
    )
    if settings.pg.get("password"):
        env["PGPASSWORD"] = settings.pg["password"]
    if _odoo_path(settings):
        env["ODOO_PATH"] = _odoo_path(settings)

    def run(**extra):
        result = subprocess.run(
            [BASH, str(DEMO), "--book-and-exit"],
            cwd=REPO,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        return result

    try:
        yield db, run
    finally:
        with contextlib.suppress(Exception):
            db.drop()
        shutil.rmtree(folder, ignore_errors=True)


def test_demo_sh_books_the_ready_export_from_a_fresh_database(demo, figures):
    db, run = demo
    first = run(PLEO_DEMO_RESET="1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "7 booked, 1 failed: " in first.stdout
    assert "Pleo account 2525 'Conferences' has no Odoo account with code 2525" in first.stdout
    # the company is the fake Pleo's demo company, Danish
    company = db.rows(
        "SELECT c.name, c.chart_template, cur.name, p.vat FROM res_company c "
        "JOIN res_currency cur ON cur.id = c.currency_id JOIN res_partner p ON p.id = c.partner_id"
    )
    assert company == [("Demo Pleo Company ApS", "dk", "DKK", "DK12345674")]
    connection = db.rows("SELECT state, pleo_company_uuid, pleo_company_name FROM pleo_connection")
    assert connection == [
        ("connected", "8a1c5e0d-3c2b-4f6a-9e71-d2b0c4a5f001", "Demo Pleo Company ApS")
    ]
    # seven entries in draft in the Pleo journal, six with their receipt (not the top-up)
    moves = db.rows(
        "SELECT m.state, count(a.id) FROM account_move m "
        "JOIN account_journal j ON j.id = m.journal_id AND j.code = 'PLEO' "
        "LEFT JOIN ir_attachment a ON a.res_model = 'account.move' AND a.res_id = m.id "
        "WHERE m.pleo_entry_uuid IS NOT NULL GROUP BY m.id, m.state ORDER BY m.id"
    )
    assert [state for state, _ in moves] == ["draft"] * 7
    assert sorted(receipts for _, receipts in moves) == [0, 1, 1, 1, 1, 1, 1]
    # the restaurant bill's VAT is 25 % deductible (l10n_dk's representation tax): 62.50 of 250.00
    deducted = db.value(
        "SELECT l.debit FROM account_move_line l JOIN account_account a ON a.id = l.account_id "
        "WHERE a.code_store->>(l.company_id::text) = '7740' AND l.move_id IN "
        "(SELECT move_id FROM account_move_line WHERE name LIKE 'Restaurant Kødbyens Fiskebar%')"
    )
    assert float(deducted) == 62.50
    figures("entries_booked", len(moves))

    # The demo restarted: a new sandbox, the same Pleo company id, the same export again.
    again = run()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "is connected to Pleo company Demo Pleo Company ApS" in again.stdout
    assert "1 failed" in again.stdout
    count = db.value("SELECT count(*) FROM account_move WHERE pleo_entry_uuid IS NOT NULL")
    assert count == 7, "the restarted demo booked an entry twice"
