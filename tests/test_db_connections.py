"""A SQLite file's connection is kept per process and thread (db.get_db):
reused by the next request, never across a fork, never left in a transaction."""

from __future__ import annotations

import os
import threading

import pytest

from survey_app.db import get_db


@pytest.fixture
def sqlite_app(app):
    if str(app.config["DATABASE"]).startswith("postgresql"):
        pytest.skip("SQLite files only: PostgreSQL's connections come from its pool")
    return app


def _connection(app):
    with app.app_context():
        return get_db()


def test_the_next_request_reuses_the_connection(sqlite_app):
    first = _connection(sqlite_app)
    assert _connection(sqlite_app) is first
    with sqlite_app.app_context():
        assert get_db().execute("SELECT count(*) FROM pulses").fetchone()[0] == 0  # still open


def test_another_thread_gets_its_own(sqlite_app):
    mine = _connection(sqlite_app)
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(_connection(sqlite_app)))
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not mine


def test_a_request_leaves_no_transaction_behind(sqlite_app):
    with sqlite_app.app_context():
        db = get_db()
        db.execute("BEGIN")
        db.execute("INSERT INTO login_attempts (key_hash, failures, last_failure_at) VALUES ('k', 1, 0)")
        assert db.conn.in_transaction  # begun, never committed: the request failed
    with sqlite_app.app_context():
        db = get_db()
        assert not db.conn.in_transaction
        assert db.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 0


def test_a_forked_process_opens_its_own(sqlite_app):
    parent = _connection(sqlite_app)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it got the parent's connection
        try:
            child = _connection(sqlite_app)
            ok = child is not parent and child.execute("SELECT 1").fetchone()[0] == 1
            os.write(write, b"own" if ok else b"shared")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.waitpid(pid, 0)
    assert answer == b"own"
    assert _connection(sqlite_app) is parent
