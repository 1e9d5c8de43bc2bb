"""A pulse's life: open, close (which forgets the roster's emails), reopen, delete."""

from __future__ import annotations

from datetime import date

import sqlite_utils

from analysis.coarsen import merge_plan, role_tiers
from survey_app.storage.base import (
    StorageError,
    UnknownPulse,
    breakdowns_of,
    renew_export_epoch,
    write_transaction,
)
from survey_app.storage.pulses import STATUSES, check_can_open, get_pulse, get_pulse_row
from survey_app.storage.roster import erase_contacts, stored_combinations
from survey_app.storage.snapshots import latest_snapshot, publish_snapshot
from survey_app.storage.wal import checkpoint_now


def set_pulse_status(db: sqlite_utils.Database, slug: str, status: str) -> None:
    """Open, close, reopen or return a pulse to draft.

    Closing publishes the final snapshot and erases the roster's emails: once
    nobody can answer, no link needs sending, and the emails are the one
    thing that ties a person to this pulse. The counts stay with the
    invitations. A closed pulse may be reopened (its links work again), but
    it can no longer send or re-send links.
    """
    if status not in STATUSES:
        raise StorageError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    with write_transaction(db):
        row = get_pulse_row(db, slug)
        if row is None:
            raise UnknownPulse(slug)
        if status == "open" and row["status"] == "draft":
            # The statement freezes now: it must grade every knowledge check.
            pulse = get_pulse(db, slug)
            check_can_open(slug, pulse.instrument, pulse.strategy)
        db.execute("UPDATE pulses SET status = ? WHERE slug = ?", [status, slug])
        renew_export_epoch(db, slug)
        if status == "closed":
            erase_contacts(db, slug)
    if status == "closed":
        publish_snapshot(db, slug, final=True)
        with write_transaction(db):
            _coarsen_over_respondents(db, get_pulse_row(db, slug))
            renew_export_epoch(db, slug)
        # Erased emails and the groups before merging leave the WAL (storage.wal).
        checkpoint_now(db)


def _coarsen_over_respondents(db: sqlite_utils.Database, row) -> None:
    """Make the closed pulse's own rows as safe as its exports.

    While a pulse is open its responses carry the invitations' groups, which
    hold five people each but maybe fewer who answered; once it closes,
    whoever reads the raw file and knows who answered could narrow a
    response down to those few. So the responses are merged again over the
    respondents themselves, and their snapshot numbers (which batch of
    answers published them) are folded into the last one.
    """
    slug = row["slug"]
    breakdowns = breakdowns_of(row)
    levels = tuple(v for v in row["leadership_levels"].split(",") if v)
    counts = stored_combinations(db, slug, "responses")
    plan = merge_plan(counts, breakdowns, row["min_group"], tiers=role_tiers(levels))
    sets = ", ".join(f"{b} = ?" for b in breakdowns)
    match = " AND ".join(f"{b} IS ?" for b in breakdowns)
    for combination, target in plan.items():
        if target != combination:
            db.execute(
                f"UPDATE responses SET {sets} WHERE pulse_slug = ? AND {match}",
                [*target, slug, *combination],
            )
    last = latest_snapshot(db, slug)
    if last is not None:
        db.execute(
            "UPDATE responses SET snapshot = ? WHERE pulse_slug = ? AND snapshot IS NOT NULL",
            [last, slug],
        )


def close_due_pulses(db: sqlite_utils.Database, today: date | None = None) -> list[str]:
    """Close every open pulse whose close date has come; return their slugs."""
    today = today or date.today()
    due = [
        r["slug"]
        for r in db.query(
            "SELECT slug FROM pulses WHERE status = 'open' AND close_on IS NOT NULL "
            "AND close_on <= ? ORDER BY slug",
            [today.isoformat()],
        )
    ]
    for slug in due:
        set_pulse_status(db, slug, "closed")
    return due


#: Tables holding a pulse's rows, children first (foreign keys).
_PULSE_TABLES = (
    ("report_cache", "pulse_slug = ?"),
    ("export_cache", "pulse_slug = ?"),
    ("export_cache_epochs", "pulse_slug = ?"),
    ("action_plans", "pulse_slug = ?"),
    ("theme_moves", "pulse_slug = ?"),
    ("pulse_theme_counts", "pulse_slug = ?"),
    ("answers", "response_id IN (SELECT id FROM responses WHERE pulse_slug = ?)"),
    ("responses", "pulse_slug = ?"),
    ("invitation_contacts", "pulse_slug = ?"),
    ("invitations", "pulse_slug = ?"),
    ("snapshots", "pulse_slug = ?"),
    ("pulse_scrub_names", "pulse_slug = ?"),
    ("pulse_strategy", "pulse_slug = ?"),
    ("pulse_customer_figures", "pulse_slug = ?"),
)


def delete_pulse(db: sqlite_utils.Database, slug: str, *, confirm: str) -> None:
    """Delete a pulse and everything in it, once its slug is typed as ``confirm``.

    The instrument stays (other pulses may use it). Deleted rows can linger in
    free pages of the file until it is vacuumed; ``docs/privacy.md`` says how
    to remove them for good.
    """
    if confirm != slug:
        raise StorageError(
            f"to delete survey '{slug}', type its name exactly (got {confirm!r})"
        )
    with write_transaction(db):
        if get_pulse_row(db, slug) is None:
            raise UnknownPulse(slug)
        for table, where in _PULSE_TABLES:
            if table in db.table_names():
                db.execute(f"DELETE FROM {table} WHERE {where}", [slug])
        db.execute("DELETE FROM pulses WHERE slug = ?", [slug])
    # The deleted rows' old pages leave the WAL too (storage.wal).
    checkpoint_now(db)
