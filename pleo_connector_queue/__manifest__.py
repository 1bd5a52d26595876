# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Pleo Connector on Job Queue",
    "summary": "Book every company's Pleo exports in parallel, on OCA's queue_job",
    "version": "19.0.1.1.0",
    "category": "Accounting/Accounting",
    "author": "pleo_connector authors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["pleo_connector_export", "pleo_connector_setup_sync", "queue_job"],
    "auto_install": True,
    "data": [
        "data/queue_job_data.xml",
        "views/pleo_connection_views.xml",
        "views/pleo_export_job_views.xml",
    ],
}
