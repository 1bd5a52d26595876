# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the README's security model says of system administrators is true: Odoo's system
rights (a server action's code runs as they wish, ``sudo()`` included) give a key in clear,
while the same code run by a Pleo Manager cannot even be saved."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import PleoCase

READ_KEY = 'action = {"key": env["pleo.connection"].sudo().browse(%d)._stored_key()}'


@tagged("post_install", "-at_install")
class TestSystemAdministrators(PleoCase):
    def server_action(self, user, code):
        return (
            self.env["ir.actions.server"]
            .with_user(user)
            .create(
                {
                    "name": "Read a Pleo key",
                    "model_id": self.env.ref("pleo_connector.model_pleo_connection").id,
                    "state": "code",
                    "code": code,
                }
            )
        )

    def test_a_system_administrator_can_read_a_key_with_code(self):
        key = self.connect()
        action = self.server_action(self.admin_a, READ_KEY % self.conn_a.id)
        result = action.with_user(self.admin_a).run()
        self.assertEqual(result["key"], key)

    def test_a_pleo_manager_cannot_write_code(self):
        self.connect()
        with self.assertRaises(AccessError):
            self.server_action(self.manager_a, READ_KEY % self.conn_a.id)
