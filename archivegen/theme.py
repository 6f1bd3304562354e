"""The Jinja environment: the package's default theme, overridable per file.

An archive's own ``templates/`` comes first in the search path, so a file
there replaces the default of the same name and nothing else. Template
syntax errors are reported as content problems at the template's file and
line, before any page is rendered.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from datetime import datetime
from functools import partial
from importlib import util as importlib_util
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import jinja2
import markupsafe
from markupsafe import Markup

from . import code_id, structured
from .inputs import is_junk, not_a_file
from .cache import ByIdentity
from .config import Config
from .model import month_label
from .errors import ContentError, Problem, Problems


def default_theme_dir() -> Path:
    """The theme installed with the package (or the repository's templates/)."""
    spec = importlib_util.find_spec("archivegen._theme")
    if spec and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(__file__).resolve().parent.parent / "templates"


PAGE_MAX_CHARS = 50_000_000  # a rendered page; the largest of a 100,000-article archive is under 1 MB
ROOT_DIR = "root"  # templates/root/: files copied to the site's root as they are (``Theme.root_files``)


def theme_dirs(root: Path) -> list[Path]:
    own = root / "templates"
    dirs = [own] if own.is_dir() else []
    default = default_theme_dir()
    if default.resolve() not in {d.resolve() for d in dirs}:
        dirs.append(default)
    return dirs


class Theme:
    """Templates and static assets for one build."""

    def __init__(self, root: Path, config: Config):
        self.root = root
        self.config = config
        self.dirs = theme_dirs(root)
        # kept here too: ``env.loader`` is typed Optional, and reading a template's source needs one
        self.loader = jinja2.FileSystemLoader([str(d) for d in self.dirs])
        self.env = _Environment(
            loader=self.loader,
            autoescape=jinja2.select_autoescape(["html", "xml", "htm"], default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            bytecode_cache=_bytecode_cache(config),
            undefined=PrintedUndefined,
        )
        base = self._base_path = config.base_path  # url() runs ~20 times a page: worked out once
        self.env.globals.update(site=config, base_path=base, url=self.url, abs_url=self.abs_url,
                                ld_website=partial(structured.website, config, self.abs_url),
                                ld_article=partial(structured.news_article, config, self.abs_url),
                                ld_entity=partial(structured.entity, self.abs_url))
        self.env.filters.update(
            date=self.format_date, isodate=_isodate, tojson_safe=tojson_safe, urlquote=lambda s: quote(str(s), safe=""),
            thousands=lambda n: f"{n:,}", striptags=_striptags, life_date=self.format_life_date,
            # The default theme writes ``path|url``: a filter is called directly, where a
            # global function goes through Jinja's Context.call and its probes for
            # pass_context on every call (a page makes 20-40 of them), and Jinja works out
            # a filter of a constant ('static/style.css'|url) once, when it compiles the
            # template. So compiled templates are kept per base_url (``_bytecode_cache``).
            # ``url()`` and ``abs_url()`` stay, for themes written with them.
            url=self.url, abs_url=self.abs_url,
        )
        self._link_template: jinja2.Template | None = None
        self._dates = ByIdentity()
        # (entity key, text) -> (entity, markup): an article links a few names, and the same
        # names recur across thousands of articles; rendering the template each time was a
        # tenth of a body's rendering time. The entity object is kept and compared, so a
        # registry loaded later (another Entity for the key) is never given stale markup.
        self._links: dict[tuple[str, str], tuple[Any, str]] = {}

    # -- URLs ---------------------------------------------------------------
    def url(self, path: str = "") -> str:
        """Site-relative path -> URL under base_url ('people/x/' -> '/archive/people/x/')."""
        return self._base_path + path.lstrip("/")

    def abs_url(self, path: str = "") -> str:
        """Absolute URL when base_url has a host (feeds, sitemap, canonical)."""
        site = self.config.site_url
        if site:
            return site.rstrip("/") + "/" + path.lstrip("/")
        return self.url(path)

    def format_date(self, value: datetime | None, fmt: str | None = None) -> str:
        # An article's date is shown on its page and in every listing that holds it: 58,000
        # times for 10,000 articles (1.9 µs each), so each date object is formatted once.
        if fmt is None:
            known = self._dates.get(value)
            if known is not None:
                return known
        if value is None:
            return ""
        layout = fmt or self.config.date_format
        if "%-d" in layout:  # portable day without leading zero
            layout = layout.replace("%-d", str(value.day))
        text = value.strftime(layout)
        return self._dates.put(value, text) if fmt is None else text

    def format_life_date(self, value: str | None) -> str:
        """A born/died value, as exact as it was given: "1961", "August 1961", or a
        full date in the site's ``date_format`` (the registry checked its shape)."""
        parts = [int(p) for p in str(value or "").split("-") if p.isdigit()]
        try:
            if len(parts) == 3:
                year, month, day = parts
                return self.format_date(datetime(year, month, day), self.config.date_format)
            if len(parts) == 2:
                return month_label(*parts)
        except ValueError:
            pass
        return str(value or "")

    # -- checking and rendering ---------------------------------------------
    def template_files(self) -> Iterator[tuple[str, Path]]:
        """(name, path) of every template the build may use, overrides first."""
        seen: set[str] = set()
        for d in self.dirs:
            for path in sorted(d.rglob("*")):
                parts = path.relative_to(d).parts
                if path.suffix not in (".html", ".xml", ".txt") or "static" in parts or parts[0] == ROOT_DIR:
                    continue
                name = path.relative_to(d).as_posix()
                if name not in seen:
                    seen.add(name)
                    yield name, path

    def template_fingerprints(self) -> dict[str, str]:
        """Each template's hash over itself and every template it extends, includes or
        imports, transitively, as the loader resolves them (an override wins).

        A page's fingerprint carries its template's, so editing a template
        re-renders the pages that use it and no others: editing
        ``entity_year.html`` leaves the 10,000 article pages alone, while
        ``base.html`` reaches every page. A template that names another by a
        value computed while rendering (``{% include page_kind ~ ".html" %}``)
        cannot be followed, so it depends on every template.
        """
        sources: dict[str, str | None] = {}
        refs: dict[str, set[str] | None] = {}  # None: a reference that cannot be followed

        def source(name: str) -> str | None:
            if name not in sources:
                try:
                    sources[name] = self.loader.get_source(self.env, name)[0]
                except (jinja2.TemplateNotFound, OSError, UnicodeDecodeError):
                    sources[name] = None  # reported when a page uses it
            return sources[name]

        def references(name: str) -> set[str] | None:
            if name not in refs:
                refs[name] = referenced_templates(source(name) or "")
            return refs[name]

        names = [name for name, _ in self.template_files()]
        everything: str | None = None
        out: dict[str, str] = {}
        for name in names:
            seen, todo, dynamic = set(), [name], False
            while todo:
                n = todo.pop()
                if n in seen:
                    continue
                seen.add(n)
                r = references(n)
                if r is None:
                    dynamic = True
                    break
                todo.extend(r)
            if dynamic:
                if everything is None:
                    everything = self._every_file_hash()
                out[name] = "*" + everything
                continue
            h = hashlib.sha256()
            for n in sorted(seen):
                h.update(f"{n}\x1e{source(n) or ''}\x1f".encode("utf-8", "surrogateescape"))
            out[name] = h.hexdigest()
        return out

    def _every_file_hash(self) -> str:
        """Hash of every file of every theme folder (what a template naming others by
        computed values may reach)."""
        h = hashlib.sha256()
        for d in self.dirs:
            for path in sorted(d.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    h.update(path.relative_to(d).as_posix().encode("utf-8", "surrogateescape") + b"\x1e")
                    try:
                        h.update(path.read_bytes())
                    except OSError:
                        pass  # reported by check() or when a page uses it
                    h.update(b"\x1f")
        return h.hexdigest()

    def check(self, problems: Problems) -> None:
        """Compile every template so syntax errors surface before rendering."""
        self._check_links(problems)
        for name, path in self.template_files():
            odd = not_a_file(path)
            if odd:
                problems.error(self.display_path(path), None, odd, "replace it with a template file, or remove it")
                continue
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.error(self.display_path(path), exc.lineno, f"template syntax error: {exc.message}",
                               "fix the Jinja syntax; see https://jinja.palletsprojects.com/templates/")
            except UnicodeDecodeError as exc:
                problems.error(self.display_path(path), None, f"template is not UTF-8 text (byte {exc.start} cannot be read)",
                               "save the template as UTF-8")
            except OSError as exc:
                problems.error(self.display_path(path), None, f"cannot read template: {exc.strerror}",
                               "check that it is a readable file")

    def _check_links(self, problems: Problems) -> None:
        """Refuse a file of the archive's templates/ that a link takes outside the archive.

        A template or static file is published (or pasted into every page):
        a link to /etc/passwd would put it on the web. Content refuses such
        links too. A templates/ folder that is itself a link (a theme shared
        by several archives) is the theme, and may hold what it likes.
        """
        own = self.root / "templates"
        if not own.is_dir():
            return
        allowed = (self.root.resolve(), own.resolve())
        copied = set(self.static_files().values()) | set(self.root_files().values())
        for path in [p for _, p in self.template_files()] + sorted(copied):
            if not path.is_relative_to(own):
                continue  # the built-in theme
            try:
                target = path.resolve()
            except (OSError, RuntimeError):
                continue  # a loop: reported as unreadable when used
            if not any(target.is_relative_to(a) for a in allowed):
                problems.error(self.display_path(path), None, f"symbolic link leads outside the archive (to {target})",
                               "copy the file into templates/ instead of linking to it")

    def render(self, template: str, context: dict[str, Any], page_url: str) -> str:
        try:
            loaded = self.env.get_template(template)
            html = loaded.render(context)
        except jinja2.TemplateError as exc:
            raise TemplateFailure(self._problem(exc, template, page_url)) from None
        except Exception as exc:  # a filter or value raised while rendering
            raise TemplateFailure(self._problem(exc, template, page_url)) from None
        if len(html) > PAGE_MAX_CHARS:
            # a loop or a repeated value gone wrong ({{ "x" * 300000000 }}): stopped at the
            # first such page, where a build of them all ran the machine out of memory
            where = self.display_path(Path(loaded.filename)) if loaded.filename else template
            raise TemplateFailure(Problem(where, None, f"{_RENDERING}/{page_url}: the page came out at over "
                                          f"{PAGE_MAX_CHARS:,} characters, the most a page may have",
                                          "look for a loop or a repeated value in the template that writes far "
                                          "more than it means to"))
        return html

    def preload(self) -> None:
        """Compile every template now, so forked page workers inherit them instead of each
        loading its own (a worker is replaced many times in a large build: ``build._pool``)."""
        for name in self.env.list_templates(filter_func=lambda n: n.endswith((".html", ".xml", ".txt"))):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError:
                pass  # reported with file and line when a page uses it

    def make_link(self, entity: Any, text: str) -> str:
        """Entity link markup from ``partials/entity_link.html``."""
        known = self._links.get((entity.key, text))
        if known is not None and known[0] is entity:
            return known[1]
        try:
            if self._link_template is None:
                self._link_template = self.env.get_template("partials/entity_link.html")
            markup = self._link_template.render(entity=entity, text=text, href=self.url(entity.url_path)).strip()
        except Exception as exc:  # raised inside the Markdown pass: reported like a page's template error
            p = self._problem(exc, "partials/entity_link.html", "", during=f"the link to {entity.key}")
            raise ContentError(p.path, p.line, p.message, p.hint) from None
        self._links[(entity.key, text)] = (entity, markup)
        return markup

    def display_path(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def _problem(self, exc: BaseException, template: str, page_url: str, during: str | None = None) -> Problem:
        """Locate the template line from the traceback Jinja rewrites."""
        filename, lineno = None, getattr(exc, "lineno", None)
        tb = exc.__traceback__
        while tb is not None:
            fname = tb.tb_frame.f_code.co_filename
            if fname.endswith((".html", ".xml", ".txt")) and os.path.exists(fname):
                filename, lineno = fname, tb.tb_lineno
            tb = tb.tb_next
        filename = getattr(exc, "filename", None) or filename
        where = self.display_path(Path(filename)) if filename else f"templates/{template}"
        return Problem(where, lineno, f"{_RENDERING}{during or '/' + page_url}: {type(exc).__name__}: {exc}",
                       "fix the template, or the value it received from that page's content")

    # -- static assets ------------------------------------------------------
    def static_files(self) -> dict[str, Path]:
        """'static/style.css' -> source path; an archive's file wins."""
        return self._copied("static", lambda path, d: path.relative_to(d).as_posix())

    def root_files(self) -> dict[str, Path]:
        """'favicon.ico' -> source path: the files of templates/root/, copied to the site's root
        as they are (favicon.ico, a host's CNAME, _headers or _redirects); an archive's file wins.
        Dotfiles and editor leftovers are not copied."""
        return self._copied(ROOT_DIR, lambda path, d: path.relative_to(d / ROOT_DIR).as_posix())

    def _copied(self, folder: str, rel: Callable[[Path, Path], str]) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for d in reversed(self.dirs):
            s = d / folder
            if s.is_dir():
                for path in sorted(s.rglob("*")):
                    if path.is_file() and not any(is_junk(part) for part in path.relative_to(s).parts):
                        files[rel(path, d)] = path
        return files


# a tag that loads another template: {% extends/include/import/from <what> ... %}
_LOADING_TAG = re.compile(r"\{%[-+]?\s*(?:extends|include|import|from)(?!\w)\s*(.*?)[-+]?%\}", re.S)
_NAME_THEN = re.compile(r"""(["'])([^"'\\]+)\1\s*(.*)$""", re.S)
_AFTER_NAME = re.compile(r"(?:ignore\s+missing)?\s*(?:(?:with|without)\s+context)?\s*"
                         r"(?:as\s+\w+|import\s+[\w\s,]+)?\s*(?:(?:with|without)\s+context)?\s*$")


def referenced_templates(text: str) -> set[str] | None:
    """The templates ``text`` extends, includes or imports by a literal name; None when
    one is named by anything else (a variable, an expression, a list), which only
    rendering can resolve.

    A scan of the tags, not Jinja's parser: parsing every template took 30 ms of
    every build (1.4 ms scanned; a whole add-one build at 10,000 articles takes
    about 1.3 s). It errs only towards more: a tag inside a comment or a raw
    block adds a dependency that is not there, which re-renders more pages than
    needed, never fewer.
    (``tests/test_incremental.py`` checks it against ``jinja2.meta`` on the default theme.)
    """
    found: set[str] = set()
    for m in _LOADING_TAG.finditer(text):
        named = _NAME_THEN.match(m.group(1).strip())
        if named is None or not _AFTER_NAME.match(named.group(3)):
            return None
        found.add(named.group(2))
    return found


_DICT_ATTRIBUTES = frozenset(dir(dict))


# markupsafe's C escaping of a str, to a str (``escape`` wraps the same in a Markup, through
# Python code); markupsafe.escape itself where a version does not have it
_escape_str = getattr(markupsafe, "_escape_inner", None) or markupsafe.escape


def _escape_output(value: Any) -> str:
    """What an autoescaped ``{{ value }}`` writes: the text of ``markupsafe.escape(value)``.

    Jinja compiles ``{{ value }}`` to ``escape(value)`` and only ever joins
    the result into the page (a macro's or a ``{% set %}`` block's output is
    made Markup as a whole afterwards), so the Markup object that escape
    builds for each value is never looked at. Pages of 10,000 articles write
    about 1.2 million values, nine in ten of them plain strings, and building
    those objects (two Python calls each) was an eighth of the page workers'
    time. A string goes straight to markupsafe's C escaping here, an int
    or a Markup is written as it is; anything else (floats, objects with
    ``__html__``, Undefined) goes to ``escape`` as before.
    """
    kind = type(value)
    if kind is str:
        return _escape_str(value)
    if kind is Markup:  # safe as it is
        return value
    if kind is int:  # nothing to escape in its digits
        return str(value)
    return markupsafe.escape(value)


class PrintedUndefined(jinja2.Undefined):
    """An undefined value that is an error when a template writes it out.

    ``{{ sitetitle }}`` for ``{{ site.title }}`` wrote nothing and the build
    went on: a blank masthead on every page. Testing a value stays lenient,
    as themes do (``{% if entity is defined %}``, ``{% if months %}``,
    ``x|default(...)``, a loop over nothing); writing one out, or joining it
    into text with ``~``, is reported at its template line.
    """

    __slots__ = ()

    def __str__(self) -> str:
        self._fail_with_undefined_error()
        return ""  # not reached: the line above raises


class _Template(jinja2.Template):
    """A compiled template whose output expressions escape through ``_escape_output``."""

    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: Any, globals: Any,
                  uptodate: Any = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # the compiled module's functions (root, blocks, macros) share these globals, where
        # the module imported ``escape`` from jinja2.runtime
        namespace = template.root_render_func.__globals__
        if namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape_output
        return template


class _Environment(jinja2.Environment):
    """Jinja's environment, with two shortcuts for what every page does many times.

    ``{{ link.url }}`` on a plain dict is looked up as a key first
    (``getattr``), and a template's globals are a plain dict (``make_globals``).

    Jinja reads ``x.y`` as the attribute ``y`` and, failing that, the item
    ``x["y"]``. Page contexts hold many small dicts (period and menu links,
    the people of an article), and each of their keys read in a template
    raised and caught an AttributeError first: 380,000 times, 0.3 s, for the
    pages of a 10,000-article archive. A plain dict has only the attributes
    of its class, so a name that is not one of those is a key or undefined,
    as before; everything else is Jinja's own order.
    """

    template_class = _Template

    def make_globals(self, d: Any) -> Any:
        """A template's globals as one plain dict, not Jinja's ChainMap over the environment's.

        Every page render copies its template's globals into a new context, and
        copying a ChainMap runs Python code for each name. The ChainMap is there
        so that globals set after a template is loaded still show; ``Theme``
        sets them all before it loads any."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        # Jinja's own order, written out rather than through super(): this runs for every
        # attribute read on a story or an entity, and the extra call would cost each of them
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


# what ``Theme._problem`` writes for a page: this, the page's URL, ": " and what went wrong
_RENDERING = "template error while rendering "
_PAGE_PROBLEM = re.compile(re.escape(_RENDERING) + r"(/.*?): (.*)", re.S)


def merge_page_problems(problems: list[Problem]) -> list[Problem]:
    """One problem per template mistake, however many pages it stopped.

    A mistake in ``base.html`` stops every page of the site, and listing
    each of them (13,571 at 10,000 articles) buries the one line to fix.
    Problems of the same template line, with the same error, become one
    that names the first page and counts the others; the rest stay as
    they are, in their order.
    """
    out: list[Problem] = []
    first: dict[tuple[str, int | None, str, str], list[Any]] = {}  # -> [place in out, URL, pages]
    for p in problems:
        m = _PAGE_PROBLEM.fullmatch(p.message)
        key = (p.path, p.line, p.hint, m.group(2)) if m else None
        if key in first:
            first[key][2] += 1
            continue
        if key is not None:
            assert m is not None  # the key is made from the match
            first[key] = [len(out), m.group(1), 1]
        out.append(p)
    for (_, _, _, error), (i, url, n) in first.items():
        if n > 1:
            others = f"{n - 1:,} other page{'s' if n > 2 else ''}"
            out[i] = replace(out[i], message=f"{_RENDERING}{url} and {others}: {error}")
    return out


class TemplateFailure(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _striptags(value: Any) -> str:
    """Jinja's ``striptags``, with its tag scan and entity decoding left out for text that has
    no ``<`` and no ``&`` (every page's title and description: what it does then is only
    joining the words with single spaces)."""
    # a plain str: Markup's own split would make a Markup of every word (a page's title and
    # description come here as Markup, from their blocks)
    text = str(value.__html__()) if hasattr(value, "__html__") else str(value)
    if "<" in text or "&" in text:
        return jinja2.filters.do_striptags(text)
    return " ".join(text.split())


_ISODATES = ByIdentity()


def _isodate(value: datetime | None) -> str:
    """``value`` in ISO 8601, for ``<time datetime>``: 69,000 times for 10,000 articles, so
    each date object is written out once."""
    known = _ISODATES.get(value)
    if known is not None:
        return known
    return _ISODATES.put(value, value.isoformat() if value else "")


_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps with options builds an encoder per call


def tojson_safe(value: Any) -> Markup:
    """JSON for <script> blocks: '<', '>' and '&' escaped so no value can close the tag."""
    text = _JSON.encode(value)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, one entry per template and ``salt``.

    Jinja compiles a filter of a constant into its result: in the default
    theme ``{{ 'static/style.css'|url }}`` becomes the URL under this build's
    base_url. Its own cache keys an entry by the template alone, so a build
    for another base_url (``--base-url``, a preview) would get links made for
    the first. The salt holds every setting the theme's filters read.
    """

    def __init__(self, salt: str):
        super().__init__()
        self.salt = salt

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{name}\0{self.salt}", filename)


def _bytecode_cache(config: Config) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (compiling the theme took 0.2 s of every build).

    Jinja's own per-user folder in the temporary directory, which it creates
    private (0700) and refuses if someone else owns it; each entry is checked
    against its template's source. Not in ``.cache/``: loading compiled code
    from a folder that may be copied between machines would let it run code.
    """
    salt = json.dumps([code_id(), config.base_path, config.site_url, config.date_format])
    try:
        return _BytecodeCache(salt)
    except (OSError, RuntimeError):
        return None

