"""Pure-Python layer of the Pleo connector: API client, key vault, key checks, log redaction,
and for the export the Export and setup API calls, the booking rules and the receipt downloads.

Nothing here imports Odoo: the package is used as ``odoo.addons.pleo_connector.pleolib`` by the
addon and as ``pleolib`` by the Odoo-free tests.
"""

from . import (
    answers,
    auth,
    checks,
    client,
    currency,
    errors,
    export_api,
    items,
    keys,
    posting,
    receipts,
    redaction,
    setup_api,
    vault,
)
from .answers import Company, Installation, Introspection
from .auth import PleoAuth
from .checks import check_scopes, ensure_same_company
from .client import BASE_URLS, PRODUCTION_URL, STAGING_URL, PleoClient
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
    "ensure_same_company",
    "errors",
    "generate_key",
    "key_hint",
    "keys",
    "normalize_key",
    "redaction",
    "vault",
]
