# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""19.0.2.0.0: pleo_connector becomes three addons; an upgraded database loses nothing.

The export (``pleo_connector_export``) and the setup sync (``pleo_connector_setup_sync``) left
this addon. Left alone, ``-u pleo_connector`` would load the connection only, and at the end
Odoo would delete every record this addon no longer declares: the export and setup-sync models
(dropping ``pleo_export_job``, ``pleo_export_item``, ``pleo_export_mapping`` and
``pleo_setup_record`` with their rows), their fields on shared models (dropping
``account_move.pleo_entry_uuid``, the links of the booked entries, and the connection's export
and sync settings), their views, menus, rules and access rights. So, before the new code loads:

* every row that the two new addons own in a fresh install is handed to them: the external ids
  (``ir_model_data``: models, fields, selections, constraints, views, actions, menus, access
  rights, rules, server actions...), the SQL constraints (``ir_model_constraint``, foreign keys
  included) and the many2many tables (``ir_model_relation``). Which rows: the table
  ``moved_rows.csv`` beside this script, made from a fresh install of the three addons
  (``tests/e2e/test_upgrade.py`` checks that it lists every such row, and prints the table
  again when it does not). A row named there that this database lacks is new in 19.0.2.0.0
  and is simply created by the install;
* both addons are marked ``to install`` (with their dependencies, as the Apps menu's Install
  does): Odoo installs them in this same upgrade, right after this addon, and finds their
  records in place. An addon that is not on the addons path stops the upgrade here, before
  anything is lost;
* an installed addon that now depends on the new addons (``pleo_connector_queue``, which
  depended on this one alone) is marked ``to upgrade``: Odoo reads the new manifests before it
  marks this addon's dependents, so it would only load that addon's code, not its data and
  translations; marked, it is upgraded in this same run, after the new addons;
* nothing is to be done for the records declared ``noupdate``: a new addon loads its data as a
  first install, which writes such records all the same, but the new addons declare none (the
  scheduled actions stay in this addon's data, as ``pleo_connector.ir_cron_*``), so the interval
  an administrator gave the export's scheduled action is kept (``test_upgrade`` checks it).

Field values need nothing: a field keeps its column, and a translated value lives in its
record's jsonb column (Odoo 19 has no ``ir_translation``).
"""

import csv
import logging
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

OLD_MODULE = "pleo_connector"
NEW_MODULES = ("pleo_connector_export", "pleo_connector_setup_sync")
TABLE = Path(__file__).with_name("moved_rows.csv")


def moved_rows(path=TABLE):
    """``{table: {name: new module}}`` from ``moved_rows.csv`` (table, module, name)."""
    rows = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["module"] not in NEW_MODULES:
                raise ValueError(f"{path.name}: unknown module {row['module']!r}")
            names = rows.setdefault(row["table"], {})
            if row["name"] in names:
                raise ValueError(f"{path.name}: {row['table']} {row['name']} listed twice")
            names[row["name"]] = row["module"]
    return rows


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    modules = _new_modules(env)
    counts = move_rows(cr, moved_rows())
    modules.button_install()
    cr.execute("SELECT name, state FROM ir_module_module WHERE name IN %s", [NEW_MODULES])
    states = dict(cr.fetchall())
    if any(states.get(name) not in ("to install", "installed") for name in NEW_MODULES):
        # Read in the upgrade's log by the administrator who runs it: no translation loaded yet.
        raise UserError(f"pleo_connector 19.0.2.0.0: the new addons are not to install: {states}")  # pylint: disable=translation-required
    dependents = (
        env["ir.module.module.dependency"]
        .search([("name", "in", NEW_MODULES), ("module_id.state", "=", "installed")])
        .module_id
    )
    dependents.write({"state": "to upgrade"})
    _logger.info(
        "pleo_connector 19.0.2.0.0: rows handed to the new addons %s; %s marked to install; "
        "%s marked to upgrade",
        counts,
        ", ".join(NEW_MODULES),
        ", ".join(dependents.mapped("name")) or "no other addon",
    )


def _new_modules(env):
    """The new addons' ``ir.module.module`` records (the modules list is refreshed when one is
    missing); stops the upgrade when one is not installable: without it, its data would go."""
    Module = env["ir.module.module"]
    modules = Module.search([("name", "in", NEW_MODULES)])
    if len(modules) < len(NEW_MODULES):
        Module.update_list()
        modules = Module.search([("name", "in", NEW_MODULES)])
    available = {
        module.name
        for module in modules
        if module.state != "uninstallable" and Module.get_module_info(module.name)
    }
    missing = [name for name in NEW_MODULES if name not in available]
    if missing:
        # Read in the upgrade's log by the administrator who runs it: no translation loaded yet.
        raise UserError(  # pylint: disable=translation-required
            "Upgrading pleo_connector to 19.0.2.0.0 needs the addons "
            f"{', '.join(missing)} on the addons path (they hold the Pleo exports and the "
            "setup sync): the upgrade stopped before changing anything."
        )
    return modules


def move_rows(cr, table):
    """Hand the rows named in ``table`` from this addon to the new ones; ``{table: count}``.
    A name the new addon has already (an upgrade run again) is left where it is."""
    module_ids = _module_ids(cr)
    counts = {}
    for name in ("ir_model_data", "ir_model_constraint", "ir_model_relation"):
        # ir_model_data names its module, the two others point at its ir_module_module row
        owner = (lambda module: module) if name == "ir_model_data" else module_ids.get
        counts[name] = 0
        for module in NEW_MODULES:
            names = [n for n, new in table.get(name, {}).items() if new == module]
            if not names:
                continue
            cr.execute(
                SQL(
                    """
                    UPDATE %(table)s t SET module = %(new)s
                     WHERE t.module = %(old)s AND t.name = ANY(%(names)s)
                       AND NOT EXISTS (SELECT FROM %(table)s n
                                        WHERE n.module = %(new)s AND n.name = t.name)
                    """,
                    table=SQL.identifier(name),
                    new=owner(module),
                    old=owner(OLD_MODULE),
                    names=names,
                )
            )
            counts[name] += cr.rowcount
    return counts


def _module_ids(cr):
    cr.execute(
        "SELECT name, id FROM ir_module_module WHERE name IN %s", [(OLD_MODULE, *NEW_MODULES)]
    )
    return dict(cr.fetchall())
