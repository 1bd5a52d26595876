"""HTTP client for the Pleo External API, authenticated with an integrated API key.

Rules kept by every call (all calls go through :meth:`PleoClient.request`; the endpoints are
grouped over it in :mod:`.connection_api`, :mod:`.export_api`, :mod:`.setup_api` and
:mod:`.webhooks`, each an :class:`Endpoints`):

* HTTP Basic auth with the key as user name and an empty password (:class:`~.auth.PleoAuth`);
  the key is masked in log records (:mod:`.redaction`) during each call and, when the client is
  used as a context manager, for the whole ``with`` block.
* Redirects are never followed (a 3xx is an :class:`UnexpectedResponseError`), so the key is never
  sent to another host.
* GET, PUT and DELETE are retried on 429, 502, 503, 504, connection failures and timeouts,
  honouring ``Retry-After`` (capped at ``max_retry_wait``), with exponential backoff and jitter
  otherwise. POST is never retried.
* Bodies are read in chunks and refused beyond ``max_body_bytes`` (after decompression); JSON is
  required and its shape checked before use.
* Errors raised by ``requests`` are replaced, without chaining, by :class:`PleoError` subclasses
  whose messages are written here.
* The proxy and the CA bundle come from :mod:`.network`, as for the receipt downloads: the
  environment's ``HTTPS_PROXY``/``NO_PROXY``..., and ``ca_bundle`` (the Odoo server option
  ``pleo_ca_bundle``) before ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` and ``SSL_CERT_FILE``.
  A session the client creates does not read the rest of the environment (``.netrc``).
"""

import email.utils
import logging
import random
import re
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ReadTimeoutError

from . import network, redaction
from .answers import decode_json
from .auth import PleoAuth
from .errors import (
    InvalidKeyError,
    MissingScopesError,
    NotFoundError,
    PleoError,
    PleoTimeoutError,
    PleoUnavailableError,
    RateLimitedError,
    UnexpectedResponseError,
)

__all__ = [
    "BASE_URLS",
    "PRODUCTION_URL",
    "STAGING_URL",
    "USER_AGENT",
    "Endpoints",
    "PleoClient",
    "decode_json",
    "parse_retry_after",
]

_logger = logging.getLogger(__name__)

PRODUCTION_URL = "https://external.pleo.io"
STAGING_URL = "https://external.staging.pleo.io"
BASE_URLS = {"production": PRODUCTION_URL, "staging": STAGING_URL}

USER_AGENT = "pleo-connector-odoo/19.0.1.0.0"
MAX_BODY_BYTES = 1024 * 1024
CHUNK_BYTES = 8192
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF_BASE_SECONDS = 0.5
MAX_RETRY_AFTER_SECONDS = 86400.0

_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")
_DETAIL_LENGTH = 200
_jitter = random.SystemRandom()


def parse_retry_after(value, now=None):
    """Return the seconds to wait from a ``Retry-After`` value (seconds or HTTP date), or None.

    Absurd values are capped at a day.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)


# --------------------------------------------------------------------------- client


def _check_base_url(base_url):
    """Return ``base_url`` without trailing slash, or raise :class:`PleoError`."""
    try:
        parts = urlsplit(base_url if isinstance(base_url, str) else "")
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        parts = urlsplit("")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or (parts.query or parts.fragment)
    ):
        raise PleoError(
            "The Pleo API address is not a valid http(s) address (without user name, query or "
            "fragment); check the pleo_api_url server options."
        )
    return base_url.rstrip("/")


def _timeouts(timeout):
    """Return ``(connect, read)`` seconds from a number or a pair."""
    if isinstance(timeout, (int, float)):
        return (float(timeout), float(timeout))
    connect, read = timeout
    return (float(connect), float(read))


def _size_text(size):
    """Return ``size`` bytes as short text (``1 MiB``, ``512 KiB`` or ``100 bytes``)."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _is_transient(error):
    """Whether an idempotent call that failed with ``error`` should be retried automatically."""
    if isinstance(error, (RateLimitedError, PleoTimeoutError)):
        return True
    return (
        isinstance(error, PleoUnavailableError)
        and error.retryable
        and (error.status is None or error.status in RETRY_STATUSES)
    )


