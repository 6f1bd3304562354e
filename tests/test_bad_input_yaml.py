"""Bad input that passes the YAML parser but used to crash or mislead (issue 8,
continued): numbers too long for Python, alias bombs, backslash escapes,
wrongly typed list items, archive.yaml's lines and wording, base_url,
escaped control characters and date_format. Each case shows the exact
message, exits with status 1 (2 for a bad option) and leaves the site as it was."""

from __future__ import annotations

import time

import pytest

from archivegen import frontmatter
from archivegen.errors import ContentError

from safety import build_ok, run, small_archive, snapshot, write
from test_bad_input import BAD, bad_case, fails_with, published  # noqa: F401 - published is a fixture

PERSON = "content/people/extra-person.md"
LONG = "1" * 5000


def bomb(levels: int, name: str = "x") -> str:
    """Front matter lines nesting ``levels`` lists of nine aliases each (9**levels values, a few hundred bytes)."""
    lines = [f"{name}0: &{name}0 [a, b, c, d, e, f, g, h, i]"]
    for i in range(1, levels):
        lines.append(f"{name}{i}: &{name}{i} [" + ", ".join([f"*{name}{i - 1}"] * 9) + "]")
    return "\n".join(lines)


def settings_fail(capsys, published, yaml_text: str, *expected: str) -> str:
    return bad_case(capsys, published, yaml_text, *expected, path="archive.yaml")


# -- 1. numbers over Python's 4,300 digit limit ------------------------------------------

@pytest.mark.parametrize("number", [LONG, "0x" + "f" * 4000], ids=["decimal", "hex"])
def test_huge_number_in_article(capsys, published, number):
    bad_case(capsys, published, f"---\ntitle: Big\ndate: 2013-08-09\nref: {number}\n---\nText.\n",
             f"{BAD}:4: error: invalid YAML in front matter: a number with over 4,300 digits\n"
             "    hint: quote it to keep it as text, e.g. \"12345678…\", or shorten it")


def test_huge_number_in_person_file_and_settings(capsys, published):
    root, out, before = published
    write(root, PERSON, f"---\nname: Extra Person\nborn: {LONG}\n---\n")
    write(root, "archive.yaml", f"title: Fine\nfeed_size: {LONG}\n")
    fails_with(capsys, root, out, before,
               f"{PERSON}:3: error: invalid YAML in front matter: a number with over 4,300 digits\n    hint: quote it",
               "archive.yaml:2: error: invalid YAML in archive.yaml: a number with over 4,300 digits\n    hint: quote it")


# -- 2. alias bombs ---------------------------------------------------------------------------

def test_alias_bomb_in_article(capsys, published):
    text = "---\ntitle: Bomb\ndate: 2013-08-09\n" + bomb(8) + "\n---\nText.\n"
    assert len(text) < 500
    # x0 (line 4) holds 9 values, x4 (line 8) 9**5: the count passes 10,000 there
    bad_case(capsys, published, text,
             f"{BAD}:8: error: front matter expands to over 10,000 values (YAML anchors and aliases)\n"
             "    hint: write the values out, or remove the aliases (*name) that repeat them")


def test_alias_bomb_in_person_file_and_settings(capsys, published):
    root, out, before = published
    write(root, PERSON, "---\nname: Extra Person\n" + bomb(8) + "\n---\n")
    write(root, "archive.yaml", "title: Fine\n" + bomb(8, "s") + "\n")
    fails_with(capsys, root, out, before,
               f"{PERSON}:7: error: front matter expands to over 10,000 values (YAML anchors and aliases)",
               "archive.yaml:6: error: archive.yaml expands to over 10,000 values (YAML anchors and aliases)")


