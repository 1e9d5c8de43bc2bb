"""Alignment indices, know-feel gap, perception gap and eNPS, by hand and against R."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.indices import (
    CONFIDENT_TOP_POINTS,
    KNOWS_THRESHOLD,
    SAY_WEIGHT,
    UNSURE_BOTTOM_POINTS,
    ENPSResult,
    alignment_indices,
    enps,
    index_labels,
    know_feel_gap,
    perception_gap,
)
from analysis.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENT = load_instrument(ROOT / "instruments" / "strategy-pulse.toml")
LIKERT = [i.id for i in INSTRUMENT.likert_items()]
KNOWLEDGE = ["k_goals", "k_factors", "k_nps", "k_brand"]


def table(rows: dict[str, dict], columns) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns).astype(float)
    frame.index.name = "response_id"
    return frame


NEUTRAL = {item: 3 for item in LIKERT}


def test_documented_defaults():
    assert SAY_WEIGHT == 0.5
    assert (CONFIDENT_TOP_POINTS, UNSURE_BOTTOM_POINTS, KNOWS_THRESHOLD) == (2, 2, 0.5)


def test_alignment_indices_by_hand():
    responses = table(
        {
            # strategy say: 5, 4, reversed 2 -> 100, 75, 75 = 83.33; customer say: 3, 3, 3 = 50;
            # learning say: 5, 5, reversed 1 = 100
            "r1": {**NEUTRAL, "st_understand": 5, "st_line_of_sight": 4, "st_priorities_shift": 2,
                   "lc_training": 5, "lc_manager": 5, "lc_overload": 1},
        },
        LIKERT,
    )
    knowledge = table({"r1": {"k_goals": 1.0, "k_factors": np.nan, "k_nps": 0.5, "k_brand": 1.0}}, KNOWLEDGE)
    result = alignment_indices(responses, INSTRUMENT, knowledge)
    assert list(result.columns) == [
        "say_strategy", "know_strategy", "index_strategy",
        "say_customer", "know_customer", "index_customer",
        "say_learning", "know_learning", "index_learning",
        "overall",
    ]
    row = result.loc["r1"]
    assert row["say_strategy"] == pytest.approx(250 / 3)
    assert row["know_strategy"] == 50  # (1 + blank counted as 0) / 2 * 100
    assert row["index_strategy"] == pytest.approx(0.5 * 250 / 3 + 0.5 * 50)
    assert row["know_customer"] == 75
    assert row["index_customer"] == pytest.approx(62.5)
    assert np.isnan(row["know_learning"])  # no knowledge checks in this construct
    assert row["index_learning"] == 100  # say alone
    assert row["overall"] == pytest.approx((0.5 * 250 / 3 + 25 + 62.5 + 100) / 3)


def test_missing_say_leaves_index_missing_and_overall_uses_the_rest():
    responses = table({"r": {**NEUTRAL, "st_understand": np.nan, "st_line_of_sight": np.nan}}, LIKERT)
    knowledge = table({"r": {"k_goals": 1, "k_factors": 1, "k_nps": 0, "k_brand": 0}}, KNOWLEDGE)
    row = alignment_indices(responses, INSTRUMENT, knowledge).loc["r"]
    assert np.isnan(row["say_strategy"]) and row["know_strategy"] == 100
    assert np.isnan(row["index_strategy"])
    assert row["overall"] == pytest.approx((25 + 50) / 2)


def test_say_weight_shifts_the_index():
    responses = table({"r": NEUTRAL}, LIKERT)
    knowledge = table({"r": {"k_goals": 1, "k_factors": 1, "k_nps": 1, "k_brand": 1}}, KNOWLEDGE)
    say_only = alignment_indices(responses, INSTRUMENT, knowledge, say_weight=1.0).loc["r"]
    know_only = alignment_indices(responses, INSTRUMENT, knowledge, say_weight=0.0).loc["r"]
    assert say_only["index_customer"] == 50 and know_only["index_customer"] == 100
    with pytest.raises(ValueError, match="say_weight must be in"):
        alignment_indices(responses, INSTRUMENT, knowledge, say_weight=2)


def test_index_labels_name_the_executive_indices():
    labels = index_labels(INSTRUMENT)
    assert labels["index_strategy"] == "Strategy alignment"
    assert labels["index_customer"] == "Customer-experience awareness"
    assert labels["index_learning"] == "Learning and communication"
    assert labels["overall"] == "Overall alignment"
    assert labels["know_strategy"] == "Strategy alignment: what people know"


def test_knowledge_table_is_validated():
    responses = table({"a": NEUTRAL, "b": NEUTRAL}, LIKERT)
    good = table({"a": {"k_goals": 1}, "b": {"k_goals": 0}}, KNOWLEDGE)
    with pytest.raises(ValueError, match="no column for knowledge item.*k_brand"):
        alignment_indices(responses, INSTRUMENT, good.drop(columns="k_brand"))
    with pytest.raises(ValueError, match="missing 1 response.*'b'"):
        alignment_indices(responses, INSTRUMENT, good.loc[["a"]])
    bad = good.copy()
    bad.loc["b", "k_nps"] = 1.5
    with pytest.raises(ValueError, match="response 'b', item 'k_nps' is 1.5; expected a number from 0 to 1"):
        alignment_indices(responses, INSTRUMENT, bad)
    # extra rows in the knowledge table are ignored, order follows the responses
    extra = pd.concat([good, table({"z": {"k_goals": 1}}, KNOWLEDGE)]).iloc[::-1]
    assert list(alignment_indices(responses, INSTRUMENT, extra).index) == ["a", "b"]


def test_know_feel_gap_by_hand():
    # st_understand is the self-rating of k_goals and k_factors; cx_numbers of k_nps; cx_promise of k_brand.
    ratings = {"a": 5, "b": 4, "c": 4, "d": 2, "e": 1, "f": np.nan}
    goals = {"a": 0.0, "b": 1.0, "c": np.nan, "d": 1.0, "e": 0.0, "f": 1.0}
    responses = table({r: {**NEUTRAL, "st_understand": v} for r, v in ratings.items()}, LIKERT)
    knowledge = table({r: {"k_goals": v, "k_factors": 1.0} for r, v in goals.items()}, KNOWLEDGE)
    gap = know_feel_gap(responses, INSTRUMENT, knowledge)
    assert list(gap.index) == ["k_goals", "k_factors", "k_nps", "k_brand"]
    row = gap.loc["k_goals"]
    assert row["self_rating"] == "st_understand" and row["construct"] == "strategy"
    assert row["n"] == 5  # f gave no self-rating
    # confident = 4 or 5: a (wrong), b (right), c (blank = wrong)
    assert row["confident_wrong"] == pytest.approx(2 / 5)
    assert row["confident_right"] == pytest.approx(1 / 5)
    # unsure = 1 or 2: d (right), e (wrong)
    assert row["unsure_right"] == pytest.approx(1 / 5)
    expected = stats.spearmanr([5, 4, 4, 2, 1], [0, 1, 0, 1, 0]).statistic
    assert row["calibration"] == pytest.approx(expected)
    # everybody knows the factors: calibration undefined, not a warning
    assert np.isnan(gap.loc["k_factors", "calibration"])
    assert gap.loc["k_factors", "confident_right"] == pytest.approx(3 / 5)


def test_perception_gap_matches_r_welch_t_test():
    """Source: R 4.x t.test(a, b, var.equal = FALSE) with a = c(80, 75, 90, 62.5, 85),
    b = c(50, 60, 45, 70, 55, 40, 65, 58.3): 95% CI [9.54919177726165, 36.6258082227383],
    p = 0.00417682969711148; 90% CI [12.1521181737642, 34.0228818262358]."""
    leaders = [80, 75, 90, 62.5, 85]
    staff = [50, 60, 45, 70, 55, 40, 65, 58.3]
    values = leaders + staff + [99.0, 1.0]
    roles = ["manager", "director", "executive", "manager", "director"] + ["staff"] * 6 + ["team_lead"] * 2 + [None, None]
    ids = [f"r{i}" for i in range(len(values))]
    indices = pd.DataFrame({"index_strategy": values, "overall": values, "say_strategy": values}, index=ids)
    role_level = pd.Series(roles, index=ids)
    gap = perception_gap(indices, role_level)
    assert list(gap.index) == ["index_strategy", "overall"]  # say/know columns are not indices
    row = gap.loc["index_strategy"]
    assert (row["n_leaders"], row["n_staff"]) == (5, 8)
    assert row["leaders_mean"] == pytest.approx(np.mean(leaders))
    assert row["staff_mean"] == pytest.approx(np.mean(staff))
    assert row["difference"] == pytest.approx(np.mean(leaders) - np.mean(staff))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((9.54919177726165, 36.6258082227383), abs=1e-9)
    assert row["p_value"] == pytest.approx(0.00417682969711148, abs=1e-12)
    ninety = perception_gap(indices, role_level, level=0.90).loc["overall"]
    assert (ninety["ci_low"], ninety["ci_high"]) == pytest.approx((12.1521181737642, 34.0228818262358), abs=1e-9)


def test_perception_gap_leadership_levels_and_small_groups():
    indices = pd.DataFrame({"index_customer": [70.0, 60.0, 50.0, 40.0]}, index=list("abcd"))
    roles = pd.Series(["team_lead", "staff", "staff", "manager"], index=list("abcd"))
    default = perception_gap(indices, roles).loc["index_customer"]
    assert (default["n_leaders"], default["n_staff"]) == (1, 3)
    assert default["leaders_mean"] == 40 and np.isnan(default["ci_low"])  # one leader: no interval
    wider = perception_gap(indices, roles, leadership_levels=("team_lead", "manager")).loc["index_customer"]
    assert (wider["n_leaders"], wider["leaders_mean"], wider["staff_mean"]) == (2, 55, 55)


def test_perception_gap_without_spread_is_the_difference_itself():
    indices = pd.DataFrame({"overall": [80.0, 80.0, 50.0, 50.0, 50.0]}, index=list("abcde"))
    roles = pd.Series(["manager", "director", "staff", "staff", "team_lead"], index=list("abcde"))
    row = perception_gap(indices, roles).loc["overall"]
    assert (row["difference"], row["ci_low"], row["ci_high"]) == (30, 30, 30)
    assert np.isnan(row["p_value"])


def test_perception_gap_refuses_unknown_roles():
    indices = pd.DataFrame({"overall": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(ValueError, match="response 'b' has role_level 'boss'"):
        perception_gap(indices, pd.Series(["staff", "boss"], index=["a", "b"]))
    with pytest.raises(ValueError, match="unknown leadership level.*'vp'"):
        perception_gap(indices, pd.Series(["staff", "manager"], index=["a", "b"]), leadership_levels=("vp",))


def test_enps_by_hand():
    """Reichheld (2003) categories; Wald variance (p + d - (p - d)^2) / n as in Rocks (2016)."""
    answers = [10, 9, 9, 8, 7, 6, 3, 10, 9, 0, np.nan]
    result = enps(answers)
    assert isinstance(result, ENPSResult)
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 50.0, 20.0, 30.0)
    assert result.score == pytest.approx(20.0)
    half = 1.959963984540054 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10) * 100
    assert (result.ci_low, result.ci_high) == pytest.approx((20 - half, 20 + half), abs=1e-9)
    narrower = enps(answers, level=0.80)
    assert result.ci_low < narrower.ci_low < narrower.ci_high < result.ci_high


def test_enps_boundaries():
    assert enps([6, 7, 8]).score == pytest.approx(-100 / 3)
    everyone = enps([9, 10, 10])
    assert (everyone.score, everyone.ci_low, everyone.ci_high) == (100.0, 100.0, 100.0)
    clipped = enps([10, 10, 10, 10, 0])
    assert clipped.ci_high == 100.0 and clipped.ci_low < 60
    empty = enps([np.nan, None])
    assert empty.n == 0 and np.isnan(empty.score) and np.isnan(empty.ci_low)


@pytest.mark.parametrize("bad", [11, -1, 7.5, "great"])
def test_enps_refuses_non_answers(bad):
    with pytest.raises(ValueError, match="is not a whole number from 0 to 10"):
        enps(pd.Series([9, bad], index=["r1", "r2"]))


def test_on_a_demo_pulse_loaded_from_a_real_database(tmp_path):
    """End to end on the app's demo organisation: storage -> loader -> our scores."""
    from analysis.loader import load_from_db
    from analysis.reliability import construct_alpha
    from analysis.scoring import construct_scores
    from survey_app.db import connect
    from survey_app.demo import Q4_PLAN, generate_demo

    path = tmp_path / "demo.db"
    db = connect(path)
    generate_demo(db, seed=0, links_csv=tmp_path / "links.csv")
    db.conn.close()
    data = load_from_db(path, Q4_PLAN.slug)
    responses, instrument = data.responses, data.instrument
    n = len(responses)

    scores = construct_scores(responses, instrument)
    assert list(scores.columns) == ["strategy", "customer", "learning"]
    assert scores.notna().all().all() and scores.stack().between(0, 100).all()

    alphas = construct_alpha(responses, instrument)
    assert set(alphas) == {"strategy", "customer", "learning"}
    for result in alphas.values():
        assert result.n_respondents == n and result.n_items == 3
        assert result.ci_low < result.alpha < result.ci_high
        assert (result.items["r_drop"] > 0).all()  # reverse-keyed items were flipped

    blank = pd.DataFrame(np.nan, index=responses.index, columns=[i.id for i in instrument.knowledge_items()])
    table = alignment_indices(responses, instrument, blank)
    # nothing answered in the knowledge checks: know = 0, so the index is half the say score
    assert (table["know_strategy"] == 0).all()
    np.testing.assert_allclose(table["index_strategy"], 0.5 * scores["strategy"])
    np.testing.assert_allclose(table["index_learning"], scores["learning"])

    gap = perception_gap(table, responses["role_level"], data.leadership_levels)
    # Merged role levels count by their tier ("Other leadership levels" lead);
    # a mixed "Other role levels" is neither.
    leaders = responses["role_level"].isin(
        data.leadership_levels + ("Other leadership levels",)).sum()
    mixed = (responses["role_level"] == "Other role levels").sum()
    assert gap.loc["overall", "n_leaders"] == leaders > 0
    assert gap.loc["overall", "n_staff"] == responses["role_level"].notna().sum() - leaders - mixed

    result = enps(responses[instrument.enps_item.id])
    assert result.n == responses[instrument.enps_item.id].notna().sum()
    assert result.promoters + result.passives + result.detractors == pytest.approx(100)


def test_instrument_without_knowledge_checks_needs_no_knowledge_scores():
    from analysis.instrument import parse_instrument_text

    instrument = parse_instrument_text(
        """
format = 1
[instrument]
id = "say-only"
version = 1
title = "Say only"
[[constructs]]
id = "strategy"
name = "Strategy"
owner = "ceo"
[scales.agree5]
points = 5
anchors = ["1", "2", "3", "4", "5"]
[[items]]
id = "s1"
type = "likert"
construct = "strategy"
scale = "agree5"
text = "One"
[[items]]
id = "s2"
type = "likert"
construct = "strategy"
scale = "agree5"
text = "Two"
""",
        source="say-only.toml",
    )
    responses = pd.DataFrame({"s1": [5.0, 1.0], "s2": [4.0, np.nan]}, index=["a", "b"])
    table = alignment_indices(responses, instrument, pd.DataFrame())
    assert table["index_strategy"].tolist() == [87.5, 0.0]
    assert table["overall"].tolist() == [87.5, 0.0]
    assert know_feel_gap(responses, instrument, pd.DataFrame()).empty
