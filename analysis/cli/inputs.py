"""The command line's input files: a CSV of comments (checked, read whole or
streamed a chunk at a time) and a roster of names to scrub. Every failure is a
:class:`~analysis.cli.common.CommandError` naming the file and what was expected."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import CommandError


def read_checked_csv(path: Path, column: str, **read_options) -> pd.DataFrame:
    """The CSV as text (``read_options`` go to ``pd.read_csv``), its header
    checked to name ``column``; every failure a :class:`CommandError` naming the file."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            frame = pd.read_csv(handle, dtype=str, keep_default_na=False, **read_options)
    except OSError as exc:
        raise CommandError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except pd.errors.EmptyDataError as exc:
        raise CommandError(f"{path}: the file is empty (expected a header row with a '{column}' column)") from exc
    except pd.errors.ParserError as exc:
        raise CommandError(f"{path}: cannot parse as CSV ({exc})") from exc
    if column not in frame.columns:
        raise CommandError(
            f"{path}: no column '{column}' (columns: {', '.join(frame.columns)}); choose one with --text-column"
        )
    return frame

def read_text_csv(path: Path, column: str) -> pd.Series:
    frame = read_checked_csv(path, column)
    if frame.empty:
        raise CommandError(f"{path}: no rows (the file has a header but no comments)")
    return frame[column]

def read_roster(path: Path | None) -> list[str]:
    """Names to scrub: one per line, or the ``name`` column of a CSV file."""
    if path is None:
        return []
    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            if "name" not in frame.columns:
                raise CommandError(f"{path}: no column 'name' (columns: {', '.join(frame.columns)})")
            names = frame["name"].tolist()
        else:
            names = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CommandError(f"{path}: cannot read the roster ({exc})") from exc
    return [n.strip() for n in names if n.strip() and not n.lstrip().startswith("#")]

def csv_column_reader(path: Path, column: str, chunk: int = 50_000):
    """A function that opens ``column`` of a CSV as a stream of texts, a
    chunk of rows at a time (the streaming path reads it twice)."""
    def open_texts():
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                for frame in pd.read_csv(handle, dtype=str, keep_default_na=False, usecols=[column],
                                         chunksize=chunk):
                    yield from frame[column].tolist()
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except pd.errors.ParserError as exc:
            raise CommandError(f"{path}: cannot parse as CSV ({exc})") from exc
    return open_texts

def count_rows(path: Path, column: str) -> int:
    """Rows of the CSV, checking its header names ``column``; read a chunk at a time."""
    read_checked_csv(path, column, nrows=0)
    return sum(1 for _ in csv_column_reader(path, column)())
