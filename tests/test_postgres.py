"""PostgreSQL behind the storage seam (issue 14): what only a real server shows.

The whole suite runs on PostgreSQL in make test's second pass; these tests
add what needs more than one test database or more than one process: twenty
processes spending one link, two processes migrating at once, the documented
roles and grants, the loader and the move from SQLite giving identical
output, two app servers answering at once, and servers killed with
SIGKILL while they write. They run in the PostgreSQL
pass (``postgres_only``), except the grep of the SQL for system columns,
which reads source and runs in both.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli as analysis_cli
from analysis.loader import load_from_db
from survey_app import create_app
from survey_app import db as dbmod
from survey_app import storage
from tests.conftest import ROOT, TEST_SECRET_KEY, released_together
from tests.test_faults import CSRF, Server, _browser, _check_kills, _fetch, _pulse, _submit, kill_run
from tests.test_storage import WORKER

pg = pytest.mark.postgres_only


# --- no query can order rows by how they were stored ------------------------------

#: PostgreSQL's system columns (and SQLite's rowid): each records where or when
#: a row was written, so no query of ours may name one.
SYSTEM_COLUMNS = re.compile(r"\b(ctid|xmin|xmax|cmin|cmax|tableoid|oid|rowid|_rowid_|oid)\b", re.I)
SQL_SOURCES = sorted((ROOT / "survey_app").rglob("*.py")) + sorted((ROOT / "analysis" / "loader").glob("*.py"))


def _sql_strings(path: Path):
    """Each SQL-looking string of ``path``, an f-string's parts joined as one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            text = node.value
        else:
            continue
        if re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|ORDER BY)\b", text):
            yield node.lineno, text


def test_no_query_names_a_system_column():
    found = [f"{p.relative_to(ROOT)}:{line}: {text.strip()[:80]}"
             for p in SQL_SOURCES for line, text in _sql_strings(p) if SYSTEM_COLUMNS.search(text)]
    assert found == []


def test_every_read_of_responses_or_answers_has_an_order_or_is_a_count():
    """On PostgreSQL an unordered scan returns rows in the order they were
    written: every query listing responses or answers orders them by the
    random id (or aggregates them, or reads them for one key)."""
    loose = []
    for path in SQL_SOURCES:
        for line, text in _sql_strings(path):
            sql = " ".join(text.split()).upper()
            if not sql.startswith("SELECT") or not re.search(r"\bFROM (RESPONSES|ANSWERS)\b", sql):
                continue
            if ("ORDER BY" in sql or "COUNT(" in sql or "GROUP BY" in sql
                    or re.search(r"WHERE (R\.)?ID = \?|WHERE RESPONSE_ID = \?", sql)):
                continue
            loose.append(f"{path.relative_to(ROOT)}:{line}: {sql[:90]}")
    assert loose == []


def test_the_grep_would_catch_what_it_is_for():
    assert SYSTEM_COLUMNS.search("SELECT id FROM responses ORDER BY ctid")
    assert SYSTEM_COLUMNS.search("SELECT xmin, id FROM answers")
    assert not SYSTEM_COLUMNS.search("SELECT id FROM responses ORDER BY id")


# --- one link, twenty processes -----------------------------------------------------


@pg
@pytest.mark.slow
def test_twenty_processes_submitting_one_link_store_exactly_one(tmp_path, store, store_path,
                                                                instrument, strategy):
    storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
                         strategy=strategy, status="open")
    token = storage.add_invitations(store, "q4", [{"department": "Sales"}] * 5)[0]
    outcomes = released_together(WORKER, [[str(store_path), token]] * 20, tmp_path)
    assert sorted(outcomes) == ["already"] * 19 + ["stored"]
    assert storage.count_responses(store, "q4") == 1
    assert store["answers"].count == 1
    used = store.execute("SELECT count(*) FROM invitations WHERE used = 1").fetchone()[0]
    assert used == 1


