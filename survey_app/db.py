"""The app's SQLite connection, schema and migrations.

One connection per request, cached on :data:`flask.g` (the pattern of the
Flask tutorial's ``flaskr/db.py``), wrapped as a :class:`sqlite_utils.Database`
so that the storage layer and Datasette see the same plain tables.

The schema is built by an ordered list of migrations, each a plain function,
recorded in ``schema_migrations``. :func:`migrate` applies the missing ones in
order inside one ``BEGIN IMMEDIATE`` transaction, so two processes starting at
once cannot both apply the same step, and a populated database keeps every row.
The tables and the anonymity guarantees are documented in ``docs/schema.md``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import date

import sqlite_utils

from survey_app.files import secure_database

#: How long a writer waits for another writer's lock before giving up, in ms.
#: Submitting a survey holds the write lock for a few milliseconds, so a burst
#: of submissions queues up well inside this.
BUSY_TIMEOUT_MS = 15_000
#: The statement that sets it (storage/wal.py restores it after a checkpoint).
BUSY_TIMEOUT_PRAGMA = f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"


def connect(path: str | os.PathLike) -> sqlite_utils.Database:
    """Open the database at ``path`` the way the whole app expects it.

    Usable without Flask (tests, the demo generator, scripts). The connection
    gets WAL journaling, so readers (reports, Datasette, the analysis loader)
    never block survey submissions, a busy timeout, so concurrent writers wait
    instead of failing, enforced foreign keys, and ``synchronous=NORMAL``
    (see the note in the body and ``docs/schema.md``).

    Parameters
    ----------
    path : str or path-like
        The SQLite file; it and its folder are created if missing, readable
        by their owner only (``survey_app.files``). ``":memory:"``
        gives a private in-memory database (no WAL there).

    Returns
    -------
    sqlite_utils.Database
    """
    path = str(path)
    if path != ":memory:":
        # Owner-only database, WAL and SHM, whatever the umask (files.py).
        secure_database(path)
    conn = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=False,
    )
    db = sqlite_utils.Database(conn)
    db.execute(BUSY_TIMEOUT_PRAGMA)
    db.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        db.enable_wal()
        # In WAL mode NORMAL still never corrupts the file; only a power cut
        # or OS crash can lose the last few commits, and then the response and
        # its spent invitation are lost together (one transaction), so the
        # person can simply answer again. FULL costs ~10x per submission.
        db.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows (erased emails, deleted pulses) are zeroed, not left
        # in free pages; the WAL policy is storage/wal.py's.
        db.execute("PRAGMA secure_delete = ON")
    return db


# --------------------------------------------------------------------------
# Migrations
# --------------------------------------------------------------------------


def _m001_initial(db: sqlite_utils.Database) -> None:
    # WITHOUT ROWID on responses/answers/invitations: a rowid would record the
    # order in which people answered, which together with the roster could
    # tell who answered what. Primary keys are random strings instead.
    # sqlite-utils runs a script statement by statement inside an open
    # transaction (plain sqlite3 would commit migrate()'s BEGIN IMMEDIATE
    # first), so a failing step leaves nothing behind.
    db.executescript(
        """
        CREATE TABLE instruments (
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            source_toml TEXT NOT NULL,
            PRIMARY KEY (id, version)
        );

        CREATE TABLE pulses (
            slug TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            instrument_id TEXT NOT NULL,
            instrument_version INTEGER NOT NULL,
            period TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'open', 'closed')),
            open_token TEXT UNIQUE,
            leadership_levels TEXT NOT NULL DEFAULT 'manager,director,executive',
            created_on TEXT NOT NULL,
            FOREIGN KEY (instrument_id, instrument_version)
                REFERENCES instruments (id, version)
        );
        CREATE INDEX pulses_series ON pulses (instrument_id, period);

        CREATE TABLE pulse_strategy (
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            part TEXT NOT NULL
                CHECK (part IN ('goal', 'factor', 'brand_promise', 'previous_goal')),
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (pulse_slug, part, position)
        );

        CREATE TABLE pulse_customer_figures (
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            key TEXT NOT NULL,
            label TEXT NOT NULL,
            value REAL NOT NULL,
            unit TEXT NOT NULL DEFAULT '',
            min REAL,
            max REAL,
            PRIMARY KEY (pulse_slug, key)
        );

        CREATE TABLE invitations (
            token_hash TEXT PRIMARY KEY,
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            department TEXT,
            team TEXT,
            tenure_band TEXT,
            role_level TEXT,
            used INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1))
        ) WITHOUT ROWID;
        CREATE INDEX invitations_pulse ON invitations (pulse_slug);

        CREATE TABLE responses (
            id TEXT PRIMARY KEY,
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            submitted_on TEXT NOT NULL,
            department TEXT,
            team TEXT,
            tenure_band TEXT,
            role_level TEXT
        ) WITHOUT ROWID;
        CREATE INDEX responses_pulse ON responses (pulse_slug);

        CREATE TABLE answers (
            response_id TEXT NOT NULL REFERENCES responses (id),
            item_id TEXT NOT NULL,
            value_number REAL,
            value_text TEXT,
            PRIMARY KEY (response_id, item_id)
        ) WITHOUT ROWID;
        """
    )


#: Roles an account can have; the CHECK below and
#: :data:`survey_app.storage.users.ROLES` must name the same ones.
_ROLES_SQL = "'admin', 'ceo', 'clo', 'cmo', 'analyst', 'manager'"


def _m002_accounts(db: sqlite_utils.Database) -> None:
    # Tables about accounts may keep times (a login, a password change, an
    # audited action); nothing here refers to a response or an answer.
    db.execute(
        f"""
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ({_ROLES_SQL})),
            department TEXT,
            password_hash TEXT NOT NULL,
            session_token TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            last_login_at TEXT,
            CHECK ((role = 'manager') = (department IS NOT NULL))
        )
        """
    )
    db.execute(
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor_id INTEGER REFERENCES users (id),
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX audit_log_at ON audit_log (at)")
    # Keyed by a keyed hash of (account typed, client address): the address
    # itself is never stored, and one pair's failures never slow another.
    db.execute(
        """
        CREATE TABLE login_attempts (
            key_hash TEXT PRIMARY KEY,
            failures INTEGER NOT NULL CHECK (failures > 0),
            last_failure_at REAL NOT NULL
        ) WITHOUT ROWID
        """
    )


def _m003_reporting_groups(db: sqlite_utils.Database) -> None:
    # Reporting breakdowns per pulse: a response keeps only these values.
    # Pulses from before this step stored all four segments, so they keep
    # all four as their breakdowns (nothing stored is rewritten).
    # sqlite-utils runs a script statement by statement inside an open
    # transaction (plain sqlite3 would commit migrate()'s BEGIN IMMEDIATE
    # first), so a failing step leaves nothing behind.
    db.executescript(
        """
        ALTER TABLE pulses ADD COLUMN breakdowns TEXT NOT NULL
            DEFAULT 'department,team,tenure_band,role_level';
        ALTER TABLE pulses ADD COLUMN close_on TEXT;
        ALTER TABLE pulses ADD COLUMN min_group INTEGER NOT NULL DEFAULT 5;

        -- The roster's emails, only while the pulse can be answered: never
        -- shown, never exported, never joined to responses; deleted when the
        -- pulse closes.
        CREATE TABLE invitation_contacts (
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            email TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            PRIMARY KEY (pulse_slug, email)
        ) WITHOUT ROWID;

        -- Published results: a response is in the results from the snapshot
        -- that first included it (NULL: not published yet). See
        -- docs/privacy.md, "Snapshots".
        CREATE TABLE snapshots (
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            seq INTEGER NOT NULL,
            responses INTEGER NOT NULL,
            final INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
            PRIMARY KEY (pulse_slug, seq)
        );
        ALTER TABLE responses ADD COLUMN snapshot INTEGER;

        -- Names taken from the roster's emails, to scrub them from comments
        -- after the emails are erased; linked to nothing.
        CREATE TABLE pulse_scrub_names (
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            name TEXT NOT NULL,
            PRIMARY KEY (pulse_slug, name)
        ) WITHOUT ROWID;

        -- No dates on answers: the pulse's period is their time.
        ALTER TABLE responses DROP COLUMN submitted_on;
        """
    )
    # Responses stored before snapshots existed were already readable in
    # full, so they form each pulse's first snapshot.
    db.execute("UPDATE responses SET snapshot = 1")
    db.execute(
        "INSERT INTO snapshots (pulse_slug, seq, responses, final) "
        "SELECT pulse_slug, 1, count(*), 0 FROM responses GROUP BY pulse_slug"
    )


def _m004_reports(db: sqlite_utils.Database) -> None:
    # The leaders' reports (issue 8). Nothing here is an answer or holds a
    # time: a cached report is privacy-checked figures of one published
    # snapshot; plans and theme moves are what leaders decided.
    db.executescript(
        """
        -- The report data of one published snapshot, computed once
        -- (analysis.leader_report) and read by every report page.
        CREATE TABLE report_cache (
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            snapshot INTEGER NOT NULL,
            version INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (pulse_slug, snapshot, version)
        );

        -- Commitments recorded from a focus area, strength or theme.
        CREATE TABLE action_plans (
            id INTEGER PRIMARY KEY,
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            source TEXT NOT NULL CHECK (source IN ('focus', 'strength', 'theme', 'attention')),
            measure TEXT NOT NULL,
            measure_label TEXT NOT NULL,
            department TEXT,
            what TEXT NOT NULL,
            owner TEXT NOT NULL,
            due_on TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'in progress', 'done', 'dropped')),
            created_by TEXT NOT NULL
        );

        -- A leader's move of a comment theme to another owner, kept against
        -- the theme's defining terms so it survives refits (docs/reports.md).
        CREATE TABLE theme_moves (
            id INTEGER PRIMARY KEY,
            instrument_id TEXT NOT NULL,
            pulse_slug TEXT NOT NULL REFERENCES pulses (slug),
            terms TEXT NOT NULL,
            owner TEXT NOT NULL,
            moved_by TEXT NOT NULL
        );
        """
    )


#: The ordered migrations: (version, name, function). Append only; never
#: edit or reorder a released step, add a new one instead.
MIGRATIONS: tuple[tuple[int, str, Callable[[sqlite_utils.Database], None]], ...] = (
    (1, "initial schema", _m001_initial),
    (2, "accounts and audit log", _m002_accounts),
    (3, "reporting groups, roster contacts, snapshots, no dates on responses", _m003_reporting_groups),
    (4, "report cache, action plans, theme moves", _m004_reports),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]


def _ensure_migrations_table(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_on TEXT NOT NULL
        )
        """
    )


