"""Read a pulse from the database or from an export into one shape.

The analysis runs the same on the live database as on a CSV export an analyst
was sent, because everything downstream works on what this module hands over:
a :class:`PulseData` with the instrument, the strategy statement and a
responses table (one row per anonymous response, one column per item). This is
the only module of ``analysis`` that reads storage; it opens the database
read-only, against the schema documented in ``docs/schema.md``, and reads
exports against the contract in ``docs/export.md``. The database is a SQLite
file or a ``postgresql://`` URL (best with a read-only role, docs/deploy.md);
the same queries read both, into the same tables.

Every error is a :class:`LoadError` whose message is one line naming the file,
the line or column and what was expected, so the command line can print it
as it is.
"""

from __future__ import annotations

import csv
import json
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .engines import describe, is_postgres, to_psycopg
from .instrument import (
    DEFAULT_LEADERSHIP_LEVELS,
    ROLE_LEVELS,
    SEGMENTS,
    TENURE_BANDS,
    Instrument,
    InstrumentError,
    parse_instrument_text,
)
from . import csv_safe
from .coarsen import COMMENT_COLUMNS, MERGED_ROLE_LEVELS, catch_all, safe_rows
from .scoring import whole_numbers
from .strategy import CustomerFigure, Strategy, StrategyError

#: Columns of ``responses.csv`` before the item columns (docs/export.md).
#: Format 1 also had ``submitted_on``; it is read past and dropped, since no
#: analysis may depend on when someone answered.
META_COLUMNS = ("response_id", "pulse", "period")
NUMERIC_TYPES = ("likert", "enps", "estimate")
TEXT_TYPES = ("recall", "comment")


class LoadError(Exception):
    """The data cannot be read as a pulse; the message says where and why."""


@dataclass(frozen=True)
class PulseData:
    """One pulse, ready for analysis.

    ``responses`` is indexed by the random response id and holds the columns
    ``pulse``, ``period``, the segment columns and one column
    per answer item: floats for Likert (raw 1..points, not reversed), eNPS and
    estimates; strings (or missing) for recall and comment items.
    """

    survey: str
    title: str
    period: str
    status: str
    instrument: Instrument
    strategy: Strategy
    leadership_levels: tuple[str, ...]
    responses: pd.DataFrame
    #: Slugs of the pulses of the same instrument, oldest period first.
    series: tuple[str, ...] = ()
    source: str = ""
    #: Comments kept apart from their rows because the row's group is smaller
    #: than ``min_comments`` (columns ``item``, ``text`` and the segments;
    #: ``analysis.coarsen.safe_rows``). Empty for format-1 exports.
    comments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(COMMENT_COLUMNS)))

    @property
    def previous_survey(self) -> str | None:
        """The pulse before this one in its series, if any."""
        if self.survey not in self.series:
            return None
        position = self.series.index(self.survey)
        return self.series[position - 1] if position > 0 else None


