"""The app's database connection, and the runner of its migrations.

One connection per request, cached on :data:`flask.g` (the pattern of the
Flask tutorial's ``flaskr/db.py``; a SQLite file's is then kept for the
thread's next request, :func:`get_db`), wrapped as a :class:`sqlite_utils.Database`
so that the storage layer and Datasette see the same plain tables.

The schema is built by an ordered list of migrations, each a plain function
(:mod:`survey_app.schema`), recorded in ``schema_migrations``. :func:`migrate` applies the missing ones in
order inside one ``BEGIN IMMEDIATE`` transaction, so two processes starting at
once cannot both apply the same step, and a populated database keeps every row.
The tables and the anonymity guarantees are documented in ``docs/schema.md``.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
import weakref
from datetime import date

import sqlite_utils

from analysis.engines import is_postgres
from survey_app.files import secure_database
# The steps live in survey_app.schema; migrate() reads MIGRATIONS here (where
# tests extend it), and SCHEMA_VERSION is the one the commands print.
from survey_app.schema import MIGRATIONS, SCHEMA_VERSION  # noqa: F401

#: How long a writer waits for another writer's lock before giving up, in ms.
#: Submitting a survey holds the write lock for a few milliseconds, so a burst
#: of submissions queues up well inside this.
BUSY_TIMEOUT_MS = 15_000
#: The statement that sets it (storage/wal.py restores it after a checkpoint).
BUSY_TIMEOUT_PRAGMA = f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"


def connect(path: str | os.PathLike) -> sqlite_utils.Database:
    """Open the database at ``path`` the way the whole app expects it.

    A ``postgresql://`` URL instead opens a pooled PostgreSQL connection with
    the same API (:class:`survey_app.pg.PgDatabase`); everything below is
    about SQLite files.

    Usable without Flask (tests, the demo generator, scripts). The connection
    gets WAL journaling, so readers (reports, Datasette, the analysis loader)
    never block survey submissions, a busy timeout, so concurrent writers wait
    instead of failing, enforced foreign keys, and ``synchronous=NORMAL``
    (see the note in the body and ``docs/schema.md``).

    Parameters
    ----------
    path : str or path-like
        The SQLite file; it and its folder are created if missing, readable
        by their owner only (``survey_app.files``). ``":memory:"``
        gives a private in-memory database (no WAL there).

    Returns
    -------
    sqlite_utils.Database
    """
    if is_postgres(path):
        from survey_app.pg import PgDatabase

        return PgDatabase(path)
    path = str(path)
    if path != ":memory:":
        # Owner-only database, WAL and SHM, whatever the umask (files.py).
        secure_database(path)
    conn = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=False,
    )
    db = sqlite_utils.Database(conn)
    db.execute(BUSY_TIMEOUT_PRAGMA)
    db.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        db.enable_wal()
        # In WAL mode NORMAL still never corrupts the file; only a power cut
        # or OS crash can lose the last few commits, and then the response and
        # its spent invitation are lost together (one transaction), so the
        # person can simply answer again. FULL costs ~10x per submission.
        db.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows (erased emails, deleted pulses) are zeroed, not left
        # in free pages; the WAL policy is storage/wal.py's.
        db.execute("PRAGMA secure_delete = ON")
    return db


# --------------------------------------------------------------------------
# Migrations
# --------------------------------------------------------------------------




def _ensure_migrations_table(db: sqlite_utils.Database) -> None:
    # Looked up first: on PostgreSQL the app's role may not create tables
    # (docs/deploy.md), and CREATE ... IF NOT EXISTS would still need the right.
    if "schema_migrations" in db.table_names():
        return
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_on TEXT NOT NULL
        )
        """
    )


def applied_migrations(db: sqlite_utils.Database) -> list[int]:
    """Versions already applied to ``db``, ascending (empty for a new file)."""
    if "schema_migrations" not in db.table_names():
        return []
    return [
        row["version"]
        for row in db.query("SELECT version FROM schema_migrations ORDER BY version")
    ]


