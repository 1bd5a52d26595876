"""Error taxonomy of the Pleo layer.

Every error carries a ``code`` (what happened, for the application's own message table), its
``data`` (the values that message needs), an English ``message`` (for logs and for applications
without a table), the HTTP ``status`` that caused it (or ``None``), ``retryable`` (whether trying
again later may succeed) and ``definitive`` (the connection itself is broken: the key, its
installation or its permissions, not a bad moment of Pleo). Messages are written by this package
and never contain an API key, its base64 form or an ``Authorization`` header value.
"""


class PleoError(Exception):
    """Base class of every error raised by :mod:`pleolib`."""

    code = "request_failed"
    default_message = "The request to Pleo failed."
    default_retryable = False
    definitive = False
    #: ``{name in data: attribute}``: the values :attr:`data` gives a message.
    data_attributes = {}

    def __init__(self, message=None, *, status=None, retryable=None):
        self.message = message or self.default_message
        self.status = status
        self.retryable = self.default_retryable if retryable is None else retryable
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"

    @property
    def data(self):
        """The values a message about this error may show (never a secret)."""
        return {name: getattr(self, attribute) for name, attribute in self.data_attributes.items()}


class InvalidKeyError(PleoError):
    """Pleo answered 401: the key is unknown, revoked, expired or from another environment."""

    code = "invalid_key"
    definitive = True

    default_message = (
        "Pleo rejected the API key (401): it is unknown, revoked, expired, or from another Pleo "
        "environment. Generate a new key in Pleo and paste it again."
    )


class KeyFormatError(PleoError):
    """The key typed by the user cannot be a Pleo API key; no request was made.

    ``reason`` names the problem (``empty``, ``too_long``, ``header``, ``url``, ``whitespace``,
    ``character``, ``jwt``, ``colon``) and ``details`` its values, so that a user interface can
    word the message in the user's language.
    """

    code = "key_format"
    definitive = True

    default_message = "This is not a valid Pleo API key; copy it again from Pleo."

    def __init__(self, message=None, *, reason=None, **details):
        self.reason = reason
        self.details = details
        super().__init__(message)
        if reason:
            self.code = f"key_{reason}"

    @property
    def data(self):
        return dict(self.details)


class NotAnApiKeyError(PleoError):
    """Pleo accepted the credential but says it is not an API key (e.g. an OAuth token)."""

    code = "not_an_api_key"
    definitive = True

    default_message = (
        "Pleo accepted this credential, but it is not an integrated API key. "
        "Generate an API key for this integration in Pleo and paste it."
    )


class MissingScopesError(PleoError):
    """Pleo answered 403, or the key lacks scopes the connector needs (``missing``)."""

    code = "missing_scopes"
    definitive = True

    default_message = (
        "Pleo refused the request (403): the API key lacks a permission it needs. "
        "Generate a key with the required permissions in Pleo and paste it."
    )

    def __init__(self, message=None, *, missing=(), status=None):
        self.missing = sorted(missing)
        if message is None and self.missing:
            message = (
                f"The API key lacks permissions this connector needs: {', '.join(self.missing)}. "
                "Generate a key with these permissions in Pleo and paste it."
            )
        super().__init__(message, status=status)

    @property
    def data(self):
        return {"scopes": ", ".join(self.missing)}


class WrongCompanyError(PleoError):
    """The key belongs to another Pleo company (``company_id``) than the connected one."""

    code = "wrong_company"
    definitive = True

    default_message = (
        "This API key belongs to a different Pleo company than the connected one. "
        "Use a key generated for the connected Pleo company, or disconnect first."
    )

    data_attributes = {"company": "company_id", "expected_company": "expected_company_id"}

    def __init__(self, message=None, *, company_id=None, expected_company_id=None, status=None):
        self.company_id = company_id
        self.expected_company_id = expected_company_id
        super().__init__(message, status=status)


