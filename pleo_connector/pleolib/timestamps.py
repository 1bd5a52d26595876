"""Pleo's timestamps: read as aware UTC datetimes, written in one format (no Odoo import).

Pleo writes ISO 8601 date-times (``2025-03-04T10:00:00Z``, ``...T10:00:00.123+01:00``) [spec];
:func:`parse` reads them without ``datetime.fromisoformat``, which reads less before Python 3.11
(Odoo 19 runs on 3.10). :func:`to_odoo` gives what an Odoo ``Datetime`` field stores (naive
UTC), :func:`format_utc` what Odoo sends to Pleo (``exportedAt``).
"""

import datetime
import re

_MOMENT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse(value):
    """Pleo's date-time as an aware UTC datetime, or ``None`` for a date only (or an odd text).

    ``YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH[:]MM]``; without an offset it is UTC (Pleo's
    date-times are).
    """
    match = _MOMENT.fullmatch(value) if isinstance(value, str) else None
    if not match:
        return None
    day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime.datetime(
            *map(int, day.split("-")),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
        zone = datetime.timezone.utc
        if offset and offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            zone = datetime.timezone(
                sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            )
        return moment.replace(tzinfo=zone).astimezone(datetime.timezone.utc)
    except (ValueError, OverflowError):
        return None


def to_odoo(value):
    """Pleo's timestamp as a naive UTC datetime (what Odoo stores), midnight for a date only;
    ``None`` if absent or not a timestamp."""
    moment = parse(value)
    if moment is not None:
        return moment.replace(tzinfo=None)
    match = _DAY.fullmatch(value) if isinstance(value, str) else None
    try:
        return datetime.datetime(*map(int, match.groups())) if match else None
    except ValueError:
        return None


def format_utc(moment):
    """``moment`` (aware, or naive UTC) as Pleo reads it: ``2025-03-04T10:00:00Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
