"""The search index: Pagefind, in shards, indexed in parallel, reused when unchanged.

Why shards. Pagefind holds a whole index in memory while it builds, and
its peak grows faster than the page count (measured with pagefind 1.5.2:
1,000 pages 93 MB, 5,000 pages 430 MB, 10,000 pages 1.7 GB). So articles
are split by date into shards of at most ``MAX_SHARD_PAGES`` pages (one per
year; a bigger year splits into runs of whole months, a month too big on its
own into runs of days; the newest day and the rest of the newest month are
shards of their own, so the common change, a new article, re-indexes a day
and not a year),
plus one shard for the entity pages. A 100,000-article archive then indexes
in a few hundred megabytes per process, ``MAX_PARALLEL`` processes at a time.

Why dates. Shards are date ranges that do not overlap, which is what makes
a date sort across them possible at all: Pagefind precomputes sort order per
index, so the browser (``static/search.js``) asks each shard for its own
date-sorted results and concatenates shards in date order, instead of
letting ``mergeIndex`` interleave them by per-shard rank. Entity pages have
no date (Pagefind drops pages without a sort value from a sorted search),
so they live in their own shard, which is searched by relevance and shown
above the dated articles.

Why a content hash. A shard is rebuilt only when the indexed part
(``<main>``) of one of its pages changed, or its page set did; otherwise its
files are hard-linked from the published site. The hash of each shard is
kept per output folder in ``.cache/search/shards.json``.

The indexer is the binary from ``pagefind-bin`` (the Python API's
per-file calls manage about ten pages a second), run on the staged site
with a glob naming exactly the shard's pages (``in_place_globs``), or, when
no glob can, on a folder of hard links to them. The page workers hash each
searchable page's indexed region as they write it, so nothing is read back
before Pagefind starts. Only the shard that the page loads first (the
"primary") keeps Pagefind's JavaScript and WebAssembly; the others keep
only their index, which ``mergeIndex`` needs.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import BuildFailed, Problem

BUNDLE = "pagefind"  # site folder of the index
MANIFEST = "archive.json"  # shard list and filter values, read by static/search.js
SCHEME = "2"  # bump when the markup or the shard layout changes meaning
MAX_SHARD_PAGES = 2500  # ≈ 420 MB peak per pagefind process on full article pages
MAX_PARALLEL = 2  # pagefind processes at once: ≈ 2 × 420 MB at most (measured on 2,500-page shards)
ENTITY_WEIGHT = 2.0  # mergeIndex indexWeight of the entity shard: "Lavrov" finds his page first
FILTERS = ("person", "country", "section", "year")
# Files every bundle gets but a merged (non-primary) shard never loads; the
# primary keeps pagefind.js, its worker and the WebAssembly.
UI_ASSETS = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
             "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")
ENGINE_ASSETS = ("pagefind.js", "pagefind-worker.js")


@dataclass
class Shard:
    """One Pagefind index: a date range of articles, or the entity pages."""

    name: str  # folder below pagefind/: '2013', '2013-08', '2013-08-01', 'entities'
    kind: str  # 'articles' or 'entities'
    pages: list[str] = field(default_factory=list)  # site-relative files, e.g. '2013/08/09/x/index.html'
    start: str = ""  # first and last date (ISO) of the articles it holds
    end: str = ""
    weight: float = 1.0

    @property
    def path(self) -> str:
        return f"{self.name}/"


def pagefind_binary() -> Path:
    """The indexer shipped by ``pagefind-bin`` (pinned in pyproject.toml)."""
    import pagefind_bin

    return Path(pagefind_bin.get_executable())


@functools.lru_cache(maxsize=1)
def pagefind_version() -> str:
    """The indexer's version, part of every shard's hash (asked once per shard: cached)."""
    try:
        from importlib.metadata import version

        return version("pagefind-bin")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "unknown"


# -- planning --------------------------------------------------------------------

def plan_shards(model: Any, mode: str = "year", max_pages: int = MAX_SHARD_PAGES) -> list[Shard]:
    """Entity shard first, then article shards from newest to oldest.

    ``mode`` 'single' puts all articles in one shard (small archives);
    'year' (the default) splits by date as described in the module doc.
    """
    shards: list[Shard] = []
    entity_pages = [st.entity.url_path + "index.html" for st in model.entities.values()]
    for i in range(0, len(entity_pages), max_pages):
        name = "entities" if i == 0 else f"entities-{i // max_pages + 1}"
        shards.append(Shard(name, "entities", entity_pages[i:i + max_pages], weight=ENTITY_WEIGHT))
    stories = list(model.stories)  # newest first
    if mode == "single":
        if stories:
            shards.append(_article_shard("articles", stories))
        return shards
    # the newest day is a shard of its own, and the rest of the newest month another: new
    # articles land on the newest day, so adding one re-indexes a day of pages, not a month
    # or a year, and the day after, the month (at the cost of two more, small, shards)
    if stories:
        newest = stories[0].date
        day = _leading(stories, lambda d: d.date() == newest.date())
        month = _leading(stories, lambda d: (d.year, d.month) == (newest.year, newest.month))
        if month < len(stories):  # more than one month in all
            if 0 < day < month:
                shards.append(_article_shard(f"{newest:%Y-%m-%d}", stories[:day]))
            latest, stories = stories[(day if day < month else 0):month], stories[month:]
            if len(latest) <= max_pages:
                shards.append(_article_shard(f"{latest[0].date:%Y-%m}", latest))
            else:
                shards.extend(_runs(_days(latest), max_pages))
    for year, in_year in groupby(stories, key=lambda s: s.date.year):
        ys = list(in_year)
        if len(ys) <= max_pages:
            shards.append(_article_shard(f"{year:04d}", ys))
            continue
        # a big year: runs of whole months (whole days for a month that is too big on
        # its own), packed up to max_pages, oldest first so a growing year keeps its
        # earlier shards; fewer, fuller shards cost the browser fewer requests
        units: list[tuple[str, list[Any]]] = []
        for month, in_month in groupby(reversed(ys), key=lambda s: s.date.month):
            ms = list(in_month)
            if len(ms) <= max_pages:
                units.append((f"{year:04d}-{month:02d}", ms))
            else:
                units.extend(_days(list(reversed(ms))))
        shards.extend(_runs(units, max_pages))
    return shards


def _leading(stories: list[Any], same: Callable[[datetime], bool]) -> int:
    """How many stories (newest first) from the start have a date for which ``same`` holds."""
    k = 0
    while k < len(stories) and same(stories[k].date):
        k += 1
    return k


def _days(stories: list[Any]) -> list[tuple[str, list[Any]]]:
    """A month's stories (newest first) as one unit per day, oldest day first."""
    return [(f"{g[0].date:%Y-%m-%d}", g) for g in
            (list(d) for _, d in groupby(reversed(stories), key=lambda s: s.date.day))]


