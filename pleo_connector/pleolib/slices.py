# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Work in the time slices Odoo's scheduler gives, one measured unit at a time.

Odoo 19 runs a cron callback in a slice of about ten seconds: ``ir.cron._commit_progress``
commits and returns the seconds left of it (0 once spent), and the scheduler calls the callback
again, in a fresh slice, for as long as it reports progress and work remaining. A multi-process
server also kills a cron that runs past ``limit_time_real_cron``. So a cron must cut its work into
units (a page of an export, a batch of checks, a record pushed to Pleo), commit after each, and
start a unit only when the slice can hold one more of the length measured so far.

:class:`TimeSlice` keeps that arithmetic in one place. The first unit of a slice always starts
(a unit longer than a whole slice still gets done), later ones only if they fit; a slice that is
spent before its first unit (the scheduler calling again after the time is up) starts nothing,
so that the next call gets a fresh slice instead of overrunning this one.
"""

import time
from contextlib import contextmanager

#: Seconds between two commits of a run made of many small units (records pushed to Pleo).
COMMIT_EVERY = 2.0


class SliceSpent(Exception):
    """Raised inside a unit of work to stop it cleanly where the slice ends."""


class TimeSlice:
    """The time left of one cron slice and the measured length of a unit of work.

    ``commit(processed, remaining)`` is the committing function (Odoo's
    ``ir.cron._commit_progress``); it returns the seconds left, which restarts the clock. Without
    ``commit`` (a person's button outside any cron), the slice is endless and commits nothing.
    """

    def __init__(self, commit=None, *, remaining=None, clock=time.monotonic):
        self._commit = commit
        self._clock = clock
        self.units = 0
        self.longest = 0.0
        self.processed = 0
        self.remaining = remaining
        self._end = float("inf")
        self.started = self._clock()
        self.given = float("inf")
        if commit is not None:
            self.given = commit(0, remaining=remaining)
            self._end = self._clock() + self.given
        self.fresh = self.left() > 0
        self._committed_at = self._clock()
        self._step_started = None

    def left(self):
        """Seconds left of the slice (``inf`` outside a cron)."""
        return self._end - self._clock()

    def report(self):
        """One line for the server log: the slice given, the time used, the units done."""
        return (
            f"{self.processed} units in {self._clock() - self.started:.1f} s of a "
            f"{self.given:.1f} s slice (longest unit {self.longest:.1f} s)"
        )

    def commit(self, processed=0, remaining=None):
        """Commit the work so far, count ``processed`` units of it and report ``remaining``
        (unchanged when not given); returns the seconds left."""
        self.processed += processed
        if remaining is not None:
            self.remaining = remaining
        if self._commit is None:
            return float("inf")
        left = self._commit(processed, remaining=self.remaining)
        self._committed_at = self._clock()
        self._end = self._committed_at + left
        return left

    def spent(self):
        """Whether no further unit may start: the slice cannot hold one more of the longest
        measured so far (never before the first unit of a fresh slice)."""
        if not self.fresh:
            return True
        return self.units > 0 and self.left() < self.longest

    @contextmanager
    def unit(self):
        """Measure one unit of work (its length sizes the next decision of :meth:`spent`)."""
        started = self._clock()
        try:
            yield
        finally:
            self.units += 1
            self.longest = max(self.longest, self._clock() - started)

    def check(self):
        """Raise :class:`SliceSpent` when no further unit may start."""
        if self.spent():
            raise SliceSpent()

    def step(self, commit_every=COMMIT_EVERY):
        """Between two small units of work (one record pushed to Pleo): measure the one that
        ended, commit every ``commit_every`` seconds, and raise :class:`SliceSpent` when the
        next one may not start. The caller's work since the last commit must be consistent."""
        now = self._clock()
        if self._step_started is not None:
            self.units += 1
            self.longest = max(self.longest, now - self._step_started)
        if self._commit is not None and now - self._committed_at >= commit_every:
            self.commit(1)
        self.check()
        self._step_started = self._clock()
