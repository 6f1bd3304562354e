"""Archive settings from ``archive.yaml``: typed, defaulted, validated.

Each option is declared once in ``OPTIONS`` with its type, default and a
comment; ``archivegen init`` writes the same table out as a commented
``archive.yaml``, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from . import frontmatter
from .errors import ContentError, Problems
from .inputs import not_a_file


@dataclass(frozen=True)
class Option:
    name: str
    type: type | tuple[type, ...]
    default: Any
    help: str
    choices: tuple[str, ...] = ()


OPTIONS: tuple[Option, ...] = (
    Option("title", str, "News Archive", "Site title, shown in every page header and in feeds."),
    Option("description", str, "An archive of news articles.", "One line describing the archive (meta description, feeds)."),
    Option("base_url", str, "/", "Where the site is served: '/' or a full URL such as https://user.github.io/archive/."),
    Option("language", str, "en", "Language of the articles (the html lang attribute)."),
    Option("timezone", str, "UTC", "Time zone for dates given without an offset (an IANA name, e.g. Europe/London)."),
    Option("link", str, "first", "Entity links: first mention of each entity, all mentions, or none.", ("first", "all", "none")),
    Option("link_headings", bool, False, "Link entity names inside headings too (they are always counted)."),
    Option("front_page_size", int, 20, "Number of latest articles on the front page."),
    Option("feed_size", int, 50, "Number of entries in each Atom feed."),
    Option("sanitize", bool, False, "Clean raw HTML in article bodies with nh3 (per article: 'sanitize: true')."),
    Option("search", bool, True, "Build the Pagefind search index (the --no-search option turns it off for one build)."),
    Option("search_shard", str, "year", "How the search index is split: one index per year, or a single index.", ("year", "single")),
    Option("date_format", str, "%-d %B %Y", "strftime format for dates shown on pages."),
    Option("publisher", str, "", "Publisher name for structured data (JSON-LD); default: the site title."),
    Option("site_id", str, "", "Stable id used in Atom feed entry ids; default: slug of the title. Set it before renaming the site."),
)

_BY_NAME = {o.name: o for o in OPTIONS}


@dataclass
class Config:
    """Validated settings. Field names equal the ``archive.yaml`` keys."""

    title: str = "News Archive"
    description: str = "An archive of news articles."
    base_url: str = "/"
    language: str = "en"
    timezone: str = "UTC"
    link: str = "first"
    link_headings: bool = False
    front_page_size: int = 20
    feed_size: int = 50
    sanitize: bool = False
    search: bool = True
    search_shard: str = "year"
    date_format: str = "%-d %B %Y"
    publisher: str = ""
    site_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        url = self.base_url
        if "://" in url:
            url = "/" + url.split("://", 1)[1].partition("/")[2]
        if not url.startswith("/"):
            url = "/" + url
        if not url.endswith("/"):
            url += "/"
        return url

    @property
    def site_url(self) -> str:
        """Absolute base URL when one is configured, else '' (feeds need it)."""
        return self.base_url if "://" in self.base_url else ""

    def fingerprint(self) -> str:
        """Text that changes whenever a setting that affects output changes."""
        return repr(sorted((f.name, repr(getattr(self, f.name))) for f in fields(self)))


def nearest(name: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The known name closest to a misspelt one, for 'did you mean' hints."""
    found = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return found[0] if found else None


def load_config(root: Path, problems: Problems, overrides: dict[str, Any] | None = None) -> Config:
    """Read ``archive.yaml`` (optional) and apply command-line overrides."""
    config = Config()
    path = root / "archive.yaml"
    rel = "archive.yaml"
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    _misnamed_settings(root, problems)
    odd = not_a_file(path) if os.path.lexists(path) else None
    if odd:
        problems.error(rel, None, odd, "archive.yaml must be a file of settings (or absent, for the defaults)")
        return config
    if path.is_file():
        try:
            raw = path.read_bytes()
            if b"\x00" in raw[:8192]:  # frontmatter.decode would call it Markdown and send it out of content/
                problems.error(rel, None, "binary file, not YAML text",
                               "archive.yaml holds settings as text: save it as UTF-8 text, "
                               "or delete it to build with the defaults")
                return config
            text = frontmatter.decode(raw, rel)
            loaded, lines = frontmatter.parse_yaml(text, rel, first_line=1, where=rel)
        except ContentError as exc:
            problems.add(exc.problem)
            return config
        if loaded is not None and not isinstance(loaded, dict):
            problems.error(rel, 1, f"{rel} must be a mapping of settings, not {frontmatter.kind_of(loaded)}",
                           "write one 'setting: value' per line, e.g. title: My News Archive")
            return config
        data = {str(k): v for k, v in (loaded or {}).items()}
    for key, value in data.items():
        option = _BY_NAME.get(key)
        if option is None:
            guess = nearest(key, list(_BY_NAME))
            config.extra[key] = value
            problems.warning(rel, lines.get(key), f"unknown setting '{key}'",
                             f"did you mean '{guess}'?" if guess else "it is kept for templates as config.extra")
            continue
        _set(config, option, value, rel, lines.get(key), problems)
    for key, value in (overrides or {}).items():
        if value is not None:
            _set(config, _BY_NAME[key], value, "command line", None, problems)
    return config


