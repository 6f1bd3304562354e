"""``archivegen build``: the whole site into --out (default site/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..build import BuildOptions, build
from ..cli import add_root_option, bad_base_url, job_count, print_problems
from ..output import OutputError


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("build", help="build the site", description="Build the static site from content/.")
    add_root_option(p)
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: ROOT/site)")
    p.add_argument("--base-url", metavar="URL", help="where the site is served, e.g. https://example.org/archive/")
    p.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    p.add_argument("--no-search", dest="search", action="store_false", help="skip the Pagefind search index")
    p.add_argument("--jobs", "-j", type=job_count, default=0, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--clean", action="store_true", help="ignore the cache and rebuild everything")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--timings", action="store_true", help="print the time each stage took")
    return p


def run(args: argparse.Namespace) -> int:
    if bad_base_url("build", args.base_url):
        return 2
    root = args.root
    out = args.out if args.out is not None else root / "site"
    opts = BuildOptions(root=root, out=out, base_url=args.base_url, drafts=args.drafts, search=args.search,
                        jobs=args.jobs, clean=args.clean, progress=False if args.quiet else None)
    try:
        result = build(opts)
    except OutputError as exc:
        print(f"archivegen: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print_problems(result.warnings)
        print(result.summary())
        if args.timings:
            for stage, seconds in result.timings.items():
                print(f"  {stage:<16} {seconds:8.2f} s")
            print(f"  bodies rendered: {result.rendered_bodies:,}; pages rendered: {result.rendered_pages:,}")
    return 0
