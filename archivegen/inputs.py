"""What may be read as an input file.

An archive folder can hold more than regular files: a named pipe blocks
the reader until someone writes to it (a build would hang for ever), a
device never ends, and a symbolic link can point at itself. Everything the
build reads from content/, templates/ and archive.yaml is asked here first,
so such an entry is reported at its path instead.
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