SETTINGS_NAMES = ("archive.yaml", "archive.yml")


def _misnamed_settings(root: Path, problems: Problems) -> None:
    """Warn about a settings file under a name archivegen does not read (archive.yml, Archive.yaml).

    Its settings were silently replaced by the defaults: a site built with
    another title, base_url or time zone, and nothing said why. One listing
    of the archive root. On a file system that ignores case, Archive.yaml is
    archive.yaml and is read: no warning then."""
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in sorted(names):
        if name == "archive.yaml" or name.lower() not in SETTINGS_NAMES:
            continue
        if name.lower() == "archive.yaml" and _same_file(root / name, root / "archive.yaml"):
            continue
        read = os.path.lexists(root / "archive.yaml")
        problems.warning(name, None, "archivegen reads archive.yaml; this file is ignored",
                         "move its settings into archive.yaml and delete it" if read else
                         f"rename it to archive.yaml (mv {name} archive.yaml)")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _set(config: Config, option: Option, value: Any, path: str, line: int | None, problems: Problems) -> None:
    expected = option.type
    if expected is int and isinstance(value, bool) or not isinstance(value, expected):
        problems.error(path, line, f"setting '{option.name}' must be {_type_name(expected)}, not {frontmatter.kind_of(value)}",
                       f"default: {option.name}: {_yaml(option.default)}")
        return
    if option.choices and value not in option.choices:
        problems.error(path, line, f"setting '{option.name}' must be one of {', '.join(option.choices)}, not '{value}'",
                       f"e.g. {option.name}: {option.default}")
        return
    if option.name == "timezone":
        assert isinstance(value, str)  # the timezone option's type is str, checked above
        if value.strip().lower() in MACHINE_ZONES:
            problems.error(path, line, f"time zone '{value}' is whatever the building machine is set to, "
                                       "so dates would change with the machine",
                           "name a zone, e.g. timezone: Europe/London (or UTC)")
            return
        try:
            from zoneinfo import ZoneInfo
            ZoneInfo(value)
        except Exception:
            problems.error(path, line, f"unknown time zone '{value}'", "use an IANA name such as UTC or Europe/London")
            return
    if isinstance(value, int) and not isinstance(value, bool) and value < 1:
        problems.error(path, line, f"setting '{option.name}' must be at least 1", f"default: {option.default}")
        return
    if isinstance(value, str):
        found = _text_problem(option.name, value)
        if found:
            problems.error(path, line, *found)
            return
    setattr(config, option.name, value)


def _text_problem(name: str, value: str) -> tuple[str, str] | None:
    """(message, hint) when a text setting cannot be used as written, else None."""
    code = frontmatter.control_character(value)
    if code:
        return f"control character {code} in setting '{name}' is not allowed", frontmatter.ESCAPED_CONTROL_HINT
    if name == "title" and not value.strip():
        return "setting 'title' is empty", "give the site a title (pages, feeds and tabs show it), e.g. title: My News Archive"
    if name == "language" and not LANGUAGE_RE.fullmatch(value):
        return (f"language '{value}' is not a language tag",
                "use a BCP 47 tag: letters, digits and hyphens, e.g. language: en, language: pt-BR or language: zh-Hant")
    if name == "base_url":
        why = base_url_problem(value)
        if why:
            return f"base_url '{value}' {why}", BASE_URL_HINT.format(set="base_url: ")
    if name == "date_format":
        why = date_format_problem(value)
        if why:
            return f"date_format '{value}' {why}", DATE_FORMAT_HINT
    return None