def applied_migrations(db: sqlite_utils.Database) -> list[int]:
    """Versions already applied to ``db``, ascending (empty for a new file)."""
    if "schema_migrations" not in db.table_names():
        return []
    return [
        row["version"]
        for row in db.query("SELECT version FROM schema_migrations ORDER BY version")
    ]


def schema_version(db: sqlite_utils.Database) -> int:
    """The highest applied migration, 0 for an empty database."""
    applied = applied_migrations(db)
    return applied[-1] if applied else 0


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply the missing migrations in order; return the versions applied.

    Everything happens in one ``BEGIN IMMEDIATE`` transaction: the write lock
    is taken before the applied versions are read, so concurrent callers
    serialise and the second one finds nothing left to do; any failure rolls
    the whole step back and the database stays at its previous version.
    Existing rows are never touched by re-running it.
    """
    from survey_app.storage.base import write_transaction

    if db.conn.in_transaction:
        raise RuntimeError("migrate() must be called outside a transaction")
    with write_transaction(db):
        _ensure_migrations_table(db)
        done = set(applied_migrations(db))
        newly = []
        for version, name, step in MIGRATIONS:
            if version in done:
                continue
            step(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_on) VALUES (?, ?, ?)",
                [version, name, date.today().isoformat()],
            )
            newly.append(version)
    return newly


# --------------------------------------------------------------------------
# Flask glue
# --------------------------------------------------------------------------


def get_db() -> sqlite_utils.Database:
    """The request's database connection, opened on first use.

    The schema is brought up to date the first time each process opens a
    given database file, so a fresh checkout works after ``init-db`` or even
    without it, and an upgraded app migrates an old file on its own.
    """
    from flask import current_app, g

    if "db" not in g:
        path = current_app.config["DATABASE"]
        db = connect(path)
        migrated = current_app.extensions.setdefault("trinity_migrated", set())
        if path not in migrated:
            migrate(db)
            migrated.add(path)
        g.db = db
    return g.db


def close_db(e: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    from flask import g

    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app) -> None:
    """Register teardown and the ``flask`` CLI commands with ``app``."""
    from survey_app.commands import register_commands

    app.teardown_appcontext(close_db)
    register_commands(app)
