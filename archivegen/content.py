"""Load and validate articles from ``content/articles/**/*.md``.

Every problem is collected (never only the first), with the file and line
of the offending key, so one run shows an author everything to fix.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, partial
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import frontmatter
from .inputs import TEXT_SUFFIXES, is_junk, not_a_file, unread_hint, unreadable_folder
from .config import Config, nearest
from .errors import ContentError, Problem, Problems
from .frontmatter import ESCAPED_CONTROL_HINT, control_character, kind_of
from .slugs import WINDOWS_RESERVED, slug_problem, slugify
from .workers import Workers, can_fork

KNOWN_FIELDS = (
    "title", "date", "slug", "summary", "authors", "source", "publication", "original_url",
    "section", "tags", "image", "people", "countries", "no_link", "draft", "updated",
    "sanitize", "link", "redirect_from",
)
# Top-level names the site's own pages and files use: an old URL below one of them would
# collide with a page the build writes (or could write tomorrow)
RESERVED_TOP = frozenset({"people", "countries", "sections", "tags", "search", "trends", "static", "pagefind",
                          "sitemaps", "feed.xml", "sitemap.xml", "robots.txt", "404.html", "index.html"})
_OLD_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
_ARCHIVE_PAGE = re.compile(r"^\d{4}/(?:\d{2}/)?$")
IMAGE_FIELDS = ("src", "alt", "caption", "credit")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Article:
    """One article's validated front matter and raw Markdown body."""

    path: str  # relative to the archive root, POSIX
    title: str
    date: datetime  # timezone-aware
    slug: str
    body: str
    body_line: int
    digest: str  # sha256 of the file's bytes: the cache key of its body
    summary: str = ""
    authors: list[str] = field(default_factory=list)
    source: str = ""
    publication: str = ""
    original_url: str = ""
    section: str = ""
    tags: list[str] = field(default_factory=list)
    image: dict[str, str] | None = None
    people: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    no_link: list[str] = field(default_factory=list)
    draft: bool = False
    updated: datetime | None = None
    sanitize: bool | None = None
    link: str | None = None
    redirect_from: list[str] = field(default_factory=list)  # old site paths ('2013/08/old-slug/') that lead here
    extra: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)

    @cached_property
    def url_path(self) -> str:
        """``2013/08/09/<slug>/``: the date as written, in its own offset (date and slug never change)."""
        return f"{self.date:%Y/%m/%d}/{self.slug}/"

    @property
    def year(self) -> int:
        return self.date.year

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key)


def article_files(root: Path, problems: Problems) -> list[Path]:
    """All ``*.md`` below content/articles, sorted; symlinks must stay inside."""
    return [Path(p) for p in _article_paths(root, problems)]