def test_alias_count_stops_at_the_limit():
    """Twelve levels would expand to 9**12 (282 billion) values: counted only up to the limit."""
    started = time.perf_counter()
    with pytest.raises(ContentError) as exc:
        frontmatter.parse("---\ntitle: Bomb\n" + bomb(12) + "\n---\n", "a.md")
    assert time.perf_counter() - started < 1
    assert "expands to over 10,000 values" in exc.value.problem.message
    with pytest.raises(ContentError):  # a list holding itself expands without end
        frontmatter.parse("---\ntitle: &a [*a]\n---\n", "a.md")
    shared = frontmatter.parse("---\na: &a [x, y]\nb: *a\nc: {k: *a}\n---\n", "a.md")  # ordinary aliases pass
    assert shared.meta["c"] == {"k": ["x", "y"]}


# -- 3. backslash escapes in double quotes ------------------------------------------------------

@pytest.mark.parametrize("value, problem", [
    ('"bad \\q x"', "unknown escape '\\q' in a double-quoted value"),
    ('"C:\\photos"', "unknown escape '\\p' in a double-quoted value"),
    ('"\\x4"', "incomplete escape '\\x4' in a double-quoted value ('\\x' takes 2 hex digits)"),
    ('"\\ud800"', "escape '\\ud800' in a double-quoted value is not a valid character"),
], ids=["q", "windows-path", "short-hex", "surrogate"])
def test_bad_escape(capsys, published, value, problem):
    err = bad_case(capsys, published, f"---\ndate: 2013-08-09\ntitle: {value}\n---\nText.\n",
                   f"{BAD}:3: error: invalid YAML in front matter: {problem}\n"
                   "    hint: use single quotes, e.g. title: 'C:\\photos', or write each backslash as \\\\ inside double quotes")
    assert "never closed" not in err


# -- 4. lists with items of the wrong type, and plain type names ---------------------------------

def test_list_items_of_wrong_type(capsys, published):
    bad_case(capsys, published,
             "---\ntitle: Lists\ndate: 2013-08-09\ntags: [1, 2]\nauthors: [Ann, [Bob]]\npeople: [john-kerry, true]\n"
             "countries: [russia, 3.5]\nno_link: [x, {a: b}]\n---\nText.\n",
             f"{BAD}:4: error: 'tags' must be a list of text; item 1 is a number (1)\n"
             "    hint: quote the item to keep it as text, e.g. tags: [\"1\"]",
             f"{BAD}:5: error: 'authors' must be a list of text; item 2 is a list\n"
             "    hint: write each item as plain text, e.g. authors: [first, second]",
             f"{BAD}:6: error: 'people' must be a list of text; item 2 is true/false (true)",
             f"{BAD}:7: error: 'countries' must be a list of text; item 2 is a number (3.5)",
             f"{BAD}:8: error: 'no_link' must be a list of text; item 2 is a mapping")


def test_single_id_where_a_list_is_needed(capsys, published):
    bad_case(capsys, published, "---\ntitle: One\ndate: 2013-08-09\npeople: john-kerry\n---\nText.\n",
             f"{BAD}:4: error: 'people' must be a list, even of one item\n"
             "    hint: write it in brackets, e.g. people: [john-kerry]")


def test_person_alias_of_wrong_type(capsys, published):
    bad_case(capsys, published, "---\nname: Extra Person\naliases: [Extra, 1984]\n---\n",
             f"{PERSON}:3: error: 'aliases' must be a list of text; item 2 is a number (1984)\n"
             "    hint: quote the item to keep it as text, e.g. aliases: [\"1984\"]", path=PERSON)


def test_settings_types_in_plain_words(capsys, published):
    err = settings_fail(capsys, published, "title: 5\nsearch: yes please\nfeed_size: {a: 1}\nsanitize: [x]\n",
                        "archive.yaml:1: error: setting 'title' must be text, not a number\n",
                        "archive.yaml:2: error: setting 'search' must be true or false, not text\n",
                        "archive.yaml:3: error: setting 'feed_size' must be a whole number, not a mapping\n",
                        "archive.yaml:4: error: setting 'sanitize' must be true or false, not a list\n")
    for python_name in ("not int", "not str", "not dict", "not list"):
        assert python_name not in err


