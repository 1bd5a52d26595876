"""Why one export item cannot be booked, in English: the reason keys and their templates.

An :class:`~.items.ItemError` (and a :class:`~.receipts.ReceiptError`) raised here carries a
``reason`` key of :data:`REASONS` and the ``data`` that fills its placeholders. The Odoo layer
words the same key through its code → message table in the user's language; the English
rendering (:func:`render`) is for logs, for Odoo-free tests and for a key the addon's table lacks.
The templates use ``%(name)s`` placeholders, as Odoo's translations do, so that the addon's
table holds the very same sentences (a repository test compares the two).

``where`` is never stored in ``data``: it is made from ``entry`` and ``line`` when a message is
worded (:data:`WHERE`). A value of :data:`PHRASE_FIELDS` is itself a key of :data:`PHRASES`.
"""

#: How a message names the place it is about.
WHERE = {
    "line": "Pleo line %(line)s of entry %(entry)s",
    "entry": "Pleo entry %(entry)s",
}

REASONS = {
    # A value of the item (items.Reader): ``field`` is Pleo's name of the value.
    "field_missing": "%(where)s: %(field)s is missing.",
    "field_not_object": "%(where)s: %(field)s is not an object.",
    "field_not_text": "%(where)s: %(field)s is not a text.",
    "field_not_list": "%(where)s: %(field)s is not a list.",
    "field_not_number": "%(where)s: %(field)s is not a number.",
    "amount_not_whole": (
        "%(where)s: %(field)s is %(value)s, not a whole number of minor units (cents)."
    ),
    "amount_wrong_currency": (
        "%(where)s: %(field)s is in %(currency)s, not in the wallet currency %(wallet_currency)s."
    ),
    "amount_implausible": (
        "%(where)s: %(field)s is %(value)s minor units, not a plausible amount (at most "
        "%(maximum)s)."
    ),
    "date_implausible": (
        "%(where)s: %(field)s %(value)s is not a plausible date (Odoo takes %(earliest)s to "
        "%(latest)s)."
    ),
    "date_invalid": "%(where)s: %(field)s %(value)s is not a valid date.",
    "tax_type_unknown": (
        "%(where)s: the tax type %(tax_type)s is not inclusive, exclusive or reverse."
    ),
    "tax_rate_not_number": "%(where)s: the tax rate is not a number.",
    "tax_rate_range": (
        "%(where)s: the tax rate %(rate)s is not a fraction between 0 and 1 (0.25 is 25 %%)."
    ),
    "file_no_link": "%(where)s: %(field)s has no web link.",
    "file_negative_size": "%(where)s: %(field)s has a negative size.",
    # The item as a whole (posting).
    "item_not_object": "The Pleo export item is not an object.",
    "entry_id_invalid": "The Pleo export item has no valid accountingEntryId (a UUID).",
    "item_unreadable": "Pleo entry %(entry)s could not be read (%(error)s).",
    "type_unknown": "Pleo entry %(entry)s has the unknown type %(item_type)s.",
    "sub_type_unknown": "Pleo entry %(entry)s has the unknown sub-type %(sub_type)s.",
    "currency_invalid": "Pleo entry %(entry)s has no valid wallet currency (%(currency)s).",
    "topup_negative": (
        "Pleo entry %(entry)s is a wallet top-up (money into the Pleo wallet) but its amount is "
        "negative (%(total)s %(currency)s minor units): Odoo cannot tell which way the money "
        "went. Check the transfer in Pleo and export it again."
    ),
    "contra_missing": (
        "Pleo entry %(entry)s: the item has no contra account: set the Pleo wallet/"
        "out-of-pocket account in Pleo's accounting settings."
    ),
    "lines_missing": (
        "Pleo entry %(entry)s (%(item_type)s) has no accounting lines, so there is no account "
        "to book it against: set the account for this kind of entry in Pleo's accounting "
        "settings and export it again."
    ),
    "line_account_missing": (
        "%(where)s has no account: choose a category with an account for it in Pleo, or set "
        "the account in Pleo's accounting settings."
    ),
    "tax_above_line": (
        "%(where)s: its tax (%(tax_amount)s) is larger than the line (%(line_amount)s)."
    ),
    "tax_above_ceiling": (
        "%(where)s: its tax (%(tax_amount)s) is more than a line of %(line_amount)s can contain "
        "at %(percent)s %% (%(ceiling)s, in minor units): Pleo's tax must be included in the "
        "line amount. Correct the tax amount or code in Pleo and export it again."
    ),
    "lines_unbalanced": (
        "Pleo entry %(entry)s: its lines add up to %(line_sum)s, not to its amount %(total)s "
        "(%(currency)s minor units)."
    ),
    "not_balanced": "Pleo entry %(entry)s does not balance.",
    "bookkeeping_method_unknown": (
        "Pleo entry %(entry)s has the unknown bookkeeping method %(method)s."
    ),
    "vendor_missing": (
        "Pleo entry %(entry)s is to be booked as a vendor bill but has no vendor: choose its "
        "vendor in Pleo and export it again."
    ),
    # A receipt (receipts.download): ``url`` is the link without its query string.
    "receipt_no_link": "The receipt has no download link.",
    "receipt_link_invalid": "The receipt's download link is not valid.",
    "receipt_link_no_host": "The receipt's download link has no host.",
    "receipt_not_https": "The receipt link %(url)s does not use https; it was not downloaded.",
    "receipt_link_credentials": (
        "The receipt link %(url)s carries a user name or password; it was not downloaded."
    ),
    "receipt_type_refused": (
        "The receipt is a %(mimetype)s file, which cannot be kept as a receipt (accepted: PDF, "
        "images, Word, Excel, text and CSV)."
    ),
    "receipt_host_type_refused": (
        "The receipt's file host sent a %(mimetype)s file, which cannot be kept as a receipt "
        "(accepted: PDF, images, Word, Excel, text and CSV)."
    ),
    "receipt_host_type_mismatch": (
        "Pleo declared the receipt as %(declared)s but its file host sent %(mimetype)s."
    ),
    "receipt_type_unknown": (
        "The receipt's file host did not say what type the file is, and neither its name nor "
        "its content shows an accepted type."
    ),
    "receipt_file_type_mismatch": (
        "Pleo declared the receipt as %(declared)s but the file is %(mimetype)s."
    ),
    "receipt_network_settings": "The receipt %(url)s was not downloaded: %(detail)s",
    "receipt_host_refused": (
        "The receipt %(url)s was not downloaded: its host %(host)s is %(problem)s. Receipts are "
        "only downloaded from public addresses (the server option %(option)s lets a host "
        "through)."
    ),
    "receipt_host_resolves_refused": (
        "The receipt %(url)s was not downloaded: its host %(host)s resolves to %(address)s, "
        "%(problem)s. Receipts are only downloaded from public addresses (the server option "
        "%(option)s lets a host through)."
    ),
    "receipt_too_big": "The receipt %(url)s is larger than %(limit)s and was not downloaded.",
    "receipt_cut_off": (
        "The download of the receipt %(url)s was cut off (%(received)s of %(length)s bytes)."
    ),
    "receipt_empty": "The receipt %(url)s is an empty file.",
    "receipt_http_redirect": (
        "The receipt %(url)s could not be downloaded: its file host answered with a redirect "
        "(HTTP %(status)s), which is not followed."
    ),
    "receipt_http_refused": (
        "The receipt %(url)s could not be downloaded: its file host refused it (HTTP "
        "%(status)s): the link may have expired (Pleo's file links last 24 hours); export the "
        "entry again."
    ),
    "receipt_http_missing": (
        "The receipt %(url)s could not be downloaded: its file host does not have it (HTTP "
        "%(status)s)."
    ),
    "receipt_http_failed": (
        "The receipt %(url)s could not be downloaded: its file host failed (HTTP %(status)s); "
        "try again later."
    ),
    "receipt_http_other": (
        "The receipt %(url)s could not be downloaded: its file host answered HTTP %(status)s."
    ),
    "receipt_proxy": (
        "The receipt %(url)s could not be downloaded: the proxy %(proxy)s refused the "
        "connection or could not be reached (check the server's HTTPS_PROXY, HTTP_PROXY and "
        "NO_PROXY settings)."
    ),
    "receipt_certificate": (
        "The receipt %(url)s could not be downloaded: its file host's certificate could not be "
        "verified (check the server's clock and its CA bundle: the pleo_ca_bundle server option "
        "or REQUESTS_CA_BUNDLE; behind a proxy that inspects TLS, the bundle needs the proxy's "
        "CA)."
    ),
    "receipt_connect_timeout": (
        "The receipt %(url)s could not be downloaded: its file host could not be reached within "
        "%(seconds)s seconds."
    ),
    "receipt_read_timeout": (
        "The receipt %(url)s could not be downloaded: its file host did not answer within "
        "%(seconds)s seconds."
    ),
    "receipt_transfer_cut_off": (
        "The receipt %(url)s could not be downloaded: the download was cut off."
    ),
    "receipt_decoding": (
        "The receipt %(url)s could not be downloaded: the file could not be decompressed."
    ),
    "receipt_connection": (
        "The receipt %(url)s could not be downloaded: the connection to its file host failed."
    ),
    "receipt_request_failed": (
        "The receipt %(url)s could not be downloaded: the request failed (%(error)s)."
    ),
    "receipt_unexpected": "The receipt %(url)s could not be downloaded (%(error)s).",
    "receipt_failed": "The receipt could not be downloaded (%(error)s).",
}

