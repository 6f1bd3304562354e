"""Publishing: Atom feeds, sitemap and robots.txt, head metadata, JSON-LD, `check`, deploy recipes."""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from archivegen import sitemap
from archivegen.linkcheck import check_site
from conftest import REPO, article, copy_sample, run_cli

feedparser = pytest.importorskip("feedparser", reason="feedparser is a test dependency: pip install -e '.[test]'")

SEED = "2013/08/09/us-russia-have-shared-interests-despite-gaps-kerry/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def build(root: Path, out: Path, *extra: str) -> Path:
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet", *extra) == 0
    return out


def json_ld(html: str) -> list[dict]:
    return [json.loads(block) for block in LD_RE.findall(html)]


def read(site: Path, url: str) -> str:
    return (site / (url if url.endswith((".html", ".xml", ".txt")) else url + "index.html")).read_text()


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory):
    """The sample archive built for two different hosts and paths."""
    base = tmp_path_factory.mktemp("hosts")
    a = build(REPO, base / "a", "--base-url", "https://news.example.org/")
    b = build(REPO, base / "b", "--base-url", "http://mirror.example.net/old/archive/")
    return a, b


# -- feeds ---------------------------------------------------------------------

def test_site_feed_is_valid_atom_with_latest_articles(sample_site):
    d = feedparser.parse((sample_site / "feed.xml").read_bytes())
    assert not d.bozo, d.get("bozo_exception")
    assert d.version == "atom10"
    assert d.feed.title and d.feed.id.startswith("tag:")
    articles = list((REPO / "content" / "articles").rglob("*.md"))
    assert 0 < len(d.entries) <= 50 and len(d.entries) <= len(articles)
    dates = [e.published_parsed for e in d.entries]
    assert dates == sorted(dates, reverse=True), "newest first"
    # <updated> of the feed is the newest entry's, never the build time
    assert d.feed.updated_parsed == max(e.updated_parsed for e in d.entries)
    seed = [e for e in d.entries if e.link.endswith(SEED)]
    assert seed and seed[0].title == "US, Russia have shared interests despite gaps: Kerry"
    assert "content" in seed[0] and "<p>" in seed[0].content[0].value  # full body in the site feed


@pytest.mark.parametrize("folder", ["people/john-kerry/", "countries/russia/", "sections/world/", "tags/diplomacy/"])
def test_entity_section_and_tag_feeds_parse(sample_site, folder):
    d = feedparser.parse((sample_site / folder / "feed.xml").read_bytes())
    assert not d.bozo, d.get("bozo_exception")
    assert d.entries, f"{folder}feed.xml has no entries"
    assert d.feed.id.endswith(":feed/" + folder.strip("/"))
    self_links = [l.href for l in d.feed.links if l.rel == "self"]
    assert self_links and self_links[0].endswith(folder + "feed.xml")


def test_every_person_and_country_page_has_a_feed(sample_site):
    for kind in ("people", "countries"):
        for page in (sample_site / kind).glob("*/index.html"):
            if page.parent.name == "by-mentions":
                continue
            assert (page.parent / "feed.xml").is_file(), f"no feed for {page.parent}"


def test_a_story_has_one_summary_entry_in_every_feed_and_its_body_in_the_site_feed(sample_site):
    """Summary entries are written once per story and reused (feeds.FeedWriter._entry): the same
    bytes wherever the story is listed, and the site feed still carries the whole body."""
    def entry(folder):
        text = (sample_site / folder / "feed.xml").read_text()
        found = [e for e in re.findall(r"  <entry>\n.*?  </entry>\n", text, re.S) if SEED in e]
        assert len(found) == 1, folder
        return found[0]

    listed = [entry(f) for f in ("people/john-kerry/", "countries/russia/", "sections/world/")]
    assert listed[0] == listed[1] == listed[2] and "<content" not in listed[0]
    assert "<content" in entry("") and entry("").replace("<content", "").count("<summary") == 1


