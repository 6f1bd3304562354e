"""The site model: articles, their rendered bodies and who they mention.

Built once per build from plain data (articles, rendered bodies, the
registry) and read by page planning, feeds, sitemap and search. Nothing
here renders HTML.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter, defaultdict
from itertools import combinations
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from markupsafe import Markup

from .config import Config
from .content import Article
from .entities import Entity
from .slugs import slugify


class Html:
    """A story's rendered body HTML: known already, or read from the cache when shown.

    Every article gets a page planned, but an incremental build renders only
    the pages that changed, so it should not read every cached body: ``load``
    fetches one on first use. For page fingerprints its identity is ``key``
    (the body cache key: article bytes, render settings, registry), never the
    HTML itself, so a page fingerprints the same whichever way it was got.
    """

    __slots__ = ("key", "_markup", "_load", "fallback")

    def __init__(self, key: str, markup: str | None = None, load: Callable[[], str | None] | None = None,
                 fallback: Callable[[], str] | None = None):
        self.key = key
        self._markup = Markup(markup) if markup is not None else None
        self._load = load  # the cache lookup; None when the entry is gone or damaged
        self.fallback = fallback  # renders the body again

    def markup(self) -> Markup:
        if self._markup is None:
            text = self._load() if self._load is not None else None
            if text is None and self.fallback is not None:
                text = self.fallback()
            if text is None:
                raise LookupError(f"no HTML for body {self.key}")
            self._markup = Markup(text)
        return self._markup

    def release(self) -> None:
        """Forget the HTML when it can be got again (cache entry or re-render): see ``build.release_html``."""
        if self._load is not None or self.fallback is not None:
            self._markup = None

    def __html__(self) -> str:
        return str(self.markup())

    def __str__(self) -> str:
        return str(self.markup())

    def __bool__(self) -> bool:
        return bool(self.markup())

    def __repr__(self) -> str:
        return f"Html({self.key!r})"


@dataclass(slots=True)
class Story:
    """An article with its rendered body: what listings and pages show."""

    article: Article
    html: Html
    summary: str
    # entity key -> (mentions in this story, the sentence of the first): all that pages,
    # entity statistics and the memo need of the linker's mention list
    tally: dict[str, tuple[int, str]]
    word_count: int
    entity_keys: list[str] = field(default_factory=list)  # in order of first mention, then front matter

    @property
    def url_path(self) -> str:
        return self.article.url_path

    @property
    def date(self) -> datetime:
        return self.article.date

    @property
    def title(self) -> str:
        return self.article.title


@dataclass(slots=True)
class Appearance:
    """One article's mentions of one entity (for the entity page)."""

    story: Story
    count: int
    sentence: str


@dataclass
class EntityStats:
    entity: Entity
    appearances: list[Appearance] = field(default_factory=list)  # newest first
    mentions: int = 0
    related: list[tuple[Entity, int, float]] = field(default_factory=list)  # (entity, shared articles, score)

    @property
    def count(self) -> int:
        return len(self.appearances)

    @property
    def first(self) -> Story | None:
        return self.appearances[-1].story if self.appearances else None

    @property
    def latest(self) -> Story | None:
        return self.appearances[0].story if self.appearances else None

    @property
    def first_mention(self) -> Story | None:
        """The oldest article that names the entity (one listing it only in front matter does not)."""
        return next((a.story for a in reversed(self.appearances) if a.count), None)

    @property
    def latest_mention(self) -> Story | None:
        """The newest article that names the entity."""
        return next((a.story for a in self.appearances if a.count), None)

    def per_year(self) -> list[tuple[int, int]]:
        counts = Counter(a.story.date.year for a in self.appearances)
        if not counts:
            return []
        return [(y, counts.get(y, 0)) for y in range(min(counts), max(counts) + 1)]


@dataclass
class Group:
    """A named set of stories: a section or a tag."""

    slug: str
    name: str
    stories: list[Story] = field(default_factory=list)