# --- the database ---------------------------------------------------------------


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
    missing = {"pulses", "responses", "answers", "instruments"} - tables
    if missing:
        conn.close()
        raise LoadError(
            f"{where}: not a Trinity Pulse database (missing table(s) {', '.join(sorted(missing))}; "
            "run 'flask --app survey_app init-db' to create one, or grant the role SELECT on them)"
        )
    return conn


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
    missing = {"pulses", "responses", "answers", "instruments"} - tables
    if missing:
        conn.close()
        raise LoadError(
            f"{path}: not a Trinity Pulse database (missing table(s) {', '.join(sorted(missing))}; "
            "run 'flask --app survey_app init-db' to create one)"
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
        instrument = _instrument_from_text(
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
    parts: dict[str, list[str]] = {"goal": [], "factor": [], "brand_promise": [], "previous_goal": []}
    for row in conn.execute(
        "SELECT part, text FROM pulse_strategy WHERE pulse_slug = ? ORDER BY part, position",
        (survey,),
    ):
        parts.setdefault(row["part"], []).append(row["text"])
    figures = {
        row["key"]: CustomerFigure(
            key=row["key"],
            label=row["label"],
            value=float(row["value"]),
            unit=row["unit"] or "",
            min=row["min"],
            max=row["max"],
        )
        for row in conn.execute(
            "SELECT * FROM pulse_customer_figures WHERE pulse_slug = ? ORDER BY key", (survey,)
        )
    }
    return Strategy(
        goals=tuple(parts["goal"]),
        factors=tuple(parts["factor"]),
        brand_promise=" ".join(parts["brand_promise"]),
        customer_figures=figures,
        previous_goals=tuple(parts["previous_goal"]),
    )


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


# --- the export -------------------------------------------------------------------


def load_pulse_definition(pulse_json: str | Path) -> tuple[Instrument, Strategy]:
    """The instrument and strategy statement from a ``pulse.json`` alone.

    For analysing comments that arrive in a file of their own but belong to a
    known pulse: routing then uses the pulse's seed terms and strategy.
    """
    pulse_json = Path(pulse_json)
    meta = _read_pulse_json(pulse_json)
    instrument = _instrument_from_text(meta["instrument"]["source_toml"], f"{pulse_json}: instrument")
    try:
        strategy = Strategy.from_dict(meta.get("strategy") or {}, source=f"{pulse_json}: strategy")
    except StrategyError as exc:
        raise LoadError(str(exc)) from exc
    return instrument, strategy


def load_from_export(csv_path: str | Path, pulse_json: str | Path) -> PulseData:
    """Load ``responses.csv`` + ``pulse.json`` as written by ``flask export``."""
    csv_path, pulse_json = Path(csv_path), Path(pulse_json)
    meta = _read_pulse_json(pulse_json)
    instrument, strategy = load_pulse_definition(pulse_json)
    # From format 3 on, text cells a spreadsheet would run carry a leading
    # ' (analysis.csv_safe); older exports were written as typed.
    guarded = _format(meta) >= GUARDED_FORMAT
    responses = _read_responses_csv(csv_path, instrument, guarded=guarded)
    comments = _read_comments_csv(csv_path.with_name(str(meta.get("comments_csv") or "comments.csv")),
                                  instrument, guarded=guarded) if meta.get("comments_csv") else None
    survey = str(meta.get("survey") or csv_path.stem)
    if "pulse" in responses and responses["pulse"].notna().any():
        others = set(responses["pulse"].dropna()) - {survey}
        if others:
            raise LoadError(
                f"{csv_path}: rows belong to pulse(s) {', '.join(sorted(others))}, "
                f"but {pulse_json} describes '{survey}'"
            )
    series = tuple(
        s.get("survey") for s in meta.get("series") or [] if isinstance(s, dict) and s.get("survey")
    )
    return PulseData(
        survey=survey,
        title=str(meta.get("title") or survey),
        period=str(meta.get("period") or ""),
        status=str(meta.get("status") or ""),
        instrument=instrument,
        strategy=strategy,
        leadership_levels=tuple(meta.get("leadership_levels") or DEFAULT_LEADERSHIP_LEVELS),
        responses=responses,
        series=series,
        source=str(csv_path),
        **({"comments": comments} if comments is not None else {}),
    )


#: The first export format whose text cells are formula-guarded.
GUARDED_FORMAT = 3


def _format(meta: dict) -> int:
    value = meta.get("format", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _read_comments_csv(path: Path, instrument: Instrument, *, guarded: bool = False) -> pd.DataFrame:
    """``comments.csv`` of a format-2 export: comments kept apart from their rows."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror}); it belongs beside "
                        "responses.csv (see docs/export.md)") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise LoadError(f"{path}: cannot parse as CSV ({exc})") from exc
    if guarded:
        raw = csv_safe.unguard_frame(raw)
    expected = list(COMMENT_COLUMNS) + list(SEGMENTS)
    missing = [c for c in expected if c not in raw.columns]
    if missing:
        raise LoadError(f"{path}: missing column(s) {', '.join(missing)} (see docs/export.md)")
    known = {i.id for i in instrument.comment_items()}
    bad = raw.index[~raw["item"].isin(known)]
    if len(bad):
        raise LoadError(f"{path}, line {int(bad[0]) + 2}, column 'item': expected one of "
                        f"{', '.join(sorted(known))}, got '{raw['item'].iloc[bad[0]]}'")
    table = raw[expected].copy()
    for column in SEGMENTS:
        table[column] = _blank_to_nan(table[column]).to_numpy(dtype=object)
    return table.reset_index(drop=True)


def _read_pulse_json(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise LoadError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    if not isinstance(meta, dict):
        raise LoadError(f"{path}: expected a JSON object (see docs/export.md)")
    if not isinstance(meta.get("instrument"), dict) or not meta["instrument"].get("source_toml"):
        raise LoadError(f"{path}: missing 'instrument.source_toml' (see docs/export.md)")
    return meta


def _instrument_from_text(text: str, source: str) -> Instrument:
    try:
        return parse_instrument_text(text, source=source)
    except InstrumentError as exc:
        raise LoadError(str(exc)) from exc


def _read_responses_csv(path: Path, instrument: Instrument, *, guarded: bool = False) -> pd.DataFrame:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not header:
        raise LoadError(f"{path}: the file is empty (expected a header row, see docs/export.md)")
    expected = ("response_id",) + tuple(i.id for i in instrument.answer_items)
    missing = [c for c in expected if c not in header]
    if missing:
        raise LoadError(
            f"{path}: missing column(s) {', '.join(missing)} "
            f"(expected by instrument {instrument.id} v{instrument.version}; see docs/export.md)"
        )
    dtypes = {c: "string" for c in header}
    try:
        raw = pd.read_csv(path, dtype=dtypes, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise LoadError(f"{path}: cannot parse as CSV ({exc})") from exc
    if raw.empty:
        raise LoadError(f"{path}: no responses (the file has a header but no rows)")
    if guarded:
        # Numeric columns are read as text too, but a number is never
        # guarded, so unguarding leaves "-12" as "-12".
        raw = csv_safe.unguard_frame(raw)
    duplicated = np.flatnonzero(raw["response_id"].duplicated().to_numpy())
    if duplicated.size:
        raise LoadError(f"{_where(path, raw, int(duplicated[0]))}: duplicate response_id")
    table = pd.DataFrame(index=pd.Index(raw["response_id"].astype(str), name="response_id"))
    for column in ("pulse", "period", *SEGMENTS):
        values = raw[column] if column in raw else pd.Series(pd.NA, index=raw.index)
        table[column] = _blank_to_nan(values).to_numpy(dtype=object)
    for column, allowed in (
        ("role_level", ROLE_LEVELS + MERGED_ROLE_LEVELS),
        ("tenure_band", TENURE_BANDS + (catch_all("tenure_band"),)),
    ):
        values = table[column]
        bad = values.notna() & ~values.isin(allowed)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise LoadError(
                f"{_where(path, raw, row)}, column '{column}': expected one of "
                f"{', '.join(allowed)} (or blank), got '{values.iloc[row]}'"
            )
    for item in instrument.answer_items:
        values = raw[item.id]
        if item.type in NUMERIC_TYPES:
            table[item.id] = _numbers(path, values, item, raw).to_numpy()
        else:
            table[item.id] = _blank_to_nan(values).to_numpy(dtype=object)
    return table


def _blank_to_nan(values: pd.Series) -> pd.Series:
    values = values.astype(object)
    blank = values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())
    return values.mask(blank, np.nan)


def _where(path: Path, raw: pd.DataFrame, row: int) -> str:
    """``path: line N (response_id 'x')`` for record ``row`` of the CSV.

    N is the line the record starts on in the file, counted by the csv
    module: a free-text answer with line breaks spans several lines, so the
    record number plus one would point an editor at the wrong place.
    """
    line = row + 2
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            end = 0
            for number, _ in enumerate(reader):
                if number == row + 1:
                    line = end + 1
                    break
                end = reader.line_num
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    return f"{path}: line {line} (response_id '{raw['response_id'].iloc[row]}')"


def _numbers(path: Path, values: pd.Series, item, raw: pd.DataFrame) -> pd.Series:
    """Parse a numeric column; the first bad cell is reported with its line."""
    text = values.fillna("").astype(str).str.strip()
    cells = text.where(text != "").astype(object)  # blank -> missing, not wrong
    if item.type in ("likert", "enps"):
        low, high = (1, item.scale.points) if item.type == "likert" else (0, 10)
        numbers, problem = whole_numbers(cells, low, high)
        what = f"a whole number from {low} to {high}"
    else:
        numbers = pd.to_numeric(cells, errors="coerce").astype(float)
        low = -math.inf if item.min is None else item.min
        high = math.inf if item.max is None else item.max
        problem = (cells.notna() & numbers.isna()) | (numbers.notna() & ((numbers < low) | (numbers > high)))
        what = "a number" + (f" from {item.min:g} to {item.max:g}" if item.min is not None and item.max is not None else "")
    if problem.any():
        row = int(np.flatnonzero(problem.to_numpy())[0])
        raise LoadError(f"{_where(path, raw, row)}, column '{item.id}': expected {what}, got '{text.iloc[row]}'")
    return numbers.astype("float64")
