"""The leaders' report of one pulse: :func:`build_leader_report`.

Privacy is decided here once for the union of every page and download (see
the package's docstring); the parts of the report are computed by the
sibling modules from those decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import groups as group_stats
from ..loader import PulseData
from ..privacy import PrivacyPolicy, protect
from ..report import build_score_report
from ..scoring import keyed_likert
from .headlines import executive_headlines, training_gap
from .measures import (
    estimate_charts,
    favourable_bands,
    measure_columns,
    measure_table,
    series_trend,
    union_groups,
)
from .themes import comment_report
from .values import json_number, json_records, points

__all__ = ["REPORT_VERSION", "build_leader_report"]

#: Bump when the dict's shape changes, or what its sentences say, so cached
#: reports are rebuilt. 2: differences that round to 0 are no longer "below"
#: (nor written "-0"); a department's difference is that of the printed
#: scores; the score tables' reading order (score_table_columns).
#: 3: themes joined with word embeddings (docs/themes.md, step 4b).
REPORT_VERSION = 3


def build_leader_report(
    data: PulseData,
    *,
    previous: PulseData | None = None,
    history: Sequence[PulseData] = (),
    policy: PrivacyPolicy | None = None,
    n_boot: int = 200,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
    n_themes: int | str = "auto",
    embeddings: str | None = "wordllama",
) -> dict:
    """Everything the leaders' pages and downloads show for one pulse.

    Parameters
    ----------
    data : the pulse, as the loader reads it (published, coarsened, scrubbed).
    previous : the previous pulse of the series, for "change since".
    history : the earlier pulses of the series, oldest first, for the trend.
    progress : called with the name of each step (those of
        :func:`analysis.report.build_score_report` and
        :func:`analysis.comments.analyse_comments` among them), for a
        progress bar or a benchmark.
    n_themes : the number of comment themes, or "auto" (``docs/themes.md``):
        a leader's choice for a pulse whose automatic count they know to be off.
    embeddings : the comment themes' word embeddings, or None for words alone
        (``docs/themes.md``, step 4b; the app's ``TRINITY_THEME_EMBEDDINGS``).

    Returns a dict of plain JSON values; ``visible`` is False (with a
    ``reason``) when the company itself is below the minimum group size.
    """
    policy = policy or PrivacyPolicy()
    step = progress or (lambda name: None)
    n = len(data.responses)
    company = protect({"company": np.ones(n, dtype=bool)}, policy)["company"]
    report: dict = {
        "version": REPORT_VERSION, "survey": data.survey, "title": data.title,
        "period": data.period, "visible": company.visible,
        "reason": company.reason, "n": n if company.visible else None,
        "min_group": policy.min_group, "min_comments": policy.min_comments,
    }
    if not company.visible:
        return report
    score_report = build_score_report(data, by=["department"], previous=previous, policy=policy,
                                      n_boot=n_boot, random_state=random_state, progress=step)
    step("report: measures and their privacy")
    table, meta = measure_table(data)
    columns = measure_columns(meta)
    decided = {None: protect(union_groups(table, None, data.leadership_levels), policy)}
    for column in [*columns, *(["enps_answer"] if "enps_answer" in table else [])]:
        decided[column] = protect(union_groups(table, column, data.leadership_levels), policy)

    def visible(column, kind, name=None) -> bool:
        """Shown only if both the group and its statistic pass the rules."""
        # A measure nobody answered has no column, so nothing to show.
        vis, base = decided.get(column, {}).get((kind, name)), decided[None].get((kind, name))
        return bool(vis and vis.visible and base and base.visible)

    # Driver impact of each Likert item: its mean share of R² over the
    # outcomes, relative to an average driver (1 / number of items).
    impact: dict[str, float] = {}
    for outcome, frame in score_report.drivers.items():
        for row in frame.itertuples():
            impact.setdefault(f"item_{row.item}", []).append(row.share * len(frame))
    impact = {k: float(np.mean(v)) for k, v in impact.items()}

    step("report: change since previous pulse")
    before_table = None
    if previous is not None and len(previous.responses):
        before_table, _ = measure_table(previous)
    # Change since the previous pulse, in one call for the company and one
    # for the departments (each measure one family of tests, as in the
    # score report).
    company_change: dict = {}
    dept_change: dict = {}
    compared = [k for k in columns if before_table is not None and k in before_table]
    if compared:
        frame = group_stats.change_since_previous(table, before_table, value=compared, policy=policy)
        company_change = {row["measure"]: row for _, row in frame.iterrows()}
        frame = group_stats.change_since_previous(table, before_table, value=compared, by="department",
                                                  policy=policy)
        dept_change = {(row["measure"], row["department"]): row for _, row in frame.iterrows()}
    step("report: measures, departments, headlines")
    # Keyed once: keying is row by row, so a department's rows of this table
    # are its keyed answers.
    keyed_all = keyed_likert(data.responses, data.instrument)
    measures: dict[str, dict] = {}
    for key in columns:
        values = table[key]
        m = {"key": key, **meta[key], "impact": impact.get(key, 1.0), "score": None, "n": None,
             "previous": None, "change": None}
        if visible(key, "company"):
            m["score"] = float(values.mean())
            m["n"] = int(values.notna().sum())
        row = company_change.get(key)
        if m["score"] is not None and row is not None and bool(row["visible"]):
            m["previous"] = json_number(row["previous_mean"])
            m["change"] = json_number(row["change"])
        if meta[key]["kind"] == "item" and m["score"] is not None and m["n"] >= policy.min_comments:
            item = data.instrument.item(meta[key]["item"])
            fav, neu, unf = favourable_bands(keyed_all[item.id], item.scale.points)
            m["bands"] = {"favourable": fav, "neutral": neu, "unfavourable": unf}
        measures[key] = m
    report["measures"] = measures

    # Departments: each measure's score and difference from the company.
    departments = sorted(table["department"].dropna().astype(str).unique())
    dept = table["department"].astype(object)
    dept_report = {}
    for name in departments:
        inside = dept == name
        cells = {}
        for key in columns:
            if not (visible(key, "department", name) and measures[key]["score"] is not None):
                cells[key] = {"visible": False}
                continue
            values = table.loc[inside, key].dropna()
            score = float(values.mean())
            # The difference of the two scores as every page prints them (70
            # and 72: -2, where the exact 69.6 - 72.4 would print -3), so a
            # leader's arithmetic always adds up; the analyst's tables keep
            # the exact difference with its interval.
            cell = {"visible": True, "score": score,
                    "diff": float(points(score) - points(measures[key]["score"])),
                    "n": int(len(values)), "change": None}
            if meta[key]["kind"] == "item" and len(values) >= policy.min_comments:
                item = data.instrument.item(meta[key]["item"])
                keyed = keyed_all.loc[inside.to_numpy(), item.id]
                fav, neu, unf = favourable_bands(keyed, item.scale.points)
                cell["bands"] = {"favourable": fav, "neutral": neu, "unfavourable": unf}
            row = dept_change.get((key, name))
            if row is not None and bool(row["visible"]):
                cell["change"] = json_number(row["change"])
            cells[key] = cell
        shown = [c for c in cells.values() if c["visible"]]
        base = decided[None][("department", name)]
        dept_report[name] = {"name": name, "n": int(inside.sum()) if base.visible and shown else None,
                             "measures": cells}
    report["departments"] = dept_report
    report["heatmap_columns"] = [f"index_{c.id}" for c in data.instrument.constructs] + ["knowledge"]

    report["headlines"] = executive_headlines(data.instrument, columns, meta, measures, dept_report)

    step("report: tables, estimates, trend")
    # Company-level tables of the score report (one group: the company).
    report["enps"] = score_report.enps if visible("enps_answer", "company") else {}
    report["know_feel"] = json_records(score_report.know_feel)
    report["drivers"] = {k: json_records(v) for k, v in score_report.drivers.items()}
    gap_ok = all(visible(c, side) for c in columns if meta[c]["kind"] == "index"
                 for side in ("leaders", "staff"))
    report["perception_gap"] = json_records(score_report.perception_gap) if gap_ok else []
    report["perception_gap_reason"] = "" if gap_ok else (
        "Leaders or staff are too few to compare without singling people out.")
    report["misconceptions"] = json_records(score_report.misconceptions)
    report["estimate_misconceptions"] = json_records(score_report.estimate_misconceptions)
    report["notes"] = list(score_report.notes)
    report["score_tables"] = score_tables(score_report, visible, gap_ok)
    # The stored report's keys are sorted; a list keeps the reading order of
    # ``python -m analysis scores`` (tables, and the columns of each).
    report["score_table_columns"] = [[name, [str(c) for c in frame.columns]]
                                     for name, frame in score_report.tables().items()]

    report["training_gap"] = training_gap(columns, meta, dept_report)

    report["estimates"] = estimate_charts(data, visible, policy)

    report["trend"] = series_trend(data, history, table, report["heatmap_columns"] + ["overall"], policy)

    report["comments"], report["department_comments"] = comment_report(
        data, departments, policy, random_state, step, n_themes, embeddings)
    return report


def score_tables(score_report, visible, gap_ok: bool) -> dict[str, list[dict]]:
    """The tables of ``python -m analysis scores`` for the analyst's page,
    each group row kept only where the one decision for all pages lets the
    group's statistic through (a row hidden there shows no figure and no n)."""
    tables = {}
    for name, frame in score_report.tables().items():
        rows = json_records(frame)
        if name in ("groups", "change_since_previous"):
            for row in rows:
                if row.get("visible") and not visible(row["measure"], "department", row.get("department")):
                    row.update({k: None for k in row if k not in ("measure", "department", "reason")})
                    row.update(visible=False, reason="withheld so that no page's figures can be combined "
                                                     "to single out a small group")
        if name == "perception_gap" and not gap_ok:
            rows = []
        tables[name] = rows
    return tables