def _runs(units: list[tuple[str, list[Any]]], max_pages: int) -> list[Shard]:
    """Pack date units (oldest first) into shards of at most max_pages, newest shard first."""
    runs: list[tuple[str, list[Any]]] = []
    for name, unit in units:
        if runs and len(runs[-1][1]) + len(unit) <= max_pages:
            runs[-1][1].extend(unit)
        else:
            runs.append((name, list(unit)))
    shards = []
    for name, run in reversed(runs):
        run.reverse()
        shards.append(_article_shard(name, run))
    return shards


def _article_shard(name: str, stories: list[Any]) -> Shard:
    return Shard(name, "articles", [s.url_path + "index.html" for s in stories],
                 start=stories[-1].date.date().isoformat(), end=stories[0].date.date().isoformat())


def filter_values(model: Any) -> dict[str, list[list[Any]]]:
    """Every filter's values with article counts, for the search page's menus.

    Written into the manifest so the page never has to load every shard's
    filter index (1.3 MB at 100,000 articles) just to fill its menus.
    """
    def ranked(counts: Iterable[tuple[str, int]]) -> list[list[Any]]:
        return [[name, n] for name, n in sorted(counts, key=lambda t: (-t[1], t[0].casefold()))]

    years = Counter(str(s.date.year) for s in model.stories)
    return {
        "person": ranked((st.entity.name, st.count) for st in model.people()),
        "country": ranked((st.entity.name, st.count) for st in model.countries()),
        "section": ranked((g.name, len(g.stories)) for g in model.sections.values()),
        "year": [[y, n] for y, n in sorted(years.items(), reverse=True)],
    }


# -- hashing ---------------------------------------------------------------------

def indexed_region(html: bytes) -> bytes:
    """The part of a page Pagefind reads: <main>, without the parts it ignores.

    Navigation outside <main> may change freely. Inside it, an element
    marked ``data-pagefind-ignore`` is left out too unless it carries filter,
    metadata or sort values (Pagefind still reads those there): an entity
    page's article list and counts change with every article that mentions
    the entity, its indexed name and biography do not, so the entity shard
    is not re-indexed for that.
    """
    start = html.find(b"<main")
    end = html.rfind(b"</main>")
    if start < 0 or end < start:
        return html
    return _strip_ignored(html[start:end])


SEARCH_COPIES = True  # stage searchable pages as their search copies while Pagefind reads them
_TAG_NAME_ENDS = (b">", b" ", b"\n", b"\t", b"\r", b"\f", b"/")  # what may follow a tag's name


