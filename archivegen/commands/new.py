"""``archivegen new "Title"``: start an article with its front matter filled in.

Writes ``content/articles/YYYY/MM/<slug>.md`` and prints its path. An
existing file is never overwritten (status 1), so running the command twice
cannot lose a writer's work.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..cli import add_root_option, print_problems
from ..config import load_config
from ..content import no_content_folder, parse_date
from ..errors import Problem, Problems
from ..inputs import not_a_folder
from ..importer import yaml_scalar
from ..slugs import slug_problem, slugify


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("new", help="create a new article", description=(
        "Create content/articles/YYYY/MM/<slug>.md with its front matter filled in and print its path. "
        "Never overwrites an existing file."))
    add_root_option(p)
    p.add_argument("title", help="the headline, e.g. \"Kerry meets Lavrov\"")
    p.add_argument("--date", metavar="DATE", help="YYYY-MM-DD or ISO 8601 datetime (default: today in the archive's timezone)")
    p.add_argument("--section", help="section name, e.g. World")
    p.add_argument("--tags", action="append", default=[], metavar="TAG[,TAG...]",
                   help="comma-separated tags; may be repeated")
    p.add_argument("--slug", help="URL slug (default: from the title)")
    p.add_argument("--draft", action="store_true", help="mark the article 'draft: true'")
    return p


def run(args: argparse.Namespace) -> int:
    problems = Problems()
    config = load_config(args.root, problems, {})
    tz = ZoneInfo(config.timezone)
    title = " ".join(args.title.split())
    if not title:
        print("archivegen new: the title is empty", file=sys.stderr)
        return 2
    if args.date:
        bad: list[str] = []
        when = parse_date(args.date.strip(), tz, lambda m, h: bad.append(f"{m}; {h}"))
        if when is None:
            print(f"archivegen new: --date: {bad[0]}", file=sys.stderr)
            return 2
        date_text = args.date.strip()
    else:
        when = datetime.now(tz)
        date_text = f"{when:%Y-%m-%d}"
    slug = args.slug or slugify(title)
    why = slug_problem(slug)
    if why:
        print(f"archivegen new: {why}; pass --slug, e.g. --slug my-article", file=sys.stderr)
        return 2
    tags = [t.strip() for group in args.tags for t in group.split(",") if t.strip()]

    lines = ["---", f"title: {yaml_scalar(title)}", f"date: {date_text}"]
    if args.slug:
        lines.append(f"slug: {slug}")
    if args.section:
        lines.append(f"section: {yaml_scalar(args.section.strip())}")
    if tags:
        lines.append("tags: [" + ", ".join(_flow(t) for t in tags) + "]")
    if args.draft:
        lines.append("draft: true")
    lines += ["---", "", ""]

    path = args.root / "content" / "articles" / f"{when:%Y}" / f"{when:%m}" / f"{slug}.md"
    problem = _unwritable(args.root, path.parent)
    if problem is not None:
        print_problems([problem])
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines))
    except FileExistsError:
        print(f"archivegen new: {path} already exists; not overwritten "
              "(choose another title, or --slug NAME)", file=sys.stderr)
        return 1
    print(path)
    return 0


def _unwritable(root: Path, folder: Path) -> Problem | None:
    """Why the article cannot go into ``folder``, before anything is created.

    A --root that is no archive would otherwise get a content/ tree of its
    own (the article lost where no build looks), and a file standing where a
    folder must be would end in a bare NotADirectoryError."""
    missing = no_content_folder(root)
    if missing is not None:
        return missing
    blocked = not_a_folder(folder)
    if blocked is None:
        return None
    part, why = blocked
    return Problem(str(part), None, why, "articles go into content/articles/YYYY/MM/; "
                   "move or rename the file that stands in the way")


def _flow(tag: str) -> str:
    """A tag inside a YAML flow list: commas and brackets need quotes."""
    s = yaml_scalar(tag)
    return s if not any(c in s for c in ",[]{}#") else '"' + tag.replace("\\", "\\\\").replace('"', '\\"') + '"'
