"""The wrong beliefs many people share: wordings that recall no current
statement, grouped by their concepts, and bands of wrong guesses of a figure.

Beliefs are people's own words: callers that show them apply the comment
rules first (``analysis.report`` gates them on the comments' minimum and
scrubs them); here ``min_count`` drops beliefs too rare to show.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..text import is_blank, is_no_content
from .estimates import _estimate_tolerance, estimate_scale
from .scorer import _scorer
from .tokens import _fold, _items

_WORDING = re.compile(r"\d+(?:\.\d+)?|[a-z][a-z0-9]*(?:'[a-z]+)*")


def _wording(piece: str) -> str:
    """A belief as people wrote it, lower case, punctuation dropped ("don't" kept)."""
    return " ".join(_WORDING.findall(_fold(piece).replace("%", " percent ")))


def misconceptions(
    answers: Sequence[str],
    strategy,
    *,
    part: str = "goals",
    min_count: int = 3,
    similarity: float = 0.5,
) -> pd.DataFrame:
    """The wrong beliefs many people share, most frequent first.

    Each answer is split into its items (lines, bullets, commas) - except
    against a single statement such as the brand promise, where the whole
    answer is one item; an item that recalls none of the current statements and says something (not blank,
    not "don't know") is a wrong belief. Items are grouped by their concepts
    (stems after synonyms): two items join when their concept sets overlap by
    at least ``similarity`` (Jaccard), so "Rotterdam hub" and "open the new
    hub in Rotterdam" are one belief. A belief that recalls one of
    ``strategy.previous_goals`` is flagged: people still working to last
    quarter's goal is a communication problem with a known fix; all the
    wordings of one previous goal are one belief.

    Parameters
    ----------
    answers : sequence of str
        The answers to one recall item (blanks allowed).
    strategy : Strategy
    part : {"goals", "factors", "brand_promise"}
        What the answers were graded against.
    min_count : int
        Beliefs held by fewer respondents are left out (also a privacy floor:
        rare wordings can identify people).
    similarity : float
        Jaccard overlap of concept sets needed to group two items.

    Returns
    -------
    DataFrame
        Columns ``belief`` (the most common wording), ``count`` (respondents),
        ``share`` (of respondents who answered), ``previous_goal`` (the last
        quarter's goal it matches, or None), ``variants`` (other wordings, up
        to five).

    Examples
    --------
    >>> from analysis.strategy import Strategy
    >>> strategy = Strategy.from_dict({"goals": ["Cut delivery time to 48 hours", "Launch self-service tracking"],
    ...                                "previous_goals": ["Open the Leeds depot"]})
    >>> answers = ["Expand into Spain", "expand to Spain\\n48h delivery", "Spain expansion",
    ...            "the Leeds depot", "open Leeds depot", "Leeds", "48h delivery"]
    >>> found = misconceptions(answers, strategy, min_count=3)
    >>> found[["belief", "count"]]
                belief  count
    0  expand to spain      3
    1            leeds      3
    >>> found.loc[1, "previous_goal"]  # still working to last quarter's goal
    'Open the Leeds depot'
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")
    statements = tuple(strategy.part(part))
    current = _scorer(statements) if statements else None
    previous = _scorer(tuple(strategy.previous_goals)) if part == "goals" and strategy.previous_goals else None
    probe = current or _scorer(tuple(strategy.previous_goals) or ("",))

    single = len(statements) == 1
    wordings: dict[frozenset, Counter] = {}
    holders: dict[frozenset, set[int]] = {}
    answered = 0
    # The same answer has the same wrong beliefs: each distinct answer is
    # graded once ("no idea", "grow the business" repeat; issue 11).
    graded: dict[str, list] = {}
    for idx, answer in enumerate(answers):
        if is_blank(answer):
            continue
        answered += 1
        text = str(answer)
        beliefs = graded.get(text)
        if beliefs is None:
            beliefs = graded[text] = list(_wrong_beliefs(text, single, current, previous, probe))
        for concepts, wording in beliefs:
            wordings.setdefault(concepts, Counter())[wording] += 1
            holders.setdefault(concepts, set()).add(idx)

    rows = []
    for words, who in _group_beliefs(wordings, holders, similarity):
        if len(who) < min_count:
            continue
        # Most common wording first; ties go to the shortest (the plainest).
        ranked = [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))]
        hit = previous.score(ranked[0]).matched if previous is not None else []
        rows.append(
            {
                "belief": ranked[0],
                "count": len(who),
                "share": len(who) / answered if answered else math.nan,
                "previous_goal": strategy.previous_goals[hit[0]] if hit else None,
                "variants": ranked[1:6],
            }
        )
    frame = pd.DataFrame(rows, columns=["belief", "count", "share", "previous_goal", "variants"])
    return frame.sort_values(["count", "belief"], ascending=[False, True], ignore_index=True)


def _wrong_beliefs(answer: str, single: bool, current, previous, probe):
    """(concepts, wording) of each item of one answer that recalls none of
    the current statements and says something."""
    # A single statement (the brand promise) is one idea: an answer that
    # recalls it is right as a whole, even if no clause of it ("every
    # time") would be enough alone, so its clauses are not wrong beliefs.
    pieces = [_fold(answer)] if single else _items(answer, probe._abbreviations)
    for piece in pieces:
        if is_no_content(piece):
            continue
        if current is not None and current.score(piece).matched:
            continue
        hit = previous.score(piece).matched if previous is not None else []
        if hit:
            # Every wording of one of last quarter's goals is one belief,
            # however differently it is put ("one ticketing system",
            # "single ticket tool").
            concepts = frozenset({f"\x00previous goal {hit[0]}"})
        else:
            concepts = frozenset(t.concept for toks in probe.tokens(piece) for t in toks)
        if concepts:
            yield concepts, _wording(piece)


