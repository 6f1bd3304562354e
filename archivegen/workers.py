"""Forked worker processes for the per-article and per-page work (``--jobs``).

Why not ``multiprocessing.Pool``. A Pool runs three threads of its own in
the building process: one hands out tasks, one receives results, and one
looks after the workers. That last one also wakes whenever a result is
waiting to be read (it waits on the result pipe), and while the receiving
thread is still reading a result of a few hundred kilobytes (a chunk of
rendered pages) it wakes again at once, over and over: 56,000 times in a
cold 10,000-article build, 0.7-1.0 CPU-seconds of the building process
spent holding the interpreter lock that the thread writing the pages
needed. Here the building thread itself hands out the tasks and reads the
results, and nothing else runs.

How. Each worker is forked from this process, so it inherits the loaded
archive instead of receiving it, and talks to it over a pipe of its own. A
worker has up to ``PREFETCH`` tasks queued, so it never waits for this
process to read its last result before it starts the next one. Results come
back in task order (``ordered``) or as they are done. A worker that has run
``replace_after`` tasks is retired and a fresh fork takes its place (see
``build._pool``). An exception in a task is raised here, as it was raised
there; a worker that dies (killed, out of memory) is reported as such,
where a Pool would wait for it forever.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import deque
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any, Callable, Iterable, Iterator

from .errors import WorkerDied

PREFETCH = 2  # tasks queued per worker: one at work, one waiting for it


def can_fork() -> bool:
    """Whether this platform forks processes (Linux, macOS; not Windows)."""
    return hasattr(os, "fork")


class _Worker:
    def __init__(self, pid: int, conn: Connection):
        self.pid = pid
        self.conn = conn
        self.pending: deque[int] = deque()  # indices of the tasks sent and not yet answered
        self.sent = 0


def _serve(conn: Connection) -> None:
    """A worker's life: run tasks from ``conn`` until told to stop (None) or the pipe closes."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, task = message
        try:
            reply = (True, fn(task))
        except Exception as exc:  # sent back and raised there; KeyboardInterrupt ends the worker
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # the result or the exception would not pickle
            conn.send((False, RuntimeError(f"a worker could not send back its result: {exc!r}")))


class Workers:
    """``jobs`` forked worker processes; use as a context manager, and ``map`` over them.

    With ``jobs`` 1, or where processes cannot be forked, there are none: the
    tasks run in this process, one after the other (forking costs more than
    a few tasks, and a one-core machine gains nothing from it)."""

    def __init__(self, jobs: int, replace_after: int | None = None):
        self.replace_after = replace_after
        self.workers: list[_Worker] = []
        self.local = jobs <= 1 or not can_fork()
        if not self.local:
            try:
                for _ in range(jobs):
                    self.workers.append(self._fork())
            except BaseException:  # no process left behind when one cannot be forked
                self.terminate()
                raise

    def _fork(self) -> _Worker:
        parent_end, child_end = Pipe(duplex=True)
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            pid = os.fork()
        except OSError:
            parent_end.close()
            child_end.close()
            raise
        if pid == 0:  # the worker
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it; the build reports it
                parent_end.close()
                for w in self.workers:  # the other workers' pipes: theirs to close, not ours to hold
                    w.conn.close()
                _serve(child_end)
            except BaseException:
                code = 1
            finally:
                os._exit(code)  # never the parent's exit handlers or its buffered output
        child_end.close()
        return _Worker(pid, parent_end)

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any], *, ordered: bool = True,
            window: int | None = None) -> Iterator[Any]:
        """``fn(task)`` for each task, run by the workers: in task order, or as done.

        ``window``: at most this many tasks handed out and not yet yielded
        (the page stage's bound on the page bytes in hand, ``build.render_pages``)."""
        if self.local:
            yield from map(fn, tasks)
            return
        todo = list(tasks)
        results: dict[int, Any] = {}
        given = 0  # tasks handed out
        taken = 0  # results yielded
        while taken < len(todo):
            given = self._hand_out(fn, todo, given, taken, window)
            busy = {w.conn: w for w in self.workers if w.pending}
            if not busy:  # nothing handed out and nothing can be: no workers left
                raise WorkerDied("no worker process is left to run the tasks")
            for conn in wait(list(busy)):
                assert isinstance(conn, Connection)  # wait() returns some of what it is given: these pipes
                w = busy[conn]
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    raise WorkerDied(f"a worker process (pid {w.pid}) ended before it finished its task: "
                                     "out of memory, or killed") from None
                i = w.pending.popleft()
                if not ok:
                    raise value
                results[i] = value
                self._renew(w)
            if ordered:
                while taken in results:
                    yield results.pop(taken)
                    taken += 1
            else:
                for i in list(results):
                    yield results.pop(i)
                    taken += 1

    def _hand_out(self, fn: Callable[[Any], Any], todo: list[Any], given: int, taken: int,
                  window: int | None) -> int:
        """Queue tasks on workers with room for them; return how many are handed out in all."""
        for w in self.workers:
            while (given < len(todo) and len(w.pending) < PREFETCH
                   and (window is None or given - taken < window)
                   and (self.replace_after is None or w.sent < self.replace_after)):
                w.conn.send((fn, todo[given]))
                w.pending.append(given)
                w.sent += 1
                given += 1
        return given

    def _renew(self, w: _Worker) -> None:
        """Replace a worker that has run its share of tasks, once it has answered them all."""
        if self.replace_after is None or w.sent < self.replace_after or w.pending:
            return
        self._stop(w)
        self.workers[self.workers.index(w)] = self._fork()

    @staticmethod
    def _stop(w: _Worker) -> None:
        try:
            w.conn.send(None)
        except OSError:
            pass
        w.conn.close()
        _reap(w.pid)

    def close(self) -> None:
        """Let the workers finish and end."""
        workers, self.workers = self.workers, []
        for w in workers:
            self._stop(w)

    def terminate(self) -> None:
        """End the workers now (a task failed, or the build was interrupted)."""
        workers, self.workers = self.workers, []
        for w in workers:
            try:
                os.kill(w.pid, signal.SIGKILL)
            except OSError:
                pass
            w.conn.close()
            _reap(w.pid)

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, kind: Any, *rest: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.terminate()


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
