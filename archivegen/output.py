"""Write a site so the previous one stays whole until the new one is done.

A build writes into a staging folder beside ``--out``. A file whose bytes
equal the file already published is hard-linked from it (same inode and
mtime, so rsync and S3 sync skip it); only changed files are new. When
every stage has succeeded the two folders are swapped with two renames;
``recover()`` finishes or undoes a swap a killed build left half done.
Nothing is written or removed outside the output folder and its three
siblings ``.<name>.staging``, ``.<name>.old`` and ``.<name>.trash``.

Double buffering. After the swap the staging folder holds the previous
site, which shares every unchanged file (inode) with the new one. Instead
of deleting it and hard-linking the whole site again next time (two
syscalls per file: seconds at 10,000 articles), the swapped-out site is
kept with a record of what differs (``BUFFER_RECORD``), and the next build
starts from it by re-linking only those files. The record is removed
before the folder is touched, so a build killed half way leaves a folder
the next build does not trust and rebuilds from scratch; the published
site is never written into (files are replaced, never rewritten in place,
because the two folders share inodes).

When there is no buffer to start from (the first build after a cold one)
and the build expects to keep most of the published site, the published
site is hard-linked into the empty staging folder first, by several
threads at once (``_seed``): the links are kernel work (a folder costs
about 160 µs on ext4), and two threads did it in about half the time of
the build linking file by file as it went.

A staging folder that cannot be used (a ``--clean`` build, a killed
build's, a buffer for a site that is gone) is not deleted before the build
can start: it is renamed into ``.<name>.trash`` and a low-priority ``rm``
deletes it while the build renders (``Sweeper``); deleting a 25,000-file
buffer took 10 s of one core on this machine's ext4. The build waits for it
only at the end, so nothing is left behind, and a trash folder a killed
build left is swept by the next one.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from .errors import ContentError

MARKER = ".archivegen-site"
BUFFER_RECORD = ".archivegen-buffer"  # in the staging folder: what it holds, relative to the published site

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class OutputError(Exception):
    """The output folder cannot be used (reported as a usage problem)."""


def resolved(out: Path) -> Path:
    """``out`` with its links followed, or an OutputError for a link that leads back to itself."""
    try:
        return out.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a symbolic link loop (Python 3.11)
        raise OutputError(f"output path {out} is a symbolic link that leads back to itself; "
                          "remove the link or choose another --out") from None


def check_out_dir(out: Path, root: Path, clean: bool = False) -> None:
    """Refuse an output folder whose replacement would destroy content."""
    out_r, root_r = resolved(out), root.resolve()
    content = (root / "content").resolve()
    if out_r == root_r or root_r.is_relative_to(out_r):
        raise OutputError(f"output folder {out} is the archive root or contains it; choose e.g. --out site")
    if content.is_relative_to(out_r) or out_r.is_relative_to(content):
        raise OutputError(f"output folder {out} overlaps content/; choose e.g. --out site")
    if (out_r / "content").exists() or (out_r / ".git").exists():
        raise OutputError(f"output folder {out} holds content/ or .git; it is not a built site")
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(f"output folder {out} was not made by archivegen (no {MARKER} file); "
                          "empty it or choose another --out")


class WriteFailed(ContentError):
    """The new site could not be written (disk full, permissions): the
    published site is untouched and the CLI reports it with status 1."""

    def __init__(self, out: Path, exc: OSError, doing: str):
        reason = exc.strerror or str(exc)
        super().__init__(str(out), None, f"cannot {doing}: {reason}; the previous site was left as it was",
                         _write_hint(exc))


def _write_hint(exc: OSError) -> str:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "free some disk space (or choose another --out) and build again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "check that you may write to the output folder and the folder that holds it"
    return "check the output folder and the disk, then build again"


@dataclass
class WriteStats:
    written: int = 0  # files with new bytes
    kept: int = 0  # files identical to the published ones
    removed: int = 0  # published files no longer produced
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, *, written: int = 0, kept: int = 0) -> None:
        """Add to the counts under a lock, so a stage may stage files from a thread of its own."""
        with self._lock:
            self.written += written
            self.kept += kept


class Staging:
    """A new site being assembled beside the published one."""

    WORK = "staging"  # the work folder is .<out>.staging beside the output folder
    BUFFERED = True  # start from the swapped-out previous site (see the module doc)
    # every page of the new site is in the work folder once written (Pagefind may read them
    # there: ``search.in_place_globs``); a synced buffer also holds deleted pages till commit
    holds_every_page = True

    def __init__(self, out: Path, fresh: bool = False, *, seed: bool = False, jobs: int = 0):
        if out.is_symlink():  # site -> /var/www/archive: replace the folder it names, keep the link
            out = out.resolve()
        self.out = out
        self.dir = out.parent / f".{out.name}.{self.WORK}"
        self.old = out.parent / f".{out.name}.old"
        self.stats = WriteStats()
        self.paths: set[str] = set()
        self.changed: list[str] = []  # files whose bytes differ from the published ones
        # output file -> fingerprint of what it was made from, this build's and the published site's
        # (the build fills both; feeds and search use them to skip work on unchanged files)
        self.fingerprints: dict[str, str] = {}
        self.previous: dict[str, str] = {}
        # searchable page -> hash of what Pagefind reads of it, for pages rendered this build
        # (``search.region_hash``, taken by the page workers so nothing is read back)
        self.region_hashes: dict[str, str] = {}
        # the published site's files when the staging folder already holds them all
        # (a synced buffer); None when it started empty
        self.held: set[str] | None = None
        self.sweeper = Sweeper(out.parent / f".{out.name}.trash")
        self._dir, self._out = str(self.dir), str(out)  # for joining names as strings (``_paths_of``)
        self._folders: set[str] = set()  # folders this process has made or found in the staging folder
        # pages staged as their search copies (``write(..., first=)``): their own bytes wait in
        # a file beside the staging folder, never published, till ``finish_pages``
        self._aside: dict[str, tuple[str, int, int]] = {}  # rel -> (staged path, offset, length)
        self._aside_path = out.parent / f".{out.name}.aside"
        self._aside_fd: int | None = None
        self._aside_end = 0
        try:
            recover(out)
            _unlink(self._aside_path)  # a killed build's
            if self.BUFFERED and not fresh:
                self.held = _open_buffer(self.dir, out)
            if self.held is None:
                self.sweeper.discard(self.dir)
                self.dir.mkdir(parents=True)
                if self.BUFFERED and seed and not fresh:
                    self.held = _seed(self.dir, out, jobs)
        except OSError as exc:
            self.sweeper.wait()
            raise WriteFailed(out, exc, f"create the staging folder {self.dir}") from None

    def target(self, rel: str) -> Path:
        """The staging path for a site-relative file, refusing escapes."""
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or "\x00" in rel or not p.parts:
            raise OutputError(f"refusing to write outside the output folder: {rel!r}")
        return self.dir.joinpath(*p.parts)

    def source(self, rel: str) -> Path:
        """Where the new site's file ``rel`` can be read during the build."""
        return self.target(rel)


    def reuse(self, rel: str) -> bool:
        """Take a published file unchanged (hard link); False when there is none."""
        if self.held is not None and rel in self.held:  # the synced buffer has it already
            self.paths.add(rel)
            self.stats.count(kept=1)
            return True
        published = self.out.joinpath(*PurePosixPath(rel).parts)
        dest = self.target(rel)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(published, dest)
        except FileExistsError:
            return True
        except OSError:
            try:
                shutil.copy2(published, dest)
            except OSError:
                return False
        self.paths.add(rel)
        self.stats.count(kept=1)
        return True

    def write(self, rel: str, data: bytes | str, first: bytes | None = None) -> bool:
        """Stage a file; True when its bytes differ from the published file.

        With ``first``, a new file holds those bytes until ``finish_pages``
        gives it ``data``: a searchable page is staged as its search copy
        (``search.search_copy``), which Pagefind indexes exactly as the page
        for less work, and becomes the page once its shard is indexed. Its
        bytes are compared with the published file as ``data``, and a page
        that keeps the published bytes is linked as ever.
        """
        try:
            return self._write(rel, data, first)
        except OSError as exc:
            raise WriteFailed(self.out, exc, f"write {rel}") from None

    def _write(self, rel: str, data: bytes | str, first: bytes | None = None) -> bool:
        if isinstance(data, str):
            data = data.encode("utf-8")
        dest, published = self._paths_of(rel)
        self.paths.add(rel)
        self._aside.pop(rel, None)
        if _same_bytes(published, data):
            if self.held is not None and rel in self.held:
                self.stats.count(kept=1)
                return False
            try:
                self._folder(dest)
                _unlink(dest)
                os.link(published, dest)
                self.stats.count(kept=1)
                return False
            except OSError:
                pass
        _unlink(dest)  # a new file, never through a link: it may share its inode with the published site
        if first is None:
            self._create(dest, data)
        else:
            self._create(dest, first)
            self._set_aside(rel, dest, data)
        self.stats.count(written=1)
        self.changed.append(rel)
        return True

    def _paths_of(self, rel: str) -> tuple[str, str]:
        """The staging and published paths of ``rel``, refusing escapes as ``target`` does.

        A cold build writes about 14,000 files at 10,000 articles. Joining
        strings for the usual name (no empty, ``.`` or ``..`` part) instead
        of making ``Path`` objects, making each folder once and writing
        with ``os.open`` halved what writing a file costs (10,000 new files
        on tmpfs: 0.64-0.73 s before, 0.32-0.39 s after); any other name
        takes ``target``'s way.
        """
        wrapped = f"/{rel}/"  # every part between slashes: none empty, '.' or '..'
        if "//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped and "\x00" not in rel \
                and "\\" not in rel and os.sep == "/":
            return f"{self._dir}/{rel}", f"{self._out}/{rel}"
        return str(self.target(rel)), str(self.out.joinpath(*PurePosixPath(rel).parts))

    def _folder(self, dest: str) -> str:
        """Make the folder of ``dest`` unless this process has made or met it already."""
        parent = os.path.dirname(dest)
        if parent not in self._folders:
            os.makedirs(parent, exist_ok=True)
            self._folders.add(parent)
        return parent

    def _create(self, dest: str, data: bytes) -> None:
        """Write a new file (in a folder made again should it have gone: Pagefind's shard
        folders are replaced during a build)."""
        parent = self._folder(dest)
        try:
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _CLOEXEC, 0o666)
        except FileNotFoundError:
            os.makedirs(parent, exist_ok=True)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _CLOEXEC, 0o666)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)

    def _set_aside(self, rel: str, dest: str, data: bytes) -> None:
        """Keep a page's own bytes till ``finish_pages`` (appended to one file: a file each
        would cost what staging the copies saves). Only the building process's main thread
        sets bytes aside, so the end of the file is known without asking."""
        if self._aside_fd is None:
            self._aside_fd = os.open(self._aside_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND | _CLOEXEC,
                                     0o600)
            self._aside_end = 0
        _write_all(self._aside_fd, data)
        self._aside[rel] = (dest, self._aside_end, len(data))
        self._aside_end += len(data)

    def finish_pages(self, rels: Iterable[str] | None = None) -> None:
        """Give pages staged as their search copies their own bytes (all of them without
        ``rels``). Pagefind's threads call it for their shards' pages once indexed, and
        ``commit`` for every page still waiting, so no search copy is ever published."""
        try:
            for rel in list(self._aside) if rels is None else rels:
                entry = self._aside.pop(rel, None)
                if entry is None:
                    continue
                dest, offset, length = entry
                assert self._aside_fd is not None
                data = os.pread(self._aside_fd, length, offset)
                if len(data) != length:
                    raise OSError(errno.EIO, f"{self._aside_path} is shorter than written")
                # the staged copy's own inode, written over: a copy is never longer than its page
                # (truncating first cost the kernel twice as much); should one be, it is cut to size
                fd = os.open(dest, os.O_WRONLY | _CLOEXEC)
                try:
                    _write_all(fd, data)
                    if os.fstat(fd).st_size != length:
                        os.ftruncate(fd, length)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise WriteFailed(self.out, exc, "write the pages staged for the search index") from None

    def _drop_aside(self) -> None:
        """Close and delete the file of set-aside page bytes."""
        self._aside.clear()
        if self._aside_fd is not None:
            os.close(self._aside_fd)
            self._aside_fd = None
        _unlink(self._aside_path)

    def copy(self, rel: str, source: Path) -> bool:
        """Stage a file's bytes (a theme asset); True when they differ from the published file."""
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise WriteFailed(self.out, exc, f"read {source}") from None
        return self.write(rel, data)

    def adopt_tree(self, rel_dir: str) -> None:
        """Count files another program wrote into the staging folder."""
        self.take_tree(self.scan_tree(rel_dir))

    def scan_tree(self, rel_dir: str) -> list[tuple[str, bool]]:
        """The files another program wrote under ``rel_dir``, each with whether it was kept:
        a file the published site holds with the same bytes is replaced by a link to that one.

        It touches nothing outside ``rel_dir`` and records nothing (``take_tree`` does), so the
        search stage scans each shard's files in the thread that ran Pagefind on it, beside the
        Pagefind still running, rather than all 10,000 of them at the end, when nothing else runs.
        """
        base = self.target(rel_dir)
        skip = len(self._dir) + 1
        # nothing to compare with where the site has no such folder (a cold build): no
        # published path made and looked up for each of a shard's thousand files
        compare = (self.out / rel_dir).is_dir()
        found: list[tuple[str, bool]] = []
        folders = [str(base)]
        while folders:
            try:
                entries = list(os.scandir(folders.pop()))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                    continue
                if not entry.is_file():
                    continue
                rel = entry.path[skip:].replace(os.sep, "/")
                kept = False
                if compare:
                    published = self.out / rel
                    kept = published.is_file() and _same_file_bytes(published, Path(entry.path))
                    if kept:
                        self._keep_published(Path(entry.path), published)
                found.append((rel, kept))
        return found

    def take_tree(self, found: list[tuple[str, bool]]) -> None:
        """Record what ``scan_tree`` found as part of this build's output."""
        for rel, kept in found:
            self.paths.add(rel)
            if kept:
                self.stats.count(kept=1)
            else:
                self.stats.count(written=1)
                self.changed.append(rel)

    def _keep_published(self, staged: Path, published: Path) -> None:
        """A staged file equals the published one: stage the published file (a hard link) instead."""
        staged.unlink()
        os.link(published, staged)

    def commit(self, build_id: str = "") -> WriteStats:
        """Swap the staged site in; the old one is removed afterwards.

        On Linux the two folders trade places in one atomic ``renameat2``
        (RENAME_EXCHANGE), so ``--out`` always holds a whole site; elsewhere
        two renames leave a moment without one, which ``recover()`` repairs
        if the build is killed in it.
        """
        try:
            return self._commit(build_id)
        finally:
            self.sweeper.wait()  # after the swap: the new site is published while the trash goes

    def _commit(self, build_id: str) -> WriteStats:
        stale: set[str] = set()
        self.finish_pages()
        self._drop_aside()
        try:
            _unlink(self.dir / MARKER)
            (self.dir / MARKER).write_text("built by archivegen; this folder is replaced on every build\n"
                                           f"build: {build_id}\n")
            if self.out.exists():
                old_files = self.held if self.held is not None else _tree_files(self.out)
                stale = old_files - self.paths - {MARKER}
                self.stats.removed = len(stale)
                if self.held is not None:  # the buffer still holds them: drop them before the swap
                    _remove_files(self.dir, stale)
                if _exchange(self.dir, self.out):
                    self._keep_buffer(build_id, stale)  # self.dir is now the old site
                    return self.stats
                if self.old.exists():
                    shutil.rmtree(self.old)
                os.rename(self.out, self.old)
            os.rename(self.dir, self.out)
        except OSError as exc:
            raise WriteFailed(self.out, exc, "put the new site in place") from None
        if self.old.exists():
            try:
                os.rename(self.old, self.dir)
                self._keep_buffer(build_id, stale)
            except OSError:
                shutil.rmtree(self.old, ignore_errors=True)
        return self.stats

    def _keep_buffer(self, build_id: str, stale: set[str]) -> None:
        """Record what the swapped-out site lacks, so the next build can start from it."""
        if not self.BUFFERED or not build_id:
            shutil.rmtree(self.dir, ignore_errors=True)
            return
        record = {"site": build_id, "files": sorted(self.paths - {MARKER}),
                  "changed": sorted(set(self.changed) - {MARKER}), "removed": sorted(stale)}
        try:
            _write_record(self.dir / BUFFER_RECORD, record)
        except OSError:
            shutil.rmtree(self.dir, ignore_errors=True)

    def abort(self) -> None:
        self._drop_aside()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.sweeper.wait()


