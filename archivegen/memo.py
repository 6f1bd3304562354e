"""What a build remembers for the next one: parsed articles and their stories.

Why. Even when one article was added, a build needs every article's front
matter (listings, entity pages, feeds) and every story's mention counts (entity
pages, "mentioned with"). Parsing 10,000 files again and reading 10,000
cached bodies took two seconds, most of an add-one build. ``serve`` keeps
this state in memory between builds (``build.Warm``); the command line keeps
it in one sealed cache entry, ``.cache/memo.json``, read in one go: a
header line, a JSON array with one line per article and per story (so
entries that did not change are written back as the lines they were),
and the SHA-256 of all that as the last line.

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

import hashlib
import json
import os
from array import array
from dataclasses import MISSING, asdict, fields, replace
from datetime import datetime
from functools import partial
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from . import code_id
from .cache import FORMAT, Cache, _read_or_empty, linked_key
from .content import Article
from .errors import Problem
from .model import Html, Story

ENTRY = "memo.json"
# the entries read by load(), by entry: ('A', path) -> (its Article, line number), ('S', body key)
# -> (registry, line number); save() writes an entry that did not change as the line it was read
# from. The lines are cut out of ``_read_text`` only when saving, which a child process does
# (``build._in_child``): splitting 13 MB is 0.05 s of an add-one build's critical path.
_lines: dict[tuple[str, str], tuple[Any, int]] = {}
_read_text: list[tuple[str, int]] = []  # the entry array as read and its entry count, or nothing
_ARTICLE_FIELDS = [f.name for f in fields(Article)]
# field -> its default, for the fields that have one: a value equal to it is not written
# (most articles leave most front matter fields out; a smaller memo parses faster)
_DEFAULTS = {f.name: (f.default_factory() if f.default_factory is not MISSING else f.default)
             for f in fields(Article) if f.default is not MISSING or f.default_factory is not MISSING}
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
    for name, default in _DEFAULTS.items():
        if name in d and type(d[name]) is type(default) and d[name] == default:
            del d[name]
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
            "tally": {key: [n, sentence] for key, (n, sentence) in st.tally.items()}}


def story_from_json(d: dict[str, Any], html: Html) -> Story:
    tally = {str(key): (int(n), str(sentence)) for key, (n, sentence) in d["tally"].items()}
    return Story(None, html, str(d["summary"]), tally, int(d["word_count"]),  # type: ignore[arg-type]
                 [str(k) for k in d["entity_keys"]])


def load(cache: Cache, warm_type: Any) -> Any:
    """The remembered state as a ``build.Warm``, empty when there is none to trust."""
    warm = warm_type()
    _lines.clear()
    _read_text.clear()
    raw = _read(cache)
    if raw is None:
        return warm
    try:
        entries = json.loads(raw)
        for line, entry in enumerate(entries):
            if entry[0] == "A":
                _, rel, stamp, art, warnings = entry
                article = article_from_json(art)
                warm.articles[rel] = (tuple(stamp), article, [Problem(**w) for w in warnings])
                _lines[("A", rel)] = (article, line)
            elif entry[0] == "S":
                _, key, registry, story, *rest = entry
                checked = rest[0] if rest and isinstance(rest[0], str) else registry
                html = Html(linked_key(key, registry), load=partial(cache.body_html, key, registry))
                warm.stories[key] = (story_from_json(story, html), registry, checked)
                _lines[("S", key)] = ((registry, checked), line)
            else:
                raise ValueError(entry[0])
    except (TypeError, ValueError, KeyError, IndexError):
        _lines.clear()
        return warm_type()
    _read_text.append((raw, len(entries)))
    return warm


class _OldLines:
    """The lines of the entry array as read (one entry a line: JSON strings never hold a
    raw newline), by number, cut out of the text one at a time when asked for.

    Only where each line starts is kept: splitting the text into a list of lines
    held a second copy of it, 130 MB at 100,000 articles, at the end of the build."""

    def __init__(self, raw: str):
        starts = array("q", [1])  # the text is "[" + lines joined by ",\n" + "]"
        find, at = raw.find, 1
        while (at := find(",\n", at)) >= 0:
            at += 2
            starts.append(at)
        self.raw, self.starts = raw, starts

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, n: int) -> str:
        starts = self.starts
        end = starts[n + 1] - 2 if n + 1 < len(starts) else len(self.raw) - 1
        return self.raw[starts[n]:end]


def _old_lines() -> _OldLines | None:
    """The entry lines as read; None if they do not match the entries (then all are written anew)."""
    if not _read_text:
        return None
    raw, count = _read_text[0]
    lines = _OldLines(raw)
    return lines if len(lines) == count else None


def save(cache: Cache, warm: Any) -> None:
    """Write the state; entries unchanged since ``load`` are written as they were read.

    Streamed line by line with the SHA-256 as the last line, so a 100,000-
    article memo never exists as one string in memory.
    """
    old = _old_lines()
    known_lines = _lines if old is not None else {}

    def lines() -> Iterator[str]:
        for rel, (stamp, article, warnings) in warm.articles.items():
            known = known_lines.get(("A", rel))
            if known is not None and known[0] is article:
                yield old[known[1]]  # type: ignore[index]
                continue
            d = article_to_json(article)
            if d is not None:
                yield _dumps(["A", rel, list(stamp), d, [asdict(w) for w in warnings]])
        for key, (st, registry, checked) in warm.stories.items():
            known = known_lines.get(("S", key))
            if known is not None and known[0] == (registry, checked):
                yield old[known[1]]  # type: ignore[index]
            else:
                yield _dumps(["S", key, registry, story_to_json(st), checked])

    path = cache.dir / ENTRY
    tmp = path.with_name(f".tmp-{ENTRY}-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        with open(tmp, "wb") as f:
            def put(text: str) -> None:
                data = text.encode("utf-8")
                h.update(data)
                f.write(data)

            put(_header() + "\n[")
            for n, line in enumerate(lines()):
                put((",\n" if n else "") + line)
            put("]")
            f.write(b"\n" + h.hexdigest().encode("ascii"))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a memo that cannot be written only costs time
    except BaseException:  # interrupted: leave no temporary file behind
        tmp.unlink(missing_ok=True)
        raise


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _header() -> str:
    return _dumps({"format": FORMAT, "version": code_id(), "key": "memo"})


def _read(cache: Cache) -> str | None:
    """The entry's lines after the seal and header, or None if absent, corrupt or foreign."""
    if not cache.enabled:
        return None
    body, sep, seal = _read_or_empty(cache.dir / ENTRY).rpartition(b"\n")
    if not sep or hashlib.sha256(body).hexdigest().encode("ascii") != seal:
        return None
    header, sep, rest = body.partition(b"\n")
    if not sep or header.decode("utf-8", "replace") != _header():
        return None
    try:
        return rest.decode("utf-8")
    except UnicodeDecodeError:
        return None
