"""The double-buffered output folder (archivegen/output.py): the swapped-out
site is kept beside the published one and the next build starts from it,
re-linking only what changed. It must never write into the published site,
and a buffer it cannot trust must be rebuilt, never used."""

from __future__ import annotations

import json
import os
from pathlib import Path

from safety import art, build_ok, day, small_archive, snapshot, write

MARKER = ".archivegen-site"
RECORD = ".archivegen-buffer"


def site(out: Path) -> dict:
    snap = snapshot(out)
    snap.pop(MARKER, None)
    return snap


def clean_build(capsys, root: Path, tmp_path: Path) -> dict:
    clean = tmp_path / "clean-site"
    build_ok(capsys, root, clean, "--clean")
    return site(clean)


def test_buffer_holds_the_previous_site_and_the_next_build_starts_from_it(tmp_path, capsys):
    root = small_archive(tmp_path / "archive", articles=4)
    out = root / "site"
    buffer = root / ".site.staging"
    build_ok(capsys, root, out, "--no-search")
    first = site(out)
    page = out / "2013/08/01/talks-day-0/index.html"
    old_inode = page.stat().st_ino
    write(root, "content/articles/2013/article-0.md", art(title='"Talks, day 0"', date=day(0), body="Changed words."))
    build_ok(capsys, root, out, "--no-search")
    second = site(out)
    assert second != first
    # the buffer is exactly the site before, with a record of what differs
    held = site(buffer)
    record = json.loads(held.pop(RECORD))
    assert held == first
    assert "2013/08/01/talks-day-0/index.html" in record["changed"]
    assert record["site"] in (out / MARKER).read_text()
    # the changed page is a new file; the old one (kept in the buffer) was never written through
    assert page.stat().st_ino != old_inode
    assert (buffer / "2013/08/01/talks-day-0/index.html").stat().st_ino == old_inode
    # unchanged files are one file shared by both folders
    assert (out / "static/style.css").stat().st_ino == (buffer / "static/style.css").stat().st_ino
    # delete one article, add another: the site built from the buffer equals a clean build
    (root / "content/articles/2013/article-3.md").unlink()
    write(root, "content/articles/2013/article-9.md", art(title='"New day"', date="2013-08-20"))
    build_ok(capsys, root, out, "--no-search")
    assert not (out / "2013/08/04").exists()  # a removed article leaves no empty folder behind
    assert site(out) == clean_build(capsys, root, tmp_path)


