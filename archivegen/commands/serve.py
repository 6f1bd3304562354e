"""``archivegen serve``: build, serve on 127.0.0.1, watch, rebuild, live-reload.

The site is built into its own folder (default ``.cache/serve-site``), with
the live-reload script in every page's head; ``site/`` and ``archivegen
build`` output never carry it. Each rebuild goes through ``build()`` (which
is incremental), and the output folder is swapped in only when the build is
complete, so a content or template error leaves the last good site served
while the error shows in the terminal and as an overlay in the browser.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..build import BuildOptions, Warm, build, quick_article, quick_search
from ..cli import add_root_option, job_count, print_problems
from ..errors import BuildFailed, ContentError, Problem, by_place
from ..output import MARKER, OutputError, check_out_dir
# ..server (http.server) and ..watch (watchdog) are imported when serve runs: every
# command's module is loaded to build the argument parser, and a build need not pay for them
if TYPE_CHECKING:
    from ..server import EventHub

SERVE_SHARD_PAGES = 250  # small search shards: an edit re-indexes a few hundred pages, not a year
MAX_CHANGED = 5000  # more changed files than this: every tab reloads, the event stays small


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("serve", help="build, serve on 127.0.0.1, rebuild and live-reload on changes", description=(
        "Build the site, serve it, watch content/, templates/ and archive.yaml, rebuild on every change and "
        "reload the browser tabs whose page changed. Errors show in the terminal and as an overlay in the "
        "browser; the last good site stays served. Ctrl-C stops."))
    add_root_option(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this computer only; 0.0.0.0 shares it on the network)")
    p.add_argument("--port", "-p", type=int, default=8000, help="port (default 8000; when taken, the next free one)")
    p.add_argument("--out", type=Path, metavar="DIR", help="where the served site is built (default: ROOT/.cache/serve-site)")
    p.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    p.add_argument("--no-search", dest="search", action="store_false", help="skip the Pagefind search index (faster rebuilds)")
    p.add_argument("--jobs", "-j", type=job_count, default=0, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--log-requests", action="store_true", help="print every HTTP request")
    return p


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    out: Path = args.out if args.out is not None else root / ".cache" / "serve-site"
    if not (root / "content").is_dir():
        print(f"archivegen serve: no content/ folder in {root.resolve()}; run it in an archive or pass --root DIR",
              file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("archivegen serve: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    try:
        # refused as build refuses it, before the server starts: a build into it can
        # never succeed, and the server would show "No site yet" for ever
        check_out_dir(out, root)
    except OutputError as exc:
        print(f"archivegen serve: {exc}", file=sys.stderr)
        return 2
    from ..server import EventHub, ServerThread, bind
    from ..watch import Watcher

    hub = EventHub()
    try:
        server, taken = bind(args.host, args.port, out, hub)
    except OSError as exc:
        print(f"archivegen serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    server.quiet = not args.log_requests
    if taken:
        print(f"port {taken[0]} is taken" + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "")
              + f"; using port {server.server_address[1]}", flush=True)
    session = Session(root, out, server.url, hub, args)
    watcher = Watcher(root)
    http = ServerThread(server)
    previous = _sigterm_as_interrupt()
    try:
        watcher.start()  # before the first build, so edits made during it are not lost
        http.start()
        print(f"building {root.resolve()} ...", flush=True)
        session.rebuild(None)
        print(f"serving at {server.url}  (Ctrl-C to stop)", flush=True)
        while True:
            batch = watcher.next_batch()
            if batch is None:
                break
            session.rebuild(batch)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        http.stop()
        try:
            signal.signal(signal.SIGTERM, previous)
        except ValueError:
            pass
    print("\nstopped", flush=True)
    return 0


def _sigterm_as_interrupt():
    """SIGTERM and SIGINT both stop the server cleanly (as Ctrl-C does).

    SIGINT is installed explicitly because a shell starts background jobs
    with it ignored, and ``kill -INT`` from a script must still stop us.
    """
    def handler(signum, frame):
        raise KeyboardInterrupt
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (tests calling run() from a thread)
        return signal.getsignal(signal.SIGTERM)


class Session:
    """One serve run: rebuilds and tells the browser tabs what happened."""

    def __init__(self, root: Path, out: Path, url: str, hub: EventHub, args: argparse.Namespace):
        self.root, self.out, self.url, self.hub = root, out, url, hub
        self.args = args
        self.failing = False
        self.seen_warnings: set[str] = set()
        self.state = None  # the last good build, for the quick path
        self.warm = Warm()  # articles and stories carried between builds

    def quick(self, batch: set[str]) -> None:
        """Edited articles first: their pages are re-rendered and reloaded at once.

        The full build that follows updates listings, entity pages and search.
        """
        if self.failing or self.state is None or not batch:
            return
        changed: list[str] = []
        for rel in sorted(batch):
            if not (rel.startswith("content/articles/") and rel.endswith(".md")):
                return
            try:
                pages = quick_article(self.state, self.root / rel)
            except Exception:  # noqa: BLE001 - the full build reports anything real
                return
            if pages is None:
                return
            changed += pages
        if changed:
            self.hub.publish(ok=True, changed=changed)
            print(f"{time.strftime('%H:%M:%S')} page updated: {', '.join(changed[:3])}", flush=True)
            try:
                shards = quick_search(self.state, changed)
            except Exception:  # noqa: BLE001 - the full build re-indexes anyway
                shards = None
            if shards:
                print(f"{time.strftime('%H:%M:%S')} search index updated: {', '.join(shards)}", flush=True)

    def rebuild(self, batch: set[str] | None) -> bool:
        stamp = time.strftime("%H:%M:%S")
        if batch:
            names = sorted(batch)
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            print(f"{stamp} changed: {shown}", flush=True)
        t0 = time.perf_counter()
        if batch:
            self.quick(batch)
        # base_url "/": links work on whatever host and port serve got, and a
        # different port next time does not change (and re-render) every page.
        from ..server import LIVE_HEAD

        opts = BuildOptions(root=self.root, out=self.out, base_url="/", drafts=self.args.drafts,
                            search=self.args.search, jobs=self.args.jobs, clean=False, progress=None if batch is None else False,
                            extra_head=LIVE_HEAD, patch=True, warm=self.warm, search_shard_pages=SERVE_SHARD_PAGES)
        self.hub.set_building(True)
        try:
            result = build(opts)
        except BuildFailed as exc:
            return self._failed(exc.problems, exc.warnings)
        except ContentError as exc:
            return self._failed([exc.problem])
        except OutputError as exc:
            return self._failed([Problem(str(self.out), None, str(exc), "check the --out folder")])
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the server must survive a bug in one build
            if os.environ.get("ARCHIVEGEN_DEBUG"):
                import traceback
                traceback.print_exc()
            return self._failed([Problem("archivegen", None, f"internal error: {type(exc).__name__}: {exc}",
                                         "set ARCHIVEGEN_DEBUG=1 for the traceback and please report it")])
        finally:
            self.hub.set_building(False)
        ms = (time.perf_counter() - t0) * 1000
        self.state = getattr(result, "state", None) or self.state
        changed = getattr(result, "changed", None)
        if getattr(result, "up_to_date", False):
            changed = []
        if changed is not None and len(changed) > MAX_CHANGED:
            changed = None
        # Warnings about base_url concern the published site, not this local one.
        new_warnings = [w for w in result.warnings if w.format() not in self.seen_warnings
                        and "base_url" not in w.message]
        self.seen_warnings.update(w.format() for w in result.warnings)
        print_problems(new_warnings)
        self.hub.publish(ok=True, changed=changed)
        what = (f"{len(changed):,} file{'' if len(changed) == 1 else 's'} changed" if changed is not None
                else result.summary())
        fixed = " (errors fixed)" if self.failing else ""
        self.failing = False
        print(f"{time.strftime('%H:%M:%S')} built in {ms:.0f} ms: {what}{fixed}", flush=True)
        return True

    def _failed(self, problems: list[Problem], warnings: list[Problem] | None = None) -> bool:
        self.failing = True
        print_problems(by_place(problems + (warnings or [])))
        n = len(problems)
        # a site is there to serve when one was built in this run or is left from the last
        served = self.state is not None or (self.out / MARKER).is_file()
        print(f"{time.strftime('%H:%M:%S')} build failed ({n} error{'s' if n != 1 else ''}); "
              + ("still serving the last good site" if served else "no site to serve until the errors are fixed"),
              file=sys.stderr, flush=True)
        from ..server import problem_dicts

        self.hub.publish(ok=False, errors=problem_dicts(problems))
        return False
