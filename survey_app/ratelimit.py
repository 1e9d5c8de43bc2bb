"""Rate limits per client address that hold across every worker process.

A limit kept in one process's memory is not a limit: gunicorn's four workers
would each allow the full rate. So the counts live in a store all workers
share. The default, :class:`SQLiteStore`, is a small SQLite file of its own
(``<instance>/ratelimit.sqlite3``, ``TRINITY_RATELIMIT_DATABASE``), so the
one-command run needs no server; never the responses database, whose file and
backups must hold nothing about who sent what. Each row is a fixed window's
count for a key, and the key is an HMAC (with the app's secret key) of the
limit's name and the client address, so the file holds no address; rows of
past windows are deleted as new ones are written.

When the app runs on PostgreSQL the counts follow it: :class:`PostgresStore`
keeps them in a PostgreSQL database of their own (by default ``<name>_ratelimit``
beside the app's, ``docs/deploy.md``), so every app server behind a load
balancer counts against the same limits. Another store (Redis, say) plugs in
behind :class:`Store`: one method, :meth:`Store.hit`, counting a hit and
returning the window's count.

The limits (``docs/security.md``):

``TRINITY_OPEN_LINK_RATE`` (default ``60/60``: 60 answers a minute)
    Answers sent through a pulse's open link from one address. An office of
    hundreds behind one NAT address answers in the same morning: 600 people
    over two hours is 5 a minute, and even everyone answering in the ten
    minutes after an all-hands is 60 a minute. A script is held to one answer
    a second, and what it still gets through shows on the admin's pulse page
    as open-link answers beyond the expected headcount.
``TRINITY_LOGIN_RATE`` (default ``100/60``)
    Login posts from one address, whatever the account, on top of the per
    account-and-address throttle: one machine cannot try passwords across
    many accounts quickly, and a whole office signing in at 9 fits.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import time
from dataclasses import dataclass
from functools import wraps

from flask import current_app, make_response, render_template, request

from analysis.engines import describe, is_postgres

#: File of the default store in the instance folder.
DEFAULT_FILE = "ratelimit.sqlite3"


def _enable_wal(conn: sqlite3.Connection) -> None:
    """WAL mode for the counts' file, which every later connection finds set.

    Two workers opening a new file at once can both try the switch, and
    SQLite refuses one of them at once ("database is locked") rather than
    making it wait; the file is in WAL mode by then, or soon, so that one
    looks again instead of failing its request.
    """
    for attempt in range(50):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.01)


@dataclass(frozen=True)
class Rate:
    """``limit`` hits per ``window`` seconds."""

    limit: int
    window: int

    @classmethod
    def parse(cls, text: str, name: str = "rate") -> "Rate":
        """``"60/60"`` -> 60 per 60 seconds; a clear error otherwise."""
        try:
            limit, window = (int(part) for part in str(text).split("/"))
        except ValueError:
            raise RuntimeError(f"{name} must be HITS/SECONDS such as 60/60, got {text!r}") from None
        if limit < 1 or window < 1:
            raise RuntimeError(f"{name} must be positive, got {text!r}")
        return cls(limit, window)


class Store:
    """Where counts are kept. ``hit`` must be atomic across processes."""

    def hit(self, key: str, window: int, now: float | None = None) -> tuple[int, float]:
        """Count one hit of ``key`` in the current ``window``-second window.

        Returns ``(hits in this window including this one, seconds until the
        window ends)``.
        """
        raise NotImplementedError


#: The counts table, the same on both engines; past windows are deleted as
#: new hits are written.
_CREATE = ("CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, window_start INTEGER NOT NULL,"
           " window_end INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, window_start))")
class SQLiteStore(Store):
    """Counts in a SQLite file of their own, shared by every worker."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        # Created private before SQLite opens it, so its -wal and -shm are
        # too (SQLite gives them the database's mode): the file holds only
        # hashed addresses, but nobody else has any business reading it.
        from survey_app.files import secure_database

        secure_database(self.path)
        with self._connect() as conn:
            conn.execute(_CREATE + " WITHOUT ROWID")

    def _connect(self) -> sqlite3.Connection:
        # A short busy timeout: a limit check must never hold up a request for
        # long, and each write is one tiny transaction.
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        _enable_wal(conn)
        # Counts that a crash loses only let a few more requests through;
        # not syncing each one keeps a check cheap.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def hit(self, key, window, now=None):
        now = time.time() if now is None else now
        start = int(now // window * window)
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM hits WHERE window_end <= ?", (int(now),))
            conn.execute(
                "INSERT INTO hits (key, window_start, window_end, count) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1",
                (key, start, start + window),
            )
            (count,) = conn.execute(
                "SELECT count FROM hits WHERE key = ? AND window_start = ?", (key, start)
            ).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
        return count, start + window - now


_HIT = ("INSERT INTO hits (key, window_start, window_end, count) VALUES (%s, %s, %s, 1)"
        " ON CONFLICT (key, window_start) DO UPDATE SET count = hits.count + 1 RETURNING count")


class PostgresStore(Store):
    """Counts in a PostgreSQL database of their own, shared by every app server.

    One statement per hit: the upsert is atomic in PostgreSQL, so two servers
    counting the same key at once both see their own increment.
    """

    def __init__(self, url: str):
        from psycopg_pool import ConnectionPool

        self.url = url
        self._pool = ConnectionPool(url, min_size=1, max_size=4, kwargs={"autocommit": True},
                                    check=ConnectionPool.check_connection, open=False)
        try:
            self._pool.open(wait=True, timeout=10)
        except Exception as exc:
            self._pool.close()
            raise RuntimeError(
                f"the rate limits' database {describe(url)} cannot be reached ({exc}); "
                "create it (docs/deploy.md, \"Roles and grants\") or set TRINITY_RATELIMIT_DATABASE"
            ) from None
        with self._pool.connection() as conn:
            # Two servers starting at once would race on the catalog.
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(5)")
                conn.execute(_CREATE)

    def hit(self, key, window, now=None):
        now = time.time() if now is None else now
        start = int(now // window * window)
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM hits WHERE window_end <= %s", (int(now),))
            (count,) = conn.execute(_HIT, (key, start, start + window)).fetchone()
        return count, start + window - now

    def close(self) -> None:
        self._pool.close()


def default_url(database_url: str) -> str:
    """The rate limits' PostgreSQL database beside the app's: ``<name>_ratelimit``.

    Returned as a ``postgresql://`` URL, never psycopg's ``key=value`` form:
    the store is chosen by :func:`analysis.engines.is_postgres`, which
    recognises URLs only, and a ``key=value`` string taken for a path once
    made a SQLite file of that name in the working directory, so every app
    server counted on its own machine's file.
    """
    from urllib.parse import urlsplit, urlunsplit

    from psycopg.conninfo import conninfo_to_dict

    name = conninfo_to_dict(database_url).get("dbname") or urlsplit(database_url).username or "postgres"
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}_ratelimit"))


def _store_target(app) -> str:
    """Where the counts live: the setting, else beside the app's database."""
    configured = app.config.get("RATELIMIT_DATABASE")
    if configured:
        return os.fspath(configured)
    if is_postgres(app.config["DATABASE"]):
        return default_url(app.config["DATABASE"])
    return os.path.join(app.instance_path, DEFAULT_FILE)


def check_settings(app) -> None:
    """Refuse at start-up what would fail on every limited request, or leak.

    The rates must parse, and the store's file must not be the responses
    database (its backups would then hold who sent what, and when).
    """
    for setting in ("OPEN_LINK_RATE", "LOGIN_RATE"):
        Rate.parse(app.config[setting], f"TRINITY_{setting}")
    path, database = _store_target(app), app.config["DATABASE"]
    if is_postgres(path) or is_postgres(database):
        same = _same_postgres(path, database)
    else:
        same = os.path.abspath(path) == os.path.abspath(database)
    if same:
        raise RuntimeError("TRINITY_RATELIMIT_DATABASE must not be the responses database: "
                           "its backups would then hold who sent what")


def _same_postgres(a: str, b: str) -> bool:
    """Whether two targets name the same PostgreSQL database (host, port, name)."""
    if not (is_postgres(a) and is_postgres(b)):
        return False
    from psycopg.conninfo import conninfo_to_dict

    def where(url):
        parts = conninfo_to_dict(url)
        return (parts.get("host") or "localhost", str(parts.get("port") or 5432), parts.get("dbname"))

    return where(a) == where(b)


def store():
    """The app's store, made on first use (``RATELIMIT_STORE`` may hold another)."""
    extension = current_app.extensions.get("trinity_ratelimit")
    if extension is None:
        extension = current_app.config.get("RATELIMIT_STORE")
        if extension is None:
            target = _store_target(current_app)
            extension = PostgresStore(target) if is_postgres(target) else SQLiteStore(target)
        current_app.extensions["trinity_ratelimit"] = extension
    return extension


def client_key(name: str, address: str | None = None) -> str:
    """The HMAC naming (limit, client address): no address is stored."""
    address = (request.remote_addr or "") if address is None else address
    message = f"{name}\0{address}".encode()
    return hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).hexdigest()


def check(name: str, rate: Rate) -> float:
    """Count this request against ``rate``; seconds to wait when over it, else 0."""
    count, left = store().hit(client_key(name), rate.window)
    return max(left, 1.0) if count > rate.limit else 0.0


def too_many(wait: float):
    """The 429 page, with ``Retry-After``."""
    seconds = str(max(1, int(wait + 0.999)))
    response = make_response(render_template(
        "survey/status.html", kind="rate_limited", pulse=None,
        title="Too many requests from your address",
        message=f"Please wait {seconds} seconds, then send the page again.",
    ), 429)
    response.headers["Retry-After"] = seconds
    return response


def limit_posts(name: str, setting: str):
    """Decorator: POSTs to the view count against the rate in ``config[setting]``."""

    def decorate(view):
        @wraps(view)
        def limited(*args, **kwargs):
            if request.method == "POST" and current_app.config.get("RATELIMIT_ENABLED", True):
                wait = check(name, Rate.parse(current_app.config[setting], setting))
                if wait:
                    return too_many(wait)
            return view(*args, **kwargs)

        return limited

    return decorate
