"""Data model of the Pleo sandbox: constants, records, switchable behaviours and HTTP responses.

Everything here is plain data; the locking and the operations on it live in ``state.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http import HTTPStatus

ENVIRONMENTS = ("production", "staging")

#: The scopes Pleo documents for accounting integrations (plus those seen in Pleo's public SDK).
DEFAULT_SCOPES = (
    "export-jobs:read",
    "export-jobs:write",
    "export-items:read",
    "accounts:read",
    "accounts:write",
    "vendors:read",
    "vendors:write",
    "users:read",
    "companies:read",
    "tax-codes:read",
    "tag-groups:read",
)
AUTH_METHODS = ("API_KEY", "OAUTH2", "NONE")  # spec: ExternalClientModel.authMethod
SUBJECT_KINDS = ("company", "organization")
INSTALLATION_STATUSES = ("ACTIVATED", "INACTIVE", "AUTHORIZED", "PENDING_INTEGRATION", "ERROR")
INSTALLATION_ERROR_CODES = ("NOT_ENTITLED", "AUTH_ERROR")
ADDRESS_FIELDS = ("addressLine1", "addressLine2", "country", "locality", "postalCode", "region")
FAULT_KINDS = ("status", "rate_limit", "garbage", "truncated", "html", "drop", "slow", "redirect")
#: Status used by a fault kind when ``inject_fault`` is given no ``status``.
FAULT_DEFAULT_STATUS = {"status": 500, "garbage": 200, "html": 502, "redirect": 302}
#: Where "redirect" faults point: another host, a closed port. Clients must never follow it.
REDIRECT_TARGET = "http://127.0.0.2:9"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
HTML_CONTENT_TYPE = "text/html;charset=UTF-8"
MAX_KEY_LENGTH = 512

_APPLICATION_NAMESPACE = uuid.UUID("7f1d2c1e-5b1a-4c7e-9a53-3d0c4f1b9e21")
_KEY_VALUE = re.compile(
    r"^[!-9;-~]+$"
)  # printable ASCII without space and ':' (Basic auth separator)


class SandboxError(ValueError):
    """Bad input to the sandbox's Python or control API (the control API answers 400)."""


class UnknownEntityError(SandboxError):
    """The key or company named does not exist (the control API answers 404)."""


