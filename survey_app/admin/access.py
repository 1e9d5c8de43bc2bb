"""Who may use the admin area, and the record of what they changed.

A stand-in until the accounts of issue 7 land (``survey_app/auth/``): the
same names and behaviour as the real ones, so the swap at merge is the
import lines of the admin modules.

- :func:`roles_required` answers like the real decorator: a redirect to
  ``/login?next=<page>`` for nobody signed in, 403 for a signed-in user
  without the role.
- :data:`current_user` is the signed-in user (``.email``, ``.role``,
  ``.department``, ``.is_authenticated``), as Flask-Login's is. Without the
  accounts nobody can sign in, so the admin area is closed to everyone;
  only an app configured with ``ACCESS_STAND_IN_USER`` (the tests) has a
  user. Nothing reads that setting from the environment, so a deployment
  cannot turn it on by mistake.
- :func:`audit` has the signature of ``storage.audit`` and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import abort, current_app, redirect, request
from werkzeug.local import LocalProxy


@dataclass(frozen=True)
class StandInUser:
    email: str | None = None
    role: str | None = None
    department: str | None = None
    id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.email is not None


def _signed_in() -> StandInUser:
    configured = current_app.config.get("ACCESS_STAND_IN_USER")
    return StandInUser(**configured) if configured else StandInUser()


#: The signed-in user; ``is_authenticated`` is false when nobody is.
current_user: Any = LocalProxy(_signed_in)


def roles_required(*roles: str):
    """Let only users holding one of ``roles`` reach the view."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(f"/login?next={request.full_path.rstrip('?')}")
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.allowed_roles = tuple(roles)
        return guarded

    return decorate


def audit(db, actor: Any, action: str, subject: str = "", detail: str = "") -> None:
    """Record that ``actor`` did ``action`` to ``subject`` (stand-in: records nothing)."""
