"""The search index without a browser: shards, markup, manifest, reuse, --no-search."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from archivegen.output import Patch, Staging
from archivegen.search import (MAX_SHARD_PAGES, Shard, glob_on_disk, in_place_globs, indexed_region, plan_shards,
                               shard_glob)
from conftest import REPO, run_cli

SEED = "2013/08/09/us-russia-have-shared-interests-despite-gaps-kerry/index.html"


@pytest.fixture(scope="module")
def searchable(tmp_path_factory) -> Path:
    """The sample archive built with its search index (its own root, so its own cache)."""
    base = tmp_path_factory.mktemp("searchable")
    root = base / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = base / "site"
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    return out


def manifest(site: Path) -> dict:
    return json.loads((site / "pagefind" / "archive.json").read_text())


def test_shards_are_written_per_year_plus_entities(searchable):
    m = manifest(searchable)
    names = [s["name"] for s in m["shards"]]
    assert names[0] == "entities" and m["primary"] == "entities"
    months = sorted({p.relative_to(searchable).parts[:2] for p in searchable.glob("[12][0-9][0-9][0-9]/*/*/*/index.html")},
                    reverse=True)
    newest = months[0]
    years = sorted({y for y, m in months if (y, m) != newest}, reverse=True)
    # the newest month (one day here) is a shard of its own (a new article re-indexes only it), then one per year
    assert names[1:] == ["-".join(newest), *years]
    for s in m["shards"]:
        folder = searchable / "pagefind" / s["name"]
        assert (folder / "pagefind-entry.json").is_file()
        assert list(folder.glob("pagefind.*.pf_meta"))
        assert list((folder / "fragment").glob("*.pf_fragment"))
        entry = json.loads((folder / "pagefind-entry.json").read_text())
        assert sum(lang["page_count"] for lang in entry["languages"].values()) == s["pages"]
    # only the primary shard carries the engine; nobody carries Pagefind's unused UI bundles
    assert (searchable / "pagefind/entities/pagefind.js").is_file()
    assert list((searchable / "pagefind/entities").glob("wasm.*.pagefind"))
    for s in m["shards"][1:]:
        assert not (searchable / "pagefind" / s["name"] / "pagefind.js").exists()
        assert not list((searchable / "pagefind" / s["name"]).glob("wasm.*"))
    assert not list(searchable.glob("pagefind/**/pagefind-ui.js"))
    assert not (searchable / ".search-src").exists()


def test_entity_and_article_counts_match_the_site(searchable):
    m = manifest(searchable)
    by_kind = {k: sum(s["pages"] for s in m["shards"] if s["kind"] == k) for k in ("entities", "articles")}
    articles = [p for p in searchable.glob("[12][0-9][0-9][0-9]/*/*/*/index.html")
                if 'http-equiv="refresh"' not in p.read_text()]  # not the page at an old address
    entity_pages = [p for p in list(searchable.glob("people/*/index.html")) + list(searchable.glob("countries/*/index.html"))
                    if p.parent.name != "by-mentions"]
    assert by_kind["articles"] == len(articles)
    assert by_kind["entities"] == len(entity_pages)


def test_manifest_filter_values_use_display_names(searchable):
    f = manifest(searchable)["filters"]
    assert set(f) == {"person", "country", "section", "year"}
    people = dict(map(tuple, f["person"]))
    assert people.get("Sergei Lavrov", 0) >= 1 and people.get("John Kerry", 0) >= 1
    assert "Russia" in dict(map(tuple, f["country"]))
    assert "2013" in dict(map(tuple, f["year"]))
    assert all(isinstance(n, int) and n > 0 for values in f.values() for _, n in values)


def test_article_markup_carries_filters_meta_and_sort(searchable):
    html = (searchable / SEED).read_text()
    assert re.search(r'<article class="article" data-pagefind-body>', html)
    assert 'data-pagefind-filter="person">Sergei Lavrov<' in html
    assert 'data-pagefind-filter="person">John Kerry<' in html
    assert 'data-pagefind-filter="country">Russia<' in html
    assert 'data-pagefind-filter="section" data-pagefind-meta="section">World<' in html
    assert 'data-pagefind-filter="year:2013"' in html
    assert 'data-pagefind-meta="date[datetime]"' in html
    assert re.search(r'data-pagefind-sort="date:\d+"', html)
    # navigation and the entities box are not indexed (their filters still count)
    assert re.search(r'<aside class="entities-box"[^>]*data-pagefind-ignore', html)
    assert re.search(r'<footer class="article-footer"[^>]*data-pagefind-ignore', html)
    assert html.count("data-pagefind-body") == 1


def test_entity_page_is_weighted_and_links_to_a_search(searchable):
    html = (searchable / "people/sergei-lavrov/index.html").read_text()
    assert "data-pagefind-body" in html
    assert '<h1 data-pagefind-weight="10">Sergei Lavrov</h1>' in html
    assert 'data-pagefind-meta="kind">Person<' in html
    assert 'href="/search/?person=Sergei%20Lavrov"' in html
    assert manifest(searchable)["shards"][0]["weight"] > 1


def test_search_page_has_a_labelled_box_and_the_four_filters(searchable):
    html = (searchable / "search/index.html").read_text()
    assert '<label for="search-q">' in html and 'id="search-q"' in html
    for name in ("person", "country", "section", "year"):
        assert f'<label for="search-{name}">' in html and f'name="{name}"' in html
    assert 'data-bundle="/pagefind/"' in html and 'data-base="/"' in html
    assert (searchable / "static/search.js").is_file()


def test_no_search_writes_no_index(tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    assert run_cli("build", "--root", root, "--out", tmp_path / "site", "--no-search", "--quiet") == 0
    assert not (tmp_path / "site" / "pagefind").exists()
    assert (tmp_path / "site" / "search" / "index.html").is_file()
    assert not (root / ".cache" / "search").exists()


def test_sub_path_build_points_the_page_at_its_bundle(tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--base-url", "https://example.org/archive/", "--quiet") == 0
    html = (out / "search/index.html").read_text()
    assert 'data-bundle="/archive/pagefind/"' in html and 'data-base="/archive/"' in html
    assert (out / "pagefind/archive.json").is_file()


def _inodes(site: Path, shard: str) -> dict[str, int]:
    folder = site / "pagefind" / shard
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_rebuild_reindexes_only_the_changed_shard(tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    shards = [s["name"] for s in manifest(out)["shards"]]
    before = {s: _inodes(out, s) for s in shards}
    # a new paragraph in one 2014 article: only the 2014 shard's pages change what Pagefind reads
    path = next((root / "content/articles/2014").rglob("*.md"))
    path.write_text(path.read_text() + "\nAn archivist's note mentioning zygomorphic orchids.\n")
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    after = {s: _inodes(out, s) for s in shards}
    for s in shards:
        if s == "2014":
            assert after[s] != before[s]
        else:
            assert after[s] == before[s], f"shard {s} was rebuilt"
    fragments = [p.read_bytes() for p in (out / "pagefind/2014/fragment").glob("*.pf_fragment")]
    assert fragments  # compressed, so check through the index instead of the bytes
    state = json.loads((root / ".cache/search/shards.json").read_text())
    assert str(out.resolve()) in state["outs"]


def test_clean_or_missing_cache_rebuilds_everything(tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    before = _inodes(out, "2012")
    shutil.rmtree(root / ".cache")
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    after = _inodes(out, "2012")
    # Pagefind's output is not byte-reproducible (filter chunk names differ between runs),
    # one more reason to reuse unchanged shards instead of re-indexing them
    assert after and after != before
    assert (out / "pagefind/2012/pagefind-entry.json").is_file()


# -- planning, without Pagefind --------------------------------------------------------

def _model(dates: list[datetime], entities: int = 3):
    stories = [SimpleNamespace(date=d, url_path=f"{d:%Y/%m/%d}/s{i}/") for i, d in enumerate(dates)]
    stories.sort(key=lambda s: (s.date, s.url_path), reverse=True)
    ents = {f"people/p{i}": SimpleNamespace(entity=SimpleNamespace(url_path=f"people/p{i}/")) for i in range(entities)}
    return SimpleNamespace(stories=stories, entities=ents)


def test_plan_splits_big_years_into_months_and_days():
    utc = timezone.utc
    dates = [datetime(2001, 5, 1, tzinfo=utc)] * 3  # a small year
    dates += [datetime(2002, 1, 1, tzinfo=utc) + timedelta(hours=18 * i) for i in range(400)]  # ~40 a month in 2002
    dates += [datetime(2003, 3, 1 + i % 28, tzinfo=utc) for i in range(700)]  # one heavy month
    shards = plan_shards(_model(dates), max_pages=100)
    assert shards[0].kind == "entities" and len(shards[0].pages) == 3
    names = [s.name for s in shards[1:]]
    assert names[-1] == "2001"
    assert all(len(s.pages) <= 100 for s in shards)
    assert sum(len(s.pages) for s in shards[1:]) == len(dates)
    assert any(re.fullmatch(r"2002-\d\d", n) for n in names)
    assert any(re.fullmatch(r"2003-03-\d\d", n) for n in names)
    # date ranges never overlap and run newest first: the browser's date order depends on it
    arts = shards[1:]
    for newer, older in zip(arts, arts[1:]):
        assert older.end <= newer.start
    assert len({s.name for s in shards}) == len(shards)


def test_plan_single_and_defaults():
    utc = timezone.utc
    dates = [datetime(2000 + i % 3, 1, 1, tzinfo=utc) for i in range(9)]
    assert [s.name for s in plan_shards(_model(dates), "single")] == ["entities", "articles"]
    assert [s.name for s in plan_shards(_model(dates))] == ["entities", "2002-01", "2001", "2000"]
    dates.append(datetime(2002, 3, 5, tzinfo=utc))  # a new article opens a new month: its own shard
    assert [s.name for s in plan_shards(_model(dates))] == ["entities", "2002-03", "2002", "2001", "2000"]
    assert [s.name for s in plan_shards(_model(dates[:1]))] == ["entities", "2000"]  # one month in all: no split
    # a later day of that month: the newest day is a shard of its own beside the rest of its month
    dates += [datetime(2002, 3, 9, 8, tzinfo=utc), datetime(2002, 3, 9, 17, tzinfo=utc)]
    shards = plan_shards(_model(dates))
    assert [s.name for s in shards] == ["entities", "2002-03-09", "2002-03", "2002", "2001", "2000"]
    assert [len(s.pages) for s in shards[1:3]] == [2, 1]
    assert shards[1].start == "2002-03-09" and shards[2].end == "2002-03-05"
    assert MAX_SHARD_PAGES <= 5000  # peak memory per pagefind process grows faster than pages


def test_indexed_region_ignores_everything_outside_main():
    a = b"<html><nav>Old nav</nav><main id=m>Body</main><footer>x</footer></html>"
    b = b"<html><nav>New nav item</nav><main id=m>Body</main><footer>y</footer></html>"
    assert indexed_region(a) == indexed_region(b)
    assert indexed_region(b"no main here") == b"no main here"


def test_indexed_region_leaves_out_ignored_parts_unless_they_hold_values():
    page = ("<main><h1>France</h1><section data-pagefind-ignore><h2>Articles</h2><section><p>{n} articles</p>"
            "</section><ul><li>{latest}</li></ul></section><p>Bio</p>"
            "<aside data-pagefind-ignore><a data-pagefind-filter=\"country\">{c}</a></aside></main>")
    one = indexed_region(page.format(n=3, latest="A", c="France").encode())
    # the list and count changed (nested <section> included): same indexed region
    assert one == indexed_region(page.format(n=4, latest="B", c="France").encode())
    assert b"Bio" in one and b"articles" not in one
    # an ignored part holding a filter value still counts
    assert one != indexed_region(page.format(n=3, latest="A", c="Spain").encode())
    # markup it cannot follow: the whole region is hashed, never too little
    broken = b"<main><div data-pagefind-ignore><p>1 article</p></main>"
    assert b"1 article" in indexed_region(broken)


_MARKUP = st.lists(st.sampled_from([b"<", b">", b"</", b"<p", b"<div ", b"<a_b ", b"<1", b"<span", b" ", b"\n", b"\t", b"x",
                                     b"_", b"-", b"=", b'"', b"data-pagefind-ignore", b"data-pagefind-ignore-x",
                                     b"xdata-pagefind-ignore", b" data-pagefind-ignore", b' data-pagefind-ignore="all"',
                                     b"data-pagefind-filter", b"/>"]), max_size=30).map(b"".join)


@given(_MARKUP)
@example(b"<a <b data-pagefind-ignore>")
@example(b"<p>x> <a xdata-pagefind-ignore data-pagefind-ignore>")
@example(b"<p data-pagefind-ignore <i data-pagefind-ignore>>")
@settings(max_examples=500, deadline=None)
def test_ignored_tags_are_the_patterns_matches(markup):
    """The find-first scan for ignored elements gives what the pattern's finditer gives (speed, not rules)."""
    from archivegen.search import _IGNORED, _ignored_tags

    assert [m.span() for m in _ignored_tags(markup)] == [m.span() for m in _IGNORED.finditer(markup)]


