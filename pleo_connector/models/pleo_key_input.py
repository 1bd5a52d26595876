# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


def key_input(**kwargs):
    """A write-only API key field of a model inheriting ``pleo.key.input``.

    It always reads back empty; saving a value hands it to the method the model names for it in
    ``_pleo_key_inputs``. Nothing typed is stored in the model's table.
    """
    return fields.Char(
        compute="_compute_pleo_key_inputs",
        inverse="_inverse_pleo_key_inputs",
        copy=False,
        **kwargs,
    )


class PleoKeyInput(models.AbstractModel):
    """Write-only inputs for a Pleo API key: the connection's, the settings' and the wizard's."""

    _name = "pleo.key.input"
    _description = "Pleo API key input"

    #: ``{field name: method name}``: saving a typed key calls ``record.<method>(key)``.
    _pleo_key_inputs = {}

    def _compute_pleo_key_inputs(self):
        for name in self._pleo_key_inputs:
            self[name] = False

    def _inverse_pleo_key_inputs(self):
        for record in self:
            for name, method in self._pleo_key_inputs.items():
                typed = record[name]
                if typed:
                    getattr(record, method)(typed)
        # The ORM would answer the request that saved the key with the cached value.
        self.invalidate_recordset(list(self._pleo_key_inputs))
