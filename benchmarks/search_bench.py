#!/usr/bin/env python3
"""Benchmark the search index: index time, peak memory, files, bytes per query.

    python benchmarks/search_bench.py CORPUS_DIR --articles 10000 [--articles 100000] [--work /tmp/archivegen-search-bench]

For each size it makes a synthetic archive in the work folder with
benchmarks/make_archive.py (body text from CORPUS_DIR, e.g.
../shared/corpora/bbc: research data, never copied into the repository),
builds its pages once without search, then builds again with search so the
page stage comes from the cache and the measured stage is the index:

* index time: the build's "search index" stage (all shards, in parallel);
* peak memory: the largest pagefind process, and the largest sum of the
  pagefind processes running at once (sampled every 20 ms), plus the
  build's own Python process;
* re-index time after one article changed (only its shard is rebuilt);
* files: under pagefind/ and in the whole site (static hosts cap deploys);
* one query in headless Chromium (Debian chromium, Playwright with
  executable_path) against the site served on 127.0.0.1 with gzip, as a
  static host would: bytes transferred (encoded, from the network events)
  and milliseconds until the first results show, for a cold page load, and
  until every shard has answered.

Prints a table and writes JSON with --json FILE.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archivegen.build import BuildOptions, build  # noqa: E402

QUERIES = ("government", "Blair")


class PagefindSampler(threading.Thread):
    """Peak RSS of pagefind child processes, alone and summed, sampled from /proc."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_single = 0
        self.peak_sum = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self.stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    if child.name().startswith("pagefind"):
                        rss = child.memory_info().rss
                        total += rss
                        self.peak_single = max(self.peak_single, rss)
                except psutil.Error:
                    continue
            self.peak_sum = max(self.peak_sum, total)
            time.sleep(self.interval)


def make_archive(corpus: Path, root: Path, n: int) -> None:
    if (root / "content" / "articles").is_dir():
        return
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_archive.py"), str(corpus), str(root),
                    "--articles", str(n)], check=True)


def timed_build(root: Path, out: Path, search: bool) -> tuple[object, PagefindSampler]:
    sampler = PagefindSampler()
    sampler.start()
    try:
        result = build(BuildOptions(root=root, out=out, search=search, progress=False))
    finally:
        sampler.stop.set()
        sampler.join()
    return result, sampler


def count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


# -- serving with gzip, as a static host would -------------------------------------------

