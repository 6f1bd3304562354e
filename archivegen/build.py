"""The build pipeline: load → registry → render bodies → plan → render → write.

Each stage takes and returns plain data. Problems from every stage before
writing are collected and raised together, so nothing is written when any
input is bad, and the published site is only replaced once every page,
asset and index of the new one exists (see ``output``).

Incremental by default (see ``cache``): bodies come from ``.cache/`` when
their inputs are unchanged, pages whose inputs are unchanged are taken from
the published site without rendering, and a build whose inputs did not
change at all stops after comparing file stats. The per-article and
per-page work runs in forked worker processes (``--jobs``); the output is
the same for any number of jobs.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

from . import code_id
from .cache import Cache, Fingerprinter, digest, linked_key, one_build_at_a_time
from .config import Config, load_config
from .content import Article, load_articles
from .errors import BuildFailed, Problem, Problems
from .model import Html, Story, build_model
from .output import Patch, Staging, check_out_dir, published_build_id
from .pages import Page, plan
from .relink import RegistryHistory
from .theme import TemplateFailure, Theme
from .workers import Workers

CHUNK = 64  # articles or pages per task sent to a worker
PARALLEL_MIN_PAGES = 512  # fewer pages to render than this: no worker processes (a fork costs more)
PAGE_TASKS_IN_FLIGHT = 4  # page tasks given out per worker and not yet written (render_pages)


@dataclass
class BuildOptions:
    root: Path
    out: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    search: bool = True
    jobs: int = 0  # 0: all cores
    clean: bool = False
    progress: bool | None = None  # None: only on a terminal
    extra_head: str = ""  # serve mode injects its reload script here
    patch: bool = False  # update --out in place (serve) instead of swapping in a whole new site
    warm: "Warm | None" = None  # serve: what the previous build in this process read and rendered
    search_shard_pages: int | None = None  # serve: smaller search shards re-index faster


@dataclass
class BuildResult:
    pages: int
    files: int
    written: int
    kept: int
    removed: int
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    out: Path | None = None
    rendered_pages: int = 0
    rendered_bodies: int = 0
    up_to_date: bool = False
    changed: list[str] = field(default_factory=list)  # site-relative files with new bytes
    state: "BuildState | None" = None  # what serve's quick path reuses

    def summary(self) -> str:
        if self.up_to_date:
            return f"site is up to date ({self.files:,} files), checked in {self.seconds:.2f} s"
        return (f"built {self.pages:,} pages, {self.files:,} files ({self.written:,} written, {self.kept:,} unchanged, "
                f"{self.removed:,} removed) in {self.seconds:.2f} s")


class Progress:
    """A one-line counter on a terminal; silent in CI logs and pipes."""

    def __init__(self, enabled: bool | None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.last = 0.0

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        sys.stderr.write(f"\r\x1b[K{stage}: {done:,}/{total:,}")
        if done >= total:
            sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


@dataclass
class Loaded:
    """Everything read from the archive before any output is produced."""

    config: Config
    registry: Any
    articles: list[Article]
    theme: Theme
    problems: Problems
    root: Path  # the archive root the article paths are relative to


@dataclass
class Warm:
    """State carried from one build to the next: in memory by ``serve``, in
    ``.cache/memo.json`` by the command line (``memo.py``).

    Articles whose file stat is unchanged are not read again, and stories
    whose body key is unchanged (and whose registry is the current one, or
    differs only in names their text does not contain) are not rendered or
    read from the cache.
    """

    articles: dict[str, Any] = field(default_factory=dict)  # path -> (stat, Article, warnings)
    # body key -> (Story, registry it was linked with, newest registry it is known to be linked the same with)
    stories: dict[str, tuple[Story, str, str]] = field(default_factory=dict)
    paths: set[str] | None = None  # the files the last build left in the output folder


def load(root: Path, *, base_url: str | None = None, drafts: bool = False, need_theme: bool = True,
         warm: Warm | None = None, stats: dict[str, tuple[int, int, int]] | None = None,
         cache: Cache | None = None, jobs: int = 1) -> Loaded:
    """Read and validate the whole archive; raise BuildFailed on any error.

    ``stats`` are file stats already taken (``inputs_fingerprint``): path -> (mtime_ns, size, inode).
    ``cache``: where the built-in countries may be kept (``countries.use_cache``).
    ``jobs``: processes to parse many articles with (0: all cores)."""
    from .registry import load_registry

    problems = Problems()
    config = load_config(root, problems, {"base_url": base_url})
    registry = load_registry(root, problems, cache=cache)
    rejected: list[Any] = []  # invalid articles' entity ids: unknown ones are reported in this run too
    articles = load_articles(root, config, problems, drafts=drafts, memo=warm.articles if warm else None,
                             stats=stats, rejected=rejected, jobs=jobs)
    for a in [*articles, *rejected]:
        registry.check_ids(a, problems)
    theme = Theme(root, config)
    if need_theme:
        theme.check(problems)
    problems.raise_if_errors()
    return Loaded(config, registry, articles, theme, problems, root)


def jobs_for(requested: int, tasks: int) -> int:
    """Worker processes for ``tasks`` tasks (``Workers`` runs them here where none can be forked)."""
    n = requested if requested > 0 else (os.cpu_count() or 1)
    return max(1, min(n, tasks))


PAGES_PER_WORKER = 4_000  # a page worker is replaced after this many pages (see _pool)
# Up to this many articles the memo is written by a forked child beside the build (0.1 s of a
# 10,000-article add-one). The child copies every memory page holding an article or story it
# reads (a reference count is a write): 660 MB at 100,000 articles, which took the process
# tree's peak to 1.92 GB, so a larger archive writes it in the build's own process instead.
MEMO_CHILD_MAX_ARTICLES = 30_000
PAGE_CACHE_OUTS = 3  # output folders whose page fingerprints .cache/pages.json keeps (newest builds)


def _pool(jobs: int, replace_after: int | None = None) -> Workers:
    """Forked workers (``workers.Workers``): they inherit the loaded archive instead of unpickling it.

    With ``replace_after`` (the page stage), each worker is replaced after
    that many tasks. A forked worker shares the parent's memory until it
    touches an object (a reference count is a write, and it copies the whole
    4 KB page the object sits on), and page templates touch most stories
    sooner or later, so a worker that lived for the whole stage ended up
    with a private copy of much of the parent's heap: at 100,000 articles
    the process tree peaked at 2.4 GB while pages were written. A fresh
    worker starts from shared pages again. Each replacement costs a fork and
    its first page faults (about 50 ms at 10,000 articles), so it happens
    per ``PAGES_PER_WORKER`` pages: a couple of times at 10,000 articles,
    a dozen at 100,000.
    """
    return Workers(jobs, replace_after)


# -- bodies -------------------------------------------------------------------

_WORK: dict[str, Any] = {}  # set before forking; read by workers
_FALLBACK: dict[str, Any] = {}  # 'renderer' -> (Loaded, the renderer _render_html uses), made on first need


def copy_root_files(theme: Theme, staging: Any) -> list[str]:
    """Copy templates/root/ into the site's root, after every file the build makes itself.

    A file there that the site also makes (``index.html``, ``feed.xml``,
    ``robots.txt``) is an error rather than a silent winner either way: the
    build stops and the published site stays as it was."""
    problems = Problems()
    changed: list[str] = []
    for rel, src in theme.root_files().items():
        if rel in staging.paths or any(p.startswith(rel + "/") for p in staging.paths):
            problems.error(theme.display_path(src), None, f"the site makes /{rel} itself",
                           "remove this file from templates/root/, or give it another name")
        elif staging.copy(rel, src):
            changed.append(rel)
    if problems.errors:
        raise BuildFailed(problems.errors)
    return changed


def body_salt(loaded: Loaded) -> str:
    """Everything besides an article's bytes and the registry that changes its rendered body."""
    c = loaded.config
    link_source = loaded.theme.loader.get_source(loaded.theme.env, "partials/entity_link.html")[0]
    return digest(code_id(), c.link, c.link_headings, c.sanitize, c.base_path, link_source)


