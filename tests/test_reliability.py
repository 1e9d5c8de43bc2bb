"""Cronbach's alpha checked against R psych, pingouin's published examples and hand sums.

Reference values live in tests/expected/reliability_reference.json, written by
tests/expected/make_reliability_reference.R (R psych 2.2.9). R is only needed
to regenerate them.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.reliability import AlphaResult, cronbach_alpha, feldt_interval

EXPECTED = Path(__file__).parent / "expected"
REFERENCE = json.loads((EXPECTED / "reliability_reference.json").read_text())
CASES = {case["name"]: case for case in REFERENCE["cases"]}
TOL = 1e-6


def _bfi(listwise=False):
    data = pd.read_csv(EXPECTED / "reliability_bfi_agreeableness.csv")
    data["A1"] = 7 - data["A1"]  # A1 is reverse-keyed on a 1..6 scale
    return data.dropna() if listwise else data


def _synthetic():
    data = pd.read_csv(EXPECTED / "reliability_synthetic.csv")
    data["s3"] = 6 - data["s3"]  # s3 is reverse-keyed on a 1..5 scale
    return data


INPUTS = {
    "bfi_agreeableness_pairwise": (lambda: _bfi(), "pairwise"),
    # the R reference ran on na.omit(); our listwise policy must drop the same rows itself
    "bfi_agreeableness_listwise": (lambda: _bfi(), "listwise"),
    "synthetic_pairwise": (_synthetic, "pairwise"),
    "wide_missing_pairwise": (lambda: pd.read_csv(EXPECTED / "reliability_wide_missing.csv"), "pairwise"),
    "wide_missing_listwise": (lambda: pd.read_csv(EXPECTED / "reliability_wide_missing.csv"), "listwise"),
    "likert7_complete": (
        lambda: pd.read_csv(EXPECTED / "reliability_likert7.csv").drop(columns="subject"),
        "pairwise",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_r_psych(name):
    """Source: R psych::alpha() and psych::alpha.ci(), see each case's 'source' in the JSON."""
    case = CASES[name]
    load, policy = INPUTS[name]
    assert policy == case["nan_policy"]
    result = cronbach_alpha(load(), nan_policy=policy)
    assert result.n_respondents == case["n_respondents"]
    assert result.n_items == case["n_items"]
    assert result.alpha == pytest.approx(case["alpha"], abs=TOL)
    assert (result.ci_low, result.ci_high) == pytest.approx(tuple(case["ci95"]), abs=TOL)
    expected_items = pd.DataFrame(case["items"]).set_index("item")
    assert list(result.items.index) == list(expected_items.index)
    for column in ("r_drop", "alpha_if_dropped", "mean", "sd"):
        np.testing.assert_allclose(
            result.items[column].to_numpy(), expected_items[column].to_numpy(), atol=TOL, err_msg=column
        )
    if policy == "pairwise":
        assert result.items["n"].tolist() == expected_items["n"].tolist()


@pytest.mark.parametrize("name", ["bfi_agreeableness_pairwise", "likert7_complete"])
def test_ninety_percent_interval_matches_psych_alpha_ci(name):
    """Source: R psych::alpha.ci(alpha, n, k, p.val = 0.10)."""
    load, policy = INPUTS[name]
    result = cronbach_alpha(load(), ci=0.90, nan_policy=policy)
    assert (result.ci_low, result.ci_high) == pytest.approx(tuple(CASES[name]["ci90"]), abs=TOL)


def test_pingouin_documented_examples():
    """Source: pingouin.cronbach_alpha docstring (v0.5): 0.732661 [0.435, 0.909] pairwise,
    0.801695 listwise, 0.591719 [0.195, 0.84] on the 'cronbach_alpha' data set."""
    wide = pd.read_csv(EXPECTED / "reliability_wide_missing.csv")
    pairwise = cronbach_alpha(wide)
    assert round(pairwise.alpha, 6) == 0.732661
    assert (round(pairwise.ci_low, 3), round(pairwise.ci_high, 3)) == (0.435, 0.909)
    likert = cronbach_alpha(pd.read_csv(EXPECTED / "reliability_likert7.csv").drop(columns="subject"))
    assert round(likert.alpha, 6) == 0.591719
    assert (round(likert.ci_low, 3), round(likert.ci_high, 3)) == (0.195, 0.84)


