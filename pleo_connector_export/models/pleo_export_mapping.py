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

A code the export found no record for is listed until it is mapped (``pleo.unmapped.code``,
from the failed items that recorded it and from the setup sync's rows whose Odoo record is
gone), and ``_propose`` says which record it likely means: the mapping wizard
(``pleo.map.code``) starts from that proposal.
"""

from decimal import Decimal

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

    # ------------------------------------------------------------------ proposals

    @api.model
    def _propose(self, connection, kind, code, details=None):
        """The Odoo record a Pleo ``code`` of ``kind`` likely means, and a note that says why
        (or why there is none): ``(record or an empty recordset, note)``.

        An account: the company's account of the same code, else (when the code's account is
        archived) none, with a note naming the archived account, else the account of the
        Pleo name. A tax code: the purchase tax of that name, else one of the same rate and
        type (reverse charge ⇔ a negative tax repartition line) as Pleo sent them. A tag: the
        analytic account of that code (of the tag group's plan when several), else of that
        name. ``details`` is what the failure recorded of the code (name, rate, type).
        """
        details = details or {}
        company = connection.company_id
        propose = getattr(self, f"_propose_{kind}", None)
        if propose is None:
            return self.env["res.partner"], ""
        return propose(company, code, details)

    def _propose_account(self, company, code, details):
        Account = self.env["account.account"].with_company(company)
        domain = Account._check_company_domain(company)
        account = Account.search([*domain, ("code", "=", code)], limit=1)
        if account:
            return account, self.env._(
                "Proposed: the Odoo account %(account)s, of the same code.",
                account=account.display_name,
            )
        archived = Account.with_context(active_test=False).search(
            [*domain, ("code", "=", code), ("active", "=", False)], limit=1
        )
        if archived:
            return Account, self.env._(
                "Account %(code)s exists but is archived: unarchive it or map it.", code=code
            )
        name = details.get("pleo_name")
        account = name and Account.search([*domain, ("name", "=ilike", name)], limit=1)
        if account:
            return account, self.env._(
                "Proposed: the Odoo account %(account)s, of the same name.",
                account=account.display_name,
            )
        return Account, self.env._(
            "No Odoo account has the code %(code)s: choose the account to book it on.", code=code
        )

    @staticmethod
    def _tax_fits(tax, rate, tax_type):
        """Whether ``tax`` takes Pleo's ``rate`` (a fraction, or None) and ``tax_type``, as the
        export checks them: a percentage of the same rate, and reverse charge ⇔ a negative tax
        repartition line."""
        if rate is not None:
            if tax.amount_type != "percent":
                return False
            if abs(Decimal(repr(tax.amount)) - Decimal(rate) * 100) > Decimal("0.0001"):
                return False
        if tax_type:
            reverse = bool(
                tax.invoice_repartition_line_ids.filtered(
                    lambda r: r.repartition_type == "tax" and r.factor < 0
                )
            )
            if (tax_type == "reverse") != reverse:
                return False
        return True

    def _propose_tax(self, company, code, details):
        Tax = self.env["account.tax"].with_company(company)
        taxes = Tax.search(
            [*Tax._check_company_domain(company), ("type_tax_use", "=", "purchase")],
            order="sequence, id",
        )
        rate, tax_type = details.get("rate"), details.get("tax_type")
        fitting = taxes.filtered(lambda tax: self._tax_fits(tax, rate, tax_type))
        named = fitting.filtered(lambda tax: tax.name == code)[:1]
        if named:
            return named, self.env._(
                "Proposed: the purchase tax %(tax)s, of the same name, rate and type.",
                tax=named.display_name,
            )
        if rate is None:  # nothing to compare but the name
            return Tax, self.env._(
                "No purchase tax is named %(code)s: choose the tax Pleo's code stands for.",
                code=code,
            )
        percent = f"{(Decimal(rate) * 100).normalize():f}"
        kind = self._tax_type_label(tax_type)
        if not fitting:
            return Tax, self.env._(
                "No purchase tax of %(percent)s%% (%(kind)s) in %(company)s: create it, then "
                "map the code to it.",
                percent=percent,
                kind=kind,
                company=company.name,
            )
        # Among taxes of the same rate and type, one of the same price inclusion first.
        inclusive = tax_type == "inclusive"
        tax = (fitting.filtered(lambda t: t.price_include == inclusive) or fitting)[:1]
        if len(fitting) == 1:
            return tax, self.env._(
                "Proposed: %(tax)s, the only purchase tax of %(percent)s%% (%(kind)s).",
                tax=tax.display_name,
                percent=percent,
                kind=kind,
            )
        return tax, self.env._(
            "Proposed: %(tax)s, one of %(count)s purchase taxes of %(percent)s%% (%(kind)s): "
            "check it is the right one.",
            tax=tax.display_name,
            count=len(fitting),
            percent=percent,
            kind=kind,
        )

    def _tax_type_label(self, tax_type):
        return {
            "reverse": self.env._("reverse charge"),
            "inclusive": self.env._("VAT included"),
            "exclusive": self.env._("VAT on top"),
        }.get(tax_type, tax_type or self.env._("any type"))

    def _propose_tag(self, company, code, details):
        group, _slash, tag = code.rpartition("/")
        Analytic = self.env["account.analytic.account"]
        domain = [("company_id", "in", (False, company.id))]
        for field in ("code", "name"):
            found = Analytic.search([*domain, (field, "=", tag)])
            if len(found) > 1 and group:
                found = found.filtered(lambda a: a.plan_id.name == group)
            if len(found) == 1:
                return found, (
                    self.env._(
                        "Proposed: the analytic account %(analytic)s, of the same reference.",
                        analytic=found.display_name,
                    )
                    if field == "code"
                    else self.env._(
                        "Proposed: the analytic account %(analytic)s, of the same name.",
                        analytic=found.display_name,
                    )
                )
        return Analytic, self.env._(
            "No analytic account has the reference %(code)s: choose the one this tag stands for.",
            code=tag,
        )
