# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Pleo Connector",
    "summary": "Connect each company to Pleo with an Integrated API Key: key vault, health "
    "checks, rotation; the export and the setup sync come with it (auto-installed)",
    "version": "19.0.2.0.0",
    "category": "Accounting/Accounting",
    "author": "pleo_connector authors",
    "website": "https://github.com/pleo-connector/pleo-connector",
    "maintainers": ["pleo-connector"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["account", "mail"],
    "external_dependencies": {"python": ["requests", "cryptography"]},
    "post_init_hook": "post_init_hook",
    "data": [
        "security/pleo_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "data/ir_actions_server.xml",
        "views/pleo_connection_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/pleo_rotate_key_views.xml",
        "views/pleo_connector_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "pleo_connector/static/tests/tours/*.js",
        ],
    },
}
