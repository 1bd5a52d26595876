# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Exceptions to the default mapping of Pleo's codes to Odoo records, per company.

By default a Pleo account code is the Odoo account with that code, a Pleo tax code the purchase
tax of that name, a tag the analytic account of that reference, a user the partner of that
reference. A row here says otherwise for one code; the defaults cover the rest.

A row belongs to one company for good: its connection never changes after create (the record
rule is checked on the row *before* a write only, so moving a row would plant it in another
company), and every record it points at belongs to that company (or is shared). The ORM checks
a written field against the row's company only for the fields written; the constraint below
checks them all, whoever writes (the booker uses the targets as superuser).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

MAPPING_KINDS = [
    ("account", "Account"),
    ("tax", "Tax"),
    ("tag", "Tag"),
    ("user", "User"),
]
#: The Odoo field each kind maps to.
TARGET_FIELDS = {
    "account": "account_id",
    "tax": "tax_id",
    "tag": "analytic_account_id",
    "user": "partner_id",
}


class PleoExportMapping(models.Model):
    _name = "pleo.export.mapping"
    _description = "Pleo Export Mapping"
    _order = "connection_id, kind, pleo_code"
    _check_company_auto = True

    connection_id = fields.Many2one(
        "pleo.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, precompute=True)
    kind = fields.Selection(MAPPING_KINDS, required=True, default="account")
    pleo_code = fields.Char(
        required=True,
        help="The code as Pleo sends it: an account's code, a tax code, a tag's code "
        "(or group/code), a user's employee code.",
    )
    account_id = fields.Many2one(
        "account.account", string="Odoo Account", check_company=True, ondelete="cascade"
    )
    tax_id = fields.Many2one(
        "account.tax",
        string="Odoo Tax",
        check_company=True,
        domain="[('type_tax_use', '=', 'purchase')]",
        ondelete="cascade",
    )
    analytic_account_id = fields.Many2one(
        "account.analytic.account", check_company=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", check_company=True, ondelete="cascade")

    _code_uniq = models.Constraint(
        "UNIQUE (connection_id, kind, pleo_code)",
        "A Pleo code can be mapped only once per kind.",
    )

    @api.constrains("kind", "account_id", "tax_id", "analytic_account_id", "partner_id")
    def _check_target(self):
        for mapping in self:
            if not mapping[TARGET_FIELDS[mapping.kind]]:
                raise ValidationError(
                    self.env._(
                        "The mapping of Pleo code %(code)s needs its Odoo %(kind)s.",
                        code=mapping.pleo_code,
                        kind=dict(self._fields["kind"]._description_selection(self.env))[
                            mapping.kind
                        ],
                    )
                )

    @api.constrains("connection_id", "account_id", "tax_id", "analytic_account_id", "partner_id")
    def _check_target_company(self):
        """Every record a row points at is of the row's company (or shared), whatever was
        written: ``_check_company`` of all the row's fields, not only of the written ones."""
        self._check_company()

    def write(self, vals):
        if "connection_id" in vals and any(
            mapping.connection_id.id != vals["connection_id"] for mapping in self
        ):
            raise AccessError(
                self.env._(
                    "A mapping row stays with its Pleo connection: delete it and create it in "
                    "the other company's connection instead."
                )
            )
        return super().write(vals)

    def _target(self):
        """The Odoo record this mapping points at."""
        self.ensure_one()
        return self[TARGET_FIELDS[self.kind]]
