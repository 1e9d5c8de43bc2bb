"""The leaders' reports: the cached report data, action plans and theme moves.

A report is computed once per published snapshot (``analysis.leader_report``)
and kept here as JSON, so that opening a page reads one row instead of running
the analysis. Action plans and theme moves are what leaders decided; neither
holds an answer or a time (who did what, when, is in the audit log).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from survey_app.storage.base import StorageError, write_transaction

#: Who a commitment can belong to besides a department (``department:<name>``).
PLAN_OWNERS = ("ceo", "clo", "cmo")
PLAN_STATUSES = ("open", "in progress", "done", "dropped")
PLAN_SOURCES = ("focus", "strength", "attention", "theme")
#: Who a theme can be moved to ("other": nobody's in particular).
THEME_OWNERS = ("ceo", "clo", "cmo", "other")
#: The numbers of comment themes a leader may ask a report for (the schema's
#: CHECK; ThemeClusterer's own search range for "auto" is 2 to 20 too).
THEME_COUNTS = range(2, 21)
#: Longest commitment text accepted.
MAX_PLAN_TEXT = 500


def cached_report(db: sqlite_utils.Database, slug: str, snapshot: int, version: int) -> dict | None:
    """The stored report of one snapshot, or None when it was never computed."""
    rows = list(db.query(
        "SELECT data FROM report_cache WHERE pulse_slug = ? AND snapshot = ? AND version = ?",
        [slug, snapshot, version]))
    return json.loads(rows[0]["data"]) if rows else None


def latest_cached_report(db: sqlite_utils.Database, slug: str, version: int) -> dict | None:
    """The stored report of the pulse's newest snapshot that has one, or None.

    What a page shows while the latest snapshot's report is being built: an
    earlier snapshot, which passed the privacy rules on its own (every
    published snapshot does), never a mix of two.
    """
    rows = list(db.query(
        "SELECT data FROM report_cache WHERE pulse_slug = ? AND version = ? "
        "ORDER BY snapshot DESC LIMIT 1", [slug, version]))
    return json.loads(rows[0]["data"]) if rows else None


def store_report(db: sqlite_utils.Database, slug: str, snapshot: int, version: int, data: dict) -> None:
    """Keep a computed report; older snapshots' reports of the pulse are dropped
    (pages show the latest snapshot only), except the previous pulse's, which
    lives under its own slug."""
    text = json.dumps(data, allow_nan=False, sort_keys=True)
    with write_transaction(db):
        db.execute("DELETE FROM report_cache WHERE pulse_slug = ? AND (snapshot <> ? OR version <> ?)",
                   [slug, snapshot, version])
        db.execute("INSERT INTO report_cache (pulse_slug, snapshot, version, data) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT (pulse_slug, snapshot, version) "
                   "DO UPDATE SET data = excluded.data", [slug, snapshot, version, text])


@dataclass(frozen=True)
class ActionPlan:
    """One commitment (see ``docs/reports.md``, "Action plans")."""

    id: int
    pulse_slug: str
    source: str
    measure: str
    measure_label: str
    department: str | None
    what: str
    owner: str
    due_on: str
    status: str
    created_by: str

    @property
    def owner_label(self) -> str:
        return self.owner.split(":", 1)[1] if self.owner.startswith("department:") else self.owner.upper()


def _check_plan(owner: str, due_on: str, status: str, what: str, department: str | None) -> None:
    if department is not None:
        if owner != f"department:{department}":
            raise StorageError(f"a commitment about {department} belongs to that department, not {owner!r}")
    elif owner not in PLAN_OWNERS:
        raise StorageError(f"owner must be one of {', '.join(PLAN_OWNERS)}, got {owner!r}")
    try:
        date.fromisoformat(due_on)
    except (TypeError, ValueError):
        raise StorageError(f"due date must be a date such as 2027-03-31, got {due_on!r}") from None
    if status not in PLAN_STATUSES:
        raise StorageError(f"status must be one of {', '.join(PLAN_STATUSES)}, got {status!r}")
    if not what or not what.strip():
        raise StorageError("say what will be done")
    if len(what) > MAX_PLAN_TEXT:
        raise StorageError(f"the commitment is {len(what)} characters; at most {MAX_PLAN_TEXT}")


def add_action_plan(db: sqlite_utils.Database, *, pulse_slug: str, source: str, measure: str,
                    measure_label: str, what: str, owner: str, due_on: str, created_by: str,
                    department: str | None = None, status: str = "open") -> int:
    """Record a commitment; returns its id. Bad input raises :class:`StorageError`."""
    if source not in PLAN_SOURCES:
        raise StorageError(f"source must be one of {', '.join(PLAN_SOURCES)}, got {source!r}")
    _check_plan(owner, due_on, status, what, department)
    with write_transaction(db):
        if not list(db.query("SELECT 1 FROM pulses WHERE slug = ?", [pulse_slug])):
            raise StorageError(f"no survey with slug '{pulse_slug}'")
        cursor = db.execute(
            "INSERT INTO action_plans (pulse_slug, source, measure, measure_label, department, what, "
            "owner, due_on, status, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [pulse_slug, source, measure, measure_label, department, what.strip(), owner, due_on,
             status, created_by])
        return int(cursor.fetchone()[0])


def get_action_plan(db: sqlite_utils.Database, plan_id: int) -> ActionPlan | None:
    rows = list(db.query("SELECT * FROM action_plans WHERE id = ?", [plan_id]))
    return ActionPlan(**rows[0]) if rows else None


def set_plan_status(db: sqlite_utils.Database, plan_id: int, status: str) -> None:
    if status not in PLAN_STATUSES:
        raise StorageError(f"status must be one of {', '.join(PLAN_STATUSES)}, got {status!r}")
    with write_transaction(db):
        cursor = db.execute("UPDATE action_plans SET status = ? WHERE id = ?", [status, plan_id])
        if cursor.rowcount == 0:
            raise StorageError(f"no commitment {plan_id}")


def list_action_plans(db: sqlite_utils.Database, *, pulse_slugs: list[str] | None = None,
                      owner: str | None = None, department: str | None = None,
                      open_only: bool = False) -> list[ActionPlan]:
    """Commitments, oldest first, filtered by pulse(s), owner, department
    (``department`` given: only that department's) and status."""
    where, params = [], []
    if pulse_slugs is not None:
        where.append(f"pulse_slug IN ({', '.join('?' for _ in pulse_slugs)})" if pulse_slugs else "0")
        params += pulse_slugs
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    if department is not None:
        where.append("department = ?")
        params.append(department)
    if open_only:
        where.append("status IN ('open', 'in progress')")
    sql = "SELECT * FROM action_plans" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    return [ActionPlan(**row) for row in db.query(sql, params)]


def add_theme_move(db: sqlite_utils.Database, *, instrument_id: str, pulse_slug: str,
                   terms: list[str], owner: str, moved_by: str) -> int:
    """Store a theme's move to ``owner`` against its defining ``terms``."""
    if owner not in THEME_OWNERS:
        raise StorageError(f"a theme can move to {', '.join(THEME_OWNERS)}, not {owner!r}")
    terms = [t for t in terms if isinstance(t, str) and t.strip()]
    if not terms:
        raise StorageError("a theme is moved by its defining terms, and none were given")
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO theme_moves (instrument_id, pulse_slug, terms, owner, moved_by) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [instrument_id, pulse_slug, json.dumps(terms), owner, moved_by])
        return int(cursor.fetchone()[0])


