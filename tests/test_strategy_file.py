"""The strategy file format (docs/strategy.md): the example loads, and every
field's mistake is refused with the file, the line, the field and what was
expected, all problems at once."""

from __future__ import annotations

import re

import pytest

from analysis.instrument import load_instrument
from analysis.strategy import (
    FACTOR_COUNT,
    StrategyFileError,
    load_strategy,
    parse_strategy_text,
)
from tests.conftest import DEFAULT_INSTRUMENT, ROOT, SAMPLE_STRATEGY

EXAMPLE = ROOT / "instruments" / "strategy-example.toml"

GOOD = """\
format = 1
goals = ["Ship the portal", "Grow by 15%"]
factors = ["Care", "Speed", "Candour"]
brand_promise = "On time, every time"
previous_goals = ["Open Leeds"]

[customer_figures.nps]
label = "Net Promoter Score"
value = 32
min = -100
max = 100
"""


def problems(text, source="q1.toml"):
    with pytest.raises(StrategyFileError) as info:
        parse_strategy_text(text, source=source)
    return info.value


def test_the_example_covers_every_figure_the_default_instrument_asks_for():
    """The shipped example must be usable as-is with the shipped instrument."""
    strategy = load_strategy(EXAMPLE)
    instrument = load_instrument(DEFAULT_INSTRUMENT)
    asked = {i.figure for i in instrument.knowledge_items() if i.type == "estimate"}
    assert asked and asked <= set(strategy.customer_figures)
    assert len(strategy.factors) == FACTOR_COUNT
    assert strategy.goals and strategy.brand_promise and strategy.previous_goals


def test_the_example_matches_the_sample_statement_the_tests_grade_against():
    """docs/strategy.md promises the example matches the default figures."""
    strategy = load_strategy(EXAMPLE)
    assert list(strategy.goals) == SAMPLE_STRATEGY["goals"]
    assert list(strategy.factors) == SAMPLE_STRATEGY["factors"]
    nps = strategy.customer_figures["nps"]
    assert (nps.value, nps.min, nps.max) == (32, -100, 100)
    assert strategy.customer_figures["csat"].unit == "%"


def test_a_good_file_reads_back_every_part():
    strategy = parse_strategy_text(GOOD)
    assert strategy.goals == ("Ship the portal", "Grow by 15%")
    assert strategy.previous_goals == ("Open Leeds",)
    assert strategy.customer_figures["nps"].label == "Net Promoter Score"


def test_a_figure_without_label_is_named_by_its_key():
    text = GOOD + "\n[customer_figures.csat]\nvalue = 80\n"
    assert parse_strategy_text(text).customer_figures["csat"].label == "CSAT"


@pytest.mark.parametrize(
    "old, new, line, field, expected",
    [
        ("format = 1", "format = 2", 1, "format", "expected 1"),
        ('goals = ["Ship the portal", "Grow by 15%"]', "goals = []", 2, "goals",
         "expected at least one statement"),
        ('goals = ["Ship the portal", "Grow by 15%"]', 'goals = ["Ship", "  "]', 2, "goals #2",
         "is empty"),
        ('goals = ["Ship the portal", "Grow by 15%"]', 'goals = "Ship"', 2, "goals",
         "expected a list of strings"),
        ('goals = ["Ship the portal", "Grow by 15%"]', "goals = [" + '"g", ' * 11 + "]", 2,
         "goals", "expected at most 10"),
        ('goals = ["Ship the portal", "Grow by 15%"]', f'goals = ["{"x" * 301}"]', 2,
         "goals #1", "expected at most 300"),
        ('factors = ["Care", "Speed", "Candour"]', 'factors = ["Care", "Speed"]', 3, "factors",
         "expected exactly 3"),
        ('factors = ["Care", "Speed", "Candour"]', 'factors = ["Care", "Speed", 3]', 3,
         "factors #3", "expected a string"),
        ('brand_promise = "On time, every time"', 'brand_promise = ""', 4, "brand_promise",
         "expected a non-empty string"),
        ('previous_goals = ["Open Leeds"]', 'previous_goals = [""]', 5, "previous_goals #1",
         "is empty"),
        ("value = 32", 'value = "32"', 9, "customer_figures.nps.value", "expected a number"),
        ("value = 32", "value = 140", 9, "customer_figures.nps.value",
         "outside the scale [-100, 100]"),
        ("value = 32", "", 7, "customer_figures.nps.value", "missing"),
        ("min = -100", "min = 100", 11, "customer_figures.nps.max", "expected min < max"),
        ("max = 100", "", 7, "customer_figures.nps.max", "both min and max"),
        ("min = -100", "min = true", 10, "customer_figures.nps.min", "expected a number"),
        ('label = "Net Promoter Score"', "label = 5", 8, "customer_figures.nps.label",
         "expected a string"),
        ('label = "Net Promoter Score"', 'lable = "NPS"', 7, "customer_figures.nps",
         "unknown key(s) lable"),
        ("[customer_figures.nps]", "[customer_figures.NPS]", 7, "customer_figures.NPS",
         "bad figure key"),
        # A quoted key may hold dots: found whole, never split on them.
        ("[customer_figures.nps]", '[customer_figures."n.ps"]', 7, "customer_figures.n.ps",
         "bad figure key"),
        ("[customer_figures.nps]", '[customer_figures."nps.value"]', 7,
         "customer_figures.nps.value", "bad figure key"),
        ("format = 1", "format = 1\ngoal = ['x']", 2, "goal", "unknown key"),
    ],
)
def test_each_field_mistake_names_line_field_and_expectation(old, new, line, field, expected):
    assert old in GOOD
    error = problems(GOOD.replace(old, new, 1))
    [problem] = [p for p in error.problems if p.field + (f" #{p.position}" if p.position else "")
                 == field]
    assert problem.line == line, error
    assert expected in problem.problem
    assert f"q1.toml, line {line}: {field}: " in str(error)


def test_every_problem_is_reported_at_once():
    """An author should fix a file in one pass, not one error per run."""
    text = GOOD.replace('"Candour"', "").replace("value = 32", "value = 500")
    text = text.replace('brand_promise = "On time, every time"', "")
    fields = {p.field for p in problems(text).problems}
    assert {"factors", "brand_promise", "customer_figures.nps.value"} <= fields


def test_a_syntax_error_names_the_line_tomllib_gives():
    error = problems('format = 1\ngoals = ["a",\nfactors = 3\n')
    [problem] = error.problems
    assert problem.field == "the file" and "not valid TOML" in problem.problem
    assert problem.line == 3
    assert str(error).startswith("q1.toml, line 3: the file: not valid TOML")


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(StrategyFileError, match=re.escape(str(missing)) + ".*cannot read"):
        load_strategy(missing)


def test_a_file_that_is_not_utf8_is_refused_with_its_name(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("Care", "Caf\xe9").encode("latin-1"))
    with pytest.raises(StrategyFileError, match="latin1.toml.*not UTF-8"):
        load_strategy(path)


def test_the_example_strategy_creates_a_pulse_of_the_default_instrument(store, instrument):
    from survey_app import storage

    pulse = storage.create_pulse(store, slug="ex", title="Example", period="2027-Q1",
                                 instrument=instrument, strategy=load_strategy(EXAMPLE))
    assert pulse.strategy == load_strategy(EXAMPLE)
