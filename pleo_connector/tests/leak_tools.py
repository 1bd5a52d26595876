# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Tools of the leak hunt: find a secret in any text, every log record, every table.

:class:`LeakHunter` finds a key (or enough of it to matter) in a text; :func:`capture_every_log`
keeps every log record of every logger; :func:`database_texts` gives every row of every table as
text, :func:`table_counts` their row counts.
"""

import base64
import logging
from contextlib import contextmanager

from odoo.tools import SQL

from ..pleolib import redaction


class LeakHunter:
    """Finds a secret in text: the secret itself or any ``WINDOW`` consecutive characters of it.

    Each key is hunted in three forms: as typed, as the base64 of ``"<key>:"`` (what a Basic
    ``Authorization`` header carries) and as hexadecimal (how PostgreSQL prints ``bytea``). A
    manager may see ``key_hint`` (``••••`` + the last 4 characters): 4 < ``WINDOW``, so it never
    counts as a hit. Every occurrence of a secret of at least ``WINDOW`` characters contains one
    of the secret's aligned blocks of ``WINDOW // 2`` characters; the hunt looks for those
    blocks with ``str.find`` and measures each candidate, so a whole database is searched fast.
    """

    WINDOW = 8

    def __init__(self, *keys):
        self.forms = []
        for key in keys:
            self.add(key)

    def add(self, key):
        """Hunt ``key`` (and its Basic-auth and hexadecimal forms) too; return it."""
        basic = base64.b64encode(f"{key}:".encode()).decode("ascii")
        for label, text, window in (
            ("key", key, self.WINDOW),
            ("base64 key:", basic, self.WINDOW),
            ("hex key", key.encode().hex(), 2 * self.WINDOW),
        ):
            if (label, text, window) not in self.forms:
                self.forms.append((label, text, window))
        return key

    def find(self, text):
        """``[(label, start, length)]`` of every run of ``text`` long enough to reveal a secret."""
        found = {}
        for label, secret, window in self.forms:
            if len(secret) < window:
                if secret in text:
                    found[label, text.find(secret)] = len(secret)
                continue
            step = window // 2
            for start in range(0, len(secret) - step + 1, step):
                block = secret[start : start + step]
                position = text.find(block)
                while position != -1:
                    left = 0
                    while (
                        left < start
                        and left < position
                        and text[position - left - 1] == secret[start - left - 1]
                    ):
                        left += 1
                    right = 0
                    end = start + step
                    while (
                        end + right < len(secret)
                        and position + step + right < len(text)
                        and text[position + step + right] == secret[end + right]
                    ):
                        right += 1
                    if left + step + right >= window:
                        found[label, position - left] = left + step + right
                    position = text.find(block, position + 1)
        return [(label, start, length) for (label, start), length in sorted(found.items())]

    def hits(self, where, text):
        """Human-readable descriptions of the hits in ``text`` (found at ``where``)."""
        if not isinstance(text, str):
            text = repr(text)
        return [
            f"{where}: {label} ({length} chars) in {text[max(0, at - 80) : at + length + 80]!r}"
            for label, at, length in self.find(text)
        ]


class _EveryRecord(logging.Handler):
    """The handler of :func:`capture_every_log`: keeps each record's formatted text."""

    def __init__(self, records):
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record):
        try:
            self.records.append(self.format(record))
        except Exception as error:  # a broken record must not hide what it carried
            self.records.append(f"{record.name} UNFORMATTED {record.msg!r} {record.args!r} {error}")


@contextmanager
def capture_every_log(redact=True):
    """Capture every log record of every logger at DEBUG, formatted with its traceback.

    Every existing logger is lowered to DEBUG (Odoo's test settings raise ``odoo``,
    ``werkzeug`` and others), disabled loggers are re-enabled, and
    loggers that do not propagate get the handler too. With ``redact`` the handler carries the
    connector's redaction filter, as every production handler does (``redaction.install``);
    without it the handler shows what the code itself logs. Yields the list of texts.
    """
    records = []
    handler = _EveryRecord(records)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s [%(threadName)s] %(message)s"))
    if redact:
        handler.addFilter(redaction.FILTER)
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    saved = {logger: (logger.level, logger.disabled) for logger in loggers}
    disabled_level = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    isolated = [logger for logger in loggers if not logger.propagate]
    # The console and other handlers keep printing warnings and errors only.
    quieted = {other: other.level for other in root.handlers if not isinstance(other, _EveryRecord)}
    for other in quieted:
        other.setLevel(max(other.level, logging.WARNING))
    # First among the root's handlers: no other handler's filter has touched a record yet.
    root.handlers.insert(0, handler)
    for logger in isolated:
        logger.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        for other, level in quieted.items():
            other.setLevel(level)
        for logger in isolated:
            logger.removeHandler(handler)
        for logger, (level, disabled) in saved.items():
            logger.setLevel(level)
            logger.disabled = disabled
        logging.disable(disabled_level)


def database_tables(cr):
    """The names of every table of the database's public schema."""
    cr.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [name for (name,) in cr.fetchall()]


def database_texts(cr):
    """``(where, text)`` of every table: each row cast to text, every column of any type.

    Runs on ``cr``, so it sees that transaction's uncommitted rows (a TransactionCase's data is
    invisible to ``pg_dump``). ``row::text`` covers text, varchar, jsonb (translations, json
    fields, properties), html and bytea (printed in hexadecimal) columns alike.
    """
    for table in database_tables(cr):
        cr.execute(SQL("SELECT t::text FROM %s t", SQL.identifier(table)))
        yield f"table {table}", "\n".join(row for (row,) in cr.fetchall())


def table_counts(cr):
    """``{table: row count}`` of every table."""
    counts = {}
    for table in database_tables(cr):
        cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
        counts[table] = cr.fetchone()[0]
    return counts
