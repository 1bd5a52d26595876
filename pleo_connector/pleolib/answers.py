"""What Pleo answers, as plain data: the JSON decoder and the parsers of the answers read.

Every parser checks the shape of what it reads and raises :class:`~.errors.UnexpectedResponseError`
(never a ``KeyError`` or ``TypeError``) when Pleo sends something else.
"""

import json
import re
from dataclasses import dataclass

from .errors import UnexpectedResponseError

_URN = re.compile(r"urn:pleo:([A-Za-z][A-Za-z_-]*):([^:\s]+)")
_KIND_ALIASES = {"organisation": "organization"}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def parse_urn(urn):
    """Return ``(kind, id)`` of ``urn:pleo:<kind>:<id>`` (kind lower-cased), or ``(None, None)``."""
    match = _URN.fullmatch(urn) if isinstance(urn, str) else None
    if not match:
        return None, None
    kind = match.group(1).lower()
    return _KIND_ALIASES.get(kind, kind), match.group(2)


@dataclass(frozen=True)
class Introspection:
    """What ``GET /v1/introspect`` says about the key."""

    auth_method: str
    client_id: str
    scopes: frozenset
    application_name: str | None
    subject_urn: str | None
    subject_kind: str | None
    subject_id: str | None

    @property
    def company_id(self):
        """The Pleo company id when the key belongs to a company, else ``None``."""
        return self.subject_id if self.subject_kind == "company" else None


@dataclass(frozen=True)
class Installation:
    """The installation of this integration for the key's company (``/v1/installations/me``)."""

    id: str
    application_id: str | None
    resource: str
    status: str
    metadata: dict
    error_code: str | None
    created_at: str | None
    updated_at: str | None

    @property
    def company_id(self):
        """The Pleo company id from ``resource`` (``urn:pleo:company:<id>``), else ``None``."""
        kind, subject_id = parse_urn(self.resource)
        return subject_id if kind == "company" else None


@dataclass(frozen=True)
class Company:
    """A Pleo company (``GET /v1/companies/{id}``)."""

    id: str
    name: str
    organization_id: str | None
    registration_number: str | None


def _shape_error(where, expected):
    """Return the error for a JSON answer lacking ``where`` of type ``expected``."""
    return UnexpectedResponseError(
        f"Pleo's answer did not have the expected shape ({where} is missing or not {expected}). "
        "The Pleo API may have changed; try again later or contact support."
    )


def _object(value, where):
    """Return ``value`` if it is a JSON object, else raise a shape error."""
    if not isinstance(value, dict):
        raise _shape_error(where, "an object")
    return value


def _text(obj, name, where, required=True):
    """Return the string ``obj[name]``; ``None`` if absent and not ``required``."""
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _shape_error(f"{where}{name}", "text")
    return value


def parse_introspection(payload):
    """Return the :class:`Introspection` of a ``GET /v1/introspect`` JSON answer."""
    data = _object(_object(payload, "the answer").get("data"), "data")
    urn = _text(data, "subjectURN", "data.", required=False)
    kind, subject_id = parse_urn(urn)
    return Introspection(
        auth_method=_text(data, "authMethod", "data."),
        client_id=_text(data, "clientId", "data."),
        scopes=frozenset(_text(data, "scope", "data.").split()),
        application_name=_text(data, "applicationName", "data.", required=False),
        subject_urn=urn,
        subject_kind=kind,
        subject_id=subject_id,
    )


def parse_installation(payload):
    """Return the :class:`Installation` of an ``InstallationResponse`` (a bare JSON object)."""
    obj = _object(payload, "the answer")
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise _shape_error("metadata", "an object")
    return Installation(
        id=_text(obj, "id", ""),
        application_id=_text(obj, "applicationId", "", required=False),
        resource=_text(obj, "resource", ""),
        status=_text(obj, "status", ""),
        metadata=metadata or {},
        error_code=_text(obj, "errorCode", "", required=False),
        created_at=_text(obj, "createdAt", "", required=False),
        updated_at=_text(obj, "updatedAt", "", required=False),
    )


def parse_company(payload):
    """Return the :class:`Company` of a ``GET /v1/companies/{id}`` JSON answer."""
    data = _object(_object(payload, "the answer").get("data"), "data")
    return Company(
        id=_text(data, "id", "data."),
        name=_text(data, "name", "data."),
        organization_id=_text(data, "organizationId", "data.", required=False),
        registration_number=_text(data, "registrationNumber", "data.", required=False),
    )


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
        return storable(json.loads(text))
    except json.JSONDecodeError as error:
        ended_early = error.pos >= len(error.doc.rstrip())
        truncated = ended_early or error.msg.startswith("Unterminated string")
    except (ValueError, RecursionError):
        truncated = False
    if truncated:
        raise UnexpectedResponseError("Pleo's answer was cut off (incomplete JSON). Try again.")
    raise UnexpectedResponseError("Pleo's answer could not be read (not JSON).")
