"""``flask backup FILE``: one self-contained copy, without history.

Copying ``trinity.sqlite3`` (and its ``-wal``) with ``cp`` while the app runs
copies more than the data: the WAL's frames, which pair each spent invitation
with its response (``storage.wal``), and the free pages where deleted rows
(a deleted pulse's comments, erased roster emails) can linger. ``VACUUM
INTO`` instead writes a new database from the live rows of one consistent
snapshot: no WAL, no free pages, nothing deleted. ``secure_delete`` is set
on the connection first, so the pages SQLite frees while it works are
zeroed too. The copy is created readable by its owner only
(:mod:`analysis.files`), written beside its final name and renamed into
place, so a half-written backup never carries the final name.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlite_utils

from analysis import files
from survey_app.storage.base import StorageError


def backup_database(db: sqlite_utils.Database, destination: str | os.PathLike) -> Path:
    """Write a compacted, history-free copy of ``db`` to ``destination``.

    Refuses to overwrite an existing file. Returns the path written; the
    copy has passed ``PRAGMA integrity_check``.

    Raises
    ------
    StorageError
        The destination exists, or the copy failed its integrity check.
    """
    if getattr(db, "engine", "sqlite") != "sqlite":
        raise StorageError("this database is on PostgreSQL: back it up with pg_dump "
                           "(docs/deploy.md, \"Backups\")")
    destination = Path(destination)
    if destination.exists():
        raise StorageError(f"{destination} already exists; choose a new file name")
    files.make_private_dir(destination.parent)
    partial = destination.with_name(destination.name + ".partial")
    # An empty file of ours, so VACUUM INTO fills it with our private mode.
    with files.open_private(partial, "wb"):
        pass
    try:
        db.execute("PRAGMA secure_delete = ON")
        db.execute("VACUUM INTO ?", [str(partial)])
        check = sqlite_utils.Database(str(partial))
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
            # A plain rollback-journal file: opening the copy never starts a WAL.
            check.execute("PRAGMA journal_mode = DELETE")
        finally:
            check.close()
        if verdict != "ok":
            raise StorageError(f"the backup failed its integrity check: {verdict}")
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return destination
