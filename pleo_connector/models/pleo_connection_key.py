# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The encrypted API key of a connection, in a table of its own.

PostgreSQL prints a refused row whole ("Failing row contains ...") in the error reply and the
log. The key's ciphertext therefore never sits in a row of ``pleo_connection``, whose many
fields people write: it sits here, in a row of two columns that only the connector's own SQL
writes (``pleo_connection_vault.py``), with values that cannot be refused. No user has any
right on this model (``auth_totp`` keeps its secret out of reach the same way); the ORM's
``pleo.connection.key_token`` is computed from it for the superuser only.
"""

from odoo import fields, models


class PleoConnectionKey(models.Model):
    _name = "pleo.connection.key"
    _description = "Pleo Connection Key (encrypted)"
    _log_access = False

    connection_id = fields.Many2one(
        "pleo.connection", required=True, ondelete="cascade", index=True, readonly=True
    )
    key_token = fields.Char(required=True, readonly=True, groups=fields.NO_ACCESS)

    _connection_uniq = models.Constraint(
        "UNIQUE (connection_id)", "A Pleo connection has one stored key."
    )
