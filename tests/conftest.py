"""Shared fixtures: a real app on a real database, and a pulse to answer.

The suite runs twice under ``make test``: on SQLite files, then on
PostgreSQL. The second pass runs inside ``.ci/pg-cluster``, which starts a
throwaway server and sets ``TRINITY_TEST_POSTGRES_URL``; every test then gets
a database of its own, copied from a migrated template (``CREATE DATABASE
... TEMPLATE``, about 20 ms) and dropped after. Tests about SQLite files
themselves are marked ``sqlite_only(reason)``; tests that need a server,
``postgres_only`` (they run in the second pass). Modules that touch no
database at all (:data:`NO_DATABASE_MODULES`: the analysis on data frames
and texts, the benchmarks' smoke runs on their own SQLite files) run in the
first pass only: the second would run the very same code again.

Other test modules build on these:

- ``database`` - the test's own database: a SQLite path under ``tmp_path``,
  or on the PostgreSQL pass a fresh database's URL; ``ENGINE`` says which.

- ``app`` - the app on a fresh database file under ``tmp_path`` (``init-db``
  already run), ``TESTING`` on, CSRF off so form posts stay short, rate
  limits off. Need CSRF? Use ``make_app(WTF_CSRF_ENABLED=True)``; limits:
  ``RATELIMIT_ENABLED=True``.
- ``client`` / ``runner`` - Flask's test client and CLI runner for ``app``.
- ``db`` - a :class:`sqlite_utils.Database` on the same file (closed after).
- ``store`` - a migrated database of its own at ``store_path``, no app.
- ``instrument`` / ``strategy`` - the default instrument and a sample strategy.
- ``make_pulse`` - factory: a pulse in any status, with or without an open link
  and invitations; ``open_pulse`` - an open one, ready to answer.
- ``survey_answers`` - a complete, valid form post for the default instrument.
- ``serve(app)`` - a context manager serving an app on 127.0.0.1 for real
  (its responses closed even when a client resets the connection).
- ``html`` - parse a response into a small element tree for markup checks.
- ``auth_app`` / ``auth_client`` - the app with a cheap argon2 cost
  (:data:`FAST_PASSWORD_HASH`), for tests that sign in many times;
  ``people`` - one account per role there (the manager's department is
  :data:`MANAGER_DEPARTMENT`); ``login`` - sign a client in.
- ``admin_app`` / ``admin_client`` - the app and a client signed in as an
  ``admin``; ``make_admin_app(role, **config)`` for another role or settings
  (CSRF on, SMTP), ``sign_in`` to sign a client in through the login page.
- ``roster_text`` - a roster CSV's text from (department, count) pairs;
  ``write_roster`` writes one to a file under ``tmp_path``.
- ``smtp_server`` - a real SMTP server on localhost that keeps what it receives;
  ``unused_port`` - a port nothing listens on.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import re
import socket
import socketserver
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest

from analysis.instrument import load_instrument
from analysis.strategy import Strategy
from survey_app import create_app

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INSTRUMENT = ROOT / "instruments" / "strategy-pulse.toml"

#: The strategy statement sample pulses are graded against.
SAMPLE_STRATEGY = {
    "goals": [
        "Cut average delivery time to 48 hours",
        "Grow recurring revenue from business customers by 15%",
        "Launch self-service tracking in the customer portal",
    ],
    "factors": ["Customer obsession", "Operational reliability", "Speak up early"],
    "brand_promise": "Delivered on time, every time, with a human on the line",
    "customer_figures": {
        "nps": {"label": "Net Promoter Score", "value": 32, "min": -100, "max": 100},
        "csat": {"label": "Customer satisfaction", "value": 84, "unit": "%", "min": 0, "max": 100},
    },
    "previous_goals": ["Reduce failed deliveries by a third", "Open the Leeds depot"],
}

#: Invitations of ``open_pulse``, in token order: five people in each
#: combination of department and role level (the pulse's default breakdowns),
#: so no combination is merged. Team and tenure band are on the roster but are
#: not breakdowns, so they are not stored. The last five lack a role level,
#: so the survey must ask it of them (and only of them).
SAMPLE_ROSTER = tuple(
    {
        "department": department,
        "team": team,
        "tenure_band": ("lt1", "1to2", "3to5", "6plus", "lt1")[i] if role else None,
        "role_level": role,
    }
    for department, team, role in (
        ("Operations", "Day shift", "staff"),
        ("Operations", "Night shift", "manager"),
        ("Sales", "Enterprise", "staff"),
        ("Sales", "Enterprise", "director"),
        ("Finance", "Payables", None),
    )
    for i in range(5)
)

TEST_SECRET_KEY = "test-secret-key-not-for-production"

#: argon2id at its cheapest, so that tests signing in a hundred times stay
#: fast. Only tests that ask for it (``auth_app``) get it; the default
#: settings meet OWASP's minimum, which tests/test_auth.py checks.
FAST_PASSWORD_HASH = {"memory_cost": 8, "time_cost": 1, "parallelism": 1}
#: The department of the ``people`` fixture's manager.
MANAGER_DEPARTMENT = "Sales"


#: What a constraint violation raises, on either engine.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)
#: A superuser URL of the throwaway cluster on the PostgreSQL pass; None on
#: the SQLite pass.
POSTGRES_ADMIN_URL = os.environ.get("TRINITY_TEST_POSTGRES_URL") or None
#: The engine this pass runs the suite on.
ENGINE = "postgresql" if POSTGRES_ADMIN_URL else "sqlite"
# The concurrency tests hold twenty connections of one process at once.
os.environ.setdefault("TRINITY_DATABASE_POOL_SIZE", "32")


#: The checkout's root: no test may leave a file there (tests write under tmp_path).
REPO_ROOT = Path(__file__).resolve().parents[1]
#: What a run may create in the root: pytest's cache, Hypothesis' examples,
#: the browser tests' screenshots, the app's default instance folder (gitignored).
ROOT_ENTRIES_A_RUN_MAY_ADD = {".pytest_cache", ".hypothesis", "build", "instance"}


def pytest_sessionstart(session):
    session.config._root_entries = set(os.listdir(REPO_ROOT))


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when something wrote into the checkout's root.

    A database URL once taken for a file name made SQLite files named after
    the connection string (and demo files under ``postgresql:/``) in the
    working directory: the code passed, every server shared that stray file,
    and the mistake would only have shown on a real deployment.
    """
    before = getattr(session.config, "_root_entries", None)
    if before is None or hasattr(session.config, "workerinput"):
        return
    stray = sorted(set(os.listdir(REPO_ROOT)) - before - ROOT_ENTRIES_A_RUN_MAY_ADD)
    if stray:
        session.config.get_terminal_writer().line(
            f"ERROR: the test run created files in {REPO_ROOT}: {stray}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


#: Test modules that touch no database (no app, no store, no demo site): the
#: PostgreSQL pass skips them. A module listed here that asks for a database
#: fixture stops the run (pytest_collection_modifyitems).
NO_DATABASE_MODULES = frozenset({
    "test_bench_analysis", "test_bench_themes", "test_coarsen", "test_comments", "test_drivers",
    "test_duration", "test_groups", "test_instrument", "test_knowledge", "test_privacy",
    "test_recall", "test_reliability", "test_report", "test_routing", "test_scoring", "test_scrub",
    "test_sentiment", "test_serve", "test_text", "test_themes", "test_themes_embedding", "test_themes_method",
    "test_themes_streaming",
})
_DATABASE_FIXTURES = frozenset({
    "database", "postgres", "store_path", "store", "make_app", "app", "client", "runner", "db",
    "auth_app", "admin_app", "make_pulse", "open_pulse", "demo_site",
})


def pytest_collection_modifyitems(config, items):
    """Each pass skips what belongs to the other engine, saying why."""
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if module in NO_DATABASE_MODULES:
            used = _DATABASE_FIXTURES & set(item.fixturenames)
            if used:
                raise pytest.UsageError(f"{item.nodeid} is in NO_DATABASE_MODULES but uses the "
                                        f"database fixtures {sorted(used)}")
            if ENGINE == "postgresql":
                item.add_marker(pytest.mark.skip(
                    reason="touches no database: runs on the SQLite pass only"))
                continue
        if ENGINE == "postgresql":
            marker = item.get_closest_marker("sqlite_only")
            if marker is not None:
                reason = marker.args[0] if marker.args else "about SQLite files"
                item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))
        elif item.get_closest_marker("postgres_only") is not None:
            item.add_marker(pytest.mark.skip(
                reason="needs PostgreSQL: runs in make test's PostgreSQL pass (.ci/pg-cluster)"))


