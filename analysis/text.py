"""Text preparation for free-text comments: normalise, tokenise, stem.

Themes and routing compare *words*, so they need a canonical form of each
comment: the same word typed with a curly apostrophe, in capitals or with a
trailing plural must land on the same term. Sentiment needs the opposite (case,
punctuation, emoji and negation all carry valence), so
:mod:`analysis.sentiment` scores the original text and only the theme side uses
:func:`content_tokens`.

Everything here needs no nltk data download: the tokeniser is a regular
expression and the stemmer is nltk's Snowball (Porter2) stemmer, which ships
its rules in code. Stems are memoised, because a 100,000-comment pulse repeats
the same few thousand words over and over.

The rules are documented in ``docs/text.md``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = [
    "NEGATIONS",
    "STOP_WORDS",
    "PLACE_NOUNS",
    "content_tokens",
    "content_words",
    "drop_places",
    "is_blank",
    "is_missing",
    "is_no_content",
    "normalise",
    "stem",
    "stem_tokens",
    "surface_words",
    "tokenize",
    "word_pairs",
]

#: Words that flip the meaning of what follows. scikit-learn lists them as stop
#: words; we keep them, because "no training" and "training" are different
#: complaints and a theme built from the second hides the first.
NEGATIONS: frozenset[str] = frozenset(
    {
        "no",
        "not",
        "never",
        "nor",
        "none",
        "nothing",
        "nobody",
        "noone",
        "neither",
        "cannot",
        "without",
        "against",
    }
)

#: Extra filler that carries no topic in survey comments.
_SURVEY_FILLER = frozenset(
    {
        "just",
        "really",
        "think",
        "feel",
        "like",
        "lot",
        "lots",
        "thing",
        "things",
        "would",
        "could",
        "get",
        "got",
        "also",
        "make",
        "want",
        "im",
        "ive",
        "its",
        "i'm",
        "i've",
        "it's",
        "that's",
        "there's",
        "we're",
        "they're",
        "we've",
        "you're",
        "let's",
        "etc",
        "eg",
        "ie",
        "maybe",
        "please",
        "pls",
        "tbh",
        "imo",
        "btw",
        "thx",
    }
)

#: Stop words dropped by :func:`content_tokens`: scikit-learn's English list
#: (Glasgow IR group) minus :data:`NEGATIONS`, plus common survey filler.
STOP_WORDS: frozenset[str] = (ENGLISH_STOP_WORDS - NEGATIONS) | _SURVEY_FILLER

# Characters NFKC leaves alone but that people paste from word processors.
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote / apostrophe
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u00b4": "'",  # acute accent used as apostrophe
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,  # zero-width joiner: emoji sequences stay intact enough
        "\u2060": None,
        "\ufeff": None,  # byte-order mark pasted mid-text
        "\u00ad": None,  # soft hyphen
    }
)

_WHITESPACE = re.compile(r"\s+")

# A decimal number ("3.5", "1,000", "15%"), or a word of letters and digits
# ("q3", "2026") optionally joined by apostrophes or hyphens ("don't",
# "cross-team").
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+%?|[^\W_]+(?:['-][^\W_]+)*%?")

# Placeholders written by analysis.scrub ("[email]", "[name]"): not topics.
_PLACEHOLDER = re.compile(r"\[[a-z]+\]")

# "don't", "can't", "won't": the negation is what matters for a topic.
_NEGATED_CONTRACTION = re.compile(r"^[^\W\d_]+n't$")
# The same typed without the apostrophe.
_BARE_NEGATED = frozenset(
    {"cant", "wont", "dont", "didnt", "doesnt", "isnt", "arent", "wasnt", "werent",
     "havent", "hasnt", "hadnt", "shouldnt", "wouldnt", "couldnt"}
)

#: Nouns naming where people work. In "in the kitchen" or "at the Leeds
#: office" they say *where* a problem is, not what it is about.
PLACE_NOUNS: frozenset[str] = frozenset(
    """office offices kitchen kitchens canteen canteens building buildings site sites
    depot depots warehouse warehouses yard yards floor floors area areas room rooms
    centre centres center centers studio studios premises branch branches store stores
    shop shops plant plants factory factories lab labs hub hubs bay bays hq campus
    lobby reception corridor corridors""".split()
)
_PLACE_PHRASE = re.compile(
    r"\b(?:in|at|inside|outside|around|near)\s+"
    r"(?:(?:the|our|my|your|their|this|that|each|every|a|an)\s+)?"
    r"(?:[^\W\d_][\w'-]*\s+){0,2}"
    rf"(?:{'|'.join(sorted(PLACE_NOUNS, key=len, reverse=True))})\b"
)

_STEMMER = SnowballStemmer("english")
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_LIMIT = 500_000


def is_missing(text: object) -> bool:
    """None, NaN or pandas' NA: no answer at all (unlike an empty string, which is one)."""
    if text is None:
        return True
    if isinstance(text, float) and math.isnan(text):
        return True
    # pandas.NA and friends: NA compares ambiguous, so test by type name
    # rather than importing pandas here.
    return type(text).__name__ in {"NAType", "NaTType"}