class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, text gzipped; logs (time, bytes sent) of every response.

    Bytes are counted at the server because Pagefind fetches its index from
    a Web Worker, whose requests the page's own network events do not show.
    """

    TEXT = (".html", ".js", ".css", ".json", ".svg", ".xml", ".txt")
    sent: list[tuple[float, int]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        counter = _Counter(self.wfile)
        self.wfile = counter
        try:
            super().do_GET()
        finally:
            self.wfile = counter.raw
            self.sent.append((time.monotonic() * 1000, counter.n))

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix in self.TEXT and path.is_file() and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(path.read_bytes(), 6)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            import io
            return io.BytesIO(body)
        return super().send_head()


class _Counter:
    def __init__(self, raw):
        self.raw, self.n = raw, 0

    def write(self, data):
        self.n += len(data)
        return self.raw.write(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


def measure_queries(site: Path, queries: tuple[str, ...]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            for q in queries:
                context = browser.new_context()
                page = context.new_page()
                GzipHandler.sent = log = []  # (monotonic ms, bytes sent), filled by the server
                page.add_init_script("""
                  new MutationObserver(() => {
                    if (!window.__firstResults && document.querySelector('#search-results .search-hit'))
                      window.__firstResults = performance.now();
                  }).observe(document, {subtree: true, childList: true});
                """)
                t0 = time.monotonic() * 1000
                page.goto(f"{base}search/?q={q}")
                page.wait_for_function("() => window.__firstResults", timeout=120000)
                first_ms = page.evaluate("window.__firstResults")
                t_first = t0 + first_ms
                page.wait_for_function(
                    "() => !document.getElementById('search').hasAttribute('aria-busy')"
                    " && !document.getElementById('search-status').textContent.includes('searching the rest')",
                    timeout=300000)
                page.wait_for_timeout(300)
                bytes_first = sum(b for t, b in log if t <= t_first)
                bytes_all = sum(b for _, b in log)
                status = page.inner_text("#search-status")
                # a second query on the warm page: time until its first results replace the old ones
                page.evaluate("window.__firstResults = 0; document.getElementById('search-results').replaceChildren()")
                n_before = len(log)
                t1 = page.evaluate("performance.now()")
                page.fill("#search-q", "minister")
                page.press("#search-q", "Enter")
                page.wait_for_function("() => window.__firstResults", timeout=120000)
                warm_ms = page.evaluate("window.__firstResults") - t1
                page.wait_for_function("() => !document.getElementById('search').hasAttribute('aria-busy')", timeout=300000)
                page.wait_for_timeout(300)
                warm_bytes = sum(b for _, b in log[n_before:])
                rows.append({"query": q, "first_results_ms": round(first_ms), "bytes_to_first_results": bytes_first,
                             "bytes_all_shards": bytes_all, "status": status,
                             "warm_query_ms": round(warm_ms), "warm_query_bytes": warm_bytes})
                context.close()
            browser.close()
    finally:
        httpd.shutdown()
    return rows


def bench(corpus: Path, work: Path, n: int, skip_browser: bool) -> dict:
    root = work / f"archive-{n}"
    make_archive(corpus, root, n)
    out = root / "site"
    t = time.perf_counter()
    pages, _ = timed_build(root, out, search=False)
    pages_s = time.perf_counter() - t
    import shutil
    shutil.rmtree(root / ".cache" / "search", ignore_errors=True)  # index every shard
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    first, sampler = timed_build(root, out, search=True)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    index_s = first.timings.get("search index", 0.0)
    manifest = json.loads((out / "pagefind" / "archive.json").read_text())
    # one changed article: only its shard is re-indexed
    newest = manifest["shards"][1]["name"] if len(manifest["shards"]) > 1 else None
    changed = sorted((root / "content" / "articles").rglob("*.md"))[-1]
    changed.write_text(changed.read_text() + "\nA benchmark edit with the word quokka.\n")
    again, sampler2 = timed_build(root, out, search=True)
    row = {
        "articles": n,
        "pages": first.pages,
        "page_build_s": round(pages_s, 1),
        "index_s": round(index_s, 1),
        "index_pagefind_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1),
        "reindex_one_change_s": round(again.timings.get("search index", 0.0), 1),
        "shards": len(manifest["shards"]),
        "largest_shard_pages": max(s["pages"] for s in manifest["shards"]),
        "peak_pagefind_process_mb": round(sampler.peak_single / 2**20),
        "peak_pagefind_concurrent_mb": round(sampler.peak_sum / 2**20),
        "python_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "files_pagefind": count_files(out / "pagefind"),
        "files_site": count_files(out),
        "bytes_pagefind": sum(f.stat().st_size for f in (out / "pagefind").rglob("*") if f.is_file()),
        "newest_shard": newest,
    }
    if not skip_browser:
        row["queries"] = measure_queries(out, QUERIES)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="raw news text, e.g. ../shared/corpora/bbc")
    ap.add_argument("--articles", type=int, action="append", help="archive size (repeatable); default 10000")
    ap.add_argument("--work", type=Path, default=Path("/tmp/archivegen-search-bench"))
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium query measurement")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    rows = []
    for n in args.articles or [10000]:
        row = bench(args.corpus, args.work, n, args.no_browser)
        rows.append(row)
        print(json.dumps(row, indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print("\narticles  index s  reindex s  shards  pf peak MB (1 / all)  files pagefind/site  KB to 1st results  ms  KB all shards")
    for r in rows:
        for q in r.get("queries", [{}]):
            print(f"{r['articles']:>8}  {r['index_s']:>7}  {r['reindex_one_change_s']:>9}  {r['shards']:>6}  "
                  f"{r['peak_pagefind_process_mb']:>6} / {r['peak_pagefind_concurrent_mb']:<6}       "
                  f"{r['files_pagefind']:>7} / {r['files_site']:<8}  "
                  f"{q.get('bytes_to_first_results', 0) / 1024:>9.0f} ({q.get('query', '-')})  {q.get('first_results_ms', '-'):>5}  "
                  f"{q.get('bytes_all_shards', 0) / 1024:>8.0f}")


if __name__ == "__main__":
    main()
