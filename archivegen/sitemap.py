"""``sitemap.xml`` and ``robots.txt`` for crawlers.

The sitemap lists every HTML page the build wrote (except ``404.html``)
with a ``lastmod``: the newest date (``updated``, else publication) of the
stories that page shows, so an old archive page keeps its date when new
articles arrive elsewhere and crawlers re-fetch only what changed. It is
derived from the files actually staged, so pages added by any stage or
theme are listed too.

Past ``MAX_URLS`` (50,000, the protocol's limit per file) the URLs go into
``sitemaps/sitemap-1.xml``, ``-2`` … and ``sitemap.xml`` becomes a sitemap
index pointing at them.

The sitemaps protocol requires absolute URLs. When ``base_url`` has no
host (the default ``/``), no sitemap is written and the build warns once;
``robots.txt`` is still written, without a ``Sitemap:`` line. Set
``base_url: https://example.org/`` in ``archive.yaml`` (or pass
``--base-url``) for production builds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable
from xml.sax.saxutils import escape

from .feeds import story_updated
from .model import SiteModel
from .pages import duplicate_pages

MAX_URLS = 50_000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
EXCLUDE = {"404.html"}


def page_urls(paths: Iterable[str], skip: frozenset[str] = frozenset()) -> list[str]:
    """Site-relative page URLs ('' for the front page) of every staged HTML page but
    those at the URLs in ``skip`` (old addresses), sorted."""
    urls = set()
    for rel in paths:
        if rel in EXCLUDE or not rel.endswith(".html"):
            continue
        if rel.startswith(("static/", "pagefind/")):
            continue
        urls.add(rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel)
    return sorted(urls - skip, key=lambda u: (u.count("/"), u))


def lastmods(model: SiteModel) -> dict[str, datetime]:
    """Newest story date per page URL (article, date archive, group and entity listings).

    Every build works this out for every listing, so it is written for speed:
    each story's date and folders are found once, and a listing's newest
    dates are kept in local dicts before they meet the shared one (a call
    and three lookups per story and listing took 0.17 s of a 10,000-article
    add-one build).
    """
    newest: dict[str, datetime] = {}

    def merge(found: dict[str, datetime]) -> None:
        get = newest.get
        for url, when in found.items():
            old = get(url)
            if old is None or when > old:
                newest[url] = when

    # each story's date and its year and month folders, worked out once (not once per listing it is in)
    info: dict[int, tuple[datetime, str, str]] = {}
    for s in model.stories:
        d = s.article.date
        info[id(s)] = (story_updated(s), f"{d.year:04d}/", f"{d.year:04d}/{d.month:02d}/")

    def listing(base: str, stories: Any) -> datetime | None:
        """The listing's own page and its year and month pages; returns its newest date."""
        by_period: dict[str, datetime] = {}  # by "2013/" and "2013/08/": URLs made once per period
        top: datetime | None = None
        get = by_period.get
        for s in stories:
            when, year, month = info[id(s)]
            if top is None or when > top:
                top = when
            old = get(year)
            if old is None or when > old:
                by_period[year] = when
            old = get(month)
            if old is None or when > old:
                by_period[month] = when
        found = {base + period: when for period, when in by_period.items()}
        if top is not None:
            found[base] = top
        merge(found)
        return top

    articles = {s.url_path: info[id(s)][0] for s in model.stories}
    merge(articles)
    listing("", model.stories)
    for prefix, groups in (("sections", model.sections), ("tags", model.tags)):
        each = [listing(f"{prefix}/{g.slug}/", g.stories) for g in groups.values()]
        tops = [t for t in each if t is not None]
        if tops:
            merge({f"{prefix}/": max(tops)})
    for st in model.entities.values():
        e = st.entity
        top = listing(e.url_path, (ap.story for ap in st.appearances))
        if top is not None:
            merge({f"{e.section}/": top, f"{e.section}/by-mentions/": top})
    return newest


def _url_entry(loc: str, lastmod: datetime | None) -> str:
    mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
    return f"  <url><loc>{escape(loc)}</loc>{mod}</url>\n"


def render_urlset(entries: list[tuple[str, datetime | None]]) -> str:
    body = "".join(_url_entry(loc, mod) for loc, mod in entries)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n{body}</urlset>\n'


def render_index(entries: list[tuple[str, datetime | None]]) -> str:
    body = "".join(
        f"  <sitemap><loc>{escape(loc)}</loc>" + (f"<lastmod>{mod.isoformat()}</lastmod>" if mod else "") + "</sitemap>\n"
        for loc, mod in entries)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n{body}</sitemapindex>\n'


def sitemap_files(abs_url: Any, urls: list[str], mods: dict[str, datetime], default: datetime | None,
                  max_urls: int = MAX_URLS) -> dict[str, str]:
    """{site-relative file: XML}: one ``sitemap.xml``, or an index and its parts past ``max_urls``."""
    entries = [(abs_url(u), mods.get(u, default)) for u in urls]
    if len(entries) <= max_urls:
        return {"sitemap.xml": render_urlset(entries)}
    files: dict[str, str] = {}
    index: list[tuple[str, datetime | None]] = []
    for n, start in enumerate(range(0, len(entries), max_urls), 1):
        chunk = entries[start:start + max_urls]
        rel = f"sitemaps/sitemap-{n}.xml"
        files[rel] = render_urlset(chunk)
        index.append((abs_url(rel), max((m for _, m in chunk if m), default=None)))
    files["sitemap.xml"] = render_index(index)
    return files


def robots_txt(sitemap_url: str | None) -> str:
    lines = ["# archivegen: every page may be crawled.", "User-agent: *", "Allow: /"]
    if sitemap_url:
        lines += ["", f"Sitemap: {sitemap_url}"]
    return "\n".join(lines) + "\n"


def write_sitemap(model: SiteModel, loaded: Any, staging: Any, opts: Any) -> None:
    """Late build stage: ``sitemap.xml`` (when base_url is absolute) and ``robots.txt``."""
    config = model.config
    if not config.site_url:
        loaded.problems.warning(
            "archive.yaml", None, "base_url has no host, so sitemap.xml was not written "
            "(the sitemap protocol needs absolute URLs)",
            "set base_url: https://your.host/ in archive.yaml, or build with --base-url https://your.host/")
        staging.write("robots.txt", robots_txt(None))
        return
    theme = loaded.theme
    mods = lastmods(model)
    default = max(mods.values(), default=None)
    # a snapshot of the pages: the search index adds its files when Pagefind is done (build._run_late_stages)
    # the pages at old addresses (redirect_from) only send readers on: a crawler should list the article
    # and a listing's newest year page names the listing's first page as canonical (pages.newest_year_copy)
    moved = frozenset(old for s in model.stories for old in s.article.redirect_from)
    files = sitemap_files(theme.abs_url, page_urls(list(staging.paths), moved | duplicate_pages(model)), mods, default)
    for rel, xml in files.items():
        staging.write(rel, xml)
    staging.write("robots.txt", robots_txt(theme.abs_url("sitemap.xml")))
