"""Construct scores: what each respondent *says* about each construct, 0 to 100.

The Likert items of a construct are put on one direction (reverse-keyed items
flipped, because those items exist to catch agreeing by habit) and one scale
(0 = the lowest point, 100 = the highest, so that constructs on different
scales and the knowledge checks can be set side by side), then averaged over
the items the respondent answered. Formulas and the missing-answer rule are
documented in ``docs/scoring.md``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.instrument import Instrument, Item

__all__ = ["MIN_ANSWERED_SHARE", "keyed_likert", "construct_scores", "rescale"]

#: A construct score needs answers to at least this share of the construct's
#: Likert items (2 of 3 in the default instrument). With fewer, one item's
#: wording would stand for the whole construct; half is the usual
#: "half rule" of scale scoring (e.g. the SF-36 manual, Ware et al. 1993).
MIN_ANSWERED_SHARE = 0.5


def shown(value) -> str:
    """A cell value as a user would write it (1.5, 'agree'), not np.float64(1.5),
    so an error message quotes what is in the file."""
    return repr(value) if isinstance(value, str) else str(value)


def whole_numbers(column: pd.Series, low: int, high: int) -> tuple[pd.Series, pd.Series]:
    """``column`` as floats, and a mask of the cells that hold something other
    than a whole number from ``low`` to ``high``.

    Missing cells are unanswered, not wrong. One rule for every answer on a
    fixed scale (Likert points, eNPS 0-10), so they are refused alike.
    """
    values = pd.to_numeric(column, errors="coerce").astype(float)
    not_numeric = values.isna() & column.notna()
    off_scale = values.notna() & ((values < low) | (values > high) | (values % 1 != 0))
    return values, not_numeric | off_scale


def _likert_column(responses: pd.DataFrame, item: Item, source: str) -> pd.Series:
    """One Likert column as floats, refusing anything that is not a scale point."""
    if item.id not in responses.columns:
        raise ValueError(
            f"responses have no column for Likert item '{item.id}' of instrument {source}"
        )
    column = responses[item.id]
    points = item.scale.points
    values, bad = whole_numbers(column, 1, points)
    if bad.any():
        response_id = bad.idxmax()
        raise ValueError(
            f"response {response_id!r}, item '{item.id}': {shown(column[response_id])} is not an "
            f"answer on its {points}-point scale (expected a whole number 1..{points}, or "
            "missing for \"don't know\" and unanswered)"
        )
    return values


def keyed_likert(
    responses: pd.DataFrame, instrument: Instrument, construct: str | None = None
) -> pd.DataFrame:
    """Likert answers with reverse-keyed items flipped to ``points + 1 - x``.

    After this, a higher number always means "more of the construct", which
    both the scores and the reliability analysis assume.

    Parameters
    ----------
    responses : pandas.DataFrame
        The responses table (one row per response, one column per item).
    instrument : Instrument
    construct : str, optional
        Only this construct's items; all Likert items when omitted.

    Returns
    -------
    pandas.DataFrame
        Same index as ``responses``, one float column per Likert item.

    Raises
    ------
    ValueError
        A Likert column is missing or holds something other than a scale
        point; the message names the response and the item.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> answers = pd.DataFrame({"st_understand": [5, 2], "st_line_of_sight": [4, 3],
    ...                         "st_priorities_shift": [2, 5]}, index=["r1", "r2"])
    >>> keyed_likert(answers, instrument, "strategy")  # st_priorities_shift is reverse-keyed
        st_understand  st_line_of_sight  st_priorities_shift
    r1            5.0               4.0                  4.0
    r2            2.0               3.0                  1.0
    """
    if construct is not None:
        instrument.construct(construct)  # KeyError naming the construct if unknown
    items = instrument.likert_items(construct)
    source = f"{instrument.id} v{instrument.version}"
    keyed = {}
    for item in items:
        values = _likert_column(responses, item, source)
        keyed[item.id] = item.scale.points + 1 - values if item.reverse else values
    return pd.DataFrame(keyed, index=responses.index, columns=[i.id for i in items], dtype=float)


def rescale(values, points: int):
    """Map scale points 1..points onto 0..100: ``(x - 1) / (points - 1) * 100``.

    Examples
    --------
    >>> import numpy as np
    >>> rescale(np.array([1, 3, 5]), 5)
    array([  0.,  50., 100.])
    """
    return (values - 1.0) / (points - 1) * 100.0


def construct_scores(
    responses: pd.DataFrame,
    instrument: Instrument,
    min_answered: float = MIN_ANSWERED_SHARE,
) -> pd.DataFrame:
    """Per respondent and construct, the 0-100 mean of the answered Likert items.

    Each answer is keyed (reverse-keyed items become ``points + 1 - x``),
    rescaled to ``(x - 1) / (points - 1) * 100`` and averaged over the items
    the respondent answered. "Don't know" counts as unanswered. A score is
    given only when at least ``min_answered`` of the construct's Likert items
    were answered (``answered >= min_answered * n_items``), otherwise NaN.

    Parameters
    ----------
    responses : pandas.DataFrame
        The responses table.
    instrument : Instrument
    min_answered : float, default :data:`MIN_ANSWERED_SHARE`
        Share of the construct's items, in (0, 1], that must be answered.

    Returns
    -------
    pandas.DataFrame
        Index = the responses' index, one column per construct id (in the
        instrument's order); NaN where the construct has no Likert items or
        too few were answered.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> answers = pd.DataFrame(
    ...     {"st_understand": [5.0], "st_line_of_sight": [4.0], "st_priorities_shift": [2.0]},
    ...     index=["r1"])
    >>> answers = answers.reindex(columns=[i.id for i in instrument.likert_items()])
    >>> scores = construct_scores(answers, instrument)
    >>> round(float(scores.loc["r1", "strategy"]), 2)  # (100 + 75 + 75) / 3; 2 is reversed to 4
    83.33
    >>> bool(pd.isna(scores.loc["r1", "customer"]))  # no customer item answered
    True
    """
    if not (isinstance(min_answered, (int, float)) and 0 < min_answered <= 1):
        raise ValueError(f"min_answered must be a share in (0, 1]; got {min_answered!r}")
    scores = {}
    for construct in instrument.constructs:
        items = instrument.likert_items(construct.id)
        if not items:
            scores[construct.id] = pd.Series(np.nan, index=responses.index)
            continue
        keyed = keyed_likert(responses, instrument, construct.id)
        rescaled = pd.DataFrame(
            {item.id: rescale(keyed[item.id], item.scale.points) for item in items},
            index=responses.index,
        )
        answered = rescaled.notna().sum(axis=1)
        needed = math.ceil(min_answered * len(items) - 1e-9)
        scores[construct.id] = rescaled.mean(axis=1).where(answered >= needed)
    return pd.DataFrame(scores, index=responses.index, columns=[c.id for c in instrument.constructs])