def _render_chunk(indices: list[int]) -> tuple[list[tuple[int, Any]], list[str]]:
    """Render these articles' bodies and write them to the cache as one pack (in the worker,
    so cache writes run in parallel too); return the bodies and the pack's index lines."""
    from .render import BodyRenderer

    renderer = _WORK.get("renderer")
    if renderer is None:
        loaded = _WORK["loaded"]
        renderer = _WORK["renderer"] = BodyRenderer(loaded.registry, loaded.config, make_link=loaded.theme.make_link)
    articles = _WORK["loaded"].articles
    cache: Cache | None = _WORK.get("cache")
    keys: list[str] = _WORK["keys"]
    out = []
    with renderer.batch():
        for i in indices:
            out.append((i, renderer.render(articles[i])))
    lines = cache.put_bodies([(keys[i], rb, _WORK["registry_fp"]) for i, rb in out]) if cache is not None else []
    for _, rb in out:
        rb.text, rb.declined, rb.decided = "", [], []  # nothing after this stage reads them: less to send back
    return out, lines


def render_stories(loaded: Loaded, progress: Progress, jobs: int = 0, cache: Cache | None = None,
                   warm: Warm | None = None) -> tuple[list[Story], dict[str, str], int]:
    """Markdown + entity linking for every article, from the cache when possible."""
    salt = body_salt(loaded)
    history = RegistryHistory(cache, loaded.registry)
    keys = [digest(salt, a.digest) for a in loaded.articles]
    linked_with = [history.fp] * len(keys)  # the registry each body was linked with
    bodies: list[Any] = [None] * len(loaded.articles)
    ready: dict[int, Story] = {}  # stories made so far: from the memo, then as bodies arrive
    todo: list[int] = []
    for i, key in enumerate(keys):
        a = loaded.articles[i]
        known = warm.stories.get(key) if warm else None
        # known[2]: the newest registry the body is known to be linked the same with, so that
        # a body checked once after a registry change is not checked (its file read) again
        if known is not None and (known[2] == history.fp or _still_valid(history, known[2], loaded, a)):
            st, linked_with[i], _ = known
            if st.article is None:  # read from the memo, which leaves the article out: this build's own
                st.article = a
            ready[i] = st if st.article is a else replace(st, article=a)
            a.body = ""
            if st.html.fallback is None:  # its HTML comes from the body cache; if that entry is damaged:
                st.html.fallback = partial(_render_html, loaded, a)
            continue
        hit = cache.get_body(key) if cache else None
        if hit is not None and (hit[1] == history.fp or _still_valid(history, hit[1], loaded, a)):
            bodies[i], linked_with[i] = hit
        else:
            todo.append(i)
            _source(loaded, a)  # a remembered article gave up its source: read it again
    total = len(todo)
    on_disk = cache if cache is not None and cache.enabled else None  # the cache, if it keeps bodies on disk

    def sources(i: int) -> dict[str, Any]:
        """Where a story's released HTML is got again: the body cache, else a new rendering."""
        a = loaded.articles[i]
        return {"load": partial(on_disk.body_html, keys[i], linked_with[i]) if on_disk is not None else None,
                "fallback": partial(_render_html, loaded, a)}

    if todo:
        loaded.registry.matcher()  # build the automaton once, before forking
        _WORK.clear()
        _WORK.update(loaded=loaded, cache=cache, keys=keys, registry_fp=history.fp)
        chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
        n = jobs_for(jobs, len(chunks))
        done = 0
        index: list[str] = []
        try:
            with _pool(n) as pool:
                for chunk, lines in pool.map(_render_chunk, chunks, ordered=False):
                    # each body becomes its story as it arrives, while the workers render the
                    # next chunks: made after the last chunk, the 10,000 stories of a cold
                    # build were 0.2 s of this process alone, both workers done, a core idle
                    for i, rb in chunk:
                        ready[i] = story_from(loaded.articles[i], rb, linked_key(keys[i], history.fp),
                                              **sources(i))
                    index.extend(lines)
                    done += len(chunk)
                    progress.update("rendering articles", done, total)
        finally:
            _WORK.clear()
            if cache is not None:
                cache.index_bodies(index)  # what was written is indexed, even if a later chunk failed
    stories = [ready[i] if i in ready else story_from(a, rb, linked_key(keys[i], linked_with[i]), **sources(i))
               for i, (a, rb) in enumerate(zip(loaded.articles, bodies))]
    html_keys = [st.html.key for st in stories]  # a remembered story keeps the key it was made with
    if warm is not None:
        warm.stories = {k: (st, r, history.fp) for k, st, r in zip(keys, stories, linked_with)}
    history.save()
    body_keys = {a.url_path: k for a, k in zip(loaded.articles, html_keys)}
    return stories, body_keys, total


