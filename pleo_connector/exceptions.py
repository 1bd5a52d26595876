# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What users read about a Pleo error: one table from error code to translated message.

``pleolib`` errors carry a ``code`` and their ``data``; this table words each code in the user's
language. Save & Test, Rotate Key, the batch summaries, the health check and the export all go
through :func:`user_message` (``env["pleo.connection"]._user_message(exc)``). A code without an
entry shows the error's own (English) message; anything that is not a Pleo or user error shows a
generic message, its details staying in the server log.

An export item's failure is worded the same way: ``pleolib``'s ``ItemError`` (and
``ReceiptError``) carries a ``reason`` and its ``data``, and :func:`item_message` words it with
:data:`ITEM_MESSAGES` (the item's failure reason, written by ``book_error``). The export's
bookers raise theirs the same way (:func:`booking_error`, :data:`BOOKING_MESSAGES`), so that
every reason an item fails for is written once, here.
"""

from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

from .pleolib.errors import PleoError
from .pleolib.items import ItemError
from .pleolib.reasons import PHRASE_FIELDS
from .pleolib.reasons import values as reason_values

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
    # ... where this server's side of the connection failed: trying later will not help.
    "unavailable_certificate": _lt(
        "The secure (TLS) connection to Pleo failed: this server could not verify Pleo's "
        "certificate. Check the server's clock and its CA certificates (the pleo_ca_bundle "
        "server option or REQUESTS_CA_BUNDLE; behind a proxy that inspects TLS, the bundle needs "
        "the proxy's CA)."
    ),
    "unavailable_proxy": _lt(
        "Odoo could not reach Pleo through the proxy %(proxy)s: the proxy refused the connection "
        "or could not be reached. Check the server's HTTPS_PROXY, HTTP_PROXY and NO_PROXY "
        "settings."
    ),
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
    elif code == "unavailable_proxy":
        values["proxy"] = values.get("proxy") or env._("(unnamed)")
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


#: How an item's failure names the place it is about (``pleolib.reasons.WHERE``).
ITEM_WHERE = {
    "line": _lt("Pleo line %(line)s of entry %(entry)s"),
    "entry": _lt("Pleo entry %(entry)s"),
}

#: Why an item cannot be booked, by the ``reason`` of its ItemError: the sentences of
#: ``pleolib.reasons.REASONS``, word for word (tests/unit/test_reasons.py compares them).
ITEM_MESSAGES = {
    "field_missing": _lt("%(where)s: %(field)s is missing."),
    "field_not_object": _lt("%(where)s: %(field)s is not an object."),
    "field_not_text": _lt("%(where)s: %(field)s is not a text."),
    "field_not_list": _lt("%(where)s: %(field)s is not a list."),
    "field_not_number": _lt("%(where)s: %(field)s is not a number."),
    "amount_not_whole": _lt(
        "%(where)s: %(field)s is %(value)s, not a whole number of minor units (cents)."
    ),
    "amount_wrong_currency": _lt(
        "%(where)s: %(field)s is in %(currency)s, not in the wallet currency %(wallet_currency)s."
    ),
    "amount_implausible": _lt(
        "%(where)s: %(field)s is %(value)s minor units, not a plausible amount (at most "
        "%(maximum)s)."
    ),
    "date_implausible": _lt(
        "%(where)s: %(field)s %(value)s is not a plausible date (Odoo takes %(earliest)s to "
        "%(latest)s)."
    ),
    "date_invalid": _lt("%(where)s: %(field)s %(value)s is not a valid date."),
    "tax_type_unknown": _lt(
        "%(where)s: the tax type %(tax_type)s is not inclusive, exclusive or reverse."
    ),
    "tax_rate_not_number": _lt("%(where)s: the tax rate is not a number."),
    "tax_rate_range": _lt(
        "%(where)s: the tax rate %(rate)s is not a fraction between 0 and 1 (0.25 is 25 %%)."
    ),
    "file_no_link": _lt("%(where)s: %(field)s has no web link."),
    "file_negative_size": _lt("%(where)s: %(field)s has a negative size."),
    "item_not_object": _lt("The Pleo export item is not an object."),
    "entry_id_invalid": _lt("The Pleo export item has no valid accountingEntryId (a UUID)."),
    "item_unreadable": _lt("Pleo entry %(entry)s could not be read (%(error)s)."),
    "type_unknown": _lt("Pleo entry %(entry)s has the unknown type %(item_type)s."),
    "sub_type_unknown": _lt("Pleo entry %(entry)s has the unknown sub-type %(sub_type)s."),
    "currency_invalid": _lt("Pleo entry %(entry)s has no valid wallet currency (%(currency)s)."),
    "topup_negative": _lt(
        "Pleo entry %(entry)s is a wallet top-up (money into the Pleo wallet) but its amount is "
        "negative (%(total)s %(currency)s minor units): Odoo cannot tell which way the money went. "
        "Check the transfer in Pleo and export it again."
    ),
    "contra_missing": _lt(
        "Pleo entry %(entry)s: the item has no contra account: set the Pleo wallet/out-of-pocket "
        "account in Pleo's accounting settings."
    ),
    "lines_missing": _lt(
        "Pleo entry %(entry)s (%(item_type)s) has no accounting lines, so there is no account to "
        "book it against: set the account for this kind of entry in Pleo's accounting settings and "
        "export it again."
    ),
    "line_account_missing": _lt(
        "%(where)s has no account: choose a category with an account for it in Pleo, or set the "
        "account in Pleo's accounting settings."
    ),
    "tax_above_line": _lt(
        "%(where)s: its tax (%(tax_amount)s) is larger than the line (%(line_amount)s)."
    ),
    "tax_above_ceiling": _lt(
        "%(where)s: its tax (%(tax_amount)s) is more than a line of %(line_amount)s can contain at "
        "%(percent)s %% (%(ceiling)s, in minor units): Pleo's tax must be included in the line "
        "amount. Correct the tax amount or code in Pleo and export it again."
    ),
    "lines_unbalanced": _lt(
        "Pleo entry %(entry)s: its lines add up to %(line_sum)s, not to its amount %(total)s "
        "(%(currency)s minor units)."
    ),
    "not_balanced": _lt("Pleo entry %(entry)s does not balance."),
    "bookkeeping_method_unknown": _lt(
        "Pleo entry %(entry)s has the unknown bookkeeping method %(method)s."
    ),
    "vendor_missing": _lt(
        "Pleo entry %(entry)s is to be booked as a vendor bill but has no vendor: choose its "
        "vendor in Pleo and export it again."
    ),
    "receipt_no_link": _lt("The receipt has no download link."),
    "receipt_link_invalid": _lt("The receipt's download link is not valid."),
    "receipt_link_no_host": _lt("The receipt's download link has no host."),
    "receipt_not_https": _lt("The receipt link %(url)s does not use https; it was not downloaded."),
    "receipt_link_credentials": _lt(
        "The receipt link %(url)s carries a user name or password; it was not downloaded."
    ),
    "receipt_type_refused": _lt(
        "The receipt is a %(mimetype)s file, which cannot be kept as a receipt (accepted: PDF, "
        "images, Word, Excel, text and CSV)."
    ),
    "receipt_host_type_refused": _lt(
        "The receipt's file host sent a %(mimetype)s file, which cannot be kept as a receipt "
        "(accepted: PDF, images, Word, Excel, text and CSV)."
    ),
    "receipt_host_type_mismatch": _lt(
        "Pleo declared the receipt as %(declared)s but its file host sent %(mimetype)s."
    ),
    "receipt_type_unknown": _lt(
        "The receipt's file host did not say what type the file is, and neither its name nor its "
        "content shows an accepted type."
    ),
    "receipt_file_type_mismatch": _lt(
        "Pleo declared the receipt as %(declared)s but the file is %(mimetype)s."
    ),
    "receipt_network_settings": _lt("The receipt %(url)s was not downloaded: %(detail)s"),
    "receipt_host_refused": _lt(
        "The receipt %(url)s was not downloaded: its host %(host)s is %(problem)s. Receipts are "
        "only downloaded from public addresses (the server option %(option)s lets a host through)."
    ),
    "receipt_host_resolves_refused": _lt(
        "The receipt %(url)s was not downloaded: its host %(host)s resolves to %(address)s, "
        "%(problem)s. Receipts are only downloaded from public addresses (the server option "
        "%(option)s lets a host through)."
    ),
    "receipt_too_big": _lt("The receipt %(url)s is larger than %(limit)s and was not downloaded."),
    "receipt_cut_off": _lt(
        "The download of the receipt %(url)s was cut off (%(received)s of %(length)s bytes)."
    ),
    "receipt_empty": _lt("The receipt %(url)s is an empty file."),
    "receipt_http_redirect": _lt(
        "The receipt %(url)s could not be downloaded: its file host answered with a redirect (HTTP "
        "%(status)s), which is not followed."
    ),
    "receipt_http_refused": _lt(
        "The receipt %(url)s could not be downloaded: its file host refused it (HTTP %(status)s): "
        "the link may have expired (Pleo's file links last 24 hours); export the entry again."
    ),
    "receipt_http_missing": _lt(
        "The receipt %(url)s could not be downloaded: its file host does not have it (HTTP "
        "%(status)s)."
    ),
    "receipt_http_failed": _lt(
        "The receipt %(url)s could not be downloaded: its file host failed (HTTP %(status)s); try "
        "again later."
    ),
    "receipt_http_other": _lt(
        "The receipt %(url)s could not be downloaded: its file host answered HTTP %(status)s."
    ),
    "receipt_proxy": _lt(
        "The receipt %(url)s could not be downloaded: the proxy %(proxy)s refused the connection "
        "or could not be reached (check the server's HTTPS_PROXY, HTTP_PROXY and NO_PROXY "
        "settings)."
    ),
    "receipt_certificate": _lt(
        "The receipt %(url)s could not be downloaded: its file host's certificate could not be "
        "verified (check the server's clock and its CA bundle: the pleo_ca_bundle server option or "
        "REQUESTS_CA_BUNDLE; behind a proxy that inspects TLS, the bundle needs the proxy's CA)."
    ),
    "receipt_connect_timeout": _lt(
        "The receipt %(url)s could not be downloaded: its file host could not be reached within "
        "%(seconds)s seconds."
    ),
    "receipt_read_timeout": _lt(
        "The receipt %(url)s could not be downloaded: its file host did not answer within "
        "%(seconds)s seconds."
    ),
    "receipt_transfer_cut_off": _lt(
        "The receipt %(url)s could not be downloaded: the download was cut off."
    ),
    "receipt_decoding": _lt(
        "The receipt %(url)s could not be downloaded: the file could not be decompressed."
    ),
    "receipt_connection": _lt(
        "The receipt %(url)s could not be downloaded: the connection to its file host failed."
    ),
    "receipt_request_failed": _lt(
        "The receipt %(url)s could not be downloaded: the request failed (%(error)s)."
    ),
    "receipt_unexpected": _lt("The receipt %(url)s could not be downloaded (%(error)s)."),
    "receipt_failed": _lt("The receipt could not be downloaded (%(error)s)."),
}

#: The words inside those messages: an item's values, why a receipt's host is refused.
ITEM_PHRASES = {
    "date": _lt("the date"),
    "amount": _lt("the amount"),
    "amount_wallet": _lt("the amount in wallet currency"),
    "amount_supplier": _lt("the amount in supplier currency"),
    "contra_account": _lt("contra account"),
    "contra_account_code": _lt("contra account code"),
    "contra_account_name": _lt("contra account name"),
    "contra_account_identifier": _lt("contra account identifier"),
    "accounting_entry_lines": _lt("accountingEntryLines"),
    "line": _lt("the line"),
    "line_id": _lt("the line id"),
    "line_amount": _lt("the line amount"),
    "account": _lt("account"),
    "account_code": _lt("account code"),
    "account_name": _lt("account name"),
    "account_identifier": _lt("account identifier"),
    "tags": _lt("tags"),
    "tag": _lt("tag %(index)s"),
    "tag_group_code": _lt("tag %(index)s group code"),
    "tag_code": _lt("tag %(index)s code"),
    "tax": _lt("tax"),
    "tax_amounts": _lt("tax amount"),
    "tax_amount": _lt("the tax amount"),
    "tax_code": _lt("tax code"),
    "ingoing_tax_account": _lt("ingoing tax account"),
    "outgoing_tax_account": _lt("outgoing tax account"),
    "files": _lt("files"),
    "attachment": _lt("attachment %(index)s"),
    "attachment_url": _lt("attachment %(index)s URL"),
    "attachment_type": _lt("attachment %(index)s type"),
    "attachment_size": _lt("attachment %(index)s size"),
    "vendor": _lt("vendor"),
    "vendor_id": _lt("vendor id"),
    "vendor_name": _lt("vendor name"),
    "vendor_code": _lt("vendor code"),
    "vendor_external_id": _lt("vendor externalId"),
    "vendor_country": _lt("vendor country"),
    "vendor_default_currency": _lt("vendor defaultCurrency"),
    "vendor_registration_number": _lt("vendor registrationNumber"),
    "vendor_tax_registration_number": _lt("vendor taxRegistrationNumber"),
    "note": _lt("the note"),
    "supplier": _lt("the supplier"),
    "user": _lt("the user"),
    "additional_information": _lt("additionalInformation"),
    "invoice_information": _lt("invoiceInformation"),
    "supplier_name": _lt("the supplier name"),
    "book_id": _lt("the book ID"),
    "user_code": _lt("the user code"),
    "user_name": _lt("the user name"),
    "user_id": _lt("the user id"),
    "attendees": _lt("attendees"),
    "reconciled_entries": _lt("reconciledEntries"),
    "invoice_number": _lt("the invoice number"),
    "invoice_date": _lt("the invoice date"),
    "due_date": _lt("the due date"),
    "bookkeeping": _lt("bookkeeping"),
    "address_unspecified": _lt("an unspecified address"),
    "address_loopback": _lt("a loopback address"),
    "address_link_local": _lt("a link-local address (such as a cloud metadata service)"),
    "address_multicast": _lt("a multicast address"),
    "address_reserved": _lt("a reserved address"),
    "address_private": _lt("a private network address"),
    "address_not_public": _lt("an address that is not public"),
    "address_invalid": _lt("not an IP address"),
}


#: Why the export's bookers cannot book an item (its Odoo records, its accounting): worded
#: here as pleolib's reasons are, by the ``reason`` of the ItemError that
#: :func:`booking_error` makes.
BOOKING_MESSAGES = {
    "account_no_code_match": _lt(
        "Pleo account %(account)s has no Odoo account with code %(code)s in %(company)s: "
        "create it or map it in Pleo Connections › %(company)s › Accounts."
    ),
    "currency_inactive": _lt(
        "The currency %(code)s of this expense is not active in Odoo: activate it in "
        "%(path)s, then export again."
    ),
    "account_code_missing": _lt(
        "Pleo sent no account code for this expense: choose the %(side)s in Pleo's "
        "accounting settings, then export again."
    ),
    "account_archived": _lt(
        "Pleo account %(account)s: the Odoo account %(code)s exists in %(company)s "
        "but is archived: unarchive it or map it in Pleo Connections › %(company)s "
        "› Accounts."
    ),
    "tax_code_no_tax": _lt(
        "Pleo tax code %(code)s has no purchase tax of that name in %(company)s: "
        "create it or map it in Pleo Connections › %(company)s › Taxes."
    ),
    "tax_reverse_unexpected": _lt(
        "Pleo tax code %(code)s is of type %(type)s (VAT paid to the supplier) but "
        "the Odoo tax %(tax)s is a reverse-charge tax (it has a negative tax "
        "repartition line): map the code to a tax without reverse charge in Pleo "
        "Connections › %(company)s › Taxes, or correct its type in Pleo."
    ),
    "tax_reverse_missing": _lt(
        "Pleo tax code %(code)s is a reverse charge (type reverse) but the Odoo tax "
        "%(tax)s is not: it has no negative tax repartition line for the VAT to "
        "self-assess. Map the code to a reverse-charge tax (+100%% and -100%% tax "
        "repartition lines) in Pleo Connections › %(company)s › Taxes, or correct "
        "its type in Pleo."
    ),
    "tax_no_repartition": _lt(
        "The Odoo tax %(tax)s has no tax repartition line to book Pleo's tax amount "
        "on: give it one in %(path)s, or map Pleo's tax "
        "code to another tax in Pleo Connections › %(company)s › Taxes."
    ),
    "tag_no_analytic": _lt(
        "Pleo tag %(code)s (group %(group)s) has no analytic account with reference "
        "%(code)s in %(company)s: create it or map it in Pleo Connections › "
        "%(company)s › Tags."
    ),
    "purchase_journal_missing": _lt(
        "%(company)s has no purchase journal for Pleo's vendor bills: create one in "
        "%(path)s, then export again."
    ),
    "tax_rate_differs": _lt(
        "Pleo tax code %(code)s is %(pleo)s%% but the Odoo tax %(tax)s is "
        "%(odoo)s%%: map the code to the right tax in Pleo Connections › "
        "%(company)s › Taxes."
    ),
    "transfer_both_sides": _lt(
        "This Pleo transfer (%(type)s) has the account %(account)s on both sides, "
        "so it books nothing: in Pleo's accounting settings, the contra account is "
        "the Pleo wallet and the transfer's account is the bank account."
    ),
    "booked_receipt_failed": _lt(
        "Entry %(move)s books this expense already and was left as it is: %(receipt)s Export "
        "the expense again from Pleo once the receipt can be fetched."
    ),
    "posted_and_changed": _lt(
        "Already booked as %(move)s and posted, and Pleo changed it since: reset "
        "it to draft or reverse it in Odoo, then export again."
    ),
    "period_locked": _lt(
        "This expense is dated %(date)s, in a period locked in Odoo until %(lock)s. "
        "Unlock the period, or choose 'Book on the first open date' in the Pleo "
        "connection, then export again."
    ),
    "vendor_no_partner": _lt(
        "Pleo vendor %(vendor)s (%(keys)s) has no partner in Odoo: set the vendor's "
        "code as the Reference of its partner (or its VAT number), or create the partner, "
        "or switch on 'Create missing vendors' in Pleo Connections › %(company)s, then "
        "export again."
    ),
    "vendor_several_partners": _lt(
        "Several partners of %(company)s have the %(what)s of this Pleo vendor "
        "(%(partners)s): keep it on one of them only, then export again."
    ),
    "invoice_currency_inactive": _lt(
        "This Pleo invoice is in %(code)s, which is not active in Odoo: activate "
        "%(code)s in %(path)s, then export again. "
        "Odoo books the bill in %(code)s and the exchange difference when Pleo pays "
        "it."
    ),
    "vendor_no_payable_account": _lt(
        "The vendor %(vendor)s has no payable account in %(company)s: set one on "
        "the partner's Accounting tab, then export again."
    ),
    "bill_tax_line_missing": _lt(
        "Odoo computed no tax line for a tax Pleo charged on this bill: check the "
        "tax mapping in Pleo Connections › %(company)s › Taxes."
    ),
    "bill_total_differs": _lt(
        "Odoo's total of this bill (%(odoo)s) is not Pleo's amount (%(pleo)s): "
        "check the taxes mapped to Pleo's tax codes, then export again."
    ),
    "payment_no_invoice_number": _lt(
        "This Pleo invoice payment has no invoice number, so Odoo cannot find the "
        "bill it pays: add the invoice number in Pleo, then export again."
    ),
    "payment_bill_missing": _lt(
        "This payment pays invoice %(number)s of %(vendor)s, whose bill is not in "
        "Odoo yet: export the invoice from Pleo (or fix why it failed), then export "
        "this payment again."
    ),
    "returned_payment_missing": _lt(
        "Pleo returned the payment of invoice %(number)s of %(vendor)s, but that "
        "payment is not in Odoo: export the payment from Pleo first, then this "
        "return again."
    ),
}


class _Missing(dict):
    """Placeholder values for ``%``: a value the error's data lacks reads ``?``."""

    def __missing__(self, key):
        return "?"


def item_message(env, error):
    """The translated reason of an export item's ``ItemError``, for ``failure_reason``.

    An error raised by ``pleolib`` is worded from its ``reason`` and ``data``, one raised by the
    export's bookers (:func:`booking_error`) likewise from :data:`BOOKING_MESSAGES`; one without
    a ``reason`` was worded in the user's language where it was raised.
    """
    reason = getattr(error, "reason", None)
    template = ITEM_MESSAGES.get(reason) or BOOKING_MESSAGES.get(reason)
    if template is None:
        return error.message
    where = {key: env._(value) for key, value in ITEM_WHERE.items()}
    named = (error.data.get(field) for field in PHRASE_FIELDS)
    phrases = {key: env._(ITEM_PHRASES[key]) for key in named if key in ITEM_PHRASES}
    # Translated first, then filled with the error's data (as user_message does).
    translated = env._(template)
    return translated % _Missing(reason_values(error.data, where, phrases))


def booking_error(env, code, reason, mapping=None, /, **values):
    """The :class:`ItemError` of a booker's failure: ``code`` is Pleo's failure type, ``reason``
    a key of :data:`BOOKING_MESSAGES` and ``values`` its placeholders; ``mapping`` is what the
    mapping tabs need of a code to map (``mapping_kind``, ``pleo_code``, Pleo's details, see
    ``book_error``). Its ``message`` is worded in ``env``'s language (a chatter note, the logs);
    the item's failure reason is worded again by :func:`item_message`, like pleolib's reasons."""
    data = {**(mapping or {}), **values}
    translated = env._(BOOKING_MESSAGES[reason])  # then filled, as item_message does
    return ItemError(code, translated % _Missing(values), data, reason=reason)


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
