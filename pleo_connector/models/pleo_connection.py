# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One Pleo connection per Odoo company: its fields and its lifecycle.

Save & Test (a typed key is tested with Pleo and stored, encrypted, only when Pleo accepted it),
Rotate Key, Disconnect and Enable live here, with the local checks every action makes and
:meth:`_open_client`, the one way to a :class:`~..pleolib.client.PleoClient` for a stored key.
What the database accepts of a connection, whoever writes it, is checked here too: the fields
only the connector sets, required and selection values before any SQL runs (a refused row makes
PostgreSQL print it whole, the encrypted key too), and one Pleo company bound to one Odoo company.
The other concerns of the same model have their own files: ``pleo_connection_health.py`` (many
connections at once, the server actions and the health-check cron), ``pleo_connection_vault.py``
(the encrypted key and the encryption keys); ``exceptions.py`` words what users read about errors.
The export and the setup sync extend the model in their own addons, through the hooks below
(:meth:`_required_scopes`, :meth:`_managed_fields`, :meth:`_pleo_synced_lookup`, the crons).

What "a good key" and "a live installation" mean lives in ``pleolib.checks``; this model keeps
the database side: which connections to check, their keys, and what the answers change.
"""

import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, LockError, UserError, ValidationError
from odoo.tools import mute_logger

from .. import exceptions as messages
from ..const import (
    BOUND_STATES,
    KEY_INPUT_FIELDS,
    MANAGED_FIELDS,
    MAX_FAILURE_STREAK,
    REDACTED_LOGGERS,
    REQUIRED_SCOPES,
    read_option,
)
from ..pleolib import checks, errors, redaction
from ..pleolib.auth import PleoAuth
from ..pleolib.client import BASE_URLS, PleoClient
from .pleo_key_input import key_input

_logger = logging.getLogger(__name__)

#: Field types whose false value (0, False) is a value, not an empty one.
NUMBERS_AND_FLAGS = ("boolean", "integer", "float", "monetary")

redaction.install(logger_names=REDACTED_LOGGERS, key_fields=KEY_INPUT_FIELDS)


class _StoredKeyRejected(Exception):
    """Save & Test of the stored key got a definitive answer (carried in ``error``)."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


