"""The time an instrument takes, computed from its items, and the promises built on it."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from analysis import duration
from analysis.duration import (
    CHOICE_SECONDS,
    PREPARE_SECONDS,
    READING_WORDS_PER_MINUTE,
    WRITING_WORDS_PER_MINUTE,
    InstrumentTimeWarning,
    estimate_minutes,
    estimate_seconds,
    promised_minutes,
)
from analysis.instrument import load_instrument, parse_instrument_text

ROOT = Path(__file__).resolve().parents[1]

TINY = """
format = 1
[instrument]
id = "tiny"
version = 1
title = "Tiny pulse"
description = "Two words."
{minutes}

[[constructs]]
id = "strategy"
name = "Strategy"
owner = "ceo"

[scales.yes2]
points = 2
anchors = ["No", "Yes"]

[[items]]
id = "q1"
type = "likert"
construct = "strategy"
scale = "yes2"
text = "I know the goals."

[[items]]
id = "q2"
type = "likert"
construct = "strategy"
scale = "yes2"
text = "I know the plan."

[[items]]
id = "why"
type = "comment"
text = "Why?"
"""


def tiny(minutes=""):
    return parse_instrument_text(TINY.format(minutes=minutes), "tiny.toml")


def test_estimate_adds_reading_choices_and_writing():
    # Words read: title 2 + description 2 + q1 4 + anchors 2 (first use of
    # the scale only) + q2 4 + why 1 = 15. Answers: two choices, one comment
    # of the assumed length, and the send button.
    words = 2 + 2 + 4 + 2 + 4 + 1
    writing = PREPARE_SECONDS + duration.ANSWER_WORDS["comment"] * 60 / WRITING_WORDS_PER_MINUTE
    expected = words * 60 / READING_WORDS_PER_MINUTE + 3 * CHOICE_SECONDS + writing
    assert estimate_seconds(tiny()) == pytest.approx(expected)


def test_skipped_optional_answers_are_still_read():
    instrument = tiny()
    quick = estimate_seconds(instrument, optional_answered=False)
    assert quick == pytest.approx(estimate_seconds(instrument) - PREPARE_SECONDS
                                  - duration.ANSWER_WORDS["comment"] * 60 / WRITING_WORDS_PER_MINUTE)
    only_q1 = estimate_seconds(instrument, ["q1"])
    assert only_q1 == pytest.approx((2 + 2 + 4 + 2) * 60 / READING_WORDS_PER_MINUTE + 2 * CHOICE_SECONDS)


def test_the_sources_figures_are_the_ones_used():
    """docs/instruments.md quotes these; a change must change the docs too."""
    assert (READING_WORDS_PER_MINUTE, WRITING_WORDS_PER_MINUTE) == (238, 19)
    assert CHOICE_SECONDS == pytest.approx(1.35 + 1.1 + 0.2)
    doc = (ROOT / "docs" / "instruments.md").read_text(encoding="utf-8")
    for figure in ("238 words per minute", "19 words per minute", "1.35 s", "1.1 s", "0.2 s"):
        assert figure in doc, figure
    for kind, words in duration.ANSWER_WORDS.items():
        assert f"| `{kind}` | {words} " in doc, kind


def test_declared_minutes_below_the_estimate_warn_and_are_not_shown():
    with pytest.warns(InstrumentTimeWarning, match=r"tiny.toml: \[instrument\] 'minutes' is 0.5 but .* about 2 minutes"):
        understated = tiny("minutes = 0.5")
    assert understated.minutes == 0.5  # loaded all the same: a warning, not a refusal
    assert promised_minutes(understated) == estimate_minutes(understated) == 2


def test_declared_minutes_at_or_above_the_estimate_are_kept():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert promised_minutes(tiny("minutes = 2")) == 2
        assert promised_minutes(tiny("minutes = 10")) == 10
        assert promised_minutes(tiny()) == 2  # nothing declared: the estimate


def test_shipped_instrument_keeps_its_promise():
    """The default instrument's declared minutes are the estimate (issue 12:
    it promised three minutes for about seven)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", InstrumentTimeWarning)
        instrument = load_instrument(ROOT / "instruments" / "strategy-pulse.toml")
    assert instrument.minutes == estimate_minutes(instrument)
    assert "three minutes" not in instrument.description.lower()


def test_every_written_promise_of_time_is_the_computed_one(instrument):
    full = estimate_minutes(instrument)
    quick = estimate_minutes(instrument, optional_answered=False)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"about {full} minutes" in readme and f"about {quick} " in readme
    docs = (ROOT / "docs" / "instruments.md").read_text(encoding="utf-8")
    assert f"about {full} minutes" in docs and f"about {quick} for the required" in docs
    for text in (readme, docs, (ROOT / "instruments" / "strategy-pulse.toml").read_text(encoding="utf-8")):
        assert not re.search(r"three.minute|about (3|three) minutes", text, re.IGNORECASE)
