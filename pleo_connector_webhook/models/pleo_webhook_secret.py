# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What authenticates a connection's webhook deliveries, encrypted, in a table of its own.

Two secrets per connection, both encrypted by the vault that holds the API key
(``pleo.connection._vault()``: the same encryption keys, the same master-key rotation):

* the subscription's signing secret (``whsec_…``, read from Pleo's ``/secret``);
* the unguessable token of the endpoint's path (``/pleo/webhook/<token>``), which Pleo holds in
  the subscription's URL. The route finds the connection by the token's SHA-256 digest, so that
  the token itself is stored encrypted only.

No user has any right on this model; only the addon's code reads it, as the superuser. A copy of
the database forgets both (``data/neutralize.sql``).
"""

import hashlib

from odoo import fields, models


def token_digest(token):
    """The digest the route looks a path token up by."""
    return hashlib.sha256(token.encode()).hexdigest()


class PleoWebhookSecret(models.Model):
    _name = "pleo.webhook.secret"
    _description = "Pleo Webhook Secret (encrypted)"
    _log_access = False

    connection_id = fields.Many2one(
        "pleo.connection", required=True, ondelete="cascade", index=True, readonly=True
    )
    secret_token = fields.Char(groups=fields.NO_ACCESS, readonly=True)
    path_token = fields.Char(groups=fields.NO_ACCESS, readonly=True)
    path_digest = fields.Char(groups=fields.NO_ACCESS, readonly=True, index=True)

    _connection_uniq = models.Constraint(
        "UNIQUE (connection_id)", "A Pleo connection has one webhook secret."
    )
    _digest_uniq = models.Constraint("UNIQUE (path_digest)", "A webhook path token is unique.")
