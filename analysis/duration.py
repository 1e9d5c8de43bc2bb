"""How long an instrument takes to answer, computed from its items.

A pulse promises respondents a time ("about 3 minutes") before they start.
A promise nobody checks drifts as questions are added, so the time is
estimated here from what each item asks a person to do: read its words, make
a choice, or type an answer. The figures and their sources are in
``docs/instruments.md`` ("How long it takes"); in short:

- reading: 238 words per minute, the average silent reading rate of adults
  for English non-fiction (Brysbaert 2019, a meta-analysis of 190 studies);
- a choice: 2.65 s, the keystroke-level model's mental preparation (1.35 s),
  pointing (1.1 s) and a button press and release (0.2 s) (Card, Moran and
  Newell 1980);
- writing: 19 words per minute, the composition rate of average computer
  users (Karat et al. 1999), after the same preparation and pointing as a
  choice, for an assumed answer length per item type.

The estimate is for a respondent who answers every question, optional ones
included (the promise should hold for the person who takes the survey
seriously); :func:`estimate_seconds` can also leave the optional answers out
(their questions are still read).

This module is pure Python on the instrument model, so the loader, the survey
app and the analysts all get the same figure.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

from analysis.instrument import Instrument, Item

#: Silent reading rate of adults, English non-fiction (Brysbaert 2019).
READING_WORDS_PER_MINUTE = 238
#: Keystroke-level model operators (Card, Moran and Newell 1980), seconds.
MENTAL_SECONDS = 1.35
POINT_SECONDS = 1.1
PRESS_SECONDS = 0.2
#: Deciding on an answer and pointing at it, before any click or typing.
PREPARE_SECONDS = MENTAL_SECONDS + POINT_SECONDS
#: Choosing one of the answers shown: prepare, point, press.
CHOICE_SECONDS = PREPARE_SECONDS + PRESS_SECONDS
#: Composition rate while typing what one thinks (Karat et al. 1999).
WRITING_WORDS_PER_MINUTE = 19
#: Assumed answer lengths in words: a recall answer names a few short
#: things ("48-hour delivery, B2B growth, the portal"); a comment is two
#: short sentences; a number is one word. Assumptions, not measurements:
#: see docs/instruments.md.
ANSWER_WORDS = {"recall": 12, "comment": 25, "estimate": 1}
#: Words read on a 0-10 scale: eleven numbers and two end labels
#: ("Not at all likely", "Extremely likely").
ENPS_SCALE_WORDS = 11 + 5
#: Words of a segment question that lists no options (the app offers the
#: values of the pulse's roster, unknown here): a handful of one-word names.
ROSTER_OPTION_WORDS = 6


class InstrumentTimeWarning(UserWarning):
    """An instrument promises fewer minutes than its questions take."""


def _words(text: str) -> int:
    return len(text.split())


def _reading_words(item: Item, scales_seen: set[str]) -> int:
    """Words a respondent reads for ``item``: question, hint, and the answers.

    A Likert scale's anchors are read the first time the scale appears; on
    the next items using it the answers are recognised, not read again.
    """
    words = _words(item.text) + _words(item.help)
    if item.type == "likert" and item.scale.id not in scales_seen:
        scales_seen.add(item.scale.id)
        words += sum(_words(a) for a in item.scale.anchors)
        if item.scale.allow_na:
            words += _words(item.scale.na_label)
    elif item.type == "enps":
        words += ENPS_SCALE_WORDS
    elif item.type == "segment":
        words += sum(_words(o.label) for o in item.options) if item.options else ROSTER_OPTION_WORDS
    return words


def _answer_seconds(item: Item) -> float:
    """Time to give the answer once the question is read."""
    if item.type in ANSWER_WORDS:
        return PREPARE_SECONDS + ANSWER_WORDS[item.type] * 60 / WRITING_WORDS_PER_MINUTE
    return CHOICE_SECONDS


def estimate_seconds(
    instrument: Instrument,
    item_ids: Iterable[str] | None = None,
    *,
    optional_answered: bool = True,
) -> float:
    """Seconds a respondent needs for ``instrument`` (or some of its items).

    Parameters
    ----------
    instrument : Instrument
        The questions.
    item_ids : iterable of str, optional
        The items actually asked (an invitation skips the segment questions
        its roster answers). Default: every item, the longest form.
    optional_answered : bool
        ``True`` (default) counts an answer to every question; ``False``
        counts only the required answers (optional questions are still read).

    Returns
    -------
    float
        Reading the title and description, every question, answering, and
        pressing the send button.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> pulse = load_instrument("instruments/strategy-pulse.toml")
    >>> estimate_seconds(pulse) > estimate_seconds(pulse, optional_answered=False)
    True
    """
    asked = None if item_ids is None else set(item_ids)
    scales_seen: set[str] = set()
    words = _words(instrument.title) + _words(instrument.description)
    seconds = CHOICE_SECONDS  # the send button
    for item in instrument.items:
        if asked is not None and item.id not in asked:
            continue
        words += _reading_words(item, scales_seen)
        if item.required or optional_answered:
            seconds += _answer_seconds(item)
    return seconds + words * 60 / READING_WORDS_PER_MINUTE


def estimate_minutes(
    instrument: Instrument,
    item_ids: Iterable[str] | None = None,
    *,
    optional_answered: bool = True,
) -> int:
    """:func:`estimate_seconds` to the nearest whole minute (at least 1).

    The nearest minute, halves rounded up, because respondents read it as
    "about N minutes": 7 min 2 s is about 7, 6 min 30 s is about 7 too.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> estimate_minutes(load_instrument("instruments/strategy-pulse.toml"))
    7
    """
    seconds = estimate_seconds(instrument, item_ids, optional_answered=optional_answered)
    return max(1, math.floor(seconds / 60 + 0.5))


def promised_minutes(instrument: Instrument, item_ids: Iterable[str] | None = None) -> int:
    """The time to tell a respondent: the declared minutes, never below the estimate.

    An author may promise more than the estimate (a team that reads slowly,
    a second language); a declared figure below the estimate is not shown.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> promised_minutes(load_instrument("instruments/strategy-pulse.toml"))
    7
    """
    estimate = estimate_minutes(instrument, item_ids)
    declared = math.ceil(instrument.minutes) if instrument.minutes else 0
    return max(declared, estimate)


def check_declared_minutes(instrument: Instrument) -> Instrument:
    """Warn when ``[instrument] minutes`` is below the estimate; return the instrument.

    A warning, not a refusal: this runs on every load, including the copies
    of instruments stored with past pulses and travelling in exports, and
    refusing would make an existing database's pulses or an old export
    unreadable the day the estimate's figures change. The respondent is not
    misled either way, since pages show :func:`promised_minutes`.

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> pulse = load_instrument("instruments/strategy-pulse.toml")
    >>> check_declared_minutes(pulse) is pulse
    True
    """
    if instrument.minutes is None:
        return instrument
    estimate = estimate_minutes(instrument)
    if instrument.minutes < estimate:
        warnings.warn(
            f"{instrument.source}: [instrument] 'minutes' is {instrument.minutes:g} but its "
            f"{len(instrument.items)} items take about {estimate} minutes to answer "
            "(see 'How long it takes' in docs/instruments.md); respondents are shown "
            f"{estimate}. Raise 'minutes' or shorten the instrument.",
            InstrumentTimeWarning,
            stacklevel=3,
        )
    return instrument
