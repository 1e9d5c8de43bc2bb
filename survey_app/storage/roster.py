"""The roster and its invitations: one random link per person, stored as a hash.

An invitation holds the pulse, the person's reporting-group values (after
small groups are merged, ``analysis.coarsen``) and a ``used`` flag, nothing
else. The roster's emails sit in ``invitation_contacts`` only while the pulse
can be answered, so that links can be sent and re-sent; that table is never
shown, never exported, never joined to responses, and is emptied when the
pulse closes (``docs/privacy.md``).

Links are issued, not stored: :func:`issue_links` gives each invitation a new
random token and returns it once, so only the mail (or the file an admin
downloads) ever holds a working link.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from analysis.coarsen import merge_plan, role_tiers
from analysis.instrument import SEGMENTS
from survey_app.storage.base import (
    StorageError,
    UnknownPulse,
    breakdowns_of,
    checked_columns,
    clean_segment,
    hash_token,
    renew_export_epoch,
    write_transaction,
)
from survey_app.storage.pulses import get_pulse_row
from survey_app.storage.roster_file import RosterEntry, names_from_email, normalise_email

#: Tokens carry 192 random bits: unguessable, and short enough for a link.
TOKEN_BYTES = 24


@dataclass(frozen=True)
class Invitation:
    pulse_slug: str
    segments: dict[str, str | None]
    used: bool


@dataclass(frozen=True)
class RosterPreview:
    """What an import would store, for the admin to check before it does."""

    total: int
    #: (label of a stored reporting group, invitations in it), in label order.
    groups: list[tuple[str, int]]
    #: (original combination, merged into, people), for every merged one.
    merges: list[tuple[str, str, int]]


@dataclass(frozen=True)
class IssuedLink:
    email: str
    token: str


@dataclass(frozen=True)
class ParticipationRow:
    label: str
    invited: int
    #: ``None`` when fewer than the minimum group answered: never a count.
    responded: int | None


def combination_label(combination: Sequence[Any]) -> str:
    """How a combination of breakdown values is written for people."""
    return " / ".join("not given" if v is None else str(v) for v in combination)


def _pulse(db: sqlite_utils.Database, slug: str) -> dict:
    row = get_pulse_row(db, slug)
    if row is None:
        raise UnknownPulse(slug)
    return row


def _breakdowns(row: Mapping) -> tuple[str, ...]:
    return breakdowns_of(row)


def _columns(breakdowns: Sequence[str]) -> str:
    # Breakdown names come from analysis.instrument.SEGMENTS (checked here
    # and when the pulse was created), never from a request.
    return ", ".join(checked_columns(breakdowns))


#: The tables whose combinations :func:`stored_combinations` counts.
_COUNTED_TABLES = ("invitations", "responses")


def stored_combinations(db: sqlite_utils.Database, slug: str, table: str = "invitations") -> Counter:
    """How many invitations (or responses) hold each stored combination."""
    if table not in _COUNTED_TABLES:
        raise StorageError(f"cannot count combinations in {table!r}")
    row = _pulse(db, slug)
    breakdowns = _breakdowns(row)
    counts: Counter = Counter()
    for r in db.query(
        f"SELECT {_columns(breakdowns)}, count(*) AS n FROM {table} "
        f"WHERE pulse_slug = ? GROUP BY {_columns(breakdowns)}",
        [slug],
    ):
        counts[tuple(r[b] for b in breakdowns)] = r["n"]
    return counts


def is_stored_combination(db: sqlite_utils.Database, slug: str, breakdowns: Sequence[str],
                          combination: tuple) -> bool:
    """Whether some invitation of the pulse holds ``combination`` of ``breakdowns``.

    When it does, :func:`analysis.coarsen.place` keeps the combination as it
    is, so a submission needs no count of every invitation (which grows with
    the roster and runs under the write lock).
    """
    match = " AND ".join(f"{b} IS ?" for b in checked_columns(breakdowns))
    sql = "SELECT 1 FROM invitations WHERE pulse_slug = ?" + (f" AND {match}" if match else "") + " LIMIT 1"
    return next(db.query(sql, [slug, *combination]), None) is not None


def _raw_combination(segments: Mapping[str, Any], breakdowns: Sequence[str], where: str) -> tuple:
    return tuple(clean_segment(segments.get(b), where, b) for b in breakdowns)


def _plan_with(db, slug: str, row: Mapping, new: Sequence[tuple]) -> tuple[dict, Counter]:
    """The merge plan once ``new`` raw combinations join those stored.

    Stored combinations are already merged; merging again can only make them
    coarser, so people already invited (and responses already given) move
    to a larger group, never a smaller one.
    """
    stored = stored_combinations(db, slug)
    counts = Counter(stored)
    counts.update(new)
    levels = tuple(v for v in row["leadership_levels"].split(",") if v)
    plan = merge_plan(counts, _breakdowns(row), row["min_group"], tiers=role_tiers(levels))
    return plan, stored


def _recoarsen_stored(db, slug: str, breakdowns, plan: Mapping, stored: Iterable[tuple]) -> None:
    breakdowns = checked_columns(breakdowns)
    for combination in stored:
        target = plan[combination]
        if target == combination:
            continue
        sets = ", ".join(f"{b} = ?" for b in breakdowns)
        match = " AND ".join(f"{b} IS ?" for b in breakdowns)
        for table in ("invitations", "responses"):
            db.execute(
                f"UPDATE {table} SET {sets} WHERE pulse_slug = ? AND {match}",
                [*target, slug, *combination],
            )


def _insert_invitations(db, slug: str, breakdowns, combinations: Sequence[tuple]) -> list[str]:
    tokens, rows = [], []
    for combination in combinations:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        tokens.append(token)
        values = dict(zip(breakdowns, combination))
        rows.append([hash_token(token), slug] + [values.get(s) for s in SEGMENTS])
    db.conn.executemany(
        "INSERT INTO invitations (token_hash, pulse_slug, department, team, tenure_band, "
        "role_level, used) VALUES (?, ?, ?, ?, ?, ?, 0)",
        rows,
    )
    return tokens


def _add(db, slug: str, raw: Sequence[Mapping[str, Any]], emails: Sequence[str] | None) -> list[str]:
    row = _pulse(db, slug)
    if row["status"] == "closed":
        raise StorageError(f"survey '{slug}' is closed: reopen it before inviting anyone")
    breakdowns = _breakdowns(row)
    new = [_raw_combination(s, breakdowns, f"roster row {i}") for i, s in enumerate(raw, 1)]
    plan, stored = _plan_with(db, slug, row, new)
    _recoarsen_stored(db, slug, breakdowns, plan, stored)
    # Merged groups and new scrub names change the export (storage.export_cache).
    renew_export_epoch(db, slug)
    tokens = _insert_invitations(db, slug, breakdowns, [plan[c] for c in new])
    if emails is not None:
        db.conn.executemany(
            "INSERT INTO invitation_contacts (pulse_slug, email, token_hash) VALUES (?, ?, ?)",
            [(slug, email, hash_token(t)) for email, t in zip(emails, tokens)],
        )
        names = {n for email in emails for n in names_from_email(email)}
        db.conn.executemany(
            "INSERT INTO pulse_scrub_names (pulse_slug, name) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(slug, n) for n in sorted(names)],
        )
    return tokens


def add_invitations(
    db: sqlite_utils.Database, pulse_slug: str, roster: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Create one invitation per roster row; return the plaintext tokens, in order.

    For rosters without emails (the demo, scripts): the tokens are returned
    once and never stored. A row may hold only segment columns; anything else
    (a name, an email) is refused rather than quietly dropped. Only the
    pulse's breakdowns are kept, merged so that every stored combination is
    held by at least the pulse's ``min_group`` invitations.
    """
    rows = []
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
        for segment in SEGMENTS:
            clean_segment(entry.get(segment), where, segment)
        rows.append(entry)
    with write_transaction(db):
        return _add(db, pulse_slug, rows, None)


