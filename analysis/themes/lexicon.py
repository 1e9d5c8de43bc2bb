"""The concept lexicon: which workplace topic a word signals, and how much to trust it.

The built-in lexicon lives in ``analysis/data/theme_concepts.toml`` (17
engagement-survey topics). It helps on workplace comments, where two comments
on one topic often share no word ("salaries are below market" / "the bonus
is unfair"); on text it does not describe it would drown the words, so
:func:`lexicon_weight` scales it by how much of the corpus's wording it
covers (``docs/themes.md``, "Concept lexicon").
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "CONCEPTS_PATH",
    "FULL_WEIGHT_SHARE",
    "NO_WEIGHT_SHARE",
    "WORKPLACE_CONCEPTS",
    "concept_index",
    "concepts_key",
    "concepts_of",
    "lexicon_share",
    "lexicon_weight",
]

#: The built-in lexicon file.
CONCEPTS_PATH = Path(__file__).resolve().parents[1] / "data" / "theme_concepts.toml"

#: Below this share of content words found in the lexicon, the lexicon gets no
#: weight in the geometry (the themes are the words' alone).
NO_WEIGHT_SHARE = 0.10
#: From this share on, the lexicon gets its full ``concept_weight``.
FULL_WEIGHT_SHARE = 0.25


def _load(path: Path) -> Mapping[str, tuple[str, ...]]:
    with open(path, "rb") as f:
        table = tomllib.load(f)["concepts"]
    return MappingProxyType({name: tuple(str(words).split()) for name, words in table.items()})


#: Topics that recur in employee-survey comments, with the words that signal
#: them (read from :data:`CONCEPTS_PATH`). Pass ``concepts=None`` to
#: :class:`~analysis.themes.ThemeClusterer` to switch it off, or a mapping of
#: your own to replace it.
WORKPLACE_CONCEPTS: Mapping[str, tuple[str, ...]] = _load(CONCEPTS_PATH)


def concepts_key(concepts) -> tuple | None:
    """A hashable, order-free form of a ``concepts`` parameter (None for no lexicon).

    Raises
    ------
    ValueError
        If ``concepts`` is not "workplace", None or a mapping of concept -> words.
    """
    if concepts is None:
        return None
    if isinstance(concepts, str):
        if concepts != "workplace":
            raise ValueError(
                f"concepts must be 'workplace', None or a mapping of concept -> words; "
                f"got {concepts!r}"
            )
        concepts = WORKPLACE_CONCEPTS
    if not isinstance(concepts, Mapping):
        raise ValueError(
            f"concepts must be 'workplace', None or a mapping of concept -> words; "
            f"got {type(concepts).__name__}"
        )
    key = []
    for name in sorted(concepts):
        words = concepts[name]
        if isinstance(words, str):
            words = words.split()
        key.append((str(name), tuple(sorted(str(w) for w in words))))
    return tuple(key)


@lru_cache(maxsize=8)
def concept_index(key: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[str, ...]]:
    """Map each lexicon word, as written (casefolded), to the concepts it signals.

    Words are matched as written, not by stem: Snowball maps "honestly" to
    "honest" and "second" to "secondment"'s stem, so a stem index would file
    every "Honestly, ..." under leadership and every "second time" under
    career. The lexicon lists the inflections that matter; :func:`concepts_of`
    adds regular plurals.
    """
    index: dict[str, set[str]] = defaultdict(set)
    for concept, words in key:
        for word in words:
            word = str(word).casefold()
            if len(word) >= 2:
                index[word].add(concept)
    return {w: tuple(sorted(c)) for w, c in index.items()}


def concepts_of(word: str, index: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Concepts of one surface word: exact, regular plural, or hyphen parts.

    >>> index = concept_index(concepts_key(WORKPLACE_CONCEPTS))
    >>> concepts_of("salaries", index), concepts_of("honestly", index)
    (('pay',), ())
    """
    hit = index.get(word)
    if hit is not None:
        return hit
    if len(word) > 3 and word.endswith("s"):
        if word.endswith("ies") and (hit := index.get(word[:-3] + "y")) is not None:
            return hit
        if word.endswith("es") and (hit := index.get(word[:-2])) is not None:
            return hit
        if (hit := index.get(word[:-1])) is not None:
            return hit
    if "-" in word:
        found: list[str] = []
        for part in word.split("-"):
            for concept in concepts_of(part, index) if len(part) >= 2 else ():
                if concept not in found:
                    found.append(concept)
        return tuple(found)
    return ()


def lexicon_share(word_lists: Iterable[Iterable[str]], index: Mapping[str, tuple[str, ...]]) -> float:
    """Share of all content words (surface forms) that the lexicon knows.

    Measured (``docs/themes.md``): 0.28-0.31 on workplace comments, 0.03-0.06
    on news, newsgroups, newswire, product and movie reviews and tweets.
    """
    known = total = 0
    for words in word_lists:
        for word in words:
            total += 1
            known += bool(concepts_of(word, index))
    return known / total if total else 0.0


def lexicon_weight(share: float, concept_weight: float) -> float:
    """Weight of the concept block for a corpus whose wording the lexicon covers by ``share``.

    Zero below :data:`NO_WEIGHT_SHARE` (the lexicon does not describe this
    text, and with weight 1 it cut NMI from 0.89 to 0.31 on one such corpus),
    ``concept_weight`` from :data:`FULL_WEIGHT_SHARE` on, linear in between.

    >>> lexicon_weight(0.31, 1.0), lexicon_weight(0.04, 1.0), round(lexicon_weight(0.175, 1.0), 2)
    (1.0, 0.0, 0.5)
    """
    ramp = (share - NO_WEIGHT_SHARE) / (FULL_WEIGHT_SHARE - NO_WEIGHT_SHARE)
    return float(concept_weight) * min(1.0, max(0.0, ramp))