def theme_moves(db: sqlite_utils.Database, instrument_id: str) -> list[dict]:
    """The moves of a series' themes, oldest first, as ``{"terms", "owner"}``."""
    return [{"terms": json.loads(r["terms"]), "owner": r["owner"]}
            for r in db.query("SELECT terms, owner FROM theme_moves WHERE instrument_id = ? ORDER BY id",
                              [instrument_id])]


def theme_count(db: sqlite_utils.Database, slug: str) -> int | None:
    """How many comment themes a leader asked ``slug``'s report for; None: automatic."""
    rows = list(db.query("SELECT n_themes FROM pulse_theme_counts WHERE pulse_slug = ?", [slug]))
    return int(rows[0]["n_themes"]) if rows else None


def set_theme_count(db: sqlite_utils.Database, slug: str, n_themes: int | None) -> None:
    """Ask ``slug``'s report for ``n_themes`` comment themes (None: automatic again).

    The stored report is not touched: its comments record the number they
    were built with, so the next page sees the difference and builds anew.
    """
    if n_themes is not None and n_themes not in THEME_COUNTS:
        raise StorageError(f"the number of themes must be {THEME_COUNTS.start} to "
                           f"{THEME_COUNTS.stop - 1}, got {n_themes!r}")
    with write_transaction(db):
        db.execute("DELETE FROM pulse_theme_counts WHERE pulse_slug = ?", [slug])
        if n_themes is not None:
            db.execute("INSERT INTO pulse_theme_counts (pulse_slug, n_themes) VALUES (?, ?)",
                       [slug, int(n_themes)])
