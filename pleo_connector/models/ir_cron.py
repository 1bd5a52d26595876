# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A person's press runs a Pleo cron as the scheduler runs it, and the run knows who pressed.

"Run manually" on a scheduled action, "Fetch exports now" and "Sync setup to Pleo" all go through
``ir.cron.method_direct_trigger``: Odoo runs the job in the request's thread but in a cursor and
a time slice of its own, exactly as the scheduler would. The run must know that a person started
it (a manual health check checks every connection; a press books only the pressed companies and
says what it did), but nothing written in the request's transaction is visible to the job's
cursor, and a row the request wrote stays locked until the request ends: the job would wait on
it. So the press travels in a context variable of the thread (:data:`PRESS`), never in the
database, and the job hands its report back the same way.
"""

import contextvars
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from odoo import fields, models
from odoo.exceptions import UserError

from ..const import CRON_XMLID
from ..pleolib.slices import TimeSlice

_logger = logging.getLogger(__name__)

_INTERVALS = {
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
    "weeks": timedelta(weeks=1),
    "months": timedelta(days=28),
}
#: The press being run in this thread, if any (set around ``method_direct_trigger``).
PRESS = contextvars.ContextVar("pleo_connector_press", default=None)


@dataclass
class Tally:
    """What a run did, for the person who pressed: counts by kind, and reasons it could not."""

    counts: Counter = field(default_factory=Counter)
    reasons: list = field(default_factory=list)
    #: Lines of a summary to show as they are (a setup sync's report per company).
    lines: list = field(default_factory=list)

    def __getitem__(self, kind):
        return self.counts[kind]

    def add(self, kind, count=1):
        self.counts[kind] += count

    def fail(self, reason):
        self.counts["errors"] += 1
        if reason and reason not in self.reasons:
            self.reasons.append(reason)


@dataclass
class Press:
    """What a person asked of a cron run, and what the run reports back."""

    cron_xmlid: str
    #: The connections pressed for (``None``: every connection, as "Run manually").
    connection_ids: list | None
    started: datetime = field(default_factory=fields.Datetime.now)
    #: The pressed connections the run took its turn for (each once per press).
    done: set = field(default_factory=set)
    #: What the run did for the person, filled by the cron's callback.
    tally: Tally = field(default_factory=Tally)
    #: What the run returns to the person beyond counts (a report of its own making).
    result: dict = field(default_factory=dict)
    #: Whether the run got to start (False: the scheduler was running the cron already).
    ran: bool = False
    #: The language of the person who pressed: what the run writes, they read now.
    lang: str | None = None


def due_before(cron):
    """Work last done before this moment is due again in ``cron``'s current round: ~90 % of
    its interval ago (a month counted as its shortest), so that a run starting a little early
    still takes what the previous round did."""
    interval = max(cron.interval_number, 1) * _INTERVALS.get(cron.interval_type, timedelta(days=1))
    return fields.Datetime.now() - 0.9 * interval


def press_domain(press):
    """The pressed connections still waiting for their turn in this press."""
    return [("id", "in", [i for i in press.connection_ids if i not in press.done])]


def pressed(cron_xmlid):
    """The press of ``cron_xmlid`` this thread is running, else ``None`` (the scheduler's run).

    Asked by the cron's callback, so asking also records that the press got its run."""
    press = PRESS.get()
    if press is None or press.cron_xmlid != cron_xmlid:
        return None
    press.ran = True
    return press


def run_due_connections(model, cron_xmlid, due_domain, order, turn):
    """The loop of a Pleo cron that works company by company, in Odoo's time slice.

    ``due_domain(press)`` is the domain of the connections due now (a person's press: the
    pressed ones, each once); ``turn(connection, slice_, tally)`` does one connection's work
    in the language of who reads what it writes (the presser's, else the company's Pleo
    managers': never the cron user's, see ``_readers_lang``),
    never raises, and leaves it due when the slice ended half-way. One connection at a time,
    longest waiting first (``order``), while the slice lasts; after each, the progress and the
    connections still due are committed, so that Odoo's runner calls again. When work is left,
    the scheduler is woken for the next slice (without this, Odoo's threaded cron sleeps up to a
    minute in between). Returns ``(press, tally, connections still due)``.
    """
    press = pressed(cron_xmlid)
    Connection = model.sudo()
    remaining = Connection.search_count(due_domain(press))
    slice_ = TimeSlice(model.env["ir.cron"]._commit_progress, remaining=remaining)
    tally = press.tally if press else Tally()
    while remaining and not slice_.spent():
        connection = Connection.search(due_domain(press), order=order, limit=1)
        if press:
            press.done.add(connection.id)
        lang = press.lang if press and press.lang else connection._readers_lang()
        turn(connection.with_context(lang=lang), slice_, tally)
        remaining = Connection.search_count(due_domain(press))
        slice_.commit(1, remaining=remaining)
    _logger.info("%s: %s; %s companies still due", cron_xmlid, slice_.report(), remaining)
    if press and not remaining:
        # Odoo moves the cron's next run an interval away after a press: the companies due
        # for the scheduler meanwhile are not kept waiting that long.
        remaining = Connection.search_count(due_domain(None))
    if remaining:
        model.env.ref(cron_xmlid)._trigger()
        slice_.commit()
    return press, tally, remaining


class IrCron(models.Model):
    _inherit = "ir.cron"

    def method_direct_trigger(self):
        """ "Run manually" on the Pleo health check: the run checks every connection."""
        if PRESS.get() is None and self == self.env.ref(CRON_XMLID, raise_if_not_found=False):
            token = PRESS.set(Press(CRON_XMLID, None))
            try:
                return super().method_direct_trigger()
            finally:
                PRESS.reset(token)
        return super().method_direct_trigger()

    def _pleo_press(self, connection_ids):
        """Run this cron now for ``connection_ids``, as the scheduler would; return the
        :class:`Press` with the run's report (``ran`` False when the cron was running already:
        it is then triggered to run again as soon as it is done)."""
        self.ensure_one()
        xmlid = self.get_external_id()[self.id]
        press = Press(xmlid, list(connection_ids), lang=self.env.lang or self.env.user.lang)
        token = PRESS.set(press)
        try:
            self.sudo().method_direct_trigger()
        except UserError:  # the scheduler is running it right now
            self.sudo()._trigger()
        finally:
            PRESS.reset(token)
        return press