# -- 5. archive.yaml: lines and wording ------------------------------------------------------------

def test_settings_duplicate_key_names_the_right_line(capsys, published):
    settings_fail(capsys, published, "title: a\nlanguage: en\ntitle: b\n",
                  "archive.yaml:3: error: invalid YAML in archive.yaml: duplicate key 'title' (first on line 1)\n"
                  "    hint: remove one of the two keys")


def test_settings_yaml_errors_name_archive_yaml(capsys, published):
    err = settings_fail(capsys, published, "title: My archive\nlanguage: en: gb\n",
                        "archive.yaml:2: error: invalid YAML in archive.yaml: an unquoted value contains ': '")
    assert "front matter" not in err


def test_settings_must_be_a_mapping(capsys, published):
    err = settings_fail(capsys, published, "- title\n- language\n",
                        "archive.yaml:1: error: archive.yaml must be a mapping of settings, not a list\n"
                        "    hint: write one 'setting: value' per line, e.g. title: My News Archive")
    assert "front matter" not in err


def test_settings_may_start_with_a_document_marker(capsys, tmp_path):
    """'---' opens many YAML files; it used to end the settings before they began."""
    root = small_archive(tmp_path / "archive", articles=1)
    write(root, "archive.yaml", "---\ntitle: Marked Archive\n")
    build_ok(capsys, root, root / "site")
    assert "Marked Archive" in (root / "site/index.html").read_text()


# -- 6. base_url --------------------------------------------------------------------------------------

BAD_BASE_URLS = [
    ("not a url", "is neither a path starting with '/' nor an http:// or https:// URL"),
    ("javascript:alert(1)//", "is neither a path starting with '/' nor an http:// or https:// URL"),
    ("/../../", "has a '..' or '.' path segment"),
    ("ftp://example.org/", "is neither a path starting with '/' nor an http:// or https:// URL"),
    ("https://ex.org/a b/", "contains a space or an invisible character"),
    ("https://example.org/?a=b#x", "has a query or fragment ('?' or '#'); a base URL ends with its path"),
    ("//evil.example/", "has an empty path segment ('//'), which browsers read as the start of another host"),
    ("https:///archive/", "has no host after '://'"),
    ("archive/", "is neither a path starting with '/' nor an http:// or https:// URL"),
]


@pytest.mark.parametrize("value, problem", BAD_BASE_URLS, ids=[v for v, _ in BAD_BASE_URLS])
def test_bad_base_url_in_settings(capsys, published, value, problem):
    settings_fail(capsys, published, f"title: Fine\nbase_url: '{value}'\n",
                  f"archive.yaml:2: error: base_url '{value}' {problem}\n"
                  "    hint: use a path, e.g. base_url: /archive/, or a full URL, e.g. base_url: https://example.org/archive/")


@pytest.mark.parametrize("command", ["build", "check"])
def test_bad_base_url_option(capsys, published, command):
    root, out, before = published
    extra = ["--out", out, "--no-search", "--quiet"] if command == "build" else []
    rc, _, err = run(capsys, command, "--root", root, *extra, "--base-url", "ftp://example.org/")
    assert rc == 2, err
    assert err == (f"archivegen {command}: --base-url: 'ftp://example.org/' is neither a path starting with '/' "
                   "nor an http:// or https:// URL\n"
                   "    hint: use a path, e.g. --base-url /archive/, or a full URL, e.g. --base-url https://example.org/archive/\n")
    assert snapshot(out) == before


def test_base_url_check_accepts_paths_and_http_urls_only():
    from archivegen.config import base_url_problem

    for good in ["/", "/archive/", "/news/archive", "http://127.0.0.1:8765/", "https://user.github.io/archive/",
                 "https://example.org", "HTTPS://Example.org/a/b/", "http://[::1]:8000/x/", "/caf%C3%A9/"]:
        assert base_url_problem(good) is None, good
    for bad in ["https://example.org/a/../b/", "https://a b/", "https://user:pw@example.org/", "/a\\b/", "/<x>/", "mailto:x"]:
        assert base_url_problem(bad), bad


