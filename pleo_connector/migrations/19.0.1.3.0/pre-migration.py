# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One live journal entry per Pleo expense, instead of one entry whatever its state.

The unique constraint ``account_move_pleo_entry_uniq`` on ``(company_id, pleo_entry_uuid)`` is
replaced by the partial unique index ``account_move_pleo_entry_once``, which leaves out the
entries the export marked as superseded (cancelled or reversed in full, then booked again). Odoo
keeps a constraint it no longer declares, so it is dropped here (with its ``ir.model.constraint``
row) before the module loads and creates the index.
"""

from odoo.tools import sql

TABLE = "account_move"
OLD = "account_move_pleo_entry_uniq"


def migrate(cr, version):
    if not version:
        return
    if sql.constraint_definition(cr, TABLE, OLD):
        sql.drop_constraint(cr, TABLE, OLD)
    cr.execute(
        "DELETE FROM ir_model_constraint WHERE name = %s AND module = "
        "(SELECT id FROM ir_module_module WHERE name = 'pleo_connector')",
        [OLD],
    )
