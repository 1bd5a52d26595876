"""The connection endpoints of Pleo's API over a :class:`~.client.PleoClient` (no Odoo import):
the key's introspection, the integration's installation and the Pleo company.

:class:`ConnectionApi` makes the calls and returns plain data (:class:`Introspection`,
:class:`Installation`, :class:`Company`); every answer's shape is checked
(:class:`~.errors.UnexpectedResponseError` otherwise). :mod:`.checks` says what a good key and a
live installation are; the export and setup calls are in :mod:`.export_api` and :mod:`.setup_api`.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from ._shapes import json_object, shape_error
from .client import Endpoints
from .errors import NotAnApiKeyError, NotFoundError, UnexpectedResponseError

INTROSPECT_PATH = "/v1/introspect"
INSTALLATION_PATH = "/v1/installations/me"
COMPANY_PATH = "/v1/companies/"

_URN = re.compile(r"urn:pleo:([A-Za-z][A-Za-z_-]*):([^:\s]+)")
_KIND_ALIASES = {"organisation": "organization"}


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


def _text(obj, name, where, required=True):
    """Return the string ``obj[name]``; ``None`` if absent and not ``required``."""
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise shape_error(f"{where}{name}", "text")
    return value


def parse_introspection(payload):
    """Return the :class:`Introspection` of a ``GET /v1/introspect`` JSON answer."""
    data = json_object(json_object(payload, "the answer").get("data"), "data")
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
    obj = json_object(payload, "the answer")
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise shape_error("metadata", "an object")
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
    data = json_object(json_object(payload, "the answer").get("data"), "data")
    return Company(
        id=_text(data, "id", "data."),
        name=_text(data, "name", "data."),
        organization_id=_text(data, "organizationId", "data.", required=False),
        registration_number=_text(data, "registrationNumber", "data.", required=False),
    )


def ensure_api_key(introspection):
    """Raise :class:`NotAnApiKeyError` unless Pleo says the credential is an API key."""
    if introspection.auth_method != "API_KEY":
        raise NotAnApiKeyError()


def _without_none(**fields):
    """``fields`` without the ``None`` values (a JSON request body)."""
    return {name: value for name, value in fields.items() if value is not None}


class ConnectionApi(Endpoints):
    """The connection calls, over one :class:`~.client.PleoClient`."""

    def introspect(self):
        """Return what Pleo knows about the key; raise :class:`NotAnApiKeyError` if not a key."""
        introspection = parse_introspection(self._call("GET", INTROSPECT_PATH, "the key check"))
        ensure_api_key(introspection)
        return introspection

    def get_installation(self, company_id=None):
        """Return the key's :class:`Installation`, or ``None`` if Pleo has none."""
        params = {"company_id": company_id} if company_id else None
        try:
            payload = self._call(
                "GET", INSTALLATION_PATH, "reading the installation", params=params
            )
        except NotFoundError:
            return None
        return None if payload in (None, {}, []) else parse_installation(payload)

    def create_installation(self, status="ACTIVATED", metadata=None):
        """Create the key's installation and return it.

        If Pleo answers 409 (one exists already), the existing one is updated to ``status`` and
        ``metadata`` instead.
        """
        try:
            payload = self._call(
                "POST",
                INSTALLATION_PATH,
                "creating the installation",
                json_body=_without_none(status=status, metadata=metadata),
            )
        except UnexpectedResponseError as error:
            if error.status != 409:
                raise
            return self.update_installation(status, metadata=metadata)
        return parse_installation(payload)

    def update_installation(self, status, error_code=None, metadata=None):
        """Set the installation's status (and error code, metadata); return it."""
        body = _without_none(status=status, errorCode=error_code, metadata=metadata)
        return parse_installation(
            self._call("PUT", INSTALLATION_PATH, "updating the installation", json_body=body)
        )

    def delete_installation(self):
        """Delete the installation; return ``False`` if Pleo had none (404)."""
        try:
            self._call("DELETE", INSTALLATION_PATH, "deleting the installation")
        except NotFoundError:
            return False
        return True

    def get_company(self, company_id):
        """Return the Pleo :class:`Company` ``company_id`` (needs the ``companies:read`` scope)."""
        path = COMPANY_PATH + quote(str(company_id), safe="")
        return parse_company(self._call("GET", path, "reading the company details"))