# -- 7. control characters written as escapes --------------------------------------------------------------

def test_escaped_control_characters_in_article(capsys, published):
    bad_case(capsys, published,
             '---\ntitle: "a\\u0000\\u0007"\ndate: 2013-08-09\nsummary: "bell \\a"\ntags: [fine, "esc \\e"]\n'
             'image: {src: /a.jpg, alt: x, caption: "\\x9b"}\n---\nText.\n',
             f"{BAD}:2: error: control character U+0000 in 'title' is not allowed\n"
             "    hint: remove the escape (such as \\0, \\a or \\u0007) that writes it into the quoted value",
             f"{BAD}:4: error: control character U+0007 in 'summary' is not allowed",
             f"{BAD}:5: error: control character U+001B in 'tags' (item 2) is not allowed",
             f"{BAD}:6: error: control character U+009B in image caption is not allowed")
    root, out, _ = published  # tab and newline escapes are still fine
    write(root, BAD, '---\ntitle: "Tab\\there"\ndate: 2013-09-01\nsummary: "two\\nlines"\n---\nText.\n')
    build_ok(capsys, root, out)


def test_escaped_control_characters_in_person_file_and_settings(capsys, published):
    root, out, before = published
    write(root, PERSON, '---\nname: "Extra\\u0001 Person"\n---\n')
    write(root, "archive.yaml", 'title: "Archive\\r"\n')
    fails_with(capsys, root, out, before,
               f"{PERSON}:2: error: control character U+0001 in 'name' is not allowed",
               "archive.yaml:1: error: control character U+000D in setting 'title' is not allowed")


# -- 8. date_format --------------------------------------------------------------------------------------------

HINT_DATE = ("    hint: use strftime directives such as %-d or %d (day), %B, %b or %m (month), %Y or %y (year), "
             "%A (weekday), %H:%M (time); write %% for a percent sign; e.g. date_format: \"%-d %B %Y\" (9 August 2013)")


@pytest.mark.parametrize("fmt, problem", [
    ("%Q %", "has an unknown directive '%Q'"),
    ("%d %", "ends with a lone '%'"),
    ("Date", "has no directive such as %d or %Y, so every date would read the same"),
    ("100%%", "has no directive such as %d or %Y, so every date would read the same"),
    ("%-m/%Y", "has an unknown directive '%-m'"),
])
def test_bad_date_format(capsys, published, fmt, problem):
    settings_fail(capsys, published, f"title: Fine\ndate_format: \"{fmt}\"\n",
                  f"archive.yaml:2: error: date_format '{fmt}' {problem}\n{HINT_DATE}")


