# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Pleo user an employee's partner stands for, remembered once the export matched them.

Pleo names the employee of an expense by an employee code (often empty), its own user id, and
perhaps an e-mail. The export matches the partner by code (the partner's Reference), by the user
id kept here, or by e-mail, and keeps the user id on the partner it matched: the next expense of
that user finds the same partner even when the code or the e-mail changed. The addon does not
depend on ``hr``: the employee is the partner the liabilities are kept on.

Likewise the Pleo vendor a supplier's partner stands for, per company (each company's Pleo has
vendors of its own, and a partner may be shared by the companies): kept once a bill matched it
(by id, reference or VAT) or Pleo announced the vendor and Odoo matched it by name, so that a
vendor with neither code nor VAT is found again.
"""

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    pleo_user_id = fields.Char(
        string="Pleo User ID",
        copy=False,
        index="btree_not_null",
        help="Pleo's identifier of the user this partner stands for: the Pleo export books the "
        "user's expenses and reimbursements on this partner. Set by the export when it first "
        "matched the user (by employee code or e-mail); clear it to match again.",
    )

    pleo_vendor_id = fields.Char(
        string="Pleo Vendor ID",
        company_dependent=True,
        copy=False,
        help="Pleo's identifier of the vendor this partner is in the current company's Pleo: "
        "the Pleo export books that vendor's bills on this partner. Set when a bill or Pleo's "
        "announcement of a new vendor first matched it; clear it to match again.",
    )

    _pleo_vendor_id_idx = models.Index("USING gin (pleo_vendor_id jsonb_path_ops)")
    _pleo_user_once = models.UniqueIndex(
        "(COALESCE(company_id, 0), pleo_user_id) WHERE pleo_user_id IS NOT NULL",
        "Another partner of this company already stands for this Pleo user.",
    )
