"""Knowledge checks on a responses table: estimates, score_knowledge, misconceptions."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.instrument import parse_instrument
from analysis.recall import (
    estimate_misconceptions,
    knowledge_misconceptions,
    misconceptions,
    score_estimate,
    score_knowledge,
    score_recall,
)
from analysis.strategy import Strategy

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENT_FILE = ROOT / "instruments" / "strategy-pulse.toml"
CASES = tomllib.loads((ROOT / "tests" / "data" / "recall_cases.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def strategy():
    return Strategy.from_dict(
        CASES["strategy"]
        | {"customer_figures": {"nps": {"label": "NPS", "value": 32, "min": -100, "max": 100}}}
    )


def _responses(rows: list[dict]) -> pd.DataFrame:
    """A responses table in the loader's shape (docs/export.md)."""
    frame = pd.DataFrame(rows, index=[f"resp{i:04d}" for i in range(len(rows))])
    frame.insert(0, "pulse", "2026-q3")
    frame.insert(1, "period", "2026-Q3")
    frame.insert(2, "submitted_on", "2026-09-01")
    for column in ("k_goals", "k_factors", "k_brand"):
        if column not in frame:
            frame[column] = np.nan
    if "k_nps" not in frame:
        frame["k_nps"] = np.nan
    frame["k_nps"] = frame["k_nps"].astype(float)
    return frame


# --- score_estimate ------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        (32, 1.0),
        (42, 1.0),  # at the tolerance (10 NPS points by default)
        (22, 1.0),
        (52, 0.5),  # halfway from 1x to 3x tolerance
        (12, 0.5),
        (62, 0.0),  # 3x tolerance
        (-20, 0.0),
        (100, 0.0),
    ],
)
def test_nps_estimate_default_tolerance(estimate, expected):
    assert score_estimate(estimate, 32, scale_range=(-100, 100)) == pytest.approx(expected)


def test_percentage_default_tolerance_is_five_points():
    assert score_estimate(45, 40, scale_range=(0, 100)) == 1.0
    assert score_estimate(50, 40, scale_range=(0, 100)) == pytest.approx(0.5)
    assert score_estimate(55, 40, scale_range=(0, 100)) == 0.0


def test_explicit_tolerance_wins():
    assert score_estimate(52, 32, tolerance=20, scale_range=(-100, 100)) == 1.0
    assert score_estimate(72, 32, tolerance=20) == pytest.approx(0.5)


def test_without_scale_tolerance_is_ten_percent_of_the_figure():
    assert score_estimate(4.4, 4.0) == 1.0  # tolerance 0.4 -> but at least 1
    assert score_estimate(220, 200) == 1.0
    assert score_estimate(240, 200) == pytest.approx(0.5)


def test_missing_estimate_is_nan():
    assert math.isnan(score_estimate(None, 32))
    assert math.isnan(score_estimate(float("nan"), 32))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tolerance": 0}, "tolerance must be a positive number"),
        ({"tolerance": -3}, "tolerance must be a positive number"),
        ({"scale_range": (100, -100)}, "high > low"),
    ],
)
def test_bad_estimate_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        score_estimate(10, 32, **kwargs)


def test_non_numeric_estimate():
    with pytest.raises(ValueError, match="estimate must be a number, got 'lots'"):
        score_estimate("lots", 32)


# --- score_knowledge -------------------------------------------------------------


def test_score_knowledge_columns_and_values(instrument, strategy):
    goals_verbatim = "\n".join(strategy.goals)
    responses = _responses(
        [
            {"k_goals": goals_verbatim, "k_factors": "safety, reliability, communication",
             "k_brand": "Your parcel arrives when we say it will", "k_nps": 35},
            {"k_goals": "grow revenue", "k_factors": "teamwork", "k_brand": "we deliver", "k_nps": 90},
            {"k_goals": None, "k_factors": "", "k_brand": "   ", "k_nps": np.nan},
            {"k_goals": "don't know", "k_factors": "not sure", "k_brand": "no idea", "k_nps": 52},
        ]
    )
    scores = score_knowledge(responses, instrument, strategy)
    assert list(scores.columns) == ["k_goals", "k_factors", "k_nps", "k_brand"]
    assert scores.index.equals(responses.index)
    first, wrong, blank, dont_know = (scores.iloc[i] for i in range(4))
    assert first["k_goals"] == 1.0
    assert first["k_factors"] > 0.5 and first["k_brand"] > 0 and first["k_nps"] == 1.0
    assert (wrong == 0.0).all()
    assert blank.isna().all()  # skipped checks are NaN, not wrong
    assert dont_know[["k_goals", "k_factors", "k_brand"]].eq(0.0).all()  # "don't know" is an answer
    assert dont_know["k_nps"] == pytest.approx(0.5)
    assert ((scores >= 0) & (scores <= 1) | scores.isna()).all().all()


