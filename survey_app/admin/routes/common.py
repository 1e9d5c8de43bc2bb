"""What the admin's views share: the role, the refusal status, the audit record
and the pulse lookup, and the upload limit of the whole area.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from survey_app import storage
from survey_app.admin import bp
from survey_app.admin.forms import MAX_UPLOAD_BYTES
from survey_app.db import get_db

#: Status of a page sent back with problems: the form is shown again, nothing stored.
INVALID = 422
#: The one role the admin area is for.
ADMIN = "admin"


@bp.before_request
def _allow_uploads():
    """Rosters and instrument files are bigger than a survey answer."""
    request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024


@bp.errorhandler(413)
def _too_large(exc):
    """An upload over the limit: say so in the admin's terms, not the survey's."""
    return render_template(
        "admin/base.html", problem=f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)}"
        " MB. Split the roster into parts and add the rest as late joiners."), 413


def record(action: str, subject: str, detail: str = "") -> None:
    """Write the change to the audit log, with the signed-in admin as actor."""
    storage.audit(get_db(), current_user._get_current_object(), action, subject, detail)


def close_due() -> None:
    """Close the pulses whose close date has come, so the admin sees the truth."""
    storage.close_due_pulses(get_db())


def pulse_or_404(slug: str) -> storage.Pulse:
    """The pulse of the URL (its close date applied first), or a 404."""
    close_due()
    pulse = storage.get_pulse(get_db(), slug)
    if pulse is None:
        abort(404)
    return pulse
