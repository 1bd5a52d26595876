# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .pleo_key_input import key_input


# The settings are extended here, as in every addon (the explicit _name comes with the mixin).
class ResConfigSettings(models.TransientModel):  # pylint: disable=no-wizard-in-models
    """The connect screen: Settings › Accounting › Pleo, for the current company.

    Nothing secret is stored in the settings' table: ``pleo_api_key`` is a write-only input
    whose inverse hands the key to the company's connection (Save & Test), like the
    connection's own ``api_key`` field.
    """

    _name = "res.config.settings"
    _inherit = ["res.config.settings", "pleo.key.input"]
    _pleo_key_inputs = {"pleo_api_key": "_pleo_connect"}

    pleo_connection_id = fields.Many2one("pleo.connection", compute="_compute_pleo_connection_id")
    # Set by the key's inverse when this record's save just ran Save & Test: the button that the
    # form calls right after the save then does not test the key a second time.
    pleo_key_tested = fields.Boolean(readonly=True)
    pleo_environment = fields.Selection(
        selection=lambda self: self.env["pleo.connection"]._fields["environment"].selection,
        compute="_compute_pleo_environment",
        store=True,
        readonly=False,
    )
    pleo_api_key = key_input(string="Pleo API Key", groups="pleo_connector.group_pleo_manager")
    pleo_state = fields.Selection(related="pleo_connection_id.state", string="Pleo Status")
    pleo_company_name = fields.Char(related="pleo_connection_id.pleo_company_name")
    pleo_company_ref = fields.Char(related="pleo_connection_id.pleo_company_uuid")
    pleo_key_hint = fields.Char(related="pleo_connection_id.key_hint")
    pleo_granted_scopes = fields.Char(related="pleo_connection_id.granted_scopes")
    pleo_missing_scopes = fields.Char(related="pleo_connection_id.missing_scopes")
    pleo_last_check_date = fields.Datetime(related="pleo_connection_id.last_check_date")
    pleo_last_error = fields.Text(related="pleo_connection_id.last_error")
    pleo_installation_status = fields.Char(related="pleo_connection_id.installation_status")
    pleo_encryption_key_source = fields.Selection(
        selection=lambda self: (
            self.env["pleo.connection"]._fields["encryption_key_source"].selection
        ),
        compute="_compute_pleo_encryption_key_source",
    )

    @api.depends("company_id")
    def _compute_pleo_connection_id(self):
        for settings in self:
            settings.pleo_connection_id = settings.company_id.pleo_connection_ids[:1]

    @api.depends("pleo_connection_id")
    def _compute_pleo_environment(self):
        for settings in self:
            settings.pleo_environment = settings.pleo_connection_id.environment or "production"

    def _compute_pleo_encryption_key_source(self):
        self.pleo_encryption_key_source = self.env["pleo.connection"]._encryption_key_source()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.pop("pleo_key_tested", None)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get("pleo_key_tested"):
            vals = {k: v for k, v in vals.items() if k != "pleo_key_tested"}
        return super().write(vals)

    def _pleo_connect(self, key):
        """Save & Test of the key typed in the settings, in the chosen environment."""
        self._pleo_connection()._connect(key, self.pleo_environment)
        self.with_context(pleo_key_tested=True).write({"pleo_key_tested": True})

    def _pleo_connection(self):
        """The current company's connection, created on first use."""
        self.ensure_one()
        connection = self.env["pleo.connection"]._get_for_company(self.company_id)
        self.pleo_connection_id = connection
        return connection

    def action_pleo_save_and_test(self):
        connection = self._pleo_connection()
        if self.pleo_key_tested and connection.state == "connected":
            # The form saved this record before calling the button: that save tested the key.
            return connection._connected_notification()
        return connection.action_save_and_test()

    def action_pleo_rotate_key(self):
        return self._pleo_connection().action_open_rotate_wizard()

    def action_pleo_disconnect(self):
        return self._pleo_connection().action_disconnect()

    def action_pleo_open_connections(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "pleo_connector.pleo_connection_action"
        )
