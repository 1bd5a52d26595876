# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One Pleo connection per Odoo company.

The Integrated API Key is never stored in clear: the ``api_key`` field is a write-only input
(it always reads back empty) whose inverse runs Save & Test and, only when Pleo accepted the
key, stores it encrypted in the ``key_token`` column. That column follows ``auth_totp``'s
``totp_secret``: it is created by ``init()``, read and written in SQL, and the field carries
``groups=fields.NO_ACCESS`` so that no user but the superuser can read it through the ORM
(reads, ``search_read``, exports, ``fields_get``) and it is never prefetched.

What "a good key" and "a live installation" mean lives in ``pleolib.checks``; this model keeps
the database side: which connections to check, their keys, and what the answers change.
"""

import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from odoo import api, fields, models
from odoo.exceptions import AccessError, LockError, UserError
from odoo.tools import SQL, config, sql

from ..pleolib import checks, errors, redaction
from ..pleolib.client import BASE_URLS, PleoClient
from ..pleolib.keys import key_hint, normalize_key
from ..pleolib.vault import KeyVault

_logger = logging.getLogger(__name__)

redaction.install()

#: Scopes the connector needs. Extension modules add theirs by overriding
#: ``pleo.connection._required_scopes()`` and extending the returned list.
REQUIRED_SCOPES = ("export-jobs:read", "export-jobs:write", "export-items:read", "accounts:read")

#: States in which a connection holds a key bound to a Pleo company.
BOUND_STATES = ("connected", "broken")

#: Answers that say the connection is broken (as opposed to Pleo having a bad moment).
DEFINITIVE_ERRORS = (
    errors.InvalidKeyError,
    errors.NotAnApiKeyError,
    errors.WrongSubjectError,
    errors.WrongCompanyError,
    errors.MissingScopesError,
    errors.InstallationMissingError,
    errors.InstallationInactiveError,
    errors.UndecryptableKeyError,
    errors.KeyFormatError,
)

#: The health check skips connections checked more recently than this (so that a rerun after
#: a crash, or the cron looping on remaining work, continues instead of starting over).
RECHECK_AFTER = timedelta(minutes=30)
#: Connections per batch of the health check, per worker: a multiple of the pool size keeps
#: every worker busy until the batch's end.
HEALTH_BATCH_PER_WORKER = 8
CRON_XMLID = "pleo_connector.ir_cron_pleo_health_check"

_VAULTS = {}


def _get_vault():
    """Return ``(vault, source)`` for this server's encryption keys (cached per configuration)."""
    option = config.get("pleo_encryption_keys") or ""
    env_value = os.environ.get("PLEO_ENCRYPTION_KEYS") or ""
    data_dir = config["data_dir"]
    cache_key = (option, env_value, data_dir)
    if cache_key not in _VAULTS:
        _VAULTS.clear()
        _VAULTS[cache_key] = KeyVault.from_sources(option, os.environ, data_dir)
    return _VAULTS[cache_key]


def _number_option(name, default, kind=float):
    """A numeric server option of odoo.conf (invalid values fall back to the default)."""
    try:
        return kind(config.get(name) or default)
    except (TypeError, ValueError):
        _logger.warning("Ignoring the invalid value of the server option %s", name)
        return default


@dataclass
class _Job:
    """One connection's call to Pleo, run in a worker thread. Holds no ORM object."""

    connection_id: int
    base_url: str
    pleo_company_uuid: str | None
    key: str = field(repr=False)
    scope_check: bool = False


@dataclass
class _Outcome:
    """What a job's answer means for its connection."""

    result: Any = None
    error: Exception | None = None

    @property
    def ok(self):
        return self.error is None

    @property
    def definitive(self):
        return isinstance(self.error, DEFINITIVE_ERRORS)


