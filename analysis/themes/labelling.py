"""Describe themes: labels by class-based TF-IDF, two-word phrases, representatives.

Given the distinct comments, their stems and their theme, this module says
what each theme is about (``docs/themes.md``, "Labels"): the most
distinctive words by c-TF-IDF (Grootendorst 2022, *BERTopic: Neural topic
modeling with a class-based TF-IDF procedure*, arXiv:2203.05794), shown as
their commonest surface form and inside the two-word phrase the theme uses
them in, and the comments closest to its centre. It does not cluster.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from analysis.text import NEGATIONS, content_words, drop_places, stem, word_pairs
from analysis.themes.lexicon import concept_index, concepts_of

__all__ = ["NO_WORDS_LABEL", "OTHER_THEME_ID", "OTHER_THEME_LABEL", "Theme", "describe", "first_index"]

#: Id of the explicit theme holding one-off comments (at most 10 % of them).
OTHER_THEME_ID = -2
OTHER_THEME_LABEL = "Other (one-off comments)"
#: Label of a theme whose comments have no word to show.
NO_WORDS_LABEL = "(no words)"

# A label word is shown in a two-word phrase when the phrase occurs in at least
# this many of the theme's comments and in this share of those using the word.
_PHRASE_MIN_COUNT = 2
_PHRASE_MIN_SHARE = 0.5
# Longest label, in words.
_LABEL_MAX_WORDS = 4
# Words never worth showing in a label even when distinctive.
_LABEL_SKIP = NEGATIONS | {"amp", "nbsp"}

# c-TF-IDF multiplier for words in the concept lexicon when choosing labels.
_TOPIC_WORD_BOOST = 1.5
# A label word must be at least this much more frequent in its theme than in
# all comments (share of the theme's words / share of all words).
_LABEL_MIN_LIFT = 1.5
# Words whose sentiment valence (VADER, -4..4) is at least this strong say how
# people feel, not what about, and are kept out of labels unless they name a
# workplace topic ("stress", "burnout", "recognition").
_EVALUATIVE_VALENCE = 1.0


@lru_cache(maxsize=1)
def _sentiment_lexicon() -> dict[str, float]:
    from analysis.sentiment import SentimentScorer

    return SentimentScorer().lexicon


def _valence(word: str) -> float:
    return _sentiment_lexicon().get(word, 0.0)


def _label_items(label_stems, class_counts, phrase_df, phrase_forms):
    """Show each label word inside its phrase when it is mostly used in one.

    Why: "town halls" or "break room" says what a theme is about; "halls,
    town" or "room, break" makes the reader reassemble it. A label word
    becomes a two-word phrase when that phrase occurs in at least two of the
    theme's comments and in at least half of the comments using the word
    (it is *the* way the theme uses the word, not a chance neighbour); its
    commonest spelling is shown. The other word of the phrase is then not
    repeated. A label has at most three items and four words.
    """
    items: list[str] = []
    used: set[str] = set()
    n_words = 0
    for s, word in label_stems.items():
        if s in used:
            continue
        best = None
        for key, f in phrase_df.items():
            if s not in key or f < max(_PHRASE_MIN_COUNT, _PHRASE_MIN_SHARE * class_counts.get(s, 0)):
                continue
            other = key[1] if key[0] == s else key[0]
            if other in _LABEL_SKIP or other in used:
                continue
            rank = (f, class_counts.get(other, 0), key)
            if best is None or rank > best[0]:
                best = (rank, key)
        if best is not None:
            key = best[1]
            forms = phrase_forms[key]
            item = min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            used.update(key)
        else:
            item = word
            used.add(s)
        size = len(item.split())
        if items and n_words + size > _LABEL_MAX_WORDS:
            break
        items.append(item)
        n_words += size
        if len(items) == 3:
            break
    return items


@dataclass(frozen=True)
class Theme:
    """One theme as a leader sees it.

    Attributes
    ----------
    id : int
        0, 1, ... by decreasing size; :data:`OTHER_THEME_ID` for "Other".
    label : str
        Two or three distinctive words, e.g. ``"salary, pay, bonus"``.
    top_terms : tuple of str
        Up to ten distinctive words, most distinctive first (surface forms).
    term_weights : tuple of float
        c-TF-IDF weight of each of ``top_terms`` (same order), for routing.
    size : int
        Number of comments in the theme (duplicates counted).
    representatives : tuple of int
        Indices (into the fitted texts) of up to three distinct comments
        closest to the theme's centre.
    """

    id: int
    label: str
    top_terms: tuple[str, ...]
    term_weights: tuple[float, ...]
    size: int
    representatives: tuple[int, ...]


def first_index(inverse) -> dict[int, int]:
    """Index of the first text of each distinct comment (themes quote texts by index)."""
    first: dict[int, int] = {}
    for i, j in enumerate(inverse.tolist()):
        if j >= 0 and j not in first:
            first[j] = i
    return first


def _counts(rows, corpus, distinct_labels, theme_ids):
    """Per theme: stem document frequencies, surface forms, and two-word phrases.

    Counted over the distinct comments, weighted by multiplicity; a word
    repeated in one comment is one vote.
    """
    class_counts: dict[int, Counter] = {t: Counter() for t in theme_ids}
    surface: dict[int, dict[str, Counter]] = {t: defaultdict(Counter) for t in theme_ids}
    phrase_df: dict[int, Counter] = {t: Counter() for t in theme_ids}
    phrase_forms: dict[int, dict[tuple, Counter]] = {t: defaultdict(Counter) for t in theme_ids}
    for j in rows:
        t = int(distinct_labels[j])
        weight = corpus.counts[j]
        text = corpus.distinct[j]
        for s in set(corpus.tokens[j]):
            class_counts[t][s] += weight
        for word, s in content_words(text):
            surface[t][s][word] += weight
        seen_pairs = set()
        for a, b in word_pairs(drop_places(text)):
            key = (stem(a), stem(b))
            if key[0] != key[1]:
                phrase_forms[t][key][f"{a} {b}"] += weight
                if key not in seen_pairs:
                    seen_pairs.add(key)
                    phrase_df[t][key] += weight
    return class_counts, surface, phrase_df, phrase_forms


def _shown(forms, s):
    """Commonest surface form of a stem in a theme ("salary", not "salari")."""
    return min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0] if forms else s


def _ranked(cc, surface, total, avg_words, topic_words):
    """Stems of one theme by c-TF-IDF, most distinctive first, as (weight, stem)."""
    n_words = sum(cc.values()) or 1.0
    scored = []
    for s, f in cc.items():
        if s in _LABEL_SKIP or len(s) < 2:
            continue
        weight = (f / n_words) * np.log(1.0 + avg_words / total[s])
        forms = surface.get(s)
        if topic_words and forms:
            # Prefer words that name a workplace topic over incidental ones,
            # by the share of the stem's uses in this theme that are lexicon
            # words ("secondment", not "second time").
            topical = sum(n for w, n in forms.items() if concepts_of(w, topic_words))
            weight *= 1.0 + (_TOPIC_WORD_BOOST - 1.0) * topical / sum(forms.values())
        scored.append((-weight, s))
    scored.sort()
    return [(-w, s) for w, s in scored]


def _terms_and_label(ranked, cc, surface, total, all_words, topic_words, n_regular):
    """Top ten words with weights, and the stems (with shown word) for the label."""
    n_words = sum(cc.values()) or 1.0
    terms, weights, fallback = [], [], []
    label_stems: dict[str, str] = {}  # stem -> shown word, in label order
    for weight, s in ranked:
        word = _shown(surface.get(s), s)
        if word in terms or word in label_stems.values() or any(word == w for w, _ in fallback):
            continue
        if len(terms) < 10:
            terms.append(word)
            weights.append(round(float(weight), 6))
        if len(label_stems) < 3:
            # A label names the topic: skip words spread evenly over the
            # themes (openers, closers, "team") and evaluative words that name
            # no topic ("great", "thanks"): the theme's mood is reported by
            # its sentiment instead.
            lift = (f_t := cc[s] / n_words) / (total[s] / all_words)
            topical = bool(topic_words) and bool(concepts_of(word, topic_words))
            evaluative = not topical and abs(_valence(word)) >= _EVALUATIVE_VALENCE
            spread = n_regular > 1 and lift < _LABEL_MIN_LIFT
            if evaluative or spread or f_t <= 0:
                fallback.append((word, s))
            else:
                label_stems[s] = word
        if len(terms) == 10 and len(label_stems) == 3:
            break
    # Too few distinctive words: fill up to two from the rest, in order.
    for word, s in fallback[: max(0, 2 - len(label_stems))]:
        label_stems[s] = word
    return terms, weights, label_stems


def representatives(members, centre, Z_all, first):
    """Up to three distinct comments closest to the centre (first three for "Other")."""
    if len(members) == 0:
        return ()
    if centre is None:
        order = members[:3]
    else:
        sims = Z_all[members] @ centre
        order = members[np.lexsort((members, -sims))][:3]
    return tuple(int(first[int(j)]) for j in order)


def describe(corpus, distinct_labels, centers, Z_all, fit_rows, concept_key):
    """The :class:`Theme` of every theme id in ``distinct_labels`` (regular, then "Other").

    ``corpus`` is an :class:`analysis.themes.space.Corpus`; ``centers`` holds
    the unit centre of each regular theme (row i for id i). c-TF-IDF weight
    of stem t in theme c: (df of t in c / words in c) * log(1 + A / f_t), A =
    average words per theme, f_t = frequency of t over all themes. For large
    pulses only the fitted sample is counted: labels need the commonest words.
    """
    first = first_index(corpus.inverse)
    n_regular = len(centers)
    theme_ids = list(range(n_regular))
    if (distinct_labels == OTHER_THEME_ID).any():
        theme_ids.append(OTHER_THEME_ID)
    rows = fit_rows if len(fit_rows) < len(corpus.distinct) else np.arange(len(corpus.distinct))
    class_counts, surface, phrase_df, phrase_forms = _counts(rows, corpus, distinct_labels, theme_ids)
    total = Counter()
    for t in theme_ids:
        total.update(class_counts[t])
    avg_words = sum(total.values()) / max(1, len(theme_ids))
    all_words = sum(total.values()) or 1.0
    topic_words = concept_index(concept_key) if concept_key else {}
    themes = []
    for t in theme_ids:
        members = np.flatnonzero(distinct_labels == t)
        size = int(corpus.counts[members].sum())
        cc = class_counts[t]
        ranked = _ranked(cc, surface[t], total, avg_words, topic_words)
        terms, weights, label_stems = _terms_and_label(
            ranked, cc, surface[t], total, all_words, topic_words, n_regular
        )
        if t == OTHER_THEME_ID:
            label = OTHER_THEME_LABEL
            reps = representatives(members, None, Z_all, first)
        else:
            items = _label_items(label_stems, cc, phrase_df[t], phrase_forms[t])
            label = ", ".join(items) if items else NO_WORDS_LABEL
            reps = representatives(members, centers[t], Z_all, first)
        themes.append(Theme(t, label, tuple(terms), tuple(weights), size, reps))
    return themes
