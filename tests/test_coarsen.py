"""Merging small reporting groups (analysis.coarsen): the rule of docs/privacy.md."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.coarsen import (
    CATCH_ALL,
    coarsen_frame,
    leaders_and_staff,
    merge_plan,
    place,
    role_tiers,
    safe_rows,
)
from analysis.instrument import DEFAULT_LEADERSHIP_LEVELS, ROLE_LEVELS

BREAKDOWNS = ["department", "role_level"]
TIERS = role_tiers(DEFAULT_LEADERSHIP_LEVELS)


def stored_sizes(counts, plan):
    sizes = Counter()
    for combination, n in counts.items():
        sizes[plan[combination]] += n
    return sizes


organisations = st.dictionaries(
    st.tuples(st.sampled_from(["Sales", "Ops", "Legal", "HR", "Finance", "Other departments"]),
              st.sampled_from(list(ROLE_LEVELS) + [None])),
    st.integers(min_value=1, max_value=14),
    min_size=1,
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(counts=organisations, k=st.integers(min_value=3, max_value=10), tiered=st.booleans())
def test_every_stored_combination_is_held_by_at_least_k(counts, k, tiered):
    plan = merge_plan(counts, BREAKDOWNS, k, tiers=TIERS if tiered else None)
    assert set(plan) == set(counts)
    sizes = stored_sizes(counts, plan)
    if sum(counts.values()) >= k:
        assert min(sizes.values()) >= k, sizes
    else:
        assert len(sizes) == 1  # everyone together is too few: one catch-all
    # Merging is a partition: nobody is lost or counted twice.
    assert sum(sizes.values()) == sum(counts.values())


@settings(max_examples=200, deadline=None)
@given(counts=organisations)
def test_a_value_big_enough_on_its_own_is_only_merged_to_rescue_a_catch_all(counts):
    plan = merge_plan(counts, BREAKDOWNS, 5)
    department_sizes = Counter()
    for (department, _), n in counts.items():
        department_sizes[department] += n
    merged = {d for (d, _), target in plan.items() if target[0] != d}
    kept_small = [d for d in department_sizes if department_sizes[d] < 5 and d not in merged
                  and d != CATCH_ALL["department"]]
    assert kept_small == []
    # A department of 5 or more is kept unless the catch-all needed it.
    catch_all_raw = sum(department_sizes[d] for d in merged if department_sizes[d] < 5)
    for department in merged:
        if department_sizes[department] >= 5:
            assert catch_all_raw < 5


def test_the_last_breakdown_is_merged_first_then_the_department():
    counts = {("Sales", "staff"): 9, ("Sales", "manager"): 5, ("Sales", "executive"): 1,
              ("Legal", "staff"): 2, ("HR", "staff"): 3}
    plan = merge_plan(counts, BREAKDOWNS, 5)
    assert plan[("Sales", "staff")] == ("Sales", "staff")
    # (Sales, executive) is one person: merged, with its smallest neighbour
    # so that the catch-all reaches five.
    assert plan[("Sales", "executive")] == ("Sales", "Other role levels")
    assert plan[("Sales", "manager")] == ("Sales", "Other role levels")
    # Legal and HR are too small as departments: together they are five.
    assert plan[("Legal", "staff")] == plan[("HR", "staff")] == ("Other departments", "staff")


def test_leaders_are_merged_with_leaders_not_with_staff():
    counts = {("Ops", "staff"): 20, ("Ops", "manager"): 3, ("Ops", "director"): 1,
              ("Ops", "executive"): 1, ("Ops", "team_lead"): 2}
    plan = merge_plan(counts, BREAKDOWNS, 5, tiers=TIERS)
    assert plan[("Ops", "manager")] == plan[("Ops", "executive")] == ("Ops", "Other leadership levels")
    assert plan[("Ops", "staff")] == ("Ops", "Other staff levels")
    assert plan[("Ops", "team_lead")] == ("Ops", "Other staff levels")
    # Without tiers the five leaders would pool with the team leads.
    untiered = merge_plan(counts, BREAKDOWNS, 5)
    assert untiered[("Ops", "manager")] == untiered[("Ops", "team_lead")]


def test_a_tier_too_small_on_its_own_mixes_with_the_other():
    counts = {("Ops", "staff"): 20, ("Ops", "manager"): 2}
    plan = merge_plan(counts, BREAKDOWNS, 5, tiers=TIERS)
    assert plan[("Ops", "manager")] == plan[("Ops", "staff")] == ("Ops", "Other role levels")


def test_a_stored_catch_all_takes_newcomers_instead_of_absorbing_a_real_value():
    # People merged at an earlier import are already "Other role levels".
    counts = {("Sales", "staff"): 5, ("Sales", "Other role levels"): 6, ("Sales", "executive"): 1}
    plan = merge_plan(counts, BREAKDOWNS, 5)
    assert plan[("Sales", "executive")] == ("Sales", "Other role levels")
    assert plan[("Sales", "staff")] == ("Sales", "staff")


def test_merge_plan_is_deterministic_whatever_the_input_order():
    counts = {("B", "staff"): 2, ("A", "staff"): 2, ("C", "staff"): 2, ("D", "staff"): 7}
    reversed_counts = dict(reversed(list(counts.items())))
    assert merge_plan(counts, BREAKDOWNS, 5) == merge_plan(reversed_counts, BREAKDOWNS, 5)


def test_combinations_must_have_one_value_per_breakdown():
    with pytest.raises(ValueError, match="one value per breakdown"):
        merge_plan({("Sales",): 5}, BREAKDOWNS, 5)


def test_place_keeps_stored_values_and_not_given():
    stored = [("Sales", "staff"), ("Sales", "Other role levels"), ("Ops", "staff")]
    assert place(("Sales", "staff"), stored, BREAKDOWNS) == ("Sales", "staff")
    assert place(("Sales", "director"), stored, BREAKDOWNS) == ("Sales", "Other role levels")
    assert place(("Legal", "staff"), stored, BREAKDOWNS) == ("Other departments", "Other role levels")
    assert place((None, None), stored, BREAKDOWNS) == (None, None)


def test_coarsen_frame_counts_the_rows_themselves():
    table = pd.DataFrame({"department": ["A"] * 6 + ["B"] * 3 + ["C"] * 2, "x": range(11)})
    out = coarsen_frame(table, ["department"], 5)
    assert Counter(out["department"]) == {"A": 6, "Other departments": 5}
    assert out["x"].tolist() == list(range(11))  # other columns untouched, order kept


def test_leaders_and_staff_count_merged_tiers_and_not_mixed_groups():
    roles = pd.Series(["manager", "Other leadership levels", "staff", "Other staff levels",
                       "Other role levels", None])
    leaders, staff = leaders_and_staff(roles, DEFAULT_LEADERSHIP_LEVELS)
    assert leaders.tolist() == [True, True, False, False, False, False]
    assert staff.tolist() == [False, False, True, True, False, False]


def test_safe_rows_keeps_comments_only_in_groups_of_ten():
    # 12 in Sales (group of 12), 6 in Legal (group of 6): Legal's comments
    # must leave their rows; their scores stay.
    table = pd.DataFrame({
        "department": ["Sales"] * 12 + ["Legal"] * 6,
        "team": ["t"] * 18,
        "tenure_band": [None] * 18,
        "role_level": ["staff"] * 18,
        "enps": range(18),
        "c_other": [f"comment {i}, call jane.doe@acme.test" for i in range(18)],
    })
    safe = safe_rows(table, ["department", "role_level"], ["c_other"])
    rows, apart = safe.rows, safe.comments
    assert rows["team"].isna().all()  # not a breakdown
    assert Counter(rows["department"]) == {"Sales": 12, "Legal": 6}
    assert rows.loc[rows["department"] == "Legal", "c_other"].isna().all()
    assert rows.loc[rows["department"] == "Sales", "c_other"].notna().all()
    assert rows["enps"].tolist() == list(range(18))
    assert len(apart) == 6 and set(apart["item"]) == {"c_other"}
    # Apart, the comments carry a group of at least ten: everyone here.
    assert set(apart["department"]) == {"Other departments"}
    assert all("[email]" in t and "acme.test" not in t for t in rows["c_other"].dropna())
    assert all("[email]" in t for t in apart["text"])
    assert apart["text"].tolist() == sorted(apart["text"])  # order says nothing


def test_safe_rows_releases_no_comment_when_fewer_than_ten_answered():
    table = pd.DataFrame({"department": ["Sales"] * 7, "team": None, "tenure_band": None,
                          "role_level": None, "c_other": ["hello"] * 7})
    safe = safe_rows(table, ["department"], ["c_other"])
    assert safe.rows["c_other"].isna().all() and safe.comments.empty