def release_html(stories: list[Story]) -> None:
    """Drop every story's body HTML once the article pages are written, and give the memory back.

    The bodies are about a fifth of a large build's heap (250 MB at 100,000
    articles) and after the article pages only the site feed shows any. The
    pages after them (entity pages touch thousands of stories each, so their
    workers copy much of the parent's memory) and the search index stage
    (two Pagefind processes beside this one) are where a large build's
    memory peaks: both now start from a parent 400 MB smaller at 100,000
    articles. A dropped body is read from the body cache (or rendered
    again) if a feed or ``serve`` needs it.
    ``malloc_trim`` hands the freed heap pages back to the system, which
    ``free`` alone seldom does.
    """
    for st in stories:
        st.html.release()
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by this process instead
        pass


def _render_html(loaded: Loaded, a: Article) -> str:
    """An article's body HTML rendered again (its cache entry was lost after the memo named it)."""
    from .render import BodyRenderer

    made = _FALLBACK.get("renderer")
    if made is None or made[0] is not loaded:
        made = _FALLBACK["renderer"] = (loaded, BodyRenderer(loaded.registry, loaded.config,
                                                             make_link=loaded.theme.make_link))
    renderer = made[1]
    _source(loaded, a)
    html = renderer.render(a).html
    a.body = ""
    return html


def _read_again(loaded: Loaded, a: Article) -> bytes:
    """An article's file, read again; it must still be the bytes its cache key was made from."""
    try:
        raw = (loaded.root / a.path).read_bytes()
    except OSError as exc:
        raw = b""
        reason = exc.strerror or str(exc)
    else:
        if hashlib.sha256(raw).hexdigest() == a.digest:
            return raw
        reason = "it changed while the build ran"
    raise BuildFailed([Problem(a.path, None, f"cannot read the article again: {reason}", "build again")])


def _still_valid(history: RegistryHistory, linked_with: str, loaded: Loaded, a: Article) -> bool:
    """Whether article ``a``'s body, linked with registry ``linked_with``, is linked the same now.

    The entities its front matter lists count (``people``, ``countries``,
    ``no_link``): the registry resolves them as the linker does. A listed id
    it does not know is a content error, so a listed entity that changed is
    still in the registry."""
    reg = loaded.registry
    listed = [e.key for kind, ids in (("person", a.people), ("country", a.countries), (None, a.no_link))
              for ident in ids for e in reg.resolve_id(kind, str(ident))]
    return history.still_valid(linked_with, _text_of(loaded, a), listed)


