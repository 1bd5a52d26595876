"""A fake Pleo External API for tests, demos and manual checks (stdlib only, no Odoo).

Quick start::

    from pleo_sandbox import PleoSandbox

    with PleoSandbox() as sandbox:
        key = sandbox.mint_key()  # a production key of a new company with DEFAULT_SCOPES
        base_url = sandbox.url()  # e.g. http://127.0.0.1:54321
        ...

See README.md beside this file for the control API, the fault kinds and the behaviour switches.
"""

from .models import (
    DEFAULT_SCOPES,
    ENVIRONMENTS,
    FAULT_KINDS,
    REDIRECT_TARGET,
    Behaviour,
    RecordedRequest,
    SandboxError,
    UnknownEntityError,
)
from .server import PleoSandbox
from .state import DEMO_COMPANY_NAME

__all__ = [
    "DEFAULT_SCOPES",
    "DEMO_COMPANY_NAME",
    "ENVIRONMENTS",
    "FAULT_KINDS",
    "REDIRECT_TARGET",
    "Behaviour",
    "PleoSandbox",
    "RecordedRequest",
    "SandboxError",
    "UnknownEntityError",
]
