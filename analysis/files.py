"""Files that hold what people said, created readable by their owner only.

Exports, theme tables, links files and backups hold answers, comments or
invitation links. A process's umask decides who can read a file created with
plain ``open()``: the common 0o022 makes it world-readable, and 0o000 even
world-writable. So every such file is created with an explicit mode and then
``fchmod``-ed to exactly that mode, whatever the umask or an earlier file of
the same name said.

One setting widens this for a team: ``TRINITY_FILE_GROUP`` names a group (or
gid) that may read the files; they are then created 0640 (folders 0750) and
given that group. Nobody else ever gets access. (``docs/security.md``, "Files
and permissions".)

Kept in ``analysis`` because the analysis command line writes such files too
and must not import the app; the app builds on it (``survey_app.files``).
"""

from __future__ import annotations

import grp
import io
import os
from pathlib import Path

__all__ = ["GROUP_VARIABLE", "shared_group", "file_mode", "dir_mode", "restrict",
           "make_private_dir", "open_private", "write_private_text"]

#: Environment variable naming the group that may read our files.
GROUP_VARIABLE = "TRINITY_FILE_GROUP"

OWNER_FILE_MODE = 0o600
OWNER_DIR_MODE = 0o700
GROUP_FILE_MODE = 0o640
GROUP_DIR_MODE = 0o750


def shared_group() -> int | None:
    """The gid of ``$TRINITY_FILE_GROUP``, ``None`` when unset.

    Raises ``RuntimeError`` for a group this machine does not know, rather
    than silently keeping (or widening) the default.

    >>> shared_group() is None  # TRINITY_FILE_GROUP unset
    True
    """
    name = os.environ.get(GROUP_VARIABLE, "").strip()
    if not name:
        return None
    if name.isdigit():
        return int(name)
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise RuntimeError(f"{GROUP_VARIABLE}={name!r}: no such group on this machine") from None


def file_mode() -> int:
    """The mode our files get: 0600, or 0640 with a shared group.

    >>> oct(file_mode())  # TRINITY_FILE_GROUP unset
    '0o600'
    """
    return OWNER_FILE_MODE if shared_group() is None else GROUP_FILE_MODE


def dir_mode() -> int:
    """The mode the folders we create get: 0700, or 0750 with a shared group.

    >>> oct(dir_mode())  # TRINITY_FILE_GROUP unset
    '0o700'
    """
    return OWNER_DIR_MODE if shared_group() is None else GROUP_DIR_MODE


def restrict(path: str | os.PathLike, *, folder: bool = False) -> None:
    """Give an existing file (or folder) exactly our mode and group.

    Only for paths this user owns: someone else's file is theirs to set.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "old.csv")
    >>> open(path, "w").close(); os.chmod(path, 0o666)
    >>> restrict(path); oct(os.stat(path).st_mode & 0o777)
    '0o600'
    """
    path = Path(path)
    info = path.stat()
    if info.st_uid != os.geteuid():
        return
    gid = shared_group()
    if gid is not None and info.st_gid != gid:
        os.chown(path, -1, gid)
    mode = dir_mode() if folder else file_mode()
    if info.st_mode & 0o7777 != mode:
        os.chmod(path, mode)


def make_private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and missing parents) as folders only we can enter.

    Folders that already exist are left as they are (an operator's
    ``/var/lib`` is not ours to change); only the ones created here get the
    private mode.

    >>> import os, tempfile
    >>> made = make_private_dir(os.path.join(tempfile.mkdtemp(), "exports", "q4"))
    >>> oct(os.stat(made).st_mode & 0o777), oct(os.stat(made.parent).st_mode & 0o777)
    ('0o700', '0o700')
    """
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        restrict(folder, folder=True)
    return path


def open_private(
    path: str | os.PathLike, mode: str = "w", *, encoding: str | None = "utf-8",
    newline: str | None = None,
) -> io.IOBase:
    """``open(path, mode)`` for writing, the file readable by its owner only.

    ``mode`` is ``"w"``/``"wb"`` (replace) or ``"a"``/``"ab"`` (append). The
    file is created with the private mode (so it is never readable by others,
    not even for a moment) and ``fchmod``-ed to it, which also tightens a
    file left by an earlier, laxer run.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "links.csv")
    >>> with open_private(path) as handle:
    ...     _ = handle.write("url\\n")
    >>> oct(os.stat(path).st_mode & 0o777)
    '0o600'
    """
    if mode not in ("w", "wb", "a", "ab"):
        raise ValueError(f"open_private: mode must be w, wb, a or ab, got {mode!r}")
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_APPEND if mode.startswith("a") else os.O_TRUNC
    wanted = file_mode()
    fd = os.open(path, flags, wanted)
    try:
        gid = shared_group()
        if gid is not None:
            os.fchown(fd, -1, gid)
        os.fchmod(fd, wanted)
    except BaseException:
        os.close(fd)
        raise
    if "b" in mode:
        return os.fdopen(fd, mode)
    return os.fdopen(fd, mode, encoding=encoding, newline=newline)


def write_private_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """``Path(path).write_text(text)``, readable by its owner only.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "themes.csv")
    >>> write_private_text(path, "theme_id,text\\n")
    >>> oct(os.stat(path).st_mode & 0o777), Path(path).read_text()
    ('0o600', 'theme_id,text\\n')
    """
    with open_private(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
