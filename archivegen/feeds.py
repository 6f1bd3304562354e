"""Atom feeds (RFC 4287): the whole site and every person, country, section and tag.

Two properties matter more than anything else in a feed, because readers
store what they saw:

* **Ids never change.** An entry's ``<id>`` is a ``tag:`` URI (RFC 4151)
  made of the site id, the article's date and its slug
  (``tag:news-archive,2013-08-09:us-russia-have-shared-interests``), never
  its URL: moving the archive to another host or sub-path, or switching
  between ``http`` and ``https``, does not make every reader show every
  article again. The site id is ``site_id`` from ``archive.yaml`` when set,
  else the slug of the site title (see docs/publishing.md).
* **Rebuilds are byte-identical.** ``<updated>`` is the newest entry's
  date (its ``updated`` field, else its publication date), never the build
  time, and everything is written in a fixed order, so a clean and an
  incremental build produce the same bytes and ``rsync``/S3 sync upload
  nothing when nothing changed.

The XML is written by hand with explicit escaping (no template can forget
it) and characters XML 1.0 forbids are dropped, so any front matter value
gives a well-formed document.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable
from xml.sax.saxutils import escape, quoteattr

from . import code_id
from .cache import ByIdentity, digest
from .model import SiteModel, Story
from .slugs import slugify

ATOM_TYPE = "application/atom+xml"
# Characters XML 1.0 does not allow anywhere in a document.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A fixed date for feed-level tag: ids; RFC 4151 wants one, its value is only a namespace.
FEED_ID_DATE = "2000"
FEED_SCHEME = "1"  # bump when the XML a feed is rendered to changes


def site_id(config: Any) -> str:
    """The stable naming authority of every id: ``site_id`` setting or the title's slug."""
    explicit = getattr(config, "site_id", None) or (getattr(config, "extra", None) or {}).get("site_id")
    ident = slugify(str(explicit)) if explicit else slugify(config.title or "")
    return ident or "archivegen"


def entry_id(config: Any, story: Story) -> str:
    """``tag:<site>,<YYYY-MM-DD>:<slug>``: the article's date and slug, as its URL has them."""
    return f"tag:{site_id(config)},{story.date:%Y-%m-%d}:{story.article.slug}"


def feed_id(config: Any, path: str) -> str:
    """``tag:<site>,2000:feed`` for the site feed, ``…:feed/people/john-kerry`` for the others."""
    suffix = "feed" if not path else f"feed/{path.strip('/')}"
    return f"tag:{site_id(config)},{FEED_ID_DATE}:{suffix}"


def story_updated(story: Story) -> datetime:
    a = story.article
    return a.updated if a.updated and a.updated > a.date else a.date


def _text(value: Any) -> str:
    return escape(_INVALID_XML.sub("", str(value)))


def _attr(value: Any) -> str:
    return quoteattr(_INVALID_XML.sub("", str(value)))


def _date(value: datetime) -> str:
    """RFC 3339; article dates are always timezone-aware."""
    return value.isoformat()


