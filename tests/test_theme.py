"""The theme's Jinja environment: its shortcuts give what stock Jinja gives."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jinja2
from hypothesis import given, strategies as st
from markupsafe import Markup

from archivegen.config import Config
from archivegen.theme import Theme, _Environment, _striptags


def test_dict_lookups_in_templates_give_what_stock_jinja_gives():
    """The theme's environment reads a plain dict's keys first (theme._Environment): the same
    values, undefineds and methods as Jinja's own attribute-then-item order."""
    source = ("{{ d.url }}|{{ d.missing is defined }}|{{ d.items is callable }}|{{ d.keys()|list|length }}|"
              "{{ d.get('url') }}|{{ d['items'] }}|{{ o.url }}|{{ n.real }}|{{ n.url is defined }}|{{ d.count }}")

    class Sub(dict):
        url = "class attribute"

    values = {"d": {"url": "/x/", "items": 3, "keys": 1, "count": None}, "o": Sub(url="/y/"), "n": 5}
    ours = _Environment().from_string(source).render(values)
    assert ours == jinja2.Environment().from_string(source).render(values)
    assert ours == "/x/|False|True|4|/x/|3|class attribute|5|False|None"


def test_remembered_dates_are_shown_as_each_is_written(tmp_path):
    """Dates are formatted once per date object (theme.Theme.format_date, theme._isodate); two
    equal instants in different offsets still show their own clock time."""
    theme = Theme(tmp_path, Config())
    t = theme.env.from_string("{{ a|date }} {{ a|isodate }} {{ a|date('%H:%M') }} / {{ b|date('%H:%M') }} {{ b|isodate }}")
    a = datetime(2013, 8, 9, 23, 30, tzinfo=timezone.utc)
    b = datetime(2013, 8, 10, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert a == b
    expected = "9 August 2013 2013-08-09T23:30:00+00:00 23:30 / 00:30 2013-08-10T00:30:00+01:00"
    assert t.render(a=a, b=b) == expected
    assert t.render(a=a, b=b) == expected  # now from what was remembered
    assert t.render(a=b, b=a).startswith("10 August 2013 2013-08-10T00:30:00+01:00 00:30")


def test_life_dates_are_shown_as_exactly_as_they_were_given(tmp_path):
    theme = Theme(tmp_path, Config(date_format="%-d %B %Y"))
    render = theme.env.from_string("{{ d|life_date }}").render
    assert render(d="1961-08-04") == "4 August 1961"
    assert render(d="1961-08") == "August 1961"
    assert render(d="1961") == "1961"
    assert render(d=None) == ""


def test_template_globals_are_the_themes_and_stay_per_template(tmp_path):
    """A template's globals are a plain dict (theme._Environment.make_globals): the theme's
    globals show, and globals given to one template reach neither the others nor the theme."""
    env = Theme(tmp_path, Config(title="An archive")).env
    one = env.from_string("{{ site.title }}|{{ extra }}|{{ 'people/'|url }}", globals={"extra": "given"})
    other = env.from_string("{{ site.title }}|{{ extra is defined }}")
    assert one.render() == "An archive|given|/people/"
    assert other.render() == "An archive|False"
    assert "extra" not in env.globals


STRIP_EXAMPLES = ["a  b\n c", Markup("<b>x</b> &amp; y"), "x &amp; <i>z</i>", "", " only ", Markup("plain  text"),
                  "a < b", "x&y", "<!-- note --> text", "unclosed <b", 5, None]


@given(st.one_of(st.sampled_from(STRIP_EXAMPLES), st.text(alphabet=" \t\n<>&;!-/abé#x0123"),
                 st.text(alphabet=" \t\n<>&;!-/abé#x0123").map(Markup)))
def test_striptags_gives_what_jinjas_gives(value):
    ours, theirs = _striptags(value), jinja2.filters.do_striptags(value)
    assert ours == theirs and type(ours) is type(theirs)


def test_values_kept_by_identity_not_equality():
    """cache.ByIdentity, behind the dates and the feed entries: equal objects keep their own
    values, and past its limit it starts again rather than grow."""
    from archivegen.cache import ByIdentity

    memo = ByIdentity(limit=2)
    a = datetime(2013, 8, 9, 23, 30, tzinfo=timezone.utc)
    b = datetime(2013, 8, 10, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert a == b and memo.get(a) is None
    assert memo.put(a, "a") == "a" and memo.put(b, "b") == "b"
    assert (memo.get(a), memo.get(b)) == ("a", "b")
    c = datetime(2014, 1, 1, tzinfo=timezone.utc)
    memo.put(c, "c")  # the third entry: the first two are forgotten, never wrong
    assert (memo.get(a), memo.get(b), memo.get(c)) == (None, None, "c")


class _Html:
    def __html__(self):
        return "<i>safe</i>"


ESCAPE_EXAMPLES = ["plain", "", "<script>alert('x') & \"y\"</script>", "é ü – “quoted”", Markup("<b>kept</b>"),
                   5, -3, 2.5, True, None, _Html(), ["<a>"], jinja2.Undefined()]


@given(st.one_of(st.sampled_from(ESCAPE_EXAMPLES), st.text(), st.text().map(Markup),
                 st.integers(), st.floats(allow_nan=False)))
def test_output_escape_writes_what_markupsafe_escape_writes(value):
    """``{{ value }}`` escapes through theme._escape_output: the text of markupsafe.escape(value)."""
    import markupsafe

    from archivegen.theme import _escape_output

    assert str(_escape_output(value)) == str(markupsafe.escape(value))


def test_templates_render_what_stock_jinja_renders_with_their_own_escape(tmp_path):
    """Compiled templates escape their output through theme._escape_output, and give what stock
    Jinja gives: plain values, Markup, macros, call and set blocks, ``~`` joins, includes, and
    an ``{% autoescape false %}`` block, where the choice is made as the page renders."""
    from archivegen.theme import _escape_output

    sources = {
        "page.html": ("{% import 'macros.html' as m %}{{ text }}|{{ safe }}|{{ n }}|{{ m.b(text) }}|"
                      "{% call m.wrap() %}{{ text }}{% endcall %}|{% set s %}<u>{{ text }}</u>{% endset %}{{ s }}|"
                      "{{ text ~ safe }}|{% include 'part.html' %}|{% autoescape false %}{{ text }}{% endautoescape %}|"
                      "{{ missing }}|{{ text|upper }}|{{ items|join(', ') }}"),
        "macros.html": "{% macro b(x) %}<b>{{ x }}</b>{% endmacro %}{% macro wrap() %}[{{ caller() }}]{% endmacro %}",
        "part.html": "{{ text }}&{{ safe }}",
    }
    values = {"text": "Kerry & <Lavrov> \"'", "safe": Markup("<em>ok</em>"), "n": 7, "items": ["<a>", Markup("<b>")]}

    def render(env_class):
        env = env_class(loader=jinja2.DictLoader(sources), autoescape=True)
        return env, env.get_template("page.html").render(values)

    ours_env, ours = render(_Environment)
    assert ours == render(jinja2.Environment)[1]
    assert "Kerry &amp; &lt;Lavrov&gt; &#34;&#39;" in ours and "<em>ok</em>" in ours
    for name in sources:  # every compiled template takes the shortcut
        assert ours_env.get_template(name).root_render_func.__globals__["escape"] is _escape_output
    theme = Theme(tmp_path, Config())
    assert theme.env.get_template("article.html").root_render_func.__globals__["escape"] is _escape_output


def test_page_problems_of_one_template_mistake_are_merged():
    """theme.merge_page_problems: the same error on the same template line is one problem that
    names the first page and counts the others; other problems stay, in their order."""
    from archivegen.errors import Problem
    from archivegen.theme import merge_page_problems

    hint = "fix the template, or the value it received from that page's content"

    def page(url, path="templates/base.html", line=30, error="UndefinedError: 'x' is undefined"):
        return Problem(path, line, f"template error while rendering {url}: {error}", hint)

    other = Problem("content/articles/a.md", 2, "invalid YAML in front matter", "quote it")
    problems = [page("/a/"), other, page("/b/"), page("/c/", line=31), page("/d/"), page("/e/", error="TypeError: no"),
                page("/f/", path="templates/article.html"), page("/g/", line=31)]
    merged = merge_page_problems(problems)
    assert [p.message for p in merged] == [
        "template error while rendering /a/ and 2 other pages: UndefinedError: 'x' is undefined",
        "invalid YAML in front matter",
        "template error while rendering /c/ and 1 other page: UndefinedError: 'x' is undefined",
        "template error while rendering /e/: TypeError: no",
        "template error while rendering /f/: UndefinedError: 'x' is undefined",
    ]
    assert [(p.path, p.line, p.hint) for p in merged] == [
        ("templates/base.html", 30, hint), (other.path, 2, "quote it"), ("templates/base.html", 31, hint),
        ("templates/base.html", 30, hint), ("templates/article.html", 30, hint)]
    assert merge_page_problems([page("/only/")]) == [page("/only/")]


def test_writing_an_undefined_value_is_an_error_and_testing_one_is_not(tmp_path):
    import pytest

    theme = Theme(tmp_path, Config())
    env = theme.env
    assert env.from_string("{% if months %}m{% endif %}{{ x|default('d') }}{% for i in nothing %}{{ i }}{% endfor %}"
                           "{{ 'y' if y is defined }}").render() == "d"
    for text in ("{{ sitetitle }}", "{{ 'a' ~ sitetitle }}", "{{ site.nope }}"):
        with pytest.raises(jinja2.UndefinedError):
            env.from_string(text).render(site={})
