"""Remove personal details from free-text comments before anything else reads them.

Pulse comments are anonymous, but people write "ask jane.doe@acme.com",
"call me on 07700 900123" or "Mark never replies". Themes, labels and the
representative comments shown to leaders must not carry those details, so the
comments pipeline scrubs every comment first and only the scrubbed text goes
on.

What is replaced, in this order (each by a bracketed placeholder that
:func:`analysis.text.content_tokens` ignores):

=========  ==========  ===================================================
kind       placeholder  what
=========  ==========  ===================================================
url        ``[url]``     every URL: ``http(s)://``, ``ftp://``, ``www.``, and
                         bare ``domain.tld/path`` (paths and query strings
                         often carry personal ids)
email      ``[email]``   ``local@domain.tld``
handle     ``[handle]``  ``@name`` (Slack, Teams, Twitter mentions)
phone      ``[phone]``   international and national formats, see
                         :func:`_is_phone`
name       ``[name]``    people in the roster: full name, first or last name,
                         any case, with possessive ("Jane's" -> "[name]'s")
=========  ==========  ===================================================

The rules and their known gaps are in ``docs/text.md``. Build one
:class:`Scrubber` per pulse (it indexes the roster once) and apply it to every
comment; :func:`scrub` is a convenience for one-off calls.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .text import is_missing

__all__ = ["KINDS", "PLACEHOLDERS", "ScrubResult", "Scrubber", "scrub"]

#: Kinds of personal detail, in the order they are replaced.
KINDS: tuple[str, ...] = ("url", "email", "handle", "phone", "name")
#: Placeholder written for each kind.
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind}]" for kind in KINDS}


@dataclass(frozen=True)
class ScrubResult:
    """A scrubbed comment and how many details of each kind were replaced.

    ``counts`` always has every key of :data:`KINDS` (zeros included), so
    results add up across comments without special cases.
    """

    text: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- URLs, e-mail addresses, handles ---------------------------------------

_TLD = r"[a-z]{2,24}"
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'`]+"  # scheme or www.
    rf"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+{_TLD}/[^\s<>\"'`]*",  # domain.tld/path
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}'\""
_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+{_TLD}\b",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z_][\w.-]*\w|(?<![\w@.])@[A-Za-z_]")

# --- phone numbers ---------------------------------------------------------

# A run of digits with the separators phone numbers use. Candidates are
# validated by _is_phone, which is where years, percentages, scores, money,
# dates and ranges are told apart from phone numbers.
_PHONE_RUN = re.compile(r"(?<![\w.,+/$£€-])(?:\+[ \t]?|\()?\d(?:[\d() \t.\-\u00a0]*\d)?\)?")
_SEPARATOR = re.compile(r"[() \t.\-\u00a0]+")


def _is_phone(candidate: str, following: str) -> bool:
    """Whether a run of digits and separators is a phone number.

    Accepted (7 to 15 digits, the E.164 maximum):

    * international: starts with "+" or "00" ("+44 20 7946 0958", "+1-202-555-0143",
      "0049 30 1234567");
    * area code in brackets: "(555) 123-4567", "(020) 7946 0958";
    * national trunk prefix "0" with 10 or 11 digits: "07700 900123", "020 7946 0958";
    * North American grouping 3-3-4 ("555.123.4567", "555 123 4567") or local 3-4 with a
      hyphen ("555-1234");
    * an unbroken run of 10 to 15 digits.

    Everything else is left alone: years (2026), ranges (2024-2026), NPS and
    other scores (32, -45), dates (2026-03-15, 15.03.2026), times, decimals,
    and any number followed by "%" or a letter.
    """
    if following[:1] == "%":
        return False
    digits = sum(ch.isdigit() for ch in candidate)
    if not 7 <= digits <= 15:
        return False
    stripped = candidate.strip()
    if stripped.startswith(("+", "(")) or stripped.startswith("00"):
        return True
    groups = [g for g in _SEPARATOR.split(stripped) if g]
    if stripped.startswith("0") and 10 <= digits <= 11:
        return True
    lengths = [len(g) for g in groups]
    if lengths == [3, 3, 4]:
        seps = set(_SEPARATOR.findall(stripped))
        return len(seps) == 1  # one separator style: "555.123.4567", not "555 123.4567"
    if lengths == [3, 4] and "-" in stripped and " " not in stripped:
        return True
    return len(groups) == 1 and 10 <= digits <= 15


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Spans of phone numbers; a run that fails is retried without its last group.

    "Call 07700 900123 2 times" has the run "07700 900123 2" (12 digits),
    which fails; dropping trailing groups finds "07700 900123".
    """
    spans = []
    for match in _PHONE_RUN.finditer(text):
        start, end = match.span()
        if text[end - 1] == ")" and text.count("(", start, end) < text.count(")", start, end):
            end -= 1  # "(tel +44 20 7946 0958)": the bracket closes the sentence's
        while end > start:
            candidate = text[start:end]
            if _is_phone(candidate, text[end : end + 1]):
                spans.append((start, end))
                break
            # drop the last group of digits and the separator before it
            cut = max(candidate.rfind(sep) for sep in " \t.-()\u00a0")
            if cut <= 0:
                break
            end = start + cut
            while end > start and not text[end - 1].isdigit() and text[end - 1] != ")":
                end -= 1
    return spans


