"""A pulse read from the database: a SQLite file or a ``postgresql://`` URL,
opened read-only, against the schema documented in ``docs/schema.md``.

The same queries read both engines into the same tables; rows go through
the same anonymity rules as an export (``analysis.coarsen.safe_rows``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from ..coarsen import safe_rows
from ..engines import describe, is_postgres, to_psycopg
from ..instrument import DEFAULT_LEADERSHIP_LEVELS, SEGMENTS, Instrument
from ..strategy import Strategy
from .model import NUMERIC_TYPES, LoadError, PulseData, instrument_from_text

__all__ = ["list_surveys", "load_from_db", "load_previous_from_db"]


class _Row(dict):
    """A PostgreSQL row read like :class:`sqlite3.Row`: by name or by position."""

    def __init__(self, names, values):
        super().__init__(zip(names, values))
        self._values = values

    def __getitem__(self, key):
        return self._values[key] if isinstance(key, int) else super().__getitem__(key)


def _row_factory(cursor):
    names = [c.name for c in cursor.description or ()]
    return lambda values: _Row(names, values)


class _PostgresReader:
    """A read-only PostgreSQL session that answers the loader's queries.

    ``execute`` takes the same ``?`` SQL the SQLite connection takes; the
    session is read-only (``default_transaction_read_only``), so even a
    role that could write cannot write through the loader.
    """

    def __init__(self, url: str):
        import psycopg

        self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory,
                                   options="-c default_transaction_read_only=on")

    def execute(self, sql: str, params=None):
        query, params = to_psycopg(sql, params)
        return self.raw.execute(query, params)

    def tables(self) -> set[str]:
        return {r[0] for r in self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}

    def columns(self, table: str) -> set[str]:
        return {r[0] for r in self.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?", (table,))}

    def close(self) -> None:
        self.raw.close()


def _tables(conn) -> set[str]:
    if isinstance(conn, _PostgresReader):
        return conn.tables()
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _response_columns(conn) -> set[str]:
    if isinstance(conn, _PostgresReader):
        return conn.columns("responses")
    return {r[1] for r in conn.execute("PRAGMA table_info(responses)")}


def _query_frame(conn, sql: str, params) -> pd.DataFrame:
    """A query's rows as a DataFrame, the same from either engine."""
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return pd.DataFrame.from_records([tuple(r) if not isinstance(r, _Row) else tuple(r.values())
                                      for r in cursor.fetchall()], columns=names)


def _connect_postgres(url: str) -> _PostgresReader:
    import psycopg

    where = describe(url)
    try:
        conn = _PostgresReader(url)
        tables = conn.tables()
    except psycopg.Error as exc:
        raise LoadError(f"{where}: cannot read the PostgreSQL database "
                        f"({str(exc).strip().splitlines()[0]})") from exc
    return _with_our_tables(conn, tables, where, ", or grant the role SELECT on them")


def _connect_read_only(path: str | Path):
    if is_postgres(path):
        return _connect_postgres(path)
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such database file")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        tables = _tables(conn)
    except sqlite3.DatabaseError as exc:
        raise LoadError(f"{path}: not a readable SQLite database ({exc})") from exc
    return _with_our_tables(conn, tables, path)


def _with_our_tables(conn, tables: set[str], where, hint: str = ""):
    """``conn``, if it holds the tables the loader reads; else closed, and why."""
    missing = {"pulses", "responses", "answers", "instruments"} - tables
    if missing:
        conn.close()
        raise LoadError(
            f"{where}: not a Trinity Pulse database (missing table(s) {', '.join(sorted(missing))}; "
            f"run 'flask --app survey_app init-db' to create one{hint})"
        )
    return conn


