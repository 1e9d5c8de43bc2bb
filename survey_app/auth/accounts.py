"""Account operations shared by the pages, the command line and the demo.

Each one checks its input, hashes any password, changes the account through
:mod:`survey_app.storage` and writes its audit row.
"""

from __future__ import annotations

from typing import Any

from survey_app import storage
from survey_app.auth.passwords import generate_password, hash_password

#: The demo's accounts live under a reserved domain (RFC 2606), one per role.
DEMO_EMAIL_DOMAIN = "demo.trinity-pulse.example"


def create_account(
    db, email: str, role: str, password: str, department: str | None = None, *, actor: Any = None
) -> storage.User:
    """Create an account with ``password``; raise :class:`storage.UserError` on bad input.

    Checks the email, role and department before the (deliberately slow)
    hash, so a mistake is reported at once.
    """
    email = storage.normalise_email(email)
    role, department = storage.check_role(role, department)
    if storage.get_user_by_email(db, email) is not None:
        raise storage.DuplicateEmail(email)
    user = storage.create_user(db, email, role, hash_password(password), department)
    storage.audit(db, actor, "create account", user.email, role_text(user))
    return user


def role_text(user: storage.User) -> str:
    """``role manager (Sales)`` / ``role analyst``: how logs and messages name a role."""
    return f"role {user.role}" + (f" ({user.department})" if user.department else "")


def change_role(db, user: storage.User, role: str, department: str | None, *, actor: Any):
    """Give ``user`` a new role; audited as before -> after. Their sessions end."""
    updated = storage.set_role(db, user.id, role, department)
    storage.audit(db, actor, "change role", user.email, f"{role_text(user)} -> {role_text(updated)}")
    return updated


def set_disabled(db, user: storage.User, disabled: bool, *, actor: Any) -> storage.User:
    """Disable or enable ``user``; disabling ends their sessions."""
    updated = storage.set_disabled(db, user.id, disabled)
    storage.audit(db, actor, "disable account" if disabled else "enable account", user.email)
    return updated


def reset_password(db, user: storage.User, *, actor: Any) -> tuple[storage.User, str]:
    """Give ``user`` a generated password; return it (to be shown once)."""
    password = generate_password()
    updated = storage.set_password_hash(db, user.id, hash_password(password))
    storage.audit(db, actor, "reset password", user.email)
    return updated, password


def change_own_password(db, user: storage.User, new_password: str) -> storage.User:
    """The user's own change; every other session of theirs ends."""
    updated = storage.set_password_hash(db, user.id, hash_password(new_password))
    storage.audit(db, user, "change password", user.email)
    return updated


def create_demo_accounts(db, department: str) -> list[tuple[str, str, str]]:
    """One account per role with a generated password, for the demo.

    The manager manages ``department``. Returns ``(email, role, password)``
    for each, in :data:`storage.ROLES` order, to be printed beside the login
    URL; only the hashes are stored. Raises :class:`storage.DuplicateEmail`
    when the demo's accounts already exist.
    """
    created = []
    for role in storage.ROLES:
        email = f"{role}@{DEMO_EMAIL_DOMAIN}"
        password = generate_password()
        create_account(
            db, email, role, password,
            department=department if role == "manager" else None, actor="demo",
        )
        created.append((email, role, password))
    return created
