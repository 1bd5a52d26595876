# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..const import CRON_XMLID
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
    pleo_api_key = key_input(string="Pleo API key", groups="pleo_connector.group_pleo_manager")
    pleo_state = fields.Selection(related="pleo_connection_id.state", string="Pleo Status")
    pleo_company_name = fields.Char(related="pleo_connection_id.pleo_company_name")
    pleo_company_ref = fields.Char(related="pleo_connection_id.pleo_company_uuid")
    pleo_key_hint = fields.Char(related="pleo_connection_id.key_hint")
    pleo_granted_scopes = fields.Char(related="pleo_connection_id.granted_scopes")
    pleo_missing_scopes = fields.Char(related="pleo_connection_id.missing_scopes")
    pleo_last_check_date = fields.Datetime(related="pleo_connection_id.last_check_date")
    pleo_last_error = fields.Text(related="pleo_connection_id.last_error")
    pleo_installation_status = fields.Char(related="pleo_connection_id.installation_status")
    pleo_installation_status_label = fields.Char(
        related="pleo_connection_id.installation_status_label"
    )
    pleo_failure_streak = fields.Integer(related="pleo_connection_id.failure_streak")
    pleo_next_check_date = fields.Datetime(compute="_compute_pleo_next_check_date")
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

    def _compute_pleo_next_check_date(self):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        self.pleo_next_check_date = cron.sudo().nextcall if cron and cron.sudo().active else False

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

    def execute(self):
        """The top Save: when it connected a pasted key, say so (the page reloads after it)."""
        connected = self.browse()
        if not self.env.context.get("pleo_from_button"):
            connected = self.filtered("pleo_key_tested")
        result = super().execute()
        for settings in connected:
            connection = settings.pleo_connection_id
            if connection.state == "connected":
                # A bus notification survives the page reload that follows a save.
                self.env.user._bus_send(
                    "simple_notification",
                    {
                        "type": "success",
                        "title": self.env._("Connected to Pleo"),
                        "message": connection._connected_message(),
                    },
                )
        return result

    def _pleo_other_changes(self):
        """The labels of the other settings this record changes (the form saved them with it)."""
        names = [
            name
            for name, field in self._fields.items()
            if field.store and name not in models.MAGIC_COLUMNS and not name.startswith("pleo_")
        ]
        current = self.default_get(names)  # the settings as they are: defaults and get_values
        saved = self.new(current)
        return [
            self._fields[name]._description_string(self.env)
            for name in current
            if name in names and self[name] != saved[name]
        ]

    def action_pleo_save_and_test(self):
        connection = self._pleo_connection()
        # The form saves the whole page before calling the button: the other changes on it are
        # applied too (not half: execute), and the notification says so.
        other_changes = self._pleo_other_changes()
        if other_changes:
            self.with_context(pleo_from_button=True).execute()
        if self.pleo_key_tested and connection.state == "connected":
            # That save tested the typed key: do not test it a second time, but only once (the
            # form reloads this same record after the button).
            self.with_context(pleo_key_tested=True).write({"pleo_key_tested": False})
            action = connection._connected_notification()
        else:
            action = connection.action_save_and_test()
        if other_changes:
            action["params"]["message"] += "\n" + self.env._(
                "Your other changes on this page were saved too: %s.", ", ".join(other_changes)
            )
        return action

    def action_pleo_rotate_key(self):
        return self._pleo_connection().action_open_rotate_wizard()

    def action_pleo_disconnect(self):
        return self._pleo_connection().action_disconnect()

    def action_pleo_open_connections(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "pleo_connector.pleo_connection_action"
        )
