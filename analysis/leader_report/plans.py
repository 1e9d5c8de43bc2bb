"""How a measure changed between two reports: what an action plan is judged by."""

from __future__ import annotations

from collections.abc import Mapping

from .themes import match_theme

__all__ = ["measure_change"]


def measure_change(then: Mapping, now: Mapping, measure: str, department: str | None = None) -> float | None:
    """The change of a measure from one report to the next, or None when
    either side withholds it. ``measure`` may be ``theme:<terms>`` (the
    theme's negative share, matched by terms).

    Examples
    --------
    >>> then = {"measures": {"knowledge": {"score": 50.0}}}
    >>> now = {"measures": {"knowledge": {"score": 58.5}}}
    >>> measure_change(then, now, "knowledge")
    8.5"""
    if measure.startswith("theme:"):
        terms = measure[len("theme:"):].split(",")
        source = (lambda r: r.get("comments", {}).get("themes", [])) if department is None else \
            (lambda r: r.get("department_comments", {}).get(department, {}).get("themes", []))
        a, b = match_theme(source(then), terms), match_theme(source(now), terms)
        if a is None or b is None or a["negative_share"] is None or b["negative_share"] is None:
            return None
        return (b["negative_share"] - a["negative_share"]) * 100

    def score(report):
        if department is None:
            return report.get("measures", {}).get(measure, {}).get("score")
        cell = report.get("departments", {}).get(department, {}).get("measures", {}).get(measure, {})
        return cell.get("score") if cell.get("visible") else None

    a, b = score(then), score(now)
    return None if a is None or b is None else b - a
