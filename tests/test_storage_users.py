"""storage.users: accounts, the audit log and failed logins, without an app."""

from __future__ import annotations

import re
import sqlite3

import pytest

from survey_app import storage
from survey_app.auth.passwords import _hasher_and_dummy
from tests.conftest import FAST_PASSWORD_HASH, INTEGRITY_ERRORS


@pytest.fixture(scope="module")
def a_hash():
    """A real argon2id hash (cheap cost); storage accepts nothing else."""
    hasher, _ = _hasher_and_dummy(**FAST_PASSWORD_HASH)
    return hasher.hash("a password for tests")


def test_create_and_read_an_account(store, a_hash):
    user = storage.create_user(store, " Kim@Example.ORG ", "manager", a_hash, " Sales ")
    assert (user.email, user.role, user.department, user.disabled) == (
        "kim@example.org", "manager", "Sales", False)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user.created_at)
    assert storage.get_user(store, user.id) == user
    assert storage.get_user_by_email(store, "KIM@example.org") == user
    assert "password_hash" not in repr(user) and a_hash not in repr(user)
    assert storage.list_users(store) == [user]
    assert storage.count_users(store, "manager") == 1


@pytest.mark.parametrize(
    ("email", "role", "department", "message"),
    [
        ("", "admin", None, "an email address is required"),
        ("no-at-sign.example.org", "admin", None, "is not an email address"),
        ("a@b", "admin", None, "is not an email address"),
        ("x" * 250 + "@example.org", "admin", None, "longer than 254"),
        ("a@example.org", "root", None, "unknown role 'root' (expected one of admin, ceo"),
        ("a@example.org", "manager", "  ", "a manager needs a department"),
        ("a@example.org", "analyst", "Sales", "only a manager has a department"),
        ("a@example.org", "manager", "D" * 101, "longer than 100"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(store, a_hash, email, role, department,
                                                message):
    with pytest.raises(storage.UserError, match=re.escape(message)):
        storage.create_user(store, email, role, a_hash, department)
    assert storage.list_users(store) == []


def test_a_password_is_never_stored_in_clear(store):
    with pytest.raises(storage.UserError, match="must be an argon2 hash"):
        storage.create_user(store, "a@example.org", "admin", "hunter2 hunter2")


def test_the_database_itself_refuses_a_manager_without_department(store, a_hash):
    """The CHECK constraints hold even for a write that bypasses storage."""
    with pytest.raises(INTEGRITY_ERRORS, match="(?i)CHECK"):
        store.execute(
            "INSERT INTO users (email, role, password_hash, session_token, created_at, "
            "password_changed_at) VALUES ('m@example.org', 'manager', ?, 't', 'x', 'x')",
            [a_hash],
        )
    store.rollback()


def test_duplicate_email_in_any_case(store, a_hash):
    storage.create_user(store, "dup@example.org", "analyst", a_hash)
    with pytest.raises(storage.DuplicateEmail, match="dup@example.org already exists"):
        storage.create_user(store, "DUP@example.org", "ceo", a_hash)


def test_every_change_that_should_end_sessions_rotates_the_token(store, a_hash):
    user = storage.create_user(store, "r@example.org", "analyst", a_hash)
    tokens = {user.session_token}
    for change in (
        lambda: storage.set_role(store, user.id, "manager", "Ops"),
        lambda: storage.set_disabled(store, user.id, True),
        lambda: storage.set_disabled(store, user.id, False),
        lambda: storage.set_password_hash(store, user.id, a_hash),
        lambda: storage.rotate_session_token(store, user.id),
    ):
        tokens.add(change().session_token)
    assert len(tokens) == 6
    rehashed = storage.set_password_hash(store, user.id, a_hash, end_sessions=False)
    assert rehashed.session_token == storage.get_user(store, user.id).session_token
    assert storage.record_login(store, user.id).last_login_at is not None


def test_changes_to_a_missing_account_are_refused(store):
    with pytest.raises(storage.UnknownUser, match="no account with id 42"):
        storage.set_disabled(store, 42)


def test_audit_rows_and_actors(store, a_hash):
    user = storage.create_user(store, "who@example.org", "admin", a_hash)
    storage.audit(store, user, "download links", "q4-2026", "40 links")
    storage.audit(store, "command line", "export", "q4-2026")
    storage.audit(store, None, "close pulse", "q4-2026", "close date reached")
    rows = storage.list_audit(store)
    assert [(r.actor_id, r.actor, r.action, r.detail) for r in rows] == [
        (None, "system", "close pulse", "close date reached"),
        (None, "command line", "export", ""),
        (user.id, "who@example.org", "download links", "40 links"),
    ]
    assert storage.count_audit(store) == 3
    for bad, message in ((42, "a user, a text label or None"), ("  ", "must not be blank")):
        with pytest.raises(storage.UserError, match=message):
            storage.audit(store, bad, "x")
    with pytest.raises(storage.UserError, match="action must not be blank"):
        storage.audit(store, None, " ")


def test_audit_joins_the_callers_transaction(store):
    """Inside write_transaction the row commits, or rolls back, with the change it records."""
    with pytest.raises(RuntimeError):
        with storage.write_transaction(store):
            storage.audit(store, "command line", "delete pulse", "q1")
            raise RuntimeError("the change failed")
    assert storage.count_audit(store) == 0
    with storage.write_transaction(store):
        storage.audit(store, "command line", "delete pulse", "q1")
    assert storage.count_audit(store) == 1


def test_login_failures_count_clear_and_are_forgotten(store):
    assert storage.login_failures(store, "k1") == (0, 0.0)
    assert storage.record_login_failure(store, "k1", 100.0, forget_before=0) == 1
    assert storage.record_login_failure(store, "k1", 101.5, forget_before=0) == 2
    assert storage.login_failures(store, "k1") == (2, 101.5)
    storage.record_login_failure(store, "k2", 102.0, forget_before=0)
    storage.clear_login_failures(store, "k2")
    assert storage.login_failures(store, "k2") == (0, 0.0)
    # A failure of another pair long after drops k1's stale row.
    storage.record_login_failure(store, "k3", 10_000.0, forget_before=9_000.0)
    assert storage.login_failures(store, "k1") == (0, 0.0)
