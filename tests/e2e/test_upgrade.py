"""An upgrade that loses nothing: a database of 19.0.1.3.0 (one addon) upgraded to the three.

The previous version's addon comes from git (``git archive`` of :data:`OLD_COMMIT`: a clone
with its history, as CI's). It is installed with ``l10n_dk`` on a fresh database and used over
HTTP, with the sandbox, as people use it: two companies connected with their keys, one key
rotated, exports booked into journal entries and vendor bills with their receipts, a job whose
items failed, a mapping row, setup-sync records, the export's scheduled action set to another
interval and the setup sync's turned off. Then every table of the addon (``pleo_*``), the Pleo
columns of entries, lines and partners, the attachments and the messages of its records are
read row by row; ``odoo-bin -u pleo_connector`` runs with this repository's code (first with the
new pleo_connector alone on the addons path: it must stop and change nothing); and the same rows
are read again. Everything is still there, unchanged; every external id points at the same
record; the three addons are installed; the upgrade logged no ERROR and deleted nothing; the
scheduled actions keep their settings; each company's stored key still passes Save & Test; and
new exports book (one through the mapping made before the upgrade).

The table of rows the pre-migration hands to the new addons (``moved_rows.csv``) is checked
against the template database, a fresh install of this code: it must name exactly the rows that
the old version's pleo_connector owned and that a new addon owns there, and the upgraded
database must then own exactly what a fresh install owns.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import io
import shutil
import subprocess
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from pleo_sandbox import DEFAULT_SCOPES

from .company import Site
from .flows import (
    EXPORT_CRON,
    SETUP_CRON,
    assert_booked_once_and_reported,
    export_state,
    fetch_now,
    write_cron,
)
from .harness import (
    QUEUE_JOB_MISSING,
    Database,
    OdooServer,
    ServerError,
    queue_job_found,
    server_options,
    utc_now_string,
    watch,
)

pytestmark = pytest.mark.pleo_e2e

REPO = Path(__file__).resolve().parents[2]
GIT = shutil.which("git") or "git"
#: The last commit of 19.0.1.3.0, the one addon before the split.
OLD_COMMIT = "8946b1a"
OLD_VERSION, NEW_VERSION = "19.0.1.3.0", "19.0.2.0.0"
ADDONS = ("pleo_connector", "pleo_connector_export", "pleo_connector_setup_sync")
NEW_ADDONS = ADDONS[1:]
MOVED_ROWS = REPO / "pleo_connector" / "migrations" / NEW_VERSION / "moved_rows.csv"
#: What the table of moved rows lists: (table, its name column, how it names its module)
OWNED = {
    "ir_model_data": "SELECT module, name FROM ir_model_data WHERE module = ANY(%s)",
    "ir_model_constraint": "SELECT m.name, c.name FROM ir_model_constraint c "
    "JOIN ir_module_module m ON m.id = c.module WHERE m.name = ANY(%s)",
    "ir_model_relation": "SELECT m.name, r.name FROM ir_model_relation r "
    "JOIN ir_module_module m ON m.id = r.module WHERE m.name = ANY(%s)",
}
#: Columns of shared tables that the addons added, read with each row's id.
SHARED_COLUMNS = {"account_move": "pleo_", "account_move_line": "pleo_", "res_partner": "pleo_"}
RECEIPT_TYPES = ("card_purchase", "out_of_pocket")


def old_addon(workdir):
    """The addon at :data:`OLD_COMMIT`, from the repository's history (never skipped), with
    the job-queue glue of that version beside it (installed only with ``queue_job``)."""
    target = workdir / f"pleo_connector-{OLD_COMMIT}"
    if not (target / "pleo_connector" / "__manifest__.py").is_file():
        archive = subprocess.run(
            [GIT, "-C", str(REPO), "archive", OLD_COMMIT, "pleo_connector", "pleo_connector_queue"],
            capture_output=True,
            check=False,
        )
        if archive.returncode:
            pytest.fail(
                f"the upgrade test needs the previous version from git ({OLD_COMMIT}, "
                f"19.0.1.3.0): a clone with its history. git said: {archive.stderr.decode()}"
            )
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(target, filter="data")
    manifest = (target / "pleo_connector" / "__manifest__.py").read_text(encoding="utf-8")
    assert f'"version": "{OLD_VERSION}"' in manifest, f"{OLD_COMMIT} is not {OLD_VERSION}"
    return target


class FreshServer(OdooServer):
    """A server on a database that ``odoo-bin -i`` makes, instead of a copy of the template."""

    def _prepare(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write_conf()

    def switch_code(self, settings):
        """The same database and options, served by the addons of ``settings``."""
        self.settings = settings
        self._write_conf()


def manifest_version(module):
    """The version of ``module`` in this checkout's manifest."""
    manifest = (REPO / module / "__manifest__.py").read_text(encoding="utf-8")
    return ast.literal_eval(manifest)["version"]