def _text_of(loaded: Loaded, a: Article) -> str:
    """An article's body text, to look for changed entities' names in.

    When the memo gave the source up, the body is cut from the file at the
    line the front matter parser found it on, without parsing the front
    matter again: a registry change checks every article this way.
    """
    if a.body:
        return a.body
    from . import frontmatter

    lines = frontmatter.decode(_read_again(loaded, a), a.path).split("\n", a.body_line - 1)
    return lines[-1] if len(lines) == a.body_line else ""  # fewer lines: the body is empty


def _source(loaded: Loaded, a: Article) -> str:
    """An article's Markdown source, read again if the memo gave it up."""
    if not a.body:
        from zoneinfo import ZoneInfo

        from .content import parse_article

        again = parse_article(_read_again(loaded, a), a.path, ZoneInfo(loaded.config.timezone), Problems())
        if again is not None:
            a.body = again.body
    return a.body


def story_from(article: Article, rb: Any, html_key: str | None = None, *,
               load: Callable[[], str | None] | None = None, fallback: Callable[[], str] | None = None) -> Story:
    """The part of a rendered body the rest of the build uses.

    Pages need only each entity's mention count and first sentence (the
    story's ``tally``), and nothing after this stage needs the mention list,
    the Markdown source or the plain text: dropping them keeps a
    100,000-article build within bounded memory.
    """
    tally: dict[str, tuple[int, str]] = {}
    for m in rb.mentions:
        n, sentence = tally.get(m.key, (0, m.sentence))
        tally[m.key] = (n + 1, sentence)
    article.body = ""
    # load/fallback: how the HTML is got again once released (release_html)
    html = Html(html_key or digest("unsaved", rb.html), rb.html, load, fallback)
    return Story(article, html, article.summary or rb.summary, tally, rb.word_count, rb.entity_keys)


# -- pages ----------------------------------------------------------------------

def _render_pages(indices: list[int]) -> tuple[list[tuple[str, bytes, bytes | None]], list[Problem], dict[str, str]]:
    """Render pages (in a worker); return their bytes, for the parent to write, and the hash
    of what Pagefind will read of the searchable ones (with their search copies, when the
    build stages them: ``Staging.write``).

    Why the parent writes. Creating files is mostly the kernel's work, and
    two processes creating files at once on one file system contend for
    its locks: 10,000 article pages written by two processes cost 1.8-3.4
    CPU-seconds of system time where one process took 0.7-2.3 s (this
    machine's ext4, after a site was deleted as a cold benchmark does). The
    parent only waits for results during this stage, so it writes them
    while the workers render the next pages.

    The hashes (``search.region_hash``) are taken here, from the bytes in
    hand and in parallel, because the search stage needs them before it can
    start Pagefind: read back from the written files, they were a second
    of one core's work between the pages and the index in a cold
    10,000-article build.
    """
    from .search import region_hash, search_copy

    pages: list[Page] = _WORK["pages"]
    theme: Theme = _WORK["theme"]
    extra_head: str = _WORK["extra_head"]
    copies: bool = _WORK["search_copies"]
    rendered: list[tuple[str, bytes, bytes | None]] = []
    problems: list[Problem] = []
    regions: dict[str, str] = {}
    for i in indices:
        page = pages[i]
        ctx = dict(page.full_context(), extra_head=extra_head)
        try:
            html = theme.render(page.template, ctx, page.url)
        except TemplateFailure as exc:
            # every page is tried: a mistake in a shared template is reported once, with the
            # number of pages it stopped (``theme.merge_page_problems``)
            problems.append(exc.problem)
            continue
        data = html.encode("utf-8")
        copy = None
        if b"data-pagefind-body" in data:
            regions[page.output] = region_hash(data)
            if copies:
                copy = search_copy(data)
        rendered.append((page.output, data, copy))
    return rendered, problems, regions


def search_copies_enabled() -> bool:
    """Whether the search module is there and stages search copies (tests turn it off), on a
    platform with positioned reads (``Staging.finish_pages``; Windows has none)."""
    try:
        from . import search
    except ModuleNotFoundError:
        return False
    return search.SEARCH_COPIES and hasattr(os, "pread")


