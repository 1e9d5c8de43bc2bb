"""Credit for a numeric guess of a customer figure (the NPS, the CSAT...).

One rule, used for one answer (:func:`score_estimate`), a whole column
(``score_knowledge``) and the bands of wrong guesses
(``estimate_misconceptions``): full credit within a tolerance of the actual
figure, falling linearly to nothing at three tolerances.
"""

from __future__ import annotations

import math

import numpy as np

#: Default estimate tolerance: this share of the answer scale's width
#: (NPS -100..100 -> 10 points; a percentage 0..100 -> 5 points).
DEFAULT_ESTIMATE_TOLERANCE_SHARE = 0.05
#: Without a scale, the tolerance is this share of the actual figure's size.
DEFAULT_ESTIMATE_RELATIVE_TOLERANCE = 0.10
#: Credit falls linearly from 1 at the tolerance to 0 at this many tolerances.
ESTIMATE_ZERO_AT = 3.0


def _estimate_tolerance(actual: float, tolerance, scale_range) -> float:
    if tolerance is not None:
        if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance > 0):
            raise ValueError(f"tolerance must be a positive number, got {tolerance!r}")
        return float(tolerance)
    if scale_range is not None:
        low, high = scale_range
        if low is not None and high is not None:
            if not high > low:
                raise ValueError(f"scale_range must be (low, high) with high > low, got {scale_range!r}")
            return DEFAULT_ESTIMATE_TOLERANCE_SHARE * (high - low)
    return max(DEFAULT_ESTIMATE_RELATIVE_TOLERANCE * abs(actual), 1.0)


def score_estimate(estimate, actual, *, tolerance=None, scale_range=None) -> float:
    """Credit for a numeric guess of a customer figure, in [0, 1].

    Full credit within ``tolerance`` of the actual value, then a linear fall
    to 0 at three tolerances: someone 10 NPS points off knows roughly where
    the company stands, someone 30 off does not. The default tolerance is 5%
    of the answer scale's width (``scale_range``), i.e. 10 points on the NPS
    scale (-100..100) - about the 95% sampling margin of a survey NPS from a
    few hundred customers - and 5 points on a 0..100 percentage; without a
    scale, 10% of the actual value (at least 1). Missing estimates give NaN.

    Examples
    --------
    >>> score_estimate(40, 32, scale_range=(-100, 100))
    1.0
    >>> score_estimate(52, 32, scale_range=(-100, 100))
    0.5
    >>> score_estimate(-20, 32, scale_range=(-100, 100))
    0.0
    """
    if estimate is None:
        return math.nan
    try:
        value = float(estimate)
    except (TypeError, ValueError):
        raise ValueError(f"estimate must be a number, got {estimate!r}") from None
    if math.isnan(value):
        return math.nan
    actual = float(actual)
    tol = _estimate_tolerance(actual, tolerance, scale_range)
    return float(_estimate_credit(abs(value - actual), tol))


def _estimate_credit(distance, tol: float):
    """1 within ``tol``, falling linearly to 0 at ESTIMATE_ZERO_AT tolerances;
    elementwise, so one answer and a whole column get the same formula."""
    return np.clip(1.0 - (distance - tol) / ((ESTIMATE_ZERO_AT - 1.0) * tol), 0.0, 1.0)


def estimate_scale(item, figure) -> tuple[float, float] | None:
    """The answer scale of an estimate item: its own ``min``/``max`` if it sets
    both, else the figure's; None when neither gives both ends.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> from analysis.strategy import Strategy
    >>> item = load_instrument("instruments/strategy-pulse.toml").item("k_nps")
    >>> nps = Strategy.from_dict({"customer_figures": {"nps": {"label": "NPS", "value": 32,
    ...                           "min": -100, "max": 100}}}).customer_figures["nps"]
    >>> estimate_scale(item, nps)  # the item sets no scale of its own
    (-100.0, 100.0)
    """
    if item.min is not None and item.max is not None:
        return item.min, item.max
    if figure.min is not None and figure.max is not None:
        return figure.min, figure.max
    return None