def test_a_buffer_that_cannot_be_trusted_is_rebuilt(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    buffer = root / ".site.staging"
    build_ok(capsys, root, out, "--no-search")
    write(root, "content/articles/2013/article-1.md", art(title='"Talks, day 1"', date=day(1), body="Second version."))
    build_ok(capsys, root, out, "--no-search")
    # junk in the buffer and a record for some other site: ignored, the folder is started afresh
    write(buffer, "junk.html", "not part of any build")
    record = json.loads((buffer / RECORD).read_text())
    (buffer / RECORD).write_text(json.dumps(dict(record, site="someone-else")))
    write(root, "content/articles/2013/article-2.md", art(title='"Talks, day 2"', date=day(2), body="Third version."))
    build_ok(capsys, root, out, "--no-search")
    assert not (out / "junk.html").exists()
    assert site(out) == clean_build(capsys, root, tmp_path)


def test_a_published_file_removed_by_hand_is_put_back(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out, "--no-search")
    write(root, "content/articles/2013/article-1.md", art(title='"Talks, day 1"', date=day(1), body="Second version."))
    build_ok(capsys, root, out, "--no-search")
    os.unlink(out / "2013/08/02/talks-day-1/index.html")
    write(root, "content/articles/2013/article-2.md", art(title='"Talks, day 2"', date=day(2), body="Third version."))
    build_ok(capsys, root, out, "--no-search")
    assert site(out) == clean_build(capsys, root, tmp_path)


def test_clean_discards_the_buffer(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out, "--no-search")
    build_ok(capsys, root, out, "--no-search", "--clean")
    buffer = root / ".site.staging"
    # after --clean the buffer is the swapped-out site again, recorded afresh
    assert (buffer / RECORD).is_file()
    held = site(buffer)
    held.pop(RECORD)
    assert held == site(out)


# -- seeding: the first build after a cold one links the published site in first ----------

def test_seed_links_every_published_file_and_refuses_what_is_not_ours(tmp_path):
    from archivegen.output import _seed

    out = tmp_path / "site"
    for rel in ("index.html", "2013/08/01/a/index.html", "people/x/index.html", "static/style.css"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(rel)
    staging = tmp_path / "staging"
    staging.mkdir()
    assert _seed(staging, out) is None  # no marker: not a site archivegen published
    (out / MARKER).write_text("built by archivegen\nbuild: abc\n")
    held = _seed(staging, out, jobs=2)
    assert held == {"index.html", "2013/08/01/a/index.html", "people/x/index.html", "static/style.css"}
    for rel in held:
        assert (staging / rel).stat().st_ino == (out / rel).stat().st_ino
    assert not (staging / MARKER).exists()
    # a symbolic link in the published site: no seeding, and the folder is left empty
    fresh = tmp_path / "staging2"
    fresh.mkdir()
    (out / "people/link").symlink_to(out / "static")
    assert _seed(fresh, out) is None
    assert list(fresh.iterdir()) == []


def test_first_build_after_a_cold_one_seeds_and_equals_a_clean_build(tmp_path, capsys, monkeypatch):
    from archivegen import output

    seeded: list[int] = []
    real = output._seed
    monkeypatch.setattr(output, "_seed", lambda *a, **k: (lambda h: (seeded.append(len(h or ())), h)[1])(real(*a, **k)))
    root = small_archive(tmp_path / "archive", articles=4)
    out = root / "site"
    build_ok(capsys, root, out, "--no-search")
    assert seeded == []  # nothing published yet
    write(root, "content/articles/2013/article-9.md", art(title='"New day"', date="2013-08-20"))
    build_ok(capsys, root, out, "--no-search")
    assert len(seeded) == 1 and seeded[0] > 10
    assert site(out) == clean_build(capsys, root, tmp_path)
    # a buffer exists from here on: no seeding
    write(root, "content/articles/2013/article-8.md", art(title='"Another day"', date="2013-08-21"))
    build_ok(capsys, root, out, "--no-search")
    assert len(seeded) == 1


def test_no_seeding_when_every_page_will_be_rendered_again(tmp_path, capsys, monkeypatch):
    """A theme change right after a cold build rewrites every page: linking them all first is waste."""
    from archivegen import output

    calls: list[int] = []
    monkeypatch.setattr(output, "_seed", lambda *a, **k: calls.append(1))
    root = small_archive(tmp_path / "archive", articles=4)
    out = root / "site"
    build_ok(capsys, root, out, "--no-search")
    write(root, "templates/partials/entity_link.html", '<a class="e" href="{{ url }}">{{ text }}</a>')
    build_ok(capsys, root, out, "--no-search")
    assert calls == []


def test_clean_build_deletes_the_old_buffer_in_the_background_and_leaves_no_trash(tmp_path, capsys, monkeypatch):
    """--clean cannot use the buffer: it is moved into .site.trash at once and
    deleted while the build renders (output.Sweeper); the build waits for it
    before returning, so nothing is left beside the site."""
    from archivegen import output

    root = small_archive(tmp_path / "archive", articles=4)
    out = root / "site"
    build_ok(capsys, root, out, "--no-search")
    write(root, "content/articles/2013/article-0.md", art(title='"Talks, day 0"', date=day(0), body="Changed words."))
    build_ok(capsys, root, out, "--no-search")
    buffer = root / ".site.staging"
    assert (buffer / RECORD).is_file()
    seen: list[tuple[bool, bool]] = []  # (buffer gone, its files in the trash) when the sweeper started
    started = output.Sweeper._start

    def spy(self):
        moved = list(self.trash.iterdir())
        seen.append((not (buffer / RECORD).exists(), any((m / RECORD).is_file() for m in moved)))
        started(self)

    monkeypatch.setattr(output.Sweeper, "_start", spy)
    build_ok(capsys, root, out, "--no-search", "--clean")
    assert seen == [(True, True)]
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".site.")) == [".site.staging"]
    assert site(out) == clean_build(capsys, root, tmp_path)


def test_trash_left_by_a_killed_build_is_swept_by_the_next(tmp_path, capsys):
    root = small_archive(tmp_path / "archive", articles=2)
    write(root, ".site.trash/4242-1/2013/08/01/page/index.html", "<p>left over</p>")
    write(root, ".site.trash/stray.txt", "left over")
    build_ok(capsys, root, root / "site", "--no-search")
    build_ok(capsys, root, root / "site", "--no-search", "--clean")
    assert not (root / ".site.trash").exists()


def test_sweeper_unlinks_a_symlinked_trash_and_works_without_rm(tmp_path, monkeypatch):
    """A trash folder that is a symbolic link is removed, never followed; with
    no ``rm`` on the PATH a thread deletes the trash instead."""
    from archivegen.output import Sweeper

    precious = tmp_path / "precious"
    write(precious, "data.txt", "keep me")
    trash = tmp_path / ".site.trash"
    trash.symlink_to(precious, target_is_directory=True)
    doomed = tmp_path / "doomed"
    write(doomed, "a/b/c.html", "x")
    monkeypatch.setattr("shutil.which", lambda name: None)
    sweeper = Sweeper(trash)
    sweeper.discard(doomed)
    assert not doomed.exists()
    assert sweeper._thread is not None  # the fallback, not rm
    sweeper.wait()
    assert (precious / "data.txt").read_text() == "keep me"
    assert not trash.exists() and not trash.is_symlink()
    sweeper.discard(tmp_path / "absent")  # nothing to discard, no trash: nothing happens
    assert sweeper._thread is None and sweeper._proc is None
