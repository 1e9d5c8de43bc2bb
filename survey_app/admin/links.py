"""Invitation links as full URLs, and the links file an admin may download.

Shared by the admin pages and the ``invite`` command, so a link mailed, a
link downloaded and a link written by the command are built the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import current_app, url_for

#: A spreadsheet reads a cell starting with one of these as a formula (or,
#: for tab and carriage return, may shift it into one): CSV injection, OWASP.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Columns of the links file.
LINKS_HEADER = ("email", "link")


def guard_cell(text: str) -> str:
    """``text`` safe to open in a spreadsheet: a leading ``'`` before a formula start.

    Example
    -------
    >>> guard_cell("=HYPERLINK(\\"http://evil\\")"), guard_cell("ann@example.com")
    ('\\'=HYPERLINK("http://evil")', 'ann@example.com')
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def invitation_urls(issued: Iterable, base_url: str) -> list[tuple[str, str]]:
    """(email, full link) for each issued link (``.email``, ``.token``).

    The URL comes from the survey's own route, built as if served at
    ``base_url``, so a command run far from any request writes the same
    links the pages do.
    """
    with current_app.test_request_context(base_url=base_url):
        return [
            (link.email, url_for("survey.invitation", token=link.token, _external=True))
            for link in issued
        ]


def links_csv(rows: Iterable[tuple[str, str]]) -> str:
    """The links file: a header, then one guarded (email, link) row per person."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LINKS_HEADER)
    for email, link in rows:
        writer.writerow([guard_cell(email), guard_cell(link)])
    return out.getvalue()