# -- Pagefind reading a shard's pages in place (a glob instead of a folder of links) ----

def _files(base: Path, rels) -> None:
    for rel in rels:
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text("x")


def _pages(*dates_slugs: str) -> list[str]:
    return [f"{d}/{slug}/index.html" for d, slug in (x.rsplit("/", 1) for x in dates_slugs)]


def test_a_year_shard_is_a_glob_with_a_literal_first_folder(tmp_path):
    shard = Shard("2015", "articles", _pages("2015/03/22/a", "2015/03/22/b", "2015/11/02/c"))
    glob, pattern = shard_glob(shard)
    assert glob == "2015/{03,11}/{02,22}/*/index.html"
    _files(tmp_path, shard.pages + ["2015/index.html", "2015/03/index.html", "2015/03/22/index.html",
                                    "2014/03/22/d/index.html", "2015/03/22/a/photo.jpg", "people/x/index.html"])
    assert glob_on_disk(tmp_path, pattern) == set(shard.pages)
    _files(tmp_path, ["2015/11/22/e/index.html"])  # a day the glob's product names too
    assert glob_on_disk(tmp_path, pattern) == set(shard.pages) | {"2015/11/22/e/index.html"}


def test_shards_without_a_common_first_folder_or_with_odd_names_keep_the_link_folder():
    entities = Shard("entities", "entities", ["people/a/index.html", "countries/b/index.html"])
    assert shard_glob(entities) is None  # the walk would cover the whole site
    assert shard_glob(Shard("x", "articles", ["2015/03/22/a/index.html", "2015/03/b/index.html"])) is None
    assert shard_glob(Shard("x", "articles", ["2015/0{3}/22/a/index.html"])) is None  # glob syntax in a folder name
    assert shard_glob(Shard("x", "articles", [])) is None
    # the page's own folder may be any slug: it is matched by *, and checked against the files
    assert shard_glob(Shard("x", "articles", ["2015/03/22/ünï{c}/index.html"]))[0] == "2015/03/22/*/index.html"


