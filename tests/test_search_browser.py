"""The search page in headless Chromium, against the built sample archive on 127.0.0.1.

Chromium comes from the Debian package (`make test` installs it) and is
driven by Playwright with ``executable_path``; a missing browser skips these
tests with the reason, it is never downloaded.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import REPO, run_cli

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SEED_TITLE = "US, Russia have shared interests despite gaps: Kerry"
SEED_URL = "2013/08/09/us-russia-have-shared-interests-despite-gaps-kerry/"


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def translate_path(self, path):
        # serve the site under its prefix (/archive/...) and nothing outside it
        path = urlsplit(path).path
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_prefix__")
        return super().translate_path("/" + path[len(self.prefix):])


class Server:
    def __init__(self, directory: Path, prefix: str = "/", port: int = 0):
        handler = type("H", (_Handler,), {"prefix": prefix})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(directory)))
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}{prefix}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium missing: `make test` installs the Debian chromium package")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency: pip install -e '.[test]'")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _build(tmp: Path, base_url: str | None = None) -> Path:
    root = tmp / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = tmp / "site"
    args = ["build", "--root", root, "--out", out, "--quiet"]
    if base_url:
        args += ["--base-url", base_url]
    assert run_cli(*args) == 0
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = _build(tmp_path_factory.mktemp("search-root"))
    server = Server(out)
    yield server, out
    server.close()


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory):
    port = _free_port()
    out = _build(tmp_path_factory.mktemp("search-sub"), f"http://127.0.0.1:{port}/archive/")
    server = Server(out, "/archive/", port)
    yield server, out
    server.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def _titles(page) -> list[str]:
    return page.locator("#search-results .search-hit-title a").all_inner_texts()


def _wait_done(page, timeout=15000):
    """Results rendered and every shard searched (the status then gives the total)."""
    page.wait_for_function(
        "() => { const s = document.getElementById('search-status').textContent;"
        " return s && !s.includes('searching the rest') && !document.getElementById('search').hasAttribute('aria-busy'); }",
        timeout=timeout)


def _search(page, base: str, query: str) -> list[str]:
    page.goto(base + "search/" + query)
    _wait_done(page)
    return _titles(page)


def test_query_finds_the_seed_article(site, page):
    server, _ = site
    assert SEED_TITLE in _search(page, server.base, "?q=hockey")
    assert SEED_TITLE in _search(page, server.base, "?q=Lavrov")


def test_entity_page_comes_first_for_its_name(site, page):
    server, _ = site
    titles = _search(page, server.base, "?q=Lavrov")
    assert titles[0] == "Sergei Lavrov"
    assert page.locator("#search-results .search-hit").first.locator(".search-hit-kind").inner_text().lower() == "person"


def test_person_filter_keeps_it_and_an_unmentioned_country_removes_it(site, page):
    server, out = site
    assert SEED_TITLE in _search(page, server.base, "?q=hockey")
    page.select_option("#search-person", "Sergei Lavrov")
    _wait_done(page)
    assert SEED_TITLE in _titles(page)
    assert parse_qs(urlsplit(page.url).query)["person"] == ["Sergei Lavrov"]
    # a country that has articles, but not this one
    seed_html = (out / SEED_URL / "index.html").read_text()
    countries = [c for c, _ in json.loads((out / "pagefind/archive.json").read_text())["filters"]["country"]]
    other = next(c for c in countries if f'data-pagefind-filter="country">{c}<' not in seed_html)
    page.select_option("#search-country", other)
    _wait_done(page)
    assert SEED_TITLE not in _titles(page)
    assert "No results" in page.inner_text("#search-status")


def test_filter_only_link_from_an_entity_page(site, page):
    server, _ = site
    page.goto(server.base + "people/sergei-lavrov/")
    page.get_by_role("link", name="Search within these articles").click()
    page.wait_for_url("**/search/?person=*")
    _wait_done(page)
    assert page.input_value("#search-person") == "Sergei Lavrov"
    assert SEED_TITLE in _titles(page)


def test_result_link_opens_the_article(site, page):
    server, _ = site
    _search(page, server.base, "?q=hockey")
    page.get_by_role("link", name=SEED_TITLE).click()
    page.wait_for_url("**/" + SEED_URL)
    assert page.locator("h1").inner_text() == SEED_TITLE


def test_results_show_the_pages_date_and_leave_the_bylines_dates_out_of_excerpts(site, page):
    # the article's byline is "By Foreign Desk · 7 August 2013 · Updated 8 August 2013"
    server, _ = site
    _search(page, server.base, "?q=asylum&person=Edward+Snowden")
    hit = page.locator("#search-results .search-hit").filter(has_text="Obama cancels Moscow summit with Putin")
    assert hit.locator("time").inner_text() == "7 August 2013"  # date_format, as on the article page
    assert hit.locator("time").get_attribute("datetime").startswith("2013-08-07")
    excerpts = " ".join(page.locator("#search-results .search-hit-excerpt").all_inner_texts())
    assert "asylum" in excerpts
    assert not any(w in excerpts for w in ("Updated", "August 2013", "·"))
    # the authors can still be searched
    assert "Obama cancels Moscow summit with Putin" in _search(page, server.base, "?q=Desk")


def test_url_query_fills_the_box_and_typing_updates_the_url(site, page):
    server, _ = site
    _search(page, server.base, "?q=hockey")
    assert page.input_value("#search-q") == "hockey"
    page.fill("#search-q", "Snowden")
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'Snowden'", timeout=5000)
    _wait_done(page)
    assert any("Snowden" in t for t in _titles(page))
    assert "Snowden" in page.inner_text("#search-status")


def test_each_search_is_a_history_entry_and_names_the_tab(site, page):
    server, _ = site
    _search(page, server.base, "?q=hockey")
    assert page.title().startswith("“hockey” · Search")
    page.fill("#search-q", "Snowden")  # typing: one new entry, however many keystrokes
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'Snowden'", timeout=5000)
    _wait_done(page)
    page.select_option("#search-person", "Edward Snowden")  # a filter: another entry
    _wait_done(page)
    page.go_back()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('person')", timeout=5000)
    _wait_done(page)
    assert page.input_value("#search-q") == "Snowden" and page.input_value("#search-person") == ""
    page.go_back()
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'hockey'", timeout=5000)
    _wait_done(page)
    assert page.input_value("#search-q") == "hockey" and SEED_TITLE in _titles(page)
    assert page.title().startswith("“hockey” · Search")


def test_a_word_no_page_contains_is_named_and_sort_alone_asks_for_words(site, page):
    server, _ = site
    titles = _search(page, server.base, "?q=hockey+xyzzyplugh")
    assert SEED_TITLE in titles  # Pagefind ranks by the words it knows
    assert "No page contains “xyzzyplugh”: it was left out." in page.inner_text("#search-status")
    _search(page, server.base, "?q=hockey+Lavrov")
    assert "No page contains" not in page.inner_text("#search-status")
    page.goto(server.base + "search/?sort=newest")
    page.wait_for_function("() => document.getElementById('search-status').textContent.includes('Type a word')",
                           timeout=10000)


def test_the_box_on_every_page_leads_to_search(site, page):
    server, _ = site
    page.goto(server.base)
    page.fill("#site-search-q", "hockey")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=hockey")
    _wait_done(page)
    assert SEED_TITLE in _titles(page)


def _dates(page) -> list[str]:
    return page.locator("#search-results .search-hit time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_date_order_is_global_across_shards(site, page, order):
    server, out = site
    _search(page, server.base, f"?q=Obama&sort={order}")
    while page.locator("#search-more").is_visible():
        page.click("#search-more")
        _wait_done(page)
    dates = [d[:10] for d in _dates(page)]
    assert len({d[:4] for d in dates}) >= 2, dates  # the results span shards
    assert dates == sorted(dates, reverse=(order == "newest"))
    # entity pages have no date: they are kept, listed before the dated articles
    kinds = page.locator("#search-results .search-hit").evaluate_all(
        "els => els.map(e => !!e.querySelector('.search-hit-kind'))")
    assert kinds == sorted(kinds, reverse=True)


def test_works_under_a_sub_path(subpath_site, page):
    server, _ = subpath_site
    titles = _search(page, server.base, "?q=hockey")
    assert SEED_TITLE in titles
    href = page.get_by_role("link", name=SEED_TITLE).get_attribute("href")
    assert href == "/archive/" + SEED_URL
    page.get_by_role("link", name=SEED_TITLE).click()
    page.wait_for_url(server.base + SEED_URL)
    assert page.locator("h1").inner_text() == SEED_TITLE


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_with_results_shown(site, browser, scheme):
    if not AXE.exists():
        pytest.skip(f"{AXE.relative_to(REPO)} missing: run `npm install` (make test does)")
    server, _ = site
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(server.base + "search/?q=Lavrov&person=Sergei+Lavrov")
        _wait_done(page)
        assert _titles(page)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        violations = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                      for v in result["violations"]]
        assert not violations, "\n".join(violations)
    finally:
        context.close()


def test_a_site_built_without_search_says_so(tmp_path, browser):
    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet") == 0
    server = Server(out)
    try:
        page = browser.new_page()
        page.goto(server.base + "search/?q=hockey")
        page.wait_for_function("() => document.getElementById('search-status').textContent.length > 0")
        assert "without its search index" in page.inner_text("#search-status")
        assert unquote(page.input_value("#search-q")) == "hockey"
        page.close()
    finally:
        server.close()


# -- a shard without the word ---------------------------------------------------------------

@pytest.fixture(scope="module")
def fallback_site(tmp_path_factory):
    """The sample plus "elephant" in one 2013 article, and El Salvador in a 2014 one.

    No page of the entity shard or of the 2014 shard holds "elephant"; both hold "el"
    (El Salvador), the longest word beginning it, which Pagefind answers with.
    """
    tmp = tmp_path_factory.mktemp("search-fallback")
    root = tmp / "archive"
    shutil.copytree(REPO / "content", root / "content")
    (root / "content/articles/2013/03").mkdir(parents=True)
    (root / "content/articles/2013/03/zoo.md").write_text(
        "---\ntitle: Zoo welcomes a baby elephant\ndate: 2013-03-01\n---\nThe zoo's elephant had a calf.\n")
    (root / "content/articles/2014/06/coffee.md").write_text(
        "---\ntitle: Coffee harvest recovers\ndate: 2014-06-02\n---\nEl Salvador exported more coffee. El Salvador said so.\n")
    out = tmp / "site"
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    server = Server(out)
    yield server, out
    server.close()


@pytest.mark.parametrize("order", ["", "newest"])
def test_a_shard_without_the_word_does_not_answer_with_a_shorter_one(fallback_site, page, order):
    server, _ = fallback_site
    # Pagefind alone would put the El Salvador page first (the entity shard weighs more),
    # and the coffee story among the results, both for their "El"
    assert _search(page, server.base, f"?q=elephant&sort={order}") == ["Zoo welcomes a baby elephant"]
    assert re.match(r"1 result for “elephant”", page.inner_text("#search-status"))
    # a word begun is no shorter word: "Kerr" still finds John Kerry's page, "El" the country's
    assert _search(page, server.base, f"?q=kerr&sort={order}")[0] == "John Kerry"
    assert "El Salvador" in _search(page, server.base, f"?q=salvador&sort={order}")


# -- loading: what the first screen waits for -------------------------------------------

class Held:
    """Requests held back until released, after the first ``through`` (a slow network)."""

    def __init__(self, page, *globs: str, through: int = 0):
        self.routes: list = []
        self.through = through
        self.released = False
        for glob in globs:
            page.route(glob, self.hold)

    def hold(self, route):
        if self.released or self.through > 0:
            self.through -= 1
            route.continue_()
        else:
            self.routes.append(route)

    def release(self):
        self.released = True
        for route in self.routes:
            route.continue_()


def _requests(page) -> list[str]:
    """Paths (with their query) the page asks for from now on."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url.split("/", 3)[3]))
    return seen


