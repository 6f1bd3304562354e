"""The catalogue of bad input (issue 8): each case shows the exact message a
user sees (``path:line: error: what`` + ``hint:``), exits with status 1,
prints no traceback and leaves the previously built site byte for byte as
it was."""

from __future__ import annotations

import os
import pathlib
from zoneinfo import ZoneInfo

import pytest

from archivegen.content import parse_article
from archivegen.errors import Problems

from safety import art, build_ok, run, run_sub, small_archive, snapshot, write

BAD = "content/articles/2013/bad.md"


@pytest.fixture
def published(tmp_path, capsys):
    """A valid archive already built into site/; returns (root, out, snapshot)."""
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    return root, out, snapshot(out)


def fails_with(capsys, root, out, before, *expected: str) -> str:
    """Build again: status 1, every expected text in stderr, no traceback, site unchanged."""
    rc, stdout, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet", "--jobs", "1")
    assert rc == 1, f"status {rc}\n{err}"
    for text in expected:
        assert text in err, f"expected:\n{text}\n--- got:\n{err}"
    assert "Traceback" not in err and "Traceback" not in stdout
    assert "internal error" not in err
    assert snapshot(out) == before, "the published site changed"
    siblings = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))
    assert siblings == [], f"left behind: {siblings}"
    return err


def bad_case(capsys, published, data, *expected, path: str = BAD) -> str:
    """Write one bad file (an article unless ``path`` says otherwise) and expect the build to fail."""
    root, out, before = published
    write(root, path, data)
    return fails_with(capsys, root, out, before, *expected)


# -- invalid YAML -------------------------------------------------------------

def test_unclosed_quote(capsys, published):
    bad_case(capsys, published, '---\ntitle: "Kerry meets Lavrov\ndate: 2013-08-09\n---\nText.\n',
             f"{BAD}:2: error: invalid YAML in front matter: a quoted value is never closed (the quote opens on this line)\n"
             "    hint: a quoted value is not closed; add the closing quote")


def test_tab_indentation(capsys, published):
    bad_case(capsys, published, "---\ntitle: A title\ndate: 2013-08-09\ntags:\n\t- Diplomacy\n---\nText.\n",
             f"{BAD}:5: error: invalid YAML in front matter: tab character used for indentation\n"
             "    hint: YAML indents with spaces, never tabs; replace the tab with spaces")


def test_colon_in_bare_value(capsys, published):
    bad_case(capsys, published, "---\ndate: 2013-08-09\ntitle: Kerry: talks go on\n---\nText.\n",
             f"{BAD}:3: error: invalid YAML in front matter: an unquoted value contains ': '\n"
             "    hint: a value containing ': ' must be quoted, e.g. title: \"Kerry: talks go on\"")


def test_duplicate_keys(capsys, published):
    bad_case(capsys, published, "---\ntitle: One\ndate: 2013-08-09\ntitle: Two\n---\nText.\n",
             f"{BAD}:4: error: invalid YAML in front matter: duplicate key 'title' (first on line 2)\n"
             "    hint: remove one of the two keys")


def test_unclosed_list(capsys, published):
    bad_case(capsys, published, "---\ntitle: One\ntags: [a, b\ndate: 2013-08-09\n---\nText.\n",
             f"{BAD}:3: error: invalid YAML in front matter: a list in [brackets] is never closed (it opens on this line)\n"
             "    hint: close the brackets, or quote the value if the brackets are part of the text")


def test_control_character(capsys, published):
    bad_case(capsys, published, "---\ndate: 2013-08-09\ntitle: Bell\x07 rings\n---\nText.\n",
             f"{BAD}:3: error: invalid YAML in front matter: control character U+0007 is not allowed\n"
             "    hint: remove the invisible control character")


def test_python_tag_refused(capsys, published):
    bad_case(capsys, published, "---\ndate: 2013-08-09\ntitle: !!python/object/apply:os.system [echo hi]\n---\nText.\n",
             f"{BAD}:3: error: invalid YAML in front matter: could not determine a constructor for the tag",
             "    hint: YAML tags such as !!python/... are not allowed; write a plain value")


# -- file structure and encoding ------------------------------------------------

def test_front_matter_never_closed(capsys, published):
    bad_case(capsys, published, "---\ntitle: One\ndate: 2013-08-09\n\nThe body, but no closing line.\n",
             f"{BAD}:1: error: front matter is never closed\n"
             "    hint: add a line '---' after the last front matter field")


