"""Sentiment of free-text comments: VADER plus a small workplace lexicon.

VADER (Hutto & Gilbert, 2014) is a rule-based scorer built for short, informal
text, which is what pulse comments are; it needs no training data, explains
itself word by word and runs offline. We use the ``vaderSentiment`` 3.3.2
package rather than nltk's port because it was more accurate on three of the
four ground-truth sets of the VADER paper, reads emoji, and is about 2.5 times
faster (figures and command in ``docs/text.md``).

VADER's lexicon was rated for general and social-media English, so it misses
words that carry clear valence at work ("understaffed", "micromanaged",
"toxic") and mis-rates a few ("overwhelmed" +0.2). ``data/workplace_lexicon.txt``
adds and corrects those; ``bench/sentiment_groundtruth.py`` checks it does not
cost accuracy on the general ground truth.

Scores are VADER's *compound* score in [-1, 1]. Missing and empty comments
score NaN, not 0: "no answer" is not "neutral answer".
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
from vaderSentiment.vaderSentiment import BOOSTER_DICT as _BOOSTERS
from vaderSentiment.vaderSentiment import (
    N_SCALAR,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    allcap_differential,
    negated,
)

from analysis.text import is_blank

__all__ = [
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "SentimentScorer",
    "EMOJI_WORDS",
    "WORKPLACE_LEXICON_PATH",
    "has_emoji_or_emoticon",
    "label",
    "labels",
    "load_lexicon",
    "score",
    "score_many",
]

#: Compound at or above which a comment is "positive" (Hutto & Gilbert's
#: recommended threshold, also used in the vaderSentiment README).
POSITIVE_THRESHOLD = 0.05
#: Compound at or below which a comment is "negative".
NEGATIVE_THRESHOLD = -0.05

_PUNCTUATION = string.punctuation

#: Emoji whose description in VADER's emoji table carries no valence ("thumbs
#: up", "pouting face", "face with rolling eyes") or the wrong one ("broken
#: heart" scored +0.27 because of "heart"), read instead as the one word they
#: stand for in a workplace comment; the valence is then VADER's own for that
#: word (e.g. "good" 1.9, "bad" -2.5). These are the emoji people answer a pulse
#: with when they write nothing else, so scoring them 0 would call a row of
#: thumbs-down "neutral".
EMOJI_WORDS: dict[str, str] = {
    "\U0001F44D": "good",  # thumbs up
    "\U0001F44E": "bad",  # thumbs down
    "\U0001F44F": "applause",  # clapping hands
    "\U0001F64C": "hooray",  # raising hands
    "\U0001F4AF": "perfect",  # hundred points
    "\U0001F621": "angry",  # pouting face
    "\U0001F92C": "angry",  # face with symbols on mouth
    "\U0001F644": "annoyed",  # face with rolling eyes
    "\U0001F624": "frustrated",  # face with steam from nose
    "\U0001F926": "frustrated",  # person facepalming
    "\U0001F92E": "disgusting",  # face vomiting
    "\U0001F4A9": "crap",  # pile of poo
    "\U0001F494": "heartbroken",  # broken heart
}

#: The shipped workplace lexicon.
WORKPLACE_LEXICON_PATH = Path(__file__).parent / "data" / "workplace_lexicon.txt"


def load_lexicon(path: str | Path | None = None) -> dict[str, float]:
    """Read a lexicon file of ``term<TAB>valence[<TAB>note]`` lines.

    Parameters
    ----------
    path : str or Path, optional
        Defaults to the workplace lexicon shipped in ``analysis/data``.

    Returns
    -------
    dict
        Lower-case term -> valence on VADER's -4..+4 scale.

    Raises
    ------
    ValueError
        Naming the file and line of a malformed entry, a valence outside
        [-4, 4], or a term listed twice.

    Examples
    --------
    >>> workplace = load_lexicon()  # the packaged workplace lexicon
    >>> workplace["understaffed"], workplace["micromanaged"]
    (-1.8, -1.9)
    """
    path = WORKPLACE_LEXICON_PATH if path is None else Path(path)
    source = str(path)
    content = path.read_text(encoding="utf-8")
    lexicon: dict[str, float] = {}
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = raw.split("\t")
        where = f"{source}, line {number}"
        if len(fields) < 2:
            raise ValueError(
                f"{where}: expected 'term<TAB>valence[<TAB>note]', got {raw!r}"
            )
        term = fields[0].strip()
        if not term or any(ch.isspace() for ch in term) or term != term.lower():
            raise ValueError(
                f"{where}: term must be one lower-case word without spaces, got {term!r}"
            )
        try:
            valence = float(fields[1])
        except ValueError:
            raise ValueError(
                f"{where}: valence of {term!r} must be a number, got {fields[1]!r}"
            ) from None
        if not -4.0 <= valence <= 4.0 or math.isnan(valence):
            raise ValueError(
                f"{where}: valence of {term!r} must be within VADER's scale -4..4, got {valence}"
            )
        if term in lexicon:
            raise ValueError(f"{where}: {term!r} is listed twice")
        lexicon[term] = valence
    return lexicon


class _SentiText(SentiText):
    """VADER's tokens, with punctuation stripped from short words too.

    vaderSentiment 3.3.2 strips leading/trailing punctuation from a token only
    if at least three characters remain, to keep emoticons such as ":)" whole.
    As a side effect "no!", "ok.", "ha!" and "NO." are never matched in the
    lexicon nor seen as negations. We keep a token whole if it is in the
    lexicon as written (every emoticon VADER knows) or is punctuation only,
    and strip it otherwise. Measured on VADER's own ground truth this raises
    three-way accuracy on all four sets (docs/text.md).
    """

    def __init__(self, text, lexicon):
        self.text = text
        self.lexicon = lexicon
        self.words_and_emoticons = self._words_and_emoticons()
        self.is_cap_diff = allcap_differential(self.words_and_emoticons)

    def _words_and_emoticons(self):
        lexicon = self.lexicon
        out = []
        for token in self.text.split():
            if token.lower() in lexicon:
                out.append(token)
                continue
            stripped = token.strip(_PUNCTUATION)
            out.append(stripped if stripped else token)
        return out


class _Vader(SentimentIntensityAnalyzer):
    """vaderSentiment's analyser with a faster emoji pass and :class:`_SentiText`.

    The original converts emoji by appending character by character to a
    string, which dominates the time on longer comments. Emoji are never ASCII,
    so ASCII text skips that pass; other text is converted with the same rule
    (an emoji becomes its description, separated by a space from a preceding
    non-space character) in one join. Apart from tokenisation
    (:class:`_SentiText`), the scoring rules are VADER's, unchanged.
    """

    def __init__(self):
        super().__init__()
        self.emojis = {**self.emojis, **EMOJI_WORDS}

    def polarity_scores(self, text):
        if not text.isascii():
            emojis = self.emojis
            parts = []
            prev_space = True
            for ch in text:
                description = emojis.get(ch)
                if description is not None:
                    if not prev_space:
                        parts.append(" ")
                    parts.append(description)
                    prev_space = False
                else:
                    parts.append(ch)
                    prev_space = ch == " "
            text = "".join(parts)
        text = text.strip()

        sentitext = _SentiText(text, self.lexicon)
        sentiments = []
        words_and_emoticons = sentitext.words_and_emoticons
        last = len(words_and_emoticons) - 1
        boosters = _BOOSTERS
        for i, item in enumerate(words_and_emoticons):
            lower = item.lower()
            if lower in boosters:
                sentiments.append(0)
                continue
            if i < last and lower == "kind" and words_and_emoticons[i + 1].lower() == "of":
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
        sentiments = self._but_check(words_and_emoticons, sentiments)
        return self.score_valence(sentiments, text)

    # The two checks below are VADER 3.3.2's, rewritten to lower-case only
    # the few neighbouring words they read instead of the whole comment on
    # every call (that made scoring quadratic in comment length). Same
    # indices, same conditions, same results (tested against the original).

    @staticmethod
    def _negation_check(valence, words_and_emoticons, start_i, i):
        w = words_and_emoticons
        if start_i == 0:
            if negated([w[i - 1].lower()]):
                valence = valence * N_SCALAR
        elif start_i == 1:
            w2, w1 = w[i - 2].lower(), w[i - 1].lower()
            if w2 == "never" and (w1 == "so" or w1 == "this"):
                valence = valence * 1.25
            elif w2 == "without" and w1 == "doubt":
                pass
            elif negated([w2]):
                valence = valence * N_SCALAR
        elif start_i == 2:
            w3, w2, w1 = w[i - 3].lower(), w[i - 2].lower(), w[i - 1].lower()
            if (w3 == "never" and (w2 == "so" or w2 == "this")) or (w1 == "so" or w1 == "this"):
                valence = valence * 1.25
            elif w3 == "without" and (w2 == "doubt" or w1 == "doubt"):
                pass
            elif negated([w3]):
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _special_idioms_check(valence, words_and_emoticons, i):
        w = words_and_emoticons
        w0, w1, w2, w3 = w[i].lower(), w[i - 1].lower(), w[i - 2].lower(), w[i - 3].lower()
        onezero = f"{w1} {w0}"
        twoonezero = f"{w2} {w1} {w0}"
        twoone = f"{w2} {w1}"
        threetwoone = f"{w3} {w2} {w1}"
        threetwo = f"{w3} {w2}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        n = len(w)
        if n - 1 > i:
            zeroone = f"{w0} {w[i + 1].lower()}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{w0} {w[i + 1].lower()} {w[i + 2].lower()}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in _BOOSTERS:
                valence = valence + _BOOSTERS[n_gram]
        return valence


class SentimentScorer:
    """Scores comments with VADER and the workplace lexicon.

    Building the analyser reads two lexicon files (about 50 ms), so make one
    scorer and reuse it; the module-level :func:`score` and
    :func:`score_many` share a cached default scorer.

    Parameters
    ----------
    workplace : bool, default True
        Add ``analysis/data/workplace_lexicon.txt`` to VADER's lexicon. False
        gives plain vaderSentiment 3.3.2 scores (used by the benchmark).
    extra_lexicon : mapping of str to float, optional
        Further terms (lower case, valence -4..4), applied last, for an
        organisation's own vocabulary.

    Attributes
    ----------
    lexicon : dict
        The effective term -> valence mapping.

    Examples
    --------
    >>> scorer = SentimentScorer()
    >>> scorer.score("We are understaffed again") < -0.05
    True
    >>> SentimentScorer(workplace=False).score("We are understaffed again")
    0.0
    """

    def __init__(self, *, workplace: bool = True, extra_lexicon: Mapping[str, float] | None = None):
        self.workplace = workplace
        self.extra_lexicon = extra_lexicon
        self._analyzer = _Vader()
        if workplace:
            self._analyzer.lexicon.update(load_lexicon())
        if extra_lexicon:
            for term, valence in extra_lexicon.items():
                if not isinstance(term, str) or term != term.lower() or not term.strip():
                    raise ValueError(f"extra_lexicon: term must be a lower-case word, got {term!r}")
                v = float(valence)
                if not -4.0 <= v <= 4.0:
                    raise ValueError(
                        f"extra_lexicon: valence of {term!r} must be within -4..4, got {valence!r}"
                    )
                self._analyzer.lexicon[term] = v

    @property
    def lexicon(self) -> dict[str, float]:
        return self._analyzer.lexicon

    def polarity(self, text: object) -> dict[str, float]:
        """VADER's full scores ``neg``, ``neu``, ``pos``, ``compound`` (NaN if missing)."""
        if is_blank(text):
            return {"neg": math.nan, "neu": math.nan, "pos": math.nan, "compound": math.nan}
        return self._analyzer.polarity_scores(str(text))

    def score(self, text: object) -> float:
        """Compound score in [-1, 1]; NaN for a missing or blank comment."""
        if is_blank(text):
            return math.nan
        return self._analyzer.polarity_scores(str(text))["compound"]

    def score_many(self, texts: Iterable[object]) -> np.ndarray:
        """Compound scores of many comments as a float64 array.

        Identical comments are scored once (pulses repeat "More training
        please" many times), which is exact because VADER is deterministic.
        """
        polarity = self._analyzer.polarity_scores
        seen: dict[str, float] = {}
        out = []
        append = out.append
        for text in texts:
            if is_blank(text):
                append(math.nan)
                continue
            if not isinstance(text, str):
                text = str(text)
            value = seen.get(text)
            if value is None:
                value = polarity(text)["compound"]
                seen[text] = value
            append(value)
        return np.asarray(out, dtype=np.float64)


