"""Every answer the Pleo sandbox gives on a Pleo endpoint agrees with Pleo's OpenAPI specs.

The specs are Pleo's files vendored verbatim in ``tests/sandbox/pleo-openapi/`` (Apache 2.0; where
they come from and how to refresh them: its README.md), so these tests run in any clone and never
skip. openapi-core 0.23 reads ``app-marketplace.yml`` (OpenAPI 3.0.1), ``companies.yml`` (3.2.0)
and ``pleo-export-openapi.yml`` (3.0.1, the Export API: the sandbox serves its v3 paths), so every
answer is checked by ``OpenAPI.validate_response``; no fallback to bare component schemas is needed.

One defect of the export spec is repaired in memory: its date-time fields carry
``pattern: YYYY-MM-DDTHH:mi:ssZ`` (and ``YYYY-MM-DD``, ``yyyy-MM-dd'T'HH:mm:ss'Z'``), a format
description written where JSON Schema expects a regular expression, which no real date matches;
those patterns are dropped (``format: date-time`` stays and is checked).

Where the spec documents a status without a body, or Pleo's docs name a status the spec omits
(401, 403, 429), or the sandbox makes a documented choice for an [unknown] behaviour, the test
checks the status is allowed for that endpoint and the body is a domain error
``{"type": CODE, "message": text}`` (validated with openapi-schema-validator).
"""

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator
from pleo_sandbox import DEFAULT_SCOPES
from pleo_sandbox.pleo_api import ENDPOINTS

SPEC_DIR = Path(__file__).resolve().parent / "pleo-openapi"  # vendored: see its README.md
SPEC_FILES = (
    "app-marketplace.yml",
    "companies.yml",
    "pleo-export-openapi.yml",
    "pleo-chart-of-accounts-openapi.yml",
    "pleo-tax-code-openapi.yml",
    "pleo-tags-openapi.yml",
    "pleo-vendors-openapi.yml",
    "pleo-webhook-subscriptions-openapi.yml",
)

JSON_TYPE = "application/json;charset=UTF-8"
DOMAIN_ERROR_SCHEMA = {
    "type": "object",
    "required": ["type", "message"],
    "additionalProperties": False,
    "properties": {
        "type": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
        "message": {"type": "string", "minLength": 1},
    },
}
#: Statuses Pleo's docs name for every endpoint: bad key, missing scope, rate limit.
DOCS_STATUSES = {401, 403, 429}
#: Statuses the sandbox produces that neither spec nor docs list, with the reason.
SANDBOX_CHOICES = {
    ("GET", "/v1/installations/me"): {
        404: "[unknown] no installation: default of behaviour.missing_installation",
        204: "[unknown] no installation: behaviour.missing_installation='empty'",
    },
    ("POST", "/v1/installations/me"): {
        409: "[unknown] installation exists: behaviour.duplicate_installation='409'",
    },
    ("PUT", "/v1/installations/me"): {404: "no installation to update (as DELETE's 404)"},
    ("POST", "/v1/installations/me:activate"): {404: "no installation to activate"},
    ("GET", "/v1/companies"): {
        400: "malformed parameter (the installations API documents 400)",
        500: "injected infrastructure failure (the other endpoints document 500)",
    },
    ("GET", "/v1/companies/{companyId}"): {
        500: "injected infrastructure failure (the other endpoints document 500)",
    },
}
JOBS = "/v3/export-jobs"
JOB = "/v3/export-jobs/{jobId}"
EVENTS = "/v3/export-job-events"
JOB_ITEMS = "/v3/export-jobs/{jobId}/items"
ITEMS = "/v3/export-items"
_INJECTED_500 = "injected infrastructure failure (no export endpoint documents 500)"
_BAD_INPUT = "malformed parameter or body (other endpoints of Pleo document 400)"
_UNKNOWN_JOB = "unknown job, or another company's (as GET /v3/export-jobs/{jobId}'s 404)"
SANDBOX_CHOICES.update(
    {
        ("GET", JOBS): {400: _BAD_INPUT, 500: _INJECTED_500},
        ("POST", JOBS): {500: _INJECTED_500},
        ("GET", JOB): {500: _INJECTED_500},
        ("POST", EVENTS): {400: _BAD_INPUT, 404: _UNKNOWN_JOB, 500: _INJECTED_500},
        ("GET", JOB_ITEMS): {400: _BAD_INPUT, 500: _INJECTED_500},
        ("PUT", JOB_ITEMS): {400: _BAD_INPUT, 500: _INJECTED_500},
        ("GET", ITEMS): {404: _UNKNOWN_JOB, 500: _INJECTED_500},
    }
)
#: Spec operations the sandbox does not serve, with the reason.
NOT_SERVED = {
    ("PUT", "/v1/installations/completions"): "deprecated, the connector never calls it",
    ("GET", "/v3/export-job-items"): "x-exclude: internal, not for integrations",
    ("POST", "/v3/export-job-items:search"): "deprecated workaround, not for external consumers",
}


@dataclass
class Case:
    """One request and the status the sandbox must answer it with.

    ``path`` may name ``{own}`` (the key's company), ``{other}`` (a company of another
    organisation) or ``{unknown}`` (no company); ``setup`` items run before the request.
    """

    id: str
    method: str
    template: str
    status: int
    path: str | None = None
    params: dict = field(default_factory=dict)
    body: bytes | str | None = None  # a str may hold {job}, {own}, {entry}... placeholders
    auth: str = "valid"  # valid | none | no_scope | no_export
    setup: tuple = ()


def installed(sandbox, ctx):
    sandbox.set_installation_status(ctx["key"], "ERROR", "NOT_ENTITLED")


def behaviour(**switches):
    def apply(sandbox, ctx):
        for name, value in switches.items():
            setattr(sandbox.behaviour, name, value)

    return apply


def fault(**kwargs):
    def apply(sandbox, ctx):
        sandbox.inject_fault(ctx["path"], **kwargs)

    return apply


def budget_spent(sandbox, ctx):
    """Turn on the built-in rate limiter and use up the key's budget."""
    sandbox.behaviour.rate_limit_per_minute = 1
    call(sandbox, "GET", "/v1/introspect", ctx["key"])


def _common(method, template, ok_status, path=None, body=None, server_error=500):
    """Cases every endpoint shares: 401, both kinds of 429, an injected 5xx."""
    base = {"path": path, "body": body}
    return [
        Case(f"{method} {template} 401", method, template, 401, auth="none", **base),
        Case(
            f"{method} {template} 429 limiter", method, template, 429, setup=(budget_spent,), **base
        ),
        Case(
            f"{method} {template} 429 no retry-after",
            method,
            template,
            429,
            setup=(budget_spent, behaviour(retry_after_on_429=False)),
            **base,
        ),
        Case(
            f"{method} {template} 429 fault",
            method,
            template,
            429,
            setup=(fault(kind="rate_limit", retry_after=1),),
            **base,
        ),
        Case(
            f"{method} {template} {server_error} fault",
            method,
            template,
            server_error,
            setup=(fault(status=server_error),),
            **base,
        ),
    ]


