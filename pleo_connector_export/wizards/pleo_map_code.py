# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Map one Pleo code to an Odoo record, from the proposal Odoo makes, and export again.

Opened by "Map" on a code still unmapped (the connection's mapping tabs) and by "Map and
re-export" on a failed item. The wizard proposes the likely record (the same code; for a tax,
the same rate and type; see ``pleo.export.mapping._propose``), or says why there is none (an
archived account of that code is named as such). Confirming writes the connection's mapping row
for the code (a new row, or the row it replaces); "Map and re-export" then has Pleo export the
failed expenses again and fetches them at once, in a request of their own (see
``pleo.export.item._reexport``).
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.pleo_export_mapping import MAPPING_KINDS, TARGET_FIELDS

REEXPORT_ACTION = "pleo_connector_export.pleo_export_item_action_reexport"


def _target(comodel, string, **kwargs):
    """The record a code of one kind is mapped to: the proposal as the wizard opens, which the
    person may change."""
    return fields.Many2one(
        comodel,
        string=string,
        compute="_compute_target",
        store=True,
        readonly=False,
        check_company=True,
        **kwargs,
    )


class PleoMapCode(models.TransientModel):
    _name = "pleo.map.code"
    _description = "Map a Pleo code"

    connection_id = fields.Many2one("pleo.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id")
    kind = fields.Selection(
        [kind for kind in MAPPING_KINDS if kind[0] != "user"], required=True, readonly=True
    )
    pleo_code = fields.Char(string="Pleo code", required=True, readonly=True)
    pleo_name = fields.Char(string="Name in Pleo", compute="_compute_details")
    details = fields.Json(string="Details from Pleo", compute="_compute_details")
    item_ids = fields.Many2many(
        "pleo.export.item",
        string="Failed items",
        help="The failed items to export again once the code is mapped.",
    )
    reexport = fields.Boolean(
        string="Export the failed items again",
        help="Have Pleo export these failed expenses again now, to book them with this mapping.",
    )
    note = fields.Char(string="Proposal", compute="_compute_note")
    account_id = _target("account.account", "Odoo account")
    tax_id = _target("account.tax", "Odoo tax", domain="[('type_tax_use', '=', 'purchase')]")
    analytic_account_id = _target("account.analytic.account", "Odoo analytic account")
    current_mapping_id = fields.Many2one(
        "pleo.export.mapping", string="Mapped now to", compute="_compute_details"
    )

    @api.depends("connection_id", "kind", "pleo_code", "item_ids")
    def _compute_details(self):
        Mapping = self.env["pleo.export.mapping"]
        for wizard in self:
            details = {}
            for item in wizard.item_ids:
                if item.missing_kind == wizard.kind and item.missing_code == wizard.pleo_code:
                    details = item.missing_details or {}
                    break
            if not details and wizard.connection_id and wizard.pleo_code:
                row = self.env["pleo.unmapped.code"].search(
                    [
                        ("connection_id", "=", wizard.connection_id.id),
                        ("kind", "=", wizard.kind),
                        ("pleo_code", "=", wizard.pleo_code),
                    ],
                    limit=1,
                )
                details = row.details or {}
            wizard.details = details
            wizard.pleo_name = details.get("pleo_name") or False
            wizard.current_mapping_id = Mapping.search(
                [
                    ("connection_id", "=", wizard.connection_id.id),
                    ("kind", "=", wizard.kind),
                    ("pleo_code", "=", wizard.pleo_code),
                ],
                limit=1,
            )

    def _proposal(self):
        """``(record, note)``: what Odoo proposes for the code (see ``_propose``)."""
        self.ensure_one()
        if not (self.connection_id and self.kind and self.pleo_code):
            return None, False
        return self.env["pleo.export.mapping"]._propose(
            self.connection_id, self.kind, self.pleo_code, self.details or {}
        )

    @api.depends("connection_id", "kind", "pleo_code", "details")
    def _compute_note(self):
        for wizard in self:
            wizard.note = wizard._proposal()[1]

    @api.depends("connection_id", "kind", "pleo_code", "details")
    def _compute_target(self):
        """The proposal, as the wizard opens; the person may choose another record."""
        for wizard in self:
            record = wizard._proposal()[0]
            for kind, field in TARGET_FIELDS.items():
                if field in wizard._fields:
                    wizard[field] = record if kind == wizard.kind and record else wizard[field]

    # ------------------------------------------------------------------ opening

    @api.model
    def _open(self, connection, kind, code, items=None):
        """The wizard's action for ``code`` of ``kind`` (and the failed ``items`` waiting for it,
        to export again)."""
        connection._check_manager()
        if items is None:
            items = self.env["pleo.export.item"].search(
                [
                    ("job_id.connection_id", "=", connection.id),
                    ("state", "=", "failed"),
                    ("missing_kind", "=", kind),
                    ("missing_code", "=", code),
                ]
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Map Pleo code %(code)s", code=code),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_connection_id": connection.id,
                "default_kind": kind,
                "default_pleo_code": code,
                "default_item_ids": [fields.Command.set(items.ids)],
                "default_reexport": bool(items),
            },
        }

    # ------------------------------------------------------------------ confirming

    def action_confirm(self):
        """Write the mapping row; then export the failed items again if asked."""
        self.ensure_one()
        connection = self.connection_id
        connection._check_manager()
        target = self[TARGET_FIELDS[self.kind]]
        if not target:
            raise UserError(
                self.env._(
                    "Choose the Odoo record Pleo's code %(code)s stands for.", code=self.pleo_code
                )
            )
        Mapping = self.env["pleo.export.mapping"]
        mapping = Mapping.search(
            [
                ("connection_id", "=", connection.id),
                ("kind", "=", self.kind),
                ("pleo_code", "=", self.pleo_code),
            ],
            limit=1,
        )
        values = {TARGET_FIELDS[self.kind]: target.id}
        if mapping:
            mapping.write(values)
        else:
            Mapping.create(
                {
                    "connection_id": connection.id,
                    "kind": self.kind,
                    "pleo_code": self.pleo_code,
                    **values,
                }
            )
        items = self.item_ids.filtered(lambda item: item.state == "failed")
        if self.reexport and items:
            # The export runs in the scheduler's own cursor, which sees only what is committed:
            # the re-export is a second request, after this one committed the mapping.
            action = self.env["ir.actions.actions"]._for_xml_id(REEXPORT_ACTION)
            action["context"] = {
                "active_model": "pleo.export.item",
                "active_id": items[0].id,
                "active_ids": items.ids,
            }
            return action
        return connection._notification(
            self.env._("Pleo code mapped"),
            self.env._(
                "Pleo's code %(code)s is booked on %(record)s from now on.",
                code=self.pleo_code,
                record=target.display_name,
            ),
        )
