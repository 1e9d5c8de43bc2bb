"""Spent invitations leave the WAL at once; a backup holds no history.

Issue 10, item 8. A submission's commit writes the spent invitation's page
(its token hash, now ``used = 1``) and the new response's page side by side
into ``-wal``; the checkpoint policy (``survey_app.storage.wal``) empties the
log right after, unless a reader is in the middle of a read, and never makes
the submission wait for that reader. ``flask backup`` writes a copy with
neither WAL frames nor deleted rows.
"""

from __future__ import annotations

import os
import shutil
import stat
import time

import pytest

from survey_app import db as dbmod
from survey_app import storage

pytestmark = pytest.mark.sqlite_only("SQLite's -wal file and its VACUUM INTO backups; "
                                     "PostgreSQL is backed up with pg_dump (docs/deploy.md)")


def _submit(db, pulse, token, comment=None):
    answers = {"enps": 7}
    if comment:
        answers["c_other"] = comment
    return storage.submit_response(db, pulse_slug=pulse.slug, answers=answers,
                                   segments={"role_level": "staff"}, token=token)


def _wal(path) -> bytes:
    try:
        with open(f"{path}-wal", "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return b""


def test_a_burst_leaves_nothing_in_the_wal_while_a_reader_is_connected(app, db, make_pulse):
    path = app.config["DATABASE"]
    pulse = make_pulse()
    reader = dbmod.connect(path)  # connected, reading between submissions
    try:
        for token in pulse.tokens[:20]:
            _submit(db, pulse, token)
            assert reader.execute("SELECT count(*) FROM responses").fetchone()[0] > 0
            assert storage.wal_bytes(db) == 0
        wal = _wal(path)
        for token in pulse.tokens[:20]:
            assert storage.hash_token(token).encode() not in wal
    finally:
        reader.close()


def test_a_reader_mid_read_never_blocks_a_submission_and_the_log_empties_after(
        app, db, make_pulse):
    path = app.config["DATABASE"]
    pulse = make_pulse()
    reader = dbmod.connect(path)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM responses").fetchone()  # holds a snapshot
        slowest = 0.0
        for token in pulse.tokens[:10]:
            started = time.perf_counter()
            _submit(db, pulse, token)
            slowest = max(slowest, time.perf_counter() - started)
        # The checkpoint did not wait for the reader (the busy timeout is 15 s).
        assert slowest < 2.0
        held = _wal(path)
        assert any(storage.hash_token(t).encode() in held for t in pulse.tokens[:10])
        reader.execute("COMMIT")  # the read ends
        _submit(db, pulse, pulse.tokens[10])
        assert storage.wal_bytes(db) == 0
        assert _wal(path) == b""
    finally:
        reader.close()


def test_backup_holds_neither_wal_history_nor_deleted_rows(app, db, make_pulse, runner, tmp_path):
    path = app.config["DATABASE"]
    secret = "zebra-crossing-on-the-night-shift-deleted-later"
    gone = make_pulse(slug="gone-2026-q3", period="2026-Q3")
    for token in gone.tokens[:12]:
        _submit(db, gone, token, comment=secret)
    kept = make_pulse(slug="kept-2026-q4")
    for token in kept.tokens[:6]:
        _submit(db, kept, token)
    raw = tmp_path / "raw-copy.sqlite3"
    shutil.copy(path, raw)  # what `cp` would take: the deleted text is in it
    assert secret.encode() in raw.read_bytes()

    storage.delete_pulse(db, gone.slug, confirm=gone.slug)
    # A reader mid-read keeps the log from being emptied: the backup must
    # still come out without it.
    reader = dbmod.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM responses").fetchone()
    try:
        _submit(db, kept, kept.tokens[6], comment="written while a reader was reading")
        assert storage.wal_bytes(db) > 0
        backup = tmp_path / "backups" / "trinity-backup.sqlite3"
        result = runner.invoke(args=["backup", str(backup)])
        assert result.exit_code == 0, result.output
    finally:
        reader.execute("COMMIT")
        reader.close()

    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert not os.path.exists(f"{backup}-wal")
    data = backup.read_bytes()
    assert secret.encode() not in data
    for token in gone.tokens:  # the deleted pulse's invitations, spent or not
        assert storage.hash_token(token).encode() not in data
    copy = dbmod.connect(backup)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM responses").fetchone()[0] == 7
        assert copy.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert copy.execute("SELECT count(*) FROM pulses WHERE slug = ?",
                            [gone.slug]).fetchone()[0] == 0
    finally:
        copy.close()
    # Never over an existing file.
    again = runner.invoke(args=["backup", str(backup)])
    assert again.exit_code == 2 and "already exists" in again.output
