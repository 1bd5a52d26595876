# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Pleo Connector: Export",
    "summary": "Book Pleo's export jobs in Odoo: card expenses as journal entries, invoices as "
    "vendor bills and payments, with receipts, mappings of Pleo's codes and drafts to review",
    "version": "19.0.2.1.0",
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
        "security/pleo_export_security.xml",
        "views/pleo_export_job_views.xml",
        "views/pleo_export_item_views.xml",
        "views/pleo_connection_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/pleo_map_code_views.xml",
        "wizards/validate_account_move_views.xml",
        "views/pleo_connector_export_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "pleo_connector_export/static/tests/tours/*.js",
        ],
    },
}
