"""Helpers for the robustness tests: folder snapshots, CLI runs, a small archive."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from archivegen.cli import main

REPO = Path(__file__).resolve().parent.parent

PERSON = """\
---
name: John Kerry
aliases: [Secretary Kerry]
---
American Secretary of State.
"""


def art(title: str = "Kerry meets Lavrov", date: str = "2013-08-09", body: str = "John Kerry met Sergei Lavrov in Geneva.",
        **fields: str) -> str:
    lines = [f"title: {title}", f"date: {date}"] + [f"{k}: {v}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def write(root: Path, rel: str, data: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        p.write_text(textwrap.dedent(data) if data.startswith("\n") else data, encoding="utf-8")
    else:
        p.write_bytes(data)
    return p


def day(i: int) -> str:
    """The date of article ``i`` of ``small_archive``: 2013-08-01, 2013-08-02, ..."""
    return f"2013-{8 + i // 28:02d}-{i % 28 + 1:02d}"


def small_archive(root: Path, articles: int = 3) -> Path:
    """An archive of a few valid articles and one person."""
    write(root, "content/people/john-kerry.md", PERSON)
    for i in range(articles):
        write(root, f"content/articles/2013/article-{i}.md",
              art(title=f'"Talks, day {i}"', date=day(i),
                  body=f"John Kerry spoke on day {i}.\n\nRussia answered."))
    return root


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file (bytes), folder ('<dir>') and symlink ('-> target') below ``folder``."""
    snap: dict[str, bytes | str] = {}
    if not folder.exists():
        return snap
    for dirpath, dirnames, filenames in os.walk(folder):
        d = Path(dirpath)
        for n in dirnames:
            p = d / n
            snap[p.relative_to(folder).as_posix() + "/"] = f"-> {os.readlink(p)}" if p.is_symlink() else "<dir>"
        for n in filenames:
            p = d / n
            rel = p.relative_to(folder).as_posix()
            snap[rel] = f"-> {os.readlink(p)}" if p.is_symlink() else p.read_bytes()
    return snap


def run(capsys, *args) -> tuple[int, str, str]:
    """archivegen in-process: (status, stdout, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def run_sub(*args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """archivegen as a separate process, as a user runs it."""
    e = dict(os.environ, PYTHONPATH=str(REPO))
    e.pop("ARCHIVEGEN_DEBUG", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "archivegen", *map(str, args)], capture_output=True, text=True,
                          env=e, timeout=timeout)


def build_ok(capsys, root: Path, out: Path, *extra) -> None:
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet", "--jobs", "1", *extra)
    assert rc == 0, err
    assert (out / ".archivegen-site").is_file()