#: Values that are themselves words to translate: their values are keys of :data:`PHRASES`.
PHRASE_FIELDS = ("field", "problem")

PHRASES = {
    # The values of an item (``field``); ``index`` numbers a tag or an attachment.
    "date": "the date",
    "amount": "the amount",
    "amount_wallet": "the amount in wallet currency",
    "amount_supplier": "the amount in supplier currency",
    "contra_account": "contra account",
    "contra_account_code": "contra account code",
    "contra_account_name": "contra account name",
    "contra_account_identifier": "contra account identifier",
    "accounting_entry_lines": "accountingEntryLines",
    "line": "the line",
    "line_id": "the line id",
    "line_amount": "the line amount",
    "account": "account",
    "account_code": "account code",
    "account_name": "account name",
    "account_identifier": "account identifier",
    "tags": "tags",
    "tag": "tag %(index)s",
    "tag_group_code": "tag %(index)s group code",
    "tag_code": "tag %(index)s code",
    "tax": "tax",
    "tax_amounts": "tax amount",
    "tax_amount": "the tax amount",
    "tax_code": "tax code",
    "ingoing_tax_account": "ingoing tax account",
    "outgoing_tax_account": "outgoing tax account",
    "files": "files",
    "attachment": "attachment %(index)s",
    "attachment_url": "attachment %(index)s URL",
    "attachment_type": "attachment %(index)s type",
    "attachment_size": "attachment %(index)s size",
    "vendor": "vendor",
    "vendor_id": "vendor id",
    "vendor_name": "vendor name",
    "vendor_code": "vendor code",
    "vendor_external_id": "vendor externalId",
    "vendor_country": "vendor country",
    "vendor_default_currency": "vendor defaultCurrency",
    "vendor_registration_number": "vendor registrationNumber",
    "vendor_tax_registration_number": "vendor taxRegistrationNumber",
    "note": "the note",
    "supplier": "the supplier",
    "user": "the user",
    "additional_information": "additionalInformation",
    "invoice_information": "invoiceInformation",
    "supplier_name": "the supplier name",
    "book_id": "the book ID",
    "user_code": "the user code",
    "user_name": "the user name",
    "user_id": "the user id",
    "attendees": "attendees",
    "reconciled_entries": "reconciledEntries",
    "invoice_number": "the invoice number",
    "invoice_date": "the invoice date",
    "due_date": "the due date",
    "bookkeeping": "bookkeeping",
    # Why a receipt's address is refused (receipts.address_problem).
    "address_unspecified": "an unspecified address",
    "address_loopback": "a loopback address",
    "address_link_local": "a link-local address (such as a cloud metadata service)",
    "address_multicast": "a multicast address",
    "address_reserved": "a reserved address",
    "address_private": "a private network address",
    "address_not_public": "an address that is not public",
    "address_invalid": "not an IP address",
}


def values(data, where, phrases):
    """The placeholders' values of a message: ``data``, with ``where`` made from ``entry`` and
    ``line`` by the templates ``where`` and each phrase key turned into its words."""
    result = dict(data)
    entry = data.get("entry") or "(unknown)"
    result["where"] = (
        where["line"] % {"line": data["line"], "entry": entry}
        if data.get("line")
        else where["entry"] % {"entry": entry}
    )
    for name in PHRASE_FIELDS:
        phrase = phrases.get(result.get(name))
        if phrase is not None:
            result[name] = phrase % {"index": data.get("index", "?")}
    return result


def render(reason, data):
    """The English message of ``reason`` filled with ``data`` (a missing value reads ``?``)."""
    template = REASONS[reason]
    filled = _Missing(values(data, WHERE, PHRASES))
    return template % filled


class _Missing(dict):
    """A mapping for ``%`` that reads ``?`` for a value the data lacks, never a ``KeyError``."""

    def __missing__(self, key):
        return "?"