def list_surveys(db_path: str | Path) -> list[dict]:
    """The pulses in a database, in series order, for messages and pickers."""
    conn = _connect_read_only(db_path)
    try:
        rows = conn.execute(
            "SELECT slug, title, period, status, instrument_id FROM pulses "
            "ORDER BY instrument_id, period, slug"
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        conn.close()


def load_from_db(db_path: str | Path, survey: str) -> PulseData:
    """Load one pulse from a Trinity Pulse database, opened read-only."""
    conn = _connect_read_only(db_path)
    try:
        pulse = conn.execute("SELECT * FROM pulses WHERE slug = ?", (survey,)).fetchone()
        if pulse is None:
            known = ", ".join(r["slug"] for r in conn.execute("SELECT slug FROM pulses ORDER BY slug"))
            raise LoadError(
                f"{describe(db_path)}: unknown survey '{survey}' (known: {known or 'none, the database has no pulses'})"
            )
        source_row = conn.execute(
            "SELECT source_toml FROM instruments WHERE id = ? AND version = ?",
            (pulse["instrument_id"], pulse["instrument_version"]),
        ).fetchone()
        if source_row is None:
            raise LoadError(
                f"{describe(db_path)}: pulse '{survey}' refers to instrument "
                f"{pulse['instrument_id']} v{pulse['instrument_version']}, which is not stored"
            )
        instrument = instrument_from_text(
            source_row["source_toml"], f"{describe(db_path)}: instrument {pulse['instrument_id']}"
        )
        strategy = _strategy_from_db(conn, survey)
        series = tuple(
            r["slug"]
            for r in conn.execute(
                "SELECT slug FROM pulses WHERE instrument_id = ? ORDER BY period, slug",
                (pulse["instrument_id"],),
            )
        )
        responses, comments = _responses_from_db(conn, pulse, instrument)
    finally:
        conn.close()
    return PulseData(
        survey=survey,
        title=pulse["title"],
        period=pulse["period"],
        status=pulse["status"],
        instrument=instrument,
        strategy=strategy,
        leadership_levels=_levels(pulse["leadership_levels"]),
        responses=responses,
        series=series,
        source=describe(db_path),
        comments=comments,
    )


def load_previous_from_db(db_path: str | Path, current: PulseData) -> PulseData | None:
    """The previous pulse of the same series, for change-since-last-time."""
    previous = current.previous_survey
    return load_from_db(db_path, previous) if previous else None


def _levels(text: str | None) -> tuple[str, ...]:
    levels = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    return levels or DEFAULT_LEADERSHIP_LEVELS


def _strategy_from_db(conn: sqlite3.Connection, survey: str) -> Strategy:
    parts = conn.execute(
        "SELECT part, text FROM pulse_strategy WHERE pulse_slug = ? ORDER BY part, position",
        (survey,),
    )
    figures = conn.execute(
        "SELECT * FROM pulse_customer_figures WHERE pulse_slug = ? ORDER BY key", (survey,)
    )
    return Strategy.from_stored(((row["part"], row["text"]) for row in parts), figures)


def _responses_from_db(conn, pulse, instrument: Instrument) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pulse's published responses, made safe exactly as an export is.

    Only responses in a published snapshot are read (``docs/privacy.md``),
    and :func:`analysis.coarsen.safe_rows` coarsens and scrubs them, so the
    analysis of the database and of its export agree row for row.
    """
    columns = _response_columns(conn)
    published = " AND snapshot IS NOT NULL" if "snapshot" in columns else ""
    meta = _query_frame(
        conn,
        "SELECT id AS response_id, department, team, tenure_band, role_level "
        f"FROM responses WHERE pulse_slug = ?{published} ORDER BY id",
        (pulse["slug"],),
    )
    answers = _query_frame(
        conn,
        "SELECT a.response_id, a.item_id, a.value_number, a.value_text FROM answers a "
        f"JOIN responses r ON r.id = a.response_id WHERE r.pulse_slug = ?{published} "
        "ORDER BY a.response_id, a.item_id",
        (pulse["slug"],),
    )
    table = meta.set_index("response_id")
    columns = {}
    for item in instrument.answer_items:
        rows = answers[answers["item_id"] == item.id].set_index("response_id")
        if item.type in NUMERIC_TYPES:
            values = rows["value_number"].astype("float64")
            columns[item.id] = values.reindex(table.index)
        else:
            values = rows["value_text"].astype("object")
            columns[item.id] = values.reindex(table.index)
    table = pd.concat([table, pd.DataFrame(columns, index=table.index)], axis=1)
    safe = safe_rows(
        table,
        _breakdowns(pulse),
        [i.id for i in instrument.answer_items if i.type == "comment"],
        _scrub_names(conn, pulse["slug"]),
        pulse["min_group"] if "min_group" in pulse.keys() else None,
        leadership_levels=_levels(pulse["leadership_levels"]),
    )
    table, comments = safe.rows, safe.comments
    # Missing values as NaN, as an export's blank cells read.
    for frame in (table, comments):
        for column in frame.columns:
            if frame[column].dtype == object:
                frame[column] = frame[column].where(frame[column].notna(), np.nan)
    table.insert(0, "pulse", pulse["slug"])
    table.insert(1, "period", pulse["period"])
    table.index.name = "response_id"
    return table, comments


def _breakdowns(pulse) -> tuple[str, ...]:
    # Databases from before reporting breakdowns stored all four segments.
    text = pulse["breakdowns"] if "breakdowns" in pulse.keys() else ",".join(SEGMENTS)
    return tuple(b for b in text.split(",") if b in SEGMENTS)


def _scrub_names(conn, survey: str) -> list[str]:
    if "pulse_scrub_names" not in _tables(conn):
        return []
    return [r[0] for r in conn.execute(
        "SELECT name FROM pulse_scrub_names WHERE pulse_slug = ? ORDER BY name", (survey,))]

