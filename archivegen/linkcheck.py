"""Every internal link and #anchor of a built site must resolve.

Reads the HTML files of an output folder (nothing else: no build state),
collects each page's ids and its outgoing URLs (``a``/``area``/``link``
``href``, ``img``/``script``/``source``/``iframe`` ``src``, ``srcset``,
``form action``), and resolves the internal ones the way a static host
would: ``/base/x/`` → ``x/index.html``, ``/base/x`` → ``x`` or
``x/index.html``. A ``#fragment`` must name an ``id`` (or ``a name``) in
the target page. Absolute URLs on the site's own host and below its path
(``base_url``) are internal too; other hosts, and the same host's paths
outside the site's (another site there), are not fetched.

Links under ``pagefind/`` are skipped when the site was built without the
search index (``skip_prefixes``), since ``check`` builds without it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

URL_ATTRS = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src", "srcset"), "script": ("src",),
    "source": ("src", "srcset"), "iframe": ("src",), "form": ("action",), "video": ("src", "poster"),
    "audio": ("src",), "track": ("src",), "embed": ("src",), "object": ("data",),
}
# link rel values that are not fetched from this site (or are fine to point elsewhere)
IGNORED_LINK_RELS = {"preconnect", "dns-prefetch"}


@dataclass(frozen=True)
class BrokenLink:
    page: str  # site-relative file the link is on
    url: str  # as written in the page
    reason: str
    line: int | None = None

    def format(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f"{where}: broken link {self.url} ({self.reason})"


@dataclass
class PageLinks:
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, int]] = field(default_factory=list)  # (url, line)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageLinks()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            self.page.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.page.ids.add(a["name"])
        names = URL_ATTRS.get(tag)
        if not names:
            return
        if tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels & IGNORED_LINK_RELS:
                return
        line = self.getpos()[0]
        for name in names:
            value = a.get(name)
            if value is None:
                continue
            if name == "srcset":
                for part in value.split(","):
                    url = part.strip().split(" ")[0]
                    if url:
                        self.page.links.append((url, line))
            else:
                self.page.links.append((value.strip(), line))

    handle_startendtag = handle_starttag


def parse_page(text: str) -> PageLinks:
    c = _Collector()
    c.feed(text)
    c.close()
    return c.page


def page_url(rel: str, base_path: str) -> str:
    """The URL path a host serves a file at: 'a/index.html' -> '/base/a/'."""
    if rel == "index.html":
        return base_path
    if rel.endswith("/index.html"):
        return base_path + rel[: -len("index.html")]
    return base_path + rel


class LinkChecker:
    """Check the built site in ``out`` served at ``site_url`` (absolute) or ``base_path``."""

    def __init__(self, out: Path, base_path: str = "/", site_url: str = "", skip_prefixes: tuple[str, ...] = ()):
        self.out = out
        self.base_path = base_path if base_path.endswith("/") else base_path + "/"
        split = urlsplit(site_url) if site_url else None
        self.host = (split.scheme.lower(), split.netloc.lower()) if split and split.netloc else None
        self.skip = tuple(skip_prefixes)
        self.files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
        self._pages: dict[str, PageLinks] = {}

    def page(self, rel: str) -> PageLinks:
        if rel not in self._pages:
            text = (self.out / rel).read_text(encoding="utf-8", errors="replace")
            self._pages[rel] = parse_page(text)
        return self._pages[rel]

    def html_files(self) -> list[str]:
        return sorted(f for f in self.files if f.endswith(".html") and not f.startswith(self.skip))

    def target(self, path: str) -> str | None:
        """Site-relative file a URL path is served from, or None."""
        if not path.startswith(self.base_path):
            return None
        rel = unquote(path[len(self.base_path):])
        if rel == "" or rel.endswith("/"):
            cand = [rel + "index.html"]
        else:
            cand = [rel, rel + "/index.html"]
        for c in cand:
            if c in self.files:
                return c
        return None

    def check_link(self, page_rel: str, url: str) -> str | None:
        """Why ``url`` on ``page_rel`` is broken, or None when it resolves (or is external)."""
        if not url or url.startswith(("mailto:", "tel:", "javascript:", "data:")):
            return None
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            scheme = (parts.scheme or (self.host[0] if self.host else "")).lower()
            if self.host is None or (scheme, parts.netloc.lower()) != self.host:
                return None  # another site: not checked
            if scheme not in ("http", "https"):
                return None
            full = parts.path or "/"
            if not full.startswith(self.base_path) and full + "/" != self.base_path:
                return None  # the host's other sites (https://user.github.io/other-repo/): not this one's pages
        here = page_url(page_rel, self.base_path)
        path = parts.path
        if not path:
            target = page_rel  # "#x" or "?q": this page
        else:
            if not path.startswith("/"):
                directory = here if here.endswith("/") else posixpath.dirname(here) + "/"
                path = posixpath.normpath(posixpath.join(directory, path)) + ("/" if path.endswith("/") else "")
                path = path.replace("//", "/")
            if not path.startswith(self.base_path) and path + "/" != self.base_path:
                return f"outside the site's base path {self.base_path}"
            rel_path = path[len(self.base_path):] if path.startswith(self.base_path) else ""
            if self.skip and unquote(rel_path).startswith(self.skip):
                return None
            found = self.target(path if path.startswith(self.base_path) else self.base_path)
            if found is None:
                return "no such page or file"
            target = found
        frag = unquote(parts.fragment)
        if frag and frag != "top" and target.endswith(".html"):
            if frag not in self.page(target).ids:
                return f"no element with id \"{frag}\" on {'this page' if target == page_rel else '/' + target}"
        return None

    def run(self) -> list[BrokenLink]:
        broken: list[BrokenLink] = []
        for rel in self.html_files():
            for url, line in self.page(rel).links:
                reason = self.check_link(rel, url)
                if reason:
                    broken.append(BrokenLink(rel, url, reason, line))
        return broken


def check_site(out: Path, base_path: str = "/", site_url: str = "", skip_prefixes: tuple[str, ...] = ()) -> list[BrokenLink]:
    """Every broken internal link in the site at ``out``."""
    return LinkChecker(out, base_path, site_url, skip_prefixes).run()