def old_server(settings, sandbox, label):
    """A :class:`FreshServer` whose addons path has :data:`OLD_COMMIT`'s addons instead of
    this checkout's (the rest of the suite's path behind them)."""
    old_path = ",".join(
        [
            str(old_addon(settings.workdir)),
            *(p for p in settings.addons_path.split(",") if Path(p).resolve() != REPO),
        ]
    )
    return FreshServer(
        dataclasses.replace(settings, addons_path=old_path), label, options=server_options(sandbox)
    )


def snapshot(db):
    """Every row the addons hold or link to, as ``{(table, id): {column: value}}``."""
    rows = {}
    transient = {
        name.replace(".", "_")
        for (name,) in db.rows(
            "SELECT model FROM ir_model WHERE transient AND model LIKE 'pleo.%%'"
        )
    }
    tables = [
        name
        for (name,) in db.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name LIKE 'pleo\\_%%'"
        )
        if name not in transient
    ]
    for table in tables:
        key = "id" if db.value(_HAS_ID, (table,)) else None
        for (row,) in db.rows(f'SELECT to_jsonb(t) FROM "{table}" t'):  # noqa: S608
            rows[(table, row[key] if key else tuple(sorted(row.items())))] = row
    for table, prefix in SHARED_COLUMNS.items():
        columns = [
            name
            for (name,) in db.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND column_name LIKE %s",
                (table, prefix + "%"),
            )
        ]
        wanted = ", ".join(f'"{c}"' for c in ["id", *columns])
        for (row,) in db.rows(
            f'SELECT to_jsonb(t) FROM (SELECT {wanted} FROM "{table}") t'  # noqa: S608
        ):
            if any(row[c] not in (None, False) for c in columns):
                rows[(table, row["id"])] = row
    moves = db.rows("SELECT id FROM account_move WHERE pleo_entry_uuid IS NOT NULL")
    for (row,) in db.rows(
        "SELECT to_jsonb(t) FROM (SELECT id, move_id, account_id, partner_id, debit, credit, "
        "amount_currency, currency_id, tax_line_id, name FROM account_move_line "
        "WHERE move_id = ANY(%s)) t",
        ([move for (move,) in moves],),
    ):
        rows[("account_move_line", row["id"])] = {
            **rows.get(("account_move_line", row["id"]), {}),
            **row,
        }
    for table, condition in (
        ("ir_attachment", "res_model = 'account.move' OR res_model LIKE 'pleo.%%'"),
        ("mail_message", "model LIKE 'pleo.%%'"),
    ):
        for (row,) in db.rows(
            f"SELECT to_jsonb(t) - 'write_date' FROM {table} t WHERE {condition}"  # noqa: S608
        ):
            rows[(table, row["id"])] = row
    return rows


_HAS_ID = "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'id'"


def owned(db, modules):
    """``{(table, module, name)}``: the rows of :data:`OWNED` that ``modules`` own."""
    return {
        (table, module, name)
        for table, query in OWNED.items()
        for module, name in db.rows(query, (list(modules),))
    }


def moved_table():
    with MOVED_ROWS.open(encoding="utf-8", newline="") as handle:
        return {(row["table"], row["module"], row["name"]) for row in csv.DictReader(handle)}


@dataclasses.dataclass
class Upgrade:
    server: FreshServer
    site: Site
    tenants: dict
    before: dict
    after: dict
    owned_before: set
    xmlids_before: dict  # name -> (model, res_id) of pleo_connector's external ids
    crons_before: dict
    log: str  # what the upgrade logged
    refused: str  # what the upgrade without the new addons logged
    refused_snapshot: dict


