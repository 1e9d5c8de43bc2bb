"""Login, logout, the landing page and the password change.

An unknown email and a wrong password get the same page, status and message,
after the same work: one argon2 verification (against a dummy hash when there
is no account) and one throttle write. Login starts a new session (the old
one, CSRF token included, is cleared) and logout ends it for good by rotating
the account's session token.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from survey_app import ratelimit, storage
from survey_app.auth import bp, passwords, throttle
from survey_app.auth.access import Account, home_url, login_required, safe_next, signed_in
from survey_app.auth.accounts import change_own_password
from survey_app.auth.forms import ChangePasswordForm, EmptyForm, LoginForm
from survey_app.db import get_db

#: The one answer to an unknown email and to a wrong password.
BAD_LOGIN = "The email address or the password is not right."
DISABLED = "This account has been disabled. Ask an administrator to enable it again."
#: Status of a refused login or password form (as for the survey's forms).
REFUSED_STATUS = 422


def throttled_page(template: str, wait: float, **context):
    """The 429 answer for a pair that must still wait."""
    seconds = throttle.retry_after_header(wait)
    message = (
        "Too many failed attempts for this account from your address. "
        f"Wait {seconds} second{'s' if seconds != '1' else ''}, then try again."
    )
    response = make_response(render_template(template, error=message, **context), 429)
    response.headers["Retry-After"] = seconds
    return response


def _check_password(db, key: str, password_hash: str | None, password: str) -> tuple[bool, float]:
    """``(right, seconds to wait)`` for one throttled password check.

    While the pair must wait, the password is not looked at (``(False,
    wait)``). Otherwise the attempt is counted as a failure before the
    password is checked (in one transaction with the check of the wait, so
    parallel guesses cannot slip past it) and cleared when it is right.
    """
    wait = throttle.claim_attempt(db, key)
    if wait > 0:
        return False, wait
    right = passwords.verify_password(password_hash, password)
    if right:
        throttle.clear(db, key)
    return right, 0.0


def _start_session(user: storage.User) -> None:
    """A fresh session for ``user``: nothing of the previous one survives."""
    session.clear()
    login_user(Account.of(user))


@bp.route("/login", methods=["GET", "POST"])
@ratelimit.limit_posts("login", "LOGIN_RATE")
def login():
    """Sign in; then go to ``?next=`` (a path on this site) or the role's home."""
    if signed_in():
        return redirect(home_url(current_user))
    form = LoginForm()
    if not form.is_submitted():
        return render_template("auth/login.html", form=form)
    if not form.validate():
        return render_template("auth/login.html", form=form), REFUSED_STATUS

    db = get_db()
    email = form.email.data.strip().lower()
    user = storage.get_user_by_email(db, email)
    right, wait = _check_password(
        db, throttle.pair_key(email), user.password_hash if user else None, form.password.data
    )
    if wait:
        return throttled_page("auth/login.html", wait, form=form)
    if not right:
        return render_template("auth/login.html", form=form, error=BAD_LOGIN), REFUSED_STATUS
    if user.disabled:
        return render_template("auth/login.html", form=form, error=DISABLED), 403
    if passwords.needs_rehash(user.password_hash):
        user = storage.set_password_hash(
            db, user.id, passwords.hasher().hash(form.password.data), end_sessions=False
        )
        storage.audit(db, user, "rehash password", user.email, "stronger argon2id parameters")
    user = storage.record_login(db, user.id)
    _start_session(user)
    storage.audit(db, user, "login", user.email)
    return redirect(safe_next(request.args.get("next")) or home_url(current_user), 303)


@bp.post("/logout")
def logout():
    """Sign out (POST with a CSRF token); every copy of the session cookie dies."""
    if not EmptyForm().validate_on_submit():
        abort(400, "The sign-out button had expired. Reload the page and press it again.")
    user = signed_in()
    if user is not None:
        db = get_db()
        storage.rotate_session_token(db, user.id)
        storage.audit(db, user, "logout", user.email)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"), 303)


@bp.get("/home")
@login_required
def home():
    """The landing page of the signed-in user's role."""
    return redirect(home_url(current_user))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; this session goes on, every other one ends."""
    form = ChangePasswordForm()
    if not form.is_submitted():
        return render_template("auth/password.html", form=form)
    if not form.validate():
        return render_template("auth/password.html", form=form), REFUSED_STATUS
    db = get_db()
    right, wait = _check_password(
        db, throttle.pair_key(current_user.email), current_user.password_hash,
        form.current_password.data,
    )
    if wait:
        return throttled_page("auth/password.html", wait, form=form)
    if not right:
        form.current_password.errors.append("The current password is not right.")
        return render_template("auth/password.html", form=form), REFUSED_STATUS
    user = change_own_password(db, current_user, form.new_password.data)
    _start_session(user)
    flash("Your password has been changed. You are still signed in here; "
          "every other session of yours has ended.")
    return redirect(url_for("auth.home"), 303)
