"""Edit-to-browser latency of ``archivegen serve`` on a large archive.

Measures, over several edits of different articles:

* **page**: from the moment the edited Markdown file is saved (closed) to the
  moment the server returns the rebuilt article page with the edit in it
  (target: median ≤ 300 ms);
* **search**: from the same moment to the moment the Pagefind index the
  server publishes finds the new word (target ≤ 2 s), asked through
  Pagefind's own JavaScript API in headless Chromium.

The archive is either given (``--archive DIR``, edited in place and every
edit undone at the end) or made from a raw text corpus (``--corpus DIR``,
e.g. ../shared/corpora/bbc) by importing its files repeatedly with different
dates until it holds ``--articles`` articles; corpus text is written only to
the work folder (default: a temporary folder), never to the repository.

    python benchmarks/serve_bench.py --corpus ../shared/corpora/bbc --articles 10000
    python benchmarks/serve_bench.py --archive /path/to/archive --edits 10 --no-search-check
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archivegen.importer import ImportSkip, parse_raw, to_markdown  # noqa: E402
from archivegen.slugs import slugify  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def make_archive(corpus: Path, root: Path, count: int) -> int:
    """Import the corpus again and again (new dates each pass) until ``count`` articles exist."""
    files = sorted(p for p in corpus.rglob("*.txt") if not p.name.lower().startswith("readme"))
    parsed = []
    for p in files:
        try:
            parsed.append((p.parent.name, parse_raw(p.read_bytes())))
        except ImportSkip:
            pass
    arts = root / "content" / "articles"
    (root / "content" / "people").mkdir(parents=True, exist_ok=True)
    (root / "archive.yaml").write_text("title: Benchmark archive\n")
    written, seen, rounds = 0, set(), 0
    while written < count:
        for j, (section, art) in enumerate(parsed):
            if written >= count:
                break
            year = 1990 + rounds
            month = 1 + j % 12
            day = 1 + (j // 12) % 28
            slug = slugify(art.title)
            key = (year, month, slug)
            if key in seen or not slug:
                continue
            seen.add(key)
            dest = arts / f"{year}" / f"{month:02d}" / f"{slug}.md"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(to_markdown(art, date=f"{year}-{month:02d}-{day:02d}", section=section.title()),
                            encoding="utf-8")
            written += 1
        rounds += 1
    return written


class Server:
    def __init__(self, root: Path, search: bool, jobs: int):
        args = [sys.executable, "-m", "archivegen", "serve", "--root", str(root), "--port", "0"]
        if not search:
            args.append("--no-search")
        if jobs:
            args += ["--jobs", str(jobs)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"), cwd=REPO)
        self.lines: list[tuple[float, str]] = []
        self.url = None
        t0 = time.perf_counter()
        for line in self.proc.stdout:
            self.lines.append((time.perf_counter(), line))
            sys.stdout.write("  serve| " + line)
            if "serving at" in line:
                self.url = re.search(r"serving at (http://\S+)", line).group(1)
                break
        if not self.url:
            raise SystemExit("serve did not start")
        self.startup = time.perf_counter() - t0
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.perf_counter(), line))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read()
    except OSError:
        return b""


def page_url(base: str, root: Path, md: Path) -> str:
    from zoneinfo import ZoneInfo

    from archivegen.content import parse_article
    from archivegen.errors import Problems

    art = parse_article(md.read_bytes(), md.relative_to(root).as_posix(), ZoneInfo("UTC"), Problems())
    return base + art.url_path


def search_probe(browser_page, base: str, word: str, deadline: float) -> float | None:
    """Seconds until Pagefind (in Chromium) finds ``word``; None at the deadline."""
    js = """async ([base, word]) => {
        // As templates/static/search.js does: the primary shard's engine, the other shards merged in.
        const bundle = base + "pagefind/";
        const manifest = await fetch(bundle + "archive.json", {cache: "no-store"}).then(r => r.json());
        const primary = manifest.shards.find((s) => s.name === manifest.primary);
        const pf = await import(bundle + primary.path + "pagefind.js");
        await pf.options({ baseUrl: base });
        for (const s of manifest.shards) {
          if (s.name !== primary.name) await pf.mergeIndex(bundle + s.path, { baseUrl: base });
        }
        const r = await pf.search(word);
        return r.results.length;
    }"""
    while time.perf_counter() < deadline:
        browser_page.goto(base + "robots.txt")  # a fresh document: no module cache
        try:
            if browser_page.evaluate(js, [base, word]) > 0:
                return time.perf_counter()
        except Exception:  # noqa: BLE001 - an index mid-swap; try again
            pass
        time.sleep(0.05)
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--corpus", type=Path, help="raw text corpus to make the archive from")
    src.add_argument("--archive", type=Path, help="an existing archive root (edits are undone afterwards)")
    ap.add_argument("--articles", type=int, default=10_000, help="archive size when made from --corpus")
    ap.add_argument("--work", type=Path, help="where to make the archive (default: a temporary folder)")
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--no-search", action="store_true", help="serve without the search index")
    ap.add_argument("--no-search-check", action="store_true", help="do not measure the search index latency")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()

    tmp = None
    if args.archive:
        root = args.archive
    else:
        if args.work:
            root = args.work
            if root.exists():
                shutil.rmtree(root)
        else:
            tmp = tempfile.mkdtemp(prefix="archivegen-serve-bench-")
            root = Path(tmp)
        t = time.perf_counter()
        n = make_archive(args.corpus, root, args.articles)
        print(f"made an archive of {n:,} articles in {time.perf_counter() - t:.1f} s at {root}")

    articles = sorted((root / "content" / "articles").rglob("*.md"))
    rng = random.Random(7)
    chosen = rng.sample(articles, min(args.edits, len(articles)))
    originals = {p: p.read_bytes() for p in chosen}
    search = not args.no_search
    check_search = search and not args.no_search_check and Path(CHROMIUM).exists()

    server = Server(root, search, args.jobs)
    print(f"first build + start: {server.startup:.1f} s; {len(articles):,} articles; serving {server.url}")
    pw = browser = bpage = None
    if check_search:
        from playwright.sync_api import sync_playwright
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        bpage = browser.new_page()

    page_times: list[float] = []
    search_times: list[float] = []
    build_ms: list[float] = []
    try:
        time.sleep(1.0)
        for i, md in enumerate(chosen):
            url = page_url(server.url, root, md)
            assert fetch(url), f"not served: {url}"
            word = f"zqxbench{i}{rng.randrange(10**6)}"
            text = originals[md].decode("utf-8")
            edited = re.sub(r"(\n---\n\n?)(\S)", rf"\1{word} \2", text, count=1)
            mark = len(server.lines)
            with open(md, "w", encoding="utf-8") as f:
                f.write(edited)
            t0 = time.perf_counter()
            while word.encode() not in fetch(url):
                if time.perf_counter() - t0 > 60:
                    raise SystemExit(f"edit {i} never showed up at {url}")
                time.sleep(0.005)
            t_page = time.perf_counter() - t0
            page_times.append(t_page)
            t_search = None
            if check_search:
                # "current" = the full rebuild that re-indexed the edit has been published
                # (serve's 'built in' line), confirmed by Pagefind in Chromium finding the word.
                done = None
                while done is None and time.perf_counter() - t0 < 60:
                    done = next((ts for ts, line in server.lines[mark:]
                                 if "search index updated" in line or "built in" in line), None)
                    time.sleep(0.005)
                hit = search_probe(bpage, server.url, word, t0 + 60)
                if hit is not None and done is not None:
                    t_search = done - t0
                    search_times.append(t_search)
            else:
                time.sleep(0.5)
            for _, line in server.lines[mark:]:
                m = re.search(r"built in (\d+) ms", line)
                if m:
                    build_ms.append(float(m.group(1)))
            print(f"edit {i + 1:2d}: page served after {t_page * 1000:6.0f} ms"
                  + (f", search current after {t_search * 1000:6.0f} ms" if t_search is not None else "")
                  + f"  ({md.relative_to(root)})", flush=True)
            time.sleep(0.3)
    finally:
        for p, data in originals.items():
            p.write_bytes(data)
        time.sleep(0.5)
        if browser:
            browser.close()
            pw.stop()
        server.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    result = {
        "articles": len(articles),
        "edits": len(page_times),
        "page_median_ms": round(statistics.median(page_times) * 1000),
        "page_max_ms": round(max(page_times) * 1000),
        "search_median_ms": round(statistics.median(search_times) * 1000) if search_times else None,
        "search_max_ms": round(max(search_times) * 1000) if search_times else None,
        "server_build_median_ms": round(statistics.median(build_ms)) if build_ms else None,
        "first_build_s": round(server.startup, 1),
        "search": search,
    }
    print(json.dumps(result, indent=2))
    print(f"page: median {result['page_median_ms']} ms (target ≤ 300 ms); "
          + (f"search index: median {result['search_median_ms']} ms (target ≤ 2000 ms)" if search_times else
             "search index: not measured"))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