def is_blank(text: object) -> bool:
    """Missing, or a string of only whitespace: nothing was typed.

    Why: sentiment treats both as "no answer" (NaN), not as a neutral one;
    "-" or "n/a" are typed and are judged by :func:`is_no_content` instead.
    """
    return is_missing(text) or (isinstance(text, str) and not text.strip())


def normalise(text: object) -> str:
    """Return the canonical form of a comment used for comparing words.

    NFKC folds compatibility characters (full-width letters, ligatures,
    non-breaking spaces, "…") into plain ones; curly quotes and dashes become
    ASCII so that "don’t" and "don't" are one word; casefold is stronger than
    lower() ("Straße" == "strasse"); runs of whitespace collapse to one space.
    Missing values (None, NaN, pandas NA) become "" so callers can pass a
    DataFrame column as-is. Emoji and punctuation are kept.

    Parameters
    ----------
    text : str or None
        A comment, possibly missing.

    Returns
    -------
    str

    Examples
    --------
    >>> normalise("  Don’t   KNOW\u00a0— really…")
    "don't know - really..."
    """
    if is_missing(text):
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).casefold()
    return _WHITESPACE.sub(" ", text).strip()


def tokenize(text: object) -> list[str]:
    """Split a comment into normalised word and number tokens.

    Apostrophes and hyphens inside a word are kept ("don't", "cross-team") so
    negated contractions survive for callers that need them; punctuation,
    emoji and scrub placeholder brackets are dropped.

    Examples
    --------
    >>> tokenize("We don't get the Q3 cross-team updates (15%)!")
    ['we', "don't", 'get', 'the', 'q3', 'cross-team', 'updates', '15%']
    """
    return _TOKEN.findall(normalise(text))


def stem(word: str) -> str:
    """Snowball (Porter2) stem of one lower-case word, memoised."""
    try:
        return _STEM_CACHE[word]
    except KeyError:
        pass
    # Snowball lower-cases with str.lower(); casefold again so a stem stays
    # equal to its casefolded self (Cherokee letters casefold to upper case).
    stemmed = _STEMMER.stem(word).casefold()
    if len(_STEM_CACHE) < _STEM_CACHE_LIMIT:
        _STEM_CACHE[word] = stemmed
    return stemmed


def stem_tokens(tokens: Iterable[str]) -> list[str]:
    """Stem each token, so "trainings", "trained" and "training" meet.

    Examples
    --------
    >>> stem_tokens(["customers", "training", "priorities"])
    ['custom', 'train', 'prioriti']
    """
    return [stem(token) for token in tokens]