def search_copy(html: bytes) -> bytes | None:
    """A smaller page that Pagefind indexes exactly as it indexes ``html``, or None if unsure.

    Why. Pagefind's work grows with the bytes it parses, and more than half
    of an article page's bytes are outside ``<main>`` (head, masthead,
    footer), where it reads nothing but the ``lang`` of ``<html>``.
    Indexing 1,000 article pages as these copies took 1.13-1.18 CPU-s
    instead of 1.26-1.28, with the same fragments and word index.

    What. The ``<html>`` tag and the ``<title>`` element as they are, and
    ``<main>`` as it is. Only for a page with one ``<main>`` element that
    holds every ``data-pagefind`` attribute of the page and its first
    ``<h1>`` and ``<img>`` (Pagefind's automatic title and image); for any
    other, None, and Pagefind reads the page itself. Tags are found in any
    case, as HTML allows.
    """
    low = html.lower()  # the same length: positions in it are positions in html
    start = low.find(b"<main")
    if start < 0 or low[start + 5:start + 6] not in _TAG_NAME_ENDS or low.find(b"<main", start + 5) >= 0:
        return None
    end = low.find(b"</main>", start)
    if end < 0 or low.find(b"</main>", end + 7) >= 0:
        return None
    end += 7
    for read in (b"data-pagefind", b"<h1", b"<img"):
        if low.find(read, 0, start) >= 0 or low.find(read, end) >= 0:
            return None
    tag = low.find(b"<html")
    tag_end = low.find(b">", tag)
    if tag < 0 or tag_end < 0 or tag_end > start or low[tag + 5:tag + 6] not in _TAG_NAME_ENDS:
        return None
    title = b""
    t = low.find(b"<title", 0, start)
    if t >= 0:
        t_end = low.find(b"</title>", t, start)
        if t_end < 0 or low[t + 6:t + 7] not in _TAG_NAME_ENDS:
            return None
        title = html[t:t_end + 8]
    return b"".join((b"<!doctype html>\n", html[tag:tag_end + 1], b'<head><meta charset="utf-8">', title,
                     b"</head><body>", html[start:end], b"</body></html>\n"))


def region_hash(html: bytes) -> str:
    """The hash that tells whether Pagefind would read a page differently."""
    return hashlib.sha256(indexed_region(html)).hexdigest()


_IGNORED = re.compile(rb"<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*\sdata-pagefind-ignore\b[^>]*>")
_KEPT_ATTRS = (b"data-pagefind-filter", b"data-pagefind-meta", b"data-pagefind-sort", b"data-pagefind-body")


def _ignored_tags(region: bytes) -> Iterator[re.Match[bytes]]:
    """The matches of ``_IGNORED`` in ``region``, as ``finditer`` gives them, found faster.

    The pattern has to be tried at every "<" of a page, a hundred and more,
    each time running to the tag's end and back: 0.45 s for 10,000 pages.
    The attribute's name is rare, and bytes.find gets to it at once. No
    match can start before the last ">" ahead of its first occurrence (a
    match holds an occurrence inside its own tag), so the pattern is tried
    from there on, usually matching at the first try.
    """
    pos = 0
    while True:
        at = region.find(b"data-pagefind-ignore", pos)
        if at < 0:
            return
        m = _IGNORED.search(region, max(pos, region.rfind(b">", pos, at) + 1))
        if m is None:
            return
        yield m
        pos = m.end()


def _strip_ignored(region: bytes) -> bytes:
    """Drop ignored elements (with their content) that hold no Pagefind values."""
    out: list[bytes] = []
    pos = 0
    for m in _ignored_tags(region):
        if m.start() < pos:
            continue  # inside an element already dropped
        close = _closing(region, m.group(1).lower(), m.end())
        if close is None:
            return region  # not the well-formed markup expected: hash it all (never too little)
        element = region[m.start():close]
        if any(a in element for a in _KEPT_ATTRS):
            continue
        out.append(region[pos:m.start()])
        pos = close
    out.append(region[pos:])
    return b"".join(out)


@functools.lru_cache(maxsize=64)
def _tags(tag: bytes) -> re.Pattern[bytes]:
    """Start and end tags of one element name."""
    return re.compile(rb"<(/?)" + re.escape(tag) + rb"\b[^>]*>", re.IGNORECASE)


def _closing(html: bytes, tag: bytes, pos: int) -> int | None:
    """The offset just past the end tag that closes an element of ``tag`` opened before ``pos``."""
    depth = 1
    for m in _tags(tag).finditer(html, pos):
        if m.group(1):
            depth -= 1
            if depth == 0:
                return m.end()
        elif not m.group(0).endswith(b"/>"):
            depth += 1
    return None


