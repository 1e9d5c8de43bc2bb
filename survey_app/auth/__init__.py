"""Accounts and roles: login, logout, landing pages, the user pages, access checks.

Two blueprints live here: ``auth`` (``/login``, ``/logout``, ``/home``,
``/account/password``) and ``accounts``, the admin area's user pages
(``/admin/users``, ``/admin/audit``). Views elsewhere protect themselves with
:func:`roles_required` and scope a manager with :func:`department_scope`.
"""

from flask import Blueprint

from survey_app.auth.access import (
    Account,
    department_scope,
    login_manager,
    login_required,
    may_see_department,
    roles_required,
    signed_in,
)
from survey_app.auth.accounts import create_account, create_demo_accounts

bp = Blueprint("auth", __name__)
accounts_bp = Blueprint("accounts", __name__, url_prefix="/admin")

__all__ = [
    "Account",
    "accounts_bp",
    "bp",
    "create_account",
    "create_demo_accounts",
    "department_scope",
    "init_app",
    "login_manager",
    "login_required",
    "may_see_department",
    "roles_required",
    "signed_in",
]


def init_app(app) -> None:
    """Set up Flask-Login and register both blueprints on ``app``."""
    from survey_app.auth.access import nav_context

    login_manager.init_app(app)
    app.context_processor(nav_context)
    app.register_blueprint(bp)
    app.register_blueprint(accounts_bp)


from survey_app.auth import routes, users  # noqa: E402,F401  (register the views)
