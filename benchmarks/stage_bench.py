"""CPU seconds of a build's main stages, in one process, without workers.

    python benchmarks/stage_bench.py ARCHIVE [--repeat 3]

A parallel build's stages share two cores with each other and with
Pagefind, so their wall times say little about what a change saved. This
runs each stage's work in this process alone and reports the best of
--repeat runs of process CPU time:

- load: reading, parsing and validating every article (``build.load``);
- bodies: Markdown and entity linking of every article (``BodyRenderer``);
- pages: every page of a clean build through Jinja, captured from a real
  ``--no-search --jobs 1`` build of ARCHIVE (which this rewrites, with its
  ``.cache/``), per template.

ARCHIVE is any archive, e.g. one from ``make_archive.py``.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archivegen import build  # noqa: E402
from archivegen.render import BodyRenderer  # noqa: E402


def best_cpu(work: Callable[[], Any], repeat: int) -> float:
    """The least process CPU time ``work`` took in ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def captured_pages(root: Path) -> tuple[list[Any], Any]:
    """The pages (and theme) a clean one-process build of ``root`` renders."""
    pages: list[Any] = []
    theme: list[Any] = []
    real = build.render_pages

    def capture(batch: list[Any], *args: Any, **kwargs: Any) -> Any:
        pages.extend(batch)
        theme[:] = [kwargs.get("theme", args[0] if args else None)]
        return real(batch, *args, **kwargs)

    build.render_pages = capture  # type: ignore[assignment]
    try:
        shutil.rmtree(root / ".cache", ignore_errors=True)
        build.build(build.BuildOptions(root=root, search=False, jobs=1, clean=True, progress=False))
    finally:
        build.render_pages = real  # type: ignore[assignment]
    return pages, theme[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("archive", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = args.archive.resolve()
    gc.set_threshold(100_000, 50, 100)  # as a build sets it

    load_s = best_cpu(lambda: build.load(root, jobs=1), args.repeat)
    loaded = build.load(root, jobs=1)
    renderer = BodyRenderer(loaded.registry, loaded.config, make_link=loaded.theme.make_link)
    articles = loaded.articles
    def bodies() -> None:
        with renderer.batch():  # as the build's workers render
            for a in articles:
                renderer.render(a)

    bodies_s = best_cpu(bodies, args.repeat)
    print(f"load    {load_s:7.3f} s  ({len(articles):,} articles)")
    print(f"bodies  {bodies_s:7.3f} s  ({bodies_s / max(len(articles), 1) * 1e3:.3f} ms each)")

    pages, theme = captured_pages(root)
    work = [(p.template, dict(p.full_context(), extra_head=""), p.url) for p in pages]
    counts = Counter(t for t, _, _ in work)
    runs: list[tuple[float, Counter[str]]] = []
    for _ in range(args.repeat):
        per_template: Counter[str] = Counter()
        started_all = time.process_time()
        for template, context, url in work:
            started = time.process_time()
            theme.render(template, context, url)
            per_template[template] += time.process_time() - started
        runs.append((time.process_time() - started_all, per_template))
    pages_s, per_template = min(runs, key=lambda r: r[0])
    print(f"pages   {pages_s:7.3f} s  ({len(work):,} pages)")
    for template, total in per_template.most_common():
        n = counts[template]
        print(f"  {template:24s} {total:7.3f} s  {n:6,} pages  {total / n * 1e3:.3f} ms each")


if __name__ == "__main__":
    main()
