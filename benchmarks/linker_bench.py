"""Linker speed: ms per 400-word article with 10,000 people registered.

    python benchmarks/linker_bench.py CORPUS [--people N] [--articles N]

CORPUS is a folder of plain-text news articles (e.g. ../shared/corpora/bbc:
title line, blank line, paragraphs). The registry holds the built-in
countries, the people whose names the articles contain (found as runs of
two or three capitalised words) and synthetic people up to --people.
Reports Markdown-only time, Markdown + linking time, and their difference
per 400 words (best of three runs, CPU time unless --wall), plus the one-off
automaton build time.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archivegen.config import Config  # noqa: E402
from archivegen.entities import Entity  # noqa: E402
from archivegen.registry import Registry  # noqa: E402
from archivegen.render import BodyRenderer  # noqa: E402
from archivegen.slugs import slugify  # noqa: E402


def read_corpus(folder: Path, limit: int) -> list[str]:
    bodies = []
    for path in sorted(folder.rglob("*.txt")):
        text = path.read_bytes().decode("utf-8", "replace")
        parts = text.split("\n", 2)
        bodies.append(parts[2] if len(parts) > 2 else text)
        if len(bodies) >= limit:
            break
    return bodies


def make_registry(bodies: list[str], n_people: int) -> Registry:
    from archivegen import countries

    reg = Registry()
    for e in countries.builtin_countries():
        reg.entities[e.key] = e
    reg.ambiguous = {f: (tuple(f"countries/{c}" for c in a.countries), True) for f, a in countries.AMBIGUITIES.items()}
    reg.not_entities = tuple(countries.NOT_COUNTRIES)
    names = set()
    for b in bodies:
        names.update(m.group(0) for m in re.finditer(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}\b", b))
    rng = random.Random(1)
    syll = ["ka", "lo", "mi", "ra", "ve", "to", "shi", "an", "dor", "bel", "gu", "zen", "fa", "qui", "ol"]
    while len(names) < n_people:
        names.add(" ".join("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))).capitalize() for _ in range(2)))
    for name in sorted(names)[:n_people]:
        ident = slugify(name)
        reg.entities.setdefault(f"people/{ident}", Entity(id=ident, kind="person", name=name))
    return reg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--wall", action="store_true",
                    help="time with the wall clock (default: this process's CPU time, steadier on a busy machine)")
    a = ap.parse_args()
    clock = time.perf_counter if a.wall else time.process_time
    bodies = read_corpus(a.corpus, a.articles)
    words = sum(len(b.split()) for b in bodies)
    if not words:
        sys.exit(f"{a.corpus}: no words in any .txt file below it; give a folder of articles, "
                 "e.g. ../shared/corpora/bbc")
    reg = make_registry(bodies, a.people)
    t = time.perf_counter()
    reg.matcher()
    build = time.perf_counter() - t
    linked = BodyRenderer(reg, Config())
    plain = BodyRenderer(None, Config())
    results = {}
    for label, r in (("markdown only", plain), ("markdown + linking", linked)):
        for b in bodies[:50]:
            r.render(body=b)  # warm up
        best = float("inf")
        for _ in range(3):
            t = clock()
            mentions = 0
            for b in bodies:
                mentions += len(r.render(body=b).mentions)
            best = min(best, clock() - t)
        results[label] = best
        print(f"{label:20s} {best / words * 400 * 1000:.3f} ms per 400 words ({mentions} mentions)")
    n_people = len(reg.people)
    print(f"linking alone        {(results['markdown + linking'] - results['markdown only']) / words * 400 * 1000:.3f}"
          f" ms per 400 words; {len(bodies)} articles, {words} words, {n_people} people,"
          f" {len(reg.countries)} countries; automaton built in {build:.2f} s")


if __name__ == "__main__":
    main()