def make_data(site):
    """Two companies used as people use them, with the previous version."""
    scopes = [*DEFAULT_SCOPES, "tax-codes:write", "tag-groups:write"]
    a = site.tenant("Upgrade A", vendors=True, scopes=scopes)
    b = site.tenant("Upgrade B")
    sandbox = site.sandbox
    # vendor bills, then journal entries, with their receipts
    bills = sandbox.add_export_job(
        a.pleo, n=4, wallet_currency="USD", vendor_based_bookkeeping=True, types=("invoice",)
    )
    fetch_now(a)
    entries = sandbox.add_export_job(a.pleo, n=4, wallet_currency="USD", types=RECEIPT_TYPES)
    fetch_now(a)
    for job in (bills, entries):
        state = export_state(site.db, sandbox, a.id, job)
        assert_booked_once_and_reported(site.db, sandbox, a.id, job, state)
    # a job whose items fail (an account Odoo lacks), then a mapping row for that code
    failed = sandbox.add_export_job(
        b.pleo, n=3, types=("card_purchase",), accounts={"expense": "9999"}
    )
    message, _seconds = fetch_now(b)
    assert export_state(site.db, sandbox, b.id, failed).failed == 3, message
    b.user.call(
        "pleo.export.mapping",
        "create",
        {
            "connection_id": b.company.connection_id,
            "kind": "account",
            "pleo_code": "9999",
            "account_id": b.company.accounts["6840"],
        },
        company=b.id,
    )
    # the setup sync: accounts, tax codes, tags and vendors in Pleo, one record each
    a.user.save(
        "pleo.connection",
        a.company.connection_id,
        {"sync_accounts": True, "sync_taxes": True, "sync_tags": True, "sync_vendors": True},
        company=a.id,
    )
    a.user.button("pleo.connection", "action_sync_setup", [a.company.connection_id], company=a.id)
    assert site.db.value(
        "SELECT count(*) FROM pleo_setup_record WHERE connection_id = %s",
        (a.company.connection_id,),
    )
    # A's key rotated (the old one revoked at Pleo: only the new one can pass Save & Test)
    new_key = sandbox.mint_key(a.pleo, scopes=scopes)
    wizard = a.user.call(
        "pleo.rotate.key",
        "web_save",
        [],
        {"connection_id": a.company.connection_id, "new_api_key": new_key},
        company=a.id,
        specification={"rotated": {}},
    )
    assert wizard[0]["rotated"], wizard
    sandbox.revoke_key(a.key)
    a.key = new_key
    # an administrator's settings of the scheduled actions
    write_cron(
        site.admin,
        EXPORT_CRON,
        {"interval_number": 7, "interval_type": "hours", "nextcall": utc_now_string(86400)},
    )
    write_cron(site.admin, SETUP_CRON, {"active": False})
    return {"a": a, "b": b}


CRON_FIELDS = ("interval_number", "interval_type", "active", "nextcall")


def crons(site):
    return {
        xmlid: site.admin.call("ir.cron", "read", [site.admin.xmlid(xmlid)], list(CRON_FIELDS))[0]
        for xmlid in (EXPORT_CRON, SETUP_CRON)
    }


@pytest.fixture(scope="module")
def upgrade(settings, sandbox):
    server = old_server(settings, sandbox, "upgrade")
    old_path = server.settings.addons_path
    try:
        server.install(["l10n_dk", "pleo_connector"], timeout=1800)
        server.restart()
        site = Site(server, sandbox)
        tenants = make_data(site)
        crons_before = crons(site)
        server.stop()
        before = snapshot(server.db)
        owned_before = owned(server.db, ADDONS)
        xmlids_before = {
            name: (model, res_id)
            for name, model, res_id in server.db.rows(
                "SELECT name, model, res_id FROM ir_model_data WHERE module = 'pleo_connector'"
            )
        }
        # the new pleo_connector alone on the addons path: the upgrade stops, nothing changed
        alone = settings.workdir / "pleo_connector-alone"
        alone.mkdir(exist_ok=True)
        if not (alone / "pleo_connector").exists():
            (alone / "pleo_connector").symlink_to(REPO / "pleo_connector")
        server.switch_code(
            dataclasses.replace(
                settings, addons_path=old_path.replace(old_path.split(",")[0], str(alone), 1)
            )
        )
        since = server.log_size()
        with pytest.raises(ServerError):
            server.run_once(("-u", "pleo_connector"), "upgrading pleo_connector alone")
        refused = server.log_text()[since:]
        refused_snapshot = {
            "rows": snapshot(server.db),
            "owned": owned(server.db, ADDONS),
            "version": server.db.value(
                "SELECT latest_version FROM ir_module_module WHERE name = 'pleo_connector'"
            ),
        }
        server.switch_code(settings)
        log = server.run_once(("-u", "pleo_connector"), "upgrading pleo_connector", timeout=1800)
        after = snapshot(server.db)
        server.restart()
        site.admin = server.rpc()
        site._manager = None
        for tenant in tenants.values():
            tenant.user = site.manager
        yield Upgrade(
            server,
            site,
            tenants,
            before,
            after,
            owned_before,
            xmlids_before,
            crons_before,
            log,
            refused,
            refused_snapshot,
        )
    finally:
        server.destroy()


