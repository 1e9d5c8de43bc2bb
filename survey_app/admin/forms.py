"""The admin area's forms.

Every POST of the admin area goes through a :class:`flask_wtf.FlaskForm`, so
each carries a CSRF token; buttons that only act (open, close, send) use the
accounts' ``EmptyForm``. Uploaded files are read as UTF-8 text here, so a view
gets either text or a field error naming the file.
"""

from __future__ import annotations

import math
from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from analysis.instrument import SEGMENTS
from analysis.strategy import (
    FACTOR_COUNT,
    STRATEGY_FORMAT,
    Strategy,
    StrategyFileError,
    parse_strategy,
    split_figure_path,
)
from survey_app.storage import DEFAULT_BREAKDOWNS

#: Largest file accepted by an upload field (a roster of several thousand people).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
#: Blank customer-figure rows offered below the filled ones.
SPARE_FIGURE_ROWS = 2


def check_close_on(day: date) -> str | None:
    """Why ``day`` cannot be a new pulse's close date, or ``None`` when it can.

    A pulse closes itself once its close date has come, so today or a day
    gone by would close it the moment it opens.
    """
    if day <= date.today():
        return f"The close date {day.isoformat()} has come already; choose a day after today."
    return None


def uploaded_text(field) -> str | None:
    """The uploaded file's text, or ``None`` with an error on the field.

    Read here rather than in the view so that every upload (instrument,
    strategy, roster) gets the same checks and the same wording.
    """
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    raw = storage.read(MAX_UPLOAD_BYTES + 1)
    name = storage.filename
    if len(raw) > MAX_UPLOAD_BYTES:
        field.errors.append(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        field.errors.append(
            f"{name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 and upload it again."
        )
        return None
    if not text.strip():
        field.errors.append(f"{name} is empty.")
        return None
    return text


class MultiCheckboxField(SelectMultipleField):
    """One checkbox per choice (the WTForms documentation's pattern)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CreatePulseForm(FlaskForm):
    slug = StringField(
        "Short name (slug)",
        validators=[DataRequired(), Length(max=64)],
        description="Lower-case letters, digits, '-' and '_'; it appears in links and exports, "
                    "e.g. strategy-2027-q1.",
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200)],
                        description="What respondents see, e.g. 'Strategy pulse, Q1 2027'.")
    period = StringField("Period", validators=[DataRequired(), Length(max=7)],
                         description="YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM, e.g. 2027-Q1.")
    instrument_file = SelectField("Instrument", choices=[], validate_choice=False,
                                  description="A file from the instruments folder.")
    instrument_upload = FileField("Or upload an instrument file (TOML)")
    strategy_upload = FileField(
        "Strategy statement (TOML, optional)",
        description="The file format of docs/strategy.md. You can also fill it in "
                    "on the pulse's strategy page while it is a draft.",
    )
    close_on = DateField("Close date (optional)", validators=[Optional()],
                         description="The pulse closes itself on this day.")
    breakdowns = MultiCheckboxField(
        "Reporting breakdowns",
        choices=[SelectChoice(s, s.replace("_", " ")) for s in SEGMENTS],
        default=list(DEFAULT_BREAKDOWNS),
        description="A response stores only its values for these.",
    )
    open_link = BooleanField("Give the pulse an open link (for people without an invitation)")
    submit = SubmitField("Create the pulse")

    def validate_close_on(self, field):
        problem = check_close_on(field.data) if field.data is not None else None
        if problem:
            raise ValidationError(problem)

    def validate_breakdowns(self, field):
        if not field.data:
            raise ValidationError("Choose at least one reporting breakdown.")
        unknown = set(field.data) - set(SEGMENTS)
        if unknown:
            raise ValidationError(f"Unknown breakdown(s): {', '.join(sorted(unknown))}.")

    def validate_instrument_file(self, field):
        valid = {choice.value for choice in field.choices}
        uploaded = self.instrument_upload.data is not None and getattr(
            self.instrument_upload.data, "filename", "")
        if not uploaded and not field.data:
            raise ValidationError("Choose an instrument file or upload one.")
        if field.data and field.data not in valid:
            raise ValidationError(f"{field.data!r} is not one of the instrument files.")


#: The fields of a customer figure's row.
FIGURE_FIELDS = ("key", "label", "value", "unit", "min", "max")


class FigureForm(Form):
    """One customer figure's row (no CSRF of its own: it lives inside StrategyForm)."""

    key = StringField("Key", validators=[Optional(), Length(max=32)])
    label = StringField("Label", validators=[Optional(), Length(max=100)])
    value = StringField("Value", validators=[Optional(), Length(max=32)])
    unit = StringField("Unit", validators=[Optional(), Length(max=10)])
    min = StringField("Scale from", validators=[Optional(), Length(max=32)])
    max = StringField("Scale to", validators=[Optional(), Length(max=32)])


def _lines(text: str | None) -> list[str]:
    """One statement per non-blank line of a text area."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _number(text: str | None):
    """A typed number as a number, or the text itself so the loader names it."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    return int(value) if value.is_integer() else value


class StrategyForm(FlaskForm):
    """The strategy statement, validated by the same rules as a strategy file.

    The form's fields are turned into the file's structure and handed to
    :func:`analysis.strategy.parse_strategy`, so the page and the file can
    never disagree about what is valid; each problem comes back on its field
    (a goal's problem names its line).
    """

    goals = TextAreaField("This quarter's goals", description="One goal per line.")
    factor_1 = StringField("Factor for excellence 1")
    factor_2 = StringField("Factor for excellence 2")
    factor_3 = StringField("Factor for excellence 3")
    brand_promise = StringField("Brand promise", description="One sentence.")
    previous_goals = TextAreaField(
        "Last quarter's goals (optional)",
        description="One per line: an answer naming one is recognised as out of date.",
    )
    figures = FieldList(FormField(FigureForm), label="Customer figures")
    submit = SubmitField("Save the strategy statement")

    strategy: Strategy | None = None

    def fill(self, strategy: Strategy) -> None:
        """Show ``strategy`` in the fields (a GET of the page)."""
        self.goals.data = "\n".join(strategy.goals)
        for n, factor in enumerate(strategy.factors[:FACTOR_COUNT], 1):
            getattr(self, f"factor_{n}").data = factor
        self.brand_promise.data = strategy.brand_promise
        self.previous_goals.data = "\n".join(strategy.previous_goals)
        while self.figures.entries:
            self.figures.pop_entry()
        for figure in strategy.customer_figures.values():
            self.figures.append_entry({
                "key": figure.key, "label": figure.label, "value": f"{figure.value:g}",
                "unit": figure.unit,
                "min": "" if figure.min is None else f"{figure.min:g}",
                "max": "" if figure.max is None else f"{figure.max:g}",
            })
        for _ in range(SPARE_FIGURE_ROWS):
            self.figures.append_entry()

    def _filled_rows(self):
        """The figure rows with anything typed in them (blank rows are left out)."""
        for entry in self.figures:
            row = entry.form
            if any((row[k].data or "").strip() for k in FIGURE_FIELDS):
                yield row

    def _row_problems(self) -> bool:
        """A key missing or given twice: put on the row, since a file cannot say it."""
        seen, ok = set(), True
        for row in self._filled_rows():
            key = (row.key.data or "").strip()
            problem = ("Give the figure a key, such as nps." if not key else
                       f"The key {key!r} is used by another figure." if key in seen else None)
            if problem:
                row.key.errors = list(row.key.errors) + [problem]
                ok = False
            seen.add(key)
        return ok

    def as_data(self) -> dict:
        """The fields in the strategy file's structure (docs/strategy.md)."""
        figures = {}
        for row in self._filled_rows():
            key = (row.key.data or "").strip()
            if not key or key in figures:
                continue  # _row_problems puts these on the row
            figure = {"label": (row.label.data or "").strip(),
                      "unit": (row.unit.data or "").strip()}
            for name in ("value", "min", "max"):
                number = _number(row[name].data)
                if number is not None:
                    figure[name] = number
            figures[key] = figure
        return {
            "format": STRATEGY_FORMAT,
            "goals": _lines(self.goals.data),
            "factors": [(getattr(self, f"factor_{n}").data or "").strip()
                        for n in range(1, FACTOR_COUNT + 1)
                        if (getattr(self, f"factor_{n}").data or "").strip()],
            "brand_promise": (self.brand_promise.data or "").strip(),
            "previous_goals": _lines(self.previous_goals.data),
            "customer_figures": figures,
        }

    def _field_for(self, problem):
        """The form field a strategy problem is about, and how to word it there."""
        parts = problem.field.split(".")
        if parts[0] in ("goals", "previous_goals"):
            where = f"Line {problem.position}: " if problem.position else ""
            return self[parts[0]], where + problem.problem
        if parts[0] == "factors":
            if problem.position:
                return self[f"factor_{problem.position}"], problem.problem
            return self.factor_1, f"Name all {FACTOR_COUNT} factors ({problem.problem})."
        if parts[0] == "customer_figures" and len(parts) >= 2:
            field = self._figure_row(problem.field.split(".", 1)[1])
            if field is not None:
                return field, problem.problem
        if parts[0] in self:
            return self[parts[0]], problem.problem
        return self.goals, f"{problem.field}: {problem.problem}"

    def _figure_row(self, path: str):
        """The field of the figure rows a ``customer_figures.<key>[.<field>]``
        problem is about (:func:`analysis.strategy.split_figure_path`), or None."""
        rows = {}
        for entry in self.figures:
            rows.setdefault((entry.form.key.data or "").strip(), entry.form)
        found = split_figure_path(path, rows)
        if found is None:
            return None
        key, field = found
        return rows[key][field or "key"]

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        rows_ok = self._row_problems()
        try:
            strategy = parse_strategy(self.as_data(), source="the form")
        except StrategyFileError as exc:
            for problem in exc.problems:
                field, message = self._field_for(problem)
                field.errors = list(field.errors) + [message]
            return False
        if not rows_ok:
            return False
        self.strategy = strategy
        return True


class StrategyUploadForm(FlaskForm):
    file = FileField("Strategy file (TOML)", validators=[FileRequired("Choose a file.")],
                     description="The format of docs/strategy.md; it replaces the whole statement.")
    submit = SubmitField("Load the file")


class RosterUploadForm(FlaskForm):
    file = FileField(
        "Roster (CSV)", validators=[FileRequired("Choose a CSV file.")],
        description="A header row (email, department, and team, tenure_band, role_level "
                    "when you have them), then one person per line.",
    )
    submit = SubmitField("Check the roster")


class ConfirmImportForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Import the roster and create the invitations")


class ResendForm(FlaskForm):
    email = StringField("Email of the person", validators=[
        DataRequired(),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
               message="Enter an email address such as ann@example.com."),
    ])
    submit = SubmitField("Send a new link")


class DeleteForm(FlaskForm):
    confirm = StringField("Type the pulse's short name to confirm",
                          validators=[DataRequired("Type the short name to confirm.")])
    submit = SubmitField("Delete the pulse and everything in it")