def test_no_front_matter(capsys, published):
    bad_case(capsys, published, "Just a body.\n",
             f"{BAD}:1: error: no front matter: the file must start with a line '---'\n"
             "    hint: add front matter: ---, title: ..., date: YYYY-MM-DD, ---")


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"], ids=["zero-bytes", "blank-lines"])
def test_empty_file(capsys, published, data):
    bad_case(capsys, published, data,
             f"{BAD}:1: error: empty file\n"
             "    hint: an article starts with '---', front matter, '---', then the body")


def test_non_utf8(capsys, published):
    bad_case(capsys, published, "---\ntitle: Café\ndate: 2013-08-09\n---\nText.\n".encode("latin-1"),
             f"{BAD}:2: error: not valid UTF-8 (byte 0xe9 at offset 14)\n"
             "    hint: save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")


def test_utf16(capsys, published):
    bad_case(capsys, published, "---\ntitle: A\ndate: 2013-08-09\n---\nText.\n".encode("utf-16"),
             f"{BAD}: error: file is saved as UTF-16, not UTF-8\n"
             "    hint: save the file as UTF-8 (e.g. iconv -f utf-16 -t utf-8)")


def test_binary_file(capsys, published):
    bad_case(capsys, published, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
             f"{BAD}: error: binary file, not Markdown text\n"
             "    hint: move it out of content/ or save it as UTF-8 text")


def test_huge_file_refused_without_reading_it(capsys, published, monkeypatch):
    root, out, before = published
    huge = root / "content/articles/2013/huge.md"
    with open(huge, "wb") as f:  # sparse: 50 MB that take no disk
        f.write(b"---\ntitle: Huge\ndate: 2013-08-09\n---\n")
        f.truncate(50 * 1024 * 1024)
    read = []
    real_read_bytes, real_open = pathlib.Path.read_bytes, open

    def spy_read_bytes(self):
        if self.name == "huge.md":
            read.append(self)
        return real_read_bytes(self)

    def spy_open(file, *a, **k):
        if str(file).endswith("huge.md"):
            read.append(file)
        return real_open(file, *a, **k)

    monkeypatch.setattr(pathlib.Path, "read_bytes", spy_read_bytes)
    monkeypatch.setattr("builtins.open", spy_open)
    fails_with(capsys, root, out, before,
               "content/articles/2013/huge.md: error: file is 50.0 MB, over the 10 MB limit\n"
               "    hint: split the article or move embedded data out of content/")
    assert read == [], "the oversized file was opened"


def test_bom_and_crlf_work(capsys, tmp_path):
    root = small_archive(tmp_path / "archive", articles=1)
    write(root, "content/articles/2013/windows.md",
          "\ufeff---\r\ntitle: \"Saved on Windows\"\r\ndate: 2013-08-20\r\nslug: windows\r\n---\r\nLine one.\r\n\r\nLine two.\r\n")
    write(root, "content/articles/2013/old-mac.md",
          b"---\rtitle: Old Mac\rdate: 2013-08-21\rslug: old-mac\r---\rClassic line ends.\r")
    out = root / "site"
    build_ok(capsys, root, out)
    page = (out / "2013/08/20/windows/index.html").read_text()
    assert "Saved on Windows" in page and "\ufeff" not in page and "\r" not in page
    assert "Line two." in page
    assert "Classic line ends." in (out / "2013/08/21/old-mac/index.html").read_text()


# -- fields -----------------------------------------------------------------------

def test_missing_title(capsys, published):
    bad_case(capsys, published, "---\ndate: 2013-08-09\n---\nText.\n",
             f"{BAD}:1: error: missing required field 'title'\n"
             "    hint: add a line 'title: ...' to the front matter")


def test_missing_date(capsys, published):
    bad_case(capsys, published, "---\ntitle: No date\n---\nText.\n",
             f"{BAD}:1: error: missing required field 'date'\n"
             "    hint: add a line 'date: ...' to the front matter (YYYY-MM-DD)")


def test_title_wrong_type(capsys, published):
    bad_case(capsys, published, "---\ntitle: [1, 2]\ndate: 2013-08-09\n---\nText.\n",
             f"{BAD}:2: error: 'title' must be text, not a list\n"
             "    hint: write it as title: \"...\"")


def test_wrong_types_all_listed_at_once(capsys, published):
    err = bad_case(capsys, published,
                   "---\ntitle: Fine\ndate: 2013-08-09\ntags: {a: 1}\ndraft: maybe\nimage: [x]\n---\nText.\n",
                   f"{BAD}:4: error: 'tags' must be a list of text, not a mapping\n    hint: write it as tags: [first, second]",
                   f"{BAD}:5: error: 'draft' must be true or false, not text\n    hint: write draft: true",
                   f"{BAD}:6: error: 'image' must be a mapping with src, alt, caption, credit")
    assert "3 errors; nothing was written" in err


