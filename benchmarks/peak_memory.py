#!/usr/bin/env python3
"""Run a command and report its wall time and peak memory: the largest single
process (RSS) and the largest sum over the whole process tree (workers and
Pagefind processes included) counted as PSS, so pages that forked workers
share with their parent are counted once; sampled every 0.2 s with psutil.

    python benchmarks/peak_memory.py [--trace FILE] -- archivegen build --root ARCHIVE --timings

``--trace FILE`` writes every sample as a line (seconds, processes, PSS sum
in MB, largest RSS in MB) to see which stage the peak falls in.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psutil


def main() -> int:
    argv = sys.argv[1:]
    trace = None
    if argv[:1] == ["--trace"] and len(argv) > 1:
        trace = open(argv[1], "w")
        argv = argv[2:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 0 if argv else 2
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(argv)
    except OSError as exc:
        print(f"peak_memory: cannot run {argv[0]}: {exc.strerror}", file=sys.stderr)
        return 2
    peak_sum = peak_one = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_sum, peak_one
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss, pss = [], []
                for p in procs:
                    try:
                        info = p.memory_full_info()
                        rss.append(info.rss)
                        pss.append(getattr(info, "pss", info.rss))
                    except psutil.Error:
                        pass
                peak_sum = max(peak_sum, sum(pss))
                peak_one = max(peak_one, max(rss, default=0))
                if trace is not None:
                    trace.write(f"{time.perf_counter() - t0:.1f} {len(procs)} {sum(pss) / 2**20:.0f} "
                                f"{max(rss, default=0) / 2**20:.0f}\n")
            except psutil.Error:
                pass
            time.sleep(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    rc = proc.wait()
    done.set()
    t.join()
    if trace is not None:
        trace.close()
    print(f"exit {rc}; {time.perf_counter() - t0:.1f} s; peak memory: {peak_one / 2**20:.0f} MB largest process, "
          f"{peak_sum / 2**20:.0f} MB all processes together (PSS)", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
