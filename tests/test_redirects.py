"""Old addresses of an article (``redirect_from``): a page at each that sends
readers on, and every way an old address can be wrong, reported at its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archivegen.build import BuildOptions, build
from archivegen.output import MARKER
from conftest import run_cli
from safety import art, build_ok, run, small_archive, snapshot, write

OLD = "2013/08/09/kerry-and-lavrov-meet/"


def redirecting(root: Path, *old: str, title: str = '"Kerry meets Lavrov in Geneva"') -> Path:
    write(root, "content/articles/2013/renamed.md",
          art(title=title, date="2013-08-09", slug="kerry-meets-lavrov", redirect_from="[" + ", ".join(old) + "]"))
    return root


def test_each_old_address_gets_a_page_that_sends_readers_to_the_article(tmp_path: Path, capsys):
    root = redirecting(small_archive(tmp_path / "archive"), f"/{OLD}", "old/kerry.html", "2013/08/kerry-lavrov")
    write(root, "archive.yaml", "title: Test\nbase_url: https://example.org/news/\n")
    out = root / "site"
    build_ok(capsys, root, out)
    target = "/news/2013/08/09/kerry-meets-lavrov/"
    for rel in (f"{OLD}index.html", "old/kerry.html", "2013/08/kerry-lavrov/index.html"):
        page = (out / rel).read_text()
        assert f'<meta http-equiv="refresh" content="0; url={target}">' in page, rel
        assert f'<link rel="canonical" href="https://example.org{target}">' in page
        assert '<meta name="robots" content="noindex">' in page
        assert f'<a href="{target}">Kerry meets Lavrov in Geneva</a>' in page
        assert "data-pagefind-body" not in page  # never a search result
    sitemap = "".join(p.read_text() for p in out.rglob("sitemap*.xml"))
    assert "kerry-meets-lavrov" in sitemap and "kerry-and-lavrov-meet" not in sitemap and "old/kerry" not in sitemap
    rc, _, err = run(capsys, "check", "--root", root)  # every link, the old pages' included, resolves
    assert rc == 0, err


def test_an_old_address_dropped_from_the_list_loses_its_page(tmp_path: Path, capsys):
    root = redirecting(small_archive(tmp_path / "archive"), f"/{OLD}", "/old/kerry/")
    out = root / "site"
    build_ok(capsys, root, out)
    assert (out / OLD / "index.html").is_file()
    redirecting(root, "/old/kerry/")
    inc = build(BuildOptions(root=root, out=out, search=False, progress=False))
    assert not (out / OLD).exists() and (out / "old/kerry/index.html").is_file()
    assert inc.removed >= 1
    clean = tmp_path / "clean"
    build(BuildOptions(root=root, out=clean, search=False, clean=True, progress=False))
    files = lambda site: {k: v for k, v in snapshot(site).items() if k != MARKER}  # noqa: E731 (the build id differs)
    assert files(out) == files(clean)


@pytest.mark.parametrize("value,message", [
    ("[https://old.example.org/2013/kerry/]", "old address 'https://old.example.org/2013/kerry/' names a host; give only its path"),
    ("[/people/john-kerry/]", "old address '/people/john-kerry/' is below /people, which the site's own pages use"),
    ("[/search/kerry/]", "is below /search, which the site's own pages use"),
    ("[/2013/08/]", "old address '/2013/08/' is a date archive page of this site"),
    ("[/2013/../etc/]", "old address '/2013/../etc/' has an empty, '.' or '..' part"),
    ('["/2013/kerry lavrov/"]', "may hold only letters, digits and . _ ~ - between slashes (not ' ')"),
    ("[/]", "the old address '/' is the front page"),
    ("[/aux/kerry/]", "old address '/aux/kerry/' has a part Windows reserves ('aux')"),
    ("[/kerry./]", "old address '/kerry./' has a part ending in a dot, which Windows drops ('kerry.')"),
    ("[.archivegen-site]", "old address '.archivegen-site' has a part starting with a dot ('.archivegen-site')"),
    ("[/.htaccess]", "has a part starting with a dot ('.htaccess'), a name sites keep hidden"),
    ("[/old/.git/config/]", "has a part starting with a dot ('.git')"),
    ("[/2013/08/09/kerry-meets-lavrov/]", "old address /2013/08/09/kerry-meets-lavrov/ is the page of this article"),
    ("[/2013/08/09/kerry-meets-lavrov/index.html]",
     "old address /2013/08/09/kerry-meets-lavrov/ is the page of this article"),  # a folder's page is the folder
    ("[/2013/08/index.html]", "old address '/2013/08/index.html' is a date archive page of this site"),
    ("[/index.html]", "the old address '/index.html' is the front page"),
    ("12", "'redirect_from' must be a list of text, not a number"),
])
def test_a_bad_old_address_is_an_error_at_its_line(tmp_path: Path, capsys, value: str, message: str):
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    write(root, "content/articles/2013/renamed.md",
          art(title="Kerry meets Lavrov", slug="kerry-meets-lavrov", redirect_from=value))
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 1
    assert f"content/articles/2013/renamed.md:5: error: {message}" in err or \
        (message in err and "content/articles/2013/renamed.md:5: error:" in err), err
    assert "hint:" in err and "Traceback" not in err
    assert snapshot(out) == before


def test_an_old_address_is_not_another_articles_page_nor_claimed_twice(tmp_path: Path, capsys):
    root = small_archive(tmp_path / "archive")
    other = next(p for p in (root / "content/articles/2013").glob("article-*.md"))
    built = tmp_path / "probe"
    assert run_cli("build", "--root", root, "--out", built, "--no-search", "--quiet") == 0
    page = next(p.parent.relative_to(built).as_posix() for p in built.glob("2013/*/*/*/index.html"))
    write(root, "content/articles/2013/renamed.md",
          art(title="Kerry meets Lavrov", slug="kerry-meets-lavrov", redirect_from=f"[/{page}/, /old/kerry/]"))
    write(root, "content/articles/2013/second.md",
          art(title="Lavrov meets Kerry", slug="lavrov-meets-kerry", redirect_from="[/old/kerry]"))
    rc, _, err = run(capsys, "check", "--root", root)
    assert rc == 1
    assert re.search(rf"renamed\.md:5: error: old address /{re.escape(page)}/ is the page of content/articles/2013/article-\d\.md", err), err
    assert "second.md:5: error: old address /old/kerry/ is also claimed by content/articles/2013/renamed.md" in err, err
    assert other.is_file()


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(list("/.-_~aZ09%: \\?#é") + ["..", "index.html", "people", "2013", "08", "https://"]),
                max_size=14).map("".join))
def test_an_accepted_old_address_is_a_plain_path_inside_the_site(raw: str):
    """Whatever is written, an accepted old address is relative, plain, outside the
    site's own folders, not an archive page, and normalised (taking it again gives it back)."""
    from archivegen.content import RESERVED_TOP, old_path_problem

    why, path = old_path_problem(raw.strip())
    if why is not None:
        assert path == ""
        return
    assert path and not path.startswith("/") and (path.endswith("/") or path.endswith(".html"))
    parts = path.rstrip("/").split("/")
    assert all(re.fullmatch(r"[A-Za-z0-9._~-]+", p) and not p.endswith(".") for p in parts)  # no "." nor ".."
    assert parts[0] not in RESERVED_TOP and not re.fullmatch(r"\d{4}/(\d{2}/)?", path)
    assert path != "index.html" and not path.endswith("/index.html")
    assert old_path_problem("/" + path) == (None, path)