class Sweeper:
    """Deletes discarded folders in the background (see the module doc).

    ``discard`` renames a folder into the trash folder, which is on the same
    file system (a sibling of the output folder), so the rename is instant;
    one ``rm -rf`` at low priority then deletes the whole trash, leftovers of
    a killed build included. Without ``rm`` (not POSIX) a thread does it.
    ``wait`` blocks until the trash is gone; a build calls it before it
    returns, whether it succeeded or not.
    """

    def __init__(self, trash: Path):
        self.trash = trash
        self._proc: Any = None
        self._thread: threading.Thread | None = None

    def discard(self, path: Path) -> None:
        """Make ``path`` disappear now; its files are deleted later."""
        import time

        if path.is_symlink() or path.is_file():
            path.unlink()  # a link is removed, never followed
        elif path.exists():
            if self.trash.is_symlink() or self.trash.is_file():
                self.trash.unlink()
            self.trash.mkdir(exist_ok=True)
            os.rename(path, self.trash / f"{os.getpid()}-{time.time_ns()}")
        if self.trash.is_symlink():
            self.trash.unlink()
        elif self.trash.is_dir() and self._proc is None and self._thread is None:
            self._start()

    def _start(self) -> None:
        import subprocess

        rm, nice = shutil.which("rm"), shutil.which("nice")
        if rm:
            cmd = [rm, "-rf", "--", str(self.trash)]
            try:
                self._proc = subprocess.Popen([nice, "-n", "10", *cmd] if nice else cmd, stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return
            except OSError:
                pass
        self._thread = threading.Thread(target=shutil.rmtree, args=(self.trash,), kwargs={"ignore_errors": True},
                                        name="archivegen-sweeper", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Block until the trash is deleted (what ``rm`` could not delete stays for the next build)."""
        if self._proc is not None:
            self._proc.wait()
            self._proc = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _seed(staging: Path, out: Path, jobs: int = 0) -> set[str] | None:
    """Hard-link every file of the published site ``out`` into the empty ``staging`` folder.

    One task per top-level entry (a year, ``people``, ``pagefind`` …) on
    ``jobs`` threads (default: the number of cores); the system calls
    release the interpreter lock, so the threads link in parallel. Returns
    the files linked (site-relative), the set ``Staging.held`` holds for a
    synced buffer, or None when the published site is not ours or a link
    fails (another file system, a symbolic link in the site): the folder is
    emptied again and the build links what it keeps file by file, as before.
    """
    from concurrent.futures import ThreadPoolExecutor

    if published_build_id(out) is None:
        return None
    try:
        names = [e.name for e in os.scandir(out) if e.name != MARKER]
    except OSError:
        return None
    held: set[str] = set()
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
            for found in pool.map(lambda name: _link_tree(out, staging, name), names):
                held.update(found)
    except OSError:
        _remove(staging)
        staging.mkdir(parents=True)
        return None
    return held


def _link_tree(src_root: Path, dst_root: Path, name: str) -> list[str]:
    """Hard-link ``src_root/name`` (a file or a whole folder) to ``dst_root/name``; its files' paths.

    A symbolic link anywhere refuses the whole seeding (OSError): the build's
    own linking decides what to do with one, file by file. The walk reads
    each folder once with ``scandir``, whose entries know their type."""
    src = os.path.join(src_root, name)
    if os.path.islink(src):
        raise OSError(f"symbolic link in the published site: {src}")
    if not os.path.isdir(src):
        os.link(src, os.path.join(dst_root, name))
        return [name]
    found: list[str] = []
    folders = [name]
    while folders:
        rel_dir = folders.pop()
        os.mkdir(os.path.join(dst_root, rel_dir))
        with os.scandir(os.path.join(src_root, rel_dir)) as entries:
            for e in entries:
                rel = f"{rel_dir}/{e.name}"
                if e.is_symlink():
                    raise OSError(f"symbolic link in the published site: {e.path}")
                if e.is_dir():
                    folders.append(rel)
                else:
                    os.link(e.path, os.path.join(dst_root, rel))
                    found.append(rel)
    return found


def _open_buffer(buffer: Path, out: Path) -> set[str] | None:
    """Bring a kept buffer (the site before the published one) up to date.

    Returns the published site's file list, now all present in the buffer,
    or None when there is no buffer to trust (none, a killed build's, one
    for another site, or one the published site has moved on from).
    """
    import json

    if buffer.is_symlink() or not buffer.is_dir() or not out.is_dir():
        return None
    record_path = buffer / BUFFER_RECORD
    try:
        record = json.loads(record_path.read_text("utf-8"))
        files, changed, removed = record["files"], record["changed"], record["removed"]
        ok = (record["site"] == published_build_id(out) and all(isinstance(x, list) for x in (files, changed, removed)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not ok:
        return None
    record_path.unlink()  # from here on the folder is half synced until the swap: untrusted if killed
    for rel in changed:
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            return None
        dest = buffer.joinpath(*p.parts)
        _unlink(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(out.joinpath(*p.parts), dest)
        except FileNotFoundError:
            return None  # the published site was changed by hand: start afresh
    _remove_files(buffer, set(removed))
    return set(files)


def published_build_id(out: Path) -> str | None:
    """The id the build that made ``out`` wrote into its marker file."""
    try:
        text = (out / MARKER).read_text("utf-8")
    except (OSError, UnicodeDecodeError):  # unreadable or not text: an unknown build, so start afresh
        return None
    for line in text.splitlines():
        if line.startswith("build: "):
            return line[7:].strip()
    return None


def _write_record(path: Path, record: dict) -> None:
    import json

    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, separators=(",", ":")), "utf-8")
    os.replace(tmp, path)


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _remove_files(base: Path, rels: set[str]) -> None:
    """Delete site-relative files below base, and the folders they leave empty."""
    for rel in rels:
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            continue
        _unlink(base.joinpath(*p.parts))
    for rel in sorted({str(PurePosixPath(r).parent) for r in rels}, key=len, reverse=True):
        d = base / rel
        while d != base and d.is_dir() and not any(d.iterdir()):
            d.rmdir()
            d = d.parent


def _tree_files(base: Path) -> set[str]:
    """Site-relative paths of every file below base (os.walk: no stat per file)."""
    found: set[str] = set()
    for dirpath, _dirs, files in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.update(prefix + f for f in files)
    return found


def _remove(path: Path) -> None:
    """Remove a staging leftover; a symlink or file there is unlinked, never followed."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


class Patch(Staging):
    """Update a site in place, touching only what changed (``serve`` uses it).

    New bytes are staged in a small folder and moved into the site only at
    ``commit()``, each file with one atomic rename, removals last: a build
    that fails leaves the site as it was, and the cost follows the number of
    changed files, not the size of the site. Unlike ``Staging`` the site is
    not swapped as a whole, so a reader may meet old and new pages side by
    side for the moment the renames take: right for a preview server, not
    for publishing.
    """

    WORK = "patch"
    BUFFERED = False
    holds_every_page = False  # unchanged pages stay in the published folder

    def __init__(self, out: Path, known: set[str] | None = None):
        super().__init__(out)
        self.known = known  # the files this process put there last time: no need to stat or walk
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteFailed(self.out, exc, f"create the output folder {self.out}") from None

    def source(self, rel: str) -> Path:
        staged = self.target(rel)
        return staged if staged.exists() else self.out.joinpath(*PurePosixPath(rel).parts)


    def reuse(self, rel: str) -> bool:
        if self.known and rel in self.known:  # put there by this process's last build: no checks needed
            self.paths.add(rel)
            self.stats.count(kept=1)
            return True
        self.target(rel)  # refuses escapes
        if not os.path.isfile(os.path.join(self.out, rel)):
            return False
        self.paths.add(rel)
        self.stats.count(kept=1)
        return True

    def _write(self, rel: str, data: bytes | str, first: bytes | None = None) -> bool:
        # ``first`` is not used: Pagefind reads a patch build's pages from two folders
        if isinstance(data, str):
            data = data.encode("utf-8")
        dest, published = self._paths_of(rel)
        self.paths.add(rel)
        if _same_bytes(published, data):
            self.stats.count(kept=1)
            return False
        self._create(dest, data)
        self.stats.count(written=1)
        self.changed.append(rel)
        return True

    def _keep_published(self, staged: Path, published: Path) -> None:
        staged.unlink()  # the published file stays where it is

    def commit(self, build_id: str = "") -> WriteStats:
        try:
            for rel in sorted(set(self.changed), key=lambda r: (r.endswith("index.html") and r.count("/") < 3, r)):
                src = self.target(rel)
                if not src.exists():
                    continue
                dest = self.out.joinpath(*PurePosixPath(rel).parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dest)
            stale = (self.known if self.known is not None else _tree_files(self.out)) - self.paths - {MARKER}
            _remove_files(self.out, stale)
            self.stats.removed = len(stale)
            (self.out / MARKER).write_text("built by archivegen; this folder is replaced on every build\n"
                                           f"build: {build_id}\n")
        except OSError as exc:
            raise WriteFailed(self.out, exc, "update the site") from None
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.sweeper.wait()
        return self.stats


def recover(out: Path) -> None:
    """Undo what a killed build left: restore a swapped-out site, drop staging."""
    if out.is_symlink():
        out = out.resolve()
    old = out.parent / f".{out.name}.old"
    if old.is_symlink():
        old.unlink()
    elif old.exists():
        if not out.exists():
            os.rename(old, out)  # killed between the two renames
        else:
            shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    return False  # EINVAL/ENOSYS (filesystem or kernel without it): fall back to two renames


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _same_bytes(path: str | Path, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def _same_file_bytes(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False
