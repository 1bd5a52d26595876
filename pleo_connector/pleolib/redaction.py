"""Masking API keys in log records.

Secrets are registered in a process-wide, thread-safe, reference-counted registry, normally only
while a request is in flight (``with redaction.secret(key): ...``, done by the client). The
:class:`RedactionFilter` replaces every registered secret, the base64 form of ``"<secret>:"`` (what
a Basic ``Authorization`` header carries) and any ``Authorization: Basic/Bearer ...`` value it sees
with ``********``, in the formatted message, the exception text and the stack text of a record.

Where the filter is installed, and why: a filter attached to a *logger* only sees records logged
directly on that logger, not those propagated from its children (``urllib3.connectionpool`` is a
child of ``urllib3``; the addon logs on ``odoo.addons.pleo_connector.models...``). So
:func:`install` adds the filter to the named loggers *and* to every handler of the root logger
(and of the named loggers): handler filters see every record the handler is about to write,
whichever logger it came from. A record is rewritten in place, so handlers that run after the
filtered one print the masked text too; records without anything to mask keep their message and
arguments. Handlers added to the root logger later are covered by calling :func:`install` again
(it is idempotent and cheap, and :class:`~.client.PleoClient` calls it when created).

This module knows no application: the application names its own loggers and the fields in which
people type keys with ``install(logger_names=..., key_fields=...)`` (both add to what was
installed before).
"""

import base64
import logging
import re
import threading
from contextlib import contextmanager

MASK = "********"
#: This package's own logger and the HTTP stack's; :func:`install` adds the application's.
LOGGER_NAMES = (__name__.rpartition(".")[0], "requests", "urllib3")

_AUTHORIZATION = re.compile(
    r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?\s*(?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+"
)

_lock = threading.Lock()
_counts = {}
_needles = ()
_logger_names = set(LOGGER_NAMES)
#: Names of the fields in which people type keys (given by the application to :func:`install`):
#: their values are masked as they appear in a logged RPC call (``web_save({'api_key': '...'})``),
#: before the key is known to the registry.
_key_fields = ()
_key_field_value = None


def _field_value_pattern(names):
    """The pattern of ``'name': 'value'`` for ``names`` (quoted either way), or ``None``."""
    if not names:
        return None
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(r"""(['"](?:%s)['"]\s*:\s*)(['"])(?:\\.|(?!\2).)*\2""" % alternatives)


def key_fields():
    """The field names whose typed values are masked (those given to :func:`install`)."""
    return _key_fields


def logger_names():
    """The names of the loggers the filter is installed on."""
    return tuple(sorted(_logger_names))


def _forms(secret):
    """Return the strings to mask for ``secret``: itself and base64 of ``"<secret>:"``."""
    basic = base64.b64encode(f"{secret}:".encode()).decode("ascii")
    return (secret, basic)


def _refresh_needles():
    """Rebuild the immutable tuple of strings to mask, longest first (caller holds the lock)."""
    global _needles
    forms = {form for secret in _counts for form in _forms(secret)}
    _needles = tuple(sorted(forms, key=len, reverse=True))


def register_secret(secret):
    """Start masking ``secret``; each call must be matched by :func:`unregister_secret`."""
    if not secret:
        return
    with _lock:
        _counts[secret] = _counts.get(secret, 0) + 1
        _refresh_needles()


def unregister_secret(secret):
    """Undo one :func:`register_secret`; the secret stays masked while other users hold it."""
    if not secret:
        return
    with _lock:
        remaining = _counts.get(secret, 0) - 1
        if remaining > 0:
            _counts[secret] = remaining
        else:
            _counts.pop(secret, None)
        _refresh_needles()


@contextmanager
def secret(value):
    """Mask ``value`` in log records for the duration of the ``with`` block."""
    register_secret(value)
    try:
        yield
    finally:
        unregister_secret(value)


def mask(text):
    """Return ``text`` with registered secrets and Authorization header values masked."""
    for needle in _needles:
        if needle in text:
            text = text.replace(needle, MASK)
    if _key_field_value is not None:
        text = _key_field_value.sub(
            lambda match: f"{match.group(1)}{match.group(2)}{MASK}{match.group(2)}", text
        )
    return _AUTHORIZATION.sub(lambda match: match.group(1) + MASK, text)


def _formatted_message(record):
    """Return the record's message with its arguments, even when they do not match ``msg``."""
    try:
        return record.getMessage()
    except Exception:  # a record whose arguments do not fit must still be masked
        return f"{record.msg} {record.args!r}"


class RedactionFilter(logging.Filter):
    """A logging filter that masks secrets in a record's message, exception and stack text."""

    _formatter = logging.Formatter()

    def filter(self, record):
        """Mask ``record`` in place; never drops it."""
        message = _formatted_message(record)
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        self._mask_exception(record)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True

    def _mask_exception(self, record):
        """Format the exception into ``exc_text`` and mask it.

        When the text held a secret, ``exc_info`` is dropped too: formatters print ``exc_text``
        without it, and handlers reading the exception object itself cannot find the secret.
        """
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            masked = mask(record.exc_text)
            if masked != record.exc_text:
                record.exc_text, record.exc_info = masked, None


FILTER = RedactionFilter()


def _add_filter(filterer):
    """Add :data:`FILTER` to a logger or handler unless it is already there."""
    if FILTER not in filterer.filters:
        filterer.addFilter(FILTER)


def install(logger_names=(), key_fields=()):
    """Install :data:`FILTER` on the loggers, their handlers and the root handlers.

    ``logger_names`` are added to :data:`LOGGER_NAMES` (and to those of earlier calls),
    ``key_fields`` to the fields whose typed values are masked. Idempotent; call it again after
    handlers were added to the root logger.
    """
    global _key_fields, _key_field_value
    with _lock:
        _logger_names.update(logger_names)
        if set(key_fields) - set(_key_fields):
            _key_fields = tuple(sorted(set(_key_fields) | set(key_fields)))
            _key_field_value = _field_value_pattern(_key_fields)
        names = sorted(_logger_names)
    loggers = [logging.getLogger(name) for name in names]
    handlers = list(logging.getLogger().handlers)
    for logger in loggers:
        _add_filter(logger)
        handlers.extend(logger.handlers)
    for handler in handlers:
        _add_filter(handler)
