"""Tests of pleolib.slices: a cron's work cut into measured units that fit Odoo's time slices.

The clock is the test's, and the committing function stands for ``ir.cron._commit_progress``:
it records what was reported and answers the seconds left, as Odoo does.
"""

import pytest
from pleolib.slices import SliceSpent, TimeSlice


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Odoo:
    """``_commit_progress``: the slice ends at ``end`` on the clock; records each commit."""

    def __init__(self, clock, seconds=10.0):
        self.clock = clock
        self.end = clock.now + seconds
        self.commits = []

    def __call__(self, processed=0, *, remaining=None):
        self.commits.append((processed, remaining))
        return max(self.end - self.clock.now, 0.0)


def make(seconds=10.0, remaining=None):
    clock = Clock()
    odoo = Odoo(clock, seconds)
    return clock, odoo, TimeSlice(odoo, remaining=remaining, clock=clock)


def work(clock, slice_, seconds):
    with slice_.unit():
        clock.now += seconds
    slice_.commit(1)


def test_units_run_while_the_slice_holds_one_more_of_the_longest():
    clock, odoo, slice_ = make(10.0, remaining=3)
    done = 0
    while not slice_.spent() and done < 100:  # bounded: a broken slice fails, never hangs
        work(clock, slice_, 3.0)
        done += 1
    # 3 s units in a 10 s slice: three fit (9 s), a fourth would end at 12 s
    assert done == 3
    assert odoo.commits == [(0, 3), (1, 3), (1, 3), (1, 3)]


def test_the_first_unit_of_a_fresh_slice_always_starts_even_when_longer_than_the_slice():
    clock, _odoo, slice_ = make(10.0)
    assert not slice_.spent()
    work(clock, slice_, 25.0)
    assert slice_.spent()
    assert slice_.longest == 25.0


def test_a_slice_spent_before_its_first_unit_starts_nothing():
    """Odoo's runner calls a callback again after the slice is spent: no unit may start, so
    that the next call, with a fresh slice, does the work instead of overrunning this one."""
    _clock, _odoo, slice_ = make(0.0)
    assert not slice_.fresh
    assert slice_.spent()
    with pytest.raises(SliceSpent):
        slice_.check()


def test_commit_keeps_the_last_remaining_count_and_restarts_the_clock():
    clock, odoo, slice_ = make(10.0, remaining=5)
    clock.now += 4.0
    assert slice_.commit(2) == 6.0
    assert slice_.commit(1, remaining=2) == 6.0
    assert slice_.commit() == 6.0
    assert odoo.commits[1:] == [(2, 5), (1, 2), (0, 2)]
    assert slice_.processed == 3


def test_outside_a_cron_the_slice_is_endless_and_commits_nothing():
    clock = Clock()
    slice_ = TimeSlice(clock=clock)
    for _ in range(100):
        with slice_.unit():
            clock.now += 60.0
        assert slice_.commit(1) == float("inf")
    assert not slice_.spent()


def test_steps_commit_every_few_seconds_and_stop_where_the_slice_ends():
    """Small units (records pushed to Pleo): a commit every two seconds of work, and
    SliceSpent before the step that would not fit."""
    clock, odoo, slice_ = make(10.0, remaining=1)
    steps = 0
    with pytest.raises(SliceSpent):
        while steps < 1000:  # bounded: a broken slice fails, never hangs
            slice_.step()
            clock.now += 0.5
            steps += 1
    # 0.5 s steps in a 10 s slice: the 20th would end exactly at 10 s, the 21st cannot start
    assert steps == 20
    commits = odoo.commits[1:]
    assert 4 <= len(commits) <= 5, commits  # about one every 2 s
    assert all(processed == 1 and remaining == 1 for processed, remaining in commits)


def test_report_names_the_slice_the_time_and_the_units():
    clock, _odoo, slice_ = make(10.0)
    work(clock, slice_, 2.5)
    assert slice_.report() == "1 units in 2.5 s of a 10.0 s slice (longest unit 2.5 s)"