def now_utc() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    """Format ``moment`` the way Pleo does: RFC 3339, UTC, millisecond precision, ``Z`` suffix."""
    return (
        moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def is_uuid(value: object) -> bool:
    """Return whether ``value`` is a string holding a UUID."""
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def key_prefix(key: str) -> str:
    """Return the only part of a key the sandbox ever logs or shows: its first 4 characters."""
    return key[:4] + "…" if len(key) >= 16 else "…"


def check_key_value(key: object) -> str:
    """Validate an explicitly chosen key value (e.g. ``--demo-key``) and return it."""
    if not isinstance(key, str) or not _KEY_VALUE.match(key) or len(key) > MAX_KEY_LENGTH:
        raise SandboxError("a key must be 1-512 printable ASCII characters without spaces or ':'")
    return key


def application_ids(application_name: str) -> tuple[str, str]:
    """Return the stable (applicationId, clientId) the sandbox gives an application name."""
    return (
        str(uuid.uuid5(_APPLICATION_NAMESPACE, "application:" + application_name)),
        str(uuid.uuid5(_APPLICATION_NAMESPACE, "client:" + application_name)),
    )


def company_urn(company_id: str) -> str:
    """Return the URN Pleo uses for a company."""
    return f"urn:pleo:company:{company_id}"


@dataclass
class Company:
    """A Pleo company, as returned by ``GET /v1/companies/{id}``."""

    id: str
    name: str
    organization_id: str
    registration_number: str | None = None
    address: dict[str, str] = field(default_factory=dict)

    def to_api(self) -> dict:
        """Return the spec's ``ExternalCompanyResponseModel``."""
        body = {"id": self.id, "name": self.name, "organizationId": self.organization_id}
        if self.registration_number is not None:
            body["registrationNumber"] = self.registration_number
        body["address"] = dict(self.address)
        return body


@dataclass
class ApiKey:
    """An integrated API key (or, with ``auth_method="OAUTH2"``, a simulated OAuth token)."""

    value: str = field(repr=False)  # never in a repr, a log or a traceback
    environment: str
    subject_kind: str
    subject_id: str
    company_id: str
    application_name: str
    auth_method: str
    scopes: tuple[str, ...]
    revoked: bool = False
    expires_at: dt.datetime | None = None

    @property
    def subject_urn(self) -> str:
        """The ``subjectURN`` introspection reports (and the resource of its installation)."""
        return f"urn:pleo:{self.subject_kind}:{self.subject_id}"

    @property
    def prefix(self) -> str:
        """The loggable prefix of the key."""
        return key_prefix(self.value)

    def can_see(self, company: Company) -> bool:
        """Return whether this key's subject covers ``company``."""
        if self.subject_kind == "company":
            return company.id == self.subject_id
        return company.organization_id == self.subject_id

    def summary(self) -> dict:
        """Describe the key without its value (for ``GET /_sandbox/state``)."""
        return {
            "prefix": self.prefix,
            "environment": self.environment,
            "subject": self.subject_urn,
            "company_id": self.company_id,
            "application_name": self.application_name,
            "auth_method": self.auth_method,
            "scopes": list(self.scopes),
            "revoked": self.revoked,
            "expires_at": iso(self.expires_at) if self.expires_at else None,
        }


@dataclass
class Installation:
    """An installation of one application for one subject in one environment."""

    id: str
    application_id: str
    resource: str
    status: str
    metadata: dict
    error_code: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    def to_api(self) -> dict:
        """Return the spec's bare ``InstallationResponse`` (``errorCode`` only when set)."""
        body = {
            "id": self.id,
            "applicationId": self.application_id,
            "resource": self.resource,
            "status": self.status,
            "metadata": json.loads(json.dumps(self.metadata)),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        if self.error_code is not None:
            body["errorCode"] = self.error_code
        return body


@dataclass
class Fault:
    """A misbehaviour injected for requests to ``path`` (an ``fnmatch`` pattern) and ``method``."""

    path: str
    method: str | None
    kind: str
    status: int | None
    retry_after: float | None
    latency: float
    times: int | None

    def matches(self, method: str, path: str) -> bool:
        """Return whether this fault applies to a request."""
        return (self.method is None or self.method == method) and fnmatchcase(path, self.path)

    def to_dict(self) -> dict:
        """Describe the fault (for ``GET /_sandbox/state``)."""
        return dataclasses.asdict(self)


@dataclass
class RecordedRequest:
    """One request the sandbox received on a Pleo path. It never holds the key.

    Recorded on arrival, so a client that timed out has been counted. ``query`` maps each query
    parameter to its first value; ``status`` is None while the answer is delayed (``slow``,
    latency) and for a dropped connection.
    """

    method: str
    path: str
    query: dict[str, str]
    environment: str
    auth_valid: bool
    status: int | None


_BEHAVIOUR_CHOICES = {
    "unauthorized_body": ("json", "empty", "html"),
    "missing_installation": ("404", "empty"),
    "duplicate_installation": ("return_existing", "409"),
    "refund_sign": ("negative", "positive"),
    "invoice_payment_currency": ("invoice", "wallet"),
    "second_started": ("422", "accept"),
    "repeat_final_event": ("422", "accept"),
    "expires_in_reports": ("window", "remaining"),
    "tag_scope": ("tag-groups", "tag-group"),
    "tax_code_scope": ("tax-codes", "tax-code", "none"),
    "subscription_scope": ("none", "export-jobs:read"),
    "webhook_delivery": ("on", "off"),
    "webhook_signature": ("valid", "wrong"),
    "webhook_timestamp": ("now", "stale"),
    "webhook_order": ("in_order", "swapped"),
    "exclusive_tax": ("inside", "on_top"),
}
_BEHAVIOUR_FLAGS = (
    "delete_revokes_key",
    "retry_after_on_429",
    "expire_pending_jobs",
    "webhook_duplicates",
)


def _seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


@dataclass
class Behaviour:
    """Switches for what Pleo does not document; see README.md for why each default was chosen.

    Assigning an invalid value raises :class:`SandboxError`.
    """

    #: Body of a 401: "json" (domain error), "empty" (no body) or "html" (an HTML page).
    unauthorized_body: str = "json"
    #: GET installation when none exists: "404" (domain error) or "empty" (204, no body).
    missing_installation: str = "404"
    #: POST installation when one exists: "return_existing" (200, unchanged) or "409".
    duplicate_installation: str = "return_existing"
    #: Whether DELETE installation also revokes the keys of that application and subject.
    delete_revokes_key: bool = False
    #: Whether the built-in rate limiter's 429 carries ``Retry-After``.
    retry_after_on_429: bool = True
    #: Requests per minute and key before the built-in rate limiter answers 429; None = off.
    rate_limit_per_minute: int | None = None
    #: Export API: sign of every amount of refund, chargeback, cashback and wallet_unload items.
    refund_sign: str = "negative"
    #: Export API: an ``invoice_payment``'s ``inSupplierCurrency`` amounts: the "invoice"'s
    #: currency as written, or the "wallet"'s (the wallet figures copied over them).
    invoice_payment_currency: str = "invoice"
    #: Export API: ``started`` on a job in progress: "422" (invalid change) or "accept" (202 no-op).
    second_started: str = "422"
    #: Export API: the same final event sent again: "422" or "accept" (202, nothing changes).
    repeat_final_event: str = "422"
    #: Export API: seconds without an action after which an open job fails with ``job_expired``.
    export_job_expiry_seconds: int = 3600
    #: Export API: whether ``pending`` jobs expire too (else only ``in_progress`` ones).
    expire_pending_jobs: bool = True
    #: Export API: ``expiresIn`` is the "window" (constant) or the seconds "remaining".
    expires_in_reports: str = "window"
    #: Setup API: scope prefix of tag groups and tags, "tag-groups" (staging) or "tag-group".
    tag_scope: str = "tag-groups"
    #: Setup API: scope prefix of tax codes, "tax-codes", "tax-code", or "none" (no scope).
    tax_code_scope: str = "tax-codes"
    #: Subscriptions API: the scope it needs, "none" (the spec lists none) or "export-jobs:read"
    #: (Pleo's pages: subscribing to export events needs the Export API's scopes).
    subscription_scope: str = "none"
    #: Webhooks: "on" delivers events; "off" generates them and never sends (Pleo down).
    webhook_delivery: str = "on"
    #: Webhooks: "valid" signs with the subscription's secret, "wrong" with another one.
    webhook_signature: str = "valid"
    #: Webhooks: "now" stamps each attempt with the time, "stale" 10 minutes earlier.
    webhook_timestamp: str = "now"
    #: Webhooks: "in_order", or "swapped": a message waits for the next one to overtake it.
    webhook_order: str = "in_order"
    #: Webhooks: whether every message is delivered twice (same webhook-id).
    webhook_duplicates: bool = False
    #: Webhooks: seconds before each retry of a failed delivery (the Standard Webhooks
    #: reference schedule; Pleo's is [unknown]); after the last one the message is dropped.
    webhook_retry_seconds: tuple = (5, 300, 1800, 7200, 18000, 36000, 36000)
    #: Webhooks: seconds the sender waits for the endpoint's answer.
    webhook_timeout_seconds: float = 15.0
    #: Setup API: the VAT of a card purchase with an ``exclusive`` tax code, "inside" the card
    #: amount (as ``inclusive``) or "on_top" of it (amount x rate); see ``card_purchase``.
    exclusive_tax: str = "inside"

    def __setattr__(self, name: str, value: object) -> None:
        if name in _BEHAVIOUR_CHOICES:
            if value not in _BEHAVIOUR_CHOICES[name]:
                raise SandboxError(f"{name} must be one of {_BEHAVIOUR_CHOICES[name]}")
        elif name in _BEHAVIOUR_FLAGS:
            if not isinstance(value, bool):
                raise SandboxError(f"{name} must be true or false")
        elif name == "rate_limit_per_minute":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise SandboxError("rate_limit_per_minute must be a positive integer or null")
        elif name == "webhook_retry_seconds":
            if not isinstance(value, (list, tuple)) or not all(_seconds(v) for v in value):
                raise SandboxError("webhook_retry_seconds must be a list of seconds (>= 0)")
            value = tuple(value)
        elif name == "webhook_timeout_seconds":
            if not _seconds(value) or value == 0:
                raise SandboxError("webhook_timeout_seconds must be a positive number")
        elif name == "export_job_expiry_seconds":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SandboxError("export_job_expiry_seconds must be a positive integer")
        else:
            raise SandboxError(f"unknown behaviour {name!r}")
        return super().__setattr__(name, value)


@dataclass
class Response:
    """An HTTP answer, produced by the Pleo and control APIs and written by the server."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response with Pleo's content type."""
    body = json.dumps(payload).encode()
    return Response(status, body, JSON_CONTENT_TYPE, dict(headers or {}))


def method_not_allowed(method: str, allowed) -> Response:
    """The 405 answer for ``method`` on a path that accepts only ``allowed``."""
    return error_response(
        405,
        "METHOD_NOT_ALLOWED",
        f"{method} is not supported here",
        {"Allow": ", ".join(allowed)},
    )


def error_response(
    status: int,
    code: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return a domain error ``{"type": CODE, "message": text}`` (defaults from the status)."""
    try:
        phrase = HTTPStatus(status)
        default_code, default_message = phrase.name, phrase.phrase
    except ValueError:
        default_code, default_message = f"HTTP_{status}", f"HTTP {status}"
    payload = {"type": code or default_code, "message": message or default_message}
    return json_response(status, payload, headers)
