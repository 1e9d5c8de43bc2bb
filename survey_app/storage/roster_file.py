"""Reading a roster CSV: every bad line named, nothing half-read.

The roster is the one file with personal data an admin hands the app. Its
mistakes must be found before anything is stored — a typo in a department
would otherwise become a group of one — so :func:`parse_roster` reads the
whole file, collects every problem with its line and field, and raises them
together. Format: ``docs/roster.md``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from analysis.instrument import ROLE_LEVELS, SEGMENTS, TENURE_BANDS
from survey_app.storage.base import StorageError

#: Columns a roster may have; ``email`` and ``department`` are required.
ROSTER_COLUMNS = ("email",) + SEGMENTS
REQUIRED_COLUMNS = ("email", "department")
#: Values a segment column may take, where the instrument model fixes them.
ALLOWED_VALUES = {"tenure_band": TENURE_BANDS, "role_level": ROLE_LEVELS}
#: Longest segment value: a department name, not a sentence.
MAX_VALUE_LENGTH = 80
#: Most problems listed before the rest are summarised.
MAX_PROBLEMS = 50

# One @, a dot in the domain, no spaces: enough to catch a shifted column or
# a name typed where the email belongs, without rejecting real addresses.
_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+$")


@dataclass(frozen=True)
class RosterEntry:
    """One person of the roster, as read from its line."""

    line: int
    email: str
    segments: dict[str, str | None] = field(default_factory=dict)


class RosterError(StorageError):
    """A roster that cannot be imported; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n... and {more} more problem(s)" if more else "")
        super().__init__(f"the roster was not imported ({len(problems)} problem(s)):\n{text}")


def normalise_email(email: str) -> str:
    """Emails compare without case: Jane.Doe@ACME.com is jane.doe@acme.com."""
    return email.strip().lower()


def parse_roster(text: str, *, source: str = "roster.csv") -> list[RosterEntry]:
    """Every person of a roster CSV, or :class:`RosterError` naming each bad line.

    Parameters
    ----------
    text : str
        The file's text (UTF-8, a header row first; a BOM is ignored).
    source : str
        The file name used in messages.

    Examples
    --------
    >>> rows = parse_roster("email,department,role_level\\nana@acme.test,Sales,staff\\n")
    >>> rows[0].email, rows[0].segments["department"], rows[0].segments["team"]
    ('ana@acme.test', 'Sales', None)
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError([f"{source}: the file is empty (expected a header row: "
                           f"{','.join(ROSTER_COLUMNS)})"]) from None
    except csv.Error as exc:
        raise RosterError([f"{source}, line 1: not readable as CSV ({exc})"]) from None
    columns = [h.strip().lower() for h in header]
    problems = _header_problems(columns, source)
    if problems:
        raise RosterError(problems)
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            entry, row_problems = _entry(row, columns, line, source)
            problems.extend(row_problems)
            if entry is None:
                continue
            if entry.email in seen:
                problems.append(
                    f"{source}, line {line}, field email: duplicate person {entry.email} "
                    f"(already on line {seen[entry.email]})"
                )
                continue
            seen[entry.email] = line
            entries.append(entry)
    except csv.Error as exc:
        problems.append(f"{source}, line {reader.line_num}: not readable as CSV ({exc})")
    if problems:
        raise RosterError(problems)
    if not entries:
        raise RosterError([f"{source}: the roster lists nobody (only a header row)"])
    return entries


def _header_problems(columns: list[str], source: str) -> list[str]:
    problems = []
    for column in columns:
        if column not in ROSTER_COLUMNS:
            problems.append(
                f"{source}, line 1: unknown column {column!r} (expected {', '.join(ROSTER_COLUMNS)}; "
                "a roster holds no names or other personal data)"
            )
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.append(f"{source}, line 1: missing column {column!r}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    for column in repeated:
        problems.append(f"{source}, line 1: column {column!r} appears more than once")
    return problems


def _entry(row: list[str], columns: list[str], line: int, source: str):
    where = f"{source}, line {line}"
    if len(row) != len(columns):
        return None, [f"{where}: {len(row)} field(s), expected {len(columns)} ({','.join(columns)})"]
    values = {column: cell.strip() for column, cell in zip(columns, row)}
    # PostgreSQL refuses NUL in any text; a roster never needs one.
    nul = [f"{where}, field {column}: holds a NUL character (0x00), which no field takes"
           for column, value in values.items() if "\x00" in value]
    if nul:
        return None, nul
    problems = []
    email = normalise_email(values["email"])
    if not _EMAIL_RE.match(email):
        problems.append(f"{where}, field email: {values['email']!r} is not an email address")
    segments: dict[str, str | None] = {}
    for segment in SEGMENTS:
        value = values.get(segment) or None
        if value is not None and len(value) > MAX_VALUE_LENGTH:
            problems.append(f"{where}, field {segment}: longer than {MAX_VALUE_LENGTH} characters")
        allowed = ALLOWED_VALUES.get(segment)
        if value is not None and allowed and value not in allowed:
            problems.append(
                f"{where}, field {segment}: unknown value {value!r} "
                f"(expected one of {', '.join(allowed)})"
            )
        segments[segment] = value
    if segments["department"] is None:
        problems.append(f"{where}, field department: empty (every person needs a department)")
    if problems:
        return None, problems
    return RosterEntry(line=line, email=email, segments=segments), []


def names_from_email(email: str) -> list[str]:
    """Names an email spells out ("jane.doe@…" -> "Jane Doe"), for scrubbing.

    Only dotted, dashed or underscored local parts of letters are read as
    names; "jdoe" or "sales" are not, since guessing would scrub ordinary
    words from comments.
    """
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._-]+", local) if p]
    if len(parts) < 2 or not all(p.isalpha() and len(p) > 1 for p in parts):
        return []
    return [" ".join(p.capitalize() for p in parts)]
