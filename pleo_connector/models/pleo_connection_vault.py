# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The stored key and its encryption: vault access, the key column, master-key rotation.

The Integrated API Key is never stored in clear: it is stored encrypted, in the table of
``pleo.connection.key`` (one row per connection, never in a row of ``pleo_connection``: see
``pleo_connection_key.py``), read and written in SQL here only. ``key_token`` on the connection
follows ``auth_totp``'s ``totp_secret``: ``groups=fields.NO_ACCESS`` so that no user but the
superuser can read it through the ORM (reads, ``search_read``, exports, ``fields_get``), and it
is never prefetched. The encryption keys never live in the database (``pleolib.vault``).
"""

import logging
import os

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config

from ..const import read_option
from ..pleolib import errors
from ..pleolib.slices import TimeSlice
from ..pleolib.vault import KeyVault
from .ir_cron import pressed

_logger = logging.getLogger(__name__)

REENCRYPT_CRON_XMLID = "pleo_connector.ir_cron_pleo_reencrypt_keys"
#: ir.config_parameter: the last connection id a cut-short re-encryption reached.
REENCRYPT_AFTER_PARAM = "pleo_connector.reencrypt_after_id"

_VAULTS = {}
#: The table of ``pleo.connection.key``, where the encrypted keys are.
KEY_TABLE = "pleo_connection_key"


def _get_vault():
    """Return ``(vault, source)`` for this server's encryption keys (cached per configuration)."""
    option = read_option("pleo_encryption_keys")
    env_value = os.environ.get("PLEO_ENCRYPTION_KEYS") or ""
    data_dir = config["data_dir"]
    cache_key = (option, env_value, data_dir)
    if cache_key not in _VAULTS:
        _VAULTS.clear()
        _VAULTS[cache_key] = KeyVault.from_sources(option, os.environ, data_dir)
    return _VAULTS[cache_key]