def _busy_status(page) -> str:
    assert page.get_attribute("#search", "aria-busy") == "true"
    return page.inner_text("#search-status")


def test_best_match_shows_the_newest_shards_while_older_ones_load(site, page):
    server, _ = site

    # pretend every article shard holds 2,000 pages, so the first screen is made of the
    # entity shard and the newest article shard only (FIRST_PAGES in search.js)
    def big_shards(route):
        manifest = route.fetch().json()
        for shard in manifest["shards"]:
            if shard["kind"] == "articles":
                shard["pages"] = 2000
        route.fulfill(json=manifest)

    page.route("**/pagefind/archive.json", big_shards)
    held = Held(page, "**/pagefind/2013/**", "**/pagefind/2012/**")
    page.goto(server.base + "search/?q=sworn")
    page.wait_for_selector("#search-results .search-hit")
    assert "searching the rest" in _busy_status(page)
    first = [d[:4] for d in _dates(page)]
    assert first and all(year == "2014" for year in first), first  # the newest shards only
    held.release()
    _wait_done(page)
    assert re.match(r"3 results for “sworn”", page.inner_text("#search-status"))
    assert any(d < "2014" for d in _dates(page))  # the ranking now covers every shard


def test_newest_first_shows_a_full_page_before_the_oldest_shard_answers(site, page):
    server, _ = site
    held = Held(page, "**/pagefind/2012/**")
    page.goto(server.base + "search/?q=president&sort=newest")
    page.wait_for_function("document.querySelectorAll('#search-results .search-hit').length >= 10")
    assert "searching the rest" in _busy_status(page)
    dates = [d[:10] for d in _dates(page)]
    assert dates == sorted(dates, reverse=True) and all(d >= "2013" for d in dates), dates
    held.release()
    _wait_done(page)
    while page.locator("#search-more").is_visible():
        page.click("#search-more")
        _wait_done(page)
    dates = [d[:10] for d in _dates(page)]
    assert dates == sorted(dates, reverse=True) and dates[-1] < "2013", dates


