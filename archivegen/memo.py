"""What a build remembers for the next one: parsed articles and their stories.

Why. Even when one article was added, a build needs every article's front
matter (listings, entity pages, feeds) and every story's mentions (entity
pages, "mentioned with"). Parsing 10,000 files again and reading 10,000
cached bodies took two seconds, most of an add-one build. ``serve`` keeps
this state in memory between builds (``build.Warm``); the command line keeps
it in one sealed cache entry, ``.cache/memo.json``, read in one go.

What is trusted. An article file whose stat (modification time in
nanoseconds, size, inode) and the archive's time zone are unchanged is
taken as unchanged, as ``make`` and ``serve`` do; anything else is parsed
again. A story is reused only under its body key (the article's bytes and
every render setting) and the registry it was linked with, exactly as the
body cache is. The Markdown source and the rendered HTML are not kept: the
source is read again if a registry change needs it, the HTML comes from the
body cache when a page that shows it is rendered (``model.Html``).

Entries are JSON like every cache entry (never pickle); an article whose
front matter would not survive the JSON round trip exactly (say, a date in
an unknown field) is simply not remembered.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from .cache import Cache
from .content import Article
from .errors import Problem
from .linker import Mention
from .model import Html, Story

ENTRY = "memo.json"
# article object id -> (the article, its JSON) for articles read from the memo: saved again
# as they were read, without the round-trip check (it holds the article, so the id stays its own)
_known: dict[int, tuple[Article, dict[str, Any]]] = {}
_ARTICLE_FIELDS = [f.name for f in fields(Article)]
_DATES = ("date", "updated")


def _dt(value: datetime | None) -> Any:
    if value is None:
        return None
    tz = value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None
    naive = value.replace(tzinfo=None) if tz else value
    return [naive.isoformat(), tz]


def _undt(value: Any) -> datetime | None:
    if value is None:
        return None
    text, tz = value
    d = datetime.fromisoformat(text)
    return d.replace(tzinfo=ZoneInfo(tz)) if tz else d


def article_to_json(a: Article) -> dict[str, Any] | None:
    """The article without its Markdown source; None if it would not come back equal."""
    d = {name: getattr(a, name) for name in _ARTICLE_FIELDS if name != "body"}
    for name in _DATES:
        d[name] = _dt(d[name])
    try:
        d = json.loads(json.dumps(d, ensure_ascii=False))
        back = article_from_json(d)
    except (TypeError, ValueError, KeyError):
        return None
    if back != replace(a, body="") or _dt(back.date) != d["date"]:
        return None
    return d


def article_from_json(d: dict[str, Any]) -> Article:
    values = dict(d)
    for name in _DATES:
        values[name] = _undt(values.get(name))
    return Article(body="", **values)


def story_to_json(st: Story) -> dict[str, Any]:
    return {"summary": st.summary, "word_count": st.word_count, "entity_keys": st.entity_keys,
            "mentions": [[m.start, m.end, m.text, m.key, m.kind, m.linked, m.sentence] for m in st.mentions]}


def story_from_json(d: dict[str, Any], html: Html) -> Story:
    mentions = [Mention(*m) for m in d["mentions"]]
    return Story(None, html, str(d["summary"]), mentions, int(d["word_count"]),  # type: ignore[arg-type]
                 [str(k) for k in d["entity_keys"]])


def load(cache: Cache, warm_type: Any) -> Any:
    """The remembered state as a ``build.Warm``, empty when there is none to trust."""
    warm = warm_type()
    data = cache.read(ENTRY, "memo")
    if not isinstance(data, dict):
        return warm
    try:
        for rel, (stamp, art, warnings) in data["articles"].items():
            article = article_from_json(art)
            warm.articles[rel] = (tuple(stamp), article, [Problem(**w) for w in warnings])
            _known[id(article)] = (article, art)
        for key, (registry, story) in data["stories"].items():
            html = Html(_html_key(key, registry), load=partial(cache.body_html, key, registry))
            warm.stories[key] = (story_from_json(story, html), registry)
    except (TypeError, ValueError, KeyError):
        return warm_type()
    return warm


def save(cache: Cache, warm: Any) -> None:
    articles = {}
    for rel, (stamp, article, warnings) in warm.articles.items():
        known = _known.get(id(article))
        d = known[1] if known is not None and known[0] is article else article_to_json(article)
        if d is not None:
            articles[rel] = [list(stamp), d, [asdict(w) for w in warnings]]
    stories = {key: [registry, story_to_json(st)] for key, (st, registry) in warm.stories.items()}
    cache.write(ENTRY, "memo", {"articles": articles, "stories": stories})


def _html_key(key: str, registry: str) -> str:
    from .cache import digest

    return digest(key, registry)
