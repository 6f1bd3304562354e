"""What may be read as an input file.

An archive folder can hold more than regular files: a named pipe blocks
the reader until someone writes to it (a build would hang for ever), a
device never ends, and a symbolic link can point at itself. Everything the
build reads from content/, templates/ and archive.yaml is asked here first,
so such an entry is reported at its path instead. Where a command writes
(``new``, ``import``), ``not_a_folder`` names a file standing where a folder
must be.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder"))


def not_a_file(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a file (after following links), or None if it can.

    A path that does not exist is left to the reader, whose message names
    what went wrong; only what would hang or mislead it is caught here.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (the link leads back to itself)"
        return None
    if stat.S_ISREG(mode):
        return None
    for test, what in _KINDS:
        if test(mode):
            return f"not a regular file but {what}"
    return "not a regular file"


def not_a_folder(path: str | Path) -> tuple[Path, str] | None:
    """The part of ``path`` that is in the way of making it a folder, and why; None if nothing is.

    ``mkdir(parents=True)`` through a file fails with a bare
    NotADirectoryError, which names neither the part in the way nor what to
    do. Asked first, a command that writes (``new``, ``import``) names that
    part. Parts that do not exist yet are fine: the writer creates them.
    Other errors (permissions) are left to the writer, whose message names
    them.
    """
    for part in (Path(path), *Path(path).parents):
        try:
            mode = os.stat(part).st_mode
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return part, "symbolic link loop (the link leads back to itself)"
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # missing, or a part above is not a folder
                continue
            return None
        if stat.S_ISDIR(mode):
            return None
        what = "a file" if stat.S_ISREG(mode) else next((w for test, w in _KINDS if test(mode)), "something else")
        return part, f"not a folder but {what}"
    return None
