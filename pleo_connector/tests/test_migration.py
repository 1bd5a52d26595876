# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The migrations keep a database's data: 19.0.1.1.0 renames the Pleo id fields, 19.0.1.2.0
moves the encrypted keys out of the connections' rows into their own table.

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
