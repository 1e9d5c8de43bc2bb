"""Where the report pages get their data: once per published snapshot.

The first page opened after a snapshot is published runs
:func:`analysis.leader_report.build_leader_report` on what the analysis
loader reads (published responses only, coarsened and scrubbed as an export
is) and stores the result; every later page and download of that snapshot
reads the stored JSON. For a large pulse a background thread builds it
instead, and pages show the previous snapshot meanwhile
(:mod:`survey_app.reports.building`). Nothing here computes a figure.
"""

from __future__ import annotations

from flask import current_app

from analysis.leader_report import REPORT_VERSION, apply_theme_moves, build_leader_report
from analysis.loader import load_from_db
from survey_app import storage
from survey_app.db import get_db
from survey_app.reports import building
from survey_app.reports.building import ReportPending


def reportable_pulses() -> list:
    """Pulses with at least one published snapshot, newest period first."""
    db = get_db()
    pulses = [p for p in storage.list_pulses(db) if storage.latest_snapshot(db, p.slug) is not None]
    return sorted(pulses, key=lambda p: (p.period, p.slug), reverse=True)


def pick_pulse(slug: str | None):
    """The pulse a page shows: ``slug`` if it has results, else the newest
    with results; ``None`` when nothing is published yet. An unknown or
    unpublished ``slug`` gives a :class:`LookupError` with a message."""
    pulses = reportable_pulses()
    if slug:
        for pulse in pulses:
            if pulse.slug == slug:
                return pulse
        raise LookupError(f"No published results for a survey called '{slug}'.")
    return pulses[0] if pulses else None


def _series(slug: str) -> list[str]:
    """Slugs of the published pulses of ``slug``'s series up to it, oldest first."""
    db = get_db()
    pulse = storage.get_pulse(db, slug)
    same = [p for p in storage.list_pulses(db) if p.instrument.id == pulse.instrument.id
            and storage.latest_snapshot(db, p.slug) is not None]
    same.sort(key=lambda p: (p.period, p.slug))
    slugs = [p.slug for p in same]
    return slugs[: slugs.index(slug) + 1]


def report_for(slug: str) -> dict:
    """The report of ``slug``'s latest snapshot, computed now if it never was.

    A pulse of more than ``REPORT_INLINE_MAX_RESPONSES`` responses is built
    in the background instead (``survey_app.reports.building``): meanwhile
    the version before is returned, marked ``stale`` (the previous
    snapshot's, or this one's with another number of themes or embedding
    setting), or, if no report of the pulse was ever kept,
    :class:`ReportPending` is raised.
    """
    db = get_db()
    cached, current = _stored(db, slug)
    if current:
        return cached
    # An in-memory database is the request's own: no other thread could read it.
    if (storage.count_responses(db, slug) <= current_app.config["REPORT_INLINE_MAX_RESPONSES"]
            or str(current_app.config["DATABASE"]) == ":memory:"):
        return build_report(slug)
    # Read before the build starts, so a build that ends at once cannot be
    # shown as the earlier report.
    earlier = cached or storage.latest_cached_report(db, slug, REPORT_VERSION)
    building.start(current_app._get_current_object(), slug, build_report)
    if earlier is None:
        raise ReportPending(slug)
    return dict(earlier, stale=True)


def _stored(db, slug: str) -> tuple[dict | None, bool]:
    """The stored report of ``slug``'s latest snapshot (None if never built),
    and whether it is current: its comment themes were built with the number
    a leader now asks for (``storage.theme_count``; reports from before the
    choice existed were automatic) and with the word embeddings the app is
    configured for (``THEME_EMBEDDINGS``)."""
    snapshot = storage.latest_snapshot(db, slug)
    if snapshot is None:
        raise LookupError(f"No published results for '{slug}' yet.")
    cached = storage.cached_report(db, slug, snapshot, REPORT_VERSION)
    if cached is None:
        return None, False
    asked = storage.theme_count(db, slug) or "auto"
    comments = cached.get("comments", {})
    return cached, (comments.get("requested", "auto") == asked
                    and comments.get("embeddings", "wordllama") == current_app.config["THEME_EMBEDDINGS"])


def ensure_report(slug: str) -> dict:
    """The report of ``slug``'s latest snapshot, built now (whatever the
    pulse's size) if it never was: for the command line, which has no
    worker timeout and would end a background build by exiting."""
    cached, current = _stored(get_db(), slug)
    return cached if current else build_report(slug)


def build_report(slug: str) -> dict:
    """Build, store and return the report of ``slug``'s latest snapshot."""
    db = get_db()
    snapshot = storage.latest_snapshot(db, slug)
    path = current_app.config["DATABASE"]
    series = _series(slug)
    loaded = [load_from_db(path, s) for s in series]
    data, history = loaded[-1], loaded[:-1]
    report = build_leader_report(data, previous=history[-1] if history else None, history=history,
                                 n_themes=storage.theme_count(db, slug) or "auto",
                                 embeddings=current_app.config["THEME_EMBEDDINGS"])
    report["instrument_id"] = data.instrument.id
    storage.store_report(db, slug, snapshot, REPORT_VERSION, report)
    # What every later page reads, not the computed dict: the JSON round
    # trip (string keys, sorted) changed what the first page after a build
    # showed, so its PDF and HTML differed from every later one.
    return storage.cached_report(db, slug, snapshot, REPORT_VERSION)


def previous_report(slug: str) -> dict | None:
    """The report of the pulse before ``slug`` in its series, if published
    (and built: None while its first build runs)."""
    series = _series(slug)
    if len(series) < 2:
        return None
    try:
        return report_for(series[-2])
    except ReportPending:
        # Its first build has started; this page shows no comparison meanwhile.
        return None


def with_moves(report: dict) -> dict:
    """The report with leaders' theme moves applied to its themes (stored
    moves are matched again to whatever themes this fit found)."""
    moves = storage.theme_moves(get_db(), report.get("instrument_id", ""))
    out = dict(report)
    if "comments" in report:
        out["comments"] = dict(report["comments"], themes=apply_theme_moves(report["comments"]["themes"], moves))
        out["department_comments"] = {
            name: dict(block, themes=apply_theme_moves(block["themes"], moves))
            for name, block in report.get("department_comments", {}).items()}
    return out


def analyst_tables(slug: str, report: dict) -> dict:
    """The analyst's page: the score tables stored with the report, in the
    order ``python -m analysis scores`` prints them and with its columns.

    ``tables`` is a list of ``(name, columns, rows)``.
    """
    stored = report.get("score_tables", {})
    tables = [(name, columns, stored.get(name, []))
              for name, columns in report.get("score_table_columns", [])]
    return {"survey": report["survey"], "title": report["title"], "period": report["period"],
            "n": report["n"], "visible": report["visible"], "reason": report["reason"],
            "stale": bool(report.get("stale")), "tables": tables}
