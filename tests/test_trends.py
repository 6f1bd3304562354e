"""Insight pages: /trends/, entity indexes by name and mentions, "mentioned with"."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

from conftest import article, run_cli

from archivegen.entities import Entity
from archivegen.model import Appearance, EntityStats, _relate
from archivegen.trends import compute, context


def _story(y: int, m: int, d: int = 1, keys=()):
    return SimpleNamespace(date=datetime(y, m, d, tzinfo=timezone.utc), entity_keys=list(keys), url_path=f"{y}/{m}/{d}/")


def _stats(eid: str, stories_counts) -> EntityStats:
    st = EntityStats(Entity(id=eid, kind="person", name=eid.title()))
    for story, count in stories_counts:
        st.appearances.append(Appearance(story, count, ""))
    st.appearances.sort(key=lambda a: a.story.date, reverse=True)
    st.mentions = sum(c for _, c in stories_counts)
    return st


def _model(stats, stories):
    return SimpleNamespace(stories=stories, entities={f"people/{s.entity.id}": s for s in stats})


def test_rise_in_latest_month_and_year():
    aug, sep, last_year = _story(2014, 8, 5), _story(2014, 9, 3), _story(2013, 6, 1)
    sep2 = _story(2014, 9, 20)
    riser = _stats("riser", [(sep, 3), (sep2, 2), (aug, 1)])  # month: 5 vs 1 -> +4
    steady = _stats("steady", [(sep, 1), (aug, 1), (last_year, 5)])  # month 0, year 2 vs 5
    faller = _stats("faller", [(aug, 4)])  # month: 0 vs 4
    front = _stats("front", [(sep2, 0)])  # listed in front matter only: counts once
    t = compute(_model([riser, steady, faller, front], [sep2, sep, aug, last_year]))
    assert t.month == (2014, 9) and t.year == 2014
    assert [(r.entity.id, r.latest, r.previous) for r in t.by_month] == [("riser", 5, 1), ("front", 1, 0)]
    year = {r.entity.id: r.change for r in t.by_year}
    assert year == {"riser": 6, "faller": 4, "front": 1}  # steady: 2 in 2014 against 5 in 2013
    chart_months = [label for label, _ in t.by_month[0].points]
    assert len(chart_months) == 12 and chart_months[-1] == "Sep 2014" and chart_months[0] == "Oct 2013"
    assert dict(t.by_month[0].points)["Aug 2014"] == 1


def test_month_before_january_is_december():
    dec, jan = _story(2013, 12, 31), _story(2014, 1, 2)
    t = compute(_model([_stats("a", [(jan, 2), (dec, 1)])], [jan, dec]))
    assert [(r.latest, r.previous) for r in t.by_month] == [(2, 1)]


def test_empty_archive_has_no_trends():
    t = compute(_model([], []))
    assert t.by_month == [] and t.by_year == [] and t.month is None
    ctx = context(_model([], []))
    assert ctx["month_rows"] == [] and ctx["year_rows"] == []


def test_context_charts_are_svg_with_text_alternative():
    sep = _story(2014, 9, 3)
    ctx = context(_model([_stats("riser", [(sep, 2)])], [sep]))
    svg = str(ctx["month_rows"][0]["chart"])
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="Mentions of Riser per month"' in svg
    assert "<desc>" in svg and "Sep 2014: 2" in svg
    # a sparkline labels its two ends only, and draws a baseline for the empty months
    assert re.findall(r"<text[^>]*>([^<]*)</text>", svg) == ["Oct 2013", "Sep 2014"]
    assert 'class="baseline"' in svg


def test_mentioned_with_favours_specific_pairs():
    """PMI: a pair that always appears together beats the everywhere-entity."""
    n = 30
    stories = []
    for i in range(n):
        keys = ["people/common"]
        if i < 3:
            keys += ["people/alpha", "people/beta"]
        if 3 <= i < 8:
            keys += ["people/alpha"]
        if i == 9:
            keys += ["people/gamma"]  # one shared article only: below the minimum
        stories.append(_story(2014, 1 + i % 12, 1 + i, keys))
    ids = {"common", "alpha", "beta", "gamma"}
    stats = {}
    for eid in ids:
        stats[f"people/{eid}"] = _stats(eid, [(s, 1) for s in stories if f"people/{eid}" in s.entity_keys])
    _relate(stats, stories, n)
    alpha = [(e.id, c) for e, c, _ in stats["people/alpha"].related]
    assert alpha[0] == ("beta", 3)  # 3 shared of 3: specific
    assert ("common", 8) in alpha  # shared in every alpha article, but common is everywhere
    assert all(e.id != "gamma" for e, _, _ in stats["people/common"].related)


def _archive(make_archive):
    return make_archive({
        "articles/a.md": article("One", "2014-08-01", "John Kerry met Sergei Lavrov in Geneva."),
        "articles/b.md": article("Two", "2014-09-02", "John Kerry flew home. Kerry spoke."),
        "articles/c.md": article("Three", "2014-09-03", "John Kerry and Sergei Lavrov spoke again."),
        "articles/d.md": article("Four", "2013-05-03", "Sergei Lavrov spoke. Lavrov left. Lavrov returned."),
        "people/john-kerry.md": "---\nname: John Kerry\n---\n",
        "people/sergei-lavrov.md": "---\nname: Sergei Lavrov\n---\n",
    })


def _main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def test_trends_page_built_and_linked(make_archive, tmp_path):
    root = _archive(make_archive)
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet") == 0
    html = (out / "trends" / "index.html").read_text()
    main = _main(html)
    assert "Rising in September 2014" in main and "Rising in 2014" in main
    assert 'class="table-scroll" role="region"' in main  # a phone scrolls the table, not the page
    rows = re.findall(r'<th scope="row"><a href="/people/([a-z-]+)/">', main)
    assert rows[0] == "john-kerry"  # 2 in September against 1 in August
    assert "<svg" in main and 'role="img"' in main and "<desc>" in main
    assert "<script" not in main
    home = (out / "index.html").read_text()
    assert 'href="/trends/"' in home


def test_entity_indexes_sort_without_javascript(make_archive, tmp_path):
    root = _archive(make_archive)
    out = tmp_path / "site"
    assert run_cli("build", "--root", root, "--out", out, "--no-search", "--quiet") == 0
    by_name = _main((out / "people" / "index.html").read_text())
    by_mentions = _main((out / "people" / "by-mentions" / "index.html").read_text())
    order = lambda h: re.findall(r'<th scope="row"><a href="/people/([a-z-]+)/">', h)  # noqa: E731
    assert order(by_name) == ["john-kerry", "sergei-lavrov"]
    assert order(by_mentions) == ["sergei-lavrov", "john-kerry"]  # 3 articles each; 5 mentions against 4
    assert 'href="/people/by-mentions/"' in by_name and 'href="/people/"' in by_mentions
    assert "<script" not in by_name and "<script" not in by_mentions
    page = _main((out / "people" / "sergei-lavrov" / "index.html").read_text())
    assert "First mention" in page and "Latest mention" in page
    assert "2013-05-03" in page and "2014-09-03" in page
