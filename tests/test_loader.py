"""The analysis loader: the database and the export give the same table, and
bad input is one clear line that names the file, line and column."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from analysis.loader import LoadError, list_surveys, load_from_db, load_from_export, load_previous_from_db
from survey_app import storage


def _answers(instrument, rng):
    answers = {}
    for item in instrument.answer_items:
        if item.type == "likert":
            answers[item.id] = rng.choice([1, 2, 3, 4, 5, None])
        elif item.type == "enps":
            answers[item.id] = rng.randint(0, 10)
        elif item.type == "estimate":
            answers[item.id] = rng.choice([None, 12.5, 30, -5])
        elif item.type == "recall":
            answers[item.id] = rng.choice(["", "faster delivery\nmore revenue", 'a "quoted", line'])
        else:
            answers[item.id] = rng.choice([None, "More town halls, please.", "ok"])
    return answers


@pytest.fixture
def filled(db, make_pulse, instrument):
    """Two pulses of one series; the second has 25 invitation answers and 5 open ones.

    Five of each stored combination, so every response is published (a
    snapshot takes a combination's answers five at a time).
    """
    rng = random.Random(7)
    make_pulse("q3", period="2026-Q3", status="closed", open_link=False, roster=[])
    q4 = make_pulse("q4", period="2026-Q4")
    stored = {}
    for token in q4.tokens:
        answers = _answers(instrument, rng)
        rid = storage.submit_response(db, pulse_slug="q4", answers=answers, segments={}, token=token)
        stored[rid] = answers
    for _ in range(5):
        answers = _answers(instrument, rng)
        rid = storage.submit_response(
            db, pulse_slug="q4", answers=answers, segments={"department": "Sales", "role_level": "staff"}
        )
        stored[rid] = answers
    return stored


def test_database_rows_arrive_as_typed_columns(app, filled, instrument, strategy):
    data = load_from_db(app.config["DATABASE"], "q4")
    table = data.responses
    assert set(table.index) == set(filled)
    assert data.strategy == strategy
    assert data.instrument == instrument
    assert data.series == ("q3", "q4") and data.previous_survey == "q3"
    apart = data.comments
    for rid, answers in filled.items():
        for item in instrument.answer_items:
            got, want = table.at[rid, item.id], answers[item.id]
            if item.type == "comment" and want and pd.isna(got):
                # Groups of five are too small to keep a comment in its row:
                # it is read apart, unlinked (analysis.coarsen.safe_rows).
                assert want in set(apart.loc[apart["item"] == item.id, "text"]), (rid, item.id)
            elif want in (None, ""):
                assert pd.isna(got), (rid, item.id, got)
            elif item.type in ("likert", "enps", "estimate"):
                assert got == float(want)
            else:
                assert got == want
    assert table["department"].notna().all()
    assert len(apart) > 0 and set(apart.columns) >= {"item", "text", "department"}
    assert table["st_understand"].dtype == np.float64


def test_previous_pulse_of_the_series(app, filled):
    data = load_from_db(app.config["DATABASE"], "q4")
    previous = load_previous_from_db(app.config["DATABASE"], data)
    assert previous.survey == "q3" and previous.responses.empty
    assert load_previous_from_db(app.config["DATABASE"], previous) is None


def test_export_loads_to_the_same_table(app, db, filled, tmp_path):
    csv_path, json_path = storage.export_pulse(db, "q4", tmp_path / "out")
    from_db = load_from_db(app.config["DATABASE"], "q4")
    from_csv = load_from_export(csv_path, json_path)
    assert from_csv.instrument == from_db.instrument
    assert from_csv.strategy == from_db.strategy
    assert from_csv.series == from_db.series
    left = from_db.responses.sort_index()
    right = from_csv.responses.sort_index()
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    pd.testing.assert_frame_equal(from_db.comments, from_csv.comments, check_dtype=False)


def test_unknown_survey_lists_the_known_ones(app, filled):
    with pytest.raises(LoadError, match=r"unknown survey 'nope' \(known: q3, q4\)"):
        load_from_db(app.config["DATABASE"], "nope")
    assert [s["slug"] for s in list_surveys(app.config["DATABASE"])] == ["q3", "q4"]


def test_missing_or_foreign_database(tmp_path):
    with pytest.raises(LoadError, match="no such database file"):
        load_from_db(tmp_path / "missing.sqlite3", "x")
    other = tmp_path / "other.sqlite3"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(LoadError, match="not a Trinity Pulse database"):
        load_from_db(other, "x")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LoadError, match="not a readable SQLite database"):
        load_from_db(junk, "x")


@pytest.fixture
def export(db, filled, tmp_path):
    return storage.export_pulse(db, "q4", tmp_path / "out")


def _line_of(csv_path, row):
    """The 1-based line of the file on which data row ``row`` starts (its response_id
    begins the line; found in the raw text, independently of the csv module)."""
    rid = pd.read_csv(csv_path, dtype=str, keep_default_na=False).loc[row, "response_id"]
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    return rid, next(i for i, line in enumerate(lines, 1) if line.startswith(rid + ","))


def _rewrite(csv_path, transform):
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    frame = transform(frame)
    frame.to_csv(csv_path, index=False)


def test_missing_column_is_named(export, instrument):
    csv_path, json_path = export
    _rewrite(csv_path, lambda f: f.drop(columns=["k_goals"]))
    with pytest.raises(LoadError, match=rf"responses.csv: missing column\(s\) k_goals \(expected by instrument strategy-pulse v{instrument.version}\b"):
        load_from_export(csv_path, json_path)


def test_bad_number_names_line_and_column(export):
    csv_path, json_path = export

    def spoil(frame):
        frame.loc[3, "st_understand"] = "7"
        return frame

    _rewrite(csv_path, spoil)
    rid, line = _line_of(csv_path, 3)
    with pytest.raises(
        LoadError,
        match=rf"line {line} \(response_id '{rid}'\), column 'st_understand': expected a whole number from 1 to 5, got '7'",
    ):
        load_from_export(csv_path, json_path)


def test_line_numbers_count_line_breaks_inside_answers(export):
    """Regression (QA of issue 3): with a multi-line answer above, the reported
    line was the record number + 1, not the line an editor shows."""
    csv_path, json_path = export

    def spoil(frame):
        frame.loc[0, "k_goals"] = "faster delivery\nthe portal\nB2B revenue"
        frame.loc[2, "enps"] = "11"
        return frame

    _rewrite(csv_path, spoil)
    rid, line = _line_of(csv_path, 2)
    assert line > 4  # the answer's line breaks are counted
    with pytest.raises(LoadError, match=rf"line {line} \(response_id '{rid}'\), column 'enps': expected a whole number from 0 to 10, got '11'"):
        load_from_export(csv_path, json_path)


@pytest.mark.parametrize(("column", "value"), [("role_level", "boss"), ("tenure_band", "10 years")])
def test_unknown_segment_value_is_named_with_its_line(export, column, value):
    csv_path, json_path = export

    def spoil(frame):
        frame.loc[1, column] = value
        return frame

    _rewrite(csv_path, spoil)
    rid, line = _line_of(csv_path, 1)
    with pytest.raises(LoadError, match=rf"line {line} \(response_id '{rid}'\), column '{column}': expected one of .*got '{value}'"):
        load_from_export(csv_path, json_path)


def test_empty_export_and_unreadable_files(export, tmp_path):
    csv_path, json_path = export
    header = csv_path.read_text(encoding="utf-8").splitlines()[0]
    csv_path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(LoadError, match="no responses"):
        load_from_export(csv_path, json_path)
    csv_path.write_text("", encoding="utf-8")
    with pytest.raises(LoadError, match="the file is empty"):
        load_from_export(csv_path, json_path)
    with pytest.raises(LoadError, match="cannot read the file"):
        load_from_export(tmp_path / "missing.csv", json_path)
    json_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LoadError, match=r"pulse.json: not valid JSON \(line 1"):
        load_from_export(csv_path, json_path)
    json_path.write_text(json.dumps({"survey": "x"}), encoding="utf-8")
    with pytest.raises(LoadError, match="missing 'instrument.source_toml'"):
        load_from_export(csv_path, json_path)


def test_duplicate_response_id_names_its_line(export):
    csv_path, json_path = export

    def duplicate(frame):
        frame.loc[2, "response_id"] = frame.loc[0, "response_id"]
        return frame

    _rewrite(csv_path, duplicate)
    with pytest.raises(LoadError, match=r"responses.csv: line \d+ \(response_id '[0-9a-f]+'\): duplicate response_id"):
        load_from_export(csv_path, json_path)


def test_the_app_and_the_loader_read_the_same_strategy_statement(app, db, make_pulse, strategy):
    """Both sides read pulse_strategy on their own (the loader never imports the
    app): every part must come out the same, a promise stored in parts too."""
    make_pulse("q4", period="2026-Q4")
    # A brand promise stored in two rows (as an older writer or a hand edit
    # might leave it) is read whole by both.
    db.execute("INSERT INTO pulse_strategy (pulse_slug, part, position, text) "
               "VALUES ('q4', 'brand_promise', 1, 'and no surprises')")
    from_app = storage.get_pulse(db, "q4").strategy
    from_loader = load_from_db(app.config["DATABASE"], "q4").strategy
    for part in ("goals", "factors", "brand_promise", "customer_figures", "previous_goals"):
        assert getattr(from_app, part) == getattr(from_loader, part), part
    assert from_app.brand_promise.endswith("and no surprises")
    assert from_app.part("brand_promise") == from_loader.part("brand_promise")