def drop_places(text: object) -> str:
    """Normalised text without phrases that only say where ("in the kitchen").

    Why: "Put the quarterly goals on the screens in the kitchen" is about the
    goals, but its words "kitchen" and the facilities it signals pulled it
    into a theme about the break room. A place after "in", "at", "inside",
    "outside", "around" or "near" (optionally with a determiner and up to two
    modifiers, "in the Leeds office", "at the loading bay") is removed when it
    ends in one of :data:`PLACE_NOUNS`. The kitchen is still the topic of
    "the kitchen is always packed" (no preposition). If nothing with a word
    is left, the normalised text is returned unchanged.

    Examples
    --------
    >>> drop_places("Put the goals on the screens in the kitchen.")
    'put the goals on the screens .'
    >>> drop_places("The heating in the open-plan area is broken")
    'the heating is broken'
    >>> drop_places("We need a proper break room, the kitchen is always packed")
    'we need a proper break room, the kitchen is always packed'
    """
    norm = normalise(text)
    if " " not in norm:
        return norm
    stripped = _WHITESPACE.sub(" ", _PLACE_PHRASE.sub(" ", norm)).strip()
    if stripped == norm or not _HAS_WORD.search(_PLACEHOLDER.sub(" ", stripped)):
        return norm
    return stripped


def content_tokens(text: object) -> list[str]:
    """Tokens that carry a comment's topic: what themes and routing compare.

    Normalised, tokenised, scrub placeholders removed, negated contractions
    ("don't", "can't") mapped to "not", possessive "'s" removed, hyphenated
    words split ("customer-facing" -> customer, facing), stop words, tokens
    starting with a digit and one-letter tokens dropped, then stemmed. Negations are
    kept (see :data:`NEGATIONS`).

    Examples
    --------
    >>> content_tokens("We don't get enough training on our customers' NPS!")
    ['not', 'train', 'custom', 'nps']
    """
    return [s for _, s in content_words(text)]


def content_words(text: object) -> list[tuple[str, str]]:
    """Each token of :func:`content_tokens` as ``(word as written, stem)``.

    Why: a theme label shows the commonest spelling of each stem ("salary",
    not "salari"); reading the spellings off the very tokens that were
    stemmed keeps the two in step (placeholders, contractions, possessives).

    Examples
    --------
    >>> content_words("Our salaries don't match")
    [('salaries', 'salari'), ('not', 'not'), ('match', 'match')]
    """
    norm = normalise(text)
    if "[" in norm:
        norm = _PLACEHOLDER.sub(" ", norm)
    out = []
    stop = STOP_WORDS
    cache = _STEM_CACHE
    for token in _TOKEN.findall(norm):
        if "'" in token:
            if _NEGATED_CONTRACTION.match(token):
                out.append(("not", "not"))
                continue
            if token.endswith("'s"):
                token = token[:-2]
            token = token.replace("'", "")
        elif token in _BARE_NEGATED:
            out.append(("not", "not"))
            continue
        parts = token.split("-") if "-" in token else (token,)
        for part in parts:
            if len(part) < 2 or part in stop or part[0].isdigit():
                continue
            s = cache.get(part)
            if s is None:
                s = stem(part)
            if s in stop:
                # "likely" stems to the filler "like": no topic either.
                continue
            out.append((part, s))
    return out


def surface_words(text: object) -> list[str]:
    """Topic words of a comment as written (not stemmed): what lexicons match.

    Like :func:`content_tokens` (normalised, placeholders, stop words,
    negations, numbers and one-letter tokens dropped, possessive "'s" and
    apostrophes removed) but neither stemmed nor split at hyphens, so a word
    list can be matched exactly: stemming conflates "honestly" with "honest"
    and "second" with "secondment", which is right for comparing comments but
    wrong for deciding that a word names a topic.

    Examples
    --------
    >>> surface_words("Honestly, the cross-team handovers don't work for Jane's team")
    ['honestly', 'cross-team', 'handovers', 'work', 'jane', 'team']
    """
    norm = normalise(text)
    if "[" in norm:
        norm = _PLACEHOLDER.sub(" ", norm)
    out = []
    stop = STOP_WORDS
    for token in _TOKEN.findall(norm):
        if "'" in token:
            if _NEGATED_CONTRACTION.match(token):
                continue
            if token.endswith("'s"):
                token = token[:-2]
            token = token.replace("'", "")
        if token in _BARE_NEGATED or token in NEGATIONS:
            continue
        if len(token) < 2 or token in stop or token[0].isdigit():
            continue
        out.append(token)
    return out

