"""Accounts, the audit log and failed logins: every SQL statement about them.

Passwords arrive here already hashed (argon2id, by :mod:`survey_app.auth`);
this module never sees one in clear. Each account carries a random
``session_token`` that its login sessions quote: rotating it (at logout, a
password change, a reset, a role change or disabling) ends every session
opened before, even one whose cookie was copied.

Tables about accounts may keep times; nothing here refers to a response or an
answer, and the audit log is about what people did with accounts and pulses,
never about what anyone answered.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from survey_app.storage.base import StorageError, write_transaction

#: Every role, in the order pages list them.
ROLES = ("admin", "ceo", "clo", "cmo", "analyst", "manager")
#: The three executives, who work as equals.
EXECUTIVE_ROLES = ("ceo", "clo", "cmo")
#: What each role is for, shown on the command line and the admin pages.
ROLE_DESCRIPTIONS = {
    "admin": "runs pulses and sees everything, including the admin area",
    "ceo": "chief executive: own report, the other executives' reports, company-wide views",
    "clo": "chief learning officer: own report, the other executives' reports, company-wide views",
    "cmo": "chief marketing officer: own report, the other executives' reports, company-wide views",
    "analyst": "all report data and the exports, not the admin area",
    "manager": "one department's report only",
}

#: Longest email address (RFC 5321's path limit) and department name accepted.
MAX_EMAIL_LENGTH = 254
MAX_DEPARTMENT_LENGTH = 100
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class UserError(StorageError):
    """An account request that is refused; the message says why."""


class DuplicateEmail(UserError):
    """Another account already has this email address."""

    def __init__(self, email: str):
        self.email = email
        super().__init__(f"an account with email {email} already exists")


class UnknownUser(UserError):
    """No account matches."""

    def __init__(self, who: Any):
        self.who = who
        super().__init__(f"no account {who}")


@dataclass(frozen=True)
class User:
    """One account as stored. ``password_hash`` and ``session_token`` stay out of repr."""

    id: int
    email: str
    role: str
    department: str | None
    disabled: bool
    created_at: str
    password_changed_at: str
    last_login_at: str | None
    password_hash: str = field(repr=False)
    session_token: str = field(repr=False)


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    id: int
    at: str
    actor_id: int | None
    actor: str
    action: str
    subject: str
    detail: str


def utc_now() -> str:
    """The current time as stored in account tables: ISO 8601, UTC, seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_email(email: Any) -> str:
    """The address as stored: stripped and lower-cased, or :class:`UserError`."""
    if not isinstance(email, str) or not email.strip():
        raise UserError("an email address is required")
    email = email.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH:
        raise UserError(f"email address is longer than {MAX_EMAIL_LENGTH} characters")
    if not _EMAIL_RE.match(email):
        raise UserError(f"{email!r} is not an email address (expected name@example.org)")
    return email


def check_role(role: Any, department: Any = None) -> tuple[str, str | None]:
    """Validate a role and its department; return them as stored.

    A manager needs exactly one department; every other role has none (a
    department given with another role is refused rather than silently
    dropped, so a typo in a command cannot create a manager-less account).
    """
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    if isinstance(department, str):
        department = department.strip() or None
    if role == "manager":
        if department is None:
            raise UserError("a manager needs a department (the one department they see)")
        if len(department) > MAX_DEPARTMENT_LENGTH:
            raise UserError(f"department name is longer than {MAX_DEPARTMENT_LENGTH} characters")
        return role, department
    if department is not None:
        raise UserError(f"only a manager has a department, not the role {role!r}")
    return role, None


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