class PostgresDatabases:
    """Fresh databases on the test cluster, each a copy of one migrated template."""

    def __init__(self, admin_url: str):
        import psycopg

        from survey_app import db as dbmod
        from survey_app.pg import close_pool

        self.admin_url = admin_url
        self.admin = psycopg.connect(admin_url, autocommit=True)
        # One prefix per process: parallel runs on one cluster never collide.
        self.prefix = f"trinity_test_{os.getpid()}"
        self._numbers = itertools.count()
        self.template = f"{self.prefix}_template"
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
        self.admin.execute(f'CREATE DATABASE "{self.template}"')
        template_url = self.url(self.template)
        migrated = dbmod.connect(template_url)
        dbmod.migrate(migrated)
        migrated.close()
        close_pool(template_url)

    def url(self, name: str) -> str:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(self.admin_url)
        parts["dbname"] = name
        # A URL again (what TRINITY_DATABASE_URL holds), not key=value text.
        user, host, port = parts.get("user", "postgres"), parts.get("host"), parts.get("port")
        return f"postgresql://{user}@{host}:{port}/{name}"

    def create(self, *, empty: bool = False) -> str:
        """A new database, migrated (or ``empty``: no tables at all); its URL."""
        name = f"{self.prefix}_{next(self._numbers)}"
        template = "template0" if empty else self.template
        self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        # Its rate limits' database beside it, as docs/deploy.md has an
        # operator create it: an app given only this URL keeps its counts there.
        self.admin.execute(f'CREATE DATABASE "{name}_ratelimit" TEMPLATE template0 STRATEGY FILE_COPY')
        return self.url(name)

    def drop(self, url: str) -> None:
        from survey_app.pg import close_pool

        close_pool(url)
        name = url.rsplit("/", 1)[1]
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}_ratelimit" WITH (FORCE)')

    def close(self) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.close()