@pytest.fixture(autouse=True)
def _watch(request, upgrade):
    watch(request, upgrade.server)


def test_the_upgrade_installs_the_three_addons_and_logs_no_error(upgrade, figures):
    states = dict(
        upgrade.server.db.rows(
            "SELECT name, state || ' ' || latest_version FROM ir_module_module "
            "WHERE name = ANY(%s)",
            (list(ADDONS),),
        )
    )
    assert states == {module: f"installed {manifest_version(module)}" for module in ADDONS}
    lines = upgrade.log.splitlines()
    assert not [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    warnings = [
        line
        for line in lines
        if " WARNING " in line
        and "pleo" in line
        and "odoo.tools.config: unknown option" not in line
    ]
    assert not warnings, "\n".join(warnings)
    deleted = [line for line in lines if "Deleting " in line or "Dropped " in line]
    figures("deleted_by_the_upgrade", len(deleted))
    assert not deleted, "\n".join(deleted)


def test_without_the_new_addons_the_upgrade_stops_before_changing_anything(upgrade):
    """Only the new pleo_connector on the addons path: its data would go with the models it no
    longer has. The upgrade stops, says why, and the database is as it was."""
    assert "needs the addons pleo_connector_export, pleo_connector_setup_sync" in upgrade.refused
    assert upgrade.refused_snapshot == {
        "rows": upgrade.before,
        "owned": upgrade.owned_before,
        "version": OLD_VERSION,
    }


def test_every_row_is_kept_unchanged(upgrade, figures):
    before, after = upgrade.before, upgrade.after
    figures("rows_compared", len(before))
    by_table = Counter(table for table, _id in before)
    figures("rows_per_table", dict(sorted(by_table.items())))
    for table in (
        "pleo_connection",
        "pleo_connection_key",
        "pleo_export_job",
        "pleo_export_item",
        "pleo_export_mapping",
        "pleo_setup_record",
        "ir_attachment",
    ):
        assert by_table.get(table), f"no {table} rows made before the upgrade: {by_table}"
    missing = [key for key in before if key not in after]
    assert not missing, f"{len(missing)} rows lost, e.g. {missing[:10]}"
    changed = {
        key: {c: (v, after[key].get(c)) for c, v in row.items() if after[key].get(c) != v}
        for key, row in before.items()
    }
    changed = {key: diff for key, diff in changed.items() if diff}
    assert not changed, f"{len(changed)} rows changed, e.g. {list(changed.items())[:5]}"


def test_every_record_keeps_its_external_id_and_each_addon_owns_what_a_fresh_install_owns(
    upgrade, settings, figures
):
    db = upgrade.server.db
    now = {}  # name -> {module: (model, res_id)}
    for module, name, model, res_id in db.rows(
        "SELECT module, name, model, res_id FROM ir_model_data WHERE module = ANY(%s)",
        (list(ADDONS),),
    ):
        now.setdefault(name, {})[module] = (model, res_id)
    lost = {
        name: was
        for name, was in upgrade.xmlids_before.items()
        if was not in now.get(name, {}).values()
    }
    assert not lost, f"external ids gone or pointing elsewhere: {lost}"
    owners = Counter(
        "pleo_connector" if "pleo_connector" in now[name] else "/".join(sorted(now[name]))
        for name in upgrade.xmlids_before
    )
    for module, count in sorted(owners.items()):
        figures(f"xmlids_of_{OLD_VERSION}_now_in_{module}", count)
    fresh = Database(settings, "unused")
    fresh.name = settings.template_db
    fresh_rows = owned(fresh, ADDONS)
    # a row to move: owned by a new addon in a fresh install, by pleo_connector at 19.0.1.3.0,
    # and not also by pleo_connector in a fresh install (a model it extends too, its ``id``)
    expected = {
        (table, module, name)
        for table, module, name in fresh_rows
        if module in NEW_ADDONS
        and (table, "pleo_connector", name) in upgrade.owned_before
        and (table, "pleo_connector", name) not in fresh_rows
    }
    listed = moved_table()
    assert listed == expected, (
        f"{MOVED_ROWS.name} is not the rows to move (missing {len(expected - listed)}, "
        f"stale {len(listed - expected)}); it should read:\n"
        + "table,module,name\n"
        + "\n".join(",".join(row) for row in sorted(expected))
    )
    for (table, module), count in sorted(Counter((t, m) for t, m, _n in listed).items()):
        figures(f"moved_{table}_{module}", count)
    upgraded = owned(db, ADDONS)
    assert upgraded - fresh_rows == set(), sorted(upgraded - fresh_rows)
    assert fresh_rows - upgraded == set(), sorted(fresh_rows - upgraded)


def test_scheduled_actions_keep_what_the_administrator_set(upgrade):
    assert crons(upgrade.site) == upgrade.crons_before


def test_stored_keys_pass_save_and_test_and_new_exports_book(upgrade):
    site = upgrade.site
    for tenant in upgrade.tenants.values():
        action = tenant.user.button(
            "pleo.connection",
            "action_save_and_test",
            [tenant.company.connection_id],
            company=tenant.id,
        )
        assert "is connected to Pleo company" in action["params"]["message"], action
    a, b = upgrade.tenants["a"], upgrade.tenants["b"]
    entries = site.sandbox.add_export_job(a.pleo, n=3, wallet_currency="USD", types=RECEIPT_TYPES)
    mapped = site.sandbox.add_export_job(
        b.pleo, n=2, types=("card_purchase",), accounts={"expense": "9999"}
    )
    for tenant, job in ((a, entries), (b, mapped)):
        fetch_now(tenant)
        state = export_state(site.db, site.sandbox, tenant.id, job)
        assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)
    accounts = site.db.rows(
        "SELECT DISTINCT l.account_id FROM account_move_line l JOIN account_move m "
        "ON m.id = l.move_id WHERE m.company_id = %s AND m.pleo_entry_uuid IS NOT NULL "
        "AND l.debit > 0 AND l.tax_line_id IS NULL",
        (b.id,),
    )
    assert accounts == [(b.company.accounts["6840"],)], "the mapping of 9999 was not used"