class PleoConnection(models.Model):
    _name = "pleo.connection"
    _description = "Pleo Connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
    api_key = fields.Char(
        string="API Key",
        compute="_compute_api_key",
        inverse="_inverse_api_key",
        groups="pleo_connector.group_pleo_manager",
        copy=False,
        help="Paste the Integrated API Key that Pleo showed when you installed the Odoo "
        "integration. It is tested with Pleo before it is stored, encrypted; it is never "
        "shown again.",
    )
    key_token = fields.Char(
        compute="_compute_key_token",
        inverse="_inverse_key_token",
        groups=fields.NO_ACCESS,
        copy=False,
        exportable=False,
    )
    key_hint = fields.Char(
        readonly=True,
        copy=False,
        groups="pleo_connector.group_pleo_manager",
        help="The last four characters of the stored key, to recognise it.",
    )
    pleo_company_uuid = fields.Char(
        string="Pleo Company ID", readonly=True, copy=False, tracking=True
    )
    pleo_company_name = fields.Char(string="Pleo Company", readonly=True, copy=False)
    installation_uuid = fields.Char(string="Pleo Installation ID", readonly=True, copy=False)
    installation_status = fields.Char(readonly=True, copy=False)
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
        help="Consecutive health checks that failed for a transient reason (Pleo down, slow, "
        "rate limiting). The connection is flagged broken when it reaches the threshold.",
    )
    encryption_key_source = fields.Selection(
        [
            ("config", "Server configuration"),
            ("environment", "Environment variable"),
            ("file", "Generated key file"),
        ],
        compute="_compute_encryption_key_source",
    )

    _company_uniq = models.Constraint(
        "UNIQUE(company_id)", "A company has a single Pleo connection."
    )

    def init(self):
        res = super().init()
        if not sql.column_exists(self.env.cr, self._table, "key_token"):
            sql.create_column(self.env.cr, self._table, "key_token", "varchar")
        return res

    # ------------------------------------------------------------------ computes

    @api.depends("company_id")
    def _compute_display_name(self):
        for connection in self:
            connection.display_name = self.env._("Pleo – %s", connection.company_id.name or "")

    def _compute_api_key(self):
        self.api_key = False

    def _inverse_api_key(self):
        for connection in self:
            if connection.api_key:
                connection._connect(connection.api_key)
        # The ORM would answer the request that saved the key with the cached value.
        self.invalidate_recordset(["api_key"])

    def _compute_key_token(self):
        tokens = self._read_tokens()
        for connection in self:
            connection.key_token = tokens.get(connection.id, False)

    def _inverse_key_token(self):
        for connection in self:
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET key_token = %s WHERE id = %s",
                    SQL.identifier(self._table),
                    connection.key_token or None,
                    connection.id,
                )
            )

    def _read_tokens(self):
        """``{id: token}`` of the stored (encrypted) keys, in one query."""
        ids = tuple(self.filtered("id").ids)
        if not ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                "SELECT id, key_token FROM %s WHERE id IN %s AND key_token IS NOT NULL",
                SQL.identifier(self._table),
                ids,
            )
        )
        return dict(rows)

    def _compute_encryption_key_source(self):
        self.encryption_key_source = self._encryption_key_source()

    @api.model
    def _encryption_key_source(self):
        """Where this server's encryption keys come from: config, environment or file."""
        try:
            return _get_vault()[1]
        except errors.EncryptionConfigError:
            return False

    @api.model
    def _vault(self):
        """This server's key vault; a misconfiguration is a clear error, never a crash."""
        try:
            return _get_vault()[0]
        except errors.EncryptionConfigError as exc:
            raise UserError(exc.message) from None

    # ------------------------------------------------------------------ helpers

    @api.model
    def _required_scopes(self):
        """The scopes a key must grant; extend with ``super()`` in extension modules."""
        return list(REQUIRED_SCOPES)

    def _base_url(self, environment=None):
        environment = environment or self.environment
        override = environment == "staging" and config.get("pleo_api_url_staging")
        return override or config.get("pleo_api_url") or BASE_URLS[environment]

    @api.model
    def _client_factory(self, interactive=False):
        """A function ``(key, base_url) -> PleoClient`` with the server's timeouts and waits.

        Interactive calls (a person waits for the button) retry once; background calls more.
        Built in the ORM's thread, usable from worker threads.
        """
        timeout = (5, _number_option("pleo_http_timeout", 20.0))
        max_retry_wait = _number_option("pleo_max_retry_wait", 10.0)
        max_retries = 1 if interactive else 3

        def make(key, base_url):
            return PleoClient(
                key,
                base_url,
                timeout=timeout,
                max_retries=max_retries,
                max_retry_wait=max_retry_wait,
            )

        return make

    def _pleo_client(self, api_key, environment=None):
        return self._client_factory(interactive=True)(api_key, self._base_url(environment))

    def _stored_key(self):
        """The decrypted stored key, or ``None`` without one (one query, then memory only).

        Raises :class:`~.errors.UndecryptableKeyError` when no configured key decrypts it.
        """
        self.ensure_one()
        token = self._read_tokens().get(self.id)
        return self._vault().decrypt(token) if token else None

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
        return selection[environment or self.environment]

    def _key_format_message(self, exc):
        """The translated message of a key that cannot be a Pleo API key (no request made)."""
        details = exc.details
        messages = {
            "empty": lambda: self.env._("No API key was entered; paste the key Pleo showed you."),
            "too_long": lambda: self.env._(
                "The API key is too long (%(length)s characters, at most %(maximum)s); make "
                "sure you pasted only the key.",
                **details,
            ),
            "header": lambda: self.env._(
                "This looks like an Authorization header value ('Bearer ...' or 'Basic ...'), "
                "not an API key; paste only the key itself."
            ),
            "url": lambda: self.env._(
                "This looks like a web address, not an API key; paste the key itself."
            ),
            "whitespace": lambda: self.env._(
                "The API key contains spaces or line breaks; copy it again from Pleo."
            ),
            "character": lambda: self.env._(
                "The API key contains a character that cannot be part of it (%(code)s at "
                "position %(position)s, often a typographic quote or an invisible character "
                "added by copying); copy it again from Pleo.",
                **details,
            ),
            "jwt": lambda: self.env._(
                "This looks like an OAuth access token (JWT), not an API key. Paste the "
                "Integrated API Key Pleo generated when you connected this integration."
            ),
            "colon": lambda: self.env._(
                "The API key contains ':', which an API key cannot contain; paste only the key "
                "(without the ':' of a 'curl -u KEY:' example)."
            ),
        }
        return messages[exc.reason]() if exc.reason in messages else exc.message

    def _user_message(self, exc, environment=None):
        """A translated, actionable message for an error (never containing the key)."""
        if isinstance(exc, errors.KeyFormatError):
            return self._key_format_message(exc)
        if isinstance(exc, errors.InvalidKeyError):
            return self.env._(
                "Pleo rejected the API key: it is unknown, revoked, expired, or was generated "
                "for another Pleo environment than %(environment)s. Generate a new key in Pleo "
                "and paste it again.",
                environment=self._environment_label(environment),
            )
        if isinstance(exc, errors.NotAnApiKeyError):
            return self.env._(
                "This is not an Integrated API Key (Pleo reports an OAuth token). Paste the key "
                "Pleo showed when you installed the Odoo integration."
            )
        if isinstance(exc, errors.WrongSubjectError):
            return self.env._(
                "This key belongs to a Pleo %(kind)s, not to a single Pleo company. Generate the "
                "key from the Pleo company you want to connect.",
                kind=exc.kind or self.env._("subject of unknown kind"),
            )
        if isinstance(exc, errors.WrongCompanyError):
            return self._wrong_company_message(exc.company_id)
        if isinstance(exc, errors.MissingScopesError):
            return self.env._(
                "The key lacks the permissions: %(scopes)s. Ask Pleo to reissue the key with "
                "these permissions.",
                scopes=", ".join(exc.missing) if exc.missing else self.env._("(not named by Pleo)"),
            )
        if isinstance(exc, errors.InstallationMissingError):
            return self.env._(
                "The Odoo installation was removed in Pleo. Press Save & Test to create it "
                "again, or reinstall the integration in Pleo and rotate the key."
            )
        if isinstance(exc, errors.InstallationInactiveError):
            return self.env._(
                "The Odoo installation in Pleo is %(status)s%(code)s, not active. Press Save & "
                "Test to activate it again, or check the integration in Pleo.",
                status=exc.installation_status,
                code=f" ({exc.error_code})" if exc.error_code else "",
            )
        if isinstance(exc, errors.RateLimitedError):
            return self.env._("Pleo is receiving too many requests right now. Try again later.")
        if isinstance(exc, errors.PleoTimeoutError):
            return self.env._("Pleo did not answer in time. Try again later.")
        if isinstance(exc, errors.PleoUnavailableError):
            return self.env._("Pleo cannot be reached or is unavailable right now. Try later.")
        if isinstance(exc, errors.UndecryptableKeyError):
            return self.env._(
                "The stored Pleo API key cannot be decrypted with this server's encryption "
                "keys: re-enter it."
            )
        if isinstance(exc, errors.UnexpectedResponseError):
            return self.env._(
                "Pleo sent an answer Odoo cannot read (%(detail)s). Try again later; if it "
                "persists, contact Pleo support.",
                detail=exc.message,
            )
        if isinstance(exc, errors.PleoError | UserError):
            return str(exc)
        return self.env._("Unexpected error (details in the server log).")

    def _wrong_company_message(self, other_company):
        return self.env._(
            "This key belongs to Pleo company %(new)s, but this Odoo company is connected to "
            "%(current)s. To switch Pleo company, disconnect first.",
            new=other_company or self.env._("(unknown)"),
            current=self.pleo_company_name or self.pleo_company_uuid,
        )

    def _raise(self, exc, environment=None):
        raise UserError(self._user_message(exc, environment)) from None

    def _notification(self, title, message, kind="success"):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

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

    def _connect(self, raw_key, environment=None):
        """Save & Test: validate ``raw_key`` with Pleo and store it only if everything passed.

        On any failure a UserError is raised and nothing of the new key is kept: the
        transaction rolls back and the previous state of the connection is untouched.
        """
        self.ensure_one()
        self._check_manager()
        self._check_enabled()
        environment = environment or self.environment
        try:
            key = normalize_key(raw_key)
        except errors.KeyFormatError as exc:
            raise UserError(self._key_format_message(exc)) from None
        self._lock()
        bound_company = self.pleo_company_uuid if self.state in BOUND_STATES else None
        with redaction.secret(key):
            client = self._pleo_client(key, environment)
            try:
                introspection = checks.validate_key(client, self._required_scopes(), bound_company)
                self._check_not_bound_elsewhere(introspection.subject_id)
                installation = checks.ensure_installation(client, self._installation_metadata())
                company = checks.fetch_company(client, introspection.subject_id)
            except errors.WrongCompanyError as exc:
                other = checks.fetch_company(client, exc.company_id)
                message = self._wrong_company_message(other.name if other else exc.company_id)
                raise UserError(message) from None
            except errors.PleoError as exc:
                self._raise(exc, environment)
            try:
                previous = self._stored_key()
            except errors.UndecryptableKeyError:
                previous = ""
            hint = key_hint(key)
            values = self._connected_values(introspection, installation, company)
            values.update(
                environment=environment, pleo_company_name=company.name if company else False
            )
            if previous != key:
                values.update(
                    key_token=self._vault().encrypt(key),
                    key_hint=hint,
                    connected_by_id=self.env.user.id,
                )
        self.sudo().write(values)
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
                body=self.env._(
                    "%(user)s replaced the Pleo API key (now ending in %(hint)s).",
                    user=self.env.user.name,
                    hint=hint[-4:],
                )
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
        try:
            key = self._stored_key()
        except errors.UndecryptableKeyError as exc:
            self._raise(exc)
        if key is None:
            raise UserError(self.env._("Paste the Pleo API key first, then press Save & Test."))
        self._connect(key)
        return self._notification(
            self.env._("Connected to Pleo"),
            self.env._(
                "%(company)s is connected to Pleo company %(pleo)s.",
                company=self.company_id.name,
                pleo=self.pleo_company_name or self.pleo_company_uuid,
            ),
        )

    def action_open_rotate_wizard(self):
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Rotate Pleo API Key"),
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
            with redaction.secret(key):
                self._pleo_client(key).delete_installation()
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
            connection.write(
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

    # ------------------------------------------------------------------ many connections at once

    def _run_jobs(self, check, scope_check=False, interactive=False):
        """Run ``check(client, job)`` for each connection in a bounded pool of threads.

        All database work happens here, in the caller's thread: one query reads the encrypted
        keys of the whole recordset; keys are decrypted just before the pool starts and live
        only in the jobs. Returns ``{connection: _Outcome}``.
        """
        outcomes = {}
        tokens = self._read_tokens()
        make_client = self._client_factory(interactive=interactive)
        scope_due = fields.Datetime.now() - timedelta(
            hours=_number_option("pleo_scope_check_hours", 24.0)
        )
        jobs = []
        vault = None
        for connection in self:
            token = tokens.get(connection.id)
            if connection.state == "disabled":
                outcomes[connection] = _Outcome(error=UserError(connection._disabled_message()))
                continue
            if not token:
                outcomes[connection] = _Outcome(
                    error=UserError(self.env._("Not connected: paste an API key first."))
                )
                continue
            try:
                vault = vault or self._vault()
                key = vault.decrypt(token)
            except (errors.UndecryptableKeyError, UserError) as exc:
                outcomes[connection] = _Outcome(error=exc)
                continue
            jobs.append(
                _Job(
                    connection_id=connection.id,
                    base_url=connection._base_url(),
                    pleo_company_uuid=connection.pleo_company_uuid,
                    key=key,
                    scope_check=scope_check
                    or connection.state == "broken"
                    or not connection.last_scope_check_date
                    or connection.last_scope_check_date < scope_due,
                )
            )

        def run(job):
            with redaction.secret(job.key), make_client(job.key, job.base_url) as client:
                try:
                    return check(client, job)
                except errors.PleoError:
                    raise
                except Exception:
                    # Logged while the key is still masked: the traceback may quote it.
                    _logger.exception(
                        "Pleo connection %s: unexpected error during a check", job.connection_id
                    )
                    raise

        workers = _number_option("pleo_http_workers", 8, int)
        for job, result, error in checks.run_concurrently(run, jobs, workers):
            outcomes[self.browse(job.connection_id)] = _Outcome(result=result, error=error)
        return outcomes

    def _write_grouped(self, values_by_connection):
        """Write each connection's values, one ``write`` per distinct set of values."""
        groups = defaultdict(list)
        for connection, values in values_by_connection.items():
            groups[tuple(sorted(values.items()))].append(connection.id)
        for values, ids in groups.items():
            self.browse(ids).sudo().with_context(tracking_disable=True).write(dict(values))

    def _apply_outcomes(self, outcomes):
        """Store what Pleo answered; flag and notify transitions to and from ``broken``.

        A definitive answer (key rejected, installation gone, scopes missing, other company)
        breaks the connection at once; a transient one (timeout, 5xx, 429, garbage) only after
        ``pleo_failure_threshold`` consecutive failures.
        """
        threshold = max(_number_option("pleo_failure_threshold", 3, int), 1)
        now = fields.Datetime.now()
        values = {}
        broken, recovered = [], []
        for connection, outcome in outcomes.items():
            if connection.state not in BOUND_STATES:
                continue
            if outcome.ok:
                result = outcome.result
                values[connection] = self._connected_values(
                    getattr(result, "introspection", None), getattr(result, "installation", None)
                )
                if connection.state == "broken":
                    recovered.append(connection)
                continue
            reason = connection._user_message(outcome.error)
            streak = connection.failure_streak + (0 if outcome.definitive else 1)
            is_broken = outcome.definitive or streak >= threshold
            vals = {"last_check_date": now, "last_error": reason, "failure_streak": streak}
            if isinstance(outcome.error, errors.MissingScopesError) and outcome.error.missing:
                vals["missing_scopes"] = " ".join(outcome.error.missing)
            if is_broken:
                vals["state"] = "broken"
                if connection.state != "broken":
                    broken.append((connection, reason))
            values[connection] = vals
        self._write_grouped(values)
        for connection, reason in broken:
            connection._notify_broken(reason)
        for connection in recovered:
            connection._notify_recovered()

    def _pleo_managers(self):
        """The active internal users who manage this company's Pleo connection."""
        self.ensure_one()
        group = self.env.ref("pleo_connector.group_pleo_manager")
        return group.sudo().all_user_ids.filtered(
            lambda user: user.active and not user.share and self.company_id in user.company_ids
        )

    def _notify_broken(self, reason):
        """One chatter message to the company's Pleo managers and one activity."""
        self.ensure_one()
        managers = self._pleo_managers()
        responsible = self.connected_by_id & managers or managers[:1]
        self.message_post(
            body=self.env._("The Pleo connection is broken: %s", reason),
            partner_ids=managers.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )
        if responsible:
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=self.env._("Pleo connection broken: %s", reason)[:250],
                note=reason,
                user_id=responsible.id,
            )

    def _broken_activities(self):
        warning = self.env.ref("mail.mail_activity_data_warning")
        return self.activity_ids.filtered(lambda a: a.activity_type_id == warning)

    def _close_broken_activities(self, feedback=None):
        activities = self.sudo()._broken_activities()
        if activities:
            activities.action_feedback(feedback=feedback or self.env._("The key was replaced."))

    def _notify_recovered(self):
        self.ensure_one()
        feedback = self.env._("The Pleo connection works again.")
        if self._broken_activities():
            self._close_broken_activities(feedback)
        else:
            self.message_post(body=feedback)

    def _summary(self, title, outcomes):
        """One notification for a batch action: how many succeeded, and why the others failed."""
        failed = {c: o for c, o in outcomes.items() if not o.ok}
        lines = [
            self.env._(
                "%(ok)s succeeded, %(failed)s failed.",
                ok=len(outcomes) - len(failed),
                failed=len(failed),
            )
        ]
        lines += [
            f"{connection.company_id.name}: {connection._user_message(outcome.error)}"
            for connection, outcome in failed.items()
        ]
        return self._notification(title, "\n".join(lines), "warning" if failed else "success")

    def action_validate_keys(self):
        """Server action: validate the stored keys of the selected connections with Pleo."""
        self._check_manager()
        required = self._required_scopes()

        def validate(client, job):
            introspection = checks.validate_key(client, required, job.pleo_company_uuid)
            return checks.CheckResult(introspection=introspection)

        outcomes = self._run_jobs(validate, scope_check=True)
        self._apply_outcomes(outcomes)
        return self._summary(self.env._("Pleo API keys validated"), outcomes)

    def action_create_installations(self):
        """Server action: create (or re-activate) the Pleo installation of each connection."""
        self._check_manager()
        metadata = {connection.id: connection._installation_metadata() for connection in self}

        def install(client, job):
            installation = checks.ensure_installation(client, metadata[job.connection_id])
            return checks.CheckResult(installation=installation)

        outcomes = self._run_jobs(install)
        self._apply_outcomes(outcomes)
        return self._summary(self.env._("Pleo installations"), outcomes)

    # ------------------------------------------------------------------ health check

    @api.model
    def _cron_health_check(self, batch_size=None):
        """Check every connected and broken connection, longest-unchecked first.

        Never raises: one connection's error never stops the others, a failing batch is rolled
        back to its savepoint and logged, and progress is committed after each batch
        (``ir.cron._commit_progress``) so that a crash loses nothing and a rerun continues.
        When the cron's time is up, it reschedules itself for the remaining connections.
        """
        cron_model = self.env["ir.cron"]
        required = self._required_scopes()
        workers = _number_option("pleo_http_workers", 8, int)
        batch_size = batch_size or HEALTH_BATCH_PER_WORKER * max(workers, 1)

        def health(client, job):
            scopes = required if job.scope_check else None
            return checks.check_health(client, job.pleo_company_uuid, scopes)

        busy = []  # connections a person is checking right now: skipped this run

        def due():
            return [
                ("state", "in", BOUND_STATES),
                ("id", "not in", busy),
                "|",
                ("last_check_date", "=", False),
                ("last_check_date", "<", fields.Datetime.now() - RECHECK_AFTER),
            ]

        connections = self.sudo().with_context(active_test=False)
        remaining = connections.search_count(due())
        cron_model._commit_progress(remaining=remaining)
        while remaining:
            started = time.monotonic()
            batch = connections.search(
                due(), order="last_check_date ASC NULLS FIRST, id", limit=batch_size
            )
            try:
                with self.env.cr.savepoint():
                    locked = batch.try_lock_for_update(allow_referencing=True)
                    busy += (batch - locked).ids
                    locked._apply_outcomes(locked._run_jobs(health))
            except Exception:
                _logger.exception("Pleo health check: a batch of %s connections failed", len(batch))
                break
            remaining = connections.search_count(due())
            time_left = cron_model._commit_progress(len(batch), remaining=remaining)
            if remaining and time_left < 2 * (time.monotonic() - started):
                self.env.ref(CRON_XMLID)._trigger()
                break
        return True

    # ------------------------------------------------------------------ master-key rotation

    @api.model
    def _rotate_encryption_keys(self, batch_size=200):
        """Re-encrypt every stored key under the first key of ``pleo_encryption_keys``.

        For the master-key rotation procedure: add the new Fernet key first in the option (keep
        the old one after it), restart, run this (server action "Re-encrypt Pleo API keys" or
        ``env['pleo.connection']._rotate_encryption_keys()`` in ``odoo-bin shell``), then remove
        the old key. Commits after each batch (``ir.cron._commit_progress``); idempotent. A key
        that no configured key decrypts is left as it is and reported, never lost silently.
        Returns ``{"rotated": n, "undecryptable": [connection ids], "total": n}``.
        """
        if not self.env.is_system():
            raise AccessError(self.env._("Only system administrators re-encrypt Pleo API keys."))
        vault = self._vault()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE key_token IS NOT NULL ORDER BY id",
                SQL.identifier(self._table),
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        report = {"rotated": 0, "undecryptable": [], "total": len(ids)}
        for start in range(0, len(ids), batch_size):
            batch = self.browse(ids[start : start + batch_size])
            rotated = []
            for connection_id, token in batch._read_tokens().items():
                try:
                    rotated.append((connection_id, vault.rotate(token)))
                except errors.UndecryptableKeyError:
                    report["undecryptable"].append(connection_id)
            if rotated:
                self.env.cr.execute(
                    SQL(
                        "UPDATE %s AS c SET key_token = v.token FROM (VALUES %s) AS v(id, token) "
                        "WHERE c.id = v.id",
                        SQL.identifier(self._table),
                        SQL(", ").join(SQL("(%s, %s)", cid, token) for cid, token in rotated),
                    )
                )
            report["rotated"] += len(rotated)
            self.env["ir.cron"]._commit_progress(len(batch))
        _logger.info(
            "Pleo API keys re-encrypted: %(rotated)s of %(total)s; undecryptable ids: "
            "%(undecryptable)s",
            report,
        )
        return report

    @api.model
    def action_rotate_encryption_keys(self):
        """Server action for system administrators: re-encrypt all keys and report the counts."""
        report = self._rotate_encryption_keys()
        message = self.env._(
            "%(rotated)s of %(total)s stored keys re-encrypted with the first key of "
            "pleo_encryption_keys.",
            rotated=report["rotated"],
            total=report["total"],
        )
        if report["undecryptable"]:
            companies = self.sudo().browse(report["undecryptable"]).company_id.mapped("name")
            message += " " + self.env._(
                "These keys cannot be decrypted with any configured key and were left as they "
                "are (re-enter them): %s",
                ", ".join(companies),
            )
        kind = "warning" if report["undecryptable"] else "success"
        return self._notification(self.env._("Pleo API keys re-encrypted"), message, kind)
