"""Interrupted builds (issue 8): a build killed at any moment, a full disk or
an exception in a late stage leaves the previous site complete and servable,
and the next build recovers by itself. Cache entries are verified on read."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safety import REPO, art, build_ok, day, run, run_sub, small_archive, snapshot, write

MARKER = ".archivegen-site"


def site(out: Path) -> dict:
    """The published site without the marker (it carries a per-build id)."""
    snap = snapshot(out)
    snap.pop(MARKER, None)
    return snap


def leftovers(out: Path) -> list[str]:
    """Siblings a build left beside the site, except a trusted buffer: the
    previous site kept (with its record) for the next build to start from."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")
                  and not (p.name == f".{out.name}.staging" and (p / ".archivegen-buffer").is_file()))


def big_archive(root: Path, n: int = 100, version: int = 0) -> Path:
    """Enough articles that a build takes a second or two."""
    small_archive(root, articles=1)
    for i in range(n):
        body = (f"John Kerry met officials in Russia, version {version}. " * 12 + "\n\n") * 4
        write(root, f"content/articles/{2010 + i % 5}/story-{i}.md",
              art(title=f'"Story {i} v{version if i % 7 == 0 else 0}"', date=f"{2010 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                  body=body if i % 7 == 0 else body.replace(f"version {version}", "version 0")))
    return root


def start_build(root: Path, out: Path, runner: str | None = None, env: dict | None = None) -> subprocess.Popen:
    e = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'tests'}")
    e.update(env or {})
    args = ["-c", runner] if runner else ["-m", "archivegen"]
    return subprocess.Popen([sys.executable, *args, "build", "--root", str(root), "--out", str(out), "--no-search",
                             "--quiet", "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, start_new_session=True)


def finish(root: Path, out: Path) -> None:
    r = run_sub("build", "--root", root, "--out", out, "--no-search", "--quiet", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    assert leftovers(out) == []


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path):
    """Kill the whole process group at moments spread over the build; each
    time site/ holds either the previous build or the complete new one, byte
    for byte, and the next build recovers and equals a clean build."""
    root = big_archive(tmp_path / "archive")
    out = root / "site"
    finish(root, out)
    previous = site(out)
    t0 = time.monotonic()
    finish(root, tmp_path / "timing-site")  # a full build (no cache for this out): its length
    duration = time.monotonic() - t0
    rng = random.Random(8)
    outcomes = []
    for version in range(1, 9):
        big_archive(root, version=version)
        proc = start_build(root, out)
        time.sleep(rng.uniform(0.05, duration * 1.1))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = site(out)
        assert killed, "site/ vanished"
        finish(root, out)  # recovers by itself
        new = site(out)
        assert killed in (previous, new), f"version {version}: site/ is neither the old nor the new build"
        assert (out / MARKER).is_file()
        outcomes.append("old" if killed == previous else "new")
        previous = new
    # the cache a killed build left is never wrong: the last site equals a clean build
    clean = tmp_path / "clean-site"
    r = run_sub("build", "--root", root, "--out", clean, "--no-search", "--quiet", "--clean")
    assert r.returncode == 0, r.stderr
    assert site(clean) == previous
    print("outcomes:", outcomes)


# A runner that kills itself at a precise point of the write/swap sequence.
RUNNER = r"""
import os, signal, sys, shutil
from archivegen import output, cache
point = os.environ["KILL_AT"]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
if point == "mid-write":
    real_write = output.Staging._write
    count = [0]
    def _write(self, rel, data, first=None):
        count[0] += 1
        if count[0] == 25:
            dest = self.target(rel); dest.parent.mkdir(parents=True, exist_ok=True)
            output._unlink(dest)  # as _write does: a staged file may share its inode with the published one
            dest.write_bytes(b"<html><head><title>half")  # a torn file in staging
            die()
        return real_write(self, rel, data, first)
    output.Staging._write = _write
elif point == "before-swap":
    real_commit = output.Staging.commit
    def commit(self, *a, **k):
        die()
    output.Staging.commit = commit
elif point == "after-exchange":
    real_exchange = output._exchange
    def _exchange(a, b):
        ok = real_exchange(a, b)
        die()
    output._exchange = _exchange
elif point in ("between-renames", "removing-old"):
    output._exchange = lambda a, b: False  # the portable path: two renames
    real_rename = os.rename
    def rename(a, b):
        real_rename(a, b)
        if point == "between-renames" and str(b).endswith(".old"):
            die()
    output.os.rename = rename
    if point == "removing-old":  # the old site is kept as the next build's buffer: die while recording it
        real_record = output._write_record
        def _write_record(path, record):
            die()
        output._write_record = _write_record
elif point == "cache-write":
    real_atomic = cache.atomic_write
    count = [0]
    def atomic_write(path, data):
        count[0] += 1
        if count[0] == 2:
            import tempfile
            fd, tmp = tempfile.mkstemp(dir=path.parent if path.parent.exists() else None, prefix=".tmp-")
            os.write(fd, data[: len(data) // 2])
            die()
        return real_atomic(path, data)
    cache.atomic_write = atomic_write
elif point == "body-write":  # body packs are written in place: leave a torn one
    real_in_place = cache.write_in_place
    def write_in_place(path, data, **kw):
        if path.suffix == ".pack":  # the three changed articles' bodies: die half way through
            real_in_place(path, data[: len(data) // 2])
            die()
        return real_in_place(path, data, **kw)
    cache.write_in_place = write_in_place
from archivegen.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("point", ["mid-write", "before-swap", "after-exchange", "between-renames", "removing-old",
                                   "cache-write", "body-write"])
def test_sigkill_at_each_step_of_the_swap(tmp_path, point):
    root = big_archive(tmp_path / "archive", n=20)
    out = root / "site"
    finish(root, out)
    previous = site(out)
    big_archive(root, n=20, version=1)
    proc = start_build(root, out, runner=RUNNER, env={"KILL_AT": point})
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err.decode()
    killed = site(out)
    finish(root, out)
    new = site(out)
    assert new != previous
    if point in ("mid-write", "before-swap", "body-write"):
        assert killed == previous
    elif point == "cache-write":  # a body entry (before the swap) or the build record (after it)
        assert killed in (previous, new)
    elif point in ("after-exchange", "removing-old"):
        assert killed == new
    else:  # between the two renames of the portable path site/ is briefly absent; recover() restores it
        assert killed in ({}, previous)
    clean = tmp_path / "clean"
    r = run_sub("build", "--root", root, "--out", clean, "--no-search", "--quiet", "--clean")
    assert r.returncode == 0, r.stderr
    assert site(clean) == new


def test_recover_restores_a_swapped_out_site(tmp_path, capsys):
    """A killed portable swap leaves site/ missing and .site.old whole:
    any next build (even one that fails on bad content) puts it back."""
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    os.rename(out, out.parent / ".site.old")
    write(root, "content/articles/2013/bad.md", "---\ntitle: x\n")
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 1
    assert snapshot(out) == before
    assert leftovers(out) == []


# -- full disk, late failures ----------------------------------------------------------

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_disk_full_while_writing(tmp_path, capsys, monkeypatch, jobs):
    from archivegen import output

    n = 6 if jobs == "1" else 80  # over 64 pages: rendered by two worker processes
    root = small_archive(tmp_path / "archive", articles=n)
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    for i in range(n):  # change every article so every page is written again
        write(root, f"content/articles/2013/article-{i}.md", art(title=f'"Changed {i}"', date=day(i)))
    real = output.Staging._write
    count = [0]

    def _write(self, rel, data, first=None):
        count[0] += 1
        if count[0] >= 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.target(rel)))
        return real(self, rel, data, first)

    monkeypatch.setattr(output.Staging, "_write", _write)
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet", "--jobs", jobs)
    assert rc == 1, err
    assert err.startswith(f"{out}: error: cannot write ")
    assert "No space left on device; the previous site was left as it was\n" in err
    assert "    hint: free some disk space (or choose another --out) and build again" in err
    assert "Traceback" not in err and "internal error" not in err
    assert snapshot(out) == before
    assert leftovers(out) == []
    monkeypatch.undo()
    build_ok(capsys, root, out)  # and once there is room again, it builds
    assert "Changed 0" in (out / "2013/08/01/changed-0/index.html").read_text()


def test_failing_to_turn_search_copies_back_into_pages_keeps_the_previous_site(tmp_path, capsys, monkeypatch):
    """Pages are staged as their search copies while Pagefind reads them; when their own
    bytes cannot be read back or written, the build stops with a message and nothing of it
    is published (no search copy in place of a page)."""
    from archivegen import output

    root = small_archive(tmp_path / "archive", articles=6)
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    for i in range(6):
        write(root, f"content/articles/2013/article-{i}.md", art(title=f'"Changed {i}"', date=day(i)))

    def pread(fd, length, offset):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(output.os, "pread", pread)
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--quiet")
    assert rc == 1, err
    assert "write the pages staged for the search index" in err and "Input/output error" in err
    assert "Traceback" not in err and "internal error" not in err
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert not (out.parent / f".{out.name}.aside").exists()
    monkeypatch.undo()
    build_ok(capsys, root, out)
    assert "Changed 0" in (out / "2013/08/01/changed-0/index.html").read_text()


def test_disk_full_during_swap(tmp_path, capsys, monkeypatch):
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    write(root, "content/articles/2013/article-0.md", art(title='"Changed"', date="2013-08-01"))
    real = Path.write_text

    def write_text(self, *a, **k):
        if self.name == MARKER:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", write_text)
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet", "--jobs", "1")
    assert rc == 1
    assert f"{out}: error: cannot put the new site in place: No space left on device" in err
    assert snapshot(out) == before and leftovers(out) == []


def test_unwritable_parent_folder(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    root = small_archive(tmp_path / "archive")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        rc, _, err = run(capsys, "build", "--root", root, "--out", locked / "site", "--no-search", "--quiet")
    finally:
        locked.chmod(0o755)
    assert rc == 1 and "Permission denied" in err and "Traceback" not in err
    assert "hint: check that you may write to the output folder" in err


def _late_failure(exc):
    def stage(model, loaded, staging, opts):
        staging.write("feed-in-progress.xml", "<feed>")
        raise exc
    return lambda: [("feeds", stage)]


def test_bug_in_a_late_stage(tmp_path, capsys, monkeypatch):
    from archivegen import build as build_mod

    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    write(root, "content/articles/2013/article-0.md", art(title='"Changed"', date="2013-08-01"))
    monkeypatch.setattr(build_mod, "_late_stages", _late_failure(RuntimeError("feed writer exploded")))
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 3
    assert err == ("archivegen: internal error: RuntimeError: feed writer exploded\n"
                   "  (set ARCHIVEGEN_DEBUG=1 for the traceback and please report it)\n")
    assert snapshot(out) == before and leftovers(out) == []


def test_os_error_in_a_late_stage(tmp_path, capsys, monkeypatch):
    from archivegen import build as build_mod

    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    write(root, "content/articles/2013/article-0.md", art(title='"Changed"', date="2013-08-01"))
    monkeypatch.setattr(build_mod, "_late_stages",
                        _late_failure(OSError(errno.ENOSPC, "No space left on device", "/x/site/pagefind/index")))
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 1
    assert err == "archivegen: error: No space left on device (/x/site/pagefind/index)\n"
    assert snapshot(out) == before and leftovers(out) == []


def test_ctrl_c(tmp_path, capsys, monkeypatch):
    from archivegen import build as build_mod

    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    write(root, "content/articles/2013/article-0.md", art(title='"Changed"', date="2013-08-01"))
    monkeypatch.setattr(build_mod, "_late_stages", _late_failure(KeyboardInterrupt()))
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 130 and err == "archivegen: interrupted\n"
    assert snapshot(out) == before and leftovers(out) == []


def test_a_late_stage_fails_while_pagefind_runs(tmp_path, capsys, monkeypatch):
    """The search stage returns with Pagefind still running; when the feeds fail meanwhile,
    the build waits for it before throwing the staging folder away, and leaves nothing."""
    from archivegen import build as build_mod, search

    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    write(root, "content/articles/2013/article-0.md", art(title='"Changed"', date="2013-08-01"))
    started = []

    def start(*args):
        indexing = search.start_index(*args)
        started.append(indexing)
        return indexing

    def feeds(model, loaded, staging, opts):
        assert started and started[0].futures  # Pagefind is at work on the changed shard
        raise RuntimeError("feed writer exploded")

    monkeypatch.setattr(build_mod, "_late_stages", lambda: [("search index", start), ("feeds", feeds)])
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--quiet")
    assert rc == 3 and "RuntimeError: feed writer exploded" in err
    assert all(f.done() for f in started[0].futures) and started[0].pool is None
    assert snapshot(out) == before and leftovers(out) == []
    assert not (out.parent / f".{out.name}.staging" / ".search-src").exists()


# -- the cache ----------------------------------------------------------------------------------

def _cache_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".cache").rglob("*") if p.is_file())


@pytest.mark.parametrize("damage", ["truncate", "flip-byte", "foreign", "garbage", "empty", "wrong-version", "directory"])
def test_damaged_cache_entries_are_rebuilt(tmp_path, capsys, damage):
    root = small_archive(tmp_path / "archive", articles=4)
    out = root / "site"
    build_ok(capsys, root, out)
    expected = site(out)
    files = _cache_files(root)
    assert files, "no cache written"
    bodies = [p for p in files if "bodies" in p.parts]
    assert bodies
    for p in files:
        raw = p.read_bytes()
        if damage == "truncate":
            p.write_bytes(raw[: len(raw) // 2])
        elif damage == "flip-byte":
            i = len(raw) * 2 // 3
            p.write_bytes(raw[:i] + bytes([raw[i] ^ 0x20]) + raw[i + 1:])
        elif damage == "foreign":  # a valid entry, but for another key: swap contents around
            others = [q for q in files if q != p]
            if others:
                p.write_bytes(others[0].read_bytes())
        elif damage == "garbage":
            p.write_bytes(os.urandom(len(raw)))
        elif damage == "empty":
            p.write_bytes(b"")
        elif damage == "wrong-version":
            head, _, body = raw.partition(b"\n")
            try:
                doc = json.loads(body)
            except ValueError:
                continue
            doc["version"] = "0.0.0-other"
            import hashlib
            body = json.dumps(doc).encode()
            p.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        elif damage == "directory":
            p.unlink()
            p.mkdir()
    # something must change for a build to read the cache: touch the content
    write(root, "content/articles/2013/article-0.md", art(title='"Talks, day 0"', date="2013-08-01",
                                                         body="John Kerry spoke on day 0.\n\nRussia answered."))
    os.utime(root / "content/articles/2013/article-1.md")
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet", "--jobs", "1")
    assert rc == 0, err
    assert "Traceback" not in err
    assert site(out) == expected


def test_forged_cache_entry_for_a_changed_article_is_not_used(tmp_path, capsys):
    """A body entry whose key is an old article's cannot stand in for the new text."""
    root = small_archive(tmp_path / "archive", articles=2)
    out = root / "site"
    build_ok(capsys, root, out)
    body_files = [p for p in _cache_files(root) if "bodies" in p.parts]
    write(root, "content/articles/2013/article-0.md", art(title='"Talks, day 0"', date="2013-08-01",
                                                         body="A wholly new paragraph about Geneva."))
    build_ok(capsys, root, out)
    page = (out / "2013/08/01/talks-day-0/index.html").read_text()
    assert "A wholly new paragraph about Geneva." in page
    assert "spoke on day 0" not in page
    assert body_files
