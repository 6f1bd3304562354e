"""``archivegen serve``: live reload in a real browser, the error overlay, safe paths.

The server runs in a subprocess on a port the OS picks; Chromium (the Debian
package, never ``playwright install``) drives the pages headless.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import article

CHROMIUM = "/usr/bin/chromium"
SLUG_A = "2013/08/09/kerry-meets-lavrov/"
SLUG_B = "2012/05/07/a-quiet-day-in-the-garden/"


def fixture_files() -> dict[str, str]:
    return {
        "articles/2013/08/kerry-meets-lavrov.md": article(
            "Kerry meets Lavrov", "2013-08-09", "The ministers talked about hockey for an hour.\n\nA second paragraph."),
        "articles/2012/05/garden.md": article(
            "A quiet day in the garden", "2012-05-07", "Nothing happened in the garden today."),
        "archive.yaml": "title: Test Archive\n",
    }


class Serve:
    """``archivegen serve`` in a subprocess; stdout lines collected as they come."""

    def __init__(self, root: Path, *args: str):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "archivegen", "serve", "--root", str(root), "--port", "0", "--no-search", "--jobs", "1",
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._pump, args=(stream,), daemon=True).start()
        line = self.wait_for(r"serving at (http://\S+)", 30)
        self.url = re.search(r"serving at (http://\S+)", line).group(1)
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def _pump(self, stream) -> None:
        for line in stream:
            self.log.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r}; output so far:\n{''.join(self.log)}")

    def builds(self) -> int:
        return sum(1 for line in self.log if re.search(r"built in \d+ ms|build failed", line))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def archive(make_archive):
    return make_archive(fixture_files())


@pytest.fixture
def server(archive):
    s = Serve(archive)
    yield s
    s.stop()


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """A request with the path exactly as written (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def save_in_place(path: Path, text: str) -> None:
    path.write_text(text)


def save_by_rename(path: Path, text: str) -> None:
    """What vim (backupcopy=no), JetBrains IDEs and 'atomic save' editors do."""
    tmp = path.with_name(path.name + ".tmp~")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Without a browser

def test_paths_outside_the_site_get_404(server, archive, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    site = archive / ".cache" / "serve-site"
    status, body = raw_get(server.port, "/" + SLUG_A)
    assert status == 200 and b"hockey" in body
    (site / "leak").symlink_to(secret)
    (site / "leakdir").symlink_to(tmp_path, target_is_directory=True)
    for path in ("/../secret.txt", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/secret.txt",
                 "/..%2f..%2fetc%2fpasswd", "/%2e%2e%2fsecret.txt", "/2013/%2e%2e/%2e%2e/secret.txt",
                 "/..\\secret.txt", "/%5c..%5csecret.txt", "/leak", "/leakdir/secret.txt", "//etc/passwd",
                 "/etc/passwd", "http://127.0.0.1/../secret.txt", "/.archivegen-site", "/%00", "/./index.html"):
        status, body = raw_get(server.port, path)
        assert status == 404, path
        assert b"TOP SECRET" not in body and b"root:" not in body, path
    assert raw_get(server.port, "/")[0] == 200
    assert raw_get(server.port, "/2013/08/09/kerry-meets-lavrov")[0] == 301
    status, body = raw_get(server.port, "/no/such/page/")
    assert status == 404 and b"<html" in body.lower()  # the site's 404.html


def test_serve_pages_have_the_reload_script_and_build_output_does_not(server, archive, tmp_path):
    status, body = raw_get(server.port, "/" + SLUG_A)
    assert b"/__archivegen/live.js" in body
    from conftest import run_cli
    out = tmp_path / "built"
    assert run_cli("build", "--root", archive, "--out", out, "--no-search", "--quiet") == 0
    for page in out.rglob("*"):
        if page.is_file():
            assert b"__archivegen" not in page.read_bytes(), page


def test_ctrl_c_stops_cleanly(archive):
    s = Serve(archive)
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 5
    err = "".join(s.log)
    assert "Traceback" not in err and "stopped" in err
    with socket.create_server(("127.0.0.1", s.port)):  # the port is free again
        pass


def test_taken_port_moves_to_the_next_free_one(archive):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "archivegen", "serve", "--root", str(archive), "--port",
                                 str(taken), "--no-search", "--jobs", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            seen = []
            for line in proc.stdout:
                seen.append(line)
                if "serving at" in line:
                    break
            text = "".join(seen)
            assert f"port {taken} is taken" in text
            url = re.search(r"serving at (http://\S+)", text).group(1)
            assert not url.endswith(f":{taken}/")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(10)


def test_burst_of_changes_gives_one_rebuild(server, archive):
    before = server.builds()
    arts = archive / "content" / "articles" / "2011" / "01"
    arts.mkdir(parents=True)
    for i in range(40):  # like a git checkout: many files at once
        (arts / f"story-{i}.md").write_text(article(f"Story number {i}", "2011-01-02", "Text."))
    server.wait_for(r"built in \d+ ms")
    time.sleep(1.0)
    assert server.builds() == before + 1
    assert raw_get(server.port, "/2011/01/02/story-number-39/")[0] == 200


def test_temp_file_names_are_told_from_articles():
    from archivegen.watch import ignored_name

    assert all(ignored_name(n) for n in ("a.md.swp", "4913", "a.md~", ".#a.md", "sedQ3xZ9a", ".goutputstream-X1"))
    assert not any(ignored_name(n) for n in ("sedans.md", "sedation.md", "a.md", "4913.md", "sedentary", "seductive"))


def test_editor_temp_files_do_not_rebuild(server, archive):
    before = server.builds()
    folder = archive / "content" / "articles" / "2013" / "08"
    for name in (".kerry-meets-lavrov.md.swp", "4913", "kerry-meets-lavrov.md~", ".#kerry-meets-lavrov.md", "sedQ3xZ9a"):
        (folder / name).write_text("junk: [")
    time.sleep(1.0)
    assert server.builds() == before


# ---------------------------------------------------------------------------
# In Chromium

@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("needs the Debian chromium package (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context()
    pg = ctx.new_page()
    yield pg
    ctx.close()


def open_live(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.__archivegenLive === true")
    page.evaluate("window.__notReloaded = true")
    time.sleep(0.3)  # the event stream is connected


def article_path(archive: Path) -> Path:
    return archive / "content" / "articles" / "2013" / "08" / "kerry-meets-lavrov.md"


@pytest.mark.browser
@pytest.mark.parametrize("save", [save_in_place, save_by_rename], ids=["in-place", "rename"])
def test_edit_reloads_the_page(server, archive, page, save):
    open_live(page, server.url + SLUG_A)
    assert "hockey" in page.inner_text("main")
    src = article_path(archive)
    save(src, src.read_text().replace("hockey", "chess"))
    page.wait_for_function("document.body.innerText.includes('chess')", timeout=15000)
    assert page.evaluate("window.__notReloaded") is None  # a real reload, not a patch


@pytest.mark.browser
def test_only_tabs_whose_page_changed_reload(server, archive, browser):
    ctx = browser.new_context()
    try:
        a, b = ctx.new_page(), ctx.new_page()
        open_live(a, server.url + SLUG_A)
        open_live(b, server.url + SLUG_B)
        src = article_path(archive)
        src.write_text(src.read_text().replace("A second paragraph.", "A changed second paragraph."))
        a.wait_for_function("document.body.innerText.includes('changed second')", timeout=15000)
        time.sleep(0.5)
        assert b.evaluate("window.__notReloaded") is True
    finally:
        ctx.close()


@pytest.mark.browser
def test_broken_edit_shows_overlay_and_keeps_last_good_page(server, archive, page):
    open_live(page, server.url + SLUG_A)
    src = article_path(archive)
    good = src.read_text()
    src.write_text(good.replace('title: "Kerry meets Lavrov"', 'title: "Kerry meets Lavrov\nbad: [yaml'))
    overlay = page.locator("#archivegen-error-overlay")
    overlay.wait_for(state="visible", timeout=15000)
    text = overlay.inner_text()
    assert re.search(r"content/articles/2013/08/kerry-meets-lavrov\.md:\d+: ", text), text
    assert "hockey" in page.inner_text("main")  # the last good page stays
    assert page.evaluate("window.__notReloaded") is True
    # A tab opened while the build is broken shows the overlay too, over the last good page.
    other = page.context.new_page()
    other.goto(server.url + SLUG_A)
    other.locator("#archivegen-error-overlay").wait_for(state="visible", timeout=15000)
    assert "hockey" in other.inner_text("main")
    # Fixing the file clears the overlay and shows the fix.
    src.write_text(good.replace("hockey", "football"))
    page.wait_for_function("document.body.innerText.includes('football')", timeout=15000)
    assert page.locator("#archivegen-error-overlay").count() == 0
    other.wait_for_function("!document.getElementById('archivegen-error-overlay')", timeout=15000)


@pytest.mark.browser
def test_template_error_shows_overlay_then_clears(server, archive, page):
    open_live(page, server.url + SLUG_A)
    tpl = archive / "templates" / "article.html"
    tpl.parent.mkdir(exist_ok=True)
    tpl.write_text('{% extends "base.html" %}\n{% block main %}\n{% if %}\n{% endblock %}\n')
    overlay = page.locator("#archivegen-error-overlay")
    overlay.wait_for(state="visible", timeout=15000)
    assert "templates/article.html" in overlay.inner_text()
    tpl.unlink()
    page.wait_for_function("!document.getElementById('archivegen-error-overlay')", timeout=15000)
    assert "hockey" in page.inner_text("main")


def test_watcher_batches_and_follows_a_replaced_folder(tmp_path):
    from archivegen.watch import Watcher

    root = tmp_path / "a"
    (root / "content" / "articles").mkdir(parents=True)
    w = Watcher(root, quiet=0.15)
    w.start()
    try:
        (root / "archive.yaml").write_text("title: x\n")
        (root / "site").mkdir()
        (root / "site" / "index.html").write_text("output is not watched")
        assert w.next_batch(timeout=3) == {"archive.yaml"}
        # rename-save: only the article counts, not its temporary name
        art = root / "content" / "articles" / "a.md"
        tmp = root / "content" / "articles" / ".a.md.swp"
        tmp.write_text("x")
        tmp.rename(art)
        assert "content/articles/a.md" in w.next_batch(timeout=3)
        # content/ replaced wholesale (as some checkouts and sync tools do)
        (root / "content").rename(root / "old-content")
        (root / "new-content" / "articles").mkdir(parents=True)
        (root / "new-content").rename(root / "content")
        assert w.next_batch(timeout=3)
        (root / "content" / "articles" / "b.md").write_text("y")
        assert "content/articles/b.md" in w.next_batch(timeout=3)
        assert w.next_batch(timeout=0.5) is None
    finally:
        w.stop()
