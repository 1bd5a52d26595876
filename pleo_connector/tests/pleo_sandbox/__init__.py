"""A fake Pleo External API for tests, demos and manual checks (stdlib only, no Odoo).

Quick start::

    from pleo_sandbox import PleoSandbox

    with PleoSandbox() as sandbox:
        key = sandbox.mint_key()  # a production key of a new company with DEFAULT_SCOPES
        base_url = sandbox.url()  # e.g. http://127.0.0.1:54321
        ...

See README.md beside this file for the control API, the fault kinds, the behaviour switches,
the Export API v3 (``add_export_job``...), the item generator and the receipt file host.
"""

from .demo_scenario import SCENARIOS
from .export_state import ExportError
from .file_host import FILE_FAULTS, FileRequest
from .generator import ITEM_TYPES, REVERSAL_TYPES, ExportItemGenerator, generate_items
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
from .pleo_api import ANY_COMPANY, COMPANIES, INSTALLATIONS, INTROSPECT
from .scripted import RawAnswer, Received, Script, ScriptedServer
from .server import PleoSandbox
from .state import DEMO_COMPANY_ID, DEMO_COMPANY_NAME

__all__ = [
    "ANY_COMPANY",
    "COMPANIES",
    "DEFAULT_SCOPES",
    "DEMO_COMPANY_ID",
    "DEMO_COMPANY_NAME",
    "ENVIRONMENTS",
    "FAULT_KINDS",
    "FILE_FAULTS",
    "INSTALLATIONS",
    "INTROSPECT",
    "ITEM_TYPES",
    "REDIRECT_TARGET",
    "REVERSAL_TYPES",
    "SCENARIOS",
    "Behaviour",
    "ExportError",
    "ExportItemGenerator",
    "FileRequest",
    "PleoSandbox",
    "RawAnswer",
    "Received",
    "RecordedRequest",
    "SandboxError",
    "Script",
    "ScriptedServer",
    "UnknownEntityError",
    "generate_items",
]
