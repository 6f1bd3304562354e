"""archivegen.workers: forked workers fed and read by the building thread alone."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from archivegen.workers import Workers, WorkerDied

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

LOG = Path(os.environ.get("TMPDIR", "/tmp")) / f"archivegen-workers-test-{os.getpid()}.log"


def tenfold(x: int) -> int:
    return x * 10


def logged(x: int) -> int:
    """Note the task's start in LOG (one line each, appended whole), then work a little."""
    with open(LOG, "a") as f:
        f.write(f"{x}\n")
    time.sleep(0.01)
    return x


def pid_of(x: int) -> tuple[int, int]:
    return x, os.getpid()


def fails_at_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"task {x} went wrong")
    time.sleep(0.02)
    return x


def dies_at_two(x: int) -> int:
    if x == 2:
        os._exit(9)
    return x


def test_results_come_in_task_order_or_as_done_and_no_thread_is_started():
    before = set(threading.enumerate())  # another test's daemon thread may end meanwhile: only new ones count
    with Workers(2) as pool:
        assert len(pool.workers) == 2
        out = []
        for value in pool.map(tenfold, range(40)):
            out.append(value)
            assert set(threading.enumerate()) <= before  # the building thread alone feeds them
        assert out == [x * 10 for x in range(40)]
        assert sorted(pool.map(tenfold, range(40), ordered=False)) == out
        assert list(pool.map(tenfold, [])) == []
    assert pool.workers == []


def test_no_more_tasks_are_handed_out_than_the_window_allows():
    """The page stage writes what the workers return: at most ``window`` tasks are out and
    not yet taken back, so results never pile up in memory."""
    LOG.unlink(missing_ok=True)
    try:
        with Workers(2) as pool:
            for k, value in enumerate(pool.map(logged, range(30), window=3)):
                assert value == k
                started = [int(line) for line in LOG.read_text().split()]
                assert max(started) <= k + 2, (k, started)
    finally:
        LOG.unlink(missing_ok=True)


def test_a_workers_exception_is_raised_here_and_the_workers_end():
    with pytest.raises(ValueError, match="task 3 went wrong"):
        with Workers(2) as pool:
            pids = [w.pid for w in pool.workers]
            list(pool.map(fails_at_three, range(10)))
    for pid in pids:  # killed and reaped: no process is left behind
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_a_worker_that_dies_is_reported_not_waited_for():
    with pytest.raises(WorkerDied, match="ended before it finished its task"):
        with Workers(2) as pool:
            list(pool.map(dies_at_two, range(6)))


def test_workers_are_replaced_after_their_share_of_tasks():
    with Workers(2, replace_after=3) as pool:
        out = list(pool.map(pid_of, range(14)))
    assert [x for x, _ in out] == list(range(14))
    per_pid: dict[int, int] = {}
    for _, pid in out:
        per_pid[pid] = per_pid.get(pid, 0) + 1
    assert max(per_pid.values()) <= 3 and len(per_pid) >= 5 and os.getpid() not in per_pid


def test_one_job_runs_the_tasks_here():
    with Workers(1) as pool:
        assert pool.workers == []
        assert list(pool.map(pid_of, range(3))) == [(x, os.getpid()) for x in range(3)]


def test_a_build_whose_worker_is_killed_says_so_and_leaves_the_site_as_it_was(tmp_path, capsys, monkeypatch):
    """A body worker that dies mid-build (here it ends itself, as the kernel's out-of-memory
    killer would end it) is reported as what it is, with a hint, status 1, and the site kept."""
    from archivegen.render import BodyRenderer
    from safety import run, small_archive, snapshot

    root = small_archive(tmp_path / "archive", articles=130)  # three chunks of bodies: two workers
    assert run(capsys, "build", "--root", root, "--no-search", "--jobs", "1")[0] == 0
    before = snapshot(root / "site")
    (root / "content/articles/2013/article-70.md").write_text(
        (root / "content/articles/2013/article-70.md").read_text().replace("spoke on day", "DIE spoke on day"))
    real = BodyRenderer.render
    parent = os.getpid()

    def render(self, article=None, **kwargs):
        if os.getpid() != parent and article is not None and "DIE" in article.body:
            os._exit(9)
        return real(self, article, **kwargs)

    monkeypatch.setattr(BodyRenderer, "render", render)
    rc, _, err = run(capsys, "build", "--root", root, "--no-search", "--jobs", "2", "--clean")
    assert rc == 1, err
    assert "ended before it finished its task: out of memory, or killed; nothing was written" in err
    assert "hint: build again; with --jobs 1" in err and "internal error" not in err
    assert snapshot(root / "site") == before
