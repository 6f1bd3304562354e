"""Shared fixtures: the repository's sample archive and small made-up ones."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from archivegen.cli import main

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The sample archive (content/) built once, without the search index."""
    out = tmp_path_factory.mktemp("sample") / "site"
    assert run_cli("build", "--root", REPO, "--out", out, "--no-search", "--quiet") == 0
    return out


@pytest.fixture
def make_archive(tmp_path):
    """Write a small archive: make_archive({"articles/a.md": "...", ...})."""

    def make(files: dict[str, str], root: Path | None = None) -> Path:
        root = root or tmp_path / "archive"
        (root / "content" / "articles").mkdir(parents=True, exist_ok=True)
        (root / "content" / "people").mkdir(exist_ok=True)
        for rel, text in files.items():
            p = root / rel if rel.startswith(("content/", "templates/", "archive.yaml")) else root / "content" / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip("\n"))
        return root

    return make


def article(title: str = "A headline", date: str = "2013-08-09", body: str = "Some text.", **fields: str) -> str:
    """Front matter + body of one article, fields given as YAML text."""
    lines = [f'title: "{title}"', f"date: {date}"] + [f"{k}: {v}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def copy_sample(dest: Path) -> Path:
    shutil.copytree(REPO / "content", dest / "content")
    return dest