def test_feed_ids_survive_a_move_to_another_host(two_hosts):
    a, b = two_hosts
    for rel in ("feed.xml", "people/john-kerry/feed.xml", "tags/diplomacy/feed.xml"):
        fa, fb = (feedparser.parse((s / rel).read_bytes()) for s in (a, b))
        assert fa.feed.id == fb.feed.id
        assert [e.id for e in fa.entries] == [e.id for e in fb.entries]
        assert [e.link for e in fa.entries] != [e.link for e in fb.entries]  # the links did move
        assert all(e.id.startswith("tag:") and "example" not in e.id for e in fa.entries)
    entry = next(e for e in feedparser.parse((b / "feed.xml").read_bytes()).entries if e.link.endswith(SEED))
    assert entry.link == "http://mirror.example.net/old/archive/" + SEED
    assert entry.id.endswith(",2013-08-09:us-russia-have-shared-interests-despite-gaps-kerry")


def test_rebuild_writes_byte_identical_feeds_and_sitemap(tmp_path):
    one = build(REPO, tmp_path / "one")
    two = build(REPO, tmp_path / "two")
    for rel in ("feed.xml", "people/john-kerry/feed.xml", "sitemap.xml", "robots.txt"):
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel


def test_an_added_article_renders_only_the_feeds_it_joins(tmp_path, monkeypatch):
    """Feeds are fingerprinted: unchanged ones are taken from the published site, not rendered."""
    from archivegen import feeds

    root = copy_sample(tmp_path / "archive")
    out = build(root, tmp_path / "site")
    rendered: list[str] = []
    real = feeds.FeedWriter.render

    def counting(self, **kw):
        rendered.append(kw["path"])
        return real(self, **kw)

    monkeypatch.setattr(feeds.FeedWriter, "render", counting)
    build(root, out)  # nothing changed: no feed rendered
    assert rendered == []
    (root / "content/articles/2014/12/fresh.md").parent.mkdir(parents=True, exist_ok=True)
    (root / "content/articles/2014/12/fresh.md").write_text(
        article(title="Fresh", date="2014-12-30", section="Security", body="Talks with France went on."))
    build(root, out)
    assert sorted(rendered) == ["", "countries/france/", "sections/security/"]
    clean = build(root, tmp_path / "clean", "--clean")
    for rel in ("feed.xml", "countries/france/feed.xml", "sections/security/feed.xml", "people/john-kerry/feed.xml"):
        assert (out / rel).read_bytes() == (clean / rel).read_bytes(), rel
    rendered.clear()
    (root / "archive.yaml").write_text("title: Renamed Archive\n")  # every feed names the site
    build(root, out)
    assert len(rendered) == len(list(out.rglob("feed.xml")))


def test_feed_escapes_hostile_values(make_archive, tmp_path):
    title = 'Tom & Jerry <b>say</b> "hi" </script>\x07'
    root = make_archive({"articles/a.md": article(title=title.replace('"', '\\"').replace("\x07", ""), body="A & B <i>x</i>",
                                                   tags='["a&b"]')})
    out = build(root, tmp_path / "site")
    d = feedparser.parse((out / "feed.xml").read_bytes())
    assert not d.bozo, d.get("bozo_exception")
    assert d.entries[0].title == title.replace("\x07", "")


# -- sitemap and robots.txt ----------------------------------------------------

def test_sitemap_lists_every_page_with_lastmod(sample_site):
    root = ET.parse(sample_site / "sitemap.xml").getroot()
    assert root.tag == SM + "urlset"
    entries = {u.find(SM + "loc").text: u.find(SM + "lastmod").text for u in root.findall(SM + "url")}
    assert all(loc.startswith(("http://", "https://")) for loc in entries)
    for mod in entries.values():
        datetime.fromisoformat(mod)
    base = next(iter(entries)).rstrip("/") + "/"  # the front page comes first
    # every page that is its own canonical address: not those at an article's old address
    # (redirect_from), which only send readers on, nor a listing's newest year page, whose
    # articles its first page lists (it names that page as canonical)
    canonical = {}
    for p in sample_site.rglob("index.html"):
        text = p.read_text()
        if 'http-equiv="refresh"' not in text:
            canonical[base + p.relative_to(sample_site).as_posix()[: -len("index.html")]] = \
                re.search(r'<link rel="canonical" href="([^"]+)"', text).group(1)
    assert len(canonical) < len(list(sample_site.rglob("index.html")))  # the sample has a redirect
    expected = {url for url, to in canonical.items() if url == to}
    assert set(entries) == expected
    copies = {url: to for url, to in canonical.items() if url != to}
    assert base + "people/barack-obama/2014/" in copies and base + "people/barack-obama/2013/" not in copies
    assert all(to in entries and url.startswith(to) for url, to in copies.items())
    assert base + "404.html" not in entries
    # an old archive page keeps its own date; the front page has the newest
    assert entries[base + "2012/"] < entries[base + "2014/"] <= entries[base]
    assert entries[base + SEED].startswith("2013-08-09")


