"""Internal consistency of a multi-item scale: Cronbach's alpha.

A construct score is only worth reporting if its items measure the same
thing. Leaders see a construct score; analysts need to know whether the items
behind it hang together and which item, if any, pulls the scale apart. This
module answers that with coefficient alpha, its Feldt confidence interval and
the per-item statistics R's ``psych::alpha()`` prints, so that results can be
checked line by line against the reference implementation analysts already
trust (see ``tests/expected/`` and ``docs/scoring.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.scoring import keyed_likert

__all__ = ["AlphaResult", "cronbach_alpha", "construct_alpha", "feldt_interval", "NAN_POLICIES"]

#: Ways of handling unanswered items, see :func:`cronbach_alpha`.
NAN_POLICIES = ("pairwise", "listwise")


@dataclass(frozen=True, eq=False)
class AlphaResult:
    """Cronbach's alpha for one scale, with its interval and item statistics.

    Attributes
    ----------
    alpha : float
        Raw coefficient alpha (psych ``raw_alpha``). NaN when the items have
        no variance at all, because reliability is undefined then.
    ci_low, ci_high : float
        Feldt confidence interval for alpha.
    n_respondents : int
        Rows the covariances and the interval are based on: every row for
        ``"pairwise"`` (as psych counts them), complete rows for
        ``"listwise"``.
    n_items : int
        Number of items (columns).
    items : pandas.DataFrame
        One row per item, columns ``n`` (answers to the item), ``mean``,
        ``sd``, ``r_drop`` (corrected item-total correlation, psych
        ``r.drop``) and ``alpha_if_dropped`` (psych ``alpha.drop$raw_alpha``).
    """

    alpha: float
    ci_low: float
    ci_high: float
    n_respondents: int
    n_items: int
    items: pd.DataFrame


def _as_numeric_frame(data) -> pd.DataFrame:
    """Turn the input into a float DataFrame, naming what is not numeric."""
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        array = np.asarray(data)
        if array.ndim != 2:
            raise ValueError(
                f"data must be 2-D (rows = respondents, columns = items); "
                f"got an array with {array.ndim} dimension(s)"
            )
        frame = pd.DataFrame(array, columns=[f"item{i + 1}" for i in range(array.shape[1])])
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind in "biuf":
            columns[name] = column.astype(float)
            continue
        converted = pd.to_numeric(column, errors="coerce")
        bad = converted.isna() & column.notna()
        if bad.any():
            row = bad.idxmax()
            raise ValueError(
                f"item {name!r} is not numeric: row {row!r} holds {column[row]!r}; "
                "expected numbers (missing answers as NaN)"
            )
        columns[name] = converted.astype(float)
    return pd.DataFrame(columns, index=frame.index)


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Raw alpha from a covariance matrix; NaN when total variance is zero."""
    k = cov.shape[0]
    total = cov.sum()
    if not np.isfinite(total) or total == 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def feldt_interval(alpha: float, n: int, k: int, ci: float = 0.95) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) confidence interval for alpha.

    ``(1 - alpha_hat) / (1 - alpha)`` follows an F distribution with
    ``n - 1`` and ``(n - 1)(k - 1)`` degrees of freedom, which gives
    ``low = 1 - (1 - alpha) * F(1 - a/2)`` and
    ``high = 1 - (1 - alpha) * F(a/2)`` with ``a = 1 - ci``; identical to
    psych's ``alpha.ci``.

    Examples
    --------
    >>> [round(v, 3) for v in feldt_interval(0.8, n=100, k=4)]
    [0.727, 0.857]
    """
    if not np.isfinite(alpha):
        return float("nan"), float("nan")
    tail = (1.0 - ci) / 2.0
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - tail, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def cronbach_alpha(data, ci: float = 0.95, nan_policy: str = "pairwise") -> AlphaResult:
    r"""Cronbach's alpha with a Feldt interval and psych-style item statistics.

    Alpha (Cronbach 1951) is computed from the item covariance matrix
    :math:`C` of the :math:`k` items:

    .. math::

        \alpha = \frac{k}{k-1}\left(1 - \frac{\operatorname{tr} C}{\sum_{ij} C_{ij}}\right)

    which is the familiar "one minus summed item variances over the variance
    of the total" written so that it also works on pairwise covariances, as
    R's ``psych::alpha`` does. The Feldt, Woodruff & Salih (1987) interval
    uses :math:`F` quantiles with :math:`n-1` and :math:`(n-1)(k-1)` degrees
    of freedom: :math:`1-(1-\alpha)F_{1-a/2}` to :math:`1-(1-\alpha)F_{a/2}`
    with :math:`a = 1 - ci`.

    Per item :math:`i`, ``r_drop`` is the correlation of the item with the
    sum of the other items,
    :math:`(\sum_j C_{ij} - C_{ii}) / \sqrt{C_{ii}\sum_{j,l \ne i} C_{jl}}`,
    and ``alpha_if_dropped`` is alpha of :math:`C` without row and column
    :math:`i` -- both exactly as psych computes them, so that the figures can
    be checked against R. Reverse-keyed items must be reversed beforehand
    (see :func:`analysis.scoring.keyed_likert`).

    Parameters
    ----------
    data : array-like or pandas.DataFrame of shape (n_respondents, n_items)
        Item answers, NaN for missing. Column names become item names.
    ci : float, default 0.95
        Confidence level of the interval, strictly between 0 and 1.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"`` takes each covariance from the respondents who answered
        both items and counts every row in ``n`` (psych's default, which keeps
        the most information in short pulse surveys with optional items);
        ``"listwise"`` keeps complete rows only and ``n`` is their number.

    Returns
    -------
    AlphaResult

    Raises
    ------
    ValueError
        Fewer than 2 items or 2 respondents, an unknown ``nan_policy``, a
        ``ci`` outside (0, 1), non-numeric data, or two items that share fewer
        than 2 respondents (their covariance cannot be estimated).

    Notes
    -----
    With exactly two items, alpha without one item is undefined and
    ``alpha_if_dropped`` is NaN (psych prints a covariance ratio there).
    An item nobody varied on keeps NaN for ``r_drop``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 5],
    ...                         "q3": [1, 3, 3, 4, 4]})
    >>> result = cronbach_alpha(answers)
    >>> round(result.alpha, 4)
    0.9538
    >>> result.n_respondents, result.n_items
    (5, 3)
    >>> result.items["r_drop"].round(3).tolist()
    [0.97, 0.903, 0.87]
    """
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}; got {nan_policy!r}")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a confidence level strictly between 0 and 1; got {ci!r}")
    frame = _as_numeric_frame(data)
    n_rows, k = frame.shape
    if k < 2:
        raise ValueError(f"Cronbach's alpha needs at least 2 items (columns); got {k}")
    if nan_policy == "listwise":
        frame = frame.dropna(axis=0, how="any")
    n = frame.shape[0]
    if n < 2:
        detail = " with every item answered" if nan_policy == "listwise" else ""
        raise ValueError(f"Cronbach's alpha needs at least 2 respondents{detail}; got {n}")

    answered = frame.notna().to_numpy().astype(float)
    shared = answered.T @ answered
    if (shared < 2).any():
        lonely = np.flatnonzero(np.diag(shared) < 2)
        i, j = (lonely[0], lonely[0]) if lonely.size else np.argwhere(shared < 2)[0]
        a, b = frame.columns[i], frame.columns[j]
        what = f"item {a!r}" if i == j else f"items {a!r} and {b!r}"
        raise ValueError(
            f"{what}: fewer than 2 respondents answered "
            f"{'it' if i == j else 'both'}, so the covariance cannot be estimated"
        )

    cov = frame.cov().to_numpy()  # pairwise-complete, like R's cov(use = "pairwise")
    alpha = _alpha_from_cov(cov)
    low, high = feldt_interval(alpha, n, k, ci)

    variances = np.diag(cov)
    r_drop = np.full(k, np.nan)
    alpha_drop = np.full(k, np.nan)
    keep = np.ones(k, dtype=bool)
    for i in range(k):
        keep[i] = False
        rest = cov[np.ix_(keep, keep)]
        rest_total = rest.sum()
        covariance_with_rest = cov[i].sum() - cov[i, i]
        denominator = variances[i] * rest_total
        if denominator > 0:
            r_drop[i] = covariance_with_rest / np.sqrt(denominator)
        if k > 2:
            alpha_drop[i] = _alpha_from_cov(rest)
        keep[i] = True

    items = pd.DataFrame(
        {
            "n": frame.notna().sum().to_numpy(),
            "mean": frame.mean().to_numpy(),
            "sd": frame.std(ddof=1).to_numpy(),
            "r_drop": r_drop,
            "alpha_if_dropped": alpha_drop,
        },
        index=pd.Index(frame.columns, name="item"),
    )
    return AlphaResult(
        alpha=alpha,
        ci_low=low,
        ci_high=high,
        n_respondents=int(n),
        n_items=int(k),
        items=items,
    )


def construct_alpha(
    responses: pd.DataFrame,
    instrument,
    ci: float = 0.95,
    nan_policy: str = "pairwise",
) -> dict[str, AlphaResult]:
    """Cronbach's alpha of each construct's Likert items, reverse-keyed items reversed.

    Reverse-keyed items are flipped first (``points + 1 - x``), because alpha
    assumes every item points the same way; forgetting it is the classic way
    to get a near-zero alpha for a sound scale. Constructs with fewer than two
    Likert items have no alpha and are left out.

    Parameters
    ----------
    responses : pandas.DataFrame
        The responses table.
    instrument : analysis.instrument.Instrument
    ci, nan_policy
        As for :func:`cronbach_alpha`.

    Returns
    -------
    dict
        Construct id -> :class:`AlphaResult`, in the instrument's order.

    Raises
    ------
    ValueError
        As :func:`cronbach_alpha`, with the construct named in the message.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.instrument import load_instrument
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> likert = [item.id for item in instrument.likert_items()]
    >>> rng = np.random.default_rng(0)
    >>> answers = pd.DataFrame(rng.integers(1, 6, size=(40, len(likert))), columns=likert)
    >>> {c: (r.n_items, r.n_respondents) for c, r in construct_alpha(answers, instrument).items()}
    {'strategy': (3, 40), 'customer': (3, 40), 'learning': (3, 40)}
    """
    results = {}
    for construct in instrument.constructs:
        if len(instrument.likert_items(construct.id)) < 2:
            continue
        keyed = keyed_likert(responses, instrument, construct.id)
        try:
            results[construct.id] = cronbach_alpha(keyed, ci=ci, nan_policy=nan_policy)
        except ValueError as exc:
            raise ValueError(f"construct '{construct.id}': {exc}") from exc
    return results