INSTALL = "/v1/installations/me"
ACTIVATE = "/v1/installations/me:activate"
COMPANY = "/v1/companies/{companyId}"
COMPANIES = "/v1/companies"
CASES = [
    Case("introspect 200", "GET", "/v1/introspect", 200),
    *_common("GET", "/v1/introspect", 200),
    # GET installation
    Case("get installation 200", "GET", INSTALL, 200, setup=(installed,)),
    Case(
        "get installation 200 company_id",
        "GET",
        INSTALL,
        200,
        params={"company_id": "{own}"},
        setup=(installed,),
    ),
    Case("get installation 400", "GET", INSTALL, 400, params={"company_id": "x"}),
    Case("get installation 404", "GET", INSTALL, 404),
    Case(
        "get installation 204 empty",
        "GET",
        INSTALL,
        204,
        setup=(behaviour(missing_installation="empty"),),
    ),
    *_common("GET", INSTALL, 200),
    # POST installation
    Case(
        "post installation 200 new",
        "POST",
        INSTALL,
        200,
        body=b'{"status": "ACTIVATED", "metadata": {"odoo": {"db": "x"}}}',
    ),
    Case("post installation 200 existing", "POST", INSTALL, 200, body=b"{}", setup=(installed,)),
    Case("post installation 400", "POST", INSTALL, 400, body=b'{"metadata": {"a": "b"}}'),
    Case(
        "post installation 409",
        "POST",
        INSTALL,
        409,
        body=b"{}",
        setup=(installed, behaviour(duplicate_installation="409")),
    ),
    *_common("POST", INSTALL, 200, body=b"{}"),
    # PUT installation
    Case(
        "put installation 200",
        "PUT",
        INSTALL,
        200,
        body=b'{"status": "ERROR", "errorCode": "AUTH_ERROR"}',
        setup=(installed,),
    ),
    Case("put installation 400", "PUT", INSTALL, 400, body=b"{}", setup=(installed,)),
    Case("put installation 404", "PUT", INSTALL, 404, body=b'{"status": "INACTIVE"}'),
    *_common("PUT", INSTALL, 200, body=b'{"status": "INACTIVE"}'),
    # DELETE installation
    Case("delete installation 204", "DELETE", INSTALL, 204, setup=(installed,)),
    Case("delete installation 404", "DELETE", INSTALL, 404),
    *_common("DELETE", INSTALL, 204, server_error=502),
    # activate
    Case("activate 200", "POST", ACTIVATE, 200, setup=(installed,)),
    Case("activate 404", "POST", ACTIVATE, 404),
    *_common("POST", ACTIVATE, 200),
    # one company
    Case("company 200", "GET", COMPANY, 200, path="/v1/companies/{own}"),
    Case("company 403 scope", "GET", COMPANY, 403, path="/v1/companies/{own}", auth="no_scope"),
    Case("company 403 other", "GET", COMPANY, 403, path="/v1/companies/{other}"),
    Case("company 404", "GET", COMPANY, 404, path="/v1/companies/{unknown}"),
    *_common("GET", COMPANY, 200, path="/v1/companies/{own}"),
    # company search
    Case("companies 200", "GET", COMPANIES, 200, params={"limit": "1"}),
    Case("companies 200 filter", "GET", COMPANIES, 200, params={"organization_id": "{org}"}),
    Case("companies 200 after", "GET", COMPANIES, 200, params={"after": "GA======"}),
    Case("companies 200 before", "GET", COMPANIES, 200, params={"before": "GE======"}),
    Case("companies 400", "GET", COMPANIES, 400, params={"limit": "x"}),
    Case("companies 403 scope", "GET", COMPANIES, 403, auth="no_scope"),
    Case("companies 403 other org", "GET", COMPANIES, 403, params={"organization_id": "{unknown}"}),
    *_common("GET", COMPANIES, 200),
]


# ---------------------------------------------------------------------- Export API v3
def job(status="pending", **options):
    """Setup: the job ``ctx['job']`` of the key's company, holding the entry ``ctx['entry']``."""

    def apply(sandbox, ctx):
        sandbox.add_export_job(
            ctx["own"], n=1, entry_ids=[ctx["entry"]], job_id=ctx["job"], status=status, **options
        )

    return apply


def other_job(sandbox, ctx):
    sandbox.add_export_job(ctx["other"], n=1, job_id=ctx["job"])


def started(sandbox, ctx):
    job("in_progress")(sandbox, ctx)


def missing_contra(sandbox, ctx):
    sandbox.set_missing_contra_accounts(ctx["own"])


def many_jobs(sandbox, ctx):
    for _ in range(3):
        sandbox.add_export_job(ctx["own"], n=1, status="completed")


