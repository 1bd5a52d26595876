# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Rename the Char fields that hold Pleo's ids: ``*_id`` is for relational fields.

``pleo_company_id`` becomes ``pleo_company_uuid`` and ``installation_id`` becomes
``installation_uuid``. The columns, the fields' ``ir.model.fields`` rows (so that the chatter's
tracking values keep pointing at them) and their XML ids are renamed before the module loads, so
that no value is lost and no new empty column is created.
"""

from odoo.tools import sql

RENAMES = (("pleo_company_id", "pleo_company_uuid"), ("installation_id", "installation_uuid"))
MODEL = "pleo.connection"
TABLE = "pleo_connection"


def migrate(cr, version):
    if not version:
        return
    for old, new in RENAMES:
        if sql.column_exists(cr, TABLE, old) and not sql.column_exists(cr, TABLE, new):
            sql.rename_column(cr, TABLE, old, new)
        cr.execute(
            "UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s"
            " AND NOT EXISTS (SELECT 1 FROM ir_model_fields WHERE model = %s AND name = %s)",
            [new, MODEL, old, MODEL, new],
        )
        cr.execute(
            "UPDATE ir_model_data SET name = %s WHERE module = 'pleo_connector'"
            " AND model = 'ir.model.fields' AND name = %s",
            [f"field_pleo_connection__{new}", f"field_pleo_connection__{old}"],
        )
