"""The analysts' export kept per pulse (storage.export_cache): a kept file is
byte for byte a fresh export, and anything the export depends on gives a new one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from survey_app import storage
from survey_app.storage import export_cache

K = 5


def _fresh(store, slug, tmp_path) -> dict[str, bytes]:
    folder = tmp_path / f"fresh-{random.random()}"
    storage.export_pulse(store, slug, folder)
    return {part: (Path(folder) / part).read_bytes() for part in storage.EXPORT_PARTS}


def _kept(store, slug) -> dict[str, bytes]:
    return {part: storage.export_file(store, slug, part) for part in storage.EXPORT_PARTS}


@pytest.fixture
def published(store, instrument, strategy):
    """An open pulse with two published groups of answers and commenters."""
    storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
                         strategy=strategy, status="open", breakdowns=("department",))
    roster = [{"department": d} for d in ("Sales", "Finance") for _ in range(2 * K + 1)]
    tokens = storage.add_invitations(store, "q4", roster)
    for i, token in enumerate(tokens[:2 * K] + tokens[2 * K + 1:3 * K + 1]):
        _answer(store, token, i)
    assert storage.latest_snapshot(store, "q4") is not None
    return tokens[3 * K + 1:]  # Finance's, unused


def _answer(store, token, i):
    storage.submit_response(store, pulse_slug="q4", token=token, segments={},
                            answers={"st_understand": 1 + i % 5, "enps": i % 11,
                                     "c_other": f"=SUM(A{i}) or ask Alice Smith"})


def _builds():
    return export_cache.builds


def test_a_kept_export_is_the_fresh_one_and_is_not_rebuilt(store, published, tmp_path):
    before = _builds()
    first = _kept(store, "q4")
    assert _builds() == before + 1
    assert first == _fresh(store, "q4", tmp_path)
    assert b"'=SUM" in first["responses.csv"] + first["comments.csv"]  # there, guarded
    assert _kept(store, "q4") == first
    assert _builds() == before + 1, "the second download rebuilt the export"


def test_a_new_snapshot_gives_a_new_export(store, published, tmp_path):
    old = _kept(store, "q4")
    snapshot = storage.latest_snapshot(store, "q4")
    for i, token in enumerate(published[:K]):
        _answer(store, token, i)
    assert storage.latest_snapshot(store, "q4") != snapshot
    builds = _builds()
    new = _kept(store, "q4")
    assert _builds() == builds + 1
    assert new == _fresh(store, "q4", tmp_path) and new != old


def test_a_new_scrub_name_gives_a_new_export(store, instrument, strategy, tmp_path):
    storage.create_pulse(store, slug="p", title="P", period="2026-Q4", instrument=instrument,
                         strategy=strategy, status="open", breakdowns=("department",))
    tokens = storage.add_invitations(store, "p", [{"department": "Sales"}] * (3 * K))
    for token in tokens[:2 * K]:
        storage.submit_response(store, pulse_slug="p", token=token, segments={},
                                answers={"c_other": "Zebedee was great"})
    old = _kept(store, "p")
    assert b"Zebedee" in old["responses.csv"] + old["comments.csv"]
    # A late joiner with that name: their name must now be scrubbed.
    entries = storage.parse_roster("email,department\nzebedee.quinn@example.com,Sales\n")
    storage.add_people(store, "p", entries)
    builds = _builds()
    new = _kept(store, "p")
    assert _builds() == builds + 1
    assert b"Zebedee" not in new["responses.csv"] + new["comments.csv"]
    assert new == _fresh(store, "p", tmp_path)


def test_close_and_reopen_never_serve_an_old_export(store, published, tmp_path):
    storage.set_pulse_status(store, "q4", "closed")
    closed = _kept(store, "q4")
    storage.set_pulse_status(store, "q4", "open")
    reopened = _kept(store, "q4")
    assert reopened == _fresh(store, "q4", tmp_path)
    assert b'"status": "open"' in reopened["pulse.json"] and closed != reopened


def test_a_changed_pulse_row_gives_a_new_export(store, published, tmp_path):
    _kept(store, "q4")
    with storage.write_transaction(store):
        store.execute("UPDATE pulses SET title = 'Renamed' WHERE slug = 'q4'")
    assert b"Renamed" in _kept(store, "q4")["pulse.json"]


def test_a_deleted_pulse_has_no_export(store, published):
    _kept(store, "q4")
    storage.delete_pulse(store, "q4", confirm="q4")
    assert not list(store.query("SELECT 1 FROM export_cache"))
    assert not list(store.query("SELECT 1 FROM export_cache_epochs"))
    with pytest.raises(storage.UnknownPulse):
        storage.export_file(store, "q4", "responses.csv")


def test_the_download_is_kept_audited_and_for_analysts_only(make_admin_app, instrument, strategy):
    from survey_app.db import get_db

    app, client = make_admin_app(role="analyst")
    with app.app_context():
        db = get_db()
        storage.create_pulse(db, slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
                             strategy=strategy, status="open", open_link=True,
                             breakdowns=("department",))
        for i in range(K):
            storage.submit_response(db, pulse_slug="q4", segments={"department": "Sales"},
                                    answers={"st_understand": 1 + i % 5})
        storage.set_pulse_status(db, "q4", "closed")
    builds = _builds()
    bodies = [client.get("/reports/analyst/export/responses.csv?pulse=q4") for _ in range(3)]
    assert all(b.status_code == 200 for b in bodies)
    assert bodies[0].data.startswith(b"response_id") and len({b.data for b in bodies}) == 1
    assert _builds() == builds + 1
    with app.app_context():
        exports = [r for r in get_db().query("SELECT action FROM audit_log WHERE action = 'export'")]
    assert len(exports) == 3, "every download is audited"
    _, manager = make_admin_app(role="manager")
    assert manager.get("/reports/analyst/export/responses.csv?pulse=q4").status_code == 403
