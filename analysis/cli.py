"""The analysts' command line: ``python -m analysis <command>``.

Built on argparse (the standard library) rather than click so that the
analysis keeps no dependency of the web app's stack. Every failure an analyst
can cause - an unknown survey, a missing column, an unreadable file, empty
data - ends as one line on stderr and exit code 2, the convention argparse
itself uses for usage errors, so scripts can tell "you asked wrongly" from a
crash.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from . import csv_safe, files
from .engines import is_postgres
from .loader import (
    LoadError,
    PulseData,
    load_from_db,
    load_from_export,
    load_previous_from_db,
    load_pulse_definition,
)
from .privacy import PrivacyPolicy

EXIT_USAGE = 2


class CommandError(Exception):
    """A problem with the analyst's input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
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



def _progress(enabled: bool | None, total: int, desc: str):
    """A progress bar on stderr that only shows on a terminal (or when forced)."""
    from tqdm import tqdm

    disable = None if enabled is None else not enabled  # None: tqdm shows it only on a terminal
    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, disable=disable, leave=False)


def _database(text: str) -> str | Path:
    """``--db``: a PostgreSQL URL as given (a Path would fold its ``//``), else a file."""
    return text if is_postgres(text) else Path(text)


def _source_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where the responses come from (a database or an export)")
    group.add_argument("--db", type=_database, metavar="PATH|URL",
                       help="a Trinity Pulse SQLite database or a postgresql:// URL (opened read-only)")
    group.add_argument("--survey", metavar="SLUG", help="the pulse to analyse, with --db")
    group.add_argument("--csv", type=Path, metavar="RESPONSES_CSV", help="responses.csv from 'flask export'")
    group.add_argument("--pulse", type=Path, metavar="PULSE_JSON", help="pulse.json from 'flask export'")


def _privacy_arguments(parser: argparse.ArgumentParser) -> None:
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


def _policy(args) -> PrivacyPolicy:
    try:
        return PrivacyPolicy(min_group=args.min_group, min_comments=args.min_comments)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _load(args, csv_path: Path | None, *, with_previous: bool = True) -> tuple[PulseData, PulseData | None]:
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


def _write(table: pd.DataFrame, fmt: str, out: Path | None) -> None:
    if fmt == "csv":
        # Text cells a spreadsheet would run get a leading ' (csv_safe).
        text = csv_safe.to_csv(table, index=False)
    elif fmt == "json":
        text = table.to_json(orient="records", indent=2, force_ascii=False) + "\n"
    else:
        text = table.to_string(index=False) + "\n"
    _emit(text, out)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        # Owner-only, whatever the umask: these tables quote comments.
        files.make_private_dir(out.parent)
        files.write_private_text(out, text)
    except OSError as exc:
        raise CommandError(f"{out}: cannot write ({exc.strerror})") from exc


# --- scores -----------------------------------------------------------------------


