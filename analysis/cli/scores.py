"""``python -m analysis scores``: one pulse's alignment scores, as text, CSV or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .common import (
    CommandError,
    emit,
    load_pulse,
    policy_from,
    privacy_arguments,
    progress_bar,
    source_arguments,
    write_table,
)


def cmd_scores(args) -> int:
    """Alignment indices, reliability, eNPS, gaps, groups, trend and drivers."""
    from ..report import build_score_report

    policy = policy_from(args)
    by = [b.strip() for b in (args.by or "").split(",") if b.strip()]
    if len(by) > 2:
        raise CommandError(f"--by takes one segment or two (their combinations), got {len(by)}: {args.by}")
    steps = 10 + (1 if by else 0)
    with progress_bar(args.progress, steps, "scoring") as bar:
        bar.set_postfix_str("loading")
        data, previous = load_pulse(args, args.csv)
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
        emit(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n", args.out)
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
        write_table(table, "csv", args.out)
        return 0
    emit(_render_text(report), args.out)
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


def add_parser(commands) -> None:
    """The ``scores`` sub-command, on the parser's sub-commands."""
    scores = commands.add_parser(
        "scores",
        help="alignment indices, reliability, eNPS, gaps, group comparisons, key drivers",
        description="Score one pulse. Example: python -m analysis scores --db instance/trinity.sqlite3 "
        "--survey demo-2026-q4 --by department",
    )
    source_arguments(scores)
    scores.add_argument("--by", metavar="SEGMENT[,SEGMENT]",
                        help="compare groups by department, team, tenure_band or role_level (two: their combinations)")
    scores.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="table: every table, for reading; json: every table; csv: one table (see --table)")
    scores.add_argument("--table", metavar="NAME",
                        help="with --format csv, the table to write: summary, reliability, know_feel_gap, "
                        "perception_gap, groups, change_since_previous, misconceptions, estimate_misconceptions, "
                        "drivers_knowledge, drivers_enps (default: groups with --by, else summary)")
    scores.add_argument("--out", type=Path, metavar="FILE", help="write there instead of to standard output")
    privacy_arguments(scores)
    scores.set_defaults(handler=cmd_scores)
