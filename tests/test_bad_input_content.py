"""Bad input a tester found that was built without a word (or with the wrong one).

Content folders that are files or missing, settings files under another
name, settings that make invalid HTML or URLs, files in content/ that are
never read, control characters in a body, protocol-relative image URLs and
names that are ordinary words. Each error is ``path[:line]: error:`` with a
hint, exit status 1 and the published site untouched; each warning names
the file it is about.
"""

from __future__ import annotations

import os
import shutil

import pytest

from safety import art, build_ok, run, write
from test_bad_input import BAD, bad_case, fails_with, published  # noqa: F401 - published: the fixture

ARTICLES = "content/articles"


def warns(capsys, root, *expected: str, absent: tuple[str, ...] = ()) -> str:
    """Build (not --quiet, so warnings show): status 0 and every expected text in stderr."""
    rc, _, err = run(capsys, "build", "--root", root, "--out", root / "site", "--no-search", "--jobs", "1")
    assert rc == 0, f"status {rc}\n{err}"
    for text in expected:
        assert text in err, f"expected:\n{text}\n--- got:\n{err}"
    for text in absent:
        assert text not in err, f"not expected:\n{text}\n--- got:\n{err}"
    assert "Traceback" not in err
    return err


# -- 1, 2: content folders that are not folders ---------------------------------

def test_articles_folder_replaced_by_a_file_is_an_error(capsys, published):
    """It was read as an empty folder: the build succeeded and took every article off the site."""
    root, out, before = published
    shutil.rmtree(root / ARTICLES)
    (root / ARTICLES).write_text("oops\n")
    fails_with(capsys, root, out, before, f"{ARTICLES}: error: not a folder but a file\n"
               "    hint: content/articles holds the articles' .md files: move this away and create the folder")


def test_articles_folder_missing_is_an_error(capsys, published):
    root, out, before = published
    shutil.rmtree(root / ARTICLES)
    fails_with(capsys, root, out, before, f"{ARTICLES}: error: no articles folder, so the site would have no articles\n"
               "    hint: create it (mkdir content/articles)")


def test_articles_folder_as_a_dangling_link_is_an_error(capsys, published):
    root, out, before = published
    shutil.rmtree(root / ARTICLES)
    os.symlink("gone", root / ARTICLES)
    fails_with(capsys, root, out, before, f"{ARTICLES}: error: not a folder but a symbolic link to nothing")


def test_an_empty_articles_folder_builds_with_a_warning(capsys, make_archive):
    root = make_archive({})
    warns(capsys, root, f"{ARTICLES}: warning: no articles: the folder holds no .md files")


@pytest.mark.parametrize("section", ["people", "countries"])
def test_people_or_countries_folder_replaced_by_a_file_is_named(capsys, published, section):
    """Only 'unknown person id' in some article used to tell that content/people was gone."""
    root, out, before = published
    folder = root / "content" / section
    if folder.exists():
        shutil.rmtree(folder)
    folder.write_text("oops\n")
    err = fails_with(capsys, root, out, before, f"content/{section}: error: not a folder but a file\n"
                     f"    hint: content/{section} holds the ")
    assert err.count(f"content/{section}: error") == 1


# -- 3, 7: the settings file ------------------------------------------------------

@pytest.mark.parametrize("name", ["archive.yml", "archive.YAML", "Archive.yml"])
def test_a_settings_file_under_another_name_is_warned_about(capsys, make_archive, name):
    root = make_archive({f"{ARTICLES}/a.md": art()})
    (root / name).write_text("title: Mine\n")
    if os.path.exists(root / "archive.yaml"):  # a file system that ignores case reads it: nothing to say
        pytest.skip("case-insensitive file system")
    warns(capsys, root, f"{name}: warning: archivegen reads archive.yaml; this file is ignored\n"
          f"    hint: rename it to archive.yaml (mv {name} archive.yaml)")


def test_archive_yml_beside_archive_yaml_is_warned_about(capsys, make_archive):
    root = make_archive({f"{ARTICLES}/a.md": art(), "archive.yaml": "title: Mine\n"})
    (root / "archive.yml").write_text("title: Other\n")
    warns(capsys, root, "archive.yml: warning: archivegen reads archive.yaml; this file is ignored\n"
          "    hint: move its settings into archive.yaml and delete it")


def test_a_binary_settings_file_gets_a_settings_hint(capsys, published):
    err = bad_case(capsys, published, b"\x00\x01binary\x00", "archive.yaml: error: binary file, not YAML text\n"
                   "    hint: archive.yaml holds settings as text", path="archive.yaml")
    assert "content/" not in err


# -- 6: settings that make invalid HTML or URLs -----------------------------------

