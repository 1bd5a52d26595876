# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""19.0.2.0.0, once every addon is loaded: the ``noupdate`` records are as they were.

``pre-migration.py`` saved the rows of this addon's ``noupdate`` records (its scheduled actions
and their server actions). The new addons load their data as a first install, which writes a
``noupdate`` record all the same: an export cron an administrator set to every hour, or turned
off, would be back to every ten minutes and on. Odoo's rule for such a record is that an upgrade
leaves it alone; this puts each saved row back, column by column, and drops the saved rows.
"""

from odoo.tools import SQL, sql

SAVED_ROWS = "pleo_connector_upgrade_noupdate"


def migrate(cr, version):
    if not version or not sql.table_exists(cr, SAVED_ROWS):
        return
    cr.execute(SQL("SELECT DISTINCT tbl FROM %s", SQL.identifier(SAVED_ROWS)))
    for (table,) in cr.fetchall():
        columns = [c for c in sql.table_columns(cr, table) if c != "id" and _saved(cr, table, c)]
        cr.execute(
            SQL(
                """
                UPDATE %(table)s t SET (%(columns)s) = (
                       SELECT %(values)s FROM jsonb_populate_record(NULL::%(table)s, s.row) r)
                  FROM %(saved)s s
                 WHERE s.tbl = %(name)s AND s.res_id = t.id
                """,
                table=SQL.identifier(table),
                columns=SQL(", ").join(SQL.identifier(c) for c in columns),
                values=SQL(", ").join(SQL.identifier("r", c) for c in columns),
                saved=SQL.identifier(SAVED_ROWS),
                name=table,
            )
        )
    cr.execute(SQL("DROP TABLE %s", SQL.identifier(SAVED_ROWS)))


def _saved(cr, table, column):
    """Whether the saved rows of ``table`` have ``column`` (a column the new code added is
    left as the install made it)."""
    cr.execute(
        SQL(
            "SELECT bool_and(s.row ? %(column)s) FROM %(saved)s s WHERE s.tbl = %(table)s",
            saved=SQL.identifier(SAVED_ROWS),
            column=column,
            table=table,
        )
    )
    return bool(cr.fetchone()[0])