def test_robots_txt_points_to_the_sitemap(sample_site):
    robots = (sample_site / "robots.txt").read_text()
    assert "User-agent: *" in robots
    line = [l for l in robots.splitlines() if l.startswith("Sitemap: ")]
    assert line and line[0].endswith("/sitemap.xml") and "://" in line[0]


def test_sitemap_index_past_the_url_limit():
    urls = [f"p{i}/" for i in range(5)]
    when = datetime.fromisoformat("2013-08-09T00:00:00+00:00")
    files = sitemap.sitemap_files(lambda u: "https://x.example/" + u, urls, {u: when for u in urls}, when, max_urls=2)
    assert sorted(files) == ["sitemap.xml", "sitemaps/sitemap-1.xml", "sitemaps/sitemap-2.xml", "sitemaps/sitemap-3.xml"]
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == SM + "sitemapindex"
    assert [s.find(SM + "loc").text for s in index] == [f"https://x.example/sitemaps/sitemap-{n}.xml" for n in (1, 2, 3)]
    parts = [ET.fromstring(files[f"sitemaps/sitemap-{n}.xml"]) for n in (1, 2, 3)]
    assert sum(len(p) for p in parts) == 5
    assert sitemap.MAX_URLS == 50_000


def test_no_host_means_no_sitemap_and_a_warning(make_archive, tmp_path, capsys):
    root = make_archive({"articles/a.md": article(), "archive.yaml": "base_url: /archive/\n"})
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--no-search") == 0
    err = capsys.readouterr().err
    assert "sitemap.xml was not written" in err and "base_url" in err
    assert not (out / "sitemap.xml").exists()
    robots = (out / "robots.txt").read_text()
    assert "Sitemap:" not in robots
    html = read(out, "")
    assert 'rel="canonical"' not in html and "og:url" not in html  # both need an absolute URL
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/archive/feed.xml"' in html


# -- head metadata and JSON-LD -------------------------------------------------

def test_canonical_open_graph_and_autodiscovery(two_hosts):
    a, _ = two_hosts
    html = read(a, SEED)
    assert f'<link rel="canonical" href="https://news.example.org/{SEED}">' in html
    assert f'<meta property="og:url" content="https://news.example.org/{SEED}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="article:published_time" content="2013-08-09' in html
    assert '<meta name="twitter:card"' in html
    assert 'type="application/atom+xml" title="World Affairs Archive" href="/feed.xml"' in html or \
        re.search(r'type="application/atom\+xml" title="[^"]+" href="/feed.xml"', html)
    person = read(a, "people/john-kerry/")
    assert 'href="/people/john-kerry/feed.xml"' in person
    assert 'href="/sections/world/feed.xml"' in read(a, "sections/world/")
    assert 'href="/tags/diplomacy/feed.xml"' in read(a, "tags/diplomacy/2013/")
    nf = read(a, "404.html")
    assert '<meta name="robots" content="noindex">' in nf and 'rel="canonical"' not in nf