# One file per concern of the model, on purpose (see pleo_connection.py).
class PleoConnection(models.Model):
    _inherit = "pleo.connection"  # pylint: disable=consider-merging-classes-inherited

    key_token = fields.Char(
        compute="_compute_key_token",
        inverse="_inverse_key_token",
        groups=fields.NO_ACCESS,
        copy=False,
        exportable=False,
    )
    encryption_key_source = fields.Selection(
        [
            ("config", "Server configuration"),
            ("environment", "Environment variable"),
            ("file", "Generated key file"),
        ],
        compute="_compute_encryption_key_source",
    )

    def _compute_key_token(self):
        tokens = self._read_tokens()
        for connection in self:
            connection.key_token = tokens.get(connection.id, False)

    def _inverse_key_token(self):
        for connection in self:
            if connection.key_token:
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO %s (connection_id, key_token) VALUES (%s, %s) "
                        "ON CONFLICT (connection_id) DO UPDATE SET key_token = EXCLUDED.key_token",
                        SQL.identifier(KEY_TABLE),
                        connection.id,
                        connection.key_token,
                    )
                )
            else:
                self.env.cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE connection_id = %s",
                        SQL.identifier(KEY_TABLE),
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
                "SELECT connection_id, key_token FROM %s WHERE connection_id IN %s",
                SQL.identifier(KEY_TABLE),
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

    def _stored_key(self):
        """The decrypted stored key, or ``None`` without one (one query, then memory only).

        Raises :class:`~.errors.UndecryptableKeyError` when no configured key decrypts it.
        """
        self.ensure_one()
        token = self._read_tokens().get(self.id)
        return self._vault().decrypt(token) if token else None

    # ------------------------------------------------------------------ master-key rotation

    @api.model
    def _rotate_encryption_keys(self, batch_size=200, after_id=0, slice_=None):
        """Re-encrypt the stored keys (of ids above ``after_id``) under the first key of
        ``pleo_encryption_keys``.

        For the master-key rotation procedure: add the new Fernet key first in the option (keep
        the old one after it), restart, run this (server action "Re-encrypt Pleo API keys", or
        ``env['pleo.connection']._rotate_encryption_keys()`` in ``odoo-bin shell``), then remove
        the old key. A batch is one unit of the cron's ``slice_`` and is committed; idempotent.
        A key that no configured key decrypts is left as it is and reported, never lost
        silently. Returns ``{"rotated": n, "undecryptable": [connection ids], "total": n,
        "last_id": the last id done, "done": whether every key was reached}``.
        """
        if not self.env.is_system():
            raise AccessError(self.env._("Only system administrators re-encrypt Pleo API keys."))
        vault = self._vault()
        slice_ = slice_ or TimeSlice(self.env["ir.cron"]._commit_progress)
        self.env.cr.execute(
            SQL(
                "SELECT connection_id FROM %s WHERE connection_id > %s ORDER BY connection_id",
                SQL.identifier(KEY_TABLE),
                after_id,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        report = {
            "rotated": 0,
            "undecryptable": [],
            "total": len(ids),
            "last_id": after_id,
            "done": True,
        }
        for start in range(0, len(ids), batch_size):
            if slice_.spent():
                report["done"] = False
                break
            batch = self.browse(ids[start : start + batch_size])
            with slice_.unit():
                self._rotate_batch(vault, batch, report)
            report["last_id"] = batch.ids[-1]
            slice_.commit(len(batch), remaining=len(ids) - start - len(batch))
        _logger.info(
            "Pleo API keys re-encrypted: %(rotated)s of %(total)s; undecryptable ids: "
            "%(undecryptable)s",
            report,
        )
        return report

    def _rotate_batch(self, vault, batch, report):
        rotated = []
        for connection_id, token in batch._read_tokens().items():
            try:
                rotated.append((connection_id, vault.rotate(token)))
            except errors.UndecryptableKeyError:
                report["undecryptable"].append(connection_id)
        if rotated:
            self.env.cr.execute(
                SQL(
                    "UPDATE %s AS k SET key_token = v.token FROM (VALUES %s) AS v(id, token) "
                    "WHERE k.connection_id = v.id",
                    SQL.identifier(KEY_TABLE),
                    SQL(", ").join(SQL("(%s, %s)", cid, token) for cid, token in rotated),
                )
            )
        report["rotated"] += len(rotated)

    @api.model
    def _cron_pleo_reencrypt_keys(self):
        """Re-encrypt the stored keys in Odoo's time slices, for a system administrator's press
        of "Re-encrypt Pleo API keys"; a run the slice cut short is continued by the scheduler
        from the last id done (kept, committed by this job only, in ``REENCRYPT_AFTER_PARAM``).
        The daily scheduled run has nothing to do unless it continues one."""
        press = pressed(REENCRYPT_CRON_XMLID)
        params = self.env["ir.config_parameter"].sudo()
        after = params.get_param(REENCRYPT_AFTER_PARAM)
        if not press and not after:
            return True
        slice_ = TimeSlice(self.env["ir.cron"]._commit_progress)
        report = self.sudo()._rotate_encryption_keys(
            after_id=0 if press else int(after), slice_=slice_
        )
        params.set_param(REENCRYPT_AFTER_PARAM, False if report["done"] else report["last_id"])
        if not report["done"]:
            self.env.ref(REENCRYPT_CRON_XMLID)._trigger()
        slice_.commit(remaining=0 if report["done"] else 1)
        if press:
            press.result = report
        return True

    @api.model
    def action_rotate_encryption_keys(self):
        """Server action for system administrators: re-encrypt all keys and report the counts."""
        if not self.env.is_system():
            raise AccessError(self.env._("Only system administrators re-encrypt Pleo API keys."))
        press = self.env.ref(REENCRYPT_CRON_XMLID).sudo()._pleo_press([])
        title = self.env._("Pleo API keys re-encrypted")
        if not press.ran:
            message = self.env._("Odoo is re-encrypting the Pleo API keys already.")
            return self._notification(title, message, "info")
        report = press.result
        message = self.env._(
            "%(rotated)s of %(total)s stored keys re-encrypted with the first key of "
            "pleo_encryption_keys.",
            rotated=report["rotated"],
            total=report["total"],
        )
        if not report["done"]:
            message += " " + self.env._("The others follow in the background.")
        if report["undecryptable"]:
            companies = self.sudo().browse(report["undecryptable"]).company_id.mapped("name")
            message += " " + self.env._(
                "These keys cannot be decrypted with any configured key and were left as they "
                "are (re-enter them): %s",
                ", ".join(companies),
            )
        kind = "warning" if report["undecryptable"] else "success"
        return self._notification(title, message, kind)
