"""Cursor paging as Pleo's list endpoints answer it, once for every list the sandbox serves
(companies, export jobs, events and items, the setup API's searches, webhook subscriptions).

Pleo's ``CursorPageInfo``: ``before``/``after`` take a cursor, ``offset`` a position (at most one
of the three), ``limit`` the page size; the answer is ``{"data": page, "pagination": {...}}``.
Cursors are list positions in base32, matching the spec's pattern ``^[A-Z2-7=~]+$``.
"""

from __future__ import annotations

import base64

from .export_state import BadRequest

Query = dict[str, list[str]]

DEFAULT_PAGE_SIZE = 20  # [unknown] Pleo's default and maximum page sizes
MAX_PAGE_SIZE = 100


def one(query: Query, name: str) -> str | None:
    """The first value of the query parameter ``name``, or None."""
    values = query.get(name)
    return values[0] if values else None


def int_param(query: Query, name: str, default: int | None = None, minimum: int = 0) -> int | None:
    """The integer query parameter ``name`` (``default`` when absent), at least ``minimum``."""
    raw = one(query, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if value < minimum:
        raise BadRequest(f"{name} must be >= {minimum}")
    return value


def encode_cursor(position: int) -> str:
    """A list position as a cursor matching the spec's pattern ``^[A-Z2-7=~]+$``."""
    return base64.b32encode(str(position).encode()).decode()


def decode_cursor(cursor: str, name: str) -> int:
    try:
        position = int(base64.b32decode(cursor.encode(), casefold=False).decode())
    except ValueError:
        raise BadRequest(f"{name} is not a valid cursor") from None
    if position < 0:
        raise BadRequest(f"{name} is not a valid cursor")
    return position


def paginate(rows: list, query: Query, parameters: Query, min_limit: int = 0) -> dict:
    """``{"data": page, "pagination": CursorPageInfo}`` of ``rows`` per the request's
    ``before``/``after``/``offset`` and ``limit`` (absent, or 0 where ``min_limit`` allows it: the
    default page size)."""
    limit = min(int_param(query, "limit", 0, min_limit) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    before, after, offset = one(query, "before"), one(query, "after"), one(query, "offset")
    if sum(p is not None for p in (before, after, offset)) > 1:
        raise BadRequest("before, after and offset cannot be used together")
    current: dict = {"parameters": parameters, "limit": limit}
    if after is not None:
        start = decode_cursor(after, "after") + 1
        end, current["after"] = start + limit, after
    elif before is not None:
        end = min(decode_cursor(before, "before"), len(rows))
        start, current["before"] = max(0, end - limit), before
    else:
        start = current["offset"] = int_param(query, "offset", 0)
        end = start + limit
    page = rows[start:end]
    pagination = {
        "currentRequestPagination": current,
        "hasNextPage": end < len(rows),
        "hasPreviousPage": start > 0,
        "total": len(rows),
    }
    if page:
        pagination["startCursor"] = encode_cursor(start)
        pagination["endCursor"] = encode_cursor(start + len(page) - 1)
    return {"data": page, "pagination": pagination}
