"""Published results: what leaders and analysts see of an open pulse.

Results of an open pulse are published as snapshots, never live, so that
looking at a page before and after one person answers reveals nothing. A
response enters the results with the first snapshot that includes it, and a
snapshot takes a stored combination's waiting responses only when there are
at least ``min_group`` of them: every group any page can show is a union of
stored combinations, so between two consecutive snapshots every group grows
by 0 or by at least ``min_group`` responses, and so does every difference of
groups. The rule, and why the last few answers of a combination can stay
unpublished, are in ``docs/privacy.md`` ("Snapshots").
"""

from __future__ import annotations

import sqlite_utils

from analysis.coarsen import catch_all
from survey_app.storage.base import UnknownPulse, breakdowns_of, write_transaction
from survey_app.storage.pulses import get_pulse_row


def _breakdowns(row) -> tuple[str, ...]:
    return breakdowns_of(row)


def latest_snapshot(db: sqlite_utils.Database, slug: str) -> int | None:
    """The number of the pulse's latest snapshot, ``None`` before the first."""
    row = next(db.query(
        "SELECT max(seq) AS seq FROM snapshots WHERE pulse_slug = ?", [slug]))
    return row["seq"]


def publish_snapshot(db: sqlite_utils.Database, slug: str, *, final: bool = False) -> int | None:
    """Publish what may be published now; return the latest snapshot number.

    ``final`` is used when the pulse closes: if nothing was ever published,
    everything is (there is no earlier snapshot to compare with); otherwise
    combinations with at least ``min_group`` waiting answers are published as
    usual, and the last few answers of the others are pooled under the
    catch-all values when together they reach ``min_group`` (fewer than that
    stay out of the results).
    """
    with write_transaction(db):
        row = get_pulse_row(db, slug)
        if row is None:
            raise UnknownPulse(slug)
        return publish_ready(db, row, final=final)


def publish_ready(db: sqlite_utils.Database, row, *, final: bool = False) -> int | None:
    """The body of :func:`publish_snapshot`, inside the caller's transaction.

    A submission calls it in the transaction that stores the response, so
    the snapshot that includes an answer is decided with the answer itself.
    """
    slug = row["slug"]
    breakdowns = _breakdowns(row)
    # Breakdown names were checked against SEGMENTS when the pulse was made.
    columns = ", ".join(breakdowns)
    previous = latest_snapshot(db, slug)
    waiting = list(db.query(
        f"SELECT {columns}, count(*) AS n FROM responses "
        f"WHERE pulse_slug = ? AND snapshot IS NULL GROUP BY {columns}",
        [slug],
    ))
    k = row["min_group"]
    if final and previous is None:
        ready = waiting
    else:
        ready = [w for w in waiting if w["n"] >= k]
    rest = [w for w in waiting if w not in ready]
    match = " AND ".join(f"{b} IS ?" for b in breakdowns)
    if final and rest and sum(w["n"] for w in rest) >= k:
        # The last few answers of several combinations, pooled under the
        # catch-all of every breakdown: together they are at least k, so
        # they can join the final results without any group growing by
        # fewer than k. They keep their answers and lose only their group.
        pooled = {b: catch_all(b) for b in breakdowns}
        sets = ", ".join(f"{b} = ?" for b in breakdowns)
        for group in rest:
            db.execute(
                f"UPDATE responses SET {sets} WHERE pulse_slug = ? AND snapshot IS NULL "
                f"AND {match}",
                [*pooled.values(), slug, *(group[b] for b in breakdowns)],
            )
        ready.append({**pooled, "n": sum(w["n"] for w in rest)})
    if not ready:
        return previous
    seq = (previous or 0) + 1
    for group in ready:
        db.execute(
            f"UPDATE responses SET snapshot = ? WHERE pulse_slug = ? AND snapshot IS NULL "
            f"AND {match}",
            [seq, slug, *(group[b] for b in breakdowns)],
        )
    db.execute(
        "INSERT INTO snapshots (pulse_slug, seq, responses, final) VALUES (?, ?, ?, ?)",
        [slug, seq, sum(g["n"] for g in ready), int(final)],
    )
    return seq


def unpublished_count(db: sqlite_utils.Database, slug: str) -> int:
    """Responses stored but not yet in any snapshot (a count only)."""
    return next(db.query(
        "SELECT count(*) AS n FROM responses WHERE pulse_slug = ? AND snapshot IS NULL",
        [slug],
    ))["n"]