def test_listwise_follows_psych_on_complete_rows_not_pingouin_interval():
    """pingouin documents alpha 0.801695 with CI [0.581, 0.933] for listwise deletion: the alpha
    agrees, but pingouin keeps n = 12 (all rows) in the Feldt interval. We use the 9 complete
    rows, as R psych does when given the complete rows (see the JSON note)."""
    wide = pd.read_csv(EXPECTED / "reliability_wide_missing.csv")
    listwise = cronbach_alpha(wide, nan_policy="listwise")
    assert round(listwise.alpha, 6) == 0.801695
    assert listwise.n_respondents == 9
    assert feldt_interval(listwise.alpha, 12, 11) == pytest.approx((0.581, 0.933), abs=5e-4)
    assert listwise.ci_low < 0.581 and listwise.ci_high > 0.933


def test_hand_computed_three_items():
    """Hand sums: item variances 2.5, 2.3, 1.5; covariance sum 17.3 -> alpha = 1.5 * (1 - 6.3/17.3)."""
    data = np.array([[1, 2, 1], [2, 2, 3], [3, 3, 3], [4, 5, 4], [5, 5, 4]], dtype=float)
    result = cronbach_alpha(data)
    assert result.alpha == pytest.approx(1.5 * (1 - 6.3 / 17.3), abs=1e-12)
    assert list(result.items.index) == ["item1", "item2", "item3"]
    # r_drop of item1: cov(item1, item2 + item3) / sqrt(var(item1) * var(item2 + item3))
    rest = data[:, 1] + data[:, 2]
    assert result.items.loc["item1", "r_drop"] == pytest.approx(np.corrcoef(data[:, 0], rest)[0, 1], abs=1e-12)
    # alpha without item3 is the two-item alpha of item1 and item2
    two = cronbach_alpha(data[:, :2])
    assert result.items.loc["item3", "alpha_if_dropped"] == pytest.approx(two.alpha, abs=1e-12)


def test_two_items_have_no_alpha_if_dropped():
    result = cronbach_alpha([[1, 2], [2, 2], [3, 4], [4, 5]])
    assert result.items["alpha_if_dropped"].isna().all()
    assert result.items["r_drop"].notna().all()


def test_reversing_a_reverse_keyed_item_raises_alpha():
    raw = pd.read_csv(EXPECTED / "reliability_synthetic.csv")
    assert cronbach_alpha(raw).alpha < 0.5 < cronbach_alpha(_synthetic()).alpha


def test_items_without_variance_leave_alpha_undefined():
    result = cronbach_alpha([[3, 3], [3, 3], [3, 3]])
    assert np.isnan(result.alpha) and np.isnan(result.ci_low) and np.isnan(result.ci_high)
    assert result.items["r_drop"].isna().all()


def test_result_is_frozen():
    result = cronbach_alpha([[1, 2], [2, 3], [3, 3]])
    assert isinstance(result, AlphaResult)
    with pytest.raises(AttributeError):
        result.alpha = 1.0


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        ([[1], [2], [3]], {}, "at least 2 items"),
        ([[1, 2]], {}, "at least 2 respondents"),
        ([[1, np.nan], [2, 3], [np.nan, 4]], {"nan_policy": "listwise"}, "at least 2 respondents with every item"),
        ([[1, 2], [2, 3]], {"nan_policy": "drop"}, "nan_policy must be one of"),
        ([[1, 2], [2, 3]], {"ci": 95}, "ci must be a confidence level"),
        ([1, 2, 3], {}, "must be 2-D"),
        ([[1, np.nan], [2, np.nan], [3, 4]], {}, "fewer than 2 respondents answered it"),
        ([[1, np.nan], [2, 5], [np.nan, 4]], {}, "fewer than 2 respondents answered both"),
    ],
)
def test_bad_input_is_refused_clearly(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cronbach_alpha(np.array(data, dtype=float), **kwargs)


def test_non_numeric_column_is_named():
    frame = pd.DataFrame({"q1": [1, 2, 3], "q2": ["4", "agree", "5"]}, index=["r1", "r2", "r3"])
    with pytest.raises(ValueError, match=r"item 'q2' is not numeric: row 'r2' holds 'agree'"):
        cronbach_alpha(frame)


def test_numeric_strings_are_accepted():
    frame = pd.DataFrame({"q1": [1, 2, 3], "q2": ["2", "2", "4"]})
    assert cronbach_alpha(frame).alpha == pytest.approx(cronbach_alpha(frame.astype(float)).alpha)
