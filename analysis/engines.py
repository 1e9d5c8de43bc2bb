"""Which database engine a target names, and SQL written once for both.

The app and the analysis loader write their SQL with SQLite's ``?`` (and
``:name``) placeholders; psycopg, PostgreSQL's driver, takes ``%s`` (and
``%(name)s``). Translating at the one point where a statement is sent keeps
every statement written once, for both engines, instead of twice. Kept on the
analysis side because both sides need it and ``analysis`` never imports the
app; nothing here imports psycopg, so SQLite users never load it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

#: URL schemes that name a PostgreSQL database (libpq's two spellings).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

# String literals, quoted identifiers and comments are copied as they are (a
# '?' inside them is text, not a placeholder); '::' is PostgreSQL's cast.
# SQLite's ``x IS ?`` (true also when both are NULL) is PostgreSQL's
# ``x IS NOT DISTINCT FROM $1``: PostgreSQL allows IS only before NULL,
# TRUE or FALSE.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|::|\bIS\s+(?:NOT\s+)?\?|\?"
                     r"|:[A-Za-z_]\w*|%", re.IGNORECASE)


def is_postgres(target) -> bool:
    """True when ``target`` (a path or a URL) names a PostgreSQL database.

    >>> is_postgres("postgresql://trinity_app@db.example.org/trinity")
    True
    >>> is_postgres("instance/trinity.sqlite3")
    False
    """
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def describe(target) -> str:
    """A database as messages name it: a PostgreSQL URL without user or password.

    >>> describe("postgresql://app:secret@db.example.org:5433/trinity")
    'postgresql://db.example.org:5433/trinity'
    >>> describe("instance/trinity.sqlite3")
    'instance/trinity.sqlite3'
    """
    if not is_postgres(target):
        return str(target)
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(target)
    return f"postgresql://{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


@lru_cache(maxsize=2048)
def _translate(sql: str, named: bool) -> str:
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "%":
            return "%%"
        if token == "?" and not named:
            return "%s"
        if token.endswith("?") and not named:
            negated = "NOT" in token.upper()
            return "IS DISTINCT FROM %s" if negated else "IS NOT DISTINCT FROM %s"
        if token.startswith(":") and token != "::" and named:
            return f"%({token[1:]})s"
        if token[0] in "'\"":
            return token.replace("%", "%%")
        return token

    return _TOKENS.sub(replace, sql)


def to_psycopg(sql: str, params=None) -> tuple[str, object]:
    """``sql`` and ``params`` as psycopg takes them.

    Without parameters the statement goes as written (psycopg then does not
    look for placeholders, so a ``%`` needs no escaping); with a mapping,
    ``:name`` placeholders become ``%(name)s``; with a sequence, each ``?``
    becomes ``%s``.

    >>> to_psycopg("SELECT * FROM t WHERE a = ? AND b LIKE '%?'", [1])[0]
    "SELECT * FROM t WHERE a = %s AND b LIKE '%%?'"
    >>> to_psycopg("SELECT 1 FROM t WHERE team IS ?", ["Night"])[0]
    'SELECT 1 FROM t WHERE team IS NOT DISTINCT FROM %s'
    >>> to_psycopg("INSERT INTO t VALUES (:a, :b)", {"a": 1, "b": 2})[0]
    'INSERT INTO t VALUES (%(a)s, %(b)s)'
    """
    if params is None or (not isinstance(params, Mapping) and len(params) == 0):
        return sql, None
    named = isinstance(params, Mapping)
    return _translate(sql, named), params
