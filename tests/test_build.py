"""The core build: the sample archive's pages, links, dates, sub-paths, init."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from archivegen.build import BuildOptions, build
from conftest import REPO, article, run_cli

SEED_URL = "2013/08/09/us-russia-have-shared-interests-despite-gaps-kerry/"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.h1 = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        for name in ("href", "src", "action"):
            if a.get(name):
                self.hrefs.append(a[name])


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text())
    return p


def internal_targets(site: Path, prefix: str):
    """(page, href, target path) for every link that stays inside the site."""
    for page in site.rglob("*.html"):
        for href in parse(page).hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            assert parts.path.startswith(prefix), f"{page}: {href} ignores the base path {prefix}"
            rel = unquote(parts.path[len(prefix):])
            target = site / rel
            if rel == "" or rel.endswith("/"):
                target = target / "index.html"
            yield page, href, target


def test_sample_has_every_page_of_the_url_table(sample_site: Path):
    for rel in ["index.html", f"{SEED_URL}index.html", "2013/index.html", "2013/08/index.html",
                "sections/world/index.html", "tags/diplomacy/index.html", "404.html", "static/style.css",
                "people/index.html", "countries/index.html", "people/john-kerry/index.html",
                "countries/russia/index.html", "search/index.html"]:
        assert (sample_site / rel).is_file(), rel


def test_every_internal_link_resolves(sample_site: Path):
    broken = [(str(p.relative_to(sample_site)), h) for p, h, t in internal_targets(sample_site, "/") if not t.exists()
              and not h.startswith("/pagefind/")]
    assert broken == []


def test_article_page_shows_headline_date_byline_and_caption(sample_site: Path):
    html = (sample_site / SEED_URL / "index.html").read_text()
    assert "<h1" in html and "US, Russia have shared interests despite gaps: Kerry</h1>" in html
    assert re.search(r'<time datetime="2013-08-09T00:00:00\+00:00"[^>]*>9 August 2013</time>', html)
    assert "AFP" in html and "The Straits Times" in html
    assert html.count("said on Friday that the United States still has") == 2  # caption once + body once
    # its front matter keeps the photo's caption, credit and description but no file: the page says so
    assert '<p class="image-missing" data-pagefind-ignore>Photo not in the archive: Russian Foreign Minister' in html
    assert "<img" not in html.split('class="lead-image"')[1].split("</figure>")[0]
    assert "Telegram" not in html
    assert parse(sample_site / SEED_URL / "index.html").h1 == 1


def test_front_page_lists_latest_first(sample_site: Path):
    html = (sample_site / "index.html").read_text()
    dates = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})', html)
    assert dates and dates == sorted(dates, reverse=True)


def test_month_archive_lists_only_its_month(sample_site: Path):
    html = (sample_site / "2013/08/index.html").read_text()
    assert set(re.findall(r'<time datetime="(\d{4}-\d{2})', html)) == {"2013-08"}


def test_title_with_script_is_escaped(make_archive, tmp_path):
    root = make_archive({"articles/x.md": article(title="<script>alert(1)</script> & co", slug="xss")})
    assert run_cli("build", "--root", root, "--out", tmp_path / "out", "--no-search", "-q") == 0
    for page in (tmp_path / "out").rglob("*.html"):
        assert "<script>alert(1)" not in page.read_text(), page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in (tmp_path / "out/2013/08/09/xss/index.html").read_text()


def test_sub_path_build_prefixes_every_internal_link(tmp_path):
    out = tmp_path / "site"
    result = build(BuildOptions(root=REPO, out=out, base_url="https://example.org/archive/", search=False,
                                progress=False))
    assert result.pages > 20
    links = list(internal_targets(out, "/archive/"))
    assert links
    # built without search: the search page's preload of the index manifest has nothing to name
    assert [h for p, h, t in links if not t.exists() and not h.startswith("/archive/pagefind/")] == []


def test_failed_build_leaves_site_untouched(make_archive, tmp_path):
    root = make_archive({"articles/a.md": article()})
    out = tmp_path / "out"
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "-q") == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (root / "content/articles/b.md").write_text("---\ntitle: Kerry: talks\ndate: 2013-08-10\n---\nx\n")
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "-q") == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_bad_input_lists_every_problem(make_archive, tmp_path, capsys):
    root = make_archive({
        "articles/a.md": "---\ntitle: Kerry: talks\ndate: 2013-08-10\n---\nx\n",
        "articles/b.md": "---\ntitle: [1, 2]\ndate: 2013-02-30\n---\nx\n",
        "articles/c.md": "---\ntitle: A\ndate: 2013-01-01\nslug: a/../b\n---\nx\n",
        "articles/d.md": "---\ntitle: Same\ndate: 2013-01-01\n---\nx\n",
        "articles/e.md": "---\ntitle: Same\ndate: 2013-01-01\n---\nx\n",
    })
    assert run_cli("build", "--root", root, "--out", tmp_path / "o") == 1
    err = capsys.readouterr().err
    assert "content/articles/a.md:2: error: invalid YAML" in err and "must be quoted" in err
    assert "content/articles/b.md:2: error: 'title' must be text, not a list" in err
    assert "content/articles/b.md:3: error: '2013-02-30' is not a real date" in err
    assert "content/articles/c.md:4: error: slug 'a/../b'" in err
    assert "same URL /2013/01/01/same/ as content/articles/d.md" in err
    assert "Traceback" not in err


def test_drafts_are_skipped_unless_asked(make_archive, tmp_path):
    root = make_archive({"articles/d.md": article(title="Secret", draft="true", slug="secret"),
                         "articles/p.md": article(title="Public", slug="public")})
    assert run_cli("build", "--root", root, "--out", tmp_path / "a", "--no-search", "-q") == 0
    assert not (tmp_path / "a/2013/08/09/secret").exists()
    assert run_cli("build", "--root", root, "--out", tmp_path / "b", "--no-search", "--drafts", "-q") == 0
    assert (tmp_path / "b/2013/08/09/secret/index.html").exists()


def test_unknown_field_warns_with_nearest(make_archive, tmp_path, capsys):
    root = make_archive({"articles/a.md": article(titel="oops")})
    assert run_cli("build", "--root", root, "--out", tmp_path / "o", "--no-search") == 0
    captured = capsys.readouterr()
    assert "unknown field 'titel'" in captured.err + captured.out and "did you mean 'title'" in captured.err + captured.out


def test_init_creates_an_archive_that_builds(tmp_path, capsys):
    root = tmp_path / "new"
    assert run_cli("init", root) == 0
    assert (root / "archive.yaml").read_text().count("# ") > 10
    assert list((root / "content/articles").rglob("*.md")) and (root / "content/people").is_dir()
    assert run_cli("build", "--root", root, "--no-search", "-q") == 0
    assert (root / "site/index.html").exists()
    assert run_cli("init", root) == 1


def test_init_ignores_what_builds_leave_beside_the_articles(tmp_path):
    """The output, its staging, old and trash folders, the file of page bytes set aside
    during a build (a killed build leaves it for the next), and the cache; not the articles."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "new"
    assert run_cli("init", root) == 0
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    paths = ["site/index.html", ".site.staging/index.html", ".site.old/a", ".site.trash/1/a", ".site.aside",
             ".cache/memo.json", "content/articles/a.md"]
    r = subprocess.run(["git", "-C", str(root), "check-ignore", *paths], capture_output=True, text=True)
    assert r.stdout.split() == paths[:-1]