def _group_beliefs(wordings: dict, holders: dict, similarity: float) -> list[tuple[Counter, set[int]]]:
    """Join beliefs whose concept sets overlap by at least ``similarity``
    (Jaccard), the most widely held first; (wordings, holders) per group."""
    clusters: list[tuple[frozenset, Counter, set[int]]] = []
    for key in sorted(holders, key=lambda k: (-len(holders[k]), sorted(k))):
        for ckey, words, who in clusters:
            if len(key & ckey) / len(key | ckey) >= similarity:
                words.update(wordings[key])
                who |= holders[key]
                break
        else:
            clusters.append((key, Counter(wordings[key]), set(holders[key])))
    return [(words, who) for _, words, who in clusters]


def estimate_misconceptions(
    estimates,
    actual: float,
    *,
    tolerance=None,
    scale_range=None,
    label: str = "the figure",
    min_count: int = 3,
) -> pd.DataFrame:
    """Bands of wrong guesses of a figure, e.g. "thinks NPS is 42 to 62".

    Guesses within the tolerance are right and left out. Wrong guesses are
    put in bands two tolerances wide, stepping away from the right zone
    (so with NPS 32 and tolerance 10: 42 to 62, 62 to 82, ... above and 2 to
    22, -18 to 2, ... below), clipped to the scale. Bands with fewer than
    ``min_count`` people are dropped.

    Returns
    -------
    DataFrame
        Columns ``belief``, ``direction`` ("above"/"below"), ``low``,
        ``high``, ``count``, ``share`` (of people who gave an estimate).

    Examples
    --------
    >>> estimate_misconceptions([70, 75, 68, 30, 35, -50], 32, scale_range=(-100, 100),
    ...                         label="NPS", min_count=2)[["belief", "count", "share"]]
                                   belief  count  share
    0  thinks NPS is 62 to 82 (actual 32)      3    0.5
    """
    values = pd.to_numeric(pd.Series(list(estimates), dtype=object), errors="coerce").dropna()
    values = values.astype(float).to_numpy()
    actual = float(actual)
    tol = _estimate_tolerance(actual, tolerance, scale_range)
    low_bound, high_bound = (scale_range if scale_range is not None else (None, None))
    if low_bound is not None:
        values = np.maximum(values, low_bound)
    if high_bound is not None:
        values = np.minimum(values, high_bound)
    rows = []
    width = 2 * tol
    for direction, sign in (("above", 1), ("below", -1)):
        offset = values - actual if sign > 0 else actual - values
        wrong = offset[offset > tol]
        if not wrong.size:
            continue
        band = np.floor((wrong - tol) / width).astype(int)
        for b, count in sorted(Counter(band.tolist()).items()):
            near = actual + sign * (tol + b * width)
            far = actual + sign * (tol + (b + 1) * width)
            lo, hi = (near, far) if sign > 0 else (far, near)
            if low_bound is not None:
                lo = max(lo, low_bound)
            if high_bound is not None:
                hi = min(hi, high_bound)
            if count < min_count:
                continue
            rows.append(
                {
                    "belief": f"thinks {label} is {lo:g} to {hi:g} (actual {actual:g})",
                    "direction": direction,
                    "low": lo,
                    "high": hi,
                    "count": int(count),
                    "share": count / len(values),
                }
            )
    frame = pd.DataFrame(rows, columns=["belief", "direction", "low", "high", "count", "share"])
    return frame.sort_values("count", ascending=False, kind="stable", ignore_index=True)



def knowledge_misconceptions(responses: pd.DataFrame, instrument, strategy, *, min_count: int = 3) -> dict:
    """:func:`misconceptions` / :func:`estimate_misconceptions` for every
    knowledge item of the instrument, keyed by item id (items the strategy
    gives nothing to grade against are left out).

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> from analysis.strategy import Strategy
    >>> instrument = load_instrument("instruments/strategy-pulse.toml")
    >>> strategy = Strategy.from_dict({"goals": ["Cut delivery time to 48 hours"],
    ...     "customer_figures": {"nps": {"label": "NPS", "value": 32, "min": -100, "max": 100}}})
    >>> answers = pd.DataFrame({"k_goals": ["Spain"] * 3 + ["48h delivery"], "k_factors": None,
    ...                         "k_nps": [70, 75, 68, 30], "k_brand": None})
    >>> found = knowledge_misconceptions(answers, instrument, strategy, min_count=3)
    >>> sorted(found)  # no factors or brand promise to grade against
    ['k_goals', 'k_nps']
    >>> found["k_nps"].loc[0, "belief"]
    'thinks NPS is 62 to 82 (actual 32)'
    """
    out = {}
    for item in instrument.knowledge_items():
        if item.id not in responses.columns:
            raise KeyError(f"responses have no column for knowledge item '{item.id}'")
        if item.type == "recall":
            if strategy.part(item.graded_against):
                out[item.id] = misconceptions(
                    responses[item.id].tolist(), strategy, part=item.graded_against, min_count=min_count
                )
        else:
            figure = strategy.customer_figures.get(item.figure)
            if figure is None:
                continue
            out[item.id] = estimate_misconceptions(
                responses[item.id], figure.value, tolerance=item.tolerance,
                scale_range=estimate_scale(item, figure),
                label=figure.label, min_count=min_count,
            )
    return out

