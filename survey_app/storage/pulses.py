"""Instruments, pulses and their strategy statements.

A pulse is one run of an instrument in one period, graded against that
period's strategy statement. The instrument's file text and the statement are
copied into the pulse's own rows when it is created, so next quarter's edits
can never change how this quarter's answers are graded.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils
import tomli_w

from analysis.instrument import (
    DEFAULT_LEADERSHIP_LEVELS,
    SEGMENTS,
    Instrument,
    parse_instrument_text,
)
from analysis.privacy import PrivacyPolicy
from analysis.strategy import STORED_PARTS, Strategy
from survey_app.storage.base import (
    StorageError,
    UnknownPulse,
    check_role_level,
    write_transaction,
)

STATUSES = ("draft", "open", "closed")
#: What a new pulse reports by unless told otherwise: department and role
#: level are what leaders act on; every further breakdown makes the stored
#: combinations smaller, so more of them must be merged.
DEFAULT_BREAKDOWNS = ("department", "role_level")

# Slugs end up in URLs, file names and CLI arguments.
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Periods sort as text, so only formats whose text order is time order:
# 2026, 2026-Q4, 2026-H2, 2026-11.
_PERIOD_RE = re.compile(r"^\d{4}(-(Q[1-4]|H[12]|(0[1-9]|1[0-2])))?$")


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
    #: The segments a response keeps, in coarsening order (docs/privacy.md).
    breakdowns: tuple[str, ...] = DEFAULT_BREAKDOWNS
    #: The day the pulse closes itself, if set.
    close_on: date | None = None
    #: Fewest invitations behind any stored combination of breakdown values.
    min_group: int = PrivacyPolicy().min_group


class StrategyFrozen(StorageError):
    """The strategy statement of a pulse that has opened cannot change."""


# --------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------


def _without_none(value: Any) -> Any:
    """TOML has no null: a missing key reads back the same as ``None``."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_without_none(v) for v in value]
    return value


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
    # tomli_w rather than a hand-written writer: TOML's quoting and table
    # rules are easy to get subtly wrong, and a wrong file would change the
    # questions a pulse is said to have asked.
    text = tomli_w.dumps(_without_none(data))
    if tomllib.loads(text) != _without_none(data):  # pragma: no cover - a writer bug
        raise StorageError(f"instrument '{instrument.id}' could not be written back as TOML")
    return text


_instrument_cache: dict[tuple[str, int, str], Instrument] = {}


def stored_source(db: sqlite_utils.Database, instrument_id: str, version: int) -> str | None:
    """The TOML text stored for (id, version), or ``None`` when it is not stored."""
    row = next(
        db.query(
            "SELECT source_toml FROM instruments WHERE id = ? AND version = ?",
            [instrument_id, version],
        ),
        None,
    )
    return None if row is None else row["source_toml"]


def load_instrument(db: sqlite_utils.Database, instrument_id: str, version: int) -> Instrument:
    source = stored_source(db, instrument_id, version)
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
    existing = stored_source(db, instrument.id, instrument.version)
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


