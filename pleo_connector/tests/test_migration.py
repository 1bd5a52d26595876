# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The migrations keep a database's data: 19.0.1.1.0 renames the Pleo id fields, 19.0.1.2.0
moves the encrypted keys out of the connections' rows into their own table, 19.0.2.0.0 hands
the export's and the setup sync's rows to their new addons (the whole upgrade, on real servers:
``tests/e2e/test_upgrade.py``).

Each test puts the tables back as the previous version had them (inside the test's transaction,
rolled back afterwards), runs the migration script and reads the values where they now live.
"""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools import sql

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
SCRIPT = MIGRATIONS / "19.0.1.1.0" / "pre-migration.py"
KEY_TABLE_SCRIPT = MIGRATIONS / "19.0.1.2.0" / "post-key_table.py"
SPLIT_SCRIPT = MIGRATIONS / "19.0.2.0.0" / "pre-migration.py"


def load_script(path=SCRIPT):
    spec = importlib.util.spec_from_file_location(f"pleo_migration_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration(TransactionCase):
    def test_renamed_fields_keep_their_values(self):
        cr = self.env.cr
        connection = self.env.company.pleo_connection_ids
        self.env.flush_all()
        cr.execute(
            "UPDATE pleo_connection SET pleo_company_uuid = 'pleo-company', "
            "installation_uuid = 'pleo-installation' WHERE id = %s",
            [connection.id],
        )
        migration = load_script()
        for old, new in migration.RENAMES:  # back to 19.0.1.0.0
            sql.rename_column(cr, "pleo_connection", new, old)
            cr.execute(
                "UPDATE ir_model_fields SET name = %s WHERE model = 'pleo.connection'"
                " AND name = %s",
                [old, new],
            )
            cr.execute(
                "UPDATE ir_model_data SET name = %s WHERE name = %s",
                [f"field_pleo_connection__{old}", f"field_pleo_connection__{new}"],
            )
        migration.migrate(cr, "19.0.1.0.0")
        cr.execute(
            "SELECT pleo_company_uuid, installation_uuid FROM pleo_connection WHERE id = %s",
            [connection.id],
        )
        self.assertEqual(cr.fetchone(), ("pleo-company", "pleo-installation"))
        for old, new in migration.RENAMES:
            self.assertFalse(sql.column_exists(cr, "pleo_connection", old))
            self.assertEqual(self.env["ir.model.fields"]._get("pleo.connection", new).name, new)
            self.assertTrue(self.env.ref(f"pleo_connector.field_pleo_connection__{new}"))

    def test_stored_keys_move_to_their_own_table(self):
        cr = self.env.cr
        company_b = self.env["res.company"].create({"name": "Migrated B"})
        connections = self.env.company.pleo_connection_ids | company_b.pleo_connection_ids
        self.env.flush_all()
        # back to 19.0.1.1.0: the ciphertext in a column of pleo_connection, no key rows
        cr.execute("ALTER TABLE pleo_connection ADD COLUMN key_token varchar")
        cr.execute(
            "UPDATE pleo_connection SET key_token = 'token-' || id WHERE id = %s",
            [connections[0].id],
        )
        cr.execute("DELETE FROM pleo_connection_key")
        load_script(KEY_TABLE_SCRIPT).migrate(cr, "19.0.1.1.0")
        cr.execute("SELECT connection_id, key_token FROM pleo_connection_key")
        self.assertEqual(cr.fetchall(), [(connections[0].id, f"token-{connections[0].id}")])
        self.assertFalse(sql.column_exists(cr, "pleo_connection", "key_token"))
        self.assertEqual(
            connections[0].sudo()._read_tokens(), {connections[0].id: f"token-{connections[0].id}"}
        )
        # run again (a second update): nothing to do, nothing lost
        load_script(KEY_TABLE_SCRIPT).migrate(cr, "19.0.1.2.0")
        cr.execute("SELECT count(*) FROM pleo_connection_key")
        self.assertEqual(cr.fetchone()[0], 1)

    def test_split_hands_the_new_addons_their_rows_and_installs_them(self):
        """Back to 19.0.1.3.0 (the rows of moved_rows.csv owned by pleo_connector, the two
        new addons uninstalled): the pre-migration of 19.0.2.0.0 gives every row back to the
        addon a fresh install gives it, and marks both addons to install."""
        cr = self.env.cr
        migration = load_script(SPLIT_SCRIPT)
        table = migration.moved_rows()
        ids = dict(
            self.env["ir.module.module"]
            .search([("name", "in", ("pleo_connector", *migration.NEW_MODULES))])
            .mapped(lambda module: (module.name, module.id))
        )
        queries = {
            "ir_model_data": "SELECT name, module FROM ir_model_data WHERE module IN %s",
            "ir_model_constraint": "SELECT c.name, m.name FROM ir_model_constraint c "
            "JOIN ir_module_module m ON m.id = c.module WHERE m.name IN %s",
            "ir_model_relation": "SELECT r.name, m.name FROM ir_model_relation r "
            "JOIN ir_module_module m ON m.id = r.module WHERE m.name IN %s",
        }

        def owners(name, rows):
            cr.execute(queries[name], [migration.NEW_MODULES])
            found = dict(cr.fetchall())
            return {n: found.get(n) for n in rows}

        for name, rows in table.items():
            # every listed row is the new addon's in this fresh install
            self.assertEqual(owners(name, rows), rows)
            owner = (lambda module: module) if name == "ir_model_data" else ids.get
            for module in migration.NEW_MODULES:
                cr.execute(
                    f"UPDATE {name} SET module = %s WHERE module = %s AND name = ANY(%s)",  # noqa: S608
                    [
                        owner("pleo_connector"),
                        owner(module),
                        [n for n in rows if rows[n] == module],
                    ],
                )
        cr.execute(
            "UPDATE ir_module_module SET state = 'uninstalled' WHERE name IN %s",
            [migration.NEW_MODULES],
        )
        self.env.invalidate_all()
        migration.migrate(cr, "19.0.1.3.0")
        for name, rows in table.items():
            self.assertEqual(owners(name, rows), rows)
        cr.execute("SELECT state FROM ir_module_module WHERE name IN %s", [migration.NEW_MODULES])
        self.assertEqual([state for (state,) in cr.fetchall()], ["to install", "to install"])
