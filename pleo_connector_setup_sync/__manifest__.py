# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Pleo Connector: Setup Sync",
    "summary": "Keep Pleo in step with Odoo: push each company's accounts, tax codes, analytic "
    "tags and vendors to Pleo",
    "version": "19.0.2.0.0",
    "category": "Accounting/Accounting",
    "author": "pleo_connector authors",
    "website": "https://github.com/pleo-connector/pleo-connector",
    "maintainers": ["pleo-connector"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["pleo_connector", "account"],
    "auto_install": True,
    "data": [
        "security/ir.model.access.csv",
        "security/pleo_setup_sync_security.xml",
        "views/pleo_connection_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
