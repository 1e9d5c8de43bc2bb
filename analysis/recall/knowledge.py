"""Every knowledge check of every response, graded: the table the indices use."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..text import is_blank
from .estimates import _estimate_credit, _estimate_tolerance, estimate_scale
from .scorer import _scorer

def score_knowledge(responses: pd.DataFrame, instrument, strategy) -> pd.DataFrame:
    """Score every knowledge check of every response, in [0, 1].

    One column per knowledge item of the instrument, in instrument order:
    recall items graded with :func:`score_recall` against
    ``strategy.part(item.graded_against)``, estimates with
    :func:`score_estimate` against ``strategy.customer_figures[item.figure]``
    (the item's ``tolerance`` if set, its ``min``/``max`` - else the figure's -
    as the scale). Blank cells give NaN: the respondent skipped the check, which
    the indices treat separately from a wrong answer. "Don't know" is an
    answer and scores 0. A check the strategy gives nothing to grade against
    (no factors entered, no such figure) is NaN throughout.

    Each distinct answer is graded once, so 100,000 responses cost about as
    much as their distinct answers.

    Raises
    ------
    KeyError
        When a knowledge item has no column in ``responses``.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> from analysis.strategy import Strategy
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> strategy = Strategy.from_dict({
    ...     "goals": ["Cut delivery time to 48 hours", "Open the Rotterdam hub"],
    ...     "factors": ["Customer obsession", "Speak up early"], "brand_promise": "On time, every time",
    ...     "customer_figures": {"nps": {"label": "NPS", "value": 32, "min": -100, "max": 100}}})
    >>> answers = pd.DataFrame({"k_goals": ["48h delivery, Rotterdam hub", "no idea"],
    ...                         "k_factors": ["speak up early", None], "k_nps": [30, -20],
    ...                         "k_brand": ["on time every time", None]}, index=["r1", "r2"])
    >>> score_knowledge(answers, instrument, strategy)
        k_goals  k_factors  k_nps  k_brand
    r1      1.0        0.5    1.0      1.0
    r2      0.0        NaN    0.0      NaN
    """
    out = pd.DataFrame(index=responses.index)
    for item in instrument.knowledge_items():
        if item.id not in responses.columns:
            raise KeyError(
                f"responses have no column for knowledge item '{item.id}' "
                f"(columns: {', '.join(map(str, responses.columns))})"
            )
        column = responses[item.id]
        if item.type == "recall":
            statements = strategy.part(item.graded_against)
            if not statements:
                out[item.id] = np.nan
                continue
            scorer = _scorer(tuple(statements))
            uniques = pd.unique(column.dropna())
            scores = {
                value: (math.nan if is_blank(value) else scorer.score(value).score)
                for value in uniques
            }
            out[item.id] = column.map(scores).astype(float)
        else:
            figure = strategy.customer_figures.get(item.figure)
            if figure is None:
                out[item.id] = np.nan
                continue
            try:
                values = pd.to_numeric(column, errors="raise").astype(float)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"knowledge item '{item.id}': estimates must be numbers ({exc})") from None
            tol = _estimate_tolerance(float(figure.value), item.tolerance, estimate_scale(item, figure))
            out[item.id] = _estimate_credit(np.abs(values - figure.value), tol)  # blank stays NaN
    return out

