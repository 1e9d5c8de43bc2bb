"""Account commands: ``create-user``, ``list-users``, ``set-role``, ``disable-user``.

The command line is the server operator's tool, so it can do what the admin
pages refuse (change or disable any account, including the last admin's).
Every bad input ends with one clear line and exit code 2; every change is
written to the audit log as done by ``command line``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext

from survey_app import storage
from survey_app.auth import accounts
from survey_app.auth.passwords import PasswordRejected, check_new_password
from survey_app.commands import BadInput, _open_database

#: How the command line appears in the audit log.
CLI_ACTOR = "command line"

_role_option = click.option(
    "--department",
    default=None,
    help="The department a manager sees (managers only), spelt as in the roster.",
)


def _read_password() -> str:
    """The new password: a hidden prompt asked twice, or stdin's first line."""
    if sys.stdin is not None and sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        password = line.rstrip("\r\n")
    try:
        return check_new_password(password)
    except PasswordRejected as exc:
        raise BadInput(f"password refused: {exc}") from None


@contextmanager
def _accounts_db() -> Iterator:
    """The database for one command; a refused account change exits with code 2."""
    db = _open_database()
    try:
        yield db
    except storage.UserError as exc:
        raise BadInput(str(exc)) from None
    finally:
        db.close()


def _user(db, email: str) -> storage.User:
    user = storage.get_user_by_email(db, email)
    if user is None:
        raise BadInput(f"no account with email {email.strip().lower()!r} (see list-users)")
    return user


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(storage.ROLES),
    help="admin, ceo, clo, cmo, analyst or manager.",
)
@_role_option
def create_user_command(email: str, role: str, department: str | None):
    """Create an account; the password is asked twice, hidden.

    When standard input is not a terminal, the password is its first line
    instead (for scripts). At least 12 characters.

    Example:

    \b
        flask --app survey_app create-user ana@example.org --role admin
        flask --app survey_app create-user sam@example.org --role manager --department Sales
        printf '%s\\n' "$PASSWORD" | flask --app survey_app create-user bo@example.org --role analyst
    """
    with _accounts_db() as db:
        # Everything but the password is checked first, so a typo is reported
        # before anyone types a password.
        email = storage.normalise_email(email)
        storage.check_role(role, department)
        if storage.get_user_by_email(db, email) is not None:
            raise storage.DuplicateEmail(email)
        password = _read_password()
        user = accounts.create_account(db, email, role, password, department, actor=CLI_ACTOR)
    click.echo(f"Created {user.email}, {accounts.role_text(user)}.")


@click.command("list-users")
@with_appcontext
def list_users_command():
    """List every account: email, role, department, state, last sign-in.

    Example:

    \b
        flask --app survey_app list-users
    """
    with _accounts_db() as db:
        users = storage.list_users(db)
    if not users:
        click.echo("No accounts yet. Try: flask --app survey_app create-user EMAIL --role admin")
    for user in users:
        state = "disabled" if user.disabled else "active"
        click.echo(
            f"{user.email}\t{user.role}\t{user.department or '-'}\t{state}\t"
            f"last sign-in {user.last_login_at or 'never'}"
        )


@click.command("set-role")
@with_appcontext
@click.argument("email")
@click.argument("role", type=click.Choice(storage.ROLES))
@_role_option
def set_role_command(email: str, role: str, department: str | None):
    """Give an account another role; its sessions end.

    Example:

    \b
        flask --app survey_app set-role sam@example.org manager --department Operations
        flask --app survey_app set-role sam@example.org analyst
    """
    with _accounts_db() as db:
        updated = accounts.change_role(db, _user(db, email), role, department, actor=CLI_ACTOR)
    click.echo(f"{updated.email} now has {accounts.role_text(updated)}.")


@click.command("disable-user")
@with_appcontext
@click.argument("email")
def disable_user_command(email: str):
    """Disable an account: it can no longer sign in and its sessions end.

    Example:

    \b
        flask --app survey_app disable-user sam@example.org
    """
    with _accounts_db() as db:
        user = _user(db, email)
        if user.disabled:
            click.echo(f"{user.email} was already disabled.")
            return
        accounts.set_disabled(db, user, True, actor=CLI_ACTOR)
    click.echo(f"{user.email} is disabled; its sessions have ended.")


ACCOUNT_COMMANDS = (
    create_user_command,
    list_users_command,
    set_role_command,
    disable_user_command,
)