def test_impossible_date(capsys, published):
    bad_case(capsys, published, "---\ntitle: Leap\ndate: 2013-02-30\n---\nText.\n",
             f"{BAD}:3: error: '2013-02-30' is not a real date (day is out of range for month)\n"
             "    hint: check the day and month, e.g. 2013-02-28")


def test_errors_in_several_files_all_reported(capsys, published):
    root, out, before = published
    write(root, "content/articles/2013/a-bad.md", "---\ntitle: A\ndate: 2013-13-01\n---\n")
    write(root, "content/articles/2014/b-bad.md", "---\ntitle: Kerry: again\ndate: 2014-01-01\n---\n")
    err = fails_with(capsys, root, out, before,
                     "content/articles/2013/a-bad.md:3: error: '2013-13-01' is not a real date",
                     "content/articles/2014/b-bad.md:2: error: invalid YAML in front matter: an unquoted value contains ': '")
    assert "2 errors; nothing was written" in err


def test_same_url_twice(capsys, published):
    # article-0 is "Talks, day 0" on 2013-08-01: slug talks-day-0
    bad_case(capsys, published, '---\ntitle: "Talks: day 0"\ndate: 2013-08-01\n---\nA copy.\n',
             f"{BAD}:2: error: same URL /2013/08/01/talks-day-0/ as content/articles/2013/article-0.md\n"
             "    hint: give one of them a different 'slug:'")


# -- slugs and file names ----------------------------------------------------------

@pytest.mark.parametrize("slug, message", [
    ("../../etc", "slug '../../etc' contains a path separator"),
    ("a/b", "slug 'a/b' contains a path separator"),
    ("a..b", "slug 'a..b' contains '..'"),
    ('"nul\\0byte"', "slug contains a NUL character"),
    ("con", "slug 'con' is a name Windows reserves"),
    ("LPT1", "slug 'LPT1' is a name Windows reserves"),
    ("Caps-Not-Allowed", "slug 'Caps-Not-Allowed' may hold only lowercase letters, digits and single hyphens"),
])
def test_bad_slug(capsys, published, slug, message):
    bad_case(capsys, published, f"---\ntitle: Fine\ndate: 2013-08-09\nslug: {slug}\n---\nText.\n",
             f"{BAD}:4: error: {message}\n"
             "    hint: use lowercase letters, digits and hyphens, e.g. slug: kerry-meets-lavrov")


@pytest.mark.parametrize("name, message", [
    ("con.md", "file name 'con.md' is a name Windows reserves (CON)"),
    ("Aux.md", "file name 'Aux.md' is a name Windows reserves (AUX)"),
    ("com1.notes.md", "file name 'com1.notes.md' is a name Windows reserves (COM1)"),
    ("a..b.md", "file name 'a..b.md' contains '..'"),
])
def test_bad_file_name(capsys, published, name, message):
    bad_case(capsys, published, art(), f"content/articles/2013/{name}: error: {message}\n"
             "    hint: rename the file, e.g. to the article's slug", path=f"content/articles/2013/{name}")


def test_nul_in_file_name():
    # No POSIX file system stores a NUL in a name; an import or a future
    # content source could still hand one over.
    problems = Problems()
    assert parse_article(art().encode(), "content/articles/a\x00b.md", ZoneInfo("UTC"), problems) is None
    [p] = problems.errors
    assert p.format() == ("content/articles/a\\0b.md: error: file name contains a NUL character\n"
                          "    hint: rename the file, e.g. to the article's slug")


# -- symlinks and layout --------------------------------------------------------------

def test_symlinked_file_out_of_archive(capsys, published, tmp_path):
    root, out, before = published
    secret = tmp_path / "outside.md"
    secret.write_text(art(title="Secret", body="Private notes."))
    link = root / "content/articles/2013/link.md"
    link.symlink_to(secret)
    fails_with(capsys, root, out, before,
               f"content/articles/2013/link.md: error: symbolic link leads outside the archive (to {secret.resolve()})\n"
               "    hint: replace the link with the file itself")


def test_symlinked_folder_out_of_archive(capsys, published, tmp_path):
    root, out, before = published
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, "x.md", art(title="Elsewhere"))
    (root / "content/articles/2014").symlink_to(elsewhere, target_is_directory=True)
    fails_with(capsys, root, out, before,
               f"content/articles/2014: error: symbolic link leads outside the archive (to {elsewhere.resolve()})\n"
               "    hint: replace the link with the files themselves")


