"""Settings for the survey app, read from the environment with safe defaults.

Only what cannot be derived lives here. Two settings depend on the instance
folder, which is known only once the app exists, so :func:`survey_app.create_app`
finishes them: ``DATABASE`` (default ``<instance>/trinity.sqlite3``) and
``SECRET_KEY`` (when ``TRINITY_SECRET_KEY`` is unset, a random key is created
once and kept in ``<instance>/secret_key``, so sessions and CSRF tokens survive
a restart and no key is ever hard-coded).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Name of the file in the instance folder that keeps the generated secret key.
SECRET_KEY_FILE = "secret_key"
#: Name of the database file in the instance folder when TRINITY_DATABASE is unset.
DEFAULT_DATABASE_FILE = "trinity.sqlite3"


def _env_number(name: str, default, kind=int):
    """``$name`` as a number, ``default`` when unset; a clear error when it is not one."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a {'whole ' if kind is int else ''}number, "
                           f"got {value!r}") from None


def theme_embeddings_from_environment() -> str | None:
    """``TRINITY_THEME_EMBEDDINGS``: the comment themes' word embeddings.

    "wordllama" (the default) or "none" (words alone, docs/themes.md step
    4b: for a company that does not want a model derived from LLaMA 2's
    token embeddings in its reports); anything else is refused at start.
    """
    value = (os.environ.get("TRINITY_THEME_EMBEDDINGS") or "wordllama").strip().lower()
    if value == "none":
        return None
    if value != "wordllama":
        raise RuntimeError("TRINITY_THEME_EMBEDDINGS must be 'wordllama' (the default) or 'none', "
                           f"got {os.environ.get('TRINITY_THEME_EMBEDDINGS')!r}")
    return value


def _database_from_environment() -> str | None:
    """``TRINITY_DATABASE_URL`` (PostgreSQL) if set, else ``TRINITY_DATABASE`` (a SQLite file)."""
    url = os.environ.get("TRINITY_DATABASE_URL")
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise RuntimeError("TRINITY_DATABASE_URL must be a postgresql:// URL such as "
                               f"postgresql://trinity_app@db.example.org/trinity, got {url!r}")
        return url
    return os.environ.get("TRINITY_DATABASE") or None


def _port_from_environment(name: str, default: int) -> int:
    """A TCP port from the environment; a typo stops the app with the variable named."""
    port = _env_number(name, default)
    if not 0 < port < 65536:
        raise RuntimeError(f"{name} must be a port number from 1 to 65535, got {port}")
    return port