def render_pages(pages: list[Page], theme: Theme, staging: Staging, progress: Progress, *, extra_head: str = "",
                 jobs: int = 0, search_copies: bool = False, first: int = 0,
                 after_first: Callable[[], None] | None = None) -> tuple[int, list[str]]:
    """Render pages whose fingerprint (``staging.fingerprints``) differs from the published
    one (``staging.previous``); link the others from the published site.

    ``after_first`` is called once the first ``first`` pages are written (the build lets
    the bodies' HTML go there: only article pages show it). The rest are handed to the
    same workers without a pause: a second set of workers, forked for them after the
    article pages, left a core idle while the last article pages were written."""
    todo: list[int] = []
    now, before = staging.fingerprints, staging.previous
    for i, page in enumerate(pages):
        fp = now.get(page.output)
        if fp is not None and before.get(page.output) == fp and staging.reuse(page.output):
            continue
        todo.append(i)
    _WORK.clear()
    _WORK.update(pages=pages, theme=theme, extra_head=extra_head, search_copies=search_copies)
    split = bisect.bisect_left(todo, first)  # no chunk holds pages of both parts
    chunks = [part[i:i + CHUNK] for part in (todo[:split], todo[split:]) for i in range(0, len(part), CHUNK)]
    first_chunks = -(-split // CHUNK)
    # forking a large process costs more than rendering a few hundred pages
    n = jobs_for(jobs, len(chunks)) if len(todo) >= PARALLEL_MIN_PAGES else 1
    problems = Problems()
    changed: list[str] = []
    done = 0
    if n > 1:
        theme.preload()
    try:
        # The workers return page bytes for this process to write: with every task handed
        # out at once, their results would pile up here whenever writing is slower than
        # rendering (a slow or network disk), up to the whole site's bytes in memory. A window
        # of a few tasks per worker keeps each one busy and the bytes in hand to a few megabytes.
        with _pool(n, max(1, PAGES_PER_WORKER // CHUNK)) as pool:
            if after_first is not None and not first_chunks:
                after_first()
            results = pool.map(_render_pages, chunks, window=PAGE_TASKS_IN_FLIGHT * n)
            for k, (rendered, probs, regions) in enumerate(results, 1):
                for rel, data, copy in rendered:
                    if staging.write(rel, data, copy):
                        changed.append(rel)
                staging.region_hashes.update(regions)
                for p in probs:
                    problems.add(p)
                done += len(chunks[k - 1])
                progress.update("writing pages", done, len(todo))
                if k == first_chunks and after_first is not None:
                    after_first()
    finally:
        _WORK.clear()
    for page in pages:
        staging.paths.add(page.output)
    if problems.errors:
        from .theme import merge_page_problems

        problems.items = merge_page_problems(problems.items)
    problems.raise_if_errors()
    return len(todo), changed


# -- the whole build -------------------------------------------------------------

def inputs_fingerprint(root: Path, theme_dirs: list[Path], opts: BuildOptions,
                       stats: dict[str, tuple[int, int, int]] | None = None) -> str:
    """File stats of every input plus the options: equal means nothing to do.

    The stats are also put in ``stats`` (by path) so loading the articles
    does not take them a second time."""
    parts: list[str] = [code_id(), repr((opts.base_url, opts.drafts, opts.search, opts.extra_head))]
    for base in [root / "content", *theme_dirs]:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            # folders too: a new symlinked folder (not walked) must still count
            parts.extend(f"{os.path.join(dirpath, n)}/\x1f{os.path.realpath(os.path.join(dirpath, n))}" for n in dirnames)
            for name in sorted(filenames):
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except OSError:  # a dangling link or a link loop: still an input, which the build reports
                    parts.append(f"{p}\x1f!")
                    continue
                if stats is not None:
                    stats[p] = (st.st_mtime_ns, st.st_size, st.st_ino)
                parts.append(f"{p}\x1f{st.st_mtime_ns}\x1f{st.st_size}\x1f{st.st_ino}")
    for path in (root / "archive.yaml",):
        if path.exists():
            st = path.stat()
            parts.append(f"{path}\x1f{st.st_mtime_ns}\x1f{st.st_size}")
    return digest(*parts)


def build(opts: BuildOptions) -> BuildResult:
    """Build the site (see the module doc), with the cyclic garbage collector mostly idle.

    A build allocates millions of small objects (parsed articles, mentions,
    page contexts) and frees few: with the default thresholds the collector
    scanned them all again and again, a third of a no-op build's time. Few of
    them form reference cycles, so it runs rarely here and as usual after.
    """
    import gc

    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        with one_build_at_a_time(opts.root, _say_waiting if opts.progress is not False else None):
            return _build(opts)
    finally:
        gc.set_threshold(*before)


def _say_waiting(message: str) -> None:
    print(f"archivegen: {message}", file=sys.stderr, flush=True)


def _build(opts: BuildOptions) -> BuildResult:
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    root = opts.root
    out = opts.out or root / "site"
    progress = Progress(opts.progress)
    cache = Cache(root, enabled=not opts.clean)

    def mark(stage: str, since: float) -> float:
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - since
        return now

    from .output import recover, resolved
    resolved(out)  # a link loop is reported before anything follows the link
    recover(out)
    from .theme import theme_dirs
    # serve (warm) builds only when a watched file changed: no need to stat every input first
    stats: dict[str, tuple[int, int, int]] = {}
    inputs = (digest(time.time_ns()) if opts.warm is not None
              else inputs_fingerprint(root, theme_dirs(root), opts, stats))
    last = None if opts.warm is not None else cache.read("last-build.json", "last-build")
    if (not opts.clean and last and last.get("inputs") == inputs and last.get("out") == str(out.resolve())
            and published_build_id(out) == last.get("id")):
        files = int(last.get("files", 0))
        return BuildResult(pages=int(last.get("pages", 0)), files=files, written=0, kept=files, removed=0,
                           seconds=time.perf_counter() - t0, out=out, up_to_date=True)

    t = time.perf_counter()
    # serve carries its state in memory; the command line remembers it in the cache
    from . import memo as memo_mod
    memo = opts.warm if opts.warm is not None else memo_mod.load(cache, Warm) if cache.enabled else Warm()
    loaded = load(root, base_url=opts.base_url, drafts=opts.drafts, warm=memo, stats=stats,
                  cache=cache if cache.enabled else None, jobs=opts.jobs)
    del stats
    t = mark("load", t)
    check_out_dir(out, root, opts.clean)
    stories, body_keys, rendered_bodies = render_stories(loaded, progress, opts.jobs, cache, memo)
    t = mark("render bodies", t)
    # the memo is complete now and describes the inputs, not the site: a child writes it
    # while this process plans and writes (waited for at the end, whatever happens), unless
    # the archive is so large that the child's copy of the memory it touches matters
    save_memo = partial(memo_mod.save, cache, memo) if opts.warm is None else None
    in_child = len(loaded.articles) <= MEMO_CHILD_MAX_ARTICLES
    wait_for_memo = _in_child(save_memo) if save_memo is not None and in_child else None
    try:
        model = build_model(loaded.config, stories, loaded.registry)
        salt = digest(code_id(), loaded.config.fingerprint(), opts.extra_head)
        fp = Fingerprinter(salt, body_keys, loaded.registry.entity_fingerprints(), loaded.theme.template_fingerprints())
        published = published_build_id(out)
        # read even by a --clean build, which drops only its own folder's record: the other
        # folders' records stay theirs (a clean preview build left the main site to render
        # every page again)
        page_outs = _page_outs(Cache(root).read("pages.json", "pages"))
        out_key = str(out.resolve())
        page_cache = page_outs.pop(out_key, {}) if opts.clean else page_outs.get(out_key, {})
        previous = page_cache.get("pages") if page_cache.get("site") == published and published else None
        # with no buffer to start from, the published site is linked in first, in parallel,
        # when this build will keep most of it: its pages' fingerprints are known and were
        # taken with the same theme, config and version (else every page is rendered again)
        keeps_most = previous is not None and page_cache.get("salt") == salt \
            and page_cache.get("templates") == fp.templates
        staging = (Patch(out, opts.warm.paths if opts.warm else None) if opts.patch
                   else Staging(out, fresh=opts.clean, seed=keeps_most, jobs=opts.jobs))
        try:
            carried = CarriedListings(fp, page_cache.get("listings") if previous else None, previous, staging,
                                      articles=opts.warm is None)
            pages = plan(model, carried)
            t = mark("plan", t)
            fingerprints = {p.output: fp.page(p.template, p.context, p.inputs) for p in pages}
            fingerprints.update(carried.fingerprints)
            listings = carried.record(pages)
            n_pages = len(pages) + len(carried.fingerprints)
            templates = fp.templates
            del fp, carried  # the memo holds every context it hashed: let it go before the pages are rendered
            t = mark("fingerprint", t)
            # what pages, feeds and search use to tell what changed without reading files
            staging.fingerprints, staging.previous = fingerprints, previous or {}
            # searchable pages are staged as their search copies while Pagefind reads them
            # (``search.search_copy``); a patch build's Pagefind reads two folders: not there
            copies = opts.search and loaded.config.search and not opts.patch and search_copies_enabled()
            # article pages first: only they show bodies, which are let go before the rest (release_html)
            articles = [p for p in pages if p.kind == "article"]
            rendered_pages, changed = render_pages(
                articles + [p for p in pages if p.kind != "article"], loaded.theme, staging, progress,
                extra_head=opts.extra_head, jobs=opts.jobs, search_copies=copies, first=len(articles),
                after_first=partial(release_html, stories))
            for rel, src in loaded.theme.static_files().items():
                if staging.copy(rel, src):
                    changed.append(rel)
            t = mark("write pages", t)
            _run_late_stages(model, loaded, staging, opts, timings)
            changed += copy_root_files(loaded.theme, staging)
            t = time.perf_counter()
            build_id = digest(inputs, time.time_ns())
            counts = staging.commit(build_id=build_id)
            t = mark("swap", t)
        except BaseException:
            staging.abort()
            raise
        files = len(staging.paths) + 1
        if opts.warm is not None:
            opts.warm.paths = set(staging.paths)
        page_outs.pop(out_key, None)
        page_outs[out_key] = {"site": build_id, "pages": fingerprints, "listings": listings, "salt": salt,
                              "templates": templates}
        while len(page_outs) > PAGE_CACHE_OUTS:
            del page_outs[next(iter(page_outs))]  # the output folder built longest ago
        cache.write("pages.json", "pages", {"outs": page_outs})
        from . import countries
        countries.save_cache()  # the built-in countries, if the registry did not find them in the cache
        cache.write("last-build.json", "last-build", {"inputs": inputs, "out": out_key, "id": build_id,
                                                      "files": files, "pages": n_pages})
        result = BuildResult(pages=n_pages, files=files, written=counts.written, kept=counts.kept,
                             removed=counts.removed, seconds=time.perf_counter() - t0,
                             warnings=loaded.problems.warnings, timings=timings, out=out,
                             rendered_pages=rendered_pages, rendered_bodies=rendered_bodies,
                             changed=sorted(set(changed) | set(staging.changed)),
                             state=BuildState(loaded, _article_pages(model, pages), out, opts.extra_head, model=model,
                                              search_pages=(opts.search_shard_pages if opts.search
                                                            and loaded.config.search and opts.patch else None)))
    finally:
        if wait_for_memo is not None:
            t = time.perf_counter()
            wait_for_memo()
            timings["memo"] = time.perf_counter() - t
    if save_memo is not None and not in_child:  # a large archive: written here, after the build succeeded
        t = time.perf_counter()
        save_memo()
        timings["memo"] = time.perf_counter() - t
    result.seconds = time.perf_counter() - t0
    return result


def _page_outs(data: Any) -> dict[str, dict[str, Any]]:
    """``pages.json``: per output folder, its site id, page fingerprints and listings.

    Per folder, like the search index's shard hashes: a build into another
    folder (a preview with another base URL) used to replace the record, so
    the next build of the main site planned and rendered all 13,700 pages
    of a 10,000-article archive again to find them unchanged."""
    outs = data.get("outs") if isinstance(data, dict) else None
    if not isinstance(outs, dict):
        return {}
    return {k: v for k, v in outs.items() if isinstance(k, str) and isinstance(v, dict)}


class CarriedListings:
    """The listings whose pages the last build made from the same inputs (``pages.Carry``).

    Each listing's key is the fingerprint of what its pages are made from
    (``Fingerprinter.page`` of the planner's inputs, so under the same salt
    as every page). The record also names the templates its pages were
    rendered with and their hashes (``Theme.template_fingerprints``). When
    the key equals the last build's, those templates are unchanged and
    every page of it is in the published site with its recorded
    fingerprint, the pages are taken over: not planned, hashed nor
    rendered, only linked. Anything else (no record, an edited template, a
    missing file) plans the listing as usual.
    """

    def __init__(self, fp: Fingerprinter, before: Any, previous: dict[str, str] | None, staging: Staging,
                 articles: bool = True):
        self.fp, self.previous, self.staging = fp, previous or {}, staging
        self.articles = articles  # False: plan every article page (serve's quick path looks them up)
        self.before: dict[str, Any] = before if isinstance(before, dict) else {}
        self.keys: dict[str, str] = {}  # listing -> its key in this build
        self.kept: dict[str, list[str]] = {}  # listing carried over -> its pages
        self.kept_templates: dict[str, dict[str, str]] = {}  # listing carried over -> its templates' hashes
        self.fingerprints: dict[str, str] = {}  # their outputs -> fingerprints (the last build's)

    def __call__(self, listing: str, inputs: tuple[Any, ...]) -> bool:
        key = self.fp.page("listing:" + listing, {}, inputs)
        self.keys[listing] = key
        if not self.articles and listing.startswith("articles:"):
            return False
        old = self.before.get(listing)
        if not (isinstance(old, list) and len(old) == 3 and old[0] == key and isinstance(old[1], list) and old[1]
                and isinstance(old[2], dict) and old[2]):
            return False
        templates = self.fp.templates
        if any(templates.get(name) != h for name, h in old[2].items()):
            return False  # a template its pages use was edited: they are rendered again
        outputs, previous = old[1], self.previous
        if not all(isinstance(rel, str) and rel in previous for rel in outputs):
            return False
        for rel in outputs:
            if not self.staging.reuse(rel):
                return False  # gone from the published site: planned and rendered after all
        self.kept[listing] = outputs
        self.kept_templates[listing] = old[2]
        self.fingerprints.update((rel, previous[rel]) for rel in outputs)
        return True

    def record(self, pages: list[Page]) -> dict[str, list[Any]]:
        """What the next build compares with: each listing's key, pages and templates."""
        outputs: dict[str, list[str]] = {}
        used: dict[str, dict[str, str]] = {}
        templates = self.fp.templates
        for p in pages:
            if p.family:
                outputs.setdefault(p.family, []).append(p.output)
                used.setdefault(p.family, {})[p.template] = templates.get(p.template, "")
        outputs.update(self.kept)
        used.update(self.kept_templates)
        return {listing: [key, outputs.get(listing, []), used.get(listing, {})] for listing, key in self.keys.items()}


def _article_pages(model: Any, pages: list[Page]) -> dict[str, Page]:
    """Each article's page by the article's source path (what serve's quick path looks up)."""
    by_url = {p.url: p for p in pages if p.kind == "article"}  # a command-line build carries some over unplanned
    return {s.article.path: by_url[s.url_path] for s in model.stories if s.url_path in by_url}


def _in_child(work: Callable[[], None]) -> Callable[[], None]:
    """Run ``work`` in a forked child; return the function that waits for it.

    For work that only writes a file of its own (the memo: 0.1 s of an
    add-one build) and needs nothing back. The child has this process's
    memory as it was at the fork, so it sees a consistent state whatever
    the build does meanwhile. It leaves without running any cleanup of
    this process (``os._exit``). Without fork, the work is done here.
    """
    try:
        pid = os.fork()
    except (AttributeError, OSError):
        work()
        return lambda: None
    if pid == 0:
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)

    def wait() -> None:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # already reaped: nothing to wait for
            pass

    return wait


def _run_late_stages(model: Any, loaded: Loaded, staging: Staging, opts: BuildOptions,
                     timings: dict[str, float]) -> None:
    """The search index, feeds and sitemap: the index first, so Pagefind runs meanwhile.

    A stage may return work still running (the search stage returns
    Pagefind at work, ``search.Indexing``); it is finished after the other
    stages, on this thread, and always waited for, so a failure on either
    side leaves no writer behind when the staging folder is thrown away.
    """
    running: list[tuple[str, Any]] = []
    try:
        for stage, fn in _late_stages():
            t = time.perf_counter()
            started = fn(model, loaded, staging, opts)
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - t
            if hasattr(started, "finish"):
                running.append((stage, started))
        while running:
            stage, job = running[0]
            t = time.perf_counter()
            job.finish()
            running.pop(0)
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - t
    finally:
        for _, job in running:
            job.abandon()


def _late_stages() -> list[tuple[str, Callable[..., Any]]]:
    """Stages after the pages: search (started, finished last), feeds, sitemap. Each is optional."""
    stages: list[tuple[str, Callable[..., Any]]] = []
    for stage, module, func in (("search index", "search", "start_index"), ("feeds", "feeds", "write_feeds"),
                                ("sitemap", "sitemap", "write_sitemap")):
        try:
            mod = __import__(f"archivegen.{module}", fromlist=[func])
        except ModuleNotFoundError as exc:
            if exc.name == f"archivegen.{module}":
                continue
            raise
        stages.append((stage, getattr(mod, func)))
    return stages


# -- serve's quick path -------------------------------------------------------------

@dataclass
class BuildState:
    """The last build, kept by ``serve`` to re-render an edited article at once."""

    loaded: Loaded
    article_pages: dict[str, Page]  # article source path -> its page
    out: Path
    extra_head: str
    renderer: Any = None
    model: Any = None
    search_pages: int | None = None  # shard size of a patch build with search; None: no quick search


def quick_article(state: BuildState, path: Path) -> list[str] | None:
    """Re-render one edited article's page straight into the served site.

    Only for an article that already had a page and keeps its URL; anything
    else (a new or renamed article, an error, a registry or template change)
    returns None and is left to the full build that always follows. The
    page's other parts (neighbours, entity box) come from the last build and
    are brought up to date by that full build a moment later.
    """
    from .content import parse_article
    from .render import BodyRenderer
    from zoneinfo import ZoneInfo

    loaded = state.loaded
    root = loaded.root
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
    page = state.article_pages.get(rel)
    if page is None:
        return None
    problems = Problems()
    try:
        article = parse_article(path.read_bytes(), rel, ZoneInfo(loaded.config.timezone), problems)
    except Exception:  # noqa: BLE001 - the full build reports it properly
        return None
    if article is None or problems.errors or article.url_path != page.url or article.draft:
        return None
    loaded.registry.check_ids(article, problems)
    if problems.errors:
        return None
    if state.renderer is None:
        state.renderer = BodyRenderer(loaded.registry, loaded.config, make_link=loaded.theme.make_link)
    story = story_from(article, state.renderer.render(article))
    ctx = dict(page.full_context(), title=story.title, story=story, article=article, body=story.html,
               extra_head=state.extra_head)
    try:
        html = loaded.theme.render(page.template, ctx, page.url)
    except TemplateFailure:
        return None
    dest = state.out / page.output
    data = html.encode("utf-8")
    try:
        if dest.read_bytes() == data:
            return []
    except OSError:
        return None
    from .cache import atomic_write
    atomic_write(dest, data)
    return [page.output]


def quick_search(state: BuildState, pages: list[str]) -> list[str] | None:
    """Re-index the search shards holding just-rewritten pages, straight into the served site.

    Serve calls it after ``quick_article``, so an edit is searchable before
    the full build that follows has planned every page; that build then
    finds the shards current or re-indexes them again (never wrong, at worst
    done twice). Returns the shard names, or None when it could not help.
    """
    import shutil

    from . import search

    if not state.search_pages or state.model is None or not pages:
        return None
    config = state.loaded.config
    shards = [s for s in search.plan_shards(state.model, config.search_shard, state.search_pages) if s.pages]
    if not shards:
        return None
    primary = shards[0].name
    wanted = set(pages)
    done: list[str] = []
    out = state.out
    for shard in shards:
        if not wanted & set(shard.pages):
            continue
        work = out.parent / f".{out.name}.quick-search"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            source = _PublishedPages(work, out)
            if search._index_shard(shard, source, work / ".search-src", shard.name == primary) is not None:
                return None
            built = work / search.BUNDLE / shard.name
            dest = out / search.BUNDLE / shard.name
            entry = "pagefind-entry.json"
            fresh = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
            for rel in sorted(fresh - {entry}) + [entry]:  # the entry file last: it names the others
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(built / rel, target)
            for old in dest.rglob("*"):
                if old.is_file() and old.relative_to(dest).as_posix() not in fresh:
                    old.unlink()
        except OSError:
            return None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        done.append(shard.name)
    return done or None


@dataclass
class _PublishedPages:
    """What ``search._index_shard`` needs: a work folder, and pages read from the served site."""

    dir: Path
    out: Path

    def source(self, rel: str) -> Path:
        return self.out / rel
