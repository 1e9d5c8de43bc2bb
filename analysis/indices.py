"""The alignment indices: has the strategy landed, construct by construct?

What people *say* (their 0-100 construct score from the Likert items) and
what they *know* (their knowledge-check scores, graded by ``analysis.recall``)
are combined into one index per construct -- strategy alignment for the CEO,
customer-experience awareness for the CMO, learning and communication for the
CLO -- and an overall alignment index. Beside the indices, two gaps that tell
leaders where the message is stuck: the know-feel gap (people confident they
know what they do not) and the perception gap (leaders seeing more alignment
than their staff). And eNPS with its margin of error, because a pulse without
it invites over-reading a ten-point swing. Every formula and threshold is in
``docs/scoring.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.coarsen import MERGED_ROLE_LEVELS, leaders_and_staff
from analysis.groups import welch
from analysis.instrument import DEFAULT_LEADERSHIP_LEVELS, ROLE_LEVELS, Instrument
from analysis.scoring import construct_scores, keyed_likert, shown, whole_numbers

__all__ = [
    "SAY_WEIGHT",
    "CONFIDENT_TOP_POINTS",
    "UNSURE_BOTTOM_POINTS",
    "KNOWS_THRESHOLD",
    "INDEX_NAMES",
    "ENPSResult",
    "alignment_indices",
    "index_labels",
    "know_feel_gap",
    "perception_gap",
    "enps",
]

#: Weight of the say score in a construct index; the know score gets the rest.
#: Equal weights: neither self-report nor a knowledge check alone shows that a
#: strategy has landed, and no evidence favours one (docs/scoring.md).
SAY_WEIGHT = 0.5
#: "Confident" = a self-rating in the top this-many points of its scale.
CONFIDENT_TOP_POINTS = 2
#: "Unsure" = a self-rating in the bottom this-many points of its scale.
UNSURE_BOTTOM_POINTS = 2
#: A knowledge score at or above this counts as "right" in the know-feel gap.
KNOWS_THRESHOLD = 0.5

#: What users call the index of the construct an executive owns.
INDEX_NAMES = {
    "ceo": "Strategy alignment",
    "cmo": "Customer-experience awareness",
    "clo": "Learning and communication",
}
OVERALL_NAME = "Overall alignment"


def index_labels(instrument: Instrument) -> dict[str, str]:
    """Column name -> the name users see, for :func:`alignment_indices` output.

    An executive's only construct takes the executive's index name (e.g. the
    CEO's construct becomes "Strategy alignment"); where an executive owns
    several constructs, each keeps its own name so they stay distinguishable.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> labels = index_labels(load_instrument("instruments/strategy-pulse.toml"))
    >>> labels["index_strategy"], labels["know_customer"], labels["overall"]
    ('Strategy alignment', 'Customer-experience awareness: what people know', 'Overall alignment')
    """
    owners = [c.owner for c in instrument.constructs]
    labels = {}
    for construct in instrument.constructs:
        name = (
            INDEX_NAMES[construct.owner]
            if owners.count(construct.owner) == 1
            else construct.name
        )
        labels[f"say_{construct.id}"] = f"{name}: what people say"
        labels[f"know_{construct.id}"] = f"{name}: what people know"
        labels[f"index_{construct.id}"] = name
    labels["overall"] = OVERALL_NAME
    return labels


def _knowledge_table(knowledge: pd.DataFrame, index: pd.Index, instrument: Instrument) -> pd.DataFrame:
    """Knowledge scores aligned to the responses, validated against the instrument."""
    items = [i.id for i in instrument.knowledge_items()]
    if not items:  # nothing to align: an instrument without knowledge checks
        return pd.DataFrame(index=index, dtype=float)
    missing = [i for i in items if i not in knowledge.columns]
    if missing:
        raise ValueError(
            f"knowledge scores have no column for knowledge item(s) {', '.join(missing)} "
            f"(expected one column per knowledge check, as analysis.recall.score_knowledge gives)"
        )
    absent = index.difference(knowledge.index)
    if len(absent):
        raise ValueError(
            f"knowledge scores are missing {len(absent)} response(s) of the responses table, "
            f"e.g. {absent[0]!r}; score the same responses"
        )
    table = knowledge.loc[index, items]
    values = table.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = (values.isna() & table.notna()) | (values < 0) | (values > 1)
    if bad.to_numpy().any():
        row, column = np.argwhere(bad.to_numpy())[0]
        raise ValueError(
            f"knowledge score of response {index[row]!r}, item '{items[column]}' is "
            f"{shown(table.iat[row, column])}; expected a number from 0 to 1 (or missing)"
        )
    return values


def alignment_indices(
    responses: pd.DataFrame,
    instrument: Instrument,
    knowledge: pd.DataFrame,
    say_weight: float = SAY_WEIGHT,
) -> pd.DataFrame:
    """Per respondent: say, know and index per construct, and overall alignment.

    - ``say_<c>``: the construct score of :func:`analysis.scoring.construct_scores`.
    - ``know_<c>``: 100 x the mean knowledge score of the construct's knowledge
      checks. A check left blank in a submitted response counts as 0: the
      checks are optional so that nobody has to invent an answer, and "could
      not name the goals" is exactly what the index must register -- counting
      blanks as missing would score only the people who know.
    - ``index_<c>``: ``say_weight * say + (1 - say_weight) * know``; the say
      score alone when the construct has no knowledge checks, the know score
      alone when it has no Likert items. NaN when the say score is missing
      (too few Likert items answered), because half an index is not one.
    - ``overall``: mean of the respondent's construct indices that are not
      NaN (NaN if none).

    Parameters
    ----------
    responses : pandas.DataFrame
        The responses table.
    instrument : Instrument
    knowledge : pandas.DataFrame
        Knowledge scores in [0, 1], one column per knowledge item, NaN where
        unanswered (``analysis.recall.score_knowledge``); indexed like
        ``responses`` (extra rows are ignored).
    say_weight : float, default :data:`SAY_WEIGHT`
        In [0, 1].

    Returns
    -------
    pandas.DataFrame
        Index = the responses' index; columns ``say_<c>``, ``know_<c>``,
        ``index_<c>`` for each construct in order, then ``overall``; all 0-100.
        :func:`index_labels` gives the names to show users.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> from analysis.recall import score_knowledge
    >>> from analysis.strategy import Strategy
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> strategy = Strategy.from_dict({"goals": ["Cut delivery time to 48 hours", "Open the Rotterdam hub"],
    ...                                "factors": ["Customer obsession", "Speak up early"]})
    >>> likert = [item.id for item in instrument.likert_items()]
    >>> responses = pd.DataFrame([[5, 5, 1] + [3] * 6, [5, 4, 2] + [3] * 6], columns=likert, index=["r1", "r2"])
    >>> responses = responses.assign(k_goals=["48h delivery, Rotterdam hub", "no idea"],
    ...                              k_factors=["speak up early", None], k_nps=None, k_brand=None)
    >>> knowledge = score_knowledge(responses, instrument, strategy)
    >>> alignment_indices(responses, instrument, knowledge)[["say_strategy", "know_strategy", "index_strategy"]].round(1)
        say_strategy  know_strategy  index_strategy
    r1         100.0           75.0            87.5
    r2          83.3            0.0            41.7
    """
    if not (isinstance(say_weight, (int, float)) and 0 <= say_weight <= 1):
        raise ValueError(f"say_weight must be in [0, 1]; got {say_weight!r}")
    say = construct_scores(responses, instrument)
    known = _knowledge_table(knowledge, responses.index, instrument).fillna(0.0)
    columns = {}
    indices = []
    for construct in instrument.constructs:
        c = construct.id
        checks = [i.id for i in instrument.knowledge_items(c)]
        has_likert = bool(instrument.likert_items(c))
        know = known[checks].mean(axis=1) * 100 if checks else pd.Series(np.nan, index=responses.index)
        if checks and has_likert:
            index = say_weight * say[c] + (1 - say_weight) * know
        elif checks:
            index = know
        else:
            index = say[c]
        columns[f"say_{c}"] = say[c]
        columns[f"know_{c}"] = know
        columns[f"index_{c}"] = index
        indices.append(f"index_{c}")
    result = pd.DataFrame(columns, index=responses.index)
    result["overall"] = result[indices].mean(axis=1) if indices else np.nan
    return result


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Rank correlation, NaN (not a warning) when it is undefined."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def know_feel_gap(
    responses: pd.DataFrame, instrument: Instrument, knowledge: pd.DataFrame
) -> pd.DataFrame:
    """Per knowledge check with a self-rating: how well confidence matches knowledge.

    A respondent is *confident* when their (keyed) self-rating is in the top
    :data:`CONFIDENT_TOP_POINTS` points of its scale, *unsure* in the bottom
    :data:`UNSURE_BOTTOM_POINTS`, and *right* when their knowledge score is at
    least :data:`KNOWS_THRESHOLD`. A blank knowledge check counts as 0 (not
    known), as in :func:`alignment_indices`: someone sure they know the goals
    who cannot write one down is the case this table exists to show.

    Returns
    -------
    pandas.DataFrame
        One row per knowledge item (index ``item``) with columns
        ``construct``, ``self_rating`` (the Likert item id), ``n``
        (respondents with a self-rating), ``confident_wrong``,
        ``unsure_right``, ``confident_right`` (shares of ``n``, 0-1) and
        ``calibration`` (Spearman correlation of self-rating and knowledge
        score; NaN with fewer than 3 respondents or no spread).

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> from analysis.recall import score_knowledge
    >>> from analysis.strategy import Strategy
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> strategy = Strategy.from_dict({"goals": ["Cut delivery time to 48 hours", "Open the Rotterdam hub"]})
    >>> likert = [item.id for item in instrument.likert_items()]
    >>> responses = pd.DataFrame([[5, 5, 1] + [3] * 6, [5, 4, 2] + [3] * 6], columns=likert)
    >>> responses = responses.assign(k_goals=["48h delivery, Rotterdam hub", "no idea"],
    ...                              k_factors=None, k_nps=None, k_brand=None)
    >>> gap = know_feel_gap(responses, instrument, score_knowledge(responses, instrument, strategy))
    >>> gap.loc["k_goals", ["n", "confident_wrong", "confident_right"]].tolist()  # both sure, one right
    [2.0, 0.5, 0.5]
    """
    known = _knowledge_table(knowledge, responses.index, instrument).fillna(0.0)
    keyed_all = keyed_likert(responses, instrument)
    rows = []
    for item in instrument.knowledge_items():
        if item.self_rating is None:
            continue
        rated = instrument.item(item.self_rating)
        keyed = keyed_all[rated.id]
        points = rated.scale.points
        mask = keyed.notna()
        rating = keyed[mask].to_numpy()
        score = known.loc[mask, item.id].to_numpy()
        n = int(mask.sum())
        confident = rating > points - CONFIDENT_TOP_POINTS
        unsure = rating <= UNSURE_BOTTOM_POINTS
        right = score >= KNOWS_THRESHOLD

        def share(flags: np.ndarray) -> float:
            return float(flags.sum() / n) if n else float("nan")

        rows.append(
            {
                "item": item.id,
                "construct": item.construct,
                "self_rating": rated.id,
                "n": n,
                "confident_wrong": share(confident & ~right),
                "unsure_right": share(unsure & right),
                "confident_right": share(confident & right),
                "calibration": _spearman(rating, score),
            }
        )
    columns = [
        "construct", "self_rating", "n", "confident_wrong", "unsure_right",
        "confident_right", "calibration",
    ]
    if not rows:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="item"))
    return pd.DataFrame(rows).set_index("item")[columns]


def perception_gap(
    indices: pd.DataFrame,
    role_level: pd.Series,
    leadership_levels=DEFAULT_LEADERSHIP_LEVELS,
    level: float = 0.95,
) -> pd.DataFrame:
    """Leaders' versus staff's mean of each index, with a Welch interval.

    Leaders believing the strategy has landed better than it has with their
    people is the gap this surfaces. Leaders are respondents whose
    ``role_level`` is in ``leadership_levels``; staff are all other
    respondents with a known role level; respondents without one are left out.

    The interval for ``difference = leaders_mean - staff_mean`` is Welch's
    (1947): ``diff +- t(level, df) * se`` with ``se^2 = s_l^2/n_l + s_s^2/n_s``
    and Welch-Satterthwaite ``df``, as R's ``t.test(var.equal = FALSE)``
    (:func:`analysis.groups.welch`, the test of every group table).

    Parameters
    ----------
    indices : pandas.DataFrame
        Output of :func:`alignment_indices` (the ``index_*`` and ``overall``
        columns are compared).
    role_level : pandas.Series
        Role level per respondent, indexed like ``indices``.
    leadership_levels : sequence of str
        Role levels counted as leadership (the pulse's setting).
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per index (index ``index``) with ``leaders_mean``,
        ``staff_mean``, ``difference``, ``ci_low``, ``ci_high``, ``p_value``,
        ``n_leaders``, ``n_staff``. Means use the respondents with a value for
        that index; the interval is NaN with fewer than two in either group,
        and collapses to the difference (p-value NaN) when neither group varies.
        Small groups are not suppressed here: apply ``analysis.privacy``
        before showing the result.

    Examples
    --------
    >>> indices = pd.DataFrame({"overall": [80, 75, 85, 78, 60, 55, 65, 58, 62, 50]})
    >>> role = pd.Series(["manager"] * 4 + ["staff"] * 6)
    >>> perception_gap(indices, role)[["leaders_mean", "staff_mean", "difference", "n_leaders"]].round(1)
             leaders_mean  staff_mean  difference  n_leaders
    index
    overall          79.5        58.3        21.2          4
    """
    leadership_levels = tuple(leadership_levels)
    unknown = [lv for lv in leadership_levels if lv not in ROLE_LEVELS]
    if unknown:
        raise ValueError(
            f"unknown leadership level(s) {', '.join(map(repr, unknown))}; "
            f"expected role levels from {', '.join(ROLE_LEVELS)}"
        )
    if not (0 < level < 1):
        raise ValueError(f"level must be strictly between 0 and 1; got {level!r}")
    roles = role_level.reindex(indices.index)
    known_roles = roles.dropna()
    bad = known_roles[~known_roles.isin(ROLE_LEVELS + MERGED_ROLE_LEVELS)]
    if len(bad):
        raise ValueError(
            f"response {bad.index[0]!r} has role_level {bad.iloc[0]!r}; "
            f"expected one of {', '.join(ROLE_LEVELS)}"
        )
    leaders, staff = leaders_and_staff(roles, leadership_levels)
    columns = [c for c in indices.columns if c.startswith("index_") or c == "overall"]
    rows = []
    for column in columns:
        values = indices[column]
        a = values[leaders].dropna().to_numpy(dtype=float)
        b = values[staff].dropna().to_numpy(dtype=float)
        _, low, high, p = welch(a, b, level)
        lead_mean = float(a.mean()) if len(a) else float("nan")
        staff_mean = float(b.mean()) if len(b) else float("nan")
        rows.append(
            {
                "index": column,
                "leaders_mean": lead_mean,
                "staff_mean": staff_mean,
                "difference": lead_mean - staff_mean,
                "ci_low": low,
                "ci_high": high,
                "p_value": p,
                "n_leaders": len(a),
                "n_staff": len(b),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["index", "leaders_mean", "staff_mean", "difference", "ci_low", "ci_high",
                 "p_value", "n_leaders", "n_staff"],
    ).set_index("index")


@dataclass(frozen=True)
class ENPSResult:
    """Employee Net Promoter Score with its categories and interval.

    ``score`` and the interval are on the -100..100 scale; ``promoters``,
    ``passives`` and ``detractors`` are percentages of ``n`` (0-100).
    """

    score: float
    promoters: float
    passives: float
    detractors: float
    n: int
    ci_low: float
    ci_high: float


def enps(values, level: float = 0.95) -> ENPSResult:
    """eNPS: percent promoters (9-10) minus percent detractors (0-6).

    The interval is the Wald interval of Rocks (2016): with proportions
    ``p`` (promoters) and ``d`` (detractors) of ``n`` answers, the NPS is the
    difference of two multinomial proportions, so
    ``Var(p - d) = (p + d - (p - d)^2) / n`` and the interval is
    ``100 * ((p - d) +- z * sqrt(Var))``, clipped to [-100, 100]. With all
    answers in one category the variance is 0 and the interval collapses to
    the score (the Wald interval's known weakness at extremes).

    Parameters
    ----------
    values : array-like
        Answers 0..10; NaN (unanswered) is ignored.
    level : float, default 0.95

    Returns
    -------
    ENPSResult
        NaN score and interval when nobody answered.

    Raises
    ------
    ValueError
        An answer that is not a whole number from 0 to 10.

    Examples
    --------
    >>> r = enps([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
    >>> r.score, r.promoters, r.detractors, r.n
    (20.0, 50.0, 30.0, 10)
    >>> round(r.ci_low, 1), round(r.ci_high, 1)
    (-34.0, 74.0)
    """
    if not (0 < level < 1):
        raise ValueError(f"level must be strictly between 0 and 1; got {level!r}")
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    numbers, bad = whole_numbers(series, 0, 10)
    if bad.any():
        where = bad.idxmax()
        raise ValueError(
            f"eNPS answer {shown(series[where])} (row {where!r}) is not a whole number from 0 to 10"
        )
    answers = numbers.dropna().to_numpy()
    n = len(answers)
    if n == 0:
        nan = float("nan")
        return ENPSResult(nan, nan, nan, nan, 0, nan, nan)
    promoters = int((answers >= 9).sum())
    detractors = int((answers <= 6).sum())
    p, d = promoters / n, detractors / n
    score = p - d
    z = stats.norm.ppf(0.5 + level / 2)
    half = float(z) * math.sqrt(max(p + d - score**2, 0.0) / n)
    return ENPSResult(
        score=100 * (promoters - detractors) / n,
        promoters=100 * promoters / n,
        passives=100 * (n - promoters - detractors) / n,
        detractors=100 * detractors / n,
        n=n,
        ci_low=float(max(-100.0, 100 * (score - half))),
        ci_high=float(min(100.0, 100 * (score + half))),
    )
