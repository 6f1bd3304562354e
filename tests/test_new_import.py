"""``archivegen new`` and ``archivegen import``.

The seed article (tests/fixtures/seed.txt, the user's own example) must
import to the sample article's front matter and body. Every other input
here is made up by the tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import markdown
import pytest

from archivegen import frontmatter
from archivegen.content import parse_article
from archivegen.errors import Problems
from archivegen.importer import ImportSkip, escape_markdown, is_footer, parse_raw, split_credit

from conftest import REPO, run_cli

SEED = Path(__file__).parent / "fixtures" / "seed.txt"
SAMPLE = REPO / "content" / "articles" / "2013" / "08" / "us-russia-have-shared-interests-despite-gaps-kerry.md"


def load(path: Path):
    """(front matter, body paragraphs) of an article file, validated like a build does."""
    raw = path.read_bytes()
    problems = Problems()
    art = parse_article(raw, "content/articles/x.md", ZoneInfo("UTC"), problems)
    assert art is not None and not problems.errors, [p.format() for p in problems.items]
    doc = frontmatter.parse(raw.decode("utf-8"), str(path))
    return doc.meta, [p.strip() for p in doc.body.strip().split("\n\n")]


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "content" / "articles").mkdir(parents=True)
    return tmp_path


def imported(root: Path) -> list[Path]:
    return sorted((root / "content" / "articles").rglob("*.md"))


# ---------------------------------------------------------------------------
# import: the seed

def test_seed_import_reproduces_the_sample_article(root, capsys):
    status = run_cli("import", "--root", root, SEED, "--date", "2013-08-09",
                     "--publication", "The Straits Times", "--section", "World")
    assert status == 0
    out = capsys.readouterr().out
    assert "imported 1 of 1 files, skipped 0" in out
    [path] = imported(root)
    assert path == root / "content" / "articles" / "2013" / "08" / SAMPLE.name
    meta, body = load(path)
    want, want_body = load(SAMPLE)
    for key in ("title", "date", "source", "publication", "section"):
        assert meta[key] == want[key], key
    assert meta["image"]["caption"] == want["image"]["caption"]
    assert meta["image"]["credit"] == "AP" == want["image"]["credit"]
    assert meta["sanitize"] is True
    assert body == want_body
    text = path.read_text()
    assert text.count("Russian Foreign Minister Sergei Lavrov") == 1  # the repeated caption, once
    assert "PHOTO" not in text and "Telegram" not in text


def test_seed_imported_twice_is_skipped_not_overwritten(root, capsys):
    args = ("import", "--root", root, SEED, "--date", "2013-08-09")
    assert run_cli(*args) == 0
    [path] = imported(root)
    path.write_text(path.read_text() + "\nAn editor's addition.\n")
    before = path.read_bytes()
    capsys.readouterr()
    assert run_cli(*args) == 1
    captured = capsys.readouterr()
    assert f"skipped {SEED}: " in captured.err and "already exists; not overwritten" in captured.err
    assert "imported 0 of 1 files, skipped 1" in captured.out
    assert path.read_bytes() == before


# ---------------------------------------------------------------------------
# import: encodings, skips, options

def test_latin1_file_is_detected_and_converted(root, tmp_path, capsys):
    src = tmp_path / "raw" / "mutu.txt"
    src.parent.mkdir()
    src.write_bytes("Club sacks striker\n\nThe £15.8m signing from Parma was sacked on Friday.\n".encode("latin-1"))
    assert run_cli("import", "--root", root, src, "--date", "2004-10-29") == 0
    out = capsys.readouterr().out
    assert f"{src}: not UTF-8: read as latin-1" in out
    assert "not UTF-8: 1 latin-1" in out
    [path] = imported(root)
    assert "The £15.8m signing" in path.read_text(encoding="utf-8")


def test_cp1252_quotes_are_detected(tmp_path):
    raw = "Minister \u201cquits\u201d\n\nThe minister said it was \u201ctime to go\u201d \u2013 and left.\n".encode("cp1252")
    art = parse_raw(raw)
    assert art.title == "Minister \u201cquits\u201d"
    assert art.encoding == "cp1252" and "not UTF-8" in art.encoding_note
    assert art.paragraphs == ["The minister said it was \u201ctime to go\u201d \u2013 and left."]


def test_every_skipped_file_is_reported_with_its_reason(root, tmp_path, capsys):
    raw = tmp_path / "raw"
    (raw / "politics").mkdir(parents=True)
    good = "Vote called for May\n\nThe prime minister called an election for 5 May.\n"
    (raw / "politics" / "001.txt").write_text(good)
    (raw / "politics" / "002.txt").write_text(good)  # same story twice
    (raw / "politics" / "003.txt").write_text("")
    (raw / "politics" / "004.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (raw / "politics" / "005.txt").write_text("Only a headline\n")
    (raw / "politics" / "006.txt").write_text("x" * 400 + "\n\nA paragraph.\n")
    (raw / "politics" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (raw / "README.txt").write_text("About this corpus\n\nIt has files.\n")
    missing = tmp_path / "nope.txt"
    status = run_cli("import", "--root", root, raw, missing, "--date", "2005-04-05")
    assert status == 1
    captured = capsys.readouterr()
    reasons = dict(re.findall(r"^skipped (\S+): (.*)$", captured.err, re.M))
    assert reasons == {
        str(raw / "README.txt"): "looks like a README or licence, not an article",
        str(raw / "politics" / "002.txt"): f"duplicate of {raw / 'politics' / '001.txt'} (same headline and text)",
        str(raw / "politics" / "003.txt"): "empty file",
        str(raw / "politics" / "004.txt"): "binary file (contains NUL bytes)",
        str(raw / "politics" / "005.txt"): "no body: only a headline",
        str(raw / "politics" / "006.txt"): reasons.get(str(raw / "politics" / "006.txt")),
        str(raw / "politics" / "photo.jpg"): reasons.get(str(raw / "politics" / "photo.jpg")),
        str(missing): "no such file or folder",
    }
    assert "too long for a headline" in reasons[str(raw / "politics" / "006.txt")]
    assert "not a text file" in reasons[str(raw / "politics" / "photo.jpg")]
    assert "imported 1 of 9 files, skipped 8" in captured.out
    [path] = imported(root)
    meta, body = load(path)
    assert meta["section"] == "Politics"  # folder import: the file's folder, capitalised
    assert body == ["The prime minister called an election for 5 May."]


def test_dates_from_csv_section_and_source_options(root, tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("First story\n\nLONDON (Reuters) - Something happened.\n")
    (raw / "b.txt").write_text("Second story\n\nMore happened.\n")
    (raw / "c.txt").write_text("Third story\n\nEven more happened.\n")
    csv = tmp_path / "dates.csv"
    csv.write_text("file,date\na.txt,2004-01-02\nraw/b.txt,2004-02-03T10:00:00+01:00\n")
    assert run_cli("import", "--root", root, raw, "--dates", csv, "--section", "Business",
                   "--publication", "The Daily") == 1  # c.txt has no date
    err = capsys.readouterr().err
    assert f"skipped {raw / 'c.txt'}: no date" in err
    paths = imported(root)
    assert [p.relative_to(root / "content" / "articles").as_posix() for p in paths] == [
        "2004/01/first-story.md", "2004/02/second-story.md"]
    a, _ = load(paths[0])
    b, _ = load(paths[1])
    assert (a["date"], a["section"], a["publication"], a["source"]) == ("2004-01-02", "Business", "The Daily", "Reuters")
    assert b["date"] == "2004-02-03T10:00:00+01:00" and "source" not in b


def test_import_needs_a_date(root, tmp_path, capsys):
    (tmp_path / "a.txt").write_text("Story\n\nText.\n")
    assert run_cli("import", "--root", root, tmp_path / "a.txt") == 2
    assert run_cli("import", "--root", root, tmp_path / "a.txt", "--date", "2013-02-30") == 2
    assert "not a real date" in capsys.readouterr().err
    assert imported(root) == []


def test_dry_run_writes_nothing(root, capsys):
    assert run_cli("import", "--root", root, SEED, "--date", "2013-08-09", "--dry-run") == 0
    assert "would import 1 of 1 files" in capsys.readouterr().out
    assert imported(root) == []


def test_out_option(root, tmp_path):
    dest = tmp_path / "elsewhere"
    assert run_cli("import", "--root", root, SEED, "--date", "2013-08-09", "--out", dest) == 0
    assert [p.name for p in dest.rglob("*.md")] == [SAMPLE.name]


# ---------------------------------------------------------------------------
# import: furniture rules

@pytest.mark.parametrize("text", [
    "Join ST's Telegram channel and get the latest breaking news delivered to you.",
    "Follow us on Twitter and Facebook for more.",
    "Subscribe to our newsletter for the day's top stories.",
    "Sign up for the Morning Briefing newsletter.",
    "Download our app for breaking news notifications.",
    "Copyright 2013 Singapore Press Holdings. All rights reserved.",
    "© Reuters 2013",
    "Get our WhatsApp channel updates.",
])
def test_footers_are_recognised(text):
    assert is_footer(text)


@pytest.mark.parametrize("text", [
    "The company said it would join forces with Facebook to build the app.",
    "Fans who follow the club on Twitter were angry.",
    "He told reporters the decision was final.",
    "Subscribers to the service rose 20% in the year, the firm said, as its new app for phones proved popular "
    "with younger users, while rivals struggled to keep up with demand in a crowded market that analysts say "
    "will consolidate quickly over the next two years.",
])
def test_reporting_is_not_mistaken_for_a_footer(text):
    assert not is_footer(text)


@pytest.mark.parametrize("text,caption,credit", [
    ("Troops in the square. -- PHOTO: AP", "Troops in the square.", "AP"),
    ("Troops in the square. - PHOTOS: REUTERS", "Troops in the square.", "REUTERS"),
    ("Troops in the square. -- ST PHOTO: KEVIN LIM", "Troops in the square.", "ST / KEVIN LIM"),
    ("Troops in the square. -- FILE PHOTO: AFP", "Troops in the square.", "AFP"),
    ("Troops in the square (Photo: EPA)", "Troops in the square", "EPA"),
    ("Troops in the square.", "Troops in the square.", ""),
])
def test_photo_credits(text, caption, credit):
    assert split_credit(text) == (caption, credit)


def test_caption_with_credit_once_without_repeat():
    art = parse_raw(b"Headline here\n\nA man waves. -- PHOTO: REUTERS\n\nFirst paragraph.\n\nSecond.\n")
    assert (art.caption, art.credit) == ("A man waves.", "REUTERS")
    assert art.paragraphs == ["First paragraph.", "Second."]


def test_caption_repeated_as_paragraphs_without_credit():
    art = parse_raw(b"Headline here\n\nA man waves.\n\nA man waves.\n\nFirst paragraph.\n")
    assert (art.caption, art.credit) == ("A man waves.", "")
    assert art.paragraphs == ["First paragraph."]


def test_plain_article_keeps_every_paragraph():
    art = parse_raw(b"Headline here\n\nFirst paragraph.\n\nSecond paragraph.\n")
    assert (art.caption, art.credit, art.stripped) == ("", "", [])
    assert art.paragraphs == ["First paragraph.", "Second paragraph."]


def test_crlf_and_headline_without_blank_line():
    art = parse_raw(b"Headline here\r\nFirst paragraph.\r\n\r\nSecond.\r\n")
    assert art.title == "Headline here"
    assert art.paragraphs == ["First paragraph.", "Second."]


def test_only_furniture_is_skipped():
    with pytest.raises(ImportSkip, match="no body"):
        parse_raw(b"Headline\n\nA caption. -- PHOTO: AP\n\nFollow us on Twitter for more news.\n")


@pytest.mark.parametrize("text", [
    "* not a list", "- not a list either", "1. not numbered", "# not a heading", "> not a quote",
    "<script>alert(1)</script> and <b>tags</b>", "a *star* and _under_ and `tick` and [link](x)",
    "a claim {: .class} and {#id}", "table | with | pipes", "a note[^1] here", "~~~",
    "back\\slash", "===", "---", "***", "_ _ _", "2004. A year", "+ plus", "1) one",
])
def test_raw_text_stays_literal_in_markdown(text):
    from archivegen.render import EXTENSIONS

    html = markdown.markdown(escape_markdown(text), extensions=list(EXTENSIONS))
    assert html.startswith("<p>") and html.endswith("</p>"), html
    plain = html[3:-4].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert plain == text


# ---------------------------------------------------------------------------
# new

def test_new_writes_front_matter_and_prints_the_path(root, capsys):
    status = run_cli("new", "--root", root, "Kerry: talks in Genève", "--date", "2013-08-10",
                     "--section", "World", "--tags", "diplomacy, us-russia", "--tags", "geneva")
    assert status == 0
    path = root / "content" / "articles" / "2013" / "08" / "kerry-talks-in-geneve.md"
    assert capsys.readouterr().out.strip() == str(path)
    meta, _ = load(path)
    assert meta == {"title": "Kerry: talks in Genève", "date": "2013-08-10", "section": "World",
                    "tags": ["diplomacy", "us-russia", "geneva"]}


def test_new_refuses_to_overwrite(root, capsys):
    assert run_cli("new", "--root", root, "Same title", "--date", "2013-08-10") == 0
    path = root / "content" / "articles" / "2013" / "08" / "same-title.md"
    path.write_text(path.read_text() + "The writer's work.\n")
    before = path.read_bytes()
    capsys.readouterr()
    assert run_cli("new", "--root", root, "Same title", "--date", "2013-08-10") == 1
    err = capsys.readouterr().err
    assert "already exists; not overwritten" in err and str(path) in err
    assert path.read_bytes() == before


def test_new_defaults_to_today_and_checks_input(root, capsys):
    assert run_cli("new", "--root", root, "Breaking story", "--draft") == 0
    path = Path(capsys.readouterr().out.strip())
    meta, _ = load(path)
    assert meta["draft"] is True and re.match(r"^\d{4}-\d{2}-\d{2}$", meta["date"])
    assert run_cli("new", "--root", root, "Bad date", "--date", "2013-13-01") == 2
    assert run_cli("new", "--root", root, "!!!") == 2  # no slug from the title
    assert run_cli("new", "--root", root, "!!!", "--slug", "exclamations", "--date", "2013-01-01") == 0
