"""``archivegen init DIR``: a new archive that builds at once.

The theme is not copied: it comes from the package, and a file placed in
the new archive's ``templates/`` overrides the default of the same name.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from ..config import default_yaml

EXAMPLE_ARTICLE = """\
---
title: "Welcome to your archive: how articles work"
date: {today}
section: Archive
tags: [getting started]
summary: What an article is, and how to add the next one.
source: Archive desk
---
This is an article. Each one is a Markdown file below `content/articles/`,
with YAML front matter between the two `---` lines above.

Name a person who has a file in `content/people/`, such as Ada Lovelace, and
the build links the name to her page. Countries are built in: a mention of
France or the United Kingdom links to its country page without any setup.

Add the next article with `archivegen new "Headline"`, then run
`archivegen build` (or `archivegen serve` while writing).
"""

EXAMPLE_PERSON = """\
---
name: Ada Lovelace
aliases: [Augusta Ada King]
description: English mathematician, author of the first published computer program
wikidata: Q7259
born: 1815-12-10
died: 1852-11-27
---
A person file: the file name is the person's id and the last part of their
page's URL. The body, like this paragraph, is their biography.
"""

GITIGNORE = "/site/\n/.site.*\n/.cache/\n"  # .site.* : the staging, old and trash folders and the .aside file


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("init", help="create a new archive", description="Create a new archive in DIR.")
    p.add_argument("dir", type=Path, metavar="DIR", help="folder to create (must be empty or absent)")
    return p


def run(args: argparse.Namespace) -> int:
    root: Path = args.dir
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        print(f"archivegen: {root} exists and is not empty; choose a new folder", file=sys.stderr)
        return 1
    today = date.today()
    article_dir = root / "content" / "articles" / f"{today:%Y}" / f"{today:%m}"
    article_dir.mkdir(parents=True)
    (root / "content" / "people").mkdir()
    (root / "content" / "countries").mkdir()
    (article_dir / "welcome-to-your-archive.md").write_text(EXAMPLE_ARTICLE.format(today=today.isoformat()))
    (root / "content" / "people" / "ada-lovelace.md").write_text(EXAMPLE_PERSON)
    (root / "archive.yaml").write_text(default_yaml())
    (root / ".gitignore").write_text(GITIGNORE)
    print(f"created archive in {root}")
    print(f"next: cd {root} && archivegen build   (or archivegen serve)")
    return 0
