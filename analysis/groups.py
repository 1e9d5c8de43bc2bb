"""Group comparisons: how each department (team, tenure band, role level)
differs from the rest of the company, and what changed since the last pulse.

A leader reading "Operations 3.4, company 3.7" needs to know whether the gap
is more than noise, and must never see a figure that identifies a few people.
So every group is first checked by :mod:`analysis.privacy` (on the
respondents who actually answered the item), then gets a t interval for its
mean and a Welch test against the rest of the company, with Holm's correction
because a breakdown tests many groups at once. Formulas and sources are in
``docs/groups.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .privacy import PrivacyPolicy, protect, segment_groups

__all__ = ["ALPHA", "compare_groups", "change_since_previous", "holm", "welch"]

#: Significance level of the flags, after Holm's correction.
ALPHA = 0.05


def _as_list(value: str | Sequence[str], what: str) -> list[str]:
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise ValueError(f"{what} must name at least one column")
    return values


def _check_numeric(table: pd.DataFrame, columns: list[str], where: str) -> None:
    for column in columns:
        if column not in table.columns:
            raise ValueError(f"{where}: no column {column!r} in the responses table")
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise ValueError(
                f"{where}: column {column!r} holds {table[column].dtype} values; "
                "group comparisons need numbers (Likert, eNPS or estimate items)"
            )


def _check_confidence(confidence: float, alpha: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")


def _summary(values: np.ndarray, confidence: float) -> tuple[int, float, float, float, float]:
    """n, mean, sd and the t interval of the mean."""
    n = int(values.size)
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan
    mean = float(values.mean())
    if n < 2:
        return n, mean, np.nan, np.nan, np.nan
    sd = float(values.std(ddof=1))
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def welch(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """Difference of means ``a - b``, its Welch interval and two-sided p-value.

    Returns ``(difference, ci_low, ci_high, p_value)``. Welch's test does not
    assume equal variances, which groups of very different sizes rarely have.
    It is ``scipy.stats.ttest_ind(a, b, equal_var=False)`` and that result's
    ``confidence_interval()``, with one difference: when neither group has
    any spread, the interval is the difference itself and the p-value is
    undefined (NaN): there is nothing to test.

    Examples
    --------
    >>> diff, low, high, p = welch([3, 4, 4, 5, 4], [2, 3, 3, 2, 3, 2])
    >>> round(diff, 2), round(low, 2), round(high, 2), round(p, 4)
    (1.5, 0.6, 2.4, 0.0053)
    >>> welch([4, 4, 4], [3, 3, 3])
    (1.0, 1.0, 1.0, nan)
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.size < 2 or b.size < 2:
        return np.nan, np.nan, np.nan, np.nan
    diff = float(a.mean() - b.mean())
    a_flat, b_flat = np.ptp(a) == 0, np.ptp(b) == 0
    if a_flat and b_flat:
        # scipy answers p = 0 here when the means differ: five people who all
        # answered 4 against five who all answered 3 would be flagged as
        # significant at any level, from data that say nothing about noise.
        return diff, diff, diff, np.nan
    with warnings.catch_warnings():
        if a_flat or b_flat:
            # scipy warns of precision loss whenever a group's values are all
            # equal (a small team that agrees); their variance is exactly 0
            # and the other group's spread makes the test well defined.
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        result = stats.ttest_ind(a, b, equal_var=False)
        interval = result.confidence_interval(confidence)
    return diff, float(interval.low), float(interval.high), float(result.pvalue)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN, not counted).

    Controls the chance of any false "significant" flag in a breakdown at
    alpha, without assuming the tests are independent (Holm 1979). With the
    m finite p-values sorted, p(1) <= ... <= p(m), the adjusted value of
    p(i) is ``min(1, max over j <= i of (m - j + 1) p(j))``: a group without
    a test is not one of the tests.

    Written out rather than taken from statsmodels' ``multipletests(method="holm")``,
    which gives the same numbers (the same products, in the same order) but
    runs ``gc.collect()`` on every call: about 60 ms each with the analysis
    loaded, once per measure and breakdown, 2.5 s of a leader report at
    100,000 responses (``docs/benchmarks.md``, "Analysis at scale").
    scipy has Benjamini-Hochberg (``false_discovery_control``) but not Holm.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02, nan]
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    if finite.size:
        values = p[finite]
        order = np.argsort(values)
        stepped = np.maximum.accumulate(values[order] * np.arange(values.size, 0, -1))
        stepped[stepped > 1] = 1.0
        out = np.empty(values.size)
        out[order] = stepped
        adjusted[finite] = out
    return adjusted