def test_in_place_only_when_the_glob_matches_exactly_the_pages_in_the_folder(tmp_path):
    year = Shard("2015", "articles", _pages("2015/03/22/a", "2015/04/01/b"))
    day = Shard("2016-01-02", "articles", _pages("2016/01/02/c"))
    month = Shard("2016-01", "articles", _pages("2016/01/01/d"))
    entities = Shard("entities", "entities", ["people/p/index.html", "countries/q/index.html"])
    _files(tmp_path, year.pages + day.pages + month.pages + entities.pages
           + ["2015/index.html", "2015/03/index.html", "2015/03/22/a/photo.jpg", "static/style.css"])
    (tmp_path / "2015/03/22/empty-folder").mkdir()
    staging = SimpleNamespace(dir=tmp_path, holds_every_page=True)
    assert in_place_globs([year, day, month, entities], staging) == {
        "2015": "2015/{03,04}/{01,22}/*/index.html", "2016-01-02": "2016/01/02/*/index.html",
        "2016-01": "2016/01/01/*/index.html"}
    # a deleted article's page still in a synced buffer, in the shard's day: back to the link folder
    _files(tmp_path, ["2015/03/22/deleted/index.html"])
    assert in_place_globs([year, day], staging) == {"2016-01-02": "2016/01/02/*/index.html"}
    # a page of the shard that is not there (yet): no glob either
    assert in_place_globs([Shard("2017", "articles", _pages("2017/01/01/z"))], staging) == {}
    # a folder that is not known to hold every page (the preview server's patch folder)
    assert in_place_globs([day], SimpleNamespace(dir=tmp_path)) == {}
    assert in_place_globs([day], SimpleNamespace(dir=tmp_path, holds_every_page=False)) == {}


