# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The connector's constants: scopes, states, health-check pacing, what the logs must mask."""

from datetime import timedelta

#: Scopes the connection itself needs (none beyond a valid key): the export and the setup sync
#: add theirs by overriding ``pleo.connection._required_scopes()`` with ``super()``.
REQUIRED_SCOPES = ()

#: States in which a connection holds a key bound to a Pleo company.
BOUND_STATES = ("connected", "broken")

#: The health check skips connections checked more recently than this (so that a rerun after
#: a crash, or the cron looping on remaining work, continues instead of starting over).
RECHECK_AFTER = timedelta(minutes=30)
#: Connections per batch of the health check, per worker: a multiple of the pool size keeps
#: every worker busy until the batch's end.
HEALTH_BATCH_PER_WORKER = 8
CRON_XMLID = "pleo_connector.ir_cron_pleo_health_check"
#: The export's and the setup sync's crons: records of this addon (their XML ids never change),
#: whose methods ``pleo_connector_export`` and ``pleo_connector_setup_sync`` implement.
EXPORT_CRON_XMLID = "pleo_connector.ir_cron_pleo_export"
SETUP_CRON_XMLID = "pleo_connector.ir_cron_pleo_setup_sync"

#: The write-only fields in which people type keys (connection, settings, rotation wizard).
KEY_INPUT_FIELDS = ("api_key", "new_api_key", "pleo_api_key")
#: The Odoo loggers the key-masking filter sits on, besides pleolib's and the HTTP stack's:
#: the three addons' own, and the RPC logger (it logs call arguments at DEBUG, typed keys
#: included).
REDACTED_LOGGERS = (
    "odoo.addons.pleo_connector",
    "odoo.addons.pleo_connector_export",
    "odoo.addons.pleo_connector_setup_sync",
    "odoo.service.model",
)

#: The fields only the connector's own code sets (as superuser): Save & Test, Rotate Key,
#: Disconnect, Enable and the health check; the export and the setup sync add theirs through
#: ``pleo.connection._managed_fields()``. ``readonly=True`` alone is only a view attribute.
MANAGED_FIELDS = (
    "state",
    "key_hint",
    "pleo_company_uuid",
    "pleo_company_name",
    "installation_uuid",
    "installation_status",
    "granted_scopes",
    "missing_scopes",
    "connected_by_id",
    "last_check_date",
    "last_scope_check_date",
    "last_error",
    "failure_streak",
    "key_token",
    "company_id",
)
#: The largest failure streak stored (the counter stops there instead of overflowing).
MAX_FAILURE_STREAK = 1000
