"""``archivegen entities suggest``: people the articles name who are not registered.

Reads ``content/`` only (no theme, no site). Candidates come from
``archivegen.suggest``; registered people (names and aliases) and every
country form are left out. ``--write`` adds a ``content/people/<id>.md``
stub for each candidate shown, never replacing a file that exists.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..cli import add_root_option, print_problems
from ..errors import Problems


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("entities", help="work with the people and countries registry",
                       description="Work with the people and countries registry.")
    inner = p.add_subparsers(dest="entities_command", metavar="SUBCOMMAND")
    inner.required = True
    s = inner.add_parser("suggest", help="people the articles name who are not registered yet",
                         description="Find names that look like people and are not in content/people/, "
                                     "ranked by the number of articles that name them.")
    add_root_option(s)
    s.add_argument("--json", action="store_true",
                   help='one JSON object per candidate and line: {"name", "articles", "mentions", "roles", "example"}')
    s.add_argument("--min-articles", type=int, default=2, metavar="N",
                   help="only names found in at least N articles (default: 2)")
    s.add_argument("--limit", type=int, default=0, metavar="N", help="show at most N candidates (default: all)")
    s.add_argument("--write", action="store_true",
                   help="create content/people/<id>.md for each candidate shown (existing files are kept)")
    s.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    s.set_defaults(_entities_run=run_suggest)
    return p


def run(args: argparse.Namespace) -> int:
    return args._entities_run(args)


def run_suggest(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..content import load_articles
    from ..registry import load_registry
    from ..suggest import Document, article_text, registry_forms, registry_given_names, stub_text, suggest

    if args.min_articles < 1:
        print("archivegen entities suggest: --min-articles must be 1 or more", file=sys.stderr)
        return 2
    root: Path = args.root
    problems = Problems()
    config = load_config(root, problems)
    registry = load_registry(root, problems)
    articles = load_articles(root, config, problems, drafts=args.drafts)
    print_problems(problems.items)
    if not (root / "content").is_dir():
        return 1
    docs = [Document(a.path, article_text(a.body)) for a in sorted(articles, key=lambda a: a.path)]
    exclude, demonyms = registry_forms(registry)
    candidates = suggest(docs, exclude=exclude, demonyms=demonyms, given_names=registry_given_names(registry),
                         min_articles=args.min_articles)
    if args.limit > 0:
        candidates = candidates[: args.limit]
    out = sys.stdout
    if args.json:
        for c in candidates:
            out.write(json.dumps(c.as_json(), ensure_ascii=False) + "\n")
    elif not candidates:
        print(f"No new people found in {len(docs)} article{'s' if len(docs) != 1 else ''} "
              f"(named in at least {args.min_articles}).", file=out)
    else:
        for c in candidates:
            roles = f" — {', '.join(c.roles[:3])}" if c.roles else ""
            print(f"{c.articles:>4} articles {c.mentions:>5} mentions  {c.name}{roles}", file=out)
            print(f"       e.g. {_clip(c.example, names=(c.name, *c.variants))}", file=out)
    if args.write:
        folder = root / "content" / "people"
        folder.mkdir(parents=True, exist_ok=True)
        taken = {e.id for e in registry.people}
        written = kept = 0
        for c in candidates:
            path = folder / f"{c.id}.md"
            if c.id in taken or path.exists():
                kept += 1
                continue
            try:
                with path.open("x", encoding="utf-8") as fh:  # never overwrite, even in a race
                    fh.write(stub_text(c))
            except FileExistsError:
                kept += 1
                continue
            taken.add(c.id)
            written += 1
        print(f"wrote {written} new file{'s' if written != 1 else ''} to content/people/"
              + (f"; kept {kept} that existed" if kept else ""), file=sys.stderr)
    return 1 if problems.errors else 0


def _clip(text: str, width: int = 160, names: tuple[str, ...] = ()) -> str:
    """At most ``width`` characters of an example sentence, showing the name it is an example of.

    A long sentence cut at its start may lose the name ("At the Golden Globes,
    Mr Evans - who was named … taken with DiCap…" for Martin Scorsese): the
    window then moves to the first of ``names`` found in it.
    """
    if len(text) <= width:
        return text
    at = min((i for i in (text.find(n) for n in names if n) if i >= 0), default=0)
    end = at + max((len(n) for n in names if n and text.find(n) == at), default=0)
    if end <= width - 1:
        return text[: width - 1].rstrip() + "…"
    start = max(0, min(end - (width - 2) // 2, len(text) - (width - 2)))  # the name in the middle, the window full
    piece = text[start: start + width - 2].strip()
    return "…" + piece + ("…" if start + width - 2 < len(text) else "")
