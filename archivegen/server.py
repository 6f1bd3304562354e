"""The development server: static files from the output folder, plus reload events.

Only files under the output folder are served. A request path is decoded
once and refused (404) when it holds ``..`` or ``.`` segments, an encoded
slash or backslash (``%2f``, ``%5c``), a NUL, or when the real path of the
file (symlinks followed) lies outside the folder. Folders serve their
``index.html`` (``/a`` redirects to ``/a/`` first, as static hosts do);
anything missing gets the site's ``404.html`` with status 404.

Live reload: pages built in serve mode carry ``<script src="/__archivegen/live.js">``
(see ``LIVE_HEAD``; ``archivegen build`` output never has it). The script
listens on ``/__archivegen/events`` (server-sent events). After every build
the server publishes one state: ``{"build": n, "ok": true, "changed": [...]}``
with the site-relative files whose bytes changed, or ``{"ok": false,
"errors": [...]}``. A tab reloads when its own page or one of its
stylesheets/scripts is in ``changed``; on failure it shows an overlay with
``path:line: message`` and keeps the last good page, and removes the
overlay when the next build succeeds.
"""

from __future__ import annotations

import json
import mimetypes
import os
import posixpath
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

PREFIX = "/__archivegen/"
LIVE_HEAD = '<script src="/__archivegen/live.js" defer></script>'
KEEPALIVE = 15.0  # seconds between SSE comments, so proxies keep the stream open

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("application/json", ".json")


# ---------------------------------------------------------------------------
# Build state shared with the SSE clients

@dataclass
class BuildState:
    seq: int = 0
    ok: bool = True
    changed: list[str] | None = None  # None: unknown, every tab reloads
    errors: list[dict] = field(default_factory=list)
    building: bool = False

    def to_json(self) -> str:
        return json.dumps({"build": self.seq, "ok": self.ok, "changed": self.changed, "errors": self.errors,
                           "building": self.building}, ensure_ascii=False)


