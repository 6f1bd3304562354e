#!/usr/bin/env python3
"""Write Reuters-21578 stories as raw text files (headline, blank line, paragraphs).

    python benchmarks/reuters_text.py ../shared/corpora/reuters21578 OUT_DIR [--limit 2076] [--min-words 80]
    python benchmarks/make_archive.py OUT_DIR ARCHIVE --articles 2000 --people 1
    archivegen entities suggest --root ARCHIVE --min-articles 2

The collection is SGML: each <REUTERS> record holds a <TITLE> and a <BODY>
whose paragraphs start with an indented line. Records without a title or a
body are skipped, and so are stories of fewer than 80 words (tables of
figures, one-line briefs). The output is the
input `benchmarks/make_archive.py` and `archivegen import` read; it is
research data and belongs outside the repository.

The stories are 1987 business and economic news, a different kind of copy
from the AIDA split's 1996 sports-heavy news: firms named like people
("Merrill Lynch", "Goldman Sachs"), offices "of" something ("Chancellor of
the Exchequer Nigel Lawson"). `docs/entities.md` gives what the suggester
makes of them.
"""

from __future__ import annotations

import argparse
import html
import re
from pathlib import Path

RECORD = re.compile(r"<REUTERS\b.*?</REUTERS>", re.S)
TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)


def stories(sgm: str) -> list[tuple[str, list[str]]]:
    """(headline, paragraphs) of each record in one .sgm file that has both."""
    out = []
    for record in RECORD.findall(sgm):
        title, body = TITLE.search(record), BODY.search(record)
        if not title or not body:
            continue
        text = html.unescape(body.group(1)).replace("\x03", "")
        text = re.sub(r"\s*Reuter\s*$", "", text.strip())
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n(?=\s{2,})", text)]
        paragraphs = [p for p in paragraphs if p]
        if paragraphs:
            out.append((" ".join(html.unescape(title.group(1)).split()), paragraphs))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, help="the folder of reut2-NNN.sgm files")
    ap.add_argument("out", type=Path)
    ap.add_argument("--limit", type=int, default=2076, help="stories to write, in collection order")
    ap.add_argument("--min-words", type=int, default=80, help="skip shorter stories (tables, one-line briefs)")
    args = ap.parse_args()
    folder = args.out / "news"
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for sgm in sorted(args.corpus.glob("reut2-*.sgm")):
        for headline, paragraphs in stories(sgm.read_text(encoding="latin-1")):
            if n >= args.limit:
                break
            if sum(len(p.split()) for p in paragraphs) < args.min_words:
                continue
            (folder / f"{n:05d}.txt").write_text(headline + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
            n += 1
    print(f"wrote {n} stories to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
