"""Who is signed in, and what each role may open.

Sessions are Flask-Login's, in the signed session cookie. The id a session
carries is ``"<user id>:<session token>"``; the token is the account's current
one in the database, so rotating it (logout, password change or reset, role
change, disabling) makes every older cookie, even a copied one, sign in no
one. Session protection is "strong": a session used from another address or
browser is dropped.
"""

from __future__ import annotations

import hmac
from dataclasses import fields
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user

from survey_app import storage
from survey_app.db import get_db

login_manager = LoginManager()
login_manager.session_protection = "strong"

#: Where each role lands after login: the first endpoint the app has.
#: An admin lands in the admin area once its index exists, on the user
#: pages until then.
HOME_ENDPOINTS = {
    "admin": ("admin.index", "accounts.users"),
    "ceo": ("reports.ceo",),
    "clo": ("reports.clo",),
    "cmo": ("reports.cmo",),
    "analyst": ("reports.analyst",),
    "manager": ("reports.department",),
}


class Account(UserMixin, storage.User):
    """The signed-in user: a :class:`survey_app.storage.User` Flask-Login can hold.

    Fields: ``id``, ``email``, ``role``, ``department`` (a manager's, else
    ``None``), ``disabled``, ``created_at``, ``password_changed_at``,
    ``last_login_at``.
    """

    @classmethod
    def of(cls, user: storage.User) -> Account:
        return cls(**{f.name: getattr(user, f.name) for f in fields(storage.User)})

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return not self.disabled

    @property
    def is_executive(self) -> bool:
        return self.role in storage.EXECUTIVE_ROLES

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@login_manager.user_loader
def _load_account(session_id: str) -> Account | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = storage.get_user(get_db(), int(user_id))
    if user is None or user.disabled:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return Account.of(user)


@login_manager.unauthorized_handler
def _to_login():
    """Send someone not signed in to the login page, remembering where they were going."""
    # With the mount point: the browser is sent back there after the login.
    target = request.script_root + (request.full_path if request.query_string else request.path)
    return redirect(url_for("auth.login", next=target))


def signed_in() -> Account | None:
    """The signed-in account, without touching the session of anyone else.

    Only a session that holds a login is looked at, so a respondent's pages
    (whose session holds at most a thank-you title) load no account and
    send no new cookie.
    """
    if "_user_id" not in session:
        return None
    user = current_user._get_current_object()
    return user if user.is_authenticated else None


def roles_required(*roles: str):
    """Decorator: only these roles may open the view.

    Not signed in: a redirect to ``/login?next=<this page>``. Signed in
    without one of ``roles``: 403.
    """
    unknown = set(roles) - set(storage.ROLES)
    if unknown or not roles:
        raise ValueError(f"roles_required: unknown role(s) {sorted(unknown) or 'none given'}")

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = tuple(roles)
        return wrapped

    return decorate


def login_required(view):
    """Decorator: any signed-in role may open the view."""
    return roles_required(*storage.ROLES)(view)


def department_scope() -> str | None:
    """The one department the signed-in user may see, or ``None`` for all.

    A manager gets their department; every other role sees every
    department. Call it inside a view protected by :func:`roles_required`.
    """
    if not current_user.is_authenticated:
        abort(403)
    return current_user.department if current_user.role == "manager" else None


def may_see_department(name: str) -> bool:
    """True when the signed-in user may see the department ``name``."""
    scope = department_scope()
    return scope is None or scope == name


def home_url(account: Account) -> str:
    """The landing page of ``account``'s role."""
    for endpoint in HOME_ENDPOINTS[account.role]:
        if endpoint in current_app.view_functions:
            if endpoint == "reports.department":
                return url_for(endpoint, name=account.department)
            return url_for(endpoint)
    raise RuntimeError(f"no landing page for role {account.role!r}")  # pragma: no cover


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else ``None``.

    A login link with ``?next=https://evil.example/`` must not send a freshly
    signed-in user elsewhere; only ``/path`` (not ``//host``) is followed.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


#: The signed-in nav: (label, endpoint), each shown to the roles its page
#: admits (read from the view's :func:`roles_required`), when the page exists.
NAV_LINKS = (
    ("Admin", "admin.index"),
    ("Overview", "reports.overview"),
    ("CEO report", "reports.ceo"),
    ("CLO report", "reports.clo"),
    ("CMO report", "reports.cmo"),
    ("My department", "reports.department"),
    ("Analysis", "reports.analyst"),
    ("Users", "accounts.users"),
    ("Audit log", "accounts.audit"),
    ("Change password", "auth.change_password"),
)


def nav_links(account: Account) -> list[tuple[str, str]]:
    """``(label, url)`` of the pages ``account`` may open, for the nav."""
    links = []
    for label, endpoint in NAV_LINKS:
        view = current_app.view_functions.get(endpoint)
        if view is None or account.role not in getattr(view, "allowed_roles", ()):
            continue
        if endpoint == "reports.department":
            if account.role == "manager":
                links.append((label, url_for(endpoint, name=account.department)))
            continue
        links.append((label, url_for(endpoint)))
    return links


def nav_context() -> dict:
    """Template globals of the signed-in nav (``nav_user`` is None for everyone else)."""
    from survey_app.auth.forms import EmptyForm

    account = signed_in()
    if account is None:
        return {"nav_user": None}
    # formdata=None: the nav's form only renders a token, and reading the
    # request here would fail again on the page of a refused (413) upload.
    return {"nav_user": account, "nav_links": nav_links(account),
            "logout_form": EmptyForm(formdata=None)}