class EventHub:
    """The latest build state, and a condition SSE client threads wait on.

    Only the latest state matters to a tab (it compares against its own page),
    so a slow client that misses an intermediate build loses nothing.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.state = BuildState()
        self.closed = False

    def publish(self, *, ok: bool, changed: list[str] | None = None, errors: list[dict] | None = None) -> None:
        with self._cond:
            self.state = BuildState(self.state.seq + 1, ok, changed, errors or [])
            self._cond.notify_all()

    def set_building(self, building: bool) -> None:
        with self._cond:
            self.state.building = building

    def wait(self, after: int, timeout: float) -> BuildState | None:
        """The state once its seq passes ``after`` (None on timeout or close)."""
        with self._cond:
            self._cond.wait_for(lambda: self.closed or self.state.seq > after, timeout)
            if self.closed or self.state.seq <= after:
                return None
            return self.state

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


# ---------------------------------------------------------------------------
# Path safety

def resolve_request(out: Path, raw_path: str) -> tuple[Path | None, bool]:
    """The file or folder a request path names inside ``out``, or None.

    Returns (path, is_folder_request); the path is real (symlinks resolved)
    and inside the real output folder, or None for anything else.
    """
    path = urlsplit(raw_path).path
    if not path.startswith("/"):
        return None, False
    low = path.lower()
    if "%2f" in low or "%5c" in low or "%00" in low:
        return None, False
    decoded = unquote(path, errors="strict") if "%" in path else path
    if "\x00" in decoded or "\\" in decoded:
        return None, False
    parts = decoded.split("/")
    if any(p in ("..", ".") for p in parts):
        return None, False
    segments = [p for p in parts if p]
    if any(p.startswith(".") and p != ".well-known" for p in segments):
        return None, False  # the build marker and other dotfiles
    base = os.path.realpath(out)
    candidate = os.path.realpath(os.path.join(base, *segments)) if segments else base
    if candidate != base and not candidate.startswith(base + os.sep):
        return None, False
    return Path(candidate), decoded.endswith("/")


def etag_of(st: os.stat_result) -> str:
    # Unchanged files keep their inode across builds (they are hard-linked into
    # the new site), so this tag changes exactly when the bytes do.
    return f'"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"'


# ---------------------------------------------------------------------------
# HTTP

class DevServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a second server on the same port must fail, not share it

    def __init__(self, address: tuple[str, int], out: Path, hub: EventHub, *, quiet: bool = True):
        self.out = out
        self.hub = hub
        self.quiet = quiet
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        assert isinstance(host, str)  # an AF_INET/AF_INET6 socket names its host as str, never bytes
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def bind(host: str, port: int, out: Path, hub: EventHub, *, tries: int = 20) -> tuple[DevServer, list[int]]:
    """A server on ``port``, or the next free one; returns it and the ports found taken."""
    taken: list[int] = []
    last_error: OSError | None = None
    for p in range(port, port + max(1, tries)):
        try:
            return DevServer((host, p), out, hub), taken
        except OSError as exc:
            if exc.errno not in (98, 48, 10048, 13):  # EADDRINUSE (Linux, macOS, Windows), EACCES
                raise
            taken.append(p)
            last_error = exc
            if port == 0:
                break
    raise OSError(f"ports {port}-{port + tries - 1} on {host} are all taken") from last_error


class Handler(BaseHTTPRequestHandler):
    server: DevServer
    protocol_version = "HTTP/1.1"
    server_version = "archivegen"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    # -- routing ---------------------------------------------------------------
    def _serve(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path.startswith(PREFIX):
            name = path[len(PREFIX):]
            if name == "events" and not head:
                return self._events()
            if name == "live.js":
                return self._send_bytes(HTTPStatus.OK, LIVE_JS.encode(), "text/javascript; charset=utf-8", head)
            if name == "state":
                return self._send_bytes(HTTPStatus.OK, self.server.hub.state.to_json().encode(),
                                        "application/json", head)
            return self._not_found(head)
        out = self.server.out
        if not out.is_dir():
            # No good build yet (the first one failed): an error page that
            # carries the live script, so the overlay shows and fixing reloads.
            for _ in range(20):  # or a swap in progress on a system without atomic exchange
                time.sleep(0.025)
                if out.is_dir():
                    break
            else:
                return self._no_site(head)
        target, folder = resolve_request(out, self.path)
        if target is None:
            return self._not_found(head)
        if target.is_dir():
            if not folder and target != Path(os.path.realpath(out)):
                split = urlsplit(self.path)
                location = split.path + "/" + (f"?{split.query}" if split.query else "")
                return self._redirect(location)
            target = target / "index.html"
        self._send_file(target, head)

    # -- responses ---------------------------------------------------------------
    def _send_file(self, target: Path, head: bool, status: HTTPStatus = HTTPStatus.OK) -> None:
        try:
            f = open(target, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return self._not_found(head) if status == HTTPStatus.OK else self._send_bytes(
                status, b"<!doctype html><title>Not found</title><h1>Not found</h1>", "text/html; charset=utf-8", head)
        except OSError:
            return self._not_found(head)
        with f:
            st = os.fstat(f.fileno())
            tag = etag_of(st)
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype in ("application/javascript", "application/json", "image/svg+xml"):
                ctype += "; charset=utf-8"
            if status == HTTPStatus.OK and self.headers.get("If-None-Match") == tag:
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", tag)
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(st.st_size))
            self.send_header("ETag", tag)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if not head:
                try:
                    while chunk := f.read(256 * 1024):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

    def _send_bytes(self, status: HTTPStatus, body: bytes, ctype: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_found(self, head: bool) -> None:
        page = Path(os.path.realpath(self.server.out)) / "404.html"
        self._send_file(page, head, HTTPStatus.NOT_FOUND)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _no_site(self, head: bool) -> None:
        state = self.server.hub.state
        items = "".join(f"<li><code>{_html(e.get('text', ''))}</code></li>" for e in state.errors)
        body = (f"<!doctype html><html lang=en data-archivegen-no-site><head><meta charset=utf-8><title>archivegen serve</title>{LIVE_HEAD}</head>"
                f"<body><h1>No site yet</h1><p>{'Building…' if state.ok else 'The build failed:'}</p>"
                f"<ul>{items}</ul><p>Fix the files; this page reloads by itself.</p></body></html>")
        self._send_bytes(HTTPStatus.SERVICE_UNAVAILABLE, body.encode(), "text/html; charset=utf-8", head)

    def _events(self) -> None:
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        self.close_connection = True
        try:
            # The current state first: a tab opened while the build is broken
            # shows the overlay at once.
            state = hub.state
            self.wfile.write(f"retry: 500\nevent: hello\ndata: {state.to_json()}\n\n".encode())
            self.wfile.flush()
            seen = state.seq
            while not hub.closed:
                update = hub.wait(seen, KEEPALIVE)
                if update is None:
                    if hub.closed:
                        break
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = update.seq
                    self.wfile.write(f"event: build\ndata: {update.to_json()}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            pass


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ServerThread:
    """``serve_forever`` in a daemon thread, with a clean stop."""

    def __init__(self, server: DevServer):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="archivegen-http", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.hub.close()  # SSE loops end
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=2)


def problem_dicts(problems) -> list[dict]:
    """Problems as the overlay shows them: ``path:line: message`` plus the hint."""
    items = []
    for p in problems:
        where = f"{p.path}:{p.line}" if getattr(p, "line", None) else str(p.path)
        items.append({"path": str(p.path), "line": getattr(p, "line", None), "message": p.message,
                      "hint": getattr(p, "hint", ""), "text": f"{where}: {p.message}"})
    return items


def url_file(pathname: str) -> str:
    """The site-relative file a URL path serves: '/a/b/' -> 'a/b/index.html'."""
    rel = posixpath.normpath(unquote(pathname)).lstrip("/")
    if pathname.endswith("/") or not rel or rel == ".":
        rel = (rel + "/index.html").lstrip("/") if rel not in ("", ".") else "index.html"
    return rel


LIVE_JS = r"""// archivegen serve: live reload and build error overlay (never in `archivegen build` output).
(() => {
  if (window.__archivegenLive) return;
  window.__archivegenLive = true;
  const here = () => {
    let p = decodeURIComponent(location.pathname);
    if (p.endsWith("/")) p += "index.html";
    return p.replace(/^\/+/, "");
  };
  const assets = () => {
    const out = [];
    for (const el of document.querySelectorAll('link[rel~="stylesheet"][href], script[src]')) {
      const u = new URL(el.getAttribute("href") || el.getAttribute("src"), location.href);
      if (u.origin === location.origin) out.push(decodeURIComponent(u.pathname).replace(/^\/+/, ""));
    }
    return out;
  };
  const OVERLAY = "archivegen-error-overlay";
  const clearErrors = () => { const box = document.getElementById(OVERLAY); if (box) box.remove(); };
  const showErrors = (errors) => {
    let box = document.getElementById(OVERLAY);
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY;
      box.setAttribute("role", "alert");
      // A panel over the top of the last good page, which stays readable below it.
      box.style.cssText = "position:fixed;top:0;left:0;right:0;max-height:60vh;z-index:2147483647;overflow:auto;" +
        "background:#1d1f21;color:#f5f5f5;border-bottom:4px solid #e0464e;box-shadow:0 4px 16px rgba(0,0,0,.4);" +
        "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:1em 1.5em;text-align:left;";
      (document.body || document.documentElement).appendChild(box);
    }
    box.textContent = "";
    const h = document.createElement("h2");
    h.textContent = "archivegen: the build failed; this is the last good page";
    h.style.cssText = "color:#ff8a8a;font-family:inherit;font-size:15px;font-weight:bold;margin:0 0 .75em";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Hide until the next build");
    close.style.cssText = "float:right;background:none;border:0;color:#f5f5f5;font-size:20px;cursor:pointer";
    close.onclick = clearErrors;
    box.append(close, h);
    for (const e of errors) {
      const pre = document.createElement("pre");
      pre.className = "archivegen-error";
      pre.style.cssText = "white-space:pre-wrap;margin:0 0 1em";
      pre.textContent = e.text + (e.hint ? "\n    hint: " + e.hint : "");
      box.appendChild(pre);
    }
  };
  let lastBuild = null;
  const onBuild = (s) => {
    lastBuild = s.build;
    if (!s.ok) { showErrors(s.errors || []); return; }
    clearErrors();
    const noSite = document.documentElement.hasAttribute("data-archivegen-no-site");
    const mine = [here(), ...assets()];
    if (noSite || s.changed === null || mine.some((f) => s.changed.includes(f))) location.reload();
  };
  const connect = () => {
    const es = new EventSource("/__archivegen/events");
    es.addEventListener("hello", (ev) => {
      const s = JSON.parse(ev.data);
      if (lastBuild !== null && s.build !== lastBuild) {
        // Reconnected to a server that built meanwhile (or was restarted): catch up.
        onBuild({...s, changed: s.ok ? null : s.changed});
        return;
      }
      lastBuild = s.build;
      if (!s.ok) showErrors(s.errors || []);
    });
    es.addEventListener("build", (ev) => onBuild(JSON.parse(ev.data)));
  };
  connect();
})();
"""
