"""Privacy rules: minimum sizes, no differencing, no complements.

The property test builds random organisations (departments, teams nested in
them, tenure bands, tiny groups, people with missing segments), shows random
combinations of breakdowns, and checks the guarantees of docs/privacy.md on
whatever :func:`protect` decides, by brute force over the masks.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.privacy import (
    PrivacyPolicy,
    Visibility,
    comments_visible,
    protect,
    protect_table,
    segment_groups,
)

ALL = np.ones


def labels(*sizes):
    """A partition of sum(sizes) respondents: label i repeated sizes[i] times."""
    return np.repeat(np.arange(len(sizes)), sizes)


# --- the policy -----------------------------------------------------------------


def test_policy_defaults():
    policy = PrivacyPolicy()
    assert (policy.min_group, policy.min_comments) == (5, 10)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_group": 2}, "never be below 3"),
        ({"min_group": 0}, "never be below 3"),
        ({"min_group": 6, "min_comments": 5}, "at least min_group"),
        ({"min_group": 5.0}, "whole number"),
        ({"min_comments": True}, "whole number"),
    ],
)
def test_policy_rejects_unsafe_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PrivacyPolicy(**kwargs)


def test_policy_of_three_is_allowed():
    assert PrivacyPolicy(min_group=3, min_comments=3).min_group == 3


def test_comments_need_min_comments():
    assert comments_visible(10) == Visibility(True, 10, "")
    hidden = comments_visible(9)
    assert not hidden.visible and hidden.reason == "fewer than 10 respondents commented"
    assert comments_visible(6, PrivacyPolicy(min_group=3, min_comments=6)).visible
    with pytest.raises(ValueError, match="negative"):
        comments_visible(-1)


# --- example-based rules --------------------------------------------------------------


def test_small_and_empty_groups_are_hidden_with_reasons():
    dept = labels(6, 4)
    groups = {"company": ALL(10, bool), "A": dept == 0, "B": dept == 1, "C": np.zeros(10, bool)}
    result = protect(groups)
    assert result["company"] == Visibility(True, 10, "")
    assert result["B"] == Visibility(False, 4, "fewer than 5 respondents")
    assert result["C"] == Visibility(False, 0, "no respondents")
    # A alone would give B away as company - A: it goes too.
    assert not result["A"].visible
    assert result["A"].reason == (
        "suppressed so that a group cannot be worked out as the complement "
        "of the other groups of this partition"
    )


def test_nested_difference_hides_the_smaller_group():
    team = np.arange(12) < 10
    result = protect({"Operations": ALL(12, bool), "Night shift": team})
    assert result["Operations"].visible
    assert result["Night shift"] == Visibility(
        False,
        10,
        "suppressed so that a smaller group cannot be worked out by subtracting it from Operations",
    )


def test_nested_difference_of_at_least_the_minimum_is_fine():
    team = np.arange(15) < 10
    result = protect({"Operations": ALL(15, bool), "Night shift": team})
    assert all(v.visible for v in result.values())


def test_nesting_is_found_by_members_not_names():
    # "Zeta" is inside "Alpha" although nothing in the names says so.
    alpha = np.arange(20) < 13
    zeta = np.arange(20) < 10
    result = protect({"company": ALL(20, bool), "Alpha": alpha, "Zeta": zeta})
    assert result["Alpha"].visible and not result["Zeta"].visible
    assert "subtracting it from Alpha" in result["Zeta"].reason


def test_complement_hides_the_next_smallest_and_iterates():
    # Company 40 = 12 + 11 + 9 + 6 + 2. D4 (2) is too small; then D3 (6) must
    # go so that company - rest does not give D4; 6 + 2 = 8 >= 5 settles it.
    dept = labels(12, 11, 9, 6, 2)
    groups = {"company": ALL(40, bool)} | {f"D{i}": dept == i for i in range(5)}
    result = protect(groups)
    hidden = sorted(k for k, v in result.items() if not v.visible)
    assert hidden == ["D3", "D4"]
    assert result["D3"].reason.startswith("suppressed so that a group cannot be worked out")


def test_iteration_reaches_a_fixed_point_across_levels():
    # Department A (20) = teams of 9, 7, 4. The team of 4 is hidden, so the
    # team of 7 is hidden too (complement within A). A itself is inside the
    # company with B (8); company - A = B, which is shown and fine.
    dept = labels(20, 8)
    team = np.array([0] * 9 + [1] * 7 + [2] * 4 + [-1] * 8)
    groups = {
        "company": ALL(28, bool),
        "A": dept == 0,
        "B": dept == 1,
        "A/t0": team == 0,
        "A/t1": team == 1,
        "A/t2": team == 2,
    }
    result = protect(groups)
    assert [k for k, v in result.items() if not v.visible] == ["A/t1", "A/t2"]


def test_people_without_a_segment_count_in_the_complement():
    # 8 in Sales, 3 with no department: Sales shown beside the company would
    # give the 3 away, so Sales is hidden.
    department = ["Sales"] * 8 + [None] * 3
    table = protect_table(pd.DataFrame({"department": department}), "department")
    sales = table[table.department == "Sales"].iloc[0]
    assert not sales.visible
    assert "subtracting it from the whole company" in sales.reason
    # With 5 unassigned, the remainder is large enough.
    department = ["Sales"] * 8 + [None] * 5
    table = protect_table(pd.DataFrame({"department": department}), "department")
    assert table.visible.all()


def test_overlapping_groups_cannot_be_combined_to_isolate_a_few():
    # A and B overlap in 3 people. Showing A, B and their union would give the
    # overlap as |A| + |B| - |A or B|: no disjoint family does that, the
    # combination rule catches it.
    a = np.array([1] * 10 + [1] * 3 + [0] * 10, bool)
    b = np.array([0] * 10 + [1] * 3 + [1] * 10, bool)
    overlap = a & b
    groups = {"A or B": a | b, "A": a, "B": b, "A and B": overlap}
    result = protect(groups)
    assert not result["A and B"].visible
    shown = [k for k, v in result.items() if v.visible]
    assert shown, "something can still be shown"
    assert not _in_span([groups[k] for k in shown], overlap)
    assert any(
        v.reason.startswith("suppressed so that a smaller group cannot be worked out by adding")
        for v in result.values()
    )


def test_two_way_table_with_margins_protects_inner_cells():
    # department x tenure with both margins and the company: a lone small cell
    # must not be recoverable from the margins and the other cells.
    rng = np.random.default_rng(7)
    dept = rng.integers(0, 3, 90)
    tenure = rng.integers(0, 3, 90)
    dept[:3], tenure[:3] = 0, 0
    dept[3:][(dept[3:] == 0) & (tenure[3:] == 0)] = 1
    groups = {"company": ALL(90, bool)}
    groups |= {f"d{i}": dept == i for i in range(3)}
    groups |= {f"t{j}": tenure == j for j in range(3)}
    groups |= {f"d{i}t{j}": (dept == i) & (tenure == j) for i in range(3) for j in range(3)}
    result = protect(groups)
    assert result["d0t0"] == Visibility(False, 3, "fewer than 5 respondents")
    shown = [groups[k] for k, v in result.items() if v.visible]
    assert not _in_span(shown, groups["d0t0"])


def test_identical_groups_share_their_fate():
    team = np.arange(12) < 10
    result = protect({"company": ALL(12, bool), "team": team, "same team": team.copy()})
    assert result["team"] == result["same team"]


def test_min_size_overrides_and_is_floored():
    dept = labels(8, 8)
    groups = {"A": dept == 0, "B": dept == 1}
    assert all(v.visible for v in protect(groups).values())
    assert not any(v.visible for v in protect(groups, min_size=10).values())
    with pytest.raises(ValueError, match="never be below 3"):
        protect(groups, min_size=2)


@pytest.mark.parametrize(
    "groups, message",
    [
        ({"a": np.ones(5, bool), "b": np.ones(6, bool)}, "'b': its mask covers 6"),
        ({"a": np.ones((2, 2), bool)}, "one-dimensional"),
        ({"a": np.array([0, 2, 1])}, "must hold booleans"),
    ],
)
def test_bad_masks_are_named(groups, message):
    with pytest.raises(ValueError, match=message):
        protect(groups)


def test_segment_groups_and_protect_table_shape():
    df = pd.DataFrame(
        {
            "department": ["Ops"] * 7 + ["Sales"] * 6 + [None],
            "team": ["Day"] * 4 + ["Night"] * 3 + ["East"] * 6 + ["Day"],
        }
    )
    groups = segment_groups(df, ["department", "team"])
    assert list(groups) == [
        (),
        (("department", "Ops"),),
        (("department", "Sales"),),
        (("department", "Ops"), ("team", "Day")),
        (("department", "Ops"), ("team", "Night")),
        (("department", "Sales"), ("team", "East")),
    ]
    table = protect_table(df, ["department", "team"])
    assert list(table.columns) == ["level", "department", "team", "n", "visible", "reason"]
    assert table.n.tolist() == [14, 7, 6, 4, 3, 6]
    # Ops teams (4, 3) are too small. Company - Ops - Sales is the one
    # person without a department, so Sales (the smaller) goes, and
    # Sales/East with it (same people).
    assert table.visible.tolist() == [True, True, False, False, False, False]
    assert table.reason[2] == table.reason[5] != ""
    with pytest.raises(ValueError, match="'tenure' not in the responses table"):
        segment_groups(df, ["tenure"])


# --- property-based ----------------------------------------------------------------


def _in_span(masks, target) -> bool:
    """Is ``target`` a linear combination of ``masks``? (rank test)"""
    if not masks:
        return False
    m = np.vstack(masks).astype(float)
    with_target = np.vstack([m, np.asarray(target, float)])
    return np.linalg.matrix_rank(with_target) == np.linalg.matrix_rank(m)


@st.composite
def organisations(draw):
    n = draw(st.integers(min_value=0, max_value=70))
    n_depts = draw(st.integers(1, 4))
    n_teams = draw(st.integers(1, 3))
    n_bands = draw(st.integers(1, 3))
    people = draw(
        st.lists(
            st.tuples(
                st.one_of(st.none(), st.integers(0, n_depts - 1)),
                st.one_of(st.none(), st.integers(0, n_teams - 1)),
                st.one_of(st.none(), st.integers(0, n_bands - 1)),
            ),
            min_size=n,
            max_size=n,
        )
    )
    # Some organisations have a dominant department so tiny ones are common.
    dept = np.array([-1 if d is None else d for d, _, _ in people], dtype=int).reshape(-1)
    team = np.array(
        [-1 if d is None or t is None else d * 10 + t for d, t, _ in people], dtype=int
    ).reshape(-1)
    band = np.array([-1 if b is None else b for *_, b in people], dtype=int).reshape(-1)
    shown = draw(
        st.fixed_dictionaries(
            {
                "company": st.booleans(),
                "departments": st.booleans(),
                "teams": st.booleans(),
                "bands": st.booleans(),
                "cells": st.booleans(),
            }
        )
    )
    k = draw(st.sampled_from([3, 4, 5]))
    seed = draw(st.integers(0, 2**16))
    return n, dept, team, band, shown, k, seed


def _build(n, dept, team, band, shown):
    groups = {}
    partitions = []  # (parent key, [child keys])
    if shown["company"]:
        groups["company"] = np.ones(n, bool)
    depts = sorted(set(dept[dept >= 0].tolist()))
    bands = sorted(set(band[band >= 0].tolist()))
    if shown["departments"]:
        for d in depts:
            groups[("dept", d)] = dept == d
        partitions.append(("company", [("dept", d) for d in depts]))
    if shown["bands"]:
        for b in bands:
            groups[("band", b)] = band == b
        partitions.append(("company", [("band", b) for b in bands]))
    if shown["teams"]:
        for t in sorted(set(team[team >= 0].tolist())):
            groups[("team", t)] = team == t
        for d in depts:
            teams = sorted(set(team[(dept == d) & (team >= 0)].tolist()))
            partitions.append((("dept", d), [("team", t) for t in teams]))
    if shown["cells"]:
        for d in depts:
            for b in bands:
                groups[("cell", d, b)] = (dept == d) & (band == b)
        for d in depts:
            partitions.append((("dept", d), [("cell", d, b) for b in bands]))
        for b in bands:
            partitions.append((("band", b), [("cell", d, b) for d in depts]))
    return groups, partitions


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organisations())
def test_protect_guarantees_on_random_organisations(org):
    n, dept, team, band, shown, k, seed = org
    groups, partitions = _build(n, dept, team, band, shown)
    result = protect(groups, PrivacyPolicy(min_group=k, min_comments=k))
    assert set(result) == set(groups)
    visible = [key for key, v in result.items() if v.visible]
    size = {key: int(mask.sum()) for key, mask in groups.items()}
    for key, v in result.items():
        assert v.n == size[key]
        assert v.visible == (v.reason == "")

    # 1. Every visible group has at least k respondents.
    assert all(size[key] >= k for key in visible)

    # 2. Nested visible groups differ by 0 or at least k.
    for outer in visible:
        for inner in visible:
            a, b = groups[outer], groups[inner]
            if outer != inner and not (b & ~a).any():
                diff = int((a & ~b).sum())
                assert diff == 0 or diff >= k, (outer, inner, diff)

    # 3. In every partition under a visible parent, what the visible siblings
    #    leave of the parent (suppressed siblings plus people in none of them)
    #    is 0 or at least k; so the suppressed siblings alone, when the
    #    siblings cover the parent, number 0 or at least k.
    for parent, children in partitions:
        if parent not in groups or not result[parent].visible:
            continue
        shown_children = [c for c in children if result[c].visible]
        covered = np.zeros(n, bool)
        for c in shown_children:
            covered |= groups[c]
        remainder = int((groups[parent] & ~covered).sum())
        assert remainder == 0 or remainder >= k, (parent, remainder)
        suppressed = sum(size[c] for c in children if not result[c].visible)
        union = np.zeros(n, bool)
        for c in children:
            union |= groups[c]
        if (union == groups[parent]).all():
            assert suppressed == 0 or suppressed >= k

    # 4. The generalised complement: any family of disjoint visible groups
    #    inside a visible parent (random greedy families) leaves 0 or >= k.
    rng = random.Random(seed)
    for parent in visible:
        inside = [
            c for c in visible
            if c != parent and not (groups[c] & ~groups[parent]).any()
        ]
        for _ in range(5):
            rng.shuffle(inside)
            covered = np.zeros(n, bool)
            for c in inside:
                if not (groups[c] & covered).any():
                    covered |= groups[c]
            remainder = int((groups[parent] & ~covered).sum())
            assert remainder == 0 or remainder >= k, (parent, remainder)

    # 5. No hidden group below k can be computed from the visible ones.
    shown_masks = [groups[key] for key in visible]
    for key, v in result.items():
        if not v.visible and 0 < v.n < k:
            assert not _in_span(shown_masks, groups[key]), key


@settings(max_examples=30, deadline=None)
@given(organisations())
def test_protect_is_deterministic(org):
    n, dept, team, band, shown, k, _ = org
    groups, _ = _build(n, dept, team, band, shown)
    policy = PrivacyPolicy(min_group=k, min_comments=k)
    assert protect(groups, policy) == protect(dict(groups), policy)


@pytest.mark.parametrize("shape", [(6, 9), (12, 100_000), (100_000, 12), (300, 70), (4, 1), (1, 64), (5, 65)])
def test_unique_rows_is_numpys_unique_in_the_same_order(shape):
    """protect's distinct groups and atoms come from unique_rows (issue 11,
    bit-packed for speed); the rules visit groups in its order, so it must
    be np.unique(axis=0)'s, rows, first indices, inverse and counts alike."""
    from analysis.privacy_search import unique_rows

    rng = np.random.default_rng(sum(shape))
    m = rng.random(shape) < 0.3
    m[::3] = m[0]  # repeated rows
    want = np.unique(m, axis=0, return_index=True, return_inverse=True, return_counts=True)
    got = unique_rows(m, return_index=True, return_inverse=True, return_counts=True)
    for a, b in zip(want, got):
        assert np.array_equal(np.asarray(a).reshape(b.shape), b)
    assert np.array_equal(unique_rows(m), want[0])
    rows, counts = unique_rows(m, return_counts=True)
    assert np.array_equal(rows, want[0]) and np.array_equal(counts, want[3])
    floats = m.astype(float)  # not boolean: np.unique itself answers
    assert np.array_equal(unique_rows(floats), np.unique(floats, axis=0))