class Config:
    """Defaults, each overridable by an environment variable.

    Environment variables
    ---------------------
    TRINITY_SECRET_KEY
        Signs the session and CSRF tokens. Set it when several processes or
        hosts serve the same pulse; otherwise one is generated and persisted.
    TRINITY_DATABASE
        Path of the SQLite file.
    TRINITY_DATABASE_URL
        A ``postgresql://user:password@host/dbname`` URL: the app then keeps
        everything in PostgreSQL instead (docs/deploy.md) and
        ``TRINITY_DATABASE`` is ignored. ``DATABASE`` holds the URL then.
    TRINITY_DATABASE_POOL_SIZE
        PostgreSQL connections each process keeps open (default 4).
    TRINITY_SECURE_COOKIES
        ``1`` when the app is served over HTTPS: cookies are then sent over
        HTTPS only. Off by default so the app works on http://127.0.0.1.
    TRINITY_SMTP_HOST, TRINITY_SMTP_PORT, TRINITY_SMTP_USER, TRINITY_SMTP_PASSWORD
        The mail server that sends invitation links. Without a host, each
        mail is written as an ``.eml`` file to ``<instance>/outbox/<pulse>/``
        instead (the demo and local runs). Port 587 by default; 465 means
        TLS from the first byte.
    TRINITY_SMTP_STARTTLS
        ``0`` turns off STARTTLS (only for a relay on localhost); on by default,
        so passwords and links never cross the network in clear.
    TRINITY_MAIL_FROM
        The sender address of invitation mails.
    TRINITY_ARGON2_MEMORY_KIB, TRINITY_ARGON2_TIME_COST, TRINITY_ARGON2_PARALLELISM
        The cost of argon2id password hashes; default OWASP's minimum
        (19456 KiB, 2, 1). Lower values are refused outside tests; raising
        them rehashes each password at its owner's next login.
    TRINITY_LOGIN_FREE_FAILURES, TRINITY_LOGIN_BASE_DELAY, TRINITY_LOGIN_MAX_DELAY
        Login throttling per (account, address) pair: failures before the
        first delay (5), the first delay in seconds (1, doubled at each
        further failure) and its cap in seconds (300).
    TRINITY_TRUSTED_PROXIES
        How many proxies stand in front of the app (0, the default: none).
        Their ``X-Forwarded-For``/``-Proto``/``-Host`` headers are believed for
        that many hops, so HTTPS (Secure cookies, HSTS) and the client's
        address (rate limits, throttling) are seen behind a TLS proxy.
    TRINITY_TRUSTED_HOSTS
        Comma-separated host names the app answers to (Flask's
        ``TRUSTED_HOSTS``; ``.example.org`` matches subdomains). Unset: any.
    TRINITY_OPEN_LINK_RATE, TRINITY_LOGIN_RATE
        Per-address rate limits as ``HITS/SECONDS`` (defaults ``60/60`` and
        ``100/60``; see survey_app/ratelimit.py for the reasoning).
    TRINITY_REPORT_INLINE_MAX
        Pulses of at most this many responses (default 20000) get their
        leaders' report built in the request that first needs it; larger
        ones in the background, the previous snapshot's report shown
        meanwhile (survey_app/reports/building.py).
    TRINITY_THEME_EMBEDDINGS
        ``wordllama`` (default) or ``none``: whether the reports' comment
        themes use word embeddings beside the words (docs/themes.md, step
        4b). Stored reports built the other way are rebuilt.
    TRINITY_RATELIMIT_DATABASE
        The rate limits' own database: a SQLite file (default
        ``<instance>/ratelimit.sqlite3``) or a ``postgresql://`` URL. With
        PostgreSQL the default is the database named ``<name>_ratelimit`` on
        the same server, so every app server counts in one place.
    """

    SECRET_KEY = os.environ.get("TRINITY_SECRET_KEY") or None
    # The database: a SQLite path or, from TRINITY_DATABASE_URL, a
    # postgresql:// URL. A caller's settings may give DATABASE_URL instead
    # (survey_app.db.init_app moves it into DATABASE).
    DATABASE = _database_from_environment()
    DATABASE_URL = None
    # A pulse takes a few minutes, but people open the link, get pulled into a
    # meeting and come back hours later; an expired token would throw their
    # answers away. CSRF protection does not need expiry to work: the token is
    # still tied to the browser's signed session.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = os.environ.get("TRINITY_SECURE_COOKIES") == "1"
    # The longest form (two 2000-character comments, a few recall answers)
    # is a few kilobytes; anything far bigger is not a survey answer.
    # Enforced by werkzeug while the body is read, so a chunked body without
    # a Content-Length is cut off at the limit too (413).
    MAX_CONTENT_LENGTH = 256 * 1024
    SMTP_HOST = os.environ.get("TRINITY_SMTP_HOST") or None
    SMTP_PORT = _port_from_environment("TRINITY_SMTP_PORT", 587)
    SMTP_USER = os.environ.get("TRINITY_SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("TRINITY_SMTP_PASSWORD") or None
    SMTP_STARTTLS = os.environ.get("TRINITY_SMTP_STARTTLS", "1") != "0"
    MAIL_FROM = os.environ.get("TRINITY_MAIL_FROM") or "pulse@localhost"

    # The longest form has a few dozen fields; werkzeug refuses more parts
    # (413) before parsing them all.
    MAX_FORM_PARTS = 1000
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    # A chunked body (no Content-Length) is read into memory up to this
    # ceiling, the largest body any route takes (the admin's 4 MiB uploads
    # and their form), then each route's own limit applies (security.py).
    MAX_CHUNKED_BODY = 4 * 1024 * 1024 + 64 * 1024

    # Web hardening (survey_app/security.py, survey_app/ratelimit.py).
    TRUSTED_PROXIES = _env_number("TRINITY_TRUSTED_PROXIES", 0)
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRINITY_TRUSTED_HOSTS", "").split(",")
                     if h.strip()] or None
    # A first build takes 6 s at 10,000 responses and 36 s at 100,000 here
    # (docs/benchmarks.md): 20,000 stay well inside a gunicorn worker's 30 s.
    REPORT_INLINE_MAX_RESPONSES = _env_number("TRINITY_REPORT_INLINE_MAX", 20000)
    THEME_EMBEDDINGS = theme_embeddings_from_environment()
    OPEN_LINK_RATE = os.environ.get("TRINITY_OPEN_LINK_RATE") or "60/60"
    LOGIN_RATE = os.environ.get("TRINITY_LOGIN_RATE") or "100/60"
    RATELIMIT_DATABASE = os.environ.get("TRINITY_RATELIMIT_DATABASE") or None
    RATELIMIT_ENABLED = True

    # Accounts (docs/accounts.md). Flask-Login drops a session used from
    # another address or browser ("strong" session protection).
    SESSION_PROTECTION = "strong"
    PASSWORD_HASH_PARAMS = {
        "memory_cost": _env_number("TRINITY_ARGON2_MEMORY_KIB", 19456),
        "time_cost": _env_number("TRINITY_ARGON2_TIME_COST", 2),
        "parallelism": _env_number("TRINITY_ARGON2_PARALLELISM", 1),
    }
    LOGIN_THROTTLE_FREE_FAILURES = _env_number("TRINITY_LOGIN_FREE_FAILURES", 5)
    LOGIN_THROTTLE_BASE_DELAY = _env_number("TRINITY_LOGIN_BASE_DELAY", 1.0, float)
    LOGIN_THROTTLE_MAX_DELAY = _env_number("TRINITY_LOGIN_MAX_DELAY", 300.0, float)
    #: A pair whose last failure is older than this (seconds) starts afresh.
    LOGIN_THROTTLE_FORGET_AFTER = 24 * 3600.0


def load_or_create_secret_key(instance_path: str | os.PathLike) -> str:
    """Return the key kept in the instance folder, creating it on first use.

    Created with ``O_EXCL`` and mode 0600, so two processes starting at once
    agree on one key and other users of the machine cannot read it.
    """
    path = Path(instance_path) / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if not key:
            raise RuntimeError(
                f"{path} is empty; delete it to generate a new secret key "
                "or set TRINITY_SECRET_KEY"
            ) from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key
