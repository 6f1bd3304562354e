"""Bad input to the commands other than ``build``: ``new``, ``import``, ``mentions``, ``serve``.

Each case was once a traceback, a hang, or a silent write to the wrong
place. Now it is a ``path: error: what is wrong`` line with a hint, a
status of 1 (the archive's problem) or 2 (a bad option, as ``build``
gives for a bad --out), and nothing written.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from conftest import article, run_cli

STORY = "Kerry meets Lavrov\n\nThe ministers met in Geneva.\n"


def no_traceback(err: str) -> None:
    assert "internal error" not in err and "Traceback" not in err and "Errno" not in err, err


@pytest.fixture
def story(tmp_path) -> Path:
    path = tmp_path / "raw" / "story.txt"
    path.parent.mkdir()
    path.write_text(STORY)
    return path


# ---------------------------------------------------------------------------
# new

def test_new_with_a_file_where_the_articles_folder_must_be(make_archive, capsys):
    root = make_archive({})
    articles = root / "content" / "articles"
    articles.rmdir()
    articles.write_text("not a folder\n")
    assert run_cli("new", "--root", root, "Hello", "--date", "2013-08-09") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert f"{articles}: error: not a folder but a file\n    hint: " in err
    assert articles.read_text() == "not a folder\n"


def test_new_with_a_file_where_a_month_folder_must_be(make_archive, capsys):
    root = make_archive({})
    (root / "content" / "articles" / "2013").write_text("")
    assert run_cli("new", "--root", root, "Hello", "--date", "2013-08-09") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert f"{root / 'content' / 'articles' / '2013'}: error: not a folder but a file" in err


def test_new_outside_an_archive_creates_nothing(tmp_path, capsys):
    root = tmp_path / "nowhere" / "x"
    assert run_cli("new", "--root", root, "Hello") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    # the words build uses for the same --root
    assert "content: error: no content/ folder in the archive root\n    hint: " in err
    assert "archivegen init DIR" in err
    assert not (tmp_path / "nowhere").exists()


# ---------------------------------------------------------------------------
# mentions

def _unblock_later(fifo: Path, seconds: float) -> threading.Thread:
    """Open the pipe's writing end after a while, so that a reader stuck on it
    (the bug) sees its end and the test fails instead of hanging."""
    def unblock() -> None:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # ENXIO when nobody reads: fine
        except OSError:
            pass

    timer = threading.Timer(seconds, unblock)
    timer.daemon = True
    timer.start()
    return timer


def test_mentions_refuses_a_named_pipe(make_archive, tmp_path, capsys):
    root = make_archive({"articles/a.md": article("A", body="Russia.")})
    fifo = tmp_path / "f.md"
    os.mkfifo(fifo)
    timer = _unblock_later(fifo, 3)
    status = run_cli("mentions", "--json", "--root", root, fifo)
    timer.cancel()
    out, err = capsys.readouterr()
    no_traceback(err)
    assert status == 1
    assert f"{fifo}: error: not a regular file but a named pipe\n    hint: " in err
    assert out == ""


def test_mentions_refuses_a_device(make_archive, capsys):
    # /dev/null stands for /dev/zero, which is refused the same way but never ends when read
    root = make_archive({"articles/a.md": article("A", body="Russia.")})
    assert run_cli("mentions", "--json", "--root", root, "/dev/null") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "/dev/null: error: not a regular file but a device\n    hint: " in err


def test_mentions_of_a_folder_reports_a_pipe_in_it(make_archive, capsys):
    root = make_archive({"articles/2013/a.md": article("A", body="Russia.")})
    os.mkfifo(root / "content" / "articles" / "2013" / "p.md")
    assert run_cli("mentions", "--json", "--root", root, root / "content" / "articles" / "2013") == 1
    out, err = capsys.readouterr()
    assert "content/articles/2013/p.md: error: not a regular file but a named pipe" in err
    assert '"text": "Russia"' in out  # the other articles are still listed


# ---------------------------------------------------------------------------
# serve

def test_serve_refuses_the_out_build_refuses_before_serving(make_archive, monkeypatch, capsys):
    import archivegen.server

    def bind(*args, **kwargs):
        raise AssertionError("the server was started")

    monkeypatch.setattr(archivegen.server, "bind", bind)
    root = make_archive({"articles/a.md": article("A")})
    out = root / "content" / "x"
    assert run_cli("build", "--root", root, "--out", out) == 2
    build_err = capsys.readouterr().err
    assert run_cli("serve", "--root", root, "--port", "0", "--out", out) == 2
    err = capsys.readouterr().err
    no_traceback(err)
    assert err == build_err.replace("archivegen:", "archivegen serve:")
    assert "overlaps content/" in err
    assert not out.exists()


def test_serve_says_when_there_is_no_site_to_serve(make_archive, tmp_path, capsys):
    from argparse import Namespace

    from archivegen.commands.serve import Session
    from archivegen.errors import Problem
    from archivegen.server import EventHub

    root = make_archive({})
    session = Session(root, tmp_path / "never-built", "http://127.0.0.1:0/", EventHub(), Namespace())
    session._failed([Problem("content/articles/a.md", 1, "missing required field 'date'")])
    err = capsys.readouterr().err
    assert "no site to serve until the errors are fixed" in err and "last good site" not in err


# ---------------------------------------------------------------------------
# import

@pytest.mark.parametrize("kind", ["file", "device", "below a file"])
def test_import_out_that_is_not_a_folder_is_reported_once(make_archive, story, kind, capsys):
    root = make_archive({})
    readme = root / "README.md"
    readme.write_text("# my archive\n")
    out = {"file": readme, "device": Path("/dev/null"), "below a file": readme / "sub"}[kind]
    second = story.with_name("second.txt")
    second.write_text("Another story\n\nMore text.\n")
    assert run_cli("import", "--root", root, story, second, "--date", "2013-08-09", "--out", out) == 2
    err = capsys.readouterr().err
    no_traceback(err)
    blocked = "/dev/null" if kind == "device" else str(readme)
    what = "a device" if kind == "device" else "a file"
    assert err.count("error:") == 1 and "cannot read" not in err, err
    assert f"{blocked}: error: not a folder but {what}, so --out cannot hold articles\n    hint: " in err
    assert readme.read_text() == "# my archive\n"


def test_import_dates_csv_that_is_not_utf8(make_archive, story, tmp_path, capsys):
    root = make_archive({})
    csv = tmp_path / "dates.csv"
    csv.write_bytes(b"file,date\nstory.txt,2013-08-09\n\xd0\xcf\x11\xe0 binary\n")
    assert run_cli("import", "--root", root, story, "--dates", csv) == 2
    err = capsys.readouterr().err
    no_traceback(err)
    assert f"{csv}:3: error: not UTF-8 text (byte 0xd0 at offset 31)\n    hint: save the CSV as UTF-8" in err
    assert list((root / "content" / "articles").rglob("*.md")) == []


def test_import_dates_csv_that_is_a_pipe(make_archive, story, tmp_path, capsys):
    root = make_archive({})
    fifo = tmp_path / "dates.csv"
    os.mkfifo(fifo)
    timer = _unblock_later(fifo, 3)
    status = run_cli("import", "--root", root, story, "--dates", fifo)
    timer.cancel()
    err = capsys.readouterr().err
    assert status == 2
    assert f"{fifo}: error: not a regular file but a named pipe\n    hint: " in err


def test_import_dates_csv_bad_row_names_its_line(make_archive, story, tmp_path, capsys):
    root = make_archive({})
    csv = tmp_path / "dates.csv"
    csv.write_text("file,date\nstory.txt\n")
    assert run_cli("import", "--root", root, story, "--dates", csv) == 2
    assert f"{csv}:2: error: expected 'file,date', got 'story.txt'\n    hint: " in capsys.readouterr().err


@pytest.mark.parametrize("where", ["site", "site/2013", "built elsewhere"])
def test_import_refuses_out_inside_a_site(make_archive, story, tmp_path, where, capsys):
    root = make_archive({"articles/a.md": article("A")})
    if where == "built elsewhere":
        built = tmp_path / "public"
        assert run_cli("build", "--root", root, "--out", built, "--no-search", "--quiet") == 0
        out = built / "imported"
    else:
        out = root / where
    before = sorted(p for p in tmp_path.rglob("*") if p.suffix == ".md")
    assert run_cli("import", "--root", root, story, "--date", "2013-08-09", "--out", out) == 2
    err = capsys.readouterr().err
    no_traceback(err)
    assert f"{out}: error: --out is inside the site folder" in err and "    hint: " in err
    assert sorted(p for p in tmp_path.rglob("*") if p.suffix == ".md") == before


def test_import_warns_about_out_in_the_archive_outside_articles(make_archive, story, capsys):
    root = make_archive({})
    out = root / "content" / "people"
    assert run_cli("import", "--root", root, story, "--date", "2013-08-09", "--out", out) == 0
    err = capsys.readouterr().err
    assert f"{out}: warning: --out is in the archive but outside content/articles/" in err
    assert len(list(out.rglob("*.md"))) == 1


def test_import_out_outside_the_archive_is_quiet(make_archive, story, tmp_path, capsys):
    root = make_archive({})
    out = tmp_path / "review"
    assert run_cli("import", "--root", root, story, "--date", "2013-08-09", "--out", out) == 0
    assert capsys.readouterr().err == ""


def test_import_outside_an_archive_creates_nothing(tmp_path, story, capsys):
    root = tmp_path / "nowhere" / "x"
    assert run_cli("import", "--root", root, story, "--date", "2013-08-09") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "content: error: no content/ folder in the archive root\n    hint: " in err
    assert not (tmp_path / "nowhere").exists()


def test_import_write_failure_is_not_called_a_read_failure(make_archive, story, capsys):
    root = make_archive({})
    (root / "content" / "articles" / "2013").write_text("")
    assert run_cli("import", "--root", root, story, "--date", "2013-08-09") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "cannot read" not in err
    assert f"cannot write {root / 'content' / 'articles' / '2013' / '08' / 'kerry-meets-lavrov.md'} " \
           f"({root / 'content' / 'articles' / '2013'}: not a folder but a file)" in err


def test_import_with_a_file_where_the_articles_folder_must_be(make_archive, story, capsys):
    root = make_archive({})
    articles = root / "content" / "articles"
    articles.rmdir()
    articles.write_text("")
    assert run_cli("import", "--root", root, story, "--date", "2013-08-09") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert err.count("error:") == 1 and "cannot read" not in err, err
    assert f"{articles}: error: not a folder but a file\n    hint: " in err