# --- names -----------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")

#: Name parts that are also everyday words: matched only when written with a
#: capital letter, so "we will" and "mark the date" survive while "Will said"
#: does not. Full names ("Will Smith") match in any case.
COMMON_WORD_NAMES: frozenset[str] = frozenset(
    """
    will may mark bill grace hope joy rose june april august amber faith chance sky summer
    dawn rich young king cook baker brown green white black gray grey long short little hill
    wood stone field page price lane ward hall park bell fox wolf hunt rice bush frank sunny
    ray drew jack pat sue bob nick guy art major miles marsh cash case best moody strong sharp
    swift cole penny ivy holly iris lily crystal ruby pearl ginger daisy violet river autumn
    destiny harmony hunter sterling sage rain storm snow day night week love happy early
    north south east west new power rock gold silver ford bishop pope mason carter turner
    walker fisher taylor miller potter porter banks rivers waters lake moore more wise hardy
    noble shepherd marshall chase dean bond stewart glass gill bird crow swan nash don
    """.split()
)


_FOLD_CACHE: dict[str, str] = {}


def _fold(word: str) -> str:
    """Casefold and strip accents, so "José" in the roster matches "jose"."""
    folded = _FOLD_CACHE.get(word)
    if folded is not None:
        return folded
    folded = word.replace("\u2019", "'").casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if len(_FOLD_CACHE) < 200_000:
        _FOLD_CACHE[word] = folded
    return folded


