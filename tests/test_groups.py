"""Group comparisons and change since the previous pulse.

Welch's test and the t interval are checked against scipy's own
implementations (``scipy.stats.ttest_ind(equal_var=False)``,
``scipy.stats.t.interval``) and Holm's correction against a hand-worked case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.groups import change_since_previous, compare_groups, holm, welch
from analysis.privacy import PrivacyPolicy

SEGMENT_COLUMNS = ("department", "team", "tenure_band", "role_level")


def make_table(sizes: dict[str, int], shift: dict[str, float], seed: int = 0) -> pd.DataFrame:
    """A responses table with one Likert-like item ``st_understand`` whose
    mean differs by department, and other segments filled in round-robin."""
    rng = np.random.default_rng(seed)
    rows = []
    for dept, size in sizes.items():
        base = rng.normal(3.0 + shift.get(dept, 0.0), 0.8, size)
        for i, x in enumerate(base):
            rows.append(
                {
                    "department": dept,
                    "team": f"{dept}-{i % 2}",
                    "tenure_band": ("lt1", "1to2", "3to5", "6plus")[i % 4],
                    "role_level": "staff" if i % 3 else "manager",
                    "st_understand": float(np.clip(np.round(x), 1, 5)),
                    "enps": float(rng.integers(0, 11)),
                }
            )
    table = pd.DataFrame(rows)
    table.index = [f"r{i:04d}" for i in range(len(table))]
    return table


def test_welch_matches_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(3.2, 1, 25), rng.normal(2.8, 0.5, 60)
    diff, lo, hi, p = welch(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert p == pytest.approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert diff == pytest.approx(a.mean() - b.mean())


def test_welch_without_spread_has_no_p_value():
    diff, lo, hi, p = welch(np.full(6, 4.0), np.full(8, 4.0))
    assert (diff, lo, hi) == (0.0, 0.0, 0.0) and np.isnan(p)


def test_welch_between_two_groups_without_spread_is_no_test():
    """Everyone in one team answered 4, everyone in the other 3: scipy says
    p = 0 (and warns); for a reader that would be a "significant" gap backed
    by no evidence about noise at all, so there is no p-value."""
    diff, lo, hi, p = welch(np.full(5, 4.0), np.full(5, 3.0))
    assert (diff, lo, hi) == (1.0, 1.0, 1.0) and np.isnan(p)


def test_welch_with_one_group_without_spread_is_the_usual_test():
    """A team that agrees is common; the other group's spread makes the test
    well defined, and no warning escapes (pytest would turn it into an error).
    By hand: b has mean 3 and variance 4/5, so se = sqrt(0.8 / 6); a adds
    nothing to se or to Welch's df, which is then b's n - 1 = 5."""
    diff, lo, hi, p = welch(np.full(5, 4.0), np.array([2.0, 3, 4, 2, 3, 4]))
    se = np.sqrt(0.8 / 6)
    assert diff == 1.0
    assert p == pytest.approx(2 * stats.t.sf(1 / se, 5), rel=1e-12)
    half = stats.t.ppf(0.975, 5) * se
    assert (lo, hi) == pytest.approx((1 - half, 1 + half), rel=1e-12)


def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> 0.06 (monotone)
    adjusted = holm([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(adjusted[:4], [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(adjusted[4])
    assert holm([0.6, 0.7])[1] == 1.0


def test_compare_groups_statistics_and_privacy():
    table = make_table({"Ops": 60, "Sales": 50, "Support": 40, "Legal": 3}, {"Ops": 0.5})
    out = compare_groups(table, "st_understand", "department")
    assert list(out.department) == ["Legal", "Ops", "Sales", "Support"]
    by_dept = out.set_index("department")
    # Legal is too small; Support, the next smallest, goes too (complement).
    assert by_dept.loc["Legal", "reason"] == "fewer than 5 respondents"
    assert not by_dept.loc["Support", "visible"]
    assert "complement" in by_dept.loc["Support", "reason"]
    assert by_dept.loc[["Legal", "Support"], "mean"].isna().all()
    assert by_dept.loc[["Legal", "Support"], "p_value"].isna().all()

    ops = table[table.department == "Ops"].st_understand
    rest = table[table.department != "Ops"].st_understand
    row = by_dept.loc["Ops"]
    assert row.n == 60 and row["mean"] == pytest.approx(ops.mean())
    lo, hi = stats.t.interval(0.95, len(ops) - 1, loc=ops.mean(), scale=stats.sem(ops))
    assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi))
    assert row.company_mean == pytest.approx(table.st_understand.mean())
    assert row.rest_mean == pytest.approx(rest.mean())
    ref = stats.ttest_ind(ops, rest, equal_var=False)
    assert row.p_value == pytest.approx(ref.pvalue)
    # Two visible groups tested: Holm doubles the smaller p-value.
    assert row.p_holm == pytest.approx(min(1.0, 2 * ref.pvalue))
    assert row.significant  # Ops was built half a point higher
    # diff is the difference from the company (as the issue asks), the Welch
    # group-vs-rest interval rescaled by n_rest / n_company: same test.
    assert row["diff"] == pytest.approx(ops.mean() - table.st_understand.mean())
    share = len(rest) / len(table)
    welch_half = stats.t.ppf(0.975, ref.df) * (ops.mean() - rest.mean()) / ref.statistic
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx(
        (share * (ops.mean() - rest.mean() - welch_half), share * (ops.mean() - rest.mean() + welch_half))
    )


def test_no_difference_is_not_flagged():
    table = make_table({"A": 40, "B": 40, "C": 40}, {}, seed=11)
    out = compare_groups(table, "st_understand", "department")
    assert out.visible.all()
    assert not out.significant.any()
    assert (out.p_holm >= out.p_value).all()


def test_privacy_is_checked_on_people_who_answered():
    table = make_table({"A": 30, "B": 30}, {})
    # Only 3 people in B answered eNPS: B's eNPS is hidden, its Likert mean is not.
    b_rows = table.index[table.department == "B"]
    table.loc[b_rows[3:], "enps"] = np.nan
    out = compare_groups(table, ["st_understand", "enps"], "department")
    shown = out.set_index(["measure", "department"]).visible
    assert shown[("st_understand", "B")]
    assert not shown[("enps", "B")]
    # and A's eNPS must go too: company - A would be B's three answers.
    assert not shown[("enps", "A")]
    # A hidden group's size is a figure too: it is not given out either.
    sizes = out.set_index(["measure", "department"])["n"]
    assert sizes[("st_understand", "B")] == 30
    assert pd.isna(sizes[("enps", "B")]) and pd.isna(sizes[("enps", "A")])


@pytest.mark.parametrize("segment", SEGMENT_COLUMNS)
def test_any_segment_works(segment):
    table = make_table({"A": 30, "B": 25}, {"A": 0.5})
    out = compare_groups(table, "st_understand", segment)
    expected = table.groupby(segment).st_understand.agg(["mean", "size"])
    got = out.set_index(segment)
    assert sorted(got.index) == sorted(expected.index)
    for group, ref in expected.iterrows():
        if got.loc[group, "visible"]:
            assert got.loc[group, "mean"] == pytest.approx(ref["mean"])
        assert got.loc[group, "n"] == ref["size"]


def test_two_segments_cross_cells():
    table = make_table({"A": 40, "B": 40}, {})
    out = compare_groups(table, "st_understand", ["department", "tenure_band"])
    assert len(out) == 8
    assert out[["department", "tenure_band"]].notna().all().all()
    assert (out.n == 10).all()


def test_company_too_small_hides_everything():
    table = make_table({"A": 2, "B": 2}, {})
    out = compare_groups(table, "st_understand", "department")
    assert not out.visible.any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"value": "nope", "by": "department"}, "no column 'nope'"),
        ({"value": "department", "by": "team"}, "need numbers"),
        ({"value": "st_understand", "by": "division"}, "'division' not in the responses table"),
        ({"value": "st_understand", "by": "department", "confidence": 95}, "between 0 and 1"),
    ],
)
def test_bad_arguments(kwargs, message):
    table = make_table({"A": 10}, {})
    with pytest.raises(ValueError, match=message):
        compare_groups(table, **kwargs)


def test_change_since_previous_company_and_groups():
    previous = make_table({"Ops": 40, "Sales": 40}, {}, seed=1)
    current = make_table({"Ops": 45, "Sales": 40, "New": 12}, {"Ops": 1.0}, seed=2)
    overall = change_since_previous(current, previous, "st_understand")
    assert len(overall) == 1
    ref = stats.ttest_ind(current.st_understand, previous.st_understand, equal_var=False)
    assert overall.p_value[0] == pytest.approx(ref.pvalue)
    assert overall.change[0] == pytest.approx(
        current.st_understand.mean() - previous.st_understand.mean()
    )
    out = change_since_previous(current, previous, "st_understand", by="department")
    rows = out.set_index("department")
    assert rows.loc["New", "reason"] == "not in the previous pulse"
    assert not rows.loc["New", "visible"]
    assert rows.loc["Ops", "significant"] and rows.loc["Ops", "change"] > 0
    assert rows.loc["Ops", "ci_low"] > 0
    assert rows.loc["Ops", "previous_n"] == 40 and rows.loc["Ops", "current_n"] == 45
    ci = stats.ttest_ind(
        current[current.department == "Sales"].st_understand,
        previous[previous.department == "Sales"].st_understand,
        equal_var=False,
    ).confidence_interval(0.95)
    assert (rows.loc["Sales", "ci_low"], rows.loc["Sales", "ci_high"]) == pytest.approx(
        (ci.low, ci.high)
    )


def test_change_needs_the_group_visible_in_both_pulses():
    previous = make_table({"Ops": 40, "Sales": 4}, {}, seed=1)
    current = make_table({"Ops": 40, "Sales": 30}, {}, seed=2)
    out = change_since_previous(
        current, previous, "st_understand", by="department", policy=PrivacyPolicy()
    ).set_index("department")
    assert not out.loc["Sales", "visible"]
    assert out.loc["Sales", "reason"] == "in the previous pulse: fewer than 5 respondents"
    assert np.isnan(out.loc["Sales", "current_mean"])
    # Ops is the complement of Sales in the previous pulse, so it is hidden there too.
    assert not out.loc["Ops", "visible"]
    # Sizes of hidden groups stay hidden; a visible side's size is shown.
    assert pd.isna(out.loc["Sales", "previous_n"]) and out.loc["Sales", "current_n"] == 30


def test_team_breakdown_cannot_be_differenced_from_the_department_breakdown():
    """Regression (QA of issue 3): on the demo, `--by team` showed three of
    Customer Service's four teams and `--by department` showed Customer Service,
    so the hidden team of 2 was the department minus its visible teams."""
    table = make_table({"CS": 30, "Ops": 40}, {})
    teams = ["CS-big"] * 20 + ["CS-mid"] * 8 + ["CS-tiny"] * 2 + ["Ops-a"] * 34 + ["Ops-b"] * 6
    table["team"] = teams
    by_team = compare_groups(table, "st_understand", "team").set_index("team")
    by_dept = compare_groups(table, "st_understand", "department").set_index("department")
    assert by_dept.loc["CS", "visible"]
    assert not by_team.loc["CS-tiny", "visible"]
    hidden_in_cs = table.team.str.startswith("CS") & ~table.team.map(by_team["visible"])
    assert hidden_in_cs.sum() >= 5  # CS minus its visible teams is not a small group
    assert not by_team.loc["CS-mid", "visible"]
    assert "complement" in by_team.loc["CS-mid", "reason"]
    assert by_team.loc["Ops-b", "visible"]  # the company-wide complement is covered by CS-mid


def test_two_way_cells_are_checked_against_both_margins():
    table = make_table({"A": 40, "B": 6}, {})  # B's cells have 1-2 people
    cells = compare_groups(table, "st_understand", ["department", "tenure_band"])
    assert not cells.visible.all()
    bands = compare_groups(table, "st_understand", "tenure_band").set_index("tenure_band")
    # every visible band minus its visible cells leaves 0 or at least 5 people
    for band, group in cells.groupby("tenure_band"):
        if bands.loc[band, "visible"]:
            shown = group.loc[group.visible, "n"].sum()
            left = bands.loc[band, "n"] - shown
            assert left == 0 or left >= 5, (band, left)


def _holm_by_definition(p):
    """Holm (1979), term by term: the i-th smallest p-value's adjusted value
    is the largest (m - j + 1) p(j), j <= i, capped at 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    m = len(p)
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order, start=1):
        running = max(running, min(1.0, (m - rank + 1) * p[i]))
        out[i] = running
    return out


@pytest.mark.parametrize("m", [1, 2, 3, 7, 40])
def test_holm_matches_its_definition_with_ties_and_gaps(m):
    """Issue 11 replaced statsmodels' multipletests (a gc.collect per call)
    by a numpy Holm; it must give the same adjusted values, ties included."""
    rng = np.random.default_rng(m)
    for _ in range(25):
        p = rng.random(m) ** 3
        p[rng.random(m) < 0.3] = p[0]  # ties
        gaps = rng.random(m) < 0.2
        with_gaps = np.where(gaps, np.nan, p)
        got = holm(with_gaps)
        assert np.isnan(got[gaps]).all()
        finite = list(p[~gaps])
        assert got[~gaps] == pytest.approx(_holm_by_definition(finite), abs=1e-15)
    assert holm([]).shape == (0,)
