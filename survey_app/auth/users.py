"""The admin area's user pages: list, create, role, disable, reset, audit log.

Admins only. A generated password is shown once, on the page that answers the
POST (never stored in clear, never in a URL, the page is ``no-store``). An
admin cannot disable their own account or change their own role here, so the
last admin cannot lock everyone out by mistake; the command line can.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from survey_app import storage
from survey_app.auth import accounts, accounts_bp
from survey_app.auth.access import roles_required
from survey_app.auth.forms import CreateUserForm, EmptyForm, RoleForm
from survey_app.auth.passwords import generate_password
from survey_app.db import get_db

#: Audit rows per page.
AUDIT_PAGE_SIZE = 100


def _user_or_404(user_id: int) -> storage.User:
    user = storage.get_user(get_db(), user_id)
    if user is None:
        abort(404, f"There is no user with id {user_id}.")
    return user


def _not_self(user: storage.User, what: str) -> None:
    if user.id == current_user.id:
        abort(409, f"You cannot {what} your own account here; ask another admin, "
                   "or use the command line on the server.")


@accounts_bp.app_template_filter("utc_time")
def utc_time(stamp: str | None) -> Markup | str:
    """A stored UTC time ("2026-12-01T15:59:14Z") as people read it,
    "2026-12-01 15:59:14", in a <time> element that keeps the exact value
    (the column heading says UTC); the ISO form broke across lines."""
    if not stamp:
        return "never"
    shown = stamp.replace("T", " ").removesuffix("Z")
    return Markup(f'<time datetime="{escape(stamp)}">{escape(shown)}</time>')


@accounts_bp.get("/users")
@roles_required("admin")
def users():
    """Every account with its role, department, state and last login."""
    return render_template(
        "accounts/users.html", users=storage.list_users(get_db()),
        descriptions=storage.ROLE_DESCRIPTIONS,
    )


@accounts_bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def new_user():
    """Create an account; its generated password is shown once."""
    form = CreateUserForm()
    if not form.is_submitted():
        return render_template("accounts/new.html", form=form)
    if not form.validate():
        return render_template("accounts/new.html", form=form), 422
    db = get_db()
    password = generate_password()
    try:
        user = accounts.create_account(
            db, form.email.data, form.role.data, password,
            department=form.department.data, actor=current_user,
        )
    except storage.UserError as exc:
        form.email.errors.append(f"{exc}.")
        return render_template("accounts/new.html", form=form), 422
    return render_template("accounts/password.html", user=user, password=password, created=True)


@accounts_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user(user_id: int):
    """One account: change its role and department, disable, reset."""
    account = _user_or_404(user_id)
    form = RoleForm(data={"role": account.role, "department": account.department or ""})
    code = 200
    if form.is_submitted():
        _not_self(account, "change the role of")
        if form.validate():
            accounts.change_role(get_db(), account, form.role.data, form.department.data,
                                 actor=current_user)
            flash(f"{account.email} is now {form.role.data}.")
            return redirect(url_for("accounts.user", user_id=user_id), 303)
        code = 422
    return render_template("accounts/user.html", account=account, form=form,
                           button=EmptyForm()), code


def _set_disabled(user_id: int, disabled: bool):
    account = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "The button had expired. Reload the page and press it again.")
    if disabled:
        _not_self(account, "disable")
    accounts.set_disabled(get_db(), account, disabled, actor=current_user)
    flash(f"{account.email} is {'disabled: their sessions have ended' if disabled else 'enabled'}.")
    return redirect(url_for("accounts.user", user_id=user_id), 303)


@accounts_bp.post("/users/<int:user_id>/disable")
@roles_required("admin")
def disable_user(user_id: int):
    return _set_disabled(user_id, True)


@accounts_bp.post("/users/<int:user_id>/enable")
@roles_required("admin")
def enable_user(user_id: int):
    return _set_disabled(user_id, False)


@accounts_bp.post("/users/<int:user_id>/reset-password")
@roles_required("admin")
def reset_password(user_id: int):
    """Give the account a generated password, shown once; its sessions end."""
    account = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "The button had expired. Reload the page and press it again.")
    account, password = accounts.reset_password(get_db(), account, actor=current_user)
    return render_template("accounts/password.html", user=account, password=password,
                           created=False)


@accounts_bp.get("/audit")
@roles_required("admin")
def audit():
    """The audit log, newest first, a hundred rows a page."""
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(400, f"page must be a whole number from 1, not {page!r}.")
    page = int(page)
    db = get_db()
    total = storage.count_audit(db)
    entries = storage.list_audit(db, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    return render_template("accounts/audit.html", entries=entries, page=page, pages=pages,
                           total=total)
