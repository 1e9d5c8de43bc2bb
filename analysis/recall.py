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
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .text import is_blank, is_missing, is_no_content, stem

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

# --- Thresholds (justified in docs/recall.md) -------------------------------

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
#: Default estimate tolerance: this share of the answer scale's width
#: (NPS -100..100 -> 10 points; a percentage 0..100 -> 5 points).
DEFAULT_ESTIMATE_TOLERANCE_SHARE = 0.05
#: Without a scale, the tolerance is this share of the actual figure's size.
DEFAULT_ESTIMATE_RELATIVE_TOLERANCE = 0.10
#: Credit falls linearly from 1 at the tolerance to 0 at this many tolerances.
ESTIMATE_ZERO_AT = 3.0


class RecallTableError(ValueError):
    """A synonym table that cannot be used; the message names file and entry."""


# --- Tables -----------------------------------------------------------------

_STOP_WORDS = frozenset(
    """
    a about above after again against all also am an any are as at be because been
    before being below between both but by can could did do does doing don during
    each either etc every few for from further get gets getting got had has have
    having he her here hers herself him himself his how i if im in into is it its
    itself just let like ll me might mine more most much must my myself need no nor
    not now of off on once only or other our ours ourselves out over own per please
    quite rather re really s same shall she should so some such t than that the
    their theirs them themselves then there these they this those through thus to
    too under until up upon us ve very via was we were what when where whether
    which while who whom whose why will with within would yet you your yours
    yourself yourselves think thing things stuff sure guess maybe probably
    something someone everything anything nothing everyone anyone lot lots kind
    sort bit one ones first second third main big whole along toward towards
    e g ie eg vs u ur le la les el en de des du der die das und et y o ou
    """.split()
)

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_DAY_WORDS = frozenset({"day", "days"})

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"} | {
    "\u2018": "'", "\u2019": "'", "\u00b4": "'", "`": "'",
})
# "1)" or "2." starting a list item (single digit, so "by 15." is left alone).
_MARKER = re.compile(r"(?:^|(?<=[\s:;,(]))\(?[1-9][.)](?=\s|$)")
# Digits glued to a unit: "48h" -> "48 h", "15pct" -> "15 pct" (not "b2b").
_NUMBER_UNIT = re.compile(r"(?<![a-z0-9])(\d+(?:\.\d+)?)([a-z]+)")
# Where one listed item ends and the next begins.
_SEPARATORS = re.compile(
    r"[\n\r;,!?:\u2022\u00b7\u25aa\u25e6\u25cf\u25a0\u2023\u2043|]+"
    r"|(?<!\d)[.,]|[.,](?!\d)"
    r"|(?:^|\s)[-*>]+(?=\s)"
    r"|\s(?:and|&|plus|as well as|also|then)(?=\s)"
    r"|\s/\s"
)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z][a-z0-9]*")


