# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Move the encrypted keys out of the rows of ``pleo_connection`` into ``pleo_connection_key``.

Up to 19.0.1.1.0 the ciphertext was a column of ``pleo_connection``, so a row PostgreSQL refused
printed it in the error and the log. The module's update has created the new table; this moves
every stored key into it, then drops the old column.
"""

from odoo.tools import SQL, sql

TABLE = "pleo_connection"
KEY_TABLE = "pleo_connection_key"


def migrate(cr, version):
    if not version or not sql.column_exists(cr, TABLE, "key_token"):
        return
    cr.execute(
        SQL(
            """
            INSERT INTO %(keys)s (connection_id, key_token)
                 SELECT id, key_token FROM %(table)s WHERE key_token IS NOT NULL
            ON CONFLICT (connection_id) DO UPDATE SET key_token = EXCLUDED.key_token
            """,
            keys=SQL.identifier(KEY_TABLE),
            table=SQL.identifier(TABLE),
        )
    )
    cr.execute(SQL("ALTER TABLE %s DROP COLUMN key_token", SQL.identifier(TABLE)))