def _is_postgres(db) -> bool:
    return getattr(db, "engine", "sqlite") == "postgresql"


def table_columns(db, table: str) -> dict[str, str]:
    """A table's columns and their declared types, read as an auditor would:
    ``PRAGMA table_info`` on SQLite, ``information_schema`` on PostgreSQL."""
    if _is_postgres(db):
        return db[table].columns_dict
    return {row["name"]: row["type"] for row in db.query(f"PRAGMA table_info({table})")}


def foreign_key_targets(db, table: str) -> set[str]:
    """The tables ``table``'s foreign keys point at, on either engine."""
    if _is_postgres(db):
        return {row["target"] for row in db.query(
            "SELECT confrelid::regclass::text AS target FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ?::regclass", [table])}
    return {row["table"] for row in db.query(f"PRAGMA foreign_key_list({table})")}


def dump_lines(db) -> list[str]:
    """Everything the database holds, as text lines: SQLite's ``iterdump``,
    or on PostgreSQL what ``pg_dump`` writes (what a backup would hold)."""
    if not _is_postgres(db):
        return list(db.conn.iterdump())
    import subprocess

    pg_dump = os.path.join(os.environ.get("TRINITY_TEST_POSTGRES_BIN", ""), "pg_dump")
    done = subprocess.run([pg_dump if os.path.exists(pg_dump) else "pg_dump", "--no-owner",
                           "--dbname", db.url], capture_output=True, text=True, check=True)
    # pg_dump 15.14+ brackets its output with a random \restrict key.
    return [line for line in done.stdout.splitlines()
            if not line.startswith(("\\restrict", "\\unrestrict"))]


@pytest.fixture(scope="session")
def postgres():
    """The test cluster's database factory (PostgreSQL pass only)."""
    if POSTGRES_ADMIN_URL is None:
        pytest.skip("needs PostgreSQL: runs in make test's PostgreSQL pass (.ci/pg-cluster)")
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    yield databases
    databases.close()


def _fresh_database(request, folder: Path, name: str) -> str:
    """A database for one test: a file in ``folder``, or a fresh PostgreSQL one."""
    if ENGINE == "sqlite":
        return str(folder / name)
    databases = request.getfixturevalue("postgres")
    url = databases.create()
    request.addfinalizer(lambda: databases.drop(url))
    return url


@pytest.fixture
def database(request, tmp_path):
    """The test's database: ``tmp_path/trinity.sqlite3`` or a fresh PostgreSQL URL."""
    return _fresh_database(request, tmp_path, "trinity.sqlite3")


@dataclass(frozen=True)
class PulseFixture:
    """What a test needs to answer a pulse: its slug, links and roster."""

    slug: str
    tokens: list[str]
    open_token: str | None
    roster: list[dict]
    status: str


