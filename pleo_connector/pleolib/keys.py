"""Checking and masking API keys typed or pasted by a person.

Pleo documents no format for integrated API keys, so :func:`normalize_key` only rejects what can
never work: text that is not a single printable ASCII token usable as a Basic-auth user name, and
things people paste by mistake (a URL, an ``Authorization`` header value, an OAuth JWT).
Error messages never repeat the key.
"""

import re

from .errors import KeyFormatError

MAX_KEY_LENGTH = 512
HINT_PREFIX = "••••"
_MIN_HINTED_LENGTH = 8

_HEADER_VALUE = re.compile(r"(?i)^(bearer|basic)\s")
_URL = re.compile(r"(?i)^([a-z][a-z0-9+.-]*://|www\.)")
_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def normalize_key(raw):
    """Return ``raw`` without surrounding whitespace, or raise :class:`KeyFormatError`."""
    if not isinstance(raw, str) or not raw.strip():
        raise KeyFormatError(
            "No API key was entered; paste the key Pleo showed you.", reason="empty"
        )
    key = raw.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise KeyFormatError(
            f"The API key is too long ({len(key)} characters, at most {MAX_KEY_LENGTH}); "
            "make sure you pasted only the key.",
            reason="too_long",
            length=len(key),
            maximum=MAX_KEY_LENGTH,
        )
    if _HEADER_VALUE.match(key):
        raise KeyFormatError(
            "This looks like an Authorization header value ('Bearer ...' or 'Basic ...'), "
            "not an API key; paste only the key itself.",
            reason="header",
        )
    if _URL.match(key):
        raise KeyFormatError(
            "This looks like a web address, not an API key; paste the key itself.", reason="url"
        )
    _check_characters(key)
    if _JWT.match(key):
        raise KeyFormatError(
            "This looks like an OAuth access token (JWT), not an API key. Paste the integrated "
            "API key Pleo generated when you connected this integration.",
            reason="jwt",
        )
    if ":" in key:
        raise KeyFormatError(
            "The API key contains ':', which an API key used with Basic authentication cannot "
            "contain; paste only the key (without the ':' of a 'curl -u KEY:' example).",
            reason="colon",
        )
    return key


def _check_characters(key):
    """Raise :class:`KeyFormatError` for whitespace or anything but printable ASCII."""
    if any(char.isspace() for char in key):
        raise KeyFormatError(
            "The API key contains spaces or line breaks; copy it again from Pleo.",
            reason="whitespace",
        )
    for position, char in enumerate(key, start=1):
        if not "!" <= char <= "~":
            raise KeyFormatError(
                f"The API key contains a character that cannot be part of it "
                f"(U+{ord(char):04X} at position {position}, often a typographic quote or an "
                "invisible character added by copying); copy it again from Pleo.",
                reason="character",
                code=f"U+{ord(char):04X}",
                position=position,
            )


def key_hint(key):
    """Return a masked form of ``key`` showing at most its last 4 characters, e.g. ``••••a1b2``.

    Keys shorter than 8 characters are masked completely so the hint never reveals half a key.
    """
    if not key:
        return ""
    if len(key) < _MIN_HINTED_LENGTH:
        return HINT_PREFIX
    return HINT_PREFIX + key[-4:]
