"""The admin area: running pulses, their strategy statements, rosters and invitations.

For the ``admin`` role only. Every view changes or reveals something only
through :mod:`survey_app.storage`, and every change of a pulse and every
download of links is written to the audit log.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from survey_app.admin import routes  # noqa: E402,F401  (registers the views on bp)
