"""The database's files on disk: created, and kept, readable by their owner only.

The raw database is the server operator's (``docs/security.md``): it holds
every answer, the spent and unspent invitations and, while a pulse runs,
the roster's emails; analysts get exports instead. SQLite creates a new
database 0644 minus the umask, and its ``-wal`` and ``-shm`` files with the
database file's own mode, so getting the database file right gets all three
right: :func:`secure_database` creates it empty with our private mode before
SQLite opens it, and tightens a file (and its WAL and SHM) left wider by an
older version or a copy. The modes and the shared-group setting are
:mod:`analysis.files`'s, shared with every export and links file.
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis import files

#: Files SQLite keeps beside a database in WAL mode.
SIDE_FILES = ("-wal", "-shm", "-journal")


def secure_database(path: str | os.PathLike) -> None:
    """Make sure ``path`` and its side files exist only with our private mode.

    Called by :func:`survey_app.db.connect` before SQLite opens the file;
    cheap (a few ``stat`` calls) when everything is already right.
    """
    path = Path(path)
    files.make_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.file_mode())
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for name in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
        try:
            files.restrict(name)
        except FileNotFoundError:
            continue
