"""``archivegen mentions --json [PATH ...]``: every entity mention, one JSON object a line.

Needs only ``content/`` (no theme, no site). Articles are read in path order;
each mention in reading order. An article that cannot be loaded (bad front
matter, unknown ids) is reported on stderr and skipped while the others are
still printed, like ``grep`` with an unreadable file; the exit status is
then 1, so a script notices. Without ``--json`` a readable table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

from ..cli import add_root_option, print_problems
from ..errors import ContentError, Problems, by_place


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("mentions", help="list the people and countries each article mentions",
                       description="List every mention of a person or country, in reading order.")
    add_root_option(p)
    p.add_argument("paths", nargs="*", metavar="PATH", type=Path,
                   help="articles or folders of articles (default: all of content/articles)")
    p.add_argument("--json", action="store_true", help="one JSON object per mention and line (for scripts)")
    p.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    return p


def mention_records(root: Path, paths: list[Path] | None, problems: Problems, *, drafts: bool = False) -> Iterator[dict[str, Any]]:
    """The DESIGN mention objects for the articles at ``paths`` (None: all)."""
    from ..config import load_config
    from ..content import load_articles
    from ..registry import load_registry
    from ..render import BodyRenderer

    config = load_config(root, problems)
    registry = load_registry(root, problems)
    files = _article_paths(root, paths, problems) if paths else None
    if files is not None and not files:
        return
    articles = load_articles(root, config, problems, drafts=drafts or bool(paths), paths=files)
    renderer = BodyRenderer(registry, config)
    for article in sorted(articles, key=lambda a: a.path):
        before = len(problems.errors)
        registry.check_ids(article, problems)
        if len(problems.errors) > before:
            continue
        body = renderer.render(article)
        for m in body.mentions:
            e = registry.get(m.key)
            assert e is not None  # the linker found the mention in this registry
            yield {
                "article": article.path, "start": m.start, "end": m.end, "text": m.text,
                "id": m.key, "kind": m.kind, "name": e.name, "wikidata": e.wikidata,
                "iso2": e.iso2, "linked": m.linked,
            }


def _article_paths(root: Path, paths: list[Path], problems: Problems) -> list[Path]:
    """Files named on the command line (folders: every .md below), root-relative.

    A named pipe or a device is refused at its path, as ``build`` refuses
    one in content/: reading a pipe waits for ever, and /dev/zero never ends.
    """
    from ..content import article_files
    from ..inputs import not_a_file

    out: list[Path] = []
    for given in paths:
        p = given if given.is_absolute() or os.path.lexists(given) else root / given
        if p.is_dir():
            found = Problems()
            all_files = article_files(root, found)
            real = p.resolve()
            out.extend(f for f in all_files if f.resolve().is_relative_to(real))
            for problem in found.items:  # the odd entries below this folder, refused by the walk
                if (root.resolve() / problem.path).is_relative_to(real):
                    problems.add(problem)
            continue
        odd = not_a_file(p)
        if odd is not None:
            problems.error(str(given), None, odd, "name an article's Markdown file, or a folder of them")
            continue
        if not p.exists():
            problems.error(str(given), None, "no such file or folder", f"paths are relative to the current folder or to {root}")
            continue
        out.append(root / p.resolve().relative_to(root.resolve()) if p.resolve().is_relative_to(root.resolve()) else p)
    return sorted(dict.fromkeys(out))


def run(args: argparse.Namespace) -> int:
    problems = Problems()
    out = sys.stdout
    try:
        for rec in mention_records(args.root, args.paths or None, problems, drafts=args.drafts):
            if args.json:
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            else:
                mark = "linked" if rec["linked"] else ""
                out.write(f"{rec['article']}\t{rec['start']}-{rec['end']}\t{rec['text']}\t{rec['id']}\t{mark}\n")
    except ContentError as exc:
        problems.add(exc.problem)
    out.flush()
    print_problems(by_place(problems.errors))
    if problems.errors:
        n = len(problems.errors)
        print(f"archivegen: {n} error{'s' if n != 1 else ''}; mentions of the other articles were printed", file=sys.stderr)
        return 1
    return 0
