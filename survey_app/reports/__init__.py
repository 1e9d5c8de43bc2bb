"""The leaders' and analysts' reports: pages, downloads, action plans (issue 8)."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from survey_app.reports import routes  # noqa: E402,F401  (registers the views on bp)