@pytest.mark.parametrize("setting, expected", [
    ('title: ""', "archive.yaml:1: error: setting 'title' is empty\n    hint: give the site a title"),
    ('title: "   "', "archive.yaml:1: error: setting 'title' is empty"),
    ("language: 'en\" onload=\"x'", "archive.yaml:1: error: language 'en\" onload=\"x' is not a language tag\n"
                                    "    hint: use a BCP 47 tag: letters, digits and hyphens"),
    ("language: english", "archive.yaml:1: error: language 'english' is not a language tag"),
    ("base_url: https://a.b:99999/", "archive.yaml:1: error: base_url 'https://a.b:99999/' has a port out of range "
                                     "(99999; ports go from 1 to 65535)"),
    ("base_url: https://a.b:0/", "archive.yaml:1: error: base_url 'https://a.b:0/' has a port out of range"),
    ("timezone: localtime", "archive.yaml:1: error: time zone 'localtime' is whatever the building machine is set to"
                            ", so dates would change with the machine\n    hint: name a zone, e.g. timezone: Europe/London"),
])
def test_settings_that_would_make_invalid_pages(capsys, published, setting, expected):
    bad_case(capsys, published, setting + "\n", expected, path="archive.yaml")


@pytest.mark.parametrize("setting", ["language: pt-BR", "language: zh-Hant-TW", "base_url: https://a.b:8080/",
                                     "base_url: http://[::1]:65535/", "base_url: http://123/", "timezone: Europe/London"])
def test_usual_settings_still_pass(capsys, make_archive, setting):
    root = make_archive({f"{ARTICLES}/a.md": art(), "archive.yaml": setting + "\n"})
    build_ok(capsys, root, root / "site")


# -- 4: one message for a person's bad name ---------------------------------------

@pytest.mark.parametrize("path, field", [("content/people/foo.md", "name"), ("content/countries/atlantis.md", "name")])
def test_a_control_character_in_a_name_is_the_only_message(capsys, published, path, field):
    err = bad_case(capsys, published, f'---\n{field}: "Foo\\x01Bar"\n---\n',
                   f"{path}:2: error: control character U+0001 in '{field}' is not allowed", path=path)
    assert err.count(f"{path}:") == 1, err


# -- 5: image URLs ------------------------------------------------------------------

@pytest.mark.parametrize("src, expected", [
    ("//evil.com/x.jpg", "error: image src '//evil.com/x.jpg' starts with '//' (a URL without http: or https:)\n"
                         "    hint: write the full URL, e.g. src: https://evil.com/x.jpg"),
    ("/\\\\evil.com/x.jpg", "error: image src '/\\evil.com/x.jpg' contains a backslash"),
    ("ftp://evil.com/x.jpg", "error: image src must be a path or http(s) URL"),
])
@pytest.mark.parametrize("path", [BAD, "content/people/jane-doe.md"])
def test_an_image_src_the_site_would_mangle_is_an_error(capsys, published, src, expected, path):
    head = "name: Jane Doe" if "people" in path else "title: T\ndate: 2013-08-09"
    bad_case(capsys, published, f'---\n{head}\nimage: {{src: "{src}", alt: x}}\n---\nText.\n',
             f"{path}:{head.count(chr(10)) + 3}: {expected}", path=path)


def test_usual_image_srcs_still_pass(capsys, make_archive):
    root = make_archive({f"{ARTICLES}/a.md": art(image='{src: "https://example.org/x.jpg", alt: x}'),
                         f"{ARTICLES}/b.md": art(title="B", image='{src: /media/x.jpg, alt: x}'),
                         f"{ARTICLES}/c.md": art(title="C", image='{src: media/x.jpg, alt: x}')})
    build_ok(capsys, root, root / "site")


# -- 8: files that are never read ---------------------------------------------------

