"""Every measure per respondent on 0-100, the groups privacy decides on, and
the figures drawn from them: favourable bands, estimate bins, the trend."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..coarsen import leaders_and_staff
from ..indices import index_labels
from ..loader import PulseData
from ..privacy import PrivacyPolicy
from ..recall import estimate_scale
from ..report import respondent_scores
from ..scoring import keyed_likert, rescale

__all__ = [
    "ESTIMATE_BINS",
    "estimate_charts",
    "favourable_bands",
    "measure_columns",
    "measure_table",
    "merged_bins",
    "series_trend",
    "union_groups",
]

#: Bins of the estimates-against-the-truth chart before small bins are merged.
ESTIMATE_BINS = 10


def measure_table(data: PulseData) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Per respondent, every measure on 0-100, and what each measure is.

    Indices and the knowledge score come from :func:`respondent_scores`; a
    knowledge check is that table's knowledge score for one check (blank
    counts as 0, as there); a Likert item is its keyed answer rescaled by
    :func:`analysis.scoring.rescale`, the mapping the construct scores use.
    """
    scores, knowledge = respondent_scores(data)
    instrument = data.instrument
    names = index_labels(instrument)
    meta: dict[str, dict] = {}
    table = pd.DataFrame(index=scores.index)
    for construct in instrument.constructs:
        key = f"index_{construct.id}"
        table[key] = scores[key]
        meta[key] = {"kind": "index", "label": names[key], "owner": construct.owner,
                     "construct": construct.id}
    table["overall"] = scores["overall"]
    meta["overall"] = {"kind": "index", "label": names["overall"], "owner": "ceo", "construct": None}
    table["knowledge"] = scores["knowledge"]
    meta["knowledge"] = {"kind": "knowledge", "label": "Knowledge of the strategy", "owner": "ceo",
                         "construct": None}
    gradable = knowledge.loc[:, knowledge.notna().any()]
    for item in instrument.knowledge_items():
        if item.id not in gradable:
            continue
        key = f"check_{item.id}"
        table[key] = gradable[item.id].fillna(0.0) * 100
        meta[key] = {"kind": "check", "label": check_label(item, data.strategy), "owner": instrument.owner_of(item.construct),
                     "construct": item.construct, "item": item.id}
    keyed = keyed_likert(data.responses, instrument)
    for item in instrument.likert_items():
        key = f"item_{item.id}"
        table[key] = rescale(keyed[item.id], item.scale.points)
        meta[key] = {"kind": "item", "label": item.text, "owner": instrument.owner_of(item.construct),
                     "construct": item.construct, "item": item.id, "reverse": bool(item.reverse)}
    if "enps_answer" in scores:
        table["enps_answer"] = scores["enps_answer"]
    for segment in ("department", "role_level"):
        table[segment] = scores[segment]
    return table, meta


#: How a knowledge check is named on the pages, by what it is graded against.
_CHECK_LABELS = {
    "goals": "Naming this quarter's goals",
    "factors": "Naming the factors for excellence",
    "brand_promise": "Stating the brand promise",
    "previous_goals": "Telling this quarter's goals from last quarter's",
}


def check_label(item, strategy) -> str:
    if item.type == "estimate":
        figure = strategy.customer_figures.get(item.figure)
        return f"Estimating the {figure.label if figure else item.figure}"
    return _CHECK_LABELS.get(item.graded_against or "", f"Knowledge check {item.id}")


def measure_columns(meta: Mapping[str, dict]) -> list[str]:
    return list(meta)


def union_groups(table: pd.DataFrame, column: str | None, leadership_levels) -> dict:
    """Every group any report page or download shows one statistic for.

    ``column`` names the measure (the groups are restricted to those who
    answered it, as :func:`analysis.groups.compare_groups` does); ``None``
    gives the groups' respondent counts, shown beside every chart. Different
    measures are different statistics, so each is decided on its own, but
    once for all the pages and downloads that show it.
    """
    departments = sorted(table["department"].dropna().astype(str).unique())
    leaders, staff = (m.to_numpy() for m in leaders_and_staff(table["role_level"], leadership_levels))
    dept = table["department"].astype(object).to_numpy()
    answered = np.ones(len(table), dtype=bool) if column is None else table[column].notna().to_numpy()
    masks = {("company", None): answered}
    for name in departments:
        masks[("department", name)] = answered & (dept == name)
    masks[("leaders", None)] = answered & leaders
    masks[("staff", None)] = answered & staff
    return masks


