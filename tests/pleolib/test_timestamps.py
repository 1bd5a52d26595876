"""Pleo's timestamps are read in one place (``pleolib.timestamps``) and written in one format."""

import datetime

import pytest
from pleolib import timestamps
from pleolib.export_api import item_update

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T10:00:00Z", datetime.datetime(2025, 3, 4, 10, 0, tzinfo=UTC)),
        ("2025-03-04T10:00:00.123456789Z", datetime.datetime(2025, 3, 4, 10, 0, 0, 123456, UTC)),
        ("2025-03-04T10:00+01:00", datetime.datetime(2025, 3, 4, 9, 0, tzinfo=UTC)),
        ("2025-03-04 23:30:00-0130", datetime.datetime(2025, 3, 5, 1, 0, tzinfo=UTC)),
        ("2025-03-04T10:00:00", datetime.datetime(2025, 3, 4, 10, 0, tzinfo=UTC)),
        ("2025-03-04", None),
        ("2025-02-30T10:00:00Z", None),
        ("soon", None),
        (None, None),
        (20250304, None),
    ],
)
def test_parse(text, expected):
    assert timestamps.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T10:00:00+02:00", datetime.datetime(2025, 3, 4, 8, 0)),
        ("2025-03-04", datetime.datetime(2025, 3, 4)),
        ("2025-13-04", None),
        ("", None),
        (None, None),
    ],
)
def test_what_odoo_stores_is_naive_utc(text, expected):
    stored = timestamps.to_odoo(text)
    assert stored == expected
    assert stored is None or stored.tzinfo is None


def test_odoo_writes_one_format_and_reads_it_back():
    moment = datetime.datetime(
        2025, 3, 4, 11, 0, 0, 987000, datetime.timezone(datetime.timedelta(hours=1))
    )
    text = timestamps.format_utc(moment)
    assert text == "2025-03-04T10:00:00Z"
    assert timestamps.format_utc(moment.astimezone(UTC).replace(tzinfo=None)) == text
    assert timestamps.parse(text) == moment.replace(microsecond=0)
    body = item_update("e1", "successful", exported_at=moment, external_id="7")
    assert body == {
        "accountingEntryId": "e1",
        "status": "successful",
        "exportedAt": text,
        "externalId": "7",
    }