def _strategy_rows(slug: str, strategy: Strategy) -> tuple[list[dict], list[dict]]:
    parts = []
    for part, attr in STORED_PARTS.items():
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
    breakdowns: Iterable[str] = DEFAULT_BREAKDOWNS,
    close_on: date | None = None,
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
    breakdowns : iterable of str
        The segments responses keep (``department``, ``team``,
        ``tenure_band``, ``role_level``), in the order they are coarsened:
        the last is merged first when a combination is too small.
    close_on : datetime.date, optional
        The pulse closes itself on this day.
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
        check_role_level(level, f"survey '{slug}' leadership_levels")
    if not levels:
        raise StorageError(f"survey '{slug}': leadership_levels must name at least one role level")
    if status != "draft":
        check_can_open(slug, instrument, strategy)
    elif strategy != Strategy():
        # A statement given is checked whole; a draft may have none yet (the
        # admin fills it in on its strategy page), but cannot open without it.
        _check_figures(slug, instrument, strategy)
    chosen = check_breakdowns(breakdowns, f"survey '{slug}'")
    if close_on is not None and not isinstance(close_on, date):
        raise StorageError(f"survey '{slug}': close_on must be a date, got {close_on!r}")
    open_token = secrets.token_urlsafe(16) if open_link else None
    parts, figures = _strategy_rows(slug, strategy)
    with write_transaction(db):
        if get_pulse_row(db, slug) is not None:
            raise StorageError(f"a survey with slug '{slug}' already exists")
        save_instrument(db, instrument)
        db.execute(
            """INSERT INTO pulses (slug, title, instrument_id, instrument_version, period,
                   status, open_token, leadership_levels, created_on, breakdowns, close_on)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
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
                ",".join(chosen),
                close_on.isoformat() if close_on else None,
            ],
        )
        _insert_strategy(db, parts, figures)
    pulse = get_pulse(db, slug)
    assert pulse is not None
    return pulse


def check_breakdowns(breakdowns: Iterable[str], where: str) -> tuple[str, ...]:
    """The breakdowns as a tuple, refusing unknown, repeated or no segments."""
    if isinstance(breakdowns, str):
        breakdowns = [b.strip() for b in breakdowns.split(",") if b.strip()]
    chosen = tuple(breakdowns)
    unknown = [b for b in chosen if b not in SEGMENTS]
    if unknown:
        raise StorageError(
            f"{where}: unknown breakdown(s) {', '.join(map(repr, unknown))} "
            f"(expected some of {', '.join(SEGMENTS)})"
        )
    if len(set(chosen)) != len(chosen):
        raise StorageError(f"{where}: a breakdown is listed twice in {', '.join(chosen)}")
    if not chosen:
        raise StorageError(f"{where}: name at least one breakdown (e.g. department)")
    return chosen


def _insert_strategy(db: sqlite_utils.Database, parts: list[dict], figures: list[dict]) -> None:
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


def update_strategy(db: sqlite_utils.Database, slug: str, strategy: Strategy) -> None:
    """Replace the strategy statement of a draft pulse.

    Once a pulse opens, people answer against its statement: changing it then
    would change how answers already given are graded, so it is frozen.
    """
    with write_transaction(db):
        row = get_pulse_row(db, slug)
        if row is None:
            raise UnknownPulse(slug)
        if row["status"] != "draft":
            raise StrategyFrozen(
                f"survey '{slug}' is {row['status']}: its strategy statement was frozen when "
                "it opened, so answers are graded against what people were asked about"
            )
        instrument = load_instrument(db, row["instrument_id"], row["instrument_version"])
        _check_figures(slug, instrument, strategy)
        parts, figures = _strategy_rows(slug, strategy)
        db.execute("DELETE FROM pulse_strategy WHERE pulse_slug = ?", [slug])
        db.execute("DELETE FROM pulse_customer_figures WHERE pulse_slug = ?", [slug])
        _insert_strategy(db, parts, figures)


#: What each strategy part is called in a message to the admin.
_PART_NAMES = {"goals": "this quarter's goals", "factors": "the factors for excellence",
               "brand_promise": "the brand promise"}


def _ungraded(instrument: Instrument, strategy: Strategy):
    """The knowledge checks ``strategy`` gives no answer key for, in order.

    Each recall check needs the part it is graded against, each estimate
    its customer figure: without them a "name our three goals" answer would
    be graded against nothing.
    """
    for item in instrument.knowledge_items():
        if item.type == "estimate":
            if item.figure not in strategy.customer_figures:
                yield item
        elif item.graded_against and not strategy.part(item.graded_against):
            yield item


def answer_key_gaps(instrument: Instrument, strategy: Strategy) -> list[str]:
    """What the statement lacks for the instrument's knowledge checks, in words
    (empty for a pulse that may open)."""
    return [f"the customer figure '{item.figure}' (for item '{item.id}')" if item.type == "estimate"
            else f"{_PART_NAMES[item.graded_against]} (for item '{item.id}')"
            for item in _ungraded(instrument, strategy)]


def check_can_open(slug: str, instrument: Instrument, strategy: Strategy) -> None:
    """Refuse to open a pulse whose knowledge checks have no answer key."""
    gaps = answer_key_gaps(instrument, strategy)
    if gaps:
        raise StorageError(
            f"survey '{slug}' cannot open yet: its strategy statement does not give "
            f"{'; '.join(gaps)}. Add them on the pulse's strategy page, or load a "
            "statement file there (docs/strategy.md)"
        )


def _check_figures(slug: str, instrument: Instrument, strategy: Strategy) -> None:
    """A statement given must have every customer figure an estimate asks for."""
    for item in _ungraded(instrument, strategy):
        if item.type == "estimate":
            known = ", ".join(sorted(strategy.customer_figures)) or "none"
            raise StorageError(
                f"survey '{slug}': item '{item.id}' asks for the customer figure "
                f"'{item.figure}', but the strategy statement has no such figure "
                f"(it has: {known})"
            )


def _load_strategy(db: sqlite_utils.Database, slug: str) -> Strategy:
    parts = db.query(
        "SELECT part, text FROM pulse_strategy WHERE pulse_slug = ? ORDER BY part, position",
        [slug],
    )
    figures = db.query(
        "SELECT key, label, value, unit, min, max FROM pulse_customer_figures "
        "WHERE pulse_slug = ? ORDER BY key",
        [slug],
    )
    return Strategy.from_stored(((row["part"], row["text"]) for row in parts), figures)


def _pulse_from_row(db: sqlite_utils.Database, row: dict) -> Pulse:
    return Pulse(
        slug=row["slug"],
        title=row["title"],
        period=row["period"],
        status=row["status"],
        instrument=load_instrument(db, row["instrument_id"], row["instrument_version"]),
        strategy=_load_strategy(db, row["slug"]),
        open_token=row["open_token"],
        leadership_levels=tuple(v for v in row["leadership_levels"].split(",") if v),
        breakdowns=tuple(v for v in row["breakdowns"].split(",") if v),
        close_on=date.fromisoformat(row["close_on"]) if row["close_on"] else None,
        min_group=row["min_group"],
    )


def get_pulse_row(db: sqlite_utils.Database, slug: str) -> dict | None:
    """The raw ``pulses`` row (status etc.) without rebuilding the instrument."""
    if "\0" in slug:
        # No slug holds NUL, and PostgreSQL refuses it even in a lookup.
        return None
    return next(db.query("SELECT * FROM pulses WHERE slug = ?", [slug]), None)


def get_pulse(db: sqlite_utils.Database, slug: str) -> Pulse | None:
    """The pulse with this slug, or ``None``."""
    row = get_pulse_row(db, slug)
    return None if row is None else _pulse_from_row(db, row)


def get_pulse_by_open_token(db: sqlite_utils.Database, open_token: str) -> Pulse | None:
    """The pulse whose open link carries ``open_token``, or ``None``."""
    if not open_token or "\0" in open_token:
        # No token holds NUL, and PostgreSQL refuses it even in a lookup.
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