def test_date_format_check_accepts_known_directives_only():
    from archivegen.config import date_format_problem

    for good in ["%-d %B %Y", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%A, %b %d, %Y (100%%)"]:
        assert date_format_problem(good) is None, good
    for bad in ["%e %B", "%Y %", "%%Y", ""]:
        assert date_format_problem(bad), bad


def test_an_opening_line_with_trailing_blanks_is_front_matter_as_a_closing_one_is():
    """'--- ' opened nothing ('no front matter') while a closing '--- ' was accepted."""
    from archivegen import frontmatter

    for opening in ("--- ", "---\t", "---  "):
        doc = frontmatter.parse(f"{opening}\ntitle: T\ndate: 2013-08-01\n--- \nBody.\n", "a.md")
        assert doc.meta == {"title": "T", "date": "2013-08-01"} and doc.key_lines == {"title": 2, "date": 3}
        assert doc.body == "Body.\n" and doc.body_line == 5
    assert frontmatter.parse("---\n---\nB\n", "a.md").meta == {}


# -- 9. simple front matter read without libyaml ----------------------------------------

from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KEYS = ["title", "date", "slug", "section", "source", "on", "yes", "null", "Title", "a_b", "x-y", "_k",
                         "link", "1x", "y", "k" * 101, "k" * 100]
VALUES = ['"Kerry: talks go on"', '"It\'s €5 – ok"', '"tab\there"', '"a\\"b"', '"a\\\\b"', '""', "''",
                           "'single ''q'''", "'plain # hash'", "2019-03-29", "2019-02-30", "2019-3-5", "2019", "12",
                           "1_000", "0x1F", "1.5", "1.5 million", ".inf", "yes", "No", "ON", "off", "null", "Null", "~",
                           "true", "y", "n", "Benchmark corpus", "hobbit-picture-7569", "Politics", "a - b", "3rd place",
                           "Kerry's visit", "(Reuters)", "AT&T", "a/b", "x+y", "ends with space ", "trailing:",
                           "a: b", "a #b", "- item", "[a, b]", "{a: b}", "&anchor x", "*alias", "!tag x", "|", ">",
                           "%x", "@x", "`x`", "Ünal", "\u00a0x", "x\u2028y", '"x\u0085y"', '"x\ufeffy"', "é", '"x\x7fy"']
SEPARATORS = [": ", ":", " : ", ":  "]
_LINE = st.one_of(st.tuples(st.sampled_from(KEYS), st.sampled_from(SEPARATORS), st.sampled_from(VALUES)).map("".join),
                  st.sampled_from(["", "# comment", "  - nested", "---", "key:", "\tkey: x", "tags:\n  - a"]))


def _same_as_libyaml(text: str) -> None:
    def outcome(read):
        try:
            return read()
        except ContentError as exc:
            return str(exc)

    fast = outcome(lambda: frontmatter.parse_yaml(text, "a.md", first_line=2))
    simple = frontmatter._simple_mapping
    try:
        frontmatter._simple_mapping = lambda _text: None
        slow = outcome(lambda: frontmatter.parse_yaml(text, "a.md", first_line=2))
    finally:
        frontmatter._simple_mapping = simple
    assert fast == slow, text
    if isinstance(fast, tuple) and isinstance(fast[0], dict):
        assert all(type(v) is type(slow[0][k]) for k, v in fast[0].items()), text  # "1" is no 1


def test_simple_front_matter_reads_as_libyaml_reads_it_line_by_line():
    """frontmatter._simple_mapping (speed, not rules) gives libyaml's mapping and key lines, or
    leaves the document to libyaml: same data, same lines, same error. Every key, separator and
    value of the lists above, alone and between two simple lines."""
    import itertools

    for key, sep, value in itertools.product(KEYS, SEPARATORS, VALUES):
        line = f"{key}{sep}{value}\n"
        _same_as_libyaml(line)
        _same_as_libyaml('slug: "s"\n' + line + "source: Wire\n")


@given(st.lists(_LINE, min_size=1, max_size=5).map(lambda lines: "".join(line + "\n" for line in lines)),
       st.sampled_from(["", "\n", "\r\n"]))
@settings(max_examples=400, deadline=None)
def test_simple_front_matter_reads_as_libyaml_reads_it(text, ending):
    """The same for documents of several lines, some not simple, with other line endings."""
    _same_as_libyaml(text.replace("\n", ending) if ending else text)


def test_simple_front_matter_takes_the_usual_article():
    text = 'title: "Hobbit picture \'four years away\'"\ndate: 2019-03-29\nslug: hobbit-7569\nsection: Entertainment\n' \
           "source: Benchmark corpus\n"
    assert frontmatter._simple_mapping(text) == (
        {"title": "Hobbit picture 'four years away'", "date": "2019-03-29", "slug": "hobbit-7569",
         "section": "Entertainment", "source": "Benchmark corpus"},
        {"title": 0, "date": 1, "slug": 2, "section": 3, "source": 4})
    for other in ("tags: [a, b]\n", "draft: true\n", "weight: 3\n", "title: x\n# note\n", "title: x # note\n"):
        assert frontmatter._simple_mapping("title: y\n" + other) is None
