"""The export (docs/export.md): read back, every response is there, nothing identifies."""

from __future__ import annotations

import csv
import json
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.instrument import parse_instrument_text
from analysis.scrub import Scrubber
from analysis.strategy import Strategy
from survey_app import db as dbmod
from survey_app import storage

TRICKY_TEXT = 'Line one, with a comma\nline two with "quotes"\r\nand ünïcödé – ✓'


@pytest.fixture
def answered(store, instrument, strategy):
    """Two pulses of one series; the later one has varied responses.

    Returns {response_id: (answers, segments)} of the Q4 pulse.
    """
    storage.create_pulse(store, slug="q4", title="Q4 pulse", period="2026-Q4",
                         instrument=instrument, strategy=strategy, status="open",
                         open_link=True, leadership_levels=("director", "executive"))
    storage.create_pulse(store, slug="q3", title="Q3 pulse", period="2026-Q3",
                         instrument=instrument, strategy=strategy, status="closed")
    tokens = storage.add_invitations(store, "q4", [
        {"department": "Operations", "team": "Night", "tenure_band": "1to2",
         "role_level": "staff"},
        {"department": "Sales", "team": None, "tenure_band": "6plus", "role_level": "director"},
    ])
    submitted = {}
    cases = [
        ({"st_understand": 5, "st_priorities_shift": 1, "enps": 10, "k_nps": -12.5,
          "k_goals": TRICKY_TEXT, "c_clarity": "More town halls"}, {}, tokens[0]),
        ({"st_understand": None, "cx_numbers": 3, "enps": 0, "k_nps": 40,
          "c_other": "=SUM(A1)"}, {}, tokens[1]),
        ({}, {"department": "Marketing"}, None),  # an open-link response with no answers
    ]
    for answers, segments, token in cases:
        rid = storage.submit_response(store, pulse_slug="q4", answers=answers,
                                      segments=segments, token=token)
        submitted[rid] = answers
    # Closing publishes them: three responses never make a snapshot of an open
    # pulse (docs/privacy.md), but a pulse that closes before its first
    # snapshot publishes everything once.
    storage.set_pulse_status(store, "q4", "closed")
    return submitted


def read_csv_rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_round_trip_finds_every_response(tmp_path, store, instrument, answered):
    csv_path, json_path = storage.export_pulse(store, "q4", tmp_path / "out")
    assert csv_path == tmp_path / "out" / "responses.csv"
    assert json_path == tmp_path / "out" / "pulse.json"
    rows = read_csv_rows(csv_path)
    item_ids = [i.id for i in instrument.items if i.type != "segment"]
    assert list(rows[0]) == ["response_id", "pulse", "period", "department",
                             "team", "tenure_band", "role_level"] + item_ids
    assert [r["response_id"] for r in rows] == sorted(answered)
    by_id = {r["response_id"]: r for r in rows}
    for rid, answers in answered.items():
        row = by_id[rid]
        assert (row["pulse"], row["period"]) == ("q4", "2026-Q4")
        for item_id in item_ids:
            given = answers.get(item_id)
            if instrument.item(item_id).type == "comment":
                # Three respondents are fewer than the ten comments need: no
                # comment leaves, in the rows or in comments.csv.
                assert row[item_id] == "", (rid, item_id)
            elif given is None:
                assert row[item_id] == "", (rid, item_id)
            elif isinstance(given, str):
                assert row[item_id] == given
            else:
                assert float(row[item_id]) == given
    assert read_csv_rows(tmp_path / "out" / "comments.csv") == []
    first = next(r for r in rows if r["k_goals"])
    assert first["k_goals"] == TRICKY_TEXT  # newlines, quotes, unicode survive
    assert first["st_understand"] == "5"  # raw integers, not 5.0, not reversed
    assert first["st_priorities_shift"] == "1"
    assert first["k_nps"] == "-12.5"
    # Three responses are fewer than five: exported, their groups are one
    # catch-all, and team is not a breakdown of the pulse.
    assert {(r["department"], r["team"], r["role_level"]) for r in rows} == {
        ("Other departments", "", "Other role levels")}
    assert sum(all(r[i] == "" for i in item_ids) for r in rows) == 1  # the empty open-link one


def test_export_reads_with_pandas_as_the_analysis_expects(tmp_path, store, answered):
    csv_path, _ = storage.export_pulse(store, "q4", tmp_path / "out")
    table = pd.read_csv(csv_path, index_col="response_id")
    assert set(table.index) == set(answered)
    assert table["st_understand"].dtype == "float64"
    assert table["st_understand"].isna().sum() == 2
    assert sorted(table["enps"].dropna()) == [0.0, 10.0]