def test_symlink_inside_archive_is_fine(capsys, tmp_path):
    root = small_archive(tmp_path / "archive", articles=1)
    write(root, "drafts/kept.md", art(title="Linked in", date="2013-09-01", slug="linked-in"))
    (root / "content/articles/2013/linked.md").symlink_to(root / "drafts/kept.md")
    build_ok(capsys, root, root / "site")
    assert (root / "site/2013/09/01/linked-in/index.html").is_file()


def test_missing_content_folder(capsys, tmp_path):
    root = tmp_path / "not-an-archive"
    root.mkdir()
    rc, _, err = run(capsys, "build", "--root", root, "--out", root / "site", "--quiet")
    assert rc == 1
    assert "content: error: no content/ folder in the archive root\n" in err
    assert "    hint: run archivegen in an archive folder, pass --root DIR, or create one with 'archivegen init DIR'" in err
    assert "Traceback" not in err
    assert sorted(os.listdir(root)) == []


# -- registry -------------------------------------------------------------------------

def test_two_people_claim_one_alias(capsys, published):
    err = bad_case(capsys, published, "---\nname: John F. Kerry\naliases: [Secretary Kerry]\n---\n",
                   "alias 'Secretary Kerry'", "    hint: an alias must name one entity",
                   path="content/people/john-f-kerry.md")
    line = [x for x in err.splitlines() if "alias 'Secretary Kerry'" in x][0]
    assert line.startswith(("content/people/john-f-kerry.md:3: error: ", "content/people/john-kerry.md:3: error: "))
    assert "content/people/john-f-kerry.md" in err and "content/people/john-kerry.md" in err  # both files named


def test_alias_equal_to_a_country(capsys, published):
    bad_case(capsys, published, "---\nname: Vladimir Putin\naliases: [Russia, Putin]\n---\n",
             "content/people/vladimir-putin.md:3: error: alias 'Russia'", "country 'Russia'",
             "    hint: an alias must name one entity", path="content/people/vladimir-putin.md")


def test_unknown_entity_id(capsys, published):
    bad_case(capsys, published, "---\ntitle: Fine\ndate: 2013-08-09\npeople: [jon-kerry]\ncountries: [atlantis]\n---\nText.\n",
             f"{BAD}:4: error: unknown person id 'jon-kerry' in 'people'\n    hint: did you mean 'john-kerry'?",
             f"{BAD}:5: error: unknown country id 'atlantis' in 'countries'")


def test_one_run_lists_field_errors_unknown_ids_and_warnings_together(capsys, published):
    """A file with a bad date, an unknown person id and a misspelt field: all three in one
    run (the ids were held back until the date was fixed, and the warning dropped)."""
    err = bad_case(capsys, published,
                   "---\ntitle: Fine\ndate: 2013-02-30\ntitel: x\npeople: [jon-kerry]\n---\nText.\n",
                   f"{BAD}:3: error: '2013-02-30' is not a real date",
                   f"{BAD}:4: warning: unknown field 'titel' (kept for templates)\n    hint: did you mean 'title'?",
                   f"{BAD}:5: error: unknown person id 'jon-kerry' in 'people'\n    hint: did you mean 'john-kerry'?",
                   "archivegen: 2 errors, 1 warning; nothing was written")
    assert err.index(f"{BAD}:3:") < err.index(f"{BAD}:4:") < err.index(f"{BAD}:5:")  # by line


def test_person_file_errors(capsys, published):
    root, out, before = published
    write(root, "content/people/no-name.md", "---\naliases: [Nobody]\n---\n")
    write(root, "content/people/Bad Id.md", "---\nname: Bad Id\n---\n")
    fails_with(capsys, root, out, before,
               "content/people/no-name.md:1: error: person has no name\n    hint: add a line 'name: Full Name'",
               "content/people/Bad Id.md: error: file name 'Bad Id.md' is not a usable id")


# -- templates ----------------------------------------------------------------------------

def test_template_syntax_error(capsys, published):
    err = bad_case(capsys, published, '{% extends "base.html" %}\n{% block main %}\n{% if article.title %}\n'
                                      "<h1>{{ article.title }}</h1>\n{% endblock %}\n",
                   "templates/article.html:5: error: template syntax error: ", "    hint: fix the Jinja syntax",
                   path="templates/article.html")
    assert "endblock" in err


