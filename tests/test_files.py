"""Every file that holds answers, links or keys is readable by its owner only.

Issue 10, item 7. Each file is created under a permissive umask (0o022, the
usual default, and 0o000) and checked with ``os.stat``: the database and its
WAL and SHM, the secret key, the demo's links and accounts files, every file
of ``flask export`` and the analysis command's ``--out`` files, and a
backup. ``TRINITY_FILE_GROUP`` gives one group read access, nobody else.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from analysis import files
from analysis.cli import main as analysis_main
from survey_app import create_app
from survey_app import db as dbmod
from survey_app.config import load_or_create_secret_key

from tests.conftest import TEST_SECRET_KEY
from tests.test_csv_safe import VARIED_COMMENTS


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request, monkeypatch):
    monkeypatch.delenv(files.GROUP_VARIABLE, raising=False)
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def _written(db) -> None:
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.conn.commit()


def test_the_database_its_wal_and_shm_are_owner_only(tmp_path, umask):
    path = tmp_path / "new" / "trinity.sqlite3"
    db = dbmod.connect(path)
    try:
        dbmod.migrate(db)
        _written(db)
        for name in (path, f"{path}-wal", f"{path}-shm"):
            assert os.path.exists(name)
            assert mode(name) == 0o600, name
        assert mode(path.parent) == 0o700  # the folder connect() created
    finally:
        db.close()


def test_the_rate_limit_store_and_its_side_files_are_owner_only(tmp_path, umask):
    from survey_app.ratelimit import SQLiteStore

    import sqlite3

    path = tmp_path / "ratelimit.sqlite3"
    SQLiteStore(path)
    # A worker writing to it in WAL mode: the side files SQLite creates now
    # take the database file's mode.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("INSERT INTO hits VALUES ('k', 0, 60, 1)")
        for name in (path, f"{path}-wal", f"{path}-shm"):
            assert os.path.exists(name) and mode(name) == 0o600, name
    finally:
        conn.close()


def test_a_database_left_world_readable_is_tightened_on_connect(tmp_path, umask):
    path = tmp_path / "old.sqlite3"
    db = dbmod.connect(path)
    _written(db)
    for name in (path, f"{path}-wal", f"{path}-shm"):
        os.chmod(name, 0o644)
    again = dbmod.connect(path)
    try:
        for name in (path, f"{path}-wal", f"{path}-shm"):
            assert mode(name) == 0o600, name
    finally:
        again.close()
        db.close()


def test_the_secret_key_is_owner_only(tmp_path, umask):
    load_or_create_secret_key(tmp_path)
    assert mode(tmp_path / "secret_key") == 0o600


def test_the_demo_links_and_accounts_and_the_export_are_owner_only(tmp_path, umask):
    database = tmp_path / "trinity.sqlite3"
    instance = tmp_path / "instance"
    app = create_app({"TESTING": True, "DATABASE": str(database), "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": TEST_SECRET_KEY})
    assert mode(instance) == 0o700
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--no-reports", "--base-url", "http://127.0.0.1:5000"])
    assert result.exit_code == 0, result.output
    for name in ("demo-invitations.csv", "demo-accounts.csv"):
        assert mode(tmp_path / name) == 0o600, name
    # The outbox the demo writes its mails to: every folder and file.
    outbox = instance / "outbox"
    mails = list(outbox.rglob("*.eml"))
    assert mails
    for path in [outbox, *outbox.rglob("*")]:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    # A rewrite (a second run, after a link was used) keeps the mode.
    os.chmod(tmp_path / "demo-invitations.csv", 0o644)
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output

    out = tmp_path / "exports" / "q4"
    result = runner.invoke(args=["export", "--survey", "demo-2026-q4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o700 and mode(out.parent) == 0o700
    for name in ("responses.csv", "comments.csv", "pulse.json"):
        assert mode(out / name) == 0o600, name
    for name in (database, f"{database}-wal", f"{database}-shm"):
        if os.path.exists(name):
            assert mode(name) == 0o600, name


def test_the_analysis_out_files_are_owner_only(tmp_path, umask, capsys):
    source = tmp_path / "comments.csv"
    pd.DataFrame({"text": VARIED_COMMENTS}).to_csv(source, index=False)
    out = tmp_path / "tables" / "themes.csv"
    code = analysis_main(["themes", str(source), "--text-column", "text", "--out", str(out),
                          "--no-progress"])
    capsys.readouterr()
    assert code == 0
    assert mode(out) == 0o600 and mode(out.parent) == 0o700


def test_a_shared_group_may_read_and_nobody_else(tmp_path, umask, monkeypatch):
    group = os.getgid()
    monkeypatch.setenv(files.GROUP_VARIABLE, str(group))
    path = tmp_path / "shared" / "trinity.sqlite3"
    db = dbmod.connect(path)
    try:
        _written(db)
        for name in (path, f"{path}-wal", f"{path}-shm"):
            assert mode(name) == 0o640, name
            assert os.stat(name).st_gid == group
        assert mode(path.parent) == 0o750
    finally:
        db.close()
    with files.open_private(tmp_path / "links.csv") as handle:
        handle.write("url\n")
    assert mode(tmp_path / "links.csv") == 0o640


def test_an_unknown_group_is_an_error_not_a_wider_file(tmp_path, monkeypatch):
    monkeypatch.setenv(files.GROUP_VARIABLE, "no-such-group-trinity")
    with pytest.raises(RuntimeError, match="no such group"):
        files.open_private(tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_invite_out_writes_an_owner_only_links_file(make_app, write_roster, tmp_path, umask):
    from tests.conftest import roster_text

    runner = make_app().test_cli_runner()
    strategy = Path(__file__).resolve().parents[1] / "instruments" / "strategy-example.toml"
    instrument = Path(__file__).resolve().parents[1] / "instruments" / "strategy-pulse.toml"
    steps = (
        ["create-pulse", "q1", "--instrument", instrument, "--strategy", strategy,
         "--period", "2027-Q1", "--title", "Pulse q1"],
        ["import-roster", "q1", write_roster(roster_text([("Operations", 6), ("Sales", 5)]))],
        ["pulse-status", "q1", "open"],
    )
    for args in steps:
        result = runner.invoke(args=[str(a) for a in args])
        assert result.exit_code == 0, result.output
    out = tmp_path / "links.csv"
    out.write_text("left by an earlier run\n")
    os.chmod(out, 0o666)
    result = runner.invoke(args=["invite", "q1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o600
