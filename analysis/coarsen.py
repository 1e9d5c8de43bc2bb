"""Merging small reporting groups, so no stored or shown combination is rare.

Hiding small groups in reports is not enough when the rows themselves are
seen: whoever knows everyone's department and role level can join a stored
response to the one person whose combination it carries. So the values kept
with invitations, responses and export rows are *coarsened* until every
combination is held by at least ``k`` people. The survey app applies the rule
to invitations at import (``k = min_group`` invitations); exports and the
analysis loader apply it to responses (``k = min_group`` respondents, and
``min_comments`` for groups in which someone wrote a comment), so an export
and the database give the same table.

The rule, top-down over the breakdowns in their order (documented with its
reasoning in ``docs/privacy.md``): within each group already decided, the
values of the next breakdown held by at least ``k`` are kept; the others
become that breakdown's catch-all ("Other role levels" within Sales). A
catch-all still under ``k`` absorbs the smallest kept value, again and again,
until it reaches ``k`` or nothing is left to absorb. A value is therefore
merged only when the values below it cannot reach ``k`` on their own: the
last breakdown is coarsened first, the department only when its whole
department is too small ("Other departments"). Counting each value alone is
not enough, since Sales may have 40 people and (Sales, executive) only one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .instrument import DEFAULT_LEADERSHIP_LEVELS, ROLE_LEVELS

#: The value a merged group is stored and shown under, per breakdown. It is a
#: value like any other (never "not given"), so a form does not ask for it.
CATCH_ALL = {
    "department": "Other departments",
    "team": "Other teams",
    "tenure_band": "Other tenure bands",
    "role_level": "Other role levels",
}

Combination = tuple[Hashable, ...]


def catch_all(breakdown: str) -> str:
    """The catch-all value of one breakdown ("Other departments").

    >>> catch_all("role_level")
    'Other role levels'
    """
    return CATCH_ALL.get(breakdown, f"Other {breakdown.replace('_', ' ')}s")


def tier_catch_all(tier: str) -> str:
    """The catch-all of one tier of a breakdown ("Other leadership levels").

    >>> tier_catch_all("staff")
    'Other staff levels'
    """
    return f"Other {tier} levels"


#: Role-level values that count as leadership whatever a pulse's own
#: leadership levels: the tier catch-all of leaders.
LEADERSHIP_TIER = "leadership"
STAFF_TIER = "staff"


def role_tiers(leadership_levels: Sequence[str]) -> dict[str, Callable[[Hashable], str]]:
    """Tiers for :func:`merge_plan`: role levels split into leadership and staff.

    The leaders-vs-staff comparison needs to know who leads even where each
    leadership level of a department is too small to keep on its own.

    >>> tier = role_tiers(["manager", "director", "executive"])["role_level"]
    >>> tier("director"), tier("team_lead")
    ('leadership', 'staff')
    """
    leaders = set(leadership_levels) | {tier_catch_all(LEADERSHIP_TIER)}
    return {"role_level": lambda v: LEADERSHIP_TIER if v in leaders else STAFF_TIER}


def leaders_and_staff(role_level: pd.Series, leadership_levels: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """Who counts as a leader and who as staff, merged role levels included.

    "Other leadership levels" are leaders and "Other staff levels" staff; a
    mixed "Other role levels" and a missing role level are neither, since
    counting them either way would blur the gap being measured.

    >>> roles = pd.Series(["manager", "Other leadership levels", "staff", "Other role levels"])
    >>> leaders, staff = leaders_and_staff(roles, ["manager", "director", "executive"])
    >>> leaders.tolist(), staff.tolist()
    ([True, True, False, False], [False, False, True, False])
    """
    leaders = role_level.isin(set(leadership_levels) | {tier_catch_all(LEADERSHIP_TIER)})
    staff_levels = {lv for lv in ROLE_LEVELS if lv not in leadership_levels}
    staff = role_level.isin(staff_levels | {tier_catch_all(STAFF_TIER)})
    return leaders, staff


#: Role-level values a stored response may carry besides the role levels.
MERGED_ROLE_LEVELS = (
    tier_catch_all(LEADERSHIP_TIER),
    tier_catch_all(STAFF_TIER),
    CATCH_ALL["role_level"],
)


def _sort_key(value) -> tuple[int, str]:
    # None (not given) sorts first, everything else by its text: deterministic
    # across processes, unlike set order.
    return (0, "") if value is None else (1, str(value))


def merge_plan(
    counts: Mapping[Combination, int],
    breakdowns: Sequence[str],
    k: int,
    *,
    tiers: Mapping[str, Callable[[Hashable], str]] | None = None,
) -> dict[Combination, Combination]:
    """Map every combination to the one it is stored under.

    Parameters
    ----------
    counts : mapping of tuple to int
        How many people (invitations or responses) hold each combination of
        ``breakdowns`` values (``None`` for not given, which is a value here).
    breakdowns : sequence of str
        The breakdown names, in coarsening order (department first).
    k : int
        Fewest people any stored combination may hold.
    tiers : mapping, optional
        Per breakdown, a function giving each value's tier (e.g.
        :func:`role_tiers`: leadership or staff). Small values then pool
        within their tier ("Other leadership levels"), and a tier mixes with
        another only when it is too small on its own.

    Returns
    -------
    dict
        Raw combination -> stored combination. When everyone together is
        fewer than ``k``, all of them share one catch-all
        combination: nothing finer can be said of them.

    Examples
    --------
    >>> plan = merge_plan({("Sales", "staff"): 9, ("Sales", "manager"): 5,
    ...                    ("Sales", "executive"): 1, ("Legal", "staff"): 2,
    ...                    ("HR", "staff"): 3}, ["department", "role_level"], 5)
    >>> plan[("Sales", "staff")], plan[("Sales", "executive")], plan[("Sales", "manager")]
    (('Sales', 'staff'), ('Sales', 'Other role levels'), ('Sales', 'Other role levels'))
    >>> plan[("Legal", "staff")]
    ('Other departments', 'staff')
    """
    width = len(breakdowns)
    for combo in counts:
        if len(combo) != width:
            raise ValueError(f"combination {combo!r} does not have one value per breakdown {tuple(breakdowns)}")
    plan: dict[Combination, Combination] = {}

    def decide(combos: list[Combination], level: int, prefix: Combination) -> None:
        if level == width:
            for combo in combos:
                plan[combo] = prefix
            return
        members: dict[Hashable, list[Combination]] = {}
        for combo in combos:
            members.setdefault(combo[level], []).append(combo)

        def total(values) -> int:
            return sum(counts[c] for v in values for c in members[v])

        def small(values) -> bool:
            return 0 < total(values) < k

        def choose(values: list, other: str) -> dict:
            """Value -> stored value: keep those big enough, pool the rest."""
            # A catch-all already stored (people merged at an earlier import)
            # is where newcomers of small values go, not a value of its own.
            kept = sorted((v for v in values if v != other and not small([v])), key=_sort_key)
            merged = [v for v in values if v not in kept]
            while merged and small(merged) and kept:
                smallest = min(kept, key=lambda v: (total([v]), _sort_key(v)))
                kept.remove(smallest)
                merged.append(smallest)
            return {**{v: v for v in kept}, **{v: other for v in merged}}

        breakdown = breakdowns[level]
        tier_of = (tiers or {}).get(breakdown)
        if tier_of is None:
            stored = choose(list(members), catch_all(breakdown))
        else:
            # Tiers first (leaders and staff): small role levels pool within
            # their tier, so merged leaders still count as leaders; only a
            # tier too small on its own mixes with the other.
            by_tier: dict[str, list] = {}
            for value in members:
                by_tier.setdefault(tier_of(value), []).append(value)
            tier_members = {t: [c for v in vs for c in members[v]] for t, vs in by_tier.items()}
            members.update({("tier", t): cs for t, cs in tier_members.items()})
            tiers_kept = choose([("tier", t) for t in by_tier], catch_all(breakdown))
            stored = {}
            for (_, tier), out in tiers_kept.items():
                if out == catch_all(breakdown):
                    stored.update({v: out for v in by_tier[tier]})
                else:
                    stored.update(choose(by_tier[tier], tier_catch_all(tier)))
        groups: dict[Hashable, list[Combination]] = {}
        for value, out in stored.items():
            groups.setdefault(out, []).extend(members[value])
        for out in sorted(groups, key=_sort_key):
            decide(groups[out], level + 1, prefix + (out,))

    decide(sorted(counts, key=lambda c: tuple(_sort_key(v) for v in c)), 0, ())
    return plan


def coarsen_frame(
    table: pd.DataFrame,
    breakdowns: Sequence[str],
    min_group: int,
    *,
    leadership_levels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The table with its breakdown columns coarsened over its own rows.

    Every combination of ``breakdowns`` values in the result is shared by at
    least ``min_group`` rows. With ``leadership_levels``, role levels merge
    within their tier first (:func:`role_tiers`). Columns not in
    ``breakdowns`` are left as they are.

    Examples
    --------
    >>> t = pd.DataFrame({"department": ["A"] * 6 + ["B"] * 2, "x": range(8)})
    >>> coarsen_frame(t, ["department"], 5)["department"].tolist()[-3:]
    ['Other departments', 'Other departments', 'Other departments']
    """
    breakdowns = [b for b in breakdowns if b in table.columns]
    if not breakdowns or table.empty:
        return table.copy()
    values = table[breakdowns].astype(object).where(table[breakdowns].notna(), None)
    keys = list(map(tuple, values.itertuples(index=False, name=None)))
    counts: dict[Combination, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    tiers = role_tiers(leadership_levels) if leadership_levels is not None else None
    plan = merge_plan(counts, breakdowns, min_group, tiers=tiers)
    out = table.copy()
    stored = [plan[key] for key in keys]
    for position, column in enumerate(breakdowns):
        out[column] = [combo[position] for combo in stored]
    return out


def place(
    combination: Combination,
    stored: Sequence[Combination],
    breakdowns: Sequence[str],
) -> Combination:
    """Where a new combination goes among combinations already stored.

    An answer through the open link, or a late joiner, is put under the
    stored groups by walking the breakdowns: a value already stored under
    the same parent is kept, anything else becomes the catch-all. The result
    may be a combination not stored yet; callers that need every stored
    combination to stay at ``k`` re-run :func:`merge_plan` with it.

    Examples
    --------
    >>> place(("Sales", "executive"), [("Sales", "staff")], ["department", "role_level"])
    ('Sales', 'Other role levels')
    """
    result: Combination = ()
    for level, value in enumerate(combination):
        known = {c[level] for c in stored if c[:level] == result}
        # "Not given" stays not given: merging it into a catch-all would say
        # something about the person they did not say.
        keep = value is None or value in known
        result += (value if keep else catch_all(breakdowns[level]),)
    return result


@dataclass(frozen=True)
class SafeRows:
    """Rows safe to hand over, and the comments that had to leave them."""

    #: One row per response; comment cells blank where the row's group is
    #: smaller than ``min_comments``.
    rows: pd.DataFrame
    #: Those comments, with no response id and no other answer: columns
    #: ``item``, ``text`` and the segments, coarsened to ``min_comments``.
    comments: pd.DataFrame


COMMENT_COLUMNS = ("item", "text")


def _shared_by(keys: pd.DataFrame) -> np.ndarray:
    """For each row, how many rows have the same values in ``keys`` (a
    missing value matching a missing value).

    A group-by rather than a tuple per row (``apply(tuple, axis=1)``), which
    took a third of publishing 200,000 responses (issue 11).
    """
    frame = keys.astype(object).reset_index(drop=True)
    frame["_rows"] = 1
    groups = frame.groupby(list(keys.columns), dropna=False, sort=False)["_rows"]
    return groups.transform("size").to_numpy()


def safe_rows(
    table: pd.DataFrame,
    breakdowns: Sequence[str],
    comment_columns: Sequence[str],
    names: Sequence[str] = (),
    min_group: int | None = None,
    leadership_levels: Sequence[str] | None = None,
) -> SafeRows:
    """Response rows made safe to hand over: the one rule for exports and the loader.

    - segments that are not breakdowns are blanked;
    - comments are scrubbed of the roster's names, emails and phones
      (:mod:`analysis.scrub`);
    - the breakdowns are coarsened over these rows (:func:`coarsen_frame`),
      so every combination is shared by at least ``min_group`` rows;
    - a comment stays in its row only where the row's combination is shared
      by at least ``min_comments`` rows. The others move to
      :attr:`SafeRows.comments`, unlinked from any row, under a combination
      coarsened to ``min_comments``: so a leaders' group of six still shows
      its scores, and its comments still count in the themes, but no comment
      points to fewer than ten people.

    The survey app's export and :mod:`analysis.loader` both call it, so a
    database and its export give the same tables.

    Examples
    --------
    >>> t = pd.DataFrame({"department": ["A"] * 10 + ["B"] * 5, "team": "x",
    ...                   "tenure_band": None, "role_level": None,
    ...                   "c_other": ["mail me at a@b.example"] + [None] * 13 + ["hi"]})
    >>> safe = safe_rows(t, ["department"], ["c_other"])
    >>> safe.rows["c_other"].iloc[0], pd.isna(safe.rows["c_other"].iloc[-1])
    ('mail me at [email]', True)
    >>> safe.rows["team"].iloc[0] is None  # not a breakdown
    True
    >>> safe.comments[["item", "text", "department"]].values.tolist()
    [['c_other', 'hi', 'Other departments']]
    """
    from .instrument import SEGMENTS
    from .privacy import PrivacyPolicy
    from .scrub import Scrubber

    policy = PrivacyPolicy() if min_group is None else PrivacyPolicy(min_group=min_group)
    levels = DEFAULT_LEADERSHIP_LEVELS if leadership_levels is None else tuple(leadership_levels)
    table = table.copy()
    for segment in SEGMENTS:
        if segment in table.columns and segment not in breakdowns:
            table[segment] = None
    scrubber = Scrubber(names)
    for column in comment_columns:
        values = table[column]
        present = values.notna()
        if present.any():
            # scrub_many scrubs each distinct text once ("n/a", "More training
            # please" repeat); the same texts as scrub() one by one.
            table.loc[present, column] = scrubber.scrub_many(values[present])[0]
    rows = coarsen_frame(table, list(breakdowns), policy.min_group, leadership_levels=levels)
    shown = [b for b in breakdowns if b in rows.columns]
    segments = [s for s in SEGMENTS if s in rows.columns]
    moved = []
    if shown and len(comment_columns) and not rows.empty:
        small = _shared_by(rows[shown]) < policy.min_comments
        if small.any():
            wide = coarsen_frame(table, list(breakdowns), policy.min_comments, leadership_levels=levels)
            # Fewer than min_comments respondents in all: no comment leaves.
            wide_ok = _shared_by(wide[shown]) >= policy.min_comments
            for column in comment_columns:
                cells = rows[column].notna().to_numpy() & small
                for position in (cells & wide_ok).nonzero()[0]:
                    moved.append({"item": column, "text": rows[column].iloc[position],
                                  **{s: wide[s].iloc[position] for s in segments}})
                rows.loc[rows.index[cells], column] = None
    comments = pd.DataFrame(moved, columns=list(COMMENT_COLUMNS) + segments)
    # Ordered by item and text: the order says nothing about who wrote what.
    comments = comments.sort_values(list(COMMENT_COLUMNS), kind="stable").reset_index(drop=True)
    return SafeRows(rows=rows, comments=comments)
