"""Every SQL statement the survey app runs, behind plain functions.

Views, the CLI and the demo generator call these functions and never write
SQL themselves, so the anonymity rules are enforced in one place and another
database engine could be added by reimplementing this module alone. The
tables are described in ``docs/schema.md``; the export format written by
:func:`export_pulse` is the analysts' contract in ``docs/export.md``.

Anonymity, in short: an invitation is stored only as the SHA-256 of its token
and a ``used`` flag; a response carries a random id, the pulse, the day it was
submitted and coarse segments copied from the invitation, and nothing links it
back to the invitation. The flag is set in the same ``BEGIN IMMEDIATE``
transaction that stores the response, so a token can be spent exactly once
even when the same link is submitted twenty times at once.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from analysis.instrument import (
    DEFAULT_LEADERSHIP_LEVELS,
    ROLE_LEVELS,
    SEGMENTS,
    Instrument,
    Item,
    parse_instrument_text,
)
from analysis.strategy import CustomerFigure, Strategy

STATUSES = ("draft", "open", "closed")

#: The format number written into ``pulse.json``; bump it on any change an
#: analyst's loader would notice.
EXPORT_FORMAT = 1

#: Columns every ``responses.csv`` starts with, before the item columns.
EXPORT_BASE_COLUMNS = ("response_id", "pulse", "period", "submitted_on") + SEGMENTS

# Slugs end up in URLs, file names and CLI arguments.
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Periods sort as text, so only formats whose text order is time order:
# 2026, 2026-Q4, 2026-H2, 2026-11.
_PERIOD_RE = re.compile(r"^\d{4}(-(Q[1-4]|H[12]|(0[1-9]|1[0-2])))?$")
_STRATEGY_PARTS = {
    "goal": "goals",
    "factor": "factors",
    "brand_promise": "brand_promise",
    "previous_goal": "previous_goals",
}


class StorageError(Exception):
    """A request the storage layer refuses; the message says why."""


class UnknownPulse(StorageError):
    """No pulse has the given slug."""

    def __init__(self, slug: str):
        self.slug = slug
        super().__init__(f"no survey with slug '{slug}'")


class AlreadyAnswered(StorageError):
    """The invitation has already been used to submit a response."""


class PulseNotOpen(StorageError):
    """The pulse exists but does not accept responses (draft or closed)."""

    def __init__(self, slug: str, status: str):
        self.slug = slug
        self.status = status
        super().__init__(f"survey '{slug}' is {status}, not open for responses")


@dataclass(frozen=True)
class Pulse:
    slug: str
    title: str
    period: str
    status: str
    instrument: Instrument
    strategy: Strategy
    open_token: str | None
    leadership_levels: tuple[str, ...]


@dataclass(frozen=True)
class Invitation:
    pulse_slug: str
    segments: dict[str, str | None]
    used: bool


def hash_token(token: str) -> str:
    """SHA-256 hex digest of an invitation token.

    Tokens carry 192 random bits, so a plain (unsalted) hash cannot be
    reversed by guessing, and it lets the database find an invitation without
    ever holding the link itself.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are a subset of TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(
            f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None
        )
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise StorageError(f"cannot write {value!r} ({type(value).__name__}) as TOML")