def favourable_bands(values: pd.Series, points: int) -> tuple[float, float, float]:
    """Shares (0-100) of keyed answers above, at and below the scale's middle.

    On a 5-point scale: 4-5 favourable, 3 neutral, 1-2 unfavourable; on an
    even scale there is no neutral point.

    Examples
    --------
    >>> favourable_bands(pd.Series([5, 4, 3, 2, None]), 5)
    (50.0, 25.0, 25.0)
    """
    answered = values.dropna()
    if answered.empty:
        raise ValueError("no answers to split into favourable, neutral and unfavourable")
    middle = (points + 1) / 2
    n = len(answered)
    return (
        float((answered > middle).sum() / n * 100),
        float((answered == middle).sum() / n * 100),
        float((answered < middle).sum() / n * 100),
    )


def merged_bins(values: Sequence[float], low: float, high: float, *, bins: int, min_count: int) -> list[dict]:
    """Equal-width bins of ``values`` over ``[low, high]``, neighbours merged
    until every bin holds ``min_count`` values or none.

    Empty bins are kept (they say nobody guessed there); a bin with 1 to
    ``min_count - 1`` guesses is merged into its right neighbour (the last
    into its left one), so no bar of the chart counts fewer than
    ``min_count`` people.

    Examples
    --------
    >>> [(b["low"], b["high"], b["count"]) for b in merged_bins([1, 2, 6, 7, 8, 9, 9], 0, 10, bins=2, min_count=5)]
    [(0.0, 10.0, 7)]
    >>> [b["count"] for b in merged_bins([1, 1, 1, 1, 1, 9, 9, 9, 9, 9], 0, 10, bins=2, min_count=5)]
    [5, 5]
    """
    if not high > low:
        raise ValueError(f"the range of the bins is empty: {low}..{high}")
    values = np.clip(np.asarray([v for v in values if v is not None and not math.isnan(v)], float), low, high)
    edges = np.linspace(low, high, bins + 1)
    counts = np.histogram(values, bins=edges)[0].tolist()
    out = [{"low": float(edges[i]), "high": float(edges[i + 1]), "count": int(c)} for i, c in enumerate(counts)]
    i = 0
    while i < len(out):
        if 0 < out[i]["count"] < min_count and len(out) > 1:
            j = i + 1 if i + 1 < len(out) else i - 1
            a, b = sorted((i, j))
            out[a:b + 1] = [{"low": out[a]["low"], "high": out[b]["high"],
                             "count": out[a]["count"] + out[b]["count"]}]
            i = max(a - 1, 0)
            continue
        i += 1
    if len(out) == 1 and 0 < out[0]["count"] < min_count:
        return []
    return out


def estimate_charts(data: PulseData, visible: Callable[..., bool], policy: PrivacyPolicy) -> list[dict]:
    """Each customer figure's estimates against its real value, as merged
    bins, where the check is shown for the company and enough people guessed."""
    # Estimates of the customer figures against the real value.
    estimates = []
    for item in data.instrument.knowledge_items():
        figure = data.strategy.customer_figures.get(item.figure) if item.type == "estimate" else None
        if figure is None or not visible(f"check_{item.id}", "company"):
            continue
        scale = estimate_scale(item, figure) or (figure.min, figure.max)
        guesses = data.responses[item.id].dropna().tolist()
        if len(guesses) < policy.min_group or scale[0] is None or scale[1] is None:
            continue
        estimates.append({"item": item.id, "label": figure.label, "actual": figure.value,
                          "unit": figure.unit, "n": len(guesses),
                          "bins": merged_bins(guesses, float(scale[0]), float(scale[1]),
                                              bins=ESTIMATE_BINS, min_count=policy.min_group)})
    return estimates


def series_trend(data: PulseData, history: Sequence[PulseData], table: pd.DataFrame,
                 columns: Sequence[str], policy: PrivacyPolicy) -> list[dict]:
    """The company's ``columns`` over the series, oldest pulse first; a
    pulse or a measure with fewer than the minimum group shows no figure."""
    # Trend across the series (company level only).
    trend = []
    for pulse in [*history, data]:
        if len(pulse.responses) < policy.min_group:
            trend.append({"survey": pulse.survey, "period": pulse.period, "n": None, "scores": {}})
            continue
        past = table if pulse is data else measure_table(pulse)[0]
        trend.append({"survey": pulse.survey, "period": pulse.period, "n": int(len(pulse.responses)),
                      "scores": {k: float(past[k].mean()) for k in columns
                                 if k in past and past[k].notna().sum() >= policy.min_group}})
    return trend
