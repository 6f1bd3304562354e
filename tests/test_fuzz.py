"""Fuzzing (issue 8): arbitrary bytes and text into the front matter parser
and article validation raise only ContentError; arbitrary Markdown through
the renderer and linker keeps the reader-visible text unchanged and the HTML
well-formed."""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from archivegen import frontmatter
from archivegen.content import parse_article
from archivegen.errors import ContentError, Problems

from safety import write

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UTC = ZoneInfo("UTC")

yaml_chars = st.sampled_from(list("-:\"'[]{}#&*!|>%@`,? \t\n\r\\.0123456789abcdeTFNnulx~=+") + ["\ufeff", "\x00", "\x85",
                                                                                             "\u2028", "é", "\x07"])
yamlish = st.lists(yaml_chars, max_size=80).map("".join)


def front(body: str) -> str:
    return "---\n" + body + "\n---\nBody text.\n"


@FAST
@given(st.binary(max_size=400))
@example(b"\xef\xbb\xbf---\r\n---\r\n")
@example(b"---\n\x00")
@example(b"\xff\xfe-\x00-\x00-\x00")
def test_decode_and_parse_bytes(raw):
    try:
        text = frontmatter.decode(raw, "a.md")
        frontmatter.parse(text, "a.md")
    except ContentError as exc:
        assert exc.problem.path == "a.md" and exc.problem.message


