# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the database accepts of a Pleo connection, whoever writes it.

``readonly=True`` is only a view attribute: over RPC any Pleo Manager could otherwise write the
state, the Pleo company, the counters and dates the health check relies on. Values are checked
before any SQL runs, because a refused row makes PostgreSQL print it whole (the encrypted key
too) in the error reply and the log. The unique index makes one Pleo company bound to two Odoo
companies impossible, also when two people connect at the same moment.
"""

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError

from ..const import MANAGED_FIELDS, MAX_FAILURE_STREAK

#: Field types whose false value (0, False) is a value, not an empty one.
NUMBERS_AND_FLAGS = ("boolean", "integer", "float", "monetary")


class PleoConnection(models.Model):
    _inherit = "pleo.connection"  # pylint: disable=consider-merging-classes-inherited

    # The database's guarantee behind _check_not_bound_elsewhere: two transactions connecting
    # two Odoo companies to one Pleo company at the same moment cannot both succeed.
    _pleo_company_bound_uniq = models.UniqueIndex(
        "(pleo_company_uuid) WHERE state IN ('connected', 'broken')",
        "This Pleo company is already connected to another Odoo company. "
        "Disconnect it there first.",
    )

    def _check_managed_values(self, vals):
        """Only the addon's own code (as superuser) sets the fields it manages.

        ``readonly=True`` is a view attribute; over RPC any writer could otherwise set the
        state, the Pleo company, the counters and dates the health check relies on.
        """
        if self.env.su:
            return
        managed = sorted(set(vals) & set(MANAGED_FIELDS))
        if managed:
            raise AccessError(
                self.env._(
                    "These fields of a Pleo connection are managed by the connector and cannot "
                    "be changed by hand: %s. Use Save & Test, Rotate Key, Disconnect or Enable.",
                    ", ".join(managed),
                )
            )

    def _check_environment_kept(self, vals):
        """A connection holding a key keeps the environment the key was tested in: the key of
        one environment must never be sent to the other's URL. Choosing another environment
        means connecting again (Disconnect, then Save & Test a key of that environment)."""
        if self.env.su or "environment" not in vals:
            return
        changed = self.filtered(
            lambda connection: (
                connection.state != "draft" and connection.environment != vals["environment"]
            )
        )
        if changed:
            raise AccessError(
                self.env._(
                    "The Pleo environment of %(company)s cannot change while a key is stored: "
                    "Disconnect first, then Save & Test a key of the other environment.",
                    company=changed[0].company_id.name,
                )
            )

    def _check_required_values(self, vals):
        """Refuse empty required values and unknown selection values before any SQL runs.

        A NOT NULL violation makes PostgreSQL print the whole row ("Failing row contains ..."),
        in the error reply and the log: it must never happen. Every stored field of the model
        is checked (the export's and the setup sync's too), not a list to keep up to date.
        """
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None or not field.store:
                continue
            if field.required and not value and field.type not in NUMBERS_AND_FLAGS:
                raise ValidationError(
                    self.env._("A Pleo connection needs a value for %s.", field.string)
                )
            if field.type == "selection" and value and value not in field.get_values(self.env):
                raise ValidationError(
                    self.env._(
                        "%(value)s is not a valid value for %(field)s.",
                        value=value,
                        field=field.string,
                    )
                )
        if "failure_streak" in vals:
            streak = vals["failure_streak"] or 0
            if not isinstance(streak, int) or not 0 <= streak <= MAX_FAILURE_STREAK:
                raise ValidationError(self.env._("The failure streak is out of range."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            managed = {k: v for k, v in vals.items() if k != "company_id"}
            self._check_managed_values(managed)
            self._check_required_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_managed_values(vals)
        self._check_required_values(vals)
        self._check_environment_kept(vals)
        return super().write(vals)
