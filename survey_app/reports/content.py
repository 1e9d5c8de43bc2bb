"""What each report page shows, cut from the stored report data.

A page and its PDF, JSON and CSV downloads are made from the same view dict
(:func:`executive_view`, :func:`department_view`), so a download can never hold
more than its page. A department's view holds that department's figures and
the company's only: no other department's cell, so a manager who edits a URL
still gets nothing of another department (the routes refuse it anyway).
Nothing here computes a statistic; the figures come from
:mod:`analysis.leader_report`.
"""

from __future__ import annotations

import csv
import io

from analysis import csv_safe

EXECUTIVE_PAGES = ("ceo", "clo", "cmo")
TITLES = {
    "ceo": "The chief executive's report",
    "clo": "The chief learning officer's report",
    "cmo": "The chief marketing officer's report",
}
#: The measures each executive's page details, besides its key index.
PAGE_MEASURES = {
    "ceo": ("overall", "index_strategy", "knowledge"),
    "clo": ("index_learning", "knowledge"),
    "cmo": ("index_customer",),
}


def _without_counts(measure: dict) -> dict:
    """A measure without its count of answers: only the groups' respondent
    counts leave, since two counts of the same group (everyone, and those who
    answered one item) would differ by the few who left the item blank."""
    return {k: v for k, v in measure.items() if k != "n"}


def _base(report: dict) -> dict:
    view = {k: report.get(k) for k in ("survey", "title", "period", "n", "visible", "reason",
                                       "min_group", "min_comments")}
    # An earlier version of the report (the previous snapshot's, or one
    # built with another number of themes), shown while the latest one is
    # built (survey_app.reports.building): the page says so.
    view["stale"] = bool(report.get("stale"))
    return view


def _items(report: dict, owner: str | None) -> list[dict]:
    return [_without_counts(m) for m in report.get("measures", {}).values()
            if m["kind"] == "item" and (owner is None or m["owner"] == owner)]


def _named(rows: list[dict], measures: dict, field: str, prefix: str = "") -> list[dict]:
    """``rows`` with a ``label``: the name a leader reads for ``row[field]``.

    The score tables name items, checks and indices by their ids
    (``k_goals``, ``st_priorities_shift``); the measures hold what each is
    called ("Naming this quarter's goals", the statement itself), so a page
    never shows an id. An id with no measure keeps the id.
    """
    named = []
    for row in rows:
        measure = measures.get(f"{prefix}{row.get(field)}")
        named.append(row | {"label": measure["label"] if measure else str(row.get(field))})
    return named


def executive_view(report: dict, page: str) -> dict:
    """The content of one executive's page (and of its downloads)."""
    view = _base(report) | {"page": page, "page_title": TITLES[page]}
    if not report.get("visible"):
        return view
    measures = report["measures"]
    head = report["headlines"][page]
    key = _without_counts(measures[head["key_index"]])
    themes = report["comments"]["themes"]
    view |= {
        "key": key,
        "headlines": head,
        "measures": {k: _without_counts(measures[k]) for k in PAGE_MEASURES[page] if k in measures},
        "themes": [t for t in themes if t["owner"] == page],
        # How many themes the company's comments were grouped into, and
        # whether a leader chose that number ("auto" otherwise).
        "themes_total": sum(1 for t in themes if t["theme_id"] >= 0),
        "themes_requested": report["comments"].get("requested", "auto"),
        "comments_visible": report["comments"]["visible"],
        "comments_reason": report["comments"]["reason"],
        "statements": _items(report, None if page == "ceo" else page),
        "notes": report.get("notes", []),
    }
    if page == "ceo":
        columns = report["heatmap_columns"]
        view["heatmap"] = {
            "columns": [{"key": c, "label": measures[c]["label"], "company": measures[c]["score"]} for c in columns],
            "rows": [{"department": name, "cells": [
                dept["measures"][c].get("diff") if dept["measures"][c]["visible"] else None for c in columns]}
                for name, dept in sorted(report["departments"].items())],
        }
        view |= {k: report[k] for k in ("perception_gap_reason", "enps", "trend")}
        view["know_feel"] = _named(report["know_feel"], measures, "item", "check_")
        view["perception_gap"] = _named(report["perception_gap"], measures, "index")
        view["drivers"] = {outcome: _named(rows, measures, "item", "item_")
                           for outcome, rows in report["drivers"].items()}
        view["trend_columns"] = [(c, measures[c]["label"]) for c in [*columns, "overall"] if c in measures]
    if page == "clo":
        view["training_gap"] = report["training_gap"]
        view["misconceptions"] = _named(report["misconceptions"], measures, "item", "check_")
        view["know_feel"] = _named(report["know_feel"], measures, "item", "check_")
    if page == "cmo":
        view["estimates"] = report["estimates"]
        view["estimate_misconceptions"] = report["estimate_misconceptions"]
        view["checks"] = [_without_counts(m) for m in measures.values()
                          if m["kind"] == "check" and m["owner"] == "cmo"]
    return view