def test_the_build_staging_folder_holds_every_page_and_the_patch_folder_does_not(tmp_path):
    assert Staging.holds_every_page is True
    assert Patch.holds_every_page is False


def test_a_shards_files_are_scanned_apart_and_recorded_after(tmp_path):
    """scan_tree (run in each shard's thread) links the published copy of an unchanged file in
    its place and records nothing; take_tree then counts the files, as adopt_tree always did."""
    out = tmp_path / "site"
    (out / "pagefind/2015/fragment").mkdir(parents=True)
    (out / "pagefind/2015/fragment/a.pf_fragment").write_bytes(b"same")
    (out / "pagefind/2015/index.pf").write_bytes(b"old")
    staging = Staging(out, fresh=True)
    (staging.dir / "pagefind/2015/fragment").mkdir(parents=True)
    (staging.dir / "pagefind/2015/fragment/a.pf_fragment").write_bytes(b"same")
    (staging.dir / "pagefind/2015/index.pf").write_bytes(b"new")
    (staging.dir / "pagefind/2015/new.pf").write_bytes(b"x")
    found = staging.scan_tree("pagefind/2015")
    assert sorted(found) == [("pagefind/2015/fragment/a.pf_fragment", True), ("pagefind/2015/index.pf", False),
                             ("pagefind/2015/new.pf", False)]
    assert not staging.paths and not staging.changed and staging.stats.written == staging.stats.kept == 0
    same = staging.dir / "pagefind/2015/fragment/a.pf_fragment"
    assert same.stat().st_ino == (out / "pagefind/2015/fragment/a.pf_fragment").stat().st_ino
    staging.take_tree(found)
    assert staging.paths == {rel for rel, _ in found}
    assert sorted(staging.changed) == ["pagefind/2015/index.pf", "pagefind/2015/new.pf"]
    assert (staging.stats.written, staging.stats.kept) == (2, 1)
    # a shard the site has no folder for (a cold build): every file found, none compared
    (staging.dir / "pagefind/2016/fragment/deeper").mkdir(parents=True)
    for rel in ("index.pf", "fragment/b.pf_fragment", "fragment/deeper/c"):
        (staging.dir / "pagefind/2016" / rel).write_bytes(b"x")
    assert sorted(staging.scan_tree("pagefind/2016")) == [
        ("pagefind/2016/fragment/b.pf_fragment", False), ("pagefind/2016/fragment/deeper/c", False),
        ("pagefind/2016/index.pf", False)]
    staging.abort()


def test_deleting_an_article_reindexes_its_shard_without_its_page(tmp_path):
    """The synced buffer still holds the deleted page while Pagefind runs; the shard must not index it."""
    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    victim = root / "content/articles/2012/11/a-second-story-that-day.md"  # its day folder keeps another page
    victim.write_text("---\ntitle: A second story that day\ndate: 2012-11-07\n---\n\nQuiet corridors.\n")
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    # a second build that changes something swaps the sites and keeps the old one as the buffer
    other = next((root / "content/articles/2013").rglob("*.md"))
    other.write_text(other.read_text() + "\nA later note.\n")
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    assert (out.parent / ".site.staging").is_dir()
    assert (out / "2012/11/07/a-second-story-that-day/index.html").is_file()
    victim.unlink()
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    m = manifest(out)
    pages_2012 = list(out.glob("2012/*/*/*/index.html"))
    shard = next(s for s in m["shards"] if s["name"] == "2012")
    entry = json.loads((out / "pagefind/2012/pagefind-entry.json").read_text())
    assert shard["pages"] == len(pages_2012) == sum(lang["page_count"] for lang in entry["languages"].values())
    assert not (out.parent / ".site.staging" / ".search-src").exists()


