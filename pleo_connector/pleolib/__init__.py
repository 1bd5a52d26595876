"""Pure-Python layer of the Pleo connector: API client, key vault, key checks, log redaction.

Nothing here imports Odoo: the package is used as ``odoo.addons.pleo_connector.pleolib`` by the
addon and as ``pleolib`` by the Odoo-free tests.
"""

from . import client, errors, keys, redaction, vault
from .client import (
    BASE_URLS,
    PRODUCTION_URL,
    STAGING_URL,
    Company,
    Installation,
    Introspection,
    PleoClient,
    check_scopes,
    ensure_same_company,
)
from .errors import (
    EncryptionConfigError,
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
    "Introspection",
    "InvalidKeyError",
    "KeyFormatError",
    "KeyVault",
    "MissingScopesError",
    "NotAnApiKeyError",
    "NotFoundError",
    "PleoClient",
    "PleoError",
    "PleoTimeoutError",
    "PleoUnavailableError",
    "RateLimitedError",
    "UndecryptableKeyError",
    "UnexpectedResponseError",
    "WrongCompanyError",
    "check_scopes",
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
