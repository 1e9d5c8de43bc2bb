"""A pulse read from an export: ``responses.csv`` and ``pulse.json`` as
``flask export`` writes them (and ``comments.csv`` from format 2 on),
against the contract in ``docs/export.md``."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import csv_safe
from ..coarsen import COMMENT_COLUMNS, MERGED_ROLE_LEVELS, catch_all
from ..instrument import DEFAULT_LEADERSHIP_LEVELS, ROLE_LEVELS, SEGMENTS, TENURE_BANDS, Instrument
from ..scoring import whole_numbers
from ..strategy import Strategy, StrategyError
from .model import NUMERIC_TYPES, LoadError, PulseData, instrument_from_text

__all__ = ["GUARDED_FORMAT", "load_from_export", "load_pulse_definition"]


def load_pulse_definition(pulse_json: str | Path) -> tuple[Instrument, Strategy]:
    """The instrument and strategy statement from a ``pulse.json`` alone.

    For analysing comments that arrive in a file of their own but belong to a
    known pulse: routing then uses the pulse's seed terms and strategy.
    """
    pulse_json = Path(pulse_json)
    meta = _read_pulse_json(pulse_json)
    instrument = instrument_from_text(meta["instrument"]["source_toml"], f"{pulse_json}: instrument")
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

