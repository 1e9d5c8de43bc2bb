"""The recall grader: concepts, weights and the rules that credit a statement.

Each statement's concepts are weighted by how distinctive they are (generic
business words and numbers weigh less, a concept shared by several
statements is split between them); an answer's words are resolved to
concepts - through the tables, then as a longer form, two words typed as one
or a typo of a statement word - and a statement counts as recalled when the
answer carries enough distinctive evidence for it. Every threshold is a
constant below, documented in ``docs/recall.md``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..text import is_missing, is_no_content
from .lexicon import Lexicon, _default_lexicon
from .tokens import _item_words, _items, _number_key

#: Weight of a generic business word ("grow", "customers", "revenue") inside a
#: goal: it earns a little credit but never counts as evidence of a match.
GENERIC_WEIGHT = 0.25
#: Weight of a number in a goal ("48", "15"): half a word, so that "48 hours"
#: matches but a bare "48" or "15%" does not.
NUMBER_WEIGHT = 0.5
#: A related word (``[related]`` table: "parcel" for "delivery") is half evidence.
RELATED_FACTOR = 0.5
#: Distinctive evidence needed to match one of a list of statements (goals,
#: factors): one distinctive word.
MATCH_MASS = 1.0
#: A single statement (the brand promise) is one idea, not a list to recall
#: items from: it needs this share of its distinctive weight...
SINGLE_STATEMENT_SHARE = 0.25
#: ...but at least one and never more than two distinctive words.
MATCH_MASS_CAP = 2.0
#: A matched goal earns full credit once this share of its weighted words is
#: present; below that, credit is proportional.
FULL_CREDIT_SHARE = 0.6
#: Within one line or clause, a goal whose evidence is below this fraction of
#: the best-supported goal's is not credited from that line (one line usually
#: states one goal; a stray related word should not match a second one).
DOMINANCE_RATIO = 0.5
#: An answer with at least this many one-word items (and at least twice as
#: many as there are statements) is a keyword list: one-word items then earn
#: nothing, only items of two or more words do.
LIST_MIN_SINGLE_ITEMS = 6
#: Long answers (at least this many content words) in which fewer than
#: PRECISION_FLOOR of the words relate to any statement are scaled down.
LONG_ANSWER_WORDS = 15
PRECISION_FLOOR = 0.2
#: Typo tolerance (Damerau-Levenshtein distance) by word length; shorter words
#: are never corrected, and the first letter must agree.
TYPO_MIN_LENGTH = 5
TYPO_LONG_LENGTH = 9


@dataclass(frozen=True)
class _Tok:
    surface: str
    concept: str
    related: str | None
    number: bool



# --- Edit distance ------------------------------------------------------------


def damerau_levenshtein(a: str, b: str, limit: int | None = None) -> int:
    """Optimal-string-alignment distance: insertions, deletions,
    substitutions and transpositions of adjacent letters each cost 1.

    Transpositions count once because "buisness" is one slip of the fingers,
    not two. With ``limit``, returns ``limit + 1`` as soon as the distance is
    known to exceed it (cheap rejection of most candidates).

    Examples
    --------
    >>> damerau_levenshtein("buisness", "business")
    1
    >>> damerau_levenshtein("revnue", "revenue")
    1
    """
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if limit is not None and abs(la - lb) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        row_min = cur[0]
        for j in range(1, lb + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            row_min = min(row_min, v)
        if limit is not None and row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb]


def _typo_limit(length: int) -> int:
    if length < TYPO_MIN_LENGTH:
        return 0
    return 1 if length < TYPO_LONG_LENGTH else 2



# --- Scoring ------------------------------------------------------------------


@dataclass(frozen=True)
class RecallScore:
    """How much of a strategy statement an answer recalls.

    Attributes
    ----------
    score : float
        Mean credit over the statements, in [0, 1].
    matched : list of int
        Sorted indices of the statements the answer recalls.
    evidence : dict
        Statement index -> the answer's words that matched it (matched only).
    credits : tuple of float
        Credit per statement, in [0, 1] (0 when not matched).
    """

    score: float
    matched: list[int]
    evidence: dict[int, list[str]]
    credits: tuple[float, ...] = field(default=())


class RecallScorer:
    """Grades free-text answers against a fixed list of statements.

    The statements' concepts, weights and typo targets are computed once, and
    results are memoised per distinct answer, which is what makes grading
    100,000 responses cheap (answers repeat a lot once normalised).

    Parameters
    ----------
    statements : sequence of str
        The goals (or factors, or the brand promise as a 1-tuple), in order.
    lexicon : Lexicon, optional
        Tables to use; the packaged default when omitted.

    Examples
    --------
    >>> scorer = RecallScorer(["Cut average delivery time to 48 hours",
    ...                        "Grow recurring revenue from business customers by 15%"])
    >>> scorer.score("B2B rev +15%\\n2-day delivery").matched
    [0, 1]
    """

    def __init__(self, statements: Sequence[str], lexicon: Lexicon | None = None):
        if isinstance(statements, str):
            raise TypeError("statements must be a sequence of strings, not one string")
        self.statements = tuple(statements)
        for i, s in enumerate(self.statements):
            if not isinstance(s, str):
                raise TypeError(f"statement {i} must be a string, got {type(s).__name__}")
        self.lexicon = lexicon or _default_lexicon()
        self._abbreviations = frozenset(self.lexicon.abbreviations)
        self._resolved: dict[str, list[_Tok]] = {}
        self._cache: dict[str, RecallScore] = {}
        lex = self.lexicon

        concept_sets, related_sets, surfaces = self._statement_concepts()
        df = Counter(c for concepts in concept_sets for c in concepts)
        self._weights: list[dict[str, float]] = []
        self._distinct: list[frozenset[str]] = []
        self._required: list[float] = []
        self._total: list[float] = []
        for concepts in concept_sets:
            weights, distinct, required = self._weigh(concepts, df)
            self._weights.append(weights)
            self._distinct.append(distinct)
            self._required.append(required)
            self._total.append(sum(weights.values()))
        self._related = related_sets
        self._vocab = frozenset(c for w in self._weights for c in w)
        self._vocab_related = frozenset(r for rel in related_sets for r in rel)
        # Typo targets: statement words plus table words for the same concepts.
        targets = dict(surfaces)
        for word, concept in lex.words.items():
            if concept in self._vocab or concept in self._vocab_related:
                targets.setdefault(word, concept)
        self._targets = {w: c for w, c in targets.items() if len(w) >= TYPO_MIN_LENGTH - 1}
        self._prefix_targets = tuple(c for c in self._vocab if len(c) >= 5 and not c[0].isdigit())

    def _statement_concepts(self):
        """Per statement: its concepts (concept -> is a number) and related
        concepts (related -> the statement's concept); and every statement
        word -> its concept (typo targets). Statements resolve through the
        tables only: no typo fixing."""
        lex = self.lexicon
        concept_sets: list[dict[str, bool]] = []
        related_sets: list[dict[str, str]] = []
        surfaces: dict[str, str] = {}
        for text in self.statements:
            concepts: dict[str, bool] = {}
            related: dict[str, str] = {}
            for piece in _items(text, self._abbreviations):
                for _, word in _item_words(piece, lex):
                    if word[0].isdigit():
                        concepts[_number_key(word)] = True
                        continue
                    concept, rel = lex.concept(word)
                    concepts[concept] = False
                    surfaces.setdefault(word, concept)
                    if rel is not None and rel != concept:
                        related[rel] = concept
            concept_sets.append(concepts)
            related_sets.append(related)
        return concept_sets, related_sets, surfaces

    def _weigh(self, concepts: dict[str, bool], df: Counter):
        """One statement's concept weights (a concept shared by several
        statements is split between them), its distinctive concepts and the
        distinctive mass an answer needs to match it."""
        generic = self.lexicon.generic
        weights: dict[str, float] = {}
        distinct = set()
        for c, is_number in concepts.items():
            if is_number:
                base = NUMBER_WEIGHT
            elif c in generic:
                base = GENERIC_WEIGHT
            else:
                base = 1.0
            weights[c] = base / df[c]
            if is_number or c not in generic:
                distinct.add(c)
        if not distinct:  # "Grow revenue": only generic words to go on
            distinct = set(weights)
        distinct_mass = sum(weights[c] for c in distinct)
        if len(self.statements) == 1:
            required = min(MATCH_MASS_CAP, max(MATCH_MASS, SINGLE_STATEMENT_SHARE * distinct_mass))
        else:
            required = MATCH_MASS
        return weights, frozenset(distinct), (min(required, distinct_mass) if distinct_mass else math.inf)

    # -- words -----------------------------------------------------------------

    def _resolve(self, surface: str, word: str) -> list[_Tok]:
        hit = self._resolved.get(word)
        if hit is None:
            hit = self._resolve_uncached(word)
            self._resolved[word] = hit
        if hit and hit[0].surface != surface:
            return [_Tok(surface, t.concept, t.related, t.number) for t in hit]
        return hit

    def _resolve_uncached(self, word: str) -> list[_Tok]:
        if word[0].isdigit():
            return [_Tok(word, _number_key(word), None, True)]
        lex = self.lexicon
        concept, related = lex.concept(word)
        if (
            concept in self._vocab
            or related is not None
            or concept in lex.known_stems
            or not word.isalpha()
            or len(word) < TYPO_MIN_LENGTH
        ):
            return [_Tok(word, concept, related, False)]
        # An unknown word: a longer form of a statement word ("trackings")?
        for target in self._prefix_targets:
            if concept.startswith(target) or target.startswith(concept):
                if min(len(concept), len(target)) >= 5:
                    return [_Tok(word, target, None, False)]
        # Two statement words typed as one ("deliverytime")?
        targets = self._targets
        for cut in range(3, len(word) - 2):
            left, right = word[:cut], word[cut:]
            if left in targets and right in targets:
                return [
                    _Tok(word, targets[left], None, False),
                    _Tok(word, targets[right], None, False),
                ]
        # A typo of a statement or table word?
        limit = _typo_limit(len(word))
        best, best_d = None, limit + 1
        for target, target_concept in targets.items():
            if target[0] != word[0] or abs(len(target) - len(word)) > limit:
                continue
            d = damerau_levenshtein(word, target, limit)
            if d < best_d:
                best, best_d = target_concept, d
        if best is not None:
            return [_Tok(word, best, None, False)]
        return [_Tok(word, concept, related, False)]

    def tokens(self, answer: str) -> list[list[_Tok]]:
        """The answer's items, each a list of resolved words."""
        out = []
        for piece in _items(answer, self._abbreviations):
            toks: list[_Tok] = []
            for surface, word in _item_words(piece, self.lexicon):
                toks.extend(self._resolve(surface, word))
            if toks:
                out.append(toks)
        return out

    # -- answers ---------------------------------------------------------------

    def score(self, answer: object) -> RecallScore:
        """Grade one answer. Blank and "don't know" answers score 0, no match."""
        text = "" if is_missing(answer) else str(answer)
        key = " ".join(text.split()).casefold() if "\n" not in text else text.casefold()
        cached = self._cache.get(key)
        if cached is None:
            cached = self._score_uncached(text)
            if len(self._cache) < 1_000_000:
                self._cache[key] = cached
        # The result is frozen but its list and dict are not: hand out copies,
        # so that a caller editing them cannot change the memoised grade.
        return RecallScore(
            cached.score, list(cached.matched),
            {g: list(words) for g, words in cached.evidence.items()}, cached.credits,
        )

    def _score_uncached(self, text: str) -> RecallScore:
        n = len(self.statements)
        empty = RecallScore(0.0, [], {}, (0.0,) * n)
        if n == 0 or not text.strip() or is_no_content(text):
            return empty
        items = self.tokens(text)
        if not items:
            return empty
        n_words = sum(len(toks) for toks in items)
        singles = sum(1 for toks in items if len(toks) == 1)
        keyword_list = singles >= max(LIST_MIN_SINGLE_ITEMS, 2 * n)

        factors: list[dict[str, float]] = [{} for _ in range(n)]
        evidence: list[list[str]] = [[] for _ in range(n)]
        relevant = 0
        for toks in items:
            if not (keyword_list and len(toks) < 2):
                relevant += self._credit_item(toks, factors, evidence)

        precision = 1.0
        if n_words >= LONG_ANSWER_WORDS and relevant / n_words < PRECISION_FLOOR:
            precision = (relevant / n_words) / PRECISION_FLOOR
        return self._result(factors, evidence, precision)

    def _item_hits(self, toks: list[_Tok]) -> list[dict[str, tuple[float, list[str]]]]:
        """Per statement: concept -> (best factor, the words that gave it) of
        one item: 1 for the concept itself, RELATED_FACTOR for a related word."""
        hits: list[dict[str, tuple[float, list[str]]]] = [{} for _ in self.statements]
        for tok in toks:
            for g, weights in enumerate(self._weights):
                if tok.concept in weights:
                    target, factor = tok.concept, 1.0
                elif tok.related is not None and tok.related in weights:
                    target, factor = tok.related, RELATED_FACTOR
                elif tok.concept in self._related[g]:
                    target, factor = self._related[g][tok.concept], RELATED_FACTOR
                else:
                    continue
                old = hits[g].get(target)
                if old is None or factor > old[0]:
                    hits[g][target] = (factor, [tok.surface])
                elif factor == old[0]:
                    old[1].append(tok.surface)
        return hits

    def _credit_item(self, toks: list[_Tok], factors: list[dict], evidence: list[list[str]]) -> int:
        """Credit one item's hits to the statements it supports (not those
        below DOMINANCE_RATIO of the best-supported one); returns how many of
        its words were credited."""
        hits = self._item_hits(toks)
        mass = [
            sum(f * self._weights[g][c] for c, (f, _) in hits[g].items() if c in self._distinct[g])
            for g in range(len(hits))
        ]
        best = max(mass)
        used: set[int] = set()
        for g, found in enumerate(hits):
            if not found or (best > 0 and mass[g] < DOMINANCE_RATIO * best):
                continue
            credited: set[str] = set()
            for c, (f, words) in found.items():
                if f > factors[g].get(c, 0.0):
                    factors[g][c] = f
                evidence[g].extend(words)
                credited.update(words)
            used.update(i for i, tok in enumerate(toks) if tok.surface in credited)
        return len(used)

    def _result(self, factors: list[dict], evidence: list[list[str]], precision: float) -> RecallScore:
        """Match and credit each statement from the evidence gathered."""
        credits, matched, shown = [], [], {}
        for g, weights in enumerate(self._weights):
            mass = precision * sum(f * weights[c] for c, f in factors[g].items() if c in self._distinct[g])
            got = precision * sum(f * weights[c] for c, f in factors[g].items())
            if mass >= self._required[g] - 1e-9:
                matched.append(g)
                credits.append(min(1.0, got / (FULL_CREDIT_SHARE * self._total[g])))
                shown[g] = sorted(set(evidence[g]))
            else:
                credits.append(0.0)
        return RecallScore(float(sum(credits) / len(credits)), matched, shown, tuple(credits))


