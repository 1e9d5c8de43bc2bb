"""Views of the admin area (``/admin``), for the ``admin`` role only.

Each view follows the tutorial's flow: validate, then either show the page
again with every problem on it (status 422, nothing stored) or store, record
it in the audit log and redirect (303). Actions are POST forms with a CSRF
token; a refused token is a 400 and changes nothing.

One module per part of running a pulse: :mod:`.pulses` (the list, creating,
opening and closing, deleting, participation), :mod:`.statement` (the
strategy statement), :mod:`.people` (the roster, the invitations, late
joiners); :mod:`.common` holds what they share.
"""

from survey_app.admin.routes import people, pulses, statement  # noqa: F401  (register the views)
