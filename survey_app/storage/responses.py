"""Responses: one anonymous row per answer sheet, its answers beside it.

The invitation is spent in the same transaction that stores the response, so
a link can be used exactly once even when it is submitted twenty times at
once; nothing stored links the response back to the invitation.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from analysis.coarsen import place
from analysis.instrument import SEGMENTS, Instrument, Item
from survey_app.storage.base import (
    AlreadyAnswered,
    PulseNotOpen,
    StorageError,
    UnknownPulse,
    clean_segment,
    hash_token,
    is_missing,
    write_transaction,
)
from survey_app.storage.pulses import get_pulse_row, load_instrument
from survey_app.storage.roster import is_stored_combination, stored_combinations
from survey_app.storage.snapshots import publish_ready
from survey_app.storage.wal import checkpoint_now


# --------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------


def _number(item: Item, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise StorageError(
                    f"item '{item.id}': expected a number, got {value!r}"
                ) from None
        else:
            raise StorageError(f"item '{item.id}': expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise StorageError(f"item '{item.id}': expected a finite number, got {value!r}")
    return value


def _whole(item: Item, value: Any, low: int, high: int) -> float:
    number = _number(item, value)
    if number != int(number) or not low <= number <= high:
        raise StorageError(
            f"item '{item.id}': expected a whole number from {low} to {high}, got {value!r}"
        )
    return number


def _answer_row(item: Item, value: Any) -> tuple[float | None, str | None]:
    """(value_number, value_text) for one answer, checked against its item."""
    if item.type == "likert":
        return _whole(item, value, 1, item.scale.points), None
    if item.type == "enps":
        return _whole(item, value, 0, 10), None
    if item.type == "estimate":
        number = _number(item, value)
        if (item.min is not None and number < item.min) or (
            item.max is not None and number > item.max
        ):
            low = "-inf" if item.min is None else f"{item.min:g}"
            high = "inf" if item.max is None else f"{item.max:g}"
            raise StorageError(
                f"item '{item.id}': {number:g} is outside the allowed range [{low}, {high}]"
            )
        return number, None
    # recall, comment
    if not isinstance(value, str):
        raise StorageError(f"item '{item.id}': expected text, got {value!r}")
    if item.max_length is not None and len(value) > item.max_length:
        raise StorageError(
            f"item '{item.id}': answer is {len(value)} characters, "
            f"longer than the {item.max_length} allowed"
        )
    return None, value


def _validated_answers(
    instrument: Instrument, answers: Mapping[str, Any], segments: dict[str, str | None]
) -> list[tuple[str, float | None, str | None]]:
    by_id = {item.id: item for item in instrument.items}
    rows = []
    for item_id, value in answers.items():
        item = by_id.get(item_id)
        if item is None:
            raise StorageError(
                f"unknown item id '{item_id}' for instrument '{instrument.id}' "
                f"v{instrument.version}"
            )
        if item.type == "segment":
            # A segment question's answer describes the group, not the person's
            # view: it goes to the response's segment column.
            if segments.get(item.segment) is None:
                segments[item.segment] = clean_segment(value, f"item '{item_id}'", item.segment)
            continue
        if is_missing(value):
            continue
        number, text = _answer_row(item, value)
        rows.append((item_id, number, text))
    return rows


def _placed(db, slug: str, breakdowns: tuple[str, ...], combination: tuple, invitation) -> tuple:
    """``place(combination, stored combinations)``, without counting every
    invitation when the answer is already under a stored combination.

    A combination that is stored is kept by ``place`` (each of its values is
    known under its own parent), and one taken wholly from the answer's own
    invitation is stored by definition; only the rest (an open-link answer
    or segment questions filling a roster's blanks in a new way) pays for
    the full list. tests/test_storage_place.py checks it against ``place``.
    """
    if invitation is not None and combination == tuple(invitation[b] for b in breakdowns):
        return combination
    if is_stored_combination(db, slug, breakdowns, combination):
        return combination
    stored = list(stored_combinations(db, slug))
    return place(combination, stored, breakdowns) if stored else combination


def submit_response(
    db: sqlite_utils.Database,
    *,
    pulse_slug: str,
    answers: Mapping[str, int | float | str | None],
    segments: Mapping[str, str | None],
    token: str | None = None,
) -> str:
    """Store one anonymous response; return its random id.

    With a ``token`` the invitation is spent in the same transaction (a second
    use raises :class:`AlreadyAnswered`) and its roster segments are copied
    onto the response; ``segments`` then only fills what the roster left
    blank (answers to segment questions). Without a token (an open link) the
    caller's ``segments`` are used. Only the pulse's breakdowns are kept, and
    a combination not stored among the invitations is put under them
    (:func:`analysis.coarsen.place`). No date is stored: the pulse's period
    is the response's time. Missing answers (``None``, NaN, blank text) are
    simply not stored.

    Raises
    ------
    UnknownPulse, PulseNotOpen, AlreadyAnswered, StorageError
    """
    pulse_row = get_pulse_row(db, pulse_slug)
    if pulse_row is None:
        raise UnknownPulse(pulse_slug)
    instrument = load_instrument(db, pulse_row["instrument_id"], pulse_row["instrument_version"])
    segments = segments or {}
    unknown = sorted(set(segments) - set(SEGMENTS))
    if unknown:
        raise StorageError(
            f"unknown segment(s) {', '.join(unknown)} (expected {', '.join(SEGMENTS)})"
        )
    given = {s: clean_segment(segments.get(s), "segments", s) for s in SEGMENTS}
    rows = _validated_answers(instrument, answers, given)
    response_id = secrets.token_hex(16)
    breakdowns = tuple(v for v in pulse_row["breakdowns"].split(",") if v)

    with write_transaction(db):
        status = next(db.query("SELECT status FROM pulses WHERE slug = ?", [pulse_slug]))["status"]
        if status != "open":
            raise PulseNotOpen(pulse_slug, status)
        final = dict(given)
        if token is not None:
            token_hash = hash_token(token)
            invitation = next(
                db.query(
                    "SELECT * FROM invitations WHERE token_hash = ? AND pulse_slug = ?",
                    [token_hash, pulse_slug],
                ),
                None,
            )
            if invitation is None:
                raise StorageError(f"no invitation with this token for survey '{pulse_slug}'")
            spent = db.execute(
                "UPDATE invitations SET used = 1 WHERE token_hash = ? AND used = 0",
                [token_hash],
            )
            if spent.rowcount == 0:
                raise AlreadyAnswered(f"this invitation to '{pulse_slug}' has already been used")
            for segment in SEGMENTS:
                if invitation[segment] is not None:
                    final[segment] = invitation[segment]
        combination = _placed(db, pulse_slug, breakdowns, tuple(final[b] for b in breakdowns),
                              invitation if token is not None else None)
        kept = dict(zip(breakdowns, combination))
        db.execute(
            "INSERT INTO responses (id, pulse_slug, department, team, "
            "tenure_band, role_level) VALUES (?, ?, ?, ?, ?, ?)",
            [response_id, pulse_slug] + [kept.get(s) for s in SEGMENTS],
        )
        db.conn.executemany(
            "INSERT INTO answers (response_id, item_id, value_number, value_text) "
            "VALUES (?, ?, ?, ?)",
            [(response_id, item_id, number, text) for item_id, number, text in rows],
        )
        publish_ready(db, pulse_row)
    # Spent invitation and new response leave the WAL now (storage.wal).
    checkpoint_now(db)
    return response_id


def count_responses(db: sqlite_utils.Database, pulse_slug: str) -> int:
    """How many responses a pulse has."""
    return next(
        db.query("SELECT count(*) AS n FROM responses WHERE pulse_slug = ?", [pulse_slug])
    )["n"]


def is_empty(db: sqlite_utils.Database) -> bool:
    """True when no pulse exists yet (a fresh or never-initialised database)."""
    if "pulses" not in db.table_names():
        return True
    return next(db.query("SELECT count(*) AS n FROM pulses"))["n"] == 0