def test_region_hashes_taken_by_the_page_workers_equal_those_of_the_written_pages(tmp_path, monkeypatch):
    """The search stage takes each rendered page's hash from the page workers instead of reading
    the page back; both must agree, or an unchanged shard would be re-indexed (or a changed one not)."""
    import archivegen.search as search

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = tmp_path / "site"
    read_back: list[str] = []
    real_read = search.RegionHashes._read
    monkeypatch.setattr(search.RegionHashes, "_read", lambda self, rel: (read_back.append(rel), real_read(self, rel))[1])
    assert run_cli("build", "--root", root, "--out", out, "--quiet", "--jobs", "2") == 0
    assert read_back == []  # no page was read back
    recorded = json.loads((root / ".cache/search/pages.json").read_text())["outs"][str(out.resolve())]
    pages = [p.relative_to(out).as_posix() for p in out.rglob("index.html")
             if b"data-pagefind-body" in p.read_bytes()]
    assert pages and set(pages) <= set(recorded)
    for rel in pages:
        assert recorded[rel][1] == search.region_hash((out / rel).read_bytes()), rel


@pytest.mark.parametrize("old, new", [("index.html", "nothing.html"),  # Pagefind fails: no pages
                                      ("/*/index.html", "/[a-m]*/index.html")])  # some pages only
def test_an_in_place_run_that_indexes_other_pages_is_redone_from_the_link_folder(tmp_path, monkeypatch, old, new):
    """A glob that Pagefind reads otherwise than the build's own check must not fail the build
    or publish a shard without some of its pages."""
    import archivegen.search as search

    real = search.in_place_globs
    monkeypatch.setattr(search, "in_place_globs",
                        lambda todo, staging: {name: g.replace(old, new) for name, g in real(todo, staging).items()})
    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--quiet") == 0
    for s in manifest(out)["shards"]:
        entry = json.loads((out / "pagefind" / s["name"] / "pagefind-entry.json").read_text())
        assert sum(lang["page_count"] for lang in entry["languages"].values()) == s["pages"] > 0


_CPU_STEPS = """
import os, sys, threading, time
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # a thread made before any move
for step in sys.argv[1:]:
    what, _, path = step.partition("=")
    if what == "report":
        print(",".join(map(str, sorted(os.sched_getaffinity(0)))), flush=True)
    elif what == "touch":
        open(path, "w").close()
    else:
        while not os.path.exists(path):
            time.sleep(0.01)
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs CPU affinity and two CPUs")
def test_pagefind_processes_running_together_get_cpu_shares_of_their_own(tmp_path):
    """search.CpuShares: a process alone has every CPU; two at once have one share each, every
    thread of them (a thread started before the move too); the one left alone gets all back."""
    import sys
    import threading

    from archivegen.search import CpuShares

    shares = CpuShares(slots=2)
    every = ",".join(map(str, shares.cpus))
    alone, beside, reported, second_ended = (str(tmp_path / n) for n in ("alone", "beside", "reported", "ended"))
    results: dict[str, list[str]] = {}

    def run(name: str, *steps: str) -> None:
        done = shares.run([sys.executable, "-c", _CPU_STEPS, *steps], timeout=60)
        assert done.returncode == 0, done.stderr
        results[name] = done.stdout.split()

    first = threading.Thread(target=run, args=("first", "report", f"touch={alone}", f"wait={beside}", "report",
                                               f"touch={reported}", f"wait={second_ended}", "report"))
    first.start()
    for _ in range(3000):  # up to 30 s
        if Path(alone).exists() or not first.is_alive():
            break
        first.join(0.01)
    run("second", "report", f"touch={beside}", f"wait={reported}")
    Path(second_ended).touch()
    first.join()
    assert results["first"][0] == every  # alone
    assert {results["first"][1], results["second"][0]} == {",".join(map(str, s)) for s in shares.shares}
    assert results["first"][2] == every  # alone again
    assert len(shares.shares) == 2 and not set(shares.shares[0]) & set(shares.shares[1])


def test_cpu_shares_without_affinity_run_plainly(monkeypatch):
    import sys

    from archivegen.search import CpuShares

    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    shares = CpuShares()
    assert shares.shares == []
    done = shares.run([sys.executable, "-c", "print('ok')"], timeout=60)
    assert (done.returncode, done.stdout) == (0, "ok\n")


def test_largest_shards_are_indexed_first(tmp_path, monkeypatch):
    """Pagefind gets the shards largest first, so the small ones (newest day and month,
    entities) fill the end instead of one process finishing a year's shard alone."""
    import archivegen.search as search
    from archivegen.build import BuildOptions, build

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    started = _record_pagefind_runs(monkeypatch)
    build(BuildOptions(root=root, out=tmp_path / "site", progress=False, jobs=1))
    shards = {s["name"]: s["pages"] for s in manifest(tmp_path / "site")["shards"]}
    sizes = [shards[name] for event, name, _ in started if event == "start"]
    assert len(sizes) == len(shards) > 2
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_shards_glob_is_checked_whichever_thread_checks_it(tmp_path, monkeypatch, jobs):
    """The first shards' globs are checked on the building thread, the others' on their own
    threads: every shard is checked once, and only those whose glob does not fit (the entities,
    with no common first folder; a year holding an old address's redirect page) get a folder
    of links."""
    import archivegen.search as search
    from archivegen.build import BuildOptions, build

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    checked: list[str] = []
    in_place: set[str] = set()
    farms: list[str] = []
    real_globs, real_farm = search.in_place_globs, search._link_farm

    def globs(todo, staging):
        found = real_globs(todo, staging)
        checked.extend(s.name for s in todo)
        in_place.update(found)
        return found

    monkeypatch.setattr(search, "in_place_globs", globs)
    monkeypatch.setattr(search, "_link_farm", lambda shard, *a: farms.append(shard.name) or real_farm(shard, *a))
    build(BuildOptions(root=root, out=tmp_path / "site", progress=False, jobs=jobs))
    names = [s["name"] for s in manifest(tmp_path / "site")["shards"]]
    assert sorted(checked) == sorted(names) and len(names) > jobs + 2
    assert sorted(farms) == sorted(set(names) - in_place) and "entities" in farms and len(in_place) >= 3