def _article_paths(root: Path, problems: Problems) -> list[str]:
    """``article_files`` as path strings, which is all ``load_articles`` needs for an article
    it remembers (most of them): 10,000 Path objects cost a tenth of a second.

    Walked with ``os.scandir``, whose entries know whether they are links
    without another system call per file (10,000 articles: 0.15 s less).
    Linked folders are checked but, as with ``os.walk``, not descended into.
    Other files the walk meets (``story.txt``, ``story.MD``) and linked folders
    are warned about as not read: the walk lists them anyway, so this costs
    nothing, and an article that is silently not read looks like a lost one.

    A missing or non-folder content/articles is an error, not an empty list
    (see ``_articles_folder_problem``).
    """
    base = root / "content" / "articles"
    if not base.is_dir():
        _articles_folder_problem(root, base, problems)
        return []
    real_root = root.resolve()
    found: list[str] = []

    def outside(entry: os.DirEntry) -> Path | None:
        target = Path(entry.path).resolve()
        return None if target.is_relative_to(real_root) else target

    def walk(folder: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        dirs = []
        for e in entries:
            if e.name.startswith("."):
                continue
            if e.is_dir(follow_symlinks=False):
                dirs.append(e)
            elif e.name.endswith(".md"):
                odd = None if e.is_file(follow_symlinks=False) else not_a_file(e.path)
                if odd is not None:
                    problems.error(_rel(root, e.path), None, odd, "replace it with the article's Markdown file, or remove it")
                    continue
                target = outside(e) if e.is_symlink() else None
                if target is not None:
                    problems.error(_rel(root, e.path), None, f"symbolic link leads outside the archive (to {target})",
                                   "replace the link with the file itself")
                    continue
                found.append(e.path)
            elif e.is_symlink() and is_dir_entry(e):  # a linked folder: never walked, refused if it leads outside
                target = outside(e)
                if target is not None:
                    problems.error(_rel(root, Path(e.path)), None, f"symbolic link leads outside the archive (to {target})",
                                   "replace the link with the files themselves")
                else:
                    problems.warning(_rel(root, e.path), None, "not read: a symbolic link to a folder (linked folders "
                                     "are not followed)", "move the folder here instead of linking to it")
            elif not is_junk(e.name):
                problems.warning(_rel(root, e.path), None, "not read: articles are .md files",
                                 unread_hint(e.name, "content/articles"))
        for e in dirs:
            walk(e.path)

    walk(str(base))
    return found


def _articles_folder_problem(root: Path, base: Path, problems: Problems) -> None:
    """Report a content/articles that is not a folder, or is missing, as an error.

    Both used to build a site without articles, which the swap then
    published: one stray 'rm -rf' or a file saved over the folder took every
    article off the live site. ``archivegen init`` creates the folder and an
    archive without it is not a usable one, so a missing folder is an error
    too (the previous site stays), not a warning after the damage. An
    archive meant to have no articles yet keeps the empty folder, which
    builds (``load_articles`` warns that it holds none)."""
    rel = _rel(root, base)
    why = unreadable_folder(base)
    if why is not None:
        problems.error(rel, None, why, "content/articles holds the articles' .md files: move this away and "
                                       "create the folder (mkdir content/articles)")
    elif (root / "content").is_dir():
        problems.error(rel, None, "no articles folder, so the site would have no articles",
                       "create it (mkdir content/articles) and put the articles' .md files in it; "
                       "check that archivegen runs in the right archive")


def is_dir_entry(entry: os.DirEntry) -> bool:
    """Whether an entry is a folder or a link to one; a link loop or a dangling link leads nowhere."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _rel(root: Path, path: Path | str) -> str:
    """``path`` relative to ``root``, with forward slashes.

    Once per article in every build, so the common cases skip pathlib's
    parsing: a path under an absolute root, and a clean relative path under
    the current folder (``archivegen build`` in the archive itself, where
    ``root`` is ``.`` and the paths come as ``content/...``; through
    pathlib that was 0.05-0.1 s of a 10,000-article incremental build).
    """
    text, root_text = str(path), str(root)
    if os.sep == "/" and "//" not in text and "/./" not in text and "/../" not in text \
            and not text.endswith(("/", "/.", "/..")):
        if root_text == ".":
            if text not in ("", ".", "..") and not text.startswith(("/", "./", "../")):
                return text
        elif text.startswith(root_text + "/") and root_text != "/":
            return text[len(root_text) + 1:]
    path = Path(path)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def no_content_folder(root: Path) -> Problem | None:
    """The error for a ``root`` that is not an archive (no content/ folder), or None.

    One wording for every command that needs an archive: ``build`` reports
    it, and ``new`` and ``import`` refuse to create an archive by writing into
    a wrong ``--root``."""
    if (root / "content").is_dir():
        return None
    return Problem(_rel(root, root / "content"), None, "no content/ folder in the archive root",
                   f"run archivegen in an archive folder, pass --root DIR, or create one with 'archivegen init DIR' (root: {root})")


def load_articles(root: Path, config: Config, problems: Problems, *, drafts: bool = False,
                  paths: list[Path] | None = None, memo: dict[str, Any] | None = None,
                  stats: dict[str, tuple[int, int, int]] | None = None,
                  rejected: list[IdRefs] | None = None, jobs: int = 1) -> list[Article]:
    """Read and validate articles; invalid ones are reported and left out.

    ``rejected`` receives the entity ids named by the invalid ones, so that
    the caller can report unknown ids in the same run as the other errors.

    ``memo`` (serve keeps it between builds) maps a path to the file's stat,
    its Article and its warnings: a file whose stat is unchanged is not read
    again. Only valid articles are remembered, so errors are always re-found.
    ``stats`` holds stats the caller took already: path string -> (mtime_ns, size, inode).
    ``jobs``: processes to parse with (0: all cores; see ``_parse_all``).
    """
    missing = no_content_folder(root)
    if missing is not None:
        problems.add(missing)
        return []
    files: list[Path] | list[str] = paths if paths is not None else _article_paths(root, problems)
    if paths is None:
        _unread_in_content(root, problems)
        if not files and (root / "content" / "articles").is_dir():
            problems.warning(_rel(root, root / "content" / "articles"), None,
                             "no articles: the folder holds no .md files, so the site has none",
                             "add one with archivegen new \"Headline\", or check that this is the right archive")
    tz = ZoneInfo(config.timezone)
    previous = dict(memo) if memo is not None else {}
    if memo is not None:
        memo.clear()
    # which files the memo knows unchanged (by stat), and which must be parsed
    plan: list[tuple[str, Any, Any]] = []  # (rel, stamp, the memo's entry or None)
    for path in files:
        rel = _rel(root, path)
        stamp = None
        known = None
        if memo is not None:
            try:
                known_stat = stats.get(str(path)) if stats else None
                if known_stat is None:
                    st = os.stat(path)
                    known_stat = (st.st_mtime_ns, st.st_size, st.st_ino)
                stamp = (*known_stat, tz.key)
            except OSError:
                stamp = None
            known = previous.get(rel)
            if stamp is None or known is None or known[0] != stamp:
                known = None
        plan.append((rel, stamp, known))
    todo = [(str(path), rel) for path, (rel, _, known) in zip(files, plan) if known is None]
    parsed = iter(_parse_all(todo, tz.key, jobs))
    articles: list[Article] = []
    for rel, stamp, known in plan:  # in file order, so problems and articles come out as one process gives them
        if known is not None:
            assert memo is not None  # an entry is known only from the memo
            memo[rel] = known
            for w in known[2]:
                problems.add(w)
            if not (known[1].draft and not drafts):
                articles.append(known[1])
            continue
        article, found, refs = next(parsed)
        for p in found:
            problems.add(p)
        if rejected is not None:
            rejected.extend(refs)
        if memo is not None and stamp is not None and article is not None:
            memo[rel] = (stamp, article, found)
        if article is None or (article.draft and not drafts):
            continue
        articles.append(article)
    check_redirects(articles, check_unique_urls(articles, problems), problems)
    return articles


CONTENT_FOLDERS = ("articles", "people", "countries")


def _unread_in_content(root: Path, problems: Problems) -> None:
    """Warn about what lies directly in content/ besides its three folders: nothing reads it.

    A story saved as content/story.md was left out without a word. One
    listing of a folder that holds three entries when all is well."""
    base = root / "content"
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.name in CONTENT_FOLDERS or is_junk(e.name):
            continue
        guess = nearest(e.name, CONTENT_FOLDERS)
        if guess:
            hint = f"did you mean content/{guess}?"
        elif e.name.lower().endswith(TEXT_SUFFIXES):
            hint = "move an article into content/articles/ (e.g. content/articles/2013/08/), a person into content/people/"
        else:
            hint = "move it out of content/ if it is not an input"
        problems.warning(_rel(root, e.path), None,
                         "not read: archivegen reads content/articles, content/people and content/countries", hint)


PARALLEL_MIN_FILES = 2_000  # fewer articles to parse: one process (forking and pickling cost more)
# More than this: one process too. The parent's heap keeps what receiving the parsed articles
# cost it: at 100,000 articles the build's largest process peaked 228 MB higher (1,540 MB
# against 1,312 MB) for about 5 s saved, against 12 MB at 10,000 for 0.6 s.
PARALLEL_MAX_FILES = 30_000
Parsed = tuple["Article | None", list[Problem], list["IdRefs"]]
PARSE_CHUNK = 250


def _parse_all(todo: list[tuple[str, str]], tz_key: str, jobs: int) -> list[Parsed]:
    """Parse files in order; many of them (a cold build) in forked worker processes.

    Reading, splitting and YAML take about 0.2 ms a file, all on one core
    while the other waits: at 10,000 articles a second or two of a cold build.
    Each worker parses chunks of files and sends back the articles with their
    own problems; the caller merges them in file order, so the output and
    the messages are the same with any number of processes."""
    n = jobs if jobs > 0 else (os.cpu_count() or 1)
    if n < 2 or not PARALLEL_MIN_FILES <= len(todo) <= PARALLEL_MAX_FILES or not can_fork():
        return _parse_chunk(todo, tz_key)
    chunks = [todo[i:i + PARSE_CHUNK] for i in range(0, len(todo), PARSE_CHUNK)]
    with Workers(min(n, len(chunks))) as pool:
        return [r for part in pool.map(partial(_parse_chunk, tz_key=tz_key), chunks) for r in part]


def _parse_chunk(items: list[tuple[str, str]], tz_key: str) -> list[Parsed]:
    """(article or None, its problems, the ids an invalid one names) for each (path, rel)."""
    tz = ZoneInfo(tz_key)
    out: list[Parsed] = []
    for path, rel in items:
        problems = Problems()
        rejected: list[IdRefs] = []
        article = None
        try:
            raw = _read_limited(Path(path), rel)
            article = parse_article(raw, rel, tz, problems, rejected)
        except ContentError as exc:
            problems.add(exc.problem)
        except OSError as exc:
            problems.error(rel, None, f"cannot read file: {exc.strerror}", "check the file's permissions")
        out.append((article, problems.items, rejected))
    return out


def _read_limited(path: Path, rel: str) -> bytes:
    """Read a file, refusing one over the size limit without reading it whole."""
    size = path.stat().st_size
    if size > frontmatter.MAX_BYTES:
        raise ContentError(rel, None, f"file is {size / 1_048_576:.1f} MB, over the {frontmatter.MAX_BYTES // 1_048_576} MB limit",
                           "split the article or move embedded data out of content/")
    return path.read_bytes()


@dataclass
class IdRefs:
    """The entity ids an invalid article names (``registry.check_ids`` reads these fields)."""

    path: str
    people: list[str]
    countries: list[str]
    no_link: list[str]
    key_lines: dict[str, int]


def parse_article(raw: bytes, rel: str, tz: ZoneInfo, problems: Problems,
                  rejected: list[IdRefs] | None = None) -> Article | None:
    """Bytes of one file to an Article, or None when it has errors (its ids then go to ``rejected``)."""
    stem = rel.rsplit("/", 1)[-1][:-3]
    why = _file_name_problem(stem, rel)
    if why:
        shown = rel.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")
        problems.error(shown, None, why, "rename the file, e.g. to the article's slug")
        return None
    text = frontmatter.decode(raw, rel)
    doc = frontmatter.parse(text, rel)
    meta, lines = doc.meta, doc.key_lines
    before = len(problems.errors)
    v = _Validator(rel, meta, lines, problems)
    control = frontmatter.body_control_character(doc.body, doc.body_line)
    if control:
        problems.error(rel, control[1], f"control character {control[0]} in the text is not allowed",
                       frontmatter.CONTROL_HINT)

    title = v.text("title", required=True)
    when = v.date("date", tz, required=True)
    updated = v.date("updated", tz)
    slug = v.text("slug")
    if slug is not None:
        why = slug_problem(slug)
        if why:
            v.error("slug", why, "use lowercase letters, digits and hyphens, e.g. slug: kerry-meets-lavrov")
    elif title:
        slug = slugify(title)
        if not slug:
            v.error("title", "the title gives an empty slug (no letters or digits)", "add a 'slug:' field")
    image = v.image("image")
    article_fields: dict[str, Any] = dict(
        summary=v.text("summary") or "",
        authors=v.text_list("authors", allow_single=True),
        source=v.text("source") or "",
        publication=v.text("publication") or "",
        original_url=v.url("original_url") or "",
        section=v.text("section") or "",
        tags=v.text_list("tags", allow_single=True),
        people=v.text_list("people"),
        countries=v.text_list("countries"),
        no_link=v.text_list("no_link"),
        draft=v.boolean("draft") or False,
        sanitize=v.boolean("sanitize"),
        link=v.choice("link", ("first", "all", "none")),
        redirect_from=v.old_paths("redirect_from"),
    )
    extra = {}
    for key, value in meta.items():
        if key not in KNOWN_FIELDS:
            extra[key] = value
            guess = nearest(key, KNOWN_FIELDS)
            problems.warning(rel, lines.get(key), f"unknown field '{key}' (kept for templates)",
                             f"did you mean '{guess}'?" if guess else f"known fields: {', '.join(KNOWN_FIELDS)}")
    if updated and when and updated < when:
        v.error("updated", "'updated' is earlier than 'date'", "updated is the date of the last revision")
    if len(problems.errors) > before or title is None or when is None or not slug:
        if rejected is not None:
            rejected.append(IdRefs(rel, article_fields["people"], article_fields["countries"],
                                   article_fields["no_link"], lines))
        return None
    return Article(
        path=rel, title=title, date=when, slug=slug, body=doc.body, body_line=doc.body_line,
        digest=hashlib.sha256(raw).hexdigest(), image=image, updated=updated, extra=extra,
        key_lines=lines, **article_fields,
    )


def _file_name_problem(stem: str, rel: str) -> str | None:
    """Why an article's file name is unusable on some host, or None."""
    if "\x00" in rel:
        return "file name contains a NUL character"
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by Python as lone surrogates
        return "file name is not valid UTF-8"
    if ".." in stem:
        return f"file name '{stem}.md' contains '..'"
    if "\\" in stem:
        return f"file name '{stem}.md' contains a backslash"
    if stem.split(".")[0].strip().lower() in WINDOWS_RESERVED:
        return f"file name '{stem}.md' is a name Windows reserves ({stem.split('.')[0].upper()})"
    return None


class _Validator:
    """Typed access to front matter fields, reporting problems at their line."""

    def __init__(self, rel: str, meta: dict[str, Any], lines: dict[str, int], problems: Problems):
        self.rel, self.meta, self.lines, self.problems = rel, meta, lines, problems

    def error(self, key: str, message: str, hint: str = "") -> None:
        self.problems.error(self.rel, self.lines.get(key, 1), message, hint)

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.meta.get(key)
        if value is None:
            if required:
                self.problems.error(self.rel, 1 if key not in self.lines else self.lines[key],
                                    f"missing required field '{key}'",
                                    f"add a line '{key}: ...' to the front matter" + (" (YYYY-MM-DD)" if key == "date" else ""))
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in ("title", "slug"):
            return str(value)
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be text, not {kind_of(value)}", f"write it as {key}: \"...\"")
            return None
        code = control_character(value) if key != "slug" else None  # slug_problem names a bad slug's characters
        if code:
            self.error(key, f"control character {code} in '{key}' is not allowed", ESCAPED_CONTROL_HINT)
            return None
        value = value.strip()
        if required and not value:
            self.error(key, f"'{key}' is empty", f"give the article a {key}")
            return None
        return value

    def text_list(self, key: str, allow_single: bool = False) -> list[str]:
        value = self.meta.get(key)
        if value is None:
            return []
        if isinstance(value, str) and allow_single:
            value = [value]
        found = text_list_problem(key, value, "[first, second]")
        if found:
            self.error(key, *found)
            return []
        return [x.strip() for x in value if x.strip()]

    def boolean(self, key: str) -> bool | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(key, f"'{key}' must be true or false, not {kind_of(value)}", f"write {key}: true")
            return None
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if value not in choices:
            self.error(key, f"'{key}' must be one of {', '.join(choices)}", f"e.g. {key}: {choices[0]}")
            return None
        return value

    def old_paths(self, key: str) -> list[str]:
        """Site paths an article used to have, as folders ('2013/08/old-slug/') or files
        ('old/story.html'), without the host: each becomes a page that sends readers on."""
        out: list[str] = []
        for raw in self.text_list(key, allow_single=True):
            why, path = old_path_problem(raw)
            if why:
                self.error(key, why, "write the old address as a path on this site, e.g. "
                                     f"{key}: [/2013/08/09/old-slug/]")
            elif path not in out:
                out.append(path)
        return out

    def url(self, key: str) -> str | None:
        value = self.text(key)
        if value and not re.match(r"^https?://\S+$", value):
            self.error(key, f"'{key}' must be an http(s) URL", f"e.g. {key}: https://example.org/story")
            return None
        return value

    def date(self, key: str, tz: ZoneInfo, required: bool = False) -> datetime | None:
        value = self.meta.get(key)
        if value is None:
            if required:
                self.text(key, required=True)
            return None
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be a date, not {kind_of(value)}", f"write {key}: 2013-08-09 or {key}: 2013-08-09T14:30:00+02:00")
            return None
        return parse_date(value.strip(), tz, lambda m, h: self.error(key, m, h))

    def image(self, key: str) -> dict[str, str] | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = {"src": value}
        if not isinstance(value, dict):
            self.error(key, f"'{key}' must be a mapping with src, alt, caption, credit", "e.g. image: {src: /img/a.jpg, alt: \"...\"}")
            return None
        out: dict[str, str] = {}
        for k, v in value.items():
            if k not in IMAGE_FIELDS:
                guess = nearest(str(k), IMAGE_FIELDS)
                self.error(key, f"unknown image field '{k}'", f"did you mean '{guess}'?" if guess else f"image fields: {', '.join(IMAGE_FIELDS)}")
                continue
            if not isinstance(v, str):
                self.error(key, f"image {k} must be text, not {kind_of(v)}", f"write it as {k}: \"...\"")
                continue
            code = control_character(v)
            if code:
                self.error(key, f"control character {code} in image {k} is not allowed", ESCAPED_CONTROL_HINT)
                continue
            out[k] = v.strip()
        if out.get("src") and not out.get("alt"):
            self.problems.warning(self.rel, self.lines.get(key), "image has no alt text", "add alt: a short description of the picture, for readers who cannot see it")
        found = image_src_problem(out.get("src", ""), "/media/photo.jpg")
        if found:
            self.error(key, *found)
            return None
        return out


