"""Text preparation: normalise, tokenize, stem, content tokens, no-content."""

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from analysis.text import (
    NEGATIONS,
    STOP_WORDS,
    content_tokens,
    is_no_content,
    normalise,
    stem_tokens,
    tokenize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Don\u2019t", "don't"),
        ("\u201cQuoted\u201d", '"quoted"'),
        ("a\u00a0\u00a0b", "a b"),
        ("  lots   of\n\tspace ", "lots of space"),
        ("\uff34\uff52\uff41\uff49\uff4e\uff49\uff4e\uff47", "training"),  # full-width
        ("\ufb01nance", "finance"),  # ligature fi
        ("wait\u2026", "wait..."),
        ("Stra\u00dfe", "strasse"),  # casefold, not lower
        ("zero\u200bwidth", "zerowidth"),
        ("en\u2013dash em\u2014dash", "en-dash em-dash"),
        ("Great \U0001F44D", "great \U0001F44D"),  # emoji kept
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_normalise_missing_is_empty(missing):
    assert normalise(missing) == ""
    assert tokenize(missing) == []
    assert content_tokens(missing) == []
    assert is_no_content(missing)


def test_tokenize_keeps_contractions_hyphens_and_numbers():
    assert tokenize("We DON'T get Q3 cross-team updates; NPS is 32.5 (15%)!") == [
        "we", "don't", "get", "q3", "cross-team", "updates", "nps", "is", "32.5", "15%",
    ]


def test_tokenize_drops_emoji_and_punctuation():
    assert tokenize("\U0001F621 meetings!!! \u2014 again...") == ["meetings", "again"]


def test_tokenize_curly_apostrophe_equals_straight():
    assert tokenize("can\u2019t") == tokenize("can't") == ["can't"]


def test_stem_tokens_conflates_inflections():
    stems = stem_tokens(["train", "training", "trained", "trains"])
    assert len(set(stems)) == 1
    assert stem_tokens(["customers", "customer"])[0] == stem_tokens(["customer"])[0]
    assert stem_tokens([]) == []


def test_stop_words_keep_negations():
    assert NEGATIONS.isdisjoint(STOP_WORDS)
    assert {"the", "and", "we", "our"} <= STOP_WORDS
    assert isinstance(STOP_WORDS, frozenset)


def test_content_tokens_pipeline():
    tokens = content_tokens(
        "We don't get enough TRAINING about our customers\u2019 NPS in Q3 2026 - contact [email]"
    )
    assert tokens == ["not", "train", "custom", "nps", "q3", "contact"]


def test_content_tokens_negated_contractions_become_not():
    for text in ["can't", "won't", "didnt", "Isn\u2019t", "cannot", "never"]:
        toks = content_tokens(text)
        assert toks and toks[0] in {"not", "cannot", "never"}, text


def test_content_tokens_possessive_and_hyphen():
    assert content_tokens("the manager's customer-facing plan") == content_tokens(
        "manager customer facing plan"
    )


def test_content_tokens_drops_placeholders():
    assert content_tokens("[name] and [phone] and [url]") == []


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "\n", "-", "--", "...", ".", "?", "!!!", "\u2014", "N/A", "n/a", "NA",
        "n.a.", "N / A", "none", "None.", "NONE", "no comment", "No comments.",
        "no comments at this time", "No comment, thanks!", "nothing", "Nothing.",
        "nothing to add", "Nothing to add at this time.", "Nothing else to add",
        "no", "No.", "nope", "Nah", "idk", "IDK", "not sure", "Not sure.", "I don't know",
        "dunno", "no idea", "Not applicable", "nil", "x", "xxx", "pass",
        "No further comments", "no feedback", "None at the moment", "\U0001F937",
        "Nothing comes to mind", "cant think of anything", "  n/a  ", "N\u2215A",
    ],
)
def test_is_no_content_true(text):
    assert is_no_content(text), repr(text)


@pytest.mark.parametrize(
    "text",
    [
        "No training this quarter",
        "Not sure what our goals are",
        "None of the managers explain the strategy",
        "Nothing changes after these surveys",
        "More customer updates please",
        "ok",
        "NPS",
        "Idk what the brand promise is",
        "x" * 5 + " marks the spot",
        "Nothing to add, but the roadmap is unclear",
        "A" * 100,
    ],
)
def test_is_no_content_false(text):
    assert not is_no_content(text), repr(text)


def test_is_no_content_long_punctuation_only():
    assert is_no_content("." * 200)
    assert is_no_content("- " * 100)


@example("AᎠ")  # Snowball lower-cases, Cherokee casefolds to upper: found by this test
@given(st.text(max_size=200))
def test_text_functions_never_crash_and_are_consistent(text):
    norm = normalise(text)
    assert normalise(norm) == norm  # idempotent
    toks = content_tokens(text)
    assert all(t and t == t.casefold() for t in toks)
    assert not (set(toks) & (STOP_WORDS - {"not"}))
    if not any(ch.isalnum() for ch in norm):
        assert is_no_content(text)


def test_normalise_accepts_non_strings():
    assert normalise(42) == "42"
    assert normalise(3.5) == "3.5"


def test_surface_words_keep_forms_for_exact_lexicon_matching():
    from analysis.text import surface_words

    assert surface_words("Honestly, I can't see the SECOND-line [name]'s role: no training!") == [
        "honestly",
        "second-line",
        "role",
        "training",
    ]
    assert surface_words(None) == [] and surface_words("n/a") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Put the goals on the screens in the kitchen.", "put the goals on the screens ."),
        ("The heating in the open-plan area is broken", "the heating is broken"),
        ("Please fix the wifi at the Leeds office", "please fix the wifi"),
        ("Pinned up in our canteen would help", "pinned up would help"),
        # The place is the subject, not a location: kept.
        ("The kitchen is always packed", "the kitchen is always packed"),
        ("Our office needs more desks", "our office needs more desks"),
        # Nothing left but the place: kept whole.
        ("in the office", "in the office"),
        (None, ""),
    ],
)
def test_drop_places(text, expected):
    from analysis.text import drop_places

    assert drop_places(text) == expected


def test_word_pairs_stay_inside_a_clause_and_skip_stop_words():
    from analysis.text import word_pairs

    assert word_pairs("Record the town halls, please") == [("town", "halls")]
    assert word_pairs("We need a break room, kitchen is full") == [("break", "room")]
    assert word_pairs("goals on the screens") == []
    assert word_pairs("no training, don't know") == []
    assert word_pairs("The CEO's weekly update") == [("ceo", "weekly"), ("weekly", "update")]
    assert word_pairs(None) == []