def test_template_raising_while_rendering(capsys, published):
    err = bad_case(capsys, published, '{% extends "base.html" %}\n{% block main %}\n'
                                      "<h1>{{ article.title }}</h1>\n<p>{{ 100 // (article.title|length - article.title|length) }}</p>\n"
                                      "{% endblock %}\n",
                   "templates/article.html:4: error: template error while rendering /2013/08/0",
                   "ZeroDivisionError", "    hint: fix the template, or the value it received from that page's content",
                   path="templates/article.html")
    # one error for the template line, naming the first page it stopped and counting the others
    assert "rendering /2013/08/03/talks-day-2/ and 2 other pages: ZeroDivisionError" in err
    assert err.count("error: template error") == 1 and "archivegen: 1 error;" in err


# -- a few through a real process ------------------------------------------------------------

def test_subprocess_yaml_error(published):
    root, out, before = published
    write(root, BAD, "---\ntitle: Kerry: talks go on\ndate: 2013-08-09\n---\n")
    r = run_sub("build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith(f"{BAD}:2: error: invalid YAML in front matter: an unquoted value contains ': '\n"
                               "    hint: a value containing ': ' must be quoted")
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert snapshot(out) == before


def test_subprocess_default_out_and_cwd(published, tmp_path):
    root, out, before = published
    write(root, BAD, b"\xff\xfe\x00\x01garbage")
    r = run_sub("build", "--root", root, "--no-search", "--quiet")  # default --out: ROOT/site
    assert r.returncode == 1
    assert f"{BAD}: error: file is saved as UTF-16, not UTF-8" in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(out) == before


def test_subprocess_debug_shows_nothing_for_content_errors(published):
    root, out, before = published
    write(root, BAD, "---\ntitle: x\n")
    r = run_sub("build", "--root", root, "--out", out, "--no-search", "--quiet", env={"ARCHIVEGEN_DEBUG": "1"})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{BAD}:1: error: front matter is never closed" in r.stderr


# -- the output folder --------------------------------------------------------

def test_an_output_link_that_leads_to_itself_is_a_usage_error(capsys, tmp_path):
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    out.symlink_to("site")
    rc, stdout, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 2 and "is a symbolic link that leads back to itself" in err, err
    assert "internal error" not in err and "Traceback" not in err


def test_a_marker_file_that_is_not_text_means_an_unknown_build(capsys, tmp_path):
    """The site is rebuilt (and its marker rewritten); nothing is trusted from the garbled one."""
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    (out / ".archivegen-site").write_bytes(bytes(range(128, 256)))
    rc, stdout, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 0 and "internal error" not in err, err
    assert (out / ".archivegen-site").read_text("utf-8").startswith("built by archivegen")


def test_a_misspelt_template_variable_is_an_error_at_its_line(capsys, published):
    root, out, before = published
    base = (pathlib.Path(__file__).resolve().parents[1] / "templates" / "base.html").read_text()
    assert "{{ site.title }}</a>" in base
    write(root, "templates/base.html", base.replace("{{ site.title }}</a>", "{{ sitetitle }}</a>"))
    line = base[: base.index("{{ site.title }}</a>")].count("\n") + 1
    fails_with(capsys, root, out, before, f"templates/base.html:{line}: error: template error while rendering",
               "'sitetitle' is undefined")


def test_a_broken_link_template_is_reported_with_the_summary_line(capsys, published):
    root, out, before = published
    write(root, "templates/partials/entity_link.html", "{{ entity.nope.x }}\n")
    err = fails_with(capsys, root, out, before, "templates/partials/entity_link.html:1: error: template error",
                     "archivegen: 1 error; nothing was written")
    assert err.count("nothing was written") == 1


def test_a_template_that_writes_far_too_much_stops_at_the_limit(capsys, published, monkeypatch):
    """{{ "x" * 300000000 }} in base.html ran the build out of memory; a page past the limit is an error."""
    import archivegen.theme

    monkeypatch.setattr(archivegen.theme, "PAGE_MAX_CHARS", 200_000)  # the real limit is 50 million
    root, out, before = published
    base = (pathlib.Path(__file__).resolve().parents[1] / "templates" / "base.html").read_text()
    write(root, "templates/base.html", base.replace("{{ site.title }}</a>", '{{ "x" * 300000 }}</a>'))
    err = fails_with(capsys, root, out, before, "the page came out at over 200,000 characters, the most a page may have",
                     "hint: look for a loop or a repeated value in the template")
    assert "internal error" not in err
