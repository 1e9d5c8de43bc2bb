"""Build a large pulse's report outside the request that needs it, one build at a time.

Why: the leaders' report of a pulse of 100,000 responses takes 35-44 s to
build (``docs/benchmarks.md``, "The reports at scale"), longer than a
gunicorn worker may spend on one request (30 s by default). Built inside the
request, the worker is killed mid-build, nothing is stored, and the next
view starts over: the report would never appear. So a snapshot of a large
pulse (``REPORT_INLINE_MAX_RESPONSES``) is built by a background thread
while the pages show the previous snapshot's report, or, before the first
one, a page that says it is being prepared and asks to be reloaded in a
minute (a 503 with Retry-After; no timed reload, which would take the page
from under a screen reader).

One build at a time per database: an ``flock`` on ``<database>.reports``
for a SQLite file (one machine), a session-level advisory lock for
PostgreSQL (every app server). Both are released when their holder ends,
even if it dies mid-build, so no lock outlives a killed worker.
"""

from __future__ import annotations

import fcntl
import os
import threading

#: The advisory lock key of report builds on PostgreSQL ("TRRP"); distinct
#: from the write lock's (``survey_app.pg.WRITE_LOCK_KEY``).
BUILD_LOCK_KEY = 0x54525250


class ReportPending(Exception):
    """The report of the latest snapshot is being built and no earlier one is kept."""


class _FileLock:
    def __init__(self, fd: int):
        self._fd = fd

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


class _AdvisoryLock:
    def __init__(self, conn):
        self._conn = conn

    def release(self) -> None:
        try:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", [BUILD_LOCK_KEY])
        finally:
            self._conn.close()


def try_lock(database: str):
    """The build lock of ``database`` if it is free now, else ``None``."""
    from analysis.engines import is_postgres

    if is_postgres(database):
        import psycopg

        # A connection of its own, outside the pool: the lock is the
        # session's, and must last exactly as long as the build.
        conn = psycopg.connect(database, autocommit=True)
        if conn.execute("SELECT pg_try_advisory_lock(%s)", [BUILD_LOCK_KEY]).fetchone()[0]:
            return _AdvisoryLock(conn)
        conn.close()
        return None
    # Owner-only, like the database beside it (survey_app.files). flock
    # locks belong to the open file, so two threads of one process exclude
    # each other as two processes do.
    fd = os.open(f"{database}.reports", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return _FileLock(fd)


def start(app, slug: str, build) -> bool:
    """Run ``build(slug)`` in a background thread inside an app context,
    unless another build holds the lock; whether one was started.

    A failed build is logged and leaves nothing stored, so the next view
    starts it again.
    """
    lock = try_lock(app.config["DATABASE"])
    if lock is None:
        return False

    def run():
        try:
            with app.app_context():
                build(slug)
        except Exception:  # noqa: BLE001 - logged, and the next view retries
            app.logger.exception("building the leaders' report of %s failed", slug)
        finally:
            lock.release()

    threading.Thread(target=run, name=f"report-{slug}", daemon=True).start()
    return True
