"""The sandbox's state and every operation on it, behind one lock.

:class:`SandboxState` is the Python API of the sandbox (``PleoSandbox`` adds the servers). The
Pleo endpoints (``pleo_api.py``) and the control API (``control_api.py``) use the same methods.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging
import secrets
import threading
import time
import uuid
from base64 import b64decode
from collections.abc import Iterable
from dataclasses import dataclass

from .export_state import ExportState
from .models import (
    ADDRESS_FIELDS,
    AUTH_METHODS,
    DEFAULT_SCOPES,
    ENVIRONMENTS,
    FAULT_DEFAULT_STATUS,
    FAULT_KINDS,
    INSTALLATION_ERROR_CODES,
    INSTALLATION_STATUSES,
    SUBJECT_KINDS,
    ApiKey,
    Behaviour,
    Company,
    Fault,
    Installation,
    RecordedRequest,
    SandboxError,
    UnknownEntityError,
    application_ids,
    check_key_value,
    company_urn,
    is_uuid,
    key_prefix,
    now_utc,
)
from .setup_state import SetupState
from .webhook_sender import WebhookSender
from .webhook_state import WebhookState

_logger = logging.getLogger("pleo_sandbox")

DEMO_COMPANY_NAME = "Demo Pleo Company ApS"
#: The demo company's id and organisation: the same at every start of the sandbox, so that an
#: Odoo company connected to it stays connected to the same Pleo company after a restart.
DEMO_COMPANY_ID = "8a1c5e0d-3c2b-4f6a-9e71-d2b0c4a5f001"
DEMO_ORGANIZATION_ID = "8a1c5e0d-3c2b-4f6a-9e71-d2b0c4a5f000"
_RATE_WINDOW = 60.0  # seconds: the rate limit is per minute


@dataclass(frozen=True)
class AuthResult:
    """Outcome of checking a request's credentials: the key (a copy) or why it was refused."""

    key: ApiKey | None
    reason: str = ""


def _scopes_tuple(scopes: str | Iterable[str] | None) -> tuple[str, ...]:
    """Normalise scopes given as None (defaults), a space-separated string or an iterable."""
    if scopes is None:
        return DEFAULT_SCOPES
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    for scope in items:
        if not isinstance(scope, str) or not scope or scope != scope.strip() or " " in scope:
            raise SandboxError(f"invalid scope {scope!r}")
    return tuple(dict.fromkeys(items))


def _check_choice(name: str, value: object, choices: tuple) -> None:
    if value not in choices:
        raise SandboxError(f"{name} must be one of {choices}, not {value!r}")


