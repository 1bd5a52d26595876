"""The connector's checks of a key and of its installation, and a pool to run many at once.

One home for what "the key is good" and "the installation is alive" mean: Save & Test, Rotate
Key, the server actions and the health check all call these functions (and every introspection
checks :func:`~.connection_api.ensure_api_key`). Each takes a :class:`~.client.PleoClient`,
calls Pleo through :class:`~.connection_api.ConnectionApi` and returns plain data, or raises a
:class:`~.errors.PleoError`.
Nothing here touches a database; :func:`run_concurrently` runs such functions in a bounded pool
of threads while the caller keeps all database work in its own thread.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .connection_api import Company, ConnectionApi, Installation, Introspection
from .errors import (
    InstallationInactiveError,
    InstallationMissingError,
    MissingScopesError,
    NotFoundError,
    WrongCompanyError,
    WrongSubjectError,
)

ACTIVATED = "ACTIVATED"


@dataclass(frozen=True)
class CheckResult:
    """What a check learnt from Pleo (any part may be ``None`` when it was not asked)."""

    introspection: Introspection | None = None
    installation: Installation | None = None
    company: Company | None = None


def check_scopes(introspection, required):
    """Return the scopes of ``required`` the key lacks, sorted."""
    return sorted(set(required) - introspection.scopes)


def ensure_same_company(company_id, expected_company_id):
    """Raise :class:`WrongCompanyError` if the key's company is not the expected one.

    Nothing is expected (first connection) when ``expected_company_id`` is empty.
    """
    if not expected_company_id:
        return
    if (company_id or "").lower() != expected_company_id.lower():
        raise WrongCompanyError(
            f"This API key belongs to the Pleo company {company_id or '(unknown)'}, but this Odoo "
            f"company is connected to the Pleo company {expected_company_id}. Use a key "
            "generated for the connected Pleo company, or disconnect first to switch companies.",
            company_id=company_id,
            expected_company_id=expected_company_id,
        )


def validate_key(client, required_scopes, expected_company=None):
    """Introspect the key: an API key of one Pleo company, the expected one, with the scopes.

    Raises :class:`~.errors.InvalidKeyError` (401), :class:`~.errors.NotAnApiKeyError`,
    :class:`WrongSubjectError`, :class:`~.errors.WrongCompanyError` or
    :class:`MissingScopesError` (naming the missing scopes).
    """
    introspection = ConnectionApi(client).introspect()
    if introspection.subject_kind != "company" or not introspection.subject_id:
        raise WrongSubjectError(kind=introspection.subject_kind)
    ensure_same_company(introspection.subject_id, expected_company)
    missing = check_scopes(introspection, required_scopes)
    if missing:
        raise MissingScopesError(missing=missing)
    return introspection


def ensure_installation(client, metadata=None):
    """Return the key's installation, creating it or activating it again when needed."""
    api = ConnectionApi(client)
    installation = api.get_installation()
    if installation is None:
        return api.create_installation(status=ACTIVATED, metadata=metadata)
    if installation.status != ACTIVATED:
        return api.update_installation(status=ACTIVATED, metadata=metadata)
    return installation


def fetch_company(client, company_id):
    """The Pleo company, or ``None`` when the key may not read it (that is not an error)."""
    try:
        return ConnectionApi(client).get_company(company_id)
    except (MissingScopesError, NotFoundError):
        return None


def check_health(client, pleo_company_uuid, required_scopes=None):
    """The health check: is the key accepted and its installation alive and ours?

    One call (``GET /v1/installations/me``) in the usual case; when ``required_scopes`` is given
    (a scope check is due) the key is introspected as well.
    """
    installation = ConnectionApi(client).get_installation()
    if installation is None:
        raise InstallationMissingError()
    ensure_same_company(installation.company_id, pleo_company_uuid)
    if installation.status != ACTIVATED:
        raise InstallationInactiveError(
            status=installation.status, error_code=installation.error_code
        )
    introspection = None
    if required_scopes is not None:
        introspection = validate_key(client, required_scopes, pleo_company_uuid)
    return CheckResult(introspection=introspection, installation=installation)


def run_concurrently(function, jobs, workers):
    """Run ``function(job)`` for every job in at most ``workers`` threads.

    Returns ``[(job, result, error)]`` in the order of ``jobs``: ``error`` is the exception the
    call raised (any exception: one job's failure never stops the others), else ``None``.
    """
    jobs = list(jobs)

    def call(job):
        try:
            return job, function(job), None
        except Exception as error:  # reported to the caller, job by job
            return job, None, error

    if len(jobs) <= 1 or workers <= 1:
        return [call(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="pleo") as pool:
        return list(pool.map(call, jobs))
