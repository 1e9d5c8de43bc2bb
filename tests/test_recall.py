"""Recall grading (analysis.recall.score_recall) against hand-graded answers.

The cases in tests/data/recall_cases.toml were written and graded by a person
before the scorer existed (the development set) or before it was run on them
(the held-out set, a second company). Each case is a test; the accuracy tests
state the floors the scorer must keep. Cases the scorer gets wrong are listed
below as strict xfails with the reason, so they stay visible and a fix that
makes one pass is noticed.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.recall import (
    RecallScorer,
    RecallTableError,
    damerau_levenshtein,
    load_lexicon,
    score_recall,
)

CASES_FILE = Path(__file__).parent / "data" / "recall_cases.toml"
DATA = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))

#: Exact-set accuracy floors (share of cases whose matched set is exactly the
#: grader's). Development set: the tables were written with it in view.
#: Held-out set: 22/30 for the first version, 27/30 after general fixes it
#: prompted, so it is no longer fully blind; the floor leaves a little room.
DEV_FLOOR = 0.95
HOLDOUT_FLOOR = 0.85

#: Known misses: case id -> why the scorer gets it wrong.
KNOWN_MISSES = {
    "parcels_faster": "'parcels' is only related to 'delivery' (half evidence) and 'faster' "
    "maps to the generic 'time'; no distinctive word of the goal is named",
    "h_bullets_paraphrase": "'keep customers from leaving' paraphrases churn with no word "
    "the tables link to it",
    "h_factors_customer_first": "'customer' is generic and 'first' a stop word; 'customer "
    "first' ~ 'customer obsession' needs meaning, not words",
    "h_brand_generic": "'software' is one of four distinctive words of the promise, enough "
    "for a single statement although a person reads 'best software' as generic",
}


def _parts(strategy: dict) -> dict[str, list[str]]:
    return {
        "goals": strategy["goals"],
        "factors": strategy["factors"],
        "brand_promise": [strategy["brand_promise"]],
    }


DEV = [(c, _parts(DATA["strategy"])) for c in DATA["cases"]]
HOLDOUT = [(c, _parts(DATA["holdout"]["strategy"])) for c in DATA["holdout"]["cases"]]


def _param(case, parts):
    marks = []
    if case["id"] in KNOWN_MISSES:
        marks.append(pytest.mark.xfail(reason=KNOWN_MISSES[case["id"]], strict=True))
    return pytest.param(case, parts, id=case["id"], marks=marks)


def _accuracy(cases) -> tuple[int, int, list[str]]:
    wrong = [
        c["id"]
        for c, parts in cases
        if score_recall(c["answer"], parts[c["part"]]).matched != sorted(c["expected"])
    ]
    return len(cases) - len(wrong), len(cases), wrong


def test_case_file_is_well_formed():
    ids = [c["id"] for c, _ in DEV + HOLDOUT]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len([c for c, _ in DEV if c["part"] == "goals"]) >= 60
    for case, parts in DEV + HOLDOUT:
        n = len(parts[case["part"]])
        assert all(0 <= i < n for i in case["expected"]), case["id"]


@pytest.mark.parametrize(("case", "parts"), [_param(c, p) for c, p in DEV])
def test_development_case(case, parts):
    result = score_recall(case["answer"], parts[case["part"]])
    assert result.matched == sorted(case["expected"]), (case["answer"], result)


@pytest.mark.parametrize(("case", "parts"), [_param(c, p) for c, p in HOLDOUT])
def test_holdout_case(case, parts):
    result = score_recall(case["answer"], parts[case["part"]])
    assert result.matched == sorted(case["expected"]), (case["answer"], result)


def test_known_misses_are_real_case_ids():
    ids = {c["id"] for c, _ in DEV + HOLDOUT}
    assert set(KNOWN_MISSES) <= ids


def test_development_accuracy(record_property, capsys):
    right, total, wrong = _accuracy(DEV)
    record_property("recall_dev_accuracy", right / total)
    with capsys.disabled():
        print(f"\nrecall development set: {right}/{total} = {right / total:.1%} exact; wrong: {wrong}")
    assert right / total >= DEV_FLOOR


def test_holdout_accuracy(record_property, capsys):
    right, total, wrong = _accuracy(HOLDOUT)
    record_property("recall_holdout_accuracy", right / total)
    with capsys.disabled():
        print(f"\nrecall held-out set: {right}/{total} = {right / total:.1%} exact; wrong: {wrong}")
    assert right / total >= HOLDOUT_FLOOR


# --- Properties of the score -------------------------------------------------

GOALS = DATA["strategy"]["goals"]
VERBATIM = "\n".join(GOALS)


def test_verbatim_answer_gets_full_score():
    result = score_recall(VERBATIM, GOALS)
    assert result.score == 1.0
    assert result.credits == (1.0, 1.0, 1.0)


def test_order_of_items_does_not_matter():
    lines = ["48h delivery", "recurring B2B revenue", "tracking portal"]
    results = {
        (tuple(score_recall("\n".join(p), GOALS).matched), score_recall("\n".join(p), GOALS).score)
        for p in itertools.permutations(lines)
    }
    assert len(results) == 1
    assert next(iter(results))[0] == (0, 1, 2)


def test_partial_credit_grows_with_detail():
    vague = score_recall("delivery", GOALS)
    detailed = score_recall("cut average delivery time to 48 hours", GOALS)
    assert vague.matched == detailed.matched == [0]
    assert 0 < vague.credits[0] < detailed.credits[0] == 1.0
    # One goal of three recalled perfectly is a third of the score.
    assert detailed.score == pytest.approx(1 / 3)


def test_evidence_names_the_answers_words_for_matched_goals_only():
    answer = "Delivery within two days, and the self-service portal"
    result = score_recall(answer, GOALS)
    assert result.matched == [0, 2]
    assert set(result.evidence) == {0, 2}
    assert "delivery" in result.evidence[0]
    assert "portal" in result.evidence[2]
    typed = set(re.findall(r"[a-z0-9]+", answer.lower()))
    for words in result.evidence.values():
        assert all(set(w.split()) <= typed for w in words), result.evidence


def test_stuffing_with_generic_words_adds_nothing():
    honest = score_recall("recurring revenue", GOALS)
    stuffed = score_recall(
        "recurring revenue, growth, customers, quality, innovation, efficiency, "
        "excellence, digital, people, profit, value, service",
        GOALS,
    )
    assert honest.matched == [1]
    # The honest item has two words, so it survives in a keyword list, but
    # the list earns no extra goals.
    assert stuffed.matched == [1]
    assert stuffed.score <= honest.score


def test_long_answer_of_unrelated_words_is_discounted():
    focused = score_recall("the customer portal", GOALS)
    diluted = score_recall(
        "the customer portal " + " ".join(f"word{i} thing{i} other{i}" for i in range(10)), GOALS
    )
    assert focused.matched == [2]
    assert diluted.score < focused.score


def test_typo_tolerance_depends_on_word_length():
    goals = ["Open the Rotterdam hub", "Hire more nurses"]
    assert score_recall("Roterdam", goals).matched == [0]  # 8 letters, 1 edit
    assert score_recall("Rxtterdxm", goals).matched == [0]  # 9 letters, 2 edits
    assert score_recall("Rxtxerdxm", goals).matched == []  # 3 edits
    assert score_recall("nurss", goals).matched == [1]  # 5 letters, 1 edit
    assert score_recall("hbu", goals).matched == []  # short words are never corrected
    assert score_recall("Totterdam", goals).matched == []  # first letter must agree


def test_number_words_and_durations():
    goals = ["Answer every ticket within 24 hours", "Hire fifteen engineers"]
    assert score_recall("reply within a day", goals).matched == []  # "a day" has no number
    assert score_recall("tickets in one day", goals).matched == [0]
    assert score_recall("twenty-four hours", goals).matched == [0]
    assert score_recall("15 engineers", goals).matched == [1]


def test_blank_and_missing_answers_score_zero():
    for answer in ("", "   ", None, float("nan"), "n/a", "Don't know"):
        result = score_recall(answer, GOALS)
        assert result.score == 0.0 and result.matched == [] and result.evidence == {}


def test_no_statements_scores_zero():
    assert score_recall("anything", []).matched == []
    assert score_recall("anything", []).score == 0.0


def test_statements_must_be_a_sequence_of_strings():
    with pytest.raises(TypeError, match="sequence of strings"):
        RecallScorer("Cut delivery time")
    with pytest.raises(TypeError, match="statement 1"):
        RecallScorer(["Cut delivery time", 42])


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_valid_score(text):
    result = score_recall(text, GOALS)
    assert 0.0 <= result.score <= 1.0
    assert result.matched == sorted(set(result.matched))
    assert all(0 <= g < len(GOALS) for g in result.matched)
    assert set(result.evidence) == set(result.matched)


@settings(max_examples=60, deadline=None)
@given(st.permutations(GOALS))
def test_goal_order_only_relabels(goals):
    answer = "48h delivery and the tracking portal"
    base = score_recall(answer, GOALS)
    shuffled = score_recall(answer, list(goals))
    assert shuffled.score == pytest.approx(base.score)
    assert sorted(goals.index(GOALS[g]) for g in base.matched) == shuffled.matched


# --- Edit distance --------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("kitten", "sitting", 3),  # textbook Levenshtein example
        ("ca", "ac", 1),  # one transposition
        ("buisness", "business", 1),
        ("revnue", "revenue", 1),
        ("deliveris", "delivery", 2),
        ("ca", "abc", 3),  # optimal string alignment: no edits of a transposed pair
    ],
)
def test_damerau_levenshtein(a, b, expected):
    assert damerau_levenshtein(a, b) == expected
    assert damerau_levenshtein(b, a) == expected


def test_damerau_levenshtein_limit_stops_early():
    assert damerau_levenshtein("abcdefgh", "zzzzzzzz", limit=2) == 3
    assert damerau_levenshtein("a", "abcdef", limit=1) == 2
    assert damerau_levenshtein("delivry", "delivery", limit=1) == 1


# --- Tables -----------------------------------------------------------------------


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "tables.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_tables_load():
    lexicon = load_lexicon()
    assert lexicon.abbreviations["rev"] == ("revenue",)
    assert lexicon.concept("deliveries") == lexicon.concept("delivery")


def test_a_custom_table_extends_the_grader(tmp_path):
    goals = ["Open the Rotterdam hub", "Hire more nurses"]
    assert score_recall("the new Dutch warehouse", goals).matched == []
    path = _write(
        tmp_path,
        '[phrases]\n"dutch warehouse" = "rotterdam hub"\n[generic]\nwords = ["new"]\n',
    )
    scorer = RecallScorer(goals, lexicon=load_lexicon(path))
    assert scorer.score("the new Dutch warehouse").matched == [0]


def test_conflicting_synonyms_are_refused_with_file_and_words(tmp_path):
    path = _write(tmp_path, '[synonyms]\nfast = ["quick"]\nslow = ["quickly"]\n')
    with pytest.raises(RecallTableError, match=r"tables\.toml.*'quickly' under 'slow'.*'quick' under 'fast'"):
        load_lexicon(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[synonyms\n", "not valid TOML"),
        ('[synonyms]\nfast = "quick"\n', r"\[synonyms\] 'fast' must be a list of strings"),
        ('[abbreviations]\n"two words" = "x"\n', r"\[abbreviations\] 'two words' must be a single word"),
        ('[colours]\nred = "x"\n', r"unknown section\(s\) colours"),
        ('[related]\ndelivery = ["two words"]\n', r"\[related\] 'two words' must be a single word"),
    ],
)
def test_bad_tables_are_reported(tmp_path, text, message):
    with pytest.raises(RecallTableError, match=message):
        load_lexicon(_write(tmp_path, text))


def test_missing_table_file_is_reported(tmp_path):
    with pytest.raises(RecallTableError, match="cannot read"):
        load_lexicon(tmp_path / "nope.toml")


def test_evidence_shows_what_was_typed():
    result = score_recall("48h delivery, B2B +15%", GOALS)
    assert result.evidence == {0: ["48h", "delivery"], 1: ["15%", "b2b"]}


def test_full_stop_after_an_abbreviation_keeps_the_item_whole():
    factors = ["Customer obsession", "Operational reliability", "Speak up early"]
    result = score_recall("cust. obsession, op. reliability", factors)
    assert result.matched == [0, 1]
    assert "operational" in " ".join(result.evidence[1]) or "op" in result.evidence[1]
    # A full stop after an ordinary word still ends an item.
    assert score_recall("Speak up early. Customer obsession.", factors).matched == [0, 2]


def test_a_person_on_the_phone_is_the_human_on_the_line():
    promise = ["Delivered on time, every time, with a human on the line"]
    assert score_recall("On time, every time - with real people on the phone", promise).score == 1.0
    assert score_recall("a real person answers the phone", promise).matched == [0]
    assert score_recall("every time", promise).matched == []


def test_goals_must_be_a_list_of_statements_not_one_string():
    with pytest.raises(TypeError, match="not one string"):
        score_recall("cut delivery time", "Cut delivery time")  # would grade against its letters
    with pytest.raises(TypeError, match="statement 1 must be a string"):
        score_recall("cut delivery time", ["Cut delivery time", None])


def test_editing_a_result_does_not_change_the_next_grade():
    first = score_recall("48h delivery", GOALS)
    first.matched.append(2)
    first.evidence[0].append("nonsense")
    again = score_recall("48h delivery", GOALS)
    assert again.matched == [0]
    assert "nonsense" not in again.evidence[0]


# --- Credit values, pinned ------------------------------------------------------
#
# The graded cases check only the matched set, so they cannot see the credit
# weights. These values are worked out by hand from the rules in
# docs/recall.md with GENERIC_WEIGHT = 0.25 and DOMINANCE_RATIO = 0.5; the
# goals' weights (a concept in one goal only, so no sharing):
#   goal 0 "Cut average delivery time to 48 hours": cut, average, time generic
#     0.25 each; delivery 1; hours 1; 48 a number 0.5  -> total 3.25
#   goal 1 "Grow recurring revenue from business customers by 15%": grow,
#     revenue, percent generic 0.25 each; recurring 1; "business customers" is
#     the phrase b2b, 1; 15 a number 0.5  -> total 3.25
#   goal 2 "Launch self-service tracking in the customer portal": launch,
#     customer generic 0.25 each; self-service, tracking, portal 1 each -> 3.5
# Credit = present weight / (FULL_CREDIT_SHARE 0.6 x total), at most 1.

@pytest.mark.parametrize(
    ("answer", "credits", "why"),
    [
        # 1 / (0.6 x 3.25) = 0.5128; a generic weight of 0 or 1 changes the total.
        ("delivery", (1 / 1.95, 0.0, 0.0), "one distinctive word of goal 0"),
        # (1 + 0.25) / 1.95 = 0.6410: the generic "revenue" earns its quarter.
        ("recurring revenue", (0.0, 1.25 / 1.95, 0.0), "a distinctive and a generic word"),
        # Line 2 is mostly goal 0 (mass 1), but "15" gives goal 1 mass 0.5, which
        # is DOMINANCE_RATIO x 1: credited, so goal 1 has 1 + 0.25 + 0.5 + 0.25
        # = 2.0 >= 1.95 -> full credit; line 2 gives goal 0 1 / 1.95.
        ("recurring revenue\ndelivery by 15%", (1 / 1.95, 1.0, 0.0), "a second goal at the ratio"),
        # One line: goal 0 mass 1 + 0.5 + 1 = 2.5, goal 2 ("portal") 1 < 0.5 x 2.5,
        # so goal 2 gets nothing from this line.
        ("delivery time to 48 hours via the customer portal", (1.0, 0.0, 0.0), "a second goal below the ratio"),
    ],
)
def test_credit_values(answer, credits, why):
    """The credit each goal earns, not only which goals match (see above)."""
    assert score_recall(answer, GOALS).credits == pytest.approx(credits, abs=1e-9), why