class FeedWriter:
    """Renders Atom documents for one build (config and URL helpers fixed)."""

    def __init__(self, config: Any, theme: Any):
        self.config = config
        self.theme = theme
        self.author = config.publisher or config.title
        # a story's summary entry is the same in every feed that lists it (its entities',
        # section's and tags'): 8,700 entries in the feeds of 10,000 articles are 4,700 stories
        self._entries = ByIdentity()

    def abs(self, path: str) -> str:
        """Absolute when base_url has a host; else site-relative, which Atom allows (IRI references)."""
        return self.theme.abs_url(path)

    def render(self, *, path: str, title: str, subtitle: str, page: str, stories: list[Story],
               full_content: bool) -> str:
        """One feed. ``path`` is the feed's folder ('' or 'people/x/'), ``page`` the HTML page it mirrors."""
        cfg = self.config
        stories = stories[: cfg.feed_size]
        updated = max((story_updated(s) for s in stories), default=None)
        base = cfg.site_url
        out = ['<?xml version="1.0" encoding="utf-8"?>\n',
               f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={_attr(cfg.language)}'
               + (f" xml:base={_attr(base)}" if base else "") + ">\n",
               f"  <id>{_text(feed_id(cfg, path))}</id>\n",
               f"  <title>{_text(title)}</title>\n"]
        if subtitle:
            out.append(f"  <subtitle>{_text(subtitle)}</subtitle>\n")
        # A feed without entries still needs <updated>: the epoch keeps it reproducible.
        out.append(f"  <updated>{_date(updated) if updated else '1970-01-01T00:00:00+00:00'}</updated>\n")
        out.append(f'  <link rel="self" type="{ATOM_TYPE}" href={_attr(self.abs(path + "feed.xml"))}/>\n')
        out.append(f'  <link rel="alternate" type="text/html" href={_attr(self.abs(page))}/>\n')
        out.append(f"  <author><name>{_text(self.author)}</name></author>\n")
        out.append('  <generator>archivegen</generator>\n')
        for s in stories:
            out.append(self._entry(s, full_content))
        out.append("</feed>\n")
        return "".join(out)

    def _entry(self, s: Story, full_content: bool) -> str:
        if not full_content:
            known = self._entries.get(s)
            if known is not None:
                return known
        a = s.article
        out = ["  <entry>\n",
               f"    <id>{_text(entry_id(self.config, s))}</id>\n",
               f"    <title>{_text(a.title)}</title>\n",
               f'    <link rel="alternate" type="text/html" href={_attr(self.abs(s.url_path))}/>\n',
               f"    <published>{_date(a.date)}</published>\n",
               f"    <updated>{_date(story_updated(s))}</updated>\n"]
        for name in a.authors:
            out.append(f"    <author><name>{_text(name)}</name></author>\n")
        if a.section:
            out.append(f"    <category term={_attr(slugify(a.section) or a.section)} label={_attr(a.section)}/>\n")
        for t in dict.fromkeys(a.tags):
            out.append(f"    <category term={_attr(slugify(t) or t)} label={_attr(t)}/>\n")
        if s.summary:
            out.append(f'    <summary type="text">{_text(s.summary)}</summary>\n')
        if full_content and s.html:
            out.append(f'    <content type="html">{_text(s.html)}</content>\n')
        out.append("  </entry>\n")
        text = "".join(out)
        return self._entries.put(s, text) if not full_content else text


def feed_list(model: SiteModel) -> Iterable[tuple[str, str, str, list[Story]]]:
    """(folder, title, subtitle, stories) of every feed, site feed first."""
    cfg = model.config
    yield "", cfg.title, cfg.description, model.stories
    for st in model.entities.values():
        e = st.entity
        yield e.url_path, f"{e.name} · {cfg.title}", f"Articles mentioning {e.name}", [ap.story for ap in st.appearances]
    for g in model.sections.values():
        yield f"sections/{g.slug}/", f"{g.name} · {cfg.title}", f"Section: {g.name}", g.stories
    for g in model.tags.values():
        yield f"tags/{g.slug}/", f"{g.name} · {cfg.title}", f"Tagged {g.name}", g.stories


def feed_fingerprint(salt: str, path: str, title: str, subtitle: str, stories: list[Story],
                     full_content: bool) -> str:
    """What one feed's bytes depend on: its heading and, per entry, the article's bytes
    (front matter, summary, URL) and, for full-content feeds, the rendered body."""
    entries = [f"{s.article.digest}:{getattr(s.html, 'key', '') if full_content else ''}" for s in stories]
    return digest(FEED_SCHEME, salt, path, title, subtitle, full_content, *entries)


def write_feeds(model: SiteModel, loaded: Any, staging: Any, opts: Any) -> None:
    """Late build stage: every feed into the staging folder.

    Only the site feed carries full article bodies; the others (one per
    entity, section and tag, often thousands) carry summaries, which keeps
    the output size proportional to the archive rather than to its links.

    A feed whose fingerprint (``feed_fingerprint``) equals the one recorded
    with the published site is taken from it unchanged instead of being
    rendered: one new article changes a handful of the hundreds of feeds.
    The fingerprints join the pages' in ``staging.fingerprints``, which the
    build records; ``staging.previous`` holds the last build's.
    """
    cfg = model.config
    writer = FeedWriter(cfg, loaded.theme)
    fingerprints: dict[str, str] | None = getattr(staging, "fingerprints", None)
    previous: dict[str, str] = getattr(staging, "previous", None) or {}
    salt = digest(code_id(), cfg.fingerprint(), loaded.theme.abs_url(""))
    for path, title, subtitle, stories in feed_list(model):
        rel = f"{path}feed.xml"
        full = path == ""
        stories = stories[: cfg.feed_size]
        if fingerprints is not None:
            fp = feed_fingerprint(salt, path, title, subtitle, stories, full)
            fingerprints[rel] = fp
            if previous.get(rel) == fp and staging.reuse(rel):
                continue
        staging.write(rel, writer.render(path=path, title=title, subtitle=subtitle, page=path, stories=stories,
                                         full_content=full))