# Zone files that stand for the machine's own setting: a build would depend on where it runs
MACHINE_ZONES = frozenset({"localtime", "posixrules"})
# A BCP 47 language tag near enough: a 2-3 letter language, then subtags of letters and digits
# ('en', 'pt-BR', 'zh-Hant-TW', 'sr-Latn'). It goes into every page's lang attribute.
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
BASE_URL_HINT = "use a path, e.g. {set}/archive/, or a full URL, e.g. {set}https://example.org/archive/"
_HOST_RE = re.compile(r"(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")
_URL_UNSAFE = set('"\'<>\\^`{|}')


def base_url_problem(value: str) -> str | None:
    """Why ``value`` cannot be base_url ('is neither a path ...'), or None.

    Every link of the site starts with it, so anything but '/path/' or
    'http(s)://host/path/' gives a broken site: 'ftp:' or 'javascript:'
    links, a '?' or '#' that swallows the rest of each link, a '//' that
    browsers read as another host, or '..' that climbs out of the site."""
    scheme, sep, rest = value.partition("://")
    is_url = bool(sep) and scheme.lower() in ("http", "https")
    if not is_url and not value.startswith("/"):
        return "is neither a path starting with '/' nor an http:// or https:// URL"
    if any(c.isspace() or not c.isprintable() for c in value):
        return "contains a space or an invisible character"
    if "?" in value or "#" in value:
        return "has a query or fragment ('?' or '#'); a base URL ends with its path"
    if not is_url:
        return _path_problem(value)
    host, slash, path = rest.partition("/")
    if not host:
        return "has no host after '://'"
    if not _HOST_RE.fullmatch(host):
        return f"has an unusable host '{host}'"
    port = host.rpartition(":")[2] if ":" in host and not host.endswith("]") else ""
    if port.isdigit() and not 1 <= int(port) <= 65535:  # _HOST_RE allows five digits: 99999 too
        return f"has a port out of range ({port}; ports go from 1 to 65535)"
    return _path_problem(slash + path)


def _path_problem(path: str) -> str | None:
    """Why the path part of a base_url is unusable, or None ('' stands for '/')."""
    if "//" in path:
        return "has an empty path segment ('//'), which browsers read as the start of another host"
    if ".." in path.split("/") or "." in path.split("/"):
        return "has a '..' or '.' path segment"
    bad = sorted(_URL_UNSAFE.intersection(path))
    if bad:
        return f"contains {bad[0]!r}, which is not allowed in a URL path"
    return None


DATE_FORMAT_HINT = ("use strftime directives such as %-d or %d (day), %B, %b or %m (month), %Y or %y (year), "
                    "%A (weekday), %H:%M (time); write %% for a percent sign; e.g. date_format: \"%-d %B %Y\" (9 August 2013)")
# Directives strftime gives alike on every platform; '%-d' (day without a zero) is done by Theme.format_date.
DATE_DIRECTIVES = frozenset(["a", "A", "b", "B", "c", "d", "-d", "H", "I", "j", "m", "M", "p", "S", "U", "w", "W",
                             "x", "X", "y", "Y", "z", "Z"])
_DIRECTIVE_RE = re.compile(r"%(-?.)?", re.S)


def date_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot format dates, or None.

    strftime copies an unknown directive ('%Q') or a lone '%' through as text,
    so a typo renders every date on the site as the same meaningless string."""
    dates = 0
    for found in _DIRECTIVE_RE.finditer(fmt):
        directive = found.group(1)
        if directive is None:
            return "ends with a lone '%'"
        if directive == "%":
            continue
        if directive not in DATE_DIRECTIVES:
            return f"has an unknown directive '%{directive}'"
        dates += 1
    if not dates:
        return "has no directive such as %d or %Y, so every date would read the same"
    return None


def _type_name(t: type | tuple[type, ...]) -> str:
    names: dict[type | tuple[type, ...], str] = {str: "text", int: "a whole number", bool: "true or false"}
    return names.get(t, getattr(t, "__name__", str(t)))


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return str(value)


def default_yaml() -> str:
    """A commented ``archive.yaml`` listing every setting with its default."""
    out = ["# archivegen settings. Every line shows the default; uncomment to change.", ""]
    for o in OPTIONS:
        out.append(f"# {o.help}" + (f" One of: {', '.join(o.choices)}." if o.choices else ""))
        out.append(f"# {o.name}: {_yaml(o.default)}")
        out.append("")
    return "\n".join(out)
