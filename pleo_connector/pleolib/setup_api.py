"""Calls that push an ERP's accounting setup to Pleo, over a :class:`~.client.PleoClient`
(no Odoo import): chart of accounts, tax codes, tag groups and tags, vendors.

One :class:`SetupApi` serves one Pleo company. Lists are read whole (cursor pages of
``PAGE_SIZE``); accounts are created in batches of at most 1000 [spec]. Every answer's shape is
checked (:class:`~.errors.UnexpectedResponseError` otherwise); a 409 becomes
:class:`ConflictError`, a 403 stays the client's :class:`~.errors.MissingScopesError`.

Rate limits: a :class:`Pacer` keeps the calls under ``per_minute`` (Pleo allows 600 a minute and
asks integrations to stay under 500 [docs]); the client retries GET and PUT on 429 and 5xx, and
this module retries a POST on 429 (Pleo did not process it) and the read-only or repeatable
POSTs (``:search``, ``:activate``, ``:archive``) on 5xx too. A create is never repeated after a
5xx: the next run matches what it may have created.
"""

import collections
import time
from urllib.parse import quote

from ._shapes import json_object, shape_error
from .client import Endpoints
from .errors import PleoError, RateLimitedError

ACCOUNTS_PATH = "/v1/chart-of-accounts"
TAX_CODES_PATH = "/v0/tax-codes"
TAG_GROUPS_PATH = "/v0/tag-groups"
TAGS_PATH = "/v0/tags"
VENDORS_PATH = "/v1/vendors"
PAGE_SIZE = 100
MAX_BATCH = 1000  # accounts per batch [spec]
MAX_PAGES = 10_000
DEFAULT_PER_MINUTE = 480  # under Pleo's 500 a minute for integrations [docs]
TAX_TYPES = ("inclusive", "exclusive", "reverse")


class ConflictError(PleoError):
    """409: the record exists already (or, for a DELETE, is in use)."""

    default_message = "Pleo refused the change: the record exists already or is in use."

    def __init__(self, message=None, *, status=409):
        super().__init__(message, status=status, retryable=False)


class Pacer:
    """Spaces calls so that no more than ``per_minute`` start in any 60 seconds."""

    def __init__(self, per_minute=DEFAULT_PER_MINUTE, *, sleep=time.sleep, clock=time.monotonic):
        self.per_minute = per_minute
        self._sleep, self._clock = sleep, clock
        self._starts = collections.deque()
        self.waited = 0.0

    def wait(self):
        """Block until one more call fits in the window; then count it."""
        if not self.per_minute:
            return
        now = self._clock()
        while self._starts and self._starts[0] <= now - 60:
            self._starts.popleft()
        if len(self._starts) >= self.per_minute:
            delay = self._starts[0] + 60 - now
            if delay > 0:
                self._sleep(delay)
                self.waited += delay
            self._starts.popleft()
        self._starts.append(self._clock())


def _data(payload, where, kind=dict):
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), kind):
        raise shape_error(f"{where}.data", "an object" if kind is dict else "a list")
    return payload["data"]


def _record(value, where, required=("id",)):
    json_object(value, where)
    for name in required:
        if not isinstance(value.get(name), str | bool):
            raise shape_error(f"{where}.{name}", "a value")
    return value