def test_the_job_queue_glue_is_upgraded_in_the_same_run(settings, sandbox):
    """A database on the job queue (``pleo_connector_queue`` 19.0.1.0.0, which depended on
    ``pleo_connector`` alone) upgrades the glue in the same ``-u pleo_connector``: its data and
    translations, not only its code (Odoo reads the new manifests before it marks the upgraded
    addon's dependents, so the migration marks it), and its views extend the moved forms."""
    if not queue_job_found(settings):
        pytest.skip(QUEUE_JOB_MISSING.format(python=settings.python, path=settings.addons_path))
    server = old_server(settings, sandbox, "upgrade_queue")
    versions = "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'"
    try:
        server.install(["pleo_connector", "pleo_connector_queue"], timeout=1800)
        before = dict(server.db.rows(versions))
        assert (before["pleo_connector"], before["pleo_connector_queue"]) == (
            OLD_VERSION,
            "19.0.1.0.0",
        )
        server.switch_code(settings)
        log = server.run_once(("-u", "pleo_connector"), "upgrading pleo_connector", timeout=1800)
        assert "Loading module pleo_connector_queue" in log, "its data was not loaded again"
        after = dict(server.db.rows(versions))
        for module in (*ADDONS, "pleo_connector_queue"):
            assert after.get(module) == manifest_version(module), module
        server.restart()
        admin = server.rpc()
        for model, field in (
            ("pleo.connection", "export_queue_state"),
            ("pleo.export.job", "queue_state"),
        ):
            views = admin.call(model, "get_views", [[False, "form"]])
            assert f'name="{field}"' in views["views"]["form"]["arch"], model
    finally:
        server.destroy()