def _user(row: dict | None) -> User | None:
    if row is None:
        return None
    return User(
        id=row["id"],
        email=row["email"],
        role=row["role"],
        department=row["department"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        password_changed_at=row["password_changed_at"],
        last_login_at=row["last_login_at"],
        password_hash=row["password_hash"],
        session_token=row["session_token"],
    )


def _require(db: sqlite_utils.Database, user_id: int) -> User:
    user = get_user(db, user_id)
    if user is None:
        raise UnknownUser(f"with id {user_id}")
    return user


# --------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------


def create_user(
    db: sqlite_utils.Database,
    email: str,
    role: str,
    password_hash: str,
    department: str | None = None,
) -> User:
    """Create an account; raise :class:`UserError` / :class:`DuplicateEmail`."""
    email = normalise_email(email)
    role, department = check_role(role, department)
    if not isinstance(password_hash, str) or not password_hash.startswith("$argon2"):
        raise UserError("password_hash must be an argon2 hash, never a password")
    now = utc_now()
    with write_transaction(db):
        if get_user_by_email(db, email) is not None:
            raise DuplicateEmail(email)
        cursor = db.execute(
            "INSERT INTO users (email, role, department, password_hash, session_token, "
            "created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [email, role, department, password_hash, _new_session_token(), now, now],
        )
        user_id = cursor.fetchone()[0]
    return _require(db, user_id)


def get_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    """The account with this id, or ``None``."""
    return _user(next(db.query("SELECT * FROM users WHERE id = ?", [user_id]), None))


def get_user_by_email(db: sqlite_utils.Database, email: str) -> User | None:
    """The account with this address (any case, surrounding blanks ignored), or ``None``."""
    if not isinstance(email, str):
        return None
    return _user(
        next(db.query("SELECT * FROM users WHERE email = ?", [email.strip().lower()]), None)
    )


def list_users(db: sqlite_utils.Database) -> list[User]:
    """Every account, by email."""
    return [_user(row) for row in db.query("SELECT * FROM users ORDER BY email")]


def count_users(db: sqlite_utils.Database, role: str | None = None) -> int:
    """How many accounts there are (enabled ones of ``role`` when given)."""
    if role is None:
        return next(db.query("SELECT count(*) AS n FROM users"))["n"]
    return next(
        db.query("SELECT count(*) AS n FROM users WHERE role = ? AND disabled = 0", [role])
    )["n"]


#: Every SET clause :func:`_update` may run: the only text it puts in SQL.
_USER_UPDATES = frozenset({
    "role = ?, department = ?, session_token = ?",
    "disabled = ?, session_token = ?",
    "password_hash = ?",
    "password_hash = ?, password_changed_at = ?, session_token = ?",
    "session_token = ?",
    "last_login_at = ?",
})


def _update(db: sqlite_utils.Database, user_id: int, sql_set: str, params: list) -> User:
    if sql_set not in _USER_UPDATES:
        raise UserError(f"not an account update this module makes: {sql_set!r}")
    with write_transaction(db):
        cursor = db.execute(f"UPDATE users SET {sql_set} WHERE id = ?", params + [user_id])
        if cursor.rowcount == 0:
            raise UnknownUser(f"with id {user_id}")
    return _require(db, user_id)


def set_role(
    db: sqlite_utils.Database, user_id: int, role: str, department: str | None = None
) -> User:
    """Give an account a new role (and department); its open sessions end."""
    role, department = check_role(role, department)
    return _update(
        db, user_id, "role = ?, department = ?, session_token = ?",
        [role, department, _new_session_token()],
    )


def set_disabled(db: sqlite_utils.Database, user_id: int, disabled: bool = True) -> User:
    """Disable (or enable again) an account; disabling ends its sessions."""
    return _update(
        db, user_id, "disabled = ?, session_token = ?",
        [1 if disabled else 0, _new_session_token()],
    )


def set_password_hash(
    db: sqlite_utils.Database, user_id: int, password_hash: str, *, end_sessions: bool = True
) -> User:
    """Store a new password hash.

    ``end_sessions`` (the default, for a change or a reset) rotates the
    session token so every other session of the account ends. A rehash at
    login, same password with stronger parameters, passes ``False``.
    """
    if not isinstance(password_hash, str) or not password_hash.startswith("$argon2"):
        raise UserError("password_hash must be an argon2 hash, never a password")
    if not end_sessions:
        return _update(db, user_id, "password_hash = ?", [password_hash])
    return _update(
        db, user_id, "password_hash = ?, password_changed_at = ?, session_token = ?",
        [password_hash, utc_now(), _new_session_token()],
    )


def rotate_session_token(db: sqlite_utils.Database, user_id: int) -> User:
    """Give the account a new session token: every session opened before ends."""
    return _update(db, user_id, "session_token = ?", [_new_session_token()])


def record_login(db: sqlite_utils.Database, user_id: int) -> User:
    """Note the time of a successful login."""
    return _update(db, user_id, "last_login_at = ?", [utc_now()])


# --------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------


def _actor(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        if not actor.strip():
            raise UserError("an audit actor must not be blank (pass None for the system)")
        return None, actor.strip()
    user_id, email = getattr(actor, "id", None), getattr(actor, "email", None)
    if not isinstance(user_id, int) or not isinstance(email, str):
        raise UserError(f"an audit actor is a user, a text label or None, not {actor!r}")
    return user_id, email


def audit(
    db: sqlite_utils.Database, actor: Any, action: str, subject: str = "", detail: str = ""
) -> AuditEntry:
    """Record who did what to which account or pulse, and when.

    Parameters
    ----------
    actor : User, str or None
        Anything with ``id`` and ``email`` (a :class:`User`, Flask-Login's
        ``current_user``), a label such as ``"command line"``, or ``None``
        for the app itself.
    action : str
        A short verb phrase, such as ``"login"``, ``"download links"``,
        ``"export"``, ``"change pulse"``.
    subject : str
        What it was done to: an account's email, a pulse's slug.
    detail : str
        Anything else worth knowing (``"role analyst -> manager"``). Never
        an answer, a password, or a survey link.

    Inside a transaction the caller opened (with
    :func:`~survey_app.storage.base.write_transaction`), the row is written
    in it, so the change and its record commit or fail together; otherwise
    it is written in a transaction of its own.
    """
    actor_id, actor_label = _actor(actor)
    if not isinstance(action, str) or not action.strip():
        raise UserError("an audit action must not be blank")
    at = utc_now()
    values = [at, actor_id, actor_label, action.strip(), subject or "", detail or ""]
    sql = ("INSERT INTO audit_log (at, actor_id, actor, action, subject, detail) "
           "VALUES (?, ?, ?, ?, ?, ?) RETURNING id")
    if db.conn.in_transaction:
        entry_id = db.execute(sql, values).fetchone()[0]
    else:
        with write_transaction(db):
            entry_id = db.execute(sql, values).fetchone()[0]
    return AuditEntry(entry_id, at, actor_id, actor_label, values[3], values[4], values[5])


def list_audit(db: sqlite_utils.Database, limit: int = 500, offset: int = 0) -> list[AuditEntry]:
    """The newest ``limit`` audit rows after skipping ``offset``, newest first."""
    return [
        AuditEntry(**row)
        for row in db.query(
            "SELECT id, at, actor_id, actor, action, subject, detail FROM audit_log "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            [limit, offset],
        )
    ]


def count_audit(db: sqlite_utils.Database) -> int:
    """How many rows the audit log holds."""
    return next(db.query("SELECT count(*) AS n FROM audit_log"))["n"]


# --------------------------------------------------------------------------
# Failed logins, per (account, address) pair
# --------------------------------------------------------------------------


def login_failures(db: sqlite_utils.Database, key_hash: str) -> tuple[int, float]:
    """``(failures, time of the last one)`` for a pair; ``(0, 0.0)`` when clean."""
    row = next(
        db.query(
            "SELECT failures, last_failure_at FROM login_attempts WHERE key_hash = ?",
            [key_hash],
        ),
        None,
    )
    return (row["failures"], row["last_failure_at"]) if row else (0, 0.0)


def _count_failure(db, key_hash: str, now: float, forget_before: float) -> None:
    """One more failure for the pair (inside the caller's write transaction)."""
    db.execute("DELETE FROM login_attempts WHERE last_failure_at < ?", [forget_before])
    db.execute(
        "INSERT INTO login_attempts (key_hash, failures, last_failure_at) VALUES (?, 1, ?) "
        "ON CONFLICT (key_hash) DO UPDATE SET failures = login_attempts.failures + 1, "
        "last_failure_at = excluded.last_failure_at",
        [key_hash, now],
    )


def record_login_failure(
    db: sqlite_utils.Database, key_hash: str, now: float, forget_before: float
) -> int:
    """Count one more failure for a pair at ``now`` (seconds); return the count.

    Pairs whose last failure is older than ``forget_before`` are dropped in
    the same transaction, so the table holds only recent trouble.
    """
    with write_transaction(db):
        _count_failure(db, key_hash, now, forget_before)
    return login_failures(db, key_hash)[0]


def claim_login_attempt(
    db: sqlite_utils.Database, key_hash: str, now: float, forget_before: float, delay_after
) -> float:
    """Check and count an attempt of a pair in one write transaction.

    Returns the seconds the pair must still wait (the attempt is then neither
    allowed nor counted), or 0: the attempt may go on and is counted as a
    failure already, to be cleared if its password is right. Reading the
    wait and counting the failure apart let parallel guesses all read "no
    wait" before any was counted; ``BEGIN IMMEDIATE`` lets one at a time in.
    ``delay_after(failures)`` is the throttle's rule.
    """
    with write_transaction(db):
        row = next(db.query(
            "SELECT failures, last_failure_at FROM login_attempts WHERE key_hash = ?", [key_hash]
        ), None)
        if row and row["last_failure_at"] >= forget_before:
            wait = row["last_failure_at"] + delay_after(row["failures"]) - now
            if wait > 0:
                return wait
        _count_failure(db, key_hash, now, forget_before)
    return 0.0


def clear_login_failures(db: sqlite_utils.Database, key_hash: str) -> None:
    """Forget a pair's failures (after a successful login)."""
    with write_transaction(db):
        db.execute("DELETE FROM login_attempts WHERE key_hash = ?", [key_hash])