def test_own_template_overrides_default_file(make_archive, tmp_path):
    root = make_archive({"articles/a.md": article(), "templates/404.html": "<!doctype html><title>x</title><p>Our own 404</p>"})
    assert run_cli("build", "--root", root, "--out", tmp_path / "o", "--no-search", "-q") == 0
    assert "Our own 404" in (tmp_path / "o/404.html").read_text()
    assert "Skip to content" in (tmp_path / "o/index.html").read_text()


def test_url_filters_and_functions_agree_under_a_sub_path(make_archive, tmp_path):
    """Own templates may link with the filters the default theme uses or with the functions."""
    page = ('<!doctype html><title>x</title>'
            '<p id="f">{{ \'people/\'|url }} {{ \'\'|url }} {{ \'feed.xml\'|abs_url }}</p>'
            '<p id="g">{{ url(\'people/\') }} {{ url() }} {{ abs_url(\'feed.xml\') }}</p>')
    root = make_archive({"articles/a.md": article(), "templates/404.html": page})
    assert run_cli("build", "--root", root, "--out", tmp_path / "o", "--no-search", "-q",
                   "--base-url", "https://example.org/arch/") == 0
    html = (tmp_path / "o/404.html").read_text()
    f = re.search(r'<p id="f">(.*?)</p>', html).group(1)
    g = re.search(r'<p id="g">(.*?)</p>', html).group(1)
    assert f == g == "/arch/people/ /arch/ https://example.org/arch/feed.xml"


