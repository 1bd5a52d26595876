# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The setup sync's comparison with what Pleo holds: plain Python, no ORM.

``Remote`` indexes what Pleo has for one part, ``differs`` says whether a row needs an update,
``SyncStats`` counts one part's run; ``sync_hash`` fingerprints what was last sent.
"""

import hashlib
import json


def sync_hash(values):
    """A fingerprint of the values last sent, to see a change without asking Pleo."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def differs(remote, desired, keys):
    """Whether Pleo's ``remote`` row differs from the ``desired`` values in one of ``keys``."""
    for key in keys:
        mine, theirs = desired.get(key), remote.get(key)
        if isinstance(mine, float) or isinstance(theirs, float):
            if mine is None or theirs is None or abs(float(mine) - float(theirs)) > 1e-9:
                return True
        elif (mine or None) != (theirs or None):
            return True
    return False


def archived_in_pleo(row):
    """Whether Pleo holds ``row`` archived (an ``archived`` flag, or a vendor's state)."""
    return bool(row.get("archived")) or row.get("state") == "ARCHIVED"


class Remote:
    """What Pleo holds for one part, indexed by id and by the fields records are matched on."""

    def __init__(self, rows, *fields_):
        self.rows = rows
        self.by_id = {row["id"]: row for row in rows}
        self.index = {}
        for row in rows:
            for name in fields_:
                if row.get(name):
                    self.index.setdefault((name, row[name]), row)

    def match(self, record, *keys):
        """The row of ``record`` (by Pleo id), else the first found by ``(field, value)``."""
        if record and record.pleo_uuid in self.by_id:
            return self.by_id[record.pleo_uuid]
        for key in keys:
            if key[1] and key in self.index:
                return self.index[key]
        return None


class SyncStats:
    """Counts and failures of one part of one run, and the run's time slice."""

    def __init__(self, part, slice_=None):
        self.part = part
        self.slice_ = slice_
        self.created = self.updated = self.archived = 0
        self.failures = []  # (setup record or None, label, reason)
        self.problem = None  # why the part did not (fully) run

    def fail(self, record, label, reason):
        self.failures.append((record, label, reason))

    def step(self):
        """Before each record sent to Pleo: commit every few seconds, and stop (``SliceSpent``)
        where the cron's slice ends. The records kept so far are consistent with Pleo: each is
        written right after Pleo's answer."""
        if self.slice_ is not None:
            self.slice_.step()
