"""A checked roster waiting for the admin's "import" between two requests.

The preview and the import are two requests; the roster in between holds
every invitee's email, so it is kept neither in the cookie (which the browser
keeps and sends everywhere) nor in a hidden field (which the browser would
send back changed, or not at all). It is a file under the instance folder,
mode 0600, named by a random id that the confirm form carries, removed once
imported or cancelled, and any left behind for longer than
:data:`MAX_AGE_SECONDS` are removed by the next upload.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

#: A checked roster not imported within this time has to be uploaded again.
MAX_AGE_SECONDS = 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _folder(instance_path: str | os.PathLike, slug: str) -> Path:
    return Path(instance_path) / "pending-rosters" / slug


def _path(instance_path, slug: str, upload_id: str) -> Path | None:
    """The file of ``upload_id``, or ``None`` for an id that is not one of ours."""
    if not isinstance(upload_id, str) or not _ID.match(upload_id):
        return None
    return _folder(instance_path, slug) / f"{upload_id}.json"


def prune(instance_path, slug: str, now: float | None = None) -> None:
    """Remove this pulse's checked rosters older than :data:`MAX_AGE_SECONDS`."""
    folder = _folder(instance_path, slug)
    if not folder.is_dir():
        return
    limit = (time.time() if now is None else now) - MAX_AGE_SECONDS
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass  # another worker removed it first


def save(instance_path, slug: str, source: str, text: str) -> str:
    """Keep a checked roster; return the id the confirm form carries."""
    prune(instance_path, slug)
    folder = _folder(instance_path, slug)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    upload_id = secrets.token_urlsafe(24)
    fd = os.open(_path(instance_path, slug, upload_id),
                 os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"source": source, "text": text}, fh)
    return upload_id


def load(instance_path, slug: str, upload_id: str) -> tuple[str, str] | None:
    """(source, text) of a kept roster, or ``None`` when it is gone or expired."""
    path = _path(instance_path, slug, upload_id)
    if path is None:
        return None
    try:
        if path.stat().st_mtime < time.time() - MAX_AGE_SECONDS:
            path.unlink()
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data["source"], data["text"]


def discard(instance_path, slug: str, upload_id: str | None = None) -> None:
    """Remove one kept roster, or every one of the pulse when ``upload_id`` is None."""
    if upload_id is None:
        folder = _folder(instance_path, slug)
        for path in folder.glob("*.json") if folder.is_dir() else ():
            path.unlink(missing_ok=True)
        if folder.is_dir():
            folder.rmdir()
        return
    path = _path(instance_path, slug, upload_id)
    if path is not None:
        path.unlink(missing_ok=True)
