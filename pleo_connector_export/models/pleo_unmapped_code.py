# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Pleo codes still to map, per company: a read-only SQL view over the failed items that
wait for a code and, when the setup sync is installed, its rows whose Odoo record is gone
(``pleo.connection._pleo_synced_unmapped_query``)."""

from odoo import api, fields, models
from odoo.tools import SQL

from .pleo_export_mapping import MAPPING_KINDS


class PleoUnmappedCode(models.Model):
    """A Pleo code Odoo has no record for yet, once per company: from the failed items that
    wait for it (their failure recorded the code) and from the setup sync's rows whose Odoo
    record is gone while Pleo still uses the code. A code with a mapping row is no longer
    listed; its failed items still wait to be exported again ("Map and re-export").

    Read-only (an SQL query); the row's "Map" opens the mapping wizard.
    """

    _name = "pleo.unmapped.code"
    _description = "Pleo code to map"
    _order = "waiting_count desc, kind, pleo_code"
    _auto = False

    connection_id = fields.Many2one("pleo.connection", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    kind = fields.Selection(MAPPING_KINDS, readonly=True)
    pleo_code = fields.Char(string="Pleo code", readonly=True)
    pleo_name = fields.Char(string="Name in Pleo", readonly=True)
    details = fields.Json(string="Details from Pleo", readonly=True)
    waiting_count = fields.Integer(
        string="Failed items", readonly=True, help="Failed expenses that wait for this code."
    )
    note = fields.Char(string="Proposal", compute="_compute_proposal")
    proposal_ref = fields.Reference(
        string="Proposed record",
        selection=[
            ("account.account", "Account"),
            ("account.tax", "Tax"),
            ("account.analytic.account", "Analytic account"),
        ],
        compute="_compute_proposal",
    )

    @property
    def _table_query(self):
        synced = self.env["pleo.connection"]._pleo_synced_unmapped_query()
        return SQL(
            """
            WITH codes AS (
                SELECT job.connection_id, item.missing_kind AS kind, item.missing_code AS code,
                       item.missing_details AS details, item.entry_uuid AS entry,
                       item.id * 2 AS row_id
                  FROM pleo_export_item item
                  JOIN pleo_export_job job ON job.id = item.job_id
                 WHERE item.state = 'failed' AND item.missing_code IS NOT NULL
                   AND item.missing_kind IN ('account', 'tax', 'tag')
                %(synced)s
            )
            SELECT MIN(codes.row_id) AS id, codes.connection_id, conn.company_id, codes.kind,
                   codes.code AS pleo_code,
                   (ARRAY_AGG(codes.details->>'pleo_name' ORDER BY codes.row_id DESC)
                        FILTER (WHERE codes.details->>'pleo_name' IS NOT NULL))[1] AS pleo_name,
                   (ARRAY_AGG(codes.details ORDER BY codes.entry IS NULL, codes.row_id DESC))[1]
                        AS details,
                   COUNT(DISTINCT codes.entry) AS waiting_count
              FROM codes
              JOIN pleo_connection conn ON conn.id = codes.connection_id
             WHERE NOT EXISTS (
                    SELECT 1 FROM pleo_export_mapping mapping
                     WHERE mapping.connection_id = codes.connection_id
                       AND mapping.kind = codes.kind
                       AND (mapping.pleo_code = codes.code
                            OR (codes.kind = 'tag'
                                AND mapping.pleo_code = SPLIT_PART(codes.code, '/', 2))))
             GROUP BY codes.connection_id, conn.company_id, codes.kind, codes.code
            """,
            synced=SQL("UNION ALL %s", synced) if synced else SQL(""),
        )

    @api.depends("connection_id", "kind", "pleo_code", "details")
    def _compute_proposal(self):
        Mapping = self.env["pleo.export.mapping"]
        for row in self:
            record, note = Mapping._propose(
                row.connection_id, row.kind, row.pleo_code, row.details or {}
            )
            row.note = note
            row.proposal_ref = record and f"{record._name},{record.id}"

    def _resolved_by_default(self):
        """Whether the export now finds a fitting Odoo record for this code without a mapping
        (the account was created or unarchived since, the tax renamed): then it is not listed
        as unmapped, though its failed items still wait to be exported again."""
        self.ensure_one()
        record, _note = self.env["pleo.export.mapping"]._propose(
            self.connection_id, self.kind, self.pleo_code, self.details or {}
        )
        if not record:
            return False
        if self.kind == "account":
            return record.code == self.pleo_code
        if self.kind == "tax":
            return record.name == self.pleo_code
        return record.code == self.pleo_code.rpartition("/")[2]

    def action_map(self):
        """Open the mapping wizard for this code, with its proposal."""
        self.ensure_one()
        return self.env["pleo.map.code"]._open(self.connection_id, self.kind, self.pleo_code)