@pytest.fixture
def make_app(tmp_path, database):
    """Factory: an app on the test's ``database`` with config overrides.

    Every app it makes shares the one database file, with ``init-db`` run,
    and the instance folder ``tmp_path/instance`` (outbox, checked rosters).
    """

    def make(**overrides):
        config = {
            "TESTING": True,
            "DATABASE": database,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": TEST_SECRET_KEY,
            "WTF_CSRF_ENABLED": False,
            # Walks sign in a hundred times from one address; the rate-limit
            # tests turn the limits on (tests/test_limits.py).
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_DATABASE": str(tmp_path / "ratelimit.sqlite3"),
        }
        config.update(overrides)
        app = create_app(config)
        # The `flask` command pushes an app context for every command; the
        # test runner only does for commands declared with app.cli.command.
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        return app

    return make


def released_together(script: str, argv: list[list[str]], folder: Path,
                      timeout: float = 120.0) -> list[str]:
    """Run one ``python -c script`` per argument list, all let go at the same
    moment; their outputs (stripped), each checked to have exited 0.

    Each process gets two more arguments: the file whose appearance lets it
    go, then the file it touches once ready (imported and connected), so the
    race a test is about starts with every process already waiting.
    """
    import subprocess
    import sys
    import time

    go = folder / "go"
    procs = [subprocess.Popen([sys.executable, "-c", script, *args, str(go), str(folder / f"ready{i}")],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, args in enumerate(argv)]
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("ready*"))) < len(procs) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def closing_responses(app):
    """``app`` with every response body closed once it is sent or dropped.

    Werkzeug's development server calls a response's ``close()`` only after
    draining what is left of the request from the socket, and that read
    raises when the client has already reset the connection - as a browser
    does when a test closes its page while an icon or a file is still in
    flight. The response's open file (a static file, a download) is then
    left to the garbage collector, whose ``ResourceWarning`` this suite
    turns into an error in whichever test happens to run next. Served
    through this generator, the body is closed as soon as it is exhausted,
    and a generator werkzeug abandons closes it when it is collected.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serve(app):
    """Serve ``app`` for real (werkzeug, threaded) on 127.0.0.1; yield its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, closing_responses(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class Person:
    """An account a test can sign in with."""

    email: str
    role: str
    password: str


@pytest.fixture
def auth_app(make_app):
    return make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH)


@pytest.fixture
def auth_client(auth_app):
    return auth_app.test_client()


@pytest.fixture
def people(auth_app):
    """One account per role (the demo's), keyed by role."""
    from survey_app.auth import create_demo_accounts
    from survey_app.db import get_db

    with auth_app.app_context():
        created = create_demo_accounts(get_db(), MANAGER_DEPARTMENT)
    return {role: Person(email, role, password) for email, role, password in created}


@pytest.fixture
def login():
    """``login(client, person_or_email, password=None, next=None, addr=None)`` -> response."""

    def sign_in(client, who, password=None, *, next=None, addr=None):
        email = who.email if isinstance(who, Person) else who
        password = who.password if password is None and isinstance(who, Person) else password
        url = "/login" if next is None else f"/login?next={next}"
        environ = {"REMOTE_ADDR": addr} if addr else {}
        return client.post(url, data={"email": email, "password": password},
                           environ_base=environ)

    return sign_in


