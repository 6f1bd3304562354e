#!/usr/bin/env python3
"""Make a benchmark archive of N articles from a folder of raw news text.

    python benchmarks/make_archive.py CORPUS_DIR OUT_DIR --articles 10000 [--people 300]

CORPUS_DIR holds raw articles (headline line, blank line, paragraphs), e.g.
../shared/corpora/bbc. They are repeated with fresh slugs and dates spread
over ten years (2010-2019), the sub-folder name as section. A registry of
people found in the text is written to content/people/: two capitalised
words whose second word also appears after Mr/Mrs/Ms/Dr ("Tony Blair" with
"Mr Blair"), ranked by frequency. The text is research data: the archive is
written outside the repository and never committed.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archivegen.slugs import slugify  # noqa: E402

NAME = re.compile(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?) ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Dr)\.? ([A-Z][a-z]+)\b")
STOP = {"The", "But", "In", "It", "He", "She", "This", "That", "And", "For", "On", "At", "As", "If", "When",
        "Prime", "Minister", "President", "Chancellor", "Secretary", "Mr", "Mrs", "Ms", "Dr", "Sir", "Lord",
        "New", "North", "South", "East", "West", "United", "Labour", "Tory", "Conservative", "Liberal"}


def read_corpus(folder: Path) -> list[tuple[str, str, list[str]]]:
    """(section, headline, paragraphs) of every readable text file."""
    out = []
    for path in sorted(folder.rglob("*.txt")):
        if path.name.upper() == "README.TXT":
            continue
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        lines = text.replace("\r\n", "\n").split("\n")
        title = lines[0].strip()
        paras = [" ".join(p.split()) for p in "\n".join(lines[1:]).split("\n\n") if p.strip()]
        if title and paras:
            out.append((path.parent.name.capitalize(), title, paras))
    return out


def find_people(docs, limit: int) -> list[str]:
    surnames = Counter()
    pairs = Counter()
    for _, _, paras in docs:
        text = "\n".join(paras)
        surnames.update(HONORIFIC.findall(text))
        pairs.update(f"{a} {b}" for a, b in NAME.findall(text) if a not in STOP and b not in STOP)
    people = [name for name, n in pairs.most_common() if n >= 3 and surnames.get(name.split()[1], 0) >= 2]
    # one person per surname keeps the registry free of ambiguous surnames
    seen: set[str] = set()
    unique = []
    for name in people:
        last = name.split()[1]
        if last not in seen:
            seen.add(last)
            unique.append(name)
    return unique[:limit]


def md_escape(text: str) -> str:
    return re.sub(r"^(\s*)([#>*+-]|\d+\.)(\s)", r"\1\\\2\3", text)


def yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    docs = read_corpus(args.corpus)
    if not docs:
        sys.exit(f"no articles found in {args.corpus}")
    rng = random.Random(args.seed)
    arts = args.out / "content" / "articles"
    people_dir = args.out / "content" / "people"
    arts.mkdir(parents=True, exist_ok=True)
    people_dir.mkdir(parents=True, exist_ok=True)
    start = date(2010, 1, 1)
    span = (date(2019, 12, 31) - start).days
    used: set[str] = set()
    for i in range(args.articles):
        section, title, paras = docs[i % len(docs)]
        d = start + timedelta(days=rng.randrange(span))
        slug = f"{slugify(title)[:60]}-{i}"
        if (d, slug) in used:
            continue
        used.add((d, slug))
        folder = arts / f"{d:%Y}" / f"{d:%m}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n\n".join(md_escape(p) for p in paras)
        (folder / f"{slug}.md").write_text(
            f"---\ntitle: {yaml_str(title)}\ndate: {d.isoformat()}\nslug: {slug}\nsection: {section}\n"
            f"source: Benchmark corpus\n---\n{body}\n")
    for name in find_people(docs, args.people):
        pid = slugify(name)
        (people_dir / f"{pid}.md").write_text(f"---\nname: {name}\ndescription: Person named in the corpus\n---\n")
    (args.out / "archive.yaml").write_text("title: Benchmark Archive\nbase_url: https://bench.example.org/\n")
    print(f"wrote {args.articles} articles and {len(list(people_dir.glob('*.md')))} people to {args.out}")


if __name__ == "__main__":
    main()