@FAST
@given(st.one_of(st.text(max_size=300), yamlish.map(front), st.text(max_size=200).map(front)))
@example(front("title: &a [*a]"))
@example(front("? !!binary x\n: 1"))
@example(front("a: !!timestamp 2013-02-30"))
@example(front("<<: [1]"))
@example(front("x: !!float nan\ny: .inf"))
@example(front("? [a, {b: c}]\n: d"))
@example(front("%TAG ! tag:x,2000:\n---\na: 1"))
@example("---\n-\r\r0\n---")  # libyaml breaks lines at CR, U+2028 ...; our line numbers count LF only
@example(front("a: 1\u2028\u2028b c\nd: [1"))
def test_parse_text(text):
    try:
        doc = frontmatter.parse(text, "a.md")
    except ContentError as exc:
        p = exc.problem
        assert p.path == "a.md" and p.message and (p.line is None or p.line >= 1)
        assert p.line is None or p.line <= text.count("\n") + 2
        return
    assert isinstance(doc.meta, dict) and all(isinstance(k, str) for k in doc.meta)
    assert all(1 <= line <= text.count("\n") + 1 for line in doc.key_lines.values())


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
              st.sampled_from(["2013-02-30", "2013-08-09", "2013-08-09T25:00", "2013-08-09T10:00:00+99:00",
                               "0000-01-01", "9999-12-31T23:59:59-23:59", "javascript:x", "..", "con", "a/b"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=6,
)
known_keys = st.sampled_from(["title", "date", "slug", "summary", "authors", "source", "publication", "original_url",
                              "section", "tags", "image", "people", "countries", "no_link", "draft", "updated",
                              "sanitize", "link", "other"])


@FAST
@given(st.dictionaries(known_keys, values, max_size=8), st.text(max_size=50))
def test_parse_article_any_front_matter(meta, body):
    import yaml

    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    problems = Problems()
    try:
        article = parse_article(text.encode("utf-8"), "content/articles/x.md", UTC, problems)
    except ContentError:
        return
    if article is None:
        assert problems.errors
        for p in problems.errors:
            assert p.path == "content/articles/x.md" and p.message
    else:
        assert not problems.errors
        assert isinstance(article.title, str) and article.title
        assert article.date.tzinfo is not None
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", article.slug)
        assert "/" not in article.url_path.rstrip("/").split("/", 3)[-1]


@FAST
@given(st.binary(max_size=200), st.text(alphabet=st.characters(blacklist_characters="/"), min_size=1, max_size=12))
def test_parse_article_any_bytes_any_name(raw, stem):
    problems = Problems()
    try:
        parse_article(raw, f"content/articles/{stem}.md", UTC, problems)
    except ContentError:
        pass


@FAST
@given(st.text(max_size=60))
@example("\u2028")
@example("a\x85b")
@example("\x9b")
@example("yes")
@example("- x")
@example("'")
@example("a: b")
@example("#x")
@example("\ufeff")
@example("A\n")  # "$" also matches before a final newline: the plain form would drop it
def test_importer_yaml_scalar_round_trips(value):
    """What comes back is the value without its control characters (which the build refuses)."""
    from archivegen.importer import yaml_scalar

    expected = frontmatter.without_control_characters(value)
    text = front("title: " + yaml_scalar(value))
    doc = frontmatter.parse(frontmatter.decode(text.encode("utf-8"), "i.md"), "i.md")
    assert doc.meta["title"] == expected or (doc.meta["title"] is None and expected == "")
    assert frontmatter.control_character(doc.meta["title"] or "") is None


# -- Markdown + linker -------------------------------------------------------------

@lru_cache(maxsize=1)
def renderers():
    import tempfile

    from archivegen.registry import load_registry
    from archivegen.render import BodyRenderer

    root = Path(tempfile.mkdtemp(prefix="fuzz-archive-"))
    write(root, "content/people/john-kerry.md", "---\nname: John Kerry\naliases: [Secretary Kerry]\n---\n")
    write(root, "content/people/sergei-lavrov.md", "---\nname: Sergei Lavrov\n---\n")
    write(root, "content/people/ban-ki-moon.md", "---\nname: Ban Ki-moon\n---\n")
    problems = Problems()
    registry = load_registry(root, problems)
    assert not problems.errors, problems.errors
    return BodyRenderer(registry, link_prefix="/"), BodyRenderer(None, link_prefix="/")


names = st.sampled_from(["John Kerry", "Kerry", "Mr Kerry", "Sergei Lavrov", "Lavrov's", "Russia", "RUSSIA", "Russian",
                         "Ban Ki-moon", "Ban", "Georgia", "Jordan", "the United States", "U.S.", "Secretary Kerry",
                         "Chad", "New Mexico", "Air France", "Václav", "Kerry’s"])
markup = st.sampled_from(["*", "**", "_", "`", "[", "](http://x.org/)", "]", "(", ")", "# ", "\n\n", "\n", "> ", "- ",
                          "1. ", "<b>", "</b>", "<div>", "</div>", "<a href='/x'>", "</a>", "&amp;", "&", "<", ">",
                          "    ", "```\n", "\n```\n", "|", " | ", "---", "[^1]", "\n\n[^1]: note", "{: .c}", "<!--",
                          "-->", "<script>", "</script>", "\\", "'", '"', " ", ". ", "é", "\u00a0", "*[U.S.]: x"])
markdown_text = st.lists(st.one_of(names, markup, st.text(max_size=5)), max_size=40).map("".join)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Balance(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def balanced_delta(html: str) -> tuple[list[str], list[str]]:
    b = Balance()
    b.feed(html)
    b.close()
    return b.errors, b.stack


def strip_entity_links(html: str) -> str:
    return re.sub(r'<a class="entity entity-(?:person|country)" href="[^"]*">(.*?)</a>', r"\1", html, flags=re.S)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_text)
@example("John Kerry met <b>Sergei Lavrov</b> in Russia.")
@example("<div>John Kerry</div>")
@example("[John Kerry](http://x.org/) and John Kerry")
@example("# RUSSIA\n\nRussia and Kerry. John Kerry, then Kerry.")
@example("<!-- John Kerry -->John Kerry")
@example("`John Kerry` John Kerry")
@example("John Kerry &amp; Russia & <Russia>")
@example("<script>John Kerry</script> John Kerry")
def test_linking_never_changes_reader_text_and_keeps_html_well_formed(body):
    linked_r, plain_r = renderers()
    linked = linked_r.render(body=body, policy="all")
    plain = plain_r.render(body=body, policy="all")
    assert linked.text == plain.text
    assert strip_entity_links(linked.html) == plain.html
    # the linker adds only balanced <a> elements: whatever the Markdown
    # produced (raw HTML may be unbalanced by the author), linking does not
    # change the balance
    assert balanced_delta(linked.html) == balanced_delta(plain.html)
    for m in linked.mentions:
        assert 0 <= m.start <= m.end <= len(linked.text)


@settings(max_examples=200, deadline=None)
@given(markdown_text)
def test_markdown_without_raw_html_is_well_formed(body):
    linked_r, _ = renderers()
    assume("<" not in body and "&" not in body)
    html = linked_r.render(body=body).html
    errors, stack = balanced_delta(html)
    assert errors == [] and stack == [], html


@settings(max_examples=200, deadline=None)
@given(markdown_text)
def test_sanitized_output_is_well_formed_and_scriptless(body):
    linked_r, _ = renderers()
    html = linked_r.render(body=body, sanitize=True).html
    errors, stack = balanced_delta(html)
    assert errors == [] and stack == [], html
    assert "<script" not in html.lower()


@given(st.lists(st.one_of(st.text(), st.binary(), st.integers()), max_size=6))
def test_digest_is_the_hash_of_separated_parts(parts):
    """cache.digest joins all-text parts in one piece; the result must be the documented
    hash of each part followed by a unit separator, whatever the parts."""
    import hashlib

    from archivegen.cache import digest

    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode("utf-8"))
        h.update(b"\x1f")
    assert digest(*parts) == h.hexdigest()
