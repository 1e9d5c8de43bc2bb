"""Moving a whole database to another engine (SQLite to PostgreSQL, say).

``flask copy-database --to URL`` calls :func:`copy_database`: every table of
the documented schema, row for row, into an empty, migrated target, in one
write transaction there, then the row counts of both compared table by table.
Rows are read in primary-key order, so tables keyed by random ids are written
in an order that says nothing about arrival: on PostgreSQL their physical
order (``ctid``) becomes the random order (docs/privacy.md, "PostgreSQL").
The rate limits' counts are not copied: they expire within minutes.
"""

from __future__ import annotations

from survey_app.storage.base import StorageError, write_transaction

#: Every table, parents before children (foreign keys), with its primary key.
TABLES = (
    ("instruments", "id, version"),
    ("pulses", "slug"),
    ("pulse_strategy", "pulse_slug, part, position"),
    ("pulse_customer_figures", "pulse_slug, key"),
    ("invitations", "token_hash"),
    ("responses", "id"),
    ("answers", "response_id, item_id"),
    ("invitation_contacts", "pulse_slug, email"),
    ("snapshots", "pulse_slug, seq"),
    ("pulse_scrub_names", "pulse_slug, name"),
    ("users", "id"),
    ("audit_log", "id"),
    ("login_attempts", "key_hash"),
    ("report_cache", "pulse_slug, snapshot, version"),
    ("action_plans", "id"),
    ("theme_moves", "id"),
    ("export_cache", "pulse_slug, key, part"),
    ("export_cache_epochs", "pulse_slug"),
    ("pulse_theme_counts", "pulse_slug"),
)
#: Tables whose integer id counts up: PostgreSQL's identity must continue
#: after the copied ids.
_IDENTITY_TABLES = ("users", "audit_log", "action_plans", "theme_moves")


#: The names alone: the only table names that reach this module's SQL.
_TABLE_NAMES = tuple(table for table, _ in TABLES)


def _count(db, table: str) -> int:
    if table not in _TABLE_NAMES:
        raise StorageError(f"not a table of the schema: {table!r}")
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _columns(db, table: str) -> list[str]:
    """The columns of ``table`` as the first row of a query names them."""
    if table not in _TABLE_NAMES:
        raise StorageError(f"not a table of the schema: {table!r}")
    cursor = db.execute(f"SELECT * FROM {table} LIMIT 0")
    names = [d[0] for d in cursor.description]
    for name in names:
        if not name.isidentifier():
            raise StorageError(f"{table}: unexpected column name {name!r}")
    return names


def row_counts(db) -> dict[str, int]:
    """Rows per table of the documented schema."""
    return {table: _count(db, table) for table, _ in TABLES}


def copy_database(source, target) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; rows per table.

    Both must be migrated to the same schema version. Raises
    :class:`StorageError` when the target already holds rows, the versions
    differ, or a table's count differs after the copy (nothing is then
    committed).
    """
    from survey_app.db import schema_version
    from survey_app.schema import engine_of

    if schema_version(source) != schema_version(target):
        raise StorageError(f"the source is at schema version {schema_version(source)}, "
                           f"the target at {schema_version(target)}: run init-db on both first")
    occupied = {t: n for t, n in row_counts(target).items() if n}
    if occupied:
        raise StorageError("the target database is not empty ("
                           + ", ".join(f"{t}: {n} rows" for t, n in occupied.items())
                           + "); copy into a new database")
    expected = row_counts(source)
    with write_transaction(target):
        for table, key in TABLES:
            names = _columns(source, table)
            missing = set(names) - set(_columns(target, table))
            if missing:
                raise StorageError(f"{table}: the target has no column(s) {', '.join(sorted(missing))}")
            rows = source.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY {key}").fetchall()
            if rows:
                target.conn.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' for _ in names)})",
                    [tuple(r) for r in rows],
                )
        if engine_of(target) == "postgresql":
            for table in _IDENTITY_TABLES:
                target.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
        copied = row_counts(target)
        wrong = {t: (expected[t], copied[t]) for t in expected if expected[t] != copied[t]}
        if wrong:
            raise StorageError("row counts differ after the copy: " + ", ".join(
                f"{t}: {a} in the source, {b} in the target" for t, (a, b) in wrong.items()))
    return copied
