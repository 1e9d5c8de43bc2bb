"""The grader's tables: abbreviations, phrases, synonyms, related and generic words.

Read from ``analysis/data/recall_synonyms.toml`` (or an analyst's own file)
and checked entry by entry, so a mistake in a table is an error naming the
file and the entry, never a silently different grade. Every entry is
tokenised and stemmed once here, so grading an answer is dictionary look-ups.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..text import stem
from .tokens import _STOP_WORDS, _fold, _words


class RecallTableError(ValueError):
    """A synonym table that cannot be used; the message names file and entry."""



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

    Examples
    --------
    >>> lexicon = load_lexicon()  # analysis/data/recall_synonyms.toml
    >>> lexicon.abbreviations["rev"], lexicon.concept("parcels")
    (('revenue',), ('parcel', 'deliveri'))
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


def _phrase_of(source: str, section: str, key: str, value) -> tuple[str, ...]:
    """The words of a table value that must be one string."""
    if not isinstance(value, str):
        raise RecallTableError(
            f"{source}: [{section}] '{key}' must be a string, got {type(value).__name__}"
        )
    return tuple(_words(_fold(value)))


def _strings(source: str, section: str, key: str, value) -> list[str]:
    """A table value that must be a list of strings, as it is."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecallTableError(f"{source}: [{section}] '{key}' must be a list of strings")
    return value


def _single_word(source: str, section: str, key: str, what: str = "") -> str:
    """The one word a table key (or entry) must be."""
    words = _words(_fold(key))
    if len(words) != 1:
        raise RecallTableError(f"{source}: [{section}] {what}'{key}' must be a single word")
    return words[0]


def _abbreviation_table(data: Mapping, source: str) -> dict[str, tuple[str, ...]]:
    return {
        _single_word(source, "abbreviations", key): _phrase_of(source, "abbreviations", key, value)
        for key, value in _table(data, "abbreviations", source).items()
    }


def _phrase_table(data: Mapping, source: str) -> dict[tuple[str, ...], tuple[str, ...]]:
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in _table(data, "phrases", source).items():
        words = tuple(_words(_fold(key)))
        if not words:
            raise RecallTableError(f"{source}: [phrases] '{key}' has no words")
        phrases[words] = _phrase_of(source, "phrases", key, value)
    return phrases


@dataclass
class _Synonyms:
    """What the [synonyms] table gives, filled in by :func:`_synonym_table`."""

    #: Stem -> the stem of its group's canonical word.
    concept_of: dict[str, str] = field(default_factory=dict)
    #: Single-word variant -> its canonical word.
    canonical: dict[str, str] = field(default_factory=dict)
    #: Raw table word -> concept (typo-correction targets).
    words: dict[str, str] = field(default_factory=dict)
    #: Stem -> where it was first declared, for the error message.
    declared: dict[str, str] = field(default_factory=dict)


def _declare(found: _Synonyms, s: str, concept: str, source: str, word: str, group: str) -> None:
    """Record that stem ``s`` belongs to ``concept``; a stem in two groups
    would make grading depend on table order, so it is an error."""
    previous = found.concept_of.get(s)
    if previous is not None and previous != concept:
        raise RecallTableError(
            f"{source}: [synonyms] '{word}' under '{group}' has the same stem ('{s}') "
            f"as '{found.declared[s]}', which is already in another group; "
            "remove one of them"
        )
    found.concept_of[s] = concept
    found.declared.setdefault(s, f"{word}' under '{group}")


def _synonym_table(data: Mapping, source: str, phrases: dict) -> _Synonyms:
    """Read [synonyms]; a variant of several words ("por ciento", "b-to-b")
    becomes a phrase for the canonical word, added to ``phrases``."""
    found = _Synonyms()
    for canonical, variants in _table(data, "synonyms", source).items():
        canon_word = _single_word(source, "synonyms", canonical, "key ")
        concept = stem(canon_word)
        _declare(found, concept, concept, source, canonical, canonical)
        found.words[canon_word] = concept
        for variant in _strings(source, "synonyms", canonical, variants):
            words = _words(_fold(variant))
            if len(words) == 1:
                _declare(found, stem(words[0]), concept, source, variant, canonical)
                found.words[words[0]] = concept
                found.canonical[words[0]] = canon_word
            elif words:
                phrases[tuple(words)] = (canon_word,)
    return found


def _related_table(data: Mapping, source: str, concept_of: Mapping[str, str]) -> dict[str, str]:
    """Read [related]: related word's stem -> the concept it is half evidence for."""
    related_of: dict[str, str] = {}
    declared: dict[str, str] = {}
    for canonical, entries in _table(data, "related", source).items():
        s = stem(_single_word(source, "related", canonical, "key "))
        concept = concept_of.get(s, s)
        for entry in _strings(source, "related", canonical, entries):
            ws = stem(_single_word(source, "related", entry))
            if related_of.get(ws, concept) != concept:
                raise RecallTableError(
                    f"{source}: [related] '{entry}' is already related to '{declared[ws]}'"
                )
            related_of[ws] = concept
            declared.setdefault(ws, canonical)
    return related_of


def _generic_concepts(data: Mapping, source: str, concept_of: Mapping[str, str]) -> frozenset[str]:
    words = _strings(source, "generic", "words", _table(data, "generic", source).get("words", []))
    return frozenset(
        concept_of.get(stem(w), stem(w)) for word in words for w in _words(_fold(word))
    )


def _build_lexicon(data: Mapping, source: str) -> Lexicon:
    unknown = set(data) - {"format", "abbreviations", "phrases", "synonyms", "related", "generic"}
    if unknown:
        raise RecallTableError(f"{source}: unknown section(s) {', '.join(sorted(unknown))}")
    abbreviations = _abbreviation_table(data, source)
    phrases = _phrase_table(data, source)
    synonyms = _synonym_table(data, source, phrases)
    concept_of, table_words = synonyms.concept_of, synonyms.words
    related_of = _related_table(data, source, concept_of)
    generic = _generic_concepts(data, source, concept_of)

    # Phrase keys in canonical words, so one entry covers its synonyms.
    canon_phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in phrases.items():
        canon_phrases.setdefault(tuple(synonyms.canonical.get(w, w) for w in key), value)

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
        canonical=synonyms.canonical,
        phrase_starts=frozenset(k[0] for k in canon_phrases),
        max_phrase=max((len(k) for k in canon_phrases), default=1),
        concept_of=concept_of,
        related_of=related_of,
        generic=generic,
        known_stems=frozenset(known),
        words=table_words,
        source=source,
    )


@lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    return load_lexicon()