def test_score_knowledge_agrees_with_score_recall_on_the_case_file(instrument, strategy):
    answers = [c["answer"] for c in CASES["cases"] if c["part"] == "goals"]
    scores = score_knowledge(_responses([{"k_goals": a} for a in answers]), instrument, strategy)
    for answer, got in zip(answers, scores["k_goals"]):
        if not answer.strip():
            assert math.isnan(got)
        else:
            assert got == pytest.approx(score_recall(answer, strategy.goals).score)


def test_repeated_answers_are_graded_once_and_stay_aligned(instrument, strategy):
    pool = ["48h delivery", "recurring revenue", None, "grow revenue", "tracking portal", ""]
    rows = [{"k_goals": pool[i % len(pool)]} for i in range(6000)]
    scores = score_knowledge(_responses(rows), instrument, strategy)["k_goals"]
    expected = [
        math.nan if not (a or "").strip() else score_recall(a, strategy.goals).score for a in pool
    ]
    for i in (0, 1, 2, 3, 4, 5, 5997, 5999):
        want = expected[i % len(pool)]
        assert (math.isnan(scores.iloc[i]) and math.isnan(want)) or scores.iloc[i] == want


def test_item_tolerance_and_range_are_used(strategy):
    data = tomllib.loads(INSTRUMENT_FILE.read_text(encoding="utf-8"))
    for item in data["items"]:
        if item["id"] == "k_nps":
            item["tolerance"] = 20
    instrument = parse_instrument(data, source="test")
    responses = _responses([{"k_nps": 52}, {"k_nps": 72}])
    scores = score_knowledge(responses, instrument, strategy)["k_nps"]
    assert scores.tolist() == pytest.approx([1.0, 0.5])


def test_nothing_to_grade_against_gives_nan(instrument):
    bare = Strategy.from_dict({"goals": ["Cut average delivery time to 48 hours"]})
    scores = score_knowledge(
        _responses([{"k_goals": "delivery", "k_factors": "safety", "k_brand": "x", "k_nps": 10}]),
        instrument,
        bare,
    )
    assert scores["k_goals"].iloc[0] > 0
    assert scores[["k_factors", "k_brand", "k_nps"]].isna().all().all()


def test_missing_knowledge_column_is_named(instrument, strategy):
    responses = _responses([{"k_goals": "delivery"}]).drop(columns=["k_brand"])
    with pytest.raises(KeyError, match="knowledge item 'k_brand'"):
        score_knowledge(responses, instrument, strategy)


def test_non_numeric_estimates_are_reported(instrument, strategy):
    responses = _responses([{"k_goals": "x"}])
    responses["k_nps"] = pd.Series(["about fifty"], index=responses.index, dtype=object)
    with pytest.raises(ValueError, match="knowledge item 'k_nps'"):
        score_knowledge(responses, instrument, strategy)


# --- misconceptions ---------------------------------------------------------------


def test_misconceptions_groups_wrong_beliefs_and_flags_last_quarter(strategy):
    answers = [
        "Open the Rotterdam hub",
        "rotterdam hub",
        "Rotterdam hub\n48h delivery",  # one right item, one wrong
        "the new hub in Rotterdam, rotterdam hub",  # same belief twice: one person
        "grow revenue",
        "Grow revenue!",
        "more revenue",
        "48h delivery",  # right: not a misconception
        "",
        None,
        "don't know",
        "Think different",  # said once: below min_count
    ]
    table = misconceptions(answers, strategy, min_count=3)
    assert list(table.columns) == ["belief", "count", "share", "previous_goal", "variants"]
    assert table["belief"].tolist() == ["rotterdam hub", "grow revenue"]
    assert table["count"].tolist() == [4, 3]
    answered = 10  # blank and missing answers are not counted; "don't know" is
    assert table["share"].tolist() == pytest.approx([4 / answered, 3 / answered])
    assert table.loc[0, "previous_goal"] == "Open the new Rotterdam distribution hub"
    assert pd.isna(table.loc[1, "previous_goal"])
    assert "open the rotterdam hub" in table.loc[0, "variants"]


def test_misconceptions_min_count_and_empty(strategy):
    assert misconceptions([], strategy).empty
    few = misconceptions(["driver app", "driver app"], strategy, min_count=3)
    assert few.empty
    with pytest.raises(ValueError, match="min_count"):
        misconceptions(["x"], strategy, min_count=0)


