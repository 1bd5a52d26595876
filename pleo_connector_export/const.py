# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The export's constants: the scopes it needs and the connection fields only it sets."""

#: The scopes a key must grant for the export: read and update export jobs and their items,
#: and read the chart of accounts the items' codes point into.
EXPORT_SCOPES = ("export-jobs:read", "export-jobs:write", "export-items:read", "accounts:read")

#: The connection fields only the export's own code sets (as superuser).
EXPORT_MANAGED_FIELDS = ("export_polled_at",)

#: Pleo › Exports, for the texts that send a reader there (``exceptions.menu_path``).
EXPORTS_MENU = ("pleo_connector.pleo_app_menu", "pleo_connector_export.pleo_app_export_job_menu")
