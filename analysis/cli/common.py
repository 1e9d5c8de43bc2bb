"""What the command line's commands share: errors, the source and privacy
options, loading a pulse, writing a table (owner-only when to a file).

Every failure an analyst can cause ends as a :class:`CommandError`, which
:func:`analysis.cli.main` prints as one line with exit code
:data:`EXIT_USAGE`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .. import csv_safe, files
from ..engines import is_postgres
from ..loader import PulseData, load_from_db, load_from_export, load_previous_from_db
from ..privacy import PrivacyPolicy

EXIT_USAGE = 2


class CommandError(Exception):
    """A problem with the analyst's input: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line like every other error."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"error: {message}{_hint(message)} (see '{self.prog} --help')\n")


def _hint(message: str) -> str:
    """What was probably meant by a stray argument that names a database or a file.

    ``python -m analysis scores instance/trinity.sqlite3`` is the first thing
    many analysts type; say which option takes it rather than only that it
    was not recognised.
    """
    if not message.startswith("unrecognized arguments:"):
        return ""
    for word in message.split(":", 1)[1].split():
        if is_postgres(word) or word.endswith((".sqlite3", ".sqlite", ".db")):
            return f": a database is given with --db {word}"
        if word.endswith(".csv"):
            return f": a CSV export is given with --csv {word} (and its pulse.json with --pulse)"
    return ""


def progress_bar(enabled: bool | None, total: int, desc: str):
    """A progress bar on stderr that only shows on a terminal (or when forced)."""
    from tqdm import tqdm

    disable = None if enabled is None else not enabled  # None: tqdm shows it only on a terminal
    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, disable=disable, leave=False)


def database_argument(text: str) -> str | Path:
    """``--db``: a PostgreSQL URL as given (a Path would fold its ``//``), else a file."""
    return text if is_postgres(text) else Path(text)


def source_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where the responses come from (a database or an export)")
    group.add_argument("--db", type=database_argument, metavar="PATH|URL",
                       help="a Trinity Pulse SQLite database or a postgresql:// URL (opened read-only)")
    group.add_argument("--survey", metavar="SLUG", help="the pulse to analyse, with --db")
    group.add_argument("--csv", type=Path, metavar="RESPONSES_CSV", help="responses.csv from 'flask export'")
    group.add_argument("--pulse", type=Path, metavar="PULSE_JSON", help="pulse.json from 'flask export'")


def privacy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--min-group", type=int, default=5, metavar="N",
        help="smallest group shown (default 5, never below 3)",
    )
    parser.add_argument(
        "--min-comments", type=int, default=10, metavar="N",
        help="fewest commenters for comments to be shown (default 10)",
    )
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar (default: only on a terminal)")


def policy_from(args) -> PrivacyPolicy:
    try:
        return PrivacyPolicy(min_group=args.min_group, min_comments=args.min_comments)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def load_pulse(args, csv_path: Path | None, *, with_previous: bool = True) -> tuple[PulseData, PulseData | None]:
    if args.db is not None:
        if csv_path is not None or args.pulse is not None:
            raise CommandError("give either --db with --survey, or an export (--csv and --pulse), not both")
        if not args.survey:
            raise CommandError("--db needs --survey SLUG (the pulse to analyse)")
        data = load_from_db(args.db, args.survey)
        return data, load_previous_from_db(args.db, data) if with_previous else None
    if csv_path is None or args.pulse is None:
        raise CommandError("say where the responses are: --db PATH --survey SLUG, or --csv responses.csv --pulse pulse.json")
    return load_from_export(csv_path, args.pulse), None


def write_table(table: pd.DataFrame, fmt: str, out: Path | None) -> None:
    if fmt == "csv":
        # Text cells a spreadsheet would run get a leading ' (csv_safe).
        text = csv_safe.to_csv(table, index=False)
    elif fmt == "json":
        text = table.to_json(orient="records", indent=2, force_ascii=False) + "\n"
    else:
        text = table.to_string(index=False) + "\n"
    emit(text, out)


def emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        # Owner-only, whatever the umask: these tables quote comments.
        files.make_private_dir(out.parent)
        files.write_private_text(out, text)
    except OSError as exc:
        raise CommandError(f"{out}: cannot write ({exc.strerror})") from exc
