"""``archivegen check``: validate the archive and every internal link, write nothing.

Runs everything ``build`` validates (front matter, settings, registry ids,
templates), then builds the site into a temporary folder (without the
search index) and checks that every internal link and ``#anchor`` of every
page resolves. Also lists the mentions the linker left unlinked because
they were ambiguous, so an editor can settle them in front matter, and the
namesakes it told apart by their biographies, with the names that decided.

Exit status: 0 when everything resolves, 1 with each problem on its own
line (``article.md:line: error: broken link URL (reason)`` for a link written
in an article, the built page's path for one from a template), 2 on usage errors. Quiet
on success apart from one summary line: suitable as a CI step.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..cli import add_root_option, bad_base_url, print_problems
from ..errors import BuildFailed, Problem


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help="validate content and internal links (writes nothing)",
                       description="Validate the archive, build it into a temporary folder and check that every "
                                   "internal link and #anchor resolves. Exit status 1 on any error.")
    add_root_option(p)
    p.add_argument("--base-url", metavar="URL", help="check the site as built for this base_url")
    p.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    p.add_argument("--no-declined", dest="declined", action="store_false",
                   help="do not list ambiguous mentions the linker left unlinked, nor namesakes it told apart")
    return p


def declined_mentions(loaded: Any) -> list[str]:
    """'path:line: note: ...' for every ambiguous mention the linker declined to link, and every
    namesake it told apart by their biography, in reading order."""
    try:
        from ..render import BodyRenderer
    except ImportError:  # pragma: no cover - the linker is part of the package
        return []
    renderer = BodyRenderer(loaded.registry, loaded.config, make_link=loaded.theme.make_link)
    lines = []
    with renderer.batch():
        for a in loaded.articles:
            rb = renderer.render(a)
            notes: list[tuple[Any, str]] = [(d, f"left unlinked ({d.reason or 'ambiguous'}; could be {', '.join(d.candidates)})")
                     for d in rb.declined]
            notes += [(c, f"linked to {c.key}, not {', '.join(k for k in c.candidates if k != c.key)}: "
                          f"the article names {', '.join(c.evidence)}, as their biography does")
                      for c in rb.decided]
            if not notes:
                continue
            body = _read_body(a.body)  # once an article, however many notes it has
            for m, what in sorted(notes, key=lambda n: n[0].start):
                line = _note_line(body, a.body_line, rb.text, m)
                lines.append(f"{a.path}:{line}: note: \"{m.text}\" {what}" if line else
                             f"{a.path}: note: \"{m.text}\" {what}")
    return lines


# Markdown the linker never reads, though it may hold a name: an HTML comment, an image
# (its alt text is no text of the page) and a link's address.
_UNREAD = re.compile(r"<!--.*?-->|!\[[^\]\n]*\]\([^)\n]*\)|\]\([^)\n]*\)", re.S)


def _read_body(body: str) -> str:
    """An article's Markdown with what the linker never reads blanked out, its line
    breaks kept, so offsets and line numbers stay."""
    return _UNREAD.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), body)


def _note_line(body: str, body_line: int, plain: str, noted: Any) -> int | None:
    """The line of the article file that holds a noted mention (declined, or a
    namesake told apart): its n-th occurrence in the plain text is taken to be
    its n-th in ``body`` (``_read_body``; other markup may still change the
    count; then the first occurrence's line)."""
    n = plain.count(noted.text, 0, noted.start)
    at = -1
    for _ in range(n + 1):
        at = body.find(noted.text, at + 1)
        if at < 0:
            at = body.find(noted.text)
            break
    if at < 0:
        return None
    return body_line + body.count("\n", 0, at)


def where_written(broken: list[Any], articles: list[Any], root: Path, base_path: str = "/") -> list[str]:
    """Each broken link at the line of the article that holds it, when an article does.

    The pages were built in a temporary folder that is gone when the report
    is read, and an editor fixes the Markdown, not the page: a link written
    in an article's source (as ``(/nope/)``, ``<…>`` or an ``href``) is
    reported at that file and line. A link the page got from a template (or
    an entity link) keeps the page's site path, with a hint saying so.
    """
    by_page = {a.url_path + "index.html": a for a in articles}
    sources: dict[str, list[str]] = {}  # an article's lines, read once however many links it breaks
    out = []
    for b in broken:
        article = by_page.get(b.page)
        line = None
        if article is not None:
            if article.path not in sources:
                sources[article.path] = _lines(root / article.path)
            line = _line_of(sources[article.path], b.url, base_path)
        if article is not None and line is not None:  # (a line is only found in an article)
            out.append(Problem(article.path, line, f"broken link {b.url} ({b.reason})",
                               "correct the address, or remove the link").format())
        else:
            source = f", the page of {article.path}" if article is not None else ""
            out.append(f"{b.format()}\n    hint: the link is on the built page /{b.page}{source} and comes "
                       "from a template or the site's own pages: fix the template under templates/")
    return out


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _line_of(lines: list[str], url: str, base_path: str = "/") -> int | None:
    """The first of ``lines`` (numbered from 1) holding ``url`` as a link target, or None.

    A link in the body is used as written; the front matter's image
    (``image: {src: /x.jpg}``, ``src: /x.jpg``, ``image: x.jpg``) is put
    under ``base_path`` by the theme, so it is looked for by its path below it."""
    targets = (f"]({url}", f"<{url}>", f'"{url}"', f"'{url}'", f"]: {url}")
    written = [re.escape(url)]
    if url.startswith(base_path) and url != base_path:
        written.append("/?" + re.escape(url[len(base_path):]))
    image = re.compile(rf"""\b(?:src|image):\s*["']?(?:{"|".join(written)})(?=["',}}\s]|$)""")
    for n, text in enumerate(lines, 1):
        if any(t in text for t in targets) or image.search(text):
            return n
    return None


def run(args: argparse.Namespace) -> int:
    from ..build import BuildOptions, build, load
    from ..linkcheck import check_site
    from ..output import OutputError

    if bad_base_url("check", args.base_url):
        return 2
    root: Path = args.root
    try:
        loaded = load(root, base_url=args.base_url, drafts=args.drafts)
    except BuildFailed as exc:
        print_problems(exc.listing())
        print(f"archivegen check: {exc.counts('content error')}", file=sys.stderr)
        return 1
    print_problems(loaded.problems.warnings)
    declined = declined_mentions(loaded) if args.declined else []
    for line in declined:
        print(line, file=sys.stderr)

    config = loaded.config
    with tempfile.TemporaryDirectory(prefix="archivegen-check-") as tmp:
        out = Path(tmp) / "site"
        try:
            result = build(BuildOptions(root=root, out=out, base_url=args.base_url, drafts=args.drafts,
                                        search=False, progress=False))
        except BuildFailed as exc:
            print_problems(exc.listing())
            print(f"archivegen check: {exc.counts()} while building", file=sys.stderr)
            return 1
        except OutputError as exc:
            print(f"archivegen check: {exc}", file=sys.stderr)
            return 2
        broken = check_site(out, config.base_path, config.site_url, skip_prefixes=("pagefind/",))
        pages = sum(1 for p in out.rglob("*.html"))
    for line in where_written(broken, loaded.articles, root, config.base_path):
        print(line, file=sys.stderr)
    if broken:
        n = len(broken)
        print(f"archivegen check: {n} broken link{'s' if n != 1 else ''} in {pages:,} pages", file=sys.stderr)
        return 1
    n = len(loaded.articles)
    notes = f"; {len(declined):,} ambiguous mention{'s' if len(declined) != 1 else ''} left unlinked" if declined else ""
    print(f"archivegen check: {n:,} article{'s' if n != 1 else ''}, {result.pages:,} pages, "
          f"every internal link resolves{notes}")
    return 0