def preview_roster(db: sqlite_utils.Database, slug: str, entries: Sequence[RosterEntry]) -> RosterPreview:
    """The reporting groups an import of ``entries`` would store, and the merges."""
    row = _pulse(db, slug)
    breakdowns = _breakdowns(row)
    new = [_raw_combination(e.segments, breakdowns, f"line {e.line}") for e in entries]
    plan, stored = _plan_with(db, slug, row, new)
    after: Counter = Counter()
    for combination, n in stored.items():
        after[plan[combination]] += n
    merges: Counter = Counter()
    for original in new:
        after[plan[original]] += 1
        if plan[original] != original:
            merges[(original, plan[original])] += 1
    return RosterPreview(
        total=sum(after.values()),
        groups=sorted((combination_label(c), n) for c, n in after.items()),
        merges=sorted(
            (combination_label(a), combination_label(b), n) for (a, b), n in merges.items()
        ),
    )


def _known_emails(db, slug: str) -> set[str]:
    return {
        r["email"]
        for r in db.query("SELECT email FROM invitation_contacts WHERE pulse_slug = ?", [slug])
    }


def import_roster(db: sqlite_utils.Database, slug: str, entries: Sequence[RosterEntry]) -> int:
    """Invite everyone on a parsed roster (see :func:`parse_roster`); return how many.

    A pulse takes one roster; people who join later are added with
    :func:`add_people`, which keeps the groups already stored.
    """
    with write_transaction(db):
        if next(db.query("SELECT 1 FROM invitations WHERE pulse_slug = ? LIMIT 1", [slug]), None):
            raise StorageError(
                f"survey '{slug}' already has its roster; add late joiners with add-people"
            )
        _add(db, slug, [e.segments for e in entries], [e.email for e in entries])
    return len(entries)


