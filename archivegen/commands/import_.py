"""``archivegen import PATH ...``: raw text articles to Markdown articles.

Prints one line per file that was skipped (with the reason) or read in
another encoding than UTF-8, then a summary. Exit status 0 when every file
was imported, 1 when some were skipped (or --root holds no archive), 2 for
usage errors (a bad --date, --dates CSV or --out, reported before any file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import add_root_option, print_problems
from ..config import load_config
from ..content import no_content_folder, parse_date
from ..errors import ContentError, Problem, Problems
from ..inputs import not_a_folder


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
        except ContentError as exc:
            print_problems([exc.problem])
            return 2
    out = args.out if args.out is not None else args.root / "content" / "articles"
    status = _check_out(out, args.root, given=args.out is not None)
    if status:
        return status
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


def _check_out(out: Path, root: Path, *, given: bool) -> int:
    """Refuse a destination the articles cannot or must not go to; the exit status, or 0.

    Asked once, before any file: a file given as --out (README.md,
    /dev/null) otherwise failed every article with "cannot read", and the
    default destination would create an archive at a --root that holds none.
    --out in a site folder would put Markdown into the published site until
    the next build replaced it: refused. --out elsewhere in the archive
    works, but no build reads articles there: a warning says so.
    """
    if not given:
        missing = no_content_folder(root)
        if missing is not None:
            print_problems([missing])
            return 1
    blocked = not_a_folder(out)
    if blocked is not None:
        part, why = blocked
        print_problems([Problem(str(part), None, f"{why}, so --out cannot hold articles" if given else why,
                                "choose a folder for --out (it is created when missing)" if given else
                                "move or rename the file that stands where content/articles/ must be")])
        return 2 if given else 1
    if not given:
        return 0
    from ..output import MARKER

    real, real_root = out.resolve(), root.resolve()
    site = next((p for p in (real, *real.parents) if (p / MARKER).is_file()), None)
    default_site = (root / "site").resolve()
    if site is None and real.is_relative_to(default_site):
        site = default_site  # the build's default output folder, built or not
    if site is not None:
        print_problems([Problem(str(out), None, f"--out is inside the site folder {site}: the next build replaces "
                                "that folder, and until then the Markdown would be published with the site",
                                "leave out --out to write into content/articles/, or choose a folder outside the site")])
        return 2
    articles = real_root / "content" / "articles"
    if real.is_relative_to(real_root) and not real.is_relative_to(articles):
        print_problems([Problem(str(out), None, "--out is in the archive but outside content/articles/: "
                                "a build does not read articles there",
                                "move them into content/articles/ to publish them, or leave out --out",
                                severity="warning")])
    return 0
