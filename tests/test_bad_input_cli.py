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
