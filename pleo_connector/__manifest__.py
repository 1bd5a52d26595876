# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Pleo Connector",
    "summary": "Connect each company to Pleo with an Integrated API Key",
    "version": "19.0.1.3.0",
    "category": "Accounting/Accounting",
    "author": "pleo_connector authors",
    "license": "LGPL-3",
    "depends": ["account"],
    "external_dependencies": {"python": ["requests", "cryptography"]},
    "post_init_hook": "post_init_hook",
    "data": [
        "security/pleo_security.xml",
        "security/ir.model.access.csv",
        "security/pleo_export_security.xml",
        "data/ir_cron.xml",
        "data/ir_actions_server.xml",
        "views/pleo_connection_views.xml",
        "views/res_config_settings_views.xml",
        "views/pleo_export_views.xml",
        "views/pleo_draft_move_views.xml",
        "views/pleo_setup_sync_views.xml",
        "views/export_payables_views.xml",
        "wizards/pleo_rotate_key_views.xml",
        "wizards/pleo_map_code_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "pleo_connector/static/tests/tours/*.js",
        ],
    },
}
