# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def post_init_hook(env):
    """One Pleo connection (not connected) per existing company, for the connections list."""
    env["res.company"].with_context(active_test=False).search([])._create_pleo_connections()
