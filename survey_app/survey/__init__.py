"""The employee's side: the pulse survey, reached by invitation or open link."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from survey_app.survey import routes  # noqa: E402,F401  (registers the views on bp)
