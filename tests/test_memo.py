"""The build memo (.cache/memo.json): parsed articles and their stories kept
between command-line builds so an add-one build reads neither every article
nor every cached body again (archivegen/memo.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from archivegen import memo
from archivegen.build import BuildOptions, Warm, build
from archivegen.cache import Cache
from archivegen.content import Article

from safety import art, small_archive, snapshot, write


def article(**kw) -> Article:
    base = dict(path="content/articles/a.md", title="T", date=datetime(2013, 8, 9, 10, 0, tzinfo=ZoneInfo("Europe/London")),
                slug="t", body="Body text.", body_line=5, digest="d" * 64, tags=["x"], key_lines={"title": 2})
    base.update(kw)
    return Article(**base)


def test_articles_round_trip_with_their_time_zone():
    for a in (article(), article(date=datetime(2013, 8, 9, 10, 0, tzinfo=timezone(timedelta(hours=-5))),
                                 updated=datetime(2014, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo")),
                                 image={"src": "a.jpg", "alt": "A"}, extra={"desk": "foreign", "n": 3})):
        d = memo.article_to_json(a)
        assert d is not None
        back = memo.article_from_json(d)
        assert back == replace(a, body="")
        assert back.date.tzinfo == a.date.tzinfo  # the zone itself, not only the offset
        assert back.date.utcoffset() == a.date.utcoffset()
        assert back.url_path == a.url_path and back.image == a.image and back.extra == a.extra


def test_an_article_that_would_not_come_back_equal_is_not_remembered():
    from datetime import date

    assert memo.article_to_json(article(extra={"when": date(2013, 1, 1)})) is None  # JSON would make it a string
    assert memo.article_to_json(article(extra={"pair": (1, 2)})) is None  # and this a list


def build_once(root: Path, out: Path):
    return build(BuildOptions(root=root, out=out, search=False, jobs=1, progress=False))


@pytest.mark.parametrize("child", [True, False])
def test_the_memo_spares_unchanged_articles_and_equals_a_clean_build(tmp_path, monkeypatch, child):
    """child=False: a large archive, whose memo the build writes itself instead of a forked child."""
    import archivegen.build as build_module

    monkeypatch.setattr(build_module, "MEMO_CHILD_MAX_ARTICLES", 1_000 if child else 0)
    root = small_archive(tmp_path / "archive", articles=5)
    out = tmp_path / "site"
    build_once(root, out)
    assert (root / ".cache/memo.json").is_file()
    remembered = memo.load(Cache(root), Warm)
    assert len(remembered.articles) == 5 and len(remembered.stories) == 5
    # one article added: only its body is rendered, the others come from the memo
    write(root, "content/articles/2013/article-9.md", art(title='"A new one"', date="2013-09-09"))
    r = build_once(root, out)
    assert r.rendered_bodies == 1
    clean = tmp_path / "clean"
    build(BuildOptions(root=root, out=clean, search=False, jobs=1, clean=True, progress=False))
    a, b = snapshot(out), snapshot(clean)
    a.pop(".archivegen-site"), b.pop(".archivegen-site")
    assert a == b


def test_a_corrupt_memo_is_ignored(tmp_path):
    root = small_archive(tmp_path / "archive")
    out = tmp_path / "site"
    build_once(root, out)
    (root / ".cache/memo.json").write_bytes(b"garbage\n{}")
    assert memo.load(Cache(root), Warm).articles == {}
    write(root, "content/articles/2013/article-1.md", art(title='"Changed"', date="2013-08-02"))
    build_once(root, out)
    assert "Changed" in (out / "2013/08/02/changed/index.html").read_text()


def test_a_touched_file_is_read_again_and_a_stale_body_html_is_never_shown(tmp_path):
    root = small_archive(tmp_path / "archive")
    out = tmp_path / "site"
    build_once(root, out)
    p = root / "content/articles/2013/article-0.md"
    p.write_text(p.read_text().replace("John Kerry spoke", "John Kerry wrote"))
    build_once(root, out)
    assert "John Kerry</a> wrote" in (out / "2013/08/01/talks-day-0/index.html").read_text()


def test_a_lost_body_cache_entry_is_rendered_again(tmp_path):
    """The memo names a story whose cached body is gone: its page is rendered from the source."""
    import shutil

    root = small_archive(tmp_path / "archive")
    out = tmp_path / "site"
    build_once(root, out)
    shutil.rmtree(root / ".cache/bodies")
    (out / "2013/08/02/talks-day-1/index.html").unlink()  # so that page must be rendered again
    write(root, "content/articles/2013/article-9.md", art(title='"A new one"', date="2013-09-09"))
    build_once(root, out)
    assert "John Kerry</a> spoke on day 1." in (out / "2013/08/02/talks-day-1/index.html").read_text()


def test_a_forgotten_body_is_cut_from_the_file_and_must_still_match(tmp_path):
    """With the memo the source is given up; a registry change reads the body
    back from the file without parsing the front matter, and a file that
    changed since it was loaded stops the build instead of being used."""
    import pytest

    from archivegen.build import _text_of, load
    from archivegen.errors import BuildFailed

    root = small_archive(tmp_path / "archive")
    write(root, "content/articles/2013/crlf.md", "---\r\ntitle: CRLF\r\ndate: 2013-09-01\r\n---\r\nOne\r\ntwo\r\n")
    write(root, "content/articles/2013/empty.md", "---\ntitle: Empty\ndate: 2013-09-02\n---")
    loaded = load(root, need_theme=False)
    for a in loaded.articles:
        assert _text_of(loaded, replace(a, body="")) == a.body
    a = loaded.articles[0]
    (root / a.path).write_text((root / a.path).read_text() + "\nAdded later.\n")
    with pytest.raises(BuildFailed) as failed:
        _text_of(loaded, replace(a, body=""))
    assert "changed while the build ran" in failed.value.problems[0].message


def test_released_body_html_comes_back_from_the_cache_or_a_re_render():
    from archivegen.model import Html

    calls: list[str] = []
    h = Html("k", "<p>kept</p>")
    h.release()  # no way to get it again: kept
    assert str(h) == "<p>kept</p>"
    h = Html("k", "<p>kept</p>", lambda: calls.append("cache") or "<p>cached</p>",
             lambda: calls.append("render") or "<p>x</p>")
    h.release()
    assert str(h) == "<p>cached</p>" and calls == ["cache"]
    h = Html("k", "<p>kept</p>", lambda: calls.append("cache") or None, lambda: calls.append("render") or "<p>again</p>")
    h.release()
    assert str(h) == "<p>again</p>" and calls == ["cache", "cache", "render"]


def test_a_build_releases_the_bodies_and_feeds_still_carry_them(tmp_path: Path):
    """After the pages the body HTML is dropped (memory); the site feed, written later, reads it back."""
    root = small_archive(tmp_path)
    write(root, "archive.yaml", "feed_size: 1\n")
    for clean in (False, True):  # with the body cache, and without (--clean: rendered again)
        out = tmp_path / f"site-{clean}"
        r = build(BuildOptions(root=root, out=out, search=False, progress=False, clean=clean))
        stories = sorted((p.full_context()["story"] for p in r.state.article_pages.values()), key=lambda st: st.date)
        assert len(stories) == 3
        assert all(st.html._markup is None for st in stories[:-1])  # released
        assert stories[-1].html._markup is not None  # the site feed's one entry read it back
        feed = (out / "feed.xml").read_text()
        assert stories[-1].article.title in feed and "&lt;p&gt;" in feed  # with its full body
        body = str(stories[0].html)  # read back on demand: the very HTML its page shows
        assert body.startswith("<p>") and body in (out / stories[0].url_path / "index.html").read_text()


def test_fields_left_at_their_default_are_not_written():
    d = memo.article_to_json(article())
    assert d is not None
    assert "tags" in d and "authors" not in d and "draft" not in d and "updated" not in d and "image" not in d
    assert memo.article_from_json(d) == replace(article(), body="")
    kept = memo.article_to_json(article(draft=True, authors=["A. Writer"]))
    assert kept["draft"] is True and kept["authors"] == ["A. Writer"]


def test_unchanged_entries_are_written_back_as_they_were_read(tmp_path):
    """save() copies an unchanged entry's line from the memo it read (cut out only when
    saving); the result must equal a memo written afresh from the same state."""
    import json

    root = small_archive(tmp_path / "archive", articles=4)
    out = tmp_path / "site"
    build_once(root, out)
    path = root / ".cache/memo.json"
    before = path.read_text("utf-8").splitlines()[1:-1]
    write(root, "content/articles/2013/article-9.md", art(title='"A new one"', date="2013-09-09"))
    build_once(root, out)
    after = path.read_text("utf-8").splitlines()[1:-1]
    kept = {line.rstrip(",").lstrip("[").rstrip("]") for line in before}
    now = {line.rstrip(",").lstrip("[").rstrip("]") for line in after}
    assert len(now - kept) == 2  # the new article's entry and its story's
    assert kept <= now
    cache = Cache(root)
    state = memo.load(cache, Warm)
    memo._lines.clear()
    memo._read_text.clear()  # nothing to copy from: every entry is written anew
    fresh_root = tmp_path / "fresh"
    (fresh_root / ".cache").mkdir(parents=True)
    memo.save(Cache(fresh_root), state)
    assert json.loads((fresh_root / ".cache/memo.json").read_text("utf-8").split("\n", 1)[1].rsplit("\n", 1)[0]) == \
        json.loads(path.read_text("utf-8").split("\n", 1)[1].rsplit("\n", 1)[0])


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=12), min_size=1, max_size=8))
def test_old_lines_are_the_lines_of_the_text(lines):
    """save() takes unchanged entries' lines by number from the text as read (memo._OldLines),
    without splitting it into a second copy: the same lines as a split."""
    raw = "[" + ",\n".join(lines) + "]"
    found = memo._OldLines(raw)
    assert len(found) == len(lines) and [found[i] for i in range(len(found))] == lines