def test_files_that_are_not_read_are_named(capsys, make_archive):
    root = make_archive({f"{ARTICLES}/a.md": art(),
                         f"{ARTICLES}/2013/zz.MD": art(), f"{ARTICLES}/zz.markdown": art(), f"{ARTICLES}/zz.txt": "x",
                         f"{ARTICLES}/photo.jpg": "x", "content/zz.md": art(), "content/article/x.md": art(),
                         "content/people/jane-doe.md": "---\nname: Jane Doe\n---\n",
                         "content/people/politicians/john-doe.md": "---\nname: John Doe\n---\n",
                         "content/people/john-doe.txt": "x", "content/countries/notes.txt": "x",
                         # editor and OS debris: never mentioned
                         f"{ARTICLES}/a.md~": "x", f"{ARTICLES}/.a.md.swp": "x", f"{ARTICLES}/.DS_Store": "x",
                         "content/people/jane-doe.md~": "x", "content/.DS_Store": "x", f"{ARTICLES}/#a.md#": "x"})
    os.symlink("politicians", root / "content/people/linked")
    err = warns(capsys, root,
                f"{ARTICLES}/2013/zz.MD: warning: not read: articles are .md files\n    hint: rename it to zz.md",
                f"{ARTICLES}/zz.markdown: warning: not read: articles are .md files\n    hint: rename it to zz.md",
                f"{ARTICLES}/zz.txt: warning: not read: articles are .md files\n    hint: rename it to zz.md",
                f"{ARTICLES}/photo.jpg: warning: not read: articles are .md files\n"
                "    hint: only .md files in content/articles are read; move it out of content/",
                "content/zz.md: warning: not read: archivegen reads content/articles, content/people and "
                "content/countries\n    hint: move an article into content/articles/",
                "content/article: warning: not read: archivegen reads content/articles, content/people and "
                "content/countries\n    hint: did you mean content/articles?",
                "content/people/politicians: warning: not read: people files are .md files directly in content/people, "
                "not in subfolders",
                "content/people/linked: warning: not read: people files are .md files directly in content/people",
                "content/people/john-doe.txt: warning: not read: people files are .md files\n"
                "    hint: rename it to john-doe.md",
                "content/countries/notes.txt: warning: not read: country files are .md files",
                absent=("~", ".swp", "DS_Store", "#a.md#"))
    assert err.count("not read") == 10, err


def test_a_linked_folder_of_articles_is_named(capsys, make_archive):
    root = make_archive({f"{ARTICLES}/a.md": art()})
    write(root, "more/b.md", art(title="B"))
    os.symlink(root / "more", root / ARTICLES / "more")
    warns(capsys, root, f"{ARTICLES}/more: warning: not read: a symbolic link to a folder")


def test_a_usual_archive_has_nothing_unread(capsys, make_archive):
    root = make_archive({f"{ARTICLES}/2013/08/a.md": art(), "content/people/jane-doe.md": "---\nname: Jane Doe\n---\n",
                         "content/countries/russia.md": "---\ndescription: A country.\n---\n"})
    warns(capsys, root, absent=("not read", "no articles"))


# -- 9: names that are ordinary words ------------------------------------------------

@pytest.mark.parametrize("name, what", [("A", "a single letter"), ("The", "a common English word"),
                                        ("May", "a common English word")])
def test_a_name_that_is_a_word_is_warned_about(capsys, make_archive, name, what):
    root = make_archive({f"{ARTICLES}/a.md": art(), "content/people/someone.md": f"---\nname: {name}\n---\n"})
    warns(capsys, root, f"content/people/someone.md:2: warning: name '{name}' is {what}, so it links '{name}' "
                        "wherever a sentence or heading starts with it\n    hint: write the full name")


def test_an_alias_that_is_a_word_is_warned_about(capsys, make_archive):
    root = make_archive({f"{ARTICLES}/a.md": art(),
                         "content/people/jane-doe.md": "---\nname: Jane Doe\naliases: [J, Jane Q. Doe]\n---\n"})
    warns(capsys, root, "content/people/jane-doe.md:3: warning: alias 'J' is a single letter",
          absent=("Jane Q. Doe'",))


def test_usual_names_and_capital_abbreviations_are_not_words(capsys, make_archive):
    root = make_archive({f"{ARTICLES}/a.md": art(), "content/people/jane-doe.md": "---\nname: Jane Doe\n---\n",
                         "content/countries/italy.md": "---\naliases: [IT]\n---\n"})
    warns(capsys, root, absent=("common English word", "single letter"))


# -- 10: control characters in a body -------------------------------------------------

@pytest.mark.parametrize("char", ["\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_body_is_an_error(capsys, published, char):
    bad_case(capsys, published, art(body=f"First line.\n\nSecond {char} line."),
             f"{BAD}:7: error: control character U+{ord(char):04X} in the text is not allowed\n"
             "    hint: remove the invisible control character")


def test_a_control_character_in_a_person_body_is_an_error(capsys, published):
    bad_case(capsys, published, "---\nname: Jane Doe\n---\nBorn \x01 somewhere.\n",
             "content/people/jane-doe.md:4: error: control character U+0001 in the text is not allowed",
             path="content/people/jane-doe.md")


def test_tabs_and_windows_line_ends_in_a_body_pass(capsys, make_archive):
    root = make_archive({})
    write(root, f"{ARTICLES}/a.md", art(body="A\ttab.\r\n\r\nAnd CRLF.").encode())
    build_ok(capsys, root, root / "site")