def test_news_article_json_ld(two_hosts):
    a, _ = two_hosts
    (data,) = json_ld(read(a, SEED))
    assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
    assert data["headline"] == "US, Russia have shared interests despite gaps: Kerry"
    assert data["datePublished"].startswith("2013-08-09") and data["dateModified"].startswith("2013-08-09")
    assert data["author"] and data["publisher"]["@type"] == "Organization" and data["publisher"]["name"]
    assert data["mainEntityOfPage"] == "https://news.example.org/" + SEED
    linked = data.get("about", []) + data.get("mentions", [])
    kerry = [e for e in linked if e["name"] == "John Kerry"]
    assert kerry and kerry[0]["@type"] == "Person"
    assert kerry[0]["url"] == "https://news.example.org/people/john-kerry/"
    assert kerry[0]["sameAs"] == "https://www.wikidata.org/wiki/Q22316"
    russia = [e for e in linked if e["name"] == "Russia"]
    assert russia and russia[0]["@type"] == "Country" and russia[0]["sameAs"].endswith("/Q159")


def test_person_and_country_json_ld(two_hosts):
    a, _ = two_hosts
    (person,) = json_ld(read(a, "people/john-kerry/"))
    assert person["@type"] == "Person" and person["name"] == "John Kerry"
    assert person["sameAs"] == ["https://www.wikidata.org/wiki/Q22316"]
    assert person["url"] == "https://news.example.org/people/john-kerry/"
    (country,) = json_ld(read(a, "countries/russia/"))
    assert country["@type"] == "Country" and country["sameAs"] == ["https://www.wikidata.org/wiki/Q159"]
    (site,) = json_ld(read(a, ""))
    assert site["@type"] == "WebSite" and "{search_term_string}" in site["potentialAction"]["target"]


def test_json_ld_is_safe_against_script_end_tags(make_archive, tmp_path):
    title = 'Breaking </script><script>alert("x")</script> & <!-- news'
    person = "---\nname: Jane Doe\ndescription: 'Editor </script><script>alert(1)</script>'\nwikidata: Q42\n---\nBio.\n"
    root = make_archive({
        "articles/a.md": article(title=title.replace('"', '\\"'), body="Jane Doe said so.", people="[jane-doe]",
                                 authors='["A </SCRIPT> B"]'),
        "people/jane-doe.md": person,
        "archive.yaml": "base_url: https://example.org/\n",
    })
    out = build(root, tmp_path / "site")
    pages = [p for p in out.rglob("index.html")]
    art = next(p for p in pages if "/2013/08/09/" in p.as_posix())
    html = art.read_text()
    blocks = LD_RE.findall(html)
    assert len(blocks) == 1
    assert "</script" not in blocks[0].lower() and "<!--" not in blocks[0]
    data = json.loads(blocks[0])
    assert data["headline"] == title
    assert data["author"] == [{"@type": "Person", "name": "A </SCRIPT> B"}]
    assert any(e["name"] == "Jane Doe" for e in data.get("about", []) + data.get("mentions", []))
    person_html = read(out, "people/jane-doe/")
    (pdata,) = json_ld(person_html)
    assert pdata["description"] == "Editor </script><script>alert(1)</script>"
    assert "<script>alert" not in person_html


# -- archivegen check ----------------------------------------------------------

def test_check_passes_on_the_sample_archive(capsys):
    assert run_cli("check", "--root", REPO) == 0
    assert "every internal link resolves" in capsys.readouterr().out


def test_check_reports_broken_links_where_they_are_written(make_archive, capsys):
    root = make_archive({
        "articles/a.md": article(body="Intro.\n\nSee [the other one](/2099/01/01/nothing/) and [here](#nowhere)."),
        "templates/404.html": '{% extends "base.html" %}{% block main %}<h1>Lost</h1>'
                              '<p><a href="{{ url(\'no-such-page/\') }}">home</a> <a href="#main">top</a></p>{% endblock %}',
    })
    assert run_cli("check", "--root", root) == 1
    err = capsys.readouterr().err
    # a template's link: at the built page, with a hint that a template made it
    assert re.search(r"^404\.html(:\d+)?: broken link /no-such-page/ \(no such page or file\)\n"
                     r"    hint: the link is on the built page /404\.html and comes from a template", err, re.M)
    # an article's links: at the line of its Markdown source (line 1 is the front matter's ---)
    body_line = (root / "content/articles/a.md").read_text().splitlines().index(
        "See [the other one](/2099/01/01/nothing/) and [here](#nowhere).") + 1
    assert f"content/articles/a.md:{body_line}: error: broken link /2099/01/01/nothing/ (no such page or file)" in err
    assert f'content/articles/a.md:{body_line}: error: broken link #nowhere (no element with id "nowhere"' in err
    assert "a-headline/index.html" not in err  # the built page (in a folder gone by now) is not what to fix
    assert "broken link #main " not in err  # a good anchor is not reported
    assert re.search(r"archivegen check: \d+ broken links?", err)