def _toml_table(lines: list[str], prefix: str, table: Mapping[str, Any]) -> None:
    nested = []
    for key, value in table.items():
        if value is None:
            continue  # TOML has no null; a missing key reads the same
        if isinstance(value, Mapping):
            nested.append(("table", key, value))
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(isinstance(v, Mapping) for v in value)
            and not prefix.endswith("]]")
        ):
            nested.append(("array", key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for kind, key, value in nested:
        name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
        if kind == "table":
            lines.extend(["", f"[{name}]"])
            _toml_table(lines, name, value)
        else:
            for entry in value:
                lines.extend(["", f"[[{name}]]"])
                # Inside an array of tables, deeper arrays stay inline.
                _toml_table(lines, name + "]]", entry)


def instrument_toml(instrument: Instrument) -> str:
    """The instrument's file text, to store beside the pulses that use it.

    The original file is kept when it can still be read and says the same
    thing (its comments explain the questions to whoever reads the database);
    otherwise the parsed data is written back as TOML.
    """
    data = dict(instrument.data)
    if not data:
        raise StorageError(
            f"instrument '{instrument.id}' v{instrument.version} carries no parsed data; "
            "load it with analysis.instrument.load_instrument or parse_instrument"
        )
    try:
        text = Path(instrument.source).read_text(encoding="utf-8")
        if tomllib.loads(text) == data:
            return text
    except (OSError, ValueError):
        pass
    lines: list[str] = []
    _toml_table(lines, "", data)
    text = "\n".join(lines).lstrip("\n") + "\n"
    if tomllib.loads(text) != data:  # pragma: no cover - a writer bug, not user input
        raise StorageError(f"instrument '{instrument.id}' could not be written back as TOML")
    return text


_instrument_cache: dict[tuple[str, int, str], Instrument] = {}


def _stored_source(db: sqlite_utils.Database, instrument_id: str, version: int) -> str | None:
    """The TOML text stored for (id, version), or ``None`` when it is not stored."""
    row = next(
        db.query(
            "SELECT source_toml FROM instruments WHERE id = ? AND version = ?",
            [instrument_id, version],
        ),
        None,
    )
    return None if row is None else row["source_toml"]


def _load_instrument(db: sqlite_utils.Database, instrument_id: str, version: int) -> Instrument:
    source = _stored_source(db, instrument_id, version)
    if source is None:
        raise StorageError(f"instrument '{instrument_id}' v{version} is not in the database")
    key = (instrument_id, version, hashlib.sha256(source.encode()).hexdigest())
    if key not in _instrument_cache:
        _instrument_cache[key] = parse_instrument_text(
            source, source=f"database: instrument '{instrument_id}' v{version}"
        )
    return _instrument_cache[key]


def save_instrument(db: sqlite_utils.Database, instrument: Instrument) -> None:
    """Store ``instrument`` under its (id, version); do nothing if already there.

    Pulses already answered were asked exactly the stored questions, so a
    changed instrument under an existing (id, version) is refused: give it a
    new version instead.
    """
    text = instrument_toml(instrument)
    existing = _stored_source(db, instrument.id, instrument.version)
    if existing is not None:
        if tomllib.loads(existing) != tomllib.loads(text):
            raise StorageError(
                f"instrument '{instrument.id}' version {instrument.version} is already stored "
                f"with different content; bump [instrument] version in {instrument.source} "
                "to store the changed questions"
            )
        return
    db.execute(
        "INSERT INTO instruments (id, version, title, source_toml) VALUES (?, ?, ?, ?)",
        [instrument.id, instrument.version, instrument.title, text],
    )


# --------------------------------------------------------------------------
# Pulses
# --------------------------------------------------------------------------


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise StorageError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")


def _check_role_level(value: Any, where: str) -> None:
    if value is not None and value not in ROLE_LEVELS:
        raise StorageError(
            f"{where}: unknown role_level {value!r} (expected one of {', '.join(ROLE_LEVELS)})"
        )


def _strategy_rows(slug: str, strategy: Strategy) -> tuple[list[dict], list[dict]]:
    parts = []
    for part, attr in _STRATEGY_PARTS.items():
        values = getattr(strategy, attr)
        if isinstance(values, str):
            values = (values,) if values else ()
        for position, text in enumerate(values):
            parts.append({"pulse_slug": slug, "part": part, "position": position, "text": text})
    figures = [
        {
            "pulse_slug": slug,
            "key": f.key,
            "label": f.label,
            "value": f.value,
            "unit": f.unit,
            "min": f.min,
            "max": f.max,
        }
        for f in strategy.customer_figures.values()
    ]
    return parts, figures


def create_pulse(
    db: sqlite_utils.Database,
    *,
    slug: str,
    title: str,
    period: str,
    instrument: Instrument,
    strategy: Strategy,
    status: str = "draft",
    open_link: bool = False,
    leadership_levels: Iterable[str] = DEFAULT_LEADERSHIP_LEVELS,
) -> Pulse:
    """Create a pulse of ``instrument`` graded against ``strategy``.

    The instrument is stored too (idempotently), and the strategy is copied
    into the pulse's own rows: next quarter's statement must not rewrite how
    this quarter's answers are graded.

    Parameters
    ----------
    slug : str
        Lower-case letters, digits, ``-`` and ``_``; used in URLs and exports.
    period : str
        ``YYYY``, ``YYYY-Qn``, ``YYYY-Hn`` or ``YYYY-MM``: formats whose text
        order is their time order, so a series sorts by period.
    open_link : bool
        Give the pulse a shared link (``/o/<open_token>``) for people with no
        invitation.
    leadership_levels : iterable of str
        Role levels counted as leadership when comparing leaders with staff.
    """
    if not isinstance(slug, str) or not _SLUG_RE.match(slug):
        raise StorageError(
            f"bad survey slug {slug!r}: use 1-64 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    if not isinstance(period, str) or not _PERIOD_RE.match(period):
        raise StorageError(
            f"bad period {period!r} for survey '{slug}': expected YYYY, YYYY-Qn, YYYY-Hn "
            "or YYYY-MM (e.g. 2026-Q4)"
        )
    if not isinstance(title, str) or not title.strip():
        raise StorageError(f"survey '{slug}' needs a title")
    _check_status(status)
    levels = tuple(leadership_levels)
    for level in levels:
        _check_role_level(level, f"survey '{slug}' leadership_levels")
    if not levels:
        raise StorageError(f"survey '{slug}': leadership_levels must name at least one role level")
    for item in instrument.knowledge_items():
        if item.type == "estimate" and item.figure not in strategy.customer_figures:
            known = ", ".join(sorted(strategy.customer_figures)) or "none"
            raise StorageError(
                f"survey '{slug}': item '{item.id}' asks for the customer figure "
                f"'{item.figure}', but the strategy statement has no such figure "
                f"(it has: {known})"
            )
    open_token = secrets.token_urlsafe(16) if open_link else None
    parts, figures = _strategy_rows(slug, strategy)
    db.execute("BEGIN IMMEDIATE")
    try:
        if get_pulse_row(db, slug) is not None:
            raise StorageError(f"a survey with slug '{slug}' already exists")
        save_instrument(db, instrument)
        db.execute(
            """INSERT INTO pulses (slug, title, instrument_id, instrument_version, period,
                   status, open_token, leadership_levels, created_on)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                slug,
                title.strip(),
                instrument.id,
                instrument.version,
                period,
                status,
                open_token,
                ",".join(levels),
                date.today().isoformat(),
            ],
        )
        db.conn.executemany(
            "INSERT INTO pulse_strategy (pulse_slug, part, position, text) "
            "VALUES (:pulse_slug, :part, :position, :text)",
            parts,
        )
        db.conn.executemany(
            "INSERT INTO pulse_customer_figures (pulse_slug, key, label, value, unit, min, max) "
            "VALUES (:pulse_slug, :key, :label, :value, :unit, :min, :max)",
            figures,
        )
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
    pulse = get_pulse(db, slug)
    assert pulse is not None
    return pulse


def _load_strategy(db: sqlite_utils.Database, slug: str) -> Strategy:
    values: dict[str, list[str]] = {attr: [] for attr in _STRATEGY_PARTS.values()}
    for row in db.query(
        "SELECT part, text FROM pulse_strategy WHERE pulse_slug = ? ORDER BY part, position",
        [slug],
    ):
        values[_STRATEGY_PARTS[row["part"]]].append(row["text"])
    figures = {
        row["key"]: CustomerFigure(
            key=row["key"],
            label=row["label"],
            value=row["value"],
            unit=row["unit"],
            min=row["min"],
            max=row["max"],
        )
        for row in db.query(
            "SELECT key, label, value, unit, min, max FROM pulse_customer_figures "
            "WHERE pulse_slug = ? ORDER BY key",
            [slug],
        )
    }
    return Strategy(
        goals=tuple(values["goals"]),
        factors=tuple(values["factors"]),
        brand_promise=values["brand_promise"][0] if values["brand_promise"] else "",
        customer_figures=figures,
        previous_goals=tuple(values["previous_goals"]),
    )


def _pulse_from_row(db: sqlite_utils.Database, row: dict) -> Pulse:
    return Pulse(
        slug=row["slug"],
        title=row["title"],
        period=row["period"],
        status=row["status"],
        instrument=_load_instrument(db, row["instrument_id"], row["instrument_version"]),
        strategy=_load_strategy(db, row["slug"]),
        open_token=row["open_token"],
        leadership_levels=tuple(v for v in row["leadership_levels"].split(",") if v),
    )


def get_pulse_row(db: sqlite_utils.Database, slug: str) -> dict | None:
    """The raw ``pulses`` row (status etc.) without rebuilding the instrument."""
    return next(db.query("SELECT * FROM pulses WHERE slug = ?", [slug]), None)


def get_pulse(db: sqlite_utils.Database, slug: str) -> Pulse | None:
    """The pulse with this slug, or ``None``."""
    row = get_pulse_row(db, slug)
    return None if row is None else _pulse_from_row(db, row)


def get_pulse_by_open_token(db: sqlite_utils.Database, open_token: str) -> Pulse | None:
    """The pulse whose open link carries ``open_token``, or ``None``."""
    if not open_token:
        return None
    row = next(db.query("SELECT * FROM pulses WHERE open_token = ?", [open_token]), None)
    return None if row is None else _pulse_from_row(db, row)


def list_pulses(db: sqlite_utils.Database, instrument_id: str | None = None) -> list[Pulse]:
    """All pulses (or one instrument's), in series order: instrument, then period."""
    sql = "SELECT * FROM pulses"
    params: list[Any] = []
    if instrument_id is not None:
        sql += " WHERE instrument_id = ?"
        params.append(instrument_id)
    sql += " ORDER BY instrument_id, period, slug"
    return [_pulse_from_row(db, row) for row in db.query(sql, params)]


def set_pulse_status(db: sqlite_utils.Database, slug: str, status: str) -> None:
    """Open, close or return a pulse to draft."""
    _check_status(status)
    cursor = db.execute("UPDATE pulses SET status = ? WHERE slug = ?", [status, slug])
    if cursor.rowcount == 0:
        raise UnknownPulse(slug)


# --------------------------------------------------------------------------
# Invitations
# --------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    """None, NaN or blank text: no answer, for a segment or an item alike.

    Not :func:`analysis.text.is_missing`: that one counts blank text as an
    answer, and importing :mod:`analysis.text` would load NLTK and
    scikit-learn (over a second) into the web app.
    """
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _clean_segment(value: Any, where: str, segment: str) -> str | None:
    if _is_missing(value):
        return None
    if not isinstance(value, str):
        raise StorageError(f"{where}: {segment} must be text, got {value!r}")
    value = value.strip()
    if segment == "role_level":
        _check_role_level(value, where)
    return value


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
            row[segment] = _clean_segment(entry.get(segment), where, segment)
        rows.append(row)
    db.execute("BEGIN IMMEDIATE")
    try:
        db.conn.executemany(
            "INSERT INTO invitations (token_hash, pulse_slug, department, team, tenure_band, "
            "role_level, used) VALUES (:token_hash, :pulse_slug, :department, :team, "
            ":tenure_band, :role_level, :used)",
            rows,
        )
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
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
                segments[item.segment] = _clean_segment(value, f"item '{item_id}'", item.segment)
            continue
        if _is_missing(value):
            continue
        number, text = _answer_row(item, value)
        rows.append((item_id, number, text))
    return rows


def submit_response(
    db: sqlite_utils.Database,
    *,
    pulse_slug: str,
    answers: Mapping[str, int | float | str | None],
    segments: Mapping[str, str | None],
    token: str | None = None,
    on: date | None = None,
) -> str:
    """Store one anonymous response; return its random id.

    With a ``token`` the invitation is spent in the same transaction (a second
    use raises :class:`AlreadyAnswered`) and its roster segments are copied
    onto the response; ``segments`` then only fills what the roster left
    blank (answers to segment questions). Without a token (an open link) the
    caller's ``segments`` are used. Missing answers (``None``, NaN, blank
    text) are simply not stored.

    Raises
    ------
    UnknownPulse, PulseNotOpen, AlreadyAnswered, StorageError
    """
    pulse_row = get_pulse_row(db, pulse_slug)
    if pulse_row is None:
        raise UnknownPulse(pulse_slug)
    instrument = _load_instrument(db, pulse_row["instrument_id"], pulse_row["instrument_version"])
    segments = segments or {}
    unknown = sorted(set(segments) - set(SEGMENTS))
    if unknown:
        raise StorageError(
            f"unknown segment(s) {', '.join(unknown)} (expected {', '.join(SEGMENTS)})"
        )
    given = {s: _clean_segment(segments.get(s), "segments", s) for s in SEGMENTS}
    rows = _validated_answers(instrument, answers, given)
    submitted_on = (on or date.today()).isoformat()
    response_id = secrets.token_hex(16)

    db.execute("BEGIN IMMEDIATE")
    try:
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
        db.execute(
            "INSERT INTO responses (id, pulse_slug, submitted_on, department, team, "
            "tenure_band, role_level) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [response_id, pulse_slug, submitted_on] + [final[s] for s in SEGMENTS],
        )
        db.conn.executemany(
            "INSERT INTO answers (response_id, item_id, value_number, value_text) "
            "VALUES (?, ?, ?, ?)",
            [(response_id, item_id, number, text) for item_id, number, text in rows],
        )
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
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


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _csv_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else repr(value)


def export_pulse(
    db: sqlite_utils.Database, slug: str, out_dir: str | os.PathLike
) -> tuple[Path, Path]:
    """Write ``responses.csv`` and ``pulse.json`` for one pulse into ``out_dir``.

    The format is the contract in ``docs/export.md``. Rows come in response-id
    order, which is random, so the file order says nothing about who answered
    when. Everything is read in one query, so a submission arriving during the
    export is either wholly in the file or not at all.

    Returns
    -------
    (responses_csv, pulse_json) : tuple of Path
    """
    pulse = get_pulse(db, slug)
    if pulse is None:
        raise UnknownPulse(slug)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = pulse.instrument.answer_items
    numeric = {i.id for i in items if i.type in ("likert", "enps", "estimate")}
    item_ids = [i.id for i in items]
    header = list(EXPORT_BASE_COLUMNS) + item_ids

    csv_path = out / "responses.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        current: dict[str, Any] | None = None

        def flush(record: dict[str, Any] | None) -> None:
            if record is not None:
                writer.writerow([record.get(column, "") for column in header])

        for row in db.query(
            """SELECT r.id, r.submitted_on, r.department, r.team, r.tenure_band,
                      r.role_level, a.item_id, a.value_number, a.value_text
               FROM responses r LEFT JOIN answers a ON a.response_id = r.id
               WHERE r.pulse_slug = ? ORDER BY r.id""",
            [slug],
        ):
            if current is None or current["response_id"] != row["id"]:
                flush(current)
                current = {
                    "response_id": row["id"],
                    "pulse": slug,
                    "period": pulse.period,
                    "submitted_on": row["submitted_on"],
                    **{s: row[s] or "" for s in SEGMENTS},
                }
            item_id = row["item_id"]
            if item_id is None or item_id not in header:
                continue
            if item_id in numeric:
                current[item_id] = _csv_number(row["value_number"])
            else:
                current[item_id] = row["value_text"] or ""
        flush(current)

    series = [
        {"survey": p["slug"], "period": p["period"]}
        for p in db.query(
            "SELECT slug, period FROM pulses WHERE instrument_id = ? ORDER BY period, slug",
            [pulse.instrument.id],
        )
    ]
    source = _stored_source(db, pulse.instrument.id, pulse.instrument.version)
    meta = {
        "format": EXPORT_FORMAT,
        "survey": pulse.slug,
        "title": pulse.title,
        "period": pulse.period,
        "status": pulse.status,
        "instrument": {
            "id": pulse.instrument.id,
            "version": pulse.instrument.version,
            "source_toml": source,
        },
        "leadership_levels": list(pulse.leadership_levels),
        "strategy": pulse.strategy.to_dict(),
        "series": series,
    }
    json_path = out / "pulse.json"
    json_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, json_path