class PleoConnection(models.Model):
    _name = "pleo.connection"
    _description = "Pleo Connection"
    _inherit = ["mail.thread", "mail.activity.mixin", "pleo.key.input"]
    _order = "company_id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
        tracking=True,
    )
    state = fields.Selection(
        [
            ("draft", "Not connected"),
            ("connected", "Connected"),
            ("broken", "Broken"),
            ("disabled", "Disabled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    environment = fields.Selection(
        [("production", "Production"), ("staging", "Staging (Pleo partner sandbox)")],
        default="production",
        required=True,
        tracking=True,
        help="The Pleo environment the key was generated in. A key only works in its own "
        "environment; customers use Production.",
    )
    _pleo_key_inputs = {"api_key": "_connect"}

    api_key = key_input(
        string="API key",
        groups="pleo_connector.group_pleo_manager",
        help="Paste the Integrated API Key that Pleo showed when you installed the Odoo "
        "integration. It is tested with Pleo before it is stored, encrypted; it is never "
        "shown again.",
    )
    key_hint = fields.Char(
        readonly=True,
        copy=False,
        groups="pleo_connector.group_pleo_manager",
        help="The last four characters of the stored key, to recognise it.",
    )
    # Not tracked: the chatter says which Pleo company was connected, by name, not a raw id.
    pleo_company_uuid = fields.Char(string="Pleo Company ID", readonly=True, copy=False)
    pleo_company_name = fields.Char(string="Pleo Company", readonly=True, copy=False)
    installation_uuid = fields.Char(string="Pleo Installation ID", readonly=True, copy=False)
    installation_status = fields.Char(readonly=True, copy=False)
    installation_status_label = fields.Char(
        string="Installation", compute="_compute_installation_status_label"
    )
    granted_scopes = fields.Char(readonly=True, copy=False, help="Scopes Pleo granted the key.")
    missing_scopes = fields.Char(
        readonly=True, copy=False, help="Scopes the connector needs but the key lacks."
    )
    connected_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        help="Who connected (or last rotated) the key: the first person told when it breaks.",
    )
    last_check_date = fields.Datetime(readonly=True, copy=False)
    last_scope_check_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    failure_streak = fields.Integer(
        readonly=True,
        copy=False,
        help="Consecutive checks that failed. A definitive answer (key rejected, installation "
        "removed) breaks the connection at once; a transient one (Pleo down, slow, rate "
        "limiting) when this count reaches the threshold.",
    )
    _company_uniq = models.Constraint(
        "UNIQUE(company_id)", "A company has a single Pleo connection."
    )
    # ------------------------------------------------------------------ computes
    # The database's guarantee behind _check_not_bound_elsewhere: two transactions connecting
    # two Odoo companies to one Pleo company at the same moment cannot both succeed.
    _pleo_company_bound_uniq = models.UniqueIndex(
        "(pleo_company_uuid) WHERE state IN ('connected', 'broken')",
        "This Pleo company is already connected to another Odoo company. "
        "Disconnect it there first.",
    )

    @api.depends("installation_status")
    def _compute_installation_status_label(self):
        labels = {
            "ACTIVATED": self.env._("Active"),
            "INACTIVE": self.env._("Inactive"),
            "AUTHORIZED": self.env._("Authorized, not active yet"),
            "PENDING_INTEGRATION": self.env._("Being set up by Pleo"),
            "ERROR": self.env._("In error at Pleo"),
        }
        for connection in self:
            status = connection.installation_status
            connection.installation_status_label = labels.get(status, status) or False

    @api.depends("company_id")
    def _compute_display_name(self):
        for connection in self:
            connection.display_name = self.env._("Pleo – %s", connection.company_id.name or "")

    # ------------------------------------------------------------------ helpers

    # ------------------------------------------------------------------ hooks of the other addons

    @api.model
    def _required_scopes(self):
        """The scopes a key must grant; each addon adds its own with ``super()``
        (``pleo_connector_export`` the export's)."""
        return list(REQUIRED_SCOPES)

    @api.model
    def _managed_fields(self):
        """The fields only the connector's own code sets (see :meth:`_check_managed_values`);
        each addon adds the fields of its own with ``super()``."""
        return list(MANAGED_FIELDS)

    def _pleo_synced_lookup(self):
        """What the setup sync wrote to Pleo, for the export's lookups by Pleo code:
        ``{(kind, ref...): record}``. Empty here; ``pleo_connector_setup_sync`` fills it, so
        that the export and the setup sync do not depend on each other."""
        self.ensure_one()
        return {}

    @api.model
    def _pleo_synced_unmapped_query(self):
        """The setup sync's Pleo codes whose Odoo record is gone, as an SQL query of rows
        ``(connection_id, kind, code, details, entry, row_id)`` for the export's list of codes to
        map (odd ``row_id``); ``None`` here, ``pleo_connector_setup_sync`` returns its query."""
        return None

    @api.model
    def _cron_pleo_export(self):
        """The cron ``pleo_connector.ir_cron_pleo_export``: nothing here, ``pleo_connector_export``
        books the exports. The cron stays in this addon so that its XML id never changes."""
        return None

    @api.model
    def _cron_pleo_setup_sync(self):
        """The cron ``pleo_connector.ir_cron_pleo_setup_sync``: nothing here,
        ``pleo_connector_setup_sync`` pushes the setup. The cron stays in this addon so that its
        XML id never changes."""
        return None

    def _base_url(self, environment=None):
        environment = environment or self.environment
        override = environment == "staging" and read_option("pleo_api_url_staging")
        return override or read_option("pleo_api_url") or BASE_URLS[environment]

    @api.model
    def _client_options(self, interactive=True):
        """The server's timeouts, waits and CA bundle for a :class:`PleoClient` (plain values).

        Interactive calls (a person waits for the button) retry once; background calls more.
        """
        return {
            "timeout": (5, read_option("pleo_http_timeout")),
            "max_retries": 1 if interactive else 3,
            "max_retry_wait": read_option("pleo_max_retry_wait"),
            "ca_bundle": read_option("pleo_ca_bundle"),
        }

    def _make_client(self, auth, environment=None):
        """A client for ``auth`` (a :class:`PleoAuth`) in this connection's or ``environment``."""
        return PleoClient(auth, self._base_url(environment), **self._client_options())

    def _open_client(self):
        """A :class:`PleoClient` (a context manager) with the stored key and environment.

        After the local checks every action makes: the connection is enabled, holds a key, and
        this server's encryption keys are configured and decrypt it; each failure is a
        :class:`UserError` with the usual message. One SQL read of the stored token. Use it as
        ``with connection._open_client() as client: ...``: the key is masked in log records for
        the block.
        """
        self.ensure_one()
        self._check_enabled()
        return self._make_client(PleoAuth(self._required_key(self._not_connected_message())))

    def _required_key(self, missing_message):
        """The decrypted stored key; a clear UserError when it is missing or undecryptable."""
        try:
            key = self._stored_key()
        except errors.UndecryptableKeyError as exc:
            self._raise(exc)
        if key is None:
            raise UserError(missing_message)
        return key

    def _lock(self):
        """Row-lock the connections, or tell the user someone else is using them."""
        try:
            # allow_referencing: a rotation wizard may still link to the row meanwhile.
            self.lock_for_update(allow_referencing=True)
        except LockError:
            raise UserError(
                self.env._(
                    "A check of this Pleo connection is already running. Try again in a moment."
                )
            ) from None

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group("pleo_connector.group_pleo_manager"):
            raise AccessError(self.env._("Only Pleo managers can manage Pleo connections."))
        self.check_access("write")

    def _check_enabled(self):
        for connection in self:
            if connection.state == "disabled":
                raise UserError(connection._disabled_message())

    def _disabled_message(self):
        return self.env._(
            "The Pleo connection of %s is disabled (for example in a neutralized copy of the "
            "database): Odoo does not call Pleo for it.",
            self.company_id.name,
        )

    def _environment_label(self, environment=None):
        selection = dict(self._fields["environment"]._description_selection(self.env))
        environment = environment or self.environment
        return selection.get(environment, environment)

    def _not_connected_message(self):
        return self.env._("Not connected: paste an API key first.")

    def _user_message(self, exc, environment=None, other_company=None, typed_key=False):
        """A translated, actionable message for an error (never containing the key).

        The one entry point to the table of ``exceptions.py``, for any model:
        ``self.env["pleo.connection"]._user_message(exc)``. The advice fits the place: about
        the stored key of a bound connection (no key field on its screen) it says to rotate
        the key; about a key just typed (``typed_key``), to paste it again.
        """
        connection = self[:1]
        environment = environment or connection.environment
        return messages.user_message(
            self.env,
            exc,
            stored_key=not typed_key and connection.state in BOUND_STATES,
            environment=self._environment_label(environment) if environment else "",
            current=connection.pleo_company_name or connection.pleo_company_uuid or "",
            new=other_company,
        )

    def _pleo_paused(self, error):
        """Pleo's ``error`` stopped this company's export or setup sync before its end; what
        was done is kept and the work is left for a later run.

        The crons need nothing more: their next round takes the company again. An addon that
        runs the work elsewhere overrides it (``pleo_connector_queue`` retries its queue job at
        Pleo's ``Retry-After`` when ``error.retryable``). Must not raise.
        """

    def _raise(self, exc, environment=None, other_company=None, typed_key=False):
        raise UserError(self._user_message(exc, environment, other_company, typed_key)) from None

    def _notification(self, title, message, kind="success"):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind != "success",
                # Closing (not reloading the action) makes the form reload its record in place:
                # the person stays where they were, e.g. at the Pleo block of the settings.
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------ integrity

    def _check_managed_values(self, vals):
        """Only the addon's own code (as superuser) sets the fields it manages.

        ``readonly=True`` is a view attribute; over RPC any writer could otherwise set the
        state, the Pleo company, the counters and dates the health check relies on.
        """
        if self.env.su:
            return
        managed = sorted(set(vals) & set(self._managed_fields()))
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

    # ------------------------------------------------------------------ connect flow

    def _check_not_bound_elsewhere(self, pleo_company_uuid):
        other = self.sudo().search(
            [
                ("pleo_company_uuid", "=", pleo_company_uuid),
                ("state", "in", BOUND_STATES),
                ("id", "not in", self.ids),
            ],
            limit=1,
        )
        if other:
            raise UserError(
                self.env._(
                    "This Pleo company is already connected to the Odoo company %s. "
                    "Disconnect it there first.",
                    other.company_id.name,
                )
            )

    def _installation_metadata(self):
        dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return {"odoo": {"databaseUuid": dbuuid, "companyId": self.company_id.id}}

    def _connected_values(self, introspection=None, installation=None, company=None):
        """The values of a connection that Pleo just answered well for."""
        now = fields.Datetime.now()
        values = {
            "state": "connected",
            "last_check_date": now,
            "last_error": False,
            "failure_streak": 0,
        }
        if introspection:
            values.update(
                pleo_company_uuid=introspection.subject_id,
                granted_scopes=" ".join(sorted(introspection.scopes)),
                missing_scopes=False,
                last_scope_check_date=now,
            )
        if installation:
            values.update(
                installation_uuid=installation.id, installation_status=installation.status
            )
        if company:
            values["pleo_company_name"] = company.name
        return values

    def _write_connected(self, values):
        """Store a successful Save & Test; one Pleo company bound twice is a clear error."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.sudo().write(values)
                self.env.flush_all()
        except psycopg2.errors.UniqueViolation:
            # Another transaction bound this Pleo company meanwhile (the index saw it).
            self.invalidate_recordset()
            raise UserError(
                self.env._(
                    "This Pleo company is already connected to another Odoo company. "
                    "Disconnect it there first."
                )
            ) from None

    def _connect(self, raw_key, environment=None, retest=False):
        """Save & Test: validate ``raw_key`` with Pleo and store it only if everything passed.

        On any failure a UserError is raised and nothing of the new key is kept: the
        transaction rolls back and the previous state of the connection is untouched.
        """
        self.ensure_one()
        self._check_manager()
        self._check_enabled()
        environment = environment or self.environment
        if environment not in BASE_URLS:
            raise UserError(
                self.env._("Choose the Pleo environment (Production or Staging) of the key.")
            )
        try:
            auth = PleoAuth.of(raw_key)
        except errors.KeyFormatError as exc:
            self._raise(exc, typed_key=True)
        # Every local check before the first request: the key must be storable once Pleo said yes.
        vault = self._vault()
        self._lock()
        bound_company = self.pleo_company_uuid if self.state in BOUND_STATES else None
        with self._make_client(auth, environment) as client:
            try:
                introspection = checks.validate_key(client, self._required_scopes(), bound_company)
                self._check_not_bound_elsewhere(introspection.subject_id)
                installation = checks.ensure_installation(client, self._installation_metadata())
                company = checks.fetch_company(client, introspection.subject_id)
            except errors.WrongCompanyError as exc:
                other = checks.fetch_company(client, exc.company_id)
                self._raise(exc, other_company=other.name if other else None, typed_key=True)
            except errors.PleoError as exc:
                if retest and exc.definitive and self.state in BOUND_STATES:
                    raise _StoredKeyRejected(exc) from None
                self._raise(exc, environment, typed_key=not retest)
            try:
                previous = self._stored_key()
            except errors.UndecryptableKeyError:
                previous = ""
            key = auth.api_key
            values = self._connected_values(introspection, installation, company)
            values.update(
                environment=environment,
                pleo_company_name=company.name if company else False,
            )
            if previous != key:
                values.update(
                    key_token=vault.encrypt(key),
                    key_hint=auth.hint,
                    connected_by_id=self.env.user.id,
                )
        self._write_connected(values)
        self._close_broken_activities()
        if previous is None:
            self.message_post(
                body=self.env._(
                    "%(user)s connected this company to Pleo company %(company)s.",
                    user=self.env.user.name,
                    company=self.pleo_company_name or self.pleo_company_uuid,
                )
            )
        elif previous != key:
            self.message_post(
                # No hint here: the chatter is read by people who may not see the hint field.
                body=self.env._("%(user)s replaced the Pleo API key.", user=self.env.user.name)
            )
        _logger.info(
            "Pleo connection %s (company %s) connected to Pleo company %s",
            self.id,
            self.company_id.id,
            introspection.subject_id,
        )
        return True

    def _rotate(self, raw_key):
        """Replace the key of a bound connection by a new key of the same Pleo company."""
        self.ensure_one()
        self._check_enabled()
        if self.state not in BOUND_STATES:
            raise UserError(
                self.env._("Only a connected (or broken) Pleo connection can rotate its key.")
            )
        return self._connect(raw_key)

    # ------------------------------------------------------------------ buttons

    def action_save_and_test(self):
        """Test the stored key with Pleo again (a typed key was already tested on save)."""
        self.ensure_one()
        self._check_manager()
        self._check_enabled()
        key = self._required_key(
            self.env._("Paste the Pleo API key first, then press Save & Test.")
        )
        try:
            self._connect(key, retest=True)
        except _StoredKeyRejected as rejected:
            # A definitive answer about the stored key: record it (committed), as the health
            # check and Validate do, instead of rolling back to a green badge.
            self._record_rejection(rejected.error)
            return self._notification(
                self.env._("Pleo connection broken"), self._user_message(rejected.error), "danger"
            )
        return self._connected_notification()

    def _connected_message(self):
        return self.env._(
            "%(company)s is connected to Pleo company %(pleo)s.",
            company=self.company_id.name,
            pleo=self.pleo_company_name or self.pleo_company_uuid,
        )

    def _connected_notification(self):
        return self._notification(self.env._("Connected to Pleo"), self._connected_message())

    def action_open_rotate_wizard(self):
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Rotate Pleo API key"),
            "res_model": "pleo.rotate.key",
            "view_mode": "form",
            "target": "new",
            "context": {"default_connection_id": self.id},
        }

    def action_disconnect(self):
        """Delete the installation at Pleo and wipe the key; works even when Pleo is down."""
        self._check_manager()
        problems = []
        for connection in self:
            connection._lock()
            problem = connection._delete_remote_installation()
            if problem:
                problems.append(problem)
            connection.sudo().write(
                {
                    "key_token": False,
                    "key_hint": False,
                    "state": "draft",
                    "last_check_date": False,
                    "last_scope_check_date": False,
                    "installation_uuid": False,
                    "installation_status": False,
                    "granted_scopes": False,
                    "missing_scopes": False,
                    "last_error": False,
                    "failure_streak": 0,
                    "pleo_company_uuid": False,
                    "pleo_company_name": False,
                    "connected_by_id": False,
                }
            )
            connection._close_broken_activities()
            connection.message_post(
                body=self.env._(
                    "%(user)s disconnected this company from Pleo.%(problem)s",
                    user=self.env.user.name,
                    problem=(" " + problem) if problem else "",
                )
            )
        if problems:
            return self._notification(
                self.env._("Disconnected, with a warning"), "\n".join(problems), "warning"
            )
        return self._notification(
            self.env._("Disconnected from Pleo"),
            self.env._("The API key was deleted from Odoo."),
        )

    def _delete_remote_installation(self):
        """Delete the installation at Pleo; returns a message when that was not possible."""
        self.ensure_one()
        if self.state == "disabled":
            return None
        try:
            key = self._stored_key()
            if key is None:
                return None
            with self._make_client(PleoAuth(key)) as client:
                client.delete_installation()
        except errors.PleoError as exc:
            _logger.warning(
                "Pleo connection %s: installation not deleted at Pleo: %s", self.id, exc.message
            )
            return self.env._(
                "The installation could not be deleted at Pleo (%(reason)s); the key was "
                "deleted from Odoo anyway. Remove the integration in Pleo if it still shows.",
                reason=self._user_message(exc),
            )
        return None

    def action_enable(self):
        """Enable a disabled connection (e.g. in a neutralized copy, on purpose).

        A connection with a key is due for a check at once; without one it is simply not
        connected.
        """
        self._check_manager()
        for connection in self.filtered(lambda c: c.state == "disabled"):
            has_key = bool(connection._read_tokens())
            connection.sudo().write(
                {
                    "state": "connected" if has_key else "draft",
                    "last_check_date": False,
                    "last_error": False,
                    "failure_streak": 0,
                }
            )
            connection.message_post(
                body=self.env._("%s enabled the Pleo connection.", self.env.user.name)
            )
        return True

    @api.model
    def _get_for_company(self, company):
        """The company's connection, created (as draft) when missing."""
        company._create_pleo_connections()
        return company.sudo().pleo_connection_ids.sudo(self.env.su)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_bound(self):
        if any(connection.state in BOUND_STATES for connection in self):
            raise UserError(self.env._("Disconnect the Pleo connection before deleting it."))