def test_misconceptions_for_factors(strategy):
    answers = ["teamwork", "Teamwork!", "team work", "safety"]
    table = misconceptions(answers, strategy, part="factors", min_count=2)
    assert table["belief"].tolist() == ["teamwork"]
    assert table["count"].tolist() == [2]  # "team work" is two other words
    assert table["previous_goal"].isna().all()


def test_estimate_misconceptions_bands():
    guesses = [32, 40, 60, 65, 70, 75, -10, 0, 5, 100, 150, None, float("nan")]
    table = estimate_misconceptions(guesses, 32, scale_range=(-100, 100), label="NPS", min_count=2)
    rows = {r.belief: r.count for r in table.itertuples()}
    # Tolerance 10: right is 22..42. Bands two tolerances wide step away from it.
    assert rows == {
        "thinks NPS is 62 to 82 (actual 32)": 3,  # 65, 70, 75
        "thinks NPS is -18 to 2 (actual 32)": 2,  # -10, 0
        "thinks NPS is 82 to 100 (actual 32)": 2,  # 100 and 150 (clipped to the scale)
    }
    assert table["count"].iloc[0] == 3
    assert table.set_index("belief")["share"].iloc[0] == pytest.approx(3 / 11)
    assert set(table["direction"]) == {"above", "below"}


def test_knowledge_misconceptions_covers_every_gradable_item(instrument, strategy):
    responses = _responses(
        [{"k_goals": "rotterdam hub", "k_factors": "teamwork", "k_brand": "cheap", "k_nps": 80}] * 3
    )
    tables = knowledge_misconceptions(responses, instrument, strategy, min_count=3)
    assert set(tables) == {"k_goals", "k_factors", "k_brand", "k_nps"}
    assert tables["k_goals"]["belief"].tolist() == ["rotterdam hub"]
    assert tables["k_nps"]["count"].tolist() == [3]


def test_pandas_extension_dtypes_are_accepted(instrument, strategy):
    """The loader hands object columns, but analysts build frames by hand."""
    responses = _responses([{"k_goals": "48h delivery"}] * 4)
    responses["k_goals"] = pd.array(["48h delivery", pd.NA, "", "portal"], dtype="string")
    responses["k_nps"] = pd.array([32, pd.NA, 62, None], dtype="Int64")
    scores = score_knowledge(responses, instrument, strategy)
    assert scores["k_goals"].iloc[0] == pytest.approx(score_recall("48h delivery", strategy.goals).score)
    assert scores["k_goals"].iloc[[1, 2]].isna().all()
    assert scores["k_goals"].iloc[3] > 0
    assert scores["k_nps"].iloc[0] == 1.0 and scores["k_nps"].iloc[2] == 0.0
    assert scores["k_nps"].iloc[[1, 3]].isna().all()
    assert scores.dtypes.eq("float64").all()


def test_brand_promise_clauses_of_a_right_answer_are_not_wrong_beliefs():
    """Regression (QA of issue 3): on the demo, 44% of respondents were shown as
    believing "every time", a clause of the real promise, because the answer was
    split at its commas and each clause graded alone."""
    promise = Strategy.from_dict({"brand_promise": "Delivered on time, every time, with a human on the line"})
    answers = ["On time, every time - with real people on the phone"] * 4 + ["We move what matters"] * 3
    table = misconceptions(answers, promise, part="brand_promise", min_count=3)
    assert table["belief"].tolist() == ["we move what matters"]
    assert table["count"].tolist() == [3]


def test_a_full_stop_after_an_abbreviation_does_not_split_a_belief(strategy):
    """Regression (QA of issue 3): "cust. obsession" was two items, and "cust"
    was listed as a wrong belief."""
    answers = ["cust. obsession", "cust. obsession", "cust. obsession"]
    table = misconceptions(answers, strategy, part="factors", min_count=3)
    assert table["belief"].tolist() == ["cust obsession"]


def test_every_wording_of_a_previous_goal_is_one_belief(strategy):
    """Regression (QA of issue 3): the demo showed last quarter's ticketing goal as
    three separate beliefs of 10, 6 and 6 people."""
    answers = ["Rotterdam hub"] * 2 + ["open the new distribution centre in Rotterdam"] * 2 + ["don't know", "don't wait"] * 3
    table = misconceptions(answers, strategy, min_count=3)
    assert table["belief"].tolist() == ["rotterdam hub", "don't wait"]
    assert table["count"].tolist() == [4, 3]
    assert table.loc[0, "previous_goal"] == "Open the new Rotterdam distribution hub"
