# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Pleo Real-time Export",
    "summary": "Book a Pleo export seconds after Export is pressed, on Pleo's signed webhooks",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "pleo_connector authors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["pleo_connector_export"],
    # Not auto_install: Odoo 19 checks an auto-installed addon's external dependencies when
    # its dependency is installed (ir.module.module.button_install → _state_update →
    # check_external_dependencies), so that `-i pleo_connector` would fail with "an external
    # dependency is not met" on every Odoo without the standardwebhooks package.
    "external_dependencies": {"python": ["standardwebhooks"]},
    "uninstall_hook": "uninstall_hook",
    "data": [
        "security/ir.model.access.csv",
        "security/pleo_webhook_security.xml",
        "views/pleo_connection_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
