"""`archivegen mentions --json`: the DESIGN JSON shape, order, paths, errors."""

from __future__ import annotations

import json

from archivegen.cli import main

FIELDS = ["article", "start", "end", "text", "id", "kind", "name", "wikidata", "iso2", "linked"]


def archive(make_archive):
    return make_archive({
        "people/john-kerry.md": "---\nname: John Kerry\nwikidata: Q22316\n---\n",
        "people/sergei-lavrov.md": "---\nname: Sergei Lavrov\n---\n",
        "articles/2013/08/kerry.md": "---\ntitle: \"Kerry: talks\"\ndate: 2013-08-09\n---\n"
                                     "John Kerry met Sergei Lavrov in Moscow. Russia's view: Kerry and Lavrov.\n",
        "articles/2013/07/a.md": "---\ntitle: Early\ndate: 2013-07-01\n---\nThe United States said.\n",
    })


def run(capsys, *args):
    status = main(["mentions", *map(str, args)])
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err


def test_json_shape_and_reading_order(make_archive, capsys):
    root = archive(make_archive)
    status, rows, err = run(capsys, "--json", "--root", root)
    assert status == 0, err
    assert all(list(r) == FIELDS for r in rows)
    assert [r["article"] for r in rows] == ["content/articles/2013/07/a.md"] + ["content/articles/2013/08/kerry.md"] * 5
    kerry = rows[1]
    assert kerry == {"article": "content/articles/2013/08/kerry.md", "start": 0, "end": 10, "text": "John Kerry",
                     "id": "people/john-kerry", "kind": "person", "name": "John Kerry", "wikidata": "Q22316",
                     "iso2": None, "linked": True}
    assert [(r["text"], r["linked"]) for r in rows[1:]] == [
        ("John Kerry", True), ("Sergei Lavrov", True), ("Russia", True), ("Kerry", False), ("Lavrov", False)]
    russia = rows[3]
    assert (russia["kind"], russia["iso2"], russia["id"]) == ("country", "RU", "countries/russia")
    assert rows[0]["id"] == "countries/united-states" and rows[0]["iso2"] == "US"


def test_offsets_index_the_plain_text(make_archive, capsys):
    from archivegen.config import Config
    from archivegen.content import load_articles
    from archivegen.errors import Problems
    from archivegen.registry import load_registry
    from archivegen.render import BodyRenderer

    root = archive(make_archive)
    _, rows, _ = run(capsys, "--json", "--root", root)
    problems = Problems()
    arts = {a.path: a for a in load_articles(root, Config(), problems)}
    body = BodyRenderer(load_registry(root, problems), Config()).render(arts["content/articles/2013/08/kerry.md"])
    for r in rows[1:]:
        assert body.text[r["start"]:r["end"]] == r["text"]


def test_only_the_given_paths(make_archive, capsys, monkeypatch):
    root = archive(make_archive)
    monkeypatch.chdir(root)
    status, rows, _ = run(capsys, "--json", "content/articles/2013/07/a.md")
    assert status == 0 and {r["article"] for r in rows} == {"content/articles/2013/07/a.md"}
    status, rows, _ = run(capsys, "--json", "content/articles/2013/08")
    assert status == 0 and {r["article"] for r in rows} == {"content/articles/2013/08/kerry.md"}


def test_needs_no_templates_and_no_site(make_archive, capsys):
    root = archive(make_archive)
    assert not (root / "templates").exists()
    status, rows, _ = run(capsys, "--json", "--root", root)
    assert status == 0 and rows
    assert not (root / "site").exists()


def test_a_broken_article_is_reported_and_the_others_still_print(make_archive, capsys):
    root = archive(make_archive)
    (root / "content/articles/2013/08/bad.md").write_text("---\ntitle: [unclosed\n---\nRussia\n")
    (root / "content/articles/2013/08/unknown.md").write_text(
        "---\ntitle: U\ndate: 2013-08-10\npeople: [nobody-here]\n---\nRussia.\n")
    status, rows, err = run(capsys, "--json", "--root", root)
    assert status == 1
    assert "content/articles/2013/08/bad.md:2" in err
    assert "content/articles/2013/08/unknown.md:4" in err and "nobody-here" in err
    assert {r["article"] for r in rows} == {"content/articles/2013/07/a.md", "content/articles/2013/08/kerry.md"}


def test_missing_path_is_an_error(make_archive, capsys):
    root = archive(make_archive)
    status, rows, err = run(capsys, "--json", "--root", root, "content/articles/nope.md")
    assert status == 1 and rows == [] and "nope.md" in err


def test_a_reader_that_stops_early_ends_it_quietly(make_archive):
    """``archivegen mentions --json | head -1``: no internal error, SIGPIPE's status."""
    import subprocess
    import sys

    root = archive(make_archive)
    for n in range(200):  # more output than one pipe buffer holds
        (root / f"content/articles/2013/07/n{n}.md").write_text(
            f"---\ntitle: N{n}\ndate: 2013-07-02\n---\n" + "John Kerry and Russia. " * 40 + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "archivegen", "mentions", "--json", "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as head does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert json.loads(first)["article"].startswith("content/articles/")
    assert "internal error" not in err and "Traceback" not in err, err
