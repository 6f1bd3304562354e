"""Watch an archive's sources and hand out debounced batches of changes.

Watched: ``content/`` and ``templates/`` (recursively) and ``archive.yaml``.
Nothing else in the root is watched, so the build's own output (``site/``,
``.cache/``) never triggers a build.

Editors save in different ways; all of them must give one rebuild:

* in place (truncate + write): modified events;
* write a temporary file and rename it over the original (vim with
  ``backupcopy=no``, JetBrains, many "atomic save" settings): the move's
  destination is the article, so it counts even though the temporary name
  is ignored;
* vim's probe file ``4913``, swap files ``.*.swp``, backups ``*~``, ``sed -i``'s
  ``sedXXXXXX``, Emacs
  locks ``.#name``: ignored.

Debounce: a batch is handed out once no event arrived for ``quiet`` seconds
(150 ms), so a burst such as ``git checkout`` of another branch, touching
hundreds of files, becomes one batch and one rebuild. ``max_wait`` bounds
the delay when events never stop.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

CONFIG_NAMES = ("archive.yaml", "archive.yml")
WATCHED_DIRS = ("content", "templates")
IGNORED = ("*.swp", "*.swx", "*.swo", "*.swpx", "*~", ".#*", "#*#", "4913", "*.tmp", "*.part", "*.crdownload",
           ".DS_Store", "*.kate-swp", "*___jb_tmp___", "*___jb_old___", ".goutputstream-*", "*.orig", "*.rej")
_SED_TEMP = re.compile(r"sed(?=[A-Za-z0-9]{6}$)[a-z]*[A-Z0-9]")  # sed -i's sedXXXXXX, not "sedentary"


def ignored_name(name: str) -> bool:
    """Temporary and lock files editors and tools leave beside the real one."""
    return any(fnmatch.fnmatchcase(name, pat) for pat in IGNORED) or bool(_SED_TEMP.match(name))


class Watcher:
    """Collects relevant paths from watchdog threads; ``next_batch`` waits for a quiet moment."""

    def __init__(self, root: Path, *, quiet: float = 0.15, max_wait: float = 3.0, extra_dirs: tuple[str, ...] = ()):
        self.root = root.resolve()
        self.quiet = quiet
        self.max_wait = max_wait
        self.dirs = tuple(WATCHED_DIRS) + tuple(extra_dirs)
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._first = 0.0
        self._last = 0.0
        self._closed = False
        self._observer = Observer(timeout=0.2)  # the stop() latency
        self._watched: dict[str, ObservedWatch] = {}  # folder name -> its watch
        self._handler = _Handler(self)

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        # The root itself, not recursively: archive.yaml, and content/ or
        # templates/ appearing (or being replaced) later.
        self._observer.schedule(self._handler, str(self.root), recursive=False)
        for d in self.dirs:
            self._watch_dir(d)
        self._observer.start()

    def _watch_dir(self, name: str, again: bool = False) -> None:
        path = self.root / name
        if again and name in self._watched:
            # The folder was replaced (deleted and made again, or moved in):
            # the old inotify watches point at the old folder.
            try:
                self._observer.unschedule(self._watched.pop(name))
            except (KeyError, ValueError):
                pass
        if name in self._watched or not path.is_dir():
            return
        self._watched[name] = self._observer.schedule(self._handler, str(path), recursive=True)

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._observer.stop()
        self._observer.join(timeout=2)

    # -- events --------------------------------------------------------------
    def relevant(self, path: str) -> str | None:
        """The root-relative POSIX path when a change there matters, else None."""
        try:
            rel = Path(path).relative_to(self.root)
        except ValueError:
            return None
        parts = rel.parts
        if not parts:
            return None
        if len(parts) == 1:
            if parts[0] in CONFIG_NAMES or parts[0] in self.dirs:
                return rel.as_posix()
            return None
        if parts[0] not in self.dirs:
            return None
        if ignored_name(parts[-1]) or any(p.startswith(".") for p in parts[1:-1]):
            return None
        if parts[-1].startswith(".") and parts[-1] not in (".gitkeep",):
            return None
        return rel.as_posix()

    def notify(self, rel: str) -> None:
        now = time.monotonic()
        with self._cond:
            if not self._pending:
                self._first = now
            self._pending.add(rel)
            self._last = now
            self._cond.notify_all()
        if rel in self.dirs:  # content/ or templates/ itself appeared, went or was replaced
            try:
                self._watch_dir(rel, again=True)
            except OSError:
                pass

    def next_batch(self, timeout: float | None = None) -> set[str] | None:
        """Block until changes settle; the changed paths, or None on timeout/stop."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    return None
                now = time.monotonic()
                if self._pending:
                    settle = min(self._last + self.quiet, self._first + self.max_wait)
                    if now >= settle:
                        batch, self._pending = self._pending, set()
                        return batch
                    wait: float | None = settle - now
                elif deadline is not None:
                    if now >= deadline:
                        return None
                    wait = deadline - now
                else:
                    wait = None
                self._cond.wait(wait)

    def pending(self) -> bool:
        with self._cond:
            return bool(self._pending)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher):
        self.w = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        if kind == "modified" and event.is_directory:
            return  # a folder's mtime changes with every file event inside it
        paths = [event.src_path]
        dest = getattr(event, "dest_path", "")
        if kind == "moved" and dest:
            paths.append(dest)  # rename-save: 'a.md.tmp' -> 'a.md' counts by its destination
        for p in paths:
            p = os.fsdecode(p)
            rel = self.w.relevant(p)
            if rel is not None:
                self.w.notify(rel)