_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\"/&+]| - ")


def word_pairs(text: object) -> list[tuple[str, str]]:
    """Adjacent pairs of topic words, as written, that could form a phrase.

    Why: a theme label reads better as "town halls" or "break room" than as
    the split words "halls, town". Candidates are two consecutive words of
    one clause (punctuation breaks a clause) that are neither stop words,
    negations, numbers nor one letter, so "goals on the screens" gives no
    pair and "break room, kitchen" does not give "room kitchen".
    Possessive "'s" is removed; hyphenated words count as one word.

    Examples
    --------
    >>> word_pairs("Record the town halls, please; the break room is packed")
    [('town', 'halls'), ('break', 'room')]
    """
    norm = normalise(text)
    if "[" in norm:
        norm = _PLACEHOLDER.sub(" , ", norm)
    out: list[tuple[str, str]] = []
    stop = STOP_WORDS
    for clause in _CLAUSE_BREAK.split(norm):
        previous = None
        for token in _TOKEN.findall(clause):
            if token.endswith("'s"):
                token = token[:-2]
            word = token.replace("'", "")
            if (
                len(word) < 2
                or word in stop
                or word in NEGATIONS
                or word in _BARE_NEGATED
                or word[0].isdigit()
                or "'" in token and _NEGATED_CONTRACTION.match(token)
            ):
                previous = None
                continue
            if previous is not None:
                out.append((previous, word))
            previous = word
    return out


# What people type when they have nothing to say. Matched after normalise()
# and after removing everything but letters, digits and spaces.
_NO_CONTENT_CORE = (
    r"n ?a|na|nil|null|none|nothing|no|nope|nah|non|pass|skip|idk|dunno|x+|tbd|"
    r"no comments?|no comments? here|no further comments?|no other comments?|"
    r"no additional comments?|no feedback|no suggestions?|no input|no answer|"
    r"nothing to add|nothing else|nothing more|nothing further|nothing else to add|"
    r"nothing to say|nothing to report|nothing comes to mind|nothing at all|"
    r"none that i can think of|nothing i can think of|cant think of anything|"
    r"can not think of anything|cannot think of anything|no idea|"
    r"not sure|unsure|dont know|do not know|i dont know|i do not know|"
    r"not applicable|no response|no opinion|none so far|nothing so far|"
    r"no thanks|no thank you|not really|all covered|nothing from me|none from me"
)
_NO_CONTENT_TAIL = (
    r"(?: (?:at (?:this|the) (?:time|moment|point)|right now|for now|now|really|"
    r"here|thanks|thank you|thx|ty|sorry|so far|from me))*"
)
_NO_CONTENT = re.compile(rf"^(?:(?:um+|hmm+|uh+|er+|well) )?(?:{_NO_CONTENT_CORE}){_NO_CONTENT_TAIL}$")
_NOT_WORD = re.compile(r"[^\w\s]|_")
_HAS_WORD = re.compile(r"[^\W_]")
_LONGEST_FILLER = 80


def is_no_content(text: object) -> bool:
    """True when a comment says nothing to analyse ("n/a", "nothing to add", "-").

    Such answers would otherwise form a large, meaningless theme and pull the
    sentiment of the pulse towards neutral. The test is deliberately strict: a
    comment is "no content" only if it is empty, has no letter or digit at all
    (punctuation- or emoji-only), or is one of the known filler phrases as a
    whole (with optional "at this time", "thanks" and the like). "No training
    this quarter" has content.

    Examples
    --------
    >>> [is_no_content(t) for t in ["N/A", "Nothing to add.", "...", "No training"]]
    [True, True, True, False]
    """
    norm = normalise(text)
    if not norm:
        return True
    if len(norm) > _LONGEST_FILLER:
        # Too long to be a filler phrase: no content only if it has no word.
        return _HAS_WORD.search(norm) is None
    key = _NOT_WORD.sub("", norm)
    key = _WHITESPACE.sub(" ", key).strip()
    if not key or not any(ch.isalnum() for ch in key):
        return True
    return _NO_CONTENT.match(key) is not None