class RegionHashes:
    """The hash of each page's indexed region, read only for pages that may have changed.

    A page whose build fingerprint equals the one recorded with its hash
    last time has the same bytes, so its hash is taken from the record
    instead of reading the file: a one-article edit reads a handful of pages,
    not the whole site.
    """

    def __init__(self, staging: Any, previous: dict[str, list[str]]):
        self.staging = staging
        self.previous = previous
        self.fingerprints = getattr(staging, "fingerprints", None) or {}
        self.rendered: dict[str, str] = getattr(staging, "region_hashes", None) or {}
        self.now: dict[str, list[str]] = {}

    def get(self, rel: str) -> str:
        fp = self.fingerprints.get(rel)
        old = self.previous.get(rel)
        value = self.rendered.get(rel)  # taken by the page workers from the bytes they wrote
        if value is None:
            value = old[1] if fp is not None and old and old[0] == fp else self._read(rel)
        if fp is not None:
            self.now[rel] = [fp, value]
        return value

    def _read(self, rel: str) -> str:
        """A page's hash from its file: one neither rendered this build nor recorded unchanged."""
        try:
            return region_hash(_source(self.staging, rel).read_bytes())
        except OSError:
            return "missing"


def shard_digest(shard: Shard, hashes: Any, primary: bool) -> str:
    if not isinstance(hashes, RegionHashes):
        hashes = RegionHashes(hashes, {})
    h = hashlib.sha256()
    h.update(f"{SCHEME}\x1f{pagefind_version()}\x1f{shard.name}\x1f{shard.kind}\x1f{primary}\n".encode())
    for rel in sorted(shard.pages):
        h.update(rel.encode("utf-8") + b"\x1f" + hashes.get(rel).encode("ascii") + b"\n")
    return h.hexdigest()


# -- the build stage -------------------------------------------------------------

@dataclass
class IndexReport:
    shards: int = 0
    rebuilt: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    files: int = 0
    pages: int = 0


def start_index(model: Any, loaded: Any, staging: Any, opts: Any) -> Indexing | None:
    """Late build stage: reuse the unchanged shards and start Pagefind on the others.

    Returns at once with Pagefind running; the build writes its feeds and
    sitemap meanwhile and then calls ``Indexing.finish``. Everything that
    runs Python is done on the calling thread, before or after: the
    thread that waits for Pagefind does little else, because each of its
    system calls would have to win the interpreter lock back from the
    feeds (an add-one build's shard took 0.36 s where Pagefind took 0.13 s).
    """
    config = loaded.config
    if not getattr(opts, "search", True) or not getattr(config, "search", True):
        return None
    mode = getattr(config, "search_shard", "year")
    max_pages = getattr(opts, "search_shard_pages", None) or MAX_SHARD_PAGES
    shards = [s for s in plan_shards(model, mode, max_pages) if s.pages]
    if not shards:
        return None
    out: Path = staging.out
    state_path = Path(opts.root) / ".cache" / "search" / "shards.json"
    state = _read_state(state_path)
    out_key = str(Path(out).resolve())
    previous: dict[str, str] = {} if getattr(opts, "clean", False) else state.get(out_key, {})
    primary = shards[0].name
    pages_path = state_path.with_name("pages.json")
    recorded = _read_pages(pages_path).get(out_key, {}) if not getattr(opts, "clean", False) else {}
    hashes = RegionHashes(staging, recorded)
    digests = {s.name: shard_digest(s, hashes, s.name == primary) for s in shards}

    report = IndexReport(shards=len(shards), pages=sum(len(s.pages) for s in shards))
    todo: list[Shard] = []
    held = _held_by_shard(staging)
    for s in shards:
        published = Path(out) / BUNDLE / s.name
        if previous.get(s.name) == digests[s.name] and (published / "pagefind-entry.json").is_file():
            for rel in _published_files(staging, Path(out), s.name, held):
                staging.reuse(rel)
            report.reused.append(s.name)
        else:
            todo.append(s)
    state[out_key] = digests
    jobs = getattr(opts, "jobs", 0) or os.cpu_count() or 1
    return Indexing(model, staging, shards, todo, report, jobs,
                    after=lambda: _record(state_path, state, pages_path, out_key, hashes.now))


def _record(state_path: Path, state: dict[str, dict[str, str]], pages_path: Path, out_key: str,
            now: dict[str, list[str]]) -> None:
    """Keep the shard hashes and page hashes for the next build (after a successful index)."""
    _write_state(state_path, state)
    if now:
        _write_pages(pages_path, {out_key: now})