def test_a_shard_that_fails_before_its_turn_does_not_hold_up_the_others(tmp_path, monkeypatch):
    """Pagefind starts in the planned order (``Indexing._run``): a shard whose own thread fails
    before its turn (here, checking its glob) passes its turn on, and the build ends with the
    error instead of waiting forever."""
    import threading

    import archivegen.search as search
    from archivegen.build import BuildOptions, build

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    real = search.in_place_globs
    calls: list[str] = []

    def failing(todo, staging):
        calls.append(todo[0].name)
        if len(calls) == 2:  # the first on the building thread; then the first on a shard's own
            raise OSError("the disk went away")
        return real(todo, staging)

    monkeypatch.setattr(search, "in_place_globs", failing)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            build(BuildOptions(root=root, out=tmp_path / "site", progress=False, jobs=1))
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test looks at what ended the build
            outcome.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(120)
    assert not t.is_alive(), "the build waited forever for a shard that had failed"
    assert outcome and outcome[0] is not None and "the disk went away" in str(outcome[0])
    assert not (tmp_path / "site").exists()


def _record_pagefind_runs(monkeypatch, delay: float = 0.0) -> list[tuple[str, str, float]]:
    """Record ("start" | "end", shard name, time) of every Pagefind process the build runs,
    each made ``delay`` seconds longer."""
    import archivegen.search as search

    events: list[tuple[str, str, float]] = []
    real = search.CPU_SHARES

    class Recording:
        def run(self, cmd, timeout):
            name = Path(cmd[cmd.index("--output-path") + 1]).name
            events.append(("start", name, time.monotonic()))
            try:
                time.sleep(delay)
                return real.run(cmd, timeout)
            finally:
                events.append(("end", name, time.monotonic()))

    monkeypatch.setattr(search, "CPU_SHARES", Recording())
    return events


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_next_shard_starts_while_the_last_ones_files_are_taken(tmp_path, monkeypatch, jobs):
    """search.Indexing keeps one thread more than Pagefind processes: the spare one starts the
    next shard the moment a process ends, while that shard's thread takes its files into the
    site (``Staging.finish_pages``, slowed down here, though less than Pagefind is); no more
    than ``jobs`` run at once, and they start in the order planned."""
    from archivegen.build import BuildOptions, build
    from archivegen.output import Staging

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    events = _record_pagefind_runs(monkeypatch, delay=0.25)
    real = Staging.finish_pages

    def slow(self, rels=None):
        if rels is not None:  # a shard's pages, on its thread (without: at the commit)
            time.sleep(0.1)
            events.append(("taken", "", time.monotonic()))
        return real(self, rels)

    monkeypatch.setattr(Staging, "finish_pages", slow)
    build(BuildOptions(root=root, out=tmp_path / "site", progress=False, jobs=jobs))
    events.sort(key=lambda e: e[2])
    shards = {s["name"]: s["pages"] for s in manifest(tmp_path / "site")["shards"]}
    names = [name for event, name, _ in events if event == "start"]
    assert sorted(names) == sorted(shards) and len(names) > jobs + 1
    sizes = [shards[name] for name in names]
    assert sizes == sorted(sizes, reverse=True)
    running = most = 0
    for event, _, _ in events:
        running += {"start": 1, "end": -1}.get(event, 0)
        most = max(most, running)
    assert most == jobs
    if jobs == 1:  # every shard but the first started as the one before it ended, its files not yet taken
        kinds = [event for event, _, _ in events]
        after_ends = [kinds[i + 1] for i, event in enumerate(kinds) if event == "end" and i + 1 < len(kinds)]
        assert after_ends.count("start") == len(names) - 1, kinds


# -- search copies ------------------------------------------------------------------

def _index_contents(site: Path) -> tuple[dict[str, dict], dict[str, bytes]]:
    """What Pagefind wrote, decoded: each page's fragment (text, filters, meta, sort,
    anchors) by URL, and each shard's word index. Filter files are left out: Pagefind
    orders their entries differently from run to run; the fragments hold each page's filters."""
    import gzip

    fragments: dict[str, dict] = {}
    words: dict[str, bytes] = {}
    for shard in sorted((site / "pagefind").iterdir()):
        if not shard.is_dir():
            continue
        for f in shard.glob("fragment/*.pf_fragment"):
            raw = gzip.decompress(f.read_bytes())
            doc = json.loads(raw[raw.index(b"{"):])
            fragments[doc["url"]] = doc
        words[shard.name] = b"".join(gzip.decompress(f.read_bytes()) for f in sorted(shard.glob("index/*.pf_index")))
    return fragments, words


