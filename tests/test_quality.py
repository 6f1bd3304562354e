"""Page quality judged by real checkers: the W3C Nu HTML checker and axe-core.

Every page type of the sample site (front page, article, year and month
archives, section, tag, the people and countries indexes, a person page, a
country page, search, 404, plus the per-year entity page and the group
indexes) must have zero Nu errors and zero axe-core violations, in both the
light and the dark colour scheme (contrast is checked in each).

``make test`` installs everything these tests need (Chromium from the
Debian package, vnu-jar and axe-core from npm); when one of them is
missing the tests skip with the reason, they never download a browser.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
SEED = "2013/08/09/us-russia-have-shared-interests-despite-gaps-kerry/"

# page type -> site-relative URL ('' is the front page)
PAGE_TYPES = {
    "front page": "",
    "article": SEED,
    "year archive": "2013/",
    "month archive": "2013/08/",
    "section": "sections/world/",
    "section year": "sections/world/2013/",
    "tag": "tags/diplomacy/",
    "sections index": "sections/",
    "tags index": "tags/",
    "people index": "people/",
    "people by mentions": "people/by-mentions/",
    "countries index": "countries/",
    "person": "people/john-kerry/",
    "person year": "people/john-kerry/2013/",
    "country": "countries/russia/",
    "trends": "trends/",
    "search": "search/",
    "404": "404.html",
    # an old address of the Obama-Rouhani article (its redirect_from)
    "redirect": "2013/09/28/obama-and-rouhani-hold-first-phone-call-between-us-and-iranian-leaders-since-1979/",
}


def page_file(site: Path, url: str) -> Path:
    return site / (url if url.endswith(".html") else url + "index.html")


def test_every_page_type_exists(sample_site):
    missing = [name for name, url in PAGE_TYPES.items() if not page_file(sample_site, url).is_file()]
    assert not missing, f"page types missing from the sample site: {missing}"


# -- W3C Nu HTML checker -------------------------------------------------------

def _vnu_missing() -> str | None:
    if shutil.which("java") is None:
        return "java is not installed (make test installs the checkers; vnu needs a JRE)"
    if not VNU.is_file():
        return f"{VNU.relative_to(REPO)} missing: run `npm install` (make test does)"
    return None


@pytest.mark.slow
def test_nu_html_checker_finds_no_errors(sample_site):
    reason = _vnu_missing()
    if reason:
        pytest.skip(reason)
    files = [str(page_file(sample_site, url)) for url in PAGE_TYPES.values()]
    # One JVM for every file: starting Java is most of the cost.
    proc = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stderr or proc.stdout or '{"messages": []}')
    errors = [m for m in report.get("messages", []) if m.get("type") in ("error", "non-document-error")]
    lines = [f"{m.get('url', '').replace('file:' + str(sample_site), '')}:{m.get('lastLine', '?')}: {m.get('message')}"
             for m in errors]
    assert not errors, "Nu HTML checker errors:\n" + "\n".join(lines)


# -- axe-core in headless Chromium -------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def served_site(sample_site):
    """The sample site over http on 127.0.0.1 (its base_url path is '/')."""
    handler = functools.partial(_Quiet, directory=str(sample_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium missing: `make test` installs the Debian chromium package")
    if not AXE.is_file():
        pytest.skip(f"{AXE.relative_to(REPO)} missing: run `npm install` (make test does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency: pip install -e '.[test]'")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _format_violations(violations: list[dict]) -> str:
    out = []
    for v in violations:
        out.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            out.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(out)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("page_type", list(PAGE_TYPES))
def test_axe_finds_no_violations(browser, served_site, page_type, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.emulate_media(color_scheme=scheme)
        if page_type == "redirect":  # checked as a browser that does not follow the refresh shows it
            def without_refresh(route):
                response = route.fetch()
                body = re.sub(r'<meta http-equiv="refresh"[^>]*>\n?', "", response.text())
                assert body != response.text()
                route.fulfill(response=response, body=body)
            page.route(served_site + PAGE_TYPES[page_type], without_refresh)
        response = page.goto(served_site + PAGE_TYPES[page_type], wait_until="load")
        assert response is not None and response.ok
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        violations = result["violations"]
        assert not violations, f"axe-core on {page_type} ({scheme}):\n" + _format_violations(violations)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_printing_from_a_dark_screen_keeps_text_legible(browser, served_site):
    """Print in a dark-scheme browser: the page prints in ink on white, not pale on white."""
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        page.emulate_media(media="print", color_scheme="dark")
        for page_type in ("front page", "article", "person", "trends"):
            page.goto(served_site + PAGE_TYPES[page_type], wait_until="load")
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("() => axe.run(document, {runOnly: ['color-contrast'], resultTypes: ['violations']})")
            assert not result["violations"], f"print, dark, {page_type}:\n" + _format_violations(result["violations"])
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_no_page_scrolls_sideways_on_a_small_phone(browser, served_site):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    wide = {}
    try:
        for page_type, url in PAGE_TYPES.items():
            if page_type == "redirect":
                continue
            page.goto(served_site + url, wait_until="load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                wide[page_type] = width
    finally:
        context.close()
    assert not wide, f"pages wider than the 320 px screen: {wide}"


@pytest.mark.browser
def test_an_old_address_brings_the_browser_to_the_article(browser, served_site):
    """A redirect_from address: Chromium follows the page on to the article at once."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(served_site + PAGE_TYPES["redirect"])
        page.wait_for_url(served_site + "2013/09/28/obama-rouhani-phone-call/", timeout=10000)
        assert page.locator("h1").inner_text().startswith("Obama and Rouhani hold first phone call")
    finally:
        context.close()


@pytest.mark.browser
def test_dark_scheme_changes_colours(browser, served_site):
    """The theme really has a dark scheme (not just the light one checked twice)."""
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(served_site + SEED)
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
    assert colours["light"] != colours["dark"]


@pytest.mark.browser
def test_skip_link_and_focus_are_visible(browser, served_site):
    context = browser.new_context()
    page = context.new_page()
    page.goto(served_site + SEED)
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => {
        const el = document.activeElement, cs = getComputedStyle(el), r = el.getBoundingClientRect();
        return {cls: el.className, href: el.getAttribute('href'), outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
                shadow: cs.boxShadow, visible: r.width > 1 && r.height > 1 && r.bottom > 0};
    }""")
    context.close()
    assert focused["href"] == "#main" and focused["visible"], focused
    assert (focused["outline"] != "none" and focused["width"] > 0) or focused["shadow"] != "none", focused


@pytest.fixture(scope="module")
def searchable_site(tmp_path_factory):
    """The sample site with its Pagefind index, served over http."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("searchable") / "site"
    assert run_cli("build", "--root", REPO, "--out", out, "--quiet") == 0
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_on_search_results(browser, searchable_site, scheme):
    """The search page as a reader meets it: index loaded, filters filled, results shown."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(searchable_site + "search/?q=Lavrov", wait_until="load")
        page.wait_for_function("document.querySelectorAll('#search-person option').length > 1", timeout=15000)
        page.wait_for_function("document.querySelector('main a[href*=\"/20\"]') !== null", timeout=15000)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")["violations"]
        assert not violations, f"axe-core on search results ({scheme}):\n" + _format_violations(violations)
    finally:
        context.close()
