# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The connector's constants: scopes, states, health-check pacing, what the logs must mask, and
the one table of the server options (odoo.conf) the three addons read, with their defaults."""

import logging
from datetime import timedelta

from odoo.tools import config

from .pleolib.setup_api import DEFAULT_PER_MINUTE

_logger = logging.getLogger(__name__)

#: The server options of odoo.conf the addons read: ``name: (default, kind)``. Every option is
#: read through :func:`read_option`, so that a default is written once (README's configuration
#: table lists the same).
OPTIONS = {
    # where Pleo is (the sandbox in tests and demos)
    "pleo_api_url": (None, str),
    "pleo_api_url_staging": (None, str),
    # calls to Pleo
    "pleo_http_timeout": (20.0, float),
    "pleo_max_retry_wait": (10.0, float),
    "pleo_http_workers": (8, int),
    "pleo_ca_bundle": (None, str),
    # the health check
    "pleo_scope_check_hours": (24.0, float),
    "pleo_failure_threshold": (3, int),
    # receipts of the export
    "pleo_receipts_allow_http": (False, bool),
    "pleo_receipt_allowed_hosts": ("", str),
    # the setup sync's pace
    "pleo_setup_requests_per_minute": (DEFAULT_PER_MINUTE, int),
    # the vault (the PLEO_ENCRYPTION_KEYS environment variable too: pleolib.vault)
    "pleo_encryption_keys": ("", str),
}
#: What a boolean option counts as true.
TRUE_WORDS = ("1", "true", "yes", "on")


def read_option(name):
    """The value of the server option ``name`` (a key of :data:`OPTIONS`), of its kind.

    Numbers: an empty or invalid value falls back to the default (an invalid one is logged).
    Texts: stripped, empty means the default. Booleans: one of :data:`TRUE_WORDS`.
    """
    default, kind = OPTIONS[name]
    raw = config.get(name)
    if kind is bool:
        return str(raw).strip().lower() in TRUE_WORDS if raw not in (None, "") else default
    if kind is str:
        return str(raw or "").strip() or default
    try:
        return kind(raw or default)
    except (TypeError, ValueError):
        _logger.warning("Ignoring the invalid value of the server option %s", name)
        return default


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
