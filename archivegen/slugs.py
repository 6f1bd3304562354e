"""URL slugs: lowercase ASCII words joined by hyphens, safe on every host."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_LEN = 80


def slugify(text: str) -> str:
    """'Kerry: talks in Genève' -> 'kerry-talks-in-geneve' (accents folded)."""
    text = text.replace("’", "").replace("'", "")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_LEN:
        slug = slug[:MAX_LEN].rsplit("-", 1)[0] or slug[:MAX_LEN]
    if slug in WINDOWS_RESERVED:  # 'Con', 'Aux': no folder of that name on Windows
        slug += "-1"
    return slug


def slug_problem(slug: str) -> str | None:
    """Why a slug is unusable in a URL and file name, or None when it is fine."""
    if not slug:
        return "slug is empty"
    if "\x00" in slug:
        return "slug contains a NUL character"
    if "/" in slug or "\\" in slug:
        return f"slug '{slug}' contains a path separator"
    if ".." in slug:
        return f"slug '{slug}' contains '..'"
    if slug.split(".")[0].lower() in WINDOWS_RESERVED:
        return f"slug '{slug}' is a name Windows reserves"
    if len(slug) > 200:
        return "slug is longer than 200 characters"
    if not SLUG_RE.match(slug):
        return f"slug '{slug}' may hold only lowercase letters, digits and single hyphens"
    return None
