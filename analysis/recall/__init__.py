"""Knowledge checks graded against the real strategy statement.

A pulse asks people to *name* this quarter's goals, the factors for excellence
and the brand promise, and to *estimate* a customer figure such as the NPS.
Self-ratings say how well people feel they know the strategy; these checks say
how well they actually do, so the two can be set side by side.

Free-text answers are messy: people paraphrase, abbreviate ("rev", "B2B",
"48h"), misspell, answer in any order, mix in last quarter's goals or list
every business word they can think of. The grader is deliberately
transparent rather than clever: every answer is reduced to *concepts* (stems,
joined by the tables in ``analysis/data/recall_synonyms.toml``), each goal's
concepts are weighted by how distinctive they are, and a goal counts as
recalled when the answer carries enough distinctive evidence for it. Every
number involved is a module constant documented in ``docs/recall.md``, so a
leader who doubts a score can see exactly why an answer was (not) credited,
and an analyst can extend the tables without touching code.

No nltk data is needed: the Snowball stemmer ships its rules in code.

The package, one room per step:

==================  =========================================================
``lexicon``         the tables, read and checked (:func:`load_lexicon`)
``tokens``          an answer as items of words (folding, splitting, numbers)
``scorer``          the grader and its thresholds (:class:`RecallScorer`)
``estimates``       credit for a numeric guess (:func:`score_estimate`)
``knowledge``       every check of every response (:func:`score_knowledge`)
``misconceptions``  the wrong beliefs many share (:func:`misconceptions`)
==================  =========================================================

Everything a caller needs is importable from ``analysis.recall`` itself.
"""

from __future__ import annotations

from .estimates import (
    DEFAULT_ESTIMATE_RELATIVE_TOLERANCE,
    DEFAULT_ESTIMATE_TOLERANCE_SHARE,
    ESTIMATE_ZERO_AT,
    estimate_scale,
    score_estimate,
)
from .knowledge import score_knowledge
from .lexicon import Lexicon, RecallTableError, load_lexicon
from .misconceptions import estimate_misconceptions, knowledge_misconceptions, misconceptions
# The thresholds are re-exported too, so ``analysis.recall.GENERIC_WEIGHT``
# reads as docs/recall.md names it (tests/test_scoring.py checks the two agree).
from .scorer import (
    DOMINANCE_RATIO,
    FULL_CREDIT_SHARE,
    GENERIC_WEIGHT,
    LIST_MIN_SINGLE_ITEMS,
    LONG_ANSWER_WORDS,
    MATCH_MASS,
    MATCH_MASS_CAP,
    NUMBER_WEIGHT,
    PRECISION_FLOOR,
    RELATED_FACTOR,
    SINGLE_STATEMENT_SHARE,
    TYPO_LONG_LENGTH,
    TYPO_MIN_LENGTH,
    RecallScore,
    RecallScorer,
    damerau_levenshtein,
    score_recall,
)

__all__ = [
    "DEFAULT_ESTIMATE_TOLERANCE_SHARE",
    "RecallScore",
    "RecallScorer",
    "RecallTableError",
    "Lexicon",
    "damerau_levenshtein",
    "estimate_misconceptions",
    "estimate_scale",
    "knowledge_misconceptions",
    "load_lexicon",
    "misconceptions",
    "score_estimate",
    "score_knowledge",
    "score_recall",
]
