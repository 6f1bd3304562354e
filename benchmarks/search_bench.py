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
* each query in headless Chromium (Debian chromium, Playwright with
  executable_path) against the site served on 127.0.0.1 with gzip, as a
  static host would, ``--runs`` cold page loads (a fresh browser context
  each): milliseconds from navigation start until the first result shows
  and until the first ten show, bytes the server sent until the first
  result showed and in all (every shard answered), and a second query
  typed on the warm page. Median and range; the load average is recorded,
  since the machine may be shared. The page reports its marks through the
  console, so the harness evaluates nothing in it while it works.

    python benchmarks/search_bench.py --site /tmp/b100k/site --runs 9

measures the queries only, on a site already built.

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
    """Static files, text gzipped; logs (epoch ms, bytes sent) of every response.

    Bytes are counted at the server, whichever part of the browser asked
    (Pagefind can fetch from a Web Worker, whose requests the page's own
    network events do not show).
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
            self.sent.append((time.time() * 1000, counter.n))  # the clock of the page's timeOrigin

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


# Marks recorded by the page itself and reported through the console, so that
# nothing is evaluated in the page while it works (Playwright's wait_for_function
# injects a script of its own: about 18 ms of the page's thread, mid-search).
MARKS = """
  const hits = () => document.querySelectorAll('#search-results .search-hit').length;
  const seen = () => {
    const n = hits();
    if (!window.__firstResults && n) window.__firstResults = performance.now();
    if (!window.__firstPage && n >= 10) window.__firstPage = performance.now();
    const search = document.getElementById('search');
    if (window.__firstResults && !window.__done && search && !search.hasAttribute('aria-busy')) {
      window.__done = performance.now(); console.debug('bench:done');
    }
  };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-busy']});
"""


def _stats(values: list[float]) -> dict:
    values = sorted(v for v in values if v is not None)
    if not values:
        return {}
    return {"median": round(values[len(values) // 2]), "min": round(values[0]), "max": round(values[-1])}


def measure_queries(site: Path, queries: tuple[str, ...], runs: int = 5) -> list[dict]:
    """Cold page loads of /search/?q=... (a new browser context each, so no cache), ``runs`` per query.

    first_results_ms: navigation start to the first result in the list;
    first_page_ms: to the tenth (the first screen complete);
    bytes_to_first_results: bytes the server sent until the first result showed.
    """
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
                samples = []
                load = os.getloadavg()[0]
                for _ in range(runs):
                    context = browser.new_context()
                    page = context.new_page()
                    page.add_init_script(MARKS)
                    GzipHandler.sent = log = []  # (epoch ms, bytes sent), filled by the server
                    with page.expect_console_message(lambda m: m.text == "bench:done", timeout=300000):
                        page.goto(f"{base}search/?q={q}")
                    page.wait_for_timeout(300)
                    marks = page.evaluate("[window.__firstResults, window.__firstPage, performance.timeOrigin]")
                    t_first = marks[2] + marks[0]
                    sample = {"first_results_ms": marks[0], "first_page_ms": marks[1],
                              "bytes_to_first_results": sum(b for t, b in log if t <= t_first),
                              "bytes_all_shards": sum(b for _, b in log),
                              "status": page.inner_text("#search-status")}
                    # a second query on the warm page: time until its first results replace the old ones
                    page.evaluate("window.__firstResults = 0; window.__done = 0;"
                                  " document.getElementById('search-results').replaceChildren()")
                    n_before = len(log)
                    t1 = page.evaluate("performance.now()")
                    with page.expect_console_message(lambda m: m.text == "bench:done", timeout=300000):
                        page.fill("#search-q", "minister")
                        page.press("#search-q", "Enter")
                    page.wait_for_timeout(300)
                    sample["warm_query_ms"] = page.evaluate("window.__firstResults") - t1
                    sample["warm_query_bytes"] = sum(b for _, b in log[n_before:])
                    samples.append(sample)
                    context.close()
                rows.append({
                    "query": q, "runs": runs, "load_average": [round(load, 2), round(os.getloadavg()[0], 2)],
                    "first_results_ms": _stats([s["first_results_ms"] for s in samples]),
                    "first_page_ms": _stats([s["first_page_ms"] for s in samples]),
                    "bytes_to_first_results": _stats([s["bytes_to_first_results"] for s in samples]),
                    "bytes_all_shards": _stats([s["bytes_all_shards"] for s in samples]),
                    "warm_query_ms": _stats([s["warm_query_ms"] for s in samples]),
                    "warm_query_bytes": _stats([s["warm_query_bytes"] for s in samples]),
                    "status": samples[-1]["status"],
                })
            browser.close()
    finally:
        httpd.shutdown()
    return rows


def bench(corpus: Path, work: Path, n: int, skip_browser: bool, runs: int) -> dict:
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
        row["queries"] = measure_queries(out, QUERIES, runs)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, nargs="?", help="raw news text, e.g. ../shared/corpora/bbc")
    ap.add_argument("--articles", type=int, action="append", help="archive size (repeatable); default 10000")
    ap.add_argument("--work", type=Path, default=Path("/tmp/archivegen-search-bench"))
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium query measurement")
    ap.add_argument("--site", type=Path, action="append",
                    help="only measure the queries on this built site (repeatable); no corpus needed")
    ap.add_argument("--runs", type=int, default=5, help="cold page loads per query (default 5)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.site:
        rows = [{"site": str(site), "shards": len(json.loads((site / "pagefind" / "archive.json").read_text())["shards"]),
                 "queries": measure_queries(site, QUERIES, args.runs)} for site in args.site]
    elif args.corpus:
        rows = []
        for n in args.articles or [10000]:
            rows.append(bench(args.corpus, args.work, n, args.no_browser, args.runs))
            print(json.dumps(rows[-1], indent=1), flush=True)
    else:
        ap.error("give a corpus, or --site")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print("\nsize      shards  query        load  first results ms  first 10 ms    KB to 1st  KB all  warm ms")
    for r in rows:
        for q in r.get("queries", []):
            first, page, kb = q["first_results_ms"], q["first_page_ms"], q["bytes_to_first_results"]
            print(f"{r.get('articles', Path(r.get('site', '')).parent.name):<9} {r['shards']:>6}  {q['query']:<11} "
                  f"{q['load_average'][0]:>5}  {first['median']:>4} ({first['min']}–{first['max']})    "
                  f"{page.get('median', '-'):>4} ({page.get('min', '-')}–{page.get('max', '-')})  "
                  f"{kb['median'] / 1024:>7.0f}  {q['bytes_all_shards']['median'] / 1024:>6.0f}  {q['warm_query_ms']['median']:>6}")
    for r in rows:
        if "index_s" in r:
            print(f"{r['articles']} articles: index {r['index_s']} s (reindex after one edit {r['reindex_one_change_s']} s), "
                  f"pagefind peak {r['peak_pagefind_process_mb']} MB ({r['peak_pagefind_concurrent_mb']} MB at once), "
                  f"files {r['files_pagefind']} in pagefind/, {r['files_site']} in the site")


if __name__ == "__main__":
    main()