@dataclass
class SiteModel:
    config: Config
    stories: list[Story]  # newest first
    registry: Any
    sections: dict[str, Group]
    tags: dict[str, Group]
    entities: dict[str, EntityStats]  # key -> stats, only entities with articles

    def people(self) -> list[EntityStats]:
        return [s for s in self.entities.values() if s.entity.kind == "person"]

    def countries(self) -> list[EntityStats]:
        return [s for s in self.entities.values() if s.entity.kind == "country"]

    def top_entities(self, n: int = 10) -> list[EntityStats]:
        return sorted(self.entities.values(), key=lambda s: (-s.count, -s.mentions, s.entity.name))[:n]


@functools.lru_cache(maxsize=4096)
def month_label(year: int, month: int, fmt: str = "%B %Y") -> str:
    """A month as the site's dates name it: "September 2014"; ``fmt`` "%B" gives "September",
    "%b %Y" "Sep 2014". One place for listings, archives, trends and life dates."""
    return datetime(year, month, 1).strftime(fmt)


def group_slug(name: str, kind: str) -> str:
    """The URL slug of a section or tag name (two spellings of one name share it).

    A name with no Latin letters or digits ("北京", "Москва", "!!!") has no
    slug of its own; it gets the kind and a short hash of the name, so that
    two such names keep two pages instead of sharing ``/tags/tag/``.

    Cached: a build asks for each story's section and tags, a few names
    10,000 times over."""
    return slugify(name) or f"{kind}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


MIN_PAIR = 2  # articles two entities must share before "mentioned with" lists them


def build_model(config: Config, stories: list[Story], registry: Any) -> SiteModel:
    stories = sorted(stories, key=lambda s: (s.date, s.url_path), reverse=True)
    sections: dict[str, Group] = {}
    tags: dict[str, Group] = {}
    # get-then-create rather than setdefault, whose default (a Group, an EntityStats with its
    # list) would be built for every story and entity mention, 90,000 times at 10,000 articles
    for s in stories:
        a = s.article
        if a.section:
            slug = group_slug(a.section, "section")
            g = sections.get(slug)
            if g is None:
                g = sections[slug] = Group(slug, a.section)
            g.stories.append(s)
        for t in dict.fromkeys(a.tags):
            slug = group_slug(t, "tag")
            g = tags.get(slug)
            if g is None:
                g = tags[slug] = Group(slug, t)
            g.stories.append(s)

    stats: dict[str, EntityStats] = {}
    get_entity = registry.get
    for s in stories:
        tally = s.tally
        for key in s.entity_keys:
            st = stats.get(key)
            if st is None:
                entity = get_entity(key)
                if entity is None:
                    continue
                st = stats[key] = EntityStats(entity)
            count, sentence = tally.get(key, (0, ""))
            st.appearances.append(Appearance(s, count, sentence))
            st.mentions += count
    _relate(stats, stories, len(stories))
    return SiteModel(config, stories, registry, dict(sorted(sections.items())), dict(sorted(tags.items())),
                     dict(sorted(stats.items())))


def _relate(stats: dict[str, EntityStats], stories: list[Story], n_docs: int) -> None:
    """'Mentioned with': pairs ranked by positive PMI, weighted by support.

    Plain co-occurrence counts would put the United States beside everyone;
    PMI favours specific pairs, and requiring MIN_PAIR shared articles keeps
    one-off coincidences out.
    """
    pair: Counter[tuple[str, str]] = Counter()
    for s in stories:
        # every pair of the story's entities, counted by Counter's C loop
        pair.update(combinations(sorted(k for k in set(s.entity_keys) if k in stats), 2))
    related: dict[str, list[tuple[Entity, int, float]]] = defaultdict(list)
    n = max(n_docs, 1)
    for (a, b), c in pair.items():
        if c < MIN_PAIR and n_docs > 20:
            continue
        pa, pb = stats[a].count / n, stats[b].count / n
        pmi = math.log((c / n) / (pa * pb)) if pa and pb else 0.0
        score = round(max(pmi, 0.0) * math.log1p(c), 6)
        related[a].append((stats[b].entity, c, score))
        related[b].append((stats[a].entity, c, score))
    for key, items in related.items():
        items.sort(key=lambda t: (-t[2], -t[1], t[0].name))
        stats[key].related = items[:12]
