"""Input files that are not what they seem, and builds that meet each other.

Found by trying to break the build: each case used to end in an internal
error (exit 3) or a hang. Now each is a ``path[:line]: error:`` with a
hint, exit status 1 and the published site untouched; two builds of one
archive take turns.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from archivegen.cache import one_build_at_a_time
from archivegen.errors import BuildFailed
from archivegen.search import Shard, _languages

from safety import REPO, art, build_ok, run_sub, small_archive, write
from test_bad_input import fails_with, published  # noqa: F401 - published: the fixture, a built sample and its snapshot

ART = "content/articles/2013"


def fails(capsys, published, *expected: str) -> str:
    """The build fails with every expected text and leaves the published site as it was."""
    return fails_with(capsys, *published, *expected)


def test_markdown_nested_past_what_the_parser_can_take(capsys, published):
    body = "".join("    " * i + "- item\n" for i in range(400))
    write(published[0], f"{ART}/deep.md", art(body=body))
    fails(capsys, published, f"{ART}/deep.md:5: error: the Markdown nests lists or quotes too deeply to render",
          "    hint: flatten the nesting")


@pytest.mark.parametrize("where", [f"{ART}/pipe.md", "content/people/pipe.md", "archive.yaml",
                                   "templates/pipe.html"])
def test_a_named_pipe_is_reported_not_read(capsys, published, where):
    """Reading a FIFO blocks until someone writes to it: the build hung for ever."""
    path = published[0] / where
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    fails(capsys, published, f"{where}: error: not a regular file but a named pipe", "    hint: ")


def test_a_link_to_itself_is_reported(capsys, published):
    root = published[0]
    os.symlink("loop.md", root / ART / "loop.md")
    os.symlink("loop-folder", root / ART / "loop-folder")  # not an article: left alone, as any other file
    fails(capsys, published, f"{ART}/loop.md: error: symbolic link loop")


def test_a_file_name_that_is_not_utf8(capsys, published):
    root = published[0]
    name = os.fsencode(str(root / ART)) + b"/bad\xff\xfe.md"
    with open(name, "wb") as f:
        f.write(art().encode())
    err = fails(capsys, published, "error: file name is not valid UTF-8", "    hint: rename the file")
    assert f"{ART}/bad" in err


def test_the_entity_link_template_failing_while_linking(capsys, published):
    write(published[0], "templates/partials/entity_link.html", '<a href="{{ href.x.y }}">{{ text }}</a>\n')
    fails(capsys, published, "templates/partials/entity_link.html:1: error: template error while rendering "
          "the link to people/john-kerry: UndefinedError", "    hint: fix the template")


def test_a_template_that_is_not_utf8(capsys, published):
    write(published[0], "templates/article.html", b"\xff\xfe\x00{{ title }}")
    fails(capsys, published, "templates/article.html: error: template is not UTF-8 text",
          "    hint: save the template as UTF-8")


def test_an_index_entry_file_pagefind_left_empty(tmp_path):
    """A full disk: Pagefind exits 0 with an empty pagefind-entry.json (was a JSONDecodeError)."""
    entry = tmp_path / "pagefind/2013/pagefind-entry.json"
    entry.parent.mkdir(parents=True)
    entry.write_text("")
    with pytest.raises(BuildFailed) as caught:
        _languages(tmp_path, Shard("2013", "articles"))
    (p,) = caught.value.problems
    assert p.path == "pagefind/2013/pagefind-entry.json" and "cannot be read: it is empty or cut short" in p.message
    assert "disk space" in p.hint
    entry.write_text('{"languages": {"en": {"hash": "x"}}}')
    assert _languages(tmp_path, Shard("2013", "articles")) == {"en": {"hash": "x"}}


def test_a_second_build_waits_for_the_first(tmp_path, capsys):
    """Two builds of one archive shared the staging folder: one failed with a misleading
    message, the other with an internal error. The second now waits its turn."""
    root = small_archive(tmp_path / "archive")
    build_ok(capsys, root, root / "site")
    write(root, f"{ART}/later.md", art(title="Later", date="2013-09-20"))
    held, release = threading.Event(), threading.Event()

    def first_build() -> None:  # stands for a build in progress: holds the lock until released
        with one_build_at_a_time(root):
            held.set()
            release.wait(60)

    t = threading.Thread(target=first_build)
    t.start()
    held.wait(10)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "archivegen", "build", "--root", str(root), "--no-search"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(2)
    assert proc.poll() is None, "the second build did not wait"
    release.set()
    t.join()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "another archivegen build of this archive is running; waiting for it to finish" in err
    assert (root / "site/2013/09/20/later/index.html").is_file()
    # and a build that finds no one building does not wait or say anything
    again = run_sub("build", "--root", root, "--no-search")
    assert again.returncode == 0 and "waiting" not in again.stderr


def test_names_without_latin_letters_keep_pages_of_their_own(tmp_path, capsys):
    """Every tag or section with no Latin letter used to share /tags/tag/ (北京 and 東京 on one page)."""
    root = small_archive(tmp_path / "archive", articles=0)
    write(root, f"{ART}/a.md", art(title="A", date="2013-08-01", tags="[北京]", section="東京"))
    write(root, f"{ART}/b.md", art(title="B", date="2013-08-02", tags="[東京]", section="北京"))
    out = root / "site"
    build_ok(capsys, root, out)
    tag_pages = sorted(p.parent.name for p in (out / "tags").glob("*/index.html"))
    section_pages = sorted(p.parent.name for p in (out / "sections").glob("*/index.html"))
    assert len(tag_pages) == 2 and all(t.startswith("tag-") for t in tag_pages), tag_pages
    assert len(section_pages) == 2 and all(s.startswith("section-") for s in section_pages), section_pages
    titles = {(out / "tags" / t / "index.html").read_text().split("<h1")[1].split("</h1>")[0] for t in tag_pages}
    assert any("北京" in h for h in titles) and any("東京" in h for h in titles)


def test_a_negative_job_count_is_a_usage_error(tmp_path):
    root = small_archive(tmp_path / "archive")
    r = run_sub("build", "--root", root, "--jobs", "-3")
    assert r.returncode == 2 and "--jobs" in r.stderr and "0 for every core, or more" in r.stderr
    assert not (root / "site").exists()


def test_markdown_that_would_take_minutes_is_stopped(capsys, published, monkeypatch):
    """Runs of unclosed link brackets make Python-Markdown's time grow with the square of
    their length (20,000 ran past a minute); past the limit the article is an error."""
    from archivegen import render

    monkeypatch.setattr(render, "RENDER_SECONDS", 0.5)  # the real limit is 10 s; this body takes about 3
    write(published[0], f"{ART}/slow.md", art(body="[a](" * 4000))
    fails(capsys, published, f"{ART}/slow.md:5: error: the Markdown took over 0.5 s to render",
          "    hint: look for long runs of unclosed brackets")


def test_import_names_a_pipe_for_what_it_is(tmp_path):
    """It said 'no such file or folder' of a named pipe given on the command line."""
    root = small_archive(tmp_path / "archive")
    pipe = tmp_path / "wire.txt"
    os.mkfifo(pipe)
    r = run_sub("import", "--root", root, "--date", "2013-01-01", pipe, timeout=60)
    assert r.returncode == 1 and f"skipped {pipe}: not a regular file but a named pipe" in r.stderr


def test_the_render_time_limit_gives_a_callers_own_alarm_back():
    """A program that calls the build may have an alarm of its own pending: it still fires."""
    import signal

    from archivegen.render import _TimeLimit

    fired: list[float] = []

    def mine(signum, frame):
        fired.append(time.monotonic())

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        start = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with _TimeLimit(10) as limit:
            limit.arm()
            time.sleep(0.1)
            limit.disarm()
            time.sleep(0.1)
        assert signal.getsignal(signal.SIGALRM) is mine and not fired
        time.sleep(0.8)
        assert len(fired) == 1 and 0.4 < fired[0] - start < 0.9
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_batch_of_renderings_limits_each_article_and_leaves_no_alarm_between_them(monkeypatch):
    """``BodyRenderer.batch`` installs the handler once: the limit is still per article,
    no alarm is pending between articles, and the handler is given back after."""
    import signal

    from archivegen import render
    from archivegen.errors import ContentError
    from archivegen.render import BodyRenderer

    monkeypatch.setattr(render, "RENDER_SECONDS", 0.3)
    renderer = BodyRenderer(None)
    before = signal.getsignal(signal.SIGALRM)
    with renderer.batch():
        for _ in range(4):  # 0.6 s in all: more than one limit, less than one each
            assert "<p>quick</p>" in renderer.render(body="quick").html
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
            time.sleep(0.15)
        with pytest.raises(ContentError, match="took over 0.3 s"):
            renderer.render(body="[a](" * 4000)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert "<p>after</p>" in renderer.render(body="after").html  # the renderer still works
    assert signal.getsignal(signal.SIGALRM) is before
    with pytest.raises(ContentError, match="took over 0.3 s"):  # and alone, outside a batch
        renderer.render(body="[a](" * 4000)
    assert signal.getsignal(signal.SIGALRM) is before


def test_help_lists_every_command_and_a_typo_is_named_with_the_valid_ones(tmp_path):
    """Only the named command's module is loaded (cli.make_parser); without one, all are."""
    from archivegen.cli import COMMANDS

    r = run_sub("--help")
    assert r.returncode == 0
    for name in COMMANDS:
        assert name.rstrip("_") in r.stdout
    r = run_sub("biuld", "--root", tmp_path)
    assert r.returncode == 2 and "invalid choice: 'biuld'" in r.stderr and "'build'" in r.stderr
    r = run_sub("build", "--help")
    assert r.returncode == 0 and "--jobs" in r.stdout


def test_a_build_loads_no_other_commands_module(tmp_path):
    root = small_archive(tmp_path / "archive")
    probe = ("import sys; from archivegen.cli import main; code = main(['build', '--root', sys.argv[1], '-q', "
             "'--no-search']); print(sorted(m for m in sys.modules if m.startswith('archivegen.commands.'))); "
             "sys.exit(code)")
    r = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['archivegen.commands.build']"
    assert (root / "site" / "index.html").is_file()
