"""archivegen: a static-site generator for news archives."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

__version__ = "0.1.0"


@lru_cache(maxsize=None)
def code_id() -> str:
    """The version plus a hash of this package's own code and data.

    Every cache key is salted with it rather than with the version alone, so
    an archivegen edited or installed from a newer commit under the same
    version number never reuses bodies or pages the old code rendered (a
    linker rule that changes shows up at once, not after ``--force``).
    """
    return f"{__version__}+{package_digest(Path(__file__).parent)}"


def package_digest(root: Path) -> str:
    """A hash of the code and data files under ``root`` (names and bytes; no bytecode)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml", ".json") and "__pycache__" not in path.parts and path.is_file():
            h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