def image_src_problem(src: str, example: str) -> tuple[str, str] | None:
    """(message, hint) when an image ``src`` is neither a path on the site nor an http(s) URL, else None.

    Templates use a src with '://' as it is and put anything else under the
    site's base path, so a protocol-relative '//host/x.jpg' became the
    broken '/host/x.jpg' (and, with a backslash, browsers read '/\\host' as
    '//host': another site's picture). Shared by articles and people."""
    value = src.strip()
    scheme, sep, _ = value.partition("://")
    if value.lower().startswith(("javascript:", "data:", "vbscript:")) or (sep and scheme.lower() not in ("http", "https")):
        return "image src must be a path or http(s) URL", f"e.g. src: {example}"
    if value.startswith("//"):
        return (f"image src '{value}' starts with '//' (a URL without http: or https:)",
                f"write the full URL, e.g. src: https:{value}, or a path on this site, e.g. src: {example}")
    if "\\" in value:
        return f"image src '{value}' contains a backslash", f"write paths with forward slashes, e.g. src: {example}"
    return None


def parse_date(value: str, tz: ZoneInfo, report) -> datetime | None:
    """'2013-08-09' or ISO 8601 datetime (offset optional) to an aware datetime."""
    try:
        if _DATE_RE.match(value):
            d = date.fromisoformat(value)
            return datetime.combine(d, time(0, 0), tzinfo=tz)
        dt = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError as exc:
        reason = str(exc)
        if "day is out of range" in reason or "month must be" in reason:
            report(f"'{value}' is not a real date ({reason})", "check the day and month, e.g. 2013-02-28")
        else:
            report(f"'{value}' is not a date", "write YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+HH:MM with a time")
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt


