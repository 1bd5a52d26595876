"""The setup sync's comparison with what Pleo holds (``pleolib.setup_diff``), without Odoo."""

from types import SimpleNamespace

import pytest
from pleolib.setup_diff import Remote, SyncStats, archived_in_pleo, differs, digest
from pleolib.slices import SliceSpent, TimeSlice


def test_digest_is_stable_and_sensitive():
    assert digest({"a": 1, "b": "x"}) == digest({"b": "x", "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})
    assert len(digest({"when": object()})) == 64  # any value: str() of it


@pytest.mark.parametrize(
    ("remote", "desired", "changed"),
    [
        ({"code": "6810"}, {"code": "6810"}, False),
        ({"code": "6810"}, {"code": "6820"}, True),
        ({"name": None}, {"name": ""}, False),  # "none" written apart
        ({}, {"name": False}, False),
        ({"rate": 0.25}, {"rate": 0.25 + 1e-12}, False),
        ({"rate": 0.25}, {"rate": 0.12}, True),
        ({"rate": None}, {"rate": 0.25}, True),
        ({"rate": 0.25}, {}, True),
        ({"other": "x"}, {"other": "y"}, False),  # not a compared key
    ],
)
def test_differs(remote, desired, changed):
    assert differs(remote, desired, ("code", "name", "rate")) is changed


@pytest.mark.parametrize(
    ("row", "archived"),
    [
        ({"archived": True}, True),
        ({"state": "ARCHIVED"}, True),
        ({"state": "ACTIVE"}, False),
        ({}, False),
    ],
)
def test_archived_in_pleo(row, archived):
    assert archived_in_pleo(row) is archived


def test_remote_matches_by_pleo_id_then_by_the_first_key_found():
    rows = [
        {"id": "p1", "externalId": "7", "code": "6810"},
        {"id": "p2", "externalId": None, "code": "6820"},
        {"id": "p3", "externalId": "9", "code": "6820"},  # a second row of one code
    ]
    remote = Remote(rows, "externalId", "code")
    kept = SimpleNamespace(pleo_uuid="p3")
    assert remote.match(kept, ("code", "6810")) is rows[2]
    gone = SimpleNamespace(pleo_uuid="deleted-in-pleo")
    assert remote.match(gone, ("externalId", "7"), ("code", "6820")) is rows[0]
    assert remote.match(None, ("externalId", None), ("code", "6820")) is rows[1]
    assert remote.match(None, ("externalId", "8"), ("code", "6899")) is None
    assert remote.by_id["p2"] is rows[1]


def test_sync_stats_count_fail_and_step_within_the_slice():
    stats = SyncStats("accounts")
    stats.fail(None, "6810 Meals", "refused")
    stats.step()  # no slice: never stops
    assert (stats.created, stats.updated, stats.archived) == (0, 0, 0)
    assert stats.failures == [(None, "6810 Meals", "refused")]
    now = [0.0]
    spent = TimeSlice(lambda processed, remaining=None: 1.0, clock=lambda: now[0])
    stats = SyncStats("tags", spent)
    stats.step()  # the first record always starts
    now[0] = 5.0  # it took 5 s, and 1 s is left: the next one may not start
    with pytest.raises(SliceSpent):
        stats.step()