class WrongSubjectError(PleoError):
    """The key belongs to a Pleo organization (or another kind of subject), not one company."""

    code = "wrong_subject"
    definitive = True
    data_attributes = {"kind": "kind"}

    def __init__(self, message=None, *, kind=None):
        self.kind = kind
        if message is None:
            message = (
                f"This API key belongs to a Pleo {kind or 'subject of unknown kind'}, not to a "
                "single Pleo company. Generate the key from the Pleo company to connect."
            )
        super().__init__(message)


class InstallationMissingError(PleoError):
    """Pleo has no installation for the key any more (it was deleted in Pleo)."""

    code = "installation_missing"
    definitive = True

    default_message = (
        "The Odoo installation was removed in Pleo. Reinstall the Odoo integration in Pleo and "
        "paste the new key, or press Save & Test to create the installation again."
    )


class InstallationInactiveError(PleoError):
    """The key's installation exists but is not ``ACTIVATED`` (``status``, ``error_code``)."""

    code = "installation_inactive"
    definitive = True
    data_attributes = {"status": "installation_status", "error_code": "error_code"}

    def __init__(self, message=None, *, status=None, error_code=None):
        self.installation_status = status
        self.error_code = error_code
        if message is None:
            reason = f" ({error_code})" if error_code else ""
            message = (
                f"The Odoo installation in Pleo is {status}{reason}, not active. "
                "Press Save & Test to activate it again, or check the integration in Pleo."
            )
        super().__init__(message)


class RateLimitedError(PleoError):
    """Pleo answered 429; ``retry_after`` is its ``Retry-After`` in seconds, if it sent one."""

    code = "rate_limited"

    default_retryable = True

    def __init__(self, message=None, *, retry_after=None, status=429):
        self.retry_after = retry_after
        if message is None:
            wait = f"in {retry_after:.0f} seconds" if retry_after is not None else "in a minute"
            message = f"Pleo is limiting the number of requests (HTTP 429). Try again {wait}."
        super().__init__(message, status=status)


class PleoUnavailableError(PleoError):
    """Pleo answered 5xx, or the connection was refused, reset or dropped.

    ``retry_after`` is the ``Retry-After`` of a 503 in seconds, if Pleo sent one. ``reason``
    names a failure of this server's side of the connection, which "Pleo is unavailable"
    would misname: ``"certificate"`` (the TLS connection failed: Pleo's certificate was not
    verified with this server's CA bundle) or ``"proxy"`` (the proxy ``proxy`` refused the
    connection or could not be reached); its code is then ``unavailable_<reason>``, with a
    message of its own.
    """

    code = "unavailable"

    default_message = "Pleo is unavailable. Try again later."
    default_retryable = True
    data_attributes = {"proxy": "proxy"}

    def __init__(
        self,
        message=None,
        *,
        status=None,
        retryable=None,
        retry_after=None,
        reason=None,
        proxy=None,
    ):
        self.retry_after = retry_after
        self.reason = reason
        self.proxy = proxy
        super().__init__(message, status=status, retryable=retryable)
        if reason:
            self.code = f"unavailable_{reason}"


class PleoTimeoutError(PleoError):
    """Pleo did not answer in time."""

    code = "timeout"

    default_message = "Pleo did not answer in time. Try again later."
    default_retryable = True


class UnexpectedResponseError(PleoError):
    """Pleo's answer could not be used: not JSON, cut off, wrong shape, redirect, too large..."""

    code = "unexpected_response"

    default_message = "Pleo's answer could not be understood."
    data_attributes = {"detail": "message"}


class NotFoundError(PleoError):
    """Pleo answered 404."""

    code = "not_found"

    default_message = "Pleo does not know the requested object (404)."


class UndecryptableKeyError(PleoError):
    """The stored API key cannot be decrypted with the server's encryption keys."""

    code = "undecryptable_key"
    definitive = True

    default_message = (
        "The stored Pleo API key cannot be decrypted with this server's encryption keys: "
        "re-enter it."
    )


class EncryptionConfigError(PleoError):
    """The encryption keys configured for the key vault are unusable."""

    code = "encryption_config"

    default_message = "The encryption keys for stored Pleo API keys are misconfigured."