@pytest.mark.parametrize("order", ["", "newest", "oldest"])
def test_a_year_filter_asks_only_the_shards_of_that_year(site, page, order):
    server, _ = site
    requested = _requests(page)
    _search(page, server.base, f"?q=president&year=2013&sort={order}")
    dates = [d[:10] for d in _dates(page)]
    assert dates and all(d.startswith("2013") for d in dates), dates
    if order:
        assert dates == sorted(dates, reverse=(order == "newest"))
    assert "8 results" in page.inner_text("#search-status")
    shard_files = [p.split("pagefind/")[1].split("/") for p in requested if p.startswith("pagefind/")]
    assert {parts[0] for parts in shard_files if len(parts) > 1} == {"entities", "2013"}


def test_filter_indexes_and_fragments_load_only_when_needed(site, page):
    server, _ = site
    requested = _requests(page)
    _search(page, server.base, "?q=president")
    assert not [p for p in requested if p.endswith(".pf_filter")]  # no filter chosen
    shown = page.locator("#search-results .search-hit").count()
    fragments = [p for p in requested if p.endswith(".pf_fragment")]
    assert shown == 10 and len(fragments) <= 2 * shown, fragments  # first screen, then its re-ranking
    page.select_option("#search-person", "Barack Obama")
    _wait_done(page)
    assert [p for p in requested if p.endswith(".pf_filter")]
    assert "person: Barack Obama" in page.inner_text("#search-status")


def test_each_index_file_is_fetched_once_its_preload_used(site, page):
    server, out = site
    requested = _requests(page)
    _search(page, server.base, "?q=sworn")
    index_files = [p for p in requested if p.startswith("pagefind/")]
    assert len(index_files) == len(set(index_files)), sorted(index_files)
    manifest = json.loads((out / "pagefind/archive.json").read_text())
    for shard in manifest["shards"]:  # a fixed URL for the entry file, so it can be preloaded
        assert f"pagefind/{shard['path']}pagefind-entry.json?ts={shard['languages']['en']['hash']}" in index_files


def test_results_are_drawn_as_their_fragments_arrive(site, page):
    server, _ = site
    held = Held(page, "**/*.pf_fragment", through=1)  # the first result's fragment only
    page.goto(server.base + "search/?q=president&sort=newest")
    page.wait_for_selector("#search-results .search-hit")
    assert page.locator("#search-results .search-hit").count() == 1
    held.release()
    _wait_done(page)
    assert page.locator("#search-results .search-hit").count() == 10