def _fold(text: str) -> str:
    """Case-fold, strip accents ("sécurité" -> "securite"), ASCII dashes.

    Accents are stripped because loanwords are typed both ways and the tables
    list them once.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold().translate(_DASHES)


def _words(text: str) -> list[str]:
    """Tokens of a piece of text (used for table entries and answer items)."""
    text = _NUMBER_UNIT.sub(r"\1 \2", text.replace("%", " percent ").replace("&", " and "))
    return _TOKEN.findall(text)


def _number_key(token: str) -> str:
    value = float(token)
    return str(int(value)) if value.is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Lexicon:
    """The abbreviation, phrase, synonym, related-word and generic tables.

    Built once from ``analysis/data/recall_synonyms.toml`` (or an analyst's
    own file) with every entry already tokenised and stemmed, so that grading
    an answer is dictionary look-ups.
    """

    abbreviations: Mapping[str, tuple[str, ...]]
    #: Phrase keys are written in canonical words ("business clients" is
    #: stored as ("business", "customer")), so one entry covers its synonyms.
    phrases: Mapping[tuple[str, ...], tuple[str, ...]]
    #: Single-word synonym -> its canonical word, for phrase look-up.
    canonical: Mapping[str, str]
    #: First words of the phrases: most words start none, and skip the look-up.
    phrase_starts: frozenset[str]
    max_phrase: int
    concept_of: Mapping[str, str]
    related_of: Mapping[str, str]
    generic: frozenset[str]
    #: Stems the tables know: such words are never "corrected" as typos.
    known_stems: frozenset[str]
    #: Raw table word -> concept, used as typo-correction targets.
    words: Mapping[str, str]
    source: str = "<lexicon>"

    def concept(self, word: str) -> tuple[str, str | None]:
        """(concept, related concept) of one table-known word form."""
        s = stem(word)
        concept = self.concept_of.get(s, s)
        return concept, self.related_of.get(s) or self.related_of.get(concept)


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read a synonym table file (the packaged default when ``path`` is None).

    Raises
    ------
    RecallTableError
        When the file is not valid TOML, a section has the wrong shape, or one
        word is declared a variant of two different concepts (which would make
        grading depend on table order).
    """
    if path is None:
        ref = resources.files("analysis") / "data" / "recall_synonyms.toml"
        source, raw = "analysis/data/recall_synonyms.toml", ref.read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RecallTableError(f"{source}: cannot read the file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise RecallTableError(f"{source}: not valid TOML: {exc}") from exc
    return _build_lexicon(data, source)


def _table(data: Mapping, name: str, source: str) -> Mapping:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise RecallTableError(f"{source}: [{name}] must be a table")
    return value


def _build_lexicon(data: Mapping, source: str) -> Lexicon:
    unknown = set(data) - {"format", "abbreviations", "phrases", "synonyms", "related", "generic"}
    if unknown:
        raise RecallTableError(f"{source}: unknown section(s) {', '.join(sorted(unknown))}")

    def one(section: str, key: str, value) -> tuple[str, ...]:
        if not isinstance(value, str):
            raise RecallTableError(
                f"{source}: [{section}] '{key}' must be a string, got {type(value).__name__}"
            )
        return tuple(_words(_fold(value)))

    def many(section: str, key: str, value) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RecallTableError(f"{source}: [{section}] '{key}' must be a list of strings")
        return value

    abbreviations: dict[str, tuple[str, ...]] = {}
    for key, value in _table(data, "abbreviations", source).items():
        words = _words(_fold(key))
        if len(words) != 1:
            raise RecallTableError(f"{source}: [abbreviations] '{key}' must be a single word")
        abbreviations[words[0]] = one("abbreviations", key, value)

    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in _table(data, "phrases", source).items():
        words = tuple(_words(_fold(key)))
        if not words:
            raise RecallTableError(f"{source}: [phrases] '{key}' has no words")
        phrases[words] = one("phrases", key, value)

    concept_of: dict[str, str] = {}
    word_canon: dict[str, str] = {}
    declared: dict[str, str] = {}
    table_words: dict[str, str] = {}

    def declare(mapping: dict, s: str, concept: str, section: str, word: str, group: str):
        previous = mapping.get(s)
        if previous is not None and previous != concept:
            raise RecallTableError(
                f"{source}: [{section}] '{word}' under '{group}' has the same stem ('{s}') "
                f"as '{declared[s]}', which is already in another group; "
                "remove one of them"
            )
        mapping[s] = concept
        declared.setdefault(s, f"{word}' under '{group}")

    for canonical, variants in _table(data, "synonyms", source).items():
        canon_words = _words(_fold(canonical))
        if len(canon_words) != 1:
            raise RecallTableError(f"{source}: [synonyms] key '{canonical}' must be a single word")
        concept = stem(canon_words[0])
        declare(concept_of, concept, concept, "synonyms", canonical, canonical)
        table_words[canon_words[0]] = concept
        for variant in many("synonyms", canonical, variants):
            words = _words(_fold(variant))
            if len(words) == 1:
                declare(concept_of, stem(words[0]), concept, "synonyms", variant, canonical)
                table_words[words[0]] = concept
                word_canon[words[0]] = canon_words[0]
            elif words:  # "por ciento", "b-to-b": a phrase for the canonical word
                phrases[tuple(words)] = (canon_words[0],)

    related_of: dict[str, str] = {}
    declared_rel: dict[str, str] = {}
    for canonical, words_ in _table(data, "related", source).items():
        canon_words = _words(_fold(canonical))
        if len(canon_words) != 1:
            raise RecallTableError(f"{source}: [related] key '{canonical}' must be a single word")
        s = stem(canon_words[0])
        concept = concept_of.get(s, s)
        for word in many("related", canonical, words_):
            words = _words(_fold(word))
            if len(words) != 1:
                raise RecallTableError(f"{source}: [related] '{word}' must be a single word")
            ws = stem(words[0])
            if related_of.get(ws, concept) != concept:
                raise RecallTableError(
                    f"{source}: [related] '{word}' is already related to '{declared_rel[ws]}'"
                )
            related_of[ws] = concept
            declared_rel.setdefault(ws, canonical)

    canon_phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in phrases.items():
        canon_phrases.setdefault(tuple(word_canon.get(w, w) for w in key), value)

    generic_table = _table(data, "generic", source)
    generic_words = many("generic", "words", generic_table.get("words", []))
    generic = set()
    for word in generic_words:
        for w in _words(_fold(word)):
            s = stem(w)
            generic.add(concept_of.get(s, s))

    known = set(concept_of) | set(concept_of.values()) | set(related_of) | generic
    for expansion in list(abbreviations.values()) + list(phrases.values()):
        for w in expansion:
            s = stem(w)
            known.add(s)
            table_words.setdefault(w, concept_of.get(s, s))
    known |= {stem(w) for w in _STOP_WORDS}

    return Lexicon(
        abbreviations=abbreviations,
        phrases=canon_phrases,
        canonical=word_canon,
        phrase_starts=frozenset(k[0] for k in canon_phrases),
        max_phrase=max((len(k) for k in canon_phrases), default=1),
        concept_of=concept_of,
        related_of=related_of,
        generic=frozenset(generic),
        known_stems=frozenset(known),
        words=table_words,
        source=source,
    )


@lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    return load_lexicon()


# --- Turning text into items of words ---------------------------------------


_TYPED = re.compile(r"(\d+(?:\.\d+)?)(%|[a-z]+)|\d+(?:\.\d+)?|%|[a-z][a-z0-9]*")


def _typed_words(piece: str) -> list[tuple[str, str]]:
    """(surface, token) pairs; "48h" gives ("48h", "48") and ("48h", "h"),
    so evidence shows what was typed."""
    out: list[tuple[str, str]] = []
    for m in _TYPED.finditer(piece.replace("&", " and ")):
        typed = m.group(0)
        if m.group(1):
            out.append((typed, m.group(1)))
            out.append((typed, "percent" if m.group(2) == "%" else m.group(2)))
        else:
            out.append((typed, "percent" if typed == "%" else typed))
    return out


def _numbers(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Number words as digits: "forty eight" -> "48", "two" -> "2"."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pairs):
        surface, tok = pairs[i]
        if tok in _TENS:
            value = _TENS[tok]
            if i + 1 < len(pairs) and pairs[i + 1][1] in _UNITS and 0 < _UNITS[pairs[i + 1][1]] < 10:
                value += _UNITS[pairs[i + 1][1]]
                surface = f"{surface} {pairs[i + 1][0]}"
                i += 1
            out.append((surface, str(value)))
        elif tok in _UNITS:
            out.append((surface, str(_UNITS[tok])))
        else:
            out.append((surface, tok))
        i += 1
    return out


# A full stop after these words abbreviates them ("cust. obsession",
# "op. reliability", "e.g. safety first"): it does not end an item. The
# [abbreviations] table's keys are added at run time.
_DOTTED = frozenset({"e", "g", "i", "eg", "ie", "etc", "vs", "approx", "incl", "op", "opp", "no"})
_DOTTED_WORD = re.compile(r"(?<![a-z0-9])([a-z]+)\.(?=\s*[a-z])")


def _items(text: str, abbreviations: frozenset[str] | None = None) -> list[str]:
    """Split an answer into the listed items (lines, bullets, clauses).

    A full stop after an abbreviation (``abbreviations``, the default
    lexicon's when None, and ``e.g.``, ``op.``, ...) is not a separator.
    """
    text = _fold(text)
    text = _MARKER.sub("\n", text)
    if "." in text:
        known = _default_lexicon().abbreviations if abbreviations is None else abbreviations
        text = _DOTTED_WORD.sub(
            lambda m: m.group(1) + " " if m.group(1) in _DOTTED or m.group(1) in known else m.group(0),
            text,
        )
    return [piece for piece in _SEPARATORS.split(text) if piece and piece.strip()]


def _item_words(piece: str, lexicon: Lexicon) -> list[tuple[str, str]]:
    """(surface, word) pairs of one item after abbreviations, numbers, phrases
    and durations, with stop words dropped. ``surface`` is what was typed."""
    expanded: list[tuple[str, str]] = []
    for surface, tok in _numbers(_typed_words(piece)):
        repl = lexicon.abbreviations.get(tok)
        if repl is None:
            expanded.append((surface, tok))
        else:
            expanded.extend((surface, r) for r in repl)
    out: list[tuple[str, str]] = []
    i, n = 0, len(expanded)
    phrases, longest, canon = lexicon.phrases, lexicon.max_phrase, lexicon.canonical
    starts = lexicon.phrase_starts
    while i < n:
        if canon.get(expanded[i][1], expanded[i][1]) not in starts:
            out.append(expanded[i])
            i += 1
            continue
        for size in range(min(longest, n - i), 0, -1):
            key = tuple(canon.get(w, w) for _, w in expanded[i : i + size])
            repl = phrases.get(key)
            if repl is not None:
                surface = " ".join(s for s, _ in expanded[i : i + size])
                out.extend((surface, r) for r in repl)
                i += size
                break
        else:
            out.append(expanded[i])
            i += 1
    # Durations: "2 days" is "48 hours", so both sides compare in hours.
    final: list[tuple[str, str]] = []
    i = 0
    while i < len(out):
        surface, word = out[i]
        if word[0].isdigit() and i + 1 < len(out) and out[i + 1][1] in _DAY_WORDS:
            final.append((f"{surface} {out[i + 1][0]}", _number_key(str(float(word) * 24))))
            final.append((f"{surface} {out[i + 1][0]}", "hours"))
            i += 2
            continue
        if word not in _STOP_WORDS and (len(word) > 1 or word.isdigit()):
            final.append((surface, word))
        i += 1
    return final


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

        # Statement concepts resolve through the tables only (no typo fixing).
        concept_sets: list[dict[str, bool]] = []
        related_sets: list[dict[str, str]] = []
        surfaces: dict[str, str] = {}
        for text in self.statements:
            concepts: dict[str, bool] = {}
            related: dict[str, str] = {}
            for piece in _items(text, self._abbreviations):
                for surface, word in _item_words(piece, lex):
                    if word[0].isdigit():
                        key = _number_key(word)
                        concepts[key] = True
                        continue
                    concept, rel = lex.concept(word)
                    concepts[concept] = False
                    surfaces.setdefault(word, concept)
                    if rel is not None and rel != concept:
                        related[rel] = concept
            concept_sets.append(concepts)
            related_sets.append(related)
        df = Counter(c for concepts in concept_sets for c in concepts)
        self._weights: list[dict[str, float]] = []
        self._distinct: list[frozenset[str]] = []
        self._required: list[float] = []
        self._total: list[float] = []
        for concepts in concept_sets:
            weights: dict[str, float] = {}
            distinct = set()
            for c, is_number in concepts.items():
                if is_number:
                    base = NUMBER_WEIGHT
                elif c in lex.generic:
                    base = GENERIC_WEIGHT
                else:
                    base = 1.0
                weights[c] = base / df[c]
                if is_number or c not in lex.generic:
                    distinct.add(c)
            if not distinct:  # "Grow revenue": only generic words to go on
                distinct = set(weights)
            distinct_mass = sum(weights[c] for c in distinct)
            if len(self.statements) == 1:
                required = min(MATCH_MASS_CAP, max(MATCH_MASS, SINGLE_STATEMENT_SHARE * distinct_mass))
            else:
                required = MATCH_MASS
            self._weights.append(weights)
            self._distinct.append(frozenset(distinct))
            self._required.append(min(required, distinct_mass) if distinct_mass else math.inf)
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
            if keyword_list and len(toks) < 2:
                continue
            hits: list[dict[str, tuple[float, list[str]]]] = [{} for _ in range(n)]
            for tok in toks:
                for g in range(n):
                    weights = self._weights[g]
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
            mass = [
                sum(f * self._weights[g][c] for c, (f, _) in hits[g].items() if c in self._distinct[g])
                for g in range(n)
            ]
            best = max(mass)
            used: set[int] = set()
            for g in range(n):
                if not hits[g] or (best > 0 and mass[g] < DOMINANCE_RATIO * best):
                    continue
                credited: set[str] = set()
                for c, (f, words) in hits[g].items():
                    if f > factors[g].get(c, 0.0):
                        factors[g][c] = f
                    evidence[g].extend(words)
                    credited.update(words)
                used.update(i for i, tok in enumerate(toks) if tok.surface in credited)
            relevant += len(used)

        precision = 1.0
        if n_words >= LONG_ANSWER_WORDS and relevant / n_words < PRECISION_FLOOR:
            precision = (relevant / n_words) / PRECISION_FLOOR

        credits, matched, shown = [], [], {}
        for g in range(n):
            weights = self._weights[g]
            mass = precision * sum(f * weights[c] for c, f in factors[g].items() if c in self._distinct[g])
            got = precision * sum(f * weights[c] for c, f in factors[g].items())
            if mass >= self._required[g] - 1e-9:
                matched.append(g)
                credits.append(min(1.0, got / (FULL_CREDIT_SHARE * self._total[g])))
                shown[g] = sorted(set(evidence[g]))
            else:
                credits.append(0.0)
        return RecallScore(float(sum(credits) / n), matched, shown, tuple(credits))


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


# --- Estimates ----------------------------------------------------------------


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
    both, else the figure's; None when neither gives both ends."""
    if item.min is not None and item.max is not None:
        return item.min, item.max
    if figure.min is not None and figure.max is not None:
        return figure.min, figure.max
    return None


# --- Responses table ----------------------------------------------------------


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


# --- Misconceptions -----------------------------------------------------------


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
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")
    statements = tuple(strategy.part(part))
    current = _scorer(statements) if statements else None
    previous = _scorer(tuple(strategy.previous_goals)) if part == "goals" and strategy.previous_goals else None
    probe = current or _scorer(tuple(strategy.previous_goals) or ("",))

    wordings: dict[frozenset, Counter] = {}
    holders: dict[frozenset, set[int]] = {}
    answered = 0
    for idx, answer in enumerate(answers):
        if is_blank(answer):
            continue
        answered += 1
        # A single statement (the brand promise) is one idea: an answer that
        # recalls it is right as a whole, even if no clause of it ("every
        # time") would be enough alone, so its clauses are not wrong beliefs.
        pieces = [_fold(str(answer))] if len(statements) == 1 else _items(str(answer))
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
            if not concepts:
                continue
            wordings.setdefault(concepts, Counter())[_wording(piece)] += 1
            holders.setdefault(concepts, set()).add(idx)

    clusters: list[tuple[frozenset, Counter, set[int]]] = []
    for key in sorted(holders, key=lambda k: (-len(holders[k]), sorted(k))):
        for ckey, words, who in clusters:
            if len(key & ckey) / len(key | ckey) >= similarity:
                words.update(wordings[key])
                who |= holders[key]
                break
        else:
            clusters.append((key, Counter(wordings[key]), set(holders[key])))

    rows = []
    for _, words, who in clusters:
        if len(who) < min_count:
            continue
        # Most common wording first; ties go to the shortest (the plainest).
        ranked = [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))]
        belief = ranked[0]
        prev = None
        if previous is not None:
            hit = previous.score(belief).matched
            if hit:
                prev = strategy.previous_goals[hit[0]]
        rows.append(
            {
                "belief": belief,
                "count": len(who),
                "share": len(who) / answered if answered else math.nan,
                "previous_goal": prev,
                "variants": ranked[1:6],
            }
        )
    frame = pd.DataFrame(rows, columns=["belief", "count", "share", "previous_goal", "variants"])
    return frame.sort_values(["count", "belief"], ascending=[False, True], ignore_index=True)


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
    gives nothing to grade against are left out)."""
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
