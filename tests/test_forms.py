"""The survey form builder: which questions, which choices, what is accepted."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectField

from analysis.instrument import parse_instrument_text
from survey_app.survey.forms import (
    NOT_APPLICABLE,
    answers_from_form,
    build_survey_form,
    segments_from_form,
)

SMALL_INSTRUMENT = """
format = 1
[instrument]
id = "small"
version = 1
title = "Small"
description = "A test instrument."

[[constructs]]
id = "strategy"
name = "Strategy"
owner = "ceo"

[scales.yes3]
points = 3
anchors = ["No", "Partly", "Yes"]

[[items]]
id = "seg_department"
type = "segment"
segment = "department"
text = "Which department are you in?"

[[items]]
id = "q1"
type = "likert"
construct = "strategy"
scale = "yes3"
text = "I know the goals."

[[items]]
id = "guess"
type = "estimate"
construct = "strategy"
figure = "nps"
text = "Guess the figure."

[[items]]
id = "why"
type = "comment"
required = true
max_length = 20
text = "Why?"
"""


@pytest.fixture
def small():
    return parse_instrument_text(SMALL_INSTRUMENT, "small.toml")


def submit(app, form_class, data):
    """Bind ``form_class`` to a POST of ``data`` and validate it."""
    with app.test_request_context(method="POST", data=MultiDict(data)):
        form = form_class()
        valid = form.validate()
        return form, valid


def test_fields_follow_the_instrument_in_order(app, instrument):
    form_class = build_survey_form(instrument, ask_segments=())
    expected = [i.id for i in instrument.items if i.type != "segment"]
    assert list(form_class.survey_items) == expected
    assert [form_class.question_numbers[name] for name in expected] == list(range(1, len(expected) + 1))
    headings = [heading for heading, _ in form_class.survey_sections]
    # Headings respondents understand, not the analysts' construct jargon
    # (issue 12: "Customer-experience awareness" was a section heading).
    assert headings == ["This quarter's strategy", "Our customers", "Training and updates", "Your views"]


def test_likert_choices_are_the_anchors_plus_dont_know(app, instrument):
    form_class = build_survey_form(instrument, ask_segments=())
    with app.test_request_context():
        field = form_class()["st_understand"]
        labels = [option.label.text for option in field]
        values = [option.data for option in field]
    assert labels == list(instrument.item("st_understand").scale.anchors) + ["Don't know"]
    assert values == ["1", "2", "3", "4", "5", NOT_APPLICABLE]


def test_enps_is_zero_to_ten_with_end_labels(app, instrument):
    form_class = build_survey_form(instrument, ask_segments=())
    with app.test_request_context():
        labels = [option.label.text for option in form_class()["enps"]]
    assert len(labels) == 11
    assert labels[0].startswith("0") and "Not at all likely" in labels[0]
    assert labels[10].startswith("10") and "Extremely likely" in labels[10]
    assert labels[1:10] == [str(n) for n in range(1, 10)]


def test_only_requested_segments_are_asked(instrument):
    none = build_survey_form(instrument, ask_segments=())
    role = build_survey_form(instrument, ask_segments=("role_level",))
    both = build_survey_form(instrument, ask_segments=("role_level", "tenure_band", "team"))
    assert not [n for n in none.survey_items if n.startswith("seg_")]
    assert [n for n in role.survey_items if n.startswith("seg_")] == ["seg_role_level"]
    assert [n for n in both.survey_items if n.startswith("seg_")] == ["seg_role_level", "seg_tenure_band"]
    assert both.survey_sections[0] == ("About you", ("seg_role_level", "seg_tenure_band"))


def test_segment_without_options_uses_the_roster_values(app, small):
    skipped = build_survey_form(small, ask_segments=("department",))
    assert "seg_department" not in skipped.survey_items  # nothing to choose from

    few = build_survey_form(small, ask_segments=("department",),
                            segment_choices={"department": ["Finance", "Sales"]})
    many_values = [f"Dept {n:02d}" for n in range(12)]
    many = build_survey_form(small, ask_segments=("department",),
                             segment_choices={"department": many_values})
    with app.test_request_context():
        radio = few()["seg_department"]
        select = many()["seg_department"]
        assert isinstance(radio, RadioField)
        assert [o.data for o in radio] == ["Finance", "Sales", ""]  # "" = prefer not to say
        assert isinstance(select, SelectField) and not isinstance(select, RadioField)
        assert [o.data for o in select] == [""] + many_values

    form, valid = submit(app, few, {"seg_department": "Sales", "q1": "3", "why": "because"})
    assert valid, form.errors
    assert segments_from_form(form, small) == {"department": "Sales"}
    form, valid = submit(app, few, {"seg_department": "Marketing", "q1": "3", "why": "because"})
    assert not valid and form["seg_department"].errors
    form, valid = submit(app, few, {"seg_department": "", "q1": "3", "why": "because"})
    assert valid, form.errors
    assert segments_from_form(form, small) == {"department": None}


def test_answers_are_typed_for_storage(app, instrument, survey_answers):
    form_class = build_survey_form(instrument, ask_segments=())
    data = dict(survey_answers, st_understand=NOT_APPLICABLE, k_goals="  Faster delivery \r\nGrow B2B  ",
                c_other="   ")
    form, valid = submit(app, form_class, data)
    assert valid, form.errors
    answers = answers_from_form(form, instrument)
    assert set(answers) == {i.id for i in instrument.answer_items}
    assert answers["st_understand"] is None
    assert answers["st_line_of_sight"] == 4 and isinstance(answers["st_line_of_sight"], int)
    assert answers["enps"] == 8 and isinstance(answers["enps"], int)
    assert answers["k_nps"] == 30.0 and isinstance(answers["k_nps"], float)
    assert answers["k_goals"] == "Faster delivery \nGrow B2B"
    assert answers["c_other"] is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("32", 32.0), ("-10", -10.0), ("+15", 15.0), ("7,5", 7.5), ("\u221220", -20.0),
     (" 40 ", 40.0), ("100", 100.0), ("-100", -100.0), ("", None)],
)
def test_estimates_accept_numbers_as_people_type_them(app, instrument, survey_answers, typed, expected):
    form_class = build_survey_form(instrument, ask_segments=())
    form, valid = submit(app, form_class, dict(survey_answers, k_nps=typed))
    assert valid, form.errors
    assert answers_from_form(form, instrument)["k_nps"] == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [("abc", "in digits"), ("nan", "in digits"), ("inf", "in digits"), ("1e999", "in digits"),
     ("101", "from -100 to 100"), ("-150", "from -100 to 100"), ("1,000", "from -100 to 100")],
)
def test_estimates_refuse_what_is_not_a_number_in_range(app, instrument, survey_answers, typed, message):
    form_class = build_survey_form(instrument, ask_segments=())
    form, valid = submit(app, form_class, dict(survey_answers, k_nps=typed))
    assert not valid
    assert list(form.errors) == ["k_nps"]
    assert message in form["k_nps"].errors[0]


def test_likert_refuses_values_not_offered(app, instrument, survey_answers):
    form_class = build_survey_form(instrument, ask_segments=())
    for bad in ("0", "6", "3.5", "yes"):
        form, valid = submit(app, form_class, dict(survey_answers, st_understand=bad))
        assert not valid and list(form.errors) == ["st_understand"], bad


def test_required_and_optional_follow_the_instrument(app, small):
    form_class = build_survey_form(small, ask_segments=())
    form, valid = submit(app, form_class, {})
    assert not valid
    # q1 is a Likert item (required by default), why is marked required,
    # the estimate is optional by default.
    assert set(form.errors) == {"q1", "why"}
    assert form["q1"].errors == ["Question 1: choose the answer closest to your view."]


def test_text_length_counts_a_line_break_once(app, small):
    form_class = build_survey_form(small, ask_segments=())
    ok = "abcd\r\n" * 4  # 24 characters sent, 19 after normalising and stripping
    form, valid = submit(app, form_class, {"q1": "2", "why": ok})
    assert valid, form.errors
    assert answers_from_form(form, small)["why"] == "abcd\nabcd\nabcd\nabcd"
    form, valid = submit(app, form_class, {"q1": "2", "why": "x" * 21})
    assert not valid and "20 characters or fewer" in form["why"].errors[0]


def test_item_id_that_clashes_with_the_form_is_refused(small):
    text = SMALL_INSTRUMENT.replace('id = "why"', 'id = "errors"')
    clashing = parse_instrument_text(text, "clash.toml")
    with pytest.raises(ValueError, match="clash.toml: item id 'errors' clashes"):
        build_survey_form(clashing, ask_segments=())
