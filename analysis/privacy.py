"""Minimum group sizes, and no way round them by differencing.

A pulse is anonymous only if no figure shown can be traced to a handful of
people. Hiding groups below a minimum size is not enough on its own: when a
department of 12 and one of its teams of 10 are both shown, the other 2 people
of the department can be worked out by subtraction, and when all departments
but one are shown beside the company figure, the missing one is the company
minus the others. This module decides, for a set of groups that will be shown
together, which may be shown; the survey app calls it for every view and
export, the analysis for every report, so both apply the same rules.

Groups are given as membership masks over the respondents, never by name, so
nesting and partitions are found from who is in which group: a team is inside
its department because its members are, whatever the team is called.

The rules and what they guarantee are documented in ``docs/privacy.md``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .privacy_search import _combination_rule, _family_leak, unique_rows

__all__ = [
    "NEVER_BELOW",
    "PrivacyPolicy",
    "Visibility",
    "comments_visible",
    "group_label",
    "protect",
    "protect_table",
    "segment_groups",
]

#: No policy may let a group smaller than this be shown: with two people,
#: each one knows the other's answer; with three, any two can pool theirs.
NEVER_BELOW = 3

REASON_EMPTY = "no respondents"
REASON_SMALL = "fewer than {k} respondents"
REASON_DIFFERENCE = (
    "suppressed so that a smaller group cannot be worked out by subtracting it from {parent}"
)
REASON_COMPLEMENT = (
    "suppressed so that a group cannot be worked out as the complement "
    "of the other groups of this partition"
)
REASON_COMBINATION = (
    "suppressed so that a smaller group cannot be worked out by adding and "
    "subtracting the groups shown"
)
REASON_FEW_COMMENTS = "fewer than {k} respondents commented"


@dataclass(frozen=True)
class PrivacyPolicy:
    """Minimum sizes below which nothing about a group is shown.

    Parameters
    ----------
    min_group : int, default 5
        Fewest respondents behind any statistic (mean, distribution, score).
        Never below 3 (:data:`NEVER_BELOW`).
    min_comments : int, default 10
        Fewest respondents in a group before its comments are shown. Comments
        identify people by their wording and topics far more easily than an
        average does, so this is never below ``min_group``.

    Examples
    --------
    >>> PrivacyPolicy()
    PrivacyPolicy(min_group=5, min_comments=10)
    >>> PrivacyPolicy(min_group=2)
    Traceback (most recent call last):
    ...
    ValueError: PrivacyPolicy.min_group is 2: it can never be below 3, ...
    """

    min_group: int = 5
    min_comments: int = 10

    def __post_init__(self) -> None:
        for name in ("min_group", "min_comments"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"PrivacyPolicy.{name} must be a whole number, got {value!r}")
        if self.min_group < NEVER_BELOW:
            raise ValueError(
                f"PrivacyPolicy.min_group is {self.min_group}: it can never be below "
                f"{NEVER_BELOW}, since with fewer people each can work out the others' answers"
            )
        if self.min_comments < self.min_group:
            raise ValueError(
                f"PrivacyPolicy.min_comments ({self.min_comments}) must be at least "
                f"min_group ({self.min_group}): comments identify people more easily than averages"
            )


@dataclass(frozen=True)
class Visibility:
    """Whether one group may be shown, how many it holds, and if not, why.

    ``reason`` is empty when the group is visible, otherwise a sentence a
    reader of the report can be shown as it is.
    """

    visible: bool
    n: int
    reason: str = ""


def group_label(key: Hashable) -> str:
    """A readable name for a group key, for the reasons shown to users.

    Keys built by :func:`segment_groups` are tuples of ``(column, value)``
    pairs; the empty tuple is the whole company.

    Examples
    --------
    >>> group_label(()), group_label((("department", "Ops"), ("tenure_band", "lt1")))
    ('the whole company', 'department Ops, tenure band lt1')
    """
    if key == () or key is None:
        return "the whole company"
    if isinstance(key, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in key):
        return ", ".join(f"{column.replace('_', ' ')} {value}" for column, value in key)
    return str(key)


def comments_visible(n_commenters: int, policy: PrivacyPolicy = PrivacyPolicy()) -> Visibility:
    """May the comments of a group of ``n_commenters`` respondents be shown?

    Examples
    --------
    >>> comments_visible(7)
    Visibility(visible=False, n=7, reason='fewer than 10 respondents commented')
    >>> comments_visible(12).visible
    True
    """
    if isinstance(n_commenters, bool) or not isinstance(n_commenters, (int, np.integer)):
        raise ValueError(f"n_commenters must be a whole number, got {n_commenters!r}")
    if n_commenters < 0:
        raise ValueError(f"n_commenters cannot be negative, got {n_commenters}")
    n = int(n_commenters)
    if n >= policy.min_comments:
        return Visibility(True, n)
    return Visibility(False, n, REASON_FEW_COMMENTS.format(k=policy.min_comments))


# --- the core ---------------------------------------------------------------------


def _mask_matrix(groups: Mapping[Hashable, object]) -> tuple[list, np.ndarray]:
    keys = list(groups)
    if not keys:
        return keys, np.zeros((0, 0), dtype=bool)
    rows = []
    length = None
    for key in keys:
        raw = groups[key]
        mask = np.asarray(raw)
        if mask.ndim != 1:
            raise ValueError(
                f"group {group_label(key)!r}: the membership mask must be one-dimensional, "
                f"got shape {mask.shape}"
            )
        if mask.dtype != bool:
            if mask.size and not np.isin(mask, (0, 1)).all():
                raise ValueError(
                    f"group {group_label(key)!r}: the membership mask must hold booleans "
                    f"(True = member), got values of type {mask.dtype}"
                )
            mask = mask.astype(bool)
        if length is None:
            length = mask.size
        elif mask.size != length:
            raise ValueError(
                f"group {group_label(key)!r}: its mask covers {mask.size} respondents but the "
                f"first group's covers {length}; every mask must be over the same respondents"
            )
        rows.append(mask)
    return keys, np.vstack(rows)


def protect(
    groups: Mapping[Hashable, object],
    policy: PrivacyPolicy = PrivacyPolicy(),
    *,
    min_size: int | None = None,
) -> dict[Hashable, Visibility]:
    """Decide which of a set of groups shown together may be shown.

    Parameters
    ----------
    groups : mapping of key to boolean mask
        Every group whose statistics will be shown *together* (on one page,
        in one export), each as a membership mask over the same N respondents.
        Include the whole company if its figure is shown: a group's complement
        is only visible if its parent is.
    policy : PrivacyPolicy
        The minimum sizes.
    min_size : int, optional
        Use this minimum instead of ``policy.min_group`` (e.g. the minimum
        for comments); it can still never be below 3.

    Returns
    -------
    dict
        The same keys, each mapped to a :class:`Visibility`.

    Notes
    -----
    Rules, applied until nothing changes (each suppression can expose
    another group, so they run to a fixed point):

    1. A group of fewer than the minimum is hidden.
    2. For every visible group P and every family of pairwise disjoint visible
       groups inside P, the part of P they leave out is empty or at least the
       minimum. When it is not, the smallest group of the family is hidden.
       With a family of one, this is the difference of two nested groups;
       with the other groups of a partition, it is the complement.
    3. No hidden group smaller than the minimum, and no set of respondents
       with the same memberships that is smaller than the minimum, can be
       obtained by adding and subtracting visible groups' counts (a linear
       combination); when one can, a visible group it needs is hidden.

    Examples
    --------
    >>> import numpy as np
    >>> company = np.ones(12, dtype=bool)
    >>> team = np.arange(12) < 10
    >>> result = protect({"company": company, "team": team})
    >>> result["team"].visible, result["team"].reason
    (False, 'suppressed so that a smaller group cannot be worked out by subtracting it from company')
    """
    k = policy.min_group if min_size is None else int(min_size)
    if min_size is not None and (isinstance(min_size, bool) or min_size < NEVER_BELOW):
        raise ValueError(f"min_size is {min_size!r}: it can never be below {NEVER_BELOW}")
    keys, masks = _mask_matrix(groups)
    if not keys:
        return {}
    n = masks.sum(axis=1).astype(int)

    # Groups with the same members are one group for the rules: they are shown
    # or hidden together (showing a copy of a hidden group would undo it).
    classes, class_of = unique_rows(masks, return_inverse=True)
    class_of = np.asarray(class_of).reshape(-1)
    members = [np.flatnonzero(class_of == c) for c in range(len(classes))]
    # The key named in reasons for a class: the first one the caller gave.
    class_key = [keys[m[0]] for m in members]

    visible, reasons = _apply_rules(classes, class_key, k)

    result = {}
    for index, key in enumerate(keys):
        c = class_of[index]
        result[key] = Visibility(bool(visible[c]), int(n[index]), reasons[c])
    return result


def _apply_rules(classes: np.ndarray, class_key: list, k: int) -> tuple[np.ndarray, list[str]]:
    """Rules 1-3 of :func:`protect` on the distinct groups (``classes``, one
    membership row each), run to a fixed point: which are visible, and why
    each hidden one is hidden."""
    class_n = classes.sum(axis=1).astype(int)
    visible = class_n >= k
    reasons = [
        "" if v else (REASON_EMPTY if size == 0 else REASON_SMALL.format(k=k))
        for v, size in zip(visible, class_n)
    ]

    # Who is in how many of whose: |i & j| for every pair of groups, once
    # (on atoms, the sets of respondents with the same memberships).
    atom_sig, atom_count = unique_rows(classes.T, return_counts=True)
    weighted = atom_sig.T.astype(float) * atom_count
    overlap = np.rint(weighted @ atom_sig.astype(float)).astype(np.int64)
    inside = overlap == class_n[:, None]  # inside[c, p]: c is within p

    def hide(target, parent, kind):
        visible[target] = False
        reasons[target] = _REASONS[kind].format(parent=None if parent is None else group_label(class_key[parent]))

    while True:
        # Rule 2, one pass over the parents (largest first, so the company's
        # partitions are settled first), each until it leaks nothing; passes
        # repeat because hiding a group can expose one in a parent already seen.
        changed = False
        for p in sorted(np.flatnonzero(visible), key=lambda c: (-class_n[c], c)):
            while visible[p]:
                hit = _family_leak(p, classes, class_n, visible, k, inside, atom_sig, atom_count)
                if hit is None:
                    break
                hide(*hit)
                changed = True
        if changed:
            continue
        hit = _combination_rule(classes, class_n, visible, k, overlap)
        if hit is None:
            break
        hide(*hit)
    return visible, reasons


#: The reason shown for each kind of suppression the rules return.
_REASONS = {
    "difference": REASON_DIFFERENCE,
    "complement": REASON_COMPLEMENT,
    "combination": REASON_COMBINATION,
}


# --- tables of segments -----------------------------------------------------------


def _segment_values(column: pd.Series) -> pd.Series:
    values = column.astype("object").where(column.notna(), None)
    return values.map(lambda v: None if v is None or (isinstance(v, str) and not v.strip()) else str(v))


def segment_groups(
    df: pd.DataFrame,
    by: str | Sequence[str],
    *,
    include_company: bool = True,
    where: object = None,
) -> dict[tuple, np.ndarray]:
    """Membership masks for every cell of the segment columns in ``by``.

    With several columns, the cells of every leading prefix are included too
    (department, then department x tenure band), since a breakdown is shown
    with its parent rows. Keys are tuples of ``(column, value)`` pairs; the
    whole company is ``()``. Respondents with a missing segment value belong
    to no cell of that column (but to the company).

    ``where`` (a boolean mask over the rows) restricts every group to those
    rows, e.g. to the respondents who answered the item being summarised.

    Examples
    --------
    >>> table = pd.DataFrame({"department": ["Ops"] * 8 + ["Sales"] * 6 + ["Legal"] * 2})
    >>> {key: int(mask.sum()) for key, mask in segment_groups(table, "department").items()}
    {(): 16, (('department', 'Legal'),): 2, (('department', 'Ops'),): 8, (('department', 'Sales'),): 6}
    """
    columns = [by] if isinstance(by, str) else list(by)
    if not columns:
        raise ValueError("by must name at least one segment column")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"segment column(s) {', '.join(map(repr, missing))} not in the responses table; "
            f"it has {', '.join(map(str, df.columns))}"
        )
    if len(set(columns)) != len(columns):
        raise ValueError(f"by names a column twice: {columns}")
    base = np.ones(len(df), dtype=bool)
    if where is not None:
        base = np.asarray(where, dtype=bool)
        if base.shape != (len(df),):
            raise ValueError(f"where must be a mask over the {len(df)} rows, got shape {base.shape}")
    values = {c: _segment_values(df[c]).to_numpy() for c in columns}
    groups: dict[tuple, np.ndarray] = {}
    if include_company:
        groups[()] = base.copy()
    for depth in range(1, len(columns) + 1):
        prefix = columns[:depth]
        cells = pd.DataFrame({c: values[c] for c in prefix}).dropna().drop_duplicates()
        cells = cells.sort_values(prefix)
        for row in cells.itertuples(index=False):
            mask = base.copy()
            for column, value in zip(prefix, row):
                mask &= values[column] == value
            groups[tuple(zip(prefix, row))] = mask
    return groups


def protect_table(
    df: pd.DataFrame,
    by: str | Sequence[str],
    policy: PrivacyPolicy = PrivacyPolicy(),
    *,
    include_company: bool = True,
    where: object = None,
) -> pd.DataFrame:
    """Visibility of every cell of a breakdown by segment column(s).

    Returns one row per group of :func:`segment_groups`: ``level`` (how many
    of the ``by`` columns define it, 0 for the company), one column per
    segment (None where the level does not use it), ``n``, ``visible`` and
    ``reason``.

    Examples
    --------
    >>> table = pd.DataFrame({"department": ["Ops"] * 8 + ["Sales"] * 6 + ["Legal"] * 2})
    >>> shown = protect_table(table, "department")
    >>> shown["department"].tolist()[1:]  # row 0 is the company
    ['Legal', 'Ops', 'Sales']
    >>> shown[["level", "n", "visible"]]
       level   n  visible
    0      0  16     True
    1      1   2    False
    2      1   8     True
    3      1   6    False
    >>> shown.loc[3, "reason"]  # shown, Sales would give away Legal: company - Ops - Sales
    'suppressed so that a group cannot be worked out as the complement of the other groups of this partition'
    """
    columns = [by] if isinstance(by, str) else list(by)
    groups = segment_groups(df, columns, include_company=include_company, where=where)
    decided = protect(groups, policy)
    rows = []
    for key, vis in decided.items():
        cell = dict(key)
        rows.append(
            {"level": len(key), **{c: cell.get(c) for c in columns},
             "n": vis.n, "visible": vis.visible, "reason": vis.reason}
        )
    return pd.DataFrame(rows, columns=["level", *columns, "n", "visible", "reason"])
