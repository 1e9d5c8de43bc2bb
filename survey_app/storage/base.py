"""What every storage module shares: errors, token hashing, the write transaction.

Kept apart so that each concern's module (pulses, roster, responses, users,
export) imports one small base instead of one another, and so that the one
way of writing — ``BEGIN IMMEDIATE`` … ``COMMIT`` or ``ROLLBACK`` — exists once.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from analysis.instrument import ROLE_LEVELS, SEGMENTS


class StorageError(Exception):
    """A request the storage layer refuses; the message says why."""


class UnknownPulse(StorageError):
    """No pulse has the given slug."""

    def __init__(self, slug: str):
        self.slug = slug
        super().__init__(f"no survey with slug '{slug}'")


class AlreadyAnswered(StorageError):
    """The invitation has already been used to submit a response."""


class PulseNotOpen(StorageError):
    """The pulse exists but does not accept responses (draft or closed)."""

    def __init__(self, slug: str, status: str):
        self.slug = slug
        self.status = status
        super().__init__(f"survey '{slug}' is {status}, not open for responses")


def hash_token(token: str) -> str:
    """SHA-256 hex digest of an invitation token.

    Tokens carry 192 random bits, so a plain (unsalted) hash cannot be
    reversed by guessing, and it lets the database find an invitation without
    ever holding the link itself.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction that takes the write lock before it reads.

    ``BEGIN IMMEDIATE`` rather than SQLite's default deferred start: a
    transaction that reads (is this token unused?) and then writes would
    otherwise fail with "database is locked" when another writer got there
    in between, instead of waiting its turn. On PostgreSQL the transaction
    takes an advisory lock first, to the same effect. Everything inside
    commits together or, on any exception, not at all.
    """
    if db.conn.in_transaction:
        raise RuntimeError("write_transaction() cannot be nested inside another transaction")
    postgres = getattr(db, "engine", "sqlite") == "postgresql"
    queue = None
    if postgres:
        # The same one-writer-at-a-time rule (survey_app.pg.PgDatabase.begin_write).
        db.begin_write()
    else:
        queue = _writer_queue(db)
    try:
        if not postgres:
            db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
    finally:
        if queue is not None:
            fcntl.flock(queue, fcntl.LOCK_UN)


#: Open lock files by (process, database file): one open file per process,
#: so threads of a process share it (they never wait on each other here, and
#: SQLite's own lock still keeps them apart), and a forked worker opens its
#: own instead of sharing its parent's lock.
_QUEUES: dict[tuple[int, str], int] = {}
#: Longest wait for the queue before leaving the wait to SQLite's busy
#: handler (and its timeout), in seconds.
_QUEUE_WAIT = 15.0


def _writer_queue(db: sqlite_utils.Database) -> int | None:
    """Wait for the SQLite writers' queue: an ``flock`` on ``<database>.writers``.

    Held from before ``BEGIN IMMEDIATE`` until the commit. SQLite's busy
    handler sleeps 1, 2, 5, 10 ms ... between tries, so a writer waiting for
    a lock held about a millisecond oversleeps it many times over (58 % of the
    survey workers' wall time under load, docs/benchmarks.md); a lock file
    lets it in as soon as the writer before it is done. The lock file only
    orders the app's own writers: the transaction is still SQLite's, so
    correctness never depends on it. Polled (never more than 0.5 ms apart)
    rather than blocking, so a stuck writer cannot make the others wait
    beyond :data:`_QUEUE_WAIT`. Returns the locked file, or ``None`` (an
    in-memory database, or the wait given up).
    """
    path = getattr(db, "_trinity_file", None)
    if path is None:
        path = db.execute("PRAGMA database_list").fetchone()[2] or ""
        db._trinity_file = path
    if not path:
        return None
    key = (os.getpid(), path)
    queue = _QUEUES.get(key)
    if queue is None:
        # Owner-only, like the database beside it (survey_app.files).
        queue = os.open(path + ".writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        queue = _QUEUES.setdefault(key, queue)
    deadline = time.monotonic() + _QUEUE_WAIT
    pause = 0.00005
    while True:
        try:
            fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return queue
        except BlockingIOError:
            if time.monotonic() > deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.0005)


def renew_export_epoch(db: sqlite_utils.Database, slug: str) -> None:
    """Forget the pulse's kept export for good (``storage.export_cache``),
    inside the caller's write transaction.

    For the writes that change published rows without publishing a snapshot
    (closing merges them over the respondents, adding people may merge
    groups): the new random epoch is part of every later export's key, so
    no export built before, even one racing this write, is served again.
    Here rather than in ``export_cache`` because the roster calls it, and
    the export reads the roster.
    """
    db.execute("DELETE FROM export_cache WHERE pulse_slug = ?", [slug])
    db.execute("DELETE FROM export_cache_epochs WHERE pulse_slug = ?", [slug])
    db.execute("INSERT INTO export_cache_epochs (pulse_slug, epoch) VALUES (?, ?)",
               [slug, secrets.token_hex(16)])


def is_missing(value: Any) -> bool:
    """None, NaN or blank text: no answer, for a segment or an item alike.

    Not :func:`analysis.text.is_missing`: that one counts blank text as an
    answer, and importing :mod:`analysis.text` would load NLTK and
    scikit-learn (over a second) into the web app.
    """
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def check_role_level(value: Any, where: str) -> None:
    """Refuse a role level the instrument model does not know."""
    if value is not None and value not in ROLE_LEVELS:
        raise StorageError(
            f"{where}: unknown role_level {value!r} (expected one of {', '.join(ROLE_LEVELS)})"
        )


def clean_segment(value: Any, where: str, segment: str) -> str | None:
    """A segment value as stored: stripped text, or ``None`` for not given."""
    if is_missing(value):
        return None
    if not isinstance(value, str):
        raise StorageError(f"{where}: {segment} must be text, got {value!r}")
    value = value.strip()
    if segment == "role_level":
        check_role_level(value, where)
    return value


def checked_columns(names) -> tuple[str, ...]:
    """``names`` as a tuple, each one a segment column of analysis.instrument.SEGMENTS.

    The one way a name reaches SQL text: breakdowns are read back from the
    pulse's row (written by the app, but a database file can be edited), so
    they are checked each time they name a column, and with a real error
    (an ``assert`` vanishes under ``python -O``). Values always go in as
    parameters; tests/test_sql_strings.py fails on SQL built any other way.
    """
    names = tuple(names)
    unknown = [n for n in names if n not in SEGMENTS]
    if unknown:
        raise StorageError(f"not a segment column: {', '.join(map(repr, unknown))}")
    return names


def breakdowns_of(row) -> tuple[str, ...]:
    """A pulse row's reporting breakdowns, checked (see :func:`checked_columns`)."""
    return checked_columns(v for v in row["breakdowns"].split(",") if v)
