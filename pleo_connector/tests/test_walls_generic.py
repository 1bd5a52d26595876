# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every user kind against every Pleo model and every Pleo field of Odoo's models, data-driven.

The red team's user kinds (:data:`USER_KINDS`: public, portal, internal employee, accountant of
A, Pleo Manager of A, Pleo Manager and accountant of A while B is connected) try read, search,
read_group, write, create, unlink, onchange and export_data on company B's records of every
``pleo.*`` model, on B's journal entry's ``pleo_*`` fields, on B's ``res.company`` and on the
Pleo settings. The security model (README) gives none of them anything of company B: each
attempt must be refused (``AccessError``/``UserError``/``ValidationError``) or find nothing;
the only things allowed (:data:`ALLOWED`) are those Odoo itself allows on a shared record, and
they must not carry B's Pleo data.

:data:`PLEO_MODELS` says how to attack each model; a ``pleo.*`` model that is not in it fails
:meth:`test_every_pleo_model_is_attacked`, so a new model is attacked as soon as it is listed.
"""

import uuid

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import PleoCase

#: A refusal; a unique index of the database (e.g. one connection per company) counts too: Odoo
#: answers an RPC caller with its message, and the transaction is rolled back.
REFUSED = (AccessError, UserError, ValidationError, IntegrityError)
OPERATIONS = ("read", "search", "read_group", "write", "create", "unlink", "onchange", "export")

#: user kind -> (attribute of the test holding the user, what the red team called it)
USER_KINDS = {
    "public": ("user_public", "(1) outsider / public user"),
    "portal": ("portal_a", "(2) portal user of A"),
    "employee": ("employee_a", "(3) internal user of A, no accounting"),
    "accountant": ("accountant_full_a", "(4) accountant (full accounting) of A"),
    "pleo_manager": ("manager_only_a", "(5) Pleo Manager of A, no accounting"),
    "pleo_manager_accountant": ("manager_a", "(6) Pleo Manager and accountant of A, B connected"),
}

#: Abstract models have no records to attack.
ABSTRACT = {"pleo.key.input"}

#: pleo.* model -> how to attack B's record: ``record`` is the attribute of the test holding it,
#: ``write`` the values a write tries, ``create`` the values a create tries (on B's connection).
PLEO_MODELS = {
    "pleo.connection": {
        "record": "conn_b",
        "write": {"export_enabled": False, "sync_vendor_domain": "[]"},
        "create": lambda t: {"company_id": t.company_b.id},
    },
    "pleo.connection.key": {
        "record": "key_row_b",
        "write": {"connection_id": None},
        "create": lambda t: {"connection_id": t.conn_b.id, "key_token": "forged"},
    },
    "pleo.export.job": {
        "record": "job_b",
        "write": {"state": "failed"},
        "create": lambda t: {"connection_id": t.conn_b.id, "pleo_job_uuid": str(uuid.uuid4())},
    },
    "pleo.export.item": {
        "record": "item_b",
        "write": {"state": "booked"},
        "create": lambda t: {"job_id": t.job_b.id, "entry_uuid": str(uuid.uuid4())},
    },
    "pleo.export.mapping": {
        "record": "mapping_b",
        "write": {"pleo_code": "HIJACK"},
        "create": lambda t: {
            "connection_id": t.conn_b.id,
            "kind": "account",
            "pleo_code": "7777",
            "account_id": t.account_b.id,
        },
    },
    "pleo.setup.record": {
        "record": "setup_b",
        "write": {"pleo_uuid": "forged"},
        "create": lambda t: {"connection_id": t.conn_b.id, "kind": "account", "pleo_uuid": "x"},
    },
    "pleo.rotate.key": {
        "record": "rotate_b",
        "write": {"connection_id": None},
        "create": lambda t: {"connection_id": t.conn_b.id},
    },
    "pleo.unmapped.code": {
        "record": "unmapped_b",
        "write": {"pleo_code": "HIJACK"},
        "create": lambda t: {"connection_id": t.conn_b.id, "kind": "account", "pleo_code": "1"},
    },
    "pleo.map.code": {
        "record": "map_code_b",
        "write": {"account_id": None},
        "create": lambda t: {"connection_id": t.conn_b.id, "kind": "account", "pleo_code": "1"},
    },
}

#: The models of pleo_connector_webhook (not auto-installed: attacked when it is installed).
OPTIONAL_MODELS = {
    "pleo.webhook.event": {
        "record": "event_b",
        "write": {"state": "done"},
        "create": lambda t: {
            "connection_id": t.conn_b.id,
            "message_id": str(uuid.uuid4()),
            "event_type": "v1.export-job.created",
        },
    },
    "pleo.webhook.secret": {
        "record": "secret_b",
        "write": {"connection_id": None},
        "create": lambda t: {"connection_id": t.conn_b.id},
    },
}

#: (user kind, model, operation) allowed by the security model on B's records: none of B's
#: Pleo records; res.company is Odoo's shared record (checked apart: no Pleo data of B).
ALLOWED = set()


@tagged("post_install", "-at_install", "pleo_walls")
class TestWallsGeneric(PleoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.user_public = env.ref("base.public_user")
        cls.accountant_full_a = new_test_user(
            env,
            "pleo_walls_accountant_a",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        cls.manager_only_a = new_test_user(
            env,
            "pleo_walls_manager_a",
            groups="base.group_user,pleo_connector.group_pleo_manager",
            company_id=cls.company_a.id,
            company_ids=[cls.company_a.id],
        )
        # As the red team did: Odoo's own export right, so that export_data meets the walls.
        export_group = env.ref("base.group_allow_export")
        for user in (
            cls.employee_a,
            cls.accountant_full_a,
            cls.manager_only_a,
            cls.manager_a,
            cls.manager_b,
        ):
            user.group_ids = [(4, export_group.id)]
        cls.account_b = env["account.account"].create(
            {
                "code": "6810",
                "name": "Meals B",
                "account_type": "expense",
                "company_ids": [cls.company_b.id],
            }
        )
        cls.bank_b = env["account.account"].create(
            {
                "code": "5850",
                "name": "Pleo B",
                "account_type": "asset_cash",
                "company_ids": [cls.company_b.id],
            }
        )
        cls.journal_b = env["account.journal"].create(
            {"name": "Misc B", "code": "MISCB", "type": "general", "company_id": cls.company_b.id}
        )

    def setUp(self):
        super().setUp()
        env = self.env
        self.connect(self.conn_b, key=self.mint(self.pleo_b), user=self.manager_b)
        self.assertEqual(self.conn_b.state, "connected")
        self.pleo_name_b = self.conn_b.pleo_company_name
        self.key_row_b = (
            env["pleo.connection.key"].sudo().search([("connection_id", "=", self.conn_b.id)])
        )
        self.job_b = (
            env["pleo.export.job"]
            .sudo()
            .create({"connection_id": self.conn_b.id, "pleo_job_uuid": str(uuid.uuid4())})
        )
        self.item_b = (
            env["pleo.export.item"]
            .sudo()
            .create({"job_id": self.job_b.id, "entry_uuid": str(uuid.uuid4())})
        )
        self.mapping_b = (
            env["pleo.export.mapping"]
            .sudo()
            .create(
                {
                    "connection_id": self.conn_b.id,
                    "kind": "account",
                    "pleo_code": "6810",
                    "account_id": self.account_b.id,
                }
            )
        )
        self.setup_b = (
            env["pleo.setup.record"]
            .sudo()
            .create(
                {
                    "connection_id": self.conn_b.id,
                    "kind": "account",
                    "account_id": self.account_b.id,
                    "pleo_uuid": str(uuid.uuid4()),
                }
            )
        )
        if "pleo.webhook.event" in env:
            self.event_b = (
                env["pleo.webhook.event"]
                .sudo()
                .create(OPTIONAL_MODELS["pleo.webhook.event"]["create"](self))
            )
            self.secret_b = (
                env["pleo.webhook.secret"].sudo().create({"connection_id": self.conn_b.id})
            )
        self.rotate_b = (
            env["pleo.rotate.key"]
            .with_user(self.manager_b)
            .create({"connection_id": self.conn_b.id})
        ).sudo()
        env["pleo.export.item"].sudo().create(
            {
                "job_id": self.job_b.id,
                "entry_uuid": str(uuid.uuid4()),
                "state": "failed",
                "missing_kind": "account",
                "missing_code": "9999",
            }
        )
        self.env.flush_all()
        self.unmapped_b = (
            env["pleo.unmapped.code"].sudo().search([("connection_id", "=", self.conn_b.id)])
        )
        self.assertEqual(self.unmapped_b.pleo_code, "9999")
        self.map_code_b = (
            env["pleo.map.code"]
            .with_user(self.manager_b)
            .create({"connection_id": self.conn_b.id, "kind": "account", "pleo_code": "9999"})
        ).sudo()
        self.move_b = (
            env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "entry",
                    "journal_id": self.journal_b.id,
                    "pleo_entry_uuid": str(uuid.uuid4()),
                    "pleo_fingerprint": "f" * 64,
                    "pleo_web_url": "https://app.pleo.io/x",
                    "line_ids": [
                        (0, 0, {"account_id": self.account_b.id, "debit": 42.0, "name": "B"}),
                        (0, 0, {"account_id": self.bank_b.id, "credit": 42.0, "name": "B"}),
                    ],
                }
            )
        )
        self.env.flush_all()

    # ------------------------------------------------------------------ the attacks

    def secrets_of_b(self):
        """Texts that must not reach a user of A (names and ids of B's Pleo data)."""
        return [
            text
            for text in (
                self.pleo_name_b,
                self.conn_b.sudo().pleo_company_uuid,
                self.conn_b.sudo().key_hint,
                self.item_b.entry_uuid,
                self.job_b.pleo_job_uuid,
                self.setup_b.pleo_uuid,
                self.move_b.pleo_entry_uuid,
            )
            if text
        ]

    def attack(self, user, model, record, operation, spec):
        """Run one attack as ``user``; return ``"refused"``, ``"empty"`` or the result."""
        Model = (
            self.env[model].with_user(user).with_context(allowed_company_ids=[user.company_id.id])
        )
        mine = record.with_user(user).with_env(Model.env)
        # The stored fields this user's groups may read: a field kept to administrators (e.g. a
        # webhook event's raw data) is Odoo's field wall, not the company wall under attack.
        fields_ = [
            name
            for name, field in Model._fields.items()
            if field.store and Model._has_field_access(field, "read")
        ][:40]
        try:
            with (
                mute_logger("odoo.models", "odoo.sql_db", "odoo.addons.pleo_connector"),
                self.env.cr.savepoint(),
            ):
                if operation == "read":
                    result = mine.read(fields_)
                elif operation == "search":
                    result = Model.search([("id", "=", record.id)]).ids
                    result += Model.search([("company_id", "=", self.company_b.id)]).ids
                elif operation == "read_group":
                    groups = Model.formatted_read_group([("id", "=", record.id)], [], ["__count"])
                    result = [group for group in groups if group.get("__count")]
                elif operation == "write":
                    result = mine.write(spec["write"])
                elif operation == "create":
                    result = Model.create(spec["create"](self)).ids
                elif operation == "unlink":
                    result = mine.unlink()
                elif operation == "onchange":
                    field = "connection_id" if "connection_id" in Model._fields else "id"
                    spec_ = {name: {} for name in ("display_name", "company_id")}
                    spec_.update({name: {} for name in Model._fields if "pleo" in name})
                    spec_ = {k: v for k, v in spec_.items() if k in Model._fields}
                    result = Model.onchange(
                        {field: record.connection_id.id if field != "id" else record.id},
                        [field],
                        spec_,
                    )
                    leaked = [text for text in self.secrets_of_b() if text in str(result)]
                    result = leaked  # what matters is whether B's data came back
                elif operation == "export":
                    result = mine.export_data(["id", "display_name"]).get("datas")
                else:  # pragma: no cover
                    raise AssertionError(operation)
                self.env.flush_all()
        except REFUSED:
            return "refused"
        if not result:
            return "empty"
        return result

    def refused(self, attempt):
        """Whether ``attempt()`` is refused (its work, if any, is rolled back)."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.models", "odoo.sql_db"):
                attempt()
        except REFUSED:
            return True
        return False

    def pleo_models(self):
        """The attacks for this database: PLEO_MODELS, and the optional addons' installed ones."""
        optional = {name: spec for name, spec in OPTIONAL_MODELS.items() if name in self.env}
        return {**PLEO_MODELS, **optional}

    def test_every_pleo_model_is_attacked(self):
        models = {
            name for name in self.env if name.startswith("pleo.") and not self.env[name]._abstract
        }
        attacked = set(self.pleo_models())
        self.assertEqual(models - attacked, set(), "a pleo.* model has no attack listed")
        self.assertEqual(attacked - models, set(), "an attacked model no longer exists")
        self.assertTrue({name for name in self.env if self.env[name]._abstract} >= ABSTRACT)

    def test_no_user_of_a_gets_anything_of_b(self):
        failures = []
        for kind, (attribute, label) in USER_KINDS.items():
            user = getattr(self, attribute)
            for model, spec in self.pleo_models().items():
                record = getattr(self, spec["record"])
                for operation in OPERATIONS:
                    outcome = self.attack(user, model, record, operation, spec)
                    allowed = (kind, model, operation) in ALLOWED
                    if outcome not in ("refused", "empty") and not allowed:
                        failures.append(f"{label}: {model}.{operation} -> {outcome!r}")
        # B's records are intact whatever was tried.
        self.env.invalidate_all()
        self.assertEqual(self.mapping_b.pleo_code, "6810")
        self.assertEqual(self.job_b.state, "pending")
        self.assertEqual(self.conn_b.state, "connected")
        self.assertEqual(failures, [])

    def test_the_attacks_reach_what_b_may_see(self):
        """Control: B's own Pleo Manager reads and finds B's records with the same attacks, so a
        refusal above is the wall's, not a broken attack. Nobody reads the key or secret rows."""
        for model, spec in self.pleo_models().items():
            record = getattr(self, spec["record"])
            # Odoo exports no ids of a model that is a query (pleo.unmapped.code), for anyone.
            exported = ("export",) if self.env[model]._is_an_ordinary_table() else ()
            for operation in ("read", "search", "read_group", *exported):
                outcome = self.attack(self.manager_b, model, record, operation, spec)
                if model in ("pleo.connection.key", "pleo.webhook.secret"):
                    self.assertIn(outcome, ("refused", "empty"), f"{model}.{operation}")
                else:
                    self.assertNotIn(outcome, ("refused", "empty"), f"{model}.{operation}")
        self.assertNotIn(
            self.attack(self.manager_b, "account.move", self.move_b, "read", {}),
            ("refused", "empty"),
        )

    def test_pleo_fields_of_odoo_models(self):
        """B's journal entry's pleo_* fields, B's res.company and the Pleo settings."""
        move_fields = [
            name for name in self.env["account.move"]._fields if name.startswith("pleo_")
        ]
        self.assertIn("pleo_entry_uuid", move_fields)
        spec = {
            "write": dict.fromkeys(("pleo_entry_uuid", "pleo_fingerprint", "pleo_web_url"), False),
            "create": lambda t: {
                "move_type": "entry",
                "journal_id": t.journal_b.id,
                "pleo_entry_uuid": t.move_b.pleo_entry_uuid,
            },
        }
        failures = []
        company_fields = [
            name for name, field in self.env["res.company"]._fields.items() if "pleo" in name
        ]
        self.assertIn("pleo_connection_ids", company_fields)
        for attribute, label in USER_KINDS.values():
            user = getattr(self, attribute)
            for operation in OPERATIONS:
                outcome = self.attack(user, "account.move", self.move_b, operation, spec)
                if outcome not in ("refused", "empty"):
                    failures.append(f"{label}: account.move.{operation} -> {outcome!r}")
            # B's company is shared by Odoo, its Pleo fields are not: empty for a user of A.
            try:
                values = (
                    self.company_b.with_user(user)
                    .with_context(allowed_company_ids=[user.company_id.id])
                    .read(company_fields)
                )
            except AccessError:
                values = []
            for row in values:
                for name in company_fields:
                    if row[name]:
                        failures.append(f"{label}: res.company(B).{name} -> {row[name]!r}")
            company_b = self.company_b.with_user(user)
            wipe = {"pleo_connection_ids": [(5, 0, 0)]}
            if not self.refused(lambda company=company_b, wipe=wipe: company.write(wipe)):
                failures.append(f"{label}: res.company(B).pleo_connection_ids written")
            # The Pleo settings are the administrator's (group Settings): no kind may open them.
            settings_fields = [
                name for name in self.env["res.config.settings"]._fields if name.startswith("pleo")
            ]
            self.assertTrue(settings_fields)
            Settings = (
                self.env["res.config.settings"]
                .with_user(user)
                .with_context(allowed_company_ids=[self.company_b.id])
            )
            names = settings_fields
            if not self.refused(lambda model=Settings, names=names: model.create({}).read(names)):
                failures.append(f"{label}: res.config.settings opened")
        self.assertEqual(self.conn_b.sudo().company_id, self.company_b)
        self.assertTrue(self.move_b.pleo_entry_uuid)
        self.assertEqual(failures, [])
