"""Pure-Python layer of the Pleo connector: API client, key vault, key checks, log redaction,
and for the export the Export and setup API calls, the booking rules and the receipt downloads.

Nothing here imports Odoo: the package is used as ``odoo.addons.pleo_connector.pleolib`` by the
addon and as ``pleolib`` by the Odoo-free tests.

Where a rule rests on Pleo's behaviour, a marker says how it is known: ``[spec]`` Pleo's
published OpenAPI files, ``[docs]`` Pleo's documentation pages (developers.pleo.io,
help.pleo.io), ``[unknown]`` neither says: the code takes either case, and the test sandbox has a
switch for each.
"""

from . import (
    answers,
    auth,
    checks,
    client,
    connection_api,
    currency,
    errors,
    export_api,
    items,
    keys,
    network,
    posting,
    reasons,
    receipts,
    redaction,
    setup_api,
    setup_diff,
    slices,
    timestamps,
    vault,
    webhooks,
)
from .auth import PleoAuth
from .checks import check_scopes, ensure_same_company
from .client import BASE_URLS, PRODUCTION_URL, STAGING_URL, PleoClient
from .connection_api import Company, ConnectionApi, Installation, Introspection
from .errors import (
    EncryptionConfigError,
    InstallationInactiveError,
    InstallationMissingError,
    InvalidKeyError,
    KeyFormatError,
    MissingScopesError,
    NotAnApiKeyError,
    NotFoundError,
    PleoError,
    PleoTimeoutError,
    PleoUnavailableError,
    RateLimitedError,
    UndecryptableKeyError,
    UnexpectedResponseError,
    WrongCompanyError,
    WrongSubjectError,
)
from .keys import key_hint, normalize_key
from .vault import KeyVault, generate_key

__all__ = [
    "BASE_URLS",
    "PRODUCTION_URL",
    "STAGING_URL",
    "Company",
    "ConnectionApi",
    "EncryptionConfigError",
    "Installation",
    "InstallationInactiveError",
    "InstallationMissingError",
    "Introspection",
    "InvalidKeyError",
    "KeyFormatError",
    "KeyVault",
    "MissingScopesError",
    "NotAnApiKeyError",
    "NotFoundError",
    "PleoAuth",
    "PleoClient",
    "PleoError",
    "PleoTimeoutError",
    "PleoUnavailableError",
    "RateLimitedError",
    "UndecryptableKeyError",
    "UnexpectedResponseError",
    "WrongCompanyError",
    "WrongSubjectError",
    "answers",
    "auth",
    "check_scopes",
    "checks",
    "client",
    "connection_api",
    "currency",
    "ensure_same_company",
    "errors",
    "export_api",
    "generate_key",
    "items",
    "key_hint",
    "keys",
    "network",
    "normalize_key",
    "posting",
    "reasons",
    "receipts",
    "redaction",
    "setup_api",
    "setup_diff",
    "slices",
    "timestamps",
    "vault",
    "webhooks",
]
