"""The one holder of an API key on its way to Pleo: normalised once, sent as HTTP Basic, masked.

``PleoAuth(raw)`` checks the typed or stored key (:func:`~.keys.normalize_key`, which raises
:class:`~.errors.KeyFormatError` before any request), builds the Basic ``Authorization`` header
(the key as user name, an empty password) and registers the key with :mod:`.redaction` while it
is in use (``with auth.masked(): ...``), so that no log record shows it. It is a
:class:`requests.auth.AuthBase`: the client hands it to ``requests`` as ``auth=``.
"""

import base64
from contextlib import contextmanager

from requests.auth import AuthBase

from . import redaction
from .keys import key_hint, normalize_key


class PleoAuth(AuthBase):
    """HTTP Basic authentication with a Pleo API key."""

    def __init__(self, api_key):
        self._key = normalize_key(api_key)
        self._header = "Basic " + base64.b64encode(f"{self._key}:".encode()).decode("ascii")
        self.hint = key_hint(self._key)

    @classmethod
    def of(cls, api_key):
        """``api_key`` itself when it is a :class:`PleoAuth` already, else a new one."""
        return api_key if isinstance(api_key, cls) else cls(api_key)

    @property
    def api_key(self):
        """The normalised key (to encrypt it for storage; never log it)."""
        return self._key

    def __call__(self, request):
        request.headers["Authorization"] = self._header
        return request

    def __eq__(self, other):
        return isinstance(other, PleoAuth) and other._key == self._key

    def __hash__(self):
        return hash(self._key)

    def __repr__(self):
        return f"<PleoAuth {self.hint}>"

    @contextmanager
    def masked(self):
        """Mask the key (and its Basic form) in every log record for the ``with`` block."""
        with redaction.secret(self._key):
            yield self