EVENT = '{"jobId": "{job}", "event": "started"}'
NEW_JOB = '{"companyId": "{own}", "accountingEntryIds": ["{entry}"], "isInteractive": false}'
UPDATE = (
    '[{"accountingEntryId": "{entry}", "status": "successful", "externalId": "INV/1",'
    ' "externalUrl": "https://odoo.example/x", "exportedAt": "2025-01-31T10:00:00Z"},'
    ' {"accountingEntryId": "{unknown}", "status": "failed", "failureReason": "No account",'
    ' "failureReasonType": "account_unknown"}]'
)
TOO_MANY = "[" + ", ".join(['{"accountingEntryId": "{entry}", "status": "successful"}'] * 101) + "]"
JOB_PATH = "/v3/export-jobs/{job}"
JOB_ITEMS_PATH = "/v3/export-jobs/{job}/items"
EXPORT_CASES = [
    # list jobs
    Case("jobs 200", "GET", JOBS, 200, params={"company_id": "{own}"}, setup=(job(),)),
    Case(
        "jobs 200 statuses exploded",
        "GET",
        JOBS,
        200,
        params={"company_id": "{own}", "statuses": ["pending", "in_progress"]},
        setup=(job(), many_jobs),
    ),
    Case("jobs 200 statuses comma", "GET", JOBS, 200, params={"statuses": "completed,failed"}),
    Case(
        "jobs 200 after",
        "GET",
        JOBS,
        200,
        params={"limit": "1", "after": "GA======"},
        setup=(many_jobs,),
    ),
    Case("jobs 200 before", "GET", JOBS, 200, params={"before": "GI======"}, setup=(many_jobs,)),
    Case("jobs 200 offset", "GET", JOBS, 200, params={"offset": "1"}, setup=(many_jobs,)),
    Case("jobs 400 status", "GET", JOBS, 400, params={"statuses": "done"}),
    Case("jobs 403 scope", "GET", JOBS, 403, auth="no_export"),
    Case("jobs 403 other company", "GET", JOBS, 403, params={"company_id": "{other}"}),
    *_common("GET", JOBS, 200),
    # create a job
    Case("create job 201", "POST", JOBS, 201, body=NEW_JOB),
    Case("create job 400 contra", "POST", JOBS, 400, body=NEW_JOB, setup=(missing_contra,)),
    Case("create job 400 body", "POST", JOBS, 400, body='{"companyId": "{own}"}'),
    Case("create job 409", "POST", JOBS, 409, body=NEW_JOB, setup=(started,)),
    Case("create job 403 scope", "POST", JOBS, 403, body=NEW_JOB, auth="no_export"),
    *_common("POST", JOBS, 201, body=NEW_JOB),
    # one job
    Case("job 200", "GET", JOB, 200, path=JOB_PATH, setup=(job(),)),
    Case(
        "job 200 failed",
        "GET",
        JOB,
        200,
        path=JOB_PATH,
        setup=(job(), lambda sandbox, ctx: sandbox.expire_job(ctx["job"])),
    ),
    Case("job 404", "GET", JOB, 404, path=JOB_PATH),
    Case("job 404 other company", "GET", JOB, 404, path=JOB_PATH, setup=(other_job,)),
    Case("job 403 scope", "GET", JOB, 403, path=JOB_PATH, setup=(job(),), auth="no_export"),
    *_common("GET", JOB, 200, path=JOB_PATH),
    # events
    Case("event 202", "POST", EVENTS, 202, body=EVENT, setup=(job(),)),
    Case(
        "event 202 second started accepted",
        "POST",
        EVENTS,
        202,
        body=EVENT,
        setup=(started, behaviour(second_started="accept")),
    ),
    Case("event 422", "POST", EVENTS, 422, body=EVENT, setup=(started,)),
    Case("event 400", "POST", EVENTS, 400, body='{"exportJobId": "{job}", "event": "started"}'),
    Case("event 404", "POST", EVENTS, 404, body=EVENT),
    Case("event 403 scope", "POST", EVENTS, 403, body=EVENT, setup=(job(),), auth="no_export"),
    *_common("POST", EVENTS, 202, body=EVENT),
    # control list
    Case("job items 200", "GET", JOB_ITEMS, 200, path=JOB_ITEMS_PATH, setup=(job("completed"),)),
    Case(
        "job items 200 status",
        "GET",
        JOB_ITEMS,
        200,
        path=JOB_ITEMS_PATH,
        params={"status": "pending", "limit": "1"},
        setup=(job(),),
    ),
    Case(
        "job items 400",
        "GET",
        JOB_ITEMS,
        400,
        path=JOB_ITEMS_PATH,
        params={"status": "done"},
        setup=(job(),),
    ),
    Case("job items 404", "GET", JOB_ITEMS, 404, path=JOB_ITEMS_PATH),
    Case(
        "job items 403",
        "GET",
        JOB_ITEMS,
        403,
        path=JOB_ITEMS_PATH,
        setup=(job(),),
        auth="no_export",
    ),
    *_common("GET", JOB_ITEMS, 200, path=JOB_ITEMS_PATH),
    # item updates
    Case("update 200", "PUT", JOB_ITEMS, 200, path=JOB_ITEMS_PATH, body=UPDATE, setup=(started,)),
    Case("update 400", "PUT", JOB_ITEMS, 400, path=JOB_ITEMS_PATH, body="{}", setup=(started,)),
    Case("update 404", "PUT", JOB_ITEMS, 404, path=JOB_ITEMS_PATH, body=UPDATE),
    Case("update 413", "PUT", JOB_ITEMS, 413, path=JOB_ITEMS_PATH, body=TOO_MANY, setup=(started,)),
    Case(
        "update 422 finished",
        "PUT",
        JOB_ITEMS,
        422,
        path=JOB_ITEMS_PATH,
        body=UPDATE,
        setup=(job("completed"),),
    ),
    Case(
        "update 422 pending",
        "PUT",
        JOB_ITEMS,
        422,
        path=JOB_ITEMS_PATH,
        body=UPDATE,
        setup=(job(),),
    ),
    Case(
        "update 403",
        "PUT",
        JOB_ITEMS,
        403,
        path=JOB_ITEMS_PATH,
        body=UPDATE,
        setup=(started,),
        auth="no_export",
    ),
    *_common("PUT", JOB_ITEMS, 200, path=JOB_ITEMS_PATH, body=UPDATE),
    # export items
    Case("items 200", "GET", ITEMS, 200, params={"job_id": "{job}"}, setup=(started,)),
    Case(
        "items 200 vendor-based",
        "GET",
        ITEMS,
        200,
        params={"job_id": "{job}"},
        setup=(job(vendor_based_bookkeeping=True, types=["invoice"]),),
    ),
    Case(
        "items 200 positive refunds",
        "GET",
        ITEMS,
        200,
        params={"job_id": "{job}"},
        setup=(job(types=["refund"]), behaviour(refund_sign="positive")),
    ),
    Case(
        "items 200 offset",
        "GET",
        ITEMS,
        200,
        params={"job_id": "{job}", "offset": "0", "limit": "1"},
        setup=(job(),),
    ),
    Case(
        "items 400 contra",
        "GET",
        ITEMS,
        400,
        params={"job_id": "{job}"},
        setup=(job(), missing_contra),
    ),
    Case("items 400 no job_id", "GET", ITEMS, 400),
    Case("items 422", "GET", ITEMS, 422, params={"job_id": "{job}"}, setup=(job("completed"),)),
    Case("items 404", "GET", ITEMS, 404, params={"job_id": "{job}"}),
    Case(
        "items 403", "GET", ITEMS, 403, params={"job_id": "{job}"}, setup=(job(),), auth="no_export"
    ),
    *_common("GET", ITEMS, 200, path=ITEMS + "?job_id={job}"),
]
CASES += EXPORT_CASES


