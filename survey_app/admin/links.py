"""Invitation links as full URLs, and the links file an admin may download.

Shared by the admin pages and the ``invite`` command, so a link mailed, a
link downloaded and a link written by the command are built the same way.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from flask import current_app, url_for

from analysis import csv_safe

#: Columns of the links file.
LINKS_HEADER = ("email", "link")


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
    """The links file: a header, then one (email, link) row per person.

    Every cell is formula-guarded by the one helper all our CSVs share
    (:mod:`analysis.csv_safe`): an email may begin with ``=`` or ``+``.
    """
    out = io.StringIO()
    writer = csv_safe.writer(out, lineterminator="\r\n")
    writer.writerow(LINKS_HEADER)
    writer.writerows(rows)
    return out.getvalue()
