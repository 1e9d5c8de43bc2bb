"""The report pages' forms: a commitment, its status, a theme's new owner, the number of themes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from survey_app import storage


class PlanForm(FlaskForm):
    """Record a commitment from a focus area, strength, group or theme."""

    pulse = HiddenField(validators=[InputRequired()])
    source = HiddenField(validators=[InputRequired()])
    measure = HiddenField(validators=[InputRequired()])
    measure_label = HiddenField(validators=[InputRequired()])
    department = HiddenField()
    back = HiddenField()
    what = TextAreaField("What will be done", validators=[
        DataRequired("Say what will be done."),
        Length(max=storage.MAX_PLAN_TEXT, message=f"At most {storage.MAX_PLAN_TEXT} characters.")])
    owner = SelectField("Owner", choices=[SelectChoice(o, o.upper()) for o in storage.PLAN_OWNERS],
                        validate_choice=False)
    due_on = DateField("Due date", validators=[DataRequired("Give a due date, such as 2027-03-31.")])


class PlanStatusForm(FlaskForm):
    back = HiddenField()
    status = SelectField("Status", choices=[SelectChoice(s, s) for s in storage.PLAN_STATUSES])


class ThemeMoveForm(FlaskForm):
    """Move a theme, named by its defining terms, to another owner."""

    pulse = HiddenField(validators=[InputRequired()])
    terms = HiddenField(validators=[InputRequired()])
    back = HiddenField()
    owner = SelectField("Move to", choices=[SelectChoice(o, o.upper() if o != "other" else "nobody in particular")
                                            for o in storage.THEME_OWNERS])


class ThemeCountForm(FlaskForm):
    """How many themes a pulse's comments are grouped into: automatic, or 2 to 20."""

    pulse = HiddenField(validators=[InputRequired()])
    back = HiddenField()
    n_themes = SelectField("Number of themes", choices=[SelectChoice("auto", "chosen automatically")] + [
        SelectChoice(str(n), str(n)) for n in storage.THEME_COUNTS])