def _privacy_groups(table: pd.DataFrame, columns: list[str], where: np.ndarray) -> dict:
    """The groups a breakdown is protected as: its cells and their parents,
    and the groups a reader can see elsewhere and subtract the cells from.

    Those are each ``by`` column on its own (the margins of a two-way table:
    department x tenure band is checked against the tenure bands too) and,
    for teams, their departments: a team breakdown beside the department
    breakdown must not let "department minus its visible teams" reveal a
    small team (docs/privacy.md).
    """
    groups = segment_groups(table, columns, where=where)
    extra = list(columns[1:])
    if "team" in columns and "department" in table.columns and "department" not in columns:
        extra.append("department")
    for column in extra:
        for key, mask in segment_groups(table, [column], where=where, include_company=False).items():
            groups.setdefault(key, mask)
    return groups


def _leaves(keys, columns: list[str]) -> list[tuple]:
    """The group keys that are cells of the full breakdown (not parents or margins)."""
    return [key for key in keys if [c for c, _ in key] == columns]


def compare_groups(
    table: pd.DataFrame,
    value: str | Sequence[str],
    by: str | Sequence[str],
    policy: PrivacyPolicy = PrivacyPolicy(),
    confidence: float = 0.95,
    *,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Each group's mean beside the company's, with intervals and a test.

    Parameters
    ----------
    table : DataFrame
        The responses table (one row per response).
    value : str or list of str
        Numeric column(s) to summarise, e.g. a Likert item, ``enps`` or a
        score column added by the caller.
    by : str or list of str
        Segment column(s): ``department``, ``team``, ``tenure_band``,
        ``role_level``. With two, the cells of both are compared (and the
        cells of the first are included in the privacy check, as a breakdown
        is shown with its parent rows).
    policy : PrivacyPolicy
        Minimum group sizes. A group is checked on the respondents who
        answered ``value``: an average of 3 answers in a group of 20 would
        otherwise be shown.
    confidence : float, default 0.95
        Level of the intervals.
    alpha : float, default 0.05
        Level of the ``significant`` flag, applied to Holm-adjusted p-values.

    Returns
    -------
    DataFrame
        One row per value and group: ``measure`` (the value column), the
        ``by`` columns, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high`` (t
        interval), ``company_n``, ``company_mean``, ``rest_mean`` (the company
        without the group), ``diff`` (group minus company) with
        ``diff_ci_low``, ``diff_ci_high``, ``p_value`` (Welch's test of the
        group against the rest of the company, see ``docs/groups.md``),
        ``p_holm``, ``significant``, ``visible`` and ``reason``. Hidden groups
        have NaN statistics and say why.

    Examples
    --------
    >>> table = pd.DataFrame({"department": ["Ops"] * 6 + ["Sales"] * 6,
    ...                       "st_understand": [4, 5, 4, 4, 5, 4, 2, 3, 2, 3, 3, 2]})
    >>> out = compare_groups(table, "st_understand", "department")
    >>> out[["department", "n", "mean", "diff", "significant"]].round(3)
      department  n   mean   diff  significant
    0        Ops  6  4.333  0.917         True
    1      Sales  6  2.500 -0.917         True
    """
    values = _as_list(value, "value")
    columns = _as_list(by, "by")
    _check_numeric(table, values, "compare_groups")
    _check_confidence(confidence, alpha)
    rows = []
    for column in values:
        answered = table[column].notna().to_numpy()
        data = table[column].to_numpy(dtype=float)
        groups = _privacy_groups(table, columns, answered)
        decided = protect(groups, policy)
        company = decided[()]
        company_values = data[groups[()]]
        company_mean = float(company_values.mean()) if company.visible else np.nan
        block = [
            _group_row(column, key, data, groups, decided, company_mean, confidence)
            for key in _leaves(groups, columns)
        ]
        rows.extend(_flag_significance(block, alpha))
    out_columns = [
        "measure", *columns, "n", "mean", "sd", "ci_low", "ci_high", "company_n", "company_mean",
        "rest_mean", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_holm", "significant",
        "visible", "reason",
    ]
    out = pd.DataFrame(rows, columns=out_columns)
    out["n"] = out["n"].astype("Int64")
    return out


def _group_row(column, key, data, groups, decided, company_mean, confidence) -> dict:
    """One group's row of :func:`compare_groups`: its statistics and test
    against the rest of the company, or why it is hidden."""
    vis, company = decided[key], decided[()]
    # The size of a hidden group is itself a figure that can be
    # differenced (docs/privacy.md), so it leaves only with the group.
    row = {"measure": column, **dict(key), "n": vis.n if vis.visible else pd.NA}
    if not (vis.visible and company.visible):
        reason = vis.reason if not vis.visible else "the company figure is hidden: " + company.reason
        return row | {
            "company_n": company.n if company.visible else np.nan,
            "company_mean": company_mean,
            "visible": False, "reason": reason,
        }
    inside = data[groups[key]]
    rest = data[groups[()] & ~groups[key]]
    n, mean, sd, lo, hi = _summary(inside, confidence)
    diff, dlo, dhi, p = welch(inside, rest, confidence)
    # group - company = (n_rest / n_company) * (group - rest): the
    # same test, its difference and interval put on the company scale.
    share = rest.size / int(groups[()].sum())
    return row | {
        "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi,
        "company_n": company.n, "company_mean": company_mean,
        "rest_mean": float(rest.mean()) if rest.size else np.nan,
        "diff": diff * share, "diff_ci_low": dlo * share, "diff_ci_high": dhi * share, "p_value": p,
        "visible": True, "reason": "",
    }


def _flag_significance(block: list[dict], alpha: float) -> list[dict]:
    """Holm-adjust the p-values of one table's rows and flag the significant ones.

    One table is one family of tests: a reader scans all its rows for a
    difference, so the correction runs over exactly those rows.
    """
    adjusted = holm([r.get("p_value", np.nan) for r in block])
    for r, p_adj in zip(block, adjusted):
        r["p_holm"] = p_adj
        r["significant"] = bool(np.isfinite(p_adj) and p_adj < alpha)
    return block


def change_since_previous(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    value: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    policy: PrivacyPolicy = PrivacyPolicy(),
    confidence: float = 0.95,
    *,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """What changed since the previous pulse, per group, with a Welch interval.

    Responses are anonymous, so the two pulses are compared as independent
    samples even though many people answer both (see ``docs/groups.md``).
    A group is shown only if it is visible in both pulses, each checked with
    :func:`analysis.privacy.protect` on its own respondents.

    Returns one row per value and group (the company alone when ``by`` is
    None): ``measure`` (the value column), the ``by`` columns, ``previous_n``, ``previous_mean``,
    ``current_n``, ``current_mean``, ``change`` (current minus previous),
    ``ci_low``, ``ci_high``, ``p_value``, ``p_holm``, ``significant``,
    ``visible``, ``reason``.

    Examples
    --------
    >>> now = pd.DataFrame({"st_understand": [4, 5, 4, 4, 5, 4, 2, 3, 2, 3, 3, 2]})
    >>> before = pd.DataFrame({"st_understand": [3, 3, 4, 3, 3, 4, 3, 3, 2, 3, 3, 3]})
    >>> change_since_previous(now, before, "st_understand")[["previous_mean", "current_mean", "change"]].round(3)
       previous_mean  current_mean  change
    0          3.083         3.417   0.333
    """
    values = _as_list(value, "value")
    columns = [] if by is None else _as_list(by, "by")
    _check_numeric(current, values, "change_since_previous (current pulse)")
    _check_numeric(previous, values, "change_since_previous (previous pulse)")
    _check_confidence(confidence, alpha)
    rows = []
    for column in values:
        sides = {}
        for name, frame in (("previous", previous), ("current", current)):
            answered = frame[column].notna().to_numpy()
            if columns:
                groups = _privacy_groups(frame, columns, answered)
            else:
                groups = {(): answered}
            sides[name] = (frame[column].to_numpy(dtype=float), groups, protect(groups, policy))
        keys = dict.fromkeys([*sides["current"][1], *sides["previous"][1]])
        keys = sorted(_leaves(keys, columns), key=lambda k: [v for _, v in k])
        block = [_change_row(column, key, sides, confidence) for key in keys]
        rows.extend(_flag_significance(block, alpha))
    out_columns = [
        "measure", *columns, "previous_n", "previous_mean", "current_n", "current_mean",
        "change", "ci_low", "ci_high", "p_value", "p_holm", "significant", "visible", "reason",
    ]
    out = pd.DataFrame(rows, columns=out_columns)
    for side in ("previous_n", "current_n"):
        out[side] = out[side].astype("Int64")
    return out


def _change_row(column, key, sides: dict, confidence: float) -> dict:
    """One group's row of :func:`change_since_previous`: shown only if it is
    visible in both pulses; ``sides`` maps "previous"/"current" to (values,
    groups, visibility)."""
    row = {"measure": column, **dict(key)}
    reason = ""
    for name in ("previous", "current"):
        data, groups, decided = sides[name]
        label = "the previous pulse" if name == "previous" else "this pulse"
        if key not in groups:
            row[f"{name}_n"] = 0
            reason = reason or f"not in {label}"
            continue
        vis = decided[key]
        row[f"{name}_n"] = vis.n if vis.visible else pd.NA
        if vis.visible:
            row[f"{name}_mean"] = float(data[groups[key]].mean())
        else:
            reason = reason or f"in {label}: {vis.reason}"
    if reason:
        return row | {"previous_mean": np.nan, "current_mean": np.nan, "visible": False, "reason": reason}
    before = sides["previous"][0][sides["previous"][1][key]]
    after = sides["current"][0][sides["current"][1][key]]
    change, lo, hi, p = welch(after, before, confidence)
    return row | {"change": change, "ci_low": lo, "ci_high": hi, "p_value": p, "visible": True, "reason": ""}