def test_compiled_templates_are_not_shared_between_base_urls(make_archive, tmp_path):
    """Jinja compiles ``'static/style.css'|url`` into its result, and keeps compiled templates
    between builds: a build for another base_url must not get the first one's links."""
    root = make_archive({"articles/a.md": article()})
    for n, base in enumerate(("/", "https://example.org/one/", "/two/", "/")):
        out = tmp_path / f"site{n}"
        assert run_cli("build", "--root", root, "--out", out, "--no-search", "-q", "--base-url", base) == 0
        prefix = "/" + base.split("://")[-1].partition("/")[2] if "://" in base else base
        for page in ("404.html", "index.html"):
            html = (out / page).read_text()
            assert f'href="{prefix}static/style.css"' in html, (base, page)


def test_missing_content_folder(tmp_path, capsys):
    assert run_cli("build", "--root", tmp_path, "--out", tmp_path / "o") == 1
    assert "no content/ folder" in capsys.readouterr().err


def test_python_dash_m_works(tmp_path):
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "archivegen", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("archivegen ")


SEED_PEOPLE = ["john-kerry", "sergei-lavrov", "edward-snowden", "barack-obama", "vladimir-putin", "bashar-al-assad"]
SEED_COUNTRIES = ["united-states", "russia", "syria", "iran", "afghanistan"]


def test_seed_article_links_its_people_and_countries(sample_site: Path):
    """Everyone the user's own example names comes out linked, and their pages list it."""
    html = (sample_site / SEED_URL / "index.html").read_text()
    body = html.split('class="article-body"', 1)[1].split("</div>", 1)[0]
    for pid in SEED_PEOPLE:
        assert f'href="/people/{pid}/"' in body, pid
    for cid in SEED_COUNTRIES:
        assert f'href="/countries/{cid}/"' in body, cid
    # cities are not countries: Moscow and Washington stay plain text
    assert re.search(r">\s*Moscow\s*<", body) is None and "WASHINGTON (AFP)" in body
    assert body.count('href="/people/john-kerry/"') == 1  # first mention only
    for key in [f"people/{p}" for p in SEED_PEOPLE] + [f"countries/{c}" for c in SEED_COUNTRIES]:
        pages = [sample_site / key / "index.html", sample_site / key / "2013" / "index.html"]
        assert any(p.exists() and f'href="/{SEED_URL}"' in p.read_text() for p in pages), key


def test_mentions_json_for_the_seed_article(capsys):
    import json

    path = "content/articles/2013/08/us-russia-have-shared-interests-despite-gaps-kerry.md"
    assert run_cli("mentions", "--json", "--root", REPO, REPO / path) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["id"] for r in rows} >= {f"people/{p}" for p in SEED_PEOPLE} | {f"countries/{c}" for c in SEED_COUNTRIES}
    kerry = next(r for r in rows if r["id"] == "people/john-kerry")
    assert kerry == {**kerry, "article": path, "text": "John Kerry", "kind": "person", "name": "John Kerry",
                     "wikidata": "Q22316", "iso2": None, "linked": True}
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    assert all(r["text"] != "Moscow" for r in rows)


