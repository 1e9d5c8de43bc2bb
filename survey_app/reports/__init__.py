"""The leaders' and analysts' report pages (placeholders until the next release)."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from survey_app.reports import routes  # noqa: E402,F401  (registers the views on bp)