def has_emoji_or_emoticon(text: object) -> bool:
    """True if ``text`` holds an emoji or an emoticon VADER can score.

    Why: an answer of only emoji ("\U0001F44E\U0001F44E") has no words to put in a
    theme, but it does say how someone feels, so :mod:`analysis.comments`
    scores it while an empty answer, "-" or "n/a" gets no sentiment at all.
    Emoticons count when VADER's lexicon lists them as written (":)", ":-(",
    "<3"); its number slang ("143") does not.

    Examples
    --------
    >>> [has_emoji_or_emoticon(t) for t in ["\U0001F44D", ":(", "-", "n/a", None]]
    [True, True, False, False, False]
    """
    if is_blank(text) or not isinstance(text, str):
        return False
    analyzer = _default_scorer()._analyzer
    if not text.isascii():
        emojis = analyzer.emojis
        if any(ch in emojis for ch in text):
            return True
    lexicon = analyzer.lexicon
    return any(
        token in lexicon and not token.isdigit() and not any(ch.isalpha() for ch in token)
        for token in text.split()
    )


@lru_cache(maxsize=1)
def _default_scorer() -> SentimentScorer:
    return SentimentScorer()


def score(text: object) -> float:
    """Compound sentiment of one comment with the default scorer (NaN if blank).

    Examples
    --------
    >>> score("The new onboarding was great!") > 0.05
    True
    """
    return _default_scorer().score(text)