def add_people(db: sqlite_utils.Database, slug: str, entries: Sequence[RosterEntry]) -> int:
    """Invite late joiners; people already invited are refused by line."""
    with write_transaction(db):
        known = _known_emails(db, slug)
        twice = [e for e in entries if e.email in known]
        if twice:
            raise StorageError(
                "already invited to this pulse: "
                + ", ".join(f"line {e.line} ({e.email})" for e in twice)
            )
        _add(db, slug, [e.segments for e in entries], [e.email for e in entries])
    return len(entries)


def issue_links(
    db: sqlite_utils.Database, slug: str, emails: Iterable[str] | None = None
) -> list[IssuedLink]:
    """New links for everyone on the roster (or the given people); old ones stop working.

    Every person gets a link, answered or not, so a list of issued links does
    not by itself say who has answered (a used link opens on "already
    answered", which whoever holds the links can still try: see
    docs/privacy.md). Returned once; only hashes are kept.
    """
    with write_transaction(db):
        row = _pulse(db, slug)
        if row["status"] == "closed":
            raise StorageError(f"survey '{slug}' is closed: its links no longer work")
        contacts = {
            r["email"]: r["token_hash"]
            for r in db.query(
                "SELECT email, token_hash FROM invitation_contacts WHERE pulse_slug = ? "
                "ORDER BY email",
                [slug],
            )
        }
        if emails is None:
            wanted = list(contacts)
        else:
            wanted = [normalise_email(e) for e in emails]
            unknown = [e for e in wanted if e not in contacts]
            if unknown:
                raise StorageError(
                    f"not on the roster of '{slug}': {', '.join(unknown)}"
                )
        issued = []
        for email in wanted:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            new_hash = hash_token(token)
            db.execute(
                "UPDATE invitations SET token_hash = ? WHERE token_hash = ?",
                [new_hash, contacts[email]],
            )
            db.execute(
                "UPDATE invitation_contacts SET token_hash = ? WHERE pulse_slug = ? AND email = ?",
                [new_hash, slug, email],
            )
            issued.append(IssuedLink(email=email, token=token))
    return issued


def erase_contacts(db: sqlite_utils.Database, slug: str) -> int:
    """Forget the roster's emails (the pulse can no longer be answered)."""
    return db.execute("DELETE FROM invitation_contacts WHERE pulse_slug = ?", [slug]).rowcount


def scrub_names(db: sqlite_utils.Database, slug: str) -> list[str]:
    """Names from the pulse's roster, for scrubbing its comments."""
    return [
        r["name"]
        for r in db.query(
            "SELECT name FROM pulse_scrub_names WHERE pulse_slug = ? ORDER BY name", [slug]
        )
    ]


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
    """Distinct values of one segment among a pulse's invitations, sorted.

    These are the stored (merged) values, so the open link offers the same
    groups the invitations count in.
    """
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


def participation(db: sqlite_utils.Database, slug: str) -> list[ParticipationRow]:
    """Invited and answered, for the company and each breakdown's values.

    Only groups of at least ``min_group`` invitations are listed, and a group
    where fewer than ``min_group`` answered says so instead of a count.
    Counts are of links used: answers through the open link are counted in
    their own row.
    """
    row = _pulse(db, slug)
    k = row["min_group"]
    rows = []

    def add(label: str, invited: int, responded: int) -> None:
        if invited >= k:
            rows.append(ParticipationRow(label, invited, responded if responded >= k else None))

    total = next(db.query(
        "SELECT count(*) AS invited, coalesce(sum(used), 0) AS used FROM invitations "
        "WHERE pulse_slug = ?", [slug]))
    add("Everyone invited", total["invited"], total["used"])
    for breakdown in _breakdowns(row):
        for r in db.query(
            f"SELECT {_columns([breakdown])} AS value, count(*) AS invited, sum(used) AS used "
            f"FROM invitations WHERE pulse_slug = ? GROUP BY {_columns([breakdown])} "
            "ORDER BY value",
            [slug],
        ):
            value = "not given" if r["value"] is None else r["value"]
            add(f"{breakdown.replace('_', ' ')}: {value}", r["invited"], r["used"])
    open_answers = next(db.query(
        "SELECT count(*) AS n FROM responses WHERE pulse_slug = ?", [slug]))["n"] - total["used"]
    if open_answers > 0 or row["open_token"]:
        shown = open_answers if open_answers >= k else None
        rows.append(ParticipationRow("Through the open link", 0, shown))
    return rows