def test_sections_spelt_two_ways_share_one_page(make_archive, tmp_path):
    """'World' and 'world' slugify alike: both articles link to the one section page."""
    root = make_archive({"articles/a.md": article(title="One", section="World"),
                         "articles/b.md": article(title="Two", section="world", date="2013-08-10")})
    out = tmp_path / "o"
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "-q") == 0
    assert (out / "sections/world/index.html").exists()
    for page in ("2013/08/09/one/index.html", "2013/08/10/two/index.html"):
        assert 'href="/sections/world/"' in (out / page).read_text()


def test_parallel_parsing_gives_the_same_articles_and_messages(tmp_path, capsys, monkeypatch):
    """Many articles are parsed in forked workers (content._parse_all); the articles, the
    messages (errors, warnings, unknown ids of invalid articles) and their order must be
    what one process gives."""
    from archivegen import content
    from archivegen.build import Warm, load
    from archivegen.workers import Workers
    from safety import art, run, small_archive, write

    root = small_archive(tmp_path / "archive", articles=9)
    write(root, "content/articles/2014/no-title.md", "---\ndate: 2014-01-02\n---\nNo title here.\n")
    write(root, "content/articles/2014/bad-date.md", art(title="Bad date", date="2014-13-45"))
    write(root, "content/articles/2014/unknown-id.md", art(title="Unknown", date="2014-01-05", people="[nobody-known]", draft="maybe"))
    write(root, "content/articles/2014/odd-key.md", art(title="Odd key", date="2014-01-06", colour="blue"))
    rc, _, one = run(capsys, "build", "--root", root, "--no-search", "--jobs", "1")
    assert rc == 1 and "nobody-known" in one and one.count("error") >= 3

    forks: list[int] = []
    real = Workers._fork
    monkeypatch.setattr(Workers, "_fork", lambda self: forks.append(1) or real(self))
    monkeypatch.setattr(content, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(content, "PARSE_CHUNK", 2)
    rc, _, many = run(capsys, "build", "--root", root, "--no-search", "--jobs", "2")
    assert forks and rc == 1 and many == one

    for name in ("no-title", "bad-date", "unknown-id"):
        (root / f"content/articles/2014/{name}.md").unlink()
    monkeypatch.setattr(content, "PARALLEL_MIN_FILES", 10**9)
    alone = load(root, warm=Warm(), jobs=1)
    monkeypatch.setattr(content, "PARALLEL_MIN_FILES", 0)
    forks.clear()
    together = load(root, warm=Warm(), jobs=2)
    assert forks and together.articles == alone.articles and len(alone.articles) == 10
    assert together.problems.items == alone.problems.items and alone.problems.warnings
    monkeypatch.setattr(content, "PARALLEL_MAX_FILES", 5)  # a large archive parses in one process
    forks.clear()
    assert load(root, warm=Warm(), jobs=2).articles == alone.articles and not forks


_PATH_PARTS = ["content", "articles", "2013", "a.md", ".", "..", "", "..x", "x..", "é", " "]


def test_paths_relative_to_the_archive_are_pathlibs_whatever_the_root():
    """content._rel's shortcuts (an absolute root, and ``.``: ``archivegen build`` run in the
    archive) give what pathlib gives for every path, clean or not."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from archivegen.content import _rel

    def slow(root: Path, path: str) -> str:
        p = Path(path)
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()

    @given(st.sampled_from([".", "/srv/archive", "/"]), st.booleans(),
           st.lists(st.sampled_from(_PATH_PARTS), min_size=1, max_size=5))
    @settings(max_examples=400, deadline=None)
    def check(root, absolute, parts):
        path = "/".join(parts)
        if absolute:
            path = root.rstrip("/") + "/" + path
        assert _rel(Path(root), path) == slow(Path(root), path)
        assert _rel(Path(root), Path(path)) == slow(Path(root), path)

    check()


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_body_becomes_its_story_as_its_chunk_arrives(make_archive, tmp_path, monkeypatch, jobs):
    """build.render_stories makes a chunk's stories as its bodies come back, while the workers
    render the next ones: made after the last chunk, they were a core's work with the other idle."""
    import archivegen.build as build_mod

    n = build_mod.CHUNK * 2 + 5  # three chunks
    root = make_archive({f"articles/a{i}.md": article(title=f"Story {i}", date=f"2013-08-{i % 28 + 1:02d}",
                                                      body=f"Number {i} in Russia.")
                         for i in range(n)})
    events: list[str] = []
    real_story, real_update = build_mod.story_from, build_mod.Progress.update

    def story(*args, **kwargs):
        events.append("story")
        return real_story(*args, **kwargs)

    def update(self, stage, done, total):
        if stage == "rendering articles":
            events.append("chunk")
        return real_update(self, stage, done, total)

    monkeypatch.setattr(build_mod, "story_from", story)
    monkeypatch.setattr(build_mod.Progress, "update", update)
    result = build(BuildOptions(root=root, out=tmp_path / "site", search=False, progress=False, jobs=jobs))
    assert result.rendered_bodies == n and events.count("story") == n and events.count("chunk") == 3
    # each chunk's stories just before its progress report: the first chunk's before the last arrived
    assert events[:events.index("chunk")].count("story") in (build_mod.CHUNK, 5) and events[-1] == "chunk"


@pytest.mark.parametrize("jobs", [1, 2])
def test_article_pages_then_the_rest_go_to_one_set_of_workers(tmp_path, monkeypatch, jobs):
    """build.render_pages is given every page at once, article pages first: their bodies' HTML
    is let go (release_html) as soon as the last of them is written, before any other page is,
    and the same workers go on with the rest without a pause."""
    import archivegen.build as build_mod
    from archivegen.output import Staging
    from archivegen.workers import Workers

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    monkeypatch.setattr(build_mod, "PARALLEL_MIN_PAGES", 0)  # workers even for the sample's pages
    events: list[str] = []
    real_write, real_release, real_init = Staging.write, build_mod.release_html, Workers.__init__

    def write(self, rel, data, first=None):
        if rel.endswith(".html"):  # an article's page holds <article class="article">
            events.append("article" if b'<article class="article"' in data else "other")
        return real_write(self, rel, data, first)

    monkeypatch.setattr(Staging, "write", write)
    monkeypatch.setattr(build_mod, "release_html", lambda stories: events.append("release") or real_release(stories))
    monkeypatch.setattr(Workers, "__init__", lambda self, *a, **k: events.append("workers") or real_init(self, *a, **k))
    build(BuildOptions(root=root, out=tmp_path / "site", search=False, progress=False, jobs=jobs))
    pages = [e for e in events if e != "workers"]
    assert pages.count("release") == 1 and events.count("workers") == 2  # the bodies' and the pages'
    cut = pages.index("release")
    assert set(pages[:cut]) == {"article"} and set(pages[cut + 1:]) == {"other"}
    assert pages[:cut].count("article") == len(list((root / "content" / "articles").rglob("*.md")))


def test_listing_first_pages_say_which_year_they_show_and_months_have_names(sample_site: Path):
    obama = (sample_site / "people/barack-obama/index.html").read_text()
    assert re.search(r'<p class="showing">2014: 2 of 12 articles, newest first\.', obama)
    assert '<span class="sub">articles per year</span>' in obama  # the chart's heading says what it counts
    assert "more often than their overall number of articles would predict" in obama  # the order of "mentioned with"
    year = (sample_site / "people/barack-obama/2013/index.html").read_text()
    assert 'class="showing"' not in year  # a year page is all of its year
    month = (sample_site / "2013/08/index.html").read_text()
    assert "<title>Archive: August 2013 · " in month
    assert re.search(r'<a href="/2013/08/">August <span class="count">', (sample_site / "2013/index.html").read_text())


def test_an_entity_listed_only_in_front_matter_says_so(sample_site: Path):
    ban = (sample_site / "people/ban-ki-moon/index.html").read_text()
    assert "<dd>2 <span class=\"sub\">(1 listed in front matter, not named in the text)</span></dd>" in ban
    assert "Listed in the article’s front matter; not named in its text." in ban
    assert '<time datetime="1944-06-13">13 June 1944</time>' in ban  # the site's date format, not ISO
    # the newest article lists him in front matter only: his latest mention is the older one
    assert re.search(r"<dt>Latest mention</dt><dd><a href=\"/2013/09/14/[^\"]+\"><time[^>]*>14 September 2013<", ban)
    obama = (sample_site / "people/barack-obama/index.html").read_text()
    assert "listed in front matter" not in obama and "Listed in the article" not in obama


def test_former_and_current_countries_name_each_other_and_link_once_they_have_pages(make_archive, tmp_path):
    root = make_archive({"articles/a.md": article(body="The Soviet Union fell; Russia took its seat.")})
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    ussr = (out / "countries/soviet-union/index.html").read_text()
    assert "<dt>Official name</dt><dd>Union of Soviet Socialist Republics</dd>" in ussr
    succeeded = re.search(r"<dt>Succeeded by</dt><dd>(.*?)</dd>", ussr).group(1)
    assert succeeded.startswith('<a href="/countries/russia/">Russia</a>, Ukraine, ')  # Ukraine has no page yet
    russia = (out / "countries/russia/index.html").read_text()
    assert '<dt>Preceded by</dt><dd><a href="/countries/soviet-union/">Soviet Union</a></dd>' in russia
    # Ukraine's first article gives it a page: the Soviet Union's page (carried over until now) links it
    (root / "content/articles/b.md").write_text(article("Kyiv", "2014-01-01", body="Ukraine voted."))
    build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert '<a href="/countries/ukraine/">Ukraine</a>' in (out / "countries/soviet-union/index.html").read_text()


def test_listing_pages_describe_themselves(sample_site: Path):
    def description(rel: str) -> str:
        return re.search(r'<meta name="description" content="([^"]*)"', (sample_site / rel).read_text()).group(1)

    assert description("sections/world/index.html") == "4 articles in World, newest first"
    assert description("sections/world/2013/index.html") == "2 articles in World, 2013"
    assert description("2013/08/index.html") == "3 articles of August 2013"
    assert description("people/barack-obama/2013/index.html") == "8 articles mentioning Barack Obama in 2013"
    assert re.match(r"\d+ articles? tagged diplomacy, newest first$", description("tags/diplomacy/index.html"))


def test_root_files_are_copied_to_the_site_root_as_they_are(make_archive, tmp_path, capsys):
    """templates/root/: favicon.ico (the default theme's), a host's CNAME or _headers, verbatim."""
    root = make_archive({"articles/a.md": article()})
    (root / "templates/root/.well").mkdir(parents=True)
    (root / "templates/root/CNAME").write_text("archive.example.org\n")
    (root / "templates/root/_headers").write_text("/*\n  X-Frame-Options: DENY\n")
    (root / "templates/root/keep.html").write_text("{{ not a template }}\n")
    (root / "templates/root/.well/x").write_text("hidden\n")
    (root / "templates/root/notes.txt~").write_text("editor backup\n")
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet") == 0
    assert (out / "CNAME").read_text() == "archive.example.org\n"
    assert (out / "_headers").read_text() == "/*\n  X-Frame-Options: DENY\n"
    assert (out / "keep.html").read_text() == "{{ not a template }}\n"  # copied, never rendered
    assert not (out / ".well").exists() and not (out / "notes.txt~").exists()
    ico = (out / "favicon.ico").read_bytes()
    assert ico[:4] == b"\0\0\1\0" and int.from_bytes(ico[4:6], "little") == 2  # the theme's: 16 and 32 px
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in (out / "index.html").read_text()
    # an archive's own file wins over the theme's
    (root / "templates/root/favicon.ico").write_bytes(b"\0\0\1\0mine")
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet") == 0
    assert (out / "favicon.ico").read_bytes() == b"\0\0\1\0mine"


@pytest.mark.parametrize("rel", ["index.html", "feed.xml", "robots.txt", "people"])
def test_a_root_file_the_site_makes_itself_is_an_error(make_archive, tmp_path, capsys, rel):
    root = make_archive({"articles/a.md": article(body="John Kerry spoke."),
                         "people/john-kerry.md": "---\nname: John Kerry\n---\n"})
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet") == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (root / "templates/root").mkdir(parents=True)
    (root / "templates/root" / rel).write_text("mine\n")
    capsys.readouterr()
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet") == 1
    err = capsys.readouterr().err
    assert f"templates/root/{rel}: error: the site makes /{rel} itself" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
