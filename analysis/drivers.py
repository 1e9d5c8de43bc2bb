"""Key drivers: which self-rated items best explain an outcome.

The CLO wants to know which of the things people say about their training,
their manager and the strategy go with actually *knowing* the strategy (the
knowledge score), and the CEO which go with eNPS. Survey items are strongly
correlated with each other, so regression coefficients split the credit
almost arbitrarily between them; Johnson's (2000) relative weights divide the
model's R² among the items in a way that stays sensible under correlation,
and a bootstrap says how sure we are of each share.

Reference: J. W. Johnson (2000), "A heuristic method for estimating the
relative weight of predictor variables in multiple regression",
*Multivariate Behavioral Research* 35(1), 1-19; Tonidandel & LeBreton (2011),
*Journal of Business and Psychology* 26(1), 1-9, for the bootstrap. Formulas
are in ``docs/groups.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from analysis.scoring import keyed_likert

__all__ = [
    "MIN_ROWS_PER_PREDICTOR",
    "key_drivers",
    "likert_predictors",
    "relative_weights",
]

#: Complete rows needed per predictor before drivers are estimated. The
#: common rule of thumb for regression; below it, bootstrap intervals of
#: weights are wide enough to reorder every item.
MIN_ROWS_PER_PREDICTOR = 10

#: How many degenerate resamples (a constant column) may be redrawn, as a
#: multiple of ``n_boot``, before giving up.
_MAX_REDRAWS = 1.0


def relative_weights(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Johnson's raw relative weights, R² and standardised betas.

    With ``R`` the predictors' correlation matrix and ``r`` their correlations
    with the outcome: ``Λ = R^(1/2)`` (the correlations between the
    predictors and their closest orthonormal counterparts Z),
    ``β_Z = Λ⁻¹ r``, and the raw weight of predictor j is
    ``ε_j = Σ_k Λ_jk² β_Zk²``; the weights sum to ``R² = Σ β_Zk²``.

    Raises ``np.linalg.LinAlgError`` when the predictors are perfectly
    collinear (``R`` singular).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 2))
    >>> y = 2 * x[:, 0] + x[:, 1] + rng.normal(size=200)
    >>> raw, r_squared, beta = relative_weights(x, y)
    >>> raw.round(3), round(r_squared, 3)  # the weights add up to R²
    (array([0.613, 0.227]), 0.84)
    """
    data = np.column_stack([x, y])
    corr = np.corrcoef(data, rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    eigenvalues, eigenvectors = np.linalg.eigh(rxx)
    if eigenvalues.min() <= 1e-10 * max(1.0, eigenvalues.max()):
        raise np.linalg.LinAlgError("the predictors are perfectly collinear")
    lam = eigenvectors @ np.diag(np.sqrt(eigenvalues)) @ eigenvectors.T
    beta_z = np.linalg.solve(lam, rxy)
    raw = (lam**2) @ (beta_z**2)
    r_squared = float(np.sum(beta_z**2))
    beta = np.linalg.solve(rxx, rxy)
    return raw, r_squared, beta


def _complete_rows(predictors: pd.DataFrame, outcome: pd.Series) -> pd.DataFrame:
    if not isinstance(predictors, pd.DataFrame):
        raise ValueError("predictors must be a DataFrame, one column per item")
    if not isinstance(outcome, pd.Series):
        raise ValueError("outcome must be a Series aligned with the predictors' index")
    if predictors.shape[1] == 0:
        raise ValueError("predictors has no columns")
    if predictors.columns.duplicated().any():
        raise ValueError(f"predictors has duplicate columns: {list(predictors.columns)}")
    for column in predictors.columns:
        if not pd.api.types.is_numeric_dtype(predictors[column]):
            raise ValueError(f"predictor {column!r} holds {predictors[column].dtype} values, not numbers")
    if not pd.api.types.is_numeric_dtype(outcome):
        raise ValueError(f"outcome {outcome.name!r} holds {outcome.dtype} values, not numbers")
    if not predictors.index.equals(outcome.index):
        if not outcome.index.isin(predictors.index).any():
            raise ValueError("outcome and predictors share no index labels (response ids)")
    name = "__outcome__"
    return predictors.join(outcome.rename(name), how="inner").dropna()


def key_drivers(
    predictors: pd.DataFrame,
    outcome: pd.Series,
    *,
    n_boot: int = 500,
    random_state: int | np.random.RandomState | None = 0,
    confidence: float = 0.95,
    built_from: Sequence[str] = (),
    min_rows_per_predictor: int = MIN_ROWS_PER_PREDICTOR,
) -> pd.DataFrame:
    """Relative weights of the predictors for an outcome, with bootstrap intervals.

    Parameters
    ----------
    predictors : DataFrame
        One numeric column per self-rated item, indexed by response id.
    outcome : Series
        What to explain, on the same index: the knowledge score, or eNPS.
    n_boot : int, default 500
        Bootstrap resamples for the intervals (0 for none).
    random_state : int, RandomState or None, default 0
        Seed of the bootstrap, so a report is reproducible.
    confidence : float, default 0.95
        Level of the percentile intervals.
    built_from : sequence of str
        Columns the outcome is computed from. None of them may be a
        predictor: an outcome always "depends" on its own ingredients.
    min_rows_per_predictor : int, default 10
        Complete rows needed per predictor.

    Returns
    -------
    DataFrame
        One row per predictor, largest weight first: ``item``, ``weight``
        (Johnson's raw relative weight, a part of R²), ``ci_low``,
        ``ci_high`` (bootstrap percentile interval of the weight), ``share``
        (weight / R², sums to 1) and ``beta`` (standardised regression
        coefficient, for reference and for the direction). ``attrs`` holds
        ``r_squared``, ``n`` (complete rows used), ``n_boot`` and ``outcome``.

    Notes
    -----
    Rows with any missing predictor or outcome are dropped (listwise
    deletion), so every weight comes from the same people and the weights
    add up to one R². Pairwise correlations would use more answers but can
    give a correlation matrix no data set could produce.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> y = pd.Series(2 * x.a + x.b + rng.normal(size=200), name="y")
    >>> key_drivers(x, y, n_boot=0).item.tolist()
    ['a', 'b']
    """
    name = outcome.name
    _check_arguments(predictors, name, built_from, n_boot, confidence)
    data = _complete_rows(predictors, outcome)
    x, y = _model_data(data, list(predictors.columns), name, min_rows_per_predictor)
    try:
        raw, r_squared, beta = relative_weights(x, y)
    except np.linalg.LinAlgError:
        raise ValueError(
            "the predictors are perfectly collinear (one is a combination of the others); "
            "drop the redundant item(s)"
        ) from None
    p = x.shape[1]
    low = high = np.full(p, np.nan)
    if n_boot:
        low, high = _bootstrap_intervals(x, y, n_boot, check_random_state(random_state), confidence)

    share = raw / r_squared if r_squared > 0 else np.full(p, np.nan)
    out = pd.DataFrame(
        {"item": list(predictors.columns), "weight": raw, "ci_low": low, "ci_high": high,
         "share": share, "beta": beta}
    )
    out = out.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(r_squared=r_squared, n=int(len(y)), n_boot=int(n_boot), outcome=name)
    return out


def _check_arguments(predictors, name, built_from, n_boot, confidence) -> None:
    """Refuse what would make the drivers meaningless, before any arithmetic."""
    if name is not None and name in predictors.columns:
        raise ValueError(
            f"the outcome {name!r} is also among the predictors; an item cannot explain itself"
        )
    clash = sorted(set(built_from) & set(map(str, predictors.columns)))
    if clash:
        raise ValueError(
            f"the outcome {name!r} is built from {', '.join(clash)}, which are also predictors; "
            "drop them from the predictors"
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be a whole number >= 0, got {n_boot!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")


def _model_data(data: pd.DataFrame, items: list, name, min_rows_per_predictor: int):
    """The complete rows as ``(x, y)`` arrays, once there are enough of them
    and every column varies."""
    p = len(items)
    needed = min_rows_per_predictor * p
    if len(data) < needed:
        raise ValueError(
            f"only {len(data)} responses answer all {p} predictors and the outcome; "
            f"key drivers need at least {needed} ({min_rows_per_predictor} per predictor)"
        )
    values = data.to_numpy(dtype=float)
    spread = values.std(axis=0)
    constant = [c for c, s in zip([*items, f"outcome {name!r}"], spread) if s == 0]
    if constant:
        raise ValueError(
            f"no variation in {', '.join(map(str, constant))} among the {len(data)} complete "
            "responses: a constant cannot explain or be explained"
        )
    return values[:, :-1], values[:, -1]


def _bootstrap_intervals(x, y, n_boot: int, rng, confidence: float):
    """Percentile intervals of the raw weights over ``n_boot`` resamples of
    the rows. A resample with a constant or collinear column has no weights;
    it is redrawn, up to ``_MAX_REDRAWS * n_boot`` times."""
    samples = []
    redraws = 0
    n = len(y)
    while len(samples) < n_boot:
        index = rng.randint(0, n, n)
        xb, yb = x[index], y[index]
        try:
            if (xb.std(axis=0) == 0).any() or yb.std() == 0:
                raise np.linalg.LinAlgError
            samples.append(relative_weights(xb, yb)[0])
        except np.linalg.LinAlgError:
            redraws += 1
            if redraws > _MAX_REDRAWS * n_boot:
                raise ValueError(
                    f"too many bootstrap resamples of the {n} responses had a constant or "
                    "collinear item; the data are too thin for intervals (use n_boot=0)"
                ) from None
    tail = (1 - confidence) / 2 * 100
    return np.percentile(np.vstack(samples), [tail, 100 - tail], axis=0)


def likert_predictors(table: pd.DataFrame, instrument) -> pd.DataFrame:
    """The instrument's Likert items from a responses table, scored so that
    higher is better (reverse-keyed items flipped), ready for :func:`key_drivers`.

    Flipping does not change the weights (they depend on squared
    correlations) but makes every ``beta`` read the same way round. The
    keying is :func:`analysis.scoring.keyed_likert`, the one the scores and
    alpha use, so an answer off the scale is refused here too.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> likert = [item.id for item in instrument.likert_items()]
    >>> answers = pd.DataFrame([[5, 4, 5] + [3] * (len(likert) - 3)], columns=likert)
    >>> likert_predictors(answers, instrument).iloc[0, :3].tolist()  # st_priorities_shift reversed
    [5.0, 4.0, 1.0]
    """
    return keyed_likert(table, instrument)