@lru_cache(maxsize=64)
def _scorer(statements: tuple[str, ...]) -> RecallScorer:
    return RecallScorer(statements)


def score_recall(answer: str, goals: Sequence[str]) -> RecallScore:
    """Grade a free-text answer against the statements it should recall.

    Order-free and partial: each goal earns credit from the share of its
    weighted words the answer contains (full credit from 60%), and counts as
    matched once the answer holds one distinctive word of it (more for long
    statements) - after synonyms, abbreviations, numbers, typos and stems are
    reconciled. Generic business words never match on their own, and keyword
    lists and long answers whose words mostly relate to nothing are
    discounted, so listing every business word does not pay. See
    ``docs/recall.md`` for every rule and threshold.

    Parameters
    ----------
    answer : str
        What the respondent typed (lines, bullets, commas, "and" all fine).
    goals : sequence of str
        The statements to grade against, e.g. ``strategy.part("goals")``.

    Returns
    -------
    RecallScore

    Raises
    ------
    TypeError
        ``goals`` is one string, or holds something other than strings.

    Examples
    --------
    >>> goals = ["Cut average delivery time to 48 hours",
    ...          "Grow recurring revenue from business customers by 15%",
    ...          "Launch self-service tracking in the customer portal"]
    >>> r = score_recall("- deliveries within two days\\n- the tracking portal", goals)
    >>> r.matched
    [0, 2]
    >>> score_recall("growth, customers, revenue, quality, innovation", goals).matched
    []
    """
    if isinstance(goals, str):
        raise TypeError("goals must be a sequence of statements, not one string; wrap it: [goal]")
    return _scorer(tuple(goals)).score(answer)