# ---------------------------------------------------------------------- setup API
COA = "/v1/chart-of-accounts"
COA_BATCH = "/v1/chart-of-accounts/batch"
COA_SEARCH = "/v1/chart-of-accounts:search"
COA_ONE = "/v1/chart-of-accounts/{accountId}"
TAXES = "/v0/tax-codes"
TAX_SEARCH = "/v0/tax-codes:search"
TAX_ONE = "/v0/tax-codes/{taxCodeId}"
GROUPS = "/v0/tag-groups"
GROUP = "/v0/tag-groups/{groupId}"
GROUP_TAGS = "/v0/tag-groups/{groupId}/tags"
TAG = "/v0/tags/{tagId}"
VENDORS = "/v1/vendors"
VENDOR_SEARCH = "/v1/vendors:search"
VENDOR = "/v1/vendors/{id}"
ACTIVATE_VENDOR = "/v1/vendors/{id}:activate"
ARCHIVE_VENDOR = "/v1/vendors/{id}:archive"
SETUP_SCOPES = ("tax-codes:write", "tag-groups:write")
_NOT_FOUND = "[unknown] unknown record, or another company's (the spec has only `default`)"
_EXISTS = "[unknown] a record with this code exists (the spec has only `default`)"
_SETUP_500 = "injected infrastructure failure (no setup endpoint documents 500)"
SANDBOX_CHOICES.update(
    {
        endpoint: {500: _SETUP_500}
        for endpoint in [
            ("POST", COA),
            ("POST", COA_BATCH),
            ("POST", COA_SEARCH),
            ("GET", COA_ONE),
            ("PUT", COA_ONE),
            ("DELETE", COA_ONE),
            ("POST", VENDORS),
            ("POST", VENDOR_SEARCH),
            ("GET", VENDOR),
            ("PUT", VENDOR),
            ("POST", ACTIVATE_VENDOR),
            ("POST", ARCHIVE_VENDOR),
        ]
    }
)
SANDBOX_CHOICES.update(
    {
        ("POST", TAXES): {400: _BAD_INPUT, 409: _EXISTS, 500: _SETUP_500},
        ("POST", TAX_SEARCH): {400: _BAD_INPUT, 500: _SETUP_500},
        ("GET", TAX_ONE): {404: _NOT_FOUND, 500: _SETUP_500},
        ("PUT", TAX_ONE): {400: _BAD_INPUT, 404: _NOT_FOUND, 500: _SETUP_500},
        ("DELETE", TAX_ONE): {404: _NOT_FOUND, 500: _SETUP_500},
        ("GET", GROUPS): {400: _BAD_INPUT, 500: _SETUP_500},
        ("POST", GROUPS): {400: _BAD_INPUT, 409: _EXISTS, 500: _SETUP_500},
        ("GET", GROUP): {404: _NOT_FOUND, 500: _SETUP_500},
        ("PUT", GROUP): {400: _BAD_INPUT, 404: _NOT_FOUND, 500: _SETUP_500},
        ("DELETE", GROUP): {404: _NOT_FOUND, 500: _SETUP_500},
        ("GET", GROUP_TAGS): {400: _BAD_INPUT, 404: _NOT_FOUND, 500: _SETUP_500},
        ("POST", GROUP_TAGS): {400: _BAD_INPUT, 404: _NOT_FOUND, 409: _EXISTS, 500: _SETUP_500},
        ("PUT", TAG): {400: _BAD_INPUT, 404: _NOT_FOUND, 500: _SETUP_500},
        ("POST", VENDORS + ""): {400: _BAD_INPUT, 500: _SETUP_500},
        ("POST", VENDOR_SEARCH): {400: _BAD_INPUT, 500: _SETUP_500},
        ("POST", ACTIVATE_VENDOR): {400: _BAD_INPUT, 500: _SETUP_500},
    }
)
NOT_SERVED.update(
    {
        ("GET", "/v0/aggregations/tag-groups"): "aggregations: the sync reads groups and tags",
        ("POST", "/v0/aggregations/tags"): "aggregations: the sync reads groups and tags",
        ("GET", "/v0/tag-groups/{groupId}/dimensions"): "dimensions: not used by the sync",
        ("POST", "/v0/tag-groups/{groupId}/dimensions"): "dimensions: not used by the sync",
        ("GET", "/v0/tag-groups/{groupId}/dimensions/{dimensionId}"): "dimensions: not used",
        ("PUT", "/v0/tag-groups/{groupId}/dimensions/{dimensionId}"): "dimensions: not used",
        ("DELETE", "/v0/tag-groups/{groupId}/dimensions/{dimensionId}"): "dimensions: not used",
        ("GET", "/v0/tags"): "tags are read per group",
        ("GET", "/v0/tags/{tagId}"): "tags are read per group",
        ("DELETE", "/v0/tags/{tagId}"): "the sync archives tags, never deletes them",
        ("GET", "/v0/tags/{tagId}/dimensions"): "dimensions: not used by the sync",
        ("GET", "/v0/tags/{tagId}/dimensions/{dimensionId}"): "dimensions: not used",
        ("PUT", "/v0/tags/{tagId}/dimensions/{dimensionId}"): "dimensions: not used",
        ("POST", "/v0/tags/{tagId}/dimensions/{dimensionId}"): "dimensions: not used",
        ("DELETE", "/v0/tags/{tagId}/dimensions/{dimensionId}"): "dimensions: not used",
        ("POST", "/v1/vendors/csv-import/jobs"): "CSV import: vendors are pushed one by one",
        ("GET", "/v1/vendors/csv-import/jobs/{jobId}"): "CSV import: not used",
        ("GET", "/v1/vendors/csv-import/jobs/{jobId}/errors"): "CSV import: not used",
        ("PUT", "/v1/vendors/csv-import/jobs/{jobId}/metadata"): "CSV import: not used",
        ("PUT", "/v1/vendors/csv-import/jobs/{jobId}/status"): "CSV import: not used",
        ("POST", "/v1/vendors/csv-import/jobs/{jobId}:get-presigned-url"): "CSV import: not used",
        ("POST", "/v1/vendors/csv-import/jobs/{jobId}:run"): "CSV import: not used",
        ("POST", "/v1/vendors/csv-import/jobs:search"): "CSV import: not used",
    }
)


def seeded(sandbox, ctx):
    """Records of the own company made by hand (ids in ctx: account, tax, group, tag, vendor)."""
    own = ctx["own"]
    ctx["account"] = sandbox.add_account(own, "6810", "Meals", "odoo-1", used=False)
    ctx["used_account"] = sandbox.add_account(own, "6820", "Travel", "odoo-2", used=True)
    ctx["tax"] = sandbox.add_tax_code(own, "I25", "VAT 25%", 0.25, "exclusive", ingoing="6320")
    ctx["group"] = sandbox.add_tag_group(own, "DEPT", "Departments")
    ctx["tag"] = sandbox.add_tag(ctx["group"], "SALES", "Sales")
    sandbox.add_tag(ctx["group"], "OLD", "Old", archived=True)
    ctx["vendor"] = sandbox.add_vendor(own, "Office A/S", code="V1", external_id="42")
    sandbox.add_vendor(own, "Other A/S", code="V2", state="DRAFT")