def score_many(texts: Iterable[object]) -> np.ndarray:
    """Compound sentiment of many comments with the default scorer.

    Examples
    --------
    >>> score_many(["Great team", "Too many meetings", None])
    array([0.6249, 0.    ,    nan])
    """
    return _default_scorer().score_many(texts)


def label(compound: float) -> str:
    """Three-way label of a compound score: "positive", "neutral" or "negative".

    Uses VADER's recommended thresholds: >= 0.05 positive, <= -0.05 negative.

    Raises
    ------
    ValueError
        If ``compound`` is NaN (a blank comment has no sentiment; filter it
        out or use :func:`labels`, which maps NaN to None) or outside [-1, 1].

    Examples
    --------
    >>> [label(x) for x in (0.6, 0.05, 0.0, -0.05)]
    ['positive', 'positive', 'neutral', 'negative']
    """
    value = float(compound)
    if math.isnan(value):
        raise ValueError(
            "label(): compound is NaN (a blank or missing comment has no sentiment); "
            "filter blank comments first or use labels(), which maps NaN to None"
        )
    if not -1.0 <= value <= 1.0:
        raise ValueError(f"label(): compound must be within [-1, 1], got {value}")
    if value >= POSITIVE_THRESHOLD:
        return "positive"
    if value <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def labels(compounds: Iterable[float]) -> np.ndarray:
    """Vectorised :func:`label`: an object array, None where the score is NaN.

    Examples
    --------
    >>> labels([0.6, 0.0, -0.3, float("nan")])
    array(['positive', 'neutral', 'negative', None], dtype=object)
    """
    values = np.asarray(list(compounds) if not hasattr(compounds, "__array__") else compounds, dtype=np.float64)
    out = np.full(values.shape, None, dtype=object)
    out[values >= POSITIVE_THRESHOLD] = "positive"
    out[values <= NEGATIVE_THRESHOLD] = "negative"
    out[(values > NEGATIVE_THRESHOLD) & (values < POSITIVE_THRESHOLD)] = "neutral"
    return out