def _site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*")
            if p.is_file() and "pagefind" not in p.relative_to(site).parts[:1] and p.name != ".archivegen-site"}


def test_pagefind_indexes_search_copies_as_the_pages_and_the_site_keeps_the_pages(tmp_path, monkeypatch):
    """Pages are staged as their search copies while Pagefind reads them (search.search_copy):
    the published pages, fragments and word index equal those of a build that stages the
    pages themselves, in a cold build and in an incremental one."""
    from archivegen import search
    from archivegen.build import BuildOptions, build

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    staged: list[str] = []  # pages staged as their copies
    set_aside = Staging._set_aside

    def counting(self, rel, dest, data):
        staged.append(rel)
        set_aside(self, rel, dest, data)

    monkeypatch.setattr(Staging, "_set_aside", counting)

    def built(out: Path, copies: bool, clean: bool) -> None:
        monkeypatch.setattr(search, "SEARCH_COPIES", copies)
        staged.clear()
        build(BuildOptions(root=root, out=out, clean=clean, progress=False))
        assert not (out.parent / f".{out.name}.aside").exists()

    built(tmp_path / "copies", True, True)
    fragments, _ = _index_contents(tmp_path / "copies")
    assert len(fragments) > 20 and any("/people/" in u for u in fragments)
    assert len(staged) == len(fragments)  # every indexed page was read as its copy
    built(tmp_path / "pages", False, True)
    assert staged == []
    assert _site_files(tmp_path / "copies") == _site_files(tmp_path / "pages")
    assert _index_contents(tmp_path / "copies") == _index_contents(tmp_path / "pages")

    seed = root / "content/articles/2013/08/us-russia-have-shared-interests-despite-gaps-kerry.md"
    seed.write_text(seed.read_text() + "\nThe talks were to resume in Geneva next week.\n")
    built(tmp_path / "copies", True, False)  # incremental: one shard re-indexed, the others kept
    assert staged
    built(tmp_path / "pages", False, True)
    assert _site_files(tmp_path / "copies") == _site_files(tmp_path / "pages")
    assert _index_contents(tmp_path / "copies") == _index_contents(tmp_path / "pages")


def test_a_search_copy_is_the_html_tag_the_title_and_main():
    from archivegen.search import search_copy

    page = (b'<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><title>T \xc3\xa9</title>'
            b'<link rel="stylesheet" href="/s.css"></head><body><header>nav</header>'
            b'<main id="main"><article data-pagefind-body><h1>H</h1></article></main><footer>f</footer></body></html>')
    copy = search_copy(page)
    assert copy == (b'<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><title>T \xc3\xa9</title></head>'
                    b'<body><main id="main"><article data-pagefind-body><h1>H</h1></article></main></body></html>\n')
    assert len(copy) < len(page)
    upper = b'<HTML LANG="de"><HEAD><TITLE>T</TITLE></HEAD><BODY><MAIN DATA-PAGEFIND-BODY>x</MAIN></BODY></HTML>'
    assert search_copy(upper) == (b'<!doctype html>\n<HTML LANG="de"><head><meta charset="utf-8"><TITLE>T</TITLE>'
                                  b'</head><body><MAIN DATA-PAGEFIND-BODY>x</MAIN></body></html>\n')


@pytest.mark.parametrize("page", [
    b'<html><head><meta data-pagefind-meta="image[content]" content="x"></head><body><main data-pagefind-body></main></body></html>',
    b'<html><body><main data-pagefind-body></main><footer data-pagefind-filter="x:y"></footer></body></html>',
    b'<html><body><main data-pagefind-body></main><main></main></body></html>',
    b'<html><body><mainly></mainly><main data-pagefind-body></main></body></html>',
    b'<html><body><main data-pagefind-body></main></main></body></html>',
    b'<html><body><div data-pagefind-body></div></body></html>',
    b'<body><main data-pagefind-body></main></body>',
    b'<html><head><title>never closed</head><body><main data-pagefind-body></main></body></html>',
    b'<html><body><header><h1>Site</h1></header><main data-pagefind-body><h1>T</h1></main></body></html>',
    b'<html><body><header><IMG src="logo.png"></header><main data-pagefind-body></main></body></html>',
    b'<html><body><main data-pagefind-body></main><MAIN></MAIN></body></html>',
    b'<html><head><title lang="en">T</head><body><main data-pagefind-body></main></body></html>',
])
def test_no_search_copy_when_pagefind_may_read_outside_one_main(page):
    """Anything Pagefind might read outside the one <main> (an attribute of its own, another
    <main>, a first <h1> or <img> for its automatic title and image, no <html> tag to take
    the language from): the page is indexed as it is."""
    from archivegen.search import search_copy

    assert search_copy(page) is None


