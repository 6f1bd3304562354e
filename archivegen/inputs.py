"""What may be read as an input file.

An archive folder can hold more than regular files: a named pipe blocks
the reader until someone writes to it (a build would hang for ever), a
device never ends, and a symbolic link can point at itself. Everything the
build reads from content/, templates/ and archive.yaml is asked here first,
so such an entry is reported at its path instead. Where a command writes
(``new``, ``import``), ``not_a_folder`` names a file standing where a folder
must be; where the build reads a folder, ``unreadable_folder`` says why it
cannot.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISREG, "a file"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder"))
_LOOP = "symbolic link loop (the link leads back to itself)"


def _what(mode: int) -> str:
    """What a stat mode is, in words ("a named pipe")."""
    return next((what for test, what in _KINDS if test(mode)), "something else")


def not_a_file(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a file (after following links), or None if it can.

    A path that does not exist is left to the reader, whose message names
    what went wrong; only what would hang or mislead it is caught here.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _LOOP
        return None
    return None if stat.S_ISREG(mode) else f"not a regular file but {_what(mode)}"


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
                return part, _LOOP
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # missing, or a part above is not a folder
                continue
            return None
        return None if stat.S_ISDIR(mode) else (part, f"not a folder but {_what(mode)}")
    return None


def unreadable_folder(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a folder (after following links), or None if it can or is absent.

    content/articles, content/people and content/countries replaced by a
    file were read as empty folders: the build succeeded and took every
    article or person off the site. An absent folder is the caller's to judge.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"not a folder but a {_LOOP}"
        if os.path.islink(path):
            return "not a folder but a symbolic link to nothing (its target is missing)"
        return None
    return None if stat.S_ISDIR(mode) else f"not a folder but {_what(mode)}"


# What editors and file managers leave beside the files they handle: never an input, never worth a word
_JUNK_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig")
_JUNK_NAMES = frozenset({"Thumbs.db", "desktop.ini", "Icon\r"})


def is_junk(name: str) -> bool:
    """Whether a folder entry is a dotfile or editor/OS debris (.DS_Store, notes.md~, .x.swp, #x.md#).

    Files the build does not read are warned about (a story saved as .txt
    would otherwise vanish unseen); these are left out of that silently."""
    return (name.startswith(".") or name.endswith(_JUNK_SUFFIXES) or name in _JUNK_NAMES
            or (name.startswith("#") and name.endswith("#")))


# Suffixes of files meant as Markdown text: such a file is told to be renamed, anything else to be moved
TEXT_SUFFIXES = (".md", ".markdown", ".mdown", ".mkdn", ".mkd", ".mdwn", ".txt", ".text")


def unread_hint(name: str, where: str) -> str:
    """The hint for a file in ``where`` (content/articles …) that is not read: rename a
    text file to .md, move anything else out."""
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in TEXT_SUFFIXES:
        return f"rename it to {stem}.md"
    return f"only .md files in {where} are read; move it out of content/"
