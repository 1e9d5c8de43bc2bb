"""The survey form, composed at request time from the instrument.

The questions are data (an instrument file), so the form class cannot be
written by hand: :func:`build_survey_form` subclasses :class:`FlaskForm` inside
a function and sets one field per item (WTForms' "Dynamic Form Composition").
Everything a browser sends is validated here, on the server, because the page
needs no JavaScript and a hand-made POST must not get further than a real one;
the storage layer checks once more as a last line of defence.

Field names are the item ids, so a form post reads like the instrument.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence

from flask import request
from flask_wtf import FlaskForm
from wtforms import FloatField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from analysis.instrument import DEFAULT_MAX_LENGTH, Instrument, Item

#: The submitted value of a Likert scale's "Don't know" / N/A option.
NOT_APPLICABLE = "na"
#: Segment questions with more choices than this become a drop-down list
#: (a long column of radio buttons is harder to scan on a phone).
MAX_RADIO_CHOICES = 8
#: End labels of the 0-10 eNPS scale (Reichheld 2003 wording).
ENPS_LOW_LABEL = "Not at all likely"
ENPS_HIGH_LABEL = "Extremely likely"

#: Name of the hidden button a radio button's Enter key presses (see
#: survey/form.html). Item ids cannot hold a '.', so it never clashes.
ENTER_KEY_BUTTON = "pulse.enter"

#: Field names Flask-WTF adds to every form at runtime.
_RESERVED_NAMES = frozenset({"csrf_token"})
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d{1,2}$")


def _clean_text(value):
    """Strip a free-text answer and count a line break as one character.

    Browsers send CRLF but count it as one character against ``maxlength``;
    normalising first keeps the server's limit the same as the browser's.
    """
    if value is None:
        return None
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class EstimateField(FloatField):
    """A number as people type it: ``32``, ``-10``, ``+15``, ``7,5``, ``1,000``.

    Unlike :class:`wtforms.FloatField`, refuses ``nan`` and ``inf`` (which
    ``float()`` accepts and every range check lets through) and says what is
    expected instead of "Not a valid float value". Rendered as a text input,
    not ``type="number"``: browsers blank a number input holding text they
    cannot parse, so a mistyped answer would vanish instead of being shown
    back beside its error message (the GOV.UK design system's advice).
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        if not raw:
            self.data = None
            return
        text = raw.replace("\u2212", "-").replace(" ", "").rstrip("%")
        text = text.replace(",", ".") if _DECIMAL_COMMA.match(text) else text.replace(",", "")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.data = None
            raise ValueError(self.invalid_value_message or "Enter a number, like 25 or -10.")
        self.data = value


class SurveyForm(FlaskForm):
    """Base of every generated survey form.

    The generated subclass carries, besides its fields, what the templates
    need to lay the questions out: ``survey_items`` (field name -> Item, in
    instrument order), ``survey_sections`` (``(heading, field names)`` in
    order) and ``question_numbers`` (field name -> 1-based number).
    """

    survey_items: Mapping[str, Item] = {}
    survey_sections: tuple[tuple[str, tuple[str, ...]], ...] = ()
    question_numbers: Mapping[str, int] = {}
    #: The value of a scale's "Don't know" choice, so the template can set it apart.
    not_applicable = NOT_APPLICABLE

    def answer_errors(self) -> list[tuple[str, str, str]]:
        """``(field name, first message, anchor id)`` for every invalid question.

        The anchor is what the error summary links to: the question's
        fieldset (see :func:`anchor_id`).
        """
        found = []
        for name in self.survey_items:
            field = self[name]
            if field.errors:
                found.append((name, field.errors[0], anchor_id(field)))
        return found

    def question_after_last_answer(self) -> str | None:
        """The question after the last one with an answer (None: the end).

        Where Enter on a radio button takes the respondent: people answer in
        order, so this is the next question.
        """
        names = list(self.survey_items)
        answered = [i for i, name in enumerate(names) if any(v.strip() for v in self[name].raw_data or ())]
        after = answered[-1] + 1 if answered else 0
        return names[after] if after < len(names) else None

    @property
    def enter_pressed(self) -> bool:
        """True when the post came from Enter on a radio button, not from "Send"."""
        return self.is_submitted() and ENTER_KEY_BUTTON in request.form

    @property
    def csrf_failed(self) -> bool:
        """True when the post was refused because of its CSRF token."""
        return bool(self.meta.csrf and "csrf_token" in self.errors)


def anchor_id(field) -> str:
    """The id of the element a link to ``field`` should land on: its fieldset.

    GOV.UK links to the input and uses JavaScript to scroll its legend into
    view; without script, a link to the first radio button or to a text box
    scrolls the question's text and its error message off the top of the
    screen (issue 12: 133-276 px on a phone). The fieldset starts at the
    question's text, takes focus (``tabindex="-1"``), shows a focus ring
    however the link was followed, and the next Tab enters its answers.
    """
    return f"{field.id}-fieldset"


def _section_of(item: Item, instrument: Instrument) -> tuple[str, str]:
    if item.type == "segment":
        return "about", "About you"
    if item.construct:
        return item.construct, instrument.construct(item.construct).name
    return "general", "Your views"


def _required(item: Item, message: str):
    return [InputRequired(message=message)] if item.required else [Optional()]


def _likert_field(item: Item, number: int):
    scale = item.scale
    # The instrument loader guarantees one anchor per point.
    choices = [SelectChoice(str(point), anchor) for point, anchor in enumerate(scale.anchors, 1)]
    if scale.allow_na:
        choices.append(SelectChoice(NOT_APPLICABLE, scale.na_label))
    message = f"Question {number}: choose the answer closest to your view."
    return RadioField(
        item.text,
        choices=choices,
        validators=_required(item, message),
        invalid_choice_message=f"Question {number}: choose one of the answers shown.",
    )


def _enps_field(item: Item, number: int):
    choices = [
        SelectChoice(
            str(score),
            f"{score} \u2013 {ENPS_LOW_LABEL}" if score == 0
            else f"{score} \u2013 {ENPS_HIGH_LABEL}" if score == 10
            else str(score),
        )
        for score in range(11)
    ]
    return RadioField(
        item.text,
        choices=choices,
        validators=_required(item, f"Question {number}: choose a number from 0 to 10."),
        invalid_choice_message=f"Question {number}: choose a number from 0 to 10.",
    )


def _estimate_field(item: Item, number: int):
    low, high = item.min, item.max
    validators = _required(item, f"Question {number}: enter a number, or leave it blank.")
    if low is not None or high is not None:
        if low is not None and high is not None:
            expected = f"a number from {low:g} to {high:g}"
        elif low is not None:
            expected = f"a number of at least {low:g}"
        else:
            expected = f"a number of at most {high:g}"
        validators.append(NumberRange(min=low, max=high, message=f"Question {number}: enter {expected}."))
    else:
        expected = "a number"
    render_kw = {"autocomplete": "off", "spellcheck": "false"}
    if low is not None and low >= 0:
        # A decimal keypad has no minus sign on some phones: offer it only
        # when no negative answer is possible.
        render_kw["inputmode"] = "decimal"
    return EstimateField(
        item.text,
        validators=validators,
        invalid_value_message=f"Question {number}: enter {expected}, in digits (like 25 or -10).",
        render_kw=render_kw,
    )


def _text_field(item: Item, number: int):
    limit = item.max_length or DEFAULT_MAX_LENGTH
    validators = _required(item, f"Question {number}: write an answer.")
    validators.append(
        Length(max=limit, message=f"Question {number}: shorten your answer to {limit} characters or fewer.")
    )
    rows = 3 if item.type == "recall" else 5
    return TextAreaField(
        item.text,
        validators=validators,
        filters=[_clean_text],
        render_kw={"maxlength": str(limit), "rows": str(rows), "spellcheck": "true"},
    )


def _segment_field(item: Item, number: int, values: Sequence[str]):
    if item.options:
        choices = [SelectChoice(o.value, o.label) for o in item.options]
    else:
        choices = [SelectChoice(v, v) for v in values]
    message = f"Question {number}: choose one of the answers shown."
    if len(choices) > MAX_RADIO_CHOICES:
        return SelectField(
            item.text,
            choices=[SelectChoice("", "Prefer not to say")] + choices,
            validators=_required(item, message),
            invalid_choice_message=message,
        )
    if not item.required:
        # A radio button cannot be unticked without JavaScript: give a way out.
        choices.append(SelectChoice("", "Prefer not to say"))
    return RadioField(item.text, choices=choices, validators=_required(item, message),
                      invalid_choice_message=message)


def build_survey_form(
    instrument: Instrument,
    *,
    ask_segments: Iterable[str],
    segment_choices: Mapping[str, Sequence[str]] | None = None,
) -> type[SurveyForm]:
    """Compose the form class for one pulse and one respondent.

    Parameters
    ----------
    instrument : Instrument
        The questions, in the order they are asked.
    ask_segments : iterable of str
        The segments (``department``, ``team``, ``tenure_band``,
        ``role_level``) this respondent must be asked, because no roster
        supplies them. Segment items for other segments are left out: asking
        what the invitation already knows only adds identifying detail.
    segment_choices : mapping, optional
        Answer values for segment items that list no ``options`` (for
        example the departments in the pulse's roster). A segment item with
        neither options nor values is left out, as there is nothing to choose.

    Returns
    -------
    type[SurveyForm]
        Instantiate it in a request (``form = Form()``) to read the post.
    """
    ask = set(ask_segments)
    segment_choices = dict(segment_choices or {})
    attrs: dict[str, object] = {}
    items: dict[str, Item] = {}
    sections: list[tuple[str, str, list[str]]] = []
    numbers: dict[str, int] = {}
    for item in instrument.items:
        if item.type == "segment":
            values = segment_choices.get(item.segment, ())
            if item.segment not in ask or not (item.options or values):
                continue
        if hasattr(SurveyForm, item.id) or item.id in _RESERVED_NAMES:
            raise ValueError(
                f"{instrument.source}: item id '{item.id}' clashes with a form attribute; "
                "rename the item"
            )
        number = len(items) + 1
        if item.type == "likert":
            field = _likert_field(item, number)
        elif item.type == "enps":
            field = _enps_field(item, number)
        elif item.type == "estimate":
            field = _estimate_field(item, number)
        elif item.type in ("recall", "comment"):
            field = _text_field(item, number)
        elif item.type == "segment":
            field = _segment_field(item, number, values)
        else:  # pragma: no cover - the instrument loader refuses other types
            raise ValueError(f"{instrument.source}: item '{item.id}' has unknown type {item.type!r}")
        attrs[item.id] = field
        items[item.id] = item
        numbers[item.id] = number
        key, heading = _section_of(item, instrument)
        if sections and sections[-1][0] == key:
            sections[-1][2].append(item.id)
        else:
            sections.append((key, heading, [item.id]))

    attrs["survey_items"] = items
    attrs["survey_sections"] = tuple((heading, tuple(names)) for _, heading, names in sections)
    attrs["question_numbers"] = numbers
    return type(f"SurveyForm_{instrument.id}_v{instrument.version}".replace("-", "_"),
                (SurveyForm,), attrs)


@functools.lru_cache(maxsize=256)
def _form_class(instrument: Instrument, ask: frozenset, choices: tuple) -> type[SurveyForm]:
    return build_survey_form(instrument, ask_segments=ask, segment_choices=dict(choices))


def survey_form_class(
    instrument: Instrument,
    *,
    ask_segments: Iterable[str],
    segment_choices: Mapping[str, Sequence[str]] | None = None,
) -> type[SurveyForm]:
    """:func:`build_survey_form`, composed once per distinct set of inputs.

    The class depends on nothing but its arguments (the instrument is
    compared by content), and everyone answering a pulse asks for the same
    one, so composing ~20 fields on every request was work thrown away. Each
    request still makes its own instance, which is what reads and validates
    its post.
    """
    choices = tuple(sorted((seg, tuple(values)) for seg, values in (segment_choices or {}).items()))
    return _form_class(instrument, frozenset(ask_segments), choices)


def answers_from_form(form: SurveyForm, instrument: Instrument) -> dict[str, int | float | str | None]:
    """The validated answers, typed the way storage expects them.

    Only answer items (not segment items) are returned, keyed by item id:
    Likert and eNPS as ``int`` (``None`` for "Don't know" or no answer),
    estimates as ``float``, free text as a stripped ``str`` (``None`` when
    blank). Items the form did not ask are absent.
    """
    answers: dict[str, int | float | str | None] = {}
    for item in instrument.answer_items:
        if item.id not in form.survey_items:
            continue
        data = form[item.id].data
        if item.type in ("likert", "enps"):
            answers[item.id] = None if data in (None, "", NOT_APPLICABLE) else int(data)
        elif item.type == "estimate":
            answers[item.id] = None if data is None else float(data)
        else:
            answers[item.id] = data or None
    return answers


def segments_from_form(form: SurveyForm, instrument: Instrument) -> dict[str, str | None]:
    """The segment answers the form asked for, keyed by segment name."""
    segments: dict[str, str | None] = {}
    for item in instrument.segment_items():
        if item.id in form.survey_items:
            segments[item.segment] = form[item.id].data or None
    return segments