def department_view(report: dict, name: str) -> dict:
    """One department's page: its figures beside the company's, nothing of
    any other department."""
    view = _base(report) | {"page": "department", "department": name,
                            "page_title": f"{name}: the department's report"}
    dept = report.get("departments", {}).get(name)
    if not report.get("visible") or dept is None:
        view["visible"] = False
        view["n"] = None  # the company's count is not this department's
        view["reason"] = view.get("reason") or "No results can be shown for this department."
        return view
    rows = []
    for key, cell in dept["measures"].items():
        company = report["measures"][key]
        rows.append({"key": key, "label": company["label"], "kind": company["kind"],
                     "company": company["score"], **_without_counts(cell)})
    block = report["department_comments"].get(name, {"visible": False, "themes": []})
    view |= {"n": dept["n"] if any(r["visible"] for r in rows) and dept["n"] is not None else None,
             "rows": rows,
             "themes": block["themes"], "comments_visible": block["visible"]}
    if view["n"] is None:
        view["visible"] = False
        view["reason"] = "Too few people in this department answered for any figure to be shown."
    return view


def csv_rows(view: dict) -> list[list]:
    """A view as ``section, group, measure, label, value`` rows."""
    rows = [["section", "group", "measure", "label", "value"]]
    if not view.get("visible"):
        rows.append(["report", "", "", "withheld", view.get("reason") or ""])
        return rows
    group = view.get("department") or "company"
    rows.append(["respondents", group, "n", "respondents", view.get("n")])
    if "key" in view:
        k = view["key"]
        rows += [["key index", "company", k["key"], k["label"], k["score"]],
                 ["key index change", "company", k["key"], k["label"], k["change"]]]
        for kind in ("strengths", "focus", "attention"):
            for h in view["headlines"][kind]:
                rows.append([kind, h.get("department", "company"), h["measure"], h["sentence"], ""])
        for m in view["statements"]:
            rows.append(["item", "company", m["key"], m["label"], m["score"]])
            for band, share in (m.get("bands") or {}).items():
                rows.append([f"item {band} %", "company", m["key"], m["label"], share])
    for r in view.get("rows", []):
        rows.append(["department", group, r["key"], r["label"], r.get("score") if r["visible"] else "Insufficient"])
        if r["visible"]:
            rows.append(["difference from company", group, r["key"], r["label"], r["diff"]])
    for cell_row in (view.get("heatmap") or {}).get("rows", []):
        for col, value in zip(view["heatmap"]["columns"], cell_row["cells"]):
            rows.append(["heatmap difference", cell_row["department"], col["key"], col["label"],
                         "Insufficient" if value is None else value])
    for t in view.get("themes", []):
        rows.append(["theme", group, ",".join(t["top_terms"]), t["label"], t["size"]])
        rows.append(["theme negative share", group, ",".join(t["top_terms"]), t["label"], t["negative_share"]])
        for text in t["representatives"]:
            rows.append(["comment", group, ",".join(t["top_terms"]), t["label"], text])
    for e in view.get("estimates", []):
        for b in e["bins"]:
            rows.append(["estimate guesses", "company", e["item"], f"{b['low']:.0f} to {b['high']:.0f}", b["count"]])
    for m in view.get("misconceptions", []) + view.get("estimate_misconceptions", []):
        rows.append(["misconception", "company", m["item"], m["belief"], m["count"]])
    return rows


def _cell(value):
    """A CSV cell: figures with two decimals, text through the one formula
    guard every CSV of ours shares (:mod:`analysis.csv_safe`).

    A figure is a number and is never guarded (-12.50 stays -12.50); text
    that a spreadsheet would run, a comment typed as ``=HYPERLINK(...)`` or
    ``-x``, gets its leading ``'``.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return csv_safe.guard(value)


def to_csv(view: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(view):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def heatmap_rows(view: dict) -> list[tuple[str, list]]:
    """The heatmap's ``(department, cells)`` rows, for :func:`charts.heatmap`."""
    return [(row["department"], row["cells"]) for row in view["heatmap"]["rows"]]


def trend_points(view: dict) -> list[tuple[str, dict]]:
    """The trend's ``(period, scores)`` points, for :func:`charts.trend`."""
    return [(point["period"], point["scores"]) for point in view["trend"]]


def driver_bars(rows: list[dict]) -> list[tuple[str, float]]:
    """Key drivers as ``(statement, percent of explained variance)``."""
    return [(row.get("label", row["item"]), row["share"] * 100)
            for row in rows if row.get("share") is not None]
