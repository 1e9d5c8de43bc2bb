"""From a typed answer to items of words: the grader's tokeniser.

An answer is folded (case, accents, dashes), split into the items people
listed (lines, bullets, commas, "and"), and each item into words, with
abbreviations and phrases expanded through the :class:`~.lexicon.Lexicon`,
number words written as digits and durations put in hours. Every step keeps
what was typed beside the word it became, so the evidence shown to a reader
is the respondent's own text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .lexicon import Lexicon

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


def _items(text: str, abbreviations: frozenset[str]) -> list[str]:
    """Split an answer into the listed items (lines, bullets, clauses).

    A full stop after an abbreviation (``abbreviations``, the lexicon's
    table keys, and ``e.g.``, ``op.``, ...) is not a separator.
    """
    text = _fold(text)
    text = _MARKER.sub("\n", text)
    if "." in text:
        text = _DOTTED_WORD.sub(
            lambda m: m.group(1) + " " if m.group(1) in _DOTTED or m.group(1) in abbreviations else m.group(0),
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

