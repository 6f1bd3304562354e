"""The build pipeline: load → registry → render bodies → plan → render → write.

Each stage takes and returns plain data. Problems from every stage before
writing are collected and raised together, so nothing is written when any
input is bad, and the published site is only replaced once every page,
asset and index of the new one exists (see ``output``).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .config import Config, load_config
from .content import Article, load_articles
from .errors import BuildFailed, Problem, Problems
from .model import SiteModel, Story, build_model
from .output import Staging, check_out_dir
from .pages import Page, plan
from .theme import TemplateFailure, Theme


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

    def summary(self) -> str:
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


def load(root: Path, *, base_url: str | None = None, drafts: bool = False, need_theme: bool = True) -> Loaded:
    """Read and validate the whole archive; raise BuildFailed on any error."""
    from .registry import load_registry

    problems = Problems()
    config = load_config(root, problems, {"base_url": base_url})
    registry = load_registry(root, problems)
    articles = load_articles(root, config, problems, drafts=drafts)
    for a in articles:
        registry.check_ids(a, problems)
    theme = Theme(root, config)
    if need_theme:
        theme.check(problems)
    problems.raise_if_errors()
    return Loaded(config, registry, articles, theme, problems)


def render_stories(loaded: Loaded, progress: Progress, jobs: int = 0, cache: Any = None) -> list[Story]:
    """Markdown + entity linking for every article."""
    from .render import BodyRenderer

    renderer = BodyRenderer(loaded.registry, loaded.config, make_link=loaded.theme.make_link)
    stories = []
    total = len(loaded.articles)
    for i, a in enumerate(loaded.articles, 1):
        rb = renderer.render(a)
        stories.append(story_from(a, rb))
        progress.update("rendering articles", i, total)
    return stories


def story_from(article: Article, rb: Any) -> Story:
    keys = list(dict.fromkeys([m.key for m in rb.mentions]
                              + [f"people/{p}" for p in article.people]
                              + [f"countries/{c}" for c in article.countries]))
    return Story(article, rb.html, rb.text, article.summary or rb.summary, rb.mentions, rb.word_count, keys)


def render_pages(pages: list[Page], theme: Theme, staging: Staging, progress: Progress, extra_head: str = "") -> None:
    problems = Problems()
    total = len(pages)
    for i, page in enumerate(pages, 1):
        ctx = dict(page.context, extra_head=extra_head)
        try:
            html = theme.render(page.template, ctx, page.url)
        except TemplateFailure as exc:
            problems.add(exc.problem)
            if len(problems.items) >= 20:
                break
            continue
        staging.write(page.output, html)
        progress.update("writing pages", i, total)
    problems.raise_if_errors()


def build(opts: BuildOptions) -> BuildResult:
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    root = opts.root
    out = opts.out or root / "site"
    progress = Progress(opts.progress)

    def mark(stage: str, since: float) -> float:
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - since
        return now

    t = time.perf_counter()
    loaded = load(root, base_url=opts.base_url, drafts=opts.drafts)
    t = mark("load", t)
    check_out_dir(out, root, opts.clean)
    stories = render_stories(loaded, progress, opts.jobs)
    t = mark("render bodies", t)
    model = build_model(loaded.config, stories, loaded.registry)
    pages = plan(model)
    t = mark("plan", t)
    staging = Staging(out)
    try:
        render_pages(pages, loaded.theme, staging, progress, opts.extra_head)
        for rel, src in loaded.theme.static_files().items():
            staging.copy(rel, src)
        t = mark("write pages", t)
        for stage, fn in _late_stages():
            fn(model, loaded, staging, opts)
            t = mark(stage, t)
        stats = staging.commit()
    except BaseException:
        staging.abort()
        raise
    return BuildResult(pages=len(pages), files=len(staging.paths) + 1, written=stats.written, kept=stats.kept,
                       removed=stats.removed, seconds=time.perf_counter() - t0, warnings=loaded.problems.warnings,
                       timings=timings, out=out)


def _late_stages() -> list[tuple[str, Callable[..., None]]]:
    """Stages after the pages: feeds, sitemap, search. Each is optional."""
    stages: list[tuple[str, Callable[..., None]]] = []
    for stage, module, func in (("feeds", "feeds", "write_feeds"), ("sitemap", "sitemap", "write_sitemap"),
                                ("search index", "search", "write_index")):
        try:
            mod = __import__(f"archivegen.{module}", fromlist=[func])
        except ModuleNotFoundError as exc:
            if exc.name == f"archivegen.{module}":
                continue
            raise
        stages.append((stage, getattr(mod, func)))
    return stages
