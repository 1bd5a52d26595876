# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The 19.0.1.1.0 migration keeps a database's Pleo ids when their fields are renamed.

The test puts the table and the field rows back as version 19.0.1.0.0 had them (inside the
test's transaction, rolled back afterwards), runs the pre-migration script and reads the values
under their new names.
"""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools import sql

SCRIPT = Path(__file__).resolve().parents[1] / "migrations" / "19.0.1.1.0" / "pre-migration.py"


def load_script():
    spec = importlib.util.spec_from_file_location("pleo_pre_migration_19_0_1_1_0", SCRIPT)
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