def schema_version(db: sqlite_utils.Database) -> int:
    """The highest applied migration, 0 for an empty database."""
    applied = applied_migrations(db)
    return applied[-1] if applied else 0


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply the missing migrations in order; return the versions applied.

    Everything happens in one write transaction (``BEGIN IMMEDIATE``; on
    PostgreSQL the same advisory write lock, ``storage.base``): the write lock
    is taken before the applied versions are read, so concurrent callers
    serialise and the second one finds nothing left to do; any failure rolls
    the whole step back and the database stays at its previous version.
    Existing rows are never touched by re-running it.
    """
    from survey_app.storage.base import write_transaction

    if db.conn.in_transaction:
        raise RuntimeError("migrate() must be called outside a transaction")
    with write_transaction(db):
        _ensure_migrations_table(db)
        done = set(applied_migrations(db))
        newly = []
        for version, name, step in MIGRATIONS:
            if version in done:
                continue
            step(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_on) VALUES (?, ?, ?)",
                [version, name, date.today().isoformat()],
            )
            newly.append(version)
    return newly


# --------------------------------------------------------------------------
# Flask glue
# --------------------------------------------------------------------------


def get_db() -> sqlite_utils.Database:
    """The request's database connection, opened on first use.

    A SQLite file's connection is kept for the next request of the same
    process and thread (:func:`_kept_connection`): opening one (the file, its
    WAL index, the pragmas) was a quarter of a form page's CPU. PostgreSQL's
    connections come from its pool (``survey_app.pg``); ``:memory:`` stays
    one database per request.

    The schema is brought up to date the first time each process opens a
    given database file, so a fresh checkout works after ``init-db`` or even
    without it, and an upgraded app migrates an old file on its own.
    """
    from flask import current_app, g

    if "db" not in g:
        path = current_app.config["DATABASE"]
        if is_postgres(path) or str(path) == ":memory:":
            db = connect(path)
        else:
            db = _kept_connection(current_app, str(path))
        migrated = current_app.extensions.setdefault("trinity_migrated", set())
        if path not in migrated:
            migrate(db)
            migrated.add(path)
        g.db = db
    return g.db


#: Every kept connection, so the process closes its own at exit.
_KEPT: weakref.WeakSet = weakref.WeakSet()


def _kept_connection(app, path: str) -> sqlite_utils.Database:
    """This thread's connection to ``path``, opened on first use.

    Kept in a thread-local of the app, so a finished thread's connections go
    with it and an app dropped by a test closes its own. Keyed by process
    too: a connection must never cross a ``fork`` (SQLite's locks are the
    process's), so a gunicorn worker opens its own after forking even if
    the master had one.
    """
    local = app.extensions.setdefault("trinity_connections", threading.local())
    kept = getattr(local, "kept", None)
    if kept is None:
        kept = local.kept = {}
    key = (os.getpid(), path)
    db = kept.get(key)
    if db is None:
        db = kept[key] = connect(path)
        db._trinity_pid = key[0]
        _KEPT.add(db)
    return db


@atexit.register
def _close_kept() -> None:
    for db in list(_KEPT):
        if getattr(db, "_trinity_pid", None) == os.getpid():
            db.close()


def close_db(e: BaseException | None = None) -> None:
    """End the request's use of its connection: a kept one is left with no
    transaction open (whatever a failed request began is rolled back), any
    other is closed."""
    from flask import g

    db = g.pop("db", None)
    if db is None:
        return
    if getattr(db, "_trinity_pid", None) == os.getpid():
        if db.conn.in_transaction:
            db.conn.rollback()
    else:
        db.close()


def init_app(app) -> None:
    """Register teardown and the ``flask`` CLI commands with ``app``."""
    from survey_app.commands import register_commands

    url = app.config.get("DATABASE_URL")
    if url:
        if not is_postgres(url):
            raise RuntimeError(f"DATABASE_URL must be a postgresql:// URL, got {url!r}")
        app.config["DATABASE"] = url
    app.teardown_appcontext(close_db)
    register_commands(app)