class Scrubber:
    """Replaces URLs, e-mail addresses, handles, phone numbers and roster names.

    Parameters
    ----------
    roster_names : iterable of str, default ()
        Full names of the people in the organisation ("Jane Doe"). Each full
        name, and each of its parts of two or more letters, is scrubbed in
        any case and with or without accents; parts that are everyday words
        (:data:`COMMON_WORD_NAMES`, e.g. "Will", "Mark", "Grace") only when
        capitalised.

    Examples
    --------
    >>> s = Scrubber(["Jane Doe", "Mark Lee"])
    >>> r = s.scrub("Ask jane (jane.doe@acme.com, +44 20 7946 0958); Mark's market plan")
    >>> r.text
    "Ask [name] ([email], [phone]); [name]'s market plan"
    >>> r.counts["name"], r.counts["email"], r.counts["phone"]
    (2, 1, 1)
    """

    def __init__(self, roster_names: Iterable[str] = ()):
        if isinstance(roster_names, str):
            raise TypeError(
                "roster_names must be a list of names, not one string "
                f"(got {roster_names[:40]!r}); wrap it in a list"
            )
        full: set[tuple[str, ...]] = set()
        parts: set[str] = set()
        capital_only: set[str] = set()
        for index, name in enumerate(roster_names):
            if is_missing(name):
                continue
            if not isinstance(name, str):
                raise TypeError(f"roster_names[{index}]: expected a name string, got {name!r}")
            words = tuple(_fold(w) for w in _WORD.findall(name))
            if not words:
                continue
            # "O'Neill" is also typed "ONeill", "Ana-Maria" also "AnaMaria".
            joined = tuple(w.replace("'", "").replace("-", "") for w in words)
            if len(words) > 1:
                full.add(words)
                full.add(joined)
            for word, bare in zip(words, joined):
                pieces = [word, *word.split("-")] if "-" in word else [word]
                if bare != word:
                    pieces.append(bare)
                for piece in pieces:
                    if len(piece) < 2:
                        continue
                    if piece in COMMON_WORD_NAMES:
                        capital_only.add(piece)
                    else:
                        parts.add(piece)
        self._full = frozenset(full)
        self._parts = frozenset(parts)
        self._capital_only = frozenset(capital_only - parts)
        self._first_words = frozenset(f[0] for f in full)
        self._max_words = max((len(f) for f in full), default=1)
        self.n_names = len(full) + len(parts | capital_only)

    # -- names -------------------------------------------------------------

    def _name_spans(self, text: str) -> list[tuple[int, int]]:
        parts, capital_only, firsts = self._parts, self._capital_only, self._first_words
        if not (parts or capital_only or firsts):
            return []
        fold = _fold
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        spans = []
        i = 0
        n = len(words)
        while i < n:
            start, end, word = words[i]
            folded = fold(word)
            possessive = folded.endswith("'s")
            base = folded[:-2] if possessive else folded
            # Longest full name first: adjacent words separated only by spaces.
            if n - i > 1 and (folded in firsts or base in firsts):
                size = self._full_name_at(text, words, i)
                if size:
                    last_end = words[i + size - 1][1]
                    if fold(words[i + size - 1][2]).endswith("'s") and (
                        tuple(fold(w[2]) for w in words[i : i + size]) not in self._full
                    ):
                        last_end -= 2
                    spans.append((start, last_end))
                    i += size
                    continue
            if folded in parts or (folded in capital_only and word[:1].isupper()):
                spans.append((start, end))
            elif possessive and (base in parts or (base in capital_only and word[:1].isupper())):
                spans.append((start, end - 2))
            i += 1
        return spans

    def _full_name_at(self, text, words, i) -> int:
        """Number of words of the longest roster full name starting at word i (0 if none)."""
        fold = _fold
        for size in range(min(self._max_words, len(words) - i), 1, -1):
            chunk = words[i : i + size]
            if any(text[a[1] : b[0]].strip() for a, b in zip(chunk, chunk[1:])):
                continue
            key = [fold(w[2]) for w in chunk]
            if tuple(key) in self._full:
                return size
            if key[-1].endswith("'s"):
                key[-1] = key[-1][:-2]
                if tuple(key) in self._full:
                    return size
        return 0

    # -- public --------------------------------------------------------------

    def scrub(self, text: object) -> ScrubResult:
        """Scrub one comment. Missing values (None, NaN) give ``""``."""
        counts = dict.fromkeys(KINDS, 0)
        if is_missing(text):
            return ScrubResult("", counts)
        if not isinstance(text, str):
            text = str(text)
        if not text:
            return ScrubResult(text, counts)

        def url(match: re.Match) -> str:
            value = match.group()
            trimmed = value.rstrip(_URL_TRAILING)
            counts["url"] += 1
            return "[url]" + value[len(trimmed) :]

        if "/" in text or "www" in text.lower():
            text = _URL.sub(url, text)
        if "@" in text:
            text, n = _EMAIL.subn("[email]", text)
            counts["email"] = n
            text, n = _HANDLE.subn("[handle]", text)
            counts["handle"] = n
        if any(ch.isdigit() for ch in text):
            text, counts["phone"] = _replace(text, _phone_spans(text), "[phone]")
        text, counts["name"] = _replace(text, self._name_spans(text), "[name]")
        return ScrubResult(text, counts)

    def scrub_many(self, texts: Iterable[object]) -> tuple[list[str], dict[str, int]]:
        """Scrub many comments; return the texts and the summed counts per kind.

        Each distinct text is scrubbed once (a pulse repeats "More training
        please" many times, and matching names is the costly part); its
        counts still add up once per occurrence.
        """
        out = []
        totals = dict.fromkeys(KINDS, 0)
        seen: dict[str, ScrubResult] = {}
        for text in texts:
            result = seen.get(text) if isinstance(text, str) else None
            if result is None:
                result = self.scrub(text)
                if isinstance(text, str):
                    seen[text] = result
            out.append(result.text)
            for kind, n in result.counts.items():
                totals[kind] += n
        return out, totals


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str) -> tuple[str, int]:
    if not spans:
        return text, 0
    pieces = []
    last = 0
    for start, end in spans:
        pieces.append(text[last:start])
        pieces.append(placeholder)
        last = end
    pieces.append(text[last:])
    return "".join(pieces), len(spans)


@lru_cache(maxsize=8)
def _cached_scrubber(roster: tuple[str, ...]) -> Scrubber:
    return Scrubber(roster)


def scrub(text: object, roster_names: Iterable[str] = ()) -> ScrubResult:
    """Scrub one comment (see :class:`Scrubber`; reuse a Scrubber for many).

    Examples
    --------
    >>> scrub("Mail me at a.b@example.org or see https://intranet/x?id=7").text
    'Mail me at [email] or see [url]'
    """
    if isinstance(roster_names, str):
        raise TypeError("roster_names must be a list of names, not one string; wrap it in a list")
    return _cached_scrubber(tuple(roster_names)).scrub(text)
