# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What users read about a Pleo error: one table from error code to translated message.

``pleolib`` errors carry a ``code`` and their ``data``; this table words each code in the user's
language. Save & Test, Rotate Key, the batch summaries, the health check and the export all go
through :func:`user_message` (``env["pleo.connection"]._user_message(exc)``). A code without an
entry shows the error's own (English) message; anything that is not a Pleo or user error shows a
generic message, its details staying in the server log.
"""

from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

from .pleolib.errors import PleoError

_lt = LazyTranslate(__name__)

MESSAGES = {
    # The key as typed (no request made).
    "key_empty": _lt("No API key was entered; paste the key Pleo showed you."),
    "key_too_long": _lt(
        "The API key is too long (%(length)s characters, at most %(maximum)s); make "
        "sure you pasted only the key."
    ),
    "key_header": _lt(
        "This looks like an Authorization header value ('Bearer ...' or 'Basic ...'), "
        "not an API key; paste only the key itself."
    ),
    "key_url": _lt("This looks like a web address, not an API key; paste the key itself."),
    "key_whitespace": _lt("The API key contains spaces or line breaks; copy it again from Pleo."),
    "key_character": _lt(
        "The API key contains a character that cannot be part of it (%(code)s at "
        "position %(position)s, often a typographic quote or an invisible character "
        "added by copying); copy it again from Pleo."
    ),
    "key_jwt": _lt(
        "This looks like an OAuth access token (JWT), not an API key. Paste the "
        "Integrated API Key Pleo generated when you connected this integration."
    ),
    "key_colon": _lt(
        "The API key contains ':', which an API key cannot contain; paste only the key "
        "(without the ':' of a 'curl -u KEY:' example)."
    ),
    # What Pleo said about the key and its installation.
    "invalid_key": _lt(
        "Pleo rejected the API key: it is unknown, revoked, expired, or was generated "
        "for another Pleo environment than %(environment)s. Generate a new key in Pleo "
        "and paste it again."
    ),
    "not_an_api_key": _lt(
        "This is not an Integrated API Key (Pleo reports an OAuth token). Paste the key "
        "Pleo showed when you installed the Odoo integration."
    ),
    "wrong_subject": _lt(
        "This key belongs to a Pleo %(kind)s, not to a single Pleo company. Generate the "
        "key from the Pleo company you want to connect."
    ),
    "wrong_company": _lt(
        "This key belongs to Pleo company %(new)s, but this Odoo company is connected to "
        "%(current)s. To switch Pleo company, disconnect first."
    ),
    "missing_scopes": _lt(
        "The key lacks the permissions: %(scopes)s. Ask Pleo to reissue the key with "
        "these permissions."
    ),
    "installation_missing": _lt(
        "The Odoo installation was removed in Pleo. Press Save & Test to create it "
        "again, or reinstall the integration in Pleo and rotate the key."
    ),
    "installation_inactive": _lt(
        "The Odoo installation in Pleo is %(status)s%(code)s, not active. Press Save & "
        "Test to activate it again, or check the integration in Pleo."
    ),
    # Pleo having a bad moment.
    "rate_limited": _lt("Pleo is receiving too many requests right now. Try again later."),
    "timeout": _lt("Pleo did not answer in time. Try again later."),
    "unavailable": _lt("Pleo cannot be reached or is unavailable right now. Try later."),
    "unexpected_response": _lt(
        "Pleo sent an answer Odoo cannot read (%(detail)s). Try again later; if it "
        "persists, contact Pleo support."
    ),
    # This server.
    "undecryptable_key": _lt(
        "The stored Pleo API key cannot be decrypted with this server's encryption "
        "keys: re-enter it."
    ),
}

# The same errors about the stored key of a bound connection, whose screens have no key field
# (only Rotate Key): the advice names the button there is.
STORED_KEY_MESSAGES = {
    "invalid_key": _lt(
        "Pleo rejected the stored API key: it was revoked, expired, or generated for "
        "another Pleo environment than %(environment)s. Generate a new key in Pleo, then "
        "press Rotate Key."
    ),
    "undecryptable_key": _lt(
        "The stored Pleo API key cannot be decrypted with this server's encryption "
        "keys. Generate a new key in Pleo, then press Rotate Key."
    ),
}


def _values(env, exc, context):
    """The values of the message's placeholders: the error's data, completed for display."""
    values = {**exc.data, **context}
    code = exc.code
    if code == "wrong_subject":
        values["kind"] = values.get("kind") or env._("subject of unknown kind")
    elif code == "missing_scopes":
        values["scopes"] = values.get("scopes") or env._("(not named by Pleo)")
    elif code == "wrong_company":
        values["new"] = values.get("new") or values.get("company") or env._("(unknown)")
        if values["new"] == values.get("current"):
            # Two Pleo companies of one name (a demo's fake Pleo restarted): the ids tell.
            values["new"] = f"{values['new']} ({values.get('company') or '?'})"
            values["current"] = f"{values['current']} ({values.get('expected_company') or '?'})"
    elif code == "installation_inactive":
        error_code = values.get("error_code")
        values["code"] = f" ({error_code})" if error_code else ""
    return values


def user_message(env, exc, stored_key=False, **context):
    """The translated, actionable message for ``exc`` (never containing a key).

    ``stored_key``: the error is about the stored key of a bound connection (advice: Rotate
    Key). ``context`` gives the values only the caller knows (the environment's label, the
    connected Pleo company, the other company's name).
    """
    template = None
    if isinstance(exc, PleoError):
        code = getattr(exc, "code", None)
        template = (stored_key and STORED_KEY_MESSAGES.get(code)) or MESSAGES.get(code)
    if template is not None:
        # The lazy template is translated first, then filled with the error's data (what
        # env._ does with a literal template and its arguments).
        translated = env._(template)
        return translated % _values(env, exc, context)
    if isinstance(exc, PleoError | UserError):
        return str(exc)
    return env._("Unexpected error (details in the server log).")


#: Where a message sends the reader: Odoo's menus, by XML id.
CURRENCIES_MENU = (
    "account.menu_finance",
    "account.menu_finance_configuration",
    "account.menu_action_currency_form",
)
TAXES_MENU = (
    "account.menu_finance",
    "account.menu_finance_configuration",
    "account.menu_action_tax_form",
)
JOURNALS_MENU = (
    "account.menu_finance",
    "account.menu_finance_configuration",
    "account.menu_action_account_journal_form",
)
SETTINGS_MENU = (
    "account.menu_finance",
    "account.menu_finance_configuration",
    "account.menu_account_config",
)


def menu_path(env, xmlids):
    """A menu path as the reader sees it, e.g. "Invoicing › Configuration › Currencies".

    Built from the menus' own names in the reader's language, so that the app reads
    "Invoicing" in Odoo Community and "Accounting" where Odoo's full accounting renames it,
    and a Danish reader reads "Fakturering".
    """
    menus = (env.ref(xmlid, raise_if_not_found=False) for xmlid in xmlids)
    return " › ".join(menu.sudo().name for menu in menus if menu)