def text_list_problem(key: str, value: Any, example: str) -> tuple[str, str] | None:
    """(message, hint) when ``value`` is not a list of text, naming the first wrong item; else None.

    Shared by articles and entity files: 'tags: [1, 2]' is a list, so saying
    'must be a list' would not tell the author what to change."""
    if isinstance(value, str):
        one = value.strip()
        shown = f"[{one}]" if one and len(one) <= 40 and one.isprintable() and not set(one) & set("[]{},:#'\"") else example
        return f"'{key}' must be a list, even of one item", f"write it in brackets, e.g. {key}: {shown}"
    if not isinstance(value, list):
        return f"'{key}' must be a list of text, not {kind_of(value)}", f"write it as {key}: {example}"
    for number, item in enumerate(value, 1):
        if isinstance(item, str):
            code = control_character(item)
            if code:
                return f"control character {code} in '{key}' (item {number}) is not allowed", ESCAPED_CONTROL_HINT
            continue
        if isinstance(item, (bool, int, float)):
            shown = _scalar_text(item)
            return (f"'{key}' must be a list of text; item {number} is {kind_of(item)} ({shown})",
                    f"quote the item to keep it as text, e.g. {key}: [\"{shown}\"]")
        return (f"'{key}' must be a list of text; item {number} is {kind_of(item)}",
                f"write each item as plain text, e.g. {key}: {example}")
    return None