def test_check_reports_a_front_matter_image_at_its_line(make_archive, capsys):
    """An image the front matter names is the article's link, not a template's."""
    root = make_archive({
        "articles/a.md": article(image="\n  src: /images/kerry.jpg\n  alt: Kerry"),
        "articles/b.md": article(title="Other", image="{src: /images/other.jpg, alt: x}"),
    })
    assert run_cli("check", "--root", root) == 1
    err = capsys.readouterr().err
    assert "content/articles/a.md:5: error: broken link /images/kerry.jpg (no such page or file)" in err
    assert "content/articles/b.md:4: error: broken link /images/other.jpg (no such page or file)" in err
    assert "from a template" not in err


def test_check_reports_a_front_matter_image_at_its_line_under_a_sub_path(make_archive, capsys):
    """The theme puts a front-matter image under base_url's path (/images/x.jpg is built as
    /archive/images/x.jpg) and reads a relative one from the site's root: either is the article's."""
    root = make_archive({
        "articles/a.md": article(image="\n  src: /images/kerry.jpg\n  alt: Kerry"),
        "articles/b.md": article(title="Other", image="{src: images/other.jpg, alt: x}"),
    })
    assert run_cli("check", "--root", root, "--base-url", "https://user.github.io/archive/") == 1
    err = capsys.readouterr().err
    assert "content/articles/a.md:5: error: broken link /archive/images/kerry.jpg (no such page or file)" in err
    assert "content/articles/b.md:4: error: broken link /archive/images/other.jpg (no such page or file)" in err
    assert "from a template" not in err


def test_check_reports_content_errors(make_archive, capsys):
    root = make_archive({"articles/a.md": article(people="[nobody-known]")})
    assert run_cli("check", "--root", root) == 1
    assert "nobody-known" in capsys.readouterr().err


def test_link_checker_under_a_sub_path(tmp_path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "static").mkdir()
    (site / "static" / "s.css").write_text("")
    (site / "index.html").write_text('<link rel="stylesheet" href="/arch/static/s.css"><a href="a/#x">a</a>'
                                     '<a href="https://ex.org/arch/a/">abs</a><a href="https://other.org/">ext</a>'
                                     '<a href="/elsewhere/">out</a><a href="a/#y">bad</a>')
    (site / "a" / "index.html").write_text('<h2 id="x">x</h2><a href="../">up</a><a href="../missing.html">m</a>')
    broken = check_site(site, "/arch/", "https://ex.org/arch/")
    got = sorted((b.page, b.url) for b in broken)
    assert got == [("a/index.html", "../missing.html"), ("index.html", "/elsewhere/"), ("index.html", "a/#y")]


