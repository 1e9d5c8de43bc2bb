"""The checkpoint policy: a submission's frames leave the write-ahead log at once.

In WAL mode a commit is appended to ``<db>-wal`` and copied into the
database file only at a checkpoint (by default once the log reaches 1000
pages). Each submission's frames hold the invitation page with its token
hash just set to ``used = 1`` *and* the page with the new response, side by
side: a copy of the files taken before the checkpoint pairs them, and the
token hash leads to the invitation's roster segments and, while the pulse
is open, its email (``invitation_contacts``). Frames of the main file are
not in commit order, so once the log is empty that pairing is gone.

Policy (``docs/security.md``, "The write-ahead log and backups"): after each
submission commits, :func:`checkpoint_now` runs ``wal_checkpoint(TRUNCATE)``
with the busy timeout switched off. When nobody is reading, the log is
copied into the database and cut to zero bytes. When a reader is in the
middle of a read, SQLite cannot reset the log under it: the checkpoint copies
what it can and returns at once (it never waits), and the next submission,
or the last connection's close, empties the log instead. So the pairing
lasts no longer than the longest read transaction, and a submission is never
held up by a reader.
"""

from __future__ import annotations

import os

import sqlite_utils

from survey_app.db import BUSY_TIMEOUT_PRAGMA


def checkpoint_now(db: sqlite_utils.Database) -> tuple[int, int, int]:
    """Empty the WAL if no reader needs it, without waiting for anyone.

    Returns SQLite's ``(busy, log_frames, checkpointed_frames)``: ``busy``
    is 1 when a reader or another writer kept the log from being reset.
    Must be called outside a transaction; a no-op for a database not in WAL
    mode (``:memory:``).
    """
    if db.conn.in_transaction:
        raise RuntimeError("checkpoint_now() must be called after the commit")
    if getattr(db, "engine", "sqlite") != "sqlite":
        # PostgreSQL's own WAL is the server's business (docs/privacy.md).
        return (0, 0, 0)
    db.execute("PRAGMA busy_timeout = 0")
    try:
        row = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.execute(BUSY_TIMEOUT_PRAGMA)
    return tuple(row)


def wal_bytes(db: sqlite_utils.Database) -> int:
    """Size of the database's ``-wal`` file in bytes (0 when there is none)."""
    if getattr(db, "engine", "sqlite") != "sqlite":
        return 0
    path = db.execute("PRAGMA database_list").fetchone()[2]
    try:
        return os.path.getsize(path + "-wal") if path else 0
    except FileNotFoundError:
        return 0