NEW_ACCOUNT = json.dumps(
    {
        "companyId": "{own}",
        "externalId": "odoo-9",
        "name": "New",
        "archived": False,
        "code": "7000",
    }
)
SAME_ACCOUNT = json.dumps(
    {
        "companyId": "{own}",
        "externalId": "odoo-1",
        "name": "Meals",
        "archived": False,
        "code": "6810",
    }
)
CLASH_ACCOUNT = '{"companyId": "{own}", "externalId": "odoo-1", "name": "Other", "archived": false}'
BATCH = (
    '{"companyId": "{own}", "items": [{"externalId": "odoo-9", "name": "New", "archived": false},'
    ' {"externalId": "odoo-1", "name": "Dup", "archived": false}]}'
)
TOO_BIG_BATCH = (
    '{"companyId": "{own}", "items": ['
    + ", ".join(['{"externalId": "x", "name": "y", "archived": false}'] * 1001)
    + "]}"
)
SEARCH_ACCOUNTS = (
    '{"companyId": "{own}", "excludeIfAssignedToCategory": false,'
    ' "excludeIfAssignedToContraAccount": false}'
)
PUT_ACCOUNT = '{"name": "Meals and drinks", "archived": true, "code": "6810"}'
NEW_TAX = json.dumps(
    {
        "companyId": "{own}",
        "code": "I12",
        "name": "VAT 12%",
        "rate": 0.12,
        "type": "inclusive",
        "archived": False,
    }
)
DUP_TAX = json.dumps(
    {
        "companyId": "{own}",
        "code": "I25",
        "name": "VAT",
        "rate": 0.25,
        "type": "exclusive",
        "archived": False,
    }
)
PUT_TAX = json.dumps(
    {
        "companyId": "{own}",
        "code": "I25",
        "name": "VAT 25%",
        "rate": 0.25,
        "type": "reverse",
        "archived": True,
        "outgoingTaxAccount": "6330",
    }
)
NEW_GROUP = (
    '{"code": "PROJ", "name": "Projects", "archived": false, "metadata": {"odoo_plan_id": "3"}}'
)
DUP_GROUP = '{"code": "DEPT", "name": "Departments", "archived": false}'
PUT_GROUP = '{"code": "DEPT", "name": "Cost centres", "archived": false, "metadata": {}}'
NEW_TAG = '{"code": "RND", "name": "R&D", "archived": false}'
DUP_TAG = '{"code": "SALES", "archived": false}'
PUT_TAG = '{"code": "SALES", "name": "Sales", "archived": true}'
NEW_VENDOR = json.dumps(
    {
        "companyId": "{own}",
        "name": "Airline",
        "defaultCurrency": "DKK",
        "externalId": "43",
        "code": "V3",
        "country": "DK",
    }
)
DUP_VENDOR = '{"companyId": "{own}", "name": "Office", "defaultCurrency": "DKK", "code": "V1"}'
PUT_VENDOR = json.dumps(
    {
        "companyId": "{own}",
        "name": "Office ApS",
        "defaultCurrency": "DKK",
        "externalId": "42",
        "code": "V1",
        "state": "ACTIVE",
    }
)
CLASH_VENDOR = json.dumps(
    {
        "companyId": "{own}",
        "name": "Office",
        "defaultCurrency": "DKK",
        "externalId": "42",
        "code": "V2",
        "state": "ACTIVE",
    }
)
ACTIVATION = '{"externalId": "42", "code": "V1"}'
S = (seeded,)
ACC, TAXP, GRP, TAGP, VEN = (
    "/v1/chart-of-accounts/{account}",
    "/v0/tax-codes/{tax}",
    "/v0/tag-groups/{group}",
    "/v0/tags/{tag}",
    "/v1/vendors/{vendor}",
)
SETUP_CASES = [
    # chart of accounts
    Case("coa create 201", "POST", COA, 201, body=NEW_ACCOUNT, setup=S),
    Case("coa create 200 same", "POST", COA, 200, body=SAME_ACCOUNT, setup=S),
    Case("coa create 400", "POST", COA, 400, body='{"companyId": "{own}"}', setup=S),
    Case("coa create 409", "POST", COA, 409, body=CLASH_ACCOUNT, setup=S),
    Case("coa create 403 scope", "POST", COA, 403, body=NEW_ACCOUNT, auth="no_export"),
    Case("coa create 403 other", "POST", COA, 403, body=NEW_ACCOUNT.replace("{own}", "{other}")),
    *_common("POST", COA, 201, body=NEW_ACCOUNT),
    Case("coa batch 201", "POST", COA_BATCH, 201, body=BATCH, setup=S),
    Case("coa batch 400", "POST", COA_BATCH, 400, body=TOO_BIG_BATCH),
    *_common("POST", COA_BATCH, 201, body=BATCH),
    Case("coa search 200", "POST", COA_SEARCH, 200, body=SEARCH_ACCOUNTS, setup=S),
    Case(
        "coa search 200 page",
        "POST",
        COA_SEARCH,
        200,
        params={"limit": "1", "after": "GA======"},
        body=SEARCH_ACCOUNTS,
        setup=S,
    ),
    Case("coa search 400", "POST", COA_SEARCH, 400, body="{}"),
    *_common("POST", COA_SEARCH, 200, body=SEARCH_ACCOUNTS),
    Case("coa get 200", "GET", COA_ONE, 200, path=ACC, setup=S),
    Case("coa get 404", "GET", COA_ONE, 404, path="/v1/chart-of-accounts/{unknown}"),
    *_common("GET", COA_ONE, 200, path="/v1/chart-of-accounts/{unknown}"),
    Case("coa put 200", "PUT", COA_ONE, 200, path=ACC, body=PUT_ACCOUNT, setup=S),
    Case("coa put 400", "PUT", COA_ONE, 400, path=ACC, body='{"name": "x"}', setup=S),
    Case(
        "coa put 404", "PUT", COA_ONE, 404, path="/v1/chart-of-accounts/{unknown}", body=PUT_ACCOUNT
    ),
    *_common("PUT", COA_ONE, 200, path="/v1/chart-of-accounts/{unknown}", body=PUT_ACCOUNT),
    Case("coa delete 204", "DELETE", COA_ONE, 204, path=ACC, setup=S),
    Case(
        "coa delete 409 used",
        "DELETE",
        COA_ONE,
        409,
        path="/v1/chart-of-accounts/{used_account}",
        setup=S,
    ),
    Case("coa delete 404", "DELETE", COA_ONE, 404, path="/v1/chart-of-accounts/{unknown}"),
    *_common("DELETE", COA_ONE, 204, path="/v1/chart-of-accounts/{unknown}"),
    # tax codes
    Case("tax create 200", "POST", TAXES, 200, body=NEW_TAX, setup=S),
    Case("tax create 400", "POST", TAXES, 400, body='{"companyId": "{own}", "name": "x"}'),
    Case("tax create 409", "POST", TAXES, 409, body=DUP_TAX, setup=S),
    Case("tax create 403 scope", "POST", TAXES, 403, body=NEW_TAX, setup=S, auth="no_scope"),
    Case(
        "tax create 200 no scope needed",
        "POST",
        TAXES,
        200,
        body=NEW_TAX,
        setup=(behaviour(tax_code_scope="none"),),
        auth="no_scope",
    ),
    *_common("POST", TAXES, 200, body=NEW_TAX),
    Case(
        "tax search 200",
        "POST",
        TAX_SEARCH,
        200,
        params={"company_id": "{own}"},
        body="{}",
        setup=S,
    ),
    Case("tax search 200 no body", "POST", TAX_SEARCH, 200, setup=S),
    Case("tax search 400", "POST", TAX_SEARCH, 400, body='{"type": "x"}'),
    *_common("POST", TAX_SEARCH, 200, body="{}"),
    Case("tax get 200", "GET", TAX_ONE, 200, path=TAXP, setup=S),
    Case("tax get 404", "GET", TAX_ONE, 404, path="/v0/tax-codes/{unknown}"),
    *_common("GET", TAX_ONE, 200, path="/v0/tax-codes/{unknown}"),
    Case("tax put 200", "PUT", TAX_ONE, 200, path=TAXP, body=PUT_TAX, setup=S),
    Case("tax put 400", "PUT", TAX_ONE, 400, path=TAXP, body="{}", setup=S),
    Case("tax put 404", "PUT", TAX_ONE, 404, path="/v0/tax-codes/{unknown}", body=PUT_TAX),
    *_common("PUT", TAX_ONE, 200, path="/v0/tax-codes/{unknown}", body=PUT_TAX),
    Case("tax delete 200", "DELETE", TAX_ONE, 200, path=TAXP, setup=S),
    Case("tax delete 404", "DELETE", TAX_ONE, 404, path="/v0/tax-codes/{unknown}"),
    *_common("DELETE", TAX_ONE, 200, path="/v0/tax-codes/{unknown}"),
    # tag groups and tags
    Case("groups 200", "GET", GROUPS, 200, params={"company_id": "{own}"}, setup=S),
    Case("groups 400", "GET", GROUPS, 400, params={"company_id": "x"}),
    Case("groups 403 other", "GET", GROUPS, 403, params={"company_id": "{other}"}),
    Case(
        "groups 403 production scope",
        "GET",
        GROUPS,
        403,
        setup=(behaviour(tag_scope="tag-group"),),
    ),
    *_common("GET", GROUPS, 200),
    Case("group create 200", "POST", GROUPS, 200, body=NEW_GROUP, setup=S),
    Case("group create 400", "POST", GROUPS, 400, body='{"code": "X"}'),
    Case("group create 409", "POST", GROUPS, 409, body=DUP_GROUP, setup=S),
    *_common("POST", GROUPS, 200, body=NEW_GROUP),
    Case("group get 200", "GET", GROUP, 200, path=GRP, setup=S),
    Case("group get 404", "GET", GROUP, 404, path="/v0/tag-groups/{unknown}"),
    *_common("GET", GROUP, 200, path="/v0/tag-groups/{unknown}"),
    Case("group put 200", "PUT", GROUP, 200, path=GRP, body=PUT_GROUP, setup=S),
    Case("group put 400", "PUT", GROUP, 400, path=GRP, body=DUP_GROUP, setup=S),
    Case("group put 404", "PUT", GROUP, 404, path="/v0/tag-groups/{unknown}", body=PUT_GROUP),
    *_common("PUT", GROUP, 200, path="/v0/tag-groups/{unknown}", body=PUT_GROUP),
    Case("group delete 200", "DELETE", GROUP, 200, path=GRP, setup=S),
    Case("group delete 404", "DELETE", GROUP, 404, path="/v0/tag-groups/{unknown}"),
    *_common("DELETE", GROUP, 200, path="/v0/tag-groups/{unknown}"),
    Case("tags 200", "GET", GROUP_TAGS, 200, path=GRP + "/tags", setup=S),
    Case(
        "tags 200 archived",
        "GET",
        GROUP_TAGS,
        200,
        path=GRP + "/tags",
        params={"include_archived": "true", "limit": "1"},
        setup=S,
    ),
    Case(
        "tags 400",
        "GET",
        GROUP_TAGS,
        400,
        path=GRP + "/tags",
        params={"include_archived": "x"},
        setup=S,
    ),
    Case("tags 404", "GET", GROUP_TAGS, 404, path="/v0/tag-groups/{unknown}/tags"),
    *_common("GET", GROUP_TAGS, 200, path="/v0/tag-groups/{unknown}/tags"),
    Case("tag create 200", "POST", GROUP_TAGS, 200, path=GRP + "/tags", body=NEW_TAG, setup=S),
    Case("tag create 400", "POST", GROUP_TAGS, 400, path=GRP + "/tags", body="{}", setup=S),
    Case(
        "tag create 404",
        "POST",
        GROUP_TAGS,
        404,
        path="/v0/tag-groups/{unknown}/tags",
        body=NEW_TAG,
    ),
    Case("tag create 409", "POST", GROUP_TAGS, 409, path=GRP + "/tags", body=DUP_TAG, setup=S),
    *_common("POST", GROUP_TAGS, 200, path="/v0/tag-groups/{unknown}/tags", body=NEW_TAG),
    Case("tag put 200", "PUT", TAG, 200, path=TAGP, body=PUT_TAG, setup=S),
    Case("tag put 400", "PUT", TAG, 400, path=TAGP, body='{"code": 1}', setup=S),
    Case("tag put 404", "PUT", TAG, 404, path="/v0/tags/{unknown}", body=PUT_TAG),
    *_common("PUT", TAG, 200, path="/v0/tags/{unknown}", body=PUT_TAG),
    # vendors
    Case("vendor create 201", "POST", VENDORS, 201, body=NEW_VENDOR, setup=S),
    Case("vendor create 400", "POST", VENDORS, 400, body='{"companyId": "{own}", "name": "x"}'),
    Case("vendor create 409", "POST", VENDORS, 409, body=DUP_VENDOR, setup=S),
    *_common("POST", VENDORS, 201, body=NEW_VENDOR),
    Case(
        "vendor search 200",
        "POST",
        VENDOR_SEARCH,
        200,
        params={"company_id": "{own}"},
        body="{}",
        setup=S,
    ),
    Case(
        "vendor search 200 filter",
        "POST",
        VENDOR_SEARCH,
        200,
        params={"company_id": "{own}", "limit": "1"},
        body='{"states": ["ACTIVE"], "codes": ["V1"]}',
        setup=S,
    ),
    Case("vendor search 400", "POST", VENDOR_SEARCH, 400, body="{}"),
    *_common("POST", VENDOR_SEARCH, 200, path=VENDOR_SEARCH + "?company_id={own}", body="{}"),
    Case("vendor get 200", "GET", VENDOR, 200, path=VEN, setup=S),
    Case("vendor get 404", "GET", VENDOR, 404, path="/v1/vendors/{unknown}"),
    *_common("GET", VENDOR, 200, path="/v1/vendors/{unknown}"),
    Case("vendor put 200", "PUT", VENDOR, 200, path=VEN, body=PUT_VENDOR, setup=S),
    Case("vendor put 400", "PUT", VENDOR, 400, path=VEN, body=DUP_VENDOR, setup=S),
    Case("vendor put 404", "PUT", VENDOR, 404, path="/v1/vendors/{unknown}", body=PUT_VENDOR),
    Case("vendor put 409", "PUT", VENDOR, 409, path=VEN, body=CLASH_VENDOR, setup=S),
    *_common("PUT", VENDOR, 200, path="/v1/vendors/{unknown}", body=PUT_VENDOR),
    Case(
        "vendor activate 204",
        "POST",
        ACTIVATE_VENDOR,
        204,
        path=VEN + ":activate",
        body=ACTIVATION,
        setup=S,
    ),
    Case(
        "vendor activate 400",
        "POST",
        ACTIVATE_VENDOR,
        400,
        path=VEN + ":activate",
        body="{}",
        setup=S,
    ),
    Case(
        "vendor activate 404",
        "POST",
        ACTIVATE_VENDOR,
        404,
        path="/v1/vendors/{unknown}:activate",
        body=ACTIVATION,
    ),
    *_common("POST", ACTIVATE_VENDOR, 204, path="/v1/vendors/{unknown}:activate", body=ACTIVATION),
    Case("vendor archive 204", "POST", ARCHIVE_VENDOR, 204, path=VEN + ":archive", setup=S),
    Case("vendor archive 404", "POST", ARCHIVE_VENDOR, 404, path="/v1/vendors/{unknown}:archive"),
    *_common("POST", ARCHIVE_VENDOR, 204, path="/v1/vendors/{unknown}:archive"),
]
CASES += SETUP_CASES