def test_staged_copies_become_the_pages_at_commit_and_nothing_is_left_beside(tmp_path):
    """A page staged as its copy whose shard was never indexed (a theme marking a listing
    searchable) still gets its own bytes when the site is swapped in."""
    out = tmp_path / "site"
    staging = Staging(out)
    assert staging.write("a/index.html", b"<html>the page itself, longer</html>", b"<html>copy</html>")
    staging.write("b/index.html", b"<html>short</html>", b"<html>a copy that is longer</html>")
    staging.write("c/index.html", b"<html>plain</html>")
    assert (staging.dir / "a/index.html").read_bytes() == b"<html>copy</html>"
    staging.finish_pages(["a/index.html"])
    assert (staging.dir / "a/index.html").read_bytes() == b"<html>the page itself, longer</html>"
    assert (tmp_path / ".site.aside").exists()
    staging.commit(build_id="x")
    assert (out / "a/index.html").read_bytes() == b"<html>the page itself, longer</html>"
    assert (out / "b/index.html").read_bytes() == b"<html>short</html>"
    assert (out / "c/index.html").read_bytes() == b"<html>plain</html>"
    assert not (tmp_path / ".site.aside").exists()

    (tmp_path / ".site.aside").write_bytes(b"left by a killed build")
    again = Staging(out)
    assert not (tmp_path / ".site.aside").exists()
    again.write("a/index.html", b"<html>new</html>", b"<html>c</html>")
    again.abort()
    assert not (tmp_path / ".site.aside").exists()


def test_no_search_copies_without_positioned_reads_and_writes(tmp_path, monkeypatch):
    """Windows has no os.pread: pages are staged as they are, and the build works."""
    from archivegen.build import BuildOptions, build

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    monkeypatch.delattr(os, "pread")
    staged: list[str] = []
    monkeypatch.setattr(Staging, "_set_aside", lambda self, rel, dest, data: staged.append(rel))
    build(BuildOptions(root=root, out=tmp_path / "site", progress=False))
    assert staged == []
    assert b"site-footer" in (tmp_path / "site" / SEED).read_bytes()
    assert manifest(tmp_path / "site")["shards"]


def test_pagefind_runs_with_huge_pages_asked_for_and_takes_the_setting(tmp_path, monkeypatch):
    """search.pagefind_env: jemalloc inside the real Pagefind binary accepts the setting (it
    names every setting it rejects on stderr), and a setting of the user's is kept."""
    import subprocess

    from archivegen import search

    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    env = search.pagefind_env()
    assert env["_RJEM_MALLOC_CONF"] == search.PAGEFIND_MALLOC_CONF
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text('<!doctype html><html lang="en"><head><title>A</title></head>'
                                           '<body><main data-pagefind-body><h1>Kerry</h1><p>Talks in Moscow.</p>'
                                           '</main></body></html>')
    bad = subprocess.run([str(search.pagefind_binary()), "--site", str(site), "--silent"], capture_output=True,
                         text=True, env=dict(env, _RJEM_MALLOC_CONF="no_such_setting:1"), timeout=120)
    assert "<jemalloc>" in bad.stderr  # how a rejected setting shows
    shutil.rmtree(site / "pagefind")
    r = subprocess.run([str(search.pagefind_binary()), "--site", str(site), "--silent"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0 and "<jemalloc>" not in r.stderr, r.stderr
    assert (site / "pagefind" / "pagefind-entry.json").is_file()
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "")
    assert search.pagefind_env()["_RJEM_MALLOC_CONF"] == ""


def test_the_build_runs_every_pagefind_in_that_environment(tmp_path, monkeypatch):
    from archivegen import search

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    seen: list[str] = []
    real = search.pagefind_env

    def spy() -> dict[str, str]:
        env = real()
        seen.append(env["_RJEM_MALLOC_CONF"])
        return env

    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    monkeypatch.setattr(search, "pagefind_env", spy)
    assert run_cli("build", "--root", root, "--out", tmp_path / "site", "--quiet") == 0
    shards = manifest(tmp_path / "site")["shards"]
    assert len(seen) == len(shards) > 1 and set(seen) == {search.PAGEFIND_MALLOC_CONF}


def test_first_shards_old_index_is_cleared_before_their_threads_start(tmp_path, monkeypatch):
    """search.Indexing deletes the previous index of the shards it starts first on the building
    thread: in a pool thread each unlink waited for the feeds to let go of the interpreter
    lock, and an add-one build's Pagefind started 0.2 s late."""
    import archivegen.search as search
    from archivegen.build import BuildOptions, build

    root = tmp_path / "archive"
    shutil.copytree(REPO / "content", root / "content")
    opts = BuildOptions(root=root, out=tmp_path / "site", progress=False, jobs=2)
    newest = max((root / "content" / "articles").rglob("*.md"))

    def add(n: int) -> None:
        text = newest.read_text(encoding="utf-8")
        (newest.parent / f"added-{n}.md").write_text(text.replace("\ntitle:", f"\ntitle: Added {n} -", 1),
                                                      encoding="utf-8")

    build(opts)
    add(1)
    build(opts)  # the first build after a cold one links the site into its staging folder
    add(2)
    found: dict[str, bool] = {}
    real = search._index_shard

    def recording(shard, staging, *args, **kwargs):
        found[shard.name] = (staging.dir / "pagefind" / shard.name).exists()
        return real(shard, staging, *args, **kwargs)

    monkeypatch.setattr(search, "_index_shard", recording)
    result = build(opts)
    assert found, "no shard was indexed again"
    assert not any(found.values()), f"old index still there when its thread started: {found}"
    assert (result.out / "pagefind" / "archive.json").is_file()