MIGRATE = """
import sys, time
from pathlib import Path
from survey_app import db as dbmod
db = dbmod.connect(sys.argv[1])
Path(sys.argv[3]).touch()
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
print(",".join(map(str, dbmod.migrate(db))))
"""


@pg
def test_two_processes_migrating_an_empty_database_apply_each_step_once(tmp_path, postgres):
    url = postgres.create(empty=True)
    try:
        applied = released_together(MIGRATE, [[url]] * 2, tmp_path, timeout=60)
        versions = [str(v) for v, _, _ in dbmod.MIGRATIONS]
        assert sorted(applied) == ["", ",".join(versions)]
        db = dbmod.connect(url)
        rows = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
        db.close()
        assert rows == [v for v, _, _ in dbmod.MIGRATIONS]
    finally:
        postgres.drop(url)


# --- the documented roles and grants ------------------------------------------------


def _doc_sql(name: str, doc: str = "deploy.md") -> str:
    """The SQL block marked ``<!-- sql: name -->`` in ``docs/<doc>``, run as written."""
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    found = re.search(rf"<!-- sql: {name} -->\s*```sql\n(.*?)```", text, re.S)
    assert found, f"docs/{doc} has no block marked <!-- sql: {name} -->"
    return found.group(1)


def _psql(url: str, sql: str) -> None:
    psql = os.path.join(os.environ.get("TRINITY_TEST_POSTGRES_BIN", ""), "psql")
    done = subprocess.run([psql if os.path.exists(psql) else "psql", "-X", "-q",
                           "-v", "ON_ERROR_STOP=1", "--dbname", url],
                          input=sql, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def documented_roles(postgres):
    """docs/deploy.md's roles, database and grants, under names of this test's own."""
    prefix = f"{postgres.prefix}_doc"
    rename = lambda sql: re.sub(r"\btrinity(?=\b|_owner|_app|_reader|_ratelimit)", prefix, sql)
    _psql(postgres.admin_url, rename(_doc_sql("roles")))
    urls = {role: postgres.url(prefix).replace("postgres@", f"{prefix}_{role}@")
            for role in ("owner", "app", "reader")}
    try:
        owner = dbmod.connect(urls["owner"])
        dbmod.migrate(owner)
        owner.close()
        _psql(urls["owner"], rename(_doc_sql("grants")))
        yield urls
    finally:
        for url in urls.values():
            from survey_app.pg import close_pool

            close_pool(url)
        for name in (prefix, f"{prefix}_ratelimit"):
            postgres.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in ("owner", "app", "reader"):
            postgres.admin.execute(f'DROP ROLE IF EXISTS "{prefix}_{role}"')


@pg
def test_the_app_role_runs_the_app_and_cannot_change_the_schema(documented_roles, instrument,
                                                                 strategy):
    import psycopg

    app = dbmod.connect(documented_roles["app"])
    try:
        assert dbmod.migrate(app) == []  # up to date: checks, changes nothing
        storage.create_pulse(app, slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
                             strategy=strategy, status="open")
        tokens = storage.add_invitations(app, "q4", [{"department": "Sales"}] * 5)
        storage.submit_response(app, pulse_slug="q4", token=tokens[0], answers={"enps": 9},
                                segments={})
        storage.audit(app, None, "test")
        assert storage.count_responses(app, "q4") == 1
        for sql in ("CREATE TABLE spy (a int)", "DROP TABLE responses",
                    "ALTER TABLE responses ADD COLUMN submitted_at text",
                    "INSERT INTO schema_migrations VALUES (99, 'x', '2026-01-01')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
    finally:
        app.close()


@pg
def test_the_reader_role_loads_a_pulse_and_cannot_write_or_see_people(documented_roles,
                                                                        instrument, strategy):
    import psycopg

    app = dbmod.connect(documented_roles["app"])
    storage.create_pulse(app, slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
                         strategy=strategy, status="open")
    storage.add_people(app, "q4", storage.parse_roster(
        "email,department\n" + "".join(f"p{i}@example.org,Sales\n" for i in range(6))))
    app.close()
    data = load_from_db(documented_roles["reader"], "q4")
    assert data.survey == "q4" and data.instrument.id == instrument.id
    reader = psycopg.connect(documented_roles["reader"], autocommit=True)
    try:
        for sql in ("INSERT INTO responses (id, pulse_slug) VALUES ('x', 'q4')",
                    "UPDATE pulses SET status = 'closed'", "DELETE FROM answers",
                    "SELECT * FROM invitation_contacts", "SELECT * FROM invitations",
                    "SELECT * FROM users", "SELECT * FROM audit_log",
                    "SELECT * FROM login_attempts"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(sql)
    finally:
        reader.close()


@pg
def test_the_documented_rewrite_forgets_arrival_order(store, store_path, instrument, strategy):
    storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
                         strategy=strategy, status="open")
    tokens = storage.add_invitations(store, "q4", [{"department": "Sales"}] * 12)
    for token in tokens:
        storage.submit_response(store, pulse_slug="q4", token=token, answers={"enps": 7},
                                segments={})
    stamps = lambda table: [r[0] for r in store.execute(f"SELECT xmin::text FROM {table}")]
    # What the server records: one transaction per submission (responses'
    # own xmin moves to the snapshot that published them, answers' stays).
    assert len(set(stamps("answers"))) == 12
    _psql(store_path, _doc_sql("forget-order", "privacy.md"))
    for table, key in (("responses", "id"), ("answers", "response_id, item_id"),
                       ("invitations", "token_hash")):
        assert len(set(stamps(table))) == 1, table
        physical = [tuple(r) for r in store.execute(f"SELECT {key} FROM {table} ORDER BY ctid")]
        assert physical == sorted(physical), table


# --- the same analysis from both engines, and the move -------------------------------


def _scores(database: str, slug: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = analysis_cli.main(["scores", "--db", database, "--survey", slug])
    assert code == 0
    return out.getvalue()


@pytest.fixture
def demo_on_both(tmp_path, postgres):
    """``flask demo`` on SQLite, moved to PostgreSQL with ``copy-database``."""
    sqlite_path = str(tmp_path / "demo.sqlite3")
    app = create_app({"TESTING": True, "DATABASE": sqlite_path, "SECRET_KEY": TEST_SECRET_KEY,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    url = postgres.create(empty=True)
    moved = runner.invoke(args=["copy-database", "--to", url])
    yield sqlite_path, url, moved, runner
    postgres.drop(url)


@pg
@pytest.mark.slow
def test_the_demo_moved_to_postgres_gives_the_same_analysis(demo_on_both):
    sqlite_path, url, moved, runner = demo_on_both
    assert moved.exit_code == 0, moved.output
    assert "every table's count matches" in moved.output
    source, target = dbmod.connect(sqlite_path), dbmod.connect(url)
    try:
        from survey_app.storage.copy import row_counts

        counts = row_counts(source)
        assert counts == row_counts(target) and counts["responses"] > 0 and counts["users"] > 0
        for table, count in counts.items():
            assert re.search(rf"^{table}\s+{count} rows", moved.output, re.M), table
        slugs = [p.slug for p in storage.list_pulses(source)]
    finally:
        source.close()
        target.close()
    assert len(slugs) == 2
    for slug in slugs:
        assert _scores(url, slug) == _scores(sqlite_path, slug)
        # The loader hands over the same tables, cell for cell.
        a, b = load_from_db(sqlite_path, slug), load_from_db(url, slug)
        pd.testing.assert_frame_equal(a.responses, b.responses)
        pd.testing.assert_frame_equal(a.comments.reset_index(drop=True),
                                      b.comments.reset_index(drop=True))
        assert (a.series, a.strategy, a.leadership_levels) == (b.series, b.strategy,
                                                                b.leadership_levels)
    # A second copy into the now populated database is refused, and init-db
    # there keeps every row.
    again = runner.invoke(args=["copy-database", "--to", url])
    assert again.exit_code == 2 and "not empty" in again.output
    target = dbmod.connect(url)
    try:
        assert dbmod.migrate(target) == []
        assert row_counts(target) == counts
        # Identity columns continue after the copied ids.
        assert storage.audit(target, None, "after the move").id > max(
            r[0] for r in target.execute("SELECT id FROM audit_log WHERE action <> 'after the move'"))
    finally:
        target.close()


@pg
def test_init_db_on_a_populated_postgres_database_keeps_every_row(runner, app, open_pulse,
                                                                   survey_answers, client):
    assert client.post(f"/s/{open_pulse.tokens[0]}", data=survey_answers).status_code == 303
    db = dbmod.connect(app.config["DATABASE"])
    from survey_app.storage.copy import row_counts

    before = row_counts(db)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "already up to date" in result.output
    assert row_counts(db) == before and before["responses"] == 1
    db.close()


@pg
def test_flask_backup_on_postgres_points_to_pg_dump(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    assert result.exit_code == 2
    assert "pg_dump" in result.output
    assert not (tmp_path / "copy.sqlite3").exists()


# --- two app servers, one database --------------------------------------------------


def _login(opener, base, email, password):
    status, page = _fetch(opener, f"{base}/login")
    assert status == 200, page
    token = CSRF.search(page).group(1)
    return _fetch(opener, f"{base}/login",
                  {"email": email, "password": password, "csrf_token": token})


@pg
@pytest.mark.slow
def test_two_app_servers_store_every_answer_once_and_share_the_limits(tmp_path, postgres):
    url, limits = postgres.create(), postgres.create(empty=True)
    fixture = _pulse(tmp_path, invitations=60, database=url)
    env = {"TRINITY_DATABASE_URL": url, "TRINITY_RATELIMIT_DATABASE": limits,
           "TRINITY_LOGIN_RATE": "12/600", "TRINITY_LOGIN_BASE_DELAY": "300"}
    servers = [Server(tmp_path / f"unused-{name}.sqlite3", workers=2, log=tmp_path / f"{name}.log",
                      env_overrides=env) for name in ("a", "b")]
    try:
        for server in servers:
            server.wait_ready()
        tokens = list(fixture.tokens)
        acknowledged, errors = [], []
        lock = threading.Lock()

        def answer(worker: int):
            opener = _browser()
            base = servers[worker % 2].base
            for token in tokens[worker::6]:
                marker = f"two-servers-{token[:12]}"
                status, page = _submit(opener, base, token, fixture.instrument, marker)
                with lock:
                    (acknowledged if status == 303 else errors).append((marker, status))

        threads = [threading.Thread(target=answer, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert errors == []
        assert len(acknowledged) == 60
        db = dbmod.connect(url)
        try:
            stored = [r[0] for r in db.execute(
                "SELECT value_text FROM answers WHERE item_id = 'c_other' ORDER BY value_text")]
            spent = db.execute("SELECT count(*) FROM invitations WHERE used = 1").fetchone()[0]
        finally:
            db.close()
        assert sorted(stored) == sorted(m for m, _ in acknowledged)  # each exactly once
        assert spent == 60

        # The login throttle: five failures on A, and B makes the pair wait.
        a, b = (_browser() for _ in servers)
        for _ in range(5):
            assert _login(a, servers[0].base, "ghost@example.org", "wrong")[0] == 422
        status, page = _login(b, servers[1].base, "ghost@example.org", "wrong")
        assert status == 429 and "Too many failed attempts" in page
        # The per-address rate (12 login posts a window), counted across both:
        # 6 posts so far, 6 more alternating, then the 13th is refused.
        for i in range(6):
            status, _ = _login(a if i % 2 else b, servers[i % 2].base, f"p{i}@example.org", "x")
            assert status == 422
        assert _login(a, servers[0].base, "p9@example.org", "x")[0] == 429
        assert _login(b, servers[1].base, "p9@example.org", "x")[0] == 429
    finally:
        for server in servers:
            server.stop()
        postgres.drop(url)
        postgres.drop(limits)


def _kill_run_on_postgres(tmp_path, postgres, kills, seed):
    url, limits = postgres.create(), postgres.create(empty=True)
    try:
        return kill_run(tmp_path, kills, seed, database=url, env_overrides={
            "TRINITY_DATABASE_URL": url, "TRINITY_RATELIMIT_DATABASE": limits})
    finally:
        postgres.drop(url)
        postgres.drop(limits)


@pg
@pytest.mark.slow
def test_kill_9_during_submissions_on_postgres_loses_no_acknowledged_response(tmp_path, postgres):
    """tests/test_faults.py's kill -9 run, the servers writing to PostgreSQL.

    Every acknowledged response is stored, none in part, each spent its
    link in the same transaction, no session of a killed worker is left
    holding a transaction open, and the next server writes (the write lock
    of a killed worker is released with its session).
    """
    _check_kills(_kill_run_on_postgres(tmp_path, postgres, kills=5, seed=11))


@pg
@pytest.mark.soak
def test_soak_kill_9_on_postgres_fifty_times(tmp_path, postgres):
    _check_kills(_kill_run_on_postgres(tmp_path, postgres, kills=50, seed=101))


def test_copy_database_copies_every_row_and_refuses_a_populated_target(runner, app, open_pulse,
                                                                       survey_answers, client,
                                                                       tmp_path):
    """The move works in any direction (here into a new SQLite file, from
    whichever engine this pass runs on) and never mixes two databases."""
    from survey_app.storage.copy import row_counts

    assert client.post(f"/s/{open_pulse.tokens[0]}", data=survey_answers).status_code == 303
    target = str(tmp_path / "moved.sqlite3")
    result = runner.invoke(args=["copy-database", "--to", target])
    assert result.exit_code == 0, result.output
    source, moved = dbmod.connect(app.config["DATABASE"]), dbmod.connect(target)
    try:
        assert row_counts(moved) == row_counts(source)
        assert row_counts(moved)["answers"] == len(list(source.query("SELECT 1 FROM answers")))
        assert [r["id"] for r in moved.query("SELECT id FROM responses ORDER BY id")] == [
            r["id"] for r in source.query("SELECT id FROM responses ORDER BY id")]
    finally:
        source.close()
        moved.close()
    again = runner.invoke(args=["copy-database", "--to", target])
    assert again.exit_code == 2
    assert "the target database is not empty (instruments: 1 rows" in again.output
    itself = runner.invoke(args=["copy-database", "--to", app.config["DATABASE"]])
    assert itself.exit_code == 2 and "the app's own database" in itself.output


@pg
def test_the_loader_session_is_read_only_whatever_the_role(store_path):
    """Even with a superuser URL (the test cluster's), the loader cannot write."""
    import psycopg

    from analysis.loader.database import _connect_read_only

    reader = _connect_read_only(store_path)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.execute("DELETE FROM answers")
    finally:
        reader.close()


def test_the_rate_limits_live_beside_a_postgres_database_never_in_it(tmp_path):
    from analysis.engines import is_postgres
    from survey_app import ratelimit

    url = "postgresql://app:secret@db.example.org:5433/trinity"
    assert ratelimit.default_url(url) == "postgresql://app:secret@db.example.org:5433/trinity_ratelimit"
    assert ratelimit.default_url(url + "?sslmode=require").endswith("/trinity_ratelimit?sslmode=require")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET_KEY,
                      "INSTANCE_PATH": str(tmp_path / "i")})
    assert ratelimit._store_target(app) == "postgresql://app:secret@db.example.org:5433/trinity_ratelimit"
    # store() picks PostgresStore by this test; a target it did not take for
    # PostgreSQL would become a SQLite file of that name in the working directory.
    assert is_postgres(ratelimit._store_target(app))
    with pytest.raises(RuntimeError, match="must not be the responses database"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET_KEY,
                    "RATELIMIT_DATABASE": "postgresql://other@db.example.org:5433/trinity",
                    "INSTANCE_PATH": str(tmp_path / "j")})