# ---------------------------------------------------------------------- webhook subscriptions
SUBS = "/v1/subscriptions"
SUB = "/v1/subscriptions/{id}"
SUB_ACTIVITIES = SUB + "/activities"
SUB_SECRET = SUB + "/secret"
SUBP = "/v1/subscriptions/{sub}"
NO_SUB = "/v1/subscriptions/{unknown}"
NEW_SUB = json.dumps(
    {
        "endpointUrl": "https://odoo.example.com/pleo/webhook/t0k3n",
        "eventTypes": ["v1.export-job.created"],
        "customHeaders": {"X-Odoo": "1"},
        "endpointAuth": {"type": "BASIC", "credentials": {"username": "u", "password": "p"}},
    }
)
OFF_SUB = json.dumps(
    {
        "endpointUrl": "https://odoo.example.com/pleo/webhook/t0k3n",
        "eventTypes": ["v1.export-job.created", "v1.vendor.created"],
        "status": "INACTIVE",
    }
)


def subscribed(sandbox, ctx):
    """A subscription of the valid key (its id in ctx: sub)."""
    answer = call(sandbox, "POST", SUBS, ctx["key"], data=NEW_SUB.encode())
    ctx["sub"] = answer.json()["data"]["id"]


subscribed.before_path = True  # the id goes into the path
W = (subscribed,)
SANDBOX_CHOICES.update(
    {
        ("GET", SUB): {500: _INJECTED_500},
        ("GET", SUB_ACTIVITIES): {400: _BAD_INPUT, 500: _INJECTED_500},
        ("GET", SUB_SECRET): {500: _INJECTED_500},
    }
)
WEBHOOK_CASES = [
    Case("subscriptions list 200", "GET", SUBS, 200, setup=W),
    Case(
        "subscriptions list 200 filtered",
        "GET",
        SUBS,
        200,
        params={"status": "ACTIVE", "event_types": ["v1.export-job.created"]},
        setup=W,
    ),
    Case("subscriptions list 400", "GET", SUBS, 400, params={"status": "ON"}),
    *_common("GET", SUBS, 200),
    Case("subscription create 200", "POST", SUBS, 200, body=NEW_SUB),
    Case("subscription create 400", "POST", SUBS, 400, body='{"eventTypes": []}'),
    Case(
        "subscription create 403 (subscription_scope)",
        "POST",
        SUBS,
        403,
        body=NEW_SUB,
        auth="no_export",
        setup=(behaviour(subscription_scope="export-jobs:read"),),
    ),
    *_common("POST", SUBS, 200, body=NEW_SUB),
    Case("subscription get 200", "GET", SUB, 200, path=SUBP, setup=W),
    Case("subscription get 404", "GET", SUB, 404, path=NO_SUB),
    *_common("GET", SUB, 200, path=NO_SUB),
    Case("subscription put 200", "PUT", SUB, 200, path=SUBP, body=OFF_SUB, setup=W),
    Case("subscription put 400", "PUT", SUB, 400, path=SUBP, body='{"endpointUrl": "x"}', setup=W),
    Case("subscription put 404", "PUT", SUB, 404, path=NO_SUB, body=NEW_SUB),
    *_common("PUT", SUB, 200, path=NO_SUB, body=NEW_SUB),
    Case("subscription delete 204", "DELETE", SUB, 204, path=SUBP, setup=W),
    Case("subscription delete 404", "DELETE", SUB, 404, path=NO_SUB),
    *_common("DELETE", SUB, 204, path=NO_SUB),
    Case("activities 200", "GET", SUB_ACTIVITIES, 200, path=SUBP + "/activities", setup=W),
    Case(
        "activities 400",
        "GET",
        SUB_ACTIVITIES,
        400,
        path=SUBP + "/activities",
        params={"limit": "x"},
        setup=W,
    ),
    Case("activities 404", "GET", SUB_ACTIVITIES, 404, path=NO_SUB + "/activities"),
    *_common("GET", SUB_ACTIVITIES, 200, path=NO_SUB + "/activities"),
    Case("secret 200", "GET", SUB_SECRET, 200, path=SUBP + "/secret", setup=W),
    Case("secret 404", "GET", SUB_SECRET, 404, path=NO_SUB + "/secret"),
    *_common("GET", SUB_SECRET, 200, path=NO_SUB + "/secret"),
]
CASES += WEBHOOK_CASES


