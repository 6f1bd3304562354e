"""``archivegen import PATH ...``: raw text articles to Markdown articles.

Prints one line per file that was skipped (with the reason) or read in
another encoding than UTF-8, then a summary. Exit status 0 when every file
was imported, 1 when some were skipped, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import add_root_option
from ..config import load_config
from ..content import parse_date
from ..errors import Problems


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "import",
        help="convert raw text articles (headline, blank line, paragraphs) to Markdown",
        description=(
            "Convert raw text articles into archive articles. Each file: headline line, blank line, "
            "paragraphs separated by blank lines. Folders are searched for *.txt files. A photo caption "
            "at the top (repeated or ending in '-- PHOTO: AP') becomes the image caption and credit; "
            "promotional footers ('Join our Telegram channel', 'Follow us on Twitter', copyright lines) "
            "are dropped. Files that are not UTF-8 are detected and converted. Existing files are never "
            "overwritten. Imported articles get 'sanitize: true'."
        ),
    )
    add_root_option(p)
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders to import")
    p.add_argument("--date", metavar="DATE",
                   help="publication date of the articles, YYYY-MM-DD or ISO 8601 datetime "
                        "(with --dates: for files the CSV does not list)")
    p.add_argument("--dates", type=Path, metavar="CSV",
                   help="CSV of 'file,date' rows; file is the path as given, relative to the folder "
                        "argument, or the bare file name")
    p.add_argument("--source", default="", help="agency, e.g. AFP (default: from a dateline like 'WASHINGTON (AFP) -')")
    p.add_argument("--publication", default="", help="e.g. 'The Straits Times'")
    p.add_argument("--section", default=None,
                   help="section of every article (default: for files found in a folder, the name of "
                        "the folder holding the file, capitalised: bbc/sport/001.txt -> Sport)")
    p.add_argument("--out", type=Path, metavar="DIR", help="where to write (default: ROOT/content/articles)")
    p.add_argument("--dry-run", action="store_true", help="report what would be imported; write nothing")
    p.add_argument("--verbose", "-v", action="store_true", help="also list every imported file")
    return p


def run(args: argparse.Namespace) -> int:
    from ..importer import ImportOptions, import_paths, load_dates_csv  # here: a build need not load it

    if not args.date and not args.dates:
        print("archivegen import: give the articles' date with --date YYYY-MM-DD or --dates FILE.csv",
              file=sys.stderr)
        return 2
    problems = Problems()
    config = load_config(args.root, problems, {})
    timezone = config.timezone
    if args.date:
        bad: list[str] = []
        from zoneinfo import ZoneInfo
        if parse_date(args.date, ZoneInfo(timezone), lambda m, h: bad.append(f"{m}; {h}")) is None:
            print(f"archivegen import: --date: {bad[0]}", file=sys.stderr)
            return 2
    dates: dict[str, str] = {}
    if args.dates:
        try:
            dates = load_dates_csv(args.dates)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            print(f"archivegen import: --dates: {exc}", file=sys.stderr)
            return 2
    out = args.out if args.out is not None else args.root / "content" / "articles"
    opts = ImportOptions(out=out, date=args.date, dates=dates, source=args.source, publication=args.publication,
                         section=args.section, timezone=timezone, dry_run=args.dry_run)

    def show(r) -> None:
        if r.skipped:
            print(f"skipped {r.source}: {r.skipped}", file=sys.stderr)
            return
        for note in r.notes:
            if note.startswith("not UTF-8"):
                print(f"{r.source}: {note}")
        if args.verbose:
            extra = [n for n in r.notes if not n.startswith("not UTF-8")]
            print(f"{r.source} -> {r.written}" + (f" ({'; '.join(extra)})" if extra else ""))

    report = import_paths(args.paths, opts, on_result=show)
    print(report.summary(args.dry_run))
    return 1 if report.skipped else 0