class SandboxState(ExportState, SetupState, WebhookState):
    """Companies, keys, installations, faults, behaviours and recorded requests (thread-safe).

    Export jobs, the clock and the file host come from :class:`ExportState`; accounts, tax
    codes, tags and vendors from :class:`SetupState`; webhook subscriptions and events from
    :class:`WebhookState` (delivered by :attr:`webhook_sender`).
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._init_exports()
        self.webhook_sender = WebhookSender(lambda: self.behaviour)
        self.reset()

    # ------------------------------------------------------------------ whole state
    def reset(self) -> None:
        """Forget everything: companies, keys, installations, faults, requests, behaviours,
        export jobs, files; the clock is real time again."""
        with self._lock:
            self._companies: dict[str, Company] = {}
            self._keys: dict[str, ApiKey] = {}
            self._installations: dict[tuple[str, str, str], Installation] = {}
            self._faults: list[Fault] = []
            self._requests: list[RecordedRequest] = []
            self._rate_windows: dict[str, collections.deque] = {}
            self._latency = 0.0
            self.behaviour = Behaviour()
            self._reset_exports()
            self._reset_setup()
            self._reset_webhooks()

    def snapshot(self) -> dict:
        """Describe the whole state as JSON-ready data; keys appear by prefix only."""
        with self._lock:
            return {
                "companies": [c.to_api() for c in self._companies.values()],
                "keys": [k.summary() for k in self._keys.values()],
                "installations": [
                    {"environment": env, "application_name": app, **inst.to_api()}
                    for (env, app, _), inst in self._installations.items()
                ],
                "faults": [f.to_dict() for f in self._faults],
                "behaviour": dataclasses.asdict(self.behaviour),
                "latency": self._latency,
                "request_count": len(self._requests),
                "export_jobs": self._export_snapshot(),
                "file_request_count": len(self.file_host.requests),
                "setup": self._setup_snapshot(),
                "webhooks": self._webhook_snapshot(),
            }

    def seed_demo(self, key: str | None = None) -> tuple[str, str]:
        """Add the demo company (id :data:`DEMO_COMPANY_ID`) and a production key with
        DEFAULT_SCOPES; return (company, key)."""
        company_id = self.add_company(
            DEMO_COMPANY_NAME,
            DEMO_COMPANY_ID,
            DEMO_ORGANIZATION_ID,
            registration_number="DK12345674",  # a valid Danish VAT number (mod 11)
            address={
                "addressLine1": "Ravnsborg Tværgade 5C",
                "locality": "København N",
                "postalCode": "2200",
                "country": "DK",
            },
        )
        return company_id, self.mint_key(company_id, key=key)

    # ------------------------------------------------------------------ companies
    def add_company(
        self,
        name: str,
        company_id: str | None = None,
        organization_id: str | None = None,
        *,
        registration_number: str | None = None,
        address: dict[str, str] | None = None,
    ) -> str:
        """Add a company (its organisation gets a fresh id unless given) and return its id."""
        if not isinstance(name, str) or not name.strip():
            raise SandboxError("a company needs a name")
        for label, value in (("company_id", company_id), ("organization_id", organization_id)):
            if value is not None and not is_uuid(value):
                raise SandboxError(f"{label} must be a UUID")
        if registration_number is not None and not isinstance(registration_number, str):
            raise SandboxError("registration_number must be a string")
        address = dict(address or {})
        for field_name, value in address.items():
            if field_name not in ADDRESS_FIELDS or not isinstance(value, str):
                raise SandboxError(f"address fields are strings among {ADDRESS_FIELDS}")
        company = Company(
            id=str(uuid.UUID(company_id)) if company_id else str(uuid.uuid4()),
            name=name,
            organization_id=str(uuid.UUID(organization_id))
            if organization_id
            else str(uuid.uuid4()),
            registration_number=registration_number,
            address=address,
        )
        with self._lock:
            if company.id in self._companies:
                raise SandboxError("a company with this id exists already")
            self._companies[company.id] = company
        return company.id

    def visible_companies(self, key: ApiKey) -> list[dict]:
        """Return the companies ``key`` may read, sorted by name then id."""
        with self._lock:
            companies = [c for c in self._companies.values() if key.can_see(c)]
        return [c.to_api() for c in sorted(companies, key=lambda c: (c.name, c.id))]

    def company_as_seen_by(self, key: ApiKey, company_id: str) -> tuple[dict | None, bool]:
        """Return (the company or None if unknown, whether ``key`` may read it)."""
        with self._lock:
            company = self._companies.get(company_id)
            return (company.to_api(), key.can_see(company)) if company else (None, False)

    def organization_of(self, key: ApiKey) -> str:
        """Return the organisation id ``key`` belongs to."""
        if key.subject_kind == "organization":
            return key.subject_id
        with self._lock:
            return self._companies[key.company_id].organization_id

    # ------------------------------------------------------------------ keys
    def mint_key(
        self,
        company_id: str | None = None,
        environment: str = "production",
        scopes: str | Iterable[str] | None = None,
        application_name: str = "Odoo",
        auth_method: str = "API_KEY",
        subject_kind: str = "company",
        expires_at: dt.datetime | None = None,
        *,
        key: str | None = None,
    ) -> str:
        """Create a key (and a company when ``company_id`` is None) and return its value.

        ``scopes`` None means DEFAULT_SCOPES; ``subject_kind="organization"`` binds the key to the
        company's organisation; ``key`` chooses the value (default: a random one).
        """
        _check_choice("environment", environment, ENVIRONMENTS)
        _check_choice("auth_method", auth_method, AUTH_METHODS)
        _check_choice("subject_kind", subject_kind, SUBJECT_KINDS)
        if not isinstance(application_name, str) or not application_name:
            raise SandboxError("application_name must be a non-empty string")
        if expires_at is not None and not isinstance(expires_at, dt.datetime):
            raise SandboxError("expires_at must be a datetime")
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.timezone.utc)
        value = check_key_value(key) if key is not None else secrets.token_urlsafe(32)
        scope_tuple = _scopes_tuple(scopes)
        if company_id is None:
            company_id = self.add_company(f"Sandbox Company {uuid.uuid4().hex[:6]}")
        with self._lock:
            company = self._companies.get(company_id)
            if company is None:
                raise UnknownEntityError("unknown company")
            if value in self._keys:
                raise SandboxError("this key value is taken")
            subject_id = company.id if subject_kind == "company" else company.organization_id
            self._keys[value] = ApiKey(
                value=value,
                environment=environment,
                subject_kind=subject_kind,
                subject_id=subject_id,
                company_id=company.id,
                application_name=application_name,
                auth_method=auth_method,
                scopes=scope_tuple,
                expires_at=expires_at,
            )
        _logger.info(
            "minted %s key %s for urn:pleo:%s:%s",
            environment,
            key_prefix(value),
            subject_kind,
            subject_id,
        )
        return value

    def _key(self, value: str) -> ApiKey:
        """Return the stored key (call with the lock held)."""
        stored = self._keys.get(value) if isinstance(value, str) else None
        if stored is None:
            raise UnknownEntityError("unknown key")
        return stored

    def key_info(self, key: str) -> dict:
        """Describe a key without its value (prefix, environment, subject, scopes...)."""
        with self._lock:
            return self._key(key).summary()

    def revoke_key(self, key: str) -> None:
        """Revoke a key: from now on it gets 401."""
        with self._lock:
            self._key(key).revoked = True
        _logger.info("revoked key %s", key_prefix(key))

    def set_scopes(self, key: str, scopes: str | Iterable[str]) -> None:
        """Replace the scopes of a key."""
        scope_tuple = _scopes_tuple(scopes)
        with self._lock:
            self._key(key).scopes = scope_tuple

    def expire_key(self, key: str) -> None:
        """Make a key expired (it expired a second ago): from now on it gets 401."""
        with self._lock:
            self._key(key).expires_at = now_utc() - dt.timedelta(seconds=1)

    def authenticate(self, authorization: str | None, environment: str) -> AuthResult:
        """Check an ``Authorization`` header the way Pleo does: Basic, key as user, no password."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if not authorization:
            return AuthResult(None, "missing credentials")
        if scheme.lower() != "basic":
            return AuthResult(None, "credentials must use HTTP Basic authentication")
        try:
            username, colon, password = (
                b64decode(encoded.strip(), validate=True).decode().partition(":")
            )
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return AuthResult(None, "malformed Basic credentials")
        if not colon or password:
            return AuthResult(None, "use the API key as username and an empty password")
        with self._lock:
            stored = self._keys.get(username)
            if stored is None:
                return AuthResult(None, "unknown API key")
            if stored.revoked:
                return AuthResult(None, "API key revoked")
            if stored.expires_at is not None and stored.expires_at <= now_utc():
                return AuthResult(None, "API key expired")
            if stored.environment != environment:
                return AuthResult(None, "API key belongs to another environment")
            return AuthResult(dataclasses.replace(stored))

    def rate_limited(self, key: ApiKey) -> float | None:
        """Count a request against ``key``'s budget per minute; return seconds to wait if over."""
        limit = self.behaviour.rate_limit_per_minute
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._rate_windows.setdefault(key.value, collections.deque())
            while window and window[0] <= now - _RATE_WINDOW:
                window.popleft()
            if len(window) >= limit:
                return _RATE_WINDOW - (now - window[0])
            window.append(now)
        return None

    # ------------------------------------------------------------------ installations
    @staticmethod
    def _installation_key(key: ApiKey, resource: str | None = None) -> tuple[str, str, str]:
        return (key.environment, key.application_name, resource or key.subject_urn)

    def installation_for(self, key: str) -> dict | None:
        """Return the installation of ``key``'s application and subject, or None."""
        with self._lock:
            inst = self._installations.get(self._installation_key(self._key(key)))
            return inst.to_api() if inst else None

    def delete_installation_for(self, key: str) -> bool:
        """Delete (as Pleo's UI would) the installation of ``key``; return whether one existed."""
        with self._lock:
            return self._installations.pop(self._installation_key(self._key(key)), None) is not None

    def set_installation_status(self, key: str, status: str, error_code: str | None = None) -> dict:
        """Set the status (and error code) of ``key``'s installation, creating it if missing."""
        _check_choice("status", status, INSTALLATION_STATUSES)
        if error_code is not None:
            _check_choice("error_code", error_code, INSTALLATION_ERROR_CODES)
        with self._lock:
            stored = self._key(key)
            inst = self._installations.get(self._installation_key(stored))
            if inst is None:
                inst = self._new_installation(stored, status, {}, error_code)
            else:
                inst.status, inst.error_code, inst.updated_at = status, error_code, now_utc()
            return inst.to_api()

    def _new_installation(
        self, key: ApiKey, status: str, metadata: dict, error_code: str | None = None
    ) -> Installation:
        """Create and store an installation for ``key`` (call with the lock held)."""
        moment = now_utc()
        inst = Installation(
            id=str(uuid.uuid4()),
            application_id=application_ids(key.application_name)[0],
            resource=key.subject_urn,
            status=status,
            metadata=metadata,
            error_code=error_code,
            created_at=moment,
            updated_at=moment,
        )
        self._installations[self._installation_key(key)] = inst
        return inst

    def find_installation(self, key: ApiKey, company_id: str | None = None) -> dict | None:
        """Return the installation ``GET /v1/installations/me`` sees, or None.

        With ``company_id`` (a company the key covers) an installation for that company wins over
        the key's own; for a company the key does not cover there is none.
        """
        with self._lock:
            if company_id is None:
                inst = self._installations.get(self._installation_key(key))
                return inst.to_api() if inst else None
            company = self._companies.get(company_id)
            if company is None or not key.can_see(company):
                return None
            for resource in (company_urn(company.id), key.subject_urn):
                inst = self._installations.get(self._installation_key(key, resource))
                if inst:
                    return inst.to_api()
            return None

    def create_installation(self, key: ApiKey, status: str, metadata: dict) -> tuple[dict, bool]:
        """Create ``key``'s installation unless one exists; return (installation, created)."""
        with self._lock:
            existing = self._installations.get(self._installation_key(key))
            if existing is not None:
                return existing.to_api(), False
            return self._new_installation(key, status, metadata).to_api(), True

    def update_installation(
        self, key: ApiKey, status: str, error_code: str | None, metadata: dict | None
    ) -> dict | None:
        """Apply a PUT: new status and error code, metadata replaced when given; None if absent."""
        with self._lock:
            inst = self._installations.get(self._installation_key(key))
            if inst is None:
                return None
            inst.status, inst.error_code, inst.updated_at = status, error_code, now_utc()
            if metadata is not None:
                inst.metadata = metadata
            return inst.to_api()

    def activate_installation(self, key: ApiKey) -> dict | None:
        """Set ``key``'s installation to ACTIVATED (clearing any error code); None if absent."""
        return self.update_installation(key, "ACTIVATED", None, None)

    def delete_installation(self, key: ApiKey) -> bool:
        """Apply a DELETE; with ``behaviour.delete_revokes_key`` also revoke the subject's keys."""
        with self._lock:
            if self._installations.pop(self._installation_key(key), None) is None:
                return False
            if self.behaviour.delete_revokes_key:
                for stored in self._keys.values():
                    if self._installation_key(stored) == self._installation_key(key):
                        stored.revoked = True
            return True

    # ------------------------------------------------------------------ faults and latency
    def inject_fault(
        self,
        path: str,
        method: str | None = None,
        kind: str = "status",
        status: int | None = None,
        retry_after: float | None = None,
        latency: float = 0.0,
        times: int | None = None,
    ) -> None:
        """Make requests to ``path`` (``fnmatch`` pattern, e.g. ``/v1/*``) misbehave.

        ``status`` applies to kinds status (default 500), garbage (200), html (502) and redirect
        (302); ``retry_after`` to status and rate_limit; ``latency`` delays any kind (``slow``
        requires it); ``times`` makes the fault fire that many times and then disappear.
        """
        _check_choice("kind", kind, FAULT_KINDS)
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("/_sandbox"):
            raise SandboxError("a fault path is a Pleo path pattern such as /v1/introspect")
        if method is not None and not (isinstance(method, str) and method.isalpha()):
            raise SandboxError("method must be an HTTP method name or None")
        if status is not None:
            if kind not in FAULT_DEFAULT_STATUS:
                raise SandboxError(f"status does not apply to {kind} faults")
            low, high = {"status": (400, 599), "redirect": (300, 399)}.get(kind, (200, 599))
            if isinstance(status, bool) or not isinstance(status, int) or not low <= status <= high:
                raise SandboxError(f"a {kind} fault's status must be within {low}-{high}")
        if retry_after is not None and (
            kind not in ("status", "rate_limit") or not _non_negative(retry_after)
        ):
            raise SandboxError("retry_after is a number >= 0 for status and rate_limit faults")
        if not _non_negative(latency) or (kind == "slow" and not latency):
            raise SandboxError("latency is a number of seconds >= 0 (> 0 for slow faults)")
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise SandboxError("times must be a positive integer or None")
        fault = Fault(
            path=path,
            method=method.upper() if method else None,
            kind=kind,
            status=status if status is not None else FAULT_DEFAULT_STATUS.get(kind),
            retry_after=retry_after,
            latency=float(latency),
            times=times,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Return (a copy of) the first fault matching a request, counting down its ``times``."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return dataclasses.replace(fault)
        return None

    def set_latency(self, seconds: float) -> None:
        """Delay every answer on a Pleo path by ``seconds``."""
        if not _non_negative(seconds):
            raise SandboxError("latency is a number of seconds >= 0")
        with self._lock:
            self._latency = float(seconds)

    @property
    def latency(self) -> float:
        """The global added latency in seconds."""
        return self._latency

    # ------------------------------------------------------------------ recorded requests
    def record(self, request: RecordedRequest) -> RecordedRequest:
        """Remember a request received on a Pleo path; return the entry for :meth:`answered`."""
        with self._lock:
            self._requests.append(request)
        return request

    def answered(self, request: RecordedRequest, status: int) -> None:
        """Note the status a recorded request was answered with."""
        with self._lock:
            request.status = status

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received on Pleo paths, oldest first (copies)."""
        with self._lock:
            return [dataclasses.replace(r, query=dict(r.query)) for r in self._requests]

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Count the recorded requests, optionally only those with this method and/or path."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or r.path == path)
        )


def _non_negative(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
