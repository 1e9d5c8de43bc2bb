"""PostgreSQL behind the storage seam: a pooled connection that talks like SQLite's.

The storage layer was written against :class:`sqlite_utils.Database`:
``execute`` (a cursor of tuples), ``query`` (dicts), ``executescript``,
``conn.executemany``, ``conn.in_transaction``, ``table_names``, ``rollback``
and ``close``. :class:`PgDatabase` offers that same small surface over a
psycopg 3 connection borrowed from a :class:`psycopg_pool.ConnectionPool`, so
every storage function runs unchanged on either engine; placeholders are
translated where a statement is sent (:func:`analysis.engines.to_psycopg`).
What the engines do differently is decided in the open where it matters:
the DDL fragments in ``schema.DDL`` (used by the migrations) and the write lock
in :meth:`PgDatabase.begin_write`.

Connections run in autocommit, like SQLite's outside a transaction, and
``BEGIN`` / ``COMMIT`` are sent by ``storage.base.write_transaction`` as
they are for SQLite; so a request that never writes never holds a
transaction open, and one that does commits exactly when SQLite would.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from analysis.engines import to_psycopg

#: The one write lock (a transaction-level advisory lock) every write
#: transaction takes first; any constant works, this one spells "TRIN".
WRITE_LOCK_KEY = 0x5452494E

#: Connections each process keeps per database: a gunicorn worker serves one
#: request at a time per thread, and four workers times eight connections stay
#: far below PostgreSQL's default max_connections (100). Override with
#: TRINITY_DATABASE_POOL_SIZE.
DEFAULT_POOL_SIZE = 8

_pools: dict[tuple[int, str], ConnectionPool] = {}
_pools_lock = threading.Lock()


def pool_for(url: str) -> ConnectionPool:
    """This process's pool for ``url``, opened on first use.

    Keyed by process id too: a pool's sockets must never be shared with a
    forked child (gunicorn forks its workers).
    """
    key = (os.getpid(), url)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            size = int(os.environ.get("TRINITY_DATABASE_POOL_SIZE") or DEFAULT_POOL_SIZE)
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=size,
                kwargs={"autocommit": True},
                # A connection the server dropped (restart, failover) is
                # replaced before a request gets it.
                check=ConnectionPool.check_connection,
                open=False,
                name=f"trinity-{len(_pools)}",
            )
            pool.open(wait=True, timeout=30)
            _pools[key] = pool
    return pool


def close_pool(url: str) -> None:
    """Close this process's pool for ``url`` (tests drop their databases after)."""
    with _pools_lock:
        pool = _pools.pop((os.getpid(), url), None)
    if pool is not None:
        pool.close()


class _Connection:
    """The ``db.conn`` the storage layer uses: its transaction state and executemany."""

    def __init__(self, raw: psycopg.Connection):
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def executemany(self, sql: str, rows) -> None:
        rows = list(rows)
        if not rows:
            return
        query, _ = to_psycopg(sql, rows[0])
        with self.raw.cursor() as cursor:
            cursor.executemany(query, rows)

    def execute(self, sql: str, params=None):
        query, params = to_psycopg(sql, params)
        return self.raw.execute(query, params)


def _table(db: "PgDatabase", name: str) -> str:
    """``name`` if it is one of the database's tables, else :class:`StorageError`."""
    from survey_app.storage.base import StorageError

    if name not in db.table_names():
        raise StorageError(f"no table {name!r} in this database")
    return name


def _key_columns(db: "PgDatabase", name: str) -> list[str]:
    """The primary-key columns of the table ``name``, from the catalog."""
    return [row[0] for row in db.execute(
        "SELECT k.column_name FROM information_schema.table_constraints c "
        "JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name) "
        "WHERE c.table_schema = current_schema() AND c.table_name = ? "
        "AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position", [_table(db, name)])]


class _Table:
    """``db[name]``: the few table helpers of sqlite-utils the tests read with."""

    def __init__(self, db: "PgDatabase", name: str):
        self.db, self.name = db, name

    @property
    def count(self) -> int:
        return self.db.execute(f"SELECT count(*) FROM {_table(self.db, self.name)}").fetchone()[0]

    @property
    def rows(self) -> Iterator[dict]:
        return self.db.query(f"SELECT * FROM {_table(self.db, self.name)}")

    def get(self, pk) -> dict:
        """The row whose primary key is ``pk`` (a tuple for a compound key)."""
        from sqlite_utils.db import NotFoundError

        values = list(pk) if isinstance(pk, (tuple, list)) else [pk]
        where = " AND ".join(f"{c} = ?" for c in _key_columns(self.db, self.name))
        row = next(self.db.query(
            f"SELECT * FROM {_table(self.db, self.name)} WHERE {where}", values), None)
        if row is None:
            raise NotFoundError(f"{self.name}: no row with primary key {pk!r}")
        return row

    @property
    def columns_dict(self) -> dict[str, str]:
        return {
            row["column_name"]: row["data_type"]
            for row in self.db.query(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ? "
                "ORDER BY ordinal_position",
                [self.name],
            )
        }


class PgDatabase:
    """One pooled PostgreSQL connection with the storage layer's Database API."""

    engine = "postgresql"

    def __init__(self, url: str):
        self.url = url
        self._pool = pool_for(url)
        self.conn = _Connection(self._pool.getconn())

    def execute(self, sql: str, params=None) -> psycopg.Cursor:
        """Run one statement; the cursor yields tuples, like sqlite3's."""
        query, params = to_psycopg(sql, params)
        return self.conn.raw.execute(query, params)

    def query(self, sql: str, params=None) -> Iterator[dict]:
        """Run one statement and yield its rows as dicts, like sqlite-utils."""
        query, params = to_psycopg(sql, params)
        cursor = self.conn.raw.cursor(row_factory=dict_row)
        cursor.execute(query, params)
        yield from cursor.fetchall()

    def executescript(self, script: str) -> None:
        """Run several statements in one go, inside the open transaction if any."""
        self.conn.raw.execute(script)

    def begin_write(self) -> None:
        """Start a write transaction that behaves like SQLite's ``BEGIN IMMEDIATE``.

        The transaction first takes one advisory lock, held until it commits
        or rolls back, so write transactions run one at a time, each reading
        what the previous one committed; a read-then-write (is this token
        unused? then spend it) can never interleave with another. Readers are
        never blocked (MVCC), as with SQLite's WAL. Read committed is then
        exactly the isolation SQLite's single writer gives.
        """
        self.execute("BEGIN")
        self.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK_KEY])

    def table_names(self) -> list[str]:
        return [
            row[0]
            for row in self.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
                "ORDER BY table_name"
            )
        ]

    def __getitem__(self, name: str) -> _Table:
        return _Table(self, name)

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.raw.execute("ROLLBACK")

    def close(self) -> None:
        """Give the connection back to the pool (rolled back if left open)."""
        raw, self.conn.raw = self.conn.raw, None
        if raw is not None:
            self._pool.putconn(raw)
