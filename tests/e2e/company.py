"""An Odoo company set up over RPC as an administrator would, for the sandbox's codes.

The chart, taxes, analytic accounts and partners are those of the Odoo tests
(``pleo_connector_export/tests/common.py``: ``ACCOUNTS``, ``TAXES``, ``TAGS``, ``USERS``, read
from that file without importing Odoo), so the sandbox generator's items book without mapping
rows; a bank journal "Pleo" has the wallet account 5850. A Pleo Manager of the company does
what the flows need.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from .harness import Rpc

EXPORT_COMMON = Path(__file__).resolve().parents[2] / "pleo_connector_export/tests/common.py"


def _tables(path=EXPORT_COMMON, names=("ACCOUNTS", "TAXES", "TAGS", "USERS")):
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id in names and node.value is not None:
            found[target.id] = ast.literal_eval(node.value)
    missing = set(names) - set(found)
    if missing:
        raise LookupError(f"{path} no longer defines {sorted(missing)}")
    return found


TABLES = _tables()
ACCOUNTS = TABLES["ACCOUNTS"]  # code -> (name, account type)
TAXES = TABLES["TAXES"]  # name -> (percent, reverse charge)
TAGS = TABLES["TAGS"]  # plan -> analytic account codes
USERS = TABLES["USERS"]  # Pleo user code -> partner name
#: Pleo vendor codes of the generator (vendor-based bookkeeping): partner Reference = code.
VENDORS = {"V1001": "Office Depot", "V1002": "Nordic Supplies", "V1003": "Copenhagen Print"}
CURRENCIES = ("DKK", "EUR", "SEK", "NOK", "GBP")
MANAGER_GROUPS = (
    "base.group_user",
    "pleo_connector.group_pleo_manager",
    "account.group_account_manager",
)


@dataclass
class Company:
    id: int
    name: str
    connection_id: int
    journal_id: int | None = None  # the journal "Pleo" (with the chart only)
    accounts: dict = field(default_factory=dict)  # code -> id


def _command_create(values):
    return (0, 0, values)


def prepare_database(admin):
    """Once per database: the administrator's rights for analytic accounting and the full
    accounting features (the user form's checkboxes), the analytic plans of Pleo's tag groups,
    and the currencies Pleo's items use."""
    groups = [
        admin.xmlid(x) for x in ("analytic.group_analytic_accounting", "account.group_account_user")
    ]
    admin.call("res.users", "write", [admin.uid], {"group_ids": [(4, g) for g in groups]})
    # The analytic plans of Pleo's tag groups, shared by the companies (each creates a field
    # on analytic lines: every worker reloads its registry, so once per database).
    for plan_name in TAGS:
        admin.call("account.analytic.plan", "create", {"name": plan_name})
    ids = admin.call(
        "res.currency",
        "search",
        [("name", "in", list(CURRENCIES)), ("active", "in", (True, False))],
    )
    admin.call("res.currency", "write", ids, {"active": True})


def setup_company(admin: Rpc, name: str, *, chart=True, vendors=False) -> Company:
    """Create company ``name`` and, with ``chart``, set it up for Pleo's exports.

    The company gets Odoo's generic chart (what Settings › Accounting › Fiscal localization
    loads), the accounts, taxes, analytic accounts and partners of the sandbox's codes, and the
    journal "Pleo". ``vendors``: also the partners of the generator's vendor codes, suppliers.
    Without ``chart``, the company only (enough to connect it, or to check its connection).
    """
    company = admin.call("res.company", "create", {"name": name})
    admin.call("res.users", "write", [admin.uid], {"company_ids": [(4, company)]})
    connection = admin.call(
        "pleo.connection", "search", [("company_id", "=", company)], company=company
    )
    if len(connection) != 1:
        raise AssertionError(f"company {name} has {len(connection)} Pleo connections, not one")
    if not chart:
        return Company(company, name, connection[0])
    admin.call("account.chart.template", "try_loading", [], "generic_coa", company, company=company)
    accounts = dict(
        zip(
            ACCOUNTS,
            admin.call(
                "account.account",
                "create",
                [
                    {"code": code, "name": title, "account_type": kind, "company_ids": [company]}
                    for code, (title, kind) in ACCOUNTS.items()
                ],
                company=company,
            ),
            strict=True,
        )
    )

    def repartition(reverse):
        lines = [
            _command_create({"repartition_type": "base"}),
            _command_create(
                {
                    "repartition_type": "tax",
                    "factor_percent": 100,
                    "account_id": accounts["6320"],
                }
            ),
        ]
        if reverse:
            lines.append(
                _command_create(
                    {
                        "repartition_type": "tax",
                        "factor_percent": -100,
                        "account_id": accounts["6330"],
                    }
                )
            )
        return lines

    admin.call(
        "account.tax",
        "create",
        [
            {
                "name": tax_name,
                "amount": percent,
                "amount_type": "percent",
                "type_tax_use": "purchase",
                "company_id": company,
                "invoice_repartition_line_ids": repartition(reverse),
                "refund_repartition_line_ids": repartition(reverse),
            }
            for tax_name, (percent, reverse) in TAXES.items()
        ],
        company=company,
    )
    for plan_name, codes in TAGS.items():
        plan = admin.call("account.analytic.plan", "search", [("name", "=", plan_name)])[0]
        admin.call(
            "account.analytic.account",
            "create",
            [
                {
                    "name": f"{plan_name} {code}",
                    "code": code,
                    "plan_id": plan,
                    "company_id": company,
                }
                for code in codes
            ],
            company=company,
        )
    partners = [
        {"name": partner, "ref": code, "company_id": company} for code, partner in USERS.items()
    ]
    if vendors:
        partners += [
            {
                "name": vendor,
                "ref": code,
                "company_id": company,
                "is_company": True,
                "supplier_rank": 1,
            }
            for code, vendor in VENDORS.items()
        ]
    admin.call("res.partner", "create", partners, company=company)
    journal = admin.call(
        "account.journal",
        "create",
        {
            "name": "Pleo",
            "code": "PLEO",
            "type": "bank",
            "company_id": company,
            "default_account_id": accounts["5850"],
        },
        company=company,
    )
    return Company(company, name, connection[0], journal, accounts)


def connect(manager: Rpc, company: Company, key: str):
    """The connection's form: paste the key, Save, press Save & Test; return its notification."""
    manager.save("pleo.connection", company.connection_id, {"api_key": key}, company=company.id)
    return manager.button(
        "pleo.connection", "action_save_and_test", [company.connection_id], company=company.id
    )


def enable_export(manager: Rpc, company: Company, **extra):
    """The connection's Export tab: Book Pleo exports, in the journal "Pleo"."""
    values = {"export_enabled": True, "export_journal_id": company.journal_id, **extra}
    manager.save("pleo.connection", company.connection_id, values, company=company.id)


@dataclass
class Tenant:
    """An Odoo company connected to its own Pleo company, and the session that connected it."""

    company: Company
    pleo: str  # the Pleo company's id in the sandbox
    key: str
    user: Rpc  # the Pleo Manager's session, or the administrator's
    connected: dict  # the notification Save & Test answered

    @property
    def id(self):
        return self.company.id


class Site:
    """A running server and its sandbox; makes tenants (one Odoo + one Pleo company each).

    One Pleo Manager (``pleo_manager``: the Pleo Manager and accounting administrator groups,
    nothing else) is made a user of every company that needs one, as in a firm where one person
    looks after several companies' Pleo.
    """

    MANAGER = "pleo_manager"

    def __init__(self, server, sandbox):
        self.server = server
        self.sandbox = sandbox
        self.admin = server.rpc()
        prepare_database(self.admin)
        self._manager_uid = None
        self._manager = None

    @property
    def db(self):
        return self.server.db

    def company(self, name, *, chart=True, vendors=False, manager=True) -> Company:
        company = setup_company(self.admin, name, chart=chart, vendors=vendors)
        if manager:
            self._add_manager(company)
        return company

    def _add_manager(self, company):
        if self._manager_uid is None:
            groups = [self.admin.xmlid(xmlid) for xmlid in MANAGER_GROUPS]
            self._manager_uid = self.admin.call(
                "res.users",
                "create",
                {
                    "name": "Pleo Manager",
                    "login": self.MANAGER,
                    "password": self.MANAGER,
                    "company_id": company.id,
                    "company_ids": [(6, 0, [company.id])],
                    "group_ids": [(6, 0, groups)],
                },
                company=company.id,
            )
        else:
            self.admin.call(
                "res.users", "write", [self._manager_uid], {"company_ids": [(4, company.id)]}
            )

    @property
    def manager(self) -> Rpc:
        """The Pleo Manager's session (logged in once; sessions outlive a restart)."""
        if self._manager is None:
            self._manager = self.server.rpc(self.MANAGER, self.MANAGER)
        return self._manager

    def tenant(self, name, *, vendors=False, scopes=None, export=True, manager=True) -> Tenant:
        """A company connected to a new Pleo company, by the Pleo Manager (``manager``), else by
        the administrator (a Settings administrator is a Pleo Manager too); with ``export``, its
        chart is set up and the export enabled."""
        company = self.company(name, chart=export or vendors, vendors=vendors, manager=manager)
        pleo = self.sandbox.add_company(f"Pleo {name}")
        key = self.sandbox.mint_key(pleo, scopes=scopes)
        user = self.manager if manager else self.admin
        connected = connect(user, company, key)
        if export:
            enable_export(user, company)
        return Tenant(company, pleo, key, user, connected)