class SetupApi(Endpoints):
    """The setup calls for one Pleo company; ``calls`` counts the requests made, by method."""

    def __init__(self, client, company_id, pacer=None, max_rate_retries=3):
        super().__init__(client)
        self.company_id = company_id
        self.pacer = pacer or Pacer()
        self.max_rate_retries = max_rate_retries
        self.calls = collections.Counter()

    # ------------------------------------------------------------------ plumbing
    def _refusal(self, error):
        """A 409 is a :class:`ConflictError`."""
        return ConflictError(error.message) if error.status == 409 else None

    def _paced(self, method, path, action, *, params=None, body=None, repeatable=False):
        """:meth:`_call` under the pacer, a POST repeated on 429 (and on 5xx if
        ``repeatable``)."""
        attempt = 0
        while True:
            self.pacer.wait()
            self.calls[method] += 1
            try:
                return self._call(method, path, action, params=params, json_body=body)
            except RateLimitedError as error:
                if method != "POST" or attempt >= self.max_rate_retries:
                    raise
                delay = error.retry_after if error.retry_after is not None else 2**attempt
                self.client._sleep(min(delay, self.client.max_retry_wait))
            except PleoError as error:
                transient = error.retryable and (error.status is None or error.status >= 500)
                if method != "POST" or not repeatable or not transient:
                    raise
                if attempt >= self.client.max_retries:
                    raise
                self.client._sleep(min(2**attempt, self.client.max_retry_wait))
            attempt += 1

    def _pages(self, method, path, action, *, params=None, body=None, where="data"):
        """Every record of a cursor-paginated list."""
        rows, after = [], None
        for _page in range(MAX_PAGES):
            query = dict(params or {}, limit=PAGE_SIZE)
            if after:
                query["after"] = after
            payload = self._paced(method, path, action, params=query, body=body, repeatable=True)
            data = _data(payload, where, list)
            rows.extend(_record(row, f"{where}[]") for row in data)
            pagination = payload.get("pagination")
            if not isinstance(pagination, dict):
                raise shape_error("pagination", "an object")
            after = pagination.get("endCursor")
            if not pagination.get("hasNextPage") or not data or not after:
                return rows
        raise shape_error("pagination", "a finite list")

    @staticmethod
    def _id_path(base, record_id, suffix=""):
        return f"{base}/{quote(str(record_id), safe='')}{suffix}"

    def _write(self, method, path, what, *, params=None, body=None):
        """Create (POST) or update (PUT) one ``what``; Pleo answers with it (``{"data": ...}``)."""
        verb = "creating" if method == "POST" else "updating"
        article = "an" if what[0] in "aeiou" else "a"
        payload = self._paced(
            method, path, f"{verb} {article} {what} in Pleo", params=params, body=body
        )
        return _record(_data(payload, what), "data")

    def _search(self, path, action):
        """Every record of a company's ``:search`` list (no filter)."""
        return self._pages(
            "POST", path + ":search", action, params={"company_id": self.company_id}, body={}
        )

    def _of_company(self, fields):
        """``fields`` with the company's id, for the calls whose body names the company."""
        return {"companyId": self.company_id, **fields}

    # ------------------------------------------------------------------ chart of accounts
    def list_accounts(self):
        """Every account of the company (archived ones too)."""
        body = {
            "companyId": self.company_id,
            "excludeIfAssignedToCategory": False,
            "excludeIfAssignedToContraAccount": False,
        }
        return self._pages(
            "POST", ACCOUNTS_PATH + ":search", "reading Pleo's chart of accounts", body=body
        )

    def create_accounts(self, items):
        """Create accounts in batches of ≤1000; return ``(created, failed)`` as Pleo lists them
        (``failed``: ``[{"reasons": [...], "request": item}]``)."""
        created, failed = [], []
        for start in range(0, len(items), MAX_BATCH):
            chunk = items[start : start + MAX_BATCH]
            payload = self._paced(
                "POST",
                ACCOUNTS_PATH + "/batch",
                "creating accounts in Pleo",
                body=self._of_company({"items": chunk}),
            )
            data = _data(payload, "batch")
            if not isinstance(data.get("created"), list) or not isinstance(
                data.get("failed"), list
            ):
                raise shape_error("data.created/failed", "lists")
            created.extend(_record(a, "data.created[]") for a in data["created"])
            failed.extend(data["failed"])
        return created, failed

    def update_account(self, account_id, fields):
        """PUT an account (``name``, ``archived`` required; ``code``, ``taxCodeExternalId``)."""
        return self._write("PUT", self._id_path(ACCOUNTS_PATH, account_id), "account", body=fields)

    def delete_account(self, account_id):
        """Delete an account; ``False`` when Pleo keeps it because it is used (409)."""
        try:
            self._paced(
                "DELETE", self._id_path(ACCOUNTS_PATH, account_id), "deleting an account in Pleo"
            )
        except ConflictError:
            return False
        return True

    # ------------------------------------------------------------------ tax codes
    def list_tax_codes(self):
        """Every tax code of the company (no filter)."""
        return self._search(TAX_CODES_PATH, "reading Pleo's tax codes")

    def create_tax_code(self, fields):
        """POST a tax code (``code``, ``name``, ``rate``, ``type``, ``archived``); a
        :class:`ConflictError` if the code exists."""
        return self._write("POST", TAX_CODES_PATH, "tax code", body=self._of_company(fields))

    def update_tax_code(self, tax_code_id, fields):
        """PUT a tax code: the whole model, as for :meth:`create_tax_code`."""
        path = self._id_path(TAX_CODES_PATH, tax_code_id)
        return self._write("PUT", path, "tax code", body=self._of_company(fields))

    # ------------------------------------------------------------------ tag groups and tags
    def list_tag_groups(self):
        payload = self._paced(
            "GET",
            TAG_GROUPS_PATH,
            "reading Pleo's tag groups",
            params={"company_id": self.company_id},
        )
        return [_record(g, "data[]") for g in _data(payload, "tag groups", list)]

    def create_tag_group(self, fields):
        params = {"company_id": self.company_id}
        return self._write("POST", TAG_GROUPS_PATH, "tag group", params=params, body=fields)

    def update_tag_group(self, group_id, fields):
        return self._write(
            "PUT", self._id_path(TAG_GROUPS_PATH, group_id), "tag group", body=fields
        )

    def list_tags(self, group_id):
        return self._pages(
            "GET",
            self._id_path(TAG_GROUPS_PATH, group_id, "/tags"),
            "reading Pleo's tags",
            params={"include_archived": "true"},
        )

    def create_tag(self, group_id, fields):
        path = self._id_path(TAG_GROUPS_PATH, group_id, "/tags")
        return self._write("POST", path, "tag", body=fields)

    def update_tag(self, tag_id, fields):
        return self._write("PUT", self._id_path(TAGS_PATH, tag_id), "tag", body=fields)

    # ------------------------------------------------------------------ vendors
    def list_vendors(self):
        """Every vendor of the company (no filter)."""
        return self._search(VENDORS_PATH, "reading Pleo's vendors")

    def create_vendor(self, fields):
        """POST a vendor (it starts as a draft); :class:`ConflictError` if it exists."""
        return self._write("POST", VENDORS_PATH, "vendor", body=self._of_company(fields))

    def update_vendor(self, vendor_id, fields):
        """PUT a vendor (``defaultCurrency``, ``externalId``, ``name``, ``state`` required)."""
        path = self._id_path(VENDORS_PATH, vendor_id)
        return self._write("PUT", path, "vendor", body=self._of_company(fields))

    def activate_vendor(self, vendor_id, external_id, code=None):
        body = {"externalId": str(external_id)}
        if code:
            body["code"] = code
        self._paced(
            "POST",
            self._id_path(VENDORS_PATH, vendor_id, ":activate"),
            "activating a vendor in Pleo",
            body=body,
            repeatable=True,
        )

    def archive_vendor(self, vendor_id):
        self._paced(
            "POST",
            self._id_path(VENDORS_PATH, vendor_id, ":archive"),
            "archiving a vendor in Pleo",
            repeatable=True,
        )