def cmd_scores(args) -> int:
    """Alignment indices, reliability, eNPS, gaps, groups, trend and drivers."""
    from .report import build_score_report

    policy = _policy(args)
    by = [b.strip() for b in (args.by or "").split(",") if b.strip()]
    if len(by) > 2:
        raise CommandError(f"--by takes one segment or two (their combinations), got {len(by)}: {args.by}")
    steps = 10 + (1 if by else 0)
    with _progress(args.progress, steps, "scoring") as bar:
        bar.set_postfix_str("loading")
        data, previous = _load(args, args.csv)
        bar.update(1)
        if data.responses.empty:
            raise CommandError(f"{data.source}: survey '{data.survey}' has no responses yet")

        def step(name):
            bar.set_postfix_str(name)
            bar.update(1)

        try:
            report = build_score_report(data, by=by, previous=previous, policy=policy, progress=step)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    if args.format == "json":
        _emit(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n", args.out)
        return 0
    if args.format == "csv":
        if not report.visible:
            table = pd.DataFrame([{"survey": report.survey, "n": report.n_responses, "visible": False, "reason": report.reason}])
        else:
            name = args.table or ("groups" if by else "summary")
            tables = report.tables()
            if name not in tables:
                raise CommandError(f"--table {name}: no such table (choose from {', '.join(tables)})")
            table = tables[name]
        _write(table, "csv", args.out)
        return 0
    _emit(_render_text(report), args.out)
    return 0


def _render_text(report) -> str:
    lines = [f"{report.title} ({report.survey}, {report.period}): {report.n_responses} responses", ""]
    if not report.visible:
        lines.append(f"Nothing shown: {report.reason}.")
        return "\n".join(lines) + "\n"
    if report.enps:
        e = report.enps
        lines.append(
            f"eNPS {e['score']:+.0f} (95% CI {e['ci_low']:+.0f} to {e['ci_high']:+.0f}; "
            f"promoters {e['promoters']:.0f}%, detractors {e['detractors']:.0f}%, n={e['n']})"
        )
        lines.append("")
    for name, table in report.tables().items():
        if table is None or table.empty:
            continue
        lines.append(name.replace("_", " ").capitalize())
        lines.append("-" * len(name))
        shown = table.copy()
        text_columns = shown.select_dtypes(include=["object", "str"]).columns
        shown[text_columns] = shown[text_columns].fillna("")
        lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        lines.append("")
    lines.extend(f"note: {note}" for note in report.notes)
    return "\n".join(lines) + "\n"


# --- themes -----------------------------------------------------------------------


def _read_checked_csv(path: Path, column: str, **read_options) -> pd.DataFrame:
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


def _read_text_csv(path: Path, column: str) -> pd.Series:
    frame = _read_checked_csv(path, column)
    if frame.empty:
        raise CommandError(f"{path}: no rows (the file has a header but no comments)")
    return frame[column]


def _comments_from_pulse(data: PulseData) -> pd.DataFrame:
    items = data.instrument.comment_items()
    if not items:
        raise CommandError(f"{data.source}: instrument {data.instrument.id} has no comment questions")
    frames = []
    for item in items:
        texts = data.responses[item.id].dropna()
        texts = texts[texts.astype(str).str.strip() != ""]  # unanswered, not a comment
        frames.append(pd.DataFrame({"item": item.id, "text": texts.to_numpy(dtype=object)}))
    # Comments kept apart from their rows (small groups) count in the themes too.
    apart = data.comments
    if len(apart):
        frames.append(apart[["item", "text"]].astype(object))
    table = pd.concat(frames, ignore_index=True)
    # Rows are shuffled so that the output's order says nothing about who wrote what.
    return table.sample(frac=1.0, random_state=0).reset_index(drop=True)


def _read_roster(path: Path | None) -> list[str]:
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


def _csv_column_reader(path: Path, column: str, chunk: int = 50_000):
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


def _count_rows(path: Path, column: str) -> int:
    """Rows of the CSV, checking its header names ``column``; read a chunk at a time."""
    _read_checked_csv(path, column, nrows=0)
    return sum(1 for _ in _csv_column_reader(path, column)())


def _embeddings(args):
    """The themes' word embeddings, or None with ``--no-embeddings``."""
    return None if args.no_embeddings else "wordllama"


def _themes_streamed(args, n_themes, roster, policy) -> int:
    """``themes`` on a CSV of at least STREAMING_THRESHOLD comments: two
    passes over the file, rows written to ``--out`` a batch at a time."""
    from .comments import analyse_comments_stream

    instrument = strategy = None
    if args.pulse is not None:
        instrument, strategy = load_pulse_definition(args.pulse)
    handle = None
    written = [0]

    def sink(batch):
        nonlocal handle
        if args.out is None:
            written[0] += len(batch)
            return
        per_row = pd.DataFrame({
            "theme_id": batch["theme_id"].to_numpy(), "theme_label": batch["theme_label"].to_numpy(),
            "owner": batch["owner"].to_numpy(), "sentiment": batch["sentiment"].round(4).to_numpy(),
            "sentiment_label": batch["sentiment_label"].to_numpy(), "text": batch["text"].to_numpy(),
        })
        if handle is None:
            try:
                files.make_private_dir(args.out.parent)
                handle = files.open_private(args.out, "w", newline="")
            except OSError as exc:
                raise CommandError(f"{args.out}: cannot write ({exc.strerror})") from exc
        handle.write(csv_safe.to_csv(per_row, index=False, header=written[0] == 0))
        written[0] += len(batch)

    try:
        result = analyse_comments_stream(
            _csv_column_reader(args.input, args.text_column), instrument=instrument, strategy=strategy,
            roster_names=roster, n_themes=n_themes, random_state=args.random_state, policy=policy,
            sink=sink, embeddings=_embeddings(args),
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        if handle is not None:
            handle.close()
    if result.visibility is not None and not result.visibility.visible:
        sys.stdout.write(f"Comments not shown: {result.visibility.reason}.\n")
        return 0
    return _themes_summary(args, result, written[0], streamed=True)


def _themes_summary(args, result, n_rows: int, *, streamed: bool = False) -> int:
    themes = result.themes
    summary = themes.drop(columns=[c for c in ("representatives", "top_terms") if c in themes.columns])
    if args.format == "table":
        text = summary.to_string(index=False, float_format=lambda v: f"{v:.2f}") if not summary.empty else "no themes"
        scrubbed = ", ".join(f"{k}: {v}" for k, v in result.scrubbed_counts.items() if v) or "nothing"
        how = " (streamed: themes fitted on a sample, comments assigned in batches)" if streamed else ""
        sys.stdout.write(f"{n_rows} comments, {len(summary)} themes{how}; scrubbed {scrubbed}\n{text}\n")
    else:
        _write(themes if args.format == "json" else summary, args.format, None)
    return 0


def cmd_themes(args) -> int:
    """Cluster comments into themes with sentiment and route each to its owner."""
    from .comments import STREAMING_THRESHOLD, analyse_comments

    policy = _policy(args)
    n_themes: str | int = args.themes
    if n_themes != "auto":
        try:
            n_themes = int(n_themes)
        except ValueError:
            raise CommandError(f"--themes must be 'auto' or a whole number, got '{args.themes}'") from None
        if n_themes < 1:
            raise CommandError(f"--themes must be at least 1, got {n_themes}")
    roster = _read_roster(args.roster)
    if args.input is not None and args.db is None:
        # A file too large to hold: counted first, then streamed.
        n_rows = _count_rows(args.input, args.text_column)
        if n_rows >= STREAMING_THRESHOLD:
            return _themes_streamed(args, n_themes, roster, policy)
    with _progress(args.progress, 3, "themes") as bar:
        bar.set_postfix_str("loading")
        instrument = strategy = None
        if args.input is not None:
            if args.db is not None:
                raise CommandError("give either INPUT.csv or --db/--survey, not both")
            texts = _read_text_csv(args.input, args.text_column)
            table = pd.DataFrame({"text": texts})
            if args.pulse is not None:
                instrument, strategy = load_pulse_definition(args.pulse)
        else:
            data, _ = _load(args, args.csv, with_previous=False)
            table = _comments_from_pulse(data)
            instrument, strategy = data.instrument, data.strategy
        bar.update(1)
        bar.set_postfix_str("clustering")
        try:
            result = analyse_comments(
                table["text"],
                instrument=instrument,
                strategy=strategy,
                roster_names=roster,
                n_themes=n_themes,
                random_state=args.random_state,
                policy=policy,
                embeddings=_embeddings(args),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        bar.update(2)
    if result.visibility is not None and not result.visibility.visible:
        sys.stdout.write(f"Comments not shown: {result.visibility.reason}.\n")
        return 0
    comments = result.comments
    per_row = pd.DataFrame(
        {
            "theme_id": comments["theme_id"].to_numpy(),
            "theme_label": comments["theme_label"].to_numpy(),
            "owner": comments["owner"].to_numpy(),
            "sentiment": comments["sentiment"].round(4).to_numpy(),
            "sentiment_label": comments["sentiment_label"].to_numpy(),
            # Scrubbed: what a row says, without the names and contact details.
            "text": comments["text"].to_numpy(),
        }
    )
    if "item" in table:
        per_row.insert(0, "item", table["item"].to_numpy())
    if args.out is not None:
        _write(per_row, "csv", args.out)
    return _themes_summary(args, result, len(per_row), streamed=result.streamed)


# --- the parser -------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m analysis",
        description="Trinity Pulse analysis: alignment scores and comment themes, "
        "from a database or a CSV export.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scores = commands.add_parser(
        "scores",
        help="alignment indices, reliability, eNPS, gaps, group comparisons, key drivers",
        description="Score one pulse. Example: python -m analysis scores --db instance/trinity.sqlite3 "
        "--survey demo-2026-q4 --by department",
    )
    _source_arguments(scores)
    scores.add_argument("--by", metavar="SEGMENT[,SEGMENT]",
                        help="compare groups by department, team, tenure_band or role_level (two: their combinations)")
    scores.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="table: every table, for reading; json: every table; csv: one table (see --table)")
    scores.add_argument("--table", metavar="NAME",
                        help="with --format csv, the table to write: summary, reliability, know_feel_gap, "
                        "perception_gap, groups, change_since_previous, misconceptions, estimate_misconceptions, "
                        "drivers_knowledge, drivers_enps (default: groups with --by, else summary)")
    scores.add_argument("--out", type=Path, metavar="FILE", help="write there instead of to standard output")
    _privacy_arguments(scores)
    scores.set_defaults(handler=cmd_scores)

    themes = commands.add_parser(
        "themes",
        help="comment themes with sentiment, routed to the CEO, CLO or CMO",
        description="Cluster comments into themes. Examples: python -m analysis themes comments.csv "
        "--text-column text --out themes.csv; python -m analysis themes --db instance/trinity.sqlite3 "
        "--survey demo-2026-q4. From 200,000 comments on, the themes are fitted on a sample of 10,000 "
        "and the rest assigned in batches, reading a CSV twice without holding it (docs/themes.md, "
        "'Streaming: a million comments').",
    )
    themes.add_argument("input", nargs="?", type=Path, metavar="INPUT.csv", help="a CSV with one comment per row")
    themes.add_argument("--text-column", default="text", metavar="NAME", help="the column holding the comments (default: text)")
    _source_arguments(themes)
    themes.add_argument("--themes", default="auto", metavar="auto|N", help="number of themes, or auto (default)")
    themes.add_argument("--roster", type=Path, metavar="FILE",
                        help="names of people to scrub from the comments: one per line, or a CSV with a 'name' column")
    themes.add_argument("--random-state", type=int, default=0, metavar="N")
    themes.add_argument("--no-embeddings", action="store_true",
                        help="cluster on the comments' words alone, without the word embeddings "
                        "(docs/themes.md, step 4b)")
    themes.add_argument("--out", type=Path, metavar="FILE", help="one row per input row: theme, label, owner, sentiment")
    themes.add_argument("--format", choices=("table", "csv", "json"), default="table", help="the summary's format")
    _privacy_arguments(themes)
    themes.set_defaults(handler=cmd_themes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (CommandError, LoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