def _drop_format_patterns(node):
    """Remove the export spec's date-format descriptions written as ``pattern`` (see above)."""
    if isinstance(node, dict):
        if node.get("format") in ("date-time", "date") and "pattern" in node:
            del node["pattern"]
        for value in node.values():
            _drop_format_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _drop_format_patterns(value)


def load_specs():
    """Return {(METHOD, template): (OpenAPI, responses)} for every operation of the specs."""
    operations = {}
    for name in SPEC_FILES:
        spec = yaml.safe_load((SPEC_DIR / name).read_text())
        _drop_format_patterns(spec)
        # the sandbox (any loopback port) stands in for external.pleo.io, in memory only
        spec["servers"] = [
            {"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}
        ]
        api = OpenAPI.from_dict(spec)
        for template, item in spec["paths"].items():
            for method, operation in item.items():
                operations[(method.upper(), template)] = (api, operation["responses"])
                if name == "pleo-export-openapi.yml" and not template.startswith("/v3/"):
                    NOT_SERVED[(method.upper(), template)] = "deprecated version: v3 is used"
    return operations


OPERATIONS = load_specs()


def call(sandbox, method, path, key=None, **kwargs):
    return requests.request(
        method,
        sandbox.url() + path,
        auth=(key, "") if key else None,
        allow_redirects=False,
        timeout=5,
        **kwargs,
    )


@pytest.fixture
def ctx(sandbox):
    """An emptied sandbox with a company key, a key without companies:read, another company."""
    organization = str(uuid.uuid4())
    own = sandbox.add_company(
        "Own ApS",
        organization_id=organization,
        registration_number="DK1",
        address={"country": "DK"},
    )
    sandbox.add_company("Sister ApS", organization_id=organization)
    ctx = {
        "sandbox": sandbox,
        "key": sandbox.mint_key(own, subject_kind="organization"),
        "no_scope": sandbox.mint_key(
            own, scopes=[s for s in DEFAULT_SCOPES if s != "companies:read"]
        ),
        "own": own,
        "org": organization,
        "other": sandbox.add_company("Other ApS"),
        "unknown": str(uuid.uuid4()),
        "no_export": sandbox.mint_key(own, scopes=["companies:read"]),
        "job": str(uuid.uuid4()),
        "entry": str(uuid.uuid4()),
    }
    # the setup API's write scopes ([unknown] spelling: see behaviour.tag_scope/tax_code_scope)
    sandbox.set_scopes(ctx["key"], [*DEFAULT_SCOPES, *SETUP_SCOPES])
    return ctx


def validate(case, response):
    """Check ``response`` against the spec, or against the allowed extras and the error shape."""
    api, documented = OPERATIONS[(case.method, case.template)]
    status = response.status_code
    if response.content:
        assert response.headers["Content-Type"] == JSON_TYPE
    if str(status) not in documented and "default" in documented and status < 400:
        # the tax-code and tags specs document only ``default``: it describes the successes
        api.validate_response(
            RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
        )
        if "content" in documented["default"]:
            return
    elif str(status) in documented:
        # raises on an invalid body, content type or status
        api.validate_response(
            RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
        )
        if "content" in documented[str(status)]:
            return
    else:
        extras = SANDBOX_CHOICES.get((case.method, case.template), {})
        assert status in DOCS_STATUSES or status in extras, f"status {status} is not allowed here"
    if status in (202, 204):
        assert response.content == b""
    else:
        OAS30Validator(DOMAIN_ERROR_SCHEMA).validate(response.json())


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_answer_matches_spec(ctx, case):
    sandbox = ctx["sandbox"]
    before_path = [s for s in case.setup if s is seeded or getattr(s, "before_path", False)]
    for step in before_path:  # the records' ids go into the path
        step(sandbox, ctx)
    path = (case.path or case.template).format(**ctx)
    ctx["path"] = path.split("?")[0]
    for step in case.setup:
        if step not in before_path:
            step(sandbox, ctx)
    params = {
        name: [v.format(**ctx) for v in value] if isinstance(value, list) else value.format(**ctx)
        for name, value in case.params.items()
    }
    key = {
        "valid": ctx["key"],
        "none": None,
        "no_scope": ctx["no_scope"],
        "no_export": ctx["no_export"],
    }[case.auth]
    body = case.body
    if isinstance(body, str):  # JSON with {placeholders}: str.format would trip on the braces
        for name in ("job", "own", "other", "entry", "unknown"):
            body = body.replace("{" + name + "}", ctx[name])
        body = body.encode()
    response = call(sandbox, case.method, path, key, params=params, data=body)
    assert response.status_code == case.status, response.text
    validate(case, response)


def test_every_endpoint_and_status_is_walked():
    served = set(ENDPOINTS)
    assert served == set(OPERATIONS) - set(NOT_SERVED)
    walked = {}
    for case in CASES:
        walked.setdefault((case.method, case.template), set()).add(case.status)
    assert set(walked) == served
    for endpoint, statuses in walked.items():
        documented = {int(s) for s in OPERATIONS[endpoint][1] if s != "default"}
        if "default" in OPERATIONS[endpoint][1]:
            documented |= {s for s in statuses if s < 400}
        # 401 and 429 everywhere, each sandbox choice, and at least one documented status
        assert {401, 429} <= statuses
        assert set(SANDBOX_CHOICES.get(endpoint, {})) <= statuses
        assert documented & statuses, f"{endpoint}: no documented status walked"


def test_validation_catches_a_broken_answer(ctx):
    """The validator is not a rubber stamp: a spec-breaking answer fails it."""
    sandbox = ctx["sandbox"]
    case = Case("broken", "GET", INSTALL, 200)
    response = call(sandbox, "GET", INSTALL, ctx["key"])  # 404: no installation
    response.status_code = 200
    with pytest.raises(Exception, match=r"required|not valid"):
        validate(case, response)
    response.status_code = 418
    with pytest.raises(AssertionError, match="418"):
        validate(case, response)


def test_export_validation_catches_a_broken_item(ctx):
    """The export spec is really applied to items: an item missing a required field fails."""
    sandbox = ctx["sandbox"]
    job("pending")(sandbox, ctx)
    case = Case("broken item", "GET", ITEMS, 200)
    response = call(sandbox, "GET", ITEMS, ctx["key"], params={"job_id": ctx["job"]})
    validate(case, response)  # the real answer passes
    payload = response.json()
    del payload["data"][0]["additionalInformation"]
    response._content = json.dumps(payload).encode()
    with pytest.raises(Exception, match=r"required|not valid"):
        validate(case, response)
