"""Who may use the admin area, and the record of what they changed.

A stand-in until the accounts of issue 7 land (``survey_app/auth/``): the
same names and signatures as the real ones, so the swap at merge is one
import line in each admin module.

- :func:`roles_required` answers like the real decorator: a redirect to
  ``/login`` for nobody logged in, 403 for a logged-in user without the role.
- :func:`current_user` is the logged-in user (``.email``, ``.role``,
  ``.department``) or ``None``. Without the accounts, nobody can log in, so
  the admin area is closed to everyone; only an app configured with
  ``ACCESS_STAND_IN_USER`` (the tests) has a user. Nothing reads that
  setting from the environment, so a deployment cannot turn it on by mistake.
- :func:`audit` has the signature of ``storage.audit`` and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, current_app, redirect, request


@dataclass(frozen=True)
class StandInUser:
    email: str
    role: str
    department: str | None = None


def current_user() -> StandInUser | None:
    """The logged-in user, or ``None`` when nobody is."""
    configured = current_app.config.get("ACCESS_STAND_IN_USER")
    if not configured:
        return None
    return StandInUser(**configured)


def roles_required(*roles: str):
    """Let only users holding one of ``roles`` reach the view."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(f"/login?next={request.full_path.rstrip('?')}")
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def audit(db, actor: str, action: str, subject: str, detail: str = "") -> None:
    """Record that ``actor`` did ``action`` to ``subject`` (stand-in: records nothing)."""