class Indexing:
    """Pagefind at work on the shards that changed (``start_index``)."""

    def __init__(self, model: Any, staging: Any, shards: list[Shard], todo: list[Shard], report: IndexReport,
                 jobs: int, after: Callable[[], None]):
        self.model, self.staging, self.shards, self.todo, self.report = model, staging, shards, todo, report
        self.after = after
        self.primary = shards[0].name
        self.farm_root = staging.dir / ".search-src"
        self.pool: ThreadPoolExecutor | None = None
        self.futures: list[Any] = []
        if not todo:
            return
        workers = max(1, min(jobs, MAX_PARALLEL, len(todo)))
        # largest shards first: the small ones (the newest day and month, the entities) then
        # fill the end, where one process would otherwise finish a year's shard alone
        order = sorted(todo, key=lambda s: -len(s.pages))
        # the first shards' globs are checked here, the others' by their threads while
        # Pagefind runs: checking all thirteen first (a folder listing per day of ten years)
        # kept both cores waiting 0.08 s between the pages and the index
        globs = in_place_globs(order[:workers], staging)
        # the first shards are prepared here (``_prepare_shard``), so an add-one build's single
        # shard needs nothing of its thread but starting Pagefind while the feeds run; later
        # ones are prepared by the thread that indexes them, by when the feeds and sitemap
        # are long done
        for s in order[:workers]:
            _prepare_shard(s, staging, self.farm_root, globs.get(s.name))
        # One thread more than Pagefind processes at once: the spare one has its shard
        # prepared and starts Pagefind the moment another finishes, while that one's thread
        # takes its files into the site. With as many threads as processes, each shard's
        # Pagefind waited for the last one's files (30-80 ms, twelve times in a cold
        # 10,000-article build), a core idle all the while.
        # Pagefind starts in this order, whichever thread is quicker to get there (``_run``).
        self.workers = workers
        self.turn = threading.Condition()
        self.next_turn = 0  # the place in ``order`` of the next shard to start
        self.running = 0  # Pagefind processes running
        self.cancelled = False
        self.pool = ThreadPoolExecutor(max_workers=min(workers + 1, len(order)))
        self.futures = [self.pool.submit(self._index, s, i, prepared=i < workers, glob=globs.get(s.name))
                        for i, s in enumerate(order)]  # a shard not prepared here finds its own glob

    def _index(self, shard: Shard, place: int, *, prepared: bool,
               glob: str | None) -> tuple[tuple[str, str] | None, list[Any]]:
        """Index one shard (in a pool thread), then list the files Pagefind wrote for it while
        the other shards are still being indexed: (failure or None, ``Staging.scan_tree``)."""
        try:
            if not prepared:
                glob = in_place_globs([shard], self.staging).get(shard.name)
            failure = _index_shard(shard, self.staging, self.farm_root, shard.name == self.primary,
                                   prepared=prepared, glob=glob, run=partial(self._run, place))
        finally:
            self._pass_turn(place)  # a shard that failed before its turn must not hold up the rest
        if failure is not None:
            return failure, []
        self.staging.finish_pages(shard.pages)  # Pagefind has read them: search copies become the pages
        return None, self.staging.scan_tree(f"{BUNDLE}/{shard.name}")

    def _run(self, place: int, cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run Pagefind for the shard at ``place`` in the order (``CPU_SHARES.run``) once the
        shards before it have started and fewer than ``workers`` processes run. A shard
        indexed a second time (``_index_shard``'s fallback) has had its turn already."""
        with self.turn:
            self.turn.wait_for(lambda: self.cancelled or (place <= self.next_turn and self.running < self.workers))
            if self.cancelled:  # the build failed while this shard waited its turn
                raise OSError("cancelled")
            self.running += 1
            self._pass_turn(place)
        try:
            return CPU_SHARES.run(cmd, timeout)
        finally:
            with self.turn:
                self.running -= 1
                self.turn.notify_all()

    def _pass_turn(self, place: int) -> None:
        """The shards after ``place`` may start (the condition's lock is reentrant)."""
        with self.turn:
            if self.next_turn <= place:
                self.next_turn = place + 1
                self.turn.notify_all()

    def _wait(self, cancel: bool = False) -> list[tuple[str, str]]:
        """The shards that failed, once every one has finished; the others' files are recorded."""
        if self.pool is None:
            return []
        try:
            if cancel:
                with self.turn:
                    self.cancelled = True
                    self.turn.notify_all()
                return []
            failures = []
            for fut in self.futures:
                failure, found = fut.result()
                if failure is not None:
                    failures.append(failure)
                else:
                    self.staging.take_tree(found)
            return failures
        finally:  # cancel: the shards not started yet are dropped, the running ones waited for
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            shutil.rmtree(self.farm_root, ignore_errors=True)

    def abandon(self) -> None:
        """Another stage failed: wait for Pagefind (started shards finish, queued ones are
        dropped) so nothing writes into the staging folder after it is thrown away."""
        self._wait(cancel=True)

    def finish(self) -> IndexReport:
        """Wait for Pagefind, take its files into the site and write the shard list."""
        failures = self._wait()
        if failures:
            raise BuildFailed([Problem(f"{BUNDLE}/{name}", None, f"pagefind failed to index shard '{name}': {msg}",
                                       "build again with --no-search to skip the index, and report the message")
                               for name, msg in failures])
        staging, report, shards = self.staging, self.report, self.shards
        report.rebuilt = [s.name for s in self.todo]
        manifest = {
            "version": 1,
            "pagefind": pagefind_version(),
            "primary": self.primary,
            # "languages" is the shard's pagefind-entry.json entry (meta hash and WebAssembly per
            # language): static/search.js preloads those files the moment it reads this manifest
            "shards": [{"name": s.name, "path": s.path, "kind": s.kind, "start": s.start, "end": s.end,
                        "pages": len(s.pages), "weight": s.weight,
                        "languages": _languages(staging, s)} for s in shards],
            "filters": filter_values(self.model),
        }
        staging.write(f"{BUNDLE}/{MANIFEST}",
                      json.dumps(manifest, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
        self.after()
        report.files = sum(1 for p in staging.paths if p.startswith(f"{BUNDLE}/"))
        return report


def _languages(staging: Any, shard: Shard) -> Any:
    """A shard's languages from its ``pagefind-entry.json``; an entry file Pagefind left empty
    or cut short (a full disk does that without failing) stops the build with a message."""
    rel = f"{BUNDLE}/{shard.path}pagefind-entry.json"
    try:
        return json.loads(_source(staging, rel).read_text("utf-8"))["languages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is empty or cut short"
        raise BuildFailed([Problem(rel, None, f"pagefind's index of shard '{shard.name}' cannot be read: {reason}",
                                   "check the free disk space (Pagefind writes nothing else when it runs "
                                   "out), then build again; the published site was left as it was")]) from None


def _held_by_shard(staging: Any) -> dict[str, list[str]] | None:
    """The published index files by shard, when the staging folder is a synced copy of the
    published site (``Staging.held``): listing them beats walking 10,000 files again."""
    held = getattr(staging, "held", None)
    if held is None:
        return None
    by_shard: dict[str, list[str]] = {}
    prefix = f"{BUNDLE}/"
    for rel in held:
        if rel.startswith(prefix):
            name, sep, _ = rel[len(prefix):].partition("/")
            if sep:
                by_shard.setdefault(name, []).append(rel)
    return by_shard


def _published_files(staging: Any, out: Path, shard: str, held: dict[str, list[str]] | None) -> list[str]:
    """Site-relative paths of a published shard's files."""
    if held is not None:
        return sorted(held.get(shard, []))
    base = out / BUNDLE / shard
    return [p.relative_to(out).as_posix() for p in sorted(base.rglob("*")) if p.is_file()]


def _source(site: Any, rel: str) -> Path:
    """A staged page: in the staging folder, or (patch builds) the published one."""
    if hasattr(site, "source"):
        return site.source(rel)
    return Path(site) / rel


_GLOB_SAFE = re.compile(r"[A-Za-z0-9._-]+")


def shard_glob(shard: Shard) -> tuple[str, list[frozenset[str] | None]] | None:
    """A Pagefind ``--glob`` naming this shard's pages inside the staged site, or None.

    Why. Pagefind needs a folder holding exactly the shard's pages, and a
    folder of hard links to them costs a directory per page: on this
    machine's ext4 a ``mkdir`` takes about 160 µs of kernel time, so the
    links of a cold 10,000-article build cost more CPU than Pagefind's own
    walk of the staged site. A glob lets Pagefind read the staged pages in
    place. It must start with a literal folder (``2015/``) or Pagefind walks
    the whole site, and it must match no page of another shard; the caller
    checks the second against the files in the folder (``glob_on_disk``).

    Returns the glob and its parts (a set of allowed names per level, None
    for any name). Article pages are ``YYYY/MM/DD/slug/index.html``: a year
    shard becomes ``2015/{01,02,…}/{01,…,31}/*/index.html``.
    """
    split = [rel.split("/") for rel in shard.pages]
    if not split or any(len(parts) != len(split[0]) or parts[-1] != "index.html" for parts in split):
        return None
    depth = len(split[0])
    levels: list[frozenset[str]] = [frozenset(parts[k] for parts in split) for k in range(depth - 1)]
    if len(levels) < 2 or len(levels[0]) != 1:  # no literal first folder: the walk would be the whole site
        return None
    pattern: list[frozenset[str] | None] = []
    text: list[str] = []
    for k, names in enumerate(levels):
        if k == depth - 2:  # the page's own folder (its slug): any name, the check makes it exact
            pattern.append(None)
            text.append("*")
            continue
        if not all(_GLOB_SAFE.fullmatch(n) for n in names):
            return None
        pattern.append(names)
        text.append(next(iter(names)) if len(names) == 1 else "{" + ",".join(sorted(names)) + "}")
    pattern.append(frozenset({"index.html"}))
    text.append("index.html")
    return "/".join(text), pattern


def glob_on_disk(site: Path, pattern: list[frozenset[str] | None]) -> set[str]:
    """The pages a ``shard_glob`` pattern matches in the folder ``site``, as Pagefind will see it.

    Only the folders the pattern names are listed (a day shard: one folder;
    a year: its few hundred days), so the cost follows the shard, not the
    site: an add-one build at 100,000 articles lists one folder.
    """
    *folders, page_folder, page = pattern
    if page_folder is not None or page is None or len(page) != 1 or None in folders:
        return set()
    name = next(iter(page))
    out: set[str] = set()
    for combo in itertools.product(*[sorted(f) for f in folders if f is not None]):  # (no folder is None: checked above)
        base = "/".join(combo)
        try:
            entries = list(os.scandir(site / base))
        except OSError:
            continue
        for e in entries:
            if e.is_dir() and os.path.isfile(os.path.join(e.path, name)):
                out.add(f"{base}/{e.name}/{name}")
    return out


def in_place_globs(todo: list[Shard], staging: Any) -> dict[str, str]:
    """The shards Pagefind can index inside the staging folder, with their globs.

    Only in a staging folder that holds every page of the new site
    (``Staging``, not the preview server's patch folder, whose pages may
    still be in the published site), and only with a glob that matches
    exactly the shard's pages among the files in that folder (a stale page
    of a deleted article, still in a synced buffer, sends its shard back to
    a folder of links).
    """
    if not getattr(staging, "holds_every_page", False):
        return {}
    out: dict[str, str] = {}
    for shard in todo:
        made = shard_glob(shard)
        if made is None:
            continue
        glob, pattern = made
        if glob_on_disk(Path(staging.dir), pattern) == set(shard.pages):
            out[shard.name] = glob
    return out


def _link_farm(shard: Shard, staging: Any, farm_root: Path) -> None:
    """A folder of hard links to exactly this shard's pages, for Pagefind's ``--site``."""
    farm = farm_root / shard.name
    shutil.rmtree(farm, ignore_errors=True)
    made: set[Path] = set()
    for rel in shard.pages:
        src = _source(staging, rel)
        dest = farm / rel
        if dest.parent not in made:
            dest.parent.mkdir(parents=True, exist_ok=True)
            made.add(dest.parent)
        try:
            os.link(src, dest)
        except OSError:
            shutil.copyfile(src, dest)


def _prepare_shard(shard: Shard, staging: Any, farm_root: Path, glob: str | None) -> None:
    """What a shard needs before Pagefind starts: its folder of hard links (unless ``glob``
    indexes it in place) and no old index, which a buffered staging folder holds.

    Both are file work, done on the building thread for the first shards: from a pool
    thread, each link and unlink waited for the feeds to let go of the interpreter lock,
    and an add-one build's Pagefind started 0.2 s late."""
    if glob is None:
        _link_farm(shard, staging, farm_root)
    shutil.rmtree(staging.dir / BUNDLE / shard.name, ignore_errors=True)


def _index_shard(shard: Shard, staging: Any, farm_root: Path, primary: bool,
                 prepared: bool = False, glob: str | None = None,
                 run: Callable[[list[str], float], subprocess.CompletedProcess[str]] | None = None,
                 ) -> tuple[str, str] | None:
    """Run pagefind on exactly this shard's pages: in place with ``glob`` (``in_place_globs``),
    else on a folder of hard links to them (``_prepare_shard``, first, unless ``prepared``).
    ``run`` runs Pagefind (``Indexing._run``; by default ``CPU_SHARES.run``)."""
    site = staging.dir
    farm = farm_root / shard.name
    if not prepared:
        _prepare_shard(shard, staging, farm_root, glob)
    bundle = site / BUNDLE / shard.name
    where = ["--site", str(site), "--glob", glob] if glob is not None else ["--site", str(farm)]
    cmd = [str(pagefind_binary()), *where, "--output-path", str(bundle), "--silent"]
    try:
        proc = (run or CPU_SHARES.run)(cmd, 3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return shard.name, str(exc)
    finally:
        if glob is None:
            shutil.rmtree(farm, ignore_errors=True)
    failed = proc.returncode != 0 or not (bundle / "pagefind-entry.json").is_file()
    if glob is not None and (failed or _page_count(bundle) != len(shard.pages)):
        # Pagefind's glob matched other files than the build's check did (a name its * skips),
        # or it failed: index the shard the certain way rather than fail or publish an index
        # that misses or adds pages
        return _index_shard(shard, staging, farm_root, primary, run=run)
    if failed:
        return shard.name, (proc.stderr or proc.stdout or f"exit status {proc.returncode}").strip()[-2000:]
    drop = UI_ASSETS if primary else UI_ASSETS + ENGINE_ASSETS
    for name in drop:
        (bundle / name).unlink(missing_ok=True)
    if not primary:
        for wasm in bundle.glob("wasm.*.pagefind"):
            wasm.unlink()
    return None


# jemalloc's settings for Pagefind's processes, unless the environment names its own
PAGEFIND_MALLOC_CONF = "thp:always,metadata_thp:always"


def pagefind_env() -> dict[str, str]:
    """The environment Pagefind runs in: ours, with huge pages for its heap.

    Why. Pagefind's allocator (jemalloc, statically linked) takes its memory
    from the kernel 4 KB at a time, and a 1,000-page shard made 83,000 page
    faults. Asked to use transparent huge pages where the kernel offers
    them for the asking (``madvise``, Debian's default), it made 3,400, and
    the shard took 1.04 u + 0.16 s CPU instead of 1.06 u + 0.24 s (eight
    alternating runs on one core), for about 11 MB more memory. That holds
    for the search copies the build hands Pagefind; full article pages,
    which it reads only where no copy can be made, were about 0.1 s slower
    per 1,000 (docs/speed.md, fifteenth session). Where the
    kernel has huge pages always on, or never, the setting changes nothing.
    ``_RJEM_MALLOC_CONF`` set in the environment, even empty, is left as it
    is (``_RJEM_MALLOC_CONF= archivegen build`` goes back to 4 KB pages, for
    a machine whose memory is too fragmented to find huge pages quickly).
    """
    env = dict(os.environ)
    env.setdefault("_RJEM_MALLOC_CONF", PAGEFIND_MALLOC_CONF)
    return env


class CpuShares:
    """Gives each Pagefind process running at once a share of the CPUs of its own.

    Why. Pagefind runs many threads (hundreds, for file work); two processes
    free to run on both cores of a two-core machine indexed two 1,000-page
    shards in 1.82-1.87 s, and the same two kept to one core each in
    1.63-1.67 s, with a third less system time: threads of one process
    spread over cores make the kernel interrupt the other cores whenever the
    process's memory map changes, and wake each other across them. A
    process left running alone (the last shard, or an add-one build's only
    one) gets every CPU back, since on its own Pagefind keeps about 1.4
    cores busy, and its own share again when another starts beside it.

    How. The CPUs are split into ``MAX_PARALLEL`` shares. A new process
    takes a free share and starts from its launching thread's CPU set, so
    every thread it makes inherits it; a process already running is moved
    thread by thread (``/proc/PID/task``). Where a platform has no CPU
    affinity, or there is only one CPU, nothing is pinned.
    """

    def __init__(self, slots: int = MAX_PARALLEL) -> None:
        try:
            self.cpus = sorted(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not Linux
            self.cpus = []
        n = min(slots, len(self.cpus))
        self.shares = [self.cpus[i * len(self.cpus) // n:(i + 1) * len(self.cpus) // n] for i in range(n)]
        self._lock = threading.Lock()
        self._running: dict[subprocess.Popen[str], int] = {}  # process -> its share

    def _move(self, proc: subprocess.Popen[str], cpus: list[int]) -> None:
        if proc.returncode is not None:  # reaped: its pid is no longer its own
            return
        try:
            tids = os.listdir(f"/proc/{proc.pid}/task")
        except OSError:
            return
        for tid in tids:
            try:
                os.sched_setaffinity(int(tid), cpus)
            except (OSError, ValueError):
                pass  # the thread has just ended

    def run(self, cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """``subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)``, sharing CPUs."""
        if len(self.shares) < 2:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=pagefind_env())
        with self._lock:
            free = [k for k in range(len(self.shares)) if k not in self._running.values()]
            slot = free[0] if free else None
            if slot is not None and len(self._running) == 1:  # the one running alone had every CPU
                (alone, its), = self._running.items()
                self._move(alone, self.shares[its])
            # what the process inherits: its share, or every CPU when it is on its own
            os.sched_setaffinity(0, self.shares[slot] if slot is not None and self._running else self.cpus)
            try:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=pagefind_env())
            finally:
                os.sched_setaffinity(0, self.cpus)
            if slot is not None:
                self._running[proc] = slot
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            with self._lock:
                self._running.pop(proc, None)
                if len(self._running) == 1:
                    self._move(next(iter(self._running)), self.cpus)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


CPU_SHARES = CpuShares()


def _page_count(bundle: Path) -> int | None:
    """How many pages a Pagefind bundle indexed, from its ``pagefind-entry.json``."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))
        return sum(int(lang["page_count"]) for lang in entry["languages"].values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _read_state(path: Path) -> dict[str, dict[str, str]]:
    """Shard hashes per output folder; anything unreadable means 'rebuild all'."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    outs = data.get("outs") if isinstance(data, dict) and data.get("scheme") == SCHEME else None
    if not isinstance(outs, dict):
        return {}
    return {k: v for k, v in outs.items() if isinstance(v, dict)}


def _write_state(path: Path, outs: dict[str, dict[str, str]]) -> None:
    from .cache import atomic_write

    atomic_write(path, json.dumps({"scheme": SCHEME, "outs": outs}, indent=1, sort_keys=True).encode("utf-8"))


def _read_pages(path: Path) -> dict[str, dict[str, list[str]]]:
    """Recorded (fingerprint, region hash) per page and output folder."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("scheme") != SCHEME or not isinstance(data.get("outs"), dict):
        return {}
    return {k: v for k, v in data["outs"].items() if isinstance(v, dict)}


def _write_pages(path: Path, outs: dict[str, dict[str, list[str]]]) -> None:
    from .cache import atomic_write

    try:
        atomic_write(path, json.dumps({"scheme": SCHEME, "outs": outs}, separators=(",", ":")).encode("utf-8"))
    except OSError:
        pass
