"""Password hashing (argon2id), the password rules, and generated passwords.

The cost comes from the app's ``PASSWORD_HASH_PARAMS`` setting, by default
OWASP's minimum for argon2id (m = 19 MiB, t = 2, p = 1; OWASP Password Storage
Cheat Sheet). :func:`survey_app.create_app` refuses anything weaker outside
tests, so only a test that asks for it runs with a cheap hash.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from survey_app.storage import UserError

#: OWASP's minimum for argon2id: memory in KiB, iterations, parallelism.
OWASP_MINIMUM = {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}
#: The default cost: the minimum itself (each login spends ~20 MiB for a few
#: tens of milliseconds; raise it in the settings on a bigger server).
DEFAULT_HASH_PARAMS = dict(OWASP_MINIMUM)

MIN_PASSWORD_LENGTH = 12
#: Longer input is refused before hashing: no one types 1024 characters,
#: and a megabyte-long "password" should not cost the server anything.
MAX_PASSWORD_LENGTH = 1024
#: Generated passwords: 20 characters from 31 that cannot be misread
#: (no 0/o, 1/l/i), in groups of five, about 99 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class PasswordRejected(UserError):
    """A new password that does not meet the rules."""


def check_params(params: dict) -> dict:
    """The three cost parameters, as integers; refuse unknown keys."""
    unknown = set(params) - set(OWASP_MINIMUM)
    if unknown:
        raise ValueError(
            f"PASSWORD_HASH_PARAMS: unknown key(s) {', '.join(sorted(unknown))} "
            f"(expected {', '.join(OWASP_MINIMUM)})"
        )
    return {key: int(params.get(key, DEFAULT_HASH_PARAMS[key])) for key in OWASP_MINIMUM}


def below_minimum(params: dict) -> list[str]:
    """The parameters weaker than OWASP's minimum, as ``"name=value < minimum"``."""
    params = check_params(params)
    return [
        f"{key}={params[key]} < {minimum}"
        for key, minimum in OWASP_MINIMUM.items()
        if params[key] < minimum
    ]


@lru_cache(maxsize=8)
def _hasher_and_dummy(memory_cost: int, time_cost: int, parallelism: int):
    hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )
    # Verified against when the account does not exist, so an unknown email
    # costs the same hash computation as a wrong password.
    dummy = hasher.hash(secrets.token_urlsafe(16))
    return hasher, dummy


def _current_params() -> dict:
    from flask import current_app, has_app_context

    if has_app_context():
        return check_params(current_app.config.get("PASSWORD_HASH_PARAMS") or {})
    return dict(DEFAULT_HASH_PARAMS)


def hasher() -> PasswordHasher:
    """The app's :class:`argon2.PasswordHasher` (argon2id, the configured cost)."""
    return _hasher_and_dummy(**_current_params())[0]


def check_new_password(password: object) -> str:
    """Return the password if it meets the rules, else :class:`PasswordRejected`."""
    if not isinstance(password, str) or not password:
        raise PasswordRejected("a password is required")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"the password is {len(password)} characters long; "
            f"it needs at least {MIN_PASSWORD_LENGTH}"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise PasswordRejected("the password cannot be only spaces")
    return password


def hash_password(password: str) -> str:
    """Check a new password against the rules and hash it."""
    return hasher().hash(check_new_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; ``None`` (no such account) is always False.

    Without an account the dummy hash is verified instead, so both answers
    take one argon2 computation. Input longer than the rules allow is
    compared the same way and fails.
    """
    hasher_, dummy = _hasher_and_dummy(**_current_params())
    if not isinstance(password, str):
        password = ""
    candidate = password[:MAX_PASSWORD_LENGTH + 1]
    try:
        hasher_.verify(password_hash or dummy, candidate)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None and len(password) <= MAX_PASSWORD_LENGTH


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    return hasher().check_needs_rehash(password_hash)


def generate_password() -> str:
    """A random password to hand out once, e.g. ``k7pqm-3tzna-x2hd9-wr4ve``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return "-".join(chars[i:i + 5] for i in range(0, 20, 5))
