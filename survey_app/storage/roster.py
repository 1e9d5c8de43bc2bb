"""Invitations: one random link per person, stored only as a hash.

An invitation holds the pulse, the person's reporting-group values and a
``used`` flag, nothing else: no name, no email, nothing that could be joined
to the roster.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from analysis.instrument import SEGMENTS
from survey_app.storage.base import (
    StorageError,
    UnknownPulse,
    clean_segment,
    hash_token,
    write_transaction,
)
from survey_app.storage.pulses import get_pulse_row


@dataclass(frozen=True)
class Invitation:
    pulse_slug: str
    segments: dict[str, str | None]
    used: bool



def add_invitations(
    db: sqlite_utils.Database, pulse_slug: str, roster: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Create one invitation per roster row; return the plaintext tokens, in order.

    The tokens are returned once and never stored: only their hashes are, so
    whoever sends the links must keep them. A roster row may hold only the
    segment columns; anything else (a name, an email) is refused rather than
    quietly dropped, so personal data never reaches this database.
    """
    if get_pulse_row(db, pulse_slug) is None:
        raise UnknownPulse(pulse_slug)
    rows, tokens = [], []
    for number, entry in enumerate(roster, 1):
        where = f"roster row {number}"
        if not isinstance(entry, Mapping):
            raise StorageError(f"{where}: expected a mapping of segment values, got {entry!r}")
        unknown = sorted(set(entry) - set(SEGMENTS))
        if unknown:
            raise StorageError(
                f"{where}: unknown column(s) {', '.join(unknown)} (expected only "
                f"{', '.join(SEGMENTS)}; invitations hold no personal data)"
            )
        token = secrets.token_urlsafe(24)
        tokens.append(token)
        row = {"token_hash": hash_token(token), "pulse_slug": pulse_slug, "used": 0}
        for segment in SEGMENTS:
            row[segment] = clean_segment(entry.get(segment), where, segment)
        rows.append(row)
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO invitations (token_hash, pulse_slug, department, team, tenure_band, "
            "role_level, used) VALUES (:token_hash, :pulse_slug, :department, :team, "
            ":tenure_band, :role_level, :used)",
            rows,
        )
    return tokens


def find_invitation(db: sqlite_utils.Database, token: str) -> Invitation | None:
    """The invitation behind a link's token, or ``None`` for an unknown token."""
    if not token:
        return None
    row = next(
        db.query("SELECT * FROM invitations WHERE token_hash = ?", [hash_token(token)]), None
    )
    if row is None:
        return None
    return Invitation(
        pulse_slug=row["pulse_slug"],
        segments={s: row[s] for s in SEGMENTS},
        used=bool(row["used"]),
    )


def roster_values(db: sqlite_utils.Database, pulse_slug: str, segment: str) -> list[str]:
    """Distinct values of one segment among a pulse's invitations, sorted."""
    if segment not in SEGMENTS:
        raise StorageError(f"unknown segment {segment!r} (expected one of {', '.join(SEGMENTS)})")
    return [
        row["value"]
        for row in db.query(
            f"SELECT DISTINCT {segment} AS value FROM invitations "
            f"WHERE pulse_slug = ? AND {segment} IS NOT NULL ORDER BY value",
            [pulse_slug],
        )
    ]


