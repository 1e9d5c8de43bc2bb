"""What the schema can and cannot remember about a respondent.

These tests read the schema the way an auditor would (``PRAGMA table_info``,
``PRAGMA foreign_key_list``, ``sqlite_master``; on PostgreSQL its catalogs),
so a later migration that adds a timestamp or an invitation link to a
response fails here, on either engine.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date

import pytest

from survey_app import storage
from tests.conftest import foreign_key_targets, table_columns

# A column whose name matches this could identify a person or the moment they
# answered: a link to the invitation, a token or its hash, contact details,
# names, network data, or any time finer than the day.
IDENTIFYING = re.compile(
    r"invit|token|hash|e_?mail|person|name|user|phone|(^|_)ip(_|$)|addr|agent|"
    r"time|stamp|created|updated|(^|_)at$|seq|order|rank",
    re.IGNORECASE,
)

ALLOWED_COLUMNS = {
    # ``snapshot``: the published batch a response belongs to; each batch holds
    # at least min_group responses of its combination (docs/privacy.md).
    "responses": {"id", "pulse_slug", "department", "team", "tenure_band",
                  "role_level", "snapshot"},
    "answers": {"response_id", "item_id", "value_number", "value_text"},
}


def columns(db, table):
    return table_columns(db, table)


def is_postgres(db):
    return getattr(db, "engine", "sqlite") == "postgresql"


@pytest.mark.parametrize("table", ["responses", "answers"])
def test_response_tables_hold_no_identifying_column(store, table):
    names = set(columns(store, table))
    assert names == ALLOWED_COLUMNS[table]
    flagged = sorted(n for n in names if IDENTIFYING.search(n))
    assert flagged == []


def test_the_identifying_pattern_would_catch_what_it_is_for():
    # Guards the guard: the names a careless migration would add are flagged.
    for bad in ["invitation_id", "token_hash", "email", "ip", "user_agent", "submitted_at",
                "created", "timestamp", "respondent_name", "arrival_order"]:
        assert IDENTIFYING.search(bad), bad


@pytest.mark.parametrize("table", ["responses", "answers"])
def test_response_tables_reference_nothing_about_invitations(store, table):
    targets = foreign_key_targets(store, table)
    assert targets == {"responses": {"pulses"}, "answers": {"responses"}}[table]


@pytest.mark.parametrize("table", ["responses", "answers", "invitations"])
def test_no_rowid_can_reveal_arrival_order(store, table):
    if is_postgres(store):
        # No rowid there; no column that counts up either (no identity, no
        # sequence default). The system columns xmin and ctid remain: see
        # docs/privacy.md, "PostgreSQL", and test_postgres.py.
        counting = list(store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND (is_identity = 'YES' OR column_default LIKE 'nextval%')", [table]))
        assert counting == []
        return
    sql = store.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone()[0]
    assert "WITHOUT ROWID" in sql.upper()
    with pytest.raises(sqlite3.OperationalError, match="no such column: rowid"):
        store.execute(f"SELECT rowid FROM {table}")
    assert "AUTOINCREMENT" not in sql.upper()


def test_no_autoincrement_anywhere(store):
    if is_postgres(store):
        # Identity columns count up only in the tables about accounts and
        # leaders' decisions, never in one about respondents.
        counted = {row["table_name"] for row in store.query(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'")}
        assert counted == {"users", "audit_log", "action_plans", "theme_moves"}
        return
    assert "sqlite_sequence" not in store.table_names()
    for (sql,) in store.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"):
        assert "AUTOINCREMENT" not in sql.upper()


def test_invitations_hold_no_contact_details_nor_time_of_use(store):
    names = set(columns(store, "invitations"))
    assert names == {"token_hash", "pulse_slug", "department", "team", "tenure_band",
                     "role_level", "used"}


def test_a_stored_response_cannot_be_joined_back_to_its_invitation(
        store, instrument, strategy):
    storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4",
                         instrument=instrument, strategy=strategy, status="open")
    tokens = storage.add_invitations(store, "q4", [{"department": "Sales"}] * 30)
    ids = [
        storage.submit_response(store, pulse_slug="q4", token=t, answers={"enps": 8},
                                segments={})
        for t in tokens
    ]
    hashes = {storage.hash_token(t) for t in tokens}
    for table in ("responses", "answers"):
        for row in store.query(f"SELECT * FROM {table}"):
            values = {str(v) for v in row.values()}
            assert not values & hashes
            assert not values & set(tokens)
    # No date at all: the pulse's period is the response's time.
    assert "submitted_on" not in columns(store, "responses")
    # Ids are random, so their order is not the order of arrival (the chance
    # that 30 random ids come out sorted by arrival is 1/30!).
    assert ids != sorted(ids)
    assert len(set(ids)) == 30 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    # Table order (by primary key) says nothing about arrival either. On
    # PostgreSQL an unordered scan returns rows in physical order, which is
    # arrival order (docs/privacy.md, "PostgreSQL"): the app and the loader
    # therefore order by the random id wherever they read responses
    # (tests/test_postgres.py greps their SQL for it).
    if not is_postgres(store):
        stored_order = [r["id"] for r in store.query("SELECT id FROM responses")]
        assert stored_order == sorted(ids)


#: Tables about accounts, which issue 7 lets keep times (a login, an audited
#: action); they hold nothing about answers (checked below).
ACCOUNT_TABLES = {"users", "audit_log", "login_attempts"}


def test_no_table_keeps_a_time_finer_than_the_day(store, instrument, strategy):
    storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4",
                         instrument=instrument, strategy=strategy, status="open")
    storage.submit_response(store, pulse_slug="q4", answers={"enps": 3}, segments={})
    for table in set(store.table_names()) - ACCOUNT_TABLES:
        for name in columns(store, table):
            assert not re.search(r"time|stamp|(^|_)at$", name), (table, name)
    for table, column in [("pulses", "created_on"), ("schema_migrations", "applied_on")]:
        for row in store.query(f"SELECT {column} AS d FROM {table}"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["d"]), (table, row["d"])


def test_account_tables_point_at_nothing_about_answers(store):
    """The account tables may keep times only because they cannot reach an answer."""
    assert ACCOUNT_TABLES <= set(store.table_names())
    for table in ACCOUNT_TABLES:
        targets = foreign_key_targets(store, table)
        assert targets <= ACCOUNT_TABLES, (table, targets)
        for name in columns(store, table):
            assert not re.search(r"response|answer|invitation|token_hash|pulse", name), (
                table, name)