def test_link_checker_leaves_the_hosts_other_sites_alone(tmp_path):
    """Under a sub-path, an absolute URL on the same host but outside the site's path is another
    site there (GitHub Pages: user.github.io/other-repo/), not a broken page of this one; a
    path-only link outside it is still this site's mistake."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<a href="https://ex.org/other-repo/">sibling</a><a href="https://ex.org/">host</a>'
                                     '<img src="https://ex.org/kerry.jpg" alt=""><a href="https://ex.org/arch">us</a>'
                                     '<a href="https://ex.org/arch/nope/">bad</a><a href="/other-repo/">slip</a>')
    broken = check_site(site, "/arch/", "https://ex.org/arch/")
    assert sorted(b.url for b in broken) == ["/other-repo/", "https://ex.org/arch/nope/"]


# -- deploy recipes ------------------------------------------------------------

DEPLOY = REPO / "docs" / "deploy"


def _commands(text: str) -> str:
    """The shell commands of a script: comments dropped, continuation lines joined."""
    lines = [l for l in text.splitlines() if not l.lstrip().startswith("#")]
    return re.sub(r"\s+", " ", " ".join(lines).replace("\\ ", " "))


def test_github_pages_workflow_builds_caches_and_deploys():
    wf = yaml.safe_load((DEPLOY / "github-pages.yml").read_text())
    jobs = wf["jobs"]
    steps = [s for job in jobs.values() for s in job.get("steps", [])]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "archivegen build" in runs
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache@") for u in uses)
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert ".cache" in cache["with"]["path"]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"


def test_netlify_and_cloudflare_configs_call_archivegen_build():
    netlify = tomllib.loads((DEPLOY / "netlify.toml").read_text())
    assert "archivegen build" in netlify["build"]["command"] and netlify["build"]["publish"] == "site"
    wrangler = tomllib.loads((DEPLOY / "wrangler.toml").read_text())
    assert wrangler["pages_build_output_dir"] == "site"
    cf = (DEPLOY / "cloudflare-pages-build.sh").read_text()
    assert "archivegen build" in _commands(cf) and "20000" in cf
    wf = yaml.safe_load((DEPLOY / "cloudflare-pages.yml").read_text())
    steps = wf["jobs"]["publish"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "archivegen build" in runs
    assert any(".cache" in s.get("with", {}).get("path", "") for s in steps if s.get("uses", "").startswith("actions/cache@"))
    deploy = next(s for s in steps if s.get("uses", "").startswith("cloudflare/wrangler-action@"))
    assert deploy["with"]["command"].startswith("pages deploy site")


def _config_lines(text: str) -> list[str]:
    """A recipe's lines without comments, blank lines or trailing spaces: what docs/deploy.md shows."""
    lines = (re.sub(r"\s+#\s.*$", "", l).rstrip() for l in text.splitlines())
    return [l for l in lines if l.strip() and not l.lstrip().startswith("#")]


def test_deploy_md_shows_the_recipe_files_as_they_are():
    """Each recipe docs/deploy.md prints is the file in docs/deploy/ (or a part of it), comments aside."""
    doc = (REPO / "docs" / "deploy.md").read_text()
    files = {p.name: _config_lines(p.read_text()) for p in DEPLOY.iterdir()}
    blocks = re.findall(r"^```(?:yaml|toml|bash)\n(.*?)^```", doc, re.S | re.M)
    assert len(blocks) >= 6
    for block in blocks:
        shown = _config_lines(block)
        if len(shown) < 3:  # the one-line base_url example
            continue
        assert any(any(lines[i:i + len(shown)] == shown for i in range(len(lines))) for lines in files.values()), \
            f"docs/deploy.md shows a recipe that no file in docs/deploy/ holds:\n{block}"


def test_ci_recipes_check_the_site_they_build():
    """check gets the build's --base-url: an article's /2013/... link breaks only under the sub-path."""
    wf = yaml.safe_load((DEPLOY / "github-pages.yml").read_text())
    runs = [s.get("run", "") for s in wf["jobs"]["build"]["steps"]]
    check = next(r for r in runs if r.startswith("archivegen check"))
    build = next(r for r in runs if r.startswith("archivegen build"))
    assert check.split("check", 1)[1] == build.split("build", 1)[1] and "--base-url" in check
    command = tomllib.loads((DEPLOY / "netlify.toml").read_text())["build"]["command"]
    assert 'archivegen check --base-url "$URL/" && archivegen build --base-url "$URL/"' in command
    for name in ("cloudflare-pages-build.sh", "rsync-deploy.sh", "s3-deploy.sh"):
        text = _commands((DEPLOY / name).read_text())
        assert "archivegen check" in text and text.index("archivegen check") < text.index("archivegen build"), name


def test_rsync_and_s3_scripts_build_then_upload():
    for name, tool in (("rsync-deploy.sh", "rsync "), ("s3-deploy.sh", "aws s3 sync")):
        raw = (DEPLOY / name).read_text()
        text = _commands(raw)
        assert raw.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
        assert "archivegen build" in text and tool in text
        assert text.index("archivegen build") < text.index(tool)


