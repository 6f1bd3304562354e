"""Plan every page of the site: URL, template and context, nothing rendered.

Listings that grow (sections, tags, entity pages) are paged by date, not by
offset: ``/sections/world/2013/`` always holds 2013's stories, so adding an
article changes only the pages of its own year and the newest pages.

For the same reason a period page shows article counts only for what it
depends on anyway: its own year's months. Its links to other years carry no
counts (see ``_links``), or every 2013 page would change with each article
filed in 2019, against DESIGN's promise that an old archive page keeps its
content, and an incremental build would re-render and re-upload them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from itertools import groupby
from typing import Any, Callable, Iterable

import markdown
from markupsafe import Markup

from .charts import bar_chart
from .trends import context as trends_context
from .model import SiteModel, Story, group_slug, month_label

YEAR_LIMIT = 200  # stories on a year page before it splits into months
NAV_SECTIONS = 8  # sections in the menu on every page


@dataclass(slots=True)
class Page:
    url: str  # site-relative folder ('' for the front page), or a file name such as '404.html'
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    # What the context is made from, when that is much less than the context itself: the
    # page's fingerprint then hashes these instead (``cache.Fingerprinter``). Article pages,
    # three quarters of a site, set it; their context must be a function of it alone.
    inputs: tuple[Any, ...] | None = None
    # Makes the rest of the context when the page is rendered (``full_context``): an article
    # page's is made only if the page is, which an incremental build seldom needs.
    make: Callable[[], dict[str, Any]] | None = None
    # The listing the page belongs to (a section, a tag, an entity, a year of the date
    # archive, a month of articles), whose pages a build may carry over from the last one unplanned
    # (``plan``)
    family: str = ""

    def full_context(self) -> dict[str, Any]:
        """The template context, made now if the planner deferred it (``make``)."""
        if self.make is not None:
            made = self.make()
            for k, v in self.context.items():  # what plan() set for every page, unless made
                made.setdefault(k, v)
            self.context, self.make = made, None
        return self.context

    @property
    def output(self) -> str:
        if self.url.endswith((".html", ".xml", ".txt")):
            return self.url
        return f"{self.url}index.html"


# Asked once per listing with the listing's id and everything its pages are made from;
# True means the last build's pages of that listing still hold and are taken as they are
Carry = Callable[[str, tuple[Any, ...]], bool]


def plan(model: SiteModel, carry: Carry | None = None) -> list[Page]:
    """Every page of the site, except the listings ``carry`` takes over from the last build.

    A listing's pages (a section's, a tag's, an entity's, a year of the
    date archive, a month of articles) are a function of a few objects: the group
    or the entity's stats, the menu, the period's stories. Asking ``carry`` with
    those before making any page spares an add-one build the planning and
    hashing of thousands of pages whose listing did not change.
    """
    carry = carry or (lambda family, inputs: False)
    pages: list[Page] = []
    # plain names only: a Group would tie every page to every story of its section. The eight
    # largest sections, in name order: listed by size, two sections trading places would change
    # the menu on every page of the site, and an incremental build would rewrite them all
    largest = sorted(model.sections.values(), key=lambda g: (-len(g.stories), g.name))[:NAV_SECTIONS]
    # "path" spares the theme a '~' join per link on every page (Jinja's markup_join: 68,000 calls)
    nav = [{"slug": g.slug, "name": g.name, "path": f"sections/{g.slug}/"}
           for g in sorted(largest, key=lambda g: g.name.casefold())]
    common = {"nav_sections": nav}
    pages.append(_home(model))
    pages.extend(_articles(model, nav, carry))
    pages.extend(_redirects(model))
    pages.extend(_date_archives(model, carry, nav))
    for kind, groups in (("section", model.sections), ("tag", model.tags)):
        for g in groups.values():
            base = f"{kind}s/{g.slug}/"
            if not carry(base, (kind, g, nav)):
                # its year and month pages get the group's name and slug, not the Group: it holds
                # every story, so each page would change (and be rendered) with any of them
                pages.extend(_family(base, _dated_listing(base, g.stories, g.name, kind, {"group": {"slug": g.slug, "name": g.name}},
                                                          root_context={"group": g})))
    pages.append(Page("sections/", "groups.html", {"title": "Sections", "groups": list(model.sections.values()), "group_kind": "section"}, "sections"))
    pages.append(Page("tags/", "groups.html", {"title": "Tags", "groups": list(model.tags.values()), "group_kind": "tag"}, "tags"))
    pages.extend(_entities(model, carry, nav))
    pages.append(Page("trends/", "trends.html", trends_context(model), "trends"))
    pages.append(Page("search/", "search.html", {"title": "Search"}, "search"))
    pages.append(Page("404.html", "404.html", {"title": "Page not found"}, "404"))
    for p in pages:
        for k, v in common.items():
            p.context.setdefault(k, v)
        p.context.setdefault("page_url", p.url if not p.url.endswith(".html") else "")
        p.context.setdefault("page_kind", p.kind)
    return pages


def _family(family: str, pages: list[Page]) -> list[Page]:
    """Mark the pages of one listing, which ``build.CarriedListings.record`` keeps for the next build."""
    for p in pages:
        p.family = family
    return pages


def _home(model: SiteModel) -> Page:
    years = [(y, len(list(g))) for y, g in groupby(model.stories, key=lambda s: s.date.year)]
    return Page("", "index.html", {
        "title": model.config.title,
        "stories": model.stories[: model.config.front_page_size],
        "top_people": sorted(model.people(), key=lambda s: (-s.count, s.entity.name))[:10],
        "top_countries": sorted(model.countries(), key=lambda s: (-s.count, s.entity.name))[:10],
        "years": years,
        "total": len(model.stories),
    }, "home")


def _articles(model: SiteModel, nav: list[dict[str, str]], carry: Carry) -> list[Page]:
    """One page per story. Its context is made from the story, its two neighbours, the
    entities of its box and the menu, and nothing else: those are the page's ``inputs``,
    and the context itself is made only when the page is rendered (``Page.make``).

    A month's article pages are one listing for ``carry``: its stories, the stories just
    outside it (the first's newer and the last's older neighbour), the registry (which
    entities of a story's keys exist, and what its box shows of them) and the menu.
    A month, not a year: a new article plans and hashes the hundred-odd pages of its
    month instead of the thousand of its year (0.06 s of an add-one build at 10,000).
    """
    pages: list[Page] = []
    ordered = model.stories  # newest first
    stats = model.entities
    registry = model.registry.fingerprint()  # every entity: which of a story's keys exist, what its box shows
    start = 0
    for (year, month), ss in groupby(ordered, key=lambda s: (s.date.year, s.date.month)):
        end = start + len(list(ss))
        newer_b = ordered[start - 1] if start > 0 else None
        older_b = ordered[end] if end < len(ordered) else None
        family = f"articles:{year:04d}-{month:02d}"
        if carry(family, ("articles", ordered[start:end], newer_b, older_b, registry, nav)):
            start = end
            continue
        for i in range(start, end):
            s = ordered[i]
            newer = ordered[i - 1] if i > 0 else None
            older = ordered[i + 1] if i + 1 < len(ordered) else None
            keys = [key for key in s.entity_keys if key in stats]
            box = tuple(stats[key].entity for key in keys)
            page = Page(s.url_path, "article.html", {"nav_sections": nav}, "article", inputs=(s, newer, older, box, nav),
                        family=family)
            page.make = partial(_article_context, s, newer, older, list(zip(keys, box)))
            pages.append(page)
        start = end
    return pages


def _redirects(model: SiteModel) -> list[Page]:
    """A page at each old address an article lists in ``redirect_from``, sending readers
    (and crawlers, with a canonical link) to the article's page: links to a renamed or
    re-dated article keep working. Not searched, not in the sitemap."""
    return [Page(old, "redirect.html", {"title": s.title, "target": s.url_path}, "redirect")
            for s in model.stories for old in s.article.redirect_from]


def _article_context(s: Story, newer: Story | None, older: Story | None,
                     box: list[tuple[str, Any]]) -> dict[str, Any]:
    """An article page's context; ``box``: (entity key, Entity) in the order the story names them."""
    tally = s.tally  # the story's own mentions: part of the story
    entries = [{"entity": e, "count": tally.get(key, (0, ""))[0]} for key, e in box]
    return {
        "title": s.title,
        "story": s,
        "article": s.article,
        "body": s.html,
        "people": [b for b in entries if b["entity"].kind == "person"],
        "countries": [b for b in entries if b["entity"].kind == "country"],
        "newer": newer,
        "older": older,
        "section_slug": group_slug(s.article.section, "section") if s.article.section else "",
        "tag_links": [(group_slug(t, "tag"), t) for t in dict.fromkeys(s.article.tags)],
    }


def _by_year(stories: list[Story]) -> list[tuple[int, list[Story]]]:
    return [(y, list(g)) for y, g in groupby(stories, key=lambda s: s.date.year)]


def _by_month(stories: list[Story]) -> list[tuple[int, list[Story]]]:
    return [(m, list(g)) for m, g in groupby(stories, key=lambda s: s.date.month)]


def _links(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Period links without their counts, for pages that must not change when another period grows."""
    return [{k: v for k, v in link.items() if k != "count"} for link in links]


def newest_year_copy(base: str, stories: Iterable[Story]) -> str | None:
    """The newest year's page of a listing whose first page lists that year's stories too.

    The two pages list the same articles (for an entity or group of one
    year, the same listing), so the year page names the first page as its
    canonical address, and the sitemap leaves it out. None when the first
    page lists only the newest month (a year past YEAR_LIMIT). ``stories``
    newest first; only the newest year's are read.
    """
    year, n = None, 0
    for s in stories:
        if year is None:
            year = s.date.year
        elif s.date.year != year:
            break
        n += 1
    return None if year is None or n > YEAR_LIMIT else f"{base}{year}/"


def duplicate_pages(model: SiteModel) -> set[str]:
    """Every listing page that names another as its canonical address (``newest_year_copy``)."""
    found = {newest_year_copy(f"{kind}s/{g.slug}/", g.stories)
             for kind, groups in (("section", model.sections), ("tag", model.tags)) for g in groups.values()}
    found |= {newest_year_copy(st.entity.url_path, (a.story for a in st.appearances))
              for st in model.entities.values()}
    found.discard(None)
    return found  # type: ignore[return-value]


def _dated_listing(base: str, stories: list[Story], name: str, kind: str, extra: dict[str, Any],
                   template: str = "listing.html", root_context: dict[str, Any] | None = None,
                   root_template: str | None = None) -> list[Page]:
    """A root page (newest year) plus one page per year, per month past YEAR_LIMIT.

    ``extra`` goes to every page, ``root_context`` to the root only. A year
    or month page's context holds its own stories and nothing that changes
    with the others (no group or entity statistics), so its fingerprint,
    and its bytes, stay put when an article lands in another year.
    """
    years = _by_year(stories)
    periods = [{"label": str(y), "url": f"{base}{y}/", "count": len(ss)} for y, ss in years]
    bare_periods = _links(periods)
    copy = newest_year_copy(base, stories)
    pages: list[Page] = []
    for y, ss in years:
        months = _by_month(ss) if len(ss) > YEAR_LIMIT else []
        month_links = [{"label": month_label(y, m, "%B"), "month": m, "url": f"{base}{y}/{m:02d}/", "count": len(ms)}
                       for m, ms in months]
        ctx = dict(extra, title=f"{name}: {y}", heading=name, subheading=str(y), stories=[] if months else ss,
                   periods=bare_periods, months=month_links, current=str(y), root_url=base, listing_kind=kind)
        if f"{base}{y}/" == copy:
            ctx["canonical_path"] = base
        pages.append(Page(f"{base}{y}/", template, ctx, kind + "-year"))
        bare_months = _links(month_links)
        for m, ms in months:
            ctx = dict(extra, title=f"{name}: {month_label(y, m)}", heading=name, subheading=month_label(y, m),
                       stories=ms,
                       periods=bare_periods, months=bare_months, current=str(y), root_url=base, listing_kind=kind)
            pages.append(Page(f"{base}{y}/{m:02d}/", template, ctx, kind + "-month"))
    if "sentences" in extra:  # each page carries only its own stories' sentences (and front-matter listings)
        for p in pages:
            _own_sentences(p.context, extra)
    latest = years[0][1] if years else []
    showing = str(years[0][0]) if years else ""
    if len(latest) > YEAR_LIMIT:
        month, latest = _by_month(latest)[0]
        showing = month_label(years[0][0], month)
    ctx = dict(extra, title=name, heading=name, subheading="", stories=latest, periods=periods, months=[],
               current="", root_url=base, listing_kind=kind, total=len(stories), showing=showing)
    ctx.update(root_context or {})
    if "sentences" in extra:
        _own_sentences(ctx, extra)
    pages.insert(0, Page(base, root_template or template, ctx, kind))
    return pages


def _own_sentences(ctx: dict[str, Any], extra: dict[str, Any]) -> None:
    """Give a page the mention sentences (and front-matter-only listings) of its own stories only."""
    urls = [s.url_path for s in ctx["stories"]]
    ctx["sentences"] = {u: extra["sentences"].get(u, "") for u in urls}
    if "listed_only" in extra:
        ctx["listed_only"] = frozenset(u for u in urls if u in extra["listed_only"])


def _date_archives(model: SiteModel, carry: Carry, nav: list[dict[str, str]]) -> list[Page]:
    pages: list[Page] = []
    years = _by_year(model.stories)
    year_links = [{"label": str(y), "url": f"{y}/"} for y, _ in years]  # no counts (module doc); the front page has them
    for y, ss in years:
        if carry(f"{y}/", ("year", y, ss, year_links, nav)):
            continue
        first = len(pages)
        months = _by_month(ss)
        month_links = [{"label": month_label(y, m, "%B"), "month": m, "url": f"{y}/{m:02d}/", "count": len(ms)}
                       for m, ms in months]
        pages.append(Page(f"{y}/", "archive.html", {
            "title": f"Archive: {y}", "heading": str(y), "year": y, "periods": year_links, "months": month_links,
            "stories": ss if len(ss) <= YEAR_LIMIT else [], "current": str(y)}, "year"))
        bare_months = _links(month_links)
        for m, ms in months:
            pages.append(Page(f"{y}/{m:02d}/", "archive.html", {
                "title": f"Archive: {month_label(y, m)}", "heading": month_label(y, m), "year": y, "month": m,
                "periods": year_links, "months": bare_months, "stories": ms, "current": str(y)}, "month"))
        _family(f"{y}/", pages[first:])
    return pages


def _lineage(model: SiteModel) -> dict[str, dict[str, list[tuple[str, str, str | None]]]]:
    """Country key -> its "successors" (a former country's) and "predecessors" (the
    former countries it succeeded), each as (key, name, page path or None).

    Only countries with articles have a page, so a name links only to those;
    plain tuples, so the carry key of an entity page sees a neighbour gain
    or lose its page."""
    out: dict[str, dict[str, list[tuple[str, str, str | None]]]] = {}
    entities = model.registry.entities
    for e in entities.values():
        if e.kind != "country" or not e.successors:
            continue
        for succ in e.successors:
            s = entities.get(f"countries/{succ}")
            if s is None:
                continue
            out.setdefault(e.key, {}).setdefault("successors", []).append(
                (s.key, s.name, s.url_path if s.key in model.entities else None))
            out.setdefault(s.key, {}).setdefault("predecessors", []).append(
                (e.key, e.name, e.url_path if e.key in model.entities else None))
    return out


def _entities(model: SiteModel, carry: Carry, nav: list[dict[str, str]]) -> list[Page]:
    pages: list[Page] = []
    md = markdown.Markdown(extensions=["extra"])
    for kind, section, title in (("person", "people", "People"), ("country", "countries", "Countries")):
        entries = [s for s in model.entities.values() if s.entity.kind == kind]
        by_name = sorted(entries, key=lambda s: s.entity.name.casefold())
        by_count = sorted(entries, key=lambda s: (-s.count, -s.mentions, s.entity.name.casefold()))
        pages.append(Page(f"{section}/", "entities.html", {
            "title": title, "entity_kind": kind, "section": section, "by_name": by_name, "by_count": by_count,
            "order": "name"}, section))
        # a fixed page beside the entity pages: registry.RESERVED_IDS keeps ids off its name
        pages.append(Page(f"{section}/by-mentions/", "entities.html", {
            "title": f"{title} by mentions", "entity_kind": kind, "section": section, "by_name": by_name,
            "by_count": by_count, "order": "mentions"}, section))
        lineage = _lineage(model) if kind == "country" else {}
        for st in entries:
            e = st.entity
            family = lineage.get(e.key, {})
            if carry(e.url_path, ("entity", st, nav, family)):  # the stats hold the entity and every appearance
                continue
            bio = Markup(md.reset().convert(e.body)) if e.body.strip() else Markup("")
            chart_points = [(str(y), c) for y, c in st.per_year()]
            chart = Markup(bar_chart(chart_points, f"Articles mentioning {e.name} per year")) if chart_points else Markup("")
            stories = [a.story for a in st.appearances]
            sentence_of = {a.story.url_path: a.sentence for a in st.appearances}
            listed_only = frozenset(a.story.url_path for a in st.appearances if a.count == 0)
            base = e.url_path
            extra = {"entity": e, "sentences": sentence_of, "listed_only": listed_only}
            root_ctx = {"stats": st, "bio": bio, "chart": chart, "chart_points": chart_points,
                        "related": [(e, n) for e, n, _ in st.related], "listed": len(listed_only),
                        "successors": family.get("successors", []), "predecessors": family.get("predecessors", [])}
            pages.extend(_family(base, _dated_listing(base, stories, e.name, kind, extra, template="entity_year.html",
                                                      root_context=root_ctx, root_template="entity.html")))
    return pages