def _scalar_text(value: bool | int | float) -> str:
    """A number or true/false as the author wrote it (near enough), cut short if long."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return text if len(text) <= 20 else text[:20] + "…"


def old_path_problem(raw: str) -> tuple[str | None, str]:
    """(why ``raw`` cannot be an old address, or None; the address as a site-relative output path).

    ``/2013/08/old/``, ``2013/08/old`` and ``/2013/08/old/index.html`` all give
    ``2013/08/old/``; any other path ending in ``.html`` stays a file. Plain characters only, no
    ``..``, nothing below the folders the site's own pages use, and not a
    date archive page (``2013/``, ``2013/08/``).
    """
    if not raw:
        return "an empty old address", ""
    if "://" in raw or raw.startswith("//"):
        return f"old address '{raw}' names a host; give only its path", ""
    path = raw.lstrip("/")
    if path == "index.html" or path.endswith("/index.html"):  # a folder's page: the folder itself
        path = path[: -len("index.html")]
    if not path:
        return f"the old address '{raw}' is the front page", ""
    if not path.endswith(".html") and not path.endswith("/"):
        path += "/"
    segments = path.rstrip("/").split("/")
    for seg in segments:
        if seg in ("", ".", ".."):
            return f"old address '{raw}' has an empty, '.' or '..' part", ""
        if not _OLD_PATH_SEGMENT.match(seg):
            return (f"old address '{raw}' may hold only letters, digits and . _ ~ - between slashes "
                    f"(not {next(c for c in seg if not _OLD_PATH_SEGMENT.match(c))!r})"), ""
        if seg.startswith("."):
            # hidden names are the build's and the host's: the site's marker file, .git, .htaccess
            return f"old address '{raw}' has a part starting with a dot ('{seg}'), a name sites keep hidden", ""
        if seg.endswith("."):
            return f"old address '{raw}' has a part ending in a dot, which Windows drops ('{seg}')", ""
        if seg.split(".")[0].lower() in WINDOWS_RESERVED:
            return f"old address '{raw}' has a part Windows reserves ('{seg}')", ""
    if segments[0] in RESERVED_TOP:
        return f"old address '{raw}' is below /{segments[0]}, which the site's own pages use", ""
    if _ARCHIVE_PAGE.match(path):
        return f"old address '{raw}' is a date archive page of this site", ""
    return None, path


def check_redirects(articles: list[Article], pages: dict[str, Article], problems: Problems) -> None:
    """An old address must not be another article's page (``pages``: by URL, from
    ``check_unique_urls``), nor claimed twice: either would have two pages written to one file."""
    claimed: dict[str, Article] = {}
    for a in articles:
        for path in a.redirect_from:
            owner = pages.get(path)
            if owner is not None:
                problems.error(a.path, a.line_of("redirect_from"),
                               f"old address /{path} is the page of {'this article' if owner is a else owner.path}",
                               "remove it from 'redirect_from:'")
            elif path in claimed:
                problems.error(a.path, a.line_of("redirect_from"),
                               f"old address /{path} is also claimed by {claimed[path].path}",
                               "keep it in one article's 'redirect_from:'")
            else:
                claimed[path] = a


def check_unique_urls(articles: list[Article], problems: Problems) -> dict[str, Article]:
    """Two articles with one URL would overwrite each other: both reported. Returns
    the articles by URL (the first of two that clash)."""
    seen: dict[str, Article] = {}
    for a in articles:
        other = seen.get(a.url_path)
        if other is not None:
            problems.error(a.path, a.line_of("slug") or a.line_of("title"),
                           f"same URL /{a.url_path} as {other.path}",
                           "give one of them a different 'slug:'")
        else:
            seen[a.url_path] = a
    return seen
