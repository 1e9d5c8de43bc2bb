"""Schema migrations: recorded, ordered, idempotent, atomic, and never lose rows."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date

import pytest

from survey_app import db as dbmod
from survey_app import storage

TABLES = {
    "schema_migrations",
    "instruments",
    "pulses",
    "pulse_strategy",
    "pulse_customer_figures",
    "invitations",
    "responses",
    "answers",
    "users",
    "audit_log",
    "login_attempts",
}


def row_counts(db):
    return {t: db[t].count for t in sorted(TABLES)}


def test_fresh_database_gets_every_migration_recorded(tmp_path):
    db = dbmod.connect(tmp_path / "fresh.db")
    assert dbmod.schema_version(db) == 0
    applied = dbmod.migrate(db)
    assert applied == [v for v, _, _ in dbmod.MIGRATIONS]
    assert TABLES <= set(db.table_names())
    rows = list(db.query("SELECT version, name, applied_on FROM schema_migrations"))
    assert [r["version"] for r in rows] == applied
    assert all(r["name"] for r in rows)
    assert all(r["applied_on"] == date.today().isoformat() for r in rows)
    assert dbmod.schema_version(db) == dbmod.SCHEMA_VERSION


def test_migrate_twice_applies_nothing_and_keeps_rows(tmp_path, instrument, strategy):
    db = dbmod.connect(tmp_path / "p.db")
    dbmod.migrate(db)
    storage.create_pulse(
        db, slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
        strategy=strategy, status="open", open_link=True,
    )
    tokens = storage.add_invitations(db, "q4", [{"department": "Sales"}] * 3)
    storage.submit_response(db, pulse_slug="q4", answers={"st_understand": 4}, segments={},
                            token=tokens[0])
    before = row_counts(db)
    assert before["responses"] == 1 and before["answers"] == 1
    assert dbmod.migrate(db) == []
    db.close()
    reopened = dbmod.connect(tmp_path / "p.db")
    assert dbmod.migrate(reopened) == []
    assert row_counts(reopened) == before


def test_a_new_migration_is_applied_to_an_old_database(tmp_path, monkeypatch, instrument,
                                                      strategy):
    db = dbmod.connect(tmp_path / "old.db")
    dbmod.migrate(db)
    storage.create_pulse(db, slug="q3", title="Q3", period="2026-Q3",
                         instrument=instrument, strategy=strategy)

    def add_note(d):
        d.execute("ALTER TABLE pulses ADD COLUMN note TEXT")

    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS + ((99, "add note", add_note),))
    assert dbmod.migrate(db) == [99]
    assert "note" in db["pulses"].columns_dict
    assert [r["slug"] for r in db.query("SELECT slug FROM pulses")] == ["q3"]
    assert dbmod.schema_version(db) == 99


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    db = dbmod.connect(tmp_path / "broken.db")
    dbmod.migrate(db)

    def half_done(d):
        d.execute("CREATE TABLE half (x INTEGER)")
        d.execute("INSERT INTO nowhere VALUES (1)")  # fails: no such table

    broken = dbmod.SCHEMA_VERSION + 1
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS + ((broken, "broken", half_done),))
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        dbmod.migrate(db)
    assert "half" not in db.table_names()
    assert dbmod.schema_version(db) == dbmod.SCHEMA_VERSION
    assert not db.conn.in_transaction


def test_concurrent_first_start_applies_each_migration_once(tmp_path):
    path = tmp_path / "race.db"
    dbmod.connect(path).close()  # create the file (and WAL) first
    barrier = threading.Barrier(6)
    errors = []

    def start():
        db = dbmod.connect(path)
        try:
            barrier.wait()
            dbmod.migrate(db)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = dbmod.connect(path)
    versions = [r["version"] for r in db.query("SELECT version FROM schema_migrations")]
    assert versions == [v for v, _, _ in dbmod.MIGRATIONS]


def test_connect_sets_wal_foreign_keys_and_busy_timeout(tmp_path):
    db = dbmod.connect(tmp_path / "sub" / "c.db")  # missing folder is created
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    dbmod.migrate(db)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute(
            "INSERT INTO responses (id, pulse_slug) VALUES ('r', 'nope')"
        )


def test_migrate_refuses_to_run_inside_a_transaction(tmp_path):
    db = dbmod.connect(tmp_path / "t.db")
    db.execute("BEGIN")
    with pytest.raises(RuntimeError, match="outside a transaction"):
        dbmod.migrate(db)
    db.rollback()


def test_docs_schema_describes_every_table_column_and_migration(tmp_path):
    """docs/schema.md cannot drift from the schema the migrations build."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text(
        encoding="utf-8")
    sections = dict(re.findall(r"^### `(\w+)`[^\n]*\n(.*?)(?=^### |^## |\Z)", doc,
                               re.MULTILINE | re.DOTALL))
    db = dbmod.connect(tmp_path / "doc.db")
    dbmod.migrate(db)
    assert set(sections) == set(db.table_names())
    for table in db.table_names():
        documented = set(re.findall(r"`(\w+)`", sections[table]))
        missing = set(db[table].columns_dict) - documented
        assert not missing, f"docs/schema.md, table {table}: undocumented column(s) {missing}"
    for version, name, _ in dbmod.MIGRATIONS:
        assert re.search(rf"^\| {version} \| {re.escape(name)} \|", doc, re.MULTILINE), name


def test_a_step_written_as_a_script_is_still_all_or_nothing(tmp_path, monkeypatch):
    """Migrations run SQL scripts through sqlite-utils, which executes them
    statement by statement inside the open transaction; plain sqlite3's
    executescript() would commit migrate()'s transaction first and leave the
    first table of a failing step behind."""
    db = dbmod.connect(tmp_path / "script.db")
    dbmod.migrate(db)

    def scripted(d):
        d.executescript("""
            -- a comment; with a semicolon
            CREATE TABLE first_half (x TEXT DEFAULT 'a;b');
            INSERT INTO nowhere VALUES (1);
        """)

    broken = dbmod.SCHEMA_VERSION + 1
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS + ((broken, "scripted", scripted),))
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        dbmod.migrate(db)
    assert "first_half" not in db.table_names()
    assert dbmod.schema_version(db) == dbmod.SCHEMA_VERSION


def test_every_table_is_copied_and_every_pulse_table_deleted_with_its_pulse(tmp_path):
    """A table added by a migration but forgotten by ``copy-database`` would
    be lost in a move to PostgreSQL; one with a ``pulse_slug`` forgotten by
    ``delete_pulse`` would outlive its pulse (and block the delete)."""
    from survey_app.storage.copy import TABLES
    from survey_app.storage.lifecycle import _PULSE_TABLES

    db = dbmod.connect(tmp_path / "tables.db")
    dbmod.migrate(db)
    tables = set(db.table_names()) - {"schema_migrations"}
    assert tables == {table for table, _ in TABLES}
    with_pulse = {t for t in tables if "pulse_slug" in db[t].columns_dict}
    # answers belong to their pulse through their response.
    assert with_pulse == {table for table, _ in _PULSE_TABLES} - {"answers"}
