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