def _pleo_detail(headers, body):
    """Return ``": TYPE: message"`` from a Pleo error body, masked and shortened, or ``""``."""
    try:
        payload = decode_json(body, headers.get("Content-Type"))
    except PleoError:
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = [str(payload[name]) for name in ("type", "message") if payload.get(name)]
    return redaction.mask(": " + ": ".join(parts))[:_DETAIL_LENGTH] if parts else ""


def _interpret(status, headers, body, action):
    """Return the JSON value of a 2xx answer (``None`` if empty); raise for the others."""
    if 300 <= status < 400:
        raise UnexpectedResponseError("Pleo answered with a redirect; not followed.", status=status)
    if status == 401:
        raise InvalidKeyError(status=status)
    if status == 403:
        raise MissingScopesError(
            f"Pleo refused {action} (403): the API key lacks a permission (scope) it needs. "
            "Generate a key with the required permissions in Pleo and paste it.",
            status=status,
        )
    if status == 404:
        raise NotFoundError(f"Pleo answered 'not found' (404) to {action}.", status=status)
    if status == 429:
        raise RateLimitedError(retry_after=parse_retry_after(headers.get("Retry-After")))
    if status >= 500:
        raise PleoUnavailableError(
            f"Pleo is unavailable (HTTP {status}). Try again later.",
            status=status,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    if not 200 <= status < 300:
        raise UnexpectedResponseError(
            f"Pleo rejected {action} (HTTP {status}{_pleo_detail(headers, body)}).",
            status=status,
        )
    if status == 204 or not body.strip():
        return None
    return decode_json(body, headers.get("Content-Type"))


def _elapsed_ms(started):
    """Milliseconds since ``started`` (a :func:`time.monotonic` value)."""
    return round((time.monotonic() - started) * 1000)


class PleoClient:
    """A client for one API key against one Pleo environment.

    ``api_key`` is the key (normalised here) or a :class:`~.auth.PleoAuth`; ``timeout`` is
    ``(connect, read)`` seconds (or one number for both); ``sleep`` is the function used to wait
    between retries; ``ca_bundle`` is the CA bundle to verify Pleo's certificate with before the
    environment's (see :mod:`.network`). Use one client per thread; ``with client:`` masks the
    key in log records for the block and closes the client at its end.
    """

    def __init__(
        self,
        api_key,
        base_url,
        timeout=(5, 20),
        max_retries=3,
        max_retry_wait=30.0,
        session=None,
        *,
        sleep=time.sleep,
        max_body_bytes=MAX_BODY_BYTES,
        ca_bundle=None,
    ):
        self.auth = PleoAuth.of(api_key)
        self.key_hint = self.auth.hint
        self.base_url = _check_base_url(base_url)
        self.timeout = _timeouts(timeout)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.max_body_bytes = max_body_bytes
        self.ca_bundle = ca_bundle
        self._owns_session = session is None
        self._session = session
        if session is None:
            self._session = requests.Session()
            self._session.trust_env = False  # proxies and CA bundle: network.route, per call
        self._sleep = sleep
        redaction.install()

    def __repr__(self):
        return f"<PleoClient {self.base_url} key {self.key_hint}>"

    def __enter__(self):
        redaction.register_secret(self.auth.api_key)
        return self

    def __exit__(self, *exc_info):
        try:
            self.close()
        finally:
            redaction.unregister_secret(self.auth.api_key)

    def close(self):
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self._session.close()

    # ----------------------------------------------------------------------- plumbing

    def request(self, method, path, *, action, params=None, json_body=None):
        """Make one API call with retries; return its JSON value (``None`` for no body).

        ``action`` names the call in messages ("reading the installation")."""
        retries = self.max_retries if method in IDEMPOTENT_METHODS else 0
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, action, params, json_body)
            except PleoError as error:
                if attempt >= retries or not _is_transient(error):
                    raise
                attempt += 1
                delay = self._retry_delay(error, attempt)
                _logger.info(
                    "%s %s failed (%s); retry %d of %d in %.1f s",
                    method,
                    path,
                    error.message,
                    attempt,
                    retries,
                    delay,
                )
                self._sleep(delay)

    def _retry_delay(self, error, attempt):
        """Seconds to wait before retry number ``attempt`` (1-based) after ``error``."""
        retry_after = getattr(error, "retry_after", None)  # sent with a 429 or a 503
        if retry_after is not None:
            return min(retry_after, self.max_retry_wait)
        ceiling = min(self.max_retry_wait, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return _jitter.uniform(ceiling / 2, ceiling)

    def _attempt(self, method, path, action, params, json_body):
        """Make one HTTP request and interpret its answer; log it at DEBUG."""
        started = time.monotonic()
        with self.auth.masked():
            try:
                status, headers, body = self._send(method, path, params, json_body)
            except PleoError as error:
                _logger.debug(
                    "%s %s -> %s in %d ms", method, path, type(error).__name__, _elapsed_ms(started)
                )
                raise
            _logger.debug("%s %s -> %s in %d ms", method, path, status, _elapsed_ms(started))
            return _interpret(status, headers, body, action)

    def _send(self, method, path, params, json_body):
        """Return ``(status, headers, body)``; transport failures become :class:`PleoError`."""
        url = self.base_url + path
        try:
            way = network.route(url, self.ca_bundle)
        except network.NetworkSettingsError as error:
            raise PleoUnavailableError(error.message, retryable=False) from None
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=_HEADERS,
                auth=self.auth,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
                proxies=way.proxies,
                verify=way.verify,
            )
            with response:
                return response.status_code, response.headers, self._read_body(response)
        except requests.RequestException as exc:
            error = self._transport_error(exc, way.proxy_label)
        except PleoError:
            raise
        except Exception as exc:  # anything else from the stack may quote the request's headers
            error = PleoUnavailableError(
                f"The request to Pleo failed ({type(exc).__name__}).", retryable=False
            )
        raise error from None

    def _read_body(self, response):
        """Return the (decompressed) body, refusing more than ``max_body_bytes``."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise self._too_large()
        chunks, size = [], 0
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self._too_large()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self):
        """Return the error for an answer larger than ``max_body_bytes``."""
        return UnexpectedResponseError(
            f"Pleo's answer was larger than {_size_text(self.max_body_bytes)} and was not read."
        )

    def _transport_error(self, exc, proxy=None):
        """Return the :class:`PleoError` for an exception raised by ``requests``
        (``proxy``: the proxy the request went through, as :func:`.network.proxy_label`)."""
        connect_timeout, read_timeout = self.timeout
        if isinstance(exc, requests.exceptions.ProxyError):
            return PleoUnavailableError(
                f"The connection to Pleo through the proxy{f' {proxy}' if proxy else ''} failed: "
                "the proxy refused it or could not be reached. Check the server's HTTPS_PROXY, "
                "HTTP_PROXY and NO_PROXY settings.",
                reason="proxy",
                proxy=proxy,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return PleoUnavailableError(
                "The secure (TLS) connection to Pleo failed: its certificate could not be "
                "verified. Check the server's clock, CA certificates and proxy settings (the "
                "pleo_ca_bundle server option or REQUESTS_CA_BUNDLE; behind a proxy that "
                "inspects TLS, the bundle needs the proxy's CA).",
                retryable=False,
                reason="certificate",
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return PleoTimeoutError(
                f"Pleo could not be reached within {connect_timeout:g} seconds."
            )
        if isinstance(exc, requests.exceptions.Timeout) or (
            exc.args and isinstance(exc.args[0], ReadTimeoutError)
        ):
            return PleoTimeoutError(f"Pleo did not answer within {read_timeout:g} seconds.")
        if isinstance(exc, requests.exceptions.ContentDecodingError):
            return UnexpectedResponseError("Pleo's compressed answer could not be decompressed.")
        if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return PleoUnavailableError(
                f"The connection to Pleo ({self.base_url}) was refused, reset or dropped. "
                "Check the server's internet access, or try again later."
            )
        return PleoUnavailableError(
            f"The request to Pleo failed ({type(exc).__name__}).", retryable=False
        )


class Endpoints:
    """A group of Pleo API calls over one :class:`PleoClient` (connection, export, setup...).

    Every call goes through :meth:`_call`, which lets the group turn the refusals it knows
    (a 409, Pleo's error types) into its own errors: :meth:`_refusal`.
    """

    def __init__(self, client):
        self.client = client

    def _call(self, method, path, action, *, params=None, json_body=None, **refusal):
        """:meth:`PleoClient.request`, a refusal turned into the group's error."""
        try:
            return self.client.request(
                method, path, action=action, params=params, json_body=json_body
            )
        except UnexpectedResponseError as error:
            raise self._refusal(error, **refusal) or error from None

    def _refusal(self, error, **refusal):
        """The group's error for ``error`` (a 4xx Pleo refused with), ``None`` to keep it."""
        return None
