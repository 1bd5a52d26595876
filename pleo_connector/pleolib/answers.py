"""How the client reads every answer's body: JSON only, and storable.

:func:`decode_json` raises :class:`~.errors.UnexpectedResponseError` (never a ``ValueError``)
for anything else; what an answer holds is read by the module of its endpoints
(:mod:`.connection_api`, :mod:`.export_api`, :mod:`.setup_api`, :mod:`.webhooks`).
"""

import json
import sys

from .errors import UnexpectedResponseError

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def storable(value):
    """``value`` (decoded JSON) with every string made storable: no NUL, no lone surrogate.

    JSON may carry both (``"\\u0000"``, ``"\\ud800"``); PostgreSQL refuses NUL bytes and UTF-8
    refuses lone surrogates, so one such character would make the write of a whole batch fail.
    """
    if isinstance(value, str):
        if "\x00" in value or not value.isascii():
            value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


def _int_or_text(literal):
    """A JSON integer as an ``int``, or, past the digits Python converts
    (``sys.get_int_max_str_digits()``, 4,300 by default), as a short text that no reader takes
    for a number: the item that holds it fails alone ("is not a number") instead of the whole
    answer, a page of 100 expenses, being unreadable. (A long number within the limit is read,
    and refused by the item's reader as implausible.)"""
    # A Python before 3.10.7 has no limit (and no such function): every integer is read.
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    if not limit or len(literal.lstrip("-")) <= limit:
        return int(literal)
    return f"{literal[:12]}… ({len(literal)} characters)"


def decode_json(body, content_type):
    """Return the JSON value of ``body`` (bytes) or raise :class:`UnexpectedResponseError`."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _HTML_TYPES:
        raise UnexpectedResponseError(
            "Pleo answered with a web page (HTML) instead of data: the Pleo API address may be "
            "wrong, or a proxy or firewall answered instead of Pleo."
        )
    if media != "application/json" and not media.endswith("+json"):
        raise UnexpectedResponseError(
            f"Pleo's answer could not be read (content type '{media[:80] or 'none'}', not JSON)."
        )
    try:
        text = body.decode("utf-8")
        return storable(json.loads(text, parse_int=_int_or_text))
    except json.JSONDecodeError as error:
        ended_early = error.pos >= len(error.doc.rstrip())
        truncated = ended_early or error.msg.startswith("Unterminated string")
    except (ValueError, RecursionError):
        truncated = False
    if truncated:
        raise UnexpectedResponseError("Pleo's answer was cut off (incomplete JSON). Try again.")
    raise UnexpectedResponseError("Pleo's answer could not be read (not JSON).")
