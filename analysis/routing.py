"""Route each comment theme to the executive who owns it.

A theme about training goes to the CLO, one about customers to the CMO, one
about direction and priorities to the CEO; anything else stays "other" rather
than being forced onto someone. The rule is a transparent vocabulary match, so
a leader can see why a theme landed on their desk (``evidence``) and correct it
(an override always wins).

Rule (documented with the vocabularies in ``docs/text.md``):

1. Vocabulary per owner, as stems (:func:`analysis.text.content_tokens`):
   the built-in :data:`DEFAULT_VOCABULARY`, plus the instrument's construct
   seed terms (owner of the construct), plus words of the strategy statement
   -- goals and factors for the CEO, brand promise and customer-figure names
   for the CMO -- where those stems are not already claimed by another owner
   (a goal "raise NPS" must not pull "nps" away from the CMO).
2. Evidence: the theme's terms with their weights (c-TF-IDF weights from the
   clusterer, or 1 each), normalised to sum 1; optionally its representative
   texts, whose stems together weigh ``text_weight`` (0.5) of the terms'.
3. Each owner's mass is the evidence weight of stems in its vocabulary (a stem
   in two vocabularies counts for both). ``share`` = best owner's mass / all
   owners' mass (no softmax); ``coverage`` = matched weight / all weight.
4. Owner = the best, unless there is no evidence, a tie, ``share`` below
   :data:`MIN_SHARE` (0.5) or ``coverage`` below :data:`MIN_COVERAGE` (0.2):
   then "other". Confidence of an owner = ``share * min(1, coverage /
   FULL_COVERAGE)``, in [0, 1]; confidence of "other" = 1 minus that of the
   best owner (1 when nothing matched).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.instrument import OWNERS
from analysis.text import content_tokens
from analysis.themes import OTHER_THEME_ID

__all__ = [
    "DEFAULT_VOCABULARY",
    "FULL_COVERAGE",
    "MIN_COVERAGE",
    "MIN_SHARE",
    "OTHER",
    "ROUTES",
    "Route",
    "build_vocabulary",
    "route_theme",
    "route_themes",
]

#: The owner of a theme nobody clearly owns.
OTHER = "other"
#: Every value ``owner`` can take.
ROUTES: tuple[str, ...] = (*OWNERS, OTHER)

#: Below this share of the matched evidence the best owner is not clear enough.
MIN_SHARE = 0.5
#: Below this fraction of the theme's weight matched, there is no real evidence.
MIN_COVERAGE = 0.2
#: Coverage at which confidence is no longer reduced for thin evidence.
FULL_COVERAGE = 0.4

#: Built-in words per owner (stemmed before use). Kept short and unambiguous:
#: a topic, not a person ("the CEO" appears in comments about anything, so
#: "ceo", "executive" and "board" are not evidence of strategy) and not
#: resourcing ("budget" and "headcount" come up in workload complaints, which
#: none of the three owns).
DEFAULT_VOCABULARY: dict[str, tuple[str, ...]] = {
    "ceo": (
        "strategy", "strategic", "direction", "vision", "mission", "purpose", "priority",
        "priorities", "prioritise", "prioritize", "goal", "goals", "objective", "okr",
        "roadmap", "plan", "planning", "leadership", "leader", "leaders", "senior",
        "decision", "decisions", "focus",
        "target", "targets", "reorganisation", "reorganization", "reorg", "restructure",
        "restructuring", "investment", "acquisition", "merger", "transformation",
        "future", "alignment",
        "kpi", "kpis", "revenue", "profit", "growth", "values",
    ),
    "clo": (
        "training", "trained", "learning", "course", "courses", "onboarding", "induction",
        "buddy", "starter", "starters", "joiner", "joiners", "newcomer", "newcomers",
        "shadowing", "e-learning", "elearning", "module", "modules", "coaching",
        "coach", "mentor", "mentoring", "mentorship", "skill", "skills", "upskilling",
        "reskilling", "workshop", "workshops", "development", "career", "knowledge",
        "documentation", "wiki", "communication", "communicate", "communicated",
        "update", "updates", "newsletter", "meeting", "meetings", "townhall", "town",
        "hall", "all-hands", "brief", "briefing", "briefings", "intranet", "information",
        "informed", "inform",
        "manager", "managers", "explain", "explained", "message", "messages", "email",
        "emails", "transparency",
    ),
    "cmo": (
        "customer", "customers", "client", "clients", "nps", "csat", "satisfaction",
        "brand", "promise", "marketing", "market", "campaign", "campaigns", "complaint",
        "complaints", "churn", "retention", "loyalty", "review", "reviews", "reputation",
        "competitor", "competitors", "pricing", "advertising", "website", "feedback",
        "service", "experience", "buyer", "buyers", "consumer", "consumers",
    ),
}


@dataclass(frozen=True)
class Route:
    """Where a theme goes and why.

    Attributes
    ----------
    owner : str
        "ceo", "clo", "cmo" or "other".
    confidence : float
        In [0, 1]: the owner's share of the matched evidence, reduced when
        little of the theme matched any vocabulary; for "other", 1 minus the
        best owner's confidence.
    evidence : tuple of str
        The theme's terms (or text stems) that matched the chosen owner,
        strongest first; for "other", those that matched anyone.
    """

    owner: str
    confidence: float
    evidence: tuple[str, ...]


def _stems(words: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for word in words:
        out.update(content_tokens(word))
    return out


def build_vocabulary(instrument=None, strategy=None) -> dict[str, frozenset[str]]:
    """Stemmed vocabulary per owner from the defaults, instrument and strategy.

    Parameters
    ----------
    instrument : analysis.instrument.Instrument, optional
        Its constructs' ``seed_terms`` go to each construct's owner.
    strategy : analysis.strategy.Strategy, optional
        Goal and factor words go to the CEO, brand-promise and customer-figure
        words (key and label) to the CMO, for stems no other owner claims.

    Examples
    --------
    >>> vocabulary = build_vocabulary()
    >>> sorted(vocabulary), "train" in vocabulary["clo"]
    (['ceo', 'clo', 'cmo'], True)
    """
    vocab: dict[str, set[str]] = {owner: _stems(words) for owner, words in DEFAULT_VOCABULARY.items()}
    if instrument is not None:
        for construct in instrument.constructs:
            vocab[construct.owner].update(_stems(construct.seed_terms))
    if strategy is not None:
        additions = {
            "ceo": _stems((*strategy.goals, *strategy.factors)),
            "cmo": _stems(
                (
                    strategy.brand_promise,
                    *(f.label for f in strategy.customer_figures.values()),
                    *(str(key).replace("_", " ") for key in strategy.customer_figures),
                )
            ),
        }
        for owner, stems in additions.items():
            claimed = set().union(*(v for o, v in vocab.items() if o != owner))
            vocab[owner].update(stems - claimed)
    return {owner: frozenset(stems) for owner, stems in vocab.items()}


def _weighted_terms(terms) -> list[tuple[str, float]]:
    pairs: list[tuple[str, float]] = []
    for index, term in enumerate(terms):
        if isinstance(term, str):
            pairs.append((term, 1.0))
            continue
        try:
            word, weight = term
            weight = float(weight)
        except (TypeError, ValueError):
            raise ValueError(
                f"terms[{index}]: expected a word or a (word, weight) pair, got {term!r}"
            ) from None
        if not isinstance(word, str):
            raise ValueError(f"terms[{index}]: the word must be a string, got {word!r}")
        if math.isnan(weight) or weight < 0:
            raise ValueError(f"terms[{index}]: weight of {word!r} must be >= 0, got {weight}")
        pairs.append((word, weight))
    return pairs


def route_theme(
    terms: Sequence[tuple[str, float]] | Sequence[str],
    *,
    texts: Sequence[str] = (),
    instrument=None,
    strategy=None,
    vocabulary: Mapping[str, frozenset[str]] | None = None,
    text_weight: float = 0.5,
) -> Route:
    """Route one theme from its terms (and optionally its texts).

    Parameters
    ----------
    terms : sequence of str or of (str, float)
        The theme's top terms, as surface words or phrases, with weights if
        known (e.g. c-TF-IDF); plain strings weigh 1 each.
    texts : sequence of str, optional
        Representative comments; their content stems together weigh
        ``text_weight`` relative to the terms (or everything, if no terms).
    instrument, strategy : optional
        See :func:`build_vocabulary`.
    vocabulary : mapping, optional
        A prebuilt :func:`build_vocabulary` result (routing many themes).

    Returns
    -------
    Route

    Examples
    --------
    >>> route_theme([("training", 0.5), ("onboarding", 0.3), ("week", 0.2)]).owner
    'clo'
    >>> route_theme(["parking", "canteen"])
    Route(owner='other', confidence=1.0, evidence=())
    """
    if vocabulary is None:
        vocabulary = build_vocabulary(instrument, strategy)
    # evidence: stem -> (weight, display word)
    evidence: dict[str, list] = {}

    def add(stem: str, weight: float, display: str) -> None:
        if stem in evidence:
            evidence[stem][0] += weight
        else:
            evidence[stem] = [weight, display]

    pairs = _weighted_terms(terms)
    total = sum(w for _, w in pairs)
    term_mass = 1.0 if total > 0 else 0.0
    for word, weight in pairs:
        stems = content_tokens(word)
        if not stems or total <= 0:
            continue
        for stem in stems:
            add(stem, weight / total / len(stems), word)
    text_stems = [s for text in texts for s in content_tokens(text) if isinstance(text, str)]
    if text_stems:
        mass = text_weight if term_mass else 1.0
        for stem in text_stems:
            add(stem, mass / len(text_stems), stem)
        term_mass += mass
    if not evidence or term_mass == 0:
        return Route(OTHER, 1.0, ())

    masses = {owner: 0.0 for owner in vocabulary}
    for stem, (weight, _) in evidence.items():
        for owner, stems in vocabulary.items():
            if stem in stems:
                masses[owner] += weight / term_mass
    matched_total = sum(masses.values())
    matched_stems = {s for s in evidence if any(s in v for v in vocabulary.values())}
    coverage = sum(evidence[s][0] for s in matched_stems) / term_mass
    if matched_total == 0:
        return Route(OTHER, 1.0, ())
    ranked = sorted(masses.items(), key=lambda kv: kv[1], reverse=True)
    best, best_mass = ranked[0]
    share = best_mass / matched_total
    tie = len(ranked) > 1 and math.isclose(ranked[1][1], best_mass)
    confidence = share * min(1.0, coverage / FULL_COVERAGE)
    if tie or share < MIN_SHARE or coverage < MIN_COVERAGE:
        shown = _display(evidence, matched_stems)
        return Route(OTHER, float(min(1.0, max(0.0, 1.0 - confidence))), shown)
    shown = _display(evidence, {s for s in matched_stems if s in vocabulary[best]})
    return Route(best, float(min(1.0, max(0.0, confidence))), shown)


def _display(evidence: dict[str, list], stems: set[str]) -> tuple[str, ...]:
    ordered = sorted(stems, key=lambda s: (-evidence[s][0], s))
    out: list[str] = []
    for stem in ordered:
        word = evidence[stem][1]
        if word not in out:
            out.append(word)
    return tuple(out)


def route_themes(
    themes_table: pd.DataFrame,
    *,
    instrument=None,
    strategy=None,
    overrides: Mapping[object, str] | None = None,
) -> pd.DataFrame:
    """Add ``owner``, ``owner_confidence``, ``owner_source`` (and ``owner_evidence``).

    Parameters
    ----------
    themes_table : DataFrame
        One row per theme with ``theme_id`` and ``top_terms`` (list of words);
        ``term_weights`` (same length) and ``representatives`` (list of texts)
        are used when present.
    instrument, strategy : optional
        See :func:`build_vocabulary`.
    overrides : mapping of theme id to owner, optional
        A leader's corrections. The "Other" theme (id
        :data:`analysis.themes.OTHER_THEME_ID`) holds unrelated one-offs and
        is routed to "other" unless overridden. An override always wins (confidence 1,
        source "override"); ids are matched as text, so ``"3"`` and ``3``
        are the same theme; ids not in the table are ignored (themes change
        between runs).

    Returns
    -------
    DataFrame
        A copy of ``themes_table`` with the new columns.

    Raises
    ------
    ValueError
        If a required column is missing, or an override names an owner not in
        :data:`ROUTES` (the message names the theme and the allowed owners).

    Examples
    --------
    >>> themes = pd.DataFrame({"theme_id": [0, 1], "top_terms": [["training", "courses"], ["parking", "canteen"]]})
    >>> route_themes(themes)[["theme_id", "owner", "owner_source"]]
       theme_id  owner owner_source
    0         0    clo         auto
    1         1  other         auto
    """
    missing = [c for c in ("theme_id", "top_terms") if c not in themes_table.columns]
    if missing:
        raise ValueError(
            f"route_themes: themes table lacks column(s) {', '.join(missing)} "
            f"(has {', '.join(map(str, themes_table.columns)) or 'none'})"
        )
    checked: dict[str, str] = {}
    for theme_id, owner in (overrides or {}).items():
        if owner not in ROUTES:
            raise ValueError(
                f"override for theme {theme_id!r}: unknown owner {owner!r}; "
                f"allowed owners are {', '.join(ROUTES)}"
            )
        checked[str(theme_id)] = owner

    out = themes_table.copy()
    vocabulary = build_vocabulary(instrument, strategy)
    owners, confidences, sources, evidences = [], [], [], []
    has_weights = "term_weights" in out.columns
    has_texts = "representatives" in out.columns
    for _, row in out.iterrows():
        key = str(row["theme_id"])
        if key in checked:
            owners.append(checked[key])
            confidences.append(1.0)
            sources.append("override")
            evidences.append(())
            continue
        if _is_other_theme(row["theme_id"]):
            # One-off comments on unrelated topics: nobody owns them as a whole.
            owners.append(OTHER)
            confidences.append(1.0)
            sources.append("auto")
            evidences.append(())
            continue
        terms = _as_list(row["top_terms"])
        if has_weights:
            weights = _as_list(row["term_weights"])
            if len(weights) == len(terms):
                terms = list(zip(terms, weights))
        texts = [t for t in _as_list(row["representatives"]) if isinstance(t, str)] if has_texts else []
        route = route_theme(terms, texts=texts, vocabulary=vocabulary)
        owners.append(route.owner)
        confidences.append(route.confidence)
        sources.append("auto")
        evidences.append(route.evidence)
    out["owner"] = pd.Series(owners, index=out.index, dtype=object)
    out["owner_confidence"] = pd.Series(confidences, index=out.index, dtype="float64")
    out["owner_source"] = pd.Series(sources, index=out.index, dtype=object)
    out["owner_evidence"] = pd.Series(evidences, index=out.index, dtype=object)
    return out


def _is_other_theme(theme_id) -> bool:
    try:
        return int(theme_id) == OTHER_THEME_ID
    except (TypeError, ValueError):
        return False


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    if isinstance(value, str):
        return [value]
    return list(value)
