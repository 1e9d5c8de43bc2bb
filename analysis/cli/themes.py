"""``python -m analysis themes``: comment themes with sentiment and owners,
from a CSV of comments (streamed when too large to hold), a database or an export."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from .. import csv_safe, files
from ..loader import PulseData, load_pulse_definition
from .common import (
    CommandError,
    load_pulse,
    policy_from,
    privacy_arguments,
    progress_bar,
    source_arguments,
    write_table,
)
from .inputs import count_rows, csv_column_reader, read_roster, read_text_csv


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


def _embeddings(args):
    """The themes' word embeddings, or None with ``--no-embeddings``."""
    return None if args.no_embeddings else "wordllama"


def _themes_streamed(args, n_themes, roster, policy) -> int:
    """``themes`` on a CSV of at least STREAMING_THRESHOLD comments: two
    passes over the file, rows written to ``--out`` a batch at a time."""
    from ..comments import analyse_comments_stream

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
            csv_column_reader(args.input, args.text_column), instrument=instrument, strategy=strategy,
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
        write_table(themes if args.format == "json" else summary, args.format, None)
    return 0


def cmd_themes(args) -> int:
    """Cluster comments into themes with sentiment and route each to its owner."""
    from ..comments import STREAMING_THRESHOLD, analyse_comments

    policy = policy_from(args)
    n_themes: str | int = args.themes
    if n_themes != "auto":
        try:
            n_themes = int(n_themes)
        except ValueError:
            raise CommandError(f"--themes must be 'auto' or a whole number, got '{args.themes}'") from None
        if n_themes < 1:
            raise CommandError(f"--themes must be at least 1, got {n_themes}")
    roster = read_roster(args.roster)
    if args.input is not None and args.db is None:
        # A file too large to hold: counted first, then streamed.
        n_rows = count_rows(args.input, args.text_column)
        if n_rows >= STREAMING_THRESHOLD:
            return _themes_streamed(args, n_themes, roster, policy)
    with progress_bar(args.progress, 3, "themes") as bar:
        bar.set_postfix_str("loading")
        instrument = strategy = None
        if args.input is not None:
            if args.db is not None:
                raise CommandError("give either INPUT.csv or --db/--survey, not both")
            texts = read_text_csv(args.input, args.text_column)
            table = pd.DataFrame({"text": texts})
            if args.pulse is not None:
                instrument, strategy = load_pulse_definition(args.pulse)
        else:
            data, _ = load_pulse(args, args.csv, with_previous=False)
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
        write_table(per_row, "csv", args.out)
    return _themes_summary(args, result, len(per_row), streamed=result.streamed)


def add_parser(commands) -> None:
    """The ``themes`` sub-command, on the parser's sub-commands."""
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
    source_arguments(themes)
    themes.add_argument("--themes", default="auto", metavar="auto|N", help="number of themes, or auto (default)")
    themes.add_argument("--roster", type=Path, metavar="FILE",
                        help="names of people to scrub from the comments: one per line, or a CSV with a 'name' column")
    themes.add_argument("--random-state", type=int, default=0, metavar="N")
    themes.add_argument("--no-embeddings", action="store_true",
                        help="cluster on the comments' words alone, without the word embeddings "
                        "(docs/themes.md, step 4b)")
    themes.add_argument("--out", type=Path, metavar="FILE", help="one row per input row: theme, label, owner, sentiment")
    themes.add_argument("--format", choices=("table", "csv", "json"), default="table", help="the summary's format")
    privacy_arguments(themes)
    themes.set_defaults(handler=cmd_themes)