@pytest.mark.parametrize("script, env, tool", [
    ("rsync-deploy.sh", {"DEST": "user@host:/var/www/archive/"}, "rsync"),
    ("s3-deploy.sh", {"BUCKET": "s3://my-archive", "DISTRIBUTION": "E123"}, "aws"),
    ("cloudflare-pages-build.sh", {}, None),
])
def test_deploy_scripts_run_end_to_end(make_archive, tmp_path, script, env, tool):
    """Each script runs for real on a small archive; the network tools are stand-ins that log their calls."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    root = make_archive({"articles/a.md": article(), "archive.yaml": "base_url: https://example.org/\n"})
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "calls.log"
    for name in ("rsync", "aws"):
        (fake / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        (fake / name).chmod(0o755)
    # pip install is a no-op stand-in too: archivegen is already installed in this environment
    (fake / "python").write_text(f'#!/bin/sh\nif [ "$1 $2 $3" = "-m pip install" ]; then exit 0; fi\nexec "{sys.executable}" "$@"\n')
    (fake / "python").chmod(0o755)
    bindir = Path(sys.executable).parent
    environment = dict(os.environ, PATH=f"{fake}:{bindir}:{os.environ.get('PATH', '')}", **env)
    proc = subprocess.run(["bash", str(DEPLOY / script)], cwd=root, env=environment, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (root / "site" / "index.html").is_file() and (root / "site" / "sitemap.xml").is_file()
    if tool:
        calls = log.read_text().splitlines()
        assert calls and all(c.startswith(tool) for c in calls)
        assert any("site/" in c for c in calls)
        if tool == "rsync":
            assert "--delete" in calls[-1] and "--delete" not in calls[0]
        else:
            assert calls[-1].startswith("aws cloudfront create-invalidation")


def test_site_id_keeps_feed_ids_when_the_title_changes(make_archive, tmp_path):
    root = make_archive({"articles/a.md": article(), "archive.yaml": "title: Old Name\n"})
    old = feedparser.parse((build(root, tmp_path / "one") / "feed.xml").read_bytes())
    (root / "archive.yaml").write_text("title: New Name\nsite_id: old-name\n")
    new = feedparser.parse((build(root, tmp_path / "two") / "feed.xml").read_bytes())
    assert old.feed.id == new.feed.id == "tag:old-name,2000:feed"
    assert [e.id for e in old.entries] == [e.id for e in new.entries] == ["tag:old-name,2013-08-09:a-headline"]


def test_check_lists_ambiguous_mentions_it_left_unlinked(make_archive, capsys):
    root = make_archive({
        "articles/a.md": article(body="Talks began.\n\nJordan said the *talks* went well.\n\nSo did Jordan."),
        "people/michael-jordan.md": "---\nname: Michael Jordan\n---\n",
    })
    assert run_cli("check", "--root", root) == 0  # a note, not an error
    captured = capsys.readouterr()
    # at the line of the body that holds it (front matter: lines 1-4, body from line 5)
    assert re.search(r'content/articles/a\.md:7: note: "Jordan" left unlinked .*countries/jordan', captured.err)
    assert re.findall(r'a\.md:(\d+): note: "Jordan"', captured.err) == ["7", "9"]  # each at its own line
    assert "2 ambiguous mentions left unlinked" in captured.out


def test_check_notes_a_declined_mention_at_its_line_past_markup_that_hides_the_name(make_archive, capsys):
    """An image's alt text, an HTML comment and a link's address hold the name too, but the
    linker never reads them: the note is at the line of the text that does (body from line 5)."""
    root = make_archive({
        "articles/a.md": article(body="![Jordan at dusk](https://example.org/jordan.jpg)\n\n<!-- Jordan -->\n\n"
                                      "See [the map](https://example.org/Jordan).\n\nJordan said the talks went well."),
        "people/michael-jordan.md": "---\nname: Michael Jordan\n---\n",
    })
    assert run_cli("check", "--root", root) == 0
    assert re.findall(r'content/articles/a\.md:(\d+): note: "Jordan" left unlinked', capsys.readouterr().err) == ["11"]


def test_check_says_which_namesake_it_linked_and_why(make_archive, capsys):
    root = make_archive({
        "articles/a.md": article(body="Intro.\n\nNASA thanked Michael Collins for Apollo 11 and the Moon."),
        "people/michael-collins.md": "---\nname: Michael Collins\n---\nHe flew Apollo 11 round the Moon.\n",
        "people/michael-collins-2.md": "---\nname: Michael Collins\n---\nAn Irish leader.\n",
    })
    assert run_cli("check", "--root", root) == 0
    err = capsys.readouterr().err
    assert ('content/articles/a.md:7: note: "Michael Collins" linked to people/michael-collins, not '
            'people/michael-collins-2: the article names Apollo, Moon, as their biography does') in err
    assert run_cli("check", "--root", root, "--no-declined") == 0
    assert "linked to" not in capsys.readouterr().err


def test_structured_data_fields_are_included_only_when_known():
    """structured.py builds the JSON-LD head_meta.html shows; fields appear only with a value,
    in a fixed order, with the entities the front matter lists as 'about'."""
    from datetime import date, datetime, timezone
    from types import SimpleNamespace as NS

    from archivegen import structured

    site = NS(title="Archive", description="D", language="en", publisher="")
    abs_url = lambda p: "https://x.org/" + p  # noqa: E731
    kerry = NS(kind="person", name="John Kerry", url_path="people/john-kerry/", wikidata="Q22316",
               id="john-kerry", key="people/john-kerry")
    russia = NS(kind="country", name="Russia", url_path="countries/russia/", wikidata=None, id="russia",
                key="countries/russia")
    when = datetime(2013, 8, 9, tzinfo=timezone.utc)
    art = NS(title="T", date=when, updated=None, authors=[], source="Reuters", section="World", tags=["a", "b"],
             original_url="https://src.example/1", publication="Wire", people=["john-kerry"], countries=[])
    story = NS(summary="S", word_count=12)
    data = structured.news_article(site, abs_url, art, story, [{"entity": kerry}, {"entity": russia}],
                                   "https://x.org/i.jpg", "2013/08/09/t/")
    assert list(data)[:4] == ["@context", "@type", "headline", "datePublished"]
    assert data["author"] == [{"@type": "Organization", "name": "Reuters"}]
    assert data["publisher"] == {"@type": "Organization", "name": "Archive", "url": "https://x.org/"}
    assert data["image"] == ["https://x.org/i.jpg"] and data["keywords"] == "a, b" and data["wordCount"] == 12
    assert data["isBasedOn"] == "https://src.example/1" and data["sourceOrganization"]["name"] == "Wire"
    assert data["about"] == [{"@type": "Person", "name": "John Kerry", "url": "https://x.org/people/john-kerry/",
                              "sameAs": "https://www.wikidata.org/wiki/Q22316"}]
    assert data["mentions"] == [{"@type": "Country", "name": "Russia", "url": "https://x.org/countries/russia/"}]
    bare = structured.news_article(site, abs_url, NS(**{**art.__dict__, "source": None, "section": None, "tags": [],
                                                        "original_url": None, "publication": None, "people": []}),
                                   NS(summary="", word_count=0), [], "", "p/")
    assert bare["author"] == [bare["publisher"]]
    desk = structured.news_article(site, abs_url, NS(**{**art.__dict__, "authors": ["Foreign Desk", "Ann Lee",
                                                                           "Reuters staff"]}),
                                   story, [], "", "p/")
    assert [a["@type"] for a in desk["author"]] == ["Organization", "Person", "Organization"]
    assert not {"image", "keywords", "isBasedOn", "about", "mentions", "description", "wordCount"} & set(bare)
    person = NS(kind="person", name="A B", url_path="people/a-b/", description="", aliases=[], wikidata=None,
                born=date(1900, 1, 2), died=date(1980, 3, 4), iso2=None, iso3=None)
    p = structured.entity(abs_url, person, "", "people/a-b/")
    assert (p["birthDate"], p["deathDate"]) == ("1900-01-02", "1980-03-04") and "image" not in p
    c = structured.entity(abs_url, NS(**{**russia.__dict__, "description": "", "aliases": ["RF"], "born": None,
                                         "died": None, "iso2": "RU", "iso3": "RUS"}), "", "countries/russia/")
    assert [i["value"] for i in c["identifier"]] == ["RU", "RUS"] and c["alternateName"] == ["RF"]