def test_export_holds_no_identifying_column(tmp_path, store, answered):
    csv_path, json_path = storage.export_pulse(store, "q4", tmp_path / "out")
    header = list(read_csv_rows(csv_path)[0])
    for column in header:
        assert not any(bad in column.lower() for bad in
                       ("token", "invit", "hash", "mail", "name", "time", "ip_", "agent"))
    hashes = [r["token_hash"] for r in store.query("SELECT token_hash FROM invitations")]
    exported = csv_path.read_text(encoding="utf-8") + json_path.read_text(encoding="utf-8")
    assert not any(h in exported for h in hashes)
    meta = json.loads(json_path.read_text(encoding="utf-8"))
    assert "open_token" not in json.dumps(meta)
    pulse = storage.get_pulse(store, "q4")
    assert pulse.open_token not in exported


def test_pulse_json_describes_the_pulse(tmp_path, store, instrument, strategy, answered):
    _, json_path = storage.export_pulse(store, "q4", tmp_path / "out")
    meta = json.loads(json_path.read_text(encoding="utf-8"))
    assert set(meta) == {"format", "survey", "title", "period", "status", "instrument",
                         "leadership_levels", "breakdowns", "comments_csv", "min_group",
                         "strategy", "series"}
    assert meta["format"] == 2
    assert (meta["survey"], meta["title"], meta["period"], meta["status"]) == (
        "q4", "Q4 pulse", "2026-Q4", "closed")
    assert meta["leadership_levels"] == ["director", "executive"]
    assert meta["series"] == [{"survey": "q3", "period": "2026-Q3"},
                              {"survey": "q4", "period": "2026-Q4"}]
    assert (meta["instrument"]["id"], meta["instrument"]["version"]) == ("strategy-pulse", instrument.version)
    assert parse_instrument_text(meta["instrument"]["source_toml"]) == instrument
    assert Strategy.from_dict(meta["strategy"]) == strategy


def test_export_of_a_pulse_without_responses_is_just_the_header(tmp_path, store, answered,
                                                                instrument):
    csv_path, _ = storage.export_pulse(store, "q3", tmp_path / "q3")
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].split(",")[:2] == ["response_id", "pulse"]


def test_export_unknown_pulse(tmp_path, store):
    with pytest.raises(storage.UnknownPulse, match="no survey with slug 'nope'"):
        storage.export_pulse(store, "nope", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_export_agrees_with_the_analysis_loader(tmp_path, store, store_path, answered):
    loader = pytest.importorskip("analysis.loader")
    csv_path, json_path = storage.export_pulse(store, "q4", tmp_path / "out")
    from_export = loader.load_from_export(csv_path, json_path)
    from_db = loader.load_from_db(store_path, "q4")
    assert from_export.series == from_db.series == ("q3", "q4")
    left = from_export.responses.sort_index()
    right = from_db.responses.sort_index()
    assert list(left.columns) == list(right.columns)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200))
def test_any_answer_text_survives_the_csv(tmp_path_factory, instrument, strategy, text):
    folder = tmp_path_factory.mktemp("prop")
    database = dbmod.connect(folder / "p.db")
    try:
        dbmod.migrate(database)
        storage.create_pulse(database, slug="p", title="P", period="2026-Q4",
                             instrument=instrument, strategy=strategy, status="open")
        rid = storage.submit_response(database, pulse_slug="p", answers={"c_other": text},
                                      segments={})
        # Nine others, so the group reaches the ten a comment needs to stay in its row.
        for _ in range(9):
            storage.submit_response(database, pulse_slug="p", answers={"enps": 5}, segments={})
        storage.set_pulse_status(database, "p", "closed")  # publishes them
        csv_path, _ = storage.export_pulse(database, "p", folder / "out")
    finally:
        database.close()
    (row,) = [r for r in read_csv_rows(csv_path) if r["response_id"] == rid]
    # Comments leave scrubbed of emails, phones and links, and otherwise as typed.
    expected = Scrubber().scrub(text).text if text.strip() else ""  # blank: unanswered
    assert row["c_other"] == expected


def test_text_that_pandas_would_call_missing_is_written_as_typed(tmp_path, store, instrument,
                                                                 strategy):
    storage.create_pulse(store, slug="p", title="P", period="2026-Q4", instrument=instrument,
                         strategy=strategy, status="open")
    for text in ["n/a", "NA", "null", "None"] + 6 * [""]:
        storage.submit_response(store, pulse_slug="p", answers={"c_other": text}, segments={})
    storage.set_pulse_status(store, "p", "closed")
    csv_path, _ = storage.export_pulse(store, "p", tmp_path / "out")
    table = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert sorted(t for t in table["c_other"] if t) == ["NA", "None", "n/a", "null"]


def test_docs_export_names_every_leading_column_and_pulse_json_field():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "export.md").read_text(
        encoding="utf-8")
    for column in storage.EXPORT_BASE_COLUMNS:
        assert f"`{column}`" in doc, column
    for field in ("format", "survey", "title", "period", "status", "instrument.source_toml",
                  "leadership_levels", "strategy", "series"):
        assert f"`{field}`" in doc, field
    assert f"Format version: **{storage.EXPORT_FORMAT}**" in doc