@pytest.fixture
def db(app):
    from survey_app.db import connect

    database = connect(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def store_path(request, tmp_path):
    """Where ``store`` keeps its database, for tests that open more connections
    (a path, or on the PostgreSQL pass a URL)."""
    if ENGINE == "sqlite":
        return tmp_path / "store.db"
    return _fresh_database(request, tmp_path, "store.db")


@pytest.fixture
def store(store_path):
    """A migrated database of its own, without an app, for storage-level tests."""
    from survey_app import db as dbmod

    database = dbmod.connect(store_path)
    dbmod.migrate(database)
    yield database
    database.close()


@pytest.fixture(scope="session")
def instrument():
    return load_instrument(DEFAULT_INSTRUMENT)


@pytest.fixture(scope="session")
def strategy():
    return Strategy.from_dict(SAMPLE_STRATEGY)


@pytest.fixture
def make_pulse(db, instrument, strategy):
    """Factory: create a pulse of the default instrument through the storage API.

    ``make_pulse(slug="p", status="open", open_link=True, roster=SAMPLE_ROSTER)``
    returns a :class:`PulseFixture`. Invitations are added while the pulse is a
    draft, then the status is set.
    """
    from survey_app import storage

    def make(slug="pulse-2026-q4", *, status="open", open_link=True, roster=SAMPLE_ROSTER,
             period="2026-Q4", title="Strategy pulse, Q4 2026"):
        roster = [dict(row) for row in roster]
        pulse = storage.create_pulse(
            db,
            slug=slug,
            title=title,
            period=period,
            instrument=instrument,
            strategy=strategy,
            status="draft",
            open_link=open_link,
        )
        tokens = storage.add_invitations(db, slug, roster) if roster else []
        if status != "draft":
            storage.set_pulse_status(db, slug, status)
        return PulseFixture(
            slug=slug, tokens=list(tokens), open_token=pulse.open_token,
            roster=roster, status=status,
        )

    return make


@pytest.fixture
def open_pulse(make_pulse):
    """An open pulse of the default instrument: 12 invitations and an open link."""
    return make_pulse()


@pytest.fixture
def survey_answers(instrument):
    """A complete valid form post for the default instrument (segment items too).

    Likert answers are 4 ("Agree"), reverse-keyed ones 2; a fresh dict each
    time, so a test may change or drop fields.
    """
    return form_answers(instrument)


def form_answers(instrument) -> dict:
    """What ``survey_answers`` gives, for code that is not a test (threads, servers)."""
    data = {}
    for item in instrument.items:
        if item.type == "likert":
            data[item.id] = "2" if item.reverse else "4"
        elif item.type == "enps":
            data[item.id] = "8"
        elif item.type == "estimate":
            data[item.id] = "30"
        elif item.type == "recall":
            data[item.id] = f"My answer to {item.id}"
        elif item.type == "comment":
            data[item.id] = f"A comment for {item.id}"
        elif item.type == "segment" and item.options:
            data[item.id] = item.options[0].value
    return data


#: The roster file's header row (issue 7).
ROSTER_HEADER = "email,department,team,tenure_band,role_level"
#: The password of the accounts ``make_admin_app`` signs in with.
ADMIN_TEST_PASSWORD = "admin test password 1"


def roster_text(groups, *, start=0, domain="example.com", managers=False):
    """A valid roster: ``groups`` is [(department, people), ...].

    People are numbered from ``start`` so two rosters (a roster and its late
    joiners) never share an address. Everyone is staff, so each department is
    one reporting group; with ``managers`` the first of each department is
    its manager (a group of one, to be merged).
    """
    lines = [ROSTER_HEADER]
    n = start
    for department, people in groups:
        for i in range(people):
            n += 1
            tenure = ("lt1", "1to2", "3to5", "6plus")[n % 4]
            role = "manager" if managers and i == 0 else "staff"
            lines.append(f"person{n}@{domain},{department},{department} team,{tenure},{role}")
    return "\n".join(lines) + "\n"


def outbox_links(app, slug) -> dict[str, str]:
    """email -> link, read back from the pulse's outbox files as a mail client would."""
    from survey_app.mail import outbox_folder

    links = {}
    for path in outbox_folder(app.instance_path, slug).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found = re.search(r"https?://\S+/s/\S+", message.get_content())
        links[message["To"]] = found.group(0)
    return links


def invitation_count(db, slug) -> int:
    """How many invitations a pulse holds (every stored reporting group)."""
    from survey_app.storage import stored_combinations

    return sum(stored_combinations(db, slug).values())


@pytest.fixture
def write_roster(tmp_path):
    """``write_roster(text, name="roster.csv")`` -> the path of a roster file."""

    def write(text, name="roster.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def sign_in(client, email, password=ADMIN_TEST_PASSWORD):
    """Sign ``client`` in through the login page (its CSRF token too, when on)."""
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return client


@pytest.fixture
def make_admin_app(make_app):
    """Factory: ``make_admin_app(role="admin", **config)`` -> (app, signed-in client).

    The account ``<role>@example.com`` is created once per database (every
    app of a test shares it); a manager belongs to :data:`MANAGER_DEPARTMENT`.
    """
    from survey_app.auth import create_account
    from survey_app.db import get_db
    from survey_app.storage import get_user_by_email

    def make(role="admin", **overrides):
        app = make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH, **overrides)
        email = f"{role}@example.com"
        with app.app_context():
            if get_user_by_email(get_db(), email) is None:
                create_account(get_db(), email, role, ADMIN_TEST_PASSWORD,
                               MANAGER_DEPARTMENT if role == "manager" else None)
        return app, sign_in(app.test_client(), email)

    return make


@pytest.fixture
def admin_app(make_admin_app):
    return make_admin_app()[0]


@pytest.fixture
def admin_client(make_admin_app):
    return make_admin_app()[1]


# --------------------------------------------------------------------------
# A tiny HTML tree, so markup tests can ask structural questions (is this
# input inside a fieldset? which label points at it?) with the stdlib only.
# --------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "source", "track", "wbr"}


class Node:
    """An element: ``tag``, ``attrs`` (dict), ``children``, ``parent``."""

    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    def iter(self, tag=None):
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def find_all(self, tag=None, **attrs):
        attrs = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.iter(tag)
                if all(n.attrs.get(k) == v for k, v in attrs.items())]

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, element_id):
        return self.find(id=element_id)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def text(self):
        parts = []
        for child in self.children:
            parts.append(child.text() if isinstance(child, Node) else child)
        return " ".join(" ".join(parts).split())

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, [(k, "" if v is None else v) for k, v in attrs], self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, [(k, "" if v is None else v) for k, v in attrs], self.current)
        self.current.children.append(node)

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is None:
            raise AssertionError(f"unmatched </{tag}> at {self.getpos()}")
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(text: str) -> Node:
    """Parse a page into a :class:`Node` tree (raises on an unmatched end tag)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


@pytest.fixture
def html():
    """``html(response)`` -> the parsed page (:class:`Node`) of a test response."""

    def parse(response_or_text):
        text = response_or_text if isinstance(response_or_text, str) else (
            response_or_text.get_data(as_text=True))
        return parse_html(text)

    return parse


# --------------------------------------------------------------------------
# A small SMTP server (RFC 5321's commands smtplib uses, no TLS), so mail
# tests see what really goes over the wire instead of a patched smtplib.
# --------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage


@dataclass
class SmtpSink:
    port: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)
    #: Addresses answered with 550 at RCPT TO.
    refuse: set[str] = field(default_factory=set)


def _smtp_handler(sink: SmtpSink):
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode("ascii") + b"\r\n")

        def handle(self):
            self.reply("220 localhost test SMTP")
            sender, recipients = "", []
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                command = raw.decode("utf-8").rstrip("\r\n")
                verb = command[:4].upper()
                address = command.partition(":")[2].strip().strip("<>").split(">")[0]
                if verb in ("EHLO", "HELO"):
                    self.reply("250 localhost")
                elif verb == "MAIL":
                    sender, recipients = address, []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    if address in sink.refuse:
                        self.reply("550 no such mailbox")
                    else:
                        recipients.append(address)
                        self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with .")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    message = email.message_from_bytes(b"".join(lines),
                                                       policy=email.policy.default)
                    sink.messages.append(ReceivedMail(sender, recipients, message))
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:  # RSET, NOOP
                    self.reply("250 OK")

    return Handler


@pytest.fixture
def smtp_server():
    sink = SmtpSink()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _smtp_handler(sink))
    server.daemon_threads = True
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------
# The demo company with one account per role, shared by the report tests,
# the report browser tests and the benchmark's smoke run: building a report
# takes seconds, so it is built once per test session.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSite:
    """The demo on its own database: ``app``, ``people`` by role, ``database`` path."""

    app: object
    people: dict
    database: str


def make_demo_site(folder: Path, manager_department: str = MANAGER_DEPARTMENT,
                   database: str | None = None) -> DemoSite:
    """The demo (two pulses of one series) and the demo accounts, in ``folder``
    (on ``database`` when given: a PostgreSQL URL)."""
    from survey_app.auth import create_demo_accounts
    from survey_app.db import get_db
    from survey_app.demo import generate_demo

    database = database or str(folder / "demo.sqlite3")
    app = create_app({"TESTING": True, "DATABASE": database, "SECRET_KEY": TEST_SECRET_KEY,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_PARAMS": FAST_PASSWORD_HASH})
    with app.app_context():
        db = get_db()
        generate_demo(db, links_csv=folder / "links.csv")
        created = create_demo_accounts(db, manager_department)
    people = {role: Person(email, role, password) for email, role, password in created}
    return DemoSite(app, people, database)


@pytest.fixture(scope="session")
def demo_site(request, tmp_path_factory):
    database = request.getfixturevalue("postgres").create() if ENGINE == "postgresql" else None
    return make_demo_site(tmp_path_factory.mktemp("demo-site"), database=database)
